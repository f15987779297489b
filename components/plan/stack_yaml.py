"""Reading a Pulumi stack file the way the Pulumi CLI would, refusing what it would refuse or misread.

The CLI reads stack files with Go's YAML (``gopkg.in/yaml.v3``), which differs from PyYAML's ``safe_load`` in
ways that matter to a gate: it refuses a mapping with a duplicate key ("mapping key already defined") where
PyYAML keeps the last one, and it bounds alias expansion ("document contains excessive aliasing") where a
PyYAML document of nested aliases stays small in memory until something serialises it (a billion-laughs file
becomes gigabytes of JSON when the settings are handed to the program). Every problem here is one
:class:`~components.validation.SettingsError` naming the file, the line and the key, never a traceback.

Pulumi also normalises keys: ``cluster`` in a stack file of project ``eks-config-secrets`` *is*
``eks-config-secrets:cluster`` (``pulumi config set cluster`` writes the prefixed form), so giving both is the
same setting twice; the CLI keeps one of them silently, and we refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from components.validation import SettingsError, refuse_secure_value

__all__ = ["MAX_EXPANDED_NODES", "SECURE", "load_yaml", "secure_keys", "stack_config"]

MAX_EXPANDED_NODES = 100_000
"""How many values a document may hold once its aliases are expanded. Ours hold a few hundred; go-yaml v3 refuses
a document whose alias expansions exceed about 100 times its size past 400 000 decoded values, so a legitimate
stack file is far below either bound while a billion-laughs file (10^9 values) is refused after a linear walk."""

SECURE = "secure"
"""The one key of a mapping that holds an encrypted value (``key: {secure: v1:...}``)."""

_STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")
"""The top-level keys of a stack file (pulumi/pulumi ``sdk/go/common/workspace/project.go``, ``ProjectStack``)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise SettingsError(_where(self.name, key_node), "<key>", "is a list or mapping used as a key")
            if key in seen:
                raise SettingsError(_where(self.name, key_node), key,
                                    f"is given twice in one mapping (first at line {seen[key].start_mark.line + 1}); "
                                    "`pulumi` refuses duplicate keys: keep one")
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping)


def _where(source: str, node: yaml.Node) -> str:
    return f"{source} line {node.start_mark.line + 1}"


def _expanded_size(root: yaml.Node, source: str) -> int:
    """The number of values the document holds with every alias expanded, computed once per distinct node."""
    sizes: dict[int, int] = {}
    # Post-order without recursion: a deeply nested document must not hit Python's recursion limit.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    in_progress: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if children_done:
            in_progress.discard(key)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > MAX_EXPANDED_NODES:
                raise SettingsError(source, "<document>", f"holds more than {MAX_EXPANDED_NODES} values once its "
                                                          "aliases are expanded (an alias bomb?): write the values out")
            sizes[key] = total
            continue
        if key in in_progress:
            raise SettingsError(_where(source, node), "<alias>", "refers to itself (a recursive alias)")
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document strictly: duplicate keys and alias bombs are errors, and so is bad syntax."""
    loader = _StrictLoader(text)
    loader.name = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, source)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source} line {mark.line + 1} column {mark.column + 1}" if mark else source
        problem = error.problem or "is not valid YAML"
        if "'\\t'" in problem:
            problem = "a tab character (YAML indents with spaces, never tabs)"
        raise SettingsError(where, "<yaml>", f"is not valid YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise SettingsError(source, "<yaml>", f"is not valid YAML: {error}") from None
    except RecursionError:
        # PyYAML's parser recurses per level; go-yaml v3 also stops at a depth limit ("exceeded max depth").
        raise SettingsError(source, "<document>", "is nested too deeply to be a stack file") from None
    finally:
        loader.dispose()


def stack_config(document: Any, project: str, source: str) -> dict[str, Any]:
    """The ``config:`` mapping of a parsed stack file, its keys in the full ``namespace:key`` form."""
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise SettingsError(source, f"<{type(document).__name__}>", "is not a mapping with a `config:` key")
    unknown = sorted(str(k) for k in document if k not in _STACK_FILE_KEYS)
    if unknown:
        raise SettingsError(f"{source}: {unknown[0]}", "<set>",
                            f"is not a stack file key (known: {', '.join(_STACK_FILE_KEYS)})")
    raw = document.get("config")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{source}: config", f"<{type(raw).__name__}>",
                            "is not a mapping of settings (`key: value` lines under `config:`)")
    config: dict[str, Any] = {}
    written: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key:
            raise SettingsError(f"{source}: config", key, "is not a setting name")
        # A key without a namespace belongs to the project, as in `pulumi config set`.
        full_key = key if ":" in key else f"{project}:{key}"
        if full_key in written:
            raise SettingsError(f"{source}: config.{key}", "<set>",
                                f"is the same setting as config.{written[full_key]} (a key without a namespace "
                                f"belongs to the project {project!r}): keep one")
        written[full_key] = key
        config[full_key] = value
    return config


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {SECURE}


def secure_keys(config: Mapping[str, Any]) -> list[str]:
    """The settings whose whole value is ``secure:``; a ``secure:`` value nested anywhere else is an error.

    Pulumi decrypts a nested ``secure:`` value (``pulumi config set --path --secret``) into its place in the
    structure and hands the program the structure as one JSON text: whatever reads it there (a ConfigMap's data)
    gets the plaintext, unmarked. Our secrets are top-level settings that other settings name, so a secure value
    anywhere else is refused, by key and without its value.
    """
    found = []
    for key, value in config.items():
        if _is_secure(value):
            found.append(key)
            continue
        pending: list[tuple[str, Any]] = [(key, value)]
        while pending:
            path, item = pending.pop()
            if _is_secure(item):
                raise refuse_secure_value(path)
            if isinstance(item, Mapping):
                pending.extend((f"{path}.{k}", v) for k, v in item.items())
            elif isinstance(item, list):
                pending.extend((f"{path}[{i}]", v) for i, v in enumerate(item))
    return found
