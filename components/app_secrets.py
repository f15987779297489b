"""Everything one app needs to read its Secrets Manager secrets, whichever backend and identity mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.external_secrets import RemoteKey, external_secret_manifest, secret_store_manifest
from components.rbac import SecretReader
from components.reloader import reload_on_secrets
from components.secret_provider_class import (
    JmesPathArgs,
    SecretObjectArgs,
    SecretProviderClass,
    jmes_path_expression,
)
from components.validation import SettingsError, check_dns1123_label, check_unique
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from components.workloads import csi_secret_volume, env_from_secret_key, read_only_mount, secret_volume

__all__ = ["AppSecretArgs", "AppSecretKeyArgs", "AppSecrets", "AppSecretsArgs"]

BACKENDS = ("csi", "external-secrets")
IDENTITIES = ("irsa", "pod-identity")


class AppSecretKeyArgs(TypedDict):
    file: str
    """File name in the mounted volume, and key of the synced Kubernetes Secret."""
    property: NotRequired[str]
    """JSON key inside the secret. Default: the whole secret string."""
    env: NotRequired[str]
    """Env var fed from the synced Secret (``secretKeyRef``). Default: none (file only)."""


class AppSecretArgs(TypedDict):
    secret: str
    """Secrets Manager secret name or ARN."""
    keys: Sequence[AppSecretKeyArgs]
    """What to expose of it; at least one."""
    kms_key_arn: NotRequired[str]
    """The secret's customer-managed KMS key, if any: the role then gets ``kms:Decrypt`` through Secrets Manager."""


class AppSecretsArgs(TypedDict):
    namespace: str
    """The app's namespace."""
    app_name: str
    """The app's name: its ServiceAccount, IAM role, SecretProviderClass and synced Secret derive from it."""
    secrets: Sequence[AppSecretArgs]
    """The app's secrets; at least one."""
    region: str
    """Region of the secrets."""
    account_id: pulumi.Input[str]
    """Account of the secrets given by name."""
    installed_by: Sequence[pulumi.Resource]
    """The backend's CRD installers (``SecretsStoreCsiDriver`` or ``ExternalSecretsOperator.crd_dependencies``)."""
    partition: NotRequired[str]
    """AWS partition. Default: ``aws``."""
    backend: NotRequired[str]
    """``csi`` (default: Secrets Store CSI Driver) or ``external-secrets``."""
    identity: NotRequired[str]
    """``irsa`` (default) or ``pod-identity``."""
    oidc_provider_arn: NotRequired[pulumi.Input[str]]
    """The cluster's IAM OIDC provider (irsa)."""
    oidc_issuer: NotRequired[pulumi.Input[str]]
    """The cluster's OIDC issuer (irsa)."""
    pod_identity_agent: NotRequired[aws.eks.Addon]
    """The cluster's Pod Identity agent add-on (pod-identity): ``SecureCluster.pod_identity_agent()``."""
    sync_secret: NotRequired[bool]
    """csi: sync the keys into a Kubernetes Secret (must match the driver's ``sync_secret``). Default: true."""
    refresh_interval: NotRequired[str]
    """external-secrets: how often to re-read Secrets Manager (Go duration). Default: ``1h``."""
    mount_path: NotRequired[str]
    """Where the secret files are mounted. Default: ``/mnt/secrets``."""


class AppSecrets(pulumi.ComponentResource):
    """The app's workload identity (least privilege on exactly its secrets), the SecretProviderClass or
    SecretStore + ExternalSecret that delivers them, and a Role that may only ``get`` the synced Secret.

    The pod-spec fragment has the same shape for both backends: ``volumes``, ``volume_mounts`` (read-only),
    ``env`` (``secretKeyRef`` to the synced Secret) and ``service_account_name``.
    """

    service_account_name: pulumi.Output[str]
    """The ServiceAccount the app's pods must run as."""
    role_arn: pulumi.Output[str]
    """The app's IAM role."""
    synced_secret_name: str
    """The Kubernetes Secret that holds the app's keys."""
    volumes: list[dict[str, Any]]
    """Pod volumes: the CSI volume of the class, or the synced Secret."""
    volume_mounts: list[dict[str, Any]]
    """Read-only container mounts of those volumes."""
    env: list[dict[str, Any]]
    """Container env entries for the keys that name an env var."""
    reload_annotations: dict[str, str]
    """Deployment annotations for Reloader: roll the pods when the synced Secret changes."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        app = check_dns1123_label(args["app_name"], "AppSecretsArgs.app_name")
        namespace = check_dns1123_label(args["namespace"], "AppSecretsArgs.namespace")
        backend, identity = args.get("backend", "csi"), args.get("identity", "irsa")
        if backend not in BACKENDS:
            raise SettingsError("AppSecretsArgs.backend", backend, f"is not one of: {', '.join(BACKENDS)}")
        if identity not in IDENTITIES:
            raise SettingsError("AppSecretsArgs.identity", identity, f"is not one of: {', '.join(IDENTITIES)}")
        if backend == "external-secrets" and identity == "pod-identity":
            # A SecretStore authenticates through serviceAccountRef, which ESO cannot combine with Pod Identity;
            # the alternative, the operator's own role, would read every app's secrets.
            raise SettingsError("AppSecretsArgs.identity", identity,
                                "cannot be used with backend 'external-secrets' (its per-app SecretStore "
                                "authenticates through IRSA): use identity 'irsa' or backend 'csi'")
        secrets = list(args["secrets"])
        if not secrets:
            raise SettingsError("AppSecretsArgs.secrets", [], "is empty: give the app at least one secret")
        keys = [key for secret in secrets for key in secret["keys"]]
        for i, secret in enumerate(secrets):
            if not secret["keys"]:
                raise SettingsError(f"AppSecretsArgs.secrets[{i}].keys", [], "is empty: expose at least one key")
        check_unique((k["file"] for k in keys), "AppSecretsArgs.secrets[].keys[].file")
        check_unique((k["env"] for k in keys if "env" in k), "AppSecretsArgs.secrets[].keys[].env")
        sync = args.get("sync_secret", True)
        if backend == "csi" and not sync and any("env" in k for k in keys):
            raise SettingsError("AppSecretsArgs.sync_secret", sync,
                                "is false but keys name env vars, which read the synced Secret: enable sync")
        super().__init__("eks-config-secrets:index:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        identity_args: WorkloadIdentityArgs = {
            "namespace": namespace,
            "service_account_name": app,
            "secrets": [s["secret"] for s in secrets],
            "kms_key_arns": [s["kms_key_arn"] for s in secrets if "kms_key_arn" in s],
            "region": args["region"],
            "account_id": args["account_id"],
            "partition": args.get("partition", "aws"),
            "mode": identity,
        }
        for optional in ("oidc_provider_arn", "oidc_issuer", "pod_identity_agent"):
            if optional in args:
                identity_args[optional] = args[optional]
        workload_identity = WorkloadIdentity(f"{name}-identity", identity_args, opts=child)
        self.service_account_name = workload_identity.service_account_name
        self.role_arn = workload_identity.role_arn
        self.synced_secret_name = f"{app}-secrets"
        mount_path = args.get("mount_path", "/mnt/secrets")
        installed_by = list(args["installed_by"])

        if backend == "csi":
            spc = SecretProviderClass(
                f"{name}-spc",
                {
                    "namespace": namespace,
                    "region": args["region"],
                    "objects": [_csi_object(i, s) for i, s in enumerate(secrets)],
                    "installed_by": installed_by,
                    "use_pod_identity": identity == "pod-identity",
                    "secret_objects": [{
                        "secret_name": self.synced_secret_name,
                        "data": [{"object_name": k["file"], "key": k["file"]} for k in keys],
                    }] if sync else [],
                },
                opts=child,
            )
            self.volumes = [csi_secret_volume("secrets", spc.class_name)]
        else:
            self._external_secret(name, args, depends_on=[*installed_by, workload_identity])
            self.volumes = [secret_volume("secrets", self.synced_secret_name)]
        self.volume_mounts = [read_only_mount("secrets", mount_path)]
        self.env = [env_from_secret_key(k["env"], self.synced_secret_name, k["file"]) for k in keys if "env" in k]
        self.reload_annotations = reload_on_secrets([self.synced_secret_name])
        SecretReader(f"{name}-reader",
                     {"namespace": namespace, "service_account_name": self.service_account_name,
                      "secret_names": [self.synced_secret_name]},
                     opts=child)
        self.register_outputs({"service_account_name": self.service_account_name, "role_arn": self.role_arn})

    def _external_secret(self, name: str, args: AppSecretsArgs, depends_on: Sequence[pulumi.Resource]) -> None:
        """A SecretStore that authenticates as the app's ServiceAccount, and the ExternalSecret that fills the
        synced Secret; both after the CRDs and the identity they use."""
        app, namespace = args["app_name"], args["namespace"]
        opts = pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))
        store = secret_store_manifest(app, namespace, region=args["region"], service_account=app)
        store_resource = _custom_resource(f"{name}-store", store, opts)
        data: list[RemoteKey] = []
        for secret in args["secrets"]:
            for key in secret["keys"]:
                item: RemoteKey = {"secret_key": key["file"], "remote_key": secret["secret"]}
                if "property" in key:
                    item["property"] = key["property"]
                data.append(item)
        external = external_secret_manifest(
            app, namespace, store=app, target=self.synced_secret_name,
            refresh_interval=args.get("refresh_interval", "1h"), data=data,
        )
        _custom_resource(f"{name}-external-secret", external,
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[store_resource])))


def _csi_object(index: int, secret: AppSecretArgs) -> SecretObjectArgs:
    whole = [k for k in secret["keys"] if "property" not in k]
    if len(whole) > 1:
        raise SettingsError(f"AppSecretsArgs.secrets[{index}].keys", [k["file"] for k in whole],
                            "expose the whole secret more than once: give each key but one a property")
    obj: SecretObjectArgs = {
        "object_name": secret["secret"],
        "object_type": "secretsmanager",
        # The provider always writes the whole secret too: under the key's file name, or a name of its own.
        "object_alias": whole[0]["file"] if whole else f"secret-{index}.json",
    }
    paths: list[JmesPathArgs] = [
        {"path": jmes_path_expression(k["property"]), "object_alias": k["file"]}
        for k in secret["keys"] if "property" in k
    ]
    if paths:
        obj["jmes_path"] = paths
    return obj


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
