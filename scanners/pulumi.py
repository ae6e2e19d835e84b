"""The Pulumi source: `dsscan scan pulumi PATH...` / `dsscan inventory pulumi PATH...`.

Three inputs, all turned into :class:`~dsscan.scanners.iac.resources.IacResource` records in
Terraform's vocabulary (``dsscan.scanners.iac.types`` translates the tokens; ``snake_keys`` the
property names) and mapped into the inventory by ``dsscan.scanners.iac.mapping``:

* ``pulumi stack export`` JSON: ``{"version": 3 or 4, "deployment": {"resources": [...]}}``
  (also a backend state file, ``{"checkpoint": {"latest": {...}}}``). Values are the outputs,
  falling back to the inputs; the resources as deployed (``action`` None).
* ``pulumi preview --json`` output: ``{"config", "steps": [{"op", "urn", "newState", ...}],
  "changeSummary"}``. Values are the new inputs (the desired state), completed by outputs where
  the step has them; ``action`` from the step's op; ``delete`` steps make no resource. Unchanged
  resources are listed only with ``--show-sames``.
* a Pulumi Python program directory (``Pulumi.yaml``): run in a child process under the SDK's
  mocks (``dsscan.scanners.pulumi_program``), with cloud credentials removed from its
  environment and a throw-away HOME; no CLI, backend or cloud is used. What a program declares
  is read like a stack export of it; ids and ARNs are stand-ins made by the mocks, relations
  come from the SDK's (property) dependencies.

Unknown values (Pulumi's sentinel ``04da6b54-80e4-46f7-96ec-b56ff0331ba9``) become
``UNTIL_APPLY``; secrets (``{"4dabf18193072939515e22adb298388d":
"1b47061264138c4ac30d75fd1eb44270", "ciphertext"|"plaintext"|"value": ...}``, or ``"[secret]"``
in a preview) become ``SECRET``. ``refs`` are the property dependencies, ``{snake_attr:
[urn, ...]}`` (dependencies on no property: ``depends_on``). Region: the resource's own
``region`` (pulumi-aws 7), else its provider's ``region``, else the stack's ``aws:region``;
account: the provider's single ``allowedAccountIds`` entry, else (exports and previews only)
the account in the resource's ARN or ``ownerId``.

The Pulumi SDK is never imported here: the program runs in a child process.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsscan.errors import InputError
from dsscan.scanners import Scanner
from dsscan.scanners.iac.resources import (
    COMPUTED,
    SECRET,
    UNTIL_APPLY,
    IacResource,
    snake,
    snake_keys,
)
from dsscan.scanners.iac.types import terraform_type

if TYPE_CHECKING:
    from dsscan.inventory import Inventory

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ROOT_STACK = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
DEPLOYMENT_VERSION = 3  # apitype.DeploymentSchemaVersionCurrent
MAX_DEPLOYMENT_VERSION = 4  # apitype.DeploymentSchemaVersionLatest: read, never written
# The features a version-4 deployment may list (pkg/resource/stack/deployment.go,
# supportedFeatures): none changes the fields dsscan reads, beyond the byte-string values
# (_decode) and views (resources like any other).
DEPLOYMENT_FEATURES = frozenset({
    "refreshBeforeUpdate", "views", "hooks", "taint", "replaceWith", "snippets-prototype",
    "extensionParameterization", "byteString"})
BYTES_SIG = "803fd3297a5875dc03ca845dda5d2a98"  # a string that is not UTF-8: base64 bytes
RECORD_TIME = "2026-01-15T09:00:00Z"  # recorded fixtures are byte-for-byte reproducible
SECRET_PLACEHOLDER = "dsscan-mocks-secret"  # the value a program sees for a `secure:` config
NOT_ENCRYPTED = "[recorded under mocks: not encrypted]"

# Preview step ops (pkg/resource/deploy/step.go) -> IacResource.action; None: no resource.
_ACTIONS: dict[str, str | None] = {
    "create": "create", "update": "update", "same": "no-op", "replace": "replace",
    "create-replacement": "replace", "read": "read", "read-replacement": "read",
    "refresh": "no-op", "import": "no-op", "import-replacement": "replace",
    "delete": None, "delete-replaced": None, "discard": None, "discard-replaced": None,
    "remove-pending-replace": None,
}
# When one URN has several steps (--show-replacement-steps, --refresh), the strongest wins.
_STRENGTH = {"replace": 5, "create": 4, "update": 3, "read": 2, "no-op": 1}


@dataclass
class PulumiRead:
    """What one input held: the mapped resources and the custom resources left out."""

    kind: str  # export | preview | program
    file: str  # the input path as given
    resources: list[IacResource] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # unmapped token -> count
    stack: str | None = None
    project: str | None = None

    def describe(self) -> str:
        what = {"export": "pulumi stack export", "preview": "pulumi preview --json",
                "program": "Pulumi program under mocks"}[self.kind]
        return what


# -- values ------------------------------------------------------------------------------------

def _decode(value: Any, preview: bool, refs: list[str]) -> Any:
    """Pulumi's serialized property value -> plain value, Unknown where not known."""
    if isinstance(value, str):
        if value == UNKNOWN:
            return UNTIL_APPLY
        if preview and value == "[secret]":
            return SECRET
        return value
    if isinstance(value, list):
        return [_decode(v, preview, refs) for v in value]
    if isinstance(value, dict):
        sig = value.get(SIG)
        if sig == SECRET_SIG:
            return SECRET
        if sig == RESOURCE_SIG:  # a resource reference: its id (custom) or URN (component)
            if isinstance(value.get("urn"), str):
                refs.append(value["urn"])
            rid = value.get("id")
            if rid is not None and rid != "":
                return _decode(rid, preview, refs)
            return UNTIL_APPLY if "id" in value else value.get("urn")
        if sig == BYTES_SIG:  # not UTF-8 text: the bytes, read as far as they are text
            try:
                raw = base64.b64decode(str(value.get("value", "")), validate=True)
            except ValueError:
                return UNTIL_APPLY  # not readable: unknown, never a value
            return raw.decode("utf-8", "replace")
        if sig == OUTPUT_SIG:  # an output value: known or not, secret or not
            refs.extend(u for u in value.get("dependencies") or () if isinstance(u, str))
            if value.get("secret"):
                return SECRET
            return _decode(value["value"], preview, refs) if "value" in value else UNTIL_APPLY
        return {k: _decode(v, preview, refs) for k, v in value.items() if k != SIG}
    return value


def _values(props: dict[str, Any], preview: bool) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Top-level properties -> snake_case values (provider-internal ``__*`` keys dropped), and
    the URNs named by resource references inside them."""
    values: dict[str, Any] = {}
    refs: dict[str, list[str]] = {}
    for key, raw in props.items():
        if key.startswith("__"):  # __defaults, __meta, __internal: provider bookkeeping
            continue
        found: list[str] = []
        name = snake(key)
        decoded = _decode(raw, preview, found)
        values[name] = decoded if name in ("tags", "tags_all") else snake_keys(decoded)
        if found:
            refs[name] = found
    return values, refs


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _urn_name(urn: str) -> str:
    parts = urn.split("::")
    return "::".join(parts[3:]) if len(parts) >= 4 else urn


def _provider_urn(ref: Any) -> str | None:
    """``urn:...::pulumi:providers:aws::name::<id>`` -> the provider's URN."""
    if not isinstance(ref, str) or "::" not in ref:
        return None
    return ref.rsplit("::", 1)[0]


def _one_account(value: Any) -> str | None:
    """The account of ``allowedAccountIds`` with one entry (a list, or its JSON text: provider
    inputs carry non-string values as JSON)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str | int):
        return str(value[0])
    return None


def _arn_account(values: dict[str, Any]) -> str | None:
    arn = values.get("arn")
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 4 and len(parts[4]) == 12 and parts[4].isdigit():
            return parts[4]
    owner = values.get("owner_id")
    if isinstance(owner, str) and len(owner) == 12 and owner.isdigit():
        return owner
    return None


@dataclass
class _Provider:
    region: str | None
    account: str | None


def _provider_facts(state: dict[str, Any], preview: bool) -> _Provider:
    props = {**_dict(state.get("outputs")), **_dict(state.get("inputs"))}
    region = _decode(props.get("region"), preview, [])
    return _Provider(region if isinstance(region, str) and region else None,
                     _one_account(_decode(props.get("allowedAccountIds"), preview, [])))


# -- states (export resources, preview new states) -> IacResource -------------------------------

def _convert(states: list[tuple[dict[str, Any], str | None]], *, kind: str, file: str,
             config: dict[str, Any], preview: bool, trust_values: bool,
             files: dict[str, str] | None = None) -> PulumiRead:
    """ResourceV3-shaped states (with the preview action, if any) -> a PulumiRead.

    ``trust_values``: ids/ARNs are real (export, preview), not stand-ins (program mocks)."""
    read = PulumiRead(kind=kind, file=file)
    providers: dict[str, _Provider] = {}
    defaults: dict[str, _Provider] = {}
    for state, _ in states:
        typ = state.get("type")
        if isinstance(typ, str) and typ.startswith(PROVIDER_PREFIX):
            facts = _provider_facts(state, preview)
            providers[state["urn"]] = facts
            if _urn_name(state["urn"]).startswith("default"):
                defaults[typ[len(PROVIDER_PREFIX):]] = facts
    cfg_region = config.get("aws:region") if isinstance(config.get("aws:region"), str) else None
    cfg_account = _one_account(config.get("aws:allowedAccountIds"))

    for state, action in states:
        typ, urn = state["type"], state["urn"]
        # pulumi:pulumi:StackReference and friends are the engine's, not cloud resources.
        if typ.startswith("pulumi:") or not state.get("custom"):
            continue
        tf_type = terraform_type(typ)
        if tf_type is None:
            read.skipped[typ] += 1
            continue
        inputs, outputs = _dict(state.get("inputs")), _dict(state.get("outputs"))
        # Export: the outputs are the deployed truth. Preview: the inputs are the change.
        merged = {**outputs, **inputs} if preview else {**inputs, **outputs}
        values, value_refs = _values(merged, preview)
        # Imported (``importID``): it existed before the stack. An export holds what the
        # provider read of it; a program under mocks (or a preview that could not read it,
        # no outputs) does not: what its inputs do not state is unknown, not a default.
        imported = isinstance(state.get("importID"), str) and bool(state["importID"])
        unstated_known = not imported or (trust_values and bool(outputs))
        if preview and not imported:
            # Unknown in the outputs and not an input: the provider computes it at apply
            # (a default), which is not something configured but not known yet.
            for key in outputs.keys() - inputs.keys():
                if values.get(snake(key)) is UNTIL_APPLY:
                    values[snake(key)] = COMPUTED
        if "id" not in values:
            rid = state.get("id")
            values["id"] = (_decode(rid, preview, []) if rid
                            else UNTIL_APPLY if action in ("create", "replace") else None)
            if values["id"] is None:
                del values["id"]

        refs: dict[str, list[str]] = {}
        covered: set[str] = set()
        for key, urns in _dict(state.get("propertyDependencies")).items():
            good = [u for u in urns or () if isinstance(u, str) and u != urn]
            if good:
                refs.setdefault(snake(key), []).extend(good)
                covered.update(good)
        for key, urns in value_refs.items():
            for u in urns:
                if u not in refs.setdefault(key, []):
                    refs[key].append(u)
                covered.add(u)
        loose = [u for u in state.get("dependencies") or ()
                 if isinstance(u, str) and u not in covered and u != urn]
        if loose:
            refs["depends_on"] = loose

        # The stack's aws:* config configures the default provider only: a resource of an
        # explicit provider the input does not show (an unchanged one, in a preview without
        # --show-sames) gets neither region nor account from it.
        purn = _provider_urn(state.get("provider"))
        explicit = purn is not None and not _urn_name(purn).startswith("default")
        prov = providers.get(purn or "") or (
            _Provider(None, None) if explicit
            else defaults.get(typ.split(":", 1)[0], _Provider(None, None)))
        own = values.get("region")
        region = (own if isinstance(own, str) and own else prov.region) or (
            None if explicit else cfg_region)
        account = prov.account or (_arn_account(values) if trust_values else None) or (
            None if explicit else cfg_account)

        parent = state.get("parent")
        src_file, line = (files or {}).get(urn, file), None
        pos = state.get("sourcePosition")
        if files is not None and isinstance(pos, str) and "#" in pos:
            # A program: "project:///__main__.py#32[,5]", the line in its declaring file.
            # (For an export or preview the location is the input file; no line of its own.)
            at = pos.rsplit("#", 1)[1].split(",")[0]
            line = int(at) if at.isdigit() else None
        created = state.get("created")
        read.resources.append(IacResource(
            address=urn, type=tf_type, name=_urn_name(urn), values=values, refs=refs,
            region=region, account=account, action=action,
            file=src_file, line=line, tool="pulumi",
            parent=parent if isinstance(parent, str) and parent else None,
            # Read (Resource.get), not managed by this stack: like a Terraform data source.
            data=bool(state.get("external")) or action == "read",
            created=created if isinstance(created, str) else None,
            provider=purn or f"default:{typ.split(':', 1)[0]}",
            set_attrs=frozenset(snake(k) for k in inputs) if inputs else None,
            imported=imported, unstated_known=unstated_known))
    return read


def read_states(states: list[dict[str, Any]], *, kind: str, file: str,
                config: dict[str, Any] | None = None) -> PulumiRead:
    """Resources in the stack-export shape (e.g. built from CrossGuard's PolicyResource
    objects), values live or unknown (the preview sentinel) -> a PulumiRead."""
    return _convert([(s, None) for s in states], kind=kind, file=file, config=config or {},
                    preview=True, trust_values=True)


def _check_state(state: Any, where: str, path: str) -> dict[str, Any]:
    from dsscan.inputs import check_shape

    if not (isinstance(state, dict) and isinstance(state.get("urn"), str)
            and isinstance(state.get("type"), str)):
        raise InputError(f"{path}: {where}: not a Pulumi resource (no urn and type)")
    # The types of the other parts read (dependencies, parent, provider...).
    check_shape(state, "pulumi-resource.json", path, at=where)
    return state


def _check_version(doc: dict[str, Any], path: str) -> None:
    """Deployment schema 3, or 4 (the same resources, written when a stack uses a feature
    that needs it, listed in ``features``: apitype.DeploymentSchemaVersionLatest). A newer
    version, or a feature dsscan does not know, could change what a resource's fields mean:
    refused, as the Pulumi CLI refuses it."""
    version = doc.get("version")
    if version is None:
        return
    if isinstance(version, bool) or not isinstance(version, int) or version < 1 or \
            version > MAX_DEPLOYMENT_VERSION:
        raise InputError(f"{path}: $.version: deployment version {version!r} is not one "
                         f"dsscan reads (3 or {MAX_DEPLOYMENT_VERSION}): export the stack with "
                         "a Pulumi CLI of the same generation, or update dsscan")
    features = doc.get("features")
    if version >= 4 and features is not None:
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise InputError(f"{path}: $.features: not a list of feature names")
        new = sorted(set(features) - DEPLOYMENT_FEATURES)
        if new:
            raise InputError(f"{path}: $.features: the deployment uses features dsscan does "
                             f"not read ({', '.join(new)}): update dsscan")


def read_export_doc(doc: dict[str, Any], path: str) -> PulumiRead:
    """A parsed ``pulumi stack export`` (or backend state file) document."""
    if "checkpoint" in doc and "deployment" not in doc:  # a backend's state file
        deployment, where = _dict(_dict(doc.get("checkpoint")).get("latest")), "$.checkpoint.latest"
    elif "deployment" in doc:
        deployment, where = doc.get("deployment"), "$.deployment"
    else:  # a bare deployment (e.g. the Automation API's export_stack().deployment)
        deployment, where = doc, "$"
    _check_version(doc, path)
    if not isinstance(deployment, dict):
        raise InputError(f"{path}: {where}: not an object")
    resources = deployment.get("resources") or []
    if not isinstance(resources, list):
        raise InputError(f"{path}: {where}.resources: not a list")
    states = []
    for i, res in enumerate(resources):
        state = _check_state(res, f"{where}.resources[{i}]", path)
        if state.get("delete"):  # an old copy awaiting deletion after a replacement
            continue
        states.append((state, None))
    read = _convert(states, kind="export", file=path, config={}, preview=False,
                    trust_values=True)
    read.stack, read.project = _stack_project(states)
    return read


def read_preview_doc(doc: dict[str, Any], path: str) -> PulumiRead:
    """A parsed ``pulumi preview --json`` document."""
    steps = doc.get("steps") or []
    if not isinstance(steps, list):
        raise InputError(f"{path}: $.steps: not a list")
    order: list[str] = []
    chosen: dict[str, tuple[dict[str, Any], str]] = {}
    skipped: Counter[str] = Counter()
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("op"), str):
            raise InputError(f"{path}: $.steps[{i}]: not a preview step (no op)")
        op = step["op"]
        action = _ACTIONS.get(op, "update")  # an op newer than this list: a change
        if action is None:
            continue
        state = step.get("newState")
        if state is None:  # the CLI leaves it out when it cannot serialize it
            skipped[f"(step without newState: {op})"] += 1
            continue
        state = _check_state(state, f"$.steps[{i}].newState", path)
        urn = state["urn"]
        if urn not in chosen:
            order.append(urn)
        elif _STRENGTH.get(chosen[urn][1], 0) >= _STRENGTH.get(action, 0):
            continue
        chosen[urn] = (state, action)
    config = {k: v for k, v in _dict(doc.get("config")).items() if v != "[secret]"}
    states = [chosen[u] for u in order]
    read = _convert(states, kind="preview", file=path, config=config, preview=True,
                    trust_values=True)
    read.skipped.update(skipped)
    read.stack, read.project = _stack_project(states)
    return read


def _stack_project(states: list[tuple[dict[str, Any], str | None]]) -> tuple[str | None, ...]:
    for state, _ in states:
        parts = state["urn"].split("::")
        if len(parts) >= 4 and parts[0].startswith("urn:pulumi:"):
            return parts[0][len("urn:pulumi:"):], parts[1]
    return None, None


def _load_json(path: Path) -> Any:
    """A Pulumi JSON file, read as every input is (dsscan.inputs: size limit, strict JSON;
    PowerShell's `>` writes UTF-16, other tools a UTF-8 byte order mark: both are read)."""
    from dsscan.inputs import parse_json, read_bytes

    return parse_json(read_bytes(path, "Pulumi output"), str(path),
                      hint="expected 'pulumi stack export' or 'pulumi preview --json' output")


def read_file(path: str | Path) -> PulumiRead:
    """A stack export or a preview, told apart by content."""
    doc = _load_json(Path(path))
    if isinstance(doc, dict):
        if "deployment" in doc or "checkpoint" in doc or {"manifest", "resources"} <= doc.keys():
            return read_export_doc(doc, str(path))
        if "steps" in doc or "changeSummary" in doc:
            return read_preview_doc(doc, str(path))
    raise InputError(f"{path}: not Pulumi output: expected 'pulumi stack export' JSON "
                     "(deployment.resources) or 'pulumi preview --json' output (steps)")


def read_export(path: str | Path) -> PulumiRead:
    doc = _load_json(Path(path))
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a Pulumi stack export")
    return read_export_doc(doc, str(path))


def read_preview(path: str | Path) -> PulumiRead:
    doc = _load_json(Path(path))
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not 'pulumi preview --json' output")
    return read_preview_doc(doc, str(path))


# -- Pulumi projects ---------------------------------------------------------------------------

@dataclass
class PulumiProject:
    directory: Path
    name: str
    main: Path  # the program file (__main__.py)
    python: str  # the interpreter to run it with
    stack: str
    config: dict[str, str]  # PULUMI_CONFIG: "ns:key" -> string (objects as JSON text)
    secret_keys: list[str]


def _yaml(path: Path) -> Any:
    from dsscan.inputs import load_yaml

    return load_yaml(path, "Pulumi project file") or {}


def _config_value(value: Any) -> tuple[str, bool]:
    """A Pulumi.<stack>.yaml config value -> (the string the program sees, secret?)."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER, True
    if isinstance(value, str):
        return value, False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, int | float):
        return str(value), False
    secret = "secure" in json.dumps(value)

    def blind(v: Any) -> Any:
        if isinstance(v, dict):
            return SECRET_PLACEHOLDER if set(v) == {"secure"} else {k: blind(x) for k, x in
                                                                   v.items()}
        return [blind(x) for x in v] if isinstance(v, list) else v

    return json.dumps(blind(value)), secret


def _find_python(directory: Path, runtime: Any) -> str:
    """The project's virtualenv interpreter when Pulumi.yaml names one that exists, else ours."""
    options = _dict(runtime.get("options")) if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv")
    if not venv and options.get("toolchain") == "uv":
        venv = ".venv"
    if isinstance(venv, str) and venv:
        root = (directory / venv).resolve()
        for candidate in (root / "bin" / "python", root / "Scripts" / "python.exe"):
            if candidate.exists():
                return str(candidate)
    return sys.executable


def load_project(directory: str | Path, stack: str | None = None) -> PulumiProject:
    """Pulumi.yaml, the stack's Pulumi.<stack>.yaml config and the program to run."""
    d = Path(directory)
    yml = next((d / n for n in ("Pulumi.yaml", "Pulumi.yml") if (d / n).is_file()), None)
    if yml is None:
        raise InputError(f"{directory}: not a Pulumi project (no Pulumi.yaml); pass stack export "
                         "or preview JSON files as files")
    project = _dict(_yaml(yml))
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{yml}: name: missing")
    runtime = project.get("runtime")
    rt_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if rt_name != "python":
        raise InputError(f"{yml}: runtime: {rt_name!r}: dsscan runs Python programs only; for "
                         "other runtimes scan 'pulumi preview --json' or 'pulumi stack export'")
    main = d / str(project.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise InputError(f"{yml}: the program {main} does not exist")

    stack_files = sorted(p for p in d.glob("Pulumi.*.y*ml")
                         if p.name.count(".") == 2 and p.suffix in (".yaml", ".yml"))
    if stack is None:
        if len(stack_files) > 1:
            names = ", ".join(p.name.split(".")[1] for p in stack_files)
            raise InputError(f"{directory}: several stacks ({names}); choose one with --stack")
        stack = stack_files[0].name.split(".")[1] if stack_files else "dev"

    config: dict[str, str] = {}
    secret_keys: list[str] = []

    def put(key: str, value: Any) -> None:
        full = key if ":" in key else f"{name}:{key}"
        text, secret = _config_value(value)
        config[full] = text
        if secret and full not in secret_keys:
            secret_keys.append(full)

    for key, spec in _dict(project.get("config")).items():  # project-level defaults
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            put(str(key), spec.get("value", spec.get("default")))
        elif not isinstance(spec, dict):
            put(str(key), spec)
    stack_file = next((d / f"Pulumi.{stack}.{e}" for e in ("yaml", "yml")
                       if (d / f"Pulumi.{stack}.{e}").is_file()), None)
    if stack_file is not None:
        for key, value in _dict(_dict(_yaml(stack_file)).get("config")).items():
            put(str(key), value)
    return PulumiProject(directory=d, name=name, main=main, python=_find_python(d, runtime),
                         stack=stack, config=config, secret_keys=secret_keys)


# Environment variables a program under mocks must not see: cloud credentials and settings,
# Pulumi's own (tokens, backends), and anything named like a secret.
_DROP_PREFIXES = ("AWS_", "AMAZON_", "ALIBABA_", "ALIBABACLOUD_", "ALICLOUD_", "ALIYUN_",
                  "AZURE_", "ARM_", "MSI_", "IDENTITY_", "GOOGLE_", "GCLOUD_", "GCP_", "CLOUDSDK_",
                  "PULUMI_", "TENCENTCLOUD_", "HUAWEICLOUD_", "HWCLOUD_", "VOLCENGINE_", "OCI_",
                  "OS_", "DIGITALOCEAN_", "LINODE_", "KUBE", "TF_", "VAULT_", "XDG_",
                  "ACTIONS_ID_TOKEN_", "SSH_")
_DROP_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "ACCESS_KEY",
               "PRIVATE_KEY", "API_KEY", "APIKEY", "SESSION")


def scrubbed_env(environ: dict[str, str], project: PulumiProject, home: str) -> dict[str, str]:
    """The child's environment: ours minus credentials, with HOME emptied (no ~/.aws, ~/.azure,
    ~/.config/gcloud, ~/.pulumi) and the stack config where the SDK reads it."""
    env = {k: v for k, v in environ.items()
           if not k.upper().startswith(_DROP_PREFIXES)
           and not any(w in k.upper() for w in _DROP_WORDS)}
    env["HOME"] = env["USERPROFILE"] = home
    env["PYTHONUSERBASE"] = site.getuserbase()  # user-site packages stay importable
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PULUMI_CONFIG"] = json.dumps(project.config, sort_keys=True)
    env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(project.secret_keys)
    return env


def run_program(directory: str | Path, *, stack: str | None = None, preview: bool = False,
                timeout: float = 120.0) -> dict[str, Any]:
    """Run a Pulumi Python program under mocks in a child process; its capture document
    (``dsscan-pulumi-capture/1``: every registration with inputs, outputs, parent,
    dependencies, property dependencies, provider and source position; stack outputs)."""
    project = load_project(directory, stack)
    runner = Path(__file__).with_name("pulumi_program.py")
    work = tempfile.mkdtemp(prefix="dsscan-pulumi-")
    try:
        home = os.path.join(work, "home")
        os.mkdir(home)
        out = os.path.join(work, "capture.json")
        cmd = [project.python, str(runner), "run", str(project.directory.resolve()),
               "--main", str(project.main.resolve()), "--project", project.name,
               "--stack", project.stack, "--out", out] + (["--preview"] if preview else [])
        proc = subprocess.Popen(cmd, cwd=project.directory, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=scrubbed_env(dict(os.environ), project, home),
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise InputError(f"{directory}: the Pulumi program did not finish within "
                             f"{timeout:g} s (--timeout)") from None
        if os.environ.get("DSSCAN_PULUMI_DEBUG"):  # the program's traceback and output
            sys.stderr.write(err.decode("utf-8", "replace"))
        try:
            with open(out, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError):
            tail = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
            why = tail[-1].strip() if tail else f"exit code {proc.returncode}"
            raise InputError(f"{directory}: the Pulumi program runner failed "
                             f"({project.python}): {why}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if "error" in doc:
        hint = ""
        if str(doc["error"]).startswith("ModuleNotFoundError"):
            hint = (f" (install the program's packages, e.g. pulumi and pulumi-aws, for "
                    f"{project.python})")
        raise InputError(f"{directory}: the Pulumi program failed: {doc['error']}{hint}")
    doc["main"] = str(project.main)
    return doc


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop the child we started and anything it started (its own session)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except ProcessLookupError:
        pass
    proc.communicate()


def read_program(directory: str | Path, *, stack: str | None = None,
                 timeout: float = 120.0) -> PulumiRead:
    """A Pulumi Python program, run under mocks (update mode: every output known)."""
    capture = run_program(directory, stack=stack, preview=False, timeout=timeout)
    doc = capture_to_export(capture)
    files = _source_files(capture, str(directory))
    states = [(_check_state(r, "capture", str(directory)), None)
              for r in doc["deployment"]["resources"]]
    read = _convert(states, kind="program", file=str(directory), config=capture["config"],
                    preview=False, trust_values=False, files=files)
    for rec in capture["resources"]:
        if rec.get("remote"):  # the SDK's mocks do not construct multi-language components
            read.skipped[f"{rec['type']} (multi-language component: not expanded under "
                         "mocks)"] += 1
    read.resources += _kms_lookups(capture, str(directory))
    read.stack, read.project = capture["stack"], capture["project"]
    return read


_LOOKUPS = {"aws:kms/getKey:getKey": "aws_kms_key", "aws:kms/getAlias:getAlias": "aws_kms_alias"}


def _kms_lookups(capture: dict[str, Any], directory: str) -> list[IacResource]:
    """What the program's aws.kms.get_key / get_alias calls answered, as data sources: a key
    a store names by the ARN such a call gave is judged by what the call looked up (a key
    behind alias/aws/* is AWS-managed). Exports and previews do not record invokes."""
    out = []
    for i, inv in enumerate(capture.get("invokes") or []):
        tf_type = _LOOKUPS.get(inv.get("token"))
        result = inv.get("result")
        if tf_type is None or not isinstance(result, dict):
            continue
        values = snake_keys(result)
        arn = str(values.get("target_key_arn") or values.get("arn") or "").split(":")
        out.append(IacResource(
            address=f"{inv['token']}#{i}", type=tf_type, name=str(values.get("key_id") or
                                                                  values.get("name") or i),
            values=values, region=arn[3] if len(arn) > 4 else None,
            account=arn[4] if len(arn) > 4 else None, file=directory, tool="pulumi",
            data=True))
    return out


def _source_files(capture: dict[str, Any], directory: str) -> dict[str, str]:
    """URN -> the program file that declared it (as a path under ``directory`` as given)."""
    root = Path(capture["directory"])
    main = os.path.join(directory, os.path.relpath(capture["main"], root))
    out: dict[str, str] = {}
    for rec in capture["resources"]:
        uri = _dict(rec.get("source")).get("uri")
        path = main
        if isinstance(uri, str) and uri.startswith("file://"):
            try:
                rel = Path(uri[len("file://"):]).resolve().relative_to(root.resolve())
                path = os.path.join(directory, str(rel))
            except ValueError:
                pass  # declared outside the project (a component library): the main file
        out[rec["urn"]] = path
    return out


def read_path(path: str | Path, *, stack: str | None = None,
              timeout: float = 120.0) -> PulumiRead:
    """A directory is a program (it must hold Pulumi.yaml); a file an export or a preview."""
    p = Path(path)
    if p.is_dir():
        return read_program(path, stack=stack, timeout=timeout)
    if not p.exists():
        raise InputError(f"{path}: no such file or directory")
    return read_file(path)


# -- writing the documented formats from a capture (recorded fixtures, the program reader) ------

def _wire_out(value: Any, preview: bool) -> Any:
    """A captured wire value -> how the CLI writes it: secrets as ``[secret]`` in a preview and
    as a ciphertext object in an export (we have no key: the marker says so)."""
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return "[secret]" if preview else {SIG: SECRET_SIG, "ciphertext": NOT_ENCRYPTED}
        return {k: _wire_out(v, preview) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire_out(v, preview) for v in value]
    return value


def _sorted(value: Any) -> Any:
    """Map keys in order, as Go's encoding/json writes the engine's property maps."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _source_position(rec: dict[str, Any], directory: str) -> str | None:
    src = _dict(rec.get("source"))
    uri, line = src.get("uri"), src.get("line")
    if not isinstance(uri, str) or not uri.startswith("file://"):
        return None
    path = Path(uri[len("file://"):])
    try:
        uri = "project:///" + path.resolve().relative_to(Path(directory).resolve()).as_posix()
    except ValueError:
        return None  # inside the SDK or a library: the engine would not point there either
    return f"{uri}#{line}" if line else uri


def _ordered(capture: dict[str, Any]) -> list[dict[str, Any]]:
    """Registrations in a deterministic topological order (parents, providers and
    dependencies first; ties by source position, then URN): the SDK registers from threads,
    so arrival order varies between runs."""
    recs = {r["urn"]: r for r in capture["resources"]}

    def key(r: dict[str, Any]) -> tuple[int, str, int, str]:
        src = _dict(r.get("source"))
        return (0 if r["type"] == ROOT_STACK else 1, str(src.get("uri") or ""),
                int(src.get("line") or 0), r["urn"])

    before: dict[str, set[str]] = {u: set() for u in recs}
    for u, r in recs.items():
        for dep in [r.get("parent"), _provider_urn(r.get("provider")), *r["dependencies"]]:
            if dep in recs and dep != u:
                before[u].add(dep)
    after: dict[str, list[str]] = {u: [] for u in recs}
    for u, deps in before.items():
        for d in deps:
            after[d].append(u)
    ready = [(key(recs[u]), u) for u, deps in before.items() if not deps]
    heapq.heapify(ready)
    out: list[dict[str, Any]] = []
    while ready:
        _, u = heapq.heappop(ready)
        out.append(recs[u])
        for v in after[u]:
            before[v].discard(u)
            if not before[v]:
                heapq.heappush(ready, (key(recs[v]), v))
    if len(out) < len(recs):  # a cycle cannot come from the SDK; keep everything anyway
        out += sorted((r for u, r in recs.items() if r not in out), key=key)
    return out


def _states(capture: dict[str, Any], preview: bool) -> list[dict[str, Any]]:
    """The capture as ResourceV3 states, with the default providers the engine would add."""
    stack, project = capture["stack"], capture["project"]
    config: dict[str, str] = capture.get("config") or {}
    states: list[dict[str, Any]] = []
    default_refs: dict[str, str] = {}

    def default_provider(pkg: str, version: str | None) -> str:
        name = "default" + (f"_{version.replace('.', '_')}" if version else "")
        urn = f"urn:pulumi:{stack}::{project}::{PROVIDER_PREFIX}{pkg}::{name}"
        if urn not in default_refs:
            # The engine configures a default provider from the stack's "<pkg>:*" config.
            secret = set(capture.get("secret_keys") or ())
            inputs = {k.split(":", 1)[1]: ({SIG: SECRET_SIG, "value": v} if k in secret else v)
                      for k, v in sorted(config.items()) if k.startswith(pkg + ":")}
            if version:
                inputs["version"] = version
            inputs = _wire_out(inputs, preview)
            state: dict[str, Any] = {"urn": urn, "custom": True, "type": PROVIDER_PREFIX + pkg}
            if preview:
                default_refs[urn] = f"{urn}::{UNKNOWN}"
                state["inputs"] = inputs
            else:
                pid = str(uuid.uuid5(uuid.NAMESPACE_URL, urn))
                default_refs[urn] = f"{urn}::{pid}"
                state.update(id=pid, inputs=inputs, outputs=inputs)
            states.append(state)
        return default_refs[urn]

    for rec in _ordered(capture):
        typ, custom = rec["type"], rec["custom"]
        state = {"urn": rec["urn"], "custom": custom, "type": typ}
        if rec.get("id") and ((custom and not preview) or rec.get("external")):
            state["id"] = rec["id"]  # a preview knows the id of a read resource only
        if typ != ROOT_STACK:
            inputs = _wire_out(rec["inputs"], preview)
            if custom and not typ.startswith(PROVIDER_PREFIX):
                inputs = {"__defaults": [], **inputs}  # the bridged provider's Check adds it
            if inputs:
                state["inputs"] = _sorted(inputs)
            if not preview and (custom or rec.get("outputs")):
                state["outputs"] = _sorted(_wire_out(rec.get("outputs") or {}, preview))
        elif not preview and capture.get("outputs"):
            state["outputs"] = _sorted(_wire_out(capture["outputs"], preview))
        if rec.get("parent"):
            state["parent"] = rec["parent"]
        if rec.get("external"):
            state["external"] = True
        if rec.get("import_id"):
            state["importID"] = rec["import_id"]
        if rec["dependencies"]:
            # The SDK collects them in sets: sorted, so that recordings are reproducible.
            state["dependencies"] = sorted(rec["dependencies"])
        if custom and not typ.startswith(PROVIDER_PREFIX):
            ref = rec.get("provider") or default_provider(typ.split(":", 1)[0],
                                                          rec.get("version"))
            state["provider"] = ref
        if rec["propertyDependencies"]:
            # Go writes an empty dependency list as null (see the Pulumi Cloud export sample).
            state["propertyDependencies"] = {k: (sorted(v) or None) for k, v in
                                             sorted(rec["propertyDependencies"].items())}
        if not preview:
            state["created"] = state["modified"] = RECORD_TIME
        pos = _source_position(rec, capture["directory"])
        if pos:
            state["sourcePosition"] = pos
        states.append(state)
    # The engine registers a default provider before its first user: move each one there.
    first_user: dict[str, int] = {}
    for i, s in enumerate(states):
        purn = _provider_urn(s.get("provider"))
        if purn in default_refs and purn not in first_user:
            first_user[purn] = i
    providers = {s["urn"]: s for s in states if s["urn"] in default_refs}
    rest = [s for s in states if s["urn"] not in default_refs]
    out: list[dict[str, Any]] = []
    for s in rest:
        purn = _provider_urn(s.get("provider"))
        if purn in providers:
            out.append(providers.pop(purn))
        out.append(s)
    return out + list(providers.values())


def capture_to_export(capture: dict[str, Any]) -> dict[str, Any]:
    """The capture as ``pulumi stack export`` would print it after a first ``pulumi up``."""
    version = "v" + _sdk_version(capture)
    return {
        "version": DEPLOYMENT_VERSION,
        "deployment": {
            "manifest": {"time": RECORD_TIME,
                         "magic": hashlib.sha256(version.encode()).hexdigest(),
                         "version": version},
            "resources": _states(capture, preview=False),
        },
    }


def capture_to_preview(capture: dict[str, Any]) -> dict[str, Any]:
    """The capture (of a ``--preview`` run) as ``pulumi preview --json`` prints it for a first
    deployment: every resource a ``create`` step, computed values unknown."""
    secret = set(capture.get("secret_keys") or ())
    steps = []
    for state in _states(capture, preview=True):
        step: dict[str, Any] = {"op": "read" if state.get("external") else "create",
                                "urn": state["urn"]}
        if state.get("provider"):
            step["provider"] = state["provider"]
        step["newState"] = state
        step["detailedDiff"] = None
        steps.append(step)
    # The summary leaves out the default providers the engine adds on its own.
    counted = sum(1 for s in steps if not (s["newState"]["type"].startswith(PROVIDER_PREFIX)
                                           and _urn_name(s["urn"]).startswith("default")))
    return {
        "config": {k: ("[secret]" if k in secret else v)
                   for k, v in sorted((capture.get("config") or {}).items())},
        "steps": steps,
        "changeSummary": {"create": counted},
    }


def _sdk_version(capture: dict[str, Any]) -> str:
    return str(capture.get("sdk_version") or "3")


def record(directory: str | Path, *, stack: str | None = None, export: str | None = None,
           preview: str | None = None, timeout: float = 120.0) -> None:
    """Write the program's recorded ``pulumi stack export`` and/or ``pulumi preview --json``."""
    from dsscan.inventory import write_json_atomic

    if export:
        doc = capture_to_export(run_program(directory, stack=stack, timeout=timeout))
        write_json_atomic(export, json.dumps(doc, indent=4) + "\n")
    if preview:
        doc = capture_to_preview(run_program(directory, stack=stack, preview=True,
                                             timeout=timeout))
        write_json_atomic(preview, json.dumps(doc, indent=4) + "\n")


# -- the scanner -------------------------------------------------------------------------------

def collect(paths: tuple[str, ...], stack: str | None = None,
            timeout: float = 120.0) -> Inventory:
    from dsscan.scanners.iac.mapping import build_inventory, unmapped

    reads = [read_path(p, stack=stack, timeout=timeout) for p in paths]
    skipped = {rd.file: rd.skipped + unmapped(rd.resources) for rd in reads}
    inv = build_inventory([r for rd in reads for r in rd.resources], tool="pulumi",
                          files=[rd.file for rd in reads], skipped=skipped)
    for rd in reads:  # say what each input was
        src = next((s for s in inv.sources if s.get("file") == rd.file), None)
        if src is not None:
            src["detail"] = f"{rd.describe()}: {src['detail']}"
    return inv


def _params() -> list[Any]:
    import click

    from dsscan.cli.types import FiniteFloatRange

    return [
        click.Argument(["paths"], nargs=-1, required=True,
                       type=click.Path(exists=True, file_okay=True, dir_okay=True)),
        click.Option(["--stack"], metavar="NAME",
                     help="For a program directory: the stack whose Pulumi.<stack>.yaml config "
                          "the program sees (default: the only one there, else 'dev')."),
        click.Option(["--timeout"], type=FiniteFloatRange(1, 3600), default=120.0,
                     show_default=True, metavar="SECONDS",
                     help="For a program directory: stop the program after this long."),
    ]


HELP = """Evaluate Pulumi stacks before (or after) they are deployed.

PATH is a 'pulumi stack export' file, a 'pulumi preview --json' file (told apart by their
content) or a Pulumi Python program directory (with Pulumi.yaml). A program is run in a child
process under the Pulumi SDK's mocks, with cloud credentials removed from its environment and
an empty HOME: no Pulumi CLI, backend or cloud account is used. Several PATHs are one estate.

A value that is unknown until apply (a new resource's id or ARN in a preview) and that a policy
needs makes the asset "not assessed until apply" -- never a pass (exit code 3 when nothing
else failed). Secrets are never read. In a preview of an existing stack, unchanged resources
are listed only with 'pulumi preview --json --show-sames'.

\b
Examples:
  pulumi preview --json --show-sames > preview.json && dsscan scan pulumi preview.json
  pulumi stack export > stack.json && dsscan scan pulumi stack.json -f sarif -o pulumi.sarif
  dsscan scan pulumi ./infra --stack prod --fail-on high
  dsscan scan pulumi examples/pulumi/bank
"""

INVENTORY_HELP = """Read Pulumi stacks (export, preview, Python program) and write the inventory.

Nothing is evaluated; evaluate it later with 'dsscan scan inventory FILE'. See
'dsscan scan pulumi --help' for the inputs.

\b
Examples:
  dsscan inventory pulumi preview.json -o planned.json
  dsscan inventory pulumi examples/pulumi/bank --stack dev -o bank.json
"""

SCANNER = Scanner(
    name="pulumi",
    summary="Pulumi stack exports, previews (--json) and Python programs (run under mocks).",
    help=HELP,
    collect=collect,
    params=_params,
    inventory_help=INVENTORY_HELP,
)
