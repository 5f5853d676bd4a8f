"""The loader's Python side without a server: support JSON, canonical relations, the diff."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from graph_builder.errors import OntologyError, ValidationError
from graph_builder.model import GraphData, Relation, Support
from graph_builder.neo4j_load import (
    _canonical_relations,
    _diff,
    _document_stored,
    _Plan,
    _plan,
    _PlannedRelationship,
    _State,
    _support_json,
    check_rel_type,
    relation_properties,
)
from graph_builder.ontology import Ontology

SUPPORTS = (
    Support("st2", "doc-b", 'Said "x" \u2013 caf\u00e9', "claimed", 0.5, span=(3, 9)),
    Support("st1", "doc-a", "Plain.", "asserted", 1.0, attributed_to="police", date="2015"),
)


def _reference_json(supports: tuple[Support, ...] | list[Support]) -> str:
    return json.dumps([dataclasses.asdict(s) for s in supports], sort_keys=True)


def test_support_json_equals_json_dumps_with_sorted_keys() -> None:
    assert _support_json(SUPPORTS) == _reference_json(SUPPORTS)
    assert _support_json([]) == "[]"


def test_support_json_ignores_attributes_cached_on_a_support() -> None:
    cached = Support("st3", "doc-c", "E.", "reported", 0.7)
    object.__setattr__(cached, "memo", 42)  # as a cached_property would leave it
    assert _support_json([cached]) == _reference_json([cached])


def test_planned_relationship_properties_equal_relation_properties() -> None:
    relation = Relation("e:1", "leader_of", "e:2", SUPPORTS)
    planned = _PlannedRelationship.of(relation)
    assert planned.properties() == relation_properties(relation)
    assert planned.row() == {"s": "e:1", "o": "e:2", "props": relation_properties(relation)}
    assert json.loads(planned.support_json)[0]["statement_id"] == "st1"  # (doc, statement)
    assert planned.is_edge


def test_denied_only_relation_is_no_edge() -> None:
    denied = Support("st9", "doc-a", "Denied.", "denied", 0.9)
    assert not _PlannedRelationship.of(Relation("e:1", "leader_of", "e:2", (denied,))).is_edge


def test_canonical_relations_merge_symmetric_pairs_and_keep_single_ones(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    symmetric = next(name for name, p in ontology.predicates.items() if p.symmetric)
    a, b = sorted(seed_graph.entities)[:2]
    forward = Relation(a, symmetric, b, SUPPORTS[:1])
    backward = Relation(b, symmetric, a, SUPPORTS[1:])
    data = dataclasses.replace(seed_graph, relations=(backward, forward))
    assert _canonical_relations(data, ontology) == [Relation(a, symmetric, b, SUPPORTS)]
    listed = Relation(a, symmetric, b, list(SUPPORTS))  # type: ignore[arg-type]
    merged = _canonical_relations(dataclasses.replace(seed_graph, relations=(listed,)), ontology)
    assert merged == [Relation(a, symmetric, b, SUPPORTS)]
    assert type(merged[0].support) is tuple


def test_plan_rejects_mentions_of_unknown_documents_and_entities(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    entity = next(iter(seed_graph.entities))
    document = next(iter(seed_graph.documents))
    unknown_doc = seed_graph.mentions | {("no-such-doc", entity)}
    with pytest.raises(ValidationError, match="no-such-doc"):
        _plan(dataclasses.replace(seed_graph, mentions=unknown_doc), ontology)
    unknown_entity = seed_graph.mentions | {(document, "e:none")}
    with pytest.raises(ValidationError, match="e:none"):
        _plan(dataclasses.replace(seed_graph, mentions=unknown_entity), ontology)


def _loaded_state(plan: _Plan) -> _State:
    """What the database holds right after a load of `plan`."""
    entities = {
        row["id"]: (frozenset({"Entity", label}), row["name"], row["aliases"], row["type"])
        for label, rows in plan.entities.items()
        for row in rows
    }
    documents = {row["id"]: _document_stored(row) for row in plan.documents}
    relationships: dict[tuple[str, str, str], list[tuple[str, Any]]] = {}
    for rel_type, planned in plan.relationships.items():
        for n, rel in enumerate(planned):
            key = (rel.relation.subject_id, rel_type, rel.relation.object_id)
            relationships[key] = [(f"{rel_type}-{n}", rel.load_hash)]
    mentions = {key: f"m-{n}" for n, key in enumerate(sorted(plan.mentions))}
    return _State(entities, documents, relationships, mentions, [])


def test_diff_of_the_loaded_state_is_empty(seed_graph: GraphData, ontology: Ontology) -> None:
    plan = _plan(seed_graph, ontology)
    diff = _diff(plan, _loaded_state(plan), ontology)
    assert diff.size == 0
    rows = sum(len(rows) for rows in plan.entities.values()) + len(plan.documents)
    rows += sum(len(rels) for rels in plan.relationships.values()) + len(plan.mentions)
    assert diff.unchanged == rows


def test_diff_writes_and_deletes_exactly_what_differs(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    plan = _plan(seed_graph, ontology)
    state = _loaded_state(plan)
    (rel_type, planned), *_ = sorted(plan.relationships.items())
    missing, changed = planned[0], planned[-1]
    missing_key = (missing.relation.subject_id, rel_type, missing.relation.object_id)
    changed_key = (changed.relation.subject_id, rel_type, changed.relation.object_id)
    if missing_key == changed_key:  # one relationship of this type: change another type
        rel_type2, planned2 = sorted(plan.relationships.items())[1]
        changed = planned2[0]
        changed_key = (changed.relation.subject_id, rel_type2, changed.relation.object_id)
    del state.relationships[missing_key]
    state.relationships[changed_key] = [("old-1", "stale-hash"), ("old-2", "stale-hash")]
    state.relationships[("e:gone", "LEADER_OF", "e:x")] = [("gone-1", "h")]
    absent_mention, kept_mention = sorted(plan.mentions)[:2]
    del state.mentions[absent_mention]
    state.mentions[("doc-gone", "e:x")] = "m-gone"
    state.mentions[(None, "e:x")] = "m-stray"  # from a node without an id
    state.duplicate_mentions.append("m-dup")

    diff = _diff(plan, state, ontology)
    assert diff.new_relationships == {rel_type: [missing.row()]}
    assert diff.changed_relationships == [
        {"rid": "old-1", "props": changed.properties()},
        {"rid": "old-2", "props": changed.properties()},
    ]
    assert sorted(diff.stale_relationships) == ["gone-1", "m-dup", "m-gone", "m-stray", "old-2"]
    assert diff.new_mentions == [{"d": absent_mention[0], "e": absent_mention[1]}]
    assert kept_mention in state.mentions
    assert diff.new_entities == {} and diff.changed_entities == {}


def test_a_predicate_named_like_the_mentions_is_refused(ontology: Ontology) -> None:
    # its relationships would be taken for documents' mentions on every reload
    leader = ontology.predicate("leader_of")
    mentions = dataclasses.replace(leader, name="mentions")
    custom = dataclasses.replace(ontology, predicates={**ontology.predicates, "mentions": mentions})
    assert check_rel_type("leader_of", custom) == "LEADER_OF"
    with pytest.raises(OntologyError, match="MENTIONS"):
        check_rel_type("mentions", custom)
