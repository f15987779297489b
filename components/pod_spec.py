"""Pure builders of the pod-spec pieces that consume configuration and secrets: env vars, volumes, mounts,
security contexts and probes.

Each returns plain Kubernetes (camelCase) dicts, which pulumi_kubernetes accepts as inputs, so the patterns can be
tested without mocks and reused in any workload.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.validation import SettingsError, check_env_name

__all__ = [
    "CSI_DRIVER",
    "PodInput",
    "config_file_mount",
    "config_file_volume",
    "csi_secret_volume",
    "env_from_config_map",
    "env_from_config_map_key",
    "env_from_secret_key",
    "http_probe",
    "merge_pod_inputs",
    "pod_security_context",
    "read_only_mount",
    "restricted_security_context",
    "secret_file_permission",
    "secret_volume",
]

CSI_DRIVER = "secrets-store.csi.k8s.io"
"""The CSI driver name that the Secrets Store CSI Driver registers."""


def env_from_config_map_key(env_name: str, config_map: pulumi.Input[str], key: str,
                            setting: str = "env_name") -> dict[str, Any]:
    """One env var from one ConfigMap key (``configMapKeyRef``); a missing key fails the pod, not silently.
    ``setting`` names ``env_name`` in the error when it is no environment variable name."""
    return {"name": check_env_name(env_name, setting),
            "valueFrom": {"configMapKeyRef": {"name": config_map, "key": key}}}


def env_from_config_map(config_map: pulumi.Input[str]) -> dict[str, Any]:
    """Every key of a ConfigMap as env vars (``envFrom``)."""
    return {"configMapRef": {"name": config_map}}


def env_from_secret_key(env_name: str, secret: pulumi.Input[str], key: str,
                        setting: str = "env_name") -> dict[str, Any]:
    """One env var from one Secret key (``secretKeyRef``); it changes only when the pod restarts. ``setting`` names
    ``env_name`` in the error when it is no environment variable name."""
    return {"name": check_env_name(env_name, setting), "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def config_file_volume(volume: str, config_map: pulumi.Input[str]) -> dict[str, Any]:
    """A volume of a ConfigMap, to mount single keys as files with :func:`config_file_mount`."""
    return {"name": volume, "configMap": {"name": config_map}}


def config_file_mount(volume: str, mount_path: str, key: str) -> dict[str, Any]:
    """One ConfigMap key mounted as one file with ``subPath``.

    A ``subPath`` mount never receives updates (kubelet binds the file once), which is why the Deployment
    carries the ConfigMap's checksum: a changed file rolls the pods instead of leaving them on stale data.
    """
    return {"name": volume, "mountPath": mount_path, "subPath": key, "readOnly": True}


def secret_volume(volume: str, secret: pulumi.Input[str]) -> dict[str, Any]:
    """A volume of a Secret, its files mode 0400.

    The kubelet hands the files to the pod's ``fsGroup`` and adds group read (0440), so the non-root user of
    :func:`pod_security_context` can read them and nobody else in the container can.
    """
    return {"name": volume, "secret": {"secretName": secret, "defaultMode": 0o400}}


def read_only_mount(volume: str, mount_path: str) -> dict[str, Any]:
    """A read-only mount of a whole volume (Secret and CSI volumes are never mounted writable)."""
    return {"name": volume, "mountPath": mount_path, "readOnly": True}


def csi_secret_volume(volume: str, secret_provider_class: pulumi.Input[str]) -> dict[str, Any]:
    """The Secrets Store CSI volume of a SecretProviderClass, read-only.

    Mounting it is also what makes the driver create the synced Kubernetes Secret: a synced Secret exists only
    while at least one pod mounts its SecretProviderClass.
    """
    return {
        "name": volume,
        "csi": {
            "driver": CSI_DRIVER,
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": secret_provider_class},
        },
    }


def http_probe(path: str, port: str = "http", period_seconds: int = 10) -> dict[str, Any]:
    """An HTTP GET probe on the container's named port (``http`` is the one a Workload with a ``port`` declares)."""
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": period_seconds}


def restricted_security_context() -> dict[str, Any]:
    """A container security context that passes the ``restricted`` Pod Security Standard."""
    return {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context(run_as_user: int = 10001) -> dict[str, Any]:
    """The pod-level half: a non-root user and group, and the runtime's default seccomp profile."""
    return {
        "runAsNonRoot": True,
        "runAsUser": run_as_user,
        "runAsGroup": run_as_user,
        "fsGroup": run_as_user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def secret_file_permission(security_context: Mapping[str, Any]) -> str:
    """The most restrictive ``filePermission`` of CSI-mounted secret files that the pod's user can still read.

    The Secrets Store CSI Driver writes the files as root:root and ignores the pod's ``fsGroup``: its CSIDriver
    object (chart 1.6.0, ``templates/csidriver.yaml``) sets no ``fsGroupPolicy``, so the kubelet's default
    (``ReadWriteOnceWithFSType``) skips these inline volumes, which have no fsType; the driver's atomic writer sets
    no owner group (kubernetes-sigs/secrets-store-csi-driver issue 858, open; PR 1841 unmerged). Linux then checks
    the owner bits for uid 0, the group bits for members of gid 0, and the "other" bits for everyone else. A pod
    of :func:`pod_security_context` (uid and gid 10001, never root) reads only through "other": ``0004`` lets it
    read and nobody in group root, where the provider's default ``0644`` would let every process read. Read-only
    mounts need no write bit. ``fsGroup`` is named here only because it does not help: it is a supplementary group
    of the pod, and the files do not belong to it.
    """
    user = security_context.get("runAsUser")
    if isinstance(user, bool) or not isinstance(user, int):
        raise SettingsError("securityContext.runAsUser", user,
                            "is not set: the file permission of mounted secrets depends on the pod's user")
    if user == 0:
        return "0400"
    groups = {security_context.get("runAsGroup"), security_context.get("fsGroup"),
              *security_context.get("supplementalGroups", ())}
    if 0 in groups:
        return "0040"
    # Without runAsGroup the image's primary group applies, which may be root: both bits then.
    return "0004" if "runAsGroup" in security_context else "0044"


@dataclass(frozen=True)
class PodInput:
    """One thing a pod consumes, with everything that comes with it: the env entries or the volume and its mount,
    the checksum annotation that rolls the pods when the content changes, the Secrets the pod's ServiceAccount may
    ``get``, and the ServiceAccount an identity needs. ``Environment`` and ``AppSecrets`` hand these out;
    ``Workload`` merges them (:func:`merge_pod_inputs`), so a checksum or a Role entry cannot be left behind."""

    env: Sequence[Mapping[str, Any]] = ()
    """Container env entries."""
    env_from: Sequence[Mapping[str, Any]] = ()
    """Container envFrom entries."""
    volumes: Sequence[Mapping[str, Any]] = ()
    """Pod volumes; the same volume handed out by two inputs is mounted once."""
    volume_mounts: Sequence[Mapping[str, Any]] = ()
    """Container volume mounts of those volumes."""
    checksums: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """``checksum/<name>`` pod annotations of the content consumed."""
    secret_names: Sequence[str] = ()
    """Kubernetes Secrets the pod reads through the API (a Role limited to them by ``resourceNames``)."""
    service_account_name: pulumi.Input[str] | None = None
    """The ServiceAccount the pod must run as (an identity's); at most one input of a pod names one."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations of the Deployment itself (Reloader's)."""


def merge_pod_inputs(inputs: Sequence[PodInput], setting: str) -> PodInput:
    """One input holding all of ``inputs``: entries in order, each volume once, checksums and annotations merged,
    the Secret names sorted. Two volumes of one name but different sources, or two ServiceAccounts, are refused:
    the pod can have one of each."""
    volumes: dict[str, Mapping[str, Any]] = {}
    accounts = [i.service_account_name for i in inputs if i.service_account_name is not None]
    if len(accounts) > 1:
        raise SettingsError(f"{setting}[].service_account_name", f"{len(accounts)} ServiceAccounts",
                            "are given: a pod runs as one, so give one identity's input per workload")
    for n, pod_input in enumerate(inputs):
        for volume in pod_input.volumes:
            seen = volumes.setdefault(volume["name"], volume)
            if seen is not volume and dict(seen) != dict(volume):
                raise SettingsError(f"{setting}[{n}].volumes", volume["name"],
                                    "names another volume of the pod with a different source: give it another name")
    return PodInput(
        env=[entry for i in inputs for entry in i.env],
        env_from=[entry for i in inputs for entry in i.env_from],
        volumes=list(volumes.values()),
        volume_mounts=[mount for i in inputs for mount in i.volume_mounts],
        checksums={key: value for i in inputs for key, value in i.checksums.items()},
        secret_names=sorted({name for i in inputs for name in i.secret_names}),
        service_account_name=accounts[0] if accounts else None,
        annotations={key: value for i in inputs for key, value in i.annotations.items()},
    )
