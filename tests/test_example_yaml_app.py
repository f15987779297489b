"""examples/yaml-app/Pulumi.yaml: a Pulumi YAML program that uses the package, checked against schema.json.

No Pulumi CLI runs it here. What is checked is what Pulumi YAML checks before it deploys (pulumi/pulumi-yaml v1.38.1):
every resource type of the package exists, every property is an input of it, every required input is given, literals
have the schema's type (``pkg/pulumiyaml/analyser.go``, ``isAssignable``), and every ``${...}`` in any string names a
config key, a variable, a resource or ``pulumi`` (``sort.go``: an unknown name is a missing node), read with Pulumi
YAML's own grammar: ``$$`` escapes a ``$``, and a string that is exactly one ``${...}`` keeps the value's type while
any other string with ``${...}`` is a string (``ast/interpolation.go``, ``ast/expr.go``); a property access is a name
followed by ``.name``, ``[0]`` or ``["key"]`` (``ast/property.go``). A config key has the type that its ``type:``
declares (``config/config.go``), or its default's. An output read from a package component exists with a compatible
type; of another provider's resource only the resource name is checked (its schema is not vendored here).

Beyond it, three rules:
- an input the schema marks ``plain`` takes no Output. A string that interpolates an Output is one (``run.go``,
  ``evaluateInterpolations`` applies over it), and the Outputs are a resource's outputs, an ``fn::invoke``, an
  ``fn::secret``, a secret config key and any variable that reads one. The host hands such a value to the Python
  constructor as an Output (``ProviderServicer._select_value``), which a plain argument's validation refuses, and a
  TypeScript SDK would not compile it;
- a whole resource fits only an input whose type is that resource: Pulumi YAML would coerce it into a string input
  as its URN (``isAssignable``), which no input of this package wants;
- a whole resource inside a longer string is refused (it would print the resource object, not one of its outputs).
"""

import difflib
import re
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

import yaml

from components.package import PACKAGE_NAME, schema
from tests.validators import pulumi_schema_errors

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "examples" / "yaml-app" / "Pulumi.yaml"
PROJECT_SCHEMA = ROOT / "reference" / "pulumi" / "v3.259.0" / "project.json"
# One step of a property access: `.`, `[0]`, `["key"]` (a `\"` inside the key is a quote), or a name, which runs up to
# the next `.`, `[` or `}` (so `payments-environment` and `yaml-app:region` are names).
_ACCESSOR = re.compile(r'\.|\[(\d+)\]|\["((?:\\"|[^"])*)"\]|([^.\[}]+)')
_LITERAL_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "boolean": bool, "integer": int, "number": (int, float)}
_CONFIG_TYPES = {"string": "string", "bool": "boolean", "boolean": "boolean", "int": "integer", "integer": "integer",
                 "number": "number", "object": "map<Any>"}
# A config key without `type:` has its default's type.
_DEFAULT_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}
_PULUMI_VALUES = {"cwd", "organization", "project", "rootDirectory", "stack"}


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


def _config_type(declared: str) -> str:
    """A config ``type:`` (case-insensitive, ``List<T>``) as a :func:`_shape` string; ``Any`` if unknown."""
    declared = declared.lower()
    if declared.startswith("list<") and declared.endswith(">"):
        return f"array<{_config_type(declared[5:-1].strip())}>"
    return _CONFIG_TYPES.get(declared, "Any")


def _interpolations(text: str) -> tuple[list[tuple[str, list[str | int]]], bool]:
    """The property accesses ``text`` interpolates (as written, and as steps), and whether ``text`` is exactly one.

    Raises ValueError on a ``${`` that is not a property access closed by ``}``."""
    accesses: list[tuple[str, list[str | int]]] = []
    literal, i = False, 0
    while i < len(text):
        if text.startswith("$$", i):
            literal, i = True, i + 2
        elif text.startswith("${", i):
            start, i = i + 2, i + 2
            steps: list[str | int] = []
            while not text.startswith("}", i):
                step = _ACCESSOR.match(text, i)
                if step is None:
                    raise ValueError(f"{text[start - 2:]!r} is not a property access closed by }}")
                index, key, name = step.groups()
                if index is not None:
                    steps.append(int(index))
                elif key is not None:
                    steps.append(key.replace('\\"', '"'))
                elif name is not None:
                    steps.append(name)
                i = step.end()
            if not steps:
                raise ValueError("'${}' names nothing")
            accesses.append((text[start:i], steps))
            i += 1
        else:
            literal, i = True, i + 1
    return accesses, len(accesses) == 1 and not literal


class Read(NamedTuple):
    """What a string stands for: its name in messages, its type (a :func:`_shape` string), whether it is an Output
    (and which access makes it one), and the type token if it is a whole resource."""

    name: str
    type: str
    output: str = ""
    resource: str = ""


class Checker:
    """Walks the program's use of the package and collects one message per mistake."""

    def __init__(self, program: dict[str, Any], document: dict[str, Any]) -> None:
        self.program, self.document = program, document
        self.problems: list[str] = []
        self.config: dict[str, Any] = program.get("config", {})
        self.variables: dict[str, Any] = program.get("variables", {})
        self.resources: dict[str, Any] = program["resources"]
        # A variable is an Output if its expression reads one, possibly through other variables: grow to a fixpoint.
        self.output_variables: set[str] = set()
        while (grown := {name for name, value in self.variables.items() if self._reads_output(value)}) \
                != self.output_variables:
            self.output_variables = grown

    def run(self) -> list[str]:
        for name, value in self.variables.items():
            self._walk(f"variables.{name}", value)
        for name, resource in self.resources.items():
            for option, value in resource.get("options", {}).items():
                if option not in ("providers", "dependsOn"):
                    self._walk(f"{name}.options.{option}", value)
                    continue
                for i, ref in enumerate(value):
                    read = self._string(f"{name}.options.{option}[{i}]", ref)
                    if read is not None and not read.resource:
                        self.problems.append(f"{name}.options.{option}[{i}]: {ref!r} is not a resource")
            self._walk(f"{name}.get", resource.get("get", {}))
            if resource["type"].startswith(f"{PACKAGE_NAME}:"):
                self._component(name, resource)
            else:
                self._walk(name, resource.get("properties", {}))
        self._walk("outputs", self.program.get("outputs", {}))
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
        if isinstance(value, str):
            read = self._string(where, value)
            if read is not None:
                self._fits(where, read, prop)
            return
        if isinstance(value, dict) and len(value) == 1 and (builtin := next(iter(value))).startswith("fn::"):
            # A builtin (fn::join, fn::select, fn::invoke...): its names are checked, its type is not modelled.
            self._walk(where, value)
            self._fits(where, Read(builtin, "Any", builtin if self._reads_output(value) else ""), prop)
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

    def _fits(self, where: str, read: Read, prop: dict[str, Any]) -> None:
        """One message if ``read`` cannot be given to the input ``prop``: its type, or an Output into a plain one."""
        wanted = _shape(prop)
        token = unquote(prop.get("$ref", "").partition("#/resources/")[2])
        if read.output and prop.get("plain"):
            reads = f" (it reads {read.output})" if read.output != read.name else ""
            self.problems.append(f"{where} is a plain input, but {read.name} is an Output{reads}: give a literal, a "
                                 f"config key or a variable computed from them")
        elif "Any" in (wanted, read.type):
            return
        elif read.resource or token:
            if read.resource != token:
                fix = f": give one of its outputs, ${{{read.name}.<output>}}" if not token else ""
                self.problems.append(f"{where}: {read.name} is {f'a {read.resource}' if read.resource else read.type}, "
                                     f"the input takes {wanted}{fix}")
        elif not (read.type == wanted
                  or (wanted in ("integer", "number") and read.type in ("integer", "number"))
                  # Pulumi YAML prints a number or a boolean into a string input, and a map fits an object type.
                  or (wanted == "string" and read.type in ("integer", "number", "boolean"))
                  or (wanted.startswith("#/types/") and read.type.startswith("map<"))):
            self.problems.append(f"{where}: {read.name} is {read.type}, the input takes {wanted}")

    def _string(self, where: str, text: str) -> Read | None:
        """What ``text`` stands for, once every ``${...}`` in it is checked; None after a mistake."""
        try:
            accesses, bare = _interpolations(text)
        except ValueError as error:
            self.problems.append(f"{where}: {error}")
            return None
        reads = [read for written, steps in accesses if (read := self._read(where, written, steps)) is not None]
        if len(reads) < len(accesses):
            return None
        if bare:
            return reads[0]
        for read in reads:
            if read.resource:
                self.problems.append(f"{where}: {text!r} prints the whole resource {read.name}: interpolate one of "
                                     f"its outputs, ${{{read.name}.<output>}}")
                return None
        return Read(repr(text), "string", next((read.output for read in reads if read.output), ""))

    def _read(self, where: str, written: str, steps: list[str | int]) -> Read | None:
        """What one property access reads, or None (and a message) if it names nothing."""
        name, rest = str(steps[0]), steps[1:]
        output = written if self._output(steps) else ""
        if (key := self._config_key(name)) in self.config:
            decl = self.config[key] if isinstance(self.config[key], dict) else {"default": self.config[key]}
            declared = _config_type(str(decl["type"])) if "type" in decl else \
                _DEFAULT_TYPES.get(type(decl.get("default")), "Any")
            return Read(written, "Any" if rest else declared, output)
        if name in self.variables:
            return Read(written, "Any", output)
        if name == "pulumi":
            if len(rest) == 1 and rest[0] in _PULUMI_VALUES:
                return Read(written, "string")
            self.problems.append(f"{where}: ${{{written}}} is not one of "
                                 f"{', '.join(f'pulumi.{value}' for value in sorted(_PULUMI_VALUES))}")
            return None
        resource = self.resources.get(name)
        if resource is None:
            close = difflib.get_close_matches(name, [*self.config, *self.variables, *self.resources], n=1)
            self.problems.append(f"{where}: {name} is not a config key, variable or resource of the program"
                                 + (f" (did you mean {close[0]}?)" if close else ""))
            return None
        if not rest:
            return Read(written, "resource", resource=resource["type"])
        spec = self.document["resources"].get(resource["type"])
        if spec is None:
            return Read(written, "Any", output)
        outputs = {"urn": {"type": "string"}, **spec["properties"]}
        if rest[0] not in outputs:
            self.problems.append(f"{where}: {name}.{rest[0]} is not an output of {resource['type']}")
            return None
        return Read(written, _shape(outputs[str(rest[0])]) if len(rest) == 1 else "Any", output)

    def _reads_output(self, value: Any) -> bool:
        """Whether an expression (a variable's value) is an Output: it invokes, makes a secret or reads an Output."""
        if isinstance(value, dict):
            return bool({"fn::invoke", "fn::secret"} & set(value)) or any(map(self._reads_output, value.values()))
        if isinstance(value, list):
            return any(map(self._reads_output, value))
        if not isinstance(value, str):
            return False
        try:
            accesses, _ = _interpolations(value)
        except ValueError:
            return False  # reported where the string is checked
        return any(self._output(steps) for _, steps in accesses)

    def _config_key(self, root: str | int) -> str:
        """The config key a root names, without the project's namespace (``yaml-app:region`` is ``region``)."""
        return str(root).removeprefix(f"{self.program['name']}:")

    def _output(self, steps: list[str | int]) -> bool:
        """Whether a property access reads an Output: a resource's output, a secret config key, an Output variable."""
        config = self.config.get(self._config_key(steps[0]))
        return ((len(steps) > 1 and steps[0] in self.resources) or steps[0] in self.output_variables
                or (isinstance(config, dict) and config.get("secret") is True))

    def _walk(self, where: str, value: Any) -> None:
        if isinstance(value, str):
            self._string(where, value)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._walk(f"{where}.{key}", item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self._walk(f"{where}[{i}]", item)


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
        "payments.appName is a plain input, but payments-environment.namespace is an Output: give a literal, a config "
        "key or a variable computed from them",
        "payments.secrets[0].keys[0].file: 3 is not a string",
        f"payments.csiDriver: payments-environment is a {PACKAGE_NAME}:index:Environment, the input takes "
        f"#/resources/{PACKAGE_NAME}:index:SecretsStoreCsiDriver",
        "payments.mountPth is not an input (inputs: " + ", ".join(
            sorted(schema()["resources"][f"{PACKAGE_NAME}:index:AppSecrets"]["inputProperties"])) + ")",
        f"outputs.roleArn: payments.roleArm is not an output of {PACKAGE_NAME}:index:AppSecrets",
    ]


def test_every_name_interpolated_in_any_string_is_checked() -> None:
    program = _load()
    cluster = program["resources"]["payments"]["properties"]["cluster"]
    cluster["clusterArn"] = "arn:aws:eks:${region}:${acountId}:cluster/${clusterName}"
    program["variables"]["oidcIssuer"]["fn::select"][1]["fn::split"][1] = "${oidcProviderArm}"
    program["resources"]["cluster"]["properties"]["clusterIdentifier"] = "${pod-identity-agent.id}"
    program["resources"]["payments"]["properties"]["failoverRegion"] = {"fn::select": [0, ["${regoin}"]]}
    program["resources"]["payments-workload"]["options"]["parent"] = "${paymnts}"
    program["outputs"]["roleArn"] = "role ${payments.roleArm} in ${pulumi.stak}"
    program["outputs"]["unterminated"] = "${clusterName"
    # Not mistakes: `$$` escapes, the project's namespace on a config key, and what `pulumi` names.
    program["outputs"]["fine"] = "$${acountId} ${yaml-app:region} ${pulumi.stack} ${payments-environment.urn}"
    assert Checker(program, schema()).run() == [
        "variables.oidcIssuer.fn::select[1].fn::split[1]: oidcProviderArm is not a config key, variable or resource "
        "of the program (did you mean oidcProviderArn?)",
        "cluster.clusterIdentifier: pod-identity-agent is not a config key, variable or resource of the program",
        "payments.cluster.clusterArn: acountId is not a config key, variable or resource of the program (did you "
        "mean accountId?)",
        "payments.failoverRegion.fn::select[1][0]: regoin is not a config key, variable or resource of the program "
        "(did you mean region?)",
        "payments-workload.options.parent: paymnts is not a config key, variable or resource of the program (did you "
        "mean payments?)",
        f"outputs.roleArn: payments.roleArm is not an output of {PACKAGE_NAME}:index:AppSecrets",
        "outputs.roleArn: ${pulumi.stak} is not one of pulumi.cwd, pulumi.organization, pulumi.project, "
        "pulumi.rootDirectory, pulumi.stack",
        "outputs.unterminated: '${clusterName' is not a property access closed by }",
    ]


def test_a_string_that_interpolates_an_output_is_an_output_which_a_plain_input_refuses() -> None:
    program = _load()
    program["variables"]["suffix"] = "${accountId}-x"            # reads an invoke, through a variable
    program["config"]["team"] = {"type": "string", "secret": True}
    app = program["resources"]["payments"]["properties"]
    app["appName"] = "app-${payments-environment.namespace}"
    app["mountPath"] = "/mnt/${suffix}"
    app["target"]["region"] = "${team}"
    app["namespace"] = "ns-${payments-environment.namespace}"    # not plain: an Output is fine
    app["filePermission"] = {"fn::join": ["", ["0", "${payments-environment.namespace}"]]}
    app["failoverRegion"] = {"fn::select": [0, ["${region}"]]}   # computed from config: known before deployment
    assert Checker(program, schema()).run() == [
        "payments.appName is a plain input, but 'app-${payments-environment.namespace}' is an Output (it reads "
        "payments-environment.namespace): give a literal, a config key or a variable computed from them",
        "payments.target.region is a plain input, but team is an Output: give a literal, a config key or a variable "
        "computed from them",
        "payments.mountPath is a plain input, but '/mnt/${suffix}' is an Output (it reads suffix): give a literal, a "
        "config key or a variable computed from them",
        "payments.filePermission is a plain input, but fn::join is an Output: give a literal, a config key or a "
        "variable computed from them",
    ]


def test_a_whole_resource_fits_only_an_input_of_that_resource() -> None:
    program = _load()
    app = program["resources"]["payments"]["properties"]
    app["namespace"] = "${payments-environment}"
    app["secrets"][0]["secret"] = "${payments-environment}-key"
    assert Checker(program, schema()).run() == [
        f"payments.namespace: payments-environment is a {PACKAGE_NAME}:index:Environment, the input takes string: "
        "give one of its outputs, ${payments-environment.<output>}",
        "payments.secrets[0].secret: '${payments-environment}-key' prints the whole resource payments-environment: "
        "interpolate one of its outputs, ${payments-environment.<output>}",
    ]


def test_a_config_value_fits_an_input_by_its_declared_type() -> None:
    program = _load()
    program["config"].update({"replicas": {"type": "String"}, "rotate": {"default": True},
                              "port": {"type": "integer"}})
    program["resources"]["payments"]["properties"]["csiDriver"] = "${region}"
    workload = program["resources"]["payments-workload"]["properties"]
    workload["replicas"] = "${replicas}"
    workload["service"] = "${region}"
    workload["port"] = "${port}"                                 # an integer config into an integer input
    workload["image"] = "${port}"                                # printed as a string, as Pulumi YAML does
    program["resources"]["payments"]["properties"]["restartOnFileRotation"] = "${rotate}"
    assert Checker(program, schema()).run() == [
        f"payments.csiDriver: region is string, the input takes #/resources/{PACKAGE_NAME}:index:SecretsStoreCsiDriver",
        "payments-workload.replicas: replicas is string, the input takes integer",
        "payments-workload.service: region is string, the input takes boolean",
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
