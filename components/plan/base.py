"""The plan to compare against: a plan JSON written earlier, or the plan of a git revision computed by that
revision's own code in a temporary worktree (removed afterwards, whatever happens)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import components

__all__ = ["BaseError", "load_base"]


class BaseError(Exception):
    """``--base`` names neither a usable plan file nor a revision whose plan could be computed."""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def _plan_of_revision(project_dir: Path, revision: str, stack: str, config: Sequence[str],
                      policy_config: Path | None) -> dict[str, Any]:
    top = _git(project_dir, "rev-parse", "--show-toplevel")
    commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if top.returncode != 0 or commit.returncode != 0:
        raise BaseError(f"--base {revision!r} is neither a plan JSON file nor a git revision of {project_dir}")
    root = Path(top.stdout.strip())
    with tempfile.TemporaryDirectory(prefix="plan-base-") as scratch:
        tree, out = Path(scratch) / "tree", Path(scratch) / "plan.json"
        added = _git(root, "worktree", "add", "--detach", str(tree), commit.stdout.strip())
        if added.returncode != 0:
            raise BaseError(f"--base {revision!r}: git worktree add failed: {added.stderr.strip()}")
        try:
            # That revision's package where it has one: `-m` looks in the working directory first. A project that
            # only uses the library falls back to this installation's (PYTHONPATH comes after the directory).
            env = {**os.environ, "PYTHONPATH": str(Path(components.__file__).resolve().parent.parent)}
            run = subprocess.run(
                [sys.executable, "-m", "components", "plan", "--stack", stack, "--quiet", "--json", str(out),
                 "--project-dir", str(tree / project_dir.resolve().relative_to(root)),
                 *(f"--config={assignment}" for assignment in config),
                 # The same rule levels and settings, so that the review's policy findings are the change's own.
                 *([f"--policy-pack-config={policy_config.resolve()}"] if policy_config else [])],
                cwd=tree, env=env, capture_output=True, text=True, check=False)
            # Exit 2 (mandatory violations) still writes the plan: the diff then shows which ones the change fixes.
            if run.returncode not in (0, 2) or not out.is_file():
                detail = (run.stderr.strip() or run.stdout.strip()).splitlines()[-1:] or ["no output"]
                raise BaseError(f"--base {revision!r}: its plan of {stack} failed (exit {run.returncode}): {detail[0]}")
            document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
            return document
        finally:
            _git(root, "worktree", "remove", "--force", str(tree))


def load_base(base: str, project_dir: Path, stack: str, config: Sequence[str] = (),
              policy_config: Path | None = None) -> dict[str, Any]:
    """The base plan document of ``stack``: ``base`` is a plan JSON file or a git revision (planned with the same
    ``--config`` settings as the head, which an imported Pulumi ESC environment would supply to both, and the same
    ``--policy-pack-config``; a revision older than that option cannot be planned with it)."""
    path = Path(base)
    if path.is_file():
        try:
            document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise BaseError(f"--base {base}: not a plan JSON file ({error})") from None
        if document.get("stack") != stack or "resources" not in document:
            raise BaseError(f"--base {base}: a plan of stack {document.get('stack')!r}, not {stack!r}")
        return document
    return _plan_of_revision(project_dir, base, stack, config, policy_config)
