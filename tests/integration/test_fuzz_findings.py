"""The fuzz findings in fuzz/findings/ that are a dependency's problem: what contains them.

``c2pa-read-1.8gb-from-35kb.jpg`` makes c2pa-rs's ``Reader`` peak at 1.8 GB.  A
single ``verify`` in this process would need that memory, so it is not replayed
here; in a guarded worker with a 1 GiB address-space limit (``check``, batches and
``serve`` use 2 GiB by default) c2pa-rs's allocation fails inside the worker, the
file is ``invalid`` in well under a second, and the next file in the run verifies
as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions
from provenance.volume.batch import verify_many

FINDING = (
    Path(__file__).resolve().parents[2] / "fuzz" / "findings" / "c2pa-read-1.8gb-from-35kb.jpg"
)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX address-space limits")
def test_the_1_8_gb_reader_input_is_contained_by_a_capped_worker(
    photo: Path, tmp_path: Path, dev_identity: tuple[object, bytes]
) -> None:
    signed = tmp_path / "signed.jpg"
    sign_image(SignRequest(source=photo, output=signed), dev_identity[0])
    reports = verify_many(
        [FINDING, signed, FINDING],
        VerifyOptions(use_trust_store=False, want_thumbnails=False),
        jobs=1,
        timeout_s=60,
        memory_limit_bytes=1024**3,
    )
    assert [r.verdict for r in reports] == [
        Verdict.INVALID,
        Verdict.VALID_UNTRUSTED,
        Verdict.INVALID,
    ], [(r.verdict, [p.explanation for p in r.problems]) for r in reports]
