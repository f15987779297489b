"""Stakater Reloader: rolls a workload when a Secret it names changes outside Pulumi (a rotation synced by the
CSI driver or the External Secrets Operator), which env vars and ``subPath`` mounts would otherwise never see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.validation import SettingsError, check_dns1123_subdomain

__all__ = ["CHART", "RELOAD_SECRETS_ANNOTATION", "Reloader", "ReloaderArgs", "reload_on_secrets"]

CHART = {"chart": "reloader", "version": "2.1.4", "repo": "https://stakater.github.io/stakater-charts"}
RELOAD_SECRETS_ANNOTATION = "secret.reloader.stakater.com/reload"
"""Read by Reloader on a Deployment's own metadata: a rolling restart when one of the named Secrets changes."""


def reload_on_secrets(secret_names: Sequence[str]) -> dict[str, str]:
    """The Deployment annotation that makes Reloader roll it when one of these Secrets changes.

    Named Secrets rather than ``reloader.stakater.com/auto``, which would also roll on Secrets the pods do not use.
    """
    if not secret_names:
        raise SettingsError("reload_on_secrets", [], "is empty: name the Secrets to watch")
    for i, secret in enumerate(secret_names):
        check_dns1123_subdomain(secret, f"reload_on_secrets[{i}]")
    return {RELOAD_SECRETS_ANNOTATION: ",".join(sorted(secret_names))}


class ReloaderArgs(TypedDict):
    namespace: NotRequired[str]
    """Namespace of the controller. Default: ``kube-system``."""


class Reloader(pulumi.ComponentResource):
    """The Reloader controller (Helm chart ``stakater/reloader``, chart defaults: it acts only on annotated
    workloads)."""

    def __init__(self, name: str, args: ReloaderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eks-config-secrets:index:Reloader", name, None, opts)
        k8s.helm.v3.Release(
            f"{name}-release",
            name="reloader",
            chart=CHART["chart"],
            version=CHART["version"],
            repository_opts={"repo": CHART["repo"]},
            namespace=args.get("namespace", "kube-system"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
