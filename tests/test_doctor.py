"""doctor: the AWS side against moto (real boto3 calls; conditions through our evaluator, since moto ignores
them), the Kubernetes side on dumps made from the plan's own manifests plus the pods each Deployment would
create, each mutated so that it breaks exactly one link."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components.access.chain import Edge, prove_access, spc_object_services
from components.access.plan_world import cluster_objects
from components.doctor.cli import driver_notes, dump_commands, simulate
from components.doctor.collect import collect_world
from components.doctor.sources import KINDS, Boto3Aws, DumpAws, DumpKube, dump_name
from components.plan.cli import evaluate_stack, main
from components.plan.engine import Plan
from tests.conftest import ROOT

REGION = "eu-west-1"
Objects = list[dict[str, Any]]


@pytest.fixture(scope="module")
def dev_plan() -> Plan:
    return evaluate_stack(ROOT, "dev")[1]


@pytest.fixture(scope="module")
def prod_plan() -> Plan:
    return evaluate_stack(ROOT, "prod")[1]


def write_kube_dump(directory: Path, objects: Objects) -> None:
    """What `kubectl get <resource> -A -o json` prints, one file per resource kind."""
    (directory / "k8s").mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        items = [o for o in objects if o.get("kind") == kind.kind]
        (directory / "k8s" / f"{kind.resource}.json").write_text(json.dumps({"kind": "List", "items": items}))


class RecordingAws(Boto3Aws):
    """Live boto3 reads that also write each answer where the dump commands would."""

    def __init__(self, directory: Path) -> None:
        super().__init__(REGION)
        self.directory = directory

    def call(self, service: str, operation: str, argument: str | None = None, **params: Any) -> dict[str, Any] | None:
        answer = super().call(service, operation, argument, **params)
        path = self.directory / dump_name(service, operation, argument)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("" if answer is None else json.dumps(answer))
        return answer


def _roles(plan: Plan) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    for role in plan.find("aws:iam/role:Role"):
        name = role.outputs["name"]
        policies = [json.loads(p.outputs["policy"]) for p in plan.find("aws:iam/rolePolicy:RolePolicy")
                    if p.outputs["role"] == name]
        if policies:
            yield name, json.loads(role.outputs["assumeRolePolicy"]), policies


def seed_account(plan: Plan) -> str:
    """Create in moto what `pulumi up` of the plan would, with the issuer EKS (moto) reports for the cluster."""
    cluster = plan.one("eks:index:Cluster").outputs
    eks = boto3.client("eks", region_name=REGION)
    eks.create_cluster(name=cluster["name"], roleArn="arn:aws:iam::123456789012:role/cluster",
                       resourcesVpcConfig={"subnetIds": ["subnet-0a"]})
    issuer = eks.describe_cluster(name=cluster["name"])["cluster"]["identity"]["oidc"]["issuer"]
    iam = boto3.client("iam")
    iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
    for name, trust, policies in _roles(plan):
        text = json.dumps(trust).replace(cluster["oidcIssuer"], issuer.removeprefix("https://"))
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=text)
        for index, policy in enumerate(policies):
            iam.put_role_policy(RoleName=name, PolicyName=f"secrets-read-{index}", PolicyDocument=json.dumps(policy))
    secrets = boto3.client("secretsmanager", region_name=REGION)
    ssm = boto3.client("ssm", region_name=REGION)
    for spc in plan.find("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"):
        for name, service in spc_object_services(spc.outputs).items():
            if service == "ssm":
                ssm.put_parameter(Name=name, Value='{"checkout": "on"}', Type="SecureString")
            else:
                secrets.create_secret(Name=name, SecretString='{"password": "x"}')
    return issuer.removeprefix("https://")


def doctor(objects: Objects, tmp_path: Path, cluster: str) -> list[Edge]:
    write_kube_dump(tmp_path, objects)
    return prove_access(collect_world(DumpKube(tmp_path), RecordingAws(tmp_path), cluster_name=cluster,
                                      region=REGION))


def broken_links(edges: list[Edge]) -> set[str | None]:
    return {e.broken_link for e in edges if not e.ok}


def _find(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(name))


def _drop_annotation(objects: Objects, _iam: Any) -> None:
    del _find(objects, "ServiceAccount", "app")["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]


def _pod_on_missing_account(objects: Objects, _iam: Any) -> None:
    _find(objects, "Pod", "app-")["spec"]["serviceAccountName"] = "payments"


def _pod_on_account_without_role(objects: Objects, _iam: Any) -> None:
    _find(objects, "Pod", "app-")["spec"]["serviceAccountName"] = "nginx"


def _drop_sts_audience(objects: Objects, _iam: Any) -> None:
    driver = _find(objects, "CSIDriver", "secrets-store")
    driver["spec"]["tokenRequests"] = [{"audience": "pods.eks.amazonaws.com"}]


def _trust_other_namespace(_objects: Objects, iam: Any) -> None:
    role = next(r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("dev-app-identity-role"))
    trust = json.dumps(role["AssumeRolePolicyDocument"]).replace("serviceaccount:dev:", "serviceaccount:staging:")
    iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=trust)


def _drop_permission(_objects: Objects, iam: Any) -> None:
    role = next(r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("dev-app-identity-role"))
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="secrets-read-0")


def _name_secret_without_suffix(_objects: Objects, iam: Any) -> None:
    # The deliberately broken role: its policy names the secret by name, which never matches the ARN.
    role = next(r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("dev-app-identity-role"))
    policy = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="secrets-read-0")["PolicyDocument"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="secrets-read-0",
                        PolicyDocument=json.dumps(policy).replace("-??????", ""))


def _drop_oidc_provider(_objects: Objects, iam: Any) -> None:
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])


def _rename_synced_key(objects: Objects, _iam: Any) -> None:
    spc = _find(objects, "SecretProviderClass", "dev-app-spc")
    spc["spec"]["secretObjects"][0]["data"][1]["key"] = "password"


def _disable_sync(objects: Objects, _iam: Any) -> None:
    objects.remove(_find(objects, "ClusterRole", "secretprovidersyncing-role"))


# The app reads a secret and an SSM parameter; report-worker, also on IRSA, a parameter.
APP = {"dev/app/database", "/dev/app/features"}
IRSA = APP | {"/dev/report-worker/signing-key"}
# Which edges each mutation breaks: the app's whole identity, every IRSA edge, or only the secret's.
BREAKS = {"drop_sts_audience": IRSA, "drop_oidc_provider": IRSA, "name_secret_without_suffix": {"dev/app/database"},
          "rename_synced_key": {"dev/app/database"}}
MUTATIONS: list[tuple[Callable[[Objects, Any], None], str, str]] = [
    (_drop_annotation, "role-annotation", "has no eks.amazonaws.com/role-arn"),
    (_pod_on_missing_account, "service-account", "ServiceAccount dev/payments does not exist"),
    (_pod_on_account_without_role, "role-annotation", "ServiceAccount dev/nginx has no"),
    (_drop_sts_audience, "token-audience", "not sts.amazonaws.com"),
    (_trust_other_namespace, "trust", "system:serviceaccount:staging:app"),
    (_drop_permission, "permission", "allow it in no statement"),
    (_name_secret_without_suffix, "permission", "secret:dev/app/database-"),
    (_drop_oidc_provider, "oidc-provider", "no IAM OIDC provider"),
    (_rename_synced_key, "synced-key", "syncs no key db-password"),
    (_disable_sync, "sync", "does not sync Secrets"),
]


@mock_aws
def test_the_deployed_dev_stack_proves_every_edge(dev_plan: Plan, tmp_path: Path) -> None:
    seed_account(dev_plan)
    edges = doctor(cluster_objects(dev_plan), tmp_path, "ecs-dev")
    assert [e for e in edges if not e.ok] == []
    assert {e.secret for e in edges} == IRSA | {"dev/app-api", "dev/app-tls"}


@pytest.mark.parametrize(("mutate", "link", "detail"), MUTATIONS, ids=[m[0].__name__.strip("_") for m in MUTATIONS])
@mock_aws
def test_each_mutation_breaks_exactly_its_link(dev_plan: Plan, tmp_path: Path,
                                               mutate: Callable[[Objects, Any], None], link: str,
                                               detail: str) -> None:
    seed_account(dev_plan)
    objects = cluster_objects(dev_plan)
    mutate(objects, boto3.client("iam"))
    edges = doctor(objects, tmp_path, "ecs-dev")
    broken = [e for e in edges if not e.ok]
    assert broken and broken_links(edges) == {link}
    assert all(detail in e.detail for e in broken), broken[0].detail
    assert all(e.fix and e.confirm for e in broken)
    # Only the edges through the mutated link break; nginx's TLS Secret and the app's own Secret stay ok.
    assert {e.secret for e in broken} == BREAKS.get(mutate.__name__.strip("_"), APP)


@mock_aws
def test_a_missing_parameter_breaks_only_its_edges_at_the_secret(dev_plan: Plan, tmp_path: Path) -> None:
    seed_account(dev_plan)
    boto3.client("ssm", region_name=REGION).delete_parameter(Name="/dev/report-worker/signing-key")
    edges = doctor(cluster_objects(dev_plan), tmp_path, "ecs-dev")
    broken = [e for e in edges if not e.ok]
    assert {e.secret for e in broken} == {"/dev/report-worker/signing-key"}
    assert broken_links(edges) == {"secret"}
    assert broken[0].detail.startswith("Parameter Store has no parameter /dev/report-worker/signing-key in eu-west-1")
    assert broken[0].confirm == ("aws ssm describe-parameters --region eu-west-1 --parameter-filters "
                                 "Key=Name,Values=/dev/report-worker/signing-key")


@mock_aws
def test_a_parameter_under_a_customer_key_is_proven_against_that_key(dev_plan: Plan, tmp_path: Path) -> None:
    """The key SSM reports as an alias is resolved (kms describe-key): dev grants the app no kms:Decrypt for its
    parameter, so a parameter moved under a customer key breaks the app's edge at the key."""
    seed_account(dev_plan)
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/features", TargetKeyId=key["KeyId"])
    boto3.client("ssm", region_name=REGION).put_parameter(Name="/dev/app/features", Value="{}", Type="SecureString",
                                                          KeyId="alias/features", Overwrite=True)
    edges = doctor(cluster_objects(dev_plan), tmp_path, "ecs-dev")
    broken = [e for e in edges if not e.ok]
    assert {e.secret for e in broken} == {"/dev/app/features"}
    assert broken_links(edges) == {"kms"}
    assert all(key["Arn"] in e.detail for e in broken)
    assert json.loads((tmp_path / dump_name("kms", "describe-key", "alias/features")).read_text())[
        "KeyMetadata"]["Arn"] == key["Arn"]


@mock_aws
def test_without_the_parameter_list_parameters_are_taken_to_exist(dev_plan: Plan, tmp_path: Path) -> None:
    seed_account(dev_plan)
    doctor(cluster_objects(dev_plan), tmp_path, "ecs-dev")
    (tmp_path / dump_name("ssm", "describe-parameters")).unlink()
    notes: list[str] = []
    edges = prove_access(collect_world(DumpKube(tmp_path), DumpAws(tmp_path), cluster_name="ecs-dev",
                                       region=REGION, notes=notes))
    assert [e for e in edges if not e.ok] == []
    assert "SSM parameters not checked: describe-parameters returned nothing" in notes


@mock_aws
def test_the_dump_gives_what_the_live_reads_gave(dev_plan: Plan, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    seed_account(dev_plan)
    objects = cluster_objects(dev_plan)
    _drop_permission(objects, boto3.client("iam"))
    live = doctor(objects, tmp_path, "ecs-dev")
    dumped = prove_access(collect_world(DumpKube(tmp_path), DumpAws(tmp_path), cluster_name="ecs-dev",
                                        region=REGION))
    assert dumped == live
    assert main(["doctor", "--stack", "dev", "--project-dir", str(ROOT), "--from-dump", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "BROKEN  app: env DB_PASSWORD <- dev/app/database" in out
    assert "aws iam simulate-principal-policy" in out


def _pod_identity_dump(directory: Path, plan: Plan, associations: list[dict[str, str]]) -> None:
    # moto 5.2.5 serves no EKS add-ons or Pod Identity associations: these files are what the AWS CLI prints.
    def write(name: str, document: dict[str, Any]) -> None:
        (directory / name).write_text(json.dumps(document))

    write(dump_name("eks", "describe-addon", "eks-pod-identity-agent"),
          {"addon": {"addonName": "eks-pod-identity-agent", "clusterName": "ecs-prod", "status": "ACTIVE"}})
    write(dump_name("eks", "list-pod-identity-associations", "ecs-prod"),
          {"associations": [{"associationId": f"a-{i}", "namespace": a["namespace"],
                             "serviceAccount": a["serviceAccount"]} for i, a in enumerate(associations)]})
    for i, a in enumerate(associations):
        write(dump_name("eks", "describe-pod-identity-association", f"a-{i}"), {"association": a})


@pytest.mark.parametrize("associated", [True, False])
@mock_aws
def test_pod_identity_from_a_dump(prod_plan: Plan, tmp_path: Path, associated: bool) -> None:
    seed_account(prod_plan)
    write_kube_dump(tmp_path, cluster_objects(prod_plan))
    # Record the IAM, EKS and Secrets Manager reads moto serves; the Pod Identity files come after.
    collect_world(DumpKube(tmp_path), RecordingAws(tmp_path), cluster_name="ecs-prod", region=REGION)
    association = prod_plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation",
                                "prod-app-identity-pod-identity").outputs
    _pod_identity_dump(tmp_path, prod_plan, [{k: association[k] for k in ("namespace", "serviceAccount",
                                                                              "roleArn")}] if associated else [])
    role = association["roleArn"].rsplit("/", 1)[-1]
    for name in ("get-role", "list-role-policies", "list-attached-role-policies"):
        RecordingAws(tmp_path).call("iam", name, role, RoleName=role)
    RecordingAws(tmp_path).call("iam", "get-role-policy", f"{role}.secrets-read-0", RoleName=role,
                                PolicyName="secrets-read-0")
    edges = prove_access(collect_world(DumpKube(tmp_path), DumpAws(tmp_path), cluster_name="ecs-prod",
                                       region=REGION))
    app = [e for e in edges if e.workload == "app"]
    assert broken_links(app) == (set() if associated else {"pod-identity-association"})
    assert any(e.secret == "prod/app/database" for e in app)


def test_dump_commands_write_the_files_doctor_reads() -> None:
    script = dump_commands(ROOT, "prod")
    assert "kubectl get secretproviderclasses.secrets-store.csi.x-k8s.io -A -o json" in script
    assert "map_values(\"\")" in script  # Secret values never reach the dump
    assert "aws secretsmanager describe-secret --region $R --secret-id prod/app/database" in script
    assert f'aws ssm describe-parameters --region $R  --output json > "$D/{dump_name("ssm", "describe-parameters")}"' \
        in script
    assert dump_name("secretsmanager", "describe-secret", "prod/app/database") == \
        "aws/secretsmanager.describe-secret.prod_app_database.json"
    # Read-only: no command that creates, updates, deletes, applies or patches.
    verbs = ("create", "update", "delete", "put", "apply", "patch", "annotate", "attach", "tag")
    commands = [w for line in script.splitlines() for w in line.split() if w[:1].isalpha()]
    assert not [w for w in commands if w.split("-")[0] in verbs]


def test_doctor_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["doctor", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--from-dump DIR" in out and "--dump-commands" in out and "only reads" in out


@mock_aws
def test_iam_simulation_where_the_caller_may(dev_plan: Plan, tmp_path: Path) -> None:
    seed_account(dev_plan)
    edges = doctor(cluster_objects(dev_plan), tmp_path, "ecs-dev")
    questions = {e.permission for e in edges if e.permission}
    # The app's secret and parameter, and report-worker's parameter.
    assert len(questions) == 3
    # moto 5.2.5 does not implement SimulatePrincipalPolicy: doctor says it did not simulate, and goes on.
    assert simulate(Boto3Aws(REGION), edges)[0].startswith("IAM simulation not run")

    def answer(decision: str) -> None:
        # What the AWS CLI prints, for each question.
        for role, secret, actions in questions:
            name = dump_name("iam", "simulate-principal-policy",
                             f"{role.rsplit('/', 1)[-1]}.{secret.rsplit(':', 1)[-1]}")
            (tmp_path / name).write_text(json.dumps({"EvaluationResults": [
                {"EvalActionName": a, "EvalResourceName": secret, "EvalDecision": decision} for a in actions]}))

    # When IAM disagrees with the evaluator (never expected; reported when it happens).
    answer("implicitDeny")
    assert sorted(simulate(DumpAws(tmp_path), edges)) == sorted(
        f"IAM simulation says role {role} may not {', '.join(actions)} on {secret}, the evaluator the opposite: "
        f"IAM is right; please report it" for role, secret, actions in questions)
    answer("allowed")
    assert simulate(DumpAws(tmp_path), edges) == ["IAM simulation agrees on 3 permission(s)"]


def test_driver_notes_show_rotation_provider_pods_and_mounts(dev_plan: Plan) -> None:
    objects = cluster_objects(dev_plan)
    pod = _find(objects, "Pod", "app-")
    notes = driver_notes(objects)
    assert "AWS provider pods: 0 (0 running)" in notes
    assert f"pod dev/{pod['metadata']['name']}: no mounted SecretProviderClassPodStatus" in " ".join(notes)
    objects += [
        {"kind": "DaemonSet", "metadata": {"name": "secrets-store-csi-driver", "namespace": "kube-system"},
         "spec": {"template": {"spec": {"containers": [{"name": "secrets-store", "args": [
             "--provider-volume=/etc/kubernetes/secrets-store-csi-providers", "--enable-secret-rotation=true",
             "--rotation-poll-interval=2m"]}]}}}},
        {"kind": "Pod", "metadata": {"name": "provider-x", "namespace": "kube-system"}, "status": {"phase": "Running"},
         "spec": {"containers": [
             {"image": "public.ecr.aws/aws-secrets-manager/secrets-store-csi-driver-provider-aws:3"}]}},
        {"kind": "SecretProviderClassPodStatus", "metadata": {"name": "s", "namespace": "dev"},
         "status": {"podName": pod["metadata"]["name"], "mounted": True}},
        {"kind": "SecretProviderClassPodStatus", "metadata": {"name": "w", "namespace": "dev"},
         "status": {"podName": _find(objects, "Pod", "report-worker-")["metadata"]["name"], "mounted": True}},
    ]
    assert driver_notes(objects) == ["CSI driver: --enable-secret-rotation=true, --rotation-poll-interval=2m",
                                     "AWS provider pods: 1 (1 running)"]


@mock_aws
def test_attached_managed_policies_count_and_their_deny_wins(dev_plan: Plan, tmp_path: Path) -> None:
    seed_account(dev_plan)
    iam = boto3.client("iam")
    role = next(r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("dev-app-identity-role"))
    inline = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="secrets-read-0")["PolicyDocument"]
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="secrets-read-0")
    managed = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(inline))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=managed)
    assert broken_links(doctor(cluster_objects(dev_plan), tmp_path / "granted", "ecs-dev")) == set()
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
                                                    "Resource": "*"}]}
    iam.attach_role_policy(RoleName=role["RoleName"],
                           PolicyArn=iam.create_policy(PolicyName="deny", PolicyDocument=json.dumps(deny))
                           ["Policy"]["Arn"])
    edges = doctor(cluster_objects(dev_plan), tmp_path / "denied", "ecs-dev")
    assert broken_links(edges) == {"permission"}
    assert "denies it in statement #0" in next(e for e in edges if not e.ok).detail


def test_a_cluster_it_cannot_reach_is_one_error_not_a_traceback(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The official client reads a real kubeconfig whose API server refuses connections (nothing listens there).
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}]}))
    assert main(["doctor", "--stack", "dev", "--project-dir", str(ROOT), "--kubeconfig", str(kubeconfig)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: kubernetes: cannot reach the cluster of the kubeconfig")
    assert "Traceback" not in error


def test_a_missing_dump_folder_and_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--stack", "dev", "--project-dir", str(ROOT), "--from-dump", str(tmp_path / "no")]) == 1
    assert "--from-dump" in capsys.readouterr().err
    assert main(["doctor", "--stack", "nope", "--project-dir", str(ROOT), "--from-dump", str(tmp_path)]) == 1
    assert "has no stack file" in capsys.readouterr().err
