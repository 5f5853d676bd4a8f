"""Likely-missing ties: neighbourhood scores on the person view, and how well they work.

All three scores (Adamic-Adar, Jaccard, resource allocation) are zero for two people
with no common neighbour, so only pairs at distance two are scored; every other pair
counts as score 0 in the evaluation.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Hashable, Iterator
from dataclasses import dataclass

import networkx as nx

from graph_builder.errors import MilgraphError

METHODS = ("adamic_adar", "jaccard", "resource_allocation")


@dataclass(frozen=True)
class PredictedLink:
    """A pair not tied in the graph, its scores and the shared neighbours behind them."""

    u: Hashable
    v: Hashable
    adamic_adar: float
    jaccard: float
    resource_allocation: float
    shared: tuple[Hashable, ...]

    def score(self, method: str) -> float:
        return float(getattr(self, method))


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise MilgraphError(f"unknown link score {method!r}; expected one of {', '.join(METHODS)}")


def candidate_pairs(G: nx.Graph) -> Iterator[tuple[Hashable, Hashable]]:
    """Untied pairs with at least one common neighbour, each once (u < v by str)."""
    seen: set[tuple[Hashable, Hashable]] = set()
    for w in G:
        nbrs = sorted((n for n in G[w] if n != w), key=str)
        for i, u in enumerate(nbrs):
            for v in nbrs[i + 1 :]:
                if (u, v) not in seen and not G.has_edge(u, v):
                    seen.add((u, v))
                    yield u, v


def score_pair(G: nx.Graph, u: Hashable, v: Hashable) -> PredictedLink:
    """The three scores of one pair, as networkx defines them.

    Examples
    --------
    >>> G = nx.Graph([("a", "c"), ("b", "c"), ("a", "d"), ("b", "d"), ("d", "e")])
    >>> p = score_pair(G, "a", "b")
    >>> p.shared, p.jaccard, round(p.adamic_adar, 4), round(p.resource_allocation, 4)
    (('c', 'd'), 1.0, 2.3529, 0.8333)
    >>> [round(s, 4) for *_, s in nx.adamic_adar_index(G, [("a", "b")])]
    [2.3529]
    """
    nu = set(G[u]) - {u}
    nv = set(G[v]) - {v}
    shared = sorted(nu & nv, key=str)
    union = nu | nv
    aa = sum(1.0 / math.log(G.degree(w)) for w in shared if G.degree(w) > 1)
    ra = sum(1.0 / G.degree(w) for w in shared)
    jac = len(shared) / len(union) if union else 0.0
    return PredictedLink(u, v, aa, jac, ra, tuple(shared))


def _pair_sums(G: nx.Graph) -> dict[tuple[Hashable, Hashable], list[float]]:
    """``[adamic_adar, resource_allocation, shared]`` of every candidate pair, keyed as
    :func:`candidate_pairs` yields it.

    One pass over the shared neighbours in ``str`` order adds each one's terms to every
    pair it links, in the order :func:`score_pair` sums them, so the floats are the same.
    """
    sums: dict[tuple[Hashable, Hashable], list[float]] = {}
    adj = {node: set(nbrs) for node, nbrs in G.adjacency()}  # set lookups beat the views
    for w in sorted(G, key=str):
        nbrs = sorted((n for n in adj[w] if n != w), key=str)
        deg = G.degree(w)
        aa = 1.0 / math.log(deg) if deg > 1 else 0.0
        ra = 1.0 / deg if deg else 0.0
        for i, u in enumerate(nbrs):
            tied = adj[u]
            for v in nbrs[i + 1 :]:
                if v in tied:
                    continue
                acc = sums.get((u, v))
                if acc is None:
                    sums[u, v] = [aa, ra, 1]
                    continue
                if deg > 1:
                    acc[0] += aa
                acc[1] += ra
                acc[2] += 1
    return sums


def _scores(G: nx.Graph, method: str) -> dict[tuple[Hashable, Hashable], tuple[float, int]]:
    """(score by `method`, shared neighbours) of every candidate pair, as from
    :func:`score_pair`."""
    sums = _pair_sums(G)
    if method == "adamic_adar":
        return {pair: (acc[0], int(acc[2])) for pair, acc in sums.items()}
    if method == "resource_allocation":
        return {pair: (acc[1], int(acc[2])) for pair, acc in sums.items()}
    size = {n: sum(1 for m in G[n] if m != n) for n in G}
    return {
        (u, v): (acc[2] / (size[u] + size[v] - int(acc[2])), int(acc[2]))
        for (u, v), acc in sums.items()
    }


def predict_links(G: nx.Graph, n: int = 10, method: str = "adamic_adar") -> list[PredictedLink]:
    """The `n` untied pairs scoring highest by `method` (ties: more shared, then ids).

    Examples
    --------
    >>> G = nx.Graph([("a", "c"), ("b", "c"), ("a", "d"), ("b", "d"), ("d", "e")])
    >>> [(p.u, p.v, p.shared) for p in predict_links(G, 2)]
    [('c', 'd', ('a', 'b')), ('a', 'b', ('c', 'd'))]
    """
    _check_method(method)
    scores = _scores(G, method)
    best = heapq.nsmallest(
        n,
        scores.items(),
        key=lambda item: (-item[1][0], -item[1][1], str(item[0][0]), str(item[0][1])),
    )
    return [score_pair(G, u, v) for (u, v), _ in best]


@dataclass(frozen=True)
class LinkEvaluation:
    """How well a score recovers hidden ties."""

    method: str
    hidden: int  # edges hidden (positives)
    negatives: int  # untied pairs of the full graph
    auc: float  # P(score of a hidden tie > score of a non-tie), ties count half
    k: int
    precision_at_k: float  # share of the top-k predictions that are hidden ties


def _auc(positives: list[float], negatives: list[float], zero_negatives: int) -> float:
    """Mann-Whitney AUC; `zero_negatives` more negatives score exactly 0."""
    total_neg = len(negatives) + zero_negatives
    if not positives or total_neg == 0:
        return float("nan")
    neg = sorted(negatives)
    import bisect

    wins = 0.0
    for p in positives:
        below = bisect.bisect_left(neg, p)
        equal = bisect.bisect_right(neg, p) - below
        if p > 0:
            below += zero_negatives
        elif p == 0:
            equal += zero_negatives
        wins += below + 0.5 * equal
    return wins / (len(positives) * total_neg)


def evaluate(
    G: nx.Graph,
    method: str = "adamic_adar",
    *,
    fraction: float = 0.1,
    k: int = 10,
    seed: int = 42,
) -> LinkEvaluation:
    """Hide a seeded `fraction` of the edges, score the rest, and see what comes back.

    Positives are the hidden edges, negatives every pair untied in `G`; AUC compares
    their scores on the reduced graph, precision@k checks the k best-scored untied pairs
    of the reduced graph.

    Examples
    --------
    >>> ev = evaluate(nx.complete_graph(8), fraction=0.1, k=2)
    >>> ev.hidden, ev.negatives, ev.precision_at_k
    (3, 0, 1.0)
    """
    _check_method(method)
    if not 0 < fraction < 1:
        raise MilgraphError(f"fraction must be between 0 and 1, got {fraction}")
    edges = sorted((tuple(sorted(e, key=str)) for e in G.edges() if e[0] != e[1]), key=str)
    if len(edges) < 2:
        raise MilgraphError(f"link evaluation needs at least 2 ties, the graph has {len(edges)}")
    n_hide = max(1, round(fraction * len(edges)))
    hidden = set(random.Random(seed).sample(edges, n_hide))
    train = G.copy()
    train.remove_edges_from(hidden)
    scored = {(p.u, p.v): p.score(method) for p in map(lambda e: score_pair(train, *e), hidden)}
    candidates = {pair: score for pair, (score, _) in _scores(train, method).items()}
    for pair in hidden:  # hidden pairs with shared neighbours are candidates too
        candidates.pop(pair, None)
        candidates.pop(pair[::-1], None)
    n = len(G)
    negatives_total = n * (n - 1) // 2 - G.number_of_edges() + nx.number_of_selfloops(G)
    zero_negatives = negatives_total - len(candidates)
    auc = _auc(list(scored.values()), list(candidates.values()), zero_negatives)
    ranked = sorted(
        [(s, pair, True) for pair, s in scored.items()]
        + [(s, pair, False) for pair, s in candidates.items()],
        key=lambda t: (-t[0], str(t[1])),
    )
    top = [t for t in ranked if t[0] > 0][:k]
    precision = sum(1 for t in top if t[2]) / k if k else 0.0
    return LinkEvaluation(method, n_hide, negatives_total, auc, k, precision)
