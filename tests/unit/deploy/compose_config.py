"""The effective configuration of docker-compose.yml, resolved the way ``docker compose config`` does
for the features the file uses (no Docker engine or compose plugin is needed):

* YAML anchors and ``<<`` merge keys (PyYAML resolves them while loading);
* ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}`` and
  ``$$`` interpolation against a given environment;
* ``depends_on`` given as a list becomes ``{service: {condition: service_started}}``;
* ``environment`` given as a list of ``KEY=VALUE`` becomes a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"

_VAR = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


class MissingVariable(LookupError):
    pass


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
        value = env.get(name)
        unset_or_empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-"):
            return arg if unset_or_empty else str(value)
        if op in (":?", "?"):
            if unset_or_empty:
                raise MissingVariable(f"{name}: {arg}")
            return str(value)
        return value or ""

    return _VAR.sub(one, text)


def _walk(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_walk(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _walk(value, env) for key, value in node.items()}
    return node


def _normalise(service: dict[str, Any]) -> dict[str, Any]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        depends = {name: {"condition": "service_started"} for name in depends}
    service["depends_on"] = depends
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    service["environment"] = {key: str(value) for key, value in environment.items()}
    return service


def effective_config(env: Mapping[str, str], path: Path = COMPOSE) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    config = _walk({k: v for k, v in raw.items() if not k.startswith("x-")}, env)
    config["services"] = {name: _normalise(dict(spec)) for name, spec in config["services"].items()}
    return config
