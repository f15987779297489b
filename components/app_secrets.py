"""Everything one app needs to read its Secrets Manager secrets, whichever backend and identity mode."""

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, cast

import pulumi
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.access.world import replica_key
from components.conventions import KMS_KEYS_ANNOTATION
from components.csi_driver import SecretsStoreCsiDriver
from components.external_secrets import (
    ExternalSecret,
    ExternalSecretArgs,
    ExternalSecretsOperator,
    RemoteKey,
    SecretStoreArgs,
    external_secret_documents,
)
from components.handles import AwsTarget, ClusterIdentity
from components.iam_policies import (
    CSI_PARAMETER_ACTIONS,
    ESO_PARAMETER_ACTIONS,
    in_region,
    name_in_region,
    parameter_arn,
    secret_arn,
)
from components.pod_spec import (
    PodInput,
    csi_secret_volume,
    env_from_secret_key,
    pod_security_context,
    read_only_mount,
    secret_file_permission,
    secret_volume,
)
from components.rbac import SecretReader
from components.reloader import reload_on_secret_provider_classes, reload_on_secrets
from components.secret_provider_class import (
    JmesPathArgs,
    SecretObjectArgs,
    SecretProviderClass,
    SecretProviderClassArgs,
    SyncedSecretArgs,
    jmes_path_expression,
    secret_provider_class_manifest,
)
from components.validation import (
    STACK_FILE_FORM,
    ErrorCollector,
    SettingsError,
    apply_input,
    check_arn,
    check_bool,
    check_dns1123_label,
    check_dns1123_label_input,
    check_region,
    check_unique,
)
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

__all__ = ["BACKENDS", "DEFAULT_MOUNT_PATH", "IDENTITIES", "AppSecretArgs", "AppSecretKeyArgs", "AppSecrets",
           "AppSecretsArgs", "AppSecretsSettings", "check_env_needs_sync", "whole_secret_file"]

DEFAULT_MOUNT_PATH = "/mnt/secrets"
"""Where an app's secret files are mounted when ``AppSecretsArgs.mount_path`` is omitted."""

BACKENDS = ("csi", "external-secrets")
"""The backends an app's secrets come through, as a stack names them: ``csi`` gives ``AppSecretsArgs.csi_driver``,
``external-secrets`` ``external_secrets``; the first is the default."""
IDENTITIES = ("irsa", "pod-identity")
"""How an app's pods get AWS credentials; the first is the default."""
_VOLUME = "secrets"


@with_config(STACK_FILE_FORM)
class AppSecretKeyArgs(TypedDict):
    file: str
    """File name in the mounted volume, and key of the synced Kubernetes Secret ([-._a-zA-Z0-9]+)."""
    property: NotRequired[str]
    """JSON key inside the secret or parameter. Omitted: the whole value."""
    env: NotRequired[str]
    """Env var fed from the synced Secret (``secretKeyRef``; changes only when the pod restarts). Omitted: none,
    the key is a file only."""


@with_config(STACK_FILE_FORM)
class AppSecretArgs(TypedDict):
    keys: Sequence[AppSecretKeyArgs]
    """What to expose of it; at least one, and at most one without ``property`` (the whole value)."""
    secret: NotRequired[pulumi.Input[str]]
    """Secrets Manager secret name or ARN (another account's ARN needs ``kms_key_arn``). Exactly one of
    ``secret``, ``parameter`` and ``esc_environment``."""
    parameter: NotRequired[pulumi.Input[str]]
    """SSM parameter name or ARN (``/dev/app/flags``); no wildcard. Exactly one of ``secret``, ``parameter`` and
    ``esc_environment``."""
    esc_environment: NotRequired[str]
    """A Pulumi ESC environment, ``<project>/<environment>`` in the organization of the External Secrets Operator
    (``ExternalSecretsOperatorArgs.pulumi_organization``), read through its ``pulumi`` provider; each key's
    ``property`` is the path of a value in it (``app.db.password``). Plain: each environment gets a store of its
    own."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """The customer-managed KMS key of the secret (or SecureString parameter): the role then gets ``kms:Decrypt``
    through Secrets Manager (or SSM) in the key's region. Omitted: none (the AWS managed keys need no grant)."""
    failover_kms_key_arn: NotRequired[pulumi.Input[str]]
    """The key of the secret's replica in ``AppSecretsArgs.failover_region``. Omitted: none (an AWS managed key)."""


@with_config(STACK_FILE_FORM)
class AppSecretsSettings(TypedDict):
    """What a stack file sets of an app's secrets besides their sources (in ``apps[]``); :class:`AppSecretsArgs` adds
    the app, the cluster, the backend and the sources."""

    identity: NotRequired[str]
    """``irsa`` or ``pod-identity``. With ``external_secrets``, ``pod-identity`` means the operator's own Pod
    Identity role (``ExternalSecretsOperator.role_arn``) assumes the app's role. Omitted: ``irsa``. Plain: it
    decides which resources exist."""
    failover_region: NotRequired[str]
    """csi: a second region that every secret and parameter is also read from (the provider's ``failoverRegion``;
    by name, or the replica of an ARN); the role may read both. Omitted: none."""
    target_role_arn: NotRequired[pulumi.Input[str]]
    """With ``pod-identity`` (csi): a role in the account that owns the secrets to chain to (the association's
    ``targetRoleArn``); ``owner_grants`` then holds its trust and permissions policies. Omitted: none."""
    restart_on_file_rotation: NotRequired[bool]
    """csi: the app reads its files once, at start: ``reload_annotations`` then also ask Reloader (with its CSI
    integration) to restart it when the driver rotates them. Omitted: false."""


class AppSecretsArgs(AppSecretsSettings):
    namespace: pulumi.Input[str]
    """The app's namespace (it must exist, or be created before this component; an Output, such as
    ``Environment.namespace``, is checked once it resolves)."""
    app_name: str
    """The app's name: its ServiceAccount, IAM role, SecretProviderClass or SecretStore, and the synced Secret
    ``<app_name>-secrets`` derive from it. Plain: it names the objects this component creates."""
    secrets: Sequence[AppSecretArgs]
    """The app's secrets and parameters; at least one. Its IAM role can read exactly these."""
    cluster: ClusterIdentity
    """The cluster the app runs on (``SecureCluster.identity``, or ``ClusterIdentity.from_attributes`` for one that
    exists): its OIDC provider for ``irsa``, its Pod Identity agent for ``pod-identity``."""
    target: AwsTarget
    """Region, account and partition of the secrets given by name (and of the class or stores)."""
    csi_driver: NotRequired[SecretsStoreCsiDriver]
    """Deliver through this Secrets Store CSI Driver: the class is created after its CRD, and the keys are synced
    into a Kubernetes Secret when some key names an env var and the driver syncs. Exactly one of ``csi_driver``
    and ``external_secrets``."""
    external_secrets: NotRequired[ExternalSecretsOperator]
    """Deliver through this External Secrets Operator: stores and the ExternalSecret are created after its CRDs,
    refreshed at its ``refresh_interval``, and ESC sources read in its ``pulumi_organization``."""
    mount_path: NotRequired[str]
    """Where the secret files are mounted (read-only). Omitted: ``/mnt/secrets``."""
    file_permission: NotRequired[str]
    """csi: mode of the mounted files (four octal digits). Omitted: the most restrictive one that pods of
    ``Workload`` (``pod_spec.pod_security_context()``) can read, see ``pod_spec.secret_file_permission``."""


class AppSecrets(pulumi.ComponentResource):
    """The app's workload identity (least privilege on exactly its secrets and parameters), the SecretProviderClass
    or SecretStores + ExternalSecret that delivers them, and a Role that may only ``get`` the synced Secret.

    The pod-spec fragment has the same shape for both backends and both identity modes: ``volumes`` (one volume
    named ``secrets``), ``volume_mounts`` (read-only), ``env`` (``secretKeyRef`` to the synced Secret) and
    ``service_account_name``. With the CSI driver the volume is the CSI volume of the class: mounting it is what
    makes the driver create the synced Secret, so the env entries only work in pods that also mount the volume.
    """

    service_account_name: pulumi.Output[str]
    """The ServiceAccount the app's pods must run as."""
    role_arn: pulumi.Output[str]
    """The app's IAM role."""
    synced_secret_name: str | None
    """The Kubernetes Secret that holds the app's keys (``<app_name>-secrets``); None for a csi app whose keys are
    all files (nothing is synced)."""
    volumes: list[dict[str, Any]]
    """Pod volumes: the CSI volume of the class, or a volume of the synced Secret."""
    volume_mounts: list[dict[str, Any]]
    """Read-only container mounts of those volumes."""
    env: list[dict[str, Any]]
    """Container env entries for the keys that name an env var."""
    owner_grants: pulumi.Output[list[dict[str, Any]]]
    """What the accounts that own the app's secrets must apply (``WorkloadIdentity.owner_grants``)."""
    reload_annotations: dict[str, str]
    """Deployment annotations for Reloader: roll the pods when the synced Secret changes (and, with
    ``restart_on_file_rotation``, when the driver rotates the files)."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        app = check_dns1123_label(args["app_name"], "AppSecretsArgs.app_name")
        namespace = check_dns1123_label_input(args["namespace"], "AppSecretsArgs.namespace")
        target, cluster = args["target"], args["cluster"]
        region, partition = target.region, target.partition
        driver, operator = args.get("csi_driver"), args.get("external_secrets")
        installed_by: list[pulumi.Resource] = []
        if driver is not None and operator is None:
            backend = "csi"
        elif operator is not None and driver is None:
            backend, installed_by = "external-secrets", list(operator.crd_dependencies)
        else:
            raise SettingsError("AppSecretsArgs.csi_driver", driver,
                                "and external_secrets: give exactly one, the backend that delivers the secrets")
        # What the backend decides for every app it delivers to; never passed again, so never in disagreement.
        sync_secret = driver.sync_secret if driver is not None else True
        refresh_interval = operator.refresh_interval if operator is not None else ""
        organization = operator.pulumi_organization if operator is not None else None
        operator_role = operator.role_arn if operator is not None else None
        identity = args.get("identity", IDENTITIES[0])
        if identity not in IDENTITIES:
            raise SettingsError("AppSecretsArgs.identity", identity, f"is not one of: {', '.join(IDENTITIES)}")
        eso_pod_identity = backend == "external-secrets" and identity == "pod-identity"
        if eso_pod_identity and operator_role is None:
            raise SettingsError("AppSecretsArgs.identity", identity,
                                "with external_secrets needs the operator's own identity: create the "
                                "ExternalSecretsOperator with its cluster")
        if backend != "csi":
            for csi_only in ("failover_region", "file_permission", "restart_on_file_rotation"):
                if csi_only in args:
                    raise SettingsError(f"AppSecretsArgs.{csi_only}", args[csi_only],
                                        "applies to csi_driver only (a Secrets Store CSI provider parameter)")
        failover = args.get("failover_region")
        if failover is not None and check_region(failover, "AppSecretsArgs.failover_region") == region:
            raise SettingsError("AppSecretsArgs.failover_region", failover,
                                "is the primary region: name another region, or omit it")
        if not list(args["secrets"]):
            raise SettingsError("AppSecretsArgs.secrets", [], "is empty: give the app at least one secret")
        secrets = _check_secrets(args["secrets"], partition, region, failover)
        if backend == "csi" and any("esc_environment" in s for s in secrets):
            raise SettingsError("AppSecretsArgs.csi_driver", backend, "cannot read esc_environment sources: Pulumi "
                                                                      "ESC is read through external_secrets")
        if all("esc_environment" in s for s in secrets):
            raise SettingsError("AppSecretsArgs.secrets", [s["esc_environment"] for s in secrets],
                                "are all Pulumi ESC sources: the app's ServiceAccount comes with its IAM role, so "
                                "give it at least one AWS secret or parameter, or read ESC with a store of your own")
        keys = [key for secret in secrets for key in secret["keys"]]
        wants_env = any("env" in k for k in keys)
        if backend == "csi":
            check_env_needs_sync(sync_secret, [(f"AppSecretsArgs.secrets[{i}].keys[{j}].env", key["env"])
                                        for i, secret in enumerate(secrets)
                                        for j, key in enumerate(secret["keys"]) if "env" in key])
        # A Secret that nothing reads would only widen who can read the values: file-only csi apps sync none.
        self.synced_secret_name = f"{app}-secrets" if backend != "csi" or wants_env else None
        file_permission = args.get("file_permission", secret_file_permission(pod_security_context()))
        annotations = _kms_keys_annotation(secrets, failover)
        # Built (and so checked) before anything is registered; the resources below only carry them. Sources that
        # are Outputs are checked, and the class's objects built, once they resolve.
        if backend == "csi":
            objects: pulumi.Input[list[SecretObjectArgs]] = apply_input(
                secrets,
                lambda known: [_csi_object(i, s, file_permission, failover) for i, s in enumerate(known)])
            synced: list[SyncedSecretArgs] = [{
                "secret_name": self.synced_secret_name,
                "data": [{"object_name": k["file"], "key": k["file"]} for k in keys],
            }] if self.synced_secret_name else []
            if isinstance(objects, list):
                secret_provider_class_manifest(f"{name}-spc", namespace, region=region, objects=objects,
                                               use_pod_identity=identity == "pod-identity", secret_objects=synced,
                                               failover_region=failover, annotations=annotations)
        else:
            stores = _stores(app, secrets)
            if any(source.startswith(_ESC) for source in stores) and organization is None:
                raise SettingsError("ExternalSecretsOperatorArgs.pulumi_organization", None,
                                    "is required with esc_environment sources: the Pulumi Cloud organization")
            # The app's role, known once it exists, stands in as a well-formed ARN for this check.
            external_args: ExternalSecretArgs = {
                "name": app, "namespace": namespace, "region": region, "target": f"{app}-secrets",
                "stores": [_store_args(source, store_name, app, organization,
                                       _STAND_IN_ROLE if eso_pod_identity else None)
                           for source, store_name in stores.items()],
                "refresh_interval": refresh_interval, "data": _remote_keys(secrets, stores),
                "installed_by": installed_by, "annotations": annotations,
            }
            external_secret_documents(external_args)
        mount_path = args.get("mount_path", DEFAULT_MOUNT_PATH)
        if not mount_path.startswith("/"):
            raise SettingsError("AppSecretsArgs.mount_path", mount_path, "is not an absolute path")
        restart = check_bool(args.get("restart_on_file_rotation", False), "AppSecretsArgs.restart_on_file_rotation")
        # Before this component, as the agent was when callers passed it: the cluster's add-on, created once.
        agent = cluster.pod_identity_agent() if identity == "pod-identity" and not eso_pod_identity else None

        super().__init__("eks-config-secrets:index:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        identity_args: WorkloadIdentityArgs = {
            "namespace": namespace,
            "service_account_name": app,
            "secrets": [s["secret"] for s in secrets if "secret" in s],
            "parameters": [s["parameter"] for s in secrets if "parameter" in s],
            "parameter_actions": CSI_PARAMETER_ACTIONS if backend == "csi" else ESO_PARAMETER_ACTIONS,
            "kms_key_arns": [k for s in secrets if "secret" in s
                             for k in (s.get("kms_key_arn"), s.get("failover_kms_key_arn")) if k],
            "parameter_kms_key_arns": [k for s in secrets if "parameter" in s
                                       for k in (s.get("kms_key_arn"), s.get("failover_kms_key_arn")) if k],
            "region": region,
            "account_id": target.account_id,
            "partition": partition,
            "mode": "assumed-by-role" if eso_pod_identity else identity,
        }
        if failover is not None:
            identity_args["failover_region"] = failover
        if operator_role is not None and eso_pod_identity:
            identity_args["trusted_role_arn"] = operator_role
        if "target_role_arn" in args:
            identity_args["target_role_arn"] = args["target_role_arn"]
        if agent is not None:
            identity_args["pod_identity_agent"] = agent
        elif identity == "irsa":
            identity_args["oidc_provider_arn"] = cluster.oidc_provider_arn
            identity_args["oidc_issuer"] = cluster.oidc_issuer
        workload_identity = WorkloadIdentity(f"{name}-identity", identity_args, opts=child)
        self.service_account_name = workload_identity.service_account_name
        self.role_arn = workload_identity.role_arn
        self.owner_grants = workload_identity.owner_grants

        self.reload_annotations = reload_on_secrets([self.synced_secret_name]) if self.synced_secret_name else {}
        if driver is not None:
            spc_args: SecretProviderClassArgs = {
                "namespace": namespace,
                "region": region,
                "objects": objects,
                "installed_by": driver,
                "use_pod_identity": identity == "pod-identity",
                "secret_objects": synced,
                "annotations": annotations,
            }
            if failover is not None:
                spc_args["failover_region"] = failover
            spc = SecretProviderClass(f"{name}-spc", spc_args, opts=child)
            self.volumes = [csi_secret_volume(_VOLUME, spc.class_name)]
            if restart:
                self.reload_annotations |= reload_on_secret_provider_classes([f"{name}-spc"])
        else:
            # After the CRDs, and after the ServiceAccount whose token (and role-arn annotation) the stores use.
            role = workload_identity.role_arn if eso_pod_identity else None
            ExternalSecret(name, {**external_args, "installed_by": [*installed_by, workload_identity], "stores": [
                _store_args(source, store_name, app, organization, role) for source, store_name in stores.items()
            ]}, opts=child)
            self.volumes = [secret_volume(_VOLUME, f"{app}-secrets")]
        self.volume_mounts = [read_only_mount(_VOLUME, mount_path)]
        self.env = [env_from_secret_key(k["env"], f"{app}-secrets", k["file"]) for k in keys if "env" in k]
        if self.synced_secret_name:
            SecretReader(f"{name}-reader",
                         {"namespace": namespace, "service_account_name": self.service_account_name,
                          "secret_names": [self.synced_secret_name]},
                         opts=child)
        self.register_outputs({"service_account_name": self.service_account_name, "role_arn": self.role_arn,
                               "synced_secret_name": self.synced_secret_name})


    def pod_input(self, *, reloader: bool = True) -> PodInput:
        """The app's pod-spec fragment for ``Workload``: the secrets volume and its read-only mount, the env vars,
        the ServiceAccount the pods must run as and, with ``reloader`` (Reloader installed), its annotations."""
        return PodInput(env=self.env, volumes=self.volumes, volume_mounts=self.volume_mounts,
                        service_account_name=self.service_account_name,
                        annotations=self.reload_annotations if reloader else {})


# A store's role is the app's role, known once it exists; its shape is checked before with this stand-in.
_STAND_IN_ROLE = "arn:aws:iam::000000000000:role/stand-in"


def _store_args(source: str, name: str, app: str, organization: str | None,
                role: pulumi.Input[str] | None) -> SecretStoreArgs:
    """The store of one source: an ESC environment signs in with the app's ServiceAccount; an AWS service with it
    too (IRSA), or through ``role``, which the operator assumes with its own Pod Identity."""
    if source.startswith(_ESC):
        return {"name": name, "esc_environment": source.removeprefix(_ESC), "organization": str(organization),
                "service_account": app}
    if role is not None:
        return {"name": name, "service": source, "role_arn": role}
    return {"name": name, "service": source, "service_account": app}


_ESC = "esc:"


def _stores(app: str, secrets: Sequence[AppSecretArgs]) -> dict[str, str]:
    """ESO store name per source the app reads (one AWS service, or one ESC environment, per store): ``<app>`` for
    Secrets Manager, ``<app>-parameters`` for Parameter Store, ``<app>-esc-<n>`` for each ESC environment, keyed
    by the service or ``esc:<project>/<environment>``."""
    stores = {}
    if any("secret" in s for s in secrets):
        stores["SecretsManager"] = app
    if any("parameter" in s for s in secrets):
        stores["ParameterStore"] = f"{app}-parameters"
    for n, environment in enumerate(sorted({s["esc_environment"] for s in secrets if "esc_environment" in s})):
        stores[f"{_ESC}{environment}"] = f"{app}-esc-{n}"
    return stores


def whole_secret_file(index: int) -> str:
    """The file name of secret ``index``'s whole object when every key of it names a property."""
    # The provider always writes the whole object as a file too; with only property keys it needs a name.
    return f"secret-{index}.json"


def check_env_needs_sync(sync_secret: bool, env_keys: Sequence[tuple[str, str]]) -> None:
    """An env var reads the Kubernetes Secret that the CSI driver syncs: without sync the pod never starts.

    ``env_keys`` are (setting, env var name) pairs; the first one is named in the error.
    """
    if not sync_secret and env_keys:
        setting, env = env_keys[0]
        raise SettingsError(setting, env, "reads the synced Kubernetes Secret, but syncSecret is false: enable "
                                          "syncSecret or read the file instead")


def _source(secret: AppSecretArgs, setting: str) -> tuple[str, pulumi.Input[str]]:
    """(``secret``, ``parameter`` or ``esc_environment``, its value): exactly one of the three."""
    given = [k for k in ("secret", "parameter", "esc_environment") if k in secret]
    if len(given) != 1:
        raise SettingsError(setting, given, "needs exactly one of secret (Secrets Manager), parameter (SSM) and "
                                            "esc_environment (Pulumi ESC)")
    return given[0], secret[given[0]]


def _check_secrets(secrets: Sequence[AppSecretArgs], partition: str, region: str,
                   failover: str | None) -> list[AppSecretArgs]:
    """Every secret's first mistake, all at once (one ``InputPropertiesError`` per secret with a mistake); the
    secrets, their sources and keys that are Outputs replaced by ones that check themselves once they resolve."""
    errors = ErrorCollector()
    checked: list[AppSecretArgs] = []
    for i, secret in enumerate(secrets):
        with errors.part():
            checked.append(_check_secret(i, secret, partition, region, failover))
    errors.raise_any()
    check_unique([k["file"] for s in secrets for k in s["keys"]], "AppSecretsArgs.secrets[].keys[].file")
    check_unique((k["env"] for s in secrets for k in s["keys"] if "env" in k), "AppSecretsArgs.secrets[].keys[].env")
    return checked


def _check_source(value: str, kind: str, setting: str, partition: str, region: str) -> str:
    try:
        # A stand-in account: the real one may be an Output, known only later.
        (secret_arn if kind == "secret" else parameter_arn)(
            value, partition=partition, region=region, account_id="000000000000")
    except SettingsError as error:
        raise SettingsError(setting, error.value, error.expected) from None
    return value


def _check_secret(i: int, secret: AppSecretArgs, partition: str, region: str, failover: str | None) -> AppSecretArgs:
    setting = f"AppSecretsArgs.secrets[{i}]"
    kind, value = _source(secret, setting)
    checked = dict(secret)
    if kind == "esc_environment":
        if not isinstance(value, str) or len(value.split("/")) != 2:
            raise SettingsError(f"{setting}.esc_environment", value, "is not <project>/<environment>")
        for j, key in enumerate(secret["keys"]):
            if "property" not in key:
                raise SettingsError(f"{setting}.keys[{j}].property", None,
                                    "is required for a Pulumi ESC source: the path of the value to read")
    else:
        checked[kind] = apply_input(value, functools.partial(_check_source, kind=kind, setting=f"{setting}.{kind}",
                                                             partition=partition, region=region))
    for key_setting in ("kms_key_arn", "failover_kms_key_arn"):
        if key_setting in secret:
            checked[key_setting] = apply_input(secret[key_setting], functools.partial(
                check_arn, setting=f"{setting}.{key_setting}", service="kms", resource_prefix="key/"))
    if "failover_kms_key_arn" in secret and failover is None:
        raise SettingsError(f"{setting}.failover_kms_key_arn", secret["failover_kms_key_arn"],
                            "is set but the app has no failover_region")
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
    return cast(AppSecretArgs, checked)


def _kms_keys_annotation(secrets: Sequence[AppSecretArgs], failover: str | None) -> dict[str, pulumi.Input[str]]:
    """Which key encrypts which secret or parameter, as the class's or ExternalSecret's annotation: the access
    proof reads it to prove the key's link (the policy grants kms:Decrypt on keys, not per secret). A replica's
    key is under the name it is read by in the failover region (see access.world.kms_key_of). None: no
    annotation."""
    pairs: list[list[pulumi.Input[str]]] = [[s.get("secret") or s["parameter"], s["kms_key_arn"]]
                                            for s in secrets if "kms_key_arn" in s]
    if failover is not None:
        pairs += [[apply_input(s.get("secret") or s["parameter"],
                               lambda name: replica_key(name_in_region(name, failover), failover)),
                   s["failover_kms_key_arn"]] for s in secrets if "failover_kms_key_arn" in s]
    if not pairs:
        return {}
    return {KMS_KEYS_ANNOTATION: apply_input(cast(list[list[str]], pairs),
                                             lambda known: json.dumps(dict(known), sort_keys=True))}


def _csi_object(index: int, secret: AppSecretArgs, file_permission: str, failover: str | None) -> SecretObjectArgs:
    """The class's object of ``secret``, whose source is known (resolved, if it was an Output)."""
    kind, source = _source(secret, f"AppSecretsArgs.secrets[{index}]")
    name = cast(str, source)
    whole = [k for k in secret["keys"] if "property" not in k]
    obj: SecretObjectArgs = {
        "object_name": name,
        "object_type": "secretsmanager" if kind == "secret" else "ssmparameter",
        "object_alias": whole[0]["file"] if whole else whole_secret_file(index),
        "file_permission": file_permission,
    }
    if failover is not None and name.startswith("arn:"):
        # Read by ARN, the failover region must be told the replica's ARN (by name, the same name is read there).
        obj["failover_object_name"] = in_region(name, failover)
    paths: list[JmesPathArgs] = [
        {"path": jmes_path_expression(k["property"]), "object_alias": k["file"]}
        for k in secret["keys"] if "property" in k
    ]
    if paths:
        obj["jmes_path"] = paths
    return obj


def _remote_keys(secrets: Sequence[AppSecretArgs], stores: Mapping[str, str]) -> list[RemoteKey]:
    data: list[RemoteKey] = []
    for i, secret in enumerate(secrets):
        kind, value = _source(secret, f"AppSecretsArgs.secrets[{i}]")
        for key in secret["keys"]:
            if kind == "esc_environment":
                # ESO's pulumi provider reads the property path as the key (providers/v1/pulumi, GetSecret).
                data.append({"secret_key": key["file"], "remote_key": key["property"],
                             "store": stores[f"{_ESC}{value}"]})
                continue
            item: RemoteKey = {"secret_key": key["file"], "remote_key": value,
                               "store": stores["SecretsManager" if kind == "secret" else "ParameterStore"]}
            if "property" in key:
                item["property"] = key["property"]
            data.append(item)
    return data
