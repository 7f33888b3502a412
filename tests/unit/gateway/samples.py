"""Sample tenant params, documents and certificates shared by the gateway tests."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import itertools
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from sifenflow_common.sifen.dv import dv11

# RUC 80069563-1 is the emisor of the CDC example 01800695631001002100694612021112410311184194.
PARAMS: dict[str, Any] = {
    "version": 150,
    "ruc": "80069563-1",
    "razonSocial": "DE generado en ambiente de prueba - sin valor comercial ni fiscal",
    "nombreFantasia": "Demo",
    "actividadesEconomicas": [{"codigo": "62010", "descripcion": "Actividades de programación informática"}],
    "timbradoNumero": "12558946",
    "timbradoFecha": "2022-08-25",
    "tipoContribuyente": 1,
    "tipoRegimen": 8,
    "establecimientos": [
        {
            "codigo": "001",
            "direccion": "Barrio Carolina",
            "numeroCasa": "0",
            "departamento": 1,
            "departamentoDescripcion": "CAPITAL",
            "distrito": 1,
            "distritoDescripcion": "ASUNCION (DISTRITO)",
            "ciudad": 1,
            "ciudadDescripcion": "ASUNCION (DISTRITO)",
            "telefono": "0973-527155",
            "email": "demo@example.com",
        }
    ],
}

FACTURA: dict[str, Any] = {
    "tipoDocumento": 1,
    "establecimiento": "001",
    "punto": "001",
    "fecha": "2026-11-20T10:11:00",
    "tipoEmision": 1,
    "tipoTransaccion": 1,
    "tipoImpuesto": 1,
    "moneda": "PYG",
    "cliente": {
        "contribuyente": True,
        "ruc": "80069563-1",
        "razonSocial": "Cliente SA",
        "tipoOperacion": 1,
        "tipoContribuyente": 2,
        "pais": "PRY",
        "paisDescripcion": "Paraguay",
        "codigo": "001",
    },
    "factura": {"presencia": 1},
    "condicion": {"tipo": 1, "entregas": [{"tipo": 1, "monto": 110000, "moneda": "PYG"}]},
    "items": [
        {
            "codigo": "A-1",
            "descripcion": "Servicio",
            "unidadMedida": 77,
            "cantidad": 1,
            "precioUnitario": 110000,
            "ivaTipo": 1,
            "ivaBase": 100,
            "iva": 10,
        }
    ],
}


def factura(**overrides: Any) -> dict[str, Any]:
    doc = copy.deepcopy(FACTURA)
    doc.update(overrides)
    return doc


_RUC_BASES = itertools.count(secrets.randbelow(8_000_000) + 1_000_000)  # never 80069563 (PARAMS)


def unique_ruc() -> str:
    """A RUC of its own with its module-11 DV: one database refuses two companies with one RUC."""
    base = str(next(_RUC_BASES))
    return f"{base}-{dv11(base)}"


def tenant_body(
    slug: str, *, with_cert: bool = True, cert_ruc: str | None = None, ruc: str | None = None
) -> dict[str, Any]:
    """A tenant that can emit (a company without a certificate cannot: ``with_cert=False``); the RUC
    of PARAMS unless ``ruc`` (then also the certificate's)."""
    params = copy.deepcopy(PARAMS)
    if ruc is not None:
        params["ruc"] = ruc
    cert_ruc = cert_ruc or params["ruc"]
    body: dict[str, Any] = {
        "slug": slug,
        "environment": "simulado",
        "params": params,
        "puntos": {"001": ["001", "002"]},
        "cscId": "0001",
        "csc": "ABCD0000000000000000000000000000",
    }
    if with_cert:
        body["certificate"] = base64.b64encode(_shared_p12(cert_ruc)).decode()
        body["certificatePassword"] = "s3creto"
    return body


@functools.cache
def _shared_p12(ruc: str) -> bytes:
    return make_p12(ruc, "s3creto")  # one RSA key per RUC and test process: tenants are many


def make_p12(ruc: str, password: str) -> bytes:
    """A self-signed PKCS#12 whose subject serialNumber carries the RUC, like SET-issued ones."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "EMPRESA DEMO"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"RUC{ruc}"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PY"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"demo", key, cert, None, serialization.BestAvailableEncryption(password.encode())
    )
