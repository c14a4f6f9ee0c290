"""Writing the manifest definition c2pa's Builder takes, from our values (no c2pa import).

:func:`build_definition` turns a :class:`ManifestPlan` into the definition.  Reading it
back is :mod:`provenance.store`; the labels both use are in :mod:`provenance.labels`.

Conventions (docs/manifest.md has the full list):

- Actions are ``c2pa.actions.v2`` (C2PA 2.x, 18.15).  The measured or declared
  extent of an edit is written twice: as ``changes`` regions of interest
  (rectangles in percent units, C2PA 2.x 18.15.4 / "Regions of interest") which
  any reader understands, and as numbers under ``parameters["org.provenance.extent"]``.
- The actions assertion says ``allActionsIncluded`` explicitly (C2PA 2.2, 18.14.3):
  true only when the photographer confirmed the list is complete.  It is a created
  assertion (labels.CREATED_ASSERTION_LABELS), attributed to the signer.
- ``claim_generator_info`` carries ``specVersion`` (labels.SPEC_VERSION, SemVer).
- Camera facts go in ``c2pa.metadata`` (current spec); location only when the plan
  carries one.  The deprecated ``stds.exif`` (C2PA 2.2, App. C.1) only with
  ``legacy_exif``: the Verify site reads camera details from it alone.
- The training preference is the CAWG ``cawg.training-mining`` assertion.
- Redactions (C2PA 2.2, 6.8 "Redaction of assertions"): the JUMBF URIs of ingredient
  assertions to remove go in the definition's ``redactions`` list; c2pa-rs removes
  them and records them in the claim's ``redacted_assertions`` (the record 6.8
  requires).  No ``c2pa.redacted`` action is written: 6.8 only recommends it, and
  15.10.3.2.2 rejects one whose URI cannot be resolved to an assertion, which a
  removed assertion never can (encypher-c2pa applies that rule; c2pa-rs does not).
  See docs/manifest.md "Location" for the forms tested against each validator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provenance import __version__
from provenance.labels import (
    ACTIONS_LABEL,
    EXIF_LABEL,
    EXTENT_PARAMETER,
    GENERATOR_NAME,
    METADATA_LABEL,
    REDACTED_ACTION,
    SPEC_VERSION,
    THUMBNAIL_ID,
    TRAINING_LABEL,
)
from provenance.models import (
    Action,
    CaptureFacts,
    ChangeKind,
    DigitalSourceType,
    Extent,
    Region,
    TrainingPreference,
)

_JSONLD_CONTEXT = {
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/2.32/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
}

_TRAINING_ENTRIES = (
    "cawg.ai_generative_training",
    "cawg.ai_inference",
    "cawg.ai_training",
    "cawg.data_mining",
)


@dataclass(frozen=True, slots=True)
class ManifestPlan:
    """Everything one signature will say about one image."""

    title: str
    actions: tuple[Action, ...]
    capture: CaptureFacts | None = None
    training: TrainingPreference | None = None
    thumbnail: bool = True
    thumbnail_format: str = "image/jpeg"
    #: JUMBF URIs of ingredient assertions to redact (see :func:`redaction_uri`).
    redactions: tuple[str, ...] = ()
    #: The photographer confirmed these are all the actions (``allActionsIncluded``).
    all_actions_included: bool = False
    #: Also write the deprecated ``stds.exif`` copy of the camera facts.
    legacy_exif: bool = False


# --------------------------------------------------------------------- writing


def _percent(value: float) -> float:
    return round(max(0.0, min(1.0, value)) * 100.0, 3)


def region_to_roi(region: Region) -> dict[str, Any]:
    """A region as a C2PA spatial region of interest (rectangle, percent units)."""
    return {
        "type": "spatial",
        "shape": {
            "type": "rectangle",
            "unit": "percent",
            "origin": {"x": _percent(region.x), "y": _percent(region.y)},
            "width": _percent(region.width),
            "height": _percent(region.height),
        },
    }


def extent_parameters(extent: Extent) -> dict[str, Any]:
    """The numbers of an extent, stored under ``parameters[EXTENT_PARAMETER]``.

    With per-kind changes: ``changes`` = ``[{kind, area_fraction, strength,
    strength_label}]`` and ``regions`` = the boxes around the content-or-detail
    change as ``[x, y, width, height]`` in percent (the ``changes`` regions of
    interest then carry the per-kind rectangles instead).
    """
    out: dict[str, Any] = {"method": extent.method.value, "area_fraction": extent.area_fraction}
    if extent.magnitude is not None:
        out["magnitude"] = round(extent.magnitude, 4)
    if extent.measured_area_fraction is not None:
        out["measured_area_fraction"] = extent.measured_area_fraction
    if extent.note:
        out["note"] = extent.note
    if extent.changes:
        out["changes"] = [
            {
                "kind": change.kind.value,
                "area_fraction": change.area_fraction,
                **({"strength": change.strength} if change.strength is not None else {}),
                **({"strength_label": change.strength_label} if change.strength_label else {}),
                **({"direction": change.direction} if change.direction else {}),
            }
            for change in extent.changes
        ]
        out["regions"] = [
            [_percent(r.x), _percent(r.y), _percent(r.width), _percent(r.height)]
            for r in extent.regions
        ]
    return out


#: The optional region-map ``role`` (C2PA 2.x, 18.2: c2pa.edited, c2pa.styled, ...) is
#: left out: c2pa-rs 0.91 refuses to decode a role written as its spec string ("invalid
#: type: string, expected enum Role"), so the kind goes in ``name``, ``identifier`` and
#: ``description`` instead.
_KIND_WORDS = {
    ChangeKind.CONTENT: "content changed (new or replaced picture matter)",
    ChangeKind.DETAIL: "detail changed (texture or sharpness; structure kept)",
    ChangeKind.TONE: "tone changed (light or colour; structure and detail kept)",
}


def extent_changes(extent: Extent) -> list[dict[str, Any]]:
    """The ``changes`` list of an action: one region-map per rectangle.

    The ranges inside one region combine into a single area (C2PA 2.x, 18.2
    "Regions of interest"), so separate rectangles are separate changes.  With
    per-kind changes each rectangle names its kind in ``name``, ``identifier``
    (``content-1``, ``detail-3``, ...) and ``description``; otherwise
    (a declared mask without a measurement) the boxes are written as before.
    """
    if not extent.changes:
        return [
            {
                "region": [region_to_roi(r)],
                "description": f"{extent.method.value} extent of this edit",
            }
            for r in extent.regions
        ]
    out: list[dict[str, Any]] = []
    for change in extent.changes:
        words = f"{extent.method.value}: {_KIND_WORDS[change.kind]}"
        for number, region in enumerate(change.regions, start=1):
            out.append(
                {
                    "region": [region_to_roi(region)],
                    "name": change.kind.value,
                    "identifier": f"{change.kind.value}-{number}",
                    "description": words,
                }
            )
    return out


def action_to_definition(action: Action) -> dict[str, Any]:
    """One Action as a ``c2pa.actions.v2`` entry."""
    entry: dict[str, Any] = {"action": action.action}
    source = DigitalSourceType.parse(action.digital_source_type)
    if source is not None:
        entry["digitalSourceType"] = source.uri
    elif action.digital_source_type:
        entry["digitalSourceType"] = action.digital_source_type
    if action.software_agent:
        name, _, version = action.software_agent.partition("/")
        agent: dict[str, Any] = {"name": name}
        if version:
            agent["version"] = version
        entry["softwareAgent"] = agent
    if action.description:
        entry["description"] = action.description
    if action.when:
        entry["when"] = action.when
    if action.extent is not None:
        changes = extent_changes(action.extent)
        if changes:
            entry["changes"] = changes
        entry["parameters"] = {EXTENT_PARAMETER: extent_parameters(action.extent)}
    if action.ingredients:
        # c2pa-rs pairs these with the ingredients of the same labels and writes hashed
        # links (``parameters.ingredients``, C2PA 2.x 18.15); the labels are not kept.
        entry.setdefault("parameters", {})["ingredientIds"] = list(action.ingredients)
    return entry


def _gps_string(value: float, positive: str, negative: str) -> str:
    # XMP GPSCoordinate form "DDD,MM.mmmmK" (XMP spec part 2, 1.2.7.4).
    hemisphere = positive if value >= 0 else negative
    value = abs(value)
    degrees = int(value)
    minutes = (value - degrees) * 60
    return f"{degrees},{minutes:.4f}{hemisphere}"


def capture_metadata(capture: CaptureFacts) -> dict[str, Any] | None:
    """Camera facts as a JSON-LD metadata body (shared by c2pa.metadata and stds.exif)."""
    data: dict[str, Any] = {}
    if capture.make:
        data["tiff:Make"] = capture.make
    if capture.model:
        data["tiff:Model"] = capture.model
    if capture.lens:
        data["exifEX:LensModel"] = capture.lens
    if capture.taken_at:
        data["exif:DateTimeOriginal"] = capture.taken_at
    if capture.location is not None:
        data["exif:GPSLatitude"] = _gps_string(capture.location.latitude, "N", "S")
        data["exif:GPSLongitude"] = _gps_string(capture.location.longitude, "E", "W")
        if capture.location.altitude is not None:
            data["exif:GPSAltitude"] = f"{capture.location.altitude}"
    if not data:
        return None
    return {"@context": dict(_JSONLD_CONTEXT), **data}


def training_assertion(preference: TrainingPreference) -> dict[str, Any]:
    """The CAWG training-and-data-mining assertion with one choice for every use."""
    return {"entries": {key: {"use": preference.value} for key in _TRAINING_ENTRIES}}


def redaction_uri(manifest_label: str, assertion_label: str) -> str:
    """The JUMBF URI of one assertion of an ingredient's manifest (C2PA 2.x, 6.8)."""
    return f"self#jumbf=/c2pa/{manifest_label}/c2pa.assertions/{assertion_label}"


def redaction_action(uri: str) -> dict[str, Any]:
    """A ``c2pa.redacted`` action naming a redacted assertion (C2PA 2.2, 18.14.4.7).

    Not written by :func:`build_definition` (see the module docstring): with the
    removal form of a redaction the URI cannot resolve, and C2PA 2.2, 15.10.3.2.2
    then makes the manifest invalid.  Kept for a future zero-filled-container form
    (6.8: the assertion box kept, its content a C2PA Redaction UUID box of zeros),
    which c2pa-rs 0.91 cannot write.  Location is personal data: ``c2pa.PII.present``.
    """
    return {
        "action": REDACTED_ACTION,
        "reason": "c2pa.PII.present",
        "description": "Removed location data of an earlier version",
        "parameters": {"redacted": uri},
    }


def build_definition(plan: ManifestPlan) -> dict[str, Any]:
    """The manifest definition for c2pa's Builder (pure; no signing, no I/O)."""
    entries = [action_to_definition(a) for a in plan.actions]
    # allActionsIncluded is always written, false unless confirmed: "absent" and
    # "false" mean the same to a reader, but the Conformance Program wants it said.
    actions_data = {"allActionsIncluded": plan.all_actions_included, "actions": entries}
    assertions: list[dict[str, Any]] = [{"label": ACTIONS_LABEL, "data": actions_data}]
    if plan.capture is not None:
        body = capture_metadata(plan.capture)
        if body is not None:
            assertions.append({"label": METADATA_LABEL, "data": body})
            if plan.legacy_exif:
                assertions.append({"label": EXIF_LABEL, "data": dict(body)})
    if plan.training is not None:
        assertions.append({"label": TRAINING_LABEL, "data": training_assertion(plan.training)})
    definition: dict[str, Any] = {
        "claim_generator_info": [
            {"name": GENERATOR_NAME, "version": __version__, "specVersion": SPEC_VERSION}
        ],
        "title": plan.title,
        "assertions": assertions,
    }
    if plan.redactions:
        definition["redactions"] = list(plan.redactions)
    if plan.thumbnail:
        definition["thumbnail"] = {"format": plan.thumbnail_format, "identifier": THUMBNAIL_ID}
    return definition
