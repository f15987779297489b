"""Each policy rule with a resource that passes and one that fails, and the pulumi-policy adapters of policy/pack.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components import policy_rules as rules
from components.iam_policies import irsa_trust_policy, pod_identity_trust_policy, secrets_read_policy
from components.plan.cli import evaluate_stack
from components.plan.policies import check_policies
from components.policy_rules import UNKNOWN, ResourceView, Violation, evaluate
from policy.pack import plain, policies, view_of_args, view_of_resource
from tests.conftest import ROOT, STACKS

PROVIDER = "urn:pulumi:dev::eks-config-secrets::pulumi:providers:kubernetes::cluster-k8s"
DEFAULT_PROVIDER = "urn:pulumi:dev::eks-config-secrets::pulumi:providers:kubernetes::default_4_34_2"
OIDC_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{OIDC_HOST}"


def urn(type_: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::eks-config-secrets::{type_}::{name}"


def view(type_: str, props: dict[str, Any], name: str = "r", stack: str = "dev", **kw: Any) -> ResourceView:
    kw.setdefault("provider", PROVIDER if type_.startswith("kubernetes:") else None)
    return ResourceView(urn=urn(type_, name, stack), type=type_, name=name, props=props, stack=stack, **kw)


def role(trust: dict[str, Any] | str) -> ResourceView:
    return view(rules.IAM_ROLE, {"assumeRolePolicy": trust if isinstance(trust, str) else json.dumps(trust)})


def policy(statement: dict[str, Any], type_: str = rules.IAM_ROLE_POLICY) -> ResourceView:
    return view(type_, {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})


def deployment(pod_spec: dict[str, Any], annotations: dict[str, str] | str | None = None) -> ResourceView:
    metadata: dict[str, Any] = {"labels": {"app": "a"}}
    if annotations is not None:
        metadata["annotations"] = annotations
    return view(rules.DEPLOYMENT, {"spec": {"template": {"metadata": metadata, "spec": pod_spec}}})


def pod_spec(**extra: Any) -> dict[str, Any]:
    return {"automountServiceAccountToken": False, "containers": [{"name": "app", "image": "app:1"}], **extra}


def release(chart: str, values: dict[str, Any], name: str = "driver") -> ResourceView:
    return view(rules.HELM_RELEASE, {"chart": chart, "values": values}, name=name)


def driver_values(**overrides: Any) -> dict[str, Any]:
    return {"syncSecret": {"enabled": True}, "enableSecretRotation": True, "rotationPollInterval": "2m", **overrides}


# --- KMS and EKS ---------------------------------------------------------------------------------------------------

def test_kms_key_with_rotation_passes() -> None:
    assert rules.kms_key_rotation(view(rules.KMS_KEY, {"enableKeyRotation": True})) == []


def test_kms_key_without_rotation_fails() -> None:
    assert rules.kms_key_rotation(view(rules.KMS_KEY, {"enableKeyRotation": False})) == [
        "KMS key does not rotate: set enableKeyRotation: true (enable_key_rotation=True)"
    ]


def test_eks_component_with_key_passes() -> None:
    props = {"encryptionConfigKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/k"}
    assert rules.eks_secrets_encryption(view(rules.EKS_COMPONENT, props)) == []


def test_eks_component_without_key_fails() -> None:
    assert rules.eks_secrets_encryption(view(rules.EKS_COMPONENT, {})) == [
        "EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfigKeyArn (encryption_config_key_arn) "
        "to a customer-managed key"
    ]


def test_eks_cluster_encrypting_secrets_passes() -> None:
    config = {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:eu-west-1:123456789012:key/k"}}
    assert rules.eks_secrets_encryption(view(rules.EKS_CLUSTER, {"encryptionConfig": config})) == []


def test_eks_cluster_without_secrets_resource_fails() -> None:
    config = {"resources": [], "provider": {"keyArn": "arn:aws:kms:eu-west-1:123456789012:key/k"}}
    assert rules.eks_secrets_encryption(view(rules.EKS_CLUSTER, {"encryptionConfig": config})) == [
        "EKS cluster does not encrypt Secrets with a KMS key: set encryptionConfig {resources: [secrets], "
        "provider: {keyArn: <KMS key ARN>}}"
    ]


def test_eks_cluster_key_unknown_during_preview_is_skipped() -> None:
    config = {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN}}
    assert rules.eks_secrets_encryption(view(rules.EKS_CLUSTER, {"encryptionConfig": config})) == []


@pytest.mark.parametrize("type_", [rules.EKS_COMPONENT, rules.EKS_CLUSTER])
def test_eks_audit_logging_passes(type_: str) -> None:
    assert rules.eks_audit_logging(view(type_, {"enabledClusterLogTypes": ["api", "audit", "authenticator"]})) == []


@pytest.mark.parametrize("type_", [rules.EKS_COMPONENT, rules.EKS_CLUSTER])
def test_eks_without_audit_logging_fails(type_: str) -> None:
    assert rules.eks_audit_logging(view(type_, {"enabledClusterLogTypes": ["api"]})) == [
        "EKS control-plane logging does not include 'audit': add it to enabledClusterLogTypes "
        "(with api and authenticator)"
    ]


@pytest.mark.parametrize("type_", [rules.KMS_KEY, rules.EKS_COMPONENT])
def test_prod_protected_key_and_cluster_pass(type_: str) -> None:
    assert rules.prod_protects_key_and_cluster(view(type_, {}, stack="prod", protect=True)) == []


@pytest.mark.parametrize("type_", [rules.EKS_COMPONENT, rules.EKS_CLUSTER])
def test_prod_cluster_kept_by_eks_deletion_protection_passes(type_: str) -> None:
    assert rules.prod_protects_key_and_cluster(view(type_, {"deletionProtection": True}, stack="prod")) == []


def test_prod_key_is_not_kept_by_a_deletion_protection_input() -> None:
    assert len(rules.prod_protects_key_and_cluster(view(rules.KMS_KEY, {"deletionProtection": True},
                                                        stack="prod"))) == 1


def test_prod_unprotected_key_fails() -> None:
    assert rules.prod_protects_key_and_cluster(view(rules.KMS_KEY, {}, stack="prod")) == [
        "KMS key in stack prod is not protected: set protect (cluster.protect) so that no destroy or replacement "
        "loses the key or every Secret it encrypts"
    ]


def test_prod_rule_reads_the_stack_from_the_urn_when_not_given() -> None:
    resource = ResourceView(urn=urn(rules.EKS_CLUSTER, "c", "prod"), type=rules.EKS_CLUSTER, name="c", props={})
    assert len(rules.prod_protects_key_and_cluster(resource)) == 1


def test_unprotected_key_outside_prod_passes() -> None:
    assert rules.prod_protects_key_and_cluster(view(rules.KMS_KEY, {}, stack="dev")) == []


# --- IAM -----------------------------------------------------------------------------------------------------------

def test_irsa_trust_from_builder_passes() -> None:
    assert rules.irsa_trust_pinned(role(irsa_trust_policy(OIDC_ARN, OIDC_HOST, "prod", "app"))) == []


def test_irsa_trust_without_conditions_fails() -> None:
    statement = {"Effect": "Allow", "Principal": {"Federated": OIDC_ARN}, "Action": "sts:AssumeRoleWithWebIdentity"}
    assert rules.irsa_trust_pinned(role({"Version": "2012-10-17", "Statement": [statement]})) == [
        f"statement 0 trusts OIDC provider {OIDC_HOST} without pinning the ServiceAccount: add Condition "
        f"StringEquals {{'{OIDC_HOST}:sub': 'system:serviceaccount:<namespace>:<name>'}}",
        f"statement 0 trusts OIDC provider {OIDC_HOST} without pinning the audience: add Condition StringEquals "
        f"{{'{OIDC_HOST}:aud': 'sts.amazonaws.com'}}",
    ]


def test_irsa_trust_with_wildcard_subject_fails() -> None:
    trust = irsa_trust_policy(OIDC_ARN, OIDC_HOST, "prod", "app-*", allow_wildcard=True)
    assert rules.irsa_trust_pinned(role(trust)) == [
        f"statement 0 trusts OIDC provider {OIDC_HOST} without pinning the ServiceAccount: add Condition "
        f"StringEquals {{'{OIDC_HOST}:sub': 'system:serviceaccount:<namespace>:<name>'}} instead of StringLike"
    ]


def test_irsa_trust_naming_another_issuer_fails() -> None:
    trust = irsa_trust_policy(OIDC_ARN, OIDC_HOST, "prod", "app")
    other = "oidc-eks.eu-west-1.api.aws/id/ABC123"
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    trust["Statement"][0]["Condition"]["StringEquals"] = {k.replace(OIDC_HOST, other): v for k, v in condition.items()}
    messages = rules.irsa_trust_pinned(role(trust))
    assert messages[0] == (
        f"statement 0 trusts OIDC provider {OIDC_HOST} but its condition keys name another issuer "
        f"({other}:aud, {other}:sub): take the issuer from the same cluster output as the provider ARN"
    )
    assert len(messages) == 3


def test_unknown_trust_policy_is_skipped() -> None:
    assert rules.irsa_trust_pinned(role(UNKNOWN)) == []


def pod_trust() -> dict[str, Any]:
    return pod_identity_trust_policy(cluster_arn="arn:aws:eks:eu-west-1:123456789012:cluster/c", namespace="dev",
                                     service_account="app")


def test_pod_identity_trust_from_builder_passes() -> None:
    assert rules.pod_identity_trust_only_eks_pods(role(pod_trust())) == []


@pytest.mark.parametrize("tag", ["eks-cluster-arn", "kubernetes-namespace", "kubernetes-service-account"])
def test_pod_identity_trust_without_a_session_tag_pin_fails(tag: str) -> None:
    trust = pod_trust()
    del trust["Statement"][0]["Condition"]["StringEquals"][f"aws:RequestTag/{tag}"]
    assert rules.pod_identity_trust_only_eks_pods(role(trust)) == [
        f"Pod Identity role statement 0 does not pin the session tag {tag}: add Condition StringEquals "
        f"{{'aws:RequestTag/{tag}': ...}} so that only this cluster's ServiceAccount can use the role"
    ]


def test_pod_identity_trust_without_tag_session_fails() -> None:
    trust = pod_trust()
    trust["Statement"][0]["Action"] = "sts:AssumeRole"
    assert rules.pod_identity_trust_only_eks_pods(role(trust)) == [
        "Pod Identity role statement 0 allows ['sts:AssumeRole']: allow exactly ['sts:AssumeRole', 'sts:TagSession'] "
        "(EKS Pod Identity tags the session)"
    ]


def test_pod_identity_trust_of_a_second_principal_fails() -> None:
    trust = pod_trust()
    trust["Statement"][0]["Principal"] = {"Service": ["pods.eks.amazonaws.com", "ec2.amazonaws.com"]}
    assert rules.pod_identity_trust_only_eks_pods(role(trust)) == [
        "Pod Identity role statement 0 trusts another principal: trust only {'Service': 'pods.eks.amazonaws.com'}"
    ]


def test_workload_policy_from_builder_passes() -> None:
    document = secrets_read_policy(
        ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app-??????"],
        kms_key_arns=["arn:aws:kms:eu-west-1:123456789012:key/k"], region="eu-west-1",
    )
    assert rules.no_wildcard_secret_access(view(rules.IAM_ROLE_POLICY, {"policy": json.dumps(document)})) == []


def test_workload_policy_granting_all_secretsmanager_actions_fails() -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:*",
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a"}
    assert rules.no_wildcard_secret_access(policy(statement)) == [
        "policy statement 0 grants ['secretsmanager:*'], which match write, delete or list actions: name the "
        "actions, e.g. secretsmanager:GetSecretValue and secretsmanager:DescribeSecret"
    ]


def test_managed_policy_reading_every_secret_fails() -> None:
    statement = {"Sid": "Read", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "*"}
    assert rules.no_wildcard_secret_access(policy(statement, rules.IAM_POLICY)) == [
        "policy statement 'Read' grants secretsmanager/ssm/kms actions on '*', which matches secrets, parameters or "
        "keys of any name: name each secret, parameter or key ARN (a secret's name may end in -??????)"
    ]


def test_workload_policy_on_every_key_of_the_account_fails() -> None:
    statement = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:123456789012:key/*"}
    assert rules.no_wildcard_secret_access(policy(statement)) == [
        "policy statement 0 grants secretsmanager/ssm/kms actions on 'arn:aws:kms:eu-west-1:123456789012:key/*', "
        "which matches secrets, parameters or keys of any name: name each secret, parameter or key ARN (a secret's "
        "name may end in -??????)"
    ]


def test_role_inline_policy_with_star_action_fails() -> None:
    document = json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
    resource = view(rules.IAM_ROLE, {"inlinePolicies": [{"name": "admin", "policy": document}]})
    assert rules.no_wildcard_secret_access(resource) == [
        "inline policy 'admin' statement 0 grants ['*'], which match write, delete or list actions: name the "
        "actions, e.g. secretsmanager:GetSecretValue and secretsmanager:DescribeSecret",
        "inline policy 'admin' statement 0 grants secretsmanager/ssm/kms actions on '*', which matches secrets, "
        "parameters or keys of any name: name each secret, parameter or key ARN (a secret's name may end in "
        "-??????)",
    ]


def test_workload_policy_with_not_action_fails() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert rules.no_wildcard_secret_access(policy(statement)) == [
        "policy statement 0 allows by exclusion (NotAction/NotResource): list the actions and resources it grants"
    ]


def test_wildcard_on_other_services_passes() -> None:
    statement = {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}
    assert rules.no_wildcard_secret_access(policy(statement)) == []


# --- pods and ServiceAccounts --------------------------------------------------------------------------------------

CSI_VOLUME = {"name": "secrets", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                                         "volumeAttributes": {"secretProviderClass": "app"}}}


def test_read_only_secret_and_csi_mounts_pass() -> None:
    spec = pod_spec(
        volumes=[CSI_VOLUME, {"name": "tls", "secret": {"secretName": "tls"}}],
        containers=[{"name": "app", "volumeMounts": [{"name": "secrets", "mountPath": "/s", "readOnly": True},
                                                     {"name": "tls", "mountPath": "/tls", "readOnly": True}]}],
    )
    assert rules.secret_volumes_read_only(deployment(spec)) == []


def test_writable_secret_mount_fails() -> None:
    spec = pod_spec(
        volumes=[{"name": "tls", "secret": {"secretName": "tls"}}],
        initContainers=[{"name": "init", "volumeMounts": [{"name": "tls", "mountPath": "/tls"}]}],
    )
    assert rules.secret_volumes_read_only(deployment(spec)) == [
        "container 'init' mounts secret volume 'tls' at '/tls' writable: set readOnly: true on the volumeMount"
    ]


def test_writable_csi_volume_fails() -> None:
    volume = {"name": "secrets", "csi": {"driver": "secrets-store.csi.k8s.io"}}
    cron = view("kubernetes:batch/v1:CronJob", {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec(
        volumes=[volume], containers=[{"name": "job", "volumeMounts": [{"name": "secrets", "mountPath": "/s",
                                                                          "readOnly": True}]}])}}}}})
    assert rules.secret_volumes_read_only(cron) == ["CSI volume 'secrets' is not read-only: set csi.readOnly: true"]


def test_service_account_without_token_passes() -> None:
    sa = view(rules.SERVICE_ACCOUNT, {"automountServiceAccountToken": False})
    assert rules.no_automounted_token(sa) == []


def test_service_account_left_to_default_fails() -> None:
    assert rules.no_automounted_token(view(rules.SERVICE_ACCOUNT, {"metadata": {"name": "app"}})) == [
        "ServiceAccount may mount the Kubernetes API token: set automountServiceAccountToken: false (or annotate "
        "eks-config-secrets.io/automount-token-reason with why the workload calls the API)"
    ]


def test_pod_template_mounting_the_token_fails() -> None:
    assert rules.no_automounted_token(deployment(pod_spec(automountServiceAccountToken=True))) == [
        "pod template mounts the Kubernetes API token: set automountServiceAccountToken: false (or annotate "
        "eks-config-secrets.io/automount-token-reason with why the workload calls the API)"
    ]


def test_pod_template_mounting_the_token_with_a_reason_passes() -> None:
    reason = {rules.AUTOMOUNT_REASON_ANNOTATION: "reads its Secrets by name through the API"}
    assert rules.no_automounted_token(deployment(pod_spec(automountServiceAccountToken=True), reason)) == []


# --- Helm releases and CRD objects ---------------------------------------------------------------------------------

def test_csi_driver_with_rotation_passes() -> None:
    assert rules.csi_driver_rotation(release("secrets-store-csi-driver", driver_values())) == []


def test_csi_driver_without_rotation_fails() -> None:
    values = driver_values(enableSecretRotation=False)
    assert rules.csi_driver_rotation(release("sigs/secrets-store-csi-driver", values)) == [
        "Secrets Store CSI driver does not rotate mounted secrets (chart default: off): set values "
        "enableSecretRotation: true and a rotationPollInterval"
    ]


def test_aws_provider_chart_bundling_the_driver_without_rotation_fails() -> None:
    resource = release("secrets-store-csi-driver-provider-aws", {"secrets-store-csi-driver": {"install": True}})
    assert rules.csi_driver_rotation(resource) == [
        "Secrets Store CSI driver does not rotate mounted secrets (chart default: off): set values "
        "secrets-store-csi-driver.enableSecretRotation: true and a rotationPollInterval"
    ]


def test_aws_provider_chart_without_the_driver_passes() -> None:
    resource = release("secrets-store-csi-driver-provider-aws", {"secrets-store-csi-driver": {"install": False}})
    assert rules.csi_driver_rotation(resource) == []


SPC = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def test_crd_objects_depending_on_their_releases_pass() -> None:
    driver = release("secrets-store-csi-driver", driver_values())
    provider = release("secrets-store-csi-driver-provider-aws", {"secrets-store-csi-driver": {"install": False}},
                       name="provider")
    provider = ResourceView(**{**provider.__dict__, "dependencies": (driver.urn,)})
    eso = release("external-secrets", {"installCRDs": True}, name="eso")
    spc = view(SPC, {"spec": {}}, name="spc", dependencies=(provider.urn,))
    external = view(EXTERNAL_SECRET, {"spec": {}}, name="es", dependencies=(eso.urn,))
    assert rules.crd_objects_depend_on_release([driver, provider, eso, spc, external]) == []


def test_crd_objects_without_their_release_fail() -> None:
    eso = release("external-secrets", {"installCRDs": True}, name="eso")
    spc = view(SPC, {"spec": {}}, name="spc", dependencies=(eso.urn,))
    external = view(EXTERNAL_SECRET, {"spec": {}}, name="es")
    assert rules.crd_objects_depend_on_release([eso, spc, external]) == [
        (spc.urn, "SecretProviderClass does not depend on the secrets-store-csi-driver release that installs its "
                  "CRD: add it to depends_on"),
        (external.urn, "ExternalSecret does not depend on the external-secrets release that installs its CRD: add it "
                       "to depends_on"),
    ]


def test_spc_depending_on_the_eks_addon_passes() -> None:
    addon = view(rules.EKS_ADDON, {"addonName": "aws-secrets-store-csi-driver-provider"}, name="addon")
    spc = view(SPC, {"spec": {}}, name="spc", dependencies=(addon.urn,))
    assert rules.crd_objects_depend_on_release([addon, spc]) == []


def test_synced_secrets_with_sync_enabled_pass() -> None:
    driver = release("secrets-store-csi-driver", driver_values())
    spc = view(SPC, {"spec": {"secretObjects": [{"secretName": "s"}]}}, name="spc", dependencies=(driver.urn,))
    assert rules.synced_secrets_need_sync([driver, spc]) == []


def test_synced_secrets_with_sync_disabled_fail() -> None:
    driver = release("secrets-store-csi-driver", driver_values(syncSecret={"enabled": False}))
    spc = view(SPC, {"spec": {"secretObjects": [{"secretName": "s"}]}}, name="spc", dependencies=(driver.urn,))
    assert rules.synced_secrets_need_sync([driver, spc]) == [
        (spc.urn, "SecretProviderClass syncs Kubernetes Secrets but release driver does not enable them (chart "
                  "default: off): set values syncSecret.enabled: true"),
    ]


def test_synced_secrets_from_the_eks_addon_fail() -> None:
    addon = view(rules.EKS_ADDON, {"addonName": "aws-secrets-store-csi-driver-provider"}, name="addon")
    spc = view(SPC, {"spec": {"secretObjects": [{"secretName": "s"}]}}, name="spc", dependencies=(addon.urn,))
    assert rules.synced_secrets_need_sync([addon, spc]) == [
        (spc.urn, "SecretProviderClass syncs Kubernetes Secrets but the driver comes from the EKS add-on, which never "
                  "enables syncSecret: install the Helm charts instead"),
    ]


def test_kubernetes_resources_with_the_cluster_provider_pass() -> None:
    resources = [view(rules.CONFIG_MAP, {}), view(rules.KUBERNETES_PROVIDER, {}, provider=None),
                 view(rules.KMS_KEY, {})]
    assert rules.kubernetes_explicit_provider(resources) == []


@pytest.mark.parametrize("provider", [None, DEFAULT_PROVIDER])
def test_kubernetes_resource_on_the_default_provider_fails(provider: str | None) -> None:
    config_map = view(rules.CONFIG_MAP, {}, provider=provider)
    assert rules.kubernetes_explicit_provider([config_map]) == [
        (config_map.urn, "Kubernetes resource uses the default provider (the ambient kubeconfig): pass the cluster's "
                         "provider, opts=ResourceOptions(providers={'kubernetes': provider})"),
    ]


# --- advisory rules ------------------------------------------------------------------------------------------------

def test_config_map_of_settings_passes() -> None:
    config_map = view(rules.CONFIG_MAP, {"data": {"DATABASE_HOST": "db", "LOG_LEVEL": "info", "nginx.conf": "x"}})
    assert rules.config_map_credentials(config_map) == []


def test_config_map_with_credential_keys_fails() -> None:
    config_map = view(rules.CONFIG_MAP, {"data": {"DB_PASSWORD": "x", "apiKey": "y", "HOST": "h"},
                                         "binaryData": {"tls.private_key": "eA=="}})
    assert rules.config_map_credentials(config_map) == [
        "ConfigMap keys ['DB_PASSWORD', 'apiKey', 'tls.private_key'] look like credentials: move them to Secrets "
        "Manager (or a Secret) and keep ConfigMaps for non-sensitive settings"
    ]


ENV_FROM_CONFIG = [{"name": "HOST", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "HOST"}}}]


def test_deployment_with_checksum_annotation_passes() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_CONFIG}])
    assert rules.deployment_checksum_annotations(deployment(spec, {"checksum/app": "abc"})) == []


def test_deployment_consuming_nothing_needs_no_checksum() -> None:
    assert rules.deployment_checksum_annotations(deployment(pod_spec())) == []


def test_deployment_with_secret_annotations_is_skipped() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_CONFIG}])
    assert rules.deployment_checksum_annotations(deployment(spec, UNKNOWN)) == []


def test_deployment_without_checksum_annotation_fails() -> None:
    spec = pod_spec(containers=[{"name": "app", "env": ENV_FROM_CONFIG}])
    assert rules.deployment_checksum_annotations(deployment(spec)) == [
        "Deployment consumes ConfigMaps or Secrets but its pod template has no checksum/ annotation: add "
        "checksum/<name> annotations so that a changed value rolls the pods (env vars and subPath mounts never see "
        "updates)"
    ]


def test_role_reading_named_secrets_passes() -> None:
    rule = {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a"], "verbs": ["get"]}
    assert rules.rbac_secrets_list_watch(view(rules.ROLE, {"rules": [rule]})) == []


def test_role_listing_secrets_fails() -> None:
    rule = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "watch", "list"]}
    assert rules.rbac_secrets_list_watch(view(rules.CLUSTER_ROLE, {"rules": [{"apiGroups": ["apps"]}, rule]})) == [
        "rule 1 grants ['list', 'watch'] on secrets, which returns the content of every Secret: grant get with "
        "resourceNames instead"
    ]


# --- the registry and evaluate --------------------------------------------------------------------------------------

def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in rules.RULES]
    assert len(names) == len(set(names))


def test_advisory_rules_are_the_legal_but_risky_ones() -> None:
    assert [r.name for r in rules.RULES if not r.mandatory] == [
        "configmap-credentials", "deployment-checksum-annotations", "rbac-secrets-list-watch",
        "secret-polling-interval", "eks-public-endpoint-open", "privileged-pod-security",
    ]


def test_evaluate_lists_mandatory_violations_first() -> None:
    key = view(rules.KMS_KEY, {"enableKeyRotation": False}, name="key")
    config_map = view(rules.CONFIG_MAP, {"data": {"token": "x"}}, name="cm", provider=None)
    violations = evaluate([config_map, key])
    assert [(v.rule, v.urn, v.mandatory) for v in violations] == [
        ("kms-key-rotation", key.urn, True),
        ("kubernetes-explicit-provider", config_map.urn, True),
        ("configmap-credentials", config_map.urn, False),
    ]


def test_violation_as_json() -> None:
    assert Violation("kms-key-rotation", "urn:x", "fix it", True).as_json() == {
        "rule": "kms-key-rotation", "urn": "urn:x", "message": "fix it", "enforcement": "mandatory"
    }


@pytest.mark.parametrize("stack", STACKS)
def test_project_stacks_have_no_violations(stack: str) -> None:
    _, plan = evaluate_stack(ROOT, stack)
    assert [v.as_json() for v in check_policies(plan)] == []


# --- the pulumi-policy adapters ------------------------------------------------------------------------------------

def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def provider_resource(provider_urn: str) -> PolicyProviderResource:
    return PolicyProviderResource(rules.KUBERNETES_PROVIDER, {}, provider_urn, provider_urn.rsplit("::", 1)[-1])


def test_plain_replaces_unknowns_and_keeps_known_values() -> None:
    proxied = unknown_checking_proxy({"a": UNKNOWN_STRING_VALUE, "b": [1, UNKNOWN_STRING_VALUE], "c": {"d": True}})
    assert plain(proxied) == {"a": UNKNOWN, "b": [1, UNKNOWN], "c": {"d": True}}


def test_view_of_args_maps_every_field() -> None:
    resource_urn = urn(rules.KMS_KEY, "key", "prod")
    args = ResourceValidationArgs(rules.KMS_KEY, unknown_checking_proxy({"enableKeyRotation": True}), resource_urn,
                                  "key", options(protect=True), None)
    assert view_of_args(args) == ResourceView(urn=resource_urn, type=rules.KMS_KEY, name="key",
                                              props={"enableKeyRotation": True}, provider=None, protect=True,
                                              stack="prod")


def collect() -> tuple[list[tuple[str, str | None]], Any]:
    reported: list[tuple[str, str | None]] = []

    def report_violation(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    return reported, report_violation


def by_name(name: str) -> Any:
    return next(p for p in policies() if p.name == name)


def test_resource_policy_reports_the_rule_messages() -> None:
    reported, report_violation = collect()
    args = ResourceValidationArgs(rules.KMS_KEY, unknown_checking_proxy({"enableKeyRotation": False}),
                                  urn(rules.KMS_KEY, "key"), "key", options(), None)
    by_name("kms-key-rotation").validate(args, report_violation)
    assert reported == [("KMS key does not rotate: set enableKeyRotation: true (enable_key_rotation=True)", None)]


def test_resource_policy_skips_a_trust_policy_unknown_during_preview() -> None:
    reported, report_violation = collect()
    args = ResourceValidationArgs(rules.IAM_ROLE, unknown_checking_proxy({"assumeRolePolicy": UNKNOWN_STRING_VALUE}),
                                  urn(rules.IAM_ROLE, "role"), "role", options(), None)
    by_name("irsa-trust-pinned").validate(args, report_violation)
    assert reported == []


def policy_resource(view_: ResourceView, dependencies: list[PolicyResource] | None = None) -> PolicyResource:
    provider = provider_resource(view_.provider) if view_.provider else None
    return PolicyResource(view_.type, unknown_checking_proxy(dict(view_.props)), view_.urn, view_.name, options(),
                          provider, None, dependencies or [], {})


def test_view_of_resource_keeps_dependencies_and_provider() -> None:
    driver = policy_resource(release("secrets-store-csi-driver", driver_values()))
    spc = policy_resource(view(SPC, {"spec": {}}, name="spc"), [driver])
    assert view_of_resource(spc) == ResourceView(urn=urn(SPC, "spc"), type=SPC, name="spc", props={"spec": {}},
                                                 provider=PROVIDER, dependencies=(driver.urn,), stack="dev")


def test_stack_policy_reports_each_violation_with_its_urn() -> None:
    reported, report_violation = collect()
    config_map = view(rules.CONFIG_MAP, {}, name="cm", provider=DEFAULT_PROVIDER)
    args = StackValidationArgs([policy_resource(config_map), policy_resource(view(rules.CONFIG_MAP, {}))])
    by_name("kubernetes-explicit-provider").validate(args, report_violation)
    assert reported == [("Kubernetes resource uses the default provider (the ambient kubeconfig): pass the cluster's "
                         "provider, opts=ResourceOptions(providers={'kubernetes': provider})", config_map.urn)]


def test_policies_wrap_every_rule_with_its_enforcement() -> None:
    wrapped = policies()
    assert [(p.name, p.description, p.enforcement_level) for p in wrapped] == [
        (r.name, r.description, EnforcementLevel.MANDATORY if r.mandatory else EnforcementLevel.ADVISORY)
        for r in rules.RULES
    ]
    assert [isinstance(p, StackValidationPolicy) for p in wrapped] == [
        isinstance(r, rules.StackRule) for r in rules.RULES
    ]
    assert all(isinstance(p, ResourceValidationPolicy | StackValidationPolicy) for p in wrapped)


def test_pack_runs_in_a_python_virtualenv_of_its_own() -> None:
    project = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}


def test_pack_installs_the_project_pins_with_pulumi_policy() -> None:
    lines = [line for line in (ROOT / "policy" / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines == ["-r ../requirements.txt"]
    assert "pulumi-policy==1.21.0" in (ROOT / "requirements.txt").read_text().splitlines()


# --- bypasses: every shape judged by what it does (issue 16) ------------------------------------------------------


def _run(program_source: str) -> list[Violation]:
    """Run a small program under the plan's engine and check it as the plan does."""
    from components.plan.engine import run_program

    namespace: dict[str, Any] = {}
    plan = run_program(lambda: exec(program_source, namespace), config={"aws:region": "eu-west-1"})
    return check_policies(plan)


def test_secret_wrapped_inputs_are_judged_and_never_printed() -> None:
    violations = _run('''
import json, pulumi, pulumi_aws as aws
aws.kms.Key("k", enable_key_rotation=pulumi.Output.secret(False))
doc = json.dumps({"Statement": [{"Sid": "TopSecretSid-4242", "Effect": "Allow", "Action": "secretsmanager:*",
                                 "Resource": "*"}]})
aws.iam.Policy("p", policy=pulumi.Output.secret(doc))
''')
    rules_hit = {v.rule for v in violations}
    assert {"kms-key-rotation", "no-wildcard-secret-access"} <= rules_hit
    messages = " ".join(v.message for v in violations)
    assert "TopSecretSid-4242" not in messages and "statement '(secret)'" in messages


def test_secret_texts_pairs_raw_values_with_redacted_ones() -> None:
    from components.plan.policies import secret_texts

    raw = {"a": {"b": "hunter22", "c": "plain"}, "d": ["x", {"e": 7}]}
    redacted = {"a": {"b": "[secret]", "c": "plain"}, "d": ["x", "[secret]"]}
    assert secret_texts(raw, redacted) == {"hunter22", "7"}


@pytest.mark.parametrize("action", ["secretsmanager:?*", "SecretsManager:*", "secretsmanager:*Secret*",
                                    "secrets*:Put*", "s*:*", "*:*", "?*", "kms:*Key*"])
def test_wildcard_actions_are_judged_by_what_they_match(action: str) -> None:
    statement = {"Effect": "Allow", "Action": action,
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-??????"}
    assert len(rules.no_wildcard_secret_access(policy(statement))) == 1


@pytest.mark.parametrize("action", ["kms:GenerateDataKey*", "secretsmanager:Get*", "kms:Decrypt", "s3:*"])
def test_narrow_wildcards_and_other_services_pass(action: str) -> None:
    statement = {"Effect": "Allow", "Action": action,
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????"}
    assert rules.no_wildcard_secret_access(policy(statement)) == []


@pytest.mark.parametrize(("resource", "reach"), [
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:*-??????", "of any name"),
    ("arn:aws:secretsmanager:*:*:*", "of any name"),
    ("arn:aws:*", "of any name"),
    ("arn:*:s*:*", "of any name"),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*", "sharing its prefix"),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-?", "sharing its prefix"),
    ("arn:aws:secretsmanager:*:123456789012:secret:db-??????", "sharing its prefix"),
    ("arn:aws:ssm:eu-west-1:123456789012:parameter/app/*", "sharing its prefix"),
])
def test_wildcard_resources_are_judged_by_what_they_match(resource: str, reach: str) -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}
    [message] = rules.no_wildcard_secret_access(policy(statement))
    assert reach in message


def test_secret_arn_with_only_the_random_suffix_is_exact() -> None:
    statement = {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                 "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-??????"}
    assert rules.no_wildcard_secret_access(policy(statement)) == []


@pytest.mark.parametrize("type_", [rules.IAM_USER_POLICY, rules.IAM_GROUP_POLICY])
def test_user_and_group_policies_are_judged(type_: str) -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    assert len(rules.no_wildcard_secret_access(policy(statement, type_))) == 1


@pytest.mark.parametrize("type_", ["aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                   "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                                   "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
                                   "aws:iam/policyAttachment:PolicyAttachment"])
def test_broad_managed_policy_attachments_fail(type_: str) -> None:
    attachment = view(type_, {"policyArn": "arn:aws:iam::aws:policy/SecretsManagerReadWrite"})
    assert rules.no_broad_managed_policy(attachment) == [
        "attaches AWS managed policy SecretsManagerReadWrite, which reaches every secret, parameter or key of the "
        "account: attach a policy that names them"]


def test_role_managed_policy_arns_are_judged_and_narrow_ones_pass() -> None:
    resource = view(rules.IAM_ROLE, {"managedPolicyArns": [
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::123456789012:policy/AdministratorAccess"]})
    assert len(rules.no_broad_managed_policy(resource)) == 1


@pytest.mark.parametrize(("type_", "field"), [(rules.IAM_ROLE, "assumeRolePolicy"), (rules.KMS_KEY, "policy"),
                                              (rules.KMS_KEY_POLICY, "policy"),
                                              (rules.SECRETSMANAGER_SECRET_POLICY, "policy")])
@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::123456789012:root", "*"]}])
def test_policies_open_to_any_principal_fail(type_: str, field: str, principal: Any) -> None:
    document = {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}]}
    [message] = rules.no_public_principal(view(type_, {field: json.dumps(document)}))
    assert message.startswith(f"{field} statement 0 allows Principal '*'")


def test_open_principal_confined_to_the_account_passes_with_any_key_case() -> None:
    document = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
                               "Condition": {"StringEquals": {"KMS:CallerAccount": "123456789012"}}}]}
    assert rules.no_public_principal(view(rules.KMS_KEY, {"policy": json.dumps(document)})) == []


def test_open_principal_with_a_wildcard_condition_value_still_fails() -> None:
    document = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                               "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}}}]}
    assert len(rules.no_public_principal(role(document))) == 1


def test_irsa_condition_keys_compare_case_insensitively() -> None:
    """AWS compares condition keys case-insensitively: an upper-case issuer host pins as well as a lower-case one."""
    trust = irsa_trust_policy(OIDC_ARN, OIDC_HOST, "dev", "app")
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    trust["Statement"][0]["Condition"]["StringEquals"] = {k.upper(): v for k, v in condition.items()}
    assert rules.irsa_trust_pinned(role(trust)) == []


def test_default_named_provider_with_a_kubeconfig_is_explicit() -> None:
    provider = view(rules.KUBERNETES_PROVIDER, {"kubeconfig": "apiVersion: v1"}, name="default-cluster")
    namespace = view(rules.NAMESPACE, {}, provider=provider.urn)
    assert rules.kubernetes_explicit_provider([provider, namespace]) == []


@pytest.mark.parametrize("props", [{}, {"kubeconfig": ""}, {"context": "prod"}])
def test_explicit_provider_without_kubeconfig_fails(props: dict[str, Any]) -> None:
    provider = view(rules.KUBERNETES_PROVIDER, props, name="cluster-k8s")
    namespace = view(rules.NAMESPACE, {}, provider=provider.urn)
    assert rules.kubernetes_explicit_provider([provider, namespace]) == [(namespace.urn, (
        "Kubernetes provider 'cluster-k8s' has no kubeconfig, so it uses the ambient one: set kubeconfig (the "
        "cluster's kubeconfig output)"))]


WRITABLE_SECRET_MOUNT = {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "web"},
                         "spec": {"template": {"spec": {
                             "automountServiceAccountToken": False,
                             "volumes": [{"name": "s", "secret": {"secretName": "x"}}],
                             "containers": [{"name": "c", "volumeMounts": [{"name": "s", "mountPath": "/s"}]}]}}}}


@pytest.mark.parametrize("inputs", [{"objs": [WRITABLE_SECRET_MOUNT]}, {"yaml": yaml.safe_dump(WRITABLE_SECRET_MOUNT)},
                                    {"yaml": [yaml.safe_dump({"kind": "List", "items": [WRITABLE_SECRET_MOUNT]})]}])
def test_objects_inside_a_config_group_are_judged(inputs: dict[str, Any]) -> None:
    group = view(rules.CONFIG_GROUP, inputs, name="extras")
    [violation] = [v for v in evaluate([group]) if v.rule == "secret-volumes-read-only"]
    assert violation.urn == group.urn
    assert violation.message.startswith("Deployment 'web' in ConfigGroup 'extras': container 'c' mounts secret")


def test_a_patch_is_judged_as_the_kind_it_changes_but_only_by_what_it_sets() -> None:
    patch = view("kubernetes:apps/v1:DeploymentPatch", {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "volumeMounts": [{"name": "s", "mountPath": "/s"}]}],
        "volumes": [{"name": "s", "secret": {"secretName": "x"}}]}}}}, name="hotfix")
    found = {v.rule: v.message for v in evaluate([patch])}
    assert found["secret-volumes-read-only"].startswith("patch 'hotfix': container 'c'")
    assert "no-automounted-token" not in found  # a patch that does not touch the field leaves it as it was


def test_custom_resource_in_an_unserved_version_fails_and_is_still_judged() -> None:
    external = view("kubernetes:external-secrets.io/v1beta1:ExternalSecret", {"spec": {}}, name="es")
    found = {v.rule: v.message for v in evaluate([external])}
    assert found["served-api-versions"] == (
        "ExternalSecret uses external-secrets.io/v1beta1, which the installed CRD does not serve: use "
        "external-secrets.io/v1")
    assert "crd-objects-depend-on-release" in found


def test_served_versions_match_the_vendored_crds() -> None:
    served: dict[str, set[str]] = {}
    for path in (ROOT / "reference").glob("*/*/*_*.yaml"):
        crd = yaml.safe_load(path.read_text())
        if crd.get("kind") == "CustomResourceDefinition":
            group = crd["spec"]["group"]
            served.setdefault(group, set()).update(v["name"] for v in crd["spec"]["versions"] if v["served"])
    assert {g: set(v) for g, v in rules.SERVED_CRD_VERSIONS.items()} == served


@pytest.mark.parametrize("chart", [
    "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts/secrets-store-csi-driver-1.6.0.tgz",
    "oci://registry.example.com/charts/secrets-store-csi-driver",
    "https://example.com/secrets-store-csi-driver-v1.6.0-rc.1.tgz?token=x",
])
def test_chart_given_by_url_is_recognised(chart: str) -> None:
    assert len(rules.csi_driver_rotation(release(chart, driver_values(enableSecretRotation=False)))) == 1


def test_helm_v4_chart_is_judged_like_a_release() -> None:
    chart = view(rules.HELM_CHART, {"chart": "secrets-store-csi-driver", "values": {"enableSecretRotation": False}})
    assert len(rules.csi_driver_rotation(chart)) == 1


@pytest.mark.parametrize(("rule", "flagged"), [
    ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}, True),
    ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}, True),
    ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["app-api"]}, False),
    ({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}, False),
])
def test_role_that_can_get_every_secret_is_flagged(rule: dict[str, Any], flagged: bool) -> None:
    messages = rules.rbac_secrets_list_watch(view(rules.ROLE, {"rules": [rule]}))
    assert bool(messages) is flagged


# --- legal but risky: advisories with their reasoning ----------------------------------------------------------


@pytest.mark.parametrize(("interval", "flagged"), [("10s", True), ("59s", True), ("1m", False), ("2m", False)])
def test_rotation_poll_of_seconds_is_an_advisory(interval: str, flagged: bool) -> None:
    messages = rules.secret_polling_interval(release("secrets-store-csi-driver",
                                                     driver_values(rotationPollInterval=interval)))
    assert bool(messages) is flagged


def test_external_secret_refresh_of_seconds_is_an_advisory() -> None:
    external = view("kubernetes:external-secrets.io/v1:ExternalSecret", {"spec": {"refreshInterval": "5s"}})
    assert len(rules.secret_polling_interval(external)) == 1


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_public_endpoint_open_to_everyone_is_an_advisory(cidr: str) -> None:
    cluster = view(rules.EKS_COMPONENT, {"publicAccessCidrs": ["203.0.113.0/24", cidr]})
    assert len(rules.eks_public_endpoint_open(cluster)) == 1
    assert rules.eks_public_endpoint_open(view(rules.EKS_COMPONENT, {"publicAccessCidrs": ["203.0.113.0/24"]})) == []


@pytest.mark.parametrize(("stack", "protect", "flagged"), [("prod", False, True), ("dev", True, True),
                                                           ("dev", False, False)])
def test_privileged_pod_security_in_a_protected_stack(stack: str, protect: bool, flagged: bool) -> None:
    namespace = view(rules.NAMESPACE, {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
                     stack=stack)
    key = view(rules.KMS_KEY, {"enableKeyRotation": True}, stack=stack, protect=protect)
    assert bool(rules.privileged_namespace_in_protected_stack([namespace, key])) is flagged


def test_values_from_value_yaml_files_are_judged(tmp_path: Any) -> None:
    """Helm merges valueYamlFiles under `values`: a setting hidden in a file is a setting all the same."""
    import pulumi

    file = tmp_path / "values.yaml"
    file.write_text("syncSecret: {enabled: true}\nenableSecretRotation: false\n")
    in_file = view(rules.HELM_RELEASE, {"chart": "secrets-store-csi-driver", "valueYamlFiles": [
        pulumi.FileAsset(str(file))], "values": {"rotationPollInterval": "2m"}})
    assert len(rules.csi_driver_rotation(in_file)) == 1
    in_text = view(rules.HELM_RELEASE, {"chart": "secrets-store-csi-driver", "valueYamlFiles": [
        pulumi.StringAsset("enableSecretRotation: false\n")], "values": {"enableSecretRotation": True}})
    assert rules.csi_driver_rotation(in_text) == []  # values override the files, as in Helm


@pytest.mark.parametrize(("kind", "role", "flagged"), [("ClusterRole", "edit", True), ("ClusterRole", "admin", True),
                                                       ("ClusterRole", "view", False), ("Role", "edit", False)])
def test_binding_to_a_built_in_role_that_reads_secrets_is_flagged(kind: str, role: str, flagged: bool) -> None:
    binding = view(rules.ROLE_BINDING, {"roleRef": {"kind": kind, "name": role,
                                                    "apiGroup": "rbac.authorization.k8s.io"}})
    assert bool(rules.rbac_secrets_list_watch(binding)) is flagged


TARGET = "arn:aws:iam::210987654321:role/prod-ledger-sync-reader"


def test_role_chaining_accepts_exactly_the_shapes_the_components_write() -> None:
    from components.iam_policies import assume_roles_policy, role_trust_policy
    assumer = view(rules.IAM_ROLE_POLICY, {"policy": json.dumps(assume_roles_policy([TARGET], tag_session=True))})
    trusted = role(role_trust_policy("arn:aws:iam::123456789012:role/app", tag_session=True, external_id="x"))
    assert rules.role_chaining_exact(assumer) == [] and rules.role_chaining_exact(trusted) == []


@pytest.mark.parametrize("resource", ["*", "arn:aws:iam::*:role/reader", "arn:aws:iam::210987654321:role/*",
                                      "arn:aws:iam::210987654321:root"])
def test_assuming_a_role_pattern_or_an_account_fails(resource: str) -> None:
    messages = rules.role_chaining_exact(policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}))
    assert messages == [f"policy statement 0 lets the role assume {[resource]}: name the exact role ARNs it chains to"]


def test_a_wildcard_sts_action_counts_as_assume_role() -> None:
    assert rules.role_chaining_exact(policy({"Effect": "Allow", "Action": "sts:Assume*", "Resource": "*"}))


@pytest.mark.parametrize("principal", ["*", "arn:aws:iam::210987654321:root", "210987654321",
                                       "arn:aws:iam::123456789012:role/*"])
def test_trusting_an_account_or_a_pattern_fails(principal: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}
    assert rules.role_chaining_exact(role(document)) == [
        f"trust policy statement 0 trusts {[principal]}: trust the exact role ARN that chains to this one (not an "
        "account root or a pattern)"]
