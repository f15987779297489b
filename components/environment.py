"""One environment: its namespace, with the ConfigMaps and Secrets that its workloads consume."""


import functools
from collections.abc import Collection, Mapping, Sequence
from typing import NotRequired, cast

import pulumi
import pulumi_kubernetes as k8s
from pydantic import ConfigDict, with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.checksums import checksum, checksum_annotation, secret_checksum_annotation
from components.conventions import CHECKSUM_ANNOTATION_PREFIX
from components.pod_spec import (
    PodInput,
    config_file_mount,
    config_file_volume,
    env_from_config_map,
    env_from_config_map_key,
    env_from_secret_key,
    read_only_mount,
    secret_volume,
)
from components.secret_data import check_tls_pair, dockerconfigjson, tls_secret_data
from components.validation import (
    SECRET_SHOWN_AS,
    STACK_FILE_FORM,
    SettingsError,
    apply_input,
    check_annotation_key,
    check_data_key,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_env_name,
    check_unique,
)

__all__ = [
    "POD_SECURITY_LEVELS",
    "SECRET_TYPES",
    "ConfigMapArgs",
    "ConfigMapSettings",
    "Environment",
    "EnvironmentArgs",
    "EnvironmentInputArgs",
    "EnvironmentSecretArgs",
    "EnvironmentSecretSettings",
    "EnvironmentSettings",
    "check_checksum_key",
    "check_checksum_key_given",
    "check_checksummed_name",
    "check_config_map_not_empty",
    "check_in_environment",
    "check_registry_username",
]

POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
"""Pod Security Standards levels of a namespace; the first is the default."""
SECRET_TYPES = ("Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson")
"""Types of an environment's Secrets; the first is the default."""
_MIN_CHECKSUM_KEY_LENGTH = 16
_MANAGED = {"app.kubernetes.io/managed-by": "pulumi"}


# A ConfigMap value may be empty (an env var set to ""); its name may not, and its rule says so.
@with_config(STACK_FILE_FORM | ConfigDict(str_min_length=0))
class ConfigMapSettings(TypedDict):
    """What a stack file sets of a ConfigMap (``environments[].configMaps[]``), besides its files, which it names by
    path: :class:`ConfigMapArgs` holds their content."""

    name: str
    """ConfigMap name (a DNS-1123 subdomain). An immutable one gets ``-<content hash>`` appended. Plain: it names
    the ConfigMap this component creates."""
    data: NotRequired[Mapping[str, str]]
    """Literal key/values. Default: none."""
    immutable: NotRequired[bool]
    """Make it immutable (the kubelet stops watching it). Its name then carries a hash of its content, so a change
    creates a new ConfigMap and rolls the workloads that use it instead of failing the update. Default: false."""


class ConfigMapArgs(ConfigMapSettings):
    files: NotRequired[Mapping[str, str]]
    """File name -> file content, one key per file as ``kubectl create configmap --from-file``. Default: none."""


@with_config(STACK_FILE_FORM)
class EnvironmentSecretSettings(TypedDict):
    """What a stack file sets of a Secret in plain text (``environments[].kubernetesSecrets[]``), besides the secret
    values, which it names by secret setting: :class:`EnvironmentSecretArgs` holds the values."""

    name: str
    """Secret name (a DNS-1123 subdomain). Plain: it names the Secret this component creates."""
    type: NotRequired[str]
    """``Opaque``, ``kubernetes.io/tls`` or ``kubernetes.io/dockerconfigjson``. Omitted: ``Opaque``."""
    registry: NotRequired[pulumi.Input[str]]
    """dockerconfigjson: registry host, e.g. ``ghcr.io``. Required for kubernetes.io/dockerconfigjson."""
    username: NotRequired[pulumi.Input[str]]
    """dockerconfigjson: user name, without ':' (the ``auth`` field is ``base64(user:password)``). Required for
    kubernetes.io/dockerconfigjson."""


class EnvironmentSecretArgs(EnvironmentSecretSettings):
    string_data: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Opaque: key -> value; every value is stored as a Pulumi secret. Required for Opaque."""
    certificate: NotRequired[pulumi.Input[str]]
    """TLS: the PEM certificate (chain). Required for kubernetes.io/tls."""
    private_key: NotRequired[pulumi.Input[str]]
    """TLS: the PEM private key of the certificate (checked against it). Required for kubernetes.io/tls."""
    password: NotRequired[pulumi.Input[str]]
    """dockerconfigjson: password or token, stored as a Pulumi secret. Required for kubernetes.io/dockerconfigjson."""


class EnvironmentInputArgs(TypedDict):
    """One thing a workload reads from its environment, as a program in another language asks for it
    (``WorkloadArgs.environment_inputs``): the fragment that the matching ``Environment`` method hands out, with
    its checksum and, for a Secret, the pod's Role entry. The keys given choose the method."""

    config_map: NotRequired[str]
    """A ConfigMap of the environment. Exactly one of ``config_map`` and ``secret``."""
    secret: NotRequired[str]
    """A Secret of the environment. Exactly one of ``config_map`` and ``secret``."""
    key: NotRequired[str]
    """The key read: into the env var ``env``, or (a ConfigMap's) as the file ``mount_path``. Omitted: every key,
    as env vars (a ConfigMap's, ``envFrom``) or as files under ``mount_path`` (a Secret's)."""
    env: NotRequired[str]
    """The env var that gets ``key``. Omitted: none."""
    mount_path: NotRequired[str]
    """Where the file (a ConfigMap's ``key``) or the Secret's files are mounted. Omitted: none."""
    volume: NotRequired[str]
    """The pod's volume name of a mount. Omitted: ``config-<name>`` or ``secret-<name>``."""


_INPUT_FORMS = ("config_map+key+env", "config_map", "config_map+key+mount_path", "secret+key+env",
                "secret+mount_path")
"""The combinations of ``EnvironmentInputArgs`` keys (besides ``volume``), one per fragment method."""


@with_config(STACK_FILE_FORM)
class EnvironmentSettings(TypedDict):
    """What a stack file sets of an environment as it is (``environments[]``); :class:`EnvironmentArgs` adds its
    namespace, ConfigMaps and Secrets."""

    pod_security: NotRequired[str]
    """Pod Security Standard enforced on the namespace: ``restricted``, ``baseline`` or ``privileged``.
    Omitted: ``restricted``."""


class EnvironmentArgs(EnvironmentSettings):
    namespace: str
    """Namespace of the environment (a DNS-1123 label). Plain: it names the namespace this component creates."""
    environment: NotRequired[str]
    """Environment name for the ``environment`` label. Default: the namespace."""
    config_maps: NotRequired[Sequence[ConfigMapArgs]]
    """ConfigMaps to create. Default: none."""
    secrets: NotRequired[Sequence[EnvironmentSecretArgs]]
    """Secrets to create. Default: none."""
    checksum_key: NotRequired[pulumi.Input[str]]
    """A random secret of at least 16 characters (e.g. from ``openssl rand -base64 32``) that keys the HMAC in
    the Secrets' ``checksum/<name>`` annotations, so that they tell nothing about a Secret's value to whoever can
    read pods. Changing it rolls, once, every workload that consumes a Secret. Required when the environment has
    Secrets (a SettingsError names it otherwise); an environment without Secrets needs none."""


class Environment(pulumi.ComponentResource):
    """A namespace labelled with its environment and Pod Security Standard, with its ConfigMaps and Secrets.

    ``add_config_map`` and ``add_secret`` add more after construction.
    """

    namespace: pulumi.Output[str]
    """The namespace's name (resolves once it exists, so dependants wait for it)."""
    config_map_names: dict[str, pulumi.Output[str]]
    """Logical ConfigMap name -> the name in the cluster (content-hashed for immutable ones)."""
    config_checksums: dict[str, dict[str, str]]
    """Logical ConfigMap name -> its ``checksum/<name>`` annotation."""
    secret_names: dict[str, pulumi.Output[str]]
    """Secret name -> the name in the cluster."""
    secret_checksums: dict[str, dict[str, pulumi.Output[str]]]
    """Secret name -> its ``checksum/<name>`` annotation (HMAC-SHA256 under ``checksum_key``)."""

    def __init__(self, name: str, args: EnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        namespace = check_dns1123_label(args["namespace"], "EnvironmentArgs.namespace")
        environment = check_dns1123_label(args.get("environment", namespace), "EnvironmentArgs.environment")
        level = args.get("pod_security", POD_SECURITY_LEVELS[0])
        if level not in POD_SECURITY_LEVELS:
            raise SettingsError("EnvironmentArgs.pod_security", level,
                                f"is not one of: {', '.join(POD_SECURITY_LEVELS)}")
        config_maps = list(args.get("config_maps", []))
        secrets = list(args.get("secrets", []))
        for i, config_map in enumerate(config_maps):
            _check_config_map(config_map, f"EnvironmentArgs.config_maps[{i}]")
        check_unique((c["name"] for c in config_maps), "EnvironmentArgs.config_maps[].name")
        secrets = [_check_secret(secret, f"EnvironmentArgs.secrets[{i}]") for i, secret in enumerate(secrets)]
        check_unique((s["name"] for s in secrets), "EnvironmentArgs.secrets[].name")
        checksum_key = args.get("checksum_key")
        if isinstance(checksum_key, str):
            check_checksum_key(checksum_key, "EnvironmentArgs.checksum_key")
        check_checksum_key_given(checksum_key, bool(secrets), "EnvironmentArgs.checksum_key")
        super().__init__("eks-config-secrets:index:Environment", name, None, opts)
        self._name = name
        labels = {
            "environment": environment,
            **_MANAGED,
            # enforce blocks, audit and warn report: all at the same level so that nothing is silently allowed.
            **{f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")},
        }
        self._namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": namespace, "labels": labels},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace = self._namespace.metadata["name"]
        self.config_map_names = {}
        self.config_checksums = {}
        self.secret_names = {}
        self.secret_checksums = {}
        self._checksum_key: pulumi.Output[str] | None = None
        if checksum_key is not None:
            # Checked again here: it is known only at deployment when it comes from a secret Output.
            key: pulumi.Output[str] = pulumi.Output.from_input(checksum_key).apply(
                lambda value: check_checksum_key(value, "EnvironmentArgs.checksum_key"))
            self._checksum_key = pulumi.Output.secret(key)
        for config_map in config_maps:
            self._add_config_map(config_map)
        for secret in secrets:
            self._add_secret(secret)
        self.register_outputs({
            "namespace": self.namespace,
            "config_map_names": self.config_map_names,
            "secret_names": self.secret_names,
        })

    def add_config_map(self, args: ConfigMapArgs) -> k8s.core.v1.ConfigMap:
        """Add a ConfigMap to the namespace (validated as the constructor's ``config_maps``)."""
        _check_config_map(args, "ConfigMapArgs")
        if args["name"] in self.config_map_names:
            raise SettingsError("ConfigMapArgs.name", args["name"], "is given more than once; names must be unique")
        return self._add_config_map(args)

    def add_secret(self, args: EnvironmentSecretArgs) -> k8s.core.v1.Secret:
        """Add a Secret to the namespace (validated as the constructor's ``secrets``)."""
        args = _check_secret(args, "EnvironmentSecretArgs")
        if args["name"] in self.secret_names:
            raise SettingsError("EnvironmentSecretArgs.name", args["name"],
                                "is given more than once; names must be unique")
        return self._add_secret(args)

    # -- what pods consume, each with its checksum (and its Secret name for the pod's Role) -----------------------

    def env_from_config_map_key(self, env: str, config_map: str, key: str) -> PodInput:
        """Env var ``env`` from key ``key`` of ConfigMap ``config_map`` (``configMapKeyRef``), rolling the pods when
        the ConfigMap changes."""
        return PodInput(env=[env_from_config_map_key(env, self._config_map(config_map), key, "Environment.env")],
                        checksums=self.config_checksums[config_map])

    def env_from_config_map(self, config_map: str) -> PodInput:
        """Every key of ConfigMap ``config_map`` as env vars (``envFrom``), rolling the pods when it changes."""
        return PodInput(env_from=[env_from_config_map(self._config_map(config_map))],
                        checksums=self.config_checksums[config_map])

    def config_file(self, config_map: str, key: str, mount_path: str, volume: str | None = None) -> PodInput:
        """Key ``key`` of ConfigMap ``config_map`` as the file ``mount_path`` (``subPath``, which never updates in
        place: the checksum rolls the pods instead). ``volume``: the pod's volume name; omitted,
        ``config-<config_map>``."""
        name = volume or _volume_name("config", config_map)
        return PodInput(volumes=[config_file_volume(name, self._config_map(config_map))],
                        volume_mounts=[config_file_mount(name, mount_path, key)],
                        checksums=self.config_checksums[config_map])

    def env_from_secret_key(self, env: str, secret: str, key: str) -> PodInput:
        """Env var ``env`` from key ``key`` of Secret ``secret`` (``secretKeyRef``): the pod's Role may ``get`` it,
        and the pods roll when it changes."""
        return PodInput(env=[env_from_secret_key(env, self._secret(secret), key, "Environment.env")],
                        checksums=self.secret_checksums[secret], secret_names=[secret])

    def secret_files(self, secret: str, mount_path: str, volume: str | None = None) -> PodInput:
        """Secret ``secret`` mounted read-only at ``mount_path`` (files mode 0400). ``volume``: the pod's volume
        name; omitted, ``secret-<secret>``."""
        name = volume or _volume_name("secret", secret)
        return PodInput(volumes=[secret_volume(name, self._secret(secret))],
                        volume_mounts=[read_only_mount(name, mount_path)],
                        checksums=self.secret_checksums[secret], secret_names=[secret])

    def pod_input(self, args: EnvironmentInputArgs, setting: str) -> PodInput:
        """The fragment that ``args`` asks for (see :class:`EnvironmentInputArgs`); ``setting`` names it in errors."""
        source = "config_map" if "config_map" in args else "secret"
        form = "+".join(k for k in ("config_map", "secret", "key", "env", "mount_path") if k in args)
        if form not in _INPUT_FORMS:
            forms = ", ".join(_INPUT_FORMS)
            raise SettingsError(setting, dict(args), f"gives {form or 'nothing'}: give one of {forms} (and "
                                                     "optionally volume with mount_path)")
        if "volume" in args and "mount_path" not in args:
            raise SettingsError(f"{setting}.volume", args["volume"], "names the volume of a mount: give mount_path")
        if "env" in args:
            check_env_name(args["env"], f"{setting}.env")
        name = args[source]  # type: ignore[literal-required]
        if form == "config_map+key+env":
            return self.env_from_config_map_key(args["env"], name, args["key"])
        if form == "config_map":
            return self.env_from_config_map(name)
        if form == "config_map+key+mount_path":
            return self.config_file(name, args["key"], args["mount_path"], volume=args.get("volume"))
        if form == "secret+key+env":
            return self.env_from_secret_key(args["env"], name, args["key"])
        return self.secret_files(name, args["mount_path"], volume=args.get("volume"))

    def _config_map(self, name: str) -> pulumi.Output[str]:
        check_in_environment(name, self.config_map_names, "Environment.config_map", kind="ConfigMap",
                             environment=self._name, add_to="config_maps")
        return self.config_map_names[name]

    def _secret(self, name: str) -> str:
        check_in_environment(name, self.secret_names, "Environment.secret", kind="Secret", environment=self._name,
                             add_to="secrets")
        # The Secret's own name, not its Output: it is fixed, and pods reading it wait on the namespace only.
        return name

    def _add_config_map(self, args: ConfigMapArgs) -> k8s.core.v1.ConfigMap:
        data = {**args.get("data", {}), **args.get("files", {})}
        immutable = args.get("immutable", False)
        # Immutable data cannot be patched: a new content gets a new name, so Pulumi creates the new ConfigMap,
        # rolls the workloads that reference it, and only then deletes the old one.
        physical = f"{args['name']}-{checksum(data)[:10]}" if immutable else args["name"]
        resource = k8s.core.v1.ConfigMap(
            f"{self._name}-{args['name']}",
            metadata={"name": physical, "namespace": self.namespace, "labels": _MANAGED},
            data=data,
            immutable=immutable,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.config_map_names[args["name"]] = resource.metadata["name"]
        self.config_checksums[args["name"]] = checksum_annotation(args["name"], data)
        return resource

    def _add_secret(self, args: EnvironmentSecretArgs) -> k8s.core.v1.Secret:
        check_checksum_key_given(self._checksum_key, True, "EnvironmentArgs.checksum_key")
        assert self._checksum_key is not None
        kind = args.get("type", SECRET_TYPES[0])
        string_data: pulumi.Input[Mapping[str, str]]
        if kind == "Opaque":
            string_data = pulumi.Output.all(**dict(args["string_data"])).apply(dict)
        elif kind == "kubernetes.io/tls":
            # Checked again here: the pair is known only at deployment when it comes from secret Outputs.
            string_data = pulumi.Output.all(args["certificate"], args["private_key"]).apply(
                lambda pair: tls_secret_data(pair[0], pair[1], f"Secret {args['name']} certificate",
                                             f"Secret {args['name']} private_key")
            )
        else:
            string_data = pulumi.Output.all(args["registry"], args["username"], args["password"]).apply(
                lambda login: {".dockerconfigjson": dockerconfigjson(*login)}
            )
        secret_data: pulumi.Output[Mapping[str, str]] = pulumi.Output.secret(string_data)
        resource = k8s.core.v1.Secret(
            f"{self._name}-{args['name']}",
            metadata={"name": args["name"], "namespace": self.namespace,
                      "labels": _MANAGED},
            type=kind,
            string_data=secret_data,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.secret_names[args["name"]] = resource.metadata["name"]
        self.secret_checksums[args["name"]] = secret_checksum_annotation(args["name"], secret_data, self._checksum_key)
        return resource


def _volume_name(kind: str, object_name: str) -> str:
    # Volume names are DNS-1123 labels; object names may hold dots.
    return f"{kind}-{object_name}".replace(".", "-")


def check_checksum_key_given(key: object, has_secrets: bool, setting: str,
                             how: str = "from `openssl rand -base64 32`") -> None:
    """Refuse a missing checksum key (``setting``, None) when the environment has Secrets: their checksum
    annotations are HMACs under it (a plain hash of a low-entropy value could be reversed from the pod's
    annotation). ``how`` says how the caller sets one."""
    if has_secrets and key is None:
        raise SettingsError(setting, None, "is required when the environment has Secrets: a random secret of at "
                                           f"least {_MIN_CHECKSUM_KEY_LENGTH} characters keys their checksums; set "
                                           f"one {how}")


def check_checksum_key(key: str, setting: str) -> str:
    """Return ``key`` if it is long enough to key the checksums' HMAC (the message never shows it)."""
    if len(key) < _MIN_CHECKSUM_KEY_LENGTH:
        raise SettingsError(setting, SECRET_SHOWN_AS,
                            f"is shorter than {_MIN_CHECKSUM_KEY_LENGTH} characters: set a random one, e.g. from "
                            "`openssl rand -base64 32`")
    return key


def check_in_environment(name: str, known: Collection[str], setting: str, *, kind: str, environment: str,
                         add_to: str) -> str:
    """Return ``name`` (``setting``) if it is one of the ``known`` ConfigMaps or Secrets (``kind``) of
    ``environment``; ``add_to`` names where the caller adds one (``config_maps``, ``kubernetesSecrets``). A pod
    that names an object its namespace lacks never starts (CreateContainerConfigError)."""
    if name not in known:
        raise SettingsError(setting, name, f"is not a {kind} of environment {environment!r}: add it to its "
                                           f"{add_to} first")
    return name


def check_checksummed_name(name: str, setting: str) -> str:
    """A ConfigMap or Secret name, which also becomes its consumers' pod annotation key ``checksum/<name>``."""
    check_dns1123_subdomain(name, setting)
    check_annotation_key(f"{CHECKSUM_ANNOTATION_PREFIX}{name}", setting, name)
    return name


def check_registry_username(username: str, setting: str) -> str:
    # A registry splits the decoded auth at its first ':', so a ':' in the user name corrupts both halves.
    if not username or ":" in username:
        raise SettingsError(setting, username, "must be a non-empty user name without ':'")
    return username


def check_config_map_not_empty(data: Mapping[str, str], files: Mapping[str, str], setting: str) -> None:
    """A ConfigMap holds something: ``data`` or ``files`` (``<setting>.data`` is named)."""
    if not data and not files:
        raise SettingsError(f"{setting}.data", None, "and files are both empty: give the ConfigMap data or files")


def _check_config_map(args: ConfigMapArgs, setting: str) -> None:
    check_checksummed_name(args["name"], f"{setting}.name")
    check_config_map_not_empty(args.get("data", {}), args.get("files", {}), setting)
    keys = [*args.get("data", {}), *args.get("files", {})]
    for key in keys:
        check_data_key(key, f"{setting}.data")
    check_unique(keys, f"{setting} keys")
    if args.get("immutable", False):
        # The hashed name must stay a valid object name: 11 characters are added.
        check_dns1123_subdomain(f"{args['name']}-0123456789", f"{setting}.name")


_REQUIRED = {
    "Opaque": ("string_data",),
    "kubernetes.io/tls": ("certificate", "private_key"),
    "kubernetes.io/dockerconfigjson": ("registry", "username", "password"),
}


def _check_secret(args: EnvironmentSecretArgs, setting: str) -> EnvironmentSecretArgs:
    """``args`` checked; a registry or user name that is an Output is replaced by one checked once it resolves."""
    check_checksummed_name(args["name"], f"{setting}.name")
    kind = args.get("type", SECRET_TYPES[0])
    if kind not in SECRET_TYPES:
        raise SettingsError(f"{setting}.type", kind, f"is not one of: {', '.join(SECRET_TYPES)}")
    for field in _REQUIRED[kind]:
        if field not in args:
            raise SettingsError(f"{setting}.{field}", None, f"is required for a Secret of type {kind}")
    checked = dict(args)
    if "username" in args:
        checked["username"] = apply_input(args["username"],
                                          functools.partial(check_registry_username, setting=f"{setting}.username"))
    if "registry" in args:
        checked["registry"] = apply_input(args["registry"],
                                          functools.partial(_check_registry, setting=f"{setting}.registry"))
    for key in args.get("string_data", {}):
        check_data_key(key, f"{setting}.string_data")
    if "certificate" in args and "private_key" in args:
        pair = apply_input([args["certificate"], args["private_key"]],
                           functools.partial(_checked_tls_pair, setting=setting))
        checked["certificate"], checked["private_key"] = pair[0], pair[1]
    return cast(EnvironmentSecretArgs, checked)


def _checked_tls_pair(pair: list[str], setting: str) -> list[str]:
    check_tls_pair(pair[0], pair[1], f"{setting}.certificate", f"{setting}.private_key")
    return pair


def _check_registry(registry: str, setting: str) -> str:
    if registry == "":
        raise SettingsError(setting, "", "is empty: set the registry host, e.g. ghcr.io")
    return registry
