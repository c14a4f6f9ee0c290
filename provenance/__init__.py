"""provenance: honest, verifiable disclosure for photographs, built on C2PA Content Credentials.

The library never prints and never exits; the ``provenance`` command (``provenance_cli``)
is a thin layer over it.  Importing this package is cheap: heavy dependencies
(c2pa, numpy, Pillow) load only when a function needs them, and the names below are
resolved on first use.

Example::

    from pathlib import Path
    import provenance

    report = provenance.verify_file(Path("photo.jpg"), provenance.VerifyOptions())
    print(report.verdict, report.ai.area_fraction if report.ai else None)

    request = provenance.SignRequest(source=Path("final.jpg"), output=Path("out/final.jpg"),
                                     parent=Path("capture.jpg"))
    # provenance.sign_image(request, identity) signs, verifies the output, then moves it into place.

The packages, one per job (docs/architecture.md): :mod:`provenance.sign` (make a
signature), :mod:`provenance.verify` (check one), :mod:`provenance.extent` (measure
what an edit changed), :mod:`provenance.identity` (keys, certificates, trust),
:mod:`provenance.report` (text, JSON, HTML), :mod:`provenance.volume` (many files).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from provenance.errors import ProvenanceError as ProvenanceError
    from provenance.models import Report as Report
    from provenance.models import Verdict as Verdict
    from provenance.sign import EditKind as EditKind
    from provenance.sign import EditSpec as EditSpec
    from provenance.sign import SignRequest as SignRequest
    from provenance.sign import sign_image as sign_image
    from provenance.verify import VerifyOptions as VerifyOptions
    from provenance.verify import verify_file as verify_file

#: Public name -> the module that defines it (imported on first attribute access).
_PUBLIC = {
    "ProvenanceError": "provenance.errors",
    "Report": "provenance.models",
    "Verdict": "provenance.models",
    "EditKind": "provenance.sign.request",
    "EditSpec": "provenance.sign.request",
    "SignRequest": "provenance.sign.request",
    "sign_image": "provenance.sign",
    "VerifyOptions": "provenance.verify",
    "verify_file": "provenance.verify",
}

__all__ = [*sorted(_PUBLIC), "__version__"]


def __getattr__(name: str) -> Any:
    """Resolve a public name lazily (PEP 562), so ``import provenance`` stays cheap."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'provenance' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
