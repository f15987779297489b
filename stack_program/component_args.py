"""What composition adds to the stack's sections: each section already is (part of) its component's arguments,
and these functions give it the handles that only the program has (the cluster, its identity, the backends, the
AWS target) and the names it derives per environment."""

from __future__ import annotations

from typing import Any, cast

import pulumi

from components.app_secrets import AppSecretArgs, AppSecretsArgs, AppSecretsSettings
from components.cluster import SecureClusterArgs
from components.csi_driver import SecretsStoreCsiDriver, SecretsStoreCsiDriverArgs
from components.environment import Environment, EnvironmentArgs
from components.external_secrets import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.handles import AwsTarget, ClusterIdentity
from components.pod_spec import PodInput
from components.workload import WorkloadArgs, WorkloadSettings
from stack_program.sections import AppSection
from stack_program.settings import StackSettings

__all__ = ["app_secrets_args", "cluster_args", "csi_driver_args", "operator_args", "pod_inputs", "workload_args"]

def _part(settings_type: type, section: AppSection) -> dict[str, object]:
    """The settings of ``settings_type`` (a component's part of an app's section) that the section gives."""
    return {key: value for key, value in section.items() if key in settings_type.__annotations__}


def cluster_args(settings: StackSettings, target: AwsTarget, creator_arn: str) -> SecureClusterArgs:
    """``cluster``; ``creator_arn`` is whoever runs `pulumi up`, whose admin entry EKS creates itself."""
    return cast(SecureClusterArgs, {**settings.cluster, "creator_arn": creator_arn, "region": target.region,
                                    "account_id": target.account_id, "partition": target.partition})


def csi_driver_args(settings: StackSettings, cluster_name: pulumi.Input[str]) -> SecretsStoreCsiDriverArgs:
    """``secretDelivery.csi``, in the stack's region, on the cluster (for the add-on)."""
    return cast(SecretsStoreCsiDriverArgs, {**settings.secret_delivery.get("csi", {}), "region": settings.region,
                                            "cluster_name": cluster_name})


def operator_args(settings: StackSettings, cluster: ClusterIdentity | None,
                  target: AwsTarget) -> ExternalSecretsOperatorArgs:
    """``secretDelivery.externalSecrets``; with ``cluster``, the operator gets its own Pod Identity role, which
    assumes the roles of the apps that use ``identity: pod-identity`` (external-secrets.io "AWS access")."""
    args = cast(ExternalSecretsOperatorArgs, dict(settings.secret_delivery.get("external_secrets", {})))
    if cluster is not None:
        args |= {"cluster": cluster, "target": target}
    return args


def _in_environment(source: AppSecretArgs, environment: str) -> AppSecretArgs:
    # The source as the stack gives it, with `{environment}` in its name replaced by the environment's name.
    args: dict[str, Any] = dict(source)
    for kind in ("secret", "parameter", "esc_environment"):
        if kind in args:
            args[kind] = str(args[kind]).replace("{environment}", environment)
    return cast(AppSecretArgs, args)


def app_secrets_args(settings: StackSettings, app: AppSection, env: EnvironmentArgs, *, cluster: ClusterIdentity,
                     target: AwsTarget, csi_driver: SecretsStoreCsiDriver | None,
                     operator: ExternalSecretsOperator | None) -> AppSecretsArgs:
    """An app's ``secretSources`` in one environment, delivered by the backend the app names."""
    args = cast(AppSecretsArgs, {
        **_part(AppSecretsSettings, app), "namespace": env["namespace"], "app_name": app["name"],
        "secrets": [_in_environment(s, env["environment"]) for s in app.get("secret_sources", [])],
        "cluster": cluster, "target": target})
    if settings.backend(app) == "csi" and csi_driver is not None:
        args["csi_driver"] = csi_driver
    elif operator is not None:
        args["external_secrets"] = operator
    return args


def pod_inputs(app: AppSection, environment: Environment) -> list[PodInput]:
    """What an app reads from its environment (``env``, ``secretEnv``, ``envFrom``, ``configFiles``,
    ``secretVolumes``), each input with its checksum and the Secret names its Role may read."""
    return [
        *(environment.env_from_config_map_key(e["name"], e["config_map"], e["key"]) for e in app.get("env", [])),
        *(environment.env_from_secret_key(e["name"], e["kubernetes_secret"], e["key"])
          for e in app.get("secret_env", [])),
        *(environment.env_from_config_map(c) for c in app.get("env_from", [])),
        *(environment.config_file(f["config_map"], f["key"], f["mount_path"], volume=f"config-{i}")
          for i, f in enumerate(app.get("config_files", []))),
        *(environment.secret_files(v["kubernetes_secret"], v["mount_path"], volume=f"secret-{i}")
          for i, v in enumerate(app.get("secret_volumes", []))),
    ]


def workload_args(app: AppSection, env: EnvironmentArgs, inputs: list[PodInput]) -> WorkloadArgs:
    """An app's Deployment in one environment; an app with a port is reached by its name (nginx.conf proxies to
    http://app:8080)."""
    return cast(WorkloadArgs, {**_part(WorkloadSettings, app), "app_name": app["name"],
                               "namespace": env["namespace"], "inputs": inputs, "service": "port" in app})
