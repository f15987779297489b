"""A SecretProviderClass for the AWS provider: which Secrets Manager / SSM objects a pod mounts, and syncs.

The AWS provider (ASCP) reads ``spec.parameters`` (a ``map[string]string`` in the CRD): ``objects`` is a YAML list
embedded as a string, booleans are strings. Everything the provider or the driver would only reject at mount time
(in a pod event, long after ``pulumi up`` succeeded) is checked here before anything is registered.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.csi_driver import SecretsStoreCsiDriver
from components.validation import (
    DATA_KEY,
    SettingsError,
    apply_input,
    check_arn_region,
    check_bool,
    check_dns1123_label_input,
    check_dns1123_subdomain,
    check_failover_region,
    check_region,
)

__all__ = [
    "API_VERSION",
    "OBJECT_TYPES",
    "SECRET_TYPES",
    "JmesPathArgs",
    "SecretObjectArgs",
    "SecretProviderClass",
    "SecretProviderClassArgs",
    "SyncedKeyArgs",
    "SyncedSecretArgs",
    "file_names",
    "jmes_path_expression",
    "objects_parameter",
    "secret_provider_class_manifest",
]

API_VERSION = "secrets-store.csi.x-k8s.io/v1"
OBJECT_TYPES = ("secretsmanager", "ssmparameter")
# The ARN service of each object type: the provider refuses an ARN whose service disagrees with objectType.
_ARN_SERVICES = {"secretsmanager": "secretsmanager", "ssmparameter": "ssm"}
SECRET_TYPES: Mapping[str, tuple[str, ...]] = {
    "Opaque": (),
    "kubernetes.io/basic-auth": (),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
}
"""Secret types the driver can sync, with the keys the API server requires of each (it rejects the Secret, and the
driver logs the failure on every mount, when one is missing). Service-account and bootstrap tokens are minted by
Kubernetes itself and are not ours to sync."""
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ARN = re.compile(r"^arn:(?P<partition>[a-z-]+):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12}):.+$")
# The provider's rule for filePermission: four octal digits (provider/secret_descriptor.go, validFilePermissionRE).
_FILE_PERMISSION = re.compile(r"^[0-7]{4}$")


class JmesPathArgs(TypedDict):
    path: str
    """JMESPath of one value in a JSON secret (use ``jmes_path_expression`` for a top-level key: names with ``-``
    must be quoted)."""
    object_alias: str
    """File name of that value, and the name ``secret_objects`` refer to."""


class SecretObjectArgs(TypedDict):
    object_name: pulumi.Input[str]
    """Secrets Manager secret name or ARN, or SSM parameter name or ARN (an ARN must be in ``region``; an Output,
    such as a secret another stack made, is checked once it resolves)."""
    object_type: NotRequired[str]
    """``secretsmanager`` or ``ssmparameter``. Omitted: ``secretsmanager``."""
    object_alias: NotRequired[str]
    """File name of the whole object ([-._a-zA-Z0-9]+). Omitted: the provider's default, the object name with
    ``/`` replaced by ``_``."""
    file_permission: NotRequired[str]
    """Mode of the object's files (and of its jmesPath files), four octal digits such as ``"0004"``. Omitted: the
    provider's default ``0644``. Use :func:`components.pod_spec.secret_file_permission` for the pod's user."""
    failover_object_name: NotRequired[pulumi.Input[str]]
    """The object to read in the class's ``failover_region`` instead of ``object_name`` (the provider's
    ``failoverObject``; an ARN must be in that region; ``object_alias`` is then required). Omitted: ``object_name``
    itself, read by name in both regions."""
    object_version_label: NotRequired[str]
    """Pin a version stage (Secrets Manager) or label (SSM). Omitted: the current version, which rotation follows."""
    jmes_path: NotRequired[Sequence[JmesPathArgs]]
    """Mount single keys of a JSON secret as files of their own. Omitted: none (the whole object only)."""


class SyncedKeyArgs(TypedDict):
    object_name: str
    """The mounted file whose content fills ``key``: an object's alias (or its default file name) or a jmesPath
    alias."""
    key: str
    """Key in the Kubernetes Secret ([-._a-zA-Z0-9]+)."""


class SyncedSecretArgs(TypedDict):
    secret_name: str
    """Name of the Kubernetes Secret the driver creates while a pod mounts this class."""
    data: Sequence[SyncedKeyArgs]
    """Which mounted files go into which keys; at least one."""
    type: NotRequired[str]
    """Kubernetes Secret type (one of ``SECRET_TYPES``; its required keys must be in ``data``). Omitted: ``Opaque``."""


class SecretProviderClassArgs(TypedDict):
    namespace: pulumi.Input[str]
    """Namespace of the class (pods mount it from their own namespace; an Output is checked once it resolves)."""
    region: str
    """AWS region to read from (given explicitly: the provider would otherwise look up the node's region label on
    every mount)."""
    objects: pulumi.Input[Sequence[SecretObjectArgs]]
    """The objects to mount; at least one (an Output, whose objects name secrets known only later, is checked once
    it resolves)."""
    installed_by: SecretsStoreCsiDriver
    """The Secrets Store CSI Driver that installs the CRD and the provider (its Helm releases or its EKS add-on,
    ``crd_dependencies``); the class is created after them. From another language, the driver component itself
    (a resource reference)."""
    use_pod_identity: NotRequired[bool]
    """Authenticate with EKS Pod Identity (``usePodIdentity: "true"``). Omitted: false, IRSA (the provider's
    default)."""
    secret_objects: NotRequired[Sequence[SyncedSecretArgs]]
    """Kubernetes Secrets to sync from the mounted files (needs the driver's ``syncSecret.enabled``). Omitted: none,
    the secrets exist only as files in the pod."""
    annotations: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Annotations of the class. Omitted: none."""
    failover_region: NotRequired[str]
    """A second region the provider reads every object from as well (``failoverRegion``): the primary's value
    wins, and a server error in one region falls back to the other. Omitted: none."""


def jmes_path_expression(key: str) -> str:
    """The JMESPath of a top-level key: quoted unless it is an identifier (``db-password`` -> ``"db-password"``)."""
    return key if _IDENTIFIER.match(key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _default_file_name(object_name: str) -> str:
    # The provider's pathTranslation default: every '/' of the object name becomes '_'.
    return object_name.replace("/", "_")


def file_names(objects: Sequence[SecretObjectArgs]) -> list[str]:
    """The files a mount of these objects contains, in order: each object's, then its jmesPath aliases. Like every
    builder here, it reads known values (names that were Outputs, once resolved)."""
    names = []
    for obj in objects:
        names.append(obj.get("object_alias") or _default_file_name(cast(str, obj["object_name"])))
        names += [entry["object_alias"] for entry in obj.get("jmes_path", [])]
    return names


def _check_object_name(name: str, object_type: str, region: str, setting: str, which: str = "region") -> None:
    if name.startswith("arn:"):
        match = _ARN.match(name)
        if match is None:
            raise SettingsError(setting, name, "is not a valid ARN")
        if match["service"] != _ARN_SERVICES[object_type]:
            raise SettingsError(setting, name, f"is an ARN of {match['service']}, not of objectType {object_type}")
        # The provider refuses an ARN outside the region it reads it from ("ARN region must match region").
        check_arn_region(name, region, setting, f"the class's {which}")
    elif ".." in name.split("/"):
        raise SettingsError(setting, name, "contains '..': the provider refuses such paths")


def _check_object(obj: SecretObjectArgs, region: str, failover_region: str | None, setting: str) -> None:
    name = obj["object_name"]
    if not isinstance(name, str) or not name:
        raise SettingsError(f"{setting}.object_name", name, "is empty: give a secret name or ARN")
    object_type = obj.get("object_type", "secretsmanager")
    if object_type not in OBJECT_TYPES:
        raise SettingsError(f"{setting}.object_type", object_type, f"is not one of: {', '.join(OBJECT_TYPES)}")
    _check_object_name(name, object_type, region, f"{setting}.object_name")
    if "failover_object_name" in obj:
        if failover_region is None:
            # The provider: "failover object allowed only when failover region is defined".
            raise SettingsError(f"{setting}.failover_object_name", obj["failover_object_name"],
                                "is set but the class has no failover_region")
        if "object_alias" not in obj:
            raise SettingsError(f"{setting}.object_alias", None, "is required with failover_object_name (the "
                                                                  "provider names both objects' file by it)")
        _check_object_name(cast(str, obj["failover_object_name"]), object_type, failover_region,
                           f"{setting}.failover_object_name", "failover_region")
    permission = obj.get("file_permission")
    if permission is not None and not _FILE_PERMISSION.match(permission):
        raise SettingsError(f"{setting}.file_permission", permission, "is not four octal digits such as '0440'")
    if "object_alias" in obj and not DATA_KEY.match(obj["object_alias"]):
        raise SettingsError(f"{setting}.object_alias", obj["object_alias"], "is not a file name ([-._a-zA-Z0-9]+)")
    if "object_version_label" in obj and not obj["object_version_label"]:
        raise SettingsError(f"{setting}.object_version_label", "", "is empty: omit it to follow the current version")
    for j, entry in enumerate(obj.get("jmes_path", [])):
        if not entry["path"]:
            raise SettingsError(f"{setting}.jmes_path[{j}].path", entry["path"], "is empty")
        if not DATA_KEY.match(entry["object_alias"]):
            raise SettingsError(f"{setting}.jmes_path[{j}].object_alias", entry["object_alias"],
                                "is not a file name ([-._a-zA-Z0-9]+)")


def _check_unique_files(objects: Sequence[SecretObjectArgs]) -> None:
    # Every object and jmesPath alias is a file in one mount directory: two of one name would overwrite each other
    # (the provider refuses the whole mount).
    seen: dict[str, str] = {}
    for i, obj in enumerate(objects):
        setting = f"SecretProviderClassArgs.objects[{i}]"
        candidates = [(f"{setting}.object_alias" if "object_alias" in obj else f"{setting}.object_name",
                       obj.get("object_alias") or _default_file_name(cast(str, obj["object_name"])))]
        candidates += [(f"{setting}.jmes_path[{j}].object_alias", entry["object_alias"])
                        for j, entry in enumerate(obj.get("jmes_path", []))]
        for where, file_name in candidates:
            if file_name in seen:
                raise SettingsError(where, file_name,
                                    f"is already the file name of {seen[file_name]}: every object and jmesPath "
                                    "alias is a file in the same mount directory and must be unique")
            seen[file_name] = where


def _check_synced(index: int, synced: SyncedSecretArgs, files: Sequence[str]) -> None:
    setting = f"SecretProviderClassArgs.secret_objects[{index}]"
    check_dns1123_subdomain(synced["secret_name"], f"{setting}.secret_name")
    secret_type = synced.get("type", "Opaque")
    if secret_type not in SECRET_TYPES:
        raise SettingsError(f"{setting}.type", secret_type, f"is not one of: {', '.join(SECRET_TYPES)}")
    data = list(synced["data"])
    if not data:
        raise SettingsError(f"{setting}.data", [], "is empty: sync at least one object")
    keys: set[str] = set()
    for j, item in enumerate(data):
        if item["object_name"] not in files:
            raise SettingsError(f"{setting}.data[{j}].object_name", item["object_name"],
                                f"is not a mounted object or alias (known: {', '.join(files)})")
        if not DATA_KEY.match(item["key"]):
            raise SettingsError(f"{setting}.data[{j}].key", item["key"], "is not a Secret key ([-._a-zA-Z0-9]+)")
        if item["key"] in keys:
            raise SettingsError(f"{setting}.data[{j}].key", item["key"], "is given more than once; keys must be unique")
        keys.add(item["key"])
    missing = [key for key in SECRET_TYPES[secret_type] if key not in keys]
    if missing:
        raise SettingsError(f"{setting}.data", sorted(keys),
                            f"lacks {', '.join(missing)}, which a Secret of type {secret_type} must have")


def objects_parameter(objects: Sequence[SecretObjectArgs]) -> str:
    """The ``objects`` parameter: the YAML list the AWS provider parses, one entry per object."""
    entries = []
    for obj in objects:
        entry: dict[str, Any] = {"objectName": obj["object_name"],
                                 "objectType": obj.get("object_type", "secretsmanager")}
        if "object_alias" in obj:
            entry["objectAlias"] = obj["object_alias"]
        if "file_permission" in obj:
            entry["filePermission"] = obj["file_permission"]
        if "object_version_label" in obj:
            entry["objectVersionLabel"] = obj["object_version_label"]
        if "failover_object_name" in obj:
            entry["failoverObject"] = {"objectName": obj["failover_object_name"]}
        if obj.get("jmes_path"):
            entry["jmesPath"] = [{"path": j["path"], "objectAlias": j["object_alias"]} for j in obj["jmes_path"]]
        entries.append(entry)
    return yaml.safe_dump(entries, sort_keys=False)


def secret_provider_class_manifest(
    name: str,
    namespace: pulumi.Input[str],
    *,
    region: str,
    objects: Sequence[SecretObjectArgs],
    use_pod_identity: bool = False,
    secret_objects: Sequence[SyncedSecretArgs] = (),
    annotations: Mapping[str, pulumi.Input[str]] | None = None,
    failover_region: str | None = None,
) -> dict[str, Any]:
    """The SecretProviderClass object, after checking everything the provider and the driver would refuse (a
    namespace that is an Output once it resolves)."""
    check_dns1123_subdomain(name, "SecretProviderClass name")
    namespace = check_dns1123_label_input(namespace, "SecretProviderClassArgs.namespace")
    check_region(region, "SecretProviderClassArgs.region")
    if failover_region is not None:
        check_failover_region(check_region(failover_region, "SecretProviderClassArgs.failover_region"), region,
                              "SecretProviderClassArgs.failover_region")
    objects = list(objects)
    if not objects:
        raise SettingsError("SecretProviderClassArgs.objects", [], "is empty: mount at least one object")
    for i, obj in enumerate(objects):
        _check_object(obj, region, failover_region, f"SecretProviderClassArgs.objects[{i}]")
    _check_unique_files(objects)
    files = file_names(objects)
    for i, synced in enumerate(secret_objects):
        _check_synced(i, synced, files)
    parameters = {"objects": objects_parameter(objects), "region": region}
    if failover_region is not None:
        parameters["failoverRegion"] = failover_region
    if use_pod_identity:
        # A string: the CRD types parameters as map[string]string.
        parameters["usePodIdentity"] = "true"
    spec: dict[str, Any] = {"provider": "aws", "parameters": parameters}
    if secret_objects:
        spec["secretObjects"] = [
            {
                "secretName": s["secret_name"],
                "type": s.get("type", "Opaque"),
                "data": [{"objectName": d["object_name"], "key": d["key"]} for d in s["data"]],
            }
            for s in secret_objects
        ]
    return {
        "apiVersion": API_VERSION,
        "kind": "SecretProviderClass",
        "metadata": {"name": name, "namespace": namespace,
                     **({"annotations": dict(annotations)} if annotations else {})},
        "spec": spec,
    }


def _part(manifest: dict[str, Any] | pulumi.Output[dict[str, Any]], key: str) -> pulumi.Input[Any]:
    return manifest[key] if isinstance(manifest, dict) else pulumi.Output.from_input(manifest).apply(lambda m: m[key])


class SecretProviderClass(pulumi.ComponentResource):
    """One ``secrets-store.csi.x-k8s.io/v1`` SecretProviderClass with provider ``aws``, created after its CRD.

    The component's name is also the object's name (a DNS-1123 subdomain).
    """

    class_name: pulumi.Output[str]
    """The class's name, for the CSI volume's ``secretProviderClass`` attribute (resolves once the class exists, so
    pods that use it are created after it)."""
    namespace: pulumi.Output[str]
    """The class's namespace."""

    def __init__(self, name: str, args: SecretProviderClassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        use_pod_identity = check_bool(args.get("use_pod_identity", False), "SecretProviderClassArgs.use_pod_identity")

        def build(known: Mapping[str, Any]) -> dict[str, Any]:
            return secret_provider_class_manifest(
                name, known["namespace"], region=args["region"], objects=known["objects"],
                use_pod_identity=use_pod_identity, secret_objects=list(args.get("secret_objects", [])),
                annotations=args.get("annotations"),
                failover_region=args.get("failover_region"),
            )

        # The objects' YAML is one string: objects that hold Outputs are built (and checked) once they resolve.
        manifest = apply_input(cast(dict[str, Any], {"namespace": args["namespace"], "objects": args["objects"]}),
                               build)
        driver = args["installed_by"]
        if not isinstance(driver, SecretsStoreCsiDriver):
            raise SettingsError("SecretProviderClassArgs.installed_by", driver,
                                "is not a SecretsStoreCsiDriver: pass the driver that installs the CRD, so the class "
                                "is created after it")
        super().__init__("eks-config-secrets:index:SecretProviderClass", name, None, opts)
        resource = k8s.apiextensions.CustomResource(
            f"{name}-spc",
            api_version=API_VERSION,
            kind="SecretProviderClass",
            metadata=_part(manifest, "metadata"),
            spec=_part(manifest, "spec"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=driver.crd_dependencies),
        )
        # Through the resource's id: pods naming the class then wait until it exists.
        self.class_name = resource.id.apply(lambda _: name)
        self.namespace = pulumi.Output.from_input(args["namespace"])
        self.register_outputs({"class_name": self.class_name, "namespace": self.namespace})
