"""What the rules read: one resource as every caller can describe it, and helpers over its plain data.

Shapes that hide a resource from a rule are unfolded before the rules run (:func:`expand`): the objects inside a
``yaml/v2`` ConfigGroup, and a ``*Patch`` resource, are judged as the kind they create or change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml

__all__ = ["CONFIG_GROUP", "UNKNOWN", "ResourceView", "api", "expand", "get", "is_kind", "items", "json_document",
           "mapping", "opaque", "stack_of", "type_token"]


UNKNOWN = "[unknown]"
"""How the policy pack's adapter shows a value that is unknown during preview."""


@dataclass(frozen=True)


class ResourceView:
    """One resource as every caller can describe it: what the rules read."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    """Inputs with the engine's camelCase keys, secrets as plaintext (in memory only), unknowns as ``[unknown]``."""
    provider: str | None = None
    """URN of the resource's provider (without ``::<id>``); ``None`` when the request named none."""
    dependencies: Sequence[str] = ()
    """URNs of the resources it depends on."""
    protect: bool = False
    stack: str = ""
    within: str = ""
    """Set for an object unfolded from another resource (``Deployment/web in ConfigGroup``); its messages say so."""
    partial: bool = False
    """A patch: it holds only the fields it changes, so a field it lacks is not a field the object lacks."""


def stack_of(urn: str) -> str:
    """The stack named in a URN (``urn:pulumi:<stack>::<project>::<type>::<name>``)."""
    parts = urn.split("::", 1)[0].split(":")
    return parts[2] if len(parts) > 2 else ""


def opaque(value: object) -> bool:
    return isinstance(value, str) and value == UNKNOWN


def api(type_token: str) -> tuple[str, str, str]:
    """(group, version, kind) of a Kubernetes type token ``kubernetes:<group>/<version>:<Kind>`` (core is ``core``)."""
    _, _, rest = type_token.partition(":")
    group_version, _, kind = rest.partition(":")
    group, _, version = group_version.rpartition("/")
    return group, version, kind


def is_kind(r: ResourceView, kinds: set[tuple[str, str]]) -> bool:
    group, _, kind = api(r.type)
    return r.type.startswith("kubernetes:") and (group, kind) in kinds


def type_token(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def get(value: object, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or None where a step is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: object) -> list[Any]:
    """A list input as a list; a single string as one item; anything else (missing, opaque) as none."""
    if isinstance(value, str):
        return [] if opaque(value) else [value]
    if isinstance(value, Sequence):
        return list(value)
    return []


def json_document(value: object) -> Mapping[str, Any] | None:
    """A policy document from a JSON string or a mapping; None when it is opaque or not a document."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or opaque(value):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, Mapping) else None


CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"


def _objects(r: ResourceView) -> list[Mapping[str, Any]]:
    """The Kubernetes objects a ``yaml/v2`` ConfigGroup creates from its ``objs`` and ``yaml`` inputs."""
    found = [o for o in items(r.props.get("objs")) if isinstance(o, Mapping)]
    for text in items(r.props.get("yaml")):
        if not isinstance(text, str):
            continue
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue  # the provider refuses it at deployment; nothing here for a rule to judge
        for document in documents:
            if isinstance(document, Mapping) and document.get("kind") == "List":
                found += [o for o in items(document.get("items")) if isinstance(o, Mapping)]
            elif isinstance(document, Mapping):
                found.append(document)
    return found


def expand(resources: Sequence[ResourceView]) -> list[ResourceView]:
    """The resources, plus a view of each object a ConfigGroup creates and of the kind each ``*Patch`` changes.

    The provider creates a ``yaml/v2`` ConfigGroup's objects itself (pulumi/pulumi-kubernetes
    ``provider/pkg/provider/yaml/v2/configgroup.go``), so neither the engine nor a policy pack sees them as
    resources; a ``DeploymentPatch`` (server-side apply) changes a Deployment with the same fields.
    """
    views: list[ResourceView] = []
    for r in resources:
        views.append(r)
        if r.type == CONFIG_GROUP:
            for obj in _objects(r):
                api_version, kind = obj.get("apiVersion"), obj.get("kind")
                if not isinstance(api_version, str) or not isinstance(kind, str):
                    continue
                name = get(obj, "metadata", "name")
                views.append(replace(r, type=type_token(api_version, kind), props=obj,
                                     within=f"{kind} {name!r} in ConfigGroup {r.name!r}"))
        elif r.type.startswith("kubernetes:") and r.type.endswith("Patch"):
            views.append(replace(r, type=r.type.removesuffix("Patch"), within=f"patch {r.name!r}", partial=True))
    return views
