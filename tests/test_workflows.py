"""The GitHub workflows pass zizmor and the workflow JSON schema, pin every action, and keep their promises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, STACKS

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def load(name: str) -> dict[Any, Any]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return document


def uses_lines() -> list[str]:
    return [line.split("uses:", 1)[1].strip() for f in FILES for line in f.read_text().splitlines()
            if line.strip().startswith(("uses:", "- uses:"))]


def steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    return [s for job in document["jobs"].values() for s in job.get("steps", [])]


def test_zizmor_finds_nothing() -> None:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--persona", "auditor", "--no-progress", str(WORKFLOWS)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_workflow_schema() -> None:
    # The schema is vendored in check-jsonschema: this runs offline.
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *map(str, FILES)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    uses = uses_lines()
    assert uses
    # `$/` is this repository at the running commit: pinned by construction.
    assert [u for u in uses if not (PINNED.match(u) or u.startswith("$/"))] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_default_token_can_only_read_contents(path: Path) -> None:
    assert load(path.name)["permissions"] == {"contents": "read"}


def test_checkouts_do_not_persist_the_token() -> None:
    checkouts = [s for f in FILES for s in steps(load(f.name)) if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 2
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_script(path: Path) -> None:
    assert [s["run"] for s in steps(load(path.name)) if "run" in s and "${{" in s["run"]] == []


def test_only_the_cloud_jobs_can_request_an_oidc_token() -> None:
    granted = {(f.name, name) for f in FILES for name, job in load(f.name)["jobs"].items()
               if job.get("permissions", {}).get("id-token") == "write"}
    assert granted == {("ci.yml", "preview"), ("deploy.yml", "dev"), ("deploy.yml", "staging"),
                       ("deploy.yml", "prod"), ("pulumi.yml", "pulumi")}


def test_ci_plans_every_stack_through_the_ci_entry_point() -> None:
    ci = load("ci.yml")
    assert ci[True] == {"pull_request": None, "push": {"branches": ["main"]}}
    assert next(s["run"] for s in ci["jobs"]["check"]["steps"] if "run" in s) == "bash .ci/run"


def test_preview_runs_per_stack_only_with_aws_access_and_never_for_forks() -> None:
    preview = load("ci.yml")["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["stack"] == list(STACKS)
    assert "vars.AWS_ROLE_ARN != ''" in preview["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview["if"]
    assert preview["with"] == {"command": "preview", "stack": "${{ matrix.stack }}"}


def test_pulumi_runs_with_the_policy_pack_and_comments_previews() -> None:
    action = next(s for s in steps(load("pulumi.yml")) if s.get("uses", "").startswith("pulumi/actions@"))
    assert action["with"]["policyPacks"] == "policy"
    assert action["with"]["comment-on-pr"] == "${{ inputs.command == 'preview' }}"
    assert action["with"]["stack-name"] == "${{ inputs.stack }}"


def test_deploy_runs_stack_after_stack_with_prod_behind_the_production_environment() -> None:
    jobs = load("deploy.yml")["jobs"]
    assert [(name, job["with"]["stack"], job.get("needs")) for name, job in jobs.items()] == [
        ("dev", "dev", None), ("staging", "staging", "dev"), ("prod", "prod", "staging")
    ]
    assert {name: job["with"].get("environment") for name, job in jobs.items()} == {
        "dev": None, "staging": None, "prod": "production"
    }


def test_pull_requests_forks_included_get_a_diff_against_their_base_without_credentials() -> None:
    check = load("ci.yml")["jobs"]["check"]
    diff = next(s for s in check["steps"] if s.get("run", "").startswith("bash .ci/diff"))
    assert diff["if"] == "${{ github.event_name == 'pull_request' }}"
    assert diff["run"] == 'bash .ci/diff "$BASE_SHA" "$PR_NUMBER"'
    assert diff["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}",
                           "PR_NUMBER": "${{ github.event.pull_request.number }}"}
    # No secret, no OIDC token: the same for a fork's pull request as for ours.
    assert "secrets." not in str(check)
    assert "permissions" not in check
    checkout = next(s for s in check["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the base revision, for its worktree
    upload = next(s for s in check["steps"] if s.get("with", {}).get("name") == "plan-diff")
    assert upload["with"]["path"].split() == ["out/diff/*.md", "out/diff/pull-request"]


def test_the_comment_is_posted_by_a_workflow_run_that_runs_no_code_of_the_pull_request() -> None:
    workflow = load("pr-comment.yml")
    assert workflow[True] == {"workflow_run": {"workflows": ["ci"], "types": ["completed"]}}
    job = workflow["jobs"]["comment"]
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert [s.get("uses", "").split("@")[0] for s in job["steps"]] == ["actions/download-artifact", ""]
    script = job["steps"][1]["run"]
    # It reads the artifact as data only: a number it validates, and Markdown it posts.
    assert 'case "$number" in' in script
    assert '!= "$HEAD_SHA"' in script
    assert not any(word in script for word in ("bash plan-diff", "python", "source ", "eval "))
