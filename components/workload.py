"""A Deployment that consumes configuration and secrets safely and rolls when their content changes."""


import functools
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, cast

import pulumi
import pulumi_kubernetes as k8s
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.app_secrets import AppSecrets
from components.conventions import AUTOMOUNT_REASON_ANNOTATION, SECRETS_AS_ENV_REASON_ANNOTATION
from components.environment import Environment, EnvironmentInputArgs
from components.pod_spec import PodInput, merge_pod_inputs, pod_security_context, restricted_security_context
from components.rbac import SecretReader
from components.validation import (
    STACK_FILE_FORM,
    SettingsError,
    apply_input,
    check_bool,
    check_dns1123_label,
    check_dns1123_label_input,
    check_env_name,
)

__all__ = ["DEFAULT_RESOURCES", "SCRATCH_MOUNT_PATH", "Workload", "WorkloadArgs", "WorkloadSettings", "check_port",
           "check_reason", "check_replicas"]

SCRATCH_MOUNT_PATH = "/tmp"  # noqa: S108 (an emptyDir of the pod's own)
"""Where every workload mounts its writable scratch emptyDir (its root filesystem is read-only)."""

DEFAULT_RESOURCES: Mapping[str, Any] = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
"""Requests that let the scheduler place the pod, and a memory limit so that a leak cannot starve the node."""


@with_config(STACK_FILE_FORM)
class WorkloadSettings(TypedDict):
    """What a stack file sets of an app's Deployment (in ``apps[]``); :class:`WorkloadArgs` adds its name, namespace
    and what its pods consume."""

    image: pulumi.Input[str]
    """Container image (an Output, such as an image built in the same program, is fine)."""
    replicas: NotRequired[int]
    """Replicas. Default: 1."""
    port: NotRequired[int]
    """Container port, named ``http``. Default: none."""
    image_pull_secrets: NotRequired[Sequence[pulumi.Input[str]]]
    """dockerconfigjson Secrets to pull the image with. Default: none."""
    secrets_as_env_reason: NotRequired[str]
    """Why the app reads Secrets through environment variables (``secretKeyRef``) rather than files, e.g. "reads its
    configuration from the environment only": recorded in the pod-template annotation that the advisory policy rule
    ``secrets-as-files`` accepts as an opt-out. Omitted: none, and the rule reports every Secret read as an env
    var."""


class WorkloadArgs(WorkloadSettings):
    app_name: str
    """Name of the Deployment, its container and (when created here) its ServiceAccount: a DNS-1123 label. Plain:
    it names the objects this component creates."""
    namespace: pulumi.Input[str]
    """Namespace of the Deployment (and of the ServiceAccount, Role and RoleBinding it creates); pass
    ``depends_on=[environment]`` in opts so that the namespace and its ConfigMaps exist first (an Output, such as
    ``Environment.namespace``, is checked once it resolves)."""
    service: NotRequired[bool]
    """Create a ClusterIP Service named ``app_name`` that serves ``port`` (the name other pods reach the app by,
    e.g. ``http://app:8080``). Requires ``port``. Default: false."""
    kubernetes_api_reason: NotRequired[str]
    """Why the workload calls the Kubernetes API (e.g. "reads its Secret by name"). When given, the ServiceAccount
    token is mounted and the reason recorded in the annotation the policy pack asks for. Default: no token, so a
    compromised container holds no API credential."""
    inputs: NotRequired[Sequence[PodInput]]
    """What the pods consume, each with its volume, checksum annotation and Secret names: the fragments that
    ``Environment`` (``env_from_config_map_key``, ``config_file``, ``env_from_secret_key``, ``secret_files``...)
    and ``AppSecrets.pod_input()`` hand out, or ``pod_spec.PodInput`` of your own. Merged by
    ``pod_spec.merge_pod_inputs``: a volume given twice is mounted once; at most one names a ServiceAccount.
    Default: none. Without a ServiceAccount among them, a new one named after the workload, with
    ``automountServiceAccountToken: false``. Plain: a Python list of fragments (from another language, use
    ``app_secrets``)."""
    environment: NotRequired[Environment]
    """The app's environment, which ``environment_inputs`` read from. From another language, the ``Environment``
    component itself (a resource reference). Required with ``environment_inputs``."""
    environment_inputs: NotRequired[Sequence[EnvironmentInputArgs]]
    """What the pods read from ``environment`` (its ConfigMaps' keys as env vars or files, its Secrets' keys as env
    vars or its Secrets as files), each turned into the fragment of the matching ``Environment`` method and joined
    to ``inputs``: what a program in another language, which cannot call those methods, passes. Default: none."""
    app_secrets: NotRequired[AppSecrets]
    """The app's secrets, whose fragment (``AppSecrets.pod_input()``: the secrets volume and mount, the env vars,
    the app's ServiceAccount and Reloader's annotations, which do nothing where Reloader is not installed) joins
    ``inputs``. From another language, the ``AppSecrets`` component itself (a resource reference), since a
    fragment comes from a Python method. Default: none."""
    annotations: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Annotations of the Deployment itself, e.g. Reloader's (which it reads there, not on pods). Default: none."""
    readiness_probe: NotRequired[Mapping[str, Any]]
    """The container's readiness probe (e.g. ``components.pod_spec.http_probe("/healthz")``): a rollout moves on
    only once new pods are ready. Default: none, so a pod counts as ready as soon as its container starts."""
    liveness_probe: NotRequired[Mapping[str, Any]]
    """The container's liveness probe: the kubelet restarts a container that fails it. Default: none."""
    resources: NotRequired[Mapping[str, Any]]
    """The container's ``resources`` (``requests``/``limits``). Default: requests of 50m CPU and 64Mi memory, a
    256Mi memory limit (no CPU limit, which would only throttle)."""


class Workload(pulumi.ComponentResource):
    """A Deployment with restricted security contexts, no automounted token, checksum annotations, and RBAC that
    reads only the Secrets it names."""

    deployment_name: pulumi.Output[str]
    """Name of the Deployment."""
    service_account_name: pulumi.Output[str]
    """The ServiceAccount the pods run as."""
    service_name: pulumi.Output[str] | None
    """Name of the Service, when ``service`` is true."""

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        app = check_dns1123_label(args["app_name"], "WorkloadArgs.app_name")
        namespace = check_dns1123_label_input(args["namespace"], "WorkloadArgs.namespace")
        replicas = check_replicas(args.get("replicas", 1), "WorkloadArgs.replicas")
        if "port" in args:
            check_port(args["port"], "WorkloadArgs.port")
        secrets_as_env_reason = args.get("secrets_as_env_reason")
        if secrets_as_env_reason is not None:
            check_reason(secrets_as_env_reason, "WorkloadArgs.secrets_as_env_reason")
        inputs = list(args.get("inputs", []))
        wanted = list(args.get("environment_inputs", []))
        if wanted:
            environment = args.get("environment")
            if not isinstance(environment, Environment):
                raise SettingsError("WorkloadArgs.environment", environment,
                                    "is not an Environment component: environment_inputs read from it")
            inputs += [environment.pod_input(item, f"WorkloadArgs.environment_inputs[{i}]")
                       for i, item in enumerate(wanted)]
        if "app_secrets" in args:
            app_secrets = args["app_secrets"]
            if not isinstance(app_secrets, AppSecrets):
                raise SettingsError("WorkloadArgs.app_secrets", app_secrets, "is not an AppSecrets component")
            inputs.append(app_secrets.pod_input())
        pod = merge_pod_inputs(inputs, "WorkloadArgs.inputs")
        # A fragment of one's own may name its env var with an Output: that name is checked once it resolves.
        env = [{**entry, "name": apply_input(entry["name"], functools.partial(
            check_env_name, setting=f"WorkloadArgs.inputs[].env[{i}].name"))} for i, entry in enumerate(pod.env)]
        for i, mount in enumerate(pod.volume_mounts):
            if not mount.get("readOnly", False) and _is_sensitive(mount["name"], pod.volumes):
                raise SettingsError(f"WorkloadArgs.inputs[].volume_mounts[{i}]", mount["name"],
                                    "mounts a Secret or CSI volume writable: set readOnly: true")
        unknown = sorted(set(args.get("resources", {})) - {"requests", "limits"})
        if unknown:
            raise SettingsError("WorkloadArgs.resources", unknown, "are not resource fields (requests, limits)")
        service = check_bool(args.get("service", False), "WorkloadArgs.service")
        if service and "port" not in args:
            raise SettingsError("WorkloadArgs.service", service, "needs WorkloadArgs.port: a Service serves a port")
        for probe in ("readiness_probe", "liveness_probe"):
            if probe in args and "port" not in args and _named_port(args[probe]):
                raise SettingsError(f"WorkloadArgs.{probe}", dict(args[probe]),
                                    "uses the named port 'http', which exists only when WorkloadArgs.port is set")
        super().__init__("eks-config-secrets:index:Workload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        reason = args.get("kubernetes_api_reason", "").strip()
        automount = bool(reason)
        reason_annotation = {AUTOMOUNT_REASON_ANNOTATION: reason} if reason else {}
        pod_reasons = {**reason_annotation, **({SECRETS_AS_ENV_REASON_ANNOTATION: secrets_as_env_reason.strip()}
                                               if secrets_as_env_reason is not None else {})}
        if pod.service_account_name is not None:
            service_account: pulumi.Input[str] = pod.service_account_name
        else:
            account = k8s.core.v1.ServiceAccount(
                f"{name}-sa",
                metadata=cast(Any, _set({"name": app, "namespace": namespace, "annotations": reason_annotation})),
                automount_service_account_token=automount,
                opts=child,
            )
            service_account = account.metadata["name"]
        secret_names = list(pod.secret_names)
        if secret_names:
            SecretReader(f"{name}-secrets",
                         {"namespace": namespace, "service_account_name": service_account,
                          "secret_names": secret_names},
                         opts=child)
        labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name}
        # Merged key by key, not through one Output: each digest may still be pending.
        checksums = dict(pod.checksums)
        container: dict[str, Any] = _set({
            "name": app,
            "image": args["image"],
            "env": env,
            "envFrom": list(pod.env_from),
            "volumeMounts": [*pod.volume_mounts, {"name": "tmp", "mountPath": SCRATCH_MOUNT_PATH}],
            "securityContext": restricted_security_context(),
            "resources": dict(args.get("resources", DEFAULT_RESOURCES)),
        })
        if "port" in args:
            container["ports"] = [{"name": "http", "containerPort": args["port"]}]
        if "readiness_probe" in args:
            container["readinessProbe"] = dict(args["readiness_probe"])
        if "liveness_probe" in args:
            container["livenessProbe"] = dict(args["liveness_probe"])
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=cast(Any, _set({"name": app, "namespace": namespace, "labels": labels,
                                     "annotations": {**pod.annotations, **args.get("annotations", {})}})),
            spec=cast(Any, {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": _set({"labels": labels, "annotations": {**checksums, **pod_reasons}}),
                    "spec": _set({
                        "serviceAccountName": service_account,
                        "automountServiceAccountToken": automount,
                        "securityContext": pod_security_context(),
                        "imagePullSecrets": [{"name": s} for s in args.get("image_pull_secrets", [])],
                        "containers": [container],
                        "volumes": [*pod.volumes, {"name": "tmp", "emptyDir": {}}],
                    }),
                },
            }),
            opts=child,
        )
        self.service_name: pulumi.Output[str] | None = None
        if service:
            created = k8s.core.v1.Service(
                f"{name}-service",
                metadata={"name": app, "namespace": namespace, "labels": labels},
                spec=k8s.core.v1.ServiceSpecArgs(
                    type="ClusterIP", selector=labels,
                    ports=[k8s.core.v1.ServicePortArgs(name="http", port=args["port"], target_port="http",
                                                       protocol="TCP")],
                ),
                opts=child,
            )
            self.service_name = created.metadata["name"]
        self.deployment_name = deployment.metadata["name"]
        self.service_account_name = pulumi.Output.from_input(service_account)
        self.register_outputs({"deployment_name": self.deployment_name,
                               "service_account_name": self.service_account_name,
                               "service_name": self.service_name})


def check_replicas(value: object, setting: str) -> int:
    """Return ``value`` if it is a number of replicas this toolkit deploys (0 to 100)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise SettingsError(setting, value, "is not a whole number from 0 to 100")
    return value


def check_port(value: object, setting: str) -> int:
    """Return ``value`` if it is a TCP port (1 to 65535)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise SettingsError(setting, value, "is not a whole number from 1 to 65535")
    return value


def check_reason(value: object, setting: str) -> str:
    """Return ``value`` if it states a reason (a non-empty text): an empty opt-out would silence a rule unexplained."""
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(setting, value, "is not a reason: say in words why, or remove it")
    return value


def _set(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` without the empty lists and maps that nobody set (``envFrom: []``): Kubernetes reads an absent
    field the same, and the manifests stay as a person would write them. Shallow: ``emptyDir: {}`` is meant."""
    return {k: v for k, v in fields.items() if not (isinstance(v, list | dict) and not v)}


def _named_port(probe: Mapping[str, Any]) -> bool:
    return any(isinstance(handler, Mapping) and handler.get("port") == "http"
               for handler in probe.values())


def _is_sensitive(volume_name: str, volumes: Sequence[Mapping[str, Any]]) -> bool:
    return any(v["name"] == volume_name and ("secret" in v or "csi" in v) for v in volumes)
