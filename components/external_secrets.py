"""The External Secrets Operator, the alternative backend, and builders of its SecretStore and ExternalSecret."""

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.conventions import ESO_CHART
from components.handles import AwsTarget, ClusterIdentity
from components.helm import PinnedChart, pinned_release
from components.iam_policies import assume_roles_policy
from components.validation import (
    DATA_KEY,
    STACK_FILE_FORM,
    MissingSettingError,
    SettingsError,
    check_arn,
    check_dns1123_label,
    check_dns1123_label_input,
    check_dns1123_subdomain,
    check_no_wildcard,
    check_region,
    parse_go_duration,
)
from components.workload_identity import pod_identity_trust

__all__ = [
    "API_VERSION",
    "AWS_SERVICES",
    "CHART",
    "DEFAULT_NAMESPACE",
    "DEFAULT_REFRESH_INTERVAL",
    "OPERATOR_SERVICE_ACCOUNT",
    "PULUMI_CLOUD_NAME",
    "STORE_KINDS",
    "ExternalSecret",
    "ExternalSecretArgs",
    "ExternalSecretsOperator",
    "ExternalSecretsOperatorArgs",
    "ExternalSecretsOperatorSettings",
    "RemoteKey",
    "SecretStoreArgs",
    "check_esc_organization",
    "esc_store_manifest",
    "external_secret_documents",
    "external_secret_manifest",
    "operator_values",
    "secret_store_manifest",
]

DEFAULT_NAMESPACE = "external-secrets"
"""Namespace of the operator's release when ``ExternalSecretsOperatorArgs.namespace`` is omitted."""
DEFAULT_REFRESH_INTERVAL = "1h"
"""How often an ExternalSecret re-reads its source when ``ExternalSecretsOperatorArgs.refresh_interval`` is
omitted."""

CHART: PinnedChart = {"chart": ESO_CHART, "version": "2.9.0", "repo": "https://charts.external-secrets.io"}
# Chart 2.9.0 serves external-secrets.io/v1 only; v1beta1 is still in the CRD but not served since v0.17.
API_VERSION = "external-secrets.io/v1"
STORE_KINDS = ("SecretStore", "ClusterSecretStore")
AWS_SERVICES = ("SecretsManager", "ParameterStore")
"""The AWS services a store of ours reads (the CRD's ``provider.aws.service`` enum also has CertificateManager)."""
OPERATOR_SERVICE_ACCOUNT = "external-secrets"
"""The controller's ServiceAccount, pinned in the chart values: its Pod Identity association names it."""
PULUMI_CLOUD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
"""A Pulumi Cloud name: organizations, ESC projects and environments are letters, digits, '-', '_' and '.'."""


class RemoteKey(TypedDict):
    secret_key: str
    """Key in the target Kubernetes Secret ([-._a-zA-Z0-9]+)."""
    remote_key: pulumi.Input[str]
    """Secrets Manager secret name or ARN, SSM parameter name, or the path of a value in a Pulumi ESC environment
    (as its store reads them; an Output once it resolves)."""
    property: NotRequired[str]
    """JSON key inside the secret. Omitted: the whole secret string."""
    store: NotRequired[str]
    """The SecretStore to read this key from (``sourceRef.storeRef``), when it is not the ExternalSecret's own
    ``store`` (an app reading both Secrets Manager and Parameter Store has one store per service). Omitted: the
    ExternalSecret's ``store``."""


def operator_values(*, pin_service_account: bool = False) -> dict[str, Any]:
    """Chart values: the chart installs its own CRDs (``installCRDs``), so custom resources can depend on the
    release. Set although it is the chart's default: the CRD dependency of every store relies on it. With
    ``pin_service_account`` the controller's ServiceAccount is named :data:`OPERATOR_SERVICE_ACCOUNT` (the chart
    otherwise derives it from the release name), so that a Pod Identity association can name it."""
    values: dict[str, Any] = {"installCRDs": True}
    if pin_service_account:
        values["serviceAccount"] = {"name": OPERATOR_SERVICE_ACCOUNT}
    return values


def _check_store_kind(kind: str, setting: str) -> None:
    if kind not in STORE_KINDS:
        raise SettingsError(setting, kind, f"is not one of: {', '.join(STORE_KINDS)}")


def secret_store_manifest(
    name: str,
    namespace: pulumi.Input[str],
    *,
    region: str,
    service_account: str | None = None,
    role: str | None = None,
    service: str = "SecretsManager",
    kind: str = "SecretStore",
) -> dict[str, Any]:
    """A store for Secrets Manager or Parameter Store (``service``) that authenticates in one of two ways.

    ``service_account``: as that ServiceAccount through IRSA (its role-arn annotation). ``role``: the operator
    assumes this role with its own credentials (its EKS Pod Identity), the external-secrets.io "AWS access"
    pattern; ESO cannot combine a store-level ``serviceAccountRef`` with Pod Identity. Exactly one of the two.
    ``kind`` ``SecretStore`` (namespaced, the ServiceAccount in its namespace) or ``ClusterSecretStore`` (cluster
    scoped: ``namespace`` is then the ServiceAccount's namespace only).
    """
    _check_store_kind(kind, "secret_store_manifest kind")
    check_dns1123_subdomain(name, f"{kind} name")
    namespace = check_dns1123_label_input(namespace, f"{kind} namespace")
    check_region(region, f"{kind} region")
    if service not in AWS_SERVICES:
        raise SettingsError(f"{kind} service", service, f"is not one of: {', '.join(AWS_SERVICES)}")
    if (service_account is None) == (role is None):
        raise SettingsError(f"{kind} auth", {"service_account": service_account, "role": role},
                            "needs exactly one of service_account (IRSA) and role (assumed by the operator)")
    metadata = {"name": name, "namespace": namespace}
    if kind == "ClusterSecretStore":
        metadata = {"name": name}
    aws_provider: dict[str, Any] = {"service": service, "region": region}
    if role is not None:
        check_no_wildcard(role, f"{kind} role", "IAM role")
        aws_provider["role"] = check_arn(role, f"{kind} role", service="iam", resource_prefix="role/")
    else:
        service_account_ref: dict[str, pulumi.Input[str]] = {
            "name": check_dns1123_subdomain(service_account, f"{kind} service_account")}
        if kind == "ClusterSecretStore":
            # A cluster-scoped store has no namespace of its own: the reference must say where the ServiceAccount is.
            service_account_ref["namespace"] = namespace
        aws_provider["auth"] = {"jwt": {"serviceAccountRef": service_account_ref}}
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": {"provider": {"aws": aws_provider}}}


def esc_store_manifest(
    name: str,
    namespace: pulumi.Input[str],
    *,
    organization: str,
    project: str,
    environment: str,
    service_account: str,
) -> dict[str, Any]:
    """A store for one Pulumi ESC environment (ESO's ``pulumi`` provider) that signs in by OIDC with a token of
    ``service_account``, never a long-lived Pulumi access token in a Kubernetes Secret.

    Pulumi Cloud must trust the cluster's OIDC issuer for ``organization`` (an OIDC issuer with a policy on the
    token's ``sub``, ``system:serviceaccount:<namespace>:<service_account>``); that is configured in Pulumi Cloud,
    not here. The CRD (chart 2.9.0) accepts exactly one of ``auth.accessToken`` and ``auth.oidcConfig``.
    """
    check_dns1123_subdomain(name, "SecretStore name")
    namespace = check_dns1123_label_input(namespace, "SecretStore namespace")
    for setting, value in (("organization", organization), ("project", project), ("environment", environment)):
        if not isinstance(value, str) or not PULUMI_CLOUD_NAME.match(value):
            raise SettingsError(f"SecretStore pulumi {setting}", value,
                                "is not a Pulumi Cloud name (letters, digits, '-', '_' and '.')")
    check_dns1123_subdomain(service_account, "SecretStore service_account")
    return {
        "apiVersion": API_VERSION,
        "kind": "SecretStore",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"provider": {"pulumi": {
            "organization": organization,
            "project": project,
            "environment": environment,
            "auth": {"oidcConfig": {"organization": organization, "serviceAccountRef": {"name": service_account}}},
        }}},
    }


def external_secret_manifest(
    name: str,
    namespace: pulumi.Input[str],
    *,
    store: str,
    target: str,
    refresh_interval: str,
    data: Sequence[RemoteKey],
    store_kind: str = "SecretStore",
) -> dict[str, Any]:
    """An ExternalSecret that keeps the Kubernetes Secret ``target`` in step with Secrets Manager."""
    check_dns1123_subdomain(name, "ExternalSecret name")
    namespace = check_dns1123_label_input(namespace, "ExternalSecret namespace")
    check_dns1123_subdomain(store, "ExternalSecret store")
    _check_store_kind(store_kind, "ExternalSecret store_kind")
    check_dns1123_subdomain(target, "ExternalSecret target")
    parse_go_duration(refresh_interval, "ExternalSecret refresh_interval")
    if not data:
        raise SettingsError("ExternalSecret data", [], "is empty: fetch at least one key")
    entries = []
    keys: set[str] = set()
    for i, item in enumerate(data):
        if not DATA_KEY.match(item["secret_key"]):
            raise SettingsError(f"ExternalSecret data[{i}].secret_key", item["secret_key"],
                                "is not a Secret key ([-._a-zA-Z0-9]+)")
        if item["secret_key"] in keys:
            raise SettingsError(f"ExternalSecret data[{i}].secret_key", item["secret_key"],
                                "is given more than once; keys must be unique")
        keys.add(item["secret_key"])
        # An Output (a secret another stack names) was checked by whoever passed it, once it resolves.
        if item["remote_key"] == "":
            raise SettingsError(f"ExternalSecret data[{i}].remote_key", item["remote_key"], "is empty")
        remote: dict[str, pulumi.Input[str]] = {"key": item["remote_key"]}
        if "property" in item:
            remote["property"] = item["property"]
        entry: dict[str, Any] = {"secretKey": item["secret_key"], "remoteRef": remote}
        if item.get("store", store) != store:
            entry["sourceRef"] = {"storeRef": {
                "name": check_dns1123_subdomain(item["store"], f"ExternalSecret data[{i}].store"), "kind": store_kind}}
        entries.append(entry)
    return {
        "apiVersion": API_VERSION,
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "refreshInterval": refresh_interval,
            "secretStoreRef": {"name": store, "kind": store_kind},
            # Owner: the Secret is deleted with the ExternalSecret, never left behind with stale credentials.
            "target": {"name": target, "creationPolicy": "Owner"},
            "data": entries,
        },
    }


class SecretStoreArgs(TypedDict):
    name: str
    """The store's name (a DNS-1123 subdomain)."""
    service: NotRequired[str]
    """An AWS store: ``SecretsManager`` or ``ParameterStore``, signing in with ``service_account`` (IRSA) or
    ``role_arn`` (assumed by the operator). Exactly one of ``service`` and ``esc_environment``."""
    service_account: NotRequired[str]
    """The ServiceAccount whose token the store signs in with (IRSA, or Pulumi Cloud's OIDC for ESC)."""
    role_arn: NotRequired[pulumi.Input[str]]
    """An AWS store: the role the operator assumes with its own Pod Identity (instead of ``service_account``)."""
    esc_environment: NotRequired[str]
    """A Pulumi ESC store: ``<project>/<environment>`` in ``organization``."""
    organization: NotRequired[str]
    """The Pulumi Cloud organization of ``esc_environment``."""


class ExternalSecretArgs(TypedDict):
    name: str
    """The ExternalSecret's name."""
    namespace: pulumi.Input[str]
    """Namespace of the stores and the ExternalSecret (an Output is checked once it resolves)."""
    region: str
    """Region of the AWS stores."""
    stores: Sequence[SecretStoreArgs]
    """The stores it reads; the first is the ExternalSecret's own, the others are named per key (``data[].store``).
    At least one."""
    target: str
    """The Kubernetes Secret it writes (owned by the ExternalSecret: deleted with it)."""
    refresh_interval: str
    """How often it re-reads its sources (``ExternalSecretsOperator.refresh_interval``)."""
    data: Sequence[RemoteKey]
    """What to read, key by key."""
    installed_by: Sequence[pulumi.Resource]
    """What the stores and the ExternalSecret are created after: the operator's CRDs
    (``ExternalSecretsOperator.crd_dependencies``) and the ServiceAccount the stores sign in with. At least one."""
    annotations: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Annotations of the ExternalSecret. Omitted: none."""


# A store's role may be known only once it exists; its shape is checked before with this stand-in.
_STAND_IN_ROLE = "arn:aws:iam::000000000000:role/stand-in"
# The logical names of the stores: `store` (Secrets Manager) keeps the name it always had.
_STORE_RESOURCES = {"SecretsManager": "store", "ParameterStore": "parameter-store"}


def _store_manifest(store: SecretStoreArgs, namespace: pulumi.Input[str], region: str,
                    role: str | None = None) -> dict[str, Any]:
    if "esc_environment" in store:
        project, _, environment = store["esc_environment"].partition("/")
        return esc_store_manifest(store["name"], namespace, organization=store.get("organization", ""),
                                  project=project, environment=environment,
                                  service_account=store.get("service_account", ""))
    if role is None and "role_arn" in store:
        role_arn = store["role_arn"]
        role = role_arn if isinstance(role_arn, str) else _STAND_IN_ROLE
    return secret_store_manifest(store["name"], namespace, region=region, service=store.get("service", ""),
                                 role=role, service_account=store.get("service_account") if role is None else None)


def external_secret_documents(args: ExternalSecretArgs) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The stores' manifests and the ExternalSecret's, checked (a role still unknown stands in with a well-formed
    one): what :class:`ExternalSecret` creates, for a caller that checks its arguments before registering."""
    stores = list(args["stores"])
    if not stores:
        raise SettingsError("ExternalSecretArgs.stores", [], "is empty: give the store to read from")
    documents = [_store_manifest(store, args["namespace"], args["region"]) for store in stores]
    external = external_secret_manifest(args["name"], args["namespace"], store=stores[0]["name"],
                                        target=args["target"], refresh_interval=args["refresh_interval"],
                                        data=args["data"])
    if args.get("annotations"):
        external["metadata"] = {**external["metadata"], "annotations": dict(args.get("annotations", {}))}
    return documents, external


class ExternalSecret(pulumi.ComponentResource):
    """An ``external-secrets.io/v1`` ExternalSecret and the SecretStores it reads (AWS Secrets Manager, Parameter
    Store, Pulumi ESC), created after the operator's CRDs: the External Secrets counterpart of
    ``SecretProviderClass``."""

    secret_name: pulumi.Output[str]
    """The Kubernetes Secret the ExternalSecret writes (resolves once the ExternalSecret exists)."""

    def __init__(self, name: str, args: ExternalSecretArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        documents, external = external_secret_documents(args)
        installed_by = list(args["installed_by"])
        if not installed_by:
            raise SettingsError("ExternalSecretArgs.installed_by", [],
                                "is empty: pass the operator's CRDs, so the stores are created after them")
        super().__init__("eks-config-secrets:index:ExternalSecret", name, None, opts)
        # Its children were once the parent's own: the alias keeps them (no replacement) in existing stacks.
        parent = opts.parent if opts is not None else None
        aliases = [pulumi.Alias(parent=parent)] if parent is not None else []
        after = pulumi.ResourceOptions(parent=self, depends_on=installed_by, aliases=aliases)
        stores: list[pulumi.Resource] = []
        for n, (store, document) in enumerate(zip(args["stores"], documents, strict=True)):
            spec: pulumi.Input[Any] = document["spec"]
            if "role_arn" in store and not isinstance(store["role_arn"], str):
                spec = pulumi.Output.all(store["role_arn"]).apply(functools.partial(
                    _role_spec, store, args["namespace"], args["region"]))
            suffix = f"esc-store-{n}" if "esc_environment" in store else _STORE_RESOURCES[store.get("service", "")]
            stores.append(_custom_resource(f"{name}-{suffix}", document, spec, after))
        resource = _custom_resource(f"{name}-external-secret", external, external["spec"],
                                    pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(depends_on=stores)))
        target = args["target"]
        self.secret_name = resource.id.apply(lambda _: target)
        self.register_outputs({"secret_name": self.secret_name})


def _role_spec(store: SecretStoreArgs, namespace: pulumi.Input[str], region: str, role_arn: list[str]) -> Any:
    return _store_manifest(store, namespace, region, role=role_arn[0])["spec"]


def _custom_resource(name: str, manifest: Mapping[str, Any], spec: pulumi.Input[Any],
                     opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    # The type token needs apiVersion and kind as plain strings; `spec` may be known only later (a role ARN).
    return k8s.apiextensions.CustomResource(name, api_version=manifest["apiVersion"], kind=manifest["kind"],
                                            metadata=manifest["metadata"], spec=spec, opts=opts)


@with_config(STACK_FILE_FORM)
class ExternalSecretsOperatorSettings(TypedDict):
    """What a stack file sets of the operator (``secretDelivery.externalSecrets``);
    :class:`ExternalSecretsOperatorArgs` adds the cluster's handles."""

    refresh_interval: NotRequired[str]
    """How often the apps' ExternalSecrets re-read their sources (Go duration; each refresh calls AWS once per
    key). Omitted: :data:`DEFAULT_REFRESH_INTERVAL`."""
    pulumi_organization: NotRequired[str]
    """The Pulumi Cloud organization whose ESC environments apps read (``AppSecretArgs.esc_environment``); its
    stores sign in by OIDC with the app's ServiceAccount token. Omitted: apps cannot read Pulumi ESC."""


def check_esc_organization(organization: str | None, reader: str, setting: str) -> None:
    """Refuse a missing ``pulumi_organization`` (named ``setting``) when ``reader`` reads a Pulumi ESC environment:
    an ESC store names its environment in an organization, and signs in to that organization."""
    if organization is None:
        raise MissingSettingError(setting, f"is required: {reader} reads a Pulumi ESC environment of that "
                                           "organization")


class ExternalSecretsOperatorArgs(ExternalSecretsOperatorSettings):
    namespace: NotRequired[str]
    """Namespace of the operator, created by the release. Omitted: ``external-secrets``. Plain: it names what the
    release creates."""
    cluster: NotRequired[ClusterIdentity]
    """The cluster the operator runs on (``SecureCluster.identity``, or ``ClusterIdentity.from_attributes``): the
    operator then gets an IAM role of its own through EKS Pod Identity (the handle's agent), and stores with a
    ``role`` are read by assuming that role with it (grant it with :meth:`ExternalSecretsOperator.allow_assume`).
    Omitted: no operator identity; stores authenticate as their app's ServiceAccount (IRSA)."""
    target: NotRequired[AwsTarget]
    """The cluster's region, account and partition, pinned in the operator role's trust. Required with
    ``cluster``."""


class ExternalSecretsOperator(pulumi.ComponentResource):
    """The External Secrets Operator Helm release (chart 2.9.0, CRDs included)."""

    crd_dependencies: list[k8s.helm.v3.Release]
    """What SecretStores and ExternalSecrets must depend on: the release that installs their CRDs."""
    role_arn: pulumi.Output[str] | None
    """The operator's own IAM role (with ``cluster``), which stores' roles trust; otherwise None."""
    namespace: pulumi.Output[str]
    """Namespace of the operator."""
    release_name: pulumi.Output[str]
    """Name of the Helm release."""
    refresh_interval: str
    """How often the apps' ExternalSecrets re-read their sources (Go duration)."""
    pulumi_organization: str | None
    """The Pulumi Cloud organization of the ESC environments apps read; None when they read none."""

    def __init__(
        self, name: str, args: ExternalSecretsOperatorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        namespace = check_dns1123_label(args.get("namespace", DEFAULT_NAMESPACE),
                                        "ExternalSecretsOperatorArgs.namespace")
        self.refresh_interval = args.get("refresh_interval", DEFAULT_REFRESH_INTERVAL)
        parse_go_duration(self.refresh_interval, "ExternalSecretsOperatorArgs.refresh_interval")
        self.pulumi_organization = args.get("pulumi_organization")
        cluster, target = args.get("cluster"), args.get("target")
        if cluster is not None and target is None:
            raise SettingsError("ExternalSecretsOperatorArgs.target", None, "is required with cluster")
        # Before this component, as when callers passed it: the cluster's add-on, created once.
        agent = cluster.pod_identity_agent() if cluster is not None else None
        super().__init__("eks-config-secrets:index:ExternalSecretsOperator", name, None, opts)
        self._name = name
        self.role_arn = None
        self._role: aws.iam.Role | None = None
        after: list[pulumi.Resource] = []
        if agent is not None and target is not None:
            trust = pod_identity_trust(agent, target.account_id, partition=target.partition, region=target.region,
                                       namespace=namespace, service_account=OPERATOR_SERVICE_ACCOUNT)
            self._role = aws.iam.Role(f"{name}-role", description=f"External Secrets Operator ({namespace})",
                                      assume_role_policy=trust, opts=pulumi.ResourceOptions(parent=self))
            # Before the controller starts: its first credentials come from this association.
            after.append(aws.eks.PodIdentityAssociation(
                f"{name}-pod-identity", cluster_name=agent.cluster_name, namespace=namespace,
                service_account=OPERATOR_SERVICE_ACCOUNT, role_arn=self._role.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[agent])))
            self.role_arn = self._role.arn
        release = pinned_release(
            f"{name}-release",
            CHART,
            namespace=namespace,
            create_namespace=True,
            values=operator_values(pin_service_account=agent is not None),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        self.crd_dependencies = [release]
        self.namespace = release.namespace.apply(str)
        self.release_name = release.name.apply(str)
        self.register_outputs({"namespace": self.namespace, "release_name": self.release_name,
                               "role_arn": self.role_arn})

    def allow_assume(self, role_arns: Sequence[pulumi.Input[str]]) -> aws.iam.RolePolicy:
        """Let the operator's role assume exactly ``role_arns`` (the roles of the stores that name a ``role``): a
        plain ``sts:AssumeRole``, as ESO calls it without session tags (providers/v1/aws/auth/auth.go). Call it
        once, with every store role."""
        if self._role is None:
            raise SettingsError("ExternalSecretsOperator.allow_assume", list(role_arns),
                                "needs an operator identity: create the operator with its cluster")
        policy = pulumi.Output.all(*role_arns).apply(
            lambda arns: json.dumps(assume_roles_policy(list(arns), tag_session=False)))
        return aws.iam.RolePolicy(f"{self._name}-assume-store-roles", role=self._role.id, name="assume-store-roles",
                                  policy=policy, opts=pulumi.ResourceOptions(parent=self))
