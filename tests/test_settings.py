"""stack_program/settings.py: every class of bad setting fails with one message naming the key and the fix."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await

from components.app_secrets import AppSecretArgs
from components.cluster import (
    DEFAULT_ENDPOINT_PRIVATE_ACCESS,
    DEFAULT_ENDPOINT_PUBLIC_ACCESS,
    DEFAULT_KMS_DELETION_WINDOW_DAYS,
    SUPPORT_TYPES,
)
from components.csi_driver import DEFAULT_ROTATION_POLL_INTERVAL, DEFAULT_SYNC_SECRET
from components.encryption_key import DEFAULT_PROTECT
from components.environment import POD_SECURITY_LEVELS
from components.plan import offline as offline_module
from components.plan.offline import UNSET_SECRETS, offline_placeholder
from components.secret_data import check_tls_pair, tls_secret_data
from components.validation import (
    REQUIRED_LOG_TYPES,
    MissingSettingError,
    SettingsError,
    SettingsErrors,
    StackSection,
    stack_key,
)
from stack_program.settings import StackSettings, parse_settings
from tests.conftest import ROOT, STACKS, stack_values
from tests.test_secret_data import tls_pair

CERTIFICATE, PRIVATE_KEY = tls_pair()
SECRETS = {"apiToken": "token-value", "tlsCertificate": CERTIFICATE, "tlsPrivateKey": PRIVATE_KEY,
           "registryPassword": "pw", "checksumKey": "k" * 32}


def parse(values: dict[str, Any], stack: str = "dev", offline: bool = True, **kwargs: Any) -> StackSettings:
    """``values`` read as `pulumi up` reads them, or (``offline``) as the offline plan does."""
    with offline_module.offline() if offline else contextlib.nullcontext():
        return parse_settings(values, stack=stack, region=kwargs.pop("region", "eu-west-1"),
                              project_dir=kwargs.pop("project_dir", ROOT), **kwargs)


def error_of(values: dict[str, Any], **kwargs: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        parse(values, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("stack", STACKS)
def test_every_project_stack_file_is_valid(stack: str) -> None:
    settings = parse(stack_values(stack), stack=stack)
    assert settings.environments[0]["environment"] == stack
    assert settings.cluster["cluster_name"] == f"ecs-{stack}"


def test_protect_has_the_components_default_and_disposable_stacks_turn_it_off(dev_values: dict[str, Any]) -> None:
    # Omitted, the component's own default applies: the stack program has none of its own.
    assert "protect" not in parse(stack_values("prod"), stack="prod").cluster and DEFAULT_PROTECT is True
    assert parse(stack_values("dev"), stack="dev").cluster["protect"] is False
    del dev_values["cluster"]["protect"]
    assert "protect" not in parse(dev_values, stack="dev").cluster


def test_support_type_defaults_to_standard_and_refuses_others(dev_values: dict[str, Any]) -> None:
    assert "support_type" not in parse(dev_values).cluster and SUPPORT_TYPES[0] == "STANDARD"
    dev_values["cluster"]["supportType"] = "extended"
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.supportType 'extended' is not one of: STANDARD, EXTENDED"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_reference_stacks_keep_the_api_endpoint_private(stack: str) -> None:
    """A documentation CIDR such as 203.0.113.0/24 holds no CI runner: the cluster would be created and every
    Kubernetes resource would then fail to connect. The reference stacks are reached from inside the VPC."""
    cluster = parse(stack_values(stack), stack=stack).cluster
    assert (cluster.get("endpoint_public_access", DEFAULT_ENDPOINT_PUBLIC_ACCESS),
            cluster.get("endpoint_private_access", DEFAULT_ENDPOINT_PRIVATE_ACCESS),
            cluster.get("public_access_cidrs", [])) == (False, True, [])


def test_defaults_are_the_secure_choices(dev_values: dict[str, Any]) -> None:
    del dev_values["secretDelivery"]
    dev_values["cluster"] = {k: v for k, v in dev_values["cluster"].items()
                             if k in ("clusterName", "vpcId", "subnetIds")}
    settings = parse(dev_values)
    # What a stack file omits is omitted from the components' args: their own defaults apply, and those are these.
    assert set(settings.cluster) == {"cluster_name", "vpc_id", "subnet_ids"} and settings.secret_delivery == {}
    assert "pod_security" not in settings.environments[0]
    assert REQUIRED_LOG_TYPES == ("api", "audit", "authenticator") and DEFAULT_KMS_DELETION_WINDOW_DAYS == 30
    assert (DEFAULT_ENDPOINT_PUBLIC_ACCESS, DEFAULT_ENDPOINT_PRIVATE_ACCESS) == (False, True)
    # AWS's suggested hour, not the seed's 2m: every poll costs a DescribeSecret per mounted secret and pod.
    assert (DEFAULT_SYNC_SECRET, DEFAULT_ROTATION_POLL_INTERVAL) == (True, "1h")
    assert POD_SECURITY_LEVELS[0] == "restricted"


def test_unknown_top_level_key_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["enviroments"] = []
    assert error_of(dev_values) == (
        "eks-config-secrets:enviroments '<set>' is not a known setting (known: cluster, secretDelivery, "
        "environments, apps, and the secret settings that environments[].kubernetesSecrets refer to)"
    )


def test_unknown_nested_key_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["secretDelivery"]["csi"]["rotationPollIntreval"] = "2m"
    assert error_of(dev_values) == (
        "eks-config-secrets:secretDelivery.csi.rotationPollIntreval '2m' is not a known setting "
        "(known: install, syncSecret, enableSecretRotation, rotationPollInterval)"
    )


def test_namespace_must_be_a_dns1123_label(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["name"] = "Prod_1"
    assert error_of(dev_values) == (
        "eks-config-secrets:environments[0].name 'Prod_1' is not a DNS-1123 label (at most 63 lowercase letters, "
        "digits and '-', starting and ending with a letter or digit)"
    )


def test_malformed_principal_arn_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["accessEntries"][0]["principalArn"] = "arn:aws:iam:123456789012:role/admins"
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.accessEntries[0].principalArn 'arn:aws:iam:123456789012:role/admins' is not "
        "a valid iam ARN (expected arn:aws:iam::<12-digit account>:<resource>...)"
    )


def test_kms_key_arn_must_name_a_key(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["kmsKeyArn"] = "arn:aws:kms:eu-west-1:123456789012:alias/eks"
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.kmsKeyArn 'arn:aws:kms:eu-west-1:123456789012:alias/eks' is not a valid kms ARN "
        "(expected arn:aws:kms:<region>:<12-digit account>:key/...)"
    )


@pytest.mark.parametrize("window", [6, 31, "30"])
def test_deletion_window_must_be_7_to_30_days(dev_values: dict[str, Any], window: object) -> None:
    dev_values["cluster"]["kmsDeletionWindowDays"] = window
    assert error_of(dev_values) == (
        f"eks-config-secrets:cluster.kmsDeletionWindowDays {window!r} is not a whole number of days from 7 to 30"
    )


@pytest.mark.parametrize("interval", ["2", "two minutes", "-1m", "0s", "5d"])
def test_rotation_poll_interval_must_be_a_go_duration(dev_values: dict[str, Any], interval: str) -> None:
    dev_values["secretDelivery"]["csi"]["rotationPollInterval"] = interval
    assert error_of(dev_values) == (
        f"eks-config-secrets:secretDelivery.csi.rotationPollInterval {interval!r} is not a Go duration "
        "(a positive number with a unit: '90s', '2m', '1h30m')"
    )


@pytest.mark.parametrize("interval", ["90s", "2m", "1h30m", "1.5h"])
def test_go_durations_parse(dev_values: dict[str, Any], interval: str) -> None:
    dev_values["secretDelivery"]["csi"]["rotationPollInterval"] = interval
    assert parse(dev_values).secret_delivery["csi"]["rotation_poll_interval"] == interval


def test_log_types_must_include_audit(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["logTypes"] = ["api", "authenticator"]
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.logTypes ['api', 'authenticator'] must include api, audit, authenticator "
        "(missing: audit)"
    )


def test_unknown_log_type_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["logTypes"] = ["api", "audit", "authenticator", "kubelet"]
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.logTypes[3] 'kubelet' is not one of: api, audit, authenticator, "
        "controllerManager, scheduler"
    )


def test_bad_cidr_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["publicAccessCidrs"] = ["203.0.113.7/24"]
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.publicAccessCidrs[0] '203.0.113.7/24' is not a CIDR block such as "
        "'203.0.113.0/24'"
    )


def test_public_endpoint_needs_explicit_cidrs(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["endpointPublicAccess"] = True
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.publicAccessCidrs [] is required when endpointPublicAccess is true: list the "
        "CIDR blocks allowed to reach the API (EKS would otherwise allow 0.0.0.0/0)"
    )


def test_cidrs_without_a_public_endpoint_are_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["publicAccessCidrs"] = ["203.0.113.0/24"]
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.publicAccessCidrs ['203.0.113.0/24'] is set but endpointPublicAccess is false: "
        "enable the public endpoint or remove the CIDRs"
    )


def test_log_retention_must_be_a_cloudwatch_value(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["logRetentionDays"] = 45
    assert error_of(dev_values).startswith(
        "eks-config-secrets:cluster.logRetentionDays 45 is not a CloudWatch Logs retention period (one of 1, 3, 5,"
    )


def test_node_group_sizes_must_be_ordered(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["nodeGroup"]["desiredSize"] = 5
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.nodeGroup.desiredSize 5 is not between minSize 1 and maxSize 3"
    )


def test_missing_required_setting_names_it(dev_values: dict[str, Any]) -> None:
    del dev_values["cluster"]["vpcId"]
    assert error_of(dev_values) == "eks-config-secrets:cluster.vpcId None is required but not set"


def test_missing_top_level_setting_is_named_as_in_the_stack_file(dev_values: dict[str, Any]) -> None:
    del dev_values["cluster"]
    with pytest.raises(MissingSettingError) as caught:
        parse(dev_values)
    assert str(caught.value) == "eks-config-secrets:cluster None is required but not set"


def test_missing_region_says_how_to_set_it(dev_values: dict[str, Any]) -> None:
    assert error_of(dev_values, region=None) == (
        "aws:region None is required: run `pulumi config set aws:region <region>`"
    )


def test_duplicate_config_map_names_are_an_error(dev_values: dict[str, Any]) -> None:
    maps = dev_values["environments"][0]["configMaps"]
    maps.append(dict(maps[0]))
    assert error_of(dev_values) == (
        "eks-config-secrets:environments[0].configMaps[].name 'app-config' is given more than once; "
        "names must be unique"
    )


def test_duplicate_app_names_are_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["apps"].append(dict(dev_values["apps"][1]))
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[].name 'nginx' is given more than once; names must be unique"
    )


def test_app_in_unknown_environment_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][0]["environments"] = ["qa"]
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[0].environments[0] 'qa' is not an environment of this stack (known: dev)"
    )


def test_app_reading_a_missing_config_map_key_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][0]["env"][0]["key"] = "DB_HOST"
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[0].env[0].key 'DB_HOST' is not a key of ConfigMap 'app-config' in environment "
        "'dev'"
    )


def test_app_using_an_unknown_secret_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][1]["secretVolumes"][0]["kubernetesSecret"] = "nginx-tls"
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[1].secretVolumes[0].kubernetesSecret 'nginx-tls' is not a Secret of environment "
        "'dev': add it to its kubernetesSecrets first")


def test_malformed_secret_arn_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][0]["secretSources"][0]["secret"] = "arn:aws:ssm:eu-west-1:123456789012:parameter/db"
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[0].secretSources[0].secret 'arn:aws:ssm:eu-west-1:123456789012:parameter/db' is not a "
        "valid secretsmanager ARN (expected arn:aws:secretsmanager:<region>:<12-digit account>:secret:...)"
    )


def test_missing_config_file_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["configMaps"][1]["files"] = ["config/missing.conf"]
    assert error_of(dev_values) == (
        f"eks-config-secrets:environments[0].configMaps[1].files[0] 'config/missing.conf' is not a file (paths are "
        f"relative to the project directory {ROOT})"
    )


def test_config_file_outside_the_project_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["configMaps"][1]["files"] = ["../../etc/passwd"]
    assert error_of(dev_values) == (
        "eks-config-secrets:environments[0].configMaps[1].files[0] '../../etc/passwd' must be a path inside the "
        "project directory"
    )


def test_config_files_are_read_with_the_file_name_as_key(dev_values: dict[str, Any]) -> None:
    nginx = parse(dev_values).environments[0]["config_maps"][1]
    assert list(nginx["files"]) == ["nginx.conf"]
    assert nginx["files"]["nginx.conf"] == (ROOT / "config" / "nginx.conf").read_text()
    assert nginx["immutable"] is True


def test_config_map_numbers_must_be_quoted(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["configMaps"][0]["data"]["DATABASE_PORT"] = 5432
    assert error_of(dev_values) == (
        "eks-config-secrets:environments[0].configMaps[0].data.DATABASE_PORT 5432 is not a string "
        "(quote numbers and booleans)"
    )


def test_referenced_secret_setting_must_be_set(dev_values: dict[str, Any]) -> None:
    values = {**dev_values, **SECRETS}
    del values["apiToken"]
    assert error_of(values, offline=False, secret_keys=set(SECRETS)) == (
        "eks-config-secrets:apiToken None is not set (referenced by "
        "eks-config-secrets:environments[0].kubernetesSecrets[0].stringDataSettings.API_TOKEN): run "
        "`pulumi config set --secret apiToken <value>`"
    )


def test_referenced_secret_setting_must_be_a_secret(dev_values: dict[str, Any]) -> None:
    values = {**dev_values, **SECRETS}
    message = error_of(values, offline=False, secret_keys=set(SECRETS) - {"registryPassword"})
    assert message == (
        "eks-config-secrets:registryPassword (secret) is committed as plain text but must be a secret (referenced "
        "by eks-config-secrets:environments[0].kubernetesSecrets[2].passwordSetting), which `pulumi up` refuses: "
        "remove it from the "
        "stack file and run `pulumi config set --secret registryPassword <value>`"
    )


@pytest.mark.parametrize("field", ["stringDataSettings.API_TOKEN", "passwordSetting"])
def test_a_secret_pasted_where_a_name_belongs_is_not_echoed(dev_values: dict[str, Any], field: str) -> None:
    secret = dev_values["environments"][0]["kubernetesSecrets"][0 if field.startswith("stringData") else 2]
    if field == "passwordSetting":
        secret["passwordSetting"] = "ghp_Very Secret Token!"
    else:
        secret["stringDataSettings"]["API_TOKEN"] = "ghp_Very Secret Token!"
    message = error_of(dev_values)
    assert "ghp_" not in message and " (secret) is not the name of a secret setting" in message


def test_structured_setting_marked_secret_is_refused_without_its_value(dev_values: dict[str, Any]) -> None:
    """`pulumi config set --path --secret environments[0]...` makes the whole key secret: its content would reach
    ConfigMaps as plain text."""
    message = error_of({**dev_values, **SECRETS}, offline=False, secret_keys={*SECRETS, "environments"})
    assert message.startswith("eks-config-secrets:environments (secret) is a secure value where no secret is expected")
    assert "DATABASE_HOST" not in message


def test_an_environment_with_secrets_needs_a_checksum_key_setting(dev_values: dict[str, Any]) -> None:
    del dev_values["environments"][0]["checksumKeySetting"]
    assert error_of(dev_values) == (
        "eks-config-secrets:environments[0].checksumKeySetting None is required when the environment has Secrets: a "
        "random secret of at least 16 characters keys their checksums; set one as a secret setting and name it here, "
        "e.g. `pulumi config set --secret checksumKey \"$(openssl rand -base64 32)\"`")


def test_checksum_key_must_not_be_a_checksummed_secret(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["checksumKeySetting"] = "apiToken"
    assert error_of(dev_values) == (
        "eks-config-secrets:environments[0].checksumKeySetting 'apiToken' is also a value of Secret 'app-api', whose "
        "checksum it keys (the checksum would then let anyone who reads pods verify guesses of it): use a separate "
        "random secret setting"
    )


def test_offline_plan_collects_unset_secret_settings(dev_values: dict[str, Any]) -> None:
    unset: list[str] = []
    token = UNSET_SECRETS.set(unset)
    try:
        parse({**dev_values, "apiToken": offline_placeholder("eks-config-secrets:apiToken")}, secret_keys={"apiToken"})
    finally:
        UNSET_SECRETS.reset(token)
    assert unset == [f"eks-config-secrets:{k}" for k in ("tlsCertificate", "tlsPrivateKey", "registryPassword",
                                                          "checksumKey")]


def test_secret_settings_become_secret_outputs(dev_values: dict[str, Any]) -> None:
    settings = parse({**dev_values, **SECRETS}, offline=False, secret_keys=set(SECRETS))
    token = settings.environments[0]["secrets"][0]["string_data"]["API_TOKEN"]
    assert isinstance(token, pulumi.Output)
    assert _sync_await(token.is_secret()) is True
    assert _sync_await(token.future()) == "token-value"


def test_offline_secret_settings_are_placeholders(dev_values: dict[str, Any]) -> None:
    token = parse(dev_values).environments[0]["secrets"][0]["string_data"]["API_TOKEN"]
    assert isinstance(token, pulumi.Output)
    placeholder = offline_placeholder("eks-config-secrets:apiToken")
    assert _sync_await(token.future()) == placeholder
    assert _sync_await(token.is_secret()) is True


def test_offline_secret_settings_take_the_stack_files_placeholder(dev_values: dict[str, Any]) -> None:
    placeholder = offline_placeholder("eks-config-secrets:apiToken", "v1:abc")
    settings = parse({**dev_values, "apiToken": placeholder}, secret_keys={"apiToken"})
    token = settings.environments[0]["secrets"][0]["string_data"]["API_TOKEN"]
    assert isinstance(token, pulumi.Output)
    assert _sync_await(token.future()) == placeholder


def test_offline_a_plain_text_secret_setting_is_still_refused(dev_values: dict[str, Any]) -> None:
    message = error_of({**dev_values, "apiToken": "in clear"}, offline=True)
    assert message == (
        "eks-config-secrets:apiToken (secret) is committed as plain text but must be a secret (referenced by "
        "eks-config-secrets:environments[0].kubernetesSecrets[0].stringDataSettings.API_TOKEN), which `pulumi up` "
        "refuses: remove it "
        "from the stack file and run `pulumi config set --secret apiToken <value>`"
    )
    assert "in clear" not in message


def _offline_tls_pair(values: dict[str, Any], **kwargs: Any) -> tuple[str, str]:
    tls = parse(values, **kwargs).environments[0]["secrets"][1]
    certificate, private_key = tls["certificate"], tls["private_key"]
    assert isinstance(certificate, pulumi.Output) and isinstance(private_key, pulumi.Output)
    return _sync_await(certificate.future()), _sync_await(private_key.future())


def test_offline_tls_pair_is_a_valid_pair_derived_from_the_placeholders(dev_values: dict[str, Any]) -> None:
    certificate, key = _offline_tls_pair(dev_values)
    check_tls_pair(certificate, key, "certificate", "key")
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                                  "metadata": {"name": "app-tls", "namespace": "dev"},
                                  "stringData": tls_secret_data(certificate, key)}, "1.33", strict=True)
    changed = {**dev_values, "tlsCertificate": offline_placeholder("eks-config-secrets:tlsCertificate", "v1:new")}
    assert _offline_tls_pair(changed, secret_keys={"tlsCertificate"})[0] != certificate


def test_secret_type_fields_must_match(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["kubernetesSecrets"][1]["stringDataSettings"] = {"a": "apiToken"}
    assert error_of(dev_values) == (
        "eks-config-secrets:environments[0].kubernetesSecrets[1].stringDataSettings {'a': 'apiToken'} does not apply "
        "to a Secret "
        "of type kubernetes.io/tls"
    )


def test_region_sets_the_partition(dev_values: dict[str, Any]) -> None:
    assert parse(dev_values, region="cn-north-1").partition == "aws-cn"
    assert parse(dev_values, region="us-gov-west-1").partition == "aws-us-gov"
    assert parse(dev_values, region="eu-west-1").partition == "aws"


@pytest.mark.parametrize("region", ["us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "eusc-de-east-1"])
def test_region_of_a_partition_the_policies_do_not_cover_is_refused(dev_values: dict[str, Any], region: str) -> None:
    assert error_of(dev_values, region=region) == (
        f"aws:region '{region}' is in an isolated or sovereign partition; regions of aws, aws-cn, aws-us-gov are "
        "supported")


def test_project_dir_is_the_base_of_config_files(dev_values: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "nginx.conf").write_text("events {}\n")
    settings = parse(dev_values, project_dir=tmp_path)
    assert settings.environments[0]["config_maps"][1]["files"] == {"nginx.conf": "events {}\n"}


def test_malformed_region_is_an_error(dev_values: dict[str, Any]) -> None:
    assert error_of(dev_values, region="europe-west") == (
        "aws:region 'europe-west' is not an AWS region code such as 'eu-west-1'")


def test_config_map_file_that_is_not_utf8_is_one_message(dev_values: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "blob.bin").write_bytes(b"ok\xff\xfe")
    dev_values["environments"][0]["configMaps"][1]["files"] = ["config/blob.bin"]
    with pytest.raises(SettingsError) as caught:
        parse(dev_values, project_dir=tmp_path)
    assert str(caught.value) == (
        "eks-config-secrets:environments[0].configMaps[1].files[0] 'config/blob.bin' is not UTF-8 text (byte 2): "
        "a ConfigMap's data holds text"
    )


# --- what AWS or the API server would refuse, refused here first (issue 16) --------------------------------------


def test_config_map_key_the_kubelet_reserves_is_refused(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["configMaps"][0]["data"]["..data"] = "x"
    assert error_of(dev_values).startswith(
        "eks-config-secrets:environments[0].configMaps[0].data...data '..data' is not a valid ConfigMap or Secret key")


def test_secret_key_with_a_slash_is_refused(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["kubernetesSecrets"][0]["stringDataSettings"] = {"a/b": "apiToken"}
    assert "'a/b' is not a valid ConfigMap or Secret key" in error_of(dev_values)


def test_config_map_over_one_mebibyte_is_refused(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["configMaps"][0]["data"]["BIG"] = "x" * (1024 * 1024)
    assert error_of(dev_values).startswith(
        "eks-config-secrets:environments[0].configMaps[0] '1048644 bytes' is over the 1048576 bytes (1 MiB)")


def test_config_map_name_too_long_for_its_checksum_annotation_is_refused(dev_values: dict[str, Any]) -> None:
    name = "c" * 64  # a valid object name (up to 253), but checksum/<name> allows 63 after the slash
    dev_values["environments"][0]["configMaps"][0]["name"] = name
    assert error_of(dev_values).startswith(
        f"eks-config-secrets:environments[0].configMaps[0].name '{name}' makes the annotation key 'checksum/{name}', "
        "which Kubernetes refuses")


def test_secret_name_too_long_for_its_checksum_annotation_is_refused(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["kubernetesSecrets"][0]["name"] = "s" * 70
    assert "makes the annotation key 'checksum/sss" in error_of(dev_values)


def test_derived_name_too_long_for_a_label_is_refused(dev_values: dict[str, Any]) -> None:
    app = "a" * 60  # a valid DNS label; dev-<app> is 64 characters
    dev_values["apps"][1]["name"] = app
    assert error_of(dev_values) == (
        f"eks-config-secrets:apps[1].name '{app}' in environment 'dev' derives 'dev-{app}', longer than the 63 "
        "characters of a Kubernetes label value: shorten the app or environment name")


def test_derived_iam_role_name_too_long_is_refused(dev_values: dict[str, Any]) -> None:
    app = "a" * 40  # dev-<app>-identity-role plus 8 random characters is 66 > 64
    dev_values["apps"][0]["name"] = app
    assert "derives the IAM role name" in error_of(dev_values)


def test_two_apps_deriving_one_name_are_refused(dev_values: dict[str, Any]) -> None:
    dev_values["environments"].append({"name": "dev-x", "namespace": "devx"})
    dev_values["apps"][0]["environments"] = ["dev"]
    dev_values["apps"][1]["environments"] = ["dev"]
    dev_values["apps"][2]["environments"] = ["dev"]
    dev_values["apps"].append({"name": "x-web", "image": "nginx:1", "environments": ["dev"]})
    dev_values["apps"].append({"name": "web", "image": "nginx:1", "environments": ["dev-x"]})
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[4].name 'web' in environment 'dev-x' derives the name 'dev-x-web', which "
        "eks-config-secrets:apps[3].name in environment 'dev' derives too: rename one")


def test_duplicate_mount_paths_are_refused(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][1]["secretVolumes"][0]["mountPath"] = "/etc/nginx/nginx.conf/"
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[1].secretVolumes[0].mountPath '/etc/nginx/nginx.conf/' is already the mount path "
        "of eks-config-secrets:apps[1].configFiles[0].mountPath: each mount of a container needs a path of its own")


@pytest.mark.parametrize(("path", "taken"), [("/tmp", "the workload's scratch emptyDir"),
                                              ("/mnt/secrets", "the app's secrets volume")])
def test_mount_path_of_a_volume_the_program_adds_is_refused(dev_values: dict[str, Any], path: str,
                                                            taken: str) -> None:
    dev_values["apps"][0]["secretVolumes"] = [{"kubernetesSecret": "app-tls", "mountPath": path}]
    assert f"is already the mount path of {taken}" in error_of(dev_values)


def test_image_pull_secret_must_be_dockerconfigjson(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][0]["imagePullSecrets"] = ["app-api"]
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[0].imagePullSecrets[0] 'app-api' is a Secret of type Opaque, but the kubelet pulls "
        "images only with kubernetes.io/dockerconfigjson Secrets")


@pytest.mark.parametrize(("secret", "key", "keys"), [("app-api", "API_TOKN", "API_TOKEN"),
                                                      ("app-tls", "tls.pem", "tls.crt, tls.key")])
def test_secret_key_ref_to_a_missing_key_is_refused(dev_values: dict[str, Any], secret: str, key: str,
                                                    keys: str) -> None:
    dev_values["apps"][0]["secretEnv"] = [{"name": "X", "kubernetesSecret": secret, "key": key}]
    assert error_of(dev_values) == (
        f"eks-config-secrets:apps[0].secretEnv[0].key '{key}' is not a key of Secret '{secret}' in environment "
        f"'dev' (keys: {keys}): the pod would not start")


def test_ipv6_public_access_cidr_is_refused(dev_values: dict[str, Any]) -> None:
    dev_values["cluster"]["publicAccessCidrs"] = ["2001:db8::/32"]
    assert error_of(dev_values) == (
        "eks-config-secrets:cluster.publicAccessCidrs[0] '2001:db8::/32' is an IPv6 block, but the cluster is IPv4: "
        "EKS accepts only IPv4 CIDR blocks for its public endpoint")


@pytest.mark.parametrize("version", ["1.31", "1.99", "1.28"])
def test_kubernetes_version_eks_does_not_offer_is_refused(dev_values: dict[str, Any], version: str) -> None:
    dev_values["cluster"]["version"] = version
    assert error_of(dev_values).startswith(
        f"eks-config-secrets:cluster.version '{version}' is not a Kubernetes version that EKS offers")


@pytest.mark.parametrize("region", ["eu-west-9", "us-nowhere-1"])
def test_region_that_does_not_exist_is_refused(dev_values: dict[str, Any], region: str) -> None:
    assert error_of(dev_values, region=region).startswith(f"aws:region '{region}' is not an AWS region (known: ")


@pytest.mark.parametrize(("field", "value"), [("namespace", "kube-system"), ("namespace", "default"),
                                              ("name", "kube-apps")])
def test_system_namespace_as_an_environment_is_refused(dev_values: dict[str, Any], field: str, value: str) -> None:
    dev_values["environments"][0][field] = value
    dev_values["apps"] = []
    assert error_of(dev_values) == (
        f"eks-config-secrets:environments[0].{field} '{value}' is a system namespace (default, kube-*): give the "
        "environment a namespace of its own")


@pytest.mark.parametrize(("namespace", "owner"), [("reloader", "Reloader's release"),
                                                  ("external-secrets", "the External Secrets Operator's release")])
def test_namespace_of_a_release_is_not_an_environment(dev_values: dict[str, Any], namespace: str, owner: str) -> None:
    dev_values["environments"][0]["namespace"] = namespace
    dev_values["apps"][0]["backend"] = "external-secrets"
    dev_values["cluster"]["accessEntries"][1]["namespaces"] = [namespace]
    assert error_of(dev_values) == (
        f"eks-config-secrets:environments[0].namespace '{namespace}' is the namespace of {owner}: give the "
        "environment another")


def test_an_ssm_parameter_is_read_like_a_secret(dev_values: dict[str, Any]) -> None:
    app = parse(dev_values).apps[0]
    assert [(s.get("secret"), s.get("parameter")) for s in app["secret_sources"]] == [
        ("{environment}/app/database", None), (None, "/{environment}/app/features")]


@pytest.mark.parametrize("name", ["/{environment}/app/*", "/dev/app/feature?"])
def test_an_ssm_parameter_with_a_wildcard_is_an_error(dev_values: dict[str, Any], name: str) -> None:
    dev_values["apps"][0]["secretSources"][1]["parameter"] = name
    assert error_of(dev_values) == (
        f"eks-config-secrets:apps[0].secretSources[1].parameter {name!r} contains a wildcard ('*' or '?'): name "
        f"exactly one "
        "SSM parameter (its full name, or an ARN with its account, region and name)")


def test_a_secret_arn_with_a_wildcard_account_is_an_error(dev_values: dict[str, Any]) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:*:secret:shared/db-AbCdEf"
    dev_values["apps"][0]["secretSources"][0]["secret"] = arn
    assert error_of(dev_values) == (
        f"eks-config-secrets:apps[0].secretSources[0].secret {arn!r} contains a wildcard ('*' or '?'): name "
        f"exactly one "
        "Secrets Manager secret (its full name, or an ARN with its account, region and name)")


def test_secret_and_parameter_together_are_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][0]["secretSources"][1]["secret"] = "dev/other"
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[0].secretSources[1] ['secret', 'parameter'] needs exactly one of secret (a "
        "Secrets Manager "
        "secret), parameter (an SSM parameter) and escEnvironment (a Pulumi ESC environment)")


def test_a_failover_region_equal_to_the_stacks_region_is_an_error(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][0]["failoverRegion"] = "eu-west-1"
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[0].failoverRegion 'eu-west-1' is the stack's own region (aws:region): name a second "
        "region that holds replicas of the secrets, or omit it")


def test_a_replica_key_outside_the_failover_region_is_an_error() -> None:
    prod = stack_values("prod")
    key = prod["apps"][0]["secretSources"][0]["kmsKeyArn"]
    prod["apps"][0]["secretSources"][0]["failoverKmsKeyArn"] = key
    assert error_of(prod, stack="prod") == (
        f"eks-config-secrets:apps[0].secretSources[0].failoverKmsKeyArn {key!r} is in region eu-west-1, not in "
        f"the app's "
        "failoverRegion eu-central-1")


@pytest.mark.parametrize("key", ["failoverRegion", "restartOnFileRotation"])
def test_csi_only_app_settings_are_errors_with_external_secrets(dev_values: dict[str, Any], key: str) -> None:
    dev_values["apps"][0]["backend"] = "external-secrets"
    dev_values["apps"][0][key] = "eu-central-1" if key == "failoverRegion" else True
    assert error_of(dev_values).startswith(f"eks-config-secrets:apps[0].{key} ")
    assert error_of(dev_values).endswith("applies to the csi backend only (a Secrets Store CSI Driver feature)")


def test_restart_on_file_rotation_needs_reloader(dev_values: dict[str, Any]) -> None:
    dev_values["secretDelivery"]["reloader"] = False
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[2].restartOnFileRotation True needs Reloader (secretDelivery.reloader: true) and "
        "secrets of the app to watch")


def test_rotation_cost_prices_default_and_refuse_negative_amounts(dev_values: dict[str, Any]) -> None:
    cost = parse(dev_values).rotation_cost
    assert (cost.secrets_manager_usd_per_10k_calls, cost.ssm_usd_per_10k_calls, cost.advisory_usd_per_month) == (
        0.05, 0.0, 10.0)
    dev_values["secretDelivery"]["rotationCost"] = {"advisoryUsdPerMonth": -1}
    assert error_of(dev_values) == (
        "eks-config-secrets:secretDelivery.rotationCost.advisoryUsdPerMonth -1 is not an amount in USD (a number, 0 "
        "or more)")


def test_a_target_role_with_a_wildcard_account_is_an_error() -> None:
    prod = stack_values("prod")
    prod["apps"][2]["targetRoleArn"] = "arn:aws:iam::*:role/prod-ledger-sync-reader"
    assert error_of(prod, stack="prod") == (
        "eks-config-secrets:apps[2].targetRoleArn 'arn:aws:iam::*:role/prod-ledger-sync-reader' contains a wildcard "
        "('*' or '?'): name exactly one IAM role (its full name, or an ARN with its account, region and name)")


def test_a_target_role_needs_pod_identity_and_csi() -> None:
    prod = stack_values("prod")
    prod["apps"][2]["identity"] = "irsa"
    assert error_of(prod, stack="prod").endswith(
        "targetRoleArn 'arn:aws:iam::210987654321:role/prod-ledger-sync-reader' needs identity pod-identity and the "
        "csi backend: only the workload's own EKS Pod Identity association chains to it (its targetRoleArn)")


def test_pulumi_esc_sources_need_external_secrets_and_an_organization() -> None:
    staging = stack_values("staging")
    assert parse(staging, stack="staging").apps[0]["secret_sources"][2]["esc_environment"] == "payments/{environment}"
    del staging["secretDelivery"]["externalSecrets"]["pulumiOrganization"]
    assert error_of(staging, stack="staging") == (
        "eks-config-secrets:secretDelivery.externalSecrets.pulumiOrganization None is required: "
        "eks-config-secrets:apps[0] reads a Pulumi ESC environment of that organization")
    dev = stack_values("dev")
    dev["apps"][0]["secretSources"].append({"escEnvironment": "payments/dev", "keys": [{"property": "a", "file": "a"}]})
    # Both mistakes at once: the backend that cannot read ESC, and the organization that it would need.
    assert error_of(dev).splitlines() == [
        "eks-config-secrets:apps[0].backend 'csi' cannot read escEnvironment sources: Pulumi ESC is read through the "
        "External Secrets Operator (the external-secrets backend)",
        "eks-config-secrets:secretDelivery.externalSecrets.pulumiOrganization None is required: "
        "eks-config-secrets:apps[0] reads a Pulumi ESC environment of that organization"]


def test_three_mistakes_in_three_sections_get_three_messages() -> None:
    values = copy.deepcopy(stack_values("dev"))
    values["cluster"]["version"] = "1.10"
    values["environments"][0]["namespace"] = "Dev"
    values["apps"][1]["replicas"] = -1
    with pytest.raises(SettingsErrors) as caught:
        parse(values)
    assert [str(problem) for problem in caught.value.problems] == [
        "eks-config-secrets:cluster.version '1.10' is not a Kubernetes version that EKS offers (one of: 1.32, 1.33, "
        "1.34, 1.35; quote it)",
        "eks-config-secrets:environments[0].namespace 'Dev' is not a DNS-1123 label (at most 63 lowercase letters, "
        "digits and '-', starting and ending with a letter or digit)",
        "eks-config-secrets:apps[1].replicas -1 is not a whole number from 0 to 100",
    ]
    # As pulumi.InputPropertiesError details: one property path and reason per mistake.
    assert [e["property_path"] for e in caught.value.errors or []] == [
        "eks-config-secrets:cluster.version", "eks-config-secrets:environments[0].namespace",
        "eks-config-secrets:apps[1].replicas"]


def test_references_between_sections_are_checked_once_the_sections_are_valid() -> None:
    values = copy.deepcopy(stack_values("dev"))
    values["environments"][0]["namespace"] = "Dev"
    # The app still names its environment: only the environment's own mistake is reported.
    assert error_of(values).startswith("eks-config-secrets:environments[0].namespace 'Dev' is not a DNS-1123 label")


def test_the_old_secrets_keys_are_read_for_one_release_with_a_message_naming_the_new_key(
        capsys: pytest.CaptureFixture[str]) -> None:
    values = copy.deepcopy(stack_values("dev"))
    expected = parse(copy.deepcopy(values))
    values["environments"][0]["secrets"] = values["environments"][0].pop("kubernetesSecrets")
    values["apps"][0]["secrets"] = values["apps"][0].pop("secretSources")
    for entry in values["apps"][0]["secretEnv"]:
        entry["secret"] = entry.pop("kubernetesSecret")
    read = parse(values)
    # The same settings (secret values are Outputs, compared through what they configure).
    assert [(s["name"], s["type"]) for s in read.environments[0]["secrets"]] == [
        (s["name"], s["type"]) for s in expected.environments[0]["secrets"]]
    assert (read.apps, read.cluster) == (expected.apps, expected.cluster)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "deprecated" in line]
    assert warnings[:3] == [
        "warning: eks-config-secrets:environments[0].secrets is deprecated and will be removed in the next release: "
        "rename it to kubernetesSecrets",
        "warning: eks-config-secrets:apps[0].secrets is deprecated and will be removed in the next release: rename it "
        "to secretSources",
        "warning: eks-config-secrets:apps[0].secretEnv[0].secret is deprecated and will be removed in the next "
        "release: rename it to kubernetesSecret",
    ]


def test_an_old_key_beside_its_new_name_is_refused() -> None:
    values = copy.deepcopy(stack_values("dev"))
    values["apps"][0]["secrets"] = []
    assert error_of(values) == ("eks-config-secrets:apps[0].secrets '<set>' is the old name of secretSources, which is "
                                "given too: keep secretSources")


def test_an_apps_secret_sources_are_the_components_own_args_every_type_mistake_at_once() -> None:
    values = copy.deepcopy(stack_values("dev"))
    values["apps"][0]["secretSources"][0]["kmsKeyARN"] = "arn:aws:kms:eu-west-1:123456789012:key/x"
    values["apps"][0]["secretSources"][0]["keys"][0]["file"] = 5432
    values["apps"][0]["secretSources"][0]["keys"].append({"env": "EXTRA"})
    with pytest.raises(SettingsErrors) as caught:
        parse(values)
    assert [str(p) for p in caught.value.problems] == [
        "eks-config-secrets:apps[0].secretSources[0].keys[0].file 5432 is not a non-empty string",
        f"eks-config-secrets:apps[0].secretSources[0].keys[{len(values['apps'][0]['secretSources'][0]['keys']) - 1}]"
        ".file None is required but not set",
        "eks-config-secrets:apps[0].secretSources[0].kmsKeyARN 'arn:aws:kms:eu-west-1:123456789012:key/x' is not a "
        "known setting (known: keys, secret, parameter, escEnvironment, kmsKeyArn, failoverKmsKeyArn)",
    ]


def test_the_stack_reads_an_apps_secret_sources_as_app_secret_args() -> None:
    settings = parse(stack_values("dev"))
    source = settings.apps[0]["secret_sources"][0]
    assert StackSection(AppSecretArgs).parse(
        {stack_key(k): v for k, v in source.items() if k != "keys"} | {"keys": source["keys"]}, "p") == source


def test_every_mistake_of_several_sections_and_several_in_one_item_is_reported_at_once() -> None:
    values = copy.deepcopy(stack_values("dev"))
    values["cluster"]["version"] = "1.10"
    values["cluster"]["logRetentionDays"] = 45
    values["cluster"]["kmsDeletionWindowDays"] = "30"
    values["secretDelivery"]["csi"]["rotationPollInterval"] = "2"
    values["secretDelivery"]["rotationCost"] = {"ssmUsdPer10kCalls": -1}
    environment = values["environments"][0]
    environment["podSecurity"] = "strict"
    environment["configMaps"][0]["data"]["DATABASE_PORT"] = 5432
    environment["kubernetesSecrets"][2]["username"] = "bot:team"
    app = values["apps"][0]
    app["replicas"] = -1
    app["identity"] = "iam"
    app["env"][0]["name"] = "1X"
    app["secretSources"][0]["keys"][0]["file"] = "db/user"
    app["secretSources"][1]["parameter"] = "/{environment}/app/*"
    with pytest.raises(SettingsErrors) as caught:
        parse(values)
    p = "eks-config-secrets"
    # A value of the wrong type is reported first, then the rules of the values of the right type, section by section.
    assert [str(problem) for problem in caught.value.problems] == [
        f"{p}:cluster.kmsDeletionWindowDays '30' is not a whole number of days from 7 to 30",
        f"{p}:cluster.version '1.10' is not a Kubernetes version that EKS offers (one of: 1.32, 1.33, 1.34, 1.35; "
        "quote it)",
        f"{p}:cluster.logRetentionDays 45 is not a CloudWatch Logs retention period (one of 1, 3, 5, 7, 14, 30, 60, "
        "90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
        f"{p}:secretDelivery.csi.rotationPollInterval '2' is not a Go duration (a positive number with a unit: '90s', "
        "'2m', '1h30m')",
        f"{p}:secretDelivery.rotationCost.ssmUsdPer10kCalls -1 is not an amount in USD (a number, 0 or more)",
        f"{p}:environments[0].configMaps[0].data.DATABASE_PORT 5432 is not a string (quote numbers and booleans)",
        f"{p}:environments[0].podSecurity 'strict' is not one of: restricted, baseline, privileged",
        f"{p}:environments[0].kubernetesSecrets[2].username 'bot:team' must be a non-empty user name without ':'",
        f"{p}:apps[0].replicas -1 is not a whole number from 0 to 100",
        f"{p}:apps[0].identity 'iam' is not one of: irsa, pod-identity",
        f"{p}:apps[0].env[0].name '1X' is not an environment variable name (letters, digits, '_'; not starting "
        "with a digit)",
        f"{p}:apps[0].secretSources[0].keys[0].file 'db/user' is not a file name ([-._a-zA-Z0-9]+): it becomes a file "
        "and a Secret key",
        f"{p}:apps[0].secretSources[1].parameter '/{{environment}}/app/*' contains a wildcard ('*' or '?'): name "
        "exactly one SSM parameter (its full name, or an ARN with its account, region and name)",
    ]
    assert len(caught.value.errors or []) == 13


def test_an_empty_reason_to_read_secrets_as_env_vars_is_refused_by_its_key(dev_values: dict[str, Any]) -> None:
    dev_values["apps"][0]["secretsAsEnvReason"] = " "
    assert error_of(dev_values) == (
        "eks-config-secrets:apps[0].secretsAsEnvReason ' ' is not a reason: say in words why, or remove it")


@pytest.mark.parametrize(("old", "new", "field", "value"), [
    ({"name": "ecs-dev"}, "clusterName", "cluster_name", "ecs-dev"),
    ({"kms": {"keyArn": "arn:aws:kms:eu-west-1:123456789012:key/abc"}}, "kmsKeyArn", "kms_key_arn",
     "arn:aws:kms:eu-west-1:123456789012:key/abc"),
    ({"kms": {"deletionWindowDays": 7}}, "kmsDeletionWindowDays", "kms_deletion_window_days", 7)])
def test_the_clusters_old_keys_are_read_as_its_components_own(capsys: pytest.CaptureFixture[str], old: dict[str, Any],
                                                              new: str, field: str, value: object) -> None:
    values = copy.deepcopy(stack_values("dev"))
    if "name" in old:
        del values["cluster"]["clusterName"]
    values["cluster"] |= old
    cluster = parse(values).cluster
    assert cluster[field] == value and "kms" not in cluster
    assert f"eks-config-secrets:cluster.{'name' if 'name' in old else 'kms.' + new[3].lower() + new[4:]}" in (
        capsys.readouterr().err)


def test_the_old_names_of_the_secret_setting_keys_are_read_with_a_message_naming_the_new_key(
        capsys: pytest.CaptureFixture[str]) -> None:
    values = copy.deepcopy(stack_values("dev"))
    environment = values["environments"][0]
    environment["checksumKey"] = environment.pop("checksumKeySetting")
    tls = environment["kubernetesSecrets"][1]
    tls["certificate"], tls["privateKey"] = tls.pop("certificateSetting"), tls.pop("privateKeySetting")
    read = parse(values)
    checksum_key = read.environments[0]["checksum_key"]
    assert isinstance(checksum_key, pulumi.Output)
    assert _sync_await(checksum_key.future()) == offline_placeholder("eks-config-secrets:checksumKey")
    warnings = [line for line in capsys.readouterr().err.splitlines() if "deprecated" in line]
    assert [w.split(" is deprecated")[0] for w in warnings] == [
        "warning: eks-config-secrets:environments[0].checksumKey",
        "warning: eks-config-secrets:environments[0].kubernetesSecrets[1].certificate",
        "warning: eks-config-secrets:environments[0].kubernetesSecrets[1].privateKey"]
    assert warnings[0].endswith("rename it to checksumKeySetting")


def test_a_config_map_value_may_be_empty_but_its_name_may_not(dev_values: dict[str, Any]) -> None:
    dev_values["environments"][0]["configMaps"][0]["data"]["FEATURE_FLAGS"] = ""
    assert parse(dev_values).environments[0]["config_maps"][0]["data"]["FEATURE_FLAGS"] == ""
    dev_values["environments"][0]["configMaps"][0]["name"] = ""
    assert error_of(dev_values).startswith(
        "eks-config-secrets:environments[0].configMaps[0].name '' is not a valid Kubernetes object name")
