"""The policy pack's rules, run over the offline plan's recorded resources."""

from __future__ import annotations

from components.plan.engine import Plan
from components.policy_rules import ResourceView, Violation, evaluate

__all__ = ["Violation", "check_policies"]


def check_policies(plan: Plan) -> list[Violation]:
    """Evaluate every rule (resource and stack rules) over what the plan would create."""
    views = [
        ResourceView(
            urn=r.urn,
            type=r.type,
            name=r.name,
            props=r.inputs,
            provider=r.provider,
            dependencies=tuple(r.dependencies),
            protect=r.protect,
            stack=plan.stack,
        )
        for r in plan.resources
    ]
    return evaluate(views)
