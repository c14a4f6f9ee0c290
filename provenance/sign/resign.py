"""Re-signing a file that already has credentials: keep them as its history.

C2PA: signing over a manifest store without an ingredient drops the earlier
manifests (DESIGN.md "History").  :mod:`provenance.sign.orchestrator` makes the
file's own credentials its ``parentOf`` ingredient unless ``replace_credentials``;
this module holds the test for "has credentials", the sentences said about it, and the
check that a source read once is still the same file when signing reads it again.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from provenance import media
from provenance.errors import InputError
from provenance.sign.request import SignRequest

if TYPE_CHECKING:
    from PIL import Image

T = TypeVar("T")


#: Said when a file's own credentials were kept as its parent (re-signing without --from).
KEPT_NOTE = (
    "It already had Content Credentials: they were kept as its parent (its history), and "
    "this step is measured against the same file, so it records no change of pixels."
)
#: Said when --replace-credentials dropped them.
REPLACED_NOTE = (
    "Its earlier Content Credentials were REPLACED (--replace-credentials): their history "
    "is gone from the new file."
)
#: Recorded on AI edits declared when re-signing a file against itself.
SELF_PARENT_NOTE = (
    "made before the earlier credentials of this same file; sign with --from the version it "
    "was edited from to measure it"
)


def named(path: Path, decode: Callable[[], T]) -> T:
    """Run a decode; its "cannot decode" / "too large" error then names the file."""
    try:
        return decode()
    except InputError as exc:
        if path.name in exc.message:
            raise
        raise InputError(
            f"{path.name}: {exc.message[0].lower()}{exc.message[1:]}", hint=exc.hint
        ) from exc


#: "jumd" + the C2PA manifest store's JUMBF type UUID 63327061-0011-0010-8000-00AA00389B71.
_STORE_MARK = b"jumd" + bytes.fromhex("6332706100110010800000aa00389b71")


def has_own_credentials(source: Path, data: bytes, kind: media.MediaType) -> bool:
    """True when ``data`` carries an embedded C2PA manifest store (valid or not).

    A cheap byte test first, then the reader, so an unsigned capture costs no
    parse (c2pa's reader holds a copy of the file): every embedded store starts
    with a JUMBF description box typed with the C2PA store UUID (C2PA 2.x, 11.1.4;
    ISO 19566-5), and a remote one is named by XMP ``dcterms:provenance`` (any prefix).  Both
    marks are long enough that random image data does not hold them by chance
    (the 4 bytes "c2pa" are in about one 500 MB photo in nine).  A store only at a
    remote address cannot be kept offline: that is refused with what to do.
    """
    if _STORE_MARK not in data and b":provenance" not in data:
        return False
    from provenance import _c2pa

    result = _c2pa.read_credentials(
        io.BytesIO(data), kind.c2pa_mime, _c2pa.ReadOptions(want_thumbnails=False)
    )
    if result.outcome is _c2pa.ReadOutcome.REMOTE_ONLY:
        raise InputError(
            f"{source.name} refers to Content Credentials at a remote address, which cannot be "
            "kept as its history offline.",
            hint="Sign the original it came from with --from, or add --replace-credentials "
            "to drop them (destructive).",
        )
    return result.outcome in (_c2pa.ReadOutcome.FOUND, _c2pa.ReadOutcome.MALFORMED)


def location_dropped(request: SignRequest, opened: Image.Image) -> bool:
    """Whether the source's EXIF had GPS data that the credentials leave out.

    Only the credentials: the image's own EXIF bytes are not rewritten by signing.
    """
    if request.keep_location or request.generated or request.parent is not None:
        return False
    try:
        exif = opened.getexif()
        return bool(exif.get_ifd(0x8825))  # GPSInfo
    except Exception:  # noqa: BLE001 - broken EXIF: nothing was recorded either way
        return False


def file_identity(path: Path) -> tuple[int, int, int, int]:
    """(device, inode, size, mtime in ns) of the file, to notice it changing under us."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist.") from exc
    except OSError as exc:
        raise InputError(f"Cannot open {path}: {exc.strerror}.") from exc
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def reopen_unchanged(path: Path, identity: tuple[int, int, int, int]) -> IO[bytes]:
    """The source opened again for signing, refused if it is no longer the file measured."""
    import os

    stream = open(path, "rb")  # closed by the caller (with)
    st = os.fstat(stream.fileno())
    if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != identity:
        stream.close()
        raise InputError(
            f"{path.name} changed while it was being signed; nothing was written.",
            hint="Sign it again once nothing else is writing to it.",
        )
    return stream
