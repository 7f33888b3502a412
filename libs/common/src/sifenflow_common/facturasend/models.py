"""Pydantic v2 models of the FacturaSend ``params`` (emisor) and ``data`` (documento) JSON.

Structure and keys: facturasend-api.md §3. Attributes are snake_case; every field accepts the
documented camelCase key, its snake_case twin and the historical aliases of ``aliases.py``.
Numbers may come as JSON numbers or numeric strings (amounts become ``Decimal``, never float).
Dates stay strings here: their exact formats are rules (``rules.py``) with their own error codes.
Unknown keys are ignored, as FacturaSend does.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticKnownError

from sifenflow_common.facturasend.aliases import ALIASES


def _finite(value: Decimal) -> Decimal:
    # What Field(allow_inf_nan=False) checks in Python after a validator, in one call instead of two
    # per amount (hot path: several per item). The float test also rejects exponents beyond float
    # range ("1e400"), which pydantic-core's own allow_inf_nan would accept. JSON floats (json.loads
    # without parse_float) need no conversion step: pydantic-core builds the Decimal from the
    # float's shortest repr, so 0.1 becomes Decimal("0.1"), not its binary expansion.
    if value.is_finite() and value.adjusted() < 308:
        return value  # below 1e308: its float is finite too, without the slow float conversion
    if not math.isfinite(value):
        raise PydanticKnownError("finite_number")
    return value


Amount = Annotated[Decimal, AfterValidator(_finite)]
# XSD numeric facets (DE_Types_v150.xsd): tMontoBase (8 decimals), tMontoBase4, tMontoBase6,
# tLectura (2 decimals), tdVigPol (> 0, 1 decimal).
Amount8 = Annotated[Amount, Field(ge=0, le=Decimal("999999999999999.99999999"), decimal_places=8)]
Amount4 = Annotated[Amount, Field(ge=0, le=Decimal("999999999999999.9999"), decimal_places=4)]
Amount6 = Annotated[Amount, Field(ge=0, le=Decimal("999999.9999"), decimal_places=4)]
Lectura = Annotated[Amount, Field(ge=0, le=Decimal("99999999999.99"), decimal_places=2)]
Vigencia = Annotated[Amount, Field(gt=0, le=Decimal("99999.9"), decimal_places=1)]
Text = Annotated[str, Field(min_length=1)]
# tdNumDocId: identity document numbers (D210, D143, E306, E987, E990)
DocNumber = Annotated[str, Field(pattern=r"^[0-9A-Za-z\-]{1,20}$")]
CodeNum = int | str  # "001" or 1


def _text(max_length: int, min_length: int = 1) -> Any:
    return Field(default=None, min_length=min_length, max_length=max_length)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=ALIASES,
        populate_by_name=True,
        extra="ignore",
        coerce_numbers_to_str=True,
        str_strip_whitespace=True,
        frozen=True,
    )


# ---------------------------------------------------------------- params (emisor)


class ActividadEconomica(_Model):
    codigo: Annotated[str, Field(pattern=r"^[0-9A-Z]{1,8}$")]
    descripcion: Annotated[str, Field(min_length=1, max_length=300)]


class Establecimiento(_Model):
    codigo: CodeNum
    direccion: Annotated[str, Field(min_length=1, max_length=255)]
    numero_casa: CodeNum
    complemento_direccion1: str | None = _text(255)
    complemento_direccion2: str | None = _text(255)
    departamento: int
    departamento_descripcion: str | None = None
    distrito: int | None = None
    distrito_descripcion: str | None = None
    ciudad: int
    ciudad_descripcion: str | None = None
    telefono: Annotated[str, Field(min_length=6, max_length=15)]
    email: Annotated[str, Field(min_length=3, max_length=255)]
    denominacion: str | None = _text(30)


class Params(_Model):
    version: int = 150
    ruc: Annotated[str, Field(min_length=3, max_length=10)]
    razon_social: Annotated[str, Field(min_length=4, max_length=255)]
    nombre_fantasia: str | None = _text(255, 4)
    actividades_economicas: Annotated[list[ActividadEconomica], Field(min_length=1, max_length=9)]
    timbrado_numero: CodeNum
    timbrado_fecha: str
    tipo_contribuyente: int
    tipo_regimen: int | None = None
    establecimientos: Annotated[list[Establecimiento], Field(min_length=1)]


# ---------------------------------------------------------------- data (documento)


class Cliente(_Model):
    contribuyente: bool
    ruc: str | None = _text(10, 3)
    razon_social: Annotated[str, Field(min_length=1, max_length=255)]
    nombre_fantasia: str | None = _text(255, 4)
    tipo_operacion: int
    direccion: str | None = _text(255)
    numero_casa: CodeNum | None = None
    departamento: int | None = None
    departamento_descripcion: str | None = None
    distrito: int | None = None
    distrito_descripcion: str | None = None
    ciudad: int | None = None
    ciudad_descripcion: str | None = None
    pais: Annotated[str, Field(min_length=3, max_length=3)] = "PRY"
    pais_descripcion: str | None = None
    tipo_contribuyente: int | None = None
    documento_tipo: int | None = None
    documento_tipo_descripcion: str | None = _text(41)
    documento_numero: DocNumber | None = None
    telefono: str | None = None
    celular: str | None = None
    email: str | None = None
    codigo: str | None = _text(15, 3)


class Usuario(_Model):
    documento_tipo: int
    documento_tipo_descripcion: str | None = _text(41)
    documento_numero: DocNumber
    nombre: Annotated[str, Field(min_length=4, max_length=255)]
    cargo: Annotated[str, Field(min_length=4, max_length=100)]
    email: str | None = None


class Dncp(_Model):
    modalidad: Annotated[str, Field(min_length=2, max_length=2)]
    entidad: CodeNum
    anio: CodeNum
    secuencia: CodeNum
    fecha: str


class Factura(_Model):
    presencia: int
    presencia_descripcion: str | None = _text(30)
    fecha_envio: str | None = None
    dncp: Dncp | None = None


class Lugar(_Model):
    """autoFactura.ubicacion / transaccion: where the operation took place (E316-E322)."""

    lugar: Annotated[str, Field(min_length=1, max_length=255)]
    departamento: int
    departamento_descripcion: str | None = None
    distrito: int | None = None
    distrito_descripcion: str | None = None
    ciudad: int
    ciudad_descripcion: str | None = None


class AutoFactura(_Model):
    tipo_vendedor: int
    documento_tipo: int
    documento_numero: DocNumber
    nombre: Annotated[str, Field(min_length=4, max_length=60)]
    direccion: Annotated[str, Field(min_length=1, max_length=255)]
    numero_casa: CodeNum = 0
    departamento: int
    departamento_descripcion: str | None = None
    distrito: int | None = None
    distrito_descripcion: str | None = None
    ciudad: int
    ciudad_descripcion: str | None = None
    ubicacion: Lugar


class NotaCreditoDebito(_Model):
    motivo: int


class Remision(_Model):
    motivo: int
    motivo_descripcion: str | None = _text(60)
    tipo_responsable: int
    kms: Annotated[int, Field(ge=1, le=99999)]
    fecha_factura: str | None = None
    costo_flete: Amount8 | None = None


class InfoTarjeta(_Model):
    tipo: int
    tipo_descripcion: str | None = _text(20, 4)
    razon_social: str | None = _text(60, 4)
    ruc: str | None = _text(10, 3)
    medio_pago: int = 1
    codigo_autorizacion: CodeNum | None = None
    titular: str | None = _text(30, 4)
    numero: CodeNum | None = None


class InfoCheque(_Model):
    numero_cheque: CodeNum
    banco: Annotated[str, Field(min_length=4, max_length=20)]


class Entrega(_Model):
    tipo: int
    tipo_descripcion: str | None = _text(30, 4)
    monto: Amount
    moneda: Annotated[str, Field(min_length=3, max_length=3)] = "PYG"
    moneda_descripcion: str | None = None
    cambio: Amount | None = None
    info_tarjeta: InfoTarjeta | None = None
    info_cheque: InfoCheque | None = None


class Cuota(_Model):
    moneda: Annotated[str, Field(min_length=3, max_length=3)] = "PYG"
    monto: Amount
    vencimiento: str | None = None


class Credito(_Model):
    tipo: int
    plazo: str | None = _text(15, 2)
    cuotas: int | None = None
    monto_entrega: Amount | None = None
    info_cuotas: Annotated[list[Cuota], Field(max_length=999)] | None = None


class Condicion(_Model):
    tipo: int
    entregas: Annotated[list[Entrega], Field(max_length=999)] | None = None
    credito: Credito | None = None


class ItemDncp(_Model):
    codigo_nivel_general: CodeNum
    codigo_nivel_especifico: CodeNum
    codigo_gtin_producto: CodeNum | None = None
    codigo_nivel_paquete: CodeNum | None = None


class Importador(_Model):
    """Removed from the XSD by NT009; accepted and ignored (xmlgen still documents it)."""

    nombre: str | None = None
    direccion: str | None = None
    registro_importador: str | None = None


class SectorAutomotor(_Model):
    tipo: int | None = None
    chasis: str | None = None
    color: str | None = _text(10)
    potencia: Annotated[int, Field(ge=1, le=9999)] | None = None
    capacidad_motor: Annotated[int, Field(ge=1, le=9999)] | None = None
    capacidad_pasajeros: Annotated[int, Field(ge=1, le=999)] | None = None
    peso_bruto: Amount6 | None = None
    peso_neto: Amount6 | None = None
    tipo_combustible: int | None = None
    tipo_combustible_descripcion: str | None = _text(20)
    numero_motor: str | None = _text(21)
    capacidad_traccion: Amount6 | None = None
    anio: int | None = None
    tipo_vehiculo: str | None = _text(10, 4)
    # dCilin (E786) has no length in the XSD (its pattern is a typo) and is not written: a documented
    # limit (docs/gateway-api.md) keeps what is stored bounded
    cilindradas: str | None = _text(10)


class Item(_Model):
    codigo: Annotated[str, Field(min_length=1, max_length=50)]
    descripcion: Annotated[str, Field(min_length=1, max_length=2000)]
    observacion: str | None = _text(500)
    partida_arancelaria: CodeNum | None = None
    ncm: CodeNum | None = None
    unidad_medida: int
    unidad_medida_descripcion: str | None = None
    cantidad: Amount
    precio_unitario: Amount | None = None
    cambio: Amount | None = None
    descuento: Amount | None = None
    anticipo: Amount | None = None
    pais: str | None = None
    pais_descripcion: str | None = None
    tolerancia: int | None = None
    tolerancia_cantidad: (
        Annotated[Amount, Field(ge=0, le=Decimal("9999999999.9999"), decimal_places=4)] | None
    ) = None
    tolerancia_porcentaje: Annotated[Amount, Field(ge=0, le=100, decimal_places=8)] | None = None
    cdc_anticipo: str | None = None
    iva_tipo: int | None = None
    iva_proporcion: Amount | None = None
    iva: int | None = None
    lote: str | None = _text(80)
    vencimiento: str | None = None
    numero_serie: str | None = _text(10)
    numero_pedido: str | None = _text(20)
    numero_seguimiento: str | None = _text(20)
    registro_senave: str | None = _text(20)
    registro_entidad_comercial: str | None = _text(20)
    nombre_producto: str | None = _text(30)
    importador: Importador | None = None
    dncp: ItemDncp | None = None
    sector_automotor: SectorAutomotor | None = None
    extras: dict[str, Any] | None = None


class SectorEnergiaElectrica(_Model):
    numero_medidor: str | None = _text(50)
    codigo_actividad: Annotated[int, Field(ge=0, le=99)] | None = None
    codigo_categoria: str | None = _text(3)
    lectura_anterior: Lectura | None = None
    lectura_actual: Lectura | None = None


class Poliza(_Model):
    """One policy of sectorSeguros (EA790 gGrupPolSeg)."""

    codigo_poliza: Annotated[str, Field(min_length=1, max_length=20)]
    vigencia_unidad: Annotated[str, Field(min_length=3, max_length=15)]
    vigencia: Vigencia
    numero_poliza: Annotated[str, Field(min_length=1, max_length=25)]
    inicio_vigencia: str | None = None
    fin_vigencia: str | None = None
    codigo_interno_item: str | None = _text(50)


class SectorSeguros(_Model):
    codigo_aseguradora: str | None = _text(20)
    # The FacturaSend docs put one policy's fields flat on the object; ``polizas`` allows many.
    codigo_poliza: str | None = _text(20)
    vigencia_unidad: str | None = _text(15, 3)
    vigencia: Vigencia | None = None
    numero_poliza: str | None = _text(25)
    inicio_vigencia: str | None = None
    fin_vigencia: str | None = None
    codigo_interno_item: str | None = _text(50)
    polizas: Annotated[list[Poliza], Field(max_length=999)] | None = None


class SectorSupermercados(_Model):
    nombre_cajero: str | None = _text(20)
    efectivo: Amount4 | None = None
    vuelto: Amount6 | None = None
    donacion: Amount6 | None = None
    donacion_descripcion: str | None = _text(20)


class SectorAdicional(_Model):
    ciclo: str | None = _text(15)
    inicio_ciclo: str | None = None
    fin_ciclo: str | None = None
    vencimiento_pago: str | list[str] | None = None
    numero_contrato: str | None = _text(30)
    saldo_anterior: Amount4 | None = None
    codigo_contratacion_dncp: str | None = _text(30)


class Direccion(_Model):
    """transporte.salida / transporte.entrega (E920-E951)."""

    direccion: Annotated[str, Field(min_length=1, max_length=255)]
    numero_casa: CodeNum = 0
    complemento_direccion1: str | None = _text(255)
    complemento_direccion2: str | None = _text(255)
    departamento: int
    departamento_descripcion: str | None = None
    distrito: int | None = None
    distrito_descripcion: str | None = None
    ciudad: int
    ciudad_descripcion: str | None = None
    pais: str | None = None
    pais_descripcion: str | None = None
    telefono_contacto: str | None = None


class Vehiculo(_Model):
    tipo: Annotated[str, Field(min_length=4, max_length=10)]
    marca: Annotated[str, Field(min_length=1, max_length=10)]
    documento_tipo: int
    documento_numero: str | None = _text(20)
    obs: str | None = _text(20)
    numero_matricula: str | None = _text(7)
    numero_vuelo: str | None = Field(default=None, min_length=6, max_length=6)


class Chofer(_Model):
    documento_numero: DocNumber
    nombre: Annotated[str, Field(min_length=4, max_length=60)]
    direccion: Annotated[str, Field(min_length=1, max_length=255)]


class Agente(_Model):
    nombre: str | None = _text(60, 4)
    ruc: str | None = _text(10, 3)
    direccion: str | None = _text(255)


class Transportista(_Model):
    contribuyente: bool
    nombre: Annotated[str, Field(min_length=4, max_length=60)]
    ruc: str | None = _text(10, 3)
    documento_tipo: int | None = None
    documento_numero: DocNumber | None = None
    direccion: Annotated[str, Field(min_length=1, max_length=150)]
    obs: str | None = None
    pais: str | None = None
    pais_descripcion: str | None = None
    chofer: Chofer
    agente: Agente | None = None


class Transporte(_Model):
    tipo: int | None = None
    modalidad: int
    tipo_responsable: int
    condicion_negociacion: str | None = None
    numero_manifiesto: str | None = _text(15)
    numero_despacho_importacion: str | None = Field(default=None, min_length=16, max_length=16)
    inicio_estimado_translado: str | None = None
    fin_estimado_translado: str | None = None
    pais_destino: str | None = None
    pais_destino_nombre: str | None = None
    salida: Direccion | None = None
    entrega: Direccion | Annotated[list[Direccion], Field(max_length=99)] | None = None  # gCamEnt 0..99
    vehiculo: Vehiculo | list[Vehiculo] | None = None
    transportista: Transportista | None = None


class Carga(_Model):
    unidad_medida_volumen_total: int | None = None
    volumen_total: Annotated[int, Field(ge=1, lt=10**20)] | None = None
    unidad_medida_peso_total: int | None = None
    peso_total: Annotated[int, Field(ge=1, lt=10**20)] | None = None
    caracteristica_carga: int | None = None
    caracteristica_carga_descripcion: str | None = _text(50)


class Complementarios(_Model):
    orden_compra: str | None = _text(15)
    orden_venta: str | None = _text(15)
    numero_asiento: str | None = _text(10)
    carga: Carga | None = None


class DocumentoAsociado(_Model):
    formato: int
    cdc: str | None = None
    tipo_documento_impreso: int | None = None
    timbrado: CodeNum | None = None
    establecimiento: CodeNum | None = None
    punto: CodeNum | None = None
    numero: CodeNum | None = None
    fecha: str | None = None
    numero_retencion: str | None = None
    resolucion_credito_fiscal: str | None = None
    constancia_tipo: int | None = None
    constancia_numero: CodeNum | None = None
    constancia_control: str | None = None
    monto: Amount | None = None  # recibo only
    monto_retencion_iva: Amount | None = None  # recibo only: IVA withheld on this document
    monto_retencion_renta: Amount | None = None  # recibo only: income tax withheld


class Obligacion(_Model):
    codigo: int
    descripcion: str | None = _text(65, 21)


class Documento(_Model):
    """``data``: one DE (or recibo) as the integrator sends it."""

    tipo_documento: int
    establecimiento: CodeNum
    punto: CodeNum
    numero: CodeNum
    serie: str | None = None
    codigo_seguridad_aleatorio: CodeNum | None = None
    cdc: str | None = None
    descripcion: str | None = _text(3000)
    observacion: str | None = _text(3000)
    fecha: str
    tipo_emision: int = 1
    tipo_transaccion: int | None = None
    tipo_impuesto: int = 1
    moneda: Annotated[str, Field(min_length=3, max_length=3)] = "PYG"
    condicion_tipo_cambio: int | None = None
    cambio: Amount | None = None
    condicion_anticipo: int | None = None
    obligaciones: Annotated[list[Obligacion], Field(max_length=12)] | None = None  # gOblAfe 0..12
    descuento_global: Amount | None = None
    anticipo_global: Amount | None = None
    redondeo_sedeco: bool = False
    cliente: Cliente
    usuario: Usuario | None = None
    factura: Factura | None = None
    auto_factura: AutoFactura | None = None
    nota_credito_debito: NotaCreditoDebito | None = None
    remision: Remision | None = None
    condicion: Condicion | None = None
    items: Annotated[list[Item], Field(max_length=999)] | None = None
    sector_energia_electrica: (
        SectorEnergiaElectrica | Annotated[list[SectorEnergiaElectrica], Field(max_length=9)] | None
    ) = None  # gGrupEner 0..9
    sector_seguros: SectorSeguros | None = None
    sector_supermercados: SectorSupermercados | None = None
    sector_adicional: SectorAdicional | None = None
    transporte: Transporte | None = None
    complementarios: Complementarios | None = None
    documento_asociado: DocumentoAsociado | list[DocumentoAsociado] | None = None
    dncp: Dncp | None = None
    extras: dict[str, Any] | None = None
    format: str | None = None
    # recibo digital (tipo 55)
    concepto: str | None = _text(255)
    total: Amount | None = None
    forma_pago: int | None = None
