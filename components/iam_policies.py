"""IAM documents for the cluster and its workload identities, as pure functions of plain values.

Each function returns a policy document as a ``dict`` (serialise it with ``json.dumps``) and raises
:class:`~components.validation.SettingsError` for a value that would make a broken or over-broad policy. The
components call them inside ``Output.apply``; the tests and the policy pack call them directly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from components.validation import (
    WILDCARDS,
    SettingsError,
    check_account_id,
    check_arn,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_failover_region,
    check_no_wildcard,
    check_partition,
    check_region,
)

__all__ = [
    "CSI_PARAMETER_ACTIONS",
    "ESO_PARAMETER_ACTIONS",
    "POD_IDENTITY_SESSION_TAGS",
    "assume_roles_policy",
    "eks_cluster_arn",
    "envelope_key_policy",
    "in_region",
    "irsa_trust_policy",
    "key_policy_statement",
    "name_in_region",
    "owner_grants",
    "parameter_arn",
    "parameter_share",
    "pod_identity_trust_policy",
    "role_trust_policy",
    "secret_arn",
    "secret_resource_policy",
    "secrets_read_policy",
    "service_trust_policy",
]

VERSION = "2012-10-17"
# Secrets Manager secret names: 1-512 of ASCII letters, digits and /_+=.@- (CreateSecret API reference).
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# SSM parameter names: letters, digits and _.-/ (a leading '/' for hierarchies), up to 1011 characters
# (PutParameter API reference, "Name").
_PARAMETER_NAME = re.compile(r"^/?[A-Za-z0-9_.\-/]{1,1011}$")

CSI_PARAMETER_ACTIONS = ("ssm:GetParameters",)
"""What the Secrets Store CSI AWS provider calls for ``ssmparameter`` objects: one ``GetParameters`` (with decryption)
per batch of ten names and region, on every mount and rotation poll (aws/secrets-store-csi-driver-provider-aws tag
3.1.1, ``provider/parameter_store_provider.go``)."""
ESO_PARAMETER_ACTIONS = ("ssm:GetParameter",)
"""What the External Secrets Operator calls for a ``data`` entry of a ``ParameterStore`` store: one ``GetParameter``
(with decryption) per entry and refresh (external-secrets/external-secrets tag v2.9.0,
``providers/v1/aws/parameterstore/parameterstore.go``, ``GetSecret``); ``find``, tags and PushSecret, which need
more, are not used."""


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


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
        has_wildcard = isinstance(value, str) and any(w in value for w in WILDCARDS)
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
    check_no_wildcard(name_or_arn, "secret", "Secrets Manager secret")
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


def in_region(arn: str, region: str) -> str:
    """The same ARN in another region: a Secrets Manager replica keeps its primary's name and random suffix, so its
    ARN differs only in the region field (and a parameter kept in step by hand has the same name)."""
    parts = arn.split(":", 5)
    return ":".join([*parts[:3], region, *parts[4:]])


def name_in_region(name_or_arn: str, region: str) -> str:
    """How a secret or parameter given by name or ARN is read in another region: a replica keeps its name, and an
    ARN differs only in its region field."""
    return in_region(name_or_arn, region) if name_or_arn.startswith("arn:") else name_or_arn


def parameter_arn(name_or_arn: str, *, partition: str, region: str, account_id: str) -> str:
    """The ARN that an IAM policy needs for one SSM parameter given by name or ARN.

    ``arn:<partition>:ssm:<region>:<account>:parameter/<name without its leading slash>``: IAM matches the
    parameter's ARN, in which a hierarchical name ``/dev/app/flags`` appears as ``parameter/dev/app/flags``. A
    wildcard is refused (it would grant every parameter that matches); an ARN is returned unchanged after checking
    it is an SSM ``parameter/`` ARN.
    """
    check_no_wildcard(name_or_arn, "parameter", "SSM parameter")
    if isinstance(name_or_arn, str) and name_or_arn.startswith("arn:"):
        return check_arn(name_or_arn, "parameter", service="ssm", resource_prefix="parameter/")
    if not isinstance(name_or_arn, str) or not _PARAMETER_NAME.match(name_or_arn) or "//" in name_or_arn:
        raise SettingsError("parameter", name_or_arn,
                            "is not an SSM parameter name (letters, digits and _.-/, '/'-separated levels) or ARN")
    check_partition(partition, "partition")
    check_region(region, "region")
    check_account_id(account_id, "account_id")
    return f"arn:{partition}:ssm:{region}:{account_id}:parameter/{name_or_arn.removeprefix('/')}"


def _decrypt_statements(service: str, sid: str, key_arns: Sequence[str], regions: Sequence[str],
                        setting: str) -> list[dict[str, Any]]:
    """``kms:Decrypt`` on each key only through ``service`` in the key's own region (a regional service decrypts
    with a key of its region: a failover replica's key is the replica region's), one statement per region."""
    by_region: dict[str, set[str]] = {}
    for i, arn in enumerate(key_arns):
        key_region = check_arn(arn, f"{setting}[{i}]", service="kms", resource_prefix="key/").split(":")[3]
        if key_region not in regions:
            raise SettingsError(f"{setting}[{i}]", arn, f"is in region {key_region}, where nothing is read (regions: "
                                                        f"{', '.join(regions)}): give the key of that region")
        by_region.setdefault(key_region, set()).add(arn)
    statements = []
    for key_region in regions:
        if key_region not in by_region:
            continue
        suffix = "" if key_region == regions[0] else "In" + key_region.title().replace("-", "")
        statements.append({
            "Sid": f"{sid}{suffix}",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": sorted(by_region[key_region]),
            "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{key_region}.{_dns_suffix(key_region)}"}},
        })
    return statements


def secrets_read_policy(
    secret_arns: Sequence[str],
    *,
    kms_key_arns: Sequence[str] = (),
    region: str,
    parameter_arns: Sequence[str] = (),
    parameter_actions: Sequence[str] = CSI_PARAMETER_ACTIONS,
    parameter_kms_key_arns: Sequence[str] = (),
    failover_region: str | None = None,
) -> dict[str, Any]:
    """Least-privilege policy to read exactly ``secret_arns`` and ``parameter_arns``.

    Secrets: only ``secretsmanager:GetSecretValue`` and ``secretsmanager:DescribeSecret`` (what the Secrets Store
    CSI provider and External Secrets call). Parameters: only ``parameter_actions``, what the reading backend calls
    (:data:`CSI_PARAMETER_ACTIONS` or :data:`ESO_PARAMETER_ACTIONS`). Each on exactly those ARNs (sorted,
    duplicates removed, so that the document is stable). A customer-managed key adds ``kms:Decrypt`` on that key
    only through Secrets Manager (``kms_key_arns``) or SSM (``parameter_kms_key_arns``, SecureStrings) in the key's
    region (``kms:ViaService``), so the role cannot decrypt anything else with the key directly. Keys must be in
    ``region`` or ``failover_region`` (a replica's key).
    """
    if isinstance(secret_arns, str) or isinstance(parameter_arns, str) or not (secret_arns or parameter_arns):
        raise SettingsError("secret_arns", secret_arns, "must list at least one Secrets Manager secret ARN")
    for i, arn in enumerate(secret_arns):
        check_arn(arn, f"secret_arns[{i}]", service="secretsmanager", resource_prefix="secret:")
    for i, arn in enumerate(parameter_arns):
        check_no_wildcard(arn, f"parameter_arns[{i}]", "SSM parameter")
        check_arn(arn, f"parameter_arns[{i}]", service="ssm", resource_prefix="parameter/")
    if not set(parameter_actions) <= set(CSI_PARAMETER_ACTIONS + ESO_PARAMETER_ACTIONS) or not parameter_actions:
        raise SettingsError("parameter_actions", list(parameter_actions),
                            f"must be among {', '.join(CSI_PARAMETER_ACTIONS + ESO_PARAMETER_ACTIONS)}")
    for setting, keys in (("kms_key_arns", kms_key_arns), ("parameter_kms_key_arns", parameter_kms_key_arns)):
        if isinstance(keys, str):
            raise SettingsError(setting, keys, "must be a list of KMS key ARNs")
    check_region(region, "region")
    regions = [region]
    if failover_region is not None:
        check_failover_region(check_region(failover_region, "failover_region"), region, "failover_region")
        regions.append(failover_region)
    statements: list[dict[str, Any]] = []
    if secret_arns:
        statements.append({
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": sorted(set(secret_arns)),
        })
    if parameter_arns:
        statements.append({
            "Sid": "ReadParameters",
            "Effect": "Allow",
            "Action": sorted(set(parameter_actions)),
            "Resource": sorted(set(parameter_arns)),
        })
    statements += _decrypt_statements("secretsmanager", "DecryptSecretsThroughSecretsManager", kms_key_arns, regions,
                                      "kms_key_arns")
    statements += _decrypt_statements("ssm", "DecryptParametersThroughSsm", parameter_kms_key_arns, regions,
                                      "parameter_kms_key_arns")
    return _document(*statements)


def assume_roles_policy(role_arns: Sequence[str], *, tag_session: bool) -> dict[str, Any]:
    """Permission to assume exactly ``role_arns`` (``sts:AssumeRole``, and ``sts:TagSession`` when the caller
    passes session tags, as EKS Pod Identity does when it chains to a target role)."""
    if isinstance(role_arns, str) or not role_arns:
        raise SettingsError("role_arns", role_arns, "must list at least one IAM role ARN")
    for i, arn in enumerate(role_arns):
        check_no_wildcard(arn, f"role_arns[{i}]", "IAM role")
        check_arn(arn, f"role_arns[{i}]", service="iam", resource_prefix="role/")
    return _document({
        "Sid": "AssumeRoles",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole",
        "Resource": sorted(set(role_arns)),
    })


def role_trust_policy(trusted_role_arn: str, *, tag_session: bool, external_id: str | None = None) -> dict[str, Any]:
    """Trust policy of a role that exactly one other IAM role may assume (role chaining): the External Secrets
    Operator's own role assuming a store's role, or an app's Pod Identity role chaining to a role in the account
    that owns its secrets. The principal is that role's ARN, never an account root or a wildcard. ``external_id``
    pins ``sts:ExternalId``: EKS Pod Identity passes its association's ``externalId`` when it chains to a target
    role, so that only that association can assume it (the EKS API reference, ``PodIdentityAssociation``)."""
    check_no_wildcard(trusted_role_arn, "trusted_role_arn", "IAM role")
    check_arn(trusted_role_arn, "trusted_role_arn", service="iam", resource_prefix="role/")
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": trusted_role_arn},
        "Action": ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return _document(statement)


def secret_resource_policy(secret: str, reader_role_arn: str) -> dict[str, Any]:
    """The resource policy that the account owning ``secret`` attaches to it so that ``reader_role_arn`` (a role of
    another account) may read it: the same two actions as :func:`secrets_read_policy`, on the secret itself
    (``Resource: *`` in a resource policy means the secret it is attached to)."""
    check_arn(secret, "secret", service="secretsmanager", resource_prefix="secret:")
    check_no_wildcard(reader_role_arn, "reader_role_arn", "IAM role")
    check_arn(reader_role_arn, "reader_role_arn", service="iam", resource_prefix="role/")
    return _document({
        "Sid": "ReadFromAnotherAccount",
        "Effect": "Allow",
        "Principal": {"AWS": reader_role_arn},
        "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        "Resource": "*",
    })


def key_policy_statement(key_arn: str, reader_role_arn: str, service: str = "secretsmanager") -> dict[str, Any]:
    """The key policy statement that the account owning ``key_arn`` adds so that ``reader_role_arn`` (another
    account's role) may decrypt with it, through ``service`` (``secretsmanager`` or ``ssm``) of the key's region
    only. A secret or SecureString parameter read from another account must use a customer-managed key: the AWS
    managed keys (``aws/secretsmanager``, ``aws/ssm``) cannot be shared."""
    key_region = check_arn(key_arn, "key_arn", service="kms", resource_prefix="key/").split(":")[3]
    check_no_wildcard(reader_role_arn, "reader_role_arn", "IAM role")
    check_arn(reader_role_arn, "reader_role_arn", service="iam", resource_prefix="role/")
    return {
        "Sid": "DecryptForAnotherAccount",
        "Effect": "Allow",
        "Principal": {"AWS": reader_role_arn},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{key_region}.{_dns_suffix(key_region)}"}},
    }


def parameter_share(parameter: str, reader_account_id: str) -> dict[str, Any]:
    """The AWS RAM resource share that the account owning ``parameter`` creates so that ``reader_account_id`` may
    read it (``aws ram create-resource-share``'s fields; RAM's default read-only permission for parameters).
    Parameter Store has no resource policies: it shares through RAM, with accounts, OUs or an organization but not
    roles, and only parameters of the advanced tier (AWS Systems Manager User Guide, "Working with shared
    parameters in Parameter Store"). The reader names the parameter by its full ARN, as ``parameter_arn`` does."""
    check_arn(parameter, "parameter", service="ssm", resource_prefix="parameter/")
    check_account_id(reader_account_id, "reader_account_id")
    return {"name": f"{parameter.split(':parameter/', 1)[1].replace('/', '-')}-to-{reader_account_id}",
            "resourceArns": [parameter], "principals": [reader_account_id],
            # A reader outside the owner's organization is invited, and reads once it accepts.
            "allowExternalPrincipals": True}


def owner_grants(secret_arns: Sequence[str], kms_key_arns: Sequence[str], reader_role_arn: str,
                 account_id: str, *, parameter_arns: Sequence[str] = (),
                 parameter_kms_key_arns: Sequence[str] = ()) -> list[dict[str, Any]]:
    """What the owners of ``secret_arns`` and ``parameter_arns`` outside ``account_id`` must apply for
    ``reader_role_arn`` to read them: per such secret, its resource policy and the key policy statement of each key
    of its account; per such parameter, its RAM share with ``account_id``, that it be in the advanced tier, and the
    key policy statement (through SSM) of each of ``parameter_kms_key_arns`` of its account.

    A secret of another account must be encrypted with a customer-managed key of that account (the AWS managed key
    ``aws/secretsmanager`` cannot be shared): a secret without one is refused. A parameter may have none: a
    ``String`` parameter is not encrypted, and a SecureString one shared without its key fails at read time, which
    the grant says.
    """
    found = []
    for i, arn in enumerate(sorted(set(secret_arns))):
        owner = arn.split(":")[4]
        if owner == account_id:
            continue
        keys = sorted({k for k in kms_key_arns if k.split(":")[4] == owner})
        if not keys:
            raise SettingsError(f"secret_arns[{i}]", arn, f"is a secret of account {owner} but no KMS key of that "
                                                          "account is given: a secret read from another account "
                                                          "must use a customer-managed key its owner shares")
        found.append({"account": owner, "secret": arn,
                      "resource_policy": secret_resource_policy(arn, reader_role_arn),
                      "key_policy_statements": [key_policy_statement(k, reader_role_arn) for k in keys]})
    for arn in sorted(set(parameter_arns)):
        owner = arn.split(":")[4]
        if owner == account_id:
            continue
        keys = sorted({k for k in parameter_kms_key_arns if k.split(":")[4] == owner})
        found.append({"account": owner, "parameter": arn, "tier": "Advanced",
                      "resource_share": parameter_share(arn, account_id),
                      "key_policy_statements": [key_policy_statement(k, reader_role_arn, "ssm") for k in keys],
                      "note": "A SecureString parameter must be encrypted with a customer-managed key of this account "
                              "whose key policy has the statements above (give it to the app as its kmsKeyArn)."
                              if not keys else "The key policy of the parameter's key needs the statements above."})
    return found


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
