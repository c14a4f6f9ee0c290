"""Location is personal data: it is left out unless asked, and redacted from parents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import write_edited, write_photo
from provenance.report.json_report import report_to_dict
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file

# The sample EXIF puts the camera at 48.8584 N, 2.2945 E.
GPS_MARKERS = ("48,51", "2,17", "GPSLatitude", "GPSLongitude", "48.85", "2.29")


def _raw_store(path: Path) -> str:
    """The whole manifest store JSON as c2pa reads it (every manifest, every assertion)."""
    import c2pa  # test-only: the library keeps c2pa in _c2pa

    with open(path, "rb") as stream, c2pa.Reader("image/jpeg", stream) as reader:
        return str(reader.json())


def _crjson(path: Path) -> str:
    import c2pa  # test-only: the library keeps c2pa in _c2pa

    with open(path, "rb") as stream, c2pa.Reader("image/jpeg", stream) as reader:
        return str(reader.crjson())


def _no_location(text: str) -> bool:
    return not any(marker in text for marker in GPS_MARKERS)


@pytest.fixture()
def options(tmp_path: Path, dev_identity: tuple[Any, bytes]) -> VerifyOptions:
    root = tmp_path / "root.pem"
    root.write_bytes(dev_identity[1])
    return VerifyOptions(trust_files=(root,), use_trust_store=False)


def test_no_location_by_default(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    out = tmp_path / "signed.jpg"
    sign_image(
        SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=out), dev_identity[0]
    )
    report = verify_file(out, options)
    assert report.capture is not None and report.capture.make == "BarCam"
    assert report.capture.location is None
    assert _no_location(json.dumps(report_to_dict(report)))
    assert _no_location(_raw_store(out))


def test_keep_location_records_it(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    out = tmp_path / "signed.jpg"
    sign_image(
        SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=out, keep_location=True),
        dev_identity[0],
    )
    report = verify_file(out, options)
    assert report.capture is not None and report.capture.location is not None
    assert report.capture.location.latitude == pytest.approx(48.8584, abs=1e-3)
    assert not _no_location(_raw_store(out))


def _located_chain(tmp_path: Path, identity: Any, **edit_options: Any) -> tuple[Path, Any]:
    capture = tmp_path / "capture.jpg"
    sign_image(
        SignRequest(
            source=write_photo(tmp_path, name="raw.jpg"), output=capture, keep_location=True
        ),
        identity,
    )
    edited = write_edited(capture, tmp_path, ai=False)
    final = tmp_path / "final.jpg"
    result = sign_image(
        SignRequest(
            source=edited,
            output=final,
            parent=capture,
            edits=(EditSpec(EditKind.EDIT, "Grade"),),
            **edit_options,
        ),
        identity,
    )
    return final, result


def test_parent_location_is_redacted_by_default(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    final, result = _located_chain(tmp_path, dev_identity[0])
    assert result.redacted and all("c2pa.assertions/" in uri for uri in result.redacted)
    assert any("redacted" in note for note in result.notes)
    report = verify_file(final, options)
    assert report.verdict.value == "trusted"
    assert report.history[0].verdict.is_intact
    assert _no_location(json.dumps(report_to_dict(report)))
    raw = _raw_store(final)
    assert _no_location(raw)
    # The removal form of a redaction (C2PA 2.2, 6.8): recorded in the claim, and no
    # c2pa.redacted action whose URI could never resolve (15.10.3.2.2).
    assert "c2pa.redacted" not in [a.action for a in report.actions]
    claim = json.loads(_crjson(final))["manifests"][0]["claim.v2"]
    assert sorted(claim["redacted_assertions"]) == sorted(result.redacted)
    # ... and the report still says something was removed, and what.
    assert report.redacted == ("c2pa.metadata",)
    assert any(
        "removed from an earlier version" in s and "location" in s for s in report.statements
    )
    assert report_to_dict(report)["redacted"] == ["c2pa.metadata"]


def test_parent_location_kept_when_asked(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    final, result = _located_chain(tmp_path, dev_identity[0], keep_location=True)
    assert result.redacted == ()
    assert any("location" in note for note in result.notes)
    report = verify_file(final, options)
    assert report.history[0].capture is not None
    assert report.history[0].capture.location is not None


def test_parent_without_location_is_not_redacted(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    capture = tmp_path / "capture.jpg"
    sign_image(
        SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=capture), dev_identity[0]
    )
    final = tmp_path / "final.jpg"
    result = sign_image(
        SignRequest(
            source=write_edited(capture, tmp_path, ai=False),
            output=final,
            parent=capture,
            redact_location=True,
        ),
        dev_identity[0],
    )
    assert result.redacted == () and result.notes == ()
    report = verify_file(final, options)
    assert report.history[0].capture is not None
    assert report.history[0].capture.make == "BarCam"
