"""Taxpayer registry of the simulator: RUC, state, CSCs and timbrados with establecimientos/puntos.

Seeded from a JSON file (``--registry FILE``) and updated through the admin endpoint; every change
is persisted in the simulator's SQLite file, so registrations survive restarts. JSON shape::

    {"contribuyentes": [{
        "ruc": "80069563", "dv": "1", "razon_social": "EMPRESA S.A.",
        "estado": "ACT", "factura_electronica": true,
        "csc": {"0001": "ABCD0000000000000000000000000000"},
        "timbrados": [{"numero": "12345678", "inicio": "2024-01-01", "fin": null,
                       "tipos": [1, 4, 5, 6, 7, 9, 10], "establecimientos": {"001": ["001", "002"]}}]}]}
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sifenflow_common.sifen.dv import dv11

# dCodEstCons -> dDesEstCons (sifen-protocol.md §2.5)
ESTADOS: dict[str, str] = {
    "ACT": "Activo",
    "SUS": "Suspensión Temporal",
    "SAD": "Suspensión Administrativa",
    "BLQ": "Bloqueado",
    "CAN": "Cancelado",
    "CDE": "Cancelado Definitivo",
}


class RegistryError(ValueError):
    def __init__(self, code: str, path: str, message: str) -> None:
        self.code = code
        self.path = path
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Timbrado:
    numero: str  # dNumTim, 8 digits
    inicio: date  # dFeIniT
    fin: date | None = None  # dFeFinT
    tipos: frozenset[int] = frozenset({1, 4, 5, 6, 7, 9, 10})
    establecimientos: dict[str, frozenset[str]] = field(default_factory=dict)  # dEst -> dPunExp

    def as_dict(self) -> dict[str, Any]:
        return {
            "numero": self.numero,
            "inicio": self.inicio.isoformat(),
            "fin": self.fin.isoformat() if self.fin else None,
            "tipos": sorted(self.tipos),
            "establecimientos": {k: sorted(v) for k, v in sorted(self.establecimientos.items())},
        }


@dataclass(frozen=True, slots=True)
class Contribuyente:
    ruc: str  # without DV
    dv: str
    razon_social: str
    estado: str = "ACT"
    factura_electronica: bool = True
    csc: dict[str, str] = field(default_factory=dict, repr=False)  # IdCSC -> secret
    timbrados: tuple[Timbrado, ...] = ()

    def timbrado(self, numero: str) -> Timbrado | None:
        return next((t for t in self.timbrados if t.numero == numero), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ruc": self.ruc,
            "dv": self.dv,
            "razon_social": self.razon_social,
            "estado": self.estado,
            "factura_electronica": self.factura_electronica,
            "csc": dict(self.csc),
            "timbrados": [t.as_dict() for t in self.timbrados],
        }

    def public_dict(self) -> dict[str, Any]:
        data = self.as_dict()
        data["csc"] = sorted(self.csc)  # ids only, never the secrets
        return data


def _date(value: Any, path: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RegistryError("FECHA_INVALIDA", path, f"Fecha inválida en {path}: {value!r}") from exc


def contribuyente_from_dict(data: dict[str, Any], path: str = "$") -> Contribuyente:
    """Validate one registry entry; ``ruc`` may be given as ``80069563-1``."""
    if not isinstance(data, dict):
        raise RegistryError("CONTRIBUYENTE_INVALIDO", path, f"{path} debe ser un objeto")
    raw_ruc = str(data.get("ruc", "")).strip()
    ruc, _, dv_given = raw_ruc.partition("-")
    if not ruc.isdigit() or not 1 <= len(ruc) <= 8:
        raise RegistryError("RUC_INVALIDO", f"{path}.ruc", f"RUC inválido: {raw_ruc!r}")
    dv = str(data.get("dv", dv_given or dv11(ruc)))
    if dv != str(dv11(ruc)):
        raise RegistryError("RUC_DV_INVALIDO", f"{path}.dv", f"DV {dv} no corresponde al RUC {ruc}")
    razon = str(data.get("razon_social", "")).strip()
    if not razon:
        raise RegistryError("RAZON_SOCIAL_REQUERIDA", f"{path}.razon_social", "Falta razon_social")
    estado = str(data.get("estado", "ACT")).upper()
    if estado not in ESTADOS:
        raise RegistryError("ESTADO_INVALIDO", f"{path}.estado", f"Estado desconocido: {estado}")
    csc = {str(k).zfill(4): str(v) for k, v in (data.get("csc") or {}).items()}
    timbrados = []
    for i, t in enumerate(data.get("timbrados") or []):
        tpath = f"{path}.timbrados[{i}]"
        numero = str(t.get("numero", "")).strip()
        if not (numero.isdigit() and len(numero) == 8):
            raise RegistryError("TIMBRADO_INVALIDO", f"{tpath}.numero", f"Timbrado inválido: {numero!r}")
        establecimientos = {
            str(est).zfill(3): frozenset(str(p).zfill(3) for p in puntos)
            for est, puntos in (t.get("establecimientos") or {"001": ["001"]}).items()
        }
        timbrados.append(
            Timbrado(
                numero=numero,
                inicio=_date(t.get("inicio"), f"{tpath}.inicio"),
                fin=_date(t["fin"], f"{tpath}.fin") if t.get("fin") else None,
                tipos=frozenset(int(x) for x in (t.get("tipos") or [1, 4, 5, 6, 7, 9, 10])),
                establecimientos=establecimientos,
            )
        )
    return Contribuyente(
        ruc=ruc.lstrip("0") or "0",
        dv=dv,
        razon_social=razon,
        estado=estado,
        factura_electronica=bool(data.get("factura_electronica", True)),
        csc=csc,
        timbrados=tuple(timbrados),
    )


def load_registry_file(path: Path) -> list[Contribuyente]:
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.get("contribuyentes", data) if isinstance(data, dict) else data
    return [contribuyente_from_dict(e, f"$.contribuyentes[{i}]") for i, e in enumerate(entries)]


class Registry:
    """In-memory view of the taxpayers, keyed by RUC without DV and without leading zeros."""

    def __init__(self, entries: list[Contribuyente] | None = None) -> None:
        self._by_ruc: dict[str, Contribuyente] = {}
        self._lock = threading.Lock()
        for entry in entries or []:
            self.put(entry)

    @staticmethod
    def key(ruc: str) -> str:
        return ruc.strip().split("-", 1)[0].lstrip("0") or "0"

    def put(self, entry: Contribuyente) -> None:
        with self._lock:
            self._by_ruc[self.key(entry.ruc)] = entry

    def get(self, ruc: str) -> Contribuyente | None:
        return self._by_ruc.get(self.key(ruc))

    def all(self) -> list[Contribuyente]:
        return list(self._by_ruc.values())

    def owner_of_timbrado(self, numero: str) -> Contribuyente | None:
        return next((c for c in self._by_ruc.values() if c.timbrado(numero) is not None), None)
