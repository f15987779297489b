"""The Secrets Store CSI Driver and its AWS provider, installed once per cluster.

One coherent install, never two drivers. By default two Helm releases: the upstream driver chart, which we
configure ourselves (sync, rotation and token audiences are all off or empty by default in chart 1.6.0), and the
AWS provider chart with its bundled copy of the driver switched off (``secrets-store-csi-driver.install: false``).
Keeping the driver a release of its own makes its rotation settings visible and upgradable on their own, and
leaves one driver DaemonSet. The EKS managed add-on (``aws-secrets-store-csi-driver-provider``) installs both
instead, but it does not pass ``syncSecret.enabled`` to the driver (aws/secrets-store-csi-driver-provider-aws
issue 597), so it is refused when synced Kubernetes Secrets are wanted.
"""

from typing import Any, NotRequired

import pulumi
import pulumi_aws as aws
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.conventions import CSI_ADDON, CSI_AWS_PROVIDER_CHART, CSI_DRIVER_CHART
from components.helm import PinnedChart, pinned_release
from components.validation import (
    STACK_FILE_FORM,
    SettingsError,
    check_bool,
    check_dns1123_label,
    check_region,
    parse_go_duration,
)

__all__ = [
    "AWS_PROVIDER_CHART",
    "DEFAULT_NAMESPACE",
    "DEFAULT_ROTATION_POLL_INTERVAL",
    "DEFAULT_SYNC_SECRET",
    "DRIVER_CHART",
    "INSTALLS",
    "SecretsStoreCsiDriver",
    "SecretsStoreCsiDriverArgs",
    "SecretsStoreCsiDriverSettings",
    "aws_provider_values",
    "check_install_mode",
    "driver_values",
]

DRIVER_CHART: PinnedChart = {
    "chart": CSI_DRIVER_CHART,
    "version": "1.6.0",
    "repo": "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts",
}
AWS_PROVIDER_CHART: PinnedChart = {
    "chart": CSI_AWS_PROVIDER_CHART,
    "version": "3.1.1",
    "repo": "https://aws.github.io/secrets-store-csi-driver-provider-aws",
}
DEFAULT_NAMESPACE = "kube-system"
"""Namespace of the releases when ``SecretsStoreCsiDriverArgs.namespace`` is omitted, and the add-on's own: the
driver DaemonSet is a node-level component."""
INSTALLS = ("helm", "addon")
"""How the driver is installed; the first is the default."""
DEFAULT_SYNC_SECRET = True
"""Whether SecretProviderClasses may sync into Kubernetes Secrets when ``sync_secret`` is omitted: env vars need it."""
DEFAULT_ROTATION_POLL_INTERVAL = "1h"
"""AWS's suggestion for the rotation poll: every poll describes each mounted secret, per pod, and costs API calls
(the provider README, "Rotation"; aws/secrets-store-csi-driver-provider-aws issue 116). A stack may poll faster and
see what it costs in the plan's rotation estimate."""
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
        CSI_DRIVER_CHART: {"install": False},
    }


@with_config(STACK_FILE_FORM)
class SecretsStoreCsiDriverSettings(TypedDict):
    """What a stack file sets of the driver (``secretDelivery.csi``); :class:`SecretsStoreCsiDriverArgs` adds
    the region and the cluster."""

    install: NotRequired[str]
    """``helm`` (the driver and provider charts) or ``addon`` (the EKS managed add-on; needs ``cluster_name`` and
    ``sync_secret: false``). Omitted: ``helm``. Plain: it decides which resources exist."""
    sync_secret: NotRequired[bool]
    """Let SecretProviderClasses sync mounted objects into Kubernetes Secrets (``secretObjects``), which env vars
    need. Omitted: true."""
    enable_secret_rotation: NotRequired[bool]
    """Re-read mounted secrets every ``rotation_poll_interval`` (alpha in the driver). Omitted: true."""
    rotation_poll_interval: NotRequired[str]
    """Go duration between rotation polls; each poll calls Secrets Manager once per mounted object and pod (cost
    and throttling). Omitted: :data:`DEFAULT_ROTATION_POLL_INTERVAL`, AWS's suggestion of an hour."""


class SecretsStoreCsiDriverArgs(SecretsStoreCsiDriverSettings):
    region: str
    """AWS region the provider reads secrets from (``awsRegion`` of the provider chart)."""
    cluster_name: NotRequired[pulumi.Input[str]]
    """The cluster of the add-on. Required with ``install: addon``, ignored otherwise."""
    namespace: NotRequired[str]
    """Namespace of the releases. Omitted: ``kube-system`` (the driver DaemonSet is a node-level component).
    Plain: it names where the releases install."""


def check_install_mode(install: str, sync_secret: bool, setting: str) -> None:
    """The EKS add-on does not pass ``syncSecret.enabled`` to the driver (aws/secrets-store-csi-driver-provider-aws
    issue 597): with it, synced Secrets never appear."""
    if install == "addon" and sync_secret:
        raise SettingsError(setting, install, "cannot be used with syncSecret: the EKS add-on does not pass "
                                              "syncSecret.enabled to the driver (aws/secrets-store-csi-driver-"
                                              "provider-aws issue 597); use install 'helm'")


class SecretsStoreCsiDriver(pulumi.ComponentResource):
    """The Secrets Store CSI Driver with rotation and secret sync, and the AWS provider."""

    sync_secret: bool
    """Whether synced Kubernetes Secrets are enabled."""
    namespace: pulumi.Output[str]
    """Namespace of the releases (or ``kube-system``, where the add-on installs itself)."""
    release_names: pulumi.Output[list[str]]
    """Helm release names: the driver's, then the provider's (none with the add-on)."""

    def __init__(self, name: str, args: SecretsStoreCsiDriverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        install = args.get("install", INSTALLS[0])
        if install not in INSTALLS:
            raise SettingsError("SecretsStoreCsiDriverArgs.install", install, f"is not one of: {', '.join(INSTALLS)}")
        region = check_region(args["region"], "SecretsStoreCsiDriverArgs.region")
        namespace = check_dns1123_label(args.get("namespace", DEFAULT_NAMESPACE), "SecretsStoreCsiDriverArgs.namespace")
        sync_secret = check_bool(args.get("sync_secret", DEFAULT_SYNC_SECRET), "SecretsStoreCsiDriverArgs.sync_secret")
        rotation = check_bool(args.get("enable_secret_rotation", True),
                              "SecretsStoreCsiDriverArgs.enable_secret_rotation")
        interval = args.get("rotation_poll_interval", DEFAULT_ROTATION_POLL_INTERVAL)
        parse_go_duration(interval, "SecretsStoreCsiDriverArgs.rotation_poll_interval")
        check_install_mode(install, sync_secret, "SecretsStoreCsiDriverArgs.install")
        if install == "addon" and "cluster_name" not in args:
            raise SettingsError("SecretsStoreCsiDriverArgs.cluster_name", None, "is required with install 'addon'")
        super().__init__("eks-config-secrets:index:SecretsStoreCsiDriver", name, None, opts)
        self.sync_secret = sync_secret
        # What a SecretProviderClass depends on: the releases, or the add-on, that install its CRD and the provider.
        # Python only (not a class-level output): two resource types, which one schema type cannot name; another
        # language passes the driver itself (SecretProviderClassArgs.installed_by) or depends on it.
        self.crd_dependencies: list[pulumi.CustomResource]
        if install == "addon":
            addon = aws.eks.Addon(
                f"{name}-addon",
                cluster_name=args["cluster_name"],
                addon_name=CSI_ADDON,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.crd_dependencies = [addon]
            self.namespace = pulumi.Output.from_input(DEFAULT_NAMESPACE)
            self.release_names = pulumi.Output.from_input([])
        else:
            driver = pinned_release(
                f"{name}-driver",
                DRIVER_CHART,
                namespace=namespace,
                values=driver_values(sync_secret=sync_secret, enable_secret_rotation=rotation,
                                     rotation_poll_interval=interval),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # After the driver: the provider registers with the driver's socket directory and its pods are useless
            # (and the SecretProviderClass CRD absent) until the driver runs.
            provider = pinned_release(
                f"{name}-aws-provider",
                AWS_PROVIDER_CHART,
                namespace=namespace,
                values=aws_provider_values(region),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[driver]),
            )
            self.crd_dependencies = [driver, provider]
            self.namespace = driver.namespace.apply(str)
            self.release_names = pulumi.Output.all(driver.name, provider.name).apply(lambda n: [str(x) for x in n])
        self.register_outputs({"namespace": self.namespace, "release_names": self.release_names})
