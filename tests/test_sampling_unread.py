"""What the content samplers could not parse is a gap, never "no identifiers found".

One table per sampler: each case is sampled content that the parser could not read (in part
or at all). The asset must carry a ``content`` gap (partial or error), whatever was read is
still judged, and the identifier the readable part holds is still found.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from dsscan.scanners.sampling import new_scanner
from dsscan.scanners.sampling.blobs import Limits
from dsscan.scanners.sampling.files import FileOptions, sample_path
from dsscan.scanners.sampling.sql import SqlOptions, sample_database

ID = "11010519491231002X"  # a valid resident ID (GB 11643 check character X)
ROWS = "".join(f"a{i},{ID}\n" for i in range(40))
DEEP = "[" * 5000 + "]" * 5000


def _long_field(n: int) -> str:
    return 'name,id\na,"' + "x" * n + '"\n' + ROWS


# (case, file name, bytes, limits, gap words, whether the ID is still found)
FILE_CASES = [
    ("csv, CR-only line ends, truncated by the read bound", "cr.csv",
     ("name,id\r" + ROWS.replace("\n", "\r") * 40).encode(), Limits(head_bytes=2048),
     None, True),
    ("csv, one quoted field past the csv module's field limit", "long.csv",
     ('name,id\na,"' + "x " * 100_000 + ID + '"\n').encode(), Limits(head_bytes=1 << 20),
     None, True),
    ("csv, one quoted field longer than the read bound", "cut.csv",
     _long_field(200_000).encode(), Limits(head_bytes=64 * 1024, ranges=0),
     "no complete csv row", False),
    ("csv, a NUL byte in a cell", "nul.csv",
     ("name,id\na\0b,c\n" + ROWS).encode(), Limits(), "NUL bytes", True),
    ("json, a NUL byte in a string", "nul.json",
     json.dumps([{"n": "a\0b", "id": ID}]).replace("\\u0000", "\0").encode(), Limits(),
     "NUL bytes", True),
    ("json, syntax error before the identifier", "broken.json",
     ('[{"x": tru, "id": "' + ID + '"}]').encode(), Limits(), "malformed JSON", True),
    ("json, a complete file that never closes", "open.json",
     ('[{"id": "' + ID + '"}, {"n": 1').encode(), Limits(), "malformed JSON", True),
    ("json, a close with nothing open", "extra.json",
     ('{"a": "b"}} "' + ID + '"').encode(), Limits(), "malformed JSON", True),
    ("csv, bytes no encoding reads", "bad.csv",
     b"name,id\n\xff\xfe\xfa,\x81\n" + ROWS.encode(), Limits(), "undecodable bytes", True),
    ("text, one line longer than the read bound", "one.log",
     ("x" * 100_000 + " " + ID).encode(), Limits(head_bytes=4096, ranges=0),
     "no complete text row", False),
    ("jsonl, first line longer than the read bound", "deep.jsonl",
     ("[" * 50_000 + "]" * 50_000 + "\n" + json.dumps({"id": ID}) + "\n").encode(),
     Limits(head_bytes=4096, ranges=0), "no complete jsonl row", False),
    ("gzip csv, malformed rows", "rows.csv.gz",
     gzip.compress(('name,id\n"a"b"c,d\n' + ROWS + 'x,"unclosed\n' + ROWS).encode()),
     Limits(),
     "malformed CSV", True),
]


@pytest.mark.parametrize("case,name,data,limits,words,found", FILE_CASES,
                         ids=[c[0] for c in FILE_CASES])
def test_unparsed_file_content_is_a_gap_never_a_pass(tmp_path: Path, case, name, data, limits,
                                                     words, found):
    f = tmp_path / name
    f.write_bytes(data)
    a = sample_path(str(f), FileOptions(limits=limits), new_scanner())
    detectors = {d["detector"] for d in a["content"]["detections"]}
    if words is None:  # read in full now: the identifier is found and nothing is missing
        assert a["assessment"]["status"] == "complete", a["assessment"]
        assert a["content"]["sample"]["rows"] > 0
    else:
        gaps = [g["reason"] for g in a["assessment"]["gaps"] if g["aspect"] == "content"]
        assert a["assessment"]["status"] == "partial"
        assert any(words in g for g in gaps), gaps
        assert a["content"]["status"] == ("sampled" if found else "error")
        assert ID not in json.dumps(a)  # the gap reason quotes no value
    assert ("prc_resident_id" in detectors) == found


def test_deeply_nested_jsonl_line_is_read_as_text(tmp_path: Path):
    f = tmp_path / "deep.jsonl"
    f.write_text(DEEP + "\n" + json.dumps({"a": {"b": [ID]}}) + "\n" + DEEP + f' "{ID}"\n')
    a = sample_path(str(f), FileOptions(), new_scanner())
    assert a["assessment"]["status"] == "complete"
    locs = {d["location"]: d["unmasked"] for d in a["content"]["detections"]}
    assert locs == {"deep.jsonl#a.b[]": 1, "deep.jsonl": 1}


def test_nested_parquet_columns_are_read(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"n": [1, 2], "person": [{"id": ID, "phones": ["x"]}] * 2,
                  "ids": [[ID]] * 2})
    pq.write_table(t, tmp_path / "nested.parquet")
    a = sample_path(str(tmp_path / "nested.parquet"), FileOptions(), new_scanner())
    locs = {d["location"] for d in a["content"]["detections"]
            if d["detector"] == "prc_resident_id"}
    assert locs == {"nested.parquet#person.id", "nested.parquet#ids[]"}


# (case, column type, values, gap words)
SQL_CASES = [
    ("bytes that are not UTF-8 in a TEXT column", "TEXT", [b"\xff\xfe", ID],
     "binary values in a text or numeric column"),
    ("only such bytes", "TEXT", [b"\xff\xfe"], "binary values in a text or numeric column"),
]


@pytest.mark.parametrize("case,ctype,values,words", SQL_CASES, ids=[c[0] for c in SQL_CASES])
def test_unreadable_sql_values_are_a_gap(tmp_path: Path, case, ctype, values, words):
    db = tmp_path / "t.db"
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE t (v {ctype})")
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    con.commit()
    con.close()
    [_, t] = sample_database(f"sqlite:///{db}", SqlOptions(), lambda: new_scanner())
    gaps = [g["reason"] for g in t["assessment"]["gaps"] if g["aspect"] == "content"]
    assert t["assessment"]["status"] == "partial"
    assert any(words in g for g in gaps), gaps
    if ID in values:
        assert [d["detector"] for d in t["content"]["detections"]] == ["prc_resident_id"]


def test_utf8_bytes_in_a_text_column_are_read(tmp_path: Path):
    db = tmp_path / "t.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (v TEXT)")
    con.execute("INSERT INTO t VALUES (?)", (ID.encode(),))
    con.commit()
    con.close()
    [_, t] = sample_database(f"sqlite:///{db}", SqlOptions(), lambda: new_scanner())
    assert t["assessment"]["status"] == "complete"
    assert [d["detector"] for d in t["content"]["detections"]] == ["prc_resident_id"]


def test_csv_cells_past_the_header_are_read(tmp_path: Path):
    f = tmp_path / "wide.csv"
    f.write_text("name,city\n" + "".join(f"a{i},b,{ID}\n" for i in range(20)))
    a = sample_path(str(f), FileOptions(), new_scanner())
    assert [d["detector"] for d in a["content"]["detections"]] == ["prc_resident_id"]


@pytest.mark.slow
def test_jsonb_nested_past_the_driver_is_a_gap(pg_store_url: str):
    """PostgreSQL keeps a jsonb value nested 5,000 deep; the driver's JSON parser cannot
    build it (RecursionError): the table is not assessed, one line, no internal error."""
    import psycopg

    with psycopg.connect(pg_store_url, autocommit=True) as con:
        con.execute("CREATE TABLE deep (doc jsonb)")
        con.execute("INSERT INTO deep VALUES (%s::jsonb)", (DEEP,))
    assets = sample_database(pg_store_url, SqlOptions(), lambda: new_scanner())
    [t] = [a for a in assets if a.get("name") == "deep"]
    assert t["content"]["status"] == "error"
    assert t["assessment"]["gaps"] == [{"aspect": "content",
                                        "reason": "a value nested too deep to read"}]
