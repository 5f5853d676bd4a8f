"""Pausing Python's cyclic garbage collector around bulk work.

Resolution, exports and the Neo4j load each build millions of small acyclic objects
(names, rows, XML strings) beside the millions a large graph already holds; the full
collections this triggers rescan everything and free nothing, and cost up to a third of
those stages' time at 10k articles. Reference counting still frees the objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside; the collector's state is restored on the way out
    (so nested pauses, and callers who had it off, are left as they were)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
