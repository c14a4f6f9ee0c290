"""What the page shows for a set of verified files, built from the library's renderers.

Each file's block is the HTML report's own article
(:meth:`provenance.report.html.HtmlRenderer.article`: first-line summary,
what's real, the AI overlay, history, problems), so the page and
``verify --format html`` cannot drift apart.  Around it this module adds what
only the page has: the table of all files (with the verdict filter and the
CSV/JSON downloads) and the comparison with the parent ingredient.

Downloads are ``data:`` links made here, so the results never have to be kept
on the server for a later request.  CSV cells are made inert
(:func:`provenance.sanitize.csv_cell`); the JSON is the API's.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from provenance.models import HistoryEntry, Report, Verdict
from provenance.report.html import BANNERS, HtmlRenderer
from provenance.report.json_report import report_to_dict
from provenance.volume.policy import REPORT_COLUMNS, report_cells
from provenance.wording import percent

if TYPE_CHECKING:
    from provenance.report.overlay import LegendEntry
    from provenance.volume.policy import PolicyResult

#: Longest side of the pictures in the comparison.
COMPARE_SIDE = 640
VERDICT_ORDER = (
    Verdict.TRUSTED,
    Verdict.VALID_UNTRUSTED,
    Verdict.INVALID,
    Verdict.NO_CREDENTIALS,
    Verdict.UNREADABLE,
)
CSV_COLUMNS = ("file", "verdict", *REPORT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Compare:
    """Two pictures of the same size for the comparison: the parent and this file, marked."""

    before: str
    after: str
    after_marked: str | None
    before_title: str
    #: What the marks in ``after_marked`` mean: the same legend as the report's picture.
    legend: tuple[LegendEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table and the block below it."""

    anchor: str
    name: str
    verdict: str
    verdict_words: str
    css: str
    signer: str
    ai_share: str
    ai_fraction: float | None
    problems: int
    article: str
    compare: Compare | None
    policy: PolicyResult | None = None
    #: The report's first line (what the picture is), when the report has one.
    summary: str = ""


def ai_share(report: Report) -> str:
    """How much of the picture AI made or changed, in words for the table."""
    ai = report.ai
    if report.verdict is Verdict.INVALID:
        # Broken credentials: whatever they declare cannot be relied on (DESIGN.md, verdicts).
        return "not reliable (broken credentials)"
    if ai.generated:
        return "made by AI (whole picture)"
    if ai.edited:
        if ai.area_fraction is None:
            return "changed by AI (extent not known)"
        return f"{percent(ai.area_fraction)} changed by AI"
    if report.verdict in (Verdict.NO_CREDENTIALS, Verdict.UNREADABLE):
        return "not known"
    return "no AI declared"


def first_line(report: Report) -> str:
    """The report's first-line summary ("what the picture is"), sanitised; "" when it has none.

    Read by name so the page follows the report model as it grows (DESIGN.md, wave 2
    ``summary.content_text``) without depending on a field that may not be there.
    """
    from provenance.sanitize import clean_text

    summary = getattr(report, "summary", None)
    text = getattr(summary, "content_text", None) if summary is not None else None
    return clean_text(text, max_length=300) or ""


def _signer(report: Report) -> str:
    signer = report.signer
    if signer is None:
        return ""
    name = signer.organization or signer.name or ""
    return name if signer.trusted else (f"{name} (not verified)" if name else "")


def _data_uri(img: Any) -> str:
    out = io.BytesIO()
    img.convert("RGB").save(out, "JPEG", quality=82)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _parent(report: Report) -> HistoryEntry | None:
    for entry in report.history:
        if entry.relationship == "parentOf" and entry.thumbnail:
            return entry
    return None


def compare_pictures(report: Report) -> Compare | None:
    """The parent's picture and this file's, at the same size, with the AI areas marked.

    Both come from thumbnails inside the credentials, decoded with the bounded
    decoder and re-encoded (nothing a stranger embedded reaches the browser).
    None when the file has no parent ingredient with a picture.
    """
    from provenance import media
    from provenance.report.overlay import mark_picture

    parent = _parent(report)
    if parent is None or not report.thumbnail:
        return None
    after = media.decode_thumbnail(report.thumbnail, max_side=COMPARE_SIDE)
    before = media.decode_thumbnail(parent.thumbnail or b"", max_side=COMPARE_SIDE)
    if after is None or before is None:
        return None
    if before.size != after.size:
        before = before.convert("RGB").resize(after.size)
    # Marked as the report's own picture is (kinds, placed parts by name, undeclared change).
    marked = mark_picture(after, report)
    from provenance.sanitize import clean_text

    return Compare(
        before=_data_uri(before),
        after=_data_uri(after),
        after_marked=_data_uri(marked.image) if marked is not None else None,
        before_title=clean_text(parent.title, max_length=120) or "the earlier version",
        legend=marked.legend if marked is not None else (),
    )


def rows(reports: Sequence[Report], results: Sequence[PolicyResult] | None = None) -> list[Row]:
    """The table rows and blocks for these reports (and their policy results), in order."""
    renderer = HtmlRenderer()
    out = []
    for index, report in enumerate(reports):
        words, _, css, _ = BANNERS[report.verdict]
        out.append(
            Row(
                anchor=f"file-{index + 1}",
                name=report.file,
                verdict=report.verdict.value,
                verdict_words=words,
                css=css,
                signer=_signer(report),
                ai_share=ai_share(report),
                ai_fraction=report.ai.area_fraction,
                problems=len(report.problems),
                article=renderer.article(report),
                compare=compare_pictures(report),
                policy=results[index] if results is not None else None,
                summary=first_line(report),
            )
        )
    return out


def counts(reports: Sequence[Report]) -> list[tuple[str, str, int]]:
    """(verdict, words, number of files) for the filter, in the verdicts' order."""
    return [
        (v.value, BANNERS[v][0], sum(1 for r in reports if r.verdict is v)) for v in VERDICT_ORDER
    ]


def csv_text(reports: Sequence[Report], results: Sequence[PolicyResult] | None = None) -> str:
    """The results as CSV (one row per file; ``pass``/``reasons`` with a policy)."""
    from provenance.sanitize import csv_cell

    out = io.StringIO()
    writer = csv.writer(out)
    header = list(CSV_COLUMNS)
    if results is not None:
        header[2:2] = ["pass", "reasons"]
    writer.writerow(header)
    for index, report in enumerate(reports):
        row: list[str | float | int] = [
            csv_cell(report.file),
            report.verdict.value,
            *report_cells(report),
        ]
        if results is not None:
            result = results[index]
            row[2:2] = ["true" if result.passed else "false", csv_cell("; ".join(result.reasons))]
        writer.writerow(row)
    return out.getvalue()


def reports_json(reports: Sequence[Report], results: Sequence[PolicyResult] | None = None) -> str:
    """The results as the API returns them: a list of ``verify --format json`` objects."""
    data = []
    for index, report in enumerate(reports):
        entry = report_to_dict(report)
        if results is not None:
            entry["policy"] = {
                "passed": results[index].passed,
                "reasons": list(results[index].reasons),
            }
        data.append(entry)
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def data_link(text: str, media_type: str) -> str:
    """A ``data:`` URI carrying ``text`` (for a download link)."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"data:{media_type};charset=utf-8;base64,{encoded}"
