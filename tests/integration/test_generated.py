"""A fully generated image: c2pa.created with trainedAlgorithmicMedia, no camera."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.generate import write_photo
from provenance.labels import TRAINING_LABEL
from provenance.models import TrainingPreference
from provenance.report.json_report import report_to_dict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file


def test_generated_image_is_disclosed(tmp_path: Path, dev_identity: tuple[Any, bytes]) -> None:
    identity, root_pem = dev_identity
    root = tmp_path / "root.pem"
    root.write_bytes(root_pem)
    # The sample carries camera EXIF; a generated image must not claim it.
    source = write_photo(tmp_path, name="render.jpg")
    out = tmp_path / "signed.jpg"
    sign_image(
        SignRequest(source=source, output=out, generated=True, generator_tool="ImageGen/4"),
        identity,
    )
    report = verify_file(out, VerifyOptions(trust_files=(root,), use_trust_store=False))
    assert report.verdict.value == "trusted"
    assert report.ai.generated is True
    assert report.ai.area_fraction == 1.0
    assert report.ai.tools == ("ImageGen/4",)
    assert report.capture is not None
    assert report.capture.source == "trainedAlgorithmicMedia"
    assert report.capture.make is None and not report.capture.has_camera
    (created,) = [a for a in report.actions if a.action == "c2pa.created"]
    assert created.ai and created.software_agent == "ImageGen/4"
    data = report_to_dict(report)
    assert data["ai"]["generated"] is True
    assert data["capture"]["source"] == "trainedAlgorithmicMedia"


def test_training_preference_round_trips(tmp_path: Path, dev_identity: tuple[Any, bytes]) -> None:
    identity, root_pem = dev_identity
    root = tmp_path / "root.pem"
    root.write_bytes(root_pem)
    options = VerifyOptions(trust_files=(root,), use_trust_store=False)
    for choice in TrainingPreference:
        out = tmp_path / f"{choice.value}.jpg"
        sign_image(
            SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=out, training=choice),
            identity,
        )
        report = verify_file(out, options)
        assert report.verdict.value == "trusted"
        assert report.training == choice.value
    # No preference: no assertion at all.
    out = tmp_path / "none.jpg"
    sign_image(
        SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=out, training=None),
        identity,
    )
    assert verify_file(out, options).training is None
    assert TRAINING_LABEL == "cawg.training-mining"
