"""Signing one image: read, describe, build the manifest, sign to a temp file, verify, replace.

Public API::

    from provenance.sign import SignRequest, EditSpec, EditKind, sign_image

Modules: :mod:`.orchestrator` (``sign_image``, the one entry point), :mod:`.request`
(the request values, cheap to import), :mod:`.manifest` (the definition c2pa's
Builder takes), :mod:`.capture` (camera facts from EXIF), :mod:`.recipe` (scripted
signing), :mod:`.timestamp` (RFC 3161 time-stamp authorities), :mod:`.allocator`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provenance.sign.orchestrator import SHARED_NOTE as SHARED_NOTE
    from provenance.sign.orchestrator import UNMEASURED_NOTE as UNMEASURED_NOTE
    from provenance.sign.orchestrator import SignResult as SignResult
    from provenance.sign.orchestrator import sign_image as sign_image
    from provenance.sign.orchestrator import write_signed as write_signed
    from provenance.sign.request import EditKind as EditKind
    from provenance.sign.request import EditSpec as EditSpec
    from provenance.sign.request import SignRequest as SignRequest

#: Public name -> its module.  Resolved on first use (PEP 562), so that importing
#: the cheap request values (``provenance.sign.request``, all ``provenance sign``
#: and the agent client need to start) does not load the signing machinery.
_PUBLIC = {
    "SHARED_NOTE": "provenance.sign.orchestrator",
    "UNMEASURED_NOTE": "provenance.sign.orchestrator",
    "SignResult": "provenance.sign.orchestrator",
    "sign_image": "provenance.sign.orchestrator",
    "write_signed": "provenance.sign.orchestrator",
    "EditKind": "provenance.sign.request",
    "EditSpec": "provenance.sign.request",
    "SignRequest": "provenance.sign.request",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'provenance.sign' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
