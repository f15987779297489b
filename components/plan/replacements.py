"""Which input changes replace a resource, per resource type this project registers, each rule cited upstream.

The mock engine records inputs only; whether a change is an in-place update or a replacement is the provider's
Diff, which runs in the real provider plugin. This module restates those rules, read from the provider sources
(never copied), for exactly the types our stack program registers:

- AWS resources: the ``ForceNew`` attributes (``RequiresReplace`` plan modifiers for framework resources) of
  hashicorp/terraform-provider-aws v6, which pulumi-aws 7.51.1 bridges unchanged;
- Kubernetes objects: pulumi/pulumi-kubernetes ``provider/pkg/provider/diff.go`` (``forceNewProperties``) and the
  ``deleteBeforeReplace`` rule of ``provider.go`` ``Diff`` (snapshot 94977969d, the 4.3x line of our 4.34.2 SDK);
- the Kubernetes provider: ``provider.go`` ``DiffConfig`` (pulumi/pulumi-eks#764 for ``clusterIdentifier``);
- pulumi-eks components: the ``aws.eks.Cluster`` / ``aws.eks.NodeGroup`` attribute each component input feeds
  (pulumi/pulumi-eks v4.3 ``nodejs/eks/cluster/cluster.ts``, ``nodejs/eks/nodes/nodegroup.ts``).

Each rule lists the paths that replace and the paths known to update in place; a changed path that is in neither
is reported as an update that is *not verified*, never as nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.conventions import (
    CONFIG_MAP,
    DEPLOYMENT,
    EKS_ADDON,
    EKS_COMPONENT,
    EXTERNAL_SECRET,
    HELM_RELEASE,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_ALIAS,
    KMS_KEY,
    KUBERNETES_PROVIDER,
    KUBERNETES_SECRET,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    NAMESPACE,
    POD_IDENTITY_ASSOCIATION,
    ROLE,
    ROLE_BINDING,
    SECRET_PROVIDER_CLASS,
    SECRET_STORE,
    SERVICE_ACCOUNT,
)

__all__ = ["ANY_OTHER_PATH", "OPS", "REPLACING", "RULES", "Rule", "Verdict", "classify", "path_matches",
           "replacement_op"]

ANY_OTHER_PATH = "*"
"""In ``Rule.update_in_place``: every path that does not replace updates in place."""

_TF = "hashicorp/terraform-provider-aws v6 internal/service/"
_K8S_DIFF = "pulumi/pulumi-kubernetes provider/pkg/provider/diff.go forceNewProperties"
_EKS = "pulumi/pulumi-eks v4.3 nodejs/eks/"


@dataclass(frozen=True)
class Rule:
    """The replacement rule of one resource type."""

    replace_on: tuple[str, ...]
    """Input paths (``[*]`` for any list index) whose change replaces the resource."""
    update_in_place: tuple[str, ...]
    """Input paths known to update in place; ``ANY_OTHER_PATH`` when every other path does."""
    source: str
    """Where the rule comes from upstream (repository and file)."""


_METADATA = ("metadata.name", "metadata.namespace")
_LABEL_SELECTOR = ("spec.selector",)


def _kubernetes(*replace_on: str) -> Rule:
    return Rule(_METADATA + replace_on, (ANY_OTHER_PATH,), _K8S_DIFF)


RULES: dict[str, Rule] = {
    # -- AWS (terraform-provider-aws schemas behind pulumi-aws) ------------------------------------------------
    KMS_KEY: Rule(
        ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"),
        ("description", "deletionWindowInDays", "enableKeyRotation", "isEnabled", "policy", "rotationPeriodInDays",
         "bypassPolicyLockoutSafetyCheck", "tags"),
        _TF + "kms/key.go resourceKey",
    ),
    KMS_ALIAS: Rule(("name", "namePrefix"), ("targetKeyId",), _TF + "kms/alias.go ResourceAlias"),
    IAM_ROLE: Rule(
        ("name", "namePrefix", "path"),
        ("assumeRolePolicy", "description", "maxSessionDuration", "permissionsBoundary", "inlinePolicies",
         "managedPolicyArns", "forceDetachPolicies", "tags"),
        _TF + "iam/role.go resourceRole",
    ),
    IAM_ROLE_POLICY: Rule(("name", "namePrefix", "role"), ("policy",),
                                          _TF + "iam/role_policy.go resourceRolePolicy"),
    IAM_ROLE_POLICY_ATTACHMENT: Rule(
        ("role", "policyArn"), (), _TF + "iam/role_policy_attachment.go resourceRolePolicyAttachment"),
    LOG_GROUP: Rule(
        ("name", "namePrefix", "logGroupClass"), ("retentionInDays", "kmsKeyId", "skipDestroy", "tags"),
        _TF + "logs/group.go resourceGroup",
    ),
    EKS_ADDON: Rule(
        ("addonName", "clusterName"),
        ("addonVersion", "configurationValues", "resolveConflictsOnCreate", "resolveConflictsOnUpdate",
         "serviceAccountRoleArn", "podIdentityAssociations", "preserve", "tags"),
        _TF + "eks/addon.go resourceAddon",
    ),
    POD_IDENTITY_ASSOCIATION: Rule(
        ("clusterName", "namespace", "serviceAccount"), ("roleArn", "targetRoleArn", "disableSessionTags", "tags"),
        _TF + "eks/pod_identity_association.go Schema (RequiresReplace)",
    ),
    # Every other launch template attribute makes a new version of the same template.
    LAUNCH_TEMPLATE: Rule(("name", "namePrefix"), (ANY_OTHER_PATH,),
                                                  _TF + "ec2/ec2_launch_template.go"),
    # -- pulumi-eks components: the input, and the aws.eks.Cluster/NodeGroup attribute it feeds ----------------
    EKS_COMPONENT: Rule(
        # name, roleArn, kubernetes_network_config.*, bootstrap_self_managed_addons: ForceNew in eks/cluster.go.
        ("name", "serviceRole", "kubernetesServiceIpAddressRange", "ipFamily", "bootstrapSelfManagedAddons"),
        ("version", "endpointPrivateAccess", "endpointPublicAccess", "publicAccessCidrs", "enabledClusterLogTypes",
         "authenticationMode", "deletionProtection", "upgradePolicy", "subnetIds", "tags", "encryptionConfigKeyArn",
         # Children of the component (access entries, OIDC provider, default node group), not the cluster.
         "accessEntries", "createOidcProvider", "skipDefaultNodeGroup", "skipDefaultSecurityGroups",
         "corednsAddonOptions"),
        _EKS + "cluster/cluster.ts createCore -> " + _TF + "eks/cluster.go resourceCluster",
    ),
    "eks:index:ManagedNodeGroup": Rule(
        ("cluster", "clusterName", "nodeRole", "nodeRoleArn", "subnetIds", "instanceTypes", "amiType",
         "operatingSystem", "capacityType", "diskSize", "nodeGroupName", "nodeGroupNamePrefix", "remoteAccess",
         "launchTemplate.id", "launchTemplate.name",
         # pulumi-eks builds a launch template of its own for these (requiresCustomLaunchTemplate): a new one
         # changes launch_template.id.
         "enableIMDSv2", "userData", "amiId", "kubeletExtraArgs", "bootstrapExtraArgs"),
        ("scalingConfig", "labels", "taints", "version", "releaseVersion", "launchTemplate.version",
         "forceUpdateVersion", "updateConfig", "tags"),
        _EKS + "nodes/nodegroup.ts createManagedNodeGroupInternal -> " + _TF + "eks/node_group.go resourceNodeGroup",
    ),
    # -- Kubernetes -------------------------------------------------------------------------------------------
    NAMESPACE: _kubernetes(),
    # ConfigMap and Secret data: see _kubernetes_data_rule (depends on the provider's mutability flags).
    CONFIG_MAP: _kubernetes(),
    KUBERNETES_SECRET: _kubernetes("type"),
    SERVICE_ACCOUNT: _kubernetes(),
    "kubernetes:core/v1:Service": _kubernetes("spec.clusterIP"),
    DEPLOYMENT: _kubernetes(*_LABEL_SELECTOR),
    ROLE: _kubernetes(),
    ROLE_BINDING: _kubernetes("roleRef"),
    SECRET_PROVIDER_CLASS: _kubernetes(),
    SECRET_STORE: _kubernetes(),
    EXTERNAL_SECRET: _kubernetes(),
    HELM_RELEASE: Rule(("name", "namespace"), (ANY_OTHER_PATH,),
                                          "pulumi/pulumi-kubernetes provider/pkg/provider/helm_release.go Diff"),
    KUBERNETES_PROVIDER: Rule(
        ("kubeconfig", "context", "cluster", "clusterIdentifier", "renderYamlToDirectory"), (ANY_OTHER_PATH,),
        "pulumi/pulumi-kubernetes provider/pkg/provider/provider.go DiffConfig; pulumi/pulumi-eks#764",
    ),
}

OPS = ("create", "update", "replace", "create-before-replace", "delete-before-replace", "delete")
REPLACING = frozenset({"replace", "create-before-replace", "delete-before-replace"})


@dataclass(frozen=True)
class Verdict:
    """The operation a change of some input paths leads to, and why."""

    op: str
    reason: str
    verified: bool = True
    path: str | None = None
    """The input path that forces the replacement, when one does."""


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(path).replace(r"\[\*\]", r"\[\d+\]") + r"($|[.\[])")


def path_matches(path: str, patterns: Sequence[str]) -> str | None:
    """The first pattern that ``path`` equals or lies under (or that lies under ``path``), if any."""
    for pattern in patterns:
        if _pattern(pattern).match(path) or _pattern(path).match(pattern.replace("[*]", "[0]")):
            return pattern
    return None


def _flag(inputs: Mapping[str, Any], key: str) -> bool:
    # Provider configuration reaches the plan as strings ("true") as often as booleans.
    return str(inputs.get(key, "")).lower() == "true"


def _replace_on(type_: str, rule: Rule, head: Mapping[str, Any], provider: Mapping[str, Any]) -> tuple[str, ...]:
    """The rule's paths, plus the data of a ConfigMap or Secret that the provider cannot update in place.

    diff.go: a Secret's ``type``/``stringData``/``data``, a ConfigMap's ``data``/``binaryData``, force a new object
    unless the provider sets ``enableSecretMutable`` / ``enableConfigMapMutable``, and always when the object is
    ``immutable: true``.
    """
    immutable = head.get("immutable") is True
    if type_ == KUBERNETES_SECRET and (immutable or not _flag(provider, "enableSecretMutable")):
        return (*rule.replace_on, "stringData", "data")
    if type_ == CONFIG_MAP and (immutable or not _flag(provider, "enableConfigMapMutable")):
        return (*rule.replace_on, "data", "binaryData")
    return rule.replace_on


def _special_case(type_: str, path: str, base: Mapping[str, Any], head: Mapping[str, Any]) -> Verdict | None:
    if type_ == KUBERNETES_PROVIDER and path in ("kubeconfig", "context", "cluster"):
        identifier = head.get("clusterIdentifier")
        if identifier and base.get("clusterIdentifier") == identifier:
            return Verdict("update", f"{path} changed but clusterIdentifier {identifier!r} did not: no replacement "
                                     "(provider.go DiffConfig; pulumi/pulumi-eks#764)")
    if type_ == KUBERNETES_PROVIDER and path == "clusterIdentifier" and not base.get(path):
        return Verdict("update", "clusterIdentifier added: on-boarding does not replace (provider.go DiffConfig)")
    if type_ == EKS_COMPONENT and path == "encryptionConfigKeyArn" and "encryptionConfigKeyArn" not in head:
        return Verdict("replace", "encryptionConfigKeyArn removed: envelope encryption cannot be disabled "
                                  "(eks/cluster.go CustomizeDiff ForceNewIfChange encryption_config)")
    return None


def _kubernetes_delete_first(base: Mapping[str, Any], head: Mapping[str, Any]) -> bool:
    """provider.go ``Diff``: delete before replace when the object keeps its explicit name and its namespace (the
    new object could not exist beside the old one); pulumi/pulumi-kubernetes#1567."""
    old, new = base.get("metadata") or {}, head.get("metadata") or {}
    autonamed = (new.get("annotations") or {}).get("pulumi.com/autonamed") == "true"
    return bool(new.get("name")) and not autonamed and old.get("name") == new.get("name") \
        and old.get("namespace") == new.get("namespace")


def replacement_op(type_: str, base: Mapping[str, Any], head: Mapping[str, Any], delete_before_replace: bool) -> str:
    """The kind of replacement: who goes first, the old object or the new one."""
    if delete_before_replace:
        return "delete-before-replace"
    if type_.startswith("kubernetes:") and type_ != HELM_RELEASE:
        return "delete-before-replace" if _kubernetes_delete_first(base, head) else "create-before-replace"
    return "replace"


def classify(
    type_: str,
    paths: Sequence[str],
    base: Mapping[str, Any],
    head: Mapping[str, Any],
    *,
    provider_inputs: Mapping[str, Any] | None = None,
    delete_before_replace: bool = False,
) -> Verdict:
    """The operation that changing ``paths`` of a ``type_`` resource leads to (``base``/``head``: its inputs)."""
    rule = RULES.get(type_)
    if rule is None:
        return Verdict("update", f"no replacement rule for {type_}: update (not verified)", verified=False)
    forcing = _replace_on(type_, rule, head, provider_inputs or {})
    notes: list[str] = []
    unknown: list[str] = []
    for path in paths:
        special = _special_case(type_, path, base, head)
        if special is not None and special.op == "update":
            notes.append(special.reason)
        elif special is not None or path_matches(path, forcing) is not None:
            reason = special.reason if special else f"{path} forces a replacement ({rule.source})"
            return Verdict(replacement_op(type_, base, head, delete_before_replace), reason, path=path)
        elif not (ANY_OTHER_PATH in rule.update_in_place or path_matches(path, rule.update_in_place)):
            unknown.append(path)
    if unknown:
        return Verdict("update", f"{', '.join(unknown)}: not in the rule of {type_}: update (not verified)",
                       verified=False)
    return Verdict("update", "; ".join(notes) or f"updates in place ({rule.source})")
