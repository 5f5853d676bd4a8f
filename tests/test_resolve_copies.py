"""The cheaper ways resolution hashes statements, reads written names and orders its
blocks give what the plain computations give."""

from __future__ import annotations

import hashlib
import random

import pytest

from graph_builder.ontology import load_ontology
from graph_builder.resolve import (
    AliasRule,
    AliasTable,
    _NamedNodes,
    _Node,
    _Resolver,
    _split_written,
    resolve,
    split_alias_notation,
)
from graph_builder.statements import Statement


def _statement(span: tuple[int, int] | None = (3, 9), **changes: object) -> Statement:
    values: dict = dict(
        doc_id="d1",
        subject="Ishaq",
        subject_type="Person",
        predicate="member_of",
        object="LeJ",
        object_type="MilitantGroup",
        evidence="Ishaq \x1f led LeJ ünïcode",
        span=span,
        modality="asserted",
        confidence=0.8,
        attributed_to="police",
    )
    values.update(changes)
    return Statement(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("span", [(3, 9), None])
def test_statement_id_hashes_the_fields_joined_as_text(span: tuple[int, int] | None) -> None:
    s = _statement(span)
    fields = (s.doc_id, s.subject, s.predicate, s.object, s.span, s.evidence, s.modality)
    key = "\x1f".join(str(x) for x in fields)
    expected = "s-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    assert s.statement_id == expected


def test_written_names_without_notation_are_read_as_split_alias_notation_reads_them() -> None:
    rng = random.Random(3)
    letters = "ab e-Tthé @()' \t"
    names = ["".join(rng.choice(letters) for _ in range(rng.randrange(1, 12))) for _ in range(3000)]
    names += ["  the Taliban ", "The ", "the x", "Ishaq (Malik) @ M.I.", " x@ "]
    for type_name in ("Person", "MilitantGroup"):
        for raw in names:
            name, extra = split_alias_notation(raw)
            if type_name != "Person" and name.lower().startswith("the ") and len(name) > 4:
                name = name[4:]
            assert _split_written(type_name, raw) == (name, extra), raw


def test_unsettled_blocks_leave_out_single_names_of_one_cluster_only() -> None:
    names = ["Ali", "Ali", "Bilal", "Bilal", "Umar", "Zaid"]
    nodes = [_Node("Person", n, f"d{i}", {n}) for i, n in enumerate(names)]
    res = _Resolver(nodes, [])
    res.union(0, 1, "test", "Ali's two nodes merged")  # Bilal's two stay apart
    named = _NamedNodes(res, list(range(len(nodes))))
    blocks = {"z": ["Zaid"], "a": ["Ali"], "b": ["Bilal"], "u": ["Umar", "Zaid"]}
    assert named.unsettled(blocks) == [("b", ["Bilal"]), ("u", ["Umar", "Zaid"])]


def test_an_alias_table_merges_people_too() -> None:
    # (only the types the tables name are indexed by name key)
    onto = load_ontology()

    def st(doc: str, person: str) -> Statement:
        return Statement(
            doc, person, "Person", "member_of", "LeJ", "MilitantGroup", "e", None, "asserted", 0.9
        )

    table = AliasTable((AliasRule("Person", "Malik Ishaq", "Abu Ishaq", "merge", "t.csv", 2),))
    res = resolve([st("a", "Malik Ishaq"), st("b", "Abu Ishaq")], onto, aliases=table)
    people = [e for e in res.entities.values() if e.type == "Person"]
    assert [(p.name, p.aliases) for p in people] == [("Malik Ishaq", ("Abu Ishaq",))]
    assert not resolve([st("a", "Malik Ishaq"), st("b", "Abu Ishaq")], onto).merges
