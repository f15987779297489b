"""What a rule is: its name, description, enforcement, severity, remediation and configuration, beside its body.

The fields are the ones pulumi-policy's ``Policy`` carries (pulumi/pulumi-policy ``sdk/python/lib/pulumi_policy/
policy.py``: ``enforcement_level``, ``severity``, ``remediation_steps``, ``config_schema``), so that the pack in
``policy/`` hands them over as they are and the offline plan reports the same ones. A rule is declared with
:func:`resource_rule` or :func:`stack_rule` on the function that checks it; the package collects every rule of its
domain modules (:data:`components.policy_rules.RULES`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from components.policy_rules.view import ResourceView, expand, stack_of

__all__ = [
    "PROTECTED_STACKS",
    "Config",
    "Enforcement",
    "ResourceRule",
    "Severity",
    "StackRule",
    "Violation",
    "in_protected_stack",
    "resource_rule",
    "stack_rule",
]

Enforcement = Literal["mandatory", "advisory"]
Severity = Literal["low", "medium", "high", "critical"]
"""pulumi-policy's ``Severity`` values."""
Config = Mapping[str, Any]
"""A rule's configuration: pulumi-policy's per-policy config, keys as in the rule's ``config_schema``."""

PROTECTED_STACKS: Mapping[str, Mapping[str, Any]] = {
    "protectedStacks": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["prod"],
        "description": "Stacks whose keys and clusters must survive a destroy: their rules hold them to more. A "
                       "stack whose resources are protected counts as protected too, whatever its name.",
    },
}
"""The ``config_schema`` property of the rules that treat production stacks apart."""


def in_protected_stack(r: ResourceView, config: Config) -> bool:
    """Whether ``r`` belongs to a stack named in ``config["protectedStacks"]``."""
    return (r.stack or stack_of(r.urn)) in config["protectedStacks"]


@dataclass(frozen=True)
class Violation:
    rule: str
    urn: str
    message: str
    mandatory: bool
    severity: Severity = "medium"
    remediation: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "urn": self.urn, "message": self.message,
                "enforcement": "mandatory" if self.mandatory else "advisory", "severity": self.severity,
                "remediation": self.remediation}


@dataclass(frozen=True)
class _Rule:
    name: str
    description: str
    enforcement: Enforcement
    severity: Severity
    remediation: str
    """What to do about a violation in general; each message says what to change on the resource at hand."""
    check: Callable[..., Any]
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON-schema properties of the rule's configuration, each with its ``default``; empty: not configurable."""

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"

    def config(self, given: Config | None = None) -> dict[str, Any]:
        """The defaults of :attr:`config_schema`, overridden by ``given`` (keys the schema does not know are left
        out: pulumi-policy hands each policy the whole of its config, ``enforcementLevel`` included)."""
        defaults = {key: schema["default"] for key, schema in self.config_schema.items()}
        return defaults | {key: value for key, value in (given or {}).items() if key in self.config_schema}

    def _call(self, subject: Any, config: Config | None) -> Any:
        return self.check(subject, self.config(config)) if self.config_schema else self.check(subject)

    def violation(self, urn: str, message: str) -> Violation:
        return Violation(self.name, urn, message, self.mandatory, self.severity, self.remediation)


@dataclass(frozen=True)
class ResourceRule(_Rule):
    """A rule over one resource: ``check`` returns one message per problem, each saying what to fix."""

    def __call__(self, r: ResourceView, config: Config | None = None) -> list[str]:
        """``check`` over ``r`` alone (no unfolding), with the configuration's defaults."""
        result: list[str] = self._call(r, config)
        return result

    def run(self, r: ResourceView, config: Config | None = None) -> list[str]:
        """``check`` over the resource and every object unfolded from it, each message saying which object."""
        return [f"{v.within}: {m}" if v.within else m for v in expand([r]) for m in self(v, config)]


@dataclass(frozen=True)
class StackRule(_Rule):
    """A rule over all resources of a stack: ``check`` returns (URN, message) pairs."""

    def __call__(self, resources: Sequence[ResourceView], config: Config | None = None) -> list[tuple[str, str]]:
        result: list[tuple[str, str]] = self._call(resources, config)
        return result

    def run(self, resources: Sequence[ResourceView], config: Config | None = None) -> list[tuple[str, str]]:
        """``check`` over the stack with every object unfolded; an unfolded object reports on its container's URN."""
        return list(dict.fromkeys(self(expand(resources), config)))


def resource_rule(name: str, description: str, enforcement: Enforcement, severity: Severity, remediation: str,
                  *, config_schema: Mapping[str, Mapping[str, Any]] | None = None,
                  ) -> Callable[[Callable[..., list[str]]], ResourceRule]:
    """Declare the decorated function (``(resource) -> messages``, or ``(resource, config)`` when configurable) as
    a rule over one resource."""
    def declare(check: Callable[..., list[str]]) -> ResourceRule:
        return ResourceRule(name, description, enforcement, severity, remediation, check, config_schema or {})
    return declare


def stack_rule(name: str, description: str, enforcement: Enforcement, severity: Severity, remediation: str,
               *, config_schema: Mapping[str, Mapping[str, Any]] | None = None,
               ) -> Callable[[Callable[..., list[tuple[str, str]]]], StackRule]:
    """Declare the decorated function (``(resources) -> [(urn, message)]``, or ``(resources, config)`` when
    configurable) as a rule over the whole stack."""
    def declare(check: Callable[..., list[tuple[str, str]]]) -> StackRule:
        return StackRule(name, description, enforcement, severity, remediation, check, config_schema or {})
    return declare
