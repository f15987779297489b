"""components/reloader.py: the Reloader release and the annotation that rolls a workload on a Secret change."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.plan.engine import Plan, run_program
from components.reloader import (
    CHART,
    Reloader,
    ReloaderArgs,
    reload_on_secret_provider_classes,
    reload_on_secrets,
    reloader_values,
)
from components.validation import SettingsError
from tests.conftest import REFERENCE, refused_once_known


def install(args: ReloaderArgs) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        Reloader("reloader", args, opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))

    return run_program(program)


def test_annotation_names_the_secrets_sorted_and_comma_separated() -> None:
    assert reload_on_secrets(["b-secrets", "a-secrets", "b-secrets"]) == {
        "secret.reloader.stakater.com/reload": "a-secrets,b-secrets"}


def test_annotation_without_secrets_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        reload_on_secrets([])
    assert str(caught.value) == "reload_on_secrets [] is empty: name the Secrets to watch"


def test_annotation_with_an_invalid_secret_name_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        reload_on_secrets(["ok", "Not OK"])
    assert str(caught.value).startswith("reload_on_secrets[1] 'Not OK' is not a valid Kubernetes object name")


def test_cluster_wide_controller_is_not_scoped() -> None:
    assert "watchGlobally" not in reloader_values([])["reloader"]


def test_scoped_controller_watches_only_the_given_namespaces() -> None:
    reloader = reloader_values(["dev", "prod"])["reloader"]
    assert (reloader["watchGlobally"], reloader["namespaces"]) == (False, ["dev", "prod"])


def test_controller_restarts_through_annotations_not_env_vars() -> None:
    """The default strategy writes an env var into the Deployment, which `pulumi refresh` reports as drift."""
    assert reloader_values(["dev"])["reloader"]["reloadStrategy"] == "annotations"


def test_controller_container_meets_the_restricted_pod_security_standard() -> None:
    reloader = reloader_values(["dev"])["reloader"]
    assert reloader["readOnlyRootFileSystem"] is True
    assert reloader["deployment"]["containerSecurityContext"] == {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True,
    }


@pytest.mark.parametrize("namespaces, csi", [([], False), (["dev", "prod"], False), (["dev"], True)])
def test_values_match_the_pinned_charts_schema_and_keys(namespaces: list[str], csi: bool) -> None:
    folder = REFERENCE / "reloader" / CHART["version"]
    # The schema names no draft ("http://json-schema.org/schema#"); Helm validates it as draft 7.
    values = reloader_values(namespaces, csi_integration=csi)
    jsonschema.Draft7Validator(json.loads((folder / "values.schema.json").read_text())).validate(values)
    upstream = yaml.safe_load((folder / "values.yaml").read_text())

    def unknown(ours: dict[str, Any], theirs: dict[str, Any], path: str) -> list[str]:
        found = []
        for key, value in ours.items():
            if key not in theirs:
                found.append(f"{path}{key}")
            elif isinstance(value, dict) and isinstance(theirs[key], dict) and theirs[key]:
                found += unknown(value, theirs[key], f"{path}{key}.")
        return found

    assert unknown(values, upstream, "") == []
    assert values["reloader"].get("enableCSIIntegration", False) is csi


def test_release_is_pinned_and_uses_the_explicit_provider() -> None:
    plan = install({"namespaces": ["dev"]})
    release = plan.one("kubernetes:helm.sh/v3:Release", "reloader-release")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "reloader", "2.2.16", "reloader")
    assert release.inputs["createNamespace"] is True
    assert release.inputs["repositoryOpts"] == {"repo": "https://stakater.github.io/stakater-charts"}
    assert release.inputs["values"] == reloader_values(["dev"])
    assert release.provider == plan.one("pulumi:providers:kubernetes").urn
    assert release.parent == plan.one("eks-config-secrets:index:Reloader").urn


def test_duplicate_watched_namespaces_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        install({"namespaces": ["dev", "dev"]})
    assert str(caught.value) == "ReloaderArgs.namespaces 'dev' is given more than once; names must be unique"


@pytest.mark.parametrize("namespace", ["kube-system", "default", "dev"])
def test_controller_in_a_system_or_watched_namespace_is_refused(namespace: str) -> None:
    """chart-v2.2.16 templates/_helpers.tpl (reloader-watchNamespaces) always watches the release namespace: in
    kube-system Reloader would read every Secret there and could restart the system DaemonSets."""
    with pytest.raises(SettingsError) as caught:
        install({"namespace": namespace, "namespaces": ["dev"]})
    assert str(caught.value) == (
        f"ReloaderArgs.namespace '{namespace}' must be a namespace of Reloader's own, not a system or watched namespace"
    )


def test_file_only_annotation_names_the_secret_provider_classes() -> None:
    assert reload_on_secret_provider_classes(["dev-worker-spc", "dev-app-spc", "dev-worker-spc"]) == {
        "secretproviderclass.reloader.stakater.com/reload": "dev-app-spc,dev-worker-spc"}


def test_csi_integration_turns_on_the_chart_value() -> None:
    plan = install({"namespaces": ["dev"], "csi_integration": True})
    release = plan.one("kubernetes:helm.sh/v3:Release", "reloader-release")
    assert release.inputs["values"]["reloader"]["enableCSIIntegration"] is True
    assert "enableCSIIntegration" not in reloader_values(["dev"])["reloader"]


def _install_later(namespace: str, watched: list[str]) -> Plan:
    """Reloader in ``namespace``, watching ``watched`` given as Outputs (``Environment.namespace``)."""
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        Reloader("reloader", {"namespace": namespace, "namespaces": [pulumi.Output.from_input(n) for n in watched]},
                 opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))

    return run_program(program)


def test_watched_namespaces_given_as_outputs_are_the_plain_ones() -> None:
    plain = install({"namespaces": ["dev", "staging"]})
    later = _install_later("reloader", ["dev", "staging"])
    assert [(r.urn, r.inputs) for r in later.resources] == [(r.urn, r.inputs) for r in plain.resources]


@pytest.mark.parametrize(("namespace", "watched"), [("reloader", ["dev", "dev"]), ("dev", ["dev"])])
def test_watched_namespace_outputs_are_checked_once_known_with_the_plain_values_message(
        namespace: str, watched: list[str]) -> None:
    with pytest.raises(SettingsError) as plain:
        install({"namespace": namespace, "namespaces": watched})
    later = refused_once_known(lambda: _install_later(namespace, watched))
    assert later.endswith(f"ValueError has risen: {plain.value}")
