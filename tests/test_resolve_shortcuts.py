"""The shortcuts that make resolution cheaper give what the plain computation gives: the
words of a name, a skeleton, a remembered conflict, a block's nodes, a mention's node."""

from __future__ import annotations

import random
import re

import pytest
from unidecode import unidecode

from graph_builder.resolve import (
    _block_nodes,
    _mention_nodes,
    _NamedNodes,
    _Node,
    _Resolver,
    _similar_pairs,
    _tokens,
    name_key,
    skeleton,
)
from graph_builder.statements import Statement

_LETTERS = "aeiouwyAEIOUbcdfghjklmnpqrstvzBKQ'’ -.(0)9Ḥāīçéøĳ"


def _random_names(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(_LETTERS) for _ in range(rng.randrange(0, 14))) for _ in range(count)
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_words_and_skeleton_are_those_of_the_plain_computation(seed: int) -> None:
    for name in _random_names(seed, 3000):
        text = unidecode(name).lower().replace("'", "").replace("\u2019", "")
        words = [t for t in re.split(r"[^a-z0-9]+", text) if t]
        assert list(_tokens(name)) == words
        kept = [
            t[0] + "".join(c for c in t[1:] if c not in "aeiouwy") for t in name_key(name).split()
        ]
        assert skeleton(name) == " ".join(re.sub(r"(.)\1+", r"\1", k) for k in kept)


def _affiliations_conflict_now(res: _Resolver, ra: int, rb: int) -> str | None:
    """conflict() computed afresh, without what the resolver remembers."""
    ga, gb = res.groups_of(ra), res.groups_of(rb)
    if res.nodes[ra].type != "Person" or not ga or not gb:
        return None
    if any(res.related(x, y) for x in ga for y in gb):
        return None
    names_a = sorted(res.nodes[g].name for g in ga)
    names_b = sorted(res.nodes[g].name for g in gb)
    return f"affiliations conflict: {', '.join(names_a)} vs {', '.join(names_b)}"


def test_a_remembered_conflict_follows_merges_and_affiliations() -> None:
    rng = random.Random(7)
    groups = [_Node("MilitantGroup", n, None, {n}, 1, {"d"}) for n in ("LeJ", "TTP", "JeM", "AQ")]
    people = [
        _Node("Person", "Malik Ishaq", f"doc{i}", {"Malik Ishaq"}, 1, {f"doc{i}"})
        for i in range(30)
    ]
    res = _Resolver(groups + people, [])
    res.linked.add((0, 1))  # LeJ and TTP linked by a statement
    person_ids = range(len(groups), len(groups) + len(people))
    for person in person_ids:
        res.affiliate(person, rng.randrange(len(groups)))
    refused = 0
    for _ in range(300):
        a, b = rng.sample(person_ids, 2)
        ra, rb = res.find(a), res.find(b)
        expected = _affiliations_conflict_now(res, ra, rb)
        assert res.conflict(ra, rb) == expected
        assert res.conflict(ra, rb) == expected  # asked again: remembered
        refused += not res.union(a, b, "test", "random")
        if rng.random() < 0.1:
            res.affiliate(rng.choice(person_ids), rng.randrange(len(groups)))
    assert refused > 5  # conflicts were met, and remembered across refusals


def test_a_conflict_is_not_remembered_past_a_new_affiliation() -> None:
    groups = [_Node("MilitantGroup", n, None, {n}, 1, {"d"}) for n in ("LeJ", "TTP", "JeM")]
    people = [_Node("Person", "Malik Ishaq", doc, {"Malik Ishaq"}, 1, {doc}) for doc in "ab"]
    res = _Resolver(groups + people, [])
    res.linked.add((0, 1))
    res.affiliate(3, 0)
    res.affiliate(4, 2)
    assert res.conflict(3, 4) == "affiliations conflict: LeJ vs JeM"
    assert not res.union(3, 4, "test", "same name")
    res.affiliate(4, 1)  # TTP: linked to LeJ, so no longer a conflict
    assert res.conflict(3, 4) is None
    assert res.union(3, 4, "test", "same name")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_large_block_keeps_the_nodes_of_every_pair(seed: int) -> None:
    rng = random.Random(seed)
    similar = ["malik ishaq", "malik ishak", "abu hamza", "abu hamzah", "omar khalid"]
    apart = [f"zq{k:03d} person" for k in range(40)]  # similar to no other name
    nodes = [
        _Node("Person", rng.choice(similar + apart), f"d{i}", set(), 1, set()) for i in range(400)
    ]
    for node in nodes:
        node.names.add(node.name)
    res = _Resolver(nodes, [])
    for a in range(len(nodes)):  # a name's nodes in one cluster, some in two
        for b in range(a):
            if nodes[a].name == nodes[b].name and (nodes[a].name in apart or a % 3 == b % 3):
                res.union(a, b, "test", "setup")
    named = _NamedNodes(res, list(range(len(nodes))))
    block = sorted(named.nodes)
    everything = named.nodes_of(block)
    kept = _block_nodes(named, block, name_key, 94)
    assert len(kept) < len(everything)
    texts = [name_key(nodes[i].name) for i in everything]
    kept_texts = [name_key(nodes[i].name) for i in kept]
    expected = list(_similar_pairs(everything, texts, 94, cluster=res.find))
    assert list(_similar_pairs(kept, kept_texts, 94, cluster=res.find)) == expected
    assert expected


def test_mention_nodes_count_every_mention_and_note_aliases_once() -> None:
    def st(doc: str, subject: str, obj: str) -> Statement:
        return Statement(
            doc, subject, "Person", "member_of", obj, "MilitantGroup", "e", None, "asserted", 0.9
        )

    statements = [
        st("a", "Malik Ishaq", "Lashkar-e-Jhangvi (LeJ)"),
        st("a", "Malik Ishaq", "the Lashkar-e-Jhangvi"),
        st("b", "Malik Ishaq", "Lashkar-e-Jhangvi (LeJ)"),
        st("b", "Ishaq @ Malik", "Lashkar-e-Jhangvi"),
    ]
    nodes, ends, notation = _mention_nodes(statements)
    assert [(n.type, n.name, n.scope, n.count, sorted(n.docs)) for n in nodes] == [
        ("Person", "Malik Ishaq", "a", 2, ["a"]),
        ("MilitantGroup", "Lashkar-e-Jhangvi", None, 4, ["a", "b"]),
        ("Person", "Malik Ishaq", "b", 1, ["b"]),
        ("Person", "Ishaq", "b", 1, ["b"]),
    ]
    assert ends == [(0, 1), (0, 1), (2, 1), (3, 1)]
    assert notation == [(1, "LeJ", "Lashkar-e-Jhangvi (LeJ)"), (3, "Malik", "Ishaq @ Malik")]
    assert nodes[1].names == {"Lashkar-e-Jhangvi", "LeJ"}
