"""Rules on IAM documents (components/policy_rules/iam.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.conventions import IAM_POLICY, IAM_ROLE, IAM_ROLE_POLICY, KMS_KEY
from components.iam_policies import irsa_trust_policy, pod_identity_trust_policy, secrets_read_policy
from components.policy_rules import (
    UNKNOWN,
    iam,
)
from tests.policy_rules.helpers import OIDC_ARN, OIDC_HOST, policy, role, view


def test_irsa_trust_from_builder_passes() -> None:
    assert iam.irsa_trust_pinned(role(irsa_trust_policy(OIDC_ARN, OIDC_HOST, "prod", "app"))) == []


def test_irsa_trust_without_conditions_fails() -> None:
    statement = {"Effect": "Allow", "Principal": {"Federated": OIDC_ARN}, "Action": "sts:AssumeRoleWithWebIdentity"}
    assert iam.irsa_trust_pinned(role({"Version": "2012-10-17", "Statement": [statement]})) == [
        f"statement 0 trusts OIDC provider {OIDC_HOST} without pinning the ServiceAccount: add Condition "
        f"StringEquals {{'{OIDC_HOST}:sub': 'system:serviceaccount:<namespace>:<name>'}}",
        f"statement 0 trusts OIDC provider {OIDC_HOST} without pinning the audience: add Condition StringEquals "
        f"{{'{OIDC_HOST}:aud': 'sts.amazonaws.com'}}",
    ]


def test_irsa_trust_with_wildcard_subject_fails() -> None:
    trust = irsa_trust_policy(OIDC_ARN, OIDC_HOST, "prod", "app-*", allow_wildcard=True)
    assert iam.irsa_trust_pinned(role(trust)) == [
        f"statement 0 trusts OIDC provider {OIDC_HOST} without pinning the ServiceAccount: add Condition "
        f"StringEquals {{'{OIDC_HOST}:sub': 'system:serviceaccount:<namespace>:<name>'}} instead of StringLike"
    ]


def test_irsa_trust_naming_another_issuer_fails() -> None:
    trust = irsa_trust_policy(OIDC_ARN, OIDC_HOST, "prod", "app")
    other = "oidc-eks.eu-west-1.api.aws/id/ABC123"
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    trust["Statement"][0]["Condition"]["StringEquals"] = {k.replace(OIDC_HOST, other): v for k, v in condition.items()}
    messages = iam.irsa_trust_pinned(role(trust))
    assert messages[0] == (
        f"statement 0 trusts OIDC provider {OIDC_HOST} but its condition keys name another issuer "
        f"({other}:aud, {other}:sub): take the issuer from the same cluster output as the provider ARN"
    )
    assert len(messages) == 3


def test_unknown_trust_policy_is_skipped() -> None:
    assert iam.irsa_trust_pinned(role(UNKNOWN)) == []


def pod_trust() -> dict[str, Any]:
    return pod_identity_trust_policy(cluster_arn="arn:aws:eks:eu-west-1:123456789012:cluster/c", namespace="dev",
                                     service_account="app")


def test_pod_identity_trust_from_builder_passes() -> None:
    assert iam.pod_identity_trust_only_eks_pods(role(pod_trust())) == []


@pytest.mark.parametrize("tag", ["eks-cluster-arn", "kubernetes-namespace", "kubernetes-service-account"])
def test_pod_identity_trust_without_a_session_tag_pin_fails(tag: str) -> None:
    trust = pod_trust()
    del trust["Statement"][0]["Condition"]["StringEquals"][f"aws:RequestTag/{tag}"]
    assert iam.pod_identity_trust_only_eks_pods(role(trust)) == [
        f"Pod Identity role statement 0 does not pin the session tag {tag}: add Condition StringEquals "
        f"{{'aws:RequestTag/{tag}': ...}} so that only this cluster's ServiceAccount can use the role"
    ]


def test_pod_identity_trust_without_tag_session_fails() -> None:
    trust = pod_trust()
    trust["Statement"][0]["Action"] = "sts:AssumeRole"
    assert iam.pod_identity_trust_only_eks_pods(role(trust)) == [
        "Pod Identity role statement 0 allows ['sts:AssumeRole']: allow exactly ['sts:AssumeRole', 'sts:TagSession'] "
        "(EKS Pod Identity tags the session)"
    ]


def test_pod_identity_trust_of_a_second_principal_fails() -> None:
    trust = pod_trust()
    trust["Statement"][0]["Principal"] = {"Service": ["pods.eks.amazonaws.com", "ec2.amazonaws.com"]}
    assert iam.pod_identity_trust_only_eks_pods(role(trust)) == [
        "Pod Identity role statement 0 trusts another principal: trust only {'Service': 'pods.eks.amazonaws.com'}"
    ]


def test_workload_policy_from_builder_passes() -> None:
    document = secrets_read_policy(
        ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app-??????"],
        kms_key_arns=["arn:aws:kms:eu-west-1:123456789012:key/k"], region="eu-west-1",
    )
    assert iam.no_wildcard_secret_access(view(IAM_ROLE_POLICY, {"policy": json.dumps(document)})) == []


def test_workload_policy_granting_all_secretsmanager_actions_fails() -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:*",
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a"}
    assert iam.no_wildcard_secret_access(policy(statement)) == [
        "policy statement 0 grants ['secretsmanager:*'], which match write, delete or list actions: name the "
        "actions, e.g. secretsmanager:GetSecretValue and secretsmanager:DescribeSecret"
    ]


def test_managed_policy_reading_every_secret_fails() -> None:
    statement = {"Sid": "Read", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "*"}
    assert iam.no_wildcard_secret_access(policy(statement, IAM_POLICY)) == [
        "policy statement 'Read' grants secretsmanager/ssm/kms actions on '*', which matches secrets, parameters or "
        "keys of any name: name each secret, parameter or key ARN (a secret's name may end in -??????)"
    ]


def test_workload_policy_on_every_key_of_the_account_fails() -> None:
    statement = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:123456789012:key/*"}
    assert iam.no_wildcard_secret_access(policy(statement)) == [
        "policy statement 0 grants secretsmanager/ssm/kms actions on 'arn:aws:kms:eu-west-1:123456789012:key/*', "
        "which matches secrets, parameters or keys of any name: name each secret, parameter or key ARN (a secret's "
        "name may end in -??????)"
    ]


def test_role_inline_policy_with_star_action_fails() -> None:
    document = json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
    resource = view(IAM_ROLE, {"inlinePolicies": [{"name": "admin", "policy": document}]})
    assert iam.no_wildcard_secret_access(resource) == [
        "inline policy 'admin' statement 0 grants ['*'], which match write, delete or list actions: name the "
        "actions, e.g. secretsmanager:GetSecretValue and secretsmanager:DescribeSecret",
        "inline policy 'admin' statement 0 grants secretsmanager/ssm/kms actions on '*', which matches secrets, "
        "parameters or keys of any name: name each secret, parameter or key ARN (a secret's name may end in "
        "-??????)",
    ]


def test_workload_policy_with_not_action_fails() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert iam.no_wildcard_secret_access(policy(statement)) == [
        "policy statement 0 allows by exclusion (NotAction/NotResource): list the actions and resources it grants"
    ]


def test_wildcard_on_other_services_passes() -> None:
    statement = {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}
    assert iam.no_wildcard_secret_access(policy(statement)) == []


@pytest.mark.parametrize("action", ["secretsmanager:?*", "SecretsManager:*", "secretsmanager:*Secret*",
                                    "secrets*:Put*", "s*:*", "*:*", "?*", "kms:*Key*"])
def test_wildcard_actions_are_judged_by_what_they_match(action: str) -> None:
    statement = {"Effect": "Allow", "Action": action,
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-??????"}
    assert len(iam.no_wildcard_secret_access(policy(statement))) == 1


@pytest.mark.parametrize("action", ["kms:GenerateDataKey*", "secretsmanager:Get*", "kms:Decrypt", "s3:*"])
def test_narrow_wildcards_and_other_services_pass(action: str) -> None:
    statement = {"Effect": "Allow", "Action": action,
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????"}
    assert iam.no_wildcard_secret_access(policy(statement)) == []


@pytest.mark.parametrize(("resource", "reach"), [
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:*-??????", "of any name"),
    ("arn:aws:secretsmanager:*:*:*", "of any name"),
    ("arn:aws:*", "of any name"),
    ("arn:*:s*:*", "of any name"),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*", "sharing its prefix"),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-?", "sharing its prefix"),
    ("arn:aws:secretsmanager:*:123456789012:secret:db-??????", "sharing its prefix"),
    ("arn:aws:ssm:eu-west-1:123456789012:parameter/app/*", "sharing its prefix"),
])


def test_wildcard_resources_are_judged_by_what_they_match(resource: str, reach: str) -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}
    [message] = iam.no_wildcard_secret_access(policy(statement))
    assert reach in message


def test_secret_arn_with_only_the_random_suffix_is_exact() -> None:
    statement = {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-??????"}
    assert iam.no_wildcard_secret_access(policy(statement)) == []


@pytest.mark.parametrize("type_", [iam.IAM_USER_POLICY, iam.IAM_GROUP_POLICY])
def test_user_and_group_policies_are_judged(type_: str) -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    assert len(iam.no_wildcard_secret_access(policy(statement, type_))) == 1


@pytest.mark.parametrize("type_", ["aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                   "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                                   "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
                                   "aws:iam/policyAttachment:PolicyAttachment"])
def test_broad_managed_policy_attachments_fail(type_: str) -> None:
    attachment = view(type_, {"policyArn": "arn:aws:iam::aws:policy/SecretsManagerReadWrite"})
    assert iam.no_broad_managed_policy(attachment) == [
        "attaches AWS managed policy SecretsManagerReadWrite, which reaches every secret, parameter or key of the "
        "account: attach a policy that names them"]


def test_role_managed_policy_arns_are_judged_and_narrow_ones_pass() -> None:
    resource = view(IAM_ROLE, {"managedPolicyArns": [
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::123456789012:policy/AdministratorAccess"]})
    assert len(iam.no_broad_managed_policy(resource)) == 1


@pytest.mark.parametrize(("type_", "field"), [(IAM_ROLE, "assumeRolePolicy"), (KMS_KEY, "policy"),
                                              (iam.KMS_KEY_POLICY, "policy"),
                                              (iam.SECRETSMANAGER_SECRET_POLICY, "policy")])


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::123456789012:root", "*"]}])
def test_policies_open_to_any_principal_fail(type_: str, field: str, principal: Any) -> None:
    document = {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}]}
    [message] = iam.no_public_principal(view(type_, {field: json.dumps(document)}))
    assert message.startswith(f"{field} statement 0 allows Principal '*'")


def test_open_principal_confined_to_the_account_passes_with_any_key_case() -> None:
    document = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
                               "Condition": {"StringEquals": {"KMS:CallerAccount": "123456789012"}}}]}
    assert iam.no_public_principal(view(KMS_KEY, {"policy": json.dumps(document)})) == []


def test_open_principal_with_a_wildcard_condition_value_still_fails() -> None:
    document = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                               "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}}]}
    assert len(iam.no_public_principal(role(document))) == 1


def test_irsa_condition_keys_compare_case_insensitively() -> None:
    """AWS compares condition keys case-insensitively: an upper-case issuer host pins as well as a lower-case one."""
    trust = irsa_trust_policy(OIDC_ARN, OIDC_HOST, "dev", "app")
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    trust["Statement"][0]["Condition"]["StringEquals"] = {k.upper(): v for k, v in condition.items()}
    assert iam.irsa_trust_pinned(role(trust)) == []


TARGET = "arn:aws:iam::210987654321:role/prod-ledger-sync-reader"


def test_role_chaining_accepts_exactly_the_shapes_the_components_write() -> None:
    from components.iam_policies import assume_roles_policy, role_trust_policy
    assumer = view(IAM_ROLE_POLICY, {"policy": json.dumps(assume_roles_policy([TARGET], tag_session=True))})
    trusted = role(role_trust_policy("arn:aws:iam::123456789012:role/app", tag_session=True, external_id="x"))
    assert iam.role_chaining_exact(assumer) == [] and iam.role_chaining_exact(trusted) == []


@pytest.mark.parametrize("resource", ["*", "arn:aws:iam::*:role/reader", "arn:aws:iam::210987654321:role/*",
                                      "arn:aws:iam::210987654321:root"])
def test_assuming_a_role_pattern_or_an_account_fails(resource: str) -> None:
    messages = iam.role_chaining_exact(policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}))
    assert messages == [f"policy statement 0 lets the role assume {[resource]}: name the exact role ARNs it chains to"]


def test_a_wildcard_sts_action_counts_as_assume_role() -> None:
    assert iam.role_chaining_exact(policy({"Effect": "Allow", "Action": "sts:Assume*", "Resource": "*"}))


@pytest.mark.parametrize("principal", ["*", "arn:aws:iam::210987654321:root", "210987654321",
                                       "arn:aws:iam::123456789012:role/*"])
def test_trusting_an_account_or_a_pattern_fails(principal: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}
    assert iam.role_chaining_exact(role(document)) == [
        f"trust policy statement 0 trusts {[principal]}: trust the exact role ARN that chains to this one (not an "
        "account root or a pattern)"]
