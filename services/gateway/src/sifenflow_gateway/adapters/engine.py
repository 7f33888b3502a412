"""DocumentEngine on the document engine of sifenflow_common (validation, CDC, totals)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sifenflow_common.documents.engine import build_document, validate_document
from sifenflow_common.errors import DocumentInvalid, ValidationIssue
from sifenflow_common.sifen.cdc import compute_cdc


class EngineAdapter:
    def validate(self, params: dict[str, Any], data: dict[str, Any]) -> list[ValidationIssue]:
        return validate_document(params, data)

    def cdc(self, params: dict[str, Any], data: dict[str, Any]) -> str:
        """MT v150 §10.1 from the normalised data (numero, fecha, dCodSeg already fixed)."""
        ruc, dv = str(params["ruc"]).split("-")
        return compute_cdc(
            tipo_documento=int(data["tipoDocumento"]),
            ruc=ruc,
            dv_ruc=int(dv),
            establecimiento=str(data["establecimiento"]).zfill(3),
            punto=str(data["punto"]).zfill(3),
            numero=f"{int(data['numero']):07d}",
            tipo_contribuyente=int(params["tipoContribuyente"]),
            fecha=date.fromisoformat(str(data["fecha"])[:10]),
            tipo_emision=int(data.get("tipoEmision", 1)),
            codigo_seguridad=str(data["codigoSeguridadAleatorio"]).zfill(9),
        )

    def tax_totals(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """dIVA5 / dIVA10 of gTotSub (MT v150 F), as the engine computes them for the XML."""
        try:
            totals = build_document(params, data).totals
        except (DocumentInvalid, ValueError):  # lxml errors are ValueErrors too
            return {"dIVA5": None, "dIVA10": None}
        return {
            name: float(value) if (value := totals.get(name)) is not None else None
            for name in ("dIVA5", "dIVA10")
        }
