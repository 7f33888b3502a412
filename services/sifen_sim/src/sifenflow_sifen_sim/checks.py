"""Document checks of the simulator: a list of small functions, each returning a rejection or None.

SIFEN stops at the first failing validation and reports only that one (sifen-protocol.md §2.3), so
the checks run in order and the first ``ResultMessage`` returned rejects the DE. A check may also
add an observation (e.g. 1005, approved with observation). Checks that need shared modules
(signature, QR, totals) are added to the list in ``default_checks`` once those modules exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography import x509
from lxml import etree

from sifenflow_common.sifen import xsd
from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.qr import verify_qr_tree
from sifenflow_common.sifen.signature import VerificationReport, verify_rde_tree
from sifenflow_common.sifen.soap import ResultMessage
from sifenflow_sifen_sim.document import DeFields
from sifenflow_sifen_sim.registry import Registry
from sifenflow_sifen_sim.store import Store

_CDC_RE = re.compile(r"^[0-9]{2}[0-9]{7}[0-9A-D][0-9]{34}$")
TRANSMISSION_WINDOW = timedelta(hours=72)  # MT v150 §6.2.1
# MT v150 §6.2.1, emission date vs transmission: up to 120 h either way is on time; 120-720 h in
# the past is extemporaneous (approved with observation 1005); beyond that it is rejected. The
# Manual names no code for the two rejections: 1160/1161 are the simulator's (UNCERTAIN).
EMISSION_ON_TIME = timedelta(hours=120)
EMISSION_LATEST = timedelta(hours=720)
EMISSION_AHEAD_CODE, EMISSION_TOO_OLD_CODE = "1160", "1161"
INNOMINADO = "5"  # iTipIDRec of an anonymous receptor (MT D210)
INNOMINADO_LIMIT_PYG = 60_000_000  # MT v150 rule 1321 (sifen-protocol.md §8.7)
MUESTRAS_MEDICAS = "13"  # iTipTra exempt from 1321
FUTURE_TOLERANCE = timedelta(minutes=2)


@dataclass
class CheckContext:
    rde: etree._Element | None  # None for the stateful checks run after a worker's pre-check
    xml: bytes  # the rDE serialized once (signature and QR verification read bytes)
    fields: DeFields
    now_local: datetime  # Paraguay wall clock, naive (comparable with dFecFirma)
    registry: Registry
    store: Store | None  # None in a worker process: only pure checks run there
    observations: list[ResultMessage] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the signature verification report


Check = Callable[[CheckContext], ResultMessage | None]


def _reject(code: str, message: str) -> ResultMessage:
    return ResultMessage(code=code, message=message[:255])


def check_schema(ctx: CheckContext) -> ResultMessage | None:
    """0160 with the first XSD error (siRecepDE_v150.xsd) — SIFEN gives no detail; we do."""
    assert ctx.rde is not None
    errors = xsd.schema_errors(ctx.rde, xsd.SCHEMA_RDE)
    if errors:
        first = errors[0]
        return _reject("0160", f"XML malformado: {first.message}")
    return None


def check_cdc(ctx: CheckContext) -> ResultMessage | None:
    """CDC layout, check digit (1003) and agreement with the XML fields (1000), MT v150 §10.1."""
    f = ctx.fields
    cdc = f.cdc
    if not _CDC_RE.match(cdc):
        return _reject("1000", f"CDC con formato inválido: {cdc!r}")
    expected_dv = dv11(cdc[:43])
    if str(expected_dv) != cdc[43] or (f.get("dDVId") and f.get("dDVId") != cdc[43]):
        return _reject("1003", f"DV del CDC inválido: se esperaba {expected_dv}")
    fe_emi = f.get("dFeEmiDE")[:10].replace("-", "")
    expected = [
        ("iTiDE", f.get("iTiDE").zfill(2), cdc[0:2]),
        ("dRucEm", f.get("dRucEm").zfill(8), cdc[2:10]),
        ("dDVEmi", f.get("dDVEmi"), cdc[10]),
        ("dEst", f.get("dEst"), cdc[11:14]),
        ("dPunExp", f.get("dPunExp"), cdc[14:17]),
        ("dNumDoc", f.get("dNumDoc"), cdc[17:24]),
        ("iTipCont", f.get("iTipCont"), cdc[24]),
        ("dFeEmiDE", fe_emi, cdc[25:33]),
        ("iTipEmi", f.get("iTipEmi"), cdc[33]),
        ("dCodSeg", f.get("dCodSeg"), cdc[34:43]),
    ]
    for name, from_xml, from_cdc in expected:
        if from_xml != from_cdc:
            return _reject("1000", f"CDC no corresponde con {name} del XML ({from_xml} ≠ {from_cdc})")
    return None


def _parse_local(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def check_signing_time(ctx: CheckContext) -> ResultMessage | None:
    """1004 when dFecFirma is ahead of SIFEN's clock; 1005 observation after 72 h (MT v150 §6.2.1)."""
    signed = _parse_local(ctx.fields.get("dFecFirma"))
    if signed is None:
        return None  # the schema check reports the format
    if signed > ctx.now_local + FUTURE_TOLERANCE:
        return _reject("1004", "Fecha y hora de la firma digital adelantada")
    if ctx.now_local - signed > TRANSMISSION_WINDOW:
        ctx.observations.append(
            ResultMessage("1005", "Transmisión extemporánea del DE (más de 72 horas desde la firma)")
        )
    return None


def check_emission_date(ctx: CheckContext) -> ResultMessage | None:
    """dFeEmiDE against the reception time (MT v150 §6.2.1): more than 120 h ahead or 720 h behind
    is rejected; 120-720 h behind is approved with observation 1005 (extemporaneous)."""
    emitted = _parse_local(ctx.fields.get("dFeEmiDE"))
    if emitted is None:
        return None  # the schema check reports the format
    if emitted - ctx.now_local > EMISSION_ON_TIME:
        return _reject(EMISSION_AHEAD_CODE, "Fecha de emisión del DE adelantada (más de 120 horas)")
    late = ctx.now_local - emitted
    if late > EMISSION_LATEST:
        return _reject(
            EMISSION_TOO_OLD_CODE,
            "Fecha de emisión del DE con más de 720 horas de antigüedad: requiere trámite administrativo",
        )
    if late > EMISSION_ON_TIME and not any(o.code == "1005" for o in ctx.observations):
        ctx.observations.append(
            ResultMessage("1005", "Transmisión extemporánea del DE (emitido hace más de 120 horas)")
        )
    return None


def check_receptor(ctx: CheckContext) -> ResultMessage | None:
    """Receptor identification rules (MT v150 group D2, sifen-protocol.md §8.7): 1322 a contributor
    receptor carries no iTipIDRec, 1311 nor does a B2F one, 1319 innominado only in B2C by a
    non-contributor, 1321 innominado below 60 000 000 PYG (except iTipTra 13, muestras médicas)."""
    f = ctx.fields
    id_type = f.get("iTipIDRec")
    if not id_type:
        return None
    if f.get("iNatRec") == "1":
        return _reject("1322", "Receptor contribuyente: no corresponde informar iTipIDRec")
    if f.get("iTiOpe") == "4":
        return _reject("1311", "Operación B2F: no corresponde informar iTipIDRec")
    if id_type != INNOMINADO:
        return None
    if f.get("iNatRec") != "2" or f.get("iTiOpe") != "2":
        return _reject("1319", "Receptor innominado solo permitido en operaciones B2C con no contribuyentes")
    total = _amount(f.get("dTotalGs")) or (
        _amount(f.get("dTotGralOpe")) if f.get("cMoneOpe") == "PYG" else None
    )
    if total is not None and total >= INNOMINADO_LIMIT_PYG and f.get("iTipTra") != MUESTRAS_MEDICAS:
        return _reject("1321", "Receptor innominado no permitido para operaciones de 60.000.000 PYG o más")
    return None


def _amount(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def check_emisor_and_timbrado(ctx: CheckContext) -> ResultMessage | None:
    """Timbrado registry: emisor known and active, timbrado of the RUC and type (1101), dates
    (1103, 1107), establecimiento (1105) and punto de expedición (1106) — MT v150 §9 / group C."""
    f = ctx.fields
    emisor = ctx.registry.get(f.ruc)
    if emisor is None:
        return _reject("1101", f"Timbrado no corresponde al RUC: RUC {f.ruc} no registrado")
    if emisor.estado != "ACT":
        return _reject("1101", f"RUC del emisor {f.ruc} en estado {emisor.estado}")
    timbrado = emisor.timbrado(f.get("dNumTim"))
    if timbrado is None or f.itide not in timbrado.tipos:
        return _reject("1101", f"Timbrado {f.get('dNumTim')} no corresponde al RUC {f.ruc} o al tipo de DE")
    try:
        inicio = date.fromisoformat(f.get("dFeIniT"))
        emitido = date.fromisoformat(f.get("dFeEmiDE")[:10])
    except ValueError:
        return None  # format reported by the schema check
    if inicio != timbrado.inicio:
        return _reject("1107", f"dFeIniT {inicio} no corresponde al timbrado ({timbrado.inicio})")
    if emitido < timbrado.inicio or (timbrado.fin is not None and emitido > timbrado.fin):
        return _reject("1103", "Timbrado no vigente en la fecha de emisión del DE")
    puntos = timbrado.establecimientos.get(f.get("dEst"))
    if puntos is None:
        return _reject("1105", f"Establecimiento {f.get('dEst')} no pertenece al timbrado")
    if f.get("dPunExp") not in puntos:
        return _reject("1106", f"Punto de expedición {f.get('dPunExp')} no pertenece al timbrado")
    return None


def check_inutilizado(ctx: CheckContext) -> ResultMessage | None:
    """1109: the number was inutilizado by an event (MT v150 §11)."""
    f = ctx.fields
    num = f.get("dNumDoc")
    assert ctx.store is not None
    if num.isdigit() and ctx.store.inutilizado_overlap(
        f.get("dNumTim"), f.get("dEst"), f.get("dPunExp"), f.itide, int(num), int(num)
    ):
        return _reject("1109", f"Número de documento {num} inutilizado")
    return None


def check_duplicates(ctx: CheckContext) -> ResultMessage | None:
    """1001 CDC already approved; 1002 same type+timbrado+number+serie+emission type approved."""
    f = ctx.fields
    assert ctx.store is not None
    existing = ctx.store.document(f.cdc)
    if existing is not None and existing.protocol is not None:
        return _reject("1001", "CDC duplicado")
    key = f.number_key()
    other = ctx.store.approved_cdc_for_number(
        f.itide, str(key["timbrado"]), str(key["est"]), str(key["pun"]), str(key["num"]),
        str(key["serie"]), str(key["tip_emi"]),
    )  # fmt: skip
    if other is not None and other != f.cdc:
        return _reject("1002", f"DE duplicado (aprobado con CDC {other})")
    return None


# verify_rde check names -> SIFEN codes, in the order SIFEN reports them (sifen-protocol.md §3).
SIGNATURE_CODES: tuple[tuple[str, str, str], ...] = (
    ("estructura", "0140", "Firma difiere del estándar"),
    ("perfil", "0140", "Firma difiere del estándar"),
    ("referencia", "0140", "Firma difiere del estándar"),
    ("digest", "0141", "Valor de la firma diferente del calculado"),
    ("firma", "0141", "Valor de la firma diferente del calculado"),
    ("certificado_uso", "0120", "Certificado de firma inválido"),
    ("certificado_vigencia", "0121", "Certificado de firma fuera de vigencia"),
    ("certificado_cadena", "0123", "Cadena del certificado de firma inválida"),
    ("ruc", "0142", "RUC del certificado de firma no corresponde al emisor"),
)


def signature_rejection(report: VerificationReport) -> ResultMessage | None:
    """The first failing verification check as its SIFEN code (0140-0142, 0120-0123)."""
    if report.ok:
        return None
    failures = report.failures
    for name, code, message in SIGNATURE_CODES:
        failed = next((c for c in failures if c.name == name), None)
        if failed is not None:
            if name == "ruc" and "0122" in failed.detail:
                return _reject("0122", f"Certificado de firma sin RUC: {failed.detail}")
            return _reject(code, f"{message}: {failed.detail}")
    first = failures[0]
    return _reject("0141", f"Firma inválida: {first.detail}")


def signature_check(trusted_roots: Sequence[x509.Certificate] | None) -> Check:
    """Signature, digest, certificate dates/usage, chain against the test CA, RUC vs emisor
    (``sifenflow_common.sifen.signature.verify_rde``); keeps the DigestValue for dDigVal."""

    def check_signature(ctx: CheckContext) -> ResultMessage | None:
        assert ctx.rde is not None  # a pure check: always run on the parsed DE
        report = verify_rde_tree(ctx.rde, trusted_roots=trusted_roots)
        ctx.extras["signature"] = report
        if report.digest_value:
            ctx.extras["digest_value"] = report.digest_value
        return signature_rejection(report)

    return check_signature


# The MT v150 digest lists no code for a wrong QR hash (group J, gCamFuFD); the simulator uses
# 2500 and says so in docs/sifen-simulator.md (UNCERTAIN).
QR_CODE = "2500"
_ID_CSC_RE = re.compile(r"[?&]IdCSC=([0-9]{1,4})")


def check_qr(ctx: CheckContext) -> ResultMessage | None:
    """cHashQR recomputed with the emisor's registered CSC (``sifen.qr.verify_qr``, MT v150 §13.8)."""
    emisor = ctx.registry.get(ctx.fields.ruc)
    if emisor is None:
        return None  # reported by the timbrado check
    match = _ID_CSC_RE.search(ctx.fields.get("dCarQR"))
    csc = emisor.csc.get(match.group(1).zfill(4)) if match else None
    if csc is None:
        return _reject(QR_CODE, "IdCSC del QR no registrado para el emisor")
    assert ctx.rde is not None  # a pure check: always run on the parsed DE
    if not verify_qr_tree(ctx.rde, csc):
        return _reject(QR_CODE, "Hash del código QR (cHashQR) no corresponde")
    return None


def default_checks(trusted_roots: Sequence[x509.Certificate] | None = None) -> Sequence[Check]:
    """The checks in SIFEN's order (schema, signature, CDC, dates, registry, duplicates, QR, totals)."""
    from sifenflow_sifen_sim.totals_check import check_totals  # imports this module

    return (
        check_schema,
        signature_check(trusted_roots),
        check_cdc,
        check_signing_time,
        check_emission_date,
        check_emisor_and_timbrado,
        check_receptor,
        check_inutilizado,
        check_duplicates,
        check_qr,
        check_totals,
    )


# Checks that read the simulator's state (SQLite); every other check is pure and may run in a
# worker process (lotes), given the registry and the clock's reading.
STATEFUL_CHECKS = frozenset({"check_inutilizado", "check_duplicates"})


def is_pure(check: Check) -> bool:
    return getattr(check, "__name__", "") not in STATEFUL_CHECKS


def run_checks(ctx: CheckContext, checks: Sequence[Check]) -> ResultMessage | None:
    for check in checks:
        rejection = check(ctx)
        if rejection is not None:
            return rejection
    return None
