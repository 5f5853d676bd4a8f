"""SHACL validation: bad statements are caught and traced to their document."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH
from typer.testing import CliRunner

from graph_builder.cli import app
from graph_builder.config import SAMPLE_CORPUS
from graph_builder.gold import gold_statements
from graph_builder.model import DocumentInfo
from graph_builder.ontology import MG, Ontology
from graph_builder.rdf import assertion_iri, build_dataset, doc_iri, graph_iri, write_dataset
from graph_builder.resolve import Resolution, load_alias_table, resolve
from graph_builder.statements import Statement
from graph_builder.validate import (
    DEFAULT_SHAPES,
    MGSH,
    _RecordStore,
    load_shapes,
    predicate_shapes,
    shape_iri,
    validate_dataset,
    validate_graph,
    validate_records,
)

BASE = "https://milgraph.org/id/"


@pytest.fixture(scope="module")
def gold(ontology: Ontology) -> Resolution:
    statements = [
        s
        for path in sorted(SAMPLE_CORPUS.glob("*.gold.json"))
        for s in gold_statements(path, ontology)
    ]
    return resolve(statements, ontology, aliases=load_alias_table(ontology=ontology))


@pytest.fixture(scope="module")
def shapes(ontology: Ontology) -> Graph:
    return load_shapes(ontology)


def bad(**kw: object) -> Statement:
    """A statement built directly, bypassing the reader's checks."""
    fields: dict[str, object] = {
        "doc_id": "ishaq-2015-07-29",
        "subject": "Multan",
        "subject_type": "Location",
        "predicate": "leader_of",
        "object": "Malik Muhammad Ishaq",
        "object_type": "Person",
        "evidence": "Multan leads Ishaq.",
        "span": (10, 29),
        "modality": "asserted",
        "confidence": 0.9,
    }
    fields.update(kw)
    return Statement(**fields)  # type: ignore[arg-type]


def test_gold_corpus_validates_clean(gold: Resolution, ontology: Ontology, shapes: Graph) -> None:
    docs = [
        DocumentInfo(p.stem, title=p.stem, date="2015-07-29", content_hash="0" * 64)
        for p in SAMPLE_CORPUS.glob("*.txt")
    ]
    assert validate_dataset(build_dataset(gold, docs, ontology), ontology, shapes) == []


def test_location_leading_a_person_is_rejected_with_its_document(
    gold: Resolution, ontology: Ontology, shapes: Graph
) -> None:
    wrong = bad()
    res = resolve([*gold.statements, wrong], ontology)
    violations = validate_dataset(build_dataset(res, [], ontology), ontology, shapes)
    resolved = next(
        s for s in res.statements if s.subject == "Multan" and s.predicate == "leader_of"
    )
    assert {(v.statement_id, v.doc_id, v.span) for v in violations} == {
        (resolved.statement_id, "ishaq-2015-07-29", (10, 29))
    }
    assert sorted(v.message for v in violations) == [
        "leader_of links Person -> MilitantGroup; the object has another type "
        "(got Location -> Person)",
        "leader_of links Person -> MilitantGroup; the subject has another type "
        "(got Location -> Person)",
    ]
    v = violations[0]
    assert v.evidence == "Multan leads Ishaq."
    assert v.describe().startswith("ishaq-2015-07-29 [10:29] s-")


@pytest.mark.parametrize(
    ("statement", "fragment"),
    [
        (
            bad(
                subject="Malik Ishaq",
                subject_type="Person",
                object="LeJ",
                object_type="MilitantGroup",
                confidence=1.5,
            ),
            "confidence must be one decimal in [0, 1]",
        ),
        (
            bad(
                subject="Malik Ishaq",
                subject_type="Person",
                object="LeJ",
                object_type="MilitantGroup",
                date="2015-02-31",
            ),
            "date must be an xsd:date",
        ),
        (
            bad(
                subject="Malik Ishaq",
                subject_type="Person",
                object="LeJ",
                object_type="MilitantGroup",
                modality="rumoured",
            ),
            "modality",
        ),
        (
            bad(
                subject="Malik Ishaq",
                subject_type="Person",
                object="Hakimullah",
                object_type="Person",
                predicate="linked_to",
            ),
            "linked_to links MilitantGroup|Person <-> MilitantGroup",
        ),
        (
            bad(
                subject="Malik Ishaq",
                subject_type="Person",
                object="LeJ",
                object_type="MilitantGroup",
                span=(30, 10),
            ),
            "span start",
        ),
    ],
)
def test_each_kind_of_bad_statement_is_named(
    statement: Statement, fragment: str, ontology: Ontology, shapes: Graph
) -> None:
    res = resolve([statement], ontology)
    violations = validate_dataset(build_dataset(res, [], ontology), ontology, shapes)
    assert violations, fragment
    assert all(v.doc_id == "ishaq-2015-07-29" and v.statement_id for v in violations)
    assert any(fragment in v.message for v in violations), [v.message for v in violations]


def test_symmetric_predicates_accept_either_direction(ontology: Ontology, shapes: Graph) -> None:
    ok = bad(
        subject="LeJ",
        subject_type="MilitantGroup",
        predicate="linked_to",
        object="Malik Ishaq",
        object_type="Person",
    )
    assert (
        validate_dataset(build_dataset(resolve([ok], ontology), [], ontology), ontology, shapes)
        == []
    )


def test_missing_evidence_and_document_are_reported(ontology: Ontology, shapes: Graph) -> None:
    good = bad(
        subject="Malik Ishaq", subject_type="Person", object="LeJ", object_type="MilitantGroup"
    )
    ds = build_dataset(resolve([good], ontology), [], ontology)
    prov = ds.graph(graph_iri(BASE, "provenance"))
    node = assertion_iri(BASE, resolve([good], ontology).statements[0].statement_id)
    prov.remove((node, MG.evidence, None))
    prov.add((node, MG.confidence, Literal("0.5")))  # a second, string-typed confidence
    messages = [v.message for v in validate_dataset(ds, ontology, shapes)]
    assert any("evidence sentence" in m for m in messages)
    assert any("confidence" in m for m in messages)


def test_shapes_file_matches_the_ontology(ontology: Ontology) -> None:
    in_file = Graph().parse(DEFAULT_SHAPES, format="turtle")
    generated = predicate_shapes(ontology)
    shapes = {s for s in generated.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}
    assert {shape_iri(p) for p in ontology.predicates.values()} <= shapes
    assert MGSH.linkedToObjectOfPersonShape in shapes  # symmetric, domain != range
    for shape in shapes:
        assert (shape, None, None) in in_file, f"{shape} missing: regenerate ontology/shapes.ttl"
        assert isomorphic(in_file.cbd(shape), generated.cbd(shape)), f"{shape} is out of date"


def test_a_new_predicate_is_checked_without_code(ontology: Ontology, tmp_path: Path) -> None:
    from graph_builder.ontology import load_ontology

    extended = tmp_path / "milgraph.ttl"
    extended.write_text(
        ontology.path.read_text(encoding="utf-8")
        + '\nmg:financedBy a owl:ObjectProperty, mg:Predicate ; rdfs:label "financed by" ;\n'
        "    rdfs:domain mg:MilitantGroup ; rdfs:range mg:Organization .\n",
        encoding="utf-8",
    )
    onto = load_ontology(extended)
    wrong = bad(
        predicate="financed_by",
        subject="Multan",
        subject_type="Location",
        object="LeJ",
        object_type="MilitantGroup",
    )
    right = bad(
        predicate="financed_by",
        subject="LeJ",
        subject_type="MilitantGroup",
        object="ISI",
        object_type="Organization",
    )
    violations = validate_dataset(build_dataset(resolve([wrong, right], onto), [], onto), onto)
    assert {v.message.split(" (got")[0] for v in violations} == {
        "financed_by links MilitantGroup -> Organization; the subject has another type",
        "financed_by links MilitantGroup -> Organization; the object has another type",
    }
    assert {v.statement_id for v in violations} == {
        resolve([wrong], onto).statements[0].statement_id
    }


def test_validate_command(gold: Resolution, ontology: Ontology, tmp_path: Path) -> None:
    runner = CliRunner()
    clean, dirty = tmp_path / "clean.trig", tmp_path / "dirty.trig"
    write_dataset(build_dataset(gold, [], ontology), clean)
    write_dataset(build_dataset(resolve([*gold.statements, bad()], ontology), [], ontology), dirty)
    ok = runner.invoke(app, ["validate", "--trig", str(clean)])
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output
    failed = runner.invoke(app, ["validate", "--trig", str(dirty)], terminal_width=200)
    assert failed.exit_code == 1
    assert "ishaq-2015-07-29 [10:29]" in failed.output
    assert "Multan leads Ishaq." in failed.output and "2 violation(s)" in failed.output


def test_record_store_yields_what_rdflib_stores_yield() -> None:
    """Every pattern finds the triples rdflib's SimpleMemory finds, in its order (and its
    default store's order, but for a full scan, which that store makes in hash order)."""
    import itertools

    a, b, c, p, q = (URIRef(f"urn:{x}") for x in "abcpq")
    x, one = Literal("x"), Literal("1", datatype=XSD.integer)
    triples = [(a, p, b), (a, p, x), (b, q, a), (c, p, x), (a, q, c), (a, p, b), (b, p, one)]
    ours = Graph(store=_RecordStore())
    ours.store.fill(triples[:3])  # type: ignore[attr-defined]
    for triple in triples[3:]:
        ours.add(triple)
    simple, default = Graph(store="SimpleMemory"), Graph()
    for graph in (simple, default):
        for triple in triples:
            graph.add(triple)
    terms = [None, a, b, c, p, q, x, one, URIRef("urn:absent")]
    for pattern in itertools.product(terms, repeat=3):
        found = list(ours.triples(pattern))  # type: ignore[arg-type]
        assert found == list(simple.triples(pattern)), pattern  # type: ignore[arg-type]
        in_default = list(default.triples(pattern))  # type: ignore[arg-type]
        assert found == in_default or (
            pattern == (None, None, None) and set(found) == set(in_default)
        )
    assert len(ours) == len(default) == 6 and bool(ours)
    ours.remove((a, p, None))
    default.remove((a, p, None))
    assert set(ours) == set(default) and len(ours) == len(default) == 4
    assert (a, p, b) not in ours and (a, q, c) in ours


def test_records_are_validated_as_in_rdflib_default_store(
    gold: Resolution, ontology: Ontology, shapes: Graph
) -> None:
    """validate_records (its own store) finds what validating a plain rdflib graph finds,
    messages and order included, pyshacl's own messages too."""
    wrong = [
        bad(),
        bad(subject="Malik Ishaq", subject_type="Person", confidence=1.5, object="LeJ"),
        bad(subject="Malik Ishaq", subject_type="Person", date="2015-02-31", object="TTP"),
        bad(subject="Malik Ishaq", subject_type="Person", modality="rumoured", object="JeM"),
        bad(subject="Malik Ishaq", subject_type="Person", span=(30, 10), object="LeT"),
    ]
    ds = build_dataset(
        resolve([*gold.statements, *wrong], ontology),
        [DocumentInfo("ishaq-2015-07-29", title="t", content_hash="x" * 64)],
        ontology,
    )
    prov = ds.graph(graph_iri(BASE, "provenance"))
    document = doc_iri(BASE, "ishaq-2015-07-29")
    prov.add((document, MG.url, Literal("not typed")))  # no sh:message: pyshacl's own
    prov.add((document, URIRef("http://purl.org/dc/terms/title"), Literal("a second title")))
    triples = [(s, p, o) for s, p, o, _ in ds.quads((None, None, None, None))]
    plain = Graph()  # rdflib's default store
    plain.addN((s, p, o, plain) for s, p, o in [*triples, *ontology.graph])
    expected = validate_graph(plain, ontology, shapes)
    assert len(expected) >= 8
    assert any("mg:url" in v.message for v in expected)
    assert any("title" in v.message for v in expected)
    assert validate_records(triples, ontology, shapes) == expected


def test_a_blank_node_record_from_a_users_file_is_reported_not_a_crash(
    ontology: Ontology,
) -> None:
    """pyshacl looks a blank node's graph up through the store (a dataset a user wrote
    may have them); two titles on one document is a violation, said with its message."""
    from rdflib import Dataset

    ds = Dataset()
    ds.parse(
        data=(
            "@prefix mg: <https://milgraph.org/ontology#> .\n"
            "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
            "<https://example.org/g> { _:d1 a mg:Document ; mg:docId 'x' ;"
            " dcterms:title 'a', 'b' . }\n"
        ),
        format="trig",
    )
    found = validate_dataset(ds, ontology)
    assert found and any("title" in v.message.lower() or "title" in v.focus for v in found)
