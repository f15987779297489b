"""A policy pack configuration, read the way ``pulumi preview --policy-pack-config FILE`` reads it, so that the
offline plan (``python -m components plan --policy-pack-config FILE``) judges a stack as the pack will.

The file is a JSON object: ``"all"`` sets the enforcement level of every rule, and a rule's name maps to a level
or to an object of its configuration (the properties of its ``config_schema``), with an optional
``enforcementLevel``; a rule's own level wins over ``"all"``. The format is Pulumi's
(https://www.pulumi.com/docs/iac/using-pulumi/crossguard/configuration/, and pulumi/pulumi-policy
``sdk/python/lib/pulumi_policy/policy.py``, ``EnforcementLevel``). pulumi-policy's fourth level, ``remediate``, is
refused: no rule here rewrites resources.

Each property is validated against the rule's ``config_schema`` with a JSON-schema validator, as the CLI does
before the pack runs; every mistake of the file is reported at once, each naming its key.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

from jsonschema import Draft7Validator

from components.policy_rules.rule import Config, ResourceRule, StackRule
from components.validation import ErrorCollector, SettingsError

__all__ = ["ENFORCEMENT_LEVELS", "EnforcementLevel", "PackConfig", "load_pack_config", "parse_pack_config"]

EnforcementLevel = Literal["advisory", "mandatory", "disabled"]
ENFORCEMENT_LEVELS: tuple[str, ...] = get_args(EnforcementLevel)
_ALL = "all"
_LEVEL_KEY = "enforcementLevel"


@dataclass(frozen=True)
class PackConfig:
    """What a configuration file says: an enforcement level for every rule, and each rule's own settings."""

    all: EnforcementLevel | None = None
    """The level of every rule that names none of its own; None: each rule's declared level."""
    levels: Mapping[str, EnforcementLevel] = field(default_factory=dict)
    """Rule name -> the level the file gives it."""
    settings: Mapping[str, Config] = field(default_factory=dict)
    """Rule name -> its configuration (``{"protectedStacks": ["prod", "dr"]}``); a rule not named: its defaults."""

    def level(self, rule: ResourceRule | StackRule) -> str:
        """The rule's enforcement level under this configuration: its own, else ``all``, else its declared one."""
        return self.levels.get(rule.name) or self.all or rule.enforcement


def _level(value: object, setting: str) -> EnforcementLevel:
    if value not in ENFORCEMENT_LEVELS:
        raise SettingsError(setting, value, f"is not an enforcement level (one of {', '.join(ENFORCEMENT_LEVELS)})")
    return cast(EnforcementLevel, value)


def _rule_settings(rule: ResourceRule | StackRule, value: Mapping[str, Any], where: str) -> dict[str, Any]:
    errors = ErrorCollector()
    given = {k: v for k, v in value.items() if k != _LEVEL_KEY}
    known = ", ".join([_LEVEL_KEY, *rule.config_schema])
    errors.problems += [SettingsError(f"{where}.{key}", given[key], f"is not a setting of {rule.name} (known: {known})")
                        for key in sorted(set(given) - set(rule.config_schema))]
    schema = {"type": "object", "properties": dict(rule.config_schema)}
    errors.problems += [
        SettingsError(f"{where}.{'.'.join(str(p) for p in error.path)}", error.instance, f"is invalid: {error.message}")
        for error in sorted(Draft7Validator(schema).iter_errors(given), key=lambda e: list(e.path))]
    errors.raise_any()
    return given


def parse_pack_config(document: object, rules: Sequence[ResourceRule | StackRule], source: str) -> PackConfig:
    """``document`` (the parsed file that ``source`` names) as a :class:`PackConfig` for ``rules``; every mistake
    at once, each named ``<source>: <key>``."""
    if not isinstance(document, dict):
        raise SettingsError(source, type(document).__name__, "is not a JSON object of policy names")
    by_name = {rule.name: rule for rule in rules}
    errors = ErrorCollector()
    all_level: EnforcementLevel | None = None
    levels: dict[str, EnforcementLevel] = {}
    settings: dict[str, Config] = {}
    for key, value in document.items():
        where = f"{source}: {key}"
        with errors.part():
            if key == _ALL:
                all_level = _level(value, where)
                continue
            rule = by_name.get(key)
            if rule is None:
                close = difflib.get_close_matches(key, by_name, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"see `{_ALL}` or the rule names in the README"
                raise SettingsError(where, key, f"is not a policy of the pack ({hint})")
            if isinstance(value, str):
                levels[key] = _level(value, where)
            elif isinstance(value, dict):
                item = ErrorCollector()
                if _LEVEL_KEY in value:
                    with item.part():
                        levels[key] = _level(value[_LEVEL_KEY], f"{where}.{_LEVEL_KEY}")
                with item.part():
                    settings[key] = _rule_settings(rule, value, where)
                item.raise_any()
            else:
                raise SettingsError(where, value, "is neither an enforcement level nor an object of the policy's "
                                                  "settings")
    errors.raise_any()
    return PackConfig(all_level, levels, settings)


def load_pack_config(path: Path, rules: Sequence[ResourceRule | StackRule]) -> PackConfig:
    """The configuration file at ``path`` (``--policy-pack-config``) for ``rules``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError("--policy-pack-config", str(path), f"cannot be read ({error.strerror})") from None
    except ValueError as error:
        raise SettingsError("--policy-pack-config", str(path), f"is not JSON ({error})") from None
    return parse_pack_config(document, rules, f"--policy-pack-config {path}")
