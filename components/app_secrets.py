"""Everything one app needs to read its Secrets Manager secrets, whichever backend and identity mode."""

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NotRequired, cast

import pulumi
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.access.world import replica_key
from components.conventions import KMS_KEYS_ANNOTATION
from components.csi_driver import SecretsStoreCsiDriver
from components.external_secrets import (
    PULUMI_CLOUD_NAME,
    ExternalSecret,
    ExternalSecretArgs,
    ExternalSecretsOperator,
    RemoteKey,
    SecretStoreArgs,
    check_esc_organization,
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
    DATA_KEY,
    STACK_FILE_FORM,
    ErrorCollector,
    SettingsError,
    apply_input,
    check_arn,
    check_bool,
    check_dns1123_label,
    check_dns1123_label_input,
    check_env_name,
    check_failover_region,
    check_mount_path,
    check_region,
    check_unique,
)
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs, check_target_role_mode

__all__ = ["BACKENDS", "CSI_ONLY", "DEFAULT_MOUNT_PATH", "IDENTITIES", "SOURCE_KINDS", "AppSecretArgs",
           "AppSecretKeyArgs", "AppSecrets", "AppSecretsArgs", "AppSecretsSettings", "check_csi_only",
           "check_env_needs_sync", "check_esc_backend", "check_secret_sources", "check_source_name",
           "check_target_role", "identity_mode", "whole_secret_file"]

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
        eso_pod_identity = identity_mode(identity, backend) == "assumed-by-role"
        if eso_pod_identity and operator_role is None:
            raise SettingsError("AppSecretsArgs.identity", identity,
                                "with external_secrets needs the operator's own identity: create the "
                                "ExternalSecretsOperator with its cluster")
        check_csi_only(args, backend, "AppSecretsArgs")
        check_target_role(args, identity, backend, "AppSecretsArgs")
        failover = args.get("failover_region")
        if failover is not None:
            check_failover_region(check_region(failover, "AppSecretsArgs.failover_region"), region,
                                  "AppSecretsArgs.failover_region")
        if not list(args["secrets"]):
            raise SettingsError("AppSecretsArgs.secrets", [], "is empty: give the app at least one secret")
        secrets = _check_secrets(args["secrets"], failover)
        check_esc_backend(secrets, backend, "AppSecretsArgs.csi_driver")
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
            if any(source.startswith(_ESC) for source in stores):
                check_esc_organization(organization, "AppSecretsArgs.secrets",
                                       "ExternalSecretsOperatorArgs.pulumi_organization")
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
        mount_path = check_mount_path(args.get("mount_path", DEFAULT_MOUNT_PATH), "AppSecretsArgs.mount_path")
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


def _as_written(text: str) -> str:
    """A field name as the component spells it, or a name without placeholders to fill."""
    return text


CSI_ONLY = ("failover_region", "file_permission", "restart_on_file_rotation")
"""The settings of an app's secrets that only the csi backend reads: Secrets Store CSI provider parameters, and
Reloader's CSI integration."""


def check_csi_only(args: Mapping[str, Any], backend: str, setting: str,
                   spell: Callable[[str], str] = _as_written) -> None:
    """Refuse each of :data:`CSI_ONLY` that ``args`` sets with another ``backend`` (named ``<setting>.<field>``, the
    field spelt by ``spell``), all at once; ``false`` asks for nothing and passes."""
    errors = ErrorCollector()
    for field in CSI_ONLY:
        with errors.part():
            if backend != "csi" and field in args and args[field] is not False:
                raise SettingsError(f"{setting}.{spell(field)}", args[field],
                                    "applies to the csi backend only (a Secrets Store CSI Driver feature)")
    errors.raise_any()


def identity_mode(identity: str, backend: str) -> str:
    """The :class:`WorkloadIdentity` mode of an app's secrets: with external-secrets and pod-identity the operator's
    own identity assumes the app's role (assumed-by-role); otherwise the app's ``identity``."""
    return "assumed-by-role" if backend == "external-secrets" and identity == "pod-identity" else identity


def check_target_role(args: Mapping[str, Any], identity: str, backend: str, setting: str,
                      spell: Callable[[str], str] = _as_written) -> None:
    """Refuse ``target_role_arn`` (named ``<setting>.<field>``, the field spelt by ``spell``) unless the app's own
    Pod Identity association carries it: identity pod-identity with the csi backend."""
    check_target_role_mode(args.get("target_role_arn"), identity_mode(identity, backend),
                           f"{setting}.{spell('target_role_arn')}",
                           needs=f"{spell('identity')} pod-identity and the csi backend")


def check_esc_backend(sources: Sequence[Mapping[str, Any]], backend: str, setting: str,
                      spell: Callable[[str], str] = _as_written) -> None:
    """Refuse ``esc_environment`` sources with the csi ``backend`` (named ``setting``): Pulumi ESC is read through the
    External Secrets Operator's ``pulumi`` provider, and the Secrets Store CSI provider for AWS reads AWS only."""
    if backend == "csi" and any("esc_environment" in source for source in sources):
        raise SettingsError(setting, backend, f"cannot read {spell('esc_environment')} sources: Pulumi ESC is read "
                                              "through the External Secrets Operator (the external-secrets backend)")


def check_env_needs_sync(sync_secret: bool, env_keys: Sequence[tuple[str, str]]) -> None:
    """An env var reads the Kubernetes Secret that the CSI driver syncs: without sync the pod never starts.

    ``env_keys`` are (setting, env var name) pairs; the first one is named in the error.
    """
    if not sync_secret and env_keys:
        setting, env = env_keys[0]
        raise SettingsError(setting, env, "reads the synced Kubernetes Secret, but syncSecret is false: enable "
                                          "syncSecret or read the file instead")


SOURCE_KINDS = ("secret", "parameter", "esc_environment")
"""The fields of an :class:`AppSecretArgs` that name where its value comes from; a source gives exactly one."""


def check_secret_sources(sources: Sequence[Mapping[str, Any]], setting: str, *, failover: bool,
                         spell: Callable[[str], str] = _as_written,
                         stand_in: Callable[[str], str] = _as_written) -> None:
    """The rules of an app's secret sources (:class:`AppSecretArgs`), every mistake of every source at once, each
    named ``<setting>[<i>].<field>`` with the field spelt by ``spell`` (``stack_key`` for a stack file's
    ``kmsKeyArn``). ``failover``: the app has a failover region. ``stand_in`` fills the caller's placeholders of a
    name before its shape is checked (the message shows the name as given). A value that is an Output is left to
    the caller, to check with :func:`check_source_name` or ``check_arn`` once it resolves."""
    errors = ErrorCollector()
    for i, source in enumerate(sources):
        with errors.part():
            _check_one_source(source, f"{setting}[{i}]", i, failover=failover, spell=spell, stand_in=stand_in)
    with errors.part():
        # One file per key in one volume, and one key per file in the synced Secret.
        check_unique([k["file"] for s in sources for k in s["keys"]], f"{setting}[].{spell('keys')}[].file")
    errors.raise_any()


def check_source_name(value: str, kind: str, setting: str, stand_in: Callable[[str], str] = _as_written) -> str:
    """Return ``value`` if it names one ``secret`` (a Secrets Manager secret) or ``parameter`` (an SSM parameter) by
    name or ARN, with no wildcard, or one ``esc_environment`` ``<project>/<environment>``."""
    if kind == "esc_environment":
        parts = stand_in(value).split("/") if isinstance(value, str) else []
        if len(parts) != 2 or not all(PULUMI_CLOUD_NAME.match(part) for part in parts):
            raise SettingsError(setting, value, "is not a Pulumi ESC environment <project>/<environment>")
        return value
    try:
        # The name's shape only: a stand-in target (the real account may be an Output, known only later).
        (secret_arn if kind == "secret" else parameter_arn)(
            stand_in(value) if isinstance(value, str) else value, partition="aws", region="us-east-1",
            account_id="000000000000")
    except SettingsError as error:
        raise SettingsError(setting, value, error.expected) from None
    return value


def _check_one_source(source: Mapping[str, Any], setting: str, index: int, *, failover: bool,
                      spell: Callable[[str], str], stand_in: Callable[[str], str]) -> None:
    errors = ErrorCollector()
    given = [k for k in SOURCE_KINDS if k in source]
    kind = given[0] if len(given) == 1 else None
    with errors.part():
        if kind is None:
            raise SettingsError(setting, [spell(k) for k in given],
                                f"needs exactly one of secret (a Secrets Manager secret), parameter (an SSM parameter) "
                                f"and {spell('esc_environment')} (a Pulumi ESC environment)")
        if not isinstance(source[kind], pulumi.Output):
            check_source_name(source[kind], kind, f"{setting}.{spell(kind)}", stand_in)
    for field in ("kms_key_arn", "failover_kms_key_arn"):
        if field in source and not isinstance(source[field], pulumi.Output):
            with errors.part():
                check_arn(source[field], f"{setting}.{spell(field)}", service="kms", resource_prefix="key/")
    with errors.part():
        if "failover_kms_key_arn" in source and not failover:
            raise SettingsError(f"{setting}.{spell('failover_kms_key_arn')}", source["failover_kms_key_arn"],
                                f"is set but the app has no {spell('failover_region')}")
    keys = list(source["keys"])
    where = f"{setting}.{spell('keys')}"
    for j, key in enumerate(keys):
        with errors.part():
            if not isinstance(key["file"], str) or not DATA_KEY.match(key["file"]):
                raise SettingsError(f"{where}[{j}].file", key["file"],
                                    "is not a file name ([-._a-zA-Z0-9]+): it becomes a file and a Secret key")
            if "property" in key and key["file"] == whole_secret_file(index):
                raise SettingsError(f"{where}[{j}].file", key["file"],
                                    "is the file the CSI provider writes the whole secret to: choose another name")
        with errors.part():
            if "env" in key:
                check_env_name(key["env"], f"{where}[{j}].env")
        with errors.part():
            if kind == "esc_environment" and "property" not in key:
                raise SettingsError(f"{where}[{j}].property", None,
                                    "is required for a Pulumi ESC source: the path of a value in the ESC environment")
    with errors.part():
        if not keys:
            raise SettingsError(where, [], "is empty: name at least one key to expose")
    whole = [j for j, key in enumerate(keys) if "property" not in key]
    for j in whole[1:] if kind != "esc_environment" else []:
        with errors.part():
            raise SettingsError(f"{where}[{j}].property", None, f"is not set, and keys[{whole[0]}] already exposes the "
                                                                "whole secret: give this key a property")
    errors.raise_any()


def _source(secret: AppSecretArgs) -> tuple[str, pulumi.Input[str]]:
    """(``secret``, ``parameter`` or ``esc_environment``, its value) of a checked source."""
    kind = next(k for k in SOURCE_KINDS if k in secret)
    return kind, secret[kind]  # type: ignore[literal-required]


def _check_secrets(secrets: Sequence[AppSecretArgs], failover: str | None) -> list[AppSecretArgs]:
    """Every mistake of the secrets, all at once (one ``InputPropertiesError`` each); the secrets whose source or
    keys are Outputs replaced by ones that check themselves, with the same rule, once they resolve."""
    check_secret_sources(secrets, "AppSecretsArgs.secrets", failover=failover is not None)
    check_unique((k["env"] for s in secrets for k in s["keys"] if "env" in k), "AppSecretsArgs.secrets[].keys[].env")
    checked: list[AppSecretArgs] = []
    for i, secret in enumerate(secrets):
        setting = f"AppSecretsArgs.secrets[{i}]"
        kind, value = _source(secret)
        resolved = dict(secret)
        resolved[kind] = apply_input(value, functools.partial(check_source_name, kind=kind,
                                                              setting=f"{setting}.{kind}"))
        for field in ("kms_key_arn", "failover_kms_key_arn"):
            if field in secret:
                resolved[field] = apply_input(secret[field], functools.partial(
                    check_arn, setting=f"{setting}.{field}", service="kms", resource_prefix="key/"))
        checked.append(cast(AppSecretArgs, resolved))
    return checked


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
    kind, source = _source(secret)
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
    for secret in secrets:
        kind, value = _source(secret)
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
