"""The diff and review of a change, for a terminal (like ``pulumi preview --diff``) and as Markdown (a CI job
summary or a pull-request comment). Paths only, never values: a secret shows as the path that changed."""

from __future__ import annotations

from collections.abc import Sequence

from components.plan.diff import Change, count
from components.plan.replacements import OPS
from components.plan.review import Finding

__all__ = ["render_markdown", "render_text", "summary"]

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "create-before-replace": "++",
           "delete-before-replace": "-+", "delete": "-"}
"""``++``: the new object is created before the old one is deleted; ``-+``: the old one is deleted first."""


def _op(change: Change) -> str:
    return change.op if change.verified else f"{change.op} (not verified)"


def summary(changes: Sequence[Change], total: int) -> str:
    """``1 to update, 1 to delete-before-replace, 47 unchanged`` (``total``: the head plan's resources)."""
    totals = count(changes)
    unchanged = total - sum(n for op, n in totals.items() if op != "delete")
    return ", ".join([*(f"{totals[op]} to {op}" for op in OPS if op in totals), f"{unchanged} unchanged"])


def render_text(stack: str, base: str, changes: Sequence[Change], findings: Sequence[Finding], total: int) -> str:
    lines = [f"Changes of {stack} against {base}:"]
    for c in changes:
        lines.append(f"  {SYMBOLS[c.op]:<2} {_op(c):<22} {c.type}  {c.name}")
        if c.paths:
            lines.append(f"       paths: {', '.join(c.paths)}")
        lines.append(f"       why: {c.reason}")
    lines.append(f"Resources: {summary(changes, total)}")
    if findings:
        lines.append(f"\nReview ({len(findings)}):")
        lines += [f"  [{f.severity}] {f.kind}: {f.message}" for f in findings]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(stack: str, base: str, changes: Sequence[Change], findings: Sequence[Finding], total: int) -> str:
    lines = [f"### `{stack}`: changes against `{_cell(base)}`", "", f"**{summary(changes, total)}**", ""]
    if changes:
        lines += ["| op | type | name | changed paths | why |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{SYMBOLS[c.op]}` {_op(c)} | `{c.type}` | {c.name} | "
                  f"{_cell(', '.join(f'`{p}`' for p in c.paths))} | {_cell(c.reason)} |" for c in changes]
    else:
        lines.append("No changes.")
    lines += ["", "#### Security review", ""]
    lines += [f"- **{f.severity}** {f.kind}: {_cell(f.message)}" for f in findings] or ["Nothing to review."]
    return "\n".join(lines) + "\n"
