"""components/rbac.py: a Role that may only `get` the Secrets it names, bound to one ServiceAccount."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.plan.engine import Plan, run_program
from components.rbac import SecretReader, SecretReaderArgs, secret_reader_rules
from components.validation import SettingsError

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"


def reader(args: SecretReaderArgs) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        SecretReader("app", args, opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))

    return run_program(program)


def error_of(args: SecretReaderArgs) -> str:
    with pytest.raises(SettingsError) as caught:
        reader(args)
    return str(caught.value)


def test_rules_allow_only_get_by_name() -> None:
    assert secret_reader_rules(["b", "a"]) == [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a", "b"], "verbs": ["get"]}]


def test_role_and_binding_for_one_service_account() -> None:
    plan = reader({"namespace": "dev", "service_account_name": "app", "secret_names": ["app-secrets"]})
    role, binding = plan.one(ROLE), plan.one(BINDING)
    assert role.inputs["metadata"] == {"name": "app-secret-reader", "namespace": "dev"}
    assert role.inputs["rules"] == secret_reader_rules(["app-secrets"])
    assert binding.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                         "name": "app-secret-reader"}
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "app", "namespace": "dev"}]
    provider = plan.one("pulumi:providers:kubernetes").urn
    assert (role.provider, binding.provider) == (provider, provider)


def test_no_secret_names_is_refused() -> None:
    # RBAC reads an empty resourceNames as every name.
    assert error_of({"namespace": "dev", "service_account_name": "app", "secret_names": []}) == (
        "SecretReaderArgs.secret_names [] is empty: name at least one Secret (an empty list would allow every Secret)")


def test_duplicate_secret_names_are_refused() -> None:
    assert error_of({"namespace": "dev", "service_account_name": "app", "secret_names": ["a", "a"]}) == (
        "SecretReaderArgs.secret_names 'a' is given more than once; names must be unique")


def test_invalid_service_account_name_is_refused() -> None:
    assert error_of({"namespace": "dev", "service_account_name": "App", "secret_names": ["a"]}).startswith(
        "SecretReaderArgs.service_account_name 'App' is not a valid Kubernetes object name")
