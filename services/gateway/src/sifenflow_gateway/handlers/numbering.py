"""``GET /{t}/numeracion/huecos``: unused numbers per timbrado/establecimiento/punto/tipo, and
``POST /{t}/numeracion/huecos/inutilizar``: one call that inutilizes a gap range (through the
events API, so the same rules and pipeline apply)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aiohttp import web

from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.gaps import covered, find_gaps
from sifenflow_gateway.handlers.events import submit_event
from sifenflow_gateway.lifecycle import lifecycle
from sifenflow_gateway.requests import read_json

NOT_APPROVED_STATUSES = ["rejected", "build_failed", "signing_failed"]
Key = tuple[str, str, str, int]  # timbrado, establecimiento, punto, tipo


async def _sequences(request: web.Request, tenant_id: Any, environment: str) -> dict[Key, dict[str, Any]]:
    """The series of the company's current environment (each environment numbers apart)."""
    lc = lifecycle(request)
    rows = await lc.events.pool.fetch(
        """SELECT n.timbrado, n.establecimiento, n.punto, n.tipo_documento, n.numero,
                  s.status = ANY($2::text[]) AS not_approved
           FROM document_numbers n
           LEFT JOIN document_status s ON s.document_id = n.document_id AND s.tenant_id = n.tenant_id
           WHERE n.tenant_id = $1 AND n.environment = $3""",
        tenant_id,
        NOT_APPROVED_STATUSES,
        environment,
    )
    sequences: dict[Key, dict[str, Any]] = defaultdict(lambda: {"used": [], "not_approved": [], "voided": []})
    for r in rows:
        key = (r["timbrado"], r["establecimiento"], r["punto"], int(r["tipo_documento"]))
        sequences[key]["used"].append(int(r["numero"]))
        if r["not_approved"]:
            sequences[key]["not_approved"].append(int(r["numero"]))
    for v in await lc.events.voided_ranges(tenant_id):
        key = (
            str(v["timbrado"]),
            str(v["establishment"]),
            str(v["expedition_point"]),
            int(v["document_type"]),
        )
        if key in sequences:
            sequences[key]["voided"].append((int(v["first"]), int(v["last"])))
    return sequences


async def huecos(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    result = []
    for (timbrado, est, punto, tipo), seq in sorted(
        (await _sequences(request, principal.tenant.id, principal.tenant.environment.value)).items()
    ):
        gaps = find_gaps(seq["used"], seq["not_approved"], seq["voided"])
        if gaps:
            result.append(
                {
                    "timbrado": timbrado,
                    "establecimiento": est,
                    "punto": punto,
                    "tipoDocumento": tipo,
                    "huecos": [g.as_dict() for g in gaps],
                    "total": sum(g.size for g in gaps),
                }
            )
    return json_response({"success": True, "result": result})


async def inutilizar_hueco(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    tenant = principal.tenant
    body, _ = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_INVALIDO", "Se espera un objeto JSON", path="$")
    try:
        key: Key = (
            str(body.get("timbrado") or tenant.timbrado_numero),
            str(int(body["establecimiento"])).zfill(3),
            str(int(body["punto"])).zfill(3),
            int(body["tipoDocumento"]),
        )
        first, last = int(body["desde"]), int(body["hasta"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(
            400,
            "CAMPO_REQUERIDO",
            "establecimiento, punto, tipoDocumento, desde y hasta son obligatorios (enteros)",
            path="$",
        ) from exc
    seq = (await _sequences(request, tenant.id, tenant.environment.value)).get(key)
    gaps = find_gaps(seq["used"], seq["not_approved"], seq["voided"]) if seq else []
    if first > last or not covered(first, last, gaps):
        raise ApiError(
            409,
            "RANGO_NO_ES_HUECO",
            f"{first}-{last} no es un hueco de la numeración (ver GET numeracion/huecos)",
            path="desde",
        )
    event = {
        "timbrado": key[0],
        "establecimiento": key[1],
        "punto": key[2],
        "tipoDocumento": key[3],
        "desde": first,
        "hasta": last,
        "motivo": str(body.get("motivo") or "Numeración no utilizada (hueco de la secuencia)"),
    }
    return await submit_event(request, tenant, "inutilizacion", event)
