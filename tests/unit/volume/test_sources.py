"""Inputs at scale: manifests, globs, folders, the digest set, resume reading, engine choice."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provenance.errors import InputError, OperationError
from provenance.volume.results import read_finished
from provenance.volume.seen import DigestSet
from provenance.volume.sources import has_glob, is_url, iter_sources, read_manifest


def test_manifest_lines_and_csv(tmp_path: Path) -> None:
    lines = tmp_path / "list.txt"
    lines.write_text("# a comment\n/a/x.jpg\n\n  s3://bucket/y.png  \n", encoding="utf-8")
    assert list(read_manifest(lines)) == ["/a/x.jpg", "s3://bucket/y.png"]
    table = tmp_path / "list.csv"
    table.write_text('id,path,note\n1,/a/x.jpg,ok\n2,"/a/with,comma.jpg",\n3,,\n', encoding="utf-8")
    assert list(read_manifest(table)) == ["/a/x.jpg", "/a/with,comma.jpg"]
    with pytest.raises(InputError, match="Cannot read the input list"):
        list(read_manifest(tmp_path / "missing.txt"))


def test_folders_globs_and_manifest_entries_stream(tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    for name in ("b.jpg", "a.JPG", ".hidden.jpg", "notes.txt", "sub/c.png", "sub/c.png.c2pa"):
        (tmp_path / "in" / name).write_bytes(b"x")
    folder = str(tmp_path / "in")
    assert [Path(p).name for p in iter_sources([folder])] == ["a.JPG", "b.jpg", "c.png"]
    pattern = str(tmp_path / "in" / "**" / "*.png")
    assert [Path(p).name for p in iter_sources([pattern])] == ["c.png"]
    manifest = tmp_path / "m.txt"
    manifest.write_text(f"{tmp_path / 'in' / '[x].jpg'}\n{tmp_path / 'in' / 'sub'}\n")
    # Manifest entries are literal (no glob), folders in them are expanded.
    assert [Path(p).name for p in iter_sources([], manifest)] == ["[x].jpg", "c.png"]
    assert is_url("s3://b/k") and not is_url("file:///x") and not is_url("/x")
    assert has_glob("a/*.jpg") and not has_glob("a/b.jpg")


def test_digest_set_is_exact_and_compact() -> None:
    seen = DigestSet()
    keys = [f"/photos/{i}.jpg" for i in range(10_000)]
    assert all(seen.add(k) for k in keys)
    assert not any(seen.add(k) for k in keys[::97])
    assert all(k in seen for k in keys)
    assert "/photos/10000.jpg" not in seen
    assert len(seen) == 10_000
    assert seen.nbytes < 10_000 * 40


def test_read_finished_cuts_a_torn_line_and_refuses_other_files(tmp_path: Path) -> None:
    from provenance.volume.policy import CSV_COLUMNS

    results = tmp_path / "r.csv"
    header = ",".join(CSV_COLUMNS)
    row = "a.jpg,trusted,true," + "," * (len(CSV_COLUMNS) - 4)
    failed = "b.jpg,invalid,false,broken" + "," * (len(CSV_COLUMNS) - 4)
    results.write_text(f"{header}\r\n{row}\r\n{failed}\r\nc.jpg,tru", encoding="utf-8")
    done = read_finished(results)
    assert (done.passed, done.failed) == (1, 1)
    assert done.has("a.jpg") and done.has("b.jpg") and not done.has("c.jpg")
    assert results.read_bytes().endswith(b"broken,,,,,,,,,\r\n")  # the torn row is gone
    other = tmp_path / "other.csv"
    other.write_text("name,size\nx,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a results file"):
        read_finished(other)


def test_missing_dask_extra_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from provenance.volume._engine import make_engine

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    monkeypatch.delitem(sys.modules, "provenance.volume._engine.dask", raising=False)
    with pytest.raises(OperationError) as caught:
        make_engine("dask")
    assert "pip install 'provenance[dask]'" in (caught.value.hint or "")
    assert make_engine("local").name == "local"
