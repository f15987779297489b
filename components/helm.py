"""Helm releases of pinned charts: the one place that turns a chart pin into a release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

__all__ = ["RELEASE_TIMEOUT_SECONDS", "PinnedChart", "pinned_release"]

RELEASE_TIMEOUT_SECONDS = 900
"""How long a release may take to become ready. Helm's default of 300 s is too short for a first install on new
nodes: the CSI driver chart runs a pre-install hook Job for its CRDs, and every release pulls its images before its
pods are ready (a release that times out is marked failed and must be repaired by hand)."""


class PinnedChart(TypedDict):
    chart: str
    """Chart name in its repository."""
    version: str
    """Exact chart version: a release never floats to whatever the repository serves today."""
    repo: str
    """Chart repository URL."""


def pinned_release(
    resource_name: str,
    chart: PinnedChart,
    *,
    namespace: str,
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    create_namespace: bool = False,
) -> k8s.helm.v3.Release:
    """A release of ``chart`` named after it, so that ``helm list`` reads as the charts we install."""
    return k8s.helm.v3.Release(
        resource_name,
        name=chart["chart"],
        chart=chart["chart"],
        version=chart["version"],
        repository_opts={"repo": chart["repo"]},
        namespace=namespace,
        create_namespace=create_namespace,
        values=dict(values),
        timeout=RELEASE_TIMEOUT_SECONDS,
        opts=opts,
    )
