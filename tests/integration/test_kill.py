"""kill -9 while signing a 24 MP photo: the output path holds nothing or a complete, verifying file.

A child process signs the same 24 MP JPEG to out0.jpg, out1.jpg, ... in a loop and is
killed with SIGKILL at several moments.  Afterwards every out*.jpg that exists must
verify, and the input's bytes must be unchanged.  Hidden ``.partial`` temp files may
be left behind by a kill (nothing can clean up after SIGKILL); they never carry the
output name.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provenance.models import Verdict
from provenance.verify import VerifyOptions, verify_file

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys
from pathlib import Path
from provenance.identity.keys import ephemeral_identity
from provenance.sign import SignRequest, sign_image
source, folder = Path(sys.argv[1]), Path(sys.argv[2])
identity, _ = ephemeral_identity("Kill Test", "Kill Studio")
print("ready", flush=True)
for i in range(1000):
    sign_image(SignRequest(source=source, output=folder / f"out{i}.jpg"), identity)
"""

DELAYS = [0.05, 0.2, 0.45, 0.8, 1.5]


def _big_jpeg(path: Path) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(5)
    small = rng.integers(0, 255, size=(400, 600, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((6000, 4000), Image.Resampling.BILINEAR)
    img.save(path, "JPEG", quality=85)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    _big_jpeg(path)
    return path


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("delay", DELAYS)
def test_sigkill_never_leaves_broken_output(tmp_path: Path, big: Path, delay: float) -> None:
    before = hashlib.sha256(big.read_bytes()).hexdigest()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(big), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    assert hashlib.sha256(big.read_bytes()).hexdigest() == before, "the input changed"
    outputs = sorted(tmp_path.glob("out*.jpg"))
    for output in outputs:
        report = verify_file(output, VerifyOptions(use_trust_store=False, want_thumbnails=False))
        assert report.verdict is Verdict.VALID_UNTRUSTED, (output.name, report.problems)
    for leftover in tmp_path.iterdir():
        # A SIGKILL leaves at most our own temp file (provenance.outputs.TEMP_PREFIX), never a
        # broken output.
        assert leftover.name.startswith(("out", ".out", ".pv-")), leftover.name
        if leftover.name.startswith("."):
            assert leftover.name.endswith((".partial", ".tmp")), leftover.name
