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
    AppSecrets,
    AwsTarget,
    Environment,
    ExternalSecretsOperator,
    Reloader,
    SecretsStoreCsiDriver,
    SecureCluster,
    Workload,
)
from components.cluster import deploying_principal
from stack_program.component_args import (
    app_secrets_args,
    cluster_args,
    csi_driver_args,
    operator_args,
    pod_inputs,
    workload_args,
)
from stack_program.settings import identity, load_settings

settings = load_settings(Path(__file__).parent)
target = AwsTarget(region=settings.region, account_id=aws.get_caller_identity_output().account_id,
                   partition=settings.partition)

cluster = SecureCluster(settings.cluster["cluster_name"], cluster_args(settings, target, deploying_principal()))
# Every Kubernetes resource below inherits this provider: none may fall back to the ambient kubeconfig.
on_cluster = pulumi.ResourceOptions(providers={"kubernetes": cluster.provider})

# Secret delivery, installed once per cluster for the backends that the apps use.
csi_driver = SecretsStoreCsiDriver("secrets-store-csi", csi_driver_args(settings, cluster.cluster_name),
                                   opts=on_cluster) if "csi" in settings.backends else None
operator_identity = any(settings.backend(a) == "external-secrets" and identity(a) == "pod-identity"
                        for a in settings.apps)
operator = ExternalSecretsOperator("external-secrets", operator_args(
    settings, cluster.identity if operator_identity else None, target),
    opts=on_cluster) if "external-secrets" in settings.backends else None

assumed_by_operator: list[pulumi.Output[str]] = []
# What the accounts that own an app's secrets must apply, per app: `python -m components plan --manifests` writes each
# beside the manifests, and `pulumi stack output owner_grants` shows them after a deployment.
owner_grants: dict[str, pulumi.Output[list[dict[str, Any]]]] = {}
environments = []
for env in settings.environments:
    environment = Environment(env["environment"], env, opts=on_cluster)
    environments.append(environment)
    in_environment = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[environment]))
    for app in settings.apps_in(env["environment"]):
        name, inputs = f"{env['environment']}-{app['name']}", pod_inputs(app, environment)
        if app.get("secret_sources"):
            app_secrets = AppSecrets(name, app_secrets_args(settings, app, env, cluster=cluster.identity,
                                                            target=target, csi_driver=csi_driver, operator=operator),
                                     opts=in_environment)
            inputs.append(app_secrets.pod_input(reloader=settings.reloader))
            owner_grants[name] = app_secrets.owner_grants
            if settings.backend(app) == "external-secrets" and identity(app) == "pod-identity":
                assumed_by_operator.append(app_secrets.role_arn)
        Workload(name, workload_args(app, env, inputs), opts=in_environment)

if operator is not None and assumed_by_operator:
    operator.allow_assume(assumed_by_operator)

if settings.reloader:
    # Scoped to our namespaces (a Role in each) rather than a ClusterRole that reads every Secret in the cluster.
    # With the CSI integration it watches SecretProviderClassPodStatus objects, whose CRD the driver installs.
    csi_crds = csi_driver.crd_dependencies if csi_driver is not None and settings.restarts_on_file_rotation else []
    Reloader("reloader", {"namespaces": [env["namespace"] for env in settings.environments],
                          "csi_integration": settings.restarts_on_file_rotation},
             opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(
                 depends_on=[*environments, *csi_crds])))

pulumi.export("cluster_name", cluster.cluster_name)
pulumi.export("kms_key_arn", cluster.kms_key_arn)
pulumi.export("oidc_provider_arn", cluster.oidc_provider_arn)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("namespaces", [env["namespace"] for env in settings.environments])
pulumi.export("owner_grants", pulumi.Output.all(**owner_grants).apply(
    lambda grants: {app: found for app, found in grants.items() if found}))
