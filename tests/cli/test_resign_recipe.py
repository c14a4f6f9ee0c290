"""Issue 14: re-signing keeps history, recipes, and what ``sign`` says it recorded (CLI)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fixtures.generate import AI_BOX, write_edited, write_mask, write_photo
from provenance_cli.app import app
from tests.conftest import CONFORMANCE

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _sign(*args: str) -> Any:
    return runner.invoke(app, ["sign", *args])


def _json(path: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["verify", str(path), "--format", "json"])
    assert result.exit_code in (0, 10), result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_resigning_our_own_output_keeps_it_as_the_parent(
    identity_home: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.jpg"
    result = _sign(str(write_photo(tmp_path, name="raw.jpg")), "-o", str(first))
    assert result.exit_code == 0, result.output
    assert "recorded as: a camera capture (BarCam BC-1)" in result.stderr
    assert "location: GPS left out of the credentials" in result.stderr
    assert "AI training and data mining: not allowed" in result.stderr
    second = tmp_path / "second.jpg"
    result = _sign(str(first), "-o", str(second), "--edit", "Crop for the web")
    assert result.exit_code == 0, result.output
    assert "earlier credentials: kept as its parent" in result.stderr
    assert "measured against the same file" in result.stderr
    assert "Traceback" not in result.output
    data = _json(second)
    assert [h["relationship"] for h in data["history"]] == ["parentOf"]
    parent = data["history"][0]
    assert parent["title"] == "first.jpg"
    assert parent["signer"]["organization"] == "Doe Studio"
    assert parent["capture"]["make"] == "BarCam"  # the camera facts survive
    assert data["actions"][0]["action"] == "c2pa.opened"
    text = runner.invoke(app, ["verify", str(second)]).stdout
    assert "signed in the name of Doe Studio" in text  # the earlier signer, in the history


def test_replace_credentials_is_destructive_and_says_so(
    identity_home: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.jpg"
    assert _sign(str(write_photo(tmp_path, name="raw.jpg")), "-o", str(first)).exit_code == 0
    second = tmp_path / "second.jpg"
    result = _sign(str(first), "-o", str(second), "--replace-credentials")
    assert result.exit_code == 0, result.output
    assert "warning: --replace-credentials is destructive" in result.stderr
    assert "earlier credentials: REPLACED" in result.stderr
    assert _json(second)["history"] == []


def test_generated_over_existing_credentials_is_refused(
    identity_home: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.jpg"
    assert _sign(str(write_photo(tmp_path, name="raw.jpg")), "-o", str(first)).exit_code == 0
    result = _sign(str(first), "-o", str(tmp_path / "g.jpg"), "--generated", "--ai-tool", "M/1")
    assert result.exit_code == 1
    assert "first.jpg already has Content Credentials" in result.stderr
    assert "--replace-credentials" in result.stderr
    assert "Traceback" not in result.output


def test_ai_edit_without_from_says_the_extent_is_unknown(
    identity_home: Path, tmp_path: Path
) -> None:
    raw = write_photo(tmp_path, name="raw.jpg")
    edited = write_edited(raw, tmp_path)
    result = _sign(
        str(edited), "-o", str(tmp_path / "o.jpg"), "--ai-edit", "Sky", "--ai-tool", "GenFill/2"
    )
    assert result.exit_code == 0, result.output
    assert "AI share: AI edit “Sky”: not known" in result.stderr
    assert "hint: --ai-edit without --from records an unknown extent" in result.stderr


def test_ai_edit_from_parent_reports_the_measured_share(
    identity_home: Path, tmp_path: Path
) -> None:
    raw = write_photo(tmp_path, name="raw.jpg")
    parent = tmp_path / "p.jpg"
    assert _sign(str(raw), "-o", str(parent)).exit_code == 0
    edited = write_edited(raw, tmp_path)
    result = _sign(
        str(edited),
        "--from",
        str(parent),
        "-o",
        str(tmp_path / "o.jpg"),
        "--ai-edit",
        "Sky",
        "--ai-tool",
        "GenFill/2",
    )
    assert result.exit_code == 0, result.output
    assert re.search(
        r"AI share: AI edit “Sky”: about \d+% of the picture, measured against p\.jpg",
        result.stderr,
    )
    assert "hint:" not in result.stderr


def test_no_identity_is_said_before_any_passphrase_prompt(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROVENANCE_KEY_PASSPHRASE")
    photo = write_photo(tmp_path, name="raw.jpg")
    result = _sign(str(photo), "-o", str(tmp_path / "o.jpg"))
    assert result.exit_code == 1
    assert "No signing identity is set up yet." in result.stderr
    assert "passphrase" not in result.output.lower()


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance is not present")
def test_resigning_a_conformance_chain_keeps_its_signers(
    identity_home: Path, tmp_path: Path
) -> None:
    source = CONFORMANCE / "files" / "c2pa-rs" / "CA.jpg"
    if not source.is_file():
        pytest.skip(f"{source} is not in this copy of the conformance files")
    local = tmp_path / "CA.jpg"
    shutil.copyfile(source, local)
    before = _json(local)
    out = tmp_path / "resigned.jpg"
    result = _sign(str(local), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "earlier credentials: kept as its parent" in result.stderr
    data = _json(out)
    parent = data["history"][0]
    assert parent["relationship"] == "parentOf" and parent["title"] == "CA.jpg"
    assert parent["signer"]["organization"] == before["signer"]["organization"]
    # The chain underneath (the camera-style capture) is still there.
    assert parent["history"] == before["history"] or len(parent["history"]) == len(
        before["history"]
    )


def _recipe_example() -> str:
    text = (DOCS / "recipe.md").read_text(encoding="utf-8")
    block = re.search(r"## Example\n+```toml\n(.*?)```", text, re.S)
    assert block is not None, "docs/recipe.md has no ## Example toml block"
    return block.group(1)


def test_the_recipe_example_in_the_docs_works_as_written(
    identity_home: Path, tmp_path: Path
) -> None:
    job = tmp_path / "job"
    for folder in ("raw", "work", "masks"):
        (job / folder).mkdir(parents=True)
    raw = write_photo(job / "raw", name="DSC_0042.jpg")
    graded = write_photo(job / "work", "tiff", name="DSC_0042-graded.tif")
    write_edited(graded, job / "work", name="DSC_0042-final.jpg", graded=False)
    write_mask(job / "masks", (1200, 800), AI_BOX, name="sky.png")
    assert raw.exists()
    recipe = job / "job.toml"
    recipe.write_text(_recipe_example(), encoding="utf-8")
    result = _sign("--recipe", str(recipe))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""  # tables and summaries go to stderr
    assert result.stderr.count("Summary") == 1  # one summary for the whole recipe
    assert "recorded: 3 signed" in result.stderr
    final = _json(job / "signed" / "DSC_0042-final.jpg")
    graded_entry = final["history"][0]
    assert graded_entry["title"] == "DSC_0042-graded.tif"
    assert graded_entry["history"][0]["title"] == "DSC_0042.jpg"


def test_a_failed_step_skips_its_descendants(identity_home: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    write_photo(tmp_path / "in", name="a.jpg")
    (tmp_path / "in" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    write_photo(tmp_path / "in", name="c.jpg", seed=3)
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        "[[files]]\nsource = 'in/broken.jpg'\noutput = 'out/b.jpg'\n"
        "[[files]]\nsource = 'in/c.jpg'\noutput = 'out/c.jpg'\nfrom = 'out/b.jpg'\n"
        "[[files]]\nsource = 'in/a.jpg'\noutput = 'out/a.jpg'\n",
        encoding="utf-8",
    )
    result = _sign("--recipe", str(recipe))
    assert result.exit_code == 1
    assert "not signed: its parent b.jpg was not signed" in result.stderr
    assert "1 skipped because their parent was not signed" in result.stderr
    assert result.stderr.count("Summary") == 1
    assert (tmp_path / "out" / "a.jpg").exists()
    assert not (tmp_path / "out" / "c.jpg").exists()
    assert "Traceback" not in result.output
