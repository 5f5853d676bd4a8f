"""The Neo4j loader against the real server: idempotence, replace, removal, write-back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from neo4j.exceptions import ClientError

from graph_builder.errors import InputError, OntologyError
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support
from graph_builder.neo4j_load import (
    graph_counts,
    load_graph,
    plan_size,
    remove_document,
    write_scores,
)
from graph_builder.ontology import Ontology
from neo4j import Driver

pytestmark = pytest.mark.neo4j

SEED_DOC = "ishaq-2015-07-29"
LATER_DOC = "lej-2016-02-01"
Iri = Callable[[str, str], str]


def _snapshot(driver: Driver) -> dict[str, Any]:
    """Every node and relationship with its properties, order-independent."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
    )
    rels, _, _ = driver.execute_query(
        "MATCH (s)-[r]->(o) RETURN s.id AS s, type(r) AS t, o.id AS o, properties(r) AS props"
    )
    return {
        "nodes": sorted((sorted(r["labels"]), sorted(r["props"].items(), key=str)) for r in nodes),
        "rels": sorted((r["s"], r["t"], r["o"], sorted(r["props"].items(), key=str)) for r in rels),
    }


def _rel(driver: Driver, s: str, rel_type: str, o: str) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(
        "MATCH (s:Entity {id: $s})-[r]->(o:Entity {id: $o}) WHERE type(r) = $t "
        "RETURN properties(r) AS props",
        s=s,
        o=o,
        t=rel_type,
    )
    return records[0]["props"] if records else None


def _entity_ids(driver: Driver) -> set[str]:
    records, _, _ = driver.execute_query("MATCH (e:Entity) RETURN e.id AS id")
    return {r["id"] for r in records}


def test_load_builds_the_graph_model(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, iri: Iri
) -> None:
    summary = load_graph(neo4j_db, seed_graph, ontology, batch_size=3)
    assert summary.entities == len(seed_graph.entities)
    assert summary.batches > len(ontology.types)  # batch_size 3 really splits the rows

    ishaq = iri("Person", "Malik Muhammad Ishaq")
    lej = iri("MilitantGroup", "Lashkar-e-Jhangvi")
    records, _, _ = neo4j_db.execute_query(
        "MATCH (e:Entity {id: $id}) RETURN labels(e) AS labels, e.name AS name, "
        "e.aliases AS aliases, e.type AS type",
        id=ishaq,
    )
    assert sorted(records[0]["labels"]) == ["Entity", "Person"]
    assert records[0]["aliases"] == ["Malik Ishaq", "Ishaq"]

    leader = _rel(neo4j_db, ishaq, "LEADER_OF", lej)
    assert leader is not None
    assert leader["doc_ids"] == [SEED_DOC, LATER_DOC]
    assert leader["n_sources"] == 2
    assert leader["modality"] == "asserted"  # strongest of asserted + reported
    assert leader["first_date"] == "2015-07-29" and leader["last_date"] == "2016-02-01"
    assert len(leader["evidence"]) == len(leader["statement_ids"]) == 2
    assert leader["evidence_doc_ids"] == [SEED_DOC, LATER_DOC]
    assert leader["attributed_to"] == ["police"]
    assert 0.98 < leader["confidence"] < 1.0  # noisy-or of two 0.9 sources

    shah = _rel(neo4j_db, iri("Person", "Ghulam Rasool Shah"), "LEADER_OF", lej)
    assert shah is not None and shah["role"] == "acting"

    docs, _, _ = neo4j_db.execute_query(
        "MATCH (d:Document {id: $id})-[:MENTIONS]->(e:Entity) "
        "RETURN d.title AS title, d.date AS date, count(e) AS n",
        id=SEED_DOC,
    )
    assert docs[0]["date"] == "2015-07-29" and docs[0]["n"] > 10
    constraints, _, _ = neo4j_db.execute_query(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
        "WHERE type = 'UNIQUENESS' RETURN labelsOrTypes[0] AS label, properties[0] AS prop"
    )
    assert {(c["label"], c["prop"]) for c in constraints} >= {
        ("Entity", "id"),
        ("Document", "id"),
    }


def test_loading_twice_changes_nothing(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology
) -> None:
    load_graph(neo4j_db, seed_graph, ontology, batch_size=7)
    first_counts, first = graph_counts(neo4j_db), _snapshot(neo4j_db)
    load_graph(neo4j_db, seed_graph, ontology, batch_size=1000)
    assert graph_counts(neo4j_db) == first_counts
    assert _snapshot(neo4j_db) == first
    load_graph(neo4j_db, seed_graph, ontology, replace=True)
    assert _snapshot(neo4j_db) == first
    assert first_counts[0] == len(seed_graph.entities) + len(seed_graph.documents)


def _without_doc(data: GraphData, doc_id: str) -> GraphData:
    """What the RDF would hold had `doc_id` never been read."""
    relations = []
    for rel in data.relations:
        kept = tuple(s for s in rel.support if s.doc_id != doc_id)
        if kept:
            relations.append(dataclasses.replace(rel, support=kept))
    mentions = frozenset(m for m in data.mentions if m[0] != doc_id)
    used = {e for _, e in mentions}
    return GraphData(
        entities={k: v for k, v in data.entities.items() if k in used},
        relations=tuple(relations),
        documents={k: v for k, v in data.documents.items() if k != doc_id},
        mentions=mentions,
    )


def test_replace_removes_stale_items_and_equals_a_fresh_load(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, iri: Iri
) -> None:
    smaller = _without_doc(seed_graph, SEED_DOC)
    load_graph(neo4j_db, smaller, ontology)
    fresh = _snapshot(neo4j_db)

    load_graph(neo4j_db, seed_graph, ontology)
    neo4j_db.execute_query("CREATE (:Stray {id: 'not from the RDF'})")
    summary = load_graph(neo4j_db, smaller, ontology, replace=True)

    assert summary.removed_nodes > 0 and summary.removed_relationships > 0
    assert _snapshot(neo4j_db) == fresh
    assert iri("Person", "Ghulam Rasool Shah") not in _entity_ids(neo4j_db)


def test_failed_replace_leaves_the_old_graph_whole(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology
) -> None:
    load_graph(neo4j_db, seed_graph, ontology)
    before = _snapshot(neo4j_db)
    # Neo4j cannot store a list of mixed types: the Person batch fails on the server,
    # after the stale deletes and the Event/Location/group batches already ran.
    smaller = _without_doc(seed_graph, SEED_DOC)
    bad = Entity("https://milgraph.org/id/Person/bad", "Bad", "Person", ("ok", 1))  # type: ignore[arg-type]
    broken = dataclasses.replace(smaller, entities={**smaller.entities, bad.id: bad})
    with pytest.raises(ClientError, match="supports a subset of Cypher types"):
        load_graph(neo4j_db, broken, ontology, replace=True)
    assert _snapshot(neo4j_db) == before


def test_remove_document_keeps_other_support_and_drops_orphans(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, iri: Iri
) -> None:
    load_graph(neo4j_db, seed_graph, ontology)
    summary = remove_document(neo4j_db, SEED_DOC)
    assert summary.document_found
    assert summary.relationships_updated >= 1 and summary.relationships_deleted >= 10

    remaining = _entity_ids(neo4j_db)
    assert iri("Person", "Ghulam Rasool Shah") not in remaining  # only the seed named him
    assert iri("Person", "Muhammad Usman") not in remaining
    assert iri("Person", "Malik Muhammad Ishaq") in remaining  # the later report names him
    assert iri("MilitantGroup", "Lashkar-e-Jhangvi") in remaining

    leader = _rel(
        neo4j_db,
        iri("Person", "Malik Muhammad Ishaq"),
        "LEADER_OF",
        iri("MilitantGroup", "Lashkar-e-Jhangvi"),
    )
    assert leader is not None
    assert leader["doc_ids"] == [LATER_DOC] and leader["n_sources"] == 1
    assert leader["modality"] == "reported"  # the seed's "asserted" went with it
    assert leader["first_date"] == "2016-02-01" and leader["attributed_to"] == []

    # Exactly what a load of the data without the seed article gives.
    after_removal = _snapshot(neo4j_db)
    load_graph(neo4j_db, _without_doc(seed_graph, SEED_DOC), ontology, replace=True)
    assert _snapshot(neo4j_db) == after_removal

    again = remove_document(neo4j_db, SEED_DOC)
    assert not again.document_found and again.relationships_deleted == 0


def test_cypher_syntax_in_names_is_stored_as_data(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology
) -> None:
    nasty = "x'}) DETACH DELETE n //"
    nasty_id = "https://milgraph.org/id/Person/x'}) DETACH DELETE n //`"
    group = next(e for e in seed_graph.entities.values() if e.type == "MilitantGroup")
    data = dataclasses.replace(
        seed_graph,
        entities={**seed_graph.entities, nasty_id: Entity(nasty_id, nasty, "Person", (nasty,))},
        relations=seed_graph.relations
        + (
            Relation(
                nasty_id,
                "member_of",
                group.id,
                (Support("st-nasty", LATER_DOC, "MATCH (n) DETACH DELETE n", "alleged", 0.5),),
            ),
        ),
    )
    load_graph(neo4j_db, data, ontology)
    records, _, _ = neo4j_db.execute_query(
        "MATCH (e:Entity {id: $id}) RETURN e.name AS name", id=nasty_id
    )
    assert [r["name"] for r in records] == [nasty]
    assert graph_counts(neo4j_db)[0] == len(data.entities) + len(data.documents)
    remove_document(neo4j_db, "x' OR 1=1 //")  # unknown id: nothing happens
    assert graph_counts(neo4j_db)[0] == len(data.entities) + len(data.documents)


def test_labels_and_types_outside_the_ontology_are_refused(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology
) -> None:
    bad_label = dataclasses.replace(
        seed_graph,
        entities={
            **seed_graph.entities,
            "e:bad": Entity("e:bad", "Mallory", "Person`) DETACH DELETE n //"),
        },
    )
    with pytest.raises(OntologyError, match="not an entity type of the ontology"):
        load_graph(neo4j_db, bad_label, ontology)
    first, second = list(seed_graph.entities)[:2]
    bad_type = dataclasses.replace(
        seed_graph,
        relations=(
            Relation(first, "boss_of", second, (Support("s", LATER_DOC, "e", "asserted", 1.0),)),
        ),
    )
    with pytest.raises(OntologyError, match="unknown predicate 'boss_of'"):
        load_graph(neo4j_db, bad_type, ontology)
    assert graph_counts(neo4j_db) == (0, 0)  # refused before anything was written


def test_write_scores_sets_numbers_and_refuses_bad_columns(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, iri: Iri
) -> None:
    load_graph(neo4j_db, seed_graph, ontology)
    ishaq = iri("Person", "Malik Muhammad Ishaq")
    rows = [
        {"id": ishaq, "name": "ignored", "type": "Person", "pagerank": 0.31, "community": 2},
        {"id": "https://milgraph.org/id/Person/nobody", "pagerank": 0.1},
    ]
    assert write_scores(neo4j_db, rows) == 1
    records, _, _ = neo4j_db.execute_query(
        "MATCH (e:Entity {id: $id}) RETURN e.pagerank AS pr, e.community AS c, e.name AS name",
        id=ishaq,
    )
    assert (records[0]["pr"], records[0]["c"], records[0]["name"]) == (
        0.31,
        2,
        "Malik Muhammad Ishaq",
    )
    with pytest.raises(InputError, match="not an identifier"):
        write_scores(neo4j_db, [{"id": ishaq, "x = 1 SET e.y": 1.0}])
    with pytest.raises(InputError, match="not a number"):
        write_scores(neo4j_db, [{"id": ishaq, "pagerank": "DROP"}])
    # Scores survive a plain reload (the loader only owns id, name, aliases, type).
    load_graph(neo4j_db, seed_graph, ontology)
    records, _, _ = neo4j_db.execute_query(
        "MATCH (e:Entity {id: $id}) RETURN e.pagerank AS pr", id=ishaq
    )
    assert records[0]["pr"] == 0.31


def test_scores_given_to_a_replace_commit_with_the_graph_or_not_at_all(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, iri: Iri
) -> None:
    """A replace asks for its scores once the graph is written and writes them in the
    same transaction: a failure while they are computed leaves the old graph whole."""
    smaller = _without_doc(seed_graph, SEED_DOC)
    load_graph(neo4j_db, smaller, ontology)
    before = _snapshot(neo4j_db)
    shah = iri("Person", "Ghulam Rasool Shah")  # only in the seed document
    asked: list[int] = []

    def failing() -> list[dict[str, Any]]:
        asked.append(len(_entity_ids(neo4j_db)))  # another session: sees the old graph
        raise RuntimeError("the measures failed")

    with pytest.raises(RuntimeError, match="the measures failed"):
        load_graph(neo4j_db, seed_graph, ontology, replace=True, scores=failing)
    assert asked and _snapshot(neo4j_db) == before
    assert shah not in _entity_ids(neo4j_db)

    bad = [{"id": shah, "pagerank": "DROP"}]
    with pytest.raises(InputError, match="not a number"):
        load_graph(neo4j_db, seed_graph, ontology, replace=True, scores=lambda: bad)
    assert _snapshot(neo4j_db) == before

    rows = [{"id": shah, "pagerank": 0.5}, {"id": "nobody", "pagerank": 0.1}]
    summary = load_graph(neo4j_db, seed_graph, ontology, replace=True, scores=lambda: rows)
    assert summary.atomic and summary.transactions == 1 and summary.scored == 1
    records, _, _ = neo4j_db.execute_query(
        "MATCH (e:Entity {id: $id}) RETURN e.pagerank AS pr", id=shah
    )
    assert records[0]["pr"] == 0.5

    # A transaction budget (a server short of memory): the scores get a transaction of
    # their own, even when the graph's change fits in one.
    budgeted = load_graph(
        neo4j_db,
        seed_graph,
        ontology,
        replace=True,
        max_transaction_rows=10_000,
        scores=lambda: rows,
    )
    assert budgeted.atomic and budgeted.transactions == 2 and budgeted.scored == 1

    # Chunked (not atomic): the scores come in one last transaction of their own.
    chunked = load_graph(
        neo4j_db,
        smaller,
        ontology,
        replace=True,
        batch_size=2,
        max_transaction_rows=5,
        scores=lambda: [{"id": iri("MilitantGroup", "Lashkar-e-Jhangvi"), "pagerank": 0.7}],
    )
    assert not chunked.atomic and chunked.scored == 1
    records, _, _ = neo4j_db.execute_query(
        "MATCH (e:Entity {name: $name}) RETURN e.pagerank AS pr", name="Lashkar-e-Jhangvi"
    )
    assert [r["pr"] for r in records] == [0.7]
    assert shah not in _entity_ids(neo4j_db)


def test_reload_reads_and_writes_nothing(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology
) -> None:
    first = load_graph(neo4j_db, seed_graph, ontology, batch_size=5)
    assert first.unchanged == 0 and first.batches > 0
    rows = first.entities + first.documents + first.relationships + first.mentions
    for replace in (False, True):
        again = load_graph(neo4j_db, seed_graph, ontology, batch_size=5, replace=replace)
        assert (again.batches, again.unchanged) == (0, rows)
        assert (again.removed_nodes, again.removed_relationships) == (0, 0)


def _with_changed_support(data: GraphData) -> tuple[GraphData, Relation]:
    """`data` with the confidence of one relation's first support changed."""
    relations = list(data.relations)
    index = next(i for i, r in enumerate(relations) if r.predicate == "member_of")
    old = relations[index]
    changed = dataclasses.replace(old.support[0], confidence=0.123)
    relations[index] = dataclasses.replace(old, support=(changed, *old.support[1:]))
    return dataclasses.replace(data, relations=tuple(relations)), relations[index]


@pytest.mark.parametrize("replace", [False, True])
def test_a_changed_relation_is_the_only_write_and_equals_a_fresh_load(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, replace: bool
) -> None:
    changed, relation = _with_changed_support(seed_graph)
    load_graph(neo4j_db, changed, ontology)
    fresh = _snapshot(neo4j_db)
    neo4j_db.execute_query("MATCH (n) DETACH DELETE n")

    load_graph(neo4j_db, seed_graph, ontology)
    summary = load_graph(neo4j_db, changed, ontology, replace=replace, batch_size=1)
    assert summary.batches == 1  # one relationship rewritten, everything else skipped
    assert _snapshot(neo4j_db) == fresh
    props = _rel(neo4j_db, relation.subject_id, "MEMBER_OF", relation.object_id)
    assert props is not None and 0.123 in [s["confidence"] for s in _supports(props)]


def _supports(props: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(props["support_json"]))


def test_replace_removes_duplicates_and_fixes_edited_nodes(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, iri: Iri
) -> None:
    load_graph(neo4j_db, seed_graph, ontology)
    fresh = _snapshot(neo4j_db)
    ishaq = iri("Person", "Malik Muhammad Ishaq")
    lej = iri("MilitantGroup", "Lashkar-e-Jhangvi")
    # Edits made outside the loader: a second LEADER_OF, a renamed entity with an extra
    # ontology label, a document whose title changed.
    neo4j_db.execute_query(
        "MATCH (s:Entity {id: $s}), (o:Entity {id: $o}) CREATE (s)-[:LEADER_OF {x: 1}]->(o)",
        s=ishaq,
        o=lej,
    )
    neo4j_db.execute_query("MATCH (e:Entity {id: $id}) SET e.name = 'X', e:Event", id=ishaq)
    neo4j_db.execute_query("MATCH (d:Document {id: $id}) SET d.title = 'edited'", id=SEED_DOC)
    assert _snapshot(neo4j_db) != fresh

    summary = load_graph(neo4j_db, seed_graph, ontology, replace=True)
    assert summary.removed_relationships == 1
    assert _snapshot(neo4j_db) == fresh


def test_big_replace_is_chunked_and_still_exact(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology
) -> None:
    smaller = _without_doc(seed_graph, SEED_DOC)
    load_graph(neo4j_db, smaller, ontology)
    fresh = _snapshot(neo4j_db)

    load_graph(neo4j_db, seed_graph, ontology)
    neo4j_db.execute_query("CREATE (:Stray {id: 'not from the RDF'})")
    small = load_graph(neo4j_db, smaller, ontology, replace=True, max_transaction_rows=None)
    assert small.atomic and small.transactions == 1
    load_graph(neo4j_db, seed_graph, ontology, replace=True)
    neo4j_db.execute_query("CREATE (:Stray {id: 'not from the RDF'})")
    summary = load_graph(
        neo4j_db, smaller, ontology, replace=True, batch_size=2, max_transaction_rows=5
    )
    assert not summary.atomic and summary.transactions > 3
    assert (summary.removed_nodes, summary.removed_relationships) == (
        small.removed_nodes,
        small.removed_relationships,
    )
    assert _snapshot(neo4j_db) == fresh


def test_progress_adds_up_to_plan_size(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology
) -> None:
    total = plan_size(seed_graph, ontology)
    for replace in (False, True, True):  # fresh, then a replace that writes nothing
        seen: list[int] = []
        load_graph(
            neo4j_db, seed_graph, ontology, batch_size=4, replace=replace, on_batch=seen.append
        )
        assert sum(seen) == total


def _bulk_graph(people: int, *, bad_last_person: bool = False) -> GraphData:
    """`people` members of 20 groups, one document each: about 4 rows per person."""
    base = "https://milgraph.org/id/"
    groups = [Entity(f"{base}MilitantGroup/g{i}", f"Group {i}", "MilitantGroup") for i in range(20)]
    entities = {g.id: g for g in groups}
    documents, relations = {}, []
    for i in range(people):
        person = Entity(f"{base}Person/p{i:05d}", f"Person {i}", "Person", (f"P{i}",))
        if bad_last_person and i == people - 1:
            # Neo4j cannot store a list of mixed types: fails on the server, late.
            person = dataclasses.replace(person, aliases=("ok", 1))  # type: ignore[arg-type]
        entities[person.id] = person
        doc = DocumentInfo(f"bulk-{i:05d}", f"Report {i}", "2020-01-01", "bulk")
        documents[doc.id] = doc
        support = Support(
            f"bulk-st{i}", doc.id, f"Person {i} joined Group {i % 20}.", "reported", 0.8
        )
        relations.append(Relation(person.id, "member_of", groups[i % 20].id, (support,)))
    return GraphData(entities=entities, relations=tuple(relations), documents=documents)


def test_replace_bigger_than_a_default_heap_chunk_is_still_one_transaction(
    neo4j_db: Driver, ontology: Ontology
) -> None:
    # ~35k rows: beyond the 20k rows a 512m heap held before transaction state went off-heap.
    small = _bulk_graph(100)
    load_graph(neo4j_db, small, ontology)
    before = _snapshot(neo4j_db)

    broken = _bulk_graph(7000, bad_last_person=True)
    assert plan_size(broken, ontology) > 25_000
    with pytest.raises(ClientError, match="supports a subset of Cypher types"):
        load_graph(neo4j_db, broken, ontology, replace=True, batch_size=5000)
    assert _snapshot(neo4j_db) == before  # thousands of rows written, all rolled back

    summary = load_graph(neo4j_db, _bulk_graph(7000), ontology, replace=True, batch_size=5000)
    assert summary.atomic and summary.transactions == 1
    assert graph_counts(neo4j_db) == (7020 + 7000, 7000 * 3)
