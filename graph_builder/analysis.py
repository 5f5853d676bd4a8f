"""Network measures in networkx style: each function takes a graph and returns plain data.

Centralities are computed on the undirected entity graph (:func:`views.entity_graph`) and
normalised as networkx normalises them. Edge weights count sources and their modality
(strength, not distance), so the path-based measures (betweenness, closeness) use hops
while eigenvector centrality, PageRank and Louvain use the weights.
"""

from __future__ import annotations

import csv
import functools
import heapq
import math
import os
import random
import tempfile
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from graph_builder import sidework
from graph_builder.gcpause import gc_paused

# Imported where the measures use them (scipy's sparse graphs, ~0.3 s to load).
LAZY_MODULES = ("scipy.sparse.csgraph",)

METRIC_COLUMNS = (
    "id",
    "name",
    "type",
    "degree",
    "betweenness",
    "closeness",
    "eigenvector",
    "pagerank",
    "community",
)
EXTRA_COLUMNS = ("brokerage", "articulation_point", "key_player_rank")
# Above this many nodes betweenness is estimated from sampled sources (Brandes-Pich).
BETWEENNESS_EXACT_MAX = 2000
BETWEENNESS_SAMPLES = 500
# Above this many nodes closeness is estimated from sampled sources (Eppstein-Wang).
CLOSENESS_EXACT_MAX = 5000
CLOSENESS_SAMPLES = 500
# Above this many nodes the key-player search only considers the KEY_PLAYER_CANDIDATES
# nodes of highest betweenness, with one swap pass (keeps `analyze` to seconds).
KEY_PLAYER_FULL_MAX = 300
KEY_PLAYER_CANDIDATES = 50


def degree(G: nx.Graph) -> dict[Hashable, float]:
    """Degree centrality: neighbours / (n - 1).

    Examples
    --------
    >>> degree(nx.star_graph(3))
    {0: 1.0, 1: 0.3333333333333333, 2: 0.3333333333333333, 3: 0.3333333333333333}
    """
    if len(G) <= 1:
        return dict.fromkeys(G, 0.0)
    return dict(nx.degree_centrality(G))


@dataclass(frozen=True)
class Estimate:
    """Per-node values of a measure; ``sources`` is None when exact, else the number of
    sampled sources, with an error bound holding with probability ``1 - delta``."""

    values: dict[Hashable, float]
    sources: int | None = None
    error_bound: float = 0.0
    delta: float = 0.05


@dataclass(frozen=True)
class Betweenness(Estimate):
    """Betweenness values and how they were obtained.

    ``sources`` is None when exact; otherwise the number of sampled source nodes and
    ``error_bound`` the Hoeffding bound holding for every node at once with
    probability ``1 - delta``: ``n / (n - 1) * sqrt(ln(2 n / delta) / (2 k))`` (each sampled
    source adds a term in [0, n / (n - 1)] to the normalised estimate; union bound over
    the n nodes).
    """

    def describe(self) -> str:
        if self.sources is None:
            return "betweenness: exact"
        return (
            f"betweenness: estimated from {self.sources} sampled sources; every value is "
            f"within ±{self.error_bound:.3f} of the exact one with probability "
            f"{1 - self.delta:.0%}"
        )


def betweenness(
    G: nx.Graph,
    *,
    seed: int = 42,
    exact_max: int = BETWEENNESS_EXACT_MAX,
    samples: int = BETWEENNESS_SAMPLES,
    delta: float = 0.05,
) -> Betweenness:
    """Normalised betweenness, exact up to `exact_max` nodes, sampled (seeded) above.

    Examples
    --------
    >>> betweenness(nx.path_graph(3)).values
    {0: 0.0, 1: 1.0, 2: 0.0}
    >>> b = betweenness(nx.path_graph(50), exact_max=10, samples=20)
    >>> b.sources, round(b.error_bound, 3)
    (20, 0.445)
    """
    n = len(G)
    if n <= exact_max or samples >= n:
        return Betweenness(_brandes(G, None))
    values = _brandes(G, random.Random(seed).sample(list(G), samples))
    bound = n / (n - 1) * math.sqrt(math.log(2 * n / delta) / (2 * samples))
    return Betweenness(dict(values), samples, bound, delta)


def _brandes(G: nx.Graph, sources: list[Hashable] | None) -> dict[Hashable, float]:
    """``nx.betweenness_centrality(G, normalized=True)`` from `sources` (None: every node;
    networkx draws its k sources as ``random.Random(seed).sample(list(G), k)``).

    The same breadth-first searches and dependency sums as networkx, one level at a time
    with numpy (see :func:`_dependencies`); the scaling is networkx's own.
    """
    from networkx.algorithms.centrality.betweenness import _rescale

    out = _Adjacency.of(G)
    into = _Adjacency.of(G.reverse(copy=False)) if G.is_directed() else out
    n = len(out.nodes)
    total = np.zeros(n)
    for s in range(n) if sources is None else [out.position[v] for v in sources]:
        delta = _dependencies(out, into, s)
        if delta is None:  # path counts too big for exact float sums: networkx's own order
            delta = np.array(_dependencies_in_order(out.lists(), s))
        delta[s] = 0.0  # a source gets no betweenness from its own paths
        total += delta
    values = dict(zip(out.nodes, total.tolist(), strict=True))
    return dict(
        _rescale(
            values,
            n,
            normalized=True,
            directed=G.is_directed(),
            endpoints=False,
            sampled_nodes=sources,
        )
    )


class _Adjacency:
    """A graph's adjacency in compressed rows for numpy and scipy: the neighbours of node
    ``i`` (positions in ``nodes``) are ``indices[indptr[i]:indptr[i + 1]]``, in the graph's
    adjacency order, which is the order networkx's searches visit them in."""

    def __init__(self, nodes: list[Hashable], indptr: Any, indices: Any) -> None:
        self.nodes = nodes
        self.indptr, self.indices = indptr, indices

    @classmethod
    def of(cls, G: nx.Graph) -> _Adjacency:
        for graph, adjacency in _SHARED_ADJACENCY:
            if graph is G:
                return adjacency
        nodes = list(G)
        position = {node: i for i, node in enumerate(nodes)}
        indptr = np.zeros(len(nodes) + 1, dtype=np.int32)  # scipy's csgraph index type
        np.cumsum([len(nbrs) for _, nbrs in G.adjacency()], out=indptr[1:])
        indices = np.fromiter(
            (position[u] for _, nbrs in G.adjacency() for u in nbrs), np.int32, int(indptr[-1])
        )
        return cls(nodes, indptr, indices)

    @functools.cached_property
    def position(self) -> dict[Hashable, int]:
        return {node: i for i, node in enumerate(self.nodes)}

    @functools.cached_property
    def matrix(self) -> Any:
        """The adjacency as a scipy matrix; scipy's traversals follow a row's entries in
        stored order (never sorted here)."""
        import scipy.sparse

        n = len(self.nodes)
        return scipy.sparse.csr_array(
            (np.ones(len(self.indices)), self.indices, self.indptr), (n, n)
        )

    @functools.cached_property
    def rows(self) -> Any:
        """The node each stored tie starts from."""
        return np.repeat(np.arange(len(self.nodes), dtype=np.int32), np.diff(self.indptr))

    def keep(self, ties: Any) -> _Adjacency:
        """Only the stored ties where `ties` (a mask over them) is true."""
        before = np.zeros(len(ties) + 1, dtype=np.int32)  # kept ties before each one
        np.cumsum(ties, out=before[1:])
        return _Adjacency(self.nodes, before[self.indptr], self.indices[ties])

    def neighbours(self, nodes: Any) -> tuple[Any, Any]:
        """Every (node, neighbour) pair of `nodes` (positions), node by node in the given
        order and each node's neighbours in adjacency order, as two arrays."""
        starts = self.indptr[nodes]
        counts = self.indptr[nodes + 1] - starts
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        return np.repeat(nodes, counts), self.indices[np.arange(int(counts.sum())) + offsets]

    def lists(self) -> list[list[int]]:
        """Each node's neighbours as a list of positions."""
        bounds = self.indptr.tolist()
        flat = self.indices.tolist()
        return [flat[start:end] for start, end in pairwise(bounds)]


# (graph, its adjacency) while compute_metrics runs: its measures each need the rows of
# the same unchanging graph (a tenth of a second each at 10k articles)
_SHARED_ADJACENCY: list[tuple[nx.Graph, _Adjacency]] = []


@contextmanager
def _adjacency_shared(G: nx.Graph) -> Iterator[None]:
    """Inside, :meth:`_Adjacency.of` gives every measure of `G` the same rows; `G` must
    not change meanwhile."""
    entry = (G, _Adjacency.of(G))
    _SHARED_ADJACENCY.append(entry)
    try:
        yield
    finally:
        _SHARED_ADJACENCY.remove(entry)


def _bfs_levels(adjacency: _Adjacency, s: int) -> tuple[Any, list[int]]:
    """The nodes `s` reaches in networkx's breadth-first queue order, and where each hop
    level starts in it (level k is ``order[starts[k]:starts[k + 1]]``; the last entry is
    the number reached).

    scipy's search (first-in first-out, neighbours in stored order) gives the queue; a
    node's parent is the one dequeued when it was first seen, so parents' places in the
    queue never decrease and each level is the run of nodes whose parents lie in the one
    before.
    """
    from scipy.sparse.csgraph import breadth_first_order

    order, parents = breadth_first_order(
        adjacency.matrix, s, directed=True, return_predecessors=True
    )
    place = np.empty(len(adjacency.nodes), dtype=np.int64)
    place[order] = np.arange(len(order))
    parent_places = place[parents[order[1:]]]
    starts = [0, 1]
    while starts[-1] < len(order):
        starts.append(1 + int(np.searchsorted(parent_places, starts[-1])))
    return order, starts


# Path counts are sums of integers, exact as floats (in any order) below this.
_EXACT_COUNTS = 2.0**53


def _dependencies(out: _Adjacency, into: _Adjacency, s: int) -> Any | None:
    """Brandes' dependencies of every node on source `s`, the floats networkx's
    accumulation gives; None if path counts get too big to sum exactly. `into` lists
    each node's in-neighbours (`out` itself when undirected).

    The ties on shortest paths (a tail one hop closer than its head) are kept, then
    gathered head by head in queue order, so each level's ties are a contiguous run.
    networkx pops nodes in reverse queue order, adding each one's share to its
    predecessors: each predecessor sums its successors' shares in reverse queue order,
    which ``np.add.at`` (adding in array order) reproduces on the reversed run. Path
    counts are exact integers, so their order does not matter.
    """
    n = len(out.nodes)
    order, starts = _bfs_levels(out, s)
    hops = np.full(n, -2, dtype=np.int32)  # unreached: never one hop short of a reached node
    hops[order] = np.repeat(np.arange(len(starts) - 1, dtype=np.int32), np.diff(starts))
    on_path = into.keep(hops[into.indices] == hops[into.rows] - 1)
    heads, tails = on_path.neighbours(order[1:])
    runs = np.searchsorted(hops[heads], np.arange(1, len(starts))).tolist()
    sigma = np.zeros(n)
    sigma[s] = 1.0
    for start, end in pairwise(runs):
        np.add.at(sigma, heads[start:end], sigma[tails[start:end]])
    if sigma.max() >= _EXACT_COUNTS:
        return None
    delta = np.zeros(n)
    for start, end in reversed(list(pairwise(runs))):
        popped, preds = heads[start:end][::-1], tails[start:end][::-1]
        coeff = (1 + delta[popped]) / sigma[popped]
        np.add.at(delta, preds, sigma[preds] * coeff)
    return delta


def _dependencies_in_order(adjacency: list[list[int]], s: int) -> list[float]:
    """:func:`_dependencies` node by node, exactly as networkx orders it."""
    order, preds, sigma = _shortest_paths(adjacency, s)
    delta = [0.0] * len(adjacency)
    for w in reversed(order):
        coeff = (1 + delta[w]) / sigma[w]
        for v in preds[w]:
            delta[v] += sigma[v] * coeff
    return delta


def _shortest_paths(
    adjacency: list[list[int]], s: int
) -> tuple[list[int], dict[int, list[int]], list[float]]:
    """Breadth-first order from `s`, each reached node's predecessors on shortest paths
    and the number of shortest paths to every node (as floats, as networkx counts)."""
    order = [s]
    preds: dict[int, list[int]] = {s: []}
    sigma = [0.0] * len(adjacency)
    sigma[s] = 1.0
    hops = {s: 0}
    i = 0
    while i < len(order):  # `order` is also the queue
        v = order[i]
        i += 1
        next_hop, paths = hops[v] + 1, sigma[v]
        for w in adjacency[v]:
            seen = hops.get(w)
            if seen is None:
                order.append(w)
                hops[w] = next_hop
                preds[w] = [v]
                sigma[w] += paths
            elif seen == next_hop:
                sigma[w] += paths
                preds[w].append(v)
    return order, preds, sigma


@dataclass(frozen=True)
class Closeness(Estimate):
    """Closeness values and how they were obtained.

    ``sources`` is None when exact; otherwise the number of sampled sources of each
    component larger than that, and ``error_bound`` the Hoeffding bound (in hops) on every
    node's average distance at once, with probability ``1 - delta``: ``D * sqrt(ln(2 n /
    delta) / (2 k))`` (Eppstein-Wang), where D is twice the largest distance seen from a
    source (a source's eccentricity is at least half the diameter, so D bounds it).
    """

    def describe(self) -> str:
        if self.sources is None:
            return "closeness: exact"
        return (
            f"closeness: estimated from {self.sources} sampled sources per large "
            f"component; every node's average distance is within ±{self.error_bound:.2f} "
            f"hops of the exact one with probability {1 - self.delta:.0%}"
        )


def closeness(G: nx.Graph) -> dict[Hashable, float]:
    """Closeness centrality (Wasserman-Faust scaling, so isolated parts score low).

    >>> closeness(nx.path_graph(3))
    {0: 0.6666666666666666, 1: 1.0, 2: 0.6666666666666666}
    """
    return closeness_measure(G).values


def closeness_measure(
    G: nx.Graph,
    *,
    seed: int = 42,
    exact_max: int = CLOSENESS_EXACT_MAX,
    samples: int = CLOSENESS_SAMPLES,
    delta: float = 0.05,
) -> Closeness:
    """Wasserman-Faust closeness, exact up to `exact_max` nodes; above, each component
    bigger than `samples` nodes gets its distance sums estimated from `samples` seeded
    breadth-first searches (an undirected graph's distances are symmetric, so the mean
    distance from sampled sources to a node estimates the node's mean distance).

    Examples
    --------
    >>> c, exact = closeness_measure(nx.path_graph(60), exact_max=10, samples=60), closeness(
    ...     nx.path_graph(60))
    >>> c.sources is None and max(abs(c.values[v] - exact[v]) for v in exact) < 1e-12
    True
    >>> closeness_measure(nx.path_graph(60), exact_max=10, samples=20).sources
    20
    """
    n = len(G)
    if n <= exact_max:
        return Closeness(_exact_closeness(G))
    rng = random.Random(seed)
    adjacency = _Adjacency.of(G)
    components = [sorted(nodes, key=str) for nodes in _components_in_order(G, adjacency)]
    components.sort(key=lambda nodes: str(nodes[0]))  # by smallest member, as str
    plan: list[tuple[list[Hashable], list[Hashable]]] = []  # (nodes, sources) per component
    for nodes in components:
        plan.append((nodes, nodes if len(nodes) <= samples else rng.sample(nodes, samples)))
    index = adjacency.position
    sources = [index[s] for _, chosen in plan for s in chosen]
    totals, counts, diameter = _hop_totals(adjacency, sources)
    total, reached = totals.tolist(), counts.tolist()  # Python ints: fast to read one by one
    values: dict[Hashable, float] = {}
    for nodes, chosen in plan:
        size = len(nodes)
        picked = set(chosen)
        for node in nodes:
            seen = reached[index[node]] - (node in picked)  # its own 0 is no sample
            mean = total[index[node]] / seen if seen else 0.0
            values[node] = 0.0 if size <= 1 or mean == 0 else (size - 1) / (n - 1) / mean
    if all(len(nodes) <= samples for nodes, _ in plan):
        return Closeness(values)
    bound = 2 * diameter * math.sqrt(math.log(2 * n / delta) / (2 * samples))
    return Closeness(values, samples, bound, delta)


def _exact_closeness(G: nx.Graph) -> dict[Hashable, float]:
    """``nx.closeness_centrality(G)`` with the breadth-first searches run by scipy: the
    distance sums are integers, so the same arithmetic on them gives the same floats."""
    n = len(G)
    adjacency = _Adjacency.of(_undirected(G))
    values: dict[Hashable, float] = {}
    for s, node in enumerate(adjacency.nodes):
        _, starts = _bfs_levels(adjacency, s)
        reached = starts[-1]
        totsp = sum(hops * (end - start) for hops, (start, end) in enumerate(pairwise(starts)))
        value = 0.0
        if totsp > 0 and n > 1:
            value = (reached - 1.0) / totsp
            value *= (reached - 1.0) / (n - 1)
        values[node] = value
    return values


def _components_in_order(G: nx.Graph, adjacency: _Adjacency) -> list[list[Hashable]]:
    """``nx.connected_components(G)`` found by scipy: the same components in the same
    order (by their first node in ``G``), each as a list in ``G`` order."""
    from scipy.sparse.csgraph import connected_components

    if G.is_directed():
        raise nx.NetworkXNotImplemented("not implemented for directed type")
    _, labels = connected_components(adjacency.matrix, directed=False)
    firsts = np.unique(labels, return_index=True)[1]  # each label's first node
    rank = np.empty_like(firsts)
    rank[np.argsort(firsts)] = np.arange(len(firsts))
    ranks = rank[labels]
    by_component = np.argsort(ranks, kind="stable")  # G order within a component
    bounds = np.cumsum(np.bincount(ranks)).tolist()
    positions = by_component.tolist()
    nodes = adjacency.nodes
    return [[nodes[i] for i in positions[start:end]] for start, end in pairwise([0, *bounds])]


def _hop_totals(adjacency: _Adjacency, sources: Sequence[int]) -> tuple[Any, Any, int]:
    """Per node (in `adjacency` order, ties followed both ways): the sum of its hop
    distances from `sources` (node positions), how many of them reach it, and the
    longest distance seen.

    The searches run :data:`_SEARCHES_PER_WORD` at a time (see :func:`_bitwise_searches`);
    every sum is of integers, so exact in any order.
    """
    n = len(adjacency.nodes)
    total = np.zeros(n, dtype=np.int64)
    reached = np.zeros(n, dtype=np.int64)
    longest = 0
    for first in range(0, len(sources), _SEARCHES_PER_WORD):
        chunk = np.asarray(sources[first : first + _SEARCHES_PER_WORD], dtype=np.intp)
        longest = max(longest, _bitwise_searches(adjacency, chunk, total, reached))
    return total, reached, longest


_SEARCHES_PER_WORD = 64


def _bitwise_searches(adjacency: _Adjacency, sources: Any, total: Any, reached: Any) -> int:
    """Breadth-first searches from up to 64 `sources` at once, search i being bit i of a
    word per node; adds to `total` each node's hops from them and to `reached` how many
    reach it, and returns the longest distance found.

    A level's step follows only the ties of nodes some search reached at the level
    before, so a tie is followed once per level it is reached at rather than once per
    source: several times fewer steps in a small-world graph.
    """
    bits = np.left_shift(np.uint64(1), np.arange(len(sources), dtype=np.uint64))
    seen = np.zeros(len(adjacency.nodes), dtype=np.uint64)
    np.bitwise_or.at(seen, sources, bits)
    fresh, frontier, hops = seen.copy(), np.unique(sources), 0
    while True:
        found = np.bitwise_count(fresh[frontier]).astype(np.int64)  # searches reaching it
        reached[frontier] += found
        total[frontier] += hops * found
        tails, heads = adjacency.neighbours(frontier)
        next_fresh = np.zeros_like(seen)
        np.bitwise_or.at(next_fresh, heads, fresh[tails])
        next_fresh &= ~seen
        frontier = np.flatnonzero(next_fresh)
        if not len(frontier):
            return hops
        seen |= next_fresh
        fresh, hops = next_fresh, hops + 1


def _undirected(G: nx.Graph) -> nx.Graph:
    """Closeness counts hops either way along a directed tie."""
    return G.to_undirected(as_view=True) if G.is_directed() else G


def eigenvector(G: nx.Graph, weight: str | None = "weight") -> dict[Hashable, float]:
    """Eigenvector centrality that always returns a value for every node.

    Power iteration first; if it does not converge quickly, the sparse eigensolver for a
    connected graph or a longer power iteration otherwise; if all fail, zeros (a graph
    without edges also gets zeros). As in networkx, components other than the dominant
    one tend to zero.

    Examples
    --------
    >>> {k: round(v, 3) for k, v in eigenvector(nx.path_graph(3)).items()}
    {0: 0.5, 1: 0.707, 2: 0.5}
    >>> eigenvector(nx.empty_graph(2))
    {0: 0.0, 1: 0.0}
    """
    if G.number_of_edges() == 0:
        return dict.fromkeys(G, 0.0)
    try:
        return _power_iteration(G, max_iter=100, tol=1e-08, weight=weight)
    except nx.PowerIterationFailedConvergence:
        pass
    try:  # the sparse eigensolver is fast but refuses disconnected graphs
        if nx.is_connected(G) and len(G) > 2:
            return dict(nx.eigenvector_centrality_numpy(G, weight=weight))
        return _power_iteration(G, max_iter=2000, tol=1e-08, weight=weight)
    except (nx.NetworkXException, ArithmeticError, ValueError, TypeError):
        return dict.fromkeys(G, 0.0)


def _power_iteration(
    G: nx.Graph, *, max_iter: int, tol: float, weight: str | None
) -> dict[Hashable, float]:
    """``nx.eigenvector_centrality`` (power iteration on A + I from the uniform vector)
    with the product done by scipy, giving the same floats.

    networkx adds each node's own value first, then its neighbours' contributions in node
    order; each CSR row below holds the diagonal first and then the neighbours in node
    order, and the sparse product sums a row in stored order. Norm and convergence test
    are computed as networkx computes them.
    """
    A = _plus_identity_incoming(G, weight)
    nodes = list(G)
    x = np.full(len(nodes), 1 / len(nodes))
    for _ in range(max_iter):
        xlast = x
        x = A @ xlast
        norm = math.hypot(*x.tolist()) or 1
        x = x / norm
        if sum(np.abs(x - xlast).tolist()) < len(nodes) * tol:
            return dict(zip(nodes, x.tolist(), strict=True))
    raise nx.PowerIterationFailedConvergence(max_iter)


def _plus_identity_incoming(G: nx.Graph, weight: str | None) -> Any:
    """A + I as rows of incoming ties: row ``j`` holds ``j`` itself (weight 1) first, then
    each ``i`` with a tie i -> j, in node order, weighted as networkx weighs it."""
    import scipy.sparse

    out = _Adjacency.of(G)
    n = len(out.nodes)
    weights = np.fromiter(
        (
            attrs.get(weight, 1) if weight else 1
            for _, nbrs in G.adjacency()
            for attrs in nbrs.values()
        ),
        dtype=float,
        count=len(out.indices),
    )
    tails = np.repeat(np.arange(n, dtype=out.indices.dtype), np.diff(out.indptr))
    by_head = np.argsort(out.indices, kind="stable")  # tails stay in node order
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(out.indices, minlength=n) + 1, out=indptr[1:])
    own = np.zeros(int(indptr[-1]), dtype=bool)
    own[indptr[:-1]] = True
    indices = np.empty(len(own), dtype=out.indices.dtype)
    data = np.ones(len(own))
    indices[own] = np.arange(n)
    indices[~own] = tails[by_head]
    data[~own] = weights[by_head]
    return scipy.sparse.csr_array((data, indices, indptr), shape=(n, n))


def pagerank(G: nx.Graph, weight: str | None = "weight") -> dict[Hashable, float]:
    """PageRank (alpha 0.85); sums to 1.

    >>> pr = pagerank(nx.star_graph(2), weight=None)
    >>> round(pr[0], 3), round(sum(pr.values()), 6)
    (0.486, 1.0)
    """
    if len(G) == 0:
        return {}
    return dict(nx.pagerank(G, weight=weight))


def pagerank_column(G: nx.Graph) -> dict[Hashable, float]:
    """PageRank as metrics.csv's ``pagerank`` column gives it (rounded, see _stable)."""
    return {node: _stable(value) for node, value in pagerank(G).items()}


def communities(G: nx.Graph, seed: int = 42, weight: str | None = "weight") -> dict[Hashable, int]:
    """Louvain communities numbered 0.. by decreasing size (ties: smallest member).

    Examples
    --------
    >>> G = nx.barbell_graph(4, 0)
    >>> communities(G)
    {0: 0, 1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 6: 1, 7: 1}
    """
    if len(G) == 0:
        return {}
    parts = louvain_communities(G, weight=weight, seed=seed)
    ordered = sorted(parts, key=lambda c: (-len(c), min(str(n) for n in c)))
    return {node: i for i, part in enumerate(ordered) for node in part}


# networkx's defaults, which communities() uses (resolution an int, as networkx has it)
_LOUVAIN_RESOLUTION = 1
_LOUVAIN_THRESHOLD = 0.0000001


def louvain_communities(
    G: nx.Graph, weight: str | None = "weight", seed: Any = None
) -> list[set[Hashable]]:
    """``nx.community.louvain_communities(G, weight=weight, seed=seed)``: the same sets in
    the same order, from the same decisions on the same floats.

    networkx builds a networkx graph per level, computes modularity through its edge
    views and updates node sets at every move; here a level is neighbour dicts over node
    positions (:class:`_LouvainLevel`) and members are gathered once at the end. Directed
    graphs, multigraphs, graph subclasses and a weight that is not an attribute name
    take networkx's own path.

    >>> G = nx.karate_club_graph()
    >>> louvain_communities(G, seed=3) == nx.community.louvain_communities(G, seed=3)
    True
    """
    if type(G) is not nx.Graph or not isinstance(weight, str):
        return nx.community.louvain_communities(G, weight=weight, seed=seed)  # type: ignore[no-any-return]
    rng = nx.utils.create_py_random_state(seed)  # as networkx's @py_random_state makes it
    nodes = list(G)
    if nx.is_empty(G):
        return [{u} for u in nodes]
    mod = _singletons_modularity(G, weight)
    position = {u: i for i, u in enumerate(nodes)}
    level = _LouvainLevel(_copied_adjacency(G, position, weight), nodes)
    m = sum(level.degrees) / 2  # networkx's size(weight="weight") of the copy, every level
    owner = list(range(len(nodes)))  # each node's node in the current level
    node2com, inner, improvement = level.one_level(m, rng)
    found = owner
    improvement = True  # as networkx: the first level is always yielded
    while improvement:  # networkx's louvain_partitions, keeping only the last partition
        found = [node2com[at] for at in owner]
        new_mod = level.modularity(inner)
        if new_mod - mod <= _LOUVAIN_THRESHOLD:
            break
        mod = new_mod
        level, renumbered = level.merged(node2com)
        owner = [renumbered[node2com[at]] for at in owner]
        node2com, inner, improvement = level.one_level(m, rng)
    return _members(nodes, found)


def _members(nodes: list[Hashable], community: list[int]) -> list[set[Hashable]]:
    """`nodes` grouped by their `community` number, groups in the order of the numbers
    (networkx keeps the non-empty communities in the order of their numbers)."""
    groups: dict[int, list[Hashable]] = {}
    for node, number in zip(nodes, community, strict=True):
        groups.setdefault(number, []).append(node)
    return [set(groups[number]) for number in sorted(groups)]


def _singletons_modularity(G: nx.Graph, weight: str) -> float:
    """``nx.community.modularity(G, [{u} for u in G], weight=weight)``, which networkx
    compares the first level with: G's own degrees (its neighbour order, not the
    copy's), and only a self-loop lies inside a community of one."""
    degrees = dict(G.degree(weight=weight))
    deg_sum = sum(degrees.values())
    m = deg_sum / 2
    norm = 1 / deg_sum**2
    resolution = _LOUVAIN_RESOLUTION
    terms = []
    for u, nbrs in G.adjacency():
        loop = nbrs.get(u)
        # the sums of one term networkx makes: 0 + x, as there
        L_c = 0 if loop is None else 0 + (loop[weight] if weight in loop else 1)
        degree_sum = 0 + degrees[u]
        terms.append(L_c / m - resolution * degree_sum * degree_sum * norm)
    return sum(terms)


def _copied_adjacency(
    G: nx.Graph, position: Mapping[Hashable, int], weight: str
) -> list[dict[int, Any]]:
    """The adjacency of networkx's weighted copy of G: its ties added in ``G.edges()``
    order (each tie from the node that comes first), so a node lists its neighbours in
    the order its ties appear there, not in G's own order."""
    adjacency: list[dict[int, Any]] = [{} for _ in position]
    for i, (_, nbrs) in enumerate(G.adjacency()):
        for v, attrs in nbrs.items():
            j = position[v]
            if j >= i:  # G.edges() skips ties to nodes already passed
                adjacency[i][j] = adjacency[j][i] = attrs[weight] if weight in attrs else 1
    return adjacency


class _LouvainLevel:
    """One level of networkx's Louvain on an undirected graph: node ``i`` is ``labels[i]``
    (G's nodes first, then community numbers) and ``adjacency[i]`` maps each neighbour's
    position to the tie's weight, in networkx's order (a self-loop held once).

    Every sum below adds the same numbers in the same order as networkx, starting from
    the same int or float, so the floats and every decision come out the same.
    """

    def __init__(self, adjacency: list[dict[int, Any]], labels: Sequence[Hashable]) -> None:
        self.adjacency = adjacency
        self.labels = labels
        # networkx's weighted degree: a self-loop counts twice
        self.degrees = [
            sum(nbrs.values()) + (i in nbrs and nbrs[i]) for i, nbrs in enumerate(adjacency)
        ]

    def one_level(self, m: float, rng: Any) -> tuple[list[int], list[set[Hashable]], bool]:
        """networkx's ``_one_level``: moves nodes in a seeded random order to the
        neighbouring community of best modularity gain until none moves. Returns each
        node's community number, the non-empty communities as label sets (the very sets
        networkx builds: modularity sums in their iteration order) and whether any moved.
        """
        labels, degrees = self.labels, self.degrees
        n = len(labels)
        node2com = list(range(n))
        inner = [{u} for u in labels]
        totals = list(degrees)
        neighbours = [
            [(v, w) for v, w in nbrs.items() if v != u] for u, nbrs in enumerate(self.adjacency)
        ]
        order = list(range(n))
        rng.shuffle(order)  # the draws depend only on the length: networkx's order
        resolution, scale = _LOUVAIN_RESOLUTION, 2 * m**2
        moves, improvement = 1, False
        while moves > 0:
            moves = 0
            for u in order:
                own = best_com = node2com[u]
                weights: dict[int, float] = {}
                for v, w in neighbours[u]:
                    com = node2com[v]
                    weights[com] = weights.get(com, 0.0) + w
                degree = degrees[u]
                totals[own] -= degree
                if own not in weights:
                    weights[own] = 0.0  # networkx's defaultdict adds it on reading it
                remove_cost = -weights[own] / m + resolution * (totals[own] * degree) / scale
                best_mod = 0
                for com, w in weights.items():
                    gain = remove_cost + w / m - resolution * (totals[com] * degree) / scale
                    if gain > best_mod:
                        best_mod, best_com = gain, com
                totals[best_com] += degree
                if best_com != own:
                    inner[own].remove(labels[u])
                    inner[best_com].add(labels[u])
                    improvement = True
                    moves += 1
                    node2com[u] = best_com
        return node2com, [s for s in inner if s], improvement

    def modularity(self, communities: list[set[Hashable]]) -> float:
        """``nx.community.modularity`` of this level with weight "weight"."""
        adjacency, degrees = self.adjacency, self.degrees
        position = {label: i for i, label in enumerate(self.labels)}
        deg_sum = sum(degrees)
        m = deg_sum / 2
        norm = 1 / deg_sum**2
        resolution = _LOUVAIN_RESOLUTION

        def contribution(community: set[Hashable]) -> float:
            comm = [position[u] for u in set(community)]  # networkx's copy, in its order
            inside = set(comm)
            seen: set[int] = set()
            ties = []  # G.edges(comm): each tie once, from the first end reached
            for u in comm:
                ties += [w for v, w in adjacency[u].items() if v not in seen and v in inside]
                seen.add(u)
            L_c = sum(ties)
            degree_sum = sum(degrees[u] for u in comm)
            return L_c / m - resolution * degree_sum * degree_sum * norm

        return sum(map(contribution, communities))

    def merged(self, node2com: list[int]) -> tuple[_LouvainLevel, list[int]]:
        """networkx's ``_gen_graph``: the next level, one node per community in the
        order of their numbers, ties summed in ``G.edges()`` order. Also returns each
        community number's node in it."""
        renumbered = [-1] * len(node2com)
        for number, com in enumerate(sorted(set(node2com))):
            renumbered[com] = number
        size = len(set(node2com))
        adjacency: list[dict[int, Any]] = [{} for _ in range(size)]
        for i, nbrs in enumerate(self.adjacency):
            c1 = renumbered[node2com[i]]
            for j, w in nbrs.items():
                if j >= i:  # G.edges() skips ties to nodes already passed
                    c2 = renumbered[node2com[j]]
                    adjacency[c1][c2] = adjacency[c2][c1] = w + adjacency[c1].get(c2, 0)
        return _LouvainLevel(adjacency, range(size)), renumbered


def articulation_points(G: nx.Graph) -> list[Hashable]:
    """Nodes whose removal disconnects their component, sorted.

    >>> articulation_points(nx.path_graph(4))
    [1, 2]
    """
    return sorted(nx.articulation_points(G), key=str)


def bridges(G: nx.Graph) -> list[tuple[Hashable, Hashable]]:
    """Edges whose removal disconnects their component, each sorted, list sorted.

    >>> bridges(nx.barbell_graph(3, 0))
    [(2, 3)]
    """
    found = (tuple(sorted(e, key=str)) for e in nx.bridges(G))
    return sorted(found, key=lambda e: (str(e[0]), str(e[1])))  # type: ignore[misc]


@nx.utils.not_implemented_for("directed")
@nx.utils.not_implemented_for("multigraph")
def brokerage(G: nx.Graph, partition: Mapping[Hashable, Hashable]) -> dict[Hashable, int]:
    """Open two-paths u - v - w through each v whose ends lie in different groups.

    Counts the pairs of neighbours of v that are not tied to each other and belong to
    different groups of `partition` (e.g. communities or militant groups): how often v
    is the only short bridge between two groups. Nodes outside the partition are ignored
    as ends.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("b", "c"), ("b", "d"), ("c", "d")])
    >>> brokerage(G, {"a": 1, "b": 1, "c": 2, "d": 2})
    {'a': 0, 'b': 2, 'c': 0, 'd': 0}
    """
    # All pairs of ends in different groups, counted from group sizes (a hub's pairs are
    # too many to visit), less those closed by a tie: the triangles on such a tie.
    result = {}
    adjacency = dict(G.adjacency())  # plain dicts: their key views intersect in C
    for v, nbrs in adjacency.items():
        sizes = Counter(partition[u] for u in nbrs if u != v and u in partition).values()
        ends = sum(sizes)
        result[v] = (ends * (ends - 1) - sum(size * (size - 1) for size in sizes)) // 2
    for u, w in G.edges():
        if u == w or u not in partition or w not in partition or partition[u] == partition[w]:
            continue
        for v in adjacency[u].keys() & adjacency[w].keys():
            if v != u and v != w:
                result[v] -= 1
    return result


def fragmentation(G: nx.Graph, removed: Iterable[Hashable] = ()) -> float:
    """Borgatti's fragmentation F = 1 - sum s_k (s_k - 1) / (n (n - 1)) after removal.

    s_k are the component sizes and n the number of nodes left. F is 0 for a connected
    graph and 1 when no two nodes can reach each other (also when fewer than two remain).
    To evaluate many removal sets on one graph, use a :class:`Fragmenter`.

    Examples
    --------
    >>> fragmentation(nx.path_graph(3))
    0.0
    >>> fragmentation(nx.path_graph(3), removed=[1])
    1.0
    >>> round(fragmentation(nx.path_graph(5), removed=[2]), 4)  # 1 - (2 + 2) / 12
    0.6667
    """
    return Fragmenter(G)(removed)


class Fragmenter:
    """:func:`fragmentation` of one graph for many removal sets.

    The graph is put in compressed rows once; each call turns every tie of a removed
    node into a tie to itself (the rows keep their places: nothing to rebuild) and lets
    scipy find the components of what is left, in linear time in C (a search in Python
    from a hub's many neighbours took tens of milliseconds). The removed nodes still
    receive ties but lead nowhere, so the strongly connected components are the removed
    nodes alone and the undirected components of the rest. The graph must not change
    while the fragmenter is in use.

    Examples
    --------
    >>> frag = Fragmenter(nx.path_graph(5))
    >>> frag(), round(frag([2]), 4), frag([1, 3])
    (0.0, 0.6667, 1.0)
    """

    def __init__(self, G: nx.Graph) -> None:
        if G.is_directed():
            raise nx.NetworkXNotImplemented("not implemented for directed type")
        self.G = G
        self._adjacency = _Adjacency.of(G)
        self._component = self._components(self._adjacency.matrix)
        self._size = np.bincount(self._component)
        self._pairs = self._reachable_pairs(self._size)
        # The last removal's components (its sorted positions, each node's component):
        # a decapitation asks for the fragmentation and a component size after it.
        self._last: tuple[tuple[int, ...], Any] | None = None

    def __call__(self, removed: Iterable[Hashable] = ()) -> float:
        position = self._adjacency.position
        gone = {position[v] for v in removed if v in position}
        n = len(position) - len(gone)
        if n < 2:
            return 1.0
        reachable = self._pairs if not gone else self._pairs_without(sorted(gone))
        return 1.0 - reachable / (n * (n - 1))

    def component_size(self, node: Hashable, removed: Iterable[Hashable] = ()) -> int:
        """Size of the component holding `node` once `removed` (which must not hold
        `node`) are gone; before any removal by default."""
        position = self._adjacency.position
        gone = sorted({position[v] for v in removed if v in position})
        at = position[node]
        if at in gone:
            raise ValueError(f"{node!r} is among the nodes removed")
        if not gone:
            return int(self._size[self._component[at]])
        component = self._components_without(gone)
        # removed nodes are components of their own, so only the rest share its label
        return int(np.count_nonzero(component == component[at]))

    def _pairs_without(self, gone: list[int]) -> int:
        """Ordered pairs of nodes that still reach each other once `gone` is removed."""
        left = np.ones(len(self._adjacency.nodes), dtype=bool)
        left[gone] = False
        return self._reachable_pairs(np.bincount(self._components_without(gone)[left]))

    def _components_without(self, gone: list[int]) -> Any:
        """Each node's component once `gone` (sorted positions) is removed; a removed
        node is a component of its own."""
        key = tuple(gone)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        import scipy.sparse

        matrix = self._adjacency.matrix
        indptr, indices = matrix.indptr, matrix.indices.copy()
        for v in gone:  # a tie to itself instead of each of its own: it leads nowhere
            indices[indptr[v] : indptr[v + 1]] = v
        rest = scipy.sparse.csr_array((matrix.data, indices, indptr), matrix.shape)
        component = self._components(rest)
        self._last = (key, component)
        return component

    @staticmethod
    def _components(matrix: Any) -> Any:
        """Each node's strongly connected component (the undirected components when
        every tie is stored both ways)."""
        from scipy.sparse.csgraph import connected_components

        return connected_components(matrix, directed=True, connection="strong")[1]

    @staticmethod
    def _reachable_pairs(sizes: Any) -> int:
        sizes = sizes.astype(np.int64)
        return int((sizes * (sizes - 1)).sum())


@dataclass(frozen=True)
class KeyPlayers:
    """Result of the greedy key-player search (Borgatti's KPP-Neg)."""

    players: tuple[Hashable, ...]  # in the order they were picked
    fragmentation: float  # after removing all of them
    baseline: float  # before removing anyone
    steps: tuple[float, ...]  # fragmentation after each pick


def key_players(
    G: nx.Graph,
    k: int = 3,
    *,
    swaps: bool = True,
    max_candidates: int | None = None,
    exact_max: int = 5000,
    candidates: Sequence[Hashable] | None = None,
    max_swap_passes: int = 10,
) -> KeyPlayers:
    """The `k` nodes whose removal fragments the graph most (Borgatti's KPP-Neg).

    When there are at most `exact_max` sets of k candidates, all are tried (exact).
    Otherwise greedy picks (each step removes the node that raises fragmentation most;
    ties go to the smallest id), then, as in Borgatti's algorithm, swaps of one chosen
    node for an unchosen one while that raises fragmentation: a local optimum, not
    guaranteed the best set. `max_candidates` limits large graphs to the nodes of
    highest degree; or pass the `candidates` to consider. ``steps`` give the
    fragmentation as the players are removed in order.

    Examples
    --------
    >>> kp = key_players(nx.barbell_graph(3, 1), k=1)
    >>> kp.players, round(kp.fragmentation, 3)
    ((3,), 0.6)
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    frag = Fragmenter(G)
    candidates = sorted(G if candidates is None else candidates, key=str)
    if max_candidates is not None and len(candidates) > max_candidates:
        by_degree = sorted(candidates, key=lambda n: -G.degree(n))[:max_candidates]
        candidates = sorted(by_degree, key=str)
    k = min(k, len(candidates))
    if 0 < k and math.comb(len(candidates), k) <= exact_max:
        best_set: tuple[Hashable, ...] = ()
        best_f = -1.0
        for combo in combinations(candidates, k):  # ties: the first in sorted order
            f = frag(combo)
            if f > best_f + 1e-12:
                best_set, best_f = combo, f
        ordered = _removal_order(frag, list(best_set))
        exact_steps = tuple(frag(ordered[: i + 1]) for i in range(k))
        return KeyPlayers(tuple(ordered), best_f, frag(), exact_steps)
    chosen: list[Hashable] = []
    steps: list[float] = []
    for _ in range(min(k, len(candidates))):
        best, best_f = None, -1.0
        for node in candidates:
            if node in chosen:
                continue
            f = frag(chosen + [node])
            if f > best_f + 1e-12:
                best, best_f = node, f
        if best is None:
            break
        chosen.append(best)
        steps.append(best_f)
    current = steps[-1] if steps else frag()
    improved = swaps and bool(chosen)
    passes = 0
    while improved and passes < max_swap_passes:
        improved = False
        passes += 1
        for i in range(len(chosen)):
            for node in candidates:
                if node in chosen:
                    continue
                trial = chosen[:i] + [node] + chosen[i + 1 :]
                f = frag(trial)
                if f > current + 1e-12:
                    chosen, current, improved = trial, f, True
        if improved:  # steps describe the final set, removed in order
            steps = [frag(chosen[: i + 1]) for i in range(len(chosen))]
    return KeyPlayers(tuple(chosen), current, frag(), tuple(steps))


def key_players_at_scale(
    G: nx.Graph, k: int, betweenness: Mapping[Hashable, float]
) -> tuple[KeyPlayers, int | None]:
    """Key players, searched in full up to :data:`KEY_PLAYER_FULL_MAX` nodes; above, among
    the :data:`KEY_PLAYER_CANDIDATES` nodes of highest `betweenness` with one swap pass
    (a full search is O(n^2) fragmentation passes or worse). Returns the players and the
    candidate limit used (None: all nodes)."""
    if len(G) <= KEY_PLAYER_FULL_MAX:
        return key_players(G, k), None
    pool = sorted(G, key=lambda n: (-betweenness.get(n, 0.0), str(n)))[:KEY_PLAYER_CANDIDATES]
    return key_players(G, k, candidates=pool, max_swap_passes=1), KEY_PLAYER_CANDIDATES


def _removal_order(frag: Fragmenter, players: list[Hashable]) -> list[Hashable]:
    """Order a set so each removal raises fragmentation most (for the ``steps`` column)."""
    order: list[Hashable] = []
    rest = list(players)
    while rest:
        nxt = max(rest, key=lambda n: (frag(order + [n]), -rest.index(n)))
        order.append(nxt)
        rest.remove(nxt)
    return order


@dataclass(frozen=True)
class Decapitation:
    """What removing a group's leaders does to the network."""

    group: Hashable
    leaders: tuple[Hashable, ...]
    fragmentation_before: float
    fragmentation_after: float
    component_before: int  # size of the group's component
    component_after: int

    @property
    def impact(self) -> float:
        return self.fragmentation_after - self.fragmentation_before


def leaders(G: nx.Graph, group: Hashable) -> list[Hashable]:
    """Neighbours tied to `group` by a leader_of relation (edge ``predicates``).

    >>> G = nx.Graph()
    >>> G.add_edge("a", "g", predicates=("leader_of",))
    >>> G.add_edge("b", "g", predicates=("member_of",))
    >>> leaders(G, "g")
    ['a']
    """
    return sorted(
        (n for n in G[group] if "leader_of" in G.edges[group, n].get("predicates", ())), key=str
    )


def decapitation(G: nx.Graph, group: Hashable) -> Decapitation:
    """Fragmentation and the group's component size before and after removing its leaders.

    Examples
    --------
    >>> G = nx.Graph([("m1", "boss"), ("m2", "boss"), ("boss", "g")])
    >>> G.edges["boss", "g"]["predicates"] = ("leader_of",)
    >>> d = decapitation(G, "g")
    >>> d.leaders, d.fragmentation_before, d.fragmentation_after
    (('boss',), 0.0, 1.0)
    >>> d.component_before, d.component_after
    (4, 1)
    """
    return _decapitation(Fragmenter(G), group)


def _decapitation(frag: Fragmenter, group: Hashable) -> Decapitation:
    """:func:`decapitation` with the graph's components already known."""
    heads = leaders(frag.G, group)
    return Decapitation(
        group,
        tuple(heads),
        frag(),
        frag(heads),
        frag.component_size(group),
        # what the group still reaches (a group leading itself is not removed from it)
        frag.component_size(group, set(heads) - {group}),
    )


def decapitations(G: nx.Graph) -> list[Decapitation]:
    """:func:`decapitation` for every militant group with a known leader, biggest impact first."""
    groups = [n for n, t in G.nodes(data="type") if t == "MilitantGroup" and leaders(G, n)]
    frag = Fragmenter(G)
    found = [_decapitation(frag, g) for g in groups]
    return sorted(found, key=lambda d: (-d.impact, d.component_after - d.component_before))


@dataclass(frozen=True)
class Metrics:
    """metrics.csv rows plus what a reader must know about how they were computed."""

    rows: list[dict[str, Any]]
    notes: tuple[str, ...]
    key_players: KeyPlayers | None


def compute_metrics(
    G: nx.Graph, seed: int = 42, *, key_player_k: int = 3, parallel: bool = False
) -> Metrics:
    """Every per-node measure of metrics.csv, ranked by PageRank (then id).

    Columns: :data:`METRIC_COLUMNS` then :data:`EXTRA_COLUMNS` (brokerage between
    communities, articulation point flag, position in the greedy key-player list or 0).
    ``parallel``: communities (Louvain, a quarter of the time) are found by a side
    process while this one computes every measure that does not need them; the result is
    the same.
    """
    # Louvain and the per-node passes make many small acyclic objects beside the graph's
    # own: the collections they would trigger rescan everything and free nothing
    with gc_paused(), _adjacency_shared(G):
        return _compute_metrics(G, seed, key_player_k, parallel)


def _compute_metrics(G: nx.Graph, seed: int, key_player_k: int, parallel: bool) -> Metrics:
    with sidework.SideWorks(parallel) as side:  # waited for even if a measure fails
        found = side.start("communities", "communities", lambda: communities(G, seed=seed))
        btw = betweenness(G, seed=seed)
        close = closeness_measure(G, seed=seed)
        deg, clo, eig, pr = degree(G), close.values, eigenvector(G), pagerank_column(G)
        cut = set(articulation_points(G))  # these two need no communities: done meanwhile
        kp, limit = None, None
        if key_player_k > 0:
            kp, limit = key_players_at_scale(G, key_player_k, btw.values)
        comm = found.wait()
    brk = brokerage(G, comm)
    rank = {node: i + 1 for i, node in enumerate(kp.players)} if kp else {}
    rows = [
        {
            "id": node,
            "name": attrs.get("name", str(node)),
            "type": attrs.get("type", ""),
            "degree": _stable(deg[node]),
            "betweenness": _stable(btw.values[node]),
            "closeness": _stable(clo[node]),
            "eigenvector": _stable(eig[node]),
            "pagerank": pr[node],
            "community": comm[node],
            "brokerage": brk[node],
            "articulation_point": node in cut,
            "key_player_rank": rank.get(node, 0),
        }
        for node, attrs in G.nodes(data=True)
    ]
    rows.sort(key=lambda r: (-r["pagerank"], str(r["id"])))
    notes = [btw.describe(), close.describe()]
    if kp is not None:
        among = f" among the {limit} nodes of highest betweenness" if limit else ""
        notes.append(
            f"key players (greedy + swaps, k={key_player_k}{among}): fragmentation "
            f"{kp.baseline:.3f} -> {kp.fragmentation:.3f}"
        )
    return Metrics(rows, tuple(notes), kp)


def _stable(value: float) -> float:
    """Round away solver noise (ARPACK starts from a random vector; summation order
    varies), so that identical graphs give byte-identical metrics files and rankings."""
    return round(float(value), 10)


def metrics_rows(G: nx.Graph, seed: int = 42, *, key_player_k: int = 3) -> list[dict[str, Any]]:
    """Rows for metrics.csv: ``id,name,type,degree,betweenness,closeness,eigenvector,
    pagerank,community`` then ``brokerage,articulation_point,key_player_rank``.

    Examples
    --------
    >>> G = nx.path_graph(["a", "b", "c"])
    >>> nx.set_node_attributes(G, {"a": "A", "b": "B", "c": "C"}, "name")
    >>> row = metrics_rows(G)[0]
    >>> ",".join(list(row)[:9])
    'id,name,type,degree,betweenness,closeness,eigenvector,pagerank,community'
    >>> row["id"], row["degree"], row["betweenness"], row["key_player_rank"]
    ('b', 1.0, 1.0, 1)
    """
    return compute_metrics(G, seed, key_player_k=key_player_k).rows


def write_metrics_csv(rows: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Write rows as CSV (metric columns first, then any others), atomically."""
    columns = list(METRIC_COLUMNS)
    for row in rows:
        columns += [c for c in row if c not in columns]
    atomic_write_text(path, _csv_text(rows, columns))


def _csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")  # DictWriter's lines, without its checks
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return buf.getvalue()


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text via a temporary file in the same folder, then rename over."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes so that readers see the old file or the new one, never a half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # named by this process, so that a later run can tell it left over (see out_lock)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are shared files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def top(rows: Sequence[Mapping[str, Any]], column: str, n: int = 10) -> list[Mapping[str, Any]]:
    """The `n` rows with the highest `column`, ties by id.

    >>> [r["id"] for r in top([{"id": "a", "x": 1}, {"id": "b", "x": 3}], "x", 1)]
    ['b']
    """
    # heapq.nsmallest is sorted(...)[:n], ties in input order, without sorting every row
    # (the report ranks 18k rows seven times at 10k articles)
    return heapq.nsmallest(max(n, 0), rows, key=lambda r: (-float(r[column]), str(r["id"])))


def node_set(G: nx.Graph, types: Collection[str]) -> list[Hashable]:
    """Nodes whose ``type`` is one of `types`, sorted."""
    return sorted((n for n, t in G.nodes(data="type") if t in types), key=str)
