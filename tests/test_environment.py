"""components/environment.py: the namespace, its ConfigMaps and the three Secret types, and a workload using them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.checksums import checksum
from components.conventions import SECRET_MARKER
from components.environment import Environment, EnvironmentArgs
from components.plan.engine import Plan, run_program
from components.pod_spec import (
    http_probe,
)
from components.validation import SettingsError
from components.workload import Workload, WorkloadArgs
from tests.conftest import refused_once_known
from tests.test_secret_data import tls_pair

CLUSTER_VERSION = "1.33"
"""The stacks' cluster version; kubernetes-validate ships its schema (1.33.0)."""
NGINX_CONF = "events {}\n"
KEY = "k" * 32


def environment_plan(args: EnvironmentArgs) -> Plan:
    """A plan of one Environment; one that has Secrets gets the test's checksum key unless the args set one."""
    if "secrets" in args and "checksum_key" not in args:
        args = {**args, "checksum_key": KEY}

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        Environment("dev", args, opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))

    return run_program(program)


def app_plan(log_level: str = "debug", nginx_conf: str = NGINX_CONF, token: str = "t0ken", asked: bool = False) -> Plan:
    """An environment and a workload that reads it in each way: a key as env, a file by subPath, a Secret key;
    ``asked``: as a program in another language asks for them (``environment_inputs``), not by the methods."""
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        on_cluster = pulumi.ResourceOptions(providers={"kubernetes": provider})
        args: EnvironmentArgs = {"namespace": "dev", "config_maps": [
            {"name": "app-config", "data": {"LOG_LEVEL": log_level, "DATABASE_PORT": "5432"}},
            {"name": "nginx-config", "files": {"nginx.conf": nginx_conf}, "immutable": True},
        ], "secrets": [{"name": "api", "string_data": {"TOKEN": pulumi.Output.secret(token)}}],
            "checksum_key": pulumi.Output.secret(KEY)}
        env = Environment("dev", args, opts=on_cluster)
        workload: WorkloadArgs = {
            "app_name": "web", "namespace": "dev", "image": "nginx:1.27", "port": 8080,
            # Each fragment brings its checksum and (a Secret's) the Role entry: none is listed by hand.
            "inputs": [env.env_from_config_map_key("LOG_LEVEL", "app-config", "LOG_LEVEL"),
                       env.env_from_secret_key("TOKEN", "api", "TOKEN"),
                       env.config_file("nginx-config", "nginx.conf", "/etc/nginx/nginx.conf", volume="config")],
            "readiness_probe": http_probe("/healthz"),
        }
        if asked:
            workload["inputs"] = []
            workload |= {"environment": env, "environment_inputs": [
                {"config_map": "app-config", "key": "LOG_LEVEL", "env": "LOG_LEVEL"},
                {"secret": "api", "key": "TOKEN", "env": "TOKEN"},
                {"config_map": "nginx-config", "key": "nginx.conf", "mount_path": "/etc/nginx/nginx.conf",
                 "volume": "config"}]}
        Workload("dev-web", workload,
                 opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[env])))
        pulumi.export("config_map_names", env.config_map_names)
        pulumi.export("api_checksum", env.secret_checksums["api"]["checksum/api"])

    return run_program(program)


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Dotted paths at which two input values differ."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        return [p for k in sorted({*before, *after})
                for p in differences(before.get(k), after.get(k), f"{path}.{k}" if path else k)]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (b, a) in enumerate(zip(before, after, strict=True))
                for p in differences(b, a, f"{path}[{i}]")]
    return [] if before == after else [path]


def changes(before: Plan, after: Plan) -> dict[str, list[str]]:
    """Resource name -> the input paths that differ (plaintext inputs, so a changed secret digest shows too)."""
    assert [r.urn for r in before.resources] == [r.urn for r in after.resources]
    found = {b.name: differences(b.raw_inputs, a.raw_inputs)
             for b, a in zip(before.resources, after.resources, strict=True)}
    return {name: paths for name, paths in found.items() if paths}


def template_annotations(plan: Plan) -> dict[str, Any]:
    return dict(plan.one("kubernetes:apps/v1:Deployment").raw_inputs["spec"]["template"]["metadata"]["annotations"])


def test_namespace_is_labelled_with_environment_and_pod_security() -> None:
    labels = environment_plan({"namespace": "dev", "pod_security": "baseline"}).one(
        "kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels == {"environment": "dev", "app.kubernetes.io/managed-by": "pulumi",
                      "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/audit": "baseline",
                      "pod-security.kubernetes.io/warn": "baseline"}


def test_namespace_enforces_restricted_by_default() -> None:
    labels = environment_plan({"namespace": "prod-eu", "environment": "prod"}).one(
        "kubernetes:core/v1:Namespace").inputs["metadata"]
    assert labels == {"name": "prod-eu", "labels": {
        "environment": "prod", "app.kubernetes.io/managed-by": "pulumi",
        "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted"}}


def test_every_kubernetes_object_uses_the_given_provider() -> None:
    plan = app_plan()
    provider = plan.one("pulumi:providers:kubernetes").urn
    objects = [r for r in plan.resources if r.custom and r.type.startswith("kubernetes:")]
    assert len(objects) == 8
    assert {r.provider for r in objects} == {provider}


def test_config_maps_from_literals_and_files_and_immutable_names() -> None:
    plan = app_plan()
    mutable = plan.one("kubernetes:core/v1:ConfigMap", "dev-app-config").inputs
    assert (mutable["metadata"], mutable["data"], mutable["immutable"]) == (
        {"name": "app-config", "namespace": "dev", "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        {"LOG_LEVEL": "debug", "DATABASE_PORT": "5432"}, False)
    immutable = plan.one("kubernetes:core/v1:ConfigMap", "dev-nginx-config").inputs
    hashed = f"nginx-config-{checksum({'nginx.conf': NGINX_CONF})[:10]}"
    assert (immutable["metadata"]["name"], immutable["data"], immutable["immutable"]) == (
        hashed, {"nginx.conf": NGINX_CONF}, True)
    assert plan.outputs["config_map_names"] == {"app-config": "app-config", "nginx-config": hashed}


def test_a_config_value_change_changes_its_checksum_and_nothing_else() -> None:
    before, after = app_plan(), app_plan(log_level="warn")
    assert changes(before, after) == {
        "dev-app-config": ["data.LOG_LEVEL"],
        "dev-web-deployment": ["spec.template.metadata.annotations.checksum/app-config"],
    }
    assert template_annotations(after)["checksum/app-config"] == checksum(
        {"LOG_LEVEL": "warn", "DATABASE_PORT": "5432"})


def test_an_immutable_config_change_renames_it_and_rolls_the_workload_and_nothing_else() -> None:
    before, after = app_plan(), app_plan(nginx_conf="events { worker_connections 512; }\n")
    assert changes(before, after) == {
        "dev-nginx-config": ["data.nginx.conf", "metadata.name"],
        "dev-web-deployment": ["spec.template.metadata.annotations.checksum/nginx-config",
                               "spec.template.spec.volumes[0].configMap.name"],
    }


def test_an_unchanged_environment_plans_identically() -> None:
    assert changes(app_plan(), app_plan()) == {}


def test_a_secret_change_rolls_the_workload_through_its_keyed_checksum() -> None:
    before, after = app_plan(), app_plan(token="n3w-t0ken")
    assert changes(before, after) == {
        "dev-api": ["stringData.TOKEN"],
        "dev-web-deployment": ["spec.template.metadata.annotations.checksum/api"],
    }
    deployment = after.one("kubernetes:apps/v1:Deployment")
    assert deployment.secret_paths == []
    assert deployment.inputs["spec"]["template"]["metadata"]["annotations"] == {
        "checksum/app-config": checksum({"LOG_LEVEL": "debug", "DATABASE_PORT": "5432"}),
        "checksum/nginx-config": checksum({"nginx.conf": NGINX_CONF}),
        "checksum/api": checksum({"TOKEN": "n3w-t0ken"}, KEY),
    }


def test_the_secret_checksum_is_an_hmac_shown_in_clear() -> None:
    assert app_plan().outputs["api_checksum"] == checksum({"TOKEN": "t0ken"}, KEY)


def test_an_environment_with_secrets_needs_a_checksum_key() -> None:
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: Environment("dev", {"namespace": "dev", "secrets": [
            {"name": "api", "string_data": {"TOKEN": "t"}}]}))
    assert str(caught.value) == (
        "EnvironmentArgs.checksum_key None is required when the environment has Secrets: a random secret of at least "
        "16 characters keys their checksums; set one from `openssl rand -base64 32`")


def test_adding_a_secret_without_a_checksum_key_is_refused() -> None:
    def program() -> None:
        Environment("dev", {"namespace": "dev"}).add_secret({"name": "api", "string_data": {"TOKEN": "t"}})

    with pytest.raises(SettingsError) as caught:
        run_program(program)
    assert caught.value.setting == "EnvironmentArgs.checksum_key"


def test_every_rendered_manifest_validates_against_the_clusters_schema() -> None:
    certificate, key = tls_pair()
    plans = [app_plan(), environment_plan({"namespace": "dev", "secrets": [
        {"name": "tls", "type": "kubernetes.io/tls", "certificate": certificate, "private_key": key},
        {"name": "registry", "type": "kubernetes.io/dockerconfigjson", "registry": "ghcr.io", "username": "bot",
         "password": pulumi.Output.secret("pw")},
    ]})]
    kinds = []
    for plan in plans:
        for resource in plan.resources:
            if resource.custom and resource.type.startswith("kubernetes:"):
                # Plaintext inputs: '[secret]' is no map. The values are the tests' own throwaway ones.
                kubernetes_validate.validate(resource.raw_inputs, CLUSTER_VERSION, strict=True)
                kinds.append(resource.raw_inputs["kind"])
    assert sorted(kinds) == ["ConfigMap", "ConfigMap", "Deployment", "Namespace", "Namespace", "Role", "RoleBinding",
                             "Secret", "Secret", "Secret", "ServiceAccount"]


def test_the_schema_check_rejects_an_unknown_field() -> None:
    namespace = environment_plan({"namespace": "dev"}).one("kubernetes:core/v1:Namespace").raw_inputs
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate({**namespace, "spec": {"podSecurity": "restricted"}}, CLUSTER_VERSION,
                                     strict=True)


def test_three_secret_types_with_secret_values_only() -> None:
    certificate, key = tls_pair()
    plan = environment_plan({"namespace": "dev", "secrets": [
        {"name": "api", "string_data": {"TOKEN": pulumi.Output.secret("t0ken"), "USER": "app"}},
        {"name": "tls", "type": "kubernetes.io/tls", "certificate": certificate, "private_key": key},
        {"name": "registry", "type": "kubernetes.io/dockerconfigjson", "registry": "ghcr.io", "username": "bot",
         "password": pulumi.Output.secret("pw")},
    ]})
    secrets = {s.name: s for s in plan.find("kubernetes:core/v1:Secret")}
    assert {n: (s.inputs["type"], s.inputs["stringData"], s.secret_paths) for n, s in secrets.items()} == {
        "dev-api": ("Opaque", {"TOKEN": SECRET_MARKER, "USER": SECRET_MARKER}, ["stringData.TOKEN", "stringData.USER"]),
        "dev-tls": ("kubernetes.io/tls", {"tls.crt": SECRET_MARKER, "tls.key": SECRET_MARKER},
                    ['stringData["tls.crt"]', 'stringData["tls.key"]']),
        "dev-registry": ("kubernetes.io/dockerconfigjson", {".dockerconfigjson": SECRET_MARKER},
                         ['stringData[".dockerconfigjson"]'])}
    assert secrets["dev-api"].raw_inputs["stringData"] == {"TOKEN": "t0ken", "USER": "app"}
    assert secrets["dev-tls"].raw_inputs["stringData"] == {"tls.crt": certificate, "tls.key": key}
    docker = json.loads(secrets["dev-registry"].raw_inputs["stringData"][".dockerconfigjson"])
    assert docker == {"auths": {"ghcr.io": {"username": "bot", "password": "pw", "auth": "Ym90OnB3"}}}


def test_add_config_map_and_add_secret_after_construction() -> None:
    def program() -> None:
        env = Environment("dev", {"namespace": "dev", "checksum_key": KEY})
        env.add_config_map({"name": "extra", "data": {"A": "1"}})
        env.add_secret({"name": "extra", "string_data": {"B": pulumi.Output.secret("2")}})
        pulumi.export("checksums", env.config_checksums)

    plan = run_program(program)
    assert plan.one("kubernetes:core/v1:ConfigMap", "dev-extra").inputs["data"] == {"A": "1"}
    assert plan.one("kubernetes:core/v1:Secret", "dev-extra").raw_inputs["stringData"] == {"B": "2"}
    assert plan.outputs["checksums"] == {"extra": {"checksum/extra": checksum({"A": "1"})}}


def error_of(args: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        environment_plan(args)
    return str(caught.value)


def test_invalid_namespace_is_refused() -> None:
    assert error_of({"namespace": "Dev_1"}) == (
        "EnvironmentArgs.namespace 'Dev_1' is not a DNS-1123 label (at most 63 lowercase letters, digits and '-', "
        "starting and ending with a letter or digit)")


def test_unknown_pod_security_level_is_refused() -> None:
    assert error_of({"namespace": "dev", "pod_security": "strict"}) == (
        "EnvironmentArgs.pod_security 'strict' is not one of: restricted, baseline, privileged")


def test_mismatched_tls_pair_is_refused() -> None:
    certificate, _ = tls_pair()
    _, other_key = tls_pair()
    assert error_of({"namespace": "dev", "secrets": [
        {"name": "tls", "type": "kubernetes.io/tls", "certificate": certificate, "private_key": other_key}]}) == (
        "EnvironmentArgs.secrets[0].private_key '<private key>' does not belong to the certificate (their public "
        "keys differ): set the key that was issued with this certificate")


def test_a_tls_pair_given_as_outputs_is_checked_once_known_without_showing_it() -> None:
    certificate, _ = tls_pair()
    _, other_key = tls_pair()

    def secrets(cert: pulumi.Input[str], key: pulumi.Input[str]) -> EnvironmentArgs:
        return {"namespace": "dev", "secrets": [
            {"name": "tls", "type": "kubernetes.io/tls", "certificate": cert, "private_key": key}]}

    plain = error_of(secrets(certificate, other_key))
    later = refused_once_known(lambda: environment_plan(secrets(pulumi.Output.secret(certificate),
                                                                pulumi.Output.secret(other_key))))
    assert later.endswith(f"ValueError has risen: {plain}")
    assert other_key not in later


def test_non_pem_certificate_is_refused() -> None:
    _, key = tls_pair()
    assert error_of({"namespace": "dev", "secrets": [
        {"name": "tls", "type": "kubernetes.io/tls", "certificate": "not a certificate", "private_key": key}]}) == (
        "EnvironmentArgs.secrets[0].certificate '<certificate>' is not a PEM certificate "
        "('-----BEGIN CERTIFICATE-----' ...)")


def test_missing_field_of_a_secret_type_is_refused() -> None:
    assert error_of({"namespace": "dev", "secrets": [
        {"name": "registry", "type": "kubernetes.io/dockerconfigjson", "registry": "ghcr.io"}]}) == (
        "EnvironmentArgs.secrets[0].username None is required for a Secret of type kubernetes.io/dockerconfigjson")


def test_registry_user_name_with_a_colon_is_refused() -> None:
    assert error_of({"namespace": "dev", "secrets": [
        {"name": "registry", "type": "kubernetes.io/dockerconfigjson", "registry": "ghcr.io", "username": "a:b",
         "password": "pw"}]}) == (
        "EnvironmentArgs.secrets[0].username 'a:b' must be a non-empty user name without ':'")


def test_empty_config_map_is_refused() -> None:
    assert error_of({"namespace": "dev", "config_maps": [{"name": "empty"}]}) == (
        "EnvironmentArgs.config_maps[0].data None and files are both empty: give the ConfigMap data or files")


def test_file_name_that_is_no_config_map_key_is_refused() -> None:
    assert error_of({"namespace": "dev", "config_maps": [{"name": "c", "files": {"my conf": "x"}}]}) == (
        "EnvironmentArgs.config_maps[0].data 'my conf' is not a valid ConfigMap or Secret key (at most 253 letters, "
        "digits, '-', '_' and '.'; not '.', '..' or starting with '..')")


def test_short_checksum_key_is_refused_without_echoing_it() -> None:
    assert error_of({"namespace": "dev", "checksum_key": "hunter2"}) == (
        "EnvironmentArgs.checksum_key (secret) is shorter than 16 characters: set a random one, e.g. from "
        "`openssl rand -base64 32`")


def test_duplicate_config_map_added_later_is_refused() -> None:
    def program() -> None:
        env = Environment("dev", {"namespace": "dev", "config_maps": [{"name": "app-config", "data": {"A": "1"}}]})
        env.add_config_map({"name": "app-config", "data": {"A": "2"}})

    with pytest.raises(SettingsError) as caught:
        run_program(program)
    assert str(caught.value) == "ConfigMapArgs.name 'app-config' is given more than once; names must be unique"


@pytest.mark.parametrize("name", ["c" * 64, "a.b." + "c" * 62])
def test_names_too_long_for_their_checksum_annotation_are_refused(name: str) -> None:
    message = error_of({"namespace": "dev", "config_maps": [{"name": name, "data": {"a": "b"}}]})
    assert message.startswith(f"EnvironmentArgs.config_maps[0].name '{name}' makes the annotation key "
                              f"'checksum/{name}', which Kubernetes refuses")


def test_kubelet_reserved_key_is_refused() -> None:
    assert "'..data' is not a valid ConfigMap or Secret key" in error_of(
        {"namespace": "dev", "config_maps": [{"name": "c", "data": {"..data": "x"}}]})


def test_a_fragment_names_only_objects_of_its_environment() -> None:
    def program() -> None:
        env = Environment("dev", {"namespace": "dev", "config_maps": [{"name": "app-config", "data": {"A": "1"}}]})
        assert env.config_file("app-config", "A", "/etc/a").volumes[0]["name"] == "config-app-config"
        env.env_from_config_map("nginx-config")

    with pytest.raises(SettingsError) as caught:
        run_program(program)
    assert str(caught.value) == ("Environment.config_map 'nginx-config' is not a ConfigMap of environment 'dev': add "
                                 "it to its config_maps first")


@pytest.mark.parametrize("method", ["env_from_config_map_key", "env_from_secret_key"])
def test_a_fragment_refuses_an_env_var_name_no_program_can_read(method: str) -> None:
    def program() -> None:
        env = Environment("dev", {"namespace": "dev", "config_maps": [{"name": "app-config", "data": {"A": "1"}}],
                                  "secrets": [{"name": "api", "string_data": {"A": "t"}}], "checksum_key": KEY})
        getattr(env, method)("9A", "app-config" if "config_map" in method else "api", "A")

    with pytest.raises(SettingsError) as caught:
        run_program(program)
    assert str(caught.value) == ("Environment.env '9A' is not an environment variable name (letters, digits, '_'; not "
                                 "starting with a digit)")


def test_inputs_asked_for_by_arguments_are_the_methods_fragments() -> None:
    # A program in another language cannot call the fragment methods: it names what the pods read.
    by_methods, asked = app_plan(), app_plan(asked=True)
    assert [(r.urn, r.inputs) for r in asked.resources] == [(r.urn, r.inputs) for r in by_methods.resources]


@pytest.mark.parametrize(("asked", "message"), [
    ({"config_map": "app-config", "env": "LOG_LEVEL"},
     "WorkloadArgs.environment_inputs[0] {'config_map': 'app-config', 'env': 'LOG_LEVEL'} gives config_map+env: give "
     "one of config_map+key+env, config_map, config_map+key+mount_path, secret+key+env, secret+mount_path (and "
     "optionally volume with mount_path)"),
    ({"secret": "api", "key": "TOKEN", "env": "TOKEN", "volume": "v"},
     "WorkloadArgs.environment_inputs[0].volume 'v' names the volume of a mount: give mount_path"),
    ({"config_map": "other"}, "Environment.config_map 'other' is not a ConfigMap of environment 'dev': add it to "
                              "its config_maps first"),
    ({"secret": "api", "key": "TOKEN", "env": "API TOKEN"},
     "WorkloadArgs.environment_inputs[0].env 'API TOKEN' is not an environment variable name (letters, digits, '_'; "
     "not starting with a digit)"),
])
def test_an_input_asked_for_wrongly_is_refused_by_name(asked: Any, message: str) -> None:
    def program() -> None:
        env = Environment("dev", {"namespace": "dev", "config_maps": [{"name": "app-config", "data": {"A": "1"}}],
                                  "secrets": [{"name": "api", "string_data": {"TOKEN": "t"}}], "checksum_key": KEY})
        Workload("dev-web", {"app_name": "web", "namespace": "dev", "image": "nginx:1.27", "environment": env,
                             "environment_inputs": [asked]})

    with pytest.raises(SettingsError) as caught:
        run_program(program)
    assert str(caught.value) == message


def test_environment_inputs_need_the_environment() -> None:
    with pytest.raises(SettingsError) as caught:
        run_program(lambda: Workload("dev-web", {"app_name": "web", "namespace": "dev", "image": "nginx:1.27",
                                                 "environment_inputs": [{"config_map": "app-config"}]}))
    assert str(caught.value) == ("WorkloadArgs.environment None is not an Environment component: environment_inputs "
                                 "read from it")


def _registry_plan(username: Any, registry: Any = "ghcr.io") -> Plan:
    return environment_plan({"namespace": "dev", "secrets": [
        {"name": "registry", "type": "kubernetes.io/dockerconfigjson", "registry": registry, "username": username,
         "password": pulumi.Output.secret("pw")}]})


def test_a_registry_and_user_given_as_outputs_make_the_same_secret() -> None:
    # What an ECR repository's URL or another stack's output gives.
    plain = _registry_plan("bot")
    later = _registry_plan(pulumi.Output.from_input("bot"), pulumi.Output.from_input("ghcr.io"))
    assert [(r.urn, r.raw_inputs) for r in later.resources] == [(r.urn, r.raw_inputs) for r in plain.resources]


def test_a_user_name_output_is_checked_once_known_with_the_plain_values_message() -> None:
    with pytest.raises(SettingsError) as plain:
        _registry_plan("a:b")
    later = refused_once_known(lambda: _registry_plan(pulumi.Output.from_input("a:b")))
    assert later.endswith(f"ValueError has risen: {plain.value}")
