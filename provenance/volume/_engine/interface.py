"""The engine seam: one small interface that every way of running ``check`` implements.

An engine takes a stream of tasks (an index and a source: a path or a URL) and
gives back, for each, the verification report, in whatever order the files
finish.  That is all it does: policy, verification and the reports never learn
which engine ran them, so ``--engine local`` and ``--engine dask`` write the
same rows.  The contract every implementation keeps:

* every task yields **exactly one** outcome, also when the file crashed the
  verifier, overran the time limit or lost its worker (then the report is
  ``unreadable`` with the reason);
* a native crash or hang costs one file, never a worker pool or the run: each
  file is verified by :func:`provenance.volume.task.verify_source` inside the
  guarded process pool of :mod:`provenance.volume.batch`;
* tasks are pulled from the iterator only as capacity frees up (back-pressure),
  so neither the client nor a scheduler ever holds more than a bounded window.

Implementations live beside this module, one per engine (``local``, ``dask``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from provenance.models import Report
    from provenance.verify import VerifyOptions


@dataclass(frozen=True, slots=True)
class VerifyJob:
    """What every task of one run needs, identical on every engine."""

    options: VerifyOptions
    #: Seconds allowed to verify (and fetch) one file; None for no limit.
    timeout_s: float | None
    #: Address-space limit of each verifying process (POSIX), None for none.
    memory_limit_bytes: int | None


@dataclass(frozen=True, slots=True)
class Task:
    """One input: its position in the enumeration and the path or URL."""

    index: int
    source: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The report for one task, and the seconds spent on it."""

    index: int
    source: str
    report: Report
    elapsed: float


class Engine(ABC):
    """Runs verification of many sources with per-file isolation (see the module docstring)."""

    #: The ``--engine`` name.
    name: ClassVar[str]

    @abstractmethod
    def run(self, tasks: Iterable[Task], job: VerifyJob) -> Iterator[Outcome]:
        """Verify every task's source; one outcome per task, in completion order."""

    def close(self) -> None:  # noqa: B027 - optional hook; the local engine has nothing to free
        """Release what the engine holds (a cluster, a connection)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
