"""Which JSON keys each model field accepts (FacturaSend docs, the xmlgen README, snake_case).

Every field accepts its camelCase key (the documented spelling) and its snake_case twin. The extra
historical aliases below come from facturasend-api.md §3: ``ivaBase`` (renamed ``ivaProporcion``
in Dec 2025), ``detalleTransporte`` (xmlgen) for ``transporte``, ``transaccion`` (xmlgen) for
``autoFactura.ubicacion``, and ``año`` spelled without the ñ.
"""

from __future__ import annotations

from typing import Final

from pydantic import AliasChoices, AliasGenerator
from pydantic.alias_generators import to_camel

EXTRA_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "iva_proporcion": ("ivaProporcion", "ivaBase", "iva_base"),
    "transporte": ("transporte", "detalleTransporte", "detalle_transporte"),
    "ubicacion": ("ubicacion", "transaccion"),
    "anio": ("año", "anio", "ano"),
    "pais_destino_nombre": ("paisDestinoNombre", "paisDestinoDescripcion", "pais_destino_nombre"),
}


def validation_alias(field_name: str) -> AliasChoices:
    extra = EXTRA_ALIASES.get(field_name)
    if extra is not None:
        return AliasChoices(*extra, field_name)
    camel = to_camel(field_name)
    if camel == field_name:
        return AliasChoices(field_name)
    return AliasChoices(camel, field_name)


def serialization_alias(field_name: str) -> str:
    extra = EXTRA_ALIASES.get(field_name)
    return extra[0] if extra else to_camel(field_name)


ALIASES: Final = AliasGenerator(validation_alias=validation_alias, serialization_alias=serialization_alias)
