"""`make run` prints a one-time sign-in link for the demo admin user beside the demo API key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sifenflow_standalone.app import Running, banner, demo_signin_link
from sifenflow_standalone.demo import DEMO_ADMIN_EMAIL
from tests.integration.users.conftest import PUBLIC_URL, Site

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_the_printed_link_signs_the_demo_admin_in_once(site: Site) -> None:
    tenant = await site.tenant()
    link = await demo_signin_link(site.pool, tenant, PUBLIC_URL, timedelta(minutes=15))
    again = await demo_signin_link(site.pool, tenant, PUBLIC_URL, timedelta(minutes=15))
    assert link != again  # each run prints a new link for the same user
    path = urlsplit(link).path
    assert (await site.call("GET", path)).status == 200
    signed = await site.call("POST", path)
    assert signed.status == 200
    result = (await signed.json())["result"]
    assert result["usuario"]["email"] == DEMO_ADMIN_EMAIL
    assert {"slug": tenant.slug, "rol": "admin"}.items() <= next(
        e for e in result["empresas"] if e["slug"] == tenant.slug
    ).items()
    assert "sf_access" in signed.cookies
    assert (await site.call("POST", path)).status == 410

    running = Running(PUBLIC_URL, "http://sim", "api_key_x", tenant, False, False, [], Path("/tmp/x"), link)
    text = banner(running)
    console = f"{PUBLIC_URL}/consola/ingreso/{path.rsplit('/', 1)[1]}"  # the console confirms the link
    assert f"Ingreso:      {console}" in text and DEMO_ADMIN_EMAIL in text and "api_key_x" in text
    assert "Clave maestra: /tmp/x/master_key" in text  # where the operator's master key lives
