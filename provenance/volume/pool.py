"""The one guarded process pool: per-file isolation, time and memory limits, streaming.

``sign_many`` / ``verify_many`` (:mod:`provenance.volume.batch`) and both
engines of ``check`` (:mod:`provenance.volume._engine`) run their files here.

Why a pool of our own instead of :class:`concurrent.futures.ProcessPoolExecutor`:
c2pa-rs is native code, and a panic, a hang or an allocation failure in it takes
down the whole process.  The standard executor marks the *entire* pool broken
when one worker dies (``BrokenProcessPool``), losing every file in flight.  Here
each worker runs one file at a time over its own pipe; when a worker dies, runs
past the per-file time limit or hits its memory limit (``RLIMIT_AS``), only that
file is reported (a :class:`_Crash` result) and a fresh worker takes its place.

Why ``forkserver``: forking the big parent (rich, typer, maybe threads in c2pa's
runtime) is unsafe with native libraries, and ``spawn`` re-imports Pillow, numpy
and c2pa in every worker (measured 0.2-0.45 s each).  A fork server that
preloaded the library once starts a clean worker in about 16 ms, so replacing a
crashed worker is cheap.  Where ``forkserver`` does not exist (Windows) we
fall back to ``spawn``.

What a worker does is a *kind*: an (init, run) pair of functions named in
``_KINDS`` and imported in the worker, so this module knows nothing of signing
or verifying.  Workers are given what they need to build their own state
(signing identities hold a Python callable and cannot be pickled): the ``sign``
kind gets the home folder and passphrase and unlocks the key once per worker.
:meth:`_Pool.stream` pulls work from an iterator only when a worker is free and
yields results as they end (back-pressure: a lazy enumeration of millions of
files is never materialised); :meth:`_Pool.run` is the indexed, callback form
``sign_many`` and ``verify_many`` use.

Test hooks (for the test-suite only, documented in docs/batch.md):
``PROVENANCE_TEST_CRASH_ON=<substring>`` makes the worker exit abruptly
(``os._exit``) when it picks up a file whose name contains the substring, and
``PROVENANCE_TEST_HANG_ON=<substring>`` makes it sleep past any time limit.
They are read in the parent when a worker starts (a fork server keeps the
environment of the moment it was started) and acted on only in the worker entry
point, so the library's real code paths never see them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from provenance.errors import KeyProblem, OperationError, ProvenanceError

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess
    from pathlib import Path

    from provenance.verify.verifier import VerifyOptions

#: Default wall-clock limit for verifying one file in a worker.
DEFAULT_VERIFY_TIMEOUT_S = 60.0
#: Default address-space limit of a verify worker (RLIMIT_AS, Linux/macOS).
DEFAULT_VERIFY_MEMORY_BYTES = 2 * 1024**3

CRASH_HOOK_ENV = "PROVENANCE_TEST_CRASH_ON"
HANG_HOOK_ENV = "PROVENANCE_TEST_HANG_ON"

# Modules the fork server imports once, so each worker starts warm.
_PRELOAD = [
    "provenance.volume.pool",
    "provenance.volume.batch",
    "provenance.volume.task",
    "provenance.sign",
    "provenance.verify",
    "provenance._c2pa",
]
_SHUTDOWN_GRACE_S = 2.0
#: Environment variables of the fsspec back-ends (S3, GCS, Azure) passed to ``source`` workers.
_STORAGE_ENV_PREFIXES = ("AWS_", "BOTO_", "FSSPEC_", "GOOGLE_", "GCSFS_", "AZURE_")


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _context() -> BaseContext:
    """The multiprocessing context for workers (see the module docstring for why)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------- worker side


#: What each kind of worker runs: (module, init function, run function), imported in the worker.
_KINDS: dict[str, tuple[str, str, str]] = {
    "source": ("provenance.volume.task", "source_init", "source_run"),
    "sign": ("provenance.volume.batch", "sign_init", "sign_run"),
}


def _resolve(kind: str) -> tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]:
    import importlib

    module_name, init_name, run_name = _KINDS[kind]
    module = importlib.import_module(module_name)
    return getattr(module, init_name), getattr(module, run_name)


def _task_name(payload: Any) -> str:
    source = getattr(payload, "source", payload)
    return str(source).rsplit("/", 1)[-1]


def _apply_test_hooks(hooks: dict[str, str], name: str) -> None:
    """Simulate a native crash or a hang for the test-suite (see the module docstring)."""
    crash = hooks.get(CRASH_HOOK_ENV)
    if crash and crash in name:
        os._exit(70)
    hang = hooks.get(HANG_HOOK_ENV)
    if hang and hang in name:
        time.sleep(3600)


def _limit_memory(limit: int | None) -> None:
    if not limit:
        return
    try:
        import resource
    except ImportError:  # not POSIX: no address-space limit available
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker_main(
    conn: Connection, kind: str, init_args: Any, hooks: dict[str, str], memory_limit: int | None
) -> None:
    """Worker entry point: set limits, build state once, then run one task at a time."""
    # The parent handles Ctrl-C and stops workers itself; a traceback per worker helps nobody.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _limit_memory(memory_limit)
        init, run = _resolve(kind)
        state = init(init_args)
    except ProvenanceError as exc:
        conn.send(("init_error", type(exc).__name__, exc.message, exc.hint))
        return
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a failed start
        conn.send(("init_error", "OperationError", f"worker start failed ({exc})", None))
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, payload = message
        _apply_test_hooks(hooks, _task_name(payload))
        try:
            result: tuple[Any, ...] = ("ok", run(state, payload))
        except KeyProblem as exc:
            # The key cannot be unlocked: every file would fail the same way.
            conn.send(("init_error", type(exc).__name__, exc.message, exc.hint))
            return
        except MemoryError:
            result = ("error", "ran out of memory (over the worker's memory limit)")
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the worker
            result = ("error", f"unexpected error ({type(exc).__name__})")
        try:
            conn.send(("result", index, result))
        except MemoryError:
            conn.send(("result", index, ("error", "ran out of memory sending the result")))


# --------------------------------------------------------------------------- parent side


class _Worker:
    """One worker process, its pipe and the task it is running (parent-side bookkeeping)."""

    __slots__ = ("conn", "deadline", "process", "started", "task")

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.task: Any = None
        self.started = 0.0
        self.deadline: float | None = None


@dataclass(frozen=True, slots=True)
class _Crash:
    """A task that ended without a result: the worker died or ran out of time."""

    message: str


_INIT_ERRORS: dict[str, type[ProvenanceError]] = {
    "KeyProblem": KeyProblem,
}


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


class _Pool:
    """Run tasks on up to ``jobs`` workers, one task per worker at a time."""

    def __init__(
        self,
        kind: str,
        init_args: Any,
        *,
        jobs: int,
        timeout_s: float | None,
        memory_limit: int | None,
    ) -> None:
        self.kind = kind
        self.init_args = init_args
        self.jobs = max(1, jobs)
        self.timeout_s = timeout_s
        self.memory_limit = memory_limit
        self.ctx = _context()
        hook_names = (CRASH_HOOK_ENV, HANG_HOOK_ENV)
        self.hooks = {k: os.environ[k] for k in hook_names if os.environ.get(k)}
        self.workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent_conn, child_conn = self.ctx.Pipe(duplex=True)
        process = self.ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main,
            args=(child_conn, self.kind, self.init_args, self.hooks, self.memory_limit),
            daemon=True,
        )
        process.start()
        child_conn.close()
        return _Worker(process, parent_conn)

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        if kill:
            worker.process.kill()
        else:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        worker.process.join(_SHUTDOWN_GRACE_S)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (a busy one is killed: its task is abandoned)."""
        workers, self.workers = self.workers, []
        for worker in workers:
            self._stop(worker, kill=worker.task is not None)

    def run(
        self,
        payloads: Sequence[Any],
        on_start: Callable[[int], None],
        on_result: Callable[[int, Any, float], None],
    ) -> None:
        """Run every payload; ``on_result`` gets a result or a :class:`_Crash` per index."""

        def items() -> Iterator[tuple[int, Any]]:
            for index, payload in enumerate(payloads):
                on_start(index)  # pulled exactly when a worker takes it
                yield index, payload

        with self:
            for index, value, elapsed in self.stream(items()):
                on_result(index, value, elapsed)

    def stream(self, items: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any, float]]:
        """Run ``(key, payload)`` items, yielding ``(key, result or _Crash, seconds)`` as each ends.

        Items are pulled from ``items`` only when a worker is free (back-pressure),
        so a lazy enumeration of millions of files is never materialised.  Workers
        stay up after the stream ends, for the next call; :meth:`close` stops them.
        If the consumer stops early, the pool is closed (tasks in flight are dropped).
        """
        source = iter(items)
        exhausted = False
        finished = False
        try:
            while True:
                while not exhausted:
                    worker = self._idle_worker()
                    if worker is None:
                        break
                    try:
                        key, payload = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    self._assign(worker, key, payload)
                if not any(w.task is not None for w in self.workers):
                    finished = True
                    return
                yield from self._wait_once()
        finally:
            if not finished:
                self.close()

    def _idle_worker(self) -> _Worker | None:
        for worker in self.workers:
            if worker.task is None:
                return worker
        if len(self.workers) < self.jobs:
            worker = self._start()
            self.workers.append(worker)
            return worker
        return None

    def _assign(self, worker: _Worker, key: Any, payload: Any) -> None:
        worker.task = key
        worker.started = time.monotonic()
        worker.deadline = worker.started + self.timeout_s if self.timeout_s else None
        worker.conn.send((0, payload))

    def _wait_once(self) -> list[tuple[Any, Any, float]]:
        busy = [w for w in self.workers if w.task is not None]
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        waitables: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        ready = set(wait(waitables, timeout))
        now = time.monotonic()
        ended: list[tuple[Any, Any, float]] = []
        for slot, worker in enumerate(self.workers):
            key = worker.task
            if key is None:
                continue
            elapsed = now - worker.started
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is not None and message[0] == "result":
                    worker.task = None
                    status, value = message[2]
                    ended.append((key, value if status == "ok" else _Crash(value), elapsed))
                    continue
                if message is not None and message[0] == "init_error":
                    _, name, text, hint = message
                    raise _INIT_ERRORS.get(name, OperationError)(text, hint=hint)
                # EOF without a result: the worker died; fall through to the crash report.
            elif worker.process.sentinel not in ready and (
                worker.deadline is None or now < worker.deadline
            ):
                continue
            if worker.process.sentinel in ready or worker.conn in ready:
                worker.process.join(_SHUTDOWN_GRACE_S)
                code = worker.process.exitcode
                if code is not None and code < 0:
                    why = f"the worker was killed by {_signal_name(code)}"
                else:
                    why = f"the worker stopped unexpectedly (exit code {code})"
                crash = _Crash(f"{why} while processing this file")
            else:
                crash = _Crash(f"took longer than the time limit of {self.timeout_s:g} s")
            worker.task = None
            self._stop(worker, kill=True)
            self.workers[slot] = self._start()
            ended.append((key, crash, elapsed))
        return ended


def source_pool(
    options: VerifyOptions,
    *,
    jobs: int,
    timeout_s: float | None = DEFAULT_VERIFY_TIMEOUT_S,
    memory_limit: int | None = DEFAULT_VERIFY_MEMORY_BYTES,
) -> _Pool:
    """A guarded pool that verifies sources (paths or URLs) one per worker at a time.

    The engines of :mod:`provenance.volume._engine` drive it with
    ``pool.stream((key, source) ...)``; a crash, hang or memory blow-up costs one
    source (a :class:`_Crash` result; see :func:`provenance.volume.task.outcome_report`).
    Close it with ``pool.close()`` or use it as a context manager.
    """
    # The fork server keeps the environment of the moment it started; object-storage
    # settings (endpoint, credentials) are taken from now and applied in each worker.
    storage_env = {k: v for k, v in os.environ.items() if k.startswith(_STORAGE_ENV_PREFIXES)}
    return _Pool(
        "source", (options, storage_env), jobs=jobs, timeout_s=timeout_s, memory_limit=memory_limit
    )


def sign_pool(home: Path, passphrase: bytes, *, jobs: int, timeout_s: float | None) -> _Pool:
    """A guarded pool that signs :class:`~provenance.sign.request.SignRequest` values.

    Each worker builds its identity from ``home`` and ``passphrase`` (unlocked on the
    first file it must sign; see :func:`provenance.volume.batch.sign_init`).  No
    memory limit: a signing worker holds the image being written.
    """
    return _Pool("sign", (home, passphrase), jobs=jobs, timeout_s=timeout_s, memory_limit=None)


def is_crash(value: object) -> bool:
    """True when a pool result is a crash or time-out rather than a report."""
    return isinstance(value, _Crash)


def crash_message(value: object) -> str:
    """The reason of a crash result (see :func:`is_crash`)."""
    return value.message if isinstance(value, _Crash) else ""
