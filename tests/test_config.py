"""Settings file: defaults, validation, one-line errors."""

from __future__ import annotations

import pytest

from dsscan.config import Config, load_config
from dsscan.errors import InputError


def test_no_file_gives_defaults():
    cfg = load_config(None)
    assert cfg.unclassified_protection_level == "sensitive"
    assert "dsscan:level" in cfg.level_tag_keys


def test_settings_are_read_and_handed_to_rego(tmp_path):
    p = tmp_path / "dsscan.yaml"
    p.write_text("test_environments: [test, staging]\nbackup_separation: account\n"
                 "accounts:\n  '222222222222': {environment: test}\n"
                 "domains:\n  vpc-1: {level: core}\ncatalogue: cat.yaml\n")
    cfg = load_config(p)
    assert cfg.policy_data() == {"test_environments": ["test", "staging"],
                                 "unclassified_protection_level": "sensitive",
                                 "backup_separation": "account", "allowed_regions": []}
    assert cfg.accounts["222222222222"].environment == "test"
    assert cfg.domains["vpc-1"].level == "core"
    assert cfg.catalogue == str((tmp_path / "cat.yaml").resolve())


@pytest.mark.parametrize("text, fragment", [
    ("level_tag_key: [x]\n", "unknown setting 'level_tag_key'"),
    ("backup_separation: elsewhere\n", "backup_separation must be one of"),
    ("domains:\n  vpc-1: {level: secret}\n", "domains.vpc-1.level 'secret'"),
    ("accounts:\n  '1': {environment: prd}\n", "accounts.1.environment 'prd'"),
    ("severity_by_level: {core: urgent}\n", "severity_by_level.core 'urgent'"),
    ("test_environments: test\n", "'test_environments' must be a list"),
    ("- a\n- b\n", "config must be a mapping"),
    ("a: [\n", "not valid YAML at line"),
])
def test_bad_settings_give_one_line_naming_the_file(tmp_path, text, fragment):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        load_config(p)
    assert fragment in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml")


def test_environment_synonyms_extend_the_defaults():
    cfg = Config(environment_synonyms={"PERF": "test"})
    table = cfg.environment_table()
    assert table["perf"] == "test" and table["prod"] == "production"
