"""components/plan/replacements.py: the operation a change of input paths leads to, per upstream provider rules."""

from __future__ import annotations

import pytest

from components.plan.replacements import RULES, classify, path_matches
from tests.test_stack_plans import stack_plan

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET_TYPE = "kubernetes:core/v1:Secret"
MUTABLE = {"enableConfigMapMutable": "true", "enableSecretMutable": "true"}


def named(name: str, namespace: str = "dev", **fields: object) -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": namespace}, **fields}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_type_a_stack_registers_has_a_rule_or_is_one_of_our_input_less_components(stack: str) -> None:
    plan = stack_plan(stack)
    missing = {r.type for r in plan.resources if r.type not in RULES
               and not (r.type.startswith("eks-config-secrets:index:") and not r.inputs)}
    assert missing == set()


def test_every_rule_cites_its_upstream_source() -> None:
    assert [t for t, rule in RULES.items() if "pulumi/" not in rule.source and "hashicorp/" not in rule.source] == []


def test_config_map_data_updates_in_place_when_the_provider_allows_it() -> None:
    verdict = classify(CONFIG_MAP, ["data.LOG_LEVEL"], named("app-config"), named("app-config"),
                       provider_inputs=MUTABLE)
    assert verdict.op == "update"
    assert verdict.verified


def test_config_map_data_deletes_before_replacing_a_named_object_without_enable_config_map_mutable() -> None:
    """diff.go forceNewProperties: ConfigMap .data forces new unless enableConfigMapMutable; provider.go Diff:
    an explicitly named object that keeps its name and namespace is deleted first (pulumi-kubernetes#1567)."""
    verdict = classify(CONFIG_MAP, ["data.LOG_LEVEL"], named("app-config"), named("app-config"), provider_inputs={})
    assert (verdict.op, verdict.path) == ("delete-before-replace", "data.LOG_LEVEL")


def test_an_immutable_config_map_is_replaced_even_with_a_mutable_provider() -> None:
    old, new = named("nginx-1", immutable=True), named("nginx-2", immutable=True)
    verdict = classify(CONFIG_MAP, ["data.x", "metadata.name"], old, new, provider_inputs=MUTABLE)
    assert verdict.op == "create-before-replace"  # a new (content-hashed) name: the new one exists first


def test_secret_type_always_replaces_and_secret_data_only_without_enable_secret_mutable() -> None:
    assert classify(SECRET_TYPE, ["type"], named("s"), named("s"), provider_inputs=MUTABLE).op == \
        "delete-before-replace"
    assert classify(SECRET_TYPE, ["stringData.token"], named("s"), named("s"), provider_inputs=MUTABLE).op == "update"
    assert classify(SECRET_TYPE, ["stringData.token"], named("s"), named("s"), provider_inputs={}).op == \
        "delete-before-replace"


def test_a_kubernetes_object_moving_to_another_namespace_is_created_before_the_old_one_goes() -> None:
    """provider.go Diff, deleteBeforeReplace condition 5: not when the namespace changes."""
    verdict = classify(CONFIG_MAP, ["metadata.namespace"], named("c", "dev"), named("c", "apps"),
                       provider_inputs=MUTABLE)
    assert verdict.op == "create-before-replace"


def test_an_autonamed_object_is_created_before_the_old_one_goes() -> None:
    annotated = {"metadata": {"name": "c-1234", "namespace": "dev", "annotations": {"pulumi.com/autonamed": "true"}},
                 "type": "Opaque"}
    assert classify(SECRET_TYPE, ["type"], annotated, annotated, provider_inputs=MUTABLE).op == "create-before-replace"


def test_deployment_selector_replaces_and_pod_template_updates() -> None:
    deployment = "kubernetes:apps/v1:Deployment"
    assert classify(deployment, ['spec.selector.matchLabels["app.kubernetes.io/name"]'], named("d"), named("d")).op \
        == "delete-before-replace"
    assert classify(deployment, ["spec.template.spec.containers[0].image"], named("d"), named("d")).op == "update"


def test_role_binding_role_ref_replaces() -> None:
    binding = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
    assert classify(binding, ["roleRef.name"], named("b"), named("b")).op == "delete-before-replace"
    assert classify(binding, ["subjects[0].name"], named("b"), named("b")).op == "update"


def test_kubeconfig_change_replaces_the_provider_unless_its_cluster_identifier_stays() -> None:
    """provider.go DiffConfig; pulumi/pulumi-eks#764."""
    provider = "pulumi:providers:kubernetes"
    assert classify(provider, ["kubeconfig"], {}, {}).op == "replace"
    same = {"clusterIdentifier": "ecs-dev"}
    assert classify(provider, ["kubeconfig"], same, same).op == "update"
    assert classify(provider, ["clusterIdentifier"], same, {"clusterIdentifier": "ecs-prod"}).op == "replace"
    assert classify(provider, ["clusterIdentifier"], {}, same).op == "update"


def test_eks_cluster_replaces_on_name_and_role_not_on_version() -> None:
    cluster = "eks:index:Cluster"
    assert classify(cluster, ["name"], {}, {}).op == "replace"
    assert classify(cluster, ["serviceRole"], {}, {}).op == "replace"
    assert classify(cluster, ["version"], {}, {}).op == "update"


def test_removing_the_envelope_key_replaces_the_cluster_and_switching_it_does_not() -> None:
    """eks/cluster.go CustomizeDiff: ForceNewIfChange(encryption_config) only from one block to none."""
    cluster = "eks:index:Cluster"
    key = {"encryptionConfigKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/a"}
    assert classify(cluster, ["encryptionConfigKeyArn"], key, {}).op == "replace"
    other = {"encryptionConfigKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/b"}
    assert classify(cluster, ["encryptionConfigKeyArn"], key, other).op == "update"


@pytest.mark.parametrize(("type_", "path", "op"), [
    ("aws:kms/key:Key", "keyUsage", "replace"),
    ("aws:kms/key:Key", "enableKeyRotation", "update"),
    ("aws:iam/role:Role", "name", "replace"),
    ("aws:iam/role:Role", "assumeRolePolicy", "update"),
    ("aws:iam/rolePolicy:RolePolicy", "role", "replace"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policyArn", "replace"),
    ("aws:cloudwatch/logGroup:LogGroup", "name", "replace"),
    ("aws:cloudwatch/logGroup:LogGroup", "retentionInDays", "update"),
    ("aws:eks/podIdentityAssociation:PodIdentityAssociation", "serviceAccount", "replace"),
    ("aws:eks/podIdentityAssociation:PodIdentityAssociation", "roleArn", "update"),
    ("eks:index:ManagedNodeGroup", "instanceTypes[0]", "replace"),
    ("eks:index:ManagedNodeGroup", "scalingConfig.desiredSize", "update"),
    ("eks:index:ManagedNodeGroup", "launchTemplate.id", "replace"),
    ("eks:index:ManagedNodeGroup", "launchTemplate.version", "update"),
    ("kubernetes:helm.sh/v3:Release", "namespace", "replace"),
    ("kubernetes:helm.sh/v3:Release", "values.syncSecret.enabled", "update"),
])
def test_terraform_force_new_and_provider_rules(type_: str, path: str, op: str) -> None:
    assert classify(type_, [path], {}, {}).op == op


def test_an_unknown_type_or_path_is_an_update_that_is_not_verified() -> None:
    unknown_type = classify("aws:s3/bucket:Bucket", ["bucket"], {}, {})
    unknown_path = classify("eks:index:Cluster", ["vpcId"], {}, {})
    assert (unknown_type.op, unknown_type.verified) == ("update", False)
    assert (unknown_path.op, unknown_path.verified) == ("update", False)
    assert "vpcId" in unknown_path.reason


def test_paths_match_under_patterns_with_any_index_and_quoted_keys() -> None:
    assert path_matches("spec.selector.matchLabels", ["spec.selector"]) == "spec.selector"
    assert path_matches("spec.selectorX", ["spec.selector"]) is None
    assert path_matches("containers[3].image", ["containers[*].image"]) == "containers[*].image"
    assert path_matches('data["nginx.conf"]', ["data"]) == "data"
    assert path_matches("launchTemplate", ["launchTemplate.id"]) == "launchTemplate.id"
