"""The root ``provenance`` command.  Sub-commands live in their own modules.

Importing this module must stay cheap: ``provenance --help`` and ``--version``
never import c2pa, numpy or Pillow (each command imports what it needs).
"""

from __future__ import annotations

from typing import Annotated

import typer

from provenance import __version__
from provenance_cli import cmd_check, cmd_demo, cmd_keys, cmd_sign, cmd_trust, cmd_verify

app = typer.Typer(
    name="provenance",
    help=(
        "Honest, verifiable disclosure for photographs (C2PA Content Credentials).\n\n"
        "Verdict exit codes for verify: 0 trusted, 10 intact but signer not trusted, "
        "11 invalid, 12 no credentials, 13 unreadable."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"provenance {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Sign photographs with Content Credentials, and verify what is real."""


app.command("demo")(cmd_demo.demo)
app.command("sign")(cmd_sign.sign)
app.command("verify")(cmd_verify.verify)
app.command("check")(cmd_check.check)
app.add_typer(cmd_keys.app, name="keys")
app.add_typer(cmd_trust.app, name="trust")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
