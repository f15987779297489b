"""components/validation.py: the errors every setting and component argument reports."""

from __future__ import annotations

import pulumi
import pytest

from components.validation import SECRET_SHOWN_AS, ErrorCollector, SettingsError, SettingsErrors, check_bool


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
