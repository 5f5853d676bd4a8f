"""The warm RDF stage's fast paths give what the plain code gives."""

from __future__ import annotations

import gc
import hashlib
import marshal
import pickle
from dataclasses import replace

import pytest
from rdflib import Literal, URIRef

from graph_builder import rdf, rdf_fragments
from graph_builder.errors import OntologyError
from graph_builder.model import DocumentInfo, Entity, Support
from graph_builder.ontology import Ontology
from graph_builder.rdf_fragments import Fragment, RdfBuild
from graph_builder.resolve import Resolution
from graph_builder.statements import Statement

BASE = "https://example.org/kg/"


def stmt(doc: str, subject: str, predicate: str, obj: str, **kw: object) -> Statement:
    values: dict[str, object] = {
        "evidence": f"{subject} {predicate} {obj}.",
        "span": (0, 10),
        "modality": "asserted",
        "confidence": 0.8,
        "subject_id": f"{BASE}militant-group/{subject}",
        "object_id": f"{BASE}militant-group/{obj}",
        "role": "founder",
    }
    values.update(kw)
    return Statement(doc, subject, "MilitantGroup", predicate, obj, "MilitantGroup", **values)  # type: ignore[arg-type]


def test_supports_carry_the_statement_fields_in_document_and_id_order(ontology: Ontology) -> None:
    later = stmt("b", "x", "linked_to", "y", span=(5, 9))
    earlier = stmt("a", "y", "linked_to", "x", confidence=0.25)  # symmetric: one relation
    denied = stmt("a", "x", "linked_to", "z", modality="denied")
    data = rdf.assemble_graph_data({}, {}, [later, denied, earlier], ontology)
    [relation] = data.relations
    assert (relation.subject_id, relation.object_id) == (later.subject_id, later.object_id)
    assert [s.doc_id for s in relation.support] == ["a", "b"]
    assert relation.support[0] == Support(
        statement_id=earlier.statement_id,
        doc_id="a",
        evidence=earlier.evidence,
        modality="asserted",
        confidence=0.25,
        span=(0, 10),
        role="founder",
    )
    assert ("a", denied.object_id) in data.mentions  # denied: a mention, no support


def test_an_unknown_fact_predicate_is_refused(ontology: Ontology) -> None:
    with pytest.raises(OntologyError, match="unknown predicate 'no_such'"):
        rdf.assemble_graph_data({}, {}, [stmt("a", "x", "no_such", "y")], ontology)
    # not a fact: never looked up, as before
    data = rdf.assemble_graph_data(
        {}, {}, [stmt("a", "x", "no_such", "y", modality="denied")], ontology
    )
    assert data.relations == ()


def test_graph_data_leaves_the_collector_as_it_was(ontology: Ontology) -> None:
    info = DocumentInfo("a", title="t")
    fragment = Fragment("a", "k", b"", info, (stmt("a", "x", "linked_to", "y"),), ())
    build = RdfBuild({}, b"", (fragment,), b"", {}, (), 1)
    assert gc.isenabled()
    data = build.graph_data(ontology)
    assert gc.isenabled()
    assert data.documents == {"a": info} and len(data.relations) == 1
    gc.disable()
    try:
        build.graph_data(ontology)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_trig_triples_share_repeated_terms_and_equal_plain_conversion() -> None:
    text = (
        b'<https://e.org/a> <https://e.org/label> "A" ; <https://e.org/pref> "A" ;'
        b' <https://e.org/n> "01"^^<http://www.w3.org/2001/XMLSchema#integer> ;'
        b' <https://e.org/l> "A"@en .\n'
    )
    triples = rdf.trig_triples(text)
    assert triples[0][2] is triples[1][2]  # one Literal for the label and the prefLabel
    assert triples[0][0] is triples[3][0]
    assert [t[2] for t in triples] == [
        Literal("A"),
        Literal("A"),
        Literal("01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")),
        Literal("A", lang="en"),
    ]
    assert triples[3][2] != triples[0][2]  # a language tag is a different term


def test_fragment_key_is_the_hash_of_the_documented_values() -> None:
    """Pinned: a changed key would make every cached fragment miss."""
    statements = [stmt("a", "x", "linked_to", "y"), stmt("a", "y", "led_by", "q", subject_id=None)]
    types = {str(statements[0].subject_id): "MilitantGroup", str(statements[1].object_id): "Person"}
    info = DocumentInfo("a", title="T é", date="2015-07")
    ends = [rdf_fragments._ends(s, BASE) for s in statements]
    values = (
        tuple(getattr(info, f) for f in DocumentInfo.__dataclass_fields__),
        [tuple(getattr(s, f) for f in Statement.__dataclass_fields__) for s in statements],
        [types.get(subject) for subject, _ in ends],
        [types.get(obj) for _, obj in ends],
    )
    digest = hashlib.blake2b(b"salt", digest_size=20)
    digest.update(marshal.dumps(values, 2))
    key = rdf_fragments.fragment_key("salt", info, statements, types, BASE)
    assert key == digest.hexdigest()


def test_fragment_keys_tell_apart_what_a_cache_round_trip_would_not_keep() -> None:
    statements = [stmt("a", "x", "linked_to", "y"), stmt("a", "y", "led_by", "q")]
    types = {str(s.subject_id): "MilitantGroup" for s in statements}
    info = DocumentInfo("a", title="T")

    def key(statements: list[Statement], types: dict = types, info: DocumentInfo = info) -> str:  # type: ignore[type-arg]
        return rdf_fragments.fragment_key("salt", info, statements, types, BASE)

    # equal values in other objects (not interned, not shared): the same key
    copied = pickle.loads(pickle.dumps(statements))
    rebuilt = [replace(s, evidence="".join(list(s.evidence))) for s in statements]
    assert key(copied) == key(rebuilt) == key(statements)
    changed = [
        [replace(statements[0], confidence=1), statements[1]],  # 1 and 1.0 read back apart
        [replace(statements[0], confidence=0.81), statements[1]],
        [replace(statements[0], span=[0, 10]), statements[1]],  # type: ignore[arg-type]
        [replace(statements[0], role=None), statements[1]],
        [replace(statements[0], object_id=None), statements[1]],  # named by name, not id
        [statements[1], statements[0]],
        statements[:1],
    ]
    keys = {key(found) for found in changed}
    assert len(keys) == len(changed) and key(statements) not in keys
    assert key(statements, types={}) != key(statements)  # the types of what they name
    assert key(statements, info=replace(info, title="U")) != key(statements)
    assert rdf_fragments.fragment_key("other", info, statements, types, BASE) != key(statements)


def test_dataset_entities_keep_the_first_name_of_an_unresolved_entity() -> None:
    first = stmt("a", "x", "linked_to", "y", subject_id=None, object_id=None)
    second = replace(first, doc_id="b")
    known = Entity(f"{BASE}militant-group/y", "Y", "MilitantGroup", ("why",))
    res = Resolution(statements=(first, second), entities={known.id: known}, merges=())
    entities = rdf.dataset_entities(res, BASE)
    assert entities[known.id] is known
    assert entities[f"{BASE}militant-group/x"] == Entity(
        f"{BASE}militant-group/x", "x", "MilitantGroup"
    )


def test_trig_entities_are_what_the_rdflib_index_reads(ontology: Ontology) -> None:
    """Names by the smallest prefLabel, then label, then IRI; aliases each distinct rdflib
    term once (a language tag in any case, a typed literal's normalised form); the last
    class of two wins, in the first one's place; a literal class is no class."""
    person, group = ontology.types["Person"], ontology.types["MilitantGroup"]
    skos, rdfs = "http://www.w3.org/2004/02/skos/core#", "http://www.w3.org/2000/01/rdf-schema#"
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    text = f"""<https://g/entities> {{
    <https://e.org/z> a <{person}> ; <{skos}prefLabel> "Zed", "Abe" ; <{rdfs}label> "L" ;
        <{skos}altLabel> "b", "a", "a"@EN, "a"@en, "01"^^<{integer}>, "1"^^<{integer}>,
        <https://e.org/iri> .
    <https://e.org/b> a <{group}>, <{person}> ; <{skos}prefLabel> "" ; <{rdfs}label> "Bee" .
    <https://e.org/a> a <{group}> ; <{skos}altLabel> "x" ; <{skos}altLabel> "x" .
    <https://e.org/d> a "{person}" ; <{skos}prefLabel> "D" .
    }}
    """.encode()
    expected = rdf.index_entities(rdf.index_triples(rdf.trig_triples(text)), ontology)
    found = rdf.trig_entities(text, ontology)
    assert found == expected and list(found) == list(expected)
    assert found["https://e.org/z"].aliases == ("1", "a", "a", "b", "https://e.org/iri")
    assert (found["https://e.org/z"].name, found["https://e.org/b"].name) == ("Abe", "Bee")
    assert found["https://e.org/a"] == Entity(
        "https://e.org/a", "https://e.org/a", "MilitantGroup", ("x",)
    )
    assert "https://e.org/d" not in found
