"""Sector groups (gCamEsp), associated documents (gCamDEAsoc) and gCamGen, MT v150 E9, G, H."""

from __future__ import annotations

from sifenflow_common.documents.map_base import MapperBase
from sifenflow_common.facturasend import rules
from sifenflow_common.facturasend.models import (
    DocumentoAsociado,
    Poliza,
)
from sifenflow_common.sifen import codes, de
from sifenflow_common.sifen.cdc import is_valid_cdc


class ExtrasMixin(MapperBase):
    # ------------------------------------------------------------------ sectors, transport, assoc.
    def _sectores(self) -> de.GCamEsp | None:
        d = self.d
        g = de.GCamEsp()
        energia = d.sector_energia_electrica
        for e in energia if isinstance(energia, list) else [energia] if energia else []:
            consumo = None
            if e.lectura_actual is not None and e.lectura_anterior is not None:
                consumo = e.lectura_actual - e.lectura_anterior
                if consumo < 0:
                    self.add(
                        "VALOR_INVALIDO",
                        "data.sectorEnergiaElectrica.lecturaActual",
                        "La lectura actual no puede ser menor que la anterior",
                    )
                    consumo = None
            g.gGrupEner.append(
                de.GGrupEner(
                    dNroMed=e.numero_medidor,
                    dActiv=e.codigo_actividad,
                    dCateg=e.codigo_categoria,
                    dLecAnt=e.lectura_anterior,
                    dLecAct=e.lectura_actual,
                    dConKwh=consumo,
                )
            )
        if d.sector_seguros is not None:
            g.gGrupSeg = self._seguros()
        s = d.sector_supermercados
        if s is not None:
            g.gGrupSup = de.GGrupSup(
                dNomCaj=s.nombre_cajero,
                dEfectivo=s.efectivo,
                dVuelto=s.vuelto,
                dDonac=s.donacion,
                dDesDonac=s.donacion_descripcion,
            )
        a = d.sector_adicional
        if a is not None:
            p = "data.sectorAdicional"
            venc = a.vencimiento_pago
            vencs = venc if isinstance(venc, list) else [venc] if venc else []
            if len(vencs) > 3:
                self.add("LONGITUD_INVALIDA", f"{p}.vencimientoPago", "Como máximo 3 vencimientos de pago")
            g.gGrupAdi = de.GGrupAdi(
                dCiclo=a.ciclo,
                dFecIniC=rules.check_date(a.inicio_ciclo, f"{p}.inicioCiclo", self.issues)
                if a.inicio_ciclo
                else None,
                dFecFinC=rules.check_date(a.fin_ciclo, f"{p}.finCiclo", self.issues) if a.fin_ciclo else None,
                dVencPag=[
                    v
                    for v in (rules.check_date(x, f"{p}.vencimientoPago", self.issues) for x in vencs[:3])
                    if v
                ],
                dContrato=a.numero_contrato,
                dSalAnt=a.saldo_anterior,
                dCodConDncp=a.codigo_contratacion_dncp,
            )
        if not g.gGrupEner and g.gGrupSeg is None and g.gGrupSup is None and g.gGrupAdi is None:
            return None
        return g

    def _seguros(self) -> de.GGrupSeg | None:
        s = self.d.sector_seguros
        assert s is not None
        p = "data.sectorSeguros"
        polizas = list(s.polizas or [])
        g = de.GGrupSeg(dCodEmpSeg=s.codigo_aseguradora)

        if s.codigo_poliza is not None:
            if s.vigencia_unidad is None or s.vigencia is None or s.numero_poliza is None:
                self.add(
                    "CAMPO_REQUERIDO", p, "Póliza: codigoPoliza, vigenciaUnidad, vigencia y numeroPoliza"
                )
                return None
            polizas.insert(
                0,
                Poliza(
                    codigo_poliza=s.codigo_poliza,
                    vigencia_unidad=s.vigencia_unidad,
                    vigencia=s.vigencia,
                    numero_poliza=s.numero_poliza,
                    inicio_vigencia=s.inicio_vigencia,
                    fin_vigencia=s.fin_vigencia,
                    codigo_interno_item=s.codigo_interno_item,
                ),
            )
        if not polizas:
            self.add("CAMPO_REQUERIDO", f"{p}.codigoPoliza", "El sector seguros necesita al menos una póliza")
            return None
        for idx, pol in enumerate(polizas):
            pp = f"{p}.polizas[{idx}]" if s.polizas else p
            ini = (
                rules.check_datetime(pol.inicio_vigencia, f"{pp}.inicioVigencia", self.issues)
                if pol.inicio_vigencia
                else None
            )
            fin = (
                rules.check_datetime(pol.fin_vigencia, f"{pp}.finVigencia", self.issues)
                if pol.fin_vigencia
                else None
            )
            g.gGrupPolSeg.append(
                de.GGrupPolSeg(
                    dPoliza=pol.codigo_poliza,
                    dUnidVig=pol.vigencia_unidad,
                    dVigencia=pol.vigencia,
                    dNumPoliza=pol.numero_poliza,
                    dFecIniVig=ini,
                    dFecFinVig=fin,
                    dCodInt=pol.codigo_interno_item,
                )
            )
        return g

    def _asociados(self) -> list[de.GCamDEAsoc]:
        d, tipo = self.d, self.tipo
        raw = d.documento_asociado
        docs = raw if isinstance(raw, list) else [raw] if raw is not None else []
        is_list = isinstance(raw, list)
        if tipo in (5, 6) and not docs:
            self.add(
                "GRUPO_REQUERIDO",
                "data.documentoAsociado",
                "Notas de crédito/débito: indique el documento asociado (MT H001)",
            )
        if tipo == 4 and not any(x.formato == 3 for x in docs):
            self.add(
                "GRUPO_REQUERIDO",
                "data.documentoAsociado",
                "Autofactura: indique la constancia de no contribuyente (documentoAsociado.formato 3)",
            )
        if len(docs) > 99:
            self.add("LONGITUD_INVALIDA", "data.documentoAsociado", "Como máximo 99 documentos asociados")
        out: list[de.GCamDEAsoc] = []
        for idx, x in enumerate(docs[:99]):
            g = self._asociado(x, f"data.documentoAsociado[{idx}]" if is_list else "data.documentoAsociado")
            if g is not None:
                out.append(g)
        return out

    def _asociado(self, x: DocumentoAsociado, path: str) -> de.GCamDEAsoc | None:
        desc = rules.check_code("iTipDocAso", x.formato, f"{path}.formato", self.issues)
        if desc is None:
            return None
        g = de.GCamDEAsoc(iTipDocAso=x.formato, dDesTipDocAso=desc)
        if x.formato == 1:
            if x.cdc is None or not is_valid_cdc(x.cdc):
                self.add(
                    "CDC_INVALIDO",
                    f"{path}.cdc",
                    "Documento electrónico asociado: CDC de 44 dígitos con dígito verificador correcto",
                )
                return None
            g.dCdCDERef = x.cdc
        elif x.formato == 2:
            missing = [
                k
                for k, v in (
                    ("timbrado", x.timbrado),
                    ("establecimiento", x.establecimiento),
                    ("punto", x.punto),
                    ("numero", x.numero),
                    ("tipoDocumentoImpreso", x.tipo_documento_impreso),
                    ("fecha", x.fecha),
                )
                if v is None
            ]
            for k in missing:
                self.add(
                    "DOCUMENTO_ASOCIADO_INVALIDO", f"{path}.{k}", f"Documento impreso asociado: falta {k}"
                )
            if missing:
                return None
            assert x.timbrado is not None and x.establecimiento is not None and x.punto is not None
            assert x.numero is not None and x.tipo_documento_impreso is not None and x.fecha is not None
            g.dNTimDI = rules.check_padded(x.timbrado, 8, f"{path}.timbrado", self.issues, "timbrado")
            g.dEstDocAso = rules.check_padded(
                x.establecimiento, 3, f"{path}.establecimiento", self.issues, "establecimiento"
            )
            g.dPExpDocAso = rules.check_padded(x.punto, 3, f"{path}.punto", self.issues, "punto")
            g.dNumDocAso = rules.check_padded(x.numero, 7, f"{path}.numero", self.issues, "número")
            g.iTipoDocAso = x.tipo_documento_impreso
            g.dDTipoDocAso = rules.check_code(
                "iTipoDocAso", x.tipo_documento_impreso, f"{path}.tipoDocumentoImpreso", self.issues
            )
            fecha = rules.check_date(x.fecha, f"{path}.fecha", self.issues)
            g.dFecEmiDI = fecha
        else:
            if x.constancia_tipo is None or x.constancia_numero is None or x.constancia_control is None:
                self.add(
                    "DOCUMENTO_ASOCIADO_INVALIDO",
                    path,
                    "Constancia electrónica: indique constanciaTipo, constanciaNumero y constanciaControl",
                )
                return None
            g.iTipCons = x.constancia_tipo
            g.dDesTipCons = rules.check_code(
                "iTipCons", x.constancia_tipo, f"{path}.constanciaTipo", self.issues
            )
            g.dNumCons = rules.check_digits(
                x.constancia_numero, f"{path}.constanciaNumero", self.issues, "Número de constancia", 11, 11
            )
            ctrl = x.constancia_control
            if len(ctrl) != 8 or not all(ch.isalnum() or ch == "-" for ch in ctrl):
                self.add(
                    "DOCUMENTO_ASOCIADO_INVALIDO",
                    f"{path}.constanciaControl",
                    "Código de control de la constancia: 8 caracteres alfanuméricos",
                )
            g.dNumControl = ctrl
        if x.numero_retencion is not None:
            g.dNumComRet = x.numero_retencion
        if x.resolucion_credito_fiscal is not None:
            g.dNumResCF = x.resolucion_credito_fiscal
        return g

    def _complementarios(self) -> de.GCamGen | None:
        c = self.d.complementarios
        if c is None:
            return None
        g = de.GCamGen(dOrdCompra=c.orden_compra, dOrdVta=c.orden_venta, dAsiento=c.numero_asiento)
        if c.carga is not None:
            k = c.carga
            p = "data.complementarios.carga"
            carga = de.GCamCarg(dTotVolMerc=k.volumen_total, dTotPesMerc=k.peso_total)
            if k.unidad_medida_volumen_total is not None:
                carga.cUniMedTotVol = k.unidad_medida_volumen_total
                carga.dDesUniMedTotVol = rules.check_unidad(
                    k.unidad_medida_volumen_total, f"{p}.unidadMedidaVolumenTotal", self.issues
                )
            if k.unidad_medida_peso_total is not None:
                carga.cUniMedTotPes = k.unidad_medida_peso_total
                carga.dDesUniMedTotPes = rules.check_unidad(
                    k.unidad_medida_peso_total, f"{p}.unidadMedidaPesoTotal", self.issues
                )
            if k.caracteristica_carga is not None:
                carga.iCarCarga = rules.check_in(
                    k.caracteristica_carga,
                    codes.CARACTERISTICA_CARGA,
                    f"{p}.caracteristicaCarga",
                    self.issues,
                )
                if k.caracteristica_carga == 3:
                    if not k.caracteristica_carga_descripcion:
                        self.add(
                            "DESCRIPCION_REQUERIDA",
                            f"{p}.caracteristicaCargaDescripcion",
                            "Característica 3 (otro): indique la descripción",
                        )
                    carga.dDesCarCarga = k.caracteristica_carga_descripcion
                else:
                    from sifenflow_common.sifen.catalogs import caracteristica_carga

                    carga.dDesCarCarga = caracteristica_carga().get(k.caracteristica_carga)
            g.gCamCarg = carga
        return g
