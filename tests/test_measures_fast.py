"""analysis.louvain_communities against networkx's Louvain: the same partition, the same
list order, the same random draws, level by level the same sets, floats and ties."""

from __future__ import annotations

import inspect
import random
from collections.abc import Hashable
from typing import Any

import networkx as nx
import pytest
from networkx.algorithms.community import louvain as nx_louvain

from graph_builder import analysis


def random_graph(rng: random.Random, weights: str) -> nx.Graph:
    """A small random graph in shuffled node order, with isolated nodes, self-loops,
    labels of mixed types and weights that are ints, floats (of many magnitudes, so the
    order of a sum changes its last bits), missing on some ties, or absent."""
    n = rng.randint(2, 40)
    labels: list[Hashable] = [f"n{i}" if rng.random() < 0.7 else i for i in range(n)]
    rng.shuffle(labels)
    G = nx.Graph()
    G.add_nodes_from(labels)  # some stay isolated
    for _ in range(rng.randint(0, 3 * n)):
        u, v = rng.choice(labels), rng.choice(labels)
        if u == v and rng.random() < 0.7:
            continue  # a few self-loops only
        if weights == "int":
            G.add_edge(u, v, weight=rng.randint(1, 4))
        elif weights == "float":
            G.add_edge(u, v, weight=rng.uniform(0.1, 3) * 10 ** rng.randint(-2, 2))
        elif weights == "some missing" and rng.random() < 0.8:
            G.add_edge(u, v, weight=rng.choice([0.5, 1.5, 2.25, 3]))
        else:
            G.add_edge(u, v)
    return G


KINDS = ("none", "int", "float", "some missing")


@pytest.mark.parametrize("kind", KINDS)
def test_same_partition_in_the_same_order_as_networkx(kind: str) -> None:
    rng = random.Random(kind)
    for trial in range(60):
        G = random_graph(rng, kind)
        seed = rng.randrange(1000)
        expected = nx.community.louvain_communities(G, weight="weight", seed=seed)
        assert analysis.louvain_communities(G, weight="weight", seed=seed) == expected, trial


@pytest.mark.parametrize("kind", KINDS)
def test_each_level_matches_networkx(kind: str) -> None:
    """networkx's own level functions beside this module's: the same communities (as
    sets with the same iteration order, which networkx's modularity sums follow), the
    same modularity floats and the same merged ties in the same order."""
    rng = random.Random(f"levels {kind}")
    levels_seen = 0
    for _ in range(40):
        G = random_graph(rng, kind)
        if nx.is_empty(G):
            continue
        levels_seen += _compare_levels(G, rng.randrange(1000))
    assert levels_seen > 40  # the graphs were big enough to merge


def _compare_levels(G: nx.Graph, seed: int) -> int:
    graph = nx.Graph()  # networkx's weighted copy (louvain_partitions)
    graph.add_nodes_from(G)
    graph.add_weighted_edges_from(G.edges(data="weight", default=1))
    m = graph.size(weight="weight")
    nodes = list(G)
    position = {u: i for i, u in enumerate(nodes)}
    level = analysis._LouvainLevel(analysis._copied_adjacency(G, position, "weight"), nodes)
    assert sum(level.degrees) / 2 == m
    expected_mod = nx.community.modularity(G, [{u} for u in G], weight="weight")
    assert analysis._singletons_modularity(G, "weight") == expected_mod
    rng_nx, rng_here = random.Random(seed), random.Random(seed)
    partition = [{u} for u in graph]
    levels = 0
    while True:
        assert _ties(level) == _nx_ties(graph, level.labels)
        partition, inner_nx, improved_nx = nx_louvain._one_level(
            graph, m, partition, 1, False, rng_nx
        )
        node2com, inner, improved = level.one_level(m, rng_here)
        assert [list(s) for s in inner] == [list(s) for s in inner_nx]
        assert improved == improved_nx
        assert rng_here.getstate() == rng_nx.getstate()
        expected_mod = nx.community.modularity(graph, inner_nx, weight="weight")
        assert level.modularity(inner) == expected_mod
        levels += 1
        if not improved:
            return levels
        graph = nx_louvain._gen_graph(graph, inner_nx)
        level, _ = level.merged(node2com)


def _ties(level: Any) -> list[list[tuple[int, type, Any]]]:
    """Each node's (neighbour, weight type, weight) in order: an int sum stays an int."""
    return [[(v, type(w), w) for v, w in nbrs.items()] for nbrs in level.adjacency]


def _nx_ties(graph: nx.Graph, labels: Any) -> list[list[tuple[int, type, Any]]]:
    position = {label: i for i, label in enumerate(labels)}
    assert list(graph) == list(labels)
    return [
        [(position[v], type(d["weight"]), d["weight"]) for v, d in graph[u].items()] for u in graph
    ]


def test_float_sums_follow_networkx_order() -> None:
    """Weights whose sums round differently in another order: the modularity networkx
    compares with its threshold comes out bit for bit."""
    G = nx.Graph()
    big, small = 1e16, 1.0
    G.add_weighted_edges_from(
        [("a", "b", big), ("b", "c", small), ("c", "a", small), ("c", "d", big), ("d", "a", 3.0)]
    )
    G.add_edge("b", "b", weight=small)
    for seed in range(20):
        assert _compare_levels(G, seed) >= 1
        got = analysis.louvain_communities(G, seed=seed)
        assert got == nx.community.louvain_communities(G, seed=seed)


def test_networkx_defaults_are_the_ones_used() -> None:
    defaults = inspect.signature(nx.community.louvain_communities).parameters
    assert analysis._LOUVAIN_RESOLUTION == defaults["resolution"].default
    assert analysis._LOUVAIN_THRESHOLD == defaults["threshold"].default


def test_stopping_at_the_threshold_returns_networkx_level(monkeypatch: Any) -> None:
    """A level that gains no more than the threshold is the last one (networkx's
    default threshold rarely decides anything on small graphs: a large one does, after
    the first level)."""
    monkeypatch.setattr(analysis, "_LOUVAIN_THRESHOLD", 0.3)
    rng = random.Random("threshold")
    stopped_early = 0
    for _ in range(40):
        G = random_graph(rng, "int")
        expected = nx.community.louvain_communities(G, seed=4, threshold=0.3)
        assert analysis.louvain_communities(G, seed=4) == expected
        stopped_early += expected != nx.community.louvain_communities(G, seed=4)
    assert stopped_early > 0


def test_a_random_generator_is_drawn_from_as_networkx_draws() -> None:
    G = nx.karate_club_graph()
    mine, theirs = random.Random(5), random.Random(5)
    assert analysis.louvain_communities(G, seed=mine) == nx.community.louvain_communities(
        G, seed=theirs
    )
    assert mine.getstate() == theirs.getstate()


@pytest.mark.parametrize(
    "G",
    [
        nx.DiGraph([(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 4)]),
        nx.MultiGraph([(1, 2), (1, 2), (2, 3), (3, 4), (4, 5)]),
        nx.Graph(),
        nx.empty_graph(4),
    ],
    ids=["directed", "multigraph", "no nodes", "no ties"],
)
def test_other_graphs_get_networkx_result(G: nx.Graph) -> None:
    assert analysis.louvain_communities(G, seed=1) == nx.community.louvain_communities(G, seed=1)


def test_communities_numbers_match_networkx_partition() -> None:
    G = random_graph(random.Random(11), "float")
    parts = nx.community.louvain_communities(G, weight="weight", seed=3)
    ordered = sorted(parts, key=lambda c: (-len(c), min(str(n) for n in c)))
    expected = {node: i for i, part in enumerate(ordered) for node in part}
    assert analysis.communities(G, seed=3) == expected


def test_unweighted_louvain_is_networkx_own() -> None:
    G = nx.les_miserables_graph()
    expected = nx.community.louvain_communities(G, weight=None, seed=2)
    assert analysis.louvain_communities(G, weight=None, seed=2) == expected
