"""A picture developed from a camera RAW: the RAW as parent, with its sidecar credentials.

``sign export.jpg --from CAPTURE.CR3``: the RAW's credentials are in
``CAPTURE.CR3.c2pa`` beside it (the RAW itself is never modified).  The sidecar
is found (:func:`provenance._c2pa.find_sidecar`, the same rule verify uses), checked against the RAW's bytes, and carried into the new manifest as
the parent ingredient's manifest store, so the history shows the capture with
its camera facts.  The extent is measured against the RAW's own rendering (its
embedded preview, :func:`provenance.media.open_raw`): white balance, exposure
and a tone curve are a change of tone, not of content, and a crop or lens
geometry correction is refused for measurement like any other reshaping.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provenance import media
from provenance.errors import InputError
from provenance.models import Relationship
from provenance.sign.request import EditKind, EditSpec

if TYPE_CHECKING:
    from provenance import _c2pa

#: Sidecars are bounded like thumbnails: a manifest store is kilobytes, never megabytes.
MAX_SIDECAR_BYTES = 16 * 1024 * 1024

#: The edit recorded when a picture is signed from a RAW and no edit is declared:
#: a development is colour and tone work (C2PA 2.x, 18.15 "c2pa.color_adjustments").
DEVELOPMENT = EditSpec(
    EditKind.EDIT,
    "Developed from the camera RAW (white balance, exposure, tone)",
    action="c2pa.color_adjustments",
)


@dataclass(frozen=True, slots=True)
class ParentCredentials:
    """Where a parent's credentials are, when they are not inside its own bytes."""

    sidecar: Path
    store: bytes


def find_parent_credentials(
    parent: Path, data: bytes, kind: media.MediaType
) -> ParentCredentials | None:
    """The parent's sidecar, checked against its bytes; None when it has none.

    A RAW that does not match its sidecar (changed after signing, or the sidecar
    of another file) is refused: recording it as the capture would pass on a
    claim the bytes no longer support.
    """
    from provenance import _c2pa

    sidecar = _c2pa.find_sidecar(parent)
    if sidecar is None:
        return None
    try:
        if sidecar.stat().st_size > MAX_SIDECAR_BYTES:
            raise InputError(f"The sidecar {sidecar.name} is too large to be a manifest store.")
        store = sidecar.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read the sidecar {sidecar.name}: {exc.strerror}.") from exc
    result = _c2pa.read_credentials(
        io.BytesIO(data), kind.c2pa_mime, _c2pa.ReadOptions(want_thumbnails=False), sidecar=store
    )
    broken = result.outcome is not _c2pa.ReadOutcome.FOUND or result.store is None
    if not broken and result.store is not None:
        failures = [
            s.code
            for s in result.store.statuses
            if s.kind == "failure" and s.code != "signingCredential.untrusted"
        ]
        broken = bool(failures) or result.store.state not in ("Valid", "Trusted")
    if broken:
        raise InputError(
            f"{parent.name} does not match its credentials {sidecar.name}.",
            hint="The file was changed after it was signed, or the sidecar belongs to "
            "another file; use the original from the card.",
        )
    return ParentCredentials(sidecar, store)


def parent_ingredient(
    parent: Path,
    data: bytes,
    kind: media.MediaType,
    thumbnail: bytes,
    credentials: ParentCredentials | None,
) -> _c2pa.IngredientSource:
    """The ``parentOf`` ingredient for ``parent``, with its sidecar store when it has one."""
    from provenance import _c2pa

    return _c2pa.IngredientSource(
        title=parent.name,
        relationship=Relationship.PARENT_OF.value,
        mime=kind.c2pa_mime,
        data=data,
        thumbnail=thumbnail,
        manifest_store=credentials.store if credentials is not None else None,
        format=kind.mime,
    )
