"""Emisor (gEmis, gRespDE) and receptor (gDatRec) groups, MT v150 D1-D2."""

from __future__ import annotations

from sifenflow_common.documents.map_base import TEST_ENV_NAME, MapperBase, _numero_casa
from sifenflow_common.facturasend import rules
from sifenflow_common.facturasend.models import (
    Cliente,
    Establecimiento,
)
from sifenflow_common.sifen import codes, de


class PartiesMixin(MapperBase):
    def _emisor(self, est: Establecimiento | None, ruc: tuple[str, int] | None) -> de.GEmis | None:
        p = self.p
        idx = self.p.establecimientos.index(est) if est is not None else 0
        path = f"params.establecimientos[{idx}]"
        if p.tipo_regimen is not None:
            rules.check_in(p.tipo_regimen, set(range(1, 9)), "params.tipoRegimen", self.issues)
        if est is None:
            return None
        geo = rules.check_geo(
            path,
            self.issues,
            est.departamento,
            est.distrito,
            est.ciudad,
            est.departamento_descripcion,
            est.distrito_descripcion,
            est.ciudad_descripcion,
        )
        email = rules.first_email(est.email, f"{path}.email", self.issues)
        numero_casa = _numero_casa(est.numero_casa, f"{path}.numeroCasa", self.issues)
        if geo is None or email is None or numero_casa is None or ruc is None:
            return None
        name = TEST_ENV_NAME if self.env == "test" else p.razon_social
        return de.GEmis(
            dRucEm=ruc[0],
            dDVEmi=ruc[1],
            iTipCont=p.tipo_contribuyente,
            cTipReg=p.tipo_regimen,
            dNomEmi=name,
            dNomFanEmi=p.nombre_fantasia,
            dDirEmi=est.direccion,
            dNumCas=numero_casa,
            dCompDir1=est.complemento_direccion1,
            dCompDir2=est.complemento_direccion2,
            cDepEmi=geo.dep,
            dDesDepEmi=geo.dep_desc,
            cDisEmi=geo.dis,
            dDesDisEmi=geo.dis_desc,
            cCiuEmi=geo.ciu,
            dDesCiuEmi=geo.ciu_desc,
            dTelEmi=est.telefono,
            dEmailE=email,
            dDenSuc=est.denominacion,
            gActEco=[
                de.GActEco(cActEco=a.codigo, dDesActEco=a.descripcion) for a in p.actividades_economicas
            ],
            gRespDE=self._usuario(),
        )

    def _usuario(self) -> de.GRespDE | None:
        u = self.d.usuario
        if u is None:
            return None
        desc = rules.check_code(
            "iTipIDRespDE",
            u.documento_tipo,
            "data.usuario.documentoTipo",
            self.issues,
            u.documento_tipo_descripcion,
            "data.usuario.documentoTipoDescripcion",
        )
        if desc is None:
            return None
        return de.GRespDE(
            iTipIDRespDE=u.documento_tipo,
            dDTipIDRespDE=desc,
            dNumIDRespDE=u.documento_numero,
            dNomRespDE=u.nombre,
            dCarRespDE=u.cargo,
        )

    def _receptor(self, c: Cliente) -> tuple[de.GDatRec | None, str | None]:
        path = "data.cliente"
        ope = rules.check_in(c.tipo_operacion, {1, 2, 3, 4}, f"{path}.tipoOperacion", self.issues)
        pais_desc = rules.check_pais(
            c.pais, f"{path}.pais", self.issues, c.pais_descripcion, f"{path}.paisDescripcion"
        )
        rec = de.GDatRec(
            iNatRec=1 if c.contribuyente else 2,
            iTiOpe=ope or 1,
            cPaisRec=c.pais.upper(),
            dDesPaisRe=pais_desc or "",
            dNomRec=c.razon_social,
            dNomFanRec=c.nombre_fantasia,
        )
        if c.contribuyente:
            if ope == 4:
                self.add(
                    "RECEPTOR_INVALIDO",
                    f"{path}.contribuyente",
                    "Una operación B2F (4) requiere un receptor no contribuyente del exterior",
                )
            if c.ruc is None:
                self.add("CAMPO_REQUERIDO", f"{path}.ruc", "Receptor contribuyente: indique su RUC con DV")
            else:
                ruc = rules.check_ruc(c.ruc, f"{path}.ruc", self.issues)
                if ruc is not None:
                    rec.dRucRec, rec.dDVRec = ruc
            if c.tipo_contribuyente is None:
                self.add(
                    "CAMPO_REQUERIDO",
                    f"{path}.tipoContribuyente",
                    "Receptor contribuyente: indique tipoContribuyente (1 física, 2 jurídica)",
                )
            else:
                rec.iTiContRec = rules.check_in(
                    c.tipo_contribuyente, {1, 2}, f"{path}.tipoContribuyente", self.issues
                )
            if c.documento_tipo is not None:
                self.add(
                    "RECEPTOR_INVALIDO",
                    f"{path}.documentoTipo",
                    "Un receptor contribuyente se identifica por RUC, no por documentoTipo (MT 1322)",
                )
        elif ope == 4:
            if c.pais.upper() == "PRY":
                self.add(
                    "RECEPTOR_INVALIDO",
                    f"{path}.pais",
                    "Una operación B2F (4) requiere un país distinto de PRY",
                )
            if c.documento_tipo is not None:
                self.add(
                    "RECEPTOR_INVALIDO",
                    f"{path}.documentoTipo",
                    "En operaciones B2F (4) no se informa el tipo de documento del receptor (MT 1311)",
                )
        else:
            if c.documento_tipo is None:
                self.add(
                    "CAMPO_REQUERIDO",
                    f"{path}.documentoTipo",
                    "Receptor no contribuyente: indique documentoTipo (1 cédula … 5 innominado, 9 otro)",
                )
            else:
                rec.iTipIDRec = c.documento_tipo
                rec.dDTipIDRec = rules.check_code(
                    "iTipIDRec",
                    c.documento_tipo,
                    f"{path}.documentoTipo",
                    self.issues,
                    c.documento_tipo_descripcion,
                    f"{path}.documentoTipoDescripcion",
                )
                if c.documento_tipo == codes.TIPO_ID_INNOMINADO:
                    if ope != 2:
                        self.add(
                            "INNOMINADO_NO_PERMITIDO",
                            f"{path}.documentoTipo",
                            "El receptor innominado solo se admite en operaciones B2C (2) (MT 1319)",
                        )
                    rec.dNumIDRec = "0"
                    rec.dNomRec = "Sin Nombre"
                elif c.documento_numero is None:
                    self.add(
                        "CAMPO_REQUERIDO",
                        f"{path}.documentoNumero",
                        "Receptor no contribuyente: indique el número de documento",
                    )
                else:
                    if not all(ch.isalnum() or ch == "-" for ch in c.documento_numero):
                        self.add(
                            "VALOR_INVALIDO",
                            f"{path}.documentoNumero",
                            "El número de documento admite letras, dígitos y '-' (hasta 20)",
                        )
                    rec.dNumIDRec = c.documento_numero
        if len(rec.dNomRec) < 4:
            self.add(
                "LONGITUD_INVALIDA", f"{path}.razonSocial", "La razón social debe tener al menos 4 caracteres"
            )
        if (self.tipo == 7 or ope == 4) and c.direccion is None:
            self.add(
                "CAMPO_REQUERIDO",
                f"{path}.direccion",
                "La dirección del receptor es obligatoria en notas de remisión y operaciones B2F",
            )
        if c.direccion is not None:
            rec.dDirRec = c.direccion
            rec.dNumCasRec = _numero_casa(
                c.numero_casa if c.numero_casa is not None else 0, f"{path}.numeroCasa", self.issues
            )
            if ope != 4:
                geo = rules.check_geo(
                    path,
                    self.issues,
                    c.departamento,
                    c.distrito,
                    c.ciudad,
                    c.departamento_descripcion,
                    c.distrito_descripcion,
                    c.ciudad_descripcion,
                )
                if geo is not None:
                    rec.cDepRec, rec.dDesDepRec, rec.cDisRec = geo.dep, geo.dep_desc, geo.dis
                    rec.dDesDisRec, rec.cCiuRec, rec.dDesCiuRec = geo.dis_desc, geo.ciu, geo.ciu_desc
        if c.telefono is not None:
            if not 6 <= len(c.telefono) <= 15:
                self.add("LONGITUD_INVALIDA", f"{path}.telefono", "El teléfono tiene entre 6 y 15 caracteres")
            rec.dTelRec = c.telefono
        if c.celular is not None:
            if not 10 <= len(c.celular) <= 20:
                self.add("LONGITUD_INVALIDA", f"{path}.celular", "El celular tiene entre 10 y 20 caracteres")
            rec.dCelRec = c.celular
        email = rules.first_email(c.email, f"{path}.email", self.issues) if c.email else None
        rec.dEmailRec = email
        rec.dCodCliente = c.codigo
        if ope == 3 and self.tipo == 1 and self._dncp() is None:
            self.add(
                "DNCP_REQUERIDO",
                "data.dncp",
                "Operación B2G (3): indique los datos del contrato DNCP (data.dncp o data.factura.dncp)",
            )
        return rec, email
