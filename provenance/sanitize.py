"""Make attacker-controlled manifest text inert before anyone displays it.

Every string inside a C2PA manifest (title, claim generator, tool names,
ingredient titles, the CN/O of the signing certificate, even status codes
copied from an ingredient) is chosen by whoever made the file.  Printed as-is
it can drive the reader's terminal (ESC/CSI/OSC sequences, including the
single-byte C1 CSI ``0x9b``), reorder what they see (bidi overrides), hide
text (zero-width characters), or become a spreadsheet formula when exported
to CSV.  See DESIGN.md, "Hostile text".

What this module does, and deliberately does not do:

* It removes everything a terminal interprets: escape sequences are dropped
  whole (not just their ESC byte), then every remaining control or format
  character (Unicode categories ``Cc``/``Cf``, plus lone surrogates) goes.
  The regular expressions only make the output tidier; safety rests on the
  per-character filter, so an unterminated or exotic sequence still cannot
  get through.
* It does **not** escape HTML or rich markup.  ``<script>`` and ``[bold]``
  come out literally: the HTML renderer escapes, and the rich renderer wraps
  text in ``Text`` objects so markup is never parsed.  Escaping here would
  double-escape there.
* CSV cells additionally get formula-injection neutralisation (OWASP "CSV
  Injection"): a cell that starts with ``=``, ``+``, ``-``, ``@``, TAB or CR
  is prefixed with a single quote.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

__all__ = [
    "certificate_name",
    "clean_multiline",
    "clean_text",
    "csv_cell",
    "safe_filename_display",
]

ELLIPSIS = "…"

# Whole escape sequences, removed before the per-character filter so their
# parameters ("31m", "0;title") do not linger as visible junk.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]?                     # CSI (7-bit): ESC [ params final
    | \x9b [0-?]* [ -/]* [@-~]?                       # CSI (8-bit C1)
    | (?: \x1b[\]PX^_] | [\x90\x98\x9d\x9e\x9f] )     # OSC, DCS, SOS, PM, APC (7- or 8-bit) ...
      .*? (?: \x07 | \x1b\\ | \x9c | \Z )             # ... up to BEL / ST, or the end of the text
    | \x1b [ -/]* [0-~]?                              # any other ESC sequence (nF, Fp, Fe, Fs)
    """,
    re.VERBOSE | re.DOTALL,
)

# Invisible characters that are not in category Cf but render as nothing and
# are used to fake blank or look-alike names.  (Bidi controls, zero-width
# characters, U+180E and U+FEFF are all Cf and go with the category filter.)
_INVISIBLE_EXTRA = frozenset({"\u3164", "\uffa0"})  # Hangul fillers

_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

# Characters that end a line in some reader: treated as line breaks.
_LINE_BREAKS = frozenset(
    {"\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
)

_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_ANY_SPACE = re.compile(r"\s+")
_MANY_NEWLINES = re.compile(r"\n{3,}")

# Leading characters that make spreadsheet applications evaluate a cell
# (OWASP), plus their full-width look-alikes.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

_CSV_MAX_LENGTH = 1000
_PATH_MAX_LENGTH = 300
_PATH_PRECAP = 8192


def _to_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _filter_chars(text: str, *, keep_newlines: bool) -> str:
    """Drop control/format characters; map line and tab characters to separators."""
    if text.isascii() and text.isprintable():
        # Printable ASCII (U+0020..U+007E) holds no control, format, line or tab
        # character: nothing to drop or map, so skip the per-character walk.
        return text
    out: list[str] = []
    append = out.append
    for ch in text:
        if ch in _LINE_BREAKS:
            append("\n" if keep_newlines else " ")
        elif ch == "\t":
            append(" ")
        elif ch in _INVISIBLE_EXTRA or unicodedata.category(ch) in _REMOVED_CATEGORIES:
            continue
        else:
            append(ch)
    return "".join(out)


def _truncate(text: str, max_length: int) -> str:
    if len(text) <= max_length:
        return text
    return text[: max_length - 1].rstrip() + ELLIPSIS


def _check_bound(max_length: int) -> None:
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")


def _precap(text: str, max_length: int) -> tuple[str, bool]:
    """Bound the work on huge inputs; the caller re-adds the ellipsis if cut."""
    limit = max(max_length * 8, 4096)
    if len(text) > limit:
        return text[:limit], True
    return text, False


def clean_text(value: object, *, max_length: int = 200) -> str | None:
    """One line of inert text: no escape sequences, controls, bidi or zero-width characters.

    ``None`` stays ``None``; anything else goes through ``str()``.  TAB and line
    breaks become spaces, runs of whitespace collapse to one space, the ends are
    stripped, and the result is cut to ``max_length`` characters (ending in "…"
    when cut).  HTML and rich markup are left as text for the renderers to escape.
    """
    if value is None:
        return None
    _check_bound(max_length)
    text, cut = _precap(_to_str(value), max_length)
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _filter_chars(text, keep_newlines=False)
    text = _ANY_SPACE.sub(" ", text).strip()
    if cut and len(text) <= max_length:
        text = text[: max_length - 1].rstrip() + ELLIPSIS
    return _truncate(text, max_length)


def certificate_name(
    name: x509.Name, oid: x509.ObjectIdentifier, *, max_length: int = 200
) -> str | None:
    """The first value of one attribute of a certificate name (CN, O, ...), as inert text.

    Certificates come from CAs and e-mail: a name may carry terminal escape
    sequences or bidi controls, and every caller prints or stores it.
    """
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    text = value if isinstance(value, str) else value.decode("utf-8", "replace")
    return clean_text(text, max_length=max_length)


def clean_multiline(value: object, *, max_length: int = 2000) -> str | None:
    """Like :func:`clean_text`, but keeps line breaks (at most one blank line in a row).

    CR, CRLF and Unicode line/paragraph separators become ``\\n``; spaces within
    a line collapse and each line is stripped.
    """
    if value is None:
        return None
    _check_bound(max_length)
    text, cut = _precap(_to_str(value), max_length)
    text = text.replace("\r\n", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _filter_chars(text, keep_newlines=True)
    lines = [_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
    if cut and len(text) <= max_length:
        text = text[: max_length - 1].rstrip() + ELLIPSIS
    return _truncate(text, max_length)


def csv_cell(value: object) -> str:
    """A CSV cell that is inert text and can't be evaluated as a spreadsheet formula.

    ``None`` gives an empty cell.  Cells starting with ``= + - @`` (or TAB/CR)
    get a leading ``'``.  That includes negative numbers written as text:
    write numbers as numbers, not through this function.
    """
    text = clean_text(value, max_length=_CSV_MAX_LENGTH)
    if not text:
        return ""
    if text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def printable_line(value: object, *, max_length: int = 20_000) -> str:
    """A whole message line made safe for a terminal, keeping its spacing.

    Like :func:`clean_text` (escape sequences, controls, bidi and zero-width
    characters removed; line breaks and TABs become spaces) but runs of spaces are
    kept, so aligned CLI output stays aligned.  For lines that quote file names
    or certificate text the CLI prints as a whole.
    """
    _check_bound(max_length)
    text, cut = _precap(_to_str(value), max_length)
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _filter_chars(text, keep_newlines=False)
    if cut and len(text) <= max_length:
        text = text[: max_length - 1] + ELLIPSIS
    return _truncate(text, max_length)


def safe_filename_display(path: str) -> str:
    """A path (from the user or a manifest) made safe to show; long paths keep their tail.

    The path is only for display: it is never used to open anything.  When it
    is longer than the bound, the middle is elided so the file name stays visible.
    """
    raw = _to_str(path)
    if len(raw) > _PATH_PRECAP:
        keep = _PATH_PRECAP // 2
        raw = raw[:keep] + ELLIPSIS + raw[-keep:]
    text = clean_text(raw, max_length=max(len(raw), 1))
    if not text:
        return ""
    if len(text) <= _PATH_MAX_LENGTH:
        return text
    head = _PATH_MAX_LENGTH // 3
    tail = _PATH_MAX_LENGTH - head - 1
    return text[:head] + ELLIPSIS + text[-tail:]
