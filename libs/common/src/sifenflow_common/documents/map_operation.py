"""Operation data (gOpeCom), type groups (gCamFE, gCamAE, gCamNCDE, gCamNRE), condición (gCamCond).

MT v150 D1, E1-E7.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sifenflow_common.documents.map_base import INNOMINADO_LIMIT_PYG, MapperBase, _numero_casa
from sifenflow_common.facturasend import rules
from sifenflow_common.facturasend.models import (
    Condicion,
    Dncp,
    Entrega,
)
from sifenflow_common.sifen import codes, de
from sifenflow_common.sifen import totals as tot
from sifenflow_common.sifen.rounding import PYG, ZERO

_MAX_CAMBIO: Final = Decimal("99999.9999")  # tTipoCambioBase


class OperationMixin(MapperBase):
    def _ope_com(self) -> de.GOpeCom | None:
        d, tipo = self.d, self.tipo
        if tipo == 7:
            return None  # gOpeCom is not used by the NRE (MT v150 D010)
        if d.tipo_impuesto == 2:
            self.add(
                "TIPO_IMPUESTO_NO_SOPORTADO",
                "data.tipoImpuesto",
                "ISC (2) no es soportado: el grupo gCamISC no existe en el ítem del esquema v150 vigente",
            )
        des_timp = rules.check_code("iTImp", d.tipo_impuesto, "data.tipoImpuesto", self.issues) or ""
        ope = de.GOpeCom(iTImp=d.tipo_impuesto, dDesTImp=des_timp, cMoneOpe=d.moneda.upper(), dDesMoneOpe="")
        if tipo in codes.SALE_TYPES:
            tipo_tra = d.tipo_transaccion or 1
            ope.iTipTra = tipo_tra
            ope.dDesTipTra = rules.check_code("iTipTra", tipo_tra, "data.tipoTransaccion", self.issues)
        moneda_desc = rules.check_moneda(d.moneda, "data.moneda", self.issues)
        if moneda_desc is not None:
            self.moneda = d.moneda.upper()
            ope.dDesMoneOpe = moneda_desc
        if self.moneda != PYG:
            cond = d.condicion_tipo_cambio
            if cond is None:
                self.add(
                    "CAMBIO_REQUERIDO",
                    "data.condicionTipoCambio",
                    "Con moneda distinta de PYG indique condicionTipoCambio (1 global, 2 por ítem)",
                )
            elif rules.check_in(cond, {1, 2}, "data.condicionTipoCambio", self.issues):
                ope.dCondTiCam = cond
                if cond == 1:
                    if d.cambio is None:
                        self.add("CAMBIO_REQUERIDO", "data.cambio", "Falta el tipo de cambio de la operación")
                    else:
                        ope.dTiCam = rules.check_amount(
                            d.cambio,
                            "data.cambio",
                            self.issues,
                            max_decimals=4,
                            positive=True,
                            maximum=_MAX_CAMBIO,
                        )
        if d.condicion_anticipo is not None:
            ope.iCondAnt = d.condicion_anticipo
            ope.dDesCondAnt = rules.check_code(
                "iCondAnt", d.condicion_anticipo, "data.condicionAnticipo", self.issues
            )
        for idx, ob in enumerate(d.obligaciones or []):
            path = f"data.obligaciones[{idx}]"
            if rules.check_in(ob.codigo, codes.OBLIGACIONES_AFECTADAS, f"{path}.codigo", self.issues) is None:
                continue
            if not ob.descripcion:
                self.add(
                    "DESCRIPCION_REQUERIDA",
                    f"{path}.descripcion",
                    "Indique la descripción de la obligación afectada (21 a 65 caracteres)",
                )
                continue
            ope.gOblAfe.append(de.GOblAfe(cOblAfe=ob.codigo, dDesOblAfe=ob.descripcion))
        return ope

    # ------------------------------------------------------------------ type groups
    def _type_groups(self, g: de.GDtipDE) -> None:
        d, tipo = self.d, self.tipo
        if tipo == 1:
            if d.factura is None:
                self.add(
                    "GRUPO_REQUERIDO", "data.factura", "La factura necesita el grupo factura (presencia)"
                )
                return
            f = d.factura
            desc = rules.check_code(
                "iIndPres",
                f.presencia,
                "data.factura.presencia",
                self.issues,
                f.presencia_descripcion,
                "data.factura.presenciaDescripcion",
            )
            fe = de.GCamFE(iIndPres=f.presencia, dDesIndPres=desc or "")
            if f.fecha_envio:
                fe.dFecEmNR = rules.check_date(f.fecha_envio, "data.factura.fechaEnvio", self.issues)
            dncp = self._dncp()
            if dncp is not None and d.cliente.tipo_operacion == 3:
                fe.gCompPub = self._comp_pub(dncp, "data.dncp" if d.dncp is not None else "data.factura.dncp")
            g.gCamFE = fe
        elif tipo == 4:
            g.gCamAE = self._autofactura()
        elif tipo in (5, 6):
            if d.nota_credito_debito is None:
                self.add(
                    "GRUPO_REQUERIDO",
                    "data.notaCreditoDebito",
                    "Las notas de crédito/débito necesitan notaCreditoDebito.motivo (MT E400)",
                )
            else:
                desc = rules.check_code(
                    "iMotEmi", d.nota_credito_debito.motivo, "data.notaCreditoDebito.motivo", self.issues
                )
                g.gCamNCDE = de.GCamNCDE(iMotEmi=d.nota_credito_debito.motivo, dDesMotEmi=desc or "")
        elif tipo == 7:
            if not d.descripcion:
                self.add(
                    "CAMPO_REQUERIDO",
                    "data.descripcion",
                    "La nota de remisión necesita la descripción para el fisco (dInfoFisc, MT B006)",
                )
            r = d.remision
            if r is None:
                self.add(
                    "GRUPO_REQUERIDO",
                    "data.remision",
                    "La nota de remisión necesita el grupo remision (MT E500)",
                )
                return
            desc = rules.check_code(
                "iMotEmiNR",
                r.motivo,
                "data.remision.motivo",
                self.issues,
                r.motivo_descripcion,
                "data.remision.motivoDescripcion",
            )
            resp = rules.check_code(
                "iRespEmiNR", r.tipo_responsable, "data.remision.tipoResponsable", self.issues
            )
            if not 1 <= r.kms <= 99999:
                self.add("VALOR_INVALIDO", "data.remision.kms", "Kilómetros recorridos: de 1 a 99999")
            nre = de.GCamNRE(
                iMotEmiNR=r.motivo,
                dDesMotEmiNR=desc or "",
                iRespEmiNR=r.tipo_responsable,
                dDesRespEmiNR=resp or "",
                dKmR=r.kms,
                cPreFle=r.costo_flete,
            )
            if r.fecha_factura:
                nre.dFecEm = rules.check_date(r.fecha_factura, "data.remision.fechaFactura", self.issues)
            g.gCamNRE = nre

    def _comp_pub(self, dncp: Dncp, path: str) -> de.GCompPub | None:
        entidad = rules.check_digits(dncp.entidad, f"{path}.entidad", self.issues, "Entidad DNCP", 1, 5)
        anio = rules.check_digits(dncp.anio, f"{path}.año", self.issues, "Año DNCP (2 dígitos)", 1, 2)
        sec = rules.check_digits(dncp.secuencia, f"{path}.secuencia", self.issues, "Secuencia DNCP", 1, 7)
        fecha = rules.check_date(dncp.fecha, f"{path}.fecha", self.issues)
        # tdEntCont, tdAnoCont and tdSecCont are xs:positiveInteger (DE_Types_v150.xsd): 0 is refused
        for value, key, label in (
            (entidad, "entidad", "Entidad"),
            (anio, "año", "Año"),
            (sec, "secuencia", "Secuencia"),
        ):
            if value is not None and int(value) == 0:
                self.add("VALOR_INVALIDO", f"{path}.{key}", f"{label} DNCP debe ser mayor que cero")
                return None
        if entidad is None or anio is None or sec is None or fecha is None:
            return None
        return de.GCompPub(
            dModCont=dncp.modalidad,
            dEntCont=entidad.zfill(5),
            dAnoCont=int(anio),
            dSecCont=sec.zfill(7),
            dFeCodCont=fecha,
        )

    def _autofactura(self) -> de.GCamAE | None:
        a = self.d.auto_factura
        path = "data.autoFactura"
        if a is None:
            self.add(
                "GRUPO_REQUERIDO", path, "La autofactura necesita el grupo autoFactura (vendedor, MT E300)"
            )
            return None
        nat = rules.check_code("iNatVen", a.tipo_vendedor, f"{path}.tipoVendedor", self.issues)
        tid = rules.check_code("iTipIDVen", a.documento_tipo, f"{path}.documentoTipo", self.issues)
        geo = rules.check_geo(
            path,
            self.issues,
            a.departamento,
            a.distrito,
            a.ciudad,
            a.departamento_descripcion,
            a.distrito_descripcion,
            a.ciudad_descripcion,
        )
        u = a.ubicacion
        geo_t = rules.check_geo(
            f"{path}.ubicacion",
            self.issues,
            u.departamento,
            u.distrito,
            u.ciudad,
            u.departamento_descripcion,
            u.distrito_descripcion,
            u.ciudad_descripcion,
        )
        casa = _numero_casa(a.numero_casa, f"{path}.numeroCasa", self.issues)
        if nat is None or tid is None or geo is None or geo_t is None or casa is None:
            return None
        return de.GCamAE(
            iNatVen=a.tipo_vendedor,
            dDesNatVen=nat,
            iTipIDVen=a.documento_tipo,
            dDTipIDVen=tid,
            dNumIDVen=a.documento_numero,
            dNomVen=a.nombre,
            dDirVen=a.direccion,
            dNumCasVen=casa,
            cDepVen=geo.dep,
            dDesDepVen=geo.dep_desc,
            cDisVen=geo.dis,
            dDesDisVen=geo.dis_desc,
            cCiuVen=geo.ciu,
            dDesCiuVen=geo.ciu_desc,
            dDirProv=u.lugar,
            cDepProv=geo_t.dep,
            dDesDepProv=geo_t.dep_desc,
            cDisProv=geo_t.dis,
            dDesDisProv=geo_t.dis_desc,
            cCiuProv=geo_t.ciu,
            dDesCiuProv=geo_t.ciu_desc,
        )

    # ------------------------------------------------------------------ condición
    def _condicion(
        self, c: Condicion | None, totals: tot.Totals | None, *, partial: bool = False
    ) -> de.GCamCond | None:
        """``partial``: the entregas may cover part of the total (a recibo)."""
        path = "data.condicion"
        if c is None:
            self.add(
                "GRUPO_REQUERIDO",
                path,
                "Facturas, autofacturas y boletas necesitan la condición de la operación",
            )
            return None
        desc = rules.check_code("iCondOpe", c.tipo, f"{path}.tipo", self.issues)
        if desc is None:
            return None
        g = de.GCamCond(iCondOpe=c.tipo, dDCondOpe=desc)
        total = totals.dTotGralOpe if totals is not None else None
        if c.tipo == 1 and not c.entregas:
            self.add(
                "CAMPO_REQUERIDO",
                f"{path}.entregas",
                "Operación al contado: indique al menos una entrega (forma de pago, MT E605)",
            )
        paid = ZERO
        for idx, e in enumerate(c.entregas or []):
            ep = f"{path}.entregas[{idx}]"
            pago = self._entrega(e, ep)
            if pago is None:
                continue
            g.gPaConEIni.append(pago)
            paid += _to_operation_currency(
                pago.dMonTiPag, pago.cMoneTiPag, pago.dTiCamTiPag, self.moneda, self._cambio()
            )
        if c.tipo == 1 and c.entregas and total is not None and self.issues.ok and not partial:
            tolerance = Decimal(1) if self.moneda == PYG else Decimal("0.01")
            if paid + tolerance <= total:
                self.add(
                    "ENTREGAS_INSUFICIENTES",
                    f"{path}.entregas",
                    f"Las entregas suman {paid} y no cubren el total de la operación al contado ({total})",
                )
        if c.tipo == 2:
            g.gPagCred = self._credito(c, total)
        return g

    def _cambio(self) -> Decimal | None:
        return self.d.cambio if self.moneda != PYG else None

    def _entrega(self, e: object, ep: str) -> de.GPaConEIni | None:

        assert isinstance(e, Entrega)
        desc = rules.check_code(
            "iTiPago", e.tipo, f"{ep}.tipo", self.issues, e.tipo_descripcion, f"{ep}.tipoDescripcion"
        )
        monto = rules.check_amount(e.monto, f"{ep}.monto", self.issues, max_decimals=4, positive=True)
        mon_desc = rules.check_moneda(e.moneda, f"{ep}.moneda", self.issues)
        if desc is None or monto is None or mon_desc is None:
            return None
        pago = de.GPaConEIni(
            iTiPago=e.tipo, dDesTiPag=desc, dMonTiPag=monto, cMoneTiPag=e.moneda.upper(), dDMoneTiPag=mon_desc
        )
        if e.moneda.upper() != PYG:
            if e.cambio is None:
                self.add(
                    "CAMBIO_REQUERIDO",
                    f"{ep}.cambio",
                    "Entrega en moneda extranjera: indique el tipo de cambio",
                )
                return None
            pago.dTiCamTiPag = rules.check_amount(
                e.cambio, f"{ep}.cambio", self.issues, max_decimals=4, positive=True
            )
        if e.tipo in (3, 4):
            t = e.info_tarjeta
            if t is None:
                self.add(
                    "PAGO_INCOMPLETO", f"{ep}.infoTarjeta", "Pago con tarjeta: indique infoTarjeta (MT E620)"
                )
                return None
            tp = f"{ep}.infoTarjeta"
            den = rules.check_code(
                "iDenTarj", t.tipo, f"{tp}.tipo", self.issues, t.tipo_descripcion, f"{tp}.tipoDescripcion"
            )
            rules.check_in(t.medio_pago, codes.FORMA_PROCESAMIENTO_PAGO, f"{tp}.medioPago", self.issues)
            tarj = de.GPagTarCD(
                iDenTarj=t.tipo,
                dDesDenTarj=den or "",
                dRSProTar=t.razon_social,
                iForProPa=t.medio_pago,
                dNomTit=t.titular,
            )
            if t.ruc is not None:
                ruc = rules.check_ruc(t.ruc, f"{tp}.ruc", self.issues)
                if ruc is not None:
                    tarj.dRUCProTar, tarj.dDVProTar = ruc
            if t.codigo_autorizacion is not None:
                code = rules.check_digits(
                    t.codigo_autorizacion,
                    f"{tp}.codigoAutorizacion",
                    self.issues,
                    "Código de autorización",
                    6,
                    10,
                )
                tarj.dCodAuOpe = int(code) if code else None
            if t.numero is not None:
                num = rules.check_digits(
                    t.numero, f"{tp}.numero", self.issues, "Últimos 4 dígitos de la tarjeta", 4, 4
                )
                tarj.dNumTarj = int(num) if num else None
            pago.gPagTarCD = tarj
        elif e.tipo == 2:
            ch = e.info_cheque
            if ch is None:
                self.add(
                    "PAGO_INCOMPLETO", f"{ep}.infoCheque", "Pago con cheque: indique infoCheque (MT E630)"
                )
                return None
            num = rules.check_digits(
                ch.numero_cheque, f"{ep}.infoCheque.numeroCheque", self.issues, "Número de cheque", 1, 8
            )
            pago.gPagCheq = de.GPagCheq(dNumCheq=(num or "").zfill(8), dBcoEmi=ch.banco)
        return pago

    def _credito(self, c: Condicion, total: Decimal | None) -> de.GPagCred | None:
        path = "data.condicion.credito"
        cr = c.credito
        if cr is None:
            self.add(
                "CAMPO_REQUERIDO", path, "Operación a crédito: indique credito (plazo o cuotas, MT E640)"
            )
            return None
        desc = rules.check_code("iCondCred", cr.tipo, f"{path}.tipo", self.issues)
        if desc is None:
            return None
        g = de.GPagCred(iCondCred=cr.tipo, dDCondCred=desc)
        if cr.monto_entrega is not None:
            g.dMonEnt = rules.check_amount(
                cr.monto_entrega, f"{path}.montoEntrega", self.issues, max_decimals=4
            )
        if cr.tipo == 1:
            if not cr.plazo:
                self.add(
                    "CAMPO_REQUERIDO", f"{path}.plazo", "Crédito a plazo: indique el plazo (p. ej. '30 días')"
                )
            g.dPlazoCre = cr.plazo
            return g
        if cr.cuotas is None or not 1 <= cr.cuotas <= 999:
            self.add(
                "CAMPO_REQUERIDO",
                f"{path}.cuotas",
                "Crédito en cuotas: indique la cantidad de cuotas (1-999)",
            )
            return g
        g.dCuotas = cr.cuotas
        if not cr.info_cuotas:
            self.add(
                "CAMPO_REQUERIDO", f"{path}.infoCuotas", "Crédito en cuotas: detalle cada cuota (infoCuotas)"
            )
            return g
        if len(cr.info_cuotas) != cr.cuotas:
            self.add(
                "CUOTAS_NO_COINCIDEN",
                f"{path}.infoCuotas",
                f"Se indicaron {cr.cuotas} cuotas pero se detallan {len(cr.info_cuotas)}",
            )
        suma = ZERO
        for idx, cu in enumerate(cr.info_cuotas):
            cp = f"{path}.infoCuotas[{idx}]"
            mon_desc = rules.check_moneda(cu.moneda, f"{cp}.moneda", self.issues)
            monto = rules.check_amount(cu.monto, f"{cp}.monto", self.issues, max_decimals=4, positive=True)
            venc = (
                rules.check_date(cu.vencimiento, f"{cp}.vencimiento", self.issues) if cu.vencimiento else None
            )
            if mon_desc is None or monto is None:
                continue
            suma += monto
            g.gCuotas.append(
                de.GCuotas(cMoneCuo=cu.moneda.upper(), dDMoneCuo=mon_desc, dMonCuota=monto, dVencCuo=venc)
            )
        if total is not None and self.issues.ok:
            saldo = total - (g.dMonEnt or ZERO)
            tolerance = Decimal(1) if self.moneda == PYG else Decimal("0.01")
            if abs(suma - saldo) >= tolerance:
                self.add(
                    "CUOTAS_NO_COINCIDEN",
                    f"{path}.infoCuotas",
                    f"Las cuotas suman {suma} y el saldo a crédito es {saldo}",
                )
        return g

    def _post_totals(self, totals: tot.Totals) -> None:
        c = self.d.cliente
        if c.documento_tipo == codes.TIPO_ID_INNOMINADO and not c.contribuyente:
            total_gs = totals.dTotalGs if totals.dTotalGs is not None else totals.dTotGralOpe
            if total_gs >= INNOMINADO_LIMIT_PYG and self.d.tipo_transaccion != 13:
                self.add(
                    "INNOMINADO_MONTO_EXCEDIDO",
                    "data.cliente.documentoTipo",
                    f"Receptor innominado no admitido para operaciones de {INNOMINADO_LIMIT_PYG} Gs. "
                    "o más (MT 1321): identifique al receptor",
                )


def _to_operation_currency(
    amount: Decimal, moneda: str, cambio: Decimal | None, op_moneda: str, op_cambio: Decimal | None
) -> Decimal:
    if moneda == op_moneda:
        return amount
    in_pyg = amount * cambio if moneda != PYG and cambio is not None else amount
    if op_moneda == PYG:
        return in_pyg
    return in_pyg / op_cambio if op_cambio else amount
