"""Load a :class:`~graph_builder.model.GraphData` into Neo4j: idempotent, batched, exact.

Graph model (DESIGN.md):

- ``(:Entity:<Type> {id, name, aliases, type})``, plus analytics scores once written;
- ``(:Document {id, title, date, source, url, content_hash})-[:MENTIONS]->(:Entity)``;
- one relationship per (subject, predicate, object), of type ``Predicate.rel_type``, whose
  properties aggregate its support: ``doc_ids``, ``statement_ids`` and the aligned lists
  ``evidence`` / ``evidence_doc_ids`` (one entry per statement), ``modality`` (strongest),
  ``n_sources``, ``confidence``, ``first_date``/``last_date``, ``role``, ``relation``,
  ``link_kind``, ``attributed_to`` (list) and ``support_json`` (every supporting statement,
  so :func:`remove_document` can recompute the aggregates exactly) and ``load_hash`` (a
  fingerprint of the others, so a reload tells unchanged relationships apart cheaply).
  Symmetric predicates get one relationship per pair, whichever direction the data states.

A load reads what the database holds first and writes only what differs (see
:func:`load_graph` for what a replace guarantees); a rebuild's replace skips the read while
nothing wrote since the last one (:mod:`graph_builder.neo4j_state`).

Labels and relationship types come only from the ontology and are checked against it
(and against an identifier pattern) before they are placed in query text; every value
travels as a parameter.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import marshal
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_builder import neo4j_state
from graph_builder.errors import InputError, Neo4jUnavailable, OntologyError, ValidationError
from graph_builder.gcpause import gc_paused
from graph_builder.model import MODALITY_ORDER, GraphData, Relation, Support
from graph_builder.ontology import Ontology

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction, Session

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MENTIONS = "MENTIONS"
# Entity properties the loader owns; analytics scores may not overwrite them.
RESERVED_ENTITY_KEYS = frozenset({"id", "name", "type", "aliases"})

ProgressCallback = Callable[[int], None]
# Analytics rows (see write_scores), asked for once the graph itself is written.
ScoreSource = Callable[[], Sequence[Mapping[str, object]]]
# A replace is one transaction unless the caller asks for chunks (max_transaction_rows):
# atomicity is the default. The local server keeps transaction state off-heap (see
# neo4j/Launcher.java); its heap bounds the change set (measured in neo4j_server.start).
DEFAULT_MAX_TRANSACTION_ROWS: int | None = None


@dataclass(frozen=True)
class LoadSummary:
    """What a load wrote (counts of the data, not of changes) and what it removed."""

    entities: int
    documents: int
    relationships: int
    mentions: int
    batches: int
    seconds: float
    replaced: bool = False
    removed_nodes: int = 0
    removed_relationships: int = 0
    unchanged: int = 0  # rows found already equal in the database, so not written
    transactions: int = 0  # write transactions committed
    atomic: bool = True  # False when a big replace was committed in several transactions
    scored: int = 0  # entities given analytics scores (``scores`` of load_graph)
    # compared with the state the last load kept (``state_file``), not read from Neo4j
    state_kept: bool = False


@dataclass(frozen=True)
class RemovalSummary:
    """Effect of :func:`remove_document`."""

    doc_id: str
    document_found: bool
    relationships_updated: int
    relationships_deleted: int
    entities_deleted: int


# --------------------------------------------------------------------------- names


def check_label(name: str, ontology: Ontology) -> str:
    """An entity type name usable as a label: in the ontology and a plain identifier.

    >>> from graph_builder.ontology import load_ontology
    >>> check_label("Person", load_ontology())
    'Person'
    >>> check_label("Person`) DETACH DELETE n //", load_ontology())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph_builder.errors.OntologyError: label 'Person`) ...' is not an entity type ...
    """
    if name not in ontology.types or not IDENTIFIER.fullmatch(name):
        raise OntologyError(
            f"label {name!r} is not an entity type of the ontology; expected one of "
            + ", ".join(sorted(ontology.types))
        )
    return name


def check_rel_type(predicate: str, ontology: Ontology) -> str:
    """The relationship type of a predicate (snake_case name), checked against the ontology.

    >>> from graph_builder.ontology import load_ontology
    >>> check_rel_type("leader_of", load_ontology())
    'LEADER_OF'
    """
    rel_type = ontology.predicate(predicate).rel_type  # OntologyError for unknown names
    if not IDENTIFIER.fullmatch(rel_type):
        raise OntologyError(f"relationship type {rel_type!r} is not a plain identifier")
    if rel_type == MENTIONS:  # the loader's own document -> entity ties
        raise OntologyError(
            f"predicate {predicate!r} maps to relationship type {MENTIONS}, which milgraph "
            "keeps for a document's mentions; rename the predicate"
        )
    return rel_type


def rel_types(ontology: Ontology) -> dict[str, str]:
    """Neo4j relationship type -> predicate name, for every ontology predicate."""
    return {check_rel_type(name, ontology): name for name in ontology.predicates}


# --------------------------------------------------------------------------- rows


_support_order = attrgetter("doc_id", "statement_id")  # (doc_id, statement_id), in C


def relation_properties(relation: Relation) -> dict[str, Any]:
    """The aggregated properties stored on a relationship (None values are not stored).

    ``load_hash`` fingerprints the supporting statements (every other property is computed
    from them, by the code of :data:`PROPERTIES_VERSION`), so a reload compares one short
    string per relationship to know whether it must be rewritten.

    >>> s = Support("st1", "doc1", "Ishaq led LeJ.", "reported", 0.9, date="2015-07-29",
    ...             attributed_to="police")
    >>> props = relation_properties(Relation("e:1", "leader_of", "e:2", (s,)))
    >>> props["modality"], props["n_sources"], props["evidence"], props["attributed_to"]
    ('reported', 1, ['Ishaq led LeJ.'], ['police'])
    >>> len(props["load_hash"])
    24
    """
    return _PlannedRelationship.of(relation).properties()


@dataclass(frozen=True)
class _PlannedRelationship:
    """A relation with the fingerprint a reload compares; its properties on demand.

    A reload after one new article rewrites a few relationships among tens of thousands:
    only their properties (and support JSON) are built; the fingerprint is needed for all.
    """

    relation: Relation
    supports: list[Support]  # distinct statements, in (doc_id, statement_id) order
    load_hash: str

    @classmethod
    def of(cls, relation: Relation) -> _PlannedRelationship:
        if len(relation.support) == 1:  # most relations: nothing to deduplicate or sort
            supports = list(relation.support)
        else:
            supports = sorted(
                {s.statement_id: s for s in relation.support}.values(), key=_support_order
            )
        # Every other property is computed from the supports' fields. marshal writes them
        # in C, ~3x faster than the JSON this once hashed; format 2 is the last without
        # back-references by object identity, so equal values give equal bytes.
        try:
            fingerprint = marshal.dumps(list(map(_SUPPORT_VALUES, supports)), 2)
        except ValueError:  # a value marshal does not write (a str subclass): its JSON
            fingerprint = _support_json(supports).encode("utf-8")
        load_hash = hashlib.blake2b(_VERSION_BYTES + fingerprint, digest_size=12).hexdigest()
        return cls(relation, supports, load_hash)

    @cached_property
    def support_json(self) -> str:
        return _support_json(self.supports)

    @property
    def is_edge(self) -> bool:
        """False for a denied-only relation (its modality would be None): never an edge."""
        # self.supports are some of relation.support's objects, holding each statement once
        return any(s.modality in _RANK for s in self.supports)

    def row(self) -> dict[str, Any]:
        """The parameter row of the relationship queries."""
        relation = self.relation
        return {"s": relation.subject_id, "o": relation.object_id, "props": self.properties()}

    def properties(self) -> dict[str, Any]:
        supports = self.supports
        usable = any(s.modality in _RANK for s in supports)
        # One pass computing what Relation.modality / doc_ids / confidence / dates / qualifier
        # compute (same order of operations, so the same floats).
        rank: int | None = None
        best: dict[str, float] = {}
        dates: set[str] = set()
        roles: set[str] = set()
        relations: set[str] = set()
        kinds: set[str] = set()
        for s in self.relation.support:
            r = _RANK.get(s.modality)
            if r is not None and (rank is None or r < rank):
                rank = r
            previous = best.get(s.doc_id, 0.0)
            best[s.doc_id] = s.confidence if s.confidence > previous else previous
            if s.date:
                dates.add(s.date)
            if s.role:
                roles.add(s.role)
            if s.relation:
                relations.add(s.relation)
            if s.link_kind:
                kinds.add(s.link_kind)
        doubt = 1.0
        for value in best.values():
            doubt *= 1.0 - value
        ordered_dates = sorted(dates)
        doc_ids = sorted(best)
        return {
            "doc_ids": doc_ids,
            "statement_ids": [s.statement_id for s in supports],
            "evidence": [s.evidence for s in supports],
            "evidence_doc_ids": [s.doc_id for s in supports],
            "modality": MODALITY_ORDER[rank] if usable and rank is not None else None,
            "n_sources": len(doc_ids),
            "confidence": round(1.0 - doubt, 6),
            "first_date": ordered_dates[0] if ordered_dates else None,
            "last_date": ordered_dates[-1] if ordered_dates else None,
            "role": ", ".join(sorted(roles)) if roles else None,
            "relation": ", ".join(sorted(relations)) if relations else None,
            "link_kind": ", ".join(sorted(kinds)) if kinds else None,
            "attributed_to": sorted({s.attributed_to for s in supports if s.attributed_to}),
            "support_json": self.support_json,
            "load_hash": self.load_hash,
        }


_SUPPORT_FIELDS = tuple(sorted(f.name for f in fields(Support)))
_SUPPORT_FIELD_SET = frozenset(_SUPPORT_FIELDS)
_SUPPORT_VALUES = attrgetter(*_SUPPORT_FIELDS)
# Bump when relation_properties computes any property differently: the load_hash then
# changes, so the next load rewrites every relationship with the new properties.
PROPERTIES_VERSION = "3:"  # 3: the fingerprint of marshalled support values
_VERSION_BYTES = PROPERTIES_VERSION.encode()
_RANK = {name: rank for rank, name in enumerate(MODALITY_ORDER)}
# Same separators and escaping as json.dumps' defaults; keys sorted as json.dumps(...,
# sort_keys=True) sorts them. No check for circular containers (a support's fields are
# strings, numbers and a span, never circular): it cost ~0.15 s of a 10k-article plan.
_JSON = json.JSONEncoder(sort_keys=True, check_circular=False)


def _support_json(supports: Sequence[Support]) -> str:
    """The supports as JSON objects of their fields (equal to json.dumps(..., sort_keys=True))."""
    # A Support's __dict__ holds exactly its fields (a frozen dataclass), so the encoder
    # can read it without a dict built per support (dataclasses.asdict: 5x slower still).
    objects = [vars(s) for s in supports]
    if any(fields_of.keys() != _SUPPORT_FIELD_SET for fields_of in objects):
        objects = [{name: getattr(s, name) for name in _SUPPORT_FIELDS} for s in supports]
    return _JSON.encode(objects)


def _supports_from_json(text: str) -> list[Support]:
    supports = []
    for item in json.loads(text):
        span = item.get("span")
        item["span"] = tuple(span) if span is not None else None
        supports.append(Support(**item))
    return supports


def _canonical_relations(data: GraphData, ontology: Ontology) -> list[Relation]:
    """One relation per (subject, predicate, object); symmetric pairs merged into one."""
    merged: dict[tuple[str, str, str], list[Relation]] = defaultdict(list)
    symmetric: dict[str, bool] = {}
    for rel in data.relations:
        is_symmetric = symmetric.get(rel.predicate)
        if is_symmetric is None:
            is_symmetric = symmetric[rel.predicate] = ontology.predicate(rel.predicate).symmetric
        if is_symmetric:
            key = (
                min(rel.subject_id, rel.object_id),
                rel.predicate,
                max(rel.subject_id, rel.object_id),
            )
        else:
            key = (rel.subject_id, rel.predicate, rel.object_id)
        merged[key].append(rel)
    result = []
    for key in sorted(merged):
        group = merged[key]
        if len(group) == 1 and type(group[0].support) is tuple:
            result.append(group[0])  # most relations: already what the merge would build
            continue
        group.sort(key=lambda r: (r.subject_id, r.object_id))
        first = group[0]  # a direction the data states, so domain and range still hold
        support = tuple(s for r in group for s in r.support)
        result.append(Relation(first.subject_id, first.predicate, first.object_id, support))
    return result


@dataclass(frozen=True)
class _Plan:
    """Everything a load may write: node rows, and relations whose rows are built on demand."""

    entities: dict[str, list[dict[str, Any]]]  # label -> rows
    documents: list[dict[str, Any]]
    relationships: dict[str, list[_PlannedRelationship]]  # rel type -> relations, key order
    mentions: frozenset[tuple[str, str]]  # (document id, entity id)


def _plan(data: GraphData, ontology: Ontology) -> _Plan:
    entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entity_id in sorted(data.entities):
        entity = data.entities[entity_id]
        if entity.id != entity_id:
            raise ValidationError(
                f"entity {entity_id!r} is stored under a different id {entity.id!r}"
            )
        label = check_label(entity.type, ontology)
        entities[label].append(
            {"id": entity.id, "name": entity.name, "aliases": list(entity.aliases), "type": label}
        )
    documents = [
        {
            "id": doc.id,
            "props": {
                "title": doc.title,
                "date": doc.date,
                "source": doc.source,
                "url": doc.url,
                "content_hash": doc.content_hash,
            },
        }
        for _, doc in sorted(data.documents.items())
    ]
    relationships: dict[str, list[_PlannedRelationship]] = defaultdict(list)
    mentions = set(data.mentions)
    checked_types: dict[str, str] = {}
    for rel in _canonical_relations(data, ontology):
        rel_type = checked_types.get(rel.predicate)
        if rel_type is None:
            rel_type = checked_types[rel.predicate] = check_rel_type(rel.predicate, ontology)
        predicate = ontology.predicate(rel.predicate)
        for end, allowed in ((rel.subject_id, predicate.domain), (rel.object_id, predicate.range)):
            if end not in data.entities:
                raise ValidationError(
                    f"relation ({rel.subject_id}, {rel.predicate}, {rel.object_id}): "
                    f"{end} is not among the entities"
                )
            if data.entities[end].type not in allowed and not predicate.symmetric:
                raise OntologyError(
                    f"relation ({rel.subject_id}, {rel.predicate}, {rel.object_id}): {end} is a "
                    f"{data.entities[end].type}; expected {' or '.join(sorted(allowed))}"
                )
        planned = _PlannedRelationship.of(rel)
        if not planned.is_edge:
            continue  # denied-only: never an edge
        relationships[rel_type].append(planned)
        # The documents that support a relation mention both of its ends.
        for doc_id in {support.doc_id for support in rel.support}:
            mentions.add((doc_id, rel.subject_id))
            mentions.add((doc_id, rel.object_id))
    _check_mentions(mentions, data)
    return _Plan(
        entities=dict(entities),
        documents=documents,
        relationships=dict(relationships),
        mentions=frozenset(mentions),
    )


def _check_mentions(mentions: set[tuple[str, str]], data: GraphData) -> None:
    """ValidationError for a mention of a document or entity the data lacks."""
    # Set comparisons at C speed; the loop only runs to name a wrong mention.
    if data.documents.keys() >= set(map(itemgetter(0), mentions)) and data.entities.keys() >= set(
        map(itemgetter(1), mentions)
    ):
        return
    for doc_id, entity_id in mentions:
        if doc_id not in data.documents:
            raise ValidationError(f"document {doc_id!r} (mentions {entity_id}) has no DocumentInfo")
        if entity_id not in data.entities:
            raise ValidationError(f"document {doc_id!r} mentions unknown entity {entity_id!r}")


# --------------------------------------------------------------------------- queries
# One query text per label / relationship type and kind of write, so the server compiles
# each once and reuses its cached plan for every batch. Every MATCH / MERGE on an id goes
# through the uniqueness constraint's index (NodeUniqueIndexSeek in EXPLAIN).


def _entity_query(label: str, all_labels: Sequence[str]) -> str:
    """Upsert entities of one type (also fixes the type label of an entity that changed)."""
    others = [other for other in all_labels if other != label]
    remove = f" REMOVE e:{':'.join(others)}" if others else ""
    return (
        "UNWIND $rows AS row MERGE (e:Entity {id: row.id}) "
        f"SET e:{label}, e.name = row.name, e.aliases = row.aliases, e.type = row.type{remove}"
    )


def _entity_create_query(label: str) -> str:
    """Create entities known to be absent (replace path, inside its one transaction)."""
    return (
        f"UNWIND $rows AS row CREATE (e:Entity:{label} "
        "{id: row.id, name: row.name, aliases: row.aliases, type: row.type})"
    )


DOCUMENT_QUERY = (
    "UNWIND $rows AS row MERGE (d:Document {id: row.id}) SET d = row.props, d.id = row.id"
)
DOCUMENT_CREATE_QUERY = "UNWIND $rows AS row CREATE (d:Document) SET d = row.props, d.id = row.id"
MENTIONS_QUERY = (
    "UNWIND $rows AS row MATCH (d:Document {id: row.d}) MATCH (e:Entity {id: row.e}) "
    "MERGE (d)-[:MENTIONS]->(e)"
)
MENTIONS_CREATE_QUERY = (
    "UNWIND $rows AS row MATCH (d:Document {id: row.d}) MATCH (e:Entity {id: row.e}) "
    "CREATE (d)-[:MENTIONS]->(e)"
)


def _relationship_query(rel_type: str) -> str:
    """Upsert relationships of one type, keyed by (subject, type, object)."""
    return (
        "UNWIND $rows AS row MATCH (s:Entity {id: row.s}) MATCH (o:Entity {id: row.o}) "
        f"MERGE (s)-[r:{rel_type}]->(o) SET r = row.props"
    )


def _relationship_create_query(rel_type: str) -> str:
    """Create relationships known to be absent (replace path)."""
    return (
        "UNWIND $rows AS row MATCH (s:Entity {id: row.s}) MATCH (o:Entity {id: row.o}) "
        f"CREATE (s)-[r:{rel_type}]->(o) SET r = row.props"
    )


# Rewrite the properties of relationships found by the state read of the same transaction.
RELATIONSHIP_UPDATE_QUERY = (
    "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.rid SET r = row.props"
)

COUNT_NODES = "MATCH (n) RETURN count(n) AS n"  # from Neo4j's count store
COUNT_RELATIONSHIPS = "MATCH ()-[r]->() RETURN count(r) AS n"

# Find the relationships a diff against kept state names by key (see _locate).
LOCATE_RELATIONSHIPS = (
    "UNWIND $keys AS k MATCH (s:Entity {id: k[0]})-[r]->(o:Entity {id: k[2]}) "
    "WHERE type(r) = k[1] RETURN k, elementId(r)"
)
LOCATE_MENTIONS = (
    "UNWIND $keys AS k MATCH (d:Document {id: k[0]})-[r:MENTIONS]->(e:Entity {id: k[1]}) "
    "RETURN k, elementId(r)"
)

# The state read names properties an empty database has never seen; its warnings say nothing.
_QUIET: dict[str, Any] = {"notifications_min_severity": "OFF"}

# The state read: what the database holds, compared with the plan in Python. Records are
# grouped (all entities in one, relationships by chunks of start nodes) because the
# driver's cost is per record: one record per relationship made a reload client-bound,
# one per start node still cost a second at 10k articles. Chunks bound a record's size.
READ_ENTITIES = (
    "MATCH (e:Entity) WHERE e.id IS NOT NULL "
    "RETURN collect([e.id, labels(e), e.name, e.aliases, e.type]) AS rows"
)
READ_DOCUMENTS = (
    "MATCH (d:Document) WHERE d.id IS NOT NULL RETURN collect([d.id, properties(d)]) AS rows"
)
READ_RELATIONSHIPS = (
    "MATCH (s) WHERE EXISTS { (s)-->() } WITH collect(s) AS starts "
    "UNWIND range(0, size(starts) - 1, $chunk) AS i "
    "RETURN COLLECT { UNWIND starts[i..i + $chunk] AS s MATCH (s)-[r]->(o) "
    "RETURN [s.id, elementId(r), type(r), o.id, r.load_hash] } AS rels"
)
READ_CHUNK = 1000  # start nodes per record of READ_RELATIONSHIPS

# Replace: deletions by key, each an index seek (no scan with a big `IN $list`).
DELETE_RELATIONSHIPS_QUERY = (
    "UNWIND $rows AS rid MATCH ()-[r]->() WHERE elementId(r) = rid DELETE r"
)
DELETE_ENTITIES_QUERY = "UNWIND $rows AS id MATCH (e:Entity {id: id}) DETACH DELETE e"
DELETE_DOCUMENTS_QUERY = "UNWIND $rows AS id MATCH (d:Document {id: id}) DETACH DELETE d"
# Nodes that are neither an entity nor a document (or lack an id) never come from the data.
DELETE_STRAY_NODES = (
    "MATCH (n) WHERE (NOT n:Entity AND NOT n:Document) OR n.id IS NULL "
    "DETACH DELETE n RETURN count(n) AS n"
)


def ensure_schema(driver: Driver, ontology: Ontology, database: str = "neo4j") -> None:
    """Uniqueness constraints on Entity.id and Document.id, name indexes per entity type.

    Idempotent (``IF NOT EXISTS``); schema commands run in their own transactions, so this
    comes before any data is written.
    """
    statements = [
        "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE",
        "CREATE CONSTRAINT document_id IF NOT EXISTS FOR (d:Document) REQUIRE d.id IS UNIQUE",
        "CREATE INDEX entity_name IF NOT EXISTS FOR (e:Entity) ON (e.name)",
    ]
    for label in ontology.types:
        check_label(label, ontology)
        statements.append(
            f"CREATE INDEX {label.lower()}_name IF NOT EXISTS FOR (e:{label}) ON (e.name)"
        )
    for statement in statements:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(60)", database_=database)


def _batches(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _write_batch(tx: ManagedTransaction, query: str, rows: Sequence[Any]) -> None:
    tx.run(query, rows=list(rows)).consume()


# --------------------------------------------------------------------------- state and diff

RelKey = tuple[str, str, str]
# An elementId; in a state kept by the last load, the key that stands in for it until
# _locate finds it: (subject, type, object) or, for a mention, (document, entity).
ElementRef = str | tuple[str, ...]


@dataclass(frozen=True)
class _State:
    """What the database holds, as far as the comparison with a plan needs."""

    entities: dict[str, tuple[frozenset[str], Any, Any, Any]]  # id -> (labels, name, aliases, type)
    documents: dict[str, dict[str, Any]]  # id -> properties
    relationships: dict[RelKey, list[tuple[ElementRef, Any]]]  # -> [(elementId, hash)]
    # MENTIONS apart, by (document id, entity id): they are most relationships, and set
    # operations on these keys compare them with the plan at C speed.
    mentions: dict[tuple[str, str], ElementRef]  # -> elementId of the first one read
    duplicate_mentions: list[str]  # elementIds of the others (never made by this loader)


def _read_state(tx: ManagedTransaction) -> _State:
    rows = tx.run(READ_ENTITIES).single(strict=True)["rows"]
    entities = {e: (frozenset(labels), name, aliases, t) for e, labels, name, aliases, t in rows}
    rows = tx.run(READ_DOCUMENTS).single(strict=True)["rows"]
    documents = {d: dict(props) for d, props in rows}
    relationships: dict[RelKey, list[tuple[ElementRef, Any]]] = defaultdict(list)
    mentions: dict[tuple[str, str], ElementRef] = {}
    duplicate_mentions: list[str] = []
    for (rels,) in tx.run(READ_RELATIONSHIPS, chunk=READ_CHUNK).values():
        for s, rid, t, o, h in rels:
            if t != MENTIONS:
                relationships[(s, t, o)].append((rid, h))
            elif (s, o) in mentions:
                duplicate_mentions.append(rid)
            else:
                mentions[(s, o)] = rid
    return _State(entities, documents, dict(relationships), mentions, duplicate_mentions)


def _kept_state(kept: neo4j_state.Kept) -> _State:
    """Kept content as :func:`_read_state` would read it, each relationship's key standing
    in for its elementId (:func:`_locate` finds those a write needs)."""
    entities = {
        entity_id: (frozenset(labels), name, aliases, entity_type)
        for entity_id, (labels, name, aliases, entity_type) in kept.entities.items()
    }
    relationships: dict[RelKey, list[tuple[ElementRef, Any]]] = {
        key: [(key, load_hash)] for key, load_hash in kept.relationships.items()
    }
    # a mention's key, (document, entity), stands in for it: two items, not three
    mentions: dict[tuple[str, str], ElementRef] = dict(
        zip(kept.mentions, kept.mentions, strict=True)
    )
    return _State(entities, kept.documents, relationships, mentions, [])


def _kept_content(plan: _Plan) -> neo4j_state.Kept:
    """What the database holds once `plan` is loaded, as :func:`_read_state` would read it."""
    return neo4j_state.Kept(
        entities={
            row["id"]: (("Entity", label), row["name"], row["aliases"], row["type"])
            for label, rows in plan.entities.items()
            for row in rows
        },
        documents={row["id"]: _document_stored(row) for row in plan.documents},
        relationships={
            (rel.relation.subject_id, rel_type, rel.relation.object_id): rel.load_hash
            for rel_type, planned in plan.relationships.items()
            for rel in planned
        },
        mentions=list(plan.mentions),
    )


def _keep(
    session: Session,
    path: Path,
    plan: _Plan,
    ontology: Ontology,
    began: neo4j_state.Position,
    wrote: bool,
) -> None:
    """After a load's commit: keep the plan as the database's state if it is, else discard
    what was kept. The load is done: no failure here may fail it."""
    from neo4j.exceptions import DriverError, Neo4jError

    try:
        after = neo4j_state.position(session)
        if after is not None and after.holds_load(began, wrote):
            mark: neo4j_state.Mark | None = after.mark
        else:  # another commit too: keep the plan only if the database is it
            mark = session.execute_read(_mark_if_holding, plan, ontology)
        if mark is not None:
            neo4j_state.write(path, mark, _kept_content(plan))
            return
    except (DriverError, Neo4jError, ValueError, OSError):
        pass  # (marshal refuses a str subclass; the server may have gone)
    neo4j_state.discard(path)


def _mark_if_holding(
    tx: ManagedTransaction, plan: _Plan, ontology: Ontology
) -> neo4j_state.Mark | None:
    """The database's position if it holds exactly `plan`: nothing to write or delete
    against a full read, no node or relationship that read does not see (counts), and no
    write between the two position reads; else None."""
    at = neo4j_state.position_in(tx)
    nodes = tx.run(COUNT_NODES).single(strict=True)["n"]
    relationships = tx.run(COUNT_RELATIONSHIPS).single(strict=True)["n"]
    if _diff(plan, _read_state(tx), ontology).size:
        return None
    planned_nodes = sum(map(len, plan.entities.values())) + len(plan.documents)
    planned_relationships = sum(map(len, plan.relationships.values())) + len(plan.mentions)
    if (nodes, relationships) != (planned_nodes, planned_relationships):
        return None
    return at.mark if neo4j_state.position_in(tx).mark == at.mark else None


def _locate(tx: ManagedTransaction, diff: _Diff) -> bool:
    """Put elementIds in place of the keys that a diff against kept state deletes or
    rewrites. False if a key does not find exactly one relationship: the kept state does
    not describe the database after all (the caller reads it instead)."""
    keys = set(diff.stale_relationships) | {row["rid"] for row in diff.changed_relationships}
    found: dict[ElementRef, list[str]] = defaultdict(list)
    for query, wanted in (
        (LOCATE_MENTIONS, [key for key in keys if len(key) == 2]),
        (LOCATE_RELATIONSHIPS, [key for key in keys if len(key) == 3]),
    ):
        if wanted:
            for key, rid in tx.run(query, keys=[list(key) for key in wanted]).values():
                found[tuple(key)].append(rid)
    if found.keys() != keys or any(len(rids) != 1 for rids in found.values()):
        return False
    diff.stale_relationships[:] = [found[key][0] for key in diff.stale_relationships]
    for row in diff.changed_relationships:
        row["rid"] = found[row["rid"]][0]
    return True


@dataclass
class _Diff:
    """Rows to write (new / changed), and for a replace what to delete."""

    new_entities: dict[str, list[dict[str, Any]]]
    changed_entities: dict[str, list[dict[str, Any]]]
    new_documents: list[dict[str, Any]]
    changed_documents: list[dict[str, Any]]
    new_relationships: dict[str, list[dict[str, Any]]]
    changed_relationships: list[dict[str, Any]]  # {"rid", "props"}; rid: as stale ones
    changed_relationship_rows: dict[str, list[dict[str, Any]]]  # the same, as upsert rows
    new_mentions: list[dict[str, str]]
    stale_relationships: list[ElementRef]  # elementIds (keys until _locate)
    stale_entities: list[str]
    stale_documents: list[str]
    unchanged: int

    @property
    def size(self) -> int:
        """Rows to write or delete."""
        return (
            sum(len(rows) for rows in self.new_entities.values())
            + sum(len(rows) for rows in self.changed_entities.values())
            + len(self.new_documents)
            + len(self.changed_documents)
            + sum(len(rows) for rows in self.new_relationships.values())
            + len(self.changed_relationships)
            + len(self.new_mentions)
            + len(self.stale_relationships)
            + len(self.stale_entities)
            + len(self.stale_documents)
        )


def _document_stored(row: dict[str, Any]) -> dict[str, Any]:
    """The properties a document row leaves on its node (Neo4j stores no nulls)."""
    stored = {k: v for k, v in row["props"].items() if v is not None}
    stored["id"] = row["id"]
    return stored


def _diff(plan: _Plan, state: _State, ontology: Ontology) -> _Diff:
    types = frozenset(ontology.types)
    diff = _Diff({}, {}, [], [], {}, [], {}, [], [], [], [], 0)
    for label, rows in plan.entities.items():
        for row in rows:
            current = state.entities.get(row["id"])
            if current is None:
                diff.new_entities.setdefault(label, []).append(row)
            elif current == (current[0], row["name"], row["aliases"], row["type"]) and (
                current[0] & types == {label}
            ):
                diff.unchanged += 1
            else:
                diff.changed_entities.setdefault(label, []).append(row)
    for row in plan.documents:
        stored = state.documents.get(row["id"])
        if stored is None:
            diff.new_documents.append(row)
        elif stored == _document_stored(row):
            diff.unchanged += 1
        else:
            diff.changed_documents.append(row)
    wanted: set[RelKey] = set()
    for rel_type, planned in plan.relationships.items():
        for rel in planned:
            key = (rel.relation.subject_id, rel_type, rel.relation.object_id)
            wanted.add(key)
            existing = state.relationships.get(key)
            if not existing:
                diff.new_relationships.setdefault(rel_type, []).append(rel.row())
            elif len(existing) == 1 and existing[0][1] == rel.load_hash:
                diff.unchanged += 1
            else:
                row = rel.row()
                diff.changed_relationships += [
                    {"rid": rid, "props": row["props"]} for rid, _ in existing
                ]
                diff.changed_relationship_rows.setdefault(rel_type, []).append(row)
    # Planned and stored mentions that differ, in one pass: the copy and the update reuse
    # the hashes the set and the dict hold, so no tuple is hashed again (half the time of
    # a difference each way, which compared every key twice).
    differing = set(plan.mentions)
    differing.symmetric_difference_update(state.mentions)
    new_mentions = sorted(key for key in differing if key in plan.mentions)
    diff.new_mentions = [{"d": d, "e": e} for d, e in new_mentions]
    diff.unchanged += len(plan.mentions) - len(new_mentions)
    stale = diff.stale_relationships
    # Duplicates of one key (never made by this loader): keep the first only.
    for key, existing in state.relationships.items():
        stale += [rid for rid, _ in (existing[1:] if key in wanted else existing)]
    # unsorted: a node without an id (a stray) reads back as None, which sorts with no str
    stale += [state.mentions[key] for key in differing if key not in plan.mentions]
    stale += state.duplicate_mentions
    planned_entities = {row["id"] for rows in plan.entities.values() for row in rows}
    diff.stale_entities = sorted(set(state.entities) - planned_entities)
    diff.stale_documents = sorted(set(state.documents) - {row["id"] for row in plan.documents})
    return diff


Step = tuple[str, list[Any], bool]  # query, rows, whether the rows are plan rows (progress)


def _replace_steps(diff: _Diff, ontology: Ontology) -> list[Step]:
    """(query, rows, progress) making the database equal to the plan, given the diff.

    Deletions first (relationships, then the nodes they hung on), then nodes, then the
    relationships between them. New items are CREATEd: the state read showed them absent,
    so MERGE's existence check would be wasted work. :data:`DELETE_STRAY_NODES` runs after
    the first step (the stale relationships, which include those of stray nodes).
    """
    labels = list(ontology.types)
    return [
        (DELETE_RELATIONSHIPS_QUERY, diff.stale_relationships, False),
        (DELETE_ENTITIES_QUERY, diff.stale_entities, False),
        (DELETE_DOCUMENTS_QUERY, diff.stale_documents, False),
        *(
            (_entity_query(label, labels), rows, True)
            for label, rows in sorted(diff.changed_entities.items())
        ),
        (DOCUMENT_QUERY, diff.changed_documents, True),
        *(
            (_entity_create_query(label), rows, True)
            for label, rows in sorted(diff.new_entities.items())
        ),
        (DOCUMENT_CREATE_QUERY, diff.new_documents, True),
        *(
            (_relationship_create_query(t), rows, True)
            for t, rows in sorted(diff.new_relationships.items())
        ),
        (RELATIONSHIP_UPDATE_QUERY, diff.changed_relationships, True),
        (MENTIONS_CREATE_QUERY, diff.new_mentions, True),
    ]


def _upsert_steps(diff: _Diff, ontology: Ontology) -> list[tuple[str, list[Any]]]:
    """(query, rows) writing what is new or changed with MERGE (safe under other writers)."""
    labels = list(ontology.types)
    entity_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for group in (diff.new_entities, diff.changed_entities):
        for label, rows in group.items():
            entity_rows[label] += rows
    steps: list[tuple[str, list[Any]]] = [
        (_entity_query(label, labels), rows) for label, rows in sorted(entity_rows.items())
    ]
    steps.append((DOCUMENT_QUERY, diff.new_documents + diff.changed_documents))
    rel_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for group in (diff.new_relationships, diff.changed_relationship_rows):
        for rel_type, rows in group.items():
            rel_rows[rel_type] += rows
    steps += [(_relationship_query(t), rows) for t, rows in sorted(rel_rows.items())]
    steps.append((MENTIONS_QUERY, diff.new_mentions))
    return steps


def load_graph(
    driver: Driver,
    data: GraphData,
    ontology: Ontology,
    *,
    database: str = "neo4j",
    batch_size: int = 1000,
    replace: bool = False,
    max_transaction_rows: int | None = DEFAULT_MAX_TRANSACTION_ROWS,
    on_batch: ProgressCallback | None = None,
    scores: ScoreSource | None = None,
    state_file: Path | None = None,
) -> LoadSummary:
    """Make Neo4j hold `data`, writing only what differs, in parameterised ``UNWIND`` batches.

    The loader first reads what the database holds (ids, labels and the few properties it
    owns on nodes; the key and ``load_hash`` of every relationship), compares it with
    `data` in Python and writes only new and changed items: loading the same data twice
    reads the graph and writes nothing, and a rebuild after one new article writes about
    that article's share. (An edit made outside milgraph to a relationship's properties
    that leaves its ``load_hash`` in place is not seen; nodes are compared in full.)

    Guarantees
    ----------
    ``replace=False``
        Upsert with MERGE. Each batch of `batch_size` rows is its own managed transaction
        (``execute_write``; the driver retries transient errors). Nothing is deleted. If it
        fails midway, the batches already committed stay; rerunning finishes the job.
    ``replace=True``
        The database becomes equal to `data` exactly: nodes and relationships the data
        does not contain (of any label or type) are deleted. By default the state read,
        the deletions and every batch run inside **one** managed transaction, whatever
        the size: a failure midway rolls everything back, and readers see either the old
        graph or the new one, never a mixture (``LoadSummary.atomic``). A change set
        bigger than the server's transaction memory fails before anything is committed
        (:class:`Neo4jUnavailable` says how to give the server more). Callers who prefer
        progress to atomicity on a small server may pass `max_transaction_rows`: the
        change set is then applied in transactions of at most that many rows, stale
        items deleted first, then nodes, then relationships; readers may see a partial
        graph while it loads, and after a failure midway the database holds part of the
        change, which rerunning the load completes exactly.

    Parameters
    ----------
    driver
        A connected driver (see :func:`graph_builder.cli.common.open_driver`).
    data
        Entities, relations, documents and mentions, as read back from the RDF.
    ontology
        Source of the only labels and relationship types allowed.
    batch_size
        Rows per ``UNWIND`` query.
    max_transaction_rows
        None (default): a replace is one transaction. A number: largest change set a
        replace applies in one transaction; bigger ones are chunked (see Guarantees).
    on_batch
        Called with a number of rows as they are handled (written or found unchanged);
        the numbers add up to :func:`plan_size` (progress bars).
    scores
        Gives analytics rows to write as :func:`write_scores` does. It is called once the
        graph's own writes are done, so the rows may still be computed meanwhile, and
        they are written in the same transaction: an atomic replace commits the graph
        and its scores together, or neither (an error from `scores` rolls it back).
        With `max_transaction_rows` (a server short of memory), or without `replace`,
        they are written in one last transaction of their own.
    state_file
        For a replace: where to keep what the database holds after it (see
        :mod:`graph_builder.neo4j_state`), so that the next replace compares the plan with
        that instead of reading the database, while the database's last committed
        transaction is still the one it was kept at (milgraph's own server only; on
        others the database is always read). ``LoadSummary.state_kept`` says which.

    Raises
    ------
    OntologyError
        An entity type or predicate outside the ontology (nothing is written).
    ValidationError
        A relation or mention referring to an entity or document the data lacks.
    Neo4jUnavailable
        A one-transaction replace exceeded the server's transaction memory (nothing
        was changed); the message says how to give it more.
    """
    if batch_size < 1:
        raise InputError(None, None, f"batch size must be at least 1, got {batch_size}")
    if max_transaction_rows is not None and max_transaction_rows < 1:
        raise InputError(
            None, None, f"max transaction rows must be at least 1, got {max_transaction_rows}"
        )
    started = time.perf_counter()
    with gc_paused():
        summary = _load(
            driver,
            data,
            ontology,
            database,
            batch_size,
            replace,
            max_transaction_rows,
            on_batch,
            scores,
            state_file,
        )
    return dataclasses.replace(summary, seconds=round(time.perf_counter() - started, 3))


def _load(
    driver: Driver,
    data: GraphData,
    ontology: Ontology,
    database: str,
    batch_size: int,
    replace: bool,
    max_transaction_rows: int | None,
    on_batch: ProgressCallback | None,
    scores: ScoreSource | None,
    state_file: Path | None,
) -> LoadSummary:
    plan = _plan(data, ontology)  # validates everything before the first write
    ensure_schema(driver, ontology, database)
    progress = on_batch if on_batch is not None else (lambda n: None)
    scored = 0
    with driver.session(database=database, **_QUIET) as session:
        if replace:
            outcome = _replace(
                session,
                plan,
                ontology,
                batch_size,
                max_transaction_rows,
                progress,
                scores,
                state_file,
            )
            scored = outcome.scored
        else:
            diff = _diff(plan, session.execute_read(_read_state), ontology)
            progress(diff.unchanged)
            batches = 0
            for query, rows in _upsert_steps(diff, ontology):
                for batch in _batches(rows, batch_size):
                    session.execute_write(_write_batch, query, batch)
                    batches += 1
                    progress(len(batch))
            outcome = _Outcome(diff, batches, batches, 0, atomic=batches <= 1)
            if scores is not None:
                scored = session.execute_write(_write_score_rows, _score_rows(scores()))
    diff = outcome.diff
    return LoadSummary(
        entities=sum(len(rows) for rows in plan.entities.values()),
        documents=len(plan.documents),
        relationships=sum(len(rows) for rows in plan.relationships.values()),
        mentions=len(plan.mentions),
        batches=outcome.batches,
        seconds=0.0,
        replaced=replace,
        removed_nodes=outcome.strays + len(diff.stale_entities) + len(diff.stale_documents)
        if replace
        else 0,
        removed_relationships=len(diff.stale_relationships) if replace else 0,
        unchanged=diff.unchanged,
        transactions=outcome.transactions,
        atomic=outcome.atomic,
        scored=scored,
        state_kept=outcome.state_kept,
    )


class _OutOfTransactionMemory(Exception):
    """The server's transaction memory pool is exhausted (not retried)."""


@dataclass(frozen=True)
class _Outcome:
    diff: _Diff
    batches: int
    transactions: int
    strays: int
    atomic: bool
    scored: int = 0
    state_kept: bool = False


def _apply(
    tx: ManagedTransaction,
    steps: Sequence[Step],
    batch_size: int,
    progress: ProgressCallback,
) -> int:
    """Run `steps` in `tx`; the stray-node deletion after the first. Returns stray count."""
    strays = 0
    for query, rows, counts in steps:
        if query == DELETE_STRAY_NODES:
            strays = int(tx.run(query).single(strict=True)["n"])
            continue
        for batch in _batches(rows, batch_size):
            _write_batch(tx, query, batch)
            if counts:
                progress(len(batch))
    return strays


def _replace(
    session: Session,
    plan: _Plan,
    ontology: Ontology,
    batch_size: int,
    max_rows: int | None,
    progress: ProgressCallback,
    scores: ScoreSource | None,
    state_file: Path | None,
) -> _Outcome:
    """The replace of :func:`load_graph`: one transaction when the change set is small."""
    from neo4j.exceptions import TransientError

    def with_strays(diff: _Diff, kept: bool = False) -> list[Step]:
        steps = _replace_steps(diff, ontology)
        if kept:  # the database holds what the last load made: no stray node
            return steps
        return [steps[0], (DELETE_STRAY_NODES, [], False), *steps[1:]]

    def batches_of(steps: Sequence[Step]) -> int:
        return sum(-(-len(rows) // batch_size) for _, rows, _ in steps)

    # The state kept by the last load, if the server can say the database is unchanged.
    before = neo4j_state.position(session) if state_file is not None else None
    kept = neo4j_state.read(state_file, before.mark) if state_file and before else None

    def compare(tx: ManagedTransaction) -> tuple[_Diff, neo4j_state.Position | None, bool]:
        """The diff, the position the transaction began at, whether kept state served."""
        began = neo4j_state.position_in(tx) if before is not None else None
        if kept is not None and began is not None and before is not None:
            if began.mark == before.mark:  # no write since the state was kept
                diff = _diff(plan, _kept_state(kept), ontology)
                if _locate(tx, diff):
                    return diff, began, True
        return _diff(plan, _read_state(tx), ontology), began, False

    def atomic(
        tx: ManagedTransaction,
    ) -> tuple[_Diff, int | None, int, neo4j_state.Position | None, bool]:
        diff, began, from_kept = compare(tx)
        if max_rows is not None and diff.size > max_rows:
            return diff, None, 0, began, from_kept  # too big for one transaction
        strays = _apply(tx, with_strays(diff, from_kept), batch_size, progress)
        if scores is None or max_rows is not None:
            return diff, strays, 0, began, from_kept
        return diff, strays, _write_score_rows(tx, _score_rows(scores())), began, from_kept

    def no_retry_on_memory(work: Callable[..., Any]) -> Callable[..., Any]:
        # The driver retries transient errors, but the same transaction needs the same
        # memory again: fail at once (the transaction is rolled back).
        def guarded(tx: ManagedTransaction, *args: Any) -> Any:
            try:
                return work(tx, *args)
            except TransientError as exc:
                if "MemoryPoolOutOfMemoryError" in (exc.code or ""):
                    raise _OutOfTransactionMemory(exc.message or str(exc)) from None
                raise

        return guarded

    def write(work: Callable[..., Any], *args: Any) -> Any:
        try:
            return session.execute_write(no_retry_on_memory(work), *args)
        except (_OutOfTransactionMemory, TransientError) as exc:
            # A commit that runs out of memory surfaces here, after the driver's retries.
            if isinstance(exc, TransientError) and "MemoryPoolOutOfMemoryError" not in (
                exc.code or ""
            ):
                raise
            detail = exc.message if isinstance(exc, TransientError) else str(exc)
            raise Neo4jUnavailable(
                f"a replace transaction of up to {max_rows or 'all'} rows needs more "
                f"transaction memory than the Neo4j server allows ({detail}); that "
                "transaction was rolled back and the graph is unchanged. Give the server more "
                "(`milgraph neo4j stop`, then `milgraph neo4j start --heap 4g`), or commit in "
                "smaller transactions with `--chunk-rows 20000` on `milgraph load --replace` "
                "or `milgraph rebuild` (not atomic)"
            ) from None

    diff, strays, scored, began, from_kept = write(atomic)
    if strays is not None:
        progress(diff.unchanged)
        steps = with_strays(diff, from_kept)
        transactions = 1
        if scores is not None and max_rows is not None:  # their own: see load_graph
            scored = write(_write_score_rows, _score_rows(scores()))
            transactions += 1
        if state_file is not None and began is not None:
            _keep(session, state_file, plan, ontology, began, wrote=diff.size + strays > 0)
        return _Outcome(
            diff,
            batches_of(steps),
            transactions,
            strays,
            atomic=True,
            scored=scored,
            state_kept=from_kept,
        )

    # Chunked: consecutive batches grouped into transactions of at most max_rows rows.
    assert max_rows is not None
    progress(diff.unchanged)
    groups: list[list[Step]] = [[]]
    room = max_rows
    for query, rows, counts in with_strays(diff):
        if query == DELETE_STRAY_NODES:
            groups += [[(query, rows, counts)], []]
            room = max_rows
            continue
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            if len(batch) > room and groups[-1]:
                groups.append([])
                room = max_rows
            groups[-1].append((query, batch, counts))
            room -= len(batch)
    strays = 0
    transactions = 0
    for group in groups:
        if group:
            strays += write(_apply, group, batch_size, progress)
            transactions += 1
    if scores is not None:
        scored = write(_write_score_rows, _score_rows(scores()))
        transactions += 1
    if state_file is not None:
        neo4j_state.discard(state_file)  # not kept: the load took several transactions
    return _Outcome(
        diff,
        batches_of(with_strays(diff)),
        transactions,
        strays,
        atomic=False,
        scored=scored,
        state_kept=from_kept,
    )


def plan_size(data: GraphData, ontology: Ontology) -> int:
    """Rows a load of `data` handles (entities, documents, relationships, mentions).

    Counts what :func:`_plan` would produce without building its property maps (the
    costly part), so a progress bar can be sized before the load.
    """
    relationships = 0
    mentions = set(data.mentions)
    for rel in _canonical_relations(data, ontology):
        if not any(s.modality in MODALITY_ORDER for s in rel.support):
            continue  # denied-only: never an edge
        relationships += 1
        for support in rel.support:
            mentions.add((support.doc_id, rel.subject_id))
            mentions.add((support.doc_id, rel.object_id))
    return len(data.entities) + len(data.documents) + relationships + len(mentions)


# --------------------------------------------------------------------------- removal


def remove_document(driver: Driver, doc_id: str, database: str = "neo4j") -> RemovalSummary:
    """Remove exactly what only document `doc_id` supported, in one transaction.

    Relationships it supports lose its statements and get their aggregates (modality,
    confidence, dates, evidence...) recomputed from the statements left; relationships
    left without support (or with only denials) are deleted; the Document node goes; and
    entities that no remaining document mentions are deleted.
    """

    def work(tx: ManagedTransaction) -> RemovalSummary:
        found = tx.run("MATCH (d:Document {id: $doc}) RETURN count(d) AS n", doc=doc_id).single(
            strict=True
        )["n"]
        mentioned = [
            r["id"]
            for r in tx.run(
                "MATCH (:Document {id: $doc})-[:MENTIONS]->(e:Entity) RETURN e.id AS id", doc=doc_id
            )
        ]
        records = list(
            tx.run(
                "MATCH (s:Entity)-[r]->(o:Entity) WHERE $doc IN r.doc_ids "
                "RETURN elementId(r) AS rid, type(r) AS type, s.id AS s, o.id AS o, "
                "r.support_json AS support",
                doc=doc_id,
            )
        )
        updates, deletes = [], []
        for rec in records:
            kept = tuple(
                s for s in _supports_from_json(rec["support"] or "[]") if s.doc_id != doc_id
            )
            if not any(s.modality in MODALITY_ORDER for s in kept):
                deletes.append(rec["rid"])
                continue
            relation = Relation(rec["s"], str(rec["type"]).lower(), rec["o"], kept)
            updates.append({"rid": rec["rid"], "props": relation_properties(relation)})
        tx.run(
            "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.rid SET r = row.props",
            rows=updates,
        ).consume()
        tx.run(
            "UNWIND $rids AS rid MATCH ()-[r]->() WHERE elementId(r) = rid DELETE r", rids=deletes
        ).consume()
        tx.run("MATCH (d:Document {id: $doc}) DETACH DELETE d", doc=doc_id).consume()
        orphans = tx.run(
            "UNWIND $ids AS id MATCH (e:Entity {id: id}) "
            "WHERE NOT EXISTS { (:Document)-[:MENTIONS]->(e) } "
            "DETACH DELETE e RETURN count(e) AS n",
            ids=mentioned,
        ).single(strict=True)["n"]
        return RemovalSummary(doc_id, bool(found), len(updates), len(deletes), int(orphans))

    with driver.session(database=database) as session:
        return session.execute_write(work)


# --------------------------------------------------------------------------- scores


def _score_rows(rows: Sequence[Mapping[str, object]]) -> list[dict[str, Any]]:
    """Validate analytics rows: an "id", identifier keys, numeric (or empty) values.

    >>> _score_rows([{"id": "e:1", "name": "X", "degree": 0.5, "community": 2}])
    [{'id': 'e:1', 'scores': {'degree': 0.5, 'community': 2}}]
    >>> _score_rows([{"id": "e:1", "rank) SET n.x = 1 //": 1}])
    Traceback (most recent call last):
    ...
    graph_builder.errors.InputError: <input>:1: score column 'rank) SET n.x = 1 //' is not an identifier (letters, digits, _)
    """  # noqa: E501
    result = []
    for number, row in enumerate(rows, start=1):
        entity_id = row.get("id")
        if not isinstance(entity_id, str) or not entity_id:
            raise InputError(None, number, "score row has no string 'id'")
        scores: dict[str, Any] = {}
        for key, value in row.items():
            if key in RESERVED_ENTITY_KEYS:
                continue  # id, name, type, aliases belong to the loader
            if not IDENTIFIER.fullmatch(key):
                raise InputError(
                    None, number, f"score column {key!r} is not an identifier (letters, digits, _)"
                )
            if value is not None and (
                not isinstance(value, int | float) or value != value  # NaN cannot be stored
            ):
                raise InputError(
                    None, number, f"score {key}={value!r} of {entity_id} is not a number"
                )
            scores[key] = value
        result.append({"id": entity_id, "scores": scores})
    return result


def write_scores(
    driver: Driver, rows: Sequence[Mapping[str, object]], database: str = "neo4j"
) -> int:
    """Write analytics columns (degree, pagerank, community...) onto entities by ``id``.

    Keys ``id``, ``name``, ``type`` and ``aliases`` are not written; the others must be
    identifiers with numeric (or None, which removes the property) values. Returns the
    number of entities updated (ids missing from Neo4j are ignored).
    """
    checked = _score_rows(rows)
    with driver.session(database=database) as session:
        return session.execute_write(_write_score_rows, checked)


def _write_score_rows(tx: ManagedTransaction, checked: list[dict[str, Any]]) -> int:
    """Write rows checked by :func:`_score_rows`; the number of entities updated."""
    record = tx.run(
        "UNWIND $rows AS row MATCH (e:Entity {id: row.id}) SET e += row.scores "
        "RETURN count(e) AS n",
        rows=checked,
    ).single(strict=True)
    return int(record["n"])


def graph_counts(driver: Driver, database: str = "neo4j") -> tuple[int, int]:
    """(nodes, relationships) in the database."""
    nodes = driver.execute_query(COUNT_NODES, database_=database)
    rels = driver.execute_query(COUNT_RELATIONSHIPS, database_=database)
    return int(nodes.records[0]["n"]), int(rels.records[0]["n"])
