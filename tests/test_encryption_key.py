"""EnvelopeEncryptionKey under the recording engine."""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi
import pytest

from components.encryption_key import EnvelopeEncryptionKey, EnvelopeEncryptionKeyArgs
from components.iam_policies import envelope_key_policy
from components.plan.engine import Plan, run_program
from components.validation import SettingsError
from tests.conftest import refused_once_known

ROLE = "arn:aws:iam::123456789012:role/ecs-dev-cluster-role"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"


def plan_key(**overrides: Any) -> Plan:
    args: dict[str, Any] = {"cluster_role_arn": ROLE, "account_id": "123456789012", **overrides}
    return run_program(lambda: EnvelopeEncryptionKey("ecs-dev", cast(EnvelopeEncryptionKeyArgs, args)))


def test_key_rotates_and_waits_thirty_days_before_deletion() -> None:
    key = plan_key().one(KEY, "ecs-dev-key").inputs
    assert (key["enableKeyRotation"], key["deletionWindowInDays"], key["keyUsage"], key["customerMasterKeySpec"]) == (
        True, 30, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT"
    )


def test_key_policy_is_the_envelope_key_policy_of_the_cluster_role() -> None:
    key = plan_key().one(KEY, "ecs-dev-key")
    assert json.loads(key.inputs["policy"]) == envelope_key_policy(
        partition="aws", account_id="123456789012", cluster_role_arn=ROLE
    )


def test_alias_defaults_to_alias_eks_name_and_targets_the_key() -> None:
    plan = plan_key()
    alias = plan.one(ALIAS, "ecs-dev-alias").inputs
    assert alias == {"name": "alias/eks/ecs-dev", "targetKeyId": plan.one(KEY).outputs["keyId"]}


def test_key_and_alias_are_protected_by_default() -> None:
    plan = plan_key()
    assert (plan.one(KEY).protect, plan.one(ALIAS).protect) == (True, True)


def test_key_and_alias_are_not_protected_when_protect_is_false() -> None:
    plan = plan_key(protect=False)
    assert (plan.one(KEY).protect, plan.one(ALIAS).protect) == (False, False)


def test_children_are_parented_to_the_component() -> None:
    plan = plan_key()
    component = plan.one("eks-config-secrets:index:EnvelopeEncryptionKey", "ecs-dev")
    assert sorted(r.name for r in plan.children(component)) == ["ecs-dev-alias", "ecs-dev-key"]


def test_deletion_window_is_settable() -> None:
    assert plan_key(deletion_window_days=7).one(KEY).inputs["deletionWindowInDays"] == 7


@pytest.mark.parametrize("window", [6, 31])
def test_deletion_window_outside_7_to_30_is_refused(window: int) -> None:
    with pytest.raises(SettingsError) as error:
        plan_key(deletion_window_days=window)
    assert str(error.value) == (
        f"EnvelopeEncryptionKeyArgs.deletion_window_days {window} is not a whole number of days from 7 to 30"
    )


def test_alias_in_the_aws_namespace_is_refused() -> None:
    with pytest.raises(SettingsError) as error:
        plan_key(alias_name="alias/aws/eks")
    assert str(error.value) == (
        "EnvelopeEncryptionKeyArgs.alias_name 'alias/aws/eks' is not a KMS alias name "
        "('alias/' then letters, digits, '/', '_' and '-'; not 'alias/aws/...')"
    )


def test_cluster_role_that_is_not_a_role_arn_is_refused() -> None:
    with pytest.raises(SettingsError) as error:
        plan_key(cluster_role_arn="arn:aws:iam::123456789012:user/admin")
    assert str(error.value) == (
        "EnvelopeEncryptionKeyArgs.cluster_role_arn 'arn:aws:iam::123456789012:user/admin' is not a valid iam ARN "
        "(expected arn:aws:iam::<12-digit account>:role/...)"
    )


@pytest.mark.parametrize("field, bad", [("account_id", "1234"), ("cluster_role_arn", "arn:aws:iam::1:user/admin")])
def test_an_output_is_checked_once_known_with_the_plain_values_message(field: str, bad: str) -> None:
    with pytest.raises(SettingsError) as plain:
        plan_key(**{field: bad})
    later = refused_once_known(lambda: plan_key(**{field: pulumi.Output.from_input(bad)}))
    assert later.endswith(f"ValueError has risen: {plain.value}")
