"""XML namespaces and fixed URIs of SIFEN (Manual Técnico v150 §7, sifen-protocol.md §1, §6)."""

from typing import Final

SIFEN_NS: Final = "http://ekuatia.set.gov.py/sifen/xsd"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
SOAP12_NS: Final = "http://www.w3.org/2003/05/soap-envelope"

SCHEMA_LOCATION_DE: Final = f"{SIFEN_NS} siRecepDE_v150.xsd"
SCHEMA_LOCATION_EVENT: Final = f"{SIFEN_NS} siRecepEvento_v150.xsd"
OFFICIAL_XSD_BASE_URL: Final = "https://ekuatia.set.gov.py/sifen/xsd/"

QR_BASE_URL_TEST: Final = "https://ekuatia.set.gov.py/consultas-test/qr?"
QR_BASE_URL_PROD: Final = "https://ekuatia.set.gov.py/consultas/qr?"


def sifen_tag(local_name: str) -> str:
    """Clark notation of a SIFEN element name, e.g. ``{http://ekuatia…/xsd}rDE``."""
    return f"{{{SIFEN_NS}}}{local_name}"
