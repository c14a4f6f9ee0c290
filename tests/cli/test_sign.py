"""``provenance sign`` from the command line: edit flags, masks, recipes, usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from fixtures.generate import AI_BOX, shape_mask, write_edited, write_mask, write_photo
from provenance_cli.app import app

runner = CliRunner()


def _sign(*args: str) -> Any:
    return runner.invoke(app, ["sign", *args])


def _verify_json(path: Path) -> dict[str, Any]:
    # The identity home's own root is in its trust store after keys init.
    result = runner.invoke(app, ["verify", str(path), "--format", "json"])
    assert result.exit_code in (0, 10), result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@pytest.fixture()
def capture(identity_home: Path, tmp_path: Path) -> Path:
    out = tmp_path / "capture.jpg"
    result = _sign(str(write_photo(tmp_path, name="raw.jpg")), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_ai_edit_from_parent(capture: Path, tmp_path: Path) -> None:
    edited = write_edited(capture, tmp_path)
    out = tmp_path / "final.jpg"
    result = _sign(
        str(edited),
        "--from",
        str(capture),
        "--edit",
        "Colour grade",
        "--ai-edit",
        "Replaced the sky",
        "--ai-tool",
        "GenFill/2.1",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert f"signed: {out}" in result.output
    data = _verify_json(out)
    truth = shape_mask("ellipse", Image.open(edited).size).mean()
    assert data["ai"]["edited"] is True
    assert abs(data["ai"]["area_fraction"] - truth) <= 0.05
    assert data["ai"]["tools"] == ["GenFill/2.1"]
    ai_action = next(a for a in data["actions"] if a["ai"])
    assert ai_action["software_agent"] == "GenFill/2.1"
    assert ai_action["extent"]["method"] == "measured"
    assert data["history"][0]["relationship"] == "parentOf"
    assert data["history"][0]["capture"]["make"] == "BarCam"
    assert "48," not in json.dumps(data)


def test_ai_mask_is_declared(capture: Path, tmp_path: Path) -> None:
    edited = write_edited(capture, tmp_path)
    mask = write_mask(tmp_path, Image.open(edited).size, AI_BOX)
    out = tmp_path / "final.jpg"
    result = _sign(
        str(edited),
        "--from",
        str(capture),
        "--ai-edit",
        "Sky",
        "--ai-tool",
        "GenFill",
        "--ai-mask",
        str(mask),
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    extent = next(a for a in _verify_json(out)["actions"] if a["ai"])["extent"]
    assert extent["method"] == "declared"
    assert extent["area_fraction"] == pytest.approx(AI_BOX[2] * AI_BOX[3], abs=0.002)


def test_crop_says_unknown_on_stderr(capture: Path, tmp_path: Path) -> None:
    cropped = tmp_path / "cropped.jpg"
    Image.open(write_edited(capture, tmp_path)).crop((100, 0, 1200, 800)).save(cropped)
    out = tmp_path / "final.jpg"
    result = _sign(
        str(cropped), "--from", str(capture), "--ai-edit", "x", "--ai-tool", "T", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "note: extent could not be measured" in result.output
    assert _verify_json(out)["ai"]["area_fraction"] is None


def test_generated(identity_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "gen.jpg"
    result = _sign(
        str(write_photo(tmp_path, name="render.jpg")),
        "--generated",
        "--ai-tool",
        "ImageGen/4",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    data = _verify_json(out)
    assert data["ai"]["generated"] is True
    assert data["capture"]["source"] == "trainedAlgorithmicMedia"


def test_recipe_with_out_dir(capture: Path, tmp_path: Path) -> None:
    edited = write_edited(capture, tmp_path)
    graded = write_edited(capture, tmp_path, name="graded.jpg", ai=False)
    mask = write_mask(tmp_path, Image.open(edited).size, AI_BOX)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        f"""
[defaults]
ai_training = "constrained"

[[files]]
source = "{edited.name}"
from = "{capture.name}"
output = "final.jpg"
[[files.edits]]
kind = "ai_edit"
description = "Replaced the sky"
tool = "GenFill/2.1"
mask = "{mask.name}"

[[files]]
source = "{graded.name}"
from = "{capture.name}"
[[files.edits]]
kind = "edit"
description = "Grade"
"""
    )
    out_dir = tmp_path / "out"
    result = _sign("--recipe", str(recipe), "--out-dir", str(out_dir))
    assert result.exit_code == 0, result.output
    final = _verify_json(out_dir / "final.jpg")
    assert final["ai"]["edited"] is True
    assert next(a for a in final["actions"] if a["ai"])["extent"]["method"] == "declared"
    graded_report = _verify_json(out_dir / "graded.jpg")
    assert graded_report["ai"]["edited"] is False
    grade = next(a for a in graded_report["actions"] if a["description"] == "Grade")
    assert grade["extent"]["area_fraction"] < 0.05


def test_recipe_unknown_key_is_reported(identity_home: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"files": [{"source": "a.jpg", "ouput": "b.jpg"}]}))
    result = _sign("--recipe", str(recipe), "--out-dir", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert "unknown key 'ouput'" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--recipe FILE"),
        (["--recipe", "r.toml", "-o", "x.jpg"], "not -o"),
        (["--recipe", "r.toml", "--ai-edit", "x"], "put them in it"),
        (["p.jpg", "--ai-edit", "sky", "-o", "x.jpg"], "--ai-tool"),
        (["p.jpg", "--generated", "-o", "x.jpg"], "--ai-tool"),
        (["p.jpg", "--generated", "--ai-tool", "G", "--from", "q.jpg", "-o", "x.jpg"], "parent"),
        (["p.jpg", "--ai-mask", "m.png", "-o", "x.jpg"], "--ai-mask"),
        (["p.jpg"], "exactly one"),
    ],
)
def test_usage_errors(identity_home: Path, args: list[str], message: str) -> None:
    result = _sign(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_recipe_chain_signs_in_order(identity_home: Path, tmp_path: Path) -> None:
    raw = write_photo(tmp_path, name="raw.jpg")
    graded = write_edited(raw, tmp_path, name="graded-raw.jpg", ai=False)
    write_edited(graded, tmp_path, name="final-raw.jpg", graded=False)
    recipe = tmp_path / "chain.toml"
    # Listed last-first on purpose: the waves, not the order, make the chain work.
    recipe.write_text(
        """
[[files]]
source = "final-raw.jpg"
output = "final.jpg"
from = "graded.jpg"
edits = [{ kind = "ai_edit", description = "Replaced the sky", tool = "GenFill" }]

[[files]]
source = "graded-raw.jpg"
output = "graded.jpg"
from = "capture.jpg"
edits = [{ kind = "edit", description = "Grade" }]

[[files]]
source = "raw.jpg"
output = "capture.jpg"
"""
    )
    out = tmp_path / "out"
    result = _sign("--recipe", str(recipe), "--out-dir", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    data = _verify_json(out / "final.jpg")
    assert data["ai"]["edited"] is True
    (step2,) = data["history"]
    assert step2["title"] == "graded.jpg"
    (step1,) = step2["history"]
    assert step1["title"] == "capture.jpg" and step1["capture"]["make"] == "BarCam"


def test_waves_order_a_chain() -> None:
    from provenance.sign import SignRequest
    from provenance_cli.cmd_sign import _waves

    a = SignRequest(source=Path("a"), output=Path("/o/a.jpg"))
    b = SignRequest(source=Path("b"), output=Path("/o/b.jpg"), parent=Path("/o/a.jpg"))
    c = SignRequest(source=Path("c"), output=Path("/o/c.jpg"), parent=Path("/o/b.jpg"))
    d = SignRequest(source=Path("d"), output=Path("/o/d.jpg"), parent=Path("/x/raw.jpg"))
    assert _waves([c, b, a, d]) == [[a, d], [b], [c]]


def test_single_sign_tunes_the_allocator(
    identity_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A one-file sign is its own short-lived process: it asks malloc to reuse freed buffers.
    from provenance.sign import allocator

    calls: list[bool] = []
    monkeypatch.setattr(allocator, "reuse_freed_memory", lambda: calls.append(True) or True)
    out = tmp_path / "tuned.jpg"
    result = _sign(str(write_photo(tmp_path, name="raw.jpg")), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert calls == [True]
