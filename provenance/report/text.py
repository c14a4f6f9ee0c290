"""Terminal rendering with rich: a verdict banner, the "what's real" statements, details.

Every string that came from a manifest is wrapped in :class:`rich.text.Text`
(never parsed as markup) after :mod:`provenance.sanitize` has removed control and
bidi characters.  Without colour (NO_COLOR, not a TTY) the output is plain text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from provenance.models import Report, Verdict
from provenance.sanitize import clean_text

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


class TextRenderer:
    """``--format text``: readable in a terminal, plain when piped."""

    def __init__(self, *, color: bool = False, width: int = 100, quiet: bool = False) -> None:
        self.color = color
        self.width = width
        self.quiet = quiet

    def render(self, reports: Sequence[Report]) -> str:
        """The report text for all files."""
        from rich.console import Console
        from rich.text import Text

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
        )
        for index, report in enumerate(reports):
            if index:
                console.print()
            title, meaning, style = BANNERS[report.verdict]
            name = clean_text(report.file, max_length=200) or "?"
            line = Text()
            line.append(f"{title}", style=style)
            line.append(f"  {name}")
            console.print(line)
            if self.quiet:
                continue
            console.print(Text(f"  {meaning}"))
            for statement in report.statements:
                console.print(Text(f"  • {clean_text(statement, max_length=600)}"))
            if report.problems:
                console.print(Text("  Problems:", style="bold"))
                for problem in report.problems:
                    console.print(
                        Text(
                            f"    - {clean_text(problem.explanation, max_length=400)} [{problem.code}]"
                        )
                    )
        return buffer.getvalue()
