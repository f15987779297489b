"""The registry, evaluate and the plan that runs them (components/policy_rules/__init__.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.conventions import CONFIG_MAP, KMS_KEY
from components.plan.cli import evaluate_stack
from components.plan.policies import check_policies
from components.policy_rules import (
    RULES,
    PackConfig,
    Violation,
    evaluate,
)
from tests.conftest import ROOT, STACKS, stack_values
from tests.policy_rules.helpers import view


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


def test_advisory_rules_are_the_legal_but_risky_ones() -> None:
    assert sorted(r.name for r in RULES if not r.mandatory) == sorted([
        "configmap-credentials", "deployment-checksum-annotations", "rbac-secrets-list-watch",
        "secret-polling-interval", "eks-public-endpoint-open", "privileged-pod-security",
        # CIS Kubernetes on EKS: legal, sometimes needed, so reported rather than refused.
        "kms-deletion-window", "eks-log-retention", "secrets-as-files", "no-default-service-account",
        "no-default-namespace", "rbac-no-create-pods",
    ])


def test_evaluate_lists_mandatory_violations_first() -> None:
    key = view(KMS_KEY, {"enableKeyRotation": False}, name="key")
    config_map = view(CONFIG_MAP, {"metadata": {"namespace": "team"}, "data": {"token": "x"}}, name="cm",
                      provider=None)
    violations = evaluate([config_map, key])
    assert [(v.rule, v.urn, v.mandatory) for v in violations] == [
        ("kms-key-rotation", key.urn, True),
        ("kubernetes-explicit-provider", config_map.urn, True),
        ("configmap-credentials", config_map.urn, False),
    ]


def test_violation_as_json() -> None:
    assert Violation("kms-key-rotation", "urn:x", "fix it", True, "medium", "rotate").as_json() == {
        "rule": "kms-key-rotation", "urn": "urn:x", "message": "fix it", "enforcement": "mandatory",
        "severity": "medium", "remediation": "rotate",
    }


def test_a_violation_carries_its_rules_severity_and_remediation() -> None:
    [violation] = evaluate([view(KMS_KEY, {"enableKeyRotation": False}, name="key")])
    rule = next(r for r in RULES if r.name == "kms-key-rotation")
    assert (violation.severity, violation.remediation) == (rule.severity, rule.remediation)
    assert violation.remediation.startswith("Set enable_key_rotation=True")


def test_every_rule_describes_itself() -> None:
    for rule in RULES:
        assert rule.description and rule.remediation, rule.name
        assert rule.severity in ("low", "medium", "high", "critical"), rule.name


def test_evaluate_passes_each_rule_its_configuration() -> None:
    key = view(KMS_KEY, {"enableKeyRotation": True}, name="key", stack="dr")
    assert evaluate([key]) == []
    [violation] = evaluate([key], PackConfig(settings={"prod-protected": {"protectedStacks": ["prod", "dr"]}}))
    assert violation.rule == "prod-protected"
    assert violation.message.startswith("KMS key in stack dr is not protected")


@pytest.mark.parametrize("stack", STACKS)
def test_project_stacks_have_no_violations(stack: str) -> None:
    """None at all: the reference apps that read some secrets as environment variables on purpose (``keys[].env``,
    for applications that read only their environment) say why (``secretsAsEnvReason``), which ``secrets-as-files``
    accepts; without the reason the advisory reports each such app's Deployment and nothing else."""
    _, plan = evaluate_stack(ROOT, stack)
    assert [v.as_json() for v in check_policies(plan)] == []
    without_reason = evaluate_stack(ROOT, stack, overrides=[_without_reason(stack)])[1]
    found = [v.as_json() for v in check_policies(without_reason)]
    assert [v["rule"] for v in found] == ["secrets-as-files"]
    assert found[0]["enforcement"] == "advisory" and found[0]["urn"].endswith("-app-deployment")


def _without_reason(stack: str) -> str:
    """A ``plan --config`` override: the stack's apps as they are, but the first app's reason removed."""
    apps = stack_values(stack)["apps"]
    del apps[0]["secretsAsEnvReason"]
    return f"apps={json.dumps(apps)}"


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


def test_readme_lists_every_rule_as_declared() -> None:
    """The README's table of rules is the registry's: a rule added, renamed or re-graded shows up here."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `") and line.count(" | ") == 4]
    listed = [tuple(cell.strip(" `") for cell in row.strip("|").split(" | ")[:4]) for row in rows]
    assert listed == [(r.name, r.check.__module__.rsplit(".", 1)[-1], r.enforcement, r.severity) for r in RULES]
