"""components/workload.py and components/rbac.py: the Deployment and the Secrets it may read."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.plan.engine import Plan, run_program
from components.plan.policies import check_policies
from components.rbac import SecretReader, secret_reader_rules
from components.validation import SettingsError
from components.workload import Workload, WorkloadArgs
from components.workloads import read_only_mount, secret_volume


def workload_plan(**overrides: Any) -> Plan:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        args: WorkloadArgs = {"app_name": "web", "namespace": "dev", "image": "nginx:1.27",
                              "checksums": [{"checksum/web-config": "abc"}], "secret_names": ["web-tls"]}
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


def test_a_workload_that_calls_the_api_gets_its_token_and_says_why() -> None:
    plan = workload_plan(kubernetes_api_reason="watches its ConfigMap")
    account = plan.one("kubernetes:core/v1:ServiceAccount").inputs
    assert account["automountServiceAccountToken"] is True
    assert account["metadata"]["annotations"] == {
        "eks-config-secrets.io/automount-token-reason": "watches its ConfigMap"}
    assert check_policies(plan) == []


def test_writable_secret_mount_is_refused() -> None:
    mount = {**read_only_mount("tls", "/etc/tls"), "readOnly": False}
    with pytest.raises(SettingsError) as caught:
        workload_plan(volumes=[secret_volume("tls", "web-tls")], volume_mounts=[mount])
    assert str(caught.value) == (
        "WorkloadArgs.volume_mounts[0] 'tls' mounts a Secret or CSI volume writable: set readOnly: true")


def test_rules_never_list_or_watch() -> None:
    assert secret_reader_rules(["b", "a"]) == [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a", "b"], "verbs": ["get"]}]


def test_secret_reader_refuses_an_empty_list() -> None:
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: SecretReader("r", {"namespace": "dev", "service_account_name": "web",
                                               "secret_names": []}))
    assert str(caught.value) == (
        "SecretReaderArgs.secret_names [] is empty: name at least one Secret (an empty list would allow every Secret)")
