"""Uploads streamed to a private temp folder, with limits checked as the bytes arrive.

The request body is parsed part by part (python-multipart's streaming parser):
file parts go straight to files in the request's own temp folder, never into
memory whole.  The body as a whole may not exceed ``max_bytes``: past it the
upload is refused (413) and what was written is deleted at once.  The caller
owns the folder and removes it when the response is sent (:mod:`.app`).

Names a client gives its files are hostile text: they are kept for display
(sanitised) and reduced to letters, digits and ``._-`` for the file on disk,
so the suffix survives for type sniffing and a camera RAW finds the ``.c2pa``
sidecar uploaded with it (``photo.nef`` beside ``photo.nef.c2pa``).  Two
uploads with the same name get ``-N`` before the suffix.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from provenance.sanitize import safe_filename_display
from provenance.serve.problems import ProblemError

#: Bytes read and discarded after the limit so the client can read our 413 (a
#: server that stops reading makes most clients fail with "connection reset").
DRAIN_BYTES = 32 * 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 32
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: where its bytes are, and its name for display."""

    path: Path
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class Received:
    """A parsed form: files (in order) and the small text fields."""

    files: tuple[Upload, ...]
    fields: dict[str, str] = field(default_factory=dict)


def display_name(raw: str) -> str:
    """The client's file name, last path part only, safe to show; never a path on disk."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    return safe_filename_display(base)[:200] or "upload"


def disk_name(raw: str, taken: set[str]) -> str:
    """A harmless file name for an upload, keeping its suffix, not one of ``taken``."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    safe = _SAFE.sub("_", base).lstrip(".-")[-80:] or "upload"
    name, number = safe, 1
    while name.lower() in taken:
        number += 1
        stem, dot, suffix = safe.partition(".")
        name = f"{stem}-{number}{dot}{suffix}"
    taken.add(name.lower())
    return name


def too_large(max_bytes: int) -> ProblemError:
    """The 413 problem for an upload over ``max_bytes``."""
    return ProblemError(
        "too-large",
        f"The upload is larger than this server's limit of {max_bytes / 1024 / 1024:g} MB.",
    )


class _Collector:
    """Callbacks for the multipart parser: writes file parts, keeps small fields."""

    def __init__(self, folder: Path, file_field: str, max_files: int) -> None:
        self.folder = folder
        self.file_field = file_field
        self.max_files = max_files
        self.files: list[Upload] = []
        self._taken: set[str] = set()
        self.fields: dict[str, str] = {}
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._filename: str | None = None
        self._handle: IO[bytes] | None = None
        self._path: Path | None = None
        self._size = 0
        self._text = bytearray()
        self.error: ProblemError | None = None

    # python-multipart callbacks -----------------------------------------------------
    def on_part_begin(self) -> None:
        self._headers = {}
        self._size = 0
        self._text = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        self._filename = None if raw is None else raw.decode("utf-8", "replace")
        if self._filename is None:
            if len(self.fields) >= MAX_FIELDS:
                self._fail(ProblemError("bad-request", "The form has too many fields."))
            return
        if self._name != self.file_field:
            self._fail(
                ProblemError("bad-request", f"Send files in the form field '{self.file_field}'.")
            )
            return
        if len(self.files) >= self.max_files:
            self._fail(
                ProblemError("bad-request", f"Send at most {self.max_files} files in one request.")
            )
            return
        self._path = self.folder / disk_name(self._filename, self._taken)
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._handle = os.fdopen(fd, "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        chunk = data[start:end]
        self._size += len(chunk)
        if self._handle is not None:
            self._handle.write(chunk)
        elif self._filename is None:
            if self._size > MAX_FIELD_BYTES:
                self._fail(ProblemError("bad-request", "A form field is too long."))
                return
            self._text += chunk

    def on_part_end(self) -> None:
        if self.error is not None:
            return
        if self._handle is not None and self._path is not None and self._filename is not None:
            self._handle.close()
            self._handle = None
            if self._size == 0 and not self._filename:
                self._path.unlink(missing_ok=True)  # an empty <input type=file>: nothing chosen
            else:
                self.files.append(Upload(self._path, display_name(self._filename), self._size))
        elif self._filename is None and self._name:
            self.fields[self._name] = self._text.decode("utf-8", "replace")

    # -------------------------------------------------------------------------------
    def _fail(self, problem: ProblemError) -> None:
        if self.error is None:
            self.error = problem
        self.discard()

    def discard(self) -> None:
        """Close and delete everything written so far."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        for upload in self.files:
            upload.path.unlink(missing_ok=True)
        self.files = []


def _boundary(content_type: str) -> bytes:
    from python_multipart.multipart import parse_options_header

    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ProblemError(
            "unsupported-media-type", "Send the files as multipart/form-data (field 'files')."
        )
    return boundary


async def receive_multipart(
    body: AsyncIterator[bytes],
    content_type: str,
    content_length: int | None,
    folder: Path,
    *,
    max_bytes: int,
    max_files: int,
    file_field: str = "files",
) -> Received:
    """Stream a multipart body into ``folder``; raise :class:`ProblemError` when refused.

    Refusals: not multipart (415), over ``max_bytes`` (413: the rest of the body is
    read and dropped, up to :data:`DRAIN_BYTES`, so the client sees the answer),
    malformed or too many parts (400).  On any refusal nothing written is left.
    """
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, MultipartState

    boundary = _boundary(content_type)
    if content_length is not None and content_length > max_bytes + DRAIN_BYTES:
        raise too_large(max_bytes)  # hopeless: do not read it at all
    collector = _Collector(folder, file_field, max_files)
    callbacks = {
        name: getattr(collector, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    received = 0
    over = False
    try:
        async for chunk in body:
            received += len(chunk)
            if over:
                if received > max_bytes + DRAIN_BYTES:
                    break
                continue
            if received > max_bytes:
                over = True
                collector.discard()
                continue
            if collector.error is None:
                parser.write(chunk)
        if over:
            raise too_large(max_bytes)
        if collector.error is not None:
            raise collector.error
        parser.finalize()
        if parser.state != MultipartState.END:  # cut short: no closing boundary
            raise MultipartParseError("the body ends inside a part")
    except MultipartParseError as exc:
        collector.discard()
        raise ProblemError("bad-request", "The multipart body is malformed.") from exc
    except BaseException:
        collector.discard()
        raise
    if collector.error is not None:
        collector.discard()
        raise collector.error
    return Received(tuple(collector.files), dict(collector.fields))
