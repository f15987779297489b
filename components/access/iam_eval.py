"""A small, pure evaluator of IAM policy documents: would AWS allow this one request?

It decides the questions "can this pod read that secret" needs, and nothing more. The semantics, each as AWS
documents it:

1. **Evaluation logic**: a request is implicitly denied; a matching ``Allow`` statement allows it; any matching
   ``Deny`` overrides every ``Allow``, in whichever policy it is.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
2. **Action / NotAction**: ``service:Action``, matched case-insensitively, with ``*`` (any run of characters)
   and ``?`` (one character). ``NotAction`` matches every action it does not list.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
3. **Resource / NotResource**: ARNs matched case-sensitively with ``*`` and ``?``; so a Secrets Manager
   ``<name>-??????`` matches the six random characters that Secrets Manager appends to every secret's ARN, and
   only those. A statement without either element (trust and key policies) applies to the resource it is
   attached to.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
   https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
4. **Principal** (resource-based policies: trust and key policies): ``"*"``, an ``AWS`` principal by ARN, or by
   account (``arn:aws:iam::<account>:root`` or the bare id: every principal of that account *whose own IAM
   policies allow it*, which :attr:`Result.through_account` reports), a ``Service`` or a ``Federated`` provider.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
5. **Condition**: context key *names* are case-insensitive (``aws:SourceAccount`` = ``AWS:sourceaccount``);
   whether *values* are depends on the operator. Every operator of a block must hold, every key of an operator
   must hold, and a key holds when the context matches any of its values.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html,
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
6. **Operators**: ``StringEquals``/``StringNotEquals`` (case-sensitive, no wildcards), ``...IgnoreCase``,
   ``StringLike``/``StringNotLike`` (case-sensitive, ``*`` and ``?``), ``ArnEquals``/``ArnLike`` and their
   ``Not`` forms (each of the six colon-separated ARN parts matched on its own, with wildcards), ``Bool``,
   ``Null``, and the ``...IfExists`` suffix. A key missing from the request fails a positive operator and
   satisfies a negated one (``StringNotEquals``, ``ArnNotLike``); ``...IfExists`` makes a missing key satisfy
   any operator.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
7. **Set operators** ``ForAnyValue:``/``ForAllValues:`` on multivalued keys (``aws:TagKeys``); ``ForAllValues``
   holds for a missing or empty key.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
8. **Policy variables** ``${aws:PrincipalTag/kubernetes-namespace}`` in resources and condition values take the
   request's value (``${*}``, ``${?}``, ``${$}`` are the literal characters); a variable whose key is missing
   matches nothing.
   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

Numeric, date, IP-address and binary operators are not implemented: a statement that uses one raises
:class:`UnsupportedPolicy` rather than being guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Principal", "Request", "Result", "UnsupportedPolicy", "evaluate", "policy_document"]

ContextValue = str | bool | Sequence[str]
Decision = Literal["allow", "explicit-deny", "implicit-deny"]


class UnsupportedPolicy(ValueError):
    """A policy uses an element or operator this evaluator does not implement."""


@dataclass(frozen=True)
class Principal:
    """Who makes the request, as a resource-based policy's ``Principal`` names it."""

    kind: Literal["AWS", "Service", "Federated"]
    id: str
    """An IAM role ARN, a service principal (``pods.eks.amazonaws.com``) or an OIDC provider ARN."""

    @property
    def account(self) -> str | None:
        parts = self.id.split(":")
        return parts[4] if self.kind == "AWS" and len(parts) > 5 else None


@dataclass(frozen=True)
class Request:
    action: str
    resource: str = "*"
    principal: Principal | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    """Request context keys (any case) and their values; a list for multivalued keys."""


@dataclass(frozen=True)
class Result:
    decision: Decision
    statement: str | None = None
    """The statement that decided (its Sid, or ``#<index>``); None for an implicit deny."""
    through_account: bool = False
    """The allowing statement names the principal only through its account (``...:root``): in a key policy
    that delegates to the principal's IAM policies, which must allow the request too."""

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _as_text(value: object) -> str:
    # JSON booleans in conditions ("aws:SecureTransport": true) compare as the strings AWS uses.
    return str(value).lower() if isinstance(value, bool) else str(value)


def _context_value(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return [_as_text(v) for v in _as_list(value)]
    return None


def _pattern(text: str, context: Mapping[str, ContextValue], wildcards: bool) -> str | None:
    """A regular expression for ``text`` with its policy variables replaced; None when one is missing."""
    out, position = [], 0
    for match in _VARIABLE.finditer(text):
        out.append(_glob(text[position:match.start()], wildcards))
        name = match.group(1)
        if name in _LITERALS:
            out.append(re.escape(_LITERALS[name]))
        else:
            values = _context_value(context, name)
            if not values or len(values) != 1:
                return None
            out.append(re.escape(values[0]))
        position = match.end()
    out.append(_glob(text[position:], wildcards))
    return "".join(out)


def _glob(text: str, wildcards: bool) -> str:
    if not wildcards:
        return re.escape(text)
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def _matches(pattern: str, value: str, context: Mapping[str, ContextValue], *, wildcards: bool = True,
             ignore_case: bool = False) -> bool:
    regex = _pattern(pattern, context, wildcards)
    if regex is None:
        return False
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _arn_matches(pattern: str, value: str, context: Mapping[str, ContextValue]) -> bool:
    # ArnEquals and ArnLike both match each of the six ARN parts on its own, wildcards included.
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(_matches(p, v, context) for p, v in zip(pattern_parts, value_parts, strict=True))


def _string_match(operator: str, policy_value: str, value: str, context: Mapping[str, ContextValue]) -> bool:
    if operator == "StringEquals":
        return _matches(policy_value, value, context, wildcards=False)
    if operator == "StringEqualsIgnoreCase":
        return _matches(policy_value, value, context, wildcards=False, ignore_case=True)
    if operator == "StringLike":
        return _matches(policy_value, value, context)
    if operator in ("ArnEquals", "ArnLike"):
        return _arn_matches(policy_value, value, context)
    if operator == "Bool":
        return policy_value.lower() == value.lower()
    raise UnsupportedPolicy(f"condition operator {operator!r} is not implemented by the access evaluator")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, policy_values: list[str],
                     context: Mapping[str, ContextValue]) -> bool:
    set_operator, _, operator = operator.rpartition(":")
    if set_operator not in ("", "ForAnyValue", "ForAllValues"):
        raise UnsupportedPolicy(f"set operator {set_operator!r} is not known")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    values = _context_value(context, key)
    if operator == "Null":
        return (values is None) == (policy_values[0].lower() == "true")
    if set_operator == "ForAllValues" and not values:
        return True
    if values is None:
        return if_exists or operator in _NEGATED
    negated = operator in _NEGATED
    base = _NEGATED.get(operator, operator)

    def one(value: str) -> bool:
        return any(_string_match(base, p, value, context) for p in policy_values)

    # A plain operator on a multivalued key holds when any of its values matches, as ForAnyValue does.
    hit = all(one(v) for v in values) if set_operator == "ForAllValues" else any(one(v) for v in values)
    return not hit if negated else hit


def _conditions_hold(condition: object, context: Mapping[str, ContextValue]) -> bool:
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        raise UnsupportedPolicy("a Condition element is not an object")
    for operator, keys in condition.items():
        if not isinstance(keys, Mapping):
            raise UnsupportedPolicy(f"condition operator {operator!r} does not map keys to values")
        for key, values in keys.items():
            if not _condition_holds(operator, key, [_as_text(v) for v in _as_list(values)], context):
                return False
    return True


def _action_matches(statement: Mapping[str, Any], action: str, context: Mapping[str, ContextValue]) -> bool:
    if "NotAction" in statement:
        return not any(_matches(a, action, context, ignore_case=True) for a in _as_list(statement["NotAction"]))
    return any(_matches(a, action, context, ignore_case=True) for a in _as_list(statement.get("Action")))


def _resource_matches(statement: Mapping[str, Any], resource: str, context: Mapping[str, ContextValue]) -> bool:
    if "NotResource" in statement:
        return not any(_matches(r, resource, context) for r in _as_list(statement["NotResource"]))
    if "Resource" not in statement:
        return True
    return any(_matches(r, resource, context) for r in _as_list(statement["Resource"]))


def _principal_match(statement: Mapping[str, Any], principal: Principal | None) -> tuple[bool, bool]:
    """(matches, only through the principal's account)."""
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("NotPrincipal is not implemented by the access evaluator")
    if "Principal" not in statement:
        # An identity-based policy: it applies to the principal it is attached to.
        return True, False
    if principal is None:
        return False, False
    named = statement["Principal"]
    if named == "*":
        return True, False
    if not isinstance(named, Mapping):
        return False, False
    for candidate in (_as_text(p) for p in _as_list(named.get(principal.kind))):
        if candidate in ("*", principal.id):
            return True, False
        account = principal.account
        if account and candidate in (account, f"arn:{principal.id.split(':')[1]}:iam::{account}:root"):
            return True, True
    return False, False


def policy_document(value: object) -> Mapping[str, Any] | None:
    """A policy document from its JSON text (Pulumi inputs, KMS key policies) or as already decoded (boto3 and the
    AWS CLI decode IAM's); None for anything else, such as a plan's ``[secret]``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def _statements(policy: Mapping[str, Any] | str) -> list[Mapping[str, Any]]:
    document = policy_document(policy) or {}
    statements = document.get("Statement", [])
    return [s for s in _as_list(statements) if isinstance(s, Mapping)]


def evaluate(policies: Sequence[Mapping[str, Any] | str], request: Request) -> Result:
    """The decision of ``policies`` (documents or their JSON text) on ``request``: Deny over Allow, else Allow,
    else the implicit deny."""
    allowed: Result | None = None
    for policy in policies:
        for index, statement in enumerate(_statements(policy)):
            label = str(statement.get("Sid") or f"#{index}")
            matches, through_account = _principal_match(statement, request.principal)
            if not (matches and _action_matches(statement, request.action, request.context)
                    and _resource_matches(statement, request.resource, request.context)
                    and _conditions_hold(statement.get("Condition"), request.context)):
                continue
            if statement.get("Effect") == "Deny":
                return Result("explicit-deny", label)
            if allowed is None or (allowed.through_account and not through_account):
                allowed = Result("allow", label, through_account)
    return allowed or Result("implicit-deny")
