"""Two apps with their own identities, where `ledger`'s pods mount the SecretProviderClass of `payments` while
running as ledger's own ServiceAccount: the mistake the access proof must catch (exit 2, naming the pod and the
missing permission). Built only for tests/test_access_chain.py.
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import (
    AppSecrets,
    AppSecretsArgs,
    AwsTarget,
    ClusterIdentity,
    Environment,
    PodInput,
    SecretsStoreCsiDriver,
    Workload,
)

config = pulumi.Config()
region = pulumi.Config("aws").require("region")
target = AwsTarget(region=region, account_id=aws.get_caller_identity_output().account_id)
cluster = ClusterIdentity.from_attributes(cluster_name="shop", oidc_provider_arn=config.require("oidcProviderArn"),
                                          target=target)
provider = k8s.Provider("cluster", kubeconfig=config.require("kubeconfig"))
on_cluster = pulumi.ResourceOptions(providers={"kubernetes": provider})
driver = SecretsStoreCsiDriver("secrets-store-csi", {"region": region}, opts=on_cluster)
environment = Environment("shop", {"namespace": "shop"}, opts=on_cluster)
in_namespace = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[environment]))


def app_secrets(app: str, secret: str) -> AppSecrets:
    args: AppSecretsArgs = {
        "namespace": "shop", "app_name": app, "cluster": cluster, "target": target, "csi_driver": driver,
        "secrets": [{"secret": secret, "keys": [{"property": "apiKey", "file": "api-key", "env": "API_KEY"}]}],
    }
    return AppSecrets(app, args, opts=in_namespace)


payments = app_secrets("payments", "shop/payments/stripe")
ledger = app_secrets("ledger", "shop/ledger/bank")
Workload("ledger", {
    "app_name": "ledger", "namespace": "shop", "image": "ghcr.io/example/ledger:1.0.0",
    # The mistake, spelled out by hand: its own ServiceAccount, the other app's class and synced Secret.
    "inputs": [PodInput(service_account_name=ledger.service_account_name, env=payments.env, volumes=payments.volumes,
                        volume_mounts=payments.volume_mounts)],
}, opts=in_namespace)
