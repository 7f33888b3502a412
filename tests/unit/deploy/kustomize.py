"""A small kustomize for the tests: renders deploy/k8s overlays the way ``kubectl kustomize`` does
for the features deploy/k8s uses, and refuses any other feature (so a new one is noticed here):

* ``resources``: YAML files and directories holding a kustomization.yaml (rendered first);
* ``patches`` with an inline JSON 6902 ``patch`` (ops add, replace, remove) and a ``target`` of
  ``kind`` and optionally ``name`` (a regular expression matched in full, as kustomize does);
* ``namespace``: set on every resource;
* ``images``: ``name`` → ``newName``/``newTag`` for the containers of Deployments and Jobs.

A patch whose target matches nothing is an error here (kustomize ignores it: here it is a typo).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "patches", "images"}
Resource = dict[str, Any]


class UnsupportedFeature(ValueError):
    pass


def build(directory: Path) -> list[Resource]:
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise UnsupportedFeature(f"{directory}: {sorted(unknown)} not supported by the test renderer")
    resources: list[Resource] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            resources += build(path)
        else:
            text = path.read_text(encoding="utf-8")
            resources += [copy.deepcopy(doc) for doc in yaml.safe_load_all(text) if doc]
    for patch in spec.get("patches", []):
        _patch(resources, patch, directory)
    if "namespace" in spec:
        for resource in resources:
            resource["metadata"]["namespace"] = spec["namespace"]
    for image in spec.get("images", []):
        _set_image(resources, image)
    return resources


def _patch(resources: list[Resource], patch: dict[str, Any], directory: Path) -> None:
    if set(patch) != {"target", "patch"} or set(patch["target"]) - {"kind", "name"}:
        raise UnsupportedFeature(f"{directory}: only inline JSON 6902 patches with a kind/name target")
    target = patch["target"]
    ops = yaml.safe_load(patch["patch"])
    matched = [
        r
        for r in resources
        if r["kind"] == target["kind"]
        and ("name" not in target or re.fullmatch(target["name"], r["metadata"]["name"]))
    ]
    if not matched:
        raise ValueError(f"{directory}: patch target {target} matches nothing")
    for resource in matched:
        for op in ops:
            apply_op(resource, op)


def _pointer(path: str) -> list[str]:
    assert path.startswith("/"), path
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def apply_op(document: Any, op: dict[str, Any]) -> None:
    *parents, last = _pointer(op["path"])
    node = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    kind = op["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if kind == "add":
            node.insert(index, copy.deepcopy(op["value"]))
        elif kind == "replace":
            node[index] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del node[index]
        else:
            raise UnsupportedFeature(f"JSON patch op {kind}")
        return
    if kind == "add":
        node[last] = copy.deepcopy(op["value"])
    elif kind == "replace":
        if last not in node:
            raise ValueError(f"replace of missing {op['path']}")
        node[last] = copy.deepcopy(op["value"])
    elif kind == "remove":
        del node[last]
    else:
        raise UnsupportedFeature(f"JSON patch op {kind}")


def pod_spec(resource: Resource) -> dict[str, Any] | None:
    if resource["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
        spec: dict[str, Any] = resource["spec"]["template"]["spec"]
        return spec
    return None


def _set_image(resources: list[Resource], image: dict[str, str]) -> None:
    for resource in resources:
        spec = pod_spec(resource)
        for container in (spec or {}).get("containers", []) + (spec or {}).get("initContainers", []):
            name = re.split(r"[:@]", container["image"], maxsplit=1)[0]
            if name == image["name"]:
                new = image.get("newName", name)
                container["image"] = f"{new}:{image['newTag']}" if "newTag" in image else new
