"""A FacturaSend integrator's request, unchanged, through every service and the SIFEN simulator in
both deployment shapes: empty strings in optional fields, the receptor's identity document next to
its RUC, descriptions copied with their codes, the API key without a scheme (facturasend-api.md §1,
docs/document-engine.md "Tolerancia de entrada")."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice
from tests.e2e.pipeline.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]


def facturasend_style() -> dict[str, Any]:
    """Today's date; blanks where the integrator had nothing to say; contribuyente with its RUC and
    documentoTipo/documentoNumero as FacturaSend's examples send them; a card brand description
    that is not the catalog's; matching descriptions elsewhere."""
    doc = demo_invoice(descripcion="", observacion="Gracias por su compra", numero="")
    doc["cliente"].update(
        {
            "documentoTipo": 1,
            "documentoNumero": "4567890",
            "nombreFantasia": "",
            "email": "",
            "telefono": " ",
            "codigo": "C-0042",
        }
    )
    doc["usuario"] = {
        "documentoTipo": 1,
        "documentoTipoDescripcion": "Cédula paraguaya",
        "documentoNumero": "1234567",
        "nombre": "Cajero Uno",
        "cargo": "Cajero",
        "email": "",
    }
    doc["condicion"] = {
        "tipo": 1,
        "entregas": [
            {"tipo": 1, "monto": "60000", "moneda": "PYG", "monedaDescripcion": "Guarani", "cambio": ""},
            {
                "tipo": 3,
                "monto": "50000",
                "moneda": "PYG",
                "infoTarjeta": {"tipo": 1, "tipoDescripcion": "Dinelco", "medioPago": 1, "numero": ""},
            },
        ],
    }
    doc["items"][0].update(
        {"numeroSerie": "", "numeroPedido": "", "numeroSeguimiento": "", "lote": "", "observacion": ""}
    )
    return doc


async def _post(url: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_facturasend_style_de_create_is_aprobado_with_warnings(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    headers = {"Authorization": demo.api_key}  # the key alone, as FacturaSend's page shows it
    status, body = await _post(f"{stack.url}/{demo.slug}/de/create?xml=true", facturasend_style(), headers)
    assert status == 200, body
    [de] = body["deList"]
    assert de["estado"] == "Aprobado" and de["respuesta_codigo"] == "0260", de
    paths = {(w["code"], w["path"]) for w in body["warnings"]}
    assert paths == {
        ("CAMPO_IGNORADO", "data.cliente.documentoTipo"),
        ("CAMPO_IGNORADO", "data.cliente.documentoNumero"),
        ("CAMPO_IGNORADO", "data.condicion.entregas[1].infoTarjeta.tipoDescripcion"),
    }
    assert body["result"]["warnings"] == body["warnings"]
    assert all(w["message"] for w in body["warnings"])
    xml = de["xml"]
    assert "<dRucRec>80069563</dRucRec>" in xml and "<iTipIDRec>" not in xml  # identified by RUC
    assert "<dDesDenTarj>Visa</dDesDenTarj>" in xml  # the catalog's brand for code 1
    assert "<dInfoFisc>" not in xml and "<dEmailRec>" not in xml  # blanks are absent, not empty


async def test_plain_request_has_no_warnings_key(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    headers = {"Authorization": f"Bearer {demo.api_key}"}
    _, body = await _post(f"{stack.url}/{demo.slug}/de/create", demo_invoice(), headers)
    assert body["deList"][0]["estado"] == "Aprobado", body
    assert "warnings" not in body and "warnings" not in body["result"]
