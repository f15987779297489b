"""components/plan/rotation_cost.py: the calls that rotation and refresh make, from what each stack would deploy."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from components.plan.cli import EXIT_OK, evaluate_stack, main
from components.plan.engine import Plan
from components.plan.rotation_cost import HOURS_PER_MONTH, ROTATION_COST_DEFAULTS, estimate_rotation_cost
from tests.conftest import ROOT, stack_values


@cache
def stack_plan(stack: str) -> Plan:
    return evaluate_stack(ROOT, stack)[1]


def test_dev_polls_every_two_minutes_per_pod_and_object() -> None:
    cost = estimate_rotation_cost(stack_plan("dev"), ROTATION_COST_DEFAULTS).as_json()
    # 30 polls an hour (2m); app: one secret (a DescribeSecret each) and one parameter (a GetParameters batch);
    # report-worker: one parameter. One replica each.
    assert [(a["app"], a["secretsmanager_calls_per_hour"], a["ssm_calls_per_hour"]) for a in cost["by_app"]] == [
        ("dev/app", 30.0, 30.0), ("dev/report-worker", 0.0, 30.0)]
    assert (cost["calls_per_hour"], cost["calls_per_month"]) == (90.0, 90 * HOURS_PER_MONTH)
    # Only Secrets Manager calls are priced by default (Parameter Store standard throughput is free).
    assert cost["usd_per_month"] == round(30 * HOURS_PER_MONTH * 0.05 / 10_000, 2)


def test_prod_polls_hourly_in_both_regions_for_each_replica() -> None:
    cost = estimate_rotation_cost(stack_plan("prod"), ROTATION_COST_DEFAULTS).as_json()
    # app: 3 replicas x 1 poll an hour x 1 secret x 2 regions (the provider asks the failover region on every poll);
    # ledger-sync: 1 replica, 1 secret, 1 region.
    assert [(a["app"], a["calls_per_hour"]) for a in cost["by_app"]] == [("prod/app", 6.0), ("prod/ledger-sync", 1.0)]


def test_staging_refreshes_each_external_secret_hourly_whatever_the_replicas() -> None:
    cost = estimate_rotation_cost(stack_plan("staging"), ROTATION_COST_DEFAULTS).as_json()
    # One GetSecretValue per secret (the database's two keys are cached within a refresh, and the payments
    # secret) and one GetParameter for the parameter key.
    assert [(a["app"], a["backend"], a["secretsmanager_calls_per_hour"], a["ssm_calls_per_hour"])
            for a in cost["by_app"]] == [("staging/app", "external-secrets", 2.0, 1.0)]


def test_the_advisory_threshold_raises_a_violation_naming_the_costliest_app() -> None:
    cost = estimate_rotation_cost(stack_plan("dev"), replace(ROTATION_COST_DEFAULTS, advisory_usd_per_month=0.05,
                                                             ssm_usd_per_10k_calls=0.05))
    [violation] = cost.violations("urn:pulumi:dev::eks-config-secrets::pulumi:pulumi:Stack::eks-config-secrets-dev")
    assert (violation.rule, violation.mandatory) == ("rotation-cost", False)
    assert violation.message.startswith("rotation and refresh would cost about USD 0.33 a month, above "
                                        "secretDelivery.rotationCost.advisoryUsdPerMonth (0.05); most from dev/app")
    assert estimate_rotation_cost(stack_plan("dev"), ROTATION_COST_DEFAULTS).violations("urn") == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_plan_prints_the_estimate_and_writes_it_to_the_json(stack: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.json"
    assert main(["plan", "--stack", stack, "--quiet", "--json", str(target)]) == EXIT_OK
    assert "rotation cost: " in capsys.readouterr().out
    document = json.loads(target.read_text())["rotation_cost"]
    assert set(document) >= {"calls_per_hour", "calls_per_month", "usd_per_month", "by_app"}
    assert document["by_app"]



def test_the_plan_estimates_with_the_prices_the_stack_file_sets(tmp_path: Path) -> None:
    delivery = stack_values("dev")["secretDelivery"]
    delivery["rotationCost"] = {"advisoryUsdPerMonth": 0.05, "ssmUsdPer10kCalls": 0.05}
    target = tmp_path / "plan.json"
    assert main(["plan", "--stack", "dev", "--project-dir", str(ROOT), "--quiet", "--json", str(target),
                 "--config", f"eks-config-secrets:secretDelivery={json.dumps(delivery)}"]) == EXIT_OK
    document = json.loads(target.read_text())
    assert [v["rule"] for v in document["violations"] if v["rule"] == "rotation-cost"] == ["rotation-cost"]
