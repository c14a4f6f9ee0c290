"""Terminal rendering with rich: a verdict banner, the "what's real" statements, details.

Every string that came from a manifest is wrapped in :class:`rich.text.Text`
(never parsed as markup) after :mod:`provenance.sanitize` has removed control and
bidi characters, so ``[bold red]`` in a tool name prints literally and an ESC
sequence in a title cannot reach the terminal.  Without colour (NO_COLOR, not a
TTY) the output is plain text; layout follows the given width, with hanging
indents so wrapped lines stay readable.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from provenance.models import HistoryEntry, Problem, Report, Tone, Verdict
from provenance.report.trustwords import (
    account_words,
    identity_summary,
    revocation_words,
    signal_words,
    vouched_by,
)
from provenance.sanitize import clean_text
from provenance.summary import history_signer_words, summary_of
from provenance.wording import ai_kind, format_date, own_ai_words, percent, placed_check_words

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

#: Verdict → (banner words, what it means for a person, rich style).  The words
#: carry the meaning on their own: colour only repeats it.
BANNERS = {
    Verdict.TRUSTED: ("TRUSTED", "Intact, and signed by an identity you trust.", "bold green"),
    Verdict.VALID_UNTRUSTED: (
        "INTACT, SIGNER NOT TRUSTED",
        "Intact since signing, but the name on it is a claim, not an identity.",
        "bold yellow",
    ),
    Verdict.INVALID: (
        "INVALID",
        "Changed after signing, or the credential is broken.",
        "bold red",
    ),
    Verdict.NO_CREDENTIALS: (
        "NO CONTENT CREDENTIALS",
        "This proves nothing either way.",
        "bold blue",
    ),
    Verdict.UNREADABLE: ("UNREADABLE", "This file could not be read.", "bold magenta"),
}

_VERDICT_WORDS = {
    Verdict.TRUSTED: "trusted",
    Verdict.VALID_UNTRUSTED: "intact, signer not trusted",
    Verdict.INVALID: "broken",
    Verdict.NO_CREDENTIALS: "no credentials",
    Verdict.UNREADABLE: "unreadable",
}

_MAX_TREE_DEPTH = 8

#: The first line's style follows the summary's tone (the worse of content and trust).
TONE_STYLES = {
    Tone.OK: "bold green",
    Tone.NOTE: "bold blue",
    Tone.WARN: "bold yellow",
    Tone.BAD: "bold red",
}


def _clean(value: object, limit: int = 300) -> str:
    return clean_text(value, max_length=limit) or ""


class TextRenderer:
    """``--format text``: readable in a terminal, plain when piped."""

    def __init__(self, *, color: bool = False, width: int = 100, quiet: bool = False) -> None:
        self.color = color
        self.width = max(40, width)
        self.quiet = quiet

    def render(self, reports: Sequence[Report]) -> str:
        """The report text for all files."""
        from rich.console import Console

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width,
            force_terminal=self.color,
            no_color=not self.color,
            color_system="standard" if self.color else None,
            highlight=False,
            emoji=False,
            markup=False,
            soft_wrap=False,
        )
        for index, report in enumerate(reports):
            if index and not self.quiet:
                console.print()
            self._report(console, report)
        # Grid cells are padded to the column width; trailing spaces only get in the way
        # of anyone piping the output.
        return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))

    def _report(self, console: Console, report: Report) -> None:
        from rich.text import Text

        title, _meaning, style = BANNERS[report.verdict]
        name = _clean(report.file) or "?"
        line = Text()
        line.append(title, style=style)
        line.append(f"  {name}")
        if self.quiet:
            # One whole line per file, however long its path: scripts read these lines,
            # and a path cut to the terminal width names no file.
            console.print(line, overflow="ignore", no_wrap=True, crop=False)
            return
        # The first line answers what the picture is and who vouches; the verdict's
        # meaning follows, worded as being about the *file* (provenance.summary).
        summary = summary_of(report)
        first = Text(f"{summary.content_text} · {summary.vouched_by_text}")
        first.stylize(TONE_STYLES[summary.tone])
        console.print(first)
        file_line = Text(f"(verdict: {report.verdict.value}) ", style="dim" if self.color else "")
        file_line.append(name)
        console.print(file_line)
        console.print(Text(summary.file_text, style="italic" if self.color else ""))
        if report.statements:
            self._heading(console, "What's real")
            for statement in report.statements:
                self._bullet(console, _clean(statement, 600))
        if report.history:
            self._heading(console, "History")
            console.print(self._tree(report))
        details = self._details(report)
        if details:
            self._heading(console, "Details")
            self._pairs(console, details)
        problems = [p for p in report.problems if p.severity != "informational"]
        notes = [p for p in report.problems if p.severity == "informational"]
        if problems:
            self._heading(console, "Problems")
            for problem in problems:
                self._problem(console, problem)
        if notes:
            self._heading(console, "Notes")
            for problem in notes:
                self._problem(console, problem)

    def _heading(self, console: Console, words: str) -> None:
        from rich.text import Text

        console.print(Text(words, style="bold underline" if self.color else ""))

    def _bullet(self, console: Console, words: str, *, style: str = "") -> None:
        from rich.table import Table
        from rich.text import Text

        # A grid gives a hanging indent: wrapped lines line up under the text.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=3, justify="right", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(Text("•"), Text(words, style=style))
        console.print(grid)

    def _problem(self, console: Console, problem: Problem) -> None:
        from rich.table import Table
        from rich.text import Text

        body = Text(_clean(problem.explanation, 400))
        body.append(f" ({_clean(problem.code, 120)})", style="dim")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=3, justify="right", no_wrap=True)
        grid.add_column(overflow="fold")
        mark = "!" if problem.severity != "informational" else "i"
        grid.add_row(Text(mark, style="bold red" if mark == "!" else "dim"), body)
        console.print(grid)

    def _pairs(self, console: Console, pairs: list[tuple[str, str]]) -> None:
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold" if self.color else "")
        grid.add_column(overflow="fold")
        for key, value in pairs:
            grid.add_row(Text(f"   {key}"), Text(value))
        console.print(grid)

    def _details(self, report: Report) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if report.title:
            out.append(("Title", _clean(report.title)))
        if report.format:
            out.append(("Format", _clean(report.format, 60)))
        signer = report.signer
        if signer is not None:
            who = " — ".join(p for p in (_clean(signer.name), _clean(signer.organization)) if p)
            trust = "trusted" if signer.trusted else "not trusted (a claim)"
            out.append(("Signer", f"{who or 'unnamed'} [{trust}]"))
            source = vouched_by(signer)
            if source:
                out.append(("Vouched for by", source))
            out.append(("Revocation", revocation_words(signer)))
            if signer.algorithm:
                out.append(("Algorithm", _clean(signer.algorithm, 40)))
            out.append(("Signed", format_date(signer.signed_at) or "unknown (no time-stamp)"))
        ai = report.ai
        if ai.generated or ai.edited:
            if ai.area_fraction is None:
                area = "unknown"
            else:
                area = f"{ai.area_fraction * 100:.1f}%"
            out.append(("AI area (declared)", area))
            if ai.observed_area_fraction is not None:
                verdict = {True: "consistent", False: "NOT consistent", None: "not compared"}[
                    ai.consistent
                ]
                out.append(
                    ("AI area (observed)", f"{ai.observed_area_fraction * 100:.1f}% — {verdict}")
                )
            if ai.tools:
                out.append(("AI tools", ", ".join(_clean(t, 120) for t in ai.tools)))
        for signal in ai.signals[:8]:
            out.append(("AI signal", signal_words(signal)))
        for identity in report.identities:
            out.append(("Identity (CAWG)", identity_summary(identity)))
            for account in identity.accounts[:8]:
                out.append(("  verified", account_words(account)))
        if report.remote_url:
            out.append(("Remote credentials", f"{_clean(report.remote_url)} (not contacted)"))
        if report.all_actions_included is not None:
            out.append(
                (
                    "Actions listed",
                    "all of them (the signer says the list is complete)"
                    if report.all_actions_included
                    else "not declared complete: there may be others",
                )
            )
        if report.sidecar:
            where = "found beside the file" if report.sidecar_found else "given with --sidecar"
            out.append(("Credentials file", f"{_clean(report.sidecar)} ({where})"))
        return out

    def _tree(self, report: Report) -> Tree:
        from rich.text import Text
        from rich.tree import Tree

        root = Tree(Text(_clean(report.title or report.file) or "this file"), guide_style="dim")

        def add(parent: Tree, entries: tuple[HistoryEntry, ...], depth: int) -> None:
            for entry in entries:
                label = Text()
                label.append(_clean(entry.title) or "untitled")
                label.append(f"  ({_clean(entry.relationship, 40)}, ")
                label.append(
                    _VERDICT_WORDS[entry.verdict], style=BANNERS[entry.verdict][2].split()[-1]
                )
                label.append(")")
                if entry.placed is not None and entry.placed.area_fraction is not None:
                    what = _clean(entry.component_label, 60) or "this part"
                    label.append(
                        f"  placed as {what}: {percent(entry.placed.area_fraction)} of the picture"
                    )
                node = parent.add(label)
                own_ai = own_ai_words(entry)
                if own_ai:
                    node.add(Text(own_ai))
                if entry.placed_check is not None:
                    node.add(Text(placed_check_words(entry.placed_check)))
                if entry.capture is not None and entry.capture.has_camera:
                    camera = " ".join(
                        p for p in (_clean(entry.capture.make), _clean(entry.capture.model)) if p
                    )
                    node.add(Text(f"captured with {camera or 'a camera'}"))
                if entry.signer is not None:
                    node.add(Text(history_signer_words(entry.signer)))
                for action in entry.actions:
                    if action.action in ("c2pa.created", "c2pa.opened"):
                        continue
                    words = _clean(action.description or action.action, 120)
                    node.add(Text(f"{ai_kind(action) or 'edit'}: {words}"))
                if depth < _MAX_TREE_DEPTH:
                    add(node, entry.history, depth + 1)
                elif entry.history:
                    node.add(Text("… (older history not shown)"))

        add(root, report.history, 0)
        return root
