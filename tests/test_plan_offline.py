"""components/plan/offline.py: what the offline plan stands in for secrets it cannot decrypt."""

from __future__ import annotations

from cryptography import x509

from components.plan.offline import offline_placeholder, placeholder_tls_pair
from components.secret_data import check_tls_pair


def test_offline_placeholders_follow_the_key_and_the_ciphertext() -> None:
    """The contract plan diffs rest on: same key and ciphertext, same placeholder; another ciphertext, another."""
    key = "eks-config-secrets:apiToken"
    assert offline_placeholder(key, "v1:abc") == offline_placeholder(key, "v1:abc")
    assert len({offline_placeholder(key, "v1:abc"), offline_placeholder(key, "v1:abd"), offline_placeholder(key),
                offline_placeholder("eks-config-secrets:other", "v1:abc")}) == 4


def test_the_placeholder_tls_pair_is_valid_stable_and_follows_both_placeholders() -> None:
    certificate, key = placeholder_tls_pair("cert-a", "key-a")
    check_tls_pair(certificate, key, "certificate", "private key")
    assert placeholder_tls_pair("cert-a", "key-a") == (certificate, key)
    assert placeholder_tls_pair("cert-b", "key-a")[0] != certificate
    assert x509.load_pem_x509_certificate(certificate.encode()).subject.rfc4514_string() == "CN=offline-plan.invalid"
