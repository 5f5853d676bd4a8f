"""GraphML, GEXF and CSV exports: typed, escaped, Gephi-safe, and readable back."""

from __future__ import annotations

import csv
from pathlib import Path
from xml.etree import ElementTree as ET

import igraph as ig
import networkx as nx
import pytest

from graph_builder import analysis, export, views
from graph_builder.errors import MilgraphError
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support

EVIL = 'Abu "the <script>alert(1)</script>" O\'Neil ]]> & co'
GRAPHML_NS = "{http://graphml.graphdrawing.org/xmlns}"
GEXF_NS = "{http://www.gexf.net/1.2draft}"


def sample() -> GraphData:
    entities = {
        e.id: e
        for e in (
            Entity("p:evil", EVIL, "Person", aliases=("Abu O", "<b>bold</b>")),
            Entity("p:ali", "Ali", "Person"),
            Entity("g:lej", "Lashkar-e-Jhangvi", "MilitantGroup"),
            Entity("g:ttp", "TTP", "MilitantGroup"),
            Entity("v:raid", "Raid", "Event"),
            Entity("o:un", "UN", "Organization"),  # isolated
        )
    }

    def sup(doc: str, modality: str = "asserted", **kw: str) -> Support:
        return Support(
            f"s-{doc}-{modality}-{len(kw)}", doc, f"{EVIL} said in {doc}", modality, 0.8, **kw
        )

    relations = (
        Relation("p:evil", "leader_of", "g:lej", (sup("d1", role="acting"),)),
        Relation("p:evil", "founder_of", "g:lej", (sup("d2", "reported", attributed_to="police"),)),
        Relation("p:ali", "member_of", "g:lej", (sup("d2"),)),
        Relation("g:ttp", "linked_to", "g:lej", (sup("d1", "alleged", link_kind="ally"),)),
        Relation("p:ali", "killed_in", "v:raid", (sup("d2", date="2015-07-29"),)),
    )
    documents = {
        "d1": DocumentInfo("d1", title="One", date="2009-08-25"),
        "d2": DocumentInfo("d2", title="Two", date="2015-07-30"),
    }
    return GraphData(entities, relations, documents, frozenset({("d1", "o:un")}))


@pytest.fixture(scope="module")
def data() -> GraphData:
    return sample()


@pytest.fixture(scope="module")
def rows(data: GraphData) -> list[dict]:
    return analysis.metrics_rows(views.entity_graph(data), seed=1)


def test_graphml_round_trips_through_networkx_with_typed_attributes(
    tmp_path: Path, data: GraphData, rows: list[dict]
) -> None:
    path = tmp_path / "g.graphml"
    written = export.write_graphml(data, rows, path)
    G = nx.read_graphml(path)
    assert set(G) == set(data.entities)
    assert G.number_of_edges() == written.number_of_edges() == 4  # leader+founder merged
    by_id = {r["id"]: r for r in rows}
    for node, attrs in G.nodes(data=True):
        assert attrs["label"] == data.entities[node].name
        assert attrs == written.nodes[node]  # every attribute, same value and type
        for column in ("degree", "betweenness", "closeness", "eigenvector", "pagerank"):
            assert isinstance(attrs[column], float)
            assert attrs[column] == pytest.approx(by_id[node][column])
        assert (
            isinstance(attrs["community"], int) and attrs["community"] == by_id[node]["community"]
        )
        assert isinstance(attrs["articulation_point"], bool)
    assert G.nodes["p:evil"]["label"] == EVIL  # escaped on write, intact on read
    assert G.nodes["p:evil"]["aliases"] == "Abu O | <b>bold</b>"
    edge = G.edges["p:evil", "g:lej"]
    assert edge["predicate"] == "founder_of | leader_of" and edge["id"].startswith("e")
    assert edge["modality"] == "asserted" and edge["n_sources"] == 2
    assert isinstance(edge["weight"], float) and edge["weight"] == 1.75
    assert edge["role"] == "acting" and edge["attributed_to"] == "police"
    assert EVIL in edge["evidence"]
    for u, v, attrs in G.edges(data=True):
        assert attrs == written.edges[u, v]  # networkx reads the edge id back as "id"
    # symmetric linked_to between two groups points from the smaller id
    assert G.has_edge("g:lej", "g:ttp") and not G.has_edge("g:ttp", "g:lej")


def test_graphml_is_gephi_safe(tmp_path: Path, data: GraphData, rows: list[dict]) -> None:
    path = tmp_path / "g.graphml"
    export.write_graphml(data, rows, path)
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "]]>" not in text  # the XML writer escaped them
    root = ET.parse(path).getroot()
    keys = root.findall(f"{GRAPHML_NS}key")
    seen = [(k.get("for"), k.get("attr.name")) for k in keys]
    assert len(seen) == len(set(seen))  # one type per attribute name
    assert {k.get("attr.type") for k in keys} <= {"boolean", "int", "long", "double", "string"}
    assert ("edge", "id") not in seen  # the id lives on the <edge> element only
    graph = root.find(f"{GRAPHML_NS}graph")
    assert graph is not None and graph.get("edgedefault") == "directed"
    ids = [e.get("id") for e in graph.iter(f"{GRAPHML_NS}edge")]
    assert len(ids) == 4 and len(set(ids)) == 4 and all(ids)
    n_keys = {k.get("id") for k in keys if k.get("for") == "node"}
    for node in graph.iter(f"{GRAPHML_NS}node"):
        assert {d.get("key") for d in node.findall(f"{GRAPHML_NS}data")} == n_keys
    assert "None" not in [d.text for d in root.iter(f"{GRAPHML_NS}data")]


def test_graphml_round_trips_through_igraph(
    tmp_path: Path, data: GraphData, rows: list[dict]
) -> None:
    path = tmp_path / "g.graphml"
    written = export.write_graphml(data, rows, path)
    g = ig.Graph.Read_GraphML(str(path))
    assert g.is_directed()
    assert (g.vcount(), g.ecount()) == (6, 4)
    node_attrs = set(next(iter(written.nodes.values())))
    assert node_attrs <= set(g.vs.attributes())
    for v in g.vs:
        expected = written.nodes[v["id"]]
        for name in node_attrs:
            value = v[name]
            if isinstance(expected[name], bool):
                assert value is expected[name]
            elif isinstance(expected[name], int | float):  # igraph keeps numbers as float
                assert isinstance(value, float) and value == pytest.approx(expected[name])
            else:
                assert isinstance(value, str) and value == expected[name]
    # igraph 1.0 does not keep GraphML edge ids (it stores node ids there); match by endpoints
    for e in g.es:
        u, v = g.vs[e.source]["id"], g.vs[e.target]["id"]
        expected = written.edges[u, v]
        for name, value in expected.items():
            if name == "id":
                continue
            got = e[name]
            if isinstance(value, int | float):
                assert got == pytest.approx(value)
            else:
                assert got == value


def test_gexf_has_viz_and_a_timeline(tmp_path: Path, data: GraphData, rows: list[dict]) -> None:
    path = tmp_path / "g.gexf"
    export.write_gexf(data, rows, path, size_by="degree", color_by="type")
    G = nx.read_gexf(path)
    assert G.graph["mode"] == "dynamic" and set(G) == set(data.entities)
    assert G.nodes["p:evil"]["label"] == EVIL
    viz = G.nodes["g:lej"]["viz"]
    assert (viz["color"]["r"], viz["color"]["g"], viz["color"]["b"]) == export.TYPE_COLOURS[
        "MilitantGroup"
    ]
    assert viz["size"] == export.SIZE_MAX  # the best-connected node
    assert G.nodes["o:un"]["viz"]["size"] == export.SIZE_MIN
    root = ET.parse(path).getroot()
    graph = root.find(f"{GEXF_NS}graph")
    assert graph is not None and graph.get("timeformat") == "date"
    starts = {
        (e.get("source"), e.get("target")): e.get("start") for e in graph.iter(f"{GEXF_NS}edge")
    }
    assert starts[("p:ali", "v:raid")] == "2015-07-29"  # statement date
    assert starts[("p:ali", "g:lej")] == "2015-07-30"  # document date
    assert starts[("p:evil", "g:lej")] == "2009-08-25"  # first of two sources
    nodes = {n.get("id"): n for n in graph.iter(f"{GEXF_NS}node")}
    assert nodes["p:evil"].get("start") == "2009-08-25"
    assert nodes["o:un"].get("start") is None  # no dated tie: always on the timeline
    assert "<script>" not in path.read_text(encoding="utf-8")


def test_gexf_colours_by_community_and_rejects_unknown_options(
    tmp_path: Path, data: GraphData, rows: list[dict]
) -> None:
    path = tmp_path / "g.gexf"
    G = export.write_gexf(data, rows, path, color_by="community")
    by_id = {r["id"]: r for r in rows}
    for node, attrs in G.nodes(data=True):
        colour = attrs["viz"]["color"]
        assert (colour["r"], colour["g"], colour["b"]) == export.PALETTE[by_id[node]["community"]]
    with pytest.raises(Exception, match="type, community"):
        export.write_gexf(data, rows, path, color_by="mood")
    with pytest.raises(Exception, match="pagerank"):
        export.write_gexf(data, rows, path, size_by="height")


def test_csv_nodes_and_edges_for_spreadsheets_and_neo4j_admin(
    tmp_path: Path, data: GraphData, rows: list[dict]
) -> None:
    nodes_path, edges_path = export.write_csv(data, rows, tmp_path / "csv")
    with nodes_path.open(encoding="utf-8") as fh:
        nodes = list(csv.DictReader(fh))
    with edges_path.open(encoding="utf-8") as fh:
        edges = list(csv.DictReader(fh))
    assert list(nodes[0])[:5] == ["id:ID", "name", ":LABEL", "type", "aliases:string[]"]
    assert "pagerank:double" in nodes[0] and "community:int" in nodes[0]
    evil = next(n for n in nodes if n["id:ID"] == "p:evil")
    assert evil["name"] == EVIL and evil[":LABEL"] == "Person;Entity"
    assert len(edges) == len(data.relations)  # one row per relation
    assert {e[":TYPE"] for e in edges} == {
        "LEADER_OF",
        "FOUNDER_OF",
        "MEMBER_OF",
        "LINKED_TO",
        "KILLED_IN",
    }
    assert len({e["id"] for e in edges}) == len(edges)
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["edges.csv", "nodes.csv"]


def test_min_modality_and_as_of_reach_the_exports(tmp_path: Path, data: GraphData) -> None:
    G = export.write_graphml(data, [], tmp_path / "g.graphml", min_modality="reported")
    assert not G.has_edge("g:lej", "g:ttp")  # the alleged link is gone
    H = export.write_graphml(data, [], tmp_path / "h.graphml", as_of="2010-01-01")
    assert sorted(H.edges) == [("g:lej", "g:ttp"), ("p:evil", "g:lej")]


def _graphml_the_long_way(G: nx.DiGraph) -> bytes:
    """networkx's GraphML, parsed back to drop the edge id data key, written again."""
    import io

    buf = io.BytesIO()
    nx.write_graphml(G, buf, encoding="utf-8", prettyprint=True, edge_id_from_attribute="id")
    ET.register_namespace("", GRAPHML_NS.strip("{}"))
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    root = ET.fromstring(buf.getvalue())
    for key in root.findall(f"{GRAPHML_NS}key"):
        if key.get("for") == "edge" and key.get("attr.name") == "id":
            root.remove(key)
            for edge in root.iter(f"{GRAPHML_NS}edge"):
                for item in edge.findall(f"{GRAPHML_NS}data"):
                    if item.get("key") == key.get("id"):
                        edge.remove(item)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def test_xml_bytes_equal_what_networkx_writes(data: GraphData, rows: list[dict]) -> None:
    import io

    G = export.export_graph(data, rows)
    G.nodes["p:ali"]["name"] = "line\r\nends\rand tabs\t, é, 🙂, and an empty next"
    G.nodes["p:ali"]["aliases"] = ""
    assert export.graphml_bytes(G) == _graphml_the_long_way(G)
    buf = io.BytesIO()
    nx.write_gexf(G, buf, encoding="utf-8", prettyprint=True, version="1.2draft")
    assert export.gexf_bytes(G) == buf.getvalue()


def test_graphml_refuses_characters_xml_cannot_hold(data: GraphData, rows: list[dict]) -> None:
    G = export.export_graph(data, rows)
    G.nodes["p:ali"]["name"] = "bell\x07"
    with pytest.raises(MilgraphError, match="cannot hold"):
        export.graphml_bytes(G)


def test_gexf_from_the_graphml_graph_is_the_same_file(
    data: GraphData, rows: list[dict], tmp_path: Path
) -> None:
    H = export.write_graphml(data, rows, tmp_path / "g.graphml")
    before = export.graphml_bytes(H)
    export.write_gexf(data, rows, tmp_path / "built.gexf")
    export.write_gexf(data, rows, tmp_path / "given.gexf", graph=H)
    assert (tmp_path / "given.gexf").read_bytes() == (tmp_path / "built.gexf").read_bytes()
    assert export.graphml_bytes(H) == before  # the graph given is left as it was


def test_uniform_attributes_column_by_column() -> None:
    import numpy as np

    recs: list[dict[str, object]] = [
        {"n": 1, "f": 0.5, "l": ["a", "b"], "x": float("nan"), "np": np.float64(2.5)},
        {"n": 2.5, "f": float("inf"), "l": ("c",), "x": 1, "np": np.int64(3), "new": True},
        {"f": 1.0, "n": None, "l": [], "x": "t", "np": None},
    ]
    export.uniform_attributes(recs)
    assert recs == [
        # numpy's float64 is a float, its int64 no int: the column is text
        {"n": 1.0, "f": 0.5, "l": "a | b", "x": "", "np": "2.5", "new": False},
        {"n": 2.5, "f": 0.0, "l": "c", "x": "1", "np": "3", "new": True},
        {"n": 0.0, "f": 1.0, "l": "", "x": "t", "np": "", "new": False},
    ]
    assert [list(r) for r in recs] == [["n", "f", "l", "x", "np", "new"]] * 3
    assert [type(r["n"]) for r in recs] == [float] * 3
    same = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    export.uniform_attributes(same)
    assert same == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
