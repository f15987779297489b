"""The pulumi-policy wrappers of the rules (policy/pack.py)."""

from __future__ import annotations

from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components.conventions import CONFIG_MAP, IAM_ROLE, KMS_KEY, KUBERNETES_PROVIDER, SECRET_PROVIDER_CLASS
from components.policy_rules import (
    RULES,
    UNKNOWN,
    ResourceView,
    StackRule,
)
from policy.pack import plain, policies, view_of_args, view_of_resource
from tests.conftest import ROOT
from tests.policy_rules.helpers import DEFAULT_PROVIDER, PROVIDER, driver_values, release, urn, view


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def provider_resource(provider_urn: str) -> PolicyProviderResource:
    return PolicyProviderResource(KUBERNETES_PROVIDER, {}, provider_urn, provider_urn.rsplit("::", 1)[-1])


def test_plain_replaces_unknowns_and_keeps_known_values() -> None:
    proxied = unknown_checking_proxy({"a": UNKNOWN_STRING_VALUE, "b": [1, UNKNOWN_STRING_VALUE], "c": {"d": True}})
    assert plain(proxied) == {"a": UNKNOWN, "b": [1, UNKNOWN], "c": {"d": True}}


def test_view_of_args_maps_every_field() -> None:
    resource_urn = urn(KMS_KEY, "key", "prod")
    args = ResourceValidationArgs(KMS_KEY, unknown_checking_proxy({"enableKeyRotation": True}), resource_urn,
                                  "key", options(protect=True), None)
    assert view_of_args(args) == ResourceView(urn=resource_urn, type=KMS_KEY, name="key",
                                              props={"enableKeyRotation": True}, provider=None, protect=True,
                                              stack="prod")


def collect() -> tuple[list[tuple[str, str | None]], Any]:
    reported: list[tuple[str, str | None]] = []

    def report_violation(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    return reported, report_violation


def by_name(name: str) -> Any:
    return next(p for p in policies() if p.name == name)


def test_resource_policy_reports_the_rule_messages() -> None:
    reported, report_violation = collect()
    args = ResourceValidationArgs(KMS_KEY, unknown_checking_proxy({"enableKeyRotation": False}),
                                  urn(KMS_KEY, "key"), "key", options(), None)
    by_name("kms-key-rotation").validate(args, report_violation)
    assert reported == [("KMS key does not rotate: set enableKeyRotation: true (enable_key_rotation=True)", None)]


def test_resource_policy_skips_a_trust_policy_unknown_during_preview() -> None:
    reported, report_violation = collect()
    args = ResourceValidationArgs(IAM_ROLE, unknown_checking_proxy({"assumeRolePolicy": UNKNOWN_STRING_VALUE}),
                                  urn(IAM_ROLE, "role"), "role", options(), None)
    by_name("irsa-trust-pinned").validate(args, report_violation)
    assert reported == []


def policy_resource(view_: ResourceView, dependencies: list[PolicyResource] | None = None) -> PolicyResource:
    provider = provider_resource(view_.provider) if view_.provider else None
    return PolicyResource(view_.type, unknown_checking_proxy(dict(view_.props)), view_.urn, view_.name, options(),
                          provider, None, dependencies or [], {})


def test_view_of_resource_keeps_dependencies_and_provider() -> None:
    driver = policy_resource(release("secrets-store-csi-driver", driver_values()))
    spc = policy_resource(view(SECRET_PROVIDER_CLASS, {"spec": {}}, name="spc"), [driver])
    assert view_of_resource(spc) == ResourceView(
        urn=urn(SECRET_PROVIDER_CLASS, "spc"), type=SECRET_PROVIDER_CLASS, name="spc", props={"spec": {}},
        provider=PROVIDER, dependencies=(driver.urn,), stack="dev")


def test_stack_policy_reports_each_violation_with_its_urn() -> None:
    reported, report_violation = collect()
    config_map = view(CONFIG_MAP, {}, name="cm", provider=DEFAULT_PROVIDER)
    args = StackValidationArgs([policy_resource(config_map), policy_resource(view(CONFIG_MAP, {}))])
    by_name("kubernetes-explicit-provider").validate(args, report_violation)
    assert reported == [("Kubernetes resource uses the default provider (the ambient kubeconfig): pass the cluster's "
                         "provider, opts=ResourceOptions(providers={'kubernetes': provider})", config_map.urn)]


def test_policies_wrap_every_rule_with_its_enforcement() -> None:
    wrapped = policies()
    assert [(p.name, p.description, p.enforcement_level) for p in wrapped] == [
        (r.name, r.description, EnforcementLevel.MANDATORY if r.mandatory else EnforcementLevel.ADVISORY)
        for r in RULES
    ]
    assert [isinstance(p, StackValidationPolicy) for p in wrapped] == [
        isinstance(r, StackRule) for r in RULES
    ]
    assert all(isinstance(p, ResourceValidationPolicy | StackValidationPolicy) for p in wrapped)


def test_policies_carry_severity_remediation_and_config_schema() -> None:
    for policy, rule in zip(policies(), RULES, strict=True):
        assert (policy.severity, policy.remediation_steps) == (Severity(rule.severity), rule.remediation)
        if rule.config_schema:
            assert isinstance(policy.config_schema, PolicyConfigSchema)
            assert policy.config_schema.properties == rule.config_schema
        else:
            assert policy.config_schema is None
    assert by_name("prod-protected").config_schema.properties["protectedStacks"]["default"] == ["prod"]


def test_policy_config_chooses_the_protected_stacks() -> None:
    """pulumi-policy hands each policy its config (``get_config()``, with ``enforcementLevel`` beside it); the
    rule reads ``protectedStacks`` from it and the schema's default otherwise."""
    def check(config: dict[str, Any] | None) -> list[tuple[str, str | None]]:
        reported, report_violation = collect()
        args = ResourceValidationArgs(KMS_KEY, unknown_checking_proxy({"enableKeyRotation": True}),
                                      urn(KMS_KEY, "key", stack="dr"), "key", options(), None, config)
        by_name("prod-protected").validate(args, report_violation)
        return reported

    assert check(None) == []
    assert check({"enforcementLevel": "mandatory", "protectedStacks": ["dr"]}) == [
        ("KMS key in stack dr is not protected: set protect (cluster.protect) so that no destroy or replacement "
         "loses the key or every Secret it encrypts", None)]


def test_pack_runs_in_a_python_virtualenv_of_its_own() -> None:
    project = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}


def test_pack_installs_the_project_pins_with_pulumi_policy() -> None:
    lines = [line for line in (ROOT / "policy" / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines == ["-r ../requirements.txt"]
    assert "pulumi-policy==1.21.0" in (ROOT / "requirements.txt").read_text().splitlines()
