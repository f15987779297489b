"""The customer-managed KMS key that encrypts Kubernetes Secrets in etcd (EKS envelope encryption)."""


import functools
import json
import re
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.iam_policies import envelope_key_policy
from components.validation import (
    SettingsError,
    apply_input,
    check_account_id,
    check_arn,
    check_bool,
    check_partition,
)

__all__ = ["DEFAULT_PROTECT", "EnvelopeEncryptionKey", "EnvelopeEncryptionKeyArgs"]

DEFAULT_PROTECT = True
"""The one default of ``protect`` for what holds data: ``EnvelopeEncryptionKeyArgs.protect``,
``SecureClusterArgs.protect`` and the stack setting ``cluster.protect``."""

# An alias is 'alias/' and 1-250 of letters, digits and /_- ; 'alias/aws/' is reserved for AWS managed keys.
_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")


class EnvelopeEncryptionKeyArgs(TypedDict):
    cluster_role_arn: pulumi.Input[str]
    """ARN of the EKS cluster's IAM role: the one principal, besides the account root, named in the key policy."""
    account_id: pulumi.Input[str]
    """The AWS account that owns the key; its root administers the key (keeps the key manageable via IAM)."""
    partition: NotRequired[str]
    """AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``). Omitted: ``aws``."""
    deletion_window_days: NotRequired[int]
    """Days (7-30) between a key deletion request and the deletion, during which it can be cancelled.
    Omitted: 30, the longest: deleting this key makes every Secret in the cluster unreadable."""
    alias_name: NotRequired[str]
    """The key's alias, ``alias/...``. Omitted: ``alias/eks/<component name>``. Plain: it names the alias this
    component creates."""
    description: NotRequired[str]
    """The key's description. Omitted: ``EKS envelope encryption of Kubernetes Secrets (<component name>)``."""
    protect: NotRequired[bool]
    """``protect`` the key and alias, so that no ``pulumi destroy`` or replacement can schedule the key's
    deletion. Omitted: :data:`DEFAULT_PROTECT` (set false only for disposable stacks)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the key. Omitted: none."""


class EnvelopeEncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key with yearly rotation, a 30-day deletion window, an alias, and a key policy that keeps the
    account root as administrator and lets the cluster role use the key for envelope encryption only.

    EKS can enable Secrets encryption but never disable it or switch keys: losing this key loses every Secret.
    """

    key_arn: pulumi.Output[str]
    """ARN of the key (pass it to ``encryption_config_key_arn``)."""
    key_id: pulumi.Output[str]
    """Id of the key."""
    alias_name: pulumi.Output[str]
    """Name of the alias (``alias/...``)."""

    def __init__(
        self, name: str, args: EnvelopeEncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        partition = check_partition(args.get("partition", "aws"), "EnvelopeEncryptionKeyArgs.partition")
        window = args.get("deletion_window_days", 30)
        # KMS accepts a waiting period of 7 to 30 days (ScheduleKeyDeletion PendingWindowInDays).
        if isinstance(window, bool) or not isinstance(window, int) or not 7 <= window <= 30:
            raise SettingsError(
                "EnvelopeEncryptionKeyArgs.deletion_window_days", window, "is not a whole number of days from 7 to 30"
            )
        alias = args.get("alias_name", f"alias/eks/{name}")
        if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.startswith("alias/aws/"):
            raise SettingsError(
                "EnvelopeEncryptionKeyArgs.alias_name",
                alias,
                "is not a KMS alias name ('alias/' then letters, digits, '/', '_' and '-'; not 'alias/aws/...')",
            )
        account_id = apply_input(args["account_id"], functools.partial(
            check_account_id, setting="EnvelopeEncryptionKeyArgs.account_id"))
        role_arn = apply_input(args["cluster_role_arn"], functools.partial(
            check_arn, setting="EnvelopeEncryptionKeyArgs.cluster_role_arn", service="iam", resource_prefix="role/"))
        protect = check_bool(args.get("protect", DEFAULT_PROTECT), "EnvelopeEncryptionKeyArgs.protect")
        description = args.get("description", f"EKS envelope encryption of Kubernetes Secrets ({name})")

        super().__init__("eks-config-secrets:index:EnvelopeEncryptionKey", name, None, opts)

        policy = pulumi.Output.all(account_id, role_arn).apply(
            lambda values: json.dumps(
                envelope_key_policy(partition=partition, account_id=values[0], cluster_role_arn=values[1])
            )
        )
        key = aws.kms.Key(
            f"{name}-key",
            description=description,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=window,
            policy=policy,
            tags=dict(args["tags"]) if "tags" in args else None,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        key_alias = aws.kms.Alias(
            f"{name}-alias",
            name=alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )

        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_name = key_alias.name
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name})
