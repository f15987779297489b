"""What the stacks render, checked by the field's own tools: parliament on every IAM permission policy, checkov
on every manifest (skips, each with its reason, in .checkov.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.plan.cli import evaluate_stack
from components.plan.render import write_manifests
from tests.conftest import ROOT, STACKS
from tests.validators import checkov_failed_checks, parliament_findings

IAM_PERMISSION_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")


@pytest.mark.parametrize("stack", STACKS)
def test_parliament_finds_nothing_above_low(stack: str) -> None:
    plan = evaluate_stack(ROOT, stack)[1]
    documents = {r.name: r.inputs["policy"] for r in plan.resources if r.type in IAM_PERMISSION_POLICIES}
    assert documents
    # By resource: the SSM reads, the KMS grants through SSM and the operator's AssumeRole are checked too.
    assert {name: parliament_findings(d) for name, d in documents.items()} == {name: [] for name in documents}


@pytest.mark.parametrize("stack", STACKS)
def test_checkov_finds_no_failed_check(stack: str, tmp_path: Path) -> None:
    plan = evaluate_stack(ROOT, stack)[1]
    assert write_manifests(plan, tmp_path)
    assert checkov_failed_checks(tmp_path) == []
