"""Build the access chain's :class:`~components.access.world.World` from a cluster and an account (live or dumped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.access.chain import spc_object_services
from components.access.iam_eval import policy_document
from components.access.world import (
    ROLE_ARN_ANNOTATION,
    Association,
    OidcProvider,
    ParameterStore,
    Role,
    SecretFacts,
    World,
)
from components.doctor.sources import KINDS, AwsSource, KubeSource, Unreadable
from components.iam_policies import parameter_arn
from components.validation import SettingsError

__all__ = ["collect_world", "parameter_references", "secret_references"]

POD_IDENTITY_AGENT = "eks-pod-identity-agent"


def _references(objects: list[dict[str, Any]], service: str) -> list[str]:
    found: list[str] = []
    for o in objects:
        if o.get("kind") == "SecretProviderClass":
            found += [name for name, of in spc_object_services(o).items() if name and of == service]
        elif o.get("kind") == "ExternalSecret":
            # Which service a key is in is its store's; a key is looked up in both, and found in one.
            found += [str((d.get("remoteRef") or {}).get("key")) for d in (o.get("spec") or {}).get("data") or []]
    return sorted(set(found))


def secret_references(objects: list[dict[str, Any]]) -> list[str]:
    """Every Secrets Manager secret (name or ARN) that a SecretProviderClass or an ExternalSecret names."""
    return _references(objects, "secretsmanager")


def parameter_references(objects: list[dict[str, Any]]) -> list[str]:
    """Every SSM parameter (name or ARN) that a SecretProviderClass or an ExternalSecret names."""
    return _references(objects, "ssm")


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


# What SSM reports as the KeyId of a SecureString encrypted with the AWS managed key, which needs no grant.
_SSM_MANAGED_KEY = "alias/aws/ssm"


def _key_arn(aws: AwsSource, key: str | None, *, partition: str, region: str, account: str) -> str | None:
    """A key as Secrets Manager or SSM reports it (id, ARN, alias or alias ARN) as its key ARN; None for none or
    the AWS managed key of SSM. An alias is resolved through ``kms describe-key``."""
    if not key or key == _SSM_MANAGED_KEY:
        return None
    if key.startswith("alias/") or ":alias/" in key:
        described = aws.call("kms", "describe-key", key.rsplit(":", 1)[-1], KeyId=key) or {}
        return str((described.get("KeyMetadata") or {}).get("Arn") or "") or None
    return key if key.startswith("arn:") else f"arn:{partition}:kms:{region}:{account}:key/{key}"


def _as_parameter_arn(reference: str, *, partition: str, region: str, account: str) -> str | None:
    """A reference's parameter ARN; None when it cannot name a parameter (an ExternalSecret key of a secret)."""
    try:
        return parameter_arn(reference, partition=partition, region=region, account_id=account)
    except SettingsError:
        return None


def _listed_parameters(aws: AwsSource, *, partition: str, region: str, account: str,
                       notes: list[str]) -> dict[str, str | None] | None:
    """Every parameter of the region by ARN, with its KeyId as reported (``describe-parameters``, page by page:
    names and keys, no values); unknown (None) when the caller may not list them or the dump lacks the list."""
    reported: dict[str, str | None] = {}
    token: str | None = None
    try:
        while True:
            page = aws.call("ssm", "describe-parameters", **({"NextToken": token} if token else {}))
            if page is None:
                notes.append("SSM parameters not checked: describe-parameters returned nothing")
                return None
            for found in page.get("Parameters", []):
                arn = str(found.get("ARN") or parameter_arn(str(found["Name"]), partition=partition, region=region,
                                                            account_id=account))
                reported[arn] = found.get("KeyId")
            token = page.get("NextToken")
            if not token:
                return reported
    except Unreadable as error:
        notes.append(f"SSM parameters not checked: {error}")
        return None


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
    keys = {"partition": partition, "region": region, "account": account}
    for reference in secret_references(objects):
        described = aws.call("secretsmanager", "describe-secret", reference, SecretId=reference)
        if described is not None:
            secrets[reference] = SecretFacts(str(described["ARN"]), _key_arn(aws, described.get("KmsKeyId"), **keys))
    store: ParameterStore | None = None
    reported = _listed_parameters(aws, notes=notes, **keys)
    if reported is not None:
        # Keys are resolved only for the parameters the cluster names: an account may hold thousands.
        named = {_as_parameter_arn(r, **keys) for r in parameter_references(objects)}
        store = ParameterStore(region, account, {
            arn: SecretFacts(arn, _key_arn(aws, key_id, **keys) if arn in named else None)
            for arn, key_id in reported.items()})
    key_policies: dict[str, Mapping[str, Any]] = {}
    used = {f.kms_key_arn for f in secrets.values()} | {f.kms_key_arn for f in (store.parameters.values()
                                                                                if store else ())}
    for key in sorted(k for k in used if k):
        policy = aws.call("kms", "get-key-policy", key.rsplit("/", 1)[-1], KeyId=key, PolicyName="default")
        if policy and (document := policy_document(policy.get("Policy"))) is not None:
            key_policies[key] = document
    return World(objects=objects, account=account, partition=partition, cluster_name=cluster_name,
                 cluster_arn=cluster_arn if cluster else None, oidc_issuer=issuer or None, oidc_providers=providers,
                 pod_identity_agent=agent, associations=associations, roles=roles,
                 secret=lambda name, _region: secrets.get(name), key_policies=key_policies, parameter_store=store)
