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


def _rss(pid: int | None = None) -> int:
    import psutil

    return int(psutil.Process(pid).memory_info().rss)


def _scheduler_rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


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


def throughput(folder: Path, work: Path, repeats: int) -> dict[str, float]:
    """files/s per engine configuration, medians over ``repeats`` (same folder, same run)."""
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
    startup: dict[str, float] = {}
    for round_ in range(repeats):
        for name, make in configs:
            engine = make()
            if isinstance(engine, DaskEngine):
                t0 = time.perf_counter()
                engine.client  # noqa: B018 - start the cluster outside the timed part
                startup[name] = time.perf_counter() - t0
            out = work / f"tp-{round_}-{name.replace(' ', '_').replace(',', '')}.csv"
            try:
                summary = run_check(request((str(folder),), out), engine=engine)
            finally:
                engine.close()
            rates.setdefault(name, []).append(summary.files_per_second)
    result = {name: statistics.median(values) for name, values in rates.items()}
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


def memory(manifest: Path, work: Path, entries: int, max_seconds: float) -> dict[str, Any]:
    """Client and scheduler RSS while checking ``manifest`` on a 2-worker Dask cluster.

    The scheduler and the workers are separate processes (``dask scheduler``,
    ``dask worker --nworkers 2``), as on a real cluster, so each RSS is its own.
    """
    import subprocess

    from provenance.volume._engine.dask import DaskEngine
    from provenance.volume.check import CheckProgress, run_check

    bindir = Path(sys.executable).parent
    scheduler_file = work / "scheduler.json"
    scheduler = subprocess.Popen(
        [
            str(bindir / "dask"),
            "scheduler",
            "--scheduler-file",
            str(scheduler_file),
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers = None
    try:
        for _ in range(600):
            if scheduler_file.exists() and scheduler_file.stat().st_size:
                break
            time.sleep(0.1)
        import json

        address = json.loads(scheduler_file.read_text())["address"]
        workers = subprocess.Popen(
            [
                str(bindir / "dask"),
                "worker",
                address,
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        engine = DaskEngine(scheduler=address)
        client = engine.client
        client.wait_for_workers(2, timeout=120)
        samples: list[tuple[int, int, int]] = []
        every = max(1, entries // 20)
        started = time.perf_counter()

        class Stop(Exception):
            pass

        def sample(checked: int) -> None:
            samples.append((checked, _rss(), _rss(scheduler.pid)))

        def on_progress(state: CheckProgress) -> None:
            if state.checked % every == 0:
                sample(state.checked)
            if time.perf_counter() - started > max_seconds:
                raise Stop

        stopped = False
        try:
            sample(0)
            summary = run_check(
                request((), work / "memory.csv", inputs=manifest),
                engine=engine,
                on_progress=on_progress,
            )
            sample(summary.checked)
        except Stop:
            stopped = True
        finally:
            engine.close()
        return {
            "samples": samples,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts, one repeat")
    parser.add_argument("--files", type=int, default=1000, help="files for the throughput runs")
    parser.add_argument("--entries", type=int, default=100_000, help="manifest entries (memory)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--max-memory-seconds", type=float, default=2400.0)
    parser.add_argument("--no-s3", action="store_true", help="skip the moto fetch measurement")
    args = parser.parse_args()
    if args.quick:
        args.files, args.entries, args.repeats = 60, 400, 1

    work = Path(tempfile.mkdtemp(prefix="provenance-volume-bench-"))
    try:
        print(f"# volume bench ({os.cpu_count()} cores; loadavg {os.getloadavg()})", flush=True)
        # First: the fork server of the guarded pool keeps the environment it starts with,
        # and the 24 MP fetch needs the S3 endpoint in it.
        big = big_image(work, s3=not args.no_s3)
        print(f"  24 MP: {big}", flush=True)
        seeds = make_seeds(work / "seeds", 24)
        folder = link_corpus(seeds, work / "tp", args.files)
        rates = throughput(folder, work, args.repeats)
        for name, value in rates.items():
            print(f"  {name}: {value:.2f}", flush=True)
        per_task = task_overhead(200 if args.quick else 2000)
        print(f"  empty dask task: {per_task * 1000:.2f} ms", flush=True)
        per_file_local = 1 / rates["local --jobs 1"]
        per_file_dask = 1 / rates["dask, 1 worker"]
        print(f"  dask-1 minus local-1 per file: {(per_file_dask - per_file_local) * 1000:.2f} ms")

        mem_folder = link_corpus(seeds, work / "m", args.entries)
        manifest = work / "manifest.txt"
        with open(manifest, "w", encoding="utf-8") as handle:
            for sub in sorted(mem_folder.iterdir()):
                for name in sorted(os.listdir(sub)):
                    handle.write(f"{sub / name}\n")
        mem = memory(manifest, work, args.entries, args.max_memory_seconds)
        print("\n| files checked | client RSS MiB | scheduler RSS MiB |\n|---:|---:|---:|")
        for checked, client_rss, scheduler_rss in mem["samples"]:
            print(f"| {checked:,} | {client_rss / 2**20:.1f} | {scheduler_rss / 2**20:.1f} |")
        done = mem["samples"][-1][0]
        print(
            f"\nmemory run: {done:,} of {args.entries:,} entries in {mem['elapsed']:.0f} s"
            + (" (stopped at the time cap)" if mem["stopped_early"] else "")
        )
        client_peak = max(s[1] for s in mem["samples"])
        scheduler_peak = max(s[2] for s in mem["samples"])
        print(
            f"client peak {client_peak / 2**20:.1f} MiB, scheduler peak {scheduler_peak / 2**20:.1f} MiB"
        )

        # Sizing: 100M images/day at 24 MP from object storage.
        per_day = 100e6
        rate_needed = per_day / 86400
        cpu_per_image = big["verify_s"] + big.get("fetch_cpu_s", 0.0)
        cores = rate_needed * cpu_per_image
        print(
            f"\nsizing: {rate_needed:.0f} images/s average; {cpu_per_image:.3f} s of one core per "
            f"24 MP image (verify + fetch CPU) -> {cores:.0f} busy cores; at 70% "
            f"utilisation {cores / 0.7:.0f} cores, x2 for a peak hour: {2 * cores / 0.7:.0f} cores"
        )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
