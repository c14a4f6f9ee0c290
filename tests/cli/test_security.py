"""Issue 22's attack set against the command line: outputs, inputs, printed names.

Each test reproduces one finding of the adversarial review as it was run against
the installed CLI, and checks it is now refused with one clear sentence.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fixtures.generate import write_photo
from provenance.sign import SignRequest, sign_image
from provenance_cli.app import app

POLICY = 'require = "valid"\n'


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def signed(tmp_path: Path, dev_identity: tuple[Any, bytes]) -> Path:
    raw = write_photo(tmp_path, "jpeg", width=320, height=240)
    out = tmp_path / "signed.jpg"
    sign_image(SignRequest(raw, out), dev_identity[0])
    return out


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_verify_report_onto_its_input_is_refused(home: Path, signed: Path) -> None:
    before = _sha(signed)
    result = _run("verify", str(signed), "--format", "html", "-o", str(signed))
    assert result.exit_code == 2, result.output
    assert "input" in result.output
    assert _sha(signed) == before
    # --force does not make it acceptable either.
    result = _run("verify", str(signed), "-o", str(signed), "--force")
    assert result.exit_code == 2 and _sha(signed) == before


def test_verify_report_needs_force_and_never_follows_a_symlink(
    home: Path, signed: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.cfg"
    victim.write_text("precious")
    link = tmp_path / "report.html"
    link.symlink_to(victim)
    result = _run("verify", str(signed), "-f", "html", "-o", str(link))
    assert result.exit_code == 2 and "already exists" in result.output
    result = _run("verify", str(signed), "-f", "html", "-o", str(link), "--force")
    assert result.exit_code == 10, result.output
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and "<html" in link.read_text().lower()


def test_verify_output_folder_problems_are_usage_errors(home: Path, signed: Path) -> None:
    result = _run("verify", str(signed), "-o", str(signed.parent / "missing" / "r.html"))
    assert result.exit_code == 2
    assert "does not exist" in result.output and "internal error" not in result.output


def test_nonexistent_inputs_are_usage_errors(home: Path, tmp_path: Path) -> None:
    policy = tmp_path / "house.toml"
    policy.write_text(POLICY)
    assert _run("verify", str(tmp_path / "nothere.jpg")).exit_code == 2
    result = _run("check", str(tmp_path / "nothere"), "--policy", str(policy))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_check_validates_outputs_before_verifying_anything(
    home: Path, signed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provenance.volume import _engine, check

    def must_not_run(*_a: object, **_k: object) -> None:
        raise AssertionError("verification started before the outputs were checked")

    # Both ways into verification: starting an engine, and handing it the sources.
    monkeypatch.setattr(_engine, "make_engine", must_not_run)
    monkeypatch.setattr(check, "check_sources", must_not_run)
    policy = tmp_path / "house.toml"
    policy.write_text(POLICY)
    folder = str(signed.parent)
    result = _run("check", folder, "--policy", str(policy), "--csv", str(tmp_path / "no" / "x.csv"))
    assert result.exit_code == 2 and "does not exist" in result.output
    existing = tmp_path / "old.json"
    existing.write_text("[]")
    result = _run("check", folder, "--policy", str(policy), "--json", str(existing))
    assert result.exit_code == 2 and "already exists" in result.output
    same = str(tmp_path / "r.out")
    result = _run("check", folder, "--policy", str(policy), "--csv", same, "--json", same)
    assert result.exit_code == 2


def test_check_csv_planted_symlink_is_not_followed(
    home: Path, signed: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "house.toml"
    policy.write_text(POLICY)
    victim = tmp_path / "victim.cfg"
    victim.write_text("precious")
    csv_link = tmp_path / "results.csv"
    csv_link.symlink_to(victim)
    args = ["check", str(signed), "--policy", str(policy), "--csv", str(csv_link)]
    result = _run(*args)
    assert result.exit_code == 2 and victim.read_text() == "precious"
    result = _run(*args, "--force")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious"
    assert not csv_link.is_symlink() and csv_link.read_text().startswith("file")


def test_check_json_may_not_replace_a_checked_image(
    home: Path, signed: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "house.toml"
    policy.write_text(POLICY)
    before = _sha(signed)
    result = _run(
        "check", str(signed.parent), "--policy", str(policy), "--json", str(signed), "--force"
    )
    assert result.exit_code != 0 and _sha(signed) == before


def test_verify_refuses_a_trust_store_others_can_change(
    home: Path, signed: Path, root_pem_file: Path
) -> None:
    assert _run("trust", "add", str(root_pem_file)).exit_code == 0
    assert _run("verify", str(signed), "-q").exit_code == 0
    home.chmod(0o777)
    result = _run("verify", str(signed), "-q")
    assert result.exit_code == 1, result.output
    assert f"chmod 700 {home}" in result.output
    assert "internal error" not in result.output


def test_signed_line_does_not_pass_escape_sequences(identity_home: Path, tmp_path: Path) -> None:
    raw = write_photo(tmp_path, "jpeg", width=320, height=240)
    out = tmp_path / "a\x1b]0;owned\x07\x1b[31mred.jpg"
    result = _run("sign", str(raw), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "signed:" in result.output


def test_batch_into_a_folder_with_an_unrelated_file_needs_force(
    identity_home: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    photos = [write_photo(src, name=f"p{i}.jpg", width=200, height=150, seed=i) for i in range(2)]
    out = tmp_path / "deliver"
    out.mkdir()
    (out / "p0.jpg").write_bytes(b"the client's own file")
    result = _run("sign", *map(str, photos), "--out-dir", str(out))
    assert result.exit_code == 1, result.output
    assert (out / "p0.jpg").read_bytes() == b"the client's own file"
    assert "--force" in result.output
    # Resume without force: our own verified output is skipped, the foreign one still refused.
    result = _run("sign", *map(str, photos), "--out-dir", str(out))
    assert result.exit_code == 1 and (out / "p0.jpg").read_bytes() == b"the client's own file"
    result = _run("sign", *map(str, photos), "--out-dir", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert (out / "p0.jpg").read_bytes() != b"the client's own file"


def test_resume_does_not_skip_a_file_someone_else_signed(
    identity_home: Path, tmp_path: Path
) -> None:
    from provenance.identity.keys import ephemeral_identity

    src = tmp_path / "src"
    src.mkdir()
    photos = [write_photo(src, name=f"p{i}.jpg", width=200, height=150, seed=i) for i in range(2)]
    out = tmp_path / "deliver"
    out.mkdir()
    stranger, _ = ephemeral_identity("Mallory", "Elsewhere")
    sign_image(SignRequest(photos[0], out / "p0.jpg"), stranger)  # same title, other signer
    before = _sha(out / "p0.jpg")
    result = _run("sign", *map(str, photos), "--out-dir", str(out))
    assert result.exit_code == 1 and _sha(out / "p0.jpg") == before


def test_recipe_output_outside_out_dir_is_refused(identity_home: Path, tmp_path: Path) -> None:
    src = write_photo(tmp_path, "jpeg", width=200, height=150)
    victim = tmp_path / "config.cfg"
    victim.write_text("precious")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        f'[[files]]\nsource = "{src}"\noutput = "{victim}"\n'
        f'[[files]]\nsource = "{src}"\noutput = "../escape.jpg"\n'
    )
    out = tmp_path / "deliver"
    result = _run("sign", "--recipe", str(recipe), "--out-dir", str(out), "--force")
    assert result.exit_code != 0 and "outside --out-dir" in result.output
    assert victim.read_text() == "precious"
    recipe.write_text(f'[[files]]\nsource = "{src}"\noutput = "{tmp_path / "elsewhere.jpg"}"\n')
    result = _run("sign", "--recipe", str(recipe), "--out-dir", str(out), "--allow-outside")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere.jpg").exists()


def test_keys_csr_copy_does_not_follow_a_planted_symlink(home: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.cfg"
    victim.write_text("precious")
    link = tmp_path / "request.csr"
    link.symlink_to(victim)
    args = ["keys", "csr", "--name", "Jane", "--org", "Studio", "-o", str(link)]
    result = _run(*args)
    assert result.exit_code == 2 and "already exists" in result.output
    assert not (home / "identity").exists()  # refused before a key was made
    result = _run(*args, "--force")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and "CERTIFICATE REQUEST" in link.read_text()


def test_verify_report_into_a_read_only_folder_is_one_sentence(
    home: Path, signed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provenance import outputs

    folder = tmp_path / "ro"
    folder.mkdir()
    # CI runs as root, which may write anywhere: the check itself stands in for the mode.
    monkeypatch.setattr(outputs, "_writable", lambda _folder: False)
    result = _run("verify", str(signed), "-o", str(folder / "r.html"))
    assert result.exit_code == 2
    assert "not writable" in result.output and "internal error" not in result.output


def test_two_concurrent_signings_to_one_output_one_wins(
    tmp_path: Path, dev_identity: tuple[Any, bytes]
) -> None:
    import threading

    from provenance.errors import OutputExistsError, ProvenanceError

    raw = write_photo(tmp_path, "jpeg", width=320, height=240)
    name = "x" * 246 + ".jpg"  # 250 bytes: the temp name no longer grows with it
    output = tmp_path / name
    outcomes: list[object] = []

    def sign_it() -> None:
        try:
            sign_image(SignRequest(raw, output), dev_identity[0])
            outcomes.append("signed")
        except ProvenanceError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=sign_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count("signed") == 1, outcomes
    assert sum(isinstance(o, OutputExistsError) for o in outcomes) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
