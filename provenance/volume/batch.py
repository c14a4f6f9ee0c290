"""Many files at once: ``sign_many`` and ``verify_many`` on the guarded pool, with resume.

The pool itself (one file per worker process at a time, a crash, hang or memory
blow-up costing that file only, a ``forkserver`` for cheap fresh workers) is
:mod:`provenance.volume.pool`, shared with ``check``'s engines.  This module
adds what signing and verifying a list of files need around it: the signing
worker's state (the key, unlocked once per worker and only when something is to
be signed), resume (an output that is already ours is skipped), outputs named
twice, the size limit before any worker reads a file, progress events and the
summary.  ``verify_many`` runs the same per-file function as ``check``
(:func:`provenance.volume.task.verify_source`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.errors import ProvenanceError
from provenance.models import Report
from provenance.volume.pool import CRASH_HOOK_ENV as CRASH_HOOK_ENV
from provenance.volume.pool import DEFAULT_VERIFY_MEMORY_BYTES as DEFAULT_VERIFY_MEMORY_BYTES
from provenance.volume.pool import DEFAULT_VERIFY_TIMEOUT_S as DEFAULT_VERIFY_TIMEOUT_S
from provenance.volume.pool import HANG_HOOK_ENV as HANG_HOOK_ENV
from provenance.volume.pool import crash_message, is_crash, sign_pool, source_pool
from provenance.volume.pool import default_jobs as default_jobs

if TYPE_CHECKING:
    from provenance.sign.request import SignRequest
    from provenance.verify.verifier import VerifyOptions


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


def sign_init(args: tuple[Path, bytes]) -> Any:
    from provenance.sign.allocator import reuse_freed_memory

    reuse_freed_memory()  # each worker signs file after file: reuse their buffers
    return _LazyIdentity(args)


def sign_run(
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
    signing_identity = identity.get()  # a KeyProblem here stops the batch (pool._worker_main)
    try:
        result = sign_image(request, signing_identity)
    except ProvenanceError as exc:
        return EventKind.FAILED, exc.message
    from provenance.sign.recorded import recorded_tags

    return EventKind.DONE, result.extent_note, recorded_tags(result)


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
        if is_crash(value):
            status, message = EventKind.FAILED, crash_message(value)
        else:
            status, message, *rest = value
            recorded = tuple(rest[0]) if rest else ()
        outcomes[runnable[slot]] = FileOutcome(
            request.source, request.output, status, message, elapsed, recorded
        )
        emit(BatchEvent(status, request.source, message, elapsed))

    if runnable:
        pool = sign_pool(home, passphrase, jobs=jobs or default_jobs(), timeout_s=timeout_s)
        pool.run([requests[i] for i in runnable], on_start, on_result)
    final = tuple(o for o in outcomes if o is not None)
    return BatchSummary(outcomes=final, elapsed=time.monotonic() - started)


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
    from provenance.volume.task import outcome_report, unreadable_report

    emit = on_event or (lambda _event: None)
    reports: list[Report | None] = [None] * len(paths)
    runnable: list[int] = []
    for index, path in enumerate(paths):
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # the worker reports the precise reason
        if size > options.max_bytes:
            reports[index] = unreadable_report(
                str(path),
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
        report = outcome_report(str(path), value)
        if is_crash(value):
            emit(BatchEvent(EventKind.FAILED, path, report.problems[0].explanation, elapsed))
        else:
            emit(BatchEvent(EventKind.DONE, path, report.verdict.value, elapsed))
        reports[runnable[slot]] = report

    if runnable:
        pool = source_pool(
            options,
            jobs=jobs or default_jobs(),
            timeout_s=timeout_s,
            memory_limit=memory_limit_bytes,
        )
        pool.run([str(paths[i]) for i in runnable], on_start, on_result)
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
