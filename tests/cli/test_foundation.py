"""The foundation's promises through the command line: exit codes, stdout, stderr."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from fixtures.generate import write_photo, write_random
from provenance_cli.app import app

runner = CliRunner()


def _init(home: Path) -> dict:
    result = runner.invoke(app, ["keys", "init", "--name", "Jane Doe", "--org", "Doe Studio"])
    assert result.exit_code == 0, result.stderr
    shown = runner.invoke(app, ["keys", "show", "--format", "json"])
    assert shown.exit_code == 0, shown.stderr
    return json.loads(shown.stdout)


def test_keys_sign_verify_contract(home: Path, tmp_path: Path) -> None:
    info = _init(home)
    assert info["organization"] == "Doe Studio"
    assert Path(info["root_certificate"]).exists()
    assert Path(info["certificate_chain"]).exists()
    assert info["not_after"]
    key_file = Path(info["key_file"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"Doe Studio" not in key_file.read_bytes()  # encrypted, not PEM text

    photo = write_photo(tmp_path, "jpeg")
    out = tmp_path / "signed.jpg"
    signed = runner.invoke(app, ["sign", str(photo), "-o", str(out)])
    assert signed.exit_code == 0, signed.stderr
    assert "signed" in signed.stderr

    stranger = runner.invoke(app, ["verify", str(out), "--format", "json"])
    assert stranger.exit_code == 10, stranger.stderr
    data = json.loads(stranger.stdout)
    assert data["verdict"] == "valid_untrusted"
    assert data["signer"]["organization"] == "Doe Studio"
    assert data["capture"]["make"] == "BarCam"
    assert data["capture"]["model"] == "BC-1"
    assert isinstance(data["problems"], list)

    trusted = runner.invoke(
        app, ["verify", str(out), "--trust", info["root_certificate"], "-f", "json"]
    )
    assert trusted.exit_code == 0
    assert json.loads(trusted.stdout)["verdict"] == "trusted"

    added = runner.invoke(app, ["trust", "add", info["root_certificate"]])
    assert added.exit_code == 0, added.stderr
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 0
    assert runner.invoke(app, ["verify", str(out), "--no-trust-store"]).exit_code == 10

    data_bytes = bytearray(out.read_bytes())
    data_bytes[-300] ^= 0xFF
    tampered = tmp_path / "tampered.jpg"
    tampered.write_bytes(bytes(data_bytes))
    assert runner.invoke(app, ["verify", str(tampered)]).exit_code == 11

    unsigned = runner.invoke(app, ["verify", str(photo)])
    assert unsigned.exit_code == 12
    assert "proves nothing" in unsigned.stdout

    garbage = runner.invoke(app, ["verify", str(write_random(tmp_path))])
    assert garbage.exit_code in (11, 13)
    assert "Traceback" not in garbage.stdout + garbage.stderr

    several = runner.invoke(app, ["verify", str(out), str(photo), str(tampered), "-f", "json"])
    assert several.exit_code == 11  # the worst: invalid
    assert [r["verdict"] for r in json.loads(several.stdout)] == [
        "trusted",
        "no_credentials",
        "invalid",
    ]


def test_wrong_passphrase_is_clear_and_writes_nothing(
    home: Path, tmp_path: Path, monkeypatch
) -> None:
    _init(home)
    monkeypatch.setenv("PROVENANCE_KEY_PASSPHRASE", "wrong")
    photo = write_photo(tmp_path, "jpeg")
    out = tmp_path / "signed.jpg"
    result = runner.invoke(app, ["sign", str(photo), "-o", str(out)])
    assert result.exit_code == 1
    assert "passphrase" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_no_identity_gives_a_hint(home: Path, tmp_path: Path) -> None:
    photo = write_photo(tmp_path, "jpeg")
    result = runner.invoke(app, ["sign", str(photo), "-o", str(tmp_path / "o.jpg")])
    assert result.exit_code == 1
    assert "keys init" in result.stderr


def test_demo_runs_offline_with_no_setup(home: Path) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.stderr
    assert "(verdict: trusted)" in result.stdout
    assert "(verdict: invalid)" in result.stdout
    assert "AI edit" in result.stdout


def test_usage_errors_exit_2(home: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["verify"]).exit_code == 2
    photo = write_photo(tmp_path, "jpeg")
    assert runner.invoke(app, ["verify", str(photo), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["sign", str(photo)]).exit_code == 2
