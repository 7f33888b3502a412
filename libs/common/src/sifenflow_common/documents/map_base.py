"""Shared state of the document mapping: the parsed input, the issue collector, the currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sifenflow_common.facturasend.issues import IssueCollector
from sifenflow_common.facturasend.models import (
    Dncp,
    Documento,
    Params,
)
from sifenflow_common.sifen.rounding import PYG

TEST_ENV_NAME: Final = "DE generado en ambiente de prueba - sin valor comercial ni fiscal"
INNOMINADO_LIMIT_PYG: Final = Decimal(60_000_000)  # MT v150 rule 1321


class MapperBase:
    """What every mapping step reads and writes; the steps are mixins in the ``map_*`` modules."""

    def __init__(self, params: Params, doc: Documento, issues: IssueCollector, environment: str) -> None:
        self.p = params
        self.d = doc
        self.issues = issues
        self.env = environment
        self.tipo = doc.tipo_documento
        self.moneda = PYG

    def add(self, code: str, path: str, message: str) -> None:
        self.issues.add(code, path, message)

    def _dncp(self) -> Dncp | None:
        """DNCP contract data: top level (FacturaSend docs) or inside ``factura`` (xmlgen)."""
        d = self.d
        if d.dncp is not None:
            return d.dncp
        return d.factura.dncp if d.factura is not None else None


def _numero_casa(value: int | str, path: str, issues: IssueCollector) -> int | None:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 6:
        issues.add(
            "VALOR_INVALIDO", path, f"Número de casa '{value}' inválido: hasta 6 dígitos (0 si no tiene)"
        )
        return None
    return int(text)
