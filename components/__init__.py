"""Pulumi components for configuration and secrets on AWS EKS.

Each component is a ``pulumi.ComponentResource`` taking ``(name, args: <Name>Args, opts)``; see
docs/components.md for their arguments and outputs.
"""

from components.app_secrets import AppSecretArgs, AppSecretKeyArgs, AppSecrets, AppSecretsArgs
from components.cluster import ClusterAccessEntryArgs, ClusterNodeGroupArgs, SecureCluster, SecureClusterArgs
from components.csi_driver import SecretsStoreCsiDriver, SecretsStoreCsiDriverArgs
from components.encryption_key import EnvelopeEncryptionKey, EnvelopeEncryptionKeyArgs
from components.environment import ConfigMapArgs, Environment, EnvironmentArgs, EnvironmentSecretArgs
from components.external_secrets import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.handles import AwsTarget, ClusterIdentity
from components.iam_policies import (
    envelope_key_policy,
    irsa_trust_policy,
    owner_grants,
    parameter_arn,
    pod_identity_trust_policy,
    secret_arn,
    secrets_read_policy,
)
from components.pod_spec import PodInput
from components.rbac import SecretReader, SecretReaderArgs
from components.reloader import Reloader, ReloaderArgs
from components.secret_provider_class import SecretProviderClass, SecretProviderClassArgs
from components.validation import SettingsError
from components.workload import Workload, WorkloadArgs
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs

__version__ = "0.1.0"

__all__ = [
    "AppSecretArgs",
    "AppSecretKeyArgs",
    "AppSecrets",
    "AppSecretsArgs",
    "AwsTarget",
    "ClusterAccessEntryArgs",
    "ClusterIdentity",
    "ClusterNodeGroupArgs",
    "ConfigMapArgs",
    "EnvelopeEncryptionKey",
    "EnvelopeEncryptionKeyArgs",
    "Environment",
    "EnvironmentArgs",
    "EnvironmentSecretArgs",
    "ExternalSecretsOperator",
    "ExternalSecretsOperatorArgs",
    "PodInput",
    "Reloader",
    "ReloaderArgs",
    "SecretProviderClass",
    "SecretProviderClassArgs",
    "SecretReader",
    "SecretReaderArgs",
    "SecretsStoreCsiDriver",
    "SecretsStoreCsiDriverArgs",
    "SecureCluster",
    "SecureClusterArgs",
    "SettingsError",
    "Workload",
    "WorkloadArgs",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
    "__version__",
    "envelope_key_policy",
    "irsa_trust_policy",
    "owner_grants",
    "parameter_arn",
    "pod_identity_trust_policy",
    "secret_arn",
    "secrets_read_policy",
]
