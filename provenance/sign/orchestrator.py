"""Sign one image: read once, describe, sign to a temp file, verify it, then replace atomically.

Files are sacred.  The input is never opened for writing; the output is written
to a temporary file in the target folder, fsynced, read back and verified, and
only then moved into place atomically (:mod:`provenance.outputs`) — so at the output path there
is either nothing, the old file, or a complete verified one, whatever happens
(c2pa's own ``sign_file`` truncates its destination first, DESIGN.md).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from provenance import media
from provenance.errors import InputError, OperationError
from provenance.labels import LOCATION_ASSERTIONS, THUMBNAIL_ID
from provenance.models import (
    Action,
    CaptureFacts,
    DigitalSourceType,
    Extent,
    ExtentMethod,
)
from provenance.outputs import OutputPlan, plan_output, write_output
from provenance.sign.capture import capture_facts_from_image, capture_facts_from_raw
from provenance.sign.development import (
    DEVELOPMENT,
    ParentCredentials,
    find_parent_credentials,
    parent_ingredient,
)
from provenance.sign.manifest import ManifestPlan, build_definition, redaction_uri

# Re-exported: the request types lived here first, and callers import them from here.
from provenance.sign.request import EditKind as EditKind
from provenance.sign.request import EditSpec as EditSpec
from provenance.sign.request import SignRequest as SignRequest
from provenance.sign.resign import (
    KEPT_NOTE,
    REPLACED_NOTE,
    SELF_PARENT_NOTE,
    file_identity,
    has_own_credentials,
    location_dropped,
    named,
    reopen_unchanged,
)

if TYPE_CHECKING:
    from PIL import Image

    from provenance import _c2pa
    from provenance.extent.detail import DetailPlane
    from provenance.identity.keys import SigningIdentity


#: Working resolution shared by the thumbnail and the decoded copies the extent is measured on.
WORKING_SIDE = 1024
#: JPEGs decode at the coarsest DCT scale keeping at least this longer side: 1/8
#: for 24-60 MP photos (750-1000 px), enough for the thumbnail and the measurement.
WORKING_MIN_SIDE = 640
#: Longer side content and tone are measured at (detail reads its own finer luma planes,
#: provenance.extent.detail).  Areas are questions about fractions of the picture, which
#: this size answers; the structure statistics at three scales keep ``sign --from``
#: within its budget here (benchmarks/bench.py, "sign --from vs without").
MEASURE_SIDE = 640


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
    #: The detached manifest store written (``SignRequest.sidecar``), else None.
    sidecar: Path | None = None
    #: The source's own earlier credentials: "kept" (now its parent), "replaced"
    #: (``replace_credentials``), or None when it had none.
    earlier_credentials: str | None = None
    #: GPS location found in the source and left out (no ``keep_location``).
    location_dropped: bool = False
    #: The training-and-data-mining preference recorded, or None.
    training: str | None = None
    #: The parent the step was measured against (the source itself when "kept").
    parent: Path | None = None


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
            hint=f"Supported: {media.SUPPORTED_TEXT}.",
        )
    return data, kind


def check_output(
    source: Path, output: Path, *, force: bool, inputs: tuple[Path, ...] = ()
) -> OutputPlan:
    """Refuse to sign onto any input, into a missing folder, or over a file without force.

    The one safe-write helper (:func:`provenance.outputs.plan_output`) does the
    checks; the plan it returns lets the final move refuse an output another
    program wrote meanwhile.
    """
    return plan_output(output, inputs=(source, *inputs), force=force, what="output")


def check_sidecar_output(
    source: Path, output: Path, sidecar: Path, *, force: bool, inputs: tuple[Path, ...] = ()
) -> tuple[OutputPlan, OutputPlan | None]:
    """The checks of :func:`check_output` for a sidecar signing: (sidecar plan, image plan).

    ``output`` may be the source itself: the sidecar then goes beside the input and
    no image is written (image plan None).  The sidecar is never an input and is
    not replaced without ``force``.
    """
    everything = (source, *inputs)
    side_plan = plan_output(sidecar, inputs=everything, force=force, what="sidecar")
    if _same_file(output, source):
        return side_plan, None
    return side_plan, plan_output(output, inputs=everything, force=force, what="output")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.absolute() == b.absolute()


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
            # A perceptible change by hand says so (the spec's own example for an
            # edit, and the Conformance Program: every perceptible transformation
            # carries a digitalSourceType).
            source_type = DigitalSourceType.HUMAN_EDITS.value
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
    request: SignRequest,
    parent_img: Image.Image | None,
    edited_img: Image.Image,
    planes: tuple[DetailPlane | None, DetailPlane | None] = (None, None),
) -> tuple[dict[int, Extent | None], str | None]:
    """Extents per edit index: measured from the parent, declared from masks.

    DESIGN.md "The AI-extent method": the measured change (content, detail and
    tone, :func:`provenance.extent.measure_kinds`) is attributed to the AI edits
    when there are any, otherwise to the human edits.  A masked edit declares its
    mask (the measurement inside it is kept, by kind); an unmasked edit next to
    masked ones is given only the measured change *outside* every mask, so the
    step's AI area is their union, never a sum.  Several unmasked owners share one
    measurement, labelled as such.  When the geometry changed (crop, zoom,
    rotation) the area is recorded as unknown (None) with the reason, never
    guessed; a mask still gives a declared extent.  ``planes`` are the detail
    planes of parent and edit (finer than the working images).
    """
    from provenance import extent as extent_mod

    found: extent_mod.Measurement | None = None
    note: str | None = None
    if parent_img is not None:
        try:
            found = extent_mod.measure_kinds(
                parent_img,
                edited_img,
                max_side=MEASURE_SIDE,
                parent_plane=planes[0],
                edited_plane=planes[1],
            )
        except extent_mod.GeometryMismatch as exc:
            note = exc.message
    measured = extent_mod.extent_from_measurement(found) if found is not None else None
    extents: dict[int, Extent | None] = {}
    ai_indexes = [i for i, e in enumerate(request.edits) if e.is_ai]
    owners = ai_indexes or list(range(len(request.edits)))
    unmasked = [i for i in owners if request.edits[i].mask is None]
    masks: list[Image.Image] = []
    for index in owners:
        edit = request.edits[index]
        if edit.mask is None:
            continue
        mask_img = _load_mask(edit.mask)
        _check_mask_geometry(edit.mask, mask_img, edited_img)
        masks.append(mask_img)
        inside = extent_mod.restrict(found, mask_img, inside=True) if found else None
        declared = extent_mod.extent_from_mask(mask_img, measured=measured)
        if inside is not None:
            declared = replace(declared, changes=inside.changes)
        if note is not None:
            declared = replace(declared, note=UNMEASURED_NOTE)
        extents[index] = declared
    if masks and found is not None and measured is not None:
        # What no mask declares belongs to the unmasked edits of this step.
        measured = extent_mod.restrict(found, masks, inside=False)
        measured = replace(measured, note=OUTSIDE_NOTE)
    for index in unmasked:
        if measured is not None:
            shared = len(unmasked) > 1
            extents[index] = (
                replace(measured, note=SHARED_NOTE if not masks else OUTSIDE_SHARED_NOTE)
                if shared
                else measured
            )
        elif note is not None:
            extents[index] = Extent(
                area_fraction=None, method=ExtentMethod.MEASURED, note=UNMEASURED_NOTE
            )
        else:
            extents[index] = None
    return extents, note


#: Recorded on an unmasked edit that shares a step with masked ones.
OUTSIDE_NOTE = "measured change outside the declared masks of this step"
OUTSIDE_SHARED_NOTE = "measured change of these edits together, outside the declared masks"
#: What sign says when it redacts: what went, in which form, and who reads it how
#: (docs/manifest.md "Location"; tests/validators check each reader).
REDACTION_NOTE = (
    "Location data in the parent's credentials was redacted: the assertion holding it "
    "(with the camera details recorded beside it) was removed and the removal is "
    "recorded in this signature (C2PA redaction, removal form). c2pa-rs readers and "
    "encypher-c2pa accept this; @trustnxt/c2pa-ts 0.9.4 misreads every redaction and "
    "reports the file invalid. Use --no-redact-location to keep the location instead."
)
#: Recorded on each edit that shares one measurement with others (no masks to separate them).
SHARED_NOTE = "measured change of all these edits together"
#: Recorded when the parent's geometry differs: the size of the change is unknown.
UNMEASURED_NOTE = "could not be measured: cropped, zoomed or rotated relative to the parent"


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

    ``identity`` may be a callable that yields it (:func:`provenance.identity.keys.prepare_unlock`);
    it is called while the image decodes in another thread, so the key's
    deliberately slow unlock costs no extra time.

    Raises :class:`InputError` for unusable inputs, :class:`OutputExistsError`
    without ``force``, and :class:`OperationError` when signing or the
    read-back verification fails (nothing is left at the output path then).
    """
    source = request.source
    output = request.output
    from provenance._c2pa import sidecar_path

    others = tuple(
        p
        for p in (
            request.parent,
            *(e.mask for e in request.edits),
            *(c.path for c in request.components),
            *(c.mask for c in request.components),
            *request.ai_inputs,
        )
        if p is not None
    )
    sidecar = sidecar_path(output) if request.sidecar else None
    image_plan: OutputPlan | None
    if sidecar is not None:
        side_plan, image_plan = check_sidecar_output(
            source, output, sidecar, force=request.force, inputs=others
        )
    else:
        image_plan = check_output(source, output, force=request.force, inputs=others)
    identity_of_source = file_identity(source)
    data, kind = read_input(source, max_bytes=request.max_bytes)
    if kind.sidecar_only and sidecar is None:
        raise InputError(
            f"{source.name} is a camera RAW file ({kind.label}): its bytes are never modified, "
            "so its credentials can only go in a .c2pa sidecar beside it.",
            hint=f"Sign it with --sidecar: it writes {source.name}.c2pa.",
        )
    earlier: str | None = None
    if request.parent is None and not request.sidecar and has_own_credentials(source, data, kind):
        if request.replace_credentials:
            earlier = "replaced"
        elif request.generated:
            raise InputError(
                f"{source.name} already has Content Credentials; --generated would declare it a "
                "new creation and drop them.",
                hint="Sign it without --generated (its credentials become its history), or add "
                "--replace-credentials to drop them (destructive).",
            )
        else:
            # Its own credentials become its parent: the chain survives, and this step is
            # measured against the very same pixels (DESIGN.md "History").
            earlier = "kept"
            request = replace(request, parent=source)
    opened = named(
        source, lambda: media.open_image(data, max_pixels=request.max_pixels, kind=kind)
    )
    capture: CaptureFacts | None = None
    if request.generated:
        capture = CaptureFacts(source=DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA.value)
    elif request.parent is None and kind.raw:
        capture = capture_facts_from_raw(
            data, kind, source=request.source_type, keep_location=request.keep_location
        )
    elif request.parent is None:
        capture = capture_facts_from_image(
            opened, source=request.source_type, keep_location=request.keep_location
        )
    parent_data: bytes = b""
    parent_kind: media.MediaType | None = None
    parent_credentials: ParentCredentials | None = None
    if request.parent is not None:
        parent_data, parent_kind = read_input(request.parent, max_bytes=request.max_bytes)
        parent_credentials = find_parent_credentials(request.parent, parent_data, parent_kind)
        if parent_kind.raw and not request.edits and earlier != "kept":
            # Developed from a RAW with nothing declared: the development is the edit.
            request = replace(request, edits=(DEVELOPMENT,))
    # The decodes run without the GIL (media.reduce_image), in parallel with each
    # other and with unlocking the key and loading c2pa on this thread.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="decode") as pool:
        working_job = pool.submit(
            media.reduce_image, opened, WORKING_SIDE, min_side=WORKING_MIN_SIDE
        )
        parent_job = (
            pool.submit(
                media.decode_reduced,
                parent_data,
                WORKING_SIDE,
                max_pixels=request.max_pixels,
                min_side=WORKING_MIN_SIDE,
                kind=parent_kind,
            )
            if request.parent is not None
            else None
        )
        # The extent's detail step reads finer luma planes of both (JPEG: luma only,
        # DCT-scaled, so they cost a fraction of a full decode).
        plane_jobs = None
        if request.parent is not None and request.edits:
            from provenance.extent.detail import load_plane

            plane_jobs = (
                pool.submit(load_plane, parent_data, max_pixels=request.max_pixels),
                pool.submit(load_plane, data, max_pixels=request.max_pixels),
            )
        # Unlock the key now: its PBKDF2 holds the GIL, the decodes do not, so the
        # two run side by side on two cores.
        signer = identity() if callable(identity) else identity
        from provenance import _c2pa

        working = named(source, working_job.result)
        parent_img = (
            named(request.parent, parent_job.result)
            if parent_job is not None and request.parent is not None
            else None
        )
        planes: tuple[DetailPlane | None, DetailPlane | None] = (
            (plane_jobs[0].result(), plane_jobs[1].result()) if plane_jobs else (None, None)
        )
    thumbnail = media.make_thumbnail(working)

    ingredients: list[_c2pa.IngredientSource] = []
    notes: list[str] = []
    redactions: tuple[str, ...] = ()
    if request.parent is not None:
        assert parent_kind is not None and parent_img is not None
        ingredients.append(
            parent_ingredient(
                request.parent,
                parent_data,
                parent_kind,
                media.make_thumbnail(parent_img),
                parent_credentials,
            )
        )
        located = _location_assertions(
            parent_data,
            parent_kind.c2pa_mime,
            sidecar=parent_credentials.store if parent_credentials else None,
        )
        redact = (
            request.redact_location
            if request.redact_location is not None
            else not request.keep_location
        )
        if located and redact:
            redactions = located
            notes.append(REDACTION_NOTE)
        elif located:
            notes.append("The parent's credentials include a location, which stays in the history.")
    extents: dict[int, Extent | None] = {}
    note = None
    if request.edits:
        extents, note = _measure(request, parent_img, working, planes)
    if earlier == "kept":
        # The parent is the file itself: edits declared now were made before its earlier
        # credentials, so this step cannot say how much they changed.
        extents = {
            i: Extent(area_fraction=None, method=ExtentMethod.MEASURED, note=SELF_PARENT_NOTE)
            for i, edit in enumerate(request.edits)
            if edit.is_ai
        }
        note = None
        notes.insert(0, KEPT_NOTE)
    elif earlier == "replaced":
        notes.insert(0, REPLACED_NOTE)
    if note is not None:
        notes.insert(0, note)
    actions, _ = _plan_actions(request, extents)
    if request.components or request.ai_inputs:
        from provenance.sign.components import add_hybrid_parts

        actions = add_hybrid_parts(request, parent_img, working, actions, ingredients, notes)
    plan = ManifestPlan(
        title=output.name,
        actions=actions,
        capture=capture,
        training=request.training,
        redactions=redactions,
        all_actions_included=request.all_actions_included,
        legacy_exif=request.legacy_exif,
    )
    definition = build_definition(plan)
    if request.tsa_url:
        # c2pa-rs waits 30 s on a silent TSA; fail within a bounded time instead.
        from provenance.sign.timestamp import check_tsa

        check_tsa(request.tsa_url)
    dropped = location_dropped(request, opened)
    if sidecar is not None:
        manifest = _c2pa.sign_asset(
            definition,
            kind.c2pa_mime,
            io.BytesIO(data),
            None,
            signer,
            tsa_url=request.tsa_url,
            ingredients=ingredients,
            resources={THUMBNAIL_ID: thumbnail},
            edit=request.parent is not None,
            embed=False,
        )
        write_sidecar(side_plan, manifest, image=data, mime=kind.c2pa_mime)
        if image_plan is not None:
            # The image itself, byte for byte: its sidecar's hard binding covers it.
            write_output(image_plan, data)
        notes.append(
            f"The credentials are in {sidecar.name}, beside {output.name}, whose bytes are "
            "unchanged: keep the two files together."
        )
    else:
        assert image_plan is not None
        # Signing reads the source again, from the file: the bytes read above are
        # let go first, so a large file is not held while c2pa writes and the
        # result is read back (issue 22: peak <= 1.5x the file + 150 MB).  The file
        # must still be the one read (same inode, size and mtime).
        streamable = earlier is None and _c2pa.can_stream_sign(kind.mime)
        del data, opened

        def produce(dest: IO[bytes]) -> None:
            with reopen_unchanged(source, identity_of_source) as src:
                offset = media.manifest_offset(src, kind.mime) if streamable else None
                if offset is not None:
                    _c2pa.sign_stream(
                        definition,
                        kind.mime,
                        src,
                        dest,
                        signer,
                        insert_at=offset,
                        tsa_url=request.tsa_url,
                        ingredients=ingredients,
                        resources={THUMBNAIL_ID: thumbnail},
                        edit=request.parent is not None,
                    )
                    return
                src.seek(0)
                _c2pa.sign_asset(
                    definition,
                    kind.mime,
                    src,
                    dest,
                    signer,
                    tsa_url=request.tsa_url,
                    ingredients=ingredients,
                    resources={THUMBNAIL_ID: thumbnail},
                    edit=request.parent is not None,
                )

        write_signed(image_plan, produce, mime=kind.mime)
    return SignResult(
        source=source,
        output=output,
        actions=actions,
        capture=capture,
        extent_note=note,
        redacted=redactions,
        notes=tuple(notes),
        sidecar=sidecar,
        earlier_credentials=earlier,
        parent=request.parent,
        location_dropped=dropped,
        training=request.training.value if request.training else None,
    )


def _location_assertions(
    data: bytes, mime: str, *, sidecar: bytes | None = None
) -> tuple[str, ...]:
    """URIs of the assertions in ``data``'s credentials that carry a location.

    Every manifest of the parent's store counts (a grandparent's capture is
    embedded too).  c2pa can only redact whole assertions (C2PA 2.x, 6.8), so
    the camera facts sharing the metadata assertion go with the location.
    """
    from provenance import _c2pa

    result = _c2pa.read_credentials(
        io.BytesIO(data), mime, _c2pa.ReadOptions(want_thumbnails=False), sidecar=sidecar
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


def write_signed(
    output: Path | OutputPlan, produce: Callable[[IO[bytes]], None], *, mime: str
) -> None:
    """Write via ``produce(dest_stream)`` to a temp file beside the output, verify, move into place.

    Through :func:`provenance.outputs.write_output`: the temp file is created
    ``O_EXCL|O_NOFOLLOW``, read back and verified before the atomic move, and
    removed (by its recorded name) on any failure, so no partial file is ever
    left.  A bare path means "replace whatever is there" (callers that checked
    the path themselves).
    """
    from provenance import _c2pa

    plan = output if isinstance(output, OutputPlan) else plan_output(output, force=True)

    def readback(stream: IO[bytes]) -> None:
        _check_readback(
            _c2pa.read_credentials(stream, mime, _c2pa.ReadOptions(want_thumbnails=False))
        )

    write_output(plan, produce, check=readback)


def write_sidecar(output: Path | OutputPlan, manifest: bytes, *, image: bytes, mime: str) -> Path:
    """Write a detached manifest store (a ``.c2pa`` sidecar) after checking it; its path.

    The store is first read back against the image bytes it describes (``image``,
    of type ``mime``), so a sidecar that does not validate is never written; then
    it goes through :func:`provenance.outputs.write_output` (temp file, fsync,
    atomic move).  A bare path means "replace whatever is there".  This is the
    library call for any caller holding a store from
    ``_c2pa.sign_asset(..., dest=None, embed=False)``: RAW files, or a publisher
    who must not change a file's bytes; :func:`provenance._c2pa.sidecar_path`
    names it.
    """
    from provenance import _c2pa

    _check_readback(
        _c2pa.read_credentials(
            io.BytesIO(image), mime, _c2pa.ReadOptions(want_thumbnails=False), sidecar=manifest
        )
    )
    plan = output if isinstance(output, OutputPlan) else plan_output(output, force=True)
    return write_output(plan, manifest)


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
