"""components/app_secrets.py: one app's secrets end to end, the same pod-spec shape for either backend."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.app_secrets import AppSecrets, AppSecretsArgs, check_secret_sources
from components.csi_driver import SecretsStoreCsiDriver
from components.external_secrets import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.handles import AwsTarget, ClusterIdentity
from components.plan.engine import Plan, run_program
from components.validation import SettingsError, SettingsErrors, stack_key
from tests.conftest import REFERENCE, refused_once_known

SPC = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789"
SECRETS: Any = [
    {"secret": "dev/app/database", "keys": [{"property": "password", "file": "db-password", "env": "DB_PASSWORD"}]},
    {"secret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/api-AbCdEf",
     "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/0f6d3f4e-1111-2222-3333-444455556666",
     "keys": [{"file": "api-key"}]},
]


def served_v1(path: str) -> Callable[[], dict[str, Any]]:
    @cache
    def schema() -> dict[str, Any]:
        crd = yaml.safe_load((REFERENCE / path).read_text())
        return dict(next(v for v in crd["spec"]["versions"] if v["name"] == "v1" and v["served"])["schema"][
            "openAPIV3Schema"])

    return schema


CRD_SCHEMAS = {
    "SecretProviderClass": served_v1(
        "secrets-store-csi-driver/v1.6.0/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml"),
    "SecretStore": served_v1("external-secrets/v2.9.0/external-secrets.io_secretstores.yaml"),
    "ExternalSecret": served_v1("external-secrets/v2.9.0/external-secrets.io_externalsecrets.yaml"),
}


class Later:
    """An argument that the program gives as an Output (another resource's, another stack's), made inside it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    @staticmethod
    def made(value: Any) -> Any:
        """``value`` with each ``Later`` in it (in lists and maps too) made an Output."""
        if isinstance(value, Later):
            return pulumi.Output.from_input(value.value)
        if isinstance(value, dict):
            return {key: Later.made(item) for key, item in value.items()}
        if isinstance(value, list):
            return [Later.made(item) for item in value]
        return value


def app_plan(**overrides: Any) -> tuple[Plan, dict[str, Any]]:
    """One AppSecrets on a cluster handle and the backend named by ``backend`` (``csi`` or ``external-secrets``);
    ``sync_secret`` goes to the driver, ``esc_organization`` and ``operator_identity`` to the operator, the rest
    to the component's args (``drop`` removes keys)."""
    fragment: dict[str, Any] = {}
    backend = overrides.pop("backend", "csi")

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers={"kubernetes": provider})
        agent = cache(lambda: aws.eks.Addon("agent", cluster_name="c", addon_name="eks-pod-identity-agent"))
        cluster = ClusterIdentity(cluster_name="c", cluster_arn="arn:aws:eks:eu-west-1:123456789012:cluster/c",
                                  oidc_provider_arn=f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}",
                                  oidc_issuer=ISSUER, agent=agent)
        args: AppSecretsArgs = {
            "namespace": "dev", "app_name": "app", "secrets": SECRETS, "cluster": cluster,
            "target": AwsTarget(region="eu-west-1", account_id="123456789012"),
        }
        if backend == "csi":
            args["csi_driver"] = SecretsStoreCsiDriver(
                "installer", {"region": "eu-west-1", "sync_secret": overrides.pop("sync_secret", True)}, opts=opts)
        else:
            operator: ExternalSecretsOperatorArgs = {}
            if "esc_organization" in overrides:
                operator["pulumi_organization"] = overrides.pop("esc_organization")
            if overrides.pop("operator_identity", False):
                operator |= {"cluster": cluster, "target": args["target"]}
            args["external_secrets"] = ExternalSecretsOperator("installer", operator, opts=opts)
        merged: dict[str, Any] = {**args, **{key: Later.made(value) for key, value in overrides.items()}}
        for key in merged.pop("drop", ()):
            merged.pop(key)
        app = AppSecrets("dev-app", merged, opts=opts)  # type: ignore[arg-type]
        fragment.update(volumes=app.volumes, volume_mounts=app.volume_mounts, env=app.env,
                        reload=app.reload_annotations, synced=app.synced_secret_name)
        app.service_account_name.apply(lambda v: fragment.update(service_account=v))
        if "csi" in app.volumes[0]:
            app.volumes[0]["csi"]["volumeAttributes"]["secretProviderClass"].apply(lambda v: fragment.update(spc=v))

    return run_program(program), fragment


def test_read_policy_names_exactly_the_apps_secrets() -> None:
    plan, _ = app_plan()
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    read = next(s for s in policy["Statement"] if "secretsmanager:GetSecretValue" in s["Action"])
    assert sorted(read["Resource"]) == [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/api-AbCdEf",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/database-??????",
    ]
    decrypt = next(s for s in policy["Statement"] if s["Action"] == ["kms:Decrypt"] or s["Action"] == "kms:Decrypt")
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}


def test_csi_backend_mounts_the_class_and_syncs_the_keys() -> None:
    plan, fragment = app_plan()
    spc = plan.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert spc.inputs["spec"]["secretObjects"] == [{"secretName": "app-secrets", "type": "Opaque", "data": [
        {"objectName": "db-password", "key": "db-password"}, {"objectName": "api-key", "key": "api-key"}]}]
    # After both releases of the driver handle: the CRD and the provider.
    assert {r.urn for r in plan.find("kubernetes:helm.sh/v3:Release")} <= set(spc.dependencies)
    assert fragment["volumes"][0]["csi"]["readOnly"] is True
    assert fragment["volume_mounts"] == [{"name": "secrets", "mountPath": "/mnt/secrets", "readOnly": True}]
    assert fragment["env"] == [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secrets",
                                                                                        "key": "db-password"}}}]
    assert fragment["reload"] == {"secret.reloader.stakater.com/reload": "app-secrets"}


def test_external_secrets_backend_keeps_the_same_fragment_shape() -> None:
    _, csi = app_plan()
    eso_plan, eso = app_plan(backend="external-secrets")
    assert eso["env"] == csi["env"] and eso["volume_mounts"] == csi["volume_mounts"]
    assert eso["volumes"] == [{"name": "secrets", "secret": {"secretName": "app-secrets", "defaultMode": 0o400}}]
    store = eso_plan.one("kubernetes:external-secrets.io/v1:SecretStore")
    assert store.inputs["spec"]["provider"]["aws"]["auth"] == {"jwt": {"serviceAccountRef": {"name": "app"}}}
    external = eso_plan.one("kubernetes:external-secrets.io/v1:ExternalSecret")
    assert external.inputs["spec"]["data"][0] == {"secretKey": "db-password",
                                                  "remoteRef": {"key": "dev/app/database", "property": "password"}}
    assert eso_plan.one("kubernetes:helm.sh/v3:Release").urn in external.dependencies


def test_only_get_on_the_synced_secret() -> None:
    plan, _ = app_plan()
    role = plan.one("kubernetes:rbac.authorization.k8s.io/v1:Role")
    assert role.inputs["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["app-secrets"],
                                     "verbs": ["get"]}]
    binding = plan.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "app", "namespace": "dev"}]


def test_pod_identity_sets_use_pod_identity_and_an_association() -> None:
    plan, _ = app_plan(identity="pod-identity")
    spc = plan.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert spc.inputs["spec"]["parameters"]["usePodIdentity"] == "true"
    association = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == ("dev", "app")


def test_external_secrets_with_pod_identity_stores_assume_the_apps_role_with_the_operators_identity() -> None:
    plan, fragment = app_plan(backend="external-secrets", identity="pod-identity", operator_identity=True)
    operator = plan.one("aws:iam/role:Role", "installer-role").outputs["arn"]
    role = plan.one("aws:iam/role:Role", "dev-app-identity-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": operator}, "Action": "sts:AssumeRole"}]
    store = plan.one("kubernetes:external-secrets.io/v1:SecretStore")
    # No auth block: the controller's own (Pod Identity) credentials assume `role` (external-secrets.io "AWS access").
    assert store.inputs["spec"]["provider"]["aws"] == {"service": "SecretsManager", "region": "eu-west-1",
                                                      "role": role.outputs["arn"]}
    account = plan.one("kubernetes:core/v1:ServiceAccount")
    assert "annotations" not in account.inputs["metadata"] or not account.inputs["metadata"]["annotations"]
    # The operator's association only: the app's role is assumed by the operator, never by a pod.
    associations = plan.find("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert [a.inputs["serviceAccount"] for a in associations] == ["external-secrets"]
    assert fragment["volumes"] == [{"name": "secrets", "secret": {"secretName": "app-secrets", "defaultMode": 0o400}}]


def test_external_secrets_with_pod_identity_needs_the_operators_role() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(backend="external-secrets", identity="pod-identity")
    assert str(caught.value) == (
        "AppSecretsArgs.identity 'pod-identity' with external_secrets needs the operator's own identity: create the "
        "ExternalSecretsOperator with its cluster")


def test_env_vars_without_sync_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(sync_secret=False)
    assert str(caught.value) == (
        "AppSecretsArgs.secrets[0].keys[0].env 'DB_PASSWORD' reads the synced Kubernetes Secret, but syncSecret is "
        "false: enable syncSecret or read the file instead")


def test_duplicate_file_names_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(secrets=[{"secret": "a", "keys": [{"file": "x"}]}, {"secret": "b", "keys": [{"file": "x"}]}])
    assert str(caught.value) == (
        "AppSecretsArgs.secrets[].keys[].file 'x' is given more than once; names must be unique")


def test_every_kubernetes_resource_uses_the_explicit_provider() -> None:
    for backend in ("csi", "external-secrets"):
        plan, _ = app_plan(backend=backend)
        kubernetes = [r for r in plan.resources if r.type.startswith("kubernetes:")]
        assert len(kubernetes) >= 5
        assert {r.provider for r in kubernetes} == {plan.one("pulumi:providers:kubernetes").urn}


def test_custom_resources_validate_against_the_upstream_crds() -> None:
    documents = [r.raw_inputs for r in app_plan()[0].find(SPC)]
    eso_plan, _ = app_plan(backend="external-secrets")
    documents += [r.raw_inputs for r in eso_plan.resources if r.type.startswith("kubernetes:external-secrets.io/")]
    assert [d["kind"] for d in documents] == ["SecretProviderClass", "ExternalSecret", "SecretStore"]
    for document in documents:
        jsonschema.validate(document, CRD_SCHEMAS[document["kind"]]())


def test_csi_objects_mount_the_whole_secret_and_each_property() -> None:
    spc = app_plan()[0].one(SPC)
    assert yaml.safe_load(spc.inputs["spec"]["parameters"]["objects"]) == [
        {"objectName": "dev/app/database", "objectType": "secretsmanager", "objectAlias": "secret-0.json",
         "filePermission": "0004", "jmesPath": [{"path": "password", "objectAlias": "db-password"}]},
        {"objectName": SECRETS[1]["secret"], "objectType": "secretsmanager", "objectAlias": "api-key",
         "filePermission": "0004"},
    ]


def test_the_store_waits_for_the_service_account_it_authenticates_as() -> None:
    plan, _ = app_plan(backend="external-secrets")
    store = plan.one("kubernetes:external-secrets.io/v1:SecretStore")
    external = plan.one("kubernetes:external-secrets.io/v1:ExternalSecret")
    # A component in depends_on stands for its children: the ServiceAccount among them.
    assert plan.one("kubernetes:core/v1:ServiceAccount").urn in store.dependencies
    assert store.urn in external.dependencies


def test_outputs_name_the_service_account_and_the_synced_secret() -> None:
    _, fragment = app_plan()
    assert (fragment["synced"], fragment["service_account"], fragment["spc"]) == ("app-secrets", "app", "dev-app-spc")


def test_exactly_one_backend_handle_is_taken() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(drop=("csi_driver",))
    assert str(caught.value) == (
        "AppSecretsArgs.csi_driver None and external_secrets: give exactly one, the backend that delivers the secrets")


def test_a_key_file_named_like_the_whole_secret_file_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(secrets=[{"secret": "a", "keys": [{"property": "p", "file": "secret-0.json"}]}])
    assert str(caught.value) == (
        "AppSecretsArgs.secrets[0].keys[0].file 'secret-0.json' is the file the CSI provider writes the whole secret "
        "to: choose another name")


def test_an_invalid_secret_name_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(secrets=[{"secret": "arn:aws:s3:::bucket", "keys": [{"file": "x"}]}])
    assert str(caught.value).startswith("AppSecretsArgs.secrets[0].secret 'arn:aws:s3:::bucket' is not a valid")


def test_exposing_the_whole_secret_twice_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(secrets=[{"secret": "a", "keys": [{"file": "x"}, {"file": "y"}]}])
    assert str(caught.value) == (
        "AppSecretsArgs.secrets[0].keys[1].property None is not set, and keys[0] already exposes the whole secret: "
        "give this key a property")


PARAMETERS: Any = [
    {"parameter": "/dev/app/features", "keys": [{"property": "checkout", "file": "checkout", "env": "CHECKOUT"}]},
    {"parameter": "/dev/app/signing-key", "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k",
     "keys": [{"file": "signing-key"}]},
]


def test_csi_reads_ssm_parameters_with_jmes_path_keys_and_get_parameters() -> None:
    plan, fragment = app_plan(secrets=PARAMETERS)
    objects = yaml.safe_load(plan.one(SPC).inputs["spec"]["parameters"]["objects"])
    assert objects == [
        {"objectName": "/dev/app/features", "objectType": "ssmparameter", "objectAlias": "secret-0.json",
         "filePermission": "0004", "jmesPath": [{"path": "checkout", "objectAlias": "checkout"}]},
        {"objectName": "/dev/app/signing-key", "objectType": "ssmparameter", "objectAlias": "signing-key",
         "filePermission": "0004"},
    ]
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"] == [
        {"Sid": "ReadParameters", "Effect": "Allow", "Action": ["ssm:GetParameters"],
         "Resource": ["arn:aws:ssm:eu-west-1:123456789012:parameter/dev/app/features",
                      "arn:aws:ssm:eu-west-1:123456789012:parameter/dev/app/signing-key"]},
        {"Sid": "DecryptParametersThroughSsm", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": ["arn:aws:kms:eu-west-1:123456789012:key/k"],
         "Condition": {"StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}}},
    ]
    assert fragment["env"] == [{"name": "CHECKOUT", "valueFrom": {"secretKeyRef": {"name": "app-secrets",
                                                                                    "key": "checkout"}}}]


def test_external_secrets_reads_parameters_through_a_parameter_store_of_their_own() -> None:
    plan, _ = app_plan(backend="external-secrets", secrets=[SECRETS[0], PARAMETERS[0]])
    stores = {s.inputs["metadata"]["name"]: s.inputs["spec"]["provider"]["aws"]
              for s in plan.find("kubernetes:external-secrets.io/v1:SecretStore")}
    assert {name: store["service"] for name, store in stores.items()} == {
        "app": "SecretsManager", "app-parameters": "ParameterStore"}
    data = plan.one("kubernetes:external-secrets.io/v1:ExternalSecret").inputs["spec"]["data"]
    assert data[1] == {"secretKey": "checkout", "remoteRef": {"key": "/dev/app/features", "property": "checkout"},
                       "sourceRef": {"storeRef": {"name": "app-parameters", "kind": "SecretStore"}}}
    read = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    # ESO calls GetParameter per entry (providers/v1/aws/parameterstore): not the CSI provider's GetParameters.
    assert [s["Action"] for s in read] == [["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                                           ["ssm:GetParameter"]]
    for document in [r.raw_inputs for r in plan.resources if r.type.startswith("kubernetes:external-secrets.io/")]:
        jsonschema.validate(document, CRD_SCHEMAS[document["kind"]]())


def test_a_file_only_app_syncs_no_secret_and_asks_reloader_to_watch_its_class() -> None:
    files_only: Any = [{"secret": "dev/app/tls", "keys": [{"file": "tls.pem"}]}]
    plan, fragment = app_plan(secrets=files_only, restart_on_file_rotation=True)
    assert "secretObjects" not in plan.one(SPC).inputs["spec"]
    assert plan.find("kubernetes:rbac.authorization.k8s.io/v1:Role") == []
    assert fragment["env"] == []
    assert fragment["reload"] == {"secretproviderclass.reloader.stakater.com/reload": "dev-app-spc"}
    assert app_plan(secrets=files_only)[1]["reload"] == {}


def test_failover_reads_the_replica_of_an_arn_and_grants_both_regions() -> None:
    replica_key = "arn:aws:kms:eu-central-1:123456789012:key/replica"
    secrets = [SECRETS[0], {**SECRETS[1], "failover_kms_key_arn": replica_key}]
    plan, _ = app_plan(secrets=secrets, failover_region="eu-central-1")
    spc = plan.one(SPC).inputs["spec"]["parameters"]
    assert spc["failoverRegion"] == "eu-central-1"
    objects = yaml.safe_load(spc["objects"])
    assert "failoverObject" not in objects[0]
    assert objects[1]["failoverObject"] == {
        "objectName": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:dev/app/api-AbCdEf"}
    statements = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    assert statements[0]["Resource"] == [
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:dev/app/api-AbCdEf",
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:dev/app/database-??????",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/api-AbCdEf",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/database-??????",
    ]
    assert [s["Resource"] for s in statements[1:]] == [[SECRETS[1]["kms_key_arn"]], [replica_key]]


def test_a_failover_region_equal_to_the_primary_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(failover_region="eu-west-1")
    assert str(caught.value) == (
        "AppSecretsArgs.failover_region 'eu-west-1' is the primary region: name a second region that holds replicas "
        "of the secrets, or omit it")


def test_csi_only_settings_are_each_refused_with_external_secrets() -> None:
    with pytest.raises(SettingsErrors) as caught:
        app_plan(backend="external-secrets", failover_region="eu-central-1", file_permission="0400",
                 restart_on_file_rotation=False)
    assert [str(problem) for problem in caught.value.problems] == [
        f"AppSecretsArgs.{field} {value!r} applies to the csi backend only (a Secrets Store CSI Driver feature)"
        for field, value in (("failover_region", "eu-central-1"), ("file_permission", "0400"))]


def test_an_ssm_parameter_with_a_wildcard_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(secrets=[{"parameter": "/dev/app/*", "keys": [{"file": "x"}]}])
    assert str(caught.value).startswith(
        "AppSecretsArgs.secrets[0].parameter '/dev/app/*' contains a wildcard ('*' or '?')")


ESC: Any = {"esc_environment": "payments/dev", "keys": [{"property": "checkout.webhookSecret", "file": "webhook"}]}


def test_a_pulumi_esc_environment_is_read_through_an_oidc_store_with_the_same_fragment() -> None:
    plan, fragment = app_plan(backend="external-secrets", secrets=[SECRETS[0], ESC],
                              esc_organization="example-org")
    stores = {s.inputs["metadata"]["name"]: s.raw_inputs for s in
              plan.find("kubernetes:external-secrets.io/v1:SecretStore")}
    assert stores["app-esc-0"]["spec"]["provider"]["pulumi"] == {
        "organization": "example-org", "project": "payments", "environment": "dev",
        "auth": {"oidcConfig": {"organization": "example-org", "serviceAccountRef": {"name": "app"}}}}
    data = plan.one("kubernetes:external-secrets.io/v1:ExternalSecret").inputs["spec"]["data"]
    assert data[-1] == {"secretKey": "webhook", "remoteRef": {"key": "checkout.webhookSecret"},
                        "sourceRef": {"storeRef": {"name": "app-esc-0", "kind": "SecretStore"}}}
    for document in stores.values():
        jsonschema.validate(document, CRD_SCHEMAS["SecretStore"]())
    # Nothing of ESC in IAM: the role reads only the AWS secret.
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert [s["Resource"] for s in policy["Statement"]] == [
        ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/database-??????"]]
    assert fragment["volumes"] == [{"name": "secrets", "secret": {"secretName": "app-secrets", "defaultMode": 0o400}}]


@pytest.mark.parametrize("overrides, message", [
    ({"secrets": [SECRETS[0], ESC], "esc_organization": "example-org"},
     "AppSecretsArgs.csi_driver 'csi' cannot read esc_environment sources: Pulumi ESC is read through the External "
     "Secrets Operator (the external-secrets backend)"),
    ({"secrets": [SECRETS[0], ESC], "backend": "external-secrets", "chart": "external-secrets"},
     "ExternalSecretsOperatorArgs.pulumi_organization None is required: AppSecretsArgs.secrets reads a Pulumi ESC "
     "environment of that organization"),
])
def test_pulumi_esc_needs_the_operator_and_an_organization(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(**overrides)
    assert str(caught.value) == message


def test_each_secrets_mistake_is_reported_at_once_as_input_property_errors() -> None:
    with pytest.raises(SettingsErrors) as caught:
        app_plan(secrets=[{"secret": "arn:aws:s3:::bucket", "keys": [{"file": "x"}]},
                          {"parameter": "/dev/app/*", "keys": [{"file": "y"}]}])
    assert isinstance(caught.value, pulumi.InputPropertiesError)
    assert [e["property_path"] for e in caught.value.errors or []] == [
        "AppSecretsArgs.secrets[0].secret", "AppSecretsArgs.secrets[1].parameter"]


@pytest.mark.parametrize("backend", ["csi", "external-secrets"])
def test_a_namespace_given_as_an_output_registers_what_the_plain_one_does(backend: str) -> None:
    plain, _ = app_plan(backend=backend)
    later, _ = app_plan(backend=backend, namespace=Later("dev"))
    assert [(r.urn, r.inputs, r.parent) for r in later.resources] == [(r.urn, r.inputs, r.parent)
                                                                       for r in plain.resources]


def test_a_bad_namespace_output_is_refused_once_known_with_the_plain_values_message() -> None:
    with pytest.raises(SettingsError) as plain:
        app_plan(namespace="Dev")
    # The SDK fails the resources that wait on it and names them around the message.
    later = refused_once_known(lambda: app_plan(namespace=Later("Dev")))
    assert later.endswith(f"ValueError has risen: {plain.value}")
    assert str(plain.value).startswith("AppSecretsArgs.namespace 'Dev' is not a DNS-1123 label")


def test_a_target_role_given_as_an_output_is_chained_to() -> None:
    target = "arn:aws:iam::210987654321:role/payments-reader"
    plain, _ = app_plan(identity="pod-identity", target_role_arn=target)
    later, _ = app_plan(identity="pod-identity", target_role_arn=Later(target))
    association = later.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.inputs["targetRoleArn"] == target
    assert [(r.urn, r.inputs) for r in later.resources] == [(r.urn, r.inputs) for r in plain.resources]


@pytest.mark.parametrize("overrides", [
    {"identity": "irsa"},
    {"identity": "pod-identity", "backend": "external-secrets", "chart": "external-secrets", "operator_identity": True},
], ids=["irsa", "external-secrets"])
def test_a_target_role_needs_the_apps_own_pod_identity_association(overrides: dict[str, Any]) -> None:
    target = "arn:aws:iam::210987654321:role/payments-reader"
    with pytest.raises(SettingsError) as caught:
        app_plan(target_role_arn=target, **overrides)
    assert str(caught.value) == (
        f"AppSecretsArgs.target_role_arn {target!r} needs identity pod-identity and the csi backend: only the "
        "workload's own EKS Pod Identity association chains to it (its targetRoleArn)")


def _later_sources(secrets: Any) -> Any:
    """``secrets`` with every source and key ARN given as an Output (a secret or key that another stack made)."""
    sources = ("secret", "parameter", "kms_key_arn", "failover_kms_key_arn")
    return [{key: Later(value) if key in sources else value for key, value in secret.items()} for secret in secrets]


PARAMETER_SOURCES: Any = [*SECRETS, {"parameter": "/dev/app/flags", "keys": [{"file": "flags"}]}]


@pytest.mark.parametrize("backend", ["csi", "external-secrets"])
@pytest.mark.parametrize("failover", [None, "eu-central-1"])
def test_sources_given_as_outputs_register_what_plain_ones_do(backend: str, failover: str | None) -> None:
    extra = {"failover_region": failover} if failover and backend == "csi" else {}
    plain, _ = app_plan(backend=backend, secrets=PARAMETER_SOURCES, **extra)
    later, _ = app_plan(backend=backend, secrets=_later_sources(PARAMETER_SOURCES), **extra)
    assert [(r.urn, r.inputs) for r in later.resources] == [(r.urn, r.inputs) for r in plain.resources]


@pytest.mark.parametrize(("source", "value"), [("secret", "dev/app/*"),
                                               ("kms_key_arn", "arn:aws:kms:eu-west-1:1:alias/x")])
def test_a_bad_source_output_is_refused_once_known_with_the_plain_values_message(source: str, value: str) -> None:
    bad = [{**SECRETS[1], source: value}]
    with pytest.raises(SettingsError) as plain:
        app_plan(secrets=bad)
    later = refused_once_known(lambda: app_plan(secrets=_later_sources(bad)))
    assert later.endswith(f"ValueError has risen: {plain.value}")


BAD_SOURCES: Any = [
    {"secret": "dev/db", "parameter": "/dev/flags", "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:alias/x",
     "keys": [{"file": "a/b"}, {"file": "c"}]},
    {"esc_environment": "payments", "failover_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k",
     "keys": [{"file": "c"}, {"property": "p", "file": "secret-1.json"}]},
    {"parameter": "/dev/app/*", "keys": []},
]


def test_a_keys_env_var_name_no_program_can_read_is_refused() -> None:
    secrets = [{**SECRETS[0], "keys": [{**SECRETS[0]["keys"][0], "env": "DB-PASSWORD"}]}]
    with pytest.raises(SettingsError) as caught:
        app_plan(secrets=secrets)
    assert str(caught.value) == ("AppSecretsArgs.secrets[0].keys[0].env 'DB-PASSWORD' is not an environment variable "
                                 "name (letters, digits, '_'; not starting with a digit)")


def test_every_mistake_of_every_source_is_reported_at_once_in_the_components_spelling() -> None:
    with pytest.raises(SettingsErrors) as caught:
        check_secret_sources(BAD_SOURCES, "AppSecretsArgs.secrets", failover=False)
    assert [str(problem) for problem in caught.value.problems] == [
        "AppSecretsArgs.secrets[0] ['secret', 'parameter'] needs exactly one of secret (a Secrets Manager secret), "
        "parameter (an SSM parameter) and esc_environment (a Pulumi ESC environment)",
        "AppSecretsArgs.secrets[0].kms_key_arn 'arn:aws:kms:eu-west-1:123456789012:alias/x' is not a valid kms ARN "
        "(expected arn:aws:kms:<region>:<12-digit account>:key/...)",
        "AppSecretsArgs.secrets[0].keys[0].file 'a/b' is not a file name ([-._a-zA-Z0-9]+): it becomes a file and a "
        "Secret key",
        "AppSecretsArgs.secrets[0].keys[1].property None is not set, and keys[0] already exposes the whole secret: "
        "give this key a property",
        "AppSecretsArgs.secrets[1].esc_environment 'payments' is not a Pulumi ESC environment <project>/<environment>",
        "AppSecretsArgs.secrets[1].failover_kms_key_arn 'arn:aws:kms:eu-west-1:123456789012:key/k' is set but the "
        "app has no failover_region",
        "AppSecretsArgs.secrets[1].keys[0].property None is required for a Pulumi ESC source: the path of a value in "
        "the ESC environment",
        "AppSecretsArgs.secrets[1].keys[1].file 'secret-1.json' is the file the CSI provider writes the whole secret "
        "to: choose another name",
        "AppSecretsArgs.secrets[2].parameter '/dev/app/*' contains a wildcard ('*' or '?'): name exactly one SSM "
        "parameter (its full name, or an ARN with its account, region and name)",
        "AppSecretsArgs.secrets[2].keys [] is empty: name at least one key to expose",
        "AppSecretsArgs.secrets[].keys[].file 'c' is given more than once; names must be unique",
    ]


def test_a_caller_names_the_sources_its_own_way() -> None:
    """The stack file's spelling (camelCase) comes from the caller; its `{environment}` placeholder from a stand-in,
    while the message shows the name as written."""
    sources = [{"esc_environment": "pay ments/{environment}", "keys": [{"file": "a"}]},
               {"secret": "{environment}/db", "failover_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k",
                "keys": [{"file": "b"}]}]
    with pytest.raises(SettingsErrors) as caught:
        check_secret_sources(sources, "apps[1].secretSources", failover=False, spell=stack_key,
                             stand_in=lambda name: name.replace("{environment}", "env"))
    assert [str(problem) for problem in caught.value.problems] == [
        "apps[1].secretSources[0].escEnvironment 'pay ments/{environment}' is not a Pulumi ESC environment "
        "<project>/<environment>",
        "apps[1].secretSources[0].keys[0].property None is required for a Pulumi ESC source: the path of a value in "
        "the ESC environment",
        "apps[1].secretSources[1].failoverKmsKeyArn 'arn:aws:kms:eu-west-1:123456789012:key/k' is set but the app "
        "has no failoverRegion",
    ]
    check_secret_sources(sources[1:], "s", failover=True, stand_in=lambda name: name.replace("{environment}", "e"))
    with pytest.raises(SettingsError) as caught_plain:
        check_secret_sources(sources[1:], "s", failover=True)
    assert str(caught_plain.value).startswith("s[0].secret '{environment}/db' is not a Secrets Manager secret name")
