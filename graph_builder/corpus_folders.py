"""Whether a corpus's folders changed since the last build: a guess, made before the
corpus is read, that some article is new and will need extracting.

A folder's modification time changes when an entry is added, removed or renamed in it,
not when a file in it is edited in place: an edited article is still found by its
content (the extraction cache is keyed by it), only without this early guess.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path


def changed(record: Path, corpus: Path) -> bool:
    """True when the last build of `corpus` recorded its folders and one of them has
    changed or gone since; False without a record (nothing to compare with)."""
    try:
        seen = json.loads(record.read_text(encoding="utf-8"))
        folders = seen["folders"] if seen["corpus"] == str(corpus) else {}
        return any(_mtime(folder) != mtime for folder, mtime in folders.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # a damaged record
        return False


def record(path: Path, corpus: Path, files: Iterable[str]) -> None:
    """Record the modification times of `corpus` and every folder between it and
    `files` (the articles this build read)."""
    from graph_builder.analysis import atomic_write_text

    root = str(corpus)
    folders = {root}
    for name in files:  # up to the corpus (or, for ".", to the first relative name)
        folder = os.path.dirname(name)
        while folder and folder not in folders:
            folders.add(folder)
            folder = os.path.dirname(folder)
    mtimes = {f: _mtime(f) for f in sorted(folders)}
    atomic_write_text(path, json.dumps({"corpus": root, "folders": mtimes}))


def _mtime(folder: str) -> int | None:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:  # gone, or no longer readable
        return None
