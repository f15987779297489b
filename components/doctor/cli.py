"""``python -m components doctor --stack S``: can every pod read every secret it uses, on the real cluster?

It reads, and only reads, the cluster of the current kubeconfig context (the official ``kubernetes`` client) and
the AWS account of the current credentials (boto3), follows every pod's chain with the same checks as the offline
plan, and prints each broken link with the command that confirms it and the fix. ``--from-dump DIR`` runs the
same checks on the output of the commands ``--dump-commands`` prints, for a cluster it cannot reach.

Exit codes: 0 every edge holds; 1 the stack or the dump cannot be read; 2 a link is broken.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from components.access.chain import Edge, prove_access
from components.access.plan_world import cluster_objects
from components.access.world import CSI_DRIVER
from components.conventions import CSI_AWS_PROVIDER_CHART
from components.doctor.collect import POD_IDENTITY_AGENT, collect_world, secret_references
from components.doctor.sources import KINDS, AwsSource, Boto3Aws, DumpAws, DumpKube, LiveKube, Unreadable, dump_name
from components.validation import SettingsError

__all__ = ["add_doctor_parser", "driver_notes", "dump_commands", "render_report", "run_doctor", "simulate"]

EXIT_OK, EXIT_UNREADABLE, EXIT_BROKEN = 0, 1, 2


def add_doctor_parser(commands: Any) -> None:
    doctor = commands.add_parser("doctor", help="check, read-only, that every pod can read its secrets",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    doctor.add_argument("--stack", required=True, help="stack name: the cluster name and region come from "
                                                       "stacks/Pulumi.<stack>.yaml")
    doctor.add_argument("--project-dir", type=Path, default=Path.cwd(), help="folder with Pulumi.yaml")
    doctor.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    doctor.add_argument("--context", help="kubeconfig context (default: the current one)")
    mode = doctor.add_mutually_exclusive_group()
    mode.add_argument("--from-dump", type=Path, metavar="DIR", help="read the files --dump-commands writes")
    mode.add_argument("--dump-commands", action="store_true",
                      help="print the kubectl and aws commands that collect a dump, and exit")


def _cluster_and_region(project_dir: Path, stack: str) -> tuple[str, str]:
    from components.plan.cli import load_stack_file  # noqa: PLC0415 (the plan CLI imports this module)

    stack_file = load_stack_file(project_dir, stack)
    cluster = stack_file.config.get(f"{stack_file.project}:cluster") or {}
    region = stack_file.config.get("aws:region")
    # `name` is the key's old name, read until the next release as the settings loader reads it.
    name = cluster.get("clusterName", cluster.get("name")) if isinstance(cluster, dict) else None
    if not name or not region:
        raise SettingsError("cluster.clusterName / aws:region", None, f"must be set in {stack_file.path} for doctor")
    return str(name), str(region)


def dump_commands(project_dir: Path, stack: str, directory: str = "dump") -> str:
    """A bash script that writes every file ``--from-dump`` reads: ``kubectl get ... -o json`` and ``aws ...
    --output json``, read-only. Secret values are stripped before they reach the disk (only keys are kept)."""
    from components.plan.cli import evaluate_stack  # noqa: PLC0415

    cluster, region = _cluster_and_region(project_dir, stack)
    _, plan = evaluate_stack(project_dir, stack)
    secrets = secret_references(cluster_objects(plan))
    d, c, r = shlex.quote(directory), shlex.quote(cluster), shlex.quote(region)

    def aws(service: str, operation: str, argument: str | None, args: str) -> str:
        # `|| true`: a NotFound leaves an empty file, which doctor reads as "does not exist".
        name = dump_name(service, operation, "ARG" if argument else None)
        target = f'"$D/{name}"'.replace("ARG", f"$(printf %s {argument} | tr -c 'A-Za-z0-9._-' '_')") \
            if argument else f'"$D/{name}"'
        return f"aws {service} {operation} --region $R {args} --output json > {target} || true"

    lines = [
        "#!/usr/bin/env bash",
        f"# Collect what `python -m components doctor --stack {stack} --from-dump {directory}` reads. Read-only.",
        "set -u", f"D={d}; C={c}; R={r}", 'mkdir -p "$D/k8s" "$D/aws"',
    ]
    for kind in KINDS:
        scope = "" if not kind.namespaced else " -A"
        strip = " | jq '.items[] |= (if .data then .data |= map_values(\"\") else . end)'" \
            if kind.kind == "Secret" else ""
        lines.append(f'kubectl get {kind.resource}{scope} -o json{strip} > "$D/k8s/{kind.resource}.json" || true')
    lines += [
        aws("eks", "describe-cluster", '"$C"', '--name "$C"'),
        aws("iam", "list-open-id-connect-providers", None, ""),
        'for arn in $(jq -r \'.OpenIDConnectProviderList[].Arn\' "$D/aws/iam.list-open-id-connect-providers.json"); '
        'do id=${arn##*/}; ' + aws("iam", "get-open-id-connect-provider", '"$id"',
                                   '--open-id-connect-provider-arn "$arn"') + "; done",
        aws("eks", "describe-addon", f"{POD_IDENTITY_AGENT}",
            f'--cluster-name "$C" --addon-name {POD_IDENTITY_AGENT}') + " 2>/dev/null",
        aws("eks", "list-pod-identity-associations", '"$C"', '--cluster-name "$C"'),
        "for id in $(jq -r '.associations[].associationId' \"$D/aws/eks.list-pod-identity-associations.$C.json\"); "
        "do " + aws("eks", "describe-pod-identity-association", '"$id"',
                    '--cluster-name "$C" --association-id "$id"') + "; done",
        "roles=$( (jq -r '.items[].metadata.annotations[\"eks.amazonaws.com/role-arn\"] // empty' "
        "\"$D/k8s/serviceaccounts.json\"; cat \"$D\"/aws/eks.describe-pod-identity-association.*.json 2>/dev/null "
        "| jq -r '.association.roleArn') | sort -u)",
        'for arn in $roles; do n=${arn##*/}',
        "  " + aws("iam", "get-role", '"$n"', '--role-name "$n"'),
        "  " + aws("iam", "list-role-policies", '"$n"', '--role-name "$n"'),
        "  for p in $(jq -r '.PolicyNames[]' \"$D/aws/iam.list-role-policies.$n.json\"); do "
        + aws("iam", "get-role-policy", '"$n.$p"', '--role-name "$n" --policy-name "$p"') + "; done",
        "  " + aws("iam", "list-attached-role-policies", '"$n"', '--role-name "$n"'),
        "  for a in $(jq -r '.AttachedPolicies[].PolicyArn' \"$D/aws/iam.list-attached-role-policies.$n.json\"); do",
        "    " + aws("iam", "get-policy", '"$a"', '--policy-arn "$a"'),
        "    v=$(jq -r .Policy.DefaultVersionId \"$D/aws/iam.get-policy.$(printf %s \"$a\" | tr -c 'A-Za-z0-9._-' "
        "'_').json\")",
        "    " + aws("iam", "get-policy-version", '"$a"', '--policy-arn "$a" --version-id "$v"'), "  done",
        "done",
    ]
    for secret in secrets:
        s = shlex.quote(secret)
        lines.append(aws("secretsmanager", "describe-secret", s, f"--secret-id {s}"))
    lines += [
        # Names and keys of the region's parameters, never their values (describe, not get).
        aws("ssm", "describe-parameters", None, ""),
        "keys=$( (cat \"$D\"/aws/secretsmanager.describe-secret.*.json 2>/dev/null | jq -r '.KmsKeyId // empty'; "
        "jq -r '.Parameters[].KeyId // empty' \"$D/aws/ssm.describe-parameters.json\" 2>/dev/null) "
        "| grep -vx 'alias/aws/ssm' | sort -u)",
        "for k in $keys; do",
        '  case "$k" in *alias/*) ' + aws("kms", "describe-key", '"${k##*:}"', '--key-id "$k"')
        + "; k=$(jq -r '.KeyMetadata.Arn // empty' \"$D/aws/kms.describe-key.$(printf %s \"${k##*:}\" | "
        "tr -c 'A-Za-z0-9._-' '_').json\");; esac",
        '  [ -n "$k" ] && ' + aws("kms", "get-key-policy", '"${k##*/}"', '--key-id "$k" --policy-name default'),
        "done",
    ]
    return "\n".join(lines) + "\n"


def _containers(o: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = o.get("spec") or {}
    return list(((spec.get("template") or {}).get("spec") or spec).get("containers") or [])


def driver_notes(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the driver side shows beside the chain: the driver's rotation flags (chart 1.6.0 passes
    ``--enable-secret-rotation`` and ``--rotation-poll-interval`` to its DaemonSet), the AWS provider's pods, and
    the pods whose CSI volume has no mounted SecretProviderClassPodStatus."""
    notes = []
    for o in objects:
        for container in _containers(o) if o.get("kind") == "DaemonSet" else []:
            args = [str(a) for a in container.get("args") or []]
            if any(a.startswith("--provider-volume") for a in args):
                flags = [a for a in args if a.startswith(("--enable-secret-rotation", "--rotation-poll-interval"))]
                notes.append("CSI driver: " + (", ".join(flags) or "rotation off (no --enable-secret-rotation)"))
    providers = [o for o in objects if o.get("kind") == "Pod"
                 and any(CSI_AWS_PROVIDER_CHART in str(c.get("image")) for c in _containers(o))]
    running = sum((o.get("status") or {}).get("phase") == "Running" for o in providers)
    notes.append(f"AWS provider pods: {len(providers)} ({running} running)")
    mounted = {(str((o.get("metadata") or {}).get("namespace")), str((o.get("status") or {}).get("podName")))
               for o in objects if o.get("kind") == "SecretProviderClassPodStatus"
               and (o.get("status") or {}).get("mounted") is True}
    for o in objects:
        meta = o.get("metadata") or {}
        uses_csi = any((v.get("csi") or {}).get("driver") == CSI_DRIVER for v in (o.get("spec") or {}).get("volumes")
                       or [])
        if o.get("kind") == "Pod" and uses_csi and (str(meta.get("namespace")), str(meta.get("name"))) not in mounted:
            notes.append(f"pod {meta.get('namespace')}/{meta.get('name')}: no mounted SecretProviderClassPodStatus "
                         f"(kubectl -n {meta.get('namespace')} describe pod {meta.get('name')} shows why)")
    return notes


def simulate(aws: AwsSource, edges: Sequence[Edge]) -> list[str]:
    """Ask IAM itself (``iam:SimulatePrincipalPolicy``) each permission question the edges rest on, where the caller
    may. A note for every answer that disagrees with the evaluator (IAM is right: report it), else one summary."""
    answers: dict[tuple[str, str, tuple[str, ...]], bool] = {}
    notes = []
    for edge in edges:
        if edge.permission is None or edge.permission in answers:
            continue
        role, secret, actions = edge.permission
        try:
            answer = aws.call("iam", "simulate-principal-policy",
                              f"{role.rsplit('/', 1)[-1]}.{secret.rsplit(':', 1)[-1]}", PolicySourceArn=role,
                              ActionNames=list(actions), ResourceArns=[secret]) or {}
        except (Unreadable, NotImplementedError) as error:
            return [f"IAM simulation not run (iam:SimulatePrincipalPolicy): {error}"]
        results = answer.get("EvaluationResults") or []
        allowed = bool(results) and all(r.get("EvalDecision") == "allowed" for r in results)
        answers[edge.permission] = allowed
        if allowed != (edge.broken_link != "permission"):
            notes.append(f"IAM simulation says role {role} {'may' if allowed else 'may not'} {', '.join(actions)} "
                         f"on {secret}, the evaluator the opposite: IAM is right; please report it")
    return notes or ([f"IAM simulation agrees on {len(answers)} permission(s)"] if answers else [])


def render_report(edges: Sequence[Edge], notes: Sequence[str] = ()) -> str:
    """Each workload's chain: its edges, and for a broken one the link, the command that confirms it and the fix."""
    lines = list(notes)
    workload = None
    for e in edges:
        if (e.namespace, e.workload) != workload:
            workload = (e.namespace, e.workload)
            lines.append(f"\n{e.namespace}/{e.workload} (pod {e.pod})")
        if e.ok:
            lines.append(f"  ok      {e.container}: {e.target} <- {e.secret}")
        else:
            lines += [f"  BROKEN  {e.container}: {e.target} <- {e.secret}",
                      f"          link:    {e.broken_link}: {e.detail}",
                      f"          confirm: {e.confirm}", f"          fix:     {e.fix}"]
    broken = sum(not e.ok for e in edges)
    lines.append(f"\n{len(edges)} edge(s), {broken} broken" if edges else "\nno pod reads a secret")
    return "\n".join(lines)


def run_doctor(args: argparse.Namespace) -> int:
    project_dir = args.project_dir.resolve()
    try:
        if args.dump_commands:
            print(dump_commands(project_dir, args.stack), end="")
            return EXIT_OK
        cluster, region = _cluster_and_region(project_dir, args.stack)
        notes: list[str] = []
        if args.from_dump:
            if not args.from_dump.is_dir():
                raise SettingsError("--from-dump", str(args.from_dump), "is not a folder")
            world = collect_world(DumpKube(args.from_dump), DumpAws(args.from_dump), cluster_name=cluster,
                                  region=region, notes=notes)
            edges = prove_access(world)
        else:
            aws = Boto3Aws(region)
            world = collect_world(LiveKube(args.kubeconfig, args.context), aws, cluster_name=cluster, region=region,
                                  notes=notes)
            edges = prove_access(world)
            notes += simulate(aws, edges)
    except (SettingsError, Unreadable) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(render_report(edges, [f"cluster {cluster} ({region}), account {world.account}",
                                *driver_notes(world.objects), *notes]))
    return EXIT_BROKEN if any(not e.ok for e in edges) else EXIT_OK
