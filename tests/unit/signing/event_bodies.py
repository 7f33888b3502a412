"""FacturaSend-style bodies of every event type (facturasend-api.md §2.8) used by the event tests."""

from __future__ import annotations

from typing import Any

from tests.fixtures.signing.unsigned_rde import RdeSpec, cdc_for

CDC_FE = cdc_for(RdeSpec())
CDC_NRE = cdc_for(RdeSpec(i_ti_de=7))

BODIES: dict[str, dict[str, Any]] = {
    "cancelacion": {"cdc": CDC_FE, "motivo": "Error en los datos del cliente"},
    "inutilizacion": {
        "timbrado": "12345678",
        "tipoDocumento": 1,
        "establecimiento": "001",
        "punto": "001",
        "desde": 10,
        "hasta": 20,
        "motivo": "Saltos en la numeración",
    },
    "conformidad": {"cdc": CDC_FE, "tipoConformidad": 2, "fechaRecepcion": "2026-11-20T11:00:00"},
    "disconformidad": {"cdc": CDC_FE, "motivo": "Mercadería no entregada"},
    "desconocimiento": {
        "cdc": CDC_FE,
        "fechaEmision": "2026-11-20T10:15:30",
        "fechaRecepcion": "2026-11-20T11:00:00",
        "tipoReceptor": 1,
        "nombre": "CLIENTE S.A.",
        "ruc": "80002201-7",
        "motivo": "No reconocemos esta operación",
    },
    "notificacion": {
        "cdc": CDC_FE,
        "fechaEmision": "2026-11-20T10:15:30",
        "fechaRecepcion": "2026-11-20T11:00:00",
        "tipoReceptor": 2,
        "nombre": "Juan Pérez",
        "documentoTipo": 1,
        "documentoNumero": "1234567",
        "totalPYG": 605000,
    },
    "nominacion": {
        "cdc": CDC_FE,
        "motivo": "Nominación del receptor innominado",
        "contribuyente": True,
        "tipoOperacion": 1,
        "tipoContribuyente": 2,
        "ruc": "80002201-7",
        "razonSocial": "CLIENTE S.A.",
        "direccion": "Avda. España 1000",
        "numeroCasa": 1000,
        "departamento": 1,
        "departamentoDescripcion": "CAPITAL",
        "ciudad": 1,
        "ciudadDescripcion": "ASUNCION (DISTRITO)",
        "email": "compras@cliente.com.py",
    },
    "transporte": {
        "cdc": CDC_NRE,
        "motivo": 2,
        "chofer": {"nombre": "Carlos Gómez", "documentoNumero": "2345678"},
        "transportista": {"naturaleza": 1, "ruc": "80002201-7", "nombre": "TRANSPORTES S.A."},
        "tipoTransporte": 2,
        "modalidad": 1,
        "vehiculo": {"tipo": "Camión", "marca": "Volvo", "documentoTipo": 2, "numeroMatricula": "ABC123"},
    },
}
