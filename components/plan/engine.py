"""A recording mock engine: evaluates a Pulumi program in-process, with no CLI, plugin or cloud.

It stands in for the Pulumi engine through ``pulumi.runtime.set_mocks`` with a monitor that records every
registration request as it arrives (type, name, parent, provider, dependencies, protect, inputs ...), and
answers with the deterministic outputs of :mod:`components.plan.fake_cloud`. The tests and the offline plan
use this one engine, so what the tests check is what the plan shows.

What a plan shows is canonical, so that two runs (and two commits) compare byte for byte: resources sorted by
URN, dependencies and maps sorted, and each value that the program marked secret replaced, at that leaf, by
``[secret]`` (a Secret keeps its keys). The plaintext stays in ``RecordedResource.raw_inputs`` for tests; offline
it is a placeholder that follows the stack file's ciphertext (:func:`components.plan.offline.offline_placeholder`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.conventions import SECRET_MARKER, STACK
from components.plan.fake_cloud import FakeCloud

__all__ = ["Plan", "RecordedResource", "digest_key", "property_path", "run_program"]



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
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Top-level input -> the URNs whose outputs it was computed from: how a replacement reaches dependents."""
    identifiers: list[str] = field(default_factory=list)
    """The id, ARNs and names that other resources receive from this one (see :func:`_identifiers`)."""
    secret_digests: dict[str, str] = field(default_factory=dict)
    """Secret input path -> keyed digest of its value, so that two plans compare secrets without showing them."""

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
            "property_dependencies": self.property_dependencies,
            "identifiers": self.identifiers,
            "secret_digests": self.secret_digests,
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


def _decode(value: Any) -> Any:
    """A property value as the SDK put it on the wire, with each secret mark where the program set it.

    ``rpc.deserialize_properties`` would lift a nested secret mark to the whole enclosing object ("we can only
    set secret outputs on top level properties", pulumi/pulumi v3.272.0 ``sdk/python/lib/pulumi/runtime/rpc.py``),
    so that one secret env value would hide a whole Deployment spec. The wire keeps the mark on the Output that
    was secret (``serialize_property`` wraps exactly that value), so reading it ourselves redacts no more than the
    program marked. Reading references here, as ids, also spares rebuilding Python resources on the monitor's
    thread, whose RPCs belong to another event loop. Maps come out with sorted keys and whole numbers as ints,
    so that plans are canonical.
    """
    if isinstance(value, dict):
        signature = value.get(rpc._special_sig_key)
        if signature == rpc._special_secret_sig:
            return rpc.wrap_rpc_secret(_decode(value.get("value")))
        if signature == rpc._special_resource_sig:
            # A reference to a resource reads as its id (custom resource) or URN (component), as a plan shows it.
            return value.get("id") or value["urn"]
        # Null properties are absent, as the SDK's own deserializer has them.
        return {k: _decode(value[k]) for k in sorted(value) if value[k] is not None}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # The wire format (protobuf Struct) has only doubles: `replicas: 3` arrives as 3.0, which Kubernetes and
        # the validators would reject. A whole number in our inputs was an int.
        return int(value)
    return value


def _plain(value: Any) -> Any:
    """``value`` with every secret mark removed: the plaintext, for tests only."""
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def property_path(parent: str, key: str) -> str:
    """Pulumi's property path syntax: ``a.b``, and ``a["tls.crt"]`` for a key that is no plain name."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key)}]"


def _redact(value: Any, path: str = "", secret_paths: list[str] | None = None, secret: bool = False) -> Any:
    """``value`` with every secret leaf replaced by ``[secret]``, keeping the shape around it.

    Under a secret mark, map keys stay (a Secret keeps its keys: they are names, not values) and so does the
    length of a list; every scalar becomes ``[secret]``. Each redacted leaf's path goes to ``secret_paths``.
    """
    if rpc.is_rpc_secret(value):
        return _redact(rpc.unwrap_rpc_secret(value), path, secret_paths, True)
    if isinstance(value, dict):
        return {k: _redact(v, property_path(path, k), secret_paths, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, f"{path}[{i}]", secret_paths, secret) for i, v in enumerate(value)]
    if not secret:
        return value
    if secret_paths is not None:
        secret_paths.append(path)
    return SECRET_MARKER


_IDENTIFIER_OUTPUTS = ("arn", "name", "keyId", "uniqueId", "associationArn", "associationId", "oidcProviderArn",
                       "oidcIssuer", "endpoint")
"""Outputs that other resources take as inputs (ARNs in policies, names in references): what a replacement changes."""


def _identifiers(resource_id: str, outputs: Mapping[str, Any]) -> list[str]:
    metadata = outputs.get("metadata")
    found = {resource_id, *(outputs.get(k) for k in _IDENTIFIER_OUTPUTS)}
    if isinstance(metadata, dict):
        found |= {metadata.get("name"), metadata.get("uid")}
    return sorted(v for v in found if isinstance(v, str) and v and v != SECRET_MARKER)


def digest_key(project: str, stack: str) -> bytes:
    """The HMAC key of a stack's secret digests: the same on every run, so that two plans of a stack compare.

    It is public by construction; what it protects is the offline plan's secret *placeholders* (derived from the
    stack file's ciphertext, never from a decrypted value), so a digest tells only whether a ciphertext changed.
    """
    return hashlib.sha256(f"eks-config-secrets/plan-secret-digest/{project}/{stack}".encode()).digest()


_PATH_PART = re.compile(r'\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|([^.\[\]]+)')


def _value_at(value: Any, path: str) -> Any:
    """The value at a property path (``a.b``, ``a[0]``, ``a["tls.crt"]``)."""
    for position, quoted, name in _PATH_PART.findall(path):
        value = value[int(position)] if position else value[json.loads(quoted) if quoted else name]
    return value


def _secret_digests(plain: Mapping[str, Any], secret_paths: Sequence[str], key: bytes) -> dict[str, str]:
    return {
        path: hmac.new(key, json.dumps(_value_at(plain, path), sort_keys=True).encode(), hashlib.sha256).hexdigest()
        for path in sorted(secret_paths)
    }


def _strip_provider_id(reference: str) -> str | None:
    # A provider reference is "<urn>::<id>"; the plan speaks of URNs only.
    if not reference:
        return None
    return reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, cloud: FakeCloud, digest_key: bytes) -> None:
        super().__init__(cloud)
        self.cloud = cloud
        self.digest_key = digest_key
        self.recorded: list[RecordedResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The real engine leaves the root Stack out of a child's qualified type; the stock mock does not,
        # and the plan's URNs must be the ones `pulumi preview` shows.
        if "::pulumi:pulumi:Stack::" in parent:
            parent = ""
        return str(super().make_urn(parent, type_, name))

    def RegisterResource(self, request: Any) -> Any:
        # Not the stock mock's: it decodes inputs with the SDK's deserializer, which lifts nested secret marks.
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = _decode(json_format.MessageToDict(request.object))
        answered_id, state = self.cloud.new_resource(pulumi_mocks.MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
            custom=bool(request.custom)))
        resource_id = answered_id or ""
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        secret_paths: list[str] = []
        self.recorded.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=_strip_provider_id(request.provider),
                # The SDK gathers these in sets: sorted, a plan is the same on every run.
                dependencies=sorted(request.dependencies),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                replace_on_changes=sorted(request.replaceOnChanges),
                additional_secret_outputs=sorted(request.additionalSecretOutputs),
                raw_inputs=_plain(inputs),
                inputs=_redact(inputs, "", secret_paths),
                secret_paths=secret_paths,
                outputs=_redact(_decode(state)),
            )
        )
        self._note_for_diffs(self.recorded[-1], request, resource_id)
        state_struct = _sync_await(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state_struct)

    def _note_for_diffs(self, recorded: RecordedResource, request: Any, resource_id: str) -> None:
        """What a diff of two plans needs beside the inputs (see :mod:`components.plan.diff`)."""
        recorded.property_dependencies = {
            key: sorted(deps.urns) for key, deps in sorted(request.propertyDependencies.items()) if deps.urns
        }
        recorded.identifiers = _identifiers(resource_id, recorded.outputs)
        recorded.secret_digests = _secret_digests(recorded.raw_inputs, recorded.secret_paths, self.digest_key)


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
    # Serialized as for a resource input, so that a secret inside an exported structure hides only itself.
    return _redact(_decode(_sync_await(rpc.serialize_property(value, [], None))))


@contextmanager
def _own_executor() -> Iterator[None]:
    """Serve the run's RPCs from a thread pool of its own, whose threads and event loops end with the run.

    The SDK calls the monitor through the loop's default executor, and a worker thread that awaits needs an event
    loop of its own (``pulumi.runtime.sync_await`` creates one). Left to interpreter exit, such loops are collected
    after their selectors and each prints an "Exception ignored in BaseEventLoop.__del__" traceback under the
    plan's output (or under its one-line error). Here each worker gets its loop from the start, and when the run
    ends the workers are joined and their loops closed, while the interpreter is whole.
    """
    loops: list[asyncio.AbstractEventLoop] = []
    lock = threading.Lock()

    def own_loop() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        with lock:
            loops.append(loop)

    executor = ThreadPoolExecutor(thread_name_prefix="plan-engine", initializer=own_loop)
    asyncio.get_event_loop().set_default_executor(executor)
    try:
        yield
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        for loop in loops:
            loop.close()


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
    monitor = _RecordingMonitor(cloud, digest_key(project, stack))
    with _isolated_config(config, secret_keys), _own_executor():
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
