"""The independent validators of tests/validators.py catch a known-bad input and pass a known-good one."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.iam_policies import secrets_read_policy
from components.pod_spec import csi_secret_volume, pod_security_context, read_only_mount, restricted_security_context
from tests.validators import CHECKOV_SKIPS, checkov_executable, checkov_failed_checks, parliament_findings

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/database-??????"


def test_parliament_passes_the_secrets_read_policy() -> None:
    document = secrets_read_policy([SECRET_ARN], kms_key_arns=["arn:aws:kms:eu-west-1:123456789012:key/k"],
                                   region="eu-west-1")
    assert parliament_findings(document) == []


def test_parliament_reports_an_action_that_matches_no_resource() -> None:
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": SECRET_ARN}]}
    assert parliament_findings(document) == [
        "RESOURCE_MISMATCH (MEDIUM): [{'action': 's3:GetObject', 'required_format': 'arn:*:s3:::*/*'}]"
    ]


def test_checkov_skip_file_gives_a_reason_for_every_skip() -> None:
    lines = CHECKOV_SKIPS.read_text().splitlines()
    skipped = yaml.safe_load(CHECKOV_SKIPS.read_text())["skip-check"]
    entries = [i for i, line in enumerate(lines) if line.strip().startswith("- ")]
    assert len(entries) == len(skipped)
    for index in entries:
        # Each skip is preceded by its reason: a comment, or another skip that shares the comment above it.
        previous = lines[index - 1].strip()
        assert previous.startswith(("#", "- ")), lines[index]


needs_checkov = pytest.mark.skipif(checkov_executable() is None, reason="checkov is not installed (.venv-checkov)")

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "app", "namespace": "prod"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "app"}},
        "template": {
            "metadata": {"labels": {"app": "app"}},
            "spec": {
                "automountServiceAccountToken": False,
                "serviceAccountName": "app",
                "securityContext": pod_security_context(),
                "containers": [{
                    "name": "app",
                    "image": "ghcr.io/example/app:1.4.2",
                    "securityContext": restricted_security_context(),
                    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                    "volumeMounts": [read_only_mount("secrets", "/mnt/secrets")],
                }],
                "volumes": [csi_secret_volume("secrets", "app")],
            },
        },
    },
}


def write(directory: Path, document: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "deployment.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


@needs_checkov
def test_checkov_passes_a_restricted_deployment(tmp_path: Path) -> None:
    assert checkov_failed_checks(write(tmp_path / "good", DEPLOYMENT)) == []


@needs_checkov
def test_checkov_reports_a_privileged_container(tmp_path: Path) -> None:
    bad: Any = copy.deepcopy(DEPLOYMENT)
    bad["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    failed = checkov_failed_checks(write(tmp_path / "bad", bad))
    assert [(c["check_id"], c["resource"]) for c in failed] == [("CKV_K8S_16", "Deployment.prod.app")]
