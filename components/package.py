"""The multi-language package: every public component, hosted for TypeScript, Go, C#, Java and YAML programs.

The Pulumi SDK's component host (``pulumi.provider.experimental``, described in the SDK's
``pulumi/provider/experimental/ComponentProvider.md``) reads each component's ``args`` annotation and its
class-level output annotations, infers a package schema, and answers the engine's ``Construct`` requests by
calling the Python constructor. ``pulumi package add`` then generates an SDK for the caller's language from that
schema. ``provider/__main__.py`` (beside ``provider/PulumiPlugin.yaml``) serves :func:`provider`;
``python -m components schema`` prints its schema; ``schema.json`` is that schema, checked in.

What the analyzer needs of a component (pulumi/pulumi ``sdk/python/lib/pulumi/provider/experimental/analyzer.py``):
annotations that are real at run time (no ``from __future__ import annotations`` in a component's module), no
unions, and a type token for every resource type that an argument or output names.
"""

import argparse
import asyncio
import collections.abc
import contextlib
import dataclasses
import json
import re
import sys
import typing
from collections.abc import Sequence
from typing import Any

import grpc
import pulumi
import typing_extensions
from pulumi.errors import InputPropertiesError, InputPropertyError, InputPropertyErrorDetails
from pulumi.output import _OutputData
from pulumi.provider.experimental.analyzer import Analyzer, PropertyDefinition, TypeDefinition
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult
from pulumi.provider.provider import Provider as BaseProvider
from pulumi.provider.server import ComponentInitError, ProviderServicer
from pulumi.runtime import rpc
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

import components
from components.validation import SECRET_SHOWN_AS, SettingsError, settings_error_in

__all__ = ["COMPONENTS", "PACKAGE_NAME", "Provider", "Servicer", "input_properties_error", "provider", "schema",
           "schema_text", "serve"]

PACKAGE_NAME = "eks-config-secrets"
"""The package's name: the first part of every type token (``eks-config-secrets:index:SecureCluster``)."""

COMPONENTS: list[type[pulumi.ComponentResource]] = sorted(
    (value for value in (getattr(components, name) for name in components.__all__)
     if isinstance(value, type) and issubclass(value, pulumi.ComponentResource)),
    key=lambda component: component.__name__,
)
"""Every component that ``components`` exports, each under the token ``eks-config-secrets:index:<ClassName>``."""

_ARGS_PREFIX = re.compile(r"^[A-Z][A-Za-z0-9]*Args\.")


def _schema_path(setting: str) -> str:
    """``AppSecretsArgs.secrets[0].keys[1].file`` as the caller wrote it: ``secrets[0].keys[1].file``, each name
    camelCased as the schema spells it (the SDK's own ``camel_case``)."""
    path = _ARGS_PREFIX.sub("", setting)
    return ".".join(
        re.sub(r"^[a-z0-9_]+", lambda name: camel_case(name.group(0)), part) for part in path.split(".")
    )


def input_properties_error(component: str, error: SettingsError) -> InputPropertiesError:
    """A component's :class:`SettingsError` (each of its problems) as the error that the SDK's provider server
    reports to the engine as an ``INVALID_ARGUMENT`` status with one ``InputPropertiesError.PropertyError``
    (property path and reason) per problem, which the CLI shows beside the property instead of a Python traceback
    (``pulumi/provider/server.py`` ``Construct``). The paths are the caller's: the schema's camelCase names."""
    details: list[InputPropertyErrorDetails] = []
    for problem in error.problems:
        shown = SECRET_SHOWN_AS if problem.value is SECRET_SHOWN_AS else repr(problem.value)
        details.append({"property_path": _schema_path(problem.setting), "reason": f"{shown} {problem.expected}"})
    message = "\n".join(f"{component}: {d['property_path']} {d['reason']}" for d in details)
    return InputPropertiesError(message, details)


_OMITTED = PropertyDefinition(description="a function: not a value another language can pass")
"""What :class:`_Analyzer` gives a Callable field, which it then leaves out of the schema."""


class _Analyzer(Analyzer):
    """The SDK's analyzer, told about three things of ours that it does not know.

    - An argument that is one of our own components (``AppSecretsArgs.csi_driver``) is a reference to that
      resource of this package (``#/resources/...``); the SDK's analyzer would look for a ``pulumi_type`` and a
      ``pulumi-plugin.json``, which would make the Python package claim a plugin of its own.
    - A Callable field of a handle (``ClusterIdentity.agent``) is Python-only and left out.
    - A dataclass field with a default is optional, as a TypedDict's ``NotRequired`` field is.
    - A field that an args type inherits (``SecureClusterArgs`` extends ``SecureClusterSettings``, the part a stack
      file sets) is documented where it is declared: the SDK reads docstrings from the class's own source only.
    """

    def get_docstring(self, typ: type, name: str) -> str | None:
        found = super().get_docstring(typ, name)
        for base in getattr(typ, "__orig_bases__", ()):
            if found is None and typing_extensions.is_typeddict(base):
                found = self.get_docstring(base, name)
        return found

    def analyze_property(self, arg: type, typ: type, name: str, *, can_be_plain: bool, is_component_output: bool,
                         optional: bool | None = None) -> PropertyDefinition:
        if typing.get_origin(arg) is collections.abc.Callable:
            return _OMITTED
        if isinstance(arg, type) and arg in COMPONENTS:
            return PropertyDefinition(ref=f"#/resources/{PACKAGE_NAME}:index:{arg.__name__}",
                                      optional=bool(optional), description=self.get_docstring(typ, name))
        return super().analyze_property(arg, typ, name, can_be_plain=can_be_plain,
                                        is_component_output=is_component_output, optional=optional)

    def analyze_type(self, typ: type, *, is_component_output: bool,
                     ) -> tuple[dict[str, PropertyDefinition], dict[str, str]]:
        properties, mapping = super().analyze_type(typ, is_component_output=is_component_output)
        for key in [k for k, prop in properties.items() if prop is _OMITTED]:
            del properties[key], mapping[key]
        if dataclasses.is_dataclass(typ):
            for field in dataclasses.fields(typ):
                has_default = (field.default is not dataclasses.MISSING
                               or field.default_factory is not dataclasses.MISSING)
                if has_default and camel_case(field.name) in properties:
                    properties[camel_case(field.name)].optional = True
        return properties, mapping


_CONSTRUCTED: dict[str, pulumi.ComponentResource] = {}
"""The components this provider process has built, by URN: a later construct request that passes one of them (a
resource reference, e.g. an ``AppSecrets``'s ``csiDriver``) gets the Python object itself back."""


class _ConstructedComponents(rpc.ResourceModule):
    """Turns a resource reference to one of our components back into the object built in this process (the
    engine runs one provider process per package for a deployment); a reference to any other is refused."""

    def version(self) -> None:
        return None

    def construct(self, name: str, typ: str, urn: str) -> pulumi.Resource:
        built = _CONSTRUCTED.get(urn)
        if built is None:
            raise InputPropertyError(name, f"{typ} {name} was not created through this package in this deployment "
                                           "(pass a component created in the same program)")
        return built


def _recorded(component: type[pulumi.ComponentResource]) -> Any:
    """``component``'s constructor, which also files what it builds in :data:`_CONSTRUCTED` by URN."""

    def build(name: str, args: Any, opts: pulumi.ResourceOptions | None) -> pulumi.ComponentResource:
        # Each of ours takes (name, args, opts); ComponentResource's own signature differs.
        built: pulumi.ComponentResource = typing.cast(Any, component)(name, args, opts)
        built.urn.apply(lambda urn: _CONSTRUCTED.__setitem__(urn, built))
        return built

    return build


def _object_type(prop: PropertyDefinition, types: dict[str, TypeDefinition]) -> TypeDefinition | None:
    """The object type (of this package's ``#/types/``) that ``prop`` refers to; None for anything else."""
    type_def = types.get(prop.ref.rsplit(":", 1)[-1]) if prop.ref and prop.ref.startswith("#/types/") else None
    return None if type_def is None or type_def.enum else type_def


def _hydrate(value: Any, prop: PropertyDefinition, types: dict[str, TypeDefinition]) -> Any:
    """A mapped input as the Python constructor types it: an object of a handle type (a dataclass such as
    ``AwsTarget``) becomes that dataclass, which checks itself; the SDK hands the constructor plain dicts."""
    type_def = _object_type(prop, types)
    if type_def is not None and dataclasses.is_dataclass(type_def.python_type) and isinstance(value, dict):
        return type_def.python_type(**{
            type_def.properties_mapping[schema_name]: _hydrate(value[type_def.properties_mapping[schema_name]],
                                                                 field, types)
            for schema_name, field in type_def.properties.items() if type_def.properties_mapping[schema_name] in value})
    if prop.items is not None and isinstance(value, list):
        return [_hydrate(item, prop.items, types) for item in value]
    return value


def _known_now(value: pulumi.Output[Any]) -> _OutputData[Any] | None:
    """What a plain input's Output already holds, when it is known and not secret. The SDK's server wraps a whole
    input in an Output when the caller sent dependencies with it (pulumi/pulumi sdk/python/lib/pulumi/provider/
    server.py, ``_select_value``), from a future that is already resolved: a handle holding a resource reference
    (``ClusterIdentity.podIdentityAgentAddon``) arrives so from every SDK, which lists the referenced resource as a
    dependency of the input."""
    data = value._data
    if not data.done() or data.cancelled() or data.exception() is not None:
        return None
    found: _OutputData[Any] = data.result()
    return found if found.is_known and not found.is_secret else None


def _keep_dependencies(value: Any, prop: PropertyDefinition, types: dict[str, TypeDefinition],
                       resources: set[pulumi.Resource]) -> Any:
    """``value`` (an unwrapped plain input) with each of its non-plain leaves an Output of ``resources``, so that
    what the component builds from them still waits for what the caller derived them from."""
    type_def = _object_type(prop, types)
    if type_def is not None and isinstance(value, dict):
        return {name: _keep_dependencies(item, type_def.properties[name], types, resources)
                if name in type_def.properties else item for name, item in value.items()}
    if prop.items is not None and isinstance(value, list):
        return [_keep_dependencies(item, prop.items, types, resources) for item in value]
    if prop.plain or prop.ref or isinstance(value, pulumi.Resource | pulumi.Output) or value is None:
        return value
    resolved: asyncio.Future[_OutputData[Any]] = asyncio.get_event_loop().create_future()
    resolved.set_result(_OutputData(resources=set(resources), value=value, is_known=True, is_secret=False))
    return pulumi.Output._from_data(resolved)


def _holds_resource(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_resource(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_resource(item) for item in value)
    return isinstance(value, pulumi.Resource)


def _unwrap_plain(value: Any, prop: PropertyDefinition, types: dict[str, TypeDefinition]) -> Any:
    """A plain input that holds a resource reference, which the server wrapped to carry the dependency on it, as
    the value it holds. Any other plain input given as an Output stays one, and is refused: its value would be
    known in one run and unknown in the preview of another."""
    if not prop.plain or not isinstance(value, pulumi.Output) or (data := _known_now(value)) is None \
            or not _holds_resource(data.value):
        return value
    return _keep_dependencies(data.value, dataclasses.replace(prop, plain=None), types, data.resources)


def _outputs_in_plain_inputs(value: Any, prop: PropertyDefinition, types: dict[str, TypeDefinition],
                             path: str) -> list[InputPropertyErrorDetails]:
    """Where ``value`` holds an Output at a place that the schema marks ``plain``. The SDK's host passes such a
    value on unchecked (or, for an object, as an empty one), and the constructor, which must read the value to
    check it and to name resources after it, would fail with a traceback or build without it."""
    if isinstance(value, pulumi.Output):
        if prop.plain:
            return [{"property_path": path, "reason": "is an output of another resource, but this argument must be "
                                                      "known before deployment: give a plain value"}]
        return []
    type_def = _object_type(prop, types)
    found: list[InputPropertyErrorDetails] = []
    if type_def is not None and isinstance(value, dict):
        for schema_name, field in type_def.properties.items():
            if schema_name in value:
                found += _outputs_in_plain_inputs(value[schema_name], field, types, f"{path}.{schema_name}")
    elif prop.items is not None and isinstance(value, list):
        for i, item in enumerate(value):
            found += _outputs_in_plain_inputs(item, prop.items, types, f"{path}[{i}]")
    elif prop.additional_properties is not None and isinstance(value, dict):
        for key, item in value.items():
            found += _outputs_in_plain_inputs(item, prop.additional_properties, types, f"{path}.{key}")
    return found


class Provider(ComponentProvider):
    """The SDK's component provider with our analyzer, handles (dataclasses) in and out, references to our own
    components, and our components' errors reported per property."""

    def __init__(self) -> None:
        # ComponentProvider.__init__, with _Analyzer in place of the SDK's.
        self._name = PACKAGE_NAME
        self.analyzer = _Analyzer(PACKAGE_NAME)
        result = self.analyzer.analyze(list(COMPONENTS))
        self._components = {component.__name__: _recorded(component) for component in COMPONENTS}
        self._component_defs = result["component_definitions"]
        self._type_defs = result["type_definitions"]
        self._external_enum_types = result["external_enum_types"]
        self._dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
        spec = generate_schema(PACKAGE_NAME, components.__version__, None, self._component_defs, self._type_defs,
                               self._dependencies)
        BaseProvider.__init__(self, components.__version__, json.dumps(spec.to_json()))
        if rpc.get_resource_module(PACKAGE_NAME, "index", "") is None:
            rpc.register_resource_module(PACKAGE_NAME, "index", _ConstructedComponents())

    def get_type_definition(self, prop: PropertyDefinition) -> TypeDefinition | None:
        # A reference to one of our components is a resource, deserialized by _ConstructedComponents.
        if prop.ref and prop.ref.startswith("#/resources/"):
            return None
        return super().get_type_definition(prop)

    def map_inputs(self, inputs: pulumi.Inputs, component_def: Any) -> pulumi.Inputs:
        inputs = {name: _unwrap_plain(value, component_def.inputs[name], self._type_defs)
                  if name in component_def.inputs else value for name, value in inputs.items()}
        found = [detail for name, prop in component_def.inputs.items() if name in inputs
                 for detail in _outputs_in_plain_inputs(inputs[name], prop, self._type_defs, name)]
        if found:
            raise InputPropertiesError(
                "\n".join(f"{component_def.name}: {d['property_path']} {d['reason']}" for d in found), found)
        mapped = dict(super().map_inputs(inputs, component_def))
        for schema_name, prop in component_def.inputs.items():
            py_name = component_def.inputs_mapping[schema_name]
            if py_name in mapped:
                mapped[py_name] = _hydrate(mapped[py_name], prop, self._type_defs)
        return mapped

    def map_complex_output(self, instance_val: Any, type_def: TypeDefinition) -> Any:
        # A handle (dataclass) goes out as the object of its schema fields.
        if dataclasses.is_dataclass(instance_val) and not isinstance(instance_val, type):
            instance_val = {field.name: getattr(instance_val, field.name) for field in dataclasses.fields(instance_val)}
        return super().map_complex_output(instance_val, type_def)

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        try:
            result = super().construct(name, resource_type, inputs, options)
        except ComponentInitError as error:
            # The SDK wraps whatever a constructor raises; unwrapped, the server would print it with a traceback.
            if isinstance(error.inner, SettingsError):
                component = resource_type.rsplit(":", 1)[-1]
                raise input_properties_error(component, error.inner) from error.inner
            if isinstance(error.inner, InputPropertiesError):
                raise error.inner from None
            raise
        return result


def provider() -> Provider:
    """The provider that hosts :data:`COMPONENTS`, its schema inferred from their annotations and docstrings."""
    return Provider()


def schema() -> dict[str, Any]:
    """The package schema that the host serves to ``pulumi package add`` and ``pulumi package get-schema``."""
    text = provider().schema
    assert text is not None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_text() -> str:
    """:func:`schema` as ``schema.json`` holds it: indented, keys in the analyzer's order, one final newline."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


class Servicer(ProviderServicer):
    """The SDK's provider server, with one more kind of error reported per property: a component's refusal of an
    argument given as an Output, which fails only once the Output resolves, after ``construct`` has returned,
    while the server awaits the component's outputs and children (``_construct``). Unmapped, the server would
    answer with the exception's text and a Python traceback."""

    async def _construct(self, request: Any, context: Any) -> Any:
        try:
            return await super()._construct(request, context)
        except (InputPropertiesError, InputPropertyError):
            raise
        except Exception as error:
            refused = settings_error_in(error)
            if refused is None:
                raise
            raise input_properties_error(str(request.type).rsplit(":", 1)[-1], refused) from None


def serve(args: Sequence[str]) -> None:
    """Serve the provider over gRPC for the engine, as the SDK's ``pulumi.provider.main`` does, with
    :class:`Servicer`. ``args`` are the plugin's command line: the engine's address first."""
    parser = argparse.ArgumentParser(description="eks-config-secrets component provider (gRPC server)")
    parser.add_argument("engine", help="the Pulumi engine's address")
    # The CLI passes the same logging flags to every plugin.
    parser.add_argument("--logflow", action="store_true")
    parser.add_argument("--logtostderr", action="store_true")
    known, _ = parser.parse_known_args(list(args))

    async def run() -> None:
        # The SDK's channel options: its message size limits (a schema or a state may exceed gRPC's default).
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(
            Servicer(provider(), list(args), engine_address=known.engine), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        # The engine reads the port from the plugin's first line of output.
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
