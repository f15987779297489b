"""Stack settings: the one place that reads ``pulumi.Config``.

:func:`load_settings` turns the stack's configuration (``stacks/Pulumi.<stack>.yaml``) into frozen,
validated objects. Every bad value fails here, before any resource is registered, with a
:class:`~components.validation.SettingsError` per mistake that names the config key, the bad value and what is
expected. Unknown keys are errors too, so that a typo cannot silently fall back to a default.

Secret values never live in these objects as text: a secret setting becomes a secret ``pulumi.Output``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import TypeAdapter
from pydantic.alias_generators import to_camel

from components.app_secrets import (
    BACKENDS,
    DEFAULT_MOUNT_PATH,
    IDENTITIES,
    AppSecretArgs,
    AppSecretKeyArgs,
    check_env_needs_sync,
    whole_secret_file,
)
from components.cluster import (
    DEFAULT_ENDPOINT_PRIVATE_ACCESS,
    DEFAULT_ENDPOINT_PUBLIC_ACCESS,
    DEFAULT_KMS_DELETION_WINDOW_DAYS,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_NODE_GROUP_SIZES,
    DEFAULT_VERSION,
    SUPPORT_TYPES,
    ClusterAccessEntryArgs,
    ClusterNodeGroupArgs,
)
from components.csi_driver import DEFAULT_ROTATION_POLL_INTERVAL, INSTALLS, check_install_mode
from components.encryption_key import DEFAULT_PROTECT
from components.environment import (
    POD_SECURITY_LEVELS,
    SECRET_TYPES,
    check_checksum_key,
    check_checksummed_name,
    check_registry_username,
)
from components.external_secrets import DEFAULT_NAMESPACE as ESO_NAMESPACE
from components.external_secrets import DEFAULT_REFRESH_INTERVAL
from components.iam_policies import parameter_arn
from components.plan.offline import OFFLINE, UNSET_SECRETS, offline_placeholder, placeholder_tls_pair
from components.plan.rotation_cost import ROTATION_COST_DEFAULTS, STACK_PRICES, RotationCostSettings
from components.reloader import DEFAULT_NAMESPACE as RELOADER_NAMESPACE
from components.secret_data import check_tls_pair
from components.validation import (
    ACCESS_POLICIES,
    REQUIRED_LOG_TYPES,
    SECRET_SHOWN_AS,
    ErrorCollector,
    MissingSettingError,
    SettingsError,
    check_arn,
    check_arn_region,
    check_cluster_name,
    check_config_map_size,
    check_data_key,
    check_dns1123_label,
    check_endpoint_access,
    check_environment_namespace,
    check_kms_deletion_window,
    check_kubernetes_version,
    check_label_value,
    check_log_retention_days,
    check_log_types,
    check_no_wildcard,
    check_node_group_sizes,
    check_principal_arn,
    check_region,
    check_subnet_ids,
    check_unique,
    check_vpc_id,
    parse_go_duration,
    parse_section,
    partition_of,
    stack_file_adapter,
    stack_file_keys,
)
from components.workload import SCRATCH_MOUNT_PATH

__all__ = [
    "KEYS",
    "PROJECT",
    "AppSettings",
    "ClusterSettings",
    "ConfigFileMount",
    "ConfigMapSettings",
    "CsiSettings",
    "EnvFromConfigMapKey",
    "EnvFromSecretKey",
    "EnvironmentSettings",
    "ExternalSecretsSettings",
    "SecretDeliverySettings",
    "SecretSettings",
    "SecretValue",
    "SecretVolumeMount",
    "StackSettings",
    "check_checksum_key_apart",
    "load_settings",
    "parse_settings",
]

PROJECT = "eks-config-secrets"

# -- the settings objects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretValue:
    """A secret setting: its config key and its value as a secret Output (never plain text here)."""

    key: str
    value: pulumi.Output[str]
    known: bool
    """False in the offline plan, where the value is a placeholder and its content cannot be checked."""


@dataclass(frozen=True)
class ClusterSettings:
    name: str
    version: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    endpoint_private_access: bool
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    log_types: tuple[str, ...]
    log_retention_days: int
    node_group: ClusterNodeGroupArgs
    """As the component takes it (what it omits takes the component's defaults)."""
    access_entries: tuple[ClusterAccessEntryArgs, ...]
    kms_key_arn: str | None
    kms_deletion_window_days: int
    protect: bool
    support_type: str


@dataclass(frozen=True)
class CsiSettings:
    install: str
    sync_secret: bool
    enable_secret_rotation: bool
    rotation_poll_interval: str


@dataclass(frozen=True)
class ExternalSecretsSettings:
    refresh_interval: str
    pulumi_organization: str | None = None


@dataclass(frozen=True)
class SecretDeliverySettings:
    backend: str
    csi: CsiSettings
    external_secrets: ExternalSecretsSettings
    reloader: bool
    rotation_cost: RotationCostSettings = ROTATION_COST_DEFAULTS


@dataclass(frozen=True)
class ConfigMapSettings:
    name: str
    data: Mapping[str, str]
    files: Mapping[str, str]
    """File name -> content, read relative to the project directory."""
    immutable: bool


@dataclass(frozen=True)
class SecretSettings:
    name: str
    type: str
    string_data: Mapping[str, SecretValue]
    """Opaque: Secret key -> value."""
    certificate: SecretValue | None
    private_key: SecretValue | None
    registry: str | None
    username: str | None
    password: SecretValue | None


@dataclass(frozen=True)
class EnvironmentSettings:
    name: str
    namespace: str
    pod_security: str
    config_maps: tuple[ConfigMapSettings, ...]
    secrets: tuple[SecretSettings, ...]
    checksum_key: SecretValue | None = None


@dataclass(frozen=True)
class EnvFromConfigMapKey:
    env: str
    config_map: str
    key: str


@dataclass(frozen=True)
class EnvFromSecretKey:
    env: str
    secret: str
    key: str


@dataclass(frozen=True)
class ConfigFileMount:
    config_map: str
    key: str
    mount_path: str


@dataclass(frozen=True)
class SecretVolumeMount:
    secret: str
    mount_path: str


@dataclass(frozen=True)
class AppSettings:
    name: str
    image: str
    replicas: int
    port: int | None
    environments: tuple[str, ...]
    identity: str
    backend: str
    env: tuple[EnvFromConfigMapKey, ...]
    env_from: tuple[str, ...]
    config_files: tuple[ConfigFileMount, ...]
    secret_env: tuple[EnvFromSecretKey, ...]
    secret_volumes: tuple[SecretVolumeMount, ...]
    image_pull_secrets: tuple[str, ...]
    secrets: tuple[AppSecretArgs, ...]
    """The app's ``secretSources``, as the component takes them (``{environment}`` not yet replaced)."""
    failover_region: str | None = None
    restart_on_file_rotation: bool = False
    target_role_arn: str | None = None


@dataclass(frozen=True)
class StackSettings:
    stack: str
    region: str
    partition: str
    cluster: ClusterSettings
    secret_delivery: SecretDeliverySettings
    environments: tuple[EnvironmentSettings, ...]
    apps: tuple[AppSettings, ...]

    @property
    def uses_pod_identity(self) -> bool:
        return any(app.identity == "pod-identity" for app in self.apps)

    @property
    def restarts_on_file_rotation(self) -> bool:
        return any(app.restart_on_file_rotation for app in self.apps)

    def apps_in(self, environment: str) -> tuple[AppSettings, ...]:
        return tuple(app for app in self.apps if environment in app.environments)


# -- parsing helpers --------------------------------------------------------------------------------------

T = TypeVar("T")
D = TypeVar("D")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONFIG_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


KEYS: dict[str, tuple[str, ...]] = {
    "cluster": ("name", "version", "vpcId", "subnetIds", "endpointPrivateAccess", "endpointPublicAccess",
                "publicAccessCidrs", "logTypes", "logRetentionDays", "nodeGroup", "accessEntries", "kms", "protect",
                "supportType"),
    "cluster.nodeGroup": stack_file_keys(ClusterNodeGroupArgs),
    "cluster.accessEntries[]": stack_file_keys(ClusterAccessEntryArgs),
    "cluster.kms": ("deletionWindowDays", "keyArn"),
    "secretDelivery": ("backend", "csi", "externalSecrets", "reloader", "rotationCost"),
    "secretDelivery.rotationCost": ("secretsManagerUsdPer10kCalls", "ssmUsdPer10kCalls", "advisoryUsdPerMonth"),
    "secretDelivery.csi": ("install", "syncSecret", "enableSecretRotation", "rotationPollInterval"),
    "secretDelivery.externalSecrets": ("refreshInterval", "pulumiOrganization"),
    "environments[]": ("name", "namespace", "podSecurity", "configMaps", "kubernetesSecrets", "checksumKey"),
    "environments[].configMaps[]": ("name", "data", "files", "immutable"),
    "environments[].kubernetesSecrets[]": ("name", "type", "stringData", "certificate", "privateKey", "registry",
                                           "username", "password"),
    "apps[]": ("name", "image", "replicas", "port", "environments", "identity", "backend", "env", "envFrom",
               "configFiles", "secretEnv", "secretVolumes", "imagePullSecrets", "secretSources", "failoverRegion",
               "restartOnFileRotation", "targetRoleArn"),
    "apps[].env[]": ("name", "configMap", "key"),
    "apps[].secretEnv[]": ("name", "kubernetesSecret", "key"),
    "apps[].configFiles[]": ("configMap", "key", "mountPath"),
    "apps[].secretVolumes[]": ("kubernetesSecret", "mountPath"),
    # Sections that are a component's own args type: their keys are its fields, in the stack file's form.
    "apps[].secretSources[]": stack_file_keys(AppSecretArgs),
    "apps[].secretSources[].keys[]": stack_file_keys(AppSecretKeyArgs),
}
"""Every key each settings object accepts (the README's settings reference is checked against this)."""


RENAMED_KEYS: dict[str, dict[str, str]] = {
    "environments[]": {"secrets": "kubernetesSecrets"},
    "apps[]": {"secrets": "secretSources"},
    "apps[].secretEnv[]": {"secret": "kubernetesSecret"},
    "apps[].secretVolumes[]": {"secret": "kubernetesSecret"},
}
"""Keys renamed so that "secrets" means one thing each (Kubernetes Secrets of an environment, the sources an app's
secrets are read from, the Kubernetes Secret an env var or volume reads): old name -> new name, per object. The old
names are read until the next release, each with a deprecation message naming the new key."""
_RENAMES = {KEYS[schema]: renames for schema, renames in RENAMED_KEYS.items()}


def _renamed(fields: dict[str, Any], path: str, renames: Mapping[str, str]) -> dict[str, Any]:
    """``fields`` with each old key of ``renames`` under its new name (a warning says so); both given is an error."""
    fields = dict(fields)
    for old, new in renames.items():
        if old not in fields:
            continue
        if new in fields:
            raise SettingsError(f"{path}.{old}", "<set>", f"is the old name of {new}, which is given too: keep {new}")
        pulumi.log.warn(f"{path}.{old} is deprecated and will be removed in the next release: rename it to {new}")
        fields[new] = fields.pop(old)
    return fields


class _Node:
    """A config value with the path it came from, so every error can name its key."""

    def __init__(self, value: Any, path: str) -> None:
        self.value = value
        self.path = path

    def fail(self, expected: str, value: Any = None) -> SettingsError:
        return SettingsError(self.path, self.value if value is None else value, expected)

    def object(self, allowed: tuple[str, ...]) -> dict[str, _Node]:
        if not isinstance(self.value, dict):
            raise self.fail("is not an object")
        self.value = _renamed(self.value, self.path, _RENAMES.get(allowed, {}))
        unknown = sorted(set(self.value) - set(allowed))
        if unknown:
            raise SettingsError(
                f"{self.path}.{unknown[0]}", self.value[unknown[0]],
                f"is not a known setting (known: {', '.join(allowed)})",
            )
        return {k: _Node(v, f"{self.path}.{k}") for k, v in self.value.items()}

    def items(self) -> list[_Node]:
        if not isinstance(self.value, list):
            raise self.fail("is not a list")
        return [_Node(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def string(self) -> str:
        if not isinstance(self.value, str) or not self.value:
            raise self.fail("is not a non-empty string")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail("is not a boolean (true or false)")
        return self.value

    def integer(self, low: int, high: int) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or not low <= self.value <= high:
            raise self.fail(f"is not a whole number from {low} to {high}")
        return self.value

    def whole(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("is not a whole number")
        return self.value

    def choice(self, options: Sequence[str]) -> str:
        if self.value not in options:
            raise self.fail(f"is not one of: {', '.join(options)}")
        return str(self.value)

    def strings(self) -> tuple[str, ...]:
        return tuple(item.string() for item in self.items())

    def string_map(self) -> dict[str, str]:
        if not isinstance(self.value, dict):
            raise self.fail("is not an object of names to strings")
        result = {}
        for key, value in self.value.items():
            # Kubernetes ConfigMap data is string-only; a YAML 5432 must be written "5432".
            if not isinstance(value, str):
                raise SettingsError(f"{self.path}.{key}", value, "is not a string (quote numbers and booleans)")
            result[str(key)] = value
        return result


def _get(fields: Mapping[str, _Node], key: str, parse: Callable[[_Node], T], default: D) -> T | D:
    node = fields.get(key)
    return default if node is None else parse(node)


def _require(fields: Mapping[str, _Node], key: str, parent: str, parse: Callable[[_Node], T]) -> T:
    node = fields.get(key)
    if node is None:
        # A top-level setting is `project:key`, as in the stack file; a nested one `project:parent.key`.
        raise MissingSettingError(f"{parent}:{key}" if parent == PROJECT else f"{parent}.{key}")
    return parse(node)


def _section(fields: Mapping[str, _Node], key: str, parent: str) -> _Node:
    """An optional nested object: an absent one reads as empty, so that all its defaults apply."""
    return fields.get(key) or _Node({}, f"{parent}.{key}")


# -- the sections -----------------------------------------------------------------------------------------


def _cluster(node: _Node, region: str) -> ClusterSettings:
    fields = node.object(KEYS["cluster"])
    path = node.path
    name = check_cluster_name(_require(fields, "name", path, _Node.string), f"{path}.name")
    version = check_kubernetes_version(_get(fields, "version", _Node.string, DEFAULT_VERSION), f"{path}.version")
    vpc_id = check_vpc_id(_require(fields, "vpcId", path, _Node.string), f"{path}.vpcId")
    subnet_ids = tuple(check_subnet_ids(_require(fields, "subnetIds", path, _Node.strings), f"{path}.subnetIds"))
    public = _get(fields, "endpointPublicAccess", _Node.boolean, DEFAULT_ENDPOINT_PUBLIC_ACCESS)
    private = _get(fields, "endpointPrivateAccess", _Node.boolean, DEFAULT_ENDPOINT_PRIVATE_ACCESS)
    cidrs = _get(fields, "publicAccessCidrs", _Node.strings, ())
    check_endpoint_access(public, private, cidrs, (f"{path}.endpointPublicAccess", f"{path}.endpointPrivateAccess",
                                                   f"{path}.publicAccessCidrs"))
    log_types = tuple(check_log_types(_get(fields, "logTypes", _Node.strings, REQUIRED_LOG_TYPES), f"{path}.logTypes"))
    retention = check_log_retention_days(_get(fields, "logRetentionDays", _Node.whole, DEFAULT_LOG_RETENTION_DAYS),
                                         f"{path}.logRetentionDays")
    node_group = _node_group(_section(fields, "nodeGroup", node.path))
    access_entries = tuple(_access_entry(n) for n in _get(fields, "accessEntries", _Node.items, []))
    kms_fields = _section(fields, "kms", node.path).object(KEYS["cluster.kms"])
    kms_key_arn = _get(kms_fields, "keyArn", _Node.string, None)
    if kms_key_arn is not None:
        check_arn(kms_key_arn, kms_fields["keyArn"].path, service="kms", resource_prefix="key/")
        check_arn_region(kms_key_arn, region, kms_fields["keyArn"].path, "the cluster's region (aws:region)")
    window = check_kms_deletion_window(
        _get(kms_fields, "deletionWindowDays", lambda n: n.value, DEFAULT_KMS_DELETION_WINDOW_DAYS),
        f"{path}.kms.deletionWindowDays")
    return ClusterSettings(
        name=name,
        version=version,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        endpoint_private_access=private,
        endpoint_public_access=public,
        public_access_cidrs=cidrs,
        log_types=log_types,
        log_retention_days=retention,
        node_group=node_group,
        access_entries=access_entries,
        kms_key_arn=kms_key_arn,
        kms_deletion_window_days=window,
        # Losing the key or the cluster loses every Secret: protected unless the stack file says otherwise.
        protect=_get(fields, "protect", _Node.boolean, DEFAULT_PROTECT),
        support_type=_get(fields, "supportType", lambda n: n.choice(SUPPORT_TYPES), SUPPORT_TYPES[0]),
    )


_NODE_GROUP = TypeAdapter(ClusterNodeGroupArgs)
_ACCESS_ENTRY = TypeAdapter(ClusterAccessEntryArgs)


def _node_group(node: _Node) -> ClusterNodeGroupArgs:
    """``cluster.nodeGroup``: the component's own ``ClusterNodeGroupArgs``; what it omits takes the component's
    defaults."""
    group = parse_section(_NODE_GROUP, node.value, node.path, {(): KEYS["cluster.nodeGroup"]})
    sizes = {"minSize": group.get("min_size", DEFAULT_NODE_GROUP_SIZES["min_size"]),
             "desiredSize": group.get("desired_size", DEFAULT_NODE_GROUP_SIZES["desired_size"]),
             "maxSize": group.get("max_size", DEFAULT_NODE_GROUP_SIZES["max_size"])}
    for key, size in sizes.items():
        if not 0 <= size <= 1000:  # EKS allows at most 1,000 nodes in a managed node group (service quotas)
            raise SettingsError(f"{node.path}.{key}", size, "is not a whole number from 0 to 1000")
    check_node_group_sizes(sizes, node.path)
    return group


def _access_entry(node: _Node) -> ClusterAccessEntryArgs:
    """One of ``cluster.accessEntries``: the component's own ``ClusterAccessEntryArgs``."""
    entry = parse_section(_ACCESS_ENTRY, node.value, node.path, {(): KEYS["cluster.accessEntries[]"]})
    check_principal_arn(entry["principal_arn"], f"{node.path}.principalArn")
    if "access_policy" in entry and entry["access_policy"] not in ACCESS_POLICIES:
        raise SettingsError(f"{node.path}.accessPolicy", entry["access_policy"],
                            f"is not one of: {', '.join(ACCESS_POLICIES)}")
    for i, namespace in enumerate(entry.get("namespaces", ())):
        check_dns1123_label(namespace, f"{node.path}.namespaces[{i}]")
    return entry


def _secret_delivery(node: _Node) -> SecretDeliverySettings:
    fields = node.object(KEYS["secretDelivery"])
    csi = _section(fields, "csi", node.path).object(KEYS["secretDelivery.csi"])
    interval = _get(csi, "rotationPollInterval", _Node.string, DEFAULT_ROTATION_POLL_INTERVAL)
    parse_go_duration(interval, f"{node.path}.csi.rotationPollInterval")
    eso = _section(fields, "externalSecrets", node.path).object(KEYS["secretDelivery.externalSecrets"])
    refresh = _get(eso, "refreshInterval", _Node.string, DEFAULT_REFRESH_INTERVAL)
    parse_go_duration(refresh, f"{node.path}.externalSecrets.refreshInterval")
    install = _get(csi, "install", lambda n: n.choice(INSTALLS), INSTALLS[0])
    sync_secret = _get(csi, "syncSecret", _Node.boolean, True)
    check_install_mode(install, sync_secret, f"{node.path}.csi.install")
    return SecretDeliverySettings(
        backend=_get(fields, "backend", lambda n: n.choice(BACKENDS), BACKENDS[0]),
        csi=CsiSettings(
            install=install,
            sync_secret=sync_secret,
            enable_secret_rotation=_get(csi, "enableSecretRotation", _Node.boolean, True),
            rotation_poll_interval=interval,
        ),
        external_secrets=ExternalSecretsSettings(
            refresh_interval=refresh, pulumi_organization=_get(eso, "pulumiOrganization", _Node.string, None)),
        reloader=_get(fields, "reloader", _Node.boolean, True),
        rotation_cost=rotation_cost_settings(_section(fields, "rotationCost", node.path)),
    )


def rotation_cost_settings(node: _Node) -> RotationCostSettings:
    """``secretDelivery.rotationCost``: the prices of the plan's rotation estimate and its advisory threshold."""
    fields = node.object(KEYS["secretDelivery.rotationCost"])
    defaults = ROTATION_COST_DEFAULTS

    def amount(key: str, default: float) -> float:
        found = fields.get(key)
        if found is None:
            return default
        if isinstance(found.value, bool) or not isinstance(found.value, int | float) or found.value < 0:
            raise found.fail("is not an amount in USD (a number, 0 or more)")
        return float(found.value)

    return RotationCostSettings(
        secrets_manager_usd_per_10k_calls=amount("secretsManagerUsdPer10kCalls",
                                                 defaults.secrets_manager_usd_per_10k_calls),
        ssm_usd_per_10k_calls=amount("ssmUsdPer10kCalls", defaults.ssm_usd_per_10k_calls),
        advisory_usd_per_month=amount("advisoryUsdPerMonth", defaults.advisory_usd_per_month),
    )


class _Secrets:
    """Resolves references to secret settings (top-level config keys set with `--secret`)."""

    def __init__(self, values: Mapping[str, Any], secret_keys: set[str], offline: bool) -> None:
        self.values = values
        self.secret_keys = secret_keys
        self.offline = offline
        self.referenced: set[str] = set()

    def resolve(self, node: _Node) -> SecretValue:
        return self._resolve(node, None)

    def resolve_tls_pair(self, certificate: _Node, private_key: _Node) -> tuple[SecretValue, SecretValue]:
        """Resolve a certificate and its key, and check that they belong together when their text is known.

        Offline they are a throwaway self-signed pair derived from both placeholders, so that everything
        downstream sees valid PEM and the plan is the same on every run.
        """
        if self.offline:
            cert_pem, key_pem = placeholder_tls_pair(self._value(certificate), self._value(private_key))
            return self._resolve(certificate, cert_pem), self._resolve(private_key, key_pem)
        cert, key = self._resolve(certificate, None), self._resolve(private_key, None)
        check_tls_pair(str(self.values[cert.key]), str(self.values[key.key]),
                       f"{PROJECT}:{cert.key} (certificate of {certificate.path})",
                       f"{PROJECT}:{key.key} (private key of {private_key.path})")
        return cert, key

    def _value(self, node: _Node) -> str:
        """The offline value of a secret setting: the stack file's placeholder, or one for a value set elsewhere."""
        key = node.value if isinstance(node.value, str) else ""
        return str(self.values[key]) if key in self.values else offline_placeholder(f"{PROJECT}:{key}")

    def _resolve(self, node: _Node, offline_value: str | None) -> SecretValue:
        key = node.value
        if not isinstance(key, str) or not _CONFIG_KEY.match(key):
            # A reference that is not a name is most likely the secret itself, pasted in: never echo it.
            raise SettingsError(node.path, SECRET_SHOWN_AS,
                                "is not the name of a secret setting (letters, digits, '_', '-', '.'): a secret "
                                "never goes in the stack file as text; run `pulumi config set --secret <name> "
                                "<value>` and give <name> here")
        self.referenced.add(key)
        full_key = f"{PROJECT}:{key}"
        fix = f"run `pulumi config set --secret {key} <value>`"
        if key in self.values and key not in self.secret_keys:
            raise SettingsError(full_key, SECRET_SHOWN_AS,
                                f"is committed as plain text but must be a secret (referenced by {node.path}), which "
                                f"`pulumi up` refuses: remove it from the stack file and {fix}")
        if self.offline:
            if key not in self.values:
                # Set elsewhere (an ESC environment) or not yet: taken as supplied, and listed by the plan.
                unset = UNSET_SECRETS.get()
                if unset is not None and full_key not in unset:
                    unset.append(full_key)
            return SecretValue(key, pulumi.Output.secret(offline_value or self._value(node)), known=False)
        if key not in self.values:
            raise SettingsError(full_key, None, f"is not set (referenced by {node.path}): {fix}")
        return SecretValue(key, pulumi.Output.secret(str(self.values[key])), known=True)


def _environment(node: _Node, project_dir: Path, secrets: _Secrets) -> EnvironmentSettings:
    fields = node.object(KEYS["environments[]"])
    name = check_dns1123_label(_require(fields, "name", node.path, _Node.string), f"{node.path}.name")
    namespace = check_environment_namespace(
        check_dns1123_label(_get(fields, "namespace", _Node.string, name), f"{node.path}.namespace"),
        f"{node.path}.namespace" if "namespace" in fields else f"{node.path}.name")
    config_maps = tuple(_config_map(n, project_dir) for n in _get(fields, "configMaps", _Node.items, []))
    check_unique((c.name for c in config_maps), f"{node.path}.configMaps[].name")
    env_secrets = tuple(_secret(n, secrets) for n in _get(fields, "kubernetesSecrets", _Node.items, []))
    check_unique((s.name for s in env_secrets), f"{node.path}.kubernetesSecrets[].name")
    checksum_key = secrets.resolve(fields["checksumKey"]) if "checksumKey" in fields else None
    if checksum_key is not None:
        check_checksum_key_apart(checksum_key.key, env_secrets, fields["checksumKey"].path)
        if checksum_key.known:
            check_checksum_key(str(secrets.values[checksum_key.key]), f"{PROJECT}:{checksum_key.key}")
    if env_secrets and checksum_key is None:
        raise SettingsError(f"{node.path}.checksumKey", None,
                            "is required when the environment has secrets: the name of a secret setting of 16+ "
                            "random characters, e.g. `pulumi config set --secret checksumKey \"$(openssl rand "
                            "-base64 32)\"`")
    return EnvironmentSettings(
        name=name,
        namespace=namespace,
        pod_security=_get(fields, "podSecurity", lambda n: n.choice(POD_SECURITY_LEVELS), POD_SECURITY_LEVELS[0]),
        config_maps=config_maps,
        secrets=env_secrets,
        checksum_key=checksum_key,
    )


def check_checksum_key_apart(checksum_key: str, env_secrets: Sequence[SecretSettings], setting: str) -> None:
    """The HMAC key of the checksums must not be one of the values it checksums.

    ``checksum/<name> = HMAC(key, value)`` published on a pod template is a guess verifier when ``key`` is the
    value itself: whoever reads pods can test candidate values offline.
    """
    for secret in env_secrets:
        values = [*secret.string_data.values(), secret.certificate, secret.private_key, secret.password]
        if any(v is not None and v.key == checksum_key for v in values):
            raise SettingsError(setting, checksum_key,
                                f"is also a value of Secret {secret.name!r}, whose checksum it keys (the checksum "
                                "would then let anyone who reads pods verify guesses of it): use a separate random "
                                "secret setting")


def _config_map(node: _Node, project_dir: Path) -> ConfigMapSettings:
    fields = node.object(KEYS["environments[].configMaps[]"])
    name = check_checksummed_name(_require(fields, "name", node.path, _Node.string), f"{node.path}.name")
    data = _get(fields, "data", _Node.string_map, {})
    for key in data:
        check_data_key(key, f"{node.path}.data.{key}")
    files: dict[str, str] = {}
    for item in _get(fields, "files", _Node.items, []):
        relative = item.string()
        path = (project_dir / relative).resolve()
        if not path.is_relative_to(project_dir.resolve()):
            raise item.fail("must be a path inside the project directory")
        if not path.is_file():
            raise item.fail(f"is not a file (paths are relative to the project directory {project_dir})")
        key = check_data_key(path.name, item.path)
        if key in files or key in data:
            raise item.fail(f"gives the key {key!r} twice; ConfigMap keys must be unique")
        try:
            files[key] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise item.fail(f"is not UTF-8 text (byte {error.start}): a ConfigMap's data holds text") from None
    if not data and not files:
        raise SettingsError(f"{node.path}.data", None, "and files are both empty: give the ConfigMap data or files")
    check_config_map_size({**data, **files}, node.path)
    return ConfigMapSettings(name=name, data=data, files=files,
                             immutable=_get(fields, "immutable", _Node.boolean, False))


def _secret(node: _Node, secrets: _Secrets) -> SecretSettings:
    fields = node.object(KEYS["environments[].kubernetesSecrets[]"])
    name = check_checksummed_name(_require(fields, "name", node.path, _Node.string), f"{node.path}.name")
    kind = _get(fields, "type", lambda n: n.choice(SECRET_TYPES), SECRET_TYPES[0])
    needed = {
        "Opaque": ("stringData",),
        "kubernetes.io/tls": ("certificate", "privateKey"),
        "kubernetes.io/dockerconfigjson": ("registry", "username", "password"),
    }[kind]
    for key in needed:
        if key not in fields:
            raise SettingsError(f"{node.path}.{key}", None, f"is required for a Secret of type {kind}")
    for key in set(fields) - {"name", "type", *needed}:
        raise SettingsError(f"{node.path}.{key}", fields[key].value, f"does not apply to a Secret of type {kind}")
    certificate, private_key = (
        secrets.resolve_tls_pair(fields["certificate"], fields["privateKey"]) if kind == "kubernetes.io/tls"
        else (None, None)
    )
    string_data: dict[str, SecretValue] = {}
    if "stringData" in fields:
        mapping = fields["stringData"]
        if not isinstance(mapping.value, dict) or not mapping.value:
            raise mapping.fail("is not an object of Secret keys to secret setting names")
        for key, ref in mapping.value.items():
            check_data_key(key, f"{mapping.path}.{key}")
            string_data[str(key)] = secrets.resolve(_Node(ref, f"{mapping.path}.{key}"))
    return SecretSettings(
        name=name,
        type=kind,
        string_data=string_data,
        certificate=certificate,
        private_key=private_key,
        registry=fields["registry"].string() if "registry" in fields else None,
        username=check_registry_username(fields["username"].string(), fields["username"].path)
        if "username" in fields else None,
        password=secrets.resolve(fields["password"]) if "password" in fields else None,
    )


def _app(node: _Node, environments: Sequence[str], delivery: SecretDeliverySettings, region: str) -> AppSettings:
    fields = node.object(KEYS["apps[]"])
    name = check_dns1123_label(_require(fields, "name", node.path, _Node.string), f"{node.path}.name")
    app_envs = _get(fields, "environments", _Node.strings, tuple(environments))
    for i, env in enumerate(app_envs):
        if env not in environments:
            raise SettingsError(f"{node.path}.environments[{i}]", env,
                                f"is not an environment of this stack (known: {', '.join(environments)})")
    env_vars = _records(fields, "env", "apps[].env[]", lambda f, path: EnvFromConfigMapKey(
        env=_env_name(_text(f, "name", path), f"{path}.name"), config_map=_text(f, "configMap", path),
        key=_text(f, "key", path)))
    secret_env = _records(fields, "secretEnv", "apps[].secretEnv[]", lambda f, path: EnvFromSecretKey(
        env=_env_name(_text(f, "name", path), f"{path}.name"), secret=_text(f, "kubernetesSecret", path),
        key=_text(f, "key", path)))
    config_files = _records(fields, "configFiles", "apps[].configFiles[]", lambda f, path: ConfigFileMount(
        config_map=_text(f, "configMap", path), key=_text(f, "key", path),
        mount_path=_mount_path(_require(f, "mountPath", path, lambda n: n))))
    secret_volumes = _records(fields, "secretVolumes", "apps[].secretVolumes[]", lambda f, path: SecretVolumeMount(
        secret=_text(f, "kubernetesSecret", path), mount_path=_mount_path(_require(f, "mountPath", path, lambda n: n))))
    app_secrets = tuple(_app_secret(n, region, j) for j, n in enumerate(_get(fields, "secretSources", _Node.items, [])))
    identity = _get(fields, "identity", lambda n: n.choice(IDENTITIES), IDENTITIES[0])
    backend = _get(fields, "backend", lambda n: n.choice(BACKENDS), delivery.backend)
    if backend == "csi":
        check_env_needs_sync(delivery.csi.sync_secret, [(f"{node.path}.secretSources[{j}].keys[{k}].env", key["env"])
                                                        for j, secret in enumerate(app_secrets)
                                                        for k, key in enumerate(secret["keys"]) if "env" in key])
    all_env = [e.env for e in env_vars] + [e.env for e in secret_env] + [
        k["env"] for s in app_secrets for k in s["keys"] if "env" in k]
    check_unique(all_env, f"{node.path} environment variable")
    check_unique([k["file"] for s in app_secrets for k in s["keys"]], f"{node.path}.secretSources[].keys[].file")
    _check_mount_paths(node.path, config_files, secret_volumes, bool(app_secrets))
    port = _get(fields, "port", lambda n: n.integer(1, 65535), None)
    failover = _get(fields, "failoverRegion", _Node.string, None)
    restart = _get(fields, "restartOnFileRotation", _Node.boolean, False)
    for key, value in (("failoverRegion", failover), ("restartOnFileRotation", restart)):
        if value and backend != "csi":
            raise fields[key].fail("applies to the csi backend only (a Secrets Store CSI provider feature)")
    if failover is not None and check_region(failover, fields["failoverRegion"].path) == region:
        # The AWS provider would fail every mount: "failover region cannot be the same as the primary region".
        raise fields["failoverRegion"].fail("is the stack's own region (aws:region): name a second region that holds "
                                            "replicas of the app's secrets, or remove it")
    target = _get(fields, "targetRoleArn", _Node.string, None)
    if target is not None:
        check_no_wildcard(target, fields["targetRoleArn"].path, "IAM role")
        check_arn(target, fields["targetRoleArn"].path, service="iam", resource_prefix="role/")
        if (identity, backend) != ("pod-identity", "csi"):
            raise fields["targetRoleArn"].fail("needs identity pod-identity and backend csi: EKS Pod Identity "
                                               "chains to it (the association's targetRoleArn)")
    for i, secret in enumerate(app_secrets):
        replica_key = secret.get("failover_kms_key_arn")
        if replica_key and failover is None:
            raise SettingsError(f"{node.path}.secretSources[{i}].failoverKmsKeyArn", replica_key,
                                "is set but the app has no failoverRegion")
        if replica_key and failover:
            # The replica is decrypted by Secrets Manager of its own region, with a key of that region.
            check_arn_region(cast(str, replica_key), failover, f"{node.path}.secretSources[{i}].failoverKmsKeyArn",
                             "the app's failoverRegion")
    if any("esc_environment" in secret for secret in app_secrets):
        if backend != "external-secrets":
            raise SettingsError(f"{node.path}.backend", backend, "cannot read escEnvironment sources: Pulumi ESC is "
                                                                 "read through the External Secrets Operator (backend "
                                                                 "external-secrets)")
        if delivery.external_secrets.pulumi_organization is None:
            raise SettingsError(f"{PROJECT}:secretDelivery.externalSecrets.pulumiOrganization", None,
                                f"is required: {node.path} reads a Pulumi ESC environment of that organization")
    if restart and not (delivery.reloader and app_secrets):
        raise fields["restartOnFileRotation"].fail("needs Reloader (secretDelivery.reloader: true) and secrets of "
                                                   "the app to watch")
    return AppSettings(
        name=name,
        image=_require(fields, "image", node.path, _Node.string),
        replicas=_get(fields, "replicas", lambda n: n.integer(0, 100), 1),
        port=port,
        environments=app_envs,
        identity=identity,
        backend=backend,
        env=env_vars,
        env_from=_get(fields, "envFrom", _Node.strings, ()),
        config_files=config_files,
        secret_env=secret_env,
        secret_volumes=secret_volumes,
        image_pull_secrets=_get(fields, "imagePullSecrets", _Node.strings, ()),
        secrets=app_secrets,
        failover_region=failover,
        restart_on_file_rotation=restart,
        target_role_arn=target,
    )


def _check_mount_paths(path: str, config_files: Sequence[ConfigFileMount], secret_volumes: Sequence[SecretVolumeMount],
                       has_secrets: bool) -> None:
    """The API server refuses a container with two mounts at one path ("must be unique")."""
    taken = {SCRATCH_MOUNT_PATH: "the workload's scratch emptyDir"}
    if has_secrets:
        taken[DEFAULT_MOUNT_PATH] = "the app's secrets volume"
    mounts = [(f"{path}.configFiles[{i}].mountPath", f.mount_path) for i, f in enumerate(config_files)] + [
        (f"{path}.secretVolumes[{i}].mountPath", v.mount_path) for i, v in enumerate(secret_volumes)]
    for setting, mount_path in mounts:
        normalised = mount_path.rstrip("/") or "/"
        if normalised in taken:
            raise SettingsError(setting, mount_path, f"is already the mount path of {taken[normalised]}: each mount "
                                                     "of a container needs a path of its own")
        taken[normalised] = setting


def _records(fields: Mapping[str, _Node], key: str, schema: str,
             build: Callable[[dict[str, _Node], str], T]) -> tuple[T, ...]:
    """A list of objects whose keys are ``KEYS[schema]``, each turned into a record by ``build(fields, path)``."""
    return tuple(build(item.object(KEYS[schema]), item.path) for item in _get(fields, key, _Node.items, []))


def _text(fields: Mapping[str, _Node], key: str, path: str) -> str:
    return _require(fields, key, path, _Node.string)


def _mount_path(node: _Node) -> str:
    path = node.string()
    if not path.startswith("/"):
        raise node.fail("is not an absolute path")
    return path


def _env_name(value: str, setting: str) -> str:
    if not _ENV_NAME.match(value):
        raise SettingsError(setting, value, "is not an environment variable name (letters, digits, '_')")
    return value


_APP_SECRET = stack_file_adapter(AppSecretArgs)


def _app_secret(node: _Node, region: str, index: int) -> AppSecretArgs:
    """One of an app's ``secretSources``: the component's own ``AppSecretArgs`` (every type mistake of it at once),
    then the rules that only the stack knows (the cluster's region; ``{environment}`` in names)."""
    secret = parse_section(_APP_SECRET, node.value, node.path, {
        (): KEYS["apps[].secretSources[]"], ("keys",): KEYS["apps[].secretSources[].keys[]"]})
    path = node.path
    given = [k for k in ("secret", "parameter", "esc_environment") if k in secret]
    if len(given) != 1:
        raise node.fail("needs exactly one of secret (a Secrets Manager secret), parameter (an SSM parameter) and "
                        "escEnvironment (a Pulumi ESC environment)", [to_camel(k) for k in given])
    kind = given[0]
    value = str(secret[kind])
    where = f"{path}.{to_camel(kind)}"
    if kind == "esc_environment":
        if not re.fullmatch(r"[A-Za-z0-9{}._-]+/[A-Za-z0-9{}._-]+", value):
            raise SettingsError(where, value, "is not a Pulumi ESC environment <project>/<environment>")
    else:
        check_no_wildcard(value, where, "Secrets Manager secret" if kind == "secret" else "SSM parameter")
    if kind == "parameter":
        try:
            parameter_arn(value.replace("{environment}", "env"), partition="aws", region=region,
                          account_id="000000000000")
        except SettingsError as error:
            raise SettingsError(where, value, error.expected) from None
        if value.startswith("arn:"):
            check_arn_region(value, region, where, "the cluster's region (aws:region)")
    elif kind == "secret" and value.startswith("arn:"):
        check_arn(value, where, service="secretsmanager", resource_prefix="secret:")
        check_arn_region(value, region, where, "the cluster's region (aws:region)")
    elif kind == "secret" and not re.fullmatch(r"[A-Za-z0-9/_+=.@{}-]{1,512}", value):
        raise SettingsError(where, value, "is not a Secrets Manager secret name (letters, digits and /_+=.@-) or ARN")
    if "kms_key_arn" in secret:
        check_arn(secret["kms_key_arn"], f"{path}.kmsKeyArn", service="kms", resource_prefix="key/")
        # Secrets Manager and SSM encrypt with a key of the value's own region.
        check_arn_region(cast(str, secret["kms_key_arn"]), region, f"{path}.kmsKeyArn",
                         "the cluster's region (aws:region)")
    if "failover_kms_key_arn" in secret:
        check_arn(secret["failover_kms_key_arn"], f"{path}.failoverKmsKeyArn", service="kms", resource_prefix="key/")
    keys = list(secret["keys"])
    for j, key in enumerate(keys):
        if not re.fullmatch(r"[-._a-zA-Z0-9]+", key["file"]):
            raise SettingsError(f"{path}.keys[{j}].file", key["file"],
                                "is not a file name ([-._a-zA-Z0-9]+): it becomes a file and a Secret key")
        if "env" in key:
            _env_name(key["env"], f"{path}.keys[{j}].env")
    if not keys:
        raise SettingsError(f"{path}.keys", [], "is empty: name at least one key to expose")
    if kind == "esc_environment" and any("property" not in k for k in keys):
        raise SettingsError(f"{path}.keys", node.value["keys"],
                            "needs a property (the path of a value in the ESC environment) on every key")
    for j, key in enumerate(keys):
        if "property" in key and key["file"] == whole_secret_file(index):
            raise SettingsError(f"{path}.keys[{j}].file", key["file"],
                                "is the file the CSI provider writes the whole secret to: choose another name")
    whole = [j for j, key in enumerate(keys) if "property" not in key]
    if len(whole) > 1:
        raise SettingsError(f"{path}.keys[{whole[1]}].property", None,
                            f"is not set, and keys[{whole[0]}] already exposes the whole secret: give this key a "
                            "property")
    return secret


# -- entry points -----------------------------------------------------------------------------------------

_SECTIONS = ("cluster", "secretDelivery", "environments", "apps")


def parse_settings(
    values: Mapping[str, Any],
    *,
    stack: str,
    region: str | None,
    secret_keys: set[str] | frozenset[str] = frozenset(),
    project_dir: Path,
    offline: bool = False,
) -> StackSettings:
    """Validate the project's config ``values`` (keys without the ``eks-config-secrets:`` prefix)."""
    if not region:
        raise MissingSettingError("aws:region", "is required: run `pulumi config set aws:region <region>`")
    check_region(region, "aws:region")
    for section in _SECTIONS:
        if section in secret_keys:
            # Structured settings are not secrets; a secure value inside one would reach resources as plain text.
            raise SettingsError(f"{PROJECT}:{section}", SECRET_SHOWN_AS,
                                "holds a secure value, where no secret is expected: set secrets as top-level secret "
                                "settings (`pulumi config set --secret <name>`) and refer to them by name")
    root = {k: _Node(v, f"{PROJECT}:{k}") for k, v in values.items()}
    secrets = _Secrets(values, set(secret_keys), offline)
    # Sections and list items are independent: each one's mistake is collected, and all are reported at once.
    errors = ErrorCollector()
    cluster: ClusterSettings | None = None
    with errors.part():
        cluster = _cluster(_require(root, "cluster", PROJECT, lambda n: n), region)
    delivery: SecretDeliverySettings | None = None
    with errors.part():
        delivery = _secret_delivery(root.get("secretDelivery") or _Node({}, f"{PROJECT}:secretDelivery"))
    env_nodes: list[_Node] = []
    with errors.part():
        env_nodes = _require(root, "environments", PROJECT, _Node.items)
        if not env_nodes:
            raise root["environments"].fail("is empty: a stack needs at least one environment")
    environments: list[EnvironmentSettings] = []
    for node in env_nodes:
        with errors.part():
            environments.append(_environment(node, project_dir, secrets))
    # An environment with a mistake still counts as one that apps may name: their own mistakes are what is left.
    env_names = [n.value.get("name") if isinstance(n.value, dict) else None for n in env_nodes]
    apps: list[AppSettings] = []
    app_nodes: list[_Node] = []
    with errors.part():
        app_nodes = _get(root, "apps", _Node.items, [])
    for node in app_nodes:
        with errors.part():
            if delivery is not None:
                apps.append(_app(node, [str(n) for n in env_names if isinstance(n, str)], delivery, region))
    errors.raise_any()
    assert cluster is not None and delivery is not None
    # What relates sections to one another, checked once every section is valid on its own.
    check_unique((e.name for e in environments), f"{PROJECT}:environments[].name")
    check_unique((e.namespace for e in environments), f"{PROJECT}:environments[].namespace")
    check_unique((a.name for a in apps), f"{PROJECT}:apps[].name")
    _check_derived_names(apps)
    _check_release_namespaces(env_nodes, environments, apps, delivery)
    _check_references(environments, apps)
    unknown = sorted(set(values) - set(_SECTIONS) - secrets.referenced)
    if unknown:
        raise SettingsError(
            f"{PROJECT}:{unknown[0]}", "<set>",
            f"is not a known setting (known: {', '.join(_SECTIONS)}, and the secret settings that "
            "environments[].kubernetesSecrets refer to)",
        )
    return StackSettings(
        stack=stack,
        region=region,
        partition=partition_of(region),
        cluster=cluster,
        secret_delivery=delivery,
        environments=tuple(environments),
        apps=tuple(apps),
    )


def _check_release_namespaces(nodes: Sequence[_Node], environments: Sequence[EnvironmentSettings],
                              apps: Sequence[AppSettings], delivery: SecretDeliverySettings) -> None:
    """An environment's namespace may not be one that a release of the stack creates: both would create it (the
    second fails with AlreadyExists), and Reloader refuses to watch its own namespace."""
    taken = {}
    if delivery.reloader:
        taken[RELOADER_NAMESPACE] = "Reloader's release"
    if any(app.backend == "external-secrets" and app.secrets for app in apps):
        taken[ESO_NAMESPACE] = "the External Secrets Operator's release"
    for node, environment in zip(nodes, environments, strict=True):
        if environment.namespace in taken:
            where = "namespace" if isinstance(node.value, dict) and "namespace" in node.value else "name"
            raise SettingsError(f"{node.path}.{where}", environment.namespace,
                                f"is the namespace of {taken[environment.namespace]}: give the environment another")


_IAM_ROLE_NAME_MAX = 64
"""IAM refuses a role name longer than 64 characters (CreateRole ``RoleName``)."""
_AUTONAME_SUFFIX = 8
"""pulumi-aws names a role ``<logical name>-<7 random hex>`` and fails when that is longer than the service allows."""


def _check_derived_names(apps: Sequence[AppSettings]) -> None:
    """Names the stack program derives from an environment and an app: ``<environment>-<app>`` names the app's
    components (two pairs that derive one name would collide), is the ``app.kubernetes.io/instance`` label of its
    pods (at most 63 characters), and with secrets prefixes its IAM role ``<environment>-<app>-identity-role``."""
    derived: dict[str, str] = {}
    for i, app in enumerate(apps):
        setting = f"{PROJECT}:apps[{i}].name"
        for environment in app.environments:
            name = f"{environment}-{app.name}"
            if name in derived:
                raise SettingsError(setting, app.name, f"in environment {environment!r} derives the name {name!r}, "
                                                       f"which {derived[name]} derives too: rename one")
            derived[name] = f"{setting} in environment {environment!r}"
            try:
                check_label_value(name, setting)
            except SettingsError:
                raise SettingsError(setting, app.name, f"in environment {environment!r} derives {name!r}, longer "
                                                       "than the 63 characters of a Kubernetes label value: shorten "
                                                       "the app or environment name") from None
            role = f"{name}-identity-role"
            if app.secrets and len(role) + _AUTONAME_SUFFIX > _IAM_ROLE_NAME_MAX:
                raise SettingsError(setting, app.name, f"in environment {environment!r} derives the IAM role name "
                                                       f"{role!r} plus a random suffix, longer than the "
                                                       f"{_IAM_ROLE_NAME_MAX} characters IAM allows: shorten the app "
                                                       "or environment name")


_SECRET_TYPE_KEYS = {"kubernetes.io/tls": ("tls.crt", "tls.key"),
                     "kubernetes.io/dockerconfigjson": (".dockerconfigjson",)}
"""The keys of the Secret types whose keys are fixed by Kubernetes."""


def _secret_keys(secret: SecretSettings) -> tuple[str, ...]:
    return _SECRET_TYPE_KEYS.get(secret.type, tuple(secret.string_data))


def _check_references(environments: Sequence[EnvironmentSettings], apps: Sequence[AppSettings]) -> None:
    """An app may only consume ConfigMaps and Secrets that every one of its environments defines."""
    by_name = {e.name: e for e in environments}
    for i, app in enumerate(apps):
        for env_name in app.environments:
            environment = by_name[env_name]
            config_maps = {c.name: c for c in environment.config_maps}
            env_secrets = {s.name: s for s in environment.secrets}
            refs: Sequence[tuple[str, str, str | None]] = (
                [(f"env[{j}]", e.config_map, e.key) for j, e in enumerate(app.env)]
                + [(f"envFrom[{j}]", name, None) for j, name in enumerate(app.env_from)]
                + [(f"configFiles[{j}]", f.config_map, f.key) for j, f in enumerate(app.config_files)]
            )
            for path, config_map, key in refs:
                if config_map not in config_maps:
                    where = path if key is None else f"{path}.configMap"
                    raise SettingsError(f"{PROJECT}:apps[{i}].{where}", config_map,
                                        f"is not a ConfigMap of environment {env_name!r}")
                found = config_maps[config_map]
                if key is not None and key not in found.data and key not in found.files:
                    raise SettingsError(f"{PROJECT}:apps[{i}].{path}.key", key,
                                        f"is not a key of ConfigMap {config_map!r} in environment {env_name!r}")
            secret_refs = (
                [(f"secretEnv[{j}].kubernetesSecret", e.secret) for j, e in enumerate(app.secret_env)]
                + [(f"secretVolumes[{j}].kubernetesSecret", v.secret) for j, v in enumerate(app.secret_volumes)]
                + [(f"imagePullSecrets[{j}]", name) for j, name in enumerate(app.image_pull_secrets)]
            )
            for path, secret in secret_refs:
                if secret not in env_secrets:
                    raise SettingsError(f"{PROJECT}:apps[{i}].{path}", secret,
                                        f"is not a Secret of environment {env_name!r}")
                if path.startswith("imagePullSecrets") and env_secrets[secret].type != "kubernetes.io/dockerconfigjson":
                    raise SettingsError(f"{PROJECT}:apps[{i}].{path}", secret,
                                        f"is a Secret of type {env_secrets[secret].type}, but the kubelet pulls images "
                                        "only with kubernetes.io/dockerconfigjson Secrets")
            for j, entry in enumerate(app.secret_env):
                keys = _secret_keys(env_secrets[entry.secret])
                if entry.key not in keys:
                    raise SettingsError(f"{PROJECT}:apps[{i}].secretEnv[{j}].key", entry.key,
                                        f"is not a key of Secret {entry.secret!r} in environment {env_name!r} "
                                        f"(keys: {', '.join(keys)}): the pod would not start")


def _all_config_keys() -> dict[str, Any]:
    # pulumi.Config cannot list keys; the runtime's own maps can, and unknown keys must be caught.
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def load_settings(project_dir: Path | None = None) -> StackSettings:
    """Read and validate the current stack's configuration (the stack program's only config access)."""
    prefix = f"{PROJECT}:"
    raw = _all_config_keys()
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix):]
        try:
            values[key] = json.loads(text) if isinstance(text, str) and text[:1] in "[{" else text
        except json.JSONDecodeError:
            values[key] = text
    all_secret_keys = set(runtime_config.get_config_secret_keys_env()) | runtime_config._SECRET_KEYS.get()
    if "aws:region" in all_secret_keys:
        # A region is no secret, and a check of it would print it.
        raise SettingsError("aws:region", SECRET_SHOWN_AS, "is set as a secret: set it in plain text with "
                                                           "`pulumi config set aws:region <region>`")
    secret_keys = {k[len(prefix):] for k in all_secret_keys if k.startswith(prefix)}
    settings = parse_settings(
        values,
        stack=pulumi.get_stack(),
        region=pulumi.Config("aws").get("region"),
        secret_keys=secret_keys,
        project_dir=project_dir or Path.cwd(),
        offline=OFFLINE.get(),
    )
    prices = STACK_PRICES.get()
    if prices is not None:
        # The offline plan estimates rotation with the stack's own prices.
        prices.append(settings.secret_delivery.rotation_cost)
    return settings
