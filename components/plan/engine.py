"""A recording mock engine: evaluates a Pulumi program in-process, with no CLI, plugin or cloud.

It stands in for the Pulumi engine through ``pulumi.runtime.set_mocks`` with a monitor that records every
registration request as it arrives (type, name, parent, provider, dependencies, protect, inputs ...), and
answers with the deterministic outputs of :mod:`components.plan.fake_cloud`. The tests and the offline plan
use this one engine, so what the tests check is what the plan shows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.plan.fake_cloud import FakeCloud

__all__ = ["SECRET", "Plan", "RecordedResource", "run_program"]

SECRET = "[secret]"
"""What a Pulumi secret looks like in a plan: the value never leaves the engine."""


@dataclass
class RecordedResource:
    """One registration request, as the engine received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    dependencies: list[str]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    replace_on_changes: list[str]
    additional_secret_outputs: list[str]
    raw_inputs: dict[str, Any]
    """Inputs with secrets unwrapped to plaintext: for tests that assert a secret's content, never for display."""
    inputs: dict[str, Any]
    """Inputs with every secret value replaced by ``[secret]``: what the plan shows and writes."""
    secret_paths: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    """Redacted outputs that the fake cloud returned."""

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "protect": self.protect,
            "retain_on_delete": self.retain_on_delete,
            "delete_before_replace": self.delete_before_replace,
            "replace_on_changes": self.replace_on_changes,
            "additional_secret_outputs": self.additional_secret_outputs,
            "inputs": self.inputs,
        }


@dataclass
class Plan:
    """What a program would register (sorted by URN) and its stack outputs."""

    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]

    def find(self, type_token: str, name: str | None = None) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token and (name is None or r.name == name)]

    def one(self, type_token: str, name: str | None = None) -> RecordedResource:
        found = self.find(type_token, name)
        assert len(found) == 1, f"expected one {type_token} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def children(self, parent: RecordedResource) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def as_json(self, violations: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.as_json() for r in self.resources],
            "outputs": self.outputs,
            "violations": list(violations),
        }


def _redact(value: Any, path: str, secret_paths: list[str]) -> tuple[Any, Any]:
    """Return (plaintext, redacted) copies of a deserialized property value."""
    if rpc.is_rpc_secret(value):
        secret_paths.append(path)
        plain, _ = _redact(rpc.unwrap_rpc_secret(value), path, [])
        return plain, SECRET
    if isinstance(value, dict):
        pairs = {k: _redact(v, f"{path}.{k}" if path else k, secret_paths) for k, v in value.items()}
        return {k: p for k, (p, _) in pairs.items()}, {k: r for k, (_, r) in pairs.items()}
    if isinstance(value, list):
        items = [_redact(v, f"{path}[{i}]", secret_paths) for i, v in enumerate(value)]
        return [p for p, _ in items], [r for _, r in items]
    if isinstance(value, float) and value.is_integer():
        # The wire format (protobuf Struct) has only doubles: `replicas: 3` arrives as 3.0, which Kubernetes and
        # the validators would reject. A whole number in our inputs was an int.
        return int(value), int(value)
    return value, value


def _strip_provider_id(reference: str) -> str | None:
    # A provider reference is "<urn>::<id>"; the plan speaks of URNs only.
    if not reference:
        return None
    return reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, cloud: FakeCloud) -> None:
        super().__init__(cloud)
        self.cloud = cloud
        self.recorded: list[RecordedResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The real engine leaves the root Stack out of a child's qualified type; the stock mock does not,
        # and the plan's URNs must be the ones `pulumi preview` shows.
        if "::pulumi:pulumi:Stack::" in parent:
            parent = ""
        return str(super().make_urn(parent, type_, name))

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        secret_paths: list[str] = []
        plain, redacted = _redact(rpc.deserialize_properties(request.object), "", secret_paths)
        _, outputs = _redact(self.resources[response.urn].state, "", [])
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=_strip_provider_id(request.provider),
                dependencies=list(request.dependencies),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                replace_on_changes=list(request.replaceOnChanges),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                raw_inputs=plain,
                inputs=redacted,
                secret_paths=secret_paths,
                outputs=outputs,
            )
        )
        return response


def _config_value(value: Any) -> str:
    # Pulumi hands structured config to programs as JSON text, exactly as the CLI does.
    return value if isinstance(value, str) else json.dumps(value)


@contextmanager
def _isolated_config(config: Mapping[str, Any], secret_keys: Sequence[str]) -> Iterator[None]:
    # The ambient PULUMI_CONFIG of a real deployment must not leak into an offline evaluation.
    saved_env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("PULUMI_CONFIG")}
    saved_config = runtime_config.CONFIG.get()
    saved_secret_keys = runtime_config._SECRET_KEYS.get()
    runtime_config.set_all_config({k: _config_value(v) for k, v in config.items()}, list(secret_keys))
    try:
        yield
    finally:
        runtime_config.CONFIG.set(saved_config)
        runtime_config._SECRET_KEYS.set(saved_secret_keys)
        os.environ.update(saved_env)


def _resolve(value: Any) -> Any:
    """Resolve a stack output to plain data, secrets as ``[secret]``."""
    output = pulumi.Output.from_input(value)
    if _sync_await(output.is_secret()):
        return SECRET
    return _redact(_sync_await(output.future()), "", [])[1]


@contextmanager
def _references_as_ids() -> Iterator[None]:
    """Deserialize resource references as their id (custom resource) or URN (component), as a plan shows them.

    Rebuilding a Python resource from a reference (a Role passed as eks.Cluster's ``serviceRole``, a Cluster passed
    to a ManagedNodeGroup) calls ``Resource.get`` on the mock monitor's thread; its RPC belongs to that thread's
    event loop and ``run_pulumi_func`` then fails with "attached to a different loop". Patched for the whole run,
    not per call, because the monitor serves registrations from several threads at once.
    """
    saved = rpc.get_resource_module, rpc.get_resource_package
    rpc.get_resource_module = lambda *_: None
    rpc.get_resource_package = lambda *_: None
    try:
        yield
    finally:
        rpc.get_resource_module, rpc.get_resource_package = saved


def run_program(
    program: Callable[[], object],
    *,
    stack: str = "dev",
    project: str = "eks-config-secrets",
    config: Mapping[str, Any] | None = None,
    secret_keys: Sequence[str] = (),
) -> Plan:
    """Evaluate ``program`` under the recording engine and return what it registered.

    ``config`` maps full keys (``eks-config-secrets:cluster``, ``aws:region``) to values (structured values
    are passed as JSON, as the CLI does); keys in ``secret_keys`` are secrets. The program's exception, such
    as a :class:`~components.validation.SettingsError`, propagates unchanged.
    """
    def run() -> None:
        # run_pulumi_func awaits what its function returns; what a program returns (runpy's globals, a
        # component) is not an awaitable.
        program()

    config = dict(config or {})
    region = config.get("aws:region", "us-east-1")
    cloud = FakeCloud(region=str(region))
    monitor = _RecordingMonitor(cloud)
    with _isolated_config(config, secret_keys), _references_as_ids():
        settings.reset_options()
        pulumi_mocks.set_mocks(cloud, project=project, stack=stack, preview=False, monitor=monitor)
        try:
            _sync_await(run_pulumi_func(run))
            root = settings.get_root_resource()
            exported = dict(getattr(root, "outputs", {}))
            outputs = {name: _resolve(value) for name, value in sorted(exported.items())}
        finally:
            settings.reset_options()
    # Registrations complete in whatever order the SDK's threads finish; sort so that plans diff cleanly.
    resources = sorted(monitor.recorded, key=lambda r: r.urn)
    return Plan(project=project, stack=stack, resources=resources, outputs=outputs)
