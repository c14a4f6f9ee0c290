"""``provenance trust``: PEM bundles, subjects and expiry, refusals with reasons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from provenance_cli.app import app
from tests.pki import certs_to_pem, make_ca, make_pki

runner = CliRunner()


def _bundle(tmp_path: Path) -> tuple[Path, str]:
    pki = make_pki()
    expired, _ = make_ca(
        "Old Root CA", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=4000), days=365
    )
    path = tmp_path / "bundle.pem"
    path.write_bytes(certs_to_pem([pki.root_cert, pki.leaf_cert, expired]))
    return path, pki.root_cert.not_valid_after_utc.date().isoformat()


def test_add_bundle_keeps_cas_and_refuses_others_with_reasons(home: Path, tmp_path: Path) -> None:
    bundle, until = _bundle(tmp_path)
    result = runner.invoke(app, ["trust", "add", str(bundle)])
    assert result.exit_code == 0, result.stderr
    assert "trusted: Provenance Test Root CA (Provenance Test PKI)" in result.stderr
    assert until in result.stderr
    assert "refused: Test Photographer (Test Studio)" in result.stderr
    assert "not a CA" in result.stderr
    assert "refused: Old Root CA" in result.stderr
    assert "expired" in result.stderr

    result = runner.invoke(app, ["trust", "list"])
    assert result.exit_code == 0
    lines = [line for line in result.stdout.strip().splitlines() if line.startswith("user ")]
    assert len(lines) == 1
    assert "Provenance Test Root CA" in lines[0] and until in lines[0]

    data = json.loads(runner.invoke(app, ["trust", "list", "--format", "json"]).stdout)
    anchors = data["anchors"]
    assert len(anchors) == 1 and anchors[0]["organization"] == "Provenance Test PKI"

    result = runner.invoke(app, ["trust", "remove", anchors[0]["id"]])
    assert result.exit_code == 0
    assert "removed" in result.stderr
    data = json.loads(runner.invoke(app, ["trust", "list", "--format", "json"]).stdout)
    assert data["anchors"] == []


def test_add_only_bad_certificates_fails(home: Path, tmp_path: Path) -> None:
    pki = make_pki()
    path = tmp_path / "leaf.pem"
    path.write_bytes(certs_to_pem([pki.leaf_cert]))
    result = runner.invoke(app, ["trust", "add", str(path)])
    assert result.exit_code == 1
    assert "not a CA" in result.stderr


def test_add_not_pem(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.pem"
    path.write_text("hello", encoding="utf-8")
    result = runner.invoke(app, ["trust", "add", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr


def test_remove_unknown(home: Path) -> None:
    result = runner.invoke(app, ["trust", "remove", "abcdef12"])
    assert result.exit_code == 1
    assert "trust list" in result.stderr


def test_trusted_store_anchor_makes_verify_trusted(
    identity_home: Path, photo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "s.jpg"
    assert runner.invoke(app, ["sign", str(photo), "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 10
    root = identity_home / "identity" / "root.pem"
    assert runner.invoke(app, ["trust", "add", str(root)]).exit_code == 0
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 0
