"""Tests of provenance.identity.certprofile: the C2PA certificate profile in plain words."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from provenance.errors import CredentialError
from provenance.identity.certprofile import (
    DOCUMENT_SIGNING_OID,
    ChainCheck,
    Finding,
    Severity,
    describe_subject,
    load_pem_chain,
    suggested_algorithm,
)
from provenance.identity.chaincheck import check_chain
from tests.pki import TestPKI, certs_to_pem, key_to_pem, make_ca, make_leaf, make_pki


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return make_pki()


def finding(result: ChainCheck, code: str) -> Finding:
    matches = [f for f in result.findings if f.code == code]
    assert matches, f"expected {code!r}, got {result.codes}"
    return matches[0]


def assert_words(f: Finding, *words: str) -> None:
    text = f.message.lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in {f.message!r}"
    assert f.fix.strip(), "every finding says what to do"


# ------------------------------------------------------------------ the good chain


def test_good_chain_is_ok(pki: TestPKI) -> None:
    result = check_chain(pki.chain, private_key=pki.leaf_key)
    assert result.ok
    assert result.findings == ()
    assert result.chain == (pki.leaf_cert, pki.intermediate_cert)
    assert result.leaf is pki.leaf_cert
    assert result.days_left is not None and 360 <= result.days_left <= 366


def test_leaf_alone_issued_by_root_is_fine() -> None:
    root, root_key = make_ca()
    leaf = make_leaf(root, root_key)
    result = check_chain([leaf.cert], private_key=leaf.key)  # type: ignore[arg-type]
    assert result.ok and result.findings == ()
    assert result.chain == (leaf.cert,)


def test_empty_input_is_an_error() -> None:
    result = check_chain([])
    assert not result.ok
    assert result.codes == ("empty",)
    assert result.chain == () and result.days_left is None


# ------------------------------------------------------------------ bad signers


@pytest.mark.parametrize(
    ("kind", "code", "words"),
    [
        ("no_eku", "eku_missing", ("usage",)),
        ("any_eku", "eku_any", ("usage",)),
        ("doc_signing", "eku_unsuitable", ("extended key usage", "documentSigning")),
        ("expired", "expired", ("expired",)),
        ("not_yet_valid", "not_yet_valid", ("not yet valid",)),
        ("ca", "ca_as_signer", ("CA",)),
        ("rsa1024", "weak_key", ("1024", "2048")),
        ("secp256k1", "unsupported_key", ("curve",)),
        ("no_aki", "aki_missing", ("authority key identifier",)),
        ("no_key_usage", "key_usage", ("key usage",)),
        ("unknown_critical", "unknown_critical", ("critical",)),
    ],
)
def test_bad_signer(pki: TestPKI, kind: str, code: str, words: tuple[str, ...]) -> None:
    leaf = pki.make_leaf(kind)  # type: ignore[arg-type]
    result = check_chain([leaf.cert, pki.intermediate_cert], private_key=leaf.key)  # type: ignore[arg-type]
    assert not result.ok
    f = finding(result, code)
    assert f.severity is Severity.ERROR
    assert_words(f, *words)
    assert result.codes == (code,), "one defect, one finding"


def test_ca_message_says_use_the_leaf(pki: TestPKI) -> None:
    leaf = pki.make_leaf("ca")
    f = finding(check_chain([leaf.cert, pki.intermediate_cert]), "ca_as_signer")
    assert "CA certificate" in f.message
    assert "must not sign content" in f.message
    assert "leaf" in f.fix.lower()


def test_self_signed(pki: TestPKI) -> None:
    leaf = pki.make_leaf("self_signed")
    result = check_chain([leaf.cert], private_key=leaf.key)  # type: ignore[arg-type]
    assert not result.ok
    assert result.codes == ("self_signed",)
    assert_words(finding(result, "self_signed"), "self-signed")
    assert result.chain == (leaf.cert,), "a self-signed leaf stays: it is the signer"


def test_root_alone_is_a_ca_and_self_signed(pki: TestPKI) -> None:
    result = check_chain([pki.root_cert])
    assert {"ca_as_signer", "self_signed"} <= set(result.codes)


def test_expires_soon_is_a_warning(pki: TestPKI) -> None:
    leaf = pki.make_leaf("expires_soon")
    result = check_chain([leaf.cert, pki.intermediate_cert])
    assert result.ok
    f = finding(result, "expires_soon")
    assert f.severity is Severity.WARNING
    assert_words(f, "expires")
    assert result.days_left is not None and result.days_left < 30


def test_expiry_uses_given_now(pki: TestPKI) -> None:
    later = pki.leaf_cert.not_valid_after_utc + dt.timedelta(days=1)
    result = check_chain(pki.chain, now=later)
    assert "expired" in result.codes
    assert result.days_left is not None and result.days_left < 0
    naive_earlier = (pki.leaf_cert.not_valid_before_utc - dt.timedelta(hours=1)).replace(
        tzinfo=None
    )
    assert "not_yet_valid" in check_chain(pki.chain, now=naive_earlier).codes
    soon = pki.leaf_cert.not_valid_after_utc - dt.timedelta(days=5)
    assert check_chain(pki.chain, now=soon).codes == ("expires_soon",)


def test_document_signing_accepted_when_listed(pki: TestPKI) -> None:
    leaf = pki.make_leaf("doc_signing")
    result = check_chain([leaf.cert, pki.intermediate_cert], extra_ekus={DOCUMENT_SIGNING_OID})
    assert result.ok and result.findings == ()


def test_any_eku_refused_even_if_listed(pki: TestPKI) -> None:
    leaf = pki.make_leaf("any_eku")
    result = check_chain(
        [leaf.cert, pki.intermediate_cert], extra_ekus={"2.5.29.37.0", DOCUMENT_SIGNING_OID}
    )
    assert "eku_any" in result.codes


@pytest.mark.parametrize("kind", ["rsa2048", "rsa3072", "p384", "p521", "ed25519"])
def test_supported_key_types_pass(pki: TestPKI, kind: str) -> None:
    leaf = pki.make_leaf(kind)  # type: ignore[arg-type]
    result = check_chain([leaf.cert, pki.intermediate_cert], private_key=leaf.key)  # type: ignore[arg-type]
    assert result.ok and result.findings == ()


def test_wrong_private_key(pki: TestPKI) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    result = check_chain(pki.chain, private_key=other)
    assert result.codes == ("key_mismatch",)
    assert_words(finding(result, "key_mismatch"), "does not match")
    rsa_other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert check_chain(pki.chain, private_key=rsa_other).codes == ("key_mismatch",)


# ------------------------------------------------------------------ chain order


def test_reversed_order_is_reordered(pki: TestPKI) -> None:
    result = check_chain([pki.root_cert, pki.intermediate_cert, pki.leaf_cert])
    assert result.ok
    assert result.chain == (pki.leaf_cert, pki.intermediate_cert)
    reordered = finding(result, "chain_reordered")
    assert reordered.severity is Severity.WARNING
    root = finding(result, "root_included")
    assert root.severity is Severity.WARNING
    assert "remove the root" in root.fix.lower()
    assert "trust list" in root.fix.lower()


def test_intermediate_before_leaf_is_reordered(pki: TestPKI) -> None:
    result = check_chain([pki.intermediate_cert, pki.leaf_cert])
    assert result.ok
    assert result.codes == ("chain_reordered",)
    assert result.chain == (pki.leaf_cert, pki.intermediate_cert)


def test_root_at_end_is_dropped_with_warning(pki: TestPKI) -> None:
    result = check_chain([pki.leaf_cert, pki.intermediate_cert, pki.root_cert])
    assert result.ok
    assert result.codes == ("root_included",)
    assert result.chain == (pki.leaf_cert, pki.intermediate_cert)


def test_duplicates_are_ignored(pki: TestPKI) -> None:
    result = check_chain([pki.leaf_cert, pki.intermediate_cert, pki.intermediate_cert])
    assert result.ok and result.findings == ()
    assert result.chain == (pki.leaf_cert, pki.intermediate_cert)


def test_foreign_intermediate_breaks_the_chain(pki: TestPKI) -> None:
    other = make_pki()
    result = check_chain([pki.leaf_cert, other.intermediate_cert])
    assert not result.ok
    assert_words(finding(result, "chain_broken"), "broken")
    assert result.chain[0] == pki.leaf_cert


def test_same_name_different_key_breaks_the_chain(pki: TestPKI) -> None:
    # An impostor intermediate: same subject name as the real one, another key.
    impostor, _ = make_ca(
        "Provenance Test Intermediate CA",
        issuer_cert=pki.root_cert,
        issuer_key=pki.root_key,
    )
    result = check_chain([pki.leaf_cert, impostor])
    assert "chain_broken" in result.codes
    assert not result.ok


# ------------------------------------------------------------------ loading and describing


def test_load_pem_chain_round_trip(pki: TestPKI) -> None:
    certs = load_pem_chain(pki.chain_pem)
    assert certs == pki.chain
    der = pki.leaf_cert.public_bytes(serialization.Encoding.DER)
    assert load_pem_chain(der) == [pki.leaf_cert]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, not a certificate",
        b"\x30\x03\x02\x01\x00",
        b"-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n",
    ],
)
def test_load_pem_chain_garbage(data: bytes) -> None:
    with pytest.raises(CredentialError) as info:
        load_pem_chain(data)
    assert info.value.hint


def test_load_pem_chain_private_key_hint(pki: TestPKI) -> None:
    with pytest.raises(CredentialError) as info:
        load_pem_chain(key_to_pem(pki.leaf_key))
    assert "private key" in str(info.value)
    assert info.value.hint


def test_describe_subject(pki: TestPKI) -> None:
    d = describe_subject(pki.leaf_cert)
    assert d["name"] == "Test Photographer"
    assert d["organization"] == "Test Studio"
    assert d["issuer"] == "Provenance Test PKI"
    assert d["serial"] == format(pki.leaf_cert.serial_number, "x")
    assert d["fingerprint_sha256"] is not None and len(d["fingerprint_sha256"]) == 64
    assert d["not_after"] is not None
    assert dt.datetime.fromisoformat(d["not_after"]) == pki.leaf_cert.not_valid_after_utc
    assert d["not_before"] is not None and d["not_before"].endswith("+00:00")


def test_describe_subject_without_organization() -> None:
    root, key = make_ca()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Only CN")]))
        .issuer_name(root.subject)
        .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .serial_number(1)
        .not_valid_before(root.not_valid_before_utc)
        .not_valid_after(root.not_valid_after_utc)
    )
    from cryptography.hazmat.primitives import hashes

    cert = builder.sign(key, hashes.SHA256())
    d = describe_subject(cert)
    assert d["name"] == "Only CN" and d["organization"] is None


# ------------------------------------------------------------------ algorithms


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "es256"),
        (ec.generate_private_key(ec.SECP384R1()), "es384"),
        (ec.generate_private_key(ec.SECP521R1()), "es512"),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "ps256"),
        (rsa.generate_private_key(public_exponent=65537, key_size=3072), "ps384"),
        (rsa.generate_private_key(public_exponent=65537, key_size=4096), "ps512"),
        (ed25519.Ed25519PrivateKey.generate(), "ed25519"),
    ],
    ids=["p256", "p384", "p521", "rsa2048", "rsa3072", "rsa4096", "ed25519"],
)
def test_suggested_algorithm(key: object, expected: str) -> None:
    assert suggested_algorithm(key) == expected  # type: ignore[arg-type]
    assert suggested_algorithm(key.public_key()) == expected  # type: ignore[attr-defined]


def test_suggested_algorithm_from_certificate(pki: TestPKI) -> None:
    assert suggested_algorithm(pki.leaf_cert) == "es256"


def test_suggested_algorithm_refuses_unusable_keys() -> None:
    with pytest.raises(CredentialError):
        suggested_algorithm(ec.generate_private_key(ec.SECP256K1()))
    with pytest.raises(CredentialError):
        suggested_algorithm(rsa.generate_private_key(public_exponent=65537, key_size=1024))


def test_findings_pem_helper(pki: TestPKI) -> None:
    # The chain PEM written by the test PKI is leaf first and loads back in order.
    assert load_pem_chain(certs_to_pem(pki.chain))[0] == pki.leaf_cert
