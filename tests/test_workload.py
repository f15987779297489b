"""components/workload.py and components/rbac.py: the Deployment and the Secrets it may read."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.app_secrets import AppSecrets
from components.conventions import SECRETS_AS_ENV_REASON_ANNOTATION
from components.csi_driver import SecretsStoreCsiDriver
from components.handles import AwsTarget, ClusterIdentity
from components.plan.engine import Plan, run_program
from components.plan.policies import check_policies
from components.pod_spec import (
    PodInput,
    env_from_secret_key,
    http_probe,
    pod_security_context,
    read_only_mount,
    restricted_security_context,
    secret_volume,
)
from components.rbac import SecretReader, secret_reader_rules
from components.validation import SettingsError
from components.workload import DEFAULT_RESOURCES, Workload, WorkloadArgs
from tests.conftest import empty_fields, refused_once_known


def workload_plan(**overrides: Any) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        args: WorkloadArgs = {"app_name": "web", "namespace": "dev", "image": "nginx:1.27", "inputs": [
            PodInput(checksums={"checksum/web-config": "abc"}, secret_names=["web-tls"])]}
        Workload("dev-web", {**args, **overrides}, opts=pulumi.ResourceOptions(  # type: ignore[typeddict-item]
            providers={"kubernetes": provider}))

    return run_program(program)


def test_creates_a_service_account_without_token_and_a_get_only_role() -> None:
    plan = workload_plan()
    account = plan.one("kubernetes:core/v1:ServiceAccount")
    assert (account.inputs["metadata"]["name"], account.inputs["automountServiceAccountToken"]) == ("web", False)
    assert plan.one("kubernetes:rbac.authorization.k8s.io/v1:Role").inputs["rules"] == secret_reader_rules(
        ["web-tls"])
    pod = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]
    assert pod["metadata"]["annotations"] == {"checksum/web-config": "abc"}
    assert (pod["spec"]["serviceAccountName"], pod["spec"]["automountServiceAccountToken"]) == ("web", False)
    assert {"name": "tmp", "emptyDir": {}} in pod["spec"]["volumes"]


def test_a_minimal_workload_sets_no_empty_lists_or_maps() -> None:
    plan = workload_plan(inputs=[])
    objects = [r for r in plan.resources if r.custom and r.type.startswith("kubernetes:")]
    assert [(r.type, empty_fields(r.inputs)) for r in objects] == [(r.type, []) for r in objects]
    pod = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]
    assert "envFrom" not in pod["spec"]["containers"][0] and "imagePullSecrets" not in pod["spec"]


def test_every_object_uses_the_provider_given_to_the_component() -> None:
    plan = workload_plan()
    provider = plan.one("pulumi:providers:kubernetes").urn
    objects = [r for r in plan.resources if r.custom and r.type.startswith("kubernetes:")]
    assert sorted(r.type for r in objects) == ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ServiceAccount",
                                              "kubernetes:rbac.authorization.k8s.io/v1:Role",
                                              "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"]
    assert {r.provider for r in objects} == {provider}


def test_pod_and_container_run_restricted_with_a_writable_tmp_only() -> None:
    pod = workload_plan().one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert (pod["securityContext"], container["securityContext"]) == (
        pod_security_context(), restricted_security_context())
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert container["resources"] == DEFAULT_RESOURCES


def test_probes_and_resources_are_passed_to_the_container() -> None:
    resources = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
    container = workload_plan(port=8080, readiness_probe=http_probe("/ready"), liveness_probe=http_probe("/live"),
                              resources=resources).one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"][
        "spec"]["containers"][0]
    assert (container["ports"], container["readinessProbe"], container["livenessProbe"], container["resources"]) == (
        [{"name": "http", "containerPort": 8080}], http_probe("/ready"), http_probe("/live"), resources)


def test_a_given_service_account_is_used_not_created() -> None:
    plan = workload_plan(inputs=[PodInput(checksums={"checksum/web-config": "abc"}, secret_names=["web-tls"]),
                                 PodInput(service_account_name="web-irsa")])
    assert plan.find("kubernetes:core/v1:ServiceAccount") == []
    assert plan.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs["subjects"] == [
        {"kind": "ServiceAccount", "name": "web-irsa", "namespace": "dev"}]
    pod = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    assert (pod["serviceAccountName"], pod["automountServiceAccountToken"]) == ("web-irsa", False)


def test_a_workload_that_calls_the_api_gets_its_token_and_says_why() -> None:
    plan = workload_plan(kubernetes_api_reason="watches its ConfigMap")
    account = plan.one("kubernetes:core/v1:ServiceAccount").inputs
    assert account["automountServiceAccountToken"] is True
    assert account["metadata"]["annotations"] == {
        "eks-config-secrets.io/automount-token-reason": "watches its ConfigMap"}
    assert check_policies(plan) == []


_SECRET_ENV = PodInput(env=[env_from_secret_key("API_TOKEN", "web-api", "API_TOKEN")], secret_names=["web-api"])


def test_a_workload_reading_secrets_as_env_vars_without_a_reason_gets_the_advisory() -> None:
    plan = workload_plan(inputs=[_SECRET_ENV])
    assert [v.rule for v in check_policies(plan) if v.rule == "secrets-as-files"] == ["secrets-as-files"]
    metadata = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["metadata"]
    assert SECRETS_AS_ENV_REASON_ANNOTATION not in metadata.get("annotations", {})


def test_a_workload_that_says_why_it_reads_secrets_as_env_vars_carries_the_reason_and_no_advisory() -> None:
    plan = workload_plan(inputs=[_SECRET_ENV], secrets_as_env_reason=" reads its environment only ")
    annotations = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["metadata"]["annotations"]
    assert annotations[SECRETS_AS_ENV_REASON_ANNOTATION] == "reads its environment only"
    assert [v for v in check_policies(plan) if v.rule == "secrets-as-files"] == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_empty_reason_to_read_secrets_as_env_vars_is_refused(reason: str) -> None:
    with pytest.raises(SettingsError) as caught:
        workload_plan(inputs=[_SECRET_ENV], secrets_as_env_reason=reason)
    assert str(caught.value) == (
        f"WorkloadArgs.secrets_as_env_reason {reason!r} is not a reason: say in words why, or remove it")


def test_writable_secret_mount_is_refused() -> None:
    mount = {**read_only_mount("tls", "/etc/tls"), "readOnly": False}
    with pytest.raises(SettingsError) as caught:
        workload_plan(inputs=[PodInput(volumes=[secret_volume("tls", "web-tls")], volume_mounts=[mount])])
    assert str(caught.value) == (
        "WorkloadArgs.inputs[].volume_mounts[0] 'tls' mounts a Secret or CSI volume writable: set readOnly: true")


def test_probe_on_the_named_port_without_a_port_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        workload_plan(readiness_probe=http_probe("/ready"))
    assert str(caught.value) == (
        "WorkloadArgs.readiness_probe {'httpGet': {'path': '/ready', 'port': 'http'}, 'periodSeconds': 10} uses the "
        "named port 'http', which exists only when WorkloadArgs.port is set")


def test_unknown_resource_field_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        workload_plan(resources={"limit": {"memory": "1Gi"}})
    assert str(caught.value) == "WorkloadArgs.resources ['limit'] are not resource fields (requests, limits)"


def test_rules_never_list_or_watch() -> None:
    assert secret_reader_rules(["b", "a"]) == [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a", "b"], "verbs": ["get"]}]


def test_secret_reader_refuses_an_empty_list() -> None:
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: SecretReader("r", {"namespace": "dev", "service_account_name": "web",
                                               "secret_names": []}))
    assert str(caught.value) == (
        "SecretReaderArgs.secret_names [] is empty: name at least one Secret (an empty list would allow every Secret)")


def test_service_serves_the_named_port_to_the_apps_pods_only() -> None:
    plan = workload_plan(port=8080, service=True)
    service = plan.one("kubernetes:core/v1:Service", "dev-web-service").inputs
    pod_labels = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["metadata"]["labels"]
    assert service["metadata"]["name"] == "web"
    assert service["spec"] == {
        "type": "ClusterIP", "selector": pod_labels,
        "ports": [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}],
    }


def test_no_service_unless_asked() -> None:
    assert workload_plan(port=8080).find("kubernetes:core/v1:Service") == []


def test_service_without_a_port_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        workload_plan(service=True)
    assert str(caught.value) == "WorkloadArgs.service True needs WorkloadArgs.port: a Service serves a port"


def _app_with_secrets(give: str) -> Plan:
    """One app's secrets (csi) and its Workload, given them as ``give``: the Python fragment or the component."""

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(providers={"kubernetes": provider})
        issuer = "oidc.eks.eu-west-1.amazonaws.com/id/0A"
        app = AppSecrets("dev-app", {
            "namespace": "dev", "app_name": "app", "secrets": [{"secret": "dev/app", "keys": [
                {"property": "password", "file": "password", "env": "DB_PASSWORD"}]}],
            "cluster": ClusterIdentity(cluster_name="c", cluster_arn="arn:aws:eks:eu-west-1:123456789012:cluster/c",
                                       oidc_provider_arn=f"arn:aws:iam::123456789012:oidc-provider/{issuer}",
                                       oidc_issuer=issuer),
            "target": AwsTarget(region="eu-west-1", account_id="123456789012"),
            "csi_driver": SecretsStoreCsiDriver("csi", {"region": "eu-west-1"}, opts=opts)}, opts=opts)
        args: WorkloadArgs = {"app_name": "app", "namespace": "dev", "image": "nginx:1.27"}
        if give == "fragment":
            args["inputs"] = [app.pod_input()]
        else:
            args["app_secrets"] = app
        Workload("dev-app", args, opts=opts)

    return run_program(program)


def test_app_secrets_given_as_the_component_are_its_fragment() -> None:
    # What a program in another language passes: the AppSecrets component, which cannot hand it a Python fragment.
    fragment, component = _app_with_secrets("fragment"), _app_with_secrets("component")
    assert [(r.urn, r.inputs) for r in component.resources] == [(r.urn, r.inputs) for r in fragment.resources]
    deployment = component.one("kubernetes:apps/v1:Deployment")
    spec = deployment.inputs["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "app"
    assert [v["name"] for v in spec["volumes"]] == ["secrets", "tmp"]
    assert spec["containers"][0]["env"][0]["name"] == "DB_PASSWORD"


def test_app_secrets_of_another_kind_are_refused_by_name() -> None:
    with pytest.raises(SettingsError) as caught:
        workload_plan(app_secrets="dev-app")
    assert str(caught.value) == "WorkloadArgs.app_secrets 'dev-app' is not an AppSecrets component"


BAD_ENV = "1-TOKEN"


def test_an_env_var_name_of_ones_own_fragment_is_refused() -> None:
    entry = {"name": BAD_ENV, "value": "x"}
    with pytest.raises(SettingsError) as caught:
        workload_plan(inputs=[PodInput(env=[entry])])
    assert str(caught.value) == (
        f"WorkloadArgs.inputs[].env[0].name {BAD_ENV!r} is not an environment variable name (letters, digits, '_'; "
        "not starting with a digit)")


def test_an_env_var_name_given_as_an_output_is_refused_once_known() -> None:
    with pytest.raises(SettingsError) as plain:
        workload_plan(inputs=[PodInput(env=[{"name": BAD_ENV}])])
    later = refused_once_known(lambda: workload_plan(inputs=[PodInput(env=[{"name": pulumi.Output.from_input(
        BAD_ENV)}])]))
    assert later.endswith(f"ValueError has risen: {plain.value}")
    good = workload_plan(inputs=[PodInput(env=[{"name": pulumi.Output.from_input("TOKEN"), "value": "x"}])])
    container = good.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "TOKEN", "value": "x"}]
