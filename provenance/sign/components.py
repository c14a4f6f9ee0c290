"""Hybrid images: parts placed from other files, and reference images given to an AI tool.

A new sky or a prop usually comes from a separate file — often an AI-generated
image that carries its own Content Credentials.  C2PA records it as a
``componentOf`` ingredient (its manifest kept in the store, validated like the
parent's) placed by a ``c2pa.placed`` action that links it (C2PA 2.x, 18.15
``parameters.ingredients``; 8.3 ingredient relationships).  The placed area is
the action's extent: declared from a mask, or measured — the content change
between the parent and the result.  Reference images fed to a model are
``inputTo`` ingredients linked to the AI action, recorded with a thumbnail only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from provenance import media
from provenance.errors import InputError
from provenance.models import (
    Action,
    DigitalSourceType,
    Extent,
    ExtentMethod,
    Relationship,
)
from provenance.sanitize import clean_text

if TYPE_CHECKING:
    from pathlib import Path

    from PIL import Image

    from provenance import _c2pa
    from provenance.sign.request import ComponentSpec, SignRequest

#: Recorded on components that share one measured change (no masks to tell them apart).
SHARED_COMPONENT_NOTE = "measured change shared by several placed parts"
#: Side of the thumbnails recorded for components and AI inputs.
THUMBNAIL_SIDE = 512


@dataclass(frozen=True, slots=True)
class PlacedPart:
    """One component, ready to sign: its ingredient, its placing action, what we learnt of it."""

    ingredient: _c2pa.IngredientSource
    action: Action
    ai: bool
    has_credentials: bool


def _read(path: Path, max_bytes: int) -> tuple[bytes, media.MediaType]:
    from provenance.sign.orchestrator import read_input

    return read_input(path, max_bytes=max_bytes)


def _thumbnail(data: bytes, kind: media.MediaType, max_pixels: int) -> bytes:
    reduced = media.decode_reduced(data, THUMBNAIL_SIDE, max_pixels=max_pixels, kind=kind)
    return media.make_thumbnail(reduced)


def _is_ai(data: bytes, kind: media.MediaType) -> tuple[bool, bool]:
    """(made or changed by AI according to its own credentials, has credentials at all)."""
    from provenance import _c2pa

    result = _c2pa.read_credentials(
        io.BytesIO(data), kind.mime, _c2pa.ReadOptions(want_thumbnails=False)
    )
    manifest = result.store.active if result.store is not None else None
    if manifest is None:
        return False, False
    source = manifest.capture.source if manifest.capture is not None else None
    parsed = DigitalSourceType.parse(source)
    ai = (parsed is not None and parsed.is_ai) or any(a.ai for a in manifest.actions)
    return ai, True


def _label(spec: ComponentSpec) -> str:
    given = clean_text(spec.label, max_length=60) if spec.label else None
    return given or spec.path.stem[:60]


def placed_parts(
    request: SignRequest,
    edited: Image.Image,
    measured: Extent | None,
    unmeasured_note: str | None,
) -> list[PlacedPart]:
    """Ingredients and ``c2pa.placed`` actions for ``request.components``.

    A mask declares a component's area (the measurement kept beside it, as for
    AI edits).  Without one, the measured content change is the component's when
    it is the only unmasked one; several unmasked components share it, labelled so.
    """
    from provenance import extent as extent_mod
    from provenance.sign.orchestrator import _check_mask_geometry, _load_mask

    unmasked = [c for c in request.components if c.mask is None]
    parts: list[PlacedPart] = []
    for index, spec in enumerate(request.components, start=1):
        data, kind = _read(spec.path, request.max_bytes)
        if kind.sidecar_only:
            raise InputError(
                f"The component {spec.path.name} is a camera RAW file.",
                hint="Place a developed image (JPEG, PNG, TIFF, WebP, HEIC) as a component.",
            )
        ai, has_credentials = _is_ai(data, kind)
        label = _label(spec)
        extent: Extent | None
        if spec.mask is not None:
            mask_img = _load_mask(spec.mask)
            _check_mask_geometry(spec.mask, mask_img, edited)
            extent = extent_mod.extent_from_mask(mask_img, measured=measured)
        elif measured is not None:
            extent = (
                replace(measured, note=SHARED_COMPONENT_NOTE) if len(unmasked) > 1 else measured
            )
        elif unmeasured_note is not None:
            extent = Extent(area_fraction=None, method=ExtentMethod.MEASURED, note=unmeasured_note)
        else:
            extent = None
        link = f"component-{index}"
        action = Action(
            "c2pa.placed",
            digital_source_type=(
                DigitalSourceType.COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA.value
                if ai
                else DigitalSourceType.COMPOSITE.value
            ),
            description=f"Placed {label}" + (" (generated by AI)" if ai else ""),
            extent=extent,
            ingredients=(link,),
        )
        ingredient = _ingredient_source(spec.path, Relationship.COMPONENT_OF.value, data, kind)
        parts.append(
            PlacedPart(
                ingredient=replace(
                    ingredient,
                    label=link,
                    thumbnail=_thumbnail(data, kind, request.max_pixels),
                ),
                action=action,
                ai=ai,
                has_credentials=has_credentials,
            )
        )
    return parts


def _ingredient_source(
    path: Path, relationship: str, data: bytes, kind: media.MediaType
) -> _c2pa.IngredientSource:
    from provenance import _c2pa

    return _c2pa.IngredientSource(
        title=path.name, relationship=relationship, mime=kind.mime, data=data
    )


def ai_input_ingredients(request: SignRequest) -> list[_c2pa.IngredientSource]:
    """``inputTo`` ingredients for the reference images given to the AI tool (thumbnails only)."""
    sources = []
    for index, path in enumerate(request.ai_inputs, start=1):
        data, kind = _read(path, request.max_bytes)
        ingredient = _ingredient_source(path, Relationship.INPUT_TO.value, data, kind)
        sources.append(
            replace(
                ingredient,
                label=f"input-{index}",
                thumbnail=_thumbnail(data, kind, request.max_pixels),
            )
        )
    return sources


def link_ai_inputs(
    actions: tuple[Action, ...], inputs: list[_c2pa.IngredientSource]
) -> tuple[Action, ...]:
    """The first AI action (else the first edit) names the AI inputs as its ingredients."""
    if not inputs:
        return actions
    labels = tuple(i.label for i in inputs if i.label)
    candidates = [i for i, a in enumerate(actions) if a.ai] or [
        i for i, a in enumerate(actions) if a.action not in ("c2pa.created", "c2pa.opened")
    ]
    if not candidates:
        raise InputError(
            "--ai-input names reference images given to an AI tool, but no AI edit is declared.",
            hint="Add --ai-edit TEXT --ai-tool NAME (or --generated) for the edit that used them.",
        )
    target = candidates[0]
    linked = replace(actions[target], ingredients=(*actions[target].ingredients, *labels))
    return (*actions[:target], linked, *actions[target + 1 :])


def add_hybrid_parts(
    request: SignRequest,
    parent_img: Image.Image | None,
    working: Image.Image,
    actions: tuple[Action, ...],
    ingredients: list[_c2pa.IngredientSource],
    notes: list[str],
) -> tuple[Action, ...]:
    """Add the components and AI inputs of ``request`` to a signing in progress.

    Appends their ingredients to ``ingredients`` and a sentence each to ``notes``;
    returns the actions with the ``c2pa.placed`` ones added and the AI inputs linked.
    """
    from provenance import extent as extent_mod
    from provenance.sign.orchestrator import MEASURE_SIDE, UNMEASURED_NOTE
    from provenance.wording import percent

    measured: Extent | None = None
    unmeasured: str | None = None
    if request.components and parent_img is not None:
        try:
            measured = extent_mod.measure_extent(parent_img, working, max_side=MEASURE_SIDE)
        except extent_mod.GeometryMismatch:
            unmeasured = UNMEASURED_NOTE
    parts = placed_parts(request, working, measured, unmeasured)
    for part in parts:
        ingredients.append(part.ingredient)
        area = part.action.extent.area_fraction if part.action.extent is not None else None
        how = (
            "generated by AI according to its own credentials"
            if part.ai
            else ("its credentials were kept" if part.has_credentials else "it has no credentials")
        )
        size = f", {percent(area)} of the picture" if area is not None else ""
        notes.append(f"Placed {part.ingredient.title} as a component ({how}{size}).")
    inputs = ai_input_ingredients(request)
    ingredients.extend(inputs)
    if inputs:
        notes.append(
            f"Recorded {len(inputs)} reference image(s) given to the AI tool (thumbnails only)."
        )
    return link_ai_inputs((*actions, *(p.action for p in parts)), inputs)
