"""Recipe and policy inputs the coverage-guided fuzzer (fuzz/atheris_fuzz.py parsers) broke."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.errors import ProvenanceError
from provenance.sign.recipe import load_recipe

HERE = Path(__file__).parent
CASES = sorted(HERE.glob("recipe-*.toml"))


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_recipe_case_raises_only_our_errors(path: Path, tmp_path: Path) -> None:
    # recipe-unknown-user.toml: source = "~otAllowed" made pathlib raise RuntimeError.
    try:
        load_recipe(path, out_dir=tmp_path / "out")
    except ProvenanceError:
        pass
