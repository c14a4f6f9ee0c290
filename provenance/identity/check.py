"""``keys check``: the stored identity linted against the C2PA signing-certificate profile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.errors import KeyProblem
from provenance.identity.keys import (
    CHAIN_FILE,
    KEY_FILE,
    IdentityInfo,
    check_key_permissions,
    decrypt_key,
    describe_identity,
    identity_dir,
    read_chain,
)

if TYPE_CHECKING:
    from provenance.identity.certprofile import Finding


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    """The current identity against the C2PA certificate profile.

    ``findings`` includes the profile findings plus key-storage ones (permissions);
    ``key_checked`` says whether the private key was unlocked to check it matches.
    """

    info: IdentityInfo
    findings: tuple[Finding, ...]
    days_left: int | None
    key_checked: bool

    @property
    def ok(self) -> bool:
        """True when there is no ERROR finding (warnings allowed)."""
        return not any(f.severity == "error" for f in self.findings)


def check_identity(
    home: Path, passphrase: bytes | None = None, *, now: dt.datetime | None = None
) -> IdentityCheck:
    """Lint the stored identity: profile checks, key file permissions, key match.

    Without ``passphrase`` the key is not unlocked, so whether it matches the
    certificate is not checked (everything else is).
    """
    from provenance.identity.certprofile import Finding, Severity
    from provenance.identity.chaincheck import check_chain

    info = describe_identity(home)
    folder = identity_dir(home)
    certs = read_chain(folder / CHAIN_FILE)
    extra: list[Finding] = []
    key = None
    key_path = folder / KEY_FILE
    if not key_path.exists():
        extra.append(
            Finding(
                "key_missing",
                Severity.ERROR,
                f"The private key file {key_path} is missing.",
                "Restore it from your backup, or make a new identity.",
            )
        )
    else:
        try:
            check_key_permissions(key_path)
        except KeyProblem as exc:
            extra.append(Finding("key_permissions", Severity.ERROR, exc.message, exc.hint or ""))
        else:
            if passphrase is not None:
                key, _ = decrypt_key(key_path.read_bytes(), passphrase)
    check = check_chain(certs, private_key=key, now=now)
    findings = [*check.findings, *extra]
    if info.development:
        findings.append(
            Finding(
                "development_identity",
                Severity.WARNING,
                "This is a development identity: its root is on this machine only, so readers "
                "see the signer as not trusted unless they add that root themselves.",
                "For an identity others can trust, get a certificate from a CA on the C2PA "
                "trust list: provenance keys csr (see: provenance help keys).",
            )
        )
    return IdentityCheck(
        info=info,
        findings=tuple(findings),
        days_left=check.days_left,
        key_checked=key is not None,
    )
