"""The IAM documents, pinned as exact JSON."""

from __future__ import annotations

import pytest

from components.iam_policies import (
    ESO_PARAMETER_ACTIONS,
    assume_roles_policy,
    eks_cluster_arn,
    envelope_key_policy,
    in_region,
    irsa_trust_policy,
    parameter_arn,
    pod_identity_trust_policy,
    role_trust_policy,
    secret_arn,
    secrets_read_policy,
    service_trust_policy,
)
from components.validation import SettingsError

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
SECRET_A = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/api-AbCdEf"
SECRET_B = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/database-??????"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/ecs-prod-cluster-role"


def test_irsa_trust_policy_pins_sub_and_aud() -> None:
    assert irsa_trust_policy(PROVIDER_ARN, ISSUER, "prod", "app") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{ISSUER}:sub": "system:serviceaccount:prod:app",
                        f"{ISSUER}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def test_irsa_trust_policy_strips_https_from_the_issuer() -> None:
    assert irsa_trust_policy(PROVIDER_ARN, f"https://{ISSUER}", "prod", "app") == irsa_trust_policy(
        PROVIDER_ARN, ISSUER, "prod", "app"
    )


def test_irsa_trust_policy_refuses_a_wildcard_service_account() -> None:
    with pytest.raises(SettingsError) as error:
        irsa_trust_policy(PROVIDER_ARN, ISSUER, "prod", "app-*")
    assert str(error.value) == (
        "service_account 'app-*' contains a wildcard ('*' or '?') that would let every matching ServiceAccount "
        "assume the role; pass allow_wildcard=True if that is intended"
    )


def test_irsa_trust_policy_refuses_a_wildcard_namespace() -> None:
    with pytest.raises(SettingsError, match=r"^namespace 'team-\?' contains a wildcard"):
        irsa_trust_policy(PROVIDER_ARN, ISSUER, "team-?", "app")


def test_irsa_trust_policy_with_allowed_wildcard_moves_only_sub_to_string_like() -> None:
    statement = irsa_trust_policy(PROVIDER_ARN, ISSUER, "team-*", "app", allow_wildcard=True)["Statement"][0]
    assert statement["Condition"] == {
        "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{ISSUER}:sub": "system:serviceaccount:team-*:app"},
    }


def test_irsa_trust_policy_refuses_an_issuer_of_another_provider() -> None:
    other = "oidc-eks.eu-west-1.api.aws/id/0123456789ABCDEF0123456789ABCDEF"
    with pytest.raises(SettingsError) as error:
        irsa_trust_policy(PROVIDER_ARN, other, "prod", "app")
    assert str(error.value) == f"oidc_issuer '{other}' does not match the OIDC provider of oidc_provider_arn ({ISSUER})"


def test_irsa_trust_policy_refuses_an_arn_that_is_not_an_oidc_provider() -> None:
    with pytest.raises(SettingsError) as error:
        irsa_trust_policy("arn:aws:iam::123456789012:role/x", ISSUER, "prod", "app")
    assert str(error.value) == (
        "oidc_provider_arn 'arn:aws:iam::123456789012:role/x' is not a valid iam ARN "
        "(expected arn:aws:iam::<12-digit account>:oidc-provider/...)"
    )


def test_irsa_trust_policy_refuses_a_namespace_that_is_not_a_dns_label() -> None:
    with pytest.raises(SettingsError, match=r"^namespace 'Prod' is not a DNS-1123 label"):
        irsa_trust_policy(PROVIDER_ARN, ISSUER, "Prod", "app")


CLUSTER_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/ecs-prod"


def test_pod_identity_trust_policy_pins_cluster_namespace_and_service_account() -> None:
    """The conditions the EKS User Guide documents for restricting a Pod Identity role ("Create IAM role with
    trust policy required by EKS Pod Identity"): session tags set by EKS, and the source account."""
    assert pod_identity_trust_policy(cluster_arn=CLUSTER_ARN, namespace="prod", service_account="app") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": "123456789012",
                        "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
                        "aws:RequestTag/kubernetes-namespace": "prod",
                        "aws:RequestTag/kubernetes-service-account": "app",
                    }
                },
            }
        ],
    }


def test_pod_identity_trust_policy_refuses_a_cluster_arn_that_is_not_one() -> None:
    with pytest.raises(SettingsError) as error:
        pod_identity_trust_policy(cluster_arn="ecs-prod", namespace="prod", service_account="app")
    assert str(error.value).startswith("cluster_arn 'ecs-prod' is not a valid eks ARN")


def test_eks_cluster_arn_is_the_one_eks_reports() -> None:
    assert eks_cluster_arn("ecs-prod", partition="aws", region="eu-west-1", account_id="123456789012") == CLUSTER_ARN


def test_service_trust_policy_trusts_one_service() -> None:
    assert service_trust_policy("eks.amazonaws.com") == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }


def test_secret_arn_of_a_name_matches_exactly_the_six_character_suffix() -> None:
    assert (
        secret_arn("prod/app/database", partition="aws", region="eu-west-1", account_id="123456789012")
        == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/database-??????"
    )


def test_secret_arn_passes_an_arn_through() -> None:
    assert secret_arn(SECRET_A, partition="aws", region="us-east-1", account_id="210987654321") == SECRET_A


def test_secret_arn_uses_the_partition() -> None:
    assert (
        secret_arn("db", partition="aws-cn", region="cn-north-1", account_id="123456789012")
        == "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-??????"
    )


def test_secret_arn_refuses_an_arn_of_another_service() -> None:
    with pytest.raises(SettingsError) as error:
        secret_arn("arn:aws:ssm:eu-west-1:123456789012:parameter/db", partition="aws", region="eu-west-1",
                   account_id="123456789012")
    assert str(error.value) == (
        "secret 'arn:aws:ssm:eu-west-1:123456789012:parameter/db' is not a valid secretsmanager ARN "
        "(expected arn:aws:secretsmanager:<region>:<12-digit account>:secret:...)"
    )


def test_secret_arn_refuses_a_name_with_spaces() -> None:
    with pytest.raises(SettingsError) as error:
        secret_arn("my secret", partition="aws", region="eu-west-1", account_id="123456789012")
    assert str(error.value) == (
        "secret 'my secret' is not a Secrets Manager secret name (1-512 letters, digits and /_+=.@-) or secret ARN"
    )


def test_secrets_read_policy_reads_exactly_the_secrets() -> None:
    assert secrets_read_policy([SECRET_B, SECRET_A, SECRET_B], region="eu-west-1") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                "Resource": [SECRET_A, SECRET_B],
            }
        ],
    }


def test_secrets_read_policy_decrypts_with_the_cmk_only_through_secrets_manager() -> None:
    assert secrets_read_policy([SECRET_A], kms_key_arns=[KEY], region="eu-west-1")["Statement"][1] == {
        "Sid": "DecryptSecretsThroughSecretsManager",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [KEY],
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}},
    }


def test_secrets_read_policy_via_service_in_china_uses_the_china_domain() -> None:
    key = "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    secret = "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbCdEf"
    statement = secrets_read_policy([secret], kms_key_arns=[key], region="cn-north-1")["Statement"][1]
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.cn-north-1.amazonaws.com.cn"}}


def test_secrets_read_policy_refuses_no_secrets() -> None:
    with pytest.raises(SettingsError) as error:
        secrets_read_policy([], region="eu-west-1")
    assert str(error.value) == "secret_arns [] must list at least one Secrets Manager secret ARN"


def test_secrets_read_policy_refuses_a_kms_arn_that_is_not_a_key() -> None:
    alias = "arn:aws:kms:eu-west-1:123456789012:alias/app"
    with pytest.raises(SettingsError) as error:
        secrets_read_policy([SECRET_A], kms_key_arns=[alias], region="eu-west-1")
    assert str(error.value) == (
        f"kms_key_arns[0] '{alias}' is not a valid kms ARN (expected arn:aws:kms:<region>:<12-digit account>:key/...)"
    )


def test_envelope_key_policy_keeps_root_as_admin_and_gives_the_cluster_role_envelope_encryption_only() -> None:
    assert envelope_key_policy(partition="aws", account_id="123456789012", cluster_role_arn=ROLE) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountRootAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "ClusterRoleEnvelopeEncryption",
                "Effect": "Allow",
                "Principal": {"AWS": ROLE},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": "*",
            },
        ],
    }


def test_envelope_key_policy_refuses_a_cluster_role_that_is_not_a_role() -> None:
    user = "arn:aws:iam::123456789012:user/admin"
    with pytest.raises(SettingsError) as error:
        envelope_key_policy(partition="aws", account_id="123456789012", cluster_role_arn=user)
    assert str(error.value) == (
        f"cluster_role_arn '{user}' is not a valid iam ARN (expected arn:aws:iam::<12-digit account>:role/...)"
    )


def test_envelope_key_policy_refuses_an_unknown_partition() -> None:
    with pytest.raises(SettingsError) as error:
        envelope_key_policy(partition="aws-eu", account_id="123456789012", cluster_role_arn=ROLE)
    assert str(error.value) == "partition 'aws-eu' is not an AWS partition (one of: aws, aws-cn, aws-us-gov)"


PARAMETER = "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/app/features"
SSM_KEY = "arn:aws:kms:eu-west-1:123456789012:key/5b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
REPLICA_KEY = "arn:aws:kms:eu-central-1:123456789012:key/mrk-0c1d2e3f4a5b46c7d8e9f0a1b2c3d4e5"


def test_parameter_arn_drops_the_leading_slash_of_a_hierarchical_name() -> None:
    assert parameter_arn("/prod/app/features", partition="aws", region="eu-west-1",
                         account_id="123456789012") == PARAMETER
    assert parameter_arn("flat-name", partition="aws-cn", region="cn-north-1", account_id="123456789012") == (
        "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/flat-name")
    assert parameter_arn(PARAMETER, partition="aws", region="us-east-1", account_id="210987654321") == PARAMETER


@pytest.mark.parametrize("name", ["/prod/app/*", "/prod/app/feature?",
                                  "arn:aws:ssm:eu-west-1:123456789012:parameter/*"])
def test_parameter_arn_refuses_a_wildcard(name: str) -> None:
    with pytest.raises(SettingsError) as error:
        parameter_arn(name, partition="aws", region="eu-west-1", account_id="123456789012")
    assert str(error.value) == (
        f"parameter {name!r} contains a wildcard ('*' or '?'): name exactly one SSM parameter (its full name, or an "
        "ARN with its account, region and name)")


def test_secret_arn_refuses_a_cross_account_arn_with_a_wildcard_account() -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:*:secret:shared/db-AbCdEf"
    with pytest.raises(SettingsError) as error:
        secret_arn(arn, partition="aws", region="eu-west-1", account_id="123456789012")
    assert str(error.value).startswith(f"secret {arn!r} contains a wildcard ('*' or '?'): name exactly one Secrets")


def test_read_policy_grants_the_ssm_actions_of_the_backend_and_decrypts_through_ssm() -> None:
    document = secrets_read_policy([], parameter_arns=[PARAMETER, PARAMETER], parameter_actions=ESO_PARAMETER_ACTIONS,
                                   parameter_kms_key_arns=[SSM_KEY], region="eu-west-1")
    assert document["Statement"] == [
        {"Sid": "ReadParameters", "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": [PARAMETER]},
        {"Sid": "DecryptParametersThroughSsm", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": [SSM_KEY],
         "Condition": {"StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}}},
    ]
    assert secrets_read_policy([], parameter_arns=[PARAMETER], region="eu-west-1")["Statement"][0]["Action"] == [
        "ssm:GetParameters"]


def test_read_policy_decrypts_a_replica_through_its_own_region() -> None:
    statements = secrets_read_policy([SECRET_A], kms_key_arns=[KEY, REPLICA_KEY], region="eu-west-1",
                                     failover_region="eu-central-1")["Statement"]
    assert [(s["Sid"], s["Resource"], s["Condition"]) for s in statements[1:]] == [
        ("DecryptSecretsThroughSecretsManager", [KEY],
         {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}),
        ("DecryptSecretsThroughSecretsManagerInEuCentral1", [REPLICA_KEY],
         {"StringEquals": {"kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com"}}),
    ]


def test_read_policy_refuses_a_key_of_a_region_nothing_is_read_in() -> None:
    with pytest.raises(SettingsError) as error:
        secrets_read_policy([SECRET_A], kms_key_arns=[REPLICA_KEY], region="eu-west-1")
    assert str(error.value) == (f"kms_key_arns[0] '{REPLICA_KEY}' is in region eu-central-1, where nothing is read "
                                "(regions: eu-west-1): give the key of that region")


def test_read_policy_refuses_a_failover_region_equal_to_the_primary() -> None:
    with pytest.raises(SettingsError) as error:
        secrets_read_policy([SECRET_A], region="eu-west-1", failover_region="eu-west-1")
    assert str(error.value) == (
        "failover_region 'eu-west-1' is the primary region: name a second region that holds replicas of the secrets, "
        "or omit it")


def test_in_region_is_the_replicas_arn() -> None:
    assert in_region(SECRET_A, "eu-central-1") == (
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod/app/api-AbCdEf")


def test_role_chaining_documents_name_exactly_one_role() -> None:
    assert role_trust_policy(ROLE, tag_session=False)["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}]
    assert assume_roles_policy([ROLE, ROLE], tag_session=True)["Statement"] == [
        {"Sid": "AssumeRoles", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": [ROLE]}]
    with pytest.raises(SettingsError) as error:
        role_trust_policy("arn:aws:iam::*:role/reader", tag_session=False)
    assert str(error.value).startswith("trusted_role_arn 'arn:aws:iam::*:role/reader' contains a wildcard")
