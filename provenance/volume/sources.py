"""Where the files to check come from: folders, glob patterns, object storage, manifests.

Every input is a *source*: a string that is either a local path or a URL that
fsspec can open (``s3://bucket/key``, ``gs://…``, ``https://…``).  Sources are
enumerated lazily, one at a time, so a folder, a bucket prefix or a manifest of
a hundred million entries never becomes a list in memory: a local folder costs
one directory's listing at a time, an S3 prefix one page of 1,000 keys
(``ListObjectsV2`` with a continuation token), a manifest one line.

Object storage is reached through fsspec and its well-kept back-ends (s3fs
for S3), installed with the optional extra ``provenance[dask]``.  Credentials and
endpoints come from the back-end's usual configuration (for S3: the AWS
environment variables and files, ``AWS_ENDPOINT_URL`` for an S3-compatible
server); nothing here handles secrets.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from provenance.errors import InputError

#: File name endings picked up inside folders and prefixes.
IMAGE_SUFFIXES = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".png",
        ".webp",
        ".tif",
        ".tiff",
        ".heic",
        ".heif",
        ".avif",
        ".gif",
        ".dng",
        # Camera RAW (credentials in a FILE.c2pa sidecar beside each one).
        ".cr3",
        ".cr2",
        ".nef",
        ".nrw",
        ".arw",
        ".orf",
        ".raf",
        ".rw2",
        ".pef",
        ".svg",
        ".jxl",
        ".c2pa",
    }
)

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB_CHARS = frozenset("*?[")
_READ_CHUNK = 1024 * 1024
_EXTRA_HINT = "Install the optional extra: pip install 'provenance[dask]'."


def is_url(source: str) -> bool:
    """True for ``scheme://…`` sources other than ``file://`` (those are local paths)."""
    return bool(_URL.match(source)) and not source.lower().startswith("file://")


def _local(source: str) -> str:
    return source[len("file://") :] if source.lower().startswith("file://") else source


def has_glob(source: str) -> bool:
    """True when ``source`` contains glob wildcards (``*``, ``?``, ``[``)."""
    return any(ch in _GLOB_CHARS for ch in source)


def is_image_name(name: str) -> bool:
    """A file name we look at inside folders: an image suffix and not hidden."""
    base = name.rsplit("/", 1)[-1]
    return not base.startswith(".") and os.path.splitext(base)[1].lower() in IMAGE_SUFFIXES


def walk_folder(folder: str) -> Iterator[str]:
    """Images below ``folder``, one directory listing in memory at a time, in a stable order.

    Hidden entries (temp files such as ``.x.jpg.1234.partial``) are skipped and
    symbolic links to folders are not followed (no loops).  A ``.c2pa`` sidecar
    whose file is beside it (``IMG_1.CR3.c2pa`` next to ``IMG_1.CR3``) is not a
    file of its own: verify pairs it with its file; only an orphan sidecar is listed.
    """
    for current, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        names = {f for f in filenames if not f.startswith(".")}
        for filename in sorted(names - _paired_sidecars(names)):
            if is_image_name(filename):
                yield os.path.join(current, filename)


def _paired_sidecars(names: set[str]) -> set[str]:
    """The ``.c2pa`` names among ``names`` that belong to a file beside them.

    The same two spellings :func:`provenance._c2pa.find_sidecar` accepts:
    ``photo.jpg.c2pa`` and ``photo.c2pa`` for ``photo.jpg``.
    """
    paired: set[str] = set()
    for name in names:
        if name.lower().endswith(".c2pa"):
            continue
        for sidecar in (name + ".c2pa", name.rsplit(".", 1)[0] + ".c2pa"):
            if sidecar in names:
                paired.add(sidecar)
    return paired


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as exc:
        raise InputError(
            f"Reading {url.split('://', 1)[0]}:// URLs needs fsspec, which is not installed.",
            hint=_EXTRA_HINT,
        ) from exc
    try:
        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        raise InputError(
            f"Cannot open {url.split('://', 1)[0]}:// URLs ({exc}).", hint=_EXTRA_HINT
        ) from exc


def _s3_objects(fs: Any, path: str) -> Iterator[str] | None:
    """Keys under an S3 prefix, one ``ListObjectsV2`` page at a time (None: not S3)."""
    iterdir = getattr(fs, "_iterdir", None)
    if iterdir is None or "s3" not in (
        fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    ):
        return None
    from fsspec.asyn import sync

    bucket, _, prefix = path.partition("/")

    def pages() -> Iterator[str]:
        agen = iterdir(bucket, delimiter="", prefix=prefix)
        while True:
            try:
                info = sync(fs.loop, agen.__anext__)
            except StopAsyncIteration:
                return
            if info.get("type") == "file":
                yield str(info["name"])

    return pages()


def walk_remote(url: str) -> Iterator[str]:
    """Objects to check for a URL: the object itself, or every image under a prefix."""
    scheme = url.split("://", 1)[0]
    fs, path = _filesystem(url)
    try:
        if has_glob(path):
            names: Iterable[str] = sorted(fs.glob(path))
        elif url.endswith("/") or fs.isdir(path):
            prefix = path.rstrip("/") + "/"
            streamed = _s3_objects(fs, prefix)
            if streamed is None:
                streamed = (
                    f"{root}/{name}"
                    for root, _dirs, files in fs.walk(prefix)
                    for name in sorted(files)
                )
            for name in streamed:
                if is_image_name(name):
                    yield f"{scheme}://{name}"
            return
        else:
            yield url
            return
    except OSError as exc:
        raise InputError(f"Cannot list {url}: {exc}.") from exc
    for name in names:
        if is_image_name(name):
            yield f"{scheme}://{name}"


def expand(source: str, *, patterns: bool = True) -> Iterator[str]:
    """One input as given by the user: a file, a folder, a glob pattern or a URL."""
    if is_url(source):
        yield from walk_remote(source)
        return
    local = _local(source)
    if patterns and has_glob(local) and not os.path.exists(local):
        for match in glob.iglob(local, recursive=True):
            if os.path.isdir(match):
                yield from walk_folder(match)
            elif is_image_name(match):
                yield match
        return
    if os.path.isdir(local):
        yield from walk_folder(local)
    else:
        yield local  # a named file is always checked; a missing one is reported per file


def read_manifest(path: Path) -> Iterator[str]:
    """Entries of an ``--inputs`` file: one path or URL per line, or CSV with a ``path`` column.

    Blank lines and lines starting with ``#`` are skipped in the one-per-line form.
    The file is read line by line, never whole.
    """
    try:
        handle = open(path, encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"Cannot read the input list {path}: {exc.strerror}.") from exc
    with handle:
        first = handle.readline()
        header = next(csv.reader(io.StringIO(first)), [])
        columns = [cell.strip().lower() for cell in header]
        try:
            if "path" in columns:
                at = columns.index("path")
                for row in csv.reader(handle):
                    if len(row) > at and row[at].strip():
                        yield row[at].strip()
                return
            for line in _chain_first(first, handle):
                entry = line.strip()
                if entry and not entry.startswith("#"):
                    yield entry
        except UnicodeDecodeError as exc:
            raise InputError(f"The input list {path} is not UTF-8 text.") from exc
        except csv.Error as exc:
            raise InputError(f"The input list {path} is not valid CSV ({exc}).") from exc


def _chain_first(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def iter_sources(paths: Iterable[str], inputs: Path | None = None) -> Iterator[str]:
    """Every source to check, lazily: PATH arguments first, then the ``--inputs`` entries.

    Folders and prefixes are expanded; manifest entries are taken literally (no
    glob expansion: a file name may contain ``[``) but folders in them are expanded.
    Duplicates are not removed here (see :class:`provenance.volume.seen.DigestSet`).
    """
    for source in paths:
        yield from expand(source)
    if inputs is not None:
        for entry in read_manifest(inputs):
            yield from expand(entry, patterns=False)


def fetch(url: str, folder: str, max_bytes: int) -> tuple[Path | None, str | None, str]:
    """Copy one object into ``folder`` (bounded by ``max_bytes``).

    Returns ``(path, None, "")`` on success, or ``(None, code, explanation)`` for a
    problem that makes the file unreadable.  Reads in 1 MiB chunks and stops one
    byte past the limit, so an oversized object is never held whole.
    """
    fs, path = _filesystem(url)
    suffix = os.path.splitext(path.rsplit("/", 1)[-1])[1][:16]
    too_large = (
        None,
        "provenance.tooLarge",
        f"The file is larger than the limit of {max_bytes:,} bytes, so it was not read.",
    )
    try:
        size = fs.size(path)
        if size is not None and size > max_bytes:
            return too_large
        fd, local = tempfile.mkstemp(prefix="object-", suffix=suffix, dir=folder)
        total = 0
        with os.fdopen(fd, "wb") as out, fs.open(path, "rb") as stream:
            while chunk := stream.read(_READ_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    break
                out.write(chunk)
        if total > max_bytes:
            os.unlink(local)
            return too_large
        return Path(local), None, ""
    except FileNotFoundError:
        return None, "provenance.io", "The object does not exist."
    except PermissionError:
        return None, "provenance.io", "The object cannot be read (access denied)."
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, "provenance.io", f"The object cannot be read ({reason})."
