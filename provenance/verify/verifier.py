"""File → Report.  Never raises for bad credentials: every file gets a verdict.

Verification is fail-closed (DESIGN.md, "Verdicts"): only a credential that is
intact *and* chains to an anchor the reader chose is ``trusted``; anything c2pa
does not call Valid or Trusted is ``invalid``; a file we cannot parse is
``unreadable``; absence of credentials is ``no_credentials`` and proves nothing.
Reading is offline unless the caller allows remote manifests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from provenance import media
from provenance.errors import InputError
from provenance.models import (
    Action,
    AISummary,
    CaptureFacts,
    ChangeKind,
    DigitalSourceType,
    HistoryEntry,
    KindAreas,
    Problem,
    ProblemScope,
    Report,
    SignerSummary,
    Verdict,
    source_type_is_ai,
)
from provenance.sanitize import safe_filename_display
from provenance.store import IngredientData, ManifestData, StatusEntry, StoreData
from provenance.summary import with_summary
from provenance.verify.statements import build_statements
from provenance.verify.statuscodes import explain

#: Codes that mean "nobody you chose vouches for this signer" — not a break.
UNTRUSTED_CODES = frozenset({"signingCredential.untrusted"})
#: Failure codes that always mean "broken", whatever overall state c2pa reports
#: (defence in depth: fail closed if a c2pa version ever calls such a store Valid).
BREAKING_CODES = frozenset(
    {
        "claimSignature.mismatch",
        "claimSignature.missing",
        "claimSignature.outsideValidity",
        "signingCredential.revoked",
        "signingCredential.expired",
        "signingCredential.invalid",
        "assertion.dataHash.mismatch",
        "assertion.boxesHash.mismatch",
        "assertion.bmffHash.mismatch",
        "assertion.collectionHash.mismatch",
        "assertion.hashedURI.mismatch",
        "assertion.missing",
        "assertion.multipleHardBindings",
        "claim.hardBindings.missing",
        "claim.missing",
        "manifest.multipleParents",
        "ingredient.hashedURI.mismatch",
    }
)
MAX_HISTORY_DEPTH = 16


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """How to verify: anchors, network, sidecar, limits."""

    trust_files: tuple[Path, ...] = ()
    home: Path | None = None
    use_trust_store: bool = True
    allow_remote: bool = False
    sidecar: Path | None = None
    #: Without ``sidecar``: when the file itself carries no credentials, look for
    #: ``FILE.c2pa`` beside it (:func:`provenance._c2pa.find_sidecar`) and say so.
    find_sidecar: bool = True
    max_bytes: int = media.DEFAULT_MAX_BYTES
    want_thumbnails: bool = True
    remeasure: bool = True
    #: Seconds allowed for fetching a remote manifest (only with ``allow_remote``).
    remote_timeout: float = 10.0
    #: Shipped trust lists to use ("c2pa", "c2pa-tsa", "itl"); None = all of them.
    #: An empty set verifies against the user's own anchors only.
    trust_lists: frozenset[str] | None = None
    #: Ask the signer's OCSP responder whether the certificate was revoked (network).
    check_revocation: bool = False
    #: Seconds allowed for the OCSP request (only with ``check_revocation``).
    revocation_timeout: float = 5.0


def _unreadable(name: str, code: str, explanation: str, *, fmt: str | None = None) -> Report:
    problem = Problem(code=code, explanation=explanation)
    report = Report(file=name, verdict=Verdict.UNREADABLE, problems=(problem,), format=fmt)
    return with_summary(replace(report, statements=build_statements(report)))


def verify_file(path: Path, options: VerifyOptions | None = None) -> Report:
    """Verify one file on disk and build its report (reads the file once)."""
    options = options or VerifyOptions()
    name = safe_filename_display(str(path))
    try:
        size = path.stat().st_size
        if not path.is_file():
            return _unreadable(
                name, "provenance.notAFile", "This is a folder or device, not a file."
            )
    except OSError as exc:
        return _unreadable(name, "provenance.io", f"The file cannot be opened ({exc.strerror}).")
    if size > options.max_bytes:
        return _too_large(name, options)
    sidecar = _read_sidecar(options)
    try:
        with open(path, "rb") as stream:
            return _verify_opened(stream, name, path.name, options, sidecar, path=path)
    except OSError as exc:
        return _unreadable(name, "provenance.io", f"The file cannot be read ({exc.strerror}).")


def verify_bytes(data: bytes, name: str, options: VerifyOptions | None = None) -> Report:
    """:func:`verify_file` of bytes in memory (``name``: its file name), the same checks.

    Only no ``.c2pa`` sidecar is looked for "beside" it (``options.sidecar`` is
    used).  The fuzzer (fuzz/atheris_fuzz.py) verifies here: no temp file per case.
    """
    import io

    options = options or VerifyOptions()
    shown = safe_filename_display(name)
    if len(data) > options.max_bytes:
        return _too_large(shown, options)
    sidecar = _read_sidecar(options)
    return _verify_opened(io.BytesIO(data), shown, Path(name).name, options, sidecar, path=None)


def _too_large(name: str, options: VerifyOptions) -> Report:
    limit = f"{options.max_bytes:,}"
    why = f"The file is larger than the limit of {limit} bytes, so it was not read."
    return _unreadable(name, "provenance.tooLarge", why)


def _read_sidecar(options: VerifyOptions) -> bytes | None:
    if options.sidecar is None:
        return None
    try:
        return options.sidecar.read_bytes()
    except OSError as exc:
        message = f"Cannot read the sidecar manifest {options.sidecar}: {exc.strerror}."
        raise InputError(message) from exc


def _verify_opened(
    stream: IO[bytes],
    name: str,
    base_name: str,
    options: VerifyOptions,
    sidecar: bytes | None,
    *,
    path: Path | None,
) -> Report:
    """Sniff, verify and annotate one open file (``path`` None: in memory, no sidecar search)."""
    head = stream.read(64)
    stream.seek(0)
    kind = media.sniff(head, name=base_name)
    if kind is None:
        why = "This is not an image type we can read (the file content is not a known format)."
        return _unreadable(name, "provenance.unsupportedType", why)
    report = _verify_stream(stream, kind, name, options, sidecar)
    if report.verdict is Verdict.INVALID and options.want_thumbnails:
        report = replace(report, current_thumbnail=current_picture(stream, kind, options))
    if sidecar is not None and options.sidecar is not None:
        shown = safe_filename_display(options.sidecar.name)
        statement = f"The credentials were read from the sidecar {shown}."
        return replace(report, sidecar=shown, statements=(statement, *report.statements))
    searching = options.sidecar is None and options.find_sidecar and path is not None
    if report.verdict is Verdict.NO_CREDENTIALS and searching and path is not None:
        found = _verify_with_found_sidecar(path, stream, kind, name, options)
        if found is not None:
            return found
    if report.verdict is Verdict.NO_CREDENTIALS and kind.sidecar_only:
        shown = safe_filename_display(base_name + ".c2pa")
        statement = (
            f"A camera RAW keeps its Content Credentials in a sidecar beside it ({shown}); "
            "none was found."
        )
        return replace(report, statements=(*report.statements, statement))
    return report


#: Longer side of the "as it is now" picture of a file whose credentials are broken.
CURRENT_PICTURE_SIDE = 640


def current_picture(
    stream: IO[bytes], kind: media.MediaType, options: VerifyOptions
) -> bytes | None:
    """A small JPEG of the file's current pixels, or None when they cannot be decoded.

    Decoded with the same byte and pixel limits as everything else (a stranger's
    file can be a decompression bomb); a failure only means no picture.
    """
    try:
        stream.seek(0)
        data = stream.read(options.max_bytes + 1)
        if len(data) > options.max_bytes:
            return None
        img = media.decode_reduced(data, CURRENT_PICTURE_SIDE, kind=kind)
        return media.make_thumbnail(img, side=CURRENT_PICTURE_SIDE)
    except (InputError, OSError, ValueError):
        return None


def _verify_with_found_sidecar(
    path: Path, stream: IO[bytes], kind: media.MediaType, name: str, options: VerifyOptions
) -> Report | None:
    """Verify against the ``.c2pa`` sidecar beside ``path``; None when there is none.

    Only for a file with no credentials of its own: embedded credentials are what
    the file itself says, and a sidecar beside it never overrides them.
    """
    from provenance._c2pa import find_sidecar

    found = find_sidecar(path)
    if found is None:
        return None
    try:
        if found.stat().st_size > options.max_bytes:
            return None
        data = found.read_bytes()
    except OSError:
        return None
    stream.seek(0)
    report = _verify_stream(stream, kind, name, options, data)
    shown = safe_filename_display(found.name)
    report = replace(report, sidecar=shown, sidecar_found=True)
    statement = f"The credentials were read from {shown}, found beside the file."
    return replace(report, statements=(statement, *report.statements))


def _verify_stream(
    stream: object, kind: media.MediaType, name: str, options: VerifyOptions, sidecar: bytes | None
) -> Report:
    from provenance import _c2pa
    from provenance.identity.trust import anchors_pem
    from provenance.identity.trust_lists import DEFAULT_ENABLED, trust_material

    own = anchors_pem(options.home if options.use_trust_store else None, options.trust_files)
    material = trust_material(
        options.home,
        DEFAULT_ENABLED if options.trust_lists is None else options.trust_lists,
        own,
    )
    # c2pa always reads offline: a remote manifest is fetched by us, bounded
    # (provenance.verify.remote), and handed to the reader like a sidecar.
    read_options = _c2pa.ReadOptions(
        anchors_pem=material.system_pem or None,
        user_anchors_pem=material.user_pem or None,
        trust_config=None if material.empty else material.trust_config,
        allow_remote=False,
        want_thumbnails=options.want_thumbnails,
        want_store_bytes=bool(material.allowed_hashes) or options.check_revocation,
    )
    result = _c2pa.read_credentials(stream, kind.c2pa_mime, read_options, sidecar=sidecar)  # type: ignore[arg-type]
    outcome = result.outcome
    fetch_problem: str | None = None
    if (
        outcome is _c2pa.ReadOutcome.REMOTE_ONLY
        and options.allow_remote
        and result.remote_url
        and sidecar is None
    ):
        from provenance.verify.remote import RemoteFetchError, fetch_manifest

        try:
            fetched = fetch_manifest(result.remote_url, timeout=options.remote_timeout)
        except RemoteFetchError as exc:
            fetch_problem = exc.message
        else:
            stream.seek(0)  # type: ignore[attr-defined]
            remote_url = result.remote_url
            result = _c2pa.read_credentials(stream, kind.c2pa_mime, read_options, sidecar=fetched)  # type: ignore[arg-type]
            if result.outcome is _c2pa.ReadOutcome.REMOTE_ONLY:
                fetch_problem = "The fetched remote manifest could not be used."
            elif result.outcome is _c2pa.ReadOutcome.NOT_FOUND:
                result = replace(result, outcome=_c2pa.ReadOutcome.MALFORMED)
            result = replace(result, remote_url=remote_url)
            outcome = result.outcome
    if outcome is _c2pa.ReadOutcome.UNSUPPORTED and kind.sidecar_only and sidecar is None:
        # A camera RAW's credentials can only be in a sidecar (c2pa reads it as plain
        # bytes and has no format to look inside): without one, it has none.
        outcome = _c2pa.ReadOutcome.NOT_FOUND
    if outcome is _c2pa.ReadOutcome.NOT_FOUND:
        report = Report(file=name, verdict=Verdict.NO_CREDENTIALS, format=kind.mime)
    elif outcome is _c2pa.ReadOutcome.UNSUPPORTED:
        return _unreadable(
            name,
            "provenance.unsupportedType",
            "This file type cannot carry Content Credentials that we can read.",
            fmt=kind.mime,
        )
    elif outcome is _c2pa.ReadOutcome.REMOTE_ONLY:
        report = Report(
            file=name,
            verdict=Verdict.INVALID,
            format=kind.mime,
            remote_url=result.remote_url,
            problems=(
                Problem(
                    code="provenance.remoteManifest.notFetched",
                    explanation=(
                        "The credentials are not in the file but at a remote address, which was not "
                        "contacted; use --allow-remote to fetch them."
                    ),
                )
                if fetch_problem is None
                else Problem(
                    code="provenance.remoteManifest.fetchFailed",
                    explanation=f"The remote credentials could not be fetched: {fetch_problem}",
                ),
            ),
        )
    elif outcome is _c2pa.ReadOutcome.MALFORMED or result.store is None:
        report = Report(
            file=name,
            verdict=Verdict.INVALID,
            format=kind.mime,
            problems=(
                Problem(
                    code="provenance.manifest.malformed",
                    explanation=(
                        "The file carries Content Credentials that are damaged or malformed "
                        f"and cannot be checked ({result.message})."
                    ),
                ),
            ),
        )
    else:
        report = build_report(name, kind.mime, result.store, result.thumbnails)
        from provenance.verify.trustreport import apply_trust

        report = apply_trust(
            report, result, material, options, lambda s, u: _reread(stream, kind, s, u, sidecar)
        )
        if options.remeasure and report.verdict.is_intact:
            report = _with_observed_extent(report, result.store, result.thumbnails)
    return with_summary(replace(report, statements=build_statements(report)))


def _reread(
    stream: object, kind: media.MediaType, system_pem: str, user_pem: str, sidecar: bytes | None
) -> Verdict:
    """The verdict of the same stream read again with only these anchors (rare cases)."""
    from provenance import _c2pa
    from provenance.identity.trust_lists import BASE_EKUS

    stream.seek(0)  # type: ignore[attr-defined]
    again = _c2pa.read_credentials(
        stream,  # type: ignore[arg-type]
        kind.mime,
        _c2pa.ReadOptions(
            anchors_pem=system_pem or None,
            user_anchors_pem=user_pem or None,
            trust_config="\n".join(BASE_EKUS) + "\n",
            want_thumbnails=False,
        ),
        sidecar=sidecar,
    )
    return verdict_for(again.store) if again.store is not None else Verdict.INVALID


def verdict_for(store: StoreData) -> Verdict:
    """The verdict c2pa's validation state and status codes support, failing closed."""
    if store.active is None:
        return Verdict.INVALID
    if any(s.kind == "failure" and s.code in BREAKING_CODES for s in store.statuses):
        return Verdict.INVALID
    if store.state == "Trusted":
        return Verdict.TRUSTED
    if store.state == "Valid":
        return Verdict.VALID_UNTRUSTED
    return Verdict.INVALID


#: Leads the explanation of a problem found in an ingredient's credentials.
HISTORY_PREFIX = "Earlier in the history: "


def _problems(
    active: Iterable[StatusEntry], history: Iterable[StatusEntry] = ()
) -> tuple[Problem, ...]:
    """Problems of this file's manifest, then those only its ingredients have.

    An ingredient's status (its time-stamp, its signer) says nothing about this
    file's own signature, so it is scoped and worded as history; a code already
    reported for this file is not repeated for its history.
    """
    seen: set[tuple[str, str]] = set()
    out: list[Problem] = []
    for scope, entries in ((ProblemScope.ACTIVE, active), (ProblemScope.HISTORY, history)):
        for entry in entries:
            if entry.kind == "success":
                continue
            key = (entry.code, entry.kind)
            if key in seen:
                continue
            seen.add(key)
            explanation = explain(entry.code)
            if scope is ProblemScope.HISTORY:
                # "The time-stamp ..." -> "Earlier in the history: the time-stamp ..."
                if explanation[1:2].islower():
                    explanation = explanation[0].lower() + explanation[1:]
                explanation = HISTORY_PREFIX + explanation
            out.append(Problem(entry.code, explanation, severity=entry.kind, scope=scope))
    # Failures first, then the rest; this file's before its history within each.
    return tuple(sorted(out, key=lambda p: p.severity != "failure"))


def _signer(
    manifest: ManifestData, verdict: Verdict, statuses: Iterable[StatusEntry]
) -> SignerSummary:
    codes = {s.code for s in statuses}
    timestamp_trusted: bool | None = None
    if manifest.signature.time:
        if "timeStamp.trusted" in codes:
            timestamp_trusted = True
        elif codes & {
            "timeStamp.untrusted",
            "timeStamp.mismatch",
            "timeStamp.malformed",
            "timeStamp.outsideValidity",
        }:
            timestamp_trusted = False
    return SignerSummary(
        name=manifest.signature.common_name,
        organization=manifest.signature.issuer,
        issuer=manifest.signature.issuer,
        signed_at=manifest.signature.time,
        trusted=verdict is Verdict.TRUSTED,
        algorithm=manifest.signature.algorithm,
        timestamp_trusted=timestamp_trusted,
    )


def _ingredient_verdict(ingredient: IngredientData, store: StoreData) -> Verdict:
    """An ingredient's verdict from what was recorded when it was used *and* what holds now.

    The recorded results (C2PA 2.x, 15.7 "ingredient validation") were made with
    the signer's trust settings; the reader's ``ingredientDeltas`` say what differs
    under the reader's anchors.  A break in either is a break; "trusted" needs the
    reader's own anchors to vouch for the ingredient's signer now.
    """
    label = ingredient.manifest_label
    if label is None or label not in store.manifests:
        return Verdict.NO_CREDENTIALS
    marker = f"/c2pa/{label}"
    current = [s for s in store.ingredient_statuses if s.url and marker in s.url]
    recorded = {s.code for s in ingredient.statuses if s.kind == "failure"}
    now_failing = {s.code for s in current if s.kind == "failure"}
    if (recorded | now_failing) - UNTRUSTED_CODES:
        return Verdict.INVALID
    if any(s.code == "signingCredential.trusted" and s.kind == "success" for s in current):
        return Verdict.TRUSTED
    return Verdict.VALID_UNTRUSTED


def _history(
    manifest: ManifestData,
    store: StoreData,
    thumbnails: Mapping[str, bytes],
    depth: int,
    seen: frozenset[str],
) -> tuple[HistoryEntry, ...]:
    if depth >= MAX_HISTORY_DEPTH:
        return ()
    entries = []
    for ingredient in manifest.ingredients:
        child = store.manifests.get(ingredient.manifest_label or "")
        verdict = _ingredient_verdict(ingredient, store)
        placing = _placing_action(manifest, ingredient)
        if child is not None and child.label not in seen:
            child_history = _history(child, store, thumbnails, depth + 1, seen | {child.label})
            entries.append(
                HistoryEntry(
                    title=ingredient.title,
                    relationship=ingredient.relationship,
                    verdict=verdict,
                    capture=child.capture,
                    actions=child.actions,
                    history=child_history,
                    signer=_signer(child, verdict, ingredient.statuses),
                    thumbnail=thumbnails.get(ingredient.thumbnail_id or "")
                    or thumbnails.get(child.thumbnail_id or ""),
                    label=ingredient.label,
                    placed=placing.extent if placing is not None else None,
                    component_label=_component_label(placing),
                )
            )
        else:
            entries.append(
                HistoryEntry(
                    title=ingredient.title,
                    relationship=ingredient.relationship,
                    verdict=verdict,
                    thumbnail=thumbnails.get(ingredient.thumbnail_id or ""),
                    label=ingredient.label,
                    placed=placing.extent if placing is not None else None,
                    component_label=_component_label(placing),
                )
            )
    return tuple(entries)


def _placing_action(manifest: ManifestData, ingredient: IngredientData) -> Action | None:
    """The ``c2pa.placed`` action of ``manifest`` that links ``ingredient`` (C2PA 2.x, 18.15)."""
    if ingredient.relationship != "componentOf" or not ingredient.label:
        return None
    for action in manifest.actions:
        if action.action == "c2pa.placed" and ingredient.label in action.ingredients:
            return action
    return None


def _component_label(action: Action | None) -> str | None:
    """'sky' from our own 'Placed sky (generated by AI)'; another writer's description as is."""
    if action is None or not action.description:
        return None
    text = action.description.removeprefix("Placed ").removesuffix(" (generated by AI)")
    return text[:60] or None


def _inherited_capture(manifest: ManifestData, store: StoreData) -> CaptureFacts | None:
    """This manifest's capture facts, or for an edit, those of its parent chain."""
    current: ManifestData | None = manifest
    seen: set[str] = set()
    while current is not None and current.label not in seen:
        if current.capture is not None:
            return current.capture
        seen.add(current.label)
        parent = next((i for i in current.ingredients if i.relationship == "parentOf"), None)
        current = store.manifests.get(parent.manifest_label or "") if parent else None
    return None


#: Actions that say where the content started (C2PA 2.x, 18.10 "Actions").
_ORIGIN_ACTIONS = frozenset({"c2pa.created", "c2pa.opened"})


def ai_summary(
    actions: tuple[Action, ...],
    capture: CaptureFacts | None,
    manifest: ManifestData | None = None,
    store: StoreData | None = None,
) -> AISummary:
    """What the active manifest discloses about AI, with the union of AI edit extents.

    When several AI edits carry extents, the union is estimated as the sum capped
    at 1 (an upper bound; regions may overlap) — except when all carry the same
    measured-as-a-whole extent, which is counted once.  Every marker that says AI
    (provenance.verify.signals) is listed in ``signals``: a legacy
    ``com.adobe.generative-ai`` assertion means generated; an AI component or AI input
    among the ingredients means AI-edited.
    """
    from provenance.verify.signals import action_signals, ingredient_signals, legacy_signal

    # Only trained-model media counts as "generated by AI"; algorithmicMedia (made by a
    # formula, IPTC) and digitalCreation are not AI.
    generated_types = {DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA.value}
    # "Opened" AI media (a model's output brought in as the start: Firefly with a
    # third-party model) is generated content as much as "created" is.
    generated = any(
        a.action in _ORIGIN_ACTIONS
        and (
            DigitalSourceType.parse(a.digital_source_type) or DigitalSourceType.DIGITAL_CAPTURE
        ).value
        in generated_types
        for a in actions
    ) or (capture is not None and capture.source in generated_types)
    signals = action_signals(actions)
    legacy = legacy_signal(manifest) if manifest is not None else []
    from_ingredients = (
        ingredient_signals(manifest, store) if manifest is not None and store is not None else []
    )
    signals.extend(legacy)
    signals.extend(from_ingredients)
    ai_edits = [a for a in actions if a.ai and a.action not in _ORIGIN_ACTIONS]
    tools = {a.software_agent for a in actions if a.ai and a.software_agent}
    if legacy and not generated and not ai_edits:
        generated = True
    tools.update(s.tool for s in legacy if s.tool)
    ingredient_edit = any(not s.where or "parentOf" not in s.where for s in from_ingredients)
    area: float | None
    if generated:
        area = 1.0
    elif not ai_edits:
        area = None if ingredient_edit else 0.0
    elif any(a.extent is None or a.extent.area_fraction is None for a in ai_edits):
        area = None
    else:
        distinct = {(a.extent.area_fraction, a.extent.regions) for a in ai_edits if a.extent}
        area = min(1.0, sum(fraction or 0.0 for fraction, _ in distinct))
    return AISummary(
        generated=generated,
        edited=bool(ai_edits) or (ingredient_edit and not generated),
        area_fraction=None if area is None else round(area, 4),
        tools=tuple(sorted(tools)),
        signals=tuple(signals),
        by_kind=_by_kind(ai_edits, generated),
    )


def _by_kind(ai_edits: list[Action], generated: bool) -> KindAreas | None:
    """Area per kind of the AI edits: summed over distinct extents, capped at 1.

    The signer gives edits of one step disjoint parts of the measurement (a masked
    edit what is inside its mask, the others what is outside), so the sum is the
    union; extents recorded without kinds leave the kinds unknown (None).
    """
    if generated:
        return KindAreas(content=1.0, detail=None, tone=None)
    if not ai_edits:
        return KindAreas(content=0.0, detail=0.0, tone=0.0)
    if any(a.extent is None or not a.extent.changes for a in ai_edits):
        return None
    distinct = {(a.extent.area_fraction, a.extent.changes) for a in ai_edits if a.extent}
    totals = {kind: 0.0 for kind in ChangeKind}
    for _, changes in distinct:
        for change in changes:
            totals[change.kind] += change.area_fraction
    return KindAreas(
        content=round(min(1.0, totals[ChangeKind.CONTENT]), 4),
        detail=round(min(1.0, totals[ChangeKind.DETAIL]), 4),
        tone=round(min(1.0, totals[ChangeKind.TONE]), 4),
    )


def build_report(name: str, mime: str, store: StoreData, thumbnails: Mapping[str, bytes]) -> Report:
    """Turn a parsed manifest store into a Report (pure; unit-testable without c2pa)."""
    verdict = verdict_for(store)
    active = store.active
    problems = _problems(store.statuses, store.ingredient_statuses)
    if active is None:
        return Report(
            file=name,
            verdict=Verdict.INVALID,
            format=mime,
            problems=problems or (Problem("claim.missing", explain("claim.missing")),),
        )
    from provenance.verify.signals import identities

    capture = _inherited_capture(active, store)
    ai = ai_summary(active.actions, active.capture, active, store)
    return Report(
        file=name,
        verdict=verdict,
        signer=_signer(active, verdict, store.statuses),
        capture=capture,
        ai=ai,
        actions=active.actions,
        history=_history(active, store, thumbnails, 0, frozenset({active.label})),
        problems=problems,
        title=active.title,
        format=mime,
        training=active.training,
        thumbnail=thumbnails.get(active.thumbnail_id or ""),
        identities=identities(active, store.statuses),
        all_actions_included=active.all_actions_included,
        redacted=_redacted_labels(active.redacted),
    )


def _redacted_labels(uris: Iterable[str]) -> tuple[str, ...]:
    """The assertion labels of redaction URIs (attacker text: cleaned, bounded)."""
    from provenance.sanitize import clean_text

    out = []
    for uri in list(uris)[:16]:
        label = clean_text(uri.rsplit("/", 1)[-1], max_length=80)
        if label and label not in out:
            out.append(label)
    return tuple(out)


def _with_observed_extent(
    report: Report, store: StoreData, thumbnails: Mapping[str, bytes]
) -> Report:
    """Re-measure AI change against the parent's embedded thumbnail (DESIGN.md step 7)."""
    from provenance.verify import placed  # cheap: no numpy, no Pillow

    if len(thumbnails) < 2:  # nothing to compare (no parent thumbnail): skip numpy and Pillow
        return placed.not_checked(report, placed.NO_PARENT_THUMBNAIL)
    from provenance.verify.observe import observe_extent

    return observe_extent(report, store, thumbnails)


def any_ai(actions: Iterable[Action]) -> bool:
    """True when any action declares AI involvement."""
    return any(source_type_is_ai(a.digital_source_type) for a in actions)
