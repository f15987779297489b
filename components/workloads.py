"""Pure builders of the pod-spec pieces that consume configuration and secrets.

Each returns plain Kubernetes (camelCase) dicts, which pulumi_kubernetes accepts as inputs, so the patterns can be
tested without mocks and reused in any workload. The checksum helpers implement Helm's ``checksum/config``
pattern: a pod template annotation that changes exactly when the consumed content changes, so that a new
ConfigMap or Secret value rolls the pods (env vars and ``subPath`` mounts never see a change otherwise).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pulumi
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from components.validation import SettingsError

__all__ = [
    "CSI_DRIVER",
    "check_tls_pair",
    "checksum",
    "checksum_annotation",
    "config_file_mount",
    "config_file_volume",
    "csi_secret_volume",
    "dockerconfigjson",
    "env_from_config_map",
    "env_from_config_map_key",
    "env_from_secret_key",
    "pod_security_context",
    "read_only_mount",
    "restricted_security_context",
    "secret_checksum_annotation",
    "secret_volume",
]

CSI_DRIVER = "secrets-store.csi.k8s.io"
"""The CSI driver name that the Secrets Store CSI Driver registers."""


def env_from_config_map_key(env_name: str, config_map: pulumi.Input[str], key: str) -> dict[str, Any]:
    """One env var from one ConfigMap key (``configMapKeyRef``); a missing key fails the pod, not silently."""
    return {"name": env_name, "valueFrom": {"configMapKeyRef": {"name": config_map, "key": key}}}


def env_from_config_map(config_map: pulumi.Input[str]) -> dict[str, Any]:
    """Every key of a ConfigMap as env vars (``envFrom``)."""
    return {"configMapRef": {"name": config_map}}


def env_from_secret_key(env_name: str, secret: str, key: str) -> dict[str, Any]:
    """One env var from one Secret key (``secretKeyRef``); it changes only when the pod restarts."""
    return {"name": env_name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def config_file_volume(volume: str, config_map: pulumi.Input[str]) -> dict[str, Any]:
    """A volume of a ConfigMap, to mount single keys as files with :func:`config_file_mount`."""
    return {"name": volume, "configMap": {"name": config_map}}


def config_file_mount(volume: str, mount_path: str, key: str) -> dict[str, Any]:
    """One ConfigMap key mounted as one file with ``subPath``.

    A ``subPath`` mount never receives updates (kubelet binds the file once), which is why the Deployment
    carries the ConfigMap's checksum: a changed file rolls the pods instead of leaving them on stale data.
    """
    return {"name": volume, "mountPath": mount_path, "subPath": key, "readOnly": True}


def secret_volume(volume: str, secret: str) -> dict[str, Any]:
    """A volume of a Secret, files readable by the owner only (0400)."""
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


def checksum(data: Mapping[str, str]) -> str:
    """SHA-256 of a canonical serialisation: independent of key order, different for any changed value."""
    canonical = json.dumps(dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def checksum_annotation(name: str, data: Mapping[str, str]) -> dict[str, str]:
    """``{"checksum/<name>": <sha256>}`` for non-secret content (ConfigMaps)."""
    return {f"checksum/{name}": checksum(data)}


def secret_checksum_annotation(name: str, data: pulumi.Input[Mapping[str, str]]) -> dict[str, pulumi.Output[str]]:
    """The checksum annotation of secret content, the digest computed inside the secret Output.

    The same digest as Helm's ``checksum/secret``: the pods roll exactly when the content changes, and the content
    never leaves the secret Output. The digest itself is not kept secret: the cluster stores pod annotations in
    clear anyway, and a secret nested in the pod template would make Pulumi hide the whole Deployment spec in every
    plan and diff. A SHA-256 over all of a Secret's keys reveals nothing practical about generated credentials
    (tokens, keys, passwords); it would let a low-entropy value (a PIN, a word) be guessed offline, so such values
    do not belong in a checksummed Secret.
    """
    digest = pulumi.Output.from_input(data).apply(checksum)
    return {f"checksum/{name}": pulumi.Output.unsecret(digest)}


def check_tls_pair(certificate: str, private_key: str, certificate_setting: str, key_setting: str) -> None:
    """Raise unless both are PEM and the key is the certificate's (its public key matches).

    Messages never include the key's text.
    """
    try:
        cert = x509.load_pem_x509_certificate(certificate.encode())
    except ValueError:
        raise SettingsError(certificate_setting, "<certificate>",
                            "is not a PEM certificate ('-----BEGIN CERTIFICATE-----' ...)") from None
    try:
        key = serialization.load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError):
        raise SettingsError(key_setting, "<private key>",
                            "is not an unencrypted PEM private key ('-----BEGIN PRIVATE KEY-----' ...)") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
                      | ed448.Ed448PrivateKey):
        raise SettingsError(key_setting, "<private key>", "is not an RSA, EC or EdDSA key")
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (cert.public_key().public_bytes(serialization.Encoding.DER, public)
            != key.public_key().public_bytes(serialization.Encoding.DER, public)):
        raise SettingsError(key_setting, "<private key>",
                            "does not belong to the certificate (their public keys differ): set the key that "
                            "was issued with this certificate")


def dockerconfigjson(registry: str, username: str, password: str) -> str:
    """The ``.dockerconfigjson`` document of a ``kubernetes.io/dockerconfigjson`` Secret."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {registry: {"username": username, "password": password, "auth": auth}}},
                      sort_keys=True)
