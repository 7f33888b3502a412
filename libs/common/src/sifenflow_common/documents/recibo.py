"""Recibo digital (tipo 55, FacturaSend's own document, never sent to SIFEN).

Same JSON as a DE (facturasend-api.md §2.4): emisor, cliente, condicion, usuario, moneda as in a
DE; ``documentoAsociado[]`` with the ``monto`` applied to each document (then ``total`` is their
sum) or, without associated documents, ``total`` and ``concepto``. The XML follows our schema
``docs/recibo_v1.xsd``: sifenflow-namespace groups (prefix ``rec:``) around the official SIFEN
groups (default namespace) it reuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Final

from lxml import etree

from sifenflow_common.documents.mapping import _Mapper
from sifenflow_common.errors import DocumentInvalid, ValidationIssue
from sifenflow_common.facturasend import rules
from sifenflow_common.facturasend.issues import IssueCollector
from sifenflow_common.facturasend.parse import parse_documento, parse_params
from sifenflow_common.sifen import codes, de
from sifenflow_common.sifen.cdc import compute_cdc
from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.rounding import PYG, ZERO, q
from sifenflow_common.sifen.xml_write import _write_group, format_value

RECIBO_NS: Final = "https://sifenflow.dev/xsd/recibo/v1"
RECIBO_TIPO: Final = int(codes.TipoDocumento.RECIBO)
RECIBO_DESCRIPCION: Final = "Recibo digital"
RECIBO_XSD_NAME: Final = "recibo_v1.xsd"


class _ReciboMapper(_Mapper):
    def run_recibo(self, now: datetime) -> tuple[str, bytes, dict[str, Any]] | None:
        d, p = self.d, self.p
        ruc = rules.check_ruc(p.ruc, "params.ruc", self.issues)
        rules.check_in(p.tipo_contribuyente, {1, 2}, "params.tipoContribuyente", self.issues)
        self._check_serie()
        timbrado = rules.check_padded(p.timbrado_numero, 8, "params.timbradoNumero", self.issues, "timbrado")
        tim_fecha = rules.check_date(p.timbrado_fecha, "params.timbradoFecha", self.issues)
        est = rules.check_padded(d.establecimiento, 3, "data.establecimiento", self.issues, "establecimiento")
        pun = rules.check_padded(d.punto, 3, "data.punto", self.issues, "punto")
        num = rules.check_padded(d.numero, 7, "data.numero", self.issues, "número")
        fecha = rules.check_datetime(d.fecha, "data.fecha", self.issues)
        if fecha is not None and tim_fecha is not None and fecha.date() < tim_fecha:
            self.add("FECHA_ANTERIOR_TIMBRADO", "data.fecha", "La fecha es anterior al inicio del timbrado")
        tip_emi = rules.check_code("iTipEmi", d.tipo_emision, "data.tipoEmision", self.issues)
        cod_seg = self._codigo_seguridad(num)
        establecimiento = self._establecimiento(est)
        g_emis = self._emisor(establecimiento, ruc)
        g_rec, email = self._receptor(d.cliente)
        moneda_desc = rules.check_moneda(d.moneda, "data.moneda", self.issues)
        if moneda_desc is not None:
            self.moneda = d.moneda.upper()
        cambio = None
        if self.moneda != PYG:
            if d.cambio is None:
                self.add(
                    "CAMBIO_REQUERIDO",
                    "data.cambio",
                    "Recibo en moneda extranjera: indique el tipo de cambio",
                )
            else:
                cambio = rules.check_amount(
                    d.cambio, "data.cambio", self.issues, max_decimals=4, positive=True
                )
        asociados = self._asociados()
        raw = d.documento_asociado
        docs = raw if isinstance(raw, list) else [raw] if raw is not None else []
        total = d.total
        if docs:
            montos = []
            for idx, x in enumerate(docs):
                path = f"data.documentoAsociado[{idx}]" if isinstance(raw, list) else "data.documentoAsociado"
                if x.formato == 3:
                    self.add(
                        "DOCUMENTO_ASOCIADO_INVALIDO",
                        f"{path}.formato",
                        "El recibo asocia documentos electrónicos (1) o impresos (2)",
                    )
                if x.monto is None:
                    self.add("CAMPO_REQUERIDO", f"{path}.monto", "Indique el monto aplicado a este documento")
                else:
                    montos.append(rules.check_amount(x.monto, f"{path}.monto", self.issues, positive=True))
                for key, retained in (
                    ("montoRetencionIva", x.monto_retencion_iva),
                    ("montoRetencionRenta", x.monto_retencion_renta),
                ):
                    if retained is not None:
                        rules.check_amount(retained, f"{path}.{key}", self.issues)
            if self.issues.ok:
                suma = sum((m for m in montos if m is not None), ZERO)
                if total is not None and total != suma:
                    self.add(
                        "TOTAL_NO_COINCIDE",
                        "data.total",
                        f"El total {total} no coincide con la suma de los documentos asociados ({suma})",
                    )
                total = suma
        else:
            if total is None:
                self.add("CAMPO_REQUERIDO", "data.total", "Recibo sin documentos asociados: indique el total")
            if not d.concepto:
                self.add(
                    "CAMPO_REQUERIDO", "data.concepto", "Recibo sin documentos asociados: indique el concepto"
                )
        if total is not None:
            total = rules.check_amount(total, "data.total", self.issues, positive=True)
        concepto = d.concepto or "Pago de documentos"
        g_cond = None
        if d.condicion is not None and total is not None:
            totals_like = _TotalsView(total)
            g_cond = self._condicion(d.condicion, totals_like, partial=True)  # type: ignore[arg-type]
        if not self.issues.ok:
            return None
        assert ruc and timbrado and tim_fecha and est and pun and num and fecha and cod_seg and tip_emi
        assert g_emis is not None and g_rec is not None and total is not None
        cdc = compute_cdc(
            tipo_documento=RECIBO_TIPO,
            ruc=ruc[0],
            dv_ruc=ruc[1],
            establecimiento=est,
            punto=pun,
            numero=num,
            tipo_contribuyente=p.tipo_contribuyente,
            fecha=fecha.date(),
            tipo_emision=d.tipo_emision,
            codigo_seguridad=cod_seg,
        )
        if d.cdc is not None and d.cdc != cdc:
            self.add("CDC_NO_COINCIDE", "data.cdc", f"El CDC no corresponde a los datos del recibo ({cdc})")
            return None
        total_gs = q(total * cambio, 0) if cambio is not None else None
        out: list[str] = [
            f'<rec:rRec xmlns:rec="{RECIBO_NS}" xmlns="{SIFEN_NS}">',
            "<rec:dVerFor>1</rec:dVerFor>",
            f'<rec:Rec Id="{cdc}">',
            f"<rec:dDVId>{cdc[-1]}</rec:dDVId>",
            f"<rec:dFecFirma>{format_value(now.replace(microsecond=0, tzinfo=None))}</rec:dFecFirma>",
            "<rec:dSisFact>1</rec:dSisFact>",
        ]
        _group(
            out,
            "gOpeDE",
            de.GOpeDE(
                iTipEmi=d.tipo_emision,
                dDesTipEmi=tip_emi,
                dCodSeg=cod_seg,
                dInfoEmi=d.observacion,
                dInfoFisc=d.descripcion,
            ),
        )
        out.append("<rec:gTimb>")
        _own(out, "iTiDE", RECIBO_TIPO)
        _own(out, "dDesTiDE", RECIBO_DESCRIPCION)
        for tag, value in (
            ("dNumTim", timbrado),
            ("dEst", est),
            ("dPunExp", pun),
            ("dNumDoc", num),
            ("dSerieNum", d.serie),
            ("dFeIniT", tim_fecha),
        ):
            _own(out, tag, value)
        out.append("</rec:gTimb><rec:gDatGralOpe>")
        _own(out, "dFeEmiDE", fecha)
        out.append("<rec:gOpeCom>")
        _own(out, "cMoneOpe", self.moneda)
        _own(out, "dDesMoneOpe", moneda_desc)
        _own(out, "dTiCam", cambio)
        out.append("</rec:gOpeCom>")
        _group(out, "gEmis", g_emis)
        _group(out, "gDatRec", g_rec)
        out.append("</rec:gDatGralOpe><rec:gCamRec>")
        _own(out, "dConc", concepto)
        _own(out, "dTotRec", total)
        _own(out, "dTotalGs", total_gs)
        out.append("</rec:gCamRec>")
        if g_cond is not None:
            _group(out, "gCamCond", g_cond)
        for g, x in zip(asociados, docs, strict=False):
            out.append("<rec:gDocRec>")
            _write_group(g, out)
            _own(out, "dMonApl", x.monto)
            _own(out, "dMonRetIVA", x.monto_retencion_iva)
            _own(out, "dMonRetRenta", x.monto_retencion_renta)
            out.append("</rec:gDocRec>")
        out.append("</rec:Rec></rec:rRec>")
        info = {
            "cdc": cdc,
            "establecimiento": est,
            "punto": pun,
            "numero_documento": num,
            "timbrado": timbrado,
            "fecha_emision": fecha,
            "total": total,
            "total_gs": total_gs,
            "email": email,
        }
        return cdc, "".join(out).encode("utf-8"), info


class _TotalsView:
    """The one totals attribute the condición rules read."""

    def __init__(self, total: Decimal) -> None:
        self.dTotGralOpe = total


def _own(out: list[str], tag: str, value: object) -> None:
    if value is not None:
        out.append(f"<rec:{tag}>{format_value(value)}</rec:{tag}>")


def _group(out: list[str], tag: str, obj: object) -> None:
    out.append(f"<rec:{tag}>")
    _write_group(obj, out)
    out.append(f"</rec:{tag}>")


def _run(params: Mapping[str, Any], data: Mapping[str, Any], environment: str, now: datetime) -> Any:
    issues = IssueCollector()
    p = parse_params(params, issues)
    d = parse_documento(data, issues)
    if p is None or d is None:
        return issues, None
    mapper = _ReciboMapper(p, d, issues, environment)
    return issues, mapper.run_recibo(now)


def validate_recibo(params: Mapping[str, Any], data: Mapping[str, Any]) -> list[ValidationIssue]:
    from sifenflow_common.documents.engine import _now

    issues, _ = _run(params, data, "test", _now(None))
    return list(issues.issues)


def build_recibo(
    params: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    environment: str = "test",
    now: datetime | None = None,
) -> Any:
    """Validate and build the unsigned recibo (``rRec``); same ``BuiltDocument`` shape as a DE."""
    from sifenflow_common.documents.engine import BuiltDocument, _now

    issues, result = _run(params, data, environment, _now(now))
    if result is None:
        raise DocumentInvalid(issues.issues or [ValidationIssue("VALOR_INVALIDO", "data", "Recibo inválido")])
    cdc, xml, info = result
    zero = Decimal(0)
    return BuiltDocument(
        cdc=cdc,
        xml=xml,
        tipo_documento=RECIBO_TIPO,
        numero=f"{info['establecimiento']}-{info['punto']}-{info['numero_documento']}",
        establecimiento=info["establecimiento"],
        punto=info["punto"],
        numero_documento=info["numero_documento"],
        timbrado=info["timbrado"],
        fecha_emision=info["fecha_emision"],
        totals={
            "dTotGralOpe": info["total"],
            "dIVA5": zero,
            "dIVA10": zero,
            "dTotIVA": zero,
            "dTotalGs": info["total_gs"],
        },
        receptor_email=info["email"],
        moneda=data.get("moneda", PYG) if isinstance(data.get("moneda"), str) else PYG,
    )


def recibo_schema_path() -> Path:
    """``docs/recibo_v1.xsd`` of the checkout this package runs from."""
    return Path(__file__).resolve().parents[5] / "docs" / RECIBO_XSD_NAME


@cache
def recibo_schema() -> etree.XMLSchema:
    """Our recibo schema, with the official SIFEN imports resolved from the reference bundle."""
    from sifenflow_common.sifen.xsd import compile_schema

    path = recibo_schema_path()
    return compile_schema(path.read_bytes(), path)
