"""The stack settings as the components' arguments: each function turns one section of the stack file into the
args of the component it configures, so that ``__main__.py`` only composes components."""

from __future__ import annotations

from typing import cast

import pulumi

from components.app_secrets import AppSecretArgs, AppSecretsArgs
from components.cluster import SecureClusterArgs
from components.csi_driver import SecretsStoreCsiDriver, SecretsStoreCsiDriverArgs
from components.environment import Environment, EnvironmentArgs, EnvironmentSecretArgs
from components.external_secrets import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.handles import AwsTarget, ClusterIdentity
from components.pod_spec import PodInput
from components.workload import WorkloadArgs
from stack_program.settings import (
    AppSettings,
    ClusterSettings,
    CsiSettings,
    EnvironmentSettings,
    ExternalSecretsSettings,
    SecretSettings,
)

__all__ = ["app_secrets_args", "cluster_args", "csi_driver_args", "environment_args", "operator_args",
           "pod_inputs", "workload_args"]


def cluster_args(cluster: ClusterSettings, target: AwsTarget, creator_arn: str) -> SecureClusterArgs:
    """``cluster``; ``creator_arn`` is whoever runs `pulumi up`, whose admin entry EKS creates itself."""
    args: SecureClusterArgs = {
        "cluster_name": cluster.name,
        "version": cluster.version,
        "vpc_id": cluster.vpc_id,
        "subnet_ids": cluster.subnet_ids,
        "endpoint_private_access": cluster.endpoint_private_access,
        "endpoint_public_access": cluster.endpoint_public_access,
        "public_access_cidrs": cluster.public_access_cidrs,
        "log_types": cluster.log_types,
        "log_retention_days": cluster.log_retention_days,
        "node_group": cluster.node_group,
        "access_entries": cluster.access_entries,
        "kms_deletion_window_days": cluster.kms_deletion_window_days,
        "protect": cluster.protect,
        "support_type": cluster.support_type,
        "creator_arn": creator_arn,
        "region": target.region,
        "account_id": target.account_id,
        "partition": target.partition,
    }
    if cluster.kms_key_arn:
        args["kms_key_arn"] = cluster.kms_key_arn
    return args


def csi_driver_args(csi: CsiSettings, region: str, cluster_name: pulumi.Input[str]) -> SecretsStoreCsiDriverArgs:
    """``secretDelivery.csi``."""
    return {
        "region": region,
        "install": csi.install,
        "cluster_name": cluster_name,
        "sync_secret": csi.sync_secret,
        "enable_secret_rotation": csi.enable_secret_rotation,
        "rotation_poll_interval": csi.rotation_poll_interval,
    }


def operator_args(eso: ExternalSecretsSettings, cluster: ClusterIdentity | None,
                  target: AwsTarget) -> ExternalSecretsOperatorArgs:
    """``secretDelivery.externalSecrets``; with ``cluster``, the operator gets its own Pod Identity role, which
    assumes the roles of the apps that use ``identity: pod-identity`` (external-secrets.io "AWS access")."""
    args: ExternalSecretsOperatorArgs = {"refresh_interval": eso.refresh_interval}
    if eso.pulumi_organization:
        args["pulumi_organization"] = eso.pulumi_organization
    if cluster is not None:
        args |= {"cluster": cluster, "target": target}
    return args


def _secret_args(secret: SecretSettings) -> EnvironmentSecretArgs:
    args: EnvironmentSecretArgs = {"name": secret.name, "type": secret.type}
    if secret.string_data:
        args["string_data"] = {key: value.value for key, value in secret.string_data.items()}
    if secret.certificate and secret.private_key:
        args["certificate"], args["private_key"] = secret.certificate.value, secret.private_key.value
    if secret.registry and secret.username and secret.password:
        args["registry"], args["username"], args["password"] = secret.registry, secret.username, secret.password.value
    return args


def environment_args(env: EnvironmentSettings) -> EnvironmentArgs:
    """One of ``environments``."""
    args: EnvironmentArgs = {
        "namespace": env.namespace,
        "environment": env.name,
        "pod_security": env.pod_security,
        "config_maps": [
            {"name": c.name, "data": c.data, "files": c.files, "immutable": c.immutable} for c in env.config_maps
        ],
        "secrets": [_secret_args(s) for s in env.secrets],
    }
    if env.checksum_key:
        args["checksum_key"] = env.checksum_key.value
    return args


def _app_secret_args(secret: AppSecretArgs, environment: str) -> AppSecretArgs:
    # The stack's AppSecretArgs as they are, with `{environment}` in names replaced by the environment's name.
    args = dict(secret)
    for source in ("secret", "parameter", "esc_environment"):
        if source in args:
            args[source] = str(args[source]).replace("{environment}", environment)
    return cast(AppSecretArgs, args)


def app_secrets_args(app: AppSettings, env: EnvironmentSettings, *, cluster: ClusterIdentity, target: AwsTarget,
                     csi_driver: SecretsStoreCsiDriver | None,
                     operator: ExternalSecretsOperator | None) -> AppSecretsArgs:
    """An app's ``secrets`` in one environment, delivered by the backend the app names."""
    args: AppSecretsArgs = {
        "namespace": env.namespace,
        "app_name": app.name,
        "secrets": [_app_secret_args(s, env.name) for s in app.secrets],
        "cluster": cluster,
        "target": target,
        "identity": app.identity,
    }
    if app.backend == "csi" and csi_driver is not None:
        args["csi_driver"] = csi_driver
    elif operator is not None:
        args["external_secrets"] = operator
    if app.failover_region:
        args["failover_region"] = app.failover_region
    if app.restart_on_file_rotation:
        args["restart_on_file_rotation"] = True
    if app.target_role_arn:
        args["target_role_arn"] = app.target_role_arn
    return args


def pod_inputs(app: AppSettings, environment: Environment) -> list[PodInput]:
    """What an app reads from its environment (``env``, ``secretEnv``, ``envFrom``, ``configFiles``,
    ``secretVolumes``), each input with its checksum and the Secret names its Role may read."""
    return [
        *(environment.env_from_config_map_key(e.env, e.config_map, e.key) for e in app.env),
        *(environment.env_from_secret_key(e.env, e.secret, e.key) for e in app.secret_env),
        *(environment.env_from_config_map(c) for c in app.env_from),
        *(environment.config_file(f.config_map, f.key, f.mount_path, volume=f"config-{i}")
          for i, f in enumerate(app.config_files)),
        *(environment.secret_files(v.secret, v.mount_path, volume=f"secret-{i}")
          for i, v in enumerate(app.secret_volumes)),
    ]


def workload_args(app: AppSettings, env: EnvironmentSettings, inputs: list[PodInput]) -> WorkloadArgs:
    """An app's Deployment in one environment; an app with a port is reached by its name (nginx.conf proxies to
    http://app:8080)."""
    args: WorkloadArgs = {
        "app_name": app.name,
        "namespace": env.namespace,
        "image": app.image,
        "replicas": app.replicas,
        "image_pull_secrets": app.image_pull_secrets,
        "inputs": inputs,
    }
    if app.port:
        args["port"], args["service"] = app.port, True
    return args
