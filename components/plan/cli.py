"""``python -m components plan``: the stack program evaluated offline, with no cloud and no Pulumi CLI.

It reads the stack file as ``pulumi up`` would, minus what needs Pulumi Cloud or a key: each ``secure:`` value
becomes a placeholder (:func:`components.plan.offline.offline_placeholder`), and the Pulumi ESC environments that the
stack imports (``environment:``) are not opened. A secret setting they supply is taken as supplied; any other
setting can be given with ``--config KEY=VALUE``.

Exit codes: 0 the plan is clean; 1 the settings (or ``--base``) are invalid (one message naming the key); 2 a
mandatory security policy is violated; 3 (with ``--base``) the change loses data (a replace or delete of a KMS key,
the cluster, a log group, a Namespace or a Secret) and ``--allow-data-loss`` was not given, or it replaces or
deletes a protected resource, which the engine refuses whatever the flag. Exit 2 wins over 3.
"""

from __future__ import annotations

import argparse
import json
import re
import runpy
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.errors import InputPropertiesError

from components.access.chain import render_matrix
from components.doctor.cli import add_doctor_parser, run_doctor
from components.plan.base import BaseError, load_base
from components.plan.diff import diff_plans
from components.plan.engine import Plan, run_program
from components.plan.offline import UNSET_SECRETS, offline, offline_placeholder
from components.plan.policies import Violation, check_policies, prove_plan_access
from components.plan.render import render_graph, render_tree, write_manifests, write_owner_grants
from components.plan.report import render_markdown, render_text
from components.plan.review import Finding, review
from components.plan.rotation_cost import (
    ROTATION_COST_DEFAULTS,
    STACK_PRICES,
    RotationCostSettings,
    estimate_rotation_cost,
)
from components.plan.stack_yaml import load_yaml, secure_keys, stack_config
from components.policy_rules import RULES
from components.policy_rules.pack_config import load_pack_config
from components.validation import MissingSettingError, SettingsError

__all__ = ["StackFile", "evaluate_stack", "load_stack_file", "main"]

EXIT_OK, EXIT_INVALID, EXIT_POLICY, EXIT_DATA_LOSS = 0, 1, 2, 3


@dataclass(frozen=True)
class StackFile:
    project: str
    stack: str
    path: Path
    config: dict[str, Any]
    """Full key -> value: the stack file's ``config:`` (``secure:`` values as placeholders), then ``--config``."""
    secret_keys: tuple[str, ...]
    environments: tuple[str, ...] = ()
    """The Pulumi ESC environments that the stack imports: they supply settings that the offline plan cannot see."""


def _esc_imports(items: Any, setting: str) -> tuple[str, ...]:
    if not isinstance(items, list):
        raise SettingsError(setting, items, "is not a list of Pulumi ESC environment names")
    names = []
    for i, item in enumerate(items):
        # An import is a name, or a name with its options (`- project/env: {merge: false}`).
        name = next(iter(item)) if isinstance(item, dict) and len(item) == 1 else item
        if not isinstance(name, str) or not name:
            raise SettingsError(f"{setting}[{i}]", item, "is not a Pulumi ESC environment name ('project/env')")
        names.append(name)
    return tuple(names)


def _esc_environments(value: Any) -> tuple[str, ...]:
    """What a stack file's ``environment:`` imports, in either shape Pulumi accepts: a list of environment names,
    or an inline environment definition (``imports:`` and ``values:``). See pulumi/pulumi
    ``sdk/go/common/workspace/environment_config.go`` (2026) and the stack settings file reference."""
    if value is None:
        return ()
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"imports", "values"})
        if unknown:
            raise SettingsError(f"environment.{unknown[0]}", value[unknown[0]],
                                "is not part of an environment definition (imports, values)")
        inline = ("the stack file's own environment definition",) if "values" in value else ()
        return _esc_imports(value.get("imports") or [], "environment.imports") + inline
    return _esc_imports(value, "environment")


def _config_override(project: str, assignment: str) -> tuple[str, Any]:
    key, equals, text = assignment.partition("=")
    if not equals or not key:
        raise SettingsError("--config", assignment, "is not KEY=VALUE (e.g. --config aws:region=eu-west-1)")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise SettingsError(f"--config {key}", text, "is not a YAML value (quote it: 'a: b' is a map)") from None
    return (key if ":" in key else f"{project}:{key}"), value


def load_stack_file(project_dir: Path, stack: str, overrides: Sequence[str] = ()) -> StackFile:
    """Read Pulumi.yaml and the stack's config file the way the CLI would (minus decryption and ESC).

    ``overrides`` are ``KEY=VALUE`` settings (``plan --config``) that replace or add to the stack file's: the
    value is read as YAML (``5432``, ``true``, ``[a, b]``, ``{name: x}``), a key without namespace is the
    project's, and the value is plain text, as ``pulumi config set`` without ``--secret`` would store it.
    """
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise SettingsError("--project-dir", str(project_dir), "has no Pulumi.yaml")
    project = load_yaml(_read_text(project_file), str(project_file))
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise SettingsError(str(project_file), "<document>", "is not a mapping with a `name:`")
    config_dir = project_dir / str(project.get("stackConfigDir", "."))
    path = config_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
        raise SettingsError("--stack", stack, f"has no stack file {path} (stacks: {', '.join(known)})")
    document = load_yaml(_read_text(path), str(path))
    config = stack_config(document, project["name"], str(path))
    secret_keys = secure_keys(config)
    for key in secret_keys:
        config[key] = offline_placeholder(key, str(config[key]["secure"]))
    for assignment in overrides:
        full_key, config[full_key] = _config_override(project["name"], assignment)
        if full_key in secret_keys:
            secret_keys.remove(full_key)
    environment = document.get("environment") if isinstance(document, dict) else None
    return StackFile(project["name"], stack, path, config, tuple(secret_keys), _esc_environments(environment))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SettingsError(str(path), f"<byte {error.start}>", "is not UTF-8 text") from None


def _supplied_by_esc(error: MissingSettingError, stack_file: StackFile) -> SettingsError:
    # What `--config` takes: the setting's top-level config key, without the project's namespace.
    namespace, _, path = error.setting.partition(":")
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    key = top if namespace == stack_file.project else f"{namespace}:{top}"
    return SettingsError(error.setting, error.value, (
        f"{error.expected}; the stack imports the Pulumi ESC environment(s) {', '.join(stack_file.environments)}, "
        f"which the offline plan cannot open: if they supply it, pass it with `plan --config {key}=<value>`"))


def evaluate_stack(project_dir: Path, stack: str, overrides: Sequence[str] = (),
                   unset_secrets: list[str] | None = None,
                   prices: list[RotationCostSettings] | None = None) -> tuple[StackFile, Plan]:
    """Run the project's ``__main__.py`` for ``stack`` under the recording engine, offline (``overrides`` as in
    :func:`load_stack_file`). ``unset_secrets``, when given, collects the secret settings that the program refers
    to and the stack file does not hold; ``prices``, the rotation prices that the program's settings set."""
    stack_file = load_stack_file(project_dir, stack, overrides)
    program = project_dir / "__main__.py"
    if not program.is_file():
        raise SettingsError("--project-dir", str(project_dir), "has no __main__.py (the program to plan)")
    unset_token = UNSET_SECRETS.set(unset_secrets)
    prices_token = STACK_PRICES.set(prices)
    try:
        with offline():
            plan = run_program(
                lambda: runpy.run_path(str(program), run_name="__main__"),
                stack=stack,
                project=stack_file.project,
                config=stack_file.config,
                secret_keys=stack_file.secret_keys,
            )
    except MissingSettingError as error:
        if not stack_file.environments:
            raise
        raise _supplied_by_esc(error, stack_file) from None
    finally:
        STACK_PRICES.reset(prices_token)
        UNSET_SECRETS.reset(unset_token)
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
    plan.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                      help="set or replace a setting for this plan (value read as YAML; repeatable), e.g. one "
                           "that an imported Pulumi ESC environment supplies")
    plan.add_argument("--policy-pack-config", type=Path, metavar="FILE",
                      help="the policy pack configuration `pulumi preview --policy-pack-config` reads: each rule's "
                           "enforcement level and settings (protectedStacks) for this plan")
    plan.add_argument("--quiet", action="store_true", help="print only the summary and violations")
    plan.add_argument("--base", metavar="BASE",
                      help="a plan JSON file or a git revision: print what the change would update, replace or "
                           "delete, and its security review (the JSON gains `changes` and `review`)")
    plan.add_argument("--markdown", type=Path, metavar="FILE",
                      help="with --base: write the diff and review as Markdown")
    plan.add_argument("--allow-data-loss", action="store_true",
                      help="with --base: do not fail (exit 3) on a replace or delete that loses data")
    add_doctor_parser(commands)
    commands.add_parser("schema", help="print the Pulumi package schema that the component provider serves (JSON)")
    return parser


def _print_violations(violations: Sequence[Violation]) -> None:
    for v in violations:
        level = "mandatory" if v.mandatory else "advisory"
        print(f"  [{level}] {v.rule}: {v.message}\n      resource: {v.urn}")


def _print_unset_secrets(stack_file: StackFile, unset: Sequence[str]) -> None:
    if not unset:
        return
    if stack_file.environments:
        print(f"\nSecret settings not in the stack file, to come from ESC environment(s) "
              f"{', '.join(stack_file.environments)} (or `pulumi config set --secret`):")
    else:
        print("\nSecret settings not in the stack file: each must be set with `pulumi config set --secret` before "
              "`pulumi up`:")
    for key in unset:
        print(f"  {key}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        return run_doctor(args)
    if args.command == "schema":
        # Imported here: the analyzer reads every component, which `plan` and `doctor` do not need.
        from components.package import schema_text  # noqa: PLC0415
        sys.stdout.write(schema_text())
        return 0
    project_dir = args.project_dir.resolve()
    unset: list[str] = []
    prices: list[RotationCostSettings] = []
    try:
        policy_config = load_pack_config(args.policy_pack_config, RULES) if args.policy_pack_config else None
        stack_file, plan = evaluate_stack(project_dir, args.stack, args.config, unset, prices)
    except SettingsError as error:
        for problem in error.problems:
            where = "" if problem.setting.startswith("--") else f"invalid stacks/Pulumi.{args.stack}.yaml: "
            print(f"error: {where}{problem}", file=sys.stderr)
        return EXIT_INVALID
    except (pulumi.RunError, InputPropertiesError) as error:
        # How a program or component reports a mistake to the Pulumi CLI: one message there, one message here.
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    cost = estimate_rotation_cost(plan, prices[0] if prices else ROTATION_COST_DEFAULTS)
    edges = prove_plan_access(plan)
    violations = [*check_policies(plan, edges, policy_config), *cost.violations(
        f"urn:pulumi:{args.stack}::{plan.project}::pulumi:pulumi:Stack::{plan.project}-{args.stack}")]
    # Through JSON, so that the head compares with a base read from a file value for value (lists, not tuples).
    document = json.loads(json.dumps(plan.as_json([v.as_json() for v in violations])))
    document["access"] = [e.as_json() for e in edges]
    findings: list[Finding] = []
    if args.base:
        try:
            base = load_base(args.base, project_dir, args.stack, args.config, args.policy_pack_config)
        except BaseError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_INVALID
        changes = diff_plans(base, document)
        findings = review(base, document, changes)
        document["changes"] = [c.as_json() for c in changes]
        document["review"] = [f.as_json() for f in findings]
        print(render_text(args.stack, args.base, changes, findings, len(plan.resources)))
        if args.markdown:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.write_text(render_markdown(args.stack, args.base, changes, findings, len(plan.resources)),
                                     encoding="utf-8")
    elif not args.quiet:
        print(render_tree(plan))
    else:
        print(f"{args.stack}: {len(plan.resources) + 1} resources to create")
    if cost.by_app:
        print(cost.summary())
    _print_unset_secrets(stack_file, unset)
    if edges and not args.base:
        # With --base the output is the change's review; a broken edge still prints as a violation below.
        print(f"\n{render_matrix(edges)}")
    if violations:
        print(f"\nPolicy violations ({len(violations)}):")
        _print_violations(violations)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document["unset_secrets"] = list(unset)
        document["rotation_cost"] = cost.as_json()
        args.json.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    if args.manifests:
        written = write_manifests(plan, args.manifests) + write_owner_grants(plan, args.manifests)
        print(f"wrote {len(written)} manifests under {args.manifests}")
    if args.graph:
        fmt = "dot" if args.graph.suffix == ".dot" else "mermaid"
        args.graph.parent.mkdir(parents=True, exist_ok=True)
        args.graph.write_text(render_graph(plan, fmt), encoding="utf-8")
    if any(v.mandatory for v in violations):
        print(f"error: {sum(v.mandatory for v in violations)} mandatory policy violation(s)", file=sys.stderr)
        return EXIT_POLICY
    return _data_loss_exit(findings, args.allow_data_loss)


def _data_loss_exit(findings: Sequence[Finding], allowed: bool) -> int:
    refused = [f for f in findings if f.kind == "protect"]
    lost = [f for f in findings if f.kind == "data-loss"]
    if refused:
        print(f"error: {len(refused)} protected resource(s) would be replaced or deleted", file=sys.stderr)
        return EXIT_DATA_LOSS
    if lost and not allowed:
        print(f"error: {len(lost)} change(s) lose data; review them, then pass --allow-data-loss", file=sys.stderr)
        return EXIT_DATA_LOSS
    return EXIT_OK
