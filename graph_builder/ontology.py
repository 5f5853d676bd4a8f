"""The ontology as data: entity types, predicates, modalities and link kinds from Turtle.

Load it once with :func:`load_ontology` and pass the result in; nothing here is a
module-level singleton.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SKOS
from rdflib.term import Node

from graph_builder.errors import OntologyError

MG = Namespace("https://milgraph.org/ontology#")
DEFAULT_ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology" / "milgraph.ttl"


def snake_case(name: str) -> str:
    """camelCase local name to the JSONL predicate name.

    >>> snake_case("leaderOf")
    'leader_of'
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Predicate:
    """A relation of the ontology, with the names it has in each layer."""

    name: str  # snake_case, as in the statement JSONL
    iri: URIRef
    label: str
    comment: str
    domain: frozenset[str]  # entity type names
    range: frozenset[str]
    symmetric: bool

    @property
    def rel_type(self) -> str:
        """Neo4j relationship type (UPPER_SNAKE)."""
        return self.name.upper()


@dataclass(frozen=True)
class Ontology:
    """Everything the code needs to know about the schema, read from the Turtle file."""

    graph: Graph
    types: dict[str, URIRef]  # entity type name -> class IRI
    predicates: dict[str, Predicate]
    modalities: dict[str, int]  # modality name -> strength (higher is stronger)
    link_kinds: frozenset[str]
    path: Path

    def predicate(self, name: str) -> Predicate:
        try:
            return self.predicates[name]
        except KeyError:
            raise OntologyError(
                f"unknown predicate {name!r}; expected one of {', '.join(sorted(self.predicates))}"
            ) from None

    def type_name(self, iri: URIRef) -> str:
        for name, type_iri in self.types.items():
            if type_iri == iri:
                return name
        raise OntologyError(f"{iri} is not an entity class of the ontology")

    def modalities_by_strength(self) -> list[str]:
        """Modality names, strongest first."""
        return sorted(self.modalities, key=lambda m: -self.modalities[m])


def _class_names(graph: Graph, node: Node, types: dict[str, URIRef]) -> frozenset[str]:
    """Names of the entity classes a domain/range node denotes (a class or owl:unionOf)."""
    by_iri: dict[Node, str] = {iri: name for name, iri in types.items()}
    union = graph.value(node, OWL.unionOf)
    members = list(Collection(graph, union)) if union is not None else [node]
    names = set()
    for member in members:
        if member not in by_iri:
            raise OntologyError(f"domain/range {member} is not an entity class")
        names.add(by_iri[member])
    return frozenset(names)


def load_ontology(path: str | Path = DEFAULT_ONTOLOGY) -> Ontology:
    """Read the ontology Turtle file.

    >>> onto = load_ontology()
    >>> onto.predicate("leader_of").domain, onto.predicate("leader_of").rel_type
    (frozenset({'Person'}), 'LEADER_OF')
    >>> onto.predicate("linked_to").symmetric
    True
    """
    path = Path(path)
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError:
        raise OntologyError(f"{path}: ontology file not found") from None
    except Exception as exc:  # rdflib raises several parser exception types
        raise OntologyError(f"{path}: not valid Turtle: {exc}") from None

    types = {
        str(graph.value(cls, RDFS.label)): cls
        for cls in graph.subjects(RDF.type, MG.EntityClass)
        if isinstance(cls, URIRef)
    }
    predicates = {}
    for iri in graph.subjects(RDF.type, MG.Predicate):
        if not isinstance(iri, URIRef):
            continue
        name = snake_case(iri.removeprefix(str(MG)))
        domain, range_ = graph.value(iri, RDFS.domain), graph.value(iri, RDFS.range)
        if domain is None or range_ is None:
            raise OntologyError(f"{path}: predicate {iri} needs rdfs:domain and rdfs:range")
        predicates[name] = Predicate(
            name=name,
            iri=iri,
            label=str(graph.value(iri, RDFS.label) or name),
            comment=str(graph.value(iri, RDFS.comment) or ""),
            domain=_class_names(graph, domain, types),
            range=_class_names(graph, range_, types),
            symmetric=(iri, RDF.type, OWL.SymmetricProperty) in graph,
        )
    modalities = {
        str(graph.value(m, RDFS.label)): int(str(graph.value(m, MG.strength)))
        for m in graph.subjects(RDF.type, MG.Modality)
    }
    link_kinds = frozenset(
        str(graph.value(k, SKOS.prefLabel)) for k in graph.subjects(SKOS.inScheme, MG.LinkKind)
    )
    if not types or not predicates or not modalities:
        raise OntologyError(f"{path}: no entity classes, predicates or modalities found")
    return Ontology(
        graph=graph,
        types=dict(sorted(types.items())),
        predicates=dict(sorted(predicates.items())),
        modalities=modalities,
        link_kinds=link_kinds,
        path=path,
    )
