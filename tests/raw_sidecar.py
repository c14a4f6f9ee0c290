"""Sign a camera RAW's capture credentials into ``RAW.c2pa`` beside it, for the tests."""

from __future__ import annotations

from pathlib import Path

from provenance.sign import SignRequest, sign_image


def sign_raw_with_sidecar(raw_path: Path, identity: object) -> Path:
    """``sign RAW --sidecar``: the RAW stays as it is; returns the sidecar's path."""
    result = sign_image(SignRequest(source=raw_path, output=raw_path, sidecar=True), identity)  # type: ignore[arg-type]
    assert result.sidecar is not None
    return result.sidecar
