"""What every command shares: error reporting, exit codes, passphrases, consoles.

Users see one clear sentence and what to do, on stderr; never a traceback, never
locals or secrets.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from provenance.outputs import OutputPlan

T = TypeVar("T")

EXIT_INTERNAL = 1
EXIT_USAGE = 2


def wrap(message: str, *, stream: object = None) -> str:
    """``message`` wrapped at word boundaries to the terminal's width, when it is a terminal.

    Piped output (scripts, logs, CI) keeps each message on one line so it can be
    searched whole; paths and URLs are never broken (no long-word breaking), and
    continuation lines keep the message's own indentation.
    """
    target = stream if stream is not None else sys.stderr
    if not getattr(target, "isatty", lambda: False)():
        return message
    import textwrap

    width = terminal_width()
    indent = message[: len(message) - len(message.lstrip())]
    lead = indent + ("  " if message.lstrip().startswith(("error:", "hint:", "warning:")) else "")
    return (
        textwrap.fill(
            message,
            width=width,
            subsequent_indent=lead if len(lead) < width // 2 else "",
            break_long_words=False,
            break_on_hyphens=False,
        )
        or message
    )


def err(message: str) -> None:
    """One message to stderr, made inert: file names and manifest text in it cannot drive
    the terminal; wrapped at word boundaries on a terminal (whole lines when piped)."""
    from provenance.sanitize import printable_line

    typer.echo(wrap(printable_line(message)), err=True)


def say(message: str) -> None:
    """One message to stdout, wrapped at word boundaries on a terminal."""
    from provenance.sanitize import printable_line

    typer.echo(wrap(printable_line(message), stream=sys.stdout))


def fail(message: str, hint: str | None = None, code: int = EXIT_INTERNAL) -> NoReturn:
    """Report an error on stderr and exit."""
    err(f"error: {message}")
    if hint:
        err(f"hint: {hint}")
    raise typer.Exit(code)


@contextmanager
def guarded() -> Iterator[None]:
    """Turn library errors into a message and exit 1; unexpected ones too, without locals."""
    from provenance.errors import ProvenanceError

    try:
        yield
    except typer.Exit:
        raise
    except ProvenanceError as exc:
        fail(exc.message, exc.hint)
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence before a traceback
        fail(
            f"internal error ({type(exc).__name__}). This is a bug in provenance.",
            "Please report it with the command you ran (not your key or passphrase).",
        )


def require_inputs(paths: Iterable[Path]) -> None:
    """A path that does not exist is a usage error (exit 2), reported before any work."""
    for path in paths:
        if not os.path.lexists(path):
            fail(
                f"no such file: {path} does not exist.",
                "Check the path (relative paths start from the current folder).",
                code=EXIT_USAGE,
            )


def plan_outputs(
    wanted: Iterable[tuple[Path | None, str]], *, inputs: Iterable[Path] = (), force: bool = False
) -> list[OutputPlan | None]:
    """Check every output path (``-o``, ``--csv``, ``--json``) before any work starts.

    A missing or read-only folder, an existing file without ``--force``, an output
    that is one of the inputs, or two outputs on one path: one sentence, exit 2.
    """
    from provenance.errors import ProvenanceError
    from provenance.outputs import plan_output

    sources = tuple(inputs)
    plans: list[OutputPlan | None] = []
    seen: dict[str, str] = {}
    for path, what in wanted:
        if path is None:
            plans.append(None)
            continue
        key = os.path.abspath(path)
        if key in seen:
            fail(f"the {what} and the {seen[key]} are the same file ({path}).", code=EXIT_USAGE)
        seen[key] = what
        try:
            plans.append(plan_output(path, inputs=sources, force=force, what=what))
        except ProvenanceError as exc:
            fail(exc.message, exc.hint, code=EXIT_USAGE)
    return plans


def run(fn: Callable[[], T]) -> T:
    """Call ``fn`` under :func:`guarded`."""
    with guarded():
        return fn()
    raise AssertionError("unreachable")  # pragma: no cover


def secret(env: str, prompt: str, missing: str, *, confirm: bool = False) -> bytes:
    """A secret from environment variable ``env``, or a hidden prompt on a terminal.

    Without either (a script, CI) it fails with ``missing`` and says which variable to set.
    """
    value = os.environ.get(env)
    if value:
        return value.encode("utf-8")
    if not sys.stdin.isatty():
        fail(missing, f"Set {env}, or run the command in a terminal to type it.")
    typed = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return str(typed).encode("utf-8")


def passphrase(*, confirm: bool = False) -> bytes:
    """The signing key's passphrase (PROVENANCE_KEY_PASSPHRASE or a prompt)."""
    from provenance.config import PASSPHRASE_ENV

    return secret(
        PASSPHRASE_ENV, "Key passphrase", "no passphrase for the signing key.", confirm=confirm
    )


def use_color() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def terminal_width() -> int:
    """Width to lay text out for: the terminal's, or 100 when piped."""
    import shutil

    return max(40, min(160, shutil.get_terminal_size((100, 24)).columns))
