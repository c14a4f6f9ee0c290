"""The signing agent: the identity unlocked once, c2pa warm, signing for ``provenance sign``.

Like ssh-agent, it is opt-in (``provenance agent start``) and holds the unlocked
key in memory for a limited time; then it forgets it (exits).  It listens on a
Unix socket in the user's private runtime folder (mode 0600 inside a 0700
folder, never TCP) and serves only processes of the same user, checked with
``SO_PEERCRED`` where the system has it (Linux).

What it holds: the private key (inherited by its signing workers, which fork
from it; never written, never sent).  What it does not hold: the passphrase.
The key is unlocked in a short-lived child process that reads the passphrase,
runs the KDF and hands back the key alone; the passphrase and whatever the KDF
left in memory die with that child.

Every output is still written to a temporary file, read back and verified,
then moved into place, exactly as without the agent (the work is
:func:`provenance.sign.orchestrator.sign_image`, in a :class:`~provenance.sign.warm.WarmPool`).
"""

from __future__ import annotations

import datetime as dt
import os
import select
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.errors import KeyProblem, OperationError, ProvenanceError
from provenance.sign.agent_client import decode_request
from provenance.sign.agent_wire import LineReader, send_line, socket_path

if TYPE_CHECKING:
    from provenance.identity.keys import SigningIdentity
    from provenance.sign.request import SignOutcome, SignRequest
    from provenance.sign.warm import WarmPool

    #: Signs a group of requests in the agent's warm workers, yielding outcomes as they complete.
    SignWave = Callable[[list[SignRequest]], Iterator[SignOutcome]]
    #: Prints text for the client: (stream "stdout" or "stderr", text).
    Emit = Callable[[str, str], None]
    #: Runs a relayed command line (``sign ...``) in folder ``cwd``; its exit code.  The CLI
    #: provides it (it owns parsing and wording; the library never prints).
    CommandRunner = Callable[[list[str], Path, Emit, SignWave], int]

#: How long an agent keeps the key unless told otherwise (a working day).
DEFAULT_TIMEOUT_S = 8 * 3600.0
#: A client that sends nothing for this long is disconnected.
CLIENT_IDLE_S = 30.0


def _zero(buffer: bytearray) -> None:
    buffer[:] = b"\0" * len(buffer)


def _read_all(fd: int, limit: int) -> bytearray:
    """Read ``fd`` to its end into one bytearray (no immutable copies), at most ``limit``."""
    buffer = bytearray(limit)
    view = memoryview(buffer)
    used = 0
    while used < limit:
        count = os.readv(fd, [view[used:]])
        if count == 0:
            break
        used += count
    view.release()
    del buffer[used:]
    return buffer


def unlock_in_child(home: Path, passphrase_fd: int) -> SigningIdentity:
    """Unlock the identity in ``home`` with the passphrase read from ``passphrase_fd``.

    The passphrase is read, and the KDF run, in a forked child that sends back only
    the private key (PKCS#8 DER); this process never sees the passphrase.
    """
    from cryptography.hazmat.primitives import serialization

    from provenance.identity.keys import (
        CHAIN_FILE,
        KEY_FILE,
        decrypt_key,
        identity_dir,
        identity_from_key,
        prepare_unlock,
        read_chain,
    )

    folder = identity_dir(home)
    prepare_unlock(home, b"")  # checks now: no identity, or an unsafe key file
    key_out, key_in = os.pipe()
    pid = os.fork()
    if pid == 0:  # the unlocking child
        code = 0
        try:
            os.close(key_out)
            secret = _read_all(passphrase_fd, 64 * 1024)
            while secret.endswith(b"\n"):
                secret.pop()
            try:
                key, _ = decrypt_key((folder / KEY_FILE).read_bytes(), secret)
                der = key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                os.write(key_in, b"K" + der)
            except KeyProblem as exc:
                os.write(key_in, b"E" + exc.message.encode())
            _zero(secret)
        except BaseException:  # noqa: BLE001 - a forked child never returns into the caller
            code = 1
        finally:
            os._exit(code)
    os.close(key_in)
    try:
        answer = _read_all(key_out, 1024 * 1024)
    finally:
        os.close(key_out)
        os.waitpid(pid, 0)
    if not answer or answer[:1] != b"K":
        message = bytes(answer[1:]).decode(errors="replace") if answer else ""
        _zero(answer)
        raise KeyProblem(
            message or "The key could not be unlocked.",
            hint="Check PROVENANCE_KEY_PASSPHRASE (or what you typed) and start the agent again.",
        )
    key = serialization.load_der_private_key(bytes(answer[1:]), password=None)
    _zero(answer)
    return identity_from_key(key, read_chain(folder / CHAIN_FILE))


def peer_uid(conn: socket.socket) -> int | None:
    """The user id of the process at the other end of a Unix socket (Linux), else None."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    raw = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


def _bind(path: Path) -> socket.socket:
    """Listen at ``path`` (0600); a stale socket of a dead agent is replaced, a live one refused."""
    if path.exists() or path.is_symlink():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()
        else:
            raise OperationError(
                "An agent is already running for this identity.",
                hint="provenance agent status shows it; provenance agent stop stops it.",
            )
        finally:
            probe.close()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket is created 0600, with no window where it is wider
    try:
        server.bind(str(path))
    finally:
        os.umask(old)
    server.listen(8)
    return server


class _Session:
    """The agent's state while it runs."""

    def __init__(
        self, pool: WarmPool, signer: str, locks_at: float, runner: CommandRunner | None = None
    ) -> None:
        self.pool = pool
        self.runner = runner
        self.signer = signer
        self.locks_at = locks_at
        self.stopping = False

    def status(self) -> dict[str, Any]:
        when = dt.datetime.fromtimestamp(self.locks_at, tz=dt.UTC).isoformat(timespec="seconds")
        return {
            "event": "status",
            "pid": os.getpid(),
            "signer": self.signer,
            "locks_at": when,
            "jobs": self.pool.jobs,
        }

    def serve(self, conn: socket.socket, uid_of: Callable[[socket.socket], int | None]) -> None:
        """Answer one client until it disconnects."""
        uid = uid_of(conn)
        if uid is not None and uid != os.getuid():
            send_line(conn, {"event": "error", "message": "This agent serves only its own user."})
            return
        conn.settimeout(CLIENT_IDLE_S)
        reader = LineReader(conn)
        while True:
            try:
                message = reader.read()
            except (OSError, ValueError, ProvenanceError):
                return
            if message is None:
                return
            op = message.get("op")
            if op == "status":
                send_line(conn, self.status())
            elif op == "stop":
                self.stopping = True
                send_line(conn, {"event": "stopping"})
                return
            elif op == "sign":
                self._sign(conn, message.get("requests"))
            elif op == "run":
                self._run(conn, message.get("argv"), message.get("cwd"))
                return
            else:
                send_line(conn, {"event": "error", "message": "Unknown request."})

    def _sign(self, conn: socket.socket, raw: Any) -> None:
        if not isinstance(raw, list):
            send_line(conn, {"event": "error", "message": "A sign request needs a list."})
            return
        try:
            requests = [decode_request(item) for item in raw]
        except ProvenanceError as exc:
            send_line(conn, {"event": "error", "message": exc.message})
            return
        for outcome in self.pool.sign_all(requests):
            send_line(
                conn,
                {
                    "event": "done" if outcome.ok else "failed",
                    "source": str(outcome.source),
                    "output": str(outcome.output),
                    "notes": list(outcome.notes),
                    "message": outcome.message,
                    "hint": outcome.hint,
                    "recorded": list(outcome.recorded),
                    "hints": list(outcome.hints),
                },
            )
        send_line(conn, {"event": "end"})

    def _run(self, conn: socket.socket, argv: Any, cwd: Any) -> None:
        """Run a relayed ``sign`` command line, sending its output as it is printed.

        Declined (the client then runs the command itself) unless the CLI gave the
        agent a runner, the command is ``sign`` and the folder is an absolute path
        that exists.  Once accepted, the exit code always follows, whatever happens.
        """
        runner = self.runner
        if (
            runner is None
            or not isinstance(argv, list)
            or not all(isinstance(a, str) for a in argv)
            or argv[:1] != ["sign"]
            or not isinstance(cwd, str)
            or not os.path.isabs(cwd)
            or not os.path.isdir(cwd)
        ):
            send_line(conn, {"event": "declined"})
            return
        send_line(conn, {"event": "running"})

        def emit(stream: str, text: str) -> None:
            send_line(conn, {"event": "output", "stream": stream, "text": text})

        def sign_wave(requests: list[SignRequest]) -> Iterator[SignOutcome]:
            return self.pool.sign_all(requests)

        code = runner(list(argv), Path(cwd), emit, sign_wave)
        send_line(conn, {"event": "exit", "code": code})


def run_agent(
    home: Path,
    identity: SigningIdentity,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    jobs: int = 1,
    ready: Callable[[Path], None] | None = None,
    uid_of: Callable[[socket.socket], int | None] = peer_uid,
    runner: CommandRunner | None = None,
) -> None:
    """Serve signing requests for ``home`` until stopped or ``timeout_s`` passes.

    ``ready`` is called with the socket path once clients can connect.  ``runner``
    runs command lines relayed by the ``provenance`` launcher (the CLI's ``sign``);
    without it the agent serves only requests already parsed by a client.  Returns
    when the agent locks itself (timeout), is stopped, or is interrupted; the
    socket is removed and the key forgotten with the process.
    """
    from provenance.sign.warm import WarmPool

    path = socket_path(home)
    signer = " / ".join(part for part in (identity.name, identity.organization) if part)
    locks_at = time.time() + timeout_s
    with WarmPool(identity, jobs) as pool:
        server = _bind(path)
        try:
            session = _Session(pool, signer, locks_at, runner)
            if ready is not None:
                ready(path)
            while not session.stopping:
                remaining = locks_at - time.time()
                if remaining <= 0:
                    break
                readable, _, _ = select.select([server], [], [], min(remaining, 60.0))
                if not readable:
                    continue
                conn, _ = server.accept()
                with conn:
                    try:
                        session.serve(conn, uid_of)
                    except OSError:
                        continue  # a client that went away costs nothing
        finally:
            server.close()
            try:
                path.unlink()
            except FileNotFoundError:
                pass
