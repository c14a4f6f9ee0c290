"""Hostile manifest text comes out inert for terminals, HTML and CSV (DESIGN.md, "Hostile text")."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.sanitize import clean_multiline, clean_text, csv_cell, safe_filename_display

# --- exact strings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # CSI colour
        ("\x1b]0;title\x07Hello", "Hello"),  # OSC window title, BEL-terminated
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink, ST
        ("a\x9b31mb", "ab"),  # 8-bit CSI
        ("ding\x07dong", "dingdong"),  # BEL
        ("nul\x00byte", "nulbyte"),  # NUL
        ("photo\u202egpj.exe", "photogpj.exe"),  # bidi override
        ("\u2066ad\u2069min", "admin"),  # bidi isolates
        ("ad\u200bmin", "admin"),  # zero-width space
        ("\ufeffBOM\u2060x\u180e", "BOMx"),
        ("del\x7fete", "delete"),
        ("c1\x85c2\x90x", "c1 c2"),  # NEL is a line break; 8-bit DCS swallows to the end
        ("esc\x1bcx", "escx"),  # RIS (full terminal reset)
        ("tab\tand\nnewline\r\nend", "tab and newline end"),
        ("  lots    of   space  ", "lots of space"),
        ("[bold red]x[/]", "[bold red]x[/]"),  # rich markup stays text: Text() renders it
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # HTML escapes, not us
        ("Café – 東京 📷", "Café – 東京 📷"),
        ("", ""),
    ],
)
def test_clean_text_exact(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_unterminated_osc_swallows_rest() -> None:
    assert clean_text("ok\x1b]0;no terminator here") == "ok"


def test_none_stays_none() -> None:
    assert clean_text(None) is None
    assert clean_multiline(None) is None


def test_non_strings_are_stringified() -> None:
    assert clean_text(42) == "42"
    assert clean_text(b"caf\xc3\xa9\x1b[2J") == "café"


def test_long_input_is_truncated_with_ellipsis() -> None:
    out = clean_text("a" * 100_000, max_length=50)
    assert out is not None
    assert len(out) == 50
    assert out.endswith("…")
    assert clean_text("a" * 100_000) == "a" * 199 + "…"


def test_exact_length_is_not_cut() -> None:
    assert clean_text("b" * 200) == "b" * 200


def test_hidden_padding_cannot_defeat_the_bound() -> None:
    out = clean_text("\u200b" * 50_000 + "visible" * 10_000, max_length=30)
    assert out is not None and len(out) <= 30


def test_max_length_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_length"):
        clean_text("x", max_length=0)


def test_clean_multiline_keeps_lines() -> None:
    raw = "line one\r\nline  two\n\n\n\n\x1b[2J  line three\u2028four\t!"
    assert clean_multiline(raw) == "line one\nline two\n\nline three\nfour !"


def test_clean_multiline_truncates() -> None:
    out = clean_multiline("x\n" * 5000, max_length=100)
    assert out is not None and len(out) <= 100 and out.endswith("…")


@pytest.mark.parametrize(
    "raw",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
        "  =1",
        "＝1",
    ],
)
def test_csv_cell_neutralises_formulas(raw: str) -> None:
    out = csv_cell(raw)
    assert out.startswith("'")
    assert "\t" not in out and "\r" not in out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("plain", "plain"), (None, ""), ("a\x1b[31mb", "ab"), ("1.5", "1.5"), ("[b]x", "[b]x")],
)
def test_csv_cell_plain(raw: object, expected: str) -> None:
    assert csv_cell(raw) == expected


def test_csv_cell_is_bounded() -> None:
    assert len(csv_cell("z" * 10_000)) <= 1000


def test_safe_filename_display() -> None:
    assert safe_filename_display("/photos/\x1b[31mred\u202e.jpg") == "/photos/red.jpg"
    long = "/d/" + "x" * 1000 + "/holiday.jpg"
    shown = safe_filename_display(long)
    assert len(shown) <= 300
    assert shown.endswith("/holiday.jpg") and "…" in shown
    assert len(safe_filename_display("y" * 100_000)) <= 300


# --- properties ---------------------------------------------------------------------

_NASTY = list("\x1b\x9b\x9d\x9c\x07\x00\x7f[];\\\n\r\t\u202e\u2066\u200b\u2060\ufeff\u180e\u061c")
_text = st.text(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(_NASTY)),
    max_size=400,
)


def _assert_inert(out: str) -> None:
    assert "\x1b" not in out
    for ch in out:
        assert unicodedata.category(ch) not in {"Cc", "Cf", "Cs"} or ch == "\n", repr(ch)


@settings(max_examples=300, deadline=None)
@given(value=_text, max_length=st.integers(min_value=1, max_value=300))
def test_clean_text_output_is_inert_and_bounded(value: str, max_length: int) -> None:
    out = clean_text(value, max_length=max_length)
    assert out is not None
    _assert_inert(out)
    assert "\n" not in out
    assert len(out) <= max_length
    assert out == out.strip()


@settings(max_examples=200, deadline=None)
@given(value=_text, max_length=st.integers(min_value=1, max_value=300))
def test_clean_multiline_output_is_inert_and_bounded(value: str, max_length: int) -> None:
    out = clean_multiline(value, max_length=max_length)
    assert out is not None
    _assert_inert(out)
    assert "\n\n\n" not in out
    assert len(out) <= max_length


@settings(max_examples=200, deadline=None)
@given(value=_text)
def test_csv_cell_never_starts_a_formula(value: str) -> None:
    out = csv_cell(value)
    _assert_inert(out)
    assert "\n" not in out
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))


@settings(max_examples=100, deadline=None)
@given(value=_text)
def test_clean_text_is_idempotent(value: str) -> None:
    once = clean_text(value, max_length=1000)
    assert clean_text(once, max_length=1000) == once


def test_printable_ascii_fast_path_matches_the_per_character_filter() -> None:
    """The shortcut for printable ASCII drops and maps exactly what the full filter would."""
    from provenance.sanitize import _filter_chars

    def by_hand(ch: str) -> str:
        if ch in "\n\r\x0b\x0c\x1c\x1d\x1e":
            return "\n"
        if ch == "\t":
            return " "
        return ch if ch.isprintable() else ""

    for code in range(128):
        text = f"a{chr(code)}b"
        assert _filter_chars(text, keep_newlines=True) == f"a{by_hand(chr(code))}b", repr(text)
    assert _filter_chars("plain ASCII text ~", keep_newlines=False) == "plain ASCII text ~"
    assert _filter_chars("esc\x1bhere\x7f", keep_newlines=False) == "eschere"
