"""One exception hierarchy for milgraph; messages name the offending item and the fix."""

from __future__ import annotations

from pathlib import Path


class MilgraphError(Exception):
    """Base of every error milgraph reports to a user (exit code 1, no traceback)."""


class InputError(MilgraphError):
    """Bad input: names the file and line, and says what was expected.

    >>> str(InputError("x.jsonl", 3, "unknown predicate 'boss_of'"))
    "x.jsonl:3: unknown predicate 'boss_of'"
    """

    def __init__(self, path: str | Path | None, line: int | None, message: str) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.message = message
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class OntologyError(MilgraphError):
    """The ontology file is missing or inconsistent."""


class ValidationError(MilgraphError):
    """The RDF dataset violates the SHACL shapes; nothing was loaded."""


class Neo4jUnavailable(MilgraphError):
    """Neo4j cannot be reached, started or stopped."""


class NotAvailableYet(MilgraphError):
    """A command whose stage is not built yet; says so instead of faking a result."""
