"""Batch throughput: sign 16 photos of 6 MP at --jobs 1 and 2, the resume re-run, and check 12 MP.

Run ``python -m benchmarks.batch_bench`` (``--quick`` for a tiny smoke run).
Prints a table of medians over ``--repeats`` runs.  This is a measurement, not
a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fixtures.generate import write_photo
from provenance.identity.keys import init_identity
from provenance.sign.request import SignRequest
from provenance.verify import VerifyOptions
from provenance.volume.batch import sign_many, verify_many

PASSPHRASE = b"benchmark passphrase"


def _median_time(run: Callable[[], None], prepare: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        prepare()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny images, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--count", type=int, default=16)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    sign_size = (640, 480) if args.quick else (3000, 2000)  # 6 MP
    check_size = (800, 600) if args.quick else (4000, 3000)  # 12 MP
    count = 4 if args.quick else args.count

    work = Path(tempfile.mkdtemp(prefix="provenance-bench-"))
    try:
        home = work / "home"
        init_identity(home, "Bench", "Bench Studio", PASSPHRASE)
        src = work / "in"
        src.mkdir()
        photos = [
            write_photo(src, name=f"p{i:02d}.jpg", width=sign_size[0], height=sign_size[1], seed=i)
            for i in range(count)
        ]
        out = work / "out"

        def requests() -> list[SignRequest]:
            return [SignRequest(source=p, output=out / p.name) for p in photos]

        def fresh() -> None:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()

        rows: list[tuple[str, int, float, float]] = []
        for jobs in (1, 2):

            def sign(jobs: int = jobs) -> None:
                summary = sign_many(requests(), home=home, passphrase=PASSPHRASE, jobs=jobs)
                assert summary.done == count, summary

            seconds = _median_time(sign, fresh, repeats)
            rows.append(
                (f"sign {sign_size[0] * sign_size[1] / 1e6:.1f} MP", jobs, seconds, count / seconds)
            )

        def resume() -> None:
            summary = sign_many(requests(), home=home, passphrase=PASSPHRASE, jobs=2)
            assert summary.skipped == count, summary

        fresh()
        sign_many(requests(), home=home, passphrase=PASSPHRASE, jobs=2)
        seconds = _median_time(resume, lambda: None, repeats)
        rows.append(("sign re-run (resume)", 2, seconds, count / seconds))

        big_src = work / "big"
        big_src.mkdir()
        big = [
            write_photo(
                big_src, name=f"b{i:02d}.jpg", width=check_size[0], height=check_size[1], seed=i
            )
            for i in range(count)
        ]
        signed = work / "signed"
        signed.mkdir()
        sign_many(
            [SignRequest(source=p, output=signed / p.name) for p in big],
            home=home,
            passphrase=PASSPHRASE,
            jobs=2,
        )
        files = sorted(signed.glob("*.jpg"))
        options = VerifyOptions(use_trust_store=False, want_thumbnails=True)
        for jobs in (1, 2):

            def check(jobs: int = jobs) -> None:
                reports = verify_many(files, options, jobs=jobs)
                assert all(r.verdict.is_intact for r in reports)

            seconds = _median_time(check, lambda: None, repeats)
            rows.append(
                (
                    f"verify {check_size[0] * check_size[1] / 1e6:.1f} MP",
                    jobs,
                    seconds,
                    count / seconds,
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{count} files per run, median of {repeats}")
    print(f"{'workload':<24}{'jobs':>5}{'seconds':>10}{'files/s':>10}")
    for name, jobs, seconds, rate in rows:
        print(f"{name:<24}{jobs:>5}{seconds:>10.2f}{rate:>10.2f}")
    by = {(name, jobs): seconds for name, jobs, seconds, _ in rows}
    sign_name = rows[0][0]
    verify_name = rows[-1][0]
    print(f"sign speed-up jobs 2 vs 1: {by[(sign_name, 1)] / by[(sign_name, 2)]:.2f}x")
    print(f"verify speed-up jobs 2 vs 1: {by[(verify_name, 1)] / by[(verify_name, 2)]:.2f}x")
    print(
        f"re-run / first run (jobs 2): {by[('sign re-run (resume)', 2)] / by[(sign_name, 2)]:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
