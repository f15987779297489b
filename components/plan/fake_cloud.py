"""Deterministic, realistic outputs for the resources and functions our programs use.

Plans are diffed and snapshot-tested, so every identifier is derived from the resource's type and name
(never random), with the account ``123456789012`` and the stack's region, in the shapes AWS and the
Kubernetes API server really return.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi
from pulumi.runtime import rpc

from components.conventions import (
    EKS_ADDON,
    EKS_CLUSTER,
    EKS_COMPONENT,
    HELM_RELEASE,
    IAM_POLICY,
    IAM_ROLE,
    KMS_ALIAS,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    POD_IDENTITY_ASSOCIATION,
)

__all__ = ["ACCOUNT_ID", "FakeCloud"]

ACCOUNT_ID = "123456789012"


def _digest(*parts: str, length: int = 32) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    h = _digest(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _secret(value: Any) -> Any:
    # Outputs that the real provider marks secret (kubeconfigs) must stay secret under the fake too.
    return rpc.wrap_rpc_secret(value)


def _physical_name(args: pulumi.runtime.MockResourceArgs, explicit: Any) -> str:
    # Pulumi auto-naming: the logical name plus a random suffix; ours is derived, so plans are stable.
    if isinstance(explicit, str) and explicit:
        return explicit
    return f"{args.name}-{_digest(args.typ, args.name, length=7)}"


class FakeCloud(pulumi.runtime.Mocks):
    """Answers registrations and invokes as AWS, EKS and Kubernetes would, deterministically."""

    def __init__(self, region: str) -> None:
        self.region = region

    # -- functions -----------------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                # What STS answers for a CI role: the session, not the role.
                "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deployer/ci",
                "userId": "AROAEXAMPLEDEPLOYER:ci",
                "id": ACCOUNT_ID,
            }, []
        if args.token == "aws:iam/getSessionContext:getSessionContext":
            arn = str(args.args["arn"])
            issuer = arn
            if ":assumed-role/" in arn:
                role = arn.split(":assumed-role/", 1)[1].rsplit("/", 1)[0]
                issuer = f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"
            return {"arn": arn, "issuerArn": issuer, "id": arn}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}, []
        return {}, []

    # -- resources -----------------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        handler = _HANDLERS.get(args.typ)
        if handler is not None:
            resource_id, extra = handler(self, args)
            state.update(extra)
            return resource_id, state
        if args.typ.startswith("kubernetes:"):
            return self._kubernetes_object(args, state)
        if args.typ.startswith("pulumi:providers:"):
            return _uuid(args.typ, args.name), state
        return f"{args.name}-{_digest(args.typ, args.name, length=8)}", state

    def _arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{ACCOUNT_ID}:{resource}"

    def _kubernetes_object(
        self, args: pulumi.runtime.MockResourceArgs, state: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        if args.typ == HELM_RELEASE:
            name = _physical_name(args, state.get("name"))
            namespace = state.get("namespace") or "default"
            state["name"] = name
            state["status"] = {
                "name": name,
                "namespace": namespace,
                "chart": state.get("chart"),
                "version": state.get("version"),
                "status": "deployed",
                "revision": 1,
            }
            return f"{namespace}/{name}", state
        metadata = dict(state.get("metadata") or {})
        metadata["name"] = _physical_name(args, metadata.get("name"))
        metadata.setdefault("uid", _uuid(args.typ, args.name))
        state["metadata"] = metadata
        namespace = metadata.get("namespace")
        resource_id = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
        return resource_id, state

    def _kms_key(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        key_id = _uuid("kms", args.name)
        return key_id, {"keyId": key_id, "arn": self._arn("kms", f"key/{key_id}")}

    def _kms_alias(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        name = _physical_name(args, args.inputs.get("name"))
        return name, {"name": name, "arn": self._arn("kms", name)}

    def _log_group(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        name = _physical_name(args, args.inputs.get("name"))
        return name, {"name": name, "arn": self._arn("logs", f"log-group:{name}")}

    def _eks_cluster(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        name = _physical_name(args, args.inputs.get("name"))
        oidc_id = _digest("oidc", name).upper()
        issuer = f"oidc.eks.{self.region}.amazonaws.com/id/{oidc_id}"
        endpoint = f"https://{_digest('endpoint', name).upper()}.gr7.{self.region}.eks.amazonaws.com"
        kubeconfig = _kubeconfig(name, endpoint, self.region)
        return name, {
            "name": name,
            "arn": self._arn("eks", f"cluster/{name}"),
            "endpoint": endpoint,
            "oidcIssuer": issuer,
            "oidcProviderUrl": f"https://{issuer}",
            "oidcProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}",
            "clusterSecurityGroupId": "sg-" + _digest("cluster-sg", name, length=17),
            "nodeSecurityGroupId": "sg-" + _digest("node-sg", name, length=17),
            "kubeconfig": _secret(kubeconfig),
            "kubeconfigJson": _secret(json.dumps(kubeconfig)),
        }

    def _eks_addon(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        cluster, addon = args.inputs.get("clusterName", "cluster"), args.inputs.get("addonName", args.name)
        return f"{cluster}:{addon}", {
            "arn": self._arn("eks", f"addon/{cluster}/{addon}/{_uuid(cluster, addon)}"),
            "addonVersion": args.inputs.get("addonVersion") or "v1.3.8-eksbuild.2",
        }

    def _launch_template(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        template_id = "lt-" + _digest("lt", args.name, length=17)
        return template_id, {
            "arn": self._arn("ec2", f"launch-template/{template_id}"),
            "latestVersion": 1,
            "defaultVersion": 1,
        }

    def _pod_identity_association(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        association_id = "a-" + _digest("pia", args.name, length=17)
        cluster = args.inputs.get("clusterName", "cluster")
        state = {
            "associationId": association_id,
            "associationArn": self._arn("eks", f"podidentityassociation/{cluster}/{association_id}"),
        }
        if args.inputs.get("targetRoleArn"):
            # EKS returns an external id only for an association with a target role (CreatePodIdentityAssociation).
            state["externalId"] = _uuid("pia-external-id", args.name)
        return association_id, state


def _iam_entity(kind: str) -> Any:
    def handler(cloud: FakeCloud, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        name = _physical_name(args, args.inputs.get("name"))
        path = args.inputs.get("path") or "/"
        return name, {
            "name": name,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:{kind}{path}{name}",
            "uniqueId": "AROA" + _digest(args.name, length=17).upper(),
        }

    return handler


def _kubeconfig(name: str, endpoint: str, region: str) -> dict[str, Any]:
    # The shape pulumi-eks produces: an exec plugin that asks the AWS CLI for a token, no static credential.
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubernetes",
                "cluster": {"server": endpoint, "certificate-authority-data": "LS0tLS1CRUdJTi1GQUtFLUNBLS0tLS0K"},
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["--region", region, "eks", "get-token", "--cluster-name", name, "--output", "json"],
                    }
                },
            }
        ],
    }


_HANDLERS: dict[str, Any] = {
    KMS_KEY: FakeCloud._kms_key,
    KMS_ALIAS: FakeCloud._kms_alias,
    IAM_ROLE: _iam_entity("role"),
    IAM_POLICY: _iam_entity("policy"),
    LOG_GROUP: FakeCloud._log_group,
    EKS_COMPONENT: FakeCloud._eks_cluster,
    EKS_CLUSTER: FakeCloud._eks_cluster,
    EKS_ADDON: FakeCloud._eks_addon,
    LAUNCH_TEMPLATE: FakeCloud._launch_template,
    POD_IDENTITY_ASSOCIATION: FakeCloud._pod_identity_association,
}
