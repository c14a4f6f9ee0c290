"""Where the provenance home is: ``PROVENANCE_HOME``, ``$XDG_CONFIG_HOME/provenance``, or the
platform's usual folder.

Its own module (standard library only) so that the fast path of ``provenance sign``
through a running agent can find the agent's socket without importing the settings
and the value types (:mod:`provenance.config` re-exports both names).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HOME_ENV = "PROVENANCE_HOME"


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
