"""The pulumi-policy wrappers of :mod:`components.policy_rules`: one policy per rule, the same code the plan runs.

Each policy carries its rule's description, enforcement, severity, remediation and ``config_schema``; a rule's
configuration (``protectedStacks``) comes from the pack's config (``pulumi preview --policy-pack policy
--policy-pack-config config.json``) through ``get_config()``, with the schema's defaults otherwise.

Kept apart from ``__main__.py`` because creating the ``PolicyPack`` starts a server that never returns; the tests
import this module and call the wrappers with hand-built ``ResourceValidationArgs`` / ``StackValidationArgs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.policy_rules import RULES, UNKNOWN, ResourceRule, ResourceView, StackRule, stack_of

__all__ = ["PACK_NAME", "plain", "policies", "resource_policy", "stack_policy", "view_of_args", "view_of_resource"]

PACK_NAME = "eks-config-secrets"


def plain(value: Any) -> Any:
    """A deep copy of the policy SDK's property proxies as dicts and lists, unknowns replaced by ``[unknown]``.

    The SDK's proxies raise ``UnknownValueError`` when a value unknown during preview is read; the rules skip
    ``[unknown]`` instead, so that one unknown property does not hide every other check on the resource.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in value:
            try:
                result[key] = plain(value[key])
            except UnknownValueError:
                result[key] = UNKNOWN
        return result
    if isinstance(value, Sequence):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _view(source: ResourceValidationArgs | PolicyResource, dependencies: tuple[str, ...] = ()) -> ResourceView:
    # Both pulumi-policy types carry the same fields under the same names; only stack policies see dependencies.
    return ResourceView(
        urn=source.urn,
        type=source.resource_type,
        name=source.name,
        props=plain(source.props),
        provider=source.provider.urn if source.provider is not None else None,
        dependencies=dependencies,
        protect=bool(source.opts.protect),
        stack=stack_of(source.urn),
    )


def view_of_args(args: ResourceValidationArgs) -> ResourceView:
    """The rules' view of one resource under validation (resource policies see no dependencies)."""
    return _view(args)


def view_of_resource(resource: PolicyResource) -> ResourceView:
    """The rules' view of one resource of the stack, with its direct dependencies."""
    return _view(resource, tuple(d.urn for d in resource.dependencies))


def _level(rule: ResourceRule | StackRule) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if rule.mandatory else EnforcementLevel.ADVISORY


def _described(rule: ResourceRule | StackRule) -> dict[str, Any]:
    """What pulumi-policy's ``Policy`` carries beside the validation: the rule's own fields."""
    schema = PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()}) \
        if rule.config_schema else None
    return {"enforcement_level": _level(rule), "severity": Severity(rule.severity),
            "remediation_steps": rule.remediation, "config_schema": schema}


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule.run(view_of_args(args), args.get_config()):
            report_violation(message, None)

    return ResourceValidationPolicy(rule.name, rule.description, validate, **_described(rule))


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in rule.run([view_of_resource(r) for r in args.resources], args.get_config()):
            report_violation(message, urn)

    return StackValidationPolicy(rule.name, rule.description, validate, **_described(rule))


def policies() -> list[Policy]:
    """One pulumi-policy policy per rule of :data:`components.policy_rules.RULES`, in the same order."""
    return [resource_policy(r) if isinstance(r, ResourceRule) else stack_policy(r) for r in RULES]
