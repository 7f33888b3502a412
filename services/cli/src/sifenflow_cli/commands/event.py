"""``sifenflow event build INPUT.json``: signed siRecepEvento request (rEnviEventoDe) from JSON.

INPUT.json is one event ``{"tipo": "cancelacion", "id": 1, "data": {...}}`` or several
``{"dId": 10, "eventos": [{"tipo": ..., "id": ..., "data": {...}}, ...]}`` (1 to 15). ``data`` is the
FacturaSend body of ``/evento/<tipo>``. An optional ``contexto`` per event (``aprobado``
``AAAA-MM-DDThh:mm:ss±hh:mm``, ``emitido``, ``tipoDocumento``, ``emisorRuc``, ``receptorRuc``,
``eventosPrevios``, ``innominado``) turns on the business rules (plazos, rangos, quién firma).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from sifenflow_cli.commands._signing_output import fail, fail_one, read_file
from sifenflow_common import jsonin
from sifenflow_common.errors import DocumentInvalid, ValidationIssue
from sifenflow_common.sifen.certificates import CertificateError, SigningCredentials, load_pkcs12
from sifenflow_common.sifen.event_rules import EventContext, check_event_rules
from sifenflow_common.sifen.events import build_event, build_event_request, sign_event


def _moment(value: Any, path: str, issues: list[ValidationIssue]) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        issues.append(ValidationIssue("FECHA_INVALIDA", path, "Fecha ISO 8601 con zona horaria esperada"))
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _context(
    raw: dict[str, Any], path: str, credentials: SigningCredentials, issues: list[ValidationIssue]
) -> EventContext:
    tipo = raw.get("tipoDocumento")
    return EventContext(
        now=datetime.now(UTC),
        signer_ruc=credentials.ruc,
        issuer_ruc=raw.get("emisorRuc"),
        receptor_ruc=raw.get("receptorRuc"),
        document_type=int(tipo) if tipo is not None else None,
        approved_at=_moment(raw.get("aprobado"), f"{path}.aprobado", issues),
        emitted_at=_moment(raw.get("emitido"), f"{path}.emitido", issues),
        prior_events=frozenset(raw.get("eventosPrevios") or ()),
        receptor_innominado=raw.get("innominado"),
    )


@click.group("event")
def command() -> None:
    """Eventos SIFEN (cancelación, inutilización, receptor, nominación, transporte)."""


@command.command("build")
@click.argument("input_json", metavar="INPUT.json", type=click.Path(dir_okay=False))
@click.option(
    "--p12", "p12_path", required=True, type=click.Path(dir_okay=False), help="Certificado .p12/.pfx"
)
@click.option("--password", envvar="SIFENFLOW_P12_PASSWORD", required=True, help="Contraseña del PKCS#12")
@click.option("--out", type=click.Path(dir_okay=False), help="Archivo de salida (por defecto stdout)")
def build(input_json: str, p12_path: str, password: str, out: str | None) -> None:
    """Construye y firma el rEnviEventoDe descrito en INPUT.json."""
    try:
        document = jsonin.loads(read_file(input_json, "INPUT.json"))
    except jsonin.JsonInputError as exc:
        fail_one("JSON_INVALIDO", exc.path, f"JSON inválido: {exc.message}")
    if not isinstance(document, dict):
        fail_one("JSON_INVALIDO", "$", "Se esperaba un objeto JSON")
    events = document.get("eventos", [document])
    if not isinstance(events, list) or not 1 <= len(events) <= 15:
        fail_one("EVENTOS_INVALIDOS", "eventos", "Se esperan de 1 a 15 eventos")
    try:
        credentials = load_pkcs12(read_file(p12_path, "--p12"), password)
    except CertificateError as exc:
        fail_one(exc.code, "--p12", exc.message)
    issues: list[ValidationIssue] = []
    signed = []
    for index, event in enumerate(events):
        path = f"eventos[{index}]" if "eventos" in document else "$"
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            issues.append(ValidationIssue("EVENTO_INVALIDO", path, "Cada evento necesita tipo, id y data"))
            continue
        kind = str(event.get("tipo", ""))
        data = event["data"]
        try:
            r_eve = build_event(kind, data, event_id=int(event.get("id", index + 1)))
        except DocumentInvalid as exc:
            issues.extend(ValidationIssue(i.code, f"{path}.{i.path}", i.message) for i in exc.issues)
            continue
        except ValueError:
            issues.append(ValidationIssue("EVENTO_ID_INVALIDO", f"{path}.id", "id debe ser un entero"))
            continue
        if isinstance(event.get("contexto"), dict):
            context = _context(event["contexto"], f"{path}.contexto", credentials, issues)
            issues.extend(
                ValidationIssue(i.code, f"{path}.{i.path}", i.message)
                for i in check_event_rules(kind, data, context)
            )
        try:
            signed.append(sign_event(r_eve, credentials))
        except CertificateError as exc:
            fail_one(exc.code, "--p12", exc.message)
    if issues:
        fail(issues)
    xml = build_event_request(int(document.get("dId", 1)), signed)
    if out:
        with open(out, "wb") as handle:
            handle.write(xml)
    else:
        sys.stdout.buffer.write(xml + b"\n")
        sys.stdout.flush()
