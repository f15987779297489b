"""The Secrets Store CSI Driver and its AWS provider, installed once per cluster.

One coherent install, never two drivers. By default two Helm releases: the upstream driver chart, which we
configure ourselves (sync, rotation and token audiences are all off or empty by default in chart 1.6.0), and the
AWS provider chart with its bundled copy of the driver switched off (``secrets-store-csi-driver.install: false``).
Keeping the driver a release of its own makes its rotation settings visible and upgradable on their own, and
leaves one driver DaemonSet. The EKS managed add-on (``aws-secrets-store-csi-driver-provider``) installs both
instead, but it does not pass ``syncSecret.enabled`` to the driver (aws/secrets-store-csi-driver-provider-aws
issue 597), so it is refused when synced Kubernetes Secrets are wanted.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.validation import SettingsError, parse_go_duration

__all__ = [
    "AWS_PROVIDER_CHART",
    "DRIVER_CHART",
    "SecretsStoreCsiDriver",
    "SecretsStoreCsiDriverArgs",
    "aws_provider_values",
    "driver_values",
]

DRIVER_CHART = {
    "chart": "secrets-store-csi-driver",
    "version": "1.6.0",
    "repo": "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts",
}
AWS_PROVIDER_CHART = {
    "chart": "secrets-store-csi-driver-provider-aws",
    "version": "3.1.1",
    "repo": "https://aws.github.io/secrets-store-csi-driver-provider-aws",
}
ADDON_NAME = "aws-secrets-store-csi-driver-provider"
# IRSA tokens are requested for STS, Pod Identity tokens for the Pod Identity agent; since provider 3.0 the
# driver must ask for both (the provider chart sets these when it installs the driver itself).
TOKEN_AUDIENCES = ("sts.amazonaws.com", "pods.eks.amazonaws.com")


def driver_values(*, sync_secret: bool, enable_secret_rotation: bool, rotation_poll_interval: str) -> dict[str, Any]:
    """Values of the driver chart: every setting whose chart default is off is set explicitly."""
    return {
        "syncSecret": {"enabled": sync_secret},
        "enableSecretRotation": enable_secret_rotation,
        "rotationPollInterval": rotation_poll_interval,
        "tokenRequests": [{"audience": audience} for audience in TOKEN_AUDIENCES],
    }


def aws_provider_values(region: str) -> dict[str, Any]:
    """Values of the AWS provider chart, with its bundled driver off (ours is the only one)."""
    return {
        "awsRegion": region,
        "secrets-store-csi-driver": {"install": False},
    }


class SecretsStoreCsiDriverArgs(TypedDict):
    region: str
    """AWS region the provider reads secrets from."""
    install: NotRequired[str]
    """``helm`` (default: the driver and provider charts) or ``addon`` (the EKS managed add-on; needs
    ``cluster_name`` and ``sync_secret: false``)."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """The cluster of the add-on (``install: addon`` only)."""
    sync_secret: NotRequired[bool]
    """Sync mounted objects into Kubernetes Secrets (``secretObjects``), needed for env vars. Default: true."""
    enable_secret_rotation: NotRequired[bool]
    """Re-read mounted secrets every ``rotation_poll_interval`` (alpha). Default: true."""
    rotation_poll_interval: NotRequired[str]
    """Go duration between rotation polls; each poll calls Secrets Manager per mounted object. Default: ``2m``."""
    namespace: NotRequired[str]
    """Namespace of the releases. Default: ``kube-system`` (the driver DaemonSet is a node-level component)."""


class SecretsStoreCsiDriver(pulumi.ComponentResource):
    """The Secrets Store CSI Driver with rotation and secret sync, and the AWS provider."""

    crd_dependencies: list[pulumi.Resource]
    """What a SecretProviderClass must depend on: the resources that install its CRD and the provider."""
    sync_secret: bool
    """Whether synced Kubernetes Secrets are enabled."""

    def __init__(self, name: str, args: SecretsStoreCsiDriverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        install = args.get("install", "helm")
        if install not in ("helm", "addon"):
            raise SettingsError("SecretsStoreCsiDriverArgs.install", install, "is not one of: helm, addon")
        sync_secret = args.get("sync_secret", True)
        rotation = args.get("enable_secret_rotation", True)
        interval = args.get("rotation_poll_interval", "2m")
        parse_go_duration(interval, "SecretsStoreCsiDriverArgs.rotation_poll_interval")
        if install == "addon" and sync_secret:
            raise SettingsError(
                "SecretsStoreCsiDriverArgs.install", install,
                "cannot be used with sync_secret: the EKS add-on does not pass syncSecret.enabled to the driver "
                "(aws/secrets-store-csi-driver-provider-aws issue 597); use install 'helm'",
            )
        if install == "addon" and "cluster_name" not in args:
            raise SettingsError("SecretsStoreCsiDriverArgs.cluster_name", None, "is required with install 'addon'")
        super().__init__("eks-config-secrets:index:SecretsStoreCsiDriver", name, None, opts)
        namespace = args.get("namespace", "kube-system")
        self.sync_secret = sync_secret
        if install == "addon":
            addon = aws.eks.Addon(
                f"{name}-addon",
                cluster_name=args["cluster_name"],
                addon_name=ADDON_NAME,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.crd_dependencies = [addon]
        else:
            driver = k8s.helm.v3.Release(
                f"{name}-driver",
                name="secrets-store-csi-driver",
                chart=DRIVER_CHART["chart"],
                version=DRIVER_CHART["version"],
                repository_opts={"repo": DRIVER_CHART["repo"]},
                namespace=namespace,
                values=driver_values(sync_secret=sync_secret, enable_secret_rotation=rotation,
                                     rotation_poll_interval=interval),
                opts=pulumi.ResourceOptions(parent=self),
            )
            provider = k8s.helm.v3.Release(
                f"{name}-aws-provider",
                name="secrets-store-csi-driver-provider-aws",
                chart=AWS_PROVIDER_CHART["chart"],
                version=AWS_PROVIDER_CHART["version"],
                repository_opts={"repo": AWS_PROVIDER_CHART["repo"]},
                namespace=namespace,
                values=aws_provider_values(args["region"]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[driver]),
            )
            self.crd_dependencies = [driver, provider]
        self.register_outputs({})
