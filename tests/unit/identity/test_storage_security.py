"""The home folder like ssh's ~/.ssh: explicit modes, and nothing another user could change is used.

Issue 22: with umask 000 ``trust add`` made PROVENANCE_HOME 0777, another local user
replaced ``trust/`` with their own root, and a file signed by them read as TRUSTED.
CI runs as root, so "another user" is real here: a folder is chowned to another uid,
or a forked child drops to ``nobody`` with os.setuid.  Without root the ownership
tests stand in another user through the ``config.current_uid`` seam.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from provenance import config
from provenance.errors import KeyProblem, UnsafeStorage
from provenance.identity import keys, trust
from provenance.identity.csr import create_csr

PASS = b"correct horse battery staple"
OTHER_UID = 54321


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture()
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _give_to_another_user(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() == 0:
        os.chown(path, OTHER_UID, -1)
    else:  # no chown without root: make the owner look foreign instead
        real = os.geteuid()
        monkeypatch.setattr(config, "current_uid", lambda: real + 1)


def _ca(tmp_path: Path, *, key_cert_sign: bool) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Odd CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, key_cert_sign, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / f"ca-{key_cert_sign}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_trust_add_under_umask_000_makes_private_folders(
    tmp_path: Path, root_pem_file: Path, umask_000: None
) -> None:
    home = tmp_path / "fresh" / "home"
    added, refused = trust.add_anchors(home, root_pem_file)
    assert added and not refused
    assert _mode(home) == 0o700
    assert _mode(home / "trust") == 0o700
    assert _mode(added[0].path) == 0o644
    assert _mode(home.parent) == 0o700  # a missing parent we made is private too


def test_world_writable_home_is_refused_with_the_fix(tmp_path: Path, root_pem_file: Path) -> None:
    home = tmp_path / "home"
    trust.add_anchors(home, root_pem_file)
    home.chmod(0o777)
    with pytest.raises(UnsafeStorage, match="can be changed by other users") as caught:
        trust.anchors_pem(home)
    assert caught.value.hint == f"Run: chmod 700 {home}"
    with pytest.raises(UnsafeStorage):
        trust.list_anchors(home)
    with pytest.raises(UnsafeStorage):
        trust.add_anchors(home, root_pem_file)


def test_group_writable_trust_folder_is_refused(tmp_path: Path, root_pem_file: Path) -> None:
    home = tmp_path / "home"
    trust.add_anchors(home, root_pem_file)
    (home / "trust").chmod(0o770)
    with pytest.raises(UnsafeStorage, match="trust folder") as caught:
        trust.anchors_pem(home)
    assert "chmod 700" in (caught.value.hint or "")


def test_trust_folder_of_another_user_is_refused(
    tmp_path: Path, root_pem_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    trust.add_anchors(home, root_pem_file)
    _give_to_another_user(home / "trust", monkeypatch)
    with pytest.raises(UnsafeStorage, match="belongs to another user") as caught:
        trust.anchors_pem(home)
    assert "chown" in (caught.value.hint or "")


def test_writable_anchor_file_is_refused(tmp_path: Path, root_pem_file: Path) -> None:
    home = tmp_path / "home"
    added, _ = trust.add_anchors(home, root_pem_file)
    added[0].path.chmod(0o666)
    with pytest.raises(UnsafeStorage, match="trust anchor file") as caught:
        trust.anchors_pem(home)
    assert caught.value.hint == f"Run: chmod 644 {added[0].path}"


def test_trust_add_refuses_a_ca_without_key_cert_sign(tmp_path: Path) -> None:
    home = tmp_path / "home"
    added, refused = trust.add_anchors(home, _ca(tmp_path, key_cert_sign=False))
    assert not added
    assert "keyCertSign" in refused[0].reason
    added, refused = trust.add_anchors(home, _ca(tmp_path, key_cert_sign=True))
    assert added and not refused


def test_identity_files_have_exact_modes_under_umask_000(tmp_path: Path, umask_000: None) -> None:
    home = tmp_path / "home"
    info = keys.init_identity(home, "Jane", "Studio", PASS)
    folder = home / "identity"
    assert _mode(home) == 0o700 and _mode(folder) == 0o700
    assert _mode(info.key_file) == 0o600
    for name in (keys.CHAIN_FILE, keys.ROOT_FILE, keys.INFO_FILE):
        assert _mode(folder / name) == 0o644, name
    csr = create_csr(home, "Jane", "Studio", PASS)
    assert _mode(csr.csr_path) == 0o644
    assert _mode(csr.pending_key) == 0o600


def test_planted_key_temp_file_is_not_adopted(tmp_path: Path) -> None:
    """A 0666 file or a symlink at the old fixed temp name gave a 0666 or redirected key."""
    home = tmp_path / "home"
    folder = home / "identity"
    folder.mkdir(parents=True, mode=0o700)
    home.chmod(0o700)
    elsewhere = tmp_path / "stolen"
    (folder / ".key.p12.tmp").symlink_to(elsewhere)
    planted = folder / ".pending_key.p12.tmp"
    planted.write_bytes(b"")
    planted.chmod(0o666)
    info = keys.init_identity(home, "Jane", "Studio", PASS)
    assert not elsewhere.exists()
    assert _mode(info.key_file) == 0o600
    assert planted.read_bytes() == b""  # not ours: left alone, never written


def test_identity_folder_others_can_change_blocks_signing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    keys.init_identity(home, "Jane", "Studio", PASS)
    (home / "identity").chmod(0o777)
    with pytest.raises(KeyProblem, match="identity folder") as caught:
        keys.prepare_unlock(home, PASS)
    assert "chmod 700" in (caught.value.hint or "")


def test_key_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    info = keys.init_identity(home, "Jane", "Studio", PASS)
    _give_to_another_user(info.key_file, monkeypatch)
    with pytest.raises(KeyProblem, match="another user"):
        keys.prepare_unlock(home, PASS)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to become another user"
)
def test_another_user_cannot_swap_the_trust_store(root_pem_file: Path, umask_000: None) -> None:
    """The attack itself: after ``trust add`` under umask 000, a second local user
    (a forked child that became ``nobody``) tries to replace ``trust/``."""
    base = Path(tempfile.mkdtemp(prefix="pv-swap-"))
    try:
        base.chmod(0o755)  # the attacker may reach the home's parent, as in a shared machine
        home = base / "home"
        trust.add_anchors(home, root_pem_file)
        pid = os.fork()
        if pid == 0:  # the attacker
            code = 0
            try:
                os.setgid(65534)
                os.setuid(65534)
                try:
                    os.rename(home / "trust", base / "stolen")
                    code = 1
                except PermissionError:
                    pass
                try:
                    (home / "trust" / "evil.pem").write_bytes(b"x")
                    code = 1
                except PermissionError:
                    pass
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the other user got in"
        assert trust.anchors_pem(home)  # still ours, still readable
    finally:
        shutil.rmtree(base)


def test_updated_trust_lists_others_can_change_are_refused(tmp_path: Path) -> None:
    from provenance.identity import trust_lists

    home = tmp_path / "home"
    folder = trust_lists.lists_dir(home)
    config.ensure_private_dir(folder)
    (folder / "index.json").write_text('{"format": 1, "sources": {}}')
    (folder / "index.json").chmod(0o644)
    assert trust_lists.load_sources(home)  # the shipped lists
    folder.chmod(0o777)
    with pytest.raises(UnsafeStorage, match="trust-lists folder"):
        trust_lists.load_sources(home)
