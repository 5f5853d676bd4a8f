"""Measures on graphs small enough to compute by hand, and on Krackhardt's kite."""

from __future__ import annotations

import csv
import math
import random
from itertools import combinations
from pathlib import Path

import networkx as nx
import pytest

from graph_builder import analysis


def path4() -> nx.Graph:
    G = nx.path_graph(["a", "b", "c", "d"])
    for n in G:
        G.nodes[n].update(name=n.upper(), type="Person")
    return G


def test_path_graph_centralities_by_hand() -> None:
    G = path4()
    # degree: neighbours / 3
    assert analysis.degree(G) == pytest.approx({"a": 1 / 3, "b": 2 / 3, "c": 2 / 3, "d": 1 / 3})
    # b lies on a-c and a-d: 2 of the 3 pairs not involving it
    assert analysis.betweenness(G).values == pytest.approx({"a": 0, "b": 2 / 3, "c": 2 / 3, "d": 0})
    # closeness: 3 / sum of distances; a: 1+2+3, b: 1+1+2
    assert analysis.closeness(G) == pytest.approx({"a": 0.5, "b": 0.75, "c": 0.75, "d": 0.5})
    # eigenvector of P4: (1, phi, phi, 1) normalised, phi = golden ratio
    phi = (1 + 5**0.5) / 2
    norm = (2 + 2 * phi**2) ** 0.5
    eig = analysis.eigenvector(G, weight=None)
    assert eig == pytest.approx({"a": 1 / norm, "b": phi / norm, "c": phi / norm, "d": 1 / norm})
    pr = analysis.pagerank(G, weight=None)
    assert sum(pr.values()) == pytest.approx(1.0)
    assert pr["b"] > pr["a"] and pr["b"] == pytest.approx(pr["c"])


def test_eigenvector_survives_disconnected_and_edgeless_graphs() -> None:
    G = nx.disjoint_union(nx.complete_graph(4), nx.path_graph(2))
    G.add_node(99)
    eig = analysis.eigenvector(G)
    assert set(eig) == set(G)
    assert eig[99] == pytest.approx(0.0, abs=1e-6)
    assert eig[0] > eig[4]  # the denser component dominates
    assert analysis.eigenvector(nx.empty_graph(3)) == {0: 0.0, 1: 0.0, 2: 0.0}


def test_kite_articulation_points_bridges_and_fragmentation() -> None:
    kite = nx.krackhardt_kite_graph()  # 0-6 the kite, 7 Heather, 8 Ike, 9 Jane on the tail
    assert analysis.articulation_points(kite) == [7, 8]
    assert analysis.bridges(kite) == [(7, 8), (8, 9)]
    assert analysis.fragmentation(kite) == 0.0
    # without Heather: sizes 7 and 2 among n = 9 -> 1 - (42 + 2) / 72
    assert analysis.fragmentation(kite, [7]) == pytest.approx(1 - 44 / 72)
    # without Ike: sizes 8 and 1 -> 1 - 56 / 72
    assert analysis.fragmentation(kite, [8]) == pytest.approx(1 - 56 / 72)
    kp = analysis.key_players(kite, 1)
    assert kp.players == (7,) and kp.fragmentation == pytest.approx(1 - 44 / 72)


def test_key_players_match_exhaustive_search_on_the_kite() -> None:
    kite = nx.krackhardt_kite_graph()
    best = max(analysis.fragmentation(kite, pair) for pair in combinations(kite, 2))
    # removing Fernando (5) and Garth (6) cuts the kite from its tail:
    # {0,1,2,3,4} and {7,8,9} -> 1 - (20 + 6) / (8 * 7)
    assert best == pytest.approx(1 - 26 / 56)
    kp = analysis.key_players(kite, 2)  # 45 pairs: searched exhaustively
    assert sorted(kp.players) == [5, 6] and kp.fragmentation == pytest.approx(best)
    assert kp.steps[-1] == pytest.approx(best)
    # the heuristic used on large graphs: greedy takes Heather first, and no single swap
    # improves on {Heather, x}: a local optimum below the best
    heuristic = analysis.key_players(kite, 2, exact_max=0)
    assert heuristic.players[0] == 7
    assert heuristic.fragmentation == pytest.approx(analysis.fragmentation(kite, heuristic.players))
    assert heuristic.fragmentation == pytest.approx(1 - 32 / 56)  # {0..6 minus one} and {8,9}
    assert heuristic.fragmentation < best


def test_communities_are_seeded_and_split_a_barbell() -> None:
    G = nx.barbell_graph(5, 1)
    first = analysis.communities(G, seed=7)
    assert first == analysis.communities(G, seed=7)
    assert len({first[n] for n in range(5)}) == 1
    assert first[0] != first[10]


def test_brokerage_counts_open_two_paths_across_groups() -> None:
    # b joins group 1 (a) to group 2 (c, d); c and d are tied so c-b-d is closed
    G = nx.Graph([("a", "b"), ("b", "c"), ("b", "d"), ("c", "d"), ("d", "e")])
    part = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3}
    assert analysis.brokerage(G, part) == {"a": 0, "b": 2, "c": 0, "d": 2, "e": 0}


def test_decapitation_removes_leaders_by_leader_of_edges() -> None:
    G = nx.Graph()
    G.add_node("g", type="MilitantGroup", name="G")
    for boss in ("b1", "b2"):
        G.add_edge(boss, "g", predicates=("leader_of",))
    G.add_edge("m", "g", predicates=("member_of",))
    G.add_edge("m2", "b1", predicates=("associate_of",))
    result = analysis.decapitation(G, "g")
    assert result.leaders == ("b1", "b2")
    assert result.component_before == 5 and result.component_after == 2  # g and m remain
    # left: {g, m} and {m2}: n = 3, 1 - 2 / 6
    assert result.fragmentation_after == pytest.approx(1 - 2 / 6)
    assert [d.group for d in analysis.decapitations(G)] == ["g"]


def test_sampled_betweenness_stays_within_its_stated_bound() -> None:
    G = nx.connected_watts_strogatz_graph(120, 4, 0.2, seed=1)
    exact = nx.betweenness_centrality(G)
    est = analysis.betweenness(G, exact_max=50, samples=40, seed=3)
    assert est.sources == 40
    assert est.error_bound == pytest.approx(
        120 / 119 * ((__import__("math").log(4800)) / 80) ** 0.5
    )
    assert max(abs(est.values[n] - exact[n]) for n in G) <= est.error_bound
    assert "40 sampled sources" in est.describe()
    assert analysis.betweenness(G).sources is None


def test_metrics_rows_and_csv(tmp_path: Path) -> None:
    G = path4()
    rows = analysis.metrics_rows(G, seed=1)
    assert list(rows[0])[:9] == list(analysis.METRIC_COLUMNS)
    by_id = {r["id"]: r for r in rows}
    assert by_id["b"]["degree"] == pytest.approx(2 / 3)
    assert by_id["b"]["articulation_point"] and not by_id["a"]["articulation_point"]
    assert sorted(r["key_player_rank"] for r in rows) == [0, 1, 2, 3]
    assert [r["id"] for r in rows][:2] in (["b", "c"], ["c", "b"])  # ranked by PageRank
    path = tmp_path / "out" / "metrics.csv"
    analysis.write_metrics_csv(rows, path)
    with path.open() as fh:
        read = list(csv.DictReader(fh))
    assert list(read[0])[:9] == list(analysis.METRIC_COLUMNS)
    assert len(read) == 4 and float(read[0]["pagerank"]) == pytest.approx(rows[0]["pagerank"])
    assert [p.name for p in path.parent.iterdir()] == ["metrics.csv"]  # no temp file left


def test_sampled_closeness_stays_within_its_stated_bound() -> None:
    G = nx.connected_watts_strogatz_graph(1200, 6, 0.1, seed=3)
    G.add_edges_from([("x", "y"), ("y", "z")])  # a small component: computed exactly
    exact = nx.closeness_centrality(G)
    estimate = analysis.closeness_measure(G, exact_max=100, samples=150, seed=1)
    assert estimate.sources == 150 and 0 < estimate.error_bound < 10
    assert "150 sampled sources" in estimate.describe()
    for node in ("x", "y", "z"):
        assert estimate.values[node] == pytest.approx(exact[node])

    def mean_distance(closeness: float) -> float:  # Wasserman-Faust, component of 1200
        return (1200 - 1) / (len(G) - 1) / closeness

    errors = [abs(mean_distance(estimate.values[v]) - mean_distance(exact[v])) for v in range(1200)]
    assert max(errors) <= estimate.error_bound
    assert sum(errors) / len(errors) < 0.1  # hops: far tighter than the worst-case bound
    # The same seed gives the same estimate (rebuilds are repeatable).
    assert analysis.closeness_measure(G, exact_max=100, samples=150, seed=1) == estimate


def _fragmentation_by_subgraph(G: nx.Graph, removed: list) -> float:
    """The definition, computed the slow way: components of what is left."""
    H = G.subgraph(n for n in G if n not in set(removed))
    n = len(H)
    if n < 2:
        return 1.0
    return 1.0 - sum(len(c) * (len(c) - 1) for c in nx.connected_components(H)) / (n * (n - 1))


@pytest.mark.parametrize("seed", range(6))
def test_fragmenter_equals_the_definition(seed: int) -> None:
    import random

    rng = random.Random(seed)
    G = nx.powerlaw_cluster_graph(120, 1 + seed % 2, 0.3, seed=seed)
    G.add_edges_from([(200, 201), (201, 201), (202, 202)])  # a pair with a loop, a lone loop
    frag = analysis.Fragmenter(G)
    hubs = sorted(G, key=G.degree, reverse=True)[:8]
    sets = [list(c) for c in combinations(hubs, 2)]
    sets += [rng.sample(list(G), rng.randint(0, 10)) for _ in range(30)]
    sets += [[201], [202], ["not a node", hubs[0]], list(G)[:-1], list(G)]
    for removed in sets:
        assert frag(removed) == _fragmentation_by_subgraph(G, removed), removed


def test_decapitations_match_removing_the_leaders() -> None:
    G = nx.powerlaw_cluster_graph(80, 2, 0.3, seed=3)
    groups = sorted(G, key=G.degree, reverse=True)[:4]
    for g in groups:
        G.nodes[g]["type"] = "MilitantGroup"
        for n in sorted(G[g])[:2]:
            G.edges[g, n]["predicates"] = ("leader_of",)
    found = {d.group: d for d in analysis.decapitations(G)}
    assert sorted(found) == sorted(groups)
    for g, d in found.items():
        H = G.subgraph(n for n in G if n not in set(d.leaders))
        assert d.fragmentation_after == _fragmentation_by_subgraph(G, list(d.leaders))
        assert d.component_before == len(nx.node_connected_component(G, g))
        assert d.component_after == len(nx.node_connected_component(H, g))


def _weighted_test_graph(seed: int) -> nx.Graph:
    import random

    rng = random.Random(seed)
    G = nx.relabel_nodes(nx.powerlaw_cluster_graph(300, 2, 0.3, seed=seed), lambda n: f"e{n}")
    for u, v in G.edges:
        G.edges[u, v]["weight"] = rng.choice((0.25, 0.5, 1.0, 1.75, 0.1, 1 / 3))
    G.add_edge("e0", "e0", weight=0.5)
    G.add_edges_from([("x1", "x2"), ("x2", "x3")], weight=1.0)  # a second component
    G.add_node("lone")
    return G


@pytest.mark.parametrize("seed", range(3))
def test_closeness_and_eigenvector_are_networkx_to_the_last_bit(seed: int) -> None:
    G = _weighted_test_graph(seed)
    closeness = analysis.closeness_measure(G)
    assert closeness.sources is None
    assert closeness.values == nx.closeness_centrality(G)
    assert analysis.eigenvector(G) == nx.eigenvector_centrality(
        G, max_iter=100, tol=1e-08, weight="weight"
    )
    assert analysis.eigenvector(G, weight=None) == nx.eigenvector_centrality(
        G, max_iter=100, tol=1e-08, weight=None
    )


@pytest.mark.parametrize("seed", range(3))
def test_betweenness_is_networkx_to_the_last_bit(seed: int) -> None:
    G = _weighted_test_graph(seed)
    assert analysis.betweenness(G).values == nx.betweenness_centrality(G, normalized=True)
    sampled = analysis.betweenness(G, seed=seed, exact_max=10, samples=40)
    assert sampled.sources == 40
    assert sampled.values == nx.betweenness_centrality(G, k=40, normalized=True, seed=seed)


def test_betweenness_with_more_shortest_paths_than_floats_count_exactly() -> None:
    G = nx.Graph()
    for i in range(60):  # 60 diamonds in a row: 2**60 shortest paths end to end
        G.add_edges_from([(f"c{i}", f"a{i}"), (f"c{i}", f"b{i}")])
        G.add_edges_from([(f"a{i}", f"c{i + 1}"), (f"b{i}", f"c{i + 1}")])
    assert analysis.betweenness(G).values == nx.betweenness_centrality(G, normalized=True)


def _brokerage_by_pairs(G: nx.Graph, partition: dict) -> dict:
    """The definition, pair by pair: neighbours in different groups with no tie."""
    result = {}
    for v in G:
        ends = [u for u in G[v] if u != v and u in partition]
        result[v] = sum(
            1
            for u, w in combinations(ends, 2)
            if partition[u] != partition[w] and not G.has_edge(u, w)
        )
    return result


@pytest.mark.parametrize("seed", range(4))
def test_brokerage_equals_counting_every_pair(seed: int) -> None:
    import random

    rng = random.Random(seed)
    G = nx.powerlaw_cluster_graph(150, 2 + seed % 2, 0.5, seed=seed)
    G.add_edges_from([(0, 0), (7, 7), (300, 301)])  # loops and a separate pair
    partition = {n: rng.randrange(4) for n in G if rng.random() < 0.9}  # some left out
    expected = _brokerage_by_pairs(G, partition)
    assert analysis.brokerage(G, partition) == expected
    assert sum(expected.values()) > 0  # the graph does have brokers


def test_brokerage_refuses_directed_graphs() -> None:
    with pytest.raises(nx.NetworkXNotImplemented):
        analysis.brokerage(nx.DiGraph([(1, 2)]), {1: 0, 2: 1})


@pytest.mark.parametrize("seed", range(2))
def test_directed_betweenness_and_eigenvector_are_networkx_to_the_last_bit(seed: int) -> None:
    import random

    rng = random.Random(seed)
    G = nx.gnp_random_graph(150, 0.05, seed=seed, directed=True)
    G.add_edges_from([(0, 0), (200, 201)])  # a loop; a pair the others cannot reach
    for u, v in G.edges:
        G.edges[u, v]["weight"] = rng.choice((0.5, 1.0, 1.75))
    assert analysis.betweenness(G).values == nx.betweenness_centrality(G, normalized=True)
    sampled = analysis.betweenness(G, seed=seed, exact_max=10, samples=30).values
    assert sampled == nx.betweenness_centrality(G, k=30, normalized=True, seed=seed)
    H = G.subgraph(max(nx.strongly_connected_components(G), key=len))
    assert analysis.eigenvector(H) == nx.eigenvector_centrality(
        H, max_iter=100, tol=1e-08, weight="weight"
    )


def test_fragmenter_refuses_directed_graphs() -> None:
    with pytest.raises(nx.NetworkXNotImplemented):
        analysis.Fragmenter(nx.DiGraph([(1, 2)]))


@pytest.mark.parametrize("seed", range(4))
def test_component_size_after_removal_is_the_component_left(seed: int) -> None:
    import random

    rng = random.Random(seed)
    G = nx.powerlaw_cluster_graph(90, 1 + seed % 2, 0.3, seed=seed)
    G.add_edges_from([(200, 201), (201, 201)])
    frag = analysis.Fragmenter(G)
    for _ in range(40):
        removed = rng.sample(list(G), rng.randint(0, 8))
        node = rng.choice([n for n in G if n not in removed])
        if rng.random() < 0.5:
            frag(removed)  # the same removal asked for twice: its components reused
        left = G.subgraph(n for n in G if n not in set(removed))
        assert frag.component_size(node, removed) == len(nx.node_connected_component(left, node))
        assert frag.component_size(node) == len(nx.node_connected_component(G, node))
        assert frag(removed) == _fragmentation_by_subgraph(G, removed)
    with pytest.raises(ValueError, match="among the nodes removed"):
        frag.component_size(0, [0])


def test_decapitation_of_a_group_leading_itself_keeps_the_group() -> None:
    G = nx.Graph([("g", "m"), ("g", "boss"), ("boss", "x")])
    G.add_edge("g", "g", predicates=("leader_of",))
    G.edges["g", "boss"]["predicates"] = ("leader_of",)
    d = analysis.decapitation(G, "g")
    assert d.leaders == ("boss", "g")
    assert (d.component_before, d.component_after) == (4, 2)  # g still reaches m
    assert d.fragmentation_after == _fragmentation_by_subgraph(G, ["boss", "g"])


@pytest.mark.parametrize("n", [0, 1, 3, 10, 50])
def test_top_is_the_head_of_the_full_ranking(n: int) -> None:
    """Ties (by id, then in input order), -0.0 and inf rank as a full sort ranks them."""
    rng = random.Random(n)
    rows = [{"id": f"e{rng.randrange(40)}", "x": rng.choice([0.0, -0.0, 1, 2.5, 7])}]
    rows += [{"id": f"e{i % 25}", "x": rng.choice([0.0, 1.0, 2.5, 3, math.inf])} for i in range(30)]
    ranked = sorted(rows, key=lambda r: (-float(r["x"]), str(r["id"])))
    found = analysis.top(rows, "x", n)
    assert [id(r) for r in found] == [id(r) for r in ranked[:n]]
    assert len(found) == min(n, len(rows))
