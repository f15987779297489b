"""IAM documents for the cluster and its workload identities, as pure functions of plain values.

Each function returns a policy document as a ``dict`` (serialise it with ``json.dumps``) and raises
:class:`~components.validation.SettingsError` for a value that would make a broken or over-broad policy. The
components call them inside ``Output.apply``; the tests and the policy pack call them directly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pulumi_aws as aws

from components.validation import SettingsError, check_arn, check_dns1123_label, check_dns1123_subdomain

__all__ = [
    "PARTITIONS",
    "POD_IDENTITY_SESSION_TAGS",
    "check_account_id",
    "check_partition",
    "check_region",
    "eks_cluster_arn",
    "envelope_key_policy",
    "irsa_trust_policy",
    "partition_of",
    "pod_identity_trust_policy",
    "secret_arn",
    "secrets_read_policy",
    "service_trust_policy",
]

VERSION = "2012-10-17"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d$")
_REGIONS = frozenset(region.value for region in aws.Region)
_UNSUPPORTED_PARTITION = re.compile(r"^([a-z]{2}-iso[a-z]*-|eusc-)")
# Secrets Manager secret names: 1-512 of ASCII letters, digits and /_+=.@- (CreateSecret API reference).
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_WILDCARDS = ("*", "?")


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def check_partition(value: object, setting: str) -> str:
    """Return ``value`` if it is an AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    if value not in PARTITIONS:
        raise SettingsError(setting, value, f"is not an AWS partition (one of: {', '.join(PARTITIONS)})")
    return str(value)


def check_account_id(value: object, setting: str) -> str:
    """Return ``value`` if it is a 12-digit AWS account id."""
    if not isinstance(value, str) or not _ACCOUNT_ID.match(value):
        raise SettingsError(setting, value, "is not an AWS account id (12 digits)")
    return value


def check_region(value: object, setting: str) -> str:
    """Return ``value`` if it is an AWS region (``eu-west-1``, ``us-gov-west-1``) that exists.

    The regions are those of the pinned pulumi-aws SDK (its ``Region`` enum, generated from the provider's schema):
    a well-formed code such as ``eu-west-9`` is refused as AWS would refuse it.
    """
    if not isinstance(value, str) or not _REGION.match(value):
        raise SettingsError(setting, value, "is not an AWS region code such as 'eu-west-1'")
    if value not in _REGIONS:
        raise SettingsError(setting, value, f"is not an AWS region (known: {', '.join(sorted(_REGIONS))})")
    if _UNSUPPORTED_PARTITION.match(value):
        # Their ARNs, endpoints and DNS suffixes differ from those our policies and trust documents are built for.
        raise SettingsError(setting, value, "is in an isolated or sovereign partition; regions of "
                                            f"{', '.join(PARTITIONS)} are supported")
    return value


def partition_of(region: str) -> str:
    """The partition of a region that :func:`check_region` accepts: ``cn-`` regions are ``aws-cn``, ``us-gov-``
    regions ``aws-us-gov``, the rest ``aws``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _dns_suffix(region: str) -> str:
    # Service endpoints in the China regions live under amazonaws.com.cn, so kms:ViaService does too.
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def service_trust_policy(service: str) -> dict[str, Any]:
    """Trust policy that lets one AWS service principal (``eks.amazonaws.com``, ``ec2.amazonaws.com``) assume a role.

    >>> service_trust_policy("eks.amazonaws.com")["Statement"][0]["Principal"]
    {'Service': 'eks.amazonaws.com'}
    """
    if not isinstance(service, str) or not re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?", service):
        raise SettingsError("service", service, "is not an AWS service principal such as 'eks.amazonaws.com'")
    return _document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
    )


def irsa_trust_policy(
    oidc_provider_arn: str,
    oidc_issuer: str,
    namespace: str,
    service_account: str,
    *,
    allow_wildcard: bool = False,
) -> dict[str, Any]:
    """Trust policy of an IAM role for one Kubernetes ServiceAccount (IRSA).

    The role trusts the cluster's OIDC provider for ``sts:AssumeRoleWithWebIdentity`` only when the token's
    ``sub`` is exactly ``system:serviceaccount:<namespace>:<service_account>`` and its ``aud`` is
    ``sts.amazonaws.com``: without the ``sub`` condition every pod of the cluster could assume the role, and
    without ``aud`` a token minted for another audience would do. ``oidc_issuer`` is written without
    ``https://`` because IAM condition keys name the provider that way; it must be the issuer the provider ARN
    was made for (take both from the cluster's outputs, never rebuild one by hand).

    A ``*`` or ``?`` in ``namespace`` or ``service_account`` would trust every matching ServiceAccount; it is
    refused unless ``allow_wildcard`` is true, and then only ``sub`` moves to ``StringLike`` (``aud`` stays
    exact).
    """
    check_arn(oidc_provider_arn, "oidc_provider_arn", service="iam", resource_prefix="oidc-provider/")
    if not isinstance(oidc_issuer, str):
        raise SettingsError("oidc_issuer", oidc_issuer, "is not an OIDC issuer URL")
    issuer = oidc_issuer.removeprefix("https://")
    provider_host = oidc_provider_arn.split(":oidc-provider/", 1)[1]
    if issuer != provider_host:
        # A condition key of another host never matches: every AssumeRoleWithWebIdentity would be denied.
        raise SettingsError(
            "oidc_issuer", oidc_issuer, f"does not match the OIDC provider of oidc_provider_arn ({provider_host})"
        )
    wildcard = False
    for setting, value, check in (
        ("namespace", namespace, check_dns1123_label),
        ("service_account", service_account, check_dns1123_subdomain),
    ):
        has_wildcard = isinstance(value, str) and any(w in value for w in _WILDCARDS)
        if has_wildcard and not allow_wildcard:
            raise SettingsError(
                setting,
                value,
                "contains a wildcard ('*' or '?') that would let every matching ServiceAccount assume the role; "
                "pass allow_wildcard=True if that is intended",
            )
        wildcard = wildcard or has_wildcard
        # Validate the name as if each wildcard were one letter, so that 'team-*' passes and 'Team_*' does not.
        check(value.replace("*", "a").replace("?", "a") if has_wildcard else value, setting)
    subject = {f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}"}
    audience = {f"{issuer}:aud": "sts.amazonaws.com"}
    condition = (
        {"StringEquals": audience, "StringLike": subject} if wildcard else {"StringEquals": {**subject, **audience}}
    )
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


POD_IDENTITY_SESSION_TAGS = ("eks-cluster-arn", "kubernetes-namespace", "kubernetes-service-account")
"""Session tags that EKS Pod Identity sets and our trust policies pin (the EKS User Guide, "Create IAM role with
trust policy required by EKS Pod Identity" and "List of session tags added by EKS Pod Identity")."""


def pod_identity_trust_policy(*, cluster_arn: str, namespace: str, service_account: str) -> dict[str, Any]:
    """Trust policy of an IAM role used through EKS Pod Identity by one ServiceAccount of one cluster.

    EKS Pod Identity assumes the role as the service principal ``pods.eks.amazonaws.com`` and needs both
    ``sts:AssumeRole`` and ``sts:TagSession``: it tags the session with the cluster, namespace and ServiceAccount
    of the pod. The trust pins those tags (``aws:RequestTag/...``), so that a PodIdentityAssociation made for
    another ServiceAccount, namespace or cluster cannot use the role, and ``aws:SourceAccount`` to the cluster's
    account (the confused-deputy guard AWS documents for service principals).
    """
    parts = check_arn(cluster_arn, "cluster_arn", service="eks", resource_prefix="cluster/").split(":")
    tags = dict(zip(POD_IDENTITY_SESSION_TAGS, (cluster_arn, namespace, service_account), strict=True))
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": parts[4],
                    **{f"aws:RequestTag/{tag}": value for tag, value in tags.items()},
                }
            },
        }
    )


def eks_cluster_arn(cluster_name: str, *, partition: str, region: str, account_id: str) -> str:
    """The ARN of an EKS cluster, as EKS Pod Identity reports it in the ``eks-cluster-arn`` session tag."""
    return f"arn:{partition}:eks:{region}:{account_id}:cluster/{cluster_name}"


def secret_arn(name_or_arn: str, *, partition: str, region: str, account_id: str) -> str:
    """The ARN that an IAM policy needs for a Secrets Manager secret given by name or ARN.

    An ARN is returned unchanged (after checking it is a Secrets Manager ``secret:`` ARN). A name becomes
    ``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-??????``: Secrets Manager appends a
    hyphen and six random characters to every secret's ARN, and ``??????`` matches exactly those six, so the
    policy covers that one secret and not ``<name>-other`` (which ``<name>*`` would).
    """
    if isinstance(name_or_arn, str) and name_or_arn.startswith("arn:"):
        return check_arn(name_or_arn, "secret", service="secretsmanager", resource_prefix="secret:")
    if not isinstance(name_or_arn, str) or not _SECRET_NAME.match(name_or_arn):
        raise SettingsError(
            "secret",
            name_or_arn,
            "is not a Secrets Manager secret name (1-512 letters, digits and /_+=.@-) or secret ARN",
        )
    check_partition(partition, "partition")
    check_region(region, "region")
    check_account_id(account_id, "account_id")
    return f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:{name_or_arn}-??????"


def secrets_read_policy(
    secret_arns: Sequence[str], *, kms_key_arns: Sequence[str] = (), region: str
) -> dict[str, Any]:
    """Least-privilege policy to read exactly ``secret_arns``.

    Only ``secretsmanager:GetSecretValue`` and ``secretsmanager:DescribeSecret`` (what the Secrets Store CSI
    provider and External Secrets call), on exactly those ARNs (sorted, duplicates removed, so that the
    document is stable). Secrets encrypted with a customer-managed key also need ``kms:Decrypt`` on that key;
    it is granted only through Secrets Manager in ``region`` (``kms:ViaService``), so the role cannot decrypt
    anything else with the key directly.
    """
    if isinstance(secret_arns, str) or not secret_arns:
        raise SettingsError("secret_arns", secret_arns, "must list at least one Secrets Manager secret ARN")
    for i, arn in enumerate(secret_arns):
        check_arn(arn, f"secret_arns[{i}]", service="secretsmanager", resource_prefix="secret:")
    if isinstance(kms_key_arns, str):
        raise SettingsError("kms_key_arns", kms_key_arns, "must be a list of KMS key ARNs")
    for i, arn in enumerate(kms_key_arns):
        check_arn(arn, f"kms_key_arns[{i}]", service="kms", resource_prefix="key/")
    check_region(region, "region")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": sorted(set(secret_arns)),
        }
    ]
    if kms_key_arns:
        statements.append(
            {
                "Sid": "DecryptSecretsThroughSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": sorted(set(kms_key_arns)),
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.{_dns_suffix(region)}"}},
            }
        )
    return _document(*statements)


def envelope_key_policy(*, partition: str, account_id: str, cluster_role_arn: str) -> dict[str, Any]:
    """Key policy of the KMS key that EKS uses for envelope encryption of Kubernetes Secrets.

    The account root is the key's administrator (``kms:*``), exactly as in the AWS default key policy: this
    delegates key management to IAM policies in the account, so no single role, and in particular not the
    deployer's session role, can lock everyone out of the key when it is recreated (the top KMS complaint with
    terraform-aws-eks). The EKS cluster role gets only what envelope encryption needs per the EKS user guide:
    ``kms:Encrypt``, ``kms:Decrypt``, ``kms:ListGrants`` and ``kms:DescribeKey``. Nobody else is named.
    """
    check_partition(partition, "partition")
    check_account_id(account_id, "account_id")
    check_arn(cluster_role_arn, "cluster_role_arn", service="iam", resource_prefix="role/")
    return _document(
        {
            "Sid": "AccountRootAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "ClusterRoleEnvelopeEncryption",
            "Effect": "Allow",
            "Principal": {"AWS": cluster_role_arn},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            "Resource": "*",
        },
    )
