"""A SecretProviderClass for the AWS provider: which Secrets Manager / SSM objects a pod mounts, and syncs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.validation import SettingsError, check_dns1123_label, check_dns1123_subdomain, check_unique

__all__ = [
    "JmesPathArgs",
    "SecretObjectArgs",
    "SecretProviderClass",
    "SecretProviderClassArgs",
    "SyncedKeyArgs",
    "SyncedSecretArgs",
    "jmes_path_expression",
    "secret_provider_class_manifest",
]

API_VERSION = "secrets-store.csi.x-k8s.io/v1"
OBJECT_TYPES = ("secretsmanager", "ssmparameter")
SECRET_TYPES = ("Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson", "kubernetes.io/basic-auth",
                "kubernetes.io/ssh-auth")
_FILE_NAME = re.compile(r"^[-._a-zA-Z0-9]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class JmesPathArgs(TypedDict):
    path: str
    """JMESPath of one value in a JSON secret (see ``jmes_path_expression`` for a plain key)."""
    object_alias: str
    """File name of that value, and the name ``secret_objects`` refer to."""


class SecretObjectArgs(TypedDict):
    object_name: str
    """Secrets Manager secret name or ARN, or SSM parameter name."""
    object_type: NotRequired[str]
    """``secretsmanager`` (default) or ``ssmparameter``."""
    object_alias: NotRequired[str]
    """File name of the whole object. Default: the object name (``/`` becomes ``_``)."""
    object_version_label: NotRequired[str]
    """Pin a version stage/label. Default: the current version (what rotation follows)."""
    jmes_path: NotRequired[Sequence[JmesPathArgs]]
    """Mount single keys of a JSON secret as files. Default: none."""


class SyncedKeyArgs(TypedDict):
    object_name: str
    """The object's alias (or name), or a jmesPath alias, whose content fills ``key``."""
    key: str
    """Key in the Kubernetes Secret."""


class SyncedSecretArgs(TypedDict):
    secret_name: str
    """Name of the Kubernetes Secret the driver creates while a pod mounts this class."""
    type: NotRequired[str]
    """Kubernetes Secret type. Default: ``Opaque``."""
    data: Sequence[SyncedKeyArgs]
    """Which mounted objects go into which keys."""


class SecretProviderClassArgs(TypedDict):
    namespace: str
    """Namespace of the class (pods mount it from their own namespace)."""
    region: str
    """AWS region to read from (saves the provider a node-label lookup per mount)."""
    objects: Sequence[SecretObjectArgs]
    """The objects to mount; at least one."""
    installed_by: Sequence[pulumi.Resource]
    """The resources that install the CRD and the provider (``SecretsStoreCsiDriver.crd_dependencies``)."""
    use_pod_identity: NotRequired[bool]
    """Authenticate with EKS Pod Identity instead of IRSA. Default: false."""
    secret_objects: NotRequired[Sequence[SyncedSecretArgs]]
    """Kubernetes Secrets to sync from the mounted objects. Default: none."""


def jmes_path_expression(key: str) -> str:
    """The JMESPath of a top-level key: quoted unless it is an identifier (``db-password`` -> ``"db-password"``)."""
    return key if _IDENTIFIER.match(key) else '"' + key.replace('"', '\\"') + '"'


def _file_name(obj: SecretObjectArgs) -> str:
    return obj.get("object_alias") or obj["object_name"].replace("/", "_")


def _check(args: SecretProviderClassArgs, name: str) -> None:
    check_dns1123_subdomain(name, "SecretProviderClass name")
    check_dns1123_label(args["namespace"], "SecretProviderClassArgs.namespace")
    objects = list(args["objects"])
    if not objects:
        raise SettingsError("SecretProviderClassArgs.objects", objects, "is empty: mount at least one object")
    if not args["installed_by"]:
        raise SettingsError("SecretProviderClassArgs.installed_by", [],
                            "is empty: pass the releases that install the CRD, so the class is created after them")
    files: list[str] = []
    for i, obj in enumerate(objects):
        setting = f"SecretProviderClassArgs.objects[{i}]"
        object_type = obj.get("object_type", "secretsmanager")
        if object_type not in OBJECT_TYPES:
            raise SettingsError(f"{setting}.object_type", object_type, f"is not one of: {', '.join(OBJECT_TYPES)}")
        files.append(_file_name(obj))
        if not _FILE_NAME.match(files[-1]):
            raise SettingsError(f"{setting}.object_alias", files[-1], "is not a file name ([-._a-zA-Z0-9]+)")
        for j, entry in enumerate(obj.get("jmes_path", [])):
            if not entry["path"]:
                raise SettingsError(f"{setting}.jmes_path[{j}].path", entry["path"], "is empty")
            if not _FILE_NAME.match(entry["object_alias"]):
                raise SettingsError(f"{setting}.jmes_path[{j}].object_alias", entry["object_alias"],
                                    "is not a file name ([-._a-zA-Z0-9]+)")
            files.append(entry["object_alias"])
    # Every alias is a file in one mount directory: two with one name would overwrite each other.
    check_unique(files, "SecretProviderClassArgs.objects object alias")
    for i, synced in enumerate(args.get("secret_objects", [])):
        setting = f"SecretProviderClassArgs.secret_objects[{i}]"
        check_dns1123_subdomain(synced["secret_name"], f"{setting}.secret_name")
        secret_type = synced.get("type", "Opaque")
        if secret_type not in SECRET_TYPES:
            raise SettingsError(f"{setting}.type", secret_type, f"is not one of: {', '.join(SECRET_TYPES)}")
        if not synced["data"]:
            raise SettingsError(f"{setting}.data", [], "is empty: sync at least one object")
        for j, item in enumerate(synced["data"]):
            if item["object_name"] not in files:
                raise SettingsError(f"{setting}.data[{j}].object_name", item["object_name"],
                                    f"is not a mounted object or alias (known: {', '.join(files)})")
        check_unique((item["key"] for item in synced["data"]), f"{setting}.data[].key")


def secret_provider_class_manifest(name: str, args: SecretProviderClassArgs) -> dict[str, Any]:
    """The SecretProviderClass object (validated first); ``installed_by`` is not part of it."""
    _check(args, name)
    objects = []
    for obj in args["objects"]:
        entry: dict[str, Any] = {"objectName": obj["object_name"],
                                 "objectType": obj.get("object_type", "secretsmanager"),
                                 "objectAlias": _file_name(obj)}
        if "object_version_label" in obj:
            entry["objectVersionLabel"] = obj["object_version_label"]
        if obj.get("jmes_path"):
            entry["jmesPath"] = [{"path": j["path"], "objectAlias": j["object_alias"]} for j in obj["jmes_path"]]
        objects.append(entry)
    # The CRD types parameters as map[string]string: objects is a YAML document in a string, booleans are strings.
    parameters = {"objects": yaml.safe_dump(objects, sort_keys=False), "region": args["region"]}
    if args.get("use_pod_identity", False):
        parameters["usePodIdentity"] = "true"
    spec: dict[str, Any] = {"provider": "aws", "parameters": parameters}
    if args.get("secret_objects"):
        spec["secretObjects"] = [
            {
                "secretName": s["secret_name"],
                "type": s.get("type", "Opaque"),
                "data": [{"objectName": d["object_name"], "key": d["key"]} for d in s["data"]],
            }
            for s in args["secret_objects"]
        ]
    return {
        "apiVersion": API_VERSION,
        "kind": "SecretProviderClass",
        "metadata": {"name": name, "namespace": args["namespace"]},
        "spec": spec,
    }


class SecretProviderClass(pulumi.ComponentResource):
    """One ``secrets-store.csi.x-k8s.io/v1`` SecretProviderClass with provider ``aws``, created after the CRD."""

    class_name: pulumi.Output[str]
    """The class's name, for the CSI volume's ``secretProviderClass`` attribute."""

    def __init__(self, name: str, args: SecretProviderClassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        manifest = secret_provider_class_manifest(name, args)
        super().__init__("eks-config-secrets:index:SecretProviderClass", name, None, opts)
        resource = k8s.apiextensions.CustomResource(
            f"{name}-spc",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args["installed_by"])),
        )
        # Through the resource's id, so that pods referring to the class wait until it exists.
        self.class_name = resource.id.apply(lambda _: name)
        self.register_outputs({"class_name": self.class_name})
