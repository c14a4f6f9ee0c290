"""Recipes → SignRequests: defaults, relative paths, out_dir, and precise errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.models import TrainingPreference
from provenance.sign import EditKind
from provenance.sign.recipe import load_recipe, parse_recipe

TOML = """
[defaults]
ai_training = "constrained"
keep_location = true

[[files]]
source = "capture.jpg"
output = "signed/capture.jpg"

[[files]]
source = "edits/final.jpg"
output = "signed/final.jpg"
from = "signed/capture.jpg"
keep_location = false

[[files.edits]]
kind = "edit"
description = "Colour grade"

[[files.edits]]
kind = "ai_edit"
description = "Replaced the sky"
tool = "GenFill/2.1"
mask = "masks/sky.png"

[[files.edits]]
kind = "enhance"
description = "Denoise"
tool = "Denoiser"

[[files]]
source = "render.png"
output = "signed/render.png"
generated = true
tool = "ImageGen/4"
ai_training = "allowed"
"""


def test_toml_recipe(tmp_path: Path) -> None:
    recipe = tmp_path / "job" / "recipe.toml"
    recipe.parent.mkdir()
    recipe.write_text(TOML)
    capture, final, render = load_recipe(recipe)
    base = recipe.parent
    assert capture.source == base / "capture.jpg"
    assert capture.output == base / "signed/capture.jpg"
    assert capture.keep_location is True
    assert capture.training is TrainingPreference.CONSTRAINED
    assert capture.parent is None and capture.edits == ()

    assert final.parent == base / "signed/capture.jpg"
    assert final.keep_location is False  # the file overrides the default
    assert [e.kind for e in final.edits] == [EditKind.EDIT, EditKind.AI_EDIT, EditKind.ENHANCE]
    assert final.edits[1].tool == "GenFill/2.1"
    assert final.edits[1].mask == base / "masks/sky.png"
    assert final.edits[0].tool is None and final.edits[0].mask is None

    assert render.generated and render.generator_tool == "ImageGen/4"
    assert render.training is TrainingPreference.ALLOWED


def test_json_recipe_and_out_dir(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    recipe.write_text(
        json.dumps(
            {
                "files": [
                    {"source": "a.jpg", "output": "x/a.jpg"},
                    {"source": "/abs/b.jpg", "parent": "a-signed.jpg"},
                ]
            }
        )
    )
    out = tmp_path / "out"
    first, second = load_recipe(recipe, out_dir=out, training=None)
    assert first.output == out / "x/a.jpg"
    assert second.source == Path("/abs/b.jpg")
    assert second.output == out / "b.jpg"  # no output: the source's name in out_dir
    assert second.parent == tmp_path / "a-signed.jpg"  # inputs stay relative to the recipe
    assert first.training is None  # the caller's default applies


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"files": [{"source": "a.jpg", "output": "b.jpg", "keep_locaton": True}]},
            "'keep_locaton'",
        ),
        ({"defaults": {"colour": 1}, "files": [{"source": "a", "output": "b"}]}, "'colour'"),
        ({"files": [{"source": "a", "output": "b"}], "extra": 1}, "'extra'"),
        (
            {"files": [{"source": "a", "output": "b", "edits": [{"kind": "edit", "desc": "x"}]}]},
            "'desc'",
        ),
        ({"defaults": {"source": "a"}, "files": [{"source": "a", "output": "b"}]}, "'source'"),
        ({"files": []}, "no files"),
        ({"files": [{"output": "b"}]}, "'source' is missing"),
        ({"files": [{"source": "a"}]}, "'output' is missing"),
        ({"files": [{"source": "a", "output": "b", "generated": True}]}, "needs 'tool'"),
        (
            {
                "files": [
                    {"source": "a", "output": "b", "generated": True, "tool": "G", "from": "p"}
                ]
            },
            "no photographic parent",
        ),
        (
            {
                "files": [
                    {
                        "source": "a",
                        "output": "b",
                        "edits": [{"kind": "ai_edit", "description": "x"}],
                    }
                ]
            },
            "needs 'tool'",
        ),
        (
            {
                "files": [
                    {"source": "a", "output": "b", "edits": [{"kind": "paint", "description": "x"}]}
                ]
            },
            "'kind'",
        ),
        (
            {
                "files": [
                    {
                        "source": "a",
                        "output": "b",
                        "edits": [{"kind": "edit", "description": "x", "mask": "m.png"}],
                    }
                ]
            },
            "AI edits only",
        ),
        ({"files": [{"source": "a", "output": "b", "ai_training": "maybe"}]}, "ai_training"),
        ({"files": [{"source": "a", "output": "b", "keep_location": "yes"}]}, "true or false"),
        ({"files": [{"source": "a", "output": "b"}, {"source": "c", "output": "b"}]}, "used twice"),
        ({"files": [{"source": "a", "output": "b", "from": "p", "parent": "q"}]}, "not both"),
        ({"files": ["a.jpg"]}, "must be a table"),
    ],
)
def test_errors_name_the_problem(tmp_path: Path, data: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_recipe(data, base=tmp_path)
    assert message in info.value.message


def test_bad_syntax(tmp_path: Path) -> None:
    toml = tmp_path / "r.toml"
    toml.write_text("[[files]\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_recipe(toml)
    js = tmp_path / "r.json"
    js.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_recipe(js)
    with pytest.raises(InputError, match="Cannot open"):
        load_recipe(tmp_path / "missing.toml")


def test_chain_parent_follows_out_dir(tmp_path: Path) -> None:
    data = {
        "files": [
            {"source": "raw.jpg", "output": "capture.jpg"},
            {"source": "graded-raw.jpg", "output": "graded.jpg", "from": "capture.jpg"},
            {"source": "other.jpg", "output": "other-signed.jpg", "from": "elsewhere.jpg"},
        ]
    }
    out = tmp_path / "out"
    capture, graded, other = parse_recipe(data, base=tmp_path, out_dir=out)
    assert capture.output == out / "capture.jpg"
    assert graded.parent == out / "capture.jpg"  # the signed step, not a file beside the recipe
    assert other.parent == tmp_path / "elsewhere.jpg"
    (_, graded_here, _) = parse_recipe(data, base=tmp_path)
    assert graded_here.parent == tmp_path / "capture.jpg"


def test_conformance_and_sidecar_keys(tmp_path: Path) -> None:
    """all_actions_included, legacy_exif and sidecar (a sidecar needs no output)."""
    requests = parse_recipe(
        {
            "defaults": {"all_actions_included": True},
            "files": [
                {"source": "a.jpg", "output": "out/a.jpg", "legacy_exif": True},
                {"source": "b.jpg", "sidecar": True},
            ],
        },
        base=tmp_path,
    )
    first, second = requests
    assert first.all_actions_included and first.legacy_exif and not first.sidecar
    assert second.all_actions_included and second.sidecar and not second.legacy_exif
    assert second.output == second.source == tmp_path / "b.jpg"
    with pytest.raises(InputError, match="all_actions_included"):
        parse_recipe(
            {"files": [{"source": "a.jpg", "output": "o.jpg", "all_actions_included": "yes"}]},
            base=tmp_path,
        )
