"""Start-up stays light: ``--help`` and ``--version`` never import c2pa, numpy or Pillow.

Each command imports what it needs when it runs (cli/app.py).  This is a
correctness test, not a timing one: it runs the app in a fresh interpreter and
looks at ``sys.modules`` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


#: Loaded by a plain `verify` only at a measured cost: pydantic came with typer 0.29
#: (+0.08 s per run), cryptography is needed only for --trust files, keys only to sign.
NOT_FOR_VERIFY = ("pydantic", "cryptography", "numpy", "provenance.identity.keys")


def _entry_point(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real console entry point (``main``), in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "provenance_cli.app", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def test_verify_json_through_the_entry_point_is_complete(photo: Path, home: Path) -> None:
    """The entry point ends the process without interpreter teardown (cli/app.py):
    the report must still arrive whole, with the verdict's exit code."""
    import os

    proc = _entry_point(
        "verify", "--format", "json", str(photo), env={**os.environ, "PROVENANCE_HOME": str(home)}
    )
    assert proc.returncode == 12, proc.stderr  # an unsigned photo: no credentials
    assert json.loads(proc.stdout)["verdict"] == "no_credentials"


def test_plain_verify_loads_no_pydantic_cryptography_numpy_or_keys(photo: Path, home: Path) -> None:
    import os

    script = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from provenance_cli.app import app\n"
        "result = CliRunner().invoke(app, ['verify', '--format', 'json', sys.argv[1]])\n"
        "print(json.dumps([result.exit_code,"
        " sorted((set(sys.modules) | {m.split('.')[0] for m in sys.modules})"
        " & set(sys.argv[2:]))]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(photo), *NOT_FOR_VERIFY],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PROVENANCE_HOME": str(home)},
    )
    exit_code, loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert exit_code == 12
    assert loaded == [], f"verify loaded {loaded}"


def test_usage_errors_keep_their_exit_code_through_the_entry_point(home: Path) -> None:
    import os

    proc = _entry_point("sign", env={**os.environ, "PROVENANCE_HOME": str(home)})
    assert proc.returncode == 2
    assert "give the images to sign" in proc.stderr


def test_the_launchers_relay_path_imports_no_typer_and_no_value_types(tmp_path: Path) -> None:
    """``provenance sign`` with an agent must start in hundredths of a second (docs/agent.md).

    With no agent answering, the relay gives up and the CLI runs; this checks what the
    relay attempt itself imported, before that.
    """
    script = (
        "import sys; from provenance_cli import launch; "
        "launch._relay(['sign', 'x.jpg']); "
        "print(sorted(m for m in sys.modules if m.startswith(('provenance', 'typer', 'click', "
        "'rich')) or m.split('.')[0] in ('c2pa', 'numpy', 'PIL', 'cryptography')))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PROVENANCE_HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.replace("'", '"')))
    assert loaded <= {
        "provenance",
        "provenance.errors",
        "provenance.homedir",
        "provenance.sign",
        "provenance.sign.agent_wire",
        "provenance_cli",
        "provenance_cli.launch",
    }, sorted(loaded)


@pytest.mark.parametrize(
    ("argv", "relayed"),
    [
        (["sign", "a.jpg"], True),
        (["sign", "a.jpg", "--from", "b.jpg", "--ai-edit", "sky"], True),
        (["sign", "--no-agent", "a.jpg"], False),
        (["sign", "-h"], False),
        (["sign", "--", "--help"], True),  # a file named --help
        (["verify", "a.jpg"], False),
        ([], False),
    ],
)
def test_which_command_lines_the_launcher_relays(argv: list[str], relayed: bool) -> None:
    from provenance_cli.launch import _relayable

    assert _relayable(argv) is relayed
