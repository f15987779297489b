"""Every manifest the plan writes, Secrets included, checked with tools we did not write: the Kubernetes OpenAPI
schema of the cluster's version (kubernetes-validate, strict: no unknown field) for built-in kinds, and the vendored
upstream CRD schemas in reference/ for custom resources. What is checked is the files users get."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from components.conventions import SECRET_MARKER
from components.plan.cli import evaluate_stack
from components.plan.engine import Plan
from components.plan.render import write_manifests
from tests.conftest import REFERENCE, ROOT, STACKS, empty_fields

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


@cache
def written(stack: str) -> tuple[tuple[str, str], ...]:
    """(file name, text) of every Kubernetes object the plan of ``stack`` writes (Helm releases aside)."""
    with tempfile.TemporaryDirectory() as directory:
        paths = write_manifests(plan_of(stack), Path(directory))
        return tuple((p.name, p.read_text()) for p in paths if not p.name.startswith("helm-release-"))


def manifests(stack: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(text) for _, text in written(stack)]


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
    checked = []
    for document in manifests(stack):
        if (document["apiVersion"], document["kind"]) in CRDS:
            continue
        kubernetes_validate.validate(document, version, strict=True)
        checked.append(document["kind"])
    assert len(checked) >= 15 and checked.count("Secret") == 3


@pytest.mark.parametrize("stack", STACKS)
def test_written_secrets_keep_their_type_and_keys_with_each_value_redacted(stack: str) -> None:
    found = {d["metadata"]["name"]: (d["type"], d["stringData"]) for d in manifests(stack) if d["kind"] == "Secret"}
    planned = {r.inputs["metadata"]["name"]: (r.inputs["type"], r.inputs["stringData"])
               for r in plan_of(stack).find("kubernetes:core/v1:Secret")}
    assert found == planned
    assert all(data and set(data.values()) == {SECRET_MARKER} for _, data in found.values())


@pytest.mark.parametrize("stack", STACKS)
def test_manifests_read_in_order_without_empty_fields_nobody_set(stack: str) -> None:
    for name, text in written(stack):
        assert [line.split(":")[0] for line in text.splitlines()[:3]] == ["apiVersion", "kind", "metadata"], name
        assert text.splitlines()[3].startswith("  name: "), name
        assert empty_fields(yaml.safe_load(text)) == [], name


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
