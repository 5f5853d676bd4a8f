"""One milgraph writer per output folder.

A rebuild (or an import) holds ``OUT/.milgraph.lock`` while it writes the folder's files
and caches: a second one started on the same folder stops at once with an error naming
the first, rather than leaving a mixture of both runs' files (graph.trig of one,
metrics.csv of the other) and caches written by two processes at once.

The lock is a POSIX record lock (``lockf``) on the file: it belongs to the process that
took it and ends with it, however it ended (killed, out of memory), so a stale lock file
never blocks the next run. Processes forked from the holder do not hold it (a lingering
worker cannot keep the next run out); the side processes of a rebuild die with it.
Where there is no ``fcntl`` (Windows), or the folder's file system cannot lock, nothing is
locked.

`analyze`, `export graphml|gexf` and `report` rewrite one of a rebuild's files: they hold
the lock of a folder a rebuild wrote (``holding_if_built``), and make none elsewhere.

Taking the lock also removes the temporary files that killed writers left in OUT
(``.NAME.PID.tmp``, ``.NAME.PID.early`` of the files a rebuild writes there): only those
whose process is gone.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graph_builder.errors import MilgraphError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".milgraph.lock"
# The files a rebuild writes in OUT (pipeline.OUTPUT_FILES and the report's plots): only
# their temporary files are swept, never a file of the user's that looks like one.
SWEPT_NAMES = (
    r"statements\.jsonl|rejected\.jsonl|graph\.trig|metrics\.csv|graph\.graphml|graph\.gexf"
    r"|report\.html|report-[a-z]+\.png"
)
# Their temporary file, named by the process writing it (atomic_write_bytes adds "-XXXX").
_LEFTOVER = re.compile(rf"^\.(?:{SWEPT_NAMES})\.(?P<pid>\d+)(?:-[a-z0-9_]+)?\.(?:tmp|early)$")
# lockf's answers where the folder's file system cannot lock: then nothing is locked
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS})
_held: dict[Path, int] = {}  # folders this process holds: how many holders deep


class FolderBusy(MilgraphError):
    """Another milgraph process is writing the output folder."""


@contextmanager
def holding(out: Path) -> Iterator[None]:
    """Hold ``out``'s lock for the block (made if missing); nested holds in one process
    share it. Raises FolderBusy if another process holds it."""
    out.mkdir(parents=True, exist_ok=True)
    key = out.resolve()
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    handle = _lock(out)
    _held[key] = 1
    try:
        sweep_leftovers(out)
        yield
    finally:
        del _held[key]
        if handle is not None:
            os.close(handle)  # releases the lock


@contextmanager
def holding_if_built(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock if a rebuild has written there (its lock file is there), so
    a command rewriting one of a rebuild's files (metrics.csv, report.html) never crosses
    a rebuild of that folder; any other folder is left as it is, with no lock file made."""
    if (folder / LOCK_NAME).is_file():
        with holding(folder):
            yield
    else:
        yield


def _lock(out: Path) -> int | None:
    if fcntl is None:
        return None
    path = out / LOCK_NAME
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in _NO_LOCKS:  # a file system without locks (some network mounts)
            os.close(handle)
            return None
        if exc.errno not in (errno.EACCES, errno.EAGAIN):
            os.close(handle)
            raise
        holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(handle)
        raise FolderBusy(
            f"{out} is being written by another milgraph process (pid {holder}); wait for "
            "it to finish, or write to another folder with --out"
        ) from None
    except BaseException:
        os.close(handle)
        raise
    os.ftruncate(handle, 0)
    os.pwrite(handle, f"{os.getpid()}\n".encode("ascii"), 0)
    return handle


def sweep_leftovers(out: Path) -> list[str]:
    """Remove the temporary files of writers that are gone from ``out`` (not from its
    subfolders); the names removed."""
    removed = []
    for entry in os.scandir(out):
        match = _LEFTOVER.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        if _running(int(match["pid"])):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        removed.append(entry.name)
    return sorted(removed)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # someone else's process: leave its files
        return True
    return True
