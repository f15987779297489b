"""Rules on pods, ServiceAccounts, ConfigMaps and namespaces (components/policy_rules/pods.py)."""

from __future__ import annotations

import pytest

from components.conventions import AUTOMOUNT_REASON_ANNOTATION, CONFIG_MAP, KMS_KEY, NAMESPACE, SERVICE_ACCOUNT
from components.policy_rules import (
    UNKNOWN,
    pods,
)
from tests.policy_rules.helpers import deployment, pod_spec, view

CSI_VOLUME = {"name": "secrets", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                                         "volumeAttributes": {"secretProviderClass": "app"}}}


def test_read_only_secret_and_csi_mounts_pass() -> None:
    spec = pod_spec(
        volumes=[CSI_VOLUME, {"name": "tls", "secret": {"secretName": "tls"}}],
        containers=[{"name": "app", "volumeMounts": [{"name": "secrets", "mountPath": "/s", "readOnly": True},
                                                     {"name": "tls", "mountPath": "/tls", "readOnly": True}]}],
    )
    assert pods.secret_volumes_read_only(deployment(spec)) == []


def test_writable_secret_mount_fails() -> None:
    spec = pod_spec(
        volumes=[{"name": "tls", "secret": {"secretName": "tls"}}],
        initContainers=[{"name": "init", "volumeMounts": [{"name": "tls", "mountPath": "/tls"}]}],
    )
    assert pods.secret_volumes_read_only(deployment(spec)) == [
        "container 'init' mounts secret volume 'tls' at '/tls' writable: set readOnly: true on the volumeMount"
    ]


def test_writable_csi_volume_fails() -> None:
    volume = {"name": "secrets", "csi": {"driver": "secrets-store.csi.k8s.io"}}
    cron = view("kubernetes:batch/v1:CronJob", {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec(
        volumes=[volume], containers=[{"name": "job", "volumeMounts": [{"name": "secrets", "mountPath": "/s",
                                                                          "readOnly": True}]}])}}}}})
    assert pods.secret_volumes_read_only(cron) == ["CSI volume 'secrets' is not read-only: set csi.readOnly: true"]


def test_service_account_without_token_passes() -> None:
    sa = view(SERVICE_ACCOUNT, {"automountServiceAccountToken": False})
    assert pods.no_automounted_token(sa) == []


def test_service_account_left_to_default_fails() -> None:
    assert pods.no_automounted_token(view(SERVICE_ACCOUNT, {"metadata": {"name": "app"}})) == [
        "ServiceAccount may mount the Kubernetes API token: set automountServiceAccountToken: false (or annotate "
        "eks-config-secrets.io/automount-token-reason with why the workload calls the API)"
    ]


def test_pod_template_mounting_the_token_fails() -> None:
    assert pods.no_automounted_token(deployment(pod_spec(automountServiceAccountToken=True))) == [
        "pod template mounts the Kubernetes API token: set automountServiceAccountToken: false (or annotate "
        "eks-config-secrets.io/automount-token-reason with why the workload calls the API)"
    ]


def test_pod_template_mounting_the_token_with_a_reason_passes() -> None:
    reason = {AUTOMOUNT_REASON_ANNOTATION: "reads its Secrets by name through the API"}
    assert pods.no_automounted_token(deployment(pod_spec(automountServiceAccountToken=True), reason)) == []


def test_config_map_of_settings_passes() -> None:
    config_map = view(CONFIG_MAP, {"data": {"DATABASE_HOST": "db", "LOG_LEVEL": "info", "nginx.conf": "x"}})
    assert pods.config_map_credentials(config_map) == []


def test_config_map_with_credential_keys_fails() -> None:
    config_map = view(CONFIG_MAP, {"data": {"DB_PASSWORD": "x", "apiKey": "y", "HOST": "h"},
                                         "binaryData": {"tls.private_key": "eA=="}})
    assert pods.config_map_credentials(config_map) == [
        "ConfigMap keys ['DB_PASSWORD', 'apiKey', 'tls.private_key'] look like credentials: move them to Secrets "
        "Manager (or a Secret) and keep ConfigMaps for non-sensitive settings"
    ]


ENV_FROM_CONFIG = [{"name": "HOST", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "HOST"}}}]


def test_deployment_with_checksum_annotation_passes() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_CONFIG}])
    assert pods.deployment_checksum_annotations(deployment(spec, {"checksum/app": "abc"})) == []


def test_deployment_consuming_nothing_needs_no_checksum() -> None:
    assert pods.deployment_checksum_annotations(deployment(pod_spec())) == []


def test_deployment_with_secret_annotations_is_skipped() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_CONFIG}])
    assert pods.deployment_checksum_annotations(deployment(spec, UNKNOWN)) == []


def test_deployment_without_checksum_annotation_fails() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_CONFIG}])
    assert pods.deployment_checksum_annotations(deployment(spec)) == [
        "Deployment consumes ConfigMaps or Secrets but its pod template has no checksum/ annotation: add "
        "checksum/<name> annotations so that a changed value rolls the pods (env vars and subPath mounts never see "
        "updates)"
    ]


@pytest.mark.parametrize(("stack", "protect", "flagged"), [("prod", False, True), ("dev", True, True),
                                                           ("dev", False, False)])
def test_privileged_pod_security_in_a_protected_stack(stack: str, protect: bool, flagged: bool) -> None:
    namespace = view(NAMESPACE, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
                     stack=stack)
    key = view(KMS_KEY, {"enableKeyRotation": True}, stack=stack, protect=protect)
    assert bool(pods.privileged_namespace_in_protected_stack([namespace, key])) is flagged
