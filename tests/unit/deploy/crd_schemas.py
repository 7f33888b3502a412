"""Field checks for the custom resources under deploy/k8s (no package on PyPI ships their
published CRD schemas): the fields sifenflow uses, their types and the values the operators accept
(KEDA 2.x ScaledObject/TriggerAuthentication with the rabbitmq scaler, CloudNativePG 1.2x
Cluster/ScheduledBackup, RabbitMQ Cluster Operator 2.x RabbitmqCluster). Unknown fields are errors
at every level listed, so a misspelt field fails the test instead of being ignored by the API."""

from __future__ import annotations

from typing import Any

import jsonschema

Schema = dict[str, Any]


def _obj(properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


STRING = {"type": "string", "minLength": 1}
INT = {"type": "integer", "minimum": 0}
QUANTITY = {"type": ["string", "integer"], "pattern": r"^[0-9.]+(m|Ki|Mi|Gi|Ti|k|M|G|T)?$"}
SECRET_KEY = _obj({"name": STRING, "key": STRING}, ("name", "key"))
RESOURCES = _obj(
    {
        "requests": _obj({"cpu": QUANTITY, "memory": QUANTITY}),
        "limits": _obj({"cpu": QUANTITY, "memory": QUANTITY}),
    }
)
METADATA = {
    "type": "object",
    "properties": {"name": STRING, "namespace": STRING, "labels": {"type": "object"}},
    "required": ["name"],
}


def _resource(api_version: str, kind: str, spec: Schema) -> Schema:
    return _obj(
        {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": METADATA, "spec": spec},
        ("apiVersion", "kind", "metadata", "spec"),
    )


RABBITMQ_TRIGGER_METADATA = _obj(
    {
        "protocol": {"enum": ["amqp", "http", "auto"]},
        "queueName": STRING,
        "mode": {"enum": ["QueueLength", "MessageRate"]},
        "value": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},  # KEDA metadata values are strings
        "activationValue": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},
        "vhostName": STRING,
    },
    ("queueName", "mode", "value"),
)

SCHEMAS: dict[tuple[str, str], Schema] = {
    ("keda.sh/v1alpha1", "ScaledObject"): _resource(
        "keda.sh/v1alpha1",
        "ScaledObject",
        _obj(
            {
                "scaleTargetRef": _obj({"name": STRING, "kind": STRING, "apiVersion": STRING}, ("name",)),
                "minReplicaCount": INT,
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": INT,
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": _obj(
                        {
                            "type": {"const": "rabbitmq"},
                            "metadata": RABBITMQ_TRIGGER_METADATA,
                            "authenticationRef": _obj(
                                {
                                    "name": STRING,
                                    "kind": {
                                        "enum": ["TriggerAuthentication", "ClusterTriggerAuthentication"]
                                    },
                                },
                                ("name",),
                            ),
                        },
                        ("type", "metadata"),
                    ),
                },
            },
            ("scaleTargetRef", "triggers"),
        ),
    ),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): _resource(
        "keda.sh/v1alpha1",
        "TriggerAuthentication",
        _obj(
            {
                "secretTargetRef": {
                    "type": "array",
                    "minItems": 1,
                    "items": _obj(
                        {"parameter": STRING, "name": STRING, "key": STRING}, ("parameter", "name", "key")
                    ),
                }
            },
            ("secretTargetRef",),
        ),
    ),
    ("postgresql.cnpg.io/v1", "Cluster"): _resource(
        "postgresql.cnpg.io/v1",
        "Cluster",
        _obj(
            {
                "instances": {"type": "integer", "minimum": 1},
                "imageName": STRING,
                "bootstrap": _obj(
                    {"initdb": _obj({"database": STRING, "owner": STRING}, ("database", "owner"))}
                ),
                "storage": _obj({"size": QUANTITY, "storageClass": STRING}, ("size",)),
                "resources": RESOURCES,
                "backup": _obj(
                    {
                        "retentionPolicy": {"type": "string", "pattern": r"^[1-9][0-9]*[dwm]$"},
                        "barmanObjectStore": _obj(
                            {
                                "destinationPath": {"type": "string", "pattern": r"^(s3|gs|https?)://"},
                                "endpointURL": STRING,
                                "s3Credentials": _obj(
                                    {
                                        "accessKeyId": SECRET_KEY,
                                        "secretAccessKey": SECRET_KEY,
                                        "region": SECRET_KEY,
                                    },
                                    ("accessKeyId", "secretAccessKey"),
                                ),
                                "wal": _obj(
                                    {"compression": {"enum": ["gzip", "bzip2", "snappy"]}, "maxParallel": INT}
                                ),
                                "data": _obj(
                                    {"compression": {"enum": ["gzip", "bzip2", "snappy"]}, "jobs": INT}
                                ),
                            },
                            ("destinationPath",),
                        ),
                    },
                    ("barmanObjectStore",),
                ),
            },
            ("instances", "storage"),
        ),
    ),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): _resource(
        "postgresql.cnpg.io/v1",
        "ScheduledBackup",
        _obj(
            {
                # CloudNativePG's cron expression has six fields, the first being seconds
                "schedule": {"type": "string", "pattern": r"^\S+( \S+){5}$"},
                "backupOwnerReference": {"enum": ["none", "self", "cluster"]},
                "cluster": _obj({"name": STRING}, ("name",)),
                "method": {"enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
            },
            ("schedule", "cluster"),
        ),
    ),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): _resource(
        "rabbitmq.com/v1beta1",
        "RabbitmqCluster",
        _obj(
            {
                "replicas": {"type": "integer", "minimum": 1},
                "image": STRING,
                "persistence": _obj({"storage": QUANTITY, "storageClassName": STRING}),
                "resources": RESOURCES,
                "rabbitmq": _obj(
                    {"additionalConfig": {"type": "string"}, "additionalPlugins": {"type": "array"}}
                ),
            }
        ),
    ),
}


def custom_kind(resource: dict[str, Any]) -> bool:
    return (resource["apiVersion"], resource["kind"]) in SCHEMAS


def check(resource: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``resource`` has a field or value the operator refuses."""
    jsonschema.validate(resource, SCHEMAS[(resource["apiVersion"], resource["kind"])])
