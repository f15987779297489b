"""components/secret_data.py: TLS and registry Secret data."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from components.secret_data import (
    check_tls_pair,
    dockerconfigjson,
    tls_secret_data,
)
from components.validation import SettingsError


def tls_pair() -> tuple[str, str]:
    """A fresh self-signed pair (never a committed key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "app.example.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def test_dockerconfigjson_auth_is_base64_of_user_and_password() -> None:
    assert dockerconfigjson("ghcr.io", "bot", "pw") == (
        '{"auths": {"ghcr.io": {"auth": "Ym90OnB3", "password": "pw", "username": "bot"}}}')


def test_tls_secret_data_of_a_matching_pair() -> None:
    certificate, key = tls_pair()
    assert tls_secret_data(certificate, key) == {"tls.crt": certificate, "tls.key": key}


def test_tls_key_of_another_certificate_is_refused() -> None:
    certificate, _ = tls_pair()
    _, other_key = tls_pair()
    with pytest.raises(SettingsError) as caught:
        tls_secret_data(certificate, other_key)
    assert str(caught.value) == ("tls.key '<private key>' does not belong to the certificate (their public keys "
                                 "differ): set the key that was issued with this certificate")


def test_tls_key_that_is_not_pem_is_refused_without_echoing_it() -> None:
    certificate, _ = tls_pair()
    with pytest.raises(SettingsError) as caught:
        check_tls_pair(certificate, "hunter2", "cert", "key")
    assert str(caught.value) == (
        "key '<private key>' is not an unencrypted PEM private key ('-----BEGIN PRIVATE KEY-----' ...)")
