"""SHACL validation of the RDF dataset, with each violation traced to its statement.

The shapes live in ``ontology/shapes.ttl``. The per-predicate type checks there
(``leader_of`` links a Person to a MilitantGroup...) are what :func:`predicate_shapes`
generates from the ontology's domains and ranges; a test keeps the two in step, and a
predicate added to the ontology but not yet to the file is checked all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyshacl
from rdflib import RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import PROV, SH, SKOS
from rdflib.term import Node

from graph_builder.config import PROJECT_ROOT
from graph_builder.errors import OntologyError
from graph_builder.ontology import MG, Ontology, Predicate
from graph_builder.rdf import union_graph

DEFAULT_SHAPES = PROJECT_ROOT / "ontology" / "shapes.ttl"
MGSH = Namespace("https://milgraph.org/shapes#")


@dataclass(frozen=True)
class Violation:
    """One SHACL violation, traced back to the statement and document it came from."""

    statement_id: str | None
    doc_id: str | None
    focus: str  # IRI of the node that violates a shape
    message: str
    evidence: str | None = None
    span: tuple[int, int] | None = None

    def describe(self) -> str:
        """One line naming the source: ``doc [span] statement: message``."""
        where = self.doc_id or "<no document>"
        if self.span is not None:
            where += f" [{self.span[0]}:{self.span[1]}]"
        if self.statement_id:
            where += f" {self.statement_id}"
        return f"{where}: {self.message}"


def shape_iri(predicate: Predicate) -> URIRef:
    """IRI of the generated shape of a predicate, e.g. mgsh:leaderOfShape."""
    return MGSH[f"{predicate.iri.removeprefix(str(MG))}Shape"]


def _require_class(graph: Graph, node: Node, types: list[URIRef]) -> None:
    """Constrain `node`'s values to one of `types` (sh:class, or sh:or of sh:class)."""
    if len(types) == 1:
        graph.add((node, SH["class"], types[0]))
        return
    alternatives: list[Node] = []
    for t in types:
        alt = BNode()
        graph.add((alt, SH["class"], t))
        alternatives.append(alt)
    head = BNode()
    Collection(graph, head, alternatives)
    graph.add((node, SH["or"], head))


def _ends(graph: Graph, subject_types: list[URIRef], object_types: list[URIRef]) -> Node:
    """A node shape: rdf:subject one of subject_types, rdf:object one of object_types."""
    node = BNode()
    for path, types in ((RDF.subject, subject_types), (RDF.object, object_types)):
        prop = BNode()
        graph.add((node, SH.property, prop))
        graph.add((prop, SH.path, path))
        _require_class(graph, prop, types)
    return node


def predicate_shapes(ontology: Ontology, only: set[str] | None = None) -> Graph:
    """SHACL shapes checking that every assertion's subject and object types fit its
    predicate's domain and range (either way round for symmetric predicates).

    Each shape targets the assertions of one predicate through a SPARQL target, so an
    assertion is checked once, by its own predicate.
    """
    graph = Graph()
    graph.bind("sh", SH)
    graph.bind("mg", MG)
    graph.bind("mgsh", MGSH)
    for name, predicate in ontology.predicates.items():
        if only is not None and name not in only:
            continue
        shape = shape_iri(predicate)
        domain = [ontology.types[t] for t in sorted(predicate.domain)]
        range_ = [ontology.types[t] for t in sorted(predicate.range)]
        arrow = "<->" if predicate.symmetric else "->"
        graph.add((shape, RDF.type, SH.NodeShape))
        graph.add((shape, RDFS.comment, Literal(f"Generated from the ontology: {name}.")))
        target = BNode()
        graph.add((shape, SH.target, target))
        graph.add((target, RDF.type, SH.SPARQLTarget))
        graph.add((target, SH.prefixes, MGSH.prefixes))
        graph.add(
            (
                target,
                SH.select,
                Literal(f"SELECT ?this WHERE {{ ?this rdf:predicate mg:{_local(predicate.iri)} }}"),
            )
        )
        links = (
            f"{name} links {'|'.join(sorted(predicate.domain))} {arrow} "
            f"{'|'.join(sorted(predicate.range))}"
        )
        if predicate.symmetric:  # either way round: an sh:or of the two directions
            head = BNode()
            Collection(graph, head, [_ends(graph, domain, range_), _ends(graph, range_, domain)])
            graph.add((shape, SH["or"], head))
            graph.add(
                (shape, SH.message, Literal(f"{links}; the subject or object has another type"))
            )
            continue
        # one direction: property shapes straight on the node shape (much faster in pyshacl)
        for path, types, end in ((RDF.subject, domain, "subject"), (RDF.object, range_, "object")):
            prop = BNode()
            graph.add((shape, SH.property, prop))
            graph.add((prop, SH.path, path))
            _require_class(graph, prop, types)
            graph.add((prop, SH.message, Literal(f"{links}; the {end} has another type")))
    return graph


def load_shapes(ontology: Ontology, path: Path = DEFAULT_SHAPES) -> Graph:
    """The shapes file, plus generated shapes for predicates it does not cover yet."""
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError:
        raise OntologyError(f"{path}: SHACL shapes file not found") from None
    except Exception as exc:  # rdflib raises several parser exception types
        raise OntologyError(f"{path}: not valid Turtle: {exc}") from None
    missing = {n for n, p in ontology.predicates.items() if (shape_iri(p), None, None) not in graph}
    if missing:
        graph += predicate_shapes(ontology, only=missing)
    return graph


def _short(text: str, graph: Graph) -> str:
    for prefix, ns in (
        ("mg:", str(MG)),
        ("xsd:", str(XSD)),
        ("prov:", str(PROV)),
        ("skos:", str(SKOS)),
        ("rdf:", str(RDF)),
    ):
        text = text.replace(ns, prefix)
    return text


def validate_dataset(
    ds: Dataset, ontology: Ontology, shapes: Path | Graph = DEFAULT_SHAPES
) -> list[Violation]:
    """Check the dataset against the SHACL shapes; every violation names its source.

    The named graphs are validated together (records refer across graphs) with the
    ontology alongside, so ``sh:class mg:Modality`` sees the ontology's modalities.

    Returns
    -------
    list of Violation
        Empty when the dataset conforms; sorted by document and statement.
    """
    shapes_graph = shapes if isinstance(shapes, Graph) else load_shapes(ontology, shapes)
    data = union_graph(ds)
    data += ontology.graph  # the modalities, predicates and link kinds the shapes refer to
    conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph,
        advanced=True,  # SPARQL targets pick each predicate's assertions
        inference="none",
        inplace=True,  # `data` is a throwaway copy: spare pyshacl a second one
        allow_warnings=True,
    )
    if conforms:
        return []
    assert isinstance(results, Graph)
    out = set()
    for result in results.objects(None, SH.result):  # top level; sh:detail nests the causes
        focus = results.value(result, SH.focusNode)
        message = str(results.value(result, SH.resultMessage) or "violates a shape")
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        if "has another type" not in message:  # type mismatches say what they got instead
            if path is not None and isinstance(path, URIRef):
                message = f"{path}: {message}"
            if value is not None and value != focus:
                message += f" (value: {value})"
        out.add(_trace(data, focus, _short(message, data)))
    return sorted(out, key=lambda v: (v.doc_id or "", v.statement_id or "", v.focus, v.message))


def _local(node: Node) -> str:
    return str(node).removeprefix(str(MG))


def _trace(data: Graph, focus: Node | None, message: str) -> Violation:
    """Find the statement and document behind a violating node."""
    if focus is None:
        return Violation(None, None, "", message)
    assertion: Node | None = None
    if (focus, RDF.type, MG.Assertion) in data:
        assertion = focus
    elif (focus, RDF.type, MG.Document) in data:
        doc_id = data.value(focus, MG.docId)
        return Violation(None, str(doc_id) if doc_id else None, str(focus), message)
    else:  # an entity: blame the first assertion that mentions it
        mentions = sorted(
            set(data.subjects(RDF.subject, focus)) | set(data.subjects(RDF.object, focus)),
            key=str,
        )
        assertion = mentions[0] if mentions else None
        label = data.value(focus, SKOS.prefLabel)
        if label is not None:
            message = f"{label}: {message}"
    if assertion is None:
        return Violation(None, None, str(focus), message)
    if "has another type" in message:
        got = [
            "|".join(sorted(_local(t) for t in data.objects(data.value(assertion, end), RDF.type)))
            or "untyped"
            for end in (RDF.subject, RDF.object)
        ]
        message += f" (got {got[0]} -> {got[1]})"
    statement_id = data.value(assertion, MG.statementId)
    doc = data.value(assertion, PROV.wasDerivedFrom)
    doc_id = data.value(doc, MG.docId) if doc is not None else None
    start, end = data.value(assertion, MG.spanStart), data.value(assertion, MG.spanEnd)
    evidence = data.value(assertion, MG.evidence)
    return Violation(
        statement_id=str(statement_id) if statement_id is not None else None,
        doc_id=str(doc_id) if doc_id is not None else None,
        focus=str(focus),
        message=message,
        evidence=str(evidence) if evidence is not None else None,
        span=(int(start), int(end)) if start is not None and end is not None else None,  # type: ignore[call-overload]
    )
