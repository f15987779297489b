"""components/handles.py: the cluster identity and AWS target handles, for a created and an existing cluster."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.app_secrets import AppSecrets
from components.csi_driver import SecretsStoreCsiDriver
from components.handles import AwsTarget, ClusterIdentity
from components.plan.engine import run_program
from components.validation import SettingsError
from tests.conftest import refused_once_known

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
TARGET = AwsTarget(region="eu-west-1", account_id="123456789012")


def test_an_existing_cluster_gets_its_issuer_from_the_provider_arn_and_its_arn_from_the_target() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        identity = ClusterIdentity.from_attributes(cluster_name="payments", oidc_provider_arn=PROVIDER_ARN,
                                                   target=TARGET)
        seen["issuer"] = identity.oidc_issuer
        pulumi.Output.from_input(identity.cluster_arn).apply(lambda arn: seen.update(arn=arn))

    run_program(program)
    assert seen == {"issuer": ISSUER, "arn": "arn:aws:eks:eu-west-1:123456789012:cluster/payments"}


def test_an_existing_cluster_refuses_a_provider_arn_that_is_not_an_oidc_provider() -> None:
    with pytest.raises(SettingsError) as caught:
        ClusterIdentity.from_attributes(cluster_name="payments", target=TARGET,
                                        oidc_provider_arn="arn:aws:iam::123456789012:role/payments")
    assert str(caught.value).startswith("ClusterIdentity.oidc_provider_arn 'arn:aws:iam::123456789012:role/payments'")


@pytest.mark.parametrize("target, message", [
    ({"region": "eu-west-9", "account_id": "123456789012"}, "AwsTarget.region 'eu-west-9' is not an AWS region"),
    ({"region": "eu-west-1", "account_id": "1234"}, "AwsTarget.account_id '1234' is not an AWS account id (12 digits)"),
    ({"region": "eu-west-1", "account_id": "123456789012", "partition": "aws-x"},
     "AwsTarget.partition 'aws-x' is not an AWS partition"),
])
def test_a_target_is_checked_once_where_it_is_made(target: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        AwsTarget(**target)
    assert str(caught.value).startswith(message)


def test_an_account_id_output_is_checked_once_known_with_the_plain_values_message() -> None:
    def program(account_id: pulumi.Input[str]) -> None:
        target = AwsTarget(region="eu-west-1", account_id=account_id)
        aws.ssm.Parameter("account", type="String", value=target.account_id)

    with pytest.raises(SettingsError) as plain:
        run_program(lambda: program("1234"))
    later = refused_once_known(lambda: run_program(lambda: program(pulumi.Output.from_input("1234"))))
    assert later.endswith(f"ValueError has risen: {plain.value}")


def _pod_identity_app(agent: bool) -> None:
    def program() -> None:
        identity = ClusterIdentity.from_attributes(
            cluster_name="payments", oidc_provider_arn=PROVIDER_ARN, target=TARGET,
            pod_identity_agent=aws.eks.Addon.get("agent", "payments:eks-pod-identity-agent") if agent else None)
        driver = SecretsStoreCsiDriver("csi", {"region": "eu-west-1"})
        AppSecrets("payments", {"namespace": "payments", "app_name": "payments", "cluster": identity,
                                "target": TARGET, "csi_driver": driver, "identity": "pod-identity",
                                "secrets": [{"secret": "prod/payments", "keys": [{"file": "payments.json"}]}]})

    plan = run_program(program)
    association = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.inputs["serviceAccount"] == "payments"
    trust = json.loads(plan.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}


def test_an_existing_clusters_agent_is_given_not_guessed() -> None:
    _pod_identity_app(agent=True)
    with pytest.raises(SettingsError) as caught:
        _pod_identity_app(agent=False)
    assert str(caught.value) == (
        "ClusterIdentity.pod_identity_agent None is not known for this existing cluster: pass its "
        "eks-pod-identity-agent add-on (aws.eks.Addon.get) to ClusterIdentity.from_attributes")


def test_an_existing_clusters_attributes_may_be_outputs_of_another_stack() -> None:
    # What a StackReference gives: Outputs. The issuer is derived once the ARN resolves, with the same check.
    seen: dict[str, Any] = {}

    def program() -> None:
        identity = ClusterIdentity.from_attributes(cluster_name=pulumi.Output.from_input("payments"),
                                                   oidc_provider_arn=pulumi.Output.from_input(PROVIDER_ARN),
                                                   target=TARGET)
        pulumi.Output.all(identity.oidc_issuer, identity.cluster_arn).apply(lambda v: seen.update(values=v))

    run_program(program)
    assert seen["values"] == [ISSUER, "arn:aws:eks:eu-west-1:123456789012:cluster/payments"]


def test_a_provider_arn_output_is_checked_once_known_with_the_plain_values_message() -> None:
    arn = "arn:aws:iam::123456789012:role/payments"
    with pytest.raises(SettingsError) as plain:
        ClusterIdentity.from_attributes(cluster_name="payments", target=TARGET, oidc_provider_arn=arn)
    with pytest.raises(SettingsError) as later:
        run_program(lambda: ClusterIdentity.from_attributes(
            cluster_name="payments", target=TARGET, oidc_provider_arn=pulumi.Output.from_input(arn)))
    assert str(later.value) == str(plain.value)


def test_a_given_agent_addon_is_the_handles_agent() -> None:
    seen: list[bool] = []

    def program() -> None:
        agent = aws.eks.Addon.get("agent", "payments:eks-pod-identity-agent")
        identity = ClusterIdentity.from_attributes(cluster_name="payments", oidc_provider_arn=PROVIDER_ARN,
                                                   target=TARGET, pod_identity_agent=agent)
        seen.append(identity.pod_identity_agent() is identity.pod_identity_agent_addon is agent)

    run_program(program)
    assert seen == [True]
