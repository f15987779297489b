"""What the rules see: objects unfolded from ConfigGroups and patches (components/policy_rules/view.py)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.policy_rules import (
    evaluate,
)
from components.policy_rules.view import CONFIG_GROUP
from tests.policy_rules.helpers import view

WRITABLE_SECRET_MOUNT = {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "web"},
                         "spec": {"template": {"spec": {
                             "automountServiceAccountToken": False,
                             "volumes": [{"name": "s", "secret": {"secretName": "x"}}],
                             "containers": [{"name": "c", "volumeMounts": [{"name": "s", "mountPath": "/s"}]}]}}}}


@pytest.mark.parametrize("inputs", [{"objs": [WRITABLE_SECRET_MOUNT]}, {"yaml": yaml.safe_dump(WRITABLE_SECRET_MOUNT)},
                                    {"yaml": [yaml.safe_dump({"kind": "List", "items": [WRITABLE_SECRET_MOUNT]})]}])
def test_objects_inside_a_config_group_are_judged(inputs: dict[str, Any]) -> None:
    group = view(CONFIG_GROUP, inputs, name="extras")
    [violation] = [v for v in evaluate([group]) if v.rule == "secret-volumes-read-only"]
    assert violation.urn == group.urn
    assert violation.message.startswith("Deployment 'web' in ConfigGroup 'extras': container 'c' mounts secret")


def test_a_patch_is_judged_as_the_kind_it_changes_but_only_by_what_it_sets() -> None:
    patch = view("kubernetes:apps/v1:DeploymentPatch", {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "volumeMounts": [{"name": "s", "mountPath": "/s"}]}],
        "volumes": [{"name": "s", "secret": {"secretName": "x"}}]}}}}, name="hotfix")
    found = {v.rule: v.message for v in evaluate([patch])}
    assert found["secret-volumes-read-only"].startswith("patch 'hotfix': container 'c'")
    assert "no-automounted-token" not in found  # a patch that does not touch the field leaves it as it was
