"""Business rules SIFEN applies to events before registering them (MT v150 §11, §6.2.1 deadlines;
sifen-protocol.md §7.3), checked before anything is sent so the integrator learns at once.

Returns ``ValidationIssue`` lists (stable code, JSON path, Spanish message); an empty list means
SIFEN's documented event rules hold for what the caller knows (``EventContext``). Facts only SIFEN
knows (e.g. whether a number was already inutilizado, 4066) are outside this check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sifenflow_common.errors import ValidationIssue

ISSUER_EVENTS: Final = frozenset({"cancelacion", "inutilizacion", "nominacion", "transporte"})
RECEPTOR_EVENTS: Final = frozenset({"notificacion", "conformidad", "disconformidad", "desconocimiento"})
CANCEL_WINDOW_FE: Final = timedelta(hours=48)  # MT 4009
CANCEL_WINDOW_OTHER: Final = timedelta(hours=168)  # MT 4010
RECEPTOR_WINDOW: Final = timedelta(hours=1080)  # 45 days from emission (MT §6.2.1)
# MT 4067 "rango mayor a 1000" vs MT prose "hasta 1000 números": the stricter reading (at most 1000
# numbers, dNumFin - dNumIn + 1 <= 1000) never gets a 4067 whichever way SIFEN counts.
MAX_INUTILIZATION_NUMBERS: Final = 1000
_CONCLUSIVE_RECEPTOR_EVENTS: Final = frozenset({"conformidad", "disconformidad", "desconocimiento"})
RECIBO_TYPE: Final = 55  # FacturaSend's recibo digital: never sent to SIFEN, its CDC starts with 55


def is_recibo_cancellation(kind: str, cdc: str | None) -> bool:
    """The cancelación of a recibo digital: recorded by us, never sent to SIFEN."""
    return kind == "cancelacion" and cdc is not None and cdc.startswith(str(RECIBO_TYPE))


@dataclass(frozen=True, slots=True)
class EventContext:
    """What the caller knows about the event's circumstances; unknown facts stay None."""

    now: datetime  # aware; the time the event is signed/sent
    signer_ruc: str | None = None  # RUC (number-dv) of the certificate that will sign the event
    issuer_ruc: str | None = None  # dRucEm-dDVEmi of the DTE concerned (or of the timbrado owner)
    receptor_ruc: str | None = None  # dRucRec-dDVRec of the DTE, None for non-contributors
    document_type: int | None = None  # iTiDE of the DTE concerned
    approved_at: datetime | None = None  # SIFEN approval time of the DTE (aware); None = not approved
    emitted_at: datetime | None = None  # dFeEmiDE of the DTE (aware)
    prior_events: frozenset[str] = field(default_factory=frozenset)  # kinds already registered
    receptor_innominado: bool | None = None  # the DTE was issued to "Sin Nombre"


def _same_ruc(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True  # unknown: nothing to compare
    na, _, da = a.strip().upper().partition("-")
    nb, _, db = b.strip().upper().partition("-")
    return na.lstrip("0") == nb.lstrip("0") and (not da or not db or da == db)


def _int(data: Mapping[str, Any], key: str) -> int | None:
    try:
        return int(str(data.get(key)).strip())
    except (TypeError, ValueError):
        return None


def _parse_local(value: object) -> datetime | None:
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None


def check_event_rules(kind: str, data: Mapping[str, Any], context: EventContext) -> list[ValidationIssue]:
    """Every documented SIFEN rule the event ``kind`` with body ``data`` would break."""
    issues: list[ValidationIssue] = []

    def add(code: str, path: str, message: str) -> None:
        issues.append(ValidationIssue(code=code, path=path, message=message))

    now = context.now.astimezone(UTC)
    if kind in ISSUER_EVENTS and not _same_ruc(context.signer_ruc, context.issuer_ruc):
        # 4006 (cancelación), 4069 (inutilización): only the issuer may send issuer events.
        add(
            "EVENTO_FIRMANTE_NO_EMISOR",
            "certificado",
            f"Sólo el emisor ({context.issuer_ruc}) puede enviar el evento {kind}; "
            f"el certificado es de {context.signer_ruc} (SIFEN 4006/4069)",
        )
    if kind in RECEPTOR_EVENTS:
        if context.receptor_ruc is not None and not _same_ruc(context.signer_ruc, context.receptor_ruc):
            add(
                "EVENTO_FIRMANTE_NO_RECEPTOR",
                "certificado",
                f"Sólo el receptor ({context.receptor_ruc}) puede enviar el evento {kind}",
            )
        if (
            context.signer_ruc is not None
            and _same_ruc(context.signer_ruc, context.issuer_ruc)
            and context.issuer_ruc
        ):
            add(
                "EVENTO_RECEPTOR_ES_EMISOR",
                "certificado",
                f"El emisor no puede enviar el evento de receptor {kind}",
            )

    recibo = context.document_type == RECIBO_TYPE
    if recibo and kind != "cancelacion":
        add("EVENTO_NO_APLICA", "data.cdc", f"Un recibo digital no va a SIFEN: admite cancelación, no {kind}")
    if kind == "cancelacion":
        if context.approved_at is None and recibo:
            add("DTE_NO_APROBADO", "data.cdc", "El recibo aún no está firmado: reintente en unos segundos")
        elif context.approved_at is None:
            add("DTE_NO_APROBADO", "data.cdc", "Sólo se cancela un DTE aprobado por SIFEN (SIFEN 4002)")
        elif not recibo:  # SIFEN's deadlines (4009/4010) concern DTEs, not our recibo
            fe = context.document_type == 1
            window = CANCEL_WINDOW_FE if fe else CANCEL_WINDOW_OTHER
            if now - context.approved_at.astimezone(UTC) > window:
                hours = int(window.total_seconds() // 3600)
                add(
                    "CANCELACION_FUERA_DE_PLAZO",
                    "data.cdc",
                    f"La cancelación de {'una factura electrónica' if fe else 'este tipo de DTE'} se permite "
                    f"hasta {hours} h después de la aprobación (SIFEN {'4009' if fe else '4010'})",
                )
        if "cancelacion" in context.prior_events:
            add("EVENTO_DUPLICADO", "data.cdc", "El DTE ya tiene un evento de cancelación (SIFEN 4003)")
        if "conformidad" in context.prior_events:
            add(
                "DTE_CON_CONFORMIDAD",
                "data.cdc",
                "El receptor ya registró conformidad: no se puede cancelar (SIFEN 4004)",
            )

    elif kind == "inutilizacion":
        start, end = _int(data, "desde"), _int(data, "hasta")
        if start is not None and end is not None:
            if end < start:
                add("RANGO_INVERTIDO", "data.hasta", "hasta debe ser mayor o igual que desde (SIFEN 4068)")
            elif end - start + 1 > MAX_INUTILIZATION_NUMBERS:
                add(
                    "RANGO_EXCEDE_1000",
                    "data.hasta",
                    f"Se inutilizan como máximo {MAX_INUTILIZATION_NUMBERS} números por evento (SIFEN 4067)",
                )

    elif kind in RECEPTOR_EVENTS:
        late = context.emitted_at is not None and now - context.emitted_at.astimezone(UTC) > RECEPTOR_WINDOW
        if kind in _CONCLUSIVE_RECEPTOR_EVENTS and late:
            add(
                "EVENTO_RECEPTOR_FUERA_DE_PLAZO",
                "data.cdc",
                "Los eventos del receptor se registran hasta 45 días (1080 h) después de la emisión",
            )
        if kind == "notificacion":
            if "notificacion" in context.prior_events:
                add(
                    "EVENTO_DUPLICADO",
                    "data.cdc",
                    "Sólo se admite una notificación de recepción por CDC (SIFEN 4101)",
                )
            if context.prior_events & _CONCLUSIVE_RECEPTOR_EVENTS:
                add(
                    "NOTIFICACION_POSTERIOR",
                    "data.cdc",
                    "No se notifica la recepción después de conformidad, disconformidad o "
                    "desconocimiento (SIFEN 4113)",
                )
        if kind in ("notificacion", "desconocimiento"):
            emitted, received = (
                _parse_local(data.get("fechaEmision")),
                _parse_local(data.get("fechaRecepcion")),
            )
            if emitted is not None and received is not None and received < emitted:
                add(
                    "RECEPCION_ANTES_DE_EMISION",
                    "data.fechaRecepcion",
                    "La recepción no puede ser anterior a la emisión (SIFEN 4104)",
                )
        if kind == "conformidad" and _int(data, "tipoConformidad") == 2 and not data.get("fechaRecepcion"):
            add("CAMPO_REQUERIDO", "data.fechaRecepcion", "La conformidad parcial requiere fechaRecepcion")

    elif kind == "nominacion":
        if context.receptor_innominado is False:
            add(
                "DTE_NO_INNOMINADO",
                "data.cdc",
                "La nominación sólo aplica a un DTE emitido a receptor innominado",
            )
        if context.approved_at is None:
            add("DTE_NO_APROBADO", "data.cdc", "La nominación requiere un DTE aprobado")

    elif kind == "transporte":
        if context.document_type is not None and context.document_type != 7:
            add(
                "EVENTO_SOLO_NRE",
                "data.cdc",
                "La actualización de datos de transporte sólo aplica a notas de remisión (iTiDE 7)",
            )
        if context.approved_at is None:
            add("DTE_NO_APROBADO", "data.cdc", "La actualización de transporte requiere un DTE aprobado")
    else:
        add("EVENTO_DESCONOCIDO", "tipo", f"Tipo de evento desconocido: {kind!r}")
    return issues
