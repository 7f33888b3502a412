"""FacturaSend ``params`` + ``data`` → validated SIFEN ``DE`` model, in one pass.

Every MT v150 rule we know SIFEN enforces is checked while mapping; issues are collected (never
raised one by one) so the integrator sees all of them at once. Totals come from
``sifen.totals``; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sifenflow_common.documents.map_base import INNOMINADO_LIMIT_PYG, TEST_ENV_NAME, MapperBase
from sifenflow_common.documents.map_extras import ExtrasMixin
from sifenflow_common.documents.map_items import ItemsMixin
from sifenflow_common.documents.map_operation import OperationMixin
from sifenflow_common.documents.map_parties import PartiesMixin
from sifenflow_common.documents.map_transport import TransportMixin
from sifenflow_common.facturasend import rules
from sifenflow_common.facturasend.issues import IssueCollector
from sifenflow_common.facturasend.models import (
    Documento,
    Establecimiento,
    Params,
)
from sifenflow_common.sifen import codes, de
from sifenflow_common.sifen import totals as tot
from sifenflow_common.sifen.cdc import compute_cdc, is_valid_cdc, new_codigo_seguridad, split_cdc
from sifenflow_common.sifen.rounding import ZERO


@dataclass(frozen=True, slots=True)
class Mapped:
    de: de.DE
    totals: tot.Totals | None
    receptor_email: str | None
    moneda: str
    establecimiento: str
    punto: str
    numero_documento: str
    timbrado: str
    fecha_emision: datetime
    tipo_documento: int


class _Mapper(OperationMixin, PartiesMixin, ItemsMixin, TransportMixin, ExtrasMixin):
    """Validates and maps one document; each group's step lives in its ``map_*`` mixin."""

    # ------------------------------------------------------------------ top level
    def run(self, now: datetime) -> Mapped | None:
        d, p = self.d, self.p
        tipo = self.tipo
        if tipo not in codes.SIFEN_TYPES:
            self.add(
                "TIPO_DOCUMENTO_INVALIDO",
                "data.tipoDocumento",
                f"Tipo de documento {tipo} no soportado; valores: 1, 4, 5, 6, 7, 9, 10 "
                "(55 = recibo, /recibo)",
            )
            return None
        if p.version != 150:
            self.add(
                "VALOR_INVALIDO", "params.version", "Versión del formato no soportada: solo 150 (MT v150)"
            )
        ruc = rules.check_ruc(p.ruc, "params.ruc", self.issues)
        rules.check_in(p.tipo_contribuyente, {1, 2}, "params.tipoContribuyente", self.issues)
        timbrado = rules.check_padded(p.timbrado_numero, 8, "params.timbradoNumero", self.issues, "timbrado")
        tim_fecha = rules.check_date(p.timbrado_fecha, "params.timbradoFecha", self.issues)
        est = rules.check_padded(d.establecimiento, 3, "data.establecimiento", self.issues, "establecimiento")
        pun = rules.check_padded(d.punto, 3, "data.punto", self.issues, "punto")
        num = rules.check_padded(d.numero, 7, "data.numero", self.issues, "número")
        fecha = rules.check_datetime(d.fecha, "data.fecha", self.issues)
        if fecha is not None and tim_fecha is not None and fecha.date() < tim_fecha:
            self.add(
                "FECHA_ANTERIOR_TIMBRADO",
                "data.fecha",
                f"La fecha de emisión {d.fecha} es anterior al inicio del timbrado "
                f"{p.timbrado_fecha} (MT C008)",
            )
        self._check_serie()
        establecimiento = self._establecimiento(est)
        tip_emi_desc = rules.check_code("iTipEmi", d.tipo_emision, "data.tipoEmision", self.issues)
        cod_seg = self._codigo_seguridad(num)

        g_ope_com = self._ope_com()
        g_emis = self._emisor(establecimiento, ruc)
        g_dat_rec, receptor_email = self._receptor(d.cliente)
        items, item_amounts = self._items()
        g_dtip = de.GDtipDE(gCamItem=items)
        self._type_groups(g_dtip)
        totals = None
        if item_amounts is not None and tipo != 7:
            totals = tot.document_totals(
                item_amounts,
                moneda=self.moneda,
                tipo_impuesto=d.tipo_impuesto,
                cambio=g_ope_com.dTiCam if g_ope_com else None,
                descuento_global=d.descuento_global or ZERO,
                aplicar_redondeo=d.redondeo_sedeco,
                autofactura=tipo == 4,
            )
            self._post_totals(totals)
        if tipo in codes.SALE_TYPES:
            g_dtip.gCamCond = self._condicion(d.condicion, totals)
        g_dtip.gCamEsp = self._sectores()
        if (tipo in (1, 7) and d.transporte is not None) or tipo == 7:
            g_dtip.gTransp = self._transporte(d.transporte)
        asociados = self._asociados()
        g_cam_gen = self._complementarios()

        if not self.issues.ok:
            return None
        assert ruc and timbrado and tim_fecha and est and pun and num and fecha and cod_seg and tip_emi_desc
        assert g_emis is not None and g_dat_rec is not None
        cdc = compute_cdc(
            tipo_documento=tipo,
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
            self.add(
                "CDC_NO_COINCIDE",
                "data.cdc",
                f"El CDC enviado no corresponde a los datos del documento (calculado: {cdc})",
            )
            return None
        document = de.DE(
            Id=cdc,
            dDVId=int(cdc[-1]),
            dFecFirma=now.replace(microsecond=0, tzinfo=None),
            dSisFact=1,
            gOpeDE=de.GOpeDE(
                iTipEmi=d.tipo_emision,
                dDesTipEmi=tip_emi_desc,
                dCodSeg=cod_seg,
                dInfoEmi=d.observacion,
                dInfoFisc=d.descripcion,
            ),
            gTimb=de.GTimb(
                iTiDE=tipo,
                dDesTiDE=rules.check_code("iTiDE", tipo, "data.tipoDocumento", self.issues) or "",
                dNumTim=timbrado,
                dEst=est,
                dPunExp=pun,
                dNumDoc=num,
                dSerieNum=d.serie,
                dFeIniT=tim_fecha,
            ),
            gDatGralOpe=de.GDatGralOpe(dFeEmiDE=fecha, gOpeCom=g_ope_com, gEmis=g_emis, gDatRec=g_dat_rec),
            gDtipDE=g_dtip,
            gTotSub=_tot_sub(totals) if totals is not None else None,
            gCamGen=g_cam_gen,
            gCamDEAsoc=asociados,
        )
        return Mapped(
            de=document,
            totals=totals,
            receptor_email=receptor_email,
            moneda=self.moneda,
            establecimiento=est,
            punto=pun,
            numero_documento=num,
            timbrado=timbrado,
            fecha_emision=fecha,
            tipo_documento=tipo,
        )

    # ------------------------------------------------------------------ pieces
    def _check_serie(self) -> None:
        d = self.d
        if d.serie is not None and (
            len(d.serie) != 2 or not d.serie.isascii() or not d.serie.isalpha() or not d.serie.isupper()
        ):
            self.add("SERIE_INVALIDA", "data.serie", "La serie son dos letras mayúsculas (AA..ZZ, sin Ñ)")

    def _establecimiento(self, est: str | None) -> Establecimiento | None:
        if est is None:
            return None
        for idx, e in enumerate(self.p.establecimientos):
            code = rules.check_padded(
                e.codigo, 3, f"params.establecimientos[{idx}].codigo", self.issues, "establecimiento"
            )
            if code == est:
                return e
        self.add(
            "ESTABLECIMIENTO_NO_REGISTRADO",
            "data.establecimiento",
            f"El establecimiento {est} no está entre los establecimientos del emisor",
        )
        return None

    def _codigo_seguridad(self, num: str | None) -> str | None:
        d = self.d
        given: str | None = None
        if d.codigo_seguridad_aleatorio is not None:
            given = str(d.codigo_seguridad_aleatorio).strip()
            path = "data.codigoSeguridadAleatorio"
        elif d.cdc is not None:
            if not is_valid_cdc(d.cdc):
                self.add(
                    "CDC_INVALIDO", "data.cdc", "CDC inválido: 44 dígitos con dígito verificador correcto"
                )
                return None
            given = split_cdc(d.cdc).codigo_seguridad
            path = "data.cdc"
        if given is None:
            return new_codigo_seguridad(num or "0")
        if not given.isdigit() or len(given) > 9 or int(given) == 0:
            self.add(
                "CODIGO_SEGURIDAD_INVALIDO", path, "El código de seguridad son 9 dígitos, distinto de cero"
            )
            return None
        if num is not None and int(given) == int(num):
            self.add(
                "CODIGO_SEGURIDAD_INVALIDO",
                path,
                "El código de seguridad debe ser distinto del número del documento (MT §10.3)",
            )
            return None
        return given.zfill(9)


def _tot_sub(t: tot.Totals) -> de.GTotSub:
    return de.GTotSub(
        dSubExe=t.dSubExe,
        dSubExo=t.dSubExo,
        dSub5=t.dSub5,
        dSub10=t.dSub10,
        dTotOpe=t.dTotOpe,
        dTotDesc=t.dTotDesc,
        dTotDescGlotem=t.dTotDescGlotem,
        dTotAntItem=t.dTotAntItem,
        dTotAnt=t.dTotAnt,
        dPorcDescTotal=t.dPorcDescTotal,
        dDescTotal=t.dDescTotal,
        dAnticipo=t.dAnticipo,
        dRedon=t.dRedon,
        dTotGralOpe=t.dTotGralOpe,
        dIVA5=t.dIVA5,
        dIVA10=t.dIVA10,
        dLiqTotIVA5=t.dLiqTotIVA5,
        dLiqTotIVA10=t.dLiqTotIVA10,
        dTotIVA=t.dTotIVA,
        dBaseGrav5=t.dBaseGrav5,
        dBaseGrav10=t.dBaseGrav10,
        dTBasGraIVA=t.dTBasGraIVA,
        dTotalGs=t.dTotalGs,
    )


def map_document(
    params: Params, doc: Documento, issues: IssueCollector, *, environment: str, now: datetime
) -> Mapped | None:
    """Validate and map; returns None when any issue was recorded."""
    return _Mapper(params, doc, issues, environment).run(now)


__all__ = ["INNOMINADO_LIMIT_PYG", "TEST_ENV_NAME", "Mapped", "MapperBase", "map_document"]
