"""Versions of what verifies and signs, for ``--version``, without loading c2pa.

``provenance --version`` must stay cheap (no c2pa import, tests/cli/test_startup.py):
c2pa-python's version comes from its installed metadata, and the c2pa-rs version it
bundles from a table of the releases we tested.  A test checks the table against the
loaded library (tests/unit/test_versions.py), so it cannot silently drift.
"""

from __future__ import annotations

from importlib import metadata

#: c2pa-python release -> the c2pa-rs version it bundles (``c2pa.sdk_version()``).
C2PA_RS_FOR_PYTHON = {"0.38.1": "0.91.3"}


def c2pa_python_version() -> str | None:
    """The installed c2pa-python version, or None when it is not installed."""
    try:
        return metadata.version("c2pa-python")
    except metadata.PackageNotFoundError:
        return None


def versions_line() -> str:
    """'c2pa-python 0.38.1, c2pa-rs 0.91.3' (rs: 'unknown' for an untested c2pa-python)."""
    python = c2pa_python_version()
    if python is None:
        return "c2pa-python not installed"
    rust = C2PA_RS_FOR_PYTHON.get(python, "unknown (an untested c2pa-python release)")
    return f"c2pa-python {python}, c2pa-rs {rust}"
