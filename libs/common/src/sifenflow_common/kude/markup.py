"""HTML of one KuDE (MT v150 §13, "Representación gráfica del DE") from an ``RdeView``.

The same markup serves A4 and the 80 mm ticket; the stylesheets in ``templates/`` lay it out.
Blocks, top to bottom: environment legend, emisor + timbrado/document box, operation and receptor
data, the type-specific block (AFE vendedor, NC/ND motivo and associated document, NR traslado and
transport, recibo payments), items, subtotals / totals / liquidación del IVA (after the items, so on
the last page), condition and cuotas, then QR, consultation legend and CDC in blocks of four.
Every text from the XML is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Literal

from sifenflow_common.kude import formatting as fmt
from sifenflow_common.kude.qr import qr_png_data_uri
from sifenflow_common.sifen.rde_view import GCamDEAsoc, GCamItem, GDocRec, GTotSub, RdeView

Environment = Literal["simulado", "test", "produccion"]
Format = Literal["a4", "ticket"]

TITLES = {
    1: "Factura electrónica",
    4: "Autofactura electrónica",
    5: "Nota de crédito electrónica",
    6: "Nota de débito electrónica",
    7: "Nota de remisión electrónica",
    9: "Boleta de venta electrónica",
    10: "Boleta resimple electrónica",
    55: "Recibo electrónico",
}
LEGEND_SIMULADO = "Generado desde un Ambiente no conectado a la SET"
LEGEND_TEST = "Documento generado en ambiente de prueba - sin valor comercial ni fiscal"
CONSULTA_PROD = "https://ekuatia.set.gov.py/consultas/"
CONSULTA_TEST = "https://ekuatia.set.gov.py/consultas-test/"
IVA_RATES = (5, 10)
NEWLINE = "\n"


@dataclass(frozen=True, slots=True)
class KudeOptions:
    format: Format = "a4"
    environment: Environment | None = None
    logo_uri: str | None = None


def e(value: object) -> str:
    return "" if value is None else escape(str(value))


def is_recibo(view: RdeView) -> bool:
    return view.iTiDE == 55 or bool(view.gDtipDE.gCamRDE) or view.gCamRec is not None


def title(view: RdeView) -> str:
    return (
        view.gTimb.dDesTiDE or TITLES.get(view.iTiDE) or f"Documento electrónico tipo {view.iTiDE}"
    ).upper()


def infer_environment(view: RdeView) -> Environment:
    """Without an explicit environment: the QR's consultation URL tells test from production."""
    qr = view.dCarQR or ""
    if "consultas-test" in qr:
        return "test"
    # MT v150 D105: in the test environment dNomEmi carries "…ambiente de prueba…" (recibos have no QR)
    return "test" if "ambiente de prueba" in view.gEmis.dNomEmi.lower() else "produccion"


def consulta_url(view: RdeView, environment: Environment) -> str:
    qr = view.dCarQR or ""
    if "/qr?" in qr:
        return qr.split("qr?", 1)[0]
    return CONSULTA_TEST if environment == "test" else CONSULTA_PROD


# ------------------------------------------------------------------------------------------ pieces


def _line(label: str, value: object) -> str:
    """A label and its value ("Label: value") as one plain text run. Labels are not bold: a bold label
    is an inline box and a second text run, which weasyprint lays out and draws separately (~0.5 ms each)."""
    if value is None or value == "":
        return ""
    return f"<div>{e(label)}: {e(value)}</div>"


def _stack(*lines: str) -> str:
    """Plain ``<div>`` lines merged into one block whose lines break at newlines (``.ls`` is
    ``white-space: pre-line``): one box per block instead of one per line, same look. Newlines
    inside a value become spaces, so each line stays one line."""
    kept = [line for line in lines if line]
    assert all(line.startswith("<div>") and line.endswith("</div>") for line in kept), kept
    body = NEWLINE.join(line[5:-6].replace(NEWLINE, " ") for line in kept)
    return f'<div class="ls">{body}</div>' if body else ""


def _join(*parts: object, sep: str = ", ") -> str:
    return sep.join(str(p) for p in parts if p not in (None, ""))


def _house(number: str | None) -> str | None:
    """House number, or None for the "0" that SIFEN uses when there is none."""
    return None if number in (None, "0") else number


def _legend(environment: Environment) -> str:
    if environment == "simulado":
        return f'<div class="legend simulado">{e(LEGEND_SIMULADO)}</div>'
    if environment == "test":
        return f'<div class="legend test">{e(LEGEND_TEST.upper())}</div>'
    return ""


def _running_header(view: RdeView) -> str:
    emis = view.gEmis
    return (
        '<div class="runhead"><span class="l">'
        f"{e(emis.dNomEmi)} · RUC {e(emis.ruc)} · Timbrado {e(view.gTimb.dNumTim)}</span>"
        f'<span class="r">{e(title(view))} N° {e(view.number)}</span></div>'
    )


def _emisor_block(view: RdeView, opts: KudeOptions) -> str:
    emis = view.gEmis
    logo = f'<img class="logo" src="{opts.logo_uri}" alt=""/>' if opts.logo_uri else ""
    address = _join(
        _join(emis.dDirEmi, _house(emis.dNumCas), sep=" "),
        emis.dCompDir1,
        emis.dCompDir2,
    )
    city = _join(emis.dDesCiuEmi, emis.dDesDepEmi if emis.dDesDepEmi != emis.dDesCiuEmi else None)
    activities = "; ".join(a.dDesActEco or a.cActEco or "" for a in emis.gActEco)
    fantasy = (
        f'<div class="fantasy">{e(emis.dNomFanEmi)}</div>'
        if emis.dNomFanEmi and emis.dNomFanEmi != emis.dNomEmi
        else ""
    )
    details = _stack(
        f"<div>{e(address)}</div>" if address else "",
        f"<div>{e(city)}</div>" if city else "",
        _line("Teléfono", emis.dTelEmi),
        _line("Correo", emis.dEmailE),
        _line("Sucursal", emis.dDenSuc),
    ) + (f'<div class="small">{e(activities)}</div>' if activities else "")
    timb = view.gTimb
    doc = (
        f'<div class="ruc">RUC {e(emis.ruc)}</div>'
        + _stack(
            f"<div>Timbrado N° {e(timb.dNumTim)}</div>",
            f"<div>Inicio de vigencia: {fmt.day(timb.dFeIniT)}</div>" if timb.dFeIniT else "",
            f"<div>Fin de vigencia: {fmt.day(timb.dFeFinT)}</div>" if timb.dFeFinT else "",
        )
        + f'<div class="doctitle">{e(title(view))}</div>'
        + f'<div class="docnum">N° {e(view.number)}</div>'
        + (f"<div>Serie {e(timb.dSerieNum)}</div>" if timb.dSerieNum else "")
    )
    return (
        '<table class="box head"><tr>'
        f'<td class="emisor">{logo}<div class="name">{e(emis.dNomEmi)}</div>{fantasy}{details}</td>'
        f'<td class="doc">{doc}</td></tr></table>'
    )


def _receptor_lines(view: RdeView) -> str:
    rec = view.gDatRec
    if rec.ruc:
        ident = _line("RUC", rec.ruc)
    elif rec.iTipIDRec == 5 or rec.dNumIDRec in (None, "0"):
        ident = _line("Documento de identidad", rec.dDTipIDRec or "Innominado")
    else:
        ident = _line(rec.dDTipIDRec or "Documento de identidad", rec.dNumIDRec)
    address = _join(_join(rec.dDirRec, _house(rec.dNumCasRec), sep=" "))
    place = _join(rec.dDesCiuRec, rec.dDesDepRec if rec.dDesDepRec != rec.dDesCiuRec else None)
    country = rec.dDesPaisRe if rec.cPaisRec and rec.cPaisRec != "PRY" else None
    return _stack(
        _line("Nombre o razón social", rec.dNomRec),
        ident,
        _line("Dirección", _join(address, place, country)),
        _line("Teléfono", _join(rec.dTelRec, rec.dCelRec, sep=" / ")),
        _line("Correo electrónico", rec.dEmailRec),
        _line("Código de cliente", rec.dCodCliente),
    )


def _operation_lines(view: RdeView) -> str:
    ope = view.gOpeCom
    cond = view.gDtipDE.gCamCond
    lines = [_line("Fecha y hora de emisión", fmt.moment(view.dFeEmiDE))]
    if cond is not None:
        lines.append(
            _line("Condición de venta", cond.dDCondOpe or ("Contado" if cond.iCondOpe == 1 else "Crédito"))
        )
    if ope is not None:
        lines.append(_line("Tipo de transacción", ope.dDesTipTra))
        currency = _join(ope.cMoneOpe, ope.dDesMoneOpe, sep=" - ")
        lines.append(_line("Moneda", currency))
        if view.currency != "PYG" and ope.dTiCam is not None:
            lines.append(_line("Tipo de cambio", fmt.number(ope.dTiCam, min_decimals=0)))
        if ope.dDesCondAnt:
            lines.append(_line("Anticipo", ope.dDesCondAnt))
    fe = view.gDtipDE.gCamFE
    if fe is not None:
        lines.append(_line("Indicador de presencia", fe.dDesIndPres))
        if fe.dFecEmNR:
            lines.append(_line("Fecha de emisión de la NR", fmt.day(fe.dFecEmNR)))
    gen = view.gCamGen
    if gen is not None:
        lines += [_line("Orden de compra", gen.dOrdCompra), _line("Orden de venta", gen.dOrdVta)]
        lines.append(_line("Asiento contable", gen.dAsiento))
    return _stack(*lines)


def _info_block(view: RdeView) -> str:
    return (
        '<table class="box info"><tr>'
        f'<td class="ope">{_operation_lines(view)}</td>'
        f'<td class="rec">{_receptor_lines(view)}</td>'
        "</tr></table>"
    )


def _asoc_text(asoc: GCamDEAsoc) -> str:
    kind = asoc.dDesTipDocAso or {1: "Electrónico", 2: "Impreso", 3: "Constancia electrónica"}.get(
        asoc.iTipDocAso or 0, ""
    )
    if asoc.dCdCDERef:
        blocks = " ".join(asoc.dCdCDERef[i : i + 4] for i in range(0, len(asoc.dCdCDERef), 4))
        return f"{kind} · CDC {blocks}"
    if asoc.printed_number:
        return _join(
            f"{kind} · {asoc.dDTipoDocAso or 'Documento'} N° {asoc.printed_number}",
            f"Timbrado {asoc.dNTimDI}" if asoc.dNTimDI else None,
            f"fecha {fmt.day(asoc.dFecEmiDI)}" if asoc.dFecEmiDI else None,
        )
    if asoc.iTipDocAso == 3 or asoc.dNumCons:
        return _join(
            f"{kind} · {asoc.dDesTipCons or 'Constancia'}",
            f"N° {asoc.dNumCons}" if asoc.dNumCons else None,
            f"control {asoc.dNumControl}" if asoc.dNumControl else None,
        )
    return _join(kind, asoc.dNumComRet, asoc.dNumResCF)


def _type_block(view: RdeView) -> str:
    dtip = view.gDtipDE
    parts: list[str] = []
    if dtip.gCamAE is not None:
        ae = dtip.gCamAE
        parts.append(
            '<div class="sub">Datos del vendedor</div>'
            + _stack(
                _line("Nombre", ae.dNomVen),
                _line(ae.dDTipIDVen or "Documento", ae.dNumIDVen),
                _line("Naturaleza", ae.dDesNatVen),
                _line(
                    "Dirección",
                    _join(_join(ae.dDirVen, ae.dNumCasVen, sep=" "), ae.dDesCiuVen, ae.dDesDepVen),
                ),
                _line("Lugar de la transacción", _join(ae.dDirProv, ae.dDesCiuProv, ae.dDesDepProv)),
            )
        )
    if dtip.gCamNCDE is not None:
        parts.append(_line("Motivo de emisión", dtip.gCamNCDE.dDesMotEmi))
    if dtip.gCamNRE is not None:
        nre = dtip.gCamNRE
        parts.append(
            '<div class="sub">Datos del traslado</div>'
            + _stack(
                _line("Motivo", nre.dDesMotEmiNR),
                _line("Responsable de la emisión", nre.dDesRespEmiNR),
                _line("Kilómetros estimados", fmt.quantity(nre.dKmR) if nre.dKmR is not None else None),
                _line("Fecha estimada de la factura", fmt.day(nre.dFecEm)),
            )
        )
    if view.gCamDEAsoc:
        label = "Documento asociado" if len(view.gCamDEAsoc) == 1 else "Documentos asociados"
        rows = _stack(*(f"<div>{e(_asoc_text(a))}</div>" for a in view.gCamDEAsoc))
        parts.append(f'<div class="sub">{label}</div>{rows}')
    transport = _transport_block(view)
    if transport:
        parts.append(transport)
    if not parts:
        return ""
    return f'<div class="box extra">{"".join(parts)}</div>'


def _transport_block(view: RdeView) -> str:
    tr = view.gDtipDE.gTransp
    if tr is None:
        return ""
    out = [
        _line(
            "Tipo / modalidad",
            _join(tr.dDesTipTrans, tr.dDesModTrans, sep=" / "),
        ),
        _line(
            "Responsable del flete",
            {1: "Emisor", 2: "Receptor", 3: "Tercero", 4: "Agente intermediario"}.get(tr.iRespFlete or 0),
        ),
        _line("Inicio / fin del traslado", _join(fmt.day(tr.dIniTras), fmt.day(tr.dFinTras), sep=" / ")),
        _line("Despacho de importación", tr.dNuDespImp),
        _line("Manifiesto", tr.dNuManif),
        _line("País de destino", tr.dDesPaisDest),
    ]
    if tr.gCamSal is not None:
        s = tr.gCamSal
        out.append(
            _line(
                "Salida", _join(_join(s.dDirLocSal, _house(s.dNumCasSal), sep=" "), s.dComp1Sal, s.dDesCiuSal)
            )
        )
    for ent in tr.gCamEnt:
        out.append(
            _line(
                "Entrega",
                _join(_join(ent.dDirLocEnt, _house(ent.dNumCasEnt), sep=" "), ent.dComp1Ent, ent.dDesCiuEnt),
            )
        )
    for veh in tr.gVehTras:
        out.append(
            _line("Vehículo", _join(veh.dTiVehTras, veh.dMarVeh, veh.dNroIDVeh, veh.dNroMatVeh, sep=" · "))
        )
    if tr.gCamTrans is not None:
        t = tr.gCamTrans
        ruc = (
            f"RUC {t.dRucTrans}-{t.dDVTrans}"
            if t.dRucTrans
            else _join(t.dDTipIDTrans, t.dNumIDTrans, sep=" ")
        )
        out.append(_line("Transportista", _join(t.dNomTrans, ruc, t.dDomFisc, sep=" · ")))
        out.append(
            _line("Chofer", _join(t.dNomChof, f"CI {t.dNumIDChof}" if t.dNumIDChof else None, sep=" · "))
        )
    return '<div class="sub">Transporte</div>' + _stack(*out)


# ------------------------------------------------------------------------------------------ items


def _item_column(item: GCamItem) -> str:
    """Which value-of-sale column the item total goes to: 'exe', '5' or '10' (MT v150 E731/E734)."""
    iva = item.gCamIVA
    if iva is None or iva.iAfecIVA in (2, 3):
        return "exe"
    return "5" if iva.dTasaIVA == 5 else "10"


def _has_iva(view: RdeView) -> bool:
    if any(item.gCamIVA is not None for item in view.items):
        return True
    tot = view.gTotSub
    return tot is not None and any(v is not None for v in (tot.dSub5, tot.dSub10, tot.dSubExe))


def _has_values(view: RdeView) -> bool:
    return view.gTotSub is not None or any(item.gValorItem is not None for item in view.items)


def _description(item: GCamItem) -> str:
    extra = []
    if item.dInfItem:
        extra.append(item.dInfItem)
    ras = item.gRasMerc
    if ras is not None:
        extra += [
            f"Lote {ras.dNumLote}" if ras.dNumLote else "",
            f"Vence {fmt.day(ras.dVencMerc)}" if ras.dVencMerc else "",
            f"Serie {ras.dNSerie}" if ras.dNSerie else "",
        ]
    iva = item.gCamIVA
    if iva is not None and iva.iAfecIVA == 4 and iva.dPropIVA is not None:
        extra.append(f"Gravado parcial {fmt.number(iva.dPropIVA)} %")
    detail = " · ".join(x for x in extra if x)
    small = f'<div class="small">{e(detail)}</div>' if detail else ""
    return f"{e(item.dDesProSer)}{small}"


def _quantity(item: GCamItem) -> str:
    """Quantity and unit in one cell ("12 UNI"): one text run instead of two cells (MT v150 E711
    dCantProSer, E710 dDesUniMed)."""
    return e(_join(fmt.quantity(item.dCantProSer), item.dDesUniMed, sep=" "))


def _subtotals(view: RdeView) -> dict[str, Decimal]:
    """Subtotals per column from gTotSub (MT v150 F002-F005), falling back to the sum of the items."""
    sums = {"exe": Decimal(0), "5": Decimal(0), "10": Decimal(0)}
    for item in view.items:
        sums[_item_column(item)] += item.total or 0
    tot = view.gTotSub
    if tot is not None and any(v is not None for v in (tot.dSubExe, tot.dSubExo, tot.dSub5, tot.dSub10)):
        return {
            "exe": (tot.dSubExe or Decimal(0)) + (tot.dSubExo or Decimal(0)),
            "5": tot.dSub5 or Decimal(0),
            "10": tot.dSub10 or Decimal(0),
        }
    return sums


def _items_table(view: RdeView, opts: KudeOptions) -> str:
    cur = view.currency
    values = _has_values(view)
    iva = values and _has_iva(view)
    if opts.format == "ticket":
        return _items_ticket(view, values=values)
    discounts = values and any(item.discount for item in view.items)
    head = '<th class="c-code">Código</th><th class="c-desc">Descripción</th><th class="c-num">Cantidad</th>'
    if values:
        head += '<th class="c-num">Precio unitario</th>'
    if discounts:
        head += '<th class="c-num">Descuento</th>'
    if iva:
        head += '<th class="c-val">Exentas</th><th class="c-val">5%</th><th class="c-val">10%</th>'
    elif values:
        head += '<th class="c-val">Valor de venta</th>'
    group = ""
    if iva:
        group = (
            f'<tr class="grp"><th colspan="{4 + discounts}"></th><th colspan="3">Valor de venta '
            f"({e(cur)})</th></tr>"
        )
    rows = []
    for item in view.items:
        cells = (
            f'<td class="c-code">{e(item.dCodInt)}</td><td class="c-desc">{_description(item)}</td>'
            f'<td class="c-num">{_quantity(item)}</td>'
        )
        if values:
            cells += (
                f'<td class="c-num">{fmt.number(item.unit_price, min_decimals=0 if cur == "PYG" else 2)}</td>'
            )
        if discounts:
            cells += f'<td class="c-num">{fmt.amount(item.discount, cur) if item.discount else "0"}</td>'
        if iva:
            column = _item_column(item)
            for key in ("exe", "5", "10"):
                cells += f'<td class="c-val">{fmt.amount(item.total, cur) if key == column else ""}</td>'
        elif values:
            cells += f'<td class="c-val">{fmt.amount(item.total, cur)}</td>'
        rows.append(f"<tr>{cells}</tr>")
    cols = ["code", "desc", "qty"] + (["price"] if values else []) + (["disc"] if discounts else [])
    cols += ["val", "val", "val"] if iva else (["val"] if values else [])
    colgroup = "".join(f'<col class="c-{c}"/>' for c in cols)
    sums = _sum_rows(view, len(cols), iva=iva) if values else ""
    return (
        f'<table class="items"><colgroup>{colgroup}</colgroup><thead>{group}<tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>{sums}</table>"
    )


def _sum_rows(view: RdeView, ncols: int, *, iva: bool) -> str:
    """Subtotals, totals and liquidación del IVA as the last rows of the A4 items table, so they line
    up with the value columns and come after the last item (MT v150 §13: totals on the last page)."""
    cur = view.currency
    tot = view.gTotSub or GTotSub()
    sub = _subtotals(view)
    span = ncols - 3 if iva else ncols - 1
    vspan = 3 if iva else 1

    def row(label: str, value: str, cls: str = "") -> str:
        klass = f' class="{cls}"' if cls else ""
        return f'<tr{klass}><th colspan="{span}">{e(label)}</th><td colspan="{vspan}">{value}</td></tr>'

    out = []
    if iva:
        out.append(
            f'<tr class="sub"><th colspan="{span}">Subtotal</th><td>{fmt.amount(sub["exe"], cur)}</td>'
            f"<td>{fmt.amount(sub['5'], cur)}</td><td>{fmt.amount(sub['10'], cur)}</td></tr>"
        )
    total_ope = tot.dTotOpe if tot.dTotOpe is not None else sum(sub.values(), Decimal(0))
    out.append(row("Total de la operación", fmt.money(total_ope, cur)))
    discount = tot.dDescTotal or tot.dTotDesc
    if discount:
        out.append(row("Descuentos", fmt.money(discount, cur)))
    if tot.dAnticipo:
        out.append(row("Anticipos", fmt.money(tot.dAnticipo, cur)))
    if tot.dRedon:
        out.append(row("Redondeo", fmt.money(tot.dRedon, cur)))
    if tot.dComi:
        out.append(row("Comisión", fmt.money(tot.dComi, cur)))
    general = tot.dTotGralOpe if tot.dTotGralOpe is not None else total_ope
    out.append(row(f"Total a pagar ({cur})", fmt.money(general, cur), "grand"))
    if cur != "PYG" and tot.dTotalGs is not None:
        out.append(row("Total en guaraníes", fmt.money(tot.dTotalGs, "PYG")))
    if iva and view.iTiDE != 4:
        iva5 = tot.dIVA5 if tot.dIVA5 is not None else Decimal(0)
        iva10 = tot.dIVA10 if tot.dIVA10 is not None else Decimal(0)
        total_iva = tot.dTotIVA if tot.dTotIVA is not None else iva5 + iva10
        out.append(
            f'<tr class="liq"><th colspan="{span}">Liquidación del IVA</th>'
            f"<td>5%: {fmt.amount(iva5, cur)}</td><td>10%: {fmt.amount(iva10, cur)}</td>"
            f'<td class="b">Total: {fmt.amount(total_iva, cur)}</td></tr>'
        )
    return f'<tbody class="sums">{"".join(out)}</tbody>'


def _items_ticket(view: RdeView, *, values: bool) -> str:
    cur = view.currency
    rows = []
    for item in view.items:
        code = f"{e(item.dCodInt)} " if item.dCodInt else ""
        line = f'<div class="it"><div class="d">{code}{_description(item)}</div>'
        if values:
            rate = item.gCamIVA
            tag = ""
            if rate is not None:
                tag = "Exenta" if _item_column(item) == "exe" else f"IVA {rate.dTasaIVA}%"
            line += (
                f'<div class="q"><span>{_quantity(item)} x '
                f"{fmt.number(item.unit_price, min_decimals=0 if cur == 'PYG' else 2)}"
                + (f" - desc. {fmt.amount(item.discount, cur)}" if item.discount else "")
                + f'</span><span class="t">{fmt.amount(item.total, cur)} <small>{tag}</small></span></div>'
            )
        else:
            line += f'<div class="q"><span>{_quantity(item)}</span></div>'
        rows.append(line + "</div>")
    return f'<div class="items-ticket">{"".join(rows)}</div>'


# ------------------------------------------------------------------------------------------ totals


def _row(label: str, value: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f"<tr{klass}><th>{e(label)}</th><td>{value}</td></tr>"


def _totals(view: RdeView, opts: KudeOptions) -> str:
    """Totals of the ticket (on A4 they are rows of the items table, see ``_sum_rows``)."""
    if opts.format != "ticket" or not _has_values(view):
        return ""
    cur = view.currency
    tot = view.gTotSub or GTotSub()
    sub = _subtotals(view)
    parts: list[str] = []
    if _has_iva(view):
        parts.append(
            '<table class="subtot"><tr><th>Subtotal</th>'
            f"<td>{fmt.amount(sub['exe'], cur)}</td><td>{fmt.amount(sub['5'], cur)}</td>"
            f"<td>{fmt.amount(sub['10'], cur)}</td></tr></table>"
        )
    total_ope = tot.dTotOpe if tot.dTotOpe is not None else sum(sub.values(), Decimal(0))
    rows = [_row("Total de la operación", fmt.money(total_ope, cur))]
    discount = tot.dDescTotal or tot.dTotDesc
    if discount:
        rows.append(_row("Descuentos", fmt.money(discount, cur)))
    if tot.dAnticipo:
        rows.append(_row("Anticipos", fmt.money(tot.dAnticipo, cur)))
    if tot.dRedon:
        rows.append(_row("Redondeo", fmt.money(tot.dRedon, cur)))
    if tot.dComi:
        rows.append(_row("Comisión", fmt.money(tot.dComi, cur)))
    general = tot.dTotGralOpe if tot.dTotGralOpe is not None else total_ope
    rows.append(_row(f"Total a pagar ({cur})", fmt.money(general, cur), "grand"))
    if cur != "PYG" and tot.dTotalGs is not None:
        rows.append(_row("Total en guaraníes", fmt.money(tot.dTotalGs, "PYG")))
    parts.append(f'<table class="totals">{"".join(rows)}</table>')
    if _has_iva(view) and view.iTiDE != 4:
        iva5 = tot.dIVA5 if tot.dIVA5 is not None else Decimal(0)
        iva10 = tot.dIVA10 if tot.dIVA10 is not None else Decimal(0)
        total_iva = tot.dTotIVA if tot.dTotIVA is not None else iva5 + iva10
        parts.append(
            '<table class="liq"><tr><th>Liquidación del IVA</th>'
            f"<td>5%: {fmt.amount(iva5, cur)}</td><td>10%: {fmt.amount(iva10, cur)}</td>"
            f'<td class="b">Total: {fmt.amount(total_iva, cur)}</td></tr></table>'
        )
    return f'<div class="totals-block">{"".join(parts)}</div>'


def _recibo_docs(view: RdeView) -> str:
    """Recibo digital of docs/recibo_v1.xsd: concept, documents paid with the amount applied, total."""
    rec = view.gCamRec
    if rec is None:
        return ""
    cur = view.currency
    retained = any(d.dMonRetIVA is not None or d.dMonRetRenta is not None for d in view.gDocRec)

    def cells(d: GDocRec) -> str:
        out = f'<td>{e(_asoc_text(d))}</td><td class="c-val">{fmt.amount(d.dMonApl, cur)}</td>'
        if retained:
            for value in (d.dMonRetIVA, d.dMonRetRenta):
                out += f'<td class="c-val">{fmt.amount(value, cur) if value is not None else ""}</td>'
        return out

    rows = "".join(f"<tr>{cells(d)}</tr>" for d in view.gDocRec)
    extra_cols = '<col class="c-val"/><col class="c-val"/>' if retained else ""
    extra_heads = (
        '<th class="c-val">Retención IVA</th><th class="c-val">Retención renta</th>' if retained else ""
    )
    docs = (
        f'<table class="items recibo"><colgroup><col/><col class="c-val"/>{extra_cols}</colgroup><thead><tr>'
        f'<th>Documento pagado</th><th class="c-val">Monto aplicado</th>{extra_heads}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    total = (
        f'<table class="totals"><tr class="grand"><th>Total recibido ({e(cur)})</th>'
        f"<td>{fmt.money(rec.dTotRec, cur)}</td></tr></table>"
    )
    if cur != "PYG" and rec.dTotalGs is not None:
        total = total.replace(
            "</table>", f"<tr><th>Total en guaraníes</th><td>{fmt.money(rec.dTotalGs)}</td></tr></table>"
        )
    return f'<div class="box extra">{_line("Concepto", rec.dConc)}</div>{docs}{total}'


def _recibo_block(view: RdeView) -> str:
    payments = view.gDtipDE.gCamRDE
    if not payments:
        return _recibo_docs(view)
    cur = view.currency
    rows = "".join(
        f"<tr><td>{e(p.dDesForPag)}</td><td>{e(p.dNumTrans)}</td><td>{e(p.dConc)}</td>"
        f"<td>{e(_join(p.dNomEntFin, f'RUC {p.dRucEntFin}-{p.dDvEntFin}' if p.dRucEntFin else None))}</td>"
        f'<td class="c-val">{fmt.amount(p.dImpPag, cur)}</td></tr>'
        for p in payments
    )
    total = sum((p.dImpPag or Decimal(0) for p in payments), Decimal(0))
    return (
        '<table class="items recibo"><thead><tr><th>Forma de pago</th><th>Transacción</th><th>Concepto</th>'
        f'<th>Entidad</th><th class="c-val">Importe</th></tr></thead><tbody>{rows}</tbody></table>'
        f'<table class="totals"><tr class="grand"><th>Total recibido ({e(cur)})</th>'
        f"<td>{fmt.money(total, cur)}</td></tr></table>"
    )


def _condition_block(view: RdeView) -> str:
    cond = view.gDtipDE.gCamCond
    if cond is None:
        return ""
    cur = view.currency
    out = []
    cuotas = ""
    for pay in cond.gPaConEIni:
        detail = _join(
            pay.dDesTiPag,
            pay.gPagTarCD.dDesDenTarj if pay.gPagTarCD else None,
            f"cheque {pay.gPagCheq.dNumCheq} {pay.gPagCheq.dBcoEmi or ''}".strip() if pay.gPagCheq else None,
            sep=" · ",
        )
        out.append(f"<div>{e(detail)}: {fmt.money(pay.dMonTiPag, pay.cMoneTiPag or cur)}</div>")
    cred = cond.gPagCred
    if cred is not None:
        if cred.dPlazoCre:
            out.append(_line("Plazo", cred.dPlazoCre))
        if cred.dMonEnt:
            out.append(_line("Entrega inicial", fmt.money(cred.dMonEnt, cur)))
        if cred.gCuotas:
            rows = "".join(
                f"<tr><td>{n}</td><td>{fmt.day(c.dVencCuo)}</td>"
                f'<td class="c-val">{fmt.money(c.dMonCuota, c.cMoneCuo or cur)}</td></tr>'
                for n, c in enumerate(cred.gCuotas, start=1)
            )
            cuotas = (
                f'<div class="sub">Cuotas ({len(cred.gCuotas)})</div><table class="cuotas"><thead><tr>'
                "<th>N°</th><th>Vencimiento</th><th"
                f' class="c-val">Monto</th></tr></thead><tbody>{rows}</tbody></table>'
            )
        elif cred.dCuotas:
            out.append(_line("Cuotas", cred.dCuotas))
    if not out and not cuotas:
        return ""
    label = cond.dDCondOpe or ("Contado" if cond.iCondOpe == 1 else "Crédito")
    return f'<div class="box cond"><div class="sub">Condición: {e(label)}</div>{_stack(*out)}{cuotas}</div>'


# ------------------------------------------------------------------------------------------ footer


def _footer(view: RdeView, environment: Environment) -> str:
    qr = view.dCarQR
    if qr is None and view.gCamRec is not None:
        # the recibo digital is never sent to SIFEN: no QR and nothing to consult there
        cdc = e(" ".join(view.cdc_blocks))
        return (
            f'<div class="box foot"><div class="cdc">CDC: {cdc}</div>'
            "<div>Recibo digital emitido por sistema de facturación electrónica; "
            "no se envía a la SET.</div></div>"
        )
    img = (
        f'<img class="qr" src="{qr_png_data_uri(qr)}" alt="QR"/>'
        if qr
        else '<div class="qr noqr">QR no disponible</div>'
    )
    cdc = e(" ".join(view.cdc_blocks))  # one text run with its label: each run costs layout time
    kind = title(view).capitalize()
    article = "este" if kind.startswith(("Recibo", "Comprobante", "Documento")) else "esta"
    infos = [
        f'<div class="adic">{e(text)}</div>'
        for text in (
            view.gCamFuFD.dInfAdic if view.gCamFuFD else None,
            view.gOpeDE.dInfoEmi if view.gOpeDE else None,
        )
        if text
    ]
    return (
        '<table class="box foot"><tr>'
        f'<td class="qrcell">{img}</td>'
        '<td class="consulta">'
        + _stack(
            f"<div>Consulte la validez de {article} {e(kind)} con el número de CDC impreso abajo en:</div>",
            f'<div><b class="url">{e(consulta_url(view, environment))}</b></div>',
        )
        + f'<div class="cdc">CDC: {cdc}</div>'
        '<div class="rep">ESTE DOCUMENTO ES UNA'
        " REPRESENTACIÓN GRÁFICA DE UN DOCUMENTO ELECTRÓNICO (XML)</div>"
        "<div>Si su documento electrónico presenta algún"
        " error, puede solicitar su modificación dentro de las "
        "72 horas siguientes a su emisión.</div>"
        f"{''.join(infos)}</td></tr></table>"
    )


# ------------------------------------------------------------------------------------------ page


def kude_body(view: RdeView, opts: KudeOptions) -> str:
    """The ``<section>`` of one KuDE (several can share one HTML document in a batch)."""
    environment = opts.environment or infer_environment(view)
    variant = {1: "fe", 4: "afe", 5: "nc", 6: "nd", 7: "nr"}.get(
        view.iTiDE, "recibo" if is_recibo(view) else "de"
    )
    parts: Iterable[str] = (
        _running_header(view),
        _legend(environment),
        _emisor_block(view, opts),
        _info_block(view),
        _type_block(view),
        _recibo_block(view),
        _items_table(view, opts) if view.items else "",
        _totals(view, opts),
        _condition_block(view),
        _footer(view, environment),
        _legend(environment) if opts.format == "a4" else "",
    )
    return f'<section class="kude {variant}">{"".join(parts)}</section>'


def kude_document(views: Iterable[RdeView], opts: KudeOptions) -> str:
    sections = "".join(kude_body(v, opts) for v in views)
    head = '<head><meta charset="utf-8"/><title>KuDE</title></head>'
    return f'<html lang="es">{head}<body class="{opts.format}">{sections}</body></html>'
