"""sign_many and verify_many: parallel signing, resume, and per-file isolation."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from fixtures.generate import write_photo, write_random
from provenance.errors import KeyProblem
from provenance.models import Verdict
from provenance.sign import SignRequest
from provenance.verify import VerifyOptions, verify_file
from provenance.volume.batch import (
    CRASH_HOOK_ENV,
    HANG_HOOK_ENV,
    BatchEvent,
    EventKind,
    collect_images,
    sign_many,
    verify_many,
)
from tests.conftest import PASSPHRASE

OPTIONS = VerifyOptions(use_trust_store=False, want_thumbnails=False)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def batch(tmp_path: Path) -> tuple[list[SignRequest], Path]:
    """Six small photos and one file of random bytes, with outputs in out/."""
    src = tmp_path / "in"
    src.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    photos = [write_photo(src, name=f"p{i}.jpg", width=640, height=480, seed=i) for i in range(6)]
    photos.append(write_random(src, "broken.jpg"))
    return [SignRequest(source=p, output=out / p.name) for p in photos], out


def test_sign_many_parallel_resume_and_failure(
    identity_home: Path, batch: tuple[list[SignRequest], Path]
) -> None:
    requests, out = batch
    before = {r.source: _digest(r.source) for r in requests}
    events: list[BatchEvent] = []
    summary = sign_many(
        requests, home=identity_home, passphrase=PASSPHRASE.encode(), jobs=2, on_event=events.append
    )
    assert (summary.done, summary.skipped, summary.failed) == (6, 0, 1)
    failed = [o for o in summary.outcomes if o.status is EventKind.FAILED]
    assert failed[0].source.name == "broken.jpg"
    assert "not an image type" in (failed[0].message or "")
    assert [o.source for o in summary.outcomes] == [r.source for r in requests]
    assert sum(e.kind is EventKind.STARTED for e in events) == 7
    for request in requests[:6]:
        assert verify_file(request.output, OPTIONS).verdict is Verdict.VALID_UNTRUSTED
    assert {r.source: _digest(r.source) for r in requests} == before
    assert not (out / "broken.jpg").exists()

    # Resume: our finished outputs are skipped.  A damaged one is no longer
    # recognisably ours, so it is replaced only with force (issue 22), and a file
    # that merely looks like an old temp name is the user's: never deleted.
    damaged = requests[2].output
    damaged.write_bytes(damaged.read_bytes()[:5000])
    leftover = out / ".p3.jpg.deadbeef.partial"
    leftover.write_bytes(b"half")
    again = sign_many(requests, home=identity_home, passphrase=PASSPHRASE.encode(), jobs=2)
    assert (again.done, again.skipped, again.failed) == (0, 5, 2)
    refused = next(o for o in again.outcomes if o.source == requests[2].source)
    assert "--force" in (refused.message or "")
    assert len(damaged.read_bytes()) == 5000
    forced = [replace(r, force=True) if r is requests[2] else r for r in requests]
    third = sign_many(forced, home=identity_home, passphrase=PASSPHRASE.encode(), jobs=2)
    assert (third.done, third.skipped, third.failed) == (1, 5, 1)
    assert verify_file(damaged, OPTIONS).verdict.is_intact
    assert leftover.read_bytes() == b"half"


def test_sign_many_wrong_passphrase(
    identity_home: Path, batch: tuple[list[SignRequest], Path]
) -> None:
    with pytest.raises(KeyProblem):
        sign_many(batch[0][:2], home=identity_home, passphrase=b"wrong", jobs=1)


def test_sign_many_duplicate_output(
    identity_home: Path, batch: tuple[list[SignRequest], Path]
) -> None:
    requests, _out = batch
    twice = [requests[0], SignRequest(source=requests[1].source, output=requests[0].output)]
    summary = sign_many(twice, home=identity_home, passphrase=PASSPHRASE.encode(), jobs=1)
    assert [o.status for o in summary.outcomes] == [EventKind.DONE, EventKind.FAILED]


@pytest.fixture()
def signed_folder(identity_home: Path, batch: tuple[list[SignRequest], Path]) -> Path:
    requests, out = batch
    sign_many(requests[:4], home=identity_home, passphrase=PASSPHRASE.encode(), jobs=2)
    return out


def test_verify_many_crash_is_isolated(
    signed_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRASH_HOOK_ENV, "p1")
    files = sorted(signed_folder.glob("*.jpg"))
    events: list[BatchEvent] = []
    reports = verify_many(files, OPTIONS, jobs=2, timeout_s=30, on_event=events.append)
    verdicts = {f.name: r.verdict for f, r in zip(files, reports, strict=True)}
    assert verdicts == {
        "p0.jpg": Verdict.VALID_UNTRUSTED,
        "p1.jpg": Verdict.UNREADABLE,
        "p2.jpg": Verdict.VALID_UNTRUSTED,
        "p3.jpg": Verdict.VALID_UNTRUSTED,
    }
    crashed = reports[1]
    assert crashed.problems[0].code == "provenance.workerFailed"
    assert "stopped unexpectedly" in crashed.problems[0].explanation
    assert [e.path.name for e in events if e.kind is EventKind.FAILED] == ["p1.jpg"]


def test_verify_many_timeout_is_isolated(
    signed_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HANG_HOOK_ENV, "p2")
    files = sorted(signed_folder.glob("*.jpg"))
    reports = verify_many(files, OPTIONS, jobs=2, timeout_s=2)
    assert [r.verdict for r in reports] == [
        Verdict.VALID_UNTRUSTED,
        Verdict.VALID_UNTRUSTED,
        Verdict.UNREADABLE,
        Verdict.VALID_UNTRUSTED,
    ]
    assert "time limit of 2 s" in reports[2].problems[0].explanation


def test_verify_many_size_limit_and_memory_limit(signed_folder: Path) -> None:
    from dataclasses import replace

    files = sorted(signed_folder.glob("*.jpg"))
    small = files[0].stat().st_size - 1
    reports = verify_many(
        files[:2], replace(OPTIONS, max_bytes=small), jobs=1, memory_limit_bytes=None
    )
    too_large = [r for r in reports if r.problems and r.problems[0].code == "provenance.tooLarge"]
    assert too_large, "a file over the size limit is refused before any worker reads it"
    # A tiny address-space limit makes the worker fail; that file alone is unreadable.
    starved = verify_many(files[:1], OPTIONS, jobs=1, memory_limit_bytes=16 * 1024**2)
    assert starved[0].verdict is Verdict.UNREADABLE


def test_collect_images(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "x.jpg").write_bytes(b"x")
    (tmp_path / "a" / "b" / "y.PNG").write_bytes(b"x")
    (tmp_path / "a" / "notes.txt").write_text("x")
    (tmp_path / "a" / ".x.jpg.1234.partial").write_bytes(b"x")
    found = collect_images([tmp_path / "a", tmp_path / "a" / "x.jpg"])
    assert [p.name for p in found] == ["x.jpg", "y.PNG"]
