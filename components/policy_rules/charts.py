"""Rules on the charts we install and the custom resources they serve: CSI driver rotation and sync, polling
intervals, served CRD versions and the order of CRD objects after their release."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from components.conventions import (
    CSI_ADDON,
    CSI_AWS_PROVIDER_CHART,
    CSI_DRIVER_CHART,
    EKS_ADDON,
    ESO_CHART,
    HELM_RELEASE,
)
from components.policy_rules.rule import resource_rule, stack_rule
from components.policy_rules.view import ResourceView, api, get, is_kind, items, mapping, opaque
from components.validation import parse_go_duration

HELM_CHART = "kubernetes:helm.sh/v4:Chart"


_HELM = (HELM_RELEASE, HELM_CHART)


# The CRD-backed kinds (group, kind; any version) that must wait for the release that installs their CRD.
_CSI_GROUP = "secrets-store.csi.x-k8s.io"


_ESO_GROUP = "external-secrets.io"


_CSI_CRD_KINDS = {(_CSI_GROUP, "SecretProviderClass")}


_ESO_CRD_KINDS = {(_ESO_GROUP, kind) for kind in
                  ("ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret", "PushSecret")}


SERVED_CRD_VERSIONS: Mapping[str, tuple[str, ...]] = {
    _CSI_GROUP: ("v1", "v1alpha1"),
    _ESO_GROUP: ("v1",),
}
"""The versions the API server serves for the custom resources of the charts we pin (the CSI driver chart 1.6.0
serves v1 and v1alpha1; the External Secrets chart 2.9.0 serves only v1, ``v1beta1`` is in its CRDs with
``served: false``). A test checks this against the CRDs vendored under ``reference/``."""


_CHART_ARCHIVE = re.compile(r"^(?P<name>.+?)-v?\d+\.\d+\.\d+[^/]*\.tgz$")


def _chart(release: ResourceView) -> str:
    """The chart's name, however it is given: ``repo/chart``, ``oci://host/path/chart`` or the URL of its archive
    (``https://host/charts/secrets-store-csi-driver-1.6.0.tgz``, as ``helm install`` accepts)."""
    chart = release.props.get("chart")
    if not isinstance(chart, str):
        return ""
    last = chart.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    archive = _CHART_ARCHIVE.match(last)
    return archive["name"] if archive else last.removesuffix(".tgz")


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        below = merged.get(key)
        merged[key] = _merged(below, value) if isinstance(below, Mapping) and isinstance(value, Mapping) else value
    return merged


def _asset_text(asset: object) -> str | None:
    """The text of a ``StringAsset``, or of the file a ``FileAsset`` names (both SDKs deserialize assets so)."""
    text = getattr(asset, "text", None)
    if isinstance(text, str):
        return text
    path = getattr(asset, "path", None)
    try:
        return Path(path).read_text(encoding="utf-8") if isinstance(path, str) else None
    except (OSError, UnicodeDecodeError):
        return None  # Helm fails on it at deployment; nothing here to judge


def _values(release: ResourceView) -> Mapping[str, Any]:
    """The release's values as Helm sees them: ``valueYamlFiles`` in order, then ``values`` over them."""
    merged: Mapping[str, Any] = {}
    for asset in items(release.props.get("valueYamlFiles")):
        text = _asset_text(asset)
        try:
            document = yaml.safe_load(text) if text else None
        except yaml.YAMLError:
            document = None
        merged = _merged(merged, mapping(document))
    return _merged(merged, mapping(release.props.get("values")))


def _bundles_csi_driver(release: ResourceView) -> bool:
    # The AWS provider chart installs the driver (and its CRDs) unless `secrets-store-csi-driver.install` is false.
    return get(_values(release), CSI_DRIVER_CHART, "install") is not False


def _installs_csi_driver(r: ResourceView) -> bool:
    if r.type in _HELM:
        chart = _chart(r)
        return chart == CSI_DRIVER_CHART or (chart == CSI_AWS_PROVIDER_CHART and _bundles_csi_driver(r))
    return r.type == EKS_ADDON and r.props.get("addonName") == CSI_ADDON


def _installs_external_secrets(r: ResourceView) -> bool:
    return r.type in _HELM and _chart(r) == ESO_CHART


def _csi_driver_values(release: ResourceView) -> Mapping[str, Any] | None:
    """The driver's own values of a release that installs the driver; None for any other resource."""
    if release.type not in _HELM:
        return None
    chart = _chart(release)
    if chart == CSI_DRIVER_CHART:
        return _values(release)
    if chart == CSI_AWS_PROVIDER_CHART and _bundles_csi_driver(release):
        return mapping(_values(release).get(CSI_DRIVER_CHART))
    return None


@resource_rule("csi-driver-rotation", "The Secrets Store CSI driver rotates mounted secrets.", "mandatory", "medium",
               "Set enableSecretRotation: true and a rotationPollInterval (SecretsStoreCsiDriver does).")
def csi_driver_rotation(r: ResourceView) -> list[str]:
    values = _csi_driver_values(r)
    if values is None or opaque(values.get("enableSecretRotation")):
        return []
    if values.get("enableSecretRotation") is not True:
        prefix = f"{CSI_DRIVER_CHART}." if _chart(r) == CSI_AWS_PROVIDER_CHART else ""
        return [f"Secrets Store CSI driver does not rotate mounted secrets (chart default: off): set "
                f"values {prefix}enableSecretRotation: true and a rotationPollInterval"]
    return []


_SHORTEST_POLL_SECONDS = 60.0
"""Below a minute, a rotation poll or refresh (one Secrets Manager call per mounted object per pod) costs more than
it buys and risks throttling; AWS suggests about an hour, our default is two minutes."""


@resource_rule("secret-polling-interval", "Secret rotation polls and refreshes are a minute apart or more.",
               "advisory", "low", "Poll every 2m or more; AWS suggests about 1h.")
def secret_polling_interval(r: ResourceView) -> list[str]:
    """A CSI rotation poll or an ExternalSecret refresh of seconds: legal, but each poll calls Secrets Manager."""
    values = _csi_driver_values(r)
    if values is not None:
        field, interval = "rotationPollInterval", values.get("rotationPollInterval")
    elif is_kind(r, {(_ESO_GROUP, "ExternalSecret"), (_ESO_GROUP, "ClusterExternalSecret")}):
        field, interval = "refreshInterval", get(r.props, "spec", "refreshInterval")
    else:
        return []
    try:
        seconds = parse_go_duration(interval, field)
    except ValueError:
        return []  # unset (the chart's or the operator's default) or refused elsewhere
    if seconds < _SHORTEST_POLL_SECONDS:
        return [f"{field} {interval!r} polls Secrets Manager more than once a minute per mounted object and pod "
                f"(cost, throttling): use 2m or more (AWS suggests about 1h)"]
    return []


@stack_rule("served-api-versions", "Custom resources use a version their CRD serves.", "mandatory", "high",
            "Use the version the pinned chart serves (SERVED_CRD_VERSIONS).")
def served_api_versions(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """A custom resource in a version its CRD does not serve: the API server refuses it ("no matches for kind")."""
    found = []
    for r in resources:
        group, version, kind = api(r.type)
        served = SERVED_CRD_VERSIONS.get(group) if r.type.startswith("kubernetes:") else None
        if served is not None and version not in served:
            found.append((r.urn, f"{kind} uses {group}/{version}, which the installed CRD does not serve: use "
                                 f"{group}/{served[0]}"))
    return found


def _dependency_closure(r: ResourceView, by_urn: Mapping[str, ResourceView]) -> set[str]:
    seen: set[str] = set()
    pending = list(r.dependencies)
    while pending:
        urn = pending.pop()
        if urn not in seen:
            seen.add(urn)
            dependency = by_urn.get(urn)
            if dependency is not None:
                pending.extend(dependency.dependencies)
    return seen


@stack_rule("crd-objects-depend-on-release",
            "SecretProviderClass, ExternalSecret and SecretStore objects depend on the release of their CRD.",
            "mandatory", "high",
            "Add the release that installs the CRD to depends_on (the backend's crd_dependencies).")
def crd_objects_depend_on_release(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """A custom resource created before its CRD fails with "no matches for kind" on a fresh cluster."""
    by_urn = {r.urn: r for r in resources}
    found = []
    for r in resources:
        if is_kind(r, _CSI_CRD_KINDS):
            installs, what = _installs_csi_driver, f"the {CSI_DRIVER_CHART} release"
        elif is_kind(r, _ESO_CRD_KINDS):
            installs, what = _installs_external_secrets, f"the {ESO_CHART} release"
        else:
            continue
        closure = _dependency_closure(r, by_urn)
        if not any(installs(by_urn[urn]) for urn in closure if urn in by_urn):
            kind = r.type.rsplit(":", 1)[-1]
            found.append((r.urn, f"{kind} does not depend on {what} that installs its CRD: add it to depends_on"))
    return found


@stack_rule("synced-secrets-need-sync", "Synced Kubernetes Secrets have syncSecret enabled in the driver.",
            "mandatory", "high",
            "Set syncSecret.enabled: true in the driver values (SecretsStoreCsiDriver sync_secret=True), with the "
            "Helm charts rather than the EKS add-on.")
def synced_secrets_need_sync(resources: Sequence[ResourceView]) -> list[tuple[str, str]]:
    """A SecretProviderClass with ``secretObjects`` needs the driver's ``syncSecret.enabled`` (chart default off).

    The EKS add-on does not pass ``syncSecret.enabled`` to the driver (aws/secrets-store-csi-driver-provider-aws
    issue 597), so its synced Secrets never appear either.
    """
    by_urn = {r.urn: r for r in resources}
    found = []
    for r in resources:
        if not is_kind(r, _CSI_CRD_KINDS) or not items(get(r.props, "spec", "secretObjects")):
            continue
        for urn in sorted(_dependency_closure(r, by_urn)):
            installer = by_urn.get(urn)
            if installer is None or not _installs_csi_driver(installer):
                continue
            if installer.type == EKS_ADDON:
                found.append((r.urn, "SecretProviderClass syncs Kubernetes Secrets but the driver comes from the EKS "
                                     "add-on, which never enables syncSecret: install the Helm charts instead"))
                continue
            values = _csi_driver_values(installer) or {}
            enabled = get(values, "syncSecret", "enabled")
            if enabled is not True and not opaque(enabled):
                found.append((r.urn, f"SecretProviderClass syncs Kubernetes Secrets but release {installer.name} "
                                     f"does not enable them (chart default: off): set values syncSecret.enabled: "
                                     f"true"))
    return found
