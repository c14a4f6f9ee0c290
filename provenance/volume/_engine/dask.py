"""``--engine dask``: the same checks on a Dask distributed cluster, or a LocalCluster.

Why Dask distributed: it is the well-kept, pure-Python task engine of the PyData
world, runs from one laptop (``LocalCluster``) to hundreds of machines, and
already does what a cluster needs: a scheduler that reschedules the tasks of a
worker that died, nannies that restart workers, and futures that complete
exactly once.  We add what it cannot know about:

* **Per-file isolation on the worker.**  Each Dask worker keeps, per thread, the
  guarded process pool of :mod:`provenance.volume.batch`; a task's files are
  verified one at a time in that pool, so a native crash or a hang in c2pa costs
  that one file (``unreadable``, with the reason), never the Dask worker.  The pool
  lives in a :class:`WorkerPlugin`, so a worker that Dask restarts gets a fresh one.
  Dask starts workers as daemonic processes, which ``multiprocessing`` forbids to
  have children; the plugin lifts that flag on its own process (our children
  are reaped by the pool and end with it).
* **Chunks.**  A Dask task costs milliseconds of scheduling (measured in
  benchmarks/volume_bench.py); one file per task would spend more time there
  than verifying a small image, so files travel in chunks (``chunk_size``).
* **Back-pressure.**  Only ``in_flight`` chunks are submitted at a time (default:
  two per worker thread); the next chunk is taken from the enumeration when one
  finishes, so the client and the scheduler hold a bounded window, not the run.
* **Worker loss.**  The scheduler re-runs the tasks of a lost worker (up to
  ``distributed.scheduler.allowed-failures``); a chunk that still fails
  (``KilledWorker``) is resubmitted up to ``retries`` times, then its files are
  reported ``unreadable`` with the reason.  A result is taken exactly once, when
  its future completes, so no file is written twice.
* **Portable job.**  Workers of an existing cluster may run on other machines, so
  the user's own anchors (``--trust`` files, ``trust add``) are resolved on the
  client and sent as PEM text, not as paths; the C2PA / TSA / Interim lists are
  the ones installed on the workers.  A LocalCluster shares this machine's files
  and gets the options unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import pickle
import tempfile
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import dask
import distributed
from distributed.diagnostics.plugin import WorkerPlugin

from provenance.errors import OperationError
from provenance.volume._engine.interface import Engine, Outcome, Task, VerifyJob

# Dask's own annotations are partial; these are the untyped entry points we call.
_Client: Any = distributed.Client
_LocalCluster: Any = distributed.LocalCluster
_as_completed: Any = distributed.as_completed

#: Files per Dask task: enough to amortise the scheduling cost, few enough to spread.
DEFAULT_CHUNK_SIZE = 16
#: Times a chunk whose worker was lost is resubmitted before its files are given up.
DEFAULT_RETRIES = 3
_CONNECT_TIMEOUT_S = 20


@dataclass(frozen=True, slots=True)
class PortableJob:
    """A :class:`VerifyJob` that does not depend on the client's files."""

    job: VerifyJob
    anchors_pem: str


def portable(job: VerifyJob) -> PortableJob:
    """Resolve the user's own anchors to PEM text, so workers elsewhere use the same ones."""
    from provenance.identity.trust import anchors_pem

    options = job.options
    pem = anchors_pem(options.home if options.use_trust_store else None, options.trust_files)
    bare = replace(options, trust_files=(), home=None, use_trust_store=False)
    return PortableJob(job=replace(job, options=bare), anchors_pem=pem or "")


class CheckPlugin(WorkerPlugin):
    """Worker-side state of one run: the job and a guarded pool per worker thread.

    Registered with ``Client.register_plugin``, so every worker, also one that
    joins or is restarted mid-run, has it.
    """

    def __init__(self, name: str, job: PortableJob) -> None:
        self.name = name
        self.job = job
        self._local = threading.local()
        self._pools: list[Any] = []
        self._lock = threading.Lock()
        self._options: Any = None
        self._folder: str | None = None

    def setup(self, worker: Any = None) -> None:
        """Materialise the anchors on this worker and allow it to start child processes."""
        import multiprocessing

        current = multiprocessing.current_process()
        if current.daemon:
            current.daemon = False  # see the module docstring
        self._folder = tempfile.mkdtemp(prefix="provenance-check-")
        options = self.job.job.options
        if self.job.anchors_pem:
            pem = Path(self._folder) / "anchors.pem"
            pem.write_text(self.job.anchors_pem, encoding="utf-8")
            options = replace(options, trust_files=(pem,))
        self._options = options

    def teardown(self, worker: Any = None) -> None:
        """Stop this worker's pools and remove the anchors file."""
        import shutil

        with self._lock:
            pools, self._pools = self._pools, []
        for pool in pools:
            pool.close()
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)

    def pool(self) -> Any:
        """This thread's guarded pool (one verifying process), started on first use."""
        pool = getattr(self._local, "pool", None)
        if pool is None:
            from provenance.volume.pool import source_pool

            if self._options is None:
                self.setup()
            job = self.job.job
            pool = source_pool(
                self._options, jobs=1, timeout_s=job.timeout_s, memory_limit=job.memory_limit_bytes
            )
            self._local.pool = pool
            with self._lock:
                self._pools.append(pool)
        return pool

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "job": self.job}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"], state["job"])  # type: ignore[misc]


def check_chunk(
    plugin_name: str, items: tuple[tuple[int, str], ...]
) -> list[tuple[int, Any, float]]:
    """Dask task: verify a chunk of sources on this worker thread's guarded pool."""
    from provenance.volume.task import outcome_report

    plugin: CheckPlugin = distributed.get_worker().plugins[plugin_name]  # type: ignore[assignment]
    sources = dict(items)
    return [
        (index, outcome_report(sources[index], value), elapsed)
        for index, value, elapsed in plugin.pool().stream(items)
    ]


class DaskEngine(Engine):
    """Verify on a Dask cluster: an existing scheduler, or a LocalCluster of ``workers``."""

    name: ClassVar[str] = "dask"

    def __init__(
        self,
        *,
        scheduler: str | None = None,
        workers: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        in_flight: int | None = None,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.chunk_size = max(1, chunk_size)
        self.in_flight = in_flight
        self.retries = max(0, retries)
        self._cluster: Any = None
        self._client: Any = None

    # -- connection -------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The Dask client, connected (or the LocalCluster started) on first use."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.scheduler:
            try:
                return _Client(self.scheduler, timeout=_CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise OperationError(
                    f"Cannot reach the Dask scheduler at {self.scheduler} ({exc}).",
                    hint="Check the address (tcp://HOST:PORT) and that the scheduler is running.",
                ) from exc
        from provenance.volume.pool import default_jobs

        # The scheduler's HTTP endpoint (health, metrics) binds loopback; when its default
        # port 8787 is taken (another cluster, another user) Dask picks a free one and warns
        # about it on stderr, which says nothing useful to someone running `check`.
        with (
            dask.config.set({"distributed.worker.daemon": False}),
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")
            self._cluster = _LocalCluster(
                n_workers=self.workers or default_jobs(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        return _Client(self._cluster)

    def close(self) -> None:
        """Close the client, and the LocalCluster when we started it."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def worker_pids(self) -> dict[str, int]:
        """Process id of each worker (tests kill one to prove nothing is lost)."""
        return dict(self.client.run(os.getpid))

    # -- running ----------------------------------------------------------------------

    def _window(self) -> int:
        if self.in_flight:
            return self.in_flight
        threads = sum(self.client.nthreads().values()) or 1
        return max(2, 2 * threads)

    def run(self, tasks: Iterable[Task], job: VerifyJob) -> Iterator[Outcome]:
        """Verify every task on the cluster; one outcome per task (see the module docstring)."""
        client = self.client
        # A LocalCluster shares this machine's files (the home folder, --trust files, updated
        # trust lists); workers elsewhere get the anchors as PEM text instead.
        payload = portable(job) if self.scheduler else PortableJob(job=job, anchors_pem="")
        digest = hashlib.sha256(pickle.dumps(payload)).hexdigest()[:16]
        plugin_name = f"provenance-check-{digest}"
        client.register_plugin(CheckPlugin(plugin_name, payload), name=plugin_name)
        chunks = _chunks(tasks, self.chunk_size)
        window = self._window()
        pending: dict[Any, tuple[tuple[tuple[int, str], ...], int]] = {}
        done = _as_completed()
        counter = itertools.count()

        def submit(items: tuple[tuple[int, str], ...], attempt: int) -> None:
            future = client.submit(
                check_chunk,
                plugin_name,
                items,
                key=f"provenance-check-{digest}-{next(counter)}",
                pure=False,
                retries=1,
            )
            pending[future] = (items, attempt)
            done.add(future)

        def refill() -> None:
            while len(pending) < window:
                items = next(chunks, None)
                if items is None:
                    return
                submit(items, 0)

        try:
            refill()
            while pending:
                future = next(done)
                items, attempt = pending.pop(future)
                try:
                    results = future.result()
                except Exception as exc:
                    if _is_import_problem(exc):
                        raise OperationError(
                            "The Dask workers cannot run provenance's checks "
                            f"({type(exc).__name__}: {exc}).",
                            hint="Install the same version of provenance on every worker.",
                        ) from exc
                    if attempt < self.retries:
                        submit(items, attempt + 1)
                        continue
                    from provenance.volume.task import lost_report

                    for index, source in items:
                        yield Outcome(index, source, lost_report(source, attempt + 1), 0.0)
                    refill()
                    continue
                finally:
                    future.release()
                sources = dict(items)
                for index, report, elapsed in results:
                    yield Outcome(index, sources[index], report, elapsed)
                refill()
        finally:
            for future in list(pending):
                future.cancel()
            try:
                client.unregister_worker_plugin(plugin_name)
            except Exception:  # noqa: BLE001, S110 - cleanup must not hide the real error
                pass


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[tuple[tuple[int, str], ...]]:
    iterator = iter(tasks)
    while batch := tuple((t.index, t.source) for t in itertools.islice(iterator, size)):
        yield batch


def _is_import_problem(exc: BaseException) -> bool:
    return isinstance(exc, ImportError | AttributeError) and "provenance" in str(exc)
