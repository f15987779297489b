"""Where ``doctor`` reads from: a live cluster and account, or a folder of ``kubectl``/``aws`` JSON output.

Both sources answer the same calls with the same shapes (what ``kubectl get -o json`` and ``aws ... --output json``
print), so everything after them, and so every check, is shared between the live and dump modes. Every call
is a read: ``get``/``list``/``describe`` only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "KINDS",
    "AwsSource",
    "Boto3Aws",
    "DumpAws",
    "DumpKube",
    "Kind",
    "KubeSource",
    "LiveKube",
    "Unreadable",
    "dump_name",
    "strip_secret_values",
]


@dataclass(frozen=True)
class Kind:
    kind: str
    api_version: str
    resource: str
    """What ``kubectl get`` calls it (fully qualified for custom resources); also the dump's file name."""
    namespaced: bool = True


KINDS = (
    Kind("Pod", "v1", "pods"),
    Kind("ServiceAccount", "v1", "serviceaccounts"),
    Kind("Secret", "v1", "secrets"),
    Kind("SecretProviderClass", "secrets-store.csi.x-k8s.io/v1", "secretproviderclasses.secrets-store.csi.x-k8s.io"),
    Kind("SecretProviderClassPodStatus", "secrets-store.csi.x-k8s.io/v1",
         "secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io"),
    Kind("ExternalSecret", "external-secrets.io/v1", "externalsecrets.external-secrets.io"),
    Kind("SecretStore", "external-secrets.io/v1", "secretstores.external-secrets.io"),
    Kind("ClusterSecretStore", "external-secrets.io/v1", "clustersecretstores.external-secrets.io", False),
    Kind("CSIDriver", "storage.k8s.io/v1", "csidrivers", False),
    Kind("ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", False),
    Kind("DaemonSet", "apps/v1", "daemonsets"),
)
"""What the chain reads. The kind's items of a list come back without ``kind``; it is set from here."""


class Unreadable(Exception):
    """A read the caller may not make, or that the endpoint does not serve."""


def strip_secret_values(secret: Mapping[str, Any]) -> dict[str, Any]:
    """A Secret with its keys and no values: doctor needs which keys exist, never what they hold."""
    stripped = {k: v for k, v in secret.items() if k not in ("data", "stringData")}
    for field in ("data", "stringData"):
        if isinstance(secret.get(field), Mapping):
            stripped[field] = dict.fromkeys(secret[field], "")
    return stripped


def _items(kind: Kind, document: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = [dict(i) for i in document.get("items") or [] if isinstance(i, Mapping)]
    for item in items:
        item.setdefault("kind", kind.kind)
        item.setdefault("apiVersion", kind.api_version)
    return [strip_secret_values(i) for i in items] if kind.kind == "Secret" else items


class KubeSource(Protocol):
    def list(self, kind: Kind) -> list[dict[str, Any]]:
        """Every object of ``kind`` in every namespace; none when the kind is not served."""


class DumpKube:
    """``<dir>/k8s/<resource>.json``, each the output of ``kubectl get <resource> -A -o json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def list(self, kind: Kind) -> list[dict[str, Any]]:
        path = self.directory / "k8s" / f"{kind.resource}.json"
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            return []
        return _items(kind, json.loads(path.read_text(encoding="utf-8")))


class LiveKube:
    """The cluster of a kubeconfig context, through the official client's dynamic API (discovery, then lists)."""

    def __init__(self, kubeconfig: str | None, context: str | None) -> None:
        from kubernetes import config, dynamic  # noqa: PLC0415 (only the live mode needs the client)

        try:
            self.client = dynamic.DynamicClient(config.new_client_from_config(config_file=kubeconfig,
                                                                              context=context))
        except Exception as error:  # the client raises config, HTTP and connection errors of several libraries
            raise Unreadable(f"kubernetes: cannot reach the cluster of the kubeconfig: {error}") from None

    def list(self, kind: Kind) -> list[dict[str, Any]]:
        from kubernetes.dynamic.exceptions import ResourceNotFoundError  # noqa: PLC0415

        try:
            resource = self.client.resources.get(api_version=kind.api_version, kind=kind.kind)
        except ResourceNotFoundError:
            return []
        try:
            return _items(kind, resource.get().to_dict())
        except Exception as error:  # a 403 on one kind names it, rather than a traceback
            raise Unreadable(f"kubectl get {kind.resource} -A: {error}") from None


def dump_name(service: str, operation: str, argument: str | None = None) -> str:
    """The dump file of one AWS CLI call: ``aws/<service>.<operation>[.<argument>].json``; the argument's characters
    outside ``[A-Za-z0-9._-]`` become ``_`` (``tr -c 'A-Za-z0-9._-' '_'`` in the dump commands)."""
    suffix = "" if argument is None else "." + re.sub(r"[^A-Za-z0-9._-]", "_", argument)
    return f"aws/{service}.{operation}{suffix}.json"


class AwsSource(Protocol):
    def call(self, service: str, operation: str, argument: str | None = None, **params: Any) -> dict[str, Any] | None:
        """One read call (``operation`` in the CLI's kebab case); None when the resource does not exist."""


_NOT_FOUND = ("NoSuchEntity", "ResourceNotFoundException", "NotFoundException", "NotFound")


def _camel(operation: str) -> str:
    return operation.replace("-", "_")


class Boto3Aws:
    """Live reads with boto3, in the region given (IAM is global)."""

    def __init__(self, region: str, session: Any = None) -> None:
        import boto3  # noqa: PLC0415

        self.session = session or boto3.session.Session(region_name=region)
        self.region = region
        self.clients: dict[str, Any] = {}

    def call(self, service: str, operation: str, argument: str | None = None, **params: Any) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        client = self.clients.get(service)
        if client is None:
            client = self.clients[service] = self.session.client(service, region_name=self.region)
        try:
            response = dict(getattr(client, _camel(operation))(**params))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NOT_FOUND:
                return None
            raise Unreadable(f"aws {service} {operation}: {error}") from None
        except BotoCoreError as error:  # no credentials, no endpoint
            raise Unreadable(f"aws {service} {operation}: {error}") from None
        response.pop("ResponseMetadata", None)
        # What `aws ... --output json` prints: timestamps as text.
        parsed: dict[str, Any] = json.loads(json.dumps(response, default=str))
        return parsed


class DumpAws:
    """``<dir>/aws/*.json`` written by the commands of ``doctor --dump-commands``; a missing or empty file is a
    resource that does not exist (the commands write nothing when the CLI reports NotFound)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def call(self, service: str, operation: str, argument: str | None = None, **params: Any) -> dict[str, Any] | None:
        path = self.directory / dump_name(service, operation, argument)
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            return None
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return document
