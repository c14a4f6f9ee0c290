"""Plain words for who vouches, revocation, CAWG identities and AI signals (all renderers).

A renderer words values; these helpers keep the text, HTML and statements saying the
same thing.  Every string that comes from a manifest is cleaned before it is used.
"""

from __future__ import annotations

from provenance.models import (
    AISignal,
    AISignalKind,
    Identity,
    IdentityAccount,
    SignerSummary,
    TrustedBy,
)
from provenance.sanitize import clean_text


def _c(value: object, limit: int = 200) -> str:
    return clean_text(value, max_length=limit) or ""


def vouched_by(signer: SignerSummary) -> str | None:
    """ "the C2PA Trust List (snapshot of 2026-08-14)", or None when no source vouches."""
    if not signer.trusted or signer.trusted_by is None:
        return None
    if signer.trusted_by is TrustedBy.USER:
        return "your own trust anchors"
    name = signer.trust_list or signer.trusted_by.value
    if not signer.trust_list_date:
        return f"the {name}"
    if name.endswith(")"):
        # "Interim Trust List (legacy)" -> "Interim Trust List (legacy, snapshot of ...)"
        return f"the {name[:-1]}, snapshot of {signer.trust_list_date})"
    return f"the {name} (snapshot of {signer.trust_list_date})"


def revocation_words(signer: SignerSummary) -> str:
    """The revocation check in a few words."""
    note = f": {_c(signer.revocation_note, 200)}" if signer.revocation_note else ""
    return {
        "not_checked": "not checked (offline; use --check-revocation)",
        "good": "checked with the issuer's OCSP responder: not revoked",
        "revoked": f"REVOKED{note}",
    }.get(signer.revocation, f"could not be checked{note}")


_ACCOUNT_TYPES = {
    "cawg.social_media": "account",
    "cawg.document_verification": "ID document",
    "cawg.affiliation": "affiliation",
    "cawg.crypto_wallet": "wallet",
    "cawg.web_site": "web site",
}


def account_words(account: IdentityAccount) -> str:
    """ "behance account testuser23 (https://...)"."""
    kind = _ACCOUNT_TYPES.get(account.type or "", _c(account.type, 40) or "credential")
    who = _c(account.username or account.name, 120)
    provider = _c(account.provider, 120)
    parts = [f"{provider} {kind}".strip()]
    if who:
        parts.append(who)
    text = " ".join(parts)
    if account.uri:
        text += f" ({_c(account.uri, 300)})"
    return text


def identity_status(identity: Identity) -> str:
    """Whether the identity's signature and trust check out."""
    if identity.signature_valid is None and identity.problems:
        return "could not be checked here (the issuer's keys could not be fetched offline)"
    if identity.signature_valid is False:
        problems = ", ".join(_c(p, 80) for p in identity.problems[:3])
        return f"does NOT check out ({problems})" if problems else "does NOT check out"
    if identity.trusted:
        return "signature valid, issuer trusted"
    if identity.trusted is False:
        return "signature valid, but nobody you trust vouches for its issuer"
    if identity.signature_valid:
        return "signature valid; its issuer is not checked against a trust list"
    return "not checked"


def identity_summary(identity: Identity) -> str:
    """One line: the name, by whom, and whether it checks out."""
    kind = "X.509 certificate" if identity.kind == "x509" else "identity provider"
    name = _c(identity.name, 120) or "an unnamed identity"
    if identity.organization and identity.organization != identity.name:
        name += f" ({_c(identity.organization, 120)})"
    issuer = f", issued by {_c(identity.issuer, 64)}" if identity.issuer else ""
    return f"{name} — {kind}{issuer}; {identity_status(identity)}"


_SIGNAL_WORDS = {
    AISignalKind.DIGITAL_SOURCE_TYPE: "digital source type on {where}",
    AISignalKind.ADOBE_PARAMETER: "Adobe's com.adobe.digitalSourceType parameter on {where}",
    AISignalKind.LEGACY_ASSERTION: "the legacy com.adobe.generative-ai assertion",
    AISignalKind.INGREDIENT: "an {where} that declares AI",
}


def signal_words(signal: AISignal) -> str:
    """ "Adobe's com.adobe.digitalSourceType parameter on c2pa.opened: trainedAlgorithmicMedia"."""
    text = _SIGNAL_WORDS[signal.kind].format(where=_c(signal.where, 80) or "an action")
    if signal.digital_source_type:
        text += f": {_c(signal.digital_source_type, 80)}"
    if signal.tool:
        text += f" ({_c(signal.tool, 120)})"
    return text
