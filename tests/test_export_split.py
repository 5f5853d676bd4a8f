"""GraphML and GEXF prepared before the scores and written with them are, byte for byte,
the files write_graphml and write_gexf write: on hostile text, varied scores (missing,
mixed types, non-finite, numpy), filters, and the cases left to the graph writers."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_export import sample

from graph_builder import analysis, export, views
from graph_builder.errors import MilgraphError
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support

HOSTILE = ["a", "&", "<", '"', "'", "\r\n", "\t", "é", "🙂", "]]>", "%s", "%", "\ud800"]
TYPES = ["Person", "MilitantGroup", "Organization", "Event", "Location"]
PREDICATES = ["member_of", "leader_of", "linked_to", "killed_in", "located_in"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(HOSTILE) for _ in range(rng.randint(0, 4)))


def random_data(rng: random.Random) -> GraphData:
    ids = [f"x:{_text(rng)}{i}" for i in range(rng.randint(2, 8))]
    entities = {
        i: Entity(i, _text(rng) or "n", rng.choice(TYPES), aliases=(_text(rng),)) for i in ids
    }
    relations = []
    for k in range(rng.randint(1, 12)):
        kw: dict[str, str] = {}
        if rng.random() < 0.5:
            kw["date"] = f"20{rng.randint(10, 20)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        for name in ("role", "attributed_to", "link_kind", "relation"):
            if rng.random() < 0.3:
                kw[name] = _text(rng)
        modality = rng.choice(["asserted", "reported", "alleged"])
        support = Support(f"s{k}", f"d{rng.randint(0, 3)}", _text(rng), modality, 0.7, **kw)
        u, v = rng.sample(ids, 2)
        relations.append(Relation(u, rng.choice(PREDICATES), v, (support,)))
    documents = {f"d{i}": DocumentInfo(f"d{i}", title="t", date="2015-01-01") for i in range(4)}
    mentions = frozenset((f"d{rng.randint(0, 3)}", rng.choice(ids)) for _ in range(5))
    return GraphData(entities, tuple(relations), documents, mentions)


def random_rows(rng: random.Random, data: GraphData) -> list[dict[str, Any]]:
    rows = analysis.metrics_rows(views.entity_graph(data), seed=1)
    for row in rows:
        if rng.random() < 0.2:
            row["pagerank"] = rng.choice([None, float("nan"), float("inf"), 1, True, "x"])
        if rng.random() < 0.2:
            row["degree"] = np.float64(rng.random())
        if rng.random() < 0.2:
            row["extra"] = _text(rng)  # a column only some nodes have
    if rows and rng.random() < 0.3:
        rows.pop(rng.randrange(len(rows)))  # a node without scores
    rng.shuffle(rows)
    return rows


def old_files(
    tmp_path: Path, data: GraphData, rows: list[dict[str, Any]], **options: Any
) -> tuple[bytes, bytes]:
    filters = {k: v for k, v in options.items() if k in ("min_modality", "as_of")}
    looks = {k: v for k, v in options.items() if k in ("size_by", "color_by")}
    G = export.write_graphml(data, rows, tmp_path / "old.graphml", **filters)
    export.write_gexf(data, rows, tmp_path / "old.gexf", graph=G, **filters, **looks)
    return (tmp_path / "old.graphml").read_bytes(), (tmp_path / "old.gexf").read_bytes()


def new_files(
    tmp_path: Path, data: GraphData, rows: list[dict[str, Any]], **options: Any
) -> tuple[bytes, bytes]:
    filters = {k: v for k, v in options.items() if k in ("min_modality", "as_of")}
    looks = {k: v for k, v in options.items() if k in ("size_by", "color_by")}
    prepared = export.prepare_graph_files(data, **filters)
    prepared.write(rows, tmp_path / "new.graphml", tmp_path / "new.gexf", **looks)
    return (tmp_path / "new.graphml").read_bytes(), (tmp_path / "new.gexf").read_bytes()


@pytest.mark.parametrize("seed", range(30))
def test_prepared_files_are_the_files_written_at_once(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    data = random_data(rng)
    rows = random_rows(rng, data)
    options: dict[str, Any] = {
        "min_modality": rng.choice(["alleged", "reported", "asserted"]),
        "as_of": rng.choice([None, "2016-01-01"]),
        "color_by": rng.choice(["type", "community"]),
        "size_by": rng.choice(["pagerank", "degree", "n_documents"]),
    }
    assert outcome(new_files, tmp_path, data, rows, options) == outcome(
        old_files, tmp_path, data, rows, options
    )


def outcome(write: Any, tmp_path: Path, data: GraphData, rows: list, options: dict) -> Any:
    """The files written, or the error raised (a numpy float makes a text column, which
    no size can be read from) and the files written before it."""
    for name in ("old", "new"):
        for suffix in (".graphml", ".gexf"):
            (tmp_path / f"{name}{suffix}").unlink(missing_ok=True)
    try:
        return write(tmp_path, data, rows, **options)
    except MilgraphError as error:
        written = sorted(p.suffix for p in tmp_path.iterdir())
        return str(error), written


def test_the_sample_is_written_directly_and_the_same(tmp_path: Path) -> None:
    data = sample()
    rows = analysis.metrics_rows(views.entity_graph(data), seed=1)
    prepared = export.prepare_graph_files(data)
    assert prepared._direct  # not left to the graph writers
    assert new_files(tmp_path, data, rows) == old_files(tmp_path, data, rows)


def test_one_preparation_serves_different_scores(tmp_path: Path) -> None:
    data = sample()
    prepared = export.prepare_graph_files(data)
    for seed in (1, 2):
        rows = analysis.metrics_rows(views.entity_graph(data), seed=seed)
        for row in rows:
            row["pagerank"] = seed * 0.25  # the sizes differ
        prepared.write(rows, tmp_path / "new.graphml", tmp_path / "new.gexf")
        new = (tmp_path / "new.graphml").read_bytes(), (tmp_path / "new.gexf").read_bytes()
        assert new == old_files(tmp_path, data, rows)


@pytest.mark.parametrize(
    "score", ["label", "start", "end", "viz", "key", "n_documents", "aliases", "spells"]
)
def test_scores_with_special_names_are_left_to_the_graph_writers(
    tmp_path: Path, score: str
) -> None:
    data = sample()
    rows = analysis.metrics_rows(views.entity_graph(data), seed=1)
    for i, row in enumerate(rows):
        row[score] = i if score != "spells" else None
    assert new_files(tmp_path, data, rows) == old_files(tmp_path, data, rows)


def test_graphs_without_edges_or_nodes_are_the_same(tmp_path: Path) -> None:
    lonely = GraphData({"p:a": Entity("p:a", "A", "Person")}, (), {}, frozenset())
    empty = GraphData({}, (), {}, frozenset())
    for data, rows in ((lonely, [{"id": "p:a", "pagerank": 0.5}]), (empty, [])):
        assert not export.prepare_graph_files(data)._direct
        assert new_files(tmp_path, data, rows) == old_files(tmp_path, data, rows)


def test_text_xml_cannot_hold_is_refused_as_before(tmp_path: Path) -> None:
    data = sample()
    rows = analysis.metrics_rows(views.entity_graph(data), seed=1)
    bad_edge = GraphData(
        data.entities,
        (Relation("p:ali", "member_of", "g:ttp", (Support("s", "d1", "a\x07b", "asserted", 1),)),),
        data.documents,
        data.mentions,
    )
    prepared = export.prepare_graph_files(bad_edge)
    with pytest.raises(MilgraphError, match=r"'\\x07' \(line \d+ ") as refused:
        prepared.write(rows, tmp_path / "g.graphml", tmp_path / "g.gexf")
    with pytest.raises(MilgraphError) as refused_before:
        export.write_graphml(bad_edge, rows, tmp_path / "g.graphml")
    assert str(refused.value) == str(refused_before.value)  # the same line
    rows[0]["extra"] = "\x00"  # in a score: the nodes are written after the scores
    with pytest.raises(MilgraphError, match=r"'\\x00'"):
        export.prepare_graph_files(data).write(rows, tmp_path / "g.graphml", tmp_path / "g.gexf")


def test_an_unknown_size_writes_the_graphml_and_refuses_the_gexf(tmp_path: Path) -> None:
    data = sample()
    rows = analysis.metrics_rows(views.entity_graph(data), seed=1)
    prepared = export.prepare_graph_files(data)
    with pytest.raises(MilgraphError, match="size-by"):
        prepared.write(rows, tmp_path / "g.graphml", tmp_path / "g.gexf", size_by="name")
    assert (tmp_path / "g.graphml").exists() and not (tmp_path / "g.gexf").exists()


def test_a_name_xml_cannot_hold_is_refused_as_before(tmp_path: Path) -> None:
    data = sample()
    rows = analysis.metrics_rows(views.entity_graph(data), seed=1)
    entities = dict(data.entities)
    entities["o:un"] = Entity("o:un", "U\x0bN", "Organization")  # in a node's base text
    bad_name = GraphData(entities, data.relations, data.documents, data.mentions)
    with pytest.raises(MilgraphError, match=r"'\\x0b'") as refused:
        export.prepare_graph_files(bad_name).write(
            rows, tmp_path / "g.graphml", tmp_path / "g.gexf"
        )
    with pytest.raises(MilgraphError) as refused_before:
        export.write_graphml(bad_name, rows, tmp_path / "g.graphml")
    assert str(refused.value) == str(refused_before.value)
