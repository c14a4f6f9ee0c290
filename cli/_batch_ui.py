"""Terminal side of batch work: a progress bar while it runs, a summary table at the end.

The library reports progress as :class:`~provenance.volume.batch.BatchEvent` values;
this module turns them into a rich progress bar on stderr, and only when
stderr is a terminal (logs and CI get the final summary lines alone).  Every
file name and reason shown goes through the sanitiser inside a ``Text``, so a
hostile name or manifest string can neither drive the terminal nor inject
rich markup.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from provenance_cli._common import terminal_width, use_color

if TYPE_CHECKING:
    from rich.console import Console

    from provenance.sign.request import SignRequest
    from provenance.volume.batch import BatchEvent
    from provenance.volume.check import CheckProgress, CheckRequest

EXIT_POLICY_FAILED = 20
EXIT_SIGN_FAILED = 1


def _stdout_console() -> Console:
    from rich.console import Console

    return Console(
        file=sys.stdout,
        no_color=not use_color(),
        width=terminal_width(),
        highlight=False,
        emoji=False,
        markup=False,
    )


def _text(value: object) -> object:
    from rich.text import Text

    from provenance.sanitize import clean_text, safe_filename_display

    if isinstance(value, Path):
        return Text(safe_filename_display(str(value)))
    return Text(clean_text(value, max_length=400) or "")


def middle_ellipsis(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with "…" where something was left out.

    Folders go first ("subs/…/DSC_0042.jpg"); a file name too long on its own keeps
    its start (where the distinguishing number usually is) and its end (the
    extension): "…/DSC_0042-final-de…sion.jpg".  Two files never read the same
    because their common tail was all that was left.
    """
    if len(text) <= width:
        return text
    width = max(width, 8)
    folder, _, name = text.rpartition("/")
    if folder and len(name) + 3 <= width:
        return text[: width - len(name) - 2] + "…/" + name
    prefix = "…/" if folder else ""
    room = width - len(prefix) - 1
    end = min(len(name) // 2, max(4, room // 3))
    return prefix + name[: room - end] + "…" + name[-end:]


@contextmanager
def _progress(description: str, total: int) -> Iterator[Callable[[BatchEvent], None]]:
    """An event handler that drives a progress bar on stderr, or does nothing when piped."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from provenance.volume.batch import EventKind

    console = Console(stderr=True, highlight=False, markup=False)
    if not console.is_terminal or total == 0:
        yield lambda _event: None
        return
    failed = 0
    progress = Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task(description, total=total, failed=0, rate="")

    def handle(event: BatchEvent) -> None:
        nonlocal failed
        if event.kind is EventKind.STARTED:
            return
        if event.kind is EventKind.FAILED:
            failed += 1
        progress.advance(task)
        elapsed = progress.tasks[0].elapsed or 0.0
        done = progress.tasks[0].completed
        rate = f"{done / elapsed:.1f} files/s" if elapsed > 0 else ""
        progress.update(task, failed=failed, rate=rate)

    with progress:
        yield handle


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(
        stderr=True,
        no_color=not use_color(),
        width=terminal_width(),
        highlight=False,
        emoji=False,
        markup=False,
    )


def run_sign_batch(
    waves: Sequence[Sequence[SignRequest]], home: Path, passphrase: bytes, jobs: int | None
) -> int:
    """Sign many files, wave after wave, with progress and ONE summary; 1 when any failed.

    A file whose parent is the output of a file that failed (or was itself
    skipped for that reason) is not signed: it is reported as skipped, with the
    parent named, since signing it would record a missing history.  Tables and
    summaries go to stderr; stdout stays for reports.
    """
    from rich.table import Table

    from provenance.sign.recorded import summary_line
    from provenance.volume.batch import EventKind, FileOutcome, sign_many

    total = sum(len(w) for w in waves)
    outcomes: list[FileOutcome] = []
    blocked: list[FileOutcome] = []
    lost: dict[Path, str] = {}  # outputs that were not produced -> why
    elapsed = 0.0
    with _progress("signing", total) as on_event:
        for wave in waves:
            runnable = []
            for request in wave:
                missing = request.parent is not None and request.parent.resolve() in lost
                if missing:
                    assert request.parent is not None
                    why = f"not signed: its parent {request.parent.name} was not signed"
                    blocked.append(
                        FileOutcome(request.source, request.output, EventKind.SKIPPED, why)
                    )
                    lost[request.output.resolve()] = why
                else:
                    runnable.append(request)
            if not runnable:
                continue
            summary = sign_many(
                runnable, home=home, passphrase=passphrase, jobs=jobs, on_event=on_event
            )
            elapsed += summary.elapsed
            for outcome in summary.outcomes:
                outcomes.append(outcome)
                if outcome.status is EventKind.FAILED:
                    lost[outcome.output.resolve()] = outcome.message or "failed"
    out = _stderr_console()
    failed = [o for o in outcomes if o.status is EventKind.FAILED]
    if failed or blocked:
        table = Table(title="Files that were not signed", title_justify="left")
        table.add_column("file", overflow="fold")
        table.add_column("reason", overflow="fold")
        for outcome in [*failed, *blocked]:
            table.add_row(_text(outcome.source), _text(outcome.message))  # type: ignore[arg-type]
        out.print(table)
    done = sum(1 for o in outcomes if o.status is EventKind.DONE)
    already = sum(1 for o in outcomes if o.status is EventKind.SKIPPED)
    totals = Table(title="Summary", title_justify="left")
    for column in ("files", "signed", "already done", "failed", "skipped", "time", "files/s"):
        totals.add_column(column, justify="right")
    totals.add_row(
        str(total),
        str(done),
        str(already),
        str(len(failed)),
        str(len(blocked)),
        f"{elapsed:.1f} s",
        f"{done / elapsed:.2f}" if elapsed > 0 else "-",
    )
    out.print(totals)
    trainings = {r.training.value if r.training else None for w in waves for r in w}
    training = next(iter(trainings)) if len(trainings) == 1 else None
    typer.echo(summary_line(done, (o.recorded for o in outcomes), training), err=True)
    if failed or blocked:
        typer.echo(
            f"error: {len(failed)} of {total} file(s) could not be signed"
            + (
                f", {len(blocked)} skipped because their parent was not signed." if blocked else "."
            ),
            err=True,
        )
        return EXIT_SIGN_FAILED
    return 0


@contextmanager
def _check_progress(engine: str) -> Iterator[Callable[[CheckProgress], None]]:
    """A progress bar for ``check`` on stderr (TTY only); the total appears once enumerated."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True, highlight=False, markup=False)
    if not console.is_terminal:
        yield lambda _progress: None
        return
    progress = Progress(
        TextColumn(f"checking ({engine})"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("checking", total=None, failed=0, rate="")

    def handle(state: CheckProgress) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        rate = f"{state.checked / elapsed:.1f} files/s" if elapsed > 0 else ""
        progress.update(
            task,
            completed=state.checked,
            total=state.found if state.found_all else None,
            failed=state.failed,
            rate=rate,
        )

    with progress:
        yield handle


def run_check(request: CheckRequest) -> int:
    """Check every input against the policy, with progress and a summary; 0 all pass, 20 otherwise."""
    from rich.table import Table

    from provenance.volume.check import run_check as check_all

    with _check_progress(request.engine) as on_progress:
        summary = check_all(request, on_progress=on_progress)

    from rich.text import Text

    from provenance.sanitize import safe_filename_display

    out = _stdout_console()
    if summary.rows:
        title = "Policy check" if summary.rows_complete else "Files that fail the policy"
        # Readable at 80 columns: one line per file name (the middle of a long path is
        # elided, never the file name itself), reasons wrap at word boundaries.
        budget = max(16, int(terminal_width() * 0.34))
        table = Table(title=title, title_justify="left")
        table.add_column("file", no_wrap=True, max_width=budget)
        table.add_column("verdict", no_wrap=True)
        table.add_column("result", no_wrap=True)
        table.add_column("reasons", overflow="fold", ratio=1)
        for row in summary.rows:
            table.add_row(
                Text(middle_ellipsis(safe_filename_display(str(row.source)), budget)),
                row.verdict.value.replace("_", " "),
                Text("pass", style="bold green") if row.passed else Text("FAIL", style="bold red"),
                _text("; ".join(row.reasons)),  # type: ignore[arg-type]
            )
        out.print(table)
        if not summary.rows_complete and summary.failed > len(summary.rows):
            out.print(
                f"(the first {len(summary.rows)} of {summary.failed} failing files; "
                "every file is in the --csv/--jsonl output)"
            )
    failed = summary.total_failed
    line = f"{summary.total} file(s): {summary.total - failed} pass, {failed} fail."
    resumed = summary.resumed_passed + summary.resumed_failed
    if resumed:
        line += f" ({resumed} already in the results file, {summary.checked} checked now.)"
    out.print(line)
    return EXIT_POLICY_FAILED if failed else 0
