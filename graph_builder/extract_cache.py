"""The extraction cache's files: a document's statements, trusted back without a re-check.

A file is a header line, then one JSON array holding a row a line (a statement's field
values in field order). The header carries

- the payload's length and SHA-256, so an edited or damaged file is a miss, never
  trusted;
- the :func:`~graph_builder.statements.check_key` the statements were checked under (the
  ontology terms and the checking code). While it is unchanged the rows become
  statements without a check; otherwise they are checked again and, if they all pass,
  the file is rewritten under the new key (a file with a refused statement is a miss).

A file of the previous format (the statements JSONL, no header, the same name ending
``.jsonl``) is read by the checking reader and replaced by one in this format, so an
upgrade costs one slower rebuild, not a re-extraction.

A :class:`Pack` keeps the rows of a corpus's files in one file beside them, read in one
go: 10k files cost ~2 s of opening, JSON decoding and hashing at 10k articles. The files
stay the truth: a file is served from the pack only while its size and mtime are those
the pack recorded (a file damaged in place with both unchanged is served the rows the pack
verified by its own SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import tempfile
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

from graph_builder import sealed
from graph_builder.errors import InputError
from graph_builder.ontology import Ontology
from graph_builder.statements import (
    FIELDS,
    Statement,
    read_statements,
    statement_from_dict,
    statement_values,
    trusted_statement,
)

FORMAT = "milgraph-extract-cache/1"
PACK_FORMAT = "milgraph-extract-pack/1"
SUFFIX = ".cache"
PREVIOUS_SUFFIX = ".jsonl"  # the previous format's files


def checked(statements: Sequence[Statement], ontology: Ontology) -> list[Statement]:
    """The statements as the checking reader would return them (normalised), for a file
    that is to be trusted; InputError if one is refused."""
    return [statement_from_dict(s.to_json(), ontology) for s in statements]


def write_cache(path: Path, statements: Sequence[Statement], key: str) -> None:
    """Write statements that passed :func:`checked` under `key`, atomically."""
    from graph_builder.analysis import atomic_write_bytes

    rows = ",\n".join(json.dumps(statement_values(s), ensure_ascii=False) for s in statements)
    payload = f"[\n{rows}\n]\n".encode()
    header = {
        "format": FORMAT,
        "fields": FIELDS,
        "check_key": key,
        "bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    atomic_write_bytes(path, json.dumps(header).encode() + b"\n" + payload)


def read_cache(path: Path, ontology: Ontology, key: str) -> list[Statement] | None:
    """The statements of a cache file, or None for a miss (absent, damaged, edited,
    another format, or a statement the ontology now refuses)."""
    try:
        with path.open("rb") as handle:
            header = _header(handle.readline(sealed.MAX_HEADER_BYTES))
            # Read only a payload of the size the header gives (a damaged size is not
            # trusted: read(n) would set n bytes aside first).
            rest = os.fstat(handle.fileno()).st_size - handle.tell()
            fits = header is not None and rest == header["bytes"]
            payload = handle.read() if fits else b""
    except FileNotFoundError:
        return _upgraded(path, ontology, key)
    except OSError:  # unreadable, a folder
        return None
    if header is None or not fits or hashlib.sha256(payload).hexdigest() != header["sha256"]:
        return None  # another format, edited or damaged
    rows = json.loads(payload)
    if header["check_key"] == key:
        return [trusted_statement(row) for row in rows]
    # checked under another ontology or other checking code: check again
    try:
        statements = checked([trusted_statement(row) for row in rows], ontology)
    except InputError:
        return None
    _write_quietly(path, statements, key)
    return statements


def _header(line: bytes) -> dict[str, Any] | None:
    """The header of this format, for rows of today's Statement fields; else None."""
    try:
        header = json.loads(line)
    except (ValueError, RecursionError):  # broken JSON, not UTF-8, nested too deep
        return None
    ours = (
        isinstance(header, dict)
        and header.get("format") == FORMAT
        and header.get("fields") == list(FIELDS)
        and type(header.get("bytes")) is int
        and header["bytes"] >= 0
        and all(isinstance(header.get(k), str) for k in ("check_key", "sha256"))
    )
    return header if ours else None


def _upgraded(path: Path, ontology: Ontology, key: str) -> list[Statement] | None:
    """The statements of the previous format's file (a miss if none), checked line by
    line, then kept in this format."""
    previous = path.with_suffix(PREVIOUS_SUFFIX)
    try:
        statements = read_statements(previous, ontology)
    except InputError:  # absent (the usual miss: a new document), or refused
        return None
    if _write_quietly(path, statements, key):
        previous.unlink(missing_ok=True)
    return statements


def _write_quietly(path: Path, statements: list[Statement], key: str) -> bool:
    """Whether the file was written: a read-only cache still serves, checked each time."""
    try:
        write_cache(path, statements, key)
    except OSError:
        return False
    return True


class Pack:
    """The rows of cache files, each under its file's name, size and mtime, in one file.

    A file is served from the pack only while its size and mtime are the recorded ones.
    A file read is recorded only if its mtime is older than the pack's start (the mtime
    of a file made and deleted in the cache folder, the file system's clock, taken
    before any file is looked at; none without a folder to make it in): a later
    change then gives another mtime, even on a file system with coarse timestamps, so the
    rows in the pack are the file's. A file this run wrote is recorded with the rows it
    was written from (``written``): the pack then serves what the file was made to hold,
    and the rebuild after a full one reads no cache file. (Another process rewriting
    such a file to the same size within the clock tick of its write would go unseen; the
    pack would still serve the rows this run extracted for that text.)

    Use: :meth:`present` (stats a file), :meth:`take` (its statements, or None to read
    the file), :meth:`keep` (a file read instead), then :meth:`save` (the pack of the
    files taken or kept, if that changed). A pack that does not read back (damaged,
    another format, key or Python) is empty.
    """

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self._key = key
        self._old = _read_pack(path, key)
        self._stats: dict[str, tuple[int, int]] = {}
        self._entries: dict[str, tuple[int, int, bytes]] = {}
        self._kept = False
        self._since = _clock(path)

    def present(self, path: Path) -> bool:
        """Whether :func:`read_cache` finds a file to read at ``path``: this format's
        (stat-ed for :meth:`take`), or the previous format's that it upgrades (not
        whether the file reads back)."""
        try:
            stat = os.stat(path)
        except OSError:
            return os.path.exists(path.with_suffix(PREVIOUS_SUFFIX))
        self._stats[path.name] = (stat.st_size, stat.st_mtime_ns)
        return True

    def take(self, path: Path) -> list[Statement] | None:
        """The statements of a file (found by :meth:`present`) from the pack, if it
        recorded the file as it is; else None."""
        entry = self._old.get(path.name)
        if entry is None or self._stats.get(path.name) != entry[:2]:
            return None
        self._entries[path.name] = entry
        return [trusted_statement(row) for row in marshal.loads(entry[2])]

    def keep(self, path: Path, statements: Sequence[Statement], written: bool = False) -> None:
        """Record what :func:`read_cache` read from a file, if it is old enough, or what
        :func:`write_cache` just wrote to it (``written``)."""
        try:
            stat = os.stat(path)
        except OSError:
            return
        if written or stat.st_mtime_ns < self._since:
            # a repeated text (a type, the document, a name) written once: marshal then
            # refers to it, and reading it back makes one object, not one per field
            texts: dict[str, str] = {}
            rows = [
                [texts.setdefault(v, v) if type(v) is str else v for v in _values(s)]
                for s in statements
            ]
            self._entries[path.name] = (stat.st_size, stat.st_mtime_ns, marshal.dumps(rows))
            self._kept = True

    def save(self) -> None:
        """Write the pack of the files taken and kept, unless it holds just those."""
        from graph_builder.analysis import atomic_write_bytes

        entries, old, self._old = self._entries, self._old, {}
        if not (self._kept or entries.keys() != old.keys()):
            return
        try:
            atomic_write_bytes(
                self.path, sealed.seal(_pack_header(self._key), marshal.dumps(entries))
            )
        except OSError:  # a read-only or full disk: the files still serve
            pass


def _clock(path: Path) -> int:
    """The file system's time now: the mtime of a file made beside ``path`` and deleted
    at once; -1 (no file read is then recorded) if none can be made there (no cache
    folder yet, a first build, or a read-only one)."""
    try:
        with tempfile.NamedTemporaryFile(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        ) as handle:
            return os.fstat(handle.fileno()).st_mtime_ns
    except OSError:
        return -1


# statement_values in one C call; the span stays a tuple, which trusted_statement takes
_values = attrgetter(*FIELDS)


def _pack_header(key: str) -> dict[str, Any]:
    """What a pack's header says: written by this code, for `key`, by this Python."""
    return {
        "format": PACK_FORMAT,
        "fields": list(FIELDS),
        "check_key": key,
        "python": sealed.MARSHAL_PYTHON,
    }


def _read_pack(path: Path, key: str) -> dict[str, tuple[int, int, bytes]]:
    """The entries of a pack written under ``key`` by this Python; {} if it does not
    read back."""
    payload = sealed.unseal(path, _pack_header(key))
    if payload is None:
        return {}
    entries = marshal.loads(payload)
    return entries if isinstance(entries, dict) else {}
