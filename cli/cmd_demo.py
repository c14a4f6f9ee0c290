"""``provenance demo``: the whole idea, working, with no set-up and no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provenance_cli._common import err, run, terminal_width, use_color


def demo(
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep", help="Write the demo files into this (new or empty) folder and keep them."
        ),
    ] = None,
) -> None:
    """Sign a sample photo, sign an AI-edited version of it, tamper with a copy, verify all three."""
    from provenance.demo import run_demo
    from provenance.report import renderer_for

    def go() -> None:
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            steps = run_demo(keep)
            _show(steps)
            err(f"demo files kept in {keep}")
            return
        import tempfile  # here, not at the top: it imports random, which no other command needs

        with tempfile.TemporaryDirectory(prefix="provenance-demo-") as tmp:
            _show(run_demo(Path(tmp)))

    def _show(steps: list) -> None:  # type: ignore[type-arg]
        renderer = renderer_for("text", color=use_color(), width=terminal_width())
        for index, step in enumerate(steps, 1):
            typer.echo(f"{index}. {step.label}")
            typer.echo(renderer.render([step.report]))
        typer.echo(
            "The demo identity's root was trusted for this run only. "
            "Next: provenance keys init --name 'Your Name' --org 'Your Studio'"
        )

    run(go)
