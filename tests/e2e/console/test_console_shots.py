"""Every console screen at desktop (1280) and phone (390) width, saved as PNG. ``make console-shots``
writes them to build/console-shots/ (CONSOLE_SHOTS_DIR); otherwise to a temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sifenflow_standalone.demo import DEMO_ADMIN_EMAIL
from tests.e2e.console.conftest import Console

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

WIDTHS = {"escritorio": 1280, "telefono": 390}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = Path(os.environ.get("CONSOLE_SHOTS_DIR") or tmp_path)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.png"):
        old.unlink()
    return path


def _pngs(path: Path) -> list[bytes]:
    return [shot.read_bytes() for shot in sorted(path.glob("*.png"))]


async def test_every_screen_is_captured_at_both_widths(console: Console, target: Path) -> None:
    cdc = console.cdcs[2]
    for label, width in WIDTHS.items():
        signed_out = await console.browser.new_context(viewport={"width": width, "height": 900})
        page = await signed_out.new_page()
        await page.goto(f"{console.url}/ingreso")
        await page.screenshot(path=target / f"ingreso-{label}.png", full_page=True)
        await signed_out.close()

        context, page = await console.sign_in(DEMO_ADMIN_EMAIL, width=width)
        screens = {
            "tablero": "/demo/",
            "documentos": "/demo/documentos",
            "documento": f"/demo/documentos/{cdc}",
            "documento-rechazado": f"/demo/documentos/{console.cdcs[-1]}",
        }
        for name, path in screens.items():
            response = await page.goto(console.url + path)
            assert response is not None and response.status == 200
            page_width = await page.evaluate("document.documentElement.scrollWidth")
            assert page_width <= width, f"{name} is {page_width} px wide at {width}"  # no sideways scroll
            await page.screenshot(path=target / f"{name}-{label}.png", full_page=True)
        await context.close()
    shots = _pngs(target)
    assert len(shots) == len(WIDTHS) * 5  # ingreso, tablero, documentos, documento, documento-rechazado
    assert all(shot.startswith(PNG) for shot in shots)
