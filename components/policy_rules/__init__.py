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

from collections.abc import Sequence
from dataclasses import replace
from types import ModuleType

from components.policy_rules import charts, iam, kms_eks, pods, providers, rbac
from components.policy_rules.pack_config import PackConfig
from components.policy_rules.rule import ResourceRule, StackRule, Violation
from components.policy_rules.view import UNKNOWN, ResourceView, expand, stack_of

__all__ = [
    "RULES",
    "UNKNOWN",
    "PackConfig",
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


def evaluate(resources: Sequence[ResourceView], config: PackConfig | None = None) -> list[Violation]:
    """Run every rule over ``resources``: mandatory violations first, then by rule and URN.

    ``config`` is what a policy pack configuration file says (:mod:`.pack_config`): each rule runs at its level
    there (a ``disabled`` one not at all) with its settings there; without it, every rule at its declared level with
    its defaults.
    """
    config = config or PackConfig()
    violations: list[Violation] = []
    for rule in RULES:
        level = config.level(rule)
        if level == "disabled":
            continue
        given = config.settings.get(rule.name)
        if isinstance(rule, ResourceRule):
            found = [rule.violation(r.urn, m) for r in resources for m in rule.run(r, given)]
        else:
            found = [rule.violation(urn, m) for urn, m in rule.run(resources, given)]
        violations += [replace(v, mandatory=level == "mandatory") for v in found]
    return sorted(violations, key=lambda v: (not v.mandatory, v.rule, v.urn))
