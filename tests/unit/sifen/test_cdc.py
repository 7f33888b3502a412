"""CDC layout and check digit (MT v150 §10.1/§10.2, sifen-protocol.md §4 and §10 vectors)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sifenflow_common.sifen.cdc import (
    check_digit,
    compute_cdc,
    is_valid_cdc,
    new_codigo_seguridad,
    split_cdc,
)
from sifenflow_common.sifen.dv import dv11

pytestmark = pytest.mark.unit

# (43-character body, expected DV): protocol §10 T1-T8 (MT v150 example and the official samples)
VECTORS = [
    ("0144444401700100100145282201701251587326098", 8),
    ("0180013884800100112345641201812181781979223", 9),
    ("0480004464900100190001872201909011720014640", 4),
    ("0500929023000100100000521201904091000000034", 5),
    ("0600929023000100100000261201904091781979223", 2),
    ("0780004464900100190001832201903121720014640", 3),
    ("0180002577600100190001832201811131720014640", 6),
    ("0600929023000100100000261201904091000000012", 7),
]


@pytest.mark.parametrize(("body", "dv"), VECTORS)
def test_manual_vectors_are_valid_cdcs(body: str, dv: int) -> None:
    assert is_valid_cdc(body + str(dv))
    assert not is_valid_cdc(body + str((dv + 1) % 10))


def test_compute_cdc_reproduces_the_manual_example() -> None:
    # MT v150 §10.1: 01 44444401 7 001 001 0014528 2 20170125 1 587326098 8
    cdc = compute_cdc(
        tipo_documento=1,
        ruc="44444401",
        dv_ruc=7,
        establecimiento="001",
        punto="001",
        numero="0014528",
        tipo_contribuyente=2,
        fecha=date(2017, 1, 25),
        tipo_emision=1,
        codigo_seguridad="587326098",
    )
    assert cdc == "01444444017001001001452822017012515873260988"
    parts = split_cdc(cdc)
    assert (parts.tipo_documento, parts.ruc, parts.dv_ruc, parts.numero) == (1, "44444401", 7, "0014528")
    assert parts.fecha == date(2017, 1, 25)
    assert parts.codigo_seguridad == "587326098" and parts.dv == 8


def test_ruc_is_left_padded_to_eight_digits() -> None:
    cdc = compute_cdc(
        tipo_documento=5,
        ruc="929023",
        dv_ruc=0,
        establecimiento="001",
        punto="001",
        numero="0000052",
        tipo_contribuyente=1,
        fecha=date(2019, 4, 9),
        tipo_emision=1,
        codigo_seguridad="000000034",
    )
    assert cdc[2:10] == "00929023"


def test_split_rejects_bad_dv_and_length() -> None:
    with pytest.raises(ValueError):
        split_cdc("01444444017001001001452822017012515873260989")
    assert not is_valid_cdc("0144444401700100100145282201701251587326098")


def test_emisor_ruc_of_fixtures_has_correct_dv() -> None:
    # 80069563-1: MT v150 §10.2 module 11
    assert dv11("80069563") == 1


def test_codigo_seguridad_is_nine_digits_and_never_the_document_number() -> None:
    # MT v150 §10.3: 9 digits, 000000001-999999999, different from dNumDoc
    seen = {new_codigo_seguridad("0000001") for _ in range(200)}
    assert len(seen) > 190  # random, not sequential
    for code in seen:
        assert len(code) == 9 and code.isdigit() and int(code) != 0 and int(code) != 1


@given(
    tipo=st.sampled_from([1, 4, 5, 6, 7, 9, 10, 55]),
    ruc=st.integers(min_value=100, max_value=99_999_999),
    est=st.integers(1, 999),
    pun=st.integers(1, 999),
    num=st.integers(1, 9_999_999),
    cont=st.sampled_from([1, 2]),
    day=st.dates(min_value=date(2019, 1, 1), max_value=date(2099, 12, 31)),
    seg=st.integers(1, 999_999_999),
)
def test_compute_then_split_round_trips(tipo, ruc, est, pun, num, cont, day, seg) -> None:  # type: ignore[no-untyped-def]
    ruc_s = str(ruc)
    cdc = compute_cdc(
        tipo_documento=tipo,
        ruc=ruc_s,
        dv_ruc=dv11(ruc_s),
        establecimiento=f"{est:03d}",
        punto=f"{pun:03d}",
        numero=f"{num:07d}",
        tipo_contribuyente=cont,
        fecha=day,
        tipo_emision=1,
        codigo_seguridad=f"{seg:09d}",
    )
    assert len(cdc) == 44 and is_valid_cdc(cdc)
    parts = split_cdc(cdc)
    assert parts.ruc == ruc_s.zfill(8) and parts.numero == f"{num:07d}" and parts.fecha == day
    assert parts.dv == dv11(cdc[:43])


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=60)
    | st.from_regex(r"[0-9]{9}[A-D][0-9]{33}", fullmatch=True)
)
def test_fast_check_digit_equals_the_reference_dv11(body: str) -> None:
    # MT v150 §10.2: same algorithm, the fast path only avoids the per-character Python loop
    assert check_digit(body) == dv11(body)
