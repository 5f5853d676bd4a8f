"""Statements: the typed record between extraction and the RDF, and its JSONL format.

The interchange format is one JSON object a line (see DESIGN.md). :func:`read_statements`
checks every line against the ontology and raises :class:`InputError` naming FILE:LINE on
the first bad one, so a file is taken whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from graph_builder.errors import InputError
from graph_builder.ontology import Ontology

REQUIRED = (
    "doc_id",
    "subject",
    "subject_type",
    "predicate",
    "object",
    "object_type",
    "evidence",
    "span",
    "modality",
    "confidence",
)
OPTIONAL = (
    "attributed_to",
    "role",
    "relation",
    "link_kind",
    "date",
    "start",
    "end",
    "extractor",
    "subject_id",
    "object_id",
)
_REQUIRED_KEYS = frozenset(REQUIRED)
_KNOWN_KEYS = frozenset(REQUIRED + OPTIONAL)
_DATE_KEYS = ("date", "start", "end")
_OTHER_OPTIONAL = tuple(k for k in OPTIONAL if k != "link_kind" and k not in _DATE_KEYS)
MAX_LINE_CHARS = 1_000_000  # a statement is small; a longer line is not a statement
# Offsets into a document (documents are at most tens of MB): far below Neo4j's int64.
MAX_OFFSET = 2**31 - 1
# Characters XML 1.0 cannot hold (C0 controls but tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF): text with them would break GraphML, GEXF and the report downstream.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Statement:
    """One (subject, predicate, object) claim from one document, with its evidence."""

    doc_id: str
    subject: str
    subject_type: str
    predicate: str
    object: str
    object_type: str
    evidence: str
    span: tuple[int, int] | None
    modality: str
    confidence: float
    attributed_to: str | None = None
    role: str | None = None
    relation: str | None = None
    link_kind: str | None = None
    date: str | None = None
    start: str | None = None
    end: str | None = None
    extractor: str | None = None
    subject_id: str | None = None
    object_id: str | None = None

    @cached_property  # asked for by every stage: hashed once per object
    def statement_id(self) -> str:
        """Stable id: the same claim from the same place gets the same id on every run."""
        # (what "\x1f".join(str(x) for x in the fields) gives, built without a generator:
        # hashed for every statement of a corpus by every build)
        key = (
            f"{self.doc_id!s}\x1f{self.subject!s}\x1f{self.predicate!s}\x1f{self.object!s}"
            f"\x1f{self.span!s}\x1f{self.evidence!s}\x1f{self.modality!s}"
        )
        return "s-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """The interchange-format dict: required keys always, optional keys when set."""
        # Field by field, not dataclasses.asdict: its deep copy of these plain values
        # cost more than the JSON encoding of a whole corpus's statements.
        data = {key: getattr(self, key) for key in REQUIRED}
        data["span"] = list(self.span) if self.span is not None else None
        for key in OPTIONAL:
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


FIELDS = tuple(f.name for f in fields(Statement))
_FIELD_SET = frozenset(FIELDS)
_SPAN = FIELDS.index("span")
# Values a Statement computes once and keeps on itself: never valid for a changed copy.
_CACHED = ("statement_id",)


def statement_values(statement: Statement) -> list[Any]:
    """The field values in field order, JSON-ready (the span a list): a cache row."""
    values = [getattr(statement, name) for name in FIELDS]
    if values[_SPAN] is not None:
        values[_SPAN] = list(values[_SPAN])
    return values


def trusted_statement(values: list[Any]) -> Statement:
    """The Statement of a row from :func:`statement_values`, WITHOUT any check: only for
    rows this program wrote from statements that :func:`statement_from_dict` returned
    (so checked and normalised), under an unchanged :func:`check_key`."""
    span = values[_SPAN]
    if span is not None:
        values[_SPAN] = (span[0], span[1])
    # filled as with_changes fills a copy: __init__'s call per field cost ~0.4 s for the
    # 140k cached statements of a 10k-article rebuild
    statement = object.__new__(Statement)
    statement.__dict__.update(zip(FIELDS, values, strict=True))
    return statement


def with_changes(statement: Statement, **changes: Any) -> Statement:
    """``dataclasses.replace`` for hot loops: an equal object, made without ``__init__``'s
    call per field (Statement has no ``__post_init__`` to skip). Values cached on the
    original (statement_id) are not carried over, as a new object would not have them."""
    if not changes.keys() <= _FIELD_SET:
        raise TypeError(f"not Statement fields: {', '.join(sorted(changes.keys() - _FIELD_SET))}")
    return with_fields(statement, changes)


def with_fields(statement: Statement, changes: Mapping[str, Any]) -> Statement:
    """:func:`with_changes` for names the caller knows are fields (not checked): the
    original's values copied in one call and given to the copy as its ``__dict__``
    (resolution rewrites 140k statements at 10k articles)."""
    values = statement.__dict__.copy()
    for name in _CACHED:
        values.pop(name, None)
    values.update(changes)
    copy = object.__new__(Statement)
    object.__setattr__(copy, "__dict__", values)  # frozen: its own __setattr__ refuses
    return copy


def check_key(ontology: Ontology) -> str:
    """Changes whenever :func:`statement_from_dict` could judge or normalise a statement
    differently: with the ontology terms it reads, or with this module's code. Statements
    checked under one key need no second check while the key is the same."""
    terms = [
        sorted(ontology.types),
        sorted(
            (name, sorted(p.domain), sorted(p.range), p.symmetric)
            for name, p in ontology.predicates.items()
        ),
        sorted(ontology.modalities.items()),
        sorted(ontology.link_kinds),
    ]
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps(terms).encode("utf-8"))
    return digest.hexdigest()


def _clean(key: str, value: str, where: tuple[str, int]) -> str:
    """The stripped text, or InputError when it holds characters no export can carry.

    >>> _clean("subject", "A\\x00B", ("x.jsonl", 1))
    Traceback (most recent call last):
    ...
    graph_builder.errors.InputError: x.jsonl:1: 'subject' holds control character U+0000 ...
    """
    bad = _NOT_XML_TEXT.search(value)
    if bad is not None:
        raise InputError(
            *where,
            f"{key!r} holds control character U+{ord(bad.group()):04X} at position "
            f"{bad.start()}; expected plain text (tab, newline and printable characters)",
        )
    return value.strip()


def _text(data: dict[str, Any], key: str, where: tuple[str, int]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(*where, f"{key!r} must be a non-empty string, got {_short(value)}")
    return _clean(key, value, where)


def _optional_text(data: dict[str, Any], key: str, where: tuple[str, int]) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(*where, f"{key!r} must be a string or null, got {_short(value)}")
    return _clean(key, value, where)


def _names(names: list[str], limit: int = 5) -> str:
    """Some names for a message, each cut short.

    >>> _names(["a", "b" * 50, "c", "d", "e", "f"])
    'a, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb..., c, d, e (+1 more)'
    """
    shown = [n if len(n) <= 40 else n[:40] + "..." for n in names[:limit]]
    more = f" (+{len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(shown) + more


def _short(value: Any, limit: int = 80) -> str:
    """repr of a bad value, cut so that a huge value does not flood the message.

    >>> _short("x" * 100, 10)
    "'xxxxxxx... (102 characters)"
    """
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 2]}... ({len(text)} characters)"


def statement_from_dict(
    data: Any, ontology: Ontology, path: str | Path = "<input>", line: int = 0
) -> Statement:
    """Check one decoded JSON object against the format and the ontology.

    Raises InputError naming path:line and what was expected.
    """
    where = (str(path), line)
    if not isinstance(data, dict):
        raise InputError(*where, f"expected a JSON object, got {type(data).__name__}")
    keys = data.keys()
    if not _REQUIRED_KEYS <= keys:
        missing = [k for k in REQUIRED if k not in data]
        raise InputError(*where, f"missing required key(s) {', '.join(missing)}")
    if not keys <= _KNOWN_KEYS:
        unknown = sorted(keys - _KNOWN_KEYS)
        raise InputError(
            *where,
            f"unknown key(s) {_names(unknown)}; expected {', '.join(REQUIRED + OPTIONAL)}",
        )
    predicate_name = _text(data, "predicate", where)
    if predicate_name not in ontology.predicates:
        raise InputError(
            *where,
            f"unknown predicate {_short(predicate_name)}; expected one of "
            f"{', '.join(ontology.predicates)}",
        )
    predicate = ontology.predicates[predicate_name]
    subject_type = _text(data, "subject_type", where)
    object_type = _text(data, "object_type", where)
    for key, value in (("subject_type", subject_type), ("object_type", object_type)):
        if value not in ontology.types:
            raise InputError(
                *where,
                f"unknown {key} {_short(value)}; expected one of {', '.join(ontology.types)}",
            )
    fits = subject_type in predicate.domain and object_type in predicate.range
    if predicate.symmetric:
        fits = fits or (object_type in predicate.domain and subject_type in predicate.range)
    if not fits:
        raise InputError(
            *where,
            f"{predicate_name} links {'|'.join(sorted(predicate.domain))} -> "
            f"{'|'.join(sorted(predicate.range))}, got {subject_type} -> {object_type}",
        )
    modality = _text(data, "modality", where)
    if modality not in ontology.modalities:
        raise InputError(
            *where,
            f"unknown modality {_short(modality)}; expected one of "
            f"{', '.join(ontology.modalities_by_strength())}",
        )
    confidence = data["confidence"]
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 <= confidence <= 1  # also false for NaN; no float() of a huge int
    ):
        raise InputError(
            *where, f"'confidence' must be a number in [0, 1], got {_short(confidence)}"
        )
    span = data["span"]
    if span is not None:
        if (
            not isinstance(span, list)
            or len(span) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in span)
            or not 0 <= span[0] <= span[1] <= MAX_OFFSET
        ):
            raise InputError(
                *where,
                f"'span' must be null or [start, end] with 0 <= start <= end <= {MAX_OFFSET}, "
                f"got {_short(span)}",
            )
        span = (span[0], span[1])
    # Checked in the order that picks the reported fault when a statement has several:
    # link kind, dates, the required texts, then the other optional keys.
    link_kind = _optional_text(data, "link_kind", where)
    if link_kind is not None and link_kind not in ontology.link_kinds:
        raise InputError(
            *where,
            f"unknown link_kind {_short(link_kind)}; expected one of "
            f"{', '.join(sorted(ontology.link_kinds))}",
        )
    dates = {key: _optional_text(data, key, where) for key in _DATE_KEYS}
    for key, when in dates.items():
        if when is not None and not _is_iso_date(when):
            raise InputError(
                *where, f"{key!r} must be an ISO date YYYY[-MM[-DD]], got {_short(when)}"
            )
    values: dict[str, Any] = {
        key: _text(data, key, where) for key in ("doc_id", "subject", "object", "evidence")
    }
    values.update(
        subject_type=subject_type,
        predicate=predicate_name,
        object_type=object_type,
        span=span,
        modality=modality,
        confidence=float(confidence),
        link_kind=link_kind,
        **dates,
    )
    # absent keys keep the dataclass default (None), as "" and null do
    values.update((key, _optional_text(data, key, where)) for key in _OTHER_OPTIONAL if key in data)
    return Statement(**values)


def _is_iso_date(value: str) -> bool:
    """A real calendar date at year, month or day precision.

    >>> _is_iso_date("2015-07"), _is_iso_date("2015-02-29"), _is_iso_date("2016-02-29")
    (True, False, True)
    """
    parts = value.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return False
    lengths = [4, 2, 2][: len(parts)]
    if any(len(p) != n for p, n in zip(parts, lengths, strict=True)):
        return False
    try:
        dt.date(
            int(parts[0]),
            int(parts[1]) if len(parts) > 1 else 1,
            int(parts[2]) if len(parts) > 2 else 1,
        )
    except ValueError:  # month 13, 31 February, year 0
        return False
    return True


def read_statements(path: str | Path, ontology: Ontology) -> list[Statement]:
    """Read a statements JSONL file whole; the first bad line raises InputError (FILE:LINE).

    Blank lines and a leading byte-order mark are allowed. Nothing is returned unless every
    line is valid. A line is never read beyond :data:`MAX_LINE_CHARS`, so a huge file
    without newlines costs no more memory than one long line.
    """
    path = Path(path)
    statements = []
    try:
        handle = path.open("r", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(path, None, f"cannot read statements file: {exc.strerror}") from None
    with handle:
        line_no = 0
        try:
            while line := handle.readline(MAX_LINE_CHARS + 1):
                line_no += 1
                if len(line) > MAX_LINE_CHARS:
                    raise InputError(path, line_no, f"line longer than {MAX_LINE_CHARS} characters")
                if not line.strip():
                    continue
                statements.append(
                    statement_from_dict(_decode(line, path, line_no), ontology, path, line_no)
                )
        except UnicodeDecodeError as exc:
            raise InputError(
                path, line_no + 1, f"not UTF-8 text (byte {exc.start} of the line)"
            ) from None
        except OSError as exc:  # e.g. a directory, or an I/O error midway
            raise InputError(
                path, line_no + 1, f"cannot read statements file: {exc.strerror}"
            ) from None
    return statements


def _decode(line: str, path: Path, line_no: int) -> Any:
    """One JSON value, or InputError naming the line (broken, too deep, absurd number)."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(path, line_no, f"broken JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise InputError(path, line_no, "JSON nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits (int_max_str_digits)
        raise InputError(path, line_no, f"unreadable JSON value ({exc})") from None


def write_statements(statements: Iterable[Statement], path: str | Path) -> int:
    """Write statements as JSONL atomically (temp file + rename); returns the count.

    On any failure (disk full, a statement that cannot be encoded) the temporary file is
    removed and an existing file at `path` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    # orjson: compact UTF-8 JSON, a third to a half of json.dumps's CPU (1.0-1.6 s against
    # 2.9-3.4 s at 10k articles, in the side process that writes this file beside the RDF's)
    dumps = orjson.dumps
    try:
        with tmp.open("wb") as out:
            for statement in statements:
                out.write(dumps(statement.to_json()))
                out.write(b"\n")
                count += 1
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return count
