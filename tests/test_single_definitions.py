"""One definition of every default, choice set and rule: each known one is written once in the library and the stack
program, and everything else refers to that name (the `protect` default once drifted between two copies, and the
rules of an app's secret sources were once worded twice, by the component and by the stack's loader)."""

from __future__ import annotations

import ast
import itertools
from collections import Counter

import pytest

from tests.conftest import ROOT

SOURCES = sorted([*(ROOT / "components").rglob("*.py"), *(ROOT / "stack_program").rglob("*.py"), ROOT / "__main__.py"])

CHOICE_SETS = [
    ("csi", "external-secrets"),
    ("irsa", "pod-identity"),
    ("helm", "addon"),
    ("restricted", "baseline", "privileged"),
    ("Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson"),
    ("STANDARD", "EXTENDED"),
    ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"),
    ("api", "audit", "authenticator"),
    ("api", "audit", "authenticator", "controllerManager", "scheduler"),
]
# (The refresh and rotation-poll defaults are both an hour, two settings that happen to agree.)
DEFAULTS = ["1.33", "/mnt/secrets", "AmazonEKSViewPolicy", "t3.medium", "kube-system"]
# The patterns of names that several components check (a Secret key or file name; a Pulumi Cloud name).
PATTERNS = [r"^[-._a-zA-Z0-9]+$", r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"]
# A phrase of each rule's message: a second copy of the rule would most likely be worded with it again.
RULES = [
    "is not an environment variable name",
    "only the workload's own EKS Pod Identity association",
    " of environment ",
    "is required when the environment has Secrets",
    "reads a Pulumi ESC environment of that",
    "is a secure value where no secret is expected",
    "needs exactly one of secret",
    "is not a Pulumi ESC environment <project>",
    "is required for a Pulumi ESC source",
    "already exposes the whole secret",
    "writes the whole secret to",
    "is empty: name at least one key",
    "it becomes a file and a Secret key",
    "is set but the app has no",
    "holds replicas of the secrets",
    "applies to the csi backend only",
    "is not an absolute path",
    "reads the synced Kubernetes Secret",
    "sources: Pulumi ESC is read through",
    "and files are both empty",
]


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for a, b in itertools.pairwise(body):
                # A module, class or function docstring, and the attribute docstring below an annotated name.
                if isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant) and isinstance(a, ast.AnnAssign):
                    found.add(id(b.value))
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _literals() -> tuple[Counter[tuple[str, ...]], Counter[str]]:
    tuples: Counter[tuple[str, ...]] = Counter()
    scalars: Counter[str] = Counter()
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        in_sets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) for e in node.elts):
                values = tuple(str(e.value) for e in node.elts)  # type: ignore[attr-defined]
                tuples[values] += 1
                if len(values) > 1:
                    in_sets |= {id(e) for e in node.elts}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and id(node) not in in_sets):
                scalars[node.value] += 1
    return tuples, scalars


def _messages(tree: ast.AST) -> list[str]:
    """The string literals of ``tree`` outside docstrings, f-strings' literal parts included."""
    docs = _docstrings(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


@pytest.mark.parametrize("choices", CHOICE_SETS)
def test_each_choice_set_is_written_once(choices: tuple[str, ...]) -> None:
    assert _literals()[0][choices] == 1


@pytest.mark.parametrize("default", DEFAULTS)
def test_each_default_is_written_once(default: str) -> None:
    written = _literals()[1][default]
    assert written == 1, f"{default!r} is written {written} times: refer to its one definition"


def test_the_check_sees_a_second_copy() -> None:
    tree = ast.parse('A = ("helm", "addon")\ndef f(x):\n    """Doc "1.33"."""\n    return x.get("v", "1.33")\n')
    assert [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in _docstrings(tree)
            and n.value == "1.33"] == ["1.33"]
    assert len(SOURCES) > 20 and ROOT / "components" / "cluster.py" in SOURCES


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_name_pattern_is_compiled_once(pattern: str) -> None:
    written = _literals()[1][pattern]
    assert written == 1, f"{pattern!r} is written {written} times: use its one compiled pattern"


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_is_worded_once(rule: str) -> None:
    places = [str(path.relative_to(ROOT)) for path in SOURCES for text in _messages(ast.parse(path.read_text()))
              if rule in text]
    assert len(places) == 1, f"{rule!r} is worded in {places}: call the rule's one check instead"


def test_the_rule_check_sees_a_second_wording() -> None:
    source = ('def f(p, v):\n    """Doc: is not an absolute path."""\n    if v:\n        raise E(p, v, "is not an "\n'
              '                "absolute path")\n    raise E(p, v, f"{v!r} is not an absolute path")\n')
    assert [text for text in _messages(ast.parse(source)) if "is not an absolute path" in text] == [
        "is not an absolute path", " is not an absolute path"]
