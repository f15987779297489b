"""Helm releases of pinned charts: the one place that turns a chart pin into a release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

__all__ = ["PinnedChart", "pinned_release"]


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
        opts=opts,
    )
