"""networkx views of a :class:`~graph_builder.model.GraphData`.

Every view starts from the same filtered relations: supports weaker than ``min_modality``
are dropped, and with ``as_of`` so are supports dated after that day (statement date,
else the document's date). A relation left with no support is not an edge. Edge weights
come from what remains: each supporting document counts once, with the weight of the
strongest modality it used (asserted 1.0, reported 0.75, claimed 0.5, alleged 0.25), so
two independent reports outweigh one and "allegedly" weighs less than plain fact.

Views
-----
full_graph    MultiDiGraph, one edge per relation with all its properties.
entity_graph  undirected simple graph over all entities (the graph of metrics.csv).
person_view   person-person ties: associates, kinship, co-membership, shared events.
group_view    group-group ties: declared links with their kinds, and shared members.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import networkx as nx

from graph_builder.errors import MilgraphError
from graph_builder.gcpause import gc_paused
from graph_builder.model import MODALITY_ORDER, Entity, GraphData, Relation, Support

if TYPE_CHECKING:
    from graph_builder.ontology import Ontology

# The symmetric predicates of DESIGN.md, used when no ontology is passed in.
DEFAULT_SYMMETRIC = frozenset({"linked_to", "relative_of", "associate_of"})
MEMBERSHIP = ("leader_of", "member_of", "founder_of")
EVENT_ROLES = ("killed_in", "responsible_for")
_NO_ENTITY = Entity("", "", "")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def modality_weight(modality: str) -> float:
    """Weight of one source by its modality: asserted 1.0 down to alleged 0.25.

    >>> [modality_weight(m) for m in ("asserted", "reported", "claimed", "alleged")]
    [1.0, 0.75, 0.5, 0.25]
    """
    return (len(MODALITY_ORDER) - MODALITY_ORDER.index(modality)) / len(MODALITY_ORDER)


def allowed_modalities(min_modality: str) -> tuple[str, ...]:
    """The modalities at least as strong as `min_modality`, strongest first.

    >>> allowed_modalities("reported")
    ('asserted', 'reported')
    """
    if min_modality not in MODALITY_ORDER:
        raise MilgraphError(
            f"unknown modality {min_modality!r}; expected one of {', '.join(MODALITY_ORDER)}"
        )
    return MODALITY_ORDER[: MODALITY_ORDER.index(min_modality) + 1]


@lru_cache(maxsize=1 << 16)  # a corpus has few distinct dates and ~10 supports per article
def normalize_date(value: str | None) -> str | None:
    """An ISO day for a full or partial date ("2015" -> "2015-01-01"); None if not a date.

    >>> normalize_date("2015-07"), normalize_date("2015-07-29T10:00"), normalize_date("July")
    ('2015-07-01', '2015-07-29', None)
    """
    if not value:
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    return f"{year}-{month}-{day}"


def check_as_of(as_of: str | None) -> str | None:
    """Validate an ``--as-of`` day (YYYY-MM-DD)."""
    if as_of is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
        raise MilgraphError(f"--as-of {as_of!r} is not a date; expected YYYY-MM-DD")
    return as_of


def support_date(support: Support, data: GraphData) -> str | None:
    """The day a support is dated: its statement date, else its document's date."""
    own = normalize_date(support.date)
    if own:
        return own
    doc = data.documents.get(support.doc_id)
    return normalize_date(doc.date) if doc else None


def _support_dater(data: GraphData) -> Callable[[Support], str | None]:
    """:func:`support_date` for many supports of `data`: each document's day found once."""
    doc_days = {doc_id: normalize_date(doc.date) for doc_id, doc in data.documents.items()}

    def day(support: Support) -> str | None:
        return normalize_date(support.date) or doc_days.get(support.doc_id)

    return day


@dataclass(frozen=True)
class EdgeFacts:
    """Plain facts about a relation after filtering, shared by every view and export."""

    relation: Relation
    weight: float
    dates: tuple[str, ...]  # sorted ISO days of the retained supports

    @property
    def start(self) -> str | None:
        return self.dates[0] if self.dates else None

    @property
    def end(self) -> str | None:
        return self.dates[-1] if self.dates else None


def relation_weight(supports: Iterable[Support]) -> float:
    """Sum over documents of the strongest modality weight each one used.

    >>> s = lambda doc, m: Support("s", doc, "e", m, 0.9)
    >>> relation_weight([s("a", "alleged"), s("a", "asserted"), s("b", "reported")])
    1.75
    """
    best: dict[str, float] = {}
    for s in supports:
        weight = _MODALITY_WEIGHTS.get(s.modality)
        if weight is None:
            weight = modality_weight(s.modality)  # raises, naming the unknown modality
        best[s.doc_id] = max(best.get(s.doc_id, 0.0), weight)
    return sum(best.values())


_MODALITY_WEIGHTS = {m: modality_weight(m) for m in MODALITY_ORDER}
_BY_SOURCE = attrgetter("doc_id", "statement_id")


# The last few filterings: the exports and the report ask for the same view of the same
# data several times per rebuild (seconds each on a large corpus).
_FILTERED: dict[tuple[int, str, str | None, int], tuple[GraphData, Any, list[EdgeFacts]]] = {}


def filtered_relations(
    data: GraphData,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> list[EdgeFacts]:
    """Relations with only the supports that pass the filters, symmetric ones merged.

    A symmetric predicate between two entities of the same type gets one canonical
    direction (smaller id first), so a tie read both ways from different sources is one
    edge with both sources.
    """
    key = (id(data), min_modality, as_of, id(ontology))
    found = _FILTERED.get(key)
    if found is not None and found[0] is data and found[1] is ontology:
        return list(found[2])
    with gc_paused():  # one small object per support, beside the millions `data` holds
        facts = _filter_relations(data, min_modality, as_of, ontology)
    if len(_FILTERED) >= 4:
        _FILTERED.clear()
    _FILTERED[key] = (data, ontology, facts)
    return list(facts)


def _filter_relations(
    data: GraphData, min_modality: str, as_of: str | None, ontology: Ontology | None
) -> list[EdgeFacts]:
    allowed = set(allowed_modalities(min_modality))
    as_of = check_as_of(as_of)
    symmetric = (
        frozenset(p.name for p in ontology.predicates.values() if p.symmetric)
        if ontology is not None
        else DEFAULT_SYMMETRIC
    )
    entities = data.entities
    day = _support_dater(data)
    merged: dict[tuple[str, str, str], list[Support]] = {}
    for rel in data.relations:
        s, o = rel.subject_id, rel.object_id
        same_type = entities.get(s, _NO_ENTITY).type == entities.get(o, _NO_ENTITY).type
        if rel.predicate in symmetric and same_type and o < s:
            s, o = o, s  # person linked_to group keeps the ontology's direction
        kept = [sup for sup in rel.support if sup.modality in allowed]
        if as_of is not None:
            kept = [sup for sup in kept if (when := day(sup)) is not None and when <= as_of]
        found = merged.get((s, rel.predicate, o))
        if found is None:
            merged[(s, rel.predicate, o)] = kept
        else:
            found += kept
    facts = []
    # by (subject, predicate, object): the keys are distinct, the lists never compared
    for (s, p, o), supports in sorted(merged.items()):
        if not supports or s not in entities or o not in entities:
            continue
        supports.sort(key=_BY_SOURCE)
        rel = Relation(s, p, o, tuple(supports))
        days = {d for d in map(day, supports) if d}
        facts.append(EdgeFacts(rel, relation_weight(supports), tuple(sorted(days))))
    return facts


def present_entities(data: GraphData, facts: list[EdgeFacts], as_of: str | None) -> list[str]:
    """Entity ids in a view: all of them, or with `as_of` those known by that day."""
    if as_of is None:
        return sorted(data.entities)
    known = {f.relation.subject_id for f in facts} | {f.relation.object_id for f in facts}
    for doc_id, entity_id in data.mentions:
        doc = data.documents.get(doc_id)
        day = normalize_date(doc.date) if doc else None
        if day is not None and day <= as_of:
            known.add(entity_id)
    return sorted(known & set(data.entities))


def _add_nodes(G: nx.Graph, data: GraphData, ids: Iterable[str], types: set[str] | None) -> None:
    entities = data.entities
    G.add_nodes_from(
        (i, {"name": e.name, "label": e.name, "type": e.type, "aliases": e.aliases})
        for i, e in ((i, entities[i]) for i in ids)
        if types is None or e.type in types
    )


def full_graph(
    data: GraphData,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> nx.MultiDiGraph:
    """One directed edge per relation (key = edge id), with its aggregated properties.

    Edge attributes: ``predicate``, ``modality`` (strongest), ``weight``, ``n_sources``,
    ``confidence``, ``doc_ids``, ``start``/``end`` (first and last dated support),
    ``role``/``relation``/``link_kind`` qualifiers and ``support`` (the Support records).

    Examples
    --------
    >>> from graph_builder.model import Entity, GraphData, Relation, Support
    >>> ents = {"p": Entity("p", "Ali", "Person"), "g": Entity("g", "LeJ", "MilitantGroup")}
    >>> sup = Support("s1", "d1", "Ali leads LeJ.", "asserted", 0.9)
    >>> data = GraphData(ents, (Relation("p", "leader_of", "g", (sup,)),), {})
    >>> G = full_graph(data)
    >>> [(u, v, k, d["predicate"], d["weight"]) for u, v, k, d in G.edges(keys=True, data=True)]
    [('p', 'g', 'e0', 'leader_of', 1.0)]
    """
    facts = filtered_relations(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    G = nx.MultiDiGraph(min_modality=min_modality, as_of=as_of or "")
    _add_nodes(G, data, present_entities(data, facts, as_of), None)
    for i, fact in enumerate(facts):
        rel = fact.relation
        G.add_edge(
            rel.subject_id,
            rel.object_id,
            key=f"e{i}",
            predicate=rel.predicate,
            modality=rel.modality,
            weight=fact.weight,
            n_sources=rel.n_sources,
            confidence=rel.confidence,
            doc_ids=rel.doc_ids,
            start=fact.start,
            end=fact.end,
            role=rel.qualifier("role"),
            relation=rel.qualifier("relation"),
            link_kind=rel.qualifier("link_kind"),
            support=rel.support,
        )
    return G


def _merge_edge(G: nx.Graph, u: str, v: str, weight: float, **lists: Iterable[Any]) -> None:
    """Add weight to an undirected edge and union its list-valued attributes."""
    if G.has_edge(u, v):
        edge = G.edges[u, v]
        edge["weight"] += weight
    else:
        G.add_edge(u, v, weight=weight)
        edge = G.edges[u, v]
    for name, values in lists.items():
        edge[name] = tuple(sorted(set(edge.get(name, ())) | set(values)))


def entity_graph(
    data: GraphData,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> nx.Graph:
    """Undirected simple graph over all entities; relations between a pair are merged.

    Edge ``weight`` is the sum of the merged relations' weights; ``predicates``,
    ``doc_ids`` and ``statement_ids`` list what supports the tie, and ``n_sources``
    counts the distinct documents.

    Examples
    --------
    >>> from graph_builder.model import Entity, GraphData, Relation, Support
    >>> ents = {i: Entity(i, i.upper(), "Person") for i in "abc"}
    >>> s1 = Support("s1", "d1", "A and B.", "asserted", 0.9)
    >>> s2 = Support("s2", "d2", "B and A, allegedly.", "alleged", 0.5)
    >>> rels = (Relation("a", "associate_of", "b", (s1,)), Relation("b", "relative_of", "a", (s2,)))
    >>> G = entity_graph(GraphData(ents, rels, {}))
    >>> sorted(G.nodes), G.edges["a", "b"]["weight"], G.edges["a", "b"]["n_sources"]
    (['a', 'b', 'c'], 1.25, 2)
    >>> H = entity_graph(GraphData(ents, rels, {}), min_modality="reported")
    >>> H.edges["a", "b"]["predicates"]
    ('associate_of',)
    """
    # tens of thousands of small acyclic objects beside the millions `data` holds: the
    # collections they would trigger rescan everything and free nothing
    with gc_paused():
        facts = filtered_relations(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
        G = nx.Graph(min_modality=min_modality, as_of=as_of or "")
        _add_nodes(G, data, present_entities(data, facts, as_of), None)
        G.add_edges_from(_entity_ties(facts))
    return G


def _entity_ties(facts: list[EdgeFacts]) -> list[tuple[str, str, dict[str, Any]]]:
    """The entity graph's edges, in the order and with the attributes (same order, same
    float sums) that merging the facts one by one with :func:`_merge_edge` gives, without
    sorting each edge's lists again at every merge."""
    ties: dict[tuple[str, str], list[EdgeFacts]] = {}
    for fact in facts:
        rel = fact.relation
        u, v = rel.subject_id, rel.object_id
        if u == v:
            continue  # a self-loop says nothing about structure
        found = ties.get((u, v) if u < v else (v, u))
        if found is None:
            ties[(u, v) if u < v else (v, u)] = [fact]
        else:
            found.append(fact)
    return [_tie(merged) for merged in ties.values()]


def _tie(facts: list[EdgeFacts]) -> tuple[str, str, dict[str, Any]]:
    """One entity-graph edge from the facts between a pair (most pairs have one): ends as
    the first fact has them, weight summed in fact order, lists sorted once."""
    first = facts[0].relation
    weight = facts[0].weight
    for fact in facts[1:]:
        weight += fact.weight  # the first weight, then += : the float sum _merge_edge makes
    supports = [s for fact in facts for s in fact.relation.support]
    doc_ids = tuple(sorted(set(map(_DOC_ID, supports))))
    attrs = {
        "weight": weight,
        "predicates": tuple(sorted({fact.relation.predicate for fact in facts})),
        "doc_ids": doc_ids,
        "statement_ids": tuple(sorted(set(map(_STATEMENT_ID, supports)))),
        "dates": tuple(sorted({day for fact in facts for day in fact.dates})),
        "n_sources": len(doc_ids),
    }
    return first.subject_id, first.object_id, attrs


_DOC_ID = attrgetter("doc_id")
_STATEMENT_ID = attrgetter("statement_id")


def _by_predicate(facts: list[EdgeFacts], names: Iterable[str]) -> list[EdgeFacts]:
    wanted = set(names)
    return [f for f in facts if f.relation.predicate in wanted]


def _shared_context(
    facts: list[EdgeFacts], predicates: Iterable[str], types: Mapping[str, str], side_type: str
) -> dict[str, dict[str, float]]:
    """context id -> {entity of `side_type` -> weight of its tie to the context}."""
    members: dict[str, dict[str, float]] = defaultdict(dict)
    for f in _by_predicate(facts, predicates):
        who, ctx = f.relation.subject_id, f.relation.object_id
        if types.get(who) != side_type:
            continue
        members[ctx][who] = max(members[ctx].get(who, 0.0), f.weight)
    return members


def person_view(
    data: GraphData,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
    only: Collection[str] | None = None,
) -> nx.Graph:
    """Person-person ties, each edge with ``kinds`` and the ``via`` groups/events; with
    `only`, among those people alone.

    Kinds: ``associate`` (associate_of), ``kinship`` (relative_of), ``co-membership``
    (both lead, belong to or founded the same group) and ``shared event`` (both killed in
    or responsible for the same event). A shared context adds the weaker of the two ties.

    Examples
    --------
    >>> from graph_builder.model import Entity, GraphData, Relation, Support
    >>> ents = {"a": Entity("a", "A", "Person"), "b": Entity("b", "B", "Person"),
    ...         "g": Entity("g", "G", "MilitantGroup")}
    >>> s = Support("s", "d", "A and B lead G.", "asserted", 0.9)
    >>> r = Support("r", "d", "B is a member of G, police said.", "reported", 0.9)
    >>> rels = (Relation("a", "leader_of", "g", (s,)), Relation("b", "member_of", "g", (r,)))
    >>> G = person_view(GraphData(ents, rels, {}))
    >>> e = G.edges["a", "b"]
    >>> sorted(G.nodes), e["kinds"], e["via"], e["weight"]
    (['a', 'b'], ('co-membership',), ('g',), 0.75)
    """
    facts = filtered_relations(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    G = nx.Graph(min_modality=min_modality, as_of=as_of or "")
    present = present_entities(data, facts, as_of)
    _add_nodes(G, data, present if only is None else [i for i in present if i in only], {"Person"})
    types = {i: e.type for i, e in data.entities.items()}
    for kind, predicate in (("associate", "associate_of"), ("kinship", "relative_of")):
        for f in _by_predicate(facts, [predicate]):
            u, v = f.relation.subject_id, f.relation.object_id
            if u != v and u in G and v in G:
                _merge_edge(G, u, v, f.weight, kinds=[kind], doc_ids=f.relation.doc_ids)
    for kind, predicates in (("co-membership", MEMBERSHIP), ("shared event", EVENT_ROLES)):
        for ctx, members in _shared_context(facts, predicates, types, "Person").items():
            for u, v in combinations(sorted(m for m in members if m in G), 2):
                w = min(members[u], members[v])
                _merge_edge(G, u, v, w, kinds=[kind], via=[ctx])
    for _, _, edge in G.edges(data=True):
        edge.setdefault("via", ())
        edge.setdefault("doc_ids", ())
    return G


def group_view(
    data: GraphData,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> nx.Graph:
    """Group-group ties: ``linked_to`` with its link kinds, plus shared members.

    Edge ``kinds`` holds the link kinds ("ally", "splinter"... or "ties" when none was
    given) and "shared member" when a person leads, belongs to or founded both groups
    (listed in ``via``).

    Examples
    --------
    >>> from graph_builder.model import Entity, GraphData, Relation, Support
    >>> ents = {"g": Entity("g", "G", "MilitantGroup"), "h": Entity("h", "H", "MilitantGroup")}
    >>> s = Support("s", "d", "G is an ally of H.", "asserted", 0.9, link_kind="ally")
    >>> G = group_view(GraphData(ents, (Relation("h", "linked_to", "g", (s,)),), {}))
    >>> list(G.edges(data="kinds"))
    [('g', 'h', ('ally',))]
    """
    facts = filtered_relations(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    G = nx.Graph(min_modality=min_modality, as_of=as_of or "")
    _add_nodes(G, data, present_entities(data, facts, as_of), {"MilitantGroup"})
    types = {i: e.type for i, e in data.entities.items()}
    for f in _by_predicate(facts, ["linked_to"]):
        u, v = f.relation.subject_id, f.relation.object_id
        if u != v and u in G and v in G:
            kinds = (f.relation.qualifier("link_kind") or "ties").split(", ")
            _merge_edge(G, u, v, f.weight, kinds=kinds, doc_ids=f.relation.doc_ids)
    by_person: dict[str, dict[str, float]] = defaultdict(dict)
    for group, members in _shared_context(facts, MEMBERSHIP, types, "Person").items():
        for person, w in members.items():
            by_person[person][group] = w
    for person, groups in sorted(by_person.items()):
        for u, v in combinations(sorted(g for g in groups if g in G), 2):
            _merge_edge(G, u, v, min(groups[u], groups[v]), kinds=["shared member"], via=[person])
    for _, _, edge in G.edges(data=True):
        edge.setdefault("via", ())
        edge.setdefault("doc_ids", ())
    return G


def view(name: str, data: GraphData, **options: Any) -> nx.Graph:
    """A view by name: "entity", "person" or "group"."""
    builders = {"entity": entity_graph, "person": person_view, "group": group_view}
    if name not in builders:
        raise MilgraphError(f"unknown view {name!r}; expected one of {', '.join(builders)}")
    return builders[name](data, **options)
