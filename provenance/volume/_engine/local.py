"""``--engine local``: the guarded process pool on this machine (the default).

Each of ``jobs`` worker processes verifies one file at a time (see
:mod:`provenance.volume.pool`): a crash, hang or memory blow-up costs that
file only, and a fresh worker takes its place.  Sources are pulled from the
enumeration only when a worker is free, so memory does not grow with the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from provenance.volume._engine.interface import Engine, Outcome, Task, VerifyJob


class LocalEngine(Engine):
    """Verify on ``jobs`` local worker processes (default: the cores this process may use)."""

    name: ClassVar[str] = "local"

    def __init__(self, *, jobs: int | None = None) -> None:
        self.jobs = jobs

    def run(self, tasks: Iterable[Task], job: VerifyJob) -> Iterator[Outcome]:
        """Verify every task's source; one outcome per task, in completion order."""
        from provenance.volume.pool import default_jobs, source_pool
        from provenance.volume.task import outcome_report

        sources: dict[int, str] = {}  # only the tasks in flight (at most ``jobs``)

        def items() -> Iterator[tuple[int, str]]:
            for task in tasks:
                sources[task.index] = task.source
                yield task.index, task.source

        pool = source_pool(
            job.options,
            jobs=self.jobs or default_jobs(),
            timeout_s=job.timeout_s,
            memory_limit=job.memory_limit_bytes,
        )
        with pool:
            for index, value, elapsed in pool.stream(items()):
                source = sources.pop(index)
                yield Outcome(index, source, outcome_report(source, value), elapsed)
