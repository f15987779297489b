"""Shared fixtures: the project's own stack files, and the offline engine that the plan uses."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.validation import settings_error_in
from stack_program.settings import PROJECT

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference"
"""Upstream CRDs and chart data vendored into the repository (see reference/PROVENANCE.md)."""
STACKS = ("dev", "staging", "prod")


def stack_values(stack: str) -> dict[str, Any]:
    """The project's settings of a stack file, keyed without the project prefix, as the settings module sees them."""
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: copy.deepcopy(v) for k, v in config.items() if k.startswith(f"{PROJECT}:")}


def empty_fields(value: Any, path: str = "") -> list[str]:
    """Paths of the empty lists and maps in ``value``, but for ``emptyDir: {}``, which means a volume."""
    found = [path] if isinstance(value, dict | list) and not value and not path.endswith(".emptyDir") else []
    if isinstance(value, dict):
        found += [p for key, item in value.items() for p in empty_fields(item, f"{path}.{key}")]
    if isinstance(value, list):
        found += [p for index, item in enumerate(value) for p in empty_fields(item, f"{path}[{index}]")]
    return found


@pytest.fixture
def dev_values() -> dict[str, Any]:
    return stack_values("dev")



def _refused_on_purpose(record: logging.LogRecord) -> bool:
    """Whether ``record`` is asyncio's "Future exception was never retrieved" for a component's refusal of an
    argument given as an Output (the SDK's futures of the resources that waited for it)."""
    return settings_error_in(record.exc_info[1] if record.exc_info else None) is not None


# Dropped before any handler formats them: Python 3.11 formats a traceback with `ast`, and when the garbage collector
# frees those futures inside a later test's `ast.parse`, that call fails ("AST constructor recursion depth
# mismatch"). Every other asyncio record is kept.
logging.getLogger("asyncio").addFilter(lambda record: not _refused_on_purpose(record))


def refused_once_known(program: Callable[[], object]) -> str:
    """Run ``program``, whose argument given as an Output is refused once it resolves, and return the message: the
    SDK fails each resource that waited for the Output and names it around the component's own message."""
    with pytest.raises(ValueError, match="While processing") as caught:
        program()
    return str(caught.value)
