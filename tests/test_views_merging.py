"""entity_graph gathers each pair's facts at once: the same graph, attribute for attribute
and in the same order, as merging the facts one at a time with ``_merge_edge``."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from graph_builder import views
from graph_builder.model import MODALITY_ORDER, DocumentInfo, Entity, GraphData, Relation, Support

PREDICATES = ("associate_of", "relative_of", "member_of", "leader_of", "linked_to")
TYPES = ("Person", "MilitantGroup", "Event")


def random_data(seed: int) -> GraphData:
    rng = random.Random(seed)
    ids = [f"e{i:02d}" for i in range(25)]
    entities = {i: Entity(i, i.upper(), rng.choice(TYPES)) for i in ids}
    docs = {
        f"d{i}": DocumentInfo(f"d{i}", date=rng.choice([None, "2014", "2015-03", "2016-02-02"]))
        for i in range(12)
    }
    relations = []
    for _ in range(120):
        supports = tuple(
            Support(
                f"s{rng.randrange(400)}",
                rng.choice([*docs, "unknown-doc"]),
                "evidence",
                rng.choice(MODALITY_ORDER),
                0.5,
                date=rng.choice([None, None, "2013-05", "not a date"]),
            )
            for _ in range(rng.randint(1, 4))
        )
        # self-loops, both directions and a few ids outside the entities
        subject, obj = rng.choice([*ids, "ghost"]), rng.choice(ids)
        relations.append(Relation(subject, rng.choice(PREDICATES), obj, supports))
    return GraphData(entities, tuple(relations), docs)


def merged_one_by_one(data: GraphData, **options: str) -> nx.Graph:
    """The entity graph as built before: each fact merged into the graph in turn."""
    facts = views.filtered_relations(data, **options)
    as_of = options.get("as_of")
    G = nx.Graph(min_modality=options.get("min_modality", "alleged"), as_of=as_of or "")
    for entity_id in views.present_entities(data, facts, as_of):
        ent = data.entities[entity_id]
        G.add_node(entity_id, name=ent.name, label=ent.name, type=ent.type, aliases=ent.aliases)
    for fact in facts:
        rel = fact.relation
        if rel.subject_id == rel.object_id:
            continue
        views._merge_edge(
            G,
            rel.subject_id,
            rel.object_id,
            fact.weight,
            predicates=[rel.predicate],
            doc_ids=rel.doc_ids,
            statement_ids=[s.statement_id for s in rel.support],
            dates=fact.dates,
        )
    for _, _, edge in G.edges(data=True):
        edge["n_sources"] = len(edge["doc_ids"])
    return G


def as_lists(G: nx.Graph) -> tuple[object, ...]:
    """Everything a graph holds, in its order (dict equality would ignore the order)."""
    return (
        list(G.graph.items()),
        [(n, list(attrs.items())) for n, attrs in G.nodes(data=True)],
        [(u, v, list(attrs.items())) for u, v, attrs in G.edges(data=True)],
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "options", [{}, {"min_modality": "claimed"}, {"as_of": "2015-01-01"}], ids=str
)
def test_entity_graph_is_the_one_fact_at_a_time_merge(seed: int, options: dict[str, str]) -> None:
    data = random_data(seed)
    G = views.entity_graph(data, **options)
    assert G.number_of_edges() > 10
    assert as_lists(G) == as_lists(merged_one_by_one(data, **options))
    weights = [w for _, _, w in G.edges(data="weight")]
    reference = [w for _, _, w in merged_one_by_one(data, **options).edges(data="weight")]
    assert [w.hex() for w in weights] == [w.hex() for w in reference]  # same float sums


def test_support_dater_agrees_with_support_date() -> None:
    data = random_data(7)
    day = views._support_dater(data)
    supports = [s for rel in data.relations for s in rel.support]
    assert [day(s) for s in supports] == [views.support_date(s, data) for s in supports]
    assert {day(s) for s in supports} >= {None, "2013-05-01"}


def test_unknown_modality_still_raises() -> None:
    with pytest.raises(ValueError):
        views.relation_weight([Support("s", "d", "e", "rumoured", 0.5)])
