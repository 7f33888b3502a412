"""siRecepEvento in the simulator: each ``rGesEve`` checked against the stored DTEs and windows.

Rules (sifen-protocol.md §7.3, MT v150 §11): cancelación only of an approved DTE, once (4003), not
after the receptor's conformidad (4004), within 48 h of approval for an FE (4009) and 168 h for the
other types (4010); inutilización of a range of at most 1000 numbers (4067), end ≥ start (4068),
timbrado/establecimiento/punto/tipo registered (4052-4055), no approved DTE (4065) and no number
already inutilizado (4066) in the range; receptor events only on an approved DTE, notificación once
(4101) and not after conformidad/disconformidad/desconocimiento (4113).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from cryptography import x509
from lxml import etree

from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.signature import VerificationReport, verify_signature
from sifenflow_common.sifen.soap import (
    EstadoResultado,
    EventoResult,
    RecepcionEventoRequest,
    RecepcionEventoResult,
    ResultMessage,
    format_fec,
)
from sifenflow_common.sifen.soap.envelope import child, child_text, local_name
from sifenflow_sifen_sim.checks import signature_rejection
from sifenflow_sifen_sim.clock import PARAGUAY, Clock
from sifenflow_sifen_sim.registry import Registry
from sifenflow_sifen_sim.store import Store

CANCEL_WINDOW_FE = timedelta(hours=48)
CANCEL_WINDOW_OTHERS = timedelta(hours=168)
MAX_INUTILIZACION_RANGE = 1000
REGISTERED = ResultMessage("0600", "Evento registrado correctamente")
RECEPTOR_EVENTS = frozenset({"rGeVeNotRec", "rGeVeConf", "rGeVeDisconf", "rGeVeDescon"})

# Verification of an rGesEve's signature: (rejection or None, RUC "number-dv" of the signer).
EventVerifier = Callable[[etree._Element], tuple[ResultMessage | None, str | None]]


def event_signature_verifier(trusted_roots: Sequence[x509.Certificate] | None) -> EventVerifier:
    """The rEve signature (MT v150 §6.2 of the digest: same profile as the DE, Reference #rEve/@Id)
    verified with ``sifen.signature.verify_signature``, chain against the test CA."""

    def verify(ges_eve: etree._Element) -> tuple[ResultMessage | None, str | None]:
        signature = child(ges_eve, "Signature")
        if signature is None:
            return _reject("0140", "Firma difiere del estándar: el evento no tiene Signature"), None
        rev = child(ges_eve, "rEve")
        moment = None
        signed = child_text(rev, "dFecFirma") if rev is not None else None
        if signed:
            try:
                moment = datetime.fromisoformat(signed).replace(tzinfo=PARAGUAY)
            except ValueError:
                moment = None
        checks, _digest, certificate = verify_signature(
            ges_eve, signature, trusted_roots=trusted_roots, at=moment
        )
        signer = certificate.ruc if certificate is not None else None
        failures = [c for c in checks if not c.ok]
        if not failures:
            return None, signer
        report = VerificationReport(ok=False, checks=checks)
        return signature_rejection(report), signer

    return verify


def _reject(code: str, message: str) -> ResultMessage:
    return ResultMessage(code, message[:255])


class EventProcessor:
    def __init__(
        self, store: Store, registry: Registry, clock: Clock, verifier: EventVerifier | None = None
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.verifier = verifier
        self._lock = threading.Lock()

    def rejected_all(self, request: RecepcionEventoRequest, message: ResultMessage) -> RecepcionEventoResult:
        ids = [self._event_id(g) for g in request.events] or ["0"]
        return RecepcionEventoResult(
            processed_at=self.clock.now(),
            results=tuple(EventoResult(i, EstadoResultado.RECHAZADO.value, None, (message,)) for i in ids),
        )

    @staticmethod
    def _event_id(ges_eve: etree._Element) -> str:
        rev = child(ges_eve, "rEve")
        value = (rev.get("Id") if rev is not None else None) or "0"
        return value if value.isdigit() else "0"

    def process(self, request: RecepcionEventoRequest) -> RecepcionEventoResult:
        now = self.clock.now()
        results = []
        with self._lock:
            for ges_eve in request.events:
                results.append(self._one(ges_eve, now))
        return RecepcionEventoResult(processed_at=now, results=tuple(results))

    def _one(self, ges_eve: etree._Element, now: datetime) -> EventoResult:
        event_id = self._event_id(ges_eve)
        rev = child(ges_eve, "rEve")
        group_parent = child(rev, "gGroupTiEvt") if rev is not None else None
        group = (
            next((c for c in group_parent if isinstance(c.tag, str)), None)
            if group_parent is not None
            else None
        )
        if rev is None or group is None:
            return self._rejected(event_id, _reject("0160", "XML malformado: rEve sin gGroupTiEvt"))
        signer: str | None = None
        if self.verifier is not None:
            rejection, signer = self.verifier(ges_eve)
            if rejection is not None:
                return self._rejected(event_id, rejection)
        signed = child_text(rev, "dFecFirma")
        try:
            if signed and datetime.fromisoformat(signed) > now.replace(tzinfo=None) + timedelta(minutes=2):
                return self._rejected(event_id, _reject("4008", "Fecha de firma del evento adelantada"))
        except ValueError:
            pass
        kind = local_name(group)
        if kind == "rGeVeCan":
            rejection, cdc = self._cancelacion(group, now, signer)
        elif kind == "rGeVeInu":
            rejection, cdc = self._inutilizacion(group, signer), None
        elif kind in RECEPTOR_EVENTS:
            rejection, cdc = self._receptor(kind, group)
        else:  # rGeVeTr, rGeVeEnd, rGEveNom: need an approved DTE
            cdc = child_text(group, "Id")
            rejection = self._require_dte(cdc, "4001")
        if rejection is not None:
            return self._rejected(event_id, rejection)
        return self._register(ges_eve, event_id, kind, cdc, group, now)

    def _rejected(self, event_id: str, message: ResultMessage) -> EventoResult:
        return EventoResult(event_id, EstadoResultado.RECHAZADO.value, None, (message,))

    def _require_dte(self, cdc: str | None, missing_code: str) -> ResultMessage | None:
        document = self.store.document(cdc or "")
        if document is None:
            return _reject(missing_code, f"CDC inexistente: {cdc}")
        if document.protocol is None:
            return _reject("4002", "El CDC no corresponde a un DTE aprobado")
        return None

    def _cancelacion(
        self, group: etree._Element, now: datetime, signer: str | None
    ) -> tuple[ResultMessage | None, str | None]:
        cdc = child_text(group, "Id")
        rejection = self._require_dte(cdc, "4001")
        if rejection is not None:
            return rejection, cdc
        document = self.store.document(cdc or "")
        assert document is not None and document.approved_at is not None
        if signer is not None and not _same_number(signer, document.ruc):
            return _reject("4006", f"El firmante ({signer}) no es el emisor del DTE"), cdc
        if document.cancelled:
            return _reject("4003", "Ya existe un evento de cancelación para el CDC"), cdc
        if any(kind == "rGeVeConf" for kind, _, _ in self.store.events_of(document.cdc)):
            return _reject("4004", "El receptor ya registró la conformidad del DTE"), cdc
        elapsed = now - document.approved_at
        if document.itide == 1 and elapsed > CANCEL_WINDOW_FE:
            return _reject("4009", "Plazo de cancelación de la factura electrónica (48 horas) vencido"), cdc
        if document.itide != 1 and elapsed > CANCEL_WINDOW_OTHERS:
            return _reject("4010", "Plazo de cancelación del DTE (168 horas) vencido"), cdc
        return None, cdc

    def _inutilizacion(self, group: etree._Element, signer: str | None) -> ResultMessage | None:
        timbrado = child_text(group, "dNumTim") or ""
        est = child_text(group, "dEst") or ""
        pun = child_text(group, "dPunExp") or ""
        itide = int(child_text(group, "iTiDE") or 0)
        desde = int(child_text(group, "dNumIn") or 0)
        hasta = int(child_text(group, "dNumFin") or 0)
        if hasta < desde:
            return _reject("4068", "El número final del rango es menor que el inicial")
        if hasta - desde > MAX_INUTILIZACION_RANGE:
            return _reject("4067", "El rango a inutilizar supera 1000 números")
        owner = self.registry.owner_of_timbrado(timbrado)
        record = owner.timbrado(timbrado) if owner is not None else None
        if owner is None or record is None:
            return _reject("4052", f"Timbrado {timbrado} inexistente")
        if signer is not None and not _same_number(signer, owner.ruc):
            return _reject("4069", f"El firmante ({signer}) no es el titular del timbrado")
        if est not in record.establecimientos:
            return _reject("4053", f"Establecimiento {est} no pertenece al timbrado")
        if pun not in record.establecimientos[est]:
            return _reject("4054", f"Punto de expedición {pun} no pertenece al timbrado")
        if itide not in record.tipos:
            return _reject("4055", f"Tipo de DE {itide} no habilitado en el timbrado")
        approved = self.store.approved_in_range(timbrado, est, pun, itide, desde, hasta)
        if approved is not None:
            return _reject("4065", f"Existe un DTE aprobado en el rango (CDC {approved})")
        if self.store.inutilizado_overlap(timbrado, est, pun, itide, desde, hasta):
            return _reject("4066", "Hay números del rango ya inutilizados")
        return None

    def _receptor(self, kind: str, group: etree._Element) -> tuple[ResultMessage | None, str | None]:
        cdc = child_text(group, "Id")
        rejection = self._require_dte(cdc, "4102")
        if rejection is not None:
            return rejection, cdc
        previous = {k for k, _, _ in self.store.events_of(cdc or "")}
        if kind == "rGeVeNotRec":
            if "rGeVeNotRec" in previous:
                return _reject("4101", "Ya existe una notificación de recepción para el CDC"), cdc
            if previous & {"rGeVeConf", "rGeVeDisconf", "rGeVeDescon"}:
                return _reject(
                    "4113", "Notificación posterior a conformidad/disconformidad/desconocimiento"
                ), cdc
        return None, cdc

    def _register(
        self,
        ges_eve: etree._Element,
        event_id: str,
        kind: str,
        cdc: str | None,
        group: etree._Element,
        now: datetime,
    ) -> EventoResult:
        with self.store.transaction() as conn:
            protocol = self.store.next_number("protocol", conn)
            result = EventoResult(event_id, EstadoResultado.APROBADO.value, protocol, (REGISTERED,))
            self.store.save_event(
                conn,
                protocol=protocol,
                event_id=event_id,
                cdc=cdc,
                kind=kind,
                xml=etree.tostring(ges_eve, encoding="utf-8"),
                answer=_answer_xml(result, now),
                registered_at=now,
            )
            if kind == "rGeVeCan" and cdc:
                self.store.mark_cancelled(conn, cdc)
            if kind == "rGeVeInu":
                self.store.save_inutilizacion(
                    conn,
                    protocol=protocol,
                    ruc=None,
                    timbrado=child_text(group, "dNumTim") or "",
                    est=child_text(group, "dEst") or "",
                    pun=child_text(group, "dPunExp") or "",
                    itide=int(child_text(group, "iTiDE") or 0),
                    desde=int(child_text(group, "dNumIn") or 0),
                    hasta=int(child_text(group, "dNumFin") or 0),
                    registered_at=now,
                )
        return result


def _same_number(ruc_a: str, ruc_b: str) -> bool:
    """Same RUC number, ignoring the DV and leading zeros."""
    return ruc_a.split("-", 1)[0].lstrip("0") == ruc_b.split("-", 1)[0].lstrip("0")


def _answer_xml(result: EventoResult, now: datetime) -> bytes:
    """``rResEnviEventoDe`` kept with the event for ``xContEv`` of consulta DE."""
    s = f"{{{SIFEN_NS}}}"
    root = etree.Element(s + "rResEnviEventoDe", nsmap={None: SIFEN_NS})
    etree.SubElement(root, s + "dFecProc").text = format_fec(now)
    group = etree.SubElement(root, s + "gResProcEVe")
    etree.SubElement(group, s + "dEstRes").text = result.status
    if result.protocol is not None:
        etree.SubElement(group, s + "dProtAut").text = str(result.protocol)
    etree.SubElement(group, s + "id").text = result.event_id
    for m in result.messages:
        res = etree.SubElement(group, s + "gResProc")
        etree.SubElement(res, s + "dCodRes").text = m.code
        etree.SubElement(res, s + "dMsgRes").text = m.message
    return etree.tostring(root, encoding="utf-8")
