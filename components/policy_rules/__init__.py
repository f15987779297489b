"""The security rules of the policy pack, split by domain, each declared beside its body (:mod:`.rule`).

One set of rules serves three callers: the pulumi-policy pack in ``policy/`` (``pulumi preview --policy-pack
policy``), the offline plan (``python -m components plan``) and the tests. Each caller turns what it has into
:class:`ResourceView` records (engine camelCase inputs, provider and dependency URNs) and calls :func:`evaluate`.

Rules judge the real values, in memory: the plan gives them its raw inputs (secrets unwrapped; wrapping a value in
``pulumi.Output.secret()`` hides nothing from a rule), and pulumi-policy gives the pack plaintext too. Only a value
unknown during preview (``[unknown]``) makes a rule skip it rather than guess. No message quotes a value that could
be a secret; the plan also blanks any secret value out of the messages (:mod:`components.plan.policies`).

The domains: :mod:`.kms_eks` (keys and clusters), :mod:`.iam`, :mod:`.pods`, :mod:`.rbac`, :mod:`.charts` (the
charts we install and their custom resources) and :mod:`.providers`. The rules taken from the CIS Kubernetes
Benchmark follow Pulumi's pre-built "CIS Kubernetes" pack for AWS (EKS)
(https://www.pulumi.com/docs/reference/pre-built-policy-packs/cis-kubernetes/aws/) where it applies to what this
project creates; each names its CIS section in its description.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType

from components.policy_rules import charts, iam, kms_eks, pods, providers, rbac
from components.policy_rules.rule import Config, ResourceRule, StackRule, Violation
from components.policy_rules.view import UNKNOWN, ResourceView, expand, stack_of

__all__ = [
    "RULES",
    "UNKNOWN",
    "ResourceRule",
    "ResourceView",
    "StackRule",
    "Violation",
    "evaluate",
    "expand",
    "stack_of",
]


def _declared_in(module: ModuleType) -> list[ResourceRule | StackRule]:
    """The rules a domain module declares (not those it imports), in the order it declares them."""
    return [value for value in vars(module).values()
            if isinstance(value, ResourceRule | StackRule) and value.check.__module__ == module.__name__]


RULES: tuple[ResourceRule | StackRule, ...] = tuple(
    rule for module in (kms_eks, iam, pods, rbac, charts, providers) for rule in _declared_in(module))
"""Every rule, by domain."""


def evaluate(resources: Sequence[ResourceView], config: Mapping[str, Config] | None = None) -> list[Violation]:
    """Run every rule over ``resources``: mandatory violations first, then by rule and URN.

    ``config`` maps a rule's name to its configuration, as a pulumi-policy config file does (``{"prod-protected":
    {"protectedStacks": ["prod", "dr"]}}``); a rule not named runs with its defaults.
    """
    violations: list[Violation] = []
    for rule in RULES:
        given = (config or {}).get(rule.name)
        if isinstance(rule, ResourceRule):
            violations += [rule.violation(r.urn, m) for r in resources for m in rule.run(r, given)]
        else:
            violations += [rule.violation(urn, m) for urn, m in rule.run(resources, given)]
    return sorted(violations, key=lambda v: (not v.mandatory, v.rule, v.urn))
