"""components/secret_provider_class.py: the AWS provider's objects, validated before anything is registered."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.csi_driver import SecretsStoreCsiDriver
from components.plan.engine import run_program
from components.secret_provider_class import (
    SECRET_TYPES,
    SecretObjectArgs,
    SecretProviderClass,
    SecretProviderClassArgs,
    SyncedSecretArgs,
    file_names,
    jmes_path_expression,
    objects_parameter,
    secret_provider_class_manifest,
)
from components.validation import SettingsError
from tests.conftest import REFERENCE, refused_once_known

CRD = REFERENCE / "secrets-store-csi-driver/v1.6.0/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml"
OBJECTS: list[SecretObjectArgs] = [
    {"object_name": "dev/app/database", "object_alias": "database.json",
     "jmes_path": [{"path": "password", "object_alias": "db-password"}]},
    {"object_name": "/dev/app/feature-flag", "object_type": "ssmparameter", "object_version_label": "live"},
]
SYNCED: list[SyncedSecretArgs] = [
    {"secret_name": "app-secrets", "data": [{"object_name": "db-password", "key": "password"}]}]
# The fields that spc-parameters.md lists for an entry of `objects`, and for a jmesPath entry.
OBJECT_FIELDS = {"objectName", "objectType", "objectAlias", "filePermission", "objectVersion", "objectVersionLabel",
                 "failoverObject", "jmesPath"}
JMES_FIELDS = {"path", "objectAlias", "filePermission"}


@cache
def crd_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD.read_text())
    served = [v for v in crd["spec"]["versions"] if v["name"] == "v1" and v["served"]]
    return dict(served[0]["schema"]["openAPIV3Schema"])


def manifest(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"region": "eu-west-1", "objects": OBJECTS, "secret_objects": SYNCED, **overrides}
    return secret_provider_class_manifest("app", "dev", **kwargs)


def error_of(**overrides: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        manifest(**overrides)
    return str(caught.value)


def test_manifest_follows_the_aws_provider_parameters() -> None:
    rendered = manifest(use_pod_identity=True)
    assert (rendered["apiVersion"], rendered["kind"], rendered["metadata"]) == (
        "secrets-store.csi.x-k8s.io/v1", "SecretProviderClass", {"name": "app", "namespace": "dev"})
    parameters = rendered["spec"]["parameters"]
    assert (rendered["spec"]["provider"], parameters["region"], parameters["usePodIdentity"]) == (
        "aws", "eu-west-1", "true")
    assert yaml.safe_load(parameters["objects"]) == [
        {"objectName": "dev/app/database", "objectType": "secretsmanager", "objectAlias": "database.json",
         "jmesPath": [{"path": "password", "objectAlias": "db-password"}]},
        {"objectName": "/dev/app/feature-flag", "objectType": "ssmparameter", "objectVersionLabel": "live"},
    ]
    assert rendered["spec"]["secretObjects"] == [
        {"secretName": "app-secrets", "type": "Opaque", "data": [{"objectName": "db-password", "key": "password"}]}]


def test_objects_parameter_uses_only_fields_the_provider_documents() -> None:
    entries = yaml.safe_load(objects_parameter(OBJECTS))
    assert all(set(entry) <= OBJECT_FIELDS and {"objectName", "objectType"} <= set(entry) for entry in entries)
    assert all(set(j) <= JMES_FIELDS and {"path", "objectAlias"} <= set(j)
               for entry in entries for j in entry.get("jmesPath", []))


@pytest.mark.parametrize("use_pod_identity, secret_objects", [(True, SYNCED), (False, ())])
def test_rendered_class_validates_against_the_upstream_crd(use_pod_identity: bool, secret_objects: Any) -> None:
    jsonschema.validate(manifest(use_pod_identity=use_pod_identity, secret_objects=secret_objects), crd_schema())


def test_every_parameter_is_a_string_as_the_crd_requires() -> None:
    assert all(isinstance(v, str) for v in manifest(use_pod_identity=True)["spec"]["parameters"].values())


def test_irsa_leaves_use_pod_identity_out() -> None:
    assert "usePodIdentity" not in manifest()["spec"]["parameters"]


def test_no_secret_objects_leaves_the_field_out() -> None:
    assert "secretObjects" not in manifest(secret_objects=())["spec"]


def test_file_names_follow_the_providers_defaults() -> None:
    # Without an alias the provider names the file after the object, each '/' replaced by '_'.
    assert file_names(OBJECTS) == ["database.json", "db-password", "_dev_app_feature-flag"]


def test_duplicate_alias_is_refused() -> None:
    objects = [{"object_name": "a", "object_alias": "db-password"},
               {"object_name": "b", "jmes_path": [{"path": "x", "object_alias": "db-password"}]}]
    assert error_of(objects=objects, secret_objects=()) == (
        "SecretProviderClassArgs.objects[1].jmes_path[0].object_alias 'db-password' is already the file name of "
        "SecretProviderClassArgs.objects[0].object_alias: every object and jmesPath alias is a file in the same mount "
        "directory and must be unique")


def test_an_alias_equal_to_another_objects_default_file_name_is_refused() -> None:
    objects = [{"object_name": "dev/db"}, {"object_name": "other", "object_alias": "dev_db"}]
    assert error_of(objects=objects, secret_objects=()) == (
        "SecretProviderClassArgs.objects[1].object_alias 'dev_db' is already the file name of "
        "SecretProviderClassArgs.objects[0].object_name: every object and jmesPath alias is a file in the same mount "
        "directory and must be unique")


def test_secret_objects_naming_an_unknown_object_are_refused() -> None:
    synced = [{"secret_name": "app-secrets", "data": [{"object_name": "db-pasword", "key": "password"}]}]
    assert error_of(secret_objects=synced) == (
        "SecretProviderClassArgs.secret_objects[0].data[0].object_name 'db-pasword' is not a mounted object or alias "
        "(known: database.json, db-password, _dev_app_feature-flag)")


def test_unsupported_object_type_is_refused() -> None:
    assert error_of(objects=[{"object_name": "x", "object_type": "parameterstore"}], secret_objects=()) == (
        "SecretProviderClassArgs.objects[0].object_type 'parameterstore' is not one of: secretsmanager, ssmparameter")


def test_an_arn_in_another_region_is_refused() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    assert error_of(objects=[{"object_name": arn, "object_alias": "db"}], secret_objects=()) == (
        f"SecretProviderClassArgs.objects[0].object_name '{arn}' is in region us-east-1, not in the class's region "
        "eu-west-1")


def test_an_arn_of_another_service_than_the_object_type_is_refused() -> None:
    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/flag"
    assert error_of(objects=[{"object_name": arn, "object_alias": "flag"}], secret_objects=()) == (
        f"SecretProviderClassArgs.objects[0].object_name '{arn}' is an ARN of ssm, not of objectType secretsmanager")


def test_an_alias_that_is_not_a_file_name_is_refused() -> None:
    assert error_of(objects=[{"object_name": "x", "object_alias": "../etc/passwd"}], secret_objects=()) == (
        "SecretProviderClassArgs.objects[0].object_alias '../etc/passwd' is not a file name ([-._a-zA-Z0-9]+)")


def test_invalid_secret_name_is_refused() -> None:
    synced = [{"secret_name": "App_Secrets", "data": [{"object_name": "db-password", "key": "password"}]}]
    assert error_of(secret_objects=synced) == (
        "SecretProviderClassArgs.secret_objects[0].secret_name 'App_Secrets' is not a valid Kubernetes object name "
        "(a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter "
        "or digit)")


def test_invalid_class_name_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        secret_provider_class_manifest("App", "dev", region="eu-west-1", objects=OBJECTS)
    assert str(caught.value).startswith("SecretProviderClass name 'App' is not a valid Kubernetes object name")


def test_unknown_secret_type_is_refused() -> None:
    synced = [{"secret_name": "s", "type": "Secret", "data": [{"object_name": "db-password", "key": "password"}]}]
    assert error_of(secret_objects=synced) == (
        "SecretProviderClassArgs.secret_objects[0].type 'Secret' is not one of: " + ", ".join(SECRET_TYPES))


def test_a_tls_secret_without_its_required_keys_is_refused() -> None:
    synced = [{"secret_name": "tls", "type": "kubernetes.io/tls",
               "data": [{"object_name": "db-password", "key": "tls.crt"}]}]
    assert error_of(secret_objects=synced) == (
        "SecretProviderClassArgs.secret_objects[0].data ['tls.crt'] lacks tls.key, which a Secret of type "
        "kubernetes.io/tls must have")


def test_a_tls_secret_with_both_keys_renders() -> None:
    synced = [{"secret_name": "tls", "type": "kubernetes.io/tls",
               "data": [{"object_name": "database.json", "key": "tls.crt"},
                        {"object_name": "db-password", "key": "tls.key"}]}]
    assert manifest(secret_objects=synced)["spec"]["secretObjects"][0]["type"] == "kubernetes.io/tls"


def test_duplicate_secret_keys_are_refused() -> None:
    synced = [{"secret_name": "s", "data": [{"object_name": "db-password", "key": "k"},
                                            {"object_name": "database.json", "key": "k"}]}]
    assert error_of(secret_objects=synced) == (
        "SecretProviderClassArgs.secret_objects[0].data[1].key 'k' is given more than once; keys must be unique")


def test_no_objects_is_refused() -> None:
    assert error_of(objects=[], secret_objects=()) == (
        "SecretProviderClassArgs.objects [] is empty: mount at least one object")


@pytest.mark.parametrize("key, expression", [("password", "password"), ("db-password", '"db-password"'),
                                             ("2fa", '"2fa"')])
def test_jmes_path_quotes_keys_that_are_not_identifiers(key: str, expression: str) -> None:
    assert jmes_path_expression(key) == expression


def component_args(installed_by: Any) -> SecretProviderClassArgs:
    return {"namespace": "dev", "region": "eu-west-1", "objects": OBJECTS, "secret_objects": SYNCED,
            "installed_by": installed_by}


@pytest.mark.parametrize("install", ["helm", "addon"])
def test_the_class_depends_on_its_drivers_installers_and_uses_the_explicit_provider(install: str) -> None:
    names: list[str] = []

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers={"kubernetes": provider})
        driver = SecretsStoreCsiDriver("csi", {"region": "eu-west-1", "install": install, "cluster_name": "c",
                                               "sync_secret": install == "helm"}, opts=opts)
        spc = SecretProviderClass("app", component_args(driver), opts=opts)
        spc.class_name.apply(names.append)

    plan = run_program(program)
    spc = plan.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    installers = plan.find("kubernetes:helm.sh/v3:Release") if install == "helm" else plan.find("aws:eks/addon:Addon")
    assert len(installers) == (2 if install == "helm" else 1)
    assert sorted(spc.dependencies) == sorted(r.urn for r in installers)
    assert spc.provider == plan.one("pulumi:providers:kubernetes").urn
    assert spc.parent == plan.one("eks-config-secrets:index:SecretProviderClass").urn
    assert spc.inputs["metadata"] == {"name": "app", "namespace": "dev"}
    assert names == ["app"]


def test_no_driver_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: SecretProviderClass("app", component_args([])))
    assert str(caught.value) == (
        "SecretProviderClassArgs.installed_by [] is not a SecretsStoreCsiDriver: pass the driver that installs the "
        "CRD, so the class is created after it")


REPLICA = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:dev/app/api-AbCdEf"
PRIMARY = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/api-AbCdEf"


def test_failover_region_and_object_follow_the_provider_parameters() -> None:
    objects: list[SecretObjectArgs] = [{"object_name": PRIMARY, "object_alias": "api", "failover_object_name": REPLICA,
                                        "file_permission": "0004"}]
    rendered = manifest(objects=objects, secret_objects=(), failover_region="eu-central-1")
    assert rendered["spec"]["parameters"]["failoverRegion"] == "eu-central-1"
    assert yaml.safe_load(rendered["spec"]["parameters"]["objects"]) == [
        {"objectName": PRIMARY, "objectType": "secretsmanager", "objectAlias": "api", "filePermission": "0004",
         "failoverObject": {"objectName": REPLICA}}]
    jsonschema.validate(rendered, crd_schema())


def test_a_failover_region_equal_to_the_primary_is_refused() -> None:
    assert error_of(failover_region="eu-west-1") == (
        "SecretProviderClassArgs.failover_region 'eu-west-1' is the primary region: name a second region that holds "
        "replicas of the secrets, or omit it")


def test_a_failover_object_needs_a_failover_region_an_alias_and_its_region() -> None:
    assert error_of(objects=[{"object_name": PRIMARY, "object_alias": "api", "failover_object_name": REPLICA}],
                    secret_objects=()) == (
        f"SecretProviderClassArgs.objects[0].failover_object_name '{REPLICA}' is set but the class has no "
        "failover_region")
    assert error_of(objects=[{"object_name": PRIMARY, "failover_object_name": REPLICA}], secret_objects=(),
                    failover_region="eu-central-1") == (
        "SecretProviderClassArgs.objects[0].object_alias None is required with failover_object_name (the provider "
        "names both objects' file by it)")
    assert error_of(objects=[{"object_name": PRIMARY, "object_alias": "api", "failover_object_name": PRIMARY}],
                    secret_objects=(), failover_region="eu-central-1") == (
        f"SecretProviderClassArgs.objects[0].failover_object_name '{PRIMARY}' is in region eu-west-1, not in the "
        "class's failover_region eu-central-1")


@pytest.mark.parametrize("permission", ["644", "0800", "rw-r--r--"])
def test_a_file_permission_that_is_not_four_octal_digits_is_refused(permission: str) -> None:
    assert error_of(objects=[{"object_name": "db", "file_permission": permission}], secret_objects=()) == (
        f"SecretProviderClassArgs.objects[0].file_permission '{permission}' is not four octal digits such as '0440'")


def _class_plan(objects: Any, later: bool) -> Any:
    """A class of ``objects``, their names given as Outputs when ``later`` (secrets another stack made)."""
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers={"kubernetes": provider})
        driver = SecretsStoreCsiDriver("csi", {"region": "eu-west-1"}, opts=opts)
        given = [{**o, "object_name": pulumi.Output.from_input(o["object_name"])} if later else o for o in objects]
        SecretProviderClass("app", {**component_args(driver), "objects": given}, opts=opts)

    return run_program(program)


def test_object_names_given_as_outputs_make_the_same_class() -> None:
    plain, later = _class_plan(OBJECTS, later=False), _class_plan(OBJECTS, later=True)
    assert [(r.urn, r.inputs) for r in later.resources] == [(r.urn, r.inputs) for r in plain.resources]


def test_an_object_name_output_is_checked_once_known_with_the_plain_values_message() -> None:
    bad = [{**OBJECTS[0], "object_name": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:dev/app-AbCdEf"}]
    with pytest.raises(SettingsError) as plain:
        _class_plan(bad, later=False)
    later = refused_once_known(lambda: _class_plan(bad, later=True))
    assert later.endswith(f"ValueError has risen: {plain.value}")
