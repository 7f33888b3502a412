"""Item amounts, IVA and totals against hand-computed cases (MT v150 §E8, §F; NT13).

Formulas (sifen-protocol.md §8.4-8.5): EA008 = (E721 − EA002 − EA004 − EA006 − EA007) × E711;
E735 = EA008 × (E733/100) / (1 + E734/100) for gravado; NT13 gravado parcial:
E735 = 100·EA008·E733 / (10000 + E734·E733), E737 = 100·EA008·(100 − E733) / (10000 + E734·E733);
E736 = E735 × E734 / 100.
"""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sifenflow_common.sifen.rounding import redondeo
from sifenflow_common.sifen.totals import ItemInput, document_totals, item_amounts, spread_global

pytestmark = pytest.mark.unit


def test_official_example_item_at_ten_percent() -> None:
    # protocol §10 T18 (FE example, 2nd item): 3312540 at 10 % → base 3011400, IVA 301140
    am = item_amounts(ItemInput(precio_unitario=D(3312540), cantidad=D(1), tasa=10))
    assert (am.dTotOpeItem, am.dBasGravIVA, am.dLiqIVAItem, am.dBasExe) == (
        D(3312540),
        D(3011400),
        D(301140),
        0,
    )


def test_five_percent_item() -> None:
    # 105000 / 1.05 = 100000; × 5 / 100 = 5000
    am = item_amounts(ItemInput(precio_unitario=D(52500), cantidad=D(2), tasa=5))
    assert (am.dTotBruOpeItem, am.dTotOpeItem, am.dBasGravIVA, am.dLiqIVAItem) == (
        D(105000),
        D(105000),
        D(100000),
        D(5000),
    )


def test_gravado_parcial_nt13() -> None:
    # NT13: EA008 110000, E733 30, E734 10 → denominator 10000 + 300 = 10300
    # E735 = 100·110000·30/10300 = 32038.83 → 32039; E737 = 100·110000·70/10300 = 74757.28 → 74757
    # E736 = 32039 × 10 / 100 = 3203.9 → 3204
    am = item_amounts(
        ItemInput(precio_unitario=D(110000), cantidad=D(1), afectacion=4, proporcion=D(30), tasa=10)
    )
    assert (am.dBasGravIVA, am.dLiqIVAItem, am.dBasExe) == (D(32039), D(3204), D(74757))


def test_exento_and_exonerado_have_no_iva() -> None:
    for afectacion in (2, 3):
        am = item_amounts(
            ItemInput(precio_unitario=D(7000), cantidad=D(1), afectacion=afectacion, proporcion=D(0), tasa=0)
        )
        assert (am.dBasGravIVA, am.dLiqIVAItem, am.dBasExe) == (0, 0, 0)


def test_discounts_and_advances_reduce_the_item_total() -> None:
    # EA008 = (100000 − 5000 − 0 − 2000 − 0) × 3 = 279000; EA003 = 5000 × 100 / 100000 = 5 %
    am = item_amounts(
        ItemInput(precio_unitario=D(100000), cantidad=D(3), descuento=D(5000), anticipo=D(2000))
    )
    assert am.dTotOpeItem == D(279000)
    assert am.dPorcDesIt == D(5)
    assert am.descuento_total == D(15000) and am.anticipo_total == D(6000)


def test_autofactura_item_is_price_times_quantity() -> None:
    am = item_amounts(ItemInput(precio_unitario=D(80000), cantidad=D(3)), autofactura=True)
    assert am.dTotOpeItem == D(240000)


def test_document_totals_hand_computed() -> None:
    # 100000 at 10 %, 50000 at 5 %, 5000 exento, 7000 exonerado
    items = [
        item_amounts(ItemInput(precio_unitario=D(100000), cantidad=D(1), tasa=10)),
        item_amounts(ItemInput(precio_unitario=D(50000), cantidad=D(1), tasa=5)),
        item_amounts(
            ItemInput(precio_unitario=D(5000), cantidad=D(1), afectacion=3, proporcion=D(0), tasa=0)
        ),
        item_amounts(
            ItemInput(precio_unitario=D(7000), cantidad=D(1), afectacion=2, proporcion=D(0), tasa=0)
        ),
    ]
    t = document_totals(items)
    assert (t.dSubExe, t.dSubExo, t.dSub5, t.dSub10) == (D(5000), D(7000), D(50000), D(100000))
    assert t.dTotOpe == t.dTotGralOpe == D(162000)
    # 100000/11 = 9090.9 → 9091; 50000/21 = 2380.95 → 2381
    assert (t.dIVA10, t.dIVA5, t.dTotIVA) == (D(9091), D(2381), D(11472))
    assert (t.dBaseGrav10, t.dBaseGrav5, t.dTBasGraIVA) == (D(90909), D(47619), D(138528))
    assert t.dTotalGs is None and t.dRedon == 0


def test_foreign_currency_total_in_guaranies() -> None:
    # F023 dTotalGs = F014 × dTiCam (rounded to whole guaraníes)
    items = [
        item_amounts(ItemInput(precio_unitario=D("120.50"), cantidad=D("2.5"), tasa=10), "USD"),
        item_amounts(ItemInput(precio_unitario=D("10.25"), cantidad=D(1), tasa=5), "USD"),
    ]
    assert items[0].dTotOpeItem == D("301.25")
    t = document_totals(items, moneda="USD", cambio=D("7300.50"))
    assert t.dTotGralOpe == D("311.50")
    assert t.dTotalGs == D(2274106)  # 311.50 × 7300.50 = 2274105.75 → 2274106


def test_per_item_exchange_rate() -> None:
    items = [
        item_amounts(ItemInput(precio_unitario=D(100), cantidad=D(1), cambio=D(7300)), "USD"),
        item_amounts(ItemInput(precio_unitario=D(50), cantidad=D(1), cambio=D(7310)), "USD"),
    ]
    assert [i.dTotOpeGs for i in items] == [D(730000), D(365500)]
    assert document_totals(items, moneda="USD").dTotalGs == D(1095500)


def test_sedeco_rounding_vectors() -> None:
    # protocol §10 T16 (MT §F, Res. 347/2014): PYG down to a multiple of 50
    assert [redondeo(D(v), "PYG") for v in (107437, 47789, 99999, 100000)] == [D(37), D(39), D(49), D(0)]
    # foreign currency: down to 0.50 (XSD tdCRed has no negative values)
    assert [redondeo(D(v), "USD") for v in ("1000", "1000.23", "1000.76")] == [D(0), D("0.23"), D("0.26")]


def test_redondeo_applies_to_the_general_total() -> None:
    t = document_totals(
        [item_amounts(ItemInput(precio_unitario=D(107437), cantidad=D(1)))], aplicar_redondeo=True
    )
    assert (t.dTotOpe, t.dRedon, t.dTotGralOpe) == (D(107437), D(37), D(107400))  # F014 = F008 − F013


def test_global_discount_is_spread_and_adds_up() -> None:
    items = [
        ItemInput(precio_unitario=D(100000), cantidad=D(2), descuento=D(5000)),
        ItemInput(precio_unitario=D(50000), cantidad=D(1)),
    ]
    shares = spread_global(D(10000), items)
    # 190000 : 50000 → 7917 and the remainder 2083; per unit 3958.5 and 2083
    assert shares == [D("3958.5"), D(2083)]
    assert sum(s * i.cantidad for s, i in zip(shares, items, strict=True)) == D(10000)


amount = st.decimals(min_value=D(1), max_value=D(50_000_000), places=0, allow_nan=False, allow_infinity=False)
qty = st.decimals(min_value=D("0.001"), max_value=D(1000), places=3, allow_nan=False, allow_infinity=False)
kind = st.sampled_from(
    [(1, D(100), 10), (1, D(100), 5), (2, D(0), 0), (3, D(0), 0), (4, D(30), 10), (4, D(50), 5)]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(amount, qty, kind), min_size=1, max_size=15), st.sampled_from(["PYG", "USD"]))
def test_totals_always_reconcile(rows, moneda) -> None:  # type: ignore[no-untyped-def]
    items = [
        item_amounts(ItemInput(precio_unitario=p, cantidad=q, afectacion=a, proporcion=pr, tasa=t), moneda)
        for p, q, (a, pr, t) in rows
    ]
    tot = document_totals(items, moneda=moneda, cambio=D(7300) if moneda != "PYG" else None)
    # sum of items = subtotals = operation total = general total (no rounding requested)
    assert sum((i.dTotOpeItem for i in items), D(0)) == tot.dTotOpe
    assert tot.dSubExe + tot.dSubExo + tot.dSub5 + tot.dSub10 == tot.dTotOpe == tot.dTotGralOpe
    # IVA liquidations are consistent: totals are sums of the items, total = 5 % + 10 %
    assert tot.dIVA5 + tot.dIVA10 == tot.dTotIVA
    assert tot.dBaseGrav5 + tot.dBaseGrav10 == tot.dTBasGraIVA
    assert tot.dIVA10 == sum((i.dLiqIVAItem for i in items if i.tasa == 10), D(0))
    tolerance = D(1) if moneda == "PYG" else D("0.00000001")
    for i in items:
        # gravado + IVA + exempt part rebuild the item total (NT13 identity), within rounding
        if i.afectacion in (1, 4):
            assert abs(i.dBasGravIVA + i.dLiqIVAItem + i.dBasExe - i.dTotOpeItem) <= 2 * tolerance
            assert abs(i.dLiqIVAItem - i.dBasGravIVA * i.tasa / 100) <= tolerance
        if moneda == "PYG":
            assert i.dTotOpeItem == i.dTotOpeItem.to_integral_value()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(amount, qty), min_size=1, max_size=10), amount)
def test_global_discount_shares_sum_to_the_discount(rows, discount) -> None:  # type: ignore[no-untyped-def]
    items = [ItemInput(precio_unitario=p, cantidad=q) for p, q in rows]
    shares = spread_global(discount, items)
    total = sum((s * i.cantidad for s, i in zip(shares, items, strict=True)), D(0))
    assert abs(total - discount) <= D("0.0001") * len(items)
