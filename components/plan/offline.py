"""What the offline plan stands in for what it cannot have: secret settings it cannot decrypt and the TLS pair
they would hold. The engine owns these, and installs them as :data:`SECRET_SETTINGS` while it runs a program: a
settings loader asks that hook for what is missing, and never needs to know whether it runs offline."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import hashlib
from collections.abc import Iterator
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

__all__ = ["SECRET_SETTINGS", "UNSET_SECRETS", "OfflineSecretSettings", "SecretSettingsHook", "offline",
           "offline_placeholder", "placeholder_tls_pair"]

def offline_placeholder(key: str, ciphertext: str | None = None) -> str:
    """The value that stands in for the secret setting ``key`` (a full key) in the offline plan.

    The contract that plan diffs rest on: the same key and the same ``secure:`` ciphertext give the same
    placeholder on every run and machine, and a changed ciphertext gives another one, so that identical stack
    files give identical plans and a re-encrypted or changed secret shows as a changed value. ``ciphertext`` is
    None for a setting that the stack file does not hold (supplied by an ESC environment, or not set yet). Plans
    show every secret as ``[secret]``; a change of one shows through what is derived from it (the keyed
    ``checksum/<name>`` annotations) and in the recorded plaintext (``RecordedResource.raw_inputs``).
    The placeholder is long enough to pass the length checks of secret content (``checksumKey``).
    """
    source = key if ciphertext is None else f"{key}\nsecure:{ciphertext}"
    return f"offline-placeholder-{hashlib.sha256(source.encode()).hexdigest()[:24]}"


UNSET_SECRETS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "eks_config_secrets_unset_secrets", default=None)
"""Set by the offline plan to a list that collects, by full key, the secret settings that the stack refers to but
its stack file does not hold: ``pulumi up`` would stop on each, so the plan lists them (a typo shows there)."""


@functools.cache
def placeholder_tls_pair(certificate: str, private_key: str) -> tuple[str, str]:
    """A throwaway self-signed pair that stands in for a certificate and its key in the offline plan: valid
    PEM, the same on every run for the same placeholders."""
    # Ed25519 from a seed derived from both placeholders: its signatures are deterministic, and so, with a fixed
    # serial and validity, is the whole certificate; another secure: value of either gives another pair.
    seed = hashlib.sha256(f"{certificate}\n{private_key}".encode()).digest()
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "offline-plan.invalid")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=1))
            .sign(key, None))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


class SecretSettingsHook(Protocol):
    """What a settings loader asks about secret settings whose values it cannot read itself."""

    def unset(self, key: str, referenced_by: str) -> str:
        """The value of the secret setting ``key`` (a full key) that the stack refers to (at ``referenced_by``) but
        does not hold; or raise the error that names it."""

    def tls_pair(self, certificate: str, private_key: str) -> tuple[str, str]:
        """The certificate and key to use for the values of two secret settings."""


class OfflineSecretSettings:
    """The offline plan's answers: a placeholder for each unset secret setting (listed in :data:`UNSET_SECRETS`,
    since ``pulumi up`` would stop on it), and a throwaway pair in place of a certificate and key, so that
    everything downstream sees valid PEM and the plan is the same on every run."""

    def unset(self, key: str, referenced_by: str) -> str:
        unset = UNSET_SECRETS.get()
        if unset is not None and key not in unset:
            unset.append(key)
        return offline_placeholder(key)

    def tls_pair(self, certificate: str, private_key: str) -> tuple[str, str]:
        return placeholder_tls_pair(certificate, private_key)


SECRET_SETTINGS: contextvars.ContextVar[SecretSettingsHook | None] = contextvars.ContextVar(
    "eks_config_secrets_secret_settings", default=None)
"""The hook the offline plan installs (:func:`offline`) while it runs a program; None when ``pulumi up`` runs it,
where every secret setting is decrypted and must be set."""


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """Run the block as the offline plan runs a program: with :class:`OfflineSecretSettings` installed."""
    token = SECRET_SETTINGS.set(OfflineSecretSettings())
    try:
        yield
    finally:
        SECRET_SETTINGS.reset(token)
