"""components/helm.py: a release of a pinned chart."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.helm import RELEASE_TIMEOUT_SECONDS, PinnedChart, pinned_release
from components.plan.engine import run_program

CHART: PinnedChart = {"chart": "demo", "version": "1.2.3", "repo": "https://charts.example.com"}


def test_release_is_named_after_its_pinned_chart_and_outlasts_helms_default_timeout() -> None:
    """Helm gives up after 300 s by default; a first install on new nodes (hook Jobs, image pulls) needs more."""
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        pinned_release("demo-release", CHART, namespace="demo", values={"a": 1},
                       opts=pulumi.ResourceOptions(provider=provider))

    release = run_program(program).one("kubernetes:helm.sh/v3:Release")
    assert release.inputs == {
        "name": "demo", "chart": "demo", "version": "1.2.3", "repositoryOpts": {"repo": "https://charts.example.com"},
        "namespace": "demo", "createNamespace": False, "values": {"a": 1}, "timeout": RELEASE_TIMEOUT_SECONDS,
        "compat": "true",  # set by the SDK itself
    }
    assert RELEASE_TIMEOUT_SECONDS > 300
