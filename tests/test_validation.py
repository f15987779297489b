"""components/validation.py: the errors every setting and component argument reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired

import pulumi
import pytest
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.validation import (
    SECRET_SHOWN_AS,
    STACK_FILE_FORM,
    ErrorCollector,
    SettingsError,
    SettingsErrors,
    StackSection,
    check_bool,
    check_log_retention_days,
    stack_key,
)


def test_a_settings_error_is_an_input_properties_error_with_its_path_and_reason() -> None:
    error = SettingsError("AppSecretsArgs.namespace", "Dev", "is not a DNS-1123 label")
    assert isinstance(error, pulumi.InputPropertiesError)
    assert error.errors == [{"property_path": "AppSecretsArgs.namespace", "reason": "'Dev' is not a DNS-1123 label"}]
    hidden = SettingsError("checksumKey", SECRET_SHOWN_AS, "is too short")
    assert hidden.errors == [{"property_path": "checksumKey", "reason": "(secret) is too short"}]


def test_the_collector_raises_one_mistake_as_itself_and_several_at_once() -> None:
    one, two = SettingsError("a", 1, "is bad"), SettingsError("b", 2, "is bad")
    collector = ErrorCollector()
    collector.raise_any()
    with collector.part():
        raise one
    with pytest.raises(SettingsError) as caught:
        collector.raise_any()
    assert caught.value is one
    with collector.part():
        raise two
    with pytest.raises(SettingsErrors) as several:
        collector.raise_any()
    assert (str(several.value), several.value.problems) == ("a 1 is bad\nb 2 is bad", [one, two])


@pytest.mark.parametrize("value", ["true", 1, None])
def test_a_boolean_argument_given_as_anything_else_is_refused_by_name(value: object) -> None:
    with pytest.raises(SettingsError) as caught:
        check_bool(value, "WorkloadArgs.service")
    assert str(caught.value) == f"WorkloadArgs.service {value!r} is not a boolean (true or false)"


def test_a_boolean_argument_is_returned() -> None:
    assert (check_bool(True, "x"), check_bool(False, "x")) == (True, False)


@with_config(STACK_FILE_FORM)
class _NamedArgs(TypedDict):
    """A section typed as components type names of things since issue 12: ``pulumi.Input[str]``."""

    cluster_name: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    labels: NotRequired[Mapping[str, pulumi.Input[str]]]
    retention_days: NotRequired[int]


_NAMED = StackSection(_NamedArgs, {"retentionDays": check_log_retention_days})


def test_a_section_of_input_fields_reads_a_stack_files_plain_values() -> None:
    assert _NAMED.parse({"clusterName": "ecs-dev", "subnetIds": ["subnet-a"], "labels": {"team": "x"}}, "p:c") == {
        "cluster_name": "ecs-dev", "subnet_ids": ["subnet-a"], "labels": {"team": "x"}}


def test_each_mistake_of_an_input_field_is_one_message_without_the_awaitable_and_output_branches() -> None:
    with pytest.raises(SettingsErrors) as caught:
        _NAMED.parse({"clusterName": 5, "subnetIds": ["subnet-a", 3], "labels": {"team": ""}, "retentionDays": "90",
                      "extra": 1}, "p:c")
    assert [str(p) for p in caught.value.problems] == [
        "p:c.clusterName 5 is not a non-empty string",
        "p:c.subnetIds[1] 3 is not a non-empty string",
        "p:c.labels.team '' is not a non-empty string",
        # The setting's own rule explains a value of the wrong type.
        "p:c.retentionDays '90' is not a CloudWatch Logs retention period (one of 1, 3, 5, 7, 14, 30, 60, 90, 120, "
        "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
        "p:c.extra 1 is not a known setting (known: clusterName, subnetIds, labels, retentionDays)",
    ]


def test_a_sections_rules_run_on_every_value_of_the_right_type_beside_its_type_mistakes() -> None:
    with pytest.raises(SettingsErrors) as caught:
        _NAMED.parse({"clusterName": 5, "subnetIds": "subnet-a", "retentionDays": 45}, "p:c")
    assert [p.setting for p in caught.value.problems] == ["p:c.clusterName", "p:c.subnetIds", "p:c.retentionDays"]


def test_stack_keys_keep_a_digit_after_an_underscore() -> None:
    assert (stack_key("kms_key_arn"), stack_key("ssm_usd_per_10k_calls")) == ("kmsKeyArn", "ssmUsdPer10kCalls")
