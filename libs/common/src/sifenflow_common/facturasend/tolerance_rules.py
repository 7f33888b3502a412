"""The context rules of the tolerance policy (``tolerance.RULES``): what FacturaSend ignores.

Each rule reads the cleaned document (camelCase keys, no blank values), removes what FacturaSend
would not use in that context and notes it, so the engine never refuses it and the integrator still
learns that it was not used. Codes, paths and messages: docs/document-engine.md, "Tolerancia".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sifenflow_common.facturasend.tolerance_edit import Edit
from sifenflow_common.sifen import catalogs
from sifenflow_common.sifen.codes import CODE_LISTS

_RECEPTOR_IDS = ("documentoTipo", "documentoTipoDescripcion", "documentoNumero")
_CONTRIBUYENTE_ONLY = ("ruc", "tipoContribuyente")


def _true(value: Any) -> bool:
    return value is True or (type(value) is str and value.strip().lower() == "true")


def _false(value: Any) -> bool:
    return value is False or (type(value) is str and value.strip().lower() == "false")


def _ignore(cliente: dict[str, Any], keys: tuple[str, ...], why: str) -> list[Edit]:
    return [
        Edit(("cliente",), key, "CAMPO_IGNORADO", f"{key} ignorado: {why}") for key in keys if key in cliente
    ]


def receptor_identity(data: dict[str, Any]) -> list[Edit]:
    """A contribuyente receptor is identified by its RUC (D206): documentoTipo / documentoNumero next
    to it are ignored, as FacturaSend's own examples send them. A B2F receptor (D202 = 4) has no
    identity document in SIFEN (MT 1311); a non-contribuyente one no RUC nor tipoContribuyente."""
    cliente = data.get("cliente")
    if type(cliente) is not dict:
        return []
    contribuyente = cliente.get("contribuyente")
    if _true(contribuyente):
        if "ruc" not in cliente:
            return []  # the engine asks for the RUC; the documento is not what is wrong
        return _ignore(cliente, _RECEPTOR_IDS, "un receptor contribuyente se identifica por su RUC")
    if not _false(contribuyente):
        return []
    edits = _ignore(
        cliente,
        _CONTRIBUYENTE_ONLY,
        "solo se informa para un receptor contribuyente (contribuyente es false)",
    )
    if str(cliente.get("tipoOperacion", "")).strip() == "4":
        edits += _ignore(
            cliente, _RECEPTOR_IDS, "en operaciones B2F (4) SIFEN no recibe el documento del receptor"
        )
    return edits


# ------------------------------------------------------------------ descriptions of coded values

Describe = Callable[[Any], str | None]  # the catalog's description of a code; None = not checkable


def _int(code: Any) -> int | None:
    if type(code) is int:
        return code
    if type(code) is str and code.strip().isdigit():
        return int(code)
    return None


def _code_list(name: str) -> Describe:
    otro = CODE_LISTS[name].otro

    def describe(code: Any) -> str | None:
        number = _int(code)
        if number is None or number == otro:
            return None  # an 'otro' code's description is the issuer's own text
        return catalogs.code_list(name).get(number)

    return describe


def _pais(code: Any) -> str | None:
    return catalogs.paises().get(code.upper()) if isinstance(code, str) else None


def _moneda(code: Any) -> str | None:
    name = catalogs.monedas().get(code.upper()) if isinstance(code, str) else None
    return name[:20] if name else None  # D016 keeps 20 characters


def _unidad(code: Any) -> str | None:
    number = _int(code)
    return catalogs.unidades_medida().get(number) if number is not None else None


def _departamento(code: Any) -> str | None:
    number = _int(code)
    return catalogs.geografia().departamentos.get(number) if number is not None else None


def _distrito(code: Any) -> str | None:
    number = _int(code)
    found = catalogs.geografia().distritos.get(number) if number is not None else None
    return found.name if found else None


def _ciudad(code: Any) -> str | None:
    number = _int(code)
    found = catalogs.geografia().ciudades.get(number) if number is not None else None
    return found.name if found else None


_GEO: tuple[tuple[str, str, Describe], ...] = (
    ("departamento", "departamentoDescripcion", _departamento),
    ("distrito", "distritoDescripcion", _distrito),
    ("ciudad", "ciudadDescripcion", _ciudad),
)

_GEO_DESCRIBE = frozenset({_departamento, _distrito, _ciudad})

# (where, code key, description key, catalog). A step that holds a list is every element of it.
_TRANSPORTE = ("transporte", "detalleTransporte")
_PAIRS: tuple[tuple[tuple[str, ...], str, str, Describe], ...] = (
    # the engine does not read these descriptions (it writes the catalog's): a contradicting one
    # would otherwise be dropped silently
    ((), "tipoEmision", "tipoEmisionDescripcion", _code_list("iTipEmi")),
    ((), "tipoTransaccion", "tipoTransaccionDescripcion", _code_list("iTipTra")),
    ((), "tipoImpuesto", "tipoImpuestoDescripcion", _code_list("iTImp")),
    ((), "moneda", "monedaDescripcion", _moneda),
    ((), "condicionAnticipo", "condicionAnticipoDescripcion", _code_list("iCondAnt")),
    (("condicion",), "tipo", "tipoDescripcion", _code_list("iCondOpe")),
    (("condicion", "credito"), "tipo", "tipoDescripcion", _code_list("iCondCred")),
    (("notaCreditoDebito",), "motivo", "motivoDescripcion", _code_list("iMotEmi")),
    (("remision",), "tipoResponsable", "tipoResponsableDescripcion", _code_list("iRespEmiNR")),
    (("autoFactura",), "tipoVendedor", "tipoVendedorDescripcion", _code_list("iNatVen")),
    (("autoFactura",), "documentoTipo", "documentoTipoDescripcion", _code_list("iTipIDVen")),
    (("items",), "ivaTipo", "ivaTipoDescripcion", _code_list("iAfecIVA")),
    (("documentoAsociado",), "formato", "formatoDescripcion", _code_list("iTipDocAso")),
    (
        ("documentoAsociado",),
        "tipoDocumentoImpreso",
        "tipoDocumentoImpresoDescripcion",
        _code_list("iTipoDocAso"),
    ),
    (("documentoAsociado",), "constanciaTipo", "constanciaTipoDescripcion", _code_list("iTipCons")),
    *(((t,), "tipo", "tipoDescripcion", _code_list("iTipTrans")) for t in _TRANSPORTE),
    *(((t,), "modalidad", "modalidadDescripcion", _code_list("iModTrans")) for t in _TRANSPORTE),
    *(
        ((t, "transportista"), "documentoTipo", "documentoTipoDescripcion", _code_list("iTipIDTrans"))
        for t in _TRANSPORTE
    ),
    *(((t, lugar), "pais", "paisDescripcion", _pais) for t in _TRANSPORTE for lugar in ("salida", "entrega")),
    # descriptions the engine compares with the catalog
    (("cliente",), "documentoTipo", "documentoTipoDescripcion", _code_list("iTipIDRec")),
    (("cliente",), "pais", "paisDescripcion", _pais),
    *((("cliente",), c, d, f) for c, d, f in _GEO),
    (("usuario",), "documentoTipo", "documentoTipoDescripcion", _code_list("iTipIDRespDE")),
    (("factura",), "presencia", "presenciaDescripcion", _code_list("iIndPres")),
    (("remision",), "motivo", "motivoDescripcion", _code_list("iMotEmiNR")),
    (("condicion", "entregas"), "tipo", "tipoDescripcion", _code_list("iTiPago")),
    (("condicion", "entregas"), "moneda", "monedaDescripcion", _moneda),
    (("condicion", "entregas", "infoTarjeta"), "tipo", "tipoDescripcion", _code_list("iDenTarj")),
    (("items",), "unidadMedida", "unidadMedidaDescripcion", _unidad),
    (("items",), "pais", "paisDescripcion", _pais),
    (("items", "sectorAutomotor"), "tipoCombustible", "tipoCombustibleDescripcion", _code_list("iTipCom")),
    *((("autoFactura",), c, d, f) for c, d, f in _GEO),
    *((("autoFactura", "ubicacion"), c, d, f) for c, d, f in _GEO),
    *((("autoFactura", "transaccion"), c, d, f) for c, d, f in _GEO),
    *(((t,), "paisDestino", "paisDestinoNombre", _pais) for t in _TRANSPORTE),
    *(((t, "transportista"), "pais", "paisDescripcion", _pais) for t in _TRANSPORTE),
    *(((t, lugar), c, d, f) for t in _TRANSPORTE for lugar in ("salida", "entrega") for c, d, f in _GEO),
)


Pair = tuple[str, str, Describe]
# (pairs checked in this object, sub-trees by key, every key that matters here: a quick way out)
Tree = tuple[list[Pair], dict[str, Any], set[str]]


def _tree() -> Tree:
    root: Tree = ([], {}, set())
    for steps, code_key, desc_key, describe in _PAIRS:
        node = root
        for step in steps:
            node[2].add(step)
            node = node[1].setdefault(step, ([], {}, set()))
        node[0].append((code_key, desc_key, describe))
        node[2].add(desc_key)
    return root


_TREE: Tree = _tree()


def _visit(obj: dict[str, Any], tree: Tree, root: dict[str, Any], edits: list[Edit]) -> None:
    pairs, children, _ = tree
    for code_key, desc_key, describe in pairs:
        given = obj.get(desc_key)
        if type(given) is not str or code_key not in obj:
            continue
        official = describe(obj[code_key])
        if official is None or given == official or catalogs.same_description(given, official):
            continue
        if describe in _GEO_DESCRIBE and catalogs.same_description(given[: catalogs.DESC_MAX_GEO], official):
            continue  # geographic names are cut to 30 characters (tDesCiudad), as the engine does
        edits.append(
            Edit(
                _trail_of(root, obj) or (),
                desc_key,
                "CAMPO_IGNORADO",
                f"La descripción '{given}' no corresponde al código {obj[code_key]}; "
                f"se usa la del catálogo ('{official}'), como hace FacturaSend",
            )
        )
    for key, sub in children.items():
        child = obj.get(key)
        if child is None:
            continue
        keys = sub[2]
        if type(child) is dict:
            if not keys.isdisjoint(child):
                _visit(child, sub, root, edits)
        elif type(child) is list:
            for element in child:
                if type(element) is dict and not keys.isdisjoint(element):
                    _visit(element, sub, root, edits)


def _trail_of(
    node: Any, target: dict[str, Any], trail: tuple[str | int, ...] = ()
) -> tuple[str | int, ...] | None:
    """Where ``target`` sits in the document; looked up only for a finding, so that the walk above
    builds no path for the objects that hold nothing to report (nearly all of them)."""
    if node is target:
        return trail
    steps: Any = node.items() if type(node) is dict else enumerate(node) if type(node) is list else ()
    for step, child in steps:
        if type(child) is dict or type(child) is list:
            found = _trail_of(child, target, (*trail, step))
            if found is not None:
                return found
    return None


def descriptions(data: dict[str, Any]) -> list[Edit]:
    """A ``*Descripcion`` that names another value than its code's catalog entry is ignored: the
    catalog's description is written, as FacturaSend does (its own example pays with tarjeta tipo 1,
    Visa, described as "Dinelco"). A matching one (case and accents aside) is used as is; for an
    'otro' code (9 / 99) the description is the issuer's text and is kept."""
    edits: list[Edit] = []
    _visit(data, _TREE, data, edits)
    return edits
