"""The ontology file: classes, predicates, alignment, and every term the RDF uses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Namespace
from rdflib.namespace import FOAF, ORG, PROV

from graph_builder.errors import OntologyError
from graph_builder.model import DocumentInfo
from graph_builder.ontology import MG, Ontology, load_ontology
from graph_builder.rdf import build_dataset, fact_modalities
from graph_builder.resolve import resolve
from graph_builder.statements import Statement

SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")


def test_classes_and_predicates(ontology: Ontology) -> None:
    assert set(ontology.types) == {"Person", "MilitantGroup", "Organization", "Event", "Location"}
    for cls in (MG.Document, MG.Assertion, MG.MergeDecision):
        assert (cls, RDF.type, OWL.Class) in ontology.graph
    required = {
        "leader_of",
        "member_of",
        "founder_of",
        "killed_in",
        "linked_to",
        "relative_of",
        "responsible_for",
        "occurred_in",
        "designated_by",
        "associate_of",
    }
    assert required <= set(ontology.predicates)
    symmetric = {n for n, p in ontology.predicates.items() if p.symmetric}
    assert symmetric == {"linked_to", "relative_of", "associate_of"}
    for predicate in ontology.predicates.values():
        assert predicate.label and predicate.comment, predicate.name
        assert predicate.domain and predicate.range
    assert ontology.predicate("leader_of").domain == {"Person"}
    assert ontology.predicate("leader_of").range == {"MilitantGroup"}
    assert ontology.predicate("responsible_for").domain == {"MilitantGroup", "Person"}
    assert ontology.link_kinds == {"ally", "affiliate", "splinter", "merger", "rival", "ties"}


def test_alignment_with_w3c_vocabularies(ontology: Ontology) -> None:
    g = ontology.graph
    assert (MG.Person, OWL.equivalentClass, FOAF.Person) in g
    assert (MG.MilitantGroup, RDFS.subClassOf, ORG.Organization) in g
    assert (MG.Event, RDFS.subClassOf, SEM.Event) in g
    assert (MG.leaderOf, RDFS.subPropertyOf, ORG.headOf) in g
    assert (MG.memberOf, RDFS.subPropertyOf, ORG.memberOf) in g
    assert (MG.occurredIn, RDFS.subPropertyOf, SEM.hasPlace) in g
    assert (MG.Assertion, RDFS.subClassOf, PROV.Entity) in g
    assert (MG.date, RDFS.subPropertyOf, SEM.hasTimeStamp) in g


def test_denied_never_supports_a_fact(ontology: Ontology) -> None:
    assert fact_modalities(ontology) == set(ontology.modalities) - {"denied"}


def test_every_term_the_dataset_uses_is_declared(ontology: Ontology) -> None:
    statement = Statement(
        "doc",
        "Malik Ishaq",
        "Person",
        "linked_to",
        "LeJ",
        "MilitantGroup",
        "evidence",
        (0, 8),
        "alleged",
        0.5,
        attributed_to="police",
        role="chief",
        relation="son",
        link_kind="ally",
        date="2015",
        start="2014-01",
        end="2015-07-29",
        extractor="rules",
    )
    info = DocumentInfo(
        "doc",
        title="T",
        date="2015-07-29",
        source="Dawn",
        url="https://example.org",
        content_hash="0" * 64,
    )
    surname_only = replace(statement, subject="Ishaq")
    ds = build_dataset(resolve([statement, surname_only], ontology), [info], ontology)
    used = {p for _, p, _, _ in ds.quads((None, None, None, None)) if str(p).startswith(str(MG))}
    used |= {
        o for _, p, o, _ in ds.quads((None, RDF.type, None, None)) if str(o).startswith(str(MG))
    }
    undeclared = {t for t in used if (t, RDFS.label, None) not in ontology.graph}
    assert not undeclared
    assert MG.applied in used  # the merge of "Ishaq" is recorded with the mg: vocabulary


def test_broken_ontology_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match="not found"):
        load_ontology(tmp_path / "missing.ttl")
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix mg: <x> . mg:a mg:b", encoding="utf-8")
    with pytest.raises(OntologyError, match="not valid Turtle"):
        load_ontology(broken)
