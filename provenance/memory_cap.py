"""A memory ceiling around one call into native code that reads strangers' bytes.

Found by fuzzing (fuzz/findings/): c2pa-rs 0.91 trusts the length a CBOR text
string declares in an assertion and allocates it before reading, so one flipped
bit in a 35 KB JPEG makes its ``Reader`` take 1.8 GB, and a 4-byte length of
``ff ff ff ff`` 4.2 GB and 17 s.  Under a data-size limit (``RLIMIT_DATA``, which
counts the heap and private writable mappings, not reserved address space) the
allocation fails inside c2pa-rs, which reports the assertion as damaged
(``assertion.cbor.invalid``): the same verdict, at once, and with the memory a
real file of that size needs.

The ceiling is what the process holds now plus :data:`HEADROOM_BYTES` plus
:data:`PER_INPUT_BYTE` times the bytes read (c2pa's reader holds about one copy
of the file and of its manifest: docs/performance.md).  It is set only on Linux
(where ``RLIMIT_DATA`` covers ``mmap``), only from the main thread (a resource
limit is process-wide: in a threaded server other requests would share it), never
above a stricter limit already in force, and put back as soon as the call returns.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import IO

__all__ = ["HEADROOM_BYTES", "PER_INPUT_BYTE", "ceiling_for", "data_ceiling", "input_size"]

#: Memory allowed beyond what the process holds, whatever the input's size.
HEADROOM_BYTES = 1024**3
#: And per byte of input (file, sidecar or fetched manifest).
PER_INPUT_BYTE = 3


def ceiling_for(held: int, input_bytes: int) -> int:
    """The data-size limit for a read of ``input_bytes`` by a process holding ``held``."""
    return held + HEADROOM_BYTES + PER_INPUT_BYTE * max(0, input_bytes)


def input_size(stream: IO[bytes], extra: bytes | None = None) -> int:
    """The bytes a read takes in: what is left of ``stream`` and ``extra`` (a sidecar)."""
    try:
        here = stream.tell()
        size = stream.seek(0, 2) - here
        stream.seek(here)
    except (OSError, ValueError):
        size = 0
    return size + len(extra or b"")


def _data_held() -> int | None:
    """The process's data size now (``/proc/self/statm``, field 6: data + stack, in pages)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            fields = statm.read().split()
        import resource

        return int(fields[5]) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        return None


@contextlib.contextmanager
def data_ceiling(input_bytes: int) -> Iterator[None]:
    """Run the block under a data-size limit fitting ``input_bytes`` of input (see module doc)."""
    main = threading.current_thread() is threading.main_thread()
    if not (main and sys.platform.startswith("linux")):
        yield
        return
    import resource

    held = _data_held()
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if held is None:
        yield
        return
    ceiling = ceiling_for(held, input_bytes)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    if soft != resource.RLIM_INFINITY and soft <= ceiling:
        yield  # a stricter limit is already in force
        return
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (ceiling, hard))
    except (OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
