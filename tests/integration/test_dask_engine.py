"""``check --engine dask`` against ``--engine local``: same rows, nothing lost when a worker dies.

The corpus is built once per module from a handful of signed tiny images
(64x48) copied under 500 names, so the run stays within seconds: good
(trusted), untrusted, tampered, AI over the policy's limit, unsigned, corrupt
(random bytes and a truncated signed file) and crashers (the pool's crash hook,
``os._exit`` in the verifying process, as in tests/integration/test_batch.py).
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

from fixtures.generate import write_mask, write_photo, write_random
from provenance.identity.keys import ephemeral_identity
from provenance.sign.orchestrator import sign_image
from provenance.sign.request import EditKind, EditSpec, SignRequest
from provenance.verify import VerifyOptions
from provenance.volume.batch import CRASH_HOOK_ENV
from provenance.volume.check import CheckRequest, run_check
from provenance.volume.policy import policy_from_dict

POLICY = policy_from_dict({"require": "trusted", "max_ai_area": 0.3})
KINDS = ("good", "untrusted", "tampered", "ai_over", "unsigned", "corrupt", "truncated")
CRASHERS = 4
TOTAL = 500


def _tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(len(data) - 120, len(data) - 60):
        data[offset] ^= 0x55
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, dev_identity: tuple[Any, bytes]) -> Path:
    """500 files: the kinds above in turn, and CRASHERS files the crash hook fells."""
    identity, root_pem = dev_identity
    stranger, _ = ephemeral_identity("Someone", "Unknown Agency")
    base = tmp_path_factory.mktemp("dask-corpus")
    raw = base / "raw"
    raw.mkdir()
    seeds = base / "seeds"
    seeds.mkdir()

    def photo(name: str, seed: int) -> Path:
        return write_photo(raw, name=name, width=64, height=48, seed=seed)

    sign_image(SignRequest(photo("g.jpg", 1), seeds / "good.jpg"), identity)
    sign_image(SignRequest(photo("u.jpg", 2), seeds / "untrusted.jpg"), stranger)
    sign_image(SignRequest(photo("t.jpg", 3), seeds / "tampered.jpg"), identity)
    _tamper(seeds / "tampered.jpg")
    mask = write_mask(raw, (64, 48), (0.0, 0.0, 0.8, 0.75))
    sign_image(
        SignRequest(
            photo("a.jpg", 4),
            seeds / "ai_over.jpg",
            edits=(EditSpec(EditKind.AI_EDIT, "replaced the background", tool="Fill", mask=mask),),
        ),
        identity,
    )
    shutil.copy(photo("n.jpg", 5), seeds / "unsigned.jpg")
    write_random(seeds, "corrupt.jpg")
    signed = (seeds / "good.jpg").read_bytes()
    (seeds / "truncated.jpg").write_bytes(signed[: len(signed) // 2])

    folder = base / "submissions"
    for sub in ("a", "b", "c"):
        (folder / sub).mkdir(parents=True)
    for i in range(TOTAL - CRASHERS):
        kind = KINDS[i % len(KINDS)]
        shutil.copy(seeds / f"{kind}.jpg", folder / "abc"[i % 3] / f"{kind}-{i:03d}.jpg")
    for i in range(CRASHERS):
        shutil.copy(seeds / "good.jpg", folder / "b" / f"crasher-{i}.jpg")
    (base / "root.pem").write_bytes(root_pem)
    return base


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on loopback, and the AWS variables that point s3fs at it."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    pytest.importorskip("s3fs", reason="s3fs is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            patch.setenv(name, value)
        yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def dask_engine(s3_endpoint: str) -> Iterator[Any]:
    """One LocalCluster of two workers for the module; its workers inherit the crash hook
    and the S3 endpoint from the environment they start in."""
    from provenance.volume._engine.dask import DaskEngine

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CRASH_HOOK_ENV, "crasher-")
        engine = DaskEngine(workers=2, chunk_size=8)
        engine.client  # noqa: B018 - start the cluster now, inside this environment
    yield engine
    engine.close()


def _request(corpus: Path, engine: str, csv_path: Path, **extra: Any) -> CheckRequest:
    options = VerifyOptions(trust_files=(corpus / "root.pem",), use_trust_store=False)
    return CheckRequest(
        paths=(str(corpus / "submissions"),),
        policy=POLICY,
        options=options,
        engine=engine,
        timeout_s=120,  # generous: a loaded CI machine; crashers fail at once anyway
        csv_path=csv_path,
        **extra,
    )


def _rows(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[1:]


@pytest.mark.slow
def test_local_and_dask_write_identical_rows(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dask_engine: Any
) -> None:
    monkeypatch.setenv(CRASH_HOOK_ENV, "crasher-")  # before the local pool starts
    local_csv, dask_csv = tmp_path / "local.csv", tmp_path / "dask.csv"
    local = run_check(_request(corpus, "local", local_csv, jobs=2))
    dask = run_check(_request(corpus, "dask", dask_csv), engine=dask_engine)
    assert local.total == dask.total == TOTAL
    local_rows, dask_rows = _rows(local_csv), _rows(dask_csv)
    assert len(local_rows) == TOTAL
    assert sorted(local_rows) == sorted(dask_rows)  # byte-identical, ordering aside
    assert (local.passed, local.failed) == (dask.passed, dask.failed)
    assert local.rows == dask.rows  # the same final table

    by_kind: dict[str, Counter[str]] = {}
    with open(local_csv, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind = Path(row["file"]).name.rsplit("-", 1)[0]
            by_kind.setdefault(kind, Counter())[f"{row['verdict']}/{row['pass']}"] += 1
    assert set(by_kind["good"]) == {"trusted/true"}
    assert set(by_kind["untrusted"]) == {"valid_untrusted/false"}
    assert set(by_kind["tampered"]) == {"invalid/false"}
    assert set(by_kind["ai_over"]) == {"trusted/false"}
    assert set(by_kind["unsigned"]) == {"no_credentials/false"}
    assert set(by_kind["corrupt"]) == {"unreadable/false"}
    assert set(by_kind["truncated"]) <= {"invalid/false", "unreadable/false"}
    assert by_kind["crasher"] == Counter({"unreadable/false": CRASHERS})
    with open(dask_csv, newline="", encoding="utf-8") as handle:
        crashed = [r for r in csv.DictReader(handle) if "crasher-" in r["file"]]
    assert all("stopped unexpectedly" in r["reasons"] for r in crashed)


@pytest.mark.slow
def test_killing_a_dask_worker_loses_no_file(
    corpus: Path, tmp_path: Path, dask_engine: Any
) -> None:
    from dataclasses import replace

    from provenance.volume.check import CheckProgress

    killed: list[int] = []

    def on_progress(state: CheckProgress) -> None:
        if not killed and state.checked >= 24:
            pid = sorted(dask_engine.worker_pids().values())[0]
            os.kill(pid, signal.SIGKILL)  # mid-run: that worker's chunks are in flight
            killed.append(pid)

    csv_path = tmp_path / "killed.csv"
    folder = corpus / "submissions" / "b"
    request = replace(_request(corpus, "dask", csv_path), paths=(str(folder),))
    summary = run_check(request, engine=dask_engine, on_progress=on_progress)
    assert killed, "the run ended before a worker could be killed"
    with open(csv_path, newline="", encoding="utf-8") as handle:
        files = [row["file"] for row in csv.DictReader(handle)]
    expected = {str(p) for p in folder.glob("*.jpg")}
    assert len(files) == len(expected) == summary.total  # every input exactly once
    assert set(files) == expected


@pytest.mark.slow
def test_object_storage_prefix_and_manifest(
    corpus: Path, tmp_path: Path, s3_endpoint: str, dask_engine: Any
) -> None:
    """s3://bucket/prefix/ is listed page by page and each object fetched by the worker."""
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_endpoint})
    fs.mkdir("intake")
    seeds = corpus / "seeds"
    for kind in KINDS:
        fs.pipe(f"intake/day1/{kind}.jpg", (seeds / f"{kind}.jpg").read_bytes())
    fs.pipe("intake/day1/.hidden.jpg", b"x")
    fs.pipe("intake/day1/notes.txt", b"x")
    local_csv, dask_csv = tmp_path / "local.csv", tmp_path / "dask.csv"
    base = _request(corpus, "local", local_csv)
    from dataclasses import replace

    local = run_check(replace(base, paths=("s3://intake/day1/",), jobs=2))
    dask = run_check(
        replace(base, paths=("s3://intake/day1/",), csv_path=dask_csv, engine="dask"),
        engine=dask_engine,
    )
    assert local.total == dask.total == len(KINDS)
    assert sorted(_rows(local_csv)) == sorted(_rows(dask_csv))
    with open(local_csv, newline="", encoding="utf-8") as handle:
        rows = {r["file"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {f"s3://intake/day1/{kind}.jpg" for kind in KINDS}
    assert rows["s3://intake/day1/good.jpg"]["verdict"] == "trusted"
    assert rows["s3://intake/day1/tampered.jpg"]["verdict"] == "invalid"

    # A manifest (CSV with a path column) mixing an object, a missing object and a local file.
    manifest = tmp_path / "inputs.csv"
    local_file = corpus / "seeds" / "good.jpg"
    manifest.write_text(
        f"id,path\n1,s3://intake/day1/unsigned.jpg\n2,s3://intake/day1/gone.jpg\n3,{local_file}\n",
        encoding="utf-8",
    )
    listed_csv = tmp_path / "listed.csv"
    summary = run_check(replace(base, paths=(), inputs=manifest, csv_path=listed_csv))
    assert summary.total == 3
    with open(listed_csv, newline="", encoding="utf-8") as handle:
        listed = {r["file"]: r for r in csv.DictReader(handle)}
    assert listed["s3://intake/day1/unsigned.jpg"]["verdict"] == "no_credentials"
    assert listed["s3://intake/day1/gone.jpg"]["verdict"] == "unreadable"
    assert "does not exist" in listed["s3://intake/day1/gone.jpg"]["reasons"]
    assert listed[str(local_file)]["verdict"] == "trusted"


def test_resume_appends_only_what_is_missing(corpus: Path, tmp_path: Path) -> None:
    """An interrupted CSV (a torn last line) is completed: every input exactly once."""
    from dataclasses import replace

    folder = corpus / "submissions" / "c"
    csv_path = tmp_path / "run.csv"
    request = replace(_request(corpus, "local", csv_path, jobs=2), paths=(str(folder),))
    first = run_check(request)
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = lines[:21]  # the header and 20 rows, then half a row: an interrupted run
    csv_path.write_text("".join(kept) + lines[21][:15], encoding="utf-8")
    again = run_check(replace(request, resume=True))
    assert again.resumed_passed + again.resumed_failed == 20
    assert again.checked == first.total - 20
    assert again.total == first.total
    assert (again.total_failed, again.total - again.total_failed) == (first.failed, first.passed)
    assert sorted(_rows(csv_path)) == sorted(line.rstrip("\r\n") for line in lines[1:])
