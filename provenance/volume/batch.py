"""Many files at once: a small process pool with per-file isolation, time limits and resume.

Why a pool of our own instead of :class:`concurrent.futures.ProcessPoolExecutor`:
c2pa-rs is native code, and a panic, a hang or an allocation failure in it takes
down the whole process.  The standard executor marks the *entire* pool broken
when one worker dies (``BrokenProcessPool``), losing every file in flight.  Here
each worker runs one file at a time over its own pipe; when a worker dies, runs
past the per-file time limit or hits its memory limit, only that file is
reported and a fresh worker takes its place.

Why ``forkserver``: forking the big parent (rich, typer, maybe threads in c2pa's
runtime) is unsafe with native libraries, and ``spawn`` re-imports Pillow, numpy
and c2pa in every worker (measured 0.2-0.45 s each).  A fork server that
preloaded the library once starts a clean worker in about 16 ms, so replacing a
crashed worker is cheap.  Where ``forkserver`` does not exist (Windows) we
fall back to ``spawn``.

Workers are given what they need to build their own state (signing identities
hold a Python callable and cannot be pickled): ``sign_many`` passes the home
folder and passphrase, and each worker unlocks the key once.

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
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.errors import KeyProblem, OperationError, ProvenanceError
from provenance.models import Problem, Report, Verdict
from provenance.sanitize import safe_filename_display

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

    from provenance.sign.request import SignRequest
    from provenance.verify.verifier import VerifyOptions

#: Default wall-clock limit for verifying one file in a worker.
DEFAULT_VERIFY_TIMEOUT_S = 60.0
#: Default address-space limit of a verify worker (RLIMIT_AS, Linux/macOS).
DEFAULT_VERIFY_MEMORY_BYTES = 2 * 1024**3

CRASH_HOOK_ENV = "PROVENANCE_TEST_CRASH_ON"
HANG_HOOK_ENV = "PROVENANCE_TEST_HANG_ON"

# Modules the fork server imports once, so each worker starts warm.
_PRELOAD = ["provenance.volume.batch", "provenance.sign", "provenance.verify", "provenance._c2pa"]
_SHUTDOWN_GRACE_S = 2.0


class EventKind(StrEnum):
    """What happened to one file in a batch."""

    STARTED = "started"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """A progress event for one file; ``elapsed`` is seconds spent on that file."""

    kind: EventKind
    path: Path
    message: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """The result of signing one file: done, skipped (already up to date) or failed."""

    source: Path
    output: Path
    status: EventKind
    message: str | None = None
    elapsed: float = 0.0
    #: What the signature recorded (provenance.sign.recorded.TAGS), for the summary line.
    recorded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """All outcomes of a signing batch, in request order, and the wall-clock time."""

    outcomes: tuple[FileOutcome, ...]
    elapsed: float

    def _count(self, kind: EventKind) -> int:
        return sum(1 for o in self.outcomes if o.status is kind)

    @property
    def done(self) -> int:
        """Files signed in this run."""
        return self._count(EventKind.DONE)

    @property
    def skipped(self) -> int:
        """Files whose output already existed and verified."""
        return self._count(EventKind.SKIPPED)

    @property
    def failed(self) -> int:
        """Files that could not be signed."""
        return self._count(EventKind.FAILED)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return self.failed == 0

    @property
    def files_per_second(self) -> float:
        """Throughput over the whole batch (all outcomes, wall clock)."""
        return len(self.outcomes) / self.elapsed if self.elapsed > 0 else 0.0


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


class _LazyIdentity:
    """Unlocks the signing key on first use.

    Unlocking costs a deliberately slow KDF (~0.07 s per worker); a resumed batch whose
    outputs are all up to date never pays it.
    """

    __slots__ = ("_args", "_identity", "_signer")

    def __init__(self, args: tuple[Path, bytes]) -> None:
        self._args = args
        self._identity: Any = None
        self._signer: tuple[str | None, str | None] | None = None

    def signer(self) -> tuple[str | None, str | None]:
        """(name, organization) of the stored certificate, read without unlocking the key."""
        if self._signer is None:
            from provenance.identity.keys import describe_identity

            info = describe_identity(self._args[0])
            self._signer = (info.name, info.organization)
        return self._signer

    def get(self) -> Any:
        if self._identity is None:
            from provenance.identity.keys import load_identity

            self._identity = load_identity(*self._args)
        return self._identity


def _sign_init(args: tuple[Path, bytes]) -> Any:
    from provenance.sign.allocator import reuse_freed_memory

    reuse_freed_memory()  # each worker signs file after file: reuse their buffers
    return _LazyIdentity(args)


def _sign_run(
    identity: _LazyIdentity, request: SignRequest
) -> tuple[EventKind, str | None] | tuple[EventKind, str | None, tuple[str, ...]]:
    """Sign one request in a worker: skip our own up-to-date output; replace others only with force.

    Resuming skips only outputs this identity signed and that still verify
    (:func:`provenance.volume.resume.is_our_output`); any other existing file — stale, foreign, or not
    an image at all — is replaced only with ``force``, as for one file.
    """
    from provenance.sign.orchestrator import sign_image
    from provenance.volume.resume import is_our_output

    output = request.output
    if os.path.lexists(output):
        try:
            same = output.samefile(request.source)
        except OSError:
            same = False
        # Never "resume" onto the input: sign_image refuses that with a clear message.
        if not same and not request.force:
            try:
                ours = is_our_output(request, identity.signer())
            except ProvenanceError:
                ours = False
            if ours:
                return EventKind.SKIPPED, "already signed and verified"
            return (
                EventKind.FAILED,
                f"{output.name} already exists and is not an up-to-date output signed "
                "by you; use --force to replace it",
            )
    signing_identity = identity.get()  # a KeyProblem here stops the batch (see _worker_main)
    try:
        result = sign_image(request, signing_identity)
    except ProvenanceError as exc:
        return EventKind.FAILED, exc.message
    from provenance.sign.recorded import recorded_tags

    return EventKind.DONE, result.extent_note, recorded_tags(result)


def _verify_init(args: VerifyOptions) -> Any:
    return args


def _verify_run(options: Any, path: Path) -> Report:
    from provenance.verify.verifier import verify_file

    return verify_file(path, options)


_INIT: dict[str, Callable[[Any], Any]] = {"sign": _sign_init, "verify": _verify_init}
_RUN: dict[str, Callable[[Any, Any], Any]] = {"sign": _sign_run, "verify": _verify_run}


def _task_name(payload: Any) -> str:
    source = getattr(payload, "source", payload)
    return Path(source).name


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
        state = _INIT[kind](init_args)
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
            result: tuple[Any, ...] = ("ok", _RUN[kind](state, payload))
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
        self.task: int | None = None
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

    def run(
        self,
        payloads: Sequence[Any],
        on_start: Callable[[int], None],
        on_result: Callable[[int, Any, float], None],
    ) -> None:
        """Run every payload; ``on_result`` gets a result or a :class:`_Crash` per index."""
        pending = deque(range(len(payloads)))
        try:
            self.workers = [self._start() for _ in range(min(self.jobs, len(payloads)))]
            while pending or any(w.task is not None for w in self.workers):
                for worker in self.workers:
                    if worker.task is None and pending:
                        index = pending.popleft()
                        worker.task = index
                        worker.started = time.monotonic()
                        worker.deadline = (
                            worker.started + self.timeout_s if self.timeout_s else None
                        )
                        on_start(index)
                        worker.conn.send((index, payloads[index]))
                self._wait_once(on_result)
        finally:
            for worker in self.workers:
                self._stop(worker, kill=worker.task is not None)
            self.workers = []

    def _wait_once(self, on_result: Callable[[int, Any, float], None]) -> None:
        busy = [w for w in self.workers if w.task is not None]
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        waitables: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        ready = set(wait(waitables, timeout))
        now = time.monotonic()
        for slot, worker in enumerate(self.workers):
            index = worker.task
            if index is None:
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
                    on_result(index, value if status == "ok" else _Crash(value), elapsed)
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
            self._stop(worker, kill=True)
            self.workers[slot] = self._start()
            on_result(index, crash, elapsed)


# --------------------------------------------------------------------------- public API


def sign_many(
    requests: Sequence[SignRequest],
    *,
    home: Path,
    passphrase: bytes,
    jobs: int | None = None,
    timeout_s: float | None = None,
    on_event: Callable[[BatchEvent], None] | None = None,
) -> BatchSummary:
    """Sign many images in parallel worker processes; resumable, never touching inputs.

    An output that exists, is newer than its inputs and verifies with its own
    name as title is skipped (unless the request has ``force``); any other
    existing output is re-signed and replaced atomically.  A failing file is
    reported in the summary and the batch goes on.  Raises :class:`KeyProblem`
    when the key cannot be unlocked (every worker would fail the same way).
    """
    emit = on_event or (lambda _event: None)
    started = time.monotonic()
    outcomes: list[FileOutcome | None] = [None] * len(requests)
    runnable: list[int] = []
    seen: dict[Path, int] = {}
    for index, request in enumerate(requests):
        key = request.output.resolve()
        if key in seen:
            outcomes[index] = FileOutcome(
                request.source,
                request.output,
                EventKind.FAILED,
                f"another file in this batch is also written to {request.output.name}",
            )
            emit(BatchEvent(EventKind.FAILED, request.source, outcomes[index].message))  # type: ignore[union-attr]
            continue
        seen[key] = index
        runnable.append(index)

    def on_start(slot: int) -> None:
        emit(BatchEvent(EventKind.STARTED, requests[runnable[slot]].source))

    def on_result(slot: int, value: Any, elapsed: float) -> None:
        request = requests[runnable[slot]]
        recorded: tuple[str, ...] = ()
        if isinstance(value, _Crash):
            status, message = EventKind.FAILED, value.message
        else:
            status, message, *rest = value
            recorded = tuple(rest[0]) if rest else ()
        outcomes[runnable[slot]] = FileOutcome(
            request.source, request.output, status, message, elapsed, recorded
        )
        emit(BatchEvent(status, request.source, message, elapsed))

    if runnable:
        pool = _Pool(
            "sign",
            (home, passphrase),
            jobs=jobs or default_jobs(),
            timeout_s=timeout_s,
            memory_limit=None,
        )
        pool.run([requests[i] for i in runnable], on_start, on_result)
    final = tuple(o for o in outcomes if o is not None)
    return BatchSummary(outcomes=final, elapsed=time.monotonic() - started)


def _unreadable_report(path: Path, code: str, explanation: str) -> Report:
    from provenance.summary import with_summary
    from provenance.verify.statements import build_statements

    report = Report(
        file=safe_filename_display(str(path)),
        verdict=Verdict.UNREADABLE,
        problems=(Problem(code=code, explanation=explanation),),
    )
    return with_summary(replace(report, statements=build_statements(report)))


def verify_many(
    paths: Sequence[Path],
    options: VerifyOptions,
    *,
    jobs: int | None = None,
    timeout_s: float | None = DEFAULT_VERIFY_TIMEOUT_S,
    memory_limit_bytes: int | None = DEFAULT_VERIFY_MEMORY_BYTES,
    on_event: Callable[[BatchEvent], None] | None = None,
) -> list[Report]:
    """Verify many files, each in a worker process with a time and memory limit.

    Returns one report per path, in order.  A file over ``options.max_bytes`` is
    refused before any worker sees it; a file whose worker crashes, hangs past
    ``timeout_s`` or exceeds ``memory_limit_bytes`` is ``unreadable`` with the
    reason, and the run goes on with a fresh worker.
    """
    emit = on_event or (lambda _event: None)
    reports: list[Report | None] = [None] * len(paths)
    runnable: list[int] = []
    for index, path in enumerate(paths):
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # the worker reports the precise reason
        if size > options.max_bytes:
            reports[index] = _unreadable_report(
                path,
                "provenance.tooLarge",
                f"The file is larger than the limit of {options.max_bytes:,} bytes, "
                "so it was not read.",
            )
            emit(BatchEvent(EventKind.DONE, path, "over the size limit"))
        else:
            runnable.append(index)

    def on_start(slot: int) -> None:
        emit(BatchEvent(EventKind.STARTED, paths[runnable[slot]]))

    def on_result(slot: int, value: Any, elapsed: float) -> None:
        path = paths[runnable[slot]]
        if isinstance(value, _Crash):
            value = _unreadable_report(
                path, "provenance.workerFailed", f"Verification stopped: {value.message}."
            )
            emit(BatchEvent(EventKind.FAILED, path, value.problems[0].explanation, elapsed))
        else:
            emit(BatchEvent(EventKind.DONE, path, value.verdict.value, elapsed))
        reports[runnable[slot]] = value

    if runnable:
        pool = _Pool(
            "verify",
            options,
            jobs=jobs or default_jobs(),
            timeout_s=timeout_s,
            memory_limit=memory_limit_bytes,
        )
        pool.run([paths[i] for i in runnable], on_start, on_result)
    return [r for r in reports if r is not None]


#: File name endings ``collect_images`` picks up inside folders.
IMAGE_SUFFIXES = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".png",
        ".webp",
        ".tif",
        ".tiff",
        ".heic",
        ".heif",
        ".avif",
        ".gif",
        ".dng",
        # Camera RAW (credentials in a FILE.c2pa sidecar beside each one).
        ".cr3",
        ".cr2",
        ".nef",
        ".nrw",
        ".arw",
        ".orf",
        ".raf",
        ".rw2",
        ".pef",
        ".svg",
        ".jxl",
        ".c2pa",
    }
)


def collect_images(paths: Sequence[Path]) -> list[Path]:
    """Files to check: given files as they are, folders searched recursively for images.

    Inside folders, hidden entries (temp files such as ``.x.jpg.1234.partial``)
    are skipped and symbolic links to folders are not followed (no loops).
    Each file appears once, in a stable order.  A ``.c2pa`` sidecar whose file is
    beside it (``IMG_1.CR3.c2pa`` next to ``IMG_1.CR3``) is not a file of its own:
    verify pairs it with its file; only an orphan sidecar is listed.
    """
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.absolute()
        if key not in seen:
            seen.add(key)
            found.append(path)

    for path in paths:
        if not path.is_dir():
            add(path)
            continue
        for folder, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            names = {f for f in filenames if not f.startswith(".")}
            paired = _paired_sidecars(names)
            for filename in sorted(names - paired):
                candidate = Path(folder) / filename
                if candidate.suffix.lower() in IMAGE_SUFFIXES:
                    add(candidate)
    return found


def _paired_sidecars(names: set[str]) -> set[str]:
    """The ``.c2pa`` names among ``names`` that belong to a file beside them.

    The same two spellings :func:`provenance._c2pa.find_sidecar` accepts:
    ``photo.jpg.c2pa`` and ``photo.c2pa`` for ``photo.jpg``.
    """
    paired: set[str] = set()
    for name in names:
        if name.lower().endswith(".c2pa"):
            continue
        for sidecar in (name + ".c2pa", name.rsplit(".", 1)[0] + ".c2pa"):
            if sidecar in names:
                paired.add(sidecar)
    return paired
