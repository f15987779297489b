"""components/reloader.py: the Reloader release and the annotation that rolls a workload on a Secret change."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.plan.engine import Plan, run_program
from components.reloader import Reloader, ReloaderArgs, reload_on_secrets, reloader_values
from components.validation import SettingsError


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


def test_cluster_wide_controller_sets_no_values() -> None:
    assert reloader_values([]) == {}


def test_scoped_controller_watches_only_the_given_namespaces() -> None:
    assert reloader_values(["dev", "prod"]) == {"reloader": {"watchGlobally": False, "namespaces": ["dev", "prod"]}}


def test_release_is_pinned_and_uses_the_explicit_provider() -> None:
    plan = install({"namespaces": ["dev"]})
    release = plan.one("kubernetes:helm.sh/v3:Release", "reloader-release")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "reloader", "2.2.16", "kube-system")
    assert release.inputs["repositoryOpts"] == {"repo": "https://stakater.github.io/stakater-charts"}
    assert release.inputs["values"] == {"reloader": {"watchGlobally": False, "namespaces": ["dev"]}}
    assert release.provider == plan.one("pulumi:providers:kubernetes").urn
    assert release.parent == plan.one("eks-config-secrets:index:Reloader").urn


def test_duplicate_watched_namespaces_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        install({"namespaces": ["dev", "dev"]})
    assert str(caught.value) == "ReloaderArgs.namespaces 'dev' is given more than once; names must be unique"
