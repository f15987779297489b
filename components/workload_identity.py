"""One workload identity: an IAM role that can read exactly its Secrets Manager secrets, bound to one ServiceAccount."""


import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.iam_policies import (
    CSI_PARAMETER_ACTIONS,
    assume_roles_policy,
    eks_cluster_arn,
    in_region,
    irsa_trust_policy,
    owner_grants,
    parameter_arn,
    pod_identity_trust_policy,
    role_trust_policy,
    secret_arn,
    secrets_read_policy,
)
from components.validation import (
    SettingsError,
    apply_input,
    check_account_id,
    check_arn,
    check_bool,
    check_dns1123_label_input,
    check_dns1123_subdomain,
    check_failover_region,
    check_no_wildcard,
    check_partition,
    check_region,
    check_unique,
)

__all__ = ["MODES", "WorkloadIdentity", "WorkloadIdentityArgs", "check_target_role_arn", "check_target_role_mode",
           "pod_identity_trust"]

MODES = ("irsa", "pod-identity", "assumed-by-role")
_ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"


class WorkloadIdentityArgs(TypedDict):
    namespace: pulumi.Input[str]
    """Namespace of the ServiceAccount (it must exist, or be created before this component; an Output, such as
    ``Environment.namespace``, is checked once it resolves)."""
    service_account_name: str
    """Name of the ServiceAccount created here; only pods running as it get the role. Plain: it names the
    ServiceAccount this component creates."""
    secrets: Sequence[pulumi.Input[str]]
    """Secrets Manager secrets the role may read, by name (in ``region`` and ``account_id``) or ARN. At least one
    secret or parameter; the role gets ``GetSecretValue`` and ``DescribeSecret`` on exactly these."""
    parameters: NotRequired[Sequence[pulumi.Input[str]]]
    """SSM parameters the role may read, by name (in ``region`` and ``account_id``) or ARN; no wildcard. Omitted:
    none."""
    parameter_actions: NotRequired[Sequence[str]]
    """The SSM actions granted on ``parameters``: what the reading backend calls
    (``iam_policies.CSI_PARAMETER_ACTIONS`` or ``ESO_PARAMETER_ACTIONS``). Omitted: the CSI provider's."""
    parameter_kms_key_arns: NotRequired[Sequence[pulumi.Input[str]]]
    """Customer-managed keys of SecureString parameters: ``kms:Decrypt`` through SSM in the key's region only.
    Omitted: none (the AWS managed key ``aws/ssm`` needs no grant)."""
    failover_region: NotRequired[str]
    """A second region the secrets and parameters are read from as well (the CSI provider's ``failoverRegion``):
    the role may read each of them there too (a replica has its primary's name, and an ARN's replica differs only
    in its region). Keys of replicas go in ``kms_key_arns``. Omitted: none."""
    target_role_arn: NotRequired[pulumi.Input[str]]
    """A role in the account that owns the secrets, to chain to in ``pod-identity`` mode (the association's
    ``targetRoleArn``): the pods then act as that role, and this role may only assume it. The owner creates it
    from ``owner_grants`` (its trust policy, pinned to this role and the association's external id, and the read
    policy). Omitted: none, this role reads the secrets itself."""
    trusted_role_arn: NotRequired[pulumi.Input[str]]
    """The IAM role that assumes this one (the External Secrets Operator's own Pod Identity role). Required in
    ``assumed-by-role`` mode, refused otherwise."""
    region: str
    """AWS region of the secrets given by name. Plain: the names of secrets are checked against it up front."""
    account_id: pulumi.Input[str]
    """AWS account of the secrets given by name, and of the cluster pinned in the Pod Identity trust policy."""
    partition: NotRequired[str]
    """AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``). Omitted: ``aws``."""
    mode: NotRequired[str]
    """``irsa`` (IAM roles for service accounts: the cluster's OIDC provider, a role-arn annotation) or
    ``pod-identity`` (EKS Pod Identity: a PodIdentityAssociation) or ``assumed-by-role`` (assumed by
    ``trusted_role_arn``; the ServiceAccount carries no credentials). Omitted: ``irsa``. Plain: it decides which
    resources exist."""
    oidc_provider_arn: NotRequired[pulumi.Input[str]]
    """The cluster's IAM OIDC provider ARN (``SecureCluster.oidc_provider_arn``). Required in ``irsa`` mode."""
    oidc_issuer: NotRequired[pulumi.Input[str]]
    """The cluster's OIDC issuer as EKS reports it (``SecureCluster.oidc_issuer``). Required in ``irsa`` mode."""
    pod_identity_agent: NotRequired[aws.eks.Addon]
    """The cluster's ``eks-pod-identity-agent`` add-on (``SecureCluster.pod_identity_agent()``): the association is
    made on its cluster, after it. Required in ``pod-identity`` mode."""
    kms_key_arns: NotRequired[Sequence[pulumi.Input[str]]]
    """Customer-managed KMS keys of the secrets: ``kms:Decrypt`` through Secrets Manager in ``region`` only.
    Omitted: none (secrets encrypted with the AWS managed key ``aws/secretsmanager`` need no KMS permission)."""
    managed_policy_arns: NotRequired[Sequence[str]]
    """Further IAM managed policies attached to the role. Omitted: none. Plain: each attachment is a resource
    named after its policy."""
    automount_service_account_token: NotRequired[bool]
    """Mount the ServiceAccount's Kubernetes API token into pods. Omitted: false (the AWS credentials come from a
    separate projected token; most apps never call the Kubernetes API)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the AWS resources. Omitted: none."""


def pod_identity_trust(agent: aws.eks.Addon, account_id: pulumi.Input[str], *, partition: str, region: str,
                       namespace: pulumi.Input[str], service_account: str) -> pulumi.Output[str]:
    """The Pod Identity trust policy (JSON) of a role for one ServiceAccount of the agent's cluster: the one whose
    Pod Identity association binds the role."""
    return pulumi.Output.all(account_id, agent.cluster_name, namespace).apply(
        lambda v: json.dumps(pod_identity_trust_policy(
            cluster_arn=eks_cluster_arn(v[1], partition=partition, region=region, account_id=v[0]),
            namespace=v[2], service_account=service_account)))


def check_target_role_arn(arn: str, setting: str) -> str:
    """Return ``arn`` if it names one IAM role exactly (no wildcard): the role Pod Identity chains to."""
    check_no_wildcard(arn, setting, "IAM role")
    return check_arn(arn, setting, service="iam", resource_prefix="role/")


def check_target_role_mode(target: object, mode: str, setting: str, needs: str = "mode pod-identity") -> None:
    """Refuse a target role (``setting``) unless ``mode`` is pod-identity: only the workload's own EKS Pod Identity
    association chains to it (the association's ``targetRoleArn``). ``needs`` names what makes that mode, as the
    caller's settings spell it."""
    if target is not None and mode != "pod-identity":
        raise SettingsError(setting, target, f"needs {needs}: only the workload's own EKS Pod Identity association "
                                             "chains to it (its targetRoleArn)")


def _check_input_strings(value: object, setting: str, check: Any, allow_empty: bool) -> list[pulumi.Input[str]]:
    """Check a list of Input[str]: plain strings now, Outputs once they resolve (with the same message)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or (not value and not allow_empty):
        raise SettingsError(setting, value, "must be a list" + ("" if allow_empty else " with at least one item"))
    checked: list[pulumi.Input[str]] = []
    for i, item in enumerate(value):
        if not isinstance(item, str | pulumi.Output):
            raise SettingsError(f"{setting}[{i}]", item, "is not a string")
        checked.append(apply_input(item, functools.partial(_checked, check, setting=f"{setting}[{i}]")))
    return checked


def _checked(check: Any, value: str, setting: str) -> str:
    check(value, setting)
    return value


class WorkloadIdentity(pulumi.ComponentResource):
    """An IAM role for one Kubernetes ServiceAccount that can read exactly the listed Secrets Manager secrets.

    In ``irsa`` mode the role trusts the cluster's OIDC provider for that ServiceAccount only (``sub`` and ``aud``
    pinned) and the ServiceAccount carries the ``eks.amazonaws.com/role-arn`` annotation. In ``pod-identity`` mode
    the role trusts ``pods.eks.amazonaws.com`` and a PodIdentityAssociation binds it to the ServiceAccount.
    The ServiceAccount is a Kubernetes object: give the component the cluster's provider through
    ``opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider})``.
    """

    role_arn: pulumi.Output[str]
    """ARN of the IAM role."""
    role_name: pulumi.Output[str]
    """Name of the IAM role."""
    service_account_name: pulumi.Output[str]
    """Name of the ServiceAccount (resolves once it exists)."""
    namespace: pulumi.Output[str]
    """Namespace of the ServiceAccount."""
    owner_grants: pulumi.Output[list[dict[str, Any]]]
    """What other accounts must apply for this role to read their secrets: per secret of another account, its
    resource policy and the key policy statement of its key; per parameter of another account, its RAM share with
    this account and its key's statement (``iam_policies.owner_grants``); with ``target_role_arn``, the target
    role's trust and permissions policies. Empty when every secret and parameter is in ``account_id``."""

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        prefix = "WorkloadIdentityArgs"
        namespace = check_dns1123_label_input(args["namespace"], f"{prefix}.namespace")
        service_account = check_dns1123_subdomain(args["service_account_name"], f"{prefix}.service_account_name")
        mode = args.get("mode", "irsa")
        if mode not in MODES:
            raise SettingsError(f"{prefix}.mode", mode, f"is not one of: {', '.join(MODES)}")
        region = check_region(args["region"], f"{prefix}.region")
        partition = check_partition(args.get("partition", "aws"), f"{prefix}.partition")
        account_id = args["account_id"]
        if isinstance(account_id, str):
            check_account_id(account_id, f"{prefix}.account_id")

        def check_secret(value: str, setting: str) -> None:
            # A name is checked now with a stand-in account: the real one may be an Output, known only later.
            try:
                secret_arn(value, partition=partition, region=region, account_id="000000000000")
            except SettingsError as error:
                raise SettingsError(setting, error.value, error.expected) from None

        def check_parameter(value: str, setting: str) -> None:
            try:
                parameter_arn(value, partition=partition, region=region, account_id="000000000000")
            except SettingsError as error:
                raise SettingsError(setting, error.value, error.expected) from None

        def check_key(value: str, setting: str) -> None:
            check_arn(value, setting, service="kms", resource_prefix="key/")

        parameters = list(args.get("parameters", []))
        secrets = _check_input_strings(args["secrets"], f"{prefix}.secrets", check_secret,
                                       allow_empty=bool(parameters))
        parameters = _check_input_strings(parameters, f"{prefix}.parameters", check_parameter, allow_empty=True)
        kms_key_arns = _check_input_strings(args.get("kms_key_arns", []), f"{prefix}.kms_key_arns", check_key,
                                            allow_empty=True)
        parameter_keys = _check_input_strings(args.get("parameter_kms_key_arns", []),
                                              f"{prefix}.parameter_kms_key_arns", check_key, allow_empty=True)
        parameter_actions = tuple(args.get("parameter_actions", CSI_PARAMETER_ACTIONS))
        failover = args.get("failover_region")
        if failover is not None:
            check_failover_region(check_region(failover, f"{prefix}.failover_region"), region,
                                  f"{prefix}.failover_region")
        managed = args.get("managed_policy_arns", [])
        for i, arn in enumerate(managed):
            check_arn(arn, f"{prefix}.managed_policy_arns[{i}]", service="iam", resource_prefix="policy/")
        # Each attachment is named after its policy, so that reordering the list replaces nothing.
        check_unique((arn.rsplit("/", 1)[-1] for arn in managed), f"{prefix}.managed_policy_arns")
        automount = check_bool(args.get("automount_service_account_token", False),
                               f"{prefix}.automount_service_account_token")
        agent = args.get("pod_identity_agent")
        if (mode == "assumed-by-role") != ("trusted_role_arn" in args):
            raise SettingsError(f"{prefix}.trusted_role_arn", args.get("trusted_role_arn"),
                                "is required in assumed-by-role mode and only used there")
        if mode == "assumed-by-role":
            if agent is not None or "oidc_provider_arn" in args:
                raise SettingsError(f"{prefix}.mode", mode, "takes neither pod_identity_agent nor the OIDC provider: "
                                                            "the pods get no credentials of their own")
        elif mode == "irsa":
            for key in ("oidc_provider_arn", "oidc_issuer"):
                if key not in args:
                    raise SettingsError(
                        f"{prefix}.{key}", None, "is required in irsa mode (take it from SecureCluster)"
                    )
            if agent is not None:
                raise SettingsError(f"{prefix}.pod_identity_agent", agent, "is only used in pod-identity mode")
            oidc_provider_arn = args["oidc_provider_arn"]
            if isinstance(oidc_provider_arn, str):
                check_arn(oidc_provider_arn, f"{prefix}.oidc_provider_arn", service="iam",
                          resource_prefix="oidc-provider/")
        elif not isinstance(agent, aws.eks.Addon):
            raise SettingsError(
                f"{prefix}.pod_identity_agent", agent,
                "is required in pod-identity mode: the eks-pod-identity-agent add-on "
                "(SecureCluster.pod_identity_agent())",
            )
        tags = dict(args["tags"]) if "tags" in args else None
        target = args.get("target_role_arn")
        check_target_role_mode(target, mode, f"{prefix}.target_role_arn")
        if target is not None:
            target = apply_input(target, functools.partial(check_target_role_arn, setting=f"{prefix}.target_role_arn"))

        super().__init__("eks-config-secrets:index:WorkloadIdentity", name, None, opts)

        if mode == "irsa":
            trust = pulumi.Output.all(args["oidc_provider_arn"], args["oidc_issuer"], namespace).apply(
                lambda v: json.dumps(irsa_trust_policy(v[0], v[1], v[2], service_account))
            )
        elif mode == "assumed-by-role":
            # ESO assumes the store's role with a plain AssumeRole (no session tags: providers/v1/aws/auth/auth.go).
            trust = pulumi.Output.from_input(args["trusted_role_arn"]).apply(
                lambda arn: json.dumps(role_trust_policy(arn, tag_session=False)))
        else:
            trust = pod_identity_trust(cast(aws.eks.Addon, agent), account_id, partition=partition, region=region,
                                       namespace=namespace, service_account=service_account)
        role = aws.iam.Role(
            f"{name}-role",
            description=apply_input(namespace, lambda ns: f"Workload identity of {ns}/{service_account} ({mode})"),
            assume_role_policy=trust,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        def arns(account: str, names: Sequence[str], parameters: Sequence[str]) -> tuple[list[str], list[str]]:
            def everywhere(arn: str) -> list[str]:
                return [arn] if failover is None else [arn, in_region(arn, failover)]

            return ([a for n in names for a in everywhere(secret_arn(n, partition=partition, region=region,
                                                                      account_id=account))],
                    [a for n in parameters for a in everywhere(parameter_arn(n, partition=partition, region=region,
                                                                             account_id=account))])

        def read(values: list[Any]) -> dict[str, Any]:
            account, names, keys, secure_keys, parameter_names = values
            secret_arns, parameter_arns = arns(account, names, parameter_names)
            return secrets_read_policy(secret_arns, kms_key_arns=keys, region=region, parameter_arns=parameter_arns,
                                       parameter_actions=parameter_actions, parameter_kms_key_arns=secure_keys,
                                       failover_region=failover)

        resolved = pulumi.Output.all(account_id, pulumi.Output.all(*secrets), pulumi.Output.all(*kms_key_arns),
                                     pulumi.Output.all(*parameter_keys), pulumi.Output.all(*parameters))
        read_policy = resolved.apply(read)
        # Inline: the grant lives and dies with this role and can never be attached to another principal. Chained
        # to a target role, this role only assumes it (with the session tags EKS passes); the target reads.
        aws.iam.RolePolicy(
            f"{name}-secrets-read" if target is None else f"{name}-assume-target",
            role=role.id,
            name="secrets-read" if target is None else "assume-target-role",
            policy=read_policy.apply(json.dumps) if target is None
            else pulumi.Output.from_input(target).apply(
                lambda arn: json.dumps(assume_roles_policy([arn], tag_session=True))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for arn in managed:
            aws.iam.RolePolicyAttachment(
                f"{name}-{arn.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=arn,
                opts=pulumi.ResourceOptions(parent=self),
            )

        annotations = {_ROLE_ARN_ANNOTATION: role.arn} if mode == "irsa" else None
        service_account_resource = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=service_account, namespace=namespace, annotations=annotations),
            automount_service_account_token=automount,
            opts=pulumi.ResourceOptions(parent=self),
        )
        external_id: pulumi.Output[str] | None = None
        if isinstance(agent, aws.eks.Addon):
            association = aws.eks.PodIdentityAssociation(
                f"{name}-pod-identity",
                # The agent's cluster: the association is on the cluster whose nodes run the agent.
                cluster_name=agent.cluster_name,
                namespace=namespace,
                service_account=service_account,
                role_arn=role.arn,
                target_role_arn=target,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[agent]),
            )
            external_id = association.external_id

        def grants(values: list[Any]) -> list[dict[str, Any]]:
            role_arn, chained_id, (account, names, keys, secure_keys, parameter_names), policy, chained_to = values
            if chained_to is not None:
                return [{"account": chained_to.split(":")[4], "role": chained_to,
                         "trust_policy": role_trust_policy(role_arn, tag_session=True, external_id=chained_id),
                         "permissions_policy": policy}]
            secret_arns, parameter_arns = arns(account, names, parameter_names)
            return owner_grants(secret_arns, keys, role_arn, account, parameter_arns=parameter_arns,
                                parameter_kms_key_arns=secure_keys)

        self.owner_grants = pulumi.Output.all(role.arn, external_id, resolved, read_policy, target).apply(grants)

        self.role_arn = role.arn
        self.role_name = role.name
        self.service_account_name = service_account_resource.metadata.apply(lambda m: str(m["name"]))
        self.namespace = pulumi.Output.from_input(namespace)
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "role_name": self.role_name,
                "service_account_name": self.service_account_name,
                "namespace": self.namespace,
                "owner_grants": self.owner_grants,
            }
        )
