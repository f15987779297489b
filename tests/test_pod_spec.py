"""components/pod_spec.py: env vars, volumes, mounts, security contexts and probes of a pod spec."""

from __future__ import annotations

from typing import Any

import pytest

from components.pod_spec import (
    PodInput,
    config_file_mount,
    config_file_volume,
    csi_secret_volume,
    env_from_config_map,
    env_from_config_map_key,
    env_from_secret_key,
    http_probe,
    merge_pod_inputs,
    pod_security_context,
    read_only_mount,
    restricted_security_context,
    secret_file_permission,
    secret_volume,
)
from components.validation import SettingsError


def test_env_entries_reference_one_key() -> None:
    assert env_from_config_map_key("LOG_LEVEL", "app-config", "LOG_LEVEL") == {
        "name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "LOG_LEVEL"}}}
    assert env_from_secret_key("TOKEN", "api", "TOKEN") == {
        "name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "TOKEN"}}}


@pytest.mark.parametrize("build", [env_from_config_map_key, env_from_secret_key])
def test_an_env_entry_refuses_a_name_no_program_can_read(build: Any) -> None:
    with pytest.raises(SettingsError) as caught:
        build("LOG-LEVEL", "app-config", "LOG_LEVEL", "Mine.env")
    assert str(caught.value) == ("Mine.env 'LOG-LEVEL' is not an environment variable name (letters, digits, '_'; "
                                 "not starting with a digit)")


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


def test_merged_inputs_keep_every_checksum_and_secret_and_mount_a_shared_volume_once() -> None:
    shared = config_file_volume("config", "app-config")
    merged = merge_pod_inputs([
        PodInput(volumes=[shared], volume_mounts=[config_file_mount("config", "/etc/a", "a")],
                 checksums={"checksum/app-config": "1"}),
        PodInput(volumes=[dict(shared)], volume_mounts=[config_file_mount("config", "/etc/b", "b")],
                 checksums={"checksum/app-config": "1"}),
        PodInput(env=[env_from_secret_key("TOKEN", "api", "TOKEN")], checksums={"checksum/api": "2"},
                 secret_names=["api"]),
        PodInput(volumes=[secret_volume("tls", "tls")], volume_mounts=[read_only_mount("tls", "/tls")],
                 checksums={"checksum/tls": "3"}, secret_names=["tls", "api"]),
    ], "WorkloadArgs.inputs")
    assert merged.volumes == [shared, secret_volume("tls", "tls")]
    assert [m["mountPath"] for m in merged.volume_mounts] == ["/etc/a", "/etc/b", "/tls"]
    assert merged.checksums == {"checksum/app-config": "1", "checksum/api": "2", "checksum/tls": "3"}
    assert merged.secret_names == ["api", "tls"]
    assert merged.service_account_name is None


def test_merging_refuses_two_service_accounts_and_two_volumes_of_one_name() -> None:
    with pytest.raises(SettingsError) as caught:
        merge_pod_inputs([PodInput(service_account_name="a"), PodInput(service_account_name="b")], "inputs")
    assert str(caught.value) == ("inputs[].service_account_name '2 ServiceAccounts' are given: a pod runs as one, so "
                                 "give one identity's input per workload")
    with pytest.raises(SettingsError) as caught:
        merge_pod_inputs([PodInput(volumes=[secret_volume("v", "a")]), PodInput(volumes=[secret_volume("v", "b")])],
                         "inputs")
    assert str(caught.value) == ("inputs[1].volumes 'v' names another volume of the pod with a different source: "
                                 "give it another name")
