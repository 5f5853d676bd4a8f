"""The graph as read back from the RDF: the one shape Neo4j loading and analytics consume.

:func:`graph_builder.rdf.graph_data` builds a :class:`GraphData` from the dataset; the
Neo4j loader and the networkx views both take it, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Strongest first; "denied" never becomes an edge (see ontology/milgraph.ttl).
MODALITY_ORDER = ("asserted", "reported", "claimed", "alleged")


@dataclass(frozen=True)
class Entity:
    """A resolved entity: `id` is its stable IRI."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    id: str  # doc_id (file stem)
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class Support:
    """One statement supporting a relation: its source, sentence and how it was said."""

    statement_id: str
    doc_id: str
    evidence: str
    modality: str
    confidence: float
    span: tuple[int, int] | None = None
    attributed_to: str | None = None
    date: str | None = None
    role: str | None = None
    relation: str | None = None
    link_kind: str | None = None
    extractor: str | None = None


@dataclass(frozen=True)
class Relation:
    """One (subject, predicate, object) with every statement that supports it."""

    subject_id: str
    predicate: str  # snake_case name from the ontology
    object_id: str
    support: tuple[Support, ...]

    @property
    def modality(self) -> str:
        """Strongest modality among the supports (asserted > reported > claimed > alleged)."""
        return min(
            (s.modality for s in self.support if s.modality in MODALITY_ORDER),
            key=MODALITY_ORDER.index,
        )

    @property
    def doc_ids(self) -> tuple[str, ...]:
        return tuple(sorted({s.doc_id for s in self.support}))

    @property
    def n_sources(self) -> int:
        return len(self.doc_ids)

    @property
    def confidence(self) -> float:
        """Noisy-or of the per-document best confidences: independent sources add up."""
        best: dict[str, float] = {}
        for s in self.support:
            best[s.doc_id] = max(best.get(s.doc_id, 0.0), s.confidence)
        doubt = 1.0
        for value in best.values():
            doubt *= 1.0 - value
        return round(1.0 - doubt, 6)

    @property
    def dates(self) -> tuple[str, ...]:
        return tuple(sorted({s.date for s in self.support if s.date}))

    def qualifier(self, name: str) -> str | None:
        """Joined distinct values of a qualifier (role, relation, link_kind)."""
        values = sorted({getattr(s, name) for s in self.support if getattr(s, name)})
        return ", ".join(values) if values else None


@dataclass(frozen=True)
class GraphData:
    """Entities, relations (denied-only ones excluded), documents and mentions."""

    entities: dict[str, Entity]
    relations: tuple[Relation, ...]
    documents: dict[str, DocumentInfo]
    mentions: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (doc_id, entity_id)
