"""Documents and events for the protocol tests (client, SOAP layer, simulator) and the benchmark.

Builds compact v150 rDE that validate against siRecepDE_v150.xsd with a correct CDC (MT v150 §10),
signed with a certificate of a test CA (``sifenflow_common.sifen.test_ca``) and carrying the QR
(``sifen.qr``), and event rGesEve valid against siRecepEvento_v150.xsd, signed over ``rEve``.
``sign=False`` gives a structurally complete but fake Signature (for pure XML tests).
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from lxml import etree

from sifenflow_common.sifen.certificates import SigningCredentials, load_pkcs12
from sifenflow_common.sifen.dsig import sign_element
from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.namespaces import DSIG_NS, SCHEMA_LOCATION_DE, SIFEN_NS, XSI_NS
from sifenflow_common.sifen.qr import sign_rde_with_qr
from sifenflow_common.sifen.test_ca import TestCA, ensure_test_ca, issue_test_p12

PARAGUAY = timezone(timedelta(hours=-3))
DEMO_RUC = "80069563"
DEMO_DV = str(dv11(DEMO_RUC))
DEMO_TIMBRADO = "12345678"
DEMO_TIMBRADO_INICIO = "2024-01-01"
DEMO_CSC_ID = "0001"
DEMO_CSC = "ABCD0000000000000000000000000000"

TYPE_NAMES = {
    1: "Factura electrónica",
    4: "Autofactura electrónica",
    5: "Nota de crédito electrónica",
    6: "Nota de débito electrónica",
    7: "Nota de remisión electrónica",
}


def demo_contribuyente(ruc: str = DEMO_RUC, timbrado: str = DEMO_TIMBRADO) -> dict[str, object]:
    return {
        "ruc": ruc,
        "dv": str(dv11(ruc)),
        "razon_social": "EMPRESA DE PRUEBA S.A.",
        "estado": "ACT",
        "factura_electronica": True,
        "csc": {DEMO_CSC_ID: DEMO_CSC},
        "timbrados": [
            {
                "numero": timbrado,
                "inicio": DEMO_TIMBRADO_INICIO,
                "tipos": [1, 4, 5, 6, 7],
                "establecimientos": {"001": ["001", "002"]},
            }
        ],
    }


@cache
def protocol_ca_dir() -> Path:
    """One test CA per test process (RSA key generation is slow: made once), removed at exit."""
    directory = Path(tempfile.mkdtemp(prefix="sifenflow-protocol-ca-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


@cache
def protocol_ca() -> TestCA:
    return ensure_test_ca(protocol_ca_dir())


@cache
def credentials_for(ruc: str = DEMO_RUC, ca_dir: Path | None = None) -> SigningCredentials:
    """Signing credentials whose certificate carries ``RUC<ruc>-<dv>`` (valid from 60 days ago)."""
    ca = ensure_test_ca(ca_dir) if ca_dir is not None else protocol_ca()
    p12 = issue_test_p12(
        ca,
        ruc=f"{ruc}-{dv11(ruc)}",
        name=f"EMPRESA {ruc}",
        password="secreto",
        not_before=datetime.now(UTC) - timedelta(days=60),
    )
    return load_pkcs12(p12, "secreto")


def now_local() -> datetime:
    return datetime.now(PARAGUAY).replace(tzinfo=None, microsecond=0)


TRANSACTION_NAMES = {1: "Venta de mercadería", 13: "Muestras médicas (Art. 3 RG 24/2014)"}
INNOMINADO_B2C: tuple[tuple[str, object], ...] = (
    ("iNatRec", 2),
    ("iTiOpe", 2),
    ("cPaisRec", "PRY"),
    ("dDesPaisRe", "Paraguay"),
    ("iTipIDRec", 5),
    ("dDTipIDRec", "Innominado"),
    ("dNumIDRec", 0),
    ("dNomRec", "Sin Nombre"),
)


@dataclass
class DocSpec:
    numero: int = 1
    ruc: str = DEMO_RUC
    timbrado: str = DEMO_TIMBRADO
    timbrado_inicio: str = DEMO_TIMBRADO_INICIO
    est: str = "001"
    pun: str = "001"
    itide: int = 1
    emitted: datetime = field(default_factory=now_local)
    signed: datetime | None = None
    cod_seg: str | None = None
    break_dv: bool = False
    amount: int = 110000
    sign: bool = True
    credentials: SigningCredentials | None = None  # default: a test certificate of ``ruc``
    csc_id: str = DEMO_CSC_ID
    csc: str = DEMO_CSC
    receptor: tuple[tuple[str, object], ...] = INNOMINADO_B2C  # gDatRec children, in XSD order
    tipo_transaccion: int = 1  # iTipTra


def cdc_for(spec: DocSpec, cod_seg: str) -> str:
    body = (
        f"{spec.itide:02d}{spec.ruc.zfill(8)}{dv11(spec.ruc)}{spec.est}{spec.pun}{spec.numero:07d}"
        f"2{spec.emitted:%Y%m%d}1{cod_seg}"
    )
    dv = dv11(body)
    if spec.break_dv:
        dv = (dv + 1) % 10
    return body + str(dv)


def _sub(parent: etree._Element, name: str, value: object | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{SIFEN_NS}}}{name}")
    if value is not None:
        el.text = str(value)
    return el


def _dummy_signature(parent: etree._Element, reference: str) -> None:
    d = f"{{{DSIG_NS}}}"
    sig = etree.SubElement(parent, d + "Signature", nsmap={None: DSIG_NS})  # type: ignore[dict-item]
    info = etree.SubElement(sig, d + "SignedInfo")
    etree.SubElement(info, d + "CanonicalizationMethod").set(
        "Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    etree.SubElement(info, d + "SignatureMethod").set(
        "Algorithm", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    ref = etree.SubElement(info, d + "Reference")
    ref.set("URI", f"#{reference}")
    transforms = etree.SubElement(ref, d + "Transforms")
    etree.SubElement(transforms, d + "Transform").set(
        "Algorithm", "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    )
    etree.SubElement(transforms, d + "Transform").set("Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#")
    etree.SubElement(ref, d + "DigestMethod").set("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(ref, d + "DigestValue").text = "b1nTZqZ0hJ0T2Jr8kS2CkqQW8nJt3oG8x8zJ2D8s0Kk="
    etree.SubElement(sig, d + "SignatureValue").text = "AAAA"
    key_info = etree.SubElement(sig, d + "KeyInfo")
    etree.SubElement(etree.SubElement(key_info, d + "X509Data"), d + "X509Certificate").text = "AAAA"


def build_rde(spec: DocSpec | None = None) -> tuple[str, bytes]:
    """(CDC, serialized rDE) of a compact FE/NC/ND/AFE/NR-shaped document valid against the XSD."""
    spec = spec or DocSpec()
    cod_seg = spec.cod_seg or f"{secrets.randbelow(899_999_999) + 100_000_000}"
    cdc = cdc_for(spec, cod_seg)
    signed = spec.signed or spec.emitted
    rde = etree.Element(
        f"{{{SIFEN_NS}}}rDE",
        nsmap={None: SIFEN_NS, "xsi": XSI_NS},  # type: ignore[dict-item]
    )
    rde.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION_DE)
    _sub(rde, "dVerFor", 150)
    de = _sub(rde, "DE")
    de.set("Id", cdc)
    _sub(de, "dDVId", cdc[-1])
    _sub(de, "dFecFirma", f"{signed:%Y-%m-%dT%H:%M:%S}")
    _sub(de, "dSisFact", 1)
    ope = _sub(de, "gOpeDE")
    _sub(ope, "iTipEmi", 1)
    _sub(ope, "dDesTipEmi", "Normal")
    _sub(ope, "dCodSeg", cod_seg)
    timb = _sub(de, "gTimb")
    _sub(timb, "iTiDE", spec.itide)
    _sub(timb, "dDesTiDE", TYPE_NAMES[spec.itide])
    _sub(timb, "dNumTim", spec.timbrado)
    _sub(timb, "dEst", spec.est)
    _sub(timb, "dPunExp", spec.pun)
    _sub(timb, "dNumDoc", f"{spec.numero:07d}")
    _sub(timb, "dFeIniT", spec.timbrado_inicio)
    gral = _sub(de, "gDatGralOpe")
    _sub(gral, "dFeEmiDE", f"{spec.emitted:%Y-%m-%dT%H:%M:%S}")
    com = _sub(gral, "gOpeCom")
    _sub(com, "iTipTra", spec.tipo_transaccion)
    _sub(com, "dDesTipTra", TRANSACTION_NAMES[spec.tipo_transaccion])
    _sub(com, "iTImp", 1)
    _sub(com, "dDesTImp", "IVA")
    _sub(com, "cMoneOpe", "PYG")
    _sub(com, "dDesMoneOpe", "Guarani")
    emis = _sub(gral, "gEmis")
    for name, value in [
        ("dRucEm", spec.ruc),
        ("dDVEmi", dv11(spec.ruc)),
        ("iTipCont", 2),
        ("dNomEmi", "DE generado en ambiente de prueba - sin valor comercial ni fiscal"),
        ("dDirEmi", "AVENIDA MARISCAL LOPEZ"),
        ("dNumCas", 1234),
        ("cDepEmi", 1),
        ("dDesDepEmi", "CAPITAL"),
        ("cCiuEmi", 1),
        ("dDesCiuEmi", "ASUNCION (DISTRITO)"),
        ("dTelEmi", "021123456"),
        ("dEmailE", "facturacion@example.com"),
    ]:
        _sub(emis, name, value)
    act = _sub(emis, "gActEco")
    _sub(act, "cActEco", "46510")
    _sub(act, "dDesActEco", "COMERCIO AL POR MAYOR DE EQUIPOS INFORMATICOS")
    rec = _sub(gral, "gDatRec")
    for name, value in spec.receptor:
        _sub(rec, name, value)
    dtip = _sub(de, "gDtipDE")
    fe = _sub(dtip, "gCamFE")
    _sub(fe, "iIndPres", 1)
    _sub(fe, "dDesIndPres", "Operación presencial")
    cond = _sub(dtip, "gCamCond")
    _sub(cond, "iCondOpe", 1)
    _sub(cond, "dDCondOpe", "Contado")
    pago = _sub(cond, "gPaConEIni")
    _sub(pago, "iTiPago", 1)
    _sub(pago, "dDesTiPag", "Efectivo")
    _sub(pago, "dMonTiPag", spec.amount)
    _sub(pago, "cMoneTiPag", "PYG")
    _sub(pago, "dDMoneTiPag", "Guarani")
    item = _sub(dtip, "gCamItem")
    _sub(item, "dCodInt", "P001")
    _sub(item, "dDesProSer", "Producto de prueba")
    _sub(item, "cUniMed", 77)
    _sub(item, "dDesUniMed", "UNI")
    _sub(item, "dCantProSer", 1)
    valor = _sub(item, "gValorItem")
    _sub(valor, "dPUniProSer", spec.amount)
    _sub(valor, "dTotBruOpeItem", spec.amount)
    resta = _sub(valor, "gValorRestaItem")
    _sub(resta, "dDescItem", 0)
    _sub(resta, "dPorcDesIt", 0)
    _sub(resta, "dDescGloItem", 0)
    _sub(resta, "dTotOpeItem", spec.amount)
    iva = _sub(item, "gCamIVA")
    base = round(spec.amount / 1.1)
    liq = spec.amount - base
    for name, value in [
        ("iAfecIVA", 1),
        ("dDesAfecIVA", "Gravado IVA"),
        ("dPropIVA", 100),
        ("dTasaIVA", 10),
        ("dBasGravIVA", base),
        ("dLiqIVAItem", liq),
        ("dBasExe", 0),
    ]:
        _sub(iva, name, value)
    tot = _sub(de, "gTotSub")
    for name, value in [
        ("dSubExe", 0),
        ("dSubExo", 0),
        ("dSub5", 0),
        ("dSub10", spec.amount),
        ("dTotOpe", spec.amount),
        ("dTotDesc", 0),
        ("dTotDescGlotem", 0),
        ("dTotAntItem", 0),
        ("dTotAnt", 0),
        ("dPorcDescTotal", 0),
        ("dDescTotal", 0),
        ("dAnticipo", 0),
        ("dRedon", 0),
        ("dTotGralOpe", spec.amount),
        ("dIVA5", 0),
        ("dIVA10", liq),
        ("dLiqTotIVA5", 0),
        ("dLiqTotIVA10", 0),
        ("dTotIVA", liq),
        ("dBaseGrav5", 0),
        ("dBaseGrav10", base),
        ("dTBasGraIVA", base),
    ]:
        _sub(tot, name, value)
    if spec.sign:
        unsigned = etree.tostring(rde, encoding="utf-8")
        signed_xml = sign_rde_with_qr(
            unsigned,
            spec.credentials or credentials_for(spec.ruc),
            csc_id=spec.csc_id,
            csc=spec.csc,
            environment="test",
            signed_at=signed,
        )
        return cdc, signed_xml
    _dummy_signature(rde, cdc)
    fu = _sub(rde, "gCamFuFD")
    _sub(
        fu,
        "dCarQR",
        "https://ekuatia.set.gov.py/consultas-test/qr?nVersion=150&Id="
        + cdc
        + "&dFeEmiDE=00&dNumIDRec=0&dTotGralOpe=0&dTotIVA=0&cItems=1&DigestValue=00&IdCSC=0001&cHashQR="
        + "0" * 64,
    )
    return cdc, etree.tostring(rde, encoding="utf-8", xml_declaration=True)


def build_cancel_event(
    cdc: str,
    event_id: int = 1,
    signed: datetime | None = None,
    credentials: SigningCredentials | None = None,
) -> bytes:
    """rGesEve with rGeVeCan (MT v150 §11.1), signed by the emisor's test certificate."""

    def fill(g: etree._Element) -> None:
        _sub(g, "Id", cdc)
        _sub(g, "mOtEve", "Error en la carga")

    signer = credentials or credentials_for(cdc[2:10].lstrip("0"))
    return _event(event_id, signed, fill, "rGeVeCan", signer)


def build_inutilizacion_event(
    desde: int, hasta: int, *, timbrado: str = DEMO_TIMBRADO, est: str = "001", pun: str = "001",
    itide: int = 1, event_id: int = 1,
) -> bytes:  # fmt: skip
    def fill(g: etree._Element) -> None:
        _sub(g, "dNumTim", timbrado)
        _sub(g, "dEst", est)
        _sub(g, "dPunExp", pun)
        _sub(g, "dNumIn", f"{desde:07d}")
        _sub(g, "dNumFin", f"{hasta:07d}")
        _sub(g, "iTiDE", itide)
        _sub(g, "mOtEve", "Numeración no utilizada")

    return _event(event_id, None, fill, "rGeVeInu", credentials_for(DEMO_RUC))


def build_conformidad_event(cdc: str, event_id: int = 1) -> bytes:
    def fill(g: etree._Element) -> None:
        _sub(g, "Id", cdc)
        _sub(g, "iTipConf", 1)

    return _event(event_id, None, fill, "rGeVeConf", credentials_for(DEMO_RUC))


def _event(
    event_id: int,
    signed: datetime | None,
    fill: object,
    group_name: str,
    credentials: SigningCredentials | None,
) -> bytes:
    ges = etree.Element(f"{{{SIFEN_NS}}}rGesEve", nsmap={None: SIFEN_NS})  # type: ignore[dict-item]
    rev = _sub(ges, "rEve")
    rev.set("Id", str(event_id))
    _sub(rev, "dFecFirma", f"{(signed or now_local()):%Y-%m-%dT%H:%M:%S}")
    _sub(rev, "dVerFor", 150)
    group = _sub(_sub(rev, "gGroupTiEvt"), group_name)
    fill(group)  # type: ignore[operator]
    if credentials is None:
        _dummy_signature(ges, str(event_id))
    else:
        sign_element(rev, credentials)
    return etree.tostring(ges, encoding="utf-8")
