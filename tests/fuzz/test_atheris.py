"""A short, bounded coverage-guided fuzz run (atheris) of verify + renderers and the parsers.

The long run is documented in docs/security.md; this one only proves the targets
run and find nothing in a few seconds (libFuzzer exits non-zero on a finding and
saves the input, which is shown here).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "fuzz" / "atheris_fuzz.py"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is not installed (pip install -e '.[test]' on Linux, Python < 3.13)",
)


@pytest.mark.parametrize(("target", "runs", "seconds"), [("parsers", 200, 6), ("verify", 30, 10)])
def test_bounded_fuzz_run_finds_nothing(
    tmp_path: Path, target: str, runs: int, seconds: int
) -> None:
    corpus = tmp_path / "corpus"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            target,
            f"-runs={runs}",
            f"-max_total_time={seconds}",
            "-timeout=20",
            "-seed=1",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    found = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-")))
    assert result.returncode == 0 and not found, (found, result.stderr[-3000:])
    assert "Done" in result.stderr or "DONE" in result.stderr
