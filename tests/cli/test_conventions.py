"""Issue 14: CLI conventions, error wording, demo --keep, passphrases, broken-file pictures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.generate import write_photo
from provenance_cli.app import app

runner = CliRunner()


def test_short_help_and_version_flags() -> None:
    for args in (["-h"], ["verify", "-h"], ["keys", "init", "-h"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output
    result = runner.invoke(app, ["-V"])
    assert result.exit_code == 0
    assert re.search(r"c2pa-python \d+\.\d+\.\d+, c2pa-rs \d+\.\d+\.\d+", result.output)
    assert "--install-completion" in runner.invoke(app, ["--help"]).output


def test_version_table_matches_the_loaded_library() -> None:
    import c2pa

    from provenance.versions import C2PA_RS_FOR_PYTHON, c2pa_python_version

    python = c2pa_python_version()
    assert python in C2PA_RS_FOR_PYTHON, f"add c2pa-python {python} to provenance.versions"
    assert C2PA_RS_FOR_PYTHON[python] == c2pa.sdk_version()


def test_verify_missing_file_says_no_such_file(home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path / "missing.jpg")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr and "missing.jpg" in result.stderr
    assert "What's real" not in result.output and "Traceback" not in result.output


def test_example_policy_and_help_topics_work_from_the_package(home: Path) -> None:
    result = runner.invoke(app, ["check", "--example-policy"])
    assert result.exit_code == 0
    assert "require" in result.stdout
    import tomllib

    from provenance.volume.policy import policy_from_dict

    policy_from_dict(tomllib.loads(result.stdout), where="example")  # it is a valid policy
    for topic in ("policy", "keys", "recipe"):
        assert runner.invoke(app, ["help", topic]).exit_code == 0
    bad = runner.invoke(app, ["help", "nope"])
    assert bad.exit_code == 2 and "Topics: policy, keys, recipe" in bad.stderr


def test_shipped_guides_are_the_repository_docs() -> None:
    root = Path(__file__).resolve().parents[2]
    from provenance.guides import guide

    for topic, doc in (
        ("policy", "docs/policy.example.toml"),
        ("keys", "keys/README.md"),
        ("recipe", "docs/recipe.md"),
    ):
        shipped = {"policy": "policy.example.toml", "keys": "keys.md", "recipe": "recipe.md"}
        assert guide(topic) == (root / doc).read_text("utf-8"), (
            f"{doc} changed: copy it to provenance/guides/{shipped[topic]} (shipped in the wheel)"
        )


def test_bad_policy_hint_works_for_a_wheel_install(home: Path, photo: Path, tmp_path: Path) -> None:
    policy = tmp_path / "house.toml"
    policy.write_text("name = 'x'\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(photo), "--policy", str(policy)])
    assert result.exit_code != 0
    assert "provenance check --example-policy" in result.stderr
    assert "docs/" not in result.stderr and "Traceback" not in result.output


def test_huge_dimension_png_names_the_file_and_the_limit(
    identity_home: Path, tmp_path: Path
) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    png = tmp_path / "huge.png"
    png.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )
    result = runner.invoke(app, ["sign", str(png), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 1
    assert "huge.png" in result.stderr and "200,000,000 pixels" in result.stderr
    assert "Traceback" not in result.output


def test_demo_keep_says_where_and_plain_demo_prints_no_temp_paths(
    home: Path, tmp_path: Path
) -> None:
    keep = tmp_path / "demo-files"
    result = runner.invoke(app, ["demo", "--keep", str(keep)])
    assert result.exit_code == 0, result.output
    assert f"The demo files are in {keep}:" in result.stdout
    assert (keep / "final.jpg").exists()
    again = runner.invoke(app, ["demo", "--keep", str(keep)])
    assert again.exit_code == 2 and "new or empty folder" in again.stderr
    plain = runner.invoke(app, ["demo"])
    assert plain.exit_code == 0
    assert "provenance-demo-" not in plain.output
    assert "deleted now; keep them with: provenance demo --keep DIR" in plain.stdout


def test_short_passphrase_warns_at_keys_init(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVENANCE_KEY_PASSPHRASE", "short")
    result = runner.invoke(app, ["keys", "init", "--name", "A", "--org", "B"])
    assert result.exit_code == 0, result.output
    assert "warning: the passphrase is shorter than 12 characters" in result.stderr


def test_wrong_passphrase_gets_three_tries_on_a_terminal(
    identity_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from tests.conftest import PASSPHRASE

    monkeypatch.delenv("PROVENANCE_KEY_PASSPHRASE")
    photo = write_photo(tmp_path, name="raw.jpg")
    typed = iter(["wrong-one", "wrong-two", PASSPHRASE])
    monkeypatch.setattr("provenance_cli._common.passphrase", lambda **_: next(typed).encode())
    monkeypatch.setattr("provenance_cli.cmd_sign.passphrase", lambda **_: next(typed).encode())
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    from provenance_cli.cmd_sign import checked_passphrase

    assert checked_passphrase(identity_home) == PASSPHRASE.encode()
    assert photo.exists()


def test_invalid_file_html_shows_current_pixels_beside_the_signed_picture(
    identity_home: Path, tmp_path: Path
) -> None:
    from provenance.demo import tamper

    signed = tmp_path / "s.jpg"
    assert (
        runner.invoke(
            app, ["sign", str(write_photo(tmp_path, name="raw.jpg")), "-o", str(signed)]
        ).exit_code
        == 0
    )
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(tamper(signed.read_bytes()))
    page = tmp_path / "r.html"
    result = runner.invoke(app, ["verify", str(broken), "--format", "html", "-o", str(page)])
    assert result.exit_code == 11
    html = page.read_text(encoding="utf-8")
    assert "This file as it is now" in html and "The picture as it was signed" in html
    assert html.count('src="data:image/jpeg;base64,') >= 2
    assert '<header class="banner bad"' in html


def test_check_table_is_readable_at_80_columns(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    deep = tmp_path / "submissions" / "2026" / "december" / "a-very-long-photographer-name"
    deep.mkdir(parents=True)
    for i in range(12):
        write_photo(deep, name=f"DSC_{i:04d}-final-delivery-version.jpg", width=160, height=120)
    policy = tmp_path / "p.toml"
    policy.write_text('require = "valid"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(deep), "--policy", str(policy), "--jobs", "1"])
    assert result.exit_code == 20, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) < 12 * 3 + 8, "\n".join(lines)  # a few lines per file, not ~8
    assert "FAIL" in result.stdout and "…" in result.stdout


def test_middle_ellipsis_keeps_names_apart() -> None:
    from provenance_cli._batch_ui import middle_ellipsis

    folder = "subs/2026/december/a-very-long-photographer-name/"
    a = middle_ellipsis(folder + "DSC_0001-final-delivery-version.jpg", 27)
    b = middle_ellipsis(folder + "DSC_0002-final-delivery-version.jpg", 27)
    assert len(a) == len(b) == 27 and a != b
    assert a.startswith("…/DSC_0001") and a.endswith(".jpg")
    assert middle_ellipsis(folder + "b.jpg", 27).endswith("…/b.jpg")
    assert middle_ellipsis("a/b.jpg", 27) == "a/b.jpg"
