"""Recompute a received DE's item amounts and totals and list what does not match (simulator).

Input is the reader's ``RdeView``; the formulas are those of ``totals`` (MT v150 §E8, §F, NT13).
Per-unit global discounts/advances are taken as written (EA004/EA007), so no spreading happens.
Differences up to ``tolerance`` (default: 1 guaraní in PYG, 0.0001 otherwise) are accepted,
because other issuers round intermediate values differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sifenflow_common.sifen import totals as tot
from sifenflow_common.sifen.rde_view import RdeView
from sifenflow_common.sifen.rounding import HUNDRED, PYG, ZERO

_TOTAL_FIELDS: Final = (
    "dSubExe",
    "dSubExo",
    "dSub5",
    "dSub10",
    "dTotOpe",
    "dTotDesc",
    "dTotDescGlotem",
    "dTotAntItem",
    "dTotAnt",
    "dDescTotal",
    "dAnticipo",
    "dIVA5",
    "dIVA10",
    "dTotIVA",
    "dBaseGrav5",
    "dBaseGrav10",
    "dTBasGraIVA",
)
_ITEM_FIELDS: Final = ("dTotOpeItem", "dBasGravIVA", "dLiqIVAItem", "dBasExe")


@dataclass(frozen=True, slots=True)
class TotalsMismatch:
    field: str  # XSD name, e.g. "dTotGralOpe" or "gCamItem[2].dLiqIVAItem"
    declared: Decimal
    expected: Decimal


def recompute(view: RdeView) -> tuple[list[tot.ItemAmounts], tot.Totals] | None:
    """Item amounts and totals recomputed from the prices, quantities and IVA data of ``view``.

    None for documents without values (NRE) or with an item lacking a price.
    """
    if view.gTotSub is None:
        return None
    ope = view.gDatGralOpe.gOpeCom
    moneda = (ope.cMoneOpe if ope and ope.cMoneOpe else PYG).upper()
    afe = view.gTimb.iTiDE == 4
    amounts: list[tot.ItemAmounts] = []
    for item in view.gDtipDE.gCamItem:
        valor = item.gValorItem
        if valor is None or valor.dPUniProSer is None:
            return None
        resta = valor.gValorRestaItem
        iva = item.gCamIVA
        amounts.append(
            tot.item_amounts(
                tot.ItemInput(
                    precio_unitario=valor.dPUniProSer,
                    cantidad=item.dCantProSer,
                    afectacion=iva.iAfecIVA if iva and iva.iAfecIVA else tot.EXENTO,
                    proporcion=iva.dPropIVA if iva and iva.dPropIVA is not None else HUNDRED,
                    tasa=iva.dTasaIVA if iva and iva.dTasaIVA is not None else 0,
                    descuento=(resta.dDescItem or ZERO) if resta else ZERO,
                    descuento_global=(resta.dDescGloItem or ZERO) if resta else ZERO,
                    anticipo=(resta.dAntPreUniIt or ZERO) if resta else ZERO,
                    anticipo_global=(resta.dAntGloPreUniIt or ZERO) if resta else ZERO,
                    cambio=valor.dTiCamIt,
                ),
                moneda,
                autofactura=afe,
            )
        )
    totals = tot.document_totals(
        amounts,
        moneda=moneda,
        tipo_impuesto=ope.iTImp if ope and ope.iTImp else 1,
        cambio=ope.dTiCam if ope else None,
        autofactura=afe,
    )
    return amounts, totals


def totals_mismatches(view: RdeView, tolerance: Decimal | None = None) -> list[TotalsMismatch]:
    """Every item amount and gTotSub value that differs from the recomputation by more than
    ``tolerance``. ``dTotGralOpe`` is checked as ``dTotOpe − dRedon (+ dComi)`` (F014)."""
    result = recompute(view)
    if result is None:
        return []
    amounts, expected = result
    declared = view.gTotSub
    assert declared is not None
    ope = view.gDatGralOpe.gOpeCom
    moneda = (ope.cMoneOpe if ope and ope.cMoneOpe else PYG).upper()
    tol = tolerance if tolerance is not None else (Decimal(1) if moneda == PYG else Decimal("0.0001"))
    out: list[TotalsMismatch] = []
    for idx, (item, am) in enumerate(zip(view.gDtipDE.gCamItem, amounts, strict=True)):
        resta = item.gValorItem.gValorRestaItem if item.gValorItem else None
        values = {
            "dTotOpeItem": resta.dTotOpeItem if resta else None,
            "dBasGravIVA": item.gCamIVA.dBasGravIVA if item.gCamIVA else None,
            "dLiqIVAItem": item.gCamIVA.dLiqIVAItem if item.gCamIVA else None,
            "dBasExe": item.gCamIVA.dBasExe if item.gCamIVA else None,
        }
        for name in _ITEM_FIELDS:
            value = values[name]
            want = getattr(am, name)
            if value is not None and abs(value - want) > tol:
                out.append(TotalsMismatch(f"gCamItem[{idx}].{name}", value, want))
    slack = tol * max(1, len(amounts))  # sums of rounded items may drift by one unit per item
    for name in _TOTAL_FIELDS:
        value = getattr(declared, name, None)
        want = getattr(expected, name)
        if value is not None and want is not None and abs(value - want) > slack:
            out.append(TotalsMismatch(name, value, want))
    if declared.dTotGralOpe is not None and declared.dTotOpe is not None:
        general = declared.dTotOpe - (declared.dRedon or ZERO) + (declared.dComi or ZERO)
        if abs(declared.dTotGralOpe - general) > tol:
            out.append(TotalsMismatch("dTotGralOpe", declared.dTotGralOpe, general))
    return out
