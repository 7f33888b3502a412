"""OpenAPI 3.1 document built from the route table, and a self-contained HTML rendering of it."""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

from sifenflow_common.facturasend.models import Documento, Params

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["success", "error", "errores"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "string", "description": "Mensaje en español"},
        "code": {"type": "string", "description": "Código estable UPPER_SNAKE"},
        "errores": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "path", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "path": {"type": "string", "description": "Ruta JSON del campo"},
                    "message": {"type": "string"},
                    "index": {"type": "integer", "description": "Documento del lote"},
                },
            },
        },
    },
}
DE_ENTRY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "cdc": {"type": "string", "pattern": "^[0-9]{44}$"},
        "numero": {"type": "string", "examples": ["001-001-0000001"]},
        "estado": {"type": "string"},
        "situacion": {"type": "integer"},
        "respuesta_codigo": {"type": ["string", "null"]},
        "respuesta_mensaje": {"type": ["string", "null"]},
        "xml": {"type": ["string", "null"]},
        "qr": {"type": ["string", "null"]},
        "dIVA5": {"type": "number"},
        "dIVA10": {"type": "number"},
    },
}
ENVELOPE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "deList": {"type": "array", "items": {"$ref": "#/components/schemas/DeEntry"}},
        "loteId": {"type": "integer"},
        "result": {"description": "Espejo de deList/loteId, o el resultado de la consulta"},
    },
}
_STATUS_TEXT = {
    "400": "Entrada inválida",
    "401": "Invalid token",
    "403": "Rol no autorizado",
    "404": "No encontrado (también empresa ajena)",
    "409": "Número ya utilizado",
    "413": "Cuerpo demasiado grande",
    "422": "Idempotency-Key reutilizada",
    "429": "Límite de solicitudes",
}


@cache
def model_schemas() -> dict[str, Any]:
    """JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the engine's FacturaSend models."""
    out: dict[str, Any] = {}
    for name, model in (("Documento", Documento), ("Params", Params)):
        schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[name] = schema
    return out


_BODY_SCHEMAS: dict[str, dict[str, Any]] = {
    "json": {"$ref": "#/components/schemas/Documento"},
    "json-array": {
        "type": "array",
        "minItems": 1,
        "maxItems": 50,
        "items": {"$ref": "#/components/schemas/Documento"},
    },
    "ndjson": {"type": "string", "description": "Un objeto Documento (data) por línea, hasta 10.000"},
}


def build_spec(routes: Any, server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", route.path)
        ]
        params += [
            {"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in route.query
        ]
        if route.body in ("json", "json-array"):
            params.append(
                {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"}}
            )
        op: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": f"{route.method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', route.path).strip('_')}",
            "parameters": params,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
                },
                **{
                    code: {
                        "description": text,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
                    for code, text in _STATUS_TEXT.items()
                },
            },
        }
        if route.auth == "none":
            op["security"] = []
        elif route.auth == "masterKey":
            op["security"] = [{"masterKey": []}]
        elif route.auth == "session":
            op["security"] = [{"session": []}]
        if route.body is not None:
            media = "application/x-ndjson" if route.body == "ndjson" else "application/json"
            documents = route.tag in ("documentos", "masivo")
            schema = _BODY_SCHEMAS[route.body] if documents else {"type": "object"}
            op["requestBody"] = {"required": True, "content": {media: {"schema": schema}}}
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sifenflow gateway",
            "version": "0.1.0",
            "description": (
                "API compatible con FacturaSend para SIFEN (Manual Técnico v150),"
                " más /invoicing y envío masivo."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"apiKey": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer api_key_… (o la clave sola, sin esquema)",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sf_access",
                    "description": "Sesión de usuario (docs/users.md); escrituras con X-CSRF-Token",
                },
                "masterKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Clave maestra (solo /admin)",
                },
            },
            "schemas": {**model_schemas(), "Error": ERROR_SCHEMA, "DeEntry": DE_ENTRY, "Envelope": ENVELOPE},
        },
    }


def render_html(spec: dict[str, Any]) -> str:
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            security = op.get("security")
            auth = (
                "sin autenticación"
                if security == []
                else "sesión de usuario"
                if security == [{"session": []}]
                else ("clave maestra" if security else "Bearer api_key_… o sesión")
            )
            query = ", ".join(p["name"] for p in op["parameters"] if p["in"] == "query")
            rows.append(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                    method.upper(), html.escape(path), html.escape(op["summary"]), auth, html.escape(query)
                )
            )
    title = html.escape(spec["info"]["title"])
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>"
        f"</head><body><h1>{title} {html.escape(spec['info']['version'])}</h1>"
        f"<p>{html.escape(spec['info']['description'])}</p>"
        '<p>Documento completo: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errores: '
        "<code>{success:false, error, code, errores:[{code, path, message}]}</code>.</p>"
        "<table><tr><th>Método</th><th>Ruta</th><th>Descripción</th><th>Autenticación</th><th>Query</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
