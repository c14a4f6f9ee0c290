"""Where provenance keeps its state, and the settings a user can change.

``PROVENANCE_HOME`` (or ``$XDG_CONFIG_HOME/provenance``, or ``~/.config/provenance``)
holds the signing identity, the trust store and ``settings.toml``.  Nothing here
reads the network.
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import InputError, UnsafeStorage
from provenance.homedir import HOME_ENV as HOME_ENV  # re-exported: the old home of both
from provenance.homedir import home_dir as home_dir
from provenance.models import TrainingPreference

PASSPHRASE_ENV = "PROVENANCE_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


def current_uid() -> int:
    """The user who must own the home folder (a seam: tests stand in another user here)."""
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _owner_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def check_secure(path: Path, *, what: str, secret: bool = False) -> os.stat_result:
    """Refuse a home folder or file another user could change, as ssh does (OpenSSH ``safe_path``).

    ``path`` must belong to this user (or root) and must not be writable by
    group or others; a ``secret`` (a key) must not be readable by them either.
    Raises :class:`UnsafeStorage` with the exact ``chmod``/``chown`` that fixes it.
    Symbolic links are followed: what counts is the folder or file they lead to.
    Returns the stat result.  Does nothing on systems without POSIX permissions.
    """
    st = path.stat()
    if os.name != "posix":
        return st
    uid = current_uid()
    quoted = shlex.quote(str(path))
    if st.st_uid not in (uid, 0):
        raise UnsafeStorage(
            f"The {what} {path} belongs to another user ({_owner_name(st.st_uid)}), who could "
            "have replaced what is in it; provenance does not use it.",
            hint=f"If it is yours, run: chown {_owner_name(uid)} {quoted}   "
            "(or set PROVENANCE_HOME to a folder of your own).",
        )
    mode = stat.S_IMODE(st.st_mode)
    is_dir = stat.S_ISDIR(st.st_mode)
    fixed = 0o700 if is_dir else 0o600 if secret else 0o644
    limit = 0o077 if secret else 0o022
    if mode & limit:
        who = "read" if secret and not mode & 0o022 else "changed"
        raise UnsafeStorage(
            f"The {what} {path} can be {who} by other users (mode {mode:03o}); "
            "provenance does not use it.",
            hint=f"Run: chmod {fixed:o} {quoted}",
        )
    return st


def store_folder(home: Path, name: str, *, create: bool = False) -> Path | None:
    """The home folder's ``name`` sub-folder (``identity``, ``trust``), checked like ssh checks ~/.ssh.

    With ``create`` the home and the sub-folder are made 0700 whatever the umask
    (and their parents too, when missing).  Without it, a missing sub-folder is
    None.  Either way, what exists is checked with :func:`check_secure` before
    anything in it is read or written, so a trust store another user can swap is
    never read.
    """
    from provenance.outputs import make_folder

    folder = home / name
    if create:
        make_folder(folder, mode=0o700)
    if home.exists():
        check_secure(home, what="provenance home folder")
    if not folder.exists():
        return None
    check_secure(folder, what=f"{name} folder")
    return folder


def ensure_private_dir(path: Path) -> Path:
    """Create a folder readable only by its owner (0700, whatever the umask), or check it.

    A folder that already exists is not changed: it must pass :func:`check_secure`.
    """
    from provenance.outputs import make_folder

    make_folder(path, mode=0o700)
    check_secure(path, what="folder")
    return path


@dataclass(frozen=True, slots=True)
class Settings:
    """User settings from ``settings.toml`` (all optional)."""

    tsa_url: str | None = None
    #: Seconds the TSA pre-flight may take (provenance.sign.timestamp); None = its default.
    tsa_timeout: float | None = None
    training: TrainingPreference = TrainingPreference.NOT_ALLOWED
    max_file_bytes: int = 512 * 1024 * 1024
    max_pixels: int = 200_000_000


_DEFAULTS = Settings()
_KNOWN_KEYS = {"tsa_url", "tsa_timeout", "training", "max_file_bytes", "max_pixels"}


def load_settings(home: Path | None = None) -> Settings:
    """Read ``settings.toml`` from the home folder; missing file means defaults.

    Unknown keys are an error: a misspelt setting silently ignored is how a
    photographer ends up signing without the timestamp they asked for.
    """
    folder = home or home_dir()
    path = folder / "settings.toml"
    if not path.exists():
        return Settings()
    check_secure(folder, what="provenance home folder")
    check_secure(path, what="settings file")
    import tomllib  # only when there is a file: every sign and verify calls this

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"The settings file {path} cannot be read.", hint="Fix or delete it."
        ) from exc
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise InputError(
            f"Unknown setting(s) in {path}: {', '.join(sorted(unknown))}.",
            hint=f"Known settings: {', '.join(sorted(_KNOWN_KEYS))}.",
        )
    try:
        return Settings(
            tsa_url=str(data["tsa_url"]) if data.get("tsa_url") else None,
            tsa_timeout=float(data["tsa_timeout"]) if "tsa_timeout" in data else None,
            training=TrainingPreference(data.get("training", TrainingPreference.NOT_ALLOWED.value)),
            max_file_bytes=int(data.get("max_file_bytes", _DEFAULTS.max_file_bytes)),
            max_pixels=int(data.get("max_pixels", _DEFAULTS.max_pixels)),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"A setting in {path} has the wrong type or value: {exc}.") from exc
