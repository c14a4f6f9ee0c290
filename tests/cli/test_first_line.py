"""Issue 14: the report's first line says what the picture is and who vouches (CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fixtures.generate import write_photo
from provenance_cli.app import app

runner = CliRunner()


def _root(home: Path) -> str:
    from provenance.identity.keys import ROOT_FILE, identity_dir

    return str(identity_dir(home) / ROOT_FILE)


def _generated(tmp_path: Path) -> Path:
    out = tmp_path / "generated.jpg"
    result = runner.invoke(
        app,
        [
            "sign",
            str(write_photo(tmp_path, name="gen.jpg")),
            "-o",
            str(out),
            "--generated",
            "--ai-tool",
            "Imagen/3",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_ai_generated_trusted_first_text_line(identity_home: Path, tmp_path: Path) -> None:
    signed = _generated(tmp_path)
    result = runner.invoke(app, ["verify", str(signed), "--trust", _root(identity_home)])
    assert result.exit_code == 0, result.output  # trusted: the home's own root
    first = result.stdout.splitlines()[0]
    assert first.startswith("AI-generated · Signed by “Doe Studio”, an identity you trust")
    assert "Traceback" not in result.output
    # "unchanged" is about the file, and never above an AI sentence as if about the picture.
    assert "The file is unchanged since it was signed" in result.stdout
    assert "Nothing changed since signing" not in result.stdout


def test_ai_generated_json_summary_and_html_banner(identity_home: Path, tmp_path: Path) -> None:
    signed = _generated(tmp_path)
    result = runner.invoke(
        app, ["verify", str(signed), "--format", "json", "--trust", _root(identity_home)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["content_label"] == "ai_generated"
    assert summary["content_text"] == "AI-generated"
    assert summary["vouched_by"] == "trusted" and summary["tone"] == "warn"
    assert "Doe Studio" in summary["vouched_by_text"]
    page = tmp_path / "r.html"
    result = runner.invoke(
        app,
        [
            "verify",
            str(signed),
            "--format",
            "html",
            "-o",
            str(page),
            "--trust",
            _root(identity_home),
        ],
    )
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert '<header class="banner warn"' in html
    assert '<h1 class="what">AI-generated</h1>' in html


def test_enhance_is_ai_enhancement_in_every_renderer(identity_home: Path, tmp_path: Path) -> None:
    parent = tmp_path / "parent.jpg"
    raw = write_photo(tmp_path, name="raw.jpg")
    assert runner.invoke(app, ["sign", str(raw), "-o", str(parent)]).exit_code == 0
    out = tmp_path / "denoised.jpg"
    result = runner.invoke(
        app,
        [
            "sign",
            str(raw),
            "--from",
            str(parent),
            "-o",
            str(out),
            "--enhance",
            "Noise reduction",
            "--ai-tool",
            "Denoiser/3",
        ],
    )
    assert result.exit_code == 0, result.output
    text = runner.invoke(app, ["verify", str(out)]).stdout
    assert "AI enhancement with Denoiser 3: Noise reduction" in text
    assert "AI edit with" not in text
    page = tmp_path / "d.html"
    runner.invoke(app, ["verify", str(out), "--format", "html", "-o", str(page)])
    assert "AI enhancement</span>" in page.read_text(encoding="utf-8")
