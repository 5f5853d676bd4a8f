"""Cache files of one JSON header line and a payload that must read back whole.

The header says what wrote the payload (a format, the Python whose marshal wrote it, the
keys the payload is valid for) and carries the payload's length and SHA-256: a file cut
short, damaged or written for something else reads as None, never as data.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAX_HEADER_BYTES = 4096  # a header is a few hundred bytes; a longer first line is not one
# marshal's format may change between Python versions: a payload is read by the one that
# wrote it
MARSHAL_PYTHON = f"{sys.implementation.cache_tag}-marshal{marshal.version}"


def seal(header: Mapping[str, Any], payload: bytes) -> bytes:
    """The file's bytes: `header` (JSON values) with the payload's length and digest."""
    full = {**header, "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    return json.dumps(full).encode() + b"\n" + payload


def unseal(path: Path, expected: Mapping[str, Any]) -> bytes | None:
    """The payload of a file written by :func:`seal` with a header holding `expected`
    (as JSON reads it back: lists, not tuples); None if it is missing or anything differs."""
    try:
        with path.open("rb") as handle:
            line = handle.readline(MAX_HEADER_BYTES)
            payload = handle.read()
        header = json.loads(line)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or any(header.get(k) != v for k, v in expected.items()):
        return None
    if header.get("bytes") != len(payload):
        return None
    if header.get("sha256") != hashlib.sha256(payload).hexdigest():
        return None
    return payload
