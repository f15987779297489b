"""Helm releases of pinned charts: the one place that turns a chart pin into a release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.validation import SettingsError

__all__ = ["RELEASE_TIMEOUT_SECONDS", "CrdInstaller", "PinnedChart", "after_crds", "pinned_release"]

RELEASE_TIMEOUT_SECONDS = 900
"""How long a release may take to become ready. Helm's default of 300 s is too short for a first install on new
nodes: the CSI driver chart runs a pre-install hook Job for its CRDs, and every release pulls its images before its
pods are ready (a release that times out is marked failed and must be repaired by hand)."""


CrdInstaller = Any
"""A resource that installs CRDs (a Helm release of a pinned chart, or the CSI driver's EKS add-on), which custom
resources of those CRDs depend on. ``Any`` rather than ``pulumi.Resource`` because the component package's schema
analyzer (``pulumi.provider.experimental``) needs a type token for a resource type and these are of two providers'
types; in the schema it is ``pulumi.json#/Any``, and a caller in another language passes resource references, which
the host turns back into ``pulumi_kubernetes``/``pulumi_aws`` resources (both SDKs register their resource
modules). A stopgap until the backends are handles (issue 11)."""


def after_crds(
    installed_by: pulumi.Input[Sequence[CrdInstaller]], setting: str, fix: str, *also: pulumi.Resource,
) -> pulumi.Input[Sequence[Any]]:
    """What custom resources of a backend depend on: its CRD installers, then ``also``. A list must name at least
    one installer (refused with ``fix`` otherwise: the resources would race their CRDs). An Output, which is what
    a program in another language passes (a component's ``crdDependencies`` output), is resolved by the SDK:
    ``depends_on`` takes an ``Input`` of a list."""
    if isinstance(installed_by, Sequence):
        if not installed_by:
            raise SettingsError(setting, [], fix)
        return [*installed_by, *also]
    pending: pulumi.Output[Sequence[Any]] = pulumi.Output.from_input(installed_by)
    return pending.apply(lambda deps: [*deps, *also])


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
