"""The HTML report: self-contained, escaped, and its network really renders in Chromium.

The browser test needs Chromium (Debian package `chromium`). Without it the test FAILS,
it is not skipped: a report nobody checked in a browser is not a tested report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import networkx as nx
import pytest

from graph_builder import analysis, report, views
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support

EVIL = "<script>alert(\"x\")</script> ]]> 'quoted' & more"


def sample() -> GraphData:
    entities = {
        e.id: e
        for e in (
            Entity("p:a", "Ali <b>", "Person"),
            Entity("p:b", "Bo", "Person"),
            Entity("p:c", "Cy", "Person"),
            Entity("g:l", "LeJ", "MilitantGroup"),
            Entity("v:r", "Shootout", "Event"),
            Entity("l:m", "Muzaffargarh", "Location"),
        )
    }
    docs = {"d1": DocumentInfo("d1", title="Report </title>", date="2015-07-29", url="u:1")}

    def sup(sid: str, evidence: str = "plain sentence", **kw: str) -> Support:
        return Support(sid, "d1", evidence, "reported", 0.9, attributed_to="police", **kw)

    relations = (
        Relation("p:a", "leader_of", "g:l", (sup("s1", EVIL),)),
        Relation("p:b", "member_of", "g:l", (sup("s2"),)),
        Relation("p:c", "member_of", "g:l", (sup("s3"),)),
        Relation("p:a", "killed_in", "v:r", (sup("s4", date="2015-07-28"),)),
        Relation("v:r", "occurred_in", "l:m", (sup("s5"),)),
    )
    return GraphData(entities, relations, docs)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GraphData]:
    data = sample()
    rows = analysis.metrics_rows(views.entity_graph(data))
    path = tmp_path_factory.mktemp("report") / "report.html"
    paths = report.write_report(data, rows, path, notes=["betweenness: exact"])
    assert paths[0] == path
    return path, data


def payload_of(html_text: str) -> dict:
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html_text)
    assert match, "the page carries its graph as inline JSON"
    return json.loads(match.group(1))


def test_report_is_self_contained_and_escaped(written: tuple[Path, GraphData]) -> None:
    path, data = written
    text = path.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "Report </title>" not in text
    assert len(re.findall(r"<script\b", text)) == 2  # the data and the page's own script
    assert not re.search(r"(src|href)=\"(https?:)?//", text)  # nothing fetched from the network
    assert "Ali &lt;b&gt;" in text  # tables escape names
    payload = payload_of(text)
    assert len(payload["nodes"]) == len(data.entities)
    evidence = [ev["text"] for e in payload["edges"] for ev in e["evidence"]]
    assert EVIL in evidence  # intact once parsed, inert in the page
    for name in ("network", "centrality"):
        png = path.with_name(f"report-{name}.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "data:image/png;base64," in text
    assert "Shootout" in text and "2015-07-28" in text  # the timeline of events
    assert "Key players" in text


def test_event_timeline_orders_events_by_date() -> None:
    rows = report.event_timeline(sample())
    assert rows == [
        {
            "date": "2015-07-28",
            "id": "v:r",
            "name": "Shootout",
            "involved": ["Ali <b> (killed_in)", "Muzaffargarh (occurred_in)"],
        }
    ]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    assert found, "Chromium is needed for the report test: apt-get install -y chromium"
    return found


def dump_dom(url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=2000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_network_renders_in_headless_chromium(written: tuple[Path, GraphData]) -> None:
    path, data = written
    payload = payload_of(path.read_text(encoding="utf-8"))
    dom = dump_dom(path.as_uri())
    # the script built one circle per entity and one line per tie
    assert len(re.findall(r'<circle class="node"', dom)) == len(data.entities)
    assert len(re.findall(r'<line class="edge"', dom)) == len(payload["edges"])
    assert f'data-rendered="{len(data.entities)}"' in dom

    # open the evidence of the tie whose sentence carries markup: shown as text only
    index = next(
        i for i, e in enumerate(payload["edges"]) if any(EVIL == v["text"] for v in e["evidence"])
    )
    dom = dump_dom(f"{path.as_uri()}#edge={index}")
    panel = re.search(r'<aside id="evidence">(.*?)</aside>', dom, re.S)
    assert panel, dom[:2000]
    assert "&lt;script&gt;alert" in panel.group(1)
    assert "police" in panel.group(1) and "Report &lt;/title&gt;" in panel.group(1)
    assert len(re.findall(r"<script\b", dom)) == 2  # no script was injected


def test_big_networks_draw_the_entities_of_highest_pagerank(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    G = nx.path_graph(["a", "b", "c", "d", "e"])
    rows = [
        {"id": n, "pagerank": pr} for n, pr in zip("abcde", (0.1, 0.3, 0.2, 0.3, 0.1), strict=True)
    ]
    pagerank = report.pagerank_of(rows)
    assert report.drawn_graph(G, pagerank) == (G, None)  # small graphs are drawn whole
    monkeypatch.setattr(report, "MAX_DRAWN_NODES", 3)
    drawn, note = report.drawn_graph(G, pagerank)
    assert sorted(drawn) == ["b", "c", "d"] and sorted(drawn.edges) == [("b", "c"), ("c", "d")]
    assert note is not None and "3 entities of highest PageRank out of 5" in note


def test_the_drawn_part_keeps_the_graph_order_whatever_the_string_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The drawn subgraph lists nodes and edges in the graph's order, not in the order of
    a set of names (which changes with each process's hash seed, and with it the layout
    and the page)."""
    G = nx.Graph()
    G.add_nodes_from((f"entity-{i:03d}", {"name": f"E{i}"}) for i in range(60))
    G.add_edges_from((f"entity-{i:03d}", f"entity-{(i * 7) % 60:03d}") for i in range(60))
    rows = [{"id": n, "pagerank": (i % 13) / 13} for i, n in enumerate(G)]
    monkeypatch.setattr(report, "MAX_DRAWN_NODES", 20)  # under half: networkx walks the set
    drawn, _ = report.drawn_graph(G, report.pagerank_of(rows))
    assert len(drawn) == 20
    assert list(drawn) == [n for n in G if n in drawn]
    assert list(drawn.edges) == [(u, v) for u, v in G.edges if u in drawn and v in drawn]
    assert all(drawn.nodes[n] == G.nodes[n] for n in drawn)


def test_report_reuses_the_key_players_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = sample()
    G = views.entity_graph(data)
    metrics = analysis.compute_metrics(G)
    assert metrics.key_players is not None
    searched = report.write_report(data, metrics.rows, tmp_path / "searched.html")

    def no_second_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report searched for key players again")

    monkeypatch.setattr(analysis, "key_players_at_scale", no_second_search)
    given = report.write_report(
        data, metrics.rows, tmp_path / "given.html", key_players=metrics.key_players, graph=G
    )
    for a, b in zip(searched, given, strict=True):
        assert a.read_bytes() == b.read_bytes(), b.name


def test_energy_layout_is_networkx_spring_layout_to_the_last_bit() -> None:
    G = nx.powerlaw_cluster_graph(520, 2, 0.3, seed=5)
    for u, v in G.edges:
        G.edges[u, v]["weight"] = 1.75 if (u + v) % 3 else 0.1
    G = nx.disjoint_union(G, nx.path_graph(12))  # two components: gravity per component
    k = 2.0 / len(G) ** 0.5
    expected = nx.spring_layout(G, seed=3, k=k, iterations=8)
    got = report.energy_layout(G, seed=3, k=k, iterations=8)
    assert list(got) == list(expected)
    assert all((got[n] == expected[n]).all() for n in G)


def test_big_networks_seek_missing_ties_among_the_people_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = sample()
    everyone = views.person_view(data)
    some = sorted(everyone)[: len(everyone) // 2]
    only = views.person_view(data, only=set(some))
    assert sorted(only) == some
    assert nx.utils.graphs_equal(only, everyone.subgraph(some))
    rows = analysis.metrics_rows(views.entity_graph(data))
    monkeypatch.setattr(report, "MAX_DRAWN_NODES", 4)
    report.write_report(data, rows, tmp_path / "capped.html")
    assert "Likely missing ties are sought among the" in (tmp_path / "capped.html").read_text()


def test_payload_evidence_of_a_drawn_part_is_that_of_the_whole() -> None:
    data = sample()
    whole = views.entity_graph(data)
    rows = analysis.metrics_rows(whole)
    part = whole.subgraph(["p:a", "g:l", "v:r"]).copy()
    everything = report.network_payload(data, whole, rows)
    drawn = report.network_payload(data, part, rows)
    evidence = {
        frozenset((everything["nodes"][e["s"]]["id"], everything["nodes"][e["t"]]["id"])): e
        for e in everything["edges"]
    }
    assert len(drawn["edges"]) == 2
    for edge in drawn["edges"]:
        ends = frozenset((drawn["nodes"][edge["s"]]["id"], drawn["nodes"][edge["t"]]["id"]))
        assert edge["evidence"] and edge["evidence"] == evidence[ends]["evidence"]


LAYOUT_OF_A_MOSTLY_ISOLATED_GRAPH = """
import json, networkx as nx
from graph_builder.report import layout
G = nx.Graph()
G.add_nodes_from(f"loner {i}" for i in range(40))
G.add_edges_from((f"tie {i}", f"tie {i + 1}") for i in range(10))
print(json.dumps(sorted(layout(G).items())))
"""


def test_layout_is_the_same_in_every_process_when_most_nodes_are_isolated() -> None:
    # networkx walks a small subgraph's node *set* (hash order, which changes with each
    # process's string hashing): the drawn positions would differ from run to run
    runs = {
        subprocess.run(
            [sys.executable, "-c", LAYOUT_OF_A_MOSTLY_ISOLATED_GRAPH],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(runs) == 1
