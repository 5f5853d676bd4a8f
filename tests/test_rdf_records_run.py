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


def test_a_run_is_the_texts_joined_only_when_they_follow_each_other(tmp_path: Path) -> None:
    store = written(tmp_path / "records.bin")
    digests = list(TEXTS)
    run = store.run(digests[1:4])
    assert run is not None and bytes(run) == b"".join(TEXTS[d] for d in digests[1:4])
    assert bytes(store.run(digests) or b"") == b"".join(TEXTS.values())
    assert store.run([digests[0], digests[2]]) is None  # a gap
    assert store.run([digests[2], digests[1]]) is None  # out of order
    assert store.run([digests[5], b"z" * 16]) is None  # past the end, unknown
    assert store.run([b"z" * 16]) is None and store.run([]) is None


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
