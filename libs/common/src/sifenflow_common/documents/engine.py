"""Facade of the document engine: FacturaSend JSON → validated model → unsigned v150 XML.

``build_document`` is what the builder worker, the gateway (sync create), the CLI and the
benchmark call. It never raises anything but ``DocumentInvalid`` for bad input. Both entry points
read ``data`` through the input tolerance policy (``facturasend.tolerance``) first; the policy is
idempotent, so data the gateway already tolerated passes unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sifenflow_common.errors import DocumentInvalid, ValidationIssue
from sifenflow_common.facturasend.issues import IssueCollector
from sifenflow_common.facturasend.models import Documento, Params
from sifenflow_common.facturasend.parse import parse_lenient
from sifenflow_common.facturasend.text import has_non_xml_bytes, non_xml_text
from sifenflow_common.facturasend.tolerance import tolerate
from sifenflow_common.sifen.xml_write import write_rde

Environment = Literal["simulado", "test", "produccion"]
PARAGUAY_TZ = ZoneInfo("America/Asuncion")


@dataclass(frozen=True, slots=True)
class BuiltDocument:
    cdc: str
    xml: bytes  # unsigned compact rDE (no XML declaration); the signer sets dFecFirma again
    tipo_documento: int
    numero: str  # "001-001-0000001"
    establecimiento: str
    punto: str
    numero_documento: str
    timbrado: str
    fecha_emision: datetime
    totals: Mapping[str, Decimal | None] = field(default_factory=dict)
    receptor_email: str | None = None
    moneda: str = "PYG"
    warnings: tuple[ValidationIssue, ...] = ()  # what the tolerance policy ignored or corrected


# The NRE has no gTotSub (MT v150 F001): callers still get the amounts they read, as zero.
_NO_TOTALS: dict[str, Decimal | None] = {
    "dTotGralOpe": Decimal(0),
    "dIVA5": Decimal(0),
    "dIVA10": Decimal(0),
    "dTotIVA": Decimal(0),
}


def _totals(totals: Any) -> dict[str, Decimal | None]:
    if totals is None:
        return dict(_NO_TOTALS)
    out: dict[str, Decimal | None] = totals.as_dict()
    for key in ("dIVA5", "dIVA10", "dTotIVA"):  # absent for AFE and non-IVA documents: zero IVA
        if out[key] is None:
            out[key] = Decimal(0)
    return out


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(PARAGUAY_TZ).replace(tzinfo=None, microsecond=0)
    if now.tzinfo is not None:
        now = now.astimezone(PARAGUAY_TZ).replace(tzinfo=None)
    return now.replace(microsecond=0)


def _tipo(data: object) -> object:
    if isinstance(data, Mapping):
        return data.get("tipoDocumento", data.get("tipo_documento"))
    return None


def _is_recibo(data: object) -> bool:
    tipo = _tipo(data)
    return tipo == 55 or tipo == "55"


def _map(params: Mapping[str, Any], data: Mapping[str, Any], environment: str, now: datetime) -> Any:
    from sifenflow_common.documents.mapping import map_document

    issues = IssueCollector()
    p, p_complete = parse_lenient(Params, params, "params", issues)
    d, d_complete = parse_lenient(Documento, data, "data", issues)
    if p is None or d is None:
        return issues, None
    if p_complete and d_complete:
        return issues, map_document(p, d, issues, environment=environment, now=now)
    # Some invalid optional fields were dropped to run the rules too: report their issues, but
    # not the rule issues about the very fields that were dropped (already reported as invalid).
    structural = list(issues.issues)
    rules_issues = IssueCollector()
    map_document(p, d, rules_issues, environment=environment, now=now)
    issues.issues.extend(i for i in rules_issues.issues if not _under_any(i.path, structural))
    return issues, None


def _non_xml_issues(params: Mapping[str, Any], data: Mapping[str, Any]) -> list[ValidationIssue]:
    return non_xml_text(params, "params") + non_xml_text(data, "data") or [
        ValidationIssue("CARACTER_INVALIDO", "data", "El texto contiene caracteres de control no permitidos")
    ]


def _under_any(path: str, structural: list[ValidationIssue]) -> bool:
    return any(path == s.path or path.startswith((s.path + ".", s.path + "[")) for s in structural)


def validate_document(params: Mapping[str, Any], data: Mapping[str, Any]) -> list[ValidationIssue]:
    """Every issue of the document (empty list = it would build); no XML is produced."""
    if isinstance(data, Mapping):
        data = tolerate(data).data
    if _is_recibo(data):
        from sifenflow_common.documents.recibo import validate_recibo

        return validate_recibo(params, data)
    bad_text = non_xml_text(params, "params") + non_xml_text(data, "data")
    if bad_text:
        return bad_text
    try:
        issues, _ = _map(params, data, "test", _now(None))
    except DocumentInvalid as exc:
        return list(exc.issues)
    return list(issues.issues)


def build_document(
    params: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    environment: Environment = "test",
    now: datetime | None = None,
) -> BuiltDocument:
    """Validate and build the unsigned rDE; raises ``DocumentInvalid`` with all issues."""
    warnings: tuple[ValidationIssue, ...] = ()
    if type(data) is dict or isinstance(data, Mapping):
        tolerated = tolerate(data)
        data, warnings = tolerated.data, tuple(tolerated.warnings)
    if _is_recibo(data):
        from sifenflow_common.documents.recibo import build_recibo

        built = build_recibo(params, data, environment=environment, now=now)
        return replace(built, warnings=warnings) if warnings else built
    issues, mapped = _map(params, data, environment, _now(now))
    if mapped is None:
        raise DocumentInvalid(
            issues.issues or [ValidationIssue("VALOR_INVALIDO", "data", "Documento inválido")]
        )
    # A control character would make the XML ill-formed (MT v150 §7.2.4). Looking at the written
    # bytes once is far cheaper than walking every input string of every document.
    try:
        xml = write_rde(mapped.de)
    except UnicodeEncodeError:  # lone surrogates cannot be encoded
        raise DocumentInvalid(_non_xml_issues(params, data)) from None
    if has_non_xml_bytes(xml):
        raise DocumentInvalid(_non_xml_issues(params, data))
    return BuiltDocument(
        cdc=mapped.de.Id,
        xml=xml,
        tipo_documento=mapped.tipo_documento,
        numero=f"{mapped.establecimiento}-{mapped.punto}-{mapped.numero_documento}",
        establecimiento=mapped.establecimiento,
        punto=mapped.punto,
        numero_documento=mapped.numero_documento,
        timbrado=mapped.timbrado,
        fecha_emision=mapped.fecha_emision,
        totals=_totals(mapped.totals),
        receptor_email=mapped.receptor_email,
        moneda=mapped.moneda,
        warnings=warnings,
    )
