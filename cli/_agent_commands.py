"""Running relayed ``provenance sign`` command lines inside the agent process.

The ``provenance`` launcher (:mod:`provenance_cli.launch`) sends ``sign``'s command
line to a running agent before it imports anything heavy
(:func:`provenance.sign.agent_wire.relay`).  The agent runs it here with the very
same typer command, so parsing, checks, messages and exit codes are those of
``provenance sign`` run anywhere else; only the signing itself goes to the agent's
warm workers (``cmd_sign.agent_here``), and what the command prints goes back to
the client as it is printed.

The agent serves one client at a time, so changing folder and redirecting the
standard streams for the length of one command is safe here (and only here).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import click

    from provenance.sign.agent import Emit, SignWave


class _Relayed(io.TextIOBase):
    """A text stream whose every write goes to the client at once."""

    def __init__(self, stream: str, emit: Emit) -> None:
        super().__init__()
        self._stream = stream
        self._emit = emit

    def write(self, text: str | bytes) -> int:  # type: ignore[override]
        # click writes bytes to a stream it cannot tell is text: take both.
        chunk = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        if chunk:
            self._emit(self._stream, chunk)
        return len(text)

    def isatty(self) -> bool:  # the client's terminal is not ours: plain output
        return False


@functools.cache
def _sign_command() -> click.Command:
    """``provenance`` with only its ``sign`` command, as click runs it, built once per agent."""
    import typer

    from provenance_cli.app import single_command_app

    return typer.main.get_command(single_command_app("sign"))


def run_relayed(argv: list[str], cwd: Path, emit: Emit, sign: SignWave) -> int:
    """Run ``provenance ARGV`` (``sign ...``) in ``cwd``, printing through ``emit``; the exit code."""
    from provenance_cli import cmd_sign

    out, errors = _Relayed("stdout", emit), _Relayed("stderr", emit)
    before = os.getcwd()
    code = 1
    try:
        os.chdir(cwd)
        # The workers keep the agent's own folder: they get absolute paths.
        cmd_sign.agent_here = lambda requests: sign([r.absolute() for r in requests])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(errors):
            code = _run_click(_sign_command(), argv, errors.write)
    except OSError as exc:
        emit("stderr", f"error: the agent cannot work in {cwd} ({exc.strerror}).\n")
    finally:
        cmd_sign.agent_here = None
        os.chdir(before)
    return code


def _run_click(command: click.Command, args: list[str], write: Callable[[str], int]) -> int:
    """Run a click command as the console script would; its exit code, never an exception."""
    try:
        command.main(args=args, prog_name="provenance", standalone_mode=True)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        write(f"{done.code}\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - the agent outlives any one command
        write(f"error: internal error in the agent ({type(exc).__name__}).\n")
        return 1
    return 0


def warm_up(emit: Emit) -> None:
    """Build the command and import what it needs, so the first relayed sign is fast."""
    run_relayed(["sign", "--help"], Path.cwd(), emit, lambda requests: iter(()))
