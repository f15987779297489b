"""Facts that several modules must spell the same way: annotation keys, chart and add-on names, type tokens.

Each fact has this one home; the components, the offline plan, the access proof and the policy rules import it
from here (``tests/test_conventions.py`` fails when one is spelt as a literal anywhere else). A fact that only one
module uses stays in that module.
"""

from __future__ import annotations

__all__ = [
    "AUTOMOUNT_REASON_ANNOTATION",
    "CHECKSUM_ANNOTATION_PREFIX",
    "CONFIG_MAP",
    "CSI_ADDON",
    "CSI_AWS_PROVIDER_CHART",
    "CSI_DRIVER_CHART",
    "DEPLOYMENT",
    "EKS_ADDON",
    "EKS_CLUSTER",
    "EKS_COMPONENT",
    "ESO_CHART",
    "EXTERNAL_SECRET",
    "HELM_RELEASE",
    "IAM_POLICY",
    "IAM_ROLE",
    "IAM_ROLE_POLICY",
    "IAM_ROLE_POLICY_ATTACHMENT",
    "KMS_ALIAS",
    "KMS_KEY",
    "KMS_KEYS_ANNOTATION",
    "KUBERNETES_PROVIDER",
    "KUBERNETES_SECRET",
    "LAUNCH_TEMPLATE",
    "LOG_GROUP",
    "NAMESPACE",
    "POD_IDENTITY_ASSOCIATION",
    "RELOAD_SECRETS_ANNOTATION",
    "RELOAD_SECRET_PROVIDER_CLASSES_ANNOTATION",
    "ROLE",
    "ROLE_BINDING",
    "SECRETS_AS_ENV_REASON_ANNOTATION",
    "SECRET_MARKER",
    "SECRET_PROVIDER_CLASS",
    "SECRET_STORE",
    "SERVICE_ACCOUNT",
    "STACK",
]

SECRET_MARKER = "[secret]"
"""What a Pulumi secret looks like in a plan (inputs, outputs, manifests, JSON): the value never leaves the engine."""

# --- annotations ---------------------------------------------------------------------------------------------------

AUTOMOUNT_REASON_ANNOTATION = "eks-config-secrets.io/automount-token-reason"
"""Annotation (on a ServiceAccount or pod template) that states why a workload mounts its API token; with a
non-empty reason the automount rule accepts ``automountServiceAccountToken: true``."""

SECRETS_AS_ENV_REASON_ANNOTATION = "eks-config-secrets.io/secret-env-reason"
"""Annotation (on a pod template) that states why a workload reads a Secret through environment variables; with a
non-empty reason the advisory rule ``secrets-as-files`` accepts ``secretKeyRef`` / ``secretRef``."""

KMS_KEYS_ANNOTATION = "eks-config-secrets.io/kms-keys"
"""On a SecretProviderClass or ExternalSecret: JSON ``{secret name or ARN: KMS key ARN}`` for the secrets
encrypted with a customer-managed key, so that the plan (which never sees the secrets) can prove the key's
link; on a cluster, ``DescribeSecret`` tells it."""

CHECKSUM_ANNOTATION_PREFIX = "checksum/"
"""Pod-template annotations ``checksum/<name>`` (Helm's convention): a changed ConfigMap or Secret changes the pod
template, so the Deployment rolls its pods."""

RELOAD_SECRETS_ANNOTATION = "secret.reloader.stakater.com/reload"
"""Read by Reloader on a workload's own metadata (not the pod template): a rolling restart when one of the named
Secrets (comma-separated) changes."""

RELOAD_SECRET_PROVIDER_CLASSES_ANNOTATION = "secretproviderclass.reloader.stakater.com/reload"
"""Read on a workload's metadata when the chart runs with ``reloader.enableCSIIntegration``: a rolling restart when
the driver rewrites the files of one of the named SecretProviderClasses (Reloader watches their
SecretProviderClassPodStatus objects; chart-v2.2.16 ``internal/pkg/options/flags.go``)."""

# --- charts and add-ons --------------------------------------------------------------------------------------------

CSI_DRIVER_CHART = "secrets-store-csi-driver"
"""The Secrets Store CSI driver's chart (kubernetes-sigs), also the values key under which the AWS provider chart
configures the driver it bundles."""
CSI_AWS_PROVIDER_CHART = "secrets-store-csi-driver-provider-aws"
"""The AWS provider's chart, and the name of its image."""
CSI_ADDON = "aws-secrets-store-csi-driver-provider"
"""The EKS managed add-on that installs the AWS provider and the driver together."""
ESO_CHART = "external-secrets"
"""The External Secrets Operator's chart."""

# --- resource type tokens (the engine's ``<package>:<module>:<Type>``) ---------------------------------------------

STACK = "pulumi:pulumi:Stack"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_ADDON = "aws:eks/addon:Addon"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
IAM_ROLE = "aws:iam/role:Role"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
KUBERNETES_SECRET = "kubernetes:core/v1:Secret"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
SECRET_PROVIDER_CLASS = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
SECRET_STORE = "kubernetes:external-secrets.io/v1:SecretStore"
