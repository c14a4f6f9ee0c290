"""The fuzz target: bytes → verify_file → every renderer.  Only ProvenanceError may escape."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from provenance.errors import ProvenanceError
from provenance.identity.keys import SigningIdentity
from provenance.models import Verdict
from provenance.report import renderer_for
from provenance.verify import VerifyOptions, verify_file

FORMATS = tuple(
    f
    for f in ("text", "json", "html")
    if f != "html" or importlib.util.find_spec("provenance.report.html")
)
OPTIONS = VerifyOptions(use_trust_store=False, want_thumbnails=True)


def run_one(data: bytes, folder: Path, suffix: str = ".jpg") -> Verdict | None:
    """Verify ``data`` as a file and render it; return the verdict (None if our error was raised)."""
    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        report = verify_file(path, OPTIONS)
        for fmt in FORMATS:
            text = renderer_for(fmt).render([report])
            assert isinstance(text, str)
            assert "\x1b" not in text
    except ProvenanceError:
        return None
    return report.verdict


#: The formats the fuzzer mutates, with the suffix their files are written under.
SUFFIX = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}


def signed_bases(folder: Path, identity: SigningIdentity) -> dict[str, bytes]:
    """One small signed photo per fuzzed format: the seeds every mutation starts from."""
    from fixtures.generate import write_photo
    from provenance.sign import SignRequest, sign_image

    out = {}
    for fmt, suffix in SUFFIX.items():
        source = write_photo(folder, fmt, width=240, height=160)
        target = folder / f"signed{suffix}"
        sign_image(SignRequest(source=source, output=target), identity)
        out[fmt] = target.read_bytes()
    return out
