"""Transport (gTransp: gCamSal, gCamEnt, gVehTras, gCamTrans), MT v150 E10."""

from __future__ import annotations

from sifenflow_common.documents.map_base import MapperBase, _numero_casa
from sifenflow_common.facturasend import rules
from sifenflow_common.facturasend.models import (
    Direccion,
    Transporte,
)
from sifenflow_common.sifen import codes, de


class TransportMixin(MapperBase):
    def _direccion(self, x: Direccion, path: str, kind: str) -> de.GCamSal | de.GCamEnt | None:
        geo = rules.check_geo(
            path,
            self.issues,
            x.departamento,
            x.distrito,
            x.ciudad,
            x.departamento_descripcion,
            x.distrito_descripcion,
            x.ciudad_descripcion,
        )
        casa = _numero_casa(x.numero_casa, f"{path}.numeroCasa", self.issues)
        if geo is None or casa is None:
            return None
        if kind == "sal":
            return de.GCamSal(
                dDirLocSal=x.direccion,
                dNumCasSal=casa,
                dComp1Sal=x.complemento_direccion1,
                dComp2Sal=x.complemento_direccion2,
                cDepSal=geo.dep,
                dDesDepSal=geo.dep_desc,
                cDisSal=geo.dis,
                dDesDisSal=geo.dis_desc,
                cCiuSal=geo.ciu,
                dDesCiuSal=geo.ciu_desc,
                dTelSal=x.telefono_contacto,
            )
        return de.GCamEnt(
            dDirLocEnt=x.direccion,
            dNumCasEnt=casa,
            dComp1Ent=x.complemento_direccion1,
            dComp2Ent=x.complemento_direccion2,
            cDepEnt=geo.dep,
            dDesDepEnt=geo.dep_desc,
            cDisEnt=geo.dis,
            dDesDisEnt=geo.dis_desc,
            cCiuEnt=geo.ciu,
            dDesCiuEnt=geo.ciu_desc,
            dTelEnt=x.telefono_contacto,
        )

    def _transporte(self, t: Transporte | None) -> de.GTransp | None:
        path = "data.transporte"
        nre = self.tipo == 7
        if t is None:
            self.add("GRUPO_REQUERIDO", path, "La nota de remisión necesita el grupo transporte (MT E900)")
            return None
        mod = rules.check_code("iModTrans", t.modalidad, f"{path}.modalidad", self.issues)
        rules.check_in(
            t.tipo_responsable, codes.TIPO_RESPONSABLE_FLETE, f"{path}.tipoResponsable", self.issues
        )
        g = de.GTransp(
            iModTrans=t.modalidad,
            dDesModTrans=mod or "",
            iRespFlete=t.tipo_responsable,
            dNuManif=t.numero_manifiesto,
            dNuDespImp=t.numero_despacho_importacion,
        )
        if t.tipo is not None:
            g.iTipTrans = t.tipo
            g.dDesTipTrans = rules.check_code("iTipTrans", t.tipo, f"{path}.tipo", self.issues)
        elif nre:
            self.add(
                "CAMPO_REQUERIDO",
                f"{path}.tipo",
                "Nota de remisión: indique el tipo de transporte (1 propio, 2 tercero)",
            )
        if t.condicion_negociacion is not None:
            if t.condicion_negociacion not in (
                "CFR",
                "CIF",
                "CIP",
                "CPT",
                "DAP",
                "DAT",
                "DDP",
                "EXW",
                "FAS",
                "FCA",
                "FOB",
            ):
                self.add("CODIGO_NO_PERMITIDO", f"{path}.condicionNegociacion", "Incoterm no permitido")
            g.cCondNeg = t.condicion_negociacion
        if t.inicio_estimado_translado:
            g.dIniTras = rules.check_date(
                t.inicio_estimado_translado, f"{path}.inicioEstimadoTranslado", self.issues
            )
        if t.fin_estimado_translado:
            g.dFinTras = rules.check_date(
                t.fin_estimado_translado, f"{path}.finEstimadoTranslado", self.issues
            )
        if g.dIniTras and g.dFinTras and g.dFinTras < g.dIniTras:
            self.add(
                "TRANSPORTE_INVALIDO",
                f"{path}.finEstimadoTranslado",
                "El fin del traslado es anterior a su inicio",
            )
        if t.pais_destino is not None:
            g.cPaisDest = t.pais_destino.upper()
            g.dDesPaisDest = rules.check_pais(
                t.pais_destino,
                f"{path}.paisDestino",
                self.issues,
                t.pais_destino_nombre,
                f"{path}.paisDestinoNombre",
            )
        if t.salida is not None:
            sal = self._direccion(t.salida, f"{path}.salida", "sal")
            g.gCamSal = sal if isinstance(sal, de.GCamSal) else None
        elif nre:
            self.add(
                "CAMPO_REQUERIDO", f"{path}.salida", "Nota de remisión: indique el local de salida (MT E920)"
            )
        entregas = t.entrega if isinstance(t.entrega, list) else [t.entrega] if t.entrega else []
        for idx, e in enumerate(entregas):
            ent = self._direccion(
                e, f"{path}.entrega" + (f"[{idx}]" if isinstance(t.entrega, list) else ""), "ent"
            )
            if isinstance(ent, de.GCamEnt):
                g.gCamEnt.append(ent)
        if not entregas and nre:
            self.add(
                "CAMPO_REQUERIDO",
                f"{path}.entrega",
                "Nota de remisión: indique el local de entrega (MT E940)",
            )
        vehiculos = t.vehiculo if isinstance(t.vehiculo, list) else [t.vehiculo] if t.vehiculo else []
        for idx, v in enumerate(vehiculos[:4]):
            vp = f"{path}.vehiculo" + (f"[{idx}]" if isinstance(t.vehiculo, list) else "")
            veh = de.GVehTras(
                dTiVehTras=v.tipo,
                dMarVeh=v.marca,
                dTipIdenVeh=str(v.documento_tipo),
                dAdicVeh=v.obs,
                dNroVuelo=v.numero_vuelo,
            )
            if v.documento_tipo == 1:
                if v.documento_numero is None:
                    self.add(
                        "CAMPO_REQUERIDO",
                        f"{vp}.documentoNumero",
                        "Vehículo identificado por número: indíquelo",
                    )
                veh.dNroIDVeh = v.documento_numero
            elif v.documento_tipo == 2:
                if v.numero_matricula is None:
                    self.add(
                        "CAMPO_REQUERIDO",
                        f"{vp}.numeroMatricula",
                        "Vehículo identificado por matrícula: indíquela",
                    )
                veh.dNroMatVeh = v.numero_matricula
            else:
                self.add(
                    "CODIGO_NO_PERMITIDO", f"{vp}.documentoTipo", "Tipo de identificación del vehículo: 1 o 2"
                )
            if t.modalidad == 3 and v.numero_vuelo is None:
                self.add(
                    "TRANSPORTE_INVALIDO", f"{vp}.numeroVuelo", "Transporte aéreo: indique el número de vuelo"
                )
            g.gVehTras.append(veh)
        if len(vehiculos) > 4:
            self.add("LONGITUD_INVALIDA", f"{path}.vehiculo", "Como máximo 4 vehículos")
        if not vehiculos and nre:
            self.add("CAMPO_REQUERIDO", f"{path}.vehiculo", "Nota de remisión: indique el vehículo (MT E960)")
        if t.transportista is not None:
            g.gCamTrans = self._transportista(t, f"{path}.transportista")
        elif nre:
            self.add(
                "CAMPO_REQUERIDO",
                f"{path}.transportista",
                "Nota de remisión: indique el transportista (MT E980)",
            )
        return g

    def _transportista(self, t: Transporte, path: str) -> de.GCamTrans | None:
        tr = t.transportista
        assert tr is not None
        g = de.GCamTrans(
            iNatTrans=1 if tr.contribuyente else 2,
            dNomTrans=tr.nombre,
            dNumIDChof=tr.chofer.documento_numero,
            dNomChof=tr.chofer.nombre,
            dDomFisc=tr.direccion,
            dDirChof=tr.chofer.direccion,
        )
        if tr.contribuyente:
            if tr.ruc is None:
                self.add(
                    "CAMPO_REQUERIDO", f"{path}.ruc", "Transportista contribuyente: indique su RUC con DV"
                )
            else:
                ruc = rules.check_ruc(tr.ruc, f"{path}.ruc", self.issues)
                if ruc is not None:
                    g.dRucTrans, g.dDVTrans = ruc
        else:
            if tr.documento_tipo is None or tr.documento_numero is None:
                self.add(
                    "CAMPO_REQUERIDO",
                    f"{path}.documentoTipo",
                    "Transportista no contribuyente: indique documentoTipo y documentoNumero",
                )
            else:
                g.iTipIDTrans = tr.documento_tipo
                g.dDTipIDTrans = rules.check_code(
                    "iTipIDTrans", tr.documento_tipo, f"{path}.documentoTipo", self.issues
                )
                g.dNumIDTrans = tr.documento_numero
        if tr.pais is not None:
            g.cNacTrans = tr.pais.upper()
            g.dDesNacTrans = rules.check_pais(
                tr.pais, f"{path}.pais", self.issues, tr.pais_descripcion, f"{path}.paisDescripcion"
            )
        if tr.agente is not None:
            ag = tr.agente
            g.dNombAg, g.dDirAge = ag.nombre, ag.direccion
            if ag.ruc is not None:
                ruc = rules.check_ruc(ag.ruc, f"{path}.agente.ruc", self.issues)
                if ruc is not None:
                    g.dRucAg, g.dDVAg = ruc
        return g
