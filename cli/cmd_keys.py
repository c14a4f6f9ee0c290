"""``provenance keys``: the signing identity."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from provenance_cli._common import err, passphrase, run

app = typer.Typer(help="Your signing identity: create, inspect, import.", no_args_is_help=True)


def _info_dict(info: object) -> dict[str, object]:
    from dataclasses import asdict

    data = asdict(info)  # type: ignore[call-overload]
    return {
        k: (
            str(v)
            if v is not None and k in ("root_certificate", "certificate_chain", "key_file")
            else v
        )
        for k, v in data.items()
    }


@app.command("init")
def init(
    name: Annotated[str, typer.Option("--name", help="Your name, as the signer's common name.")],
    org: Annotated[
        str, typer.Option("--org", help="Your studio or organization: readers show this.")
    ],
    email: Annotated[
        str | None, typer.Option("--email", help="Contact e-mail in the certificate.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing identity.")] = False,
) -> None:
    """Create a development identity: a local root CA and a signing certificate, key encrypted."""
    from provenance.config import home_dir
    from provenance.keys import init_identity

    def go() -> None:
        info = init_identity(
            home_dir(), name, org, passphrase(confirm=True), email=email, force=force
        )
        err(f"Created a development identity for {info.name} ({info.organization}).")
        err(f"  key (encrypted, owner-only): {info.key_file}")
        err(f"  certificate chain:           {info.certificate_chain}")
        err(f"  root certificate:            {info.root_certificate}")
        err("Others see your files as 'intact, signer not trusted' unless they trust this root:")
        err(f"  provenance trust add {info.root_certificate}")
        err(
            "For identities others can trust without that step, see keys/README.md (keys csr / import)."
        )

    run(go)


@app.command("show")
def show(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show who you sign as, the way readers will see it."""
    from provenance.config import home_dir
    from provenance.keys import describe_identity

    def go() -> None:
        info = describe_identity(home_dir())
        data = _info_dict(info)
        if fmt == "json":
            typer.echo(json.dumps(data, indent=2))
            return
        typer.echo(f"Signer:        {info.name}")
        typer.echo(f"Organization:  {info.organization}   (readers show this as the issuer)")
        typer.echo(f"Issued by:     {info.issuer}")
        typer.echo(f"Algorithm:     {info.algorithm}")
        typer.echo(f"Valid until:   {info.not_after}")
        typer.echo(f"Fingerprint:   {info.fingerprint_sha256}")
        typer.echo(
            f"Kind:          {'development identity' if info.development else 'imported certificate'}"
        )
        typer.echo(f"Chain:         {info.certificate_chain}")
        if info.root_certificate:
            typer.echo(f"Root:          {info.root_certificate}")

    run(go)
