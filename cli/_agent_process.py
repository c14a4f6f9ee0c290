"""The agent's own process: ``python -m provenance_cli._agent_process HOME TIMEOUT JOBS``.

Started by ``provenance agent start`` with the passphrase on standard input.  It
unlocks the key (in a child that alone sees the passphrase), prints one line,
``ready PATH`` or ``error MESSAGE``, on standard output for the starter to read,
then serves until it locks itself.  Nothing else is ever printed.  It runs the
``sign`` command lines the ``provenance`` launcher relays (:mod:`provenance_cli._agent_commands`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _detach_stdio() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def main(argv: list[str]) -> int:
    """Unlock, report readiness, serve; the exit code."""
    from provenance.errors import ProvenanceError
    from provenance.sign.agent import run_agent, unlock_in_child
    from provenance_cli._agent_commands import run_relayed, warm_up

    home, timeout_s, jobs = Path(argv[0]), float(argv[1]), int(argv[2])
    try:
        identity = unlock_in_child(home, 0)
    except ProvenanceError as exc:
        print(f"error {exc.message}", flush=True)
        return 1

    def ready(path: Path) -> None:
        print(f"ready {path}", flush=True)
        _detach_stdio()

    warm_up(lambda stream, text: None)  # the first relayed sign parses as fast as the rest
    try:
        run_agent(home, identity, timeout_s=timeout_s, jobs=jobs, ready=ready, runner=run_relayed)
    except ProvenanceError as exc:
        print(f"error {exc.message}", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    os._exit(main(sys.argv[1:]))
