"""CDC (Código de Control, ``DE/@Id``): 44 digits with a module-11 check digit (MT v150 §10.1,
sifen-protocol.md §4) and the security code ``dCodSeg`` (MT §10.3)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from operator import mul
from typing import Final

from sifenflow_common.sifen.dv import dv11

CDC_LENGTH: Final = 44
# module-11 weights from the rightmost digit: 2, 3, ..., 11, 2, 3, ... (MT v150 §10.2)
_WEIGHTS: Final = tuple(2 + i % 10 for i in range(64))
# ASCII digits are their value + 48 ("0"): what 48 adds to the weighted sum of n digits
_ASCII_ZERO_SUMS: Final = tuple(48 * sum(_WEIGHTS[:n]) for n in range(len(_WEIGHTS) + 1))


def check_digit(body: str) -> int:
    """Module-11 DV of a CDC body; same result as ``dv.dv11`` (C-level loop for ASCII-digit bodies)."""
    if not (body.isascii() and body.isdigit()) or len(body) > len(_WEIGHTS):
        return dv11(body)
    total = sum(map(mul, reversed(body.encode("ascii")), _WEIGHTS)) - _ASCII_ZERO_SUMS[len(body)]
    remainder = total % 11
    return 11 - remainder if remainder > 1 else 0


CDC_PATTERN: Final = re.compile(r"[0-9]{2}[0-9]{7}[0-9A-D][0-9]{34}")


@dataclass(frozen=True, slots=True)
class CdcParts:
    tipo_documento: int  # iTiDE
    ruc: str  # 8 chars, zero-padded, without DV
    dv_ruc: int
    establecimiento: str  # 3 digits
    punto: str  # 3 digits
    numero: str  # 7 digits
    tipo_contribuyente: int  # iTipCont
    fecha: date  # dFeEmiDE (date part)
    tipo_emision: int  # iTipEmi
    codigo_seguridad: str  # dCodSeg, 9 digits
    dv: int  # dDVId


def cdc_body(
    *,
    tipo_documento: int,
    ruc: str,
    dv_ruc: int,
    establecimiento: str,
    punto: str,
    numero: str,
    tipo_contribuyente: int,
    fecha: date,
    tipo_emision: int,
    codigo_seguridad: str,
) -> str:
    """The 43 characters before the check digit (layout of MT v150 §10.1)."""
    return (
        f"{tipo_documento:02d}{ruc.zfill(8)}{dv_ruc}{establecimiento}{punto}{numero}"
        f"{tipo_contribuyente}{fecha.year:04d}{fecha.month:02d}{fecha.day:02d}{tipo_emision}{codigo_seguridad}"
    )


def compute_cdc(
    *,
    tipo_documento: int,
    ruc: str,
    dv_ruc: int,
    establecimiento: str,
    punto: str,
    numero: str,
    tipo_contribuyente: int,
    fecha: date,
    tipo_emision: int,
    codigo_seguridad: str,
) -> str:
    """Full 44-character CDC: body + module-11 DV over the body."""
    body = cdc_body(
        tipo_documento=tipo_documento,
        ruc=ruc,
        dv_ruc=dv_ruc,
        establecimiento=establecimiento,
        punto=punto,
        numero=numero,
        tipo_contribuyente=tipo_contribuyente,
        fecha=fecha,
        tipo_emision=tipo_emision,
        codigo_seguridad=codigo_seguridad,
    )
    if len(body) != CDC_LENGTH - 1:
        raise ValueError(f"CDC body must have 43 characters, got {len(body)}")
    return body + str(check_digit(body))


def is_valid_cdc(cdc: str) -> bool:
    """44 characters of the official pattern and a correct check digit."""
    return (
        len(cdc) == CDC_LENGTH and CDC_PATTERN.fullmatch(cdc) is not None and dv11(cdc[:43]) == int(cdc[43])
    )


def split_cdc(cdc: str) -> CdcParts:
    """Fields of a CDC (raises ValueError when it is not a well-formed CDC with a valid DV)."""
    if not is_valid_cdc(cdc):
        raise ValueError("CDC inválido")
    return CdcParts(
        tipo_documento=int(cdc[0:2]),
        ruc=cdc[2:10],
        dv_ruc=int(cdc[10]),
        establecimiento=cdc[11:14],
        punto=cdc[14:17],
        numero=cdc[17:24],
        tipo_contribuyente=int(cdc[24]),
        fecha=date(int(cdc[25:29]), int(cdc[29:31]), int(cdc[31:33])),
        tipo_emision=int(cdc[33]),
        codigo_seguridad=cdc[34:43],
        dv=int(cdc[43]),
    )


def new_codigo_seguridad(numero_documento: str) -> str:
    """Random dCodSeg: 9 digits, 000000001-999999999, never equal to dNumDoc (MT §10.3)."""
    forbidden = int(numero_documento) if numero_documento.isdigit() else -1
    while True:
        value = secrets.randbelow(999_999_999) + 1
        if value != forbidden:
            return f"{value:09d}"
