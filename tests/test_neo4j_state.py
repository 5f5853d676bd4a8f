"""The state a replace keeps beside the build: trusted only while Neo4j has had no write."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_neo4j_load import _snapshot, _with_changed_support, _without_doc

from graph_builder import neo4j_state
from graph_builder.model import GraphData
from graph_builder.neo4j_load import _kept_state, _read_state, _State, load_graph
from graph_builder.ontology import Ontology
from neo4j import Driver

MARK: neo4j_state.Mark = ("neo4j", 41, 123, 1_700_000_000_000)


def _kept() -> neo4j_state.Kept:
    return neo4j_state.Kept(
        entities={"e:1": (("Entity", "Person"), "A", [], "Person")},
        documents={"d:1": {"id": "d:1", "title": "T"}},
        relationships={("e:1", "MEMBER_OF", "e:2"): "abc"},
        mentions=[("d:1", "e:1")],
    )


def test_kept_state_reads_back_only_at_its_mark_and_whole(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "neo4j-state"
    assert neo4j_state.read(path, MARK) is None  # nothing kept yet
    neo4j_state.write(path, MARK, _kept())
    assert neo4j_state.read(path, MARK) == _kept()
    assert neo4j_state.read(path, ("neo4j", 42, 123, 1_700_000_000_000)) is None
    assert neo4j_state.read(path, ("other", 41, 123, 1_700_000_000_000)) is None

    data = path.read_bytes()
    damaged = bytearray(data)
    damaged[-3] ^= 0xFF
    path.write_bytes(bytes(damaged))
    assert neo4j_state.read(path, MARK) is None
    path.write_bytes(data[:-5])
    assert neo4j_state.read(path, MARK) is None
    neo4j_state.discard(path)
    assert not path.exists()
    neo4j_state.write(path, ("neo4j", 1, 0, 0), _kept())  # an imported store starts there
    assert not path.exists()


def _position(last: int) -> neo4j_state.Position:
    return neo4j_state.Position("neo4j", last, last * 7, last * 1000)


def test_only_the_loads_own_commit_or_none_proves_the_database_holds_it() -> None:
    began = _position(10)
    assert _position(11).holds_load(began, wrote=True)  # the one commit since is the load's
    assert not _position(12).holds_load(began, wrote=True)  # and another one
    assert not _position(11).holds_load(began, wrote=False)  # someone else's
    assert _position(10).holds_load(began, wrote=False)  # no commit at all
    other = dataclasses.replace(_position(11), database="other")
    assert not other.holds_load(began, wrote=True)


# --------------------------------------------------------------------------- real Neo4j


def _comparable(state: _State) -> tuple[Any, ...]:
    """A state without its elementIds (kept state holds keys in their place)."""
    return (
        state.entities,
        state.documents,
        {key: sorted(h for _, h in found) for key, found in state.relationships.items()},
        set(state.mentions),
        len(state.duplicate_mentions),
    )


def _read(driver: Driver) -> _State:
    with driver.session() as session:
        return session.execute_read(_read_state)


def _kept_now(driver: Driver, path: Path) -> neo4j_state.Kept | None:
    with driver.session() as session:
        position = neo4j_state.position(session)
    assert position is not None, "milgraph's own server registers milgraph.lastTransaction"
    return neo4j_state.read(path, position.mark)


def _fresh(driver: Driver, data: GraphData, ontology: Ontology) -> dict[str, Any]:
    """The database as a load of `data` into an empty one leaves it."""
    driver.execute_query("MATCH (n) DETACH DELETE n")
    load_graph(driver, data, ontology)
    snapshot = _snapshot(driver)
    driver.execute_query("MATCH (n) DETACH DELETE n")
    return snapshot


def _loaded(
    driver: Driver, data: GraphData, ontology: Ontology, tmp_path: Path
) -> tuple[Path, dict[str, Any]]:
    """`data` replaced into the database, keeping its state: (the state file, the graph)."""
    path = tmp_path / "neo4j-state"
    load_graph(driver, data, ontology, replace=True, state_file=path)
    return path, _snapshot(driver)


@pytest.mark.neo4j
def test_kept_state_is_what_reading_the_database_finds(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, tmp_path: Path
) -> None:
    # the sample has entities without aliases and a document without url or hash
    assert any(not e.aliases for e in seed_graph.entities.values())
    path = tmp_path / "neo4j-state"
    summary = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    assert not summary.state_kept  # nothing was kept before
    kept = _kept_now(neo4j_db, path)
    assert kept is not None
    assert _comparable(_kept_state(kept)) == _comparable(_read(neo4j_db))


@pytest.mark.neo4j
def test_replaces_compared_with_kept_state_equal_fresh_loads(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, tmp_path: Path
) -> None:
    smaller = _without_doc(seed_graph, "ishaq-2015-07-29")
    changed, _ = _with_changed_support(seed_graph)
    fresh_smaller = _fresh(neo4j_db, smaller, ontology)
    fresh_changed = _fresh(neo4j_db, changed, ontology)
    path = tmp_path / "neo4j-state"

    load_graph(neo4j_db, smaller, ontology, replace=True, state_file=path)
    grown = load_graph(neo4j_db, changed, ontology, replace=True, state_file=path)
    assert grown.state_kept
    assert _snapshot(neo4j_db) == fresh_changed
    shrunk = load_graph(neo4j_db, smaller, ontology, replace=True, state_file=path)
    assert shrunk.state_kept and shrunk.removed_relationships > 0 and shrunk.removed_nodes > 0
    assert _snapshot(neo4j_db) == fresh_smaller
    same = load_graph(neo4j_db, smaller, ontology, replace=True, state_file=path)
    assert same.state_kept and same.batches == 0
    assert _kept_now(neo4j_db, path) is not None  # a load that changed nothing keeps it


@pytest.mark.neo4j
def test_a_write_outside_the_loader_makes_the_next_replace_read_the_database(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, tmp_path: Path
) -> None:
    path, fresh = _loaded(neo4j_db, seed_graph, ontology, tmp_path)
    neo4j_db.execute_query("CREATE (:Stray {id: 'an analyst made this'})")
    neo4j_db.execute_query("MATCH (:Document)-[r:MENTIONS]->() WITH r LIMIT 1 DELETE r")
    assert _kept_now(neo4j_db, path) is None  # the database moved on

    summary = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    assert not summary.state_kept and summary.removed_nodes == 1
    assert _snapshot(neo4j_db) == fresh
    again = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    assert again.state_kept and again.batches == 0


@pytest.mark.neo4j
def test_kept_state_that_names_a_missing_relationship_is_not_trusted(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, tmp_path: Path
) -> None:
    path, fresh = _loaded(neo4j_db, seed_graph, ontology, tmp_path)
    with neo4j_db.session() as session:
        position = neo4j_state.position(session)
    assert position is not None
    kept = neo4j_state.read(path, position.mark)
    assert kept is not None
    # Kept at the right position, but claiming a relationship the database lacks: the
    # loader would have to delete it and cannot find it, so it reads the database.
    ghost = dict(kept.relationships)
    ghost[(next(iter(kept.entities)), "LINKED_TO", "https://milgraph.org/id/x")] = "0" * 24
    neo4j_state.write(path, position.mark, dataclasses.replace(kept, relationships=ghost))

    summary = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    assert not summary.state_kept
    assert _snapshot(neo4j_db) == fresh


@pytest.mark.neo4j
@pytest.mark.parametrize("changed", [False, True], ids=["load-writes-nothing", "load-writes"])
def test_a_commit_inside_the_loads_transaction_window_is_not_kept_as_the_plan(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, tmp_path: Path, changed: bool
) -> None:
    data = _with_changed_support(seed_graph)[0] if changed else seed_graph
    fresh = _fresh(neo4j_db, data, ontology)
    path, _ = _loaded(neo4j_db, seed_graph, ontology, tmp_path)

    def scores_while_another_writer_commits() -> list[dict[str, Any]]:
        # called inside the load's transaction: this commit lands before the load's own
        neo4j_db.execute_query("CREATE (:Stray {id: 'written meanwhile'})")
        return []

    summary = load_graph(
        neo4j_db,
        data,
        ontology,
        replace=True,
        state_file=path,
        scores=scores_while_another_writer_commits,
    )
    assert summary.state_kept  # the comparison began before the other commit
    assert summary.batches == (1 if changed else 0)
    assert _kept_now(neo4j_db, path) is None  # the database is not the plan: not kept
    repaired = load_graph(neo4j_db, data, ontology, replace=True, state_file=path)
    assert not repaired.state_kept and repaired.removed_nodes == 1
    assert _snapshot(neo4j_db) == fresh


@pytest.mark.neo4j
def test_a_load_that_commits_new_names_apart_still_keeps_the_plan_once_read(
    neo4j_db: Driver, seed_graph: GraphData, ontology: Ontology, tmp_path: Path
) -> None:
    # A property name the database has never seen is committed in a transaction of its
    # own before the load's: the loader reads the database once to keep the plan.
    column = f"score_{uuid.uuid4().hex}"
    rows = [{"id": entity_id, column: 1.0} for entity_id in seed_graph.entities]
    path = tmp_path / "neo4j-state"
    load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path, scores=lambda: rows)
    assert _kept_now(neo4j_db, path) is not None
    again = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    assert again.state_kept


@pytest.mark.neo4j
def test_a_server_without_the_position_procedure_is_read_at_every_replace(
    neo4j_db: Driver,
    seed_graph: GraphData,
    ontology: Ontology,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a server other than ours the procedure is refused: nothing is kept, and every
    replace reads the database (an outside write is still repaired)."""
    fresh = _fresh(neo4j_db, seed_graph, ontology)
    monkeypatch.setattr(neo4j_state, "POSITION_QUERY", "CALL milgraph.noSuchProcedure()")
    with neo4j_db.session() as session:
        assert neo4j_state.position(session) is None  # refused, not raised
    path = tmp_path / "neo4j-state"
    first = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    again = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    assert not first.state_kept and not again.state_kept and again.batches == 0
    assert not path.exists()
    neo4j_db.execute_query("CREATE (:Stray {id: 'an analyst made this'})")
    repaired = load_graph(neo4j_db, seed_graph, ontology, replace=True, state_file=path)
    assert not repaired.state_kept and repaired.removed_nodes == 1
    assert _snapshot(neo4j_db) == fresh
