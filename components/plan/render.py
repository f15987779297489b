"""Renderings of a plan: the preview-like tree, Kubernetes manifests, and the resource graph."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from components.plan.engine import Plan, RecordedResource

__all__ = ["kubernetes_manifests", "render_graph", "render_tree", "write_manifests"]

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


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
    rows: list[tuple[str, str]] = [("pulumi:pulumi:Stack", f"{plan.project}-{plan.stack}")]

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


def kubernetes_manifests(plan: Plan) -> list[dict[str, Any]]:
    """Every Kubernetes object as the API server would receive it (secret values as ``[secret]``)."""
    return [r.outputs for r in plan.resources if _is_manifest(r)]


def _file_name(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)) + ".yaml"


def write_manifests(plan: Plan, directory: Path) -> list[Path]:
    """Write one YAML file per Kubernetes object under a folder per namespace, and one per Helm release."""
    written: list[Path] = []
    for resource in plan.resources:
        if _is_manifest(resource):
            document = {k: v for k, v in resource.outputs.items() if k != "status"}
            metadata = document.get("metadata") or {}
            metadata.pop("uid", None)
            folder = directory / (metadata.get("namespace") or "_cluster")
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
            folder = directory / (inputs.get("namespace") or "default")
            path = folder / _file_name("helm-release", str(inputs.get("name")))
        else:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written


def _mermaid_id(urn: str, ids: dict[str, str]) -> str:
    return ids.setdefault(urn, f"r{len(ids)}")


def render_graph(plan: Plan, fmt: str) -> str:
    """The resource graph with components as clusters; ``fmt`` is ``dot`` or ``mermaid``."""
    children = _children(plan)
    ids: dict[str, str] = {}
    edges = [
        (dep, r.urn)
        for r in plan.resources
        for dep in r.dependencies
        if dep in {x.urn for x in plan.resources}
    ]
    if fmt == "dot":
        return _dot(children, edges, ids)
    if fmt == "mermaid":
        return _mermaid(children, edges, ids)
    raise ValueError(f"unknown graph format {fmt!r} (dot or mermaid)")


def _label(resource: RecordedResource) -> str:
    return f"{resource.type.split(':')[-1]}\\n{resource.name}"


def _dot(children: dict[str | None, list[RecordedResource]], edges: Iterable[tuple[str, str]],
         ids: dict[str, str]) -> str:
    lines = ["digraph plan {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]

    def walk(parent: str | None, indent: str) -> None:
        for child in children.get(parent, []):
            node = _mermaid_id(child.urn, ids)
            if child.urn in children:
                lines.append(f'{indent}subgraph cluster_{node} {{ label="{_label(child)}"; style=rounded;')
                lines.append(f'{indent}  {node} [label="{_label(child)}", shape=component];')
                walk(child.urn, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                lines.append(f'{indent}{node} [label="{_label(child)}"];')

    walk(None, "  ")
    lines += [f"  {_mermaid_id(a, ids)} -> {_mermaid_id(b, ids)};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(children: dict[str | None, list[RecordedResource]], edges: Iterable[tuple[str, str]],
             ids: dict[str, str]) -> str:
    lines = ["flowchart LR"]

    def walk(parent: str | None, indent: str) -> None:
        for child in children.get(parent, []):
            node = _mermaid_id(child.urn, ids)
            label = _label(child).replace("\\n", "<br/>")
            if child.urn in children:
                lines.append(f'{indent}subgraph {node}_group["{label}"]')
                walk(child.urn, indent + "  ")
                lines.append(f"{indent}end")
            else:
                lines.append(f'{indent}{node}["{label}"]')

    walk(None, "  ")
    # An edge into a component points at its cluster (subgraph) node.
    for a, b in edges:
        source = f"{_mermaid_id(a, ids)}_group" if a in children else _mermaid_id(a, ids)
        target = f"{_mermaid_id(b, ids)}_group" if b in children else _mermaid_id(b, ids)
        lines.append(f"  {source} --> {target}")
    return "\n".join(lines) + "\n"
