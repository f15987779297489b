"""tools/settings_reference.py: the README rows of the sections that are a component's args type follow the type."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import settings_reference  # noqa: E402

from stack_program.settings import KEYS  # noqa: E402


def test_the_generated_rows_are_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings_reference.rewrite(readme) == readme, (
        "the README's settings reference is stale: run .venv/bin/python tools/settings_reference.py")


def test_every_key_of_the_typed_sections_has_a_generated_row() -> None:
    block = settings_reference.render()
    for path, _, _ in settings_reference.SECTIONS:
        for key in KEYS[path]:
            if key != "keys":
                assert f"| `{path}.{key}` |" in block
