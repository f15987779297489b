"""Follow every consumer edge (pod → container → env var or file ← key ← secret) through its chain of links.

A pod reads a Secrets Manager secret only when every link holds, and each breaks silently: the CSI volume or
ExternalSecret that delivers it, the ServiceAccount, its identity (IRSA: role annotation, OIDC provider, token
audience, trust conditions on ``sub``/``aud``; Pod Identity: agent, association, token audience, trust), the
secret itself, the permission on its exact ARN, its KMS key, the object and key in the SecretProviderClass, and
the driver's sync. :func:`prove_access` walks them in that order over a :class:`~components.access.world.World`
and reports, per edge, the first broken link with the command that confirms it and the fix.

An SSM parameter is proven like a secret, against the action its backend calls and its key through SSM; a store
with a ``role`` through the operator's own Pod Identity and the role it assumes; an association with a target
role through that role (as the owner account creates it from the plan's ``owner_grants``); a Pulumi ESC store up
to the ServiceAccount it signs in with (what Pulumi Cloud allows is beyond the proof).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import yaml

from components.access.iam_eval import Principal, Request, UnsupportedPolicy, evaluate
from components.access.world import (
    AUDIENCE_ANNOTATION,
    CSI_DRIVER,
    ROLE_ARN_ANNOTATION,
    Role,
    SecretFacts,
    World,
)
from components.external_secrets import DEFAULT_NAMESPACE as ESO_NAMESPACE
from components.external_secrets import OPERATOR_SERVICE_ACCOUNT
from components.iam_policies import (
    CSI_PARAMETER_ACTIONS,
    ESO_PARAMETER_ACTIONS,
    in_region,
    name_in_region,
    parameter_arn,
)

__all__ = ["LINKS", "Edge", "prove_access", "render_matrix", "secret_arn_with_suffix"]

LINKS = (
    "secret-provider-class",
    "csi-volume",
    "external-secret",
    "secret-store",
    "kubernetes-secret",
    "service-account",
    "role-annotation",
    "pod-identity-agent",
    "pod-identity-association",
    "oidc-provider",
    "token-audience",
    "trust",
    "secret",
    "permission",
    "kms",
    "secret-object",
    "sync",
    "synced-key",
)
"""Every link an edge can break at, in the order they are checked."""

STS_AUDIENCE = "sts.amazonaws.com"
POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com"
# The AWS provider describes every mounted secret on each rotation poll and reads it when its version changed
# (aws/secrets-store-csi-driver-provider-aws#116); External Secrets reads with GetSecretValue only
# (external-secrets/external-secrets providers/v1/aws/secretsmanager).
_CSI_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
_ESO_ACTIONS = ("secretsmanager:GetSecretValue",)
# SSM parameters: what each backend calls (components.iam_policies, CSI_PARAMETER_ACTIONS and ESO_PARAMETER_ACTIONS).
_SSM_ACTIONS = {"csi": CSI_PARAMETER_ACTIONS, "external-secrets": ESO_PARAMETER_ACTIONS}
# Session tags EKS Pod Identity sets on every session (EKS user guide, pod-id-abac).
_POD_IDENTITY_TAGS = ("eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account",
                      "kubernetes-pod-name", "kubernetes-pod-uid")


@dataclass(frozen=True)
class Edge:
    """One thing a container reads from a secret, and whether every link to it holds."""

    namespace: str
    workload: str
    pod: str
    container: str
    target: str
    """``env NAME``, ``envFrom SECRET`` or ``file /mount/path``."""
    secret: str
    """The Secrets Manager secret (name or ARN), or ``<namespace>/<name>`` of a Kubernetes Secret."""
    broken_link: str | None = None
    detail: str = ""
    fix: str = ""
    confirm: str = ""
    """A command that shows the broken link on a real cluster."""
    permission: tuple[str, str, tuple[str, ...]] | None = None
    """The IAM question the edge rests on, ``(role ARN, secret ARN, actions)``, once the chain got that far: what
    ``doctor`` asks ``iam:SimulatePrincipalPolicy`` to confirm."""

    @property
    def ok(self) -> bool:
        return self.broken_link is None

    def as_json(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "workload": self.workload, "pod": self.pod,
                "container": self.container, "target": self.target, "secret": self.secret, "ok": self.ok,
                "broken_link": self.broken_link, "detail": self.detail, "fix": self.fix, "confirm": self.confirm}


Permission = tuple[str, str, tuple[str, ...]]


class Broken(Exception):
    def __init__(self, link: str, detail: str, fix: str, confirm: str, permission: Permission | None = None) -> None:
        assert link in LINKS, link
        super().__init__(detail)
        self.link, self.detail, self.fix, self.confirm = link, detail, fix, confirm
        self.permission = permission


def secret_arn_with_suffix(name_or_arn: str, *, partition: str, region: str, account: str) -> str:
    """The ARN Secrets Manager gives a secret created with this name: the name, ``-`` and six characters.

    The plan cannot know the real six characters; any six prove the same thing, namely that the policy names
    the secret in a form that matches its ARN (``name-??????``), not just ``name``.
    """
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    suffix = hashlib.sha256(name_or_arn.encode()).hexdigest()[:6]
    return f"arn:{partition}:secretsmanager:{region}:{account}:secret:{name_or_arn}-{suffix}"


def _meta(o: Mapping[str, Any]) -> Mapping[str, Any]:
    return o.get("metadata") or {}


def _spec(o: Mapping[str, Any]) -> Mapping[str, Any]:
    return o.get("spec") or {}


def _workload_of(pod: Mapping[str, Any]) -> str:
    # A Deployment's pod is owned by ReplicaSet <deployment>-<pod-template-hash>.
    for owner in _meta(pod).get("ownerReferences") or []:
        if owner.get("kind") == "ReplicaSet":
            return str(owner.get("name", "")).rsplit("-", 1)[0]
        return str(owner.get("name", ""))
    return str(_meta(pod).get("name", ""))


@dataclass(frozen=True)
class _Spc:
    name: str
    region: str
    pod_identity: bool
    objects: list[dict[str, Any]]
    secret_objects: list[dict[str, Any]]
    failover_region: str | None = None

    def services(self) -> dict[str, str]:
        """Object name → ``secretsmanager`` or ``ssm`` (its ``objectType``, or the service of its ARN)."""
        return {str(o.get("objectName", "")): "ssm" if o.get("objectType") == "ssmparameter"
                or ":ssm:" in str(o.get("objectName", "")) else "secretsmanager" for o in self.objects}

    def files(self) -> dict[str, str]:
        """Mounted file → the object name it comes from (the provider's default file name replaces '/')."""
        files: dict[str, str] = {}
        for obj in self.objects:
            name = str(obj.get("objectName", ""))
            files[str(obj.get("objectAlias") or name.replace("/", "_"))] = name
            for entry in obj.get("jmesPath") or []:
                files[str(entry.get("objectAlias"))] = name
        return files


def _classes(world: World) -> dict[tuple[str, str], _Spc]:
    """Every SecretProviderClass, parsed once: by ``(namespace, name)`` and by ``(namespace, synced Secret)``."""
    def build() -> dict[tuple[str, str], _Spc]:
        index: dict[tuple[str, str], _Spc] = {}
        for o in world.of_kind("SecretProviderClass"):
            spc, ns = _parse_spc(o), str(_meta(o).get("namespace"))
            index[(ns, f"class:{spc.name}")] = spc
            for synced in spc.secret_objects:
                index.setdefault((ns, f"secret:{synced.get('secretName')}"), spc)
        return index

    classes: dict[tuple[str, str], _Spc] = world.cached("classes", build)
    return classes


def _external_secrets(world: World) -> dict[tuple[str, str], Mapping[str, Any]]:
    """Every ExternalSecret by ``(namespace, target Secret)``."""
    def build() -> dict[tuple[str, str], Mapping[str, Any]]:
        index: dict[tuple[str, str], Mapping[str, Any]] = {}
        for o in world.of_kind("ExternalSecret"):
            target = (_spec(o).get("target") or {}).get("name") or _meta(o).get("name")
            index.setdefault((str(_meta(o).get("namespace")), str(target)), o)
        return index

    found: dict[tuple[str, str], Mapping[str, Any]] = world.cached("external-secrets", build)
    return found


def _parse_spc(o: Mapping[str, Any]) -> _Spc:
    parameters = _spec(o).get("parameters") or {}
    objects = yaml.safe_load(parameters.get("objects") or "[]") or []
    return _Spc(name=str(_meta(o).get("name")), region=str(parameters.get("region", "")),
                pod_identity=str(parameters.get("usePodIdentity", "false")).lower() == "true",
                objects=[x for x in objects if isinstance(x, dict)],
                secret_objects=list(_spec(o).get("secretObjects") or []),
                failover_region=str(parameters["failoverRegion"]) if parameters.get("failoverRegion") else None)


def spc_object_services(o: Mapping[str, Any]) -> dict[str, str]:
    """Each object a SecretProviderClass names → ``secretsmanager`` or ``ssm``, as the proof reads them."""
    return _parse_spc(o).services()


@dataclass(frozen=True)
class _Identity:
    """Who reads the secret, with what token, for which secret and actions."""

    namespace: str
    service_account: str
    pod_identity: bool
    audiences: tuple[str, ...] | None
    """Audiences the token is requested for; None when unknown."""
    secret: str
    region: str
    actions: tuple[str, ...]
    pod: str
    service: str = "secretsmanager"
    """``secretsmanager`` or ``ssm``: the service the secret (or parameter) lives in."""
    failover_region: str | None = None
    """The CSI provider's ``failoverRegion``: it reads the replica there too, on every mount and poll."""


def _kubectl_sa(namespace: str, name: str) -> str:
    return f"kubectl -n {namespace} get serviceaccount {name} -o yaml"


def _check_identity(world: World, who: _Identity) -> Permission | None:
    ns, sa = who.namespace, who.service_account
    account = _find_sa(world, ns, sa)
    role = _pod_identity_role(world, who) if who.pod_identity else _irsa_role(world, who, account)
    return _check_secret_access(world, who, role)


def _find_sa(world: World, ns: str, sa: str) -> Mapping[str, Any]:
    account = world.find("ServiceAccount", ns, sa)
    if account is None:
        raise Broken("service-account", f"ServiceAccount {ns}/{sa} does not exist",
                     f"create ServiceAccount {sa} in {ns}, or run the pod as the app's ServiceAccount",
                     _kubectl_sa(ns, sa))
    return account


def _role(world: World, arn: str) -> Role | None:
    return world.roles.get(arn)


def _irsa_role(world: World, who: _Identity, account: Mapping[str, Any]) -> Role:
    ns, sa = who.namespace, who.service_account
    arn = (_meta(account).get("annotations") or {}).get(ROLE_ARN_ANNOTATION)
    if not arn:
        raise Broken("role-annotation", f"ServiceAccount {ns}/{sa} has no {ROLE_ARN_ANNOTATION} annotation, so "
                     f"pods running as it get no IAM role (they fall back to the node's)",
                     f"annotate it: kubectl -n {ns} annotate serviceaccount {sa} {ROLE_ARN_ANNOTATION}=<role ARN> "
                     f"(WorkloadIdentity does), then restart the pods", _kubectl_sa(ns, sa))
    role = _role(world, str(arn))
    if role is None:
        raise Broken("role-annotation", f"ServiceAccount {ns}/{sa} names role {arn}, which does not exist",
                     "point the annotation at the app's role, or create it",
                     f"aws iam get-role --role-name {str(arn).rsplit('/', 1)[-1]}")
    issuer = world.oidc_issuer or _trusted_issuer(role)
    if issuer is None:
        raise Broken("trust", f"role {role.name} trusts no OIDC provider (no sts:AssumeRoleWithWebIdentity "
                     f"statement with a Federated oidc-provider principal)",
                     "give it the IRSA trust policy of the cluster's OIDC provider (irsa_trust_policy)",
                     f"aws iam get-role --role-name {role.name} --query Role.AssumeRolePolicyDocument")
    provider_arn = f"arn:{world.partition}:iam::{world.account}:oidc-provider/{issuer}"
    audience = STS_AUDIENCE
    if world.oidc_providers is not None:
        provider = world.oidc_providers.get(provider_arn)
        if provider is None:
            raise Broken("oidc-provider", f"no IAM OIDC provider for the cluster's issuer {issuer}: STS rejects "
                         f"every web identity token of this cluster", "create it (SecureCluster sets "
                         "create_oidc_provider; eksctl utils associate-iam-oidc-provider on other clusters)",
                         "aws iam list-open-id-connect-providers")
        if audience not in provider.client_ids:
            raise Broken("oidc-provider", f"OIDC provider {issuer} does not accept audience {audience} "
                         f"(client IDs: {', '.join(provider.client_ids) or 'none'})",
                         f"add client ID {audience}: aws iam add-client-id-to-open-id-connect-provider "
                         f"--open-id-connect-provider-arn {provider_arn} --client-id {audience}",
                         f"aws iam get-open-id-connect-provider --open-id-connect-provider-arn {provider_arn}")
    if who.audiences is not None and audience not in who.audiences:
        raise Broken("token-audience", f"the token of {ns}/{sa} is requested for {list(who.audiences)}, not "
                     f"{audience}, so STS refuses it", f"request a token for {audience} (CSI driver value "
                     f"tokenRequests, or the ServiceAccount's {AUDIENCE_ANNOTATION} annotation for External "
                     f"Secrets)", f"kubectl get csidriver {CSI_DRIVER} -o jsonpath='{{.spec.tokenRequests}}'")
    context = {f"{issuer}:sub": f"system:serviceaccount:{ns}:{sa}", f"{issuer}:aud": audience}
    _check_trust(role, [Request("sts:AssumeRoleWithWebIdentity", role.arn, Principal("Federated", provider_arn),
                                context)],
                 f"StringEquals {{'{issuer}:sub': 'system:serviceaccount:{ns}:{sa}', '{issuer}:aud': '{audience}'}}",
                 f"{ns}/{sa}")
    return role


def _trusted_issuer(role: Role) -> str | None:
    for statement in (role.trust or {}).get("Statement") or []:
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        federated = principal.get("Federated") if isinstance(principal, Mapping) else None
        for arn in federated if isinstance(federated, list) else [federated]:
            if isinstance(arn, str) and ":oidc-provider/" in arn:
                return arn.split(":oidc-provider/", 1)[1]
    return None


def _pod_identity_context(world: World, who: _Identity) -> dict[str, str | list[str]]:
    tags = {"eks-cluster-arn": world.cluster_arn or "", "eks-cluster-name": world.cluster_name or "",
            "kubernetes-namespace": who.namespace, "kubernetes-service-account": who.service_account,
            "kubernetes-pod-name": who.pod, "kubernetes-pod-uid": ""}
    context: dict[str, str | list[str]] = {f"aws:RequestTag/{k}": v for k, v in tags.items() if v}
    context |= {f"aws:PrincipalTag/{k}": v for k, v in tags.items() if v}
    context["aws:TagKeys"] = [k for k in _POD_IDENTITY_TAGS if tags[k]]
    context["aws:SourceAccount"] = world.account
    if world.cluster_arn:
        context["aws:SourceArn"] = world.cluster_arn
    return context


def _pod_identity_role(world: World, who: _Identity) -> Role:
    ns, sa = who.namespace, who.service_account
    cluster = world.cluster_name or "<cluster>"
    if world.pod_identity_agent is False:
        raise Broken("pod-identity-agent", f"cluster {cluster} has no eks-pod-identity-agent add-on: nothing "
                     f"hands Pod Identity credentials to pods", "install the add-on "
                     "(SecureCluster.pod_identity_agent())",
                     f"aws eks describe-addon --cluster-name {cluster} --addon-name eks-pod-identity-agent")
    confirm = f"aws eks list-pod-identity-associations --cluster-name {cluster} --namespace {ns} " \
              f"--service-account {sa}"
    if world.associations is None:
        return _unknown_role()
    association = next((a for a in world.associations if (a.namespace, a.service_account) == (ns, sa)), None)
    if association is None:
        raise Broken("pod-identity-association", f"no Pod Identity association for {ns}/{sa} on cluster "
                     f"{cluster}", f"associate the app's role: aws eks create-pod-identity-association "
                     f"--cluster-name {cluster} --namespace {ns} --service-account {sa} --role-arn <role ARN>",
                     confirm)
    role = _role(world, association.role_arn)
    if role is None:
        raise Broken("pod-identity-association", f"the association of {ns}/{sa} names role "
                     f"{association.role_arn}, which does not exist", "associate an existing role", confirm)
    if who.audiences is not None and POD_IDENTITY_AUDIENCE not in who.audiences:
        raise Broken("token-audience", f"the CSI driver requests tokens for {list(who.audiences)}, not "
                     f"{POD_IDENTITY_AUDIENCE}, so the AWS provider cannot use Pod Identity",
                     f"add {{audience: {POD_IDENTITY_AUDIENCE}}} to the driver's tokenRequests",
                     f"kubectl get csidriver {CSI_DRIVER} -o jsonpath='{{.spec.tokenRequests}}'")
    context = _pod_identity_context(world, who)
    principal = Principal("Service", "pods.eks.amazonaws.com")
    _check_trust(role, [Request(a, role.arn, principal, context) for a in ("sts:AssumeRole", "sts:TagSession")],
                 "Principal {Service: pods.eks.amazonaws.com}, Action [sts:AssumeRole, sts:TagSession], conditions "
                 f"that admit account {world.account}, cluster {cluster} and {ns}/{sa}", f"{ns}/{sa}")
    if association.target_role_arn:
        return _chained_role(world, role, str(association.target_role_arn), external_id=association.external_id,
                             actions=("sts:AssumeRole", "sts:TagSession"), who=f"{ns}/{sa}")
    return role


def _chained_role(world: World, source: Role, target_arn: str, *, external_id: str | None,
                  actions: Sequence[str], who: str) -> Role:
    """The role that ``source`` chains to: ``source`` may assume it, and it trusts ``source``. EKS Pod Identity
    chains with session tags and the association's external id; External Secrets with a plain AssumeRole."""
    confirm = (f"aws iam simulate-principal-policy --policy-source-arn {source.arn} --action-names "
               f"{' '.join(actions)} --resource-arns {target_arn}")
    for action in actions:
        if not _decide(source.policies, Request(action, target_arn, None, {}), "trust", confirm).allowed:
            raise Broken("trust", f"role {source.name} may not {action} on {target_arn}, the role it chains to",
                         f"grant {', '.join(actions)} on exactly {target_arn} to role {source.name}", confirm)
    target = _role(world, target_arn)
    if target is None:
        raise Broken("trust", f"role {target_arn}, which {who} chains to, is unknown (the account that owns it "
                     f"creates it from the plan's owner_grants)", "create it in that account from "
                     "owner-grants/<account>/", f"aws iam get-role --role-name {target_arn.rsplit('/', 1)[-1]}")
    context: dict[str, str | list[str]] = {"sts:ExternalId": external_id} if external_id else {}
    _check_trust(target, [Request(a, target.arn, Principal("AWS", source.arn), context) for a in actions],
                 f"Principal {{AWS: {source.arn}}}, Action {list(actions)}"
                 + (f", StringEquals sts:ExternalId {external_id}" if external_id else ""), who)
    return target


def _unknown_role() -> Role:
    return Role(arn="", trust=None, policies=())


def _check_trust(role: Role, requests: Sequence[Request], needed: str, who: str) -> None:
    if role.trust is None:
        return
    confirm = f"aws iam get-role --role-name {role.name} --query Role.AssumeRolePolicyDocument"
    for request in requests:
        try:
            result = evaluate([role.trust], request)
        except UnsupportedPolicy as error:
            raise Broken("trust", f"role {role.name}'s trust policy cannot be proven: {error}",
                         "check it with the confirm command", confirm) from None
        if not result.allowed:
            why = "denies" if result.decision == "explicit-deny" else "does not allow"
            raise Broken("trust", f"role {role.name}'s trust policy {why} {request.action} for {who}"
                         f"{_trusted_subjects(role)}", f"trust {who}: {needed}", confirm)


def _trusted_subjects(role: Role) -> str:
    subjects = sorted({str(v) for s in (role.trust or {}).get("Statement") or [] if isinstance(s, Mapping)
                       for block in (s.get("Condition") or {}).values() if isinstance(block, Mapping)
                       for k, vs in block.items() if k.lower().endswith((":sub", "kubernetes-service-account",
                                                                          "kubernetes-namespace"))
                       for v in (vs if isinstance(vs, list) else [vs])})
    return f" (it admits {', '.join(subjects)})" if subjects else ""


def _readers(world: World, secret_arn: str, actions: Sequence[str]) -> list[str]:
    """The ServiceAccounts whose role's policies allow ``actions`` on the secret: where the pod could run instead."""
    bound = [(f"{(o.get('metadata') or {}).get('namespace')}/{(o.get('metadata') or {}).get('name')}",
              ((o.get("metadata") or {}).get("annotations") or {}).get(ROLE_ARN_ANNOTATION))
             for o in world.of_kind("ServiceAccount")]
    bound += [(f"{a.namespace}/{a.service_account}", a.role_arn) for a in world.associations or []]
    readers = []
    for account, arn in bound:
        role = world.roles.get(str(arn))
        if role is not None and all(_safe_allows(role.policies, Request(a, secret_arn)) for a in actions):
            readers.append(account)
    return sorted(set(readers))


def _safe_allows(policies: Sequence[Mapping[str, Any]], request: Request) -> bool:
    try:
        return evaluate(policies, request).allowed
    except UnsupportedPolicy:
        return False


def _parameter_facts(world: World, who: _Identity) -> SecretFacts | None:
    """An SSM parameter as the proof needs it: its ARN (IAM names ``parameter/<name without its leading slash>``)
    and its key; None when the world's Parameter Store covers it and has no such parameter."""
    arn = parameter_arn(who.secret, partition=world.partition, region=who.region, account_id=world.account)
    store = world.parameter_store
    if store is not None and store.covers(arn):
        return store.parameters.get(arn)
    named = world.secret(who.secret, who.region)
    return SecretFacts(arn, named.kms_key_arn if named else None)


def _check_secret_access(world: World, who: _Identity, role: Role) -> Permission | None:
    facts = _parameter_facts(world, who) if who.service == "ssm" else world.secret(who.secret, who.region)
    if facts is None and who.service == "ssm":
        name = who.secret.split(":parameter", 1)[-1]
        raise Broken("secret", f"Parameter Store has no parameter {who.secret} in {who.region} (account "
                     f"{world.account})", "create it, or fix the name (and region) the app names",
                     f"aws ssm describe-parameters --region {who.region} --parameter-filters Key=Name,Values={name}")
    if facts is None:
        raise Broken("secret", f"Secrets Manager has no secret {who.secret} in {who.region} (account "
                     f"{world.account})", "create it, or fix the name (and region) the app names",
                     f"aws secretsmanager describe-secret --region {who.region} --secret-id {who.secret}")
    if not role.arn:
        return None
    permission = (role.arn, facts.arn, who.actions)
    context: dict[str, str | list[str]] = {"aws:RequestedRegion": who.region, "aws:PrincipalAccount": world.account}
    if who.pod_identity:
        context |= {k: v for k, v in _pod_identity_context(world, who).items() if k.startswith("aws:PrincipalTag/")}
    confirm = (f"aws iam simulate-principal-policy --policy-source-arn {role.arn} --action-names "
               f"{' '.join(who.actions)} --resource-arns {facts.arn}")
    # The provider asks the failover region as well (a replica keeps the name and suffix: only its region differs).
    replica = [in_region(facts.arn, who.failover_region)] if who.failover_region else []
    for action, arn in ((a, r) for r in (facts.arn, *replica) for a in who.actions):
        in_arn_region = {**context, "aws:RequestedRegion": arn.split(":")[3]}
        result = _decide(role.policies, Request(action, arn, None, in_arn_region), "permission", confirm)
        if not result.allowed:
            why = f"denies it in statement {result.statement}" if result.decision == "explicit-deny" else \
                "allow it in no statement"
            readers = _readers(world, facts.arn, who.actions)
            instead = f", or run the pod as ServiceAccount {' or '.join(readers)}, whose role can read it" \
                if readers else ""
            raise Broken("permission", f"role {role.name} may not {action} on {arn}: its policies {why}",
                         f"grant {', '.join(who.actions)} on "
                         f"{arn if who.service == 'ssm' else _policy_arn(arn)} to role {role.name} "
                         f"(WorkloadIdentity secrets){instead}", confirm, permission)
    if facts.kms_key_arn:
        _check_kms(world, who, role, facts)
    if who.failover_region:
        # The replica is decrypted in its own region, under its own key where it has one.
        there = replace(who, region=who.failover_region, secret=name_in_region(who.secret, who.failover_region))
        replica_facts = world.secret(there.secret, there.region)
        if replica_facts is not None and replica_facts.kms_key_arn:
            _check_kms(world, there, role, replica_facts)
    return permission


def _policy_arn(arn: str) -> str:
    # How a policy names a secret by name: its ARN with the random suffix as six '?'.
    return arn[:-6] + "??????" if arn.rsplit("-", 1)[-1].isalnum() and len(arn.rsplit("-", 1)[-1]) == 6 else arn


def _decide(policies: Sequence[Mapping[str, Any]], request: Request, link: str, confirm: str) -> Any:
    try:
        return evaluate(policies, request)
    except UnsupportedPolicy as error:
        raise Broken(link, f"a policy cannot be proven: {error}", "check it with the confirm command",
                     confirm) from None


def _check_kms(world: World, who: _Identity, role: Role, facts: SecretFacts) -> None:
    key = str(facts.kms_key_arn)
    via = f"{who.service}.{who.region}.amazonaws.com{'.cn' if who.region.startswith('cn-') else ''}"
    # The encryption context each service passes: Secrets Manager's SecretARN, SSM's PARAMETER_ARN.
    context = {"kms:ViaService": via, "kms:CallerAccount": world.account,
               f"kms:EncryptionContext:{'PARAMETER_ARN' if who.service == 'ssm' else 'SecretARN'}": facts.arn}
    fix = (f"grant kms:Decrypt on {key} to role {role.name} with StringEquals kms:ViaService {via} (AppSecrets "
           f"kms_key_arn), and keep the key policy's account-root statement")
    policy = (world.key_policies or {}).get(key)
    through_iam = True
    if policy is not None:
        confirm = f"aws kms get-key-policy --key-id {key} --policy-name default"
        in_key = _decide([policy], Request("kms:Decrypt", key, Principal("AWS", role.arn), context), "kms", confirm)
        if not in_key.allowed:
            raise Broken("kms", f"the key policy of {key} does not let role {role.name} decrypt through {via}",
                         fix, confirm)
        through_iam = in_key.through_account
    if through_iam:
        confirm = (f"aws iam simulate-principal-policy --policy-source-arn {role.arn} --action-names kms:Decrypt "
                   f"--resource-arns {key} --context-entries ContextKeyName=kms:ViaService,ContextKeyValues={via},"
                   f"ContextKeyType=string")
        in_iam = _decide(role.policies, Request("kms:Decrypt", key, None, context), "kms", confirm)
        if not in_iam.allowed:
            raise Broken("kms", f"role {role.name} may not kms:Decrypt secret {facts.arn}'s key {key} through "
                         f"{via}", fix, confirm)


# --- edges -------------------------------------------------------------------------------------------------------


def _mounted_spc(world: World, pod: Mapping[str, Any], volume: str) -> _Spc:
    ns = str(_meta(pod).get("namespace"))
    for v in _spec(pod).get("volumes") or []:
        if v.get("name") == volume:
            name = str(((v.get("csi") or {}).get("volumeAttributes") or {}).get("secretProviderClass", ""))
            spc = _classes(world).get((ns, f"class:{name}"))
            if spc is None:
                raise Broken("secret-provider-class", f"volume {volume} mounts SecretProviderClass {ns}/{name}, "
                             f"which does not exist", "create the class in the pod's namespace (AppSecrets does)",
                             f"kubectl -n {ns} get secretproviderclass {name}")
            return spc
    raise AssertionError(volume)


def _csi_identity(world: World, pod: Mapping[str, Any], spc: _Spc, secret: str) -> _Identity:
    ns = str(_meta(pod).get("namespace"))
    service = spc.services().get(secret, "secretsmanager")
    return _Identity(ns, str(_spec(pod).get("serviceAccountName") or "default"), spc.pod_identity,
                     world.csi.token_audiences, secret, spc.region,
                     _SSM_ACTIONS["csi"] if service == "ssm" else _CSI_ACTIONS, str(_meta(pod).get("name")), service,
                     spc.failover_region)


def _check_sync(world: World, ns: str, spc: _Spc, secret_name: str) -> None:
    synced = world.csi.sync_enabled
    if synced is False:
        raise Broken("sync", f"the Secrets Store CSI driver does not sync Secrets (no ClusterRole "
                     f"secretprovidersyncing-role), so {secret_name} is never created",
                     "set the driver chart value syncSecret.enabled: true (secretDelivery.csi.syncSecret)",
                     "kubectl get clusterrole secretprovidersyncing-role")
    if world.find("Secret", ns, secret_name) is None:
        raise Broken("sync", f"Secret {ns}/{secret_name} does not exist: the driver creates it once a pod has "
                     f"mounted class {spc.name}, and no mount has succeeded", "look at the pod's events for the "
                     "mount error (kubectl describe pod), then at the driver's and the AWS provider's logs",
                     f"kubectl -n {ns} get secretproviderclasspodstatuses -o yaml")


def _csi_file_edges(world: World, pod: Mapping[str, Any], mount: Mapping[str, Any],
                    base: dict[str, str]) -> Iterator[Edge]:
    try:
        spc = _mounted_spc(world, pod, str(mount.get("name")))
    except Broken as broken:
        yield _broken_edge(base, f"file {mount.get('mountPath')}", "?", broken)
        return
    for file, secret in spc.files().items():
        target = f"file {str(mount.get('mountPath', '')).rstrip('/')}/{file}"
        yield _edge(base, target, secret, partial(_check_identity, world, _csi_identity(world, pod, spc, secret)))


def _synced_edge(world: World, pod: Mapping[str, Any], secret_name: str, key: str, *, target: str,
                 base: dict[str, str]) -> Edge | None:
    """The edge of a Kubernetes Secret that a SecretProviderClass syncs; None when none syncs it."""
    ns = str(_meta(pod).get("namespace"))
    spc = _classes(world).get((ns, f"secret:{secret_name}"))
    if spc is None:
        return None
    mounted = {str(((v.get("csi") or {}).get("volumeAttributes") or {}).get("secretProviderClass"))
               for v in _spec(pod).get("volumes") or [] if (v.get("csi") or {}).get("driver") == CSI_DRIVER}
    data = [d for o in spc.secret_objects if o.get("secretName") == secret_name for d in o.get("data") or []]
    object_name = next((str(d.get("objectName")) for d in data if d.get("key") == key), None)
    files = spc.files()
    # A key the class does not sync still belongs to the class's secret: name it.
    secret = files.get(object_name or "") or next(iter(files.values()), "?")

    def check() -> Permission | None:
        if spc.name not in mounted:
            raise Broken("csi-volume", f"Secret {secret_name} is synced by SecretProviderClass {spc.name}, which "
                         f"this pod does not mount: the driver creates it only while a pod mounts the class",
                         f"mount a CSI volume of class {spc.name} in the pod (AppSecrets.volumes)",
                         f"kubectl -n {ns} get pod {_meta(pod).get('name')} -o jsonpath='{{.spec.volumes}}'")
        if object_name is None:
            raise Broken("synced-key", f"SecretProviderClass {spc.name} syncs no key {key} into {secret_name} "
                         f"(keys: {', '.join(str(d.get('key')) for d in data)})",
                         f"sync the key {key} in secretObjects, or read one of those keys",
                         f"kubectl -n {ns} get secretproviderclass {spc.name} -o yaml")
        permission = _check_identity(world, _csi_identity(world, pod, spc, secret))
        if object_name not in files:
            raise Broken("secret-object", f"SecretProviderClass {spc.name} syncs key {key} from {object_name}, "
                         f"which no object or jmesPath alias provides (files: {', '.join(files)})",
                         "make secretObjects[].data[].objectName name an objectAlias or jmesPath objectAlias",
                         f"kubectl -n {ns} get secretproviderclass {spc.name} -o yaml")
        _check_sync(world, ns, spc, secret_name)
        return permission

    return _edge(base, target, secret, check)


def _external_secret_edge(world: World, ns: str, secret_name: str, key: str, *, target: str,
                          base: dict[str, str]) -> Edge | None:
    es = _external_secrets(world).get((ns, secret_name))
    if es is None:
        return None
    refs = [d for d in _spec(es).get("data") or [] if d.get("secretKey") == key]
    remote = str(((refs[0].get("remoteRef") or {}).get("key")) if refs else "?")
    es_name = str(_meta(es).get("name"))

    def check() -> Permission | None:
        if not refs and not _spec(es).get("dataFrom"):
            raise Broken("external-secret", f"ExternalSecret {ns}/{es_name} writes no key {key} into "
                         f"{secret_name}", f"add data[].secretKey {key}", f"kubectl -n {ns} get externalsecret "
                         f"{es_name} -o yaml")
        # A data entry may read from a store of its own (sourceRef.storeRef), e.g. the app's Parameter Store.
        store_ref = ((refs[0].get("sourceRef") or {}).get("storeRef") if refs else None) or \
            _spec(es).get("secretStoreRef") or {}
        kind = str(store_ref.get("kind") or "SecretStore")
        store = world.find(kind, ns if kind == "SecretStore" else None, str(store_ref.get("name")))
        confirm = f"kubectl -n {ns} get {kind.lower()} {store_ref.get('name')} -o yaml"
        provider = (_spec(store).get("provider") or {}) if store else {}
        if provider.get("pulumi"):
            _esc_store(world, ns, kind, str(store_ref.get("name")), provider["pulumi"], confirm=confirm)
            _check_written(world, ns, secret_name, es_name)
            return None
        aws = provider.get("aws") or {}
        jwt = (aws.get("auth") or {}).get("jwt") or {}
        account_ref = jwt.get("serviceAccountRef") or {}
        service = "ssm" if aws.get("service") == "ParameterStore" else "secretsmanager"
        actions = _SSM_ACTIONS["external-secrets"] if service == "ssm" else _ESO_ACTIONS
        region = str(aws.get("region", ""))
        if aws.get("role") and not aws.get("auth"):
            # No auth: the operator's own identity (EKS Pod Identity) assumes the store's role.
            operator = _Identity(ESO_NAMESPACE, OPERATOR_SERVICE_ACCOUNT, True, None, remote, region, actions,
                                 f"{kind}/{store_ref.get('name')}", service)
            role = _chained_role(world, _pod_identity_role(world, operator), str(aws["role"]), external_id=None,
                                 actions=("sts:AssumeRole",), who=f"{kind} {store_ref.get('name')}")
            permission = _check_secret_access(world, operator, role)
            _check_written(world, ns, secret_name, es_name)
            return permission
        if store is None or not aws or not account_ref.get("name"):
            what = "does not exist" if store is None else "has no aws provider with auth.jwt.serviceAccountRef"
            raise Broken("secret-store", f"{kind} {store_ref.get('name')} of ExternalSecret {es_name} {what}",
                         "create the store with auth.jwt.serviceAccountRef naming the app's ServiceAccount, or a "
                         "role the operator's Pod Identity assumes (AppSecrets does)", confirm)
        sa_ns = str(account_ref.get("namespace") or ns)
        sa_name = str(account_ref["name"])
        account = world.find("ServiceAccount", sa_ns, sa_name)
        # External Secrets asks for a token for the SA's eks.amazonaws.com/audience annotation, else
        # sts.amazonaws.com (external-secrets/external-secrets providers/v1/aws/auth/auth.go), plus the ref's.
        annotated = (_meta(account).get("annotations") or {}).get(AUDIENCE_ANNOTATION) if account else None
        audiences = (str(annotated or STS_AUDIENCE), *[str(a) for a in account_ref.get("audiences") or []])
        permission = _check_identity(world, _Identity(sa_ns, sa_name, False, audiences, remote, region,
                                                      actions, f"{kind}/{store_ref.get('name')}", service))
        _check_written(world, ns, secret_name, es_name)
        return permission

    return _edge(base, target, remote, check)


def _check_written(world: World, ns: str, secret_name: str, es_name: str) -> None:
    if world.find("Secret", ns, secret_name) is None:
        raise Broken("external-secret", f"Secret {ns}/{secret_name} does not exist: External Secrets has not "
                     f"written it (the ExternalSecret's status says why)", "fix what the status reports",
                     f"kubectl -n {ns} get externalsecret {es_name} -o jsonpath='{{.status.conditions}}'")


def _esc_store(world: World, ns: str, kind: str, name: str, pulumi: Mapping[str, Any], *, confirm: str) -> None:
    """A Pulumi ESC store: the proof follows it to the ServiceAccount whose token it signs in with; what Pulumi
    Cloud then allows (its OIDC issuer and policies) is outside AWS and the cluster, so it stops there."""
    account_ref = ((pulumi.get("auth") or {}).get("oidcConfig") or {}).get("serviceAccountRef") or {}
    if not account_ref.get("name"):
        raise Broken("secret-store", f"{kind} {name} signs in to Pulumi Cloud without auth.oidcConfig",
                     "sign in by OIDC with the app's ServiceAccount (AppSecrets does), not an access token", confirm)
    _find_sa(world, str(account_ref.get("namespace") or ns), str(account_ref["name"]))


def _kubernetes_secret_edge(world: World, ns: str, secret_name: str, key: str | None, *, target: str,
                            base: dict[str, str]) -> Edge:
    def check() -> None:
        secret = world.find("Secret", ns, secret_name)
        confirm = f"kubectl -n {ns} get secret {secret_name} -o jsonpath='{{.data}}' | jq keys"
        if secret is None:
            raise Broken("kubernetes-secret", f"Secret {ns}/{secret_name} does not exist and nothing creates it "
                         f"(no SecretProviderClass syncs it, no ExternalSecret targets it)",
                         "create it, or fix the name the pod refers to", confirm)
        keys = _secret_keys(secret)
        if key is not None and keys is not None and key not in keys:
            raise Broken("kubernetes-secret", f"Secret {ns}/{secret_name} has no key {key} (keys: "
                         f"{', '.join(sorted(keys))})", "refer to an existing key, or add it", confirm)

    return _edge(base, target, f"{ns}/{secret_name}", check)


_TYPE_KEYS = {"kubernetes.io/tls": {"tls.crt", "tls.key"}, "kubernetes.io/dockerconfigjson": {".dockerconfigjson"}}


def _secret_keys(secret: Mapping[str, Any]) -> set[str] | None:
    """The Secret's keys; None when they cannot be seen (a plan shows secret data as one opaque value)."""
    keys: set[str] = set(_TYPE_KEYS.get(str(secret.get("type")), set()))
    visible = False
    for field in ("data", "stringData"):
        value = secret.get(field)
        if isinstance(value, Mapping):
            keys |= set(value)
            visible = True
    return keys if visible or keys else None


def _edge(base: dict[str, str], target: str, secret: str, check: Callable[[], Permission | None]) -> Edge:
    try:
        permission = check()
    except Broken as broken:
        return _broken_edge(base, target, secret, broken)
    return Edge(**base, target=target, secret=secret, permission=permission)


def _broken_edge(base: dict[str, str], target: str, secret: str, broken: Broken) -> Edge:
    return Edge(**base, target=target, secret=secret, broken_link=broken.link, detail=broken.detail,
                fix=broken.fix, confirm=broken.confirm, permission=broken.permission)


def _synced_keys(world: World, ns: str, secret_name: str) -> list[str]:
    """The keys a SecretProviderClass or an ExternalSecret writes into ``secret_name``."""
    spc = _classes(world).get((ns, f"secret:{secret_name}"))
    if spc is not None:
        return [str(d.get("key")) for o in spc.secret_objects if o.get("secretName") == secret_name
                for d in o.get("data") or []]
    es = _external_secrets(world).get((ns, secret_name))
    return [str(d.get("secretKey")) for d in _spec(es).get("data") or []] if es is not None else []


def _secret_ref_edges(world: World, pod: Mapping[str, Any], secret_name: str, key: str | None, *, target: str,
                      base: dict[str, str]) -> Iterator[Edge]:
    """The edges of one reference to a Kubernetes Secret: one per key it reads from a synced Secret (a whole
    Secret, mounted or in ``envFrom``, reads every key), else one for the Secret itself."""
    ns = str(_meta(pod).get("namespace"))
    keys = [(key, target)] if key is not None else \
        [(k, f"{target}/{k}" if target.startswith("file ") else f"{target}: {k}")
         for k in _synced_keys(world, ns, secret_name)]
    found = False
    for one_key, one_target in keys:
        edge = _synced_edge(world, pod, secret_name, one_key, target=one_target, base=base) or \
            _external_secret_edge(world, ns, secret_name, one_key, target=one_target, base=base)
        if edge is not None:
            found = True
            yield edge
    if not found:
        yield _kubernetes_secret_edge(world, ns, secret_name, key, target=target, base=base)


def _pod_edges(world: World, pod: Mapping[str, Any]) -> Iterator[Edge]:
    ns = str(_meta(pod).get("namespace"))
    volumes = {str(v.get("name")): v for v in _spec(pod).get("volumes") or []}
    for container in _spec(pod).get("containers") or []:
        base = {"namespace": ns, "workload": _workload_of(pod), "pod": str(_meta(pod).get("name")),
                "container": str(container.get("name"))}
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                yield from _secret_ref_edges(world, pod, str(ref.get("name")), str(ref.get("key")),
                                             target=f"env {env.get('name')}", base=base)
        for source in container.get("envFrom") or []:
            if source.get("secretRef"):
                name = str(source["secretRef"].get("name"))
                yield from _secret_ref_edges(world, pod, name, None, target=f"envFrom {name}", base=base)
        for mount in container.get("volumeMounts") or []:
            volume = volumes.get(str(mount.get("name"))) or {}
            if (volume.get("csi") or {}).get("driver") == CSI_DRIVER:
                yield from _csi_file_edges(world, pod, mount, base)
            elif volume.get("secret"):
                name = str(volume["secret"].get("secretName"))
                yield from _secret_ref_edges(world, pod, name, None, target=f"file {mount.get('mountPath')}",
                                             base=base)


def prove_access(world: World) -> list[Edge]:
    """Every consumer edge of every pod in ``world``, once per workload, each with its first broken link."""
    edges: dict[tuple[str, ...], Edge] = {}
    for pod in world.of_kind("Pod"):
        for edge in _pod_edges(world, pod):
            edges.setdefault((edge.namespace, edge.workload, edge.container, edge.target), edge)
    return sorted(edges.values(), key=lambda e: (e.namespace, e.workload, e.container, e.target))


def render_matrix(edges: Sequence[Edge]) -> str:
    """A short text matrix: one row per edge, ``ok`` or the broken link."""
    if not edges:
        return "Access: no pod reads a secret."
    rows = [("namespace/workload", "container", "target", "secret", "access")]
    rows += [(f"{e.namespace}/{e.workload}", e.container, e.target, e.secret,
              "ok" if e.ok else f"BROKEN: {e.broken_link}") for e in edges]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "Access (every pod → secret edge):\n" + "\n".join(f"  {line}" for line in lines)
