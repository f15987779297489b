"""Rules on Roles and bindings (components/policy_rules/rbac.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.conventions import ROLE, ROLE_BINDING
from components.policy_rules import (
    rbac,
)
from tests.policy_rules.helpers import view


def test_role_reading_named_secrets_passes() -> None:
    rule = {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a"], "verbs": ["get"]}
    assert rbac.rbac_secrets_list_watch(view(ROLE, {"rules": [rule]})) == []


def test_role_listing_secrets_fails() -> None:
    rule = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "watch", "list"]}
    assert rbac.rbac_secrets_list_watch(view(rbac.CLUSTER_ROLE, {"rules": [{"apiGroups": ["apps"]}, rule]})) == [
        "rule 1 grants ['list', 'watch'] on secrets, which returns the content of every Secret: grant get with "
        "resourceNames instead"
    ]


@pytest.mark.parametrize(("rule", "flagged"), [
    ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}, True),
    ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}, True),
    ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["app-api"]}, False),
    ({"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}, False),
])


def test_role_that_can_get_every_secret_is_flagged(rule: dict[str, Any], flagged: bool) -> None:
    messages = rbac.rbac_secrets_list_watch(view(ROLE, {"rules": [rule]}))
    assert bool(messages) is flagged


@pytest.mark.parametrize(("kind", "role", "flagged"), [("ClusterRole", "edit", True), ("ClusterRole", "admin", True),
                                                       ("ClusterRole", "view", False), ("Role", "edit", False)])
def test_binding_to_a_built_in_role_that_reads_secrets_is_flagged(kind: str, role: str, flagged: bool) -> None:
    binding = view(ROLE_BINDING, {"roleRef": {"kind": kind, "name": role,
                                                    "apiGroup": "rbac.authorization.k8s.io"}})
    assert bool(rbac.rbac_secrets_list_watch(binding)) is flagged
