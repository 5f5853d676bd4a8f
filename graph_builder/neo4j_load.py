"""Load a :class:`~graph_builder.model.GraphData` into Neo4j: idempotent, batched, exact.

Graph model (DESIGN.md):

- ``(:Entity:<Type> {id, name, aliases, type})``, plus analytics scores once written;
- ``(:Document {id, title, date, source, url, content_hash})-[:MENTIONS]->(:Entity)``;
- one relationship per (subject, predicate, object), of type ``Predicate.rel_type``, whose
  properties aggregate its support: ``doc_ids``, ``statement_ids`` and the aligned lists
  ``evidence`` / ``evidence_doc_ids`` (one entry per statement), ``modality`` (strongest),
  ``n_sources``, ``confidence``, ``first_date``/``last_date``, ``role``, ``relation``,
  ``link_kind``, ``attributed_to`` (list) and ``support_json`` (every supporting statement,
  so :func:`remove_document` can recompute the aggregates exactly). Symmetric predicates
  get one relationship per pair, whichever direction the data states.

Labels and relationship types come only from the ontology and are checked against it
(and against an identifier pattern) before they are placed in query text; every value
travels as a parameter.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from graph_builder.errors import InputError, OntologyError, ValidationError
from graph_builder.model import MODALITY_ORDER, GraphData, Relation, Support
from graph_builder.ontology import Ontology

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MENTIONS = "MENTIONS"
# Entity properties the loader owns; analytics scores may not overwrite them.
RESERVED_ENTITY_KEYS = frozenset({"id", "name", "type", "aliases"})
# Separator of relationship keys (subject, type, object) in the replace bookkeeping;
# a control character, so it cannot occur in an IRI.
_SEP = "\u001f"

ProgressCallback = Callable[[int], None]


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
    return rel_type


def rel_types(ontology: Ontology) -> dict[str, str]:
    """Neo4j relationship type -> predicate name, for every ontology predicate."""
    return {check_rel_type(name, ontology): name for name in ontology.predicates}


# --------------------------------------------------------------------------- rows


def _support_order(s: Support) -> tuple[str, str]:
    return (s.doc_id, s.statement_id)


def relation_properties(relation: Relation) -> dict[str, Any]:
    """The aggregated properties stored on a relationship (None values are not stored).

    >>> s = Support("st1", "doc1", "Ishaq led LeJ.", "reported", 0.9, date="2015-07-29",
    ...             attributed_to="police")
    >>> props = relation_properties(Relation("e:1", "leader_of", "e:2", (s,)))
    >>> props["modality"], props["n_sources"], props["evidence"], props["attributed_to"]
    ('reported', 1, ['Ishaq led LeJ.'], ['police'])
    """
    supports = sorted({s.statement_id: s for s in relation.support}.values(), key=_support_order)
    usable = [s for s in supports if s.modality in MODALITY_ORDER]
    dates = relation.dates
    return {
        "doc_ids": list(relation.doc_ids),
        "statement_ids": [s.statement_id for s in supports],
        "evidence": [s.evidence for s in supports],
        "evidence_doc_ids": [s.doc_id for s in supports],
        "modality": relation.modality if usable else None,
        "n_sources": relation.n_sources,
        "confidence": relation.confidence,
        "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "role": relation.qualifier("role"),
        "relation": relation.qualifier("relation"),
        "link_kind": relation.qualifier("link_kind"),
        "attributed_to": sorted({s.attributed_to for s in supports if s.attributed_to}),
        "support_json": json.dumps([_support_dict(s) for s in supports], sort_keys=True),
    }


_SUPPORT_FIELDS = tuple(f.name for f in fields(Support))


def _support_dict(support: Support) -> dict[str, Any]:
    # dataclasses.asdict deep-copies every value: 5x slower on big loads.
    return {name: getattr(support, name) for name in _SUPPORT_FIELDS}


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
    for rel in data.relations:
        predicate = ontology.predicate(rel.predicate)
        if predicate.symmetric:
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
        group = sorted(merged[key], key=lambda r: (r.subject_id, r.object_id))
        first = group[0]  # a direction the data states, so domain and range still hold
        support = tuple(s for r in group for s in r.support)
        result.append(Relation(first.subject_id, first.predicate, first.object_id, support))
    return result


@dataclass(frozen=True)
class _Plan:
    """Everything a load writes, as parameter rows grouped by label / relationship type."""

    entities: dict[str, list[dict[str, Any]]]  # label -> rows
    documents: list[dict[str, Any]]
    relationships: dict[str, list[dict[str, Any]]]  # rel type -> rows
    mentions: list[dict[str, str]]

    def keys(self) -> tuple[list[str], list[str], list[str]]:
        """Entity ids, document ids and relationship keys, for the replace step."""
        entity_ids = [row["id"] for rows in self.entities.values() for row in rows]
        doc_ids = [row["id"] for row in self.documents]
        rel_keys = [
            _SEP.join((row["s"], rel_type, row["o"]))
            for rel_type, rows in self.relationships.items()
            for row in rows
        ]
        rel_keys += [_SEP.join((m["d"], MENTIONS, m["e"])) for m in self.mentions]
        return entity_ids, doc_ids, rel_keys


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
    relationships: dict[str, list[dict[str, Any]]] = defaultdict(list)
    mentions = set(data.mentions)
    for rel in _canonical_relations(data, ontology):
        rel_type = check_rel_type(rel.predicate, ontology)
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
        props = relation_properties(rel)
        if props["modality"] is None:
            continue  # denied-only: never an edge
        relationships[rel_type].append({"s": rel.subject_id, "o": rel.object_id, "props": props})
        # The documents that support a relation mention both of its ends.
        for support in rel.support:
            mentions.add((support.doc_id, rel.subject_id))
            mentions.add((support.doc_id, rel.object_id))
    for doc_id, entity_id in mentions:
        if doc_id not in data.documents:
            raise ValidationError(f"document {doc_id!r} (mentions {entity_id}) has no DocumentInfo")
        if entity_id not in data.entities:
            raise ValidationError(f"document {doc_id!r} mentions unknown entity {entity_id!r}")
    return _Plan(
        entities=dict(entities),
        documents=documents,
        relationships=dict(relationships),
        mentions=[{"d": d, "e": e} for d, e in sorted(mentions)],
    )


# --------------------------------------------------------------------------- queries


def _entity_query(label: str, all_labels: Sequence[str]) -> str:
    others = [other for other in all_labels if other != label]
    remove = f" REMOVE e:{':'.join(others)}" if others else ""
    return (
        "UNWIND $rows AS row MERGE (e:Entity {id: row.id}) "
        f"SET e:{label}, e.name = row.name, e.aliases = row.aliases, e.type = row.type{remove}"
    )


DOCUMENT_QUERY = (
    "UNWIND $rows AS row MERGE (d:Document {id: row.id}) SET d = row.props, d.id = row.id"
)
MENTIONS_QUERY = (
    "UNWIND $rows AS row MATCH (d:Document {id: row.d}) MATCH (e:Entity {id: row.e}) "
    "MERGE (d)-[:MENTIONS]->(e)"
)


def _relationship_query(rel_type: str) -> str:
    return (
        "UNWIND $rows AS row MATCH (s:Entity {id: row.s}) MATCH (o:Entity {id: row.o}) "
        f"MERGE (s)-[r:{rel_type}]->(o) SET r = row.props"
    )


# Replace: delete what the data does not contain (nodes and relationships of any kind).
DELETE_STALE_RELATIONSHIPS = (
    "MATCH (s)-[r]->(o) "
    "WHERE s.id IS NULL OR o.id IS NULL "
    "   OR NOT (s.id + $sep + type(r) + $sep + o.id) IN $keep "
    "DELETE r RETURN count(r) AS n"
)
DELETE_STALE_NODES = (
    "MATCH (n) WHERE NOT ((n:Entity AND n.id IN $entities) OR (n:Document AND n.id IN $documents)) "
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


def _steps(plan: _Plan, ontology: Ontology) -> list[tuple[str, list[Any]]]:
    """(query, rows) in dependency order: nodes before the relationships between them."""
    labels = list(ontology.types)
    steps: list[tuple[str, list[Any]]] = [
        (_entity_query(label, labels), rows) for label, rows in sorted(plan.entities.items())
    ]
    steps.append((DOCUMENT_QUERY, plan.documents))
    steps += [(_relationship_query(t), rows) for t, rows in sorted(plan.relationships.items())]
    steps.append((MENTIONS_QUERY, plan.mentions))
    return steps


def load_graph(
    driver: Driver,
    data: GraphData,
    ontology: Ontology,
    *,
    database: str = "neo4j",
    batch_size: int = 1000,
    replace: bool = False,
    on_batch: ProgressCallback | None = None,
) -> LoadSummary:
    """Write `data` into Neo4j with MERGE + SET in parameterised ``UNWIND`` batches.

    Idempotent: loading the same data twice leaves the database unchanged (every node and
    relationship is MERGEd on its key and its properties SET to the aggregated values).

    Guarantees
    ----------
    ``replace=False``
        Upsert. Each batch of `batch_size` rows is its own managed transaction
        (``execute_write``; the driver retries transient errors). Nothing is deleted. If it
        fails midway, the batches already committed stay; rerunning finishes the job.
    ``replace=True``
        The database becomes equal to `data` exactly: nodes and relationships the data
        does not contain (of any label or type) are deleted. Deletion and all batches run
        inside **one** managed transaction, so a failure midway rolls everything back and
        readers see either the old graph or the new one, never a mixture. The price is
        that the whole load must fit the server's transaction memory (the heap): fine for
        corpora of tens of thousands of statements; load bigger ones without `replace`.

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
    on_batch
        Called with the number of rows after each batch (progress bars).

    Raises
    ------
    OntologyError
        An entity type or predicate outside the ontology (nothing is written).
    ValidationError
        A relation or mention referring to an entity or document the data lacks.
    """
    if batch_size < 1:
        raise InputError(None, None, f"batch size must be at least 1, got {batch_size}")
    started = time.perf_counter()
    plan = _plan(data, ontology)  # validates everything before the first write
    ensure_schema(driver, ontology, database)
    steps = _steps(plan, ontology)
    batches = sum(-(-len(rows) // batch_size) for _, rows in steps)
    removed = (0, 0)
    if replace:
        entity_ids, doc_ids, rel_keys = plan.keys()

        def replace_all(tx: ManagedTransaction) -> tuple[int, int]:
            rels = tx.run(DELETE_STALE_RELATIONSHIPS, sep=_SEP, keep=rel_keys).single(strict=True)
            nodes = tx.run(DELETE_STALE_NODES, entities=entity_ids, documents=doc_ids).single(
                strict=True
            )
            for query, rows in steps:
                for batch in _batches(rows, batch_size):
                    _write_batch(tx, query, batch)
            return int(nodes["n"]), int(rels["n"])

        with driver.session(database=database) as session:
            removed = session.execute_write(replace_all)
        if on_batch is not None:
            on_batch(sum(len(rows) for _, rows in steps))
    else:
        with driver.session(database=database) as session:
            for query, rows in steps:
                for batch in _batches(rows, batch_size):
                    session.execute_write(_write_batch, query, batch)
                    if on_batch is not None:
                        on_batch(len(batch))
    return LoadSummary(
        entities=sum(len(rows) for rows in plan.entities.values()),
        documents=len(plan.documents),
        relationships=sum(len(rows) for rows in plan.relationships.values()),
        mentions=len(plan.mentions),
        batches=batches,
        seconds=round(time.perf_counter() - started, 3),
        replaced=replace,
        removed_nodes=removed[0],
        removed_relationships=removed[1],
    )


def plan_size(data: GraphData, ontology: Ontology) -> int:
    """Rows a load of `data` writes (entities, documents, relationships, mentions)."""
    plan = _plan(data, ontology)
    return sum(len(rows) for _, rows in _steps(plan, ontology))


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

    def work(tx: ManagedTransaction) -> int:
        record = tx.run(
            "UNWIND $rows AS row MATCH (e:Entity {id: row.id}) SET e += row.scores "
            "RETURN count(e) AS n",
            rows=checked,
        ).single(strict=True)
        return int(record["n"])

    with driver.session(database=database) as session:
        return session.execute_write(work)


def graph_counts(driver: Driver, database: str = "neo4j") -> tuple[int, int]:
    """(nodes, relationships) in the database."""
    nodes = driver.execute_query("MATCH (n) RETURN count(n) AS n", database_=database)
    rels = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n", database_=database)
    return int(nodes.records[0]["n"]), int(rels.records[0]["n"])
