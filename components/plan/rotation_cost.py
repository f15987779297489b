"""What rotation and refresh cost: the Secrets Manager and SSM calls a plan's workloads would make, and their price.

Read from the plan itself (the driver's values, the SecretProviderClasses and the Deployments that mount them, the
ExternalSecrets and their stores), so it estimates what would be deployed, not what the settings meant. The call
model follows the upstream sources:

- Secrets Store CSI AWS provider (aws/secrets-store-csi-driver-provider-aws tag 3.1.1): on every rotation poll, for
  every pod that mounts a class, ``provider/secrets_manager_provider.go`` calls ``DescribeSecret`` per Secrets
  Manager object and region (``fetchSecretManagerValue`` asks every region, the failover one too) and
  ``GetSecretValue`` only when the version changed; ``provider/parameter_store_provider.go`` calls one
  ``GetParameters`` per batch of ten parameters and region. Fetches after a rotation are left out: one per
  rotated secret and pod, negligible beside the polls.
- External Secrets Operator (tag v2.9.0): on every refresh of an ExternalSecret, ``providers/v1/aws/secretsmanager``
  calls ``GetSecretValue`` once per distinct secret (cached within the refresh) and
  ``providers/v1/aws/parameterstore`` calls ``GetParameter`` once per data entry, however many pods read it.
"""

from __future__ import annotations

import contextvars
import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired

import yaml
from pydantic import with_config

# pydantic reads TypedDicts from typing_extensions only before Python 3.12.
from typing_extensions import TypedDict

from components.conventions import (
    CSI_DRIVER_CHART,
    DEPLOYMENT,
    EXTERNAL_SECRET,
    HELM_RELEASE,
    SECRET_PROVIDER_CLASS,
    SECRET_STORE,
)
from components.plan.engine import Plan, RecordedResource
from components.policy_rules import Violation
from components.validation import STACK_FILE_FORM, SettingsError, parse_go_duration

__all__ = ["HOURS_PER_MONTH", "ROTATION_COST_DEFAULTS", "STACK_PRICES", "AppRotationCost", "RotationCost",
           "RotationCostArgs", "RotationCostSettings", "check_amount", "estimate_rotation_cost",
           "rotation_cost_settings"]

HOURS_PER_MONTH = 730
"""The month AWS prices by (8,760 hours a year / 12)."""


@dataclass(frozen=True)
class RotationCostSettings:
    """The prices of the plan's rotation estimate and its advisory threshold (a stack's
    ``secretDelivery.rotationCost``)."""

    secrets_manager_usd_per_10k_calls: float
    ssm_usd_per_10k_calls: float
    advisory_usd_per_month: float


@with_config(STACK_FILE_FORM)
class RotationCostArgs(TypedDict):
    """The prices a stack file may set (``secretDelivery.rotationCost``), each in USD."""

    secrets_manager_usd_per_10k_calls: NotRequired[float]
    """Secrets Manager price per 10,000 API calls (AWS pricing page), for the plan's rotation estimate.
    Omitted: 0.05."""
    ssm_usd_per_10k_calls: NotRequired[float]
    """Parameter Store price per 10,000 API calls: free at standard throughput, 0.05 with higher throughput.
    Omitted: 0."""
    advisory_usd_per_month: NotRequired[float]
    """The plan raises the advisory violation ``rotation-cost`` above this estimate. Omitted: 10."""


def check_amount(value: object, setting: str) -> float:
    """Return ``value`` if it is an amount in USD (a number, 0 or more)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SettingsError(setting, value, "is not an amount in USD (a number, 0 or more)")
    return float(value)


ROTATION_COST_DEFAULTS = RotationCostSettings(
    # AWS Secrets Manager pricing: USD 0.05 per 10,000 API calls.
    secrets_manager_usd_per_10k_calls=0.05,
    # Parameter Store: API calls are free at standard throughput; USD 0.05 per 10,000 with higher throughput.
    ssm_usd_per_10k_calls=0.0,
    advisory_usd_per_month=10.0,
)

def rotation_cost_settings(args: RotationCostArgs) -> RotationCostSettings:
    """The prices that a stack file sets, the defaults for those it omits."""
    return dataclasses.replace(ROTATION_COST_DEFAULTS, **args)


STACK_PRICES: contextvars.ContextVar[list[RotationCostSettings] | None] = contextvars.ContextVar(
    "eks_config_secrets_stack_prices", default=None)
"""Set by the offline plan to a list where the stack program's settings put the prices that the stack file sets:
the plan estimates with them (and with :data:`ROTATION_COST_DEFAULTS` when a program sets none)."""

_SSM_BATCH = 10  # GetParameters takes at most ten names (the provider's batchSize).


@dataclass(frozen=True)
class AppRotationCost:
    app: str
    """``<namespace>/<Deployment>`` (CSI) or ``<namespace>/<ExternalSecret>`` (ESO)."""
    backend: str
    secretsmanager_calls_per_hour: float
    ssm_calls_per_hour: float

    @property
    def calls_per_hour(self) -> float:
        return self.secretsmanager_calls_per_hour + self.ssm_calls_per_hour


@dataclass(frozen=True)
class RotationCost:
    by_app: tuple[AppRotationCost, ...]
    prices: RotationCostSettings

    @property
    def calls_per_hour(self) -> float:
        return sum(a.calls_per_hour for a in self.by_app)

    def usd_per_month(self, app: AppRotationCost | None = None) -> float:
        apps = self.by_app if app is None else (app,)
        return sum(HOURS_PER_MONTH / 10_000 * (a.secretsmanager_calls_per_hour
                                               * self.prices.secrets_manager_usd_per_10k_calls
                                               + a.ssm_calls_per_hour * self.prices.ssm_usd_per_10k_calls)
                   for a in apps)

    def as_json(self) -> dict[str, Any]:
        return {
            "calls_per_hour": round(self.calls_per_hour, 2),
            "calls_per_month": round(self.calls_per_hour * HOURS_PER_MONTH),
            "usd_per_month": round(self.usd_per_month(), 2),
            "usd_per_10k_calls": {"secretsmanager": self.prices.secrets_manager_usd_per_10k_calls,
                                  "ssm": self.prices.ssm_usd_per_10k_calls},
            "advisory_usd_per_month": self.prices.advisory_usd_per_month,
            "by_app": [{
                "app": a.app,
                "backend": a.backend,
                "secretsmanager_calls_per_hour": round(a.secretsmanager_calls_per_hour, 2),
                "ssm_calls_per_hour": round(a.ssm_calls_per_hour, 2),
                "calls_per_hour": round(a.calls_per_hour, 2),
                "calls_per_month": round(a.calls_per_hour * HOURS_PER_MONTH),
                "usd_per_month": round(self.usd_per_month(a), 2),
            } for a in self.by_app],
        }

    def summary(self) -> str:
        return (f"rotation cost: {self.calls_per_hour:,.1f} Secrets Manager and SSM calls/hour, "
                f"{self.calls_per_hour * HOURS_PER_MONTH:,.0f}/month, about USD {self.usd_per_month():,.2f}/month "
                f"(USD {self.prices.secrets_manager_usd_per_10k_calls:g} per 10,000 Secrets Manager calls, "
                f"{self.prices.ssm_usd_per_10k_calls:g} per 10,000 SSM calls: secretDelivery.rotationCost)")

    def violations(self, stack_urn: str) -> list[Violation]:
        """The advisory ``rotation-cost`` violation above ``advisory_usd_per_month``, naming the costliest app."""
        if self.usd_per_month() <= self.prices.advisory_usd_per_month:
            return []
        top = max(self.by_app, key=self.usd_per_month)
        return [Violation(
            "rotation-cost", stack_urn,
            f"rotation and refresh would cost about USD {self.usd_per_month():,.2f} a month, above "
            f"secretDelivery.rotationCost.advisoryUsdPerMonth ({self.prices.advisory_usd_per_month:g}); most from "
            f"{top.app} ({top.calls_per_hour:,.0f} calls/hour): poll less often (AWS suggests rotationPollInterval "
            f"1h) or raise the threshold", mandatory=False, severity="low",
            remediation="Poll less often (AWS suggests rotationPollInterval 1h), or raise "
                        "secretDelivery.rotationCost.advisoryUsdPerMonth when the cost is meant.")]


def _per_hour(interval: object, setting: str) -> float:
    try:
        return 3600 / parse_go_duration(interval, setting)
    except SettingsError:
        return 0.0  # An interval the plan cannot see (unknown, or a secret): counted as no polling.


def _csi_polls_per_hour(plan: Plan) -> float:
    for release in plan.find(HELM_RELEASE):
        values = release.inputs.get("values") or {}
        if str(release.inputs.get("chart", "")).rsplit("/", 1)[-1] == CSI_DRIVER_CHART and isinstance(values, Mapping):
            if values.get("enableSecretRotation") is not True:
                return 0.0
            return _per_hour(values.get("rotationPollInterval"), "rotationPollInterval")
    return 0.0


def _class_calls(spc: RecordedResource) -> tuple[float, float]:
    """(DescribeSecret, GetParameters) calls of one pod's poll of this class."""
    parameters = spc.inputs.get("spec", {}).get("parameters", {})
    regions = 2 if parameters.get("failoverRegion") else 1
    objects = yaml.safe_load(parameters.get("objects") or "[]") or []
    types = [o.get("objectType") or ("ssmparameter" if ":ssm:" in o.get("objectName", "") else "secretsmanager")
             for o in objects]
    secrets = sum(t == "secretsmanager" for t in types)
    parameter_batches = math.ceil(sum(t == "ssmparameter" for t in types) / _SSM_BATCH)
    return secrets * regions, parameter_batches * regions


def _csi_costs(plan: Plan) -> list[AppRotationCost]:
    polls = _csi_polls_per_hour(plan)
    classes = {(s.inputs["metadata"].get("namespace"), s.inputs["metadata"].get("name")): s
               for s in plan.find(SECRET_PROVIDER_CLASS)}
    costs = []
    for deployment in plan.find(DEPLOYMENT):
        metadata = deployment.inputs.get("metadata", {})
        namespace = metadata.get("namespace")
        spec = deployment.inputs.get("spec", {})
        replicas = spec.get("replicas", 1)
        describe = get_parameters = 0.0
        for volume in spec.get("template", {}).get("spec", {}).get("volumes", []):
            name = (volume.get("csi") or {}).get("volumeAttributes", {}).get("secretProviderClass")
            if (namespace, name) in classes:
                sm, ssm = _class_calls(classes[(namespace, name)])
                describe, get_parameters = describe + sm, get_parameters + ssm
        if describe or get_parameters:
            costs.append(AppRotationCost(f"{namespace}/{metadata.get('name')}", "csi",
                                         describe * replicas * polls, get_parameters * replicas * polls))
    return costs


def _eso_costs(plan: Plan) -> list[AppRotationCost]:
    services = {}
    for store in plan.find(SECRET_STORE):
        metadata = store.inputs.get("metadata", {})
        aws = store.inputs.get("spec", {}).get("provider", {}).get("aws") or {}
        services[(metadata.get("namespace"), metadata.get("name"))] = aws.get("service")
    costs = []
    for external in plan.find(EXTERNAL_SECRET):
        metadata = external.inputs.get("metadata", {})
        namespace, spec = metadata.get("namespace"), external.inputs.get("spec", {})
        refreshes = _per_hour(spec.get("refreshInterval"), "refreshInterval")
        default_store = spec.get("secretStoreRef", {}).get("name")
        secrets: set[tuple[str, str]] = set()
        parameters = 0
        for entry in spec.get("data", []):
            store = ((entry.get("sourceRef") or {}).get("storeRef") or {}).get("name", default_store)
            service = services.get((namespace, store))
            if service == "SecretsManager":
                secrets.add((store, entry.get("remoteRef", {}).get("key")))
            elif service == "ParameterStore":
                parameters += 1
        if secrets or parameters:
            costs.append(AppRotationCost(f"{namespace}/{metadata.get('name')}", "external-secrets",
                                         len(secrets) * refreshes, parameters * refreshes))
    return costs


def estimate_rotation_cost(plan: Plan, prices: RotationCostSettings) -> RotationCost:
    """The calls every workload of ``plan`` would make per hour to keep its secrets current, and their price."""
    apps: Sequence[AppRotationCost] = sorted(_csi_costs(plan) + _eso_costs(plan), key=lambda a: a.app)
    return RotationCost(tuple(apps), prices)
