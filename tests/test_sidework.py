"""Outputs written by side processes (--jobs >= 2): the same files as inline, errors
that reach the caller, and no writer left running."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest

from graph_builder import analysis, sidework
from graph_builder.config import SAMPLE_CORPUS
from graph_builder.errors import InputError, MilgraphError
from graph_builder.ontology import Ontology
from graph_builder.pipeline import OUTPUT_FILES, RebuildOptions, build_graph
from graph_builder.statements import Statement, read_statements
from neo4j import Driver

OUTPUTS = OUTPUT_FILES
needs_fork = pytest.mark.skipif(not sidework.can_fork(), reason="no safe fork on this platform")


@pytest.fixture(scope="module")
def statements(ontology: Ontology) -> list[Statement]:
    return read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ontology)


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


@needs_fork
def test_side_processes_write_the_same_files_as_inline(
    tmp_path: Path, ontology: Ontology, statements: list[Statement]
) -> None:
    inline = build_graph(statements, [], RebuildOptions(out=tmp_path / "one", jobs=1), ontology)
    forked = build_graph(statements, [], RebuildOptions(out=tmp_path / "two", jobs=2), ontology)
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert inline.outputs.keys() == forked.outputs.keys()
    assert all(forked.timings[side] > 0 for side in ("write", "export", "report"))
    assert multiprocessing.active_children() == []


@needs_fork
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_side_write_reaches_the_caller(
    tmp_path: Path, ontology: Ontology, statements: list[Statement], jobs: int
) -> None:
    out = tmp_path / "out"
    (out / "graph.gexf").mkdir(parents=True)  # a folder where the file must go
    with pytest.raises(OSError) as raised:
        build_graph(statements, [], RebuildOptions(out=out, jobs=jobs), ontology)
    assert raised.value.filename is not None and "graph.gexf" in raised.value.filename
    # the other writers finished (whole files), and none is left running
    assert (out / "graph.trig").read_bytes().endswith(b"\n")
    assert (out / "graph.graphml").exists()
    assert [p.name for p in out.rglob("*.tmp")] == []
    assert multiprocessing.active_children() == []


@needs_fork
def test_writers_finish_before_a_failed_stage_is_raised(
    tmp_path: Path,
    ontology: Ontology,
    statements: list[Statement],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("analytics broke")

    monkeypatch.setattr(analysis, "compute_metrics", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="analytics broke"):
        build_graph(statements, [], RebuildOptions(out=out, jobs=2), ontology)
    assert multiprocessing.active_children() == []
    written = read_statements(out / "statements.jsonl", ontology)
    assert len(written) == len(statements)


@needs_fork
def test_an_error_that_cannot_cross_processes_keeps_its_message() -> None:
    def bad_input() -> None:
        raise InputError("corpus/a.txt", 3, "expected a date")

    side = sidework.start("writing a.txt", bad_input, parallel=True)
    with pytest.raises(MilgraphError, match=r"^writing a\.txt: corpus/a\.txt:3: expected a date$"):
        side.wait()


@needs_fork
def test_a_killed_side_process_is_an_error_not_a_success() -> None:
    side = sidework.start("writing x", lambda: os.kill(os.getpid(), signal.SIGKILL), True)
    with pytest.raises(MilgraphError, match=r"writing x: the side process died \(exit code -9\)"):
        side.wait()


@needs_fork
def test_side_work_yields_the_cores_to_the_main_line() -> None:
    # the Neo4j load (a round trip per batch) must not wait behind the file writers
    side = sidework.start("niceness", lambda: os.nice(0), parallel=True)
    assert side.wait() == min(os.nice(0) + sidework.SIDE_NICENESS, 19)
    urgent = sidework.start("niceness", lambda: os.nice(0), parallel=True, yields=False)
    assert urgent.wait() == os.nice(0)


def test_macos_runs_side_work_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    # fork is listed there, but a forked child may crash in system frameworks
    monkeypatch.setattr(sidework.sys, "platform", "darwin")
    side = sidework.start("pid", os.getpid, parallel=True)
    assert side.wait() == os.getpid()
    assert multiprocessing.active_children() == []


def test_inline_work_raises_at_once_and_times_itself() -> None:
    done: list[int] = []
    side = sidework.start("counting", lambda: done.append(os.getpid()), parallel=False)
    assert done == [os.getpid()] and side.wait() is None
    assert side.seconds is not None and side.seconds >= 0

    def divide() -> None:
        print(1 / 0)

    with pytest.raises(ZeroDivisionError):
        sidework.start("dividing", divide, parallel=False)


@needs_fork
def test_a_side_process_hands_its_result_back() -> None:
    side = sidework.start("asking", lambda: {"pid": os.getpid(), "rows": [1.5, "x"]}, True)
    result = side.wait()
    assert result["rows"] == [1.5, "x"] and result["pid"] != os.getpid()
    assert side.wait() is result  # asked twice, answered once


@needs_fork
def test_a_side_work_says_when_it_is_done_without_waiting(tmp_path: Path) -> None:
    go = tmp_path / "go"

    def work() -> str:
        while not go.exists():
            time.sleep(0.01)
        return "done"

    side = sidework.start("waiting", work, True)
    assert not side.done()  # it cannot end before the file exists
    go.touch()
    deadline = time.monotonic() + 30
    while not side.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert side.done() and side.wait() == "done"
    assert side.done()  # after the wait too
    assert sidework.start("inline", lambda: 1, parallel=False).done()


@needs_fork
def test_metrics_are_the_same_with_communities_found_beside_them() -> None:
    G = nx.relabel_nodes(nx.les_miserables_graph(), lambda n: f"p:{n}")
    nx.set_node_attributes(G, {n: n[2:] for n in G}, "name")
    G.add_edges_from([("g:a", "g:b"), ("g:c", "g:c2")])  # more than one component
    inline = analysis.compute_metrics(G, seed=7)
    beside = analysis.compute_metrics(G, seed=7, parallel=True)
    assert beside.rows == inline.rows and beside.notes == inline.notes
    assert len({r["community"] for r in inline.rows}) > 2
    assert multiprocessing.active_children() == []


def neo4j_contents(driver: Driver) -> tuple[list[str], list[str]]:
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels, _, _ = driver.execute_query(
        "MATCH (s)-[r]->(o) RETURN type(r) AS t, s.id AS s, o.id AS o, properties(r) AS p"
    )
    return sorted(repr(sorted(r.items())) for r in nodes), sorted(
        repr(sorted(r.items())) for r in rels
    )


@needs_fork
def test_neo4j_holds_the_same_graph_when_files_are_written_beside_the_load(
    neo4j_db: Driver, tmp_path: Path, ontology: Ontology, statements: list[Statement]
) -> None:
    inline = build_graph(
        statements, [], RebuildOptions(out=tmp_path / "one", jobs=1), ontology, neo4j_db
    )
    expected = neo4j_contents(neo4j_db)
    neo4j_db.execute_query("MATCH (n) DETACH DELETE n")
    forked = build_graph(
        statements, [], RebuildOptions(out=tmp_path / "two", jobs=2), ontology, neo4j_db
    )
    assert inline.neo4j_counts is not None and inline.neo4j_counts[0] > 0
    assert forked.neo4j_counts == inline.neo4j_counts
    assert neo4j_contents(neo4j_db) == expected  # scores included
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")


@needs_fork
def test_a_failed_write_after_the_neo4j_load_says_neo4j_is_new(
    neo4j_db: Driver, tmp_path: Path, ontology: Ontology, statements: list[Statement]
) -> None:
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    with pytest.raises(MilgraphError, match="Neo4j holds the new graph.*report.html"):
        build_graph(statements, [], RebuildOptions(out=out, jobs=2), ontology, neo4j_db)
    records, _, _ = neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n")
    assert records[0]["n"] > 0
    assert (out / "graph.graphml").exists() and multiprocessing.active_children() == []


def fail_with(exc: BaseException) -> Callable[[], None]:
    def work() -> None:
        raise exc

    return work


@needs_fork
def test_a_bug_in_a_side_process_comes_back_with_its_traceback() -> None:
    side = sidework.start("sorting", fail_with(ValueError("bad row 7")), parallel=True)
    with pytest.raises(ValueError, match="bad row 7") as raised:
        side.wait()
    notes = "\n".join(getattr(raised.value, "__notes__", []))
    assert "in the side process (sorting)" in notes and "Traceback" in notes
    with pytest.raises(ValueError):  # asked again, the same answer
        side.wait()


@needs_fork
def test_side_failures_are_raised_after_all_ended_and_none_is_lost() -> None:
    with pytest.raises(OSError, match="disk full") as raised:
        with sidework.SideWorks(parallel=True) as side:
            side.start("a", "writing a", fail_with(OSError(28, "disk full")))
            side.start("b", "writing b", lambda: time.sleep(0.5))
            side.start("c", "writing c", fail_with(MilgraphError("c broke")))
    assert "also failed: c broke" in raised.value.__notes__
    assert multiprocessing.active_children() == []
    with pytest.raises(KeyError) as own:  # the block's own error wins; theirs are notes
        with sidework.SideWorks(parallel=True) as side:
            side.start("a", "writing a", fail_with(OSError(28, "disk full")))
            raise KeyError("in the block")
    assert own.value.__notes__ == ["also failed: [Errno 28] disk full"]
    assert multiprocessing.active_children() == []


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


ORPHAN_SCRIPT = """
import sys, time
from pathlib import Path
from graph_builder import sidework

def late_write():
    time.sleep(3)
    Path(sys.argv[1]).write_text("written after the parent died")

side = sidework.start("writing late", late_write, parallel=True)
print(side._process.pid, flush=True)
time.sleep(60)
"""


@needs_fork
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_a_side_process_dies_with_a_killed_parent(tmp_path: Path) -> None:
    marker = tmp_path / "late.txt"
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, str(marker)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and running(child):
        time.sleep(0.1)
    assert not running(child)
    time.sleep(3.5)
    assert not marker.exists()


@needs_fork
def test_an_inbox_hands_a_large_value_to_a_side_process_that_started_before_it(
    tmp_path: Path,
) -> None:
    inbox: sidework.Inbox[list[str]] = sidework.Inbox()
    given = tmp_path / "given"

    def prepare_then_take() -> tuple[int, list[str]]:
        # the work that needs no value: here, not reading until the giver has returned
        while not given.exists():
            time.sleep(0.01)
        return os.getpid(), inbox.take()

    side = sidework.start("taking", prepare_then_take, True, inbox=inbox)
    value = [f"row {i}" for i in range(200_000)]  # megabytes: far more than a pipe holds
    giving = threading.Thread(target=inbox.give, args=(value,), daemon=True)
    giving.start()
    giving.join(timeout=30)  # a give that waited for its reader would never return
    finished = not giving.is_alive()
    given.touch()
    assert finished
    pid, taken = side.wait()
    assert taken == value and pid != os.getpid()


@needs_fork
def test_a_closed_inbox_cancels_its_side_process_even_with_another_one_running(
    tmp_path: Path,
) -> None:
    release = tmp_path / "release"
    inbox: sidework.Inbox[int] = sidework.Inbox()
    with sidework.SideWorks(parallel=True) as side:
        taking = side.start("taking", "taking", inbox.take, inbox=inbox)
        # forked after the inbox: it must not hold the inbox's sending end open
        side.start(
            "waiting", "waiting", lambda: [time.sleep(0.05) for _ in iter(release.exists, True)]
        )
        try:
            inbox.close()
            taking._process.join(timeout=20)
            assert not taking._process.is_alive()
        finally:
            release.touch()  # the other one ends (and, if it held the sending end, lets go)
            if taking._process.is_alive():  # a failure, not a hang
                taking._process.kill()
        with pytest.raises(sidework.Cancelled):
            taking.wait()


@needs_fork
def test_a_block_that_fails_before_giving_raises_its_own_error_only() -> None:
    inbox: sidework.Inbox[int] = sidework.Inbox()
    with pytest.raises(RuntimeError, match="the load failed") as raised:
        with sidework.SideWorks(parallel=True) as side:
            side.start("taking", "taking", inbox.take, inbox=inbox)
            raise RuntimeError("the load failed")
    assert not getattr(raised.value, "__notes__", None)  # the cancelled work is not a failure
    assert multiprocessing.active_children() == []


@needs_fork
def test_giving_to_a_side_process_that_failed_first_raises_its_error_when_waited() -> None:
    inbox: sidework.Inbox[list[int]] = sidework.Inbox()

    def fail_before_taking() -> None:
        raise ValueError("preparing failed")

    side = sidework.start("taking", fail_before_taking, True, inbox=inbox)
    side._process.join(timeout=20)
    inbox.give(list(range(500_000)))  # no reader any more: lost, without blocking
    with pytest.raises(ValueError, match="preparing failed"):
        side.wait()


def test_a_side_work_with_an_inbox_is_refused_inline() -> None:
    inbox: sidework.Inbox[int] = sidework.Inbox()
    with pytest.raises(ValueError, match="needs a forked child"):
        sidework.start("taking", inbox.take, parallel=False, inbox=inbox)
    inbox.close()
