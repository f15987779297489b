"""WorkloadIdentity under the recording engine, in IRSA and Pod Identity modes."""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.iam_policies import irsa_trust_policy, pod_identity_trust_policy
from components.plan.engine import Plan, run_program
from components.validation import SettingsError
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/api-AbCdEf"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "aws:iam/role:Role"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
IRSA: dict[str, Any] = {"oidc_provider_arn": PROVIDER_ARN, "oidc_issuer": ISSUER}


def plan_identity(**overrides: Any) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        args: dict[str, Any] = {
            "namespace": "dev",
            "service_account_name": "app",
            "secrets": ["dev/app/database", SECRET_ARN],
            "region": "eu-west-1",
            "account_id": pulumi.Output.from_input("123456789012"),
            **overrides,
        }
        if args.get("mode") == "pod-identity" and "pod_identity_agent" not in args:
            args["pod_identity_agent"] = aws.eks.Addon(
                "agent", cluster_name="ecs-dev", addon_name="eks-pod-identity-agent"
            )
        WorkloadIdentity(
            "app-dev",
            cast(WorkloadIdentityArgs, args),
            pulumi.ResourceOptions(providers={"kubernetes": provider}),
        )

    return run_program(program, config={"aws:region": "eu-west-1"})


def test_irsa_role_trusts_the_oidc_provider_for_exactly_its_service_account() -> None:
    role = plan_identity(**IRSA).one(ROLE, "app-dev-role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == irsa_trust_policy(PROVIDER_ARN, ISSUER, "dev", "app")


def test_irsa_service_account_is_annotated_with_the_role_arn() -> None:
    plan = plan_identity(**IRSA)
    metadata = plan.one(SERVICE_ACCOUNT).inputs["metadata"]
    assert metadata == {
        "name": "app",
        "namespace": "dev",
        "annotations": {"eks.amazonaws.com/role-arn": plan.one(ROLE).outputs["arn"]},
    }


def test_service_account_does_not_automount_its_token_by_default() -> None:
    assert plan_identity(**IRSA).one(SERVICE_ACCOUNT).inputs["automountServiceAccountToken"] is False


def test_service_account_automounts_its_token_when_asked() -> None:
    plan = plan_identity(**IRSA, automount_service_account_token=True)
    assert plan.one(SERVICE_ACCOUNT).inputs["automountServiceAccountToken"] is True


def test_service_account_uses_the_explicit_kubernetes_provider() -> None:
    plan = plan_identity(**IRSA)
    assert plan.one(SERVICE_ACCOUNT).provider == plan.one("pulumi:providers:kubernetes", "k8s").urn


def test_role_reads_exactly_its_secrets_inline() -> None:
    policy = plan_identity(**IRSA).one("aws:iam/rolePolicy:RolePolicy", "app-dev-secrets-read")
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                "Resource": [
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/database-??????",
                    SECRET_ARN,
                ],
            }
        ],
    }


def test_role_decrypts_with_the_secrets_cmk_through_secrets_manager() -> None:
    policy = plan_identity(**IRSA, kms_key_arns=[KEY]).one("aws:iam/rolePolicy:RolePolicy")
    assert json.loads(policy.inputs["policy"])["Statement"][1] == {
        "Sid": "DecryptSecretsThroughSecretsManager",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [KEY],
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
    }


def test_managed_policies_are_attached_by_name() -> None:
    arn = "arn:aws:iam::123456789012:policy/app-extra"
    attachment = plan_identity(**IRSA, managed_policy_arns=[arn]).one(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-dev-app-extra"
    )
    assert attachment.inputs["policyArn"] == arn


def test_pod_identity_role_trusts_only_this_clusters_service_account() -> None:
    role = plan_identity(mode="pod-identity").one(ROLE)
    assert json.loads(role.inputs["assumeRolePolicy"]) == pod_identity_trust_policy(
        cluster_arn="arn:aws:eks:eu-west-1:123456789012:cluster/ecs-dev", namespace="dev", service_account="app"
    )


def test_pod_identity_association_binds_the_role_to_the_service_account_after_the_agent() -> None:
    plan = plan_identity(mode="pod-identity")
    association = plan.one(ASSOCIATION, "app-dev-pod-identity")
    assert association.inputs == {
        "clusterName": "ecs-dev",
        "namespace": "dev",
        "serviceAccount": "app",
        "roleArn": plan.one(ROLE).outputs["arn"],
    }
    assert plan.one("aws:eks/addon:Addon", "agent").urn in association.dependencies


def test_pod_identity_service_account_has_no_role_annotation() -> None:
    assert "annotations" not in plan_identity(mode="pod-identity").one(SERVICE_ACCOUNT).inputs["metadata"]


def test_irsa_makes_no_pod_identity_association() -> None:
    assert plan_identity(**IRSA).find(ASSOCIATION) == []


def test_irsa_without_the_oidc_provider_is_refused() -> None:
    with pytest.raises(SettingsError) as error:
        plan_identity()
    assert str(error.value) == (
        "WorkloadIdentityArgs.oidc_provider_arn None is required in irsa mode (take it from SecureCluster)"
    )


def test_pod_identity_without_the_agent_is_refused() -> None:
    with pytest.raises(SettingsError) as error:
        plan_identity(mode="pod-identity", pod_identity_agent=None)
    assert str(error.value) == (
        "WorkloadIdentityArgs.pod_identity_agent None is required in pod-identity mode: the eks-pod-identity-agent "
        "add-on (SecureCluster.pod_identity_agent())"
    )


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(SettingsError) as error:
        plan_identity(mode="kiam")
    assert str(error.value) == "WorkloadIdentityArgs.mode 'kiam' is not one of: irsa, pod-identity, assumed-by-role"


def test_no_secrets_is_refused() -> None:
    with pytest.raises(SettingsError) as error:
        plan_identity(**IRSA, secrets=[])
    assert str(error.value) == "WorkloadIdentityArgs.secrets [] must be a list with at least one item"


def test_bad_secret_name_is_refused_with_its_index() -> None:
    with pytest.raises(SettingsError) as error:
        plan_identity(**IRSA, secrets=["ok", "not ok"])
    assert str(error.value) == (
        "WorkloadIdentityArgs.secrets[1] 'not ok' is not a Secrets Manager secret name "
        "(1-512 letters, digits and /_+=.@-) or secret ARN"
    )


def test_managed_policy_arn_of_a_role_is_refused() -> None:
    with pytest.raises(SettingsError) as error:
        plan_identity(**IRSA, managed_policy_arns=["arn:aws:iam::123456789012:role/x"])
    assert str(error.value) == (
        "WorkloadIdentityArgs.managed_policy_arns[0] 'arn:aws:iam::123456789012:role/x' is not a valid iam ARN "
        "(expected arn:aws:iam::<12-digit account>:policy/...)"
    )


def test_wildcard_service_account_name_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^WorkloadIdentityArgs.service_account_name 'app-\*' is not a valid"):
        plan_identity(**IRSA, service_account_name="app-*")
