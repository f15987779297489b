"""How the stack program scales with the number of apps, against the SDK's own floor.

For 1, 10, 100 and 1,000 apps (each with its Secrets Manager secrets, identity, SecretProviderClass, RBAC and
Deployment) it evaluates ``__main__.py`` under the offline engine, then registers the same number of bare SDK
resources with no component around them (what the SDK and the mock engine cost by themselves: the floor).
It prints, per size: resources, wall time, peak Python memory, and the ratio of our time to the floor's.

    .venv/bin/python benchmarks/plan_scaling.py [--sizes 1 10 100 1000]

A benchmark, not a test: it prints figures and never fails on time.
"""

from __future__ import annotations

import argparse
import copy
import gc
import runpy
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.plan import offline as offline_module  # noqa: E402
from components.plan.cli import load_stack_file  # noqa: E402
from components.plan.engine import Plan, run_program  # noqa: E402


def stack_config(apps: int) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The dev stack with ``apps`` copies of its reference app, each with its own Secrets Manager secret."""
    stack = load_stack_file(ROOT, "dev")
    config = copy.deepcopy(stack.config)
    template = next(a for a in config["eks-config-secrets:apps"] if a["name"] == "app")
    generated = []
    for index in range(apps):
        app = copy.deepcopy(template)
        app["name"] = f"app-{index}"
        app["secretSources"][0]["secret"] = f"{{environment}}/app-{index}/database"
        generated.append(app)
    config["eks-config-secrets:apps"] = generated
    return config, stack.secret_keys


def ours(apps: int) -> Callable[[], Plan]:
    config, secret_keys = stack_config(apps)

    def run() -> Plan:
        with offline_module.offline():
            return run_program(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
                               stack="dev", config=config, secret_keys=secret_keys)

    return run


def floor(resources: int) -> Callable[[], Plan]:
    """The same number of resources, registered straight through the SDK: one provider, then ConfigMaps."""

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(provider=provider)
        for index in range(resources - 1):
            k8s.core.v1.ConfigMap(f"cm-{index}", metadata={"name": f"cm-{index}", "namespace": "dev"},
                                  data={"KEY": str(index)}, opts=opts)

    return lambda: run_program(program, stack="dev")


def measure(run: Callable[[], Plan]) -> tuple[Plan, float, float]:
    """Wall time of one run, then the peak traced memory of a second run (tracing slows the first)."""
    gc.collect()
    start = time.perf_counter()
    plan = run()
    elapsed = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return plan, elapsed, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100, 1000])
    args = parser.parse_args()
    # Warm-up: the first evaluation pays for importing the SDKs and compiling the program.
    ours(1)()
    floor(10)()
    print(f"{'apps':>6} {'resources':>10} {'ours s':>8} {'floor s':>8} {'ratio':>6} {'s/app':>7} "
          f"{'ours MiB':>9} {'floor MiB':>9}")
    for apps in args.sizes:
        plan, ours_s, ours_mib = measure(ours(apps))
        count = len(plan.resources)
        _, floor_s, floor_mib = measure(floor(count))
        print(f"{apps:>6} {count:>10} {ours_s:>8.2f} {floor_s:>8.2f} {ours_s / floor_s:>6.2f} "
              f"{ours_s / apps:>7.3f} {ours_mib:>9.1f} {floor_mib:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
