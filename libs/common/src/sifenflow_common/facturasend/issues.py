"""Collecting validation issues: stable codes, JSON paths, Spanish messages (all at once)."""

from __future__ import annotations

from typing import Final

from sifenflow_common.errors import ValidationIssue

# Stable codes and what they mean (docs/document-engine.md lists them with examples).
CODES: Final[dict[str, str]] = {
    "JSON_INVALIDO": "La entrada no es JSON válido",
    "TIPO_INVALIDO": "Un campo tiene un tipo JSON incorrecto",
    "CAMPO_REQUERIDO": "Falta un campo obligatorio",
    "LONGITUD_INVALIDA": "Texto o lista fuera de la longitud permitida",
    "VALOR_INVALIDO": "Valor fuera del rango o formato permitido",
    "RUC_INVALIDO": "RUC con formato inválido (NNNNNNN-D)",
    "RUC_DV_INVALIDO": "Dígito verificador del RUC incorrecto",
    "TIPO_DOCUMENTO_INVALIDO": "Tipo de documento no soportado",
    "TIMBRADO_INVALIDO": "Número de timbrado inválido",
    "ESTABLECIMIENTO_INVALIDO": "Establecimiento / punto / número con formato inválido",
    "ESTABLECIMIENTO_NO_REGISTRADO": "El establecimiento no existe en los parámetros del emisor",
    "SERIE_INVALIDA": "Serie inválida (dos letras mayúsculas)",
    "FECHA_FORMATO_INVALIDO": "Fecha con formato inválido",
    "FECHA_INVALIDA": "Fecha imposible",
    "FECHA_ANTERIOR_TIMBRADO": "Emisión anterior al inicio del timbrado",
    "CODIGO_SEGURIDAD_INVALIDO": "Código de seguridad inválido o igual al número",
    "CDC_INVALIDO": "CDC con formato o dígito verificador inválido",
    "CDC_NO_COINCIDE": "El CDC no corresponde a los datos del documento",
    "CODIGO_NO_PERMITIDO": "Código fuera de la lista oficial",
    "DESCRIPCION_NO_COINCIDE": "La descripción no corresponde al código",
    "DESCRIPCION_REQUERIDA": "Código 'otro' sin descripción",
    "MONEDA_INVALIDA": "Moneda fuera de la lista ISO 4217 de SIFEN",
    "CAMBIO_REQUERIDO": "Falta el tipo de cambio",
    "PAIS_INVALIDO": "País fuera de la lista ISO 3166 de SIFEN",
    "DEPARTAMENTO_INVALIDO": "Departamento inexistente",
    "DISTRITO_INVALIDO": "Distrito inexistente",
    "CIUDAD_INVALIDA": "Ciudad inexistente",
    "UBICACION_INCONSISTENTE": "Ciudad, distrito y departamento no corresponden entre sí",
    "UNIDAD_MEDIDA_INVALIDA": "Unidad de medida inexistente",
    "EMAIL_INVALIDO": "Correo electrónico inválido",
    "GRUPO_REQUERIDO": "Falta un grupo obligatorio para este tipo de documento",
    "RECEPTOR_INVALIDO": "Datos del receptor inconsistentes (MT v150 D2)",
    "INNOMINADO_NO_PERMITIDO": "Receptor innominado no permitido",
    "INNOMINADO_MONTO_EXCEDIDO": "Receptor innominado por encima del monto permitido",
    "DNCP_REQUERIDO": "Operación B2G sin datos de la DNCP",
    "TIPO_IMPUESTO_NO_SOPORTADO": "Tipo de impuesto no soportado",
    "IVA_INCONSISTENTE": "Afectación, tasa y proporción de IVA inconsistentes",
    "DECIMALES_EXCEDIDOS": "Más decimales de los permitidos",
    "MONTO_EXCEDIDO": "Monto o cantidad fuera de rango",
    "DESCUENTO_EXCEDE_PRECIO": "Descuentos/anticipos mayores que el precio",
    "ENTREGAS_INSUFICIENTES": "Las entregas no cubren el total de una operación al contado",
    "CUOTAS_NO_COINCIDEN": "Las cuotas no suman el saldo del crédito",
    "PAGO_INCOMPLETO": "Falta información de tarjeta o cheque",
    "DOCUMENTO_ASOCIADO_INVALIDO": "Documento asociado incompleto o inconsistente",
    "TRANSPORTE_INVALIDO": "Datos de transporte incompletos o inconsistentes",
    "TOTAL_NO_COINCIDE": "El total no coincide con la suma de los documentos",
}

# Warnings: something the integrator sent was ignored or corrected; the document is accepted.
WARNING_CODES: Final[dict[str, str]] = {
    "CAMPO_IGNORADO": "Campo ignorado en este contexto (FacturaSend también lo ignora)",
    "VALOR_CORREGIDO": "Valor corregido; se usa el valor indicado en el mensaje",
    "TOTAL_RECALCULADO": "Total del recibo recalculado como la suma de los documentos asociados",
    "DESCRIPCION_POR_DEFECTO": "Código 'otro' sin descripción: se usa la descripción por defecto",
    "PAGO_DISTINTO_DEL_TOTAL": "Las entregas del recibo no suman el total (pago parcial o en exceso)",
}


class IssueCollector:
    """Accumulates every issue of one document; ``ok`` is False once anything was added."""

    __slots__ = ("issues",)

    def __init__(self) -> None:
        self.issues: list[ValidationIssue] = []

    def add(self, code: str, path: str, message: str) -> None:
        self.issues.append(ValidationIssue(code, path, message))

    @property
    def ok(self) -> bool:
        return not self.issues

    def __len__(self) -> int:
        return len(self.issues)
