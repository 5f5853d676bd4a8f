"""Keep freed memory in the process for reuse instead of handing it back to the system.

By default glibc's malloc serves each block of 128 KiB or more with a fresh mapping,
unmapped again when freed, and returns free memory at the top of the heap to the system
beyond 128 KiB (thresholds it raises on its own as large blocks are freed). A rebuild
builds and drops hundreds of megabytes of lists, strings and arrays, in its main process
and in the side processes it forks, and memory handed back is mapped afresh when asked
for again: each page of it a page fault when first written (about 5 microseconds on the
2-core machine the benchmarks run on). With the settings below a one-article rebuild at
10k articles made ~65k fewer page faults (~930k -> ~870k, ~0.3 s of CPU) and its
processes used ~3 s less CPU in all (the rest not measured apart); its peak RSS grew from
702-726 MiB to 735 MiB, the full rebuild's stayed at 980 MiB (benchmarks/README.md,
session 17).

Only glibc has ``mallopt``; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

# glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks below it come from the heap
TRIM_THRESHOLD = 1 << 30  # free memory kept at the top of the heap before giving it back


def keep_freed_memory() -> bool:
    """Tune this process's malloc (and that of processes it forks afterwards); whether it
    could. Idempotent."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc (musl has none)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
