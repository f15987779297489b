"""The External Secrets Operator, the alternative backend, and builders of its SecretStore and ExternalSecret."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from components.helm import PinnedChart, pinned_release
from components.iam_policies import check_region
from components.validation import SettingsError, check_dns1123_label, check_dns1123_subdomain, parse_go_duration

__all__ = [
    "API_VERSION",
    "CHART",
    "DEFAULT_NAMESPACE",
    "STORE_KINDS",
    "ExternalSecretsOperator",
    "ExternalSecretsOperatorArgs",
    "RemoteKey",
    "external_secret_manifest",
    "operator_values",
    "secret_store_manifest",
]

DEFAULT_NAMESPACE = "external-secrets"
"""Namespace of the operator's release when ``ExternalSecretsOperatorArgs.namespace`` is omitted."""

CHART: PinnedChart = {"chart": "external-secrets", "version": "2.9.0", "repo": "https://charts.external-secrets.io"}
# Chart 2.9.0 serves external-secrets.io/v1 only; v1beta1 is still in the CRD but not served since v0.17.
API_VERSION = "external-secrets.io/v1"
STORE_KINDS = ("SecretStore", "ClusterSecretStore")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class RemoteKey(TypedDict):
    secret_key: str
    """Key in the target Kubernetes Secret ([-._a-zA-Z0-9]+)."""
    remote_key: str
    """Secrets Manager secret name or ARN."""
    property: NotRequired[str]
    """JSON key inside the secret. Omitted: the whole secret string."""


def operator_values() -> dict[str, Any]:
    """Chart values: the chart installs its own CRDs (``installCRDs``), so custom resources can depend on the
    release. Set although it is the chart's default: the CRD dependency of every store relies on it."""
    return {"installCRDs": True}


def _check_store_kind(kind: str, setting: str) -> None:
    if kind not in STORE_KINDS:
        raise SettingsError(setting, kind, f"is not one of: {', '.join(STORE_KINDS)}")


def secret_store_manifest(
    name: str,
    namespace: str,
    *,
    region: str,
    service_account: str,
    kind: str = "SecretStore",
) -> dict[str, Any]:
    """A store for Secrets Manager that authenticates as ``service_account`` through IRSA (its role-arn
    annotation).

    ``kind`` ``SecretStore`` (namespaced, the ServiceAccount in its namespace) or ``ClusterSecretStore`` (cluster
    scoped: ``namespace`` is then the ServiceAccount's namespace only). Store-level ``serviceAccountRef`` is IRSA
    only: ESO cannot combine it with EKS Pod Identity.
    """
    _check_store_kind(kind, "secret_store_manifest kind")
    check_dns1123_subdomain(name, f"{kind} name")
    check_dns1123_label(namespace, f"{kind} namespace")
    check_region(region, f"{kind} region")
    check_dns1123_subdomain(service_account, f"{kind} service_account")
    service_account_ref = {"name": service_account}
    metadata = {"name": name, "namespace": namespace}
    if kind == "ClusterSecretStore":
        # A cluster-scoped store has no namespace of its own: the reference must say where the ServiceAccount is.
        service_account_ref["namespace"] = namespace
        metadata = {"name": name}
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": metadata,
        "spec": {
            "provider": {
                "aws": {
                    "service": "SecretsManager",
                    "region": region,
                    "auth": {"jwt": {"serviceAccountRef": service_account_ref}},
                }
            }
        },
    }


def external_secret_manifest(
    name: str,
    namespace: str,
    *,
    store: str,
    target: str,
    refresh_interval: str,
    data: Sequence[RemoteKey],
    store_kind: str = "SecretStore",
) -> dict[str, Any]:
    """An ExternalSecret that keeps the Kubernetes Secret ``target`` in step with Secrets Manager."""
    check_dns1123_subdomain(name, "ExternalSecret name")
    check_dns1123_label(namespace, "ExternalSecret namespace")
    check_dns1123_subdomain(store, "ExternalSecret store")
    _check_store_kind(store_kind, "ExternalSecret store_kind")
    check_dns1123_subdomain(target, "ExternalSecret target")
    parse_go_duration(refresh_interval, "ExternalSecret refresh_interval")
    if not data:
        raise SettingsError("ExternalSecret data", [], "is empty: fetch at least one key")
    entries = []
    keys: set[str] = set()
    for i, item in enumerate(data):
        if not _SECRET_KEY.match(item["secret_key"]):
            raise SettingsError(f"ExternalSecret data[{i}].secret_key", item["secret_key"],
                                "is not a Secret key ([-._a-zA-Z0-9]+)")
        if item["secret_key"] in keys:
            raise SettingsError(f"ExternalSecret data[{i}].secret_key", item["secret_key"],
                                "is given more than once; keys must be unique")
        keys.add(item["secret_key"])
        if not item["remote_key"]:
            raise SettingsError(f"ExternalSecret data[{i}].remote_key", item["remote_key"], "is empty")
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
            "secretStoreRef": {"name": store, "kind": store_kind},
            # Owner: the Secret is deleted with the ExternalSecret, never left behind with stale credentials.
            "target": {"name": target, "creationPolicy": "Owner"},
            "data": entries,
        },
    }


class ExternalSecretsOperatorArgs(TypedDict):
    namespace: NotRequired[str]
    """Namespace of the operator, created by the release. Omitted: ``external-secrets``."""


class ExternalSecretsOperator(pulumi.ComponentResource):
    """The External Secrets Operator Helm release (chart 2.9.0, CRDs included)."""

    crd_dependencies: list[pulumi.Resource]
    """What SecretStores and ExternalSecrets must depend on: the release that installs their CRDs."""
    namespace: pulumi.Output[str]
    """Namespace of the operator."""
    release_name: pulumi.Output[str]
    """Name of the Helm release."""

    def __init__(
        self, name: str, args: ExternalSecretsOperatorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        namespace = check_dns1123_label(args.get("namespace", DEFAULT_NAMESPACE),
                                        "ExternalSecretsOperatorArgs.namespace")
        super().__init__("eks-config-secrets:index:ExternalSecretsOperator", name, None, opts)
        release = pinned_release(
            f"{name}-release",
            CHART,
            namespace=namespace,
            create_namespace=True,
            values=operator_values(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.crd_dependencies = [release]
        self.namespace = release.namespace.apply(str)
        self.release_name = release.name.apply(str)
        self.register_outputs({"namespace": self.namespace, "release_name": self.release_name})
