"""Renderers: Report → str.  They never touch c2pa and never print.

Each ``--format`` choice maps to one renderer class; :func:`renderer_for` picks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from provenance.models import Report


class Renderer(Protocol):
    """Turns one or more reports into a document (a string)."""

    def render(self, reports: Sequence[Report]) -> str:
        """The whole document for these reports."""
        ...


FORMATS = ("text", "json", "html")


def renderer_for(
    fmt: str, *, color: bool = False, width: int = 100, quiet: bool = False
) -> Renderer:
    """The renderer for a ``--format`` value."""
    if fmt == "json":
        from provenance.report.json_report import JsonRenderer

        return JsonRenderer()
    if fmt == "html":
        from provenance.report.html import HtmlRenderer

        return HtmlRenderer()
    if fmt == "text":
        from provenance.report.text import TextRenderer

        return TextRenderer(color=color, width=width, quiet=quiet)
    raise ValueError(f"unknown format {fmt!r}")
