"""Rules on pods, ServiceAccounts, ConfigMaps and namespaces (components/policy_rules/pods.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.conventions import (
    AUTOMOUNT_REASON_ANNOTATION,
    CONFIG_MAP,
    HELM_RELEASE,
    KMS_KEY,
    KUBERNETES_PROVIDER,
    NAMESPACE,
    SECRETS_AS_ENV_REASON_ANNOTATION,
    SERVICE_ACCOUNT,
)
from components.pod_spec import restricted_security_context
from components.policy_rules import UNKNOWN, ResourceView, evaluate, pods
from tests.policy_rules.helpers import PROVIDER, deployment, pod_spec, view

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


def test_restricted_pod_passes_the_privilege_rule() -> None:
    spec = pod_spec(containers=[{"name": "app", "securityContext": restricted_security_context()}])
    assert pods.no_privileged_pods(deployment(spec)) == []


@pytest.mark.parametrize(("extra", "message"), [
    ({"hostPID": True}, "pod spec sets hostPID: true, which shares the node's namespace with the pod: remove it"),
    ({"hostIPC": True}, "pod spec sets hostIPC: true, which shares the node's namespace with the pod: remove it"),
    ({"hostNetwork": True},
     "pod spec sets hostNetwork: true, which shares the node's namespace with the pod: remove it"),
])
def test_host_namespaces_fail(extra: dict[str, Any], message: str) -> None:
    spec = pod_spec(containers=[{"name": "app", "securityContext": restricted_security_context()}], **extra)
    assert pods.no_privileged_pods(deployment(spec)) == [message]


def test_privileged_or_escalating_containers_fail() -> None:
    spec = pod_spec(containers=[
        {"name": "root", "securityContext": {"privileged": True, "allowPrivilegeEscalation": False}},
        {"name": "setuid", "securityContext": {"allowPrivilegeEscalation": True}},
        {"name": "unset"},
    ])
    assert pods.no_privileged_pods(deployment(spec)) == [
        "container 'root' runs privileged: set securityContext.privileged: false",
        "container 'setuid' may escalate privileges: set securityContext.allowPrivilegeEscalation: false",
        "container 'unset' may escalate privileges: set securityContext.allowPrivilegeEscalation: false",
    ]


def test_a_patch_without_security_context_is_not_an_escalation() -> None:
    patch = view("kubernetes:apps/v1:DeploymentPatch", {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "app:2"}]}}}}, name="hotfix")
    assert [v for v in evaluate([patch]) if v.rule == "no-privileged-pods"] == []


ENV_FROM_SECRET = [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "app-secrets", "key": "token"}}}]


def test_secrets_read_through_env_vars_are_an_advisory() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_SECRET,
                                 "envFrom": [{"secretRef": {"name": "db"}}, {"configMapRef": {"name": "cfg"}}]}])
    assert pods.secrets_as_files(deployment(spec)) == [
        "container 'app' reads Secrets through env TOKEN, envFrom Secret db: mount them as files, or annotate the "
        f"pod template with {SECRETS_AS_ENV_REASON_ANNOTATION}: <why>"]


def test_secrets_as_env_vars_with_a_reason_pass() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_SECRET}])
    reason = {SECRETS_AS_ENV_REASON_ANNOTATION: "the vendor image reads only DATABASE_URL"}
    assert pods.secrets_as_files(deployment(spec, reason)) == []
    assert len(pods.secrets_as_files(deployment(spec, {SECRETS_AS_ENV_REASON_ANNOTATION: " "}))) == 1


def test_secrets_mounted_as_files_pass() -> None:
    spec = pod_spec(volumes=[CSI_VOLUME], containers=[
        {"name": "app", "env": ENV_FROM_CONFIG,
         "volumeMounts": [{"name": "secrets", "mountPath": "/mnt/secrets", "readOnly": True}]}])
    assert pods.secrets_as_files(deployment(spec)) == []


@pytest.mark.parametrize(("account", "flagged"), [(None, True), ("default", True), ("", True), ("web", False),
                                                   (UNKNOWN, False)])
def test_pods_under_the_default_service_account_are_an_advisory(account: str | None, flagged: bool) -> None:
    spec = pod_spec() if account is None else pod_spec(serviceAccountName=account)
    assert bool(pods.no_default_service_account(deployment(spec))) is flagged


def test_objects_in_the_default_namespace_are_an_advisory() -> None:
    placed = view(CONFIG_MAP, {"metadata": {"name": "a", "namespace": "team"}}, name="placed")
    unplaced = view(CONFIG_MAP, {"metadata": {"name": "b"}}, name="unplaced")
    explicit = view(SERVICE_ACCOUNT, {"metadata": {"name": "c", "namespace": "default"}}, name="explicit")
    chart = view(HELM_RELEASE, {"chart": "reloader"}, name="reloader")
    cluster_scoped = view(NAMESPACE, {"metadata": {"name": "team"}}, name="team")
    found = pods.no_default_namespace([placed, unplaced, explicit, chart, cluster_scoped])
    assert [urn for urn, _ in found] == [unplaced.urn, explicit.urn, chart.urn]
    assert found[0][1] == "ConfigMap 'unplaced' goes to the 'default' namespace: set its namespace to the environment's"


def test_the_providers_namespace_places_objects_without_one() -> None:
    """pulumi-kubernetes puts an object without metadata.namespace into its provider's ``namespace``."""
    provider = ResourceView(urn=PROVIDER, type=KUBERNETES_PROVIDER, name="cluster-k8s",
                            props={"kubeconfig": "{}", "namespace": "team"})
    unplaced = view(CONFIG_MAP, {"metadata": {"name": "b"}}, name="unplaced")
    assert pods.no_default_namespace([provider, unplaced]) == []
