"""Synthetic rDE documents for ``make kude-samples``, the benchmark and the renderer's tests.

They follow the v150 structure (compact, with a CDC whose DV is right, totals that reconcile and a
QR built per MT v150 §13.8 with the generic test CSC) but are NOT signed: the ``Signature`` carries
a random DigestValue only. Real documents come from the document engine and the signer.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from xml.sax.saxutils import escape

from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.namespaces import QR_BASE_URL_PROD, QR_BASE_URL_TEST, SIFEN_NS

SampleType = Literal["fe", "afe", "nc", "nd", "nr", "recibo"]
TEST_CSC_ID = "0001"
TEST_CSC = "ABCD0000000000000000000000000000"  # generic test CSC, MT v150 §13.8.3
ITIDE: dict[str, int] = {"fe": 1, "afe": 4, "nc": 5, "nd": 6, "nr": 7, "recibo": 55}
DES_TIDE = {
    1: "Factura electrónica",
    4: "Autofactura electrónica",
    5: "Nota de crédito electrónica",
    6: "Nota de débito electrónica",
    7: "Nota de remisión electrónica",
    55: "Recibo electrónico",
}
PRODUCTS = (
    ("7840001000012", "Arroz tipo 1 Doña Chela 1 kg", "2500", 10),
    ("7840001000029", "Yerba mate Pajarito compuesta 500 g", "18900", 10),
    ("7840001000036", "Aceite de girasol Primicia 900 ml", "16500", 10),
    ("7840001000043", "Leche entera larga vida 1 l", "7900", 5),
    ("7840001000050", "Azúcar blanca Azpa 1 kg", "6200", 5),
    (
        "SRV-001",
        "Servicio de instalación y configuración de equipo POS en el local del cliente",
        "150000",
        10,
    ),
    ("7840001000067", "Harina de trigo 000 Boni 1 kg", "5900", 5),
    ("LIB-004", "Libro de texto escolar (exento)", "85000", 0),
    ("7840001000074", "Fideo tallarín Nona 500 g", "5400", 5),
    ("7840001000081", "Café molido Tupí 250 g", "21000", 10),
)


@dataclass(frozen=True, slots=True)
class Sample:
    cdc: str
    xml: bytes
    qr: str


def _q(value: Decimal, places: int = 0) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _cdc(itide: int, number: int, emission: str, cod_seg: str) -> str:
    body = f"{itide:02d}800695631001001{number:07d}2{emission[:10].replace('-', '')}1{cod_seg}"
    return body + str(dv11(body))


def _qr(
    cdc: str, emission: str, receptor: str, total: str, iva: str, items: int, digest: str, test: bool
) -> str:
    data = (
        f"nVersion=150&Id={cdc}&dFeEmiDE={emission.encode().hex()}&{receptor}&dTotGralOpe={total}"
        f"&dTotIVA={iva}&cItems={items}&DigestValue={digest.encode().hex()}&IdCSC={TEST_CSC_ID}"
    )
    digest_qr = hashlib.sha256((data + TEST_CSC).encode()).hexdigest()
    return (QR_BASE_URL_TEST if test else QR_BASE_URL_PROD) + data + "&cHashQR=" + digest_qr


def sample_rde(
    kind: SampleType = "fe",
    *,
    items: int = 10,
    currency: str = "PYG",
    number: int = 1,
    credit: bool = False,
    test: bool = True,
) -> Sample:
    itide = ITIDE[kind]
    emission = "2026-11-20T10:15:30"
    cod_seg = f"{(number * 7919) % 999999999 or 1:09d}"
    cdc = _cdc(itide, number, emission, cod_seg)
    foreign = currency != "PYG"
    rate = Decimal("7350.25")
    places = 2 if foreign else 0
    priced = kind != "nr"

    item_xml: list[str] = []
    sub = {0: Decimal(0), 5: Decimal(0), 10: Decimal(0)}
    liq = {5: Decimal(0), 10: Decimal(0)}
    base = {5: Decimal(0), 10: Decimal(0)}
    for i in range(items):
        code, desc, price_gs, tasa = PRODUCTS[i % len(PRODUCTS)]
        qty = Decimal(1 + (i % 4))
        price = _q(Decimal(price_gs) / rate, 2) if foreign else Decimal(price_gs)
        total = _q(price * qty, places)
        values = ""
        if priced:
            iva = ""
            if kind != "afe":
                if tasa:
                    bas = _q(total / (Decimal(1) + Decimal(tasa) / 100), places + 0)
                    li = _q(bas * tasa / 100, places)
                    sub[tasa] += total
                    liq[tasa] += li
                    base[tasa] += bas
                    iva = (
                        "<gCamIVA><iAfecIVA>1</iAfecIVA>"
                        "<dDesAfecIVA>Gravado IVA</dDesAfecIVA><dPropIVA>100</dPropIVA>"
                        f"<dTasaIVA>{tasa}</dTasaIVA>"
                        f"<dBasGravIVA>{bas}</dBasGravIVA><dLiqIVAItem>{li}</dLiqIVAItem>"
                        "<dBasExe>0</dBasExe></gCamIVA>"
                    )
                else:
                    sub[0] += total
                    iva = (
                        "<gCamIVA><iAfecIVA>3</iAfecIVA>"
                        "<dDesAfecIVA>Exento</dDesAfecIVA><dPropIVA>0</dPropIVA>"
                        "<dTasaIVA>0</dTasaIVA><dBasGravIVA>0</dBasGravIVA><dLiqIVAItem>0</dLiqIVAItem>"
                        "<dBasExe>0</dBasExe></gCamIVA>"
                    )
            else:
                sub[10] += total
            values = (
                f"<gValorItem><dPUniProSer>{price}</dPUniProSer><dTotBruOpeItem>{total}</dTotBruOpeItem>"
                "<gValorRestaItem><dDescItem>0</dDescItem>"
                "<dPorcDesIt>0</dPorcDesIt><dDescGloItem>0</dDescGloItem>"
                f"<dTotOpeItem>{total}</dTotOpeItem></gValorRestaItem></gValorItem>{iva}"
            )
        item_xml.append(
            f"<gCamItem><dCodInt>{code}</dCodInt><dDesProSer>{escape(desc)}</dDesProSer><cUniMed>77</cUniMed>"
            f"<dDesUniMed>UNI</dDesUniMed><dCantProSer>{qty}</dCantProSer>{values}</gCamItem>"
        )
    tot_ope = sum(sub.values(), Decimal(0))
    tot_iva = liq[5] + liq[10]
    total_text = str(tot_ope) if priced else "0"
    iva_text = str(tot_iva) if priced and kind != "afe" else "0"

    ope_com = ""
    if kind != "nr":
        tipo_tra = (
            "" if kind in ("nc", "nd") else "<iTipTra>1</iTipTra><dDesTipTra>Venta de mercadería</dDesTipTra>"
        )
        cambio = f"<dCondTiCam>1</dCondTiCam><dTiCam>{rate}</dTiCam>" if foreign else ""
        moneda = "US Dollar" if currency == "USD" else "Guarani"
        ope_com = (
            f"<gOpeCom>{tipo_tra}<iTImp>1</iTImp><dDesTImp>IVA</dDesTImp><cMoneOpe>{currency}</cMoneOpe>"
            f"<dDesMoneOpe>{moneda}</dDesMoneOpe>{cambio}</gOpeCom>"
        )
    nom_emi = (
        "DE generado en ambiente de prueba - sin valor comercial ni fiscal" if test else "ACME PARAGUAY S.A."
    )
    if kind == "afe":
        receptor = (
            "<gDatRec><iNatRec>1</iNatRec><iTiOpe>1</iTiOpe>"
            "<cPaisRec>PRY</cPaisRec><dDesPaisRe>Paraguay</dDesPaisRe>"
            "<iTiContRec>2</iTiContRec><dRucRec>80069563</dRucRec><dDVRec>1</dDVRec>"
            f"<dNomRec>{nom_emi}</dNomRec></gDatRec>"
        )
        qr_rec = "dRucRec=80069563"
    else:
        receptor = (
            "<gDatRec><iNatRec>1</iNatRec><iTiOpe>1</iTiOpe>"
            "<cPaisRec>PRY</cPaisRec><dDesPaisRe>Paraguay</dDesPaisRe>"
            "<iTiContRec>2</iTiContRec><dRucRec>80002201</dRucRec><dDVRec>7</dDVRec>"
            "<dNomRec>Comercial Guaraní S.R.L.</dNomRec><dDirRec>Avda. Mariscal López</dDirRec>"
            "<dNumCasRec>1234</dNumCasRec><cDepRec>1</cDepRec><dDesDepRec>CAPITAL</dDesDepRec>"
            "<cCiuRec>1</cCiuRec><dDesCiuRec>ASUNCION (DISTRITO)</dDesCiuRec><dTelRec>021 555 123</dTelRec>"
            "<dEmailRec>compras@comercialguarani.com.py</dEmailRec></gDatRec>"
        )
        qr_rec = "dRucRec=80002201"

    dtip = ""
    if kind == "fe":
        dtip += "<gCamFE><iIndPres>1</iIndPres><dDesIndPres>Operación presencial</dDesIndPres></gCamFE>"
    elif kind == "afe":
        dtip += (
            "<gCamAE><iNatVen>1</iNatVen><dDesNatVen>No contribuyente</dDesNatVen><iTipIDVen>1</iTipIDVen>"
            "<dDTipIDVen>Cédula paraguaya</dDTipIDVen>"
            "<dNumIDVen>1234567</dNumIDVen><dNomVen>María Benítez</dNomVen>"
            "<dDirVen>Calle Cerro Corá</dDirVen><dNumCasVen>456</dNumCasVen><cDepVen>1</cDepVen>"
            "<dDesDepVen>CAPITAL</dDesDepVen><cCiuVen>1</cCiuVen><dDesCiuVen>ASUNCION (DISTRITO)</dDesCiuVen>"
            "<dDirProv>Mercado 4</dDirProv><cDepProv>1</cDepProv>"
            "<dDesDepProv>CAPITAL</dDesDepProv><cCiuProv>1</cCiuProv>"
            "<dDesCiuProv>ASUNCION (DISTRITO)</dDesCiuProv></gCamAE>"
        )
    elif kind in ("nc", "nd"):
        dtip += "<gCamNCDE><iMotEmi>2</iMotEmi><dDesMotEmi>Devolución</dDesMotEmi></gCamNCDE>"
    elif kind == "nr":
        dtip += (
            "<gCamNRE><iMotEmiNR>1</iMotEmiNR>"
            "<dDesMotEmiNR>Traslado por venta</dDesMotEmiNR><iRespEmiNR>1</iRespEmiNR>"
            "<dDesRespEmiNR>Emisor de la factura</dDesRespEmiNR>"
            "<dKmR>120</dKmR><dFecEm>2026-11-21</dFecEm></gCamNRE>"
        )
    if kind in ("fe", "afe", "recibo"):
        if credit:
            half = _q(Decimal(total_text) / 2, places)
            dtip += (
                "<gCamCond><iCondOpe>2</iCondOpe>"
                "<dDCondOpe>Crédito</dDCondOpe><gPagCred><iCondCred>2</iCondCred>"
                f"<dDCondCred>Cuota</dDCondCred><dCuotas>2</dCuotas><gCuotas><cMoneCuo>{currency}</cMoneCuo>"
                "<dDMoneCuo>x</dDMoneCuo>"
                f"<dMonCuota>{half}</dMonCuota><dVencCuo>2026-12-20</dVencCuo></gCuotas>"
                f"<gCuotas><cMoneCuo>{currency}</cMoneCuo><dDMoneCuo>x</dDMoneCuo>"
                f"<dMonCuota>{Decimal(total_text) - half}</dMonCuota>"
                "<dVencCuo>2027-01-20</dVencCuo></gCuotas>"
                "</gPagCred></gCamCond>"
            )
        else:
            dtip += (
                "<gCamCond><iCondOpe>1</iCondOpe>"
                "<dDCondOpe>Contado</dDCondOpe><gPaConEIni><iTiPago>1</iTiPago>"
                "<dDesTiPag>Efectivo</dDesTiPag>"
                f"<dMonTiPag>{total_text}</dMonTiPag><cMoneTiPag>{currency}</cMoneTiPag>"
                "<dDMoneTiPag>x</dDMoneTiPag></gPaConEIni></gCamCond>"
            )
    dtip += "".join(item_xml)
    if kind == "nr":
        dtip += (
            "<gTransp><iTipTrans>1</iTipTrans><dDesTipTrans>Propio</dDesTipTrans><iModTrans>1</iModTrans>"
            "<dDesModTrans>Terrestre</dDesModTrans><iRespFlete>1</iRespFlete><dIniTras>2026-11-20</dIniTras>"
            "<dFinTras>2026-11-21</dFinTras><gCamSal>"
            "<dDirLocSal>Ruta 2 km 20</dDirLocSal><dNumCasSal>0</dNumCasSal>"
            "<cDepSal>11</cDepSal><dDesDepSal>CENTRAL</dDesDepSal>"
            "<cCiuSal>169</cCiuSal><dDesCiuSal>CAPIATA</dDesCiuSal>"
            "</gCamSal><gCamEnt><dDirLocEnt>Avda. Mariscal López</dDirLocEnt><dNumCasEnt>1234</dNumCasEnt>"
            "<cDepEnt>1</cDepEnt><dDesDepEnt>CAPITAL</dDesDepEnt><cCiuEnt>1</cCiuEnt>"
            "<dDesCiuEnt>ASUNCION (DISTRITO)"
            "</dDesCiuEnt></gCamEnt><gVehTras><dTiVehTras>Camión</dTiVehTras><dMarVeh>Mercedes-Benz</dMarVeh>"
            "<dTipIdenVeh>2</dTipIdenVeh><dNroMatVeh>ABC"
            " 123</dNroMatVeh></gVehTras><gCamTrans><iNatTrans>1</iNatTrans>"
            "<dNomTrans>Transportes del Sur S.A.</dNomTrans>"
            "<dRucTrans>80012345</dRucTrans><dDVTrans>6</dDVTrans>"
            "<dNumIDChof>2345678</dNumIDChof><dNomChof>Pedro Giménez</dNomChof><dDomFisc>Capiatá</dDomFisc>"
            "<dDirChof>Capiatá</dDirChof></gCamTrans></gTransp>"
        )
    if kind == "recibo":
        dtip += (
            "<gCamRDE><iForPag>2</iForPag>"
            "<dDesForPag>Transferencia bancaria</dDesForPag><dNumTrans>987654</dNumTrans>"
            f"<dConc>Cobro de la factura 001-001-0000001</dConc><dImpPag>{total_text}</dImpPag></gCamRDE>"
        )

    totals = ""
    if priced:
        gs = f"<dTotalGs>{_q(tot_ope * rate, 0)}</dTotalGs>" if foreign else ""
        if kind == "afe":
            totals = (
                f"<gTotSub><dTotOpe>{tot_ope}</dTotOpe>"
                "<dTotDesc>0</dTotDesc><dTotDescGlotem>0</dTotDescGlotem>"
                "<dTotAntItem>0</dTotAntItem><dTotAnt>0</dTotAnt><dPorcDescTotal>0</dPorcDescTotal>"
                "<dDescTotal>0</dDescTotal><dAnticipo>0</dAnticipo>"
                f"<dRedon>0</dRedon><dTotGralOpe>{tot_ope}</dTotGralOpe>"
                f"{gs}</gTotSub>"
            )
        else:
            totals = (
                f"<gTotSub><dSubExe>{sub[0]}</dSubExe><dSubExo>0</dSubExo><dSub5>{sub[5]}</dSub5>"
                f"<dSub10>{sub[10]}</dSub10><dTotOpe>{tot_ope}</dTotOpe><dTotDesc>0</dTotDesc>"
                "<dTotDescGlotem>0</dTotDescGlotem><dTotAntItem>0</dTotAntItem><dTotAnt>0</dTotAnt>"
                "<dPorcDescTotal>0</dPorcDescTotal><dDescTotal>0</dDescTotal><dAnticipo>0</dAnticipo>"
                f"<dRedon>0</dRedon><dTotGralOpe>{tot_ope}</dTotGralOpe><dIVA5>{liq[5]}</dIVA5>"
                f"<dIVA10>{liq[10]}</dIVA10><dLiqTotIVA5>0</dLiqTotIVA5><dLiqTotIVA10>0</dLiqTotIVA10>"
                f"<dTotIVA>{tot_iva}</dTotIVA>"
                f"<dBaseGrav5>{base[5]}</dBaseGrav5><dBaseGrav10>{base[10]}</dBaseGrav10>"
                f"<dTBasGraIVA>{base[5] + base[10]}</dTBasGraIVA>{gs}</gTotSub>"
            )
    asoc = ""
    if kind in ("nc", "nd"):
        ref = _cdc(1, 1, emission, "123456789")
        asoc = (
            "<gCamDEAsoc><iTipDocAso>1</iTipDocAso><dDesTipDocAso>Electrónico</dDesTipDocAso>"
            f"<dCdCDERef>{ref}</dCdCDERef></gCamDEAsoc>"
        )
    elif kind == "afe":
        asoc = (
            "<gCamDEAsoc><iTipDocAso>3</iTipDocAso><dDesTipDocAso>Constancia electrónica</dDesTipDocAso>"
            "<iTipCons>1</iTipCons><dDesTipCons>Constancia de no ser contribuyente</dDesTipCons>"
            "<dNumCons>12345678901</dNumCons><dNumControl>abcd1234</dNumControl></gCamDEAsoc>"
        )

    digest = base64.b64encode(hashlib.sha256(cdc.encode()).digest()).decode()
    qr = _qr(cdc, emission, qr_rec, total_text, iva_text, items, digest, test)
    xml = (
        f'<rDE xmlns="{SIFEN_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dVerFor>150</dVerFor><DE Id="{cdc}"><dDVId>{cdc[-1]}</dDVId><dFecFirma>{emission}</dFecFirma>'
        f"<dSisFact>1</dSisFact><gOpeDE><iTipEmi>1</iTipEmi><dDesTipEmi>Normal</dDesTipEmi>"
        f"<dCodSeg>{cod_seg}</dCodSeg></gOpeDE><gTimb>"
        f"<iTiDE>{itide}</iTiDE><dDesTiDE>{DES_TIDE[itide]}</dDesTiDE>"
        f"<dNumTim>12560693</dNumTim><dEst>001</dEst><dPunExp>001</dPunExp><dNumDoc>{number:07d}</dNumDoc>"
        f"<dFeIniT>2026-01-01</dFeIniT></gTimb><gDatGralOpe><dFeEmiDE>{emission}</dFeEmiDE>{ope_com}"
        "<gEmis><dRucEm>80069563</dRucEm><dDVEmi>1</dDVEmi>"
        f"<iTipCont>2</iTipCont><dNomEmi>{nom_emi}</dNomEmi>"
        "<dNomFanEmi>ACME</dNomFanEmi><dDirEmi>Avda."
        " España</dDirEmi><dNumCas>1560</dNumCas><cDepEmi>1</cDepEmi>"
        "<dDesDepEmi>CAPITAL</dDesDepEmi><cCiuEmi>1</cCiuEmi><dDesCiuEmi>ASUNCION (DISTRITO)</dDesCiuEmi>"
        "<dTelEmi>021 600 700</dTelEmi>"
        "<dEmailE>facturacion@acme.com.py</dEmailE><gActEco><cActEco>47111</cActEco>"
        "<dDesActEco>Comercio al por menor en supermercados</dDesActEco></gActEco></gEmis>"
        f"{receptor}</gDatGralOpe><gDtipDE>{dtip}</gDtipDE>{totals}{asoc}</DE>"
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI="#'
        f'{cdc}"><DigestValue>{digest}</DigestValue></Reference></SignedInfo></Signature>'
        f"<gCamFuFD><dCarQR>{escape(qr)}</dCarQR></gCamFuFD></rDE>"
    )
    return Sample(cdc=cdc, xml=xml.encode("utf-8"), qr=qr)
