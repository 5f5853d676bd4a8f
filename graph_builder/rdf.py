"""The RDF dataset: milgraph's system of record, and the views read back from it.

Layout of the dataset built by :func:`build_dataset` (all IRIs under a configurable base):

- one named graph per document, named by the document IRI ``<base>doc/<doc_id>``, holding
  the fact triples the document supports (entity ``mg:leaderOf`` entity); denied
  statements never put a fact there;
- ``<base>graph/provenance``: the documents (title, date, source, url, content hash) and
  one ``mg:Assertion`` per statement (``rdf:subject/predicate/object``, modality,
  evidence, span, confidence, extractor, ``prov:wasDerivedFrom`` the document and the
  qualifiers), so a triple three articles support has three assertions;
- ``<base>graph/entities``: entity types, ``skos:prefLabel`` and ``skos:altLabel`` aliases;
- ``<base>graph/merges``: the resolution decisions (``mg:MergeDecision``).

Readers (:func:`graph_data`, :func:`dataset_statements`, :func:`merge_decisions`) find
records by their class, not by graph or base, so they read any dataset of this shape.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import IdentifiedNode, Node

from graph_builder.config import DEFAULT_BASE_IRI
from graph_builder.errors import InputError
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support
from graph_builder.ontology import MG, Ontology, snake_case
from graph_builder.resolve import MergeDecision, Resolution, entity_iri
from graph_builder.statements import Statement

FORMATS = {"trig": "trig", "nquads": "nquads", "jsonld": "json-ld", "json-ld": "json-ld"}
SUFFIX_FORMATS = {
    ".trig": "trig",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
# Statement qualifiers stored as plain literals on the assertion.
_TEXT_FIELDS = {
    "attributed_to": MG.attributedTo,
    "role": MG.role,
    "relation": MG.relation,
    "extractor": MG.extractor,
}
_DATE_FIELDS = {"date": MG.date, "start": MG.start, "end": MG.end}
Triples = list[tuple[Node, Node, Node]]
_RDF_TYPE = RDF.type  # ClosedNamespace attribute lookups are slow in hot loops
# Namespace attribute access builds a new URIRef each time: the terms written for every
# record, built once.
_T = SimpleNamespace(
    **{
        "DCTERMS_date": DCTERMS.date,
        "DCTERMS_source": DCTERMS.source,
        "DCTERMS_title": DCTERMS.title,
        "MG_Assertion": MG.Assertion,
        "MG_Document": MG.Document,
        "MG_MergeDecision": MG.MergeDecision,
        "MG_applied": MG.applied,
        "MG_canonicalName": MG.canonicalName,
        "MG_confidence": MG.confidence,
        "MG_contentHash": MG.contentHash,
        "MG_docId": MG.docId,
        "MG_entity": MG.entity,
        "MG_entityType": MG.entityType,
        "MG_evidence": MG.evidence,
        "MG_linkKind": MG.linkKind,
        "MG_mergedName": MG.mergedName,
        "MG_modality": MG.modality,
        "MG_objectName": MG.objectName,
        "MG_reason": MG.reason,
        "MG_rule": MG.rule,
        "MG_spanEnd": MG.spanEnd,
        "MG_spanStart": MG.spanStart,
        "MG_statementId": MG.statementId,
        "MG_subjectName": MG.subjectName,
        "MG_url": MG.url,
        "PROV_wasDerivedFrom": PROV.wasDerivedFrom,
        "RDF_object": RDF.object,
        "RDF_predicate": RDF.predicate,
        "RDF_subject": RDF.subject,
        "RDF_type": RDF.type,
        "XSD_anyURI": XSD.anyURI,
    }
)


# ---------------------------------------------------------------- IRIs and terms


def doc_iri(base_iri: str, doc_id: str) -> URIRef:
    """IRI of a document, which also names its graph.

    >>> str(doc_iri("https://milgraph.org/id/", "ishaq 2015"))
    'https://milgraph.org/id/doc/ishaq%202015'
    """
    return URIRef(f"{base_iri}doc/{quote(doc_id, safe='-._~')}")


def assertion_iri(base_iri: str, statement_id: str) -> URIRef:
    return URIRef(f"{base_iri}assertion/{statement_id}")


def graph_iri(base_iri: str, name: str) -> URIRef:
    return URIRef(f"{base_iri}graph/{name}")


@lru_cache(maxsize=1 << 16)  # dates repeat across records; literals are immutable
def date_literal(value: str) -> Literal:
    """An ISO date as xsd:date, xsd:gYearMonth or xsd:gYear by its precision.

    >>> date_literal("2015-07").datatype == XSD.gYearMonth
    True
    """
    datatype = {1: XSD.gYear, 2: XSD.gYearMonth}.get(value.count("-") + 1, XSD.date)
    return Literal(value, datatype=datatype)


def decimal_literal(value: float) -> Literal:
    """A float as an exact xsd:decimal (its shortest repr), so it reads back unchanged.

    >>> str(decimal_literal(0.1 + 0.2)), str(decimal_literal(1e-05))
    ('0.30000000000000004', '0.00001')
    """
    return _decimal_literal(repr(float(value)))  # keyed by repr: -0.0 == 0.0 but prints apart


@lru_cache(maxsize=1 << 16)  # confidences repeat across records; literals are immutable
def _decimal_literal(text: str) -> Literal:
    return Literal(format(Decimal(text), "f"), datatype=XSD.decimal)


def modality_iris(ontology: Ontology) -> dict[str, URIRef]:
    """Modality name -> its individual in the ontology."""
    return {
        str(ontology.graph.value(m, RDFS.label)): m
        for m in ontology.graph.subjects(RDF.type, MG.Modality)
        if isinstance(m, URIRef)
    }


def fact_modalities(ontology: Ontology) -> frozenset[str]:
    """Modalities whose statements become fact triples (all but those marked
    ``mg:supportsFact false``, i.e. denied)."""
    return frozenset(
        name
        for name, iri in modality_iris(ontology).items()
        if ontology.graph.value(iri, MG.supportsFact) != Literal(False)
    )


def link_kind_iris(ontology: Ontology) -> dict[str, URIRef]:
    return {
        str(ontology.graph.value(k, SKOS.prefLabel)): k
        for k in ontology.graph.subjects(SKOS.inScheme, MG.LinkKind)
        if isinstance(k, URIRef)
    }


_VOCABULARIES: dict[int, tuple[Ontology, tuple[Any, ...]]] = {}


def _vocabulary(ontology: Ontology) -> tuple[dict[str, URIRef], frozenset[str], dict[str, URIRef]]:
    """Modality IRIs, fact modalities and link-kind IRIs, read from the ontology graph
    once per ontology (they are needed for every document)."""
    found = _VOCABULARIES.get(id(ontology))
    if found is None or found[0] is not ontology:
        found = (
            ontology,
            (modality_iris(ontology), fact_modalities(ontology), link_kind_iris(ontology)),
        )
        _VOCABULARIES[id(ontology)] = found
    return found[1]  # type: ignore[return-value]


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """Ill-typed literals (a 31st of February) are SHACL's to report, not rdflib's to log."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------- building


def build_dataset(
    resolution: Resolution,
    documents: Iterable[DocumentInfo],
    ontology: Ontology,
    base_iri: str = DEFAULT_BASE_IRI,
) -> Dataset:
    """The RDF dataset of resolved statements, their documents, entities and merges.

    Parameters
    ----------
    resolution : Resolution
        From :func:`graph_builder.resolve.resolve`.
    documents : iterable of DocumentInfo
        Metadata of the source documents; a document a statement cites but that is not
        listed here still gets a (bare) document record.
    ontology : Ontology
        Predicate, modality and link-kind IRIs.
    base_iri : str
        Base of document, assertion and graph IRIs.

    Returns
    -------
    rdflib.Dataset
        Built in sorted order, so the same input serialises to the same TriG.
    """
    ds = Dataset()
    for prefix, ns in dataset_prefixes(base_iri, ontology).items():
        ds.bind(prefix, ns, replace=True)
    statements = sorted(resolution.statements, key=lambda s: (s.doc_id, s.statement_id))
    entities = dataset_entities(resolution, base_iri)
    _add_all(ds, graph_iri(base_iri, "entities"), entity_triples(entities, ontology))
    infos = {d.id: d for d in documents}
    by_doc: dict[str, list[Statement]] = defaultdict(list)
    for s in statements:
        by_doc[s.doc_id].append(s)
    prov: Triples = []
    for doc_id in sorted(set(infos) | set(by_doc)):
        doc_prov, doc_facts = document_triples(
            infos.get(doc_id, DocumentInfo(doc_id)), by_doc.get(doc_id, []), ontology, base_iri
        )
        prov.extend(doc_prov)
        if doc_facts:
            _add_all(ds, doc_iri(base_iri, doc_id), doc_facts)
    _add_all(ds, graph_iri(base_iri, "provenance"), prov)
    _add_all(ds, graph_iri(base_iri, "merges"), merge_triples(resolution.merges, base_iri))
    return ds


def dataset_prefixes(base_iri: str, ontology: Ontology) -> dict[str, str]:
    """The prefixes the dataset binds: vocabularies, then IRIs under the base."""
    prefixes = {
        "mg": str(MG),
        "prov": str(PROV),
        "skos": str(SKOS),
        "dcterms": str(DCTERMS),
        "xsd": str(XSD),
        "rdfs": str(RDFS),
        "doc": f"{base_iri}doc/",
        "assertion": f"{base_iri}assertion/",
        "merge": f"{base_iri}merge/",
    }
    for type_name in ontology.types:
        type_slug = snake_case(type_name).replace("_", "-")
        prefixes[type_slug.replace("-", "")] = f"{base_iri}{type_slug}/"
    return prefixes


def dataset_entities(resolution: Resolution, base_iri: str) -> dict[str, Entity]:
    """The resolved entities, plus those named by statements that bypassed resolution."""
    entities = dict(resolution.entities)
    for s in resolution.statements:  # subject, then object (spelt out: 138k at 10k articles)
        iri = s.subject_id or entity_iri(base_iri, s.subject_type, s.subject)
        if iri not in entities:  # not setdefault: an Entity per statement end costs
            entities[iri] = Entity(iri, s.subject, s.subject_type)
        iri = s.object_id or entity_iri(base_iri, s.object_type, s.object)
        if iri not in entities:
            entities[iri] = Entity(iri, s.object, s.object_type)
    return entities


def entity_triples(entities: dict[str, Entity], ontology: Ontology) -> Triples:
    """Type, label, preferred label and aliases of each entity, in IRI order."""
    triples: Triples = []
    for iri, entity in sorted(entities.items()):
        node = URIRef(iri)
        triples.append((node, _RDF_TYPE, ontology.types[entity.type]))
        triples.append((node, RDFS.label, Literal(entity.name)))
        triples.append((node, SKOS.prefLabel, Literal(entity.name)))
        triples.extend((node, SKOS.altLabel, Literal(alias)) for alias in entity.aliases)
    return triples


def document_triples(
    info: DocumentInfo, statements: Iterable[Statement], ontology: Ontology, base_iri: str
) -> tuple[Triples, Triples]:
    """A document's provenance (its record and one assertion per statement) and the fact
    triples it supports (its own graph), for statements sorted by statement id.

    Denied and other non-fact modalities give an assertion but no fact.
    """
    prov: Triples = []
    _add_document(prov, doc_iri(base_iri, info.id), info)
    facts: Triples = []
    modalities, fact_kinds, link_kinds = _vocabulary(ontology)
    with _quiet_rdflib():
        for s in statements:
            subject = URIRef(s.subject_id or entity_iri(base_iri, s.subject_type, s.subject))
            obj = URIRef(s.object_id or entity_iri(base_iri, s.object_type, s.object))
            predicate = ontology.predicate(s.predicate)
            if s.modality in fact_kinds:
                fact = (subject, predicate.iri, obj)
                if predicate.symmetric and not (
                    s.subject_type in predicate.domain and s.object_type in predicate.range
                ):  # store symmetric facts the way round that fits domain and range
                    fact = (obj, predicate.iri, subject)
                facts.append(fact)
            _add_assertion(prov, base_iri, s, subject, predicate.iri, obj, modalities, link_kinds)
    return prov, facts


def merge_triples(merges: Iterable[MergeDecision], base_iri: str) -> Triples:
    """The resolution decisions, each once, in a stable order."""
    out: Triples = []
    for decision in sorted(set(merges), key=merge_key):
        _add_merge(out, base_iri, decision)
    return out


def _add_all(ds: Dataset, name: URIRef, triples: Triples) -> None:
    """Add triples to a named graph in one batch (much faster than one add each)."""
    graph = ds.graph(name)
    graph.addN((s, p, o, graph) for s, p, o in triples)


def _add_document(out: Triples, node: URIRef, info: DocumentInfo) -> None:
    out.append((node, _T.RDF_type, _T.MG_Document))
    out.append((node, _T.MG_docId, Literal(info.id)))
    if info.title:
        out.append((node, _T.DCTERMS_title, Literal(info.title)))
    if info.date:
        out.append((node, _T.DCTERMS_date, date_literal(info.date)))
    if info.source:
        out.append((node, _T.DCTERMS_source, Literal(info.source)))
    if info.url:
        out.append((node, _T.MG_url, Literal(info.url, datatype=_T.XSD_anyURI)))
    if info.content_hash:
        out.append((node, _T.MG_contentHash, Literal(info.content_hash)))


def _add_assertion(
    out: Triples,
    base_iri: str,
    s: Statement,
    subject: URIRef,
    predicate: URIRef,
    obj: URIRef,
    modalities: dict[str, URIRef],
    link_kinds: dict[str, URIRef],
) -> None:
    node = assertion_iri(base_iri, s.statement_id)
    out.append((node, _T.RDF_type, _T.MG_Assertion))
    out.append((node, _T.MG_statementId, Literal(s.statement_id)))
    out.append((node, _T.RDF_subject, subject))
    out.append((node, _T.RDF_predicate, predicate))
    out.append((node, _T.RDF_object, obj))
    out.append((node, _T.MG_subjectName, Literal(s.subject)))
    out.append((node, _T.MG_objectName, Literal(s.object)))
    out.append((node, _T.PROV_wasDerivedFrom, doc_iri(base_iri, s.doc_id)))
    out.append((node, _T.MG_evidence, Literal(s.evidence)))
    # an unknown modality or link kind stays visible (as a literal) for SHACL to report
    out.append((node, _T.MG_modality, modalities.get(s.modality, Literal(s.modality))))
    out.append((node, _T.MG_confidence, decimal_literal(s.confidence)))
    if s.span is not None:
        out.append((node, _T.MG_spanStart, Literal(s.span[0])))
        out.append((node, _T.MG_spanEnd, Literal(s.span[1])))
    if s.link_kind:
        out.append((node, _T.MG_linkKind, link_kinds.get(s.link_kind, Literal(s.link_kind))))
    for name, prop in _TEXT_FIELDS.items():
        value = getattr(s, name)
        if value:
            out.append((node, prop, Literal(value)))
    for name, prop in _DATE_FIELDS.items():
        value = getattr(s, name)
        if value:
            out.append((node, prop, date_literal(value)))


def merge_key(d: MergeDecision) -> tuple[str, ...]:
    """Sort key (and identity) of a merge decision."""
    return (d.entity_id, d.rule, d.merged, d.reason, str(d.applied))


def _add_merge(out: Triples, base_iri: str, d: MergeDecision) -> None:
    digest = hashlib.sha256("\x1f".join(merge_key(d)).encode("utf-8")).hexdigest()[:16]
    node = URIRef(f"{base_iri}merge/{digest}")
    out.append((node, _T.RDF_type, _T.MG_MergeDecision))
    out.append((node, _T.MG_entity, URIRef(d.entity_id)))
    out.append((node, _T.MG_entityType, Literal(d.entity_type)))
    out.append((node, _T.MG_canonicalName, Literal(d.canonical)))
    out.append((node, _T.MG_mergedName, Literal(d.merged)))
    out.append((node, _T.MG_rule, Literal(d.rule)))
    out.append((node, _T.MG_reason, Literal(d.reason)))
    out.append((node, _T.MG_applied, Literal(d.applied)))


# ---------------------------------------------------------------- files


def rdf_format(name: str) -> str:
    """rdflib format name for a user-facing one (trig, nquads, jsonld)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise InputError(
            None, None, f"unknown RDF format {name!r}; expected trig, nquads or jsonld"
        ) from None


def _sorted_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_json(v) for k, v in sorted(value.items())}
    if isinstance(value, list):  # no @list in our data, so order carries no meaning
        items = [_sorted_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


_OX_FORMATS = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}
_XSD_STRING = str(XSD.string)


def _ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return ox.NamedNode(str(term))


@lru_cache(maxsize=200_000)
def _ox_iri(term: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def _ox_cached(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """:func:`_ox_term`, with IRIs (which repeat across records) converted once."""
    return _ox_iri(term) if type(term) is URIRef else _ox_term(term)


def _triple_key(triple: tuple[Node, Node, Node]) -> tuple[str, ...]:
    """Sort key of a triple in plain strings (rdflib terms compare in Python, slowly)."""
    s, p, o = triple
    kind = "l" if isinstance(o, Literal) else "b" if isinstance(o, BNode) else "i"
    extra = (o.language or str(o.datatype or "")) if isinstance(o, Literal) else ""
    return (str(s), str(p), kind, str(o), extra)


def _ox_quads(ds: Dataset) -> list[ox.Quad]:
    """The dataset's quads as pyoxigraph quads, sorted by graph, then subject, predicate
    and object, so the same dataset always gives the same sequence."""
    term: Any = _ox_cached
    quads = []
    for graph in sorted(ds.graphs(), key=lambda g: str(g.identifier)):
        name = graph.identifier
        ox_name = ox.DefaultGraph() if name == DATASET_DEFAULT_GRAPH_ID else term(name)
        for s, p, o in sorted(graph.triples((None, None, None)), key=_triple_key):
            quads.append(ox.Quad(term(s), term(p), term(o), ox_name))
    return quads


def trig_chunk(graphs: Iterable[tuple[URIRef, Triples]], prefixes: dict[str, str]) -> bytes:
    """TriG of some named graphs' triples, graphs and triples sorted as in
    :func:`serialize_dataset`, abbreviated with `prefixes` but without @prefix lines:
    chunks written one after another under one header make one TriG file."""
    term: Any = _ox_cached  # rdflib -> pyoxigraph
    quads = [
        ox.Quad(term(s), term(p), term(o), term(name))
        for name, triples in sorted(graphs, key=lambda pair: str(pair[0]))
        for s, p, o in sorted(triples, key=_triple_key)
    ]
    data = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes) or b""
    lines = data.splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith(b"@prefix "))


def ntriples(triples: Iterable[tuple[Node, Node, Node]]) -> bytes:
    """N-Triples of some triples, in the order given; also valid inside a TriG graph block."""
    triple = ox.Triple
    return (
        ox.serialize(
            [triple(_ox_cached(s), _ox_cached(p), _ox_cached(o)) for s, p, o in triples],  # type: ignore[arg-type]
            format=ox.RdfFormat.N_TRIPLES,
        )
        or b""
    )


def trig_triples(data: bytes) -> list[tuple[Node, Node, Node]]:
    """The triples of a TriG text (of any graph), as rdflib terms."""
    term = _rdflib_terms(literals=True)  # an entity's label is its prefLabel too
    with _quiet_rdflib():
        return [
            (term(q.subject), term(q.predicate), term(q.object))
            for q in ox.parse(data, format=ox.RdfFormat.TRIG)
        ]


def _prefix_header(ds: Dataset, body: bytes) -> bytes:
    """Sorted @prefix lines for the dataset's bound prefixes that the body uses."""
    lines = []
    for prefix, ns in sorted(ds.namespaces()):
        if prefix and f"{prefix}:".encode() in body:
            lines.append(f"@prefix {prefix}: <{ns}> .\n")
    return "".join(lines).encode("utf-8")


def _write_trig(ds: Dataset) -> bytes:
    """TriG through pyoxigraph, prefixed with the dataset's bindings.

    pyoxigraph writes the quads in the order given, grouping a subject's triples and a
    graph's subjects; its own @prefix lines are replaced by sorted ones (only those used)
    so the header does not depend on the library's ordering.
    """
    prefixes = {p: str(ns) for p, ns in ds.namespaces() if p and not p[0].isdigit()}
    data = ox.serialize(_ox_quads(ds), format=ox.RdfFormat.TRIG, prefixes=prefixes) or b""
    body = b"".join(
        line for line in data.splitlines(keepends=True) if not line.startswith(b"@prefix ")
    )
    return _prefix_header(ds, body) + b"\n" + body


def serialize_dataset(ds: Dataset, format: str = "trig") -> bytes:
    """The dataset as bytes, in a stable order: the same dataset gives the same bytes.

    TriG and N-Quads are written by pyoxigraph (an order of magnitude faster than
    rdflib's writers) from quads sorted by graph, subject, predicate and object; JSON-LD
    by rdflib, with its lists sorted (rdflib orders nodes by hash, which changes from one
    process to the next).
    """
    fmt = rdf_format(format)
    if fmt == "trig":
        return _write_trig(ds)
    if fmt == "nquads":
        lines = (ox.serialize(_ox_quads(ds), format=ox.RdfFormat.N_QUADS) or b"").splitlines(True)
        return b"".join(sorted(set(lines)))
    data = ds.serialize(format=fmt, encoding="utf-8")
    doc = _sorted_json(json.loads(data.decode("utf-8")))
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_dataset(ds: Dataset, path: str | Path, format: str = "trig") -> None:
    """Write the dataset atomically (temporary file, then rename) as TriG, N-Quads or JSON-LD."""
    fmt = rdf_format(format)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(serialize_dataset(ds, fmt))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_dataset(path: str | Path, format: str | None = None) -> Dataset:
    """Read a dataset written by :func:`write_dataset` (format from the suffix by default).

    TriG and N-Quads are parsed by pyoxigraph (an order of magnitude faster than rdflib's
    parsers) into an rdflib Dataset; JSON-LD by rdflib.
    """
    path = Path(path)
    fmt = rdf_format(format) if format else SUFFIX_FORMATS.get(path.suffix.lower(), "trig")
    if not path.is_file():
        raise InputError(path, None, "RDF dataset not found; build it with `milgraph rebuild`")
    ds = Dataset()
    if fmt in _OX_FORMATS:
        _parse_with_oxigraph(ds, path, fmt)
        return ds
    text = _checked_json_ld(path)
    try:
        with _quiet_rdflib():  # the very text checked; same base and graph name as the file
            ds.parse(data=text, format=fmt, publicID=path.absolute().as_uri())
    except Exception as exc:  # rdflib has many parser exception types
        raise InputError(path, None, f"not valid {fmt}: {exc}") from None
    return ds


def _rdflib_term(term: Any) -> Node:
    """A pyoxigraph term as an rdflib term (xsd:string literals as plain literals, as
    rdflib's own parsers read ``"text"``)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if not isinstance(term, ox.Literal):  # an RDF 1.2 triple term: rdflib has none
        raise ValueError(f"unsupported RDF term {term}: triple terms cannot be read")
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return (
        Literal(term.value) if datatype == _XSD_STRING else Literal(term.value, datatype=datatype)
    )


def _rdflib_terms(literals: bool) -> Callable[[Any], Node]:
    """:func:`_rdflib_term` that converts each term once (rdflib terms are immutable, so
    repeats can share one): IRIs, which repeat across triples, and literals if asked."""
    cache: dict[Any, Node] = {}

    def term(node: Any) -> Node:
        found = cache.get(node)
        if found is None:
            found = _rdflib_term(node)
            if literals or not isinstance(node, ox.Literal):
                cache[node] = found
        return found

    return term


def _parse_with_oxigraph(ds: Dataset, path: Path, fmt: str) -> None:
    """Add the quads of a TriG or N-Quads file to `ds`, by graph, in one batch each."""
    term = _rdflib_terms(literals=False)  # a file's literals rarely repeat: not kept
    by_graph: dict[Any, list[tuple[Node, Node, Node]]] = defaultdict(list)
    try:
        with _quiet_rdflib():
            for q in ox.parse(
                path=str(path), format=_OX_FORMATS[fmt], base_iri=path.absolute().as_uri()
            ):
                by_graph[q.graph_name].append((term(q.subject), term(q.predicate), term(q.object)))
    except SyntaxError as exc:
        raise InputError(
            path, getattr(exc, "lineno", None), f"not valid {fmt}: {exc.msg}"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(path, None, f"not valid {fmt}: {exc}") from None
    for name, triples in by_graph.items():
        if isinstance(name, ox.DefaultGraph):
            graph = ds.default_graph
        else:
            identifier = term(name)
            assert isinstance(identifier, IdentifiedNode)
            graph = ds.graph(identifier)
        graph.addN((s, p, o, graph) for s, p, o in triples)


def _checked_json_ld(path: Path) -> str:
    """The text of a JSON-LD file whose contexts are all inline.

    rdflib fetches a context named by IRI (``"@context": "http://..."``, or a relative
    path read from disk) and ``@import`` ones, anywhere in the document: a file could make
    milgraph send requests or read local files. milgraph never touches the network at run
    time, so such a file is refused; :func:`write_dataset` always writes inline contexts.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(path, None, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(path, None, f"cannot read RDF dataset: {exc.strerror}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(path, None, f"not valid JSON-LD: {str(exc)[:200]}") from None
    stack = [data]
    while stack:  # iterative: a deep document cannot overflow the stack here
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                remote = value if key == "@import" else None
                if key == "@context":
                    values = value if isinstance(value, list) else [value]
                    remote = next((v for v in values if isinstance(v, str)), None)
                if remote is not None:
                    raise InputError(
                        path,
                        None,
                        f"{key} {str(remote)[:200]!r} names a context to fetch; milgraph never "
                        "fetches contexts (no network at run time): inline the context object",
                    )
                stack.append(value)
    return text


# ---------------------------------------------------------------- reading back


def union_graph(ds: Dataset) -> Graph:
    """All triples of all graphs in one graph (records are found by class, not graph)."""
    out = Graph()
    for prefix, ns in ds.namespaces():
        out.bind(prefix, ns, replace=True)
    for s, p, o, _ in ds.quads((None, None, None, None)):
        out.add((s, p, o))
    return out


class _Index:
    """All graphs' triples as subject -> predicate -> objects, read in one pass.

    rdflib's lookups over a Dataset go through every context; reading each record
    from a plain dict is an order of magnitude faster on large datasets.
    """

    def __init__(self, ds: Dataset) -> None:
        self._data: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
        self._typed: dict[Node, list[Node]] = defaultdict(list)
        self._add((s, p, o) for s, p, o, _ in ds.quads((None, None, None, None)))

    @classmethod
    def of_triples(cls, triples: Iterable[tuple[Node, Node, Node]]) -> _Index:
        index = cls.__new__(cls)
        index._data = defaultdict(lambda: defaultdict(list))
        index._typed = defaultdict(list)
        index._add(triples)
        return index

    def _add(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        rdf_type = RDF.type  # namespace attribute lookups are slow in a hot loop
        for s, p, o in triples:
            values = self._data[s][p]
            if o not in values:
                values.append(o)
                if p == rdf_type:
                    self._typed[o].append(s)

    def value(self, node: Node | None, prop: URIRef) -> Node | None:
        found = self._data.get(node, {}).get(prop) if node is not None else None  # type: ignore[call-overload]
        return min(found, key=str) if found else None  # min: stable if a value is repeated

    def objects(self, node: Node, prop: URIRef) -> list[Node]:
        return list(self._data.get(node, {}).get(prop, ()))

    def subjects(self, _type: URIRef, cls: Node) -> list[Node]:
        return sorted(self._typed.get(cls, ()), key=str)


def _str(graph: _Index, node: Node, prop: URIRef) -> str | None:
    value = graph.value(node, prop)
    return str(value) if value is not None else None


def _entity_type(graph: _Index, node: Node, by_class: dict[Node, str]) -> str:
    for cls in graph.objects(node, _RDF_TYPE):
        if cls in by_class:
            return by_class[cls]
    raise InputError(None, None, f"entity {node} has no entity class of the ontology")


def index_statements(graph: _Index, ontology: Ontology) -> list[Statement]:
    """The statements of an index's assertions (see :func:`dataset_statements`)."""
    by_class: dict[Node, str] = {iri: name for name, iri in ontology.types.items()}
    by_predicate = {p.iri: name for name, p in ontology.predicates.items()}
    by_modality = {iri: name for name, iri in modality_iris(ontology).items()}
    by_link = {iri: name for name, iri in link_kind_iris(ontology).items()}
    # namespace attribute lookups build a new URIRef each time: once here, not per record
    subject_p, object_p, predicate_p = RDF.subject, RDF.object, RDF.predicate
    doc_p, doc_id_p, label_p = PROV.wasDerivedFrom, MG.docId, SKOS.prefLabel
    start_p, end_p, modality_p, link_p = MG.spanStart, MG.spanEnd, MG.modality, MG.linkKind
    subject_name_p, object_name_p = MG.subjectName, MG.objectName
    evidence_p, confidence_p = MG.evidence, MG.confidence
    qualifiers = {**_TEXT_FIELDS, **_DATE_FIELDS}
    out = []
    for node in graph.subjects(RDF.type, MG.Assertion):
        subject, obj = graph.value(node, subject_p), graph.value(node, object_p)
        predicate = graph.value(node, predicate_p)
        doc = graph.value(node, doc_p)
        if subject is None or obj is None or predicate not in by_predicate or doc is None:
            raise InputError(
                None, None, f"assertion {node} lacks subject, predicate, object or document"
            )
        start, end = graph.value(node, start_p), graph.value(node, end_p)
        modality = graph.value(node, modality_p)
        link = graph.value(node, link_p)
        out.append(
            Statement(
                doc_id=_str(graph, doc, doc_id_p) or str(doc).rsplit("/", 1)[-1],
                subject=_str(graph, node, subject_name_p) or _str(graph, subject, label_p) or "",
                subject_type=_entity_type(graph, subject, by_class),
                predicate=by_predicate[predicate],  # type: ignore[index]
                object=_str(graph, node, object_name_p) or _str(graph, obj, label_p) or "",
                object_type=_entity_type(graph, obj, by_class),
                evidence=_str(graph, node, evidence_p) or "",
                span=(int(start), int(end)) if start is not None and end is not None else None,  # type: ignore[call-overload]
                modality=by_modality.get(modality, str(modality)),  # type: ignore[call-overload]
                confidence=float(str(graph.value(node, confidence_p))),
                link_kind=by_link.get(link, str(link)) if link is not None else None,  # type: ignore[call-overload]
                subject_id=str(subject),
                object_id=str(obj),
                **{name: _str(graph, node, prop) for name, prop in qualifiers.items()},
            )
        )
    return sorted(out, key=lambda s: (s.doc_id, s.span or (-1, -1), s.statement_id))


def dataset_statements(ds: Dataset, ontology: Ontology) -> list[Statement]:
    """The statements recorded in the dataset (one per assertion), as resolved.

    Sorted by document, span and statement id.
    """
    return index_statements(_Index(ds), ontology)


def merge_decisions(ds: Dataset) -> list[MergeDecision]:
    """The resolution decisions stored in the dataset, sorted by entity and rule."""
    graph = _Index(ds)
    out = []
    for node in graph.subjects(RDF.type, MG.MergeDecision):
        out.append(
            MergeDecision(
                entity_id=str(graph.value(node, MG.entity)),
                entity_type=_str(graph, node, MG.entityType) or "",
                canonical=_str(graph, node, MG.canonicalName) or "",
                merged=_str(graph, node, MG.mergedName) or "",
                rule=_str(graph, node, MG.rule) or "",
                reason=_str(graph, node, MG.reason) or "",
                applied=graph.value(node, MG.applied) != Literal(False),
            )
        )
    return sorted(out, key=merge_key)


def graph_data(ds: Dataset, ontology: Ontology) -> GraphData:
    """Entities, relations, documents and mentions: what Neo4j and networkx consume.

    A relation aggregates every assertion of its (subject, predicate, object) as one
    :class:`Support`; denied assertions support nothing. Symmetric predicates are
    direction-free: A-B and B-A are one relation, stored with the smaller id first.
    """
    graph = _Index(ds)
    return assemble_graph_data(
        index_entities(graph, ontology),
        index_documents(graph),
        index_statements(graph, ontology),
        ontology,
    )


def index_entities(graph: _Index, ontology: Ontology) -> dict[str, Entity]:
    """The entity records of an index, by IRI."""
    entities: dict[str, Entity] = {}
    for type_name, cls in ontology.types.items():
        for node in graph.subjects(RDF.type, cls):
            name = _str(graph, node, SKOS.prefLabel) or _str(graph, node, RDFS.label) or str(node)
            aliases = tuple(sorted(str(a) for a in graph.objects(node, SKOS.altLabel)))
            entities[str(node)] = Entity(str(node), name, type_name, aliases)
    return entities


def trig_entities(data: bytes, ontology: Ontology) -> dict[str, Entity]:
    """The entity records of a TriG text, by IRI: what ``index_entities(index_triples(
    trig_triples(data)), ontology)`` gives, read from pyoxigraph's terms (making rdflib
    terms and indexing them took twice as long as the parse, for 60k triples)."""
    classes = {_ox_iri(cls) for cls in ontology.types.values()}
    rdf_type, pref_label, label, alt_label = map(
        _ox_iri, (_RDF_TYPE, SKOS.prefLabel, RDFS.label, SKOS.altLabel)
    )
    typed: dict[Any, dict[Any, None]] = defaultdict(dict)  # class -> its subjects, in order
    values: dict[Any, dict[Any, list[str]]] = {
        pref_label: defaultdict(list),
        label: defaultdict(list),
    }
    aliases: dict[Any, dict[Any, str]] = defaultdict(dict)  # distinct altLabels, by term
    for quad in ox.parse(data, format=ox.RdfFormat.TRIG):
        predicate, obj = quad.predicate, quad.object
        if predicate == rdf_type:
            if obj in classes:
                typed[obj][quad.subject] = None
        elif predicate in values:
            values[predicate][quad.subject].append(_term_text(obj)[0])
        elif predicate == alt_label:
            text, term = _term_text(obj)
            aliases[quad.subject][term] = text
    names, labels = values[pref_label], values[label]
    entities: dict[str, Entity] = {}
    for type_name, cls in ontology.types.items():
        for node in sorted(typed.get(_ox_iri(cls), ()), key=_ox_value):
            iri = _term_text(node)[0]
            name = min(names.get(node) or [""]) or min(labels.get(node) or [""]) or iri
            found = tuple(sorted(aliases[node].values())) if node in aliases else ()
            entities[iri] = Entity(iri, name, type_name, found)
    return entities


_ox_value = attrgetter("value")
_XSD_STRING_IRI = ox.NamedNode(_XSD_STRING)


def _term_text(term: Any) -> tuple[str, Any]:
    """The text of a pyoxigraph term as rdflib reads it (``str`` of its rdflib term), and
    the term as rdflib tells terms apart (a triple term raises, as in trig_triples)."""
    if type(term) is ox.Literal:
        if term.datatype == _XSD_STRING_IRI:  # the common case: a plain string
            return term.value, term.value
        if term.language:  # rdflib compares language tags in lower case
            return term.value, (term.value, term.language.lower())
        with _quiet_rdflib():  # rdflib normalises a typed literal's lexical form
            literal = _rdflib_term(term)
        return str(literal), (str(literal), literal.datatype)  # type: ignore[attr-defined]
    if type(term) is ox.NamedNode or type(term) is ox.BlankNode:
        return term.value, (type(term), term.value)
    return str(_rdflib_term(term)), None  # a triple term: raises


def index_documents(graph: _Index) -> dict[str, DocumentInfo]:
    """The document records of an index, by document id."""
    documents = {}
    for node in graph.subjects(RDF.type, MG.Document):
        doc_id = _str(graph, node, MG.docId) or str(node).rsplit("/", 1)[-1]
        documents[doc_id] = DocumentInfo(
            id=doc_id,
            title=_str(graph, node, DCTERMS.title),
            date=_str(graph, node, DCTERMS.date),
            source=_str(graph, node, DCTERMS.source),
            url=_str(graph, node, MG.url),
            content_hash=_str(graph, node, MG.contentHash),
        )
    return documents


def index_triples(triples: Iterable[tuple[Node, Node, Node]]) -> _Index:
    """Records of some triples (a document's fragment, the entities), for the index_*
    readers."""
    return _Index.of_triples(triples)


def assemble_graph_data(
    entities: dict[str, Entity],
    documents: dict[str, DocumentInfo],
    statements: Iterable[Statement],
    ontology: Ontology,
) -> GraphData:
    """GraphData from records read back from RDF: statements grouped into relations."""
    facts = fact_modalities(ontology)
    symmetric = {name: p.symmetric for name, p in ontology.predicates.items()}
    supports: dict[tuple[str, str, str], list[Support]] = defaultdict(list)
    mentions: set[tuple[str, str]] = set()
    mention = mentions.add
    for s in statements:
        doc_id, subject_id, object_id = s.doc_id, s.subject_id, s.object_id
        assert subject_id is not None and object_id is not None
        mention((doc_id, subject_id))
        mention((doc_id, object_id))
        if s.modality not in facts:
            continue
        predicate = s.predicate
        if symmetric.get(predicate) is None:
            ontology.predicate(predicate)  # raises: not a predicate of the ontology
        if symmetric[predicate] and object_id < subject_id:
            subject_id, object_id = object_id, subject_id
        supports[(subject_id, predicate, object_id)].append(Support(*_support_values(s)))
    relations = tuple(
        Relation(key[0], key[1], key[2], tuple(sorted(found, key=_support_order)))
        for key, found in sorted(supports.items())
    )
    return GraphData(
        entities=dict(sorted(entities.items())),
        relations=relations,
        documents=dict(sorted(documents.items())),
        mentions=frozenset(mentions),
    )


# A Support is a statement's fields of the same names, read in one C call.
_support_values = attrgetter(*(f.name for f in fields(Support)))
_support_order = attrgetter("doc_id", "statement_id")


# ---------------------------------------------------------------- queries and summaries

SPARQL_PREFIXES = {
    "mg": MG,
    "prov": PROV,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
}


def run_sparql(ds: Dataset, query: str) -> tuple[list[str], list[list[Node | None]]]:
    """Run a read-only SPARQL query over all graphs of the dataset; columns and rows.

    The default graph is the union of the named graphs, and the prefixes mg, prov, skos,
    dcterms, rdf, rdfs and xsd are predeclared. SELECT gives its variables, ASK one
    ``ask`` column, CONSTRUCT/DESCRIBE the triples as subject, predicate, object.
    Raises InputError on a syntax error or an update.
    """
    union = Dataset(store=ds.store, default_union=True)
    try:
        result = union.query(query, initNs=SPARQL_PREFIXES)
    except Exception as exc:  # pyparsing and rdflib raise several exception types
        raise InputError("<query>", None, f"SPARQL query failed: {exc}") from None
    if result.type == "ASK":
        return ["ask"], [[Literal(bool(result.askAnswer))]]
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        assert result.graph is not None
        triples = sorted(result.graph, key=lambda t: tuple(str(x) for x in t))
        return ["subject", "predicate", "object"], [list(t) for t in triples]
    columns = [str(v) for v in result.vars or []]
    return columns, [[row[c] for c in columns] for row in result]  # type: ignore[call-overload,index]


@dataclass(frozen=True)
class DatasetStats:
    """Counts for `milgraph stats`."""

    documents: int
    assertions: int
    assertions_by_modality: dict[str, int]
    entities_by_type: dict[str, int]
    relations_by_predicate: dict[str, int]
    entities_with_aliases: tuple[Entity, ...]
    merges: tuple[MergeDecision, ...]


def dataset_stats(ds: Dataset, ontology: Ontology) -> DatasetStats:
    """Documents, statements, entities by type, relations by predicate, aliases, merges."""
    data = graph_data(ds, ontology)
    statements = dataset_statements(ds, ontology)
    by_modality = Counter(s.modality for s in statements)
    return DatasetStats(
        documents=len(data.documents),
        assertions=len(statements),
        assertions_by_modality={
            m: by_modality[m] for m in ontology.modalities_by_strength() if by_modality[m]
        },
        entities_by_type=dict(sorted(Counter(e.type for e in data.entities.values()).items())),
        relations_by_predicate=dict(sorted(Counter(r.predicate for r in data.relations).items())),
        entities_with_aliases=tuple(
            sorted(
                (e for e in data.entities.values() if e.aliases),
                key=lambda e: (e.type, e.name.casefold()),
            )
        ),
        merges=tuple(merge_decisions(ds)),
    )
