"""The security rules of the policy pack, as plain functions over a plain record of one resource.

One set of rules serves three callers: the pulumi-policy pack in ``policy/`` (``pulumi preview --policy-pack
policy``), the offline plan (``python -m components plan``) and the tests. Each caller turns what it has into
:class:`ResourceView` records (engine camelCase inputs, provider and dependency URNs) and calls :func:`evaluate`.

A rule never needs a value it cannot see: a secret (``[secret]`` in a plan) or a value unknown during preview
(``[unknown]``) makes the rule skip that value rather than guess, and no message ever quotes a property value
that could be a secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from components.iam_policies import POD_IDENTITY_SESSION_TAGS

__all__ = [
    "RULES",
    "SECRET",
    "UNKNOWN",
    "ResourceRule",
    "ResourceView",
    "StackRule",
    "Violation",
    "evaluate",
    "stack_of",
]

SECRET = "[secret]"
"""How the offline plan shows a secret value."""
UNKNOWN = "[unknown]"
"""How the policy pack's adapter shows a value that is unknown during preview."""
_OPAQUE = (SECRET, UNKNOWN)

Enforcement = Literal["mandatory", "advisory"]

# Resource types.
KMS_KEY = "aws:kms/key:Key"
EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_ADDON = "aws:eks/addon:Addon"
IAM_ROLE = "aws:iam/role:Role"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

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

# The CRD-backed kinds that must wait for the release that installs their CRD, and the charts that install it.
_CSI_CRD_KINDS = {"kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"}
_ESO_CRD_KINDS = {
    f"kubernetes:external-secrets.io/{version}:{kind}"
    for version in ("v1", "v1beta1")
    for kind in ("ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret", "PushSecret")
}
CSI_DRIVER_CHART = "secrets-store-csi-driver"
CSI_AWS_PROVIDER_CHART = "secrets-store-csi-driver-provider-aws"
ESO_CHART = "external-secrets"
CSI_ADDON = "aws-secrets-store-csi-driver-provider"

AUTOMOUNT_REASON_ANNOTATION = "eks-config-secrets.io/automount-token-reason"
"""Annotation (on a ServiceAccount or pod template) that states why a workload mounts its API token; with a
non-empty reason the automount rule accepts ``automountServiceAccountToken: true``."""

_SENSITIVE_SERVICES = ("secretsmanager", "ssm", "kms")
_CREDENTIAL_KEY = re.compile(
    r"passw(or)?d|passphrase|secret|token|api[-_.]?key|private[-_.]?key|access[-_.]?key|credential|"
    r"(^|[-_.])pwd($|[-_.])",
    re.IGNORECASE,
)
_WILDCARD_RESOURCE = re.compile(
    r"arn:[^:]+:(secretsmanager|ssm|kms):[^:]*:[^:]*:(\*|secret:\*|key/\*|alias/\*|parameter/?\*)"
)


@dataclass(frozen=True)
class ResourceView:
    """One resource as every caller can describe it: what the rules read."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    """Inputs with the engine's camelCase keys; secrets as ``[secret]``, unknowns as ``[unknown]`` (or plaintext)."""
    provider: str | None = None
    """URN of the resource's provider (without ``::<id>``); ``None`` when the request named none."""
    dependencies: Sequence[str] = ()
    """URNs of the resources it depends on."""
    protect: bool = False
    stack: str = ""


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


def stack_of(urn: str) -> str:
    """The stack named in a URN (``urn:pulumi:<stack>::<project>::<type>::<name>``)."""
    parts = urn.split("::", 1)[0].split(":")
    return parts[2] if len(parts) > 2 else ""


# --- helpers over plain data -------------------------------------------------------------------------------------


def _opaque(value: object) -> bool:
    return isinstance(value, str) and value in _OPAQUE


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


def _chart(release: ResourceView) -> str:
    # A chart may be given as "repo/chart", a URL or an OCI reference: its last path segment is its name.
    chart = release.props.get("chart")
    return chart.rstrip("/").rsplit("/", 1)[-1] if isinstance(chart, str) else ""


def _values(release: ResourceView) -> Mapping[str, Any]:
    return _mapping(release.props.get("values"))


def _bundles_csi_driver(release: ResourceView) -> bool:
    # The AWS provider chart installs the driver (and its CRDs) unless `secrets-store-csi-driver.install` is false.
    return _get(_values(release), CSI_DRIVER_CHART, "install") is not False


def _installs_csi_driver(r: ResourceView) -> bool:
    if r.type == HELM_RELEASE:
        chart = _chart(r)
        return chart == CSI_DRIVER_CHART or (chart == CSI_AWS_PROVIDER_CHART and _bundles_csi_driver(r))
    return r.type == EKS_ADDON and r.props.get("addonName") == CSI_ADDON


def _installs_external_secrets(r: ResourceView) -> bool:
    return r.type == HELM_RELEASE and _chart(r) == ESO_CHART


def _csi_driver_values(release: ResourceView) -> Mapping[str, Any] | None:
    """The driver's own values of a release that installs the driver; None for any other resource."""
    if release.type != HELM_RELEASE:
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
            equals = _mapping(_get(statement, "Condition", "StringEquals"))
            sub, aud = f"{host}:sub", f"{host}:aud"
            others = sorted(k for k in _mapping(_get(statement, "Condition", "StringEquals"))
                            if k.endswith((":sub", ":aud")) and not k.startswith(f"{host}:"))
            if others:
                messages.append(f"{where} but its condition keys name another issuer ({', '.join(others)}): take "
                                f"the issuer from the same cluster output as the provider ARN")
            if not _pinned(equals.get(sub), _exact_service_account):
                like = sub in _mapping(_get(statement, "Condition", "StringLike"))
                messages.append(
                    f"{where} without pinning the ServiceAccount: add Condition StringEquals {{{sub!r}: "
                    f"'system:serviceaccount:<namespace>:<name>'}}"
                    + (" instead of StringLike" if like else "")
                )
            if not _pinned(equals.get(aud), lambda v: v == "sts.amazonaws.com"):
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


def _broad_action(action: object) -> bool:
    if not isinstance(action, str):
        return False
    if action.strip() == "*":
        return True
    service, _, name = action.partition(":")
    return service.lower() in _SENSITIVE_SERVICES and name == "*"


def _wildcard_resource(arn: str) -> bool:
    return arn == "*" or _WILDCARD_RESOURCE.fullmatch(arn) is not None


def _sensitive_action(action: object) -> bool:
    return isinstance(action, str) and (action == "*" or action.partition(":")[0].lower() in _SENSITIVE_SERVICES)


def _policy_documents(r: ResourceView) -> list[tuple[str, Mapping[str, Any]]]:
    if r.type in (IAM_POLICY, IAM_ROLE_POLICY):
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
                messages.append(f"{label} grants {broad}: name the actions, e.g. secretsmanager:GetSecretValue "
                                f"and secretsmanager:DescribeSecret")
            if any(_sensitive_action(a) for a in actions):
                resources = _items(statement.get("Resource"))
                wild = sorted({x for x in resources if isinstance(x, str) and _wildcard_resource(x)})
                if wild:
                    messages.append(f"{label} grants secretsmanager/ssm/kms actions on {wild}: name the secret, "
                                    f"parameter or key ARNs")
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
    if _opaque(value) or value is False or (value is True and _has_reason(metadata)):
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
    if spec is None or _opaque(annotations) or not _consumes_config(spec):
        return []
    if not any(isinstance(k, str) and k.startswith("checksum/") for k in _mapping(annotations)):
        return ["Deployment consumes ConfigMaps or Secrets but its pod template has no checksum/ annotation: add "
                "checksum/<name> annotations so that a changed value rolls the pods (env vars and subPath mounts "
                "never see updates)"]
    return []


def rbac_secrets_list_watch(r: ResourceView) -> list[str]:
    if r.type not in (ROLE, CLUSTER_ROLE):
        return []
    messages = []
    for index, rule in enumerate(_items(r.props.get("rules"))):
        groups = _items(_get(rule, "apiGroups"))
        resources = _items(_get(rule, "resources"))
        verbs = sorted({v for v in _items(_get(rule, "verbs")) if v in ("list", "watch", "*")})
        if ("" in groups or "*" in groups) and ("secrets" in resources or "*" in resources) and verbs:
            messages.append(f"rule {index} grants {verbs} on secrets, which returns the content of every Secret: "
                            f"grant get with resourceNames instead")
    return messages


# --- stack rules -------------------------------------------------------------------------------------------------


def _provider_name(provider_urn: str) -> str:
    return provider_urn.rsplit("::", 1)[-1]


def kubernetes_explicit_provider(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """No Kubernetes resource may deploy to whatever cluster the operator's kubeconfig points at.

    The engine gives a resource without a provider the default provider ``default`` / ``default_<version>``;
    the offline plan records no provider at all. Both mean the ambient kubeconfig.
    """
    found = []
    for r in resources:
        if not r.type.startswith("kubernetes:"):
            continue
        if r.provider is None or _provider_name(r.provider).startswith("default"):
            found.append((r.urn, "Kubernetes resource uses the default provider (the ambient kubeconfig): pass "
                                 "the cluster's provider, opts=ResourceOptions(providers={'kubernetes': provider})"))
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
        if r.type in _CSI_CRD_KINDS:
            installs, what = _installs_csi_driver, f"the {CSI_DRIVER_CHART} release"
        elif r.type in _ESO_CRD_KINDS:
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
        if r.type not in _CSI_CRD_KINDS or not _items(_get(r.props, "spec", "secretObjects")):
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
                 "Workload policies grant no * actions or * resources on secretsmanager, ssm or kms.", "mandatory",
                 no_wildcard_secret_access),
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
    ResourceRule("rbac-secrets-list-watch", "Roles do not grant list or watch on Secrets.", "advisory",
                 rbac_secrets_list_watch),
)


def evaluate(resources: Sequence[ResourceView]) -> list[Violation]:
    """Run every rule over ``resources``: mandatory violations first, then by rule and URN."""
    violations: list[Violation] = []
    for rule in RULES:
        if isinstance(rule, ResourceRule):
            violations += [Violation(rule.name, r.urn, m, rule.mandatory) for r in resources for m in rule.check(r)]
        else:
            violations += [Violation(rule.name, urn, m, rule.mandatory) for urn, m in rule.check(resources)]
    return sorted(violations, key=lambda v: (not v.mandatory, v.rule, v.urn))
