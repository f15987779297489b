"""components/plan/diff.py: the operation of each resource between two plans, on hand-built plans and on pairs
of the project's own stack files (before, after) planned by `python -m components plan --base`."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.conventions import SECRET_MARKER
from components.plan.cli import EXIT_DATA_LOSS, EXIT_OK, main
from components.plan.diff import changed_paths, diff_plans, flatten
from tests.conftest import ROOT
from tests.test_plan_cli import own_project

PROVIDER = "urn:pulumi:dev::p::pulumi:providers:kubernetes::k8s"


def resource(name: str, type_: str, inputs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"urn": f"urn:pulumi:dev::p::{type_}::{name}", "type": type_, "name": name, "inputs": inputs,
            "provider": PROVIDER if type_.startswith("kubernetes:") else None, "dependencies": [],
            "property_dependencies": {}, "identifiers": [], "secret_digests": {}, "protect": False,
            "delete_before_replace": False, **fields}


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"project": "p", "stack": "dev", "resources": list(resources), "violations": []}


def k8s_provider(kubeconfig_digest: str) -> dict[str, Any]:
    provider = resource("k8s", "pulumi:providers:kubernetes",
                        {"kubeconfig": SECRET_MARKER, "enableConfigMapMutable": "true", "enableSecretMutable": "true"},
                        secret_digests={"kubeconfig": kubeconfig_digest})
    provider["urn"] = PROVIDER
    return provider


def config_map(name: str, data: dict[str, str], namespace: str = "dev") -> dict[str, Any]:
    return resource(name, "kubernetes:core/v1:ConfigMap",
                    {"metadata": {"name": name, "namespace": namespace}, "data": data})


def ops(changes: list[Any]) -> dict[str, str]:
    return {c.name: c.op for c in changes}


# -- on hand-built plans ----------------------------------------------------------------------------------------
def test_a_plan_compared_with_itself_has_no_changes() -> None:
    document = plan(k8s_provider("a"), config_map("c", {"k": "v"}))
    assert diff_plans(document, document) == []


def test_new_and_removed_resources_are_created_and_deleted() -> None:
    base, head = plan(config_map("old", {})), plan(config_map("new", {}))
    assert ops(diff_plans(base, head)) == {"old": "delete", "new": "create"}


def test_secrets_compare_by_digest_and_show_only_their_path() -> None:
    old = resource("s", "kubernetes:core/v1:Secret", {"stringData": {"token": SECRET_MARKER}},
                   secret_digests={"stringData.token": "1111"})
    same = resource("s", "kubernetes:core/v1:Secret", {"stringData": {"token": SECRET_MARKER}},
                    secret_digests={"stringData.token": "1111"})
    rotated = resource("s", "kubernetes:core/v1:Secret", {"stringData": {"token": SECRET_MARKER}},
                       secret_digests={"stringData.token": "2222"})
    assert changed_paths(old, same) == []
    assert changed_paths(old, rotated) == ["stringData.token"]
    change = diff_plans(plan(k8s_provider("a"), old), plan(k8s_provider("a"), rotated))[0]
    assert "2222" not in json.dumps(change.as_json())


def test_paths_use_pulumi_property_path_syntax() -> None:
    assert list(flatten({"a": {"checksum/x": 1, "b": [{"c": 2}], "e": {}}})) == ['a["checksum/x"]', "a.b[0].c", "a.e"]


def test_a_replaced_provider_replaces_every_object_on_it_deleting_first_where_names_stay() -> None:
    """provider.go DiffConfig: a new kubeconfig without clusterIdentifier replaces the provider; every object on
    it is then replaced, and one that keeps its name and namespace is deleted first (provider.go Diff)."""
    base = plan(k8s_provider("a"), config_map("c", {"k": "v"}))
    head = plan(k8s_provider("b"), config_map("c", {"k": "v"}))
    for r in (base, head):
        del r["resources"][0]["inputs"]["enableConfigMapMutable"]
    changes = {c.name: c for c in diff_plans(base, head)}
    assert changes["k8s"].op == "replace"
    assert changes["c"].op == "delete-before-replace"
    assert changes["c"].reason == "its provider k8s is replaced"


def test_a_replaced_namespace_replaces_what_is_in_it() -> None:
    namespace = resource("ns", "kubernetes:core/v1:Namespace", {"metadata": {"name": "dev"}})
    base = plan(k8s_provider("a"), namespace, config_map("c", {"k": "v"}))
    renamed = resource("ns", "kubernetes:core/v1:Namespace", {"metadata": {"name": "apps"}})
    head = plan(k8s_provider("a"), renamed, config_map("c", {"k": "v"}))
    changes = {c.name: c for c in diff_plans(base, head)}
    assert changes["ns"].op == "create-before-replace"
    assert changes["c"].op == "delete-before-replace"
    assert "deleting a Namespace deletes everything in it" in changes["c"].reason


def test_an_input_computed_from_a_replaced_resource_changes_and_may_replace_in_turn() -> None:
    """A replaced role has a new name and ARN: an inline policy's `role` (ForceNew) replaces it, a trust or key
    policy that only mentions the ARN updates in place."""
    role = resource("role", "aws:iam/role:Role", {"path": "/"},
                    identifiers=["role-1234", "arn:aws:iam::1:role/role-1234"])
    moved = resource("role", "aws:iam/role:Role", {"path": "/apps/"}, identifiers=["role-1234"])
    policy = resource("policy", "aws:iam/rolePolicy:RolePolicy", {"role": "role-1234", "policy": "{}"},
                      property_dependencies={"role": [role["urn"]]})
    key = resource("key", "aws:kms/key:Key",
                   {"policy": json.dumps({"Statement": [{"Principal": {"AWS": "arn:aws:iam::1:role/role-1234"}}]})},
                   property_dependencies={"policy": [role["urn"]]})
    changes = {c.name: c for c in diff_plans(plan(role, policy, key), plan(moved, policy, key))}
    assert changes["role"].op == "replace"
    assert (changes["policy"].op, changes["policy"].paths) == ("replace", ("role",))
    assert "role is computed from role, which is replaced" in changes["policy"].reason
    assert (changes["key"].op, changes["key"].paths) == ("update", ("policy",))


# -- on pairs of the project's stack files ------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stack's plan as the repository has it: the "before" of every pair."""
    path = tmp_path_factory.mktemp("base") / "plan-dev.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(ROOT), "--quiet", "--json", str(path)]) == EXIT_OK
    return path


def environment(document: dict[str, Any]) -> dict[str, Any]:
    """The dev environment's settings in a stack file document."""
    found: dict[str, Any] = document["config"]["eks-config-secrets:environments"][0]
    return found


def plan_against(base: Path, project: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = project / "out" / "plan-dev.json"
    code = main(["plan", "--stack", "dev", "--project-dir", str(project), "--quiet", "--base", str(base),
                 "--json", str(out), *extra])
    document: dict[str, Any] = json.loads(out.read_text())
    return code, document


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["urn"].rsplit("::", 1)[1]: c for c in document["changes"]}


def test_the_dev_plan_compared_with_a_fresh_plan_of_itself_has_no_changes(base_plan: Path) -> None:
    code, document = plan_against(base_plan, ROOT)
    assert (code, document["changes"], document["review"]) == (EXIT_OK, [], [])


def test_a_config_map_value_updates_it_in_place_and_rolls_each_deployment_that_reads_it(
        base_plan: Path, tmp_path: Path) -> None:
    project = own_project(tmp_path, lambda d: environment(d)["configMaps"][0]["data"].update(LOG_LEVEL="info"))
    code, document = plan_against(base_plan, project)
    changes = by_name(document)
    assert code == EXIT_OK
    # report-worker reads LOG_LEVEL from app-config too.
    assert {name: c["op"] for name, c in changes.items()} == {
        "dev-app-config": "update", "dev-app-deployment": "update", "dev-report-worker-deployment": "update"}
    assert changes["dev-app-config"]["paths"] == ["data.LOG_LEVEL"]
    assert changes["dev-app-deployment"]["paths"] == ['spec.template.metadata.annotations["checksum/app-config"]']
    assert [f["message"] for f in document["review"]] == [
        "Deployment dev-app-deployment restarts its pods: checksum/app-config changed",
        "Deployment dev-report-worker-deployment restarts its pods: checksum/app-config changed"]


def test_an_immutable_config_map_change_is_a_new_config_map_created_before_the_old_one_goes(
        base_plan: Path, tmp_path: Path) -> None:
    project = own_project(tmp_path, lambda d: None)
    nginx_conf = project / "config" / "nginx.conf"
    nginx_conf.write_text(nginx_conf.read_text().replace("worker_connections 1024", "worker_connections 2048"))
    code, document = plan_against(base_plan, project)
    changes = by_name(document)
    assert code == EXIT_OK
    config_map = changes["dev-nginx-config"]
    assert config_map["op"] == "create-before-replace"
    assert "metadata.name" in config_map["paths"]
    assert changes["dev-nginx-deployment"]["op"] == "update"


def test_renaming_a_namespace_replaces_everything_in_it_and_loses_data(base_plan: Path, tmp_path: Path) -> None:
    """Every object of the environment moves: metadata.namespace forces a replacement (diff.go). The new objects
    are created before the old ones go, because their namespace differs (provider.go Diff, deleteBeforeReplace
    condition 5); the old Namespace's deletion then takes its content with it: data loss, exit 3."""
    project = own_project(tmp_path, lambda d: environment(d).update(namespace="dev-apps"))
    code, document = plan_against(base_plan, project)
    changes = by_name(document)
    namespaced = [c for c in changes.values() if c["type"].startswith("kubernetes:")
                  and c["type"] not in ("kubernetes:core/v1:Namespace", "kubernetes:helm.sh/v3:Release")]
    assert code == EXIT_DATA_LOSS
    assert changes["dev-namespace"]["op"] == "create-before-replace"
    assert len(namespaced) > 10
    assert {c["op"] for c in namespaced} == {"create-before-replace"}
    lost = {f["urn"].rsplit("::", 1)[1] for f in document["review"] if f["kind"] == "data-loss"}
    assert {"dev-namespace", "dev-app-api", "dev-app-tls", "dev-registry-credentials"} <= lost


def test_switching_the_cluster_to_another_envelope_key_deletes_ours_a_data_loss(
        base_plan: Path, tmp_path: Path) -> None:
    """`cluster.kms.keyArn` brings a key of one's own: the key we created is deleted (every Secret encrypted with
    it is lost), and EKS never applies the new key to an encrypted cluster (eks/cluster.go resourceClusterUpdate)."""
    key = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    project = own_project(tmp_path, lambda d: d["config"]["eks-config-secrets:cluster"].update(kms={"keyArn": key}))
    code, document = plan_against(base_plan, project)
    changes = by_name(document)
    assert code == EXIT_DATA_LOSS
    assert changes["ecs-dev-secrets-key-key"]["op"] == "delete"
    assert changes["ecs-dev-eks"]["op"] == "update"
    assert changes["ecs-dev-eks"]["paths"] == ["encryptionConfigKeyArn"]
    messages = [f["message"] for f in document["review"]]
    assert any("ecs-dev-secrets-key-key: every Secret encrypted with the key becomes unreadable" in m for m in messages)
    assert any("EKS never applies to an encrypted cluster" in m for m in messages)
    assert plan_against(base_plan, project, "--allow-data-loss")[0] == EXIT_OK


def test_the_readme_example_is_what_the_command_prints(base_plan: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## What a change does to a running stack"):readme.index("## Deploying for real")]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    added, printed = next(b for kind, b in blocks if kind == "yaml"), next(b for kind, b in blocks if kind == "text")
    project = own_project(tmp_path, lambda d: d["config"]["eks-config-secrets:apps"][0]["secretSources"].extend(
        yaml.safe_load(textwrap.dedent(added))))
    capsys.readouterr()
    code, _ = plan_against(base_plan, project)
    assert code == EXIT_OK
    assert capsys.readouterr().out.replace(str(base_plan), "out/plan-dev.json") == printed


def test_a_secret_without_digest_in_an_older_base_plan_counts_as_unchanged() -> None:
    old = resource("s", "kubernetes:core/v1:Secret", {"stringData": {"token": SECRET_MARKER}})
    del old["secret_digests"]
    new = resource("s", "kubernetes:core/v1:Secret", {"stringData": {"token": SECRET_MARKER}},
                   secret_digests={"stringData.token": "2222"})
    assert changed_paths(old, new) == []
