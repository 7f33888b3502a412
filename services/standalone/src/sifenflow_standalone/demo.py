"""The demo emisor of ``make run`` (and of the e2e tests): FacturaSend ``params``, a certificate
issued by the local test CA for its RUC, a CSC, and the same taxpayer in the simulator's registry.

RUC 80069563-1 is the emisor of the Manual's CDC example; "sin valor comercial ni fiscal" is the
razón social SIFEN requires in test documents.
"""

from __future__ import annotations

import base64
import copy
from datetime import datetime
from typing import Any

from sifenflow_common.sifen.test_ca import TestCA, issue_test_p12

DEMO_SLUG = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.local"  # the demo company's admin user (make run prints its sign-in link)
DEMO_RUC = "80069563-1"
DEMO_TIMBRADO = "12558946"
DEMO_TIMBRADO_DATE = "2022-08-25"
DEMO_CSC_ID = "0001"
DEMO_CSC = "ABCD0000000000000000000000000000"
DEMO_CERT_PASSWORD = "demo-sifenflow"
DEMO_PUNTOS = {"001": ["001", "002"]}

_PARAMS: dict[str, Any] = {
    "version": 150,
    "ruc": DEMO_RUC,
    "razonSocial": "DE generado en ambiente de prueba - sin valor comercial ni fiscal",
    "nombreFantasia": "sifenflow demo",
    "actividadesEconomicas": [{"codigo": "62010", "descripcion": "Actividades de programación informática"}],
    "timbradoNumero": DEMO_TIMBRADO,
    "timbradoFecha": DEMO_TIMBRADO_DATE,
    "tipoContribuyente": 2,
    "tipoRegimen": 8,
    "establecimientos": [
        {
            "codigo": "001",
            "direccion": "Avenida España",
            "numeroCasa": "1000",
            "departamento": 1,
            "departamentoDescripcion": "CAPITAL",
            "distrito": 1,
            "distritoDescripcion": "ASUNCION (DISTRITO)",
            "ciudad": 1,
            "ciudadDescripcion": "ASUNCION (DISTRITO)",
            "telefono": "021-000000",
            "email": "demo@example.com",
        }
    ],
}

_INVOICE: dict[str, Any] = {
    "tipoDocumento": 1,
    "establecimiento": "001",
    "punto": "001",
    "tipoEmision": 1,
    "tipoTransaccion": 1,
    "tipoImpuesto": 1,
    "moneda": "PYG",
    "cliente": {
        "contribuyente": True,
        "ruc": "80069563-1",
        "razonSocial": "Cliente de prueba SA",
        "tipoOperacion": 1,
        "tipoContribuyente": 2,
        "pais": "PRY",
        "paisDescripcion": "Paraguay",
    },
    "factura": {"presencia": 1},
    "condicion": {"tipo": 1, "entregas": [{"tipo": 1, "monto": 110000, "moneda": "PYG"}]},
    "items": [
        {
            "codigo": "SRV-1",
            "descripcion": "Servicio de soporte",
            "unidadMedida": 77,
            "cantidad": 1,
            "precioUnitario": 110000,
            "ivaTipo": 1,
            "ivaBase": 100,
            "iva": 10,
        }
    ],
}


def demo_params() -> dict[str, Any]:
    return copy.deepcopy(_PARAMS)


def demo_invoice(**overrides: Any) -> dict[str, Any]:
    """A FacturaSend ``data`` of a factura (iTiDE 1) of 110.000 Gs with IVA 10 %."""
    doc = copy.deepcopy(_INVOICE)
    doc["fecha"] = datetime.now().replace(microsecond=0).isoformat()
    doc.update(overrides)
    return doc


def demo_tenant_body(ca: TestCA, *, slug: str = DEMO_SLUG, ruc: str = DEMO_RUC) -> dict[str, Any]:
    """The admin API / ``parse_tenant_input`` body of the demo emisor, certificate from ``ca``
    (another ``ruc``: a second company like it; one environment takes each RUC once)."""
    p12 = issue_test_p12(ca, ruc=ruc, name="SIFENFLOW DEMO", password=DEMO_CERT_PASSWORD)
    return {
        "slug": slug,
        "environment": "simulado",
        "params": dict(demo_params(), ruc=ruc),
        "puntos": copy.deepcopy(DEMO_PUNTOS),
        "cscId": DEMO_CSC_ID,
        "csc": DEMO_CSC,
        "certificate": base64.b64encode(p12).decode("ascii"),
        "certificatePassword": DEMO_CERT_PASSWORD,
    }


def simulator_entry() -> dict[str, Any]:
    """The demo taxpayer as the simulator's registry takes it (PUT /admin/contribuyentes)."""
    return {
        "ruc": DEMO_RUC,
        "razon_social": _PARAMS["razonSocial"],
        "csc": {DEMO_CSC_ID: DEMO_CSC},
        "timbrados": [
            {"numero": DEMO_TIMBRADO, "inicio": DEMO_TIMBRADO_DATE, "establecimientos": DEMO_PUNTOS}
        ],
    }
