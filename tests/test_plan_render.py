"""components/plan/render.py: `--manifests DIR` writes only under DIR, whatever names a program gives."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.plan.engine import run_program
from components.plan.render import write_manifests

HOSTILE = ("../../escaped", "/tmp/absolute-escape", "..", ".", "a/../../b")


def _program() -> None:
    provider = k8s.Provider("k8s", kubeconfig="{}")
    opts = pulumi.ResourceOptions(provider=provider)
    for i, namespace in enumerate(HOSTILE):
        k8s.core.v1.ConfigMap(f"cm-{i}", metadata={"name": "../../../name", "namespace": namespace},
                              data={"a": "b"}, opts=opts)
        k8s.helm.v3.Release(f"rel-{i}", name="../up", chart="c", version="1.0.0", namespace=namespace, opts=opts)


def test_hostile_namespaces_and_names_stay_under_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "out" / "manifests"
    written = write_manifests(run_program(_program), target)
    assert len(written) == 2 * len(HOSTILE)
    for path in written:
        assert path.resolve().is_relative_to(target.resolve()), path
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(target)]
    assert outside == []
    assert not Path("/tmp/absolute-escape").exists()


def test_ordinary_namespaces_keep_their_folder(tmp_path: Path) -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        k8s.core.v1.ConfigMap("cm", metadata={"name": "app-config", "namespace": "dev"}, data={"a": "b"},
                              opts=pulumi.ResourceOptions(provider=provider))

    [path] = write_manifests(run_program(program), tmp_path)
    assert path == tmp_path / "dev" / "configmap-app-config.yaml"
