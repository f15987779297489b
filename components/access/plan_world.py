"""The :class:`~components.access.world.World` of an offline plan: its objects, plus what the cluster would add.

A plan registers Deployments, not pods, and Helm releases, not the objects their charts render; the access chain
reads pods, the CSIDriver and the sync ClusterRole. :func:`cluster_objects` adds them the way Kubernetes and the
charts would, so that the plan, a dump of the plan's manifests and a live cluster are checked alike.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from components.access.chain import secret_arn_with_suffix
from components.access.iam_eval import policy_document
from components.access.world import (
    CSI_DRIVER,
    SYNC_CLUSTER_ROLE,
    Association,
    OidcProvider,
    Role,
    SecretFacts,
    World,
    replica_key,
)
from components.conventions import (
    CSI_AWS_PROVIDER_CHART,
    CSI_DRIVER_CHART,
    EKS_ADDON,
    EKS_CLUSTER,
    EKS_COMPONENT,
    HELM_RELEASE,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_KEY,
    KMS_KEYS_ANNOTATION,
    POD_IDENTITY_ASSOCIATION,
)
from components.plan.engine import Plan, RecordedResource

__all__ = ["cluster_objects", "pod_of", "world_from_plan"]

_POD_IDENTITY_AGENT = "eks-pod-identity-agent"


def _hash(value: object, length: int) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:length]


def pod_of(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """The pod a Deployment's ReplicaSet creates: the template, named and owned as the controllers name them.

    Its ServiceAccount defaults to ``default`` (the ServiceAccount admission plugin sets it).
    """
    metadata = deployment.get("metadata") or {}
    template = (deployment.get("spec") or {}).get("template") or {}
    replica_set = f"{metadata.get('name')}-{_hash(template, 10)}"
    spec = dict(template.get("spec") or {})
    spec.setdefault("serviceAccountName", "default")
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**(template.get("metadata") or {}), "name": f"{replica_set}-{_hash(replica_set, 5)}",
                     "namespace": metadata.get("namespace"),
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": replica_set,
                                          "controller": True}]},
        "spec": spec,
    }


def _driver_values(release: RecordedResource) -> Mapping[str, Any] | None:
    values = release.outputs.get("values") or {}
    chart = str(release.outputs.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
    if chart == CSI_DRIVER_CHART:
        return values if isinstance(values, Mapping) else {}
    bundled = values.get(CSI_DRIVER_CHART) if isinstance(values, Mapping) else None
    if chart == CSI_AWS_PROVIDER_CHART and (bundled or {}).get("install") is not False:
        return bundled if isinstance(bundled, Mapping) else {}
    return None


def _driver_objects(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What driver chart 1.6.0 renders that the chain reads (kubernetes-sigs/secrets-store-csi-driver v1.6.0,
    charts/secrets-store-csi-driver/templates/csidriver.yaml and role-syncsecret.yaml)."""
    objects: list[dict[str, Any]] = [{
        "apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": CSI_DRIVER},
        "spec": {"podInfoOnMount": True, "attachRequired": False, "volumeLifecycleModes": ["Ephemeral"],
                 **({"tokenRequests": list(values["tokenRequests"])} if values.get("tokenRequests") else {})},
    }]
    if (values.get("syncSecret") or {}).get("enabled") is True:
        objects.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                        "metadata": {"name": SYNC_CLUSTER_ROLE},
                        "rules": [{"apiGroups": [""], "resources": ["secrets"],
                                   "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}]})
    return objects


def cluster_objects(plan: Plan) -> list[dict[str, Any]]:
    """Every Kubernetes object of the plan as the API server would return it, plus what the cluster adds: the pods
    of each Deployment, the ``default`` ServiceAccount of each namespace, the driver chart's CSIDriver and sync
    ClusterRole, and the Secrets the driver and External Secrets write."""
    objects: list[dict[str, Any]] = []
    for r in plan.resources:
        if r.type.startswith("kubernetes:") and r.type != HELM_RELEASE and "kind" in r.outputs:
            # A copy: whoever mutates the objects (a dump, a test) must not change the plan.
            objects.append(copy.deepcopy(r.outputs))
        elif r.type == HELM_RELEASE:
            values = _driver_values(r)
            if values is not None:
                objects += _driver_objects(values)
    for o in list(objects):
        if o.get("kind") == "Deployment":
            objects.append(pod_of(o))
        elif o.get("kind") == "Namespace":
            name = (o.get("metadata") or {}).get("name")
            objects.append({"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": {"name": "default", "namespace": name}})
    return objects + _written_secrets(objects)


def _written_secrets(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Secrets the driver syncs (with sync on, for a class some pod mounts) and External Secrets writes: their
    keys, never a value."""
    def secret(namespace: object, name: object, keys: list[str], of_type: object = "Opaque") -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Secret", "type": of_type,
                "metadata": {"name": name, "namespace": namespace}, "data": dict.fromkeys(keys, "")}

    sync = any(o.get("kind") == "ClusterRole" and (o.get("metadata") or {}).get("name") == SYNC_CLUSTER_ROLE
               for o in objects)
    mounted = {((o.get("metadata") or {}).get("namespace"),
                ((v.get("csi") or {}).get("volumeAttributes") or {}).get("secretProviderClass"))
               for o in objects if o.get("kind") == "Pod" for v in (o.get("spec") or {}).get("volumes") or []
               if (v.get("csi") or {}).get("driver") == CSI_DRIVER}
    written = []
    for o in objects:
        metadata, spec = o.get("metadata") or {}, o.get("spec") or {}
        namespace = metadata.get("namespace")
        if o.get("kind") == "SecretProviderClass" and sync and (namespace, metadata.get("name")) in mounted:
            written += [secret(namespace, s.get("secretName"), [str(d.get("key")) for d in s.get("data") or []],
                               s.get("type", "Opaque")) for s in spec.get("secretObjects") or []]
        elif o.get("kind") == "ExternalSecret":
            target = (spec.get("target") or {}).get("name") or metadata.get("name")
            written.append(secret(namespace, target, [str(d.get("secretKey")) for d in spec.get("data") or []]))
    return written


def _roles(plan: Plan) -> dict[str, Role]:
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    policies = {str(r.outputs.get("arn")): policy_document(r.outputs.get("policy")) for r in plan.resources
                if r.type == IAM_POLICY}
    for r in plan.resources:
        document = None
        if r.type == IAM_ROLE_POLICY:
            document = policy_document(r.outputs.get("policy"))
        elif r.type == IAM_ROLE_POLICY_ATTACHMENT:
            # AWS managed policies are outside the plan; only the plan's own customer-managed ones are read.
            document = policies.get(str(r.outputs.get("policyArn")))
        if document is not None:
            by_name.setdefault(str(r.outputs.get("role")), []).append(document)
    roles = {}
    for r in plan.find(IAM_ROLE):
        name, arn = str(r.outputs.get("name")), str(r.outputs.get("arn"))
        inline = [d for p in r.outputs.get("inlinePolicies") or [] if (d := policy_document(p.get("policy")))]
        roles[arn] = Role(arn, policy_document(r.outputs.get("assumeRolePolicy")),
                          tuple(inline + by_name.get(name, []) + by_name.get(r.outputs.get("id", name), [])))
    return roles


def _owner_roles(plan: Plan) -> dict[str, Role]:
    """The roles that other accounts create from the plan's ``owner_grants`` (a Pod Identity target role): the plan
    proves the access they give as if the owner had applied the grants, which it hands them for that."""
    grants = plan.outputs.get("owner_grants")
    found = [g for app in (grants.values() if isinstance(grants, dict) else []) for g in app if "role" in g]
    return {str(g["role"]): Role(str(g["role"]), g.get("trust_policy"), (g["permissions_policy"],)) for g in found}


def world_from_plan(plan: Plan) -> World:
    """The plan's world. Secrets Manager secrets and KMS keys it does not create are taken to exist (``doctor``
    checks them on the real account); an OIDC provider, the Pod Identity agent and associations are known only
    when the plan creates the cluster."""
    clusters = plan.find(EKS_COMPONENT) + plan.find(EKS_CLUSTER)
    cluster = clusters[0].outputs if clusters else {}
    roles = _roles(plan) | _owner_roles(plan)
    some_arn = str(cluster.get("arn") or next(iter(roles), "arn:aws:iam::000000000000:role/none"))
    partition, account = some_arn.split(":")[1], some_arn.split(":")[4]
    providers: dict[str, OidcProvider] | None = None
    if cluster:
        providers = {}
        if cluster.get("oidcProviderArn") and cluster.get("createOidcProvider") is not False:
            # pulumi-eks creates the provider with client ID sts.amazonaws.com (pulumi/pulumi-eks v4.4.0,
            # nodejs/eks/cluster/cluster.ts, createOidcProvider).
            providers[str(cluster["oidcProviderArn"])] = OidcProvider(str(cluster["oidcProviderArn"]),
                                                                      ("sts.amazonaws.com",))
        for r in plan.find("aws:iam/openIdConnectProvider:OpenIdConnectProvider"):
            host = str(r.outputs.get("url", "")).removeprefix("https://")
            arn = f"arn:{partition}:iam::{account}:oidc-provider/{host}"
            providers[arn] = OidcProvider(arn, tuple(r.outputs.get("clientIdLists") or ()))
    keys = {str(r.outputs.get("arn")): d for r in plan.find(KMS_KEY)
            if (d := policy_document(r.outputs.get("policy"))) is not None}
    objects = cluster_objects(plan)
    secret_keys: dict[str, str] = {}
    for o in objects:
        secret_keys |= json.loads(((o.get("metadata") or {}).get("annotations") or {}).get(KMS_KEYS_ANNOTATION, "{}"))

    def secret(name: str, region: str) -> SecretFacts:
        arn = secret_arn_with_suffix(name, partition=partition, region=region, account=account)
        return SecretFacts(arn, secret_keys.get(replica_key(name, region), secret_keys.get(name)))

    return World(
        objects=objects,
        account=account,
        partition=partition,
        cluster_name=str(cluster["name"]) if cluster.get("name") else None,
        cluster_arn=str(cluster["arn"]) if cluster.get("arn") else None,
        oidc_issuer=str(cluster["oidcIssuer"]).removeprefix("https://") if cluster.get("oidcIssuer") else None,
        oidc_providers=providers,
        pod_identity_agent=any(r.outputs.get("addonName") == _POD_IDENTITY_AGENT
                               for r in plan.find(EKS_ADDON)) if cluster else None,
        associations=[Association(str(r.outputs.get("namespace")), str(r.outputs.get("serviceAccount")),
                                  str(r.outputs.get("roleArn")), r.outputs.get("targetRoleArn"),
                                  r.outputs.get("externalId"))
                      for r in plan.find(POD_IDENTITY_ASSOCIATION)]
        if cluster else None,
        roles=roles,
        secret=secret,
        key_policies=keys,
    )
