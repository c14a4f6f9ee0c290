"""Tethered capture: sign each new image in a folder once it is completely written.

A tethering program (or a card reader copy) writes frames into a folder one by
one.  :func:`watch_folder` notices each file when it is *finished* — closed
after writing, or renamed into place — signs it in arrival order with the same
safety as any signing (temporary file beside the output, read back and
verified, atomic move; the input is never touched), and goes on until asked to
stop.  Files already signed by an earlier run are skipped, so a restart
resumes where it left off.

How files are noticed: Linux inotify (``IN_CLOSE_WRITE`` and ``IN_MOVED_TO``)
through ctypes; elsewhere, or when inotify is unavailable, polling until a
file's size and modification time have been stable for two looks.  Names a
tethering program uses while writing (dotfiles, ``*.part``, ``*.tmp``,
``*.partial``, ``*.crdownload``, ``*~``) are ignored.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provenance.sign.request import SignRequest
    from provenance.sign.warm import WarmPool

#: What a tethered camera or a copy can deliver that we can sign.
WATCHED_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif", ".dng"}
)
#: Suffixes of files still being written.
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".download", "~")
#: Seconds between looks when polling.
POLL_INTERVAL_S = 0.2

_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_TO = 0x00000080
_IN_Q_OVERFLOW = 0x00004000
_EVENT_HEADER = struct.Struct("iIII")


class WatchEventKind(StrEnum):
    """What happened to one file."""

    SIGNED = "signed"
    SKIPPED = "skipped"  # already signed by an earlier run
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One file's outcome, with when it was noticed complete and when its output was ready."""

    kind: WatchEventKind
    source: Path
    output: Path
    noticed_at: float
    finished_at: float
    message: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def latency_s(self) -> float:
        """Seconds from the file being complete to its verified signed output."""
        return self.finished_at - self.noticed_at


def wanted(path: Path) -> bool:
    """Whether a file name is a finished image we should sign (not a partial or hidden file)."""
    name = path.name
    if name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES):
        return False
    return path.suffix.lower() in WATCHED_SUFFIXES


class _Inotify:
    """The few inotify calls we need, through ctypes (Linux)."""

    def __init__(self, folder: Path) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._fd = int(libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        watch = libc.inotify_add_watch(
            self._fd, os.fsencode(folder), _IN_CLOSE_WRITE | _IN_MOVED_TO
        )
        if watch < 0:
            os.close(self._fd)
            raise OSError(ctypes.get_errno(), "inotify_add_watch failed")

    def names(self, timeout_s: float) -> tuple[list[str], bool]:
        """Names finished since the last call (waiting up to ``timeout_s``), and whether events were lost."""
        ready, _, _ = select.select([self._fd], [], [], timeout_s)
        if not ready:
            return [], False
        try:
            data = os.read(self._fd, 256 * 1024)
        except BlockingIOError:
            return [], False
        names: list[str] = []
        overflow = False
        offset = 0
        while offset + _EVENT_HEADER.size <= len(data):
            _wd, mask, _cookie, length = _EVENT_HEADER.unpack_from(data, offset)
            offset += _EVENT_HEADER.size
            raw = data[offset : offset + length].split(b"\0", 1)[0]
            offset += length
            if mask & _IN_Q_OVERFLOW:
                overflow = True
            elif raw:
                names.append(os.fsdecode(raw))
        return names, overflow

    def close(self) -> None:
        os.close(self._fd)


def _stable_files(folder: Path, seen: dict[str, tuple[int, int]]) -> list[str]:
    """Polling: names whose size and mtime did not change since the previous look."""
    ready: list[str] = []
    current: dict[str, tuple[int, int]] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            current[entry.name] = (info.st_size, info.st_mtime_ns)
            if seen.get(entry.name) == current[entry.name] and info.st_size > 0:
                ready.append(entry.name)
    seen.clear()
    seen.update(current)
    return ready


def _existing(folder: Path) -> list[Path]:
    """Images already in the folder, oldest first (what a restart resumes)."""
    files = [p for p in folder.iterdir() if p.is_file() and wanted(p)]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _arrivals(
    folder: Path, should_stop: Callable[[], bool], *, use_inotify: bool
) -> Iterator[tuple[Path, float]]:
    """Yield (file, time noticed complete) in arrival order until ``should_stop``."""
    notifier: _Inotify | None = None
    if use_inotify:
        try:
            notifier = _Inotify(folder)
        except (OSError, AttributeError):
            notifier = None
    # What is there already (a restart), after the watch is armed so nothing slips between.
    for path in _existing(folder):
        yield path, time.time()
    polled: dict[str, tuple[int, int]] = {}
    try:
        while not should_stop():
            if notifier is not None:
                names, overflow = notifier.names(POLL_INTERVAL_S)
                if overflow:
                    names = [p.name for p in _existing(folder)]
            else:
                time.sleep(POLL_INTERVAL_S)
                names = _stable_files(folder, polled)
            now = time.time()
            for name in names:
                path = folder / name
                if wanted(path) and path.is_file():
                    yield path, now
    finally:
        if notifier is not None:
            notifier.close()


def watch_folder(
    folder: Path,
    make_request: Callable[[Path], SignRequest],
    pool: WarmPool,
    on_event: Callable[[WatchEvent], None],
    should_stop: Callable[[], bool],
    *,
    use_inotify: bool = True,
    signer: tuple[str | None, str | None] | None = None,
) -> int:
    """Sign every finished image that appears in ``folder`` until ``should_stop()``; the count signed.

    ``make_request`` turns a file into its request (output path, parent, edits);
    ``pool`` signs (warm, crash-isolated).  Each file is signed at most once per
    run, and not at all when an earlier run's output is there and verifies.  The
    file in progress when ``should_stop`` turns true is finished first.  An earlier
    output counts as done by the same rule as a resumed batch
    (:func:`provenance.volume.resume.is_our_output`; with ``signer``, signed by that
    name and organization).
    """
    from provenance.volume.resume import is_our_output

    done: set[Path] = set()
    signed = 0
    for path, noticed in _arrivals(folder, should_stop, use_inotify=use_inotify):
        if path in done:
            continue
        done.add(path)
        request = make_request(path)
        if request.output.exists() and not request.force and is_our_output(request, signer):
            on_event(WatchEvent(WatchEventKind.SKIPPED, path, request.output, noticed, time.time()))
            continue
        for outcome in pool.sign_all([request]):
            kind = WatchEventKind.SIGNED if outcome.ok else WatchEventKind.FAILED
            signed += outcome.ok
            on_event(
                WatchEvent(
                    kind,
                    path,
                    request.output,
                    noticed,
                    time.time(),
                    message=outcome.message,
                    notes=outcome.notes,
                )
            )
    return signed
