"""Sign one image: read once, describe, sign to a temp file, verify it, then replace atomically.

Files are sacred.  The input is never opened for writing; the output is written
to a temporary file in the target folder, fsynced, read back and verified, and
only then moved into place with :func:`os.replace` — so at the output path there
is either nothing, the old file, or a complete verified one, whatever happens
(c2pa's own ``sign_file`` truncates its destination first, DESIGN.md).
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING

from provenance import media
from provenance.capture import capture_facts_from_image
from provenance.errors import InputError, OperationError, OutputExistsError
from provenance.manifest import (
    LOCATION_ASSERTIONS,
    THUMBNAIL_ID,
    ManifestPlan,
    build_definition,
    redaction_uri,
)
from provenance.models import (
    Action,
    CaptureFacts,
    DigitalSourceType,
    Extent,
    ExtentMethod,
    Relationship,
    TrainingPreference,
)

if TYPE_CHECKING:
    from PIL import Image

    from provenance import _c2pa
    from provenance.keys import SigningIdentity

#: Working resolution shared by the thumbnail and the decoded copies the extent is measured on.
WORKING_SIDE = 1024
#: Longer side the extent is measured at: on 24 MP pairs the area agrees with a
#: full-resolution measurement to 0.1 percentage point, at a fraction of the cost.
MEASURE_SIDE = 768


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
    max_bytes: int = media.DEFAULT_MAX_BYTES
    max_pixels: int = media.DEFAULT_MAX_PIXELS


@dataclass(frozen=True, slots=True)
class SignResult:
    """What was written, and what the manifest says."""

    source: Path
    output: Path
    actions: tuple[Action, ...]
    capture: CaptureFacts | None
    extent_note: str | None = None
    #: JUMBF URIs of parent assertions that were redacted (location data).
    redacted: tuple[str, ...] = ()
    #: Everything a person should be told about this signature, one sentence each.
    notes: tuple[str, ...] = ()


def read_input(path: Path, *, max_bytes: int) -> tuple[bytes, media.MediaType]:
    """Read a whole input file once, refusing oversize and unknown formats early."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist.") from exc
    except OSError as exc:
        raise InputError(f"Cannot open {path}: {exc.strerror}.") from exc
    if not path.is_file():
        raise InputError(f"{path} is not a file.")
    if size > max_bytes:
        raise InputError(
            f"{path} is too large ({size:,} bytes).", hint=f"The limit is {max_bytes:,} bytes."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}.") from exc
    kind = media.sniff(data[:64], name=path.name)
    if kind is None or not kind.signable:
        raise InputError(
            f"{path.name} is not an image type that can be signed.",
            hint="Supported: JPEG, PNG, WebP, TIFF, HEIC/HEIF, AVIF, GIF, DNG.",
        )
    return data, kind


def check_output(source: Path, output: Path, *, force: bool) -> None:
    """Refuse to sign onto the input, into a missing folder, or over a file without force."""
    if output.exists():
        try:
            same = output.samefile(source)
        except OSError:
            same = False
        if same:
            raise InputError(
                "The output would overwrite the input.",
                hint="Choose another output name: the original is never modified.",
            )
        if not force:
            raise OutputExistsError(f"{output} already exists.", hint="Use --force to replace it.")
        if output.is_dir():
            raise InputError(f"{output} is a folder.", hint="Give a file name with -o.")
    if not output.parent.is_dir():
        raise InputError(f"The folder {output.parent} does not exist.")


def _plan_actions(
    request: SignRequest, extents: dict[int, Extent | None]
) -> tuple[tuple[Action, ...], CaptureFacts | None]:
    actions: list[Action] = []
    if request.generated:
        source = DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA
        actions.append(
            Action(
                "c2pa.created",
                digital_source_type=source.value,
                software_agent=request.generator_tool,
                description="Generated by AI",
                extent=None,
            )
        )
    elif request.parent is None:
        actions.append(Action("c2pa.created", digital_source_type=request.source_type.value))
    for index, edit in enumerate(request.edits):
        if edit.kind is EditKind.AI_EDIT:
            source_type: str | None = (
                DigitalSourceType.COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA.value
            )
        elif edit.kind is EditKind.ENHANCE:
            source_type = DigitalSourceType.ALGORITHMICALLY_ENHANCED.value
        else:
            source_type = None
        actions.append(
            Action(
                edit.action
                or ("c2pa.edited" if edit.kind is not EditKind.ENHANCE else "c2pa.filtered"),
                digital_source_type=source_type,
                software_agent=edit.tool,
                description=edit.description,
                extent=extents.get(index),
            )
        )
    return tuple(actions), None


def _measure(
    request: SignRequest, parent_img: Image.Image | None, edited_img: Image.Image
) -> tuple[dict[int, Extent | None], str | None]:
    """Extents per edit index: measured from the parent, declared from masks.

    DESIGN.md "The AI-extent method": the measured change is attributed to the
    AI edits when there are any (a human grade is tone-normalised away, so what
    remains is theirs), otherwise to the human edits.  Several unmasked owners
    share one measurement, labelled as such.  When the geometry changed (crop,
    rotation) the area is recorded as unknown (None) with the reason, never
    guessed; a mask still gives a declared extent.
    """
    from provenance import extent as extent_mod

    measured: Extent | None = None
    note: str | None = None
    if parent_img is not None:
        try:
            measured = extent_mod.measure_extent(parent_img, edited_img, max_side=MEASURE_SIDE)
        except extent_mod.GeometryMismatch as exc:
            note = exc.message
    extents: dict[int, Extent | None] = {}
    ai_indexes = [i for i, e in enumerate(request.edits) if e.is_ai]
    owners = ai_indexes or list(range(len(request.edits)))
    unmasked = [i for i in owners if request.edits[i].mask is None]
    for index in owners:
        edit = request.edits[index]
        if edit.mask is not None:
            mask_img = _load_mask(edit.mask)
            _check_mask_geometry(edit.mask, mask_img, edited_img)
            declared = extent_mod.extent_from_mask(mask_img, measured=measured)
            if note is not None:
                declared = replace(declared, note=UNMEASURED_NOTE)
            extents[index] = declared
        elif measured is not None:
            extents[index] = replace(measured, note=SHARED_NOTE) if len(unmasked) > 1 else measured
        elif note is not None:
            extents[index] = Extent(
                area_fraction=None, method=ExtentMethod.MEASURED, note=UNMEASURED_NOTE
            )
        else:
            extents[index] = None
    return extents, note


#: Recorded on each edit that shares one measurement with others (no masks to separate them).
SHARED_NOTE = "measured change of all these edits together"
#: Recorded when the parent's geometry differs: the size of the change is unknown.
UNMEASURED_NOTE = "could not be measured: cropped or rotated relative to the parent"


def _check_mask_geometry(path: Path, mask: Image.Image, edited: Image.Image) -> None:
    """A mask must have the edited image's shape, or it declares somewhere else."""
    mw, mh = mask.size
    ew, eh = edited.size
    if abs(mw * eh - mh * ew) > 0.01 * mh * ew:
        raise InputError(
            f"The mask {path.name} ({mw}x{mh}) does not have the image's proportions.",
            hint="Export the mask at the size of the edited image (white = edited).",
        )


def _load_mask(path: Path) -> Image.Image:
    data, _ = read_input(path, max_bytes=64 * 1024 * 1024)
    img = media.open_image(data)
    img.load()
    return img


def sign_image(
    request: SignRequest, identity: SigningIdentity | Callable[[], SigningIdentity]
) -> SignResult:
    """Sign one image according to ``request``; the input is never modified.

    ``identity`` may be a callable that yields it (e.g. a future's ``result``), so
    a caller can unlock the key (PBKDF2, ~0.1-0.2 s) while the image is decoded.

    Raises :class:`InputError` for unusable inputs, :class:`OutputExistsError`
    without ``force``, and :class:`OperationError` when signing or the
    read-back verification fails (nothing is left at the output path then).
    """
    from provenance import _c2pa

    source = request.source
    output = request.output
    check_output(source, output, force=request.force)
    data, kind = read_input(source, max_bytes=request.max_bytes)
    opened = media.open_image(data, max_pixels=request.max_pixels)
    capture: CaptureFacts | None = None
    if request.generated:
        capture = CaptureFacts(source=DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA.value)
    elif request.parent is None:
        capture = capture_facts_from_image(
            opened, source=request.source_type, keep_location=request.keep_location
        )
    working = media.reduce_image(opened, WORKING_SIDE)
    thumbnail = media.make_thumbnail(working)

    ingredients: list[_c2pa.IngredientSource] = []
    parent_img = None
    if request.parent is not None:
        parent_data, parent_kind = read_input(request.parent, max_bytes=request.max_bytes)
        parent_img = media.decode_reduced(parent_data, WORKING_SIDE, max_pixels=request.max_pixels)
        ingredients.append(
            _c2pa.IngredientSource(
                title=request.parent.name,
                relationship=Relationship.PARENT_OF.value,
                mime=parent_kind.mime,
                data=parent_data,
                thumbnail=media.make_thumbnail(parent_img),
            )
        )
    notes: list[str] = []
    redactions: tuple[str, ...] = ()
    if request.parent is not None:
        located = _location_assertions(parent_data, parent_kind.mime)
        redact = (
            request.redact_location
            if request.redact_location is not None
            else not request.keep_location
        )
        if located and redact:
            redactions = located
            notes.append(
                "Location data in the parent's credentials was redacted "
                "(with the camera details recorded in the same assertion)."
            )
        elif located:
            notes.append("The parent's credentials include a location, which stays in the history.")
    extents: dict[int, Extent | None] = {}
    note = None
    if request.edits:
        extents, note = _measure(request, parent_img, working)
    if note is not None:
        notes.insert(0, note)
    actions, _ = _plan_actions(request, extents)
    plan = ManifestPlan(
        title=output.name,
        actions=actions,
        capture=capture,
        training=request.training,
        redactions=redactions,
    )
    definition = build_definition(plan)
    if request.tsa_url:
        # c2pa-rs waits 30 s on a silent TSA; fail within a bounded time instead.
        from provenance.timestamp import check_tsa

        check_tsa(request.tsa_url)
    signer = identity() if callable(identity) else identity
    write_signed(
        output,
        lambda dest: _c2pa.sign_asset(
            definition,
            kind.mime,
            io.BytesIO(data),
            dest,
            signer,
            tsa_url=request.tsa_url,
            ingredients=ingredients,
            resources={THUMBNAIL_ID: thumbnail},
            edit=request.parent is not None,
        ),
        mime=kind.mime,
    )
    return SignResult(
        source=source,
        output=output,
        actions=actions,
        capture=capture,
        extent_note=note,
        redacted=redactions,
        notes=tuple(notes),
    )


def _location_assertions(data: bytes, mime: str) -> tuple[str, ...]:
    """URIs of the assertions in ``data``'s credentials that carry a location.

    Every manifest of the parent's store counts (a grandparent's capture is
    embedded too).  c2pa can only redact whole assertions (C2PA 2.x, 6.8), so
    the camera facts sharing the metadata assertion go with the location.
    """
    from provenance import _c2pa

    result = _c2pa.read_credentials(
        io.BytesIO(data), mime, _c2pa.ReadOptions(want_thumbnails=False)
    )
    if result.store is None:
        return ()
    uris: list[str] = []
    for label, manifest in result.store.manifests.items():
        if manifest.capture is None or manifest.capture.location is None:
            continue
        for assertion in manifest.assertion_labels:
            if assertion.split("__", 1)[0] in LOCATION_ASSERTIONS:
                uris.append(redaction_uri(label, assertion))
    return tuple(uris)


def write_signed(output: Path, produce: Callable[[IO[bytes]], None], *, mime: str) -> None:
    """Write via ``produce(dest_stream)`` to a temp file beside ``output``, verify, replace.

    The temp file is removed on any failure, so no partial file is ever left.
    """
    from provenance import _c2pa

    tmp = output.with_name(f".{output.name}.{secrets.token_hex(4)}.partial")
    try:
        with open(tmp, "w+b") as dest:
            produce(dest)
            dest.flush()
            os.fsync(dest.fileno())
            dest.seek(0)
            result = _c2pa.read_credentials(dest, mime, _c2pa.ReadOptions(want_thumbnails=False))
        _check_readback(result)
        os.replace(tmp, output)
        _fsync_dir(output.parent)
    except OSError as exc:
        raise OperationError(
            f"Could not write {output}: {exc.strerror or exc}.",
            hint="Check free space and permissions of the output folder.",
        ) from exc
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass


def _check_readback(result: _c2pa.ReadResult) -> None:
    from provenance import _c2pa

    if result.outcome is not _c2pa.ReadOutcome.FOUND or result.store is None:
        raise OperationError("The signed file could not be read back; nothing was written.")
    failures = [
        s.code
        for s in result.store.statuses
        if s.kind == "failure" and s.code not in ("signingCredential.untrusted",)
    ]
    if result.store.state not in ("Valid", "Trusted") or failures:
        raise OperationError(
            "The signed file did not verify; nothing was written.",
            hint="Check the signing certificate with: provenance keys check",
            diagnostics=tuple(failures[:10]),
        )


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
