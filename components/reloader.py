"""Stakater Reloader: rolls a workload when a Secret it names changes outside Pulumi (a rotation synced by the
CSI driver or the External Secrets Operator), which env vars and ``subPath`` mounts would otherwise never see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi

from components.helm import PinnedChart, pinned_release
from components.validation import SettingsError, check_dns1123_label, check_dns1123_subdomain, check_unique

__all__ = ["CHART", "RELOAD_SECRETS_ANNOTATION", "Reloader", "ReloaderArgs", "reload_on_secrets", "reloader_values"]

# stakater/Reloader tag chart-v2.2.16 (app v1.4.21), the newest chart release we could check. We have no copy of
# its values.yaml vendored, so we set only the two keys of its scoped mode, read at that tag.
CHART: PinnedChart = {"chart": "reloader", "version": "2.2.16", "repo": "https://stakater.github.io/stakater-charts"}
RELOAD_SECRETS_ANNOTATION = "secret.reloader.stakater.com/reload"
"""Read by Reloader on a workload's own metadata (not the pod template): a rolling restart when one of the named
Secrets (comma-separated) changes."""


def reload_on_secrets(secret_names: Sequence[str]) -> dict[str, str]:
    """The Deployment annotation that makes Reloader roll it when one of these Secrets changes.

    Named Secrets rather than ``reloader.stakater.com/auto``, which would also roll on Secrets the pods do not use.
    """
    if not secret_names:
        raise SettingsError("reload_on_secrets", [], "is empty: name the Secrets to watch")
    for i, secret in enumerate(secret_names):
        check_dns1123_subdomain(secret, f"reload_on_secrets[{i}]")
    return {RELOAD_SECRETS_ANNOTATION: ",".join(sorted(set(secret_names)))}


def reloader_values(namespaces: Sequence[str]) -> dict[str, Any]:
    """Chart values: none for a cluster-wide controller; for given namespaces, the chart's scoped mode.

    Scoped mode (``watchGlobally: false`` with ``namespaces``) gives Reloader a Role per namespace and no
    ClusterRole: it can then read the Secrets of those namespaces only, instead of every Secret in the cluster.
    """
    if not namespaces:
        return {}
    return {"reloader": {"watchGlobally": False, "namespaces": list(namespaces)}}


class ReloaderArgs(TypedDict):
    namespace: NotRequired[str]
    """Namespace of the controller. Omitted: ``kube-system``."""
    namespaces: NotRequired[Sequence[str]]
    """The namespaces whose workloads it may restart and whose Secrets it may read (a Role in each, no ClusterRole).
    Omitted: every namespace, through a ClusterRole that reads all Secrets in the cluster; pass the apps'
    namespaces unless other workloads need Reloader too."""


class Reloader(pulumi.ComponentResource):
    """The Reloader controller (Helm chart ``stakater/reloader``): it acts only on annotated workloads."""

    namespace: pulumi.Output[str]
    """Namespace of the controller."""
    release_name: pulumi.Output[str]
    """Name of the Helm release."""

    def __init__(self, name: str, args: ReloaderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        namespace = check_dns1123_label(args.get("namespace", "kube-system"), "ReloaderArgs.namespace")
        watched = list(args.get("namespaces", []))
        for i, watched_namespace in enumerate(watched):
            check_dns1123_label(watched_namespace, f"ReloaderArgs.namespaces[{i}]")
        check_unique(watched, "ReloaderArgs.namespaces")
        super().__init__("eks-config-secrets:index:Reloader", name, None, opts)
        release = pinned_release(
            f"{name}-release",
            CHART,
            namespace=namespace,
            values=reloader_values(watched),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace = release.namespace.apply(str)
        self.release_name = release.name.apply(str)
        self.register_outputs({"namespace": self.namespace, "release_name": self.release_name})
