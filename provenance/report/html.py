"""``--format html``: one self-contained page per run, safe to open from anywhere.

The page is built with :func:`html.escape` on every value (no template engine,
so no new dependency and no way to forget an ``|e``): all text in a report is
attacker-controlled manifest data.  The page works offline and without
scripts: CSS is inline, pictures are ``data:`` URIs, and a strict
Content-Security-Policy (``default-src 'none'``) forbids scripts, frames, fonts
and every network request even if something slipped through.  URLs from the
file (a remote manifest address) are shown as text, never as links.

Pictures are re-encoded, never passed through: each thumbnail is decoded with
the bounded decoder (decompression bombs) and written again as a small JPEG,
so whatever bytes a stranger embedded never reach the browser.  The "where was
AI" picture is a second copy with the AI regions and each placed part drawn over it
(:mod:`provenance.report.overlay`), each part named by a label laid over its area.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from provenance import media
from provenance.models import (
    Action,
    ContentLabel,
    HistoryEntry,
    Report,
    Tone,
    Verdict,
)

# Re-exported (``as``): the browser and renderer tests draw with these names.
from provenance.report.overlay import KIND_COLOURS as KIND_COLOURS
from provenance.report.overlay import label_style, mark_picture
from provenance.report.overlay import overlay as overlay
from provenance.report.trustwords import (
    account_words,
    identity_summary,
    revocation_words,
    signal_words,
    vouched_by,
)
from provenance.sanitize import clean_text
from provenance.summary import history_signer_words, summary_of
from provenance.wording import (
    action_label,
    ai_kind,
    format_date,
    own_ai_words,
    percent,
    placed_check_words,
    tool_name,
)

if TYPE_CHECKING:
    from PIL import Image

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
#: Longest side of pictures embedded in the page: enough for a phone, small files.
PICTURE_SIDE = 640
HISTORY_PICTURE_SIDE = 240
_MAX_DEPTH = 8

#: Verdict → (words, explanation, css class, symbol).  Words first: the colour repeats them.
BANNERS = {
    Verdict.TRUSTED: ("Trusted", "Intact, and signed by an identity you trust.", "ok", "✔"),
    Verdict.VALID_UNTRUSTED: (
        "Intact, but the signer is not trusted",
        "The file is unchanged since signing, but the name on it is a claim, not an identity.",
        "warn",
        "!",
    ),
    Verdict.INVALID: (
        "Invalid",
        "Changed after signing, or the credential is broken. Nothing it says can be relied on.",
        "bad",
        "✖",
    ),
    Verdict.NO_CREDENTIALS: (
        "No Content Credentials",
        "This proves nothing either way: most apps and websites remove them.",
        "none",
        "?",
    ),
    Verdict.UNREADABLE: ("Unreadable", "This file could not be read.", "none", "?"),
}

#: Banner colour per summary tone (the worse of "what it is" and "who vouches").
TONE_CLASSES = {Tone.OK: "ok", Tone.NOTE: "none", Tone.WARN: "warn", Tone.BAD: "bad"}

_STYLE = """
:root{color-scheme:light;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--none:#57606a}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1f2328;background:#f6f8fa}
main{max-width:860px;margin:0 auto;padding:12px}
article{background:#fff;border:1px solid #d0d7de;border-radius:10px;margin:0 0 20px;
overflow:hidden}
.banner{display:flex;gap:12px;align-items:center;padding:14px 16px;color:#fff}
.banner .sym{font-size:28px;font-weight:700;width:40px;height:40px;border-radius:50%;
background:rgba(255,255,255,.25);display:flex;align-items:center;justify-content:center;
flex:none}
.banner .ai-sym{font-size:16px}
.banner h1{font-size:22px;margin:0;line-height:1.2}
.about-file{margin:2px 0 8px;color:#57606a;font-size:15px}
.banner p{margin:2px 0 0}
.ok{background:var(--ok)}.warn{background:var(--warn)}.bad{background:var(--bad)}
.none{background:var(--none)}
.body{padding:4px 16px 16px}
.file{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px;color:#57606a;
word-break:break-all}
h2{font-size:18px;margin:18px 0 6px;border-bottom:1px solid #d8dee4;padding-bottom:2px}
.pics{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;flex:1 1 260px;min-width:0}
figure img{width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px;display:block}
figcaption{font-size:13px;color:#57606a}
ul.statements{padding-left:20px;margin:0}
ul.statements li{margin:4px 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
dt{font-weight:600}dd{margin:0;word-break:break-word}
.tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:13px;color:#fff}
.problem{border-left:4px solid var(--bad);padding:4px 8px;margin:6px 0;background:#fff5f5}
.problem.note{border-color:var(--none);background:#f6f8fa}
.code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#57606a}
ul.tree{list-style:none;padding-left:18px;margin:4px 0;border-left:2px solid #d0d7de}
ul.tree>li{margin:6px 0}
ul.tree img{max-width:120px;height:auto;border-radius:4px;display:block;margin:4px 0}
.legend{font-size:13px}.swatch{display:inline-block;width:12px;height:12px;
vertical-align:middle;border:2px solid}
.ai{border-color:#d000d0}.undeclared{border-color:#ff2a00}
.kind-content{border-color:#d000d0;background:rgba(208,0,208,.45)}
.kind-detail{border-color:#0096dc;background:rgba(0,150,220,.45)}
.kind-tone{border-color:#e69600;background:rgba(230,150,0,.35)}
.marked{position:relative}
.place-label{position:absolute;margin:4px;padding:0 5px;border-radius:3px;max-width:45%;
overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:12px;font-weight:600;
color:#fff;line-height:1.5;border:1px solid rgba(255,255,255,.7)}
.part-0{border-color:#00a03c;background:rgba(0,160,60,.45)}
.part-1{border-color:#8c5014;background:rgba(140,80,20,.45)}
.part-2{border-color:#643cdc;background:rgba(100,60,220,.45)}
.part-3{border-color:#008c8c;background:rgba(0,140,140,.45)}
.part-4{border-color:#3c3c3c;background:rgba(60,60,60,.45)}
.place-label.part-0{background:#00a03c}.place-label.part-1{background:#8c5014}
.place-label.part-2{background:#643cdc}.place-label.part-3{background:#008c8c}
.place-label.part-4{background:#3c3c3c}
ol.actions{padding-left:22px;margin:0}
.placed-check.inconsistent{color:var(--bad);font-weight:600}
@media (max-width:480px){body{font-size:15px}.banner h1{font-size:19px}
dl{grid-template-columns:1fr}dt{margin-top:6px}}
"""


def _t(value: object, limit: int = 300) -> str:
    """Manifest text made inert: controls/bidi removed, bounded, HTML-escaped."""
    return escape(clean_text(value, max_length=limit) or "", quote=True)


def _data_uri(img: Image.Image) -> str:
    out = io.BytesIO()
    img.convert("RGB").save(out, "JPEG", quality=82)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _picture(data: bytes | None, side: int) -> Image.Image | None:
    if not data:
        return None
    return media.decode_thumbnail(data, max_side=side)


class HtmlRenderer:
    """``--format html``: a self-contained page (inline CSS, data: pictures, no scripts)."""

    def render(self, reports: Sequence[Report]) -> str:
        """The whole HTML document for these reports."""
        title = "Content Credentials report"
        if len(reports) == 1:
            title += " — " + _t(reports[0].file, 120)
        articles = "\n".join(self._article(r) for r in reports)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n"
            f"<body><main>\n{articles}\n</main></body></html>\n"
        )

    def article(self, report: Report) -> str:
        """One report's block without the page around it (``provenance serve`` embeds it)."""
        return self._article(report)

    def _article(self, report: Report) -> str:
        # The banner answers what the picture is and who vouches (provenance.summary); its
        # colour is the worse of the two, so an AI picture never gets a lone green tick.
        summary = summary_of(report)
        words, _meaning, _css, symbol = BANNERS[report.verdict]
        css = TONE_CLASSES[summary.tone]
        sym_css = "sym"
        if summary.content_label in (ContentLabel.AI_GENERATED, ContentLabel.AI_EDITED):
            symbol, sym_css = "AI", "sym ai-sym"
        parts = [
            f'<article><header class="banner {css}" role="status">'
            f'<span class="{sym_css}" aria-hidden="true">{symbol}</span>'
            f'<div><h1 class="what">{_t(summary.content_text, 200)}</h1>'
            f'<p class="who">{_t(summary.vouched_by_text, 200)}</p></div></header>',
            '<div class="body">',
            f'<p class="file">{_t(report.file, 300)} '
            f'<span class="tag {BANNERS[report.verdict][2]}">{escape(words)}</span></p>',
            f'<p class="about-file">{escape(summary.file_text)}</p>',
            self._pictures(report),
        ]
        if report.statements:
            items = "".join(f"<li>{_t(s, 600)}</li>" for s in report.statements)
            parts.append(f'<h2>What\'s real</h2><ul class="statements">{items}</ul>')
        parts.append(self._ai(report))
        edits = [a for a in report.actions if a.action not in ("c2pa.opened",)]
        if edits:
            items = "".join(f"<li>{self._action(a)}</li>" for a in edits)
            parts.append(f'<h2>What was done</h2><ol class="actions">{items}</ol>')
        if report.history:
            parts.append(f"<h2>History</h2>{self._tree(report.history, 0)}")
        parts.append(self._identities(report))
        parts.append(self._signer(report))
        parts.append(self._problems(report))
        parts.append("</div></article>")
        return "\n".join(p for p in parts if p)

    def _pictures(self, report: Report) -> str:
        img = _picture(report.thumbnail, PICTURE_SIDE)
        now = _picture(report.current_thumbnail, PICTURE_SIDE)
        if img is None and now is None:
            return ""
        figures = []
        if now is not None:
            # Broken credentials: the file's own pixels first, labelled, so the signed
            # thumbnail is never taken for the file the reader has.
            figures.append(
                f'<figure class="current"><img src="{_data_uri(now)}" alt="This file as it is '
                'now">'
                "<figcaption><strong>This file as it is now</strong> (its current pixels)."
                "</figcaption></figure>"
            )
        if img is None:
            return f'<div class="pics">{"".join(figures)}</div>'
        caption = (
            "<strong>The picture as it was signed</strong> (the thumbnail in the broken "
            "credential, not this file)."
            if now is not None
            else "The picture as signed (from the credential)."
        )
        figures.append(
            f'<figure><img src="{_data_uri(img)}" alt="The signed picture">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
        marked = mark_picture(img, report)
        if marked is not None:
            labels = "".join(
                f'<span class="place-label part-{p.colour}" style="{label_style(p.regions)}">'
                f"{_t(p.name, 60)}</span>"
                for p in marked.parts
            )
            legend = " &nbsp;".join(
                f'<span class="swatch {e.css}"></span> '
                + (f"<strong>{_t(e.name, 60)}</strong>: " if e.name else "")
                + escape(e.words)
                for e in marked.legend
            )
            figures.append(
                f'<figure><div class="marked"><img src="{_data_uri(marked.image)}" '
                f'class="overlay" alt="The picture with {marked.what}">{labels}</div>'
                f'<figcaption class="legend">{legend}</figcaption></figure>'
            )
        return f'<div class="pics">{"".join(figures)}</div>'

    def _ai(self, report: Report) -> str:
        ai = report.ai
        if not (ai.generated or ai.edited or ai.observed_area_fraction is not None):
            return ""
        rows = [("Made by AI", "yes, the whole picture" if ai.generated else "no")]
        rows.append(("Changed by AI", "yes" if ai.edited else "no"))
        area = "not known" if ai.area_fraction is None else f"{ai.area_fraction * 100:.1f}%"
        rows.append(("AI area (declared)", area))
        if ai.observed_area_fraction is not None:
            rows.append(("Change observed", f"{ai.observed_area_fraction * 100:.1f}%"))
            rows.append(
                (
                    "Consistent",
                    {True: "yes", False: "NO — change outside the declared areas", None: "—"}[
                        ai.consistent
                    ],
                )
            )
        if ai.tools:
            rows.append(("AI tools", ", ".join(tool_name(t) or "" for t in ai.tools)))
        for signal in ai.signals[:8]:
            rows.append(("AI signal", signal_words(signal)))
        body = "".join(f"<dt>{escape(k)}</dt><dd>{_t(v)}</dd>" for k, v in rows)
        return f"<h2>AI</h2><dl>{body}</dl>"

    def _identities(self, report: Report) -> str:
        """CAWG identity assertions, apart from the claim signer."""
        if not report.identities:
            return ""
        items = []
        for identity in report.identities:
            accounts = "".join(
                f"<li>{_t(account_words(a), 500)}</li>" for a in identity.accounts[:16]
            )
            items.append(
                f'<li class="identity"><strong>{_t(identity_summary(identity), 500)}</strong>'
                + (f"<ul>{accounts}</ul>" if accounts else "")
                + "</li>"
            )
        return f'<h2>Identity (CAWG)</h2><ul class="identities">{"".join(items)}</ul>'

    def _action(self, action: Action) -> str:
        label = _t(action_label(action), 120)
        text = f"<strong>{label}</strong>"
        if action.ai:
            tag = "AI enhancement" if ai_kind(action) == "AI enhancement" else "AI"
            text = f'<span class="tag bad">{tag}</span> {text}'
        if action.description:
            text += f": {_t(action.description, 500)}"
        tool = tool_name(action.software_agent)
        if tool:
            text += f" <span>(with {_t(tool, 120)})</span>"
        if action.extent is not None and action.extent.area_fraction is not None:
            text += (
                f" — {escape(percent(action.extent.area_fraction))} of the image, "
                f"{escape(action.extent.method.value)}"
            )
        return text

    def _tree(self, entries: tuple[HistoryEntry, ...], depth: int) -> str:
        items = []
        for entry in entries:
            words, _, css, _ = BANNERS[entry.verdict]
            parts = [
                f"<strong>{_t(entry.title) or 'untitled'}</strong> "
                f'<span class="code">{_t(entry.relationship, 40)}</span> '
                f'<span class="tag {css}">{escape(words)}</span>'
            ]
            thumb = _picture(entry.thumbnail, HISTORY_PICTURE_SIDE)
            if thumb is not None:
                alt = (
                    "A placed part" if entry.relationship == "componentOf" else "An earlier version"
                )
                parts.append(f'<img src="{_data_uri(thumb)}" alt="{alt}">')
            if entry.placed is not None and entry.placed.area_fraction is not None:
                what = _t(entry.component_label, 60) or "this part"
                parts.append(
                    f"<div>Placed as {what}: {escape(percent(entry.placed.area_fraction))} "
                    f"of the picture, {escape(entry.placed.method.value)}</div>"
                )
            own_ai = own_ai_words(entry)
            if own_ai:
                parts.append(f'<div><span class="tag bad">AI</span> {_t(own_ai, 200)}</div>')
            if entry.placed_check is not None:
                result = entry.placed_check.result.value.replace("_", "-")
                parts.append(
                    f'<div class="placed-check {result}">'
                    f"{_t(placed_check_words(entry.placed_check), 400)}</div>"
                )
            if entry.capture is not None and entry.capture.has_camera:
                camera = " ".join(p for p in (entry.capture.make, entry.capture.model) if p)
                parts.append(f"<div>Captured with {_t(camera) or 'a camera'}</div>")
            if entry.signer is not None:
                parts.append(f"<div>{_t(history_signer_words(entry.signer), 300)}</div>")
            for action in entry.actions:
                if action.action not in ("c2pa.created", "c2pa.opened"):
                    parts.append(f"<div>{self._action(action)}</div>")
            if entry.history and depth < _MAX_DEPTH:
                parts.append(self._tree(entry.history, depth + 1))
            items.append(f"<li>{''.join(parts)}</li>")
        return f'<ul class="tree">{"".join(items)}</ul>'

    def _signer(self, report: Report) -> str:
        rows: list[tuple[str, str]] = []
        signer = report.signer
        if signer is not None:
            rows.append(("Name", signer.name or "—"))
            rows.append(("Organisation", signer.organization or "—"))
            rows.append(
                ("Trusted", "yes" if signer.trusted else "no: the name is a claim, not an identity")
            )
            source = vouched_by(signer)
            if source:
                rows.append(("Vouched for by", source))
            rows.append(("Revocation", revocation_words(signer)))
            rows.append(("Signed", format_date(signer.signed_at) or "not known (no time-stamp)"))
            if signer.algorithm:
                rows.append(("Algorithm", signer.algorithm))
        if report.title:
            rows.append(("Title", report.title))
        if report.format:
            rows.append(("Format", report.format))
        if report.remote_url:
            # Text only: a link would let the file make the reader's browser call out.
            rows.append(("Remote credentials", f"{report.remote_url} (not contacted)"))
        if not rows:
            return ""
        body = "".join(f"<dt>{escape(k)}</dt><dd>{_t(v)}</dd>" for k, v in rows)
        return f"<h2>Signer and file</h2><dl>{body}</dl>"

    def _problems(self, report: Report) -> str:
        if not report.problems:
            return ""
        items = []
        for problem in report.problems:
            note = " note" if problem.severity == "informational" else ""
            items.append(
                f'<div class="problem{note}">{_t(problem.explanation, 400)} '
                f'<span class="code">({_t(problem.code, 120)})</span></div>'
            )
        return f"<h2>Problems and notes</h2>{''.join(items)}"


def stylesheet() -> str:
    """The report's CSS, for pages that embed :meth:`HtmlRenderer.article` (``provenance serve``)."""
    return _STYLE
