"""Validators shared by the settings module and the components.

Each validator takes the value and the *setting* it came from (a config path such as
``environments[1].name`` or a component argument such as ``SecretProviderClassArgs.objects``)
and raises :class:`SettingsError` naming that setting, the bad value and what is expected, so
that a user sees one actionable message before any resource is registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "SettingsError",
    "check_arn",
    "check_dns1123_label",
    "check_dns1123_subdomain",
    "check_unique",
    "parse_go_duration",
]


class SettingsError(ValueError):
    """A setting or component argument is invalid; the message names it and says what is expected."""

    def __init__(self, setting: str, value: object, expected: str) -> None:
        self.setting = setting
        self.value = value
        self.expected = expected
        super().__init__(f"{setting} {value!r} {expected}")


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Kubernetes object names (ConfigMap, Secret, ...) are DNS-1123 subdomains: labels joined by dots.
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def check_dns1123_label(value: object, setting: str) -> str:
    """Return ``value`` if it is a DNS-1123 label (namespaces, ServiceAccounts, label-like names)."""
    if not isinstance(value, str) or len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise SettingsError(
            setting,
            value,
            "is not a DNS-1123 label (at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit)",
        )
    return value


def check_dns1123_subdomain(value: object, setting: str) -> str:
    """Return ``value`` if it is a DNS-1123 subdomain (the rule for most Kubernetes object names)."""
    if not isinstance(value, str) or len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        raise SettingsError(
            setting,
            value,
            "is not a valid Kubernetes object name (a DNS-1123 subdomain: at most 253 lowercase "
            "letters, digits, '-' and '.', starting and ending with a letter or digit)",
        )
    return value


# arn:partition:service:region:account:resource; region is empty for global services (IAM).
_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>[a-z0-9-]+):"
    r"(?P<region>[a-z0-9-]*):(?P<account>\d{12}|aws|):(?P<resource>.+)$"
)


def check_arn(value: object, setting: str, service: str | None = None, resource_prefix: str = "") -> str:
    """Return ``value`` if it is an ARN, of ``service`` and starting with ``resource_prefix`` when given.

    >>> check_arn("arn:aws:iam::123456789012:role/admin", "x", service="iam", resource_prefix="role/")
    'arn:aws:iam::123456789012:role/admin'
    """
    kind = f"valid {service} " if service else "valid "
    # IAM is global: its ARNs have an empty region field.
    region = "" if service == "iam" else "<region>"
    example = f"arn:aws:{service or '<service>'}:{region}:<12-digit account>:{resource_prefix or '<resource>'}..."
    if not isinstance(value, str):
        raise SettingsError(setting, value, f"is not a {kind}ARN (expected {example})")
    match = _ARN.match(value)
    if (
        match is None
        or (service is not None and match["service"] != service)
        or not match["resource"].startswith(resource_prefix)
    ):
        raise SettingsError(setting, value, f"is not a {kind}ARN (expected {example})")
    return value


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(value: object, setting: str) -> float:
    """Parse a Go duration (``90s``, ``2m``, ``1h30m``) as the CSI driver and ESO do; return seconds.

    A bare number is refused: Go's ``time.ParseDuration`` needs a unit, and a Helm value
    of ``120`` would make the driver fail at start-up rather than here.
    """
    expected = "is not a Go duration (a positive number with a unit: '90s', '2m', '1h30m')"
    if not isinstance(value, str) or not value:
        raise SettingsError(setting, value, expected)
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(value):
        if match.start() != position:
            raise SettingsError(setting, value, expected)
        total += float(match[1]) * _UNIT_SECONDS[match[2]]
        position = match.end()
    if position != len(value) or total <= 0:
        raise SettingsError(setting, value, expected)
    return total


def check_unique(names: Iterable[str], setting: str) -> None:
    """Raise if a name repeats: two objects of one kind with one name would overwrite each other."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SettingsError(setting, name, "is given more than once; names must be unique")
        seen.add(name)
