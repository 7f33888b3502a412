"""Simple `/invoicing` bodies shared by the unit tests."""

from __future__ import annotations

from typing import Any

# What SIFEN requires of a nota de remisión beyond the documented example (MT v150 D213-D223, E505, E10)
REMISION_TRANSPORT: dict[str, Any] = {
    "cliente": {
        "ruc": "80069563-1",
        "razonSocial": "Sucursal Centro S.A.",
        "direccion": "Av. España",
        "numeroCasa": "1234",
        "ciudad": "Asunción",
    },
    "remision": {"kms": 12},
    "transporte": {
        "tipo": 1,
        "modalidad": 1,
        "tipoResponsable": 1,
        "salida": {"direccion": "Depósito Central", "numeroCasa": "10", "ciudad": 1},
        "entrega": {"direccion": "Sucursal", "numeroCasa": "20", "ciudad": "Encarnación"},
        "vehiculo": {"tipo": "Camión", "marca": "Volvo", "documentoTipo": 2, "numeroMatricula": "ABC123"},
        "transportista": {
            "contribuyente": True,
            "nombre": "Transportes del Sur S.A.",
            "ruc": "80002201-7",
            "direccion": "Ruta 1 km 20",
            "chofer": {"documentoNumero": "2345678", "nombre": "Carlos Gómez", "direccion": "San Lorenzo"},
        },
    },
}
