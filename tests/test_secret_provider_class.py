"""components/secret_provider_class.py: the AWS provider's objects, validated before anything is registered."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.plan.engine import run_program
from components.secret_provider_class import (
    SecretProviderClass,
    SecretProviderClassArgs,
    jmes_path_expression,
    secret_provider_class_manifest,
)
from components.validation import SettingsError

RELEASE: Any = object()  # stands in for the installing release in pure tests; never registered


def args(**overrides: Any) -> SecretProviderClassArgs:
    base: SecretProviderClassArgs = {
        "namespace": "dev",
        "region": "eu-west-1",
        "installed_by": [RELEASE],
        "objects": [{"object_name": "dev/app/database", "object_alias": "database.json",
                     "jmes_path": [{"path": "password", "object_alias": "db-password"}]},
                    {"object_name": "/dev/app/feature-flag", "object_type": "ssmparameter"}],
        "secret_objects": [{"secret_name": "app-secrets", "data": [{"object_name": "db-password", "key": "password"}]}],
    }
    return {**base, **overrides}  # type: ignore[typeddict-item]


def error_of(spc_args: SecretProviderClassArgs) -> str:
    with pytest.raises(SettingsError) as caught:
        secret_provider_class_manifest("app", spc_args)
    return str(caught.value)


def test_manifest_follows_the_aws_provider_parameters() -> None:
    manifest = secret_provider_class_manifest("app", args(use_pod_identity=True))
    assert manifest["apiVersion"] == "secrets-store.csi.x-k8s.io/v1"
    parameters = manifest["spec"]["parameters"]
    assert (manifest["spec"]["provider"], parameters["region"], parameters["usePodIdentity"]) == (
        "aws", "eu-west-1", "true")
    assert yaml.safe_load(parameters["objects"]) == [
        {"objectName": "dev/app/database", "objectType": "secretsmanager", "objectAlias": "database.json",
         "jmesPath": [{"path": "password", "objectAlias": "db-password"}]},
        {"objectName": "/dev/app/feature-flag", "objectType": "ssmparameter", "objectAlias": "_dev_app_feature-flag"},
    ]
    assert manifest["spec"]["secretObjects"] == [
        {"secretName": "app-secrets", "type": "Opaque", "data": [{"objectName": "db-password", "key": "password"}]}]


def test_irsa_leaves_use_pod_identity_out() -> None:
    assert "usePodIdentity" not in secret_provider_class_manifest("app", args())["spec"]["parameters"]


def test_duplicate_alias_is_refused() -> None:
    objects = [{"object_name": "a", "object_alias": "db-password"},
               {"object_name": "b", "jmes_path": [{"path": "x", "object_alias": "db-password"}]}]
    assert error_of(args(objects=objects, secret_objects=[])) == (
        "SecretProviderClassArgs.objects object alias 'db-password' is given more than once; names must be unique")


def test_secret_objects_naming_an_unknown_object_are_refused() -> None:
    synced = [{"secret_name": "app-secrets", "data": [{"object_name": "db-pasword", "key": "password"}]}]
    assert error_of(args(secret_objects=synced)) == (
        "SecretProviderClassArgs.secret_objects[0].data[0].object_name 'db-pasword' is not a mounted object or alias "
        "(known: database.json, db-password, _dev_app_feature-flag)")


def test_unsupported_object_type_is_refused() -> None:
    assert error_of(args(objects=[{"object_name": "x", "object_type": "parameterstore"}], secret_objects=[])) == (
        "SecretProviderClassArgs.objects[0].object_type 'parameterstore' is not one of: secretsmanager, ssmparameter")


def test_invalid_secret_name_is_refused() -> None:
    synced = [{"secret_name": "App_Secrets", "data": [{"object_name": "db-password", "key": "password"}]}]
    assert error_of(args(secret_objects=synced)).startswith(
        "SecretProviderClassArgs.secret_objects[0].secret_name 'App_Secrets' is not a valid Kubernetes object name")


def test_no_installer_is_refused() -> None:
    assert error_of(args(installed_by=[])) == (
        "SecretProviderClassArgs.installed_by [] is empty: pass the releases that install the CRD, so the class is "
        "created after them")


@pytest.mark.parametrize("key, expression", [("password", "password"), ("db-password", '"db-password"'),
                                             ("2fa", '"2fa"')])
def test_jmes_path_quotes_keys_that_are_not_identifiers(key: str, expression: str) -> None:
    assert jmes_path_expression(key) == expression


def test_the_class_depends_on_its_installers_and_uses_the_explicit_provider() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers={"kubernetes": provider})
        release = k8s.helm.v3.Release("driver", chart="secrets-store-csi-driver", opts=pulumi.ResourceOptions(
            provider=provider))
        SecretProviderClass("app", args(installed_by=[release]), opts=opts)

    plan = run_program(program)
    spc = plan.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert spc.dependencies == [plan.one("kubernetes:helm.sh/v3:Release").urn]
    assert spc.provider == plan.one("pulumi:providers:kubernetes").urn
    assert spc.inputs["metadata"] == {"name": "app", "namespace": "dev"}
