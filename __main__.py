"""The stack program: load the stack's settings, then compose the components for each environment.

`pulumi up --stack dev` runs it against AWS; `python -m components plan --stack dev` runs it offline.
Per environment it deploys the reference app of the seed: `app` reads DATABASE_HOST, DATABASE_PORT and
LOG_LEVEL from the `app-config` ConfigMap and its database credentials from Secrets Manager, and `nginx` reads
its nginx.conf from a ConfigMap file mounted with subPath (see stacks/Pulumi.<env>.yaml).
"""

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components import (
    AppSecretArgs,
    AppSecretKeyArgs,
    AppSecrets,
    AppSecretsArgs,
    AwsTarget,
    Environment,
    EnvironmentArgs,
    EnvironmentSecretArgs,
    ExternalSecretsOperator,
    ExternalSecretsOperatorArgs,
    Reloader,
    SecretsStoreCsiDriver,
    SecureCluster,
    SecureClusterArgs,
    Workload,
    WorkloadArgs,
)
from components.cluster import deploying_principal
from stack_program.settings import AppSecretSettings, AppSettings, EnvironmentSettings, SecretSettings, load_settings

settings = load_settings(Path(__file__).parent)
account_id = aws.get_caller_identity_output().account_id

# -- the cluster ------------------------------------------------------------------------------------------
cluster_settings = settings.cluster
cluster_args: SecureClusterArgs = {
    "cluster_name": cluster_settings.name,
    "version": cluster_settings.version,
    "vpc_id": cluster_settings.vpc_id,
    "subnet_ids": cluster_settings.subnet_ids,
    "endpoint_private_access": cluster_settings.endpoint_private_access,
    "endpoint_public_access": cluster_settings.endpoint_public_access,
    "public_access_cidrs": cluster_settings.public_access_cidrs,
    "log_types": cluster_settings.log_types,
    "log_retention_days": cluster_settings.log_retention_days,
    "node_group": {
        "instance_types": cluster_settings.node_group.instance_types,
        "min_size": cluster_settings.node_group.min_size,
        "desired_size": cluster_settings.node_group.desired_size,
        "max_size": cluster_settings.node_group.max_size,
    },
    "access_entries": [
        {"principal_arn": e.principal_arn, "access_policy": e.access_policy, "namespaces": e.namespaces}
        for e in cluster_settings.access_entries
    ],
    "kms_deletion_window_days": cluster_settings.kms_deletion_window_days,
    "protect": cluster_settings.protect,
    "support_type": cluster_settings.support_type,
    # EKS already gives whoever runs `pulumi up` an admin entry; an access entry for it would fail on create.
    "creator_arn": deploying_principal(),
    "region": settings.region,
    "account_id": account_id,
    "partition": settings.partition,
}
if cluster_settings.kms_key_arn:
    cluster_args["kms_key_arn"] = cluster_settings.kms_key_arn
cluster = SecureCluster(cluster_settings.name, cluster_args)
# Every Kubernetes resource below inherits this provider: none may fall back to the ambient kubeconfig.
on_cluster = pulumi.ResourceOptions(providers={"kubernetes": cluster.provider})

# -- secret delivery, installed once per cluster for the backends that the apps use ------------------------
delivery = settings.secret_delivery
target = AwsTarget(region=settings.region, account_id=account_id, partition=settings.partition)
backends = {app.backend for app in settings.apps if app.secrets}
csi_driver = None
if "csi" in backends:
    csi_driver = SecretsStoreCsiDriver("secrets-store-csi", {
        "region": settings.region,
        "install": delivery.csi.install,
        "cluster_name": cluster.cluster_name,
        "sync_secret": delivery.csi.sync_secret,
        "enable_secret_rotation": delivery.csi.enable_secret_rotation,
        "rotation_poll_interval": delivery.csi.rotation_poll_interval,
    }, opts=on_cluster)
operator = None
if "external-secrets" in backends:
    operator_args: ExternalSecretsOperatorArgs = {"refresh_interval": delivery.external_secrets.refresh_interval}
    if delivery.external_secrets.pulumi_organization:
        operator_args["pulumi_organization"] = delivery.external_secrets.pulumi_organization
    if any(app.backend == "external-secrets" and app.identity == "pod-identity" for app in settings.apps):
        # The operator's own Pod Identity role assumes each such app's role (external-secrets.io "AWS access").
        operator_args |= {"pod_identity_agent": cluster.pod_identity_agent(), "account_id": account_id,
                          "region": settings.region, "partition": settings.partition}
    operator = ExternalSecretsOperator("external-secrets", operator_args, opts=on_cluster)
assumed_by_operator: list[pulumi.Output[str]] = []
# What the accounts that own an app's secrets must apply, per app: `python -m components plan --manifests` writes each
# beside the manifests, and `pulumi stack output owner_grants` shows them after a deployment.
owner_grants: dict[str, pulumi.Output[list[dict[str, Any]]]] = {}


def environment_secret_args(secret: SecretSettings) -> EnvironmentSecretArgs:
    args: EnvironmentSecretArgs = {"name": secret.name, "type": secret.type}
    if secret.string_data:
        args["string_data"] = {key: value.value for key, value in secret.string_data.items()}
    if secret.certificate and secret.private_key:
        args["certificate"], args["private_key"] = secret.certificate.value, secret.private_key.value
    if secret.registry and secret.username and secret.password:
        args["registry"], args["username"], args["password"] = secret.registry, secret.username, secret.password.value
    return args


def app_secret_args(secret: AppSecretSettings, environment: str) -> AppSecretArgs:
    keys: list[AppSecretKeyArgs] = []
    for key in secret.keys:
        entry: AppSecretKeyArgs = {"file": key.file}
        if key.property:
            entry["property"] = key.property
        if key.env:
            entry["env"] = key.env
        keys.append(entry)
    args: AppSecretArgs = {"keys": keys}
    if secret.secret:
        args["secret"] = secret.secret.replace("{environment}", environment)
    if secret.parameter:
        args["parameter"] = secret.parameter.replace("{environment}", environment)
    if secret.esc_environment:
        args["esc_environment"] = secret.esc_environment.replace("{environment}", environment)
    if secret.kms_key_arn:
        args["kms_key_arn"] = secret.kms_key_arn
    if secret.failover_kms_key_arn:
        args["failover_kms_key_arn"] = secret.failover_kms_key_arn
    return args


def deploy_app(environment: Environment, env: EnvironmentSettings, app: AppSettings) -> None:
    """One app in one environment: its secrets from Secrets Manager, then its Deployment."""
    name = f"{env.name}-{app.name}"
    in_environment = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[environment]))
    # Each input carries its volume, its checksum annotation (a change rolls the pods) and the Secret names the
    # app's Role may read, so none can be left out.
    inputs = [
        *(environment.env_from_config_map_key(e.env, e.config_map, e.key) for e in app.env),
        *(environment.env_from_secret_key(e.env, e.secret, e.key) for e in app.secret_env),
        *(environment.env_from_config_map(c) for c in app.env_from),
        *(environment.config_file(f.config_map, f.key, f.mount_path, volume=f"config-{i}")
          for i, f in enumerate(app.config_files)),
        *(environment.secret_files(v.secret, v.mount_path, volume=f"secret-{i}")
          for i, v in enumerate(app.secret_volumes)),
    ]
    workload: WorkloadArgs = {
        "app_name": app.name,
        "namespace": env.namespace,
        "image": app.image,
        "replicas": app.replicas,
        "image_pull_secrets": app.image_pull_secrets,
    }
    if app.port:
        # An app with a port is reached by its name (nginx.conf proxies to http://app:8080).
        workload["port"], workload["service"] = app.port, True
    if app.secrets:
        secrets_args: AppSecretsArgs = {
            "namespace": env.namespace,
            "app_name": app.name,
            "secrets": [app_secret_args(s, env.name) for s in app.secrets],
            "cluster": cluster.identity,
            "target": target,
            "identity": app.identity,
        }
        if app.backend == "csi" and csi_driver is not None:
            secrets_args["csi_driver"] = csi_driver
        elif operator is not None:
            secrets_args["external_secrets"] = operator
        if app.failover_region:
            secrets_args["failover_region"] = app.failover_region
        if app.restart_on_file_rotation:
            secrets_args["restart_on_file_rotation"] = True
        if app.target_role_arn:
            secrets_args["target_role_arn"] = app.target_role_arn
        app_secrets = AppSecrets(name, secrets_args, opts=in_environment)
        if app.backend == "external-secrets" and app.identity == "pod-identity":
            assumed_by_operator.append(app_secrets.role_arn)
        owner_grants[name] = app_secrets.owner_grants
        inputs.append(app_secrets.pod_input(reloader=delivery.reloader))
    workload["inputs"] = inputs
    Workload(name, workload, opts=in_environment)


environments = []
for env in settings.environments:
    environment_args: EnvironmentArgs = {
        "namespace": env.namespace,
        "environment": env.name,
        "pod_security": env.pod_security,
        "config_maps": [
            {"name": c.name, "data": c.data, "files": c.files, "immutable": c.immutable} for c in env.config_maps
        ],
        "secrets": [environment_secret_args(s) for s in env.secrets],
    }
    if env.checksum_key:
        environment_args["checksum_key"] = env.checksum_key.value
    environment = Environment(env.name, environment_args, opts=on_cluster)
    environments.append(environment)
    for app in settings.apps_in(env.name):
        deploy_app(environment, env, app)

if operator is not None and assumed_by_operator:
    operator.allow_assume(assumed_by_operator)

if delivery.reloader:
    # Scoped to our namespaces (a Role in each) rather than a ClusterRole that reads every Secret in the cluster.
    # With the CSI integration it watches SecretProviderClassPodStatus objects, whose CRD the driver installs.
    Reloader("reloader", {"namespaces": [env.namespace for env in settings.environments],
                          "csi_integration": settings.restarts_on_file_rotation},
             opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(
                 depends_on=[*environments, *(csi_driver.crd_dependencies
                                              if csi_driver is not None and settings.restarts_on_file_rotation
                                              else [])])))

pulumi.export("cluster_name", cluster.cluster_name)
pulumi.export("kms_key_arn", cluster.kms_key_arn)
pulumi.export("oidc_provider_arn", cluster.oidc_provider_arn)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("namespaces", [env.namespace for env in settings.environments])
pulumi.export("owner_grants", pulumi.Output.all(**owner_grants).apply(
    lambda grants: {app: found for app, found in grants.items() if found}))
