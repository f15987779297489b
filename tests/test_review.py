"""components/plan/review.py: the security reading of a change, on pairs of plans."""

from __future__ import annotations

import copy
import json
from typing import Any

from components.plan.diff import Change, diff_plans
from components.plan.review import review
from tests.test_diff import plan, resource
from tests.test_stack_plans import stack_plan

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/app/database-??????"
OTHER_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/database-??????"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def read(*arns: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": list(arns)}


def role_with(document: str) -> list[dict[str, Any]]:
    role = resource("app-role", "aws:iam/role:Role", {"assumeRolePolicy": "{}"}, identifiers=["app-role-123"])
    inline = resource("app-read", "aws:iam/rolePolicy:RolePolicy", {"role": "app-role-123", "policy": document})
    return [role, inline]


def findings_between(base: dict[str, Any], head: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f.kind, f.severity, f.message) for f in review(base, head, diff_plans(base, head))]


def test_reordered_policy_statements_are_no_finding() -> None:
    base = plan(*role_with(policy(read(SECRET_ARN), {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "k"})))
    head = plan(*role_with(policy({"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["k"]}, read(SECRET_ARN))))
    assert findings_between(base, head) == []


def test_a_role_that_gains_a_secret_is_reported_by_arn_and_one_that_loses_it_too() -> None:
    base, head = plan(*role_with(policy(read(SECRET_ARN)))), plan(*role_with(policy(read(SECRET_ARN, OTHER_ARN))))
    gained = findings_between(base, head)
    assert ("secrets", "high", f"role app-role gains read access to secret {OTHER_ARN}") in gained
    assert ("iam", "medium", "role app-role gains: Allow secretsmanager:DescribeSecret on "
            f"{OTHER_ARN}; Allow secretsmanager:GetSecretValue on {OTHER_ARN}") in gained
    lost = findings_between(head, base)
    assert ("secrets", "info", f"role app-role loses read access to secret {OTHER_ARN}") in lost


def test_a_wildcard_grant_is_high() -> None:
    base = plan(*role_with(policy(read(SECRET_ARN))))
    head = plan(*role_with(policy(read(SECRET_ARN), {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})))
    assert ("iam", "high", "role app-role gains: Allow kms:* on *") in findings_between(base, head)


def dev_trust() -> tuple[dict[str, Any], dict[str, Any]]:
    """The dev stack's plan, and a copy to loosen: the app's IRSA role as our builders write it."""
    document = json.loads(json.dumps(stack_plan("dev").as_json()))
    return document, copy.deepcopy(document)


def app_role(document: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in document["resources"] if r["name"] == "dev-app-identity-role")


def loosen(document: dict[str, Any], edit: Any) -> None:
    role = app_role(document)
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    edit(trust["Statement"][0])
    role["inputs"]["assumeRolePolicy"] = json.dumps(trust)


def test_a_trust_policy_loosened_to_string_like_is_reported_as_widening() -> None:
    base, head = dev_trust()
    loosen(head, lambda s: s.update(Condition={"StringLike": {
        k: v.replace(":app", ":*") for k, v in s["Condition"]["StringEquals"].items()}}))
    messages = [m for kind, severity, m in findings_between(base, head) if (kind, severity) == ("iam", "high")]
    assert any("trust of role dev-app-identity-role widens" in m and ":sub is matched with StringLike instead of "
               "StringEquals (system:serviceaccount:dev:*)" in m for m in messages), messages


def test_a_removed_sub_condition_and_a_new_principal_are_widening() -> None:
    base, head = dev_trust()
    sub = next(k for k in json.loads(app_role(base)["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"][
        "StringEquals"] if k.endswith(":sub"))

    def widen(statement: dict[str, Any]) -> None:
        del statement["Condition"]["StringEquals"][sub]
        statement["Principal"] = {"Federated": [statement["Principal"]["Federated"], "arn:aws:iam::1:oidc-provider/x"]}

    loosen(head, widen)
    messages = [m for _, _, m in findings_between(base, head)]
    assert f"trust of role dev-app-identity-role widens: condition StringEquals {sub} removed" in messages
    aud = sub.replace(":sub", ":aud")
    assert ("trust of role dev-app-identity-role widens: new principal Federated arn:aws:iam::1:oidc-provider/x "
            f"(StringEquals {aud})") in messages


def test_moving_a_role_from_irsa_to_pod_identity_names_the_new_principal_and_its_conditions() -> None:
    base, head = dev_trust()
    loosen(head, lambda s: s.update(Principal={"Service": "pods.eks.amazonaws.com"},
                                    Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}}))
    assert [m for _, _, m in findings_between(base, head)] == [
        "trust of role dev-app-identity-role widens: new principal Service pods.eks.amazonaws.com "
        "(StringEquals aws:SourceAccount)"]


def kube_role(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return resource("reader", "kubernetes:rbac.authorization.k8s.io/v1:Role",
                    {"metadata": {"name": "reader", "namespace": "dev"}, "rules": rules})


def test_a_kubernetes_role_whose_resource_names_or_verbs_widen_is_reported() -> None:
    base = plan(kube_role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["a"]}]))
    every = plan(kube_role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]))
    assert ("secrets", "high", "Role reader widens on secrets: verbs list; every object (no resourceNames)") \
        in findings_between(base, every)
    assert findings_between(every, base) == []


def deployment(read_only: bool, automount: bool | None = False) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "containers": [{"name": "app", "volumeMounts": [{"name": "tls", "mountPath": "/tls", "readOnly": read_only}]}],
        "volumes": [{"name": "tls", "secret": {"secretName": "app-tls"}}]}
    if automount is not None:
        pod["automountServiceAccountToken"] = automount
    return resource("app", "kubernetes:apps/v1:Deployment", {"metadata": {"name": "app", "namespace": "dev"},
                                                           "spec": {"template": {"spec": pod}}})


def test_a_secret_volume_that_becomes_writable_and_a_token_that_becomes_automounted_are_reported() -> None:
    findings = findings_between(plan(deployment(True)), plan(deployment(False, automount=None)))
    assert ("secrets", "high", "Deployment app mounts writable: app: tls (secret) at /tls") in findings
    assert ("secrets", "high", "Deployment app's pods automount the API token") in findings


def test_replacing_or_deleting_what_holds_data_is_data_loss_unless_retained() -> None:
    key = resource("key", "aws:kms/key:Key", {"enableKeyRotation": True})
    deleted = findings_between(plan(key), plan())
    assert ("data-loss", "high",
            "delete of key: every Secret encrypted with the key becomes unreadable once its deletion window ends") \
        in deleted
    assert findings_between(plan({**key, "retain_on_delete": True}), plan()) == []


def test_a_protected_resource_that_would_be_replaced_is_an_error() -> None:
    group = resource("logs", "aws:cloudwatch/logGroup:LogGroup", {"name": "/aws/eks/a/cluster"}, protect=True)
    renamed = {**group, "inputs": {"name": "/aws/eks/b/cluster"}}
    kinds = [(kind, severity) for kind, severity, _ in findings_between(plan(group), plan(renamed))]
    assert ("protect", "error") in kinds
    assert ("data-loss", "high") in kinds


def test_roll_outs_name_the_checksum_that_changed() -> None:
    change = Change("urn:d", "kubernetes:apps/v1:Deployment", "app", "update",
                    ('spec.template.metadata.annotations["checksum/app-config"]',), "")
    assert [f.message for f in review(plan(), plan(), [change])] == [
        "Deployment app restarts its pods: checksum/app-config changed"]


def test_policy_violations_introduced_and_fixed() -> None:
    violation = {"rule": "kms-key-rotation", "urn": "urn:k", "enforcement": "mandatory", "message": "rotate it"}
    introduced = findings_between(plan(), {**plan(), "violations": [violation]})
    assert introduced == [("policy", "high", "introduces mandatory violation kms-key-rotation: rotate it")]
    assert findings_between({**plan(), "violations": [violation]}, plan()) == [
        ("policy", "info", "fixes mandatory violation kms-key-rotation")]


def test_a_pod_identity_association_that_moves_to_another_service_account_is_reported() -> None:
    def association(service_account: str) -> dict[str, Any]:
        return resource("app-pia", "aws:eks/podIdentityAssociation:PodIdentityAssociation",
                        {"clusterName": "ecs-dev", "namespace": "dev", "serviceAccount": service_account,
                         "roleArn": "arn:aws:iam::123456789012:role/app"})
    findings = findings_between(plan(association("app")), plan(association("default")))
    assert findings == [("iam", "medium", "Pod Identity association app-pia (replace): ServiceAccount dev/default "
                                          "assumes arn:aws:iam::123456789012:role/app")]


def test_a_base_plan_of_an_older_format_compares_roles_by_name_and_says_secrets_are_unseen() -> None:
    base = plan(*role_with(policy(read(SECRET_ARN))))
    for r in base["resources"]:
        del r["identifiers"], r["secret_digests"]
    assert findings_between(base, plan(*role_with(policy(read(SECRET_ARN))))) == [
        ("secrets", "medium", "the base plan carries no secret digests (it was written by an older version): "
                              "changes of secret values cannot be seen")]
