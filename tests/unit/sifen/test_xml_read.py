"""The lenient rDE reader (issue 2 item 8) over the official 2019 examples and hand-made edge cases.

The examples are the Sept 2019 set published with the v150 XSDs (MT v150): pretty-printed, inside a
SOAP ``rEnviDe`` envelope, partly outdated (no ``dBasExe``, ``dFeFinT`` in ND, NRE without signature).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.xml_read import RdeView, XmlReadError, read_rde
from tests.conftest import shared_examples_dir

pytestmark = pytest.mark.unit

EXAMPLES = ["FE", "AFE", "NC", "ND", "NRE"]


def example(name: str) -> RdeView:
    return read_rde((shared_examples_dir() / f"{name}_v150_20190910.xml").read_bytes())


# --- the five official examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "itide", "cdc", "number"),
    [
        ("FE", 1, "01800138848001001123456412018121817819792239", "001-001-1234564"),
        ("AFE", 4, "04800044649001001900018722019090117200146404", "001-001-9000187"),
        ("NC", 5, "05009290230001001000005212019040910000000345", "001-001-0000052"),
        ("ND", 6, "06009290230001001000002612019040917819792232", "001-001-0000026"),
        ("NRE", 7, "07800044649001001900018322019031217200146403", "001-001-9000183"),
    ],
)
def test_official_example_identity(name: str, itide: int, cdc: str, number: str) -> None:
    view = example(name)
    assert view.cdc == cdc
    assert view.iTiDE == itide
    assert view.number == number  # printed number EEE-PPP-NNNNNNN (sifen-protocol §9)
    # MT v150 §10.1: dDVId is the module-11 DV of the first 43 CDC characters
    assert view.dDVId == dv11(cdc[:43]) == int(cdc[43])
    # KuDE prints the CDC in 11 groups of four (MT v150 §13, sifen-protocol §4.1)
    assert len(view.cdc_blocks) == 11
    assert "".join(view.cdc_blocks) == cdc
    assert all(len(b) == 4 for b in view.cdc_blocks)


def test_fe_example_reads_every_group() -> None:
    view = example("FE")
    assert view.dVerFor == 150
    assert view.dFecFirma == datetime(2018, 12, 18, 17, 44, 36)
    assert view.gOpeDE is not None and view.gOpeDE.dCodSeg == "781979223"
    assert view.gTimb.dNumTim == "12557209"
    assert view.gTimb.dSerieNum is None  # commented out in the example: comments are ignored
    assert view.gTimb.dFeIniT == date(2018, 10, 12)
    assert view.dFeEmiDE == datetime(2018, 12, 18, 17, 44, 36)
    assert view.currency == "PYG"
    assert view.gOpeCom is not None and view.gOpeCom.iTImp == 1

    emis = view.gEmis
    assert (emis.dRucEm, emis.dDVEmi, emis.ruc) == ("80013884", 8, "80013884-8")
    assert emis.dNomEmi == "BANCARD S.A." and emis.dNomFanEmi == "BANCARD"
    assert emis.dDirEmi == "AVENIDA BRASILIA N° 765" and emis.dDesCiuEmi == "ASUNCION (DISTRITO)"
    assert emis.dTelEmi == "214161000" and emis.dEmailE == "contabilidad@bancard.com.py"
    # a line break + indentation inside the pretty-printed text collapses to one space
    assert emis.gActEco[0].dDesActEco == (
        "OTRAS ACTIVIDADES DE SERVICIOS FINANCIEROS, EXCEPTO LA FINANCIACIÓN "
        "DE PLANES DE SEGUROS Y DE PENSIONES"
    )

    rec = view.gDatRec
    assert rec.is_contribuyente and rec.iTiOpe == 1
    assert rec.ruc == "80002201-7" and rec.dNomRec == "BANCO DEL PARAGUAY S.A."
    assert rec.dNumIDRec is None and rec.emails == ()

    fe = view.gDtipDE.gCamFE
    assert fe is not None and fe.iIndPres == 1 and fe.dDesIndPres == "Operación presencial"
    cond = view.gDtipDE.gCamCond
    assert cond is not None and cond.iCondOpe == 2 and cond.dDCondOpe == "Crédito"
    assert cond.gPagCred is not None and cond.gPagCred.dPlazoCre == "28"

    first, second = view.items
    assert first.dCodInt == "CAC/CTAC" and first.cUniMed == 77 and first.dDesUniMed == "UNI"
    assert first.dCantProSer == Decimal("423378")
    assert first.unit_price == Decimal("125.94133776")
    assert first.total == Decimal("53320791.70")
    assert str(first.total) == "53320791.70"  # numbers kept exactly as written
    # sifen-protocol §10 T18: 3312540 at 10 %, prop 100 → base 3011400, IVA 301140
    assert second.total == Decimal("3312540")
    assert second.gCamIVA is not None
    assert (second.gCamIVA.iAfecIVA, second.gCamIVA.dTasaIVA, second.gCamIVA.dPropIVA) == (
        1,
        10,
        Decimal(100),
    )
    assert (second.gCamIVA.dBasGravIVA, second.gCamIVA.dLiqIVAItem) == (Decimal(3011400), Decimal(301140))
    assert second.gCamIVA.dBasExe is None  # pre-NT13 document: tolerated, not required
    assert second.discount == Decimal("123")

    assert view.gDtipDE.gCamEsp is not None and view.gDtipDE.gCamEsp.gGrupAdi is not None
    assert view.gDtipDE.gCamEsp.gGrupAdi.dCiclo == "DICIEMBRE"
    assert view.gDtipDE.gTransp is not None and view.gDtipDE.gTransp.dDesModTrans == "Aéreo"
    assert view.gTotSub is not None and view.gTotSub.dSub10 == Decimal("0.0")
    assert view.gCamDEAsoc == ()

    assert view.signature is not None
    assert view.digest_value == "Nt2UmpjUHuu2DT6CJc2mtKhhqbq94LHSak1IsEOtuWk="
    assert view.signature.reference_uri == "#01800025776001001900018322018111317200146406"
    assert view.signature.x509_certificate == "MIIIxzCCBq+gAwIBAgITXAA"
    assert view.dCarQR is not None
    assert view.dCarQR.startswith("https://ekuatia.set.gov.py/consultas-test/qr?nVersion=150&Id=")
    assert "&amp;" not in view.dCarQR  # XML escaping undone by the parser


def test_afe_example_vendor_payment_and_constancia() -> None:
    view = example("AFE")
    ae = view.gDtipDE.gCamAE
    assert ae is not None
    assert (ae.iNatVen, ae.dNomVen, ae.dNumIDVen, ae.dDTipIDVen) == (
        1,
        "Belén Bosco",
        "1111111",
        "Cédula paraguaya",
    )
    cond = view.gDtipDE.gCamCond
    assert cond is not None and cond.gPaConEIni[0].dMonTiPag == Decimal("10.0000")
    assert cond.gPaConEIni[0].cMoneTiPag == "PYG"
    # AFE gTotSub is reduced (MT v150 F: no F002-F005)
    assert view.gTotSub is not None and view.gTotSub.dSubExe is None and view.gTotSub.dTotOpe == 0
    (asoc,) = view.gCamDEAsoc
    assert (asoc.iTipDocAso, asoc.iTipCons, asoc.dNumCons, asoc.dNumControl) == (
        3,
        1,
        "01236563890",
        "06563890",
    )


def test_nc_and_nd_examples_carry_associated_electronic_document() -> None:
    nc, nd = example("NC"), example("ND")
    assert nc.gDtipDE.gCamNCDE is not None and nc.gDtipDE.gCamNCDE.dDesMotEmi == "Recupero de costo"
    assert nd.gDtipDE.gCamNCDE is not None and nd.gDtipDE.gCamNCDE.iMotEmi == 3
    for view in (nc, nd):
        (asoc,) = view.gCamDEAsoc
        assert asoc.iTipDocAso == 1 and asoc.dCdCDERef == "01800138848001001123456412018121817819792239"
    assert nd.gTimb.dFeFinT == date(2019, 9, 30)  # outdated field, still read
    assert nd.gTotSub is not None
    assert (nd.gTotSub.dTotGralOpe, nd.gTotSub.dIVA10, nd.gTotSub.dTotIVA) == (
        Decimal(2000000),
        Decimal(6283383),
        Decimal(6283383),
    )
    assert nd.items[0].dCantProSer == Decimal("2.000")
    assert nd.signature is not None and nd.signature.certificate_der() is not None  # complete certificate


def test_nre_example_transport_and_printed_association() -> None:
    view = example("NRE")
    assert view.gOpeCom is None and view.currency == "PYG"
    assert view.gTotSub is None  # forbidden for NRE (sifen-protocol §8.3)
    assert view.gTimb.dSerieNum == "AN"
    nre = view.gDtipDE.gCamNRE
    assert (
        nre is not None and nre.iMotEmiNR == 2 and nre.dKmR == Decimal(15) and nre.dFecEm == date(2019, 2, 18)
    )
    tr = view.gDtipDE.gTransp
    assert tr is not None and tr.iTipTrans == 1 and tr.dIniTras == date(2019, 1, 30)
    assert tr.gCamSal is not None and tr.gCamSal.dDirLocSal == "Rca. Argentina"
    assert tr.gCamEnt[0].dTelEnt == "595985876303"
    assert tr.gVehTras[0].dMarVeh == "Suzuki" and tr.gVehTras[0].dTipIdenVeh == 1
    assert tr.gCamTrans is not None and tr.gCamTrans.dNomChof == "Margarita Fernández"
    assert tr.gCamTrans.dDomFisc is None  # required since a later NT; absent in 2019
    (asoc,) = view.gCamDEAsoc
    assert asoc.printed_number == "001-001-9000032" and asoc.dFecEmiDI == date(2018, 10, 31)
    # no Signature at all, and an empty dCarQR: both read as absent
    assert view.signature is None and view.digest_value is None
    assert view.gCamFuFD is not None and view.dCarQR is None


def test_view_is_read_only() -> None:
    view = example("FE")
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.Id = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.gEmis.dNomEmi = "x"  # type: ignore[misc]


# --- hand-made documents ---------------------------------------------------------------------------

NS = "http://ekuatia.set.gov.py/sifen/xsd"
CDC = "01800695631001001000000612021112917595714694"


def compact(
    *,
    prefix: str = "",
    receptor: str | None = None,
    dtip_extra: str = "",
    items: str | None = None,
    totals: str = "<gTotSub><dTotOpe>110000</dTotOpe><dTotGralOpe>110000</dTotGralOpe><dIVA10>10000</dIVA10>"
    "<dTotIVA>10000</dTotIVA><dTBasExe>0</dTBasExe></gTotSub>",
    fufd: str = "<gCamFuFD><dCarQR>https://ekuatia.set.gov.py/consultas/qr?nVersion=150&amp;Id=X</dCarQR>"
    "<dInfAdic>Gracias por su compra</dInfAdic></gCamFuFD>",
    ope_com: str = "<gOpeCom><iTImp>1</iTImp><cMoneOpe>USD</cMoneOpe><dDesMoneOpe>US Dollar</dDesMoneOpe>"
    "<dCondTiCam>1</dCondTiCam><dTiCam>7300.5</dTiCam></gOpeCom>",
) -> str:
    """A compact rDE as our writer produces it (one line, no whitespace), optionally prefixed."""
    receptor = receptor or (
        "<gDatRec><iNatRec>2</iNatRec><iTiOpe>2</iTiOpe><cPaisRec>PRY</cPaisRec><iTipIDRec>1</iTipIDRec>"
        "<dDTipIDRec>Cédula paraguaya</dDTipIDRec><dNumIDRec>4567890</dNumIDRec><dNomRec>Juan Pérez</dNomRec>"
        "<dEmailRec>juan@example.com, otra@example.com;tercera@example.com</dEmailRec></gDatRec>"
    )
    items = items or (
        "<gCamItem><dCodInt>A1</dCodInt><dDesProSer>Arroz</dDesProSer><cUniMed>77</cUniMed>"
        "<dCantProSer>2</dCantProSer><gValorItem><dPUniProSer>55000</dPUniProSer>"
        "<dTotBruOpeItem>110000</dTotBruOpeItem><gValorRestaItem><dDescItem>0</dDescItem>"
        "<dTotOpeItem>110000</dTotOpeItem></gValorRestaItem></gValorItem><gCamIVA><iAfecIVA>4</iAfecIVA>"
        "<dPropIVA>50</dPropIVA><dTasaIVA>10</dTasaIVA><dBasGravIVA>52381</dBasGravIVA>"
        "<dLiqIVAItem>5238</dLiqIVAItem><dBasExe>52381</dBasExe></gCamIVA></gCamItem>"
    )
    body = (
        f'<rDE xmlns="{NS}"><dVerFor>150</dVerFor><DE Id="{CDC}"><dDVId>4</dDVId>'
        "<dFecFirma>2021-11-29T17:59:57</dFecFirma><dSisFact>1</dSisFact>"
        "<gOpeDE><iTipEmi>1</iTipEmi><dDesTipEmi>Normal</dDesTipEmi><dCodSeg>759571469</dCodSeg></gOpeDE>"
        "<gTimb><iTiDE>1</iTiDE><dDesTiDE>Factura electrónica</dDesTiDE><dNumTim>12560693</dNumTim>"
        "<dEst>001</dEst><dPunExp>001</dPunExp><dNumDoc>0000006</dNumDoc><dSerieNum>AB</dSerieNum>"
        "<dFeIniT>2021-11-01</dFeIniT></gTimb>"
        f"<gDatGralOpe><dFeEmiDE>2021-11-29T17:59:57</dFeEmiDE>{ope_com}"
        "<gEmis><dRucEm>80069563</dRucEm><dDVEmi>1</dDVEmi><iTipCont>2</iTipCont><dNomEmi>ACME S.A.</dNomEmi>"
        "<gActEco><cActEco>46510</cActEco><dDesActEco>Uno</dDesActEco></gActEco>"
        "<gActEco><cActEco>01111</cActEco><dDesActEco>Dos</dDesActEco></gActEco></gEmis>"
        f"{receptor}</gDatGralOpe>"
        "<gDtipDE><gCamFE><iIndPres>1</iIndPres></gCamFE><gCamCond><iCondOpe>2</iCondOpe>"
        "<gPagCred><iCondCred>2</iCondCred><dCuotas>2</dCuotas><gCuotas><cMoneCuo>USD</cMoneCuo>"
        "<dMonCuota>55000</dMonCuota><dVencCuo>2021-12-29</dVencCuo></gCuotas><gCuotas><cMoneCuo>USD</cMoneCuo>"
        f"<dMonCuota>55000</dMonCuota><dVencCuo>2022-01-29</dVencCuo></gCuotas></gPagCred></gCamCond>{items}"
        f"{dtip_extra}</gDtipDE>{totals}"
        "<gCamGen><dOrdCompra>OC-7</dOrdCompra></gCamGen></DE>"
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI="#'
        f'{CDC}"><DigestValue>abc=</DigestValue></Reference></SignedInfo><SignatureValue>sig</SignatureValue>'
        f"<KeyInfo><X509Data><X509Certificate>AAEC\nAwQ=</X509Certificate></X509Data></KeyInfo></Signature>{fufd}</rDE>"
    )
    if prefix:  # same document with every SIFEN element under a prefix
        import re

        body = re.sub(
            r"<(/?)(?!Signature|SignedInfo|Reference|Digest|KeyInfo|X509|/Sig)(\w+)", rf"<\1{prefix}:\2", body
        )
        body = body.replace(f'xmlns="{NS}"', f'xmlns:{prefix}="{NS}"', 1)
    return body


def test_compact_document_with_partial_iva_foreign_currency_and_cuotas() -> None:
    view = read_rde(compact().encode())
    assert view.currency == "USD" and view.exchange_rate == Decimal("7300.5")
    assert view.gTimb.dSerieNum == "AB"
    assert [a.cActEco for a in view.gEmis.gActEco] == ["46510", "01111"]  # codes keep leading zeros
    rec = view.gDatRec
    assert not rec.is_contribuyente and rec.ruc is None
    assert (rec.iTipIDRec, rec.dNumIDRec) == (1, "4567890")
    assert rec.emails == ("juan@example.com", "otra@example.com", "tercera@example.com")
    cred = view.gDtipDE.gCamCond.gPagCred  # type: ignore[union-attr]
    assert cred is not None and cred.dCuotas == 2
    assert [c.dVencCuo for c in cred.gCuotas] == [date(2021, 12, 29), date(2022, 1, 29)]
    iva = view.items[0].gCamIVA
    # NT13 gravado parcial: proportion 50 %, dBasExe present
    assert iva is not None and (iva.iAfecIVA, iva.dPropIVA, iva.dBasExe) == (4, Decimal(50), Decimal(52381))
    assert view.gTotSub is not None and view.gTotSub.dTBasExe == 0
    assert view.gCamGen is not None and view.gCamGen.dOrdCompra == "OC-7"
    assert view.gCamFuFD is not None and view.gCamFuFD.dInfAdic == "Gracias por su compra"
    assert view.signature is not None
    assert view.signature.x509_certificate == "AAECAwQ="  # line breaks inside base64 removed
    assert view.signature.certificate_der() == b"\x00\x01\x02\x03\x04"


@pytest.mark.parametrize("prefix", ["s", "ns0"])
def test_namespace_prefixes_are_tolerated(prefix: str) -> None:
    text = compact(prefix=prefix)
    assert f"<{prefix}:gTimb>" in text
    assert read_rde(text) == read_rde(compact())


def test_document_without_namespace_is_read() -> None:
    text = compact().replace(f' xmlns="{NS}"', "")
    assert read_rde(text).gEmis.dNomEmi == "ACME S.A."


def test_soap_envelope_and_bare_de_are_accepted() -> None:
    inner = compact()
    soap = (
        '<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">'
        f'<env:Body><rEnviDe xmlns="{NS}"><dId>1</dId><xDE>{inner}</xDE></rEnviDe></env:Body></env:Envelope>'
    )
    assert read_rde(soap.encode()) == read_rde(inner)
    bare = inner[inner.index("<DE ") : inner.index("</DE>") + 5].replace("<DE ", f'<DE xmlns="{NS}" ', 1)
    view = read_rde(bare)
    assert view.cdc == CDC and view.signature is None and view.gCamFuFD is None and view.dVerFor is None


def test_rde_escaped_inside_a_consulta_answer() -> None:
    from xml.sax.saxutils import escape

    answer = (
        f'<rEnviConsDeResponse xmlns="{NS}"><dCodRes>0422</dCodRes>'
        f"<xContenDE>{escape('<rContDe>' + compact() + '</rContDe>')}</xContenDE></rEnviConsDeResponse>"
    )
    assert read_rde(answer).cdc == CDC


def test_str_input_with_foreign_encoding_declaration() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>\n' + compact()
    assert read_rde(text).gDatRec.dNomRec == "Juan Pérez"
    assert read_rde(text.encode("iso-8859-1")).gDatRec.dNomRec == "Juan Pérez"
    assert read_rde(b"\xef\xbb\xbf" + compact().encode()).cdc == CDC  # UTF-8 BOM


def test_missing_optional_groups_are_none() -> None:
    view = read_rde(compact(totals="", fufd="", ope_com=""))
    assert view.gTotSub is None and view.gCamFuFD is None and view.gOpeCom is None
    assert view.currency == "PYG" and view.exchange_rate is None
    assert view.gDtipDE.gCamNCDE is None and view.gDtipDE.gTransp is None and view.gCamDEAsoc == ()


def test_empty_and_whitespace_elements_count_as_absent() -> None:
    text = compact().replace("<dSerieNum>AB</dSerieNum>", "<dSerieNum>  \n </dSerieNum>")
    assert read_rde(text).gTimb.dSerieNum is None


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = f'<!DOCTYPE rDE [<!ENTITY x SYSTEM "file://{secret}">]>' + compact().replace(
        "<dNomRec>Juan Pérez</dNomRec>", "<dNomRec>Juan &x;</dNomRec>"
    )
    view = read_rde(text)
    assert "TOP-SECRET" not in repr(view)


# --- garbage → XmlReadError with stable code, path, Spanish message -----------------------------------


@pytest.mark.parametrize(
    ("data", "code", "path"),
    [
        (b"", "XML_VACIO", "/"),
        ("   \n ", "XML_VACIO", "/"),
        (b"esto no es xml", "XML_MAL_FORMADO", "/"),
        (b"<rDE><DE Id='1'>", "XML_MAL_FORMADO", "/"),
        (b"\x00\x01\x02", "XML_MAL_FORMADO", "/"),
        (b"<factura><total>1</total></factura>", "XML_RDE_NO_ENCONTRADO", "/factura"),
        (f'<rDE xmlns="{NS}"><dVerFor>150</dVerFor></rDE>'.encode(), "XML_CAMPO_REQUERIDO", "/rDE/DE"),
    ],
)
def test_garbage_input(data: bytes | str, code: str, path: str) -> None:
    with pytest.raises(XmlReadError) as info:
        read_rde(data)
    assert (info.value.code, info.value.path) == (code, path)
    assert info.value.message  # Spanish message for the integrator
    assert info.value.as_issue().code == code


def test_non_text_input_is_rejected() -> None:
    with pytest.raises(XmlReadError) as info:
        read_rde(12345)  # type: ignore[arg-type]
    assert info.value.code == "XML_VACIO"


@pytest.mark.parametrize(
    ("old", "new", "code", "path"),
    [
        (f'Id="{CDC}"', 'Id=""', "XML_CAMPO_REQUERIDO", "/rDE/DE/@Id"),
        ("<dNumTim>12560693</dNumTim>", "", "XML_CAMPO_REQUERIDO", "/rDE/DE/gTimb/dNumTim"),
        ("<dNomEmi>ACME S.A.</dNomEmi>", "", "XML_CAMPO_REQUERIDO", "/rDE/DE/gDatGralOpe/gEmis/dNomEmi"),
        (
            "<dCantProSer>2</dCantProSer>",
            "<dCantProSer>dos</dCantProSer>",
            "XML_NUMERO_INVALIDO",
            "/rDE/DE/gDtipDE/gCamItem/dCantProSer",
        ),
        (
            "<dCantProSer>2</dCantProSer>",
            "<dCantProSer>NaN</dCantProSer>",
            "XML_NUMERO_INVALIDO",
            "/rDE/DE/gDtipDE/gCamItem/dCantProSer",
        ),
        ("<iTiDE>1</iTiDE>", "<iTiDE>1.5</iTiDE>", "XML_ENTERO_INVALIDO", "/rDE/DE/gTimb/iTiDE"),
        (
            "<dFeEmiDE>2021-11-29T17:59:57</dFeEmiDE>",
            "<dFeEmiDE>29/11/2021</dFeEmiDE>",
            "XML_FECHA_INVALIDA",
            "/rDE/DE/gDatGralOpe/dFeEmiDE",
        ),
        (
            "<dVencCuo>2022-01-29</dVencCuo>",
            "<dVencCuo>2022-02-30</dVencCuo>",
            "XML_FECHA_INVALIDA",
            "/rDE/DE/gDtipDE/gCamCond/gPagCred/gCuotas[2]/dVencCuo",
        ),
    ],
)
def test_bad_fields_name_their_path(old: str, new: str, code: str, path: str) -> None:
    text = compact()
    assert old in text
    with pytest.raises(XmlReadError) as info:
        read_rde(text.replace(old, new, 1))
    assert (info.value.code, info.value.path) == (code, path)


def test_repeated_items_get_indexed_paths() -> None:
    item = "<gCamItem><dDesProSer>{d}</dDesProSer><dCantProSer>{q}</dCantProSer></gCamItem>"
    items = item.format(d="Uno", q="1") + item.format(d="Dos", q="x")
    with pytest.raises(XmlReadError) as info:
        read_rde(compact(items=items))
    assert info.value.path == "/rDE/DE/gDtipDE/gCamItem[2]/dCantProSer"
    ok = read_rde(compact(items=item.format(d="Uno", q="1") + item.format(d="Dos", q="3.5")))
    assert [(i.dDesProSer, i.dCantProSer, i.gCamIVA) for i in ok.items] == [
        ("Uno", Decimal(1), None),
        ("Dos", Decimal("3.5"), None),
    ]


def test_recibo_digital_root_is_read() -> None:
    """The recibo digital (tipo 55) uses sifenflow's schema docs/recibo_v1.xsd: rRec/Rec, gCamRec, gDocRec."""
    rec_ns = "https://sifenflow.dev/xsd/recibo/v1"
    cdc = "55800695631001001000000122024061511321608702"
    text = (
        f'<rec:rRec xmlns:rec="{rec_ns}" xmlns="{NS}"><rec:dVerFor>1</rec:dVerFor><rec:Rec Id="{cdc}">'
        "<rec:dDVId>2</rec:dDVId><rec:gTimb><rec:iTiDE>55</rec:iTiDE><rec:dNumTim>12345678</rec:dNumTim>"
        "<rec:dEst>001</rec:dEst><rec:dPunExp>001</rec:dPunExp><rec:dNumDoc>0000001</rec:dNumDoc></rec:gTimb>"
        "<rec:gDatGralOpe><rec:dFeEmiDE>2024-06-15T10:30:00</rec:dFeEmiDE><rec:gEmis><dRucEm>80069563</dRucEm>"
        "<dNomEmi>ACME</dNomEmi></rec:gEmis><rec:gDatRec><iNatRec>1</iNatRec><dNomRec>Cliente</dNomRec>"
        "</rec:gDatRec></rec:gDatGralOpe><rec:gCamRec><rec:dConc>Pago</rec:dConc><rec:dTotRec>150000</rec:dTotRec>"
        "</rec:gCamRec><rec:gCamCond><iCondOpe>1</iCondOpe></rec:gCamCond><rec:gDocRec><iTipDocAso>1</iTipDocAso>"
        f"<dCdCDERef>{CDC}</dCdCDERef><rec:dMonApl>100000</rec:dMonApl></rec:gDocRec></rec:Rec></rec:rRec>"
    )
    view = read_rde(text)
    assert (view.cdc, view.iTiDE, view.dVerFor) == (cdc, 55, 1)
    assert view.gCamRec is not None and view.gCamRec.dTotRec == Decimal(150000)
    assert view.gDtipDE.gCamCond is not None and view.gDtipDE.gCamCond.iCondOpe == 1
    (doc,) = view.gDocRec
    assert (doc.dCdCDERef, doc.dMonApl) == (CDC, Decimal(100000))
    assert view.items == () and view.dCarQR is None
