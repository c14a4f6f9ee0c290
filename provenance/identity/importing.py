"""Importing a CA-issued identity (PEM or PKCS#12), checked against the C2PA profile first.

A chain c2pa-rs would refuse is refused here, in plain words, before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.errors import CredentialError, InputError, KeyProblem
from provenance.identity.keys import (
    PENDING_KEY_FILE,
    IdentityInfo,
    IdentityKind,
    _algorithm_for,
    _refuse_replacing,
    _store_identity,
    check_key_permissions,
    decrypt_key,
    describe_identity,
    encrypt_key,
    identity_dir,
)

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from provenance.identity.certprofile import ChainCheck, Finding


class ChainRejected(CredentialError):
    """The certificate chain fails the C2PA certificate profile; nothing was stored.

    ``check`` holds every finding (errors and warnings) in plain words with a fix.
    """

    def __init__(self, check: ChainCheck) -> None:
        errors = check.errors
        first = errors[0] if errors else None
        super().__init__(
            "The certificate cannot sign Content Credentials: "
            + " ".join(f.message for f in errors),
            hint=first.fix if first else None,
            diagnostics=tuple(f"{f.code}: {f.fix}" for f in errors),
        )
        self.check = check


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What was stored by :func:`import_identity`, and the warnings worth knowing."""

    info: IdentityInfo
    warnings: tuple[Finding, ...]
    used_pending_key: bool


PassphraseSource = Callable[[], bytes]


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"The {what} {path} does not exist.") from exc
    except OSError as exc:
        raise InputError(f"Cannot read the {what} {path}: {exc.strerror}.") from exc


def load_private_key(data: bytes, ask_passphrase: PassphraseSource | None) -> PrivateKeyTypes:
    """A private key from PEM (plain or encrypted) or DER; asks for a passphrase only if needed."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import (
        load_der_private_key,
        load_pem_private_key,
    )

    if b"CERTIFICATE-----" in data and b"PRIVATE KEY-----" not in data:
        raise KeyProblem(
            "The key file holds a certificate, not a private key.",
            hint="Give the private key with --key, and the certificate chain with --cert.",
        )
    encrypted = b"ENCRYPTED" in data
    password: bytes | None = None
    if encrypted:
        if ask_passphrase is None:
            raise KeyProblem(
                "The private key is encrypted and no passphrase was given.",
                hint="Set PROVENANCE_IMPORT_KEY_PASSPHRASE, or run the command in a terminal.",
            )
        password = ask_passphrase()
    loader = load_pem_private_key if b"-----BEGIN" in data else load_der_private_key
    try:
        return loader(data, password)
    except TypeError as exc:
        # Raised when a key needs a password we did not know it needed.
        raise KeyProblem(
            "The private key is encrypted and no passphrase was given.",
            hint="Set PROVENANCE_IMPORT_KEY_PASSPHRASE, or run the command in a terminal.",
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        if encrypted:
            raise KeyProblem(
                "The passphrase of the private key is wrong, or the key file is damaged.",
                hint="Check PROVENANCE_IMPORT_KEY_PASSPHRASE (or what you typed).",
            ) from exc
        raise KeyProblem(
            "The key file does not contain a private key that can be read.",
            hint="Give a PEM private key (BEGIN PRIVATE KEY / BEGIN EC PRIVATE KEY / "
            "BEGIN RSA PRIVATE KEY), or use --p12 for a PKCS#12 file.",
        ) from exc


def _load_p12(
    data: bytes, ask_passphrase: PassphraseSource | None
) -> tuple[PrivateKeyTypes, list[x509.Certificate]]:
    from cryptography.hazmat.primitives.serialization import pkcs12

    def attempt(password: bytes | None) -> tuple[PrivateKeyTypes, list[x509.Certificate]] | None:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            return None
        if key is None or cert is None:
            raise KeyProblem(
                "The PKCS#12 file does not hold both a private key and its certificate.",
                hint="Export the signing certificate together with its private key.",
            )
        return key, [cert, *extra]

    # Some exports have no password; try that before asking.
    loaded = attempt(None)
    if loaded is None and ask_passphrase is not None:
        loaded = attempt(ask_passphrase())
    if loaded is None:
        raise KeyProblem(
            "The PKCS#12 file could not be opened: the passphrase is wrong or the file is damaged.",
            hint="Check PROVENANCE_IMPORT_KEY_PASSPHRASE (or what you typed).",
        )
    return loaded


def _self_signed_roots(
    certs: list[x509.Certificate], chain: tuple[x509.Certificate, ...]
) -> list[x509.Certificate]:
    """Self-signed CA certificates given with the chain (kept as root.pem, not in the chain)."""
    from cryptography import x509 as x509_mod

    roots = []
    for cert in certs:
        if cert in chain or cert.issuer != cert.subject:
            continue
        try:
            basic = cert.extensions.get_extension_for_class(x509_mod.BasicConstraints).value
        except (x509_mod.ExtensionNotFound, ValueError):
            continue
        if basic.ca and cert not in roots:
            roots.append(cert)
    return roots


def import_identity(
    home: Path,
    store_passphrase: bytes,
    *,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    p12_file: Path | None = None,
    ask_key_passphrase: PassphraseSource | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Check a CA-issued chain against the C2PA profile and, only if it passes, store it.

    The key comes from ``key_file`` (PEM/DER, maybe encrypted), from ``p12_file``
    (which also carries the certificates), or, with neither, from the pending key of
    :func:`create_csr`.  ``ask_key_passphrase`` is called only when the input key is
    encrypted.  Certificates in the wrong order are put right; a root given with the
    chain is stored as ``root.pem``.  Raises :class:`ChainRejected` (nothing stored)
    when the profile check finds an error.
    """
    from provenance.identity.certprofile import load_pem_chain
    from provenance.identity.chaincheck import check_chain

    if p12_file is not None and key_file is not None:
        raise InputError("Give either --p12 or --key, not both.")
    if p12_file is None and cert_file is None:
        raise InputError(
            "Give the certificate chain with --cert CHAIN.pem (or a PKCS#12 file with --p12)."
        )
    _refuse_replacing(home, force)
    certs: list[x509.Certificate] = []
    used_pending = False
    if p12_file is not None:
        key, certs = _load_p12(_read(p12_file, "PKCS#12 file"), ask_key_passphrase)
    elif key_file is not None:
        key = load_private_key(_read(key_file, "key file"), ask_key_passphrase)
    else:
        pending = identity_dir(home) / PENDING_KEY_FILE
        if not pending.exists():
            raise KeyProblem(
                "No private key was given, and no certificate request is waiting.",
                hint="Give the key with --key KEY.pem (or --p12), or start with "
                "'provenance keys csr'.",
            )
        check_key_permissions(pending)
        key, _ = decrypt_key(pending.read_bytes(), store_passphrase)
        used_pending = True
    if cert_file is not None:
        # A --cert given with --p12 replaces the certificates in the PKCS#12 file.
        certs = load_pem_chain(_read(cert_file, "certificate file"))

    check = check_chain(certs, private_key=key, now=now)
    if not check.ok:
        raise ChainRejected(check)
    chain = list(check.chain)
    _algorithm_for(key)  # refuses key types C2PA cannot sign with
    blob = encrypt_key(key, store_passphrase)
    _store_identity(
        home, blob, chain, _self_signed_roots(certs, check.chain), IdentityKind.IMPORTED
    )
    if used_pending:
        (identity_dir(home) / PENDING_KEY_FILE).unlink(missing_ok=True)
    return ImportResult(
        info=describe_identity(home), warnings=check.warnings, used_pending_key=used_pending
    )


# --------------------------------------------------------------------- check
