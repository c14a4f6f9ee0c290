"""Which trust source vouches for a signer, and the verdict rules that go with it.

c2pa-rs does the chain validation; this module decides what its result means for the
report (C2PA 2.x, 14.4 "Trust lists" and 15.7 "Validate the credential"):

- ``signingCredential.trusted`` "found in [system_anchors]": the chain ends at an anchor
  of the C2PA Trust List (the TSA list sits beside it, for time-stamps).  The official
  list vouches only for certificates carrying the C2PA claim-signing EKU
  (1.3.6.1.4.1.62558.2.1, C2PA 2.x 14.5.1); one without it is not vouched for by the list.
- "found in [user_anchors]": the Interim Trust List's roots or the user's own anchors;
  when both are in use, a second read with the user's anchors alone tells them apart.
- Intact and untrusted, but the signing certificate itself is on the ITL's allowed list
  of end-entity certificates (``allowed.pem``, matched by SHA-256 as c2pa-rs and the Verify
  site do): trusted by the ITL.  c2pa-python 0.38.1 ignores ``trust.allowed_list``
  (measured, docs/trust.md), so the match is made here on the signer's own certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from provenance.identity.trust_chain import certificate_hash
from provenance.identity.trust_lists import C2PA_CLAIM_SIGNING, TrustMaterial
from provenance.models import TrustedBy, Verdict
from provenance.store import StatusEntry, StoreData


@dataclass(frozen=True, slots=True)
class TrustOutcome:
    """The verdict after the source rules, and who vouches."""

    verdict: Verdict
    trusted_by: TrustedBy | None = None
    #: A finding to report when a source's rule changed c2pa's answer.
    note_code: str | None = None


def _trusted_status(statuses: tuple[StatusEntry, ...]) -> StatusEntry | None:
    return next(
        (s for s in statuses if s.code == "signingCredential.trusted" and s.kind == "success"),
        None,
    )


def slot_of(entry: StatusEntry | None) -> str | None:
    """ "system", "user" or "end_entity": where c2pa found the signer (from its explanation)."""
    text = (entry.explanation or "") if entry else ""
    if "system_anchors" in text:
        return "system"
    if "user_anchors" in text:
        return "user"
    if "end_entity" in text or "allowed" in text:
        return "end_entity"
    return None


def has_claim_signing_eku(leaf_der: bytes) -> bool | None:
    """Whether the leaf carries the C2PA claim-signing EKU (None when it cannot be read)."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(leaf_der)
        ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    except ValueError:
        return None
    return any(oid.dotted_string == C2PA_CLAIM_SIGNING for oid in ekus)


def history_source(entry: StatusEntry | None, material: TrustMaterial) -> TrustedBy | None:
    """The source named for an ingredient's signer (from c2pa's words alone)."""
    slot = slot_of(entry)
    if slot == "system":
        return TrustedBy.C2PA
    if slot == "user":
        if not material.own_pem:
            return TrustedBy.ITL
        return TrustedBy.USER if "itl" not in material.enabled else None
    return None


def decide(
    verdict: Verdict,
    store: StoreData,
    material: TrustMaterial,
    chain: tuple[bytes, ...] | None,
    reread: Callable[[str, str], Verdict],
) -> TrustOutcome:
    """Apply the source rules to c2pa's verdict.

    ``reread(system_pem, user_pem)`` verifies the same file again with only those anchors
    (used only in the rare ambiguous cases; each costs one more read).
    """
    if verdict is Verdict.TRUSTED:
        slot = slot_of(_trusted_status(store.statuses))
        if slot == "system":
            fits = has_claim_signing_eku(chain[0]) if chain else None
            if fits is not False:
                # Checked, or unreadable here: then c2pa-rs's own EKU rule stands.
                return TrustOutcome(verdict, TrustedBy.C2PA)
            # Not the claim-signing EKU: the official list does not vouch.  Another
            # enabled source may (c2pa checks its system anchors first).
            if material.user_pem and reread("", material.user_pem) is Verdict.TRUSTED:
                return _user_or_itl(material, reread)
            return TrustOutcome(Verdict.VALID_UNTRUSTED, None, "provenance.trust.ekuMismatch")
        if slot == "user":
            return _user_or_itl(material, reread)
        # c2pa trusted it but did not say where: name a source only when one is possible.
        sources: list[str] = [s for s in ("c2pa", "itl") if s in material.enabled]
        if material.own_pem:
            sources.append("user")
        if len(sources) == 1:
            return TrustOutcome(verdict, TrustedBy(sources[0]))
        return TrustOutcome(verdict, None)
    if (
        verdict is Verdict.VALID_UNTRUSTED
        and material.allowed_hashes
        and chain
        and certificate_hash(chain[0]) in material.allowed_hashes
        and _only_untrusted(store)
    ):
        return TrustOutcome(Verdict.TRUSTED, TrustedBy.ITL)
    return TrustOutcome(verdict, None)


def _only_untrusted(store: StoreData) -> bool:
    """The signer is merely unknown: no other failure about the signing credential."""
    return not any(
        s.kind == "failure"
        and s.code.startswith("signingCredential.")
        and s.code != "signingCredential.untrusted"
        for s in store.statuses
    )


def _user_or_itl(material: TrustMaterial, reread: Callable[[str, str], Verdict]) -> TrustOutcome:
    if not material.own_pem:
        return TrustOutcome(Verdict.TRUSTED, TrustedBy.ITL)
    if "itl" not in material.enabled:
        return TrustOutcome(Verdict.TRUSTED, TrustedBy.USER)
    if reread("", material.own_pem) is Verdict.TRUSTED:
        return TrustOutcome(Verdict.TRUSTED, TrustedBy.USER)
    return TrustOutcome(Verdict.TRUSTED, TrustedBy.ITL)
