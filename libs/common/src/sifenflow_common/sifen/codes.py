"""SIFEN code lists (MT v150): the codes we branch on, and where each list's descriptions live.

Descriptions are not copied here: ``catalogs.code_list(name)`` reads them from the official
``DE_Types_v150.xsd`` enumerations, pairing the codes below with the description type's
enumeration values in order. ``otro`` is the code whose description the issuer writes freely
(e.g. 9 / 99 "Otro").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final


class TipoDocumento(IntEnum):
    """C002 ``iTiDE`` (plus the recibo digital, our own type 55, never sent to SIFEN)."""

    FACTURA = 1
    AUTOFACTURA = 4
    NOTA_CREDITO = 5
    NOTA_DEBITO = 6
    NOTA_REMISION = 7
    BOLETA_VENTA = 9  # in tiTiDE of the current XSD; rules inferred (docs/document-engine.md)
    BOLETA_RESIMPLE = 10
    RECIBO = 55


class TipoImpuesto(IntEnum):
    """D013 ``iTImp``."""

    IVA = 1
    ISC = 2
    RENTA = 3
    NINGUNO = 4
    IVA_RENTA = 5


class AfectacionIVA(IntEnum):
    """E731 ``iAfecIVA``."""

    GRAVADO = 1
    EXONERADO = 2
    EXENTO = 3
    GRAVADO_PARCIAL = 4


class TipoOperacion(IntEnum):
    """D202 ``iTiOpe``."""

    B2B = 1
    B2C = 2
    B2G = 3
    B2F = 4


class CondicionOperacion(IntEnum):
    """E601 ``iCondOpe``."""

    CONTADO = 1
    CREDITO = 2


class TipoDocAsociado(IntEnum):
    """H002 ``iTipDocAso``."""

    ELECTRONICO = 1
    IMPRESO = 2
    CONSTANCIA = 3


SIFEN_TYPES: Final = frozenset({1, 4, 5, 6, 7, 9, 10})
# Sale documents that carry the operation's condition (E600) and transaction type (D011).
SALE_TYPES: Final = frozenset({1, 4, 9, 10})
BOLETA_TYPES: Final = frozenset({9, 10})
TIPO_ID_INNOMINADO: Final = 5


@dataclass(frozen=True, slots=True)
class CodeListSpec:
    """Where a code list lives in the XSD: code type (or explicit codes) + description type."""

    description_type: str
    codes: tuple[int, ...] = ()  # explicit codes, paired in order with the description values
    code_type: str | None = None  # or: take the codes from this type's enumeration
    otro: int | None = None  # code whose description is free text


def _r(a: int, b: int) -> tuple[int, ...]:
    return tuple(range(a, b + 1))


# field name (XSD spelling of the code element) -> spec
CODE_LISTS: Final[dict[str, CodeListSpec]] = {
    "iTipEmi": CodeListSpec("tdDesTipEmi", (1, 2)),
    "iTiDE": CodeListSpec("tdDesTiDE", (1, 4, 5, 6, 7, 9, 10)),
    "iTipTra": CodeListSpec("tdDesTiTran", _r(1, 13)),
    "iTImp": CodeListSpec("tdDesTImp", code_type="tiTImp"),
    "iIndPres": CodeListSpec("tdDesIndPres", _r(1, 6), otro=9),
    "iCondOpe": CodeListSpec("tdDCondOpe", code_type="tiCondOpe"),
    "iTiPago": CodeListSpec("tdDesTiPag", _r(1, 21), otro=99),
    "iDenTarj": CodeListSpec("tdDesDenTarj", _r(1, 6), otro=99),
    "iCondCred": CodeListSpec("tdDCondCred", (1, 2)),
    "iCondAnt": CodeListSpec("tdDesCondAnt", code_type="tiCondAnt"),
    "iNatVen": CodeListSpec("tdDesNatVen", (1, 2)),
    "iTipIDVen": CodeListSpec("tdDtipDoc", _r(1, 4)),
    "iTipIDTrans": CodeListSpec("tdDtipDoc", _r(1, 4)),
    "iTipIDRec": CodeListSpec("tdDtipDocRec", _r(1, 6), otro=9),
    "iTipIDRespDE": CodeListSpec("tdDTipIDRespDE", _r(1, 4), otro=9),
    "iAfecIVA": CodeListSpec("tdDesAfecIVA", code_type="tiAfecIVA"),
    "iMotEmi": CodeListSpec("tdDesMotEmi", _r(1, 8)),
    "iMotEmiNR": CodeListSpec("tdDMotivTras", _r(1, 14), otro=99),
    "iRespEmiNR": CodeListSpec("tdDesRespEmiNR", code_type="tiRespEmiNR"),
    "iTipTrans": CodeListSpec("tdDesTTrans", code_type="tiTTrans"),
    "iModTrans": CodeListSpec("tdDesModTrans", code_type="tiModTrans"),
    "iTipDocAso": CodeListSpec("tdDesTipDocAso", code_type="tiTipDocAso"),
    "iTipoDocAso": CodeListSpec("tdDesTIpoDoc", code_type="tiTIpoDoc"),
    "iTipCons": CodeListSpec("tdDesTipCons", code_type="tdTipCons"),
    "cRelMerc": CodeListSpec("tdDesRelMerc", (1, 2)),
    "iTipOpVN": CodeListSpec("tdDesTipOpVN", code_type="tiTipOpVN"),
    "iTipCom": CodeListSpec("tdDesTipCom", _r(1, 5), otro=9),
    "iForPag": CodeListSpec("tdDesForPag", code_type="tiForPag"),
}

# Code lists without a description element in the XSD (value sets from the Manual / XSD patterns).
TIPO_RESPONSABLE_FLETE: Final = frozenset(_r(1, 5))  # E905 iRespFlete
FORMA_PROCESAMIENTO_PAGO: Final = frozenset({1, 2, 9})  # E626 iForProPa
OBLIGACIONES_AFECTADAS: Final = frozenset({113, 143, 211, 311, 321, 700, 701, 702, 703, 715, 716})
CARACTERISTICA_CARGA: Final = frozenset({1, 2, 3})  # G057 iCarCarga, 3 = otro (free text)
TASAS_IVA: Final = frozenset({0, 5, 10})
