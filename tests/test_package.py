"""components/package.py: the component package that other Pulumi languages use, proven without the Pulumi CLI.

What is proven here, in-process: the schema that the SDK's host infers (``pulumi.provider.experimental``) is the
checked-in ``schema.json`` and valid against Pulumi's package metaschema; a ``Construct`` request, as another
language sends it (camelCase inputs over protobuf, a provider reference), answered by the SDK's own provider server
against our recording engine served as the resource monitor over loopback gRPC, registers the same children as the
Python constructor; a bad argument reaches the caller as an ``INVALID_ARGUMENT`` status with per-property details.
What is not: the Pulumi CLI's ``pulumi package add``, SDK generation, and the engine itself.
"""

import asyncio
import contextvars
import inspect
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

import grpc
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.errors import InputPropertiesError
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import (
    errors_pb2,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
    status_pb2,
)

import components
from components import package
from components.app_secrets import AppSecrets
from components.csi_driver import SecretsStoreCsiDriver
from components.handles import AwsTarget, ClusterIdentity
from components.package import COMPONENTS, PACKAGE_NAME, schema, schema_text

# The engine's own monitor and worker threads, served here over gRPC instead of through set_mocks.
from components.plan.engine import Plan, RecordedResource, _own_executor, _RecordingMonitor, digest_key, run_program
from components.plan.fake_cloud import FakeCloud
from components.validation import SettingsError
from components.workload import Workload
from components.workload_identity import WorkloadIdentity, WorkloadIdentityArgs
from tests.validators import pulumi_schema_errors

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
METASCHEMA = ROOT / "reference" / "pulumi" / "v3.259.0" / "pulumi.json"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
IDENTITY = "eks-config-secrets:index:WorkloadIdentity"


def metaschema_errors(document: dict[str, Any]) -> list[str]:
    return pulumi_schema_errors(document, METASCHEMA)


def test_checked_in_schema_is_what_the_host_serves() -> None:
    assert (ROOT / "schema.json").read_text(encoding="utf-8") == schema_text(), (
        "schema.json is stale: run `python -m components schema > schema.json`")


def test_schema_is_valid_against_the_pulumi_metaschema() -> None:
    assert metaschema_errors(schema()) == []


def test_metaschema_refuses_a_bad_token_and_version() -> None:
    # The validator is not vacuous: the metaschema's own patterns reject these.
    document = schema()
    document["version"] = "one"
    document["resources"]["eks-config-secrets:index:9Bad"] = document["resources"].pop(IDENTITY)
    assert len(metaschema_errors(document)) == 2


def test_every_exported_component_is_a_resource_under_its_own_type_token() -> None:
    resources = schema()["resources"]
    assert sorted(resources) == sorted(f"{PACKAGE_NAME}:index:{c.__name__}" for c in COMPONENTS)
    assert len(COMPONENTS) == 11
    for component in COMPONENTS:
        # The token the constructor registers is the one the schema serves, or a construct would not find it.
        assert f'"{PACKAGE_NAME}:index:{component.__name__}"' in inspect.getsource(component)
        assert resources[f"{PACKAGE_NAME}:index:{component.__name__}"]["isComponent"] is True


def test_every_input_and_output_carries_its_docstring() -> None:
    document = schema()
    missing = [f"{token}.{name}"
               for token, resource in document["resources"].items()
               for section in ("inputProperties", "properties")
               for name, prop in resource.get(section, {}).items() if not prop.get("description")]
    missing += [f"{token}.{name}" for token, typ in document["types"].items()
                for name, prop in typ["properties"].items() if not prop.get("description")]
    assert missing == []


def test_names_and_arns_that_another_program_computes_accept_outputs() -> None:
    resources = schema()["resources"]
    takes_outputs = {
        "WorkloadIdentity": ("accountId", "oidcProviderArn", "oidcIssuer", "namespace", "targetRoleArn"),
        "SecureCluster": ("accountId", "vpcId", "subnetIds", "kmsKeyArn"),
        "Workload": ("image", "namespace", "appSecrets", "environment"),
        "AppSecrets": ("namespace", "targetRoleArn"),
        "SecretProviderClass": ("namespace", "objects"),
        "SecretReader": ("namespace", "serviceAccountName"),
    }
    for component, names in takes_outputs.items():
        inputs = resources[f"{PACKAGE_NAME}:index:{component}"]["inputProperties"]
        assert [name for name in names if inputs[name].get("plain")] == [], component
    # Inside the handle and argument types, and the items of lists whose length is known.
    types = schema()["types"]
    fields = {
        "ClusterIdentity": ("clusterName", "clusterArn", "oidcProviderArn", "oidcIssuer", "podIdentityAgentAddon"),
        "AppSecretArgs": ("secret", "parameter", "kmsKeyArn", "failoverKmsKeyArn"),
        "SecretObjectArgs": ("objectName", "failoverObjectName"),
        "EnvironmentSecretArgs": ("registry", "username", "password"),
    }
    for typ, names in fields.items():
        properties = types[f"{PACKAGE_NAME}:index:{typ}"]["properties"]
        assert [name for name in names if properties[name].get("plain")] == [], typ
    items = {("WorkloadIdentity", "parameters"), ("SecretReader", "secretNames"), ("Reloader", "namespaces"),
             ("Workload", "imagePullSecrets")}
    assert [(c, n) for c, n in sorted(items)
            if resources[f"{PACKAGE_NAME}:index:{c}"]["inputProperties"][n]["items"].get("plain")] == []


WIRE = {"namespace": "dev", "serviceAccountName": "app", "secrets": ["dev/app/database"], "region": "eu-west-1",
        "accountId": "123456789012", "oidcProviderArn": PROVIDER_ARN, "oidcIssuer": ISSUER}
"""A WorkloadIdentity's arguments as a TypeScript or YAML program sends them: the schema's camelCase names."""


class _ServedMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The recording engine's monitor behind a real gRPC endpoint: the provider server connects to the address in
    the request (``reset_options(monitor_address=...)``), as it does to the engine's monitor in a deployment."""

    def __init__(self, monitor: _RecordingMonitor, context: contextvars.Context) -> None:
        self.monitor = monitor
        # The URNs it makes read the project and stack from the SDK settings of the caller's context.
        self.context = context

    def _call(self, method: str, request: Any) -> Any:
        return self.context.copy().run(getattr(self.monitor, method), request)

    def RegisterResource(self, request: Any, _context: Any) -> Any:
        return self._call("RegisterResource", request)

    def RegisterResourceOutputs(self, request: Any, _context: Any) -> Any:
        return self._call("RegisterResourceOutputs", request)

    def Invoke(self, request: Any, _context: Any) -> Any:
        return self._call("Invoke", request)

    def GetDeploymentInfo(self, request: Any, _context: Any) -> Any:
        return self._call("GetDeploymentInfo", request)

    def SupportsFeature(self, request: Any, _context: Any) -> Any:
        # The stock mock answers with a stand-in object; over the wire it must be the message.
        return resource_pb2.SupportsFeatureResponse(hasSupport=self._call("SupportsFeature", request).hasSupport)


class _AbortingContext:
    """What the gRPC server hands ``Construct``: records the status it aborts with."""

    def __init__(self) -> None:
        self.status: Any = None

    async def abort_with_status(self, status: Any) -> None:
        self.status = status


def _in_own_loop(run: Callable[[], Awaitable[T]]) -> T:
    """Run ``run()`` in a loop of its own (asyncio.run would leave the main thread without one for the engine's
    later runs), with the engine's worker threads, each with its loop, for the SDK's RPCs."""
    previous = asyncio.get_event_loop()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with _own_executor():
            return loop.run_until_complete(run())
    finally:
        loop.close()
        asyncio.set_event_loop(previous)
        settings.reset_options()


STACK = "urn:pulumi:dev::eks-config-secrets::pulumi:pulumi:Stack::eks-config-secrets-dev"
Step = Callable[[list[Any]], tuple[str, str, dict[str, Any]]]
"""One construct request of a caller's program: (type, name, inputs as sent), given the earlier responses. An
input whose value is a ``_Pending`` is sent as the caller sends another resource's output: with a dependency on
that resource, which the host hands to the constructor as an Output."""


class _Pending:
    """An input value that comes from another resource (``urn``) of the caller's program."""

    def __init__(self, value: Any, urn: str) -> None:
        self.value, self.urn = value, urn


def _served(steps: Sequence[Step], caller: Sequence[tuple[str, str, dict[str, Any]]] = (),
            aborted: list[Any] | None = None) -> tuple[list[Any], list[RecordedResource]]:
    """Answer each step's construct request in turn with the SDK's provider server hosting our package (one server
    and loop, as one plugin process serves a deployment), against the recording engine served as the resource
    monitor. The caller's Kubernetes provider is registered first (by the caller's program, in a deployment) and
    passed by reference, as the engine passes it; so are the ``caller``'s own resources (type, name, inputs), whose
    registrations open the responses that the steps see. With ``aborted``, a step that the server aborts ends the
    run, its status appended there."""
    monitor = _RecordingMonitor(FakeCloud(region="eu-west-1"), digest_key("eks-config-secrets", "dev"))
    settings.reset_options(project="eks-config-secrets", stack="dev")
    kubeconfig = struct_pb2.Struct()
    kubeconfig.update({"kubeconfig": "{}"})
    k8s_provider = monitor.RegisterResource(resource_pb2.RegisterResourceRequest(
        type="pulumi:providers:kubernetes", name="k8s", custom=True, object=kubeconfig))
    owned = []
    for typ, name, inputs in caller:
        state = struct_pb2.Struct()
        state.update(inputs)
        owned.append(monitor.RegisterResource(resource_pb2.RegisterResourceRequest(
            type=typ, name=name, custom=True, parent=STACK, object=state)))
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_ServedMonitor(monitor, contextvars.copy_context()), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    servicer = package.Servicer(package.provider(), [], engine_address="")

    async def run() -> list[Any]:
        responses: list[Any] = list(owned)
        for step in steps:
            typ, name, wire = step(responses)
            pending = {key: value.urn for key, value in wire.items() if isinstance(value, _Pending)}
            request = provider_pb2.ConstructRequest(
                project="eks-config-secrets", stack="dev", type=typ, name=name, parent=STACK,
                monitorEndpoint=f"127.0.0.1:{port}", providers={"kubernetes": f"{k8s_provider.urn}::{k8s_provider.id}"},
                inputs=await rpc.serialize_properties(
                    {key: value.value if isinstance(value, _Pending) else value for key, value in wire.items()}, {}))
            for key, urn in pending.items():
                request.inputDependencies[key].urns.append(urn)
            context = _AbortingContext()
            try:
                responses.append(await servicer.Construct(request, context))
            except Exception:
                if aborted is None or context.status is None:
                    raise
                aborted.append(context.status)
                break
            assert context.status is None, context.status
        return responses

    try:
        responses = _in_own_loop(run)
    finally:
        server.stop(None)
    return responses[len(owned):], monitor.recorded


def _same_children(hosted: list[RecordedResource], direct: Plan, count: int, callers: Sequence[str] = ()) -> None:
    """The components' children are the same, ``callers`` (URNs of the caller's own resources, which the hosted
    children may also depend on through an input given as their output) aside."""
    built = {r.urn: r for r in hosted if r.type != "pulumi:providers:kubernetes" and r.urn not in callers}
    expected = {r.urn: r for r in direct.resources
                if r.type != "pulumi:providers:kubernetes" and r.urn not in callers}
    assert sorted(built) == sorted(expected)
    assert len(built) == count
    for urn, resource in built.items():
        assert (resource.inputs, resource.parent, resource.provider,
                [d for d in resource.dependencies if d not in callers]) == (
            expected[urn].inputs, expected[urn].parent, expected[urn].provider,
            [d for d in expected[urn].dependencies if d not in callers]), urn


def _direct(build: Callable[[pulumi.ResourceOptions], object]) -> Plan:
    return run_program(lambda: build(pulumi.ResourceOptions(
        providers={"kubernetes": k8s.Provider("k8s", kubeconfig="{}")})), config={"aws:region": "eu-west-1"})


def test_a_construct_request_registers_the_same_children_as_the_python_constructor() -> None:
    (response,), hosted = _served([lambda _: (IDENTITY, "app", WIRE)])
    args: WorkloadIdentityArgs = {
        "namespace": "dev", "service_account_name": "app", "secrets": ["dev/app/database"], "region": "eu-west-1",
        "account_id": "123456789012", "oidc_provider_arn": PROVIDER_ARN, "oidc_issuer": ISSUER}
    _same_children(hosted, _direct(lambda opts: WorkloadIdentity("app", args, opts)), 4)
    # The component's outputs go back to the caller under the schema's names.
    assert response.urn == f"urn:pulumi:dev::eks-config-secrets::{IDENTITY}::app"
    assert sorted(response.state) == ["namespace", "ownerGrants", "roleArn", "roleName", "serviceAccountName"]


CLUSTER_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/ecs-dev"
SECRETS = [{"secret": "dev/app/database",
            "keys": [{"property": "password", "file": "db-password", "env": "DB_PASSWORD"}]}]


def test_handles_and_a_backend_component_pass_through_the_host() -> None:
    # A TypeScript program: the driver, then the app's secrets given the driver itself (a resource reference)
    # and the cluster and target handles as objects.
    def app_secrets(responses: list[Any]) -> tuple[str, str, dict[str, Any]]:
        driver = {rpc._special_sig_key: rpc._special_resource_sig, "urn": responses[0].urn}
        return f"{PACKAGE_NAME}:index:AppSecrets", "app", {
            "namespace": "dev", "appName": "app", "secrets": SECRETS,
            "cluster": {"clusterName": "ecs-dev", "clusterArn": CLUSTER_ARN, "oidcProviderArn": PROVIDER_ARN,
                        "oidcIssuer": ISSUER},
            "target": {"region": "eu-west-1", "accountId": "123456789012"},
            "csiDriver": driver}

    _, hosted = _served([lambda _: (f"{PACKAGE_NAME}:index:SecretsStoreCsiDriver", "csi", {"region": "eu-west-1"}),
                         app_secrets])

    def program(opts: pulumi.ResourceOptions) -> None:
        driver = SecretsStoreCsiDriver("csi", {"region": "eu-west-1"}, opts)
        AppSecrets("app", {
            "namespace": "dev", "app_name": "app", "secrets": cast(Any, SECRETS),
            "cluster": ClusterIdentity(cluster_name="ecs-dev", cluster_arn=CLUSTER_ARN,
                                       oidc_provider_arn=PROVIDER_ARN, oidc_issuer=ISSUER),
            "target": AwsTarget(region="eu-west-1", account_id="123456789012"),
            "csi_driver": driver}, opts)

    direct = _direct(program)
    _same_children(hosted, direct, len(direct.resources) - 1)
    assert {r.type for r in hosted} >= {"kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
                                        "kubernetes:helm.sh/v3:Release", "aws:iam/role:Role"}


def test_a_reference_to_a_component_built_elsewhere_is_refused_by_name() -> None:
    stranger = {rpc._special_sig_key: rpc._special_resource_sig,
                "urn": f"urn:pulumi:dev::eks-config-secrets::{PACKAGE_NAME}:index:SecretsStoreCsiDriver::other"}
    _, errors = _construct_status({
        "namespace": "dev", "appName": "app", "secrets": SECRETS,
        "cluster": {"clusterName": "ecs-dev", "clusterArn": CLUSTER_ARN, "oidcProviderArn": PROVIDER_ARN,
                    "oidcIssuer": ISSUER},
        "target": {"region": "eu-west-1", "accountId": "123456789012"}, "csiDriver": stranger},
        f"{PACKAGE_NAME}:index:AppSecrets")
    assert errors == [("other", f"{PACKAGE_NAME}:index:SecretsStoreCsiDriver other was not created through this "
                                "package in this deployment (pass a component created in the same program)")]


def _construct_status(wire: dict[str, Any], typ: str = IDENTITY,
                      outputs: Sequence[str] = ()) -> tuple[str, list[tuple[str, str]]]:
    """Send ``wire`` as a construct request, with no monitor (nothing may be registered); return the aborted
    status's message and its per-property details (path, reason). The inputs named in ``outputs`` depend on
    another resource, as when the caller passes that resource's output: the host hands them on as Outputs."""
    servicer = package.Servicer(package.provider(), [], engine_address="")
    context = _AbortingContext()

    async def run() -> None:
        request = provider_pb2.ConstructRequest(project="p", stack="s", type=typ, name="app",
                                                inputs=await rpc.serialize_properties(wire, {}))
        for key in outputs:
            request.inputDependencies[key].urns.append("urn:pulumi:s::p::kubernetes:core/v1:Namespace::other")
        with pytest.raises(Exception):  # noqa: B017 - the server re-raises after aborting, as gRPC expects
            await servicer.Construct(request, context)

    _in_own_loop(run)
    assert context.status is not None, "the server did not answer with a status"
    return _invalid_argument(context.status)


def _invalid_argument(aborted: Any) -> tuple[str, list[tuple[str, str]]]:
    """The message and per-property details (path, reason) of the INVALID_ARGUMENT status a server aborted with."""
    assert aborted.code == grpc.StatusCode.INVALID_ARGUMENT
    (key, value), = aborted.trailing_metadata
    assert key == "grpc-status-details-bin"
    status = status_pb2.Status.FromString(value)
    details = errors_pb2.InputPropertiesError()
    assert status.details[0].Unpack(details)
    return status.message, [(e.property_path, e.reason) for e in details.errors]


def test_a_bad_argument_reaches_the_caller_as_one_property_error_not_a_traceback() -> None:
    message, errors = _construct_status({
        "namespace": "Dev", "serviceAccountName": "app", "secrets": ["dev/app/database"], "region": "eu-west-1",
        "accountId": "123456789012", "oidcProviderArn": PROVIDER_ARN, "oidcIssuer": ISSUER})
    assert errors == [("namespace", "'Dev' is not a DNS-1123 label (at most 63 lowercase letters, digits and '-', "
                                    "starting and ending with a letter or digit)")]
    assert message == f"WorkloadIdentity: namespace {errors[0][1]}"
    assert "Traceback" not in message


def test_a_bad_argument_given_as_an_output_reaches_the_caller_as_a_property_error_once_it_resolves() -> None:
    # The namespace comes from the caller's Namespace: the component checks it inside the apply that uses it, after
    # construct has returned; the server still answers with the property, not a traceback.
    namespace_urn = "urn:pulumi:dev::eks-config-secrets::kubernetes:core/v1:Namespace::dev"
    aborted: list[Any] = []
    _served([lambda _: (IDENTITY, "app", {
        "namespace": _Pending("Dev", namespace_urn), "serviceAccountName": "app", "secrets": ["dev/app/database"],
        "region": "eu-west-1", "accountId": "123456789012", "oidcProviderArn": PROVIDER_ARN, "oidcIssuer": ISSUER})],
        caller=[("kubernetes:core/v1:Namespace", "dev", {})], aborted=aborted)
    message, errors = _invalid_argument(aborted[0])
    assert errors == [("namespace", "'Dev' is not a DNS-1123 label (at most 63 lowercase letters, digits and '-', "
                                    "starting and ending with a letter or digit)")]
    assert message == f"WorkloadIdentity: namespace {errors[0][1]}"
    assert "Traceback" not in message


def test_a_missing_required_input_is_named_by_the_sdk() -> None:
    _, errors = _construct_status({"namespace": "dev", "serviceAccountName": "app", "region": "eu-west-1"})
    assert errors == [("secrets", "Missing required input 'secrets' on 'WorkloadIdentity'")]


@pytest.mark.parametrize(("setting", "path"), [
    ("AppSecretsArgs.secrets[0].keys[1].file", "secrets[0].keys[1].file"),
    ("SecureClusterArgs.node_group.min_size", "nodeGroup.minSize"),
    ("AppSecretsArgs.oidc_provider_arn", "oidcProviderArn"),
])
def test_settings_paths_become_schema_property_paths(setting: str, path: str) -> None:
    error = package.input_properties_error("C", SettingsError(setting, 1, "is wrong"))
    assert isinstance(error, InputPropertiesError)
    assert error.errors == [{"property_path": path, "reason": "1 is wrong"}]



def test_an_output_given_to_a_plain_argument_is_refused_per_property() -> None:
    # The SDK would hand the Output on: the ServiceAccount name check would print an Output object, and the list
    # of secrets would fail with a TypeError deep in the constructor. The namespace and the account take Outputs.
    _, errors = _construct_status({
        "namespace": "dev", "serviceAccountName": "app", "secrets": ["dev/app/database"], "region": "eu-west-1",
        "accountId": "123456789012", "oidcProviderArn": PROVIDER_ARN, "oidcIssuer": ISSUER},
        outputs=["serviceAccountName", "secrets", "accountId", "namespace"])
    reason = "is an output of another resource, but this argument must be known before deployment: give a plain value"
    assert errors == [("serviceAccountName", reason), ("secrets", reason)]


def test_the_plugin_started_as_the_cli_starts_it_serves_the_checked_in_schema() -> None:
    # The Python language host runs a plugin directory with a __main__.py as `python <dir> <engine address>`
    # (pulumi/pulumi v3.259.0 sdk/python/cmd/pulumi-language-python/main.go, RunPlugin); the plugin prints its
    # port, and `pulumi package add` asks it for the schema (GetSchema).
    plugin = subprocess.Popen([sys.executable, str(ROOT / "provider"), "127.0.0.1:1"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert plugin.stdout is not None
        port = int(plugin.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            served = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
    finally:
        plugin.terminate()
        plugin.wait(timeout=30)
    assert json.loads(served.schema) == json.loads((ROOT / "schema.json").read_text(encoding="utf-8"))
    assert info.version == components.__version__


def _ref(response: Any) -> dict[str, Any]:
    """A resource reference to what ``response`` registered, as the engine sends one."""
    reference = {rpc._special_sig_key: rpc._special_resource_sig, "urn": response.urn}
    # A custom resource's registration has an id; a component's construct response has none.
    resource_id = getattr(response, "id", "")
    return reference | ({"id": resource_id} if resource_id else {})


def test_pod_identity_on_an_existing_cluster_and_its_workload_pass_through_the_host() -> None:
    # A YAML or TypeScript program: the cluster's agent add-on is its own resource, set on the cluster handle; the
    # app's namespace is another resource's output; the Workload takes the AppSecrets component.
    namespace_urn = "urn:pulumi:dev::eks-config-secrets::kubernetes:core/v1:Namespace::dev"
    agent_urn = "urn:pulumi:dev::eks-config-secrets::aws:eks/addon:Addon::agent"
    agent_inputs = {"clusterName": "ecs-dev", "addonName": "eks-pod-identity-agent"}

    def app_secrets(responses: list[Any]) -> tuple[str, str, dict[str, Any]]:
        return f"{PACKAGE_NAME}:index:AppSecrets", "app", {
            "namespace": _Pending("dev", namespace_urn), "appName": "app", "secrets": SECRETS,
            "identity": "pod-identity",
            # As every SDK sends a handle holding a resource reference: with that resource as its dependency, which
            # the server answers by wrapping the whole handle in an Output.
            "cluster": _Pending({"clusterName": "ecs-dev", "clusterArn": CLUSTER_ARN, "oidcProviderArn": PROVIDER_ARN,
                                 "oidcIssuer": ISSUER, "podIdentityAgentAddon": _ref(responses[0])}, agent_urn),
            "target": {"region": "eu-west-1", "accountId": "123456789012"}, "csiDriver": _ref(responses[1])}

    def workload(responses: list[Any]) -> tuple[str, str, dict[str, Any]]:
        return f"{PACKAGE_NAME}:index:Workload", "app", {
            "appName": "app", "namespace": "dev", "image": "nginx:1.27", "appSecrets": _ref(responses[2])}

    _, hosted = _served([lambda _: (f"{PACKAGE_NAME}:index:SecretsStoreCsiDriver", "csi", {"region": "eu-west-1"}),
                         app_secrets, workload], caller=[("aws:eks/addon:Addon", "agent", agent_inputs)])

    def program(opts: pulumi.ResourceOptions) -> None:
        agent = aws.eks.Addon("agent", cluster_name="ecs-dev", addon_name="eks-pod-identity-agent")
        driver = SecretsStoreCsiDriver("csi", {"region": "eu-west-1"}, opts)
        app = AppSecrets("app", {
            "namespace": "dev", "app_name": "app", "secrets": cast(Any, SECRETS), "identity": "pod-identity",
            "cluster": ClusterIdentity(cluster_name="ecs-dev", cluster_arn=CLUSTER_ARN, oidc_provider_arn=PROVIDER_ARN,
                                       oidc_issuer=ISSUER, pod_identity_agent_addon=agent),
            "target": AwsTarget(region="eu-west-1", account_id="123456789012"), "csi_driver": driver}, opts)
        Workload("app", {"app_name": "app", "namespace": "dev", "image": "nginx:1.27", "app_secrets": app}, opts)

    direct = _direct(program)
    _same_children(hosted, direct, len(direct.resources) - 2, callers=[agent_urn, namespace_urn])
    association = next(r for r in hosted if r.type == "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert agent_urn in association.dependencies
    # What is placed in the namespace waits for the caller's Namespace, whose output it was given.
    spc = next(r for r in hosted if r.type == "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    assert namespace_urn in spc.dependencies
    assert association.inputs["clusterName"] == "ecs-dev"
    deployment = next(r for r in hosted if r.type == "kubernetes:apps/v1:Deployment")
    assert deployment.inputs["spec"]["template"]["spec"]["serviceAccountName"] == "app"
    assert deployment.inputs["metadata"]["namespace"] == "dev"
