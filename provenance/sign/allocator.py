"""Let a signing process reuse the memory it frees instead of faulting in fresh pages.

Why: c2pa's signing pass reads a photo several times into new buffers (about 38 MB
of fresh memory for a 10.7 MB, 24 MP JPEG, counted as page faults), and Python's
own copies of the file are just as large.  glibc serves every block over its
mmap threshold (128 KiB, raised only after the first free) with a fresh mapping
and unmaps it on free, so each pass pays for its pages again.  Faulting in a page
costs about 2.8 microseconds on the 2-core CI VM: 8,000 avoidable faults, about
25 ms of a 0.36 s sign (docs/performance.md).

With a fixed 32 MiB threshold (glibc's largest) and no trimming, freed buffers
stay in the heap and the next pass reuses them.  Peak memory rises a little
(102 to 113 MB for a 24 MP sign, measured), which is why verification, which
gains nothing measurable from it, keeps the defaults.
"""

from __future__ import annotations

import sys

# glibc <malloc.h> parameter numbers.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc refuses larger mmap thresholds on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap is kept up to this size rather than returned.
TRIM_THRESHOLD = 1024 * 1024 * 1024

_applied = False


def reuse_freed_memory() -> bool:
    """Tune glibc malloc for one short-lived, file-sized job; True when applied.

    Only on Linux with glibc (other allocators, musl's among them, either lack
    these knobs or ignore them).  Idempotent; never raises.
    """
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - present only in glibc
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Setting either knob switches glibc's dynamic threshold off, so both are explicit.
    _applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _applied
