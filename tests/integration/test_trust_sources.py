"""Which trust source vouches: the C2PA list, the Interim list (roots and allowed list), the user.

Each test installs a trust-list copy in a temporary home (as ``trust update`` would)
whose lists hold the throw-away test PKI, signs with it, and checks the verdict and
``signer.trusted_by``.  The first test pins the c2pa-python 0.38.1 behaviour the
design rests on: ``trust.allowed_list`` does not make a signer trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from provenance.identity.importing import import_identity
from provenance.identity.keys import load_identity
from provenance.identity.trust_lists import INDEX_NAME, lists_dir, shipped_dir
from provenance.models import Report, TrustedBy, Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from tests.pki import TestPKI, certs_to_pem, key_to_pem, make_pki

PASS = b"trust source test passphrase"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return make_pki()


def _sign(tmp: Path, pki: TestPKI, kind: str) -> tuple[Path, bytes]:
    from fixtures.generate import write_photo

    leaf = pki.make_leaf(kind)  # type: ignore[arg-type]
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "chain.pem").write_bytes(certs_to_pem([leaf.cert, pki.intermediate_cert]))
    (tmp / "key.pem").write_bytes(key_to_pem(leaf.key))
    home = tmp / "signer-home"
    import_identity(home, PASS, cert_file=tmp / "chain.pem", key_file=tmp / "key.pem")
    photo = write_photo(tmp, "jpeg", width=160)
    out = tmp / "signed.jpg"
    sign_image(SignRequest(source=photo, output=out), load_identity(home, PASS))
    return out, leaf.cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def email_signed(tmp_path_factory: pytest.TempPathFactory, pki: TestPKI) -> tuple[Path, bytes]:
    return _sign(tmp_path_factory.mktemp("email"), pki, "good")


@pytest.fixture(scope="module")
def claim_signed(tmp_path_factory: pytest.TempPathFactory, pki: TestPKI) -> tuple[Path, bytes]:
    return _sign(tmp_path_factory.mktemp("claim"), pki, "claim_signing")


def _install(home: Path, **replace: bytes) -> None:
    """A trust-lists copy in ``home``: the shipped lists with some files replaced."""
    folder = lists_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    index = json.loads((shipped_dir() / INDEX_NAME).read_text())
    for source in index["sources"].values():
        for role, f in source["files"].items():
            key = f["path"].replace("-", "_").replace(".", "_")
            data = replace.get(key)
            if data is None:
                shutil.copy(shipped_dir() / f["path"], folder / f["path"])
                data = (folder / f["path"]).read_bytes()
            else:
                (folder / f["path"]).write_bytes(data)
                f.pop("hashes", None)  # stale now: verification then hashes the list itself
            f["sha256"] = hashlib.sha256(data).hexdigest()
            del role
    (folder / INDEX_NAME).write_text(json.dumps(index))


def _verify(path: Path, home: Path, **kw: object) -> Report:
    return verify_file(
        path,
        VerifyOptions(home=home, use_trust_store=False, want_thumbnails=False, **kw),  # type: ignore[arg-type]
    )


def test_c2pa_python_ignores_allowed_list(email_signed: tuple[Path, bytes]) -> None:
    """Proof (c2pa-python 0.38.1 / c2pa-rs 0.91.3): allowed_list alone never gives Trusted.

    As PEM, as a base64 SHA-256 line (the Verify site's allowed.sha256.txt form), with or
    without other anchors.  If this starts failing, c2pa honours the list itself and
    provenance.verify.trustcheck's own allowed-list match can be revisited.
    """
    import base64

    import c2pa
    from cryptography import x509

    path, leaf_pem = email_signed
    der = x509.load_pem_x509_certificate(leaf_pem).public_bytes(serialization.Encoding.DER)
    digest = base64.b64encode(hashlib.sha256(der).digest()).decode()
    for allowed in (leaf_pem.decode(), f"# Test Studio\n{digest}\n"):
        ctx = c2pa.Context.from_dict(
            {"verify": {"remote_manifest_fetch": False}, "trust": {"allowed_list": allowed}}
        )
        reader = c2pa.Reader("image/jpeg", io.BytesIO(path.read_bytes()), context=ctx)
        assert reader.get_validation_state() == "Valid"


def test_itl_allowed_list_vouches_for_the_signer_itself(
    tmp_path: Path, email_signed: tuple[Path, bytes]
) -> None:
    path, leaf_pem = email_signed
    home = tmp_path / "home"
    shipped = (shipped_dir() / "itl-allowed.pem").read_bytes()
    _install(home, itl_allowed_pem=shipped + b"\n# O=Test Studio\n" + leaf_pem)
    report = _verify(path, home)
    assert report.verdict is Verdict.TRUSTED
    signer = report.signer
    assert signer.trusted_by is TrustedBy.ITL
    assert signer.trust_list_date == "2025-08-28"
    assert "signingCredential.untrusted" not in {p.code for p in report.problems}
    # Turned off, the same file is only intact.
    off = _verify(path, home, trust_lists=frozenset({"c2pa"}))
    assert off.verdict is Verdict.VALID_UNTRUSTED
    assert off.signer.trusted_by is None


def test_itl_root_vouches(tmp_path: Path, pki: TestPKI, email_signed: tuple[Path, bytes]) -> None:
    home = tmp_path / "home"
    _install(home, itl_anchors_pem=pki.root_pem)
    report = _verify(email_signed[0], home)
    assert report.verdict is Verdict.TRUSTED
    assert report.signer.trusted_by is TrustedBy.ITL
    assert any("Interim Trust List" in s for s in report.statements)


def test_c2pa_list_needs_the_claim_signing_eku(
    tmp_path: Path, pki: TestPKI, email_signed: tuple[Path, bytes], claim_signed: tuple[Path, bytes]
) -> None:
    home = tmp_path / "home"
    _install(home, c2pa_trust_list_pem=pki.root_pem)
    good = _verify(claim_signed[0], home)
    assert good.verdict is Verdict.TRUSTED
    assert good.signer.trusted_by is TrustedBy.C2PA
    assert good.signer.trust_list == "C2PA Trust List"
    assert good.signer.trust_list_date == "2026-08-14"
    # emailProtection only: c2pa-rs accepts it, the official list does not vouch for it.
    plain = _verify(email_signed[0], home)
    assert plain.verdict is Verdict.VALID_UNTRUSTED
    assert plain.signer.trusted_by is None
    assert "provenance.trust.ekuMismatch" in {p.code for p in plain.problems}


def test_user_anchor_is_named_even_when_the_itl_also_holds_it(
    tmp_path: Path, pki: TestPKI, email_signed: tuple[Path, bytes]
) -> None:
    home = tmp_path / "home"
    _install(home, itl_anchors_pem=b"")
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_pem)
    report = _verify(email_signed[0], home, trust_files=(root,))
    assert report.signer.trusted_by is TrustedBy.USER
    # Both hold the root: the user's own anchors are named (a second read tells them apart).
    _install(home, itl_anchors_pem=pki.root_pem)
    both = _verify(email_signed[0], home, trust_files=(root,))
    assert both.verdict is Verdict.TRUSTED
    assert both.signer.trusted_by is TrustedBy.USER
    assert both.signer.trust_list_date is None
