"""Build the access chain's :class:`~components.access.world.World` from a cluster and an account (live or dumped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from components.access.iam_eval import policy_document
from components.access.world import ROLE_ARN_ANNOTATION, Association, OidcProvider, Role, SecretFacts, World
from components.doctor.sources import KINDS, AwsSource, KubeSource, Unreadable

__all__ = ["collect_world", "secret_references"]

POD_IDENTITY_AGENT = "eks-pod-identity-agent"


def secret_references(objects: list[dict[str, Any]]) -> list[str]:
    """Every Secrets Manager secret (name or ARN) that a SecretProviderClass or an ExternalSecret names."""
    found: list[str] = []
    for o in objects:
        if o.get("kind") == "SecretProviderClass":
            parameters = (o.get("spec") or {}).get("parameters") or {}
            entries = yaml.safe_load(parameters.get("objects") or "[]") or []
            found += [str(e["objectName"]) for e in entries if isinstance(e, dict) and e.get("objectName")
                      and e.get("objectType", "secretsmanager") == "secretsmanager"]
        elif o.get("kind") == "ExternalSecret":
            found += [str((d.get("remoteRef") or {}).get("key")) for d in (o.get("spec") or {}).get("data") or []]
    return sorted(set(found))


def _role(aws: AwsSource, arn: str) -> Role | None:
    name = arn.rsplit("/", 1)[-1]
    role = aws.call("iam", "get-role", name, RoleName=name)
    if role is None:
        return None
    policies: list[Mapping[str, Any]] = []
    for policy_name in (aws.call("iam", "list-role-policies", name, RoleName=name) or {}).get("PolicyNames", []):
        inline = aws.call("iam", "get-role-policy", f"{name}.{policy_name}", RoleName=name, PolicyName=policy_name)
        if inline and (document := policy_document(inline.get("PolicyDocument"))) is not None:
            policies.append(document)
    attached = (aws.call("iam", "list-attached-role-policies", name, RoleName=name) or {}).get("AttachedPolicies", [])
    for policy_arn in (str(p["PolicyArn"]) for p in attached):
        policy = (aws.call("iam", "get-policy", policy_arn, PolicyArn=policy_arn) or {}).get("Policy") or {}
        version = aws.call("iam", "get-policy-version", policy_arn, PolicyArn=policy_arn,
                           VersionId=policy.get("DefaultVersionId", "v1"))
        if version and (document := policy_document((version.get("PolicyVersion") or {}).get("Document"))) is not None:
            policies.append(document)
    trust = policy_document(role["Role"].get("AssumeRolePolicyDocument"))
    return Role(str(role["Role"]["Arn"]), trust, tuple(policies))


def _pod_identity(aws: AwsSource, cluster_name: str, notes: list[str]) -> tuple[bool | None, list[Association] | None]:
    """The agent add-on and the associations; unknown (None) when the caller may not read them."""
    try:
        agent = aws.call("eks", "describe-addon", POD_IDENTITY_AGENT, clusterName=cluster_name,
                         addonName=POD_IDENTITY_AGENT) is not None
        associations = []
        listed = aws.call("eks", "list-pod-identity-associations", cluster_name, clusterName=cluster_name) or {}
        for summary in listed.get("associations", []):
            described = aws.call("eks", "describe-pod-identity-association", str(summary["associationId"]),
                                 clusterName=cluster_name, associationId=summary["associationId"]) or {}
            detail = described.get("association") or summary
            associations.append(Association(str(detail["namespace"]), str(detail["serviceAccount"]),
                                            str(detail.get("roleArn", ""))))
    except Unreadable as error:
        notes.append(f"Pod Identity not checked: {error}")
        return None, None
    return agent, associations


def collect_world(kube: KubeSource, aws: AwsSource, *, cluster_name: str, region: str,
                  notes: list[str] | None = None) -> World:
    """Read everything the chain needs: Kubernetes objects, then the cluster, its OIDC providers, Pod Identity,
    the roles that ServiceAccounts and associations name, the secrets the classes name and their keys. What could
    not be read, and so was not checked, is appended to ``notes``."""
    notes = [] if notes is None else notes
    objects = [o for kind in KINDS for o in kube.list(kind)]
    cluster = (aws.call("eks", "describe-cluster", cluster_name, name=cluster_name) or {}).get("cluster") or {}
    cluster_arn = str(cluster.get("arn") or f"arn:aws:eks:{region}:000000000000:cluster/{cluster_name}")
    partition, account = cluster_arn.split(":")[1], cluster_arn.split(":")[4]
    issuer = str(((cluster.get("identity") or {}).get("oidc") or {}).get("issuer") or "").removeprefix("https://")
    providers = {}
    for entry in (aws.call("iam", "list-open-id-connect-providers") or {}).get("OpenIDConnectProviderList", []):
        arn = str(entry["Arn"])
        found = aws.call("iam", "get-open-id-connect-provider", arn.rsplit("/", 1)[-1],
                         OpenIDConnectProviderArn=arn) or {}
        providers[arn] = OidcProvider(arn, tuple(found.get("ClientIDList") or ()))
    agent, associations = _pod_identity(aws, cluster_name, notes)
    role_arns = {str((o.get("metadata") or {}).get("annotations", {}).get(ROLE_ARN_ANNOTATION))
                 for o in objects if o.get("kind") == "ServiceAccount"
                 and ROLE_ARN_ANNOTATION in ((o.get("metadata") or {}).get("annotations") or {})}
    role_arns |= {a.role_arn for a in associations or [] if a.role_arn}
    roles = {arn: role for arn in sorted(role_arns) if (role := _role(aws, arn)) is not None}
    secrets: dict[str, SecretFacts] = {}
    key_policies: dict[str, Mapping[str, Any]] = {}
    for reference in secret_references(objects):
        described = aws.call("secretsmanager", "describe-secret", reference, SecretId=reference)
        if described is None:
            continue
        key = described.get("KmsKeyId")
        if key and not str(key).startswith("arn:"):
            key = f"arn:{partition}:kms:{region}:{account}:key/{key}"
        secrets[reference] = SecretFacts(str(described["ARN"]), str(key) if key else None)
        if key and key not in key_policies:
            policy = aws.call("kms", "get-key-policy", str(key).rsplit("/", 1)[-1], KeyId=key, PolicyName="default")
            if policy and (document := policy_document(policy.get("Policy"))) is not None:
                key_policies[str(key)] = document
    return World(objects=objects, account=account, partition=partition, cluster_name=cluster_name,
                 cluster_arn=cluster_arn if cluster else None, oidc_issuer=issuer or None, oidc_providers=providers,
                 pod_identity_agent=agent, associations=associations, roles=roles,
                 secret=lambda name, _region: secrets.get(name), key_policies=key_policies)
