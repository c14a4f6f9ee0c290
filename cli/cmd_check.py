"""``provenance check``: gate a folder of submissions against a house policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provenance_cli._common import fail, plan_outputs, require_inputs, run

POLICY_HINT = (
    "Print an example policy with: provenance check --example-policy > house.toml "
    "(or: provenance help policy)."
)


def _print_example_policy(value: bool) -> None:
    if value:
        from provenance.guides import guide

        typer.echo(guide("policy"), nl=False)
        raise typer.Exit(0)


def check(
    policy: Annotated[
        Path, typer.Option("--policy", help="The house policy (TOML).", show_default=False)
    ],
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Images, folders (searched recursively), glob patterns or URLs (s3://bucket/prefix/).",
            show_default=False,
        ),
    ] = None,
    inputs: Annotated[
        Path | None,
        typer.Option(
            "--inputs",
            help="A list of paths or URLs: one per line, or CSV with a 'path' column.",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Where to verify: local (processes) or dask.")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask scheduler address (tcp://HOST:PORT).", show_default=False
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Dask: workers of a local cluster (default: cores).",
            show_default=False,
        ),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust", help="A root certificate (PEM) to trust for this call. Repeatable."
        ),
    ] = None,
    no_trust_store: Annotated[
        bool, typer.Option("--no-trust-store", help="Ignore the anchors added with 'trust add'.")
    ] = False,
    no_trust_lists: Annotated[
        bool,
        typer.Option(
            "--no-trust-lists",
            help="Ignore the shipped C2PA, TSA and legacy Interim trust lists (own anchors only).",
        ),
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Worker processes (default: cores).")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds allowed to verify one file.")
    ] = 60.0,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write one row per file to this CSV file.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full reports to this JSON file.")
    ] = None,
    jsonl_out: Annotated[
        Path | None,
        typer.Option("--jsonl", help="Write the full reports as JSON Lines, one file per line."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Skip files already in the --csv/--jsonl file and append the rest."
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace existing --csv/--json files.")
    ] = False,
    example_policy: Annotated[
        bool,
        typer.Option(
            "--example-policy",
            callback=_print_example_policy,
            is_eager=True,
            help="Print an example house policy (TOML) and exit.",
        ),
    ] = False,
) -> None:
    """Verify every image and apply a policy. Exit 0 when all pass, 20 when any fails."""
    from provenance.config import home_dir, load_settings
    from provenance.verify import VerifyOptions
    from provenance.volume.policy import load_policy

    if jobs is not None and jobs < 1:
        fail("--jobs must be at least 1.", code=2)
    if timeout <= 0:
        fail("--timeout must be positive.", code=2)
    _check_engine_options(engine, jobs, scheduler, workers)
    if not paths and inputs is None:
        fail("give images, folders, patterns or URLs to check, or --inputs FILE.", code=2)
    if resume and csv_out is None and jsonl_out is None:
        fail("--resume needs --csv FILE or --jsonl FILE to resume from.", code=2)
    if resume and json_out is not None:
        fail("--resume cannot append to a --json list; use --jsonl with --resume.", code=2)
    local = _local_inputs(paths or ())
    require_inputs([*local, *([inputs] if inputs is not None else [])])
    # Every output path is checked before a single file is verified; --resume may
    # append to an existing CSV / JSON Lines file.
    csv_plan, json_plan = plan_outputs(
        [(csv_out, "CSV file"), (json_out, "JSON file")],
        inputs=[*local, policy, *(trust or ())],
        force=force or resume,
    )
    (jsonl_plan,) = plan_outputs(
        [(jsonl_out, "JSON Lines file")],
        inputs=[*local, policy, *(trust or ()), *(p for p in (csv_out, json_out) if p)],
        force=force or resume,
    )

    def go() -> int:
        from provenance.errors import PolicyError
        from provenance.identity.trust import anchors_pem
        from provenance_cli._batch_ui import run_check

        try:
            rules = load_policy(policy)
        except PolicyError as exc:
            raise PolicyError(exc.message, hint=exc.hint or POLICY_HINT) from exc
        home = home_dir()
        # Read the anchors once here so a bad --trust file is one clear error, not N.
        anchors_pem(None if no_trust_store else home, tuple(trust or ()))
        options = VerifyOptions(
            trust_files=tuple(trust or ()),
            home=home,
            use_trust_store=not no_trust_store,
            max_bytes=load_settings(home).max_file_bytes,
            trust_lists=frozenset() if no_trust_lists else None,
        )
        from provenance.volume.check import CheckRequest

        return run_check(
            CheckRequest(
                paths=tuple(paths or ()),
                inputs=inputs,
                policy=rules,
                options=options,
                engine=engine,
                jobs=jobs,
                scheduler=scheduler,
                workers=workers,
                timeout_s=timeout,
                csv_path=csv_plan,
                json_path=json_plan,
                jsonl_path=jsonl_plan,
                resume=resume,
            )
        )

    raise typer.Exit(run(go))


def _local_inputs(paths: tuple[str, ...] | list[str]) -> list[Path]:
    """The arguments that name local files or folders (not URLs, not glob patterns)."""
    from provenance.volume.sources import has_glob, is_url

    return [Path(p) for p in paths if not is_url(p) and not (has_glob(p) and not Path(p).exists())]


def _check_engine_options(
    engine: str, jobs: int | None, scheduler: str | None, workers: int | None
) -> None:
    """Usage errors (exit 2) for engine options that do not fit together."""
    if engine not in ("local", "dask"):
        fail(f"unknown --engine {engine!r}; use local or dask.", code=2)
    if engine == "local" and (scheduler is not None or workers is not None):
        fail("--scheduler and --workers are for --engine dask (use --jobs locally).", code=2)
    if engine == "dask" and jobs is not None:
        fail("--jobs is for --engine local; with dask use --workers or --scheduler.", code=2)
    if scheduler is not None and workers is not None:
        fail("give --scheduler (an existing cluster) or --workers (a local one), not both.", code=2)
    if workers is not None and workers < 1:
        fail("--workers must be at least 1.", code=2)
