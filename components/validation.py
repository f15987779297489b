"""Validators shared by the settings module and the components.

Each validator takes the value and the *setting* it came from (a config path such as
``environments[1].name`` or a component argument such as ``SecretProviderClassArgs.objects``)
and raises :class:`SettingsError` naming that setting, the bad value and what is expected, so
that a user sees one actionable message before any resource is registered.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast, get_args, get_type_hints

import pulumi
import pulumi_aws as aws
from pulumi.errors import InputPropertiesError
from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails
from typing_extensions import is_typeddict

__all__ = [
    "ACCESS_POLICIES",
    "CONFIG_MAP_MAX_BYTES",
    "DATA_KEY",
    "EKS_VERSIONS",
    "LOG_RETENTION_DAYS",
    "LOG_TYPES",
    "PARTITIONS",
    "REQUIRED_LOG_TYPES",
    "SECRET_SHOWN_AS",
    "STACK_FILE_FORM",
    "SYSTEM_NAMESPACES",
    "WILDCARDS",
    "ErrorCollector",
    "MissingSettingError",
    "SettingsError",
    "SettingsErrors",
    "StackSection",
    "apply_input",
    "check_account_id",
    "check_annotation_key",
    "check_arn",
    "check_arn_region",
    "check_bool",
    "check_choice",
    "check_cluster_name",
    "check_config_map_size",
    "check_data_key",
    "check_dns1123_label",
    "check_dns1123_label_input",
    "check_dns1123_subdomain",
    "check_endpoint_access",
    "check_env_name",
    "check_environment_namespace",
    "check_failover_region",
    "check_kms_deletion_window",
    "check_kubernetes_version",
    "check_label_value",
    "check_log_retention_days",
    "check_log_types",
    "check_mount_path",
    "check_no_wildcard",
    "check_node_group_sizes",
    "check_partition",
    "check_principal_arn",
    "check_region",
    "check_subnet_ids",
    "check_unique",
    "check_vpc_id",
    "parse_go_duration",
    "partition_of",
    "refuse_secure_value",
    "settings_error_in",
    "stack_file_keys",
    "stack_key",
]


SECRET_SHOWN_AS = "(secret)"
"""What a message shows in place of a value that is, or may be, a secret: the key is named, the value never."""


def stack_key(field: str) -> str:
    """A field's key in a stack file: its name in camelCase (``kms_key_arn`` is ``kmsKeyArn``; a digit after ``_``
    stays as it is, so ``per_10k_calls`` is ``per10kCalls``)."""
    return re.sub(r"_(\w)", lambda m: m[1].upper(), field)


STACK_FILE_FORM = ConfigDict(alias_generator=stack_key, validate_by_alias=True, validate_by_name=False,
                             extra="forbid", strict=True, str_min_length=1, arbitrary_types_allowed=True)
"""How a component's args type reads as a section of a stack file (``pydantic.with_config`` on the TypedDict):
camelCase keys (``kms_key_arn`` is ``kmsKeyArn``), unknown keys refused, no coercion (a YAML ``5432`` is not a
string), no empty strings; a field annotated ``pulumi.Input[X]`` takes an ``X`` (an Output is the program's to
give, never the file's). The stack program parses the section straight into the args type with a
:class:`StackSection`, so the type, its fields and their documentation exist once."""


class SettingsError(InputPropertiesError, ValueError):
    """A setting or component argument is invalid; the message names it and says what is expected.

    Give ``value=SECRET_SHOWN_AS`` when the value is or may be a secret: the message then says ``(secret)``.

    It is a ``pulumi.InputPropertiesError`` with one (property path, reason) pair, which the Pulumi SDK's
    component host reports as the invalid-argument details of a component call (pulumi/pulumi,
    sdk/python/lib/pulumi/provider/server.py, ``construct``).
    """

    def __init__(self, setting: str, value: object, expected: str) -> None:
        self.setting = setting
        self.value = value
        self.expected = expected
        shown = SECRET_SHOWN_AS if value is SECRET_SHOWN_AS else repr(value)
        super().__init__(f"{setting} {shown} {expected}", [{"property_path": setting, "reason": f"{shown} {expected}"}])

    @property
    def problems(self) -> list[SettingsError]:
        """Each mistake on its own: this one."""
        return [self]


class SettingsErrors(SettingsError):
    """Several settings are invalid: every mistake found, each with its own message and property path, reported at
    once so that one run shows them all. Named after the first, for callers that look at one."""

    def __init__(self, problems: Sequence[SettingsError]) -> None:
        first = problems[0]
        super().__init__(first.setting, first.value, first.expected)
        self._problems = [p for problem in problems for p in problem.problems]
        self.args = ("\n".join(str(p) for p in self._problems),)
        self.message = self.args[0]
        self.errors = [error for p in self._problems for error in (p.errors or [])]

    @property
    def problems(self) -> list[SettingsError]:
        return list(self._problems)


def settings_error_in(error: BaseException | None) -> SettingsError | None:
    """The :class:`SettingsError` behind ``error``, if any: the SDK raises a component's refusal of an argument
    given as an Output again, wrapped, from each resource that waited for it (its causes and contexts, which may
    loop, are followed once each)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, SettingsError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


class ErrorCollector:
    """Collects the mistakes of independent parts (sections, list items), so that all of them are reported at once:
    ``with collector.part(): ...`` per part, then :meth:`raise_any`."""

    def __init__(self) -> None:
        self.problems: list[SettingsError] = []

    @contextlib.contextmanager
    def part(self) -> Iterator[None]:
        try:
            yield
        except SettingsError as error:
            self.problems.extend(error.problems)

    def raise_any(self) -> None:
        """Raise the one mistake as itself, several as :class:`SettingsErrors` (each once: two rules may find the
        same); nothing when there is none."""
        problems = list({str(problem): problem for problem in self.problems}.values())
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise SettingsErrors(problems)


T = TypeVar("T")
R = TypeVar("R")


def apply_input(value: pulumi.Input[T], use: Callable[[T], R]) -> R | pulumi.Output[R]:
    """``use(value)`` now when ``value`` holds no Output, so that its check raises before any resource is
    registered; inside an ``apply`` once it resolves otherwise (a value from another resource, another stack or a
    program in another language), where the same check raises the same message. Lists and maps are looked into."""
    if not _holds_output(value):
        return use(value)  # type: ignore[arg-type]
    return pulumi.Output.from_input(value).apply(use)


def _holds_output(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return any(_holds_output(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_output(item) for item in value)
    return False


# What a stack-file reader expects, per kind of type mistake pydantic reports.
_EXPECTED = {
    "string_type": "is not a non-empty string",
    "string_too_short": "is not a non-empty string",
    "list_type": "is not a list",
    "dict_type": "is not an object",
    "bool_type": "is not a boolean (true or false)",
    "int_type": "is not a whole number",
    "float_type": "is not a number",
}
# The type mistakes of a scalar setting, which its rule explains better when it has one.
_EXPLAINED = ("string_type", "string_too_short", "bool_type", "int_type", "float_type")
# The tag pydantic gives the branches of ``pulumi.Input[X]`` (``Union[X, Awaitable[X], Output[X]]``) that a value
# of a stack file can never take: they only say that the value is not an Awaitable or Output.
_HANDLE_BRANCH = "is-instance["

Check = Callable[[Any, str], object]
"""A rule of one setting: ``check(value, setting)`` raises :class:`SettingsError` naming ``setting``."""


_INPUT_NAMES = {"Output": pulumi.Output, "T": TypeVar("T")}
"""What ``pulumi.Input``'s forward reference ``Output[T]`` names, to resolve it outside pulumi's own module."""


def stack_file_keys(args_type: type) -> tuple[str, ...]:
    """The keys of ``args_type`` (a TypedDict of :data:`STACK_FILE_FORM`) as a stack file spells them."""
    return tuple(stack_key(name) for name in args_type.__annotations__)


def _without_handle_branches(errors: Sequence[ErrorDetails]) -> list[tuple[tuple[str | int, ...], ErrorDetails]]:
    """Each mistake once, located by its keys and indexes: the errors of a ``pulumi.Input`` union's Awaitable and
    Output branches are dropped, and the tag of its plain branch is taken out of the location."""
    unions = {tuple(e["loc"][:i]) for e in errors for i, part in enumerate(e["loc"])
              if isinstance(part, str) and part.startswith(_HANDLE_BRANCH)}
    kept = []
    for error in errors:
        loc = tuple(error["loc"])
        if any(isinstance(part, str) and part.startswith(_HANDLE_BRANCH) for part in loc):
            continue
        kept.append((tuple(part for i, part in enumerate(loc) if loc[:i] not in unions), error))
    return kept


class StackSection(Generic[T]):
    """How a section of a stack file is read into a TypedDict of :data:`STACK_FILE_FORM` (a component's args type,
    or a part of it): one ``pydantic.TypeAdapter`` over the type, which also accepts fields annotated
    ``pulumi.Input[X]`` (a stack file's value is then validated as an ``X``), and per-setting rules.

    ``checks`` maps a setting's keys, as a stack file spells them and without list indexes (``keys.file``), to its
    rule: it runs on every value given, and explains a value of the wrong type in its own words (``"30"`` for a
    number of days is not a whole number *of days from 7 to 30*)."""

    def __init__(self, args_type: type[T], checks: Mapping[str, Check] | None = None) -> None:
        self.args_type = args_type
        self.adapter: TypeAdapter[T] = TypeAdapter(args_type)
        # pulumi.Input names Output by a forward reference of pulumi's own module: resolve it (and its T) here.
        self.adapter.rebuild(_types_namespace=_INPUT_NAMES)
        self.checks = dict(checks or {})

    def parse(self, value: object, path: str) -> T:
        """``value`` (the section at config path ``path``) as the type; every mistake of it at once, each named by
        its config path (``apps[1].secretSources[0].keys[0].file``), with the bad value and what is expected."""
        parsed, errors = self.read(value, path)
        errors.raise_any()
        assert parsed is not None
        return parsed

    def read(self, value: object, path: str) -> tuple[T | None, ErrorCollector]:
        """``value`` as the type (None when a value has the wrong type), and the mistakes found, so that a caller
        may go on to the rules that relate the section's settings and report theirs with them."""
        errors = ErrorCollector()
        parsed: T | None = None
        try:
            parsed = self.adapter.validate_python(value)
        except ValidationError as error:
            errors.problems += [self._problem(loc, found, path)
                                for loc, found in _without_handle_branches(error.errors())]
        # Every value of the right type is checked too, so that one run shows every mistake of the section.
        wrong = [problem.setting for problem in errors.problems]
        for keys, check in self.checks.items():
            for where, found in _values_at(value, keys.split("."), path):
                if not any(w == where or w.startswith((f"{where}.", f"{where}[")) for w in wrong):
                    with errors.part():
                        check(found, where)
        return parsed, errors

    def _problem(self, loc: tuple[str | int, ...], found: ErrorDetails, path: str) -> SettingsError:
        where = path + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
        keys = [str(part) for part in loc if not isinstance(part, int)]
        if found["type"] == "missing":
            return MissingSettingError(where)
        if found["type"] == "extra_forbidden":
            known = stack_file_keys(_type_at(self.args_type, keys[:-1]))
            return SettingsError(where, found["input"], f"is not a known setting (known: {', '.join(known)})")
        check = self.checks.get(".".join(keys)) or self.checks.get(".".join([*keys[:-1], "*"]))
        # A value of the wrong kind is explained by its setting's rule: "30" is not a whole number *of days*.
        if check is not None and found["type"] in _EXPLAINED and not isinstance(loc[-1], int):
            try:
                check(found["input"], where)
            except SettingsError as problem:
                return problem
        return SettingsError(where, found["input"], _EXPECTED.get(found["type"], found["msg"]))


def _type_at(args_type: type, keys: Sequence[str]) -> type:
    """The TypedDict that holds the setting at ``keys`` (stack-file keys, no indexes) under ``args_type``."""
    found: Any = args_type
    for key in keys:
        found = get_type_hints(found, localns=_INPUT_NAMES)[_snake(key)]
        # Through Sequence[X] and Mapping[str, X] (and NotRequired, which get_type_hints drops) to the TypedDict.
        while not is_typeddict(found):
            found = get_args(found)[-1]
    return cast(type, found)


def _snake(key: str) -> str:
    return re.sub(r"([A-Z])", lambda m: f"_{m[1].lower()}", key)


def _values_at(value: object, keys: Sequence[str], path: str) -> Iterator[tuple[str, object]]:
    """Every value given at ``keys`` under ``value`` (through lists), with its config path."""
    if not keys:
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _values_at(item, keys, f"{path}[{i}]")
    elif isinstance(value, dict) and keys[0] == "*":
        for key, item in value.items():
            yield from _values_at(item, keys[1:], f"{path}.{key}")
    elif isinstance(value, dict) and keys[0] in value:
        yield from _values_at(value[keys[0]], keys[1:], f"{path}.{keys[0]}")


class MissingSettingError(SettingsError):
    """A required setting is not set: the one mistake that a value supplied elsewhere (a Pulumi ESC environment
    that the offline plan cannot open) may explain."""

    def __init__(self, setting: str, expected: str = "is required but not set") -> None:
        super().__init__(setting, None, expected)


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Kubernetes object names (ConfigMap, Secret, ...) are DNS-1123 subdomains: labels joined by dots.
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def check_bool(value: object, setting: str) -> bool:
    """Return ``value`` if it is a boolean: a component argument given from another language or a dict may not be."""
    if not isinstance(value, bool):
        raise SettingsError(setting, value, _EXPECTED["bool_type"])
    return value


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


def check_dns1123_label_input(value: pulumi.Input[str], setting: str) -> pulumi.Input[str]:
    """:func:`check_dns1123_label` now, or once ``value`` resolves when it is an Output (a namespace that another
    resource or program creates)."""
    return apply_input(value, functools.partial(check_dns1123_label, setting=setting))


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


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
"""The characters of a ConfigMap or Secret key (apimachinery ``IsConfigMapKey``), and so of a file that one
becomes in a volume: a mounted secret's file name, an object alias, an ExternalSecret's ``secretKey``."""


def check_label_value(value: object, setting: str) -> str:
    """Return ``value`` if Kubernetes accepts it as a label value (63 characters at most; apimachinery
    ``IsValidLabelValue``). Names the program derives, such as ``<environment>-<app>``, become label values too."""
    if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
        raise SettingsError(setting, value, "is not a valid Kubernetes label value (at most 63 letters, digits, "
                                            "'-', '_' and '.', starting and ending with a letter or digit)")
    return value


def check_annotation_key(key: str, setting: str, value: object) -> str:
    """Return ``key`` if Kubernetes accepts it as an annotation key: an optional DNS-1123 subdomain prefix and '/',
    then a name of at most 63 characters (apimachinery ``IsQualifiedName``). ``value`` is what the user wrote."""
    prefix, _, name = key.rpartition("/")
    if (prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix))) or len(name) > 63 \
            or not _QUALIFIED_NAME.match(name):
        raise SettingsError(setting, value, f"makes the annotation key {key!r}, which Kubernetes refuses (the part "
                                            "after '/' is at most 63 letters, digits, '-', '_' and '.')")
    return key


def check_data_key(value: object, setting: str) -> str:
    """Return ``value`` if it is a ConfigMap or Secret key (apimachinery ``IsConfigMapKey``): at most 253 of
    letters, digits, '-', '_' and '.', and neither '.', '..' nor starting with '..' (the kubelet's ``..data``)."""
    if (not isinstance(value, str) or len(value) > 253 or not DATA_KEY.match(value) or value in (".", "..")
            or value.startswith("..")):
        raise SettingsError(setting, value, "is not a valid ConfigMap or Secret key (at most 253 letters, digits, "
                                            "'-', '_' and '.'; not '.', '..' or starting with '..')")
    return value


CONFIG_MAP_MAX_BYTES = 1024 * 1024
"""The API server refuses a ConfigMap whose data is larger than 1 MiB (apimachinery ``MaxSecretSize`` is shared)."""


def check_config_map_size(data: Mapping[str, str], setting: str) -> None:
    size = sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
    if size > CONFIG_MAP_MAX_BYTES:
        raise SettingsError(setting, f"{size} bytes", f"is over the {CONFIG_MAP_MAX_BYTES} bytes (1 MiB) that "
                                                      "Kubernetes allows a ConfigMap: split it or mount a volume")


SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
"""The namespaces every cluster has from the start."""


def check_environment_namespace(value: str, setting: str) -> str:
    """An environment creates its namespace: one that every cluster already has, or the ``kube-`` prefix that
    Kubernetes keeps for itself, is refused (creating it fails with AlreadyExists, and kube-system holds the
    control plane's own Secrets)."""
    if value in SYSTEM_NAMESPACES or value.startswith("kube-"):
        raise SettingsError(setting, value, "is a system namespace (default, kube-*): give the environment a "
                                            "namespace of its own")
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


def check_arn_region(arn: str, region: str, setting: str, what: str) -> str:
    """Return ``arn`` if it lives in ``region``: EKS takes only a KMS key of the cluster's region, and the CSI
    provider refuses a secret ARN outside its class's region ("ARN region must match region")."""
    arn_region = arn.split(":")[3] if arn.count(":") >= 5 else ""
    if arn_region != region:
        raise SettingsError(setting, arn, f"is in region {arn_region or '(none)'}, not in {what} {region}")
    return arn


def check_principal_arn(value: object, setting: str) -> str:
    """Return ``value`` if it is the ARN of an IAM role or user: the principals EKS access entries accept."""
    principal = check_arn(value, setting, service="iam")
    if not principal.split(":", 5)[5].startswith(("role/", "user/")):
        raise SettingsError(setting, principal, "is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name> "
                                                "or :user/<name>)")
    return principal


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


def check_choice(options: Sequence[str]) -> Check:
    """The rule of a setting that takes one of ``options`` (a choice set, defined once beside its argument)."""

    def check(value: object, setting: str) -> str:
        if value not in options:
            raise SettingsError(setting, value, f"is not one of: {', '.join(options)}")
        return str(value)

    return check


def check_mount_path(value: str, setting: str) -> str:
    """Return ``value`` if it is an absolute path: the API server refuses a relative ``mountPath``."""
    if not value.startswith("/"):
        raise SettingsError(setting, value, "is not an absolute path")
    return value


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_env_name(value: object, setting: str) -> str:
    """Return ``value`` if it is an environment variable name that a shell and an app can read (letters, digits and
    ``_``, not starting with a digit): recent API servers accept more (any printable character but ``=``), which a
    shell or a program's environment lookup then cannot name."""
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise SettingsError(setting, value, "is not an environment variable name (letters, digits, '_'; not starting "
                                            "with a digit)")
    return value


def check_unique(names: Iterable[str], setting: str) -> None:
    """Raise if a name repeats: two objects of one kind with one name would overwrite each other."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SettingsError(setting, name, "is given more than once; names must be unique")
        seen.add(name)


# -- EKS cluster settings: shared by the stack settings (config paths) and SecureCluster (argument names) ----

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""The EKS control-plane log types."""
REQUIRED_LOG_TYPES = ("api", "audit", "authenticator")
"""Who called the API (api), what they did to which object, Secrets included (audit), and as which IAM
principal (authenticator): the three logs that audit access to Secrets on EKS."""
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)
"""The retention periods CloudWatch Logs accepts (PutRetentionPolicy)."""
ACCESS_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy")
"""The EKS access policies an access entry may be given."""

_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
EKS_VERSIONS = ("1.32", "1.33", "1.34", "1.35")
"""The Kubernetes versions EKS offers for a new cluster (standard or extended support) as of November 2026, from
the EKS version calendar: 1.31's extended support ended on 2026-11-26, 1.32's ends on 2027-03-23. Update this
tuple when EKS releases or retires a version."""
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


def check_cluster_name(value: object, setting: str) -> str:
    if not isinstance(value, str) or not _CLUSTER_NAME.match(value):
        raise SettingsError(setting, value, "is not an EKS cluster name (1-100 letters, digits, '-' and '_', "
                                            "starting with a letter or digit)")
    return value


def check_kubernetes_version(value: object, setting: str) -> str:
    if not isinstance(value, str):
        raise SettingsError(setting, value, "is not a Kubernetes minor version such as '1.33' (quote it)")
    if value not in EKS_VERSIONS:
        raise SettingsError(setting, value, f"is not a Kubernetes version that EKS offers (one of: "
                                            f"{', '.join(EKS_VERSIONS)}; quote it)")
    return value


def check_vpc_id(value: object, setting: str) -> str:
    if not isinstance(value, str) or not _VPC_ID.match(value):
        raise SettingsError(setting, value, "is not a VPC id (vpc- and 8 or 17 hex digits)")
    return value


def check_subnet_ids(values: Sequence[str], setting: str) -> list[str]:
    for i, subnet in enumerate(values):
        if not _SUBNET_ID.match(subnet):
            raise SettingsError(f"{setting}[{i}]", subnet, "is not a subnet id (subnet- and hex digits)")
    check_unique(values, setting)
    if len(values) < 2:
        raise SettingsError(setting, list(values),
                            "needs at least two subnets in different Availability Zones (an EKS requirement)")
    return list(values)


def check_endpoint_access(public: bool, private: bool, cidrs: Sequence[str], names: tuple[str, str, str]) -> None:
    """Check the API endpoint settings; ``names`` are the settings of (public, private, cidrs)."""
    public_name, private_name, cidrs_name = names
    if not (public or private):
        raise SettingsError(private_name, private, f"must be true when {public_name.rsplit('.', 1)[-1]} is false")
    for i, cidr in enumerate(cidrs):
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise SettingsError(f"{cidrs_name}[{i}]", cidr, "is not a CIDR block such as '203.0.113.0/24'") from None
        if network.version != 4:
            # The cluster is IPv4 (EKS's default ipFamily, the only one we create): EKS refuses IPv6 blocks here.
            raise SettingsError(f"{cidrs_name}[{i}]", cidr, "is an IPv6 block, but the cluster is IPv4: EKS accepts "
                                                            "only IPv4 CIDR blocks for its public endpoint")
    if public and not cidrs:
        raise SettingsError(
            cidrs_name, list(cidrs),
            f"is required when {public_name.rsplit('.', 1)[-1]} is true: list the CIDR blocks allowed to reach the "
            "API (EKS would otherwise allow 0.0.0.0/0)",
        )
    if cidrs and not public:
        raise SettingsError(
            cidrs_name, list(cidrs),
            f"is set but {public_name.rsplit('.', 1)[-1]} is false: enable the public endpoint or remove the CIDRs",
        )


def check_log_types(values: Sequence[str], setting: str) -> list[str]:
    for i, log_type in enumerate(values):
        if log_type not in LOG_TYPES:
            raise SettingsError(f"{setting}[{i}]", log_type, f"is not one of: {', '.join(LOG_TYPES)}")
    check_unique(values, setting)
    missing = [t for t in REQUIRED_LOG_TYPES if t not in values]
    if missing:
        raise SettingsError(setting, list(values),
                            f"must include {', '.join(REQUIRED_LOG_TYPES)} (missing: {', '.join(missing)})")
    return list(values)


def check_log_retention_days(value: object, setting: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in LOG_RETENTION_DAYS:
        raise SettingsError(setting, value, "is not a CloudWatch Logs retention period "
                                            f"(one of {', '.join(map(str, LOG_RETENTION_DAYS))})")
    return value


def check_kms_deletion_window(value: object, setting: str) -> int:
    # KMS accepts a waiting period of 7 to 30 days (ScheduleKeyDeletion PendingWindowInDays).
    if isinstance(value, bool) or not isinstance(value, int) or not 7 <= value <= 30:
        raise SettingsError(setting, value, "is not a whole number of days from 7 to 30")
    return value


def check_node_group_sizes(sizes: Mapping[str, int], setting: str) -> None:
    """``sizes`` maps the caller's names of (min, desired, max), in that order, to their values; the message names
    the one that is out of place, with its value."""
    (low_name, low), (desired_name, desired), (high_name, high) = sizes.items()
    if high < 1:
        raise SettingsError(f"{setting}.{high_name}", high, "must be at least 1")
    if low > high:
        raise SettingsError(f"{setting}.{low_name}", low, f"is above {high_name} {high}")
    if not low <= desired <= high:
        raise SettingsError(f"{setting}.{desired_name}", desired,
                            f"is not between {low_name} {low} and {high_name} {high}")


# -- AWS ids ------------------------------------------------------------------------------------------------

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d$")
_REGIONS = frozenset(region.value for region in aws.Region)
_UNSUPPORTED_PARTITION = re.compile(r"^([a-z]{2}-iso[a-z]*-|eusc-)")
WILDCARDS = ("*", "?")
"""What IAM reads as a pattern in a name or ARN."""


def check_partition(value: object, setting: str) -> str:
    """Return ``value`` if it is an AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    if value not in PARTITIONS:
        raise SettingsError(setting, value, f"is not an AWS partition (one of: {', '.join(PARTITIONS)})")
    return str(value)


def check_account_id(value: object, setting: str) -> str:
    """Return ``value`` if it is a 12-digit AWS account id."""
    if not isinstance(value, str) or not _ACCOUNT_ID.match(value):
        raise SettingsError(setting, value, "is not an AWS account id (12 digits)")
    return value


def check_region(value: object, setting: str) -> str:
    """Return ``value`` if it is an AWS region (``eu-west-1``, ``us-gov-west-1``) that exists.

    The regions are those of the pinned pulumi-aws SDK (its ``Region`` enum, generated from the provider's schema):
    a well-formed code such as ``eu-west-9`` is refused as AWS would refuse it.
    """
    if not isinstance(value, str) or not _REGION.match(value):
        raise SettingsError(setting, value, "is not an AWS region code such as 'eu-west-1'")
    if value not in _REGIONS:
        raise SettingsError(setting, value, f"is not an AWS region (known: {', '.join(sorted(_REGIONS))})")
    if _UNSUPPORTED_PARTITION.match(value):
        # Their ARNs, endpoints and DNS suffixes differ from those our policies and trust documents are built for.
        raise SettingsError(setting, value, "is in an isolated or sovereign partition; regions of "
                                            f"{', '.join(PARTITIONS)} are supported")
    return value


def check_failover_region(failover: str, region: str, setting: str, primary: str = "the primary region") -> str:
    """Return ``failover`` if it is not ``region`` (named ``primary`` in the message): the CSI provider fails every
    mount of a class whose failover region is its region ("failover region cannot be the same as the primary
    region": aws/secrets-store-csi-driver-provider-aws tag 3.1.1, server/server.go, getAwsRegions), and a second
    grant on the same region would read nothing more."""
    if failover == region:
        raise SettingsError(setting, failover, f"is {primary}: name a second region that holds replicas of the "
                                               "secrets, or omit it")
    return failover


def refuse_secure_value(setting: str) -> SettingsError:
    """The error for a secure value at ``setting``, where no secret is expected: Pulumi decrypts a secure value
    nested in a structured setting into its place and hands the program the structure as plain text, so whatever
    reads it there gets the plaintext, unmarked. The value is never shown."""
    return SettingsError(setting, SECRET_SHOWN_AS, "is a secure value where no secret is expected: set it as a "
                                                   "top-level secret setting (`pulumi config set --secret <name>`) "
                                                   "and refer to it by name")


def partition_of(region: str) -> str:
    """The partition of a region that :func:`check_region` accepts: ``cn-`` regions are ``aws-cn``, ``us-gov-``
    regions ``aws-us-gov``, the rest ``aws``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def check_no_wildcard(value: object, setting: str, what: str) -> None:
    """Refuse a ``*`` or ``?`` anywhere in a name or ARN: IAM would read it as a pattern and grant every match
    (another account's, another region's or another app's secrets)."""
    if isinstance(value, str) and any(w in value for w in WILDCARDS):
        raise SettingsError(setting, value, f"contains a wildcard ('*' or '?'): name exactly one {what} (its full "
                                            "name, or an ARN with its account, region and name)")
