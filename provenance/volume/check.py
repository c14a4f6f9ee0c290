"""``check`` at volume: stream sources through an engine, apply the policy, write as they finish.

This is the one library call behind ``provenance check``.  It does not know
which engine runs the verification (the seam is :mod:`provenance.volume._engine`):
it enumerates the sources lazily, drops duplicates and files an earlier run
already finished (``--resume``), hands the rest to the engine, evaluates the
policy on each report as it comes back, and writes the CSV / JSON entry at once.
Nothing grows with the number of files except a 16-byte digest per input (for
duplicates and resume) and the counters; the table shown at the end is bounded.
"""

from __future__ import annotations

import heapq
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.errors import InputError
from provenance.models import Verdict
from provenance.volume._engine.interface import Engine, Task, VerifyJob
from provenance.volume.policy import Policy, evaluate
from provenance.volume.pool import DEFAULT_VERIFY_MEMORY_BYTES, DEFAULT_VERIFY_TIMEOUT_S
from provenance.volume.results import Finished, Sink
from provenance.volume.seen import DigestSet
from provenance.volume.sources import is_url

if TYPE_CHECKING:
    from provenance.outputs import OutputPlan
    from provenance.verify.verifier import VerifyOptions

#: Files listed one by one in the final table; beyond this only failures are listed, up to this.
TABLE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """One row of the final table: the file, its verdict and the policy's decision."""

    index: int
    source: str
    verdict: Verdict
    passed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckProgress:
    """Progress after each file: checked and failed so far, inputs found so far."""

    checked: int
    failed: int
    found: int
    #: True once the enumeration has ended (``found`` is then the total).
    found_all: bool
    #: Entries an earlier run had already written (``--resume``).
    resumed: int


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """What a ``check`` run did; ``rows`` is the bounded table for the terminal."""

    checked: int
    passed: int
    failed: int
    resumed_passed: int
    resumed_failed: int
    duplicates: int
    elapsed: float
    engine: str
    rows: tuple[CheckedFile, ...]
    #: True when ``rows`` has every file checked in this run (otherwise only failures).
    rows_complete: bool

    @property
    def total(self) -> int:
        """Every file with a result: checked now plus already in the results file."""
        return self.checked + self.resumed_passed + self.resumed_failed

    @property
    def total_failed(self) -> int:
        """Files that fail the policy, this run and the resumed ones."""
        return self.failed + self.resumed_failed

    @property
    def files_per_second(self) -> float:
        """Files checked in this run per second of wall clock."""
        return self.checked / self.elapsed if self.elapsed > 0 else 0.0


def _identity(source: str) -> str:
    return source if is_url(source) else os.path.abspath(source)


class _Rows:
    """The final table, bounded: every row while few, else the first failures by input order."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.all: list[tuple[int, CheckedFile]] = []
        self.failures: list[tuple[int, CheckedFile]] = []  # max-heap on index, by negation
        self.complete = True

    def add(self, row: CheckedFile) -> None:
        if self.complete:
            self.all.append((row.index, row))
            if len(self.all) > self.limit:
                self.complete = False
                for _, kept in self.all:
                    self._failure(kept)
                self.all = []
            return
        self._failure(row)

    def _failure(self, row: CheckedFile) -> None:
        if row.passed:
            return
        heapq.heappush(self.failures, (-row.index, row))
        if len(self.failures) > self.limit:
            heapq.heappop(self.failures)

    def rows(self) -> tuple[CheckedFile, ...]:
        if self.complete:
            return tuple(row for _, row in sorted(self.all, key=lambda item: item[0]))
        return tuple(row for _, row in sorted(self.failures, key=lambda item: -item[0]))


def check_sources(
    sources: Iterable[str],
    policy: Policy,
    job: VerifyJob,
    engine: Engine,
    *,
    sinks: Sequence[Sink] = (),
    finished: Finished | None = None,
    on_progress: Callable[[CheckProgress], None] | None = None,
    table_limit: int = TABLE_LIMIT,
) -> CheckSummary:
    """Check every source against ``policy`` on ``engine``, writing each result to ``sinks``.

    ``finished`` (from :func:`provenance.volume.results.read_finished`) names the
    files an interrupted run already wrote; they are skipped and counted in the
    summary.  A source listed twice is checked once.
    """
    started = time.monotonic()
    seen = DigestSet()
    found = 0
    duplicates = 0
    found_all = False

    def tasks() -> Iterator[Task]:
        nonlocal found, duplicates, found_all
        for source in sources:
            if not seen.add(_identity(source)):
                duplicates += 1
                continue
            if finished is not None and finished.has(source):
                continue
            yield Task(found, source)
            found += 1
        found_all = True

    resumed = len(finished) if finished is not None else 0
    checked = passed = failed = 0
    table = _Rows(table_limit)
    for outcome in engine.run(tasks(), job):
        result = evaluate(policy, outcome.report)
        for sink in sinks:
            sink.write(outcome.source, outcome.report, result)
        checked += 1
        if result.passed:
            passed += 1
        else:
            failed += 1
        table.add(
            CheckedFile(
                outcome.index, outcome.source, outcome.report.verdict, result.passed, result.reasons
            )
        )
        if on_progress is not None:
            on_progress(CheckProgress(checked, failed, found, found_all, resumed))
    return CheckSummary(
        checked=checked,
        passed=passed,
        failed=failed,
        resumed_passed=finished.passed if finished is not None else 0,
        resumed_failed=finished.failed if finished is not None else 0,
        duplicates=duplicates,
        elapsed=time.monotonic() - started,
        engine=engine.name,
        rows=table.rows(),
        rows_complete=table.complete,
    )


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """Everything ``provenance check`` was asked to do (the CLI fills it, nothing else)."""

    paths: tuple[str, ...]
    policy: Policy
    options: VerifyOptions
    inputs: Path | None = None
    engine: str = "local"
    jobs: int | None = None
    scheduler: str | None = None
    workers: int | None = None
    timeout_s: float | None = DEFAULT_VERIFY_TIMEOUT_S
    memory_limit_bytes: int | None = DEFAULT_VERIFY_MEMORY_BYTES
    #: Results files: a path (checked here, before any work) or a plan the caller checked.
    csv_path: Path | OutputPlan | None = None
    json_path: Path | OutputPlan | None = None
    jsonl_path: Path | OutputPlan | None = None
    resume: bool = False


def _plan(value: Path | OutputPlan | None, what: str, resume: bool) -> OutputPlan | None:
    """A results path checked like every output (an existing file only to resume it)."""
    if value is None or not isinstance(value, Path):
        return value
    from provenance.outputs import plan_output

    if resume and not os.path.lexists(value):
        resume = False
    return plan_output(value, force=resume, what=what)


def _refuse_inputs(request: CheckRequest, plans: Iterable[OutputPlan | None]) -> None:
    """A results file that already exists may not be one of the inputs (it would be replaced).

    Only outputs that exist can be an input, so only then are the inputs walked once
    more beforehand (lazily, a ``stat`` per local file) to compare identities.
    """
    from provenance.volume.sources import iter_sources

    existing = {plan.replaces: plan.path for plan in plans if plan and plan.replaces}
    if not existing:
        return
    for source in iter_sources(request.paths, request.inputs):
        if is_url(source):
            continue
        try:
            st = os.stat(source)
        except OSError:
            continue
        output = existing.get((st.st_dev, st.st_ino))
        if output is not None:
            raise InputError(
                f"The results file {output} is the input file {source}: it would be overwritten.",
                hint="Choose another output name: inputs are never modified.",
            )


def run_check(
    request: CheckRequest,
    *,
    on_progress: Callable[[CheckProgress], None] | None = None,
    engine: Engine | None = None,
) -> CheckSummary:
    """Enumerate, verify on the chosen engine, apply the policy, write results as they finish.

    With ``resume``, the CSV (or else the JSON Lines) results file is read back
    first and only missing files are checked and appended.  ``engine`` overrides
    the one named in the request; the caller then owns it (and closes it).
    Raises :class:`InputError` when there is nothing to check.
    """
    from provenance.volume._engine import make_engine
    from provenance.volume.results import CsvSink, JsonArraySink, JsonLinesSink, read_finished
    from provenance.volume.sources import iter_sources

    csv_plan = _plan(request.csv_path, "CSV file", request.resume)
    jsonl_plan = _plan(request.jsonl_path, "JSON Lines file", request.resume)
    json_plan = _plan(request.json_path, "JSON file", False)
    finished = None
    if request.resume:
        resume_from = csv_plan or jsonl_plan
        if resume_from is None or json_plan is not None:
            raise InputError(
                "--resume appends to the --csv or --jsonl results file; a --json list "
                "cannot be appended to.",
                hint="Use --csv FILE and/or --jsonl FILE with --resume.",
            )
        finished = read_finished(resume_from.path)
    _refuse_inputs(request, (csv_plan, jsonl_plan, json_plan))
    sources = iter_sources(request.paths, request.inputs)
    first = next(sources, None)
    if first is None and not finished:
        raise InputError("No images were found to check.", hint="Give image files or folders.")
    job = VerifyJob(request.options, request.timeout_s, request.memory_limit_bytes)
    owned = engine is None
    if engine is None:
        engine = make_engine(
            request.engine, jobs=request.jobs, scheduler=request.scheduler, workers=request.workers
        )
    sinks: list[Sink] = []
    try:
        if csv_plan is not None:
            sinks.append(CsvSink(csv_plan, resume=request.resume))
        if jsonl_plan is not None:
            sinks.append(JsonLinesSink(jsonl_plan, resume=request.resume))
        if json_plan is not None:
            sinks.append(JsonArraySink(json_plan))
        everything = itertools.chain(() if first is None else (first,), sources)
        return check_sources(
            everything,
            request.policy,
            job,
            engine,
            sinks=sinks,
            finished=finished,
            on_progress=on_progress,
        )
    finally:
        for sink in sinks:
            sink.close()
        if owned:
            engine.close()
