"""Handles: what a component takes instead of the loose values that describe the thing it relates to.

A component that needs the cluster takes its :class:`ClusterIdentity` and derives the IRSA trust or the Pod
Identity association from it; one that reads secrets takes the :class:`AwsTarget` they live in. Modelled on AWS
CDK's ``ICluster`` / ``Cluster.fromClusterAttributes`` (aws/aws-cdk, packages/aws-cdk-lib/aws-eks/lib/cluster.ts)
and ``ServiceAccount`` taking one ``cluster`` (aws-eks/lib/service-account.ts): a cluster this program creates and
one that exists already give the same handle, so nobody splits an OIDC provider ARN by hand.

Handles are concrete dataclasses (no unions, no generic resources): the SDK's component analyzer, which hosts
components for other languages, refuses both.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.iam_policies import eks_cluster_arn
from components.validation import (
    SettingsError,
    apply_input,
    check_account_id,
    check_arn,
    check_partition,
    check_region,
)

__all__ = ["AwsTarget", "ClusterIdentity"]


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS resources are read and created: region, account and partition, checked once here."""

    region: str
    """The AWS region (``eu-west-1``). Plain: it is this program's choice, and it decides the names of every ARN and
    the ``failover_region`` rules before deployment."""
    account_id: pulumi.Input[str]
    """The 12-digit account id (an Output, such as ``aws.get_caller_identity_output().account_id``, is checked
    once it resolves)."""
    partition: str = "aws"
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``). Plain, with ``region``."""

    def __post_init__(self) -> None:
        check_region(self.region, "AwsTarget.region")
        check_partition(self.partition, "AwsTarget.partition")
        # An Output (the caller's account, another stack's) is checked once it resolves, by what reads it here.
        object.__setattr__(self, "account_id", apply_input(self.account_id, functools.partial(
            check_account_id, setting="AwsTarget.account_id")))


def _no_agent() -> aws.eks.Addon:
    raise SettingsError("ClusterIdentity.pod_identity_agent", None,
                        "is not known for this existing cluster: pass its eks-pod-identity-agent add-on "
                        "(aws.eks.Addon.get) to ClusterIdentity.from_attributes")


_OIDC_PROVIDER = "oidc-provider/"


def _checked_provider_arn(arn: str) -> str:
    return check_arn(arn, "ClusterIdentity.oidc_provider_arn", service="iam", resource_prefix=_OIDC_PROVIDER)


def _issuer(checked_arn: str) -> str:
    return checked_arn.split(f":{_OIDC_PROVIDER}", 1)[1]


@dataclass(frozen=True)
class ClusterIdentity:
    """How workloads of one EKS cluster prove who they are to AWS: IRSA through the cluster's IAM OIDC provider,
    or EKS Pod Identity through its agent add-on (created on demand, once)."""

    cluster_name: pulumi.Input[str]
    """The EKS cluster's name."""
    cluster_arn: pulumi.Input[str]
    """The EKS cluster's ARN."""
    oidc_provider_arn: pulumi.Input[str]
    """ARN of the cluster's IAM OIDC provider, which IRSA trust policies name."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer without ``https://``, as IAM condition keys spell it."""
    pod_identity_agent_addon: aws.eks.Addon | None = None
    """The cluster's ``eks-pod-identity-agent`` add-on (in a program in another language, an ``aws.eks.Addon`` it
    created or read with ``get``; ``SecureCluster`` sets it with ``pod_identity_agent: true``), which ``pod-identity``
    apps need: their associations are made after it. Omitted: ``SecureCluster``'s handle installs it on first use
    from Python; an existing cluster's handle has none, and ``pod-identity`` is refused."""
    agent: Callable[[], aws.eks.Addon] = field(default=_no_agent, repr=False, compare=False)
    """Returns the cluster's Pod Identity agent add-on; call :meth:`pod_identity_agent` instead."""

    def pod_identity_agent(self) -> aws.eks.Addon:
        """The ``eks-pod-identity-agent`` add-on: ``pod_identity_agent_addon`` when given, else installed on the
        first call (``SecureCluster``); Pod Identity associations are created after it."""
        if self.pod_identity_agent_addon is not None:
            return self.pod_identity_agent_addon
        return self.agent()

    @classmethod
    def from_attributes(
        cls,
        *,
        cluster_name: pulumi.Input[str],
        oidc_provider_arn: pulumi.Input[str],
        target: AwsTarget,
        pod_identity_agent: aws.eks.Addon | None = None,
    ) -> "ClusterIdentity":
        """The identity of a cluster that this program does not create, from what ``aws eks describe-cluster``
        and ``aws iam list-open-id-connect-providers`` report, or from another stack's outputs (a
        ``StackReference``); ``target`` is the cluster's region and account. The issuer is the provider's own
        host, as IAM writes it in the ARN (``arn:aws:iam::<account>:oidc-provider/<issuer>``), never rebuilt from
        the region. A plain ARN is checked now; an Output once it resolves, with the same message."""
        checked_arn = apply_input(oidc_provider_arn, _checked_provider_arn)
        return cls(
            cluster_name=cluster_name,
            cluster_arn=pulumi.Output.all(target.account_id, cluster_name).apply(lambda v: eks_cluster_arn(
                v[1], partition=target.partition, region=target.region, account_id=v[0])),
            oidc_provider_arn=checked_arn,
            oidc_issuer=apply_input(checked_arn, _issuer),
            pod_identity_agent_addon=pod_identity_agent,
        )

