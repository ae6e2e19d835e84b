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
import json
import os
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
from dsscan.scanners.pulumi_capture import capture_to_export, capture_to_preview, record
from dsscan.scanners.pulumi_project import PulumiProject, load_project, run_program, scrubbed_env
from dsscan.scanners.pulumi_wire import (
    BYTES_SIG,
    DEPLOYMENT_FEATURES,
    DEPLOYMENT_VERSION,
    MAX_DEPLOYMENT_VERSION,
    NOT_ENCRYPTED,
    OUTPUT_SIG,
    PROVIDER_PREFIX,
    RECORD_TIME,
    RESOURCE_SIG,
    ROOT_STACK,
    SECRET_PLACEHOLDER,
    SECRET_SIG,
    SIG,
    UNKNOWN,
    _dict,
    _provider_urn,
    _urn_name,
)

if TYPE_CHECKING:
    from dsscan.inventory import Inventory

# Re-exported: the package's entry points for tests, the recorder and the policy pack.
__all__ = ["BYTES_SIG", "DEPLOYMENT_FEATURES", "DEPLOYMENT_VERSION", "MAX_DEPLOYMENT_VERSION",
           "NOT_ENCRYPTED", "OUTPUT_SIG", "PROVIDER_PREFIX", "RECORD_TIME", "RESOURCE_SIG",
           "ROOT_STACK", "SECRET_PLACEHOLDER", "SECRET_SIG", "SIG", "UNKNOWN", "PulumiProject",
           "PulumiRead", "capture_to_export", "capture_to_preview", "collect", "load_project",
           "read_export_doc", "read_file", "read_path", "read_preview_doc", "read_program",
           "read_states", "record", "run_program", "scrubbed_env"]


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
