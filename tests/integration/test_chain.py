"""A three-step chain: capture -> graded (hand edit) -> final (AI edit).

Each step is signed ``--from`` its input, so the history survives (DESIGN.md,
"History") and each step's extent is that step's change alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.generate import edit_shape, write_edited, write_photo
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file


def test_three_step_chain_keeps_history_and_per_step_extent(
    tmp_path: Path, dev_identity: tuple[Any, bytes]
) -> None:
    identity, root_pem = dev_identity
    root = tmp_path / "root.pem"
    root.write_bytes(root_pem)
    capture = tmp_path / "capture.jpg"
    sign_image(SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=capture), identity)

    graded_raw = write_edited(capture, tmp_path, name="graded-raw.jpg", ai=False)
    graded = tmp_path / "graded.jpg"
    sign_image(
        SignRequest(
            source=graded_raw,
            output=graded,
            parent=capture,
            edits=(EditSpec(EditKind.EDIT, "Colour grade"),),
        ),
        identity,
    )
    # The AI step starts from the graded file: no further grade, only the star.
    final_raw, truth = edit_shape(graded, tmp_path, "star", graded=False, name="final-raw.jpg")
    final = tmp_path / "final.jpg"
    sign_image(
        SignRequest(
            source=final_raw,
            output=final,
            parent=graded,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the subject", tool="GenFill/2"),),
        ),
        identity,
    )

    report = verify_file(final, VerifyOptions(trust_files=(root,), use_trust_store=False))
    assert report.verdict.value == "trusted"
    assert report.ai.area_fraction is not None and abs(report.ai.area_fraction - truth) <= 0.05
    assert report.capture is not None and report.capture.make == "BarCam"  # inherited

    (step2,) = report.history
    assert step2.title == "graded.jpg" and step2.relationship == "parentOf"
    assert step2.verdict.is_intact
    grade = next(a for a in step2.actions if a.description == "Colour grade")
    assert not grade.ai
    assert grade.extent is not None and grade.extent.area_fraction is not None
    assert grade.extent.area_fraction < 0.05

    (step1,) = step2.history
    assert step1.title == "capture.jpg" and step1.relationship == "parentOf"
    assert step1.capture is not None
    assert step1.capture.make == "BarCam" and step1.capture.source == "digitalCapture"
    assert not any(a.ai for a in step1.actions)
