"""The agent's socket and its line protocol, and the relay: the cheapest possible client.

Standard library and :mod:`provenance.errors` only, so that ``provenance sign`` with a
running agent starts in a few hundredths of a second: the ``provenance`` launcher
(:mod:`provenance_cli.launch`) hands the command line to the agent with :func:`relay`
before it imports typer, the value types or anything else.  The agent parses it with
the very same ``sign`` command, signs in its warm workers, and sends back what the
command printed and its exit code.

The wire format is one JSON object per line over a Unix stream socket in the user's
private runtime folder; the agent checks the peer's user id (``SO_PEERCRED``).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from provenance.errors import OperationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

#: The largest line either side accepts (a request for thousands of files fits).
MAX_LINE_BYTES = 16 * 1024 * 1024
#: How long a client waits to connect and for the agent to answer a status request.
CONNECT_TIMEOUT_S = 2.0


def runtime_dir() -> Path:
    """The user's private runtime folder for sockets: ``$XDG_RUNTIME_DIR`` or ``/tmp``.

    The folder ``provenance-UID`` inside it is created 0700; one that exists but is
    not ours, is a symlink, or is open to others is refused (someone could be
    waiting there to impersonate the agent).
    """
    uid = os.getuid()
    base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"  # noqa: S108 - checked below
    folder = Path(base) / f"provenance-{uid}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise OperationError(
            f"The agent's runtime folder {folder} cannot be created ({exc.strerror}).",
            hint="Set XDG_RUNTIME_DIR to a private folder you own.",
        ) from exc
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        raise OperationError(
            f"The agent's runtime folder {folder} is not a private folder of yours.",
            hint=f"Remove it (rm -r {folder}) or set XDG_RUNTIME_DIR to a private folder.",
        )
    return folder


def socket_path(home: Path) -> Path:
    """The agent socket for the identity in ``home`` (one agent per provenance home)."""
    digest = hashlib.sha256(str(home.expanduser().resolve()).encode()).hexdigest()[:12]
    return runtime_dir() / f"agent-{digest}.sock"


def send_line(sock: socket.socket, message: Mapping[str, Any]) -> None:
    """Send one JSON object as one line."""
    sock.sendall(json.dumps(message, separators=(",", ":")).encode() + b"\n")


class LineReader:
    """Reads newline-delimited JSON objects from a socket, each at most MAX_LINE_BYTES."""

    __slots__ = ("_buffer", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def read(self) -> dict[str, Any] | None:
        """The next object, or None when the other side closed."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise OperationError("The agent connection sent a message that is too long.")
            chunk = self._sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise OperationError("The agent connection sent something that is not a message.")
        return message


def read_while_signing(reader: LineReader) -> dict[str, Any]:
    """The agent's next message during a signing job; a lost agent is one clear error."""
    hint = "Run provenance agent status; sign what is missing with --no-agent."
    try:
        message = reader.read()
    except (OSError, ValueError) as exc:
        raise OperationError("The connection to the agent broke while signing.", hint=hint) from exc
    if message is None:
        raise OperationError("The agent stopped while signing.", hint=hint)
    return message


def connect_socket(home: Path) -> socket.socket | None:
    """A connection to the agent running for ``home``, or None when none answers.

    A socket file left behind by an agent that is gone is not an error: signing
    falls back to unlocking the key itself.
    """
    try:
        path = socket_path(home)
    except OperationError:
        return None
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


# --------------------------------------------------------------------------- relay


# Named tuples, not dataclasses: importing dataclasses (and inspect with it) would
# cost the launcher more than the rest of its start-up (tests/cli/test_startup.py).
class RelayOutput(NamedTuple):
    """Text the command printed in the agent, for this process's ``stream``."""

    stream: str  # "stdout" or "stderr"
    text: str


class RelayExit(NamedTuple):
    """The command finished in the agent with this exit code."""

    code: int


def relay(home: Path, argv: Sequence[str], cwd: Path) -> Iterator[RelayOutput | RelayExit] | None:
    """Run ``provenance ARGV`` (a ``sign`` command line) in the agent for ``home``.

    None when no agent answers or it declines the command (an older agent, or a
    command it does not run): the caller runs the command itself, nothing has
    happened yet.  Otherwise the agent has taken it, and the iterator yields the
    command's output as it is printed, then its exit code.  The agent runs the
    command in ``cwd`` (relative paths mean what they mean here).
    """
    sock = connect_socket(home)
    if sock is None:
        return None
    reader = LineReader(sock)
    try:
        send_line(sock, {"op": "run", "argv": list(argv), "cwd": str(cwd)})
        first = reader.read()
    except (OSError, ValueError, OperationError):
        sock.close()
        return None
    if first is None or first.get("event") != "running":
        sock.close()
        return None
    return _relayed(sock, reader)


def _relayed(sock: socket.socket, reader: LineReader) -> Iterator[RelayOutput | RelayExit]:
    sock.settimeout(None)  # signing a large shoot takes as long as it takes
    try:
        while True:
            message = read_while_signing(reader)
            event = message.get("event")
            if event == "output":
                stream = "stdout" if message.get("stream") == "stdout" else "stderr"
                yield RelayOutput(stream, str(message.get("text", "")))
            elif event == "exit":
                code = message.get("code")
                yield RelayExit(code if isinstance(code, int) and not isinstance(code, bool) else 1)
                return
    finally:
        sock.close()
