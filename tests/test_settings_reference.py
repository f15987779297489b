"""tools/settings_reference.py: the README's settings reference is generated from the sections' types, every row of
it, and stays current."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import settings_reference  # noqa: E402

from tests.conftest import STACKS, stack_values  # noqa: E402


def test_the_generated_rows_are_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings_reference.rewrite(readme) == readme, (
        "the README's settings reference is stale: run .venv/bin/python tools/settings_reference.py")


def test_the_whole_settings_table_is_generated() -> None:
    readme = (ROOT / "README.md").read_text()
    generated = readme[readme.index(settings_reference.BEGIN):readme.index(settings_reference.END)]
    section = readme[readme.index("## Settings reference"):readme.index("\n## ", readme.index("## Settings reference"))]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows and all(row in generated for row in rows)


def _keys(value: Any, path: str) -> set[str]:
    """The config paths of every leaf setting in ``value``, list items as ``[]`` (map keys are data, not settings)."""
    if isinstance(value, list):
        return {k for item in value for k in _keys(item, f"{path}[]")} if any(isinstance(i, dict) for i in value) \
            else {path}
    if isinstance(value, dict) and not path.endswith(("Settings", ".data")):
        return {k for key, item in value.items() for k in _keys(item, f"{path}.{key}")}
    return {path}


@pytest.mark.parametrize("stack", STACKS)
def test_every_key_a_reference_stack_sets_has_a_row(stack: str) -> None:
    block = settings_reference.render()
    keys = {k for section, value in stack_values(stack).items() for k in _keys(value, section)
            if section in ("cluster", "secretDelivery", "environments", "apps")}
    assert len(keys) > 40
    assert sorted(k for k in keys if f"| `{k}` |" not in block) == []
