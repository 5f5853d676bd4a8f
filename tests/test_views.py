"""Views of GraphData: modality and date filters, weights, merged symmetric ties, kinds."""

from __future__ import annotations

import pytest

from graph_builder.errors import MilgraphError
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support
from graph_builder.ontology import load_ontology
from graph_builder.views import entity_graph, full_graph, group_view, person_view

ENTITIES = {
    e.id: e
    for e in (
        Entity("ali", "Ali", "Person"),
        Entity("bo", "Bo", "Person"),
        Entity("cy", "Cy", "Person"),
        Entity("dan", "Dan", "Person"),
        Entity("lej", "LeJ", "MilitantGroup"),
        Entity("ttp", "TTP", "MilitantGroup"),
        Entity("raid", "Raid", "Event"),
    )
}
DOCS = {
    "d2009": DocumentInfo("d2009", date="2009-08-25"),
    "d2015": DocumentInfo("d2015", date="2015-07-29"),
}


def sup(doc: str, modality: str = "asserted", sid: str = "", **kw: str) -> Support:
    return Support(sid or f"{doc}-{modality}", doc, f"evidence in {doc}", modality, 0.9, **kw)


def data(*relations: Relation) -> GraphData:
    return GraphData(ENTITIES, relations, DOCS)


def test_weight_counts_each_source_once_with_its_strongest_modality() -> None:
    rel = Relation(
        "ali",
        "associate_of",
        "bo",
        (sup("d2009", "alleged"), sup("d2009", "reported"), sup("d2015", "claimed")),
    )
    G = entity_graph(data(rel))
    # d2009: reported 0.75 beats alleged 0.25; d2015: claimed 0.5
    assert G.edges["ali", "bo"]["weight"] == pytest.approx(1.25)
    assert G.edges["ali", "bo"]["n_sources"] == 2


def test_min_modality_drops_alleged_only_edges_and_weak_supports() -> None:
    alleged_only = Relation("ali", "member_of", "lej", (sup("d2009", "alleged"),))
    mixed = Relation("bo", "member_of", "lej", (sup("d2009", "alleged"), sup("d2015")))
    G_all = entity_graph(data(alleged_only, mixed))
    G_rep = entity_graph(data(alleged_only, mixed), min_modality="reported")
    assert G_all.has_edge("ali", "lej") and G_all.edges["bo", "lej"]["weight"] == 1.25
    assert not G_rep.has_edge("ali", "lej")
    assert G_rep.edges["bo", "lej"]["weight"] == 1.0
    assert set(G_rep) == set(ENTITIES)  # entities stay, only edges go


def test_unknown_modality_names_the_choices() -> None:
    with pytest.raises(MilgraphError, match="asserted, reported, claimed, alleged"):
        entity_graph(data(), min_modality="rumoured")


def test_as_of_uses_statement_date_then_document_date() -> None:
    early = sup("d2015", sid="early", date="2008-12")  # own date wins over the 2015 document
    late = sup("d2015", sid="late")  # dated by its document: 2015-07-29
    rels = (
        Relation("ali", "leader_of", "lej", (early,)),
        Relation("bo", "leader_of", "lej", (late,)),
        Relation("cy", "member_of", "ttp", (sup("d2009"),)),
    )
    G = entity_graph(data(*rels), as_of="2010-01-01")
    assert sorted(G.edges) == [("ali", "lej"), ("cy", "ttp")]
    assert "bo" not in G  # not known before 2015
    assert "dan" not in G and "raid" not in G
    G_later = entity_graph(data(*rels), as_of="2015-07-29")
    assert G_later.has_edge("bo", "lej")
    with pytest.raises(MilgraphError, match="YYYY-MM-DD"):
        entity_graph(data(*rels), as_of="last year")


def test_symmetric_relation_read_both_ways_is_one_edge_with_both_sources() -> None:
    rels = (
        Relation("bo", "associate_of", "ali", (sup("d2009"),)),
        Relation("ali", "associate_of", "bo", (sup("d2015"),)),
    )
    G = full_graph(data(*rels), ontology=load_ontology())
    edges = list(G.edges(keys=True, data=True))
    assert len(edges) == 1
    u, v, key, attrs = edges[0]
    assert (u, v) == ("ali", "bo")
    assert attrs["doc_ids"] == ("d2009", "d2015") and attrs["weight"] == 2.0


def test_full_graph_keeps_one_edge_per_relation_with_properties() -> None:
    rels = (
        Relation("ali", "leader_of", "lej", (sup("d2015", role="acting"),)),
        Relation("ali", "founder_of", "lej", (sup("d2009", "reported", attributed_to="police"),)),
    )
    G = full_graph(data(*rels))
    edges = {d["predicate"]: (k, d) for _, _, k, d in G.edges(keys=True, data=True)}
    assert set(edges) == {"leader_of", "founder_of"}
    assert len({k for k, _ in edges.values()}) == 2
    assert edges["leader_of"][1]["role"] == "acting"
    assert edges["founder_of"][1]["modality"] == "reported"
    assert edges["founder_of"][1]["start"] == "2009-08-25"
    assert G.nodes["ali"]["label"] == "Ali"


def test_person_view_kinds() -> None:
    rels = (
        Relation("ali", "associate_of", "bo", (sup("d2009"),)),
        Relation("bo", "relative_of", "cy", (sup("d2009", relation="brother"),)),
        Relation("ali", "member_of", "lej", (sup("d2009"),)),
        Relation("dan", "leader_of", "lej", (sup("d2015", "reported"),)),
        Relation("cy", "killed_in", "raid", (sup("d2015"),)),
        Relation("dan", "responsible_for", "raid", (sup("d2015", "alleged"),)),
    )
    P = person_view(data(*rels))
    assert set(P) == {"ali", "bo", "cy", "dan"}
    assert P.edges["ali", "bo"]["kinds"] == ("associate",)
    assert P.edges["bo", "cy"]["kinds"] == ("kinship",)
    assert P.edges["ali", "dan"]["kinds"] == ("co-membership",)
    assert P.edges["ali", "dan"]["via"] == ("lej",)
    assert P.edges["ali", "dan"]["weight"] == 0.75  # the weaker tie (reported) counts
    assert P.edges["cy", "dan"]["kinds"] == ("shared event",)
    assert P.edges["cy", "dan"]["weight"] == 0.25
    assert P.number_of_edges() == 4
    # alleged responsibility gone: no shared event
    assert not person_view(data(*rels), min_modality="claimed").has_edge("cy", "dan")


def test_group_view_link_kinds_and_shared_members() -> None:
    rels = (
        Relation("ttp", "linked_to", "lej", (sup("d2009", link_kind="ally"),)),
        Relation("lej", "linked_to", "ttp", (sup("d2015", link_kind="splinter"),)),
        Relation("ali", "member_of", "lej", (sup("d2009"),)),
        Relation("ali", "member_of", "ttp", (sup("d2015"),)),
    )
    G = group_view(data(*rels))
    assert set(G) == {"lej", "ttp"}
    edge = G.edges["lej", "ttp"]
    assert edge["kinds"] == ("ally", "shared member", "splinter")
    assert edge["via"] == ("ali",)
    assert edge["weight"] == 3.0


def test_filtered_relations_are_remembered_per_data_and_filter() -> None:
    from graph_builder.views import filtered_relations

    g = data(
        Relation("ali", "member_of", "lej", (sup("d2009"),)),
        Relation("bo", "member_of", "lej", (sup("d2015", "alleged"),)),
    )
    first = filtered_relations(g)
    first.clear()  # a caller's change does not reach the remembered list
    assert [f.relation.subject_id for f in filtered_relations(g)] == ["ali", "bo"]
    assert [f.relation.subject_id for f in filtered_relations(g, as_of="2010-01-01")] == ["ali"]
    assert [f.relation.subject_id for f in filtered_relations(g, min_modality="reported")] == [
        "ali"
    ]
    other = data(Relation("cy", "member_of", "ttp", (sup("d2009"),)))
    assert [f.relation.subject_id for f in filtered_relations(other)] == ["cy"]
