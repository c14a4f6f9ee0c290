"""Results written as they arrive: CSV rows and JSON entries, flushed, resumable.

A run over a million files must not hold a million reports until the end, and
an interrupted run must not lose what it finished.  Each sink writes one entry
per checked file the moment the engine hands it over and flushes every
``FLUSH_EVERY`` entries (and at the end), so after a crash or Ctrl-C the file
holds every finished row but maybe the last few, plus at most one torn line.

``--resume`` reads an existing results file back: a torn last line is cut off,
every complete entry's file is remembered (in a :class:`DigestSet`, 16 bytes per
entry) together with whether it passed, and the run appends only what is
missing.  CSV files are matched on the ``file`` cell (written through the same
sanitiser, so the key is compared in the form it was written); JSON Lines on
the ``file`` field.
"""

from __future__ import annotations

import csv
import errno
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from provenance.errors import InputError, OperationError, OutputExistsError
from provenance.models import Report
from provenance.volume.policy import CSV_COLUMNS, PolicyResult, csv_row
from provenance.volume.seen import DigestSet

if TYPE_CHECKING:
    from provenance.outputs import OutputPlan

FLUSH_EVERY = 64


class Sink(Protocol):
    """Where checked files go, one at a time."""

    def write(self, source: str, report: Report, result: PolicyResult) -> None:
        """Record one checked file."""
        ...

    def close(self) -> None:
        """Flush and close (also after an interruption)."""
        ...


def csv_key(source: str) -> str:
    """The ``file`` cell a source is written as (the resume key of a CSV results file)."""
    from provenance.sanitize import csv_cell

    return csv_cell(source)


def json_key(source: str) -> str:
    """The ``file`` field a source is written as (the resume key of JSON results)."""
    from provenance.sanitize import safe_filename_display

    return safe_filename_display(source)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def open_stream(plan: OutputPlan, *, append: bool) -> IO[str]:
    """Open a results file for streaming, keeping the rules of :mod:`provenance.outputs`.

    Never through a symbolic link (``O_NOFOLLOW``), never onto a file other than
    the one the plan checked, and an existing file only when the plan allows it:
    ``append`` (``--resume``) adds to it; otherwise (``--force``) the entry itself
    is removed first and a new file is created with ``O_EXCL``, so a link's target
    or another program's file is never written.
    """
    path = plan.path
    nofollow = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        if append and plan.replaces is not None:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | nofollow)
            if _identity(os.fstat(fd)) != plan.replaces:
                os.close(fd)
                raise OutputExistsError(
                    f"{path} was replaced by another program before this run could resume it.",
                    hint="Run again once the other program has finished.",
                )
        else:
            if plan.replaces is not None:
                if _identity(os.lstat(path)) != plan.replaces:
                    raise OutputExistsError(
                        f"{path} was replaced by another program while this run started; "
                        "it was left as it is.",
                        hint="Run again once the other program has finished.",
                    )
                os.unlink(path)  # the entry (a link itself, never its target)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                f"{path} is a symbolic link; results are never written through a link.",
                hint="Give the real file, or another name.",
            ) from exc
        raise OperationError(
            f"Could not write {path}: {exc.strerror or exc}.",
            hint="Check free space and permissions of the output folder.",
        ) from exc
    return os.fdopen(fd, "w", newline="", encoding="utf-8")


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line without its newline: the entry an interrupted run was writing."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        back = min(size, 1 << 20)
        handle.seek(size - back)
        tail = handle.read(back)
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        handle.truncate(size - back + cut + 1 if cut >= 0 else size - back)


class CsvSink:
    """``check --csv``: the header once, then one row per file as it completes."""

    def __init__(self, plan: OutputPlan, *, resume: bool = False) -> None:
        self._handle = open_stream(plan, append=resume)
        self._writer = csv.writer(self._handle)
        if os.fstat(self._handle.fileno()).st_size == 0:
            self._writer.writerow(CSV_COLUMNS)
        self._count = 0

    def write(self, source: str, report: Report, result: PolicyResult) -> None:
        """One CSV row (see :func:`provenance.volume.policy.csv_row`)."""
        self._writer.writerow(csv_row(source, report, result))
        self._count += 1
        if self._count % FLUSH_EVERY == 0:
            self._handle.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()


def json_entry(report: Report, result: PolicyResult) -> dict[str, Any]:
    """One ``check --json`` entry: the full report plus ``policy: {passed, reasons}``."""
    from provenance.report.json_report import report_to_dict

    entry = report_to_dict(report)
    entry["policy"] = {"passed": result.passed, "reasons": list(result.reasons)}
    return entry


class JsonLinesSink:
    """``check --jsonl``: one JSON object per line, written as each file completes."""

    def __init__(self, plan: OutputPlan, *, resume: bool = False) -> None:
        self._handle = open_stream(plan, append=resume)
        self._count = 0

    def write(self, source: str, report: Report, result: PolicyResult) -> None:
        """One line of compact JSON."""
        line = json.dumps(json_entry(report, result), ensure_ascii=True, separators=(",", ":"))
        self._handle.write(line + "\n")
        self._count += 1
        if self._count % FLUSH_EVERY == 0:
            self._handle.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()


class JsonArraySink:
    """``check --json``: a JSON list, spooled entry by entry and written whole at the end.

    A list is only valid once closed, so it is not streamed into place: entries
    go to an anonymous spool file (memory stays flat), and :func:`close` writes
    the list through :func:`provenance.outputs.write_output` (checked, atomic).
    """

    def __init__(self, plan: OutputPlan) -> None:
        import tempfile

        self._plan = plan
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._count = 0

    def write(self, source: str, report: Report, result: PolicyResult) -> None:
        """One list element, indented like the rest of the JSON reports."""
        text = json.dumps(json_entry(report, result), indent=2, ensure_ascii=True)
        self._spool.write(("," if self._count else "") + "\n" + text)
        self._count += 1

    def close(self) -> None:
        """Write the whole list into place, then drop the spool."""
        from provenance.outputs import write_output

        spool = self._spool

        def produce(stream: IO[bytes]) -> None:
            stream.write(b"[")
            spool.seek(0)
            while chunk := spool.read(1 << 20):
                stream.write(chunk.encode("utf-8"))
            stream.write(b"\n]\n" if self._count else b"]\n")

        try:
            write_output(self._plan, produce)
        finally:
            spool.close()


@dataclass(slots=True)
class Finished:
    """What an earlier run already wrote: the files (as keys), and how many passed."""

    keys: DigestSet
    passed: int = 0
    failed: int = 0
    key_kind: str = "csv"

    def __len__(self) -> int:
        return self.passed + self.failed

    def has(self, source: str) -> bool:
        """True when ``source`` already has an entry."""
        key = csv_key(source) if self.key_kind == "csv" else json_key(source)
        return key in self.keys


def read_finished(path: Path) -> Finished:
    """The entries of an earlier results file (CSV or JSON Lines), read a line at a time."""
    kind = "jsonl" if path.suffix.lower() in {".jsonl", ".ndjson"} else "csv"
    done = Finished(DigestSet(), key_kind=kind)
    if not os.path.lexists(path):
        return done
    if os.path.islink(path):
        raise InputError(
            f"{path} is a symbolic link; results are never written through a link.",
            hint="Give the real file, or another name.",
        )
    _cut_torn_tail(path)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            if kind == "csv":
                reader = csv.reader(handle)
                header = next(reader, None)
                if header is None:
                    return done
                if tuple(header) != CSV_COLUMNS:
                    raise InputError(
                        f"{path} is not a results file of 'provenance check --csv' "
                        "(its header differs), so it cannot be resumed.",
                        hint="Give the CSV file an earlier check wrote, or another file name.",
                    )
                at_file, at_pass = CSV_COLUMNS.index("file"), CSV_COLUMNS.index("pass")
                for row in reader:
                    if len(row) == len(CSV_COLUMNS) and done.keys.add(row[at_file]):
                        _count(done, row[at_pass] == "true")
            else:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        entry = json.loads(line)
                        key, passed = entry["file"], entry["policy"]["passed"]
                    except (ValueError, KeyError, TypeError) as exc:
                        raise InputError(
                            f"Line {number} of {path} is not a check result, so it cannot "
                            "be resumed."
                        ) from exc
                    if done.keys.add(str(key)):
                        _count(done, passed is True)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text, so it cannot be resumed.") from exc
    except csv.Error as exc:
        raise InputError(f"{path} is not valid CSV ({exc}), so it cannot be resumed.") from exc
    return done


def _count(done: Finished, passed: bool) -> None:
    if passed:
        done.passed += 1
    else:
        done.failed += 1
