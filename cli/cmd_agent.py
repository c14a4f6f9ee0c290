"""``provenance agent``: keep the signing key unlocked for a while, like ssh-agent (opt-in).

``start`` asks for the passphrase once and starts a background agent that signs
for ``provenance sign`` until it locks itself (``--timeout``, default 8h) or
``stop``; ``status`` says whether one is running and until when.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer

from provenance_cli._common import err, fail, passphrase, run

app = typer.Typer(
    help="A background agent that keeps your signing key unlocked for a while (opt-in).",
    no_args_is_help=True,
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: How long `agent start` waits for the agent to unlock the key and listen.
START_WAIT_S = 60.0


def parse_duration(text: str) -> float:
    """'8h', '30m', '90s', '1d' or plain seconds -> seconds; a usage error otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        fail(f"--timeout {text!r} is not a duration like 8h, 30m or 90s.", code=2)
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@app.command("start")
def start(
    timeout: Annotated[
        str, typer.Option("--timeout", help="Forget the key after this long (8h, 30m, 90s).")
    ] = "8h",
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Files signed at once (default: cores)."),
    ] = None,
) -> None:
    """Unlock the signing key once and keep it in a background agent until it times out."""
    import os
    import select
    import subprocess
    import sys

    from provenance.config import PASSPHRASE_ENV, home_dir
    from provenance.identity.keys import prepare_unlock
    from provenance.sign.agent_client import connect
    from provenance.volume.batch import default_jobs

    seconds = parse_duration(timeout)

    def go() -> None:
        home = home_dir()
        prepare_unlock(home, b"")  # no identity or an unsafe key file: say so before any prompt
        existing = connect(home)
        if existing is not None:
            with existing:
                status = existing.status()
            fail(
                f"an agent is already running for this identity (pid {status.pid}).",
                "provenance agent stop stops it.",
            )
        secret = passphrase()
        env = {k: v for k, v in os.environ.items() if k != PASSPHRASE_ENV}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "provenance_cli._agent_process",
                str(home.expanduser().absolute()),
                repr(seconds),
                str(jobs or default_jobs()),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(secret)
        process.stdin.close()
        del secret
        ready, _, _ = select.select([process.stdout], [], [], START_WAIT_S)
        line = process.stdout.readline().decode(errors="replace").strip() if ready else ""
        process.stdout.close()
        if not line.startswith("ready "):
            if process.poll() is None:
                process.kill()
            fail(
                line.removeprefix("error ") or "the agent did not start.",
                "Check the passphrase; without the agent, provenance sign unlocks the key itself.",
            )
        err(
            f"agent started (pid {process.pid}): provenance sign uses it for the next "
            f"{timeout.strip()}; provenance agent stop forgets the key now."
        )

    run(go)


@app.command("stop")
def stop() -> None:
    """Make the agent forget the key and exit."""
    import time

    from provenance.config import home_dir
    from provenance.sign.agent_client import connect

    def go() -> None:
        client = connect(home_dir())
        if client is None:
            err("no agent is running.")
            return
        with client:
            client.stop()
        deadline = time.monotonic() + 10
        while client.path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        err("agent stopped: the key is no longer held in memory.")

    run(go)


@app.command("status")
def status() -> None:
    """Say whether an agent is running, for whom and until when (exit 1 when none is)."""
    from provenance.config import home_dir
    from provenance.sign.agent_client import connect

    def go() -> None:
        client = connect(home_dir())
        if client is None:
            err("no agent is running: provenance sign unlocks the key each time.")
            raise typer.Exit(1)
        with client:
            info = client.status()
        typer.echo(
            f"agent running (pid {info.pid}) for {info.signer or 'your identity'}; "
            f"signs {info.jobs} file(s) at once; locks itself at {info.locks_at}."
        )

    run(go)
