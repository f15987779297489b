"""The security reading of a change: who gains access, what loses data, which pods restart, which rules break.

Pure functions over two plan documents (as ``plan --json`` writes them) and the predicted
:class:`~components.plan.diff.Change` list. IAM documents are compared as sets of grants (effect, action,
resource, condition), not as text, so reordering a policy is no finding and a widened one always is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.conventions import (
    CHECKSUM_ANNOTATION_PREFIX,
    DEPLOYMENT,
    EKS_COMPONENT,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_KEY,
    KUBERNETES_SECRET,
    LOG_GROUP,
    NAMESPACE,
    POD_IDENTITY_ASSOCIATION,
    ROLE,
    SERVICE_ACCOUNT,
)
from components.plan.diff import Change, index

__all__ = ["DATA_LOSS", "SEVERITIES", "Finding", "review"]

SEVERITIES = ("error", "high", "medium", "info")
"""``error``: the engine refuses the change; ``high``: access widens or data is lost; ``medium``: worth a look."""

DATA_LOSS: dict[str, str] = {
    KMS_KEY: "every Secret encrypted with the key becomes unreadable once its deletion window ends",
    EKS_COMPONENT: "every Kubernetes object and Secret stored in the cluster is lost",
    LOG_GROUP: "the log group's logs (the control plane's audit trail) are deleted",
    NAMESPACE: "deleting a Namespace deletes every object in it",
    KUBERNETES_SECRET: "the Secret is gone until it is recreated; pods that start meanwhile fail",
}
"""Types whose replacement or deletion loses data, and what is lost."""

_SECRET_READ = ("secretsmanager:GetSecretValue", "secretsmanager:*", "*")
_WEAKER = {"StringEquals": ("StringLike", "StringNotEquals"), "ArnEquals": ("ArnLike",),
           "StringEqualsIgnoreCase": ("StringLike",)}


@dataclass(frozen=True)
class Finding:
    """One point of the security review."""

    kind: str
    """``iam``, ``secrets``, ``data-loss``, ``protect``, ``roll-out`` or ``policy``."""
    severity: str
    urn: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "severity": self.severity, "urn": self.urn, "message": self.message}


# -- IAM ----------------------------------------------------------------------------------------------------------
def _document(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _statements(document: Any) -> list[dict[str, Any]]:
    return [s for s in _listed(_document(document).get("Statement")) if isinstance(s, dict)]


def _grants(document: Any) -> set[tuple[str, str, str, str]]:
    """(effect, action, resource, condition) for every action x resource pair of every statement."""
    return {
        (s.get("Effect", "Allow"), action, resource, json.dumps(s.get("Condition") or {}, sort_keys=True))
        for s in _statements(document)
        for action in _listed(s.get("Action"))
        for resource in _listed(s.get("Resource")) or ["*"]
    }


def _role_names(plan: Mapping[str, Any]) -> dict[str, str]:
    """Physical role name -> the Role resource's logical name (what a reader recognizes)."""
    return {ident: r["name"] for r in plan["resources"] if r["type"] == IAM_ROLE
            for ident in r.get("identifiers", [])}


def _permissions(plan: Mapping[str, Any]) -> dict[str, set[tuple[str, str, str, str]]]:
    """Physical role name (as both plans name it, whatever their format) -> its grants."""
    granted: dict[str, set[tuple[str, str, str, str]]] = {}
    for r in plan["resources"]:
        role = str(r["inputs"].get("role"))
        if r["type"] == IAM_ROLE_POLICY:
            granted.setdefault(role, set()).update(_grants(r["inputs"].get("policy")))
        elif r["type"] == IAM_ROLE_POLICY_ATTACHMENT:
            granted.setdefault(role, set()).add(("Attach", "managed policy", str(r["inputs"].get("policyArn")), "{}"))
    return granted


def _describe(grants: Iterable[tuple[str, str, str, str]]) -> str:
    return "; ".join(f"{e} {a} on {r}" + ("" if c == "{}" else f" if {c}") for e, a, r, c in sorted(grants))


def _permission_findings(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Finding]:
    old, new = _permissions(base), _permissions(head)
    names = {**_role_names(base), **_role_names(head)}
    findings = []
    for physical in sorted(old.keys() | new.keys()):
        role = names.get(physical, physical)
        gained = new.get(physical, set()) - old.get(physical, set())
        lost = old.get(physical, set()) - new.get(physical, set())
        secrets_gained = sorted({r for e, a, r, _ in gained if e == "Allow" and a in _SECRET_READ})
        secrets_lost = sorted({r for e, a, r, _ in lost if e == "Allow" and a in _SECRET_READ})
        for arn in secrets_gained:
            findings.append(Finding("secrets", "high", role, f"role {role} gains read access to secret {arn}"))
        for arn in secrets_lost:
            findings.append(Finding("secrets", "info", role, f"role {role} loses read access to secret {arn}"))
        if gained:
            broad = any(a.endswith("*") or r == "*" for _, a, r, _ in gained)
            findings.append(Finding("iam", "high" if broad else "medium", role,
                                    f"role {role} gains: {_describe(gained)}"))
        if lost:
            findings.append(Finding("iam", "info", role, f"role {role} loses: {_describe(lost)}"))
    return findings


def _trust(document: Any) -> dict[tuple[str, str], dict[str, tuple[str, frozenset[str]]]]:
    """Trusted principal -> the conditions it is trusted under (condition key -> operator, values)."""
    trusted: dict[tuple[str, str], dict[str, tuple[str, frozenset[str]]]] = {}
    for s in _statements(document):
        if s.get("Effect", "Allow") != "Allow":
            continue
        principal = s.get("Principal")
        entries = principal.items() if isinstance(principal, dict) else [("*", principal)]
        for kind, values in entries:
            for value in _listed(values):
                conditions = trusted.setdefault((kind, str(value)), {})
                for operator, pairs in (s.get("Condition") or {}).items():
                    conditions.update({key: (operator, frozenset(map(str, _listed(v)))) for key, v in pairs.items()})
    return trusted


def _trust_findings(urn: str, name: str, base: Any, head: Any) -> list[Finding]:
    old, new = _trust(base), _trust(head)
    found = []
    for (kind, value), conditions in sorted(new.items()):
        if (kind, value) not in old:
            pinned = "; ".join(f"{op} {key}" for key, (op, _) in sorted(conditions.items())) or "no condition"
            found.append(f"new principal {kind} {value} ({pinned})")
            continue
        for key, (operator, values) in sorted(old[(kind, value)].items()):
            if key not in conditions:
                found.append(f"condition {operator} {key} removed")
                continue
            new_operator, new_values = conditions[key]
            if new_operator in _WEAKER.get(operator, ()):
                found.append(f"{key} is matched with {new_operator} instead of {operator} "
                             f"({', '.join(sorted(new_values))})")
            elif new_values - values:
                found.append(f"{key} accepts more values: {', '.join(sorted(new_values - values))}")
    return [Finding("iam", "high", urn, f"trust of role {name} widens: {reason}") for reason in found]


def _pod_identity_findings(changes: Sequence[Change], plan: Mapping[str, Any]) -> list[Finding]:
    findings = []
    for c in changes:
        if c.type != POD_IDENTITY_ASSOCIATION:
            continue
        if c.op == "delete":
            findings.append(Finding("iam", "info", c.urn, f"Pod Identity association {c.name} is removed"))
            continue
        inputs = index(plan)[c.urn]["inputs"]
        findings.append(Finding(
            "iam", "medium", c.urn,
            f"Pod Identity association {c.name} ({c.op}): ServiceAccount {inputs.get('namespace')}/"
            f"{inputs.get('serviceAccount')} assumes {inputs.get('roleArn')}"))
    return findings


# -- Kubernetes ----------------------------------------------------------------------------------------------
def _rbac(rules: Any) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(apiGroup, resource) -> (verbs, resourceNames); an empty resourceNames means every object."""
    access: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for rule in _listed(rules):
        for group in _listed(rule.get("apiGroups")) or [""]:
            for resource in _listed(rule.get("resources")):
                verbs, names = access.setdefault((group, resource), (set(), set()))
                verbs.update(_listed(rule.get("verbs")))
                names.update(_listed(rule.get("resourceNames")))
    return access


def _role_findings(urn: str, name: str, base: Any, head: Any) -> list[Finding]:
    old, new = _rbac(base), _rbac(head)
    findings = []
    for (group, resource), (verbs, names) in sorted(new.items()):
        old_verbs, old_names = old.get((group, resource), (set(), set()))
        widened = []
        if verbs - old_verbs:
            widened.append(f"verbs {', '.join(sorted(verbs - old_verbs))}")
        if not names and (old_names or (group, resource) not in old):
            widened.append("every object (no resourceNames)")
        elif names - old_names and (old_names or (group, resource) not in old):  # from "every object": narrower
            widened.append(f"resourceNames {', '.join(sorted(names - old_names))}")
        if widened:
            severity = "high" if resource == "secrets" else "medium"
            findings.append(Finding("secrets" if resource == "secrets" else "iam", severity, urn,
                                    f"Role {name} widens on {resource}: {'; '.join(widened)}"))
    return findings


def _pod_spec(resource: Mapping[str, Any]) -> dict[str, Any]:
    spec = resource["inputs"].get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def _writable(pod: Mapping[str, Any]) -> set[str]:
    """'container: volume (kind) at path' for every Secret or CSI volume mounted writable."""
    volumes = {v.get("name"): v for v in _listed(pod.get("volumes"))}
    writable = set()
    for container in _listed(pod.get("containers")) + _listed(pod.get("initContainers")):
        for mount in _listed(container.get("volumeMounts")):
            volume = volumes.get(mount.get("name"), {})
            kind = "secret" if "secret" in volume else "csi" if "csi" in volume else None
            read_only = mount.get("readOnly") is True and (kind != "csi" or volume["csi"].get("readOnly") is True)
            if kind and not read_only:
                writable.add(f"{container.get('name')}: {mount.get('name')} ({kind}) at {mount.get('mountPath')}")
    return writable


def _kubernetes_findings(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Finding]:
    old = index(base)
    findings = []
    for r in head["resources"]:
        before = old.get(r["urn"])
        if r["type"] == ROLE:
            findings += _role_findings(r["urn"], r["name"], (before or {}).get("inputs", {}).get("rules"),
                                       r["inputs"].get("rules"))
        elif r["type"] == DEPLOYMENT:
            for mount in sorted(_writable(_pod_spec(r)) - (_writable(_pod_spec(before)) if before else set())):
                findings.append(Finding("secrets", "high", r["urn"],
                                        f"Deployment {r['name']} mounts writable: {mount}"))
            if _pod_spec(r).get("automountServiceAccountToken") is not False and (
                    before is None or _pod_spec(before).get("automountServiceAccountToken") is False):
                findings.append(Finding("secrets", "high", r["urn"],
                                        f"Deployment {r['name']}'s pods automount the API token"))
        elif r["type"] == SERVICE_ACCOUNT and r["inputs"].get("automountServiceAccountToken") \
                is not False and (before is None or before["inputs"].get("automountServiceAccountToken") is False):
            findings.append(Finding("secrets", "high", r["urn"], f"ServiceAccount {r['name']} automounts its token"))
    return findings


# -- data loss, protect, roll-outs, policy ------------------------------------------------------------------
def _loss_findings(changes: Sequence[Change], base: Mapping[str, Any]) -> list[Finding]:
    old = index(base)
    findings = []
    for c in changes:
        before = old.get(c.urn)
        if before is None or not c.removes:
            continue
        if before.get("protect"):
            findings.append(Finding("protect", "error", c.urn,
                                    f"{c.name} is protected: the engine refuses to {c.op} it ({c.reason}); "
                                    "remove `protect` in a change of its own first if this is intended"))
        if c.type in DATA_LOSS and not (c.op == "delete" and before.get("retain_on_delete")):
            findings.append(Finding("data-loss", "high", c.urn, f"{c.op} of {c.name}: {DATA_LOSS[c.type]}"))
    return findings


def _key_switch_findings(changes: Sequence[Change], base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Finding]:
    """An encrypted cluster's key never changes in place (terraform-provider-aws eks/cluster.go
    resourceClusterUpdate only calls AssociateEncryptionConfig when no key was set): the update succeeds in state
    and leaves the cluster on its old key."""
    old, new = index(base), index(head)
    return [
        Finding("secrets", "high", c.urn,
                f"{c.name}: the envelope key changes from {old[c.urn]['inputs']['encryptionConfigKeyArn']} to "
                f"{new[c.urn]['inputs'].get('encryptionConfigKeyArn')}, which EKS never applies to an encrypted "
                "cluster: its Secrets stay encrypted with the old key, which must not be deleted")
        for c in changes
        if c.type == EKS_COMPONENT and c.op == "update" and "encryptionConfigKeyArn" in c.paths
        and old[c.urn]["inputs"].get("encryptionConfigKeyArn")
    ]


def _rollout_findings(changes: Sequence[Change]) -> list[Finding]:
    findings = []
    for c in changes:
        if c.type != DEPLOYMENT or c.op in ("create", "delete"):
            continue
        checksums = sorted(p.split('["', 1)[1].rstrip('"]') for p in c.paths
                           if p.startswith(f'spec.template.metadata.annotations["{CHECKSUM_ANNOTATION_PREFIX}'))
        template = [p for p in c.paths if p.startswith("spec.template")]
        if c.replaces:
            why = f"the Deployment is replaced ({c.reason})"
        elif checksums:
            why = f"{', '.join(checksums)} changed"
        elif template:
            why = f"its pod template changes ({', '.join(template)})"
        else:
            continue
        findings.append(Finding("roll-out", "info", c.urn, f"Deployment {c.name} restarts its pods: {why}"))
    return findings


def _violations(plan: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(v["rule"], v["urn"]): v for v in plan.get("violations", [])}


def _policy_findings(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Finding]:
    old, new = _violations(base), _violations(head)
    introduced = [Finding("policy", "high" if v["enforcement"] == "mandatory" else "medium", v["urn"],
                          f"introduces {v['enforcement']} violation {v['rule']}: {v['message']}")
                  for key, v in sorted(new.items()) if key not in old]
    fixed = [Finding("policy", "info", v["urn"], f"fixes {v['enforcement']} violation {v['rule']}")
             for key, v in sorted(old.items()) if key not in new]
    return introduced + fixed


def _uncompared_secrets(base: Mapping[str, Any]) -> list[Finding]:
    """A base plan from before plans carried secret digests hides every change of a secret value."""
    if not base["resources"] or any("secret_digests" in r for r in base["resources"]):
        return []
    return [Finding("secrets", "medium", "", "the base plan carries no secret digests (it was written by an older "
                                             "version): changes of secret values cannot be seen")]


def review(base: Mapping[str, Any], head: Mapping[str, Any], changes: Sequence[Change]) -> list[Finding]:
    """Every finding of the change from ``base`` to ``head``, most severe first."""
    old = index(base)
    trust = [f for r in head["resources"] if r["type"] == IAM_ROLE and r["urn"] in old
             for f in _trust_findings(r["urn"], r["name"], old[r["urn"]]["inputs"].get("assumeRolePolicy"),
                                      r["inputs"].get("assumeRolePolicy"))]
    findings = (_loss_findings(changes, base) + _key_switch_findings(changes, base, head) + _uncompared_secrets(base)
                + _permission_findings(base, head) + trust + _pod_identity_findings(changes, head)
                + _kubernetes_findings(base, head) + _rollout_findings(changes) + _policy_findings(base, head))
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.kind, f.urn, f.message))
