"""What makes resolution fast must not change what it decides: the pair search that skips
pairs already in one cluster, and the per-cluster caches of the resolver."""

from __future__ import annotations

import gc
import random

import pytest
from rapidfuzz import fuzz

from graph_builder.ontology import Ontology
from graph_builder.resolve import _Node, _Resolver, _similar_pairs, name_key, resolve
from graph_builder.statements import Statement


class _Clusters:
    """A bare union-find, to merge while pairs are consumed."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = sorted((self.find(a), self.find(b)))
        self.parent[rb] = ra


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_pairs_of_one_cluster_are_left_out_even_when_merged_meanwhile(seed: int) -> None:
    """With `cluster`, the pairs are those of the nested loops whose nodes are in two
    clusters when the pair is reached, while the consumer merges some of them."""
    rng = random.Random(seed)
    stems = ["abu hamza", "abu hamsa", "abu hamzah", "ali khan", "ali kahn", "omar", "umar"]
    texts = [rng.choice(stems) for _ in range(80)]
    group = rng.sample(range(200), len(texts))
    merge_some = random.Random(seed + 100)

    def nested_loops(clusters: _Clusters) -> list[tuple[int, int, float]]:
        seen = []
        for x, tx in zip(group, texts, strict=True):
            for y, ty in zip(group, texts, strict=True):
                ratio = fuzz.ratio(tx, ty)
                if x < y and ratio >= 80 and clusters.find(x) != clusters.find(y):
                    seen.append((x, y, ratio))
                    if merge_some.random() < 0.3:
                        clusters.join(x, y)
        return seen

    def start() -> _Clusters:
        clusters = _Clusters(200)
        for a, b in zip(group[::7], group[1::7], strict=True):  # some merged already
            clusters.join(a, b)
        return clusters

    expected = nested_loops(start())
    merge_some.seed(seed + 100)
    clusters = start()
    got = []
    for x, y, ratio in _similar_pairs(group, texts, 80, rows=9, cluster=clusters.find):
        got.append((x, y, ratio))
        if merge_some.random() < 0.3:
            clusters.join(x, y)
    assert got == expected
    assert len(expected) > 20


def test_a_block_of_one_cluster_is_not_searched() -> None:
    asked = []

    def one_cluster(node: int) -> int:
        asked.append(node)
        return 0

    texts = ["malik ishaq"] * 500 + ["malik ishak"] * 500
    assert list(_similar_pairs(range(1000), texts, 80, cluster=one_cluster)) == []
    assert len(asked) == 1000  # once per node, not once per pair


def _person(i: int, name: str, doc: str) -> _Node:
    return _Node("Person", name, doc, {name}, 1, {doc})


def _group(name: str) -> _Node:
    return _Node("MilitantGroup", name, None, {name}, 1, {"d"})


def test_cached_keys_and_groups_follow_merges() -> None:
    """Name keys and affiliations of a cluster, cached, equal those computed afresh after
    any sequence of merges, refusals and new affiliations."""
    rng = random.Random(5)
    groups = [_group(n) for n in ("Lashkar-e-Jhangvi", "al-Qaeda", "Jaish-e-Mohammed")]
    names = ["Malik Ishaq", "Malik Ishaque", "Ishaq", "Abu Hamza", "Abu Hamzah"]
    people = [_person(i, rng.choice(names), f"doc{i}") for i in range(40)]
    res = _Resolver(groups + people, [("Person", "ishaq", "abu hamza")])
    first_person = len(groups)
    for person in range(first_person, first_person + 40):
        if rng.random() < 0.5:
            res.affiliate(person, rng.randrange(len(groups)))
    res.union(0, 1, "test", "groups first")
    for _ in range(120):
        a, b = rng.sample(range(first_person, first_person + 40), 2)
        res.groups_of(res.find(a)), res.keys(res.find(b))  # fill the caches
        res.union(a, b, "test", "random")
        if rng.random() < 0.1:
            res.affiliate(a, 2)
        for root in res.roots("Person"):
            members = res.members[root]
            assert res.keys(root) == {name_key(n) for m in members for n in res.nodes[m].names}
            assert res.groups_of(root) == {
                res.find(g) for m in members for g in res.affiliation.get(m, ())
            }
    assert any(not d.applied for d in res.decisions)  # refusals happened


def test_resolution_pauses_the_collector_and_restores_it(ontology: Ontology) -> None:
    def st(doc: str, subject: str, obj: str) -> Statement:
        return Statement(
            doc, subject, "MilitantGroup", "linked_to", obj, "MilitantGroup", "e", None,
            "asserted", 0.9,
        )  # fmt: skip

    statements = [
        st("a", "Lashkar-e-Jhangvi", "al-Qaeda"),
        st("b", "Lashkar-i-Jhangvi", "al-Qaida"),
    ]
    assert gc.isenabled()
    assert len(resolve(statements, ontology).entities) == 2
    assert gc.isenabled()
    gc.disable()
    try:
        resolve(statements, ontology)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
