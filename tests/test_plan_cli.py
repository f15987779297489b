"""components/plan/cli.py on a small project of its own: stack files, secure values, outputs, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.conventions import SECRET_MARKER
from components.plan.cli import (
    EXIT_DATA_LOSS,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_POLICY,
    evaluate_stack,
    load_stack_file,
    main,
)
from components.plan.offline import offline_placeholder
from tests.conftest import ROOT

PROGRAM = '''
import pulumi
import pulumi_kubernetes as k8s
from components.validation import SettingsError

config = pulumi.Config("demo")
name = config.require("name")
if not name.islower():
    raise SettingsError("demo:name", name, "is not lowercase")
provider = k8s.Provider("k8s", kubeconfig="{}")
opts = pulumi.ResourceOptions(provider=provider)
k8s.core.v1.Namespace("ns", metadata={"name": name}, opts=opts)
k8s.core.v1.Secret("token", metadata={"name": "token", "namespace": name},
                   string_data={"token": config.require_secret("token")}, opts=opts)
k8s.helm.v3.Release("driver", chart="secrets-store-csi-driver", version="1.6.0", namespace="kube-system",
                    repository_opts={"repo": "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts"},
                    values={"syncSecret": {"enabled": True}, "enableSecretRotation": ROTATION}, opts=opts)
pulumi.export("namespace", name)
pulumi.export("token", config.require_secret("token"))
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(textwrap.dedent("""\
        config:
          demo:name: team-a
          demo:token:
            secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=
        """))
    (tmp_path / "__main__.py").write_text(PROGRAM.replace("ROTATION", "True"))
    return tmp_path


def test_secure_values_become_secret_keys(project: Path) -> None:
    stack = load_stack_file(project, "dev")
    assert stack.secret_keys == ("demo:token",)
    assert stack.config["demo:name"] == "team-a"
    assert stack.config["demo:token"] == offline_placeholder("demo:token", "v1:c2VjcmV0LWNpcGhlcnRleHQ=")
    assert "v1:" not in json.dumps(stack.config)


def test_a_changed_secure_value_changes_the_plan_but_stays_redacted(project: Path) -> None:
    before = evaluate_stack(project, "dev")[1].one("kubernetes:core/v1:Secret")
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("v1:c2VjcmV0LWNpcGhlcnRleHQ=", "v1:b3RoZXItY2lwaGVydGV4dA=="))
    after = evaluate_stack(project, "dev")[1].one("kubernetes:core/v1:Secret")
    assert before.raw_inputs["stringData"] != after.raw_inputs["stringData"]
    assert before.inputs == after.inputs


def test_two_runs_write_identical_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Sets (dependencies) iterate in hash order and the SDK gathers registrations on threads: the plan must not
    show either. Run in subprocesses, as a user would, with two hash seeds."""
    runs = {seed: subprocess.Popen(
        [sys.executable, "-m", "components", "plan", "--stack", "dev", "--project-dir", str(ROOT), "--quiet",
         "--json", str(tmp_path / seed / "plan.json"), "--manifests", str(tmp_path / seed / "manifests"),
         "--graph", str(tmp_path / seed / "graph.mmd")],
        cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, stdout=subprocess.DEVNULL) for seed in ("1", "2")}
    assert [run.wait() for run in runs.values()] == [EXIT_OK, EXIT_OK]
    outputs = [{str(p.relative_to(tmp_path / seed)): p.read_bytes() for p in sorted((tmp_path / seed).rglob("*"))
                if p.is_file()} for seed in runs]
    assert len(outputs[0]) > 20
    assert outputs[0] == outputs[1]


def test_plan_prints_a_tree_and_a_summary(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_OK
    out = capsys.readouterr().out
    assert " +   pulumi:pulumi:Stack" in out
    assert "├─ kubernetes:core/v1:Namespace" in out
    assert out.rstrip().endswith("+ 5 to create")


def test_plan_json_has_every_field(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--json", str(target)]) == EXIT_OK
    document = json.loads(target.read_text())
    assert set(document) == {"project", "stack", "resources", "outputs", "violations", "unset_secrets", "access",
                             "rotation_cost"}
    assert document["access"] == []  # no pod reads a secret
    assert document["rotation_cost"]["by_app"] == []
    assert (document["project"], document["stack"]) == ("demo", "dev")
    assert set(document["resources"][0]) == {
        "urn", "type", "name", "parent", "custom", "provider", "dependencies", "protect", "retain_on_delete",
        "delete_before_replace", "replace_on_changes", "additional_secret_outputs", "inputs",
        "property_dependencies", "identifiers", "secret_digests"}
    assert document["outputs"] == {"namespace": "team-a", "token": "[secret]"}


def test_manifests_are_written_per_namespace_with_secrets_redacted(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--manifests", str(out)]) == EXIT_OK
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert files == ["_cluster/namespace-team-a.yaml", "kube-system/helm-release-driver-" + files[1][-12:],
                     "team-a/secret-token.yaml"]
    secret = yaml.safe_load((out / "team-a" / "secret-token.yaml").read_text())
    assert secret == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token", "namespace": "team-a"},
                      "stringData": {"token": "[secret]"}}
    release = yaml.safe_load((out / files[1]).read_text())
    assert release["chart"] == "secrets-store-csi-driver"
    assert release["repository"] == "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts"
    assert release["values"] == {"syncSecret": {"enabled": True}, "enableSecretRotation": True}


@pytest.mark.parametrize("suffix, first_line", [(".dot", "digraph plan {"), (".mmd", "flowchart LR")])
def test_graph_is_written_as_dot_or_mermaid(project: Path, tmp_path: Path, suffix: str, first_line: str) -> None:
    target = tmp_path / f"graph{suffix}"
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--graph", str(target)]) == EXIT_OK
    text = target.read_text()
    assert text.splitlines()[0] == first_line
    assert "Namespace" in text


def test_invalid_settings_exit_1_with_one_message(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("team-a", "Team-A"))
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert capsys.readouterr().err == (
        "error: invalid stacks/Pulumi.dev.yaml: demo:name 'Team-A' is not lowercase\n"
    )


def test_unknown_stack_lists_the_stacks(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "qa", "--project-dir", str(project)]) == EXIT_INVALID
    assert f"--stack 'qa' has no stack file {project / 'stacks' / 'Pulumi.qa.yaml'} (stacks: dev)" in (
        capsys.readouterr().err)


def test_mandatory_violation_exits_2_naming_rule_and_resource(project: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (project / "__main__.py").write_text(PROGRAM.replace("ROTATION", "False"))
    target = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--json", str(target)]) == EXIT_POLICY
    out = capsys.readouterr()
    assert "[mandatory] csi-driver-rotation" in out.out
    assert "urn:pulumi:dev::demo::kubernetes:helm.sh/v3:Release::driver" in out.out
    assert out.err == "error: 1 mandatory policy violation(s)\n"
    violations = json.loads(target.read_text())["violations"]
    assert [(v["rule"], v["urn"], v["enforcement"]) for v in violations] == [
        ("csi-driver-rotation", "urn:pulumi:dev::demo::kubernetes:helm.sh/v3:Release::driver", "mandatory")]


def own_project(tmp_path: Path, edit: Any) -> Path:
    """This repository's project with its dev stack file passed through ``edit(document)``."""
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "stacks").mkdir()
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    edit(document)
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


def test_a_stack_importing_esc_environments_plans_with_its_secrets_taken_as_supplied(tmp_path: Path) -> None:
    project = own_project(tmp_path, lambda d: d.update(environment=["eks-config-secrets/dev"]))
    stack_file, plan = evaluate_stack(project, "dev")
    assert stack_file.environments == ("eks-config-secrets/dev",)
    api = plan.one("kubernetes:core/v1:Secret", "dev-app-api")
    assert api.raw_inputs["stringData"] == {"API_TOKEN": offline_placeholder("eks-config-secrets:apiToken")}
    assert api.inputs["stringData"] == {"API_TOKEN": SECRET_MARKER}


@pytest.mark.parametrize("environment, imported", [
    (["shared", "eks-config-secrets/dev@stable"], ("shared", "eks-config-secrets/dev@stable")),
    ([{"shared": {"merge": False}}, "team/dev"], ("shared", "team/dev")),
    ({"imports": ["shared"], "values": {"pulumiConfig": {"aws:region": "eu-west-1"}}},
     ("shared", "the stack file's own environment definition")),
])
def test_both_shapes_of_environment_that_pulumi_accepts(project: Path, environment: Any,
                                                        imported: tuple[str, ...]) -> None:
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(yaml.safe_dump({"environment": environment, **yaml.safe_load(stack.read_text())}))
    assert load_stack_file(project, "dev").environments == imported


@pytest.mark.parametrize("environment, message", [
    ("team/dev", "environment 'team/dev' is not a list of Pulumi ESC environment names"),
    ([""], "environment[0] '' is not a Pulumi ESC environment name ('project/env')"),
    ({"import": ["x"]}, "environment.import ['x'] is not part of an environment definition (imports, values)"),
])
def test_a_malformed_environment_is_one_clear_error(project: Path, capsys: pytest.CaptureFixture[str],
                                                    environment: Any, message: str) -> None:
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(yaml.safe_dump({"environment": environment, **yaml.safe_load(stack.read_text())}))
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert capsys.readouterr().err == f"error: invalid stacks/Pulumi.dev.yaml: {message}\n"


def _without_region_importing(document: dict[str, Any]) -> None:
    del document["config"]["aws:region"]
    document["environment"] = ["aws/dev", "eks-config-secrets/dev"]


def test_a_missing_setting_names_the_environments_and_the_offline_flag(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    project = own_project(tmp_path, _without_region_importing)
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert capsys.readouterr().err == (
        "error: invalid stacks/Pulumi.dev.yaml: aws:region None is required: run `pulumi config set aws:region "
        "<region>`; the stack imports the Pulumi ESC environment(s) aws/dev, eks-config-secrets/dev, which the "
        "offline plan cannot open: if they supply it, pass it with `plan --config aws:region=<value>`\n")


def test_a_missing_nested_setting_names_its_top_level_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def edit(document: dict[str, Any]) -> None:
        del document["config"]["eks-config-secrets:apps"][0]["image"]
        document["environment"] = ["eks-config-secrets/dev"]

    assert main(["plan", "--stack", "dev", "--project-dir", str(own_project(tmp_path, edit))]) == EXIT_INVALID
    assert capsys.readouterr().err.endswith(
        "eks-config-secrets:apps[0].image None is required but not set; the stack imports the Pulumi ESC "
        "environment(s) eks-config-secrets/dev, which the offline plan cannot open: if they supply it, pass it "
        "with `plan --config apps=<value>`\n")


def test_without_esc_a_missing_setting_gets_the_usual_error(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    project = own_project(tmp_path, lambda d: d["config"].pop("aws:region"))
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert capsys.readouterr().err == (
        "error: invalid stacks/Pulumi.dev.yaml: aws:region None is required: run `pulumi config set aws:region "
        "<region>`\n")


def test_config_flag_supplies_what_an_environment_would(tmp_path: Path) -> None:
    project = own_project(tmp_path, _without_region_importing)
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--quiet",
                 "--config", "aws:region=eu-central-1"]) == EXIT_OK
    _, plan = evaluate_stack(project, "dev", ["aws:region=eu-central-1"])
    assert plan.one("aws:kms/key:Key").outputs["arn"].startswith("arn:aws:kms:eu-central-1:")


def test_config_values_are_yaml_and_keys_default_to_the_project(project: Path) -> None:
    stack = load_stack_file(project, "dev", ["replicas=3", "quoted='5432'", "flags=[a, b]", "map={x: 1}",
                                             "aws:region=eu-west-1", "token=in clear"])
    assert {k: v for k, v in stack.config.items() if k != "demo:name"} == {
        "demo:replicas": 3, "demo:quoted": "5432", "demo:flags": ["a", "b"], "demo:map": {"x": 1},
        "aws:region": "eu-west-1", "demo:token": "in clear"}
    # A value given on the command line is plain text, as `pulumi config set` without --secret would store it.
    assert stack.secret_keys == ()


def test_config_flag_replaces_a_stack_file_value(project: Path) -> None:
    plan = evaluate_stack(project, "dev", ["name=team-b"])[1]
    assert plan.one("kubernetes:core/v1:Namespace").inputs["metadata"]["name"] == "team-b"


@pytest.mark.parametrize("assignment, message", [
    ("region", "--config 'region' is not KEY=VALUE (e.g. --config aws:region=eu-west-1)"),
    ("map={a: [", "--config map '{a: [' is not a YAML value (quote it: 'a: b' is a map)"),
])
def test_a_malformed_config_flag_is_one_clear_error(project: Path, capsys: pytest.CaptureFixture[str],
                                                    assignment: str, message: str) -> None:
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--config", assignment]) == EXIT_INVALID
    assert capsys.readouterr().err == f"error: {message}\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          capture_output=True, text=True, check=True).stdout


def committed(project: Path) -> Path:
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "base")
    return project


def test_base_revision_is_planned_by_its_own_code_in_a_worktree_that_is_removed(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    committed(project)
    # The revision's program, not the working tree's: the working tree adds a ConfigMap the revision lacks.
    (project / "__main__.py").write_text(PROGRAM.replace("ROTATION", "True") + (
        'k8s.core.v1.ConfigMap("settings", metadata={"name": "settings", "namespace": name}, data={"a": "b"}, '
        "opts=opts)\n"))
    target = tmp_path / "plan.json"
    markdown = tmp_path / "diff.md"
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--base", "HEAD", "--json", str(target),
                 "--markdown", str(markdown)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "  +  create                 kubernetes:core/v1:ConfigMap  settings" in out
    assert "Resources: 1 to create, 4 unchanged" in out
    assert json.loads(target.read_text())["changes"] == [{
        "urn": "urn:pulumi:dev::demo::kubernetes:core/v1:ConfigMap::settings", "type": "kubernetes:core/v1:ConfigMap",
        "op": "create", "paths": [], "reason": "new in the program", "verified": True}]
    assert "**1 to create, 4 unchanged**" in markdown.read_text()
    assert git(project, "worktree", "list").count("\n") == 1


def test_a_data_losing_change_exits_3_unless_allowed(project: Path) -> None:
    committed(project)
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("team-a", "team-b"))
    argv = ["plan", "--stack", "dev", "--project-dir", str(project), "--base", "HEAD"]
    assert main(argv) == EXIT_DATA_LOSS
    assert main([*argv, "--allow-data-loss"]) == EXIT_OK


def test_a_mandatory_violation_wins_over_data_loss(project: Path) -> None:
    committed(project)
    stack = project / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("team-a", "team-b"))
    (project / "__main__.py").write_text(PROGRAM.replace("ROTATION", "False"))
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--base", "HEAD"]) == EXIT_POLICY


def test_a_base_that_is_neither_a_plan_nor_a_revision_exits_1(project: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--base", "no-such-rev"]) == EXIT_INVALID
    assert capsys.readouterr().err == (
        f"error: --base 'no-such-rev' is neither a plan JSON file nor a git revision of {project}\n")


def test_a_base_plan_of_another_stack_exits_1(project: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "prod.json"
    other.write_text(json.dumps({"stack": "prod", "resources": []}))
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--base", str(other)]) == EXIT_INVALID
    assert capsys.readouterr().err == f"error: --base {other}: a plan of stack 'prod', not 'dev'\n"


def test_plan_lists_referenced_secret_settings_the_stack_file_lacks(project: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (project / "__main__.py").write_text(MAIN_WITH_SECRETS)
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--quiet"]) == EXIT_OK
    out = capsys.readouterr().out
    assert ("Secret settings not in the stack file: each must be set with `pulumi config set --secret` before "
            "`pulumi up`:\n  eks-config-secrets:apiTokn\n") in out


def test_with_an_esc_environment_unset_secrets_may_come_from_it(project: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    (project / "__main__.py").write_text(MAIN_WITH_SECRETS)
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text("environment:\n  - team/dev\n" + stack_file.read_text())
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--quiet"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "to come from ESC environment(s) team/dev" in out and "must be set with" not in out


def test_nested_secure_value_exits_invalid_without_printing_it(project: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stacks" / "Pulumi.dev.yaml").write_text(
        "config:\n  demo:name: team-a\n  demo:extra:\n    data:\n      secure: v1:c2VjcmV0\n")
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "demo:extra.data (secret) is a secure value where no secret is expected" in err
    assert "c2VjcmV0" not in err


def test_stack_file_that_is_not_utf8_exits_invalid(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stacks" / "Pulumi.dev.yaml").write_bytes(b"config:\n  demo:name: \xff\n")
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert "is not UTF-8 text" in capsys.readouterr().err


MAIN_WITH_SECRETS = '''
from stack_program import settings
from tests.conftest import ROOT, stack_values
values = stack_values("dev")
values["environments"][0]["kubernetesSecrets"][0]["stringDataSettings"]["API_TOKEN"] = "apiTokn"  # the typo to show
settings.parse_settings(values, stack="dev", region="eu-west-1", project_dir=ROOT)
'''


def test_project_without_a_program_is_one_message(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "__main__.py").unlink()
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert "has no __main__.py" in capsys.readouterr().err


def test_run_error_of_a_program_is_one_message(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "__main__.py").write_text("import pulumi\nraise pulumi.RunError('the cluster name is taken')\n")
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert capsys.readouterr().err == "error: the cluster name is taken\n"


def test_region_given_as_a_secret_is_refused_without_its_value(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    from tests.conftest import ROOT

    project = tmp_path / "p"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    document = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    document["config"]["aws:region"] = {"secure": "v1:ZXUtd2VzdC0x"}
    (project / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    assert main(["plan", "--stack", "dev", "--project-dir", str(project)]) == EXIT_INVALID
    assert "aws:region (secret) is set as a secret" in capsys.readouterr().err


def policy_pack_config(folder: Path, document: object) -> str:
    path = folder / "policy-config.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_policy_pack_config_sets_each_rules_level_as_the_pack_would(project: Path, tmp_path_factory: Any) -> None:
    (project / "__main__.py").write_text(PROGRAM.replace("ROTATION", "False"))
    folder, target = tmp_path_factory.mktemp("config"), project / "plan.json"
    argv = ["plan", "--stack", "dev", "--project-dir", str(project), "--json", str(target)]
    assert main([*argv, "--policy-pack-config", policy_pack_config(folder, {
        "csi-driver-rotation": "advisory"})]) == EXIT_OK
    assert [(v["rule"], v["enforcement"]) for v in json.loads(target.read_text())["violations"]] == [
        ("csi-driver-rotation", "advisory")]
    assert main([*argv, "--policy-pack-config", policy_pack_config(folder, {"all": "disabled"})]) == EXIT_OK
    assert json.loads(target.read_text())["violations"] == []


def test_a_mistaken_policy_pack_config_exits_1_before_planning(project: Path, tmp_path_factory: Any,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = policy_pack_config(tmp_path_factory.mktemp("config"), {"all": "off", "csi-rotation": "advisory"})
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--policy-pack-config", path]) == (
        EXIT_INVALID)
    assert capsys.readouterr().err.splitlines() == [
        f"error: --policy-pack-config {path}: all 'off' is not an enforcement level (one of advisory, mandatory, "
        "disabled)",
        f"error: --policy-pack-config {path}: csi-rotation 'csi-rotation' is not a policy of the pack (did you mean "
        "'csi-driver-rotation'?)"]


def test_a_base_revision_is_judged_under_the_same_policy_pack_config(
        project: Path, tmp_path_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "__main__.py").write_text(PROGRAM.replace("ROTATION", "False"))
    committed(project)
    path = policy_pack_config(tmp_path_factory.mktemp("config"), {"csi-driver-rotation": "disabled"})
    target = project / "plan.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(project), "--base", "HEAD", "--json", str(target),
                 "--policy-pack-config", path]) == EXIT_OK
    # Planned without the file, the base would hold a violation that the head "fixes".
    assert json.loads(target.read_text())["review"] == []
