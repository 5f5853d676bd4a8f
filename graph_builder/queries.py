"""The Cypher library (``queries/*.cypher``) and read-only query execution.

Each file holds one parameterised query an analyst can also paste into Neo4j Browser.
Its header declares what it answers and its parameters::

    // name: leaders_of_group
    // answers: Who has led a group, over time ...
    // params: $group (string, default "Lashkar-e-Jhangvi") name or alias of the group
    // browser: :param group => 'Lashkar-e-Jhangvi'

Types are ``string``, ``int``, ``float`` and ``bool``; defaults are JSON values. Every
query runs in a READ transaction (``session.execute_read``), so the server refuses writes
even if a file or an ad-hoc query tried one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_builder.config import PROJECT_ROOT
from graph_builder.errors import InputError

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

QUERIES_DIR = PROJECT_ROOT / "queries"
PARAM_TYPES: dict[str, type] = {"string": str, "int": int, "float": float, "bool": bool}
_PARAM_LINE = re.compile(
    r"\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>\w+)(?:\s*,\s*default\s+(?P<default>.+?))?\)"
    r"\s*(?P<description>.*)"
)
_USED_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# Clauses that change data, schema or users. The READ transaction is the real guard;
# this check gives a clear message before anything is sent.
_WRITE_CLAUSE = re.compile(
    r"\b(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|FOREACH|LOAD\s+CSV|ALTER|GRANT|DENY|"
    r"REVOKE|RENAME|IN\s+TRANSACTIONS|TERMINATE|START\s+DATABASE|STOP\s+DATABASE)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QueryParam:
    """A parameter a query declares in its header."""

    name: str
    type: str  # string | int | float | bool
    default: Any = None
    description: str = ""
    required: bool = False

    def convert(self, value: object, where: str) -> Any:
        """Convert a command-line string (or check a value) to the declared type.

        >>> QueryParam("hops", "int").convert("3", "q")
        3
        >>> QueryParam("hops", "int").convert("three", "q")
        Traceback (most recent call last):
        ...
        graph_builder.errors.InputError: q: parameter $hops must be int, got 'three'
        """
        expected = PARAM_TYPES[self.type]
        if isinstance(value, str) and expected is not str:
            try:
                value = json.loads(value.strip().lower() if expected is bool else value)
            except ValueError:
                pass
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise InputError(
                where, None, f"parameter ${self.name} must be {self.type}, got {value!r}"
            )
        return value


@dataclass(frozen=True)
class NamedQuery:
    """One file of the Cypher library."""

    name: str
    answers: str
    params: tuple[QueryParam, ...]
    cypher: str  # the whole file, comments included (Cypher ignores them)
    path: Path

    def param(self, name: str) -> QueryParam | None:
        return next((p for p in self.params if p.name == name), None)

    def bind(self, given: Mapping[str, object]) -> dict[str, Any]:
        """The parameters to send: given values converted, defaults for the rest.

        Raises InputError for a parameter the file does not declare (listing the valid
        ones), a value of the wrong type, or a missing parameter without default.
        """
        where = str(self.path)
        valid = ", ".join(f"${p.name} ({p.type})" for p in self.params) or "none"
        bound: dict[str, Any] = {}
        for key, value in given.items():
            param = self.param(key)
            if param is None:
                raise InputError(
                    where, None, f"query {self.name!r} has no parameter ${key}; valid: {valid}"
                )
            bound[key] = param.convert(value, where)
        for param in self.params:
            if param.name not in bound:
                if param.required:
                    raise InputError(
                        where, None, f"query {self.name!r} needs ${param.name}; valid: {valid}"
                    )
                bound[param.name] = param.default
        return bound


def parse_query_file(path: Path) -> NamedQuery:
    """Read a ``.cypher`` file and its header; the header must declare every ``$param``.

    Raises
    ------
    InputError
        Missing ``// name:`` or ``// answers:``, a malformed ``// params:`` line, a bad
        default, or a ``$param`` used in the query but not declared (with file:line).
    """
    text = path.read_text(encoding="utf-8")
    name = answers = None
    params: list[QueryParam] = []
    body_lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("//"):
            body_lines.append(line)
            continue
        key, _, value = stripped[2:].strip().partition(":")
        value = value.strip()
        if key == "name":
            name = value
        elif key == "answers":
            answers = value
        elif key == "params":
            match = _PARAM_LINE.fullmatch(value)
            if match is None or match["type"] not in PARAM_TYPES:
                raise InputError(
                    path,
                    number,
                    "expected `// params: $name (string|int|float|bool[, default JSON]) "
                    f"description`, got {value!r}",
                )
            default: Any = None
            if match["default"] is not None:
                try:
                    default = json.loads(match["default"])
                except ValueError:
                    raise InputError(
                        path, number, f"default of ${match['name']} is not JSON: {match['default']}"
                    ) from None
            param = QueryParam(
                name=match["name"],
                type=match["type"],
                default=default,
                description=match["description"].strip(),
                required=match["default"] is None,
            )
            if param.default is not None:
                param.convert(param.default, f"{path}:{number}")
            params.append(param)
    if not name or not answers:
        raise InputError(path, 1, "the header needs `// name: ...` and `// answers: ...` lines")
    if name != path.stem:
        raise InputError(path, 1, f"`// name: {name}` differs from the file name {path.stem!r}")
    declared = {p.name for p in params}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("//"):
            continue
        for used in _USED_PARAM.findall(_strip_strings(line)):
            if used not in declared:
                raise InputError(path, number, f"${used} is used but not declared in `// params:`")
    return NamedQuery(name, answers, tuple(params), text, path)


def list_queries(directory: Path = QUERIES_DIR) -> list[NamedQuery]:
    """Every named query of the library, sorted by name."""
    return [parse_query_file(path) for path in sorted(Path(directory).glob("*.cypher"))]


def get_query(name: str, directory: Path = QUERIES_DIR) -> NamedQuery:
    """The query called `name`; InputError listing the valid names otherwise."""
    queries = {q.name: q for q in list_queries(directory)}
    if name not in queries:
        raise InputError(
            directory, None, f"no query named {name!r}; valid: {', '.join(sorted(queries))}"
        )
    return queries[name]


def _strip_strings(cypher: str) -> str:
    """Cypher with string literals, quoted names and comments blanked out.

    >>> _strip_strings("MATCH (n {name: 'CREATE'}) // DELETE\\nRETURN `SET`")
    "MATCH (n {name: ''}) \\nRETURN ``"
    """
    pattern = re.compile(
        r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL
    )

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith(("//", "/*")):
            return ""
        return token[0] * 2

    return pattern.sub(blank, cypher)


def check_read_only(cypher: str) -> None:
    """Refuse Cypher with a write clause (outside strings and comments).

    >>> check_read_only("MATCH (n) WHERE n.name = 'CREATE' RETURN n")
    >>> check_read_only("CREATE (n)")
    Traceback (most recent call last):
    ...
    graph_builder.errors.InputError: <input>: only read-only Cypher is allowed here; found CREATE
    """
    match = _WRITE_CLAUSE.search(_strip_strings(cypher))
    if match:
        raise InputError(
            None,
            None,
            f"only read-only Cypher is allowed here; found {' '.join(match.group(1).split())}",
        )


def _records(tx: ManagedTransaction, cypher: str, params: Mapping[str, Any]) -> list[dict]:
    return [record.data() for record in tx.run(cypher, dict(params))]


def run_read_only(
    driver: Driver,
    cypher: str,
    params: Mapping[str, object] | None = None,
    database: str = "neo4j",
    *,
    check: bool = True,
) -> list[dict]:
    """Run Cypher in a READ transaction and return its rows as dicts.

    The text is checked for write clauses first (clear message); the READ access mode
    makes the server itself refuse any write that slips past the check.
    """
    from neo4j import READ_ACCESS

    if check:
        check_read_only(cypher)
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        return session.execute_read(_records, cypher, params or {})


def run_named_query(
    driver: Driver,
    name: str,
    params: Mapping[str, object],
    database: str = "neo4j",
    directory: Path = QUERIES_DIR,
) -> list[dict]:
    """Run the library query `name` with `params` (validated against its header)."""
    query = get_query(name, directory)
    return run_read_only(driver, query.cypher, query.bind(params), database)
