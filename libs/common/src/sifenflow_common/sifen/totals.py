"""Item amounts, IVA and document totals exactly per MT v150 + NT13 (sifen-protocol.md §8.4-8.5).

Pure functions on ``Decimal``; usable on their own (the simulator recomputes totals of a received
DE with them). Formulas, with EA008 = dTotOpeItem, E733 = dPropIVA, E734 = dTasaIVA:

* EA008 = (dPUniProSer − dDescItem − dDescGloItem − dAntPreUniIt − dAntGloPreUniIt) × dCantProSer
  (AFE: dPUniProSer × dCantProSer)
* iAfecIVA 1: dBasGravIVA = EA008 × (E733/100) / (1 + E734/100); dBasExe = 0
* iAfecIVA 4 (NT13): dBasGravIVA = 100·EA008·E733 / (10000 + E734·E733);
  dBasExe = 100·EA008·(100 − E733) / (10000 + E734·E733)
* dLiqIVAItem = dBasGravIVA × E734 / 100; iAfecIVA 2/3: all three are 0
* Totals: dSubExe = Σ EA008 (exento) + Σ dBasExe (gravado parcial); dSubExo = Σ EA008 (exonerado);
  dSub5 / dSub10 = Σ EA008 (gravado) + Σ (EA008 − dBasExe) (gravado parcial) per rate; so that
  dTotOpe = dSubExe + dSubExo + dSub5 + dSub10 = Σ EA008 always holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from sifenflow_common.sifen.rounding import HUNDRED, PYG, ZERO, amount_decimals, q, redondeo

GRAVADO: Final = 1
EXONERADO: Final = 2
EXENTO: Final = 3
GRAVADO_PARCIAL: Final = 4
_TEN_THOUSAND: Final = Decimal(10000)
_RATES: Final = {5: Decimal(5), 10: Decimal(10)}
_STEP_PYG: Final = Decimal(1)  # quantum of amount_decimals("PYG") == 0
_STEP_FOREIGN: Final = Decimal("0.00000001")  # 8 decimals for any other currency


# ItemInput / ItemAmounts are not frozen only because frozen dataclasses pay object.__setattr__
# per field at construction (hot path: one of each per item); treat them as immutable.
@dataclass(slots=True)
class ItemInput:
    """What determines an item's amounts (per-unit values, tax included, operation currency)."""

    precio_unitario: Decimal
    cantidad: Decimal
    afectacion: int = GRAVADO  # iAfecIVA
    proporcion: Decimal = HUNDRED  # dPropIVA
    tasa: int = 10  # dTasaIVA
    descuento: Decimal = ZERO  # dDescItem, per unit
    descuento_global: Decimal = ZERO  # dDescGloItem, per unit
    anticipo: Decimal = ZERO  # dAntPreUniIt, per unit
    anticipo_global: Decimal = ZERO  # dAntGloPreUniIt, per unit
    cambio: Decimal | None = None  # dTiCamIt when the exchange rate is per item


@dataclass(slots=True)
class ItemAmounts:
    dTotBruOpeItem: Decimal
    dPorcDesIt: Decimal
    dTotOpeItem: Decimal
    dTotOpeGs: Decimal | None
    dBasGravIVA: Decimal
    dLiqIVAItem: Decimal
    dBasExe: Decimal
    # carried from the input, for the totals
    afectacion: int
    tasa: int
    descuento_total: Decimal  # dDescItem × cantidad
    descuento_global_total: Decimal  # dDescGloItem × cantidad
    anticipo_total: Decimal
    anticipo_global_total: Decimal


def item_amounts(item: ItemInput, moneda: str = PYG, *, autofactura: bool = False) -> ItemAmounts:
    """Amounts of one item (E8.1 / E8.2 / E8.1.1)."""
    # q() inlined (hot path: one call per item): quantize HALF_UP to the currency's decimals
    step = _STEP_PYG if moneda == PYG else _STEP_FOREIGN
    price = item.precio_unitario
    qty = item.cantidad
    bruto = (price * qty).quantize(step, rounding=ROUND_HALF_UP)
    descuento = item.descuento
    if autofactura:
        net_unit = price
    else:
        net_unit = price - descuento - item.descuento_global - item.anticipo - item.anticipo_global
    total = (net_unit * qty).quantize(step, rounding=ROUND_HALF_UP)
    porc = q(descuento * HUNDRED / price, 8) if descuento and price else ZERO
    total_gs = q(total * item.cambio, 0) if item.cambio is not None else None
    base = liq = exe = ZERO
    afectacion = item.afectacion
    if afectacion in (GRAVADO, GRAVADO_PARCIAL):
        rate = _RATES.get(item.tasa) or Decimal(item.tasa)
        prop = item.proporcion
        if afectacion == GRAVADO:
            # EA008 × (E733/100) / (1 + E734/100) == EA008 × E733 / (100 + E734)
            base = (total * prop / (HUNDRED + rate)).quantize(step, rounding=ROUND_HALF_UP)
        else:
            denominator = _TEN_THOUSAND + rate * prop
            base = (HUNDRED * total * prop / denominator).quantize(step, rounding=ROUND_HALF_UP)
            exe = (HUNDRED * total * (HUNDRED - prop) / denominator).quantize(step, rounding=ROUND_HALF_UP)
        liq = (base * rate / HUNDRED).quantize(step, rounding=ROUND_HALF_UP)
    return ItemAmounts(
        dTotBruOpeItem=bruto,
        dPorcDesIt=porc,
        dTotOpeItem=total,
        dTotOpeGs=total_gs,
        dBasGravIVA=base,
        dLiqIVAItem=liq,
        dBasExe=exe,
        afectacion=afectacion,
        tasa=item.tasa,
        descuento_total=(descuento * qty).quantize(step, rounding=ROUND_HALF_UP) if descuento else ZERO,
        descuento_global_total=(
            (item.descuento_global * qty).quantize(step, rounding=ROUND_HALF_UP)
            if item.descuento_global
            else ZERO
        ),
        anticipo_total=(
            (item.anticipo * qty).quantize(step, rounding=ROUND_HALF_UP) if item.anticipo else ZERO
        ),
        anticipo_global_total=(
            (item.anticipo_global * qty).quantize(step, rounding=ROUND_HALF_UP)
            if item.anticipo_global
            else ZERO
        ),
    )


def spread_global(amount: Decimal, items: Sequence[ItemInput], moneda: str = PYG) -> list[Decimal]:
    """Per-unit share of a global discount/advance (EA004 / EA007) for each item.

    The amount is split in proportion to each item's value after its own discount
    ((dPUniProSer − dDescItem) × dCantProSer); the last item with value takes the remainder so
    the shares (per unit × quantity) add up to the amount. Per-unit values keep 8 decimals.
    """
    decimals = amount_decimals(moneda)
    values = [(i.precio_unitario - i.descuento) * i.cantidad for i in items]
    base = sum(values, ZERO)
    if not amount or base <= 0:
        return [ZERO] * len(items)
    last = max(idx for idx, v in enumerate(values) if v > 0)
    out: list[Decimal] = []
    assigned = ZERO
    for idx, (item, value) in enumerate(zip(items, values, strict=True)):
        if value <= 0:
            out.append(ZERO)
            continue
        share = amount - assigned if idx == last else q(amount * value / base, decimals)
        assigned += share
        out.append(q(share / item.cantidad, 8))
    return out


@dataclass(frozen=True, slots=True)
class Totals:
    """Group F (gTotSub) values; ``None`` = element not emitted for this document."""

    dSubExe: Decimal | None
    dSubExo: Decimal | None
    dSub5: Decimal | None
    dSub10: Decimal | None
    dTotOpe: Decimal
    dTotDesc: Decimal
    dTotDescGlotem: Decimal
    dTotAntItem: Decimal
    dTotAnt: Decimal
    dPorcDescTotal: Decimal
    dDescTotal: Decimal
    dAnticipo: Decimal
    dRedon: Decimal
    dTotGralOpe: Decimal
    dIVA5: Decimal | None
    dIVA10: Decimal | None
    dLiqTotIVA5: Decimal | None
    dLiqTotIVA10: Decimal | None
    dTotIVA: Decimal | None
    dBaseGrav5: Decimal | None
    dBaseGrav10: Decimal | None
    dTBasGraIVA: Decimal | None
    dTotalGs: Decimal | None

    def as_dict(self) -> dict[str, Decimal | None]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def document_totals(
    items: Sequence[ItemAmounts],
    *,
    moneda: str = PYG,
    tipo_impuesto: int = 1,
    cambio: Decimal | None = None,
    descuento_global: Decimal = ZERO,
    aplicar_redondeo: bool = False,
    autofactura: bool = False,
) -> Totals:
    """gTotSub (F001-F037) from the item amounts (MT v150 §F, NT13)."""
    sub_exe = sub_exo = sub5 = sub10 = ZERO
    iva5 = iva10 = base5 = base10 = ZERO
    tot_desc = tot_desc_glo = tot_ant_item = tot_ant = ZERO
    total_gs_items = ZERO
    tot_ope = ZERO  # Σ EA008, summed in item order as sum() would
    per_item_fx = False
    for it in items:
        amount = it.dTotOpeItem
        tot_ope += amount
        if it.afectacion == EXENTO:
            sub_exe += amount
        elif it.afectacion == EXONERADO:
            sub_exo += amount
        else:
            sub_exe += it.dBasExe
            if it.tasa == 5:
                sub5 += amount - it.dBasExe
                iva5 += it.dLiqIVAItem
                base5 += it.dBasGravIVA
            else:
                sub10 += amount - it.dBasExe
                iva10 += it.dLiqIVAItem
                base10 += it.dBasGravIVA
        tot_desc += it.descuento_total
        tot_desc_glo += it.descuento_global_total
        tot_ant_item += it.anticipo_total
        tot_ant += it.anticipo_global_total
        if it.dTotOpeGs is not None:
            per_item_fx = True
            total_gs_items += it.dTotOpeGs
    dredon = redondeo(tot_ope, moneda) if aplicar_redondeo else ZERO
    tot_gral = tot_ope - dredon
    with_iva = tipo_impuesto in (1, 5) and not autofactura
    porc_desc_total = ZERO
    if descuento_global:
        bruto_neto = sum((it.dTotOpeItem + it.descuento_global_total for it in items), ZERO)
        if bruto_neto > 0:
            porc_desc_total = q(descuento_global * HUNDRED / bruto_neto, 8)
    total_gs: Decimal | None = None
    if moneda != PYG and not autofactura:
        if per_item_fx:
            total_gs = total_gs_items
        elif cambio is not None:
            total_gs = q(tot_gral * cambio, 0)
    return Totals(
        dSubExe=None if autofactura else sub_exe,
        dSubExo=None if autofactura else sub_exo,
        dSub5=sub5 if with_iva else None,
        dSub10=sub10 if with_iva else None,
        dTotOpe=tot_ope,
        dTotDesc=tot_desc,
        dTotDescGlotem=tot_desc_glo,
        dTotAntItem=tot_ant_item,
        dTotAnt=tot_ant,
        dPorcDescTotal=porc_desc_total,
        dDescTotal=tot_desc + tot_desc_glo,
        dAnticipo=tot_ant_item + tot_ant,
        dRedon=dredon,
        dTotGralOpe=tot_gral,
        dIVA5=iva5 if with_iva else None,
        dIVA10=iva10 if with_iva else None,
        dLiqTotIVA5=ZERO if with_iva else None,
        dLiqTotIVA10=ZERO if with_iva else None,
        dTotIVA=iva5 + iva10 if with_iva else None,
        dBaseGrav5=base5 if with_iva else None,
        dBaseGrav10=base10 if with_iva else None,
        dTBasGraIVA=base5 + base10 if with_iva else None,
        dTotalGs=total_gs,
    )
