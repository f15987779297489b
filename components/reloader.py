"""Stakater Reloader: rolls a workload when a Secret it names changes outside Pulumi (a rotation synced by the
CSI driver or the External Secrets Operator), which env vars and ``subPath`` mounts would otherwise never see."""


from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi

from components.conventions import RELOAD_SECRET_PROVIDER_CLASSES_ANNOTATION, RELOAD_SECRETS_ANNOTATION
from components.helm import PinnedChart, pinned_release
from components.validation import (
    SYSTEM_NAMESPACES,
    SettingsError,
    apply_input,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_unique,
)

__all__ = [
    "CHART",
    "DEFAULT_NAMESPACE",
    "RELOAD_SECRETS_ANNOTATION",
    "RELOAD_SECRET_PROVIDER_CLASSES_ANNOTATION",
    "Reloader",
    "ReloaderArgs",
    "reload_on_secret_provider_classes",
    "reload_on_secrets",
    "reloader_values",
]

DEFAULT_NAMESPACE = "reloader"

# stakater/Reloader tag chart-v2.2.16 (app v1.4.21); its values.yaml and values.schema.json are vendored in
# reference/reloader/2.2.16, and the tests check our values against both.
CHART: PinnedChart = {"chart": "reloader", "version": "2.2.16", "repo": "https://stakater.github.io/stakater-charts"}

def reload_on_secrets(secret_names: Sequence[str]) -> dict[str, str]:
    """The Deployment annotation that makes Reloader roll it when one of these Secrets changes.

    Named Secrets rather than ``reloader.stakater.com/auto``, which would also roll on Secrets the pods do not use.
    """
    if not secret_names:
        raise SettingsError("reload_on_secrets", [], "is empty: name the Secrets to watch")
    for i, secret in enumerate(secret_names):
        check_dns1123_subdomain(secret, f"reload_on_secrets[{i}]")
    return {RELOAD_SECRETS_ANNOTATION: ",".join(sorted(set(secret_names)))}


def reload_on_secret_provider_classes(class_names: Sequence[str]) -> dict[str, str]:
    """The Deployment annotation that makes Reloader roll it when the CSI driver rotates the files of one of these
    SecretProviderClasses, for apps that read their secrets only as files, once (no synced Secret to watch)."""
    if not class_names:
        raise SettingsError("reload_on_secret_provider_classes", [], "is empty: name the classes to watch")
    for i, name in enumerate(class_names):
        check_dns1123_subdomain(name, f"reload_on_secret_provider_classes[{i}]")
    return {RELOAD_SECRET_PROVIDER_CLASSES_ANNOTATION: ",".join(sorted(set(class_names)))}


def reloader_values(namespaces: Sequence[str], *, csi_integration: bool = False) -> dict[str, Any]:
    """Chart values: a controller that restarts workloads through a pod-template annotation, under a restricted
    security context, scoped to ``namespaces`` when given.

    Scoped mode (``watchGlobally: false`` with ``namespaces``) gives Reloader a Role per namespace and no
    ClusterRole: it can then read the Secrets of those namespaces only, instead of every Secret in the cluster.
    The chart always adds the release namespace to them (chart-v2.2.16 ``templates/_helpers.tpl``,
    ``reloader-watchNamespaces``), which is why Reloader gets a namespace of its own.
    ``reloadStrategy: annotations`` restarts a workload by annotating its pod template; the default strategy
    writes a dummy env var into the Deployment's containers, which `pulumi refresh` then shows as drift.
    ``csi_integration`` turns on ``reloader.enableCSIIntegration``: Reloader then also watches the Secrets Store CSI
    Driver's SecretProviderClassPodStatus objects (and gets ``get``/``list``/``watch`` on them and on
    SecretProviderClasses), for workloads annotated by :func:`reload_on_secret_provider_classes`.
    """
    values: dict[str, Any] = {
        "reloader": {
            "reloadStrategy": "annotations",
            "readOnlyRootFileSystem": True,
            "deployment": {
                # The chart's pod context is already non-root with RuntimeDefault seccomp; the container's is empty.
                "containerSecurityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "readOnlyRootFilesystem": True,
                },
            },
        },
    }
    if namespaces:
        values["reloader"] |= {"watchGlobally": False, "namespaces": list(namespaces)}
    if csi_integration:
        values["reloader"]["enableCSIIntegration"] = True
    return values


class ReloaderArgs(TypedDict):
    namespace: NotRequired[str]
    """Namespace of the controller, created by the release; not a system namespace nor one it watches, because the
    chart always watches its own namespace. Omitted: :data:`DEFAULT_NAMESPACE`. Plain: it names what the release
    creates."""
    namespaces: NotRequired[Sequence[pulumi.Input[str]]]
    """The namespaces whose workloads it may restart and whose Secrets it may read (a Role in each, no ClusterRole;
    Outputs, such as ``Environment.namespace``, are checked once they resolve). Omitted: every namespace, through a
    ClusterRole that reads all Secrets in the cluster; pass the apps' namespaces unless other workloads need
    Reloader too."""
    csi_integration: NotRequired[bool]
    """Restart workloads annotated by :func:`reload_on_secret_provider_classes` when the CSI driver rotates their
    files (``reloader.enableCSIIntegration``; needs the driver's CRDs). Omitted: false."""


def _not_its_own(namespace: str) -> SettingsError:
    # The chart watches its release namespace too: Reloader would read every Secret there and could restart what
    # runs in it (the system DaemonSets, in kube-system).
    return SettingsError("ReloaderArgs.namespace", namespace,
                         "must be a namespace of Reloader's own, not a system or watched namespace")


class Reloader(pulumi.ComponentResource):
    """The Reloader controller (Helm chart ``stakater/reloader``): it acts only on annotated workloads."""

    namespace: pulumi.Output[str]
    """Namespace of the controller."""
    release_name: pulumi.Output[str]
    """Name of the Helm release."""

    def __init__(self, name: str, args: ReloaderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        namespace = check_dns1123_label(args.get("namespace", DEFAULT_NAMESPACE), "ReloaderArgs.namespace")
        if namespace in SYSTEM_NAMESPACES:
            raise _not_its_own(namespace)
        watched = list(args.get("namespaces", []))

        def checked(known: list[str]) -> list[str]:
            for i, watched_namespace in enumerate(known):
                check_dns1123_label(watched_namespace, f"ReloaderArgs.namespaces[{i}]")
            check_unique(known, "ReloaderArgs.namespaces")
            if namespace in known:
                raise _not_its_own(namespace)
            return known

        values = reloader_values(cast(list[str], watched), csi_integration=args.get("csi_integration", False))
        if watched:
            # Checked now, or once the Outputs among them resolve (to strings, hence the casts).
            values["reloader"]["namespaces"] = apply_input(cast(list[str], watched), checked)
        super().__init__("eks-config-secrets:index:Reloader", name, None, opts)
        release = pinned_release(
            f"{name}-release",
            CHART,
            namespace=namespace,
            create_namespace=True,
            values=values,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace = release.namespace.apply(str)
        self.release_name = release.name.apply(str)
        self.register_outputs({"namespace": self.namespace, "release_name": self.release_name})
