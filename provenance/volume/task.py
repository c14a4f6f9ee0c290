"""One source, verified: the unit of work every engine runs inside the guarded pool.

Both engines call exactly this code for each file (the local pool in this
process's workers, Dask in its workers' pools), so their reports are the same
byte for byte.  A source is a local path or a URL; a URL's object is copied into
the worker's scratch folder (bounded by the size limit), verified like any
file, and removed, and the report names the URL, not the copy.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.models import Problem, Report, Verdict
from provenance.sanitize import safe_filename_display

if TYPE_CHECKING:
    from provenance.verify.verifier import VerifyOptions

WORKER_FAILED = "provenance.workerFailed"


def unreadable_report(source: str, code: str, explanation: str) -> Report:
    """An ``unreadable`` report for a file we could not verify, with the reason."""
    from provenance.summary import with_summary
    from provenance.verify.statements import build_statements

    report = Report(
        file=safe_filename_display(source),
        verdict=Verdict.UNREADABLE,
        problems=(Problem(code=code, explanation=explanation),),
    )
    return with_summary(replace(report, statements=build_statements(report)))


def verify_source(source: str, options: VerifyOptions, scratch: str) -> Report:
    """Verify one path or URL; a URL's object is fetched into ``scratch`` first."""
    from provenance.verify.verifier import verify_file
    from provenance.volume.sources import fetch, is_url

    if not is_url(source):
        return verify_file(Path(source), options)
    local, code, explanation = fetch(source, scratch, options.max_bytes)
    if local is None:
        return unreadable_report(source, code or "provenance.io", explanation)
    try:
        report = verify_file(local, options)
    finally:
        try:
            os.unlink(local)
        except OSError:
            pass
    return replace(report, file=safe_filename_display(source))


class SourceWorker:
    """The state of one ``source`` worker: the options, and a scratch folder made on first URL.

    The folder is made only when an object is fetched, so verifying local files
    (``verify_many``, ``check`` on folders) leaves nothing behind, however many
    workers are started to replace crashed ones.
    """

    __slots__ = ("options", "scratch")

    def __init__(self, options: VerifyOptions) -> None:
        self.options = options
        self.scratch: str | None = None

    def folder(self) -> str:
        """The scratch folder for fetched objects (each fetched copy is removed after use)."""
        if self.scratch is None:
            import tempfile

            self.scratch = tempfile.mkdtemp(prefix="provenance-fetch-")
        return self.scratch


def source_init(args: tuple[VerifyOptions, dict[str, str]]) -> SourceWorker:
    """Worker start for the ``source`` kind: storage settings and options."""
    options, storage_env = args
    os.environ.update(storage_env)  # see provenance.volume.pool.source_pool
    return SourceWorker(options)


def source_run(state: SourceWorker, source: str) -> Report:
    """Worker step for the ``source`` kind: verify one path or URL."""
    from provenance.volume.sources import is_url

    scratch = state.folder() if is_url(source) else ""
    return verify_source(source, state.options, scratch)


def outcome_report(source: str, value: Any) -> Report:
    """A pool result as a report: a crash or time-out becomes ``unreadable`` with the reason."""
    from provenance.volume.pool import crash_message, is_crash

    if is_crash(value):
        return unreadable_report(
            source, WORKER_FAILED, f"Verification stopped: {crash_message(value)}."
        )
    assert isinstance(value, Report)
    return value


def lost_report(source: str, attempts: int) -> Report:
    """The report for a file whose engine worker was lost on every attempt."""
    return unreadable_report(
        source,
        WORKER_FAILED,
        f"Verification stopped: the worker running this file was lost {attempts} times.",
    )
