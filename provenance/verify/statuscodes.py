"""Plain-language meanings of C2PA and CAWG validation status codes.

A validator reports what it checked as short status codes such as
``assertion.dataHash.mismatch`` or ``signingCredential.untrusted``.  The codes
are precise but mean nothing to the person looking at a photo; this module
says, in one sentence each, what a code means *for them*.  Reports carry both:
the code for machines and experts, the sentence for everyone else.

Sources (facts, not text, carried over):

* C2PA Technical Specification 2.x, section 15 "Validation", 15.2.1
  "Standard Status Codes" (success, informational and failure codes);
* the codes c2pa-rs actually emits (``sdk/src/validation_results.rs``,
  ``validation_codes``, checked at c2pa-rs commit 24d17555), including
  implementation-specific ones such as ``com.adobe.prerelease``;
* the CAWG Identity Assertion specification (1.1-1.3), "Validation" status
  codes: ``cawg.identity.*``, ``cawg.ica.*`` (identity claims aggregation)
  and ``cawg.x509.*`` (identity assertions signed with an X.509 certificate);
* the assertion-metadata review-rating codes of C2PA 2.x (``REVIEW_CODES``):
  statements a signer makes about an ingredient, not validation results.

The kind (success / informational / failure) follows the specification and,
where it is explicit, what c2pa-rs reports: for example time-stamp problems
are informational (the time-stamp is then ignored, the signature still
counts), while ``signingCredential.untrusted`` is a failure code even though
the credentials are intact.  Codes not in the table still get a sentence,
built from the code's prefix and suffix, that names the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from provenance.sanitize import clean_text

__all__ = [
    "REVIEW_CODES",
    "STATUS_CODES",
    "StatusInfo",
    "StatusKind",
    "explain",
    "kind_of",
]


class StatusKind(StrEnum):
    """The three kinds of status code the C2PA specification defines."""

    SUCCESS = "success"
    INFORMATIONAL = "informational"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """One status code, its kind, and a plain sentence for a non-expert."""

    code: str
    kind: StatusKind
    explanation: str


_S = StatusKind.SUCCESS
_I = StatusKind.INFORMATIONAL
_F = StatusKind.FAILURE

# Recurring phrases, so the same thing is always said the same way.
_CHANGED = "The picture was changed after it was signed"
_IDENTITY = "the creator's identity statement"
_ICA = "the identity service's credential for the creator"

_TABLE: tuple[tuple[str, StatusKind, str], ...] = (
    # --- The claim signature (C2PA 15.7) -----------------------------------------
    (
        "claimSignature.validated",
        _S,
        "The digital signature on the credentials checks out: the record has not been altered "
        "since it was signed.",
    ),
    (
        "claimSignature.insideValidity",
        _S,
        "The signer's certificate was within its valid dates when the credentials were signed.",
    ),
    (
        "claimSignature.trusted",
        _S,
        "The signature on an earlier version's credentials was made by a signer you trust.",
    ),
    (
        "claimSignature.mismatch",
        _F,
        "The digital signature does not match the record it is supposed to seal, so the "
        "credentials were altered or forged after signing.",
    ),
    (
        "claimSignature.missing",
        _F,
        "The credentials carry no signature, so nothing vouches for them.",
    ),
    (
        "claimSignature.outsideValidity",
        _F,
        "The credentials were signed when the signer's certificate was not valid (before it was "
        "issued or after it expired).",
    ),
    # --- The signing certificate (C2PA 14, 15.7, 15.9) ---------------------------
    (
        "signingCredential.trusted",
        _S,
        "The signer's certificate leads back to an authority you chose to trust, so the name on "
        "it is vouched for.",
    ),
    (
        "signingCredential.untrusted",
        _F,
        "Nobody you trust vouches for the signer: the name on the credential is a claim, not a "
        "proven identity.",
    ),
    (
        "signingCredential.invalid",
        _F,
        "The signer's certificate is not fit for signing Content Credentials, so the signature "
        "cannot be relied on.",
    ),
    (
        "signingCredential.expired",
        _F,
        "The signer's certificate has expired and there is no trusted time-stamp proving the "
        "signing happened while it was still valid.",
    ),
    (
        "signingCredential.revoked",
        _F,
        "The authority that issued the signer's certificate has withdrawn it, so signatures made "
        "with it must not be trusted.",
    ),
    (
        "signingCredential.ocsp.revoked",
        _F,
        "The certificate authority reports that the signer's certificate has been withdrawn, so "
        "signatures made with it must not be trusted.",
    ),
    (
        "signingCredential.ocsp.notRevoked",
        _S,
        "The certificate authority confirmed that the signer's certificate had not been withdrawn.",
    ),
    (
        "signingCredential.ocsp.skipped",
        _I,
        "Whether the signer's certificate has been withdrawn was not checked, because that needs "
        "an online lookup.",
    ),
    (
        "signingCredential.ocsp.inaccessible",
        _I,
        "Whether the signer's certificate has been withdrawn could not be checked: the "
        "certificate authority did not answer.",
    ),
    (
        "signingCredential.ocsp.unknown",
        _I,
        "The certificate authority could not say whether the signer's certificate has been "
        "withdrawn.",
    ),
    # --- Time-stamps (C2PA 15.8) -------------------------------------------------
    (
        "timeStamp.validated",
        _S,
        "The independent time-stamp on the signature is intact and belongs to this signature.",
    ),
    (
        "timeStamp.trusted",
        _S,
        "The time-stamp comes from a time-stamping service you trust, so the signing time is "
        "vouched for.",
    ),
    (
        "timeStamp.mismatch",
        _I,
        "The time-stamp does not belong to this signature, so the signing time it shows cannot be "
        "relied on.",
    ),
    (
        "timeStamp.malformed",
        _I,
        "The time-stamp is damaged or unreadable, so it gives no reliable signing time.",
    ),
    (
        "timeStamp.outsideValidity",
        _I,
        "The time-stamp was made when the certificates involved were not valid, so the signing "
        "time cannot be relied on.",
    ),
    (
        "timeStamp.untrusted",
        _I,
        "The time-stamp comes from a service you have not chosen to trust, so the signing time is "
        "not vouched for.",
    ),
    (
        "timeStamp.credentialInvalid",
        _I,
        "The time-stamping service's certificate is not fit for the job, so the signing time "
        "cannot be relied on.",
    ),
    (
        "timeOfSigning.insideValidity",
        _I,
        "The signing time claimed by the signer falls within the dates the signer's certificate "
        "was valid.",
    ),
    (
        "timeOfSigning.outsideValidity",
        _I,
        "The signing time claimed by the signer falls outside the dates the signer's certificate "
        "was valid.",
    ),
    # --- Algorithms (C2PA 13) ----------------------------------------------------
    (
        "algorithm.unsupported",
        _F,
        "The credentials use a cryptographic method this software does not accept, so they "
        "could not be checked.",
    ),
    (
        "algorithm.deprecated",
        _I,
        "The credentials use an older cryptographic method that is being phased out; it still "
        "checked out.",
    ),
    # --- Binding the credentials to the pixels (C2PA 9, 18.5-18.9) --------------
    (
        "assertion.dataHash.match",
        _S,
        "The picture still matches the fingerprint taken when it was signed: it has not been "
        "changed since.",
    ),
    (
        "assertion.dataHash.mismatch",
        _F,
        _CHANGED + ": its pixels no longer match the signed fingerprint.",
    ),
    (
        "assertion.dataHash.malformed",
        _F,
        "The fingerprint that ties the credentials to this picture is damaged, so the picture "
        "could not be checked.",
    ),
    (
        "assertion.dataHash.redacted",
        _F,
        "The fingerprint that ties the credentials to this picture was removed, which is not "
        "allowed.",
    ),
    (
        "assertion.dataHash.additionalExclusionsPresent",
        _I,
        "The signed fingerprint leaves out more of the file than usual; the left-out parts could "
        "change without being noticed.",
    ),
    (
        "assertion.bmffHash.match",
        _S,
        "The file's contents still match the fingerprint taken when it was signed: it has not "
        "been changed since.",
    ),
    (
        "assertion.bmffHash.mismatch",
        _F,
        _CHANGED + ": its contents no longer match the signed fingerprint.",
    ),
    (
        "assertion.bmffHash.malformed",
        _F,
        "The fingerprint that ties the credentials to this file is damaged, so the file could not "
        "be checked.",
    ),
    (
        "assertion.bmffHash.additionalExclusionsPresent",
        _I,
        "The signed fingerprint leaves out more of the file than usual; the left-out parts could "
        "change without being noticed.",
    ),
    (
        "assertion.boxesHash.match",
        _S,
        "The file's contents still match the fingerprint taken when it was signed: it has not "
        "been changed since.",
    ),
    (
        "assertion.boxesHash.mismatch",
        _F,
        _CHANGED + ": parts of the file no longer match the signed fingerprint.",
    ),
    (
        "assertion.boxesHash.unknownBox",
        _F,
        "The file contains parts the signed fingerprint does not account for, so something was "
        "added or rearranged after signing.",
    ),
    (
        "assertion.boxesHash.malformed",
        _F,
        "The fingerprint that ties the credentials to this file is damaged, so the file could not "
        "be checked.",
    ),
    (
        "assertion.boxesHash.additionalExclusionsPresent",
        _I,
        "The signed fingerprint leaves out more of the file than usual; the left-out parts could "
        "change without being noticed.",
    ),
    (
        "assertion.collectionHash.match",
        _S,
        "Every file in the signed collection still matches its recorded fingerprint.",
    ),
    (
        "assertion.collectionHash.mismatch",
        _F,
        "A file in the signed collection was changed after signing: it no longer matches its "
        "recorded fingerprint.",
    ),
    (
        "assertion.collectionHash.incorrectFileCount",
        _F,
        "The signed collection does not contain the files it listed: some were removed or added.",
    ),
    (
        "assertion.collectionHash.invalidURI",
        _F,
        "The signed collection refers to a file with a disallowed path, so it cannot be "
        "checked safely.",
    ),
    (
        "assertion.collectionHash.malformed",
        _F,
        "The fingerprint list of the signed collection is damaged, so the collection could not be "
        "checked.",
    ),
    (
        "assertion.multiAssetHash.match",
        _S,
        "Every part of this multi-part file still matches the fingerprint taken when it was "
        "signed.",
    ),
    (
        "assertion.multiAssetHash.mismatch",
        _F,
        _CHANGED + ": one of its parts no longer matches the signed fingerprint.",
    ),
    (
        "assertion.multiAssetHash.missingPart",
        _F,
        "A part of this multi-part file that was signed is no longer there.",
    ),
    (
        "assertion.multiAssetHash.malformed",
        _F,
        "The fingerprint list of this multi-part file is damaged, so it could not be checked.",
    ),
    (
        "assertion.alternativeContentRepresentation.match",
        _S,
        "The alternative version of the content (for example a lower-resolution copy) matches "
        "what was signed.",
    ),
    (
        "assertion.alternativeContentRepresentation.hashMismatch",
        _F,
        "The alternative version of the content (for example a lower-resolution copy) was "
        "changed after signing.",
    ),
    (
        "assertion.alternativeContentRepresentation.malformed",
        _F,
        "The record of an alternative version of the content is damaged, so it could not be "
        "checked.",
    ),
    (
        "assertion.alternativeContentRepresentation.missing",
        _F,
        "An alternative version of the content that the credentials mention is not there.",
    ),
    (
        "assertion.multipleHardBindings",
        _F,
        "The credentials contain more than one fingerprint of the picture, which is not allowed "
        "and could be used to mislead.",
    ),
    (
        "assertion.hardBinding.redacted",
        _F,
        "The fingerprint that ties the credentials to this picture was removed, which is not "
        "allowed.",
    ),
    (
        "claim.hardBindings.missing",
        _F,
        "The credentials contain no fingerprint of the picture, so nothing ties them to these "
        "pixels: they could have been copied from another image.",
    ),
    # --- Assertions in general (C2PA 15.10) --------------------------------------
    (
        "assertion.hashedURI.match",
        _S,
        "A statement in the credentials is exactly as it was when signed.",
    ),
    (
        "assertion.hashedURI.mismatch",
        _F,
        "A statement in the credentials was changed after signing, so it cannot be believed.",
    ),
    (
        "assertion.missing",
        _F,
        "A statement that the signed record lists is missing from the credentials.",
    ),
    (
        "assertion.undeclared",
        _F,
        "The credentials contain a statement that was not part of what was signed; it may have "
        "been slipped in later.",
    ),
    (
        "assertion.outsideManifest",
        _F,
        "The signed record points to a statement stored outside its own credentials, which is "
        "not allowed.",
    ),
    (
        "assertion.accessible",
        _S,
        "A statement stored outside the file could be fetched and checked.",
    ),
    (
        "assertion.inaccessible",
        _F,
        "A statement stored outside the file could not be fetched, so it could not be checked.",
    ),
    (
        "assertion.selfRedacted",
        _F,
        "The credentials claim to have removed one of their own statements, which is not allowed.",
    ),
    (
        "assertion.notRedacted",
        _F,
        "A statement that was declared removed from an earlier version is still present.",
    ),
    (
        "assertion.redactedUriMismatch",
        _F,
        "A removal of information from an earlier version points at something that does not "
        "match what was removed.",
    ),
    (
        "assertion.notRedactable",
        _F,
        "Information was removed from an earlier version that is not allowed to be removed.",
    ),
    (
        "assertion.required.missing",
        _F,
        "A statement in the credentials lacks information it must have, so it could not be read "
        "properly.",
    ),
    (
        "assertion.json.invalid",
        _F,
        "A statement in the credentials is damaged (its text data cannot be read).",
    ),
    (
        "assertion.cbor.invalid",
        _F,
        "A statement in the credentials is damaged (its binary data cannot be read).",
    ),
    (
        "assertion.metadata.disallowed",
        _F,
        "The descriptive information in the credentials contains a field that is not allowed "
        "there.",
    ),
    (
        "assertion.timestamp.malformed",
        _F,
        "A time-stamp stored as a statement in the credentials is damaged or unreadable.",
    ),
    (
        "assertion.ingredient.malformed",
        _F,
        "The record of an earlier version or component of this picture is damaged or incomplete.",
    ),
    (
        "assertion.cloud-data.hardBinding",
        _F,
        "The picture's fingerprint is stored outside the file, which is not allowed.",
    ),
    (
        "assertion.cloud-data.actions",
        _F,
        "An update to the credentials points to an edit history stored outside the file, which "
        "is not allowed.",
    ),
    (
        "assertion.cloud-data.labelMismatch",
        _F,
        "A statement stored outside the file is not the kind of statement the credentials say it "
        "is.",
    ),
    (
        "assertion.cloud-data.malformed",
        _F,
        "The reference to a statement stored outside the file is damaged or incomplete.",
    ),
    (
        "assertion.external-reference.actions",
        _F,
        "An external reference in the credentials points to an edit history, which is not allowed.",
    ),
    (
        "assertion.external-reference.created",
        _F,
        "An external reference in the credentials is attributed to the signer in a way that is "
        "not allowed.",
    ),
    (
        "assertion.external-reference.hardBinding",
        _F,
        "An external reference in the credentials holds the picture's fingerprint, which is not "
        "allowed.",
    ),
    (
        "assertion.external-reference.malformed",
        _F,
        "An external reference in the credentials is damaged or incomplete.",
    ),
    # --- The edit history (C2PA 18.15) -------------------------------------------
    (
        "assertion.action.malformed",
        _F,
        "The edit history in the credentials is damaged or incomplete.",
    ),
    (
        "assertion.action.ingredientMismatch",
        _F,
        "The edit history mentions an earlier version or component that cannot be found in the "
        "credentials.",
    ),
    (
        "assertion.action.missing",
        _F,
        "The credentials lack an edit history that they are required to have.",
    ),
    (
        "assertion.action.redacted",
        _F,
        "Part of the edit history was removed, which is not allowed: the record of what was done "
        "must stay complete.",
    ),
    (
        "assertion.action.redactionMismatch",
        _F,
        "The edit history records a removal of information that cannot be found.",
    ),
    (
        "assertion.action.softBindingMissing",
        _F,
        "The edit history says a watermark or fingerprint was added, but the matching record is "
        "not there.",
    ),
    # --- The claim (C2PA 10, 15.6) -----------------------------------------------
    ("claim.missing", _F, "The signed record that should be in the credentials cannot be found."),
    (
        "claim.multiple",
        _F,
        "The credentials contain more than one signed record where only one is allowed, which "
        "could be used to mislead.",
    ),
    ("claim.malformed", _F, "The signed record in the credentials is damaged and cannot be read."),
    (
        "claim.cbor.invalid",
        _F,
        "The signed record in the credentials is damaged (its binary data cannot be read).",
    ),
    (
        "claim.required.missing",
        _F,
        "The signed record lacks information it must have, so it cannot be checked properly.",
    ),
    # --- Manifests (C2PA 11, 15.5) -----------------------------------------------
    ("manifest.missing", _F, "Content Credentials that the file refers to cannot be found."),
    (
        "manifest.inaccessible",
        _F,
        "The file's Content Credentials are stored online and could not be fetched, so they "
        "could not be checked.",
    ),
    (
        "manifest.multipleParents",
        _F,
        "The credentials name more than one direct previous version of this picture, which is "
        "not allowed.",
    ),
    (
        "manifest.update.invalid",
        _F,
        "An update to the credentials tries to change things an update may not change (the "
        "fingerprint or the edit history).",
    ),
    (
        "manifest.update.wrongParents",
        _F,
        "An update to the credentials does not name exactly one previous version, as it must.",
    ),
    (
        "manifest.timestamp.invalid",
        _F,
        "A time-stamp added to the credentials later contains things it may not contain.",
    ),
    (
        "manifest.timestamp.wrongParents",
        _F,
        "A time-stamp added to the credentials later does not name exactly one previous "
        "version, as it must.",
    ),
    (
        "manifest.compressed.invalid",
        _F,
        "The compressed Content Credentials are damaged and cannot be unpacked.",
    ),
    (
        "manifest.unknownProvenance",
        _I,
        "Part of the credentials cannot be interpreted by this version of the software.",
    ),
    (
        "manifest.unreferenced",
        _F,
        "The file contains a set of credentials that nothing in its history refers to; it may "
        "have been slipped in.",
    ),
    # --- Ingredients: earlier versions and components (C2PA 15.11) --------------
    (
        "ingredient.manifest.validated",
        _S,
        "The credentials of an earlier version or component of this picture are intact.",
    ),
    (
        "ingredient.claimSignature.validated",
        _S,
        "The signature on the credentials of an earlier version or component is intact.",
    ),
    (
        "ingredient.unknownProvenance",
        _I,
        "An earlier version or component of this picture had no Content Credentials, so where it "
        "came from is unknown.",
    ),
    (
        "ingredient.manifest.missing",
        _F,
        "The credentials of an earlier version or component of this picture are referred to but "
        "not present.",
    ),
    (
        "ingredient.manifest.mismatch",
        _F,
        "The credentials of an earlier version or component were changed after this picture was "
        "signed.",
    ),
    (
        "ingredient.claimSignature.missing",
        _F,
        "The signature on the credentials of an earlier version or component is missing.",
    ),
    (
        "ingredient.claimSignature.mismatch",
        _F,
        "The signature on the credentials of an earlier version or component does not match what "
        "was recorded.",
    ),
    (
        "ingredient.hashedURI.mismatch",
        _F,
        "The record of an earlier version or component was changed after this picture was signed.",
    ),
    # --- Links inside the credentials ----------------------------------------------
    ("hashedURI.missing", _F, "Something the credentials point to cannot be found."),
    ("hashedURI.mismatch", _F, "Something the credentials point to was changed after signing."),
    # --- Catch-alls and implementation codes ---------------------------------------
    (
        "general.error",
        _F,
        "The credentials could not be checked because of an error; treat them as unverified.",
    ),
    (
        "com.adobe.prerelease",
        _F,
        "The credentials were made by pre-release software using an unfinished format, so they "
        "cannot be checked.",
    ),
    # --- CAWG identity assertion: general (CAWG identity 1.x, "Validation") -----
    (
        "cawg.identity.well-formed",
        _S,
        "The creator's identity statement is correctly formed and sealed; whether the identity "
        "itself is vouched for is reported separately.",
    ),
    (
        "cawg.identity.trusted",
        _S,
        "The creator's identity statement is intact and vouched for by a source you trust.",
    ),
    (
        "cawg.identity.cbor.invalid",
        _F,
        "The creator's identity statement is damaged and cannot be read.",
    ),
    (
        "cawg.identity.assertion.mismatch",
        _F,
        "The creator's identity statement vouches for parts of the credentials that are not "
        "there or were changed.",
    ),
    (
        "cawg.identity.assertion.duplicate",
        _F,
        "The creator's identity statement lists the same part of the credentials twice, which is "
        "not allowed.",
    ),
    (
        "cawg.identity.hard_binding_missing",
        _F,
        "The creator's identity statement does not cover the picture's fingerprint, so it is not "
        "tied to these pixels.",
    ),
    (
        "cawg.identity.hard_binding_incorrect",
        _F,
        "The creator's identity statement is tied to a different fingerprint than this picture's.",
    ),
    (
        "cawg.identity.sig_type.unknown",
        _F,
        "The creator's identity statement is signed in a way this software does not know, so it "
        "could not be checked.",
    ),
    (
        "cawg.identity.pad.invalid",
        _F,
        "The creator's identity statement contains unexpected hidden data, so it cannot be "
        "trusted.",
    ),
    (
        "cawg.identity.credential_revoked",
        _F,
        "The credential used to sign the creator's identity statement has been withdrawn by its "
        "issuer.",
    ),
    (
        "cawg.identity.expected_partial_claim.mismatch",
        _F,
        "The creator's identity statement was made for different credentials than these.",
    ),
    (
        "cawg.identity.expected_claim_generator.mismatch",
        _F,
        "The creator's identity statement expected a different signing tool than the one that "
        "signed these credentials.",
    ),
    (
        "cawg.identity.expected_countersigner.mismatch",
        _F,
        "The creator's identity statement expected different co-signers than the ones present.",
    ),
    (
        "cawg.identity.expected_countersigner.missing",
        _F,
        "A co-signer that the creator's identity statement expected is missing.",
    ),
    (
        "cawg.identity.unexpected_countersigner",
        _F,
        "The credentials contain an identity statement from a co-signer that was not expected.",
    ),
    (
        "cawg.identity.network_traffic_blocked",
        _I,
        "Checking the creator's identity statement needs an online lookup, which was not allowed.",
    ),
    # --- CAWG identity claims aggregation (ICA) ------------------------------------
    (
        "cawg.ica.credential_valid",
        _S,
        "The identity service's credential vouching for the creator passed every check.",
    ),
    (
        "cawg.ica.invalid_cose_sign1",
        _F,
        "The identity service's credential for the creator is not correctly signed and cannot "
        "be read.",
    ),
    (
        "cawg.ica.invalid_alg",
        _F,
        "The identity service's credential for the creator uses a missing or unsupported "
        "signature method.",
    ),
    (
        "cawg.ica.invalid_content_type",
        _F,
        "The identity service's credential for the creator is not labelled as the kind of "
        "document it must be.",
    ),
    (
        "cawg.ica.invalid_verifiable_credential",
        _F,
        "The identity service's credential for the creator is missing or not a valid credential.",
    ),
    (
        "cawg.ica.invalid_issuer",
        _F,
        "The identity service's credential for the creator does not say properly who issued it.",
    ),
    (
        "cawg.ica.did_unsupported_method",
        _F,
        "The identity service names itself in a way this software cannot look up, so its "
        "credential for the creator could not be checked.",
    ),
    (
        "cawg.ica.did_unavailable",
        _F,
        "The identity service's public keys could not be fetched, so its credential for the "
        "creator could not be checked.",
    ),
    (
        "cawg.ica.invalid_did_document",
        _F,
        "The identity service's published key information is damaged, so its credential for the "
        "creator could not be checked.",
    ),
    (
        "cawg.ica.untrusted_issuer",
        _I,
        "The service vouching for the creator's identity is not one you have chosen to trust.",
    ),
    (
        "cawg.ica.signature_mismatch",
        _F,
        "The signature on the identity service's credential for the creator does not check out: "
        "it was altered or forged.",
    ),
    (
        "cawg.ica.signer_payload.mismatch",
        _F,
        "The identity service's credential vouches for different content than these credentials.",
    ),
    (
        "cawg.ica.time_stamp.validated",
        _S,
        "The time-stamp on the identity service's credential for the creator is intact.",
    ),
    (
        "cawg.ica.time_stamp.invalid",
        _F,
        "The time-stamp on the identity service's credential for the creator is damaged or does "
        "not belong to it.",
    ),
    (
        "cawg.ica.valid_from.missing",
        _F,
        "The identity service's credential for the creator does not say from when it is valid.",
    ),
    (
        "cawg.ica.valid_from.invalid",
        _F,
        "The identity service's credential for the creator was not yet valid when it was used, "
        "or its start date is unreadable.",
    ),
    (
        "cawg.ica.valid_until.invalid",
        _F,
        "The identity service's credential for the creator has expired, or its end date is "
        "unreadable.",
    ),
    (
        "cawg.ica.revocation.unsupported",
        _I,
        "Whether the identity service has withdrawn its credential for the creator cannot be "
        "checked by this software.",
    ),
    (
        "cawg.ica.revocation.unavailable",
        _I,
        "Whether the identity service has withdrawn its credential for the creator could not be "
        "checked right now.",
    ),
    (
        "cawg.ica.credential.not_revoked",
        _S,
        "The identity service confirmed that its credential for the creator has not been "
        "withdrawn.",
    ),
    (
        "cawg.ica.credential.revoked",
        _F,
        "The identity service has withdrawn its credential for the creator.",
    ),
    (
        "cawg.ica.verified_identities.missing",
        _F,
        "The identity service's credential does not actually name any verified identity for the "
        "creator.",
    ),
    (
        "cawg.ica.verified_identities.invalid",
        _F,
        "An identity listed in the identity service's credential for the creator is malformed.",
    ),
    # --- CAWG identity assertions signed with an X.509 certificate -----------------
    (
        "cawg.x509.signature.validated",
        _S,
        "The signature on the creator's identity statement checks out.",
    ),
    (
        "cawg.x509.signature.mismatch",
        _F,
        "The signature on the creator's identity statement does not check out: it was altered or "
        "forged.",
    ),
    (
        "cawg.x509.signature.outside_validity",
        _F,
        "The creator's identity statement was signed when its certificate was not valid.",
    ),
    (
        "cawg.x509.credential.trusted",
        _S,
        "The certificate behind the creator's identity statement leads back to an authority you "
        "trust.",
    ),
    (
        "cawg.x509.credential.untrusted",
        _F,
        "Nobody you trust vouches for the certificate behind the creator's identity statement: "
        "the name in it is a claim, not a proven identity.",
    ),
    (
        "cawg.x509.credential.invalid",
        _F,
        "The certificate behind the creator's identity statement is not fit for this kind of "
        "signing.",
    ),
    (
        "cawg.x509.algorithm.unsupported",
        _F,
        "The creator's identity statement uses a cryptographic method this software does not "
        "accept.",
    ),
)

# Review ratings (C2PA 2.x, 18.3 "Metadata about assertions", reviewRatings):
# a signer's own remarks about an ingredient.  They are claims, not checks.
_REVIEW_TABLE: tuple[tuple[str, StatusKind, str], ...] = (
    (
        "actions.unknownActionsPerformed",
        _I,
        "The signer notes that an earlier version was changed in ways that were not recorded.",
    ),
    (
        "actions.missing",
        _I,
        "The signer notes that the edit history of an earlier version is incomplete.",
    ),
    (
        "actions.possiblyMissing",
        _I,
        "The signer notes that the edit history of an earlier version may be incomplete.",
    ),
    (
        "depthMap.sceneMismatch",
        _I,
        "The signer notes that the depth information does not match the scene in the picture.",
    ),
    (
        "ingredient.modified",
        _I,
        "The signer notes that an earlier version was changed after its credentials were made.",
    ),
    (
        "ingredient.possiblyModified",
        _I,
        "The signer notes that an earlier version may have been changed after its credentials "
        "were made.",
    ),
    (
        "thumbnail.primaryMismatch",
        _I,
        "The signer notes that the preview image does not match the picture itself.",
    ),
    (
        "stds.iptc.location.inaccurate",
        _I,
        "The signer notes that the recorded location is inaccurate.",
    ),
    (
        "stds.schema-org.CreativeWork.misattributed",
        _I,
        "The signer notes that the credit given for this work is wrong.",
    ),
    (
        "stds.schema-org.CreativeWork.missingAttribution",
        _I,
        "The signer notes that credit for this work is missing.",
    ),
)


def _build(rows: tuple[tuple[str, StatusKind, str], ...]) -> Mapping[str, StatusInfo]:
    table: dict[str, StatusInfo] = {}
    for code, kind, explanation in rows:
        if code in table:
            raise ValueError(f"duplicate status code in table: {code}")
        table[code] = StatusInfo(code=code, kind=kind, explanation=explanation)
    return MappingProxyType(table)


STATUS_CODES: Mapping[str, StatusInfo] = _build(_TABLE)
"""Every validation status code we know, by code."""

REVIEW_CODES: Mapping[str, StatusInfo] = _build(_REVIEW_TABLE)
"""Review-rating codes a signer may attach to an ingredient (not validation results)."""


# --- Unknown codes: a sentence from the code's shape ------------------------------

_SUCCESS_SUFFIXES = (
    ".match",
    ".validated",
    ".trusted",
    ".insideValidity",
    ".notRevoked",
    ".not_revoked",
    ".accessible",
    ".well-formed",
    ".credential_valid",
)

# Longest prefixes first: the first match names what the code is about.
_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("cawg.ica.", _ICA),
    ("cawg.x509.", "the certificate signature on " + _IDENTITY),
    ("cawg.", _IDENTITY),
    ("claimSignature.", "the signature on the credentials"),
    ("signingCredential.", "the signer's certificate"),
    ("timeStamp.", "the time-stamp on the signature"),
    ("timeOfSigning.", "the signing time"),
    ("assertion.action.", "the edit history in the credentials"),
    ("assertion.", "a statement in the credentials"),
    ("ingredient.", "the credentials of an earlier version or component of this picture"),
    ("manifest.", "the Content Credentials"),
    ("claim.", "the signed record in the credentials"),
    ("hashedURI.", "a link inside the credentials"),
    ("algorithm.", "the cryptographic method used"),
)

_GENERIC_SUBJECT = "the Content Credentials"


def _subject(code: str) -> str:
    for prefix, subject in _SUBJECTS:
        if code.startswith(prefix):
            return subject
    return _GENERIC_SUBJECT


def _sentence_for_unknown(code: str) -> str:
    subject = _subject(code)
    last = code.rsplit(".", 1)[-1].lower()
    if code.endswith(_SUCCESS_SUFFIXES):
        return f"A check on {subject} passed"
    if last in {"mismatch", "signature_mismatch", "hashmismatch"}:
        return f"A check on {subject} did not match what was signed, so it was changed or forged"
    if last.endswith("missing"):
        return f"Something required for {subject} is missing"
    if last in {"malformed", "invalid"} or last.startswith("invalid"):
        return f"{_cap(subject)} is damaged or not correctly formed"
    if last == "untrusted" or "untrusted" in last:
        return f"Nobody you trust vouches for {subject}"
    if last in {"expired", "outsidevalidity", "outside_validity"}:
        return f"{_cap(subject)} was not valid at the time that matters"
    if "revoked" in last:
        return f"{_cap(subject)} has been withdrawn by whoever issued it"
    if last in {"unsupported", "unknown", "deprecated"}:
        return f"{_cap(subject)} uses something this software cannot fully check"
    if last in {"inaccessible", "unavailable", "skipped"}:
        return f"{_cap(subject)} could not be checked because something could not be reached"
    return f"A problem was reported with {subject}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lookup(code: str) -> StatusInfo | None:
    return STATUS_CODES.get(code) or REVIEW_CODES.get(code)


def explain(code: str) -> str:
    """One plain sentence saying what ``code`` means for the person looking at the picture.

    Known codes come from the table; any other code gets a sentence worded from
    its prefix and suffix that names the (sanitised) code.  Never empty.
    """
    info = _lookup(code)
    if info is not None:
        return info.explanation
    # Codes can come from inside a file (an ingredient's recorded status), so
    # the code itself is hostile text.
    shown = clean_text(code, max_length=120) or "an empty code"
    return f"{_sentence_for_unknown(shown)} (status code “{shown}”, unknown to this version)."


def kind_of(code: str) -> StatusKind:
    """Success, informational or failure: from the table, else guessed from the suffix.

    Unknown codes ending in ``.match``, ``.validated``, ``.trusted``,
    ``.insideValidity`` (and similar) are successes; every other unknown code
    counts as a failure, so nothing unknown can make a file look better.
    """
    info = _lookup(code)
    if info is not None:
        return info.kind
    if code.endswith(_SUCCESS_SUFFIXES):
        return StatusKind.SUCCESS
    return StatusKind.FAILURE
