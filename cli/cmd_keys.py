"""``provenance keys``: the signing identity."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provenance_cli._common import err, fail, guarded, passphrase, plan_outputs, run, secret

if TYPE_CHECKING:
    from provenance.identity.certprofile import Finding

IMPORT_PASSPHRASE_ENV = "PROVENANCE_IMPORT_KEY_PASSPHRASE"  # noqa: S105 - a variable name

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


#: Output formats of the keys commands that report something.
FORMATS = ("text", "json")
#: The same --format option on show, check, csr and import.
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="text, or json (one object on stdout) for scripts.")
]


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        fail(f"unknown format '{fmt}'.", f"Choose one of: {', '.join(FORMATS)}.", code=2)


def _findings_list(findings: tuple[Finding, ...]) -> list[dict[str, object]]:
    return [
        {"code": f.code, "severity": f.severity.value, "message": f.message, "fix": f.fix}
        for f in findings
    ]


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
    from provenance.identity.keys import init_identity

    def go() -> None:
        secret = passphrase(confirm=True)
        warn_short_passphrase(secret)
        info = init_identity(home_dir(), name, org, secret, email=email, force=force)
        err(f"Created a development identity for {info.name} ({info.organization}).")
        err(f"  key (encrypted, owner-only): {info.key_file}")
        err(f"  certificate chain:           {info.certificate_chain}")
        err(f"  root certificate:            {info.root_certificate}")
        err("Others see your files as 'intact, signer not trusted' unless they trust this root:")
        err(f"  provenance trust add {info.root_certificate}")
        err(
            "For identities others can trust without that step, see: provenance help keys (keys csr / import)."
        )

    run(go)


#: Shorter passphrases are accepted, with a warning (NIST SP 800-63B asks for length).
MIN_PASSPHRASE = 12


def warn_short_passphrase(secret: bytes) -> None:
    """Warn (not refuse) when a new key's passphrase is shorter than 12 characters."""
    if len(secret.decode("utf-8", "replace")) < MIN_PASSPHRASE:
        err(
            f"warning: the passphrase is shorter than {MIN_PASSPHRASE} characters; anyone who "
            "copies the key file can guess a short one. A few words make a long one that is "
            "easy to remember."
        )


@app.command("show")
def show(
    fmt: FormatOption = "text",
) -> None:
    """Show who you sign as, the way readers will see it."""
    from provenance.config import home_dir
    from provenance.identity.keys import describe_identity

    _check_format(fmt)

    def go() -> None:
        info = describe_identity(home_dir())
        data = _info_dict(info)
        if fmt == "json":
            typer.echo(json.dumps(data, indent=2))
            return
        typer.echo(
            f"Readers will see: signed by {info.organization} ({info.name})"
            + ("" if not info.development else ", not trusted unless they trust your root")
        )
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


def _import_passphrase() -> bytes:
    """The passphrase of a key being imported: env, or a hidden prompt on a terminal."""
    return secret(
        IMPORT_PASSPHRASE_ENV,
        "Passphrase of the key being imported",
        "the key being imported is encrypted and no passphrase was given.",
    )


def _render_findings(findings: tuple[Finding, ...]) -> None:
    for f in findings:
        err(f"{f.severity.value}: {f.message}")
        if f.fix:
            err(f"  fix: {f.fix}")


@app.command("csr")
def csr(
    name: Annotated[str, typer.Option("--name", help="Your name, as the signer's common name.")],
    org: Annotated[
        str, typer.Option("--org", help="Your studio or organization: readers show this.")
    ],
    email: Annotated[
        str | None, typer.Option("--email", help="Contact e-mail (many CAs require one).")
    ] = None,
    algorithm: Annotated[
        str, typer.Option("--algorithm", help="es256 (default), es384, es512, ps256..512, ed25519.")
    ] = "es256",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the request to this file.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a request still waiting for its certificate.")
    ] = False,
    fmt: FormatOption = "text",
) -> None:
    """Make a key and a certificate signing request (CSR) to send to a CA."""
    from provenance.config import home_dir
    from provenance.identity.csr import create_csr
    from provenance.identity.keys import SigningAlgorithm

    _check_format(fmt)
    try:
        alg = SigningAlgorithm(algorithm.lower())
    except ValueError:
        fail(f"unknown algorithm {algorithm!r}.", "Use one of: " + ", ".join(SigningAlgorithm))
    # Checked before a key is made: missing folder, existing file without --force, a symlink.
    (csr_plan,) = plan_outputs([(output, "request file")], force=force)

    def go() -> None:
        secret = passphrase(confirm=True)
        warn_short_passphrase(secret)
        info = create_csr(home_dir(), name, org, secret, email=email, algorithm=alg, force=force)
        if csr_plan is not None:
            from provenance.outputs import write_output

            write_output(csr_plan, info.csr_pem)
        if fmt == "json":
            data = {
                "algorithm": info.algorithm.value,
                "subject": info.subject,
                "pending_key": str(info.pending_key),
                "csr_path": str(info.csr_path),
                "csr_copy": str(output) if output is not None else None,
                "csr_pem": info.csr_pem.decode("ascii"),
            }
            typer.echo(json.dumps(data, indent=2))
            return
        err(f"Made a {info.algorithm.value} key (encrypted, owner-only): {info.pending_key}")
        err(f"Certificate request for {info.subject}: {output or info.csr_path}")
        err("Send the request to a CA on the C2PA trust list and ask for a certificate with")
        err(
            "key usage digitalSignature and extended key usage emailProtection (see: provenance help keys)."
        )
        err("When it is issued, run: provenance keys import --cert CHAIN.pem")

    run(go)


@app.command("import")
def import_(
    cert: Annotated[
        Path | None,
        typer.Option(
            "--cert", help="The issued certificate chain, PEM (signing certificate first)."
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="Its private key, PEM (may be encrypted). Omit after keys csr."),
    ] = None,
    p12: Annotated[
        Path | None, typer.Option("--p12", help="A PKCS#12 (.p12/.pfx) file with key and chain.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the current identity (it is kept aside).")
    ] = False,
    fmt: FormatOption = "text",
) -> None:
    """Check a certificate against the C2PA profile and, if it passes, make it your identity."""
    from provenance.config import home_dir
    from provenance.identity.importing import ChainRejected, import_identity

    _check_format(fmt)
    if cert is None and p12 is None:
        fail(
            "give --cert CHAIN.pem (with --key KEY.pem, or after keys csr), or --p12 FILE.", code=2
        )
    with guarded():
        try:
            result = import_identity(
                home_dir(),
                passphrase(confirm=True),
                cert_file=cert,
                key_file=key,
                p12_file=p12,
                ask_key_passphrase=_import_passphrase,
                force=force,
            )
        except ChainRejected as exc:
            if fmt == "json":
                rejected = {"imported": False, "findings": _findings_list(exc.check.findings)}
                typer.echo(json.dumps(rejected, indent=2))
                raise typer.Exit(1) from None
            err("This certificate cannot sign Content Credentials; nothing was stored.")
            _render_findings(exc.check.findings)
            raise typer.Exit(1) from None
        info = result.info
        if fmt == "json":
            imported = {
                "imported": True,
                "identity": _info_dict(info),
                "findings": _findings_list(result.warnings),
            }
            typer.echo(json.dumps(imported, indent=2))
            return
        _render_findings(result.warnings)
        err(f"Imported: {info.name} ({info.organization}), valid until {info.not_after[:10]}.")
        err(f"  key (encrypted, owner-only): {info.key_file}")
        err(f"  certificate chain:           {info.certificate_chain}")
        if info.root_certificate:
            err(f"  root certificate:            {info.root_certificate}")


@app.command("check")
def check(
    fmt: FormatOption = "text",
) -> None:
    """Check your identity against the C2PA certificate profile (exit 1 on errors)."""
    from provenance.config import PASSPHRASE_ENV, home_dir
    from provenance.identity.check import check_identity

    _check_format(fmt)
    with guarded():
        # Unlock the key only when the passphrase is at hand: a check never prompts.
        secret = os.environ.get(PASSPHRASE_ENV)
        result = check_identity(home_dir(), secret.encode("utf-8") if secret else None)
        if fmt == "json":
            typer.echo(
                json.dumps(
                    {
                        "ok": result.ok,
                        "days_left": result.days_left,
                        "key_checked": result.key_checked,
                        "findings": _findings_list(result.findings),
                    },
                    indent=2,
                )
            )
        else:
            info = result.info
            typer.echo(f"Signer:     {info.name} ({info.organization})")
            typer.echo(f"Valid until {info.not_after[:10]} ({result.days_left} days left)")
            if not result.key_checked:
                typer.echo(f"Key match:  not checked (set {PASSPHRASE_ENV} to check it)")
            _render_findings(result.findings)
            typer.echo("OK" if result.ok else "NOT OK: fix the errors above before signing")
    if not result.ok:
        raise typer.Exit(1)
