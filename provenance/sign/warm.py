"""Warm signing workers: an unlocked identity, c2pa loaded once, each sign in a supervised child.

The agent (:mod:`provenance.sign.agent`) and tethered capture
(:mod:`provenance.sign.watch`) sign file after file.  Paying the key's KDF and
c2pa's start-up for each file is what makes a cold ``provenance sign`` slow, so
they unlock once and keep workers warm.

Each worker is a child *forked* from the process that holds the unlocked key
(the key is inherited, never sent anywhere, never written), and signs request
after request with its own warm c2pa context.  A worker that crashes (a native
panic, a signal) costs that one file: the supervisor reports it and forks a new
worker.  The supervisor itself never touches c2pa, so forking it is safe.
Linux and other POSIX systems only (``os.fork``).
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.errors import OperationError, ProvenanceError
from provenance.sign.request import SignOutcome as SignOutcome  # re-exported

if TYPE_CHECKING:
    from provenance.identity.keys import SigningIdentity
    from provenance.sign.request import SignRequest

#: Modules a worker needs, imported by the supervisor so each fork starts with them.
_PRELOAD = (
    "numpy",
    "PIL.Image",
    "PIL.JpegImagePlugin",
    "PIL.PngImagePlugin",
    "PIL.WebPImagePlugin",
    "PIL.TiffImagePlugin",
    "provenance._c2pa",
    "provenance.sign.orchestrator",
    "provenance.extent",
    "provenance.verify.verifier",
)


def preload() -> None:
    """Import what signing needs, once, in the process that will fork workers."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)


def _warm_up(identity: SigningIdentity) -> None:
    """Sign a tiny image once so this worker's c2pa context and signer are ready."""
    from provenance import samples
    from provenance.sign.orchestrator import sign_image
    from provenance.sign.request import SignRequest

    with tempfile.TemporaryDirectory(prefix="provenance-warm-") as folder:
        source = Path(folder) / "warm.jpg"
        source.write_bytes(samples.encode(samples.photo_like(96, 64), "JPEG"))
        try:
            sign_image(SignRequest(source=source, output=Path(folder) / "out.jpg"), identity)
        except ProvenanceError:
            pass  # the first real request will report the problem in plain words


#: Test hook (as in provenance.volume.batch): a worker signing a file whose name contains
#: this variable's value dies as a native crash would, so the tests can show it costs one file.
CRASH_HOOK_ENV = "PROVENANCE_TEST_CRASH_ON"


def _sign_one(identity: SigningIdentity, request: SignRequest) -> SignOutcome:
    from provenance.sign.orchestrator import sign_image

    crash = os.environ.get(CRASH_HOOK_ENV)
    if crash and crash in request.source.name:
        os._exit(70)

    try:
        result = sign_image(request, identity)
    except ProvenanceError as exc:
        return SignOutcome(
            request.source, request.output, False, message=exc.message, hint=exc.hint
        )
    except Exception as exc:  # noqa: BLE001 - a worker reports, it never dies of one file
        return SignOutcome(
            request.source,
            request.output,
            False,
            message=f"Signing failed unexpectedly ({type(exc).__name__}).",
        )
    from provenance.sign.recorded import recorded_hints, recorded_lines
    from provenance.sign.resign import REPLACED_NOTE

    return SignOutcome(
        request.source,
        request.output,
        True,
        notes=tuple(n for n in result.notes if n != REPLACED_NOTE),
        recorded=recorded_lines(result),
        hints=recorded_hints(result),
    )


def _worker_main(identity: SigningIdentity, conn: Connection) -> None:
    """A worker's life: warm up, then sign each request that arrives until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    from provenance.sign.allocator import reuse_freed_memory

    reuse_freed_memory()
    _warm_up(identity)
    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        conn.send(_sign_one(identity, request))


class _Worker:
    __slots__ = ("busy", "conn", "pid")

    def __init__(self, pid: int, conn: Connection) -> None:
        self.pid = pid
        self.conn = conn
        self.busy: SignRequest | None = None


class WarmPool:
    """Up to ``jobs`` warm signing workers forked from this (key-holding) process.

    Use as a context manager; :meth:`sign_all` yields one :class:`SignOutcome` per
    request in completion order.  Not thread-safe: one caller at a time.
    """

    def __init__(self, identity: SigningIdentity, jobs: int = 1) -> None:
        if not hasattr(os, "fork"):
            raise OperationError(
                "Warm signing needs a POSIX system (it forks signing workers).",
                hint="Sign without the agent (provenance sign --no-agent).",
            )
        self._identity = identity
        self._jobs = max(1, jobs)
        self._workers: list[_Worker] = []

    def __enter__(self) -> WarmPool:
        preload()
        for _ in range(self._jobs):
            self._workers.append(self._fork())
        for worker in self._workers:
            self._await_ready(worker)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def jobs(self) -> int:
        """How many workers sign at once."""
        return self._jobs

    def _fork(self) -> _Worker:
        parent_end, child_end = Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                parent_end.close()
                _worker_main(self._identity, child_end)
            except BaseException:  # noqa: BLE001 - a forked child must never return into the caller
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        return _Worker(pid, parent_end)

    def _await_ready(self, worker: _Worker) -> None:
        try:
            if worker.conn.poll(60) and worker.conn.recv() == "ready":
                return
        except (EOFError, OSError):
            pass
        self._reap(worker)
        raise OperationError("A signing worker did not start.")

    def _reap(self, worker: _Worker) -> int | None:
        worker.conn.close()
        try:
            os.kill(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            _, status = os.waitpid(worker.pid, 0)
        except ChildProcessError:
            return None
        return os.waitstatus_to_exitcode(status)

    def sign_all(self, requests: Iterable[SignRequest]) -> Iterator[SignOutcome]:
        """Sign every request, ``jobs`` at a time; yields outcomes as they complete.

        A caller that stops early (a client that went away) leaves no work behind:
        the files being signed are finished and their outcomes dropped, so the next
        caller never receives another's outcome.
        """
        pending = list(requests)
        pending.reverse()
        try:
            while pending or any(w.busy for w in self._workers):
                for worker in self._workers:
                    if worker.busy is None and pending:
                        worker.busy = pending.pop()
                        try:
                            worker.conn.send(worker.busy)
                        except OSError:
                            pass  # seen as a dead worker below
                busy = [w for w in self._workers if w.busy is not None]
                ready = wait([w.conn for w in busy])
                for worker in busy:
                    if worker.conn not in ready:
                        continue
                    yield self._collect(worker)
        finally:
            for worker in self._workers:
                if worker.busy is not None:
                    self._collect(worker)

    def _collect(self, worker: _Worker) -> SignOutcome:
        """The outcome of ``worker``'s request (waiting for it); a dead worker is replaced."""
        request = worker.busy
        assert request is not None
        worker.busy = None
        try:
            outcome: SignOutcome = worker.conn.recv()
        except (EOFError, OSError):
            return self._replace_dead(worker, request)
        return outcome

    def _replace_dead(self, worker: _Worker, request: SignRequest) -> SignOutcome:
        code = self._reap(worker)
        fresh = self._fork()
        self._workers[self._workers.index(worker)] = fresh
        self._await_ready(fresh)
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return SignOutcome(
            request.source,
            request.output,
            False,
            message=f"Signing stopped unexpectedly ({how}); nothing was written to the output.",
            hint="Other files are not affected. Try this one again with --no-agent to see more.",
        )

    def close(self) -> None:
        """Stop every worker (each finishes the file it is signing first)."""
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in self._workers:
            try:
                os.waitpid(worker.pid, 0)
            except ChildProcessError:
                pass
            worker.conn.close()
        self._workers.clear()
