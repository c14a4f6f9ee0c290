"""Recipe keys for hybrid images: components and ai_inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.sign.recipe import parse_recipe


def test_components_and_ai_inputs_become_request_values(tmp_path: Path) -> None:
    data = {
        "files": [
            {
                "source": "final.jpg",
                "output": "out.jpg",
                "from": "capture.jpg",
                "components": [
                    {"file": "sky.jpg", "label": "sky"},
                    {"file": "lamp.png", "label": "prop", "mask": "lamp_mask.png"},
                    {"file": "x.jpg", "mask": "measured"},
                ],
                "ai_inputs": ["mood.jpg"],
            }
        ]
    }
    (request,) = parse_recipe(data, base=tmp_path, out_dir=None, name="r.toml")
    sky, prop, x = request.components
    assert sky.path == tmp_path / "sky.jpg" and sky.label == "sky" and sky.mask is None
    assert prop.mask == tmp_path / "lamp_mask.png"
    assert x.mask is None and x.label is None
    assert request.ai_inputs == (tmp_path / "mood.jpg",)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"source": "a.jpg", "output": "b.jpg", "components": [{"file": "s.jpg"}]}, "'from'"),
        (
            {"source": "a.jpg", "output": "b.jpg", "from": "p.jpg", "components": [{"label": "x"}]},
            "'file'",
        ),
        (
            {
                "source": "a.jpg",
                "output": "b.jpg",
                "from": "p.jpg",
                "components": [{"file": "s", "z": 1}],
            },
            "z",
        ),
        ({"source": "a.jpg", "output": "b.jpg", "ai_inputs": "m.jpg"}, "ai_inputs"),
    ],
)
def test_bad_component_keys_are_refused(
    tmp_path: Path, entry: dict[str, object], words: str
) -> None:
    with pytest.raises(InputError, match=words):
        parse_recipe({"files": [entry]}, base=tmp_path, out_dir=None, name="r.toml")


def test_components_are_per_file_only(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        parse_recipe(
            {"defaults": {"components": []}, "files": [{"source": "a.jpg", "output": "b.jpg"}]},
            base=tmp_path,
            out_dir=None,
            name="r.toml",
        )
