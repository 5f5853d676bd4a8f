"""The report's faster computations give the floats of the ones they replace, and a report
prepared before the scores exist is the one write_report writes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from graph_builder import analysis, report, views
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support


@pytest.mark.parametrize("values_dtype", [np.float64, np.float32])
def test_row_sums_of_products_are_einsums_to_the_last_bit(values_dtype: type) -> None:
    rng = np.random.RandomState(7)
    work: dict = {}
    for rows, cols in ((1, 1), (3, 1), (37, 700), (200, 1300), (5, 9)):  # the buffer shrinks too
        weights = rng.randn(rows, cols) * 10.0 ** rng.randint(-4, 5, size=(rows, 1))
        values = rng.randn(rows, cols, 2).astype(values_dtype)
        values[rng.rand(rows, cols) < 0.2] = 0.0
        values[0] = -0.0  # a row of signed zeros: einsum's sum starts from +0.0
        expected = np.einsum("ij,ijk->ik", weights, values.astype(np.float64))
        for axis in (0, 1):
            got = report._row_sums_of_products(
                weights, np.ascontiguousarray(values[:, :, axis]), work
            )
            assert got.dtype == expected.dtype
            assert got.tobytes() == np.ascontiguousarray(expected[:, axis]).tobytes()


def small_corpus(people: int = 24) -> GraphData:
    """People in a few groups and events, each tie from a dated document."""
    entities = {f"g{i}": Entity(f"g{i}", f"Group {i}", "MilitantGroup") for i in range(3)}
    entities |= {f"v{i}": Entity(f"v{i}", f"Raid {i}", "Event") for i in range(4)}
    entities |= {f"p{i}": Entity(f"p{i}", f"Person {i}", "Person") for i in range(people)}
    docs = {
        f"d{i}": DocumentInfo(f"d{i}", title=f"T{i}", date=f"2015-0{i % 9 + 1}-01")
        for i in range(6)
    }
    relations = []
    for i in range(people):
        sup = Support(f"s{i}", f"d{i % 6}", f"Person {i} acts.", "reported", 0.9)
        relations.append(Relation(f"p{i}", "member_of", f"g{i % 3}", (sup,)))
        if i % 3 == 0:
            relations.append(Relation(f"p{i}", "killed_in", f"v{i % 4}", (sup,)))
    return GraphData(entities, tuple(relations), docs)


def test_prepare_then_write_is_write_report_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = small_corpus()
    graph = views.entity_graph(data)
    rows = analysis.metrics_rows(graph)
    monkeypatch.setattr(report, "MAX_DRAWN_NODES", 12)  # the drawn part chosen by PageRank
    whole = report.write_report(data, rows, tmp_path / "whole.html", top=5, notes=["n"])
    prepared = report.prepare_report(data)  # no scores yet
    split = prepared.write(rows, tmp_path / "split.html", top=5, notes=["n"])
    assert [p.name for p in split] == ["split.html", "split-network.png", "split-centrality.png"]
    assert whole[0].read_text().replace("whole", "split") == split[0].read_text()
    for a, b in zip(whole[1:], split[1:], strict=True):
        assert a.read_bytes() == b.read_bytes(), b.name
    assert "Likely missing ties are sought among the" in split[0].read_text()


def test_the_written_page_shows_the_prepared_timeline(tmp_path: Path) -> None:
    data = small_corpus()
    prepared = report.prepare_report(data)
    assert prepared.timeline == report.event_timeline(data)
    assert nx.utils.graphs_equal(prepared.graph, views.entity_graph(data))
    event = {"date": "1999-01-01", "id": "v9", "name": "Siege 9", "involved": ["someone"]}
    changed = replace(prepared, timeline=[event])
    rows = analysis.metrics_rows(prepared.graph)
    page = changed.write(rows, tmp_path / "r.html")[0].read_text()
    section = page.split("<h2>Timeline of events</h2>")[1].split("</section>")[0]
    assert "Siege 9" in section and "Raid" not in section  # not made again from the data


def _written(paths: list[Path]) -> list[bytes]:
    """The page and its PNGs (the page embeds them, it does not name its files)."""
    return [p.read_bytes() for p in paths]


def test_a_network_drawn_ahead_is_the_one_drawn_with_the_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = small_corpus()
    monkeypatch.setattr(report, "MAX_DRAWN_NODES", 12)  # the drawn part chosen by PageRank
    prepared = report.prepare_report(data).with_drawing()  # before the scores exist
    assert prepared.drawing is not None and prepared.drawing.note is not None
    rows = analysis.metrics_rows(prepared.graph)
    whole = report.write_report(data, rows, tmp_path / "whole.html", top=5)

    def made_again(what: str) -> object:
        def refused(*args: object, **kwargs: object) -> None:
            raise AssertionError(f"{what} made again")

        return refused

    # the drawing made ahead is used, and so are the ties among the people drawn (where
    # the page's likely missing ties are sought)
    monkeypatch.setattr(report, "layout", made_again("layout"))
    monkeypatch.setattr(views, "person_view", made_again("person view"))
    ahead = prepared.write(rows, tmp_path / "ahead.html", top=5)
    assert _written(ahead) == _written(whole)


def test_a_network_drawn_ahead_for_another_pagerank_is_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = small_corpus()
    monkeypatch.setattr(report, "MAX_DRAWN_NODES", 12)
    prepared = report.prepare_report(data).with_drawing()
    assert prepared.drawing is not None
    rows = analysis.metrics_rows(prepared.graph)
    # other scores: the people's PageRank reversed, so other people are drawn
    people = sorted((r for r in rows if r["type"] == "Person"), key=lambda r: r["id"])
    swapped = {r["id"]: s["pagerank"] for r, s in zip(people, reversed(people), strict=True)}
    other = [{**r, "pagerank": swapped.get(r["id"], r["pagerank"])} for r in rows]
    redrawn, _ = report.drawn_graph(prepared.graph, report.pagerank_of(other))
    assert redrawn.nodes != prepared.drawing.graph.nodes
    # scores of fewer entities: the same PageRank for the others, one missing
    fewer = [r for r in rows if r["id"] != people[0]["id"]]
    for changed in (other, fewer):
        expected = report.write_report(data, changed, tmp_path / "fresh.html", top=5)
        again = prepared.write(changed, tmp_path / "again.html", top=5)
        assert _written(again) == _written(expected)
    # and another seed
    seeded = report.write_report(data, rows, tmp_path / "fresh.html", top=5, seed=3)
    reseeded = prepared.write(rows, tmp_path / "again.html", top=5, seed=3)
    assert _written(reseeded) == _written(seeded)
    assert _written(seeded)[1] != _written(prepared.write(rows, tmp_path / "r.html", top=5))[1]
