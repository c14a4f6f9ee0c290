"""``provenance trust``: the roots that make a signer "trusted" on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from provenance_cli._common import err, fail, run

app = typer.Typer(
    help="Trust anchors: whose signatures you accept as identities.", no_args_is_help=True
)


@app.command("add")
def add(
    pem: Annotated[Path, typer.Argument(help="Root certificate(s), PEM; bundles are fine.")],
) -> None:
    """Trust the CA certificates in a PEM file (non-CA and expired ones are refused, with reasons)."""
    from provenance.config import home_dir
    from provenance.identity.trust import add_anchors

    def go() -> None:
        added, refused = add_anchors(home_dir(), pem)
        for anchor in added:
            err(f"trusted: {anchor.label}, until {anchor.not_after[:10]}, id {anchor.id}")
        for item in refused:
            err(f"refused: {item.label}: {item.reason}")
        if not added:
            fail("no certificate was added.", "A trust anchor must be a valid CA certificate.")

    run(go)


@app.command("list")
def list_(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """List the trust sources: the shipped lists (date, count) and your own roots."""
    from provenance.config import home_dir
    from provenance.identity.trust import list_anchors
    from provenance.identity.trust_sources import load_sources

    def go() -> None:
        home = home_dir()
        sources = load_sources(home)
        anchors = list_anchors(home)
        if fmt == "json":
            typer.echo(
                json.dumps(
                    {
                        "lists": [
                            {
                                "id": s.id,
                                "name": s.name,
                                "legacy": s.legacy,
                                "date": s.date,
                                "count": s.count,
                                "origin": s.origin,
                                "commit": s.commit,
                                "repository": s.repository,
                                "urls": [f.url for f in s.files],
                            }
                            for s in sources
                        ],
                        "anchors": [
                            {
                                "id": a.id,
                                "subject": a.subject,
                                "name": a.label,
                                "organization": a.organization,
                                "not_after": a.not_after,
                                "fingerprint_sha256": a.fingerprint_sha256,
                            }
                            for a in anchors
                        ],
                    },
                    indent=2,
                )
            )
            return
        for s in sources:
            where = "shipped snapshot" if s.origin == "shipped" else "updated copy"
            typer.echo(f"list {s.id:<9} {s.name}: {s.count} certificates, {where} of {s.date}")
        if not anchors:
            err("No anchors of your own. Add one with: provenance trust add ROOT.pem")
        for a in anchors:
            typer.echo(f"user {a.id}  {a.label}  (until {a.not_after[:10]})")

    run(go)


@app.command("update")
def update(
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=1.0, max=300.0, help="Seconds allowed for all downloads."),
    ] = 20.0,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--mirror", help="Fetch every list file from this base URL instead (a local mirror)."
        ),
    ] = None,
) -> None:
    """Download fresh copies of the C2PA, TSA and Interim trust lists (uses the network)."""
    from provenance.config import home_dir
    from provenance.identity.trust_update import update_lists

    def go() -> None:
        for item in update_lists(home_dir(), timeout=timeout, mirror=mirror):
            change = "updated" if item.changed else "unchanged"
            err(f"{item.id}: {item.name}: {change}, {item.count} certificates")

    run(go)


@app.command("remove")
def remove(anchor_id: Annotated[str, typer.Argument(help="The id shown by 'trust list'.")]) -> None:
    """Stop trusting a root."""
    from provenance.config import home_dir
    from provenance.identity.trust import remove_anchor

    def go() -> None:
        for a in remove_anchor(home_dir(), anchor_id):
            err(f"removed: {a.label}")

    run(go)
