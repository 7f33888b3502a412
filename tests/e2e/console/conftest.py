"""The console in a real browser: Debian's chromium driven by Playwright, against the `sifenflow run`
stack (the console mounted under /consola/ of the gateway), with a real SMTP server (aiosmtpd)
receiving the sign-in and invitation mails."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from sifenflow_common.testing.ports import free_port
from sifenflow_standalone.demo import demo_invoice, simulator_entry
from tests.e2e.pipeline.stack import Stack, bearer, standalone_stack
from tests.integration.users.conftest import Mailbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CONTADOR_EMAIL = "contador@demo.local"
DOCUMENTS = 27  # approved; with the one rejected, more than one page of the documents list (25)


@dataclass
class Console:
    stack: Stack
    mailbox: Mailbox
    browser: Browser
    cdcs: list[str]  # the approved ones, then the rejected one
    rejection_code: str
    signins: Counter[str] = field(default_factory=Counter)

    @property
    def url(self) -> str:
        return f"{self.stack.url}/consola"

    async def sign_in(self, email: str, width: int = 1280) -> tuple[BrowserContext, Page]:
        """A new browser signs in as ``email`` through the console's form and the mailed link;
        returns on the dashboard."""
        self.signins[email] += 1
        count = self.signins[email] + (1 if email == CONTADOR_EMAIL else 0)  # after the invitation
        context = await self.browser.new_context(viewport={"width": width, "height": 900})
        page = await context.new_page()
        await page.goto(f"{self.url}/")
        assert page.url.endswith("/consola/ingreso")
        await page.get_by_label("Correo electrónico").fill(email)
        await page.get_by_role("button", name="Enviar enlace").click()
        await page.get_by_role("heading", name="Revise su correo").wait_for()
        message = await self.mailbox.wait_for(email, count)
        link = mailed_link(message, "consola/ingreso")
        await page.goto(link)
        await page.get_by_role("button", name="Ingresar a la consola").click()
        await page.wait_for_url(f"{self.url}/demo/")
        return context, page


def mailed_link(message: Any, kind: str) -> str:
    body = message.get_payload(decode=True).decode()
    found = re.search(rf"http://127\.0\.0\.1:\d+/{kind}/[A-Za-z0-9_-]+", body)
    assert found, body
    return found.group(0)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


async def _emit(session: aiohttp.ClientSession, stack: Stack, n: int) -> list[str]:
    tenant = stack.tenants["demo"]

    async def one() -> str:
        url = f"{stack.url}/demo/de/create"
        async with session.post(url, json=demo_invoice(), headers=bearer(tenant)) as r:
            assert r.status == 200, await r.text()
            return str((await r.json())["deList"][0]["cdc"])

    cdcs = []
    for _ in range(n):  # one at a time: the numbering is sequential
        cdcs.append(await one())
    return cdcs


async def _emit_rejected(session: aiohttp.ClientSession, stack: Stack) -> tuple[str, str]:
    """One document SIFEN rejects (the emisor's RUC suspended in the simulator for a moment): its
    CDC and the SIFEN code."""
    admin = {"Authorization": f"Bearer {stack.sim_admin_token}"}
    url = f"{stack.sim_url}/admin/contribuyentes"
    async with session.post(url, json={**simulator_entry(), "estado": "SUS"}, headers=admin) as r:
        assert r.status < 300, await r.text()
    try:
        async with session.post(
            f"{stack.url}/demo/de/create", json=demo_invoice(), headers=bearer(stack.tenants["demo"])
        ) as r:
            body = await r.json()
            rejected = body["deList"][0]
            assert rejected["estado"] == "Rechazado", body
            return str(rejected["cdc"]), str(rejected["respuesta_codigo"])
    finally:
        async with session.post(url, json=simulator_entry(), headers=admin) as r:
            assert r.status < 300, await r.text()


async def _invite_contador(session: aiohttp.ClientSession, stack: Stack, box: Mailbox) -> None:
    """The admin's key invites the contador; the contador accepts the mailed invitation."""
    async with session.post(
        f"{stack.url}/demo/usuarios/invitaciones",
        json={"email": CONTADOR_EMAIL, "rol": "contador"},
        headers=bearer(stack.tenants["demo"]),
    ) as r:
        assert r.status == 201, await r.text()
    link = mailed_link(await box.wait_for(CONTADOR_EMAIL), "auth/invitaciones")
    async with session.post(link) as r:
        assert r.status == 200, await r.text()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console(
    smtp: tuple[Mailbox, int], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Console]:
    box, port = smtp
    tmp: Path = tmp_path_factory.mktemp("console")
    env = {"AUTH_SMTP_HOST": "127.0.0.1", "AUTH_SMTP_PORT": str(port), "AUTH_SMTP_TLS": "none"}
    async with standalone_stack(tmp, extra_env=env) as stack, aiohttp.ClientSession() as session:
        cdcs = await _emit(session, stack, DOCUMENTS)
        rejected, code = await _emit_rejected(session, stack)
        await _invite_contador(session, stack, box)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield Console(stack, box, browser, [*cdcs, rejected], code)
            finally:
                await browser.close()
