"""A bounded load test on loopback: 200 requests from 16 concurrent clients.

The mix: AI-edited (signed), tampered, hostile-manifest and oversize uploads.
Every request must get its expected answer (200 with the right verdict, 413 for
the oversize ones): that is "0 failed requests".  The numbers (p50/p95 latency,
peak RSS of the server and of server + workers, memory before/after) are
printed and written to ``$PROVENANCE_LOAD_REPORT`` when set.

The full run is ``PROVENANCE_LOAD_REQUESTS=200`` (16 clients); the test suite's
default is 48 requests from the same 16 clients, so that CI on two cores stays
within its time budget (each AI-edited file is re-measured against its parent
thumbnail, ~0.2-0.8 s of CPU).  ``PROVENANCE_LOAD_CLIENTS`` changes the clients.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.serve.conftest import Samples, StartServer, make_samples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    """The samples at 320 x 213: the load is about the server, not the measurement."""
    return make_samples(tmp_path_factory.mktemp("load-samples"), 320, 213)


def _tree(root: int) -> tuple[int, float]:
    """RSS (KiB) and CPU seconds of a process and all its descendants (fork server, workers).

    CPU counts what ended workers used too (``cutime``/``cstime`` of the process that
    reaped them), so the difference over a run is the CPU the run cost: a number that
    does not depend on how busy the machine was.
    """
    import os as _os

    tick = _os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cpu[pid] = sum(int(v) for v in stat[11:15]) / tick  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            cpu[pid] = 0.0
        parents[pid] = int(fields.get("PPid", "0").strip() or 0)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in tree), sum(cpu.get(pid, 0.0) for pid in tree)


def test_load_mixed_uploads_from_16_clients(
    start_server: StartServer, samples: Samples, tmp_path: Path
) -> None:
    requests_total = int(os.environ.get("PROVENANCE_LOAD_REQUESTS", "48"))
    clients = int(os.environ.get("PROVENANCE_LOAD_CLIENTS", "16"))
    server = start_server("--max-upload-mb", "1", "--trust", str(samples.root), "--queue", "64")
    oversize = tmp_path / "oversize.jpg"
    oversize.write_bytes(samples.plain.read_bytes() + bytes(1200 * 1024))
    mix = [
        (samples.ai_edited, 200, "trusted"),
        (samples.tampered, 200, "invalid"),
        (samples.hostile, 200, "valid_untrusted"),
        (oversize, 413, None),
    ]
    bodies = {path: path.read_bytes() for path, _, _ in mix}
    url = server.url + "api/v1/verify"

    def one(index: int, client: httpx.Client) -> tuple[bool, float, str]:
        path, status, verdict = mix[index % len(mix)]
        started = time.monotonic()
        try:
            response = client.post(url, files={"files": (path.name, bodies[path], "image/jpeg")})
        except httpx.HTTPError as exc:
            return False, time.monotonic() - started, f"{path.name}: {type(exc).__name__}"
        elapsed = time.monotonic() - started
        if response.status_code != status:
            return False, elapsed, f"{path.name}: HTTP {response.status_code}"
        if verdict is not None and response.json()[0]["verdict"] != verdict:
            return False, elapsed, f"{path.name}: {response.json()[0]['verdict']}"
        return True, elapsed, ""

    local = threading.local()

    def task(index: int) -> tuple[bool, float, str]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=httpx.Timeout(120.0))
        return one(index, local.client)

    # Warm up (fork server, first imports), then measure memory before the run.
    with httpx.Client(timeout=120) as client:
        for index in range(len(mix) * 2):
            assert one(index, client)[0]
    rss_before = server.rss_kib()

    peak_tree = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.is_set():
            peak_tree = max(peak_tree, _tree(server.process.pid)[0])
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    cpu_before = _tree(server.process.pid)[1]
    sampler.start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(task, range(requests_total)))
    wall = time.monotonic() - started
    cpu_used = _tree(server.process.pid)[1] - cpu_before
    stop.set()
    sampler.join(timeout=5)
    time.sleep(0.5)
    rss_after = server.rss_kib()

    failures = [why for ok, _, why in outcomes if not ok]
    latencies = sorted(elapsed for _, elapsed, _ in outcomes)
    p50 = latencies[len(latencies) // 2]
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    numbers = {
        "requests": requests_total,
        "clients": clients,
        "failed": len(failures),
        "wall_s": round(wall, 2),
        "requests_per_s": round(requests_total / wall, 1),
        "server_cpu_ms_per_request": round(cpu_used / requests_total * 1000),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "p50_s": round(p50, 3),
        "p95_s": round(p95, 3),
        "max_s": round(latencies[-1], 3),
        "server_peak_rss_mib": round(server.peak_rss_kib() / 1024, 1),
        "tree_peak_rss_mib": round(peak_tree / 1024, 1),
        "server_rss_before_mib": round(rss_before / 1024, 1),
        "server_rss_after_mib": round(rss_after / 1024, 1),
    }
    print("load test:", json.dumps(numbers))
    report = os.environ.get("PROVENANCE_LOAD_REPORT")
    if report:
        Path(report).write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    assert failures == [], failures[:10]
    assert server.temp_leftovers() == []
    # Memory is flat: the server holds nothing per request once it has answered.
    assert rss_after - rss_before < 40 * 1024, numbers
    assert httpx.get(server.url + "api/v1/health", timeout=30).json()["busy"] == 0
