"""The fuzz finding in fuzz/findings/: a CBOR length c2pa-rs allocates before reading.

``c2pa-read-1.8gb-from-35kb.jpg`` is a signed JPEG with one flipped bit: in the
training-and-mining assertion, the header of the 10-byte text ``notAllowed``
(``0x6a``) became ``0x7a``, a text string whose 4-byte length follows, so the
next bytes (``notA``) declare 1,852,798,017 bytes and c2pa-rs 0.91 allocates them.
With the length ``ff ff ff ff`` one `verify` took 4.2 GB and 17 s.  Reads now
run under a data-size ceiling (:mod:`provenance.memory_cap`): c2pa-rs's
allocation fails, the file is ``invalid`` (``assertion.cbor.invalid``) at once,
and the process stays small.  The guarded workers of ``check``, batches and
``serve`` contain it as well (their own address-space limit).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from provenance.volume.batch import verify_many

FINDING = (
    Path(__file__).resolve().parents[2] / "fuzz" / "findings" / "c2pa-read-1.8gb-from-35kb.jpg"
)
OPTIONS = VerifyOptions(use_trust_store=False, want_thumbnails=False)
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the ceiling is RLIMIT_DATA on Linux"
)


def _signed(photo: Path, tmp_path: Path, identity: object) -> Path:
    signed = tmp_path / "signed.jpg"
    sign_image(SignRequest(source=photo, output=signed), identity)  # type: ignore[arg-type]
    return signed


def _four_gigabyte_text(signed: Path, tmp_path: Path) -> Path:
    """``signed`` with the text ``notAllowed`` declared 4,294,967,295 bytes long."""
    data = bytearray(signed.read_bytes())
    at = data.index(b"\x63use\x6anotAllowed") + 4
    data[at : at + 5] = b"\x7a\xff\xff\xff\xff"
    hostile = tmp_path / "cbor-4gb.jpg"
    hostile.write_bytes(bytes(data))
    return hostile


def _peak_mb(path: Path) -> tuple[str, int]:
    """The verdict of verifying ``path`` in a fresh process, and that process's peak (VmHWM)."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from provenance.verify import VerifyOptions, verify_file
        report = verify_file(Path(sys.argv[1]), VerifyOptions(use_trust_store=False))
        peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
        print(report.verdict.value, int(peak) // 1024)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120
    )
    verdict, peak = out.stdout.split()
    return verdict, int(peak)


@linux_only
def test_a_declared_4_gb_cbor_text_is_refused_at_once_in_a_small_process(
    photo: Path, tmp_path: Path, dev_identity: tuple[object, bytes]
) -> None:
    hostile = _four_gigabyte_text(_signed(photo, tmp_path, dev_identity[0]), tmp_path)
    report = verify_file(hostile, OPTIONS)
    assert report.verdict is Verdict.INVALID
    assert "assertion.cbor.invalid" in {p.code for p in report.problems}
    verdict, peak = _peak_mb(hostile)
    assert verdict == "invalid" and peak < 400, f"peak {peak} MB (4.2 GB without the ceiling)"


@linux_only
def test_the_fuzz_finding_is_invalid_in_a_small_process() -> None:
    verdict, peak = _peak_mb(FINDING)
    assert verdict == "invalid" and peak < 400, f"peak {peak} MB (1.8 GB without the ceiling)"


@linux_only
def test_the_ceiling_is_lifted_after_the_read(
    photo: Path, tmp_path: Path, dev_identity: tuple[object, bytes]
) -> None:
    import resource

    before = resource.getrlimit(resource.RLIMIT_DATA)
    assert verify_file(FINDING, OPTIONS).verdict is Verdict.INVALID
    assert resource.getrlimit(resource.RLIMIT_DATA) == before
    # and a real file verifies as before, in the same process
    signed = _signed(photo, tmp_path, dev_identity[0])
    assert verify_file(signed, OPTIONS).verdict is Verdict.VALID_UNTRUSTED


@linux_only
def test_a_capped_worker_contains_it_and_the_run_goes_on(
    photo: Path, tmp_path: Path, dev_identity: tuple[object, bytes]
) -> None:
    signed = _signed(photo, tmp_path, dev_identity[0])
    reports = verify_many(
        [FINDING, signed, _four_gigabyte_text(signed, tmp_path)],
        OPTIONS,
        jobs=1,
        timeout_s=60,
        memory_limit_bytes=1024**3,
    )
    assert [r.verdict for r in reports] == [
        Verdict.INVALID,
        Verdict.VALID_UNTRUSTED,
        Verdict.INVALID,
    ], [(r.verdict, [p.explanation for p in r.problems]) for r in reports]
