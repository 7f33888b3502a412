"""A new company works at once in the simulated environment: a certificate from the local test CA
and a CSC when none were given, and its RUC, timbrados, establecimientos and puntos registered in
the simulator (its admin API, ``POST /admin/contribuyentes``, an upsert), again after every edit."""

from __future__ import annotations

import secrets
import string
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp

from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12
from sifenflow_common.tenants.input import TenantInput
from sifenflow_common.tenants.model import Environment, Tenant

_CSC_ALPHABET = string.ascii_uppercase + string.digits


class SimulatorRegistrationError(RuntimeError):
    """The simulator did not take the company (unreachable, wrong token, refused entry)."""


def with_simulado_credentials(data: TenantInput, ca_dir: Path) -> tuple[TenantInput, list[str]]:
    """``data`` with what a simulado company lacks: a test certificate for its RUC (random password)
    and a CSC. Returns what was generated (for the history); other environments are left alone."""
    if data.environment is not Environment.SIMULADO:
        return data, []
    generated = []
    if data.certificate_p12 is None:
        password = secrets.token_urlsafe(18)
        name = str(data.params.get("razonSocial", data.slug))[:64]
        p12 = issue_test_p12(
            ensure_test_ca(ca_dir), ruc=str(data.params["ruc"]), name=name, password=password
        )
        data = replace(data, certificate_p12=p12, certificate_password=password)
        generated.append("certificado de prueba")
    if data.csc is None:
        csc = "".join(secrets.choice(_CSC_ALPHABET) for _ in range(32))
        data = replace(data, csc_id="0001", csc=csc)
        generated.append("csc")
    return data, generated


def simulator_entry(tenant: Tenant, csc_id: str | None, csc: str | None) -> dict[str, Any]:
    """The company as the simulator's registry takes it: active establecimientos with their puntos
    under every timbrado of the company."""
    puntos = {est: list(tenant.puntos_of(est)) for est in tenant.establecimiento_codes()}
    return {
        "ruc": tenant.ruc,
        "razon_social": str(tenant.params.get("razonSocial", tenant.nombre)),
        "csc": {csc_id: csc} if csc_id and csc else {},
        "timbrados": [
            {"numero": t.numero, "inicio": t.fecha_inicio, "fin": t.fecha_fin, "establecimientos": puntos}
            for t in tenant.timbrados
        ],
    }


class SimulatorRegistrar:
    """Client of the simulator's admin API (``Authorization: Bearer <admin token>`` when set)."""

    def __init__(self, admin_url: str, token: str | None, *, timeout_s: float = 10.0) -> None:
        self._url = admin_url.rstrip("/") + "/admin/contribuyentes"
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def register(self, entry: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.post(self._url, json=entry, headers=headers) as response,
            ):
                if response.status != 201:
                    text = (await response.text())[:300]
                    raise SimulatorRegistrationError(f"el simulador respondió {response.status}: {text}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SimulatorRegistrationError(f"simulador no disponible: {exc}") from exc
