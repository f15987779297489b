"""The access proof as a mandatory policy: a pod that cannot read a secret it uses fails the plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from components.access.chain import Edge
from components.policy_rules import Violation

__all__ = ["REMEDIATION", "RULE", "access_violations"]

RULE = "secret-access-proven"
REMEDIATION = ("Repair the broken link each message names (its Fix says how): the pod's identity, the role's trust or "
               "grant, the key's policy or the secret's resource policy.")


def access_violations(edges: Sequence[Edge], workload_urns: Mapping[tuple[str, str], str]) -> list[Violation]:
    """One mandatory violation per broken edge, on the URN of its workload (``(namespace, name)`` → URN)."""
    return [
        Violation(RULE, workload_urns.get((e.namespace, e.workload), f"{e.namespace}/{e.workload}"),
                  f"pod {e.pod} of {e.namespace}/{e.workload} (container {e.container}, {e.target}) cannot read "
                  f"secret {e.secret}: broken link {e.broken_link}: {e.detail}. Fix: {e.fix}", True, "critical",
                  REMEDIATION)
        for e in edges if not e.ok
    ]
