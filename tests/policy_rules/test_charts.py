"""Rules on the charts we install and their custom resources (components/policy_rules/charts.py)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.conventions import EKS_ADDON, EXTERNAL_SECRET, HELM_RELEASE, SECRET_PROVIDER_CLASS
from components.policy_rules import (
    ResourceView,
    charts,
    evaluate,
)
from tests.conftest import ROOT
from tests.policy_rules.helpers import driver_values, release, view


def test_csi_driver_with_rotation_passes() -> None:
    assert charts.csi_driver_rotation(release("secrets-store-csi-driver", driver_values())) == []


def test_csi_driver_without_rotation_fails() -> None:
    values = driver_values(enableSecretRotation=False)
    assert charts.csi_driver_rotation(release("sigs/secrets-store-csi-driver", values)) == [
        "Secrets Store CSI driver does not rotate mounted secrets (chart default: off): set values "
        "enableSecretRotation: true and a rotationPollInterval"
    ]


def test_aws_provider_chart_bundling_the_driver_without_rotation_fails() -> None:
    resource = release("secrets-store-csi-driver-provider-aws", {"secrets-store-csi-driver": {"install": True}})
    assert charts.csi_driver_rotation(resource) == [
        "Secrets Store CSI driver does not rotate mounted secrets (chart default: off): set values "
        "secrets-store-csi-driver.enableSecretRotation: true and a rotationPollInterval"
    ]


def test_aws_provider_chart_without_the_driver_passes() -> None:
    resource = release("secrets-store-csi-driver-provider-aws", {"secrets-store-csi-driver": {"install": False}})
    assert charts.csi_driver_rotation(resource) == []






def test_crd_objects_depending_on_their_releases_pass() -> None:
    driver = release("secrets-store-csi-driver", driver_values())
    provider = release("secrets-store-csi-driver-provider-aws", {"secrets-store-csi-driver": {"install": False}},
                       name="provider")
    provider = ResourceView(**{**provider.__dict__, "dependencies": (driver.urn,)})
    eso = release("external-secrets", {"installCRDs": True}, name="eso")
    spc = view(SECRET_PROVIDER_CLASS, {"spec": {}}, name="spc", dependencies=(provider.urn,))
    external = view(EXTERNAL_SECRET, {"spec": {}}, name="es", dependencies=(eso.urn,))
    assert charts.crd_objects_depend_on_release([driver, provider, eso, spc, external]) == []


def test_crd_objects_without_their_release_fail() -> None:
    eso = release("external-secrets", {"installCRDs": True}, name="eso")
    spc = view(SECRET_PROVIDER_CLASS, {"spec": {}}, name="spc", dependencies=(eso.urn,))
    external = view(EXTERNAL_SECRET, {"spec": {}}, name="es")
    assert charts.crd_objects_depend_on_release([eso, spc, external]) == [
        (spc.urn, "SecretProviderClass does not depend on the secrets-store-csi-driver release that installs its "
                  "CRD: add it to depends_on"),
        (external.urn, "ExternalSecret does not depend on the external-secrets release that installs its CRD: add it "
                       "to depends_on"),
    ]


def test_spc_depending_on_the_eks_addon_passes() -> None:
    addon = view(EKS_ADDON, {"addonName": "aws-secrets-store-csi-driver-provider"}, name="addon")
    spc = view(SECRET_PROVIDER_CLASS, {"spec": {}}, name="spc", dependencies=(addon.urn,))
    assert charts.crd_objects_depend_on_release([addon, spc]) == []


def test_synced_secrets_with_sync_enabled_pass() -> None:
    driver = release("secrets-store-csi-driver", driver_values())
    spc = view(SECRET_PROVIDER_CLASS, {"spec": {"secretObjects": [{"secretName": "s"}]}}, name="spc",
               dependencies=(driver.urn,))
    assert charts.synced_secrets_need_sync([driver, spc]) == []


def test_synced_secrets_with_sync_disabled_fail() -> None:
    driver = release("secrets-store-csi-driver", driver_values(syncSecret={"enabled": False}))
    spc = view(SECRET_PROVIDER_CLASS, {"spec": {"secretObjects": [{"secretName": "s"}]}}, name="spc",
               dependencies=(driver.urn,))
    assert charts.synced_secrets_need_sync([driver, spc]) == [
        (spc.urn, "SecretProviderClass syncs Kubernetes Secrets but release driver does not enable them (chart "
                  "default: off): set values syncSecret.enabled: true"),
    ]


def test_synced_secrets_from_the_eks_addon_fail() -> None:
    addon = view(EKS_ADDON, {"addonName": "aws-secrets-store-csi-driver-provider"}, name="addon")
    spc = view(SECRET_PROVIDER_CLASS, {"spec": {"secretObjects": [{"secretName": "s"}]}}, name="spc",
               dependencies=(addon.urn,))
    assert charts.synced_secrets_need_sync([addon, spc]) == [
        (spc.urn, "SecretProviderClass syncs Kubernetes Secrets but the driver comes from the EKS add-on, which never "
                  "enables syncSecret: install the Helm charts instead"),
    ]


def test_custom_resource_in_an_unserved_version_fails_and_is_still_judged() -> None:
    external = view("kubernetes:external-secrets.io/v1beta1:ExternalSecret", {"spec": {}}, name="es")
    found = {v.rule: v.message for v in evaluate([external])}
    assert found["served-api-versions"] == (
        "ExternalSecret uses external-secrets.io/v1beta1, which the installed CRD does not serve: use "
        "external-secrets.io/v1")
    assert "crd-objects-depend-on-release" in found


def test_served_versions_match_the_vendored_crds() -> None:
    served: dict[str, set[str]] = {}
    for path in (ROOT / "reference").glob("*/*/*_*.yaml"):
        crd = yaml.safe_load(path.read_text())
        if crd.get("kind") == "CustomResourceDefinition":
            group = crd["spec"]["group"]
            served.setdefault(group, set()).update(v["name"] for v in crd["spec"]["versions"] if v["served"])
    assert {g: set(v) for g, v in charts.SERVED_CRD_VERSIONS.items()} == served


@pytest.mark.parametrize("chart", [
    "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts/secrets-store-csi-driver-1.6.0.tgz",
    "oci://registry.example.com/charts/secrets-store-csi-driver",
    "https://example.com/secrets-store-csi-driver-v1.6.0-rc.1.tgz?token=x",
])


def test_chart_given_by_url_is_recognised(chart: str) -> None:
    assert len(charts.csi_driver_rotation(release(chart, driver_values(enableSecretRotation=False)))) == 1


def test_helm_v4_chart_is_judged_like_a_release() -> None:
    chart = view(charts.HELM_CHART, {"chart": "secrets-store-csi-driver", "values": {"enableSecretRotation": False}})
    assert len(charts.csi_driver_rotation(chart)) == 1


@pytest.mark.parametrize(("interval", "flagged"), [("10s", True), ("59s", True), ("1m", False), ("2m", False)])
def test_rotation_poll_of_seconds_is_an_advisory(interval: str, flagged: bool) -> None:
    messages = charts.secret_polling_interval(release("secrets-store-csi-driver",
                                                     driver_values(rotationPollInterval=interval)))
    assert bool(messages) is flagged


def test_external_secret_refresh_of_seconds_is_an_advisory() -> None:
    external = view("kubernetes:external-secrets.io/v1:ExternalSecret", {"spec": {"refreshInterval": "5s"}})
    assert len(charts.secret_polling_interval(external)) == 1


def test_values_from_value_yaml_files_are_judged(tmp_path: Any) -> None:
    """Helm merges valueYamlFiles under `values`: a setting hidden in a file is a setting all the same."""
    import pulumi

    file = tmp_path / "values.yaml"
    file.write_text("syncSecret: {enabled: true}\nenableSecretRotation: false\n")
    in_file = view(HELM_RELEASE, {"chart": "secrets-store-csi-driver", "valueYamlFiles": [
        pulumi.FileAsset(str(file))], "values": {"rotationPollInterval": "2m"}})
    assert len(charts.csi_driver_rotation(in_file)) == 1
    in_text = view(HELM_RELEASE, {"chart": "secrets-store-csi-driver", "valueYamlFiles": [
        pulumi.StringAsset("enableSecretRotation: false\n")], "values": {"enableSecretRotation": True}})
    assert charts.csi_driver_rotation(in_text) == []  # values override the files, as in Helm
