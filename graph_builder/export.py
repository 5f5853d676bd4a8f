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

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from graph_builder.analysis import atomic_write_bytes, atomic_write_text
from graph_builder.errors import MilgraphError
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


def plain(value: Any) -> bool | int | float | str | None:
    """A value Gephi reads: bool, int, float or str; lists joined; None stays None.

    >>> plain(("a", "b")), plain(3), plain(float("nan")), plain(None)
    ('a | b', 3, None, None)
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return LIST_SEP.join(str(x) for x in items)
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return str(value)


def _column_type(values: Sequence[Any]) -> type:
    kinds = {type(v) for v in values if v is not None}
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
    keys: list[str] = []
    for rec in records:
        for key, value in list(rec.items()):
            rec[key] = plain(value)
            if key not in keys:
                keys.append(key)
    for key in keys:
        kind = _column_type([rec.get(key) for rec in records])
        for rec in records:
            value = rec.get(key)
            if value is None:
                rec[key] = kind()
            elif kind is str:
                rec[key] = str(value)
            else:
                rec[key] = kind(value)
    for rec in records:
        ordered = {k: rec[k] for k in keys}
        rec.clear()
        rec.update(ordered)


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
    by_id = {str(r["id"]): r for r in rows}
    docs_of: dict[str, set[str]] = {}
    for doc_id, entity_id in data.mentions:
        docs_of.setdefault(entity_id, set()).add(doc_id)
    pairs: dict[tuple[str, str], list[Any]] = {}
    for fact in facts:
        pairs.setdefault((fact.relation.subject_id, fact.relation.object_id), []).append(fact)

    node_ids = present_entities(data, facts, as_of)
    first_seen: dict[str, str] = {}
    edges = []
    for i, ((u, v), group) in enumerate(sorted(pairs.items())):
        supports = [s for f in group for s in f.relation.support]
        dates = sorted({d for f in group for d in f.dates})
        modality = min((f.relation.modality for f in group), key=MODALITY_ORDER.index)
        predicates = [f.relation.predicate for f in group]
        edges.append(
            (
                u,
                v,
                {
                    "id": f"e{i}",
                    "label": LIST_SEP.join(predicates),
                    "predicate": predicates,
                    "modality": modality,
                    "weight": float(sum(f.weight for f in group)),
                    "n_sources": len({s.doc_id for s in supports}),
                    "confidence": max(f.relation.confidence for f in group),
                    "doc_ids": sorted({s.doc_id for s in supports}),
                    "statement_ids": [s.statement_id for s in supports],
                    "evidence": list(dict.fromkeys(s.evidence for s in supports)),
                    "attributed_to": sorted({s.attributed_to for s in supports} - {None}),
                    "role": sorted({s.role for s in supports} - {None}),
                    "relation": sorted({s.relation for s in supports} - {None}),
                    "link_kind": sorted({s.link_kind for s in supports} - {None}),
                    "start": dates[0] if dates else None,
                    "end": dates[-1] if dates else None,
                },
            )
        )
        if dates:
            for node in (u, v):
                first_seen[node] = min(first_seen.get(node, dates[0]), dates[0])

    nodes = []
    for node in node_ids:
        ent = data.entities[node]
        attrs: dict[str, Any] = {
            "label": ent.name,
            "name": ent.name,
            "type": ent.type,
            "aliases": list(ent.aliases),
            "n_documents": len(docs_of.get(node, ())),
        }
        row = by_id.get(node, {})
        attrs.update({k: v for k, v in row.items() if k not in ("id", "name", "type")})
        attrs["start"] = first_seen.get(node)
        nodes.append((node, attrs))
    uniform_attributes([a for _, a in nodes])
    uniform_attributes([a for _, _, a in edges])

    G = nx.DiGraph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


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


def graphml_bytes(G: nx.Graph) -> bytes:
    """GraphML of `G` as ``nx.write_graphml(G, prettyprint=True, edge_id_from_attribute="id")``
    writes it, less the edge id's data key (see :func:`_drop_edge_id_data`), reindented.

    The element tree networkx builds is edited and serialised once, not written, parsed
    back and written again; the text is normalised as that parse did (line ends) and
    characters XML cannot hold are refused as the parse refused them.
    """
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
    return _xml_document(root, strict=True)


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


# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_document(root: Any, *, strict: bool = False) -> bytes:
    """``ElementTree(root).write(f, encoding="utf-8", xml_declaration=True)``'s bytes,
    serialised to one string first (writing the pieces through an encoder is slower).
    `strict` refuses characters XML cannot hold instead of writing them."""
    from xml.etree import ElementTree as ET

    text = ET.tostring(root, encoding="unicode")
    bad = _NOT_XML.search(text) if strict else None
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise MilgraphError(
            f"graph text has character {bad.group()!r} (line {line} of the XML written), "
            "which XML cannot hold; expected printable text"
        )
    return ("<?xml version='1.0' encoding='utf-8'?>\n" + text).encode("utf-8", "xmlcharrefreplace")


def colour_map(G: nx.Graph, color_by: str) -> dict[Any, tuple[int, int, int]]:
    """Node -> RGB, by entity ``type`` or by ``community`` number.

    >>> G = nx.Graph(); G.add_node("a", type="Person", community=1)
    >>> colour_map(G, "type"), colour_map(G, "community")
    ({'a': (0, 114, 178)}, {'a': (213, 94, 0)})
    """
    if color_by == "type":
        return {n: TYPE_COLOURS.get(t, (128, 128, 128)) for n, t in G.nodes(data="type")}
    if color_by == "community":
        out = {}
        for n, c in G.nodes(data="community", default=-1):
            out[n] = PALETTE[int(c) % len(PALETTE)] if int(c) >= 0 else (128, 128, 128)
        return out
    raise MilgraphError(f"unknown --color-by {color_by!r}; expected one of type, community")


def size_map(G: nx.Graph, size_by: str) -> dict[Any, float]:
    """Node -> size between SIZE_MIN and SIZE_MAX, linear in the attribute `size_by`.

    >>> G = nx.Graph(); G.add_nodes_from([("a", {"pagerank": 0.2}), ("b", {"pagerank": 0.6})])
    >>> size_map(G, "pagerank")
    {'a': 5.0, 'b': 50.0}
    """
    values = dict(G.nodes(data=size_by))
    numbers = [v for v in values.values() if isinstance(v, int | float)]
    if not numbers and len(G):
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
    colours, sizes = colour_map(G, color_by), size_map(G, size_by)
    for node, attrs in G.nodes(data=True):
        r, g, b = colours[node]
        attrs["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0}, "size": sizes[node]}
        _timeline(attrs)
    for _, _, attrs in G.edges(data=True):
        attrs["last_reported"] = attrs.pop("end")
        _timeline(attrs)
    G.graph["mode"] = "dynamic"
    atomic_write_bytes(path, gexf_bytes(G))
    return G


def gexf_bytes(G: nx.Graph) -> bytes:
    """``nx.write_gexf(G, prettyprint=True, version="1.2draft")``'s bytes, serialised to
    one string first (networkx writes the pieces through an encoder, which is slower)."""
    from networkx.readwrite.gexf import GEXFWriter

    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(G)
    writer.indent(writer.xml)
    return _xml_document(writer.xml)


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
