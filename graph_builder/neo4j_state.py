"""What the last load left in Neo4j, kept beside the build so the next load need not read it.

A replace compares the plan with what the database holds. Reading that back costs seconds
at 10k articles (most of a one-article rebuild's Neo4j stage, more on a freshly started
server). After an atomic replace the database holds exactly the plan, so the loader keeps
the plan's keys and fingerprints in a file (``OUT/cache/neo4j-state``), tagged with the
database's position: its last committed transaction (id, checksum, commit time).

The next load trusts the file only while the database is still at that position: any
write since (another load, ``milgraph remove-document``, an analyst's Cypher) moves it,
and the loader reads the database as before. The position comes from the procedure
``milgraph.lastTransaction()``, which milgraph's own server (``neo4j/Launcher.java``)
registers; Neo4j Community has no other way to report it. On any other server the loader
always reads the database.

The file is written only when the database is known to hold the plan: the load wrote
(so its commit took a transaction id) and the database is exactly one transaction past
where the load's transaction began (ids are consecutive: that one is the load's), or
nothing at all was committed since. Otherwise (the first load into a new database commits
the names of its labels and properties apart, a load changed only analytics scores, or
another writer committed meanwhile) the loader reads the database once and keeps the plan
only if that read equals it.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_builder import sealed

if TYPE_CHECKING:
    from neo4j import ManagedTransaction, Session

POSITION_QUERY = "CALL milgraph.lastTransaction()"
FORMAT = "milgraph-neo4j-state/1"

Mark = tuple[str, int, int, int]  # database, last committed id, its checksum, commit time


@dataclass(frozen=True)
class Position:
    """A database's last committed transaction."""

    database: str
    last_committed: int
    checksum: int
    commit_timestamp: int

    @property
    def mark(self) -> Mark:
        """What identifies the database's content: equal marks, no write in between."""
        return (self.database, self.last_committed, self.checksum, self.commit_timestamp)

    def holds_load(self, began: Position, wrote: bool) -> bool:
        """Whether the database holds exactly what a load made it, read at this position
        after the load's commit: the load's transaction read `began` first and `wrote`
        changes (so its commit took an id). True if that commit is the only one since, or
        if nothing committed at all; any other commit in between makes it False."""
        if self.database != began.database:
            return False
        if wrote:
            return self.last_committed == began.last_committed + 1
        return self.mark == began.mark


def _position(record: Any) -> Position:
    return Position(
        database=record["database"],
        last_committed=record["lastCommitted"],
        checksum=record["checksum"],
        commit_timestamp=record["commitTimestamp"],
    )


def position_in(tx: ManagedTransaction) -> Position:
    """The position, read inside a transaction (the procedure must exist: see :func:`position`)."""
    return _position(tx.run(POSITION_QUERY).single(strict=True))


def position(session: Session) -> Position | None:
    """The database's position, or None on a server that does not tell it (one without
    ``milgraph.lastTransaction``, or a user not allowed to call it): the loader then
    reads the database, which is always right."""
    from neo4j.exceptions import ClientError

    try:
        return session.execute_read(position_in)
    except ClientError:
        return None


@dataclass(frozen=True)
class Kept:
    """The database's content as the last load left it (see ``neo4j_load._kept_content``)."""

    entities: dict[
        str, tuple[tuple[str, ...], Any, Any, Any]
    ]  # id -> (labels, name, aliases, type)
    documents: dict[str, dict[str, Any]]  # id -> stored properties
    relationships: dict[tuple[str, str, str], str]  # (subject, type, object) -> load_hash
    mentions: list[tuple[str, str]]  # (document id, entity id)


def _header(mark: Mark) -> dict[str, Any]:
    return {"format": FORMAT, "python": sealed.MARSHAL_PYTHON, "mark": list(mark)}


def read(path: Path, mark: Mark) -> Kept | None:
    """The content kept at `path` for a database at `mark`; None if there is none, it was
    kept at another position, or it does not read back whole."""
    payload = sealed.unseal(path, _header(mark))
    if payload is None:
        return None
    try:
        entities, documents, relationships, mentions = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    return Kept(entities, documents, relationships, mentions)


def write(path: Path, mark: Mark, kept: Kept) -> None:
    """Keep `kept` for a database at `mark` (a failed write leaves no file to trust).

    Not at Neo4j's base transaction (id 1): a store made by an import starts there too,
    with a fixed checksum and no commit time, whatever it holds."""
    if mark[1] <= 1:
        discard(path)
        return
    from graph_builder.analysis import atomic_write_bytes  # (imports networkx: only here)

    payload = marshal.dumps((kept.entities, kept.documents, kept.relationships, kept.mentions))
    try:
        atomic_write_bytes(path, sealed.seal(_header(mark), payload))
    except OSError:  # a full or read-only disk: the next load reads the database instead
        discard(path)


def discard(path: Path) -> None:
    """Remove kept content that no longer describes the database."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
