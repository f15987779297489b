"""examples/existing-cluster: the library imported into another program, evaluated under the same engine."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest
import yaml

from components.plan.engine import Plan, run_program
from components.plan.policies import check_policies

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "existing-cluster"


@pytest.fixture(scope="module")
def plan() -> Plan:
    config = yaml.safe_load((EXAMPLE / "Pulumi.example.yaml").read_text())["config"]
    config["existing-cluster:kubeconfig"] = json.dumps({"apiVersion": "v1", "kind": "Config"})
    return run_program(lambda: runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__"),
                       project="existing-cluster", stack="example", config=config,
                       secret_keys=["existing-cluster:kubeconfig"])


def test_every_kubernetes_resource_uses_the_programs_provider(plan: Plan) -> None:
    provider = plan.one("pulumi:providers:kubernetes", "cluster")
    assert provider.inputs["kubeconfig"] == "[secret]"
    kubernetes = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert kubernetes and {r.provider for r in kubernetes} == {provider.urn}


def test_provider_updates_config_maps_and_secrets_in_place_and_is_identified_by_the_issuer(plan: Plan) -> None:
    provider = plan.one("pulumi:providers:kubernetes", "cluster").inputs
    issuer = yaml.safe_load((EXAMPLE / "Pulumi.example.yaml").read_text())["config"][
        "existing-cluster:oidcProviderArn"].split(":oidc-provider/", 1)[1]
    assert (provider["enableConfigMapMutable"], provider["enableSecretMutable"], provider["clusterIdentifier"]) == (
        "true", "true", issuer)


def test_role_trusts_only_the_apps_service_account(plan: Plan) -> None:
    role = plan.one("aws:iam/role:Role", "payments-identity-role")
    statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{issuer}"}
    assert statement["Condition"] == {"StringEquals": {f"{issuer}:sub": "system:serviceaccount:payments:payments",
                                                       f"{issuer}:aud": "sts.amazonaws.com"}}


def test_read_policy_names_exactly_the_apps_secret(plan: Plan) -> None:
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    resources = [s["Resource"] for s in policy["Statement"]]
    assert resources == [["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/payments/stripe-??????"]]


def test_the_deployment_mounts_the_class_and_reads_the_synced_secret(plan: Plan) -> None:
    spec = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "payments"
    csi = next(v for v in spec["volumes"] if "csi" in v)["csi"]
    assert csi == {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                   "volumeAttributes": {"secretProviderClass": "payments-spc"}}
    assert spec["containers"][0]["env"] == [{"name": "STRIPE_API_KEY", "valueFrom": {
        "secretKeyRef": {"name": "payments-secrets", "key": "api-key"}}}]


def test_the_example_passes_the_mandatory_policies(plan: Plan) -> None:
    assert [v for v in check_policies(plan) if v.mandatory] == []
