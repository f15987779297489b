"""components/app_secrets.py: one app's secrets end to end, the same pod-spec shape for either backend."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.app_secrets import AppSecrets, AppSecretsArgs
from components.plan.engine import Plan, run_program
from components.validation import SettingsError

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789"
SECRETS: Any = [
    {"secret": "dev/app/database", "keys": [{"property": "password", "file": "db-password", "env": "DB_PASSWORD"}]},
    {"secret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/api-AbCdEf",
     "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/0f6d3f4e-1111-2222-3333-444455556666",
     "keys": [{"file": "api-key"}]},
]


def app_plan(**overrides: Any) -> tuple[Plan, dict[str, Any]]:
    fragment: dict[str, Any] = {}

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers={"kubernetes": provider})
        release = k8s.helm.v3.Release("installer", chart=overrides.pop("chart", "secrets-store-csi-driver"),
                                      opts=pulumi.ResourceOptions(provider=provider))
        args: AppSecretsArgs = {
            "namespace": "dev", "app_name": "app", "secrets": SECRETS, "region": "eu-west-1",
            "account_id": "123456789012", "installed_by": [release],
            "oidc_provider_arn": f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}", "oidc_issuer": ISSUER,
        }
        if overrides.get("identity") == "pod-identity":
            args.pop("oidc_provider_arn")
            args.pop("oidc_issuer")
            args["pod_identity_agent"] = aws.eks.Addon("agent", cluster_name="c", addon_name="eks-pod-identity-agent")
        app = AppSecrets("dev-app", {**args, **overrides}, opts=opts)  # type: ignore[typeddict-item]
        fragment.update(volumes=app.volumes, volume_mounts=app.volume_mounts, env=app.env,
                        reload=app.reload_annotations)

    return run_program(program), fragment


def test_read_policy_names_exactly_the_apps_secrets() -> None:
    plan, _ = app_plan()
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    read = next(s for s in policy["Statement"] if "secretsmanager:GetSecretValue" in s["Action"])
    assert sorted(read["Resource"]) == [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/api-AbCdEf",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/database-??????",
    ]
    decrypt = next(s for s in policy["Statement"] if s["Action"] == ["kms:Decrypt"] or s["Action"] == "kms:Decrypt")
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}


def test_csi_backend_mounts_the_class_and_syncs_the_keys() -> None:
    plan, fragment = app_plan()
    spc = plan.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert spc.inputs["spec"]["secretObjects"] == [{"secretName": "app-secrets", "type": "Opaque", "data": [
        {"objectName": "db-password", "key": "db-password"}, {"objectName": "api-key", "key": "api-key"}]}]
    assert plan.one("kubernetes:helm.sh/v3:Release").urn in spc.dependencies
    assert fragment["volumes"][0]["csi"]["readOnly"] is True
    assert fragment["volume_mounts"] == [{"name": "secrets", "mountPath": "/mnt/secrets", "readOnly": True}]
    assert fragment["env"] == [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secrets",
                                                                                        "key": "db-password"}}}]
    assert fragment["reload"] == {"secret.reloader.stakater.com/reload": "app-secrets"}


def test_external_secrets_backend_keeps_the_same_fragment_shape() -> None:
    _, csi = app_plan()
    eso_plan, eso = app_plan(backend="external-secrets", chart="external-secrets")
    assert eso["env"] == csi["env"] and eso["volume_mounts"] == csi["volume_mounts"]
    assert eso["volumes"] == [{"name": "secrets", "secret": {"secretName": "app-secrets", "defaultMode": 0o400}}]
    store = eso_plan.one("kubernetes:external-secrets.io/v1:SecretStore")
    assert store.inputs["spec"]["provider"]["aws"]["auth"] == {"jwt": {"serviceAccountRef": {"name": "app"}}}
    external = eso_plan.one("kubernetes:external-secrets.io/v1:ExternalSecret")
    assert external.inputs["spec"]["data"][0] == {"secretKey": "db-password",
                                                  "remoteRef": {"key": "dev/app/database", "property": "password"}}
    assert eso_plan.one("kubernetes:helm.sh/v3:Release").urn in external.dependencies


def test_only_get_on_the_synced_secret() -> None:
    plan, _ = app_plan()
    role = plan.one("kubernetes:rbac.authorization.k8s.io/v1:Role")
    assert role.inputs["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["app-secrets"],
                                     "verbs": ["get"]}]
    binding = plan.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "app", "namespace": "dev"}]


def test_pod_identity_sets_use_pod_identity_and_an_association() -> None:
    plan, _ = app_plan(identity="pod-identity")
    spc = plan.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert spc.inputs["spec"]["parameters"]["usePodIdentity"] == "true"
    association = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == ("dev", "app")


def test_external_secrets_with_pod_identity_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(backend="external-secrets", identity="pod-identity", chart="external-secrets")
    assert str(caught.value) == (
        "AppSecretsArgs.identity 'pod-identity' cannot be used with backend 'external-secrets' (its per-app "
        "SecretStore authenticates through IRSA): use identity 'irsa' or backend 'csi'")


def test_env_vars_without_sync_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(sync_secret=False)
    assert str(caught.value) == (
        "AppSecretsArgs.sync_secret False is false but keys name env vars, which read the synced Secret: enable sync")


def test_duplicate_file_names_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        app_plan(secrets=[{"secret": "a", "keys": [{"file": "x"}]}, {"secret": "b", "keys": [{"file": "x"}]}])
    assert str(caught.value) == (
        "AppSecretsArgs.secrets[].keys[].file 'x' is given more than once; names must be unique")
