"""Link prediction: scores by hand and against networkx, top pairs, hidden-edge evaluation."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from graph_builder import linkpred
from graph_builder.errors import MilgraphError


def diamond() -> nx.Graph:
    # a and b share c and d; d also knows e
    return nx.Graph([("a", "c"), ("b", "c"), ("a", "d"), ("b", "d"), ("d", "e")])


def test_scores_by_hand_and_as_networkx_defines_them() -> None:
    G = diamond()
    p = linkpred.score_pair(G, "a", "b")
    assert p.shared == ("c", "d")
    # deg(c) = 2, deg(d) = 3
    assert p.adamic_adar == pytest.approx(1 / math.log(2) + 1 / math.log(3))
    assert p.resource_allocation == pytest.approx(1 / 2 + 1 / 3)
    assert p.jaccard == 1.0  # N(a) = N(b) = {c, d}
    pairs = list(linkpred.candidate_pairs(G))
    for name, fn in (
        ("adamic_adar", nx.adamic_adar_index),
        ("jaccard", nx.jaccard_coefficient),
        ("resource_allocation", nx.resource_allocation_index),
    ):
        expected = {(u, v): s for u, v, s in fn(G, pairs)}
        got = {(u, v): linkpred.score_pair(G, u, v).score(name) for u, v in pairs}
        assert got == pytest.approx(expected)


def test_candidates_are_exactly_untied_pairs_at_distance_two() -> None:
    G = diamond()
    expected = {
        tuple(sorted((u, v)))
        for u, v in nx.non_edges(G)
        if nx.has_path(G, u, v) and nx.shortest_path_length(G, u, v) == 2
    }
    assert set(linkpred.candidate_pairs(G)) == expected


def test_predict_links_ranks_and_explains() -> None:
    top = linkpred.predict_links(diamond(), 3, method="resource_allocation")
    assert [(p.u, p.v) for p in top][:2] == [("c", "d"), ("a", "b")]  # RA: 1 vs 5/6
    assert top[1].shared == ("c", "d")
    with pytest.raises(MilgraphError, match="adamic_adar, jaccard, resource_allocation"):
        linkpred.predict_links(diamond(), 3, method="magic")


def test_auc_counts_ties_as_half() -> None:
    assert linkpred._auc([1.0], [0.5], zero_negatives=1) == 1.0
    assert linkpred._auc([0.0], [], zero_negatives=2) == 0.5
    assert linkpred._auc([0.5], [0.5, 1.0], zero_negatives=0) == 0.25


def test_evaluation_is_seeded_and_finds_hidden_ties_in_cliques() -> None:
    # four 6-cliques joined in a ring: hidden intra-clique ties keep many shared neighbours
    G = nx.ring_of_cliques(4, 6)
    first = linkpred.evaluate(G, "adamic_adar", seed=5, k=5)
    assert first == linkpred.evaluate(G, "adamic_adar", seed=5, k=5)
    assert first.hidden == round(0.1 * G.number_of_edges())
    n = len(G)
    assert first.negatives == n * (n - 1) // 2 - G.number_of_edges()
    assert first.auc > 0.9 and first.precision_at_k >= 0.6
    for method in linkpred.METHODS:
        result = linkpred.evaluate(G, method, seed=5, k=5)
        assert 0.0 <= result.auc <= 1.0


def test_evaluation_of_a_tree_cannot_beat_chance_much() -> None:
    # in a path, a hidden edge leaves its ends with no common neighbour: score 0
    result = linkpred.evaluate(nx.path_graph(30), seed=1)
    assert result.precision_at_k == 0.0
    assert result.auc < 0.5


@pytest.mark.parametrize("method", linkpred.METHODS)
def test_predictions_equal_scoring_every_candidate_pair(method: str) -> None:
    G = nx.relabel_nodes(nx.powerlaw_cluster_graph(150, 2, 0.4, seed=7), lambda n: f"p{n}")
    G.add_edge("p0", "p0")  # a self-loop counts in the degree, not as a neighbour
    every = [linkpred.score_pair(G, u, v) for u, v in linkpred.candidate_pairs(G)]
    every.sort(key=lambda p: (-p.score(method), -len(p.shared), str(p.u), str(p.v)))
    assert linkpred.predict_links(G, 25, method) == every[:25]
