"""The policy pack's rules, and the access proof, run over the offline plan's recorded resources.

The rules read each resource's raw inputs, secrets unwrapped, so that wrapping a value in
``pulumi.Output.secret()`` hides nothing from them; they run in memory, and before a message leaves this module
every secret value the plan holds is blanked out of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from components.access.chain import Edge, prove_access
from components.access.plan_world import world_from_plan
from components.access.rule import access_violations
from components.conventions import DEPLOYMENT, SECRET_MARKER
from components.plan.engine import Plan
from components.policy_rules import PackConfig, ResourceView, Violation, evaluate
from components.validation import SECRET_SHOWN_AS

__all__ = ["Violation", "check_policies", "prove_plan_access", "secret_texts"]


def _leaves(value: Any) -> Iterator[str]:
    """Every scalar in ``value`` as text; a string that holds a JSON document (a policy) yields its scalars too."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            document = json.loads(value)
        except ValueError:
            document = None
        yield from _leaves(document)
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield str(value)


def secret_texts(raw: Any, redacted: Any) -> set[str]:
    """The text of every value that ``redacted`` shows as ``[secret]``, found beside it in ``raw``."""
    if redacted == SECRET_MARKER and raw != SECRET_MARKER:
        return set(_leaves(raw))
    if isinstance(raw, dict) and isinstance(redacted, dict):
        return {t for k in raw.keys() & redacted.keys() for t in secret_texts(raw[k], redacted[k])}
    if isinstance(raw, list) and isinstance(redacted, list):
        return {t for r, d in zip(raw, redacted, strict=False) for t in secret_texts(r, d)}
    return set()


_SHORTEST_BLANKED = 4
"""Shorter secret values are not blanked out of messages: replacing every "on" or "1" would garble them, and a
secret that short is no secret."""


def _blank(message: str, secrets: list[str]) -> str:
    for text in secrets:
        message = message.replace(text, SECRET_SHOWN_AS)
    return message


def prove_plan_access(plan: Plan) -> list[Edge]:
    """Every pod → secret edge of the plan, each with its first broken link (see components.access.chain)."""
    return prove_access(world_from_plan(plan))


def check_policies(plan: Plan, edges: Sequence[Edge] | None = None, config: PackConfig | None = None,
                   ) -> list[Violation]:
    """Evaluate every rule (resource and stack rules), under ``config`` (a policy pack configuration; None: the
    rules' own levels and defaults), and the access proof (``edges``, proven here when not given) over what the
    plan would create. The access proof is the plan's own and always mandatory: no pack configuration names it."""
    views = [
        ResourceView(
            urn=r.urn,
            type=r.type,
            name=r.name,
            props=r.raw_inputs,
            provider=r.provider,
            dependencies=tuple(r.dependencies),
            protect=r.protect,
            stack=plan.stack,
        )
        for r in plan.resources
    ]
    found = {t for r in plan.resources for t in secret_texts(r.raw_inputs, r.inputs) if len(t) >= _SHORTEST_BLANKED}
    # Longest first, so that a secret containing another is blanked whole.
    secrets = sorted(found, key=len, reverse=True)
    workloads = {(str(r.outputs.get("metadata", {}).get("namespace")), str(r.outputs.get("metadata", {}).get("name"))):
                 r.urn for r in plan.find(DEPLOYMENT)}
    access = access_violations(prove_plan_access(plan) if edges is None else edges, workloads)
    found_all = sorted(evaluate(views, config) + access, key=lambda v: (not v.mandatory, v.rule, v.urn))
    return [replace(v, message=_blank(v.message, secrets)) for v in found_all]
