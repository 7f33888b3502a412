"""Every failure becomes the FacturaSend envelope: success=false, error (text), errores (list).

`errores` items are ValidationIssue dicts {code, path, message} (+ `index` for lote documents).
Unexpected exceptions are logged with their traceback and answered 500 with a generic message:
never a traceback in the body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog
from aiohttp import web

from sifenflow_common.errors import ValidationIssue
from sifenflow_gateway.logpath import loggable_path
from sifenflow_gateway.times import json_default

log = structlog.get_logger("sifenflow.gateway")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        path: str = "$",
        issues: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.issues = issues if issues is not None else [{"code": code, "path": path, "message": message}]
        self.headers = headers or {}


def invalid(issues: list[ValidationIssue], *, status: int = 400, limit: int = 3) -> ApiError:
    first = issues[0]
    text = "; ".join(f"{i.message} ({i.path})" for i in issues[:limit])
    return ApiError(status, first.code, text, issues=[i.as_dict() for i in issues])


def error_body(err: ApiError) -> dict[str, Any]:
    return {"success": False, "error": err.message, "code": err.code, "errores": err.issues}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, default=json_default),
        status=status,
        content_type="application/json",
        headers=headers,
    )


_HTTP_CODES = {
    404: ("RECURSO_NO_ENCONTRADO", "Recurso no encontrado"),
    405: ("METODO_NO_PERMITIDO", "Método HTTP no permitido para esta ruta"),
    413: ("CUERPO_DEMASIADO_GRANDE", "El cuerpo de la solicitud supera el tamaño máximo permitido"),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        return json_response(error_body(err), err.status, err.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = _HTTP_CODES.get(exc.status, ("ERROR_HTTP", exc.reason))
        return json_response(error_body(ApiError(exc.status, code, message)), exc.status)
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError):
        log.exception("backend_unavailable", path=loggable_path(request), method=request.method)
        busy = ApiError(503, "SERVICIO_NO_DISPONIBLE", "Servicio temporalmente no disponible; reintente")
        return json_response(error_body(busy), 503, {"Retry-After": "5"})
    except Exception:
        log.exception("unhandled_error", path=loggable_path(request), method=request.method)
        internal = ApiError(500, "ERROR_INTERNO", "Error interno; intente nuevamente más tarde")
        return json_response(error_body(internal), 500)
