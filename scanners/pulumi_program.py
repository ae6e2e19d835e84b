"""Run a Pulumi Python program under the SDK's mocks and write down what it declares.

This module runs in a child process started by ``dsscan.scanners.pulumi_source`` (never in dsscan's
own process: a program is arbitrary code with global runtime state). It needs only the Python
standard library and the Pulumi SDK, so it can run under the project's own virtualenv, where
dsscan is not installed. The parent gives it a scrubbed environment (no cloud credentials, a
throw-away HOME) and the stack configuration in ``PULUMI_CONFIG``, as the Pulumi language host
would.

Child use (internal)::

    python pulumi_program.py run DIR --main FILE --project NAME --stack NAME --out FILE [--preview]

writes ``{"format": "dsscan-pulumi-capture/1", ...}`` (see :func:`run`) or, when the
program fails, ``{"error": "<ExceptionType>: <first line>"}`` and exits 2.

Recording the example fixtures (needs dsscan importable)::

    python -m dsscan.scanners.pulumi_program DIR [--stack dev] \
        --record-export stack-export.json --record-preview preview.json

How the capture works. ``pulumi.runtime.set_mocks`` accepts a ``monitor``: we pass a subclass
of the SDK's ``MockMonitor`` whose ``RegisterResource`` sees the full gRPC request the SDK
sends the engine -- type, name, parent, custom, provider reference, dependencies, property
dependencies, source position and the serialized inputs (unknowns and secrets in their wire
form). ``MockResourceArgs`` carries none of parent/dependencies, so the monitor, not the mocks
object, is where they are captured. The monitor also answers in place of the engine and the
provider:

* URNs are made as the engine makes them (children of the root stack carry no
  ``pulumi:pulumi:Stack$`` prefix; a child's type is prefixed with its parent's full qualified
  type). The SDK's mock monitor prefixes the stack type and only the parent's last type.
* update (``--preview`` off): each custom resource gets a deterministic id and its inputs as
  state (with the provider defaults its Check would add), plus plausible computed outputs
  (ARNs from name, region and account; ``vpc-``/``sg-`` style ids; the stack's ``aws:region``
  and single ``aws:allowedAccountIds``; stand-ins for every other output-only property, from
  ``pulumi_mocks.py``).
* preview (``--preview``): the id is empty and the state holds the inputs only, so computed
  outputs are unknown -- what a first ``pulumi preview`` shows.
* invokes: ``aws.get_caller_identity``, ``aws.get_region``, ``aws.get_partition`` and
  ``aws.get_availability_zones`` answer fixed values derived from the stack config;
  ``aws.iam.get_policy_document`` the policy its arguments describe; ``aws.kms.get_key`` and
  ``get_alias`` the key they name (recorded in the capture's ``invokes``); any other invoke
  its arguments and stand-ins for the rest of its result.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import traceback
import uuid
from typing import Any

# Run by path, this file's directory (dsscan's scanners/) comes first on sys.path: no module
# there may take the name of a package a program imports (the Pulumi source is
# pulumi_source.py, not pulumi.py, for that reason: tests/test_pulumi_mocks.py checks it).
_HERE = os.path.dirname(os.path.abspath(__file__))

FORMAT = "dsscan-pulumi-capture/1"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ROOT_STACK = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"


def _config() -> dict[str, str]:
    try:
        return dict(json.loads(os.environ.get("PULUMI_CONFIG") or "{}"))
    except ValueError:
        return {}


def _one_account(value: Any) -> str | None:
    """The account of an ``allowedAccountIds`` value (a list, or the JSON text of one)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str | int):
        return str(value[0])
    return None


def _plain(value: Any) -> Any:
    """A wire value with secrets unwrapped, for computing plausible outputs from inputs."""
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _ints(value: Any) -> Any:
    """protobuf's Struct holds every number as a double: 35.0 back to 35, as the engine's JSON
    has it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def _sibling(name: str) -> Any:
    """A module beside this file, loaded from its path (the child has no dsscan to import)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_dsscan_{name}",
                                                  os.path.join(_HERE, f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_mocks = _sibling("pulumi_mocks")
partition_of = _mocks.partition_of
_hex = _mocks.hex_of


def _uuid(urn: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, urn))


# token -> (id kind, ARN template). Kinds: "name:<input>" (the physical name is the id),
# "ec2:<prefix>" (prefix-<17 hex>), "uuid". ARN templates use {p} partition, {r} region,
# {a} account, {id} and {name}.
_COMPUTED: dict[str, tuple[str, str | None]] = {
    "aws:s3/bucket:Bucket": ("name:bucket", "arn:{p}:s3:::{id}"),
    "aws:s3/bucketV2:BucketV2": ("name:bucket", "arn:{p}:s3:::{id}"),
    "aws:kms/key:Key": ("uuid", "arn:{p}:kms:{r}:{a}:key/{id}"),
    "aws:kms/replicaKey:ReplicaKey": ("uuid", "arn:{p}:kms:{r}:{a}:key/{id}"),
    "aws:kms/externalKey:ExternalKey": ("uuid", "arn:{p}:kms:{r}:{a}:key/{id}"),
    "aws:kms/replicaExternalKey:ReplicaExternalKey": ("uuid", "arn:{p}:kms:{r}:{a}:key/{id}"),
    "aws:kms/alias:Alias": ("name:name", "arn:{p}:kms:{r}:{a}:{id}"),
    "aws:ec2/vpc:Vpc": ("ec2:vpc", "arn:{p}:ec2:{r}:{a}:vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("ec2:subnet", "arn:{p}:ec2:{r}:{a}:subnet/{id}"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2:sg", "arn:{p}:ec2:{r}:{a}:security-group/{id}"),
    "aws:ec2/internetGateway:InternetGateway":
        ("ec2:igw", "arn:{p}:ec2:{r}:{a}:internet-gateway/{id}"),
    "aws:ec2/routeTable:RouteTable": ("ec2:rtb", "arn:{p}:ec2:{r}:{a}:route-table/{id}"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("ec2:rtbassoc", None),
    "aws:ec2/route:Route": ("ec2:r", None),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
        ("ec2:pcx", "arn:{p}:ec2:{r}:{a}:vpc-peering-connection/{id}"),
    "aws:rds/subnetGroup:SubnetGroup": ("name:name", "arn:{p}:rds:{r}:{a}:subgrp:{id}"),
    # pulumi-aws >= 6: an instance's id is its DbiResourceId; the ARN uses the identifier.
    "aws:rds/instance:Instance": ("dbi", "arn:{p}:rds:{r}:{a}:db:{name}"),
    "aws:dynamodb/table:Table": ("name:name", "arn:{p}:dynamodb:{r}:{a}:table/{id}"),
    "aws:elasticache/subnetGroup:SubnetGroup":
        ("name:name", "arn:{p}:elasticache:{r}:{a}:subnetgroup:{id}"),
    "aws:elasticache/replicationGroup:ReplicationGroup":
        ("name:replicationGroupId", "arn:{p}:elasticache:{r}:{a}:replicationgroup:{id}"),
    "aws:backup/vault:Vault": ("name:name", "arn:{p}:backup:{r}:{a}:backup-vault:{id}"),
    "aws:backup/plan:Plan": ("uuid", "arn:{p}:backup:{r}:{a}:backup-plan:{id}"),
    "aws:backup/selection:Selection": ("uuid", None),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan":
        ("name:name", "arn:{p}:backup:{r}:{a}:restore-testing-plan:{id}"),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": ("uuid", None),
    "aws:rds/cluster:Cluster": ("name:clusterIdentifier", "arn:{p}:rds:{r}:{a}:cluster:{id}"),
    "aws:neptune/cluster:Cluster":
        ("name:clusterIdentifier", "arn:{p}:rds:{r}:{a}:cluster:{id}"),
    "aws:docdb/cluster:Cluster": ("name:clusterIdentifier", "arn:{p}:rds:{r}:{a}:cluster:{id}"),
    "aws:redshift/cluster:Cluster":
        ("name:clusterIdentifier", "arn:{p}:redshift:{r}:{a}:cluster:{id}"),
    "aws:opensearch/domain:Domain": ("name:domainName", "arn:{p}:es:{r}:{a}:domain/{id}"),
    "aws:elasticsearch/domain:Domain": ("name:domainName", "arn:{p}:es:{r}:{a}:domain/{id}"),
    "aws:elasticache/cluster:Cluster":
        ("name:clusterId", "arn:{p}:elasticache:{r}:{a}:cluster:{id}"),
    "aws:ec2/instance:Instance": ("ec2:i", "arn:{p}:ec2:{r}:{a}:instance/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2:lt", "arn:{p}:ec2:{r}:{a}:launch-template/{id}"),
    "aws:ebs/volume:Volume": ("ec2:vol", "arn:{p}:ec2:{r}:{a}:volume/{id}"),
    "aws:efs/fileSystem:FileSystem":
        ("ec2:fs", "arn:{p}:elasticfilesystem:{r}:{a}:file-system/{id}"),
}

# Split S3 configuration resources: their id is the bucket name.
_BUCKET_ID = ("aws:s3/bucketServerSideEncryptionConfiguration:", "aws:s3/bucketPublicAccessBlock:",
              "aws:s3/bucketPolicy:", "aws:s3/bucketVersioning:", "aws:s3/bucketAcl:",
              "aws:s3/bucketLogging:", "aws:s3/bucketReplicationConfig:",
              "aws:s3/bucketObjectLockConfiguration:")



class Capture:
    """Everything the program registered, in registration order (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.resources: list[dict[str, Any]] = []
        self.by_urn: dict[str, dict[str, Any]] = {}
        self.invokes: list[dict[str, Any]] = []  # KMS look-ups: what a key reference names

    def add(self, rec: dict[str, Any]) -> None:
        with self.lock:
            rec["seq"] = len(self.resources)
            self.resources.append(rec)
            self.by_urn[rec["urn"]] = rec


def _where(request: Any) -> dict[str, Any] | None:
    if not request.HasField("sourcePosition"):
        return None
    pos = request.sourcePosition
    return {"uri": pos.uri, "line": pos.line}


def _build(project: str, stack: str, preview: bool, capture: Capture) -> tuple[Any, Any]:
    """The mocks and the capturing monitor (imports the SDK: call only in the child)."""
    from google.protobuf import json_format, struct_pb2
    from pulumi.runtime import mocks
    from pulumi.runtime.proto import resource_pb2
    from pulumi.runtime.sync_await import _ensure_event_loop

    config = _config()
    default_region = config.get("aws:region") or "us-east-1"
    default_account = _one_account(config.get("aws:allowedAccountIds")) or "123456789012"

    def provider_facts(ref: str) -> tuple[str, str]:
        prov = capture.by_urn.get(ref.rsplit("::", 1)[0]) if ref else None
        inputs = _plain(prov["inputs"]) if prov else {}
        region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
        return (region or default_region,
                _one_account(inputs.get("allowedAccountIds")) or default_account)

    def computed(typ: str, name: str, urn: str, provider: str,
                 inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A plausible id and computed outputs for a custom resource (update mode)."""
        plain = _plain(inputs)
        region, account = provider_facts(provider)
        if isinstance(plain.get("region"), str):
            region = plain["region"]
        if typ.startswith(PROVIDER_PREFIX):
            return _uuid(urn), {}
        if typ.startswith(_BUCKET_ID):
            bucket = plain.get("bucket")
            return (bucket if isinstance(bucket, str) else name), {}
        kind, arn = _COMPUTED.get(typ, ("other", None))
        out: dict[str, Any] = {}
        physical = name
        if kind.startswith("name:"):
            key = kind[5:]
            if isinstance(plain.get(key), str):
                physical = plain[key]
            else:
                out[key] = physical  # what the provider's auto-naming would fill in
            rid = physical
        elif kind.startswith("ec2:"):
            rid = f"{kind[4:]}-{_hex(urn, 17)}"
            out["ownerId"] = account
        elif kind == "dbi":
            physical = plain.get("identifier") if isinstance(plain.get("identifier"), str) else name
            rid = "db-" + _hex(urn, 26).upper()
            port = plain.get("port") or (5432 if plain.get("engine") == "postgres" else 3306)
            suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
            address = f"{physical}.{_hex(account, 12)}.{region}.rds.{suffix}"
            out.update(identifier=physical, resourceId=rid, address=address, port=port,
                       endpoint=f"{address}:{port}")
        elif kind == "uuid":
            rid = _uuid(urn)
        else:  # a type without a table entry: its name, else its logical name
            rid = plain["name"] if isinstance(plain.get("name"), str) else name
            if "name" not in plain and _mocks.autonamed(typ):
                out["name"] = name  # what the provider's auto-naming would fill in
        if typ == "aws:kms/key:Key":
            out["keyId"] = rid
        if typ == "aws:kms/alias:Alias" and isinstance(plain.get("targetKeyId"), str):
            target = plain["targetKeyId"]
            out["targetKeyArn"] = target if target.startswith("arn:") else \
                f"arn:{partition_of(region)}:kms:{region}:{account}:key/{target}"
        if typ == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
            out["acceptStatus"] = "active" if plain.get("autoAccept") else "pending-acceptance"
            out.setdefault("peerOwnerId", plain.get("peerOwnerId") or account)
            out.setdefault("peerRegion", plain.get("peerRegion") or region)
        if arn:
            out["arn"] = arn.format(p=partition_of(region), r=region, a=account, id=rid,
                                    name=physical)
        if isinstance(plain.get("tags"), dict) and "tagsAll" not in inputs:
            out["tagsAll"] = inputs["tags"]
        out["id"] = rid
        ctx = _mocks.context(typ, str(physical), urn, region, account)
        for prop, (wire, hint) in _mocks.output_only(typ).items():
            if wire not in inputs and wire not in out:
                v = _mocks.plausible(prop, hint, ctx)
                if v is not None:
                    out[wire] = v
        return rid, out

    def read_outputs(typ: str, rid: str, urn: str, provider: str,
                     inputs: dict[str, Any]) -> dict[str, Any]:
        """What a read resource (``Resource.get``) reports: its id, and for a KMS key its
        ARN and, behind an alias/aws/ alias, that AWS manages it."""
        region, account = provider_facts(provider)
        out = dict(inputs)
        if typ == "aws:kms/key:Key":
            kid, arn, aws_managed = _mocks.kms_facts(rid, region, account)
            out.update(arn=arn, keyId=kid)
            if aws_managed:
                out["keyManager"] = "AWS"
        ctx = _mocks.context(typ, rid, urn, region, account)
        for prop, (wire, hint) in _mocks.output_only(typ).items():
            if wire not in out:
                v = _mocks.plausible(prop, hint, ctx)
                if v is not None:
                    out[wire] = v
        return out

    class DsscanMocks(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict]:
            # Only read resources (``Resource.get``) come here: the monitor answers the rest.
            rid = args.resource_id or args.name
            if preview:
                return rid, dict(args.inputs)
            urn = f"urn:pulumi:{stack}::{project}::{args.typ}::{args.name}"
            return rid, read_outputs(args.typ, rid, urn, args.provider or "", dict(args.inputs))

        def call(self, args: mocks.MockCallArgs) -> dict:  # type: ignore[override]
            # A bare dict: the mock monitor iterates the failures of a (dict, failures) pair.
            region, account = provider_facts(args.provider or "")
            part = partition_of(region)
            suffix = "amazonaws.com.cn" if part == "aws-cn" else "amazonaws.com"
            tok = args.token
            if tok == "aws:index/getCallerIdentity:getCallerIdentity":
                return {"accountId": account, "id": account, "userId": "AIDADSSCANMOCKS",
                        "arn": f"arn:{part}:iam::{account}:user/dsscan-mocks"}
            if tok == "aws:index/getRegion:getRegion":
                return {"name": region, "region": region, "id": region,
                        "endpoint": f"ec2.{region}.{suffix}",
                        "description": region}
            if tok == "aws:index/getPartition:getPartition":
                return {"partition": part, "id": part, "dnsSuffix": suffix,
                        "reverseDnsPrefix": ".".join(reversed(suffix.split(".")))}
            if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
                names = [f"{region}{z}" for z in "abc"]
                return {"names": names, "zoneIds": names, "id": region,
                        "groupNames": [region]}
            inputs = _plain(dict(args.args))
            if tok == "aws:iam/getPolicyDocument:getPolicyDocument":
                doc = _mocks.policy_document(inputs)
                return {"json": doc, "minifiedJson": doc, "id": _hex(doc, 10)}
            if tok in ("aws:kms/getKey:getKey", "aws:kms/getAlias:getAlias"):
                ref = str(inputs.get("keyId") or inputs.get("name") or "")
                kid, arn, aws_managed = _mocks.kms_facts(ref, region, account)
                if tok == "aws:kms/getKey:getKey":
                    result = {"arn": arn, "id": kid, "keyId": ref, "awsAccountId": arn.split(
                        ":")[4], "enabled": True, "keyState": "Enabled"}
                    if aws_managed:
                        result["keyManager"] = "AWS"
                else:
                    alias = ref if ref.startswith("arn:") else \
                        f"{arn.rsplit(':', 1)[0]}:{ref}"
                    result = {"arn": alias, "id": alias, "name": ref.rsplit(":", 1)[-1],
                              "targetKeyArn": arn, "targetKeyId": kid}
                with capture.lock:
                    capture.invokes.append({"token": tok, "args": inputs, "result": result})
                return result
            return _mocks.generic_result(tok, inputs, region, account)


    class CapturingMonitor(mocks.MockMonitor):
        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # As the engine does (pkg/resource/deploy/deployment.go generateURN).
            if parent:
                qualified = parent.split("::")[2]
                if qualified != ROOT_STACK:
                    type_ = f"{qualified}${type_}"
            return f"urn:pulumi:{stack}::{project}::{type_}::{name}"

        def RegisterResource(self, request: Any) -> Any:  # the gRPC method's name
            # Called on an executor thread: deserializing a resource reference in the state
            # constructs a resource, which needs an event loop there (as the SDK's does).
            _ensure_event_loop()
            urn = self.make_urn(request.parent, request.type, request.name)
            inputs = _ints(json_format.MessageToDict(request.object))
            if request.custom:
                inputs = _mocks.with_provider_defaults(request.type, inputs, request.version)
            rec: dict[str, Any] = {
                "urn": urn, "type": request.type, "name": request.name,
                "custom": bool(request.custom), "parent": request.parent or None,
                "provider": request.provider or None, "version": request.version or None,
                "dependencies": list(request.dependencies),
                "propertyDependencies": {k: list(v.urns)
                                         for k, v in request.propertyDependencies.items()},
                "inputs": inputs, "source": _where(request), "remote": bool(request.remote),
                "import_id": request.importId or None,  # the import_ resource option
            }
            if request.type == ROOT_STACK or not request.custom:
                rec["id"] = None
                rec["outputs"] = {}
                capture.add(rec)
                return resource_pb2.RegisterResourceResponse(urn=urn)
            if preview:
                rid, state = "", dict(inputs)
            else:
                rid, extra = computed(request.type, request.name, urn, request.provider, inputs)
                state = {**inputs, **extra}
            rec["id"] = rid or None
            rec["outputs"] = state
            capture.add(rec)
            obj = json_format.ParseDict(state, struct_pb2.Struct())
            # The state as plain wire values: deserializing it here would construct the
            # resources it refers to, on this executor thread's own event loop.
            self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, rid, state)
            return resource_pb2.RegisterResourceResponse(urn=urn, id=rid, object=obj)

        def ReadResource(self, request: Any) -> Any:
            resp = super().ReadResource(request)
            capture.add({
                "urn": resp.urn, "type": request.type, "name": request.name, "custom": True,
                "parent": request.parent or None, "provider": request.provider or None,
                "version": request.version or None, "dependencies": list(request.dependencies),
                "propertyDependencies": {}, "external": True, "id": request.id,
                "inputs": _ints(json_format.MessageToDict(request.properties)),
                "outputs": _ints(json_format.MessageToDict(resp.properties)),
                "source": _where(request)})
            return resp

    return DsscanMocks(), CapturingMonitor


def _stack_outputs() -> dict[str, Any]:
    """The program's ``pulumi.export`` values, in wire form (secrets and unknowns marked)."""
    from google.protobuf import json_format
    from pulumi.runtime import rpc
    from pulumi.runtime.settings import get_root_resource
    from pulumi.runtime.stack import massage
    from pulumi.runtime.sync_await import _sync_await

    root = get_root_resource()
    outputs = getattr(root, "outputs", None) or {}
    struct = _sync_await(rpc.serialize_properties(massage(outputs, []), {}))
    return _ints(json_format.MessageToDict(struct))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run(directory: str, main: str, project: str, stack: str, preview: bool) -> dict[str, Any]:
    """Run the program at ``main`` under mocks; the capture document."""
    import runpy

    from pulumi.runtime import mocks
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    capture = Capture()
    mock, monitor_cls = _build(project, stack, preview, capture)
    mocks.set_mocks(mock, project=project, stack=stack, preview=preview,
                    monitor=monitor_cls(mock), organization="organization")
    # As the Python language host does: the program's directory is importable.
    sys.path.insert(0, os.path.abspath(directory))
    sys.argv = [main]
    _sync_await(run_pulumi_func(lambda: runpy.run_path(main, run_name="__main__")))
    from importlib.metadata import PackageNotFoundError, version

    try:
        sdk = version("pulumi")
    except PackageNotFoundError:
        sdk = None
    return {"format": FORMAT, "sdk_version": sdk, "project": project, "stack": stack,
            "preview": preview,
            "config": _config(), "secret_keys": json.loads(
                os.environ.get("PULUMI_CONFIG_SECRET_KEYS") or "[]"),
            "directory": os.path.abspath(directory), "resources": capture.resources,
            "invokes": capture.invokes,
            "outputs": _stack_outputs()}


def _child(args: argparse.Namespace) -> int:
    try:
        doc = run(args.directory, args.main, args.project, args.stack, args.preview)
        code = 0
    except BaseException as exc:  # the program's error, in one line
        if isinstance(exc, KeyboardInterrupt):
            raise
        if isinstance(exc, SystemExit) and not exc.code:
            exc = RuntimeError("the program called sys.exit()")
        doc, code = {"error": _first_line(exc)}, 2
        if os.environ.get("DSSCAN_PULUMI_DEBUG"):
            traceback.print_exc()
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    # Skip interpreter teardown: the SDK's gRPC and asyncio leftovers can hang or warn there.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        p = argparse.ArgumentParser(prog="pulumi_program run")
        p.add_argument("directory")
        p.add_argument("--main", required=True)
        p.add_argument("--project", required=True)
        p.add_argument("--stack", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--preview", action="store_true")
        return _child(p.parse_args(argv[1:]))

    p = argparse.ArgumentParser(
        prog="python -m dsscan.scanners.pulumi_program",
        description="Record what a Pulumi Python program declares, under the SDK's mocks, as "
                    "'pulumi stack export' JSON (as after a first 'pulumi up') and/or "
                    "'pulumi preview --json' output (a first deployment: all creates).")
    p.add_argument("directory", help="the Pulumi project directory (with Pulumi.yaml)")
    p.add_argument("--stack", help="stack whose Pulumi.<stack>.yaml config is used")
    p.add_argument("--record-export", metavar="FILE")
    p.add_argument("--record-preview", metavar="FILE")
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args(argv)
    if not (args.record_export or args.record_preview):
        p.error("nothing to do: give --record-export and/or --record-preview")
    from dsscan.errors import InputError
    from dsscan.scanners.pulumi_source import record

    try:
        record(args.directory, stack=args.stack, export=args.record_export,
               preview=args.record_preview, timeout=args.timeout)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
