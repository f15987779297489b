"""components/plan/stack_yaml.py: stack files are read as the Pulumi CLI (go-yaml v3) reads them, or refused in
one line."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from components.plan.stack_yaml import MAX_EXPANDED_NODES, load_yaml, secure_keys, stack_config
from components.validation import SettingsError


def error_of(text: str) -> str:
    with pytest.raises(SettingsError) as caught:
        stack_config(load_yaml(text, "Pulumi.dev.yaml"), "demo", "Pulumi.dev.yaml")
    return str(caught.value)


def test_tab_indentation_is_one_message_with_its_line() -> None:
    assert error_of("config:\n  demo:a: 1\n\tdemo:b: 2\n") == (
        "Pulumi.dev.yaml line 3 column 1 '<yaml>' is not valid YAML: a tab character (YAML indents with spaces, "
        "never tabs)"
    )


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("just text\n", "str")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    assert error_of(text) == f"Pulumi.dev.yaml '<{kind}>' is not a mapping with a `config:` key"


@pytest.mark.parametrize(("text", "kind"), [("config: [a, b]\n", "list"), ("config: text\n", "str")])
def test_config_must_be_a_mapping(text: str, kind: str) -> None:
    assert error_of(text).startswith(f"Pulumi.dev.yaml: config '<{kind}>' is not a mapping of settings")


def test_unknown_top_level_key_is_refused() -> None:
    assert error_of("confg:\n  demo:a: 1\n").startswith("Pulumi.dev.yaml: confg '<set>' is not a stack file key")


def test_duplicate_key_is_an_error_not_last_one_wins() -> None:
    assert error_of("config:\n  demo:a: 1\n  demo:b: 2\n  demo:a: 3\n") == (
        "Pulumi.dev.yaml line 4 'demo:a' is given twice in one mapping (first at line 2); `pulumi` refuses "
        "duplicate keys: keep one"
    )


def test_duplicate_key_nested_deep_is_an_error() -> None:
    assert "'name' is given twice" in error_of("config:\n  demo:x:\n    - name: a\n      name: b\n")


def test_same_setting_with_and_without_project_prefix_is_an_error() -> None:
    assert error_of("config:\n  demo:cluster: {a: 1}\n  cluster: {a: 2}\n") == (
        "Pulumi.dev.yaml: config.cluster '<set>' is the same setting as config.demo:cluster (a key without a "
        "namespace belongs to the project 'demo'): keep one"
    )


def test_alias_bomb_is_refused_quickly_and_small() -> None:
    lines = ["config:", "  demo:a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"  demo:a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(SettingsError) as caught:
        load_yaml("\n".join(lines) + "\n", "Pulumi.dev.yaml")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert f"holds more than {MAX_EXPANDED_NODES} values once its aliases are expanded" in str(caught.value)
    assert elapsed < 2 and peak < 20 * 2**20


def test_ordinary_aliases_still_work() -> None:
    document = load_yaml("base: &b {x: 1}\nconfig:\n  demo:a: *b\n  demo:c: *b\n", "f")
    assert document["config"] == {"demo:a": {"x": 1}, "demo:c": {"x": 1}}


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(SettingsError, match="refers to itself"):
        load_yaml("a: &a [1, *a]\n", "f")


def test_deeply_nested_document_is_one_message_not_a_recursion_error() -> None:
    text = "config:\n  demo:a: " + "[" * 3000 + "]" * 3000 + "\n"
    with pytest.raises(SettingsError, match="nested too deeply"):
        load_yaml(text, "f")


def test_nested_secure_value_is_refused_by_key_without_its_value() -> None:
    text = "config:\n  demo:envs:\n    - data:\n        TOKEN:\n          secure: v1:Y2lwaGVydGV4dA==\n"
    config = stack_config(load_yaml(text, "f"), "demo", "f")
    with pytest.raises(SettingsError) as caught:
        secure_keys(config)
    assert str(caught.value) == (
        "demo:envs[0].data.TOKEN (secret) is a secure value where no secret is expected: set it as a top-level "
        "secret setting (`pulumi config set --secret <name>`) and refer to it by name"
    )


def test_top_level_secure_values_are_the_secret_keys() -> None:
    config = {"demo:a": {"secure": "v1:x"}, "demo:b": {"secure": "v1:y", "other": 1}, "demo:c": "plain"}
    assert secure_keys(config) == ["demo:a"]
