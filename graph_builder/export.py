"""Exports for Gephi, spreadsheets and neo4j-admin: one small function per format.

GraphML and GEXF hold a directed simple graph: one edge per (subject, object) pair, the
relations between them merged (``predicate`` lists them), because Gephi merges or
warns about parallel edges. Symmetric relations between entities of the same type point
from the smaller id to the larger, so direction is consistent. Every attribute has one
type across the file (bool, int, float or str; lists joined with " | "; missing values
filled with "" or 0), every node has a ``label`` and every edge a unique id. The XML
writers escape all text. Every file is written to a temporary file and renamed.
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
import math
import operator
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# ElementTree's own escaping, so the XML written directly is escaped as it would escape it.
from xml.etree.ElementTree import _escape_attrib, _escape_cdata  # type: ignore[attr-defined]

import networkx as nx

from graph_builder.analysis import atomic_write_bytes, atomic_write_text
from graph_builder.errors import MilgraphError
from graph_builder.gcpause import gc_paused
from graph_builder.model import MODALITY_ORDER, GraphData
from graph_builder.views import filtered_relations, present_entities

if TYPE_CHECKING:
    from graph_builder.ontology import Ontology

LIST_SEP = " | "
# Colour-blind-safe palette (Okabe-Ito), then greys for anything beyond.
PALETTE = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (240, 228, 66),
    (0, 0, 0),
)
TYPE_COLOURS = {
    "Person": PALETTE[0],
    "MilitantGroup": PALETTE[1],
    "Organization": PALETTE[2],
    "Event": PALETTE[3],
    "Location": PALETTE[4],
}
SIZE_MIN, SIZE_MAX = 5.0, 50.0
_MODALITY_RANK = {m: i for i, m in enumerate(MODALITY_ORDER)}


# The types plain() returns as they are.
_PLAIN_ALREADY = frozenset({str, int, bool, type(None)})


def plain(value: Any) -> bool | int | float | str | None:
    """A value Gephi reads: bool, int, float or str; lists joined; None stays None.

    >>> plain(("a", "b")), plain(3), plain(float("nan")), plain(None)
    ('a | b', 3, None, None)
    """
    kind = type(value)  # the common cases first: hundreds of thousands of values per graph
    if kind in _PLAIN_ALREADY:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is list or kind is tuple:
        return LIST_SEP.join(map(str, value))
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return LIST_SEP.join(map(str, items))
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return str(value)


def _column_type(values: Sequence[Any]) -> type:
    return _type_of_column({type(v) for v in values})


def _type_of_column(types: set[type]) -> type:
    """The one type a column whose values have `types` takes (see uniform_attributes)."""
    kinds = types - {type(None)}
    if not kinds:
        return str
    if kinds == {bool}:
        return bool
    if kinds <= {int}:
        return int
    if kinds <= {int, float}:
        return float
    return str


def uniform_attributes(records: Sequence[dict[str, Any]]) -> None:
    """Make each key hold one type across `records` and be present in all, in place.

    Mixed int/float become float, anything mixed with text becomes text, and a missing
    or None value becomes "" / 0 / 0.0 / False.

    >>> recs = [{"a": 1, "b": None}, {"a": 2.5, "c": True}]
    >>> uniform_attributes(recs); recs
    [{'a': 1.0, 'b': '', 'c': False}, {'a': 2.5, 'b': '', 'c': True}]
    """
    # Column by column: a graph's records mostly share their keys and each column its
    # type, which a set of types per column shows at once (record by record, value by
    # value, took over a second at 10k articles).
    shapes = set(map(tuple, records))
    keys: dict[str, None] = {}  # in order of first appearance
    if len(shapes) == 1:
        keys = dict.fromkeys(shapes.pop())
    else:
        for rec in records:
            keys.update(dict.fromkeys(rec))
    for key in keys:
        _uniform_column(records, key)
    if len(shapes) > 1:  # records missing a key got it at their end
        order = list(keys)
        for rec in records:
            if list(rec) != order:
                ordered = {k: rec[k] for k in order}
                rec.clear()
                rec.update(ordered)


def _uniform_column(records: Sequence[dict[str, Any]], key: str) -> None:
    """`key` made plain and of one type in every record (see uniform_attributes)."""
    values = _uniform_values([rec.get(key) for rec in records])
    if values is not None:
        for rec, value in zip(records, values, strict=True):
            rec[key] = value


def _uniform_values(values: list[Any]) -> list[Any] | None:
    """A column's `values` made plain and of one type (see uniform_attributes), or None
    when they are already: present everywhere, plain, of one type."""
    types = set(map(type, values))
    unplain = types - _PLAIN_ALREADY
    floats = values if types == {float} else _floats(values)  # the filter cost the most
    if unplain and not (unplain == {float} and all(map(math.isfinite, floats))):
        values = [v if type(v) in _PLAIN_ALREADY else plain(v) for v in values]
        types = set(map(type, values))
        changed = True
    else:
        changed = False  # plain already: plain() would return each value itself
    kind = _type_of_column(types)
    if types == {kind}:  # present everywhere with that very type: nothing to convert
        return values if changed else None
    return [
        kind() if value is None else str(value) if kind is str else kind(value) for value in values
    ]


def _floats(values: list[Any]) -> Iterator[float]:
    return (v for v in values if type(v) is float)


def export_graph(
    data: GraphData,
    rows: Sequence[Mapping[str, Any]] = (),
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> nx.DiGraph:
    """The directed simple graph written to GraphML and GEXF, attributes made Gephi-safe.

    Node attributes: label, name, type, aliases, n_documents, the metric columns of
    `rows` (matched on ``id``), start (first dated relation). Edge attributes: id,
    label, predicate, modality, weight, n_sources, confidence, doc_ids, statement_ids,
    evidence, attributed_to, role, relation, link_kind, start, end.
    """
    facts = filtered_relations(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    ends, columns, first_seen = _export_edges(facts)
    by_id = {str(r["id"]): r for r in rows}
    nodes = []
    for node, attrs in _node_records(data, present_entities(data, facts, as_of), first_seen):
        start = attrs.pop("start")
        row = by_id.get(node, {})
        attrs.update({k: v for k, v in row.items() if k not in ("id", "name", "type")})
        attrs["start"] = start
        nodes.append((node, attrs))
    uniform_attributes([a for _, a in nodes])
    rows_of = zip(*columns.values(), strict=True)
    edges = [
        (u, v, dict(zip(columns, row, strict=True)))
        for (u, v), row in zip(ends, rows_of, strict=True)
    ]

    G = nx.DiGraph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


def _export_edges(
    facts: Sequence[Any],
) -> tuple[list[tuple[str, str]], dict[str, list[Any]], dict[str, str]]:
    """The edges of :func:`export_graph`, sorted: their ends, their attributes a column
    each (uniform, see :func:`uniform_attributes`), and each entity's first dated relation.

    Lists are joined and missing days are "" here, as uniform_attributes would make them
    (a second pass over every value cost more than the rest)."""
    pairs: dict[tuple[str, str], list[Any]] = {}
    for fact in facts:
        pairs.setdefault((fact.relation.subject_id, fact.relation.object_id), []).append(fact)
    first_seen: dict[str, str] = {}
    ends = sorted(pairs)
    names = (
        *("id", "label", "predicate", "modality", "weight", "n_sources", "confidence"),
        *("doc_ids", "statement_ids", "evidence", "attributed_to", "role", "relation"),
        *("link_kind", "start", "end"),
    )
    rows = []
    for i, (u, v) in enumerate(ends):
        group = pairs[u, v]
        if len(group) == 1:  # most pairs: one relation, its days sorted and distinct already
            (fact,) = group
            supports: Sequence[Any] = fact.relation.support
            dates: Sequence[str] = fact.dates
            weight = float(0 + fact.weight)  # what sum() of the one weight gives
            confidence = fact.relation.confidence
        else:
            supports = [s for f in group for s in f.relation.support]
            dates = sorted({d for f in group for d in f.dates})
            weight = float(sum(f.weight for f in group))
            confidence = max(f.relation.confidence for f in group)
        # the strongest of the relations' modalities: of their supports (all of a known one)
        modality = min(set(map(_MODALITY, supports)), key=_MODALITY_RANK.__getitem__)
        predicates = _joined(f.relation.predicate for f in group)
        doc_ids = set(map(_DOC_ID, supports))
        row = (
            *(f"e{i}", predicates, predicates, modality),
            weight,
            len(doc_ids),
            confidence,
            _joined(sorted(doc_ids)),
            _joined(map(_STATEMENT_ID, supports)),
            _joined(dict.fromkeys(map(_EVIDENCE, supports))),
            *map(_distinct_joined, _QUALIFIERS, itertools.repeat(supports)),
            dates[0] if dates else "",
            dates[-1] if dates else "",
        )
        rows.append(row)
        if dates:
            for node in (u, v):
                seen = first_seen.get(node)
                if seen is None or dates[0] < seen:
                    first_seen[node] = dates[0]
    transposed = map(list, zip(*rows, strict=True)) if rows else ([] for _ in names)
    columns = {
        name: _uniform_values(values) or values
        for name, values in zip(names, transposed, strict=True)
    }
    return ends, columns, first_seen


_MODALITY, _DOC_ID = operator.attrgetter("modality"), operator.attrgetter("doc_id")
_STATEMENT_ID, _EVIDENCE = operator.attrgetter("statement_id"), operator.attrgetter("evidence")
_QUALIFIERS = tuple(map(operator.attrgetter, ("attributed_to", "role", "relation", "link_kind")))


def _joined(values: Iterable[Any]) -> str:
    """A list's value as :func:`plain` makes it."""
    return LIST_SEP.join(map(str, values))


def _distinct_joined(get: Callable[[Any], Any], supports: Sequence[Any]) -> str:
    """The supports' distinct values of a qualifier but None, sorted and joined."""
    values = set(map(get, supports))
    values.discard(None)
    return _joined(sorted(values)) if values else ""


def _node_records(
    data: GraphData, node_ids: Iterable[str], first_seen: Mapping[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """The nodes of :func:`export_graph` with the attributes that do not come from the
    scores (not yet uniform); the scores go before ``start``."""
    # distinct (document, entity) pairs: an entity's count is its number of documents
    mentions = data.mentions if isinstance(data.mentions, frozenset | set) else set(data.mentions)
    n_documents = collections.Counter(map(operator.itemgetter(1), mentions))
    nodes = []
    for node in node_ids:
        ent = data.entities[node]
        attrs: dict[str, Any] = {
            "label": ent.name,
            "name": ent.name,
            "type": ent.type,
            "aliases": list(ent.aliases),
            "n_documents": n_documents[node],
            "start": first_seen.get(node),
        }
        nodes.append((node, attrs))
    return nodes


@gc_paused()
def write_graphml(
    data: GraphData,
    rows: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> nx.DiGraph:
    """Write Gephi-safe GraphML (see module docs); returns the graph written."""
    G = export_graph(data, rows, min_modality=min_modality, as_of=as_of, ontology=ontology)
    atomic_write_bytes(path, graphml_bytes(G))
    return G


class _NotPlain(Exception):
    """A graph or value the direct XML writers leave to networkx's writers."""


def graphml_bytes(G: nx.Graph) -> bytes:
    """GraphML of `G` as ``nx.write_graphml(G, prettyprint=True, edge_id_from_attribute="id")``
    writes it, less the edge id's data key (see :func:`_drop_edge_id_data`), reindented.

    The text is written directly (see :func:`_graphml_pieces`), as the element tree networkx
    builds would serialise after that edit, ``ET.indent`` and the normalisation of line
    ends a parse makes; characters XML cannot hold are refused as a parse refuses them.
    """
    try:
        pieces = _graphml_pieces(G)
    except _NotPlain:
        return _graphml_bytes_via_tree(G)
    return _xml_document(pieces, strict=True)


def _graphml_bytes_via_tree(G: nx.Graph) -> bytes:
    """:func:`graphml_bytes` through networkx's element tree (any graph, slowly)."""
    from xml.etree import ElementTree as ET

    from networkx.readwrite.graphml import GraphMLWriter

    writer = GraphMLWriter(encoding="utf-8", prettyprint=False, edge_id_from_attribute="id")
    writer.add_graph_element(G)
    root = writer.xml
    _drop_edge_id_data(root, "")
    for element in root.iter():
        if element.text and "\r" in element.text:  # an XML parser reads \r\n and \r as \n
            element.text = element.text.replace("\r\n", "\n").replace("\r", "\n")
    ET.indent(root)
    return _xml_document([ET.tostring(root, encoding="unicode")], strict=True)


def _drop_edge_id_data(root: Any, ns: str) -> None:
    """Keep the edge id only as the <edge id="..."> attribute.

    networkx also writes it as an "id" data key, which igraph and Gephi read as a second,
    clashing id column. `ns` prefixes the tag names (``"{uri}"`` or ``""``).
    """
    for key in root.findall(f"{ns}key"):
        if key.get("for") == "edge" and key.get("attr.name") == "id":
            root.remove(key)
            for edge in root.iter(f"{ns}edge"):
                for data in edge.findall(f"{ns}data"):
                    if data.get("key") == key.get("id"):
                        edge.remove(data)


def _graphml_pieces(G: nx.Graph) -> list[str]:
    """The pieces of the GraphML text of :func:`_graphml_bytes_via_tree` for a simple graph without
    graph attributes, without the element tree (about ten times faster); other graphs,
    and values networkx refuses, raise :class:`_NotPlain`.

    Keys are numbered as networkx numbers them (by first use: node attributes, then edge
    attributes, each (name, type) once) and listed last-numbered first, as networkx
    inserts each at the top; the edge "id" key keeps its number but is not written.
    """
    from networkx.readwrite.graphml import GraphML

    if G.is_multigraph() or G.graph:
        raise _NotPlain
    types = GraphML()
    types.construct_types()
    keys: dict[tuple[str, str, str], str] = {}  # (name, GraphML type, scope) -> key id
    # (name, Python type, scope) -> the data element's start, "" where it is not written
    starts: dict[tuple[Any, type, str], str] = {}
    escape = _remembered(_escape_cdata)

    def data_start(name: Any, value: Any, scope: str) -> str:
        if type(value) not in types.xml_type:
            raise _NotPlain  # networkx's writer raises its error
        key_id = keys.setdefault((str(name), types.xml_type[type(value)], scope), f"d{len(keys)}")
        dropped = scope == "edge" and str(name) == "id"
        start = "" if dropped else f'\n      <data key="{_escape_attrib(key_id)}"'
        starts[name, type(value), scope] = start
        return start

    def children(tag: str, attrs: dict[Any, Any]) -> str:
        """The <data> elements of a node or edge and its end tag, or " />"."""
        out = []
        for name, value in attrs.items():
            start = starts.get((name, type(value), tag))
            if start is None:
                start = data_start(name, value, tag)
            if not start:
                continue
            if type(value) in _NUMBER_TYPES:  # nothing to escape in a number
                out.append(f"{start}>{value}</data>")
                continue
            text = str(value)
            if "\r" in text:  # an XML parser reads \r\n and \r as \n
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            out.append(f"{start}>{escape(text)}</data>" if text else f"{start} />")
        return f">{''.join(out)}\n    </{tag}>" if out else " />"

    def children_by_column(tag: str, records: list[dict[Any, Any]]) -> list[str] | None:
        """children() of each record, a column at a time (several times faster), when
        every record has the same keys, each with one type; None otherwise."""
        columns = _columns(records)
        if columns is None:
            return None
        parts = []
        for name, values in columns:
            start = starts.get((name, type(values[0]), tag))
            if start is None:
                start = data_start(name, values[0], tag)
            if start:
                parts.append(_graphml_data(start, values))
        if not parts:
            return [" />"] * len(records)
        return list(_formatted(parts, ">", f"\n    </{tag}>"))

    body = ["<graph", _attributes(edgedefault="directed" if G.is_directed() else "undirected")]
    if len(G):
        body.append(">")
        attribute = _remembered(_escape_attrib)  # each node's id is written with each tie
        nodes = list(G.nodes(data=True))
        node_children = children_by_column("node", [attrs for _, attrs in nodes])
        if node_children is None:
            node_children = [children("node", attrs) for _, attrs in nodes]
        for (node, _), child in zip(nodes, node_children, strict=True):
            body += (f'\n    <node id="{attribute(str(node))}"', child)
        edges = list(G.edges(data=True))
        edge_children = children_by_column("edge", [attrs for _, _, attrs in edges])
        if edge_children is None:
            edge_children = [children("edge", attrs) for _, _, attrs in edges]
        for (u, v, attrs), child in zip(edges, edge_children, strict=True):
            ends = f' source="{attribute(str(u))}" target="{attribute(str(v))}"'
            edge_id = f' id="{attribute(str(attrs["id"]))}"' if "id" in attrs else ""
            body += ("\n    <edge", ends, edge_id, child)
        body.append("\n  </graph>")
    else:
        body.append(" />")
    declared = [
        f"\n  <key{_attributes(**{'id': i, 'for': s, 'attr.name': n, 'attr.type': t})} />"
        for (n, t, s), i in reversed(keys.items())
        if not (s == "edge" and n == "id")
    ]
    root = _attributes(
        **{
            "xmlns": GraphML.NS_GRAPHML,
            "xmlns:xsi": GraphML.NS_XSI,
            "xsi:schemaLocation": GraphML.SCHEMALOCATION,
        }
    )
    # in pieces, joined once with the XML declaration: the text runs to a hundred MB
    return [f"<graphml{root}>", *declared, "\n  ", *body, "\n</graphml>"]


# Values whose str() has no character XML escapes (digits, signs, ".", "e", inf, nan, True).
_NUMBER_TYPES = (int, float, bool)


def _columns(
    records: list[dict[Any, Any]], leave_out: Collection[Any] = ()
) -> list[tuple[Any, list[Any]]] | None:
    """Each key but those in `leave_out` with its values in `records`, when every record
    has those same keys in the same order and each key values of one type; else None."""
    shapes = {tuple(k for k in shape if k not in leave_out) for shape in set(map(tuple, records))}
    if len(shapes) != 1:
        return None
    columns = []
    for name in shapes.pop():
        values = list(map(operator.itemgetter(name), records))
        if len(set(map(type, values))) != 1:
            return None
        columns.append((name, values))
    return columns


def _graphml_data(start: str, values: list[Any]) -> _Format:
    """The <data> element of each value of one type, its start tag begun by `start`, as a
    format and its arguments (see :func:`_formatted`)."""
    start = start.replace("%", "%%")
    if type(values[0]) in _NUMBER_TYPES:  # nothing to escape in a number
        return f"{start}>%s</data>", values
    texts = _escaped(values if type(values[0]) is str else list(map(str, values)), _cdata)
    if all(texts):
        return f"{start}>%s</data>", texts
    return f"{start}%s", [f">{text}</data>" if text else " />" for text in texts]


# A format and the argument of each row it is formatted with, in turn.
_Format = tuple[str, list[Any]]


def _formatted(
    columns: Sequence[_Format], head: str = "", tail: str = "", sep: str = ""
) -> Iterator[str]:
    """Each row's columns (see :func:`_graphml_data`) between `head` and `tail`, `sep`
    between them: one formatting a row, not a string a value then a join.

    Made as the records are joined, not all at once: each is then freed at once and its
    memory reused (fresh memory costs a page fault each few kB)."""
    escaped = [part.replace("%", "%%") for part in (head, sep, tail)]
    row = escaped[0] + escaped[1].join(fmt for fmt, _ in columns) + escaped[2]
    return map(row.__mod__, zip(*(args for _, args in columns), strict=True))


def _cdata(text: str) -> str:
    """GraphML's text of `text`: line ends as an XML parser reads them, then escaped."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _escape_cdata(text)


# Stands between texts escaped together: a text holding it is escaped alone.
_TEXT_SEP = "\x00"


def _escaped(texts: list[str], escape: Callable[[str], str]) -> list[str]:
    """`escape` of each of `texts` in one call on them joined: the escapes replace
    characters (or \\r\\n) one by one, so escaping the join is joining the escaped
    (a call a text, remembered or not, took several times as long)."""
    joined = _TEXT_SEP.join(texts)
    if len(texts) < 2 or joined.count(_TEXT_SEP) != len(texts) - 1:
        return list(map(escape, texts))
    return escape(joined).split(_TEXT_SEP)


def _remembered(escape: Callable[[str], str]) -> Callable[[str], str]:
    """`escape` remembering its answers: a graph file repeats most of its texts (types,
    modalities, predicates, names)."""
    memo: dict[str, str] = {}

    def remembered(text: str) -> str:
        found = memo.get(text)
        if found is None:
            found = memo[text] = escape(text)
        return found

    return remembered


def _attributes(**values: str) -> str:
    """XML attributes, escaped as ElementTree escapes them, each after a space."""
    return "".join(f' {name}="{_escape_attrib(value)}"' for name, value in values.items())


# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_XML_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"
# Pieces of text encoded at once by _xml_document (a few hundred kB).
_PIECES_PER_CHUNK = 500


def _xml_document(pieces: list[str], *, strict: bool = False) -> bytes:
    """``ElementTree(root).write(f, encoding="utf-8", xml_declaration=True)``'s bytes for
    the root element serialised as the text of `pieces`. `strict` refuses characters XML
    cannot hold instead of writing them.

    The text is encoded a chunk of pieces at a time: whole, it would be a second copy of a
    hundred MB or more (two bytes a character once one is not Latin-1), in fresh memory.
    Each character is encoded alone, so chunks encode as the whole would."""
    encoded = [_XML_DECLARATION]
    for start in range(0, len(pieces), _PIECES_PER_CHUNK):
        text = "".join(pieces[start : start + _PIECES_PER_CHUNK])
        bad = _NOT_XML.search(text) if strict else None
        if bad:
            before = "".join(pieces[:start]).count("\n")
            line = before + text.count("\n", 0, bad.start()) + 1  # of the root's text
            raise MilgraphError(
                f"graph text has character {bad.group()!r} (line {line} of the XML written), "
                "which XML cannot hold; expected printable text"
            )
        encoded.append(text.encode("utf-8", "xmlcharrefreplace"))
    return b"".join(encoded)


def colour_map(G: nx.Graph, color_by: str) -> dict[Any, tuple[int, int, int]]:
    """Node -> RGB, by entity ``type`` or by ``community`` number.

    >>> G = nx.Graph(); G.add_node("a", type="Person", community=1)
    >>> colour_map(G, "type"), colour_map(G, "community")
    ({'a': (0, 114, 178)}, {'a': (213, 94, 0)})
    """
    default = -1 if color_by == "community" else None
    return dict(_colours(G.nodes(data=color_by, default=default), color_by))


def _colours(
    values: Iterable[tuple[Any, Any]], color_by: str
) -> Iterator[tuple[Any, tuple[int, int, int]]]:
    """(node, colour) of each (node, its `color_by` value) (see :func:`colour_map`)."""
    if color_by == "type":
        return ((n, TYPE_COLOURS.get(t, (128, 128, 128))) for n, t in values)
    if color_by == "community":
        return (
            (n, PALETTE[int(c) % len(PALETTE)] if int(c) >= 0 else (128, 128, 128))
            for n, c in values
        )
    raise MilgraphError(f"unknown --color-by {color_by!r}; expected one of type, community")


def size_map(G: nx.Graph, size_by: str) -> dict[Any, float]:
    """Node -> size between SIZE_MIN and SIZE_MAX, linear in the attribute `size_by`.

    >>> G = nx.Graph(); G.add_nodes_from([("a", {"pagerank": 0.2}), ("b", {"pagerank": 0.6})])
    >>> size_map(G, "pagerank")
    {'a': 5.0, 'b': 50.0}
    """
    return _sizes(dict(G.nodes(data=size_by)), size_by)


def _sizes(values: Mapping[Any, Any], size_by: str) -> dict[Any, float]:
    """Node -> size of each node's `size_by` value (see :func:`size_map`)."""
    numbers = [v for v in values.values() if isinstance(v, int | float)]
    if not numbers and values:
        raise MilgraphError(
            f"unknown --size-by {size_by!r}; expected a numeric node attribute such as "
            "degree, betweenness, closeness, eigenvector, pagerank"
        )
    lo, hi = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
    span = hi - lo
    return {
        n: SIZE_MIN + (SIZE_MAX - SIZE_MIN) * ((float(v or 0) - lo) / span if span else 0.0)
        for n, v in values.items()
    }


@gc_paused()
def write_gexf(
    data: GraphData,
    rows: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    size_by: str = "pagerank",
    color_by: str = "type",
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
    graph: nx.DiGraph | None = None,
) -> nx.DiGraph:
    """Write GEXF 1.2 with viz colours and sizes and a timeline for Gephi.

    The graph is dynamic: each edge starts on its first dated support and each node on
    its first dated relation (open-ended: a tie, once reported, stays on the timeline);
    undated items are present throughout. The last reported day is kept as the
    ``last_reported`` attribute.

    `graph`, when given, is :func:`export_graph` of the same data, rows and filters (what
    :func:`write_graphml` returns), so it is not built twice; it is copied, not changed.
    """
    if graph is None:
        G = export_graph(data, rows, min_modality=min_modality, as_of=as_of, ontology=ontology)
    else:
        G = graph.copy()  # new attribute dicts: the ones below change them
    _make_gexf_graph(G, size_by=size_by, color_by=color_by)
    atomic_write_bytes(path, gexf_bytes(G))
    return G


def _make_gexf_graph(G: nx.DiGraph, *, size_by: str, color_by: str) -> None:
    """:func:`export_graph`'s graph made the graph :func:`write_gexf` writes, in place."""
    colours, sizes = colour_map(G, color_by), size_map(G, size_by)
    for node, attrs in G.nodes(data=True):
        r, g, b = colours[node]
        attrs["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0}, "size": sizes[node]}
        _timeline(attrs)
    for _, _, attrs in G.edges(data=True):
        attrs["last_reported"] = attrs.pop("end")
        _timeline(attrs)
    G.graph["mode"] = "dynamic"


def gexf_bytes(G: nx.Graph) -> bytes:
    """``nx.write_gexf(G, prettyprint=True, version="1.2draft")``'s bytes, the text written
    directly for the graphs :func:`write_gexf` makes (see :class:`_GexfText`)."""
    try:
        pieces = _GexfText(G).pieces()
    except _NotPlain:
        return _gexf_bytes_via_tree(G)
    return _xml_document(pieces)


def _gexf_bytes_via_tree(G: nx.Graph) -> bytes:
    """:func:`gexf_bytes` through networkx's element tree (any graph, slowly)."""
    from xml.etree import ElementTree as ET

    from networkx.readwrite.gexf import GEXFWriter

    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(G)
    writer.indent(writer.xml)
    # networkx's indent ends the root element with a line end, which tostring keeps
    return _xml_document([ET.tostring(writer.xml, encoding="unicode")])


# The attributes the GEXF writer puts in a node's or edge's tag, or refuses, instead of
# writing them as <attvalue>s.
_GEXF_NOT_ATTVALUES = {
    "node": frozenset({"id", "label", "start", "end", "viz", "pid", "parents", "spells"}),
    "edge": frozenset({"id", "label", "weight", "type", "start", "end", "spells", "viz"}),
}
# How networkx writes floats GEXF spells differently.
_GEXF_FLOATS = {"inf": "INF", "nan": "NaN", "-inf": "-INF"}
_PLAIN_TYPES = (str, int, float, bool)


class _GexfText:
    """The text networkx's GEXF 1.2draft writer makes, pretty-printed, written directly
    (about ten times faster than building and serialising its element tree).

    Covered: simple graphs with only the ``mode`` and ``name`` graph attributes, static
    str/int/float/bool node and edge attributes, ``start``/``end`` times and a node
    ``viz`` of colour and size. Anything else raises :class:`_NotPlain`. Attribute ids
    are numbered by first use (nodes, then edges) and each class's declarations are
    inserted at the top of the graph, as networkx does.
    """

    def __init__(self, G: nx.Graph) -> None:
        from networkx.readwrite.gexf import GEXF

        name = G.graph.get("name", "")
        if G.is_multigraph() or set(G.graph) - {"mode", "name"} or not isinstance(name, str):
            raise _NotPlain
        self.G = G
        self.spec = GEXF()
        self.spec.construct_types()
        self.spec.set_version("1.2draft")
        self.graph_tag = {
            "defaultedgetype": "directed" if G.is_directed() else "undirected",
            "mode": "dynamic" if G.graph.get("mode") == "dynamic" else "static",
            "name": name,
        }
        self.declared: dict[str, dict[str, tuple[str, str]]] = {}  # class -> title -> id, type
        # class -> (key, Python type) -> an <attvalue> up to its value
        self.starts: dict[str, dict[tuple[Any, type], str]] = {"node": {}, "edge": {}}
        self.escape = _remembered(_escape_attrib)
        self.uses_viz = False

    def text(self) -> str:
        return "".join(self.pieces())

    def pieces(self) -> list[str]:
        """The text in pieces (joined once with the XML declaration: it runs to a hundred
        MB, and each copy costs fresh memory)."""
        spec, G = self.spec, self.G
        modified = time.strftime("%Y-%m-%d")
        creator = f"<creator>{_escape_cdata(f'NetworkX {nx.__version__}')}</creator>"
        node_items = list(G.nodes(data=True))
        node_values = self._attvalues_by_column("node", [a for _, a in node_items])
        nodes = [
            self._node(node, attrs, values)
            for (node, attrs), values in zip(node_items, node_values, strict=True)
        ]
        edge_values = self._attvalues_by_column("edge", [a for _, _, a in G.edges(data=True)])
        edges = [
            self._edge(u, v, edge_id, attrs, values)
            for (u, v, edge_id, attrs), values in zip(self._edge_ids(), edge_values, strict=True)
        ]
        declarations = [
            _element(
                "attributes",
                _attributes(mode="static", **{"class": kind}),
                [
                    f"<attribute{_attributes(id=i, title=title, type=kind_type)} />"
                    for title, (i, kind_type) in titles.items()
                ],
                2,
            )
            for kind, titles in reversed(self.declared.items())
        ]
        graph: list[str | list[str]] = [*declarations]
        graph += (_pieces("nodes", "", nodes, 2), _pieces("edges", "", edges, 2))
        namespaces = {"xmlns:viz": spec.NS_VIZ} if self.uses_viz else {}
        root = {
            **namespaces,
            "xmlns": spec.NS_GEXF,
            "xmlns:xsi": spec.NS_XSI,
            "xsi:schemaLocation": spec.SCHEMALOCATION,
            "version": spec.VERSION,
        }
        children: list[str | list[str]] = [
            _element("meta", _attributes(lastmodifieddate=modified), [creator], 1),
            _pieces("graph", _attributes(**self.graph_tag), graph, 1),
        ]
        return [*_pieces("gexf", _attributes(**root), children, 0), "\n"]

    def _node(self, node: Any, attrs: dict[str, Any], attvalues: list[str] | None) -> str:
        """A <node>; `attvalues`: its <attvalues> when already made (see
        :meth:`_attvalues_by_column`)."""
        data = dict(attrs)
        if {"pid", "parents", "spells"} & data.keys():
            raise _NotPlain
        tag = {"id": str(data.pop("id", node)), "label": str(data.pop("label", node))}
        self._times(tag, data)
        children = self._viz(data.pop("viz", False))
        children += self._attvalues("node", data) if attvalues is None else attvalues
        return _element("node", _attributes(**tag), children, 3)

    def _edge_ids(self) -> Iterator[tuple[Any, Any, Any, dict[str, Any]]]:
        """Each edge with its id, a free number where it has none (networkx's numbering)."""
        taken = {str(d["id"]) for _, _, d in self.G.edges(data=True) if d.get("id") is not None}
        numbers = itertools.count()
        for u, v, attrs in self.G.edges(data=True):
            data = dict(attrs)
            edge_id = data.pop("id", None)
            if edge_id is None:
                edge_id = next(numbers)
                while str(edge_id) in taken:
                    edge_id = next(numbers)
                taken.add(str(edge_id))
            yield u, v, edge_id, data

    def _edge(
        self, u: Any, v: Any, edge_id: Any, data: dict[str, Any], attvalues: list[str] | None
    ) -> str:
        """An <edge>; `attvalues` as in :meth:`_node`."""
        if {"spells", "viz"} & data.keys():
            raise _NotPlain
        tag = {"id": str(edge_id)}
        for name in ("label", "weight", "type"):
            if name in data:
                tag[name] = str(data.pop(name))
        self._times(tag, data)
        nodes = self.G.nodes
        ends = {"source": str(nodes[u].get("id", u)), "target": str(nodes[v].get("id", v))}
        if attvalues is None:
            attvalues = self._attvalues("edge", data)
        return _element("edge", _attributes(**ends, **tag), attvalues, 3)

    def _attvalues_by_column(
        self, kind: str, records: list[dict[str, Any]]
    ) -> Iterator[list[str] | None]:
        """:meth:`_attvalues` of each record (`kind` "node" or "edge"), a column at a time
        (several times faster), when all have the same attributes, each of one type;
        otherwise None for each, to be made one by one. The attributes are declared
        now, the values made as they are read."""
        columns = _columns(records, leave_out=_GEXF_NOT_ATTVALUES[kind])
        if columns is None:
            return itertools.repeat(None, len(records))
        parts = []
        for key, values in columns:
            start = self.starts[kind].get((key, type(values[0])))
            if start is None:
                start = self._declare(kind, key, values[0])
            parts.append(_attvalue_column(start, values))
        if not parts:
            return (list[str]() for _ in records)
        # as _element("attvalues", "", row, 4) lays them out
        inner = "\n" + "  " * 5
        rows = _formatted(parts, f"<attvalues>{inner}", "\n" + "  " * 4 + "</attvalues>", inner)
        return ([row] for row in rows)

    def _times(self, tag: dict[str, str], data: dict[str, Any]) -> None:
        """Move ``start`` and ``end`` into the tag; a time makes the graph dynamic and sets
        its time format (the last one seen wins, as in networkx)."""
        for name in ("start", "end"):
            if name not in data:
                continue
            value = data.pop(name)
            tag[name] = str(value)
            if value is None:
                continue
            if isinstance(value, str):
                self.graph_tag["timeformat"] = "date"
            elif isinstance(value, float):
                self.graph_tag["timeformat"] = "double"
            elif isinstance(value, int):
                self.graph_tag["timeformat"] = "long"
            else:
                raise _NotPlain  # networkx refuses it
            self.graph_tag["mode"] = "dynamic"

    def _viz(self, viz: Any) -> list[str]:
        if not viz:
            return []
        if not isinstance(viz, dict) or viz.keys() - {"color", "size"}:
            raise _NotPlain
        out = []
        color = viz.get("color")
        if color is not None:
            rgba = {c: str(color.get(c)) for c in "rgb"} | {"a": str(color.get("a", 1.0))}
            out.append(f"<viz:color{_attributes(**rgba)} />")
        if viz.get("size") is not None:
            out.append(f"<viz:size{_attributes(value=str(viz['size']))} />")
        self.uses_viz = self.uses_viz or bool(out)
        return out

    def _attvalues(self, kind: str, data: dict[str, Any]) -> list[str]:
        values = []
        starts = self.starts[kind]
        for key, value in data.items():
            start = starts.get((key, type(value)))
            if start is None:
                start = self._declare(kind, key, value)
            if type(value) is str:
                values.append(f'{start}{self.escape(value)}" />')
            elif type(value) is bool:
                values.append(f'{start}{"true" if value else "false"}" />')
            elif type(value) is float:
                text = str(value)
                values.append(f'{start}{_GEXF_FLOATS.get(text, text)}" />')
            else:  # int: nothing to escape
                values.append(f'{start}{value}" />')
        return [_element("attvalues", "", values, 4)] if values else []

    def _declare(self, kind: str, key: Any, value: Any) -> str:
        """The start of `key`'s <attvalue> (declaring the attribute if new) up to its value."""
        if type(value) not in _PLAIN_TYPES:  # lists are dynamic values
            raise _NotPlain
        title = "networkx_key" if key == "key" else str(key)
        titles = self.declared.setdefault(kind, {})
        if title not in titles:
            number = sum(len(t) for t in self.declared.values())
            titles[title] = (str(number), self.spec.xml_type[type(value)])
        start = f'<attvalue for="{_escape_attrib(titles[title][0])}" value="'
        self.starts[kind][key, type(value)] = start
        return start


def _attvalue_column(start: str, values: list[Any]) -> _Format:
    """The GEXF <attvalue> of each value of one type, its tag begun by `start`, as
    :meth:`_GexfText._attvalues` writes it, as a format and its arguments (see
    :func:`_formatted`)."""
    fmt = f'{start.replace("%", "%%")}%s" />'
    kind = type(values[0])
    if kind is str:
        return fmt, _escaped(values, _escape_attrib)
    if kind is bool:
        return fmt, ["true" if value else "false" for value in values]
    if kind is float and not all(map(math.isfinite, values)):
        return fmt, [_GEXF_FLOATS.get(text, text) for text in map(str, values)]
    return fmt, values  # int, finite float: nothing to escape or spell otherwise


def _pieces(
    tag: str, attributes: str, children: Sequence[str | list[str]], depth: int
) -> list[str]:
    """:func:`_element`'s text in pieces; a child may be a list of pieces itself."""
    if not children:
        return [f"<{tag}{attributes} />"]
    inner = "\n" + "  " * (depth + 1)
    pieces = [f"<{tag}{attributes}>"]
    for child in children:
        pieces.append(inner)
        if isinstance(child, list):
            pieces += child
        else:
            pieces.append(child)
    pieces.append(f"\n{'  ' * depth}</{tag}>")
    return pieces


def _element(tag: str, attributes: str, children: Sequence[str], depth: int) -> str:
    """An element as ElementTree writes it after networkx's indent: each child on its own
    line one level deeper, the end tag back at `depth` levels; no children: ``<tag />``."""
    if not children:
        return f"<{tag}{attributes} />"
    inner = "\n" + "  " * (depth + 1)
    return f"<{tag}{attributes}>{inner}{inner.join(children)}\n{'  ' * depth}</{tag}>"


def _timeline(attrs: dict[str, Any]) -> None:
    """GEXF spells: keep a real start day, drop the empty placeholder."""
    if not attrs.get("start"):
        attrs.pop("start", None)
    attrs.pop("end", None)


def write_csv(
    data: GraphData,
    rows: Sequence[Mapping[str, Any]],
    out_dir: str | Path,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> tuple[Path, Path]:
    """Write nodes.csv and edges.csv (one row per relation) into `out_dir`.

    Headers follow neo4j-admin import (``id:ID``, ``:LABEL``, ``:START_ID``,
    ``:END_ID``, ``:TYPE``, typed columns such as ``degree:double``; arrays use ";"),
    and open as plain tables in a spreadsheet.
    """
    out = Path(out_dir)
    facts = filtered_relations(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    by_id = {str(r["id"]): r for r in rows}
    extra = [k for r in rows for k in r if k not in ("id", "name", "type")]
    metric_cols = list(dict.fromkeys(extra))
    suffix = {bool: "boolean", int: "int", float: "double", str: "string"}
    typed = {c: suffix[_column_type([plain(r.get(c)) for r in rows])] for c in metric_cols}
    node_header = ["id:ID", "name", ":LABEL", "type", "aliases:string[]"] + [
        f"{c}:{typed[c]}" for c in metric_cols
    ]
    node_rows = []
    for node in present_entities(data, facts, as_of):
        ent = data.entities[node]
        row = by_id.get(node, {})
        node_rows.append(
            [node, ent.name, f"{ent.type};Entity", ent.type, ";".join(ent.aliases)]
            + [_csv_value(row.get(c)) for c in metric_cols]
        )
    edge_header = [
        ":START_ID",
        ":END_ID",
        ":TYPE",
        "id",
        "predicate",
        "modality",
        "weight:double",
        "n_sources:int",
        "confidence:double",
        "doc_ids:string[]",
        "statement_ids:string[]",
        "evidence",
        "start",
        "end",
        "role",
        "relation",
        "link_kind",
    ]
    edge_rows = []
    for i, fact in enumerate(facts):
        rel = fact.relation
        edge_rows.append(
            [
                rel.subject_id,
                rel.object_id,
                rel.predicate.upper(),
                f"r{i}",
                rel.predicate,
                rel.modality,
                fact.weight,
                rel.n_sources,
                rel.confidence,
                ";".join(rel.doc_ids),
                ";".join(s.statement_id for s in rel.support),
                LIST_SEP.join(dict.fromkeys(s.evidence for s in rel.support)),
                fact.start or "",
                fact.end or "",
                rel.qualifier("role") or "",
                rel.qualifier("relation") or "",
                rel.qualifier("link_kind") or "",
            ]
        )
    nodes_path, edges_path = out / "nodes.csv", out / "edges.csv"
    atomic_write_text(nodes_path, _table(node_header, node_rows))
    atomic_write_text(edges_path, _table(edge_header, edge_rows))
    return nodes_path, edges_path


def _csv_value(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# GraphML and GEXF prepared before the scores are known.
#
# The scores (metrics rows) come last in a rebuild, but most of the two files does not
# depend on them: the edges (two thirds of the bytes) and the nodes' other attributes.
# PreparedGraphFiles renders all that first; only the score columns, the nodes' sizes and
# colours and the key numbers are left for write(). A key's number does depend on the
# scores (edge keys are numbered after every node key), so the edges are rendered with a
# hole where each key number goes, filled when the scores arrive.

# The node attributes that are not scores, first in every node (``start`` comes after the
# scores).
_NODE_BASE = ("label", "name", "type", "aliases", "n_documents")
# Score columns written other than as plain attributes (tags, times, GEXF's reserved
# names) or clashing with the attributes above: left to the graph writers.
_SPECIAL_SCORES = frozenset({*_NODE_BASE, "start", "key"} | _GEXF_NOT_ATTVALUES["node"])
# Stands for a key number in the prepared edges: no XML text holds it.
_HOLE = "\x00"
# Characters XML 1.0 cannot hold, the hole aside: control characters (each its own byte
# in UTF-8) and two others (three bytes each).
_NOT_XML_BUT_HOLE_BYTES = bytes([*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_XML_BUT_HOLE_TEXT = ("\ufffe".encode(), "\uffff".encode())


def _holds_xml_but_holes(text: bytes) -> bool:
    """Whether XML can hold UTF-8 `text`, holes aside (a byte deletion and two searches
    took a fraction of a regular expression's search of the text)."""
    if len(text.translate(None, _NOT_XML_BUT_HOLE_BYTES)) != len(text):
        return False
    return not any(bad in text for bad in _NOT_XML_BUT_HOLE_TEXT)


def prepare_graph_files(
    data: GraphData,
    *,
    min_modality: str = "alleged",
    as_of: str | None = None,
    ontology: Ontology | None = None,
) -> PreparedGraphFiles:
    """What :func:`write_graphml` and :func:`write_gexf` do that needs no scores; give the
    scores to :meth:`PreparedGraphFiles.write` for the same files, byte for byte."""
    with gc_paused():
        return PreparedGraphFiles(data, min_modality=min_modality, as_of=as_of, ontology=ontology)


class _EdgeTemplate:
    """The encoded text of a file's edges as a ``bytes % tuple`` template: ``%s`` where
    each key number goes (each edge has the same keys in turn), and before and after the
    edges, for the rest of the file.

    One formatting writes the whole file: splitting the edges at the holes and joining
    them with the keys took three times as long (a million pieces) and more memory."""

    def __init__(self, text: str, n_edges: int, holes_per_edge: int, *, strict: bool) -> None:
        self.n_edges, self.holes_per_edge = n_edges, holes_per_edge
        self.template: bytes | None = None
        # A hole in the data itself, or a character XML cannot hold (which the graph
        # writers refuse with its line), leaves the file to the graph writers.
        if text.count(_HOLE) != n_edges * holes_per_edge:
            return
        edges = text.encode("utf-8", "xmlcharrefreplace")
        if strict and not _holds_xml_but_holes(edges):
            return
        edges = edges.replace(b"%", b"%%")
        self.template = b"%s" + edges.replace(_HOLE.encode(), b"%s") + b"%s"

    def document(self, head: bytes, fills: list[bytes], tail: bytes) -> bytes:
        """`head`, the edges with each one's holes filled with `fills`, then `tail`."""
        assert self.template is not None and len(fills) == self.holes_per_edge
        return self.template % (head, *fills * self.n_edges, tail)


class PreparedGraphFiles:
    """GraphML and GEXF of :func:`write_graphml` and :func:`write_gexf` rendered as far as
    the data alone allows (see the comment above :data:`_NODE_BASE`); :meth:`write` adds
    the scores. Graphs the direct writers do not cover, and scores with names the graph
    writers treat specially, are written by :func:`export_graph` and the graph writers
    instead (the same bytes, without the head start)."""

    def __init__(
        self,
        data: GraphData,
        *,
        min_modality: str = "alleged",
        as_of: str | None = None,
        ontology: Ontology | None = None,
    ) -> None:
        from networkx.readwrite.gexf import GEXF
        from networkx.readwrite.graphml import GraphML

        self._data = data
        self._filters: dict[str, Any] = {
            "min_modality": min_modality,
            "as_of": as_of,
            "ontology": ontology,
        }
        self._graphml_types = GraphML()
        self._graphml_types.construct_types()
        self._gexf_spec = GEXF()
        self._gexf_spec.construct_types()
        self._gexf_spec.set_version("1.2draft")

        facts = filtered_relations(data, **self._filters)
        ends, by_name, first_seen = _export_edges(facts)
        nodes = _node_records(data, present_entities(data, facts, as_of), first_seen)
        uniform_attributes([a for _, a in nodes])
        self.node_ids = [node for node, _ in nodes]
        self.n_edges = len(ends)
        order = _in_graph_order(ends, self.node_ids)
        node_columns = _columns([a for _, a in nodes]) if nodes else None
        # Else the graph writers write it all: graphs without nodes or edges, say.
        self._direct = bool(order and node_columns)
        if not (order and node_columns):
            return
        if order != list(range(len(order))):
            ends = [ends[i] for i in order]
            by_name = {name: [values[i] for i in order] for name, values in by_name.items()}
        edge_columns = list(by_name.items())
        self._node_columns = dict(node_columns)
        starts = (self._node_columns["start"], by_name["start"])
        if any(type(values[0]) is not str for values in starts):
            self._direct = False  # times of other types: other GEXF time formats
            return
        self._dynamic = any(map(any, starts))  # a GEXF time makes the time format "date"
        self._edge_keys = [(name, type(values[0])) for name, values in edge_columns]
        us, vs = (_attribute_texts(list(ends_)) for ends_ in zip(*ends, strict=True))
        self._graphml_nodes = self._graphml_node_heads()
        # checked now, so that only the scores are searched when they come
        self._graphml_nodes_xml = not _NOT_XML.search("".join(self._graphml_nodes))
        self._graphml_edges = self._graphml_edge_text(us, vs, edge_columns)
        self._gexf_nodes = self._gexf_node_heads()
        self._gexf_edges, self._gexf_edge_keys = self._gexf_edge_text(us, vs, edge_columns)

    # -- before the scores ---------------------------------------------------------------

    def _graphml_node_heads(self) -> list[str]:
        """Each node's GraphML up to its scores: the tag and the base attributes, keys d0
        to d4 (numbered first, as the nodes' first attributes)."""
        parts = [
            _graphml_data(f'\n      <data key="d{number}"', self._node_columns[name])
            for number, name in enumerate(_NODE_BASE)
        ]
        ids = ('\n    <node id="%s">', _attribute_texts(self.node_ids))
        return list(_formatted([ids, *parts]))

    def _graphml_edge_text(
        self, us: list[str], vs: list[str], columns: list[tuple[str, list[Any]]]
    ) -> _EdgeTemplate:
        """Each edge's GraphML (`us` and `vs` its ends, escaped), a hole for each <data>'s
        key (the id is not written as one, see :func:`_drop_edge_id_data`)."""
        by_name = dict(columns)
        tag = [
            ('\n    <edge source="%s"', us),
            (' target="%s"', vs),
            (' id="%s">', _attribute_texts(by_name["id"])),
        ]
        parts = [_graphml_data(_HOLE, values) for name, values in columns if name != "id"]
        text = "".join(_formatted([*tag, *parts], tail="\n    </edge>"))
        return _EdgeTemplate(text, len(us), len(parts), strict=True)

    def _gexf_node_heads(self) -> tuple[list[str], list[str]]:
        """Each node's GEXF tag and <attvalue>s of the base attributes (ids 0 to 3, the
        first declared; the label is in the tag)."""
        columns = self._node_columns
        parts = [
            _attvalue_column(f'<attvalue for="{number}" value="', columns[name])
            for number, name in enumerate(_NODE_BASE[1:])
        ]
        tag = [
            ('\n      <node id="%s"', _attribute_texts(self.node_ids)),
            (' label="%s"', _attribute_texts(columns["label"])),
            ("%s>", _start_attributes(columns["start"])),
        ]
        return list(_formatted(tag)), list(_formatted(parts, sep="\n          "))

    def _gexf_edge_text(
        self, us: list[str], vs: list[str], columns: list[tuple[str, list[Any]]]
    ) -> tuple[_EdgeTemplate, list[tuple[str, type]]]:
        """Each edge's GEXF (`us` and `vs` as in :meth:`_graphml_edge_text`), a hole for
        each <attvalue>'s start (its attribute's id), and the attributes those are: the
        end day is last, as ``last_reported``."""
        by_name = dict(columns)
        names = [n for n in by_name if n not in _GEXF_NOT_ATTVALUES["edge"]]
        names.append("last_reported")
        by_name["last_reported"] = by_name["end"]
        tag = [
            ('\n      <edge source="%s"', us),
            (' target="%s"', vs),
            *((f' {name}="%s"', _attribute_texts(by_name[name])) for name in ("id", "label")),
            (' weight="%s"', _attribute_texts(by_name["weight"])),
            ("%s>\n        <attvalues>", _start_attributes(by_name["start"])),
        ]
        inner = "\n          "
        parts = [_attvalue_column(inner + _HOLE, by_name[name]) for name in names]
        text = "".join(_formatted([*tag, *parts], tail="\n        </attvalues>\n      </edge>"))
        keys = [(name, type(by_name[name][0])) for name in names]
        return _EdgeTemplate(text, len(us), len(names), strict=False), keys

    # -- with the scores -----------------------------------------------------------------

    @gc_paused()
    def write(
        self,
        rows: Sequence[Mapping[str, Any]],
        graphml_path: str | Path,
        gexf_path: str | Path,
        *,
        size_by: str = "pagerank",
        color_by: str = "type",
    ) -> None:
        """Write what ``write_graphml(data, rows, graphml_path)`` and then
        ``write_gexf(data, rows, gexf_path, size_by=..., color_by=...)`` write."""
        scored = self._scored_columns(rows)
        fallback = _Once(lambda: export_graph(self._data, rows, **self._filters))
        atomic_write_bytes(graphml_path, self._graphml_bytes(scored, fallback))
        atomic_write_bytes(gexf_path, self._gexf_bytes(scored, fallback, size_by, color_by))

    def _scored_columns(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]] | None:
        """The node columns with the scores, in the order :func:`export_graph` gives the
        attributes, made uniform; None when the graph writers are to write it all."""
        if not self._direct:
            return None
        by_id = {str(r["id"]): r for r in rows}
        no_row: Mapping[str, Any] = {}
        rows_of = [by_id.get(node, no_row) for node in self.node_ids]
        order = dict.fromkeys(_NODE_BASE)
        # the attributes in order of first appearance (see uniform_attributes)
        shapes = dict.fromkeys(map(tuple, rows_of))
        for shape in shapes:
            scores = tuple(k for k in shape if k not in ("id", "name", "type"))
            if any(type(k) is not str or k in _SPECIAL_SCORES for k in scores):
                return None
            order.update(dict.fromkeys((*scores, "start")))
        order.update(dict.fromkeys(("start",)))  # no rows at all: the nodes end with it
        names = [name for name in order if name not in self._node_columns]
        found: Iterable[list[Any]]
        if len(shapes) == 1 and len(names) > 1:  # every row has them all: read them at once
            found = map(list, zip(*map(operator.itemgetter(*names), rows_of), strict=True))
        else:
            found = ([row.get(name) for row in rows_of] for name in names)
        read = dict(zip(names, found, strict=True))
        columns = {}
        for name in order:
            values = self._node_columns.get(name)
            if values is None:
                values = read[name]
                values = _uniform_values(values) or values
            columns[name] = values
        return columns

    def _graphml_bytes(self, scored: dict[str, list[Any]] | None, graph: _Once) -> bytes:
        if scored is None or self._graphml_edges.template is None:
            return graphml_bytes(graph())
        xml_type = self._graphml_types.xml_type
        node_keys = [(name, xml_type[type(values[0])]) for name, values in scored.items()]
        edge_keys = [(name, xml_type[kind]) for name, kind in self._edge_keys]
        parts = [
            _graphml_data(f'\n      <data key="d{number}"', scored[name])
            for number, (name, _) in enumerate(node_keys)
            if number >= len(_NODE_BASE)
        ]
        nodes = _formatted([("%s", self._graphml_nodes), *parts], tail="\n    </node>")
        keys = [(*key, "node") for key in node_keys] + [(*key, "edge") for key in edge_keys]
        declared = [
            f"\n  <key{_attributes(**{'id': f'd{i}', 'for': s, 'attr.name': n, 'attr.type': t})} />"
            for i, (n, t, s) in reversed(list(enumerate(keys)))
            if not (s == "edge" and n == "id")
        ]
        root = _attributes(
            **{
                "xmlns": self._graphml_types.NS_GRAPHML,
                "xmlns:xsi": self._graphml_types.NS_XSI,
                "xsi:schemaLocation": self._graphml_types.SCHEMALOCATION,
            }
        )
        # the texts among the scores and the start days (numbers hold nothing XML cannot hold)
        scored_texts = [
            text
            for name, _ in node_keys[len(_NODE_BASE) :]
            if type(scored[name][0]) is str
            for text in scored[name]
        ]
        head = "".join(
            [f"<graphml{root}>", *declared, '\n  <graph edgedefault="directed">', *nodes]
        )
        if not (self._graphml_nodes_xml and _holds_xml([*declared, *scored_texts])):
            return graphml_bytes(graph())  # which refuses it with its line
        fills = [
            f'\n      <data key="d{number}"'.encode()
            for number, (name, _, scope) in enumerate(keys)
            if scope == "edge" and name != "id"
        ]
        return self._graphml_edges.document(
            _XML_DECLARATION + head.encode("utf-8", "xmlcharrefreplace"),
            fills,
            b"\n  </graph>\n</graphml>",
        )

    def _gexf_bytes(
        self, scored: dict[str, list[Any]] | None, graph: _Once, size_by: str, color_by: str
    ) -> bytes:
        if scored is None or self._gexf_edges.template is None:
            G = graph().copy()
            _make_gexf_graph(G, size_by=size_by, color_by=color_by)
            return gexf_bytes(G)
        nodes = self.node_ids
        missing = -1 if color_by == "community" else None  # as colour_map reads them
        colour_of = scored.get(color_by, [missing] * len(nodes))
        colours = _colours(zip(nodes, colour_of, strict=True), color_by)
        sizes = _sizes(
            dict(zip(nodes, scored.get(size_by, [None] * len(nodes)), strict=True)), size_by
        )
        xml_type = self._gexf_spec.xml_type
        node_keys = [
            (name, xml_type[type(values[0])])
            for name, values in scored.items()
            if name not in _GEXF_NOT_ATTVALUES["node"]
        ]
        base = len(_NODE_BASE) - 1  # the base attributes but the label, written already
        parts = [
            _attvalue_column(f'\n          <attvalue for="{number}" value="', scored[name])
            for number, (name, _) in enumerate(node_keys)
            if number >= base
        ]
        viz_colour = _remembered_colour()
        tags, base_values = self._gexf_nodes
        looks: list[_Format] = [
            ("%s\n        ", tags),
            ('%s\n        <viz:size value="', [viz_colour(colour) for _, colour in colours]),
            ('%s" />\n        <attvalues>\n          ', [sizes[node] for node in nodes]),
            ("%s", base_values),
        ]
        pieces = _formatted([*looks, *parts], tail="\n        </attvalues>\n      </node>")
        edge_keys = [(name, xml_type[kind]) for name, kind in self._gexf_edge_keys]
        declarations = [
            _element(
                "attributes",
                _attributes(mode="static", **{"class": kind}),
                [
                    f"<attribute{_attributes(id=str(number), title=title, type=kind_type)} />"
                    for number, (title, kind_type) in keys
                ],
                2,
            )
            for kind, keys in (
                ("edge", list(enumerate(edge_keys, start=len(node_keys)))),
                ("node", list(enumerate(node_keys))),
            )
        ]
        spec = self._gexf_spec
        root = {
            "xmlns:viz": spec.NS_VIZ,
            "xmlns": spec.NS_GEXF,
            "xmlns:xsi": spec.NS_XSI,
            "xsi:schemaLocation": spec.SCHEMALOCATION,
            "version": spec.VERSION,
        }
        graph_tag = {"defaultedgetype": "directed", "mode": "dynamic", "name": ""}
        if self._dynamic:
            graph_tag["timeformat"] = "date"
        modified = time.strftime("%Y-%m-%d")
        creator = f"<creator>{_escape_cdata(f'NetworkX {nx.__version__}')}</creator>"
        # laid out as _GexfText.pieces lays it out
        head = [
            f"<gexf{_attributes(**root)}>\n  ",
            _element("meta", _attributes(lastmodifieddate=modified), [creator], 1),
            f"\n  <graph{_attributes(**graph_tag)}>",
            *(f"\n    {declaration}" for declaration in declarations),
            "\n    <nodes>",
            *pieces,
            "\n    </nodes>\n    <edges>",
        ]
        fills = [
            f'<attvalue for="{number}" value="'.encode()
            for number in range(len(node_keys), len(node_keys) + len(edge_keys))
        ]
        return self._gexf_edges.document(
            _XML_DECLARATION + "".join(head).encode("utf-8", "xmlcharrefreplace"),
            fills,
            b"\n    </edges>\n  </graph>\n</gexf>\n",
        )


def _attribute_texts(values: list[Any]) -> list[str]:
    """Each value as an XML attribute's text (as :func:`_attributes` writes it)."""
    return _escaped(list(map(str, values)), _escape_attrib)


def _start_attributes(starts: list[str]) -> list[str]:
    """Each GEXF ``start`` attribute of `starts` (days), none for an empty day."""
    return [f' start="{day}"' if day else "" for day in _attribute_texts(starts)]


def _holds_xml(texts: list[str]) -> bool:
    """Whether XML can hold all of `texts`."""
    return not _NOT_XML.search("".join(texts))


def _remembered_colour() -> Callable[[tuple[int, int, int]], str]:
    """A node's GEXF <viz:color> of an RGB colour, remembered (a few colours in all)."""
    memo: dict[tuple[int, int, int], str] = {}

    def viz_colour(colour: tuple[int, int, int]) -> str:
        found = memo.get(colour)
        if found is None:
            r, g, b = colour
            rgba = {"r": str(r), "g": str(g), "b": str(b), "a": "1.0"}
            found = memo[colour] = f"<viz:color{_attributes(**rgba)} />"
        return found

    return viz_colour


def _in_graph_order(ends: list[tuple[str, str]], node_ids: list[str]) -> list[int] | None:
    """The order (indexes into `ends`) a DiGraph of `node_ids` then edges with `ends` gives
    its edges (by source, in node order, then as added); None when an end is not a node
    (the graph would gain it, without attributes)."""
    nodes = set(node_ids)
    by_source: dict[str, list[int]] = {}
    for i, (u, v) in enumerate(ends):
        if u not in nodes or v not in nodes:
            return None
        by_source.setdefault(u, []).append(i)
    return [i for node in node_ids for i in by_source.get(node, ())]


class _Once:
    """A value made on first use: the graph the writers fall back to."""

    def __init__(self, make: Callable[[], nx.DiGraph]) -> None:
        self._make = make
        self._value: nx.DiGraph | None = None

    def __call__(self) -> nx.DiGraph:
        if self._value is None:
            self._value = self._make()
        return self._value
