"""Peak memory of signing and verifying one large file (issue 22: ≤ 1.5 × file size + 150 MB).

    python benchmarks/memory_bench.py [--size-mb 500] [--quick]

The input is a real photo (a small signed-able JPEG) followed by ``size`` MB of
incompressible bytes after its end-of-image marker: the hard binding covers every
byte, so signing and verifying must read all of it, while the pixels stay small
(what is measured is how many copies of the *file* are held, not a decode).
Each step runs in a fresh process; its peak resident set (VmHWM of the child,
else its ``ru_maxrss``) is reported with the budget.  ``--quick`` (CI) uses 20 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "memory bench passphrase"

_SIGN = """
import sys
from pathlib import Path
from provenance.identity.keys import load_identity
from provenance.sign import SignRequest, sign_image
src, out, home = map(Path, sys.argv[1:4])
sign_image(SignRequest(src, out, max_bytes=1 << 40), load_identity(home, sys.argv[4].encode()))
"""

_VERIFY = """
import sys
from pathlib import Path
from provenance.verify import VerifyOptions, verify_file
report = verify_file(Path(sys.argv[1]), VerifyOptions(use_trust_store=False, max_bytes=1 << 40))
print(report.verdict.value)
"""


#: The child's own peak: VmHWM of its address space (Linux).  ``ru_maxrss`` is not used
#: where VmHWM exists: Linux carries the parent's high-water mark across fork/vfork + exec,
#: so a child of a large process (pytest after a thousand tests) reports the parent's size.
_PEAK_PROBE = """
import resource
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak_kb = int(line.split()[1])
except OSError:
    pass
print("PEAK", peak_kb)
"""


def _peak_of(code: str, *args: str) -> tuple[int, float, str]:
    """Run ``code`` in a fresh interpreter; (its own peak RSS in bytes, seconds, its output)."""
    probe = code + _PEAK_PROBE
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f"step failed: {result.stderr[-2000:]}")
    lines = result.stdout.strip().splitlines()
    peak_kb = int(lines[-1].split()[1])
    return peak_kb * 1024, elapsed, "\n".join(lines[:-1]).strip()


def make_input(folder: Path, size_mb: int) -> Path:
    from fixtures.generate import write_photo

    photo = write_photo(folder, "jpeg", width=640, height=427)
    big = folder / "big.jpg"
    with open(photo, "rb") as src, open(big, "wb") as dst:
        dst.write(src.read())
        block = os.urandom(1 << 20)
        for _ in range(size_mb):
            dst.write(block)
    return big


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="20 MB (CI)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    size_mb = 20 if args.quick else args.size_mb
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / "home"
        os.environ["PROVENANCE_HOME"] = str(home)
        from provenance.identity.keys import init_identity

        init_identity(home, "Bench", "Bench Studio", PASSPHRASE.encode())
        big = make_input(folder, size_mb)
        size = big.stat().st_size
        budget = int(1.5 * size + 150 * 1024 * 1024)
        baseline, _, _ = _peak_of("import provenance.sign, provenance.verify, c2pa")
        out = folder / "signed.jpg"
        sign_peak, sign_s, _ = _peak_of(_SIGN, str(big), str(out), str(home), PASSPHRASE)
        verify_peak, verify_s, verdict = _peak_of(_VERIFY, str(out))
        rows = {
            "file_bytes": size,
            "budget_bytes": budget,
            "interpreter_baseline_bytes": baseline,
            "sign_peak_bytes": sign_peak,
            "sign_seconds": round(sign_s, 2),
            "verify_peak_bytes": verify_peak,
            "verify_seconds": round(verify_s, 2),
            "verdict": verdict,
        }
    mb = 1024 * 1024
    print(f"file {size / mb:.0f} MB, budget {budget / mb:.0f} MB (1.5 x size + 150 MB)")
    for step in ("sign", "verify"):
        peak = rows[f"{step}_peak_bytes"]
        assert isinstance(peak, int)
        ok = "ok" if peak <= budget else "OVER"
        print(
            f"{step:6s} peak {peak / mb:7.0f} MB = {peak / size:4.2f} x file  "
            f"({rows[f'{step}_seconds']} s)  {ok}"
        )
    print(f"verdict of the signed file: {verdict}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    over = [step for step in ("sign", "verify") if int(rows[f"{step}_peak_bytes"]) > budget]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
