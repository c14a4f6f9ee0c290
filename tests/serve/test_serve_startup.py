"""The server stack loads for ``provenance serve`` only: no other command pays for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SERVER_STACK = ("starlette", "uvicorn", "jinja2", "python_multipart", "anyio", "httpx")
HEAVY = ("c2pa", "numpy", "PIL")

SCRIPT = """
import json, sys
from typer.testing import CliRunner
from provenance_cli.app import app
result = CliRunner().invoke(app, sys.argv[2:])
wanted = set(json.loads(sys.argv[1]))
print(json.dumps([result.exit_code, sorted({m.split(".")[0] for m in sys.modules} & wanted)]))
"""


def _loaded(
    *args: str, watch: tuple[str, ...], env: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(watch), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr
    code, loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(code), list(loaded)


@pytest.mark.parametrize("args", [("--help",), ("verify", "--help"), ("check", "--help")])
def test_other_commands_do_not_load_the_server_stack(args: tuple[str, ...]) -> None:
    code, loaded = _loaded(*args, watch=SERVER_STACK)
    assert code == 0
    assert loaded == [], f"{' '.join(args)} loaded {loaded}"


def test_plain_verify_does_not_load_the_server_stack(photo: Path, home: Path) -> None:
    code, loaded = _loaded(
        "verify",
        "--format",
        "json",
        str(photo),
        watch=SERVER_STACK,
        env={"PROVENANCE_HOME": str(home)},
    )
    assert code == 12
    assert loaded == []


def test_serve_help_is_light() -> None:
    code, loaded = _loaded("serve", "--help", watch=SERVER_STACK + HEAVY)
    assert code == 0
    assert loaded == []
