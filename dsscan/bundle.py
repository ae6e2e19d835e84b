"""An OPA bundle of the policy library, for a central OPA server (``dsscan policies bundle``).

Layout, as ``opa build`` writes it (tar.gz, names with a leading "/")::

    /.manifest        {"revision": <library digest>, "roots": [...], "metadata": {...}}
    /data.json        {"dsscan": {"config": <default config>},
                       "dsscan_internal": {"bundle": {"revision": ..., "format": ..., ...}}}
    /policies/<package path>/<file>.rego   every non-test library module
    /dsscan_internal/aggregate.rego        the embedded engine's aggregator (reads data)
    /dsscan_internal/server.rego           the server aggregator (reads the run's config)

Per-run config on a shared server: policies read ``data.dsscan.config``, but one server holds
one bundle while every dsscan run may have its own settings. The server aggregator evaluates
the policies ``with data.dsscan.config as input.config``, and dsscan sends
``{"assets": chunk, "config": its config, "policies": selected ids}``: the bundle's default
config only serves ad-hoc queries. Without ``input.config`` the result is undefined, so a
request that forgot it fails instead of being judged by someone else's thresholds.

The revision is a digest of the modules (package and source, not file paths, so the same
library installed anywhere gives the same revision) and of the aggregators' format: dsscan
compares it with the server's before it evaluates anything (dsscan.engines.opa_server).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from dsscan import __version__
from dsscan.engines.local import AGGREGATE_PACKAGE, aggregator_module, policy_results
from dsscan.errors import InputError
from dsscan.policy_library import PolicyLibrary

# Bump when the generated aggregators or the data layout change: a server holding a bundle of
# another format then has another revision and is refused.
BUNDLE_FORMAT = 2
SERVER_PACKAGE = "dsscan_internal.server"
SERVER_RULE = f"data.{SERVER_PACKAGE}.results"
INFO_PATH = "dsscan_internal/bundle"  # data (not a module): the bundle's own facts
MANIFEST = "/.manifest"
DATA = "/data.json"


def library_revision(library: PolicyLibrary) -> str:
    """A stable digest of the library's modules: same modules, same revision, wherever the
    library is installed and whichever policies a run selects."""
    h = hashlib.sha256(f"dsscan-bundle/{BUNDLE_FORMAT}\n".encode())
    for package, digest in sorted(
            (m.package, hashlib.sha256(m.source.encode("utf-8")).hexdigest())
            for m in library.module_facts if not m.is_test):
        h.update(f"{package}\n{digest}\n".encode())
    return h.hexdigest()[:32]


def server_aggregator_module(library: PolicyLibrary) -> str:
    """The server's one rule: policy id -> {"deny", "not_assessed", "assessed"} for the
    policies named in ``input.policies`` (all when absent), under the config in
    ``input.config``."""
    lines = [f"package {SERVER_PACKAGE}", "", "import rego.v1", "",
             "# One bundle serves every run: each request brings its own config.",
             "results := r if {",
             "\tr := _results with data.dsscan.config as input.config",
             "}", "",
             "_selected(_) if not input.policies", "",
             "_selected(pid) if pid in input.policies", ""]
    for p in library.policies:
        lines += ["_results[pid] := v if {", f'\tpid := "{p.id}"', "\t_selected(pid)",
                  f"\tv := {policy_results(library, p.package)}", "}", ""]
    return "\n".join(lines)


def bundle_roots(library: PolicyLibrary) -> list[str]:
    """The smallest set of non-overlapping roots covering every package and the data."""
    paths = {"dsscan", AGGREGATE_PACKAGE.split(".")[0]}
    paths |= {m.package.replace(".", "/") for m in library.module_facts if not m.is_test}
    roots: list[str] = []
    for p in sorted(paths, key=lambda s: (s.count("/"), s)):
        if not any(root_contains(r, p) for r in roots):
            roots.append(p)
    return sorted(roots)


def root_contains(root: str, path: str) -> bool:
    """OPA's rule: a root owns a path when its segments are a prefix of the path's."""
    if root == "":
        return True
    r, p = root.split("/"), path.split("/")
    return p[:len(r)] == r


@dataclass
class Bundle:
    """The contents of a bundle: what a server loads."""

    manifest: dict[str, Any]
    data: dict[str, Any]
    modules: list[tuple[str, str]] = field(default_factory=list)  # (path in bundle, source)

    @property
    def revision(self) -> str:
        return str(self.manifest.get("revision", ""))


def make_bundle(library: PolicyLibrary, config_data: dict[str, Any]) -> Bundle:
    revision = library_revision(library)
    ids = [p.id for p in library.policies]
    modules = _module_paths(library)
    modules += [(f"/{AGGREGATE_PACKAGE.replace('.', '/')}.rego", aggregator_module(library)),
                (f"/{SERVER_PACKAGE.replace('.', '/')}.rego", server_aggregator_module(library))]
    info = {"revision": revision, "format": BUNDLE_FORMAT, "policies": ids,
            "server_rule": SERVER_RULE}
    data = {"dsscan": {"config": config_data},
            "dsscan_internal": {"bundle": info}}
    manifest = {"revision": revision, "roots": bundle_roots(library),
                "metadata": {"generator": f"dsscan {__version__}", "format": BUNDLE_FORMAT,
                             "policies": len(ids)}}
    return Bundle(manifest=manifest, data=data, modules=modules)


def _module_paths(library: PolicyLibrary) -> list[tuple[str, str]]:
    """Bundle paths from packages, not from where the files happen to be installed."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for m in library.module_facts:
        if m.is_test:
            continue
        base = f"/policies/{m.package.replace('.', '/')}/{PurePosixPath(m.path).stem}"
        path, n = f"{base}.rego", 1
        while path in seen:  # two files of one package with the same name
            n += 1
            path = f"{base}-{n}.rego"
        seen.add(path)
        out.append((path, m.source))
    return out


def bundle_bytes(bundle: Bundle) -> bytes:
    """The tar.gz, byte for byte the same for the same bundle (fixed order, times, owners)."""
    files = [(MANIFEST, _json(bundle.manifest)), (DATA, _json(bundle.data)),
             *((p, s.encode("utf-8")) for p, s in sorted(bundle.modules))]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def write_bundle(path: str | Path, library: PolicyLibrary,
                 config_data: dict[str, Any]) -> Bundle:
    """Write the bundle to ``path`` atomically (temporary file, then rename)."""
    bundle = make_bundle(library, config_data)
    payload = bundle_bytes(bundle)
    from dsscan.atomic_write import write_atomic

    with contextlib.suppress(OSError):  # a name too long: write_atomic says so
        if Path(path).is_dir():
            raise InputError(f"{path}: is a directory (give the bundle file to write, e.g. "
                             "bundle.tar.gz)")
    # Permissions follow the umask: a bundle is published to OPA servers and bundle services.
    write_atomic(path, payload, what="bundle")
    return bundle


# --- reading (what a server does with it) ----------------------------------------------------

def read_bundle(payload: bytes, origin: str = "bundle") -> Bundle:
    """Unpack a bundle tar.gz and check it the way OPA does when it activates one: roots do
    not overlap, every module's package and every data path lies under a root."""
    manifest: dict[str, Any] = {}
    data: dict[str, Any] = {}
    modules: list[tuple[str, str]] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile():
                    continue
                fh = tar.extractfile(member)
                content = fh.read() if fh is not None else b""
                name = "/" + member.name.lstrip("/")
                if name.endswith(".rego"):
                    modules.append((name, content.decode("utf-8")))
                elif PurePosixPath(name).name == "data.json":
                    _insert(data, PurePosixPath(name).parent.parts[1:], orjson.loads(content))
                elif name.endswith(".manifest"):
                    manifest = orjson.loads(content)
    except (tarfile.TarError, OSError, EOFError, UnicodeDecodeError,
            orjson.JSONDecodeError) as e:
        raise InputError(f"{origin}: not a valid bundle ({e})") from None
    check_roots(manifest, data, modules, origin)
    return Bundle(manifest=manifest, data=data, modules=modules)


def _insert(data: dict[str, Any], where: Iterable[str], value: Any) -> None:
    node = data
    parts = list(where)
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if parts:
        node[parts[-1]] = value
    else:
        data.update(value)


def check_roots(manifest: dict[str, Any], data: dict[str, Any],
                modules: list[tuple[str, str]], origin: str = "bundle") -> None:
    """OPA's manifest validation (bundle.Manifest.validateAndInjectDefaults), in Python."""
    roots = [r.strip("/") for r in manifest.get("roots", [""])]
    for i, a in enumerate(roots):
        for b in roots[i + 1:]:
            if root_contains(a, b) or root_contains(b, a):
                raise InputError(f"{origin}: manifest has overlapped roots: '{a}' and '{b}'")
    for path, source in modules:
        package = _package_of(source)
        if not any(root_contains(r, package.replace(".", "/")) for r in roots):
            raise InputError(f"{origin}: manifest roots {roots} do not permit "
                             f"'data.{package}' in module '{path}'")

    def walk(node: Any, path: str) -> None:
        if path and any(root_contains(r, path) for r in roots):
            return
        if isinstance(node, dict) and (not path or any(root_contains(path, r) for r in roots)):
            for k, v in node.items():
                walk(v, f"{path}/{k}".strip("/"))
            return
        raise InputError(f"{origin}: manifest roots {roots} do not permit data at path "
                         f"'/{path}'")

    walk(data, "")


def _package_of(source: str) -> str:
    for line in source.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "package":
            return words[1]
    return ""
