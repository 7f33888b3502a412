"""How the console names what the API answers in codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

TIPOS = {
    1: "Factura electrónica",
    2: "Factura de exportación",
    3: "Factura de importación",
    4: "Autofactura electrónica",
    5: "Nota de crédito",
    6: "Nota de débito",
    7: "Nota de remisión",
}
ESTADOS = (
    "generado",
    "enviado",
    "aprobado",
    "aprobado con observacion",
    "rechazado",
    "inutilizado",
    "cancelado",
)
AMBIENTES = {"simulado": "Simulado", "test": "Test (SET)", "produccion": "Producción"}
WAITING = frozenset({"Generado", "Enviado"})


def tipo(value: Any) -> str:
    return TIPOS.get(value, f"Tipo {value}") if isinstance(value, int) else "—"


def amount(value: Any, moneda: str = "PYG") -> str:
    """1234567 → ``1.234.567`` (guaraníes have no decimals; other currencies keep two)."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    text = f"{number:,.0f}" if moneda == "PYG" else f"{number:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


EVENTOS = {
    "document.requested": "Recibido",
    "document.built": "XML generado",
    "document.build_failed": "Error al generar",
    "document.signed": "Firmado",
    "document.signing_failed": "Error al firmar",
    "document.submission_started": "Envío a SIFEN iniciado",
    "document.sent_sync": "Enviado a SIFEN",
    "document.approved": "Aprobado por SIFEN",
    "document.rejected": "Rechazado por SIFEN",
    "document.cancelled": "Cancelado",
    "sifen_event.requested": "Evento solicitado",
    "sifen_event.signed": "Evento firmado",
    "event.accepted": "Evento aceptado por SIFEN",
    "event.rejected": "Evento rechazado por SIFEN",
    "kude.email_requested": "Envío por correo solicitado",
    "kude.emailed": "Enviado por correo",
    "kude.email_failed": "Error al enviar el correo",
    "kude.rendered": "KuDE generado",
    "lote.submitted": "Enviado en lote",
}
DETAIL_KEYS = ("sifen_code", "sifen_message", "protocol", "kind", "reason", "error", "to")


def evento(value: str) -> str:
    return EVENTOS.get(value, value)
