"""Value types shared by the whole library.

Everything here is a frozen, slotted dataclass or a ``str`` enum: reports and
their parts are values that renderers, policies and tests can compare and
serialise without touching c2pa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

IPTC_DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/"


class Verdict(StrEnum):
    """The five outcomes of verifying one file (DESIGN.md, "Verdicts and exit codes")."""

    TRUSTED = "trusted"
    VALID_UNTRUSTED = "valid_untrusted"
    INVALID = "invalid"
    NO_CREDENTIALS = "no_credentials"
    UNREADABLE = "unreadable"

    @property
    def exit_code(self) -> int:
        """The process exit code scripts rely on for this verdict."""
        return _EXIT_CODES[self]

    @property
    def severity(self) -> int:
        """Rank for "worst of several files": invalid > unreadable > no_credentials > ..."""
        return _SEVERITY[self]

    @property
    def is_intact(self) -> bool:
        """True when the credential verified cryptographically (trusted or not)."""
        return self in (Verdict.TRUSTED, Verdict.VALID_UNTRUSTED)


_EXIT_CODES = {
    Verdict.TRUSTED: 0,
    Verdict.VALID_UNTRUSTED: 10,
    Verdict.INVALID: 11,
    Verdict.NO_CREDENTIALS: 12,
    Verdict.UNREADABLE: 13,
}
_SEVERITY = {
    Verdict.TRUSTED: 0,
    Verdict.VALID_UNTRUSTED: 1,
    Verdict.NO_CREDENTIALS: 2,
    Verdict.UNREADABLE: 3,
    Verdict.INVALID: 4,
}


def worst_verdict(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    """The most severe verdict of several files; ``trusted`` for none."""
    return max(verdicts, key=lambda v: v.severity, default=Verdict.TRUSTED)


class DigitalSourceType(StrEnum):
    """IPTC digital source types used by C2PA actions (C2PA 2.x, 18.5 "Digital source type")."""

    DIGITAL_CAPTURE = "digitalCapture"
    COMPUTATIONAL_CAPTURE = "computationalCapture"
    NEGATIVE_FILM = "negativeFilm"
    POSITIVE_FILM = "positiveFilm"
    PRINT = "print"
    MINOR_HUMAN_EDITS = "minorHumanEdits"
    HUMAN_EDITS = "humanEdits"
    COMPOSITE_CAPTURE = "compositeCapture"
    ALGORITHMICALLY_ENHANCED = "algorithmicallyEnhanced"
    DIGITAL_CREATION = "digitalCreation"
    DATA_DRIVEN_MEDIA = "dataDrivenMedia"
    TRAINED_ALGORITHMIC_MEDIA = "trainedAlgorithmicMedia"
    ALGORITHMIC_MEDIA = "algorithmicMedia"
    SCREEN_CAPTURE = "screenCapture"
    VIRTUAL_RECORDING = "virtualRecording"
    COMPOSITE = "composite"
    COMPOSITE_SYNTHETIC = "compositeSynthetic"
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = "compositeWithTrainedAlgorithmicMedia"

    @property
    def uri(self) -> str:
        """The full IPTC URI written into manifests."""
        return IPTC_DIGITAL_SOURCE_TYPE + self.value

    @property
    def is_ai(self) -> bool:
        """Whether this source type means a trained model made or changed content."""
        return self in _AI_SOURCE_TYPES

    @classmethod
    def parse(cls, value: str | None) -> DigitalSourceType | None:
        """Accept a bare term or a full IPTC URI; unknown values give None."""
        if not value:
            return None
        term = value.rsplit("/", 1)[-1]
        try:
            return cls(term)
        except ValueError:
            return None


_AI_SOURCE_TYPES = frozenset(
    {
        DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA,
        DigitalSourceType.COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
        DigitalSourceType.ALGORITHMICALLY_ENHANCED,
        DigitalSourceType.COMPOSITE_SYNTHETIC,
    }
)


def source_type_is_ai(value: str | None) -> bool:
    """True when a digitalSourceType string (term or URI) names AI involvement."""
    parsed = DigitalSourceType.parse(value)
    return parsed is not None and parsed.is_ai


class ExtentMethod(StrEnum):
    """How an extent was obtained: from pixels, or from a mask the signer supplied."""

    MEASURED = "measured"
    DECLARED = "declared"


class ChangeKind(StrEnum):
    """What an edit changed (DESIGN.md "The AI-extent method").

    ``content``: new or replaced picture matter (local structure differs);
    ``detail``: texture or sharpness, structure kept; ``tone``: light, colour or
    tone, structure and detail kept.
    """

    CONTENT = "content"
    DETAIL = "detail"
    TONE = "tone"


class Relationship(StrEnum):
    """C2PA ingredient relationships (C2PA 2.x, 15.7 "Ingredient")."""

    PARENT_OF = "parentOf"
    COMPONENT_OF = "componentOf"
    INPUT_TO = "inputTo"


class TrainingPreference(StrEnum):
    """CAWG training-and-data-mining choices."""

    ALLOWED = "allowed"
    NOT_ALLOWED = "notAllowed"
    CONSTRAINED = "constrained"


@dataclass(frozen=True, slots=True)
class GeoLocation:
    """A capture position; only kept when the photographer opts in (``--keep-location``)."""

    latitude: float
    longitude: float
    altitude: float | None = None


@dataclass(frozen=True, slots=True)
class CaptureFacts:
    """How the pixels came to be: source type plus camera facts from EXIF."""

    source: str | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    taken_at: str | None = None
    location: GeoLocation | None = None

    @property
    def has_camera(self) -> bool:
        """True when any camera fact is known."""
        return any((self.make, self.model, self.lens, self.taken_at))


@dataclass(frozen=True, slots=True)
class Region:
    """A box in relative coordinates: fractions (0..1) of width and height, origin top-left."""

    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        """Area as a fraction of the image."""
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class Change:
    """One kind of change of one edit: its area, strength (0..1, with a word) and regions.

    ``regions`` cover the kind's mask with rectangles (a change that surrounds the
    subject is many rectangles around it, not one box over everything).
    """

    kind: ChangeKind
    area_fraction: float
    strength: float | None = None
    strength_label: str | None = None
    regions: tuple[Region, ...] = ()
    #: For detail: "smoothed" (texture weaker) or "sharpened" (stronger: sharpening, grain).
    direction: str | None = None


@dataclass(frozen=True, slots=True)
class KindAreas:
    """Area fractions (0..1) per kind of change; None where not known."""

    content: float | None = None
    detail: float | None = None
    tone: float | None = None

    def get(self, kind: ChangeKind) -> float | None:
        """The area of one kind."""
        return {ChangeKind.CONTENT: self.content, ChangeKind.DETAIL: self.detail}.get(
            kind, self.tone
        )


@dataclass(frozen=True, slots=True)
class Extent:
    """How much of the picture one edit touched.

    ``area_fraction`` is None when it could not be known (never a made-up number);
    it is the area whose content or detail changed (tone is reported beside it in
    ``changes``, never folded in).  ``measured_area_fraction`` keeps the pixel
    measurement next to a declared mask.  ``changes`` has one entry per kind
    found (content, detail, tone).
    """

    area_fraction: float | None
    method: ExtentMethod
    regions: tuple[Region, ...] = ()
    magnitude: float | None = None
    measured_area_fraction: float | None = None
    note: str | None = None
    changes: tuple[Change, ...] = ()

    def change(self, kind: ChangeKind) -> Change | None:
        """The change of one kind, or None."""
        for change in self.changes:
            if change.kind is kind:
                return change
        return None


@dataclass(frozen=True, slots=True)
class Action:
    """One entry of a ``c2pa.actions.v2`` assertion, in our terms."""

    action: str
    digital_source_type: str | None = None
    software_agent: str | None = None
    description: str | None = None
    extent: Extent | None = None
    when: str | None = None
    #: Where ``digital_source_type`` came from when it is not the action's own field:
    #: ``"adobe_parameter"`` (the vendor ``com.adobe.digitalSourceType`` parameter).
    source_type_from: str | None = None
    #: The ingredients this action used (C2PA 2.x, 18.15 ``parameters.ingredients``): when
    #: writing, the labels we gave them; when reading, their assertion labels
    #: (``c2pa.ingredient.v3__1``).  A ``c2pa.placed`` action names the component it placed.
    ingredients: tuple[str, ...] = ()

    @property
    def ai(self) -> bool:
        """True when the action declares a trained-AI (or AI-enhanced) source type."""
        return source_type_is_ai(self.digital_source_type)


@dataclass(frozen=True, slots=True)
class SignerSummary:
    """Who signed, as readers will show it, and how far that can be believed."""

    name: str | None
    organization: str | None
    issuer: str | None
    signed_at: str | None
    trusted: bool
    algorithm: str | None = None
    timestamp_trusted: bool | None = None
    #: Which trust source vouches ("c2pa", "itl", "user"), None when none does.
    trusted_by: TrustedBy | None = None
    #: That source's name and snapshot date ("C2PA Trust List", "2026-08-14").
    trust_list: str | None = None
    trust_list_date: str | None = None
    #: Revocation (OCSP): "not_checked", "good", "revoked", "unknown".
    revocation: str = "not_checked"
    revocation_note: str | None = None


class TrustedBy(StrEnum):
    """The trust source that vouches for a signer (C2PA 2.x, 14.4 "Trust lists")."""

    #: The official C2PA Trust List.
    C2PA = "c2pa"
    #: The legacy Interim Trust List of the Verify site (frozen 2026-01-01).
    ITL = "itl"
    #: The user's own anchors (``trust add``, ``--trust``).
    USER = "user"


class AISignalKind(StrEnum):
    """Which marker in a manifest says AI was involved (the markers the Verify site counts)."""

    #: An IPTC/C2PA ``digitalSourceType`` on an action.
    DIGITAL_SOURCE_TYPE = "digital_source_type"
    #: Adobe's vendor parameter ``com.adobe.digitalSourceType`` on an action.
    ADOBE_PARAMETER = "adobe_parameter"
    #: The legacy ``com.adobe.generative-ai`` assertion (Firefly, 2023).
    LEGACY_ASSERTION = "legacy_assertion"
    #: An ingredient (component, AI input or parent) whose own credentials declare AI.
    INGREDIENT = "ingredient"


@dataclass(frozen=True, slots=True)
class AISignal:
    """One AI marker: its kind, the source type it names, where it sits, the tool."""

    kind: AISignalKind
    digital_source_type: str | None = None
    where: str | None = None
    tool: str | None = None


@dataclass(frozen=True, slots=True)
class IdentityAccount:
    """One verified account or credential of a CAWG identity (``verifiedIdentities``)."""

    type: str | None
    name: str | None = None
    username: str | None = None
    uri: str | None = None
    provider: str | None = None
    verified_at: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """A CAWG identity assertion (``cawg.identity``), shown apart from the claim signer.

    ``kind`` is ``"x509"`` (``cawg.x509.cose``: an X.509 certificate signs the identity)
    or ``"ica"`` (``cawg.identity_claims_aggregation``: an identity provider's verifiable
    credential).  ``signature_valid`` and ``trusted`` are what the validator found
    (None when it said nothing).
    """

    kind: str
    name: str | None = None
    organization: str | None = None
    issuer: str | None = None
    accounts: tuple[IdentityAccount, ...] = ()
    signature_valid: bool | None = None
    trusted: bool | None = None
    problems: tuple[str, ...] = ()


class ProblemScope(StrEnum):
    """Whose credentials a problem is about."""

    #: This file's own (active) manifest, or our own finding about the file.
    ACTIVE = "active"
    #: An ingredient's manifest: an earlier version or a component (C2PA 2.x,
    #: 15.11 "Validate the ingredients": reported as ingredient deltas).
    HISTORY = "history"


@dataclass(frozen=True, slots=True)
class Problem:
    """A validation status that is not a success, explained in plain words."""

    code: str
    explanation: str
    severity: str = "failure"
    scope: ProblemScope = ProblemScope.ACTIVE


class CheckResult(StrEnum):
    """The outcome of comparing a recorded area with what the pixels show."""

    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    #: The comparison could not be made; the check says why.
    COULD_NOT_CHECK = "could_not_check"


@dataclass(frozen=True, slots=True)
class PlacedCheck:
    """Declared vs observed for one placed component (verify time, thumbnail scale).

    ``declared_area_fraction`` is the area its ``c2pa.placed`` action recorded;
    ``observed_area_fraction`` the share of the picture that changed inside the
    recorded regions when the parent's thumbnail is compared with this file's;
    ``reason`` says why, when the check could not be made (plain words).
    """

    result: CheckResult
    declared_area_fraction: float | None = None
    observed_area_fraction: float | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """An ingredient: an earlier version or component, with its own history."""

    title: str | None
    relationship: str
    verdict: Verdict
    capture: CaptureFacts | None = None
    actions: tuple[Action, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    signer: SignerSummary | None = None
    thumbnail: bytes | None = field(default=None, repr=False)
    #: The ingredient's assertion label in the manifest that lists it (``c2pa.ingredient.v3__1``).
    label: str | None = None
    #: For a ``componentOf`` ingredient: the extent of the ``c2pa.placed`` action that placed it.
    placed: Extent | None = None
    #: For a component: a short name for what it is (``sky``), from the placing action.
    component_label: str | None = None
    #: For a component: its recorded area checked against the pixels (None: not attempted).
    placed_check: PlacedCheck | None = None


@dataclass(frozen=True, slots=True)
class AISummary:
    """The AI disclosure of the active manifest at a glance."""

    generated: bool = False
    edited: bool = False
    area_fraction: float | None = None
    tools: tuple[str, ...] = ()
    observed_area_fraction: float | None = None
    consistent: bool | None = None
    #: Change observed outside every declared region (verify-time re-measurement).
    undeclared_area_fraction: float | None = None
    undeclared_regions: tuple[Region, ...] = ()
    #: Every marker that says AI was involved, and where it came from.
    signals: tuple[AISignal, ...] = ()
    #: Area per kind of change of the AI actions (content / detail / tone).
    by_kind: KindAreas | None = None
    #: The verify-time re-measurement per kind, at thumbnail scale.
    observed_by_kind: KindAreas | None = None
    #: Why a kind could not be confirmed at thumbnail scale (e.g. detail too fine).
    observe_notes: tuple[str, ...] = ()


class ContentLabel(StrEnum):
    """What the picture is, in one of five words (the report's first line).

    Follows the C2PA User Experience Guidance ("content summary": captured with a
    camera, edited, AI-generated / edited with AI, no origin information).
    """

    CAMERA_CAPTURE = "camera_capture"
    CAMERA_CAPTURE_EDITED = "camera_capture_edited"
    AI_EDITED = "ai_edited"
    AI_GENERATED = "ai_generated"
    ORIGIN_NOT_RECORDED = "origin_not_recorded"


class Vouch(StrEnum):
    """Who vouches for the file: the second half of the first line."""

    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"  # intact, but the signer is not an identity the reader trusts
    BROKEN = "broken"
    NONE = "none"


class Tone(StrEnum):
    """How a banner should look: the worse of "what it is" and "who vouches"."""

    OK = "ok"
    NOTE = "note"
    WARN = "warn"
    BAD = "bad"

    @property
    def rank(self) -> int:
        """Order for "the worse of two": ok < note < warn < bad."""
        return _TONE_RANK[self]


_TONE_RANK = {Tone.OK: 0, Tone.NOTE: 1, Tone.WARN: 2, Tone.BAD: 3}


@dataclass(frozen=True, slots=True)
class Summary:
    """The report's first line: what the picture is, and who vouches for the file.

    Texts are plain, sanitised words (renderers still escape them).  ``tone`` is
    the worse of the two halves, so an AI-generated image signed by a trusted
    identity is never shown as a lone green tick.
    """

    content_label: ContentLabel
    content_text: str
    vouched_by: Vouch
    vouched_by_text: str
    tone: Tone
    #: One sentence about the *file* (not the picture): intact since signing or not.
    file_text: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """Everything verification learnt about one file; renderers turn it into text/JSON/HTML."""

    file: str
    verdict: Verdict
    signer: SignerSummary | None = None
    capture: CaptureFacts | None = None
    ai: AISummary = field(default_factory=AISummary)
    actions: tuple[Action, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    problems: tuple[Problem, ...] = ()
    statements: tuple[str, ...] = ()
    title: str | None = None
    format: str | None = None
    training: str | None = None
    remote_url: str | None = None
    thumbnail: bytes | None = field(default=None, repr=False)
    #: CAWG identity assertions of the active manifest (separate from the claim signer).
    identities: tuple[Identity, ...] = ()
    #: The signer's ``allActionsIncluded``: True = the actions listed are all that was
    #: done, False = there may be others, None = the manifest does not say.
    all_actions_included: bool | None = None
    #: Name of the detached ``.c2pa`` manifest store the credentials were read from.
    sidecar: str | None = None
    #: True when that sidecar was found beside the file (not named with --sidecar).
    sidecar_found: bool = False
    #: The first line (provenance.summary.build_summary); None until the verifier sets it.
    summary: Summary | None = None
    #: Labels of assertions this signature removed from earlier versions' credentials
    #: (the claim's ``redacted_assertions``, C2PA 2.2, 6.8), e.g. ``c2pa.metadata``.
    redacted: tuple[str, ...] = ()
    #: For broken credentials: a small JPEG of the file's *current* pixels (bounded
    #: decode), shown beside the signed thumbnail so nobody mistakes one for the other.
    current_thumbnail: bytes | None = field(default=None, repr=False)
