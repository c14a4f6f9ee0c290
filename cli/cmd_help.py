"""``provenance help [TOPIC]``: the guides shipped in the package (works from a wheel)."""

from __future__ import annotations

from typing import Annotated

import typer

from provenance_cli._common import run


def help_topic(
    topic: Annotated[
        str | None,
        typer.Argument(help="policy, keys or recipe; none lists the topics.", show_default=False),
    ] = None,
) -> None:
    """Print a guide: an example house policy, signing identities, sign recipes."""
    from provenance.guides import TOPICS, guide
    from provenance_cli._common import fail

    if topic is not None and topic.strip().lower() not in TOPICS:
        fail(f"there is no help topic '{topic}'.", f"Topics: {', '.join(TOPICS)}.", code=2)
    if topic is None:
        for name, (_, what) in TOPICS.items():
            typer.echo(f"provenance help {name:<8} {what}")
        return
    typer.echo(run(lambda: guide(topic)), nl=False)
