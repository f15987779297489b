"""Stack settings: the one place that reads ``pulumi.Config``.

:func:`load_settings` reads the stack's configuration (``stacks/Pulumi.<stack>.yaml``) into the components' own
settings types (:mod:`stack_program.sections`). Every mistake of a stack file is reported at once, before any
resource is registered, each as a :class:`~components.validation.SettingsError` that names the config key, the bad
value and what is expected. Unknown keys are errors too, so that a typo cannot silently fall back to a default.

Secret values never live in these objects as text: a secret setting becomes a secret ``pulumi.Output``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pulumi
from pulumi.runtime import config as runtime_config

from components.app_secrets import (
    BACKENDS,
    DEFAULT_MOUNT_PATH,
    IDENTITIES,
    check_csi_only,
    check_env_needs_sync,
    check_esc_backend,
    check_secret_sources,
    check_target_role,
)
from components.cluster import (
    DEFAULT_ENDPOINT_PRIVATE_ACCESS,
    DEFAULT_ENDPOINT_PUBLIC_ACCESS,
    DEFAULT_NODE_GROUP_SIZES,
    SecureClusterSettings,
)
from components.csi_driver import DEFAULT_SYNC_SECRET, INSTALLS, check_install_mode
from components.environment import (
    SECRET_TYPES,
    ConfigMapArgs,
    EnvironmentArgs,
    EnvironmentSecretArgs,
    check_checksum_key,
    check_checksum_key_given,
    check_config_map_not_empty,
    check_in_environment,
)
from components.external_secrets import DEFAULT_NAMESPACE as ESO_NAMESPACE
from components.external_secrets import check_esc_organization
from components.plan.offline import SECRET_SETTINGS
from components.plan.rotation_cost import STACK_PRICES, RotationCostSettings, rotation_cost_settings
from components.reloader import DEFAULT_NAMESPACE as RELOADER_NAMESPACE
from components.secret_data import check_tls_pair
from components.validation import (
    SECRET_SHOWN_AS,
    ErrorCollector,
    MissingSettingError,
    SettingsError,
    StackSection,
    check_arn,
    check_arn_region,
    check_config_map_size,
    check_data_key,
    check_endpoint_access,
    check_environment_namespace,
    check_failover_region,
    check_label_value,
    check_node_group_sizes,
    check_region,
    check_subnet_ids,
    check_unique,
    partition_of,
    refuse_secure_value,
    stack_key,
)
from components.workload import SCRATCH_MOUNT_PATH
from components.workload_identity import check_target_role_arn
from stack_program.sections import (
    APP_CHECKS,
    CLUSTER_CHECKS,
    DELIVERY_CHECKS,
    ENVIRONMENT_CHECKS,
    AppSection,
    ConfigMapSection,
    EnvironmentSection,
    KubernetesSecretSection,
    SecretDeliverySection,
)

__all__ = ["PROJECT", "RENAMED_KEYS", "SECTIONS", "StackSettings", "load_settings", "parse_settings"]

PROJECT = "eks-config-secrets"

_CONFIG_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


def _check_setting_name(value: object, setting: str) -> str:
    """A reference to a secret setting; one that is not a name is most likely the secret itself, pasted in: never
    echo it."""
    if not isinstance(value, str) or not _CONFIG_KEY.match(value):
        raise SettingsError(setting, SECRET_SHOWN_AS,
                            "is not the name of a secret setting (letters, digits, '_', '-', '.'): a secret never "
                            "goes in the stack file as text; run `pulumi config set --secret <name> <value>` and "
                            "give <name> here")
    return value


_SETTING_NAMES = {f"kubernetesSecrets.{key}": _check_setting_name
                  for key in ("stringDataSettings.*", "certificateSetting", "privateKeySetting", "passwordSetting")}

SECTIONS: dict[str, StackSection[Any]] = {
    "cluster": StackSection(SecureClusterSettings, CLUSTER_CHECKS),
    "secretDelivery": StackSection(SecretDeliverySection, DELIVERY_CHECKS),
    "environments": StackSection(EnvironmentSection, {**ENVIRONMENT_CHECKS, **_SETTING_NAMES,
                                                      "checksumKeySetting": _check_setting_name}),
    "apps": StackSection(AppSection, APP_CHECKS),
}
"""The sections of a stack file (``environments`` and ``apps`` are lists of them), as the types they are read into."""

RENAMED_KEYS: dict[str, dict[str, str]] = {
    "cluster": {"name": "clusterName", "kms.keyArn": "kmsKeyArn", "kms.deletionWindowDays": "kmsDeletionWindowDays"},
    "environments[]": {"secrets": "kubernetesSecrets", "checksumKey": "checksumKeySetting"},
    "environments[].kubernetesSecrets[]": {"stringData": "stringDataSettings", "certificate": "certificateSetting",
                                           "privateKey": "privateKeySetting", "password": "passwordSetting"},
    "apps[]": {"secrets": "secretSources"},
    "apps[].secretEnv[]": {"secret": "kubernetesSecret"},
    "apps[].secretVolumes[]": {"secret": "kubernetesSecret"},
}
"""Keys renamed so that each reads as what it is: "secrets" once meant Kubernetes Secrets of an environment, the
sources an app's secrets are read from, the Kubernetes Secret an env var or volume reads, and the secret settings
whose values a Secret holds (``stringData``, ``certificate``... hold their *names*, hence ``...Setting``); the
cluster's keys are its component's arguments (``kms.keyArn`` is ``kmsKeyArn``). Old name -> new name, per object;
the old names are read until the next release, each with a deprecation message naming the new key."""


@dataclass(frozen=True)
class StackSettings:
    """A stack's settings, each section as the components take it."""

    stack: str
    region: str
    partition: str
    cluster: SecureClusterSettings
    secret_delivery: SecretDeliverySection
    environments: tuple[EnvironmentArgs, ...]
    """As :class:`~components.environment.Environment` takes them: names resolved to secret Outputs and files
    read; ``environment`` is the environment's name."""
    apps: tuple[AppSection, ...]
    rotation_cost: RotationCostSettings

    @property
    def reloader(self) -> bool:
        return self.secret_delivery.get("reloader", True)

    def backend(self, app: AppSection) -> str:
        """The backend of an app's secret sources: its own, or the stack's."""
        return app.get("backend", self.secret_delivery.get("backend", BACKENDS[0]))

    @property
    def backends(self) -> set[str]:
        """The backends that the apps with secret sources use (each installed once)."""
        return {self.backend(app) for app in self.apps if app.get("secret_sources")}

    @property
    def restarts_on_file_rotation(self) -> bool:
        return any(app.get("restart_on_file_rotation", False) for app in self.apps)

    def apps_in(self, environment: str) -> tuple[AppSection, ...]:
        return tuple(app for app in self.apps if environment in app.get("environments", [environment]))


def identity(app: AppSection) -> str:
    """How an app's pods get AWS credentials."""
    return app.get("identity", IDENTITIES[0])


# -- renamed keys -------------------------------------------------------------------------------------------------


def _objects_at(value: object, schema: str, path: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The objects of ``value`` at ``schema`` (``apps[].secretEnv[]``), each with its config path."""
    head, _, rest = schema.partition(".")
    key, many = head.removesuffix("[]"), head.endswith("[]")
    found = value.get(key) if isinstance(value, dict) else None
    items = list(enumerate(found)) if many and isinstance(found, list) else [(None, found)]
    for index, item in items:
        where = (f"{path}.{key}" if path else f"{PROJECT}:{key}") + (f"[{index}]" if index is not None else "")
        if rest:
            yield from _objects_at(item, rest, where)
        elif isinstance(item, dict):
            yield item, where


def _rename_old_keys(values: dict[str, Any]) -> None:
    """Each old key of :data:`RENAMED_KEYS` under its new name (a warning says so); both given is an error."""
    errors = ErrorCollector()
    for schema, renames in RENAMED_KEYS.items():
        for fields, path in _objects_at(values, schema, ""):
            for old, new in renames.items():
                parent, _, leaf = old.rpartition(".")
                holder = fields.get(parent) if parent else fields
                if not isinstance(holder, dict) or leaf not in holder:
                    continue
                with errors.part():
                    if new in fields:
                        raise SettingsError(f"{path}.{old}", "<set>",
                                            f"is the old name of {new}, which is given too: keep {new}")
                    pulumi.log.warn(f"{path}.{old} is deprecated and will be removed in the next release: rename it "
                                    f"to {new}")
                    fields[new] = holder.pop(leaf)
                    if parent and not holder:
                        del fields[parent]
    errors.raise_any()


# -- secret settings ----------------------------------------------------------------------------------------------


class _Deployed:
    """What ``pulumi up`` knows of a secret setting that the stack does not hold: nothing, so it is an error."""

    def unset(self, key: str, referenced_by: str) -> str:
        name = key.split(":", 1)[1]
        raise SettingsError(key, None, f"is not set (referenced by {referenced_by}): run `pulumi config set --secret "
                                       f"{name} <value>`")

    def tls_pair(self, certificate: str, private_key: str) -> tuple[str, str]:
        return certificate, private_key


class _SecretSettings:
    """Reads the secret settings (top-level config keys set with `--secret`) that the stack refers to by name."""

    def __init__(self, values: Mapping[str, Any], secret_keys: set[str] | frozenset[str]) -> None:
        self.values = values
        self.secret_keys = secret_keys
        # Installed by the offline plan, which stands in for what it cannot decrypt.
        self.hook = SECRET_SETTINGS.get() or _Deployed()
        self.referenced: set[str] = set()

    def value(self, key: str, referenced_by: str) -> str:
        """The text of secret setting ``key`` (to check its content, and only then to wrap as a secret)."""
        _check_setting_name(key, referenced_by)
        self.referenced.add(key)
        full_key = f"{PROJECT}:{key}"
        if key in self.values and key not in self.secret_keys:
            raise SettingsError(full_key, SECRET_SHOWN_AS,
                                f"is committed as plain text but must be a secret (referenced by {referenced_by}), "
                                f"which `pulumi up` refuses: remove it from the stack file and run `pulumi config set "
                                f"--secret {key} <value>`")
        return str(self.values[key]) if key in self.values else self.hook.unset(full_key, referenced_by)

    def tls_pair(self, certificate: str, private_key: str, path: str) -> tuple[str, str]:
        """The certificate and key of the settings ``certificate`` and ``private_key``, checked to belong together."""
        pair = self.hook.tls_pair(self.value(certificate, f"{path}.certificateSetting"),
                                  self.value(private_key, f"{path}.privateKeySetting"))
        check_tls_pair(*pair, f"{PROJECT}:{certificate} (certificate of {path}.certificateSetting)",
                       f"{PROJECT}:{private_key} (private key of {path}.privateKeySetting)")
        return pair


def _secret(text: str) -> pulumi.Output[str]:
    return pulumi.Output.secret(text)


# -- the sections -------------------------------------------------------------------------------------------------


def _cluster(value: object, region: str) -> SecureClusterSettings:
    path = f"{PROJECT}:cluster"
    read: SecureClusterSettings | None
    read, errors = SECTIONS["cluster"].read(value, path)
    if read is None:
        errors.raise_any()
    cluster = cast(SecureClusterSettings, read)
    with errors.part():
        check_subnet_ids(list(cast(Sequence[str], cluster["subnet_ids"])), f"{path}.subnetIds")
    with errors.part():
        check_endpoint_access(
            cluster.get("endpoint_public_access", DEFAULT_ENDPOINT_PUBLIC_ACCESS),
            cluster.get("endpoint_private_access", DEFAULT_ENDPOINT_PRIVATE_ACCESS),
            cluster.get("public_access_cidrs", ()),
            (f"{path}.endpointPublicAccess", f"{path}.endpointPrivateAccess", f"{path}.publicAccessCidrs"))
    if "kms_key_arn" in cluster:
        with errors.part():
            key = check_arn(cluster["kms_key_arn"], f"{path}.kmsKeyArn", service="kms", resource_prefix="key/")
            check_arn_region(key, region, f"{path}.kmsKeyArn", "the cluster's region (aws:region)")
    with errors.part():
        group = cluster.get("node_group", {})
        sizes = {"minSize": group.get("min_size", DEFAULT_NODE_GROUP_SIZES["min_size"]),
                 "desiredSize": group.get("desired_size", DEFAULT_NODE_GROUP_SIZES["desired_size"]),
                 "maxSize": group.get("max_size", DEFAULT_NODE_GROUP_SIZES["max_size"])}
        check_node_group_sizes(sizes, f"{path}.nodeGroup")
    errors.raise_any()
    return cluster


def _secret_delivery(value: object) -> SecretDeliverySection:
    path = f"{PROJECT}:secretDelivery"
    read: SecretDeliverySection | None
    read, errors = SECTIONS["secretDelivery"].read(value, path)
    if read is not None:
        csi = read.get("csi", {})
        with errors.part():
            check_install_mode(csi.get("install", INSTALLS[0]), csi.get("sync_secret", DEFAULT_SYNC_SECRET),
                               f"{path}.csi.install")
    errors.raise_any()
    return cast(SecretDeliverySection, read)


def _environment(value: object, path: str, project_dir: Path, secrets: _SecretSettings) -> EnvironmentArgs:
    """One of ``environments``, as :class:`~components.environment.Environment` takes it."""
    read: EnvironmentSection | None
    read, errors = SECTIONS["environments"].read(value, path)
    if read is None:
        errors.raise_any()
    env = cast(EnvironmentSection, read)
    namespace = env.get("namespace", env["name"])
    with errors.part():
        check_environment_namespace(namespace, f"{path}.namespace" if "namespace" in env else f"{path}.name")
    config_maps: list[ConfigMapArgs] = []
    for i, config_map in enumerate(env.get("config_maps", [])):
        with errors.part():
            config_maps.append(_config_map(config_map, f"{path}.configMaps[{i}]", project_dir))
    with errors.part():
        check_unique((c["name"] for c in env.get("config_maps", [])), f"{path}.configMaps[].name")
    env_secrets = env.get("kubernetes_secrets", [])
    resolved: list[EnvironmentSecretArgs] = []
    for i, secret in enumerate(env_secrets):
        with errors.part():
            resolved.append(_kubernetes_secret(secret, f"{path}.kubernetesSecrets[{i}]", secrets))
    with errors.part():
        check_unique((s["name"] for s in env_secrets), f"{path}.kubernetesSecrets[].name")
    args: EnvironmentArgs = {"namespace": namespace, "environment": env["name"], "config_maps": config_maps,
                             "secrets": resolved}
    if "pod_security" in env:
        args["pod_security"] = env["pod_security"]
    key = env.get("checksum_key_setting")
    with errors.part():
        if key is not None:
            _check_checksum_key_apart(key, env_secrets, f"{path}.checksumKeySetting")
            args["checksum_key"] = _secret(check_checksum_key(
                secrets.value(key, f"{path}.checksumKeySetting"), f"{PROJECT}:{key}"))
        else:
            check_checksum_key_given(key, bool(env_secrets), f"{path}.checksumKeySetting",
                                     "as a secret setting and name it here, e.g. `pulumi config set --secret "
                                     "checksumKey \"$(openssl rand -base64 32)\"`")
    errors.raise_any()
    return args


def _check_checksum_key_apart(checksum_key: str, env_secrets: Sequence[KubernetesSecretSection],
                              setting: str) -> None:
    """The HMAC key of the checksums must not be one of the values it checksums.

    ``checksum/<name> = HMAC(key, value)`` published on a pod template is a guess verifier when ``key`` is the
    value itself: whoever reads pods can test candidate values offline.
    """
    for secret in env_secrets:
        settings = [*secret.get("string_data_settings", {}).values(), secret.get("certificate_setting"),
                    secret.get("private_key_setting"), secret.get("password_setting")]
        if checksum_key in settings:
            raise SettingsError(setting, checksum_key,
                                f"is also a value of Secret {secret['name']!r}, whose checksum it keys (the checksum "
                                "would then let anyone who reads pods verify guesses of it): use a separate random "
                                "secret setting")


def _config_map(config_map: ConfigMapSection, path: str, project_dir: Path) -> ConfigMapArgs:
    """A ConfigMap with its files read (relative to the project directory)."""
    data = config_map.get("data", {})
    files: dict[str, str] = {}
    errors = ErrorCollector()
    for i, relative in enumerate(config_map.get("files", [])):
        with errors.part():
            where = f"{path}.files[{i}]"
            file = (project_dir / relative).resolve()
            if not file.is_relative_to(project_dir.resolve()):
                raise SettingsError(where, relative, "must be a path inside the project directory")
            if not file.is_file():
                raise SettingsError(where, relative,
                                    f"is not a file (paths are relative to the project directory {project_dir})")
            key = check_data_key(file.name, where)
            if key in files or key in data:
                raise SettingsError(where, relative, f"gives the key {key!r} twice; ConfigMap keys must be unique")
            try:
                files[key] = file.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                raise SettingsError(where, relative, f"is not UTF-8 text (byte {error.start}): a ConfigMap's data "
                                                     "holds text") from None
    errors.raise_any()
    check_config_map_not_empty(data, files, path)
    check_config_map_size({**data, **files}, path)
    return cast(ConfigMapArgs, {**config_map, "files": files})


_NEEDED = {
    "Opaque": ("string_data_settings",),
    "kubernetes.io/tls": ("certificate_setting", "private_key_setting"),
    "kubernetes.io/dockerconfigjson": ("registry", "username", "password_setting"),
}
"""The settings each Secret type needs (and the only ones besides its name and type that apply to it)."""


def _kubernetes_secret(secret: KubernetesSecretSection, path: str, secrets: _SecretSettings) -> EnvironmentSecretArgs:
    """A Secret of the environment, with its values read from the secret settings it names."""
    kind = secret.get("type", SECRET_TYPES[0])
    errors = ErrorCollector()
    for field in _NEEDED[kind]:
        with errors.part():
            if field not in secret:
                raise MissingSettingError(f"{path}.{stack_key(field)}", f"is required for a Secret of type {kind}")
    for field in sorted(set(secret) - {"name", "type", *_NEEDED[kind]}):
        with errors.part():
            raise SettingsError(f"{path}.{stack_key(field)}", secret[field],  # type: ignore[literal-required]
                                f"does not apply to a Secret of type {kind}")
    errors.raise_any()
    args: EnvironmentSecretArgs = {"name": secret["name"], "type": kind}
    if kind == "Opaque":
        mapping = secret["string_data_settings"]
        if not mapping:
            raise SettingsError(f"{path}.stringDataSettings", {}, "is empty: name a secret setting per Secret key")
        args["string_data"] = {key: _secret(secrets.value(name, f"{path}.stringDataSettings.{key}"))
                               for key, name in mapping.items()}
    elif kind == "kubernetes.io/tls":
        certificate, private_key = secrets.tls_pair(secret["certificate_setting"], secret["private_key_setting"], path)
        args["certificate"], args["private_key"] = _secret(certificate), _secret(private_key)
    else:
        args["registry"], args["username"] = secret["registry"], secret["username"]
        args["password"] = _secret(secrets.value(secret["password_setting"], f"{path}.passwordSetting"))
    return args


def _app(app: AppSection, path: str, environments: Sequence[str], region: str) -> None:
    """The rules that relate an app's settings to one another (all mistakes at once)."""
    errors = ErrorCollector()
    for i, env in enumerate(app.get("environments", [])):
        with errors.part():
            if env not in environments:
                raise SettingsError(f"{path}.environments[{i}]", env,
                                    f"is not an environment of this stack (known: {', '.join(environments)})")
    sources = list(app.get("secret_sources", []))
    with errors.part():
        _secret_sources(app, path, region)
    with errors.part():
        check_unique([e["name"] for e in app.get("env", [])] + [e["name"] for e in app.get("secret_env", [])]
                     + [k["env"] for s in sources for k in s["keys"] if "env" in k], f"{path} environment variable")
    with errors.part():
        _check_mount_paths(app, path)
    failover = app.get("failover_region")
    with errors.part():
        if failover is not None:
            check_failover_region(failover, region, f"{path}.failoverRegion", "the stack's own region (aws:region)")
    if "target_role_arn" in app:
        with errors.part():
            # A stack file gives plain text (a program's Output never comes from it).
            check_target_role_arn(cast(str, app["target_role_arn"]), f"{path}.targetRoleArn")
    errors.raise_any()


def _app_delivery(app: AppSection, path: str, delivery: SecretDeliverySection) -> None:
    """The rules that relate an app's settings to the stack's secret delivery (all mistakes at once)."""
    errors = ErrorCollector()
    sources = list(app.get("secret_sources", []))
    backend = app.get("backend", delivery.get("backend", BACKENDS[0]))
    if backend == "csi":
        with errors.part():
            check_env_needs_sync(delivery.get("csi", {}).get("sync_secret", DEFAULT_SYNC_SECRET),
                                 [(f"{path}.secretSources[{j}].keys[{k}].env", key["env"])
                                  for j, source in enumerate(sources)
                                  for k, key in enumerate(source["keys"]) if "env" in key])
    with errors.part():
        check_csi_only(app, backend, path, spell=stack_key)
    with errors.part():
        check_target_role(app, identity(app), backend, path, spell=stack_key)
    if any("esc_environment" in source for source in sources):
        with errors.part():
            check_esc_backend(sources, backend, f"{path}.backend", spell=stack_key)
        with errors.part():
            check_esc_organization(delivery.get("external_secrets", {}).get("pulumi_organization"), path,
                                   f"{PROJECT}:secretDelivery.externalSecrets.pulumiOrganization")
    with errors.part():
        if app.get("restart_on_file_rotation") and not (delivery.get("reloader", True) and sources):
            raise SettingsError(f"{path}.restartOnFileRotation", True, "needs Reloader (secretDelivery.reloader: "
                                                                       "true) and secrets of the app to watch")
    errors.raise_any()


def _check_mount_paths(app: AppSection, path: str) -> None:
    """The API server refuses a container with two mounts at one path ("must be unique")."""
    taken = {SCRATCH_MOUNT_PATH: "the workload's scratch emptyDir"}
    if app.get("secret_sources"):
        taken[DEFAULT_MOUNT_PATH] = "the app's secrets volume"
    mounts = [(f"{path}.configFiles[{i}].mountPath", f["mount_path"])
              for i, f in enumerate(app.get("config_files", []))]
    mounts += [(f"{path}.secretVolumes[{i}].mountPath", v["mount_path"])
               for i, v in enumerate(app.get("secret_volumes", []))]
    for setting, mount_path in mounts:
        normalised = mount_path.rstrip("/") or "/"
        if normalised in taken:
            raise SettingsError(setting, mount_path, f"is already the mount path of {taken[normalised]}: each mount "
                                                     "of a container needs a path of its own")
        taken[normalised] = setting


def _environment_stand_in(name: str) -> str:
    # `{environment}` is replaced by each environment's name (component_args); any name stands in for the shape.
    return name.replace("{environment}", "env")


def _secret_sources(app: AppSection, path: str, region: str) -> None:
    """An app's ``secretSources``: the component's rules (``check_secret_sources``, spelt the stack file's way), then
    what only the stack knows: the ARNs it gives live in the cluster's region (``aws:region``), or its failover
    region; every mistake at once."""
    sources = list(app.get("secret_sources", []))
    failover = app.get("failover_region")
    errors = ErrorCollector()
    with errors.part():
        check_secret_sources(sources, f"{path}.secretSources", failover=failover is not None, spell=stack_key,
                             stand_in=_environment_stand_in)
    refused = {problem.setting for problem in errors.problems}
    for j, source in enumerate(sources):
        # The CSI provider refuses a secret ARN outside its class's region ("ARN region must match region"), and
        # Secrets Manager and SSM encrypt with a key of the value's own region; a replica's key is its region's.
        arns = [(stack_key(kind), source[kind], region, "the cluster's region (aws:region)")
                for kind in ("secret", "parameter", "kms_key_arn") if str(source.get(kind, "")).startswith("arn:")]
        if failover is not None and "failover_kms_key_arn" in source:
            arns.append(("failoverKmsKeyArn", source["failover_kms_key_arn"], failover, "the app's failoverRegion"))
        for key, arn, arn_region, what in arns:
            setting = f"{path}.secretSources[{j}].{key}"
            if setting not in refused:
                with errors.part():
                    # A stack file gives plain text (a program's Output never comes from it).
                    check_arn_region(cast(str, arn), arn_region, setting, what)
    errors.raise_any()


# -- what relates sections to one another ------------------------------------------------------------------------


def _check_release_namespaces(values: Sequence[Any], environments: Sequence[EnvironmentArgs],
                              settings: StackSettings) -> None:
    """An environment's namespace may not be one that a release of the stack creates: both would create it (the
    second fails with AlreadyExists), and Reloader refuses to watch its own namespace."""
    taken = {}
    if settings.reloader:
        taken[RELOADER_NAMESPACE] = "Reloader's release"
    if "external-secrets" in settings.backends:
        taken[ESO_NAMESPACE] = "the External Secrets Operator's release"
    for i, (value, environment) in enumerate(zip(values, environments, strict=True)):
        if environment["namespace"] in taken:
            where = "namespace" if "namespace" in value else "name"
            raise SettingsError(f"{PROJECT}:environments[{i}].{where}", environment["namespace"],
                                f"is the namespace of {taken[environment['namespace']]}: give the environment another")


_IAM_ROLE_NAME_MAX = 64
"""IAM refuses a role name longer than 64 characters (CreateRole ``RoleName``)."""
_AUTONAME_SUFFIX = 8
"""pulumi-aws names a role ``<logical name>-<7 random hex>`` and fails when that is longer than the service allows."""


def _check_derived_names(settings: StackSettings) -> None:
    """Names the stack program derives from an environment and an app: ``<environment>-<app>`` names the app's
    components (two pairs that derive one name would collide), is the ``app.kubernetes.io/instance`` label of its
    pods (at most 63 characters), and with secrets prefixes its IAM role ``<environment>-<app>-identity-role``."""
    derived: dict[str, str] = {}
    names = [e["environment"] for e in settings.environments]
    for i, app in enumerate(settings.apps):
        setting = f"{PROJECT}:apps[{i}].name"
        for environment in app.get("environments", names):
            name = f"{environment}-{app['name']}"
            if name in derived:
                raise SettingsError(setting, app["name"], f"in environment {environment!r} derives the name "
                                                          f"{name!r}, which {derived[name]} derives too: rename one")
            derived[name] = f"{setting} in environment {environment!r}"
            try:
                check_label_value(name, setting)
            except SettingsError:
                raise SettingsError(setting, app["name"], f"in environment {environment!r} derives {name!r}, longer "
                                                          "than the 63 characters of a Kubernetes label value: "
                                                          "shorten the app or environment name") from None
            role = f"{name}-identity-role"
            if app.get("secret_sources") and len(role) + _AUTONAME_SUFFIX > _IAM_ROLE_NAME_MAX:
                raise SettingsError(setting, app["name"], f"in environment {environment!r} derives the IAM role name "
                                                          f"{role!r} plus a random suffix, longer than the "
                                                          f"{_IAM_ROLE_NAME_MAX} characters IAM allows: shorten the "
                                                          "app or environment name")


_SECRET_TYPE_KEYS = {"kubernetes.io/tls": ("tls.crt", "tls.key"),
                     "kubernetes.io/dockerconfigjson": (".dockerconfigjson",)}
"""The keys of the Secret types whose keys are fixed by Kubernetes."""


def _secret_keys(secret: EnvironmentSecretArgs) -> tuple[str, ...]:
    return _SECRET_TYPE_KEYS.get(secret.get("type", SECRET_TYPES[0]), tuple(secret.get("string_data", {})))


def _check_references(settings: StackSettings) -> None:
    """An app may only consume ConfigMaps and Secrets that every one of its environments defines."""
    by_name = {e["environment"]: e for e in settings.environments}
    errors = ErrorCollector()
    for i, app in enumerate(settings.apps):
        path = f"{PROJECT}:apps[{i}]"
        for env_name in app.get("environments", list(by_name)):
            with errors.part():
                _check_app_references(app, path, env_name, by_name[env_name])
    errors.raise_any()


def _check_app_references(app: AppSection, path: str, env_name: str, environment: EnvironmentArgs) -> None:
    config_maps = {c["name"]: c for c in environment.get("config_maps", [])}
    env_secrets = {s["name"]: s for s in environment.get("secrets", [])}
    refs: list[tuple[str, str, str | None]] = [
        *((f"env[{j}]", e["config_map"], e["key"]) for j, e in enumerate(app.get("env", []))),
        *((f"envFrom[{j}]", name, None) for j, name in enumerate(app.get("env_from", []))),
        *((f"configFiles[{j}]", f["config_map"], f["key"]) for j, f in enumerate(app.get("config_files", []))),
    ]
    for where, config_map, key in refs:
        check_in_environment(config_map, config_maps, f"{path}.{where if key is None else f'{where}.configMap'}",
                             kind="ConfigMap", environment=env_name, add_to="configMaps")
        found = config_maps[config_map]
        if key is not None and key not in found.get("data", {}) and key not in found.get("files", {}):
            raise SettingsError(f"{path}.{where}.key", key,
                                f"is not a key of ConfigMap {config_map!r} in environment {env_name!r}")
    secret_refs = (
        [(f"secretEnv[{j}].kubernetesSecret", e["kubernetes_secret"]) for j, e in enumerate(app.get("secret_env", []))]
        + [(f"secretVolumes[{j}].kubernetesSecret", v["kubernetes_secret"])
           for j, v in enumerate(app.get("secret_volumes", []))]
        # A stack file gives plain text (a program's Output never comes from it).
        + [(f"imagePullSecrets[{j}]", cast(str, name)) for j, name in enumerate(app.get("image_pull_secrets", []))]
    )
    for where, secret in secret_refs:
        check_in_environment(secret, env_secrets, f"{path}.{where}", kind="Secret", environment=env_name,
                             add_to="kubernetesSecrets")
        kind = env_secrets[secret].get("type", SECRET_TYPES[0])
        if where.startswith("imagePullSecrets") and kind != "kubernetes.io/dockerconfigjson":
            raise SettingsError(f"{path}.{where}", secret, f"is a Secret of type {kind}, but the kubelet pulls images "
                                                           "only with kubernetes.io/dockerconfigjson Secrets")
    for j, entry in enumerate(app.get("secret_env", [])):
        keys = _secret_keys(env_secrets[entry["kubernetes_secret"]])
        if entry["key"] not in keys:
            raise SettingsError(f"{path}.secretEnv[{j}].key", entry["key"],
                                f"is not a key of Secret {entry['kubernetes_secret']!r} in environment {env_name!r} "
                                f"(keys: {', '.join(keys)}): the pod would not start")


# -- entry points -------------------------------------------------------------------------------------------------


def _items(values: Mapping[str, Any], key: str, required: bool) -> list[Any]:
    """The list of a list section (``environments``, ``apps``)."""
    path = f"{PROJECT}:{key}"
    if key not in values:
        if required:
            raise MissingSettingError(path)
        return []
    found = values[key]
    if not isinstance(found, list):
        raise SettingsError(path, found, "is not a list")
    if required and not found:
        raise SettingsError(path, found, "is empty: a stack needs at least one environment")
    return found


def parse_settings(
    values: Mapping[str, Any],
    *,
    stack: str,
    region: str | None,
    secret_keys: set[str] | frozenset[str] = frozenset(),
    project_dir: Path,
) -> StackSettings:
    """Validate the project's config ``values`` (keys without the ``eks-config-secrets:`` prefix)."""
    if not region:
        raise MissingSettingError("aws:region", "is required: run `pulumi config set aws:region <region>`")
    check_region(region, "aws:region")
    for section in SECTIONS:
        if section in secret_keys:
            # Structured settings are not secrets; a secure value inside one would reach resources as plain text.
            raise refuse_secure_value(f"{PROJECT}:{section}")
    # Renamed keys are moved in a copy, never in the caller's.
    config = copy.deepcopy(dict(values))
    _rename_old_keys(config)
    secrets = _SecretSettings(config, secret_keys)
    # Sections and list items are independent: each one's mistakes are collected, and all are reported at once.
    errors = ErrorCollector()
    cluster: SecureClusterSettings | None = None
    with errors.part():
        if "cluster" not in config:
            raise MissingSettingError(f"{PROJECT}:cluster")
        cluster = _cluster(config["cluster"], region)
    delivery: SecretDeliverySection | None = None
    with errors.part():
        delivery = _secret_delivery(config.get("secretDelivery", {}))
    env_values: list[Any] = []
    with errors.part():
        env_values = _items(config, "environments", required=True)
    environments: list[EnvironmentArgs] = []
    for i, value in enumerate(env_values):
        with errors.part():
            environments.append(_environment(value, f"{PROJECT}:environments[{i}]", project_dir, secrets))
    # An environment with a mistake still counts as one that apps may name: their own mistakes are what is left.
    env_names = [v["name"] for v in env_values if isinstance(v, dict) and isinstance(v.get("name"), str)]
    apps: list[AppSection] = []
    app_values: list[Any] = []
    with errors.part():
        app_values = _items(config, "apps", required=False)
    for i, value in enumerate(app_values):
        with errors.part():
            app: AppSection | None
            app, found = SECTIONS["apps"].read(value, f"{PROJECT}:apps[{i}]")
            if app is not None:
                with found.part():
                    _app(app, f"{PROJECT}:apps[{i}]", env_names, region)
                if delivery is not None:
                    with found.part():
                        _app_delivery(app, f"{PROJECT}:apps[{i}]", delivery)
                apps.append(app)
            found.raise_any()
    errors.raise_any()
    assert cluster is not None and delivery is not None
    settings = StackSettings(stack=stack, region=region, partition=partition_of(region), cluster=cluster,
                             secret_delivery=delivery, environments=tuple(environments), apps=tuple(apps),
                             rotation_cost=rotation_cost_settings(delivery.get("rotation_cost", {})))
    # What relates sections to one another, checked once, when every section is valid on its own.
    check_unique((e["environment"] for e in environments), f"{PROJECT}:environments[].name")
    check_unique((e["namespace"] for e in environments), f"{PROJECT}:environments[].namespace")
    check_unique((a["name"] for a in apps), f"{PROJECT}:apps[].name")
    _check_derived_names(settings)
    _check_release_namespaces(env_values, environments, settings)
    _check_references(settings)
    unknown = sorted(set(config) - set(SECTIONS) - secrets.referenced)
    if unknown:
        raise SettingsError(
            f"{PROJECT}:{unknown[0]}", "<set>",
            f"is not a known setting (known: {', '.join(SECTIONS)}, and the secret settings that "
            "environments[].kubernetesSecrets refer to)",
        )
    return settings


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
    )
    prices = STACK_PRICES.get()
    if prices is not None:
        # The offline plan estimates rotation with the stack's own prices.
        prices.append(settings.rotation_cost)
    return settings
