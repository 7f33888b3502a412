"""The console end to end in Chromium: sign-in by mailed link, dashboard, search, the document page
with its timeline, and a contador who sees (and may do) no write action."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from sifenflow_standalone.demo import DEMO_ADMIN_EMAIL
from tests.e2e.console.conftest import CONTADOR_EMAIL, DOCUMENTS, Console

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_admin_signs_in_searches_and_opens_a_document(console: Console) -> None:
    context, page = await console.sign_in(DEMO_ADMIN_EMAIL)
    try:
        await expect(page.get_by_role("heading", name=re.compile("^Tablero"))).to_be_visible()
        await expect(page.get_by_test_id("ambiente")).to_have_text("Ambiente: Simulado")
        month = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Este mes")))
        await expect(
            month.get_by_role("row", name=re.compile(f"Factura electrónica Aprobado {DOCUMENTS}"))
        ).to_be_visible()
        await expect(month).to_contain_text(f"{DOCUMENTS + 1} documentos · 0 en espera")
        await expect(
            month.get_by_role("row", name=re.compile("Factura electrónica Rechazado 1"))
        ).to_be_visible()
        await expect(page.get_by_role("img", name="Rechazos del mes por código SIFEN")).to_be_visible()
        await expect(page.locator("svg.chart text")).to_have_text([console.rejection_code, "1"])

        await page.keyboard.press("Tab")  # keyboard users skip the header first
        await expect(page.get_by_role("link", name="Ir al contenido")).to_be_focused()
        await page.get_by_role("link", name="Documentos").focus()
        await page.keyboard.press("Enter")
        rows = page.locator("table.docs tbody tr")
        await expect(rows).to_have_count(25)
        await page.get_by_role("link", name="Más").click()  # the keyset page after the first 25
        await expect(rows).to_have_count(DOCUMENTS + 1 - 25)
        await expect(page.get_by_role("link", name="Más")).to_have_count(0)

        await page.get_by_label("Buscar").fill("001-001-0000002")
        await page.get_by_label("Estado").select_option("aprobado")
        await page.get_by_role("button", name="Buscar").click()
        await expect(rows).to_have_count(1)
        csv = await page.get_by_role("link", name="Exportar CSV").get_attribute("href")
        assert csv is not None and "q=001-001-0000002" in csv and "estado=aprobado" in csv
        exported = await context.request.get(console.stack.url + csv)
        assert exported.status == 200 and console.cdcs[1] in await exported.text()

        await page.get_by_role("link", name="001-001-0000002").click()
        await expect(page.get_by_role("heading", name="Factura electrónica 001-001-0000002")).to_be_visible()
        timeline = page.locator("ol.timeline li")
        await expect(timeline.first).to_contain_text("Recibido")
        await expect(timeline.last).to_contain_text("Aprobado por SIFEN · 0260")
        await expect(timeline).to_contain_text(["Recibido", "XML generado", "Firmado"])
        kude = await context.request.get(console.url + f"/demo/documentos/{console.cdcs[1]}/kude")
        assert kude.status == 200 and (await kude.body()).startswith(b"%PDF")
        xml = await context.request.get(console.url + f"/demo/documentos/{console.cdcs[1]}/xml")
        assert xml.status == 200 and console.cdcs[1] in await xml.text()

        # the API's own Spanish error, shown on the form
        await page.get_by_label(re.compile("^Direcciones")).fill("no-es-un-correo")
        await page.get_by_role("button", name="Enviar KuDE y XML").click()
        await expect(page.get_by_role("alert")).to_contain_text("no-es-un-correo")

        await page.get_by_role("button", name="Salir").click()
        await page.wait_for_url(re.compile(r"/consola/ingreso$"))
        await page.goto(console.url + "/demo/")
        assert page.url.endswith("/consola/ingreso")  # the session ended
    finally:
        await context.close()


async def test_a_contador_sees_no_write_action_and_the_server_refuses_it(console: Console) -> None:
    context, page = await console.sign_in(CONTADOR_EMAIL)
    try:
        await expect(page.get_by_text(f"{CONTADOR_EMAIL} · contador")).to_be_visible()
        await page.goto(console.url + f"/demo/documentos/{console.cdcs[0]}")
        await expect(page.get_by_role("heading", name="Historia")).to_be_visible()
        await expect(page.get_by_role("link", name="KuDE (PDF)")).to_be_visible()
        await expect(page.get_by_test_id("acciones")).to_have_count(0)
        await expect(page.locator("main form[method=post]")).to_have_count(0)

        cookies = {c["name"]: c["value"] for c in await context.cookies()}
        refused = await context.request.post(
            console.url + f"/demo/documentos/{console.cdcs[0]}/correo",
            form={"csrf": cookies["sf_csrf"], "emails": "otro@example.com"},
        )
        assert refused.status == 403
    finally:
        await context.close()


async def test_a_company_not_the_users_is_not_found(console: Console) -> None:
    context, page = await console.sign_in(CONTADOR_EMAIL)
    try:
        response = await page.goto(console.url + "/otra/")
        assert response is not None and response.status == 404
        await expect(page.get_by_role("alert")).to_contain_text("Empresa no encontrada")
        response = await page.goto(console.url + "/..%2e/")  # not a company slug
        assert response is not None and response.status == 404
    finally:
        await context.close()
