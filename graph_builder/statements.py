"""Statements: the typed record between extraction and the RDF, and its JSONL format.

The interchange format is one JSON object a line (see DESIGN.md). :func:`read_statements`
checks every line against the ontology and raises :class:`InputError` naming FILE:LINE on
the first bad one, so a file is taken whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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
MAX_LINE_CHARS = 1_000_000  # a statement is small; a longer line is not a statement


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

    @property
    def statement_id(self) -> str:
        """Stable id: the same claim from the same place gets the same id on every run."""
        key = "\x1f".join(
            str(x)
            for x in (
                self.doc_id,
                self.subject,
                self.predicate,
                self.object,
                self.span,
                self.evidence,
                self.modality,
            )
        )
        return "s-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """The interchange-format dict: required keys always, optional keys when set."""
        data = asdict(self)
        data["span"] = list(self.span) if self.span is not None else None
        return {k: v for k, v in data.items() if k in REQUIRED or v is not None}


def _text(data: dict[str, Any], key: str, where: tuple[str, int]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(*where, f"{key!r} must be a non-empty string, got {value!r}")
    return value.strip()


def _optional_text(data: dict[str, Any], key: str, where: tuple[str, int]) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(*where, f"{key!r} must be a string or null, got {value!r}")
    return value.strip()


def statement_from_dict(
    data: Any, ontology: Ontology, path: str | Path = "<input>", line: int = 0
) -> Statement:
    """Check one decoded JSON object against the format and the ontology.

    Raises InputError naming path:line and what was expected.
    """
    where = (str(path), line)
    if not isinstance(data, dict):
        raise InputError(*where, f"expected a JSON object, got {type(data).__name__}")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise InputError(*where, f"missing required key(s) {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InputError(
            *where,
            f"unknown key(s) {', '.join(unknown)}; expected {', '.join(REQUIRED + OPTIONAL)}",
        )
    predicate_name = _text(data, "predicate", where)
    if predicate_name not in ontology.predicates:
        raise InputError(
            *where,
            f"unknown predicate {predicate_name!r}; expected one of "
            f"{', '.join(ontology.predicates)}",
        )
    predicate = ontology.predicates[predicate_name]
    subject_type = _text(data, "subject_type", where)
    object_type = _text(data, "object_type", where)
    for key, value in (("subject_type", subject_type), ("object_type", object_type)):
        if value not in ontology.types:
            raise InputError(
                *where, f"unknown {key} {value!r}; expected one of {', '.join(ontology.types)}"
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
            f"unknown modality {modality!r}; expected one of "
            f"{', '.join(ontology.modalities_by_strength())}",
        )
    confidence = data["confidence"]
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not math.isfinite(confidence)
        or not 0 <= confidence <= 1
    ):
        raise InputError(*where, f"'confidence' must be a number in [0, 1], got {confidence!r}")
    span = data["span"]
    if span is not None:
        if (
            not isinstance(span, list)
            or len(span) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in span)
            or not 0 <= span[0] <= span[1]
        ):
            raise InputError(
                *where, f"'span' must be null or [start, end] with 0 <= start <= end, got {span!r}"
            )
        span = (span[0], span[1])
    link_kind = _optional_text(data, "link_kind", where)
    if link_kind is not None and link_kind not in ontology.link_kinds:
        raise InputError(
            *where,
            f"unknown link_kind {link_kind!r}; expected one of "
            f"{', '.join(sorted(ontology.link_kinds))}",
        )
    for key in ("date", "start", "end"):
        value = _optional_text(data, key, where)
        if value is not None and not _is_iso_date(value):
            raise InputError(*where, f"{key!r} must be an ISO date YYYY[-MM[-DD]], got {value!r}")
    return Statement(
        doc_id=_text(data, "doc_id", where),
        subject=_text(data, "subject", where),
        subject_type=subject_type,
        predicate=predicate_name,
        object=_text(data, "object", where),
        object_type=object_type,
        evidence=_text(data, "evidence", where),
        span=span,
        modality=modality,
        confidence=float(confidence),
        link_kind=link_kind,
        **{key: _optional_text(data, key, where) for key in OPTIONAL if key != "link_kind"},
    )


def _is_iso_date(value: str) -> bool:
    parts = value.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return False
    lengths = [4, 2, 2][: len(parts)]
    if any(len(p) != n for p, n in zip(parts, lengths, strict=True)):
        return False
    month = int(parts[1]) if len(parts) > 1 else 1
    day = int(parts[2]) if len(parts) > 2 else 1
    return 1 <= month <= 12 and 1 <= day <= 31


def read_statements(path: str | Path, ontology: Ontology) -> list[Statement]:
    """Read a statements JSONL file whole; the first bad line raises InputError (FILE:LINE).

    Blank lines are allowed. Nothing is returned unless every line is valid.
    """
    path = Path(path)
    statements = []
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError as exc:
        raise InputError(path, None, f"cannot read statements file: {exc.strerror}") from None
    with handle:
        line_no = 0
        try:
            for line_no, line in enumerate(handle, start=1):  # noqa: B007
                if len(line) > MAX_LINE_CHARS:
                    raise InputError(path, line_no, f"line longer than {MAX_LINE_CHARS} characters")
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(
                        path, line_no, f"broken JSON ({exc.msg} at column {exc.colno})"
                    ) from None
                except RecursionError:
                    raise InputError(path, line_no, "JSON nested too deeply") from None
                statements.append(statement_from_dict(data, ontology, path, line_no))
        except UnicodeDecodeError as exc:
            raise InputError(
                path, line_no + 1, f"not UTF-8 text (byte {exc.start} of the line)"
            ) from None
    return statements


def write_statements(statements: Iterable[Statement], path: str | Path) -> int:
    """Write statements as JSONL atomically (temp file + rename); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as out:
        for statement in statements:
            out.write(json.dumps(statement.to_json(), ensure_ascii=False, sort_keys=False))
            out.write("\n")
            count += 1
    tmp.replace(path)
    return count
