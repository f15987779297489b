"""What a change to the program does to a running stack: the operation of every resource, from two plan JSONs.

Both plans are documents as ``python -m components plan --json`` writes them (``Plan.as_json``). A resource
only in the head is created, only in the base deleted; one in both is compared input by input (secret values by
their keyed digests, never by value) and its operation follows from :mod:`components.plan.replacements`.

A replacement travels, as it would in ``pulumi preview``: a resource on a replaced provider is replaced; an
object in a replaced Namespace is replaced (deleting a Namespace deletes what is in it); an input computed from a
replaced resource's id, ARN or name (``property_dependencies`` and ``identifiers`` in the plan) is a changed
input, which may in turn force a replacement. This runs to a fixed point.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.conventions import NAMESPACE, SECRET_MARKER
from components.plan.engine import property_path
from components.plan.replacements import REPLACING, classify, replacement_op

__all__ = ["Change", "changed_paths", "diff_plans", "flatten", "index"]

@dataclass(frozen=True)
class Change:
    """The predicted operation on one resource."""

    urn: str
    type: str
    name: str
    op: str
    paths: tuple[str, ...]
    """Changed input paths (values are never shown: a secret's path is all a reader sees of it)."""
    reason: str
    verified: bool = True
    """False when the replacement table has no rule for the type or path: an update we could not verify."""

    def as_json(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "op": self.op, "paths": list(self.paths),
                "reason": self.reason, "verified": self.verified}

    @property
    def replaces(self) -> bool:
        return self.op in REPLACING

    @property
    def removes(self) -> bool:
        """The old resource goes away: replaced or deleted."""
        return self.op in REPLACING or self.op == "delete"


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf path -> value, in Pulumi's property path syntax (``a.b[0]``, ``annotations["checksum/app"]``), the
    syntax of the plan's ``secret_digests``. Empty maps and lists are leaves of their own."""
    if isinstance(value, dict) and value:
        return {p: v for key, item in value.items() for p, v in flatten(item, property_path(path, key)).items()}
    if isinstance(value, list) and value:
        return {p: v for i, item in enumerate(value) for p, v in flatten(item, f"{path}[{i}]").items()}
    return {path: value}


def changed_paths(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[str]:
    """The input paths of one resource that differ between two plans; secrets compare by digest.

    A secret without a digest on either side (a base plan written before plans carried them) cannot be compared
    and counts as unchanged; :func:`components.plan.review.review` says so.
    """
    old, new = flatten(base["inputs"]), flatten(head["inputs"])
    old_digests, new_digests = base.get("secret_digests") or {}, head.get("secret_digests") or {}
    return [
        path for path in sorted(old.keys() | new.keys())
        if path not in old or path not in new or old[path] != new[path]
        or (old[path] == SECRET_MARKER and path in old_digests and path in new_digests
            and old_digests[path] != new_digests[path])
    ]


def index(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in plan["resources"]}


def _mentions(value: str, identifier: str) -> bool:
    # An identifier inside a larger string (an ARN in a policy, a name in an ARN), not a prefix of a longer name.
    return re.search(r"(?<![\w.-])" + re.escape(identifier) + r"(?![\w.-])", value) is not None


def _computed_from(resource: Mapping[str, Any], cause: Mapping[str, Any]) -> list[str]:
    """The input paths of ``resource`` whose value came from ``cause``'s id, ARN or name.

    Kubernetes objects refer to each other by the names the program gives them, which a replacement keeps: a
    replaced object changes no other object's inputs (its Namespace and provider are :func:`_forced`).
    """
    if cause["type"].startswith("kubernetes:"):
        return []
    scopes = [key for key, urns in (resource.get("property_dependencies") or {}).items() if cause["urn"] in urns]
    if not scopes and cause["urn"] not in resource.get("dependencies", []):
        return []
    inputs = resource["inputs"]
    found = []
    for key in scopes or list(inputs):
        for path, value in flatten({key: inputs.get(key)}).items():
            if value == SECRET_MARKER and scopes:
                found.append(path)  # a secret computed from it (a kubeconfig): unknown, so changed
            elif value == cause["urn"] or (
                    isinstance(value, str) and any(_mentions(value, i) for i in cause.get("identifiers", []))):
                found.append(path)
    return found


def _namespace(resource: Mapping[str, Any]) -> str | None:
    metadata = resource["inputs"].get("metadata")
    return metadata.get("namespace") if isinstance(metadata, dict) else None


def _forced(old: Mapping[str, Any], new: Mapping[str, Any], removed: Sequence[Mapping[str, Any]]) -> str | None:
    """Why a resource is replaced whatever its inputs: its provider or its Namespace is."""
    if old.get("provider") != new.get("provider"):
        return f"its provider changes from {old.get('provider')} to {new.get('provider')}"
    for gone in removed:
        if gone["urn"] == old.get("provider"):
            return f"its provider {gone['name']} is replaced"
        if gone["type"] == NAMESPACE and _namespace(old) \
                and gone["inputs"].get("metadata", {}).get("name") == _namespace(old) \
                and gone.get("provider") == old.get("provider"):
            return f"its namespace {_namespace(old)} is replaced or deleted, and deleting a Namespace deletes " \
                   "everything in it"
    return None


def _decide(old: Mapping[str, Any], new: Mapping[str, Any], *, direct: Sequence[str], induced: Mapping[str, str],
            forced: str | None, plan: Mapping[str, Mapping[str, Any]]) -> Change | None:
    paths = tuple(sorted({*direct, *induced}))

    def make(op: str, reason: str, verified: bool = True) -> Change:
        return Change(new["urn"], new["type"], new["name"], op, paths, reason, verified)

    if not paths and forced is None:
        return None
    provider = plan.get(new.get("provider") or "", {}).get("inputs", {})
    verdict = classify(new["type"], paths, old["inputs"], new["inputs"], provider_inputs=provider,
                       delete_before_replace=bool(new.get("delete_before_replace")))
    if forced is not None and verdict.op not in REPLACING:
        return make(replacement_op(new["type"], old["inputs"], new["inputs"], bool(new.get("delete_before_replace"))),
                    forced)
    reason = verdict.reason
    if verdict.path is not None and verdict.path in induced:
        reason += f"; {verdict.path} is computed from {induced[verdict.path]}, which is replaced"
    elif verdict.op == "update" and induced and not direct:
        reason = f"inputs computed from {', '.join(sorted(set(induced.values())))}, which is replaced: {reason}"
    return make(verdict.op, reason, verdict.verified)


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Change]:
    """Every resource whose operation is not "same", sorted by URN."""
    old, new = index(base), index(head)
    changes: dict[str, Change] = {}
    for urn in new.keys() - old.keys():
        r = new[urn]
        changes[urn] = Change(urn, r["type"], r["name"], "create", (), "new in the program")
    for urn in old.keys() - new.keys():
        r = old[urn]
        changes[urn] = Change(urn, r["type"], r["name"], "delete", (), "no longer in the program")
    common = sorted(old.keys() & new.keys())
    direct = {urn: changed_paths(old[urn], new[urn]) for urn in common}
    while True:
        removed = [old[u] for u, c in sorted(changes.items()) if c.removes]
        settled = True
        for urn in common:
            induced = {path: gone["name"] for gone in removed for path in _computed_from(new[urn], gone)}
            change = _decide(old[urn], new[urn], direct=direct[urn], induced=induced,
                             forced=_forced(old[urn], new[urn], removed), plan=new)
            if change != changes.get(urn):
                settled = False
                if change is None:
                    changes.pop(urn, None)
                else:
                    changes[urn] = change
        if settled:
            return [changes[urn] for urn in sorted(changes)]


def count(changes: Iterable[Change]) -> dict[str, int]:
    """How many resources per operation."""
    totals: dict[str, int] = {}
    for change in changes:
        totals[change.op] = totals.get(change.op, 0) + 1
    return totals
