"""``python -m components plan``: the stack program evaluated offline, with no cloud and no Pulumi CLI.

Exit codes: 0 the plan is clean; 1 the settings are invalid (one message naming the key); 2 a mandatory
security policy is violated.
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components import settings
from components.plan.engine import Plan, run_program
from components.plan.policies import Violation, check_policies
from components.plan.render import render_graph, render_tree, write_manifests
from components.validation import SettingsError

__all__ = ["StackFile", "evaluate_stack", "load_stack_file", "main"]

EXIT_OK, EXIT_INVALID, EXIT_POLICY = 0, 1, 2


@dataclass(frozen=True)
class StackFile:
    project: str
    stack: str
    path: Path
    config: dict[str, Any]
    secret_keys: tuple[str, ...]


def _offline_secret(key: str, value: Any) -> tuple[Any, bool]:
    """Replace every ``secure:`` value of ``key``, at any depth, by its placeholder; say whether there was one."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return settings.offline_placeholder(key, str(value["secure"])), True
        pairs = {k: _offline_secret(key, v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_offline_secret(key, v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def load_stack_file(project_dir: Path, stack: str) -> StackFile:
    """Read Pulumi.yaml and the stack's config file the way the CLI would (minus decryption)."""
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise SettingsError("--project-dir", str(project_dir), "has no Pulumi.yaml")
    project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    config_dir = project_dir / project.get("stackConfigDir", ".")
    path = config_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
        raise SettingsError("--stack", stack, f"has no stack file {path} (stacks: {', '.join(known)})")
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        # A key without a namespace belongs to the project, as in `pulumi config set`.
        full_key = key if ":" in key else f"{project['name']}:{key}"
        config[full_key], is_secret = _offline_secret(full_key, value)
        if is_secret:
            secret_keys.append(full_key)
    return StackFile(project["name"], stack, path, config, tuple(secret_keys))


def evaluate_stack(project_dir: Path, stack: str) -> tuple[StackFile, Plan]:
    """Run the project's ``__main__.py`` for ``stack`` under the recording engine, offline."""
    stack_file = load_stack_file(project_dir, stack)
    program = project_dir / "__main__.py"
    token = settings.OFFLINE.set(True)
    try:
        plan = run_program(
            lambda: runpy.run_path(str(program), run_name="__main__"),
            stack=stack,
            project=stack_file.project,
            config=stack_file.config,
            secret_keys=stack_file.secret_keys,
        )
    finally:
        settings.OFFLINE.reset(token)
    return stack_file, plan


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m components", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="evaluate a stack offline and show what would be created")
    plan.add_argument("--stack", required=True, help="stack name: reads stacks/Pulumi.<stack>.yaml")
    plan.add_argument("--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml")
    plan.add_argument("--json", type=Path, metavar="FILE", help="write the plan as JSON")
    plan.add_argument("--manifests", type=Path, metavar="DIR", help="write Kubernetes objects and Helm releases")
    plan.add_argument("--graph", type=Path, metavar="FILE", help="write the resource graph (.dot or .mmd)")
    plan.add_argument("--quiet", action="store_true", help="print only the summary and violations")
    return parser


def _print_violations(violations: Sequence[Violation]) -> None:
    for v in violations:
        level = "mandatory" if v.mandatory else "advisory"
        print(f"  [{level}] {v.rule}: {v.message}\n      resource: {v.urn}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project_dir = args.project_dir.resolve()
    try:
        _, plan = evaluate_stack(project_dir, args.stack)
    except SettingsError as error:
        where = f"stacks/Pulumi.{args.stack}.yaml"
        print(f"error: invalid {where}: {error}", file=sys.stderr)
        return EXIT_INVALID
    violations = check_policies(plan)
    if not args.quiet:
        print(render_tree(plan))
    else:
        print(f"{args.stack}: {len(plan.resources) + 1} resources to create")
    if violations:
        print(f"\nPolicy violations ({len(violations)}):")
        _print_violations(violations)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = plan.as_json([v.as_json() for v in violations])
        args.json.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    if args.manifests:
        written = write_manifests(plan, args.manifests)
        print(f"wrote {len(written)} manifests under {args.manifests}")
    if args.graph:
        fmt = "dot" if args.graph.suffix == ".dot" else "mermaid"
        args.graph.parent.mkdir(parents=True, exist_ok=True)
        args.graph.write_text(render_graph(plan, fmt), encoding="utf-8")
    if any(v.mandatory for v in violations):
        print(f"error: {sum(v.mandatory for v in violations)} mandatory policy violation(s)", file=sys.stderr)
        return EXIT_POLICY
    return EXIT_OK
