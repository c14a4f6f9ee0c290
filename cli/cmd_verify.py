"""``provenance verify``: check files and print the "what's real" report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provenance_cli._common import (
    fail,
    plan_outputs,
    require_inputs,
    run,
    terminal_width,
    use_color,
)


def verify(
    files: Annotated[list[Path], typer.Argument(help="Images to verify.", show_default=False)],
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust", help="A root certificate (PEM) to trust for this call. Repeatable."
        ),
    ] = None,
    sidecar: Annotated[
        Path | None,
        typer.Option(
            "--sidecar",
            help="A detached manifest (.c2pa) for the file. Without it, FILE.c2pa beside a "
            "file that has no embedded credentials is used, and the report says so.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or html.")] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="UNSAFE for privacy: fetch credentials stored at a URL the file names.",
        ),
    ] = False,
    remote_timeout: Annotated[
        float,
        typer.Option(
            "--remote-timeout",
            min=0.5,
            max=120.0,
            help="Seconds allowed for fetching a remote manifest with --allow-remote.",
        ),
    ] = 10.0,
    no_trust_store: Annotated[
        bool, typer.Option("--no-trust-store", help="Ignore the anchors added with 'trust add'.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the verdict line per file.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing report file (-o).")
    ] = False,
    no_trust_lists: Annotated[
        bool,
        typer.Option(
            "--no-trust-lists",
            help="Ignore the shipped C2PA, TSA and legacy Interim trust lists (own anchors only).",
        ),
    ] = False,
    trust_list: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-list",
            help="Use only these shipped lists: c2pa, c2pa-tsa, itl. Repeatable.",
        ),
    ] = None,
    check_revocation: Annotated[
        bool,
        typer.Option(
            "--check-revocation",
            help="Ask the signer's OCSP responder whether the certificate was revoked (network).",
        ),
    ] = False,
) -> None:
    """Verify Content Credentials. Exit code: the worst verdict (0 trusted ... 13 unreadable)."""
    from provenance.config import home_dir
    from provenance.models import worst_verdict
    from provenance.report import FORMATS, renderer_for
    from provenance.verify import VerifyOptions, verify_file

    if fmt not in FORMATS:
        fail(f"unknown format '{fmt}'.", f"Choose one of: {', '.join(FORMATS)}.", code=2)
    if sidecar is not None and len(files) != 1:
        fail("--sidecar goes with exactly one file.", code=2)
    from provenance.identity.trust_lists import LIST_SOURCES

    unknown = sorted(set(trust_list or ()) - set(LIST_SOURCES))
    if unknown:
        fail(
            f"unknown trust list '{unknown[0]}'.",
            f"Choose from: {', '.join(LIST_SOURCES)}.",
            code=2,
        )
    lists = frozenset() if no_trust_lists else (frozenset(trust_list) if trust_list else None)
    require_inputs(files)
    inputs = [*files, *(trust or ()), *([sidecar] if sidecar else [])]
    (report_plan,) = plan_outputs([(output, "report")], inputs=inputs, force=force)

    def go() -> int:
        if allow_remote:
            typer.echo(
                "warning: --allow-remote lets files make this computer contact addresses they choose.",
                err=True,
            )
        options = VerifyOptions(
            trust_files=tuple(trust or ()),
            home=home_dir(),
            use_trust_store=not no_trust_store,
            allow_remote=allow_remote,
            remote_timeout=remote_timeout,
            sidecar=sidecar,
            trust_lists=lists,
            check_revocation=check_revocation,
            # Thumbnails feed the HTML pictures and the declared-vs-observed check
            # (JSON ai.observed_area_fraction); only the verdict-line mode can skip them.
            want_thumbnails=not (quiet and fmt == "text"),
        )
        reports = [verify_file(path, options) for path in files]
        renderer = renderer_for(
            fmt, color=use_color() and output is None, width=terminal_width(), quiet=quiet
        )
        text = renderer.render(reports)
        if report_plan is not None:
            from provenance.outputs import write_output

            write_output(report_plan, text.encode("utf-8"))
        else:
            typer.echo(text, nl=False)
        return worst_verdict([r.verdict for r in reports]).exit_code

    code = run(go)
    raise typer.Exit(code)
