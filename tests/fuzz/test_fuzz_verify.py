"""Fuzzing verify and the renderers with mutated signed JPEG/PNG/WebP files (hypothesis).

Bounded for CI (FUZZ_EXAMPLES, default 60 per format).  A long run: ``python fuzz/run_long.py``
(see its docstring).  Crashes found are recorded under tests/regressions/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import SUFFIX, run_one, signed_bases
from tests.fuzz.mutate import OPS, apply

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))

mutation = st.tuples(st.sampled_from(OPS), st.integers(0, 1 << 24), st.integers(0, 1 << 32))


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, dev_identity) -> dict[str, bytes]:
    identity, _ = dev_identity
    return signed_bases(tmp_path_factory.mktemp("fuzz-src"), identity)


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_fuzz_mutated_signed_files(
    fmt: str, signed: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp(f"fuzz-{fmt}")
    base = signed[fmt]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(mutation, min_size=1, max_size=3))
    def check(mutations: list[tuple[str, int, int]]) -> None:
        run_one(apply(base, mutations), folder, SUFFIX[fmt])

    check()


def test_unmutated_bases_verify(signed: dict[str, bytes], tmp_path: Path) -> None:
    from provenance.models import Verdict

    for fmt, data in signed.items():
        assert run_one(data, tmp_path, SUFFIX[fmt]) is Verdict.VALID_UNTRUSTED
