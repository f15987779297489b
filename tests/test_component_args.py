"""stack_program/component_args.py: the stack's sections become the components' arguments with the handles that only
composition has, and nothing else."""

from __future__ import annotations

from components.handles import AwsTarget
from stack_program.component_args import cluster_args, csi_driver_args, workload_args
from tests.conftest import stack_values
from tests.test_settings import parse

TARGET = AwsTarget(region="eu-west-1", account_id="123456789012")


def test_the_cluster_takes_the_target_and_the_creator_and_a_key_only_when_the_stack_names_one() -> None:
    settings = parse(stack_values("dev"))
    args = cluster_args(settings, TARGET, "arn:aws:iam::123456789012:role/ci")
    assert (args["region"], args["account_id"], args["partition"], args["creator_arn"]) == (
        "eu-west-1", "123456789012", "aws", "arn:aws:iam::123456789012:role/ci")
    # The section is the args: every setting it gives is there as it is, and nothing it omits.
    assert {k: v for k, v in args.items() if k in settings.cluster} == settings.cluster
    assert "kms_key_arn" not in args


def test_the_driver_takes_the_stacks_region_and_the_cluster() -> None:
    settings = parse(stack_values("dev"))
    args = csi_driver_args(settings, "ecs-dev")
    assert (args["region"], args["cluster_name"]) == ("eu-west-1", "ecs-dev")
    assert {k: v for k, v in args.items() if k not in ("region", "cluster_name")} == settings.secret_delivery["csi"]


def test_an_environment_and_a_workload_carry_the_settings_of_their_section() -> None:
    settings = parse(stack_values("dev"))
    env = settings.environments[0]
    assert (env["namespace"], [c["name"] for c in env.get("config_maps", [])]) == ("dev", ["app-config",
                                                                                            "nginx-config"])
    served = next(app for app in settings.apps if "port" in app)
    workload = workload_args(served, env, [])
    assert (workload["port"], workload["service"], workload["inputs"]) == (served["port"], True, [])
    assert (workload["app_name"], workload["namespace"], workload["image"]) == (served["name"], "dev", served["image"])
    # Only the Deployment's own settings reach it: the app's environments and secret sources are not its args.
    assert "environments" not in workload and "secret_sources" not in workload
