"""Resources as the rules see them, built by hand for the tests."""

from __future__ import annotations

import json
from typing import Any

from components.conventions import DEPLOYMENT, HELM_RELEASE, IAM_ROLE, IAM_ROLE_POLICY
from components.policy_rules import (
    ResourceView,
)

PROVIDER = "urn:pulumi:dev::eks-config-secrets::pulumi:providers:kubernetes::cluster-k8s"
DEFAULT_PROVIDER = "urn:pulumi:dev::eks-config-secrets::pulumi:providers:kubernetes::default_4_34_2"
OIDC_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{OIDC_HOST}"


def urn(type_: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::eks-config-secrets::{type_}::{name}"


def view(type_: str, props: dict[str, Any], name: str = "r", stack: str = "dev", **kw: Any) -> ResourceView:
    kw.setdefault("provider", PROVIDER if type_.startswith("kubernetes:") else None)
    return ResourceView(urn=urn(type_, name, stack), type=type_, name=name, props=props, stack=stack, **kw)


def role(trust: dict[str, Any] | str) -> ResourceView:
    return view(IAM_ROLE, {"assumeRolePolicy": trust if isinstance(trust, str) else json.dumps(trust)})


def policy(statement: dict[str, Any], type_: str = IAM_ROLE_POLICY) -> ResourceView:
    return view(type_, {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})


def deployment(pod_spec: dict[str, Any], annotations: dict[str, str] | str | None = None) -> ResourceView:
    metadata: dict[str, Any] = {"labels": {"app": "a"}}
    if annotations is not None:
        metadata["annotations"] = annotations
    return view(DEPLOYMENT, {"spec": {"template": {"metadata": metadata, "spec": pod_spec}}})


def pod_spec(**extra: Any) -> dict[str, Any]:
    return {"automountServiceAccountToken": False, "containers": [{"name": "app", "image": "app:1"}], **extra}


def release(chart: str, values: dict[str, Any], name: str = "driver") -> ResourceView:
    return view(HELM_RELEASE, {"chart": chart, "values": values}, name=name)


def driver_values(**overrides: Any) -> dict[str, Any]:
    return {"syncSecret": {"enabled": True}, "enableSecretRotation": True, "rotationPollInterval": "2m", **overrides}

