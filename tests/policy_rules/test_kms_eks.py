"""Rules on KMS keys and EKS clusters (components/policy_rules/kms_eks.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.conventions import EKS_CLUSTER, EKS_COMPONENT, KMS_KEY, LOG_GROUP
from components.policy_rules import UNKNOWN, ResourceView, kms_eks
from tests.policy_rules.helpers import urn, view


def test_kms_key_with_rotation_passes() -> None:
    assert kms_eks.kms_key_rotation(view(KMS_KEY, {"enableKeyRotation": True})) == []


def test_kms_key_without_rotation_fails() -> None:
    assert kms_eks.kms_key_rotation(view(KMS_KEY, {"enableKeyRotation": False})) == [
        "KMS key does not rotate: set enableKeyRotation: true (enable_key_rotation=True)"
    ]


def test_eks_component_with_key_passes() -> None:
    props = {"encryptionConfigKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/k"}
    assert kms_eks.eks_secrets_encryption(view(EKS_COMPONENT, props)) == []


def test_eks_component_without_key_fails() -> None:
    assert kms_eks.eks_secrets_encryption(view(EKS_COMPONENT, {})) == [
        "EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfigKeyArn (encryption_config_key_arn) "
        "to a customer-managed key"
    ]


def test_eks_cluster_encrypting_secrets_passes() -> None:
    config = {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:eu-west-1:123456789012:key/k"}}
    assert kms_eks.eks_secrets_encryption(view(EKS_CLUSTER, {"encryptionConfig": config})) == []


def test_eks_cluster_without_secrets_resource_fails() -> None:
    config = {"resources": [], "provider": {"keyArn": "arn:aws:kms:eu-west-1:123456789012:key/k"}}
    assert kms_eks.eks_secrets_encryption(view(EKS_CLUSTER, {"encryptionConfig": config})) == [
        "EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfig {resources: [secrets], "
        "provider: {keyArn: <KMS key ARN>}}"
    ]


def test_eks_cluster_key_unknown_during_preview_is_skipped() -> None:
    config = {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}}
    assert kms_eks.eks_secrets_encryption(view(EKS_CLUSTER, {"encryptionConfig": config})) == []


@pytest.mark.parametrize("type_", [EKS_COMPONENT, EKS_CLUSTER])
def test_eks_audit_logging_passes(type_: str) -> None:
    assert kms_eks.eks_audit_logging(view(type_, {"enabledClusterLogTypes": ["api", "audit", "authenticator"]})) == []


@pytest.mark.parametrize("type_", [EKS_COMPONENT, EKS_CLUSTER])
def test_eks_without_audit_logging_fails(type_: str) -> None:
    assert kms_eks.eks_audit_logging(view(type_, {"enabledClusterLogTypes": ["api"]})) == [
        "EKS control-plane logging does not include 'audit': add it to enabledClusterLogTypes "
        "(with api and authenticator)"
    ]


@pytest.mark.parametrize("type_", [KMS_KEY, EKS_COMPONENT])
def test_prod_protected_key_and_cluster_pass(type_: str) -> None:
    assert kms_eks.prod_protects_key_and_cluster(view(type_, {}, stack="prod", protect=True)) == []


@pytest.mark.parametrize("type_", [EKS_COMPONENT, EKS_CLUSTER])
def test_prod_cluster_kept_by_eks_deletion_protection_passes(type_: str) -> None:
    assert kms_eks.prod_protects_key_and_cluster(view(type_, {"deletionProtection": True}, stack="prod")) == []


def test_prod_key_is_not_kept_by_a_deletion_protection_input() -> None:
    assert len(kms_eks.prod_protects_key_and_cluster(view(KMS_KEY, {"deletionProtection": True},
                                                        stack="prod"))) == 1


def test_prod_unprotected_key_fails() -> None:
    assert kms_eks.prod_protects_key_and_cluster(view(KMS_KEY, {}, stack="prod")) == [
        "KMS key in stack prod is not protected: set protect (cluster.protect) so that no destroy or replacement "
        "loses the key or every Secret it encrypts"
    ]


def test_prod_rule_reads_the_stack_from_the_urn_when_not_given() -> None:
    resource = ResourceView(urn=urn(EKS_CLUSTER, "c", "prod"), type=EKS_CLUSTER, name="c", props={})
    assert len(kms_eks.prod_protects_key_and_cluster(resource)) == 1


def test_unprotected_key_outside_prod_passes() -> None:
    assert kms_eks.prod_protects_key_and_cluster(view(KMS_KEY, {}, stack="dev")) == []


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_public_endpoint_open_to_everyone_is_an_advisory(cidr: str) -> None:
    cluster = view(EKS_COMPONENT, {"publicAccessCidrs": ["203.0.113.0/24", cidr]})
    assert len(kms_eks.eks_public_endpoint_open(cluster)) == 1
    assert kms_eks.eks_public_endpoint_open(view(EKS_COMPONENT, {"publicAccessCidrs": ["203.0.113.0/24"]})) == []


@pytest.mark.parametrize(("stack", "window", "flagged"), [("prod", 7, True), ("prod", 30, False), ("prod", None, False),
                                                          ("dev", 7, False)])
def test_short_deletion_window_in_a_protected_stack_is_an_advisory(stack: str, window: int | None,
                                                                   flagged: bool) -> None:
    props: dict[str, Any] = {"enableKeyRotation": True}
    if window is not None:
        props["deletionWindowInDays"] = window
    found = kms_eks.kms_deletion_window(view(KMS_KEY, props, stack=stack))
    assert found == ([f"KMS key in stack prod waits {window} days before deletion: set deletionWindowInDays: 30 so "
                      f"that a scheduled deletion can be noticed and cancelled"] if flagged else [])


def test_deletion_window_follows_the_configured_protected_stacks() -> None:
    key = view(KMS_KEY, {"deletionWindowInDays": 7}, stack="dr")
    assert kms_eks.kms_deletion_window(key) == []
    assert len(kms_eks.kms_deletion_window(key, {"protectedStacks": ["dr"]})) == 1


@pytest.mark.parametrize(("props", "flagged"), [
    ({"name": "/aws/eks/dev/cluster", "retentionInDays": 90}, False),
    ({"name": "/aws/eks/dev/cluster"}, True),
    ({"name": "/aws/eks/dev/cluster", "retentionInDays": 0}, True),
    ({"name": "/aws/eks/dev/cluster", "retentionInDays": UNKNOWN}, False),
    ({"name": "/app/logs"}, False),
])
def test_eks_log_group_without_retention_is_an_advisory(props: dict[str, Any], flagged: bool) -> None:
    assert bool(kms_eks.eks_log_retention(view(LOG_GROUP, props))) is flagged


@pytest.mark.parametrize(("type_", "props"), [
    (EKS_COMPONENT, {"endpointPublicAccess": True}),
    (EKS_COMPONENT, {}),
    (EKS_CLUSTER, {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": []}}),
])
def test_public_endpoint_without_cidrs_is_open_to_everyone(type_: str, props: dict[str, Any]) -> None:
    """EKS defaults publicAccessCidrs to 0.0.0.0/0, and pulumi-eks and the AWS provider default the endpoint to
    public (pulumi_eks/cluster.py, pulumi_aws/eks/_inputs.py ClusterVpcConfig)."""
    assert kms_eks.eks_public_endpoint_open(view(type_, props)) == [
        "public API endpoint has no publicAccessCidrs, so EKS opens it to 0.0.0.0/0: set endpointPublicAccess: "
        "false, or list the CIDR blocks of your offices, VPN or CI runners"]


def test_private_endpoint_needs_no_cidrs() -> None:
    assert kms_eks.eks_public_endpoint_open(view(EKS_COMPONENT, {"endpointPublicAccess": False})) == []
    assert kms_eks.eks_public_endpoint_open(
        view(EKS_CLUSTER, {"vpcConfig": {"endpointPublicAccess": False}})) == []
