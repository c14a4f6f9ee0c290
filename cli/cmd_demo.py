"""``provenance demo``: the whole idea, working, with no set-up and no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provenance_cli._common import fail, run, say, terminal_width, use_color


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

    if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        fail(
            f"--keep needs a new or empty folder; {keep} is not.",
            "Give a folder that does not exist yet: the demo creates it.",
            code=2,
        )

    def go() -> None:
        if keep is not None:
            from provenance.outputs import make_folder

            make_folder(keep)
            steps = run_demo(keep)
            _show(steps, kept=True)
            say(f"The demo files are in {keep}:")
            for path in sorted(keep.iterdir()):
                say(f"  {path.name}")
            return
        import tempfile  # here, not at the top: it imports random, which no other command needs

        with tempfile.TemporaryDirectory(prefix="provenance-demo-") as tmp:
            _show(run_demo(Path(tmp)), kept=False)
        say(
            "The demo files were in a temporary folder, deleted now; "
            "keep them with: provenance demo --keep DIR"
        )

    def _show(steps: list, *, kept: bool) -> None:  # type: ignore[type-arg]
        from dataclasses import replace

        renderer = renderer_for("text", color=use_color(), width=terminal_width())
        for index, step in enumerate(steps, 1):
            typer.echo(f"{index}. {step.label}")
            # Never a path inside a folder that is deleted when the demo ends.
            report = step.report if kept else replace(step.report, file=step.path.name)
            typer.echo(renderer.render([report]))
        say(
            "The demo identity's root was trusted for this run only. "
            "Next: provenance keys init --name 'Your Name' --org 'Your Studio'"
        )

    run(go)
