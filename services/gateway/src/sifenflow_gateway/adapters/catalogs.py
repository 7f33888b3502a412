"""Geography catalogs (departamentos, distritos, ciudades) from the engine's geografia.csv reader."""

from __future__ import annotations

from typing import Any

from sifenflow_common.sifen.catalogs import geografia, normalize_text


def _matches(name: str, wanted: str | None) -> bool:
    return wanted is None or normalize_text(wanted) in normalize_text(name)


class EngineCatalogs:
    def _dep(self, code: int) -> dict[str, Any]:
        return {"codigo": code, "descripcion": geografia().departamentos[code]}

    def _dist(self, code: int) -> dict[str, Any]:
        dist = geografia().distritos[code]
        return {"codigo": code, "descripcion": dist.name, "departamento": self._dep(dist.departamento)}

    def departamentos(self) -> list[dict[str, Any]]:
        return [self._dep(c) for c in sorted(geografia().departamentos)]

    def distritos(self, departamento: int | None, nombre: str | None) -> list[dict[str, Any]]:
        return [
            self._dist(code)
            for code, dist in sorted(geografia().distritos.items())
            if (departamento is None or dist.departamento == departamento) and _matches(dist.name, nombre)
        ]

    def ciudades(self, distrito: int | None, nombre: str | None) -> list[dict[str, Any]]:
        return [
            {"codigo": code, "descripcion": city.name, "distrito": self._dist(city.distrito)}
            for code, city in sorted(geografia().ciudades.items())
            if (distrito is None or city.distrito == distrito) and _matches(city.name, nombre)
        ]
