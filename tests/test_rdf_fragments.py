"""The RDF stage document by document: the same dataset, violations and GraphData as
building and validating the whole dataset, and a cache that only ever saves work."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from graph_builder import rdf_fragments
from graph_builder.config import DEFAULT_BASE_IRI, SAMPLE_CORPUS
from graph_builder.gold import gold_statements
from graph_builder.model import DocumentInfo
from graph_builder.ontology import Ontology
from graph_builder.pipeline import RebuildOptions, build_graph, rebuild
from graph_builder.rdf import build_dataset, graph_data, write_dataset
from graph_builder.resolve import Resolution, resolve
from graph_builder.statements import Statement
from graph_builder.validate import validate_dataset


def gold_resolution(ontology: Ontology, *extra: Statement) -> Resolution:
    statements = [
        s
        for path in sorted(SAMPLE_CORPUS.glob("*.gold.json"))
        for s in gold_statements(path, ontology)
    ]
    return resolve([*statements, *extra], ontology)


def documents(res: Resolution) -> list[DocumentInfo]:
    ids = sorted({s.doc_id for s in res.statements})
    return [DocumentInfo(i, title=f"t {i}", date="2015-07-29", content_hash="0" * 64) for i in ids]


def quads(path: Path) -> set[str]:
    return {str(q) for q in ox.parse(path=str(path), format=ox.RdfFormat.TRIG)}


def whole_and_fragments(
    res: Resolution, ontology: Ontology, tmp_path: Path, cache: Path | None
) -> tuple[Path, Path, rdf_fragments.RdfBuild]:
    docs = documents(res)
    write_dataset(build_dataset(res, docs, ontology), tmp_path / "whole.trig")
    built = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    built.write_trig(tmp_path / "fragments.trig")
    return tmp_path / "whole.trig", tmp_path / "fragments.trig", built


def same(a: rdf_fragments.RdfBuild, b: rdf_fragments.RdfBuild) -> bool:
    """Equal but for how much came from the cache."""
    return dataclasses.replace(a, cached=0) == dataclasses.replace(b, cached=0)


def bad(**kw: object) -> Statement:
    """A statement made directly (as an extractor bug would), bypassing the reader."""
    fields: dict[str, object] = {
        "doc_id": "ishaq-2015-07-29",
        "subject": "Malik Ishaq",
        "subject_type": "Person",
        "predicate": "leader_of",
        "object": "LeJ",
        "object_type": "MilitantGroup",
        "evidence": "Ishaq leads LeJ.",
        "span": (10, 26),
        "modality": "asserted",
        "confidence": 0.9,
    }
    fields.update(kw)
    return Statement(**fields)  # type: ignore[arg-type]


def test_fragments_make_the_same_dataset_and_graph(ontology: Ontology, tmp_path: Path) -> None:
    res = gold_resolution(ontology)
    whole, parts, built = whole_and_fragments(res, ontology, tmp_path, tmp_path / "cache")
    assert quads(parts) == quads(whole)
    assert len(quads(whole)) > 1000
    ds = build_dataset(res, documents(res), ontology)
    assert built.graph_data(ontology) == graph_data(ds, ontology)
    assert built.violations == () and built.cached == 0
    assert len(built.fragments) == len(documents(res))


def test_fragment_violations_are_those_of_the_whole_dataset(
    ontology: Ontology, tmp_path: Path
) -> None:
    wrong = [
        bad(confidence=1.5),
        bad(date="2015-02-31", object="TTP"),
        bad(modality="rumoured", object="Jaish-e-Mohammed"),
        bad(predicate="linked_to", object="Hakimullah", object_type="Person"),
        bad(span=(30, 10), doc_id="binladen-2011-05-02"),
        bad(subject="Multan", subject_type="Location", doc_id="curated-doc"),
    ]
    res = gold_resolution(ontology, *wrong)
    expected = validate_dataset(build_dataset(res, documents(res), ontology), ontology)
    _, _, built = whole_and_fragments(res, ontology, tmp_path, tmp_path / "cache")
    assert len(expected) >= len(wrong)
    assert sorted(built.violations, key=repr) == sorted(expected, key=repr)
    # the same from the cache
    again = rdf_fragments.build(res, documents(res), ontology, DEFAULT_BASE_IRI, tmp_path / "cache")
    assert again.cached == len(again.fragments)
    assert sorted(again.violations, key=repr) == sorted(expected, key=repr)


def test_cache_rebuilds_only_the_changed_document(ontology: Ontology, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    res = gold_resolution(ontology)
    docs = documents(res)
    first = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert first.cached == 0
    second = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert second.cached == len(docs) and same(second, first)

    changed = res.statements[0]
    edited = dataclasses.replace(changed, evidence=changed.evidence + " (corrected)")
    res2 = dataclasses.replace(
        res, statements=tuple(edited if s is changed else s for s in res.statements)
    )
    third = rdf_fragments.build(res2, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert third.cached == len(docs) - 1
    fresh = rdf_fragments.build(res2, docs, ontology, DEFAULT_BASE_IRI, None)
    assert third.graph_data(ontology) == fresh.graph_data(ontology)
    third.write_trig(tmp_path / "cached.trig")
    fresh.write_trig(tmp_path / "fresh.trig")
    assert (tmp_path / "cached.trig").read_bytes() == (tmp_path / "fresh.trig").read_bytes()
    assert "(corrected)" in (tmp_path / "cached.trig").read_text()

    other_base = rdf_fragments.build(res, docs, ontology, "https://example.org/id/", cache)
    assert other_base.cached == 0  # the base IRI is part of every fragment


def test_unreadable_cache_entries_are_rebuilt(ontology: Ontology, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    res = gold_resolution(ontology)
    docs = documents(res)
    first = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    entries = sorted(p for p in cache.rglob("*.frag"))
    assert len(entries) == len(docs)
    entries[0].write_text('["trunc')  # the JSON line cut short
    entries[1].write_bytes(entries[1].read_bytes()[:-10])  # the TriG cut short
    entries[2].write_bytes(entries[3].read_bytes())  # another document's entry
    again = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert again.cached == len(docs) - 3 and same(again, first)
    assert rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache).cached == len(docs)


def test_rebuild_after_a_change_equals_a_rebuild_from_scratch(
    ontology: Ontology, tmp_path: Path
) -> None:
    """An edited and a deleted article: the cached rebuild writes what a cold one does."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("ishaq-2015-07-29.txt", "binladen-2011-05-02.txt", "baitullah-2009-08-25.txt"):
        shutil.copy(SAMPLE_CORPUS / name, corpus)
    warm = tmp_path / "warm"
    assert rebuild(RebuildOptions(corpus=corpus, out=warm), ontology).cached_fragments == 0
    article = corpus / "binladen-2011-05-02.txt"
    article.write_text(
        article.read_text() + "\n\nPolice said Abu Hamza, a member of al-Qaeda, was arrested.\n"
    )
    (corpus / "baitullah-2009-08-25.txt").unlink()
    result = rebuild(RebuildOptions(corpus=corpus, out=warm), ontology)
    assert result.cached_fragments == 1  # ishaq: unchanged
    cold = tmp_path / "cold"
    rebuild(RebuildOptions(corpus=corpus, out=cold), ontology)
    for name in ("graph.trig", "statements.jsonl", "metrics.csv", "graph.graphml"):
        assert (warm / name).read_bytes() == (cold / name).read_bytes(), name
    assert "Abu Hamza" in (warm / "graph.trig").read_text()
    assert "baitullah-2009-08-25" not in (warm / "graph.trig").read_text()


@pytest.mark.parametrize(("batch", "jobs"), [(1, 1), (2, 1), (3, 2)])
def test_batches_and_processes_do_not_change_the_result(
    ontology: Ontology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int, jobs: int
) -> None:
    res = gold_resolution(ontology, bad(confidence=1.5))
    docs = documents(res)
    reference = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, None)
    assert len(reference.violations) == 1
    monkeypatch.setattr(rdf_fragments, "VALIDATION_BATCH", batch)
    found = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, None, jobs=jobs)
    assert found == reference


def test_rebuild_command_says_what_came_from_the_caches(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from graph_builder.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("ishaq-2015-07-29.txt", "binladen-2011-05-02.txt"):
        shutil.copy(SAMPLE_CORPUS / name, corpus)
    args = ["rebuild", "--corpus", str(corpus), "--out", str(tmp_path / "out"), "--no-neo4j"]
    runner = CliRunner()
    first = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert (first["documents_from_cache"], first["rdf_from_cache"]) == (0, 0)
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.stdout
    assert "2 extracted from cache, 2 RDF from cache" in again.stdout


def test_files_sharing_a_name_keep_their_statements_from_the_cache(
    ontology: Ontology, tmp_path: Path
) -> None:
    """2015/report.txt and 2016/report.txt share the doc id 'report': a cached rebuild
    keeps the statements of both, as the first build did."""
    corpus = tmp_path / "corpus"
    for folder, name in (("2015", "ishaq-2015-07-29.txt"), ("2016", "binladen-2011-05-02.txt")):
        (corpus / folder).mkdir(parents=True)
        shutil.copy(SAMPLE_CORPUS / name, corpus / folder / "report.txt")
    out = tmp_path / "out"
    rebuild(RebuildOptions(corpus=corpus, out=out), ontology)
    first = (out / "statements.jsonl").read_text()
    assert rebuild(RebuildOptions(corpus=corpus, out=out), ontology).cached_documents == 2
    assert (out / "statements.jsonl").read_text() == first
    assert "Ishaq" in first and "bin Laden" in first


def test_shapes_that_look_beyond_a_record_are_refused(ontology: Ontology) -> None:
    from rdflib import BNode, Graph
    from rdflib.namespace import SH

    from graph_builder.errors import OntologyError
    from graph_builder.validate import load_shapes

    shapes = load_shapes(ontology)
    rdf_fragments._check_local(shapes)  # the shipped shapes are local
    extra = Graph()
    extra += shapes
    extra.add((BNode(), SH.inversePath, BNode()))
    with pytest.raises(OntologyError, match="inversePath"):
        rdf_fragments._check_local(extra)


def test_cache_keeps_read_back_statements_that_differ_from_the_given_ones(
    ontology: Ontology, tmp_path: Path
) -> None:
    """An empty qualifier reads back as None: the cached entry keeps that statement in
    full (the others by reference), and a cached build equals a fresh one."""
    odd = bad(attributed_to="", doc_id="curated-doc")
    res = gold_resolution(ontology, odd)
    docs = documents(res)
    fresh = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, tmp_path / "cache")
    read_back = [s for f in fresh.fragments for s in f.statements if s.doc_id == "curated-doc"]
    assert [s.attributed_to for s in read_back] == [None]
    assert set(read_back).isdisjoint(res.statements)  # differs from what was given
    again = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, tmp_path / "cache")
    assert again.cached == len(docs) and same(again, fresh)
    assert again.graph_data(ontology) == fresh.graph_data(ontology)


@pytest.mark.parametrize("odd", [{"confidence": 1}, {"span": [10, 26]}])
def test_given_values_of_other_types_never_stand_in_for_the_read_back_ones(
    ontology: Ontology, tmp_path: Path, odd: dict[str, object]
) -> None:
    """1 == 1.0 and [10, 26] == (10, 26): a statement made in code with an int confidence
    or a list span is not kept by reference, so a cached build gives the floats and
    tuples of a fresh one (and a list span does not break the cache)."""
    res = gold_resolution(ontology, bad(doc_id="curated-doc", **odd))
    docs = documents(res)
    fresh = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, tmp_path / "cache")
    again = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, tmp_path / "cache")
    assert again.cached == len(docs) and same(again, fresh)
    read_back = [s for f in again.fragments for s in f.statements if s.doc_id == "curated-doc"]
    assert [(type(s.confidence), type(s.span)) for s in read_back] == [(float, tuple)]


def test_batches_are_checked_without_the_shapes_of_entities_alone(ontology: Ontology) -> None:
    from rdflib.namespace import SH

    from graph_builder.validate import MGSH, load_shapes

    shapes = load_shapes(ontology)
    kept = rdf_fragments._record_shapes(shapes, ontology)
    dropped = set(shapes.subjects(SH.targetClass, None)) - set(kept.subjects(SH.targetClass, None))
    assert dropped == {MGSH.EntityLabel}
    assert not list(kept.triples((MGSH.EntityLabel, None, None)))
    assert len(shapes) - len(kept) == len(shapes.cbd(MGSH.EntityLabel))


EXTRA_SHAPES = """
@prefix mg: <https://milgraph.org/ontology#> .
@prefix mgsh: <https://milgraph.org/shapes#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
mgsh:ShortPersonNames a sh:PropertyShape ; sh:targetClass mg:Person ;
    sh:path skos:prefLabel ; sh:maxLength 12 ; sh:message "a long name" .
mgsh:AppliedMerges a sh:PropertyShape ; sh:targetClass mg:MergeDecision ;
    sh:path mg:applied ; sh:hasValue true ; sh:message "kept apart" .
"""


@pytest.mark.parametrize("chunk", [1, 4, 10_000])
def test_entity_and_merge_records_in_chunks_are_checked_as_in_the_whole_dataset(
    ontology: Ontology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Shapes that some entities and merge decisions fail: checked in chunks of any size,
    the records get the violations of the whole dataset (an entity's blamed on the first
    statement naming it), and only conforming records are kept, to be checked no more."""
    from rdflib import Graph

    from graph_builder import validate

    load_shapes = validate.load_shapes

    def extended(onto: Ontology) -> Graph:
        shapes = load_shapes(onto)
        shapes.parse(data=EXTRA_SHAPES, format="turtle")
        return shapes

    monkeypatch.setattr(validate, "load_shapes", extended)
    monkeypatch.setattr(rdf_fragments, "RECORDS_BATCH", chunk)
    res = gold_resolution(ontology)
    docs = documents(res)
    expected = validate_dataset(build_dataset(res, docs, ontology), ontology, extended(ontology))
    for message in ("a long name", "kept apart"):
        assert any(message in v.message for v in expected), message
    cache = tmp_path / "cache"
    built = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert sorted(built.violations, key=repr) == sorted(expected, key=repr)
    kept = rdf_fragments._Store.read(cache / "records.bin").digests
    failed = {v.focus for v in expected}
    assert len(kept) == len(built.entities) + len(set(res.merges)) - len(failed)
    again = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert same(again, built)


def counted_record_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the chunks of entity and merge records checked from now on."""
    checked: list[int] = []
    check = rdf_fragments._check_records

    def counted(*args: Any) -> Any:
        checked.append(len(args[1]))
        return check(*args)

    monkeypatch.setattr(rdf_fragments, "_check_records", counted)
    return checked


def test_a_damaged_record_store_is_checked_again(
    ontology: Ontology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """records.bin cut short, grown, damaged in place, of another layout or emptied: its records are
    checked again and it is written whole; records it lacks are the only ones checked."""
    res = gold_resolution(ontology)
    docs = documents(res)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "records.json").write_text("{}")  # an earlier version's store
    first = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert not (cache / "records.json").exists()
    store = cache / "records.bin"
    kept = store.read_bytes()
    digests = rdf_fragments._Store.read(store).digests
    assert len(digests) == len(first.entities) + len(set(res.merges)) > 100
    checked = counted_record_checks(monkeypatch)
    magic = rdf_fragments._STORE_MAGIC
    for damaged in (
        kept[:-1],
        kept + b"x",
        kept.replace(magic, b"milgraph-records 0 ", 1),
        kept.replace(magic, magic + b"x", 1),
        kept[:-3] + bytes([kept[-3] ^ 1]) + kept[-2:],  # a text damaged in place
        b"",
    ):
        store.write_bytes(damaged)
        checked.clear()
        assert same(rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache), first)
        assert sum(checked) == len(digests) and store.read_bytes() == kept

    old = rdf_fragments._Store.read(store)
    half = digests[::2]
    rdf_fragments._Store.write(store, half, lambda d: old.text(old.positions[d]))
    checked.clear()
    assert same(rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache), first)
    assert sum(checked) == len(digests) - len(half) and store.read_bytes() == kept
    checked.clear()
    assert same(rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache), first)
    assert checked == []


def test_a_few_new_records_are_appended_and_an_append_cut_short_is_not_trusted(
    ontology: Ontology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build missing a few records appends them as a segment (the ~100 MB of known
    records at 10k articles not written again); the next build trusts the store as it
    is; an append cut short (the process killed) empties it: all checked, written whole."""
    res = gold_resolution(ontology)
    docs = documents(res)
    cache = tmp_path / "cache"
    first = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    store = cache / "records.bin"
    whole = store.read_bytes()
    old = rdf_fragments._Store.read(store)
    rdf_fragments._Store.write(store, old.digests[:-2], lambda d: old.text(old.positions[d]))
    without_two = store.read_bytes()
    checked = counted_record_checks(monkeypatch)
    magic = rdf_fragments._STORE_MAGIC
    assert same(rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache), first)
    assert sum(checked) == 2
    appended = store.read_bytes()
    assert appended.startswith(without_two) and appended.count(magic) == 2
    checked.clear()
    assert same(rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache), first)
    assert checked == [] and store.read_bytes() == appended  # trusted, not written
    store.write_bytes(appended[:-1])
    assert same(rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache), first)
    assert sum(checked) == len(old.digests) and store.read_bytes() == whole


def test_workers_keep_what_they_build_in_the_cache(
    ontology: Ontology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = gold_resolution(ontology)
    docs = documents(res)
    monkeypatch.setattr(rdf_fragments, "VALIDATION_BATCH", 2)
    cache = tmp_path / "cache"
    cold = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache, jobs=2)
    assert len(list(cache.rglob("*.frag"))) == len(docs)
    warm = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache, jobs=2)
    assert warm.cached == len(docs) and same(warm, cold)
    assert cold == rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, None)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cyclic_collector_is_left_as_it_was(ontology: Ontology, enabled: bool) -> None:
    import gc

    res = gold_resolution(ontology)
    (gc.enable if enabled else gc.disable)()
    try:
        rdf_fragments.build(res, documents(res), ontology, DEFAULT_BASE_IRI, None)
        assert gc.isenabled() == enabled
    finally:
        gc.enable()


@pytest.mark.parametrize("jobs", [1, 2])  # 2: the side process builds the RDF, cleans the cache
def test_a_rebuild_drops_the_fragments_it_did_not_use(
    ontology: Ontology, tmp_path: Path, jobs: int
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("ishaq-2015-07-29.txt", "binladen-2011-05-02.txt", "baitullah-2009-08-25.txt"):
        shutil.copy(SAMPLE_CORPUS / name, corpus)
    options = RebuildOptions(corpus=corpus, out=tmp_path / "out", prune=True, jobs=jobs)
    rebuild(options, ontology)
    cache = tmp_path / "out" / "cache" / "rdf"

    def fragments() -> set[str]:
        return {p.name for p in cache.rglob("*.frag")}

    first = fragments()
    assert len(first) == 3
    article = corpus / "binladen-2011-05-02.txt"
    article.write_text(article.read_text() + "\n\nPolice said Abu Hamza led al-Qaeda.\n")
    (corpus / "baitullah-2009-08-25.txt").unlink()
    # temporary files of cache writes: one killed long ago, one still being written
    (cache / "00").mkdir(exist_ok=True)
    killed, writing = cache / "00" / ".00a.frag.x1.tmp", cache / "00" / ".00b.frag.x2.tmp"
    for path in (killed, writing):
        path.write_bytes(b"cut short")
    long_ago = time.time() - rdf_fragments.STALE_TEMPORARY_SECONDS - 60
    os.utime(killed, (long_ago, long_ago))

    assert rebuild(options, ontology).cached_fragments == 1  # ishaq's
    after = fragments()
    assert len(after) == 2 and len(after & first) == 1  # the edited one's is new
    assert not killed.exists() and writing.exists()
    assert rebuild(options, ontology).cached_fragments == 2  # nothing it uses was dropped
    assert fragments() == after


def test_a_cache_that_cannot_be_cleaned_fails_no_rebuild(
    ontology: Ontology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = gold_resolution(ontology)
    options = RebuildOptions(out=tmp_path / "out")
    build_graph(res.statements, documents(res), options, ontology)
    cache = tmp_path / "out" / "cache" / "rdf"
    before = {p.name for p in cache.rglob("*.frag")}

    def refuse(path: str) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(rdf_fragments, "_unlink", refuse)
    dropped, *kept = documents(res)  # one document less
    fewer = [s for s in res.statements if s.doc_id != dropped.id]
    result = build_graph(fewer, kept, options, ontology)
    assert result.statements == len(fewer)
    assert {p.name for p in cache.rglob("*.frag")} == before  # nothing could be dropped
