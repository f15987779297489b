"""WorkloadIdentity under the recording engine, in IRSA and Pod Identity modes."""

from __future__ import annotations

import json
from typing import Any, cast

import boto3
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from components.iam_policies import (
    assume_roles_policy,
    irsa_trust_policy,
    key_policy_statement,
    owner_grants,
    parameter_share,
    pod_identity_trust_policy,
    role_trust_policy,
    secret_resource_policy,
)
from components.plan.engine import Plan, run_program
from components.validation import SettingsError
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from tests.validators import parliament_findings

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


OWNER_SECRET = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:finance/ledger-Qw34Er"
OWNER_KEY = "arn:aws:kms:eu-west-1:210987654321:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
TARGET = "arn:aws:iam::210987654321:role/ledger-reader"


def identity_and_grants(**overrides: Any) -> tuple[Plan, list[Any]]:
    seen: list[Any] = []

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        args: dict[str, Any] = {"namespace": "dev", "service_account_name": "app", "secrets": [OWNER_SECRET],
                                "kms_key_arns": [OWNER_KEY], "region": "eu-west-1", "account_id": "123456789012",
                                **overrides}
        if args.get("mode") == "pod-identity":
            args["pod_identity_agent"] = aws.eks.Addon("agent", cluster_name="ecs-dev",
                                                       addon_name="eks-pod-identity-agent")
        else:
            args |= {"oidc_provider_arn": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}", "oidc_issuer": ISSUER}
        identity = WorkloadIdentity("app-dev", cast(WorkloadIdentityArgs, args),
                                    pulumi.ResourceOptions(providers={"kubernetes": provider}))
        identity.owner_grants.apply(seen.append)

    return run_program(program), seen


def test_a_secret_of_another_account_comes_with_what_its_owner_applies() -> None:
    plan, [grants] = identity_and_grants()
    role_arn = plan.one("aws:iam/role:Role").outputs["arn"]
    assert grants == [{
        "account": "210987654321",
        "secret": OWNER_SECRET,
        "resource_policy": secret_resource_policy(OWNER_SECRET, role_arn),
        "key_policy_statements": [key_policy_statement(OWNER_KEY, role_arn)],
    }]
    assert grants[0]["resource_policy"]["Statement"][0]["Principal"] == {"AWS": role_arn}
    # The owner's documents pass parliament as well (resource and key policies, each naming the role).
    assert parliament_findings(grants[0]["resource_policy"]) == []
    assert parliament_findings({"Version": "2012-10-17", "Statement": grants[0]["key_policy_statements"]}) == []


def test_a_secret_of_another_account_without_its_key_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        owner_grants([OWNER_SECRET], [], "arn:aws:iam::123456789012:role/app", "123456789012")
    assert str(caught.value) == (
        f"secret_arns[0] '{OWNER_SECRET}' is a secret of account 210987654321 but no KMS key of that account is "
        "given: a secret read from another account must use a customer-managed key its owner shares")


def test_pod_identity_chains_to_the_target_role_which_the_owner_creates() -> None:
    plan, [grants] = identity_and_grants(mode="pod-identity", target_role_arn=TARGET)
    association = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.inputs["targetRoleArn"] == TARGET
    inline = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    # The cluster account's role only assumes the target, with the session tags EKS passes.
    assert inline == assume_roles_policy([TARGET], tag_session=True)
    role_arn = plan.one("aws:iam/role:Role").outputs["arn"]
    [grant] = grants
    assert (grant["account"], grant["role"]) == ("210987654321", TARGET)
    assert grant["trust_policy"] == role_trust_policy(role_arn, tag_session=True,
                                                      external_id=association.outputs["externalId"])
    assert grant["permissions_policy"]["Statement"][0]["Resource"] == [OWNER_SECRET]
    for document in (inline, grant["permissions_policy"]):
        assert parliament_findings(document) == []


@pytest.mark.parametrize("target, mode, message", [
    ("arn:aws:iam::*:role/ledger-reader", "pod-identity", "contains a wildcard ('*' or '?')"),
    (TARGET, "irsa", "needs mode pod-identity: only the workload's own EKS Pod Identity association chains to it"),
])
def test_a_wide_or_misplaced_target_role_is_refused(target: str, mode: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        identity_and_grants(mode=mode, target_role_arn=target)
    assert str(caught.value).startswith(f"WorkloadIdentityArgs.target_role_arn {target!r} {message}")


OWNER_PARAMETER = "arn:aws:ssm:eu-west-1:210987654321:parameter/finance/ledger-flags"
OWN_PARAMETER = "/dev/app/flags"


@pytest.mark.parametrize("keys", [[OWNER_KEY], []], ids=["securestring", "string"])
def test_a_parameter_of_another_account_comes_with_its_ram_share(keys: list[str]) -> None:
    plan, [grants] = identity_and_grants(secrets=[], kms_key_arns=[], parameters=[OWNER_PARAMETER, OWN_PARAMETER],
                                         parameter_kms_key_arns=keys)
    role_arn = plan.one("aws:iam/role:Role").outputs["arn"]
    # The app's own parameter needs nothing from anybody; the other account's is shared with this account (RAM
    # shares with accounts, not roles), in the advanced tier, its key through SSM only.
    [grant] = grants
    assert (grant["account"], grant["parameter"], grant["tier"]) == ("210987654321", OWNER_PARAMETER, "Advanced")
    assert grant["resource_share"] == parameter_share(OWNER_PARAMETER, "123456789012")
    assert grant["resource_share"]["principals"] == ["123456789012"]
    assert grant["key_policy_statements"] == [key_policy_statement(k, role_arn, "ssm") for k in keys]
    if keys:
        assert grant["key_policy_statements"][0]["Condition"] == {
            "StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}}
        assert parliament_findings({"Version": "2012-10-17", "Statement": grant["key_policy_statements"]}) == []
    else:
        assert "customer-managed key" in grant["note"]


def test_the_parameter_share_is_what_ram_create_resource_share_takes() -> None:
    """The owner runs `aws ram create-resource-share` with these fields: botocore's model of RAM validates them
    (moto 5.2.5's RAM does not know parameters as a shareable type, so no server answers)."""
    share = parameter_share(OWNER_PARAMETER, "123456789012")
    model = boto3.client("ram", region_name="eu-west-1").meta.service_model.operation_model("CreateResourceShare")
    validate_parameters(share, model.input_shape)
    with pytest.raises(ParamValidationError, match="Unknown parameter in input"):
        validate_parameters({**share, "principal": "123456789012"}, model.input_shape)
