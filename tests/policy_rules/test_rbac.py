"""Rules on Roles and bindings (components/policy_rules/rbac.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.conventions import ROLE, ROLE_BINDING
from components.policy_rules import ResourceView, rbac
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


def role_with(*rules: dict[str, Any], kind: str = ROLE) -> ResourceView:
    return view(kind, {"metadata": {"name": "r", "namespace": "team"}, "rules": list(rules)})


NAMED_SECRETS = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["app-secrets"]}


def test_roles_the_components_write_pass_every_rbac_rule() -> None:
    role = role_with(NAMED_SECRETS)
    assert [rbac.rbac_no_wildcards(role), rbac.rbac_no_escalation(role), rbac.rbac_no_create_pods(role)] == [[], [], []]


@pytest.mark.parametrize("kind", [ROLE, rbac.CLUSTER_ROLE])
def test_wildcards_in_roles_fail(kind: str) -> None:
    role = role_with(NAMED_SECRETS, {"apiGroups": ["*"], "resources": ["deployments"], "verbs": ["*"]}, kind=kind)
    assert rbac.rbac_no_wildcards(role) == ["rule 1 grants '*' in apiGroups, verbs: name what the subject needs"]


@pytest.mark.parametrize("verb", ["bind", "escalate", "impersonate"])
def test_escalation_verbs_fail(verb: str) -> None:
    role = role_with({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["get", verb]})
    assert rbac.rbac_no_escalation(role) == [
        f"rule 0 grants {[verb]}, which let the subject exceed its own permissions: remove them"]


@pytest.mark.parametrize(("rule", "flagged"), [
    ({"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}, True),
    ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, True),
    ({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}, False),
    ({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create"]}, False),
])
def test_creating_pods_is_an_advisory(rule: dict[str, Any], flagged: bool) -> None:
    assert bool(rbac.rbac_no_create_pods(role_with(rule))) is flagged


@pytest.mark.parametrize(("binding", "messages"), [
    ({"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "User", "name": "ops"}]},
     ["binds the ClusterRole 'cluster-admin', every permission on every object: bind a Role with what the subject "
      "needs"]),
    ({"roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "Group", "name": "system:masters"}]},
     ["binds the group 'system:masters', which the API server lets bypass RBAC: bind named users or "
      "ServiceAccounts"]),
    ({"roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "ServiceAccount", "name": "web"}]}, []),
])
def test_cluster_admin_bindings_fail(binding: dict[str, Any], messages: list[str]) -> None:
    assert rbac.rbac_no_cluster_admin(view(rbac.CLUSTER_ROLE_BINDING, binding)) == messages
    assert rbac.rbac_no_cluster_admin(view(ROLE_BINDING, binding)) == messages
