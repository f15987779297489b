"""Renderings of a plan: the preview-like tree, Kubernetes manifests, and the resource graph."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.conventions import HELM_RELEASE, STACK
from components.plan.engine import Plan, RecordedResource

__all__ = ["OWNER_GRANTS_DIR", "render_graph", "render_tree", "write_manifests", "write_owner_grants"]

OWNER_GRANTS_DIR = "owner-grants"
"""The folder, beside the namespaces' folders, of what other accounts must apply (the ``owner_grants`` output)."""



def _children(plan: Plan) -> dict[str | None, list[RecordedResource]]:
    known = {r.urn for r in plan.resources}
    children: dict[str | None, list[RecordedResource]] = defaultdict(list)
    for resource in plan.resources:
        # Top-level resources hang off the Stack, which the engine does not record as a resource.
        children[resource.parent if resource.parent in known else None].append(resource)
    return children


def render_tree(plan: Plan) -> str:
    """A `pulumi preview`-like tree: type and name, nested under the parent component."""
    children = _children(plan)
    rows: list[tuple[str, str]] = [(STACK, f"{plan.project}-{plan.stack}")]

    def walk(parent: str | None, prefix: str) -> None:
        kids = children.get(parent, [])
        for index, child in enumerate(kids):
            last = index == len(kids) - 1
            rows.append((f"{prefix}{'└─ ' if last else '├─ '}{child.type}", child.name))
            walk(child.urn, prefix + ("   " if last else "│  "))

    walk(None, "")
    width = max(len(t) for t, _ in rows) + 2
    lines = [f"     {'Type':<{width}}Name"]
    lines += [f" +   {t:<{width}}{n}" for t, n in rows]
    lines.append("")
    lines.append(f"Resources:\n    + {len(rows)} to create")
    return "\n".join(lines)


def _is_manifest(resource: RecordedResource) -> bool:
    return (
        resource.type.startswith("kubernetes:")
        and resource.type != HELM_RELEASE
        and "kind" in resource.outputs
    )


def _file_name(*parts: str) -> str:
    return _segment("-".join(parts)) + ".yaml"


def _segment(text: str) -> str:
    """``text`` as one path segment that stays where it is put: no separator, and no leading dot (``..``, ``.``).

    Namespaces and names come from the program, which may be anyone's: ``../../x`` or ``/etc`` must not steer a
    write outside the folder given to ``--manifests``.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    return f"_{cleaned}" if cleaned.startswith(".") or not cleaned else cleaned


_READING_ORDER = ("apiVersion", "kind", "metadata", "name", "namespace")
"""Keys that lead every map of a written manifest, in this order (as people write and read them); the rest
follow sorted, so that a manifest is the same on every run."""


def _in_reading_order(value: Any) -> Any:
    if isinstance(value, dict):
        rank = {key: index for index, key in enumerate(_READING_ORDER)}
        keys = sorted(value, key=lambda k: (rank.get(k, len(rank)), k))
        return {k: _in_reading_order(value[k]) for k in keys}
    if isinstance(value, list):
        return [_in_reading_order(v) for v in value]
    return value


def write_manifests(plan: Plan, directory: Path) -> list[Path]:
    """Write one YAML file per Kubernetes object under a folder per namespace, and one per Helm release.

    An object is written as the API server would receive it, secret values as ``[secret]`` (a Secret keeps its
    type and keys), minus what only the server sets (``metadata.uid``, ``status``).
    """
    written: list[Path] = []
    for resource in plan.resources:
        if _is_manifest(resource):
            outputs = {k: v for k, v in resource.outputs.items() if k != "status"}
            metadata = {k: v for k, v in (outputs.get("metadata") or {}).items() if k != "uid"}
            document = _in_reading_order({**outputs, "metadata": metadata})
            folder = directory / _segment(str(metadata.get("namespace") or "_cluster"))
            path = folder / _file_name(str(document["kind"]).lower(), str(metadata.get("name", resource.name)))
        elif resource.type == HELM_RELEASE:
            inputs = resource.outputs
            document = {
                "kind": "HelmRelease",
                "name": inputs.get("name"),
                "chart": inputs.get("chart"),
                "version": inputs.get("version"),
                "repository": (inputs.get("repositoryOpts") or {}).get("repo"),
                "namespace": inputs.get("namespace"),
                "values": inputs.get("values") or {},
            }
            folder = directory / _segment(str(inputs.get("namespace") or "default"))
            path = folder / _file_name("helm-release", str(inputs.get("name")))
        else:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written


def _node_id(urn: str, ids: dict[str, str]) -> str:
    return ids.setdefault(urn, f"r{len(ids)}")


def render_graph(plan: Plan, fmt: str) -> str:
    """The resource graph with components as clusters; ``fmt`` is ``dot`` or ``mermaid``."""
    children = _children(plan)
    edges = [
        (dep, r.urn)
        for r in plan.resources
        for dep in r.dependencies
        if dep in {x.urn for x in plan.resources}
    ]
    syntax = _SYNTAXES.get(fmt)
    if syntax is None:
        raise ValueError(f"unknown graph format {fmt!r} (dot or mermaid)")
    ids: dict[str, str] = {}
    lines = list(syntax.header)

    def walk(parent: str | None, indent: str) -> None:
        for child in children.get(parent, []):
            node = _node_id(child.urn, ids)
            label = f"{child.type.split(':')[-1]}{syntax.line_break}{child.name}"
            if child.urn in children:
                lines.extend(indent + line for line in syntax.group_open(node, label))
                walk(child.urn, indent + "  ")
                lines.append(indent + syntax.group_close)
            else:
                lines.append(indent + syntax.leaf(node, label))

    walk(None, "  ")
    lines += ["  " + syntax.edge(_node_id(a, ids), a in children, _node_id(b, ids), b in children) for a, b in edges]
    lines += syntax.footer
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Syntax:
    header: tuple[str, ...]
    footer: tuple[str, ...]
    line_break: str
    group_open: Callable[[str, str], list[str]]
    group_close: str
    leaf: Callable[[str, str], str]
    edge: Callable[[str, bool, str, bool], str]
    """(source id, source is a component, target id, target is a component) -> the edge."""


_SYNTAXES = {
    "dot": _Syntax(
        header=("digraph plan {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"),
        footer=("}",),
        line_break="\\n",
        group_open=lambda node, label: [f'subgraph cluster_{node} {{ label="{label}"; style=rounded;',
                                        f'  {node} [label="{label}", shape=component];'],
        group_close="}",
        leaf=lambda node, label: f'{node} [label="{label}"];',
        edge=lambda a, _a_group, b, _b_group: f"{a} -> {b};",
    ),
    "mermaid": _Syntax(
        header=("flowchart LR",),
        footer=(),
        line_break="<br/>",
        group_open=lambda node, label: [f'subgraph {node}_group["{label}"]'],
        group_close="end",
        leaf=lambda node, label: f'{node}["{label}"]',
        # An edge from or into a component joins its subgraph.
        edge=lambda a, a_group, b, b_group: f"{a}{'_group' if a_group else ''} --> {b}{'_group' if b_group else ''}",
    ),
}


def write_owner_grants(plan: Plan, directory: Path) -> list[Path]:
    """One JSON file per app under ``<directory>/owner-grants/<account>/``: the resource and key policies (or the
    target role's trust and permissions policies) that the account owning its secrets must apply."""
    written = []
    grants = plan.outputs.get("owner_grants")
    for app, found in sorted(grants.items() if isinstance(grants, dict) else []):
        for account in sorted({g["account"] for g in found}):
            path = directory / OWNER_GRANTS_DIR / account / _file_name(app).replace(".yaml", ".json")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps([g for g in found if g["account"] == account], indent=2) + "\n",
                            encoding="utf-8")
            written.append(path)
    return written
