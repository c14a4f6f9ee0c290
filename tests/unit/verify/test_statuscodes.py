"""The status-code table: complete, plain, and covering every code real files produce."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provenance.verify.statuscodes import (
    REVIEW_CODES,
    STATUS_CODES,
    StatusInfo,
    StatusKind,
    explain,
    kind_of,
)

CONFORMANCE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance"

# Codes c2pa-rs declares (sdk/src/validation_results.rs, validation_codes, and the
# identity module's codes) at the commit the conformance files come from.
C2PA_RS_CODES = {
    "claimSignature.validated", "claimSignature.insideValidity", "claimSignature.mismatch",
    "claimSignature.missing", "claimSignature.outsideValidity", "claimSignature.trusted",
    "signingCredential.trusted", "signingCredential.untrusted", "signingCredential.invalid",
    "signingCredential.expired", "signingCredential.ocsp.revoked",
    "signingCredential.ocsp.notRevoked", "signingCredential.ocsp.skipped",
    "signingCredential.ocsp.inaccessible", "signingCredential.ocsp.unknown",
    "timeStamp.validated", "timeStamp.trusted", "timeStamp.mismatch", "timeStamp.malformed",
    "timeStamp.outsideValidity", "timeStamp.untrusted", "timeOfSigning.insideValidity",
    "algorithm.unsupported", "algorithm.deprecated", "general.error",
    "assertion.hashedURI.match", "assertion.hashedURI.mismatch",
    "assertion.dataHash.match", "assertion.dataHash.mismatch", "assertion.dataHash.malformed",
    "assertion.dataHash.redacted", "assertion.dataHash.additionalExclusionsPresent",
    "assertion.bmffHash.match", "assertion.bmffHash.mismatch", "assertion.bmffHash.malformed",
    "assertion.boxesHash.match", "assertion.boxesHash.mismatch",
    "assertion.boxesHash.unknownBox", "assertion.boxesHash.malformed",
    "assertion.collectionHash.match", "assertion.collectionHash.mismatch",
    "assertion.collectionHash.incorrectFileCount", "assertion.collectionHash.invalidURI",
    "assertion.collectionHash.malformed",
    "assertion.accessible", "assertion.inaccessible", "assertion.missing",
    "assertion.undeclared", "assertion.outsideManifest", "assertion.multipleHardBindings",
    "assertion.selfRedacted", "assertion.notRedacted", "assertion.required.missing",
    "assertion.json.invalid", "assertion.cbor.invalid", "assertion.metadata.disallowed",
    "assertion.timestamp.malformed", "assertion.ingredient.malformed",
    "assertion.action.ingredientMismatch", "assertion.action.malformed",
    "assertion.action.redacted", "assertion.action.redactionMismatch",
    "assertion.cloud-data.hardBinding", "assertion.cloud-data.actions",
    "assertion.cloud-data.malformed",
    "claim.malformed", "claim.missing", "claim.multiple", "claim.hardBindings.missing",
    "claim.required.missing", "claim.cbor.invalid",
    "manifest.inaccessible", "manifest.multipleParents", "manifest.update.invalid",
    "manifest.update.wrongParents", "manifest.timestamp.invalid",
    "manifest.timestamp.wrongParents", "manifest.compressed.invalid",
    "manifest.unknownProvenance", "manifest.unreferenced",
    "ingredient.manifest.validated", "ingredient.claimSignature.validated",
    "ingredient.unknownProvenance", "ingredient.manifest.missing",
    "ingredient.manifest.mismatch", "ingredient.claimSignature.missing",
    "ingredient.claimSignature.mismatch", "ingredient.hashedURI.mismatch",
    "hashedURI.missing", "hashedURI.mismatch", "com.adobe.prerelease",
    "cawg.identity.well-formed", "cawg.identity.cbor.invalid",
    "cawg.identity.assertion.mismatch", "cawg.identity.assertion.duplicate",
    "cawg.identity.hard_binding_missing", "cawg.identity.sig_type.unknown",
    "cawg.identity.pad.invalid",
    "cawg.ica.credential_valid", "cawg.ica.invalid_cose_sign1", "cawg.ica.invalid_alg",
    "cawg.ica.invalid_content_type", "cawg.ica.invalid_verifiable_credential",
    "cawg.ica.invalid_issuer", "cawg.ica.did_unavailable", "cawg.ica.invalid_did_document",
    "cawg.ica.untrusted_issuer", "cawg.ica.signature_mismatch",
    "cawg.ica.signer_payload.mismatch", "cawg.ica.time_stamp.validated",
    "cawg.ica.time_stamp.invalid", "cawg.ica.valid_from.missing",
    "cawg.ica.valid_from.invalid", "cawg.ica.valid_until.invalid",
    "cawg.x509.credential.trusted", "cawg.x509.credential.untrusted",
    "cawg.x509.credential.invalid", "cawg.x509.signature.validated",
    "cawg.x509.signature.mismatch", "cawg.x509.algorithm.unsupported",
    "cawg.x509.signature.outside_validity",
}  # fmt: skip

# Codes the C2PA 2.x specification (15.2.1) and CAWG identity specification define
# beyond what c2pa-rs emits today.
SPEC_ONLY_CODES = {
    "signingCredential.revoked", "timeStamp.credentialInvalid", "timeOfSigning.outsideValidity",
    "manifest.missing", "assertion.hardBinding.redacted", "assertion.action.missing",
    "assertion.action.softBindingMissing", "assertion.cloud-data.labelMismatch",
    "assertion.multiAssetHash.match", "assertion.multiAssetHash.mismatch",
    "assertion.multiAssetHash.missingPart", "assertion.multiAssetHash.malformed",
    "assertion.alternativeContentRepresentation.match",
    "assertion.alternativeContentRepresentation.hashMismatch",
    "assertion.external-reference.hardBinding", "assertion.bmffHash.additionalExclusionsPresent",
    "assertion.boxesHash.additionalExclusionsPresent", "cawg.identity.trusted",
    "cawg.identity.credential_revoked", "cawg.identity.hard_binding_incorrect",
    "cawg.ica.did_unsupported_method", "cawg.ica.credential.revoked",
    "cawg.ica.verified_identities.missing", "cawg.ica.verified_identities.invalid",
}  # fmt: skip


# --- the table ----------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(C2PA_RS_CODES | SPEC_ONLY_CODES))
def test_known_code_is_in_table(code: str) -> None:
    assert code in STATUS_CODES


def test_table_is_large_and_keys_match_entries() -> None:
    assert len(STATUS_CODES) >= 150
    for code, info in {**STATUS_CODES, **REVIEW_CODES}.items():
        assert isinstance(info, StatusInfo)
        assert info.code == code
        assert isinstance(info.kind, StatusKind)


@pytest.mark.parametrize("info", [*STATUS_CODES.values(), *REVIEW_CODES.values()], ids=str)
def test_explanation_is_a_plain_sentence(info: StatusInfo) -> None:
    text = info.explanation
    assert text.strip() == text and text
    assert text[0].isupper() and text.endswith(".")
    assert info.code not in text, "the explanation must not just restate the code"
    assert not re.search(r"\w\.\w", text), "a dotted code-like token in prose"
    assert not re.search(r"\b[a-z]+[A-Z]\w*", text), "a camelCase code fragment in prose"
    assert len(text) <= 200
    assert explain(info.code) == text


def test_explanations_are_not_duplicated_carelessly() -> None:
    texts = [info.explanation for info in STATUS_CODES.values()]
    # A few codes legitimately share a sentence (same meaning, different container).
    assert len(set(texts)) >= len(texts) - 10


def test_review_codes_do_not_collide_with_status_codes() -> None:
    assert not set(REVIEW_CODES) & set(STATUS_CODES)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("assertion.dataHash.mismatch", StatusKind.FAILURE),
        ("signingCredential.untrusted", StatusKind.FAILURE),
        ("signingCredential.trusted", StatusKind.SUCCESS),
        ("claimSignature.validated", StatusKind.SUCCESS),
        ("timeStamp.untrusted", StatusKind.INFORMATIONAL),
        ("signingCredential.ocsp.skipped", StatusKind.INFORMATIONAL),
        ("ingredient.unknownProvenance", StatusKind.INFORMATIONAL),
        ("ingredient.manifest.missing", StatusKind.FAILURE),
        ("cawg.ica.untrusted_issuer", StatusKind.INFORMATIONAL),
        ("cawg.identity.well-formed", StatusKind.SUCCESS),
        ("cawg.x509.credential.untrusted", StatusKind.FAILURE),
        ("actions.unknownActionsPerformed", StatusKind.INFORMATIONAL),
    ],
)
def test_kind_of_known_codes(code: str, kind: StatusKind) -> None:
    assert kind_of(code) is kind


def test_key_explanations_say_what_matters() -> None:
    assert "changed after it was signed" in explain("assertion.dataHash.mismatch")
    assert "not a proven identity" in explain("signingCredential.untrusted")
    assert "withdrawn" in explain("signingCredential.ocsp.revoked")


def test_status_info_is_a_frozen_slotted_value() -> None:
    info = STATUS_CODES["general.error"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.explanation = "x"  # type: ignore[misc]
    assert not hasattr(info, "__dict__")
    assert str(StatusKind.FAILURE) == "failure" and isinstance(StatusKind.FAILURE, str)


# --- unknown codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("assertion.newHash.mismatch", "did not match"),
        ("manifest.somethingNew.missing", "missing"),
        ("claim.future.malformed", "damaged"),
        ("cawg.newthing.unknown", "identity"),
        ("cawg.ica.new_check", "identity"),
        ("signingCredential.future.untrusted", "trust"),
        ("signingCredential.future.revoked", "withdrawn"),
        ("assertion.newHash.match", "passed"),
        ("com.example.custom", "problem"),
    ],
)
def test_unknown_code_gets_a_worded_explanation_naming_the_code(code: str, phrase: str) -> None:
    assert code not in STATUS_CODES
    text = explain(code)
    assert code in text
    assert phrase in text


@pytest.mark.parametrize("code", ["", " ", "x", "...", "\x1b[31mevil.mismatch\x07"])
def test_explain_never_empty_and_never_echoes_controls(code: str) -> None:
    text = explain(code)
    assert text.strip()
    assert "\x1b" not in text and "\x07" not in text


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("assertion.newHash.match", StatusKind.SUCCESS),
        ("thing.validated", StatusKind.SUCCESS),
        ("thing.trusted", StatusKind.SUCCESS),
        ("thing.insideValidity", StatusKind.SUCCESS),
        ("thing.untrusted", StatusKind.FAILURE),
        ("thing.mismatch", StatusKind.FAILURE),
        ("thing.whatever", StatusKind.FAILURE),
        ("", StatusKind.FAILURE),
    ],
)
def test_kind_of_unknown_codes_by_suffix(code: str, kind: StatusKind) -> None:
    assert kind_of(code) is kind


# --- every code real files produce is in the table -------------------------------


def _walk_results(node: Any, found: dict[str, set[str]]) -> None:
    """Collect codes from success/informational/failure lists anywhere in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("success", "informational", "failure") and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and isinstance(item.get("code"), str):
                        found.setdefault(item["code"], set()).add(key)
            else:
                _walk_results(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_results(value, found)


def _walk_ingredient_status(node: Any, found: set[str]) -> None:
    """Codes recorded in ingredients' ``validation_status`` inside the manifest store."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "validation_status" and isinstance(value, list):
                found.update(
                    item["code"]
                    for item in value
                    if isinstance(item, dict) and isinstance(item.get("code"), str)
                )
            else:
                _walk_ingredient_status(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_ingredient_status(value, found)


def _conformance_files() -> Iterator[Path]:
    yield from sorted(p for p in (CONFORMANCE / "files").rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def conformance_codes() -> tuple[dict[str, set[str]], set[str]]:
    if not (CONFORMANCE / "files").is_dir():
        pytest.skip(f"conformance files not present at {CONFORMANCE} (fresh clone)")
    c2pa = pytest.importorskip("c2pa")
    offline: dict[str, Any] = {"verify": {"remote_manifest_fetch": False}}
    configs = [offline]
    anchors = CONFORMANCE / "test_anchors.pem"
    if anchors.is_file():
        configs.append({**offline, "trust": {"trust_anchors": anchors.read_text()}})
    by_bucket: dict[str, set[str]] = {}
    recorded: set[str] = set()
    for path in _conformance_files():
        for config in configs:
            try:
                reader = c2pa.Reader(str(path), context=c2pa.Context.from_dict(config))
                results = reader.get_validation_results()
                if isinstance(results, str):
                    results = json.loads(results)
                _walk_results(results, by_bucket)
                _walk_ingredient_status(json.loads(reader.json()), recorded)
            except Exception:  # no manifest, unsupported, remote-only, malformed: no codes
                continue
    if not by_bucket:
        pytest.skip("the c2pa library read no validation results from the conformance files")
    return by_bucket, recorded


def test_every_conformance_code_is_in_the_table(
    conformance_codes: tuple[dict[str, set[str]], set[str]],
) -> None:
    by_bucket, recorded = conformance_codes
    seen = set(by_bucket) | recorded
    missing = sorted(code for code in seen if code not in STATUS_CODES)
    assert not missing, f"status codes seen in conformance files but not in the table: {missing}"


# c2pa-rs classifies a few codes differently from the specification.
KNOWN_KIND_DEVIATIONS: frozenset[str] = frozenset({"ingredient.manifest.missing"})


def test_table_kinds_agree_with_what_c2pa_reports(
    conformance_codes: tuple[dict[str, set[str]], set[str]],
) -> None:
    by_bucket, _ = conformance_codes
    disagreements = {
        code: sorted(buckets)
        for code, buckets in by_bucket.items()
        if code in STATUS_CODES
        and code not in KNOWN_KIND_DEVIATIONS
        and buckets != {STATUS_CODES[code].kind.value}
    }
    assert not disagreements, f"table kind differs from c2pa's report: {disagreements}"
