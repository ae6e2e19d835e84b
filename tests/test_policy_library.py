"""Loading the policy library: METADATA read in Python, user directories, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsscan.errors import InputError, PolicyError
from dsscan.policy_library import load_library

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
ACME = FIXTURES / "acme"

META = """# METADATA
# title: Buckets are private
# description: |
#   Long text.
# custom:
#   id: ACME-NET-009
#   articles: [41, 53]
#   remediation: |
#     Block public access.
#   kinds: [object_store]
"""
BODY = """package dsscan.policy.acme_net_009

import rego.v1

deny contains {"asset": a.id, "level": "core", "message": "m"} if {
\tsome a in input.assets
\ta.access.public == true
}
"""


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def load_error(d: Path) -> str:
    with pytest.raises(PolicyError) as exc:
        load_library([d], include_builtin=False)
    msg = str(exc.value)
    assert "\n" not in msg and "Stack backtrace" not in msg
    return msg


def test_builtin_library_loads_with_metadata_read_in_python():
    lib = load_library()
    assert lib.policies, "the shipped library has no policy"
    for p in lib.policies:
        assert p.builtin and p.title and p.description and p.remediation and p.articles
        assert p.package == "dsscan.policy." + p.id.lower().replace("-", "_")
        assert Path(p.path).is_file() and not p.path.endswith("_test.rego")
    paths = [path for path, _ in lib.modules]
    assert any(path.replace("\\", "/").split("/")[-2] == "lib" for path in paths)
    assert all(not path.endswith("_test.rego") for path in paths)
    assert all(path.endswith("_test.rego") for path, _ in lib.test_modules)


def test_user_directory_is_searched_recursively(tmp_path):
    write(tmp_path, "a/b/c/acme_net_009.rego", META + BODY)
    lib = load_library([tmp_path], include_builtin=False)
    [p] = lib.policies
    assert (p.id, p.title, p.articles, p.kinds, p.builtin) == (
        "ACME-NET-009", "Buckets are private", (41, 53), ("object_store",), False)
    assert p.description == "Long text." and p.remediation == "Block public access."
    assert p.path == str(tmp_path / "a/b/c/acme_net_009.rego")


def test_fixture_library_modules_tests_and_not_assessed():
    lib = load_library([ACME], include_builtin=False)
    assert [p.id for p in lib.policies] == ["ACME-BAK-001", "ACME-ENC-001", "ACME-NET-001"]
    assert lib.not_assessed_packages == {"dsscan.policy.acme_enc_001"}
    assert {Path(p).name for p, _ in lib.modules} == {
        "helpers.rego", "acme_enc_001.rego", "acme_net_001.rego", "acme_bak_001.rego"}
    assert len(lib.test_modules) == 3
    assert lib.policy("ACME-NET-001").kinds == ()


@pytest.mark.slow
def test_user_policies_come_after_builtin_ones_in_one_library():
    lib = load_library([ACME])
    ids = {p.id: p.builtin for p in lib.policies}
    assert ids["ACME-ENC-001"] is False
    assert any(builtin for builtin in ids.values())


def test_metadata_with_non_ascii_text(tmp_path):
    write(tmp_path, "p.rego", META.replace("Buckets are private", "存储桶不得公开") + BODY)
    [p] = load_library([tmp_path], include_builtin=False).policies
    assert p.title == "存储桶不得公开"


@pytest.mark.parametrize(("line", "field"), [
    ("# title: Buckets are private\n", "title"),
    ("#   id: ACME-NET-009\n", "custom.id"),
    ("#   articles: [41, 53]\n", "custom.articles"),
])
def test_missing_required_metadata_field_is_named(tmp_path, line, field):
    write(tmp_path, "acme_net_009.rego", META.replace(line, "") + BODY)
    msg = load_error(tmp_path)
    assert msg.startswith(f"{tmp_path / 'acme_net_009.rego'}:1: ")
    assert f"METADATA is missing '{field}'" in msg


def test_missing_description_and_remediation_are_named(tmp_path):
    meta = META.replace("# description: |\n#   Long text.\n", "")
    write(tmp_path, "p.rego", meta + BODY)
    assert "missing 'description'" in load_error(tmp_path)
    meta = META.replace("#   remediation: |\n#     Block public access.\n", "")
    write(tmp_path, "p.rego", meta + BODY)
    assert "missing 'custom.remediation'" in load_error(tmp_path)


def test_policy_without_metadata_block(tmp_path):
    write(tmp_path, "p.rego", "# just a comment\n" + BODY)
    msg = load_error(tmp_path)
    assert msg.startswith(f"{tmp_path / 'p.rego'}:2: ") and "no '# METADATA' block" in msg


def test_metadata_separated_from_package_by_a_blank_line_does_not_count(tmp_path):
    write(tmp_path, "p.rego", META + "\n" + BODY)
    assert "no '# METADATA' block" in load_error(tmp_path)


def test_invalid_metadata_yaml_names_the_line(tmp_path):
    write(tmp_path, "p.rego", META.replace("articles: [41, 53]", "articles: [41, 53") + BODY)
    msg = load_error(tmp_path)
    assert "METADATA is not valid YAML" in msg
    assert msg.startswith(f"{tmp_path / 'p.rego'}:")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("id: ACME-NET-009", "id: net9", "'custom.id' must look like"),
    ("articles: [41, 53]", "articles: [forty-one]", "'custom.articles' must be a list"),
    ("articles: [41, 53]", "articles: 41", "'custom.articles' must be a list"),
    ("kinds: [object_store]", "kinds: object_store", "'custom.kinds' must be a list"),
    ("id: ACME-NET-009", "id: ACME-NET-010", "must be in package dsscan.policy.acme_net_010"),
])
def test_bad_metadata_values(tmp_path, old, new, expected):
    write(tmp_path, "p.rego", META.replace(old, new) + BODY)
    assert expected in load_error(tmp_path)


def test_module_outside_dsscan_policy_needs_no_metadata(tmp_path):
    write(tmp_path, "helpers.rego", "package acme.helpers\n\nimport rego.v1\n\nx := 1\n")
    lib = load_library([tmp_path], include_builtin=False)
    assert lib.policies == [] and len(lib.modules) == 1


def test_duplicate_policy_id_in_user_directories(tmp_path):
    write(tmp_path, "one/p.rego", META + BODY)
    write(tmp_path, "two/p.rego", META + BODY)
    msg = load_error(tmp_path)
    assert "duplicate policy id ACME-NET-009" in msg
    assert str(tmp_path / "one/p.rego") in msg and msg.startswith(str(tmp_path / "two/p.rego"))


@pytest.mark.slow
def test_user_policy_may_not_reuse_a_builtin_id(tmp_path):
    builtin = load_library().policies
    p = builtin[0]
    pkg = p.package.rsplit(".", 1)[1]
    write(tmp_path, "mine.rego", META.replace("ACME-NET-009", p.id)
          + BODY.replace("acme_net_009", pkg))
    with pytest.raises(PolicyError) as exc:
        load_library([tmp_path])
    msg = str(exc.value)
    assert msg.startswith(str(tmp_path / "mine.rego"))
    assert f"package {p.package} is already defined by the built-in library" in msg


@pytest.mark.parametrize("package", ["dsscan.lib", "dsscan.lib.extra", "dsscan.config",
                                     "dsscan_internal.aggregate"])
def test_user_module_may_not_use_a_reserved_package(tmp_path, package):
    write(tmp_path, "h.rego", f"package {package}\n\nimport rego.v1\n\nx := 1\n")
    assert f"package {package} is reserved for the built-in library" in load_error(tmp_path)


def test_parse_error_is_reduced_to_file_line_column_and_message(tmp_path):
    write(tmp_path, "broken.rego", "package acme.x\n\nimport rego.v1\n\nx := )\n\ny := 1\n")
    msg = load_error(tmp_path)
    assert msg.startswith(f"{tmp_path / 'broken.rego'}:5:")
    assert isinstance(PolicyError(msg), InputError)


def test_unsafe_variable_is_reported_at_load_time(tmp_path):
    write(tmp_path, "u.rego", "package acme.u\n\nimport rego.v1\n\nx if { z }\n")
    msg = load_error(tmp_path)
    assert msg.startswith(f"{tmp_path / 'u.rego'}:5:") and "unsafe" in msg


def test_deny_must_be_a_partial_set_rule(tmp_path):
    body = BODY.replace('deny contains {"asset": a.id, "level": "core", "message": "m"} if',
                        'deny := [1] if')
    write(tmp_path, "p.rego", META + body)
    assert "'deny' must be a partial set rule" in load_error(tmp_path)


def test_missing_policy_directory(tmp_path):
    missing = tmp_path / "nope"
    assert load_error(missing) == f"{missing}: policy directory not found"


def test_single_rego_file_can_be_given(tmp_path):
    f = write(tmp_path, "p.rego", META + BODY)
    assert [p.id for p in load_library([f], include_builtin=False).policies] == ["ACME-NET-009"]


def test_lint_runs_at_load_time_and_can_be_turned_off(tmp_path):
    write(tmp_path, "p.rego", META + BODY.replace("a.access.public == true",
                                                  "time.now_ns() > 0"))
    assert "builtin time.now_ns() is not allowed" in load_error(tmp_path)
    lib = load_library([tmp_path], include_builtin=False, lint=False)
    assert [p.id for p in lib.policies] == ["ACME-NET-009"]
