"""The pair search's shortcuts (nodes near no other cluster left out, one chunk read
whole, chunks of the rest) find exactly the pairs of the plain nested loops."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz

from graph_builder.resolve import _similar_pairs


def _nested_loops(group, texts, roots, min_ratio):
    return [
        (x, y, fuzz.ratio(tx, ty))
        for x, tx, rx in zip(group, texts, roots, strict=True)
        for y, ty, ry in zip(group, texts, roots, strict=True)
        if x < y and rx != ry and fuzz.ratio(tx, ty) >= min_ratio
    ]


@pytest.mark.parametrize(("seed", "rows"), [(1, 512), (2, 512), (3, 13), (4, 40)])
def test_large_blocks_of_many_clusters_give_the_nested_loops_pairs(seed: int, rows: int) -> None:
    """Most names alone in their cluster (left out before the matrix), some homonyms in
    several clusters and near spellings across clusters (kept), nodes in any order."""
    rng = random.Random(seed)
    stems = ["malik ishaq", "malik ishak", "mullah omar", "mulla omar", "hafiz saeed"]
    stems += [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(12)) for _ in range(60)
    ]
    texts = [rng.choice(stems) for _ in range(300)]
    group = rng.sample(range(1000), len(texts))
    cluster_of_text = {t: rng.randrange(3) * 1000 + k for k, t in enumerate(stems)}
    roots = [cluster_of_text[t] + (rng.randrange(2) if t in stems[:5] else 0) for t in texts]
    root_of = dict(zip(group, roots, strict=True))
    got = list(_similar_pairs(group, texts, 80, rows=rows, cluster=root_of.__getitem__))
    assert got == _nested_loops(group, texts, roots, 80)
    assert 20 < len(got) < len(group) ** 2 // 100  # some pairs, few of all


def test_a_large_block_whose_names_are_alone_in_their_clusters_has_no_pair() -> None:
    texts = ["malik ishaq", "malik ishak"] * 50
    assert fuzz.ratio(*texts[:2]) >= 80
    clusters = {k: 0 for k in range(100)}  # ... but one cluster: nothing to merge
    assert list(_similar_pairs(range(100), texts, 80, cluster=clusters.__getitem__)) == []
    two = {k: k % 2 for k in range(100)}
    pairs = list(_similar_pairs(range(100), texts, 80, cluster=two.__getitem__))
    assert len(pairs) == 50 * 50 and all((x + y) % 2 for x, y, _ in pairs)
