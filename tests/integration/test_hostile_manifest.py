"""A manifest whose every text field is hostile: the reports must stay inert.

The signer's certificate name carries ESC/CSI/BEL/bidi characters and the
organisation rich markup and a script tag; the edit descriptions and tool names
carry OSC/CSI sequences (7- and 8-bit), bidi overrides, zero-width characters,
``[bold red]`` markup and ``<script>``.  The text report must contain none of
those control characters and show the markup literally; the HTML no live script.
"""

from __future__ import annotations

import json
import re

import pytest

from fixtures.generate import write_edited, write_photo
from provenance.identity.keys import ephemeral_identity
from provenance.models import Report
from provenance.report import renderer_for
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file

HOSTILE = (
    "\x1b]0;owned\x07\x1b[2J[bold red]LOUD[/bold red] <script>alert(1)</script>"
    "\u202egnp.exe\u200b\x9b31m\x07 <img src=x onerror=alert(2)>"
)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("hostile")
    identity, _ = ephemeral_identity(
        "\x1b[31mEvil\u202e\x07", "[bold red]Org<script>alert(1)</script>"
    )
    parent = write_photo(folder, "jpeg")
    edited = write_edited(parent, folder)
    out = folder / "hostile.jpg"
    sign_image(
        SignRequest(
            source=edited,
            output=out,
            parent=parent,
            edits=(
                EditSpec(EditKind.AI_EDIT, HOSTILE, tool=HOSTILE + "/9"),
                EditSpec(EditKind.EDIT, HOSTILE, tool=HOSTILE),
            ),
        ),
        identity,
    )
    return verify_file(out, VerifyOptions(use_trust_store=False))


@pytest.mark.parametrize("color", [False, True])
def test_text_report_has_no_control_characters_and_literal_markup(
    hostile_report: Report, color: bool
) -> None:
    text = renderer_for("text", color=color, width=100).render([hostile_report])
    if color:
        # Our own styling is the only escape sequence allowed: SGR colour codes.
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert not CONTROL.search(text), repr(CONTROL.findall(text))
    assert "[bold red]LOUD[/bold red]" in text.replace("\n    ", " ")
    assert "<script>alert(1)</script>" in text
    assert "[bold red]Org<script>alert(1)</script>" in text
    assert "Evil" in text


def test_html_report_has_no_live_script(hostile_report: Report) -> None:
    page = renderer_for("html").render([hostile_report])
    assert "<script" not in page.lower()
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not CONTROL.search(page)
    assert "default-src 'none'" in page


def test_json_report_is_ascii_and_control_free(hostile_report: Report) -> None:
    text = renderer_for("json").render([hostile_report])
    assert text.isascii()
    data = json.loads(text)
    blob = json.dumps(data, ensure_ascii=False)
    assert not CONTROL.search(blob)
    assert "<script>alert(1)</script>" in data["actions"][1]["description"]


def test_hostile_names_cannot_fake_trust(hostile_report: Report) -> None:
    assert hostile_report.signer is not None and not hostile_report.signer.trusted
    assert any("it is a claim, not a proven identity" in s for s in hostile_report.statements)
