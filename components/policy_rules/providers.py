"""Rules on Kubernetes providers: no resource deploys to whatever cluster the ambient kubeconfig points at."""

from __future__ import annotations

import re
from collections.abc import Sequence

from components.conventions import KUBERNETES_PROVIDER
from components.policy_rules.rule import stack_rule
from components.policy_rules.view import ResourceView


def _provider_name(provider_urn: str) -> str:
    return provider_urn.rsplit("::", 1)[-1]


_DEFAULT_PROVIDER_NAME = re.compile(r"^default(_\d+_\d+_\d+\S*)?$")
"""How the engine names the default provider it creates (``default`` or ``default_<version>``)."""


@stack_rule("kubernetes-explicit-provider", "Every Kubernetes resource names an explicit provider.", "mandatory",
            "high", "Pass the cluster's provider (SecureCluster.provider) to every Kubernetes resource.")
def kubernetes_explicit_provider(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """No Kubernetes resource may deploy to whatever cluster the operator's kubeconfig points at.

    A provider is judged by what it is, not by its name: a provider resource of the stack without a kubeconfig
    falls back to the ambient one (pulumi-kubernetes reads ``$KUBECONFIG`` / ``~/.kube/config`` when ``kubeconfig``
    is unset), whatever it is called. A provider the stack does not hold is the engine's default provider when it
    has the default's name (the offline plan records none; the engine calls it ``default_<version>``).
    """
    providers = {r.urn: r for r in resources if r.type == KUBERNETES_PROVIDER}
    found = []
    for r in resources:
        if not r.type.startswith("kubernetes:"):
            continue
        provider = providers.get(r.provider) if r.provider else None
        if provider is not None:
            kubeconfig = provider.props.get("kubeconfig")
            if not (isinstance(kubeconfig, str) and kubeconfig.strip()):
                found.append((r.urn, f"Kubernetes provider {provider.name!r} has no kubeconfig, so it uses the "
                                     f"ambient one: set kubeconfig (the cluster's kubeconfig output)"))
        elif r.provider is None or _DEFAULT_PROVIDER_NAME.match(_provider_name(r.provider)):
            found.append((r.urn, "Kubernetes resource uses the default provider (the ambient kubeconfig): pass "
                                 "the cluster's provider, opts=ResourceOptions(providers={'kubernetes': provider})"))
    return found
