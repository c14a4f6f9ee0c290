"""Verification for the server: bounded concurrency, a bounded queue, isolated workers.

Each request's files are verified by :func:`provenance.volume.batch.verify_many`,
in worker processes with a time and memory limit: a file that crashes or hangs
c2pa costs that file (``unreadable``, with the reason), never the server.

:class:`Gate` bounds the work.  At most ``slots`` worker processes run at once,
over all requests together (a request with several files takes up to
``slots`` of them); at most ``queue`` requests wait their turn, first come
first served.  A request that finds the queue full is refused at once with 503
and a ``Retry-After`` estimated from recent requests, instead of piling up
memory and time-outs.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from provenance.models import Problem, Report, Verdict
from provenance.serve.problems import ProblemError
from provenance.verify import VerifyOptions
from provenance.verify.statements import build_statements


class Gate:
    """At most ``slots`` workers busy at once, at most ``queue`` requests waiting (FIFO)."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = max(1, slots)
        self.queue = max(0, queue)
        self.busy = 0
        self._waiting: deque[object] = deque()
        self._cond = asyncio.Condition()
        self._recent: deque[float] = deque(maxlen=32)

    @property
    def waiting(self) -> int:
        """Requests waiting for a worker now."""
        return len(self._waiting)

    def retry_after(self) -> int:
        """Seconds a refused client should wait: queue length x typical request time."""
        typical = sorted(self._recent)[len(self._recent) // 2] if self._recent else 1.0
        return max(1, math.ceil(typical * (self.waiting + 1) / self.slots))

    @asynccontextmanager
    async def hold(self, want: int) -> AsyncIterator[int]:
        """Wait for up to ``want`` worker slots (the request's own jobs) and hold them."""
        want = max(1, min(want, self.slots))
        ticket = object()
        async with self._cond:
            must_wait = self._waiting or self.busy + want > self.slots
            if must_wait and len(self._waiting) >= self.queue:
                raise ProblemError(
                    "busy",
                    "Every worker is busy and the queue is full; try again shortly.",
                    headers={"Retry-After": str(self.retry_after())},
                )
            self._waiting.append(ticket)
            try:
                await self._cond.wait_for(
                    lambda: self._waiting[0] is ticket and self.busy + want <= self.slots
                )
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()
            self.busy += want
        started = time.monotonic()
        try:
            yield want
        finally:
            self._recent.append(time.monotonic() - started)
            async with self._cond:
                self.busy -= want
                self._cond.notify_all()


@dataclass(frozen=True, slots=True)
class Job:
    """One file to verify: where it is, and the name to show for it."""

    path: Path
    name: str


def _refused(name: str, code: str, explanation: str) -> Report:
    report = Report(
        file=name,
        verdict=Verdict.UNREADABLE,
        problems=(Problem(code=code, explanation=explanation),),
    )
    return replace(report, statements=build_statements(report))


#: What :func:`pixel_count` says for a header past Pillow's own bomb limit (size not given).
TOO_MANY_PIXELS = 2**62


def pixel_count(path: Path) -> int | None:
    """Width x height from the image header (no pixel data is decoded); None when unknown.

    Only Pillow's own header parsers for common still formats are used; other
    types are left to the worker, whose decoders are bounded themselves.
    """
    from PIL import Image

    from provenance import media

    media._pil()  # sets Pillow's own decompression-bomb limit
    try:
        with Image.open(path, formats=("JPEG", "PNG", "GIF", "TIFF", "WEBP", "BMP")) as img:
            width, height = img.size
    except Image.DecompressionBombError:
        return TOO_MANY_PIXELS  # over Pillow's own limit: over ours too
    except Exception:  # noqa: BLE001 - unknown or corrupt: the worker decides, in isolation
        return None
    return int(width) * int(height)


def paired_sidecars_removed(jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` without the ``.c2pa`` sidecars uploaded with their file.

    Verification finds such a sidecar beside its file (``photo.nef.c2pa`` or
    ``photo.c2pa``, as :func:`provenance._c2pa.find_sidecar`), so it is reported as
    part of that file, the way ``check`` does in a folder; an orphan sidecar stays.
    """
    names = {job.path.name for job in jobs}
    paired = set()
    for name in names:
        if name.lower().endswith(".c2pa"):
            continue
        for sidecar in (name + ".c2pa", name.rsplit(".", 1)[0] + ".c2pa"):
            if sidecar in names:
                paired.add(sidecar)
                break
    return [job for job in jobs if job.path.name not in paired]


def verify_jobs(
    jobs: Sequence[Job],
    options: VerifyOptions,
    *,
    workers: int,
    timeout_s: float,
    max_pixels: int,
) -> list[Report]:
    """Verify ``jobs`` in isolated worker processes; one report per file, in order.

    A ``.c2pa`` sidecar uploaded with its file is read with it, not reported alone.

    Each report's ``file`` is the job's display name, never the server-side path.
    An image whose header says it has more than ``max_pixels`` pixels is refused
    unread (``unreadable``).  Runs in a thread: it blocks until every file is done.
    """
    from provenance.volume.batch import verify_many

    jobs = paired_sidecars_removed(jobs)
    reports: list[Report | None] = [None] * len(jobs)
    runnable: list[int] = []
    for index, job in enumerate(jobs):
        pixels = pixel_count(job.path)
        if pixels is not None and pixels > max_pixels:
            size = "" if pixels == TOO_MANY_PIXELS else f" ({pixels / 1e6:.0f} million)"
            reports[index] = _refused(
                job.name,
                "provenance.tooManyPixels",
                f"The image has more pixels{size} than this server's limit of "
                f"{max_pixels / 1e6:g} million, so it was not decoded.",
            )
        else:
            runnable.append(index)
    if runnable:
        done = verify_many(
            [jobs[i].path for i in runnable],
            options,
            jobs=min(workers, len(runnable)),
            timeout_s=timeout_s,
        )
        for index, report in zip(runnable, done, strict=True):
            reports[index] = replace(report, file=jobs[index].name)
    return [r for r in reports if r is not None]


#: Imported once by the workers' fork server, so that no request pays for them: without
#: this each fresh worker imports numpy, Pillow and the extent code (measured 0.36 s of
#: the 0.85 s an AI-edited 640 px JPEG took, on the loaded 2-core CI VM).
WARM_MODULES = (
    "provenance.volume.batch",
    "provenance.sign",
    "provenance.verify",
    "provenance.verify.observe",
    "provenance._c2pa",
    "provenance.config",
    "provenance.identity.trust",
    "provenance.extent.measure",
    "numpy",
    "numpy.ma",
    "PIL.Image",
    "PIL.ImageChops",
    "PIL.ImageFile",
    "PIL.ImageSequence",
    "PIL.BmpImagePlugin",
    "PIL.GifImagePlugin",
    "PIL.JpegImagePlugin",
    "PIL.PngImagePlugin",
    "PIL.PpmImagePlugin",
    "decimal",
    "fractions",
    "subprocess",
)


def warm_workers() -> None:
    """Start the workers' fork server now, with what verification imports preloaded.

    :mod:`provenance.volume.batch` starts workers from a ``forkserver``; the first
    start fixes what that server has imported.  Starting it here (with the modules
    above, and the program's own main module, which every worker re-imports) makes
    each later worker start warm.  Where there is no fork server, nothing to do.
    """
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver

    preload = [*WARM_MODULES, "__main__"]
    multiprocessing.get_context("forkserver").set_forkserver_preload(preload)
    forkserver.ensure_running()


def keep_copies(jobs: Sequence[Job], folder: Path) -> None:
    """Copy the uploads into a new sub-folder of ``folder`` (``--keep-uploads``)."""
    import tempfile

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(tempfile.mkdtemp(prefix=stamp + "-", dir=folder))  # 0700, never shared
    for job in jobs:
        shutil.copyfile(job.path, target / job.path.name)
