"""examples/yaml-app/Pulumi.yaml: a Pulumi YAML program that uses the package, checked against schema.json.

No Pulumi CLI runs it here. What is checked is what Pulumi YAML's type checker checks against a package schema
(pulumi/pulumi-yaml v1.38.1 ``pkg/pulumiyaml/analyser.go``): every resource type of the package exists, every
property is an input of it, every required input is given, literals have the schema's type, and every output read
from a package component exists with a compatible type. Beyond it: a reference to a resource's output only feeds
an input that is not ``plain``, since the host hands such a value to the Python constructor as an Output
(``ProviderServicer._select_value``), which a plain argument's validation refuses, and a TypeScript SDK would not
compile it.
"""

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from components.package import PACKAGE_NAME, schema
from tests.validators import pulumi_schema_errors

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "examples" / "yaml-app" / "Pulumi.yaml"
PROJECT_SCHEMA = ROOT / "reference" / "pulumi" / "v3.259.0" / "project.json"
_REFERENCE = re.compile(r"^\$\{([^}]+)\}$")
_LITERAL_TYPES = {"string": str, "boolean": bool, "integer": int, "number": (int, float)}


def _load() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PROGRAM.read_text(encoding="utf-8"))
    return loaded


def _shape(prop: dict[str, Any]) -> str:
    """A property's type as one comparable string: ``array<string>``, ``#/types/...``, ``Any``."""
    if "$ref" in prop:
        return "Any" if prop["$ref"] == "pulumi.json#/Any" else str(prop["$ref"])
    if prop.get("type") == "array":
        return f"array<{_shape(prop['items'])}>"
    if prop.get("type") == "object" and "additionalProperties" in prop:
        return f"map<{_shape(prop['additionalProperties'])}>"
    return str(prop.get("type"))


class Checker:
    """Walks the program's use of the package and collects one message per mistake."""

    def __init__(self, program: dict[str, Any], document: dict[str, Any]) -> None:
        self.program, self.document = program, document
        self.problems: list[str] = []
        self.config = set(program.get("config", {}))
        variables = program.get("variables", {})
        # A variable computed only from config by fn::select/fn::split is known at preview; an invoke's is not.
        self.plain_variables = {name for name, value in variables.items() if "fn::invoke" not in value}
        self.output_variables = set(variables) - self.plain_variables

    def run(self) -> list[str]:
        for name, resource in self.program["resources"].items():
            for option in ("providers", "dependsOn"):
                for ref in resource.get("options", {}).get(option, []):
                    self._reference(f"{name}.options.{option}", ref, None)
            if resource["type"].startswith(f"{PACKAGE_NAME}:"):
                self._component(name, resource)
            else:
                self._walk_references(name, resource.get("properties", {}))
        for key, value in self.program.get("outputs", {}).items():
            self._reference(f"outputs.{key}", value, None)
        return self.problems

    def _component(self, name: str, resource: dict[str, Any]) -> None:
        spec = self.document["resources"].get(resource["type"])
        if spec is None:
            self.problems.append(f"{name}: {resource['type']} is not a resource of the package")
            return
        properties = resource.get("properties", {})
        missing = sorted(set(spec.get("requiredInputs", [])) - set(properties))
        if missing:
            self.problems.append(f"{name}: required inputs missing: {', '.join(missing)}")
        self._object(name, properties, spec["inputProperties"])

    def _object(self, where: str, value: dict[str, Any], properties: dict[str, Any]) -> None:
        for key, item in value.items():
            if key not in properties:
                self.problems.append(f"{where}.{key} is not an input (inputs: {', '.join(sorted(properties))})")
                continue
            self._value(f"{where}.{key}", item, properties[key])

    def _value(self, where: str, value: Any, prop: dict[str, Any]) -> None:
        if isinstance(value, str) and _REFERENCE.match(value):
            self._reference(where, value, prop)
            return
        ref = prop.get("$ref", "")
        if ref == "pulumi.json#/Any":
            return
        if ref.startswith("#/types/"):
            typ = self.document["types"][ref.removeprefix("#/types/")]
            if not isinstance(value, dict):
                self.problems.append(f"{where}: {value!r} is not an object of {ref}")
                return
            missing = sorted(set(typ.get("required", [])) - set(value))
            if missing:
                self.problems.append(f"{where}: required properties missing: {', '.join(missing)}")
            self._object(where, value, typ["properties"])
            return
        kind = prop.get("type")
        if kind == "array":
            if not isinstance(value, list):
                self.problems.append(f"{where}: {value!r} is not a list")
                return
            for i, item in enumerate(value):
                self._value(f"{where}[{i}]", item, prop["items"])
        elif kind == "object":
            if not isinstance(value, dict):
                self.problems.append(f"{where}: {value!r} is not a map")
                return
            for key, item in value.items():
                self._value(f"{where}.{key}", item, prop["additionalProperties"])
        elif kind in _LITERAL_TYPES:
            expected = _LITERAL_TYPES[kind]
            if not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)):
                self.problems.append(f"{where}: {value!r} is not a {kind}")

    def _reference(self, where: str, value: str, prop: dict[str, Any] | None) -> None:
        target = _REFERENCE.match(value)
        if target is None:
            self.problems.append(f"{where}: {value!r} is not a ${{...}} reference")
            return
        head, _, attribute = target.group(1).partition(".")
        if head in self.config or head in self.plain_variables:
            return
        if head in self.output_variables:
            self._takes_output(where, prop)
            return
        resource = self.program["resources"].get(head)
        if resource is None:
            self.problems.append(f"{where}: {head} is not a config key, variable or resource of the program")
            return
        wanted = prop.get("$ref", "") if prop is not None else ""
        # A resource of this package (#/resources/<token>) or of another (/aws/v7.51.1/schema.json#/resources/...).
        token = unquote(wanted.partition("#/resources/")[2])
        if not attribute and token and token != resource["type"]:
            self.problems.append(f"{where}: {head} is a {resource['type']}, the input takes {wanted}")
        if attribute:
            self._takes_output(where, prop)
            if resource["type"].startswith(f"{PACKAGE_NAME}:"):
                outputs = self.document["resources"][resource["type"]]["properties"]
                name = attribute.split(".")[0].split("[")[0]
                if name not in outputs:
                    self.problems.append(f"{where}: {head}.{name} is not an output of {resource['type']}")
                elif prop is not None and "." not in attribute and _shape(prop) not in (
                        _shape(outputs[name]), "Any"):
                    self.problems.append(f"{where}: {head}.{name} is {_shape(outputs[name])}, the input takes "
                                         f"{_shape(prop)}")

    def _takes_output(self, where: str, prop: dict[str, Any] | None) -> None:
        if prop is not None and prop.get("plain"):
            self.problems.append(f"{where} is a plain input: it cannot take an Output")

    def _walk_references(self, where: str, value: Any) -> None:
        if isinstance(value, str) and _REFERENCE.match(value):
            self._reference(where, value, None)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._walk_references(f"{where}.{key}", item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self._walk_references(f"{where}[{i}]", item)


def test_every_package_type_property_and_output_the_program_uses_exists_with_a_compatible_type() -> None:
    program = _load()
    assert Checker(program, schema()).run() == []
    used = sorted({r["type"] for r in program["resources"].values() if r["type"].startswith(f"{PACKAGE_NAME}:")})
    assert used == [f"{PACKAGE_NAME}:index:AppSecrets", f"{PACKAGE_NAME}:index:Environment",
                    f"{PACKAGE_NAME}:index:SecretsStoreCsiDriver", f"{PACKAGE_NAME}:index:Workload"]


def test_the_checker_catches_each_kind_of_mistake() -> None:
    program = _load()
    app = program["resources"]["payments"]["properties"]
    app["mountPth"] = "/mnt/x"                                   # not an input
    app["appName"] = "${payments-environment.namespace}"         # an Output into a plain input
    app["secrets"][0]["keys"][0]["file"] = 3                     # a number for a string
    del app["target"]                                            # a required input
    app["csiDriver"] = "${payments-environment}"                 # a reference to another type
    program["outputs"]["roleArn"] = "${payments.roleArm}"       # no such output
    problems = Checker(program, schema()).run()
    assert problems == [
        "payments: required inputs missing: target",
        "payments.appName is a plain input: it cannot take an Output",
        "payments.secrets[0].keys[0].file: 3 is not a string",
        f"payments.csiDriver: payments-environment is a {PACKAGE_NAME}:index:Environment, the input takes "
        f"#/resources/{PACKAGE_NAME}:index:SecretsStoreCsiDriver",
        "payments.mountPth is not an input (inputs: " + ", ".join(
            sorted(schema()["resources"][f"{PACKAGE_NAME}:index:AppSecrets"]["inputProperties"])) + ")",
        f"outputs.roleArn: payments.roleArm is not an output of {PACKAGE_NAME}:index:AppSecrets",
    ]


def test_the_app_runs_as_the_packages_workload_given_its_secrets() -> None:
    # No Deployment written by hand: the package's Workload takes the AppSecrets component (a resource reference)
    # and builds the pod from its fragment, with the package's security contexts.
    resources = _load()["resources"]
    workload = resources["payments-workload"]
    assert workload["type"] == f"{PACKAGE_NAME}:index:Workload"
    assert workload["properties"]["appSecrets"] == "${payments}"
    assert [r for r in resources.values() if r["type"] == "kubernetes:apps/v1:Deployment"] == []


def _with_pod_identity(agent_type: str) -> dict[str, Any]:
    """The program with ``identity: pod-identity``: the cluster's agent add-on read with ``get`` (a resource of
    type ``agent_type``) and set on the cluster handle."""
    program = _load()
    program["resources"]["pod-identity-agent"] = {
        "type": agent_type, "get": {"id": "${clusterName}:eks-pod-identity-agent"}}
    app = program["resources"]["payments"]["properties"]
    app["identity"] = "pod-identity"
    app["cluster"]["podIdentityAgentAddon"] = "${pod-identity-agent}"
    return program


def test_pod_identity_on_the_existing_cluster_types_against_the_schema() -> None:
    assert Checker(_with_pod_identity("aws:eks/addon:Addon"), schema()).run() == []
    assert Checker(_with_pod_identity("aws:eks/cluster:Cluster"), schema()).run() == [
        "payments.cluster.podIdentityAgentAddon: pod-identity-agent is a aws:eks/cluster:Cluster, the input takes "
        "/aws/v7.51.1/schema.json#/resources/aws:eks%2Faddon:Addon"]


def test_the_program_is_a_valid_pulumi_project_file() -> None:
    # Pulumi's own schema of Pulumi.yaml: `packages:` as `pulumi package add` writes it, typed `config:` (where a
    # key named `secret` would clash with the schema's own `config.secret` flag).
    assert pulumi_schema_errors(_load(), PROJECT_SCHEMA) == []
    broken = _load()
    broken["config"]["secret"] = {"type": "string"}
    assert pulumi_schema_errors(broken, PROJECT_SCHEMA) == [
        "$.config.secret: {'type': 'string'} is not of type 'boolean'"]
