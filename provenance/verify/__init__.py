"""Verifying one file: file -> :class:`~provenance.models.Report`, never raising for bad credentials.

Public API::

    from provenance.verify import VerifyOptions, verify_file
    report = verify_file(Path("photo.jpg"), VerifyOptions())
    report = verify_bytes(data, "photo.jpg", VerifyOptions())   # the same, from memory

Modules: :mod:`.verifier` (the verdict, the chain walk, the report), :mod:`.statements`
(the plain "what's real" sentences), :mod:`.statuscodes` (C2PA status codes in plain
words), :mod:`.remote` (bounded remote-manifest fetch, opt-in), :mod:`.observe`
(declared vs observed extent against the parent thumbnail).
"""

from provenance.verify.verifier import (
    HISTORY_PREFIX,
    VerifyOptions,
    ai_summary,
    any_ai,
    build_report,
    verdict_for,
    verify_bytes,
    verify_file,
)

__all__ = [
    "HISTORY_PREFIX",
    "VerifyOptions",
    "ai_summary",
    "any_ai",
    "build_report",
    "verdict_for",
    "verify_bytes",
    "verify_file",
]
