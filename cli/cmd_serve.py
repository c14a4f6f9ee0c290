"""``provenance serve``: the client's local page and the publisher's HTTP API.

Thin: parse the options, build a :class:`~provenance.serve.ServeConfig`, run the
server.  The server stack (Starlette, uvicorn, jinja2) is imported only inside
the command, so no other command pays for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from provenance_cli._common import err, fail, run


def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Default: this computer only. Anything else is "
            "reachable by others: use --token.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8737,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="House policy (TOML) for /api/v1/check and the page."),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", help="A root certificate (PEM) to trust. Repeatable."),
    ] = None,
    no_trust_store: Annotated[
        bool, typer.Option("--no-trust-store", help="Ignore the anchors added with 'trust add'.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Worker processes verifying at once (default: cores, max 4)."
        ),
    ] = None,
    queue: Annotated[
        int, typer.Option("--queue", help="Requests that may wait for a worker; more get 503.")
    ] = 64,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Require 'Authorization: Bearer TOKEN' on the API "
            "(or set PROVENANCE_SERVE_TOKEN).",
            show_default=False,
        ),
    ] = None,
    max_upload_mb: Annotated[
        int, typer.Option("--max-upload-mb", help="Largest request body, in MB (413 beyond).")
    ] = 200,
    max_megapixels: Annotated[
        int,
        typer.Option(
            "--max-megapixels", help="Largest image, in millions of pixels (refused unread beyond)."
        ),
    ] = 100,
    max_files: Annotated[int, typer.Option("--max-files", help="Most files in one request.")] = 100,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds allowed to verify one file.")
    ] = 60.0,
    keep_uploads: Annotated[
        Path | None,
        typer.Option(
            "--keep-uploads", help="Keep a copy of every upload in this folder (the page says so)."
        ),
    ] = None,
    allow_paths: Annotated[
        Path | None,
        typer.Option(
            "--allow-paths",
            help="Let the API verify files inside this server folder by path (JSON list).",
        ),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host", help="Another Host name to answer to (behind a proxy). Repeatable."
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request on stderr.")
    ] = False,
) -> None:
    """Serve the verify page (drop images, see what is real) and the HTTP API."""
    from provenance.serve.config import TOKEN_ENV, ServeConfig, default_workers, is_loopback

    if workers is not None and workers < 1:
        fail("--workers must be at least 1.", code=2)
    api_token = token or os.environ.get(TOKEN_ENV) or None

    def go() -> int:
        from provenance.config import home_dir, load_settings
        from provenance.identity.trust import anchors_pem
        from provenance.serve.app import serve as run_server
        from provenance.verify import VerifyOptions

        home = home_dir()
        anchors_pem(None if no_trust_store else home, tuple(trust or ()))  # one clear error now
        rules = None
        if policy is not None:
            from provenance.volume.policy import load_policy

            rules = load_policy(policy)
        settings = load_settings(home)
        options = VerifyOptions(
            trust_files=tuple(p.resolve() for p in trust or ()),
            home=home,
            use_trust_store=not no_trust_store,
            allow_remote=False,
            max_bytes=min(settings.max_file_bytes, max_upload_mb * 1024 * 1024),
        )
        config = ServeConfig(
            verify_options=options,
            host=host,
            port=port,
            token=api_token,
            policy=rules,
            workers=workers or default_workers(),
            queue=queue,
            max_upload_bytes=max_upload_mb * 1024 * 1024,
            max_pixels=max_megapixels * 1_000_000,
            max_files=max_files,
            timeout_s=timeout,
            keep_uploads=keep_uploads,
            allow_paths=allow_paths,
            extra_hosts=tuple(allow_host or ()),
            access_log=access_log,
        )
        if not is_loopback(host):
            err(
                f"warning: listening on {host}: other computers can reach this server. "
                + (
                    "The API and the page need the token."
                    if api_token
                    else "Nothing asks for a token: anyone who can reach it can use it (add --token)."
                )
            )
        if keep_uploads is not None:
            err(f"note: a copy of every upload is kept in {keep_uploads} (the page says so).")
        err(f"provenance serve: open {config.url}  (API docs: {config.url}api/docs; Ctrl-C stops)")
        run_server(config)
        return 0

    raise typer.Exit(run(go))
