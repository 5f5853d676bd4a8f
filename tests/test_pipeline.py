"""`milgraph rebuild` end to end on the bundled sample corpus."""

from __future__ import annotations

import csv
import errno
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from graph_builder.config import SAMPLE_CORPUS
from graph_builder.errors import InputError, Neo4jUnavailable, ValidationError
from graph_builder.ontology import load_ontology
from graph_builder.pipeline import OUTPUT_FILES, RebuildOptions, rebuild
from graph_builder.statements import Statement, trusted_statement, write_statements

ONTOLOGY = load_ontology()
METRICS_HEADER = "id,name,type,degree,betweenness,closeness,eigenvector,pagerank,community"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("build")
    return out, rebuild(RebuildOptions(corpus=SAMPLE_CORPUS, out=out), ONTOLOGY)


def statements_of(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "statements.jsonl").read_text().splitlines()]


def test_rebuild_writes_every_output(built: tuple[Path, object]) -> None:
    out, _ = built
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0 or name == "rejected.jsonl", name
    assert not list(out.glob("*.tmp"))
    assert (out / "metrics.csv").read_text().splitlines()[0].startswith(METRICS_HEADER)


def test_rebuild_finds_the_seed_article_facts_with_evidence(built: tuple[Path, object]) -> None:
    out, result = built
    leaders = [
        s
        for s in statements_of(out)
        if s["predicate"] == "leader_of" and s["object"] == "Lashkar-e-Jhangvi"
    ]
    assert {"Malik Muhammad Ishaq", "Ghulam Rasool Shah"} <= {s["subject"] for s in leaders}
    text = (SAMPLE_CORPUS / "ishaq-2015-07-29.txt").read_text()
    for s in leaders:
        start, end = s["span"]
        assert text[start:end] == s["evidence"]
    assert result.documents == 7  # type: ignore[attr-defined]
    assert result.extracted > 0  # type: ignore[attr-defined]


def test_metrics_rows_cover_every_entity_once(built: tuple[Path, object]) -> None:
    out, result = built
    with (out / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len({r["id"] for r in rows}) == len(rows) == sum(result.entities_by_type.values())  # type: ignore[attr-defined]
    for row in rows:
        assert 0.0 <= float(row["betweenness"]) <= 1.0


def test_rebuild_again_is_identical_and_uses_the_cache(
    built: tuple[Path, object], tmp_path: Path
) -> None:
    out, first = built
    again = tmp_path / "again"
    shutil.copytree(out / "cache", again / "cache")
    second = rebuild(RebuildOptions(corpus=SAMPLE_CORPUS, out=again), ONTOLOGY)
    assert second.cached_documents == second.documents == first.documents  # type: ignore[attr-defined]
    assert (again / "statements.jsonl").read_text() == (out / "statements.jsonl").read_text()
    assert (again / "graph.trig").read_text() == (out / "graph.trig").read_text()
    assert (again / "metrics.csv").read_text() == (out / "metrics.csv").read_text()


def test_invalid_curated_file_is_refused_by_file_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SAMPLE_CORPUS / "ishaq-2015-07-29.txt", corpus)
    # A Location cannot lead a group: the curated file is refused by FILE:LINE.
    good = json.loads((SAMPLE_CORPUS / "curated.statements.jsonl").read_text().splitlines()[0])
    bad = {**good, "doc_id": "ishaq-2015-07-29", "subject_type": "Location"}
    (corpus / "hand.statements.jsonl").write_text(json.dumps(bad) + "\n")
    with pytest.raises(
        InputError,
        match=r"hand\.statements\.jsonl:1: \w+ links Person -> MilitantGroup, got Location",
    ):
        rebuild(RebuildOptions(corpus=corpus, out=tmp_path / "out"), ONTOLOGY)


def test_prune_records_rejections_with_reasons(tmp_path: Path) -> None:
    from dataclasses import replace

    from graph_builder.pipeline import build_graph
    from graph_builder.statements import read_statements

    curated = read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ONTOLOGY)
    broken = replace(curated[0], subject_type="Location")  # bypasses the reader's checks
    options = RebuildOptions(out=tmp_path / "strict")
    with pytest.raises(ValidationError, match="break the ontology"):
        build_graph([*curated, broken], [], options, ONTOLOGY)
    assert not (tmp_path / "strict" / "graph.trig").exists()

    pruned = build_graph(
        [*curated, broken], [], RebuildOptions(out=tmp_path / "pruned", prune=True), ONTOLOGY
    )
    assert [r.statement for r in pruned.rejected] == [broken]
    rejected = [
        json.loads(line)
        for line in (tmp_path / "pruned" / "rejected.jsonl").read_text().splitlines()
    ]
    assert len(rejected) == 1 and "Location" in rejected[0]["reason"]
    assert pruned.statements == len(curated)


@pytest.mark.neo4j
def test_rebuild_twice_leaves_the_same_neo4j_graph(neo4j_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    options = RebuildOptions(corpus=SAMPLE_CORPUS, out=tmp_path)
    first = rebuild(options, ONTOLOGY, neo4j_db)
    second = rebuild(options, ONTOLOGY, neo4j_db)
    assert first.neo4j_counts == second.neo4j_counts
    assert first.neo4j_counts is not None and first.neo4j_counts[1] > 0
    # --chunk-rows: the same graph, committed in small transactions from an empty database
    neo4j_db.execute_query("MATCH (n) DETACH DELETE n")
    chunked = rebuild(replace(options, chunk_rows=50), ONTOLOGY, neo4j_db)
    assert chunked.neo4j_counts == first.neo4j_counts
    records, _, _ = neo4j_db.execute_query(
        "MATCH (p:Person)-[r:LEADER_OF]->(g:MilitantGroup {name: $group}) "
        "RETURN p.name AS leader, r.evidence AS evidence",
        group="Lashkar-e-Jhangvi",
    )
    leaders = {r["leader"]: r["evidence"] for r in records}
    assert "Malik Muhammad Ishaq" in leaders
    assert all(leaders.values())


def _scores_in(driver: Any) -> dict[str, dict[str, Any]]:
    """Every entity's properties other than the loader's own (the analytics scores)."""
    records, _, _ = driver.execute_query("MATCH (e:Entity) RETURN e.id AS id, properties(e) AS p")
    own = {"id", "name", "type", "aliases"}
    return {r["id"]: {k: v for k, v in r["p"].items() if k not in own} for r in records}


@pytest.mark.neo4j
def test_measures_beside_the_load_give_the_same_graph_scores_and_files(  # type: ignore[no-untyped-def]
    neo4j_db, tmp_path: Path
) -> None:
    """--jobs 2 computes the measures in a side process while Neo4j loads, and writes
    the scores in the load's transaction: the same graph, scores and files as --jobs 1."""
    corpus = small_corpus(tmp_path)
    one = rebuild(RebuildOptions(corpus=corpus, out=tmp_path / "one", jobs=1), ONTOLOGY, neo4j_db)
    scores = _scores_in(neo4j_db)
    assert scores and all("pagerank" in values for values in scores.values())
    neo4j_db.execute_query("MATCH (n) DETACH DELETE n")
    two = rebuild(RebuildOptions(corpus=corpus, out=tmp_path / "two", jobs=2), ONTOLOGY, neo4j_db)
    assert "measures" in two.timings and "measures" not in one.timings
    assert two.neo4j_counts == one.neo4j_counts
    assert _scores_in(neo4j_db) == scores
    assert two.top_central == one.top_central
    for name in OUTPUT_FILES:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


@pytest.mark.neo4j
def test_failed_measures_beside_the_load_leave_the_old_graph(  # type: ignore[no-untyped-def]
    neo4j_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph_builder import analysis

    corpus = small_corpus(tmp_path)
    (corpus / "binladen-2011-05-02.txt").unlink()
    options = RebuildOptions(corpus=corpus, out=tmp_path / "out", jobs=2)
    rebuild(options, ONTOLOGY, neo4j_db)
    before = neo4j_db.execute_query("MATCH (n) RETURN n.id AS id, properties(n) AS p").records
    shutil.copy(SAMPLE_CORPUS / "binladen-2011-05-02.txt", corpus)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a measure failed")

    monkeypatch.setattr(analysis, "compute_metrics", broken)  # the side process forks it
    with pytest.raises(RuntimeError, match="a measure failed"):
        rebuild(options, ONTOLOGY, neo4j_db)
    after = neo4j_db.execute_query("MATCH (n) RETURN n.id AS id, properties(n) AS p").records
    assert sorted(map(str, after)) == sorted(map(str, before))


def test_a_failed_load_beside_the_measures_still_writes_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph_builder import neo4j_load

    def refused(*args: Any, **kwargs: Any) -> None:
        raise Neo4jUnavailable("the server went away")

    monkeypatch.setattr(neo4j_load, "load_graph", refused)  # no server: the load never starts
    out = tmp_path / "out"
    options = RebuildOptions(corpus=small_corpus(tmp_path), out=out, jobs=2)
    with pytest.raises(Neo4jUnavailable, match="went away"):
        rebuild(options, ONTOLOGY, driver=object())  # type: ignore[arg-type]
    assert [name for name in OUTPUT_FILES if not (out / name).is_file()] == []


@pytest.mark.neo4j
def test_an_export_that_cannot_start_fails_the_rebuild_not_the_load(  # type: ignore[no-untyped-def]
    neo4j_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph_builder import sidework

    start = sidework.SideWorks.start

    def no_fork_for_the_graph_files(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "export":
            raise OSError(errno.EAGAIN, "cannot fork")
        return start(self, name, *args, **kwargs)

    monkeypatch.setattr(sidework.SideWorks, "start", no_fork_for_the_graph_files)
    options = RebuildOptions(corpus=small_corpus(tmp_path), out=tmp_path / "out", jobs=2)
    with pytest.raises(OSError, match="cannot fork"):
        rebuild(options, ONTOLOGY, neo4j_db)
    scores = _scores_in(neo4j_db)  # the load went through, with its scores
    assert scores and all("pagerank" in values for values in scores.values())


def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("ishaq-2015-07-29.txt", "binladen-2011-05-02.txt"):
        shutil.copy(SAMPLE_CORPUS / name, corpus)
    return corpus


def by_doc(out: Path) -> dict[str, list[str]]:
    docs: dict[str, list[str]] = {}
    for s in statements_of(out):
        docs.setdefault(str(s["doc_id"]), []).append(json.dumps(s, sort_keys=True))
    return {k: sorted(v) for k, v in docs.items()}


def test_changed_article_changes_exactly_its_statements(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    out = tmp_path / "out"
    rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    before = by_doc(out)
    article = corpus / "binladen-2011-05-02.txt"
    article.write_text(
        article.read_text() + "\n\nPolice said Abu Hamza, a member of al-Qaeda, was arrested.\n"
    )
    result = rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    after = by_doc(out)
    assert result.cached_documents == 1
    assert after["ishaq-2015-07-29"] == before["ishaq-2015-07-29"]
    assert after["binladen-2011-05-02"] != before["binladen-2011-05-02"]
    assert any("Abu Hamza" in s for s in after["binladen-2011-05-02"])

    article.unlink()
    rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    assert set(by_doc(out)) == {"ishaq-2015-07-29"}
    assert "binladen-2011-05-02" not in (out / "graph.trig").read_text()


def test_extractor_version_change_invalidates_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graph_builder.extract as extract

    corpus = small_corpus(tmp_path)
    out = tmp_path / "out"
    assert rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY).cached_documents == 0
    assert rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY).cached_documents == 2
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", extract.EXTRACTOR_VERSION + "-next")
    assert rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY).cached_documents == 0
    assert rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY).cached_documents == 2
    # an edited gazetteer or confidence table, or another spaCy model, re-extracts too
    monkeypatch.setattr(extract, "inputs_digest", lambda: "0123456789ab")
    assert rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY).cached_documents == 0


def test_the_extraction_key_follows_the_data_files_and_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph_builder.extract import extractor

    gazetteer, confidence = tmp_path / "gazetteer.json", tmp_path / "confidence.json"
    gazetteer.write_bytes(extractor.DEFAULT_GAZETTEER.read_bytes())
    confidence.write_bytes(extractor.DEFAULT_CONFIDENCE.read_bytes())
    shipped = extractor.inputs_digest()
    assert extractor.inputs_digest(gazetteer, confidence) == shipped  # content, not place
    gazetteer.write_bytes(gazetteer.read_bytes().replace(b"Lashkar", b"Lashkaar", 1))
    assert extractor.inputs_digest(gazetteer, confidence) != shipped
    assert extractor.inputs_digest(extractor.DEFAULT_GAZETTEER, gazetteer) != shipped
    monkeypatch.setattr(extractor, "_installed", lambda name: "9.9.9")
    assert extractor.inputs_digest() != shipped


def test_control_characters_in_an_article_become_spaces_and_rebuild_twice(
    tmp_path: Path,
) -> None:
    """A form feed or vertical tab (PDF and OCR text) used to reach the statements, which
    refused it, and the second rebuild then failed on its own cache file."""
    corpus = small_corpus(tmp_path)
    article = corpus / "ishaq-2015-07-29.txt"
    clean = article.read_text()
    first_space = clean.index(" ")
    article.write_text(clean[:first_space] + "\x0b" + clean[first_space + 1 :] + "\x0c\n")
    out = tmp_path / "out"
    first = rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    statements = by_doc(out)
    second = rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    assert (first.cached_documents, second.cached_documents) == (0, 2)
    assert not first.rejected and not second.rejected
    assert by_doc(out) == statements
    evidence = [json.loads(s)["evidence"] for s in statements["ishaq-2015-07-29"]]
    assert evidence and not any("\x0b" in e or "\x0c" in e for e in evidence)

    article.write_text(clean)  # the same text but for two spaces: the same statements
    rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    assert by_doc(out) == statements


def test_a_damaged_extraction_cache_file_is_extracted_again(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    out = tmp_path / "out"
    rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    statements = by_doc(out)
    damaged = sorted((out / "cache" / "extract").glob("*.cache"))[0]
    damaged.write_text('{"subject": "broken\n')
    result = rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    assert result.cached_documents == 1
    assert by_doc(out) == statements
    assert damaged.read_text() != '{"subject": "broken\n'  # rewritten by the extraction


def test_an_extraction_cache_of_the_previous_format_is_read_not_extracted_again(
    tmp_path: Path,
) -> None:
    """Cache files of the previous code (plain statements JSONL) serve, checked, and are
    replaced by files of this format; a rebuild from them is the same as from these."""
    from graph_builder.extract_cache import PREVIOUS_SUFFIX

    corpus = small_corpus(tmp_path)
    out = tmp_path / "out"
    rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    statements = by_doc(out)
    files = sorted((out / "cache" / "extract").glob("*.cache"))
    for path in files:
        write_statements(json_statements(path), path.with_suffix(PREVIOUS_SUFFIX))
        path.unlink()
    result = rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    assert result.cached_documents == 2 and by_doc(out) == statements
    assert sorted((out / "cache" / "extract").iterdir()) == files  # upgraded in place


def json_statements(path: Path) -> list[Statement]:

    return [trusted_statement(row) for row in json.loads(path.read_text().split("\n", 1)[1])]


def test_new_articles_go_to_workers_started_before_the_cache_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --jobs 2, one new article beside cached ones is extracted by a worker
    process started before the cached extractions are read (it loads spaCy meanwhile),
    never by the parent, and gives what one process gives."""
    import graph_builder.extract.nlp as nlp
    from graph_builder import pipeline
    from graph_builder.documents import find_articles, read_documents
    from graph_builder.extract.extractor import Extractor
    from graph_builder.extract_cache import Pack

    docs, _ = read_documents(find_articles([small_corpus(tmp_path)]))
    expected = pipeline.extract_with_cache(docs, ONTOLOGY, tmp_path / "one", jobs=1)
    out = tmp_path / "two"
    pipeline.extract_with_cache(docs[:1], ONTOLOGY, out, jobs=1)  # the first is cached
    calls: list[str] = []
    read_cache, start, take = pipeline.read_cache, Extractor.start, Pack.take

    def parent_parse() -> None:
        raise AssertionError("the parent process loaded spaCy")

    def reading(*args: Any) -> Any:
        calls.append("read")
        return read_cache(*args)

    def taking(self: Pack, path: Path) -> Any:
        found = take(self, path)
        if found is not None:  # a cached extraction read from the pack
            calls.append("read")
        return found

    def starting(self: Extractor, *args: Any, **kwargs: Any) -> Any:
        calls.append("start")
        return start(self, *args, **kwargs)

    monkeypatch.setattr(nlp, "load_spacy", parent_parse)  # spawned workers import afresh
    monkeypatch.setattr(pipeline, "read_cache", reading)
    monkeypatch.setattr(Pack, "take", taking)
    monkeypatch.setattr(Extractor, "start", starting)
    two = pipeline.extract_with_cache(docs, ONTOLOGY, out, jobs=2)
    assert calls == ["start", "read", "read"]
    assert two.cached == 1 and expected.cached == 0
    assert two.statements == expected.statements and two.statements


def test_refused_extractions_are_reported_on_every_rebuild_and_never_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement the schema refuses is not cached: a cache file must read back clean,
    and the refusal must be reported by the next rebuild too."""
    from graph_builder.extract.extractor import Extractions, Extractor

    original = Extractor.start

    def one_bad_date(self, docs, jobs, batch_size=16, warm=None):  # type: ignore[no-untyped-def]
        def altered():  # type: ignore[no-untyped-def]
            for doc, found in original(self, docs, jobs, batch_size, warm):
                if doc.doc_id == "ishaq-2015-07-29":
                    found = [replace(found[0], date="2015-13-45"), *found[1:]]
                yield doc, found

        return Extractions(altered())

    monkeypatch.setattr(Extractor, "start", one_bad_date)
    corpus = small_corpus(tmp_path)
    out = tmp_path / "out"
    options = RebuildOptions(corpus=corpus, out=out, prune=True)
    first = rebuild(options, ONTOLOGY)
    second = rebuild(options, ONTOLOGY)
    assert second.cached_documents == 1  # binladen only
    for result in (first, second):
        assert [r.statement.doc_id for r in result.rejected] == ["ishaq-2015-07-29"]
        assert "ISO date" in result.rejected[0].reason
    with pytest.raises(ValidationError, match="ISO date"):
        rebuild(replace(options, prune=False), ONTOLOGY)


def test_two_files_with_the_same_text_each_keep_their_own_statements(tmp_path: Path) -> None:
    """The extraction cache is keyed by text: the second file's statements come from the
    first's entry, re-stamped with its own id, on every rebuild alike."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (SAMPLE_CORPUS / "ishaq-2015-07-29.txt").read_text()
    for name in ("copy-a.txt", "copy-b.txt"):
        (corpus / name).write_text(text)
    out = tmp_path / "out"
    first = rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    statements = by_doc(out)
    second = rebuild(RebuildOptions(corpus=corpus, out=out), ONTOLOGY)
    assert second.cached_documents == 2 and by_doc(out) == statements
    assert not first.rejected and not second.rejected
    a, b = statements["copy-a"], statements["copy-b"]
    assert a and [s.replace('"copy-a"', '"copy-b"') for s in a] == b


def test_metrics_that_cannot_reach_one_early_writer_still_reach_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph_builder import neo4j_load, sidework

    def load_asking_for_the_scores(*args: Any, scores: Any, **kwargs: Any) -> Any:
        scores()
        return neo4j_load.LoadSummary(0, 0, 0, 0, batches=0, seconds=0.0)

    monkeypatch.setattr(neo4j_load, "load_graph", load_asking_for_the_scores)
    monkeypatch.setattr(neo4j_load, "graph_counts", lambda *args, **kwargs: (0, 0))
    give = sidework.Inbox.give
    calls: list[int] = []

    def no_space_the_first_time(self: Any, value: Any) -> None:
        calls.append(1)
        if len(calls) == 1:  # the graph files' writer: it is given the metrics first
            self.close()
            raise OSError(errno.ENOSPC, "No space left on device")
        give(self, value)

    monkeypatch.setattr(sidework.Inbox, "give", no_space_the_first_time)
    out = tmp_path / "out"
    options = RebuildOptions(corpus=small_corpus(tmp_path), out=out, jobs=2)
    with pytest.raises(OSError, match="No space left"):
        rebuild(options, ONTOLOGY, driver=object())  # type: ignore[arg-type]
    assert len(calls) == 2
    assert (out / "report.html").is_file() and (out / "metrics.csv").is_file()
    assert not (out / "graph.graphml").exists() and not list(out.glob("*.tmp"))


def test_the_report_is_laid_out_with_the_rebuilds_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`seed` drives the layout too, as `milgraph report --seed` does."""
    from graph_builder import report
    from graph_builder.pipeline import build_graph
    from graph_builder.statements import read_statements

    seeds: list[int] = []
    layout = report.layout

    def recorded(G: Any, seed: int = 42) -> Any:
        seeds.append(seed)
        return layout(G, seed)

    monkeypatch.setattr(report, "layout", recorded)
    ontology = load_ontology()
    statements = read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ontology)
    options = RebuildOptions(out=tmp_path / "out", jobs=1, seed=7)  # inline: recorded here
    build_graph(statements, [], options, ontology)
    assert seeds and set(seeds) == {7}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_rebuild_says_how_its_scores_were_obtained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """Above its size threshold betweenness is sampled: the rebuild's summary and its
    report say so, with the error bound (the threshold is lowered here below the size of
    the sample corpus's graph)."""
    from functools import partial

    from graph_builder import analysis

    sampled = partial(analysis.betweenness, exact_max=5, samples=8)
    monkeypatch.setattr(analysis, "betweenness", sampled)
    result = rebuild(RebuildOptions(corpus=SAMPLE_CORPUS, out=tmp_path, jobs=jobs), ONTOLOGY)
    [note] = [n for n in result.notes if n.startswith("betweenness:")]
    assert "estimated from 8 sampled sources; every value is within ±" in note
    assert "with probability 95%" in note
    assert any(n.startswith("closeness: ") for n in result.notes)
    assert note in (tmp_path / "report.html").read_text(encoding="utf-8")
