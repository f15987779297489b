"""SecureCluster under the recording engine: wiring, protection and argument errors."""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pytest

from components.cluster import SecureCluster, SecureClusterArgs, deploying_principal
from components.conventions import SECRET_MARKER
from components.iam_policies import envelope_key_policy, service_trust_policy
from components.plan.engine import Plan, RecordedResource, run_program
from components.validation import SettingsError

CLUSTER = "eks:index:Cluster"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ADDON = "aws:eks/addon:Addon"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EXISTING_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASE: dict[str, Any] = {
    "cluster_name": "ecs-test",
    "vpc_id": "vpc-0a1b2c3d4e5f60718",
    "subnet_ids": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    "region": "eu-west-1",
    "account_id": "123456789012",
}


def plan_cluster(pod_identity_agent_calls: int = 0, **overrides: Any) -> Plan:
    def program() -> None:
        cluster = SecureCluster("ecs-test", cast(SecureClusterArgs, {**BASE, **overrides}))
        for _ in range(pod_identity_agent_calls):
            cluster.pod_identity_agent()
        pulumi.export("oidc_issuer", cluster.oidc_issuer)
        pulumi.export("oidc_provider_arn", cluster.oidc_provider_arn)
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("cluster_name", cluster.cluster_name)
        pulumi.export("kms_key_arn", cluster.kms_key_arn)

    return run_program(program, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_cluster()


@pytest.fixture(scope="module")
def cluster(plan: Plan) -> RecordedResource:
    return plan.one(CLUSTER, "ecs-test-eks")


def error_of(**overrides: Any) -> str:
    with pytest.raises(SettingsError) as error:
        plan_cluster(**overrides)
    return str(error.value)


# -- wiring -----------------------------------------------------------------------------------------------


def test_cluster_encrypts_secrets_with_the_new_key(plan: Plan, cluster: RecordedResource) -> None:
    assert cluster.inputs["encryptionConfigKeyArn"] == plan.one(KEY).outputs["arn"]


def test_key_policy_names_the_cluster_role_passed_as_service_role(plan: Plan, cluster: RecordedResource) -> None:
    role = plan.one("aws:iam/role:Role", "ecs-test-cluster-role")
    assert cluster.inputs["serviceRole"] == role.outputs["name"]
    assert json.loads(plan.one(KEY).inputs["policy"]) == envelope_key_policy(
        partition="aws", account_id="123456789012", cluster_role_arn=role.outputs["arn"]
    )


def test_cluster_role_trusts_eks_and_has_the_cluster_policy(plan: Plan) -> None:
    role = plan.one("aws:iam/role:Role", "ecs-test-cluster-role")
    attachment = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ecs-test-cluster-policy")
    assert json.loads(role.inputs["assumeRolePolicy"]) == service_trust_policy("eks.amazonaws.com")
    assert attachment.inputs == {
        "role": role.outputs["name"],
        "policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    }


def test_key_has_rotation_a_thirty_day_window_and_the_cluster_alias(plan: Plan) -> None:
    key = plan.one(KEY).inputs
    assert (key["enableKeyRotation"], key["deletionWindowInDays"]) == (True, 30)
    assert plan.one("aws:kms/alias:Alias").inputs["name"] == "alias/eks/ecs-test"


def test_log_group_is_the_clusters_with_retention_and_created_before_it(
    plan: Plan, cluster: RecordedResource
) -> None:
    log_group = plan.one(LOG_GROUP, "ecs-test-control-plane-logs")
    assert log_group.inputs == {"name": "/aws/eks/ecs-test/cluster", "retentionInDays": 90}
    assert log_group.urn in cluster.dependencies
    assert cluster.inputs["name"] == "ecs-test"


def test_cluster_has_oidc_provider_audit_logs_api_auth_and_no_default_node_group(cluster: RecordedResource) -> None:
    inputs = cluster.inputs
    assert {
        key: inputs[key]
        for key in ("createOidcProvider", "enabledClusterLogTypes", "authenticationMode", "skipDefaultNodeGroup")
    } == {
        "createOidcProvider": True,
        "enabledClusterLogTypes": ["api", "audit", "authenticator"],
        "authenticationMode": "API",
        "skipDefaultNodeGroup": True,
    }


def test_cluster_network_defaults_to_a_private_endpoint_only(cluster: RecordedResource) -> None:
    inputs = cluster.inputs
    assert (inputs["version"], inputs["vpcId"], inputs["subnetIds"]) == ("1.33", BASE["vpc_id"], BASE["subnet_ids"])
    assert (inputs["endpointPrivateAccess"], inputs["endpointPublicAccess"]) == (True, False)
    assert "publicAccessCidrs" not in inputs


def test_public_endpoint_is_limited_to_the_given_cidrs() -> None:
    inputs = plan_cluster(endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"]).one(CLUSTER).inputs
    assert (inputs["endpointPublicAccess"], inputs["publicAccessCidrs"]) == (True, ["203.0.113.0/24"])


def test_access_entries_get_their_policy_and_scope() -> None:
    plan = plan_cluster(
        access_entries=[
            {"principal_arn": "arn:aws:iam::123456789012:role/platform-admins",
             "access_policy": "AmazonEKSClusterAdminPolicy"},
            {"principal_arn": "arn:aws:iam::123456789012:role/developers", "namespaces": ["dev"]},
        ]
    )
    assert plan.one(CLUSTER).inputs["accessEntries"] == {
        "role-platform-admins": {
            "principalArn": "arn:aws:iam::123456789012:role/platform-admins",
            "accessPolicies": {
                "AmazonEKSClusterAdminPolicy": {
                    "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                    "accessScope": {"type": "cluster"},
                }
            },
        },
        "role-developers": {
            "principalArn": "arn:aws:iam::123456789012:role/developers",
            "accessPolicies": {
                "AmazonEKSViewPolicy": {
                    "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                    "accessScope": {"type": "namespace", "namespaces": ["dev"]},
                }
            },
        },
    }


def test_managed_node_group_is_sized_with_its_own_role_and_launch_template(plan: Plan) -> None:
    nodes = plan.one("eks:index:ManagedNodeGroup", "ecs-test-nodes").inputs
    template = plan.one(LAUNCH_TEMPLATE, "ecs-test-nodes-launch-template")
    assert nodes == {
        "cluster": plan.one(CLUSTER).urn,
        "nodeRole": plan.one("aws:iam/role:Role", "ecs-test-node-role").outputs["name"],
        "version": "1.33",
        "instanceTypes": ["t3.medium"],
        "scalingConfig": {"minSize": 1, "desiredSize": 2, "maxSize": 3},
        "operatingSystem": "AL2023",
        "launchTemplate": {"id": "lt-" + template.outputs["arn"].rsplit("/lt-", 1)[1], "version": "1"},
    }


def test_nodes_require_imdsv2_with_a_hop_limit_of_one(plan: Plan) -> None:
    """pulumi-eks's own IMDSv2 template sets a hop limit of 2, which lets pods reach the node role's credentials
    (pulumi/pulumi-eks nodejs/eks/nodes/nodegroup.ts, createMNGCustomLaunchTemplate); ours must not."""
    nodes = plan.one("eks:index:ManagedNodeGroup", "ecs-test-nodes").inputs
    assert "enableIMDSv2" not in nodes
    template = plan.one(LAUNCH_TEMPLATE, "ecs-test-nodes-launch-template").inputs
    assert template["metadataOptions"] == {
        "httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1,
    }
    # No AMI and no user data: EKS keeps choosing the AMI and bootstrapping the nodes.
    assert "imageId" not in template and "userData" not in template


def test_coredns_is_a_managed_addon_after_the_node_group(plan: Plan, cluster: RecordedResource) -> None:
    """With skipDefaultNodeGroup pulumi-eks creates no coredns add-on (pulumi/pulumi-eks
    nodejs/eks/cluster/cluster.ts, `corednsAddon`), so CoreDNS would never be upgraded with the cluster."""
    addon = plan.one(ADDON, "ecs-test-coredns")
    assert addon.inputs == {
        "clusterName": "ecs-test", "addonName": "coredns",
        "resolveConflictsOnCreate": "OVERWRITE", "resolveConflictsOnUpdate": "OVERWRITE",
    }
    assert plan.one("eks:index:ManagedNodeGroup").urn in addon.dependencies
    assert cluster.inputs["corednsAddonOptions"]["enabled"] is False


def test_cluster_skips_the_default_security_groups_and_pins_standard_support(cluster: RecordedResource) -> None:
    assert cluster.inputs["skipDefaultSecurityGroups"] is True
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}


def test_extended_support_is_a_choice() -> None:
    assert plan_cluster(support_type="EXTENDED").one(CLUSTER).inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


def test_unknown_support_type_is_refused() -> None:
    assert error_of(support_type="LONG") == "SecureClusterArgs.support_type 'LONG' is not one of: STANDARD, EXTENDED"


def test_kubernetes_provider_updates_config_maps_and_secrets_in_place(plan: Plan) -> None:
    """Without the mutable flags a data change replaces a named ConfigMap or Secret delete-first
    (pulumi/pulumi-kubernetes provider/pkg/provider/provider.go Diff; pulumi/pulumi-kubernetes#1567)."""
    provider = plan.one("pulumi:providers:kubernetes", "ecs-test-k8s").inputs
    assert (provider["enableConfigMapMutable"], provider["enableSecretMutable"]) == ("true", "true")


def test_kubernetes_provider_is_identified_by_the_cluster_name(plan: Plan) -> None:
    """A kubeconfig change replaces the provider, and every object on it, unless clusterIdentifier is set
    (pulumi/pulumi-eks#764)."""
    assert plan.one("pulumi:providers:kubernetes", "ecs-test-k8s").inputs["clusterIdentifier"] == "ecs-test"


def test_kubernetes_provider_waits_for_the_node_group(plan: Plan) -> None:
    provider = plan.one("pulumi:providers:kubernetes", "ecs-test-k8s")
    assert plan.one("eks:index:ManagedNodeGroup").urn in provider.dependencies


def test_node_role_has_the_worker_cni_and_registry_policies(plan: Plan) -> None:
    attachments = plan.find("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert sorted(a.inputs["policyArn"] for a in attachments if a.name.startswith("ecs-test-node-")) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]


def test_kubernetes_provider_takes_the_kubeconfig_as_a_secret(plan: Plan) -> None:
    provider = plan.one("pulumi:providers:kubernetes", "ecs-test-k8s")
    assert provider.inputs["kubeconfig"] == SECRET_MARKER
    assert json.loads(provider.raw_inputs["kubeconfig"])["kind"] == "Config"
    assert provider.parent == plan.one("eks-config-secrets:index:SecureCluster").urn


def test_outputs_come_from_the_cluster_and_the_kubeconfig_stays_secret(plan: Plan, cluster: RecordedResource) -> None:
    assert plan.outputs == {
        "cluster_name": "ecs-test",
        "kms_key_arn": plan.one(KEY).outputs["arn"],
        "kubeconfig": SECRET_MARKER,
        "oidc_issuer": cluster.outputs["oidcIssuer"],
        "oidc_provider_arn": cluster.outputs["oidcProviderArn"],
    }


def test_every_child_is_parented_to_the_component(plan: Plan) -> None:
    component = plan.one("eks-config-secrets:index:SecureCluster")
    assert sorted(r.name for r in plan.children(component)) == [
        "ecs-test-cluster-policy",
        "ecs-test-cluster-role",
        "ecs-test-control-plane-logs",
        "ecs-test-coredns",
        "ecs-test-eks",
        "ecs-test-k8s",
        "ecs-test-node-AmazonEC2ContainerRegistryReadOnly",
        "ecs-test-node-AmazonEKSWorkerNodePolicy",
        "ecs-test-node-AmazonEKS_CNI_Policy",
        "ecs-test-node-role",
        "ecs-test-nodes",
        "ecs-test-nodes-launch-template",
        "ecs-test-secrets-key",
    ]


# -- protection -------------------------------------------------------------------------------------------


def test_protect_covers_key_alias_log_group_and_cluster_role_and_the_cluster_by_deletion_protection(
    plan: Plan, cluster: RecordedResource
) -> None:
    """`protect` on the pulumi-eks component would be inherited by every child it creates, access entries and
    policy associations included, which have no update (the provider passes the parent's protect on): the cluster
    is kept by EKS deletion protection instead."""
    protected = sorted(r.name for r in plan.resources if r.protect)
    assert protected == [
        "ecs-test-cluster-role",
        "ecs-test-control-plane-logs",
        "ecs-test-secrets-key-alias",
        "ecs-test-secrets-key-key",
    ]
    assert cluster.inputs["deletionProtection"] is True


def test_nothing_is_protected_when_protect_is_false() -> None:
    plan = plan_cluster(protect=False)
    assert [r.name for r in plan.resources if r.protect] == []
    assert plan.one(CLUSTER).inputs["deletionProtection"] is False


# -- bring your own key -----------------------------------------------------------------------------------


def test_existing_key_is_used_and_no_key_is_created() -> None:
    plan = plan_cluster(kms_key_arn=EXISTING_KEY)
    assert plan.one(CLUSTER).inputs["encryptionConfigKeyArn"] == EXISTING_KEY
    assert plan.find(KEY) == []
    assert plan.outputs["kms_key_arn"] == EXISTING_KEY


def test_existing_key_given_as_an_alias_arn_is_refused() -> None:
    alias = "arn:aws:kms:eu-west-1:123456789012:alias/eks"
    assert error_of(kms_key_arn=alias) == (
        f"SecureClusterArgs.kms_key_arn '{alias}' is not a valid kms ARN "
        "(expected arn:aws:kms:<region>:<12-digit account>:key/...)"
    )


def test_existing_key_in_another_region_is_refused() -> None:
    other = EXISTING_KEY.replace("eu-west-1", "us-east-1")
    assert error_of(kms_key_arn=other) == (
        f"SecureClusterArgs.kms_key_arn '{other}' is in region us-east-1, not in the cluster's region eu-west-1"
    )


# -- pod identity agent -----------------------------------------------------------------------------------


def test_pod_identity_agent_is_created_once_after_the_node_group() -> None:
    plan = plan_cluster(pod_identity_agent_calls=2)
    addon = plan.one(ADDON, "ecs-test-pod-identity-agent")
    assert addon.inputs == {"clusterName": "ecs-test", "addonName": "eks-pod-identity-agent"}
    assert plan.one("eks:index:ManagedNodeGroup").urn in addon.dependencies


def test_pod_identity_agent_is_not_installed_unless_asked(plan: Plan) -> None:
    assert [a.name for a in plan.find(ADDON)] == ["ecs-test-coredns"]


# -- the deploying identity -------------------------------------------------------------------------------


def test_access_entry_for_the_creator_is_refused() -> None:
    """pulumi-eks always bootstraps an admin access entry for the creator (nodejs/eks/cluster/cluster.ts,
    bootstrapClusterCreatorAdminPermissions) and EKS allows one entry per principal."""
    deployer = "arn:aws:iam::123456789012:role/Deployer"
    entries = [{"principal_arn": "arn:aws:iam::123456789012:role/admins"}, {"principal_arn": deployer}]
    assert error_of(access_entries=entries, creator_arn=deployer.lower()) == (
        f"SecureClusterArgs.access_entries[1].principal_arn '{deployer}' is the identity that creates the cluster, "
        "which EKS already makes cluster admin (one access entry per principal): remove this entry"
    )


def test_other_access_entries_pass_with_the_creator_known() -> None:
    entries = [{"principal_arn": "arn:aws:iam::123456789012:role/admins"}]
    plan = plan_cluster(access_entries=entries, creator_arn="arn:aws:iam::123456789012:role/deployer")
    assert list(plan.one(CLUSTER).inputs["accessEntries"]) == ["role-admins"]


def test_a_federated_user_as_the_creator_is_accepted() -> None:
    """GetSessionContext returns an STS federated user unchanged: `pulumi up` must still run for it."""
    entries = [{"principal_arn": "arn:aws:iam::123456789012:role/admins"}]
    plan = plan_cluster(access_entries=entries, creator_arn="arn:aws:sts::123456789012:federated-user/bob")
    assert list(plan.one(CLUSTER).inputs["accessEntries"]) == ["role-admins"]


def test_deploying_principal_is_the_role_behind_an_assumed_role_session() -> None:
    found: list[str] = []
    run_program(lambda: found.append(deploying_principal()))
    assert found == ["arn:aws:iam::123456789012:role/deployer"]


# -- argument errors --------------------------------------------------------------------------------------


def test_log_types_without_audit_are_refused() -> None:
    assert error_of(log_types=["api", "authenticator"]) == (
        "SecureClusterArgs.log_types ['api', 'authenticator'] must include api, audit, authenticator (missing: audit)"
    )


def test_unknown_log_type_is_refused() -> None:
    assert error_of(log_types=["api", "audit", "authenticator", "kubelet"]) == (
        "SecureClusterArgs.log_types[3] 'kubelet' is not one of: "
        "api, audit, authenticator, controllerManager, scheduler"
    )


def test_log_retention_that_cloudwatch_does_not_offer_is_refused() -> None:
    assert error_of(log_retention_days=10).startswith(
        "SecureClusterArgs.log_retention_days 10 is not a CloudWatch Logs retention period (one of 1, 3, 5, 7, 14,"
    )


def test_cidr_with_host_bits_is_refused() -> None:
    assert error_of(endpoint_public_access=True, public_access_cidrs=["203.0.113.7/24"]) == (
        "SecureClusterArgs.public_access_cidrs[0] '203.0.113.7/24' is not a CIDR block such as '203.0.113.0/24'"
    )


def test_public_endpoint_without_cidrs_is_refused() -> None:
    assert error_of(endpoint_public_access=True) == (
        "SecureClusterArgs.public_access_cidrs [] is required when endpoint_public_access is true: list the CIDR "
        "blocks allowed to reach the API (EKS would otherwise allow 0.0.0.0/0)"
    )


def test_cidrs_without_a_public_endpoint_are_refused() -> None:
    assert error_of(public_access_cidrs=["203.0.113.0/24"]) == (
        "SecureClusterArgs.public_access_cidrs ['203.0.113.0/24'] is set but endpoint_public_access is false: "
        "enable the public endpoint or remove the CIDRs"
    )


def test_account_id_that_is_not_twelve_digits_is_refused() -> None:
    assert error_of(account_id="1234") == "SecureClusterArgs.account_id '1234' is not an AWS account id (12 digits)"


def test_no_endpoint_at_all_is_refused() -> None:
    assert error_of(endpoint_private_access=False) == (
        "SecureClusterArgs.endpoint_private_access False must be true when endpoint_public_access is false"
    )


def test_deletion_window_outside_7_to_30_is_refused() -> None:
    assert error_of(kms_deletion_window_days=45) == (
        "SecureClusterArgs.kms_deletion_window_days 45 is not a whole number of days from 7 to 30"
    )


def test_node_group_with_desired_above_max_is_refused() -> None:
    assert error_of(node_group={"min_size": 1, "desired_size": 5, "max_size": 3}) == (
        "SecureClusterArgs.node_group.desired_size 5 is not between min_size 1 and max_size 3"
    )


def test_unknown_access_policy_is_refused() -> None:
    entry = {"principal_arn": "arn:aws:iam::123456789012:role/dev", "access_policy": "AdministratorAccess"}
    assert error_of(access_entries=[entry]) == (
        "SecureClusterArgs.access_entries[0].access_policy 'AdministratorAccess' is not one of: "
        "AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, AmazonEKSEditPolicy, AmazonEKSViewPolicy"
    )


def test_access_entry_principal_that_is_not_a_role_or_user_is_refused() -> None:
    group = "arn:aws:iam::123456789012:group/admins"
    assert error_of(access_entries=[{"principal_arn": group}]) == (
        f"SecureClusterArgs.access_entries[0].principal_arn '{group}' is not an IAM role or user ARN "
        "(arn:aws:iam::<account>:role/<name> or :user/<name>)"
    )


def test_single_subnet_is_refused() -> None:
    assert error_of(subnet_ids=["subnet-0a1b2c3d4e5f60001"]) == (
        "SecureClusterArgs.subnet_ids ['subnet-0a1b2c3d4e5f60001'] needs at least two subnets in different "
        "Availability Zones (an EKS requirement)"
    )


def test_the_identity_handle_carries_the_clusters_outputs_and_one_agent() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        cluster = SecureCluster("ecs-test", cast(SecureClusterArgs, BASE))
        identity = cluster.identity
        assert identity.pod_identity_agent() is identity.pod_identity_agent() is cluster.pod_identity_agent()
        pulumi.Output.all(identity.cluster_name, identity.cluster_arn, identity.oidc_provider_arn,
                          identity.oidc_issuer).apply(lambda v: seen.update(values=v))

    plan = run_program(program, config={"aws:region": "eu-west-1"})
    eks = plan.one(CLUSTER, "ecs-test-eks").outputs
    assert seen["values"] == ["ecs-test", "arn:aws:eks:eu-west-1:123456789012:cluster/ecs-test",
                              eks["oidcProviderArn"], eks["oidcIssuer"]]
    assert len(plan.find(ADDON, "ecs-test-pod-identity-agent")) == 1


def test_network_created_by_the_same_program_reaches_the_cluster_unchecked() -> None:
    # A TypeScript or YAML caller passes its VPC's outputs: AWS checks them, as it checks the account id.
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        subnets = [aws.ec2.Subnet(f"subnet-{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24") for i in range(2)]
        SecureCluster("ecs-test", cast(SecureClusterArgs, {
            **BASE, "vpc_id": vpc.id, "subnet_ids": [subnet.id for subnet in subnets]}))

    plan = run_program(program, config={"aws:region": "eu-west-1"})
    inputs = plan.one(CLUSTER, "ecs-test-eks").inputs
    vpc, subnets = plan.one("aws:ec2/vpc:Vpc"), plan.find("aws:ec2/subnet:Subnet")
    assert inputs["vpcId"] in vpc.identifiers
    assert [next(i for i in s.identifiers if i in inputs["subnetIds"]) for s in subnets] == inputs["subnetIds"]


def test_the_agent_is_installed_up_front_when_asked_and_carried_by_the_handle() -> None:
    # A program in another language cannot call pod_identity_agent(): it asks for the agent with an argument.
    seen: list[bool] = []

    def program() -> None:
        cluster = SecureCluster("ecs-test", cast(SecureClusterArgs, {**BASE, "pod_identity_agent": True}))
        agent = cluster.identity.pod_identity_agent_addon
        seen.append(agent is not None
                    and agent is cluster.pod_identity_agent() is cluster.identity.pod_identity_agent())

    plan = run_program(program, config={"aws:region": "eu-west-1"})
    assert seen == [True]
    assert plan.one("aws:eks/addon:Addon", "ecs-test-pod-identity-agent").inputs["addonName"] == (
        "eks-pod-identity-agent")


def test_without_the_argument_no_agent_is_installed() -> None:
    plan = run_program(lambda: SecureCluster("ecs-test", cast(SecureClusterArgs, BASE)),
                       config={"aws:region": "eu-west-1"})
    assert plan.find("aws:eks/addon:Addon", "ecs-test-pod-identity-agent") == []
