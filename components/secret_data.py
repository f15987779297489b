"""The data of typed Kubernetes Secrets (``kubernetes.io/tls``, ``kubernetes.io/dockerconfigjson``), checked
before anything is registered; messages never include a key's text."""

from __future__ import annotations

import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from components.validation import SettingsError

__all__ = [
    "check_tls_pair",
    "dockerconfigjson",
    "tls_secret_data",
]


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


def tls_secret_data(
    certificate: str, private_key: str, certificate_setting: str = "tls.crt", key_setting: str = "tls.key"
) -> dict[str, str]:
    """The data of a ``kubernetes.io/tls`` Secret, after :func:`check_tls_pair` (the settings name the values)."""
    check_tls_pair(certificate, private_key, certificate_setting, key_setting)
    return {"tls.crt": certificate, "tls.key": private_key}


def dockerconfigjson(registry: str, username: str, password: str) -> str:
    """The ``.dockerconfigjson`` document of a ``kubernetes.io/dockerconfigjson`` Secret."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {registry: {"username": username, "password": password, "auth": auth}}},
                      sort_keys=True)
