"""Query parameters of the search, export and report routes → filters, or a 400 naming the parameter."""

from __future__ import annotations

import binascii
from datetime import date

from aiohttp import web

from sifenflow_common.readmodel.search_queries import Cursor, SearchFilters
from sifenflow_gateway.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_Q = 100
DOCUMENT_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 55})
ENVIRONMENTS = frozenset({"simulado", "test", "produccion"})
# estado: the FacturaSend situacion number or its label (any case, without accents)
ESTADOS: dict[str, int] = {
    "generado": 0,
    "enviado": 1,
    "aprobado": 2,
    "aprobado con observacion": 3,
    "rechazado": 4,
    "inutilizado": 97,
    "cancelado": 99,
}


def _bad(name: str, code: str, message: str) -> ApiError:
    return ApiError(400, code, message, path=f"query.{name}")


def query_date(request: web.Request, name: str) -> date | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) != len("2026-01-31"):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(name, "FECHA_INVALIDA", f"{name} debe ser una fecha AAAA-MM-DD") from None


def date_range(request: web.Request) -> tuple[date | None, date | None]:
    desde, hasta = query_date(request, "desde"), query_date(request, "hasta")
    if desde is not None and hasta is not None and desde > hasta:
        raise _bad("hasta", "RANGO_INVALIDO", "hasta no puede ser anterior a desde")
    return desde, hasta


def environment(request: web.Request) -> str | None:
    raw = request.query.get("ambiente")
    if raw is None or raw == "":
        return None
    if raw not in ENVIRONMENTS:
        raise _bad("ambiente", "AMBIENTE_INVALIDO", "ambiente debe ser simulado, test o produccion")
    return raw


def _estado(raw: str) -> int:
    if raw.lstrip("-").isdigit() and int(raw) in ESTADOS.values():
        return int(raw)
    found = ESTADOS.get(" ".join(raw.casefold().replace("ó", "o").split()))
    if found is None:
        raise _bad(
            "estado",
            "ESTADO_INVALIDO",
            "estado debe ser generado, enviado, aprobado, aprobado con observacion, rechazado, inutilizado,"
            " cancelado o su número de situación",
        )
    return found


def filters(request: web.Request) -> SearchFilters:
    desde, hasta = date_range(request)
    query = request.query
    estado = query.get("estado") or None
    tipo = query.get("tipoDocumento") or None
    if tipo is not None and (not tipo.isdigit() or int(tipo) not in DOCUMENT_TYPES):
        raise _bad(
            "tipoDocumento", "TIPO_DOCUMENTO_INVALIDO", "tipoDocumento no es un tipo de documento válido"
        )
    ruc = (query.get("ruc") or "").strip() or None
    if ruc is not None and not (ruc.replace("-", "").isdigit() and len(ruc) <= 10 and ruc.count("-") <= 1):
        raise _bad("ruc", "RUC_INVALIDO", "ruc debe ser un RUC (con o sin dígito verificador)")
    q = (query.get("q") or "").strip() or None
    if q is not None and len(q) > MAX_Q:
        raise _bad("q", "PARAMETRO_INVALIDO", f"q admite hasta {MAX_Q} caracteres")
    return SearchFilters(
        desde=desde,
        hasta=hasta,
        situacion=_estado(estado) if estado is not None else None,
        document_type=int(tipo) if tipo is not None else None,
        ruc=ruc,
        q=q,
        environment=environment(request),
    )


def limit(request: web.Request) -> int:
    raw = request.query.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise _bad("limit", "PARAMETRO_INVALIDO", f"limit debe ser un número entre 1 y {MAX_LIMIT}")
    return int(raw)


def cursor(request: web.Request) -> Cursor | None:
    raw = request.query.get("cursor")
    if raw is None or raw == "":
        return None
    try:
        return Cursor.decode(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError, OSError):
        raise _bad(
            "cursor", "CURSOR_INVALIDO", "cursor no es válido: use el nextCursor de la respuesta"
        ) from None
