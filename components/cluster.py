"""The EKS cluster: envelope encryption, OIDC provider, audited control plane, access entries, a managed node group."""


import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.encryption_key import DEFAULT_PROTECT, EnvelopeEncryptionKey, EnvelopeEncryptionKeyArgs
from components.handles import ClusterIdentity
from components.iam_policies import eks_cluster_arn, service_trust_policy
from components.validation import (
    ACCESS_POLICIES,
    REQUIRED_LOG_TYPES,
    STACK_FILE_FORM,
    SettingsError,
    apply_input,
    check_account_id,
    check_arn,
    check_arn_region,
    check_bool,
    check_cluster_name,
    check_dns1123_label,
    check_endpoint_access,
    check_kms_deletion_window,
    check_kubernetes_version,
    check_log_retention_days,
    check_log_types,
    check_node_group_sizes,
    check_partition,
    check_principal_arn,
    check_region,
    check_subnet_ids,
    check_unique,
    check_vpc_id,
)

__all__ = [
    "DEFAULT_ACCESS_POLICY",
    "DEFAULT_ENDPOINT_PRIVATE_ACCESS",
    "DEFAULT_ENDPOINT_PUBLIC_ACCESS",
    "DEFAULT_INSTANCE_TYPES",
    "DEFAULT_KMS_DELETION_WINDOW_DAYS",
    "DEFAULT_LOG_RETENTION_DAYS",
    "DEFAULT_NODE_GROUP_SIZES",
    "DEFAULT_VERSION",
    "SUPPORT_TYPES",
    "ClusterAccessEntryArgs",
    "ClusterNodeGroupArgs",
    "SecureCluster",
    "SecureClusterArgs",
    "SecureClusterSettings",
    "check_node_group_size",
    "deploying_principal",
]

_POD_IDENTITY_AGENT = "eks-pod-identity-agent"

# The defaults of SecureClusterArgs, which the stack settings take too (one definition each).
DEFAULT_VERSION = "1.33"
DEFAULT_LOG_RETENTION_DAYS = 90
DEFAULT_KMS_DELETION_WINDOW_DAYS = 30
DEFAULT_ACCESS_POLICY = "AmazonEKSViewPolicy"
DEFAULT_INSTANCE_TYPES = ("t3.medium",)
DEFAULT_NODE_GROUP_SIZES = {"min_size": 1, "desired_size": 2, "max_size": 3}
DEFAULT_ENDPOINT_PRIVATE_ACCESS = True
DEFAULT_ENDPOINT_PUBLIC_ACCESS = False

SUPPORT_TYPES = ("STANDARD", "EXTENDED")
"""EKS upgrade policies: ``STANDARD`` ends with standard support (EKS then upgrades the control plane), ``EXTENDED``
keeps a version for 12 more months at the extended-support price. The first is the default."""



@with_config(STACK_FILE_FORM)
class ClusterNodeGroupArgs(TypedDict):
    instance_types: NotRequired[Sequence[str]]
    """EC2 instance types of the managed node group. Omitted: ``["t3.medium"]``."""
    min_size: NotRequired[int]
    """Minimum number of nodes. Omitted: 1."""
    desired_size: NotRequired[int]
    """Desired number of nodes (``min_size <= desired_size <= max_size``). Omitted: 2."""
    max_size: NotRequired[int]
    """Maximum number of nodes. Omitted: 3."""


@with_config(STACK_FILE_FORM)
class ClusterAccessEntryArgs(TypedDict):
    principal_arn: str
    """IAM role or user ARN given access to the Kubernetes API (authentication mode ``API``). Plain: the access
    entry is named after it."""
    access_policy: NotRequired[str]
    """EKS access policy: ``AmazonEKSClusterAdminPolicy``, ``AmazonEKSAdminPolicy``, ``AmazonEKSEditPolicy`` or
    ``AmazonEKSViewPolicy``. Omitted: ``AmazonEKSViewPolicy`` (read-only, and it cannot read Secrets)."""
    namespaces: NotRequired[Sequence[str]]
    """Namespaces the access policy is limited to. Omitted or empty: the whole cluster."""


@with_config(STACK_FILE_FORM)
class SecureClusterSettings(TypedDict):
    """What a stack file sets of a cluster (its ``cluster`` section); :class:`SecureClusterArgs` adds what only a
    program knows: the region, the account and who deploys."""

    cluster_name: str
    """The EKS cluster's name, set explicitly so that its log group ``/aws/eks/<name>/cluster`` is created (with
    retention) by this component before the cluster, instead of by EKS without retention. Plain: it names the
    cluster and the log group this component creates."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cluster (an Output, such as a VPC created in the same program, is checked by AWS)."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """At least two subnets in different Availability Zones, for the control plane and the nodes (a list of
    Outputs, or one Output of the list, is checked by AWS)."""
    version: NotRequired[str]
    """Kubernetes minor version, e.g. ``"1.33"``. Omitted: ``"1.33"`` (pinned, so that upgrades are deliberate)."""
    endpoint_private_access: NotRequired[bool]
    """Whether the API endpoint is reachable from inside the VPC. Omitted: true."""
    endpoint_public_access: NotRequired[bool]
    """Whether the API endpoint is reachable from the internet (then ``public_access_cidrs`` is required).
    Omitted: false."""
    public_access_cidrs: NotRequired[Sequence[str]]
    """CIDR blocks allowed to reach a public endpoint. Omitted: none, which is refused with a public endpoint
    (EKS would otherwise open it to 0.0.0.0/0)."""
    log_types: NotRequired[Sequence[str]]
    """Control-plane log types; must include ``api``, ``audit`` and ``authenticator``.
    Omitted: exactly those three."""
    log_retention_days: NotRequired[int]
    """Retention of the control-plane log group, a CloudWatch Logs retention period. Omitted: 90."""
    node_group: NotRequired[ClusterNodeGroupArgs]
    """Size and instance types of the managed node group. Omitted: all of its defaults."""
    access_entries: NotRequired[Sequence[ClusterAccessEntryArgs]]
    """IAM principals given access to the Kubernetes API. Omitted: none besides the identity that creates the
    cluster, which pulumi-eks always makes cluster admin (``bootstrapClusterCreatorAdminPermissions: true``) so
    that this program can manage Kubernetes objects. A later deployer that is not the creator needs an entry here
    with ``AmazonEKSClusterAdminPolicy``."""
    support_type: NotRequired[str]
    """The cluster's upgrade policy, one of :data:`SUPPORT_TYPES`. Omitted: ``STANDARD``, so that a pinned version
    does not drift into paid extended support unnoticed (pulumi-eks would leave EKS's default, ``EXTENDED``)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """An existing KMS key (in ``region``) for envelope encryption of Secrets; its key policy must let the
    cluster role use it (an Output, such as another stack's key, is checked once it resolves). Omitted: a new
    :class:`EnvelopeEncryptionKey` is created."""
    kms_deletion_window_days: NotRequired[int]
    """Deletion window (7-30 days) of the key created here. Omitted: 30."""
    protect: NotRequired[bool]
    """``protect`` the key, the log group and the cluster role, and turn on the EKS cluster's deletion protection,
    so that no ``pulumi destroy`` or replacement loses every Secret. The pulumi-eks component itself is not
    protected: ``protect`` on a remote component is inherited by every child it creates, access entries included,
    and those have no update. Omitted: :data:`DEFAULT_PROTECT` (set false only for disposable stacks)."""


class SecureClusterArgs(SecureClusterSettings):
    region: str
    """The AWS region of the cluster (a bring-your-own KMS key must be in it)."""
    account_id: pulumi.Input[str]
    """The AWS account of the cluster; its root administers the envelope encryption key."""
    partition: NotRequired[str]
    """AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``). Omitted: ``aws``."""
    creator_arn: NotRequired[str]
    """The IAM role or user that runs ``pulumi up`` (for an assumed role, the role itself: see
    :func:`deploying_principal`). EKS allows one access entry per principal and already gives the creator one, so an
    ``access_entries`` item for it would fail on create; it is refused here instead. Omitted: not checked. Plain:
    it is compared with ``access_entries``, which name resources, before any is registered."""
    pod_identity_agent: NotRequired[bool]
    """Install the EKS Pod Identity agent add-on now and hand it out in ``identity``
    (``ClusterIdentity.pod_identity_agent_addon``): what a program in another language, which cannot call
    :meth:`SecureCluster.pod_identity_agent`, needs for ``pod-identity`` apps. Plain: it decides whether the add-on
    exists. Omitted: false; from Python, the first ``pod_identity_agent()`` call installs it."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the AWS resources. Omitted: none."""


def _check_bool(args: Mapping[str, Any], key: str, default: bool) -> bool:
    return check_bool(args.get(key, default), f"SecureClusterArgs.{key}")


def _check_strings(value: object, setting: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SettingsError(setting, value, "is not a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise SettingsError(f"{setting}[{i}]", item, "is not a non-empty string")
    return list(value)


def check_node_group_size(value: object, setting: str) -> int:
    """Return ``value`` if it is a node count of a managed node group (EKS allows at most 1,000: service quotas)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
        raise SettingsError(setting, value, "is not a whole number from 0 to 1000")
    return value


class _Settings:
    """The validated arguments of one SecureCluster."""

    def __init__(self, args: SecureClusterArgs) -> None:
        prefix = "SecureClusterArgs"
        self.cluster_name = check_cluster_name(args["cluster_name"], f"{prefix}.cluster_name")
        self.region = check_region(args["region"], f"{prefix}.region")
        self.partition = check_partition(args.get("partition", "aws"), f"{prefix}.partition")
        if isinstance(args["account_id"], str):
            check_account_id(args["account_id"], f"{prefix}.account_id")
        self.version = check_kubernetes_version(args.get("version", DEFAULT_VERSION), f"{prefix}.version")
        # Known values are checked here; another resource's outputs (a VPC of the same program) are AWS's to check.
        vpc_id, subnet_ids = args["vpc_id"], args["subnet_ids"]
        self.vpc_id: pulumi.Input[str] = (
            check_vpc_id(vpc_id, f"{prefix}.vpc_id") if not isinstance(vpc_id, pulumi.Output) else vpc_id)
        self.subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = subnet_ids
        pending = isinstance(subnet_ids, pulumi.Output) or (
            isinstance(subnet_ids, list | tuple) and any(isinstance(s, pulumi.Output) for s in subnet_ids))
        if not pending:
            self.subnet_ids = check_subnet_ids(_check_strings(subnet_ids, f"{prefix}.subnet_ids"),
                                               f"{prefix}.subnet_ids")
        self._endpoint(args, prefix)
        self._logging(args, prefix)
        self._node_group(args.get("node_group", {}), f"{prefix}.node_group")
        self.access_entries = [
            self._access_entry(entry, f"{prefix}.access_entries[{i}]")
            for i, entry in enumerate(args.get("access_entries", []))
        ]
        check_unique((principal for principal, _ in self.access_entries), f"{prefix}.access_entries[].principal_arn")
        if "creator_arn" in args:
            creator = args["creator_arn"]
            # STS names a federated user (`aws sts get-federation-token`); it has no IAM ARN to give an entry to.
            service = "sts" if isinstance(creator, str) and ":sts::" in creator else "iam"
            self._check_creator(check_arn(creator, f"{prefix}.creator_arn", service=service), prefix)
        self.support_type = args.get("support_type", SUPPORT_TYPES[0])
        if self.support_type not in SUPPORT_TYPES:
            raise SettingsError(f"{prefix}.support_type", self.support_type,
                                f"is not one of: {', '.join(SUPPORT_TYPES)}")
        region = self.region

        def check_key(arn: str) -> str:
            check_arn(arn, f"{prefix}.kms_key_arn", service="kms", resource_prefix="key/")
            return check_arn_region(arn, region, f"{prefix}.kms_key_arn", "the cluster's region")

        given_key = args.get("kms_key_arn")
        self.kms_key_arn = None if given_key is None else apply_input(given_key, check_key)
        self.kms_deletion_window_days = check_kms_deletion_window(
            args.get("kms_deletion_window_days", DEFAULT_KMS_DELETION_WINDOW_DAYS), f"{prefix}.kms_deletion_window_days"
        )
        self.protect = _check_bool(args, "protect", DEFAULT_PROTECT)
        self.pod_identity_agent = _check_bool(args, "pod_identity_agent", False)
        self.tags = dict(args["tags"]) if "tags" in args else None

    def _check_creator(self, creator: str, prefix: str) -> None:
        # IAM names are case-insensitive, and so is EKS's one-entry-per-principal rule.
        for i, (principal, _) in enumerate(self.access_entries):
            if principal.lower() == creator.lower():
                raise SettingsError(
                    f"{prefix}.access_entries[{i}].principal_arn", principal,
                    "is the identity that creates the cluster, which EKS already makes cluster admin (one access "
                    "entry per principal): remove this entry",
                )

    def _endpoint(self, args: SecureClusterArgs, prefix: str) -> None:
        self.endpoint_private_access = _check_bool(args, "endpoint_private_access", DEFAULT_ENDPOINT_PRIVATE_ACCESS)
        self.endpoint_public_access = _check_bool(args, "endpoint_public_access", DEFAULT_ENDPOINT_PUBLIC_ACCESS)
        self.public_access_cidrs = _check_strings(args.get("public_access_cidrs", []), f"{prefix}.public_access_cidrs")
        check_endpoint_access(
            self.endpoint_public_access, self.endpoint_private_access, self.public_access_cidrs,
            (f"{prefix}.endpoint_public_access", f"{prefix}.endpoint_private_access", f"{prefix}.public_access_cidrs"),
        )

    def _logging(self, args: SecureClusterArgs, prefix: str) -> None:
        setting = f"{prefix}.log_types"
        log_types = _check_strings(args.get("log_types", list(REQUIRED_LOG_TYPES)), setting)
        self.log_types = check_log_types(log_types, setting)
        self.log_retention_days = check_log_retention_days(args.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS),
                                                           f"{prefix}.log_retention_days")

    def _node_group(self, node_group: ClusterNodeGroupArgs, prefix: str) -> None:
        self.instance_types = _check_strings(
            node_group.get("instance_types", list(DEFAULT_INSTANCE_TYPES)), f"{prefix}.instance_types"
        )
        if not self.instance_types:
            raise SettingsError(f"{prefix}.instance_types", self.instance_types, "must list at least one instance type")
        self.min_size, self.desired_size, self.max_size = (
            check_node_group_size(node_group.get(key, DEFAULT_NODE_GROUP_SIZES[key]), f"{prefix}.{key}")
            for key in ("min_size", "desired_size", "max_size"))
        check_node_group_sizes(
            {"min_size": self.min_size, "desired_size": self.desired_size, "max_size": self.max_size}, prefix
        )

    def _access_entry(self, entry: ClusterAccessEntryArgs, prefix: str) -> tuple[str, eks.AccessEntryArgs]:
        principal = check_principal_arn(entry.get("principal_arn"), f"{prefix}.principal_arn")
        policy = entry.get("access_policy", DEFAULT_ACCESS_POLICY)
        if policy not in ACCESS_POLICIES:
            raise SettingsError(f"{prefix}.access_policy", policy, f"is not one of: {', '.join(ACCESS_POLICIES)}")
        namespaces = _check_strings(entry.get("namespaces", []), f"{prefix}.namespaces")
        for i, namespace in enumerate(namespaces):
            check_dns1123_label(namespace, f"{prefix}.namespaces[{i}]")
        scope = (
            aws.eks.AccessPolicyAssociationAccessScopeArgs(type="namespace", namespaces=namespaces)
            if namespaces
            else aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster")
        )
        return principal, eks.AccessEntryArgs(
            principal_arn=principal,
            access_policies={
                policy: eks.AccessPolicyAssociationArgs(
                    policy_arn=f"arn:{self.partition}:eks::aws:cluster-access-policy/{policy}", access_scope=scope
                )
            },
        )


def _entry_key(principal_arn: str) -> str:
    # pulumi-eks names each AccessEntry after its key; the principal's path and name keep it stable and readable.
    return principal_arn.split(":", 5)[5].replace("/", "-")


class SecureCluster(pulumi.ComponentResource):
    """An EKS cluster whose Secrets are envelope-encrypted with a customer-managed KMS key, with an IAM OIDC provider
    (IRSA), audited control plane (api, audit, authenticator logs into a log group with retention), access
    entries (authentication mode ``API``), a managed node group, and one explicit Kubernetes provider.

    ``pod_identity_agent()`` installs the EKS Pod Identity agent add-on once, for identities in pod-identity mode.
    """

    cluster_name: pulumi.Output[str]
    """The EKS cluster's name (resolves once the cluster exists)."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key that encrypts Kubernetes Secrets."""
    oidc_provider_arn: pulumi.Output[str]
    """ARN of the cluster's IAM OIDC provider, for IRSA trust policies."""
    oidc_issuer: pulumi.Output[str]
    """The cluster's OIDC issuer as EKS reports it, without ``https://`` (IAM condition keys use this form)."""
    kubeconfig: pulumi.Output[str]
    """The kubeconfig (JSON, secret); it calls ``aws eks get-token`` and holds no static credential."""
    provider: k8s.Provider
    """The Kubernetes provider for this cluster: pass it to every Kubernetes resource."""
    identity: ClusterIdentity
    """The cluster's identity handle (name, ARN, OIDC provider and issuer, the Pod Identity agent on demand, or
    installed already with ``pod_identity_agent``): pass it to ``AppSecrets`` and ``ExternalSecretsOperator``."""

    def __init__(self, name: str, args: SecureClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = _Settings(args)
        super().__init__("eks-config-secrets:index:SecureCluster", name, None, opts)
        protect = settings.protect
        policy_arn = f"arn:{settings.partition}:iam::aws:policy"

        # Our own cluster role, so that the key policy can name it. Protected with the key: a key policy pins the
        # role's unique id, so a recreated role of the same name could no longer decrypt the cluster's Secrets.
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            description=f"EKS cluster role of {settings.cluster_name}",
            assume_role_policy=json.dumps(service_trust_policy("eks.amazonaws.com")),
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn=f"{policy_arn}/AmazonEKSClusterPolicy",
            opts=pulumi.ResourceOptions(parent=self),
        )

        if settings.kms_key_arn is None:
            key_args: EnvelopeEncryptionKeyArgs = {
                "cluster_role_arn": cluster_role.arn,
                "account_id": args["account_id"],
                "partition": settings.partition,
                "deletion_window_days": settings.kms_deletion_window_days,
                "alias_name": f"alias/eks/{settings.cluster_name}",
                "description": f"EKS envelope encryption of Kubernetes Secrets in {settings.cluster_name}",
                "protect": protect,
            }
            if settings.tags is not None:
                key_args["tags"] = settings.tags
            key = EnvelopeEncryptionKey(f"{name}-secrets-key", key_args, opts=pulumi.ResourceOptions(parent=self))
            kms_key_arn: pulumi.Input[str] = key.key_arn
        else:
            kms_key_arn = settings.kms_key_arn

        # EKS writes control-plane logs to this exact name; creating it first makes it ours, with retention, rather
        # than an orphan that EKS creates on first write, never expires and `pulumi destroy` leaves behind.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{settings.cluster_name}/cluster",
            retention_in_days=settings.log_retention_days,
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )

        cluster = eks.Cluster(
            f"{name}-eks",
            name=settings.cluster_name,
            version=settings.version,
            service_role=cluster_role,
            encryption_config_key_arn=kms_key_arn,
            create_oidc_provider=True,
            enabled_cluster_log_types=settings.log_types,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries={_entry_key(principal): entry for principal, entry in settings.access_entries},
            vpc_id=settings.vpc_id,
            subnet_ids=settings.subnet_ids,
            endpoint_private_access=settings.endpoint_private_access,
            endpoint_public_access=settings.endpoint_public_access,
            public_access_cidrs=settings.public_access_cidrs or None,
            skip_default_node_group=True,
            # The default node and cluster security groups serve only pulumi-eks's own node groups; a managed node
            # group uses the cluster security group that EKS creates (pulumi-eks nodejs/eks/cluster/cluster.ts).
            skip_default_security_groups=True,
            # pulumi-eks adds the coredns add-on only when it creates a node group (cluster.ts, `corednsAddon`);
            # ours is created below, after our node group, so say so rather than rely on that condition.
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=settings.support_type),
            # The cluster is kept by EKS's own deletion protection, not by `protect` on this remote component:
            # the pulumi-eks provider passes a component's protect on to every child (access entries included).
            deletion_protection=protect,
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, cluster_policy]),
        )

        node_role = aws.iam.Role(
            f"{name}-node-role",
            description=f"EKS managed node group role of {settings.cluster_name}",
            assume_role_policy=json.dumps(service_trust_policy("ec2.amazonaws.com")),
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=node_role.name,
                policy_arn=f"{policy_arn}/{policy}",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
        ]
        # pulumi-eks's `enableIMDSv2` builds a launch template with a hop limit of 2 (nodejs/eks/nodes/nodegroup.ts,
        # createMNGCustomLaunchTemplate), which lets every pod reach the node role's credentials through IMDS and
        # undoes the per-app roles. Our own template requires IMDSv2 with a hop limit of 1: only the node itself
        # (and hostNetwork pods such as the VPC CNI and the Pod Identity agent) reach IMDS. No AMI or user data,
        # so EKS keeps choosing the AMI and bootstrapping the nodes.
        launch_template = aws.ec2.LaunchTemplate(
            f"{name}-nodes-launch-template",
            description=f"IMDSv2 with hop limit 1 for the nodes of {settings.cluster_name}",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
            ),
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # No access entry for the node role here: with authentication mode API, EKS itself creates the EC2_LINUX
        # access entry of a managed node group's role (a second one would fail with ResourceInUseException), and
        # pulumi-eks only requires instanceRoles in CONFIG_MAP mode.
        self._node_group = eks.ManagedNodeGroup(
            f"{name}-nodes",
            cluster=cluster,
            node_role=node_role,
            # With a launch template pulumi-eks no longer defaults the version to the cluster's (nodegroup.ts).
            version=settings.version,
            instance_types=settings.instance_types,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.min_size, desired_size=settings.desired_size, max_size=settings.max_size
            ),
            operating_system=eks.OperatingSystem.AL2023,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=launch_template.id, version=launch_template.latest_version.apply(str),
            ),
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=node_policies),
        )
        cluster_name = settings.cluster_name
        # The name is ours, but taking it through a cluster output makes users of it wait until the cluster exists.
        self.cluster_name = cluster.oidc_issuer.apply(lambda _issuer: cluster_name)
        # CoreDNS as a managed add-on, so that EKS upgrades it with the cluster; it needs nodes to become healthy.
        # OVERWRITE takes over the self-managed CoreDNS that EKS bootstraps (bootstrapSelfManagedAddons).
        self.coredns = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=self.cluster_name,
            addon_name="coredns",
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=settings.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._node_group]),
        )

        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            # Without these, pulumi-kubernetes replaces a named ConfigMap or Secret on every data change, and
            # replaces it delete-first because the name is fixed (provider Diff; pulumi/pulumi-kubernetes#1567):
            # pods starting in that window fail. With them the change is an update, and the checksum annotation
            # rolls the pods that read it.
            enable_config_map_mutable=True,
            enable_secret_mutable=True,
            # A new kubeconfig (a rotated endpoint or token command) would otherwise replace the provider and with
            # it every Kubernetes object of the cluster (pulumi/pulumi-eks#764); the cluster's name is stable.
            cluster_identifier=settings.cluster_name,
            # Everything on this provider waits for the nodes: Helm releases run hook Jobs and wait for their pods
            # (the CSI driver chart's CRD job), and Deployments would otherwise start before any node exists.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._node_group]),
        )
        self.kms_key_arn = pulumi.Output.from_input(kms_key_arn)
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.oidc_issuer = cluster.oidc_issuer
        self._name = name
        self._tags = settings.tags
        self._pod_identity_agent: aws.eks.Addon | None = None
        partition, region = settings.partition, settings.region
        self.identity = ClusterIdentity(
            cluster_name=self.cluster_name,
            cluster_arn=pulumi.Output.all(self.cluster_name, args["account_id"]).apply(
                lambda v: eks_cluster_arn(v[0], partition=partition, region=region, account_id=v[1])),
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_issuer=self.oidc_issuer,
            pod_identity_agent_addon=self.pod_identity_agent() if settings.pod_identity_agent else None,
            agent=self.pod_identity_agent,
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "kms_key_arn": self.kms_key_arn,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer": self.oidc_issuer,
                "kubeconfig": self.kubeconfig,
            }
        )

    def pod_identity_agent(self) -> aws.eks.Addon:
        """The ``eks-pod-identity-agent`` add-on of this cluster, created on the first call and shared after.

        EKS Pod Identity needs the agent DaemonSet on every node; it is installed after the node group, because
        EKS reports a DaemonSet add-on healthy only once it runs on nodes.
        """
        if self._pod_identity_agent is None:
            self._pod_identity_agent = aws.eks.Addon(
                f"{self._name}-pod-identity-agent",
                cluster_name=self.cluster_name,
                addon_name=_POD_IDENTITY_AGENT,
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self._node_group]),
            )
        return self._pod_identity_agent


def deploying_principal() -> str:
    """The IAM role or user that runs this program, as access entries name it.

    STS reports an assumed role as its session (``arn:aws:sts::<account>:assumed-role/<name>/<session>``), which
    has lost the role's path; ``iam:GetRole`` through the session context gives the role's own ARN back.
    """
    caller = aws.get_caller_identity()
    return aws.iam.get_session_context(arn=caller.arn).issuer_arn
