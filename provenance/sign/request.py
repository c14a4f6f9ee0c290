"""What a person asks to sign: the request values, kept apart from the signing machinery.

The command line builds these before anything heavy is loaded (Pillow, c2pa,
cryptography), so it can check its flags and start unlocking the key at once;
:mod:`provenance.sign` carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from provenance import media
from provenance.models import DigitalSourceType, TrainingPreference


class EditKind(StrEnum):
    """What kind of edit a person declares."""

    AI_EDIT = "ai_edit"  # new content made by a trained model (generative fill, replace sky)
    ENHANCE = "enhance"  # AI that adds no new content (denoise, upscale, skin smoothing)
    EDIT = "edit"  # a human edit (grade, exposure, retouch by hand)


@dataclass(frozen=True, slots=True)
class EditSpec:
    """One declared edit: what, with which tool, and optionally where (a mask)."""

    kind: EditKind
    description: str
    tool: str | None = None
    mask: Path | None = None
    action: str | None = None

    @property
    def is_ai(self) -> bool:
        """True for edits made with AI."""
        return self.kind in (EditKind.AI_EDIT, EditKind.ENHANCE)


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """A part of the picture that came from another file (an AI sky, a prop): ``componentOf``.

    Its own credentials, when it has them, are kept as the ingredient's; the area
    it covers is declared by ``mask`` (white = placed) or measured as the content
    change from the parent.
    """

    path: Path
    label: str | None = None
    mask: Path | None = None


@dataclass(frozen=True, slots=True)
class SignRequest:
    """Everything needed to sign one image."""

    source: Path
    output: Path
    parent: Path | None = None
    edits: tuple[EditSpec, ...] = ()
    generated: bool = False
    generator_tool: str | None = None
    source_type: DigitalSourceType = DigitalSourceType.DIGITAL_CAPTURE
    keep_location: bool = False
    #: Redact location assertions in the parent's credentials (C2PA 2.x, 6.8).
    #: None = automatic: redact unless ``keep_location``.
    redact_location: bool | None = None
    training: TrainingPreference | None = TrainingPreference.NOT_ALLOWED
    tsa_url: str | None = None
    force: bool = False
    #: The photographer confirms the listed actions are all that was done to the
    #: image (``allActionsIncluded``, C2PA 2.2, 18.14.3); written false otherwise.
    all_actions_included: bool = False
    #: Also write the deprecated ``stds.exif`` assertion (only the Verify site needs it).
    legacy_exif: bool = False
    #: Write the manifest store as a detached ``.c2pa`` file beside ``output``
    #: (:func:`provenance.sign.orchestrator.sidecar_path`) and leave the image bytes
    #: as they are: ``output`` gets an exact copy of the source, or, when ``output``
    #: is the source itself, no image is written at all.
    sidecar: bool = False
    max_bytes: int = media.DEFAULT_MAX_BYTES
    max_pixels: int = media.DEFAULT_MAX_PIXELS
    #: Parts placed from other files (C2PA ``componentOf`` + ``c2pa.placed``).
    components: tuple[ComponentSpec, ...] = ()
    #: Reference images given to an AI tool (C2PA ``inputTo``): thumbnails only.
    ai_inputs: tuple[Path, ...] = ()
    #: DESTRUCTIVE: drop the source's own Content Credentials instead of keeping them
    #: as its parent.  Without it, signing a file that already has credentials (and
    #: no ``parent``) makes those credentials its ``parentOf`` ingredient, so the
    #: history (a camera's signature, an earlier edit) survives (DESIGN.md "History").
    replace_credentials: bool = False

    def absolute(self) -> SignRequest:
        """The same request with every path absolute (against the current folder).

        For a process with another current folder (the agent and its workers).
        """
        from dataclasses import replace

        def whole(path: Path | None) -> Path | None:
            return path.absolute() if path is not None else None

        return replace(
            self,
            source=self.source.absolute(),
            output=self.output.absolute(),
            parent=whole(self.parent),
            edits=tuple(replace(e, mask=whole(e.mask)) for e in self.edits),
            components=tuple(
                replace(c, path=c.path.absolute(), mask=whole(c.mask)) for c in self.components
            ),
            ai_inputs=tuple(p.absolute() for p in self.ai_inputs),
        )


@dataclass(frozen=True, slots=True)
class SignOutcome:
    """What became of one request: signed (with the result's notes) or failed (one sentence).

    Made by the warm workers (:mod:`provenance.sign.warm`), sent over the agent's
    socket field by field, and shown by ``provenance sign`` and ``watch``.
    """

    source: Path
    output: Path
    ok: bool
    notes: tuple[str, ...] = ()
    message: str | None = None
    hint: str | None = None
    #: What was recorded and what to do differently (provenance.sign.recorded), for display.
    recorded: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
