"""The pure part of a DE's validation, runnable in a worker process (lotes).

XSD, signature, CDC, dates, registry, QR and totals need no simulator state, only the registry and
the clock's reading: ``precheck_lote`` runs them for every DE of a lote ZIP, in another process when
the simulator has lote workers, so the CPU-heavy verification never competes with reception for
the event loop's GIL. The stateful checks (inutilizado, duplicates) and the recording then run in
the simulator's process, in SIFEN's order (``reception.DocumentValidator.finish``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from lxml import etree

from sifenflow_common.sifen.soap import LoteError, ResultMessage, unpack_lote
from sifenflow_common.sifen.soap.envelope import local_name
from sifenflow_sifen_sim.checks import Check, CheckContext, default_checks, is_pure
from sifenflow_sifen_sim.document import DeFields, read_fields
from sifenflow_sifen_sim.registry import Contribuyente, Registry


@dataclass(frozen=True, slots=True)
class Precheck:
    xml: bytes
    cdc: str
    values: dict[str, str]
    results: tuple[ResultMessage | None, ...]  # pure checks in order, up to the first failure
    observations: tuple[ResultMessage, ...]
    digest: str | None


@dataclass(frozen=True, slots=True)
class PrecheckBatch:
    error: str | None  # the lote could not be read at all
    types: frozenset[int]
    items: tuple[Precheck, ...]


def run_pure(
    rde: etree._Element,
    now_local: datetime,
    registry: Registry,
    checks: list[Check],
    fields: DeFields | None = None,
) -> Precheck:
    xml = etree.tostring(rde, encoding="utf-8")
    fields = fields or read_fields(rde)
    ctx = CheckContext(rde=rde, xml=xml, fields=fields, now_local=now_local, registry=registry, store=None)
    results: list[ResultMessage | None] = []
    for check in checks:
        if not is_pure(check):
            continue
        outcome = check(ctx)
        results.append(outcome)
        if outcome is not None:
            break
    digest = ctx.extras.get("digest_value") or fields.get("DigestValue") or None
    return Precheck(xml, fields.cdc, fields.values, tuple(results), tuple(ctx.observations), digest)


_ROOTS: dict[bytes, list[x509.Certificate]] = {}
_CHECKS: dict[bytes | None, list[Check]] = {}


def _checks_for(roots_pem: bytes | None) -> list[Check]:
    """Checks built once per process and trust anchors (the signature check caches certificates)."""
    if roots_pem not in _CHECKS:
        roots = None
        if roots_pem is not None:
            roots = _ROOTS.setdefault(roots_pem, x509.load_pem_x509_certificates(roots_pem))
        _CHECKS[roots_pem] = list(default_checks(roots))
    return _CHECKS[roots_pem]


def precheck_lote(
    zip_bytes: bytes,
    now_local: datetime,
    contribuyentes: list[Contribuyente],
    roots_pem: bytes | None,
) -> PrecheckBatch:
    """Pure checks of every rDE of a lote ZIP (picklable arguments and result: runs in a worker)."""
    try:
        rdes = [r for r in unpack_lote(zip_bytes) if local_name(r) == "rDE"]
    except LoteError as exc:
        return PrecheckBatch(str(exc), frozenset(), ())
    fields = [read_fields(r) for r in rdes]
    types = frozenset(f.itide for f in fields)
    if len(types) > 1:
        return PrecheckBatch(None, types, ())
    registry = Registry(contribuyentes)
    checks = _checks_for(roots_pem)
    return PrecheckBatch(
        None,
        types,
        tuple(_pure_or_0160(r, now_local, registry, checks, f) for r, f in zip(rdes, fields, strict=True)),
    )


def _pure_or_0160(
    rde: etree._Element, now_local: datetime, registry: Registry, checks: list[Check], fields: DeFields
) -> Precheck:
    """A DE with a DOCTYPE or an entity reference, or one the XML tooling cannot handle, is
    rejected with 0160 (XML malformado) instead of stopping the lote."""
    docinfo = rde.getroottree().docinfo
    problem: str | None = None
    if docinfo.doctype or docinfo.internalDTD is not None:
        problem = "DOCTYPE no permitido"
    elif any(isinstance(node, etree._Entity) for node in rde.iter()):
        problem = "referencias a entidades no permitidas"
    else:
        try:
            return run_pure(rde, now_local, registry, checks, fields)
        except etree.LxmlError as exc:
            problem = str(exc)
    message = ResultMessage("0160", f"XML malformado: {problem}"[:255])
    return Precheck(etree.tostring(rde, encoding="utf-8"), fields.cdc, fields.values, (message,), (), None)
