"""Without a server: score rows checked in row order, relation ends refused by name, denials never
edges, and the diff finding stale items where missing ones were expected."""

from __future__ import annotations

import dataclasses

import pytest

# pytest puts this folder on sys.path (no package), so the sibling's helper imports plainly
from test_neo4j_load_plan import _loaded_state

from graph_builder.errors import InputError, OntologyError, ValidationError
from graph_builder.model import GraphData, Relation, Support
from graph_builder.neo4j_load import (
    _diff,
    _plan,
    _PlannedRelationship,
    _score_rows,
)
from graph_builder.ontology import Ontology


class _Score(float):
    """A float subclass (as numpy's float64 is): a number, though not of the plain types."""


def test_score_rows_keep_row_order_and_drop_the_loader_keys() -> None:
    rows = [
        {"id": "e:1", "name": "X", "degree": 0.5, "community": 2, "hub": True, "rank": None},
        {"id": "e:2", "type": "Person", "degree": _Score(0.25), "community": 3},
    ]
    assert _score_rows(rows) == [
        {"id": "e:1", "scores": {"degree": 0.5, "community": 2, "hub": True, "rank": None}},
        {"id": "e:2", "scores": {"degree": 0.25, "community": 3}},
    ]
    assert list(_score_rows(rows)[0]["scores"]) == ["degree", "community", "hub", "rank"]


def test_score_rows_check_every_row_after_the_first() -> None:
    good = {"id": "e:1", "degree": 0.5}
    with pytest.raises(InputError, match=r":3: score degree=nan of e:3 is not a number"):
        _score_rows([good, {"id": "e:2", "degree": 0.1}, {"id": "e:3", "degree": float("nan")}])
    with pytest.raises(InputError, match=r":2: score degree='high' of e:2 is not a number"):
        _score_rows([good, {"id": "e:2", "degree": "high"}])
    with pytest.raises(InputError, match=r":2: score column 'bad key'"):
        _score_rows([good, {"id": "e:2", "degree": 0.1, "bad key": 1}])
    with pytest.raises(InputError, match=r":2: score row has no string 'id'"):
        _score_rows([good, {"degree": 0.1}])


def test_score_rows_name_the_first_bad_column_in_row_order() -> None:
    row = {"id": "e:1", "degree": float("nan"), "bad key": 1}
    with pytest.raises(InputError, match="degree=nan"):
        _score_rows([row])
    with pytest.raises(InputError, match="'bad key'"):
        _score_rows([{"id": "e:1", "bad key": 1, "degree": float("nan")}])


def _relation(data: GraphData, predicate: str, subject: str, obj: str) -> GraphData:
    support = Support("st-x", next(iter(data.documents)), "E.", "asserted", 0.9)
    return dataclasses.replace(data, relations=(Relation(subject, predicate, obj, (support,)),))


def _of_type(data: GraphData, type_name: str) -> str:
    return next(e.id for e in data.entities.values() if e.type == type_name)


def test_plan_refuses_relations_whose_ends_do_not_fit(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    person, group = _of_type(seed_graph, "Person"), _of_type(seed_graph, "MilitantGroup")
    assert _plan(_relation(seed_graph, "leader_of", person, group), ontology).relationships
    with pytest.raises(ValidationError, match="e:nobody is not among the entities"):
        _plan(_relation(seed_graph, "leader_of", "e:nobody", "e:nothing"), ontology)
    with pytest.raises(ValidationError, match="e:nothing is not among the entities"):
        _plan(_relation(seed_graph, "leader_of", person, "e:nothing"), ontology)
    # the subject is named first when both ends are of the wrong type
    with pytest.raises(OntologyError, match=f"{group} is a MilitantGroup; expected"):
        _plan(_relation(seed_graph, "leader_of", group, person), ontology)
    with pytest.raises(OntologyError, match=f"{person} is a Person; expected"):
        _plan(_relation(seed_graph, "leader_of", person, person), ontology)


def test_plan_adds_the_mentions_of_every_supporting_document(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    plan = _plan(dataclasses.replace(seed_graph, mentions=frozenset()), ontology)
    expected = {
        (s.doc_id, end)
        for rel in seed_graph.relations
        for s in rel.support
        for end in (rel.subject_id, rel.object_id)
    }
    assert plan.mentions == expected


def test_a_statement_supported_last_by_a_denial_is_no_edge() -> None:
    asserted = Support("st1", "doc-a", "Led.", "asserted", 0.9)
    denied = dataclasses.replace(asserted, modality="denied")
    # the last support of a statement id is the one kept
    assert not _PlannedRelationship.of(
        Relation("e:1", "leader_of", "e:2", (asserted, denied))
    ).is_edge
    assert _PlannedRelationship.of(Relation("e:1", "leader_of", "e:2", (denied, asserted))).is_edge


def test_diff_finds_a_stale_mention_in_place_of_a_missing_one(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    # as many mentions stored as planned, yet one of them is not the plan's
    plan = _plan(seed_graph, ontology)
    state = _loaded_state(plan)
    missing = sorted(plan.mentions)[0]
    del state.mentions[missing]
    state.mentions[("doc-gone", "e:x")] = "m-gone"
    diff = _diff(plan, state, ontology)
    assert diff.new_mentions == [{"d": missing[0], "e": missing[1]}]
    assert diff.stale_relationships == ["m-gone"]


def test_diff_finds_a_stale_relationship_in_place_of_a_missing_one(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    # as many single relationships stored as planned, yet one of them is not the plan's
    plan = _plan(seed_graph, ontology)
    state = _loaded_state(plan)
    rel_type, planned = next(iter(plan.relationships.items()))
    missing = planned[0]
    del state.relationships[(missing.relation.subject_id, rel_type, missing.relation.object_id)]
    state.relationships[("e:gone", rel_type, "e:x")] = [("gone-1", "h")]
    diff = _diff(plan, state, ontology)
    assert diff.new_relationships == {rel_type: [missing.row()]}
    assert diff.stale_relationships == ["gone-1"]


def test_diff_keeps_one_of_duplicated_relationships(
    seed_graph: GraphData, ontology: Ontology
) -> None:
    plan = _plan(seed_graph, ontology)
    state = _loaded_state(plan)
    key, [(rid, load_hash)] = next(iter(state.relationships.items()))
    state.relationships[key] = [(rid, load_hash), ("copy-1", load_hash)]
    diff = _diff(plan, state, ontology)
    assert diff.stale_relationships == ["copy-1"]
    assert [row["rid"] for row in diff.changed_relationships] == [rid, "copy-1"]
