"""API server files for self-managed (non-EKS) clusters, where we own the control plane's configuration.

EKS configures envelope encryption and audit logging itself (``encryption_config_key_arn`` and the ``audit``
control-plane log); a kubeadm/k3s/RKE cluster needs the two files below passed to kube-apiserver with
``--encryption-provider-config`` and ``--audit-policy-file``. Both are rendered as YAML text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from components.validation import SettingsError, parse_go_duration

__all__ = ["audit_policy_yaml", "encryption_configuration_yaml"]

# KMS v2 provider names must be unique in the file and may not contain ':' (the API server rejects them).
_KMS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def encryption_configuration_yaml(
    kms_name: str,
    *,
    endpoint: str = "unix:///var/run/kmsplugin/socket.sock",
    timeout: str = "3s",
) -> str:
    """An ``EncryptionConfiguration`` that encrypts Secrets with a KMS v2 plugin, with ``identity`` as read fallback.

    The first provider encrypts every write; ``identity: {}`` after it only lets the API server still read
    Secrets written before encryption was turned on (rewrite them with
    ``kubectl get secrets -A -o json | kubectl replace -f -``). Putting ``identity`` first would store new
    Secrets in plain text. KMS v2 is the only KMS API that is not deprecated (v1 is disabled by default since
    Kubernetes 1.29).
    """
    if not isinstance(kms_name, str) or not _KMS_NAME.match(kms_name):
        raise SettingsError(
            "kms_name", kms_name, "is not a KMS provider name (letters, digits, '.', '_' and '-'; no ':')"
        )
    if not isinstance(endpoint, str) or not endpoint.startswith("unix:///"):
        raise SettingsError(
            "endpoint", endpoint, "is not a unix socket endpoint such as 'unix:///var/run/kmsplugin/socket.sock'"
        )
    parse_go_duration(timeout, "timeout")
    return _dump(
        {
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "EncryptionConfiguration",
            "resources": [
                {
                    "resources": ["secrets"],
                    "providers": [
                        {"kms": {"apiVersion": "v2", "name": kms_name, "endpoint": endpoint, "timeout": timeout}},
                        {"identity": {}},
                    ],
                }
            ],
        }
    )


def audit_policy_yaml() -> str:
    """An audit ``Policy`` that records who touched Secrets, ConfigMaps and tokens, never their content.

    Rules match first-to-last. The first rule keeps Secrets, ConfigMaps, TokenReviews and ServiceAccount
    token requests at ``Metadata`` (user, verb, object, time): ``Request`` or ``RequestResponse`` would write
    secret values and bearer tokens into the audit log. Health probes and kube-proxy's endless watches are
    dropped as noise, and everything else is logged at ``Metadata`` too. ``RequestReceived`` is omitted: each
    request is still logged once at ``ResponseComplete``.
    """
    return _dump(
        {
            "apiVersion": "audit.k8s.io/v1",
            "kind": "Policy",
            "omitStages": ["RequestReceived"],
            "rules": [
                {
                    "level": "Metadata",
                    "resources": [
                        {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                        {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
                    ],
                },
                {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
                {
                    "level": "None",
                    "users": ["system:kube-proxy"],
                    "verbs": ["watch"],
                    "resources": [
                        {"group": "", "resources": ["endpoints", "services", "services/status"]},
                        {"group": "discovery.k8s.io", "resources": ["endpointslices"]},
                    ],
                },
                {"level": "Metadata"},
            ],
        }
    )
