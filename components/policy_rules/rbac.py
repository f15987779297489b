"""Rules on Kubernetes RBAC (CIS Kubernetes Benchmark section 5.1 / CIS EKS 4.1): no Secret enumeration, no
wildcards, no escalation verbs, no ``create pods``, no cluster-admin bindings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.conventions import ROLE, ROLE_BINDING
from components.policy_rules.rule import resource_rule
from components.policy_rules.view import ResourceView, get, items

CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
_ROLES = (ROLE, CLUSTER_ROLE)
_BINDINGS = (ROLE_BINDING, CLUSTER_ROLE_BINDING)

_SECRET_READING_CLUSTER_ROLES = ("cluster-admin", "admin", "edit")
"""Built-in ClusterRoles that read every Secret of the namespaces they are bound in (``view`` does not)."""


@resource_rule("rbac-secrets-list-watch",
               "Roles do not grant list or watch on Secrets, nor get without resourceNames.", "advisory", "medium",
               "Grant get on the named Secrets (resourceNames), as secret_reader_role() does.")
def rbac_secrets_list_watch(r: ResourceView) -> list[str]:
    if r.type in _BINDINGS:
        role = get(r.props, "roleRef", "name")
        if get(r.props, "roleRef", "kind") == "ClusterRole" and role in _SECRET_READING_CLUSTER_ROLES:
            return [f"binds the built-in ClusterRole {role!r}, which reads every Secret: bind a Role that gets "
                    f"named Secrets (resourceNames)"]
        return []
    if r.type not in _ROLES:
        return []
    messages = []
    for index, rule in enumerate(items(r.props.get("rules"))):
        groups = items(get(rule, "apiGroups"))
        resources = items(get(rule, "resources"))
        if not (("" in groups or "*" in groups) and ("secrets" in resources or "*" in resources)):
            continue
        verbs = set(items(get(rule, "verbs")))
        enumerating = sorted(verbs & {"list", "watch", "*"})
        if enumerating:
            messages.append(f"rule {index} grants {enumerating} on secrets, which returns the content of every "
                            f"Secret: grant get with resourceNames instead")
        elif "get" in verbs and not items(get(rule, "resourceNames")):
            messages.append(f"rule {index} grants get on secrets without resourceNames, which reads every Secret "
                            f"whose name is known or guessed: list the Secrets in resourceNames")
    return messages


def _rules(r: ResourceView) -> list[tuple[int, Mapping[str, Any]]]:
    """The rules of a Role or ClusterRole, with their index; none for any other resource."""
    if r.type not in _ROLES:
        return []
    return [(index, rule) for index, rule in enumerate(items(r.props.get("rules"))) if isinstance(rule, Mapping)]


@resource_rule("rbac-no-wildcards", "Roles name their API groups, resources and verbs: no '*' (CIS Kubernetes "
               "5.1.3).", "mandatory", "high",
               "List the API groups, resources and verbs the subject needs; a '*' also grants whatever the API "
               "server serves tomorrow (new CRDs, new verbs).")
def rbac_no_wildcards(r: ResourceView) -> list[str]:
    messages = []
    for index, rule in _rules(r):
        wild = [field for field in ("apiGroups", "resources", "verbs") if "*" in items(rule.get(field))]
        if wild:
            messages.append(f"rule {index} grants '*' in {', '.join(wild)}: name what the subject needs")
    return messages


_ESCALATING_VERBS = ("bind", "escalate", "impersonate")


@resource_rule("rbac-no-escalation", "Roles grant no bind, escalate or impersonate (CIS Kubernetes 5.1.8).",
               "mandatory", "critical",
               "Remove bind, escalate and impersonate: each lets the subject give itself, or act with, permissions it "
               "was not granted.")
def rbac_no_escalation(r: ResourceView) -> list[str]:
    messages = []
    for index, rule in _rules(r):
        verbs = sorted(set(items(rule.get("verbs"))) & set(_ESCALATING_VERBS))
        if verbs:
            messages.append(f"rule {index} grants {verbs}, which let the subject exceed its own permissions: remove "
                            f"them")
    return messages


@resource_rule("rbac-no-create-pods", "Roles do not let a subject create pods (CIS Kubernetes 5.1.4).", "advisory",
               "medium",
               "Grant create on Deployments through a controller you trust, not on pods: a pod can mount any Secret "
               "and run as any ServiceAccount of its namespace.")
def rbac_no_create_pods(r: ResourceView) -> list[str]:
    """Whoever creates a pod can mount every Secret and use every ServiceAccount (and its IAM role) of the
    namespace; operators legitimately need it, so the rule is advisory."""
    messages = []
    for index, rule in _rules(r):
        groups, resources, verbs = (set(items(rule.get(f))) for f in ("apiGroups", "resources", "verbs"))
        if groups & {"", "*"} and resources & {"pods", "*"} and verbs & {"create", "*"}:
            messages.append(f"rule {index} lets the subject create pods, which can mount every Secret and run as "
                            f"every ServiceAccount of the namespace: grant it to a controller instead")
    return messages


_CLUSTER_ADMINS = ("cluster-admin",)
_ADMIN_GROUPS = ("system:masters",)


@resource_rule("rbac-no-cluster-admin", "No binding grants cluster-admin or system:masters (CIS Kubernetes 5.1.1).",
               "mandatory", "critical",
               "Bind a Role with the permissions the subject needs; give people cluster access through EKS access "
               "entries and access policies (SecureCluster access_entries).")
def rbac_no_cluster_admin(r: ResourceView) -> list[str]:
    if r.type not in _BINDINGS:
        return []
    messages = []
    if get(r.props, "roleRef", "kind") == "ClusterRole" and get(r.props, "roleRef", "name") in _CLUSTER_ADMINS:
        messages.append("binds the ClusterRole 'cluster-admin', every permission on every object: bind a Role with "
                        "what the subject needs")
    groups = sorted({get(s, "name") for s in items(r.props.get("subjects"))
                     if get(s, "kind") == "Group" and get(s, "name") in _ADMIN_GROUPS})
    if groups:
        messages.append(f"binds the group {groups[0]!r}, which the API server lets bypass RBAC: bind named users "
                        f"or ServiceAccounts")
    return messages
