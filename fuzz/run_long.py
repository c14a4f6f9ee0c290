"""Long fuzz run of verify + renderers over mutated signed JPEG/PNG/WebP files.

    python fuzz/run_long.py [ITERATIONS] [--seed N] [--out DIR]

Example: ``python fuzz/run_long.py 200000 --seed 1`` (about an hour).  Each case is a
list of replayable mutations (tests/fuzz/mutate.py).  Before each case its bytes are
written to DIR/current.bin, so a native crash (an abort in c2pa-rs kills the process)
leaves the input behind.  Python exceptions other than ProvenanceError are saved as
DIR/crash-<n>.<ext> with the traceback; cases slower than 5 s as DIR/slow-<n>.<ext>.
Copy small crash files to tests/regressions/ and they become regression tests.
"""

from __future__ import annotations

import collections
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz.harness import SUFFIX, run_one, signed_bases  # noqa: E402
from tests.fuzz.mutate import OPS, apply  # noqa: E402


def _bases(folder: Path) -> dict[str, bytes]:
    from provenance.identity.keys import ephemeral_identity

    identity, _ = ephemeral_identity("Fuzz", "Fuzz Studio")
    return signed_bases(folder, identity)


def main(argv: list[str]) -> int:
    """Run; exit 1 if any crash was found."""
    args = [a for a in argv[1:] if not a.startswith("--")]
    iterations = int(args[0]) if args else 10_000
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
    out_dir = Path(argv[argv.index("--out") + 1]) if "--out" in argv else ROOT / "fuzz" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - reproducible fuzzing, not cryptography
    verdicts: collections.Counter[str] = collections.Counter()
    crashes = 0
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bases = _bases(folder)
        start = time.monotonic()
        for n in range(iterations):
            fmt = rng.choice(sorted(bases))
            mutations = [
                (rng.choice(OPS), rng.randrange(1 << 24), rng.randrange(1 << 32))
                for _ in range(rng.randint(1, 4))
            ]
            data = apply(bases[fmt], mutations)
            (out_dir / "current.bin").write_bytes(data)
            t0 = time.monotonic()
            try:
                verdict = run_one(data, folder, SUFFIX[fmt])
                verdicts[verdict.value if verdict else "error"] += 1
            except Exception:  # noqa: BLE001 - this is what we hunt for
                crashes += 1
                (out_dir / f"crash-{n}{SUFFIX[fmt]}").write_bytes(data)
                (out_dir / f"crash-{n}.txt").write_text(
                    f"{mutations!r}\n{traceback.format_exc()}", encoding="utf-8"
                )
            elapsed = time.monotonic() - t0
            slowest = max(slowest, elapsed)
            if elapsed > 5:
                (out_dir / f"slow-{n}{SUFFIX[fmt]}").write_bytes(data)
            if (n + 1) % 1000 == 0:
                rate = (n + 1) / (time.monotonic() - start)
                print(f"{n + 1} cases, {rate:.0f}/s, crashes {crashes}, {dict(verdicts)}")
    print(f"done: {iterations} cases, crashes {crashes}, slowest {slowest:.2f}s, {dict(verdicts)}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
