"""records.bin kept texts: a run of records read as one slice, and a written store that
reads back as the file does."""

from __future__ import annotations

from pathlib import Path

from graph_builder import rdf_fragments
from graph_builder.model import Entity, GraphData, Relation, Support
from graph_builder.views import _entity_ties, filtered_relations

TEXTS = {bytes([i]) * 16: f'<urn:r{i}> <urn:p> "{"x" * i}" .\n'.encode() for i in range(6)}


def written(path: Path) -> rdf_fragments._Store:
    digests = list(TEXTS)
    return rdf_fragments._Store.write(path, digests, TEXTS.__getitem__)


def test_a_written_store_is_the_store_read_back(tmp_path: Path) -> None:
    store = written(tmp_path / "records.bin")
    read = rdf_fragments._Store.read(tmp_path / "records.bin")
    assert read.digests == store.digests and read.positions == store.positions
    assert [bytes(store.text(i)) for i in range(6)] == [bytes(read.text(i)) for i in range(6)]
    assert [bytes(store.text(i)) for i in range(6)] == list(TEXTS.values())


def test_pieces_are_one_slice_for_records_kept_one_after_another(tmp_path: Path) -> None:
    store = written(tmp_path / "records.bin")
    digests, texts = list(TEXTS), list(TEXTS.values())
    unknown = b"z" * 16

    def pieces(wanted: list[bytes], fresh: dict[bytes, bytes] | None = None) -> list[bytes]:
        return [bytes(piece) for piece in store.pieces(wanted, fresh or {})]

    assert store.ordered() == digests  # no source: the segment's records, in file order
    assert pieces(digests[1:4]) == [b"".join(texts[1:4])]
    assert pieces(digests) == [b"".join(texts)]
    assert pieces([digests[0], digests[2]]) == [texts[0], texts[2]]  # a gap
    assert pieces([digests[2], digests[1]]) == [texts[2], texts[1]]  # out of order
    # a record not kept is its fresh text, between the slices of those kept
    fresh = {unknown: b"<urn:z> <urn:p> <urn:o> .\n"}
    assert pieces([digests[1], unknown, digests[2]], fresh) == [texts[1], fresh[unknown], texts[2]]
    assert pieces([digests[5], unknown], fresh) == [texts[5], fresh[unknown]]
    assert pieces([]) == []


def test_entity_ties_merge_a_pair_read_both_ways() -> None:
    ents = {i: Entity(i, i.upper(), "Person") for i in "abc"}
    s1 = Support("s2", "d2", "A and B.", "asserted", 0.9, date="2016")
    s2 = Support("s1", "d1", "B and A.", "alleged", 0.5, date="2015-03")
    s3 = Support("s3", "d1", "C.", "asserted", 0.9)
    rels = (
        Relation("b", "associate_of", "a", (s1,)),
        Relation("a", "relative_of", "b", (s2,)),
        Relation("c", "associate_of", "c", (s3,)),
    )
    ties = _entity_ties(filtered_relations(GraphData(ents, rels, {})))
    assert ties == [
        (
            "a",
            "b",
            {
                "weight": 1.25,
                "predicates": ("associate_of", "relative_of"),
                "doc_ids": ("d1", "d2"),
                "statement_ids": ("s1", "s2"),
                "dates": ("2015-03-01", "2016-01-01"),
                "n_sources": 2,
            },
        )
    ]
