"""The External Secrets Operator, the alternative backend, and builders of its SecretStore and ExternalSecret."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.validation import parse_go_duration

__all__ = [
    "API_VERSION",
    "CHART",
    "ExternalSecretsOperator",
    "ExternalSecretsOperatorArgs",
    "RemoteKey",
    "external_secret_manifest",
    "operator_values",
    "secret_store_manifest",
]

CHART = {"chart": "external-secrets", "version": "2.9.0", "repo": "https://charts.external-secrets.io"}
# Chart 2.9.0 serves external-secrets.io/v1 only; v1beta1 is still in the CRD but not served since v0.17.
API_VERSION = "external-secrets.io/v1"


class RemoteKey(TypedDict):
    secret_key: str
    """Key in the target Kubernetes Secret."""
    remote_key: str
    """Secrets Manager secret name or ARN."""
    property: NotRequired[str]
    """JSON key inside the secret. Default: the whole secret string."""


def operator_values() -> dict[str, Any]:
    """Chart values: the chart installs its own CRDs, so custom resources can depend on the release."""
    return {"installCRDs": True}


def secret_store_manifest(name: str, namespace: str, *, region: str, service_account: str) -> dict[str, Any]:
    """A namespaced SecretStore for Secrets Manager that authenticates as ``service_account`` (IRSA).

    Per app rather than one ClusterSecretStore: each store can read only what its app's role can, instead of the
    operator's own role reading every app's secrets.
    """
    return {
        "apiVersion": API_VERSION,
        "kind": "SecretStore",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "provider": {
                "aws": {
                    "service": "SecretsManager",
                    "region": region,
                    "auth": {"jwt": {"serviceAccountRef": {"name": service_account}}},
                }
            }
        },
    }


def external_secret_manifest(
    name: str, namespace: str, *, store: str, target: str, refresh_interval: str, data: Sequence[RemoteKey]
) -> dict[str, Any]:
    """An ExternalSecret that keeps the Kubernetes Secret ``target`` in step with Secrets Manager."""
    parse_go_duration(refresh_interval, "ExternalSecret refreshInterval")
    entries = []
    for item in data:
        remote: dict[str, str] = {"key": item["remote_key"]}
        if "property" in item:
            remote["property"] = item["property"]
        entries.append({"secretKey": item["secret_key"], "remoteRef": remote})
    return {
        "apiVersion": API_VERSION,
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "refreshInterval": refresh_interval,
            "secretStoreRef": {"name": store, "kind": "SecretStore"},
            # Owner: the Secret is deleted with the ExternalSecret, never left behind with stale credentials.
            "target": {"name": target, "creationPolicy": "Owner"},
            "data": entries,
        },
    }


class ExternalSecretsOperatorArgs(TypedDict):
    namespace: NotRequired[str]
    """Namespace of the operator. Default: ``external-secrets``."""


class ExternalSecretsOperator(pulumi.ComponentResource):
    """The External Secrets Operator Helm release (chart 2.9.0, CRDs included)."""

    crd_dependencies: list[pulumi.Resource]
    """What SecretStores and ExternalSecrets must depend on: the release that installs their CRDs."""

    def __init__(
        self, name: str, args: ExternalSecretsOperatorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eks-config-secrets:index:ExternalSecretsOperator", name, None, opts)
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name="external-secrets",
            chart=CHART["chart"],
            version=CHART["version"],
            repository_opts={"repo": CHART["repo"]},
            namespace=args.get("namespace", "external-secrets"),
            create_namespace=True,
            values=operator_values(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.crd_dependencies = [release]
        self.register_outputs({})
