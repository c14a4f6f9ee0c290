"""The trust store: the root certificates that make a signer "trusted".

Valid is not Trusted (DESIGN.md): anyone can mint a certificate that says
"Reuters".  Only a signer chaining to an anchor the *reader* chose is shown as an
identity.  Anchors live as PEM files in ``$PROVENANCE_HOME/trust/``; a single
``verify --trust ROOT.pem`` adds anchors for one call only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.config import check_secure, store_folder
from provenance.errors import CredentialError, InputError
from provenance.outputs import write_home_file

if TYPE_CHECKING:
    from cryptography import x509


@dataclass(frozen=True, slots=True)
class Anchor:
    """One trusted root as stored."""

    id: str
    subject: str
    organization: str | None
    not_after: str
    fingerprint_sha256: str
    path: Path
    #: "Common Name (Organization)", cleaned of control characters, for people to read.
    label: str = ""


@dataclass(frozen=True, slots=True)
class RefusedAnchor:
    """A certificate from a bundle that was not added, and why."""

    subject: str
    reason: str
    label: str = ""


TRUST_FOLDER = "trust"


def trust_dir(home: Path) -> Path:
    """Folder of stored anchors."""
    return home / TRUST_FOLDER


def _load_pem_certs(data: bytes, source: str) -> list[x509.Certificate]:
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CredentialError(
            f"{source} does not contain PEM certificates.",
            hint="A trust anchor is a PEM file with one or more BEGIN CERTIFICATE blocks.",
        ) from exc
    return certs


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _label(cert: x509.Certificate) -> str:
    """A readable name; certificate text is attacker-controlled, so it is cleaned."""
    from cryptography.x509.oid import NameOID

    from provenance.sanitize import certificate_name, clean_text

    cn = certificate_name(cert.subject, NameOID.COMMON_NAME)
    org = _org(cert)
    if cn and org and org != cn:
        return f"{cn} ({org})"
    return cn or org or clean_text(_subject(cert)) or "(no name)"


def _org(cert: x509.Certificate) -> str | None:
    from cryptography.x509.oid import NameOID

    from provenance.sanitize import certificate_name

    return certificate_name(cert.subject, NameOID.ORGANIZATION_NAME)


def anchor_problem(cert: x509.Certificate, now: dt.datetime | None = None) -> str | None:
    """Why a certificate cannot be a trust anchor (None when it can)."""
    from cryptography import x509

    now = now or dt.datetime.now(dt.UTC)
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = basic.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        return "it is not a CA certificate (a trust anchor must be a root or intermediate CA)"
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not usage.key_cert_sign:
        # RFC 5280, 4.2.1.3: a CA key that signs certificates must assert keyCertSign,
        # and validators (c2pa-rs among them) refuse chains through one that does not.
        return (
            "its Key Usage does not allow signing certificates (keyCertSign is missing), "
            "so nothing it issued can be trusted through it"
        )
    if cert.not_valid_after_utc < now:
        return f"it expired on {cert.not_valid_after_utc.date().isoformat()}"
    if cert.not_valid_before_utc > now:
        return "it is not yet valid"
    return None


def _anchor_id(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex()[:16]


def _describe(cert: x509.Certificate, path: Path) -> Anchor:
    from cryptography.hazmat.primitives import hashes

    return Anchor(
        id=_anchor_id(cert),
        subject=_subject(cert),
        organization=_org(cert),
        not_after=cert.not_valid_after_utc.isoformat(),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        path=path,
        label=_label(cert),
    )


def add_anchors(home: Path, pem_file: Path) -> tuple[list[Anchor], list[RefusedAnchor]]:
    """Add every usable CA certificate of a PEM bundle; report the refused ones with reasons."""
    from cryptography.hazmat.primitives import serialization

    try:
        data = pem_file.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {pem_file}: {exc.strerror}.") from exc
    certs = _load_pem_certs(data, str(pem_file))
    folder = store_folder(home, TRUST_FOLDER, create=True)
    assert folder is not None
    added, refused = [], []
    for cert in certs:
        problem = anchor_problem(cert)
        if problem:
            refused.append(RefusedAnchor(_subject(cert), problem, _label(cert)))
            continue
        path = folder / f"{_anchor_id(cert)}.pem"
        write_home_file(path, cert.public_bytes(serialization.Encoding.PEM))
        added.append(_describe(cert, path))
    return added, refused


def _stored_files(home: Path) -> list[Path]:
    """The anchor files of the store, each checked like ssh checks its keys.

    The home and ``trust/`` must belong to this user and not be writable by
    others, and so must every anchor file: another user who could put a root
    here could make their own signatures read as trusted.
    """
    folder = store_folder(home, TRUST_FOLDER)
    if folder is None:
        return []
    files = sorted(folder.glob("*.pem"))
    for path in files:
        check_secure(path, what="trust anchor file")
    return files


def list_anchors(home: Path) -> list[Anchor]:
    """Stored anchors, sorted by subject."""
    anchors = []
    for path in _stored_files(home):
        for cert in _load_pem_certs(path.read_bytes(), str(path)):
            anchors.append(_describe(cert, path))
    return sorted(anchors, key=lambda a: a.subject)


def remove_anchor(home: Path, selector: str) -> list[Anchor]:
    """Remove anchors whose id or fingerprint starts with ``selector``, or whose file matches."""
    if not re.fullmatch(r"[0-9a-fA-F:]{4,}", selector) and not selector.endswith(".pem"):
        raise InputError(
            f"'{selector}' is not an anchor id.", hint="See the ids with: provenance trust list"
        )
    wanted = selector.replace(":", "").lower()
    removed = []
    for anchor in list_anchors(home):
        if anchor.fingerprint_sha256.startswith(wanted) or anchor.path.name == Path(selector).name:
            anchor.path.unlink(missing_ok=True)
            removed.append(anchor)
    if not removed:
        raise InputError(
            f"No trust anchor matches '{selector}'.", hint="See: provenance trust list"
        )
    return removed


def anchors_pem(home: Path | None, extra_files: Iterable[Path] = ()) -> str:
    """All anchors for one verification: the store plus ``--trust`` files, as one PEM string."""
    chunks: list[bytes] = []
    if home is not None:
        chunks.extend(p.read_bytes() for p in _stored_files(home))
    for path in extra_files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Cannot read trust anchor file {path}: {exc.strerror}.") from exc
        # Only files named on the command line are parsed here (the store was checked
        # when anchors were added), so a plain verify never loads cryptography.
        from cryptography.hazmat.primitives import serialization

        certs = _load_pem_certs(data, str(path))
        chunks.extend(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    return b"".join(chunks).decode("ascii")
