"""One home per shared fact, default and choice set: the package spells each once (issue 11, "Done when")."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import app_secrets, cluster, conventions, csi_driver, environment, validation, workload_identity

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("components/**/*.py"), *ROOT.glob("policy/**/*.py"), *ROOT.glob("tools/**/*.py"),
                  *ROOT.glob("examples/**/*.py"), ROOT / "__main__.py"])
HOME = ROOT / "components" / "conventions.py"

FACTS = {name: value for name, value in vars(conventions).items() if name in conventions.__all__}
HOMONYMS = {"ESO_CHART"}
"""Facts whose spelling other facts share: the backend, the operator's namespace and its ServiceAccount are also
called ``external-secrets``, so a literal elsewhere is not necessarily the chart."""

CHOICE_SETS = {
    "app_secrets.BACKENDS": app_secrets.BACKENDS,
    "app_secrets.IDENTITIES": app_secrets.IDENTITIES,
    "cluster.SUPPORT_TYPES": cluster.SUPPORT_TYPES,
    "csi_driver.INSTALLS": csi_driver.INSTALLS,
    "environment.POD_SECURITY_LEVELS": environment.POD_SECURITY_LEVELS,
    "environment.SECRET_TYPES": environment.SECRET_TYPES,
    "validation.ACCESS_POLICIES": validation.ACCESS_POLICIES,
    "validation.REQUIRED_LOG_TYPES": validation.REQUIRED_LOG_TYPES,
    "workload_identity.MODES": workload_identity.MODES,
}


def _trees() -> Iterator[tuple[Path, ast.AST]]:
    for path in SOURCES:
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every string literal, f-string parts included (``f"checksum/{name}"`` holds the literal ``checksum/``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_the_facts_are_strings_with_a_name() -> None:
    # Guards the test below: an empty FACTS would make it pass vacuously.
    assert {"SECRET_MARKER", "AUTOMOUNT_REASON_ANNOTATION", "KMS_KEYS_ANNOTATION", "CHECKSUM_ANNOTATION_PREFIX",
            "CSI_DRIVER_CHART", "CSI_ADDON", "RELOAD_SECRETS_ANNOTATION", "HELM_RELEASE"} <= set(FACTS)
    assert all(isinstance(v, str) and v for v in FACTS.values())
    assert len(set(FACTS.values())) == len(FACTS), "two names for one fact"


def test_no_shared_fact_is_spelt_outside_its_home() -> None:
    by_value = {value: name for name, value in FACTS.items() if name not in HOMONYMS}
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r} (import {by_value[text]} from components.conventions)"
             for path, tree in _trees() if path != HOME for line, text in _strings(tree) if text in by_value]
    assert found == []


def _literal_sets(tree: ast.AST) -> Iterator[tuple[int, frozenset[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) > 1 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            yield node.lineno, frozenset(e.value for e in node.elts if isinstance(e, ast.Constant))


@pytest.mark.parametrize("name", sorted(CHOICE_SETS))
def test_each_choice_set_is_written_once(name: str) -> None:
    wanted = frozenset(CHOICE_SETS[name])
    found = [f"{path.relative_to(ROOT)}:{line}" for path, tree in _trees() for line, values in _literal_sets(tree)
             if values == wanted]
    assert len(found) == 1, f"{name} is written {len(found)} times: {found}"


def test_no_component_imports_the_policy_rules() -> None:
    # The rules judge what the components create; a component that imported them would tie the library to the
    # pack. The plan and the access proof (tools over a plan) may run them.
    importers = []
    for path, tree in _trees():
        if path.parent != ROOT / "components":
            continue
        for node in ast.walk(tree):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(m == "components.policy_rules" or m.startswith("components.policy_rules.") for m in modules):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == []
