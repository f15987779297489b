"""Generate docs/components.md, the reference of every public component's arguments and outputs.

The text comes from the code itself: each ``XxxArgs`` TypedDict field with its type and docstring, and each
component's typed ``pulumi.Output`` attributes with theirs, so the reference cannot drift from the docstrings.
``tests/test_component_reference.py`` fails when the committed file is stale.

    .venv/bin/python tools/component_reference.py          # rewrite docs/components.md
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "components.md"


def _docstrings(body: list[ast.stmt]) -> dict[str, tuple[str, str]]:
    """Annotated names of a class body -> (type, the string literal right below them)."""
    found: dict[str, tuple[str, str]] = {}
    for index, node in enumerate(body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            following = body[index + 1] if index + 1 < len(body) else None
            doc = ""
            if (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)):
                doc = inspect.cleandoc(following.value.value)
            found[node.target.id] = (ast.unparse(node.annotation), doc)
    return found


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _class_section(source: ast.Module, class_name: str) -> ast.ClassDef:
    for node in source.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return node
    raise LookupError(class_name)


def render() -> str:
    sys.path.insert(0, str(ROOT))
    package = importlib.import_module("components")
    lines = [
        "# Component reference",
        "",
        "Generated from the docstrings by `tools/component_reference.py`; do not edit by hand.",
        "Each component is `Name(name: str, args: NameArgs, opts: pulumi.ResourceOptions | None = None)`.",
        "",
    ]
    for public in package.__all__:
        component = getattr(package, public)
        if not (inspect.isclass(component) and hasattr(component, "__init__")
                and any(base.__name__ == "ComponentResource" for base in inspect.getmro(component))):
            continue
        module_path = Path(inspect.getfile(component))
        source = ast.parse(module_path.read_text(encoding="utf-8"))
        cls = _class_section(source, component.__name__)
        lines += [f"## {component.__name__}", "", inspect.cleandoc(component.__doc__ or ""), "",
                  f"Source: `components/{module_path.name}`", ""]
        # The component's own Args first, then the nested ones it refers to (node groups, secrets, ...).
        args_classes = sorted(
            (n for n in source.body if isinstance(n, ast.ClassDef) and n.name.endswith("Args")),
            key=lambda n: n.name != f"{component.__name__}Args",
        )
        for args_cls in args_classes:
            lines += [f"### {args_cls.name}", "", "| argument | type | meaning (and default) |", "| --- | --- | --- |"]
            for field, (annotation, doc) in _docstrings(args_cls.body).items():
                lines.append(f"| `{field}` | `{_cell(annotation)}` | {_cell(doc)} |")
            lines.append("")
        outputs = {k: v for k, v in _docstrings(cls.body).items() if not k.startswith("_")}
        if outputs:
            lines += ["### Outputs", "", "| attribute | type | meaning |", "| --- | --- | --- |"]
            for field, (annotation, doc) in outputs.items():
                lines.append(f"| `{field}` | `{_cell(annotation)}` | {_cell(doc)} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
