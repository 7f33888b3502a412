"""deploy/k8s renders (tests/unit/deploy/kustomize.py, checked identical to ``kubectl kustomize``)
and every overlay is valid: core kinds against the Kubernetes OpenAPI schemas (kubernetes-validate,
strict: unknown fields fail), custom resources against crd_schemas.py; then what sifenflow needs
of it: every service deployed with its probes and resources, every worker autoscaled on the queues
its code consumes, Secrets only by reference."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from sifenflow_cli.commands.serve import SERVICES
from tests.unit.deploy.compose_config import ROOT
from tests.unit.deploy.crd_schemas import check, custom_kind
from tests.unit.deploy.kustomize import build, pod_spec
from tests.unit.deploy.test_compose import _resolve
from tests.unit.deploy.worker_queues import WORKERS, worker_queues

pytestmark = pytest.mark.unit

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest release the manifests are meant for
OVERLAYS = ("small", "medium", "large", "dev")
SECRETS = {
    "sifenflow-db-app",
    "sifenflow-amqp",
    "sifenflow-master-key",
    "sifenflow-backup-s3",
    "sifenflow-api-tls",
}
Resource = dict[str, Any]


@functools.cache
def _render(overlay: str) -> tuple[Resource, ...]:
    return tuple(build(K8S / "overlays" / overlay))


def _rendered(overlay: str) -> list[Resource]:
    return copy.deepcopy(list(_render(overlay)))


def _one(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _all(resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_is_valid(overlay: str) -> None:
    resources = _rendered(overlay)
    assert resources
    for resource in resources:
        name = f"{overlay}: {resource['kind']}/{resource['metadata']['name']}"
        try:
            if custom_kind(resource):
                check(resource)
            else:
                kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            pytest.fail(f"{name}: {exc.message} at {list(exc.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"{name}: neither a Kubernetes kind nor a checked custom resource")
        assert resource["metadata"]["namespace"] == "sifenflow", name


def test_the_validators_catch_mistakes() -> None:
    deployment = copy.deepcopy(_one(_rendered("small"), "Deployment", "builder"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    scaled = copy.deepcopy(_one(_rendered("small"), "ScaledObject", "builder"))
    scaled["spec"]["triggers"][0]["metadata"]["value"] = 50  # KEDA wants strings
    with pytest.raises(jsonschema.ValidationError):
        check(scaled)
    cluster = copy.deepcopy(_one(_rendered("small"), "Cluster", "sifenflow-db"))
    cluster["spec"]["backup"]["barmanObjectStore"]["destinationPth"] = "s3://x"
    with pytest.raises(jsonschema.ValidationError):
        check(cluster)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_runs_with_probes_resources_and_its_real_command(overlay: str) -> None:
    resources = _rendered(overlay)
    deployments = _all(resources, "Deployment")
    config = _one(resources, "ConfigMap", "sifenflow-config")["data"]
    assert config["HTTP_HOST"] == "0.0.0.0"
    images = set()
    for service in SERVICES:
        deployment = deployments[service]
        spec = deployment["spec"]
        assert _selects(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]), service
        (container,) = spec["template"]["spec"]["containers"]
        _resolve(container["args"])
        assert container["args"] == ["serve", service]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["http"] == int(config["HTTP_PORT"]), service
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, service
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, service
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), service
        assert "memory" in container["resources"]["limits"], service
        grace = spec["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > float(config["SHUTDOWN_TIMEOUT_S"]), f"{service}: SIGTERM drain cut short"
        env = {e["name"]: e for e in container["env"]}
        for variable in ("DATABASE_URL", "AMQP_URL", "MASTER_KEY"):
            assert "secretKeyRef" in env[variable]["valueFrom"], f"{service}: {variable}"
        images.add(container["image"])
    for other in (r for r in resources if pod_spec(r) is not None):
        images |= {c["image"] for c in pod_spec(other)["containers"]}  # type: ignore[index]
    assert len(images) == 1 and ":" in next(iter(images)), f"one tagged image for everything: {images}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_disruption_budget(overlay: str) -> None:
    resources = _rendered(overlay)
    budgets = _all(resources, "PodDisruptionBudget")
    for name in SERVICES:
        labels = _one(resources, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert any(_selects(b["spec"]["selector"]["matchLabels"], labels) for b in budgets.values()), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_worker_scales_on_each_queue_its_code_consumes(overlay: str) -> None:
    resources = _rendered(overlay)
    scaled = _all(resources, "ScaledObject")
    auths = _all(resources, "TriggerAuthentication")
    queues = worker_queues()
    assert set(queues) == set(WORKERS) and all(queues.values())
    by_target = {s["spec"]["scaleTargetRef"]["name"]: s for s in scaled.values()}
    assert set(by_target) == set(WORKERS), "exactly one ScaledObject per worker, none for the rest"
    for worker, consumed in queues.items():
        spec = by_target[worker]["spec"]
        triggers = spec["triggers"]
        assert {t["metadata"]["queueName"] for t in triggers} == consumed, worker
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"], worker
        for trigger in triggers:
            assert trigger["metadata"]["mode"] == "QueueLength"
            auth = auths[trigger["authenticationRef"]["name"]]
            (ref,) = auth["spec"]["secretTargetRef"]
            assert (ref["parameter"], ref["name"]) == ("host", "sifenflow-amqp")
    hpas = _all(resources, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {"gateway"}


def test_ceilings_grow_from_small_to_large() -> None:
    def ceilings(overlay: str) -> dict[str, int]:
        out = {
            s["spec"]["scaleTargetRef"]["name"]: s["spec"]["maxReplicaCount"]
            for s in _rendered(overlay)
            if s["kind"] == "ScaledObject"
        }
        out["gateway"] = _one(_rendered(overlay), "HorizontalPodAutoscaler", "gateway")["spec"]["maxReplicas"]
        return out

    small, medium, large = ceilings("small"), ceilings("medium"), ceilings("large")
    for name in small:
        assert small[name] <= medium[name] <= large[name], name
    assert sum(large.values()) > sum(medium.values()) > sum(small.values())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_only_by_reference(overlay: str) -> None:
    resources = _rendered(overlay)
    assert not [r for r in resources if r["kind"] == "Secret"]
    referenced: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"secretKeyRef", "secretRef"} or (key == "secretTargetRef"):
                    for ref in value if isinstance(value, list) else [value]:
                        referenced.add(ref["name"])
                elif key in {"accessKeyId", "secretAccessKey"}:
                    referenced.add(value["name"])
                elif key == "secretName":
                    referenced.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for resource in resources:
        walk(resource)
        for container in (pod_spec(resource) or {}).get("containers", []):
            for env in container.get("env", []):
                assert "value" not in env or not any(
                    word in env["name"] for word in ("KEY", "PASSWORD", "SECRET", "URL")
                ), f"{env['name']} given as a literal"
    assert referenced == SECRETS
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret in operations, f"docs/operations.md does not say how to create {secret}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_broker_migrations_and_ingress_fit_together(overlay: str) -> None:
    resources = _rendered(overlay)
    cluster = _one(resources, "Cluster", "sifenflow-db")
    # CloudNativePG names the application user's Secret <cluster>-app, with the DSN under `uri`
    database_refs = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for r in resources
        for c in (pod_spec(r) or {}).get("containers", [])
        for e in c.get("env", [])
        if e["name"] == "DATABASE_URL"
    }
    assert database_refs == {f"{cluster['metadata']['name']}-app"}
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")
    assert (
        _one(resources, "ScheduledBackup", "sifenflow-db-daily")["spec"]["cluster"]["name"] == "sifenflow-db"
    )
    assert _one(resources, "RabbitmqCluster", "sifenflow-rabbitmq")
    job = _one(resources, "Job", "sifenflow-migrate")
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["db", "migrate"]
    _resolve(migrate["args"])
    ingress = _one(resources, "Ingress", "gateway")
    (tls,) = ingress["spec"]["tls"]
    assert tls["secretName"] == "sifenflow-api-tls"
    services = _all(resources, "Service")
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in tls["hosts"]
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            service = services[backend["name"]]
            assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    for service in services.values():
        targets = [
            d
            for d in _all(resources, "Deployment").values()
            if _selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(targets) == 1, service["metadata"]["name"]
        port_names = {
            p["name"] for c in targets[0]["spec"]["template"]["spec"]["containers"] for p in c["ports"]
        }
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_the_dev_overlay_adds_the_simulator_and_points_simulado_emisores_to_it(tmp_path: Path) -> None:
    resources = _rendered("dev")
    sim = _one(resources, "Deployment", "sifen-sim")
    (container,) = sim["spec"]["template"]["spec"]["containers"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    on_host = []
    for arg in container["args"]:
        if arg in mounts:
            arg = str(tmp_path / Path(arg).name)
            Path(arg).mkdir()
        on_host.append(arg)
    _resolve(on_host)
    assert container["args"][container["args"].index("--host") + 1] == "0.0.0.0"
    port = container["args"][container["args"].index("--port") + 1]
    url = _one(resources, "ConfigMap", "sifenflow-config")["data"]["SIM_BASE_URL"]
    service = _one(resources, "Service", "sifen-sim")
    assert url == f"http://sifen-sim:{service['spec']['ports'][0]['port']}"
    assert str(service["spec"]["ports"][0]["port"]) == port
    for overlay in ("small", "medium", "large"):
        assert not [r for r in _rendered(overlay) if r["metadata"]["name"] == "sifen-sim"]


def test_the_renderer_refuses_features_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nconfigMapGenerator: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="configMapGenerator"):
        build(tmp_path)
