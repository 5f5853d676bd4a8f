"""SHACL validation of the RDF dataset, with each violation traced to its statement.

The shapes live in ``ontology/shapes.ttl``. The per-predicate type checks there
(``leader_of`` links a Person to a MilitantGroup...) are what :func:`predicate_shapes`
generates from the ontology's domains and ranges; a test keeps the two in step, and a
predicate added to the ontology but not yet to the file is checked all the same.

The shapes are written for pyshacl at scale: constraints that apply to every assertion
sit on top-level property shapes (checked for all focus nodes in one pass), and nested
shapes (sh:or, sh:node) only on shapes whose focus nodes are few distinct values (dates,
link kinds). A violation of such a value shape is traced to every record holding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import PROV, SH, SKOS
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.term import Node

from graph_builder.config import PROJECT_ROOT
from graph_builder.errors import OntologyError
from graph_builder.ontology import MG, Ontology, Predicate

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
    """IRI of the generated subject-type shape of a predicate, e.g. mgsh:leaderOfSubjectShape.

    Every predicate has one; :func:`load_shapes` generates the shapes of a predicate whose
    subject shape the shapes file lacks.
    """
    return MGSH[f"{_local(predicate.iri)}SubjectShape"]


def _type_shape(
    graph: Graph, shape: URIRef, target: str, end: URIRef, types: list[URIRef], message: str
) -> None:
    """A property shape: the `end` (rdf:subject or rdf:object) of every assertion the
    SPARQL `target` pattern selects has a type, and only types among `types`.

    The type is checked along the path (end rdf:type) with sh:in, not with sh:class or
    sh:or: pyshacl checks a top-level property shape for all its focus nodes in one pass,
    but evaluates nested shapes (sh:or, sh:node, sh:property) once per value node, which
    is orders of magnitude slower on many thousand assertions.
    """
    graph.add((shape, RDF.type, SH.PropertyShape))
    sparql = BNode()
    graph.add((shape, SH.target, sparql))
    graph.add((sparql, RDF.type, SH.SPARQLTarget))
    graph.add((sparql, SH.prefixes, MGSH.prefixes))
    graph.add((sparql, SH.select, Literal(f"SELECT ?this WHERE {{ {target} }}")))
    path = BNode()
    Collection(graph, path, [end, RDF.type])
    graph.add((shape, SH.path, path))
    graph.add((shape, SH.minCount, Literal(1)))
    allowed = BNode()
    Collection(graph, allowed, list(types))
    graph.add((shape, SH["in"], allowed))
    graph.add((shape, SH.message, Literal(message)))


def predicate_shapes(ontology: Ontology, only: set[str] | None = None) -> Graph:
    """SHACL shapes checking that every assertion's subject and object types fit its
    predicate's domain and range (either way round for symmetric predicates).

    The shapes of a predicate target its assertions through a SPARQL target, so an
    assertion is checked by its own predicate only. A symmetric predicate whose domain
    and range differ (linked_to: MilitantGroup|Person <-> MilitantGroup) fits if either
    direction does: both ends must be in domain or range, and one more shape per subject
    type that narrows the object's (a Person is linked to a MilitantGroup) checks the rest.
    """
    graph = Graph()
    graph.bind("sh", SH)
    graph.bind("mg", MG)
    graph.bind("mgsh", MGSH)
    for name, predicate in ontology.predicates.items():
        if only is not None and name not in only:
            continue
        local = _local(predicate.iri)
        domain, range_ = set(predicate.domain), set(predicate.range)
        arrow = "<->" if predicate.symmetric else "->"
        links = f"{name} links {'|'.join(sorted(domain))} {arrow} {'|'.join(sorted(range_))}"
        target = f"?this rdf:predicate mg:{local}"
        either = domain | range_
        for end, types, which in (
            (RDF.subject, either if predicate.symmetric else domain, "subject"),
            (RDF.object, either if predicate.symmetric else range_, "object"),
        ):
            _type_shape(
                graph,
                MGSH[f"{local}{which.title()}Shape"],
                target,
                end,
                [ontology.types[t] for t in sorted(types)],
                f"{links}; the {'subject or object' if predicate.symmetric else which} "
                "has another type",
            )
        if not predicate.symmetric:
            continue
        for type_name in sorted(either):  # the objects this subject type allows
            allowed = (range_ if type_name in domain else set()) | (
                domain if type_name in range_ else set()
            )
            if allowed == either:
                continue
            _type_shape(
                graph,
                MGSH[f"{local}ObjectOf{type_name}Shape"],
                f"{target} ; rdf:subject/rdf:type mg:{_local(ontology.types[type_name])}",
                RDF.object,
                [ontology.types[t] for t in sorted(allowed)],
                f"{links}; the subject or object has another type",
            )
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
    return validate_graph(_data_graph(ds, ontology), ontology, shapes)


def validate_graph(
    data: Graph, ontology: Ontology, shapes: Path | Graph = DEFAULT_SHAPES
) -> list[Violation]:
    """Check one graph holding records (assertions, documents, entities) and the ontology
    against the shapes; it is changed in place (pyshacl is spared a copy).

    Every shape is local to its focus record: it reads the record's own properties and
    the types of the entities it names. So a graph holding some records, with the types
    of the entities they name and the ontology beside them, gets exactly the violations
    those records get in the whole dataset (what :mod:`graph_builder.rdf_fragments`
    relies on to validate one document at a time).
    """
    shapes_graph = shapes if isinstance(shapes, Graph) else load_shapes(ontology, shapes)
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
        out.update(_trace(data, focus, _short(message, data)))
    return sorted(out, key=lambda v: (v.doc_id or "", v.statement_id or "", v.focus, v.message))


def _data_graph(ds: Dataset, ontology: Ontology) -> Graph:
    """All graphs' triples in one graph, with the ontology (the modalities, predicates and
    link kinds the shapes refer to): records refer to each other across graphs."""
    data = records_graph(((s, p, o) for s, p, o, _ in ds.quads((None, None, None, None))), ontology)
    for prefix, ns in ds.namespaces():
        data.bind(prefix, ns, replace=True)
    return data


def validate_records(
    triples: Iterable[tuple[Node, Node, Node]], ontology: Ontology, shapes: Graph
) -> list[Violation]:
    """:func:`validate_graph` of the records that `triples` make, with the ontology."""
    store = _RecordStore()
    store.fill(chain(triples, ontology.graph))
    try:
        return validate_graph(Graph(store=store), ontology, shapes)
    finally:
        # pyshacl leaves the graph in reference cycles: freed now, its triples do not wait
        # for (and slow down) the cyclic collector
        store.clear()


def records_graph(triples: Iterable[tuple[Node, Node, Node]], ontology: Ontology) -> Graph:
    """Records to validate, with the ontology beside them (the shapes refer to its
    modalities, predicates and link kinds); filled in one batch per source.

    rdflib's own store, not :class:`_RecordStore`: a dataset from a user's file may hold
    blank nodes, and pyshacl finds a blank node's graph through the store's contexts,
    which _RecordStore does not keep.
    """
    data = Graph()
    data.addN((s, p, o, data) for s, p, o in triples)
    data.addN((s, p, o, data) for s, p, o in ontology.graph)
    return data


Triple = tuple[Node, Node, Node]
# The graphs a triple is in, as a store reports them: none named (one graph). An
# exhausted iterator stays exhausted, so one serves every triple.
_NO_GRAPHS: Iterator[Any] = iter(())


class _RecordStore(SimpleMemory):
    """A triple store for graphs that are built once and read many times (validation).

    It keeps the same three indexes as rdflib's SimpleMemory (subject, predicate and object
    first) and yields triples in the same (insertion) order, with less work per triple:
    rdflib's default store keeps every triple's graphs and announces every addition, and
    both compare each pattern term to None in Python. SimpleMemory is the base for its
    prefix bindings. pyshacl views any data graph as a Dataset, which asks for a context-
    and graph-aware store: this one holds one graph, so every context is that graph. Its
    size is kept, not counted: pyshacl takes the truth value (the length) of the data
    graph for every result it makes.
    """

    context_aware = True
    graph_aware = True

    def __init__(self) -> None:
        super().__init__()
        self.clear()

    def clear(self) -> None:
        """Forget every triple."""
        self._spo: dict[Node, dict[Node, dict[Node, int]]] = {}
        self._pos: dict[Node, dict[Node, dict[Node, int]]] = {}
        self._osp: dict[Node, dict[Node, dict[Node, int]]] = {}
        self._size = 0

    def fill(self, triples: Iterable[Triple]) -> None:
        """Add triples, each once, in the order given."""
        spo, pos, osp = self._spo, self._pos, self._osp
        for s, p, o in triples:
            objects = spo.setdefault(s, {}).setdefault(p, {})
            if o not in objects:
                objects[o] = 1
                pos.setdefault(p, {}).setdefault(o, {})[s] = 1
                osp.setdefault(o, {}).setdefault(s, {})[p] = 1
                self._size += 1

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.fill((triple,))

    def remove(self, triple: Any, context: Any = None) -> None:
        for (s, p, o), _ in list(self.triples(triple)):
            del self._spo[s][p][o]
            del self._pos[p][o][s]
            del self._osp[o][s][p]
            self._size -= 1

    def triples(self, triple: Any, context: Any = None) -> Iterator[tuple[Triple, Iterator[Any]]]:
        s, p, o = triple
        if s is not None and p is not None:  # the lookup validation makes most
            objects = self._spo.get(s, {}).get(p, {})
            for obj in objects if o is None else [o] if o in objects else []:
                yield (s, p, obj), _NO_GRAPHS
        elif s is not None:
            for predicate, objects in self._spo.get(s, {}).items():
                for obj in objects if o is None else [o] if o in objects else []:
                    yield (s, predicate, obj), _NO_GRAPHS
        elif p is not None:
            by_object = self._pos.get(p, {})
            for obj, subjects in by_object.items() if o is None else [(o, by_object.get(o, {}))]:
                for subject in subjects:
                    yield (subject, p, obj), _NO_GRAPHS
        elif o is not None:
            for subject, predicates in self._osp.get(o, {}).items():
                for predicate in predicates:
                    yield (subject, predicate, o), _NO_GRAPHS
        else:
            for subject, by_predicate in self._spo.items():
                for predicate, objects in by_predicate.items():
                    for obj in objects:
                        yield (subject, predicate, obj), _NO_GRAPHS

    def __len__(self, context: Any = None) -> int:
        return self._size


def _local(node: Node) -> str:
    return str(node).removeprefix(str(MG))


def _holders(data: Graph, value: Node) -> list[tuple[Node, Node]]:
    """The assertions and documents that hold `value` (a date, a link kind), with the
    property, for violations of the shapes that target values, not records."""
    records = (MG.Assertion, MG.Document)
    return sorted(
        (
            (node, prop)
            for node, prop in data.subject_predicates(value)
            if prop not in (RDF.subject, RDF.object)
            and any((node, RDF.type, cls) in data for cls in records)
        ),
        key=lambda pair: (str(pair[0]), str(pair[1])),
    )


def _trace(data: Graph, focus: Node | None, message: str) -> list[Violation]:
    """Find the statements and documents behind a violating node."""
    if focus is None:
        return [Violation(None, None, "", message)]
    if (focus, RDF.type, MG.Assertion) in data:
        return [_assertion_violation(data, focus, focus, message)]
    if (focus, RDF.type, MG.Document) in data:
        doc_id = data.value(focus, MG.docId)
        return [Violation(None, str(doc_id) if doc_id else None, str(focus), message)]
    holders = _holders(data, focus)
    if holders:  # a bad value: one violation for each record that holds it
        return [
            _document_or_assertion(data, node, f"{_short(str(prop), data)}: {message}", focus)
            for node, prop in holders
        ]
    # an entity: blame the first assertion that mentions it
    mentions = sorted(
        set(data.subjects(RDF.subject, focus)) | set(data.subjects(RDF.object, focus)), key=str
    )
    label = data.value(focus, SKOS.prefLabel)
    if label is not None:
        message = f"{label}: {message}"
    if not mentions:
        return [Violation(None, None, str(focus), message)]
    return [_assertion_violation(data, mentions[0], focus, message)]


def _document_or_assertion(data: Graph, node: Node, message: str, value: Node) -> Violation:
    message += f" (value: {value})"
    if (node, RDF.type, MG.Document) in data:
        doc_id = data.value(node, MG.docId)
        return Violation(None, str(doc_id) if doc_id else None, str(node), message)
    return _assertion_violation(data, node, node, message)


def _assertion_violation(data: Graph, assertion: Node, focus: Node, message: str) -> Violation:
    """A violation traced to `assertion`: its statement id, document, evidence and span."""
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
