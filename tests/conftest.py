"""Shared test fixtures: an isolated PROVENANCE_HOME, identities, sample photos."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

PASSPHRASE = "correct horse battery staple"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = SHARED / "conformance"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty provenance home with the passphrase in the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("PROVENANCE_HOME", str(home))
    monkeypatch.setenv("PROVENANCE_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture()
def identity_home(home: Path) -> Path:
    """A home with a development identity (Jane Doe, Doe Studio)."""
    from provenance.identity.keys import init_identity

    init_identity(home, "Jane Doe", "Doe Studio", PASSPHRASE.encode())
    return home


@pytest.fixture(scope="session")
def dev_identity() -> Iterator[tuple[object, bytes]]:
    """An in-memory identity and its root PEM, shared by the session (fast)."""
    from provenance.identity.keys import ephemeral_identity

    yield ephemeral_identity("Test Photographer", "Test Studio")


@pytest.fixture()
def photo(tmp_path: Path) -> Path:
    """A JPEG capture with camera EXIF."""
    from fixtures.generate import write_photo

    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    return write_photo(folder, "jpeg")


@pytest.fixture()
def root_pem_file(tmp_path: Path, dev_identity: tuple[object, bytes]) -> Path:
    """The session identity's root certificate as a file."""
    path = tmp_path / "root.pem"
    path.write_bytes(dev_identity[1])
    return path
