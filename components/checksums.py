"""Checksum annotations: Helm's ``checksum/config`` pattern, a pod template annotation that changes exactly when
the consumed content changes, so that a new ConfigMap or Secret value rolls the pods (env vars and ``subPath``
mounts never see a change otherwise)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import pulumi

from components.conventions import CHECKSUM_ANNOTATION_PREFIX

__all__ = [
    "checksum",
    "checksum_annotation",
    "secret_checksum_annotation",
]


def checksum(data: Mapping[str, str], key: str | None = None) -> str:
    """SHA-256 of a canonical serialisation: independent of key order, different for any changed value.

    With ``key`` it is the HMAC-SHA256 under that key instead, for secret content (see
    :func:`secret_checksum_annotation`).
    """
    canonical = json.dumps(dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()


def checksum_annotation(name: str, data: Mapping[str, str]) -> dict[str, str]:
    """``{"checksum/<name>": <sha256>}`` for non-secret content (ConfigMaps), as Helm's ``checksum/config``."""
    return {f"{CHECKSUM_ANNOTATION_PREFIX}{name}": checksum(data)}


def secret_checksum_annotation(
    name: str, data: pulumi.Input[Mapping[str, str]], key: pulumi.Input[str]
) -> dict[str, pulumi.Output[str]]:
    """The ``checksum/<name>`` annotation of secret content: an HMAC-SHA256 under ``key``, computed inside the
    secret Outputs.

    Not Helm's plain ``checksum/secret``: a plain digest is a verifier of the content, and whoever can read the
    pod template could test guesses of a low-entropy value (a password, a PIN) offline; reading Deployments and
    pods is a far wider right than reading Secrets (the built-in ``view`` role has the first, not the second).
    Under a random key the digest tells nothing about the content to anyone without the key, so it is left out
    of Pulumi's secrets: plans show it change, and the pod template stays readable in plans and state.
    """
    def keyed(values: list[Any]) -> str:
        return checksum(values[0], values[1])

    return {f"{CHECKSUM_ANNOTATION_PREFIX}{name}": pulumi.Output.unsecret(pulumi.Output.all(data, key).apply(keyed))}
