"""Where provenance keeps its state, and the settings a user can change.

``PROVENANCE_HOME`` (or ``$XDG_CONFIG_HOME/provenance``, or ``~/.config/provenance``)
holds the signing identity, the trust store and ``settings.toml``.  Nothing here
reads the network.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import InputError
from provenance.models import TrainingPreference

HOME_ENV = "PROVENANCE_HOME"
PASSPHRASE_ENV = "PROVENANCE_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


def home_dir() -> Path:
    """The provenance home folder (not created here)."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME")
    if base:
        return Path(base) / "provenance"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "provenance"
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", Path.home())) / "provenance"
    return Path.home() / ".config" / "provenance"


def ensure_private_dir(path: Path) -> Path:
    """Create a folder readable only by its owner (keys and trust live here)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        path.chmod(0o700)
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
    path = (home or home_dir()) / "settings.toml"
    if not path.exists():
        return Settings()
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
