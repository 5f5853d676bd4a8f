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
    (so nested pauses, and callers who had it off, are left as they were).

    Leaving the outermost pause, the objects made inside and still alive are moved to
    the oldest generation: under a paused collector nothing is promoted, so the first
    young collection after it would scan them all (~1 s after a one-article rebuild at
    10k articles). Not when something else froze objects: unfreezing would release those.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()  # (both moves splice whole lists: no object is visited)
                gc.unfreeze()
            gc.enable()
