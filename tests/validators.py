"""Independent validators: tools we did not write, run over what we render.

``parliament`` reviews IAM permission policies (identity policies: ``aws:iam/rolePolicy:RolePolicy`` and
``aws:iam/policy:Policy`` documents; trust policies are not its input and are covered by our own policy rules), and
``checkov --framework kubernetes`` reviews the manifests the offline plan writes, with the skips (each with its
reason) in ``.checkov.yaml``. ``jsonschema`` checks documents against Pulumi's own JSON Schemas (the package
metaschema, the project file schema), vendored under ``reference/pulumi``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import parliament
from jsonschema import validators

ROOT = Path(__file__).resolve().parents[1]
CHECKOV_SKIPS = ROOT / ".checkov.yaml"
# checkov 3.3.30 pins packaging<24 while pulumi 3.272 needs packaging>=26: it lives in a venv of its own.
CHECKOV_VENV = ROOT / ".venv-checkov"
_SEVERITIES_ABOVE_LOW = ("MEDIUM", "HIGH", "CRITICAL")


def parliament_findings(document: str | Mapping[str, Any]) -> list[str]:
    """parliament's findings above LOW for one IAM permission policy, as ``ISSUE (SEVERITY): detail``."""
    text = document if isinstance(document, str) else json.dumps(document)
    policy = parliament.analyze_policy_string(text)
    found = [parliament.enhance_finding(f) for f in policy.findings]
    return [f"{f.issue} ({f.severity}): {f.detail}" for f in found if f.severity in _SEVERITIES_ABOVE_LOW]


def _ecma_pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[jsonschema.ValidationError]:
    # Pulumi's schemas write named groups the ECMA-262 way, `(?<major>...)`; Python spells them `(?P<major>...)`.
    python_pattern = re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", pattern)
    if validator.is_type(instance, "string") and not re.search(python_pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_PulumiSchemaValidator = validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})


def pulumi_schema_errors(document: Any, schema_file: Path) -> list[str]:
    """Where ``document`` breaks one of Pulumi's JSON Schemas (2020-12), as ``path: message``."""
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return [f"{e.json_path}: {e.message}" for e in _PulumiSchemaValidator(schema).iter_errors(document)]


def checkov_executable() -> str | None:
    """The checkov to run: $CHECKOV, else the project's .venv-checkov, else one on PATH."""
    for candidate in (os.environ.get("CHECKOV"), str(CHECKOV_VENV / "bin" / "checkov"), shutil.which("checkov")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def checkov_failed_checks(directory: Path, config_file: Path = CHECKOV_SKIPS) -> list[dict[str, str]]:
    """checkov's failed Kubernetes checks over the manifests under ``directory``, skips from ``config_file``."""
    executable = checkov_executable()
    if executable is None:
        raise FileNotFoundError(f"checkov is not installed: create {CHECKOV_VENV} with checkov==3.3.30")
    result = subprocess.run(
        [executable, "--framework", "kubernetes", "--directory", str(directory), "--config-file", str(config_file),
         "--output", "json", "--quiet", "--compact", "--skip-download"],
        capture_output=True, text=True, check=False, timeout=600,
    )
    # 0: no failed check, 1: failed checks; anything else is checkov failing to run.
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov exited {result.returncode}: {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    return [
        {"check_id": c["check_id"], "check_name": c["check_name"], "resource": c["resource"],
         "file": c["file_path"]}
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
