"""components/external_secrets.py: the operator release and the v1 stores and ExternalSecrets it serves."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.external_secrets import (
    CHART,
    ExternalSecret,
    ExternalSecretsOperator,
    RemoteKey,
    esc_store_manifest,
    external_secret_manifest,
    operator_values,
    secret_store_manifest,
)
from components.handles import AwsTarget, ClusterIdentity
from components.plan.engine import run_program
from components.validation import SettingsError
from tests.conftest import REFERENCE
from tests.test_csi_driver import missing_keys
from tests.validators import parliament_findings

FOLDER = REFERENCE / "external-secrets/v2.9.0"
CRDS = {"SecretStore": "external-secrets.io_secretstores.yaml",
        "ClusterSecretStore": "external-secrets.io_clustersecretstores.yaml",
        "ExternalSecret": "external-secrets.io_externalsecrets.yaml"}
DATA: list[RemoteKey] = [{"secret_key": "db-password", "remote_key": "dev/app/database", "property": "password"},
                         {"secret_key": "api-key", "remote_key": "dev/app/api"}]


@cache
def crd_schema(kind: str, version: str) -> dict[str, Any]:
    """The schema of ``version`` as the pinned CRD serves it (an AssertionError if it is not served)."""
    crd = yaml.safe_load((FOLDER / CRDS[kind]).read_text())
    served = [v for v in crd["spec"]["versions"] if v["name"] == version and v["served"]]
    assert served, f"{kind} {version} is not served by chart {CHART['version']}"
    return dict(served[0]["schema"]["openAPIV3Schema"])


def validate(document: dict[str, Any]) -> None:
    jsonschema.validate(document, crd_schema(document["kind"], document["apiVersion"].split("/")[1]))


def external_secret(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"store": "app", "target": "app-secrets", "refresh_interval": "1h", "data": DATA,
                              **overrides}
    return external_secret_manifest("app", "dev", **kwargs)


@pytest.mark.parametrize("pinned", [False, True])
def test_every_values_key_exists_in_the_pinned_chart(pinned: bool) -> None:
    values = operator_values(pin_service_account=pinned)
    assert missing_keys(values, yaml.safe_load((FOLDER / "values.yaml").read_text())) == []


@pytest.mark.parametrize("pinned", [False, True])
def test_values_validate_against_the_charts_own_schema(pinned: bool) -> None:
    schema = yaml.safe_load((FOLDER / "values.schema.json").read_text())
    jsonschema.validate(operator_values(pin_service_account=pinned), schema)


def test_pinned_version_is_the_reference_chart() -> None:
    upstream = yaml.safe_load((FOLDER / "Chart.yaml").read_text())
    assert (upstream["name"], upstream["version"]) == (CHART["chart"], CHART["version"])


def test_v1beta1_is_no_longer_served() -> None:
    with pytest.raises(AssertionError):
        crd_schema("ExternalSecret", "v1beta1")


def test_secret_store_authenticates_as_the_irsa_service_account() -> None:
    store = secret_store_manifest("app", "dev", region="eu-west-1", service_account="app")
    assert store == {
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": {"name": "app", "namespace": "dev"},
        "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1",
                                      "auth": {"jwt": {"serviceAccountRef": {"name": "app"}}}}}},
    }
    validate(store)


def test_cluster_secret_store_names_the_service_accounts_namespace() -> None:
    store = secret_store_manifest("shared", "platform", region="eu-west-1", service_account="eso-reader",
                                  kind="ClusterSecretStore")
    assert store["metadata"] == {"name": "shared"}
    assert store["spec"]["provider"]["aws"]["auth"] == {
        "jwt": {"serviceAccountRef": {"name": "eso-reader", "namespace": "platform"}}}
    validate(store)


def test_external_secret_owns_its_target_and_maps_each_key() -> None:
    rendered = external_secret()
    assert rendered["spec"] == {
        "refreshInterval": "1h",
        "secretStoreRef": {"name": "app", "kind": "SecretStore"},
        "target": {"name": "app-secrets", "creationPolicy": "Owner"},
        "data": [{"secretKey": "db-password", "remoteRef": {"key": "dev/app/database", "property": "password"}},
                 {"secretKey": "api-key", "remoteRef": {"key": "dev/app/api"}}],
    }
    validate(rendered)


def test_external_secret_from_a_cluster_store_validates() -> None:
    rendered = external_secret(store="shared", store_kind="ClusterSecretStore")
    assert rendered["spec"]["secretStoreRef"] == {"name": "shared", "kind": "ClusterSecretStore"}
    validate(rendered)


def test_invalid_refresh_interval_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        external_secret(refresh_interval="1 hour")
    assert str(caught.value) == (
        "ExternalSecret refresh_interval '1 hour' is not a Go duration (a positive number with a unit: '90s', '2m', "
        "'1h30m')")


def test_duplicate_secret_keys_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        external_secret(data=[DATA[0], {**DATA[1], "secret_key": "db-password"}])
    assert str(caught.value) == (
        "ExternalSecret data[1].secret_key 'db-password' is given more than once; keys must be unique")


def test_no_data_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        external_secret(data=[])
    assert str(caught.value) == "ExternalSecret data [] is empty: fetch at least one key"


def test_unknown_store_kind_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        secret_store_manifest("app", "dev", region="eu-west-1", service_account="app", kind="VaultStore")
    assert str(caught.value) == "secret_store_manifest kind 'VaultStore' is not one of: SecretStore, ClusterSecretStore"


def test_operator_release_installs_its_crds_with_the_explicit_provider() -> None:
    seen: list[Any] = []

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        operator = ExternalSecretsOperator("eso", {}, opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))
        seen.append(len(operator.crd_dependencies))
        pulumi.Output.all(operator.namespace, operator.release_name).apply(seen.append)

    plan = run_program(program)
    release = plan.one("kubernetes:helm.sh/v3:Release", "eso-release")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "external-secrets", "2.9.0", "external-secrets")
    assert release.inputs["repositoryOpts"] == {"repo": "https://charts.external-secrets.io"}
    assert (release.inputs["values"], release.inputs["createNamespace"]) == ({"installCRDs": True}, True)
    assert release.provider == plan.one("pulumi:providers:kubernetes").urn
    assert seen == [1, ["external-secrets", "external-secrets"]]


def test_invalid_operator_namespace_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: ExternalSecretsOperator("eso", {"namespace": "External"}))
    assert str(caught.value).startswith("ExternalSecretsOperatorArgs.namespace 'External' is not a DNS-1123 label")


TARGET = AwsTarget(region="eu-west-1", account_id="123456789012")


def test_operator_with_pod_identity_gets_its_own_role_and_assumes_exactly_the_store_roles() -> None:
    store_role = "arn:aws:iam::123456789012:role/dev-app"

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        agent = aws.eks.Addon("agent", cluster_name="ecs-dev", addon_name="eks-pod-identity-agent")
        operator = ExternalSecretsOperator("eso", {
            "cluster": ClusterIdentity.from_attributes(
                cluster_name="ecs-dev", target=TARGET, pod_identity_agent=agent,
                oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0A"),
            "target": TARGET},
                                           opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))
        operator.allow_assume([store_role])

    plan = run_program(program)
    role = plan.one("aws:iam/role:Role", "eso-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == "external-secrets"
    association = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"], association.inputs["roleArn"]) == (
        "external-secrets", "external-secrets", role.outputs["arn"])
    release = plan.one("kubernetes:helm.sh/v3:Release")
    assert release.inputs["values"] == {"installCRDs": True, "serviceAccount": {"name": "external-secrets"}}
    assert association.urn in release.dependencies
    assume = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert assume["Statement"] == [{"Sid": "AssumeRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
                                    "Resource": [store_role]}]
    assert parliament_findings(assume) == []


def test_a_store_role_is_refused_without_an_operator_identity() -> None:
    def program() -> None:
        ExternalSecretsOperator("eso", {}).allow_assume(["arn:aws:iam::123456789012:role/dev-app"])

    with pytest.raises(SettingsError) as caught:
        run_program(program)
    assert str(caught.value) == (
        "ExternalSecretsOperator.allow_assume ['arn:aws:iam::123456789012:role/dev-app'] needs an operator identity: "
        "create the operator with its cluster")


def test_a_store_takes_exactly_one_way_to_authenticate() -> None:
    with pytest.raises(SettingsError) as caught:
        secret_store_manifest("app", "dev", region="eu-west-1", service_account="app",
                              role="arn:aws:iam::123456789012:role/app")
    assert str(caught.value).endswith("needs exactly one of service_account (IRSA) and role (assumed by the operator)")


def test_pulumi_esc_store_signs_in_by_oidc_and_validates_against_the_crd() -> None:
    store = esc_store_manifest("app-esc", "dev", organization="acme", project="payments", environment="dev",
                               service_account="app")
    assert store["spec"]["provider"]["pulumi"]["auth"] == {
        "oidcConfig": {"organization": "acme", "serviceAccountRef": {"name": "app"}}}
    crd = yaml.safe_load((REFERENCE / "external-secrets/v2.9.0/external-secrets.io_secretstores.yaml").read_text())
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")["schema"]["openAPIV3Schema"]
    jsonschema.validate(store, schema)
    with pytest.raises(SettingsError):
        esc_store_manifest("app-esc", "dev", organization="acme corp", project="p", environment="e",
                           service_account="app")


def test_the_external_secret_component_creates_its_stores_after_the_crds_and_itself_after_them() -> None:
    def program() -> None:
        release = k8s.helm.v3.Release("eso", chart="external-secrets")
        role = aws.iam.Role("app", assume_role_policy="{}")
        ExternalSecret("dev-app", {
            "name": "app", "namespace": "dev", "region": "eu-west-1", "target": "app-secrets",
            "refresh_interval": "1h", "installed_by": [release],
            "stores": [{"name": "app", "service": "SecretsManager", "role_arn": role.arn},
                       {"name": "app-esc-0", "esc_environment": "payments/dev", "organization": "example-org",
                        "service_account": "app"}],
            "data": [{"secret_key": "db", "remote_key": "dev/app/db"},
                     {"secret_key": "hook", "remote_key": "checkout.hook", "store": "app-esc-0"}],
        })

    plan = run_program(program)
    component = plan.one("eks-config-secrets:index:ExternalSecret")
    store = plan.one("kubernetes:external-secrets.io/v1:SecretStore", "dev-app-store")
    esc = plan.one("kubernetes:external-secrets.io/v1:SecretStore", "dev-app-esc-store-1")
    external = plan.one("kubernetes:external-secrets.io/v1:ExternalSecret", "dev-app-external-secret")
    assert {r.parent for r in (store, esc, external)} == {component.urn}
    release = plan.one("kubernetes:helm.sh/v3:Release").urn
    assert release in store.dependencies and release in esc.dependencies
    assert {store.urn, esc.urn} <= set(external.dependencies)
    # The role is known only once it exists: the store carries it, no stand-in.
    assert store.inputs["spec"]["provider"]["aws"]["role"] == plan.one("aws:iam/role:Role").outputs["arn"]
    for document in (store.raw_inputs, esc.raw_inputs, external.raw_inputs):
        validate(document)


def test_the_external_secret_component_needs_a_store() -> None:
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: ExternalSecret("dev-app", {
            "name": "app", "namespace": "dev", "region": "eu-west-1", "target": "app-secrets",
            "refresh_interval": "1h", "installed_by": [], "stores": [], "data": []}))
    assert str(caught.value) == "ExternalSecretArgs.stores [] is empty: give the store to read from"


def test_an_operator_given_its_cluster_needs_the_target_its_role_trust_pins() -> None:
    cluster = ClusterIdentity.from_attributes(
        cluster_name="ecs-dev", target=TARGET,
        oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0A")
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: ExternalSecretsOperator("eso", {"cluster": cluster}))
    assert str(caught.value) == "ExternalSecretsOperatorArgs.target None is required with cluster"
