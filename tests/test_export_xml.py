"""The GraphML and GEXF text written directly is, byte for byte, what networkx's element
trees serialise to, on hostile text and on every kind of attribute value."""

from __future__ import annotations

import gc
import random
from typing import Any

import networkx as nx
import pytest

from graph_builder import export, gcpause
from graph_builder.errors import MilgraphError

# Pieces of hostile text: markup, quotes, line ends and tabs (escaped differently in text
# and in attributes), non-ASCII, a lone surrogate, and characters XML cannot hold.
PIECES = ["a", " ", "&", "<", ">", '"', "'", "\r", "\n", "\r\n", "\t", "é", "🙂", "]]>", ""]
CONTROL = ["\x07", "\x00", "\ufffe"]


def _text(rng: random.Random, pieces: list[str]) -> str:
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))


def _value(rng: random.Random, pieces: list[str]) -> Any:
    numbers = [rng.randint(-5, 5), 0.5, 1 / 3, 1e20, float("inf"), float("nan"), -float("inf")]
    return rng.choice([_text(rng, pieces), rng.choice(numbers), rng.random() < 0.5, ""])


def _graph(rng: random.Random, pieces: list[str]) -> nx.Graph:
    """A small graph with random attributes; ids, labels, times, "key" and "id" included."""
    G: nx.Graph = nx.DiGraph() if rng.random() < 0.7 else nx.Graph()
    names = ["label", "name", "x", "key", "id", "start", "end", "type", "weight"]
    nodes = [f"{_text(rng, pieces)}{i}" for i in range(rng.randint(0, 5))]
    for node in nodes:
        attrs = {k: _value(rng, pieces) for k in rng.sample(names, rng.randint(0, 5))}
        G.add_node(node, **attrs)
    for _ in range(rng.randint(0, 7) if nodes else 0):
        attrs = {k: _value(rng, pieces) for k in rng.sample(names, rng.randint(0, 5))}
        if rng.random() < 0.5:
            attrs["id"] = rng.choice(["e1", 0, 1, "2", None])
        G.add_edge(rng.choice(nodes), rng.choice(nodes), **attrs)
    return G


def _written(write: Any, G: nx.Graph) -> bytes | tuple[str, str]:
    try:
        return write(G.copy())
    except Exception as error:  # the same error, or both fail alike
        return type(error).__name__, str(error)


@pytest.mark.parametrize("seed", range(4))
def test_graphml_written_directly_is_networkx_text(seed: int) -> None:
    rng = random.Random(seed)
    direct = 0
    for _ in range(300):
        G = _graph(rng, PIECES + CONTROL * (seed % 2))
        assert _written(export.graphml_bytes, G) == _written(export._graphml_bytes_via_tree, G)
        try:
            "".join(export._graphml_pieces(G.copy()))
            direct += 1
        except export._NotPlain:
            pass
    assert direct > 150  # most graphs took the direct way


@pytest.mark.parametrize("seed", range(4))
def test_gexf_written_directly_is_networkx_text(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        G = _graph(rng, PIECES + CONTROL)  # GEXF writes them as they are, like networkx
        if rng.random() < 0.5:
            G.graph["mode"] = "dynamic"
        for node in list(G)[: rng.randint(0, len(G))]:
            G.nodes[node]["viz"] = {"color": {"r": 1, "g": 2, "b": 3, "a": 1.0}, "size": 2.5}
        export._GexfText(G.copy()).text()  # the direct way, not a fallback
        assert _written(export.gexf_bytes, G) == _written(export._gexf_bytes_via_tree, G)


def _uniform_graph(rng: random.Random, pieces: list[str]) -> nx.Graph:
    """Like :func:`_graph`, but every node (edge) has the same attributes in the same
    order, each with values of one type: what the writers take a column at a time."""
    G: nx.Graph = nx.DiGraph() if rng.random() < 0.7 else nx.Graph()
    makers = [
        lambda: _text(rng, pieces),
        lambda: rng.randint(-5, 5),
        lambda: rng.choice([0.5, 1 / 3, 1e20, float("inf"), float("nan"), -float("inf")]),
        lambda: rng.random() < 0.5,
    ]
    names = ["label", "name", "x", "key", "id", "type", "weight"]
    node_columns = [(k, rng.choice(makers)) for k in rng.sample(names, rng.randint(0, 5))]
    edge_columns = [(k, rng.choice(makers)) for k in rng.sample(names, rng.randint(0, 5))]
    nodes = [f"{_text(rng, pieces)}{i}" for i in range(rng.randint(1, 6))]
    for node in nodes:
        G.add_node(node, **{k: make() for k, make in node_columns})
        if rng.random() < 0.5:  # a day for some only: GEXF writes it in the tag
            G.nodes[node]["start"] = "2020-01-0" + str(rng.randint(1, 9))
    for _ in range(rng.randint(1, 8)):
        G.add_edge(rng.choice(nodes), rng.choice(nodes), **{k: m() for k, m in edge_columns})
    return G


@pytest.mark.parametrize("seed", range(4))
def test_attributes_written_a_column_at_a_time_are_networkx_text(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        G = _uniform_graph(rng, PIECES + CONTROL * (seed % 2))
        nodes = [attrs for _, attrs in G.nodes(data=True)]
        assert export._columns(nodes, export._GEXF_NOT_ATTVALUES["node"]) is not None
        assert _written(export.graphml_bytes, G) == _written(export._graphml_bytes_via_tree, G)
        assert _written(export.gexf_bytes, G) == _written(export._gexf_bytes_via_tree, G)


def test_columns_need_the_same_keys_in_the_same_order_and_one_type_each() -> None:
    assert export._columns([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]) == [
        ("a", [1, 2]),
        ("b", ["x", "y"]),
    ]
    assert export._columns([{"a": 1, "b": "x"}, {"b": "y", "a": 2}]) is None
    assert export._columns([{"a": 1}, {"a": 2.0}]) is None
    assert export._columns([{"a": 1}, {"a": 2, "s": "d"}]) is None
    assert export._columns([{"a": 1}, {"a": 2, "s": "d"}], leave_out={"s"}) == [("a", [1, 2])]


def test_what_the_direct_writers_leave_to_networkx() -> None:
    G = nx.MultiDiGraph([("a", "b"), ("a", "b")])
    with pytest.raises(export._NotPlain):
        "".join(export._graphml_pieces(G))
    with pytest.raises(export._NotPlain):
        export._GexfText(G)
    assert export.graphml_bytes(G) == export._graphml_bytes_via_tree(G)
    H = nx.DiGraph()
    H.add_node("a", spells=[("2020-01-01", None)], listed=[("x", None, None)])
    H.add_node("b", meta={"k": 1})  # networkx writes str() of a dict
    assert export.gexf_bytes(H) == export._gexf_bytes_via_tree(H)
    with pytest.raises(nx.NetworkXError, match="does not support <class 'NoneType'>"):
        export.graphml_bytes(nx.DiGraph([("a", "b", {"w": None})]))


def test_graphml_refuses_control_characters_with_their_line() -> None:
    G = nx.DiGraph()
    G.add_node("a", name="fine")
    G.add_node("b", name="bell\x07")
    with pytest.raises(MilgraphError, match=r"'\\x07' \(line 8 of the XML written\)"):
        export.graphml_bytes(G)


def test_garbage_collection_is_paused_only_inside() -> None:
    assert gc.isenabled()
    with gcpause.gc_paused():
        assert not gc.isenabled()
        with gcpause.gc_paused():
            pass
        assert not gc.isenabled()  # an inner pause does not end the outer one
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_control_character_far_into_the_text_is_refused_with_its_line() -> None:
    G = nx.DiGraph()
    for i in range(600):  # the text is encoded a chunk at a time: this one is far along
        G.add_node(f"n{i}", name=f"name {i}\n{i}", rank=i)
    G.add_edge("n1", "n2", note="bell\x07")
    text = "".join(export._graphml_pieces(G))
    line = text.count("\n", 0, text.index("\x07")) + 1
    assert line > 2000
    with pytest.raises(MilgraphError, match=rf"'\\x07' \(line {line} of the XML written\)"):
        export.graphml_bytes(G)
