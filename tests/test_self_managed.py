"""API server files for self-managed clusters, parsed back from their YAML."""

from __future__ import annotations

import pytest
import yaml

from components.self_managed import audit_policy_yaml, encryption_configuration_yaml
from components.validation import SettingsError


def test_encryption_configuration_encrypts_secrets_with_kms_v2_then_reads_identity() -> None:
    assert yaml.safe_load(encryption_configuration_yaml("aws-kms")) == {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [
            {
                "resources": ["secrets"],
                "providers": [
                    {
                        "kms": {
                            "apiVersion": "v2",
                            "name": "aws-kms",
                            "endpoint": "unix:///var/run/kmsplugin/socket.sock",
                            "timeout": "3s",
                        }
                    },
                    {"identity": {}},
                ],
            }
        ],
    }


def test_encryption_configuration_takes_endpoint_and_timeout() -> None:
    document = yaml.safe_load(
        encryption_configuration_yaml("vault", endpoint="unix:///run/kms/vault.sock", timeout="10s")
    )
    assert document["resources"][0]["providers"][0]["kms"] == {
        "apiVersion": "v2",
        "name": "vault",
        "endpoint": "unix:///run/kms/vault.sock",
        "timeout": "10s",
    }


def test_encryption_configuration_refuses_a_name_with_a_colon() -> None:
    with pytest.raises(SettingsError) as error:
        encryption_configuration_yaml("aws:kms")
    assert str(error.value) == (
        "kms_name 'aws:kms' is not a KMS provider name (letters, digits, '.', '_' and '-'; no ':')"
    )


def test_encryption_configuration_refuses_a_tcp_endpoint() -> None:
    with pytest.raises(SettingsError) as error:
        encryption_configuration_yaml("aws-kms", endpoint="tcp://10.0.0.1:8080")
    assert str(error.value) == (
        "endpoint 'tcp://10.0.0.1:8080' is not a unix socket endpoint such as 'unix:///var/run/kmsplugin/socket.sock'"
    )


def test_encryption_configuration_refuses_a_timeout_without_unit() -> None:
    with pytest.raises(SettingsError) as error:
        encryption_configuration_yaml("aws-kms", timeout="3")
    assert str(error.value) == "timeout '3' is not a Go duration (a positive number with a unit: '90s', '2m', '1h30m')"


def test_audit_policy_logs_secrets_configmaps_and_token_reviews_at_metadata_first() -> None:
    policy = yaml.safe_load(audit_policy_yaml())
    assert (policy["apiVersion"], policy["kind"]) == ("audit.k8s.io/v1", "Policy")
    assert policy["rules"][0] == {
        "level": "Metadata",
        "resources": [
            {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
            {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
        ],
    }


def test_audit_policy_never_logs_request_bodies() -> None:
    levels = {rule["level"] for rule in yaml.safe_load(audit_policy_yaml())["rules"]}
    assert levels == {"Metadata", "None"}


def test_audit_policy_logs_everything_else_at_metadata_without_request_received() -> None:
    policy = yaml.safe_load(audit_policy_yaml())
    assert policy["omitStages"] == ["RequestReceived"]
    assert policy["rules"][-1] == {"level": "Metadata"}
