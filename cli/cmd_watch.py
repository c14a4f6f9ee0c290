"""``provenance watch IN_DIR --out-dir OUT``: tethered capture, each frame signed as it lands.

The key is unlocked once for the session and signing stays warm (a worker forked
from this process; a crash costs one frame).  Ctrl-C finishes the frame in
progress, then stops; running the command again resumes (frames already signed
and verified are skipped).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provenance_cli._common import err, fail, passphrase, run

if TYPE_CHECKING:
    from provenance.sign.watch import WatchEvent


def _read_parent_map(path: Path) -> dict[str, Path]:
    """``name,parent`` lines (a header row is fine); parents relative to the map's folder."""
    parents: dict[str, Path] = {}
    try:
        with path.open(newline="") as handle:
            for row in csv.reader(handle):
                if len(row) < 2 or not row[0].strip() or row[0].strip().lower() == "name":
                    continue
                parent = Path(row[1].strip())
                parents[row[0].strip()] = parent if parent.is_absolute() else path.parent / parent
    except OSError as exc:
        fail(f"cannot read --from-map {path} ({exc.strerror}).", code=2)
    return parents


def watch(
    in_dir: Annotated[Path, typer.Argument(help="The folder the tethering software writes to.")],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where signed frames go.")],
    from_map: Annotated[
        Path | None,
        typer.Option("--from-map", help="CSV of name,parent: frames edited from a parent."),
    ] = None,
    recipe: Annotated[
        Path | None,
        typer.Option(
            "--recipe", help="Recipe whose defaults (and per-name entries) apply to frames."
        ),
    ] = None,
    edit: Annotated[
        list[str] | None, typer.Option("--edit", help="A hand edit applied to every frame.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing outputs.")] = False,
    poll: Annotated[
        bool, typer.Option("--poll", help="Poll the folder instead of using inotify.")
    ] = False,
) -> None:
    """Sign each new image in IN_DIR once it is completely written (Ctrl-C to stop)."""
    import signal
    import sys

    from provenance.config import home_dir, load_settings
    from provenance.identity.keys import prepare_unlock
    from provenance.sign.request import EditKind, EditSpec, SignRequest

    if not in_dir.is_dir():
        fail(f"{in_dir} is not a folder.", code=2)
    if out_dir.resolve() == in_dir.resolve() or in_dir.resolve() in out_dir.resolve().parents:
        fail(
            "--out-dir must be outside the watched folder (its outputs would be signed again).",
            code=2,
        )
    if recipe is not None and (edit or from_map is not None):
        fail(
            "with --recipe, put edits and parents in the recipe (not --edit / --from-map).", code=2
        )
    parents = _read_parent_map(from_map) if from_map is not None else {}
    edits = tuple(EditSpec(EditKind.EDIT, text) for text in edit or [])

    def go() -> None:
        from provenance.sign.recipe import load_frame_recipe
        from provenance.sign.warm import WarmPool
        from provenance.sign.watch import WatchEventKind, watch_folder

        home = home_dir()
        settings = load_settings(home)
        prepare_unlock(home, b"")  # no identity or an unsafe key: say so before any prompt
        identity = prepare_unlock(home, passphrase())()
        out_dir.mkdir(parents=True, exist_ok=True)
        stop = {"asked": False}

        def ask_stop(_signum: int, _frame: object) -> None:
            if stop["asked"]:
                raise KeyboardInterrupt
            stop["asked"] = True
            err("stopping after the frame in progress (Ctrl-C again to abort)")

        previous = signal.signal(signal.SIGINT, ask_stop)
        signal.signal(signal.SIGTERM, ask_stop)

        from_recipe = (
            load_frame_recipe(recipe, out_dir=out_dir, training=settings.training)
            if recipe is not None
            else None
        )

        def request_for(path: Path) -> SignRequest:
            if from_recipe is not None:
                from dataclasses import replace

                return replace(
                    from_recipe(path),
                    tsa_url=settings.tsa_url,
                    force=force,
                    max_bytes=settings.max_file_bytes,
                    max_pixels=settings.max_pixels,
                )
            return SignRequest(
                source=path,
                output=out_dir / path.name,
                parent=parents.get(path.name),
                edits=edits,
                training=settings.training,
                tsa_url=settings.tsa_url,
                force=force,
                max_bytes=settings.max_file_bytes,
                max_pixels=settings.max_pixels,
            )

        counts = {"signed": 0, "skipped": 0, "failed": 0}

        def show(event: WatchEvent) -> None:
            from provenance.sanitize import safe_filename_display

            counts[event.kind.value] += 1
            name = safe_filename_display(event.source.name)
            if event.kind is WatchEventKind.SIGNED:
                err(f"signed: {name} ({event.latency_s:.2f} s after it was written)")
            elif event.kind is WatchEventKind.SKIPPED:
                err(f"skipped: {name} (already signed and verified)")
            else:
                err(f"error: {name}: {event.message}")

        if sys.stderr.isatty():
            err(f"watching {safe_name(in_dir)} -> {safe_name(out_dir)} (Ctrl-C to stop)")
        else:
            err(f"watching {safe_name(in_dir)} -> {safe_name(out_dir)}")
        try:
            with WarmPool(identity, jobs=1) as pool:
                watch_folder(
                    in_dir,
                    request_for,
                    pool,
                    show,
                    lambda: stop["asked"],
                    use_inotify=not poll,
                    signer=(identity.name, identity.organization),
                )
        finally:
            signal.signal(signal.SIGINT, previous)
        err(
            f"stopped: {counts['signed']} signed, {counts['skipped']} already done, "
            f"{counts['failed']} failed"
        )
        if counts["failed"]:
            raise typer.Exit(1)

    run(go)


def safe_name(path: Path) -> str:
    """A path as it may be shown on a terminal (hostile names made inert)."""
    from provenance.sanitize import safe_filename_display

    return safe_filename_display(str(path))
