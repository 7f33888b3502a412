"""The simulator's aiohttp application: the six SIFEN paths, WSDL download and the admin API."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import socket
import struct
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from sifenflow_common.sifen import soap, xsd
from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.reference import wsdl_dir
from sifenflow_common.sifen.soap import Operation, ResultMessage
from sifenflow_common.sifen.test_ca import ensure_test_ca
from sifenflow_common.sifen_client.config import REQUESTER_RUC_HEADER
from sifenflow_sifen_sim.admin_token import ensure_admin_token
from sifenflow_sifen_sim.clock import Clock
from sifenflow_sifen_sim.events import EventProcessor, event_signature_verifier
from sifenflow_sifen_sim.faults import FaultConfigError, FaultInjector, FaultKind, FaultPlan, plan_from_dict
from sifenflow_sifen_sim.lotes import LoteProcessor
from sifenflow_sifen_sim.reception import DocumentValidator
from sifenflow_sifen_sim.registry import (
    ESTADOS,
    Registry,
    RegistryError,
    contribuyente_from_dict,
    load_registry_file,
)
from sifenflow_sifen_sim.settings import SimSettings
from sifenflow_sifen_sim.store import Store
from sifenflow_sifen_sim.tls import ruc_of_peer

log = logging.getLogger(__name__)
SOAP_CONTENT_TYPE = "application/soap+xml"
OPERATION_BY_PATH = {path: op for op, path in soap.PATHS.items()}
ENVELOPE_SCHEMA = {
    Operation.RECEPCION_DE: xsd.SCHEMA_WS_RECEP_DE,
    Operation.RECEPCION_LOTE: xsd.SCHEMA_WS_RECEP_LOTE,
    Operation.CONSULTA_LOTE: xsd.SCHEMA_WS_CONS_LOTE,
    Operation.CONSULTA_DE: xsd.SCHEMA_WS_CONS_DE,
    Operation.CONSULTA_RUC: xsd.SCHEMA_WS_CONS_RUC,
    Operation.RECEPCION_EVENTO: xsd.SCHEMA_WS_RECEP_EVENTO,
}
# Request size limits and their codes (sifen-protocol.md §1.3).
SIZE_LIMITS = {
    Operation.RECEPCION_DE: (1000 * 1024, "0200"),
    Operation.RECEPCION_LOTE: (10_000 * 1024, "0270"),
    Operation.CONSULTA_LOTE: (1000 * 1024, "0320"),
    Operation.CONSULTA_DE: (1000 * 1024, "0380"),
    Operation.CONSULTA_RUC: (1000 * 1024, "0460"),
    Operation.RECEPCION_EVENTO: (1000 * 1024, "0560"),
}
HTML_PAGE = (
    b"<html><head><title>BIG-IP logout page</title></head><body><p>Your session could not be "
    b"established.</p></body></html>"
)


class Simulator:
    """Wiring of the simulator's parts; one per process (or per test)."""

    def __init__(self, settings: SimSettings) -> None:
        self.settings = settings
        self._started = False
        self._closed = False
        if settings.data_dir is not None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.admin_token = settings.admin_token or ensure_admin_token(settings.data_dir)
        self.store = Store(settings.database_path)
        self.registry = Registry(self.store.load_registry())
        if settings.registry_file is not None:
            for entry in load_registry_file(settings.registry_file):
                self.registry.put(entry)
                self.store.save_contribuyente(entry)
        self.clock = Clock()
        plan = FaultPlan(seed=settings.seed)
        if settings.faults_file is not None:
            plan = plan_from_dict(json.loads(settings.faults_file.read_text(encoding="utf-8")))
        self.faults = FaultInjector(plan)
        self.trusted_roots: list[x509.Certificate] | None = None
        if settings.test_ca_dir is not None:
            self.trusted_roots = [ensure_test_ca(settings.test_ca_dir).certificate]
        self.validator = DocumentValidator(
            self.store, self.registry, self.clock, trusted_roots=self.trusted_roots
        )
        self.lotes = LoteProcessor(
            self.store,
            self.validator,
            self.clock,
            self.faults,
            processing_delay=timedelta(seconds=settings.lote_delay_seconds),
            workers=settings.lote_workers,
            roots_pem=b"".join(c.public_bytes(Encoding.PEM) for c in self.trusted_roots or []) or None,
        )
        self.events = EventProcessor(
            self.store, self.registry, self.clock, event_signature_verifier(self.trusted_roots)
        )

    async def start(self) -> None:
        """Start the lote worker (idempotent: the app's lifecycle may call it after the owner did)."""
        if not self._started:
            self._started = True
            xsd.preload(xsd.SCHEMA_RDE, xsd.SCHEMA_EVENT, *ENVELOPE_SCHEMA.values())
            await self.lotes.start()

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self.lotes.stop()
        if not self._closed:
            self._closed = True
            self.store.close()

    # ------------------------------------------------------------ SOAP

    def error_response(self, operation: Operation, code: str, message: str) -> bytes:
        """The operation's own response shape carrying a request-level code (as SIFEN answers)."""
        now = self.clock.now()
        msg = ResultMessage(code, message[:255])
        if operation is Operation.RECEPCION_DE:
            return soap.build_recepcion_de_response(soap.ProtDe(None, now, None, "Rechazado", None, (msg,)))
        if operation is Operation.RECEPCION_LOTE:
            return soap.build_recepcion_lote_response(
                soap.RecepcionLoteResult(now, code, msg.message, None, None)
            )
        if operation is Operation.CONSULTA_LOTE:
            return soap.build_consulta_lote_response(soap.ConsultaLoteResult(now, code, msg.message))
        if operation is Operation.CONSULTA_DE:
            return soap.build_consulta_de_response(soap.ConsultaDeResult(now, code, msg.message))
        if operation is Operation.CONSULTA_RUC:
            return soap.build_consulta_ruc_response(soap.ConsultaRucResult(code, msg.message))
        return soap.build_recepcion_evento_response(
            soap.RecepcionEventoResult(now, (soap.EventoResult("0", "Rechazado", None, (msg,)),))
        )

    async def handle(self, operation: Operation, data: bytes, requester_ruc: str | None) -> bytes:
        limit, code = SIZE_LIMITS[operation]
        if len(data) > limit:
            return self.error_response(operation, code, f"Mensaje mayor a {limit // 1024} KB")
        if requester_ruc is not None:
            connected = self.registry.get(requester_ruc)
            if connected is None or connected.estado != "ACT":
                # 0183: the RUC of the TLS client certificate is not an active taxpayer (MT v150 §3)
                return self.error_response(
                    operation, "0183", "RUC del certificado de conexión no es un contribuyente activo"
                )
        try:
            body = soap.request_body(data)
            _refuse_dtd(body)
            request = soap.parse_request(body, operation)
        except soap.RequestParseError as exc:
            return self.error_response(operation, exc.code, str(exc))
        try:
            return await self._answer(operation, body, request, requester_ruc)
        except etree.LxmlError as exc:  # any XML the parser or a check cannot handle: 0160, never 500
            return self.error_response(operation, "0160", f"XML malformado: {exc}")

    async def _answer(
        self,
        operation: Operation,
        body: etree._Element,
        request: soap.SifenRequest,
        requester_ruc: str | None,
    ) -> bytes:
        errors = xsd.schema_errors(body, ENVELOPE_SCHEMA[operation])
        if errors:
            message = f"XML malformado: {errors[0].message}"
            if isinstance(request, soap.RecepcionEventoRequest):
                result = self.events.rejected_all(request, ResultMessage("0160", message[:255]))
                return soap.build_recepcion_evento_response(result)
            return self.error_response(operation, "0160", message)
        if isinstance(request, soap.RecepcionDeRequest):
            de = request.rde.find(f".//{{{SIFEN_NS}}}DE")
            if de is not None and de.get("Id"):
                self.store.count_receptions([de.get("Id", "")])
            prot = await asyncio.to_thread(self.validator.validate, request.rde)
            return soap.build_recepcion_de_response(prot)
        if isinstance(request, soap.RecepcionLoteRequest):
            lote = self.lotes.receive(request.d_id, request.zip_bytes, requester_ruc)
            return soap.build_recepcion_lote_response(lote)
        if isinstance(request, soap.ConsultaLoteRequest):
            return soap.build_consulta_lote_response(self.lotes.result(request.lote_number, requester_ruc))
        if isinstance(request, soap.ConsultaDeRequest):
            return soap.build_consulta_de_response(self.consulta_de(request.cdc, requester_ruc))
        if isinstance(request, soap.ConsultaRucRequest):
            return soap.build_consulta_ruc_response(self.consulta_ruc(request.ruc))
        assert isinstance(request, soap.RecepcionEventoRequest)
        return soap.build_recepcion_evento_response(await asyncio.to_thread(self.events.process, request))

    def consulta_de(self, cdc: str, requester_ruc: str | None = None) -> soap.ConsultaDeResult:
        now = self.clock.now()
        document = self.store.document(cdc)
        if document is None or document.protocol is None:
            return soap.ConsultaDeResult(now, "0420", "CDC inexistente")
        if requester_ruc is not None and not _may_see(requester_ruc, document.ruc, document.xml):
            # 0421: only the emisor or the receptor may query a DTE (sifen-protocol.md §2.4)
            return soap.ConsultaDeResult(now, "0421", "RUC del certificado sin permiso para consultar el DE")
        events = [(xml, answer) for _, xml, answer in self.store.events_of(cdc)]
        raw = soap.contenido_de_xml(document.xml, document.protocol, events)
        content = soap.ContenidoDE(rde_xml=document.xml, protocol=document.protocol, raw=raw)
        return soap.ConsultaDeResult(now, "0422", "CDC encontrado", content)

    def consulta_ruc(self, ruc: str) -> soap.ConsultaRucResult:
        # sifen-protocol.md §2.5: 0500 RUC no existe, 0502 RUC encontrado. (The issue text says
        # "unknown RUC → 0502"; the digest of the MT is followed here, see docs/sifen-simulator.md.)
        entry = self.registry.get(ruc)
        if entry is None:
            return soap.ConsultaRucResult("0500", "RUC no existe")
        return soap.ConsultaRucResult(
            "0502",
            "RUC encontrado",
            soap.ContribuyenteRuc(
                ruc=entry.ruc,
                razon_social=entry.razon_social,
                estado_code=entry.estado,
                estado=ESTADOS[entry.estado],
                factura_electronica=entry.factura_electronica,
            ),
        )


def _refuse_dtd(body: etree._Element) -> None:
    """SIFEN reads no DTD: a DOCTYPE or an entity reference anywhere is 0160 (XML malformado)."""
    docinfo = body.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise soap.RequestParseError("0160", "XML malformado: DOCTYPE no permitido")
    if any(isinstance(node, etree._Entity) for node in body.iter()):
        raise soap.RequestParseError("0160", "XML malformado: referencias a entidades no permitidas")


def _may_see(requester_ruc: str, emisor_ruc: str, rde_xml: bytes) -> bool:
    wanted = requester_ruc.lstrip("0")
    if wanted == emisor_ruc.lstrip("0"):
        return True
    receptor = re.search(rb"<(?:[\w.-]+:)?dRucRec>\s*([0-9A-D]+)\s*<", rde_xml)
    return receptor is not None and receptor.group(1).decode().lstrip("0") == wanted


SIMULATOR: web.AppKey[Simulator] = web.AppKey("simulator", Simulator)


def _requester_ruc(request: web.Request) -> str | None:
    """Who is calling: the RUC of the TLS client certificate (as SIFEN), or, over plain HTTP (the
    simulated environment, where no certificate is presented), the emisor the client names in
    ``X-Sifenflow-Ruc``. The header is never trusted over TLS. None: an anonymous caller."""
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is not None:
        return ruc_of_peer(ssl_object.getpeercert())
    named = request.headers.get(REQUESTER_RUC_HEADER, "").strip().split("-", 1)[0]
    return named if re.fullmatch(r"[0-9]{1,8}[0-9A-D]?", named) else None


async def _reset_connection(request: web.Request) -> web.Response:
    """Abort the TCP connection with RST (SO_LINGER 0) after the request was read."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


async def _faulted(sim: Simulator, request: web.Request, operation: Operation) -> web.Response | None:
    rule = sim.faults.http_fault(operation.value)
    if rule is None:
        return None
    kind = rule.kind
    if kind is FaultKind.LATENCY:
        await asyncio.sleep(rule.latency_ms / 1000)
        return None
    if kind is FaultKind.TIMEOUT:
        await asyncio.sleep(rule.hang_seconds)
        return None
    if kind is FaultKind.HTTP_500:
        body = soap.build_fault("env:Receiver", "Error interno del servidor")
        return web.Response(status=500, body=body, content_type=SOAP_CONTENT_TYPE, charset="utf-8")
    if kind is FaultKind.HTTP_503:
        page = b"<html><head><title>503 Service Unavailable</title></head><body>No disponible</body></html>"
        return web.Response(status=503, body=page, content_type="text/html")
    if kind is FaultKind.HTML:
        return web.Response(status=200, body=HTML_PAGE, content_type="text/html")
    if kind is FaultKind.MALFORMED:
        broken = sim.error_response(operation, "0160", "respuesta truncada")[:-60]
        return web.Response(status=200, body=broken, content_type=SOAP_CONTENT_TYPE)
    if kind is FaultKind.RESET:
        return await _reset_connection(request)
    return None


def _soap_handler(operation: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        sim = request.app[SIMULATOR]
        data = await request.read()
        faulted = await _faulted(sim, request, operation)
        if faulted is not None:
            return faulted
        try:
            body = await sim.handle(operation, data, _requester_ruc(request))
        except Exception:  # never a traceback: a SOAP Receiver fault, as a server error
            log.exception("error interno procesando %s", operation.value)
            fault = soap.build_fault("env:Receiver", "Error interno del simulador")
            return web.Response(status=500, body=fault, content_type=SOAP_CONTENT_TYPE, charset="utf-8")
        return web.Response(body=body, content_type=SOAP_CONTENT_TYPE, charset="utf-8")

    return handler


def _wsdl_handler(path: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        relative = path.removeprefix("/de/ws/")
        file = wsdl_dir() / relative
        if not file.is_file():
            raise web.HTTPNotFound(text="WSDL no disponible")
        base = f"{request.scheme}://{request.host}"
        text = file.read_text(encoding="utf-8").replace("https://sifen-test.set.gov.py", base)
        return web.Response(text=text, content_type="text/xml")

    return handler


# ---------------------------------------------------------------- admin API


def _problem(status: int, code: str, path: str, message: str) -> web.Response:
    return web.json_response({"code": code, "path": path, "message": message}, status=status)


@web.middleware
async def _admin_guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if not request.path.startswith("/admin/") or request.path == "/admin/health":
        return await handler(request)
    expected = f"Bearer {request.app[SIMULATOR].admin_token}".encode()
    given = request.headers.get("Authorization", "").encode("utf-8", "replace")
    if not hmac.compare_digest(given, expected):
        return _problem(401, "NO_AUTORIZADO", "$", "Token de administración ausente o inválido")
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return _problem(400, "SOLICITUD_INVALIDA", "$", f"Solicitud inválida: {exc}")


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"code": "JSON_INVALIDO", "path": "$", "message": f"JSON inválido: {exc}"}),
            content_type="application/json",
        ) from exc


async def admin_health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def admin_get_faults(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIMULATOR].faults.plan.as_dict())


async def admin_put_faults(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR]
    try:
        plan = plan_from_dict(await _json(request))
    except FaultConfigError as exc:
        return _problem(400, exc.code, exc.path, str(exc))
    sim.faults.configure(plan)
    return web.json_response(plan.as_dict())


async def admin_delete_faults(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR]
    sim.faults.configure(FaultPlan(seed=sim.settings.seed))
    return web.json_response(sim.faults.plan.as_dict())


async def admin_list_contribuyentes(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR]
    return web.json_response({"contribuyentes": [c.public_dict() for c in sim.registry.all()]})


async def admin_put_contribuyentes(request: web.Request) -> web.Response:
    """Upsert one taxpayer (object) or several (``{"contribuyentes": [...]}``)."""
    sim = request.app[SIMULATOR]
    data = await _json(request)
    raw: list[Any] = list(
        data["contribuyentes"] or [] if isinstance(data, dict) and "contribuyentes" in data else [data]
    )
    try:
        entries = [contribuyente_from_dict(e, f"$.contribuyentes[{i}]") for i, e in enumerate(raw)]
    except RegistryError as exc:
        return _problem(400, exc.code, exc.path, str(exc))
    for entry in entries:
        sim.registry.put(entry)
        sim.store.save_contribuyente(entry)
    return web.json_response({"contribuyentes": [e.public_dict() for e in entries]}, status=201)


async def admin_get_contribuyente(request: web.Request) -> web.Response:
    entry = request.app[SIMULATOR].registry.get(request.match_info["ruc"])
    if entry is None:
        return _problem(404, "RUC_NO_REGISTRADO", "ruc", "RUC no registrado en el simulador")
    return web.json_response(entry.public_dict())


async def admin_get_clock(request: web.Request) -> web.Response:
    clock = request.app[SIMULATOR].clock
    return web.json_response({"now": clock.now().isoformat(), "offset_seconds": clock.offset.total_seconds()})


async def admin_post_clock(request: web.Request) -> web.Response:
    """``{"advance_seconds": N}`` moves the clock forward; ``{"offset_seconds": N}`` sets it."""
    clock = request.app[SIMULATOR].clock
    data = await _json(request)
    if not isinstance(data, dict):
        return _problem(400, "RELOJ_INVALIDO", "$", "Se espera un objeto")
    try:
        if "offset_seconds" in data:
            clock.set_offset(timedelta(seconds=float(data["offset_seconds"])))
        if "advance_seconds" in data:
            clock.advance(timedelta(seconds=float(data["advance_seconds"])))
    except (TypeError, ValueError):
        return _problem(400, "RELOJ_INVALIDO", "$", "Segundos inválidos")
    return await admin_get_clock(request)


async def admin_get_document(request: web.Request) -> web.Response:
    document = request.app[SIMULATOR].store.document(request.match_info["cdc"])
    if document is None:
        return _problem(404, "CDC_INEXISTENTE", "cdc", "CDC inexistente en el simulador")
    return web.json_response(
        {
            "cdc": document.cdc,
            "estado": document.status,
            "codigo": document.code,
            "mensaje": document.message,
            "dProtAut": document.protocol,
            "cancelado": document.cancelled,
            "aprobado_en": document.approved_at.isoformat() if document.approved_at else None,
        }
    )


async def admin_get_receptions(request: web.Request) -> web.Response:
    """How many times the CDC reached the simulator (siRecepDE or inside a lote received)."""
    cdc = request.match_info["cdc"]
    return web.json_response({"cdc": cdc, "recepciones": request.app[SIMULATOR].store.receptions(cdc)})


async def admin_drain_lotes(request: web.Request) -> web.Response:
    await request.app[SIMULATOR].lotes.drain()
    return web.json_response({"pendientes": 0})


def create_app(settings: SimSettings, simulator: Simulator | None = None) -> web.Application:
    """The aiohttp application; the simulator starts and stops with it."""
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[_admin_guard])
    sim = simulator or Simulator(settings)
    app[SIMULATOR] = sim

    async def lifecycle(_: web.Application) -> Any:
        await sim.start()
        yield
        await sim.stop()

    app.cleanup_ctx.append(lifecycle)
    for operation, path in soap.PATHS.items():
        app.router.add_post(path, _soap_handler(operation))
        app.router.add_get(path, _wsdl_handler(path))
    app.router.add_get("/admin/health", admin_health)
    app.router.add_get("/admin/faults", admin_get_faults)
    app.router.add_put("/admin/faults", admin_put_faults)
    app.router.add_delete("/admin/faults", admin_delete_faults)
    app.router.add_get("/admin/contribuyentes", admin_list_contribuyentes)
    app.router.add_post("/admin/contribuyentes", admin_put_contribuyentes)
    app.router.add_get("/admin/contribuyentes/{ruc}", admin_get_contribuyente)
    app.router.add_get("/admin/clock", admin_get_clock)
    app.router.add_post("/admin/clock", admin_post_clock)
    app.router.add_get("/admin/documents/{cdc}", admin_get_document)
    app.router.add_get("/admin/documents/{cdc}/recepciones", admin_get_receptions)
    app.router.add_post("/admin/lotes/drain", admin_drain_lotes)
    return app
