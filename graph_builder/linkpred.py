"""Likely-missing ties: neighbourhood scores on the person view, and how well they work.

All three scores (Adamic-Adar, Jaccard, resource allocation) are zero for two people
with no common neighbour, so only pairs at distance two are scored; every other pair
counts as score 0 in the evaluation.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class _Candidates:
    """Every candidate pair (as :func:`candidate_pairs` orients it) and its score."""

    nodes: list[Hashable]  # sorted by str; u and v index into it, u < v
    u: Any
    v: Any
    score: Any  # by the method asked for, the floats score_pair gives
    shared: Any  # number of shared neighbours


def _candidates(G: nx.Graph, method: str) -> _Candidates:
    """Score every untied pair with a shared neighbour by one sparse product.

    With the nodes in ``str`` order, ``(A @ (W A))[u, v]`` sums ``W[w]`` over the shared
    neighbours w in ``str`` order, starting from 0: the sum :func:`score_pair` makes (scipy
    adds a row's products in stored order), so the floats are the same.
    """
    import numpy as np
    import scipy.sparse

    nodes = sorted(G, key=str)
    n = len(nodes)
    rank = {node: i for i, node in enumerate(nodes)}
    ends = [(rank[u], rank[v]) for u, v in G.edges() if u != v]
    rows = np.array([i for i, j in ends] + [j for i, j in ends], dtype=np.int64)
    cols = np.array([j for i, j in ends] + [i for i, j in ends], dtype=np.int64)
    A = scipy.sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    A.sort_indices()
    degrees = [G.degree(node) for node in nodes]
    if method == "adamic_adar":  # math.log as score_pair uses it (numpy's may differ)
        weight = np.array([1.0 / math.log(d) if d > 1 else 0.0 for d in degrees])
    else:
        weight = np.array([1.0 / d if d else 0.0 for d in degrees])
    per_entry = weight[np.repeat(np.arange(n), np.diff(A.indptr))]
    W = scipy.sparse.csr_array((per_entry, A.indices, A.indptr), shape=(n, n))
    sums, counts = A @ W, A @ A
    u, v, shared = _upper_entries(counts)
    if method == "jaccard":
        size = np.diff(A.indptr).astype(float)  # neighbours other than itself
        score = shared / (size[u] + size[v] - shared)
    else:  # the same pairs: a shared neighbour has degree >= 2, so every term is > 0
        su, sv, score = _upper_entries(sums)
        if not (np.array_equal(su, u) and np.array_equal(sv, v)):
            raise MilgraphError("link scores: the sparse products disagree on the pairs")
    keep = ~np.isin(u * n + v, rows * n + cols)  # untied pairs only
    u, v, shared, score = u[keep], v[keep], shared[keep], score[keep]
    return _Candidates(nodes, u, v, score, shared.astype(np.int64))


def _upper_entries(M: Any) -> tuple[Any, Any, Any]:
    """Rows, columns and values of the entries of sparse `M` above the diagonal, by row
    then column."""
    import numpy as np

    M.sort_indices()
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    cols = M.indices.astype(np.int64)
    above = rows < cols
    return rows[above], cols[above], M.data[above]


def _scores(G: nx.Graph, method: str) -> dict[tuple[Hashable, Hashable], tuple[float, int]]:
    """(score by `method`, shared neighbours) of every candidate pair, keyed as
    :func:`candidate_pairs` yields it, the floats :func:`score_pair` gives."""
    if len(G) == 0:
        return {}
    c = _candidates(G, method)
    return {
        (c.nodes[i], c.nodes[j]): (s, k)
        for i, j, s, k in zip(
            c.u.tolist(), c.v.tolist(), c.score.tolist(), c.shared.tolist(), strict=True
        )
    }


def predict_links(G: nx.Graph, n: int = 10, method: str = "adamic_adar") -> list[PredictedLink]:
    """The `n` untied pairs scoring highest by `method` (ties: more shared, then ids).

    Examples
    --------
    >>> G = nx.Graph([("a", "c"), ("b", "c"), ("a", "d"), ("b", "d"), ("d", "e")])
    >>> [(p.u, p.v, p.shared) for p in predict_links(G, 2)]
    [('c', 'd', ('a', 'b')), ('a', 'b', ('c', 'd'))]
    """
    import numpy as np

    _check_method(method)
    if len(G) == 0 or n <= 0:
        return []
    c = _candidates(G, method)
    # Nodes are numbered in str order, so the numbers break ties as the ids would.
    best = np.lexsort((c.v, c.u, -c.shared, -c.score))[:n]
    return [score_pair(G, c.nodes[c.u[i]], c.nodes[c.v[i]]) for i in best.tolist()]


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
