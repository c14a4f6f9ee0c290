"""The ``provenance`` console script: hand ``sign`` to a running agent, else run the CLI.

With an agent running (``provenance agent start``), ``provenance sign ...`` should
cost little more than the signing itself.  Importing typer and the value types
takes longer than the agent takes to sign a photo, so this launcher imports only
the standard library and :mod:`provenance.sign.agent_wire` and relays the command
line to the agent, which runs it with the same ``sign`` command
(:mod:`provenance_cli._agent_commands`) and sends back what it printed and the
exit code.  Everything else, and ``sign`` when no agent answers, with
``--no-agent`` or asking for help, is the ordinary CLI (:func:`provenance_cli.app.main`).
"""

from __future__ import annotations

import os
import sys

#: Arguments that mean "not through the agent" (or that the agent gains nothing on).
_LOCAL_ONLY = frozenset({"--no-agent", "--help", "-h"})


def _relayable(argv: list[str]) -> bool:
    if argv[:1] != ["sign"]:
        return False
    options = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    return not any(arg in _LOCAL_ONLY for arg in options)


def _relay(argv: list[str]) -> int | None:
    """The exit code of ``argv`` run by the agent, or None when no agent took it."""
    from pathlib import Path

    from provenance.errors import ProvenanceError
    from provenance.homedir import home_dir
    from provenance.sign.agent_wire import RelayExit, relay

    try:
        cwd = Path.cwd()
    except OSError:
        return None  # a folder that is gone: the CLI says so in its own words
    events = relay(home_dir(), argv, cwd)
    if events is None:
        return None
    try:
        for event in events:
            if isinstance(event, RelayExit):
                return event.code
            stream = sys.stdout if event.stream == "stdout" else sys.stderr
            stream.write(event.text)
            if stream is sys.stderr:
                stream.flush()
    except ProvenanceError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: the agent finishes the file it is signing.\n")
        return 130
    return 1


def main() -> None:
    """Console-script entry point."""
    argv = sys.argv[1:]
    if _relayable(argv):
        code = _relay(argv)
        if code is not None:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):  # a closed pipe (| head)
                    pass
            os._exit(code)
    from provenance_cli.app import main as cli_main

    cli_main()
