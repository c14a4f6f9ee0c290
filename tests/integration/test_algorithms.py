"""All seven C2PA algorithms sign and verify end to end, with keys brought in by keys import."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.identity.importing import import_identity
from provenance.identity.keys import SigningAlgorithm, load_identity
from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from tests.pki import TestPKI, certs_to_pem, key_to_pem, make_pki

PASS = b"algorithm test passphrase"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return make_pki()


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fixtures.generate import write_photo

    return write_photo(tmp_path_factory.mktemp("in"), "jpeg", width=320)


@pytest.mark.parametrize(
    ("kind", "algorithm"),
    [
        ("good", SigningAlgorithm.ES256),
        ("p384", SigningAlgorithm.ES384),
        ("p521", SigningAlgorithm.ES512),
        ("rsa2048", SigningAlgorithm.PS256),
        ("rsa3072", SigningAlgorithm.PS384),
        ("rsa4096", SigningAlgorithm.PS512),
        ("ed25519", SigningAlgorithm.ED25519),
    ],
)
def test_sign_and_verify_with_each_algorithm(
    tmp_path: Path, pki: TestPKI, photo: Path, kind: str, algorithm: SigningAlgorithm
) -> None:
    leaf = pki.make_leaf(kind)  # type: ignore[arg-type]
    chain = tmp_path / "chain.pem"
    chain.write_bytes(certs_to_pem([leaf.cert, pki.intermediate_cert]))
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(key_to_pem(leaf.key))
    home = tmp_path / "home"
    result = import_identity(home, PASS, cert_file=chain, key_file=key_file)
    assert result.info.algorithm == algorithm.value

    identity = load_identity(home, PASS)
    assert identity.algorithm is algorithm
    out = tmp_path / "signed.jpg"
    sign_image(SignRequest(source=photo, output=out), identity)

    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_pem)
    report = verify_file(out, VerifyOptions(trust_files=(root,), home=home))
    assert report.verdict is Verdict.TRUSTED, report.problems
    assert report.signer is not None
    assert report.signer.organization == "Test Studio"
    assert (report.signer.algorithm or "").lower() == algorithm.value

    untrusted = verify_file(out, VerifyOptions(home=home, use_trust_store=False))
    assert untrusted.verdict is Verdict.VALID_UNTRUSTED
