"""components/workloads.py: the pod-spec pieces, checksums, security contexts and Secret builders."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from components.validation import SettingsError
from components.workloads import (
    check_tls_pair,
    checksum,
    checksum_annotation,
    config_file_mount,
    config_file_volume,
    csi_secret_volume,
    dockerconfigjson,
    env_from_config_map,
    env_from_config_map_key,
    env_from_secret_key,
    http_probe,
    pod_security_context,
    read_only_mount,
    restricted_security_context,
    secret_file_permission,
    secret_volume,
    tls_secret_data,
)


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


def test_env_entries_reference_one_key() -> None:
    assert env_from_config_map_key("LOG_LEVEL", "app-config", "LOG_LEVEL") == {
        "name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "LOG_LEVEL"}}}
    assert env_from_secret_key("TOKEN", "api", "TOKEN") == {
        "name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "TOKEN"}}}


def test_env_from_takes_a_whole_config_map() -> None:
    assert env_from_config_map("app-config") == {"configMapRef": {"name": "app-config"}}


def test_config_file_mount_uses_sub_path_read_only() -> None:
    assert config_file_volume("config", "nginx-config") == {"name": "config", "configMap": {"name": "nginx-config"}}
    assert config_file_mount("config", "/etc/nginx/nginx.conf", "nginx.conf") == {
        "name": "config", "mountPath": "/etc/nginx/nginx.conf", "subPath": "nginx.conf", "readOnly": True}


def test_secret_volume_is_owner_read_only_and_mounted_read_only() -> None:
    assert secret_volume("tls", "app-tls") == {"name": "tls", "secret": {"secretName": "app-tls", "defaultMode": 0o400}}
    assert read_only_mount("tls", "/etc/tls") == {"name": "tls", "mountPath": "/etc/tls", "readOnly": True}


def test_csi_volume_is_read_only() -> None:
    assert csi_secret_volume("secrets", "app-spc") == {"name": "secrets", "csi": {
        "driver": "secrets-store.csi.k8s.io", "readOnly": True, "volumeAttributes": {"secretProviderClass": "app-spc"}}}


def test_restricted_security_context() -> None:
    assert restricted_security_context() == {
        "runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "privileged": False,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def test_pod_security_context_runs_as_a_non_root_user() -> None:
    assert pod_security_context() == {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                      "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}


def test_http_probe_targets_the_named_port() -> None:
    assert http_probe("/healthz") == {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}


def test_checksum_is_stable_across_key_order_and_changes_with_any_value() -> None:
    assert checksum({"a": "1", "b": "2"}) == checksum({"b": "2", "a": "1"})
    assert checksum({"a": "1", "b": "2"}) != checksum({"a": "1", "b": "3"})
    assert checksum({"a": "1"}) != checksum({"a": "1", "": ""})
    assert checksum_annotation("app-config", {"a": "1"}) == {"checksum/app-config": checksum({"a": "1"})}


def test_checksum_is_the_sha256_of_canonical_json() -> None:
    assert checksum({"b": "2", "a": "é"}) == hashlib.sha256('{"a":"é","b":"2"}'.encode()).hexdigest()


def test_keyed_checksum_is_an_hmac_that_a_guess_without_the_key_cannot_match() -> None:
    key = "k" * 32
    keyed = checksum({"TOKEN": "1234"}, key)
    assert keyed == hmac.new(key.encode(), b'{"TOKEN":"1234"}', hashlib.sha256).hexdigest()
    assert keyed != checksum({"TOKEN": "1234"})
    assert keyed != checksum({"TOKEN": "1234"}, "j" * 32)


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


@pytest.mark.parametrize("context, permission", [
    # Our pods: uid/gid 10001, never in group root: only the "other" read bit reaches them.
    (pod_security_context(), "0004"),
    ({"runAsUser": 10001, "runAsGroup": 0}, "0040"),
    ({"runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 0}, "0040"),
    ({"runAsUser": 10001, "runAsGroup": 10001, "supplementalGroups": [0]}, "0040"),
    ({"runAsUser": 0}, "0400"),
    # The image's primary group is unknown: it may be root.
    ({"runAsUser": 10001}, "0044"),
])
def test_secret_file_permission_is_the_narrowest_the_pods_user_can_read(context: dict[str, Any],
                                                                         permission: str) -> None:
    assert secret_file_permission(context) == permission
    mode = int(permission, 8)
    user, group = context["runAsUser"], context.get("runAsGroup", 0)
    groups = {group, context.get("fsGroup"), *context.get("supplementalGroups", ())}
    # Linux's check for a root:root file: owner bits for uid 0, group bits for members of gid 0, else other bits.
    readable = bool(mode & (0o400 if user == 0 else 0o040 if 0 in groups else 0o004))
    assert readable
    # Nothing narrower: one read bit, the one the pod's user is checked against (two only for the unknown group).
    assert bin(mode).count("1") == (2 if permission == "0044" else 1)


def test_secret_file_permission_needs_the_pods_user() -> None:
    with pytest.raises(SettingsError) as caught:
        secret_file_permission({"fsGroup": 10001})
    assert str(caught.value) == ("securityContext.runAsUser None is not set: the file permission of mounted secrets "
                                 "depends on the pod's user")
