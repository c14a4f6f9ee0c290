"""``provenance verify --format text|json|html [-o OUT] [--quiet]`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from provenance.sign import SignRequest, sign_image
from provenance_cli.app import app

runner = CliRunner()


def _signed(photo: Path, dev_identity: tuple[object, bytes]) -> Path:
    out = photo.parent / "signed.jpg"
    sign_image(SignRequest(source=photo, output=out), dev_identity[0])  # type: ignore[arg-type]
    return out


def test_verify_json_and_exit_code(
    home: Path, photo: Path, dev_identity: tuple[object, bytes], root_pem_file: Path
) -> None:
    signed = _signed(photo, dev_identity)
    result = runner.invoke(
        app, ["verify", str(signed), "--trust", str(root_pem_file), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "trusted" and data["schema"] == "provenance.report/1"


def test_verify_text_is_plain_when_piped(
    home: Path, photo: Path, dev_identity: tuple[object, bytes]
) -> None:
    signed = _signed(photo, dev_identity)
    result = runner.invoke(app, ["verify", str(signed)])
    assert result.exit_code == 10
    assert "\x1b" not in result.stdout
    assert result.stdout.startswith("Camera capture · Signed in the name of")
    assert "(verdict: valid_untrusted)" in result.stdout
    assert "the name on it is a claim, not an identity" in result.stdout


def test_verify_quiet_prints_the_verdict_line_only(home: Path, photo: Path) -> None:
    result = runner.invoke(app, ["verify", "--quiet", str(photo)])
    assert result.exit_code == 12
    assert result.stdout.strip().splitlines() == [f"NO CONTENT CREDENTIALS  {photo}"]


def test_verify_html_to_file(
    home: Path, photo: Path, dev_identity: tuple[object, bytes], tmp_path: Path
) -> None:
    signed = _signed(photo, dev_identity)
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["verify", str(signed), "-f", "html", "-o", str(out)])
    assert result.exit_code == 10
    assert result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "data:image/jpeg;base64," in page


def test_verify_rejects_an_unknown_format(home: Path, photo: Path) -> None:
    result = runner.invoke(app, ["verify", str(photo), "-f", "pdf"])
    assert result.exit_code == 2
