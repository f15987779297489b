"""Everything one app needs to read its Secrets Manager secrets, whichever backend and identity mode."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.access.world import KMS_KEYS_ANNOTATION
from components.external_secrets import RemoteKey, external_secret_manifest, secret_store_manifest
from components.iam_policies import check_partition, check_region, secret_arn
from components.rbac import SecretReader
from components.reloader import reload_on_secrets
from components.secret_provider_class import (
    JmesPathArgs,
    SecretObjectArgs,
    SecretProviderClass,
    SyncedSecretArgs,
    jmes_path_expression,
    secret_provider_class_manifest,
)
from components.validation import SettingsError, check_arn, check_dns1123_label, check_unique
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from components.workloads import csi_secret_volume, env_from_secret_key, read_only_mount, secret_volume

__all__ = ["BACKENDS", "DEFAULT_MOUNT_PATH", "IDENTITIES", "AppSecretArgs", "AppSecretKeyArgs", "AppSecrets",
           "AppSecretsArgs", "check_backend_identity", "check_env_needs_sync", "whole_secret_file"]

DEFAULT_MOUNT_PATH = "/mnt/secrets"
"""Where an app's secret files are mounted when ``AppSecretsArgs.mount_path`` is omitted."""

BACKENDS = ("csi", "external-secrets")
IDENTITIES = ("irsa", "pod-identity")
_VOLUME = "secrets"


class AppSecretKeyArgs(TypedDict):
    file: str
    """File name in the mounted volume, and key of the synced Kubernetes Secret ([-._a-zA-Z0-9]+)."""
    property: NotRequired[str]
    """JSON key inside the secret. Omitted: the whole secret string."""
    env: NotRequired[str]
    """Env var fed from the synced Secret (``secretKeyRef``; changes only when the pod restarts). Omitted: none,
    the key is a file only."""


class AppSecretArgs(TypedDict):
    secret: str
    """Secrets Manager secret name or ARN."""
    keys: Sequence[AppSecretKeyArgs]
    """What to expose of it; at least one, and at most one without ``property`` (the whole secret)."""
    kms_key_arn: NotRequired[str]
    """The secret's customer-managed KMS key: the role then gets ``kms:Decrypt`` through Secrets Manager. Omitted:
    none (the AWS managed key ``aws/secretsmanager`` needs no grant)."""


class AppSecretsArgs(TypedDict):
    namespace: str
    """The app's namespace (it must exist, or be created before this component)."""
    app_name: str
    """The app's name: its ServiceAccount, IAM role, SecretProviderClass or SecretStore, and the synced Secret
    ``<app_name>-secrets`` derive from it."""
    secrets: Sequence[AppSecretArgs]
    """The app's secrets; at least one. Its IAM role can read exactly these."""
    region: str
    """Region of the secrets (and of the SecretProviderClass or SecretStore)."""
    account_id: pulumi.Input[str]
    """Account of the secrets given by name."""
    installed_by: Sequence[pulumi.Resource]
    """The backend's CRD installers (``SecretsStoreCsiDriver.crd_dependencies`` or
    ``ExternalSecretsOperator.crd_dependencies``); the custom resources are created after them. At least one."""
    partition: NotRequired[str]
    """AWS partition. Omitted: ``aws``."""
    backend: NotRequired[str]
    """``csi`` (Secrets Store CSI Driver) or ``external-secrets`` (External Secrets Operator). Omitted: ``csi``."""
    identity: NotRequired[str]
    """``irsa`` or ``pod-identity`` (csi only: ESO's store-level ServiceAccount reference cannot use Pod Identity).
    Omitted: ``irsa``."""
    oidc_provider_arn: NotRequired[pulumi.Input[str]]
    """The cluster's IAM OIDC provider (``SecureCluster.oidc_provider_arn``). Required with ``irsa``."""
    oidc_issuer: NotRequired[pulumi.Input[str]]
    """The cluster's OIDC issuer as EKS reports it (``SecureCluster.oidc_issuer``). Required with ``irsa``."""
    pod_identity_agent: NotRequired[aws.eks.Addon]
    """The cluster's Pod Identity agent add-on (``SecureCluster.pod_identity_agent()``). Required with
    ``pod-identity``."""
    sync_secret: NotRequired[bool]
    """csi: sync the keys into the Kubernetes Secret (must match the driver's ``sync_secret``; env vars need it).
    Omitted: true."""
    refresh_interval: NotRequired[str]
    """external-secrets: how often to re-read Secrets Manager (Go duration). Omitted: ``1h``."""
    mount_path: NotRequired[str]
    """Where the secret files are mounted (read-only). Omitted: ``/mnt/secrets``."""


class AppSecrets(pulumi.ComponentResource):
    """The app's workload identity (least privilege on exactly its secrets), the SecretProviderClass or
    SecretStore + ExternalSecret that delivers them, and a Role that may only ``get`` the synced Secret.

    The pod-spec fragment has the same shape for both backends and both identity modes: ``volumes`` (one volume
    named ``secrets``), ``volume_mounts`` (read-only), ``env`` (``secretKeyRef`` to the synced Secret) and
    ``service_account_name``. With the CSI driver the volume is the CSI volume of the class: mounting it is what
    makes the driver create the synced Secret, so the env entries only work in pods that also mount the volume.
    """

    service_account_name: pulumi.Output[str]
    """The ServiceAccount the app's pods must run as."""
    role_arn: pulumi.Output[str]
    """The app's IAM role."""
    synced_secret_name: str
    """The Kubernetes Secret that holds the app's keys (``<app_name>-secrets``)."""
    volumes: list[dict[str, Any]]
    """Pod volumes: the CSI volume of the class, or a volume of the synced Secret."""
    volume_mounts: list[dict[str, Any]]
    """Read-only container mounts of those volumes."""
    env: list[dict[str, Any]]
    """Container env entries for the keys that name an env var."""
    reload_annotations: dict[str, str]
    """Deployment annotations for Reloader: roll the pods when the synced Secret changes."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        app = check_dns1123_label(args["app_name"], "AppSecretsArgs.app_name")
        namespace = check_dns1123_label(args["namespace"], "AppSecretsArgs.namespace")
        region = check_region(args["region"], "AppSecretsArgs.region")
        partition = check_partition(args.get("partition", "aws"), "AppSecretsArgs.partition")
        backend, identity = args.get("backend", "csi"), args.get("identity", "irsa")
        if backend not in BACKENDS:
            raise SettingsError("AppSecretsArgs.backend", backend, f"is not one of: {', '.join(BACKENDS)}")
        if identity not in IDENTITIES:
            raise SettingsError("AppSecretsArgs.identity", identity, f"is not one of: {', '.join(IDENTITIES)}")
        check_backend_identity(backend, identity, "AppSecretsArgs.identity")
        _check_identity_inputs(args, identity)
        secrets = list(args["secrets"])
        if not secrets:
            raise SettingsError("AppSecretsArgs.secrets", [], "is empty: give the app at least one secret")
        _check_secrets(secrets, partition, region)
        keys = [key for secret in secrets for key in secret["keys"]]
        sync = args.get("sync_secret", True)
        if backend == "csi":
            check_env_needs_sync(sync, [(f"AppSecretsArgs.secrets[{i}].keys[{j}].env", key["env"])
                                        for i, secret in enumerate(secrets)
                                        for j, key in enumerate(secret["keys"]) if "env" in key])
        installed_by = list(args["installed_by"])
        if not installed_by:
            raise SettingsError("AppSecretsArgs.installed_by", [],
                                "is empty: pass the backend's releases, so its custom resources are created after "
                                "their CRDs")
        self.synced_secret_name = f"{app}-secrets"
        # Which key encrypts which secret: the access proof reads it to prove the key's link (the policy grants
        # kms:Decrypt on keys, not per secret).
        kms_keys = {s["secret"]: s["kms_key_arn"] for s in secrets if "kms_key_arn" in s}
        annotations = {KMS_KEYS_ANNOTATION: json.dumps(kms_keys, sort_keys=True)} if kms_keys else {}
        # Built (and so checked) before anything is registered; the resources below only carry them.
        if backend == "csi":
            objects = [_csi_object(i, s) for i, s in enumerate(secrets)]
            synced: list[SyncedSecretArgs] = [{
                "secret_name": self.synced_secret_name,
                "data": [{"object_name": k["file"], "key": k["file"]} for k in keys],
            }] if sync else []
            secret_provider_class_manifest(f"{name}-spc", namespace, region=region, objects=objects,
                                           use_pod_identity=identity == "pod-identity", secret_objects=synced,
                                           annotations=annotations)
        else:
            store = secret_store_manifest(app, namespace, region=region, service_account=app)
            external = external_secret_manifest(
                app, namespace, store=app, target=self.synced_secret_name,
                refresh_interval=args.get("refresh_interval", "1h"), data=_remote_keys(secrets),
            )
            if annotations:
                external["metadata"] = {**external["metadata"], "annotations": annotations}
        mount_path = args.get("mount_path", DEFAULT_MOUNT_PATH)
        if not mount_path.startswith("/"):
            raise SettingsError("AppSecretsArgs.mount_path", mount_path, "is not an absolute path")

        super().__init__("eks-config-secrets:index:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        identity_args: WorkloadIdentityArgs = {
            "namespace": namespace,
            "service_account_name": app,
            "secrets": [s["secret"] for s in secrets],
            "kms_key_arns": [s["kms_key_arn"] for s in secrets if "kms_key_arn" in s],
            "region": region,
            "account_id": args["account_id"],
            "partition": partition,
            "mode": identity,
        }
        for optional in ("oidc_provider_arn", "oidc_issuer", "pod_identity_agent"):
            if optional in args:
                identity_args[optional] = args[optional]
        workload_identity = WorkloadIdentity(f"{name}-identity", identity_args, opts=child)
        self.service_account_name = workload_identity.service_account_name
        self.role_arn = workload_identity.role_arn

        if backend == "csi":
            spc = SecretProviderClass(
                f"{name}-spc",
                {
                    "namespace": namespace,
                    "region": region,
                    "objects": objects,
                    "installed_by": installed_by,
                    "use_pod_identity": identity == "pod-identity",
                    "secret_objects": synced,
                    "annotations": annotations,
                },
                opts=child,
            )
            self.volumes = [csi_secret_volume(_VOLUME, spc.class_name)]
        else:
            # After the CRDs, and after the ServiceAccount whose token (and role-arn annotation) the store uses.
            after = pulumi.ResourceOptions(parent=self, depends_on=[*installed_by, workload_identity])
            store_resource = _custom_resource(f"{name}-store", store, after)
            _custom_resource(f"{name}-external-secret", external,
                             pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(depends_on=[store_resource])))
            self.volumes = [secret_volume(_VOLUME, self.synced_secret_name)]
        self.volume_mounts = [read_only_mount(_VOLUME, mount_path)]
        self.env = [env_from_secret_key(k["env"], self.synced_secret_name, k["file"]) for k in keys if "env" in k]
        self.reload_annotations = reload_on_secrets([self.synced_secret_name])
        SecretReader(f"{name}-reader",
                     {"namespace": namespace, "service_account_name": self.service_account_name,
                      "secret_names": [self.synced_secret_name]},
                     opts=child)
        self.register_outputs({"service_account_name": self.service_account_name, "role_arn": self.role_arn,
                               "synced_secret_name": self.synced_secret_name})


def _check_identity_inputs(args: AppSecretsArgs, identity: str) -> None:
    needed = ("oidc_provider_arn", "oidc_issuer") if identity == "irsa" else ("pod_identity_agent",)
    for key in needed:
        if key not in args:
            raise SettingsError(f"AppSecretsArgs.{key}", None,
                                f"is required with identity '{identity}' (take it from SecureCluster)")


def whole_secret_file(index: int) -> str:
    """The file name of secret ``index``'s whole object when every key of it names a property."""
    # The provider always writes the whole object as a file too; with only property keys it needs a name.
    return f"secret-{index}.json"


def check_backend_identity(backend: str, identity: str, setting: str) -> None:
    """ESO cannot combine a store-level serviceAccountRef with Pod Identity; the alternative, the operator's own
    identity, would read every app's secrets."""
    if backend == "external-secrets" and identity == "pod-identity":
        raise SettingsError(setting, identity, "cannot be used with backend 'external-secrets' (its per-app "
                                               "SecretStore authenticates through IRSA): use identity 'irsa' or "
                                               "backend 'csi'")


def check_env_needs_sync(sync_secret: bool, env_keys: Sequence[tuple[str, str]]) -> None:
    """An env var reads the Kubernetes Secret that the CSI driver syncs: without sync the pod never starts.

    ``env_keys`` are (setting, env var name) pairs; the first one is named in the error.
    """
    if not sync_secret and env_keys:
        setting, env = env_keys[0]
        raise SettingsError(setting, env, "reads the synced Kubernetes Secret, but syncSecret is false: enable "
                                          "syncSecret or read the file instead")


def _check_secrets(secrets: Sequence[AppSecretArgs], partition: str, region: str) -> None:
    files: list[str] = []
    for i, secret in enumerate(secrets):
        setting = f"AppSecretsArgs.secrets[{i}]"
        try:
            # A stand-in account: the real one may be an Output, known only later.
            secret_arn(secret["secret"], partition=partition, region=region, account_id="000000000000")
        except SettingsError as error:
            raise SettingsError(f"{setting}.secret", error.value, error.expected) from None
        if "kms_key_arn" in secret:
            check_arn(secret["kms_key_arn"], f"{setting}.kms_key_arn", service="kms", resource_prefix="key/")
        keys = list(secret["keys"])
        if not keys:
            raise SettingsError(f"{setting}.keys", [], "is empty: expose at least one key")
        whole = [k["file"] for k in keys if "property" not in k]
        if len(whole) > 1:
            raise SettingsError(f"{setting}.keys", whole,
                                "expose the whole secret more than once: give each key but one a property")
        for j, key in enumerate(keys):
            if key["file"] == whole_secret_file(i) and "property" in key:
                raise SettingsError(f"{setting}.keys[{j}].file", key["file"],
                                    "is the file name of the whole secret: choose another")
        files += [k["file"] for k in keys]
    check_unique(files, "AppSecretsArgs.secrets[].keys[].file")
    check_unique((k["env"] for s in secrets for k in s["keys"] if "env" in k), "AppSecretsArgs.secrets[].keys[].env")


def _csi_object(index: int, secret: AppSecretArgs) -> SecretObjectArgs:
    whole = [k for k in secret["keys"] if "property" not in k]
    obj: SecretObjectArgs = {
        "object_name": secret["secret"],
        "object_type": "secretsmanager",
        "object_alias": whole[0]["file"] if whole else whole_secret_file(index),
    }
    paths: list[JmesPathArgs] = [
        {"path": jmes_path_expression(k["property"]), "object_alias": k["file"]}
        for k in secret["keys"] if "property" in k
    ]
    if paths:
        obj["jmes_path"] = paths
    return obj


def _remote_keys(secrets: Sequence[AppSecretArgs]) -> list[RemoteKey]:
    data: list[RemoteKey] = []
    for secret in secrets:
        for key in secret["keys"]:
            item: RemoteKey = {"secret_key": key["file"], "remote_key": secret["secret"]}
            if "property" in key:
                item["property"] = key["property"]
            data.append(item)
    return data


def _custom_resource(
    name: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        name,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=manifest["metadata"],
        spec=manifest["spec"],
        opts=opts,
    )
