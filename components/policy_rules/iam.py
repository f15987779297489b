"""Rules on IAM: pinned IRSA and Pod Identity trust, no wildcard or managed-policy reach into secrets, parameters
and keys, no public principal, exact role chaining."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from components.conventions import (
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_KEY,
)
from components.iam_policies import POD_IDENTITY_SESSION_TAGS
from components.policy_rules.rule import resource_rule
from components.policy_rules.view import ResourceView, get, items, json_document, mapping

# Resource types.
IAM_USER_POLICY = "aws:iam/userPolicy:UserPolicy"


IAM_GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"


KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"


SECRETSMANAGER_SECRET = "aws:secretsmanager/secret:Secret"


SECRETSMANAGER_SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"


# Attachments of a managed policy, each with a `policyArn` (pulumi-aws iam module).
_POLICY_ATTACHMENTS = (IAM_ROLE_POLICY_ATTACHMENT,
                       "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                       "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
                       "aws:iam/policyAttachment:PolicyAttachment")


_SENSITIVE_SERVICES = ("secretsmanager", "ssm", "kms")


# Actions that a wildcard must not reach: writing, deleting, re-permissioning or enumerating secrets, parameters
# and keys. A wildcard action is judged by whether it matches one of these (`secretsmanager:?*`, `secrets*:Put*`),
# not by how it is spelt. Read actions on named resources (`kms:GenerateDataKey*`, `secretsmanager:Get*`) pass.
_PRIVILEGED_ACTIONS = (
    "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret",
    "secretsmanager:CreateSecret", "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy",
    "secretsmanager:RestoreSecret", "secretsmanager:RotateSecret", "secretsmanager:ListSecrets",
    "secretsmanager:BatchGetSecretValue", "secretsmanager:TagResource", "secretsmanager:UpdateSecretVersionStage",
    "secretsmanager:ReplicateSecretToRegions",
    "ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:LabelParameterVersion",
    "ssm:DescribeParameters", "ssm:SendCommand", "ssm:StartSession",
    "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:ListKeys",
    "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias", "kms:CreateKey", "kms:ImportKeyMaterial",
)


# One ARN per sensitive service that a statement's resources should not reach unless it names it.
_PROBE_ARNS = (
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:zz-probe/other-AbCdEf",
    "arn:aws:ssm:eu-west-1:123456789012:parameter/zz-probe/other",
    "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
    "arn:aws:kms:eu-west-1:123456789012:alias/zz-probe",
)


_SECRET_SUFFIX = "-??????"
"""Secrets Manager appends a dash and six random characters to a secret's ARN: a name plus ``-??????`` is exact."""


_BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "SecretsManagerReadWrite",
                           "AWSKeyManagementServicePowerUser", "AmazonSSMFullAccess", "AmazonSSMReadOnlyAccess",
                           "IAMFullAccess")
"""AWS managed policies that reach every secret, parameter or key of the account (or can grant themselves that):
``ReadOnlyAccess`` includes ``ssm:GetParameter*`` and ``secretsmanager:Describe*`` on ``*``."""


_PINNING_CONDITION_KEYS = ("aws:principalaccount", "aws:principalorgid", "aws:principalarn", "aws:sourceaccount",
                           "aws:sourcearn", "aws:sourceowner", "aws:sourcevpce", "aws:sourcevpc", "kms:calleraccount")
"""Condition keys (compared lower-case, as AWS does) that confine a ``Principal: "*"`` statement to known callers."""


_PINNING_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "ForAnyValue:StringEquals",
                      "ForAnyValue:StringLike")


def _allow_statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in items(statements) if isinstance(s, Mapping) and s.get("Effect", "Allow") == "Allow"]


def _label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement {index}"


def _oidc_hosts(statement: Mapping[str, Any]) -> list[str]:
    federated = items(get(statement, "Principal", "Federated"))
    return [p.split(":oidc-provider/", 1)[1] for p in federated if isinstance(p, str) and ":oidc-provider/" in p]


def _pinned(value: object, check: Callable[[str], bool]) -> bool:
    values = items(value)
    return bool(values) and all(isinstance(v, str) and check(v) for v in values)


def _exact_service_account(subject: str) -> bool:
    parts = subject.split(":")
    return (len(parts) == 4 and parts[:2] == ["system", "serviceaccount"] and all(parts[2:])
            and not any(w in subject for w in "*?"))


def _condition(statement: Mapping[str, Any], operator: str) -> dict[str, Any]:
    """The keys of one condition operator, lower-cased: AWS compares condition keys case-insensitively."""
    return {str(k).lower(): v for k, v in mapping(get(statement, "Condition", operator)).items()}


@resource_rule("irsa-trust-pinned", "IRSA trust policies pin :sub and :aud with StringEquals.", "mandatory",
               "critical",
               "Build the trust policy with irsa_trust_policy() (WorkloadIdentity does), which pins the "
               "ServiceAccount and the audience.")
def irsa_trust_pinned(r: ResourceView) -> list[str]:
    """IRSA: without ``:sub`` every pod in the cluster can assume the role; without ``:aud`` any token will do.

    ``StringLike`` with a wildcard subject is refused too (decided: mandatory means exact). A role that really must
    trust a pattern of ServiceAccounts is an exception to record by lowering this policy's enforcement for that
    stack, not something a rule can tell apart from a mistake.
    """
    if r.type != IAM_ROLE:
        return []
    document = json_document(r.props.get("assumeRolePolicy"))
    if document is None:
        return []
    messages = []
    for index, statement in enumerate(_allow_statements(document)):
        for host in _oidc_hosts(statement):
            where = f"{_label(statement, index)} trusts OIDC provider {host}"
            equals = _condition(statement, "StringEquals")
            sub, aud = f"{host}:sub", f"{host}:aud"
            others = sorted(str(k) for k in mapping(get(statement, "Condition", "StringEquals"))
                            if str(k).lower().endswith((":sub", ":aud"))
                            and not str(k).lower().startswith(f"{host}:".lower()))
            if others:
                messages.append(f"{where} but its condition keys name another issuer ({', '.join(others)}): take "
                                f"the issuer from the same cluster output as the provider ARN")
            if not _pinned(equals.get(sub.lower()), _exact_service_account):
                like = sub.lower() in _condition(statement, "StringLike")
                messages.append(
                    f"{where} without pinning the ServiceAccount: add Condition StringEquals {{{sub!r}: "
                    f"'system:serviceaccount:<namespace>:<name>'}}"
                    + (" instead of StringLike" if like else "")
                )
            if not _pinned(equals.get(aud.lower()), lambda v: v == "sts.amazonaws.com"):
                messages.append(f"{where} without pinning the audience: add Condition StringEquals "
                                f"{{{aud!r}: 'sts.amazonaws.com'}}")
    return messages


_POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


_POD_IDENTITY_ACTIONS = {"sts:AssumeRole", "sts:TagSession"}


@resource_rule("pod-identity-trust", "Pod Identity roles trust only pods.eks.amazonaws.com.", "mandatory", "critical",
               "Build the trust policy with pod_identity_trust_policy() (WorkloadIdentity does), which pins the "
               "session tags.")
def pod_identity_trust_only_eks_pods(r: ResourceView) -> list[str]:
    if r.type != IAM_ROLE:
        return []
    document = json_document(r.props.get("assumeRolePolicy"))
    if document is None:
        return []
    statements = _allow_statements(document)
    if not any(_POD_IDENTITY_SERVICE in items(get(s, "Principal", "Service")) for s in statements):
        return []
    messages = []
    for index, statement in enumerate(statements):
        label = _label(statement, index)
        principal = statement.get("Principal")
        if not (isinstance(principal, Mapping) and set(principal) == {"Service"}
                and items(principal["Service"]) == [_POD_IDENTITY_SERVICE]):
            messages.append(f"Pod Identity role {label} trusts another principal: trust only "
                            f"{{'Service': '{_POD_IDENTITY_SERVICE}'}}")
            continue
        actions = set(items(statement.get("Action")))
        if actions != _POD_IDENTITY_ACTIONS:
            messages.append(f"Pod Identity role {label} allows {sorted(actions)}: allow exactly "
                            f"['sts:AssumeRole', 'sts:TagSession'] (EKS Pod Identity tags the session)")
        equals = get(statement, "Condition", "StringEquals")
        pinned = {key.lower() for key in equals} if isinstance(equals, Mapping) else set()
        messages += [
            f"Pod Identity role {label} does not pin the session tag {tag}: add Condition StringEquals "
            f"{{'aws:RequestTag/{tag}': ...}} so that only this cluster's ServiceAccount can use the role"
            for tag in POD_IDENTITY_SESSION_TAGS if f"aws:requesttag/{tag}" not in pinned
        ]
    return messages


def _pattern(text: str) -> re.Pattern[str]:
    """An IAM wildcard (``*`` any run of characters, ``?`` one character) as a case-insensitive regular expression."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text), re.IGNORECASE)


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def _broad_action(action: object) -> bool:
    """A wildcard action that matches one of :data:`_PRIVILEGED_ACTIONS`, however it is written."""
    if not isinstance(action, str) or not _wild(action):
        return False
    pattern = _pattern(action.strip())
    return any(pattern.fullmatch(a) for a in _PRIVILEGED_ACTIONS)


def _sensitive_action(action: object) -> bool:
    """An action of Secrets Manager, SSM or KMS, or a wildcard that can match one (``*``, ``s*:*``)."""
    if not isinstance(action, str):
        return False
    service = action.partition(":")[0] if ":" in action else action
    if not _wild(service):
        return service.lower() in _SENSITIVE_SERVICES
    pattern = _pattern(action if ":" not in action else service)
    return any(pattern.fullmatch(s if ":" in action else f"{s}:GetSecretValue") for s in _SENSITIVE_SERVICES)


def _resource_reach(arn: str) -> str | None:
    """Why a resource pattern reaches more secrets, parameters or keys than it names; None when it names them.

    Judged by what the pattern matches: ``*``, ``arn:aws:*`` or ``secret:*-??????`` match a secret of any name
    (checked against :data:`_PROBE_ARNS`); ``secret:prod/*`` matches every secret under a prefix. Only the
    ``-??????`` that Secrets Manager appends to a name is an exact reference.
    """
    if not isinstance(arn, str) or not _wild(arn):
        return None
    pattern = _pattern(arn)
    if any(pattern.fullmatch(probe) for probe in _PROBE_ARNS):
        return "matches secrets, parameters or keys of any name"
    parts = arn.split(":", 5)
    if len(parts) < 6 or not any(_pattern(parts[2]).fullmatch(s) for s in _SENSITIVE_SERVICES):
        return None
    resource = parts[5]
    if parts[2] == "secretsmanager" and resource.endswith(_SECRET_SUFFIX):
        resource = resource[:-len(_SECRET_SUFFIX)]
    if _wild(resource) or _wild(parts[3]) or _wild(parts[4]):
        return "has a wildcard that matches every secret, parameter or key sharing its prefix"
    return None


def _policy_documents(r: ResourceView) -> list[tuple[str, Mapping[str, Any]]]:
    if r.type in (IAM_POLICY, IAM_ROLE_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY):
        document = json_document(r.props.get("policy"))
        return [("policy", document)] if document is not None else []
    if r.type == IAM_ROLE:
        found = []
        for inline in items(r.props.get("inlinePolicies")):
            document = json_document(get(inline, "policy"))
            if document is not None:
                found.append((f"inline policy {get(inline, 'name')!r}", document))
        return found
    return []


@resource_rule("no-wildcard-secret-access",
               "IAM policies grant no wildcard actions or resources that reach secretsmanager, ssm or kms beyond "
               "what they name.",
               "mandatory", "high", "Grant read actions on exact ARNs with secrets_read_policy() (AppSecrets does).")
def no_wildcard_secret_access(r: ResourceView) -> list[str]:
    messages = []
    for where, document in _policy_documents(r):
        for index, statement in enumerate(_allow_statements(document)):
            label = f"{where} {_label(statement, index)}"
            if "NotAction" in statement or "NotResource" in statement:
                messages.append(f"{label} allows by exclusion (NotAction/NotResource): list the actions and "
                                f"resources it grants")
                continue
            actions = items(statement.get("Action"))
            broad = sorted({a for a in actions if _broad_action(a)})
            if broad:
                messages.append(f"{label} grants {broad}, which match write, delete or list actions: name the "
                                f"actions, e.g. secretsmanager:GetSecretValue and secretsmanager:DescribeSecret")
            if any(_sensitive_action(a) for a in actions):
                for resource in sorted({x for x in items(statement.get("Resource")) if isinstance(x, str)}):
                    reach = _resource_reach(resource)
                    if reach:
                        messages.append(f"{label} grants secretsmanager/ssm/kms actions on {resource!r}, which "
                                        f"{reach}: name each secret, parameter or key ARN (a secret's name may end "
                                        f"in {_SECRET_SUFFIX})")
    return messages


@resource_rule("no-broad-managed-policy",
               "No AWS managed policy that reaches every secret, parameter or key is attached.", "mandatory", "high",
               "Attach a policy that names the secrets, parameters and keys (secrets_read_policy()).")
def no_broad_managed_policy(r: ResourceView) -> list[str]:
    """An AWS managed policy that reaches every secret of the account, attached to a role, user or group."""
    if r.type in _POLICY_ATTACHMENTS:
        arns = items(r.props.get("policyArn"))
    elif r.type == IAM_ROLE:
        arns = items(r.props.get("managedPolicyArns"))
    else:
        return []
    messages = []
    for arn in arns:
        if not isinstance(arn, str):
            continue
        account, _, name = arn.partition(":iam::")[2].partition(":policy/")
        if account == "aws" and name.rsplit("/", 1)[-1] in _BROAD_MANAGED_POLICIES:
            messages.append(f"attaches AWS managed policy {name.rsplit('/', 1)[-1]}, which reaches every secret, "
                            f"parameter or key of the account: attach a policy that names them")
    return messages


_RESOURCE_POLICIES = {IAM_ROLE: "assumeRolePolicy", KMS_KEY: "policy", KMS_KEY_POLICY: "policy",
                      SECRETSMANAGER_SECRET: "policy", SECRETSMANAGER_SECRET_POLICY: "policy"}


def _open_principal(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in items(principal.get("AWS"))


def _pinned_caller(statement: Mapping[str, Any]) -> bool:
    for operator in _PINNING_OPERATORS:
        for key, value in _condition(statement, operator).items():
            values = items(value)
            if key in _PINNING_CONDITION_KEYS and values and all(isinstance(v, str) and v != "*" for v in values):
                return True
    return False


@resource_rule("no-public-principal", "Trust, key and secret policies do not allow Principal '*' unconfined.",
               "mandatory", "critical",
               "Name the principals, or confine the statement with aws:PrincipalAccount, aws:PrincipalOrgID or "
               "kms:CallerAccount.")
def no_public_principal(r: ResourceView) -> list[str]:
    """A trust policy, key policy or secret policy that lets any AWS principal in, anywhere."""
    field = _RESOURCE_POLICIES.get(r.type)
    document = json_document(r.props.get(field)) if field else None
    if document is None:
        return []
    messages = []
    for index, statement in enumerate(_allow_statements(document)):
        if "NotPrincipal" in statement:
            messages.append(f"{field} {_label(statement, index)} allows every principal but some (NotPrincipal): "
                            f"name the principals")
        elif _open_principal(statement) and not _pinned_caller(statement):
            messages.append(f"{field} {_label(statement, index)} allows Principal '*' (any AWS account): name the "
                            f"principals, or confine it with a condition on aws:PrincipalAccount, "
                            f"aws:PrincipalOrgID or kms:CallerAccount")
    return messages


_EXACT_ROLE = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]+$")


_CHAINING_ACTIONS = ("sts:AssumeRole", "sts:TagSession")


def _chaining_action(action: object) -> bool:
    return isinstance(action, str) and any(_pattern(action.strip()).fullmatch(a) for a in _CHAINING_ACTIONS)


@resource_rule("role-chaining-exact",
               "Role chaining names exact roles: AssumeRole on role ARNs, trust of one role ARN.", "mandatory",
               "high", "Name the exact role ARN at both ends of the chain (owner_grants() does).")
def role_chaining_exact(r: ResourceView) -> list[str]:
    """Role chaining names exactly one role at each end: a policy that lets a workload assume a role (ESO's operator,
    a Pod Identity role chaining to another account) lists exact role ARNs, and a trust policy that lets another
    role in names that role, never an account root, ``*`` or a pattern (which would let any role of the account, or
    of every account, read the secrets)."""
    messages = []
    for where, document in _policy_documents(r):
        for index, statement in enumerate(_allow_statements(document)):
            if any(_chaining_action(a) for a in items(statement.get("Action"))):
                wide = sorted({x for x in items(statement.get("Resource"))
                               if isinstance(x, str) and not _EXACT_ROLE.match(x)})
                if wide:
                    messages.append(f"{where} {_label(statement, index)} lets the role assume {wide}: name the exact "
                                    f"role ARNs it chains to")
    if r.type == IAM_ROLE:
        trust = json_document(r.props.get("assumeRolePolicy"))
        for index, statement in enumerate(_allow_statements(trust) if trust is not None else []):
            trusted = items(get(statement, "Principal", "AWS"))
            if statement.get("Principal") == "*":
                trusted = ["*"]
            wide = sorted({x for x in trusted if isinstance(x, str) and not _EXACT_ROLE.match(x)})
            if wide:
                messages.append(f"trust policy {_label(statement, index)} trusts {wide}: trust the exact role ARN "
                                f"that chains to this one (not an account root or a pattern)")
    return messages
