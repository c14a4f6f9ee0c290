"""The root ``provenance`` command.  Sub-commands live in their own modules.

Importing this module must stay cheap: ``provenance --help`` and ``--version``
never import c2pa, numpy or Pillow (each command imports what it needs).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from provenance import __version__
from provenance_cli import (
    cmd_agent,
    cmd_check,
    cmd_demo,
    cmd_help,
    cmd_keys,
    cmd_serve,
    cmd_sign,
    cmd_trust,
    cmd_verify,
    cmd_watch,
)


def _new_app() -> typer.Typer:
    application = typer.Typer(
        name="provenance",
        help=(
            "Honest, verifiable disclosure for photographs (C2PA Content Credentials).\n\n"
            "Verdict exit codes for verify: 0 trusted, 10 intact but signer not trusted, "
            "11 invalid, 12 no credentials, 13 unreadable."
        ),
        no_args_is_help=True,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
    )
    application.callback()(root)
    return application


def _version(value: bool) -> None:
    if value:
        from provenance.versions import versions_line

        typer.echo(f"provenance {__version__} ({versions_line()})")
        raise typer.Exit(0)


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Show the version (and the c2pa-python / c2pa-rs versions) and exit.",
        ),
    ] = False,
) -> None:
    """Sign photographs with Content Credentials, and verify what is real."""


#: Sub-commands in the order ``--help`` lists them.
COMMANDS: dict[str, Callable[..., None] | typer.Typer] = {
    "demo": cmd_demo.demo,
    "sign": cmd_sign.sign,
    "verify": cmd_verify.verify,
    "check": cmd_check.check,
    "keys": cmd_keys.app,
    "trust": cmd_trust.app,
    "agent": cmd_agent.app,
    "watch": cmd_watch.watch,
    "serve": cmd_serve.serve,
    "help": cmd_help.help_topic,
}


def _add(application: typer.Typer, name: str) -> None:
    command = COMMANDS[name]
    if isinstance(command, typer.Typer):
        application.add_typer(command, name=name)
    else:
        application.command(name)(command)


def single_command_app(name: str) -> typer.Typer:
    """``provenance`` with only the command ``name``: the same parsing, help and errors."""
    only = _new_app()
    _add(only, name)
    return only


app = _new_app()
for _name in COMMANDS:
    _add(app, _name)


def main() -> None:
    """Console-script entry point.

    Typer turns every registered command into a click command on each run,
    inspecting all their signatures (~0.02 s).  When the first argument names a
    command, only that one is built: its parsing, help and errors are the same.

    When the command has finished, the process ends without tearing the
    interpreter down: unloading ~500 modules (c2pa's among them) costs 0.02-0.04 s
    per run, measured, and a publisher verifies thousands of files.  Everything
    the commands write is closed (and fsynced) before they return; the standard
    streams are flushed here.
    """
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if wanted in COMMANDS:
            single_command_app(wanted)()
        else:
            app()
    except SystemExit as done:
        code = done.code
        if code is not None and not isinstance(code, int):
            raise  # a message to print: let Python do it
        _exit_now(code or 0)


def _exit_now(code: int) -> None:
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
