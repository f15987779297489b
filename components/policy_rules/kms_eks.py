"""Rules on KMS keys and EKS clusters: rotation, envelope encryption, audit logs and their retention, protection,
the deletion window and the public endpoint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components.conventions import EKS_CLUSTER, EKS_COMPONENT, KMS_KEY, LOG_GROUP
from components.policy_rules.rule import PROTECTED_STACKS, Config, in_protected_stack, resource_rule
from components.policy_rules.view import ResourceView, get, items, mapping, opaque, stack_of


@resource_rule("kms-key-rotation", "KMS keys rotate yearly.", "mandatory", "medium",
               "Set enable_key_rotation=True on the key (EnvelopeEncryptionKey does).")
def kms_key_rotation(r: ResourceView) -> list[str]:
    if r.type != KMS_KEY or opaque(r.props.get("enableKeyRotation")):
        return []
    if r.props.get("enableKeyRotation") is not True:
        return ["KMS key does not rotate: set enableKeyRotation: true (enable_key_rotation=True)"]
    return []


@resource_rule("eks-secrets-encryption", "EKS clusters envelope-encrypt Secrets with a KMS key.", "mandatory", "high",
               "Give the cluster a customer-managed KMS key for Secrets (SecureCluster creates one); EKS cannot add "
               "it later without a new key policy, and never remove it.")
def eks_secrets_encryption(r: ResourceView) -> list[str]:
    if r.type == EKS_COMPONENT:
        key = r.props.get("encryptionConfigKeyArn")
        if key is None or key == "":
            return ["EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfigKeyArn "
                    "(encryption_config_key_arn) to a customer-managed key"]
    elif r.type == EKS_CLUSTER:
        config = r.props.get("encryptionConfig")
        if opaque(config):
            return []
        resources = get(config, "resources")
        key = get(config, "provider", "keyArn")
        if opaque(resources) or opaque(key):
            return []
        if "secrets" not in items(resources) or not key:
            return ["EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfig "
                    "{resources: [secrets], provider: {keyArn: <KMS key ARN>}}"]
    return []


@resource_rule("eks-audit-logging", "EKS control-plane logging includes audit.", "mandatory", "medium",
               "Enable the api, audit and authenticator control-plane logs (SecureCluster does).")
def eks_audit_logging(r: ResourceView) -> list[str]:
    if r.type not in (EKS_COMPONENT, EKS_CLUSTER):
        return []
    log_types = r.props.get("enabledClusterLogTypes")
    if opaque(log_types):
        return []
    if "audit" not in items(log_types):
        return ["EKS control-plane logging does not include 'audit': add it to enabledClusterLogTypes "
                "(with api and authenticator)"]
    return []


_PROTECTED_IN_PROD = {KMS_KEY: "KMS key", EKS_COMPONENT: "EKS cluster", EKS_CLUSTER: "EKS cluster"}


@resource_rule("prod-protected", "In a protected stack (prod), KMS keys and EKS clusters are protected.", "mandatory",
               "high",
               "Set protect on the key and the cluster, or EKS deletion protection on the cluster (SecureCluster "
               "protect=True).",
               config_schema=PROTECTED_STACKS)
def prod_protects_key_and_cluster(r: ResourceView, config: Config) -> list[str]:
    what = _PROTECTED_IN_PROD.get(r.type)
    if what is None or not in_protected_stack(r, config) or r.protect:
        return []
    # A cluster is kept by EKS deletion protection: `protect` on the pulumi-eks component would cascade to
    # children that must stay replaceable (access entries).
    if r.type in (EKS_COMPONENT, EKS_CLUSTER) and r.props.get("deletionProtection") is True:
        return []
    return [f"{what} in stack {r.stack or stack_of(r.urn)} is not protected: set protect (cluster.protect) so that no "
            f"destroy or replacement loses the key or every Secret it encrypts"]


_LONGEST_DELETION_WINDOW = 30
"""The longest waiting period KMS allows before it deletes a key (ScheduleKeyDeletion ``PendingWindowInDays``, 7 to
30; also its default)."""


@resource_rule("kms-deletion-window", "In a protected stack, a KMS key waits the longest window (30 days) before "
               "deletion.", "advisory", "medium",
               "Leave deletion_window_days at 30 (EnvelopeEncryptionKey default) for the keys of a protected stack.",
               config_schema=PROTECTED_STACKS)
def kms_deletion_window(r: ResourceView, config: Config) -> list[str]:
    """A scheduled deletion of the key that encrypts every Secret is the one mistake nobody can undo; in a protected
    stack the whole window is the time to notice it (CIS EKS 5.3.1, AWS Security Hub KMS.3)."""
    window = r.props.get("deletionWindowInDays")
    if r.type != KMS_KEY or not in_protected_stack(r, config) or not isinstance(window, int) or isinstance(
            window, bool) or window >= _LONGEST_DELETION_WINDOW:
        return []
    return [f"KMS key in stack {r.stack or stack_of(r.urn)} waits {window} days before deletion: set "
            f"deletionWindowInDays: {_LONGEST_DELETION_WINDOW} so that a scheduled deletion can be noticed and "
            f"cancelled"]


_EKS_LOG_GROUP = re.compile(r"^/aws/eks/[^/]+/cluster$")
"""The log group EKS writes control-plane logs to (``/aws/eks/<cluster>/cluster``)."""


@resource_rule("eks-log-retention", "The EKS control-plane log group has a retention period.", "advisory", "medium",
               "Create the log group before the cluster with a retention period (SecureCluster log_retention_days).")
def eks_log_retention(r: ResourceView) -> list[str]:
    """A control-plane log group without retention keeps every audit event forever (cost, and data kept past any
    policy), and one that EKS creates itself has none (CIS EKS 2.1.1 collects the logs; their lifetime is ours)."""
    name = r.props.get("name")
    if r.type != LOG_GROUP or not isinstance(name, str) or not _EKS_LOG_GROUP.match(name) or r.partial:
        return []
    days = r.props.get("retentionInDays")
    if opaque(days) or (isinstance(days, int) and not isinstance(days, bool) and days > 0):
        return []
    return [f"log group {name} never expires: set retentionInDays (e.g. 90)"]


_ANY_ADDRESS = ("0.0.0.0/0", "::/0")


@resource_rule("eks-public-endpoint-open",
               "A public API endpoint is restricted to named CIDR blocks (CIS EKS 5.4.2).", "advisory", "medium",
               "Keep the endpoint private (SecureCluster default), or list the CIDR blocks of your offices, VPN or "
               "CI runners in publicAccessCidrs.")
def eks_public_endpoint_open(r: ResourceView) -> list[str]:
    """An API endpoint open to the whole internet: legal when written out, but rarely meant. A public endpoint
    without CIDR blocks is open too: EKS defaults ``publicAccessCidrs`` to ``0.0.0.0/0``, and both pulumi-eks and
    the AWS provider default ``endpointPublicAccess`` to true (``pulumi_eks/cluster.py``, ``pulumi_aws/eks``
    ``ClusterVpcConfig``)."""
    if r.type == EKS_COMPONENT:
        config: Mapping[str, Any] = r.props
    elif r.type == EKS_CLUSTER:
        config = mapping(r.props.get("vpcConfig"))
    else:
        return []
    public, cidrs = config.get("endpointPublicAccess"), config.get("publicAccessCidrs")
    if public is False or opaque(public) or opaque(cidrs) or r.partial:
        return []
    open_to = sorted({c for c in items(cidrs) if c in _ANY_ADDRESS})
    if open_to:
        return [f"public API endpoint allows {open_to}, the whole internet: list the CIDR blocks of your offices, "
                f"VPN or CI runners"]
    if not items(cidrs):
        return ["public API endpoint has no publicAccessCidrs, so EKS opens it to 0.0.0.0/0: set "
                "endpointPublicAccess: false, or list the CIDR blocks of your offices, VPN or CI runners"]
    return []
