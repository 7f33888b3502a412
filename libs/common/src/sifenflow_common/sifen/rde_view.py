"""Typed, read-only view of one rDE (MT v150, DE_v150.xsd), as produced by ``xml_read.read_rde``.

One frozen dataclass per XSD group, named after the group in Pascal case; fields keep the XSD names
and order. Numbers are ``Decimal`` exactly as written, codes ``int``, dates ``date``/``datetime``;
absent optional groups are ``None`` (repeated groups: an empty tuple). A few properties give what the
KuDE, the simulator and consultas need (printed number, CDC blocks, RUC-DV, receptor emails...).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class GOpeDE:
    iTipEmi: int | None = None
    dDesTipEmi: str | None = None
    dCodSeg: str | None = None
    dInfoEmi: str | None = None
    dInfoFisc: str | None = None


@dataclass(frozen=True, slots=True)
class GTimb:
    iTiDE: int
    dNumTim: str
    dEst: str
    dPunExp: str
    dNumDoc: str
    dDesTiDE: str | None = None
    dSerieNum: str | None = None
    dFeIniT: date | None = None
    dFeFinT: date | None = None  # removed from v150; still present in the 2019 ND example

    @property
    def number(self) -> str:
        """Printed number ``EEE-PPP-NNNNNNN`` (sifen-protocol §9)."""
        return f"{self.dEst.zfill(3)}-{self.dPunExp.zfill(3)}-{self.dNumDoc.zfill(7)}"


@dataclass(frozen=True, slots=True)
class GOblAfe:
    cOblAfe: int | None = None
    dDesOblAfe: str | None = None


@dataclass(frozen=True, slots=True)
class GOpeCom:
    iTipTra: int | None = None
    dDesTipTra: str | None = None
    iTImp: int | None = None
    dDesTImp: str | None = None
    cMoneOpe: str | None = None
    dDesMoneOpe: str | None = None
    dCondTiCam: int | None = None
    dTiCam: Decimal | None = None
    iCondAnt: int | None = None
    dDesCondAnt: str | None = None
    gOblAfe: tuple[GOblAfe, ...] = ()


@dataclass(frozen=True, slots=True)
class GActEco:
    cActEco: str | None = None
    dDesActEco: str | None = None


@dataclass(frozen=True, slots=True)
class GRespDE:
    iTipIDRespDE: int | None = None
    dDTipIDRespDE: str | None = None
    dNumIDRespDE: str | None = None
    dNomRespDE: str | None = None
    dCarRespDE: str | None = None


@dataclass(frozen=True, slots=True)
class GEmis:
    dRucEm: str
    dNomEmi: str
    dDVEmi: int | None = None
    iTipCont: int | None = None
    cTipReg: int | None = None
    dNomFanEmi: str | None = None
    dDirEmi: str | None = None
    dNumCas: str | None = None
    dCompDir1: str | None = None
    dCompDir2: str | None = None
    cDepEmi: int | None = None
    dDesDepEmi: str | None = None
    cDisEmi: int | None = None
    dDesDisEmi: str | None = None
    cCiuEmi: int | None = None
    dDesCiuEmi: str | None = None
    dTelEmi: str | None = None
    dEmailE: str | None = None
    dDenSuc: str | None = None
    gActEco: tuple[GActEco, ...] = ()
    gRespDE: GRespDE | None = None

    @property
    def ruc(self) -> str:
        """``RUC-DV`` as printed on the KuDE."""
        return self.dRucEm if self.dDVEmi is None else f"{self.dRucEm}-{self.dDVEmi}"


@dataclass(frozen=True, slots=True)
class GDatRec:
    iNatRec: int
    dNomRec: str
    iTiOpe: int | None = None
    cPaisRec: str | None = None
    dDesPaisRe: str | None = None
    iTiContRec: int | None = None
    dRucRec: str | None = None
    dDVRec: int | None = None
    iTipIDRec: int | None = None
    dDTipIDRec: str | None = None
    dNumIDRec: str | None = None
    dNomFanRec: str | None = None
    dDirRec: str | None = None
    dNumCasRec: str | None = None
    cDepRec: int | None = None
    dDesDepRec: str | None = None
    cDisRec: int | None = None
    dDesDisRec: str | None = None
    cCiuRec: int | None = None
    dDesCiuRec: str | None = None
    dTelRec: str | None = None
    dCelRec: str | None = None
    dEmailRec: str | None = None
    dCodCliente: str | None = None

    @property
    def is_contribuyente(self) -> bool:
        return self.iNatRec == 1

    @property
    def ruc(self) -> str | None:
        if not self.dRucRec:
            return None
        return self.dRucRec if self.dDVRec is None else f"{self.dRucRec}-{self.dDVRec}"

    @property
    def emails(self) -> tuple[str, ...]:
        """Receptor addresses: ``dEmailRec`` may carry a comma (or semicolon) separated list."""
        if not self.dEmailRec:
            return ()
        return tuple(a.strip() for a in re.split(r"[,;]", self.dEmailRec) if a.strip())


@dataclass(frozen=True, slots=True)
class GDatGralOpe:
    dFeEmiDE: datetime
    gEmis: GEmis
    gDatRec: GDatRec
    gOpeCom: GOpeCom | None = None


@dataclass(frozen=True, slots=True)
class GCompPub:
    dModCont: str | None = None
    dEntCont: str | None = None
    dAnoCont: str | None = None
    dSecCont: str | None = None
    dFeCodCont: date | None = None


@dataclass(frozen=True, slots=True)
class GCamFE:
    iIndPres: int | None = None
    dDesIndPres: str | None = None
    dFecEmNR: date | None = None
    gCompPub: GCompPub | None = None


@dataclass(frozen=True, slots=True)
class GCamAE:
    iNatVen: int | None = None
    dDesNatVen: str | None = None
    iTipIDVen: int | None = None
    dDTipIDVen: str | None = None
    dNumIDVen: str | None = None
    dNomVen: str | None = None
    dDirVen: str | None = None
    dNumCasVen: str | None = None
    cDepVen: int | None = None
    dDesDepVen: str | None = None
    cDisVen: int | None = None
    dDesDisVen: str | None = None
    cCiuVen: int | None = None
    dDesCiuVen: str | None = None
    dDirProv: str | None = None
    cDepProv: int | None = None
    dDesDepProv: str | None = None
    cDisProv: int | None = None
    dDesDisProv: str | None = None
    cCiuProv: int | None = None
    dDesCiuProv: str | None = None


@dataclass(frozen=True, slots=True)
class GCamNCDE:
    iMotEmi: int | None = None
    dDesMotEmi: str | None = None


@dataclass(frozen=True, slots=True)
class GCamNRE:
    iMotEmiNR: int | None = None
    dDesMotEmiNR: str | None = None
    iRespEmiNR: int | None = None
    dDesRespEmiNR: str | None = None
    dKmR: Decimal | None = None
    dFecEm: date | None = None
    cPreFle: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GPagTarCD:
    iDenTarj: int | None = None
    dDesDenTarj: str | None = None
    dRSProTar: str | None = None
    dRUCProTar: str | None = None
    dDVProTar: int | None = None
    iForProPa: int | None = None
    dCodAuOpe: str | None = None
    dNomTit: str | None = None
    dNumTarj: str | None = None


@dataclass(frozen=True, slots=True)
class GPagCheq:
    dNumCheq: str | None = None
    dBcoEmi: str | None = None


@dataclass(frozen=True, slots=True)
class GPaConEIni:
    iTiPago: int | None = None
    dDesTiPag: str | None = None
    dMonTiPag: Decimal | None = None
    cMoneTiPag: str | None = None
    dDMoneTiPag: str | None = None
    dTiCamTiPag: Decimal | None = None
    gPagTarCD: GPagTarCD | None = None
    gPagCheq: GPagCheq | None = None


@dataclass(frozen=True, slots=True)
class GCuotas:
    cMoneCuo: str | None = None
    dDMoneCuo: str | None = None
    dMonCuota: Decimal | None = None
    dVencCuo: date | None = None


@dataclass(frozen=True, slots=True)
class GPagCred:
    iCondCred: int | None = None
    dDCondCred: str | None = None
    dPlazoCre: str | None = None
    dCuotas: int | None = None
    dMonEnt: Decimal | None = None
    gCuotas: tuple[GCuotas, ...] = ()


@dataclass(frozen=True, slots=True)
class GCamCond:
    iCondOpe: int | None = None
    dDCondOpe: str | None = None
    gPaConEIni: tuple[GPaConEIni, ...] = ()
    gPagCred: GPagCred | None = None


@dataclass(frozen=True, slots=True)
class GValorRestaItem:
    dDescItem: Decimal | None = None
    dPorcDesIt: Decimal | None = None
    dDescGloItem: Decimal | None = None
    dAntPreUniIt: Decimal | None = None
    dAntGloPreUniIt: Decimal | None = None
    dTotOpeItem: Decimal | None = None
    dTotOpeGs: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GValorItem:
    dPUniProSer: Decimal | None = None
    dTiCamIt: Decimal | None = None
    dTotBruOpeItem: Decimal | None = None
    gValorRestaItem: GValorRestaItem | None = None


@dataclass(frozen=True, slots=True)
class GCamIVA:
    iAfecIVA: int | None = None
    dDesAfecIVA: str | None = None
    dPropIVA: Decimal | None = None
    dTasaIVA: int | None = None
    dBasGravIVA: Decimal | None = None
    dLiqIVAItem: Decimal | None = None
    dBasExe: Decimal | None = None  # NT13; absent in documents older than 2023


@dataclass(frozen=True, slots=True)
class GRasMerc:
    dNumLote: str | None = None
    dVencMerc: date | None = None
    dNSerie: str | None = None
    dNumPedi: str | None = None
    dNumSegui: str | None = None
    dNumReg: str | None = None
    dNumRegEntCom: str | None = None
    dNomPro: str | None = None


@dataclass(frozen=True, slots=True)
class GCamItem:
    dDesProSer: str
    dCantProSer: Decimal
    dCodInt: str | None = None
    dParAranc: str | None = None
    dNCM: str | None = None
    dDncpG: str | None = None
    dDncpE: str | None = None
    dGtin: str | None = None
    dGtinPq: str | None = None
    cUniMed: int | None = None
    dDesUniMed: str | None = None
    cPaisOrig: str | None = None
    dDesPaisOrig: str | None = None
    dInfItem: str | None = None
    cRelMerc: int | None = None
    dDesRelMerc: str | None = None
    dCanQuiMer: Decimal | None = None
    dPorQuiMer: Decimal | None = None
    dCDCAnticipo: str | None = None
    gValorItem: GValorItem | None = None
    gCamIVA: GCamIVA | None = None
    gRasMerc: GRasMerc | None = None

    @property
    def unit_price(self) -> Decimal | None:
        return self.gValorItem.dPUniProSer if self.gValorItem else None

    @property
    def discount(self) -> Decimal | None:
        """Particular discount per unit (EA002 ``dDescItem``)."""
        resta = self.gValorItem.gValorRestaItem if self.gValorItem else None
        return resta.dDescItem if resta else None

    @property
    def total(self) -> Decimal | None:
        """Item total of the operation (EA008 ``dTotOpeItem``)."""
        resta = self.gValorItem.gValorRestaItem if self.gValorItem else None
        return resta.dTotOpeItem if resta else None


@dataclass(frozen=True, slots=True)
class GGrupEner:
    dNroMed: str | None = None
    dActiv: str | None = None
    dCateg: str | None = None
    dLecAnt: Decimal | None = None
    dLecAct: Decimal | None = None
    dConKwh: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GGrupPolSeg:
    dPoliza: str | None = None
    dUnidVig: str | None = None
    dVigencia: Decimal | None = None
    dNumPoliza: str | None = None
    dFecIniVig: datetime | None = None
    dFecFinVig: datetime | None = None
    dCodInt: str | None = None


@dataclass(frozen=True, slots=True)
class GGrupSeg:
    dCodEmpSeg: str | None = None
    gGrupPolSeg: tuple[GGrupPolSeg, ...] = ()


@dataclass(frozen=True, slots=True)
class GGrupSup:
    dNomCaj: str | None = None
    dEfectivo: Decimal | None = None
    dVuelto: Decimal | None = None
    dDonac: Decimal | None = None
    dDesDonac: str | None = None


@dataclass(frozen=True, slots=True)
class GGrupAdi:
    dCiclo: str | None = None
    dFecIniC: date | None = None
    dFecFinC: date | None = None
    dVencPag: tuple[date, ...] = ()
    dContrato: str | None = None
    dSalAnt: Decimal | None = None
    dCodConDncp: str | None = None


@dataclass(frozen=True, slots=True)
class GCamEsp:
    gGrupEner: tuple[GGrupEner, ...] = ()
    gGrupSeg: GGrupSeg | None = None
    gGrupSup: GGrupSup | None = None
    gGrupAdi: GGrupAdi | None = None


@dataclass(frozen=True, slots=True)
class GCamSal:
    dDirLocSal: str | None = None
    dNumCasSal: str | None = None
    dComp1Sal: str | None = None
    dComp2Sal: str | None = None
    cDepSal: int | None = None
    dDesDepSal: str | None = None
    cDisSal: int | None = None
    dDesDisSal: str | None = None
    cCiuSal: int | None = None
    dDesCiuSal: str | None = None
    dTelSal: str | None = None


@dataclass(frozen=True, slots=True)
class GCamEnt:
    dDirLocEnt: str | None = None
    dNumCasEnt: str | None = None
    dComp1Ent: str | None = None
    dComp2Ent: str | None = None
    cDepEnt: int | None = None
    dDesDepEnt: str | None = None
    cDisEnt: int | None = None
    dDesDisEnt: str | None = None
    cCiuEnt: int | None = None
    dDesCiuEnt: str | None = None
    dTelEnt: str | None = None


@dataclass(frozen=True, slots=True)
class GVehTras:
    dTiVehTras: str | None = None
    dMarVeh: str | None = None
    dTipIdenVeh: int | None = None
    dNroIDVeh: str | None = None
    dAdicVeh: str | None = None
    dNroMatVeh: str | None = None
    dNroVuelo: str | None = None


@dataclass(frozen=True, slots=True)
class GCamTrans:
    iNatTrans: int | None = None
    dNomTrans: str | None = None
    dRucTrans: str | None = None
    dDVTrans: int | None = None
    iTipIDTrans: int | None = None
    dDTipIDTrans: str | None = None
    dNumIDTrans: str | None = None
    cNacTrans: str | None = None
    dDesNacTrans: str | None = None
    dNumIDChof: str | None = None
    dNomChof: str | None = None
    dDomFisc: str | None = None
    dDirChof: str | None = None
    dNombAg: str | None = None
    dRucAg: str | None = None
    dDVAg: int | None = None
    dDirAge: str | None = None


@dataclass(frozen=True, slots=True)
class GTransp:
    iTipTrans: int | None = None
    dDesTipTrans: str | None = None
    iModTrans: int | None = None
    dDesModTrans: str | None = None
    iRespFlete: int | None = None
    cCondNeg: str | None = None
    dNuManif: str | None = None
    dNuDespImp: str | None = None
    dIniTras: date | None = None
    dFinTras: date | None = None
    cPaisDest: str | None = None
    dDesPaisDest: str | None = None
    gCamSal: GCamSal | None = None
    gCamEnt: tuple[GCamEnt, ...] = ()
    gVehTras: tuple[GVehTras, ...] = ()
    gCamTrans: GCamTrans | None = None


@dataclass(frozen=True, slots=True)
class GCamRDE:
    """Recibo de Dinero Electrónico: one payment received."""

    iForPag: int | None = None
    dDesForPag: str | None = None
    dNumTrans: str | None = None
    dConc: str | None = None
    dRucEntFin: str | None = None
    dDvEntFin: int | None = None
    dNomEntFin: str | None = None
    dImpPag: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GDtipDE:
    gCamFE: GCamFE | None = None
    gCamAE: GCamAE | None = None
    gCamNCDE: GCamNCDE | None = None
    gCamNRE: GCamNRE | None = None
    gCamCond: GCamCond | None = None
    gCamItem: tuple[GCamItem, ...] = ()
    gCamEsp: GCamEsp | None = None
    gTransp: GTransp | None = None
    gCamRDE: tuple[GCamRDE, ...] = ()


@dataclass(frozen=True, slots=True)
class GTotSub:
    dSubExe: Decimal | None = None
    dSubExo: Decimal | None = None
    dSub5: Decimal | None = None
    dSub10: Decimal | None = None
    dTotOpe: Decimal | None = None
    dTotDesc: Decimal | None = None
    dTotDescGlotem: Decimal | None = None
    dTotAntItem: Decimal | None = None
    dTotAnt: Decimal | None = None
    dPorcDescTotal: Decimal | None = None
    dDescTotal: Decimal | None = None
    dAnticipo: Decimal | None = None
    dRedon: Decimal | None = None
    dComi: Decimal | None = None
    dTotGralOpe: Decimal | None = None
    dIVA5: Decimal | None = None
    dIVA10: Decimal | None = None
    dLiqTotIVA5: Decimal | None = None
    dLiqTotIVA10: Decimal | None = None
    dIVAComi: Decimal | None = None
    dTotIVA: Decimal | None = None
    dBaseGrav5: Decimal | None = None
    dBaseGrav10: Decimal | None = None
    dTBasGraIVA: Decimal | None = None
    dTBasExe: Decimal | None = None  # NT13 name used by some emitters; tolerated
    dTotalGs: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GCamCarg:
    cUniMedTotVol: int | None = None
    dDesUniMedTotVol: str | None = None
    dTotVolMerc: Decimal | None = None
    cUniMedTotPes: int | None = None
    dDesUniMedTotPes: str | None = None
    dTotPesMerc: Decimal | None = None
    iCarCarga: int | None = None
    dDesCarCarga: str | None = None


@dataclass(frozen=True, slots=True)
class GCamGen:
    dOrdCompra: str | None = None
    dOrdVta: str | None = None
    dAsiento: str | None = None
    gCamCarg: GCamCarg | None = None


@dataclass(frozen=True, slots=True)
class GCamDEAsoc:
    iTipDocAso: int | None = None
    dDesTipDocAso: str | None = None
    dCdCDERef: str | None = None
    dNTimDI: str | None = None
    dEstDocAso: str | None = None
    dPExpDocAso: str | None = None
    dNumDocAso: str | None = None
    iTipoDocAso: int | None = None
    dDTipoDocAso: str | None = None
    dFecEmiDI: date | None = None
    dNumComRet: str | None = None
    dNumResCF: str | None = None
    iTipCons: int | None = None
    dDesTipCons: str | None = None
    dNumCons: str | None = None
    dNumControl: str | None = None
    dRucFus: str | None = None
    dNumCuoDocAso: str | None = None
    dImpCuoDocAso: Decimal | None = None

    @property
    def printed_number(self) -> str | None:
        """``EEE-PPP-NNNNNNN`` of a printed associated document, when given."""
        if not (self.dEstDocAso and self.dPExpDocAso and self.dNumDocAso):
            return None
        return f"{self.dEstDocAso.zfill(3)}-{self.dPExpDocAso.zfill(3)}-{self.dNumDocAso.zfill(7)}"


@dataclass(frozen=True, slots=True)
class GDocRec(GCamDEAsoc):
    """Recibo digital (tipo 55, sifenflow schema docs/recibo_v1.xsd): a document paid, the amount
    applied and the IVA / renta withheld on it."""

    dMonApl: Decimal | None = None
    dMonRetIVA: Decimal | None = None
    dMonRetRenta: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GCamRec:
    """Recibo digital: concept and total received (docs/recibo_v1.xsd)."""

    dConc: str | None = None
    dTotRec: Decimal | None = None
    dTotalGs: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GCamFuFD:
    dCarQR: str | None = None
    dInfAdic: str | None = None


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """What a reader needs from the XMLDSig ``Signature`` (never verified here)."""

    reference_uri: str | None = None
    digest_value: str | None = None
    signature_value: str | None = None
    x509_certificate: str | None = None  # base64 DER, whitespace removed

    def certificate_der(self) -> bytes | None:
        """DER bytes of the signing certificate, or None when absent or not base64."""
        if not self.x509_certificate:
            return None
        try:
            return base64.b64decode(self.x509_certificate, validate=True)
        except (binascii.Error, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class RdeView:
    """Read-only view of one rDE (``DE`` children flattened in, plus gCamFuFD and the signature).

    The recibo digital (tipo 55, ``rRec``/``Rec`` of docs/recibo_v1.xsd) reads into the same view:
    its ``gCamCond`` lands in ``gDtipDE``, ``gCamRec`` and ``gDocRec`` have fields of their own."""

    Id: str
    gTimb: GTimb
    gDatGralOpe: GDatGralOpe
    gDtipDE: GDtipDE = field(default_factory=GDtipDE)
    dVerFor: int | None = None
    dDVId: int | None = None
    dFecFirma: datetime | None = None
    dSisFact: int | None = None
    gOpeDE: GOpeDE | None = None
    gTotSub: GTotSub | None = None
    gCamGen: GCamGen | None = None
    gCamDEAsoc: tuple[GCamDEAsoc, ...] = ()
    gCamRec: GCamRec | None = None  # recibo digital only
    gDocRec: tuple[GDocRec, ...] = ()  # recibo digital only
    gCamFuFD: GCamFuFD | None = None
    signature: SignatureInfo | None = field(default=None)

    # -- conveniences used by the KuDE, the simulator and consultas --------------------------------
    @property
    def cdc(self) -> str:
        return self.Id

    @property
    def cdc_blocks(self) -> tuple[str, ...]:
        """The CDC in groups of four characters, as the KuDE prints it (11 groups for 44 chars)."""
        return tuple(self.Id[i : i + 4] for i in range(0, len(self.Id), 4))

    @property
    def iTiDE(self) -> int:
        return self.gTimb.iTiDE

    @property
    def number(self) -> str:
        return self.gTimb.number

    @property
    def dFeEmiDE(self) -> datetime:
        return self.gDatGralOpe.dFeEmiDE

    @property
    def gEmis(self) -> GEmis:
        return self.gDatGralOpe.gEmis

    @property
    def gDatRec(self) -> GDatRec:
        return self.gDatGralOpe.gDatRec

    @property
    def gOpeCom(self) -> GOpeCom | None:
        return self.gDatGralOpe.gOpeCom

    @property
    def items(self) -> tuple[GCamItem, ...]:
        return self.gDtipDE.gCamItem

    @property
    def currency(self) -> str:
        """``cMoneOpe``; PYG when the document carries no gOpeCom (NRE)."""
        ope = self.gDatGralOpe.gOpeCom
        return (ope.cMoneOpe if ope and ope.cMoneOpe else "PYG").upper()

    @property
    def exchange_rate(self) -> Decimal | None:
        ope = self.gDatGralOpe.gOpeCom
        return ope.dTiCam if ope else None

    @property
    def dCarQR(self) -> str | None:
        return self.gCamFuFD.dCarQR if self.gCamFuFD else None

    @property
    def digest_value(self) -> str | None:
        return self.signature.digest_value if self.signature else None
