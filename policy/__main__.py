"""The eks-config-secrets policy pack: `pulumi preview --policy-pack policy`.

The rules live in the ``components/policy_rules/`` package (run by the offline plan and the tests too); the pack
imports them from the repository it sits in, so one checkout is one version of the rules. ``PolicyPack`` serves the
rules and never returns.
"""

import sys
from pathlib import Path

# The CLI runs the pack from policy/, where neither `components` nor `policy.pack` is importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import PACK_NAME, policies

PolicyPack(
    name=PACK_NAME,
    policies=policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Secrets on EKS: KMS envelope encryption, pinned workload identities, read-only secret volumes, "
    "explicit providers and CRD ordering.",
)
