"""Put the trust decision into a report: the verdict, the source that vouches, revocation.

Split from :mod:`provenance.verify.verifier` so the trust rules
(:mod:`provenance.verify.trustcheck`) and the revocation check
(:mod:`provenance.verify.revocation`) stay out of the plain reading path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from provenance.identity.trust_chain import signer_chain
from provenance.identity.trust_lists import TrustMaterial
from provenance.models import HistoryEntry, Problem, Report, TrustedBy, Verdict
from provenance.store import ManifestData, StoreData
from provenance.verify.statuscodes import explain
from provenance.verify.trustcheck import decide, history_source

if TYPE_CHECKING:
    from provenance._c2pa import ReadResult
    from provenance.verify.verifier import VerifyOptions

#: The list sources' names as a report shows them (the snapshot date follows).
SOURCE_NAMES = {
    TrustedBy.C2PA: "C2PA Trust List",
    TrustedBy.ITL: "Interim Trust List (legacy)",
    TrustedBy.USER: "your own trust anchors",
}

_EXTRA_EXPLANATIONS = {
    "provenance.trust.ekuMismatch": (
        "The signing certificate chains to the C2PA Trust List but lacks the C2PA "
        "claim-signing purpose (EKU) that the list requires, so the list does not vouch for it."
    ),
}


def apply_trust(
    report: Report,
    result: ReadResult,
    material: TrustMaterial,
    options: VerifyOptions,
    reread: Callable[[str, str], Verdict],
) -> Report:
    """The report with the source rules applied and the vouching source named."""
    store = result.store
    if store is None or report.signer is None or not report.verdict.is_intact:
        return report
    chain_list = (
        signer_chain(result.store_bytes, store.active_label) if result.store_bytes else None
    )
    chain = tuple(chain_list) if chain_list else None
    outcome = decide(report.verdict, store, material, chain, reread)
    signer = report.signer
    problems = report.problems
    verdict = outcome.verdict
    if outcome.trusted_by is not None:
        source_id = "itl" if outcome.trusted_by is TrustedBy.ITL else outcome.trusted_by.value
        signer = replace(
            signer,
            trusted=verdict is Verdict.TRUSTED,
            trusted_by=outcome.trusted_by,
            trust_list=SOURCE_NAMES[outcome.trusted_by],
            trust_list_date=material.dates.get(source_id),
        )
        if verdict is Verdict.TRUSTED:
            # An allowed-list match turns c2pa's "untrusted" into trusted: drop that finding.
            problems = tuple(p for p in problems if p.code != "signingCredential.untrusted")
    else:
        signer = replace(signer, trusted=verdict is Verdict.TRUSTED)
    if outcome.note_code:
        problems = (
            *problems,
            Problem(outcome.note_code, _EXTRA_EXPLANATIONS[outcome.note_code], "informational"),
        )
    if options.check_revocation and verdict.is_intact:
        from provenance.verify.revocation import check_revocation, revoked_after

        status, note = check_revocation(chain, timeout=options.revocation_timeout)
        signer = replace(signer, revocation=status, revocation_note=note)
        if (
            status == "revoked"
            and signer.timestamp_trusted
            and revoked_after(note, signer.signed_at)
        ):
            signer = replace(
                signer,
                revocation_note=f"{note} That is after the trusted signing time, so the "
                "signature stays valid.",
            )
        elif status == "revoked":
            verdict = Verdict.INVALID
            signer = replace(signer, trusted=False)
            problems = (
                Problem("signingCredential.revoked", explain("signingCredential.revoked")),
                *problems,
            )
    history = _history_sources(report.history, store.active, store, material)
    return replace(report, verdict=verdict, signer=signer, problems=problems, history=history)


def _history_sources(
    entries: tuple[HistoryEntry, ...],
    manifest: ManifestData | None,
    store: StoreData,
    material: TrustMaterial,
    depth: int = 0,
) -> tuple[HistoryEntry, ...]:
    """Name the source for each trusted ingredient signer (from c2pa's own words about it).

    History entries are built in the order of their manifest's ingredients
    (provenance.verify.verifier._history), so the two are walked side by side.
    """
    if manifest is None or depth > 16:
        return entries
    out = []
    for index, entry in enumerate(entries):
        ingredient = manifest.ingredients[index] if index < len(manifest.ingredients) else None
        label = ingredient.manifest_label if ingredient is not None else None
        child = store.manifests.get(label or "")
        signer = entry.signer
        if signer is not None and entry.verdict is Verdict.TRUSTED and label:
            marker = f"/c2pa/{label}"
            status = next(
                (
                    s
                    for s in store.ingredient_statuses
                    if s.code == "signingCredential.trusted"
                    and s.kind == "success"
                    and s.url
                    and marker in s.url
                ),
                None,
            )
            source = history_source(status, material)
            if source is not None:
                signer = replace(signer, trusted_by=source, trust_list=SOURCE_NAMES[source])
        children = _history_sources(entry.history, child, store, material, depth + 1)
        out.append(replace(entry, history=children, signer=signer))
    return tuple(out)
