"""Rules on Kubernetes providers (components/policy_rules/providers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.conventions import CONFIG_MAP, KMS_KEY, KUBERNETES_PROVIDER, NAMESPACE
from components.policy_rules import (
    providers,
)
from tests.policy_rules.helpers import DEFAULT_PROVIDER, view


def test_kubernetes_resources_with_the_cluster_provider_pass() -> None:
    resources = [view(CONFIG_MAP, {}), view(KUBERNETES_PROVIDER, {}, provider=None),
                 view(KMS_KEY, {})]
    assert providers.kubernetes_explicit_provider(resources) == []


@pytest.mark.parametrize("provider", [None, DEFAULT_PROVIDER])
def test_kubernetes_resource_on_the_default_provider_fails(provider: str | None) -> None:
    config_map = view(CONFIG_MAP, {}, provider=provider)
    assert providers.kubernetes_explicit_provider([config_map]) == [
        (config_map.urn, "Kubernetes resource uses the default provider (the ambient kubeconfig): pass the cluster's "
                         "provider, opts=ResourceOptions(providers={'kubernetes': provider})"),
    ]


def test_default_named_provider_with_a_kubeconfig_is_explicit() -> None:
    provider = view(KUBERNETES_PROVIDER, {"kubeconfig": "apiVersion: v1"}, name="default-cluster")
    namespace = view(NAMESPACE, {}, provider=provider.urn)
    assert providers.kubernetes_explicit_provider([provider, namespace]) == []


@pytest.mark.parametrize("props", [{}, {"kubeconfig": ""}, {"context": "prod"}])
def test_explicit_provider_without_kubeconfig_fails(props: dict[str, Any]) -> None:
    provider = view(KUBERNETES_PROVIDER, props, name="cluster-k8s")
    namespace = view(NAMESPACE, {}, provider=provider.urn)
    assert providers.kubernetes_explicit_provider([provider, namespace]) == [(namespace.urn, (
        "Kubernetes provider 'cluster-k8s' has no kubeconfig, so it uses the ambient one: set kubeconfig (the "
        "cluster's kubeconfig output)"))]
