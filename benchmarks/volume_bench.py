"""check at volume: throughput per engine, the Dask path's overhead, flat memory, a sizing estimate.

Run ``python benchmarks/volume_bench.py`` from the repository root (the dask extra and
``moto[server]`` installed; ``--quick`` for a small smoke run).  One run measures:

1. files/s of ``check`` on the same folder of small signed images with ``--engine local``
   ``--jobs 1`` and ``2``, and ``--engine dask`` with a LocalCluster of 1 and 2 workers
   (cluster start-up is timed apart: a long run pays it once);
2. the Dask path's per-task overhead: empty tasks through the same windowed
   ``as_completed`` loop, and the per-file difference dask-1-worker minus local-jobs-1;
3. client and scheduler peak memory (RSS) over a manifest of ``--entries`` (100,000)
   small images, sampled as the run goes, to show it stays flat;
4. the cost of one 24 MP JPEG: verify in a pool worker, and fetching it from an
   S3-compatible server (moto, on loopback: the client's CPU per object, not a WAN);

and prints a Markdown table plus the sizing estimate derived from those numbers.
This is a measurement, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import array
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


#: The benchmark's scheduler listens on loopback only (on a free port), with no dashboard.
LOOPBACK = ("--host", "127.0.0.1", "--no-dashboard")


def _noop(x: int) -> int:
    return x


def make_seeds(folder: Path, count: int) -> list[Path]:
    """``count`` distinct tiny signed photos (64x48), plus an unsigned and a tampered one."""
    from fixtures.generate import write_photo
    from provenance.identity.keys import ephemeral_identity
    from provenance.sign.orchestrator import sign_image
    from provenance.sign.request import SignRequest

    identity, _root = ephemeral_identity("Bench", "Bench Studio")
    raw = folder / "raw"
    raw.mkdir(parents=True)
    seeds = []
    for i in range(count):
        photo = write_photo(raw, name=f"r{i}.jpg", width=64, height=48, seed=i)
        out = folder / f"seed{i:03d}.jpg"
        sign_image(SignRequest(photo, out), identity)
        seeds.append(out)
    return seeds


def link_corpus(seeds: list[Path], folder: Path, count: int) -> Path:
    """``count`` distinct names (hard links) over the seeds, 1,000 to a sub-folder."""
    folder.mkdir(parents=True)
    for i in range(count):
        sub = folder / f"d{i // 1000:04d}"
        if i % 1000 == 0:
            sub.mkdir()
        os.link(seeds[i % len(seeds)], sub / f"f{i:07d}.jpg")
    return folder


def request(paths: tuple[str, ...], csv_path: Path, **extra: Any) -> Any:
    from provenance.verify import VerifyOptions
    from provenance.volume.check import CheckRequest
    from provenance.volume.policy import policy_from_dict

    return CheckRequest(
        paths=paths,
        policy=policy_from_dict({"require": "valid"}),
        options=VerifyOptions(use_trust_store=False),
        csv_path=csv_path,
        **extra,
    )


def throughput(folder: Path, work: Path, repeats: int) -> dict[str, list[float]]:
    """files/s per engine configuration, every repeat (same folder, same run, interleaved).

    Rounds interleave the configurations, so a burst of load from the other users
    of a shared machine is spread over all of them rather than landing on one.
    """
    from provenance.volume._engine.dask import DaskEngine
    from provenance.volume._engine.local import LocalEngine
    from provenance.volume.check import run_check

    rates: dict[str, list[float]] = {}
    configs: list[tuple[str, Any]] = [
        ("local --jobs 1", lambda: LocalEngine(jobs=1)),
        ("local --jobs 2", lambda: LocalEngine(jobs=2)),
        ("dask, 1 worker", lambda: DaskEngine(workers=1)),
        ("dask, 2 workers", lambda: DaskEngine(workers=2)),
    ]
    startup: dict[str, list[float]] = {}
    for round_ in range(repeats):
        for name, make in configs:
            engine = make()
            if isinstance(engine, DaskEngine):
                t0 = time.perf_counter()
                engine.client  # noqa: B018 - start the cluster outside the timed part
                startup.setdefault(name, []).append(time.perf_counter() - t0)
            out = work / f"tp-{round_}-{name.replace(' ', '_').replace(',', '')}.csv"
            try:
                summary = run_check(request((str(folder),), out), engine=engine)
            finally:
                engine.close()
            rates.setdefault(name, []).append(summary.files_per_second)
    result = dict(rates)
    for name, seconds in startup.items():
        result[f"{name} start-up s"] = seconds
    return result


def task_overhead(tasks: int) -> float:
    """Seconds per empty Dask task through a window of 4 in-flight tasks (2 workers)."""
    import distributed

    from provenance.volume._engine.dask import DaskEngine

    engine = DaskEngine(workers=2)
    try:
        client = engine.client
        done = distributed.as_completed()
        submitted = 0
        t0 = time.perf_counter()
        while submitted < 4:
            done.add(client.submit(_noop, submitted, pure=False))
            submitted += 1
        finished = 0
        for future in done:
            future.result()
            finished += 1
            if submitted < tasks:
                done.add(client.submit(_noop, submitted, pure=False))
                submitted += 1
        return (time.perf_counter() - t0) / finished
    finally:
        engine.close()


def _heap() -> dict[str, Any]:
    """This process's heap: bytes malloc holds for live data (not RSS), Python objects by type.

    ``malloc_in_use`` is glibc's ``mallinfo2().uordblks + hblkhd``: when it stays flat
    while RSS grows, the growth is fragmentation, not data held.  ``top_types`` are
    the most numerous object types the garbage collector tracks.
    """
    import collections
    import ctypes
    import gc

    in_use = -1
    try:

        class MallInfo2(ctypes.Structure):
            _fields_ = [
                (name, ctypes.c_size_t)
                for name in (
                    "arena",
                    "ordblks",
                    "smblks",
                    "hblks",
                    "hblkhd",
                    "usmblks",
                    "fsmblks",
                    "uordblks",
                    "fordblks",
                    "keepcost",
                )
            ]

        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
        in_use = int(info.uordblks + info.hblkhd)
    except (OSError, AttributeError):
        pass
    gc.collect()
    counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
    return {"malloc_in_use": in_use, "objects": sum(counts.values()), "top_types": counts}


def _scheduler_state(dask_scheduler: Any) -> dict[str, Any]:
    """What the scheduler holds that could grow with a run (run on the scheduler)."""
    events = getattr(dask_scheduler, "_events", None) or getattr(dask_scheduler, "events", {})
    monitor = getattr(dask_scheduler, "monitor", None)
    quantities = getattr(monitor, "quantities", {}) if monitor is not None else {}
    return {
        "tasks": len(dask_scheduler.tasks),
        "task_groups": len(dask_scheduler.task_groups),
        "transition_log": len(dask_scheduler.transition_log),
        "events": sum(len(d) for d in events.values()),
        "computations": len(getattr(dask_scheduler, "computations", ())),
        "monitor_samples": max((len(q) for q in quantities.values()), default=0),
        "clients_futures": sum(len(c.wants_what) for c in dask_scheduler.clients.values()),
        "heap": _heap(),
    }


class _Sampler:
    """RSS of the client (this process), the scheduler and the Dask workers, every ``period`` s.

    A thread samples on a clock, not on progress, so a spike between two checkpoints is seen;
    ``checked`` is read from the run's progress callback.
    """

    def __init__(self, scheduler_pid: int, workers_pid: int, period: float = 0.5) -> None:
        import threading

        import psutil

        self.period = period
        self.client = psutil.Process()
        self.scheduler = psutil.Process(scheduler_pid)
        self.workers_root = psutil.Process(workers_pid)
        self.checked = 0
        # Flat arrays of numbers (8 bytes a value), not a list of tuples: the sampler runs
        # in the client process and must not add to the growth it measures.
        self.samples = array.array("d")
        self.peak = [0, 0, 0]  # client, scheduler, largest Dask worker process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.t0 = time.perf_counter()

    def _worker_rss(self) -> int:
        import psutil

        best = 0
        # `dask worker --nworkers 2` runs two nannies, each starting a worker process
        # (multiprocessing spawn); each worker's guarded pool runs under a fork server
        # (verifying processes: not Dask's memory, left out).
        for child in self.workers_root.children(recursive=True):
            try:
                if "forkserver" in " ".join(child.cmdline()):
                    continue
                best = max(best, int(child.memory_info().rss))
            except psutil.Error:
                continue
        return best

    def sample(self) -> tuple[float, int, int, int, int]:
        row = (
            time.perf_counter() - self.t0,
            self.checked,
            int(self.client.memory_info().rss),
            int(self.scheduler.memory_info().rss),
            self._worker_rss(),
        )
        self.samples.extend(row)
        self.peak = [max(p, v) for p, v in zip(self.peak, row[2:], strict=True)]
        return row

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a process may be gone at the very end
                continue

    def __enter__(self) -> _Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def memory(
    manifest: Path, work: Path, checkpoints: list[int], max_seconds: float
) -> dict[str, Any]:
    """Client, scheduler and worker RSS while checking ``manifest`` on a 2-worker Dask cluster.

    The scheduler and the workers are separate processes (``dask scheduler``,
    ``dask worker --nworkers 2``), as on a real cluster, so each RSS is its own.
    RSS is sampled every 0.5 s on a clock; at each checkpoint (files checked) the
    peaks so far and what the scheduler holds (tasks, logs) are recorded, so the
    table shows whether anything grows with the count.
    """
    import json
    import subprocess

    from provenance.volume._engine.dask import DaskEngine
    from provenance.volume.check import CheckProgress, run_check

    bindir = Path(sys.executable).parent
    scheduler_file = work / "scheduler.json"
    dask_cli = str(bindir / "dask")
    scheduler = subprocess.Popen(
        [dask_cli, "scheduler", "--scheduler-file", str(scheduler_file), "--port", "0", *LOOPBACK],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers = None
    try:
        for _ in range(600):
            if scheduler_file.exists() and scheduler_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        workers = subprocess.Popen(
            [dask_cli, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        engine = DaskEngine(scheduler=address)
        client = engine.client
        client.wait_for_workers(2, timeout=120)
        marks = sorted(checkpoints)
        rows: list[dict[str, Any]] = []
        started = time.perf_counter()

        class Stop(Exception):
            pass

        with _Sampler(scheduler.pid, workers.pid) as sampler:

            def record(checked: int) -> None:
                now = sampler.sample()
                state = client.run_on_scheduler(_scheduler_state)
                scheduler_heap = state.pop("heap")
                client_heap = _heap()
                if rows:  # which object types grew since the previous checkpoint
                    for who, heap in (("client", client_heap), ("scheduler", scheduler_heap)):
                        before = rows[-1][f"{who}_types"]
                        grew = (heap["top_types"] - before).most_common(6)
                        print(f"    {who} objects grown since last checkpoint: {grew}")
                rows.append(
                    {
                        "checked": checked,
                        "seconds": now[0],
                        "client": now[2],
                        "scheduler": now[3],
                        "worker": now[4],
                        "client_peak": sampler.peak[0],
                        "scheduler_peak": sampler.peak[1],
                        "worker_peak": sampler.peak[2],
                        "client_malloc": client_heap["malloc_in_use"],
                        "scheduler_malloc": scheduler_heap["malloc_in_use"],
                        "client_objects": client_heap["objects"],
                        "scheduler_objects": scheduler_heap["objects"],
                        **state,
                    }
                )
                shown = dict(rows[-1])
                print(f"  checkpoint {shown}", flush=True)
                rows[-1]["client_types"] = client_heap["top_types"]
                rows[-1]["scheduler_types"] = scheduler_heap["top_types"]

            def on_progress(state: CheckProgress) -> None:
                sampler.checked = state.checked
                if marks and state.checked >= marks[0]:
                    marks.pop(0)
                    record(state.checked)
                if time.perf_counter() - started > max_seconds:
                    raise Stop

            stopped = False
            try:
                record(0)
                run_check(
                    request((), work / "memory.csv", inputs=manifest),
                    engine=engine,
                    on_progress=on_progress,
                )
            except Stop:
                stopped = True
                record(sampler.checked)
            finally:
                engine.close()
        return {
            "rows": rows,
            "samples": sampler.samples,
            "stopped_early": stopped,
            "elapsed": time.perf_counter() - started,
        }
    finally:
        for process in (workers, scheduler):
            if process is not None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


def big_image(work: Path, s3: bool) -> dict[str, float]:
    """One 24 MP JPEG: verify seconds in a pool worker; fetch from moto_server (a subprocess).

    The fetch is timed as wall clock and as this process's CPU (``process_time``):
    on loopback the wall time is moto's (a Python server), the CPU is what a worker
    spends per object, which is what sizing needs.
    """
    import subprocess

    from fixtures.generate import write_photo
    from provenance.identity.keys import ephemeral_identity
    from provenance.sign.orchestrator import sign_image
    from provenance.sign.request import SignRequest
    from provenance.verify import VerifyOptions
    from provenance.volume.pool import source_pool

    identity, _ = ephemeral_identity("Bench", "Bench Studio")
    raw = work / "big"
    raw.mkdir()
    photo = write_photo(raw, name="raw24.jpg", width=6000, height=4000, seed=7)
    signed = raw / "signed24.jpg"
    sign_image(SignRequest(photo, signed), identity)
    result: dict[str, float] = {"bytes": float(signed.stat().st_size)}
    options = VerifyOptions(use_trust_store=False)
    server = None
    if s3:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.environ.update(
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
        )
        time.sleep(2.0)
    try:
        with source_pool(options, jobs=1) as pool:  # started after the environment is set
            times = []
            for i in range(4):
                t0 = time.perf_counter()
                list(pool.stream([(i, str(signed))]))
                times.append(time.perf_counter() - t0)
            result["verify_s"] = statistics.median(times[1:])
            if server is None:
                return result
            import s3fs

            fs = s3fs.S3FileSystem()
            for _ in range(50):
                try:
                    fs.mkdir("bench")
                    break
                except OSError:
                    time.sleep(0.2)
            fs.pipe("bench/signed24.jpg", signed.read_bytes())
            from provenance.volume.sources import fetch

            scratch = tempfile.mkdtemp(dir=work)
            walls, cpus = [], []
            for _ in range(5):
                t0, c0 = time.perf_counter(), time.process_time()
                local, _code, _why = fetch("s3://bench/signed24.jpg", scratch, 1 << 30)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
                assert local is not None, _why
                local.unlink()
            result["fetch_wall_s"] = statistics.median(walls)
            result["fetch_cpu_s"] = statistics.median(cpus)
            pool_times = []
            for i in range(4):
                t0 = time.perf_counter()
                ((_, report, _),) = list(pool.stream([(i, "s3://bench/signed24.jpg")]))
                pool_times.append(time.perf_counter() - t0)
            assert (
                getattr(report, "verdict", None) is not None
                and report.verdict.value != "unreadable"
            )
            result["fetch_and_verify_wall_s"] = statistics.median(pool_times[1:])
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
    return result


def _mib(value: int) -> str:
    return f"{value / 2**20:.1f}"


def report_memory(mem: dict[str, Any], entries: int, samples_csv: Path | None) -> None:
    """The memory table: RSS now and peak so far at each checkpoint, and what the scheduler holds."""
    print(
        "\n| files checked | s | client RSS MiB (peak) | scheduler RSS MiB (peak) "
        "| largest worker RSS MiB (peak) | client / scheduler malloc in use MiB "
        "| scheduler tasks | transition log | monitor samples |"
        "\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for row in mem["rows"]:
        print(
            f"| {row['checked']:,} | {row['seconds']:.0f} "
            f"| {_mib(row['client'])} ({_mib(row['client_peak'])}) "
            f"| {_mib(row['scheduler'])} ({_mib(row['scheduler_peak'])}) "
            f"| {_mib(row['worker'])} ({_mib(row['worker_peak'])}) "
            f"| {_mib(row['client_malloc'])} / {_mib(row['scheduler_malloc'])} "
            f"| {row['tasks']} | {row['transition_log']} | {row['monitor_samples']} |"
        )
    rows = mem["rows"]
    done = rows[-1]["checked"]
    print(
        f"\nmemory run: {done:,} of {entries:,} entries in {mem['elapsed']:.0f} s, "
        f"{len(mem['samples']) // 5} RSS samples every 0.5 s"
        + (" (stopped at the time cap)" if mem["stopped_early"] else "")
    )
    if len(rows) >= 3:
        first, last = rows[1], rows[-1]  # the first checkpoint after 0, and the end
        for who in ("client", "scheduler", "worker"):
            grow = last[f"{who}_peak"] - first[f"{who}_peak"]
            per = grow / max(1, last["checked"] - first["checked"])
            print(
                f"{who} peak {_mib(first[f'{who}_peak'])} MiB at {first['checked']:,} -> "
                f"{_mib(last[f'{who}_peak'])} MiB at {last['checked']:,} files "
                f"({grow / 2**20:+.1f} MiB, {per:+.1f} bytes per file)"
            )
    if samples_csv is not None:
        with open(samples_csv, "w", encoding="utf-8") as handle:
            handle.write("seconds,checked,client_rss,scheduler_rss,worker_rss\n")
            flat = mem["samples"]
            for at in range(0, len(flat), 5):
                sample = (flat[at], *(int(v) for v in flat[at + 1 : at + 5]))
                handle.write(
                    ",".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in sample)
                )
                handle.write("\n")
        print(f"samples written to {samples_csv}")


def write_manifest(folder: Path, manifest: Path) -> int:
    """One line per file under ``folder`` (distinct names: hard links over a few seeds)."""
    count = 0
    with open(manifest, "w", encoding="utf-8") as handle:
        for sub in sorted(folder.iterdir()):
            for name in sorted(os.listdir(sub)):
                handle.write(f"{sub / name}\n")
                count += 1
    return count


def speed(args: argparse.Namespace, work: Path, seeds: list[Path]) -> None:
    """Throughput per engine, the Dask per-task overhead, the 24 MP costs and the sizing."""
    big = big_image(work, s3=not args.no_s3)
    print(f"  24 MP: {big}", flush=True)
    folder = link_corpus(seeds, work / "tp", args.files)
    rates = throughput(folder, work, args.repeats)
    print("\n| configuration | files/s (median) | all repeats |\n|---|---:|---|")
    for name, values in rates.items():
        if name.endswith("start-up s"):
            continue
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {name} | {statistics.median(values):.1f} | {shown} |")
    for name, values in rates.items():
        if name.endswith("start-up s"):
            print(f"  {name}: median {statistics.median(values):.1f}")
    overheads = [task_overhead(200 if args.quick else 1000) for _ in range(args.repeats)]
    print(
        f"  empty dask task (window of 4, 2 workers): median {statistics.median(overheads) * 1000:.2f}"
        f" ms ({', '.join(f'{o * 1000:.1f}' for o in overheads)})"
    )
    local1 = statistics.median(rates["local --jobs 1"])
    dask1 = statistics.median(rates["dask, 1 worker"])
    print(f"  dask-1 minus local-1 per file: {(1 / dask1 - 1 / local1) * 1000:.2f} ms", flush=True)

    # Sizing: 100M images/day at 24 MP from object storage.
    rate_needed = 100e6 / 86400
    cpu_per_image = big["verify_s"] + big.get("fetch_cpu_s", 0.0)
    cores = rate_needed * cpu_per_image
    print(
        f"\nsizing: {rate_needed:.0f} images/s average; {cpu_per_image:.3f} s of one core per "
        f"24 MP image (verify + fetch CPU) -> {cores:.0f} busy cores; at 70% "
        f"utilisation {cores / 0.7:.0f} cores, x2 for a peak hour: {2 * cores / 0.7:.0f} cores"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts, one repeat")
    parser.add_argument(
        "--only", choices=("all", "speed", "memory"), default="all", help="which part to run"
    )
    parser.add_argument("--files", type=int, default=1000, help="files for the throughput runs")
    parser.add_argument("--entries", type=int, default=100_000, help="manifest entries (memory)")
    parser.add_argument(
        "--checkpoints",
        default="1000,10000,25000,50000,75000,100000",
        help="files-checked counts at which memory is reported (comma-separated)",
    )
    parser.add_argument("--samples-csv", type=Path, help="write every RSS sample here")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-memory-seconds", type=float, default=7200.0)
    parser.add_argument("--no-s3", action="store_true", help="skip the moto fetch measurement")
    args = parser.parse_args()
    checkpoints = [int(c) for c in args.checkpoints.split(",") if c.strip()]
    if args.quick:
        args.files, args.entries, args.repeats = 60, 400, 1
        checkpoints = [100, 200, 400]
    checkpoints = [c for c in checkpoints if c <= args.entries]
    if args.entries not in checkpoints:
        checkpoints.append(args.entries)

    work = Path(tempfile.mkdtemp(prefix="provenance-volume-bench-"))
    try:
        print(
            f"# volume bench ({os.cpu_count()} cores; loadavg {os.getloadavg()}; "
            "a shared machine: compare within this run)",
            flush=True,
        )
        seeds = make_seeds(work / "seeds", 24)
        if args.only in ("all", "speed"):
            speed(args, work, seeds)
        if args.only in ("all", "memory"):
            mem_folder = link_corpus(seeds, work / "m", args.entries)
            manifest = work / "manifest.txt"
            lines = write_manifest(mem_folder, manifest)
            print(f"  manifest: {lines:,} distinct paths ({manifest.stat().st_size:,} bytes)")
            mem = memory(manifest, work, checkpoints, args.max_memory_seconds)
            report_memory(mem, args.entries, args.samples_csv)
        print(f"# end (loadavg {os.getloadavg()})")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
