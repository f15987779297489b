"""Every rendered manifest checked with tools we did not write: the Kubernetes OpenAPI schema of the cluster's
version (kubernetes-validate) for built-in kinds, and the vendored upstream CRD schemas in reference/ for ours."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from components.plan.cli import evaluate_stack
from components.plan.engine import Plan
from tests.conftest import REFERENCE, ROOT, STACKS

CRDS = {
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"):
        REFERENCE / "secrets-store-csi-driver/v1.6.0/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml",
    ("external-secrets.io/v1", "ExternalSecret"):
        REFERENCE / "external-secrets/v2.9.0/external-secrets.io_externalsecrets.yaml",
    ("external-secrets.io/v1", "SecretStore"):
        REFERENCE / "external-secrets/v2.9.0/external-secrets.io_secretstores.yaml",
}


@cache
def plan_of(stack: str) -> Plan:
    return evaluate_stack(ROOT, stack)[1]


def manifests(stack: str) -> list[dict[str, Any]]:
    """The objects as the API server would receive them. Offline, secret values are placeholders, so the
    plaintext inputs are safe to validate (the redacted ones would fail the schema: '[secret]' is no map)."""
    found = []
    for resource in plan_of(stack).resources:
        if resource.type.startswith("kubernetes:") and "kind" in resource.raw_inputs and resource.type.count(":") == 2 \
                and not resource.type.startswith("kubernetes:helm.sh"):
            document = dict(resource.raw_inputs)
            document["metadata"] = {**document.get("metadata", {}), "name": resource.outputs["metadata"]["name"]}
            found.append(document)
    return found


@cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    crd = yaml.safe_load(CRDS[(api_version, kind)].read_text())
    version = api_version.split("/")[1]
    served = [v for v in crd["spec"]["versions"] if v["name"] == version and v["served"]]
    assert served, f"{api_version} {kind} is not served by the pinned CRD"
    return dict(served[0]["schema"]["openAPIV3Schema"])


@pytest.mark.parametrize("stack", STACKS)
def test_built_in_objects_validate_against_the_cluster_versions_schema(stack: str) -> None:
    version = plan_of(stack).one("eks:index:Cluster").inputs["version"]
    checked = 0
    for document in manifests(stack):
        if (document["apiVersion"], document["kind"]) in CRDS:
            continue
        kubernetes_validate.validate(document, version, strict=True)
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("stack", STACKS)
def test_custom_resources_validate_against_the_upstream_crds(stack: str) -> None:
    custom = [d for d in manifests(stack) if (d["apiVersion"], d["kind"]) in CRDS]
    assert custom
    for document in custom:
        jsonschema.validate(document, crd_schema(document["apiVersion"], document["kind"]))


def test_the_crd_check_rejects_an_unknown_field() -> None:
    document = next(d for d in manifests("dev") if d["kind"] == "SecretProviderClass")
    broken = {**document, "spec": {**document["spec"], "parameters": {"objects": ["not", "a", "string"]}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, crd_schema(document["apiVersion"], "SecretProviderClass"))


def test_the_schema_check_rejects_a_bad_deployment() -> None:
    document = next(d for d in manifests("dev") if d["kind"] == "Deployment")
    broken = {**document, "spec": {**document["spec"], "replicas": "three"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33", strict=True)
