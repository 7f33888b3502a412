"""Totals re-computed from the items (MT v150 groups E8 and F, NT13) by the engine's
``sifenflow_common.sifen.totals_check.totals_mismatches``.

That function takes the lenient reader's ``RdeView``; building the full view with
``sifen.xml_read.read_rde`` cost more than half of a DE's verification, so ``amounts_view`` builds
the same view types holding only what the re-computation reads (gTimb/iTiDE, gOpeCom currency and
tax, each item's price, quantity, discounts and IVA data, gTotSub), straight from the schema-valid
tree. ``read_rde`` stays the fallback when no tree is at hand. The first mismatch rejects the DE.

Codes are the simulator's (UNCERTAIN, SIFEN's are not in the digest): 1900 for an item's amounts
(the digest's "1900-1999 IVA per item" range), 2000 for gTotSub. Tolerance is the engine module's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from sifenflow_common.sifen import rde_view as rv
from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.soap import ResultMessage
from sifenflow_common.sifen.totals_check import totals_mismatches
from sifenflow_common.sifen.xml_read import XmlReadError, read_rde
from sifenflow_sifen_sim.checks import CheckContext

ITEM_CODE = "1900"
TOTALS_CODE = "2000"
_S = "{" + SIFEN_NS + "}"
_TOT_SUB_FIELDS = tuple(rv.GTotSub.__dataclass_fields__)


def _children(parent: etree._Element | None) -> dict[str, str]:
    """Local name → text of the SIFEN-namespace children of ``parent`` (first occurrence wins):
    one pass over the children instead of one search per field."""
    values: dict[str, str] = {}
    if parent is not None:
        for child in parent.iterchildren(_S + "*"):
            name = child.tag[len(_S) :]
            if name not in values:
                values[name] = child.text or ""
    return values


def _dec(values: dict[str, str], name: str) -> Decimal | None:
    value = values.get(name)
    if value is None or not value.strip():
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None


def _int(values: dict[str, str], name: str) -> int | None:
    value = _dec(values, name)
    return int(value) if value is not None else None


def amounts_view(rde: etree._Element, itide: int) -> rv.RdeView | None:
    """An ``RdeView`` with just the inputs of ``totals_mismatches`` (None when an item lacks them)."""
    items = []
    for element in rde.iter(_S + "gCamItem"):
        valor = element.find(_S + "gValorItem")
        quantity = _dec(_children(element), "dCantProSer")
        if valor is None or quantity is None:
            return None
        prices = _children(valor)
        resta_element = valor.find(_S + "gValorRestaItem")
        iva_element = element.find(_S + "gCamIVA")
        resta, iva = _children(resta_element), _children(iva_element)
        items.append(
            rv.GCamItem(
                dDesProSer="",
                dCantProSer=quantity,
                gValorItem=rv.GValorItem(
                    dPUniProSer=_dec(prices, "dPUniProSer"),
                    dTiCamIt=_dec(prices, "dTiCamIt"),
                    gValorRestaItem=None
                    if resta_element is None
                    else rv.GValorRestaItem(
                        dDescItem=_dec(resta, "dDescItem"),
                        dDescGloItem=_dec(resta, "dDescGloItem"),
                        dAntPreUniIt=_dec(resta, "dAntPreUniIt"),
                        dAntGloPreUniIt=_dec(resta, "dAntGloPreUniIt"),
                        dTotOpeItem=_dec(resta, "dTotOpeItem"),
                    ),
                ),
                gCamIVA=None
                if iva_element is None
                else rv.GCamIVA(
                    iAfecIVA=_int(iva, "iAfecIVA"),
                    dPropIVA=_dec(iva, "dPropIVA"),
                    dTasaIVA=_int(iva, "dTasaIVA"),
                    dBasGravIVA=_dec(iva, "dBasGravIVA"),
                    dLiqIVAItem=_dec(iva, "dLiqIVAItem"),
                    dBasExe=_dec(iva, "dBasExe"),
                ),
            )
        )
    ope_element = rde.find(f".//{_S}gOpeCom")
    sub_element = rde.find(f".//{_S}gTotSub")
    ope, sub = _children(ope_element), _children(sub_element)
    return rv.RdeView(
        Id="",
        gTimb=rv.GTimb(iTiDE=itide, dNumTim="", dEst="", dPunExp="", dNumDoc=""),
        gDatGralOpe=rv.GDatGralOpe(
            dFeEmiDE=datetime.min,
            gEmis=rv.GEmis(dRucEm="", dNomEmi=""),
            gDatRec=rv.GDatRec(iNatRec=0, dNomRec=""),
            gOpeCom=None
            if ope_element is None
            else rv.GOpeCom(
                iTImp=_int(ope, "iTImp"), cMoneOpe=ope.get("cMoneOpe"), dTiCam=_dec(ope, "dTiCam")
            ),
        ),
        gDtipDE=rv.GDtipDE(gCamItem=tuple(items)),
        gTotSub=None if sub_element is None else rv.GTotSub(**{n: _dec(sub, n) for n in _TOT_SUB_FIELDS}),
    )


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def check_totals(ctx: CheckContext) -> ResultMessage | None:
    if ctx.fields.itide == 7:
        return None  # NRE has no gTotSub
    view = amounts_view(ctx.rde, ctx.fields.itide) if ctx.rde is not None else None
    if view is None:
        try:
            view = read_rde(ctx.xml)
        except XmlReadError:
            return None  # structure is the schema check's job
    mismatches = totals_mismatches(view)
    if not mismatches:
        return None
    first = mismatches[0]
    if first.field.startswith("gCamItem["):
        index = int(first.field[len("gCamItem[") : first.field.index("]")]) + 1
        name = first.field.rsplit(".", 1)[-1]
        return ResultMessage(
            ITEM_CODE,
            f"{name} del ítem {index}: {_fmt(first.declared)} distinto del calculado {_fmt(first.expected)}",
        )
    return ResultMessage(
        TOTALS_CODE, f"{first.field}: {_fmt(first.declared)} distinto del calculado {_fmt(first.expected)}"
    )
