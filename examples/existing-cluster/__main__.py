"""One app's secrets on a cluster that this program does not create.

The cluster and its IAM OIDC provider exist already. This program installs the Secrets Store CSI Driver with
its AWS provider, and creates the app's namespace, its IAM role (IRSA, trusting only its ServiceAccount) with
read access to exactly one Secrets Manager secret, the SecretProviderClass that mounts it, and a Deployment
that uses it.
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import AppSecrets, AwsTarget, ClusterIdentity, Environment, SecretsStoreCsiDriver, Workload

config = pulumi.Config()
namespace = config.get("namespace") or "payments"
target = AwsTarget(region=pulumi.Config("aws").require("region"),
                   account_id=aws.get_caller_identity_output().account_id)
# The same handle SecureCluster gives, from the attributes of a cluster that exists.
cluster = ClusterIdentity.from_attributes(cluster_name=config.require("clusterName"),
                                          oidc_provider_arn=config.require("oidcProviderArn"), target=target)

# An explicit provider from this program's kubeconfig: nothing falls back to the operator's shell.
# Mutable ConfigMaps and Secrets update in place instead of being replaced delete-first, and the cluster's
# issuer identifies the provider, so that a refreshed kubeconfig does not replace every object on it.
provider = k8s.Provider("cluster", kubeconfig=config.require_secret("kubeconfig"), enable_config_map_mutable=True,
                        enable_secret_mutable=True, cluster_identifier=cluster.oidc_issuer)
on_cluster = pulumi.ResourceOptions(providers={"kubernetes": provider})

driver = SecretsStoreCsiDriver("secrets-store-csi", {"region": target.region}, opts=on_cluster)

environment = Environment(namespace, {"namespace": namespace}, opts=on_cluster)
in_namespace = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[environment]))
secrets = AppSecrets(
    "payments",
    {
        "namespace": namespace,
        "app_name": "payments",
        "secrets": [{"secret": config.require("secret"), "keys": [{"property": "apiKey", "file": "api-key",
                                                                   "env": "STRIPE_API_KEY"}]}],
        "cluster": cluster,
        "target": target,
        "csi_driver": driver,
    },
    opts=in_namespace,
)
Workload("payments", {"app_name": "payments", "namespace": namespace, "image": "ghcr.io/example/payments:2.3.0",
                      "inputs": [secrets.pod_input()]}, opts=in_namespace)

pulumi.export("role_arn", secrets.role_arn)
