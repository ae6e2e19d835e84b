"""The field-path lint: a field a policy reads that the policy input schema does not have is a
lint error (file:line, the closest known name), however the value reached the policy: input,
dsscan.lib's asset lists, local variables, comprehensions, helper functions, object.get paths.
A misspelt field is undefined in Rego, so the rule reading it silently never fires."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsscan.cli.main import main
from dsscan.lint import lint_library
from dsscan.lint_fields import lint_fields
from dsscan.policy_library import load_library

pytestmark = pytest.mark.slow  # the policy library loaded and linted per case

HEAD = """# METADATA
# title: A user policy
# description: Checks something.
# custom:
#   id: ACME-TST-001
#   articles: [41]
#   remediation: Fix it.
package dsscan.policy.acme_tst_001

import rego.v1
import data.dsscan.lib

"""

DENY = 'deny contains {"asset": a.id, "level": "core"} if {\n'

# (name, body after HEAD, line of the typo in the file, misspelt path, suggested name)
TYPOS = [
    ("ctx fact via lib.assets", DENY + "\tsome a in lib.assets\n\ta.ctx.protect_rnak >= 2\n}\n",
     15, "a.ctx.protect_rnak", "protect_rank"),
    ("ctx fact via input.assets",
     DENY + "\tsome a in input.assets\n\ta.ctx.assesable\n}\n", 15, "a.ctx.assesable",
     "assessable"),
    ("input.asset instead of input.assets",
     'deny contains {"asset": "x", "level": "core"} if {\n\tinput.asset.ctx.level == "core"\n}\n',
     14, "input.asset", "assets"),
    ("asset field via lib.protected_stores",
     DENY + "\tsome a in lib.protected_stores\n\ta.encryption.at_rest.enabeld == false\n}\n",
     15, "a.encryption.at_rest.enabeld", "enabled"),
    ("helper function taking an asset",
     "public(a) if a.network.publicly_acessible == true\n\n"
     + DENY + "\tsome a in lib.assets\n\tpublic(a)\n}\n",
     13, "a.network.publicly_acessible", "publicly_accessible"),
    ("helper of a helper",
     "enc(a) := a.encryption\n\nkey(a) := enc(a).at_rest.key_typ\n\n"
     + DENY + "\tsome a in lib.assets\n\tkey(a) == \"none\"\n}\n",
     15, "enc(a).at_rest.key_typ", "key_type"),
    ("copy in ctx.backups",
     DENY + "\tsome a in lib.assets\n\tsome b in a.ctx.backups\n\tb.separete == false\n}\n",
     16, "b.separete", "separate"),
    ("copy through a comprehension and a function",
     "copies(a) := [b | some b in a.ctx.backups; b.relation == \"backup\"]\n\n"
     "apart(cs) if {\n\tsome c in cs\n\tc.same_plce == null\n}\n\n"
     + DENY + "\tsome a in lib.assets\n\tapart(copies(a))\n}\n",
     17, "c.same_plce", "same_place"),
    ("source in ctx.sources by index",
     DENY + "\tsome a in lib.assets\n\ta.ctx.sources[_].mising\n}\n",
     15, "a.ctx.sources[_].mising", "missing"),
    ("domain of an asset bound with :=",
     DENY + "\tsome a in lib.assets\n\td := a.ctx.domain\n\td.internet_reachble\n}\n",
     16, "d.internet_reachble", "internet_reachable"),
    ("object.get path",
     DENY + '\tsome a in lib.assets\n\tobject.get(a, ["ctx", "produciton"], false)\n}\n',
     15, 'a.ctx.produciton (object.get path)', "production"),
    ("string-indexed field",
     DENY + '\tsome a in lib.assets\n\ta.ctx["vualt"] != null\n}\n',
     15, 'a.ctx["vualt"]', "vault"),
    ("config through data.dsscan.config",
     'deny contains {"asset": "x", "level": "core"} if {\n'
     "\tcount(data.dsscan.config.allowed_region) > 0\n}\n",
     14, "data.dsscan.config.allowed_region", "allowed_regions"),
    ("config through dsscan.lib",
     'deny contains {"asset": "x", "level": "core"} if {\n'
     '\tlib.config.backup_seperation == "account"\n}\n',
     14, "lib.config.backup_seperation", "backup_separation"),
    ("every over assets",
     'deny contains {"asset": "x", "level": "core"} if {\n'
     "\tevery a in input.assets { a.ctx.rnak > 0 }\n}\n",
     14, "a.ctx.rnak", "rank"),
    ("attributes never reach Rego",
     DENY + '\tsome a in lib.assets\n\ta.attributes.replication_targets\n}\n',
     15, "a.attributes", None),
    ("misspelt dsscan.lib rule",
     DENY + "\tsome a in lib.protected_stors\n\ta.id\n}\n",
     14, "lib.protected_stors", "protected_stores"),
]


def user_dir(tmp_path: Path, body: str) -> Path:
    d = tmp_path / "mine"
    d.mkdir()
    (d / "acme_tst_001.rego").write_text(HEAD + body, encoding="utf-8")
    return d


@pytest.mark.parametrize(("body", "line", "path", "hint"),
                         [t[1:] for t in TYPOS], ids=[t[0] for t in TYPOS])
def test_a_misspelt_field_is_a_lint_error_naming_file_line_and_the_known_name(
        tmp_path, body, line, path, hint):
    d = user_dir(tmp_path, body)
    lib = load_library(extra_dirs=[d], lint=False)  # the engine accepts the module as it is
    errors = lint_fields(lib)
    assert len(errors) == 1, errors
    where = f"{d / 'acme_tst_001.rego'}:{line}: "
    assert errors[0].startswith(where + "unknown "), errors
    assert f" {path}: " in errors[0]
    if hint:
        assert errors[0].endswith(f"(did you mean '{hint}'?)") or \
            f"(did you mean '{hint}'?) [policy input schema" in errors[0]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


def test_the_cli_lints_user_policy_dirs_and_exits_2(tmp_path, capsys):
    d = user_dir(tmp_path, TYPOS[0][1])
    for args in (["policies", "lint", str(d)], ["policies", "lint", "--policy-dir", str(d)]):
        code, _, err = run(capsys, *args)
        assert code == 2, err
        assert "a.ctx.protect_rnak" in err and "did you mean 'protect_rank'?" in err


def test_a_scan_with_a_misspelt_user_policy_stops_with_exit_2_before_reading(tmp_path, capsys):
    """At scan time too: the typo would otherwise be a silent pass on every asset."""
    d = user_dir(tmp_path, TYPOS[0][1])
    estate = Path(__file__).resolve().parent.parent / "examples" / "bank-estate.json"
    code, out, err = run(capsys, "scan", "inventory", str(estate), "--no-config",
                         "--policy-dir", str(d))
    assert code == 2, err
    assert "a.ctx.protect_rnak" in err and "Traceback" not in err and out == ""


# Correct reads of every kind, and values whose type the lint cannot know: never an error.
CORRECT = DENY + """\tsome a in lib.assets
\ta.ctx.protect_rank >= 2
\ta.kind in lib.store_kinds
\tsome b in a.ctx.backups
\tb.same_place == "bucket"
\tb.encryption.key_type == "none"
\ta.tags["data-owner"] != ""
\ta.ctx.domain.reachable_from[_].via
\tobject.get(a, ["level", "provenance"], [])
\tlib.config.allowed_regions == []
\tx := {"k": 1}
\tx.anything == 1
\ty := json.unmarshal("{}")
\ty.whatever
\tnew_rule
}

new_rule if true

assessed contains a.id if {
\tsome a in lib.assets
\ta.ctx.assessable
}
"""


def test_correct_paths_literals_and_new_top_level_rules_pass(tmp_path):
    lib = load_library(extra_dirs=[user_dir(tmp_path, CORRECT)])
    assert lint_fields(lib) == []


def test_every_builtin_policy_passes_the_full_lint():
    lib = load_library()
    assert lint_library(lib, fields=True) == []


def test_the_cli_lint_of_the_builtin_library_passes(capsys):
    code, out, err = run(capsys, "policies", "lint")
    assert (code, err) == (0, "")
    assert out.startswith("ok: ")
