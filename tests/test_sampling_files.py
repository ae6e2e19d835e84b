"""Local files (`dsscan sample PATH`) and the object formats shared with S3: encodings,
headers, truncated JSON, bounds. A recording scanner checks what reaches the detectors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from cli_support import dsscan
from sampling_corpus import Corpus, csv_text
from sampling_support import Recorder

from dsscan.inventory import parse_inventory
from dsscan.scanners.sampling.blobs import Limits, render
from dsscan.scanners.sampling.files import FileOptions, sample_path


def sample(path: Path, **kw) -> tuple[dict, Recorder]:
    rec = Recorder()
    return sample_path(str(path), FileOptions(**kw), rec), rec


def test_csv_cells_keep_every_digit_and_gb18030_is_decoded(tmp_path):
    f = tmp_path / "导出.csv"
    f.write_bytes("姓名,身份证号,金额\n张三,110101199003077777,001234\n李四,11010119900307777X,"
                  "1.50\n".encode("gb18030"))
    a, rec = sample(f)
    assert rec.columns["导出.csv#身份证号"] == ["110101199003077777", "11010119900307777X"]
    assert rec.columns["导出.csv#金额"] == ["001234", "1.50"]  # no number conversion
    assert rec.columns["导出.csv#姓名"] == ["张三", "李四"]
    assert a["kind"] == "file_system" and a["id"] == f.resolve().as_uri()
    assert a["content"]["sample"]["rows"] == 2


def test_utf16_and_headerless_csv(tmp_path):
    f = tmp_path / "export.txt.csv"
    f.write_bytes("110101199003077777,13812345678\n110101199003071234,13912345678\n"
                  .encode("utf-16"))
    _, rec = sample(f)
    # No header row (its cells look like values): the first row is data, columns numbered.
    assert rec.columns["export.txt.csv#column1"] == ["110101199003077777", "110101199003071234"]
    assert rec.columns["export.txt.csv#column2"] == ["13812345678", "13912345678"]


def test_truncated_json_gives_its_first_records_and_numbers_stay_text(tmp_path):
    rows = [{"id": str(i), "n": 110101199003070000 + i, "nested": {"m": [f"1381234{i:04d}"]}}
            for i in range(3000)]
    f = tmp_path / "big.json"
    f.write_text(json.dumps({"meta": {"v": 1.0}, "data": rows}))
    a, rec = sample(f, limits=Limits(head_bytes=8192))
    got = rec.columns["big.json#data[].n"]
    assert 50 < len(got) < 3000
    assert got[:2] == ["110101199003070000", "110101199003070001"]
    assert rec.columns["big.json#data[].nested.m[]"][0] == "13812340000"
    assert rec.columns["big.json#meta.v"] == ["1.0"]
    assert a["content"]["sample"]["bytes"] == 8192


def test_directory_is_one_asset_bounded_by_max_files(tmp_path):
    corpus = Corpus(seed=5)
    for i in range(5):
        (tmp_path / f"part-{i}.csv.gz").write_bytes(
            gzip.compress(csv_text(corpus.customers(3)).encode()))
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff" + b"\0" * 10)
    (tmp_path / "notes.bin.txt").write_bytes(b"\0\1\2" * 100)
    a, rec = sample(tmp_path, max_files=4)
    assert a["type"] == "local directory"
    # notes.bin.txt (binary content) and part-0..2 are the first four; the .jpg is left out
    # by its type and does not count.
    assert {loc.split("#")[0] for loc in rec.columns} == {f"part-{i}.csv.gz" for i in range(3)}
    assert a["content"]["sample"]["objects"] == 3
    assert a["attributes"]["content_sampling"]["files_skipped"] == {"binary content": 1,
                                                                    "binary type": 1}
    assert a["assessment"]["status"] == "partial"
    assert a["assessment"]["gaps"] == [{"aspect": "content",
                                        "reason": "2 files beyond --max-files 4 not sampled"}]


def test_binary_only_is_not_sampled(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7 ...")
    (tmp_path / "blob").write_bytes(b"\0\1\2\3" * 10)
    a, _ = sample(tmp_path)
    assert a["content"]["status"] == "not_sampled"
    assert a["attributes"]["content_sampling"]["files_skipped"] == {"binary content": 1,
                                                                    "binary type": 1}


def test_render_keeps_exact_digits():
    from decimal import Decimal

    assert render(Decimal("110101199003077777")) == "110101199003077777"
    assert render(Decimal("110101199003077777.00")) == "110101199003077777"
    assert render(Decimal("1.1E+17")) == "110000000000000000"
    assert render(Decimal("12.50")) == "12.50"
    assert render(13812345678.0) == "13812345678"
    assert render(110101199003077777) == "110101199003077777"


def test_cli_writes_a_valid_inventory_and_rejects_s3_urls(tmp_path):
    f = tmp_path / "customers.csv"
    f.write_text(csv_text(Corpus(seed=8).customers(20)))
    r = dsscan("sample", str(f), "--tag", "environment=test", "--tag", "owner=retail")
    assert r.returncode == 0, r.stderr
    inv = parse_inventory(json.loads(r.stdout), "stdout")
    [a] = inv.assets
    assert a["tags"] == {"environment": "test", "owner": "retail"}
    assert a["content"]["status"] == "sampled"
    assert inv.generator["scanner"] == "sample"
    r = dsscan("sample", "s3://bucket/x")
    assert r.returncode == 2 and "--sample-data" in r.stderr
    r = dsscan("sample", str(f), "--tag", "novalue")
    assert r.returncode == 2 and "KEY=VALUE" in r.stderr
