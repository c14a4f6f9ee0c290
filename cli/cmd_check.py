"""``provenance check``: gate a folder of submissions against a house policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provenance_cli._common import fail, plan_outputs, require_inputs, run


def check(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Images or folders (searched recursively).", show_default=False),
    ],
    policy: Annotated[
        Path, typer.Option("--policy", help="The house policy (TOML).", show_default=False)
    ],
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
    force: Annotated[
        bool, typer.Option("--force", help="Replace existing --csv/--json files.")
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
    require_inputs(paths)
    # Every output path is checked before a single file is verified.
    csv_plan, json_plan = plan_outputs(
        [(csv_out, "CSV file"), (json_out, "JSON file")],
        inputs=[*paths, policy, *(trust or ())],
        force=force,
    )

    def go() -> int:
        from provenance.identity.trust import anchors_pem
        from provenance_cli._batch_ui import run_check

        rules = load_policy(policy)
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
        return run_check(
            paths,
            rules,
            options,
            jobs=jobs,
            timeout_s=timeout,
            csv_plan=csv_plan,
            json_plan=json_plan,
        )

    raise typer.Exit(run(go))
