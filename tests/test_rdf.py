"""The RDF dataset: named graphs per document, assertions, round trips, stable files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, Dataset, Literal, URIRef
from typer.testing import CliRunner

from graph_builder.cli import app
from graph_builder.config import PROJECT_ROOT, SAMPLE_CORPUS
from graph_builder.errors import InputError
from graph_builder.gold import gold_statements
from graph_builder.model import DocumentInfo
from graph_builder.ontology import MG, Ontology
from graph_builder.rdf import (
    build_dataset,
    dataset_statements,
    doc_iri,
    graph_data,
    merge_decisions,
    read_dataset,
    run_sparql,
    serialize_dataset,
    write_dataset,
)
from graph_builder.resolve import Resolution, load_alias_table, resolve
from graph_builder.statements import Statement

BASE = "https://milgraph.org/id/"
ALLEGED_QUERY = PROJECT_ROOT / "queries" / "sparql" / "alleged_statements.rq"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def stmt(doc: str, s: str, st_: str, p: str, o: str, ot: str, **kw: object) -> Statement:
    fields: dict[str, object] = {
        "evidence": f"{s} {p} {o} ({doc}).",
        "span": (0, 10),
        "modality": "asserted",
        "confidence": 0.8,
    }
    fields.update(kw)
    return Statement(doc, s, st_, p, o, ot, **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gold(ontology: Ontology) -> tuple[Resolution, list[DocumentInfo]]:
    statements = [
        s
        for path in sorted(SAMPLE_CORPUS.glob("*.gold.json"))
        for s in gold_statements(path, ontology)
    ]
    docs = [
        DocumentInfo(
            id=p.name.removesuffix(".txt"),
            title=f"title {p.stem}",
            date="2015-07-29",
            source="Dawn",
            url=f"https://example.org/{p.stem}",
            content_hash="ab" * 32,
        )
        for p in sorted(SAMPLE_CORPUS.glob("*.txt"))
    ]
    return resolve(statements, ontology, aliases=load_alias_table(ontology=ontology)), docs


def key(s: Statement) -> str:
    return s.statement_id


def test_one_named_graph_per_document_with_its_facts(ontology: Ontology) -> None:
    statements = [
        stmt("a", "Malik Ishaq", "Person", "leader_of", "Lashkar-e-Jhangvi", "MilitantGroup"),
        stmt(
            "b",
            "Malik Ishaq",
            "Person",
            "leader_of",
            "Lashkar-e-Jhangvi",
            "MilitantGroup",
            modality="reported",
            attributed_to="police",
        ),
        stmt(
            "c",
            "Malik Ishaq",
            "Person",
            "leader_of",
            "Lashkar-e-Jhangvi",
            "MilitantGroup",
            modality="alleged",
        ),
        stmt(
            "c",
            "Malik Ishaq",
            "Person",
            "member_of",
            "al-Qaeda",
            "MilitantGroup",
            modality="denied",
        ),
    ]
    res = resolve(statements, ontology)
    ds = build_dataset(res, [DocumentInfo("a", title="A", date="2015-07-29")], ontology)
    ids = {e.name: URIRef(e.id) for e in res.entities.values()}
    person, lej, aq = ids["Malik Ishaq"], ids["Lashkar-e-Jhangvi"], ids["al-Qaeda"]
    for doc in "abc":
        assert (person, MG.leaderOf, lej) in ds.graph(doc_iri(BASE, doc))
    # a denied statement is an assertion but never a fact
    assert not any(ds.quads((person, MG.memberOf, aq, None)))
    assertions = {s for s, _, _, _ in ds.quads((None, RDF.type, MG.Assertion, None))}
    assert len(assertions) == 4
    data = graph_data(ds, ontology)
    (relation,) = data.relations  # three sources, one relation; the denial is no edge
    assert relation.predicate == "leader_of" and relation.n_sources == 3
    assert [s.doc_id for s in relation.support] == ["a", "b", "c"]
    assert relation.modality == "asserted"
    assert relation.support[1].attributed_to == "police"
    assert ("c", str(aq)) in data.mentions  # mentioned, even if only to be denied
    assert data.documents["a"].title == "A" and data.documents["b"].title is None


def test_symmetric_relations_have_one_direction(ontology: Ontology) -> None:
    res = resolve(
        [
            stmt(
                "a", "Lashkar-e-Jhangvi", "MilitantGroup", "linked_to", "al-Qaeda", "MilitantGroup"
            ),
            stmt(
                "b", "al-Qaeda", "MilitantGroup", "linked_to", "Lashkar-e-Jhangvi", "MilitantGroup"
            ),
            stmt("b", "Lashkar-e-Jhangvi", "MilitantGroup", "linked_to", "Malik Ishaq", "Person"),
        ],
        ontology,
    )
    data = graph_data(build_dataset(res, [], ontology), ontology)
    pairs = sorted((r.subject_id, r.object_id, len(r.support)) for r in data.relations)
    assert len(pairs) == 2
    group_pair = next(p for p in pairs if p[2] == 2)
    assert group_pair[0] < group_pair[1]


def test_gold_round_trip_and_formats(
    gold: tuple[Resolution, list[DocumentInfo]], ontology: Ontology, tmp_path: Path
) -> None:
    res, docs = gold
    ds = build_dataset(res, docs, ontology)
    expected = sorted(res.statements, key=key)
    assert sorted(dataset_statements(ds, ontology), key=key) == expected
    quads = set(ds.quads((None, None, None, None)))
    for fmt, suffix in (("trig", ".trig"), ("nquads", ".nq"), ("jsonld", ".jsonld")):
        path = tmp_path / f"graph{suffix}"
        write_dataset(ds, path, fmt)
        again = read_dataset(path)
        assert set(again.quads((None, None, None, None))) == quads, fmt
        assert sorted(dataset_statements(again, ontology), key=key) == expected, fmt
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave nothing behind
    assert sorted(
        merge_decisions(read_dataset(tmp_path / "graph.trig")),
        key=lambda d: (d.entity_id, d.rule, d.merged, d.reason),
    ) == sorted(set(res.merges), key=lambda d: (d.entity_id, d.rule, d.merged, d.reason))


def test_trig_is_byte_identical_for_the_same_input(
    gold: tuple[Resolution, list[DocumentInfo]], ontology: Ontology
) -> None:
    res, docs = gold
    first = serialize_dataset(build_dataset(res, docs, ontology))
    reordered = Resolution(
        tuple(reversed(res.statements)), res.entities, tuple(reversed(res.merges))
    )
    assert serialize_dataset(build_dataset(reordered, list(reversed(docs)), ontology)) == first
    for fmt in ("nquads", "jsonld"):
        assert serialize_dataset(build_dataset(res, docs, ontology), fmt) == serialize_dataset(
            build_dataset(reordered, docs, ontology), fmt
        )


def test_documents_carry_metadata(
    gold: tuple[Resolution, list[DocumentInfo]], ontology: Ontology
) -> None:
    res, docs = gold
    data = graph_data(build_dataset(res, docs, ontology), ontology)
    assert data.documents == {d.id: d for d in docs}


def test_entity_iris_follow_the_base(ontology: Ontology) -> None:
    base = "http://example.org/kg/"
    res = resolve(
        [stmt("a", "Malik Ishaq", "Person", "leader_of", "LeJ", "MilitantGroup")],
        ontology,
        base_iri=base,
    )
    ds = build_dataset(res, [], ontology, base_iri=base)
    data = graph_data(ds, ontology)
    assert set(data.entities) == {base + "person/malik-ishaq", base + "militant-group/lej"}
    assert any(ds.quads((None, None, None, URIRef(base + "doc/a"))))


def test_write_is_atomic_and_bad_files_are_reported(ontology: Ontology, tmp_path: Path) -> None:
    path = tmp_path / "graph.trig"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(InputError, match="unknown RDF format 'xml'"):
        write_dataset(Dataset(), path, "xml")
    assert path.read_text(encoding="utf-8") == "old"
    with pytest.raises(InputError, match="not valid trig"):
        read_dataset(path)
    with pytest.raises(InputError, match="not found"):
        read_dataset(tmp_path / "missing.trig")


def test_json_ld_with_inline_context_reads(tmp_path: Path) -> None:
    path = tmp_path / "inline.jsonld"
    path.write_text(
        json.dumps({"@context": {"@vocab": "urn:v:"}, "@id": "urn:a", "name": "x"}),
        encoding="utf-8-sig",
    )
    assert {(str(s), str(p), str(o)) for s, p, o, _ in read_dataset(path).quads()} == {
        ("urn:a", "urn:v:name", "x")
    }


@pytest.mark.parametrize(
    "document",
    [
        {"@context": "{context}", "@id": "urn:a", "name": "x"},
        {"@context": [{"@vocab": "urn:v:"}, "{context}"], "@id": "urn:a", "name": "x"},
        {"@graph": [{"@context": "{context}", "@id": "urn:a", "name": "x"}]},
        {"@context": {"@import": "{context}"}, "@id": "urn:a", "name": "x"},
        {"@context": {"t": {"@id": "urn:t", "@context": "{context}"}}, "@id": "urn:a"},
    ],
    ids=["top", "in-list", "nested-node", "import", "scoped"],
)
def test_json_ld_naming_a_context_to_fetch_is_refused(tmp_path: Path, document: dict) -> None:
    # A context rdflib would happily fetch: a local file (a URL works the same way).
    context = tmp_path / "context.jsonld"
    context.write_text(json.dumps({"@context": {"@vocab": "urn:v:"}}), encoding="utf-8")
    path = tmp_path / "graph.jsonld"
    path.write_text(json.dumps(document).replace("{context}", context.as_uri()), encoding="utf-8")
    with pytest.raises(InputError, match="never fetches contexts") as error:
        read_dataset(path)
    assert error.value.path == str(path) and context.as_uri() in str(error.value)


def test_alleged_query_returns_every_alleged_statement(
    gold: tuple[Resolution, list[DocumentInfo]], ontology: Ontology
) -> None:
    res, docs = gold
    ds = build_dataset(res, docs, ontology)
    columns, rows = run_sparql(ds, ALLEGED_QUERY.read_text(encoding="utf-8"))
    assert columns[:5] == ["document", "subject", "predicate", "object", "evidence"]
    alleged = sorted(
        (s.doc_id, s.subject, s.object, s.evidence)
        for s in res.statements
        if s.modality == "alleged"
    )
    assert alleged  # the sample corpus has alleged statements
    assert sorted((str(r[0]), str(r[1]), str(r[3]), str(r[4])) for r in rows) == alleged
    with pytest.raises(InputError, match="SPARQL"):
        run_sparql(ds, "SELEKT nothing")


# ---------------------------------------------------------------- property test

NAMES = {
    "Person": [
        "Malik Muhammad Ishaq",
        "Ishaq",
        "Muhammad Usman",
        "Ḥāfiẓ Saʿīd",
        "Abdul Wali @ Omar",
    ],
    "MilitantGroup": [
        "Lashkar-e-Jhangvi",
        "Lashkar-i-Jhangvi",
        "LeJ",
        "al-Qaeda",
        "al-Qaida",
        "Islamic State",
        "ISIS",
    ],
    "Organization": ["US State Department", "State Department"],
    "Event": ["Shahwala Jungle shootout", "2008 Mumbai attacks"],
    "Location": ["Multan", "Lahore"],
}


@st.composite
def statements(draw: st.DrawFn, ontology: Ontology) -> Statement:
    predicate = ontology.predicates[draw(st.sampled_from(sorted(ontology.predicates)))]
    subject_type = draw(st.sampled_from(sorted(predicate.domain)))
    object_type = draw(st.sampled_from(sorted(predicate.range)))
    text = (
        st.text(
            st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
        )
        .map(str.strip)
        .filter(bool)
    )
    start = draw(st.integers(0, 1000))
    return Statement(
        doc_id=draw(st.sampled_from(["doc-a", "doc b", "doc/c"])),
        subject=draw(st.sampled_from(NAMES[subject_type])),
        subject_type=subject_type,
        predicate=predicate.name,
        object=draw(st.sampled_from(NAMES[object_type])),
        object_type=object_type,
        evidence=draw(text),
        span=draw(st.none() | st.just((start, start + draw(st.integers(0, 300))))),
        modality=draw(st.sampled_from(sorted(ontology.modalities))),
        confidence=draw(st.floats(0, 1, allow_nan=False)),
        attributed_to=draw(st.none() | text),
        role=draw(st.none() | st.sampled_from(["acting", "former", "deputy"])),
        link_kind=draw(st.none() | st.sampled_from(sorted(ontology.link_kinds))),
        date=draw(st.none() | st.sampled_from(["2015", "2015-07", "2015-07-29"])),
        extractor=draw(st.none() | st.just("rules-1")),
    )


def test_round_trip_property(ontology: Ontology, tmp_path_factory: pytest.TempPathFactory) -> None:
    aliases = load_alias_table(ontology=ontology)
    out = tmp_path_factory.mktemp("prop") / "graph.trig"

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(statements(ontology), min_size=1, max_size=12))
    def check(items: list[Statement]) -> None:
        res = resolve(items, ontology, aliases=aliases)
        write_dataset(build_dataset(res, [], ontology), out)
        back = dataset_statements(read_dataset(out), ontology)
        assert sorted(back, key=key) == sorted(res.statements, key=key)

    check()


# ---------------------------------------------------------------- CLI


def test_cli_stats_sparql_and_export(
    gold: tuple[Resolution, list[DocumentInfo]], ontology: Ontology, tmp_path: Path
) -> None:
    res, docs = gold
    trig = tmp_path / "graph.trig"
    write_dataset(build_dataset(res, docs, ontology), trig)
    runner = CliRunner()
    stats = runner.invoke(app, ["stats", "--trig", str(trig), "--merges"], terminal_width=200)
    assert stats.exit_code == 0, stats.output
    assert "documents: 7" in stats.output
    assert f"statements: {len(res.statements)}" in stats.output
    assert "Tehreek-e-Taliban Pakistan" in stats.output and "Merge decisions" in stats.output
    sparql = runner.invoke(app, ["sparql", str(ALLEGED_QUERY), "--trig", str(trig), "-f", "csv"])
    assert sparql.exit_code == 0, sparql.output
    n_alleged = sum(s.modality == "alleged" for s in res.statements)
    assert len(sparql.output.strip().splitlines()) >= n_alleged + 1
    nq = tmp_path / "graph.nq"
    export = runner.invoke(
        app, ["export", "rdf", "--format", "nquads", "-o", str(nq), "--trig", str(trig)]
    )
    assert export.exit_code == 0, export.output
    assert set(read_dataset(nq).quads((None, None, None, None))) == set(
        read_dataset(trig).quads((None, None, None, None))
    )


# ---------------------------------------------------------------- pyoxigraph reader and writer


def test_trig_is_read_by_rdflib_and_rdflib_trig_is_read_back(
    gold: tuple[Resolution, list[DocumentInfo]], ontology: Ontology, tmp_path: Path
) -> None:
    res, docs = gold
    ds = build_dataset(res, docs, ontology)
    quads = set(ds.quads((None, None, None, None)))
    ours = tmp_path / "ours.trig"
    write_dataset(ds, ours)
    by_rdflib = Dataset()
    by_rdflib.parse(ours, format="trig")  # a standard TriG parser reads what we write
    assert set(by_rdflib.quads((None, None, None, None))) == quads
    theirs = tmp_path / "theirs.trig"
    ds.serialize(theirs, format="trig")  # and we read TriG written by another tool
    assert set(read_dataset(theirs).quads((None, None, None, None))) == quads
    assert sorted(dataset_statements(read_dataset(theirs), ontology), key=key) == sorted(
        res.statements, key=key
    )


def test_trig_header_declares_only_used_prefixes(ontology: Ontology) -> None:
    res = resolve(
        [stmt("a", "Malik Ishaq", "Person", "leader_of", "LeJ", "MilitantGroup")], ontology
    )
    text = serialize_dataset(build_dataset(res, [], ontology)).decode("utf-8")
    header = [line for line in text.splitlines() if line.startswith("@prefix")]
    assert header == sorted(header)
    assert "@prefix person: <https://milgraph.org/id/person/> ." in header
    assert not any(line.startswith("@prefix location:") for line in header)  # no Location


def test_bad_trig_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "graph.trig"
    path.write_text("<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> .\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid trig") as error:
        read_dataset(path)
    assert error.value.path == str(path) and error.value.line == 2


def test_default_graph_and_typed_literals_round_trip(tmp_path: Path) -> None:
    ds = Dataset()
    ds.add((URIRef("urn:a"), URIRef("urn:b"), Literal("plain")))
    named = ds.graph(URIRef("urn:g"))
    for value in (
        Literal(1),
        Literal("chat", lang="fr"),
        Literal("2015-02-31", datatype=URIRef(XSD_DATE)),
    ):
        named.add((URIRef("urn:a"), URIRef("urn:b"), value))
    for fmt, suffix in (("trig", ".trig"), ("nquads", ".nq")):
        path = tmp_path / f"graph{suffix}"
        write_dataset(ds, path, fmt)
        assert set(read_dataset(path).quads((None, None, None, None))) == set(
            ds.quads((None, None, None, None))
        ), fmt


def test_triple_terms_are_refused_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "star.trig"
    path.write_text("<urn:a> <urn:b> <<( <urn:x> <urn:y> <urn:z> )>> .\n", encoding="utf-8")
    with pytest.raises(InputError, match="triple terms") as error:
        read_dataset(path)
    assert error.value.path == str(path)
