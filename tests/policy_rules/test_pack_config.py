"""components/policy_rules/pack_config.py: a `--policy-pack-config` file read as Pulumi reads it, and applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.conventions import KMS_KEY
from components.policy_rules import RULES, PackConfig, evaluate
from components.policy_rules.pack_config import load_pack_config, parse_pack_config
from components.validation import SettingsError
from tests.policy_rules.helpers import view

UNROTATED = view(KMS_KEY, {"enableKeyRotation": False}, name="key", stack="dr")


def rules_of(document: object) -> PackConfig:
    return parse_pack_config(document, RULES, "p.json")


def messages(document: object) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        rules_of(document)
    return [str(p) for p in raised.value.problems]


def test_without_a_file_each_rule_runs_at_its_declared_level() -> None:
    [violation] = evaluate([UNROTATED])
    assert (violation.rule, violation.mandatory) == ("kms-key-rotation", True)


def test_a_rule_can_be_made_advisory_or_disabled() -> None:
    [violation] = evaluate([UNROTATED], rules_of({"kms-key-rotation": "advisory"}))
    assert (violation.rule, violation.mandatory) == ("kms-key-rotation", False)
    assert evaluate([UNROTATED], rules_of({"kms-key-rotation": {"enforcementLevel": "disabled"}})) == []


def test_all_sets_every_level_and_a_rule_of_its_own_wins() -> None:
    assert evaluate([UNROTATED], rules_of({"all": "disabled"})) == []
    [violation] = evaluate([UNROTATED], rules_of({"all": "disabled", "kms-key-rotation": "advisory"}))
    assert not violation.mandatory
    advisory = next(r for r in RULES if r.enforcement == "advisory")
    assert rules_of({"all": "mandatory"}).level(advisory) == "mandatory"


def test_a_rule_setting_reaches_its_rule() -> None:
    protected = view(KMS_KEY, {"enableKeyRotation": True}, name="key", stack="dr")
    assert evaluate([protected]) == []
    config = rules_of({"prod-protected": {"protectedStacks": ["prod", "dr"]}})
    [violation] = evaluate([protected], config)
    assert (violation.rule, violation.mandatory) == ("prod-protected", True)


def test_every_mistake_of_a_file_is_reported_at_once() -> None:
    assert messages({
        "all": "strict",
        "kms-key-rotaton": "advisory",
        "prod-protected": {"protectedStacks": "prod", "stacks": ["dr"], "enforcementLevel": "remediate"},
        "eks-audit-logging": 3,
    }) == [
        "p.json: all 'strict' is not an enforcement level (one of advisory, mandatory, disabled)",
        "p.json: kms-key-rotaton 'kms-key-rotaton' is not a policy of the pack (did you mean 'kms-key-rotation'?)",
        "p.json: prod-protected.enforcementLevel 'remediate' is not an enforcement level (one of advisory, mandatory, "
        "disabled)",
        "p.json: prod-protected.stacks ['dr'] is not a setting of prod-protected (known: enforcementLevel, "
        "protectedStacks)",
        "p.json: prod-protected.protectedStacks 'prod' is invalid: 'prod' is not of type 'array'",
        "p.json: eks-audit-logging 3 is neither an enforcement level nor an object of the policy's settings",
    ]


def test_a_rule_without_settings_refuses_any() -> None:
    assert messages({"kms-key-rotation": {"protectedStacks": ["dr"], "stacks": ["dr"]}}) == [
        "p.json: kms-key-rotation.protectedStacks ['dr'] is not a setting of kms-key-rotation (known: "
        "enforcementLevel)",
        "p.json: kms-key-rotation.stacks ['dr'] is not a setting of kms-key-rotation (known: enforcementLevel)"]


def test_a_file_that_is_not_an_object_or_not_json_is_one_message(tmp_path: Path) -> None:
    assert messages(["all"]) == ["p.json 'list' is not a JSON object of policy names"]
    broken = tmp_path / "p.json"
    broken.write_text("{all: mandatory}")
    with pytest.raises(SettingsError, match=r"^--policy-pack-config '.*p\.json' is not JSON \(Expecting"):
        load_pack_config(broken, RULES)
    with pytest.raises(SettingsError, match=r"cannot be read \(No such file or directory\)"):
        load_pack_config(tmp_path / "missing.json", RULES)


def test_a_file_is_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"all": "advisory"}))
    assert load_pack_config(path, RULES) == PackConfig(all="advisory")
