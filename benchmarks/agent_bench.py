"""Benchmarks for signing at the speed of a shoot: the agent and watch mode vs plain c2pa-python.

Usage (repository root, project virtualenv)::

    python -m benchmarks.agent_bench                  # 24 MP, 7 repetitions, a 200-file shoot, 20 watched frames
    python -m benchmarks.agent_bench --files 40 --repeat 5
    python -m benchmarks.agent_bench --quick          # CI: tiny images, checks that everything runs

All in one run, whole processes, medians (see benchmarks/bench.py for the method):

1. one cold ``provenance sign --no-agent`` of a 24 MP JPEG vs the plain c2pa-python script;
2. the same ``provenance sign`` while an agent runs (``provenance agent start``) vs the same script;
3. a shoot of N x 24 MP: ``sign --jobs 2`` without and with the agent vs a plain c2pa loop in
   one process (per-file time);
4. watch mode: frames arrive every 0.5 s (written under a partial name, then renamed into
   place, as tethering software does); latency from the rename to the verified signed output,
   as ``provenance watch`` reports it (p50 / p95).

The exit code never depends on the numbers: benchmarks are not timed tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench import (
    HERE,
    PASSPHRASE,
    PY,
    Case,
    generate_inputs,
    make_identity,
    measure,
    run_once,
)


def _agent(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "provenance_cli.app", "agent", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _watch_latencies(env: dict[str, str], photo: Path, folder: Path, frames: int) -> list[float]:
    tether, signed = folder / "tether", folder / "watched"
    tether.mkdir()
    process = subprocess.Popen(
        [PY, "-m", "provenance_cli.app", "watch", str(tether), "--out-dir", str(signed)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not signed.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the worker warms up after the folder appears
        for index in range(frames):
            partial = tether / f"frame{index:04d}.jpg.part"
            shutil.copyfile(photo, partial)
            partial.rename(tether / f"frame{index:04d}.jpg")
            time.sleep(0.5)
        deadline = time.monotonic() + 120
        while len(list(signed.glob("*.jpg"))) < frames and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(2)
        _, stderr = process.communicate(timeout=120)
    latencies = [float(x) for x in re.findall(r"\(([\d.]+) s after it was written\)", stderr)]
    if len(latencies) != frames:
        print(
            f"watch: {len(latencies)} of {frames} frames reported\n{stderr[-1500:]}",
            file=sys.stderr,
        )
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny inputs, 1 repetition (CI)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--files", type=int, default=200, help="photos in the shoot")
    parser.add_argument("--frames", type=int, default=20, help="frames in the watch run")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    files = 4 if args.quick else args.files
    frames = 3 if args.quick else args.frames

    with tempfile.TemporaryDirectory(prefix="pv-agent-bench-") as td:
        tmp = Path(td)
        runtime = Path(tempfile.mkdtemp(prefix="pab-", dir="/tmp"))  # short AF_UNIX path
        runtime.chmod(0o700)
        env = dict(
            os.environ,
            PROVENANCE_HOME=str(tmp / "home"),
            PROVENANCE_KEY_PASSPHRASE=PASSPHRASE,
            XDG_RUNTIME_DIR=str(runtime),
            NO_COLOR="1",
        )
        inputs = generate_inputs(tmp, args.quick)
        chain, key_pem = make_identity(tmp, env)
        photo = inputs["jpeg24"]
        out = tmp / "out"
        out.mkdir()
        # What a photographer runs: the installed ``provenance`` script, whose launcher
        # relays ``sign`` to a running agent before importing the CLI.
        script = Path(PY).parent / "provenance"
        prov = [str(script)] if script.exists() else [PY, "-m", "provenance_cli.app"]
        cold = Case(
            "cold provenance sign (no agent)",
            [*prov, "sign", "--no-agent", str(photo), "-o", str(out / "cold.jpg")],
            prepare=[str(out / "cold.jpg")],
        )
        plain = Case(
            "plain c2pa-python script",
            [
                PY,
                str(HERE / "baseline_sign.py"),
                str(photo),
                str(out / "plain.jpg"),
                str(chain),
                str(key_pem),
            ],
            prepare=[str(out / "plain.jpg")],
        )
        warm = Case(
            "provenance sign via agent",
            [*prov, "sign", str(photo), "-o", str(out / "agent.jpg")],
            prepare=[str(out / "agent.jpg")],
        )

        started = _agent(env, "start", "--jobs", "2")
        if started.returncode != 0:
            print(f"agent did not start: {started.stderr}", file=sys.stderr)
            return 1
        try:
            measure([warm], env, 1)  # warm-up through the agent
            warm.samples.clear()
            # Interleave: the agent case runs while the agent is up; cold bypasses it.
            measure([cold, plain, warm], env, repeat)

            shoot = tmp / "shoot"
            shoot.mkdir()
            for index in range(files):
                os.link(photo, shoot / f"p{index:04d}.jpg")
            names = sorted(str(p) for p in shoot.glob("*.jpg"))
            shoot_cases = []
            for label, extra in (
                ("shoot --jobs 2, no agent", ["--no-agent"]),
                ("shoot --jobs 2, agent", []),
            ):
                target = tmp / label.replace(" ", "_").replace(",", "")
                target.mkdir()
                shoot_cases.append(
                    Case(
                        label,
                        [
                            *prov,
                            "sign",
                            *names,
                            "--out-dir",
                            str(target),
                            "--jobs",
                            "2",
                            "--force",
                            *extra,
                        ],
                    )
                )
            base_out = tmp / "shoot_plain"
            base_out.mkdir()
            shoot_cases.append(
                Case(
                    "shoot, plain c2pa loop (one process)",
                    [
                        PY,
                        str(HERE / "baseline_sign_many.py"),
                        str(shoot),
                        str(base_out),
                        str(chain),
                        str(key_pem),
                    ],
                )
            )
            for case in shoot_cases:
                case.samples.append(run_once(case.argv, env))
        finally:
            _agent(env, "stop")
        latencies = _watch_latencies(env, photo, tmp, frames)
        shutil.rmtree(runtime, ignore_errors=True)

    failed = [c for c in [cold, plain, warm, *shoot_cases] if c.failed]
    for case in failed:
        print(
            f"FAILED: {case.name}: {case.failed.stderr[-800:] if case.failed else ''}",
            file=sys.stderr,
        )
    size = "tiny (quick)" if args.quick else "24 MP"
    print(
        f"\n## Signing at the speed of a shoot ({size}; medians of {repeat}; whole processes, same run)\n"
    )
    print("| work | seconds | vs plain c2pa | target |")
    print("| --- | --- | --- | --- |")
    print(f"| plain c2pa-python script, one file | {plain.seconds:.3f} | 1.00x | |")
    print(
        f"| cold `provenance sign` (no agent) | {cold.seconds:.3f} | {cold.seconds / plain.seconds:.2f}x | |"
    )
    print(
        f"| `provenance sign` through the agent | {warm.seconds:.3f} | {warm.seconds / plain.seconds:.2f}x | <= 0.5x |"
    )
    per_plain = shoot_cases[2].seconds / files
    for case in shoot_cases[:2]:
        per = case.seconds / files
        print(
            f"| {case.name}: {files} files, per file | {per:.3f} | {per / per_plain:.2f}x | <= 0.3x |"
        )
    print(f"| {shoot_cases[2].name}: per file | {per_plain:.3f} | 1.00x | |")
    if latencies:
        p50 = statistics.median(latencies)
        p95 = sorted(latencies)[max(0, round(0.95 * len(latencies)) - 1)]
        print(
            f"| watch: rename -> verified output, {len(latencies)} frames every 0.5 s | p50 {p50:.3f} / p95 {p95:.3f} | | p95 <= 0.6 s |"
        )
    return 1 if failed or len(latencies) != frames else 0


if __name__ == "__main__":
    raise SystemExit(main())
