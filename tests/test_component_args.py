"""stack_program/component_args.py: the stack settings become the components' arguments, and nothing else."""

from __future__ import annotations

from components.handles import AwsTarget
from stack_program.component_args import cluster_args, environment_args, workload_args
from tests.conftest import stack_values
from tests.test_settings import parse

TARGET = AwsTarget(region="eu-west-1", account_id="123456789012")


def test_the_cluster_takes_the_target_and_the_creator_and_a_key_only_when_the_stack_names_one() -> None:
    settings = parse(stack_values("dev"))
    args = cluster_args(settings.cluster, TARGET, "arn:aws:iam::123456789012:role/ci")
    assert (args["region"], args["account_id"], args["partition"], args["creator_arn"]) == (
        "eu-west-1", "123456789012", "aws", "arn:aws:iam::123456789012:role/ci")
    assert args["cluster_name"] == settings.cluster.name and "kms_key_arn" not in args


def test_an_environment_and_a_workload_carry_the_settings_of_their_section() -> None:
    settings = parse(stack_values("dev"))
    env = settings.environments[0]
    args = environment_args(env)
    assert (args["namespace"], [c["name"] for c in args["config_maps"]]) == (
        env.namespace, [c.name for c in env.config_maps])
    served = next(app for app in settings.apps if app.port)
    workload = workload_args(served, env, [])
    assert (workload["port"], workload["service"], workload["inputs"]) == (served.port, True, [])
