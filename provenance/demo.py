"""The whole story in a temporary folder, with a built-in identity and no set-up.

A photographer's capture is signed; an edited version (a colour grade plus an AI
replaced region) is signed from it; a copy of the final image is tampered with.
All three are verified against the demo identity's root, which is trusted for
this run only.  Nothing is read from or written to the user's own identity or
trust store, and nothing touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provenance import media, samples
from provenance.identity.keys import ephemeral_identity
from provenance.models import Report
from provenance.sign.orchestrator import sign_image
from provenance.sign.request import EditKind, EditSpec, SignRequest
from provenance.verify.verifier import VerifyOptions, verify_file

DEMO_NAME = "Demo Photographer"
DEMO_ORG = "Demo Studio"


@dataclass(frozen=True, slots=True)
class DemoStep:
    """One file of the demo and what verification said about it."""

    label: str
    path: Path
    report: Report


def tamper(data: bytes) -> bytes:
    """Flip one byte well inside the image data (after the manifest), as a tamperer would."""
    position = len(data) - max(64, len(data) // 5)
    return data[:position] + bytes([data[position] ^ 0x5A]) + data[position + 1 :]


def run_demo(workdir: Path) -> list[DemoStep]:
    """Run the demo in ``workdir`` (which must exist); returns the verified steps."""
    identity, root_pem = ephemeral_identity(DEMO_NAME, DEMO_ORG)
    root = workdir / "demo-root.pem"
    root.write_bytes(root_pem)

    capture = workdir / "capture.jpg"
    capture.write_bytes(samples.sample_photo("JPEG", width=1600, height=1067))
    signed_capture = workdir / "capture-signed.jpg"
    sign_image(SignRequest(source=capture, output=signed_capture), identity)

    original = media.decode_reduced(capture.read_bytes(), 4096)
    edited_img = samples.ai_edit(samples.grade(original), (0.55, 0.08, 0.4, 0.5))
    edited = workdir / "edited.jpg"
    edited.write_bytes(samples.encode(edited_img, "JPEG", exif=samples.exif_bytes()))
    final = workdir / "final.jpg"
    sign_image(
        SignRequest(
            source=edited,
            output=final,
            parent=signed_capture,
            edits=(
                EditSpec(EditKind.EDIT, "Colour grade and exposure", tool="Darkroom/5"),
                EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1"),
            ),
        ),
        identity,
    )
    tampered = workdir / "final-tampered.jpg"
    tampered.write_bytes(tamper(final.read_bytes()))

    options = VerifyOptions(trust_files=(root,), use_trust_store=False)
    return [
        DemoStep("The signed capture", signed_capture, verify_file(signed_capture, options)),
        DemoStep("The edited version, signed from the capture", final, verify_file(final, options)),
        DemoStep("A copy changed after signing", tampered, verify_file(tampered, options)),
    ]
