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
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
SUFFIX = ".cache"
PREVIOUS_SUFFIX = ".jsonl"  # the previous format's files
MAX_HEADER_BYTES = 4096  # a header is ~300 bytes; a longer first line is not one


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
            header = _header(handle.readline(MAX_HEADER_BYTES))
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


def present(path: Path) -> bool:
    """Whether :func:`read_cache` finds a file to read at ``path``: this format's, or the
    previous format's that it upgrades (not whether the file reads back)."""
    return os.path.exists(path) or os.path.exists(path.with_suffix(PREVIOUS_SUFFIX))


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
