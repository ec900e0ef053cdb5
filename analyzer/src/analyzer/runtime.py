"""Settings of the Python runtime for the processes that parse log lines.

A parsing process makes a few dozen short-lived objects per line and frees a block's
records at once: the garbage collector's and the C heap's defaults cost it a fifth of its
time. Benchmarks: benchmarks/README.md.
"""

from __future__ import annotations

import ctypes
import gc
import os


def tune_runtime() -> None:
    """For processes that parse: the garbage collector and the C heap.

    Each line makes a few dozen short-lived objects, none in reference cycles, so the
    default threshold (a collection every 700 allocations) spends a fifth of the time
    collecting nothing; and each block frees them all at once (see `_keep_freed_heap`)."""
    gc.freeze()  # what is alive now (modules, caches' owners) never needs scanning
    gc.set_threshold(50_000, 20, 100)
    _keep_freed_heap()


# glibc's mallopt parameters, and the values we set (bytes).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_TRIM_THRESHOLD, _MMAP_THRESHOLD = 16 << 20, 2 << 20


def _keep_freed_heap() -> None:
    """A block's records are freed together, leaving the top of the heap free: glibc gives
    it back to the kernel, and the next block faults every page in again (in a forked
    worker, a sixth of its time went to page faults). Fixed thresholds keep up to 16 MiB
    mapped for the next block; memory stays flat."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return
    except (ValueError, OSError):  # not glibc (musl has no mallopt)
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
