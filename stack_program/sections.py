"""The sections of a stack file, as types: each is a component's own settings type, or a TypedDict of the stack
program that extends one with what only the stack composes (an environment's name, an app's ConfigMap references,
the secret settings a Secret's values are read from).

A setting's type, default and meaning are its field's annotation and docstring (the README's settings reference is
generated from them, ``tools/settings_reference.py``); its rule is the check beside it in the section's
:class:`~components.validation.StackSection`, written once in the component or in ``components/validation.py``.
"""

from collections.abc import Mapping, Sequence
from typing import NotRequired

from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.app_secrets import BACKENDS, IDENTITIES, AppSecretArgs, AppSecretsSettings
from components.cluster import SUPPORT_TYPES, check_node_group_size
from components.csi_driver import INSTALLS, SecretsStoreCsiDriverSettings
from components.environment import (
    POD_SECURITY_LEVELS,
    SECRET_TYPES,
    ConfigMapSettings,
    EnvironmentSecretSettings,
    EnvironmentSettings,
    check_checksummed_name,
    check_registry_username,
)
from components.external_secrets import ExternalSecretsOperatorSettings
from components.plan.rotation_cost import RotationCostArgs, check_amount
from components.validation import (
    ACCESS_POLICIES,
    STACK_FILE_FORM,
    Check,
    SettingsError,
    check_bool,
    check_choice,
    check_cluster_name,
    check_data_key,
    check_dns1123_label,
    check_env_name,
    check_kms_deletion_window,
    check_kubernetes_version,
    check_log_retention_days,
    check_log_types,
    check_mount_path,
    check_principal_arn,
    check_region,
    check_vpc_id,
    parse_go_duration,
)
from components.workload import WorkloadSettings, check_port, check_reason, check_replicas

__all__ = [
    "APP_CHECKS",
    "CLUSTER_CHECKS",
    "DELIVERY_CHECKS",
    "ENVIRONMENT_CHECKS",
    "AppSection",
    "ConfigFileSection",
    "ConfigMapSection",
    "EnvFromConfigMapKeySection",
    "EnvFromSecretKeySection",
    "EnvironmentSection",
    "KubernetesSecretSection",
    "SecretDeliverySection",
    "SecretVolumeSection",
]


@with_config(STACK_FILE_FORM)
class SecretDeliverySection(TypedDict):
    backend: NotRequired[str]
    """Default backend of apps: ``csi`` (Secrets Store CSI Driver) or ``external-secrets``. Omitted: ``csi``."""
    csi: NotRequired[SecretsStoreCsiDriverSettings]
    """The Secrets Store CSI Driver, installed when an app uses it. Omitted: all of its defaults."""
    external_secrets: NotRequired[ExternalSecretsOperatorSettings]
    """The External Secrets Operator, installed when an app uses it. Omitted: all of its defaults."""
    reloader: NotRequired[bool]
    """Install Stakater Reloader and annotate workloads so that rotated secrets roll their pods. Omitted: true."""
    rotation_cost: NotRequired[RotationCostArgs]
    """The prices of the plan's rotation estimate. Omitted: all of their defaults."""


@with_config(ConfigMapSettings.__pydantic_config__)  # type: ignore[attr-defined]
class ConfigMapSection(ConfigMapSettings):
    files: NotRequired[Sequence[str]]
    """Files relative to the project directory; the file name is the key (``kubectl create configmap
    --from-file``). Omitted: none."""


@with_config(STACK_FILE_FORM)
class KubernetesSecretSection(EnvironmentSecretSettings):
    string_data_settings: NotRequired[Mapping[str, str]]
    """Opaque: Secret key -> name of the secret setting that holds its value (``pulumi config set --secret
    <name>``). Required for Opaque."""
    certificate_setting: NotRequired[str]
    """TLS: name of the secret setting holding the PEM certificate (chain). Required for kubernetes.io/tls."""
    private_key_setting: NotRequired[str]
    """TLS: name of the secret setting holding the PEM private key; it must match the certificate. Required for
    kubernetes.io/tls."""
    password_setting: NotRequired[str]
    """dockerconfigjson: name of the secret setting holding the registry password or token. Required for
    kubernetes.io/dockerconfigjson."""


@with_config(STACK_FILE_FORM)
class EnvironmentSection(EnvironmentSettings):
    name: str
    """Environment name, a DNS-1123 label (``dev``, ``staging``, ``prod``)."""
    namespace: NotRequired[str]
    """Namespace of the environment. Omitted: the name."""
    config_maps: NotRequired[Sequence[ConfigMapSection]]
    """ConfigMaps of the environment. Omitted: none."""
    kubernetes_secrets: NotRequired[Sequence[KubernetesSecretSection]]
    """Kubernetes Secrets of the environment. Omitted: none."""
    checksum_key_setting: NotRequired[str]
    """Name of a secret setting holding 16+ random characters (``pulumi config set --secret checksumKey "$(openssl
    rand -base64 32)"``): the HMAC key of the Secrets' checksum annotations. Required with kubernetesSecrets."""


@with_config(STACK_FILE_FORM)
class EnvFromConfigMapKeySection(TypedDict):
    name: str
    """Env var name (letters, digits, ``_``)."""
    config_map: str
    """A ConfigMap of each of the app's environments."""
    key: str
    """The key of that ConfigMap (``configMapKeyRef``)."""


@with_config(STACK_FILE_FORM)
class EnvFromSecretKeySection(TypedDict):
    name: str
    """Env var name (letters, digits, ``_``)."""
    kubernetes_secret: str
    """A Kubernetes Secret of each of the app's environments."""
    key: str
    """The key of that Secret (``secretKeyRef``)."""


@with_config(STACK_FILE_FORM)
class ConfigFileSection(TypedDict):
    config_map: str
    """A ConfigMap of each of the app's environments."""
    key: str
    """The key of that ConfigMap, mounted as one file with ``subPath``."""
    mount_path: str
    """Absolute path of the file in the container."""


@with_config(STACK_FILE_FORM)
class SecretVolumeSection(TypedDict):
    kubernetes_secret: str
    """A Kubernetes Secret of each of the app's environments, mounted read-only."""
    mount_path: str
    """Absolute path of the directory in the container."""


@with_config(STACK_FILE_FORM)
class AppSection(WorkloadSettings, AppSecretsSettings):
    name: str
    """App name (DNS-1123 label): its Deployment, ServiceAccount and IAM role names derive from it."""
    environments: NotRequired[Sequence[str]]
    """Environments the app runs in. Omitted: every environment."""
    backend: NotRequired[str]
    """Backend of the app's secretSources (``csi`` or ``external-secrets``). Omitted: ``secretDelivery.backend``."""
    env: NotRequired[Sequence[EnvFromConfigMapKeySection]]
    """Env vars from one ConfigMap key each (``configMapKeyRef``). Omitted: none."""
    env_from: NotRequired[Sequence[str]]
    """ConfigMaps loaded whole as env vars (``envFrom``). Omitted: none."""
    config_files: NotRequired[Sequence[ConfigFileSection]]
    """ConfigMap keys mounted as files. Omitted: none."""
    secret_env: NotRequired[Sequence[EnvFromSecretKeySection]]
    """Env vars from one key of an environment's Kubernetes Secret each (``secretKeyRef``). Omitted: none."""
    secret_volumes: NotRequired[Sequence[SecretVolumeSection]]
    """Kubernetes Secrets of the environment mounted read-only. Omitted: none."""
    secret_sources: NotRequired[Sequence[AppSecretArgs]]
    """The Secrets Manager secrets, SSM parameters and Pulumi ESC environments the app reads, through its backend;
    ``{environment}`` in a name is replaced by each environment's name. Omitted: none."""


def _check_config_value(value: object, setting: str) -> None:
    # Kubernetes ConfigMap data is string-only; a YAML 5432 must be written "5432".
    if not isinstance(value, str):
        raise SettingsError(setting, value, "is not a string (quote numbers and booleans)")


def _each(check: Check) -> Check:
    """``check`` on every item of a list setting, each named by its index."""

    def each(values: Sequence[object], setting: str) -> None:
        for i, value in enumerate(values):
            check(value, f"{setting}[{i}]")

    return each


def _keys(check: Check) -> Check:
    """``check`` on every key of a map setting, each named ``<setting>.<key>``."""

    def keys(values: Mapping[str, object], setting: str) -> None:
        for key in values:
            check(key, f"{setting}.{key}")

    return keys


CLUSTER_CHECKS: dict[str, Check] = {
    "clusterName": check_cluster_name,
    "version": check_kubernetes_version,
    "vpcId": check_vpc_id,
    "logTypes": check_log_types,
    "logRetentionDays": check_log_retention_days,
    "kmsDeletionWindowDays": check_kms_deletion_window,
    "supportType": check_choice(SUPPORT_TYPES),
    "nodeGroup.minSize": check_node_group_size,
    "nodeGroup.desiredSize": check_node_group_size,
    "nodeGroup.maxSize": check_node_group_size,
    "accessEntries.principalArn": check_principal_arn,
    "accessEntries.accessPolicy": check_choice(ACCESS_POLICIES),
    "accessEntries.namespaces": _each(check_dns1123_label),
}
"""The rules of ``cluster``'s settings, one each (those that relate settings to one another are the loader's)."""

DELIVERY_CHECKS: dict[str, Check] = {
    "backend": check_choice(BACKENDS),
    "reloader": check_bool,
    "csi.install": check_choice(INSTALLS),
    "csi.rotationPollInterval": parse_go_duration,
    "externalSecrets.refreshInterval": parse_go_duration,
    "rotationCost.secretsManagerUsdPer10kCalls": check_amount,
    "rotationCost.ssmUsdPer10kCalls": check_amount,
    "rotationCost.advisoryUsdPerMonth": check_amount,
}
"""The rules of ``secretDelivery``'s settings."""

ENVIRONMENT_CHECKS: dict[str, Check] = {
    "name": check_dns1123_label,
    "namespace": check_dns1123_label,
    "podSecurity": check_choice(POD_SECURITY_LEVELS),
    "configMaps.name": check_checksummed_name,
    "configMaps.data": _keys(check_data_key),
    "configMaps.data.*": _check_config_value,
    "kubernetesSecrets.name": check_checksummed_name,
    "kubernetesSecrets.type": check_choice(SECRET_TYPES),
    "kubernetesSecrets.username": check_registry_username,
    "kubernetesSecrets.stringDataSettings": _keys(check_data_key),
}
"""The rules of an environment's settings."""

APP_CHECKS: dict[str, Check] = {
    "name": check_dns1123_label,
    "replicas": check_replicas,
    "port": check_port,
    "identity": check_choice(IDENTITIES),
    "backend": check_choice(BACKENDS),
    "failoverRegion": check_region,
    "secretsAsEnvReason": check_reason,
    "env.name": check_env_name,
    "secretEnv.name": check_env_name,
    "configFiles.mountPath": check_mount_path,
    "secretVolumes.mountPath": check_mount_path,
    "secretSources.keys.env": check_env_name,
}
"""The rules of an app's settings."""
