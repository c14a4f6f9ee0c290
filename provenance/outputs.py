"""The one way provenance writes a file: checked first, written aside, moved into place atomically.

Every output goes through here: signed images, reports (``verify -o``), the CSV
and JSON of ``check``, certificate requests, keys, and the files of the home
folder.  The rules (issue 22, DESIGN.md "Files are sacred"):

* **Checked before any work** (:func:`plan_output`): the folder exists and is a
  folder we can write to; the output is not a folder, not a device, and not the
  same file (inode) as any input; an existing output is replaced only when the
  caller was asked to (``--force``).
* **Never through a symlink.**  A symbolic link at the output path is never
  followed: with ``--force`` the link itself is replaced by the new file (it *is*
  the entry we were asked to replace); its target is never written.  The temp
  file is opened ``O_CREAT|O_EXCL|O_NOFOLLOW``, so nothing planted at its name —
  a file or a link — is ever opened or adopted.
* **Short, unguessable temp names** (``.pv-`` + 16 base-32 characters +
  ``.tmp``, 24 bytes), independent of the output's name, so any legal output
  name (up to 255 bytes) works; they start with a dot, so folder scans skip them.
* **Atomic and durable**: written, flushed and fsynced; optionally checked
  (a signed image is read back and verified) before it is moved into place;
  the folder is fsynced after the move.
* **One writer wins.**  A new output is moved into place with
  ``renameat2(RENAME_NOREPLACE)`` where the kernel has it, else ``link()`` (both
  fail if the name appeared meanwhile), so of two concurrent writers to one new
  output one wins and the other fails clearly.  A replaced output must still be
  the file seen when the work started, or the replacement is refused.
* **Clean-up removes only what we made**: the temp name this call created, by
  name, never a pattern.

Modes: a file created here gets ``mode`` (0644 by default) minus the umask, so
it is never group- or world-writable however permissive the umask, and a
stricter umask (077) is honoured.  Files of the home folder ask for an exact
mode (``exact_mode=True``): 0600 for secrets, 0644 for public files, whatever the
umask.
"""

from __future__ import annotations

import base64
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from provenance.errors import InputError, OperationError, OutputExistsError

#: Temp files start with this (hidden: folder scans skip dot-files) ...
TEMP_PREFIX = ".pv-"
#: ... and end with this; the middle is 16 random base-32 characters (80 bits).
TEMP_SUFFIX = ".tmp"

_OPEN_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


@dataclass(frozen=True, slots=True)
class OutputPlan:
    """An output path that passed the checks, and what it may replace.

    ``replaces`` is the (device, inode) of the entry at the path when it was
    checked (the entry itself, a link is not followed), or None when there was
    none: the commit refuses if the entry changed in between.
    """

    path: Path
    replaces: tuple[int, int] | None = None


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def plan_output(
    path: Path,
    *,
    inputs: Iterable[Path] = (),
    force: bool = False,
    what: str = "output",
) -> OutputPlan:
    """Check an output path before any work starts; raise a clear :class:`InputError`.

    ``inputs`` are the files the operation reads: the output may not be any of
    them (same inode, so hard links and symlinks to an input count).  ``what``
    names the output in messages ("report", "CSV file").
    """
    path = Path(path)
    if path.name in ("", ".", ".."):
        raise InputError(f"The {what} path {path} does not name a file.", hint="Give a file name.")
    folder = path.parent
    try:
        folder_st = os.stat(folder)
    except FileNotFoundError:
        raise InputError(
            f"The folder {folder} for the {what} {path.name} does not exist.",
            hint="Create the folder first, or choose another path.",
        ) from None
    except OSError as exc:
        raise InputError(f"The folder {folder} cannot be used: {exc.strerror}.") from exc
    if not stat.S_ISDIR(folder_st.st_mode):
        raise InputError(f"{folder} is not a folder, so the {what} cannot be written in it.")
    if not _writable(folder):
        raise InputError(
            f"The folder {folder} is not writable, so the {what} {path.name} cannot be written.",
            hint="Choose a folder you can write to, or fix its permissions.",
        )
    try:
        entry = os.lstat(path)
    except FileNotFoundError:
        return OutputPlan(path, None)
    except OSError as exc:
        raise InputError(f"The {what} {path} cannot be checked: {exc.strerror}.") from exc
    if stat.S_ISDIR(entry.st_mode):
        raise InputError(f"The {what} {path} is a folder.", hint="Give a file name.")
    _refuse_inputs(path, entry, inputs, what)
    if not stat.S_ISREG(entry.st_mode) and not stat.S_ISLNK(entry.st_mode):
        raise InputError(
            f"The {what} {path} exists and is not a regular file.",
            hint="Choose a new file name.",
        )
    if not force:
        raise OutputExistsError(f"{path} already exists.", hint="Use --force to replace it.")
    return OutputPlan(path, _identity(entry))


def _writable(folder: Path) -> bool:
    """Whether this process may create files in ``folder`` (a seam: root may write anywhere)."""
    return os.access(folder, os.W_OK | os.X_OK)


def _refuse_inputs(path: Path, entry: os.stat_result, inputs: Iterable[Path], what: str) -> None:
    """The output is never an input: compare inodes (the entry and, for a link, its target)."""
    ids = {_identity(entry)}
    try:
        ids.add(_identity(os.stat(path)))
    except OSError:
        pass  # a dangling link points at no input
    for source in inputs:
        try:
            if _identity(os.stat(source)) in ids:
                raise InputError(
                    f"The {what} {path} is the input file {source}: it would be overwritten.",
                    hint="Choose another output name: inputs are never modified.",
                )
        except OSError:
            continue  # a missing input is reported by whoever reads it


def refuse_inputs(plan: OutputPlan, inputs: Iterable[Path], *, what: str = "output") -> None:
    """Raise :class:`InputError` when ``plan``'s existing entry is one of ``inputs``.

    For inputs only known after the plan was made (the files found in a folder).
    """
    if plan.replaces is None:
        return
    try:
        entry = os.lstat(plan.path)
    except OSError:
        return
    _refuse_inputs(plan.path, entry, inputs, what)


def temp_name() -> str:
    """A fresh, unguessable temp file name (24 bytes)."""
    token = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return f"{TEMP_PREFIX}{token}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    """Whether ``name`` looks like one of our temp files (for display filters, never deletion)."""
    return (
        name.startswith(TEMP_PREFIX)
        and name.endswith(TEMP_SUFFIX)
        and len(name) == len(TEMP_PREFIX) + 16 + len(TEMP_SUFFIX)
    )


Producer = Callable[[IO[bytes]], None]


def write_output(
    plan: OutputPlan,
    content: bytes | Producer,
    *,
    mode: int = 0o644,
    exact_mode: bool = False,
    check: Callable[[IO[bytes]], None] | None = None,
) -> Path:
    """Write ``content`` (bytes, or a function writing to a stream) at ``plan.path``.

    ``check(stream)`` runs on the finished temp file (rewound) before it is moved
    into place; raising there leaves the output untouched.  Returns the path.
    Raises :class:`OutputExistsError` when another writer got there first and
    :class:`OperationError` (one sentence) for disk and permission failures.
    """
    path = plan.path
    tmp = path.parent / temp_name()
    created = False
    try:
        fd = _open_temp(tmp, mode)
        created = True
        with os.fdopen(fd, "w+b") as stream:
            if exact_mode and hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), mode)
            if isinstance(content, bytes | bytearray | memoryview):
                stream.write(content)
            else:
                content(stream)
            stream.flush()
            if check is None:
                os.fsync(stream.fileno())
            else:
                _check_while_syncing(stream, check)
        _commit(tmp, plan)
        created = False
        fsync_folder(path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    finally:
        if created:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


def _check_while_syncing(stream: IO[bytes], check: Callable[[IO[bytes]], None]) -> None:
    """Run ``check`` on the written temp file while it is flushed to disk.

    The read-back reads what the disk will hold (the page cache), so the two can
    overlap: a signed 24 MP file's fsync and its verification cost the longer of
    the two, not their sum.  Both finish before the file is moved into place; a
    failure of either leaves the output untouched.
    """
    import threading

    failed: list[OSError] = []

    def flush_to_disk() -> None:
        try:
            os.fsync(stream.fileno())
        except OSError as exc:
            failed.append(exc)

    syncing = threading.Thread(target=flush_to_disk, name="fsync")
    syncing.start()
    try:
        stream.seek(0)
        check(stream)
    finally:
        syncing.join()
    if failed:
        raise failed[0]


def _open_temp(path: Path, mode: int) -> int:
    """Create the temp file: never an existing file, never through a link."""
    return os.open(path, _OPEN_FLAGS, mode)


def _write_error(path: Path, exc: OSError) -> OperationError:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OperationError(
            f"Could not write {path}: the folder {path.parent} is not writable ({exc.strerror}).",
            hint="Choose a folder you can write to, or fix its permissions.",
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OperationError(f"Could not write {path}: the disk is full.", hint="Free some space.")
    return OperationError(
        f"Could not write {path}: {exc.strerror or exc}.",
        hint="Check free space and permissions of the output folder.",
    )


def _commit(tmp: Path, plan: OutputPlan) -> None:
    path = plan.path
    if plan.replaces is not None:
        try:
            now = _identity(os.lstat(path))
        except FileNotFoundError:
            now = None
        if now is None:
            _move_noreplace(tmp, path)
            return
        if now != plan.replaces:
            raise OutputExistsError(
                f"{path} was replaced by another program while this one was writing it; "
                "it was left as that program wrote it.",
                hint="Run again once the other program has finished.",
            )
        os.replace(tmp, path)
        return
    _move_noreplace(tmp, path)


def _exists_error(path: Path) -> OutputExistsError:
    return OutputExistsError(
        f"{path} was created by another program while this one was writing it; "
        "it was left as it is.",
        hint="Use --force to replace it, or choose another output name.",
    )


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
_renameat2: Callable[..., int] | None = None
_renameat2_checked = False


def _load_renameat2() -> Callable[..., int] | None:
    global _renameat2, _renameat2_checked
    if not _renameat2_checked:
        _renameat2_checked = True
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.renameat2
            function.argtypes = [
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_uint,
            ]
            function.restype = ctypes.c_int
            _renameat2 = function
        except (OSError, AttributeError):
            _renameat2 = None
    return _renameat2


def _move_noreplace(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path`` only if nothing is there: atomic where the system allows."""
    rename2 = _load_renameat2() if os.name == "posix" else None
    if rename2 is not None:
        import ctypes

        result = rename2(
            _AT_FDCWD, os.fsencode(tmp), _AT_FDCWD, os.fsencode(path), _RENAME_NOREPLACE
        )
        if result == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise _exists_error(path)
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(path))
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # No hard links here (some network and FAT file systems): best effort.
        if os.path.lexists(path):
            raise _exists_error(path) from None
        os.rename(tmp, path)
        return
    os.unlink(tmp)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_home_file(path: Path, data: bytes, *, secret: bool = False) -> Path:
    """Write a file of the home folder: replaced atomically, exact mode (0600 secret, else 0644)."""
    plan = plan_output(path, force=True, what="file")
    return write_output(plan, data, mode=0o600 if secret else 0o644, exact_mode=True)


def make_folder(path: Path, *, mode: int = 0o755) -> Path:
    """Create ``path`` and its missing parents with exactly ``mode`` (the umask does not apply).

    Folders that already exist are left as they are (the home folder's checks in
    :mod:`provenance.config` judge those).
    """
    path = Path(path)
    missing: list[Path] = []
    current = path
    while not os.path.lexists(current) and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, mode)
        except FileExistsError:
            continue
        if os.name == "posix":
            # Through a descriptor opened without following links: the folder we made.
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
    return path
