"""The one safe-write helper (provenance.outputs): checks first, temp aside, atomic, one writer wins.

Each test here reproduces an attack or failure from issue 22 that the earlier
per-command writers fell for.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from provenance import outputs
from provenance.errors import InputError, OperationError, OutputExistsError
from provenance.outputs import plan_output, write_output


@pytest.fixture()
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_output_that_is_the_input_is_refused_by_inode(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(b"original")
    hard = tmp_path / "hard.jpg"
    os.link(source, hard)
    soft = tmp_path / "soft.html"
    soft.symlink_to(source)
    for target in (source, hard, soft):
        with pytest.raises(InputError, match="input"):
            plan_output(target, inputs=[source], force=True)
    assert source.read_bytes() == b"original"


def test_missing_folder_and_folder_output_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        plan_output(tmp_path / "missing" / "r.csv")
    with pytest.raises(InputError, match="is a folder"):
        plan_output(tmp_path, force=True)
    plain = tmp_path / "file"
    plain.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        plan_output(plain / "r.csv")


def test_read_only_folder_is_refused_before_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # root passes os.access on any folder; the check itself is what is tested.
    monkeypatch.setattr(outputs, "_writable", lambda _folder: False)
    with pytest.raises(InputError, match="not writable"):
        plan_output(tmp_path / "r.html")


def test_existing_output_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("keep")
    with pytest.raises(OutputExistsError):
        plan_output(target)
    write_output(plan_output(target, force=True), b"new")
    assert target.read_bytes() == b"new"


def test_fifo_or_device_is_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        plan_output(fifo, force=True)


def test_symlink_at_output_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.cfg"
    victim.write_text("precious")
    link = tmp_path / "results.csv"
    link.symlink_to(victim)
    with pytest.raises(OutputExistsError):
        plan_output(link)
    write_output(plan_output(link, force=True), b"a,b\n")
    assert victim.read_text() == "precious"
    assert not link.is_symlink()
    assert link.read_bytes() == b"a,b\n"


def test_modes_do_not_follow_a_permissive_umask(tmp_path: Path, permissive_umask: None) -> None:
    public = write_output(plan_output(tmp_path / "report.html"), b"<p>")
    assert _mode(public) == 0o644
    secret = write_output(plan_output(tmp_path / "key.p12"), b"k", mode=0o600, exact_mode=True)
    assert _mode(secret) == 0o600
    folder = outputs.make_folder(tmp_path / "a" / "b", mode=0o700)
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700


def test_a_stricter_umask_is_honoured_for_user_outputs(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        path = write_output(plan_output(tmp_path / "private.jpg"), b"x")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600


def test_planted_temp_file_is_never_adopted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """O_EXCL|O_NOFOLLOW: a file or symlink planted at the temp name is neither opened nor followed."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    planted = tmp_path / ".pv-planted.tmp"
    planted.symlink_to(elsewhere)
    monkeypatch.setattr(outputs, "temp_name", lambda: planted.name)
    with pytest.raises(OperationError):
        write_output(plan_output(tmp_path / "out.jpg"), b"data")
    assert elsewhere.read_text() == "untouched"
    assert planted.is_symlink()  # not ours: left alone
    assert not (tmp_path / "out.jpg").exists()


def test_temp_names_are_short_and_unguessable() -> None:
    names = {outputs.temp_name() for _ in range(200)}
    assert len(names) == 200
    assert all(len(n.encode()) == 24 and outputs.is_temp_name(n) for n in names)


@pytest.mark.parametrize("length", [238, 250, 255])
def test_any_legal_output_name_works(tmp_path: Path, length: int) -> None:
    name = "x" * (length - 4) + ".jpg"
    assert len(name.encode()) == length
    path = write_output(plan_output(tmp_path / name), b"ok")
    assert path.read_bytes() == b"ok"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_concurrent_writers_to_a_new_output_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "out.jpg"
    first = plan_output(target)
    second = plan_output(target)
    write_output(first, b"first")
    with pytest.raises(OutputExistsError, match="another program"):
        write_output(second, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jpg"]


def test_concurrent_writers_with_force_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "out.jpg"
    target.write_bytes(b"old")
    first = plan_output(target, force=True)
    second = plan_output(target, force=True)
    write_output(first, b"first")
    with pytest.raises(OutputExistsError, match="another program"):
        write_output(second, b"second")
    assert target.read_bytes() == b"first"


def test_link_fallback_when_renameat2_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs, "_load_renameat2", lambda: None)
    target = tmp_path / "out.jpg"
    first, second = plan_output(target), plan_output(target)
    write_output(first, b"first")
    with pytest.raises(OutputExistsError):
        write_output(second, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jpg"]


def test_failed_check_leaves_nothing_and_only_our_temp_is_removed(tmp_path: Path) -> None:
    # Files an earlier version or the user left that merely look like temp files stay.
    lookalikes = [tmp_path / ".out.jpg.1234abcd.partial", tmp_path / ".pv-aaaaaaaaaaaaaaaa.tmp"]
    for path in lookalikes:
        path.write_text("user data")

    def reject(_stream: object) -> None:
        raise OperationError("did not verify")

    with pytest.raises(OperationError):
        write_output(plan_output(tmp_path / "out.jpg"), b"bad", check=reject)
    assert not (tmp_path / "out.jpg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in lookalikes)


def test_disk_errors_become_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def denied(_path: Path, _mode: int) -> int:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(outputs, "_open_temp", denied)
    with pytest.raises(OperationError, match="not writable"):
        write_output(plan_output(tmp_path / "r.html"), b"x")
