"""What the access chain is checked against: Kubernetes objects and AWS facts, however they were gathered.

The offline plan, ``doctor`` on a live cluster and ``doctor --from-dump`` each build one :class:`World` and hand it
to the same checks (:mod:`components.access.chain`). Kubernetes objects are plain dicts shaped as
``kubectl get -o json`` prints them. A field that is ``None`` is *unknown* (outside what the source can see, such
as an OIDC provider that a plan does not create): its link is then skipped, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CSI_DRIVER",
    "ROLE_ARN_ANNOTATION",
    "SYNC_CLUSTER_ROLE",
    "Association",
    "OidcProvider",
    "ParameterStore",
    "Role",
    "SecretFacts",
    "World",
    "csi_facts",
]

CSI_DRIVER = "secrets-store.csi.k8s.io"
"""Name of the Secrets Store CSI driver's CSIDriver object, and the ``driver`` of its pod volumes."""
SYNC_CLUSTER_ROLE = "secretprovidersyncing-role"
"""The ClusterRole that lets the driver create synced Secrets: driver chart 1.6.0 installs it only with
``syncSecret.enabled`` (kubernetes-sigs/secrets-store-csi-driver v1.6.0,
charts/secrets-store-csi-driver/templates/role-syncsecret.yaml); the driver has no flag for sync of its own."""
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
def replica_key(name: str, region: str) -> str:
    """The :data:`components.conventions.KMS_KEYS_ANNOTATION` entry of a failover replica: the name it is read by
    there, ``@`` its region (a replica may have a key of its own, and keeps its primary's name)."""
    return f"{name}@{region}"


AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience"


@dataclass(frozen=True)
class Role:
    arn: str
    trust: Mapping[str, Any] | None
    """The trust policy; None when unknown."""
    policies: tuple[Mapping[str, Any], ...]
    """Identity-based policies: inline and attached."""

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class OidcProvider:
    arn: str
    client_ids: tuple[str, ...]
    """Audiences the provider accepts (``ClientIDList``)."""


@dataclass(frozen=True)
class Association:
    namespace: str
    service_account: str
    role_arn: str
    target_role_arn: str | None = None
    """The role EKS Pod Identity chains to after ``role_arn`` (the association's ``targetRoleArn``)."""
    external_id: str | None = None
    """The id EKS passes as ``sts:ExternalId`` when it assumes the target role."""


@dataclass(frozen=True)
class SecretFacts:
    arn: str
    """The secret's full ARN (with the six characters Secrets Manager appends to its name)."""
    kms_key_arn: str | None = None
    """Its customer-managed KMS key; None for the AWS managed key ``aws/secretsmanager``."""


@dataclass(frozen=True)
class ParameterStore:
    """The SSM parameters of one account and region, as ``ssm describe-parameters`` lists them (names and keys,
    never values)."""

    region: str
    account: str
    parameters: Mapping[str, SecretFacts]
    """By ARN; a parameter of this account and region that is not here does not exist."""

    def covers(self, arn: str) -> bool:
        """Whether a parameter ARN is of this account and region, so that its absence here means it is missing."""
        parts = arn.split(":")
        return len(parts) > 4 and (parts[3], parts[4]) == (self.region, self.account)


@dataclass(frozen=True)
class World:
    objects: Sequence[Mapping[str, Any]]
    """Kubernetes objects, pods included."""
    account: str
    partition: str = "aws"
    cluster_name: str | None = None
    cluster_arn: str | None = None
    oidc_issuer: str | None = None
    """The cluster's issuer, without ``https://``."""
    oidc_providers: Mapping[str, OidcProvider] | None = None
    """IAM OIDC providers by ARN."""
    pod_identity_agent: bool | None = None
    associations: Sequence[Association] | None = None
    roles: Mapping[str, Role] = field(default_factory=dict)
    """IAM roles by ARN; a role that is not here does not exist."""
    secret: Callable[[str, str], SecretFacts | None] = lambda _name, _region: None
    """``(name or ARN, region)`` → the secret, or None when Secrets Manager has no such secret."""
    key_policies: Mapping[str, Mapping[str, Any]] | None = None
    """KMS key policies by key ARN; None (or a key missing here) when unknown."""
    parameter_store: ParameterStore | None = None
    """The account's parameters in the cluster's region; None when unknown (the plan cannot see Parameter Store):
    each parameter is then taken to exist, its key as :attr:`secret` reports it."""
    memo: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)
    """Indexes built once per world by those who read it (a plan has thousands of objects)."""

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    def _index(self) -> dict[tuple[str, str | None], list[Mapping[str, Any]]]:
        def build() -> dict[tuple[str, str | None], list[Mapping[str, Any]]]:
            index: dict[tuple[str, str | None], list[Mapping[str, Any]]] = {}
            for o in self.objects:
                kind = str(o.get("kind"))
                index.setdefault((kind, None), []).append(o)
                namespace = _meta(o).get("namespace")
                if namespace is not None:
                    index.setdefault((kind, str(namespace)), []).append(o)
            return index

        index: dict[tuple[str, str | None], list[Mapping[str, Any]]] = self.cached("objects", build)
        return index

    def find(self, kind: str, namespace: str | None, name: str) -> Mapping[str, Any] | None:
        def build() -> dict[tuple[str, str | None, str], Mapping[str, Any]]:
            names: dict[tuple[str, str | None, str], Mapping[str, Any]] = {}
            for (k, ns), objects in self._index().items():
                for o in objects:
                    names.setdefault((k, ns, str(_meta(o).get("name"))), o)
            return names

        found: Mapping[str, Any] | None = self.cached("names", build).get((kind, namespace, name))
        return found

    def of_kind(self, kind: str, namespace: str | None = None) -> Iterator[Mapping[str, Any]]:
        yield from self._index().get((kind, namespace), [])

    @property
    def csi(self) -> CsiFacts:
        facts: CsiFacts = self.cached("csi", lambda: csi_facts(self.objects))
        return facts


def _meta(o: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = o.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


@dataclass(frozen=True)
class CsiFacts:
    sync_enabled: bool | None
    token_audiences: tuple[str, ...] | None


def csi_facts(objects: Sequence[Mapping[str, Any]]) -> CsiFacts:
    """Whether the driver syncs Secrets and which token audiences it requests, from the objects its chart made.

    No CSIDriver object means no driver (or none visible): both facts are then unknown. Audiences come from the
    CSIDriver's ``spec.tokenRequests`` (chart 1.6.0 templates/csidriver.yaml, from the ``tokenRequests`` value).
    """
    driver = next((o for o in objects if o.get("kind") == "CSIDriver" and _meta(o).get("name") == CSI_DRIVER), None)
    if driver is None:
        return CsiFacts(None, None)
    requests = (driver.get("spec") or {}).get("tokenRequests") or []
    audiences = tuple(str(r.get("audience", "")) for r in requests if isinstance(r, Mapping))
    synced = any(o.get("kind") == "ClusterRole" and _meta(o).get("name") == SYNC_CLUSTER_ROLE for o in objects)
    return CsiFacts(synced, audiences)
