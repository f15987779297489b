"""RBAC that lets one ServiceAccount read exactly the Secrets it names, and nothing else."""


from collections.abc import Sequence
from typing import Any, TypedDict, cast

import pulumi
import pulumi_kubernetes as k8s

from components.validation import (
    SettingsError,
    apply_input,
    check_dns1123_label_input,
    check_dns1123_subdomain,
    check_unique,
)

__all__ = ["SecretReader", "SecretReaderArgs", "secret_reader_rules"]


def secret_reader_rules(secret_names: Sequence[str]) -> list[dict[str, Any]]:
    """The rules of a Role that may ``get`` these Secrets by name.

    Never ``list`` or ``watch``: either returns the content of every Secret in the namespace, whatever
    ``resourceNames`` says, since a list cannot be filtered by name in RBAC.
    """
    return [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": sorted(secret_names), "verbs": ["get"]}]


def _checked_rules(secret_names: list[str]) -> list[dict[str, Any]]:
    for i, secret in enumerate(secret_names):
        check_dns1123_subdomain(secret, f"SecretReaderArgs.secret_names[{i}]")
    check_unique(secret_names, "SecretReaderArgs.secret_names")
    return secret_reader_rules(secret_names)


class SecretReaderArgs(TypedDict):
    namespace: pulumi.Input[str]
    """Namespace of the Role, the RoleBinding, the Secrets and the ServiceAccount (an Output is checked once it
    resolves)."""
    service_account_name: pulumi.Input[str]
    """The ServiceAccount allowed to read; the only subject of the RoleBinding."""
    secret_names: Sequence[pulumi.Input[str]]
    """The Secrets it may ``get``; at least one (an empty ``resourceNames`` would mean every Secret). Secrets
    that do not exist yet are fine: a synced Secret appears once a pod mounts its class. Names that are Outputs
    are checked once they resolve."""


class SecretReader(pulumi.ComponentResource):
    """A Role that allows only ``get`` on the named Secrets, and its RoleBinding to one ServiceAccount."""

    role_name: pulumi.Output[str]
    """Name of the Role."""
    role_binding_name: pulumi.Output[str]
    """Name of the RoleBinding."""

    def __init__(self, name: str, args: SecretReaderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        namespace = check_dns1123_label_input(args["namespace"], "SecretReaderArgs.namespace")
        secret_names = list(args["secret_names"])
        if not secret_names:
            # RBAC reads an empty resourceNames as "all names".
            raise SettingsError("SecretReaderArgs.secret_names", secret_names,
                                "is empty: name at least one Secret (an empty list would allow every Secret)")
        # Checked now, or once the Outputs among them resolve (to strings, hence the cast).
        rules = apply_input(cast(list[str], secret_names), _checked_rules)
        if isinstance(args["service_account_name"], str):
            check_dns1123_subdomain(args["service_account_name"], "SecretReaderArgs.service_account_name")
        check_dns1123_subdomain(f"{name}-secret-reader", "SecretReader name")
        super().__init__("eks-config-secrets:index:SecretReader", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = k8s.rbac.v1.Role(
            f"{name}-role",
            metadata={"name": f"{name}-secret-reader", "namespace": namespace},
            # The SDK takes plain camelCase dicts; its stubs only know its own TypedDicts.
            rules=cast(Any, rules),
            opts=child,
        )
        binding = k8s.rbac.v1.RoleBinding(
            f"{name}-binding",
            metadata={"name": f"{name}-secret-reader", "namespace": namespace},
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role",
                                             name=role.metadata["name"]),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=args["service_account_name"],
                                              namespace=namespace)],
            opts=child,
        )
        self.role_name = role.metadata["name"]
        self.role_binding_name = binding.metadata["name"]
        self.register_outputs({"role_name": self.role_name, "role_binding_name": self.role_binding_name})
