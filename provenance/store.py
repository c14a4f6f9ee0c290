"""The manifest store as values: the JSON a c2pa Reader produces, parsed (no c2pa import).

:func:`parse_store` turns the reader's JSON into :class:`StoreData`, so raw c2pa
dictionaries stop at the boundary module and everything after works on values.
Writing is :mod:`provenance.sign.manifest`; shared labels are :mod:`provenance.labels`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provenance.labels import EXIF_LABEL, EXTENT_PARAMETER, METADATA_LABEL, TRAINING_LABEL
from provenance.models import (
    Action,
    CaptureFacts,
    Change,
    ChangeKind,
    DigitalSourceType,
    Extent,
    ExtentMethod,
    GeoLocation,
    Identity,
    IdentityAccount,
    Region,
)
from provenance.sanitize import clean_text


@dataclass(frozen=True, slots=True)
class SignatureData:
    """What the claim signature says about its signer (attacker-controlled text, cleaned)."""

    issuer: str | None = None
    common_name: str | None = None
    time: str | None = None
    algorithm: str | None = None
    serial: str | None = None


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One validation status as c2pa reported it."""

    code: str
    kind: str
    url: str | None = None
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class IngredientData:
    """An ingredient as listed in a manifest."""

    title: str | None
    relationship: str
    manifest_label: str | None
    thumbnail_id: str | None
    statuses: tuple[StatusEntry, ...] = ()
    format: str | None = None
    #: A digital source type recorded on the ingredient itself (some writers do).
    digital_source_type: str | None = None
    #: AI model data types of the ingredient (``c2pa.types.model...``).
    model_types: tuple[str, ...] = ()
    #: Its assertion label (``c2pa.ingredient.v3__1``): what actions point at.
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ManifestData:
    """One manifest of a store, reduced to what a report needs."""

    label: str
    title: str | None
    generator: str | None
    signature: SignatureData
    actions: tuple[Action, ...]
    capture: CaptureFacts | None
    training: str | None
    ingredients: tuple[IngredientData, ...]
    thumbnail_id: str | None
    assertion_labels: tuple[str, ...] = ()
    redacted: tuple[str, ...] = ()
    #: The tool named by a legacy ``com.adobe.generative-ai`` assertion ("Adobe Firefly 1.0.0").
    legacy_generative_ai: str | None = None
    #: CAWG identity assertions, as written (validation results are added by verify).
    identities: tuple[Identity, ...] = ()
    #: ``allActionsIncluded`` of the (first) actions assertion: the signer says the
    #: actions list is complete (True), not complete (False), or said nothing (None).
    all_actions_included: bool | None = None


@dataclass(frozen=True, slots=True)
class StoreData:
    """A whole manifest store: the active manifest, all manifests, and validation results."""

    active_label: str | None
    manifests: Mapping[str, ManifestData]
    state: str | None
    statuses: tuple[StatusEntry, ...]
    ingredient_statuses: tuple[StatusEntry, ...] = ()
    thumbnails: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def active(self) -> ManifestData | None:
        """The active manifest, if the store names one that exists."""
        if self.active_label is None:
            return None
        return self.manifests.get(self.active_label)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value:  # NaN
        return None
    return float(value)


def _fraction(value: Any) -> float | None:
    num = _num(value)
    if num is None:
        return None
    return max(0.0, min(1.0, num))


def roi_to_region(roi: Mapping[str, Any]) -> Region | None:
    """A spatial rectangle region of interest in percent or pixel-free units → Region."""
    shape = _as_dict(roi.get("shape"))
    if roi.get("type") not in (None, "spatial") or shape.get("type") != "rectangle":
        return None
    if shape.get("unit", "percent") != "percent":
        return None
    origin = _as_dict(shape.get("origin"))
    values = [
        _num(origin.get("x")),
        _num(origin.get("y")),
        _num(shape.get("width")),
        _num(shape.get("height")),
    ]
    if any(v is None for v in values):
        return None
    x, y, w, h = (max(0.0, min(100.0, float(v or 0.0))) / 100.0 for v in values)
    return Region(round(x, 4), round(y, 4), round(min(w, 1 - x), 4), round(min(h, 1 - y), 4))


#: Most region-maps read from one action's ``changes`` (hostile input is bounded).
_MAX_CHANGES = 256
_KIND_VALUES = {kind.value: kind for kind in ChangeKind}
_STRENGTH_LABELS = frozenset({"subtle", "moderate", "strong"})


def _kind_changes(
    params: Mapping[str, Any], rectangles: Mapping[ChangeKind, list[Region]]
) -> tuple[Change, ...]:
    """``parameters[...]["changes"]`` (our per-kind numbers) with their rectangles."""
    out: list[Change] = []
    seen: set[ChangeKind] = set()
    for raw in _as_list(params.get("changes"))[:3]:
        item = _as_dict(raw)
        raw_kind = item.get("kind")
        kind = _KIND_VALUES.get(raw_kind) if isinstance(raw_kind, str) else None
        area = _fraction(item.get("area_fraction"))
        if kind is None or kind in seen or area is None:
            continue
        seen.add(kind)
        label = item.get("strength_label")
        direction = item.get("direction")
        out.append(
            Change(
                kind=kind,
                area_fraction=area,
                strength=_fraction(item.get("strength")),
                strength_label=label if label in _STRENGTH_LABELS else None,
                regions=tuple(rectangles.get(kind, ())),
                direction=direction if direction in ("smoothed", "sharpened") else None,
            )
        )
    return tuple(out)


def _box_list(value: Any) -> tuple[Region, ...]:
    """``[[x, y, width, height], ...]`` in percent -> Regions (bounded, clamped)."""
    out: list[Region] = []
    for raw in _as_list(value)[:64]:
        numbers = [_num(v) for v in _as_list(raw)[:4]]
        if len(numbers) != 4 or any(n is None for n in numbers):
            continue
        x, y, w, h = (max(0.0, min(100.0, float(n or 0.0))) / 100.0 for n in numbers)
        out.append(
            Region(round(x, 4), round(y, 4), round(min(w, 1 - x), 4), round(min(h, 1 - y), 4))
        )
    return tuple(out)


def _extent_from_entry(entry: Mapping[str, Any]) -> Extent | None:
    params = _as_dict(_as_dict(entry.get("parameters")).get(EXTENT_PARAMETER))
    regions: list[Region] = []
    by_kind: dict[ChangeKind, list[Region]] = {}
    for change in _as_list(entry.get("changes"))[:_MAX_CHANGES]:
        change_map = _as_dict(change)
        identifier = change_map.get("identifier")
        kind = None
        if isinstance(identifier, str):
            kind = _KIND_VALUES.get(identifier.partition("-")[0])
        for roi in _as_list(change_map.get("region"))[:64]:
            region = roi_to_region(_as_dict(roi))
            if region is None:
                continue
            if kind is not None:
                by_kind.setdefault(kind, []).append(region)
            else:
                regions.append(region)
    kinds = _kind_changes(params, by_kind) if params else ()
    if kinds and "regions" in params:
        regions = list(_box_list(params.get("regions")))
    if not params and not regions:
        return None
    method_raw = params.get("method")
    method = ExtentMethod.DECLARED if method_raw == "declared" else ExtentMethod.MEASURED
    if not params:
        # Regions from another tool, without our numbers: declared by that tool.
        method = ExtentMethod.DECLARED
    return Extent(
        area_fraction=_fraction(params.get("area_fraction")),
        method=method,
        regions=tuple(regions),
        magnitude=_fraction(params.get("magnitude")),
        measured_area_fraction=_fraction(params.get("measured_area_fraction")),
        note=clean_text(params.get("note"), max_length=200),
        changes=kinds,
    )


def _software_agent(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_text(value, max_length=120)
    agent = _as_dict(value)
    name = clean_text(agent.get("name"), max_length=100)
    if not name:
        return None
    version = clean_text(agent.get("version"), max_length=40)
    return f"{name}/{version}" if version else name


#: Adobe's vendor parameters on an action: a source type and the tool's details
#: (read by the Verify site's selectors for Firefly and third-party models).
ADOBE_SOURCE_TYPE_PARAMETER = "com.adobe.digitalSourceType"
ADOBE_DETAILS_PARAMETER = "com.adobe.details"
LEGACY_GENAI_LABEL = "com.adobe.generative-ai"
IDENTITY_LABEL = "cawg.identity"


def parse_action(entry: Mapping[str, Any]) -> Action | None:
    """One raw action entry → Action (None when it has no action name).

    Without a ``digitalSourceType`` of its own, Adobe's vendor parameter
    ``com.adobe.digitalSourceType`` stands in for it (and ``com.adobe.details`` for the
    software agent), as the Verify site's selectors read them; the action records
    that its source type came from there.
    """
    name = clean_text(entry.get("action"), max_length=100)
    if not name:
        return None
    params = _as_dict(entry.get("parameters"))
    source_type = clean_text(entry.get("digitalSourceType"), max_length=200)
    source_from = None
    agent = _software_agent(entry.get("softwareAgent"))
    if not source_type:
        vendor = clean_text(params.get(ADOBE_SOURCE_TYPE_PARAMETER), max_length=200)
        if vendor:
            source_type, source_from = vendor, "adobe_parameter"
            agent = agent or clean_text(params.get(ADOBE_DETAILS_PARAMETER), max_length=120)
    return Action(
        action=name,
        digital_source_type=source_type,
        source_type_from=source_from,
        software_agent=agent,
        description=clean_text(entry.get("description"), max_length=500),
        extent=_extent_from_entry(entry),
        when=clean_text(entry.get("when"), max_length=60),
        ingredients=_linked_ingredients(params),
    )


def _linked_ingredients(params: Mapping[str, Any]) -> tuple[str, ...]:
    """Assertion labels of the ingredients an action links (``self#jumbf=c2pa.assertions/LABEL``)."""
    labels: list[str] = []
    for link in _as_list(params.get("ingredients"))[:32]:
        url = _as_dict(link).get("url")
        if isinstance(url, str) and "c2pa.assertions/" in url:
            label = clean_text(url.rsplit("c2pa.assertions/", 1)[1], max_length=100)
            if label:
                labels.append(label)
    return tuple(labels)


def _parse_gps(value: Any) -> float | None:
    text = clean_text(value, max_length=40)
    if not text:
        return None
    hemisphere = text[-1].upper()
    body = text[:-1] if hemisphere in "NSEW" else text
    try:
        if "," in body:
            deg, minutes = body.split(",", 1)
            result = float(deg) + float(minutes) / 60
        else:
            result = float(body)
    except ValueError:
        return None
    return -result if hemisphere in "SW" else result


def _capture_from_metadata(data: Mapping[str, Any], source: str | None) -> CaptureFacts:
    location = None
    lat, lon = _parse_gps(data.get("exif:GPSLatitude")), _parse_gps(data.get("exif:GPSLongitude"))
    if lat is not None and lon is not None:
        location = GeoLocation(lat, lon)
    return CaptureFacts(
        source=source,
        make=clean_text(data.get("tiff:Make"), max_length=120),
        model=clean_text(data.get("tiff:Model"), max_length=120),
        lens=clean_text(data.get("exifEX:LensModel") or data.get("exif:LensModel"), max_length=120),
        taken_at=clean_text(data.get("exif:DateTimeOriginal"), max_length=60),
        location=location,
    )


def _statuses(results: Mapping[str, Any]) -> tuple[StatusEntry, ...]:
    out: list[StatusEntry] = []
    for kind in ("failure", "informational", "success"):
        for item in _as_list(results.get(kind))[:500]:
            item = _as_dict(item)
            code = clean_text(item.get("code"), max_length=120)
            if code:
                out.append(
                    StatusEntry(
                        code=code,
                        kind=kind,
                        url=clean_text(item.get("url"), max_length=300),
                        explanation=clean_text(item.get("explanation"), max_length=300),
                    )
                )
    return tuple(out)


def _legacy_statuses(items: Any) -> tuple[StatusEntry, ...]:
    out = []
    for item in _as_list(items)[:500]:
        item = _as_dict(item)
        code = clean_text(item.get("code"), max_length=120)
        if code:
            kind = (
                "success"
                if code.endswith((".match", ".validated", ".trusted", ".insideValidity"))
                else "failure"
            )
            out.append(StatusEntry(code, kind, clean_text(item.get("url"), max_length=300)))
    return tuple(out)


def _parse_ingredient(raw: Mapping[str, Any]) -> IngredientData:
    results = _as_dict(raw.get("validation_results"))
    statuses = _statuses(_as_dict(results.get("activeManifest"))) if results else ()
    if not statuses:
        statuses = _legacy_statuses(raw.get("validation_status"))
    return IngredientData(
        title=clean_text(raw.get("title"), max_length=200),
        relationship=clean_text(raw.get("relationship"), max_length=40) or "componentOf",
        manifest_label=raw.get("active_manifest")
        if isinstance(raw.get("active_manifest"), str)
        else None,
        thumbnail_id=_as_dict(raw.get("thumbnail")).get("identifier")
        if isinstance(_as_dict(raw.get("thumbnail")).get("identifier"), str)
        else None,
        statuses=statuses,
        format=clean_text(raw.get("format"), max_length=60),
        label=clean_text(raw.get("label"), max_length=100),
        digital_source_type=clean_text(raw.get("digitalSourceType"), max_length=200),
        model_types=tuple(
            t
            for d in _as_list(raw.get("data_types"))[:20]
            if (t := clean_text(_as_dict(d).get("type"), max_length=100))
            and t.startswith("c2pa.types.model")
        ),
    )


def _account(raw: Mapping[str, Any]) -> IdentityAccount:
    provider = _as_dict(raw.get("provider"))
    return IdentityAccount(
        type=clean_text(raw.get("type"), max_length=60),
        name=clean_text(raw.get("name"), max_length=120),
        username=clean_text(raw.get("username"), max_length=120),
        uri=clean_text(raw.get("uri"), max_length=300),
        provider=clean_text(provider.get("name"), max_length=120)
        or clean_text(provider.get("id"), max_length=200),
        verified_at=clean_text(raw.get("verifiedAt"), max_length=60),
    )


def parse_identity(data: Mapping[str, Any]) -> Identity | None:
    """A ``cawg.identity`` assertion as the reader decodes it (CAWG identity 1.1, 8 and 9).

    X.509 (``cawg.x509.cose``): the reader gives the identity certificate's subject in
    ``signature_info``.  Identity claims aggregation: a W3C verifiable credential with
    an ``issuer`` (a DID) and ``verifiedIdentities`` (accounts and credentials).
    """
    sig_type = _as_dict(data.get("signer_payload")).get("sig_type") or _as_dict(
        data.get("c2paAsset")
    ).get("sig_type")
    if sig_type == "cawg.x509.cose" or "signature_info" in data:
        info = _as_dict(data.get("signature_info"))
        return Identity(
            kind="x509",
            name=clean_text(info.get("common_name"), max_length=200),
            organization=clean_text(info.get("issuer"), max_length=200),
            issuer=clean_text(info.get("issuer"), max_length=200),
        )
    if sig_type == "cawg.identity_claims_aggregation" or "verifiedIdentities" in data:
        accounts = tuple(
            _account(_as_dict(v)) for v in _as_list(data.get("verifiedIdentities"))[:32]
        )
        issuer = data.get("issuer")
        if isinstance(issuer, dict):
            issuer = issuer.get("id") or issuer.get("name")
        name = next((a.name for a in accounts if a.name), None) or next(
            (a.username for a in accounts if a.username), None
        )
        return Identity(
            kind="ica",
            name=name,
            issuer=clean_text(issuer, max_length=300),
            accounts=accounts,
        )
    if sig_type:
        return Identity(kind=clean_text(sig_type, max_length=60) or "unknown")
    return None


def parse_manifest(label: str, raw: Mapping[str, Any]) -> ManifestData:
    """One manifest of the Reader's JSON → ManifestData."""
    actions: list[Action] = []
    metadata: Mapping[str, Any] | None = None
    exif: Mapping[str, Any] | None = None
    training: str | None = None
    labels: list[str] = []
    legacy_genai: str | None = None
    identities: list[Identity] = []
    all_actions_included: bool | None = None
    for assertion in _as_list(raw.get("assertions"))[:1000]:
        assertion = _as_dict(assertion)
        alabel = assertion.get("label")
        if not isinstance(alabel, str):
            continue
        labels.append(alabel)
        data = _as_dict(assertion.get("data"))
        base = alabel.split("__", 1)[0]
        if base in ("c2pa.actions", "c2pa.actions.v2"):
            complete = data.get("allActionsIncluded")
            if isinstance(complete, bool) and all_actions_included is None:
                all_actions_included = complete
            for entry in _as_list(data.get("actions"))[:200]:
                action = parse_action(_as_dict(entry))
                if action is not None:
                    actions.append(action)
        elif base == LEGACY_GENAI_LABEL and legacy_genai is None:
            parts = [clean_text(data.get(k), max_length=80) for k in ("description", "version")]
            legacy_genai = " ".join(p for p in parts if p) or "generative AI"
        elif base == IDENTITY_LABEL and len(identities) < 16:
            identity = parse_identity(data)
            if identity is not None:
                identities.append(identity)
        elif base == METADATA_LABEL and metadata is None:
            metadata = data
        elif base == EXIF_LABEL and exif is None:
            exif = data
        elif base in (TRAINING_LABEL, "c2pa.training-mining") and training is None:
            uses = {
                _as_dict(v).get("use")
                for v in _as_dict(data.get("entries")).values()
                if isinstance(_as_dict(v).get("use"), str)
            }
            if uses:
                # The strictest choice across uses is what a person should be told.
                for choice in ("notAllowed", "constrained", "allowed"):
                    if choice in uses:
                        training = choice
                        break
    source: str | None = None
    for action in actions:
        if action.action == "c2pa.created" and action.digital_source_type:
            parsed = DigitalSourceType.parse(action.digital_source_type)
            source = parsed.value if parsed else action.digital_source_type
            break
    capture = None
    body = metadata if metadata is not None else exif
    if body is not None or source is not None:
        capture = _capture_from_metadata(body or {}, source)
    sig = _as_dict(raw.get("signature_info"))
    generator = None
    info = _as_list(raw.get("claim_generator_info"))
    if info:
        first = _as_dict(info[0])
        name = clean_text(first.get("name"), max_length=100)
        version = clean_text(first.get("version"), max_length=40)
        generator = f"{name} {version}" if name and version else name
    elif raw.get("claim_generator"):
        generator = clean_text(raw.get("claim_generator"), max_length=100)
    thumb = _as_dict(raw.get("thumbnail")).get("identifier")
    redactions = tuple(r for r in _as_list(raw.get("redactions")) if isinstance(r, str))
    return ManifestData(
        label=label,
        title=clean_text(raw.get("title"), max_length=200),
        generator=generator,
        signature=SignatureData(
            issuer=clean_text(sig.get("issuer"), max_length=200),
            common_name=clean_text(sig.get("common_name"), max_length=200),
            time=clean_text(sig.get("time"), max_length=60),
            algorithm=clean_text(sig.get("alg"), max_length=20),
            serial=clean_text(sig.get("cert_serial_number"), max_length=80),
        ),
        actions=tuple(actions),
        capture=capture,
        training=training,
        ingredients=tuple(
            _parse_ingredient(_as_dict(i)) for i in _as_list(raw.get("ingredients"))[:100]
        ),
        thumbnail_id=thumb if isinstance(thumb, str) else None,
        assertion_labels=tuple(labels),
        redacted=redactions,
        legacy_generative_ai=legacy_genai,
        identities=tuple(identities),
        all_actions_included=all_actions_included,
    )


def parse_store(raw: Mapping[str, Any], *, state: str | None) -> StoreData:
    """The Reader's whole JSON (``Reader.json()``) → StoreData."""
    manifests = {
        label: parse_manifest(label, _as_dict(m))
        for label, m in list(_as_dict(raw.get("manifests")).items())[:200]
        if isinstance(label, str)
    }
    results = _as_dict(raw.get("validation_results"))
    statuses = _statuses(_as_dict(results.get("activeManifest")))
    if not statuses:
        statuses = _legacy_statuses(raw.get("validation_status"))
    deltas: list[StatusEntry] = []
    for delta in _as_list(results.get("ingredientDeltas"))[:100]:
        deltas.extend(_statuses(_as_dict(_as_dict(delta).get("validationDeltas"))))
    active = raw.get("active_manifest")
    return StoreData(
        active_label=active if isinstance(active, str) else None,
        manifests=manifests,
        state=state,
        statuses=statuses,
        ingredient_statuses=tuple(deltas),
    )
