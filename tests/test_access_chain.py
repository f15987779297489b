"""The access proof of the plan: every pod → secret edge of the reference stacks holds, and a broken link is named
(with its fix) where it breaks, through the plan's own resources."""

from __future__ import annotations

import copy
import dataclasses
import json
import runpy
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components.access.chain import Edge, prove_access, render_matrix
from components.access.plan_world import world_from_plan
from components.access.world import Role, SecretFacts, World
from components.conventions import KMS_KEYS_ANNOTATION
from components.plan import offline as offline_module
from components.plan.cli import EXIT_OK, EXIT_POLICY, evaluate_stack, load_stack_file, main
from components.plan.engine import Plan, run_program
from components.plan.policies import check_policies
from tests.conftest import ROOT, STACKS

FOREIGN_CLASS = ROOT / "tests" / "programs" / "foreign-class"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-0000-4000-8000-000000000001"


@cache
def plan_of(stack: str) -> Plan:
    return evaluate_stack(ROOT, stack)[1]


def world(stack: str) -> World:
    return world_from_plan(plan_of(stack))


def broken(edges: list[Edge]) -> set[tuple[str, str | None]]:
    return {(e.target, e.broken_link) for e in edges if not e.ok}


def app_role(w: World) -> Role:
    return next(r for arn, r in w.roles.items() if "-app-identity-role" in arn)


def with_role(w: World, role: Role) -> World:
    return dataclasses.replace(w, roles={**w.roles, role.arn: role})


@pytest.mark.parametrize("stack", STACKS)
def test_the_reference_stacks_prove_every_edge(stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.json"
    assert main(["plan", "--stack", stack, "--quiet", "--json", str(target)]) == EXIT_OK
    access = json.loads(target.read_text())["access"]
    assert access and all(edge["ok"] for edge in access)
    assert {"namespace", "workload", "container", "target", "secret", "ok", "broken_link", "fix"} <= set(access[0])
    secrets = {(e["workload"], e["target"]): e["secret"] for e in access}
    assert secrets[("app", "env DB_PASSWORD")] == f"{stack}/app/database"
    assert secrets[("app", "env API_TOKEN")] == f"{stack}/app-api"
    assert secrets[("nginx", "file /etc/nginx/tls")] == f"{stack}/app-tls"
    assert secrets[("app", "file /mnt/secrets/db-password")] == f"{stack}/app/database"
    assert "Access (every pod → secret edge):" in capsys.readouterr().out


def test_a_pod_on_another_apps_class_fails_the_plan_naming_pod_and_permission(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "test", "--quiet", "--project-dir", str(FOREIGN_CLASS)]) == EXIT_POLICY
    out = capsys.readouterr().out
    line = next(v for v in out.splitlines() if "secret-access-proven" in v and "env API_KEY" in v)
    assert "pod ledger-" in line and "of shop/ledger" in line
    assert "cannot read secret shop/payments/stripe: broken link permission" in line
    assert "role ledger-identity-role-" in line and "may not secretsmanager:GetSecretValue" in line
    assert "Fix: grant secretsmanager:GetSecretValue, secretsmanager:DescribeSecret on " \
           "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/payments/stripe-??????" in line
    assert "or run the pod as ServiceAccount shop/payments, whose role can read it" in line
    assert "shop/ledger         ledger     env API_KEY" in out and "BROKEN: permission" in out


def test_the_violation_is_on_the_workload_and_mandatory() -> None:
    plan = evaluate_stack(FOREIGN_CLASS, "test")[1]
    violations = [v for v in check_policies(plan) if v.rule == "secret-access-proven"]
    assert violations and all(v.mandatory for v in violations)
    assert {v.urn for v in violations} == {plan.one("kubernetes:apps/v1:Deployment", "ledger-deployment").urn}


def test_irsa_trust_pinned_to_another_service_account_breaks_the_trust_link() -> None:
    w = world("dev")
    role = app_role(w)
    trust = json.loads(json.dumps(role.trust).replace("serviceaccount:dev:app", "serviceaccount:dev:worker"))
    edges = prove_access(with_role(w, dataclasses.replace(role, trust=trust)))
    assert {link for _, link in broken(edges)} == {"trust"}
    edge = next(e for e in edges if not e.ok)
    assert "it admits system:serviceaccount:dev:worker" in edge.detail
    assert "system:serviceaccount:dev:app" in edge.fix and "aws iam get-role" in edge.confirm


@pytest.mark.parametrize(("tag", "value"), [("kubernetes-namespace", "staging"),
                                            ("kubernetes-service-account", "nginx"),
                                            ("eks-cluster-arn", "arn:aws:eks:eu-west-1:123456789012:cluster/other")])
def test_pod_identity_trust_is_evaluated_on_its_session_tags(tag: str, value: str) -> None:
    w = world("prod")
    role = app_role(w)
    assert role.trust is not None
    statement = copy.deepcopy(role.trust["Statement"][0])
    statement.setdefault("Condition", {}).setdefault("StringEquals", {})[f"aws:RequestTag/{tag}"] = value
    edges = prove_access(with_role(w, dataclasses.replace(role, trust={**role.trust, "Statement": [statement]})))
    assert {link for _, link in broken(edges)} == {"trust"}


def test_pod_identity_without_association_or_agent() -> None:
    w = world("prod")
    assert {link for _, link in broken(prove_access(dataclasses.replace(w, associations=[])))} == \
        {"pod-identity-association"}
    assert {link for _, link in broken(prove_access(dataclasses.replace(w, pod_identity_agent=False)))} == \
        {"pod-identity-agent"}


def test_a_deny_statement_overrides_the_read_policy() -> None:
    w = world("dev")
    role = app_role(w)
    deny = {"Statement": [{"Sid": "NoProd", "Effect": "Deny", "Action": "secretsmanager:*",
                           "Resource": "arn:aws:secretsmanager:*:*:secret:dev/*"}]}
    edges = prove_access(with_role(w, dataclasses.replace(role, policies=(*role.policies, deny))))
    edge = next(e for e in edges if not e.ok)
    assert edge.broken_link == "permission" and "denies it in statement NoProd" in edge.detail


def test_external_secrets_store_and_audience() -> None:
    w = world("staging")
    no_store = dataclasses.replace(w, objects=[o for o in w.objects if o.get("kind") != "SecretStore"])
    assert {link for _, link in broken(prove_access(no_store))} == {"secret-store"}
    # Staging's stores use the operator's Pod Identity: turned back into IRSA stores, the app's token matters.
    objects = copy.deepcopy(list(w.objects))
    account = next(o for o in objects if o["kind"] == "ServiceAccount" and o["metadata"]["name"] == "app")
    account["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": app_role(w).arn,
                                          "eks.amazonaws.com/audience": "example.com"}
    for store in objects:
        aws = (store.get("spec") or {}).get("provider", {}).get("aws") if store["kind"] == "SecretStore" else None
        if aws:
            aws.pop("role")
            aws["auth"] = {"jwt": {"serviceAccountRef": {"name": "app"}}}
    edges = prove_access(dataclasses.replace(w, objects=objects))
    assert {link for _, link in broken(edges)} == {"token-audience"}


def test_a_missing_secret_and_a_missing_kubernetes_secret() -> None:
    w = world("dev")
    edges = prove_access(dataclasses.replace(w, secret=lambda _name, _region: None))
    assert {link for _, link in broken(edges)} == {"secret"}
    no_tls = dataclasses.replace(w, objects=[o for o in w.objects if o["metadata"].get("name") != "app-tls"])
    assert broken(prove_access(no_tls)) == {("file /etc/nginx/tls", "kubernetes-secret")}


def _kms_world(key_policy: dict[str, Any] | None, iam_grants_key: bool) -> World:
    w = world("dev")
    role = app_role(w)
    policies = role.policies
    if iam_grants_key:
        # Through Secrets Manager and SSM: dev reads a parameter too, and the world gives every value this key.
        policies = (*policies, {"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY,
                                               "Condition": {"StringEquals": {"kms:ViaService": [
                                                   "secretsmanager.eu-west-1.amazonaws.com",
                                                   "ssm.eu-west-1.amazonaws.com"]}}}]})
    original = w.secret

    def secret(name: str, region: str) -> SecretFacts | None:
        # The app's secret and parameter (report-worker's role is not granted the key).
        facts = original(name, region)
        if facts is None or "dev/app/" not in name:
            return facts
        return dataclasses.replace(facts, kms_key_arn=KEY)

    return dataclasses.replace(with_role(w, dataclasses.replace(role, policies=policies)), secret=secret,
                               key_policies={KEY: key_policy} if key_policy else {})


ROOT_ADMIN = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                             "Action": "kms:*", "Resource": "*"}]}
ONLY_CLUSTER = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/cluster"},
                               "Action": "kms:Decrypt", "Resource": "*"}]}


@pytest.mark.parametrize(("key_policy", "iam_grants_key", "link"), [
    (ROOT_ADMIN, True, None),          # the key delegates to IAM, and IAM grants it through Secrets Manager
    (None, True, None),                # a key outside the plan: IAM must grant it
    (ROOT_ADMIN, False, "kms"),        # delegated, but IAM does not grant kms:Decrypt
    (ONLY_CLUSTER, True, "kms"),       # the key policy names only another principal
])
def test_the_secrets_kms_key(key_policy: dict[str, Any] | None, iam_grants_key: bool, link: str | None) -> None:
    edges = prove_access(_kms_world(key_policy, iam_grants_key))
    assert {lk for _, lk in broken(edges)} == (set() if link is None else {link})


def test_an_apps_kms_key_reaches_the_plan_and_its_policy_grants_it() -> None:
    stack = load_stack_file(ROOT, "dev")
    config = copy.deepcopy(stack.config)
    config["eks-config-secrets:apps"][0]["secretSources"][0]["kmsKeyArn"] = KEY
    with offline_module.offline():
        plan = run_program(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
                           stack="dev", config=config, secret_keys=stack.secret_keys)
    spc = plan.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "dev-app-spc-spc")
    assert json.loads(spc.outputs["metadata"]["annotations"][KMS_KEYS_ANNOTATION]) == {"dev/app/database": KEY}
    w = world_from_plan(plan)
    assert w.secret("dev/app/database", "eu-west-1").kms_key_arn == KEY  # type: ignore[union-attr]
    assert all(e.ok for e in prove_access(w))
    # Without the IAM grant, the same plan breaks at the key.
    role = app_role(w)
    without = tuple({**p, "Statement": [s for s in p["Statement"] if s["Action"] != "kms:Decrypt"]}
                    for p in role.policies)
    assert {lk for _, lk in broken(prove_access(with_role(w, dataclasses.replace(role, policies=without))))} == {"kms"}


def test_the_matrix_names_every_edge_and_its_link() -> None:
    w = world("dev")
    text = render_matrix(prove_access(dataclasses.replace(w, associations=[], secret=lambda _n, _r: None)))
    assert text.splitlines()[1].split() == ["namespace/workload", "container", "target", "secret", "access"]
    assert any(line.split()[:4] == ["dev/app", "app", "env", "DB_PASSWORD"] for line in text.splitlines())
    assert "BROKEN: secret" in text
    assert "dev/nginx" in text and text.count("BROKEN") == 5


@pytest.mark.parametrize(("stack", "link"), [("dev", "sync"), ("staging", "external-secret")])
def test_a_secret_the_driver_or_external_secrets_never_wrote(stack: str, link: str) -> None:
    w = world(stack)
    unwritten = dataclasses.replace(w, objects=[o for o in w.objects if o["metadata"].get("name") != "app-secrets"])
    edges = prove_access(unwritten)
    assert {lk for _, lk in broken(edges)} == {link}
    assert {t for t, _ in broken(edges)} == {"env DB_USERNAME", "env DB_PASSWORD", "env FEATURE_CHECKOUT"} | (
        {"file /mnt/secrets/db-username", "file /mnt/secrets/db-password", "file /mnt/secrets/feature-checkout",
         "file /mnt/secrets/payments-token", "env CHECKOUT_WEBHOOK_SECRET", "file /mnt/secrets/checkout-webhook-secret"}
        if stack == "staging" else set())


# --- the sources of issue 15: SSM, ESO through the operator's Pod Identity, Pulumi ESC, Pod Identity chaining ------


def edge_of(edges: list[Edge], workload: str, target: str) -> Edge:
    return next(e for e in edges if (e.workload, e.target) == (workload, target))


def without_statement(role: Role, sid: str) -> Role:
    policies = tuple({**p, "Statement": [s for s in p["Statement"] if s.get("Sid") != sid]} for p in role.policies)
    return dataclasses.replace(role, policies=policies)


def test_an_ssm_parameter_is_proven_against_the_backends_ssm_action_not_secrets_manager() -> None:
    w = world("dev")
    assert edge_of(prove_access(w), "app", "env FEATURE_CHECKOUT").ok
    edge = edge_of(prove_access(with_role(w, without_statement(app_role(w), "ReadParameters"))), "app",
                   "env FEATURE_CHECKOUT")
    assert edge.broken_link == "permission"
    assert "may not ssm:GetParameters on arn:aws:ssm:eu-west-1:123456789012:parameter/dev/app/features" in edge.detail


def test_a_secure_string_key_is_proven_through_ssm() -> None:
    w = world("staging")
    role = next(r for arn, r in w.roles.items() if "staging-app-identity-role" in arn)
    edges = prove_access(with_role(w, without_statement(role, "DecryptParametersThroughSsm")))
    edge = edge_of(edges, "app", "env FEATURE_CHECKOUT")
    assert edge.broken_link == "kms" and "through ssm.eu-west-1.amazonaws.com" in edge.detail


def test_a_store_role_is_proven_through_the_operators_pod_identity() -> None:
    w = world("staging")
    operator = next(r for arn, r in w.roles.items() if "external-secrets-role" in arn)
    assert edge_of(prove_access(w), "app", "env DB_PASSWORD").ok
    edge = edge_of(prove_access(with_role(w, dataclasses.replace(operator, policies=()))), "app", "env DB_PASSWORD")
    assert edge.broken_link == "trust"
    assert f"role {operator.name} may not sts:AssumeRole on " in edge.detail


def test_a_pulumi_esc_value_is_followed_to_the_service_account_it_signs_in_with() -> None:
    w = world("staging")
    assert edge_of(prove_access(w), "app", "env CHECKOUT_WEBHOOK_SECRET").ok
    objects = [o for o in w.objects if not (o.get("kind") == "ServiceAccount"
                                            and o["metadata"].get("name") == "app")]
    edge = edge_of(prove_access(dataclasses.replace(w, objects=objects)), "app",
                   "env CHECKOUT_WEBHOOK_SECRET")
    assert edge.broken_link == "service-account"


def test_a_target_role_is_proven_with_the_owners_grants_and_the_external_id() -> None:
    w = world("prod")
    assert edge_of(prove_access(w), "ledger-sync", "file /mnt/secrets/ledger.json").ok
    target = w.roles["arn:aws:iam::210987654321:role/prod-ledger-sync-reader"]
    trust = copy.deepcopy(dict(target.trust or {}))
    trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "another-association"
    edge = edge_of(prove_access(with_role(w, dataclasses.replace(target, trust=trust))), "ledger-sync",
                   "file /mnt/secrets/ledger.json")
    assert edge.broken_link == "trust"
    source = next(r for arn, r in w.roles.items() if "ledger-sync-identity-role" in arn)
    edge = edge_of(prove_access(with_role(w, dataclasses.replace(source, policies=()))), "ledger-sync",
                   "file /mnt/secrets/ledger.json")
    assert edge.broken_link == "trust" and "the role it chains to" in edge.detail


def test_a_failover_region_is_proven_on_the_replica_too() -> None:
    w = world("prod")
    assert edge_of(prove_access(w), "app", "env DB_PASSWORD").ok
    role = next(r for arn, r in w.roles.items() if "prod-app-identity-role" in arn)
    replica = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod/app/database-??????"
    policies = tuple({**p, "Statement": [{**st, "Resource": [x for x in st["Resource"] if x != replica]}
                                         if st.get("Sid") == "ReadSecrets" else st for st in p["Statement"]]}
                     for p in role.policies)
    edge = edge_of(prove_access(with_role(w, dataclasses.replace(role, policies=policies))), "app",
                   "env DB_PASSWORD")
    assert edge.broken_link == "permission"
    assert "on arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod/app/database-" in edge.detail



def test_a_failover_replica_is_proven_under_its_own_key() -> None:
    """The replica is decrypted in the failover region under its own key (prod's failoverKmsKeyArn): a role that may
    use the primary's key only cannot read it there."""
    w = world("prod")
    assert edge_of(prove_access(w), "app", "env DB_PASSWORD").ok
    role = app_role(w)
    replica_key = "arn:aws:kms:eu-central-1:123456789012:key/mrk-0c1d2e3f4a5b46c7d8e9f0a1b2c3d4e5"
    policies = tuple({**p, "Statement": [st for st in p["Statement"] if replica_key not in json.dumps(st)]}
                     for p in role.policies)
    assert policies != role.policies
    edge = edge_of(prove_access(with_role(w, dataclasses.replace(role, policies=policies))), "app",
                   "env DB_PASSWORD")
    assert edge.broken_link == "kms"
    assert replica_key in edge.detail and "secretsmanager.eu-central-1.amazonaws.com" in edge.detail
