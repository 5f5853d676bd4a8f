"""The 64-at-a-time searches behind sampled closeness, the components found by scipy
and the adjacency compute_metrics shares: the same numbers as the plain definitions."""

from __future__ import annotations

import gc
import random

import networkx as nx
import pytest

from graph_builder import analysis


def scattered_graph(seed: int) -> nx.Graph:
    """Several components of mixed sizes, nodes named by str and int, some isolated."""
    rng = random.Random(seed)
    G = nx.Graph()
    G.add_nodes_from(rng.sample(range(400), 400))  # not in id order
    for _ in range(430):
        u, v = rng.randrange(400), rng.randrange(400)
        if u != v:
            G.add_edge(u, v)
    return nx.relabel_nodes(G, {i: f"n{i}" for i in G if i % 3})


def hop_totals_by_bfs(G: nx.Graph, sources: list[int]) -> tuple[list[int], list[int], int]:
    """Sum of distances from `sources` and how many reach each node, one search each."""
    nodes = list(G)
    total, reached, longest = [0] * len(G), [0] * len(G), 0
    position = {node: i for i, node in enumerate(nodes)}
    for s in sources:
        for node, hops in nx.single_source_shortest_path_length(G, nodes[s]).items():
            total[position[node]] += hops
            reached[position[node]] += 1
            longest = max(longest, hops)
    return total, reached, longest


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_sources", [1, 63, 64, 65, 200])
def test_bitwise_searches_give_each_sources_distances(seed: int, n_sources: int) -> None:
    G = scattered_graph(seed)
    sources = random.Random(seed).sample(range(len(G)), n_sources)
    total, reached, longest = analysis._hop_totals(analysis._Adjacency.of(G), sources)
    assert (total.tolist(), reached.tolist(), longest) == hop_totals_by_bfs(G, sources)
    assert longest > 2 or n_sources == 1  # the searches went deep


def test_bitwise_searches_on_a_long_path() -> None:
    G = nx.path_graph(300)
    total, reached, longest = analysis._hop_totals(analysis._Adjacency.of(G), [0, 299, 150])
    assert longest == 299
    assert total.tolist() == [v + (299 - v) + abs(150 - v) for v in range(300)]
    assert reached.tolist() == [3] * 300


@pytest.mark.parametrize("seed", range(5))
def test_components_come_as_networkx_yields_them(seed: int) -> None:
    G = scattered_graph(seed)
    found = analysis._components_in_order(G, analysis._Adjacency.of(G))
    assert [set(c) for c in found] == list(nx.connected_components(G))
    assert all(c == [n for n in G if n in set(c)] for c in found)  # each in G order
    with pytest.raises(nx.NetworkXNotImplemented):
        analysis._components_in_order(nx.DiGraph(G), analysis._Adjacency.of(G))


@pytest.mark.parametrize("seed", range(4))
def test_sampled_closeness_is_the_mean_of_sampled_distances(seed: int) -> None:
    G = scattered_graph(seed)
    samples = 20
    estimate = analysis.closeness_measure(G, exact_max=10, samples=samples, seed=seed)
    assert estimate.sources == samples
    # the plan closeness_measure follows: components by smallest member, seeded samples
    rng = random.Random(seed)
    components = sorted(
        (sorted(c, key=str) for c in nx.connected_components(G)), key=lambda c: str(c[0])
    )
    n = len(G)
    for nodes in components:
        chosen = nodes if len(nodes) <= samples else rng.sample(nodes, samples)
        for node in nodes:
            distances = nx.single_source_shortest_path_length(G, node)
            hops = [distances[s] for s in chosen if s != node]
            mean = sum(hops) / len(hops) if hops else 0.0
            expected = 0.0 if len(nodes) <= 1 or mean == 0 else (len(nodes) - 1) / (n - 1) / mean
            assert estimate.values[node] == expected


def test_compute_metrics_shares_one_adjacency_and_lets_it_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    G = nx.connected_watts_strogatz_graph(80, 4, 0.2, seed=1)
    before = analysis.compute_metrics(G, key_player_k=2)
    built = []
    original_init = analysis._Adjacency.__init__

    def counting_init(self: analysis._Adjacency, *args: object) -> None:
        built.append(self)
        original_init(self, *args)

    monkeypatch.setattr(analysis._Adjacency, "__init__", counting_init)
    again = analysis.compute_metrics(G, key_player_k=2)
    assert again == before
    whole = [a for a in built if len(a.indices) == 2 * G.number_of_edges()]
    assert len(whole) == 1  # one adjacency of G serves every measure
    assert analysis._SHARED_ADJACENCY == []
    G.add_edge(0, 40)  # outside compute_metrics, a changed graph gets fresh rows
    assert len(analysis._Adjacency.of(G).indices) == 2 * G.number_of_edges()


@pytest.mark.parametrize("parallel", [False, True])
def test_a_failed_measure_leaves_no_shared_adjacency_and_the_collector_on(
    monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("measure failed")

    monkeypatch.setattr(analysis, "betweenness", broken)
    with pytest.raises(RuntimeError, match="measure failed"):
        analysis.compute_metrics(nx.path_graph(12), parallel=parallel)
    assert analysis._SHARED_ADJACENCY == []
    assert gc.isenabled()
