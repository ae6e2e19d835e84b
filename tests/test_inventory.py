"""The inventory format: schema validation, one-line errors, merge, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsscan.errors import InputError
from dsscan.inventory import (
    FORMAT,
    Inventory,
    dump_inventory,
    load_inventory,
    merge,
    parse_inventory,
    schema,
)

EXAMPLE = Path(__file__).parent.parent / "examples" / "bank-estate.json"


def doc(*assets: dict) -> dict:
    return {"format": FORMAT, "assets": list(assets)}


def test_example_estate_is_valid_and_covers_every_required_kind():
    inv = load_inventory(EXAMPLE)
    kinds = {a["kind"] for a in inv.assets}
    assert {"object_store", "database", "table", "file_system", "cache", "warehouse", "backup",
            "snapshot", "backup_vault", "network_domain"} <= kinds


def test_schema_declares_every_required_kind_and_field():
    asset = schema()["$defs"]["asset"]
    for kind in ("object_store", "database", "table", "file_system", "cache", "warehouse",
                 "backup", "snapshot", "backup_vault", "network_domain"):
        assert kind in asset["properties"]["kind"]["enum"]
    for fld in ("id", "kind", "source", "account", "region", "tags", "environment", "level",
                "encryption", "network", "backup", "content", "assessment"):
        assert fld in asset["properties"]


def test_invalid_json_names_file_line_and_column(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"format": "dsscan-inventory/1", "assets": [}')
    with pytest.raises(InputError) as e:
        load_inventory(p)
    msg = str(e.value)
    assert str(p) in msg and "line 1" in msg and "\n" not in msg


def test_invalid_json_error_names_the_line_and_column_of_the_bad_place(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"format": "dsscan-inventory/1",\n  "assets": [}\n')
    with pytest.raises(InputError, match=r"not valid JSON: .* at line 2 column 14$"):
        load_inventory(p)


def test_text_that_is_not_utf8_is_named_as_such(tmp_path):
    p = tmp_path / "latin1.json"
    p.write_bytes(b'{"format": "dsscan-inventory/1", "assets": [], "x": "caf\xe9"}')
    with pytest.raises(InputError, match=r"not UTF-8 text \(bad byte at offset 56\)$"):
        load_inventory(p)


@pytest.mark.parametrize("raw", [
    b'\xef\xbb\xbf{"format": "dsscan-inventory/1", "assets": []}',  # UTF-8 byte order mark
    '{"format": "dsscan-inventory/1", "assets": []}'.encode("utf-16"),
])
def test_documents_that_json_accepts_still_load(tmp_path, raw):
    # The fast parser is stricter than json; what it rejects is parsed again by json.
    p = tmp_path / "inv.json"
    p.write_bytes(raw)
    assert load_inventory(p).assets == []


def test_schema_violation_names_the_first_bad_path_in_document_order():
    bad = doc({"id": "a", "kind": "object_store"},
              {"id": "b", "kind": "database", "encryption": {"at_rest": {"enabled": "yes"}}},
              {"id": "c", "kind": "bucket"})
    with pytest.raises(InputError) as e:
        parse_inventory(bad, "estate.json")
    assert str(e.value).startswith("estate.json: $.assets[1].encryption.at_rest.enabled:")


def test_unknown_kind_is_rejected_with_its_path():
    with pytest.raises(InputError, match=r"\$\.assets\[0\]\.kind"):
        parse_inventory(doc({"id": "x", "kind": "bucket"}), "f.json")


def test_other_format_versions_are_rejected_clearly():
    with pytest.raises(InputError, match="unsupported inventory format 'dsscan-inventory/2'"):
        parse_inventory({"format": "dsscan-inventory/2", "assets": []}, "f.json")
    with pytest.raises(InputError, match="not a dsscan inventory"):
        parse_inventory({"resources": []}, "f.json")


def test_duplicate_asset_ids_are_rejected():
    with pytest.raises(InputError, match="duplicate asset id 'a'"):
        parse_inventory(doc({"id": "a", "kind": "object_store"}, {"id": "a", "kind": "table"}),
                        "f.json")


def test_validation_error_never_quotes_a_resident_id_in_clear():
    bad = doc({"id": "a", "kind": "object_store", "tags": {"owner": 11010519900307123}})
    bad["assets"][0]["tags"] = {"x": ["11010119900307123X"]}
    with pytest.raises(InputError) as e:
        parse_inventory(bad, "f.json")
    assert "11010119900307123X" not in str(e.value)


def test_merge_rejects_an_asset_present_in_two_files():
    a = Inventory(assets=[{"id": "x", "kind": "table"}], files=["a.json"])
    b = Inventory(assets=[{"id": "x", "kind": "table"}], files=["b.json"])
    with pytest.raises(InputError, match=r"also in a\.json"):
        merge([a, b])


def test_merge_keeps_assets_and_gaps_of_every_file():
    a = Inventory(assets=[{"id": "x", "kind": "table"}], gaps=[{"reason": "r1"}], files=["a"])
    b = Inventory(assets=[{"id": "y", "kind": "table"}], gaps=[{"reason": "r2"}], files=["b"])
    m = merge([a, b])
    assert [x["id"] for x in m.assets] == ["x", "y"] and len(m.gaps) == 2
    assert m.files == ["a", "b"]


def test_dump_strips_runtime_context_and_round_trips(tmp_path):
    inv = Inventory(assets=[{"id": "x", "kind": "table", "ctx": {"domain": None}}])
    out = tmp_path / "out.json"
    dump_inventory(inv, out)
    reread = load_inventory(out)
    assert reread.assets == [{"id": "x", "kind": "table"}]


def test_failed_write_leaves_the_previous_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    out = tmp_path / "inv.json"
    out.write_text("previous")

    def disk_full(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("dsscan.atomic_write.os.replace", disk_full)
    with pytest.raises(InputError, match=r"inv\.json: cannot write \(No space left on device\)"):
        dump_inventory(Inventory(assets=[{"id": "x", "kind": "table"}]), out)
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["inv.json"]


def test_schema_is_valid_json_schema_2020_12():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema())
    assert json.loads(json.dumps(schema()))["$schema"].endswith("2020-12/schema")
