"""The security rules of the policy pack, as plain functions over a plain record of one resource.

One set of rules serves three callers: the pulumi-policy pack in ``policy/`` (``pulumi preview --policy-pack
policy``), the offline plan (``python -m components plan``) and the tests. Each caller turns what it has into
:class:`ResourceView` records (engine camelCase inputs, provider and dependency URNs) and calls :func:`evaluate`.

Rules judge the real values, in memory: the plan gives them its raw inputs (secrets unwrapped; wrapping a value in
``pulumi.Output.secret()`` hides nothing from a rule), and pulumi-policy gives the pack plaintext too. Only a value
unknown during preview (``[unknown]``) makes a rule skip it rather than guess. No message quotes a value that could
be a secret; the plan also blanks any secret value out of the messages (:mod:`components.plan.policies`).

Shapes that hide a resource from a rule are unfolded before the rules run (:func:`expand`): the objects inside a
``yaml/v2`` ConfigGroup, and a ``*Patch`` resource, are judged as the kind they create or change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from components.conventions import (
    AUTOMOUNT_REASON_ANNOTATION,
    CHECKSUM_ANNOTATION_PREFIX,
    CONFIG_MAP,
    CSI_ADDON,
    CSI_AWS_PROVIDER_CHART,
    CSI_DRIVER_CHART,
    DEPLOYMENT,
    EKS_ADDON,
    EKS_CLUSTER,
    EKS_COMPONENT,
    ESO_CHART,
    HELM_RELEASE,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_KEY,
    KUBERNETES_PROVIDER,
    NAMESPACE,
    ROLE,
    ROLE_BINDING,
    SERVICE_ACCOUNT,
)
from components.iam_policies import POD_IDENTITY_SESSION_TAGS
from components.validation import parse_go_duration

__all__ = [
    "RULES",
    "UNKNOWN",
    "ResourceRule",
    "ResourceView",
    "StackRule",
    "Violation",
    "evaluate",
    "expand",
    "stack_of",
]

UNKNOWN = "[unknown]"
"""How the policy pack's adapter shows a value that is unknown during preview."""

Enforcement = Literal["mandatory", "advisory"]

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
HELM_CHART = "kubernetes:helm.sh/v4:Chart"
_HELM = (HELM_RELEASE, HELM_CHART)
CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"

# Where each workload kind keeps its pod spec (the path of keys under the resource's inputs).
_POD_SPEC_PATHS: Mapping[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:ReplicationController": ("spec", "template", "spec"),
    DEPLOYMENT: ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

# The CRD-backed kinds (group, kind; any version) that must wait for the release that installs their CRD.
_CSI_GROUP = "secrets-store.csi.x-k8s.io"
_ESO_GROUP = "external-secrets.io"
_CSI_CRD_KINDS = {(_CSI_GROUP, "SecretProviderClass")}
_ESO_CRD_KINDS = {(_ESO_GROUP, kind) for kind in
                  ("ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret", "PushSecret")}
SERVED_CRD_VERSIONS: Mapping[str, tuple[str, ...]] = {
    _CSI_GROUP: ("v1", "v1alpha1"),
    _ESO_GROUP: ("v1",),
}
"""The versions the API server serves for the custom resources of the charts we pin (the CSI driver chart 1.6.0
serves v1 and v1alpha1; the External Secrets chart 2.9.0 serves only v1, ``v1beta1`` is in its CRDs with
``served: false``). A test checks this against the CRDs vendored under ``reference/``."""


_SENSITIVE_SERVICES = ("secretsmanager", "ssm", "kms")
_CREDENTIAL_KEY = re.compile(
    r"passw(or)?d|passphrase|secret|token|api[-_.]?key|private[-_.]?key|access[-_.]?key|credential|"
    r"(^|[-_.])pwd($|[-_.])",
    re.IGNORECASE,
)
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


@dataclass(frozen=True)
class ResourceView:
    """One resource as every caller can describe it: what the rules read."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    """Inputs with the engine's camelCase keys, secrets as plaintext (in memory only), unknowns as ``[unknown]``."""
    provider: str | None = None
    """URN of the resource's provider (without ``::<id>``); ``None`` when the request named none."""
    dependencies: Sequence[str] = ()
    """URNs of the resources it depends on."""
    protect: bool = False
    stack: str = ""
    within: str = ""
    """Set for an object unfolded from another resource (``Deployment/web in ConfigGroup``); its messages say so."""
    partial: bool = False
    """A patch: it holds only the fields it changes, so a field it lacks is not a field the object lacks."""


@dataclass(frozen=True)
class Violation:
    rule: str
    urn: str
    message: str
    mandatory: bool

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "urn": self.urn, "message": self.message,
                "enforcement": "mandatory" if self.mandatory else "advisory"}


@dataclass(frozen=True)
class ResourceRule:
    """A rule over one resource: ``check`` returns one message per problem, each saying what to fix."""

    name: str
    description: str
    enforcement: Enforcement
    check: Callable[[ResourceView], list[str]]

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"

    def run(self, r: ResourceView) -> list[str]:
        """``check`` over the resource and every object unfolded from it, each message saying which object."""
        return [f"{v.within}: {m}" if v.within else m for v in expand([r]) for m in self.check(v)]


@dataclass(frozen=True)
class StackRule:
    """A rule over all resources of a stack: ``check`` returns (URN, message) pairs."""

    name: str
    description: str
    enforcement: Enforcement
    check: Callable[[Sequence[ResourceView]], list[tuple[str, str]]]

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"

    def run(self, resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
        """``check`` over the stack with every object unfolded; an unfolded object reports on its container's URN."""
        return list(dict.fromkeys(self.check(expand(resources))))


def stack_of(urn: str) -> str:
    """The stack named in a URN (``urn:pulumi:<stack>::<project>::<type>::<name>``)."""
    parts = urn.split("::", 1)[0].split(":")
    return parts[2] if len(parts) > 2 else ""


# --- helpers over plain data -------------------------------------------------------------------------------------


def _opaque(value: object) -> bool:
    return isinstance(value, str) and value == UNKNOWN


def _api(type_token: str) -> tuple[str, str, str]:
    """(group, version, kind) of a Kubernetes type token ``kubernetes:<group>/<version>:<Kind>`` (core is ``core``)."""
    _, _, rest = type_token.partition(":")
    group_version, _, kind = rest.partition(":")
    group, _, version = group_version.rpartition("/")
    return group, version, kind


def _is_kind(r: ResourceView, kinds: set[tuple[str, str]]) -> bool:
    group, _, kind = _api(r.type)
    return r.type.startswith("kubernetes:") and (group, kind) in kinds


def _type_token(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def _objects(r: ResourceView) -> list[Mapping[str, Any]]:
    """The Kubernetes objects a ``yaml/v2`` ConfigGroup creates from its ``objs`` and ``yaml`` inputs."""
    found = [o for o in _items(r.props.get("objs")) if isinstance(o, Mapping)]
    for text in _items(r.props.get("yaml")):
        if not isinstance(text, str):
            continue
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue  # the provider refuses it at deployment; nothing here for a rule to judge
        for document in documents:
            if isinstance(document, Mapping) and document.get("kind") == "List":
                found += [o for o in _items(document.get("items")) if isinstance(o, Mapping)]
            elif isinstance(document, Mapping):
                found.append(document)
    return found


def expand(resources: Sequence[ResourceView]) -> list[ResourceView]:
    """The resources, plus a view of each object a ConfigGroup creates and of the kind each ``*Patch`` changes.

    The provider creates a ``yaml/v2`` ConfigGroup's objects itself (pulumi/pulumi-kubernetes
    ``provider/pkg/provider/yaml/v2/configgroup.go``), so neither the engine nor a policy pack sees them as
    resources; a ``DeploymentPatch`` (server-side apply) changes a Deployment with the same fields.
    """
    views: list[ResourceView] = []
    for r in resources:
        views.append(r)
        if r.type == CONFIG_GROUP:
            for obj in _objects(r):
                api_version, kind = obj.get("apiVersion"), obj.get("kind")
                if not isinstance(api_version, str) or not isinstance(kind, str):
                    continue
                name = _get(obj, "metadata", "name")
                views.append(replace(r, type=_type_token(api_version, kind), props=obj,
                                     within=f"{kind} {name!r} in ConfigGroup {r.name!r}"))
        elif r.type.startswith("kubernetes:") and r.type.endswith("Patch"):
            views.append(replace(r, type=r.type.removesuffix("Patch"), within=f"patch {r.name!r}", partial=True))
    return views


def _get(value: object, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or None where a step is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Any]:
    """A list input as a list; a single string as one item; anything else (missing, opaque) as none."""
    if isinstance(value, str):
        return [] if _opaque(value) else [value]
    if isinstance(value, Sequence):
        return list(value)
    return []


def _document(value: object) -> Mapping[str, Any] | None:
    """A policy document from a JSON string or a mapping; None when it is opaque or not a document."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or _opaque(value):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, Mapping) else None


def _allow_statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in _items(statements) if isinstance(s, Mapping) and s.get("Effect", "Allow") == "Allow"]


def _label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement {index}"


_CHART_ARCHIVE = re.compile(r"^(?P<name>.+?)-v?\d+\.\d+\.\d+[^/]*\.tgz$")


def _chart(release: ResourceView) -> str:
    """The chart's name, however it is given: ``repo/chart``, ``oci://host/path/chart`` or the URL of its archive
    (``https://host/charts/secrets-store-csi-driver-1.6.0.tgz``, as ``helm install`` accepts)."""
    chart = release.props.get("chart")
    if not isinstance(chart, str):
        return ""
    last = chart.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    archive = _CHART_ARCHIVE.match(last)
    return archive["name"] if archive else last.removesuffix(".tgz")


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        below = merged.get(key)
        merged[key] = _merged(below, value) if isinstance(below, Mapping) and isinstance(value, Mapping) else value
    return merged


def _asset_text(asset: object) -> str | None:
    """The text of a ``StringAsset``, or of the file a ``FileAsset`` names (both SDKs deserialize assets so)."""
    text = getattr(asset, "text", None)
    if isinstance(text, str):
        return text
    path = getattr(asset, "path", None)
    try:
        return Path(path).read_text(encoding="utf-8") if isinstance(path, str) else None
    except (OSError, UnicodeDecodeError):
        return None  # Helm fails on it at deployment; nothing here to judge


def _values(release: ResourceView) -> Mapping[str, Any]:
    """The release's values as Helm sees them: ``valueYamlFiles`` in order, then ``values`` over them."""
    merged: Mapping[str, Any] = {}
    for asset in _items(release.props.get("valueYamlFiles")):
        text = _asset_text(asset)
        try:
            document = yaml.safe_load(text) if text else None
        except yaml.YAMLError:
            document = None
        merged = _merged(merged, _mapping(document))
    return _merged(merged, _mapping(release.props.get("values")))


def _bundles_csi_driver(release: ResourceView) -> bool:
    # The AWS provider chart installs the driver (and its CRDs) unless `secrets-store-csi-driver.install` is false.
    return _get(_values(release), CSI_DRIVER_CHART, "install") is not False


def _installs_csi_driver(r: ResourceView) -> bool:
    if r.type in _HELM:
        chart = _chart(r)
        return chart == CSI_DRIVER_CHART or (chart == CSI_AWS_PROVIDER_CHART and _bundles_csi_driver(r))
    return r.type == EKS_ADDON and r.props.get("addonName") == CSI_ADDON


def _installs_external_secrets(r: ResourceView) -> bool:
    return r.type in _HELM and _chart(r) == ESO_CHART


def _csi_driver_values(release: ResourceView) -> Mapping[str, Any] | None:
    """The driver's own values of a release that installs the driver; None for any other resource."""
    if release.type not in _HELM:
        return None
    chart = _chart(release)
    if chart == CSI_DRIVER_CHART:
        return _values(release)
    if chart == CSI_AWS_PROVIDER_CHART and _bundles_csi_driver(release):
        return _mapping(_values(release).get(CSI_DRIVER_CHART))
    return None


def _pod_spec(r: ResourceView) -> Mapping[str, Any] | None:
    path = _POD_SPEC_PATHS.get(r.type)
    if path is None:
        return None
    spec = _get(r.props, *path)
    return spec if isinstance(spec, Mapping) else None


def _pod_metadata(r: ResourceView) -> Mapping[str, Any]:
    path = _POD_SPEC_PATHS.get(r.type)
    if path is None:
        return {}
    return _mapping(_get(r.props, *path[:-1], "metadata"))


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in _items(spec.get(field)):
            if isinstance(container, Mapping):
                yield container


# --- resource rules ----------------------------------------------------------------------------------------------


def kms_key_rotation(r: ResourceView) -> list[str]:
    if r.type != KMS_KEY or _opaque(r.props.get("enableKeyRotation")):
        return []
    if r.props.get("enableKeyRotation") is not True:
        return ["KMS key does not rotate: set enableKeyRotation: true (enable_key_rotation=True)"]
    return []


def eks_secrets_encryption(r: ResourceView) -> list[str]:
    if r.type == EKS_COMPONENT:
        key = r.props.get("encryptionConfigKeyArn")
        if key is None or key == "":
            return ["EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfigKeyArn "
                    "(encryption_config_key_arn) to a customer-managed key"]
    elif r.type == EKS_CLUSTER:
        config = r.props.get("encryptionConfig")
        if _opaque(config):
            return []
        resources = _get(config, "resources")
        key = _get(config, "provider", "keyArn")
        if _opaque(resources) or _opaque(key):
            return []
        if "secrets" not in _items(resources) or not key:
            return ["EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfig "
                    "{resources: [secrets], provider: {keyArn: <KMS key ARN>}}"]
    return []


def eks_audit_logging(r: ResourceView) -> list[str]:
    if r.type not in (EKS_COMPONENT, EKS_CLUSTER):
        return []
    log_types = r.props.get("enabledClusterLogTypes")
    if _opaque(log_types):
        return []
    if "audit" not in _items(log_types):
        return ["EKS control-plane logging does not include 'audit': add it to enabledClusterLogTypes "
                "(with api and authenticator)"]
    return []


def _oidc_hosts(statement: Mapping[str, Any]) -> list[str]:
    federated = _items(_get(statement, "Principal", "Federated"))
    return [p.split(":oidc-provider/", 1)[1] for p in federated if isinstance(p, str) and ":oidc-provider/" in p]


def _pinned(value: object, check: Callable[[str], bool]) -> bool:
    values = _items(value)
    return bool(values) and all(isinstance(v, str) and check(v) for v in values)


def _exact_service_account(subject: str) -> bool:
    parts = subject.split(":")
    return (len(parts) == 4 and parts[:2] == ["system", "serviceaccount"] and all(parts[2:])
            and not any(w in subject for w in "*?"))


def _condition(statement: Mapping[str, Any], operator: str) -> dict[str, Any]:
    """The keys of one condition operator, lower-cased: AWS compares condition keys case-insensitively."""
    return {str(k).lower(): v for k, v in _mapping(_get(statement, "Condition", operator)).items()}


def irsa_trust_pinned(r: ResourceView) -> list[str]:
    """IRSA: without ``:sub`` every pod in the cluster can assume the role; without ``:aud`` any token will do.

    ``StringLike`` with a wildcard subject is refused too (decided: mandatory means exact). A role that really must
    trust a pattern of ServiceAccounts is an exception to record by lowering this policy's enforcement for that
    stack, not something a rule can tell apart from a mistake.
    """
    if r.type != IAM_ROLE:
        return []
    document = _document(r.props.get("assumeRolePolicy"))
    if document is None:
        return []
    messages = []
    for index, statement in enumerate(_allow_statements(document)):
        for host in _oidc_hosts(statement):
            where = f"{_label(statement, index)} trusts OIDC provider {host}"
            equals = _condition(statement, "StringEquals")
            sub, aud = f"{host}:sub", f"{host}:aud"
            others = sorted(str(k) for k in _mapping(_get(statement, "Condition", "StringEquals"))
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


def pod_identity_trust_only_eks_pods(r: ResourceView) -> list[str]:
    if r.type != IAM_ROLE:
        return []
    document = _document(r.props.get("assumeRolePolicy"))
    if document is None:
        return []
    statements = _allow_statements(document)
    if not any(_POD_IDENTITY_SERVICE in _items(_get(s, "Principal", "Service")) for s in statements):
        return []
    messages = []
    for index, statement in enumerate(statements):
        label = _label(statement, index)
        principal = statement.get("Principal")
        if not (isinstance(principal, Mapping) and set(principal) == {"Service"}
                and _items(principal["Service"]) == [_POD_IDENTITY_SERVICE]):
            messages.append(f"Pod Identity role {label} trusts another principal: trust only "
                            f"{{'Service': '{_POD_IDENTITY_SERVICE}'}}")
            continue
        actions = set(_items(statement.get("Action")))
        if actions != _POD_IDENTITY_ACTIONS:
            messages.append(f"Pod Identity role {label} allows {sorted(actions)}: allow exactly "
                            f"['sts:AssumeRole', 'sts:TagSession'] (EKS Pod Identity tags the session)")
        equals = _get(statement, "Condition", "StringEquals")
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
        document = _document(r.props.get("policy"))
        return [("policy", document)] if document is not None else []
    if r.type == IAM_ROLE:
        found = []
        for inline in _items(r.props.get("inlinePolicies")):
            document = _document(_get(inline, "policy"))
            if document is not None:
                found.append((f"inline policy {_get(inline, 'name')!r}", document))
        return found
    return []


def no_wildcard_secret_access(r: ResourceView) -> list[str]:
    messages = []
    for where, document in _policy_documents(r):
        for index, statement in enumerate(_allow_statements(document)):
            label = f"{where} {_label(statement, index)}"
            if "NotAction" in statement or "NotResource" in statement:
                messages.append(f"{label} allows by exclusion (NotAction/NotResource): list the actions and "
                                f"resources it grants")
                continue
            actions = _items(statement.get("Action"))
            broad = sorted({a for a in actions if _broad_action(a)})
            if broad:
                messages.append(f"{label} grants {broad}, which match write, delete or list actions: name the "
                                f"actions, e.g. secretsmanager:GetSecretValue and secretsmanager:DescribeSecret")
            if any(_sensitive_action(a) for a in actions):
                for resource in sorted({x for x in _items(statement.get("Resource")) if isinstance(x, str)}):
                    reach = _resource_reach(resource)
                    if reach:
                        messages.append(f"{label} grants secretsmanager/ssm/kms actions on {resource!r}, which "
                                        f"{reach}: name each secret, parameter or key ARN (a secret's name may end "
                                        f"in {_SECRET_SUFFIX})")
    return messages


def no_broad_managed_policy(r: ResourceView) -> list[str]:
    """An AWS managed policy that reaches every secret of the account, attached to a role, user or group."""
    if r.type in _POLICY_ATTACHMENTS:
        arns = _items(r.props.get("policyArn"))
    elif r.type == IAM_ROLE:
        arns = _items(r.props.get("managedPolicyArns"))
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
    return isinstance(principal, Mapping) and "*" in _items(principal.get("AWS"))


def _pinned_caller(statement: Mapping[str, Any]) -> bool:
    for operator in _PINNING_OPERATORS:
        for key, value in _condition(statement, operator).items():
            values = _items(value)
            if key in _PINNING_CONDITION_KEYS and values and all(isinstance(v, str) and v != "*" for v in values):
                return True
    return False


def no_public_principal(r: ResourceView) -> list[str]:
    """A trust policy, key policy or secret policy that lets any AWS principal in, anywhere."""
    field = _RESOURCE_POLICIES.get(r.type)
    document = _document(r.props.get(field)) if field else None
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


def role_chaining_exact(r: ResourceView) -> list[str]:
    """Role chaining names exactly one role at each end: a policy that lets a workload assume a role (ESO's operator,
    a Pod Identity role chaining to another account) lists exact role ARNs, and a trust policy that lets another
    role in names that role, never an account root, ``*`` or a pattern (which would let any role of the account, or
    of every account, read the secrets)."""
    messages = []
    for where, document in _policy_documents(r):
        for index, statement in enumerate(_allow_statements(document)):
            if any(_chaining_action(a) for a in _items(statement.get("Action"))):
                wide = sorted({x for x in _items(statement.get("Resource"))
                               if isinstance(x, str) and not _EXACT_ROLE.match(x)})
                if wide:
                    messages.append(f"{where} {_label(statement, index)} lets the role assume {wide}: name the exact "
                                    f"role ARNs it chains to")
    if r.type == IAM_ROLE:
        trust = _document(r.props.get("assumeRolePolicy"))
        for index, statement in enumerate(_allow_statements(trust) if trust is not None else []):
            trusted = _items(_get(statement, "Principal", "AWS"))
            if statement.get("Principal") == "*":
                trusted = ["*"]
            wide = sorted({x for x in trusted if isinstance(x, str) and not _EXACT_ROLE.match(x)})
            if wide:
                messages.append(f"trust policy {_label(statement, index)} trusts {wide}: trust the exact role ARN "
                                f"that chains to this one (not an account root or a pattern)")
    return messages


def secret_volumes_read_only(r: ResourceView) -> list[str]:
    spec = _pod_spec(r)
    if spec is None:
        return []
    messages = []
    volumes = {v.get("name"): v for v in _items(spec.get("volumes")) if isinstance(v, Mapping)}
    for name, volume in volumes.items():
        if "csi" in volume and _get(volume, "csi", "readOnly") is not True:
            messages.append(f"CSI volume {name!r} is not read-only: set csi.readOnly: true")
    for container in _containers(spec):
        for mount in _items(container.get("volumeMounts")):
            mounted = _mapping(volumes.get(_get(mount, "name")))
            kind = next((k for k in ("secret", "csi") if k in mounted), None)
            if kind is not None and _get(mount, "readOnly") is not True:
                messages.append(
                    f"container {container.get('name')!r} mounts {kind} volume {_get(mount, 'name')!r} at "
                    f"{_get(mount, 'mountPath')!r} writable: set readOnly: true on the volumeMount"
                )
    return messages


def _has_reason(metadata: object) -> bool:
    reason = _get(metadata, "annotations", AUTOMOUNT_REASON_ANNOTATION)
    return isinstance(reason, str) and bool(reason.strip()) and not _opaque(reason)


def no_automounted_token(r: ResourceView) -> list[str]:
    spec = r.props if r.type == SERVICE_ACCOUNT else _pod_spec(r)
    if spec is None:
        return []
    subject = "ServiceAccount" if r.type == SERVICE_ACCOUNT else "pod template"
    value = spec.get("automountServiceAccountToken")
    metadata = r.props.get("metadata") if r.type == SERVICE_ACCOUNT else _pod_metadata(r)
    if _opaque(value) or value is False or (value is True and _has_reason(metadata)) or (value is None and r.partial):
        return []
    return [f"{subject} {'mounts' if value is True else 'may mount'} the Kubernetes API token: set "
            f"automountServiceAccountToken: false (or annotate {AUTOMOUNT_REASON_ANNOTATION} with why the "
            f"workload calls the API)"]


def csi_driver_rotation(r: ResourceView) -> list[str]:
    values = _csi_driver_values(r)
    if values is None or _opaque(values.get("enableSecretRotation")):
        return []
    if values.get("enableSecretRotation") is not True:
        prefix = f"{CSI_DRIVER_CHART}." if _chart(r) == CSI_AWS_PROVIDER_CHART else ""
        return [f"Secrets Store CSI driver does not rotate mounted secrets (chart default: off): set "
                f"values {prefix}enableSecretRotation: true and a rotationPollInterval"]
    return []


_PROTECTED_IN_PROD = {KMS_KEY: "KMS key", EKS_COMPONENT: "EKS cluster", EKS_CLUSTER: "EKS cluster"}


def prod_protects_key_and_cluster(r: ResourceView) -> list[str]:
    what = _PROTECTED_IN_PROD.get(r.type)
    if what is None or (r.stack or stack_of(r.urn)) != "prod" or r.protect:
        return []
    # A cluster is kept by EKS deletion protection: `protect` on the pulumi-eks component would cascade to
    # children that must stay replaceable (access entries).
    if r.type in (EKS_COMPONENT, EKS_CLUSTER) and r.props.get("deletionProtection") is True:
        return []
    return [f"{what} in stack prod is not protected: set protect (cluster.protect) so that no destroy or "
            f"replacement loses the key or every Secret it encrypts"]


def config_map_credentials(r: ResourceView) -> list[str]:
    if r.type != CONFIG_MAP:
        return []
    keys = [k for field in ("data", "binaryData") for k in _mapping(r.props.get(field))]
    suspicious = sorted(k for k in keys if _CREDENTIAL_KEY.search(k))
    if suspicious:
        return [f"ConfigMap keys {suspicious} look like credentials: move them to Secrets Manager (or a Secret) "
                f"and keep ConfigMaps for non-sensitive settings"]
    return []


def _consumes_config(spec: Mapping[str, Any]) -> bool:
    for volume in _items(spec.get("volumes")):
        if isinstance(volume, Mapping) and ("configMap" in volume or "secret" in volume or "projected" in volume):
            return True
    for container in _containers(spec):
        if _items(container.get("envFrom")):
            return True
        for env in _items(container.get("env")):
            if _get(env, "valueFrom", "configMapKeyRef") is not None or _get(env, "valueFrom", "secretKeyRef"):
                return True
    return False


def deployment_checksum_annotations(r: ResourceView) -> list[str]:
    if r.type != DEPLOYMENT:
        return []
    spec = _pod_spec(r)
    annotations = _pod_metadata(r).get("annotations")
    if spec is None or r.partial or _opaque(annotations) or not _consumes_config(spec):
        return []
    if not any(isinstance(k, str) and k.startswith(CHECKSUM_ANNOTATION_PREFIX) for k in _mapping(annotations)):
        return ["Deployment consumes ConfigMaps or Secrets but its pod template has no checksum/ annotation: add "
                "checksum/<name> annotations so that a changed value rolls the pods (env vars and subPath mounts "
                "never see updates)"]
    return []


_SECRET_READING_CLUSTER_ROLES = ("cluster-admin", "admin", "edit")
"""Built-in ClusterRoles that read every Secret of the namespaces they are bound in (``view`` does not)."""


def rbac_secrets_list_watch(r: ResourceView) -> list[str]:
    if r.type in (ROLE_BINDING, CLUSTER_ROLE_BINDING):
        role = _get(r.props, "roleRef", "name")
        if _get(r.props, "roleRef", "kind") == "ClusterRole" and role in _SECRET_READING_CLUSTER_ROLES:
            return [f"binds the built-in ClusterRole {role!r}, which reads every Secret: bind a Role that gets "
                    f"named Secrets (resourceNames)"]
        return []
    if r.type not in (ROLE, CLUSTER_ROLE):
        return []
    messages = []
    for index, rule in enumerate(_items(r.props.get("rules"))):
        groups = _items(_get(rule, "apiGroups"))
        resources = _items(_get(rule, "resources"))
        if not (("" in groups or "*" in groups) and ("secrets" in resources or "*" in resources)):
            continue
        verbs = set(_items(_get(rule, "verbs")))
        enumerating = sorted(verbs & {"list", "watch", "*"})
        if enumerating:
            messages.append(f"rule {index} grants {enumerating} on secrets, which returns the content of every "
                            f"Secret: grant get with resourceNames instead")
        elif "get" in verbs and not _items(_get(rule, "resourceNames")):
            messages.append(f"rule {index} grants get on secrets without resourceNames, which reads every Secret "
                            f"whose name is known or guessed: list the Secrets in resourceNames")
    return messages


_SHORTEST_POLL_SECONDS = 60.0
"""Below a minute, a rotation poll or refresh (one Secrets Manager call per mounted object per pod) costs more than
it buys and risks throttling; AWS suggests about an hour, our default is two minutes."""


def secret_polling_interval(r: ResourceView) -> list[str]:
    """A CSI rotation poll or an ExternalSecret refresh of seconds: legal, but each poll calls Secrets Manager."""
    values = _csi_driver_values(r)
    if values is not None:
        field, interval = "rotationPollInterval", values.get("rotationPollInterval")
    elif _is_kind(r, {(_ESO_GROUP, "ExternalSecret"), (_ESO_GROUP, "ClusterExternalSecret")}):
        field, interval = "refreshInterval", _get(r.props, "spec", "refreshInterval")
    else:
        return []
    try:
        seconds = parse_go_duration(interval, field)
    except ValueError:
        return []  # unset (the chart's or the operator's default) or refused elsewhere
    if seconds < _SHORTEST_POLL_SECONDS:
        return [f"{field} {interval!r} polls Secrets Manager more than once a minute per mounted object and pod "
                f"(cost, throttling): use 2m or more (AWS suggests about 1h)"]
    return []


_ANY_ADDRESS = ("0.0.0.0/0", "::/0")


def eks_public_endpoint_open(r: ResourceView) -> list[str]:
    """An API endpoint open to the whole internet: legal when written out, but rarely meant."""
    if r.type == EKS_COMPONENT:
        cidrs = _items(r.props.get("publicAccessCidrs"))
    elif r.type == EKS_CLUSTER:
        cidrs = _items(_get(r.props, "vpcConfig", "publicAccessCidrs"))
    else:
        return []
    open_to = sorted({c for c in cidrs if c in _ANY_ADDRESS})
    if open_to:
        return [f"public API endpoint allows {open_to}, the whole internet: list the CIDR blocks of your offices, "
                f"VPN or CI runners"]
    return []


# --- stack rules -------------------------------------------------------------------------------------------------


def _provider_name(provider_urn: str) -> str:
    return provider_urn.rsplit("::", 1)[-1]


_DEFAULT_PROVIDER_NAME = re.compile(r"^default(_\d+_\d+_\d+\S*)?$")
"""How the engine names the default provider it creates (``default`` or ``default_<version>``)."""


def kubernetes_explicit_provider(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """No Kubernetes resource may deploy to whatever cluster the operator's kubeconfig points at.

    A provider is judged by what it is, not by its name: a provider resource of the stack without a kubeconfig
    falls back to the ambient one (pulumi-kubernetes reads ``$KUBECONFIG`` / ``~/.kube/config`` when ``kubeconfig``
    is unset), whatever it is called. A provider the stack does not hold is the engine's default provider when it
    has the default's name (the offline plan records none; the engine calls it ``default_<version>``).
    """
    providers = {r.urn: r for r in resources if r.type == KUBERNETES_PROVIDER}
    found = []
    for r in resources:
        if not r.type.startswith("kubernetes:"):
            continue
        provider = providers.get(r.provider) if r.provider else None
        if provider is not None:
            kubeconfig = provider.props.get("kubeconfig")
            if not (isinstance(kubeconfig, str) and kubeconfig.strip()):
                found.append((r.urn, f"Kubernetes provider {provider.name!r} has no kubeconfig, so it uses the "
                                     f"ambient one: set kubeconfig (the cluster's kubeconfig output)"))
        elif r.provider is None or _DEFAULT_PROVIDER_NAME.match(_provider_name(r.provider)):
            found.append((r.urn, "Kubernetes resource uses the default provider (the ambient kubeconfig): pass "
                                 "the cluster's provider, opts=ResourceOptions(providers={'kubernetes': provider})"))
    return found


def served_api_versions(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """A custom resource in a version its CRD does not serve: the API server refuses it ("no matches for kind")."""
    found = []
    for r in resources:
        group, version, kind = _api(r.type)
        served = SERVED_CRD_VERSIONS.get(group) if r.type.startswith("kubernetes:") else None
        if served is not None and version not in served:
            found.append((r.urn, f"{kind} uses {group}/{version}, which the installed CRD does not serve: use "
                                 f"{group}/{served[0]}"))
    return found


def privileged_namespace_in_protected_stack(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """``privileged`` Pod Security in a stack that protects its resources (prod): legal, but it lifts every guard."""
    if not any(r.protect for r in resources) and not any((r.stack or stack_of(r.urn)) == "prod" for r in resources):
        return []
    found = []
    for r in resources:
        labels = _mapping(_get(r.props, "metadata", "labels")) if r.type == NAMESPACE else {}
        levels = {labels.get(f"pod-security.kubernetes.io/{mode}") for mode in ("enforce", "warn", "audit")}
        if labels.get("pod-security.kubernetes.io/enforce") == "privileged" or (
                "pod-security.kubernetes.io/enforce" not in labels and "privileged" in levels):
            found.append((r.urn, "namespace enforces Pod Security 'privileged' in a protected stack: pods may run "
                                 "privileged, on the host network and with host paths; use 'restricted' (or "
                                 "'baseline')"))
    return found


def _dependency_closure(r: ResourceView, by_urn: Mapping[str, ResourceView]) -> set[str]:
    seen: set[str] = set()
    pending = list(r.dependencies)
    while pending:
        urn = pending.pop()
        if urn not in seen:
            seen.add(urn)
            dependency = by_urn.get(urn)
            if dependency is not None:
                pending.extend(dependency.dependencies)
    return seen


def crd_objects_depend_on_release(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """A custom resource created before its CRD fails with "no matches for kind" on a fresh cluster."""
    by_urn = {r.urn: r for r in resources}
    found = []
    for r in resources:
        if _is_kind(r, _CSI_CRD_KINDS):
            installs, what = _installs_csi_driver, f"the {CSI_DRIVER_CHART} release"
        elif _is_kind(r, _ESO_CRD_KINDS):
            installs, what = _installs_external_secrets, f"the {ESO_CHART} release"
        else:
            continue
        closure = _dependency_closure(r, by_urn)
        if not any(installs(by_urn[urn]) for urn in closure if urn in by_urn):
            kind = r.type.rsplit(":", 1)[-1]
            found.append((r.urn, f"{kind} does not depend on {what} that installs its CRD: add it to depends_on"))
    return found


def synced_secrets_need_sync(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """A SecretProviderClass with ``secretObjects`` needs the driver's ``syncSecret.enabled`` (chart default off).

    The EKS add-on does not pass ``syncSecret.enabled`` to the driver (aws/secrets-store-csi-driver-provider-aws
    issue 597), so its synced Secrets never appear either.
    """
    by_urn = {r.urn: r for r in resources}
    found = []
    for r in resources:
        if not _is_kind(r, _CSI_CRD_KINDS) or not _items(_get(r.props, "spec", "secretObjects")):
            continue
        for urn in sorted(_dependency_closure(r, by_urn)):
            installer = by_urn.get(urn)
            if installer is None or not _installs_csi_driver(installer):
                continue
            if installer.type == EKS_ADDON:
                found.append((r.urn, "SecretProviderClass syncs Kubernetes Secrets but the driver comes from the EKS "
                                     "add-on, which never enables syncSecret: install the Helm charts instead"))
                continue
            values = _csi_driver_values(installer) or {}
            enabled = _get(values, "syncSecret", "enabled")
            if enabled is not True and not _opaque(enabled):
                found.append((r.urn, f"SecretProviderClass syncs Kubernetes Secrets but release {installer.name} "
                                     f"does not enable them (chart default: off): set values syncSecret.enabled: "
                                     f"true"))
    return found


RULES: tuple[ResourceRule | StackRule, ...] = (
    ResourceRule("kms-key-rotation", "KMS keys rotate yearly.", "mandatory", kms_key_rotation),
    ResourceRule("eks-secrets-encryption", "EKS clusters envelope-encrypt Secrets with a KMS key.", "mandatory",
                 eks_secrets_encryption),
    ResourceRule("eks-audit-logging", "EKS control-plane logging includes audit.", "mandatory", eks_audit_logging),
    ResourceRule("irsa-trust-pinned", "IRSA trust policies pin :sub and :aud with StringEquals.", "mandatory",
                 irsa_trust_pinned),
    ResourceRule("pod-identity-trust", "Pod Identity roles trust only pods.eks.amazonaws.com.", "mandatory",
                 pod_identity_trust_only_eks_pods),
    ResourceRule("no-wildcard-secret-access",
                 "IAM policies grant no wildcard actions or resources that reach secretsmanager, ssm or kms beyond "
                 "what they name.", "mandatory", no_wildcard_secret_access),
    ResourceRule("no-broad-managed-policy",
                 "No AWS managed policy that reaches every secret, parameter or key is attached.", "mandatory",
                 no_broad_managed_policy),
    ResourceRule("no-public-principal", "Trust, key and secret policies do not allow Principal '*' unconfined.",
                 "mandatory", no_public_principal),
    ResourceRule("role-chaining-exact",
                 "Role chaining names exact roles: AssumeRole on role ARNs, trust of one role ARN.", "mandatory",
                 role_chaining_exact),
    ResourceRule("secret-volumes-read-only", "Secret and CSI volumes are mounted read-only.", "mandatory",
                 secret_volumes_read_only),
    ResourceRule("no-automounted-token", "ServiceAccounts and pods do not automount the API token.", "mandatory",
                 no_automounted_token),
    ResourceRule("csi-driver-rotation", "The Secrets Store CSI driver rotates mounted secrets.", "mandatory",
                 csi_driver_rotation),
    ResourceRule("prod-protected", "In prod, KMS keys and EKS clusters are protected.", "mandatory",
                 prod_protects_key_and_cluster),
    StackRule("kubernetes-explicit-provider", "Every Kubernetes resource names an explicit provider.", "mandatory",
              kubernetes_explicit_provider),
    StackRule("served-api-versions", "Custom resources use a version their CRD serves.", "mandatory",
              served_api_versions),
    StackRule("crd-objects-depend-on-release",
              "SecretProviderClass, ExternalSecret and SecretStore objects depend on the release of their CRD.",
              "mandatory", crd_objects_depend_on_release),
    StackRule("synced-secrets-need-sync", "Synced Kubernetes Secrets have syncSecret enabled in the driver.",
              "mandatory", synced_secrets_need_sync),
    ResourceRule("configmap-credentials", "ConfigMap keys do not look like credentials.", "advisory",
                 config_map_credentials),
    ResourceRule("deployment-checksum-annotations",
                 "Deployments that consume ConfigMaps or Secrets carry checksum/ annotations.", "advisory",
                 deployment_checksum_annotations),
    ResourceRule("rbac-secrets-list-watch",
                 "Roles do not grant list or watch on Secrets, nor get without resourceNames.", "advisory",
                 rbac_secrets_list_watch),
    ResourceRule("secret-polling-interval", "Secret rotation polls and refreshes are a minute apart or more.",
                 "advisory", secret_polling_interval),
    ResourceRule("eks-public-endpoint-open", "A public API endpoint is not open to 0.0.0.0/0.", "advisory",
                 eks_public_endpoint_open),
    StackRule("privileged-pod-security", "A protected stack has no namespace at Pod Security 'privileged'.",
              "advisory", privileged_namespace_in_protected_stack),
)


def evaluate(resources: Sequence[ResourceView]) -> list[Violation]:
    """Run every rule over ``resources``: mandatory violations first, then by rule and URN."""
    violations: list[Violation] = []
    for rule in RULES:
        if isinstance(rule, ResourceRule):
            violations += [Violation(rule.name, r.urn, m, rule.mandatory) for r in resources for m in rule.run(r)]
        else:
            violations += [Violation(rule.name, urn, m, rule.mandatory) for urn, m in rule.run(resources)]
    return sorted(violations, key=lambda v: (not v.mandatory, v.rule, v.urn))
