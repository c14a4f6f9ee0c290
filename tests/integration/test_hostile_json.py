"""Hostile strings signed into real manifests come out inert in JSON and CSV.

The attack set is built here and signed (title, tool names, descriptions, ingredient
titles, certificate CN/O).  JSON output must parse, be ASCII, and hold no control,
format (bidi, zero-width) or NUL characters, with every string bounded; CSV cells
(sanitize.csv_cell) must also never start a formula.  Text/HTML renderers are covered
by their own hostile tests.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from provenance.models import Action, Verdict
from provenance.report import renderer_for
from provenance.report.json_report import report_to_dict
from provenance.sanitize import csv_cell
from provenance.verify import VerifyOptions, verify_file

LONG = "A" * 100_000
ATTACKS = {
    "esc_csi": "\x1b[31mRED\x1b[0m\x1b[2J",
    "osc_link": "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "osc_title": "\x1b]0;pwned\x1b\\",
    "c1_csi": "\x9b31mC1\x9b0m",
    "bidi": "Invoice\u202egpj.exe",
    "zero_width": "Re\u200buters\u200d\ufeff",
    "nul": "before\x00after",
    "rich_markup": "[bold red]trusted[/] [link=https://evil.example]x[/link]",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "formula": '=HYPERLINK("https://evil.example","ok")',
    "formula_plus": "+cmd|' /C calc'!A0",
    "formula_at": "@SUM(1+1)",
    "formula_minus": "-2+3",
    "traversal": "../../../../etc/passwd",
    "traversal_win": "..\\..\\Windows\\System32\\drivers\\etc\\hosts",
    "long": LONG,
}
_BAD_CATEGORIES = {"Cc", "Cf", "Cs"}
_MAX_STRING = 5000


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_inert(text: str) -> None:
    bad = [c for c in text if unicodedata.category(c) in _BAD_CATEGORIES and c != "\n"]
    assert not bad, f"control/format characters {bad!r} in {text[:80]!r}"
    assert len(text) <= _MAX_STRING, f"unbounded string of {len(text)} characters"


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fixtures.generate import write_photo
    from provenance import _c2pa, media
    from provenance.identity.keys import ephemeral_identity
    from provenance.labels import THUMBNAIL_ID
    from provenance.sign.manifest import ManifestPlan, build_definition

    folder = tmp_path_factory.mktemp("hostile")
    try:
        identity, _ = ephemeral_identity("=cmd|'/C calc'!A0 \u202e<b>", "<script>x</script> @evil")
    except Exception:  # the PKI helper may refuse some names; plain hostile ones then
        identity, _ = ephemeral_identity("=cmd calc", "@evil <b>")
    capture_type = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    actions = (
        Action("c2pa.created", digital_source_type=capture_type),
        *tuple(
            Action("c2pa.edited", digital_source_type=None, software_agent=value, description=value)
            for value in ATTACKS.values()
        ),
    )
    plan = ManifestPlan(title="\x1b[31m" + LONG, actions=actions, capture=None, training=None)
    definition = build_definition(plan)
    photo = write_photo(folder, "jpeg", width=200, height=150)
    parent = write_photo(folder, "jpeg", name="parent.jpg", width=200, height=150, seed=3)
    ingredients = [
        _c2pa.IngredientSource(
            title=title, relationship="componentOf", mime="image/jpeg", data=parent.read_bytes()
        )
        for title in (
            ATTACKS["traversal"],
            ATTACKS["traversal_win"],
            ATTACKS["long"],
            ATTACKS["bidi"],
        )
    ]
    out = folder / "hostile.jpg"
    with open(out, "w+b") as dest:
        _c2pa.sign_asset(
            definition,
            "image/jpeg",
            io.BytesIO(photo.read_bytes()),
            dest,
            identity,
            ingredients=ingredients,
            resources={
                THUMBNAIL_ID: media.make_thumbnail(media.decode_reduced(photo.read_bytes(), 64))
            },
        )
    return out


@pytest.fixture(scope="module")
def report(hostile_file: Path) -> Any:
    result = verify_file(hostile_file, VerifyOptions(use_trust_store=False))
    assert result.verdict is Verdict.VALID_UNTRUSTED, result.problems
    return result


def test_json_output_is_inert(report: Any) -> None:
    text = renderer_for("json").render([report])
    assert text.isascii()
    data = json.loads(text)
    strings = _strings(data)
    assert len(strings) > 20
    for value in strings:
        _assert_inert(value)
    assert len(text) < 500_000


def test_hostile_values_reached_the_report(report: Any) -> None:
    """Sanity: the attack strings really were signed in and read back (then cleaned)."""
    blob = json.dumps(report_to_dict(report))
    assert "alert(1)" in blob  # HTML survives as inert text; JSON is not HTML
    assert "passwd" in blob
    assert "\\u001b" not in blob and "\\u202e" not in blob


def test_ingredient_titles_are_not_paths(report: Any) -> None:
    titles = [h.title or "" for h in report.history]
    assert len(titles) == 4
    for title in titles:
        _assert_inert(title)
        assert len(title) <= 300


def test_csv_cells_are_inert(report: Any) -> None:
    rows = []
    for value in _strings(report_to_dict(report)):
        cell = csv_cell(value)
        _assert_inert(cell)
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"))
        rows.append([cell])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    back = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert back == rows


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_csv_cell_each_attack(name: str) -> None:
    cell = csv_cell(ATTACKS[name])
    _assert_inert(cell)
    assert len(cell) <= 1001
    assert not cell.startswith(("=", "+", "-", "@"))
    if name.startswith("formula"):
        assert cell.startswith("'")
