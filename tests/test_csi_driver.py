"""components/csi_driver.py: one driver, rotation and sync set explicitly, every values key real upstream."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.csi_driver import (
    AWS_PROVIDER_CHART,
    DRIVER_CHART,
    SecretsStoreCsiDriver,
    SecretsStoreCsiDriverArgs,
    aws_provider_values,
    driver_values,
)
from components.plan.engine import Plan, run_program
from components.validation import SettingsError
from tests.conftest import REFERENCE

VALUES = {
    "secrets-store-csi-driver": REFERENCE / "secrets-store-csi-driver/v1.6.0/values.yaml",
    "secrets-store-csi-driver-provider-aws": REFERENCE / "secrets-store-csi-driver-provider-aws/3.1.1/values.yaml",
}


def missing_keys(ours: Any, upstream: Any, path: str = "") -> list[str]:
    """Key paths we set that the chart's values.yaml does not have. Below a key whose upstream default is empty
    (null, {} or []) any shape is the chart's to accept, as Helm merges it in whole."""
    if not isinstance(ours, dict) or upstream in (None, {}, []) or not isinstance(upstream, dict):
        return []
    missing = []
    for key, value in ours.items():
        if key not in upstream:
            missing.append(f"{path}{key}")
        else:
            missing += missing_keys(value, upstream[key], f"{path}{key}.")
    return missing


def test_missing_keys_finds_a_renamed_key() -> None:
    upstream = yaml.safe_load(VALUES["secrets-store-csi-driver"].read_text())
    assert missing_keys({"syncSecret": {"enable": True}, "rotationPollIntervall": "2m"}, upstream) == [
        "syncSecret.enable", "rotationPollIntervall"]


@pytest.mark.parametrize("chart, values", [
    ("secrets-store-csi-driver", driver_values(sync_secret=True, enable_secret_rotation=True,
                                               rotation_poll_interval="2m")),
    ("secrets-store-csi-driver-provider-aws", aws_provider_values("eu-west-1")),
])
def test_every_values_key_exists_in_the_pinned_chart(chart: str, values: dict[str, Any]) -> None:
    assert missing_keys(values, yaml.safe_load(VALUES[chart].read_text())) == []


def test_pinned_versions_are_the_reference_charts() -> None:
    for chart, folder in ((DRIVER_CHART, "secrets-store-csi-driver/v1.6.0"),
                          (AWS_PROVIDER_CHART, "secrets-store-csi-driver-provider-aws/3.1.1")):
        upstream = yaml.safe_load((REFERENCE / folder / "Chart.yaml").read_text())
        assert (upstream["name"], upstream["version"]) == (chart["chart"], chart["version"])


def test_driver_requests_tokens_for_irsa_and_pod_identity() -> None:
    values = driver_values(sync_secret=True, enable_secret_rotation=True, rotation_poll_interval="90s")
    assert values == {
        "syncSecret": {"enabled": True},
        "enableSecretRotation": True,
        "rotationPollInterval": "90s",
        "tokenRequests": [{"audience": "sts.amazonaws.com"}, {"audience": "pods.eks.amazonaws.com"}],
    }


def install(args: SecretsStoreCsiDriverArgs) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        SecretsStoreCsiDriver("csi", args, opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))

    return run_program(program)


def test_installs_one_driver_and_the_provider_after_it() -> None:
    plan = install({"region": "eu-west-1"})
    driver, provider = plan.one("kubernetes:helm.sh/v3:Release", "csi-driver"), plan.one(
        "kubernetes:helm.sh/v3:Release", "csi-aws-provider")
    assert (driver.inputs["chart"], driver.inputs["version"], driver.inputs["namespace"]) == (
        "secrets-store-csi-driver", "1.6.0", "kube-system")
    assert driver.inputs["repositoryOpts"] == {"repo": "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts"}
    assert provider.inputs["values"]["secrets-store-csi-driver"] == {"install": False}
    assert driver.urn in provider.dependencies
    assert driver.provider == provider.provider == plan.one("pulumi:providers:kubernetes").urn


def test_addon_install_replaces_both_releases() -> None:
    plan = install({"region": "eu-west-1", "install": "addon", "cluster_name": "c", "sync_secret": False})
    assert plan.find("kubernetes:helm.sh/v3:Release") == []
    assert plan.one("aws:eks/addon:Addon").inputs["addonName"] == "aws-secrets-store-csi-driver-provider"


def test_addon_with_sync_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        install({"region": "eu-west-1", "install": "addon", "cluster_name": "c"})
    assert str(caught.value) == (
        "SecretsStoreCsiDriverArgs.install 'addon' cannot be used with syncSecret: the EKS add-on does not pass "
        "syncSecret.enabled to the driver (aws/secrets-store-csi-driver-provider-aws issue 597); use install 'helm'"
    )


def test_invalid_rotation_interval_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        install({"region": "eu-west-1", "rotation_poll_interval": "120"})
    assert str(caught.value) == (
        "SecretsStoreCsiDriverArgs.rotation_poll_interval '120' is not a Go duration (a positive number with a "
        "unit: '90s', '2m', '1h30m')"
    )


def test_provider_chart_bundles_the_driver_unless_told_not_to() -> None:
    # Why aws_provider_values must switch it off: left at the chart default, a second driver would be installed.
    upstream = yaml.safe_load(VALUES["secrets-store-csi-driver-provider-aws"].read_text())
    assert upstream["secrets-store-csi-driver"]["install"] is True
    assert aws_provider_values("eu-west-1")["secrets-store-csi-driver"] == {"install": False}


def test_driver_chart_defaults_are_the_ones_we_override() -> None:
    upstream = yaml.safe_load(VALUES["secrets-store-csi-driver"].read_text())
    assert (upstream["syncSecret"], upstream["enableSecretRotation"], upstream["rotationPollInterval"],
            upstream["tokenRequests"]) == ({"enabled": False}, False, None, [])


def test_releases_carry_the_settings_and_the_region() -> None:
    plan = install({"region": "eu-west-1", "sync_secret": False, "enable_secret_rotation": False,
                    "rotation_poll_interval": "1h"})
    driver = plan.one("kubernetes:helm.sh/v3:Release", "csi-driver")
    assert driver.inputs["values"] == {
        "syncSecret": {"enabled": False},
        "enableSecretRotation": False,
        "rotationPollInterval": "1h",
        "tokenRequests": [{"audience": "sts.amazonaws.com"}, {"audience": "pods.eks.amazonaws.com"}],
    }
    provider = plan.one("kubernetes:helm.sh/v3:Release", "csi-aws-provider")
    assert (provider.inputs["chart"], provider.inputs["version"], provider.inputs["namespace"]) == (
        "secrets-store-csi-driver-provider-aws", "3.1.1", "kube-system")
    assert provider.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/secrets-store-csi-driver-provider-aws"}
    assert provider.inputs["values"]["awsRegion"] == "eu-west-1"


def test_releases_are_children_of_the_component() -> None:
    plan = install({"region": "eu-west-1"})
    component = plan.one("eks-config-secrets:index:SecretsStoreCsiDriver", "csi")
    assert sorted(r.name for r in plan.children(component)) == ["csi-aws-provider", "csi-driver"]


def test_exposes_the_releases_for_custom_resources_to_depend_on() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        driver = SecretsStoreCsiDriver("csi", {"region": "eu-west-1", "namespace": "secrets-store"},
                                       opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))
        seen["dependencies"] = len(driver.crd_dependencies)
        pulumi.Output.all(driver.namespace, driver.release_names).apply(lambda v: seen.update(outputs=v))

    plan = run_program(program)
    assert seen == {"dependencies": 2, "outputs": ["secrets-store", [
        "secrets-store-csi-driver", "secrets-store-csi-driver-provider-aws"]]}
    assert {r.inputs["namespace"] for r in plan.find("kubernetes:helm.sh/v3:Release")} == {"secrets-store"}


def test_addon_install_needs_the_cluster_name() -> None:
    with pytest.raises(SettingsError) as caught:
        install({"region": "eu-west-1", "install": "addon", "sync_secret": False})
    assert str(caught.value) == "SecretsStoreCsiDriverArgs.cluster_name None is required with install 'addon'"


def test_unknown_install_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        install({"region": "eu-west-1", "install": "kustomize"})
    assert str(caught.value) == "SecretsStoreCsiDriverArgs.install 'kustomize' is not one of: helm, addon"
