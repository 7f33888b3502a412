"""Items (gCamItem, gValorItem, gCamIVA, gRasMerc, gVehNuevo), MT v150 E8."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Final

from sifenflow_common.documents.map_base import MapperBase
from sifenflow_common.facturasend import rules
from sifenflow_common.facturasend.models import (
    Item,
)
from sifenflow_common.sifen import de
from sifenflow_common.sifen import totals as tot
from sifenflow_common.sifen.catalogs import code_list, unidades_medida
from sifenflow_common.sifen.cdc import is_valid_cdc
from sifenflow_common.sifen.rounding import HUNDRED, PYG, ZERO, fraction_digits

_IVA_KINDS: Final = frozenset({1, 3, 4, 5})
_MAX_CANTIDAD: Final = Decimal("9999999999.99999999")  # tdCantProSer
_MAX_CAMBIO: Final = Decimal("99999.9999")  # tTipoCambioBase


class ItemsMixin(MapperBase):
    # ------------------------------------------------------------------ items
    def _items(self) -> tuple[list[de.GCamItem], list[tot.ItemAmounts] | None]:
        d, tipo = self.d, self.tipo
        if not d.items:
            self.add("CAMPO_REQUERIDO", "data.items", "El documento necesita al menos un ítem (MT E700)")
            return [], None
        with_values = tipo != 7
        with_iva = tipo in (1, 5, 6, 9, 10) and d.tipo_impuesto in _IVA_KINDS
        b2g = d.cliente.tipo_operacion == 3
        per_item_fx = self.moneda != PYG and d.condicion_tipo_cambio == 2
        out: list[de.GCamItem] = []
        inputs: list[tot.ItemInput] = []
        all_ok = True
        for idx, it in enumerate(d.items):
            path = f"data.items[{idx}]"
            before = len(self.issues.issues)
            item, inp = self._item(it, path, with_values, with_iva, b2g, per_item_fx)
            out.append(item)
            if inp is not None:
                inputs.append(inp)
            all_ok = all_ok and len(self.issues.issues) == before and inp is not None
        if not with_values or not all_ok:
            return out, None
        # global discount / advance spread over the items (EA004 / EA007)
        for value, key in ((d.descuento_global, "descuentoGlobal"), (d.anticipo_global, "anticipoGlobal")):
            if value is not None and rules.check_amount(value, f"data.{key}", self.issues) is None:
                return out, None
        if d.descuento_global:
            shares = tot.spread_global(d.descuento_global, inputs, self.moneda)
            inputs = [_replace(i, descuento_global=s) for i, s in zip(inputs, shares, strict=True)]
        if d.anticipo_global:
            shares = tot.spread_global(d.anticipo_global, inputs, self.moneda)
            inputs = [_replace(i, anticipo_global=s) for i, s in zip(inputs, shares, strict=True)]
        amounts: list[tot.ItemAmounts] = []
        for idx, (item, inp) in enumerate(zip(out, inputs, strict=True)):
            am = tot.item_amounts(inp, self.moneda, autofactura=tipo == 4)
            if am.dTotOpeItem < 0:
                self.add(
                    "DESCUENTO_EXCEDE_PRECIO",
                    f"data.items[{idx}]",
                    "Descuentos y anticipos superan el precio del ítem: total negativo (MT EA008)",
                )
                continue
            amounts.append(am)
            _fill_item_values(item, inp, am, tipo == 4, with_iva)
        return out, amounts if len(amounts) == len(out) else None

    def _item(
        self, it: Item, path: str, with_values: bool, with_iva: bool, b2g: bool, per_item_fx: bool
    ) -> tuple[de.GCamItem, tot.ItemInput | None]:
        # happy paths inlined (hot loop); the rules functions produce the issues otherwise
        unidad = unidades_medida().get(it.unidad_medida) if it.unidad_medida_descripcion is None else None
        if unidad is None:
            unidad = rules.check_unidad(
                it.unidad_medida, f"{path}.unidadMedida", self.issues, it.unidad_medida_descripcion
            )
        cantidad: Decimal | None = it.cantidad
        if not (ZERO < it.cantidad <= _MAX_CANTIDAD and fraction_digits(it.cantidad) <= 8):
            cantidad = rules.check_amount(
                it.cantidad, f"{path}.cantidad", self.issues, positive=True, maximum=_MAX_CANTIDAD
            )
        item = de.GCamItem(
            dCodInt=it.codigo,
            dDesProSer=it.descripcion,
            cUniMed=it.unidad_medida,
            dDesUniMed=unidad or "",
            dCantProSer=cantidad or ZERO,
            dInfItem=it.observacion,
        )
        if it.partida_arancelaria is not None:
            item.dParAranc = rules.check_digits(
                it.partida_arancelaria, f"{path}.partidaArancelaria", self.issues, "Partida arancelaria", 4, 4
            )
        if it.ncm is not None:
            item.dNCM = rules.check_digits(it.ncm, f"{path}.ncm", self.issues, "NCM", 6, 8)
        if it.dncp is not None:
            item.dDncpG = rules.check_digits(
                it.dncp.codigo_nivel_general,
                f"{path}.dncp.codigoNivelGeneral",
                self.issues,
                "Código DNCP nivel general",
                8,
                8,
            )
            item.dDncpE = rules.check_digits(
                it.dncp.codigo_nivel_especifico,
                f"{path}.dncp.codigoNivelEspecifico",
                self.issues,
                "Código DNCP nivel específico",
                3,
                4,
            )
            if it.dncp.codigo_gtin_producto is not None:
                item.dGtin = rules.check_digits(
                    it.dncp.codigo_gtin_producto,
                    f"{path}.dncp.codigoGtinProducto",
                    self.issues,
                    "GTIN",
                    8,
                    14,
                )
            if it.dncp.codigo_nivel_paquete is not None:
                item.dGtinPq = rules.check_digits(
                    it.dncp.codigo_nivel_paquete,
                    f"{path}.dncp.codigoNivelPaquete",
                    self.issues,
                    "GTIN del paquete",
                    8,
                    14,
                )
        elif b2g and self.tipo == 1:
            self.add(
                "DNCP_REQUERIDO",
                f"{path}.dncp",
                "Operación B2G (3): cada ítem necesita los códigos DNCP (nivel general y específico)",
            )
        if it.pais is not None:
            item.cPaisOrig = it.pais.upper()
            item.dDesPaisOrig = rules.check_pais(
                it.pais, f"{path}.pais", self.issues, it.pais_descripcion, f"{path}.paisDescripcion"
            )
        if it.tolerancia is not None:
            item.cRelMerc = it.tolerancia
            item.dDesRelMerc = rules.check_code("cRelMerc", it.tolerancia, f"{path}.tolerancia", self.issues)
            item.dCanQuiMer = it.tolerancia_cantidad
            item.dPorQuiMer = it.tolerancia_porcentaje
        if it.cdc_anticipo is not None:
            if not is_valid_cdc(it.cdc_anticipo):
                self.add("CDC_INVALIDO", f"{path}.cdcAnticipo", "CDC del anticipo inválido")
            item.dCDCAnticipo = it.cdc_anticipo
        item.gRasMerc = self._ras_merc(it, path)
        item.gVehNuevo = self._vehiculo_nuevo(it, path)
        if not with_values:
            return item, None
        ok = unidad is not None and cantidad is not None
        price = None
        if it.precio_unitario is None:
            self.add("CAMPO_REQUERIDO", f"{path}.precioUnitario", "Falta el precio unitario")
        elif ZERO <= it.precio_unitario <= rules.MAX_AMOUNT and fraction_digits(it.precio_unitario) <= 8:
            price = it.precio_unitario
        else:
            price = rules.check_amount(it.precio_unitario, f"{path}.precioUnitario", self.issues)
        descuento = ZERO if it.descuento is None else self._opt_amount(it.descuento, f"{path}.descuento")
        anticipo = ZERO if it.anticipo is None else self._opt_amount(it.anticipo, f"{path}.anticipo")
        if (
            price is not None
            and descuento is not None
            and anticipo is not None
            and descuento + anticipo > price
        ):
            self.add(
                "DESCUENTO_EXCEDE_PRECIO",
                f"{path}.descuento",
                "El descuento más el anticipo no puede superar el precio unitario",
            )
            ok = False
        if self.moneda == PYG and price is not None and price != price.to_integral_value():
            self.add(
                "DECIMALES_EXCEDIDOS",
                f"{path}.precioUnitario",
                "En guaraníes el precio unitario no lleva decimales",
            )
            ok = False
        cambio = None
        if per_item_fx:
            if it.cambio is None:
                self.add(
                    "CAMBIO_REQUERIDO",
                    f"{path}.cambio",
                    "Con condicionTipoCambio 2 (por ítem) cada ítem necesita su tipo de cambio",
                )
                ok = False
            else:
                cambio = rules.check_amount(
                    it.cambio,
                    f"{path}.cambio",
                    self.issues,
                    max_decimals=4,
                    positive=True,
                    maximum=_MAX_CAMBIO,
                )
        afectacion, proporcion, tasa = 1, HUNDRED, 10
        if with_iva:
            iva = self._iva(it, path)
            if iva is None:
                ok = False
            else:
                afectacion, proporcion, tasa = iva
        if not ok or price is None or descuento is None or anticipo is None or cantidad is None:
            return item, None
        return item, tot.ItemInput(
            precio_unitario=price,
            cantidad=cantidad,
            afectacion=afectacion,
            proporcion=proporcion,
            tasa=tasa,
            descuento=descuento,
            anticipo=anticipo,
            cambio=cambio,
        )

    def _opt_amount(self, value: Decimal | None, path: str) -> Decimal | None:
        if value is None:
            return ZERO
        return rules.check_amount(value, path, self.issues)

    def _iva(self, it: Item, path: str) -> tuple[int, Decimal, int] | None:
        """E731-E734 consistency (MT v150 §E8.2, NT13)."""
        # the common case (gravado 10 % or 5 %, proportion absent or a plain "100"), which the
        # checks below accept as is
        tasa, prop = it.iva, it.iva_proporcion
        if it.iva_tipo == 1 and (tasa == 10 or tasa == 5):
            if prop is None:
                return it.iva_tipo, HUNDRED, tasa
            if str(prop) == "100":
                return it.iva_tipo, prop, tasa
        if it.iva_tipo is None:
            self.add(
                "CAMPO_REQUERIDO",
                f"{path}.ivaTipo",
                "Indique ivaTipo (1 gravado, 2 exonerado, 3 exento, 4 gravado parcial)",
            )
            return None
        if rules.check_code("iAfecIVA", it.iva_tipo, f"{path}.ivaTipo", self.issues) is None:
            return None
        tipo = it.iva_tipo
        if tipo in (1, 4):
            tasa = it.iva
            if tasa not in (5, 10):
                self.add("IVA_INCONSISTENTE", f"{path}.iva", "Para ítems gravados la tasa de IVA es 5 o 10")
                return None
            prop = it.iva_proporcion if it.iva_proporcion is not None else (HUNDRED if tipo == 1 else None)
            if prop is None:
                self.add(
                    "CAMPO_REQUERIDO",
                    f"{path}.ivaProporcion",
                    "Gravado parcial (4): indique la proporción gravada (ivaProporcion, 1 a 99)",
                )
                return None
            if tipo == 1 and prop != HUNDRED:
                self.add(
                    "IVA_INCONSISTENTE",
                    f"{path}.ivaProporcion",
                    "Gravado (1) se informa con proporción 100; use ivaTipo 4 para gravado parcial",
                )
                return None
            if tipo == 4 and not (ZERO < prop < HUNDRED):
                self.add(
                    "IVA_INCONSISTENTE",
                    f"{path}.ivaProporcion",
                    "Gravado parcial (4): la proporción gravada debe estar entre 0 y 100 (exclusivo)",
                )
                return None
            if rules.check_amount(prop, f"{path}.ivaProporcion", self.issues) is None:
                return None
            return tipo, prop, tasa
        if it.iva not in (None, 0):
            self.add("IVA_INCONSISTENTE", f"{path}.iva", "Ítems exentos o exonerados llevan tasa 0")
            return None
        if it.iva_proporcion not in (None, ZERO):
            self.add(
                "IVA_INCONSISTENTE", f"{path}.ivaProporcion", "Ítems exentos o exonerados llevan proporción 0"
            )
            return None
        return tipo, ZERO, 0

    def _ras_merc(self, it: Item, path: str) -> de.GRasMerc | None:
        if (
            it.lote is None
            and it.vencimiento is None
            and it.numero_serie is None
            and it.numero_pedido is None
            and it.numero_seguimiento is None
            and it.registro_senave is None
            and it.registro_entidad_comercial is None
            and it.nombre_producto is None
        ):
            return None
        venc = (
            rules.check_date(it.vencimiento, f"{path}.vencimiento", self.issues) if it.vencimiento else None
        )
        return de.GRasMerc(
            dNumLote=it.lote,
            dVencMerc=venc,
            dNSerie=it.numero_serie,
            dNumPedi=it.numero_pedido,
            dNumSegui=it.numero_seguimiento,
            dNumReg=it.registro_senave,
            dNumRegEntCom=it.registro_entidad_comercial,
            dNomPro=it.nombre_producto,
        )

    def _vehiculo_nuevo(self, it: Item, path: str) -> de.GVehNuevo | None:
        a = it.sector_automotor
        if a is None:
            return None
        p = f"{path}.sectorAutomotor"
        g = de.GVehNuevo(
            dChasis=a.chasis,
            dColor=a.color,
            dPotencia=a.potencia,
            dCapMot=a.capacidad_motor,
            dPNet=a.peso_neto,
            dPBruto=a.peso_bruto,
            dNroMotor=a.numero_motor,
            dCapTracc=a.capacidad_traccion,
            cTipVeh=a.tipo_vehiculo,
            dCapac=a.capacidad_pasajeros,
        )
        # dCilin (E786) is not emitted: the published XSD pattern is the literal "/d" (a typo for
        # "\d"), so no real value can validate; cilindradas is accepted and ignored.
        if a.tipo is not None:
            g.iTipOpVN = a.tipo
            g.dDesTipOpVN = rules.check_code("iTipOpVN", a.tipo, f"{p}.tipo", self.issues)
        if a.tipo_combustible is not None:
            g.iTipCom = a.tipo_combustible
            g.dDesTipCom = rules.check_code(
                "iTipCom",
                a.tipo_combustible,
                f"{p}.tipoCombustible",
                self.issues,
                a.tipo_combustible_descripcion,
                f"{p}.tipoCombustibleDescripcion",
            )
        if a.anio is not None:
            if not 1000 <= a.anio <= 9999:
                self.add("VALOR_INVALIDO", f"{p}.año", "Año de fabricación de 4 dígitos")
            g.dAnoFab = str(a.anio)
        if a.chasis is not None and (len(a.chasis) != 17 or not a.chasis.isalnum()):
            self.add("VALOR_INVALIDO", f"{p}.chasis", "El chasis tiene 17 caracteres alfanuméricos")
        return g


def _replace(i: tot.ItemInput, **changes: Decimal) -> tot.ItemInput:

    return replace(i, **changes)  # type: ignore[arg-type]


def _fill_item_values(
    item: de.GCamItem, inp: tot.ItemInput, am: tot.ItemAmounts, afe: bool, with_iva: bool
) -> None:
    resta = de.GValorRestaItem(
        dDescItem=inp.descuento if inp.descuento else ZERO,
        dPorcDesIt=am.dPorcDesIt if inp.descuento else None,
        dDescGloItem=inp.descuento_global,
        dAntPreUniIt=inp.anticipo if inp.anticipo else None,
        dAntGloPreUniIt=inp.anticipo_global if inp.anticipo_global else None,
        dTotOpeItem=am.dTotOpeItem,
        dTotOpeGs=am.dTotOpeGs,
    )
    item.gValorItem = de.GValorItem(
        dPUniProSer=inp.precio_unitario,
        dTiCamIt=inp.cambio,
        dTotBruOpeItem=am.dTotBruOpeItem,
        gValorRestaItem=resta,
    )
    if with_iva:
        item.gCamIVA = de.GCamIVA(
            iAfecIVA=inp.afectacion,
            dDesAfecIVA=code_list("iAfecIVA")[inp.afectacion],
            dPropIVA=inp.proporcion,
            dTasaIVA=inp.tasa,
            dBasGravIVA=am.dBasGravIVA,
            dLiqIVAItem=am.dLiqIVAItem,
            dBasExe=am.dBasExe,
        )
