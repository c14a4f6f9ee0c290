"""A long coverage-guided run of ``fuzz/atheris_fuzz.py``: workers on one corpus, counted to the end.

    python fuzz/run_atheris_long.py verify --executions 1000000 --workers 2 \\
        --hours 2 --out /tmp/fuzz-verify [--seed 1]

libFuzzer stops a process at its first finding (a crash, a foreign exception, an
input over ``-rss_limit_mb``).  A long run should record the finding and go on, so
each worker here is a loop: run ``atheris_fuzz.py`` on the shared corpus until the
executions still wanted or the time is used up, and when it stops at a finding,
keep the saved input (``crash-*``, ``oom-*``, ``timeout-*`` in ``OUT/artifacts``)
and start again with the next seed.  Executions are summed from each process's own
count (its final ``stat::number_of_executed_units``, or its last ``#N`` status line
when it stopped at a finding, which undercounts by at most one status interval).

The summary (printed and written to ``OUT/summary.json``) has what docs/security.md
quotes: executions in all and per process, covered edges and features at the end,
corpus size, findings by kind, wall time.  Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATUS = re.compile(r"^#(\d+)\s+\S+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)")
FINAL = re.compile(r"^stat::number_of_executed_units: (\d+)")
#: libFuzzer's line naming the input it saved (this process's own finding).
WRITTEN = re.compile(r"Test unit written to (\S+)")


@dataclass(slots=True)
class Process:
    """One libFuzzer process of a worker: how far it got and how it ended."""

    worker: int
    seed: int
    executions: int = 0
    seconds: float = 0.0
    returncode: int | None = None
    finding: str | None = None


@dataclass(slots=True)
class Run:
    """The whole run, shared by the worker threads (under ``lock``)."""

    target: str
    wanted: int
    deadline: float
    processes: list[Process] = field(default_factory=list)
    coverage: tuple[int, int, int] = (0, 0, 0)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def executed(self) -> int:
        with self.lock:
            return sum(p.executions for p in self.processes)


def _one_process(
    run: Run, proc: Process, corpus: Path, artifacts: Path, log: Path, budget: int
) -> None:
    """Run one atheris process to its end and fill in ``proc`` from its log."""
    seconds_left = max(1, int(run.deadline - time.monotonic()))
    command = [
        sys.executable, str(HERE / "atheris_fuzz.py"), run.target,
        f"-seed={proc.seed}", "-timeout=120", "-rss_limit_mb=1024", "-print_final_stats=1",
        f"-runs={budget}", f"-max_total_time={seconds_left}",
        f"-artifact_prefix={artifacts}/", str(corpus),
    ]  # fmt: skip
    started = time.monotonic()
    with log.open("w") as sink:
        proc.returncode = subprocess.run(
            command, stdout=sink, stderr=subprocess.STDOUT, check=False
        ).returncode
    proc.seconds = time.monotonic() - started
    last_status, final, new = 0, None, []
    for line in log.read_text(errors="replace").splitlines():
        if match := WRITTEN.search(line):
            new.append(Path(match[1]).name)
        elif match := STATUS.match(line):
            last_status = int(match[1])
            with run.lock:
                run.coverage = (int(match[2]), int(match[3]), int(match[4]))
        elif match := FINAL.match(line):
            final = int(match[1])
    proc.executions = final if final is not None else last_status
    proc.finding = ", ".join(new) or None
    _drop_from_corpus(corpus, {name.split("-", 1)[-1] for name in new})


def _drop_from_corpus(corpus: Path, digests: set[str]) -> None:
    """Take inputs that stopped a process out of the corpus, so the next one does not replay them.

    libFuzzer names a saved input by the SHA-1 of its bytes; the copy in ``artifacts``
    is kept.  (A finding that came from a mutation is not in the corpus: nothing to do.)
    """
    if not digests:
        return
    for unit in list(corpus.iterdir()):
        if hashlib.sha1(unit.read_bytes()).hexdigest() in digests:  # noqa: S324 - libFuzzer's name
            unit.unlink()


def _worker(
    run: Run, index: int, workers: int, first_seed: int, out: Path, corpus: Path, artifacts: Path
) -> None:
    """Keep one core fuzzing until it has its share of the executions or the time is up."""
    seed, share, done = first_seed, -(-run.wanted // workers), 0
    while time.monotonic() < run.deadline - 5 and done < share:
        proc = Process(worker=index, seed=seed)
        with run.lock:
            run.processes.append(proc)
        _one_process(run, proc, corpus, artifacts, out / f"log-{index}-{seed}.txt", share - done)
        done += proc.executions
        print(
            f"worker {index} seed {seed}: {proc.executions:,} executions in {proc.seconds:.0f} s"
            f" (rc {proc.returncode}{', ' + proc.finding if proc.finding else ''});"
            f" {run.executed():,} in all",
            file=sys.stderr,
            flush=True,
        )
        if proc.finding is None and proc.returncode == 0:
            return  # it stopped at its -runs or -max_total_time: the run's budget is spent
        seed += 1000


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the workers, print and write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=("verify", "parsers"))
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    corpus, artifacts = args.out / "corpus", args.out / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run = Run(args.target, args.executions, started + args.hours * 3600)
    # Seed the shared corpus once, before the workers start reading it.
    subprocess.run(
        [sys.executable, str(HERE / "atheris_fuzz.py"), args.target, "-runs=0", str(corpus)],
        check=True, capture_output=True,
    )  # fmt: skip
    threads = [
        threading.Thread(
            target=_worker, args=(run, i, args.workers, args.seed + i, args.out, corpus, artifacts)
        )
        for i in range(args.workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cov, ft, units = run.coverage
    summary = {
        "target": args.target,
        "executions": run.executed(),
        "wall_seconds": round(time.monotonic() - started),
        "covered_edges": cov,
        "features": ft,
        "corpus_units": units,
        "corpus_files": sum(1 for _ in corpus.iterdir()),
        "findings": sorted(p.name for p in artifacts.iterdir()),
        "processes": [asdict(p) for p in run.processes],
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "processes"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
