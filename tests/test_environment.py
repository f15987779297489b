"""components/environment.py: the namespace, its ConfigMaps and the three Secret types."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.environment import Environment, EnvironmentArgs
from components.plan.engine import SECRET, Plan, run_program
from components.validation import SettingsError
from tests.test_workloads import tls_pair


def environment_plan(args: EnvironmentArgs) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        Environment("dev", args, opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))

    return run_program(program)


def test_namespace_is_labelled_with_environment_and_pod_security() -> None:
    labels = environment_plan({"namespace": "dev", "pod_security": "baseline"}).one(
        "kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels == {"environment": "dev", "app.kubernetes.io/managed-by": "pulumi",
                      "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/audit": "baseline",
                      "pod-security.kubernetes.io/warn": "baseline"}


def test_config_maps_from_literals_and_files_and_immutable_names() -> None:
    plan = environment_plan({"namespace": "dev", "config_maps": [
        {"name": "app-config", "data": {"LOG_LEVEL": "debug"}},
        {"name": "nginx-config", "files": {"nginx.conf": "events {}\n"}, "immutable": True},
    ]})
    mutable = plan.one("kubernetes:core/v1:ConfigMap", "dev-app-config").inputs
    assert (mutable["metadata"]["name"], mutable["data"], mutable["immutable"]) == (
        "app-config", {"LOG_LEVEL": "debug"}, False)
    immutable = plan.one("kubernetes:core/v1:ConfigMap", "dev-nginx-config").inputs
    assert immutable["metadata"]["name"].startswith("nginx-config-") and len(immutable["metadata"]["name"]) == 23
    assert (immutable["data"], immutable["immutable"]) == ({"nginx.conf": "events {}\n"}, True)


def test_three_secret_types_with_secret_values_only() -> None:
    certificate, key = tls_pair()
    plan = environment_plan({"namespace": "dev", "secrets": [
        {"name": "api", "string_data": {"TOKEN": pulumi.Output.secret("t0ken")}},
        {"name": "tls", "type": "kubernetes.io/tls", "certificate": certificate, "private_key": key},
        {"name": "registry", "type": "kubernetes.io/dockerconfigjson", "registry": "ghcr.io", "username": "bot",
         "password": pulumi.Output.secret("pw")},
    ]})
    secrets = {s.name: s for s in plan.find("kubernetes:core/v1:Secret")}
    assert {n: (s.inputs["type"], s.inputs["stringData"]) for n, s in secrets.items()} == {
        "dev-api": ("Opaque", SECRET), "dev-tls": ("kubernetes.io/tls", SECRET),
        "dev-registry": ("kubernetes.io/dockerconfigjson", SECRET)}
    assert secrets["dev-tls"].raw_inputs["stringData"] == {"tls.crt": certificate, "tls.key": key}
    docker = json.loads(secrets["dev-registry"].raw_inputs["stringData"][".dockerconfigjson"])
    assert docker == {"auths": {"ghcr.io": {"username": "bot", "password": "pw", "auth": "Ym90OnB3"}}}


def error_of(args: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        environment_plan(args)
    return str(caught.value)


def test_invalid_namespace_is_refused() -> None:
    assert error_of({"namespace": "Dev_1"}).startswith("EnvironmentArgs.namespace 'Dev_1' is not a DNS-1123 label")


def test_mismatched_tls_pair_is_refused() -> None:
    certificate, _ = tls_pair()
    _, other_key = tls_pair()
    assert error_of({"namespace": "dev", "secrets": [
        {"name": "tls", "type": "kubernetes.io/tls", "certificate": certificate, "private_key": other_key}]}) == (
        "EnvironmentArgs.secrets[0].private_key '<private key>' does not belong to the certificate (their public "
        "keys differ): set the key that was issued with this certificate")


def test_non_pem_certificate_is_refused() -> None:
    _, key = tls_pair()
    assert error_of({"namespace": "dev", "secrets": [
        {"name": "tls", "type": "kubernetes.io/tls", "certificate": "not a certificate", "private_key": key}]}) == (
        "EnvironmentArgs.secrets[0].certificate '<certificate>' is not a PEM certificate "
        "('-----BEGIN CERTIFICATE-----' ...)")


def test_missing_field_of_a_secret_type_is_refused() -> None:
    assert error_of({"namespace": "dev", "secrets": [
        {"name": "registry", "type": "kubernetes.io/dockerconfigjson", "registry": "ghcr.io"}]}) == (
        "EnvironmentArgs.secrets[0].username None is required for a Secret of type kubernetes.io/dockerconfigjson")


def test_empty_config_map_is_refused() -> None:
    assert error_of({"namespace": "dev", "config_maps": [{"name": "empty"}]}) == (
        "EnvironmentArgs.config_maps[0] 'empty' has neither data nor files")
