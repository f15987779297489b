"""components/plan/engine.py and fake_cloud.py: what the recording engine sees and answers."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
import pytest

from components.conventions import SECRET_MARKER
from components.plan.engine import run_program
from components.plan.fake_cloud import ACCOUNT_ID


def _program() -> None:
    key = aws.kms.Key("key", enable_key_rotation=True, opts=pulumi.ResourceOptions(protect=True))
    cluster = eks.Cluster("cluster", name="demo", encryption_config_key_arn=key.arn)
    provider = k8s.Provider("k8s", kubeconfig=cluster.kubeconfig_json)
    k8s.core.v1.Secret(
        "secret",
        metadata={"namespace": "dev"},
        string_data={"password": pulumi.Output.secret("hunter2")},
        opts=pulumi.ResourceOptions(provider=provider),
    )
    pulumi.export("issuer", cluster.oidc_issuer)
    pulumi.export("kubeconfig", cluster.kubeconfig_json)


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return run_program(_program, stack="dev", config={"aws:region": "eu-west-1"})


def test_urns_are_those_the_real_engine_gives(plan) -> None:  # type: ignore[no-untyped-def]
    assert [r.urn for r in plan.resources] == [
        "urn:pulumi:dev::eks-config-secrets::aws:kms/key:Key::key",
        "urn:pulumi:dev::eks-config-secrets::eks:index:Cluster::cluster",
        "urn:pulumi:dev::eks-config-secrets::kubernetes:core/v1:Secret::secret",
        "urn:pulumi:dev::eks-config-secrets::pulumi:providers:kubernetes::k8s",
    ]


def test_records_options_and_dependencies(plan) -> None:  # type: ignore[no-untyped-def]
    key, cluster = plan.one("aws:kms/key:Key"), plan.one("eks:index:Cluster")
    assert key.protect is True and cluster.protect is False
    assert cluster.dependencies == [key.urn]
    assert cluster.custom is False and key.custom is True


def test_wires_outputs_into_inputs_with_realistic_arns(plan) -> None:  # type: ignore[no-untyped-def]
    key_arn = plan.one("eks:index:Cluster").inputs["encryptionConfigKeyArn"]
    assert key_arn.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")


def test_records_the_explicit_provider(plan) -> None:  # type: ignore[no-untyped-def]
    secret = plan.one("kubernetes:core/v1:Secret")
    assert secret.provider == plan.one("pulumi:providers:kubernetes").urn


def test_secret_values_are_redacted_but_kept_for_tests(plan) -> None:  # type: ignore[no-untyped-def]
    secret = plan.one("kubernetes:core/v1:Secret")
    # pulumi_kubernetes marks a Secret's whole stringData secret: its keys stay, each value is redacted.
    assert secret.inputs["stringData"] == {"password": SECRET_MARKER}
    assert secret.outputs["stringData"] == {"password": SECRET_MARKER}
    assert secret.raw_inputs["stringData"] == {"password": "hunter2"}
    assert secret.secret_paths == ["stringData.password"]
    assert "hunter2" not in json.dumps(plan.as_json())


def _one_secret_leaf() -> None:
    token = pulumi.Output.secret("hunter2")
    provider = k8s.Provider("k8s", kubeconfig="{}")
    container = {"name": "app", "image": "app:1", "env": [{"name": "TOKEN", "value": token}]}
    k8s.apps.v1.Deployment("app", spec={"selector": {"matchLabels": {"app": "a"}}, "template": {
        "metadata": {"labels": {"app": "a"}}, "spec": {"containers": [container]}}},
        opts=pulumi.ResourceOptions(provider=provider))
    pulumi.export("settings", {"name": "app", "token": token})


def test_only_the_secret_leaf_of_a_structure_is_redacted() -> None:
    """The SDK's deserializer lifts a nested secret to the whole property (pulumi sdk/python/lib/pulumi/runtime/
    rpc.py, ``deserialize_properties``); the wire keeps it on the one value, and so does the plan."""
    plan = run_program(_one_secret_leaf)
    deployment = plan.one("kubernetes:apps/v1:Deployment")
    container = {"env": [{"name": "TOKEN", "value": SECRET_MARKER}], "image": "app:1", "name": "app"}
    assert deployment.inputs["spec"]["template"]["spec"]["containers"] == [container]
    assert deployment.outputs["spec"]["template"]["spec"]["containers"] == [container]
    assert deployment.secret_paths == ["spec.template.spec.containers[0].env[0].value"]
    assert deployment.raw_inputs["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "hunter2"
    assert plan.outputs["settings"] == {"name": "app", "token": SECRET_MARKER}
    assert "hunter2" not in json.dumps(plan.as_json())


def test_dependencies_and_keys_are_sorted() -> None:
    def program() -> None:
        keys = [aws.kms.Key(name) for name in "hgfedcba"]
        aws.kms.Key("z", description="x", opts=pulumi.ResourceOptions(depends_on=keys))

    resource = run_program(program).one("aws:kms/key:Key", "z")
    assert resource.dependencies == sorted(resource.dependencies) and len(resource.dependencies) == 8
    assert list(resource.outputs) == sorted(resource.outputs)


def test_kubeconfig_is_secret_end_to_end(plan) -> None:  # type: ignore[no-untyped-def]
    assert plan.one("pulumi:providers:kubernetes").inputs["kubeconfig"] == SECRET_MARKER
    assert plan.outputs["kubeconfig"] == SECRET_MARKER


def test_oidc_issuer_has_no_scheme(plan) -> None:  # type: ignore[no-untyped-def]
    assert plan.outputs["issuer"].startswith("oidc.eks.eu-west-1.amazonaws.com/id/")


def test_plans_are_deterministic() -> None:
    first = run_program(_program, config={"aws:region": "eu-west-1"}).as_json()
    second = run_program(_program, config={"aws:region": "eu-west-1"}).as_json()
    assert first == second


def test_config_is_visible_to_the_program_and_isolated() -> None:
    seen = {}

    def program() -> None:
        seen["value"] = pulumi.Config("eks-config-secrets").get_object("cluster")
        seen["secret"] = pulumi.Config("eks-config-secrets").get_secret("token")

    run_program(program, config={"eks-config-secrets:cluster": {"name": "x"}, "eks-config-secrets:token": "t"},
                secret_keys=["eks-config-secrets:token"])
    assert seen["value"] == {"name": "x"}
    assert isinstance(seen["secret"], pulumi.Output)
    run_program(lambda: seen.update(after=pulumi.Config("eks-config-secrets").get("cluster")))
    assert seen["after"] is None


def test_program_errors_propagate() -> None:
    def program() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_program(program)


def _secret_program() -> None:
    config = pulumi.Config("demo")
    provider = k8s.Provider("k8s", kubeconfig="{}")
    k8s.core.v1.Secret("token", metadata={"name": "token", "namespace": "dev"},
                       string_data={"token": config.require_secret("token")},
                       opts=pulumi.ResourceOptions(provider=provider))


def _token_record(value: str, stack: str = "dev") -> dict[str, object]:
    plan = run_program(_secret_program, stack=stack, config={"demo:token": value}, secret_keys=["demo:token"])
    return plan.one("kubernetes:core/v1:Secret").as_json()


def test_secret_digests_tell_a_changed_secret_without_showing_it() -> None:
    first, again, rotated = _token_record("s3cr3t-one"), _token_record("s3cr3t-one"), _token_record("s3cr3t-two")
    assert first["secret_digests"] == again["secret_digests"]
    assert first["secret_digests"] != rotated["secret_digests"]
    assert "s3cr3t" not in json.dumps(first)
    # Keyed per stack: the same secret in two stacks does not show as the same digest.
    assert first["secret_digests"] != _token_record("s3cr3t-one", stack="prod")["secret_digests"]


def test_identifiers_and_property_dependencies_say_what_a_replacement_reaches(plan) -> None:  # type: ignore[no-untyped-def]
    key, cluster = plan.one("aws:kms/key:Key"), plan.one("eks:index:Cluster")
    assert f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/{key.outputs['keyId']}" in key.identifiers
    assert cluster.property_dependencies["encryptionConfigKeyArn"] == [key.urn]
