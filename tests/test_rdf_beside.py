"""With --jobs >= 2 the RDF is built by a side process while the rebuild reads the graph
from the records the RDF is made of: the same files and graph as building it inline, and
whenever the RDF reads back otherwise or breaks a shape, the rebuild builds it itself."""

from __future__ import annotations

import dataclasses
import multiprocessing
from pathlib import Path

import pytest

from graph_builder import pipeline, rdf, rdf_fragments, sidework, validate
from graph_builder.config import DEFAULT_BASE_IRI, SAMPLE_CORPUS
from graph_builder.errors import ValidationError
from graph_builder.model import DocumentInfo
from graph_builder.ontology import Ontology
from graph_builder.pipeline import OUTPUT_FILES, RebuildOptions, RebuildResult, build_graph
from graph_builder.resolve import resolve
from graph_builder.statements import Statement, read_statements

needs_fork = pytest.mark.skipif(not sidework.can_fork(), reason="no safe fork on this platform")


@pytest.fixture(scope="module")
def curated(ontology: Ontology) -> list[Statement]:
    return read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ontology)


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUT_FILES}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith((".early", ".tmp")))


def count_inline_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Calls of the rebuild's own (inline) RDF build, counted in this process."""
    calls: list[int] = []
    original = pipeline._validated_rdf

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_validated_rdf", counted)
    return calls


def both(
    statements: list[Statement], ontology: Ontology, root: Path, **options: object
) -> tuple[RebuildResult, RebuildResult]:
    inline = build_graph(
        statements, [], RebuildOptions(out=root / "one", jobs=1, **options), ontology
    )
    beside = build_graph(
        statements, [], RebuildOptions(out=root / "two", jobs=2, **options), ontology
    )
    return inline, beside


@needs_fork
def test_the_rdf_built_beside_gives_the_files_of_an_inline_build(
    tmp_path: Path, ontology: Ontology, curated: list[Statement], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_inline_builds(monkeypatch)
    inline, beside = both(curated, ontology, tmp_path)
    assert calls == [1]  # the inline rebuild's only: the other one took the side process's
    assert "rdf_check" in beside.timings
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert (beside.statements, beside.relations) == (inline.statements, inline.relations)
    assert leftovers(tmp_path / "two") == []
    assert multiprocessing.active_children() == []

    again = build_graph(curated, [], RebuildOptions(out=tmp_path / "two", jobs=2), ontology)
    # ... and from its cache
    assert again.cached_fragments == len({s.doc_id for s in curated}) and calls == [1]
    assert outputs(tmp_path / "two") == outputs(tmp_path / "one")


@needs_fork
def test_rdf_that_reads_back_otherwise_is_built_again_inline(
    tmp_path: Path, ontology: Ontology, curated: list[Statement], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An int confidence reads back from the RDF as a float: the graph read from the
    records is not the RDF's, so the rebuild builds the RDF and reads the graph itself."""
    odd = [dataclasses.replace(curated[0], confidence=1), *curated[1:]]
    calls = count_inline_builds(monkeypatch)
    inline, beside = both(odd, ontology, tmp_path)
    assert calls == [1, 1] and "rdf_check" in beside.timings
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert leftovers(tmp_path / "two") == []


@needs_fork
def test_a_failed_rdf_side_process_fails_the_rebuild_and_keeps_the_old_files(
    tmp_path: Path, ontology: Ontology, curated: list[Statement], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build_graph(curated[1:], [], RebuildOptions(out=out, jobs=2), ontology)
    before = outputs(out)

    def disk_full(self: rdf_fragments.RdfBuild, path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(rdf_fragments.RdfBuild, "write_trig", disk_full)  # (in the child)
    with pytest.raises(OSError, match="No space left"):
        build_graph(curated, [], RebuildOptions(out=out, jobs=2), ontology)
    assert outputs(out) == before  # nothing of the failed rebuild replaced a file
    assert leftovers(out) == [] and multiprocessing.active_children() == []


@needs_fork
def test_without_a_fork_for_the_rdf_it_is_built_inline(
    tmp_path: Path, ontology: Ontology, curated: list[Statement], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sidework.SideWorks.start

    def no_fork_for_rdf(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "rdf_check":
            raise OSError(12, "Cannot allocate memory")
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(sidework.SideWorks, "start", no_fork_for_rdf)
    calls = count_inline_builds(monkeypatch)
    inline, beside = both(curated, ontology, tmp_path)
    assert calls == [1, 1] and "rdf_check" not in beside.timings
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert beside.cached_fragments == 0


# A shape stricter than the statement schema, so that a statement passes the schema check
# and breaks a shape (the shapes file repeats what the schema check already refuses).
STRICTER = """
@prefix mg: <https://milgraph.org/ontology#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://milgraph.org/shapes#TestEvidence> a sh:PropertyShape ;
    sh:targetClass mg:Assertion ; sh:path mg:evidence ; sh:pattern "^[^#]*$" ;
    sh:message "test: evidence without a hash sign" .
"""


@needs_fork
def test_faults_found_beside_are_pruned_or_refused_inline(
    tmp_path: Path, ontology: Ontology, curated: list[Statement], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement that breaks a shape: the side process writes nothing, and the rebuild
    prunes the statement (--prune) or refuses the corpus, as inline."""
    original = validate.load_shapes

    def stricter(*args, **kwargs):  # type: ignore[no-untyped-def]
        return original(*args, **kwargs).parse(data=STRICTER, format="turtle")

    monkeypatch.setattr(validate, "load_shapes", stricter)
    assert all("#" not in s.evidence for s in curated)
    broken = dataclasses.replace(curated[0], evidence=curated[0].evidence + " #breaking")
    statements = [*curated, broken]
    calls = count_inline_builds(monkeypatch)
    inline, beside = both(statements, ontology, tmp_path, prune=True)
    assert calls == [1, 1]
    assert [r.statement.evidence for r in beside.rejected] == [broken.evidence]
    assert beside.rejected == inline.rejected
    assert "without a hash sign" in beside.rejected[0].reason
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")

    out = tmp_path / "strict"
    with pytest.raises(ValidationError, match="without a hash sign"):
        build_graph(statements, [], RebuildOptions(out=out, jobs=2), ontology)
    assert not (out / "graph.trig").exists() and leftovers(out) == []
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_pruning_rebuild_keeps_the_fragments_of_both_its_passes(
    tmp_path: Path,
    ontology: Ontology,
    curated: list[Statement],
    monkeypatch: pytest.MonkeyPatch,
    jobs: int,
) -> None:
    """The next rebuild looks both up again: the first pass's (with the fault) and the
    pruned document's of the second."""
    original = validate.load_shapes

    def stricter(*args, **kwargs):  # type: ignore[no-untyped-def]
        return original(*args, **kwargs).parse(data=STRICTER, format="turtle")

    monkeypatch.setattr(validate, "load_shapes", stricter)
    broken = dataclasses.replace(curated[0], evidence=curated[0].evidence + " #breaking")
    statements = [*curated, broken]
    documents = len({s.doc_id for s in statements})
    options = RebuildOptions(out=tmp_path / "out", prune=True, jobs=jobs)
    build_graph(statements, [], options, ontology)
    cache = tmp_path / "out" / "cache" / "rdf"
    kept = {p.name for p in cache.rglob("*.frag")}
    assert len(kept) == documents + 1  # the faulty document's, before and after pruning
    again = build_graph(statements, [], options, ontology)
    assert again.cached_fragments == documents
    assert {p.name for p in cache.rglob("*.frag")} == kept


def documents_of(statements: tuple[Statement, ...]) -> list[DocumentInfo]:
    return [DocumentInfo(i, title=f"t {i}") for i in sorted({s.doc_id for s in statements})]


def test_reads_back_as_tells_the_records_the_rdf_gives(
    ontology: Ontology, curated: list[Statement]
) -> None:
    res = resolve(curated, ontology)
    first, *rest = res.statements
    first = dataclasses.replace(first, confidence=1.0, span=(3, 9))
    res = dataclasses.replace(res, statements=(first, *rest))
    docs = documents_of(res.statements)
    built = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, None)
    entities = rdf.dataset_entities(res, DEFAULT_BASE_IRI)
    assert built.reads_back_as(entities, docs, res.statements)
    assert built.reads_back_as(entities, reversed(docs), reversed(res.statements))
    assert built.graph_data(ontology) == rdf.assemble_graph_data(
        entities, {d.id: d for d in docs}, res.statements, ontology
    )

    renamed = {
        **entities,
        first.subject_id: dataclasses.replace(entities[first.subject_id], name="X"),
    }
    retitled = [dataclasses.replace(docs[0], title="other"), *docs[1:]]
    for records in (
        (renamed, docs, res.statements),
        (entities, retitled, res.statements),
        (entities, docs[1:], res.statements),
        (entities, docs, rest),
        (entities, docs, [dataclasses.replace(first, evidence="other"), *rest]),
        (entities, docs, [dataclasses.replace(first, confidence=1), *rest]),  # 1 == 1.0
        (entities, docs, [dataclasses.replace(first, span=(3.0, 9.0)), *rest]),
        (entities, docs, [*res.statements, dataclasses.replace(first, doc_id="nowhere")]),
    ):
        assert not built.reads_back_as(*records)
