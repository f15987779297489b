"""Rules on pods and what they consume: read-only secret volumes, no API token, no host namespaces or privilege,
no default ServiceAccount or namespace, secrets as files, checksums, ConfigMaps without credentials, Pod Security."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from components.conventions import (
    AUTOMOUNT_REASON_ANNOTATION,
    CHECKSUM_ANNOTATION_PREFIX,
    CONFIG_MAP,
    DEPLOYMENT,
    EXTERNAL_SECRET,
    HELM_RELEASE,
    KUBERNETES_PROVIDER,
    KUBERNETES_SECRET,
    NAMESPACE,
    ROLE,
    ROLE_BINDING,
    SECRET_PROVIDER_CLASS,
    SECRET_STORE,
    SECRETS_AS_ENV_REASON_ANNOTATION,
    SERVICE_ACCOUNT,
)
from components.policy_rules.rule import PROTECTED_STACKS, Config, in_protected_stack, resource_rule, stack_rule
from components.policy_rules.view import ResourceView, get, items, mapping, opaque

# Where each workload kind keeps its pod spec (the path of keys under the resource's inputs).
_POD_SPEC_PATHS: Mapping[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:ReplicationController": ("spec", "template", "spec"),
    DEPLOYMENT: ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _pod_spec(r: ResourceView) -> Mapping[str, Any] | None:
    path = _POD_SPEC_PATHS.get(r.type)
    if path is None:
        return None
    spec = get(r.props, *path)
    return spec if isinstance(spec, Mapping) else None


def _pod_metadata(r: ResourceView) -> Mapping[str, Any]:
    path = _POD_SPEC_PATHS.get(r.type)
    if path is None:
        return {}
    return mapping(get(r.props, *path[:-1], "metadata"))


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in items(spec.get(field)):
            if isinstance(container, Mapping):
                yield container


@resource_rule("secret-volumes-read-only", "Secret and CSI volumes are mounted read-only.", "mandatory", "medium",
               "Set readOnly: true on the CSI volume and on every mount of a secret or CSI volume (Workload does).")
def secret_volumes_read_only(r: ResourceView) -> list[str]:
    spec = _pod_spec(r)
    if spec is None:
        return []
    messages = []
    volumes = {v.get("name"): v for v in items(spec.get("volumes")) if isinstance(v, Mapping)}
    for name, volume in volumes.items():
        if "csi" in volume and get(volume, "csi", "readOnly") is not True:
            messages.append(f"CSI volume {name!r} is not read-only: set csi.readOnly: true")
    for container in _containers(spec):
        for mount in items(container.get("volumeMounts")):
            mounted = mapping(volumes.get(get(mount, "name")))
            kind = next((k for k in ("secret", "csi") if k in mounted), None)
            if kind is not None and get(mount, "readOnly") is not True:
                messages.append(
                    f"container {container.get('name')!r} mounts {kind} volume {get(mount, 'name')!r} at "
                    f"{get(mount, 'mountPath')!r} writable: set readOnly: true on the volumeMount"
                )
    return messages


def _has_reason(metadata: object) -> bool:
    reason = get(metadata, "annotations", AUTOMOUNT_REASON_ANNOTATION)
    return isinstance(reason, str) and bool(reason.strip()) and not opaque(reason)


@resource_rule("no-automounted-token", "ServiceAccounts and pods do not automount the API token.", "mandatory",
               "medium",
               "Set automountServiceAccountToken: false, or state why the workload calls the API in the "
               "automount-token-reason annotation.")
def no_automounted_token(r: ResourceView) -> list[str]:
    spec = r.props if r.type == SERVICE_ACCOUNT else _pod_spec(r)
    if spec is None:
        return []
    subject = "ServiceAccount" if r.type == SERVICE_ACCOUNT else "pod template"
    value = spec.get("automountServiceAccountToken")
    metadata = r.props.get("metadata") if r.type == SERVICE_ACCOUNT else _pod_metadata(r)
    if opaque(value) or value is False or (value is True and _has_reason(metadata)) or (value is None and r.partial):
        return []
    return [f"{subject} {'mounts' if value is True else 'may mount'} the Kubernetes API token: set "
            f"automountServiceAccountToken: false (or annotate {AUTOMOUNT_REASON_ANNOTATION} with why the "
            f"workload calls the API)"]


_CREDENTIAL_KEY = re.compile(
    r"passw(or)?d|passphrase|secret|token|api[-_.]?key|private[-_.]?key|access[-_.]?key|credential|"
    r"(^|[-_.])pwd($|[-_.])",
    re.IGNORECASE,
)


@resource_rule("configmap-credentials", "ConfigMap keys do not look like credentials.", "advisory", "medium",
               "Move credentials to Secrets Manager (or a Secret); keep ConfigMaps for non-sensitive settings.")
def config_map_credentials(r: ResourceView) -> list[str]:
    if r.type != CONFIG_MAP:
        return []
    keys = [k for field in ("data", "binaryData") for k in mapping(r.props.get(field))]
    suspicious = sorted(k for k in keys if _CREDENTIAL_KEY.search(k))
    if suspicious:
        return [f"ConfigMap keys {suspicious} look like credentials: move them to Secrets Manager (or a Secret) "
                f"and keep ConfigMaps for non-sensitive settings"]
    return []


def _consumes_config(spec: Mapping[str, Any]) -> bool:
    for volume in items(spec.get("volumes")):
        if isinstance(volume, Mapping) and ("configMap" in volume or "secret" in volume or "projected" in volume):
            return True
    for container in _containers(spec):
        if items(container.get("envFrom")):
            return True
        for env in items(container.get("env")):
            if get(env, "valueFrom", "configMapKeyRef") is not None or get(env, "valueFrom", "secretKeyRef"):
                return True
    return False


@resource_rule("deployment-checksum-annotations",
               "Deployments that consume ConfigMaps or Secrets carry checksum/ annotations.", "advisory", "low",
               "Add checksum/<name> pod-template annotations (Environment and Workload do) so that a changed value "
               "rolls the pods.")
def deployment_checksum_annotations(r: ResourceView) -> list[str]:
    if r.type != DEPLOYMENT:
        return []
    spec = _pod_spec(r)
    annotations = _pod_metadata(r).get("annotations")
    if spec is None or r.partial or opaque(annotations) or not _consumes_config(spec):
        return []
    if not any(isinstance(k, str) and k.startswith(CHECKSUM_ANNOTATION_PREFIX) for k in mapping(annotations)):
        return ["Deployment consumes ConfigMaps or Secrets but its pod template has no checksum/ annotation: add "
                "checksum/<name> annotations so that a changed value rolls the pods (env vars and subPath mounts "
                "never see updates)"]
    return []


@stack_rule("privileged-pod-security", "A protected stack has no namespace at Pod Security 'privileged'.", "advisory",
            "medium", "Enforce Pod Security 'restricted' (Environment default) or 'baseline'.",
            config_schema=PROTECTED_STACKS)
def privileged_namespace_in_protected_stack(resources: Sequence[ResourceView], config: Config) -> list[tuple[str, str]]:
    """``privileged`` Pod Security in a stack that protects its resources (prod): legal, but it lifts every guard."""
    if not any(r.protect for r in resources) and not any(in_protected_stack(r, config) for r in resources):
        return []
    found = []
    for r in resources:
        labels = mapping(get(r.props, "metadata", "labels")) if r.type == NAMESPACE else {}
        levels = {labels.get(f"pod-security.kubernetes.io/{mode}") for mode in ("enforce", "warn", "audit")}
        if labels.get("pod-security.kubernetes.io/enforce") == "privileged" or (
                "pod-security.kubernetes.io/enforce" not in labels and "privileged" in levels):
            found.append((r.urn, "namespace enforces Pod Security 'privileged' in a protected stack: pods may run "
                                 "privileged, on the host network and with host paths; use 'restricted' (or "
                                 "'baseline')"))
    return found


_HOST_NAMESPACES = ("hostPID", "hostIPC", "hostNetwork")


@resource_rule("no-privileged-pods", "Pods share no host namespace and run no privileged or escalating container "
               "(CIS Kubernetes 5.2.2-5.2.6).", "mandatory", "critical",
               "Use restricted_security_context() and pod_security_context() (Workload does); leave hostPID, hostIPC "
               "and hostNetwork unset.")
def no_privileged_pods(r: ResourceView) -> list[str]:
    """A privileged container, or a pod in the host's PID, IPC or network namespace, reads what every other pod on
    the node holds, mounted secrets included; ``allowPrivilegeEscalation`` unset means true (a setuid binary gains
    root), which the ``restricted`` Pod Security level refuses at admission."""
    spec = _pod_spec(r)
    if spec is None:
        return []
    messages = [f"pod spec sets {field}: true, which shares the node's namespace with the pod: remove it"
                for field in _HOST_NAMESPACES if spec.get(field) is True]
    for container in _containers(spec):
        context = container.get("securityContext")
        name = container.get("name")
        if get(context, "privileged") is True:
            messages.append(f"container {name!r} runs privileged: set securityContext.privileged: false")
        escalation = get(context, "allowPrivilegeEscalation")
        if escalation is True or (escalation is None and not r.partial and not opaque(context)):
            messages.append(f"container {name!r} may escalate privileges: set securityContext."
                            f"allowPrivilegeEscalation: false")
    return messages


def _env_secret_sources(container: Mapping[str, Any]) -> list[str]:
    sources = [f"env {get(env, 'name')}" for env in items(container.get("env"))
               if get(env, "valueFrom", "secretKeyRef") is not None]
    sources += [f"envFrom Secret {get(source, 'secretRef', 'name')}" for source in items(container.get("envFrom"))
                if get(source, "secretRef") is not None]
    return sources


@resource_rule("secrets-as-files", "Containers read Secrets from files rather than environment variables (CIS "
               "Kubernetes 5.4.1).", "advisory", "low",
               f"Mount the Secret (or the CSI volume) as files, or state why the application needs environment "
               f"variables in the {SECRETS_AS_ENV_REASON_ANNOTATION} pod-template annotation.")
def secrets_as_files(r: ResourceView) -> list[str]:
    """Environment variables leak where files do not: ``/proc/<pid>/environ``, crash dumps, child processes, debug
    endpoints; and they never see a rotated value. Many applications read only their environment, so the rule is
    advisory with an opt-out that says why."""
    spec = _pod_spec(r)
    if spec is None:
        return []
    reason = get(_pod_metadata(r), "annotations", SECRETS_AS_ENV_REASON_ANNOTATION)
    if isinstance(reason, str) and reason.strip() and not opaque(reason):
        return []
    return [f"container {container.get('name')!r} reads Secrets through {', '.join(sources)}: mount them as files, "
            f"or annotate the pod template with {SECRETS_AS_ENV_REASON_ANNOTATION}: <why>"
            for container in _containers(spec) if (sources := _env_secret_sources(container))]


@resource_rule("no-default-service-account", "Pods run under a ServiceAccount of their own, not 'default' (CIS "
               "Kubernetes 5.1.5).", "advisory", "medium",
               "Create a ServiceAccount per workload (Workload does) and set serviceAccountName.")
def no_default_service_account(r: ResourceView) -> list[str]:
    """Every pod of a namespace that names no ServiceAccount shares ``default``: a grant meant for one of them (an
    IRSA role, a RoleBinding) reaches all of them."""
    spec = _pod_spec(r)
    if spec is None or r.partial:
        return []
    account = spec.get("serviceAccountName", spec.get("serviceAccount"))
    if opaque(account) or (isinstance(account, str) and account not in ("", "default")):
        return []
    return ["pod spec runs under the namespace's 'default' ServiceAccount: create one for the workload and set "
            "serviceAccountName"]


_NAMESPACED_KINDS = {CONFIG_MAP, DEPLOYMENT, ROLE, ROLE_BINDING, SERVICE_ACCOUNT, KUBERNETES_SECRET,
                     SECRET_PROVIDER_CLASS, EXTERNAL_SECRET, SECRET_STORE, *_POD_SPEC_PATHS}
"""The namespaced kinds we create (a cluster-scoped kind has no namespace to judge)."""


@stack_rule("no-default-namespace", "Workloads and their objects live in a namespace of their own, not 'default' "
            "(CIS Kubernetes 5.7.4).", "advisory", "low",
            "Create a namespace per environment (Environment does) and set metadata.namespace, or the release's "
            "namespace.")
def no_default_namespace(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """``default`` has no Pod Security labels, no quota and every ServiceAccount's grants mixed together. An object
    without a namespace lands in its provider's ``namespace`` when that is set, else in ``default``; a Helm release
    without one installs into ``default``."""
    providers = {r.urn: r for r in resources if r.type == KUBERNETES_PROVIDER}
    found = []
    for r in resources:
        if r.type == HELM_RELEASE:
            namespace = r.props.get("namespace")
        elif r.type in _NAMESPACED_KINDS and not r.partial:
            namespace = get(r.props, "metadata", "namespace")
        else:
            continue
        provider = providers.get(r.provider) if r.provider else None
        if namespace in (None, "") and provider is not None:
            namespace = provider.props.get("namespace")
        if opaque(namespace) or (isinstance(namespace, str) and namespace not in ("", "default")):
            continue
        found.append((r.urn, f"{r.type.rsplit(':', 1)[-1]} {r.name!r} goes to the 'default' namespace: set its "
                             f"namespace to the environment's"))
    return found
