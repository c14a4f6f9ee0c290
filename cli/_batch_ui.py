"""Terminal side of batch work: a progress bar while it runs, a summary table at the end.

The library reports progress as :class:`~provenance.volume.batch.BatchEvent` values;
this module turns them into a rich progress bar on stderr, and only when
stderr is a terminal (logs and CI get the final summary lines alone).  Every
file name and reason shown goes through the sanitiser inside a ``Text``, so a
hostile name or manifest string can neither drive the terminal nor inject
rich markup.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from provenance_cli._common import terminal_width, use_color

if TYPE_CHECKING:
    from rich.console import Console

    from provenance.outputs import OutputPlan
    from provenance.sign.request import SignRequest
    from provenance.verify import VerifyOptions
    from provenance.volume.batch import BatchEvent
    from provenance.volume.policy import Policy

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


def run_check(
    paths: Sequence[Path],
    policy: Policy,
    options: VerifyOptions,
    *,
    jobs: int | None,
    timeout_s: float | None,
    csv_plan: OutputPlan | None,
    json_plan: OutputPlan | None,
) -> int:
    """Verify every image under ``paths``, apply the policy, report; 0 all pass, 20 otherwise."""
    from rich.table import Table

    from provenance.errors import InputError
    from provenance.outputs import refuse_inputs, write_output
    from provenance.report.json_report import report_to_dict
    from provenance.volume.batch import collect_images, verify_many
    from provenance.volume.policy import CSV_COLUMNS, csv_row, evaluate

    files = collect_images(paths)
    if not files:
        raise InputError("No images were found to check.", hint="Give image files or folders.")
    for plan in (csv_plan, json_plan):
        if plan is not None:  # a report may not replace a file it reports on
            refuse_inputs(plan, files)
    with _progress("checking", len(files)) as on_event:
        reports = verify_many(files, options, jobs=jobs, timeout_s=timeout_s, on_event=on_event)
    results = [evaluate(policy, report) for report in reports]

    if csv_plan is not None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for path, report, result in zip(files, reports, results, strict=True):
            writer.writerow(csv_row(path, report, result))
        write_output(csv_plan, buffer.getvalue().encode("utf-8"))
    if json_plan is not None:
        data = []
        for report, result in zip(reports, results, strict=True):
            entry = report_to_dict(report)
            entry["policy"] = {"passed": result.passed, "reasons": list(result.reasons)}
            data.append(entry)
        text = json.dumps(data, indent=2, ensure_ascii=True) + "\n"
        write_output(json_plan, text.encode("utf-8"))

    out = _stdout_console()
    table = Table(title="Policy check", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("verdict")
    table.add_column("result")
    table.add_column("reasons", overflow="fold")
    for path, report, result in zip(files, reports, results, strict=True):
        table.add_row(
            _text(path),  # type: ignore[arg-type]
            report.verdict.value,
            "pass" if result.passed else "FAIL",
            _text("; ".join(result.reasons)),  # type: ignore[arg-type]
        )
    out.print(table)
    failed = sum(1 for r in results if not r.passed)
    out.print(f"{len(files)} file(s): {len(files) - failed} pass, {failed} fail.")
    return EXIT_POLICY_FAILED if failed else 0
