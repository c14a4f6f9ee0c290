"""Signing one image: read, describe, build the manifest, sign to a temp file, verify, replace.

Public API::

    from provenance.sign import SignRequest, EditSpec, EditKind, sign_image

Modules: :mod:`.orchestrator` (``sign_image``, the one entry point), :mod:`.request`
(the request values, cheap to import), :mod:`.manifest` (the definition c2pa's
Builder takes), :mod:`.capture` (camera facts from EXIF), :mod:`.recipe` (scripted
signing), :mod:`.timestamp` (RFC 3161 time-stamp authorities), :mod:`.allocator`.
"""

from provenance.sign.orchestrator import (
    SHARED_NOTE,
    UNMEASURED_NOTE,
    SignResult,
    sign_image,
    write_signed,
)
from provenance.sign.request import EditKind, EditSpec, SignRequest

__all__ = [
    "SHARED_NOTE",
    "UNMEASURED_NOTE",
    "EditKind",
    "EditSpec",
    "SignRequest",
    "SignResult",
    "sign_image",
    "write_signed",
]
