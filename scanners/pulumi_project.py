"""Pulumi projects: ``Pulumi.yaml`` and its stack config read, and the program run in a child
process under the SDK's mocks (``dsscan.scanners.pulumi_program``), with cloud credentials
removed from its environment and a throw-away HOME. What it declares comes back as a capture
that ``pulumi_capture`` writes in the documented formats and ``pulumi`` reads.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.scanners.pulumi_wire import SECRET_PLACEHOLDER, _dict

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
    from dsscan.strict_yaml import load_yaml

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
