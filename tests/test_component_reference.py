"""docs/components.md is generated from the code; every argument and output has a docstring."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import component_reference  # noqa: E402


def test_committed_reference_is_current() -> None:
    assert (ROOT / "docs" / "components.md").read_text() == component_reference.render(), (
        "docs/components.md is stale: run .venv/bin/python tools/component_reference.py"
    )


def test_every_argument_and_output_is_documented() -> None:
    undocumented = [line for line in component_reference.render().splitlines()
                    if line.startswith("| `") and line.rstrip().endswith("|  |")]
    assert undocumented == []


def test_every_public_component_is_in_the_reference() -> None:
    import components

    text = component_reference.render()
    names = [n for n in components.__all__ if isinstance(getattr(components, n), type)
             and hasattr(getattr(components, n), "register_outputs")]
    assert names == ["AppSecrets", "EnvelopeEncryptionKey", "Environment", "ExternalSecretsOperator", "Reloader",
                     "SecretProviderClass", "SecretReader", "SecretsStoreCsiDriver", "SecureCluster", "Workload",
                     "WorkloadIdentity"]
    assert all(f"## {name}\n" in text for name in names)
