"""Signing with a time-stamp from a loopback TSA; a silent or failing TSA fails fast, cleanly."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provenance_cli.app import app
from tests.tsa_server import TimestampAuthority

runner = CliRunner()


def _report(stdout: str) -> dict[str, object]:
    data = json.loads(stdout)
    return data[0] if isinstance(data, list) else data  # type: ignore[no-any-return]


def test_sign_with_tsa_reports_signed_at(identity_home: Path, photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.jpg"
    with TimestampAuthority() as tsa:
        result = runner.invoke(app, ["sign", str(photo), "-o", str(out), "--tsa", tsa.url])
        assert result.exit_code == 0, result.stderr
        assert tsa.requests >= 2  # our pre-flight, then c2pa's own request
        tsa_root = tmp_path / "tsa_root.pem"
        tsa_root.write_bytes(tsa.root_pem)

    result = runner.invoke(app, ["verify", str(out), "--format", "json"])
    signer = _report(result.stdout)["signer"]
    assert isinstance(signer, dict)
    assert signer["signed_at"], "the time-stamp gives the signing time"
    assert signer["timestamp_trusted"] is False

    # Trusting the TSA's root (like any anchor) makes the time-stamp trusted.
    root = identity_home / "identity" / "root.pem"
    result = runner.invoke(
        app,
        ["verify", str(out), "--trust", str(root), "--trust", str(tsa_root), "--format", "json"],
    )
    assert result.exit_code == 0, result.stdout
    report = _report(result.stdout)
    assert report["verdict"] == "trusted"
    signer = report["signer"]
    assert isinstance(signer, dict) and signer["signed_at"]
    assert signer["timestamp_trusted"] is True


def test_tsa_from_settings_is_used(identity_home: Path, photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.jpg"
    with TimestampAuthority() as tsa:
        (identity_home / "settings.toml").write_text(f'tsa_url = "{tsa.url}"\n', encoding="utf-8")
        result = runner.invoke(app, ["sign", str(photo), "-o", str(out)])
        assert result.exit_code == 0, result.stderr
        assert tsa.requests >= 2


def test_silent_tsa_fails_fast_and_leaves_nothing(
    identity_home: Path, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVENANCE_TSA_TIMEOUT", "2")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "signed.jpg"
    with TimestampAuthority(mode="hang") as tsa:
        started = time.monotonic()
        result = runner.invoke(app, ["sign", str(photo), "-o", str(out), "--tsa", tsa.url])
        elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "did not answer within 2 s" in result.stderr
    assert elapsed <= 15
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("mode", ["error", "reject"])
def test_failing_tsa_leaves_nothing(
    identity_home: Path, photo: Path, tmp_path: Path, mode: str
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with TimestampAuthority(mode=mode) as tsa:  # type: ignore[arg-type]
        result = runner.invoke(
            app, ["sign", str(photo), "-o", str(out_dir / "s.jpg"), "--tsa", tsa.url]
        )
    assert result.exit_code == 1
    assert "time-stamp authority" in result.stderr
    assert list(out_dir.iterdir()) == []


def test_unreachable_tsa(identity_home: Path, photo: Path, tmp_path: Path) -> None:
    with TimestampAuthority() as tsa:
        url = tsa.url
    out = tmp_path / "s.jpg"
    started = time.monotonic()
    result = runner.invoke(app, ["sign", str(photo), "-o", str(out), "--tsa", url])
    assert time.monotonic() - started < 15
    assert result.exit_code == 1
    assert "could not be reached" in result.stderr
    assert not out.exists()
