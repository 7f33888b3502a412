"""Gateway de/pdf, de/kude, de/email and the admin mail settings on fakes (facturasend-api.md §2.6):
request validation (codes + JSON paths), tenant isolation, binary vs base64, what reaches the
KuDE port. Rendering and SMTP for real are in tests/integration/mailer/."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.mail import MailInput, MailSettings, SmtpConfig
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_gateway.adapters.catalogs import EngineCatalogs
from sifenflow_gateway.adapters.engine import EngineAdapter
from sifenflow_gateway.app import create_app
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.model import DocumentStatus
from sifenflow_gateway.settings import GatewaySettings
from tests.unit.gateway.fakes import FakeDirectory, FakeStatusReader, InMemoryIntakeStore
from tests.unit.gateway.samples import factura, tenant_body

pytestmark = pytest.mark.unit
MASTER = "unit-test-master-key-0123456789"


@dataclass
class FakeKude:
    pdfs: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    batches: list[tuple[int, str]] = field(default_factory=list)
    emails: list[tuple[uuid.UUID, tuple[str, ...], str]] = field(default_factory=list)
    settings: dict[uuid.UUID, MailSettings] = field(default_factory=dict)

    async def pdf(self, tenant: Tenant, document_id: uuid.UUID, signed_xml: bytes, format: Any) -> bytes:
        self.pdfs.append((document_id, format))
        return b"%PDF-1.7 one " + signed_xml

    async def render_many(self, tenant: Tenant, signed_xmls: Sequence[bytes], format: Any) -> bytes:
        self.batches.append((len(signed_xmls), format))
        return b"%PDF-1.7 many " + b"|".join(signed_xmls)

    async def request_email(
        self,
        tenant: Tenant,
        document_id: uuid.UUID,
        cdc: str,
        to: tuple[str, ...],
        reason: Any,
        cid: uuid.UUID,
    ) -> None:
        self.emails.append((document_id, to, reason))

    async def mail_settings(self, tenant_id: uuid.UUID) -> MailSettings | None:
        return self.settings.get(tenant_id, MailSettings(tenant_id, "simulado", None, False))

    async def update_mail_settings(self, tenant_id: uuid.UUID, data: MailInput) -> MailSettings | None:
        smtp = data.smtp if isinstance(data.smtp, SmtpConfig) else None
        self.settings[tenant_id] = MailSettings(tenant_id, "simulado", smtp, bool(data.kude_eager))
        return self.settings[tenant_id]


@dataclass
class Gw:
    client: TestClient[Any, Any]
    kude: FakeKude
    status: FakeStatusReader
    tenant: Tenant
    token: str
    other_token: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    async def create(self) -> tuple[str, uuid.UUID]:
        body = await (await self.client.post("/acme/de/create", json=factura(), headers=self.auth())).json()
        return body["deList"][0]["cdc"], uuid.UUID(int=0)


@pytest_asyncio.fixture(loop_scope="function")
async def gw() -> AsyncIterator[Gw]:
    directory, status, kude = FakeDirectory(), FakeStatusReader(), FakeKude()
    data, _ = parse_tenant_input(tenant_body("acme"))
    other_data, _ = parse_tenant_input(tenant_body("otra"))
    assert data is not None and other_data is not None
    tenant = await directory.create_tenant(data)
    other = await directory.create_tenant(other_data)
    _, other_token = await directory.create_key(other.id, Role.EMISOR, "")
    _, emitter = await directory.create_key(tenant.id, Role.EMISOR, "")
    deps = GatewayDeps(
        directory=directory,
        intake=InMemoryIntakeStore(),
        status=status,
        engine=EngineAdapter(),
        catalogs=EngineCatalogs(),
        kude=kude,
    )
    settings = GatewaySettings(master_key=MASTER, sync_wait_seconds=0.1, artifact_wait_seconds=0.1)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, deps)))
    await client.start_server()
    harness = Gw(client, kude, status, tenant, emitter, other_token)
    try:
        yield harness
    finally:
        await client.close()


async def test_de_pdf_one_is_cached_path_many_is_one_batch_binary_or_base64(gw: Gw) -> None:
    first, _ = await gw.create()
    second, _ = await gw.create()
    gw.status.outcome = DocumentStatus(situacion=2, xml="<rDE/>")
    resp = await gw.client.post("/acme/de/pdf", json={"cdcList": [{"cdc": first}]}, headers=gw.auth())
    assert resp.status == 200 and resp.content_type == "application/pdf"
    assert await resp.read() == b"%PDF-1.7 one <rDE/>"
    assert [f for _, f in gw.kude.pdfs] == ["a4"]
    body = {"cdcList": [first, {"cdc": second}], "type": "base64", "format": "ticket"}
    resp = await gw.client.post("/acme/de/pdf", json=body, headers=gw.auth())
    assert resp.content_type == "text/plain"
    assert base64.b64decode(await resp.text()) == b"%PDF-1.7 many <rDE/>|<rDE/>"
    assert gw.kude.batches == [(2, "ticket")]
    resp = await gw.client.get(f"/acme/de/kude/{first}?format=ticket", headers=gw.auth())
    assert resp.status == 200 and [f for _, f in gw.kude.pdfs] == ["a4", "ticket"]


@pytest.mark.parametrize(
    ("body", "status", "code", "path"),
    [
        ({}, 400, "CAMPO_REQUERIDO", "cdcList"),
        ({"cdcList": []}, 400, "CAMPO_REQUERIDO", "cdcList"),
        ({"cdcList": ["123"]}, 400, "CDC_INVALIDO", "cdcList[0].cdc"),
        ({"cdcList": ["0" * 44] * 51}, 400, "CDC_LIST_DEMASIADO_GRANDE", "cdcList"),
        ({"cdcList": ["0" * 44]}, 404, "DOCUMENTO_NO_ENCONTRADO", "cdcList[0].cdc"),
        ({"cdcList": ["0" * 44], "format": "carta"}, 400, "KUDE_FORMATO_INVALIDO", "format"),
        ({"cdcList": ["0" * 44], "type": "hex"}, 400, "TIPO_INVALIDO", "type"),
    ],
)
async def test_de_pdf_bad_requests(gw: Gw, body: dict[str, Any], status: int, code: str, path: str) -> None:
    resp = await gw.client.post("/acme/de/pdf", json=body, headers=gw.auth())
    error = await resp.json()
    assert (resp.status, error["code"], error["errores"][0]["path"]) == (status, code, path)
    assert error["success"] is False and error["error"]


async def test_unsigned_document_has_no_kude_yet_and_other_tenants_get_404(gw: Gw) -> None:
    cdc, _ = await gw.create()
    resp = await gw.client.post("/acme/de/pdf", json={"cdcList": [cdc]}, headers=gw.auth())
    assert resp.status == 409 and (await resp.json())["code"] == "XML_NO_DISPONIBLE"
    gw.status.outcome = DocumentStatus(situacion=2, xml="<rDE/>")
    resp = await gw.client.post("/otra/de/pdf", json={"cdcList": [cdc]}, headers=gw.auth(gw.other_token))
    assert resp.status == 404
    resp = await gw.client.get(f"/otra/de/kude/{cdc}", headers=gw.auth(gw.other_token))
    assert resp.status == 404 and (await resp.json())["errores"][0]["path"] == "path.cdc"
    resp = await gw.client.post("/acme/de/pdf", json={"cdcList": [cdc]}, headers=gw.auth(gw.other_token))
    assert resp.status == 404
    assert gw.kude.pdfs == []


async def test_de_email_queues_one_request_per_document(gw: Gw) -> None:
    cdc, _ = await gw.create()
    resp = await gw.client.post("/acme/de/email", json={"cdcList": [cdc]}, headers=gw.auth())
    assert resp.status == 200 and await resp.json() == {"success": True, "result": True}
    body = {"cdcList": [cdc], "emails": "a@x.com.py; b@y.com.py", "motivo": "cancelado"}
    await gw.client.post("/acme/de/email", json=body, headers=gw.auth())
    assert [(to, reason) for _, to, reason in gw.kude.emails] == [
        ((), "aprobado"),
        (("a@x.com.py", "b@y.com.py"), "cancelado"),
    ]
    resp = await gw.client.post("/acme/de/email", json={"cdcList": [cdc], "emails": ["x"]}, headers=gw.auth())
    assert resp.status == 400 and (await resp.json())["code"] == "MAIL_DESTINATARIO_INVALIDO"
    resp = await gw.client.post("/otra/de/email", json={"cdcList": [cdc]}, headers=gw.auth(gw.other_token))
    assert resp.status == 404
    assert len(gw.kude.emails) == 2


async def test_admin_mail_settings_need_the_master_key(gw: Gw) -> None:
    url = f"/admin/tenants/{gw.tenant.slug}/mail"
    smtp = {"host": "smtp.acme.com.py", "from": "f@acme.com.py", "password": "x"}
    resp = await gw.client.put(url, json={"smtp": smtp}, headers=gw.auth())
    assert resp.status == 401
    resp = await gw.client.put(url, json={"smtp": smtp, "kudeEager": True}, headers=gw.auth(MASTER))
    result = (await resp.json())["result"]
    assert result["kudeEager"] is True and result["smtp"]["host"] == "smtp.acme.com.py"
    resp = await gw.client.put(url, json={"smtp": {"host": "x"}}, headers=gw.auth(MASTER))
    assert resp.status == 400 and (await resp.json())["errores"][0]["path"] == "smtp.from"
    assert (await gw.client.get("/admin/tenants/nadie/mail", headers=gw.auth(MASTER))).status == 404
