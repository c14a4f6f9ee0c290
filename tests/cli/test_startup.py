"""Start-up stays light: ``--help`` and ``--version`` never import c2pa, numpy or Pillow.

Each command imports what it needs when it runs (cli/app.py).  This is a
correctness test, not a timing one: it runs the app in a fresh interpreter and
looks at ``sys.modules`` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("c2pa", "numpy", "PIL")

SCRIPT = """
import json, sys
from typer.testing import CliRunner
from provenance_cli.app import app

args = sys.argv[1:]
result = CliRunner().invoke(app, args)
print(json.dumps({
    "exit_code": result.exit_code,
    "output": result.output,
    "heavy": sorted({m.split(".")[0] for m in sys.modules} & {"c2pa", "numpy", "PIL"}),
}))
"""


def _run(*args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_app_is_light() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, provenance, provenance_cli.app; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:])))",
            *HEAVY,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--help",),
        ("sign", "--help"),
        ("verify", "--help"),
        ("keys", "--help"),
        ("trust", "--help"),
    ],
)
def test_help_and_version_do_not_import_heavy_modules(args: tuple[str, ...]) -> None:
    result = _run(*args)
    assert result["exit_code"] == 0, result["output"]
    assert result["heavy"] == [], f"{' '.join(args)} imported {result['heavy']}"


def test_version_prints_the_version() -> None:
    from provenance import __version__

    result = _run("--version")
    assert f"provenance {__version__}" in str(result["output"])
