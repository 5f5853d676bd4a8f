"""Faults: Neo4j unreachable or killed mid-load, Ctrl-C mid-rebuild, disk full in build/.

After each fault, rerunning the same work must converge to exactly what a clean run gives
(Neo4j: node and relationship counts and a content hash of every node and relationship
with its properties; files: byte-identical outputs), and a failed write must never leave
a half file under an output's name (outputs are written to a temporary file and renamed).

The kill test runs its own Neo4j (``neo4j_server.start`` under ``tmp_path`` on a free port),
so the shared test server is never killed. The helpers here are also used by
``benchmarks/reliability.py``.
"""

from __future__ import annotations

import builtins
import dataclasses
import errno
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from graph_builder import neo4j_load, neo4j_server
from graph_builder.config import LOCAL_PASSWORD, PROJECT_ROOT, SAMPLE_CORPUS
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support
from graph_builder.ontology import Ontology, load_ontology
from graph_builder.pipeline import OUTPUT_FILES, RebuildOptions, build_graph, rebuild
from graph_builder.statements import Statement, read_statements
from neo4j import Driver, GraphDatabase

MILGRAPH = str(Path(sys.executable).with_name("milgraph"))
OUTPUTS = OUTPUT_FILES
BASE = "https://milgraph.org/id/"


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def synth_graph(seed: int, people: int = 1500) -> GraphData:
    """A deterministic GraphData of `people` persons, groups, events and places.

    Two seeds share most entity ids but differ in names, relations and provenance, so a
    half-applied replace of one by the other is visible in the content hash.
    """
    rng = random.Random(seed)
    entities: dict[str, Entity] = {}

    def add(type_name: str, key: str, name: str) -> str:
        iri = f"{BASE}{type_name.lower()}/{key}"
        entities[iri] = Entity(iri, name, type_name, (f"{name} alias {seed}",))
        return iri

    persons = [add("Person", f"p{i}", f"Person {i} v{seed}") for i in range(people)]
    groups = [add("MilitantGroup", f"g{i}", f"Group {i}") for i in range(people // 20)]
    events = [add("Event", f"e{i}", f"Attack {i}") for i in range(people // 10)]
    places = [add("Location", f"l{i}", f"Town {i}") for i in range(people // 30)]
    docs = {f"doc-{seed}-{i}": DocumentInfo(f"doc-{seed}-{i}", f"Report {i}") for i in range(20)}
    doc_ids = sorted(docs)
    triples: set[tuple[str, str, str]] = set()
    for person in persons:
        triples.add((person, rng.choice(("member_of", "leader_of")), rng.choice(groups)))
        if rng.random() < 0.5:
            triples.add((person, "killed_in", rng.choice(events)))
    for event in events:
        triples.add((rng.choice(groups), "responsible_for", event))
        triples.add((event, "occurred_in", rng.choice(places)))
    relations = []
    for number, (s, p, o) in enumerate(sorted(triples)):
        doc = rng.choice(doc_ids)
        support = Support(
            statement_id=f"st-{seed}-{number}",
            doc_id=doc,
            evidence=f"Evidence {number} for {p} ('quoted' \"text\" <b>&amp;</b>)",
            modality=rng.choice(("asserted", "reported", "alleged")),
            confidence=round(rng.random(), 3),
            date="2015-07-29",
        )
        relations.append(Relation(s, p, o, (support,)))
    mentions = frozenset(
        (r.support[0].doc_id, e) for r in relations for e in (r.subject_id, r.object_id)
    )
    return GraphData(entities, tuple(relations), docs, mentions)


def graph_hash(
    driver: Driver, database: str = "neo4j", *, without_scores: bool = False
) -> tuple[int, int, str]:
    """Node count, relationship count and a sha256 of every node and relationship.

    Nodes are described by their sorted labels and properties; relationships by type,
    the ``id`` of both ends and their properties; the descriptions are sorted, so the
    hash does not depend on internal ids or on the order things were written.
    `without_scores` leaves out the scores a rebuild writes on nodes (see SCORE_KEYS).
    """
    records, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props", database_=database
    )
    nodes = [
        {
            "labels": r["labels"],
            "props": {
                k: v
                for k, v in r["props"].items()
                if not (without_scores and (isinstance(v, float) or k in SCORE_KEYS))
            },
        }
        for r in records
    ]
    rels, _, _ = driver.execute_query(
        "MATCH (s)-[r]->(o) RETURN type(r) AS type, s.id AS s, o.id AS o, properties(r) AS props",
        database_=database,
    )
    lines = sorted(
        json.dumps([sorted(r["labels"]), r["props"]], sort_keys=True, default=str) for r in nodes
    ) + sorted(
        json.dumps([r["type"], r["s"], r["o"], r["props"]], sort_keys=True, default=str)
        for r in rels
    )
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return len(nodes), len(rels), digest


def wipe(driver: Driver, database: str = "neo4j") -> None:
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)


@contextmanager
def own_server(build_dir: Path, port: int, password: str = LOCAL_PASSWORD) -> Iterator[Any]:
    """A Neo4j of our own, stopped (or found dead) at the end."""
    status = neo4j_server.start(
        build_dir=build_dir, port=port, password=password, heap="512m", pagecache="64m"
    )
    try:
        yield status
    finally:
        neo4j_server.stop(build_dir)


def connect(uri: str, password: str = LOCAL_PASSWORD) -> Driver:
    """A driver that gives up quickly on a dead server (no 30 s transaction retries)."""
    driver = GraphDatabase.driver(
        uri,
        auth=("neo4j", password),
        connection_timeout=5.0,
        connection_acquisition_timeout=10.0,
        max_transaction_retry_time=2.0,
    )
    driver.verify_connectivity()
    return driver


def kill_server(build_dir: Path) -> None:
    """SIGKILL the JVM of the server of `build_dir` and collect it, as a crash would."""
    status = neo4j_server.status(build_dir)
    assert status.running and status.pid is not None
    os.kill(status.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while neo4j_server.status(build_dir).running and time.monotonic() < deadline:
        try:
            os.waitpid(status.pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    assert not neo4j_server.status(build_dir).running


@contextmanager
def fault_in_write_batch(at: int, fault: Callable[[], None]) -> Iterator[list[int]]:
    """Run `fault` right after the `at`-th UNWIND batch of a load (inside its transaction).

    Only our own function is wrapped, to pick the moment; Neo4j itself is real.
    """
    original = neo4j_load._write_batch
    calls = [0]

    def wrapped(tx: Any, query: str, rows: Any) -> None:
        original(tx, query, rows)
        calls[0] += 1
        if calls[0] == at:
            fault()

    neo4j_load._write_batch = wrapped  # type: ignore[assignment]
    try:
        yield calls
    finally:
        neo4j_load._write_batch = original  # type: ignore[assignment]


def snapshot(out: Path) -> dict[str, bytes]:
    """Every output file under `out` (Neo4j data and caches excluded), by relative path."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "neo4j" not in p.parts and "cache" not in p.parts
    }


# Outputs computed with floating point (centralities), compared up to rounding noise: the
# analytics differ in the last digits, and tied entities swap places in the report's
# ranked tables, from one run to the next (see the xfail test at the end). The report is
# left out of convergence checks for that reason; everything else must be byte-identical.
NUMERIC_OUTPUTS = (".csv", ".graphml", ".gexf")
UNSTABLE_OUTPUTS = ("report.html",)
# Node properties written by write_scores (centralities, communities, key-player ranks).
SCORE_KEYS = frozenset(
    "degree betweenness closeness eigenvector pagerank community brokerage "
    "articulation_point key_player_rank".split()
)
_LONG_FLOAT = re.compile(rb"-?\d+\.\d{9,}(?:e-?\d+)?")


def comparable(files: dict[str, bytes]) -> dict[str, Any]:
    """`files` with numeric outputs reduced to sorted lines of 9-digit-rounded numbers."""

    def rounded(match: re.Match[bytes]) -> bytes:
        return f"{float(match.group()):.9g}".encode()

    return {
        name: sorted(_LONG_FLOAT.sub(rounded, data).splitlines())
        if name.endswith(NUMERIC_OUTPUTS)
        else data
        for name, data in files.items()
        if name not in UNSTABLE_OUTPUTS
    }


REAL_OPEN = io.open


class DiskFull:
    """Make writes to files under `root` fail with ENOSPC once `budget` bytes are written.

    With `target`, only files whose name contains it are written to the full disk (the
    temporary file of an output carries the output's name). The write that crosses the
    budget writes what fits first, as a real full disk does.
    Installed by patching ``io.open`` and ``builtins.open`` (which ``Path.open``,
    ``Path.write_*`` and ``os.fdopen`` use).
    """

    def __init__(self, root: Path, budget: int, target: str = "") -> None:
        self.root = root.resolve()
        self.budget = budget
        self.target = target
        self.used = 0
        self.failed: list[str] = []

    def open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = REAL_OPEN(file, mode, *args, **kwargs)
        if not any(flag in mode for flag in "wax+"):
            return handle
        name = os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else os.fspath(file)
        path = Path(name).resolve()
        if not path.is_relative_to(self.root) or self.target not in path.name:
            return handle
        return _FullFile(handle, self, str(name))

    @contextmanager
    def installed(self) -> Iterator[DiskFull]:
        saved = io.open, builtins.open
        io.open = builtins.open = self.open  # type: ignore[assignment]
        try:
            yield self
        finally:
            io.open, builtins.open = saved  # type: ignore[assignment]


class _FullFile:
    def __init__(self, handle: Any, disk: DiskFull, name: str) -> None:
        self._handle, self._disk, self._name = handle, disk, name

    def write(self, data: Any) -> int:
        room = self._disk.budget - self._disk.used
        if len(data) > room:
            if room > 0:
                self._handle.write(data[:room])
                self._handle.flush()
                self._disk.used += room
            self._disk.failed.append(self._name)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._name)
        self._disk.used += len(data)
        return int(self._handle.write(data))

    def __enter__(self) -> _FullFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._handle)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def curated(ontology: Ontology) -> list[Statement]:
    return read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ontology)


def small_corpus(root: Path) -> Path:
    """Two sample articles and a few curated statements: a rebuild of a few seconds."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("ishaq-2015-07-29.txt", "baitullah-2009-08-25.txt"):
        shutil.copy(SAMPLE_CORPUS / name, corpus / name)
    lines = (SAMPLE_CORPUS / "curated.statements.jsonl").read_text(encoding="utf-8").splitlines()
    (corpus / "extra.statements.jsonl").write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


# --------------------------------------------------------------------------- unreachable


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [MILGRAPH, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started


@pytest.mark.neo4j
def test_unreachable_neo4j_fails_fast_naming_the_uri(tmp_path: Path) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    env = {**os.environ, "NEO4J_URI": uri, "NEO4J_PASSWORD": "not-used-here", "COLUMNS": "300"}
    trig = tmp_path / "graph.trig"
    trig.write_text("", encoding="utf-8")
    statements = tmp_path / "s.statements.jsonl"
    statements.write_text(
        (SAMPLE_CORPUS / "curated.statements.jsonl").read_text().splitlines()[0] + "\n"
    )
    corpus = small_corpus(tmp_path)
    commands = [
        ("load", "--trig", str(trig)),
        ("rebuild", "--corpus", str(corpus), "--out", str(tmp_path / "out")),
        ("import", str(statements), "--out", str(tmp_path / "out2")),
        ("query", "--cypher", "MATCH (n) RETURN count(n)"),
    ]
    for command in commands:
        code, output, seconds = run_cli(*command, env=env)
        assert code != 0, (command, output)
        assert seconds < 30, (command, seconds)
        assert uri in output, (command, output)
        assert "Traceback" not in output, (command, output)
    # The rebuild stopped before doing any work: nothing half-built in its output folder.
    assert not (tmp_path / "out" / "graph.trig").exists()


# --------------------------------------------------------------------------- killed mid-load


@pytest.mark.neo4j
def test_server_killed_mid_load_then_restarted_converges(
    tmp_path: Path, ontology: Ontology
) -> None:
    """SIGKILL the JVM inside a replace load: after a restart the old graph is whole, and
    rerunning the load gives exactly the graph of a clean load."""
    build_dir, port = tmp_path / "b", free_port()
    old, new = synth_graph(seed=1, people=400), synth_graph(seed=2, people=400)
    uri = f"bolt://127.0.0.1:{port}"
    with own_server(build_dir, port):
        driver = connect(uri)
        try:
            neo4j_load.load_graph(driver, old, ontology, replace=True, batch_size=500)
            old_hash = graph_hash(driver)
            with fault_in_write_batch(4, lambda: kill_server(build_dir)) as calls:
                with pytest.raises(Exception) as info:  # the driver's, whatever its kind
                    neo4j_load.load_graph(driver, new, ontology, replace=True, batch_size=200)
            assert calls[0] == 4, "the load went on after the server died"
            assert (
                "Error" in type(info.value).__name__ or "Unavailable" in type(info.value).__name__
            )
        finally:
            driver.close()
        neo4j_server.start(build_dir=build_dir, port=port, heap="512m", pagecache="64m")
        driver = connect(uri)
        try:
            assert graph_hash(driver) == old_hash  # the replace transaction rolled back whole
            neo4j_load.load_graph(driver, new, ontology, replace=True, batch_size=100)
            rerun = graph_hash(driver)
            wipe(driver)
            neo4j_load.load_graph(driver, new, ontology, replace=True, batch_size=1000)
            clean = graph_hash(driver)
        finally:
            driver.close()
    assert rerun == clean
    assert rerun[0] == len(new.entities) + len(new.documents)
    assert rerun[1] == len(new.relations) + len(new.mentions)


@pytest.mark.neo4j
def test_ctrl_c_mid_load_rolls_back(neo4j_db: Driver, ontology: Ontology) -> None:
    """KeyboardInterrupt inside the replace transaction: old graph intact, rerun converges."""
    old, new = synth_graph(seed=3, people=100), synth_graph(seed=4, people=100)
    neo4j_load.load_graph(neo4j_db, old, ontology, replace=True)
    old_hash = graph_hash(neo4j_db)

    def interrupt() -> None:
        raise KeyboardInterrupt

    with fault_in_write_batch(3, interrupt), pytest.raises(KeyboardInterrupt):
        neo4j_load.load_graph(neo4j_db, new, ontology, replace=True, batch_size=20)
    assert graph_hash(neo4j_db) == old_hash
    neo4j_load.load_graph(neo4j_db, new, ontology, replace=True, batch_size=50)
    rerun = graph_hash(neo4j_db)
    wipe(neo4j_db)
    neo4j_load.load_graph(neo4j_db, new, ontology, replace=True)
    assert rerun == graph_hash(neo4j_db)


# --------------------------------------------------------------------------- Ctrl-C mid-rebuild


class Interrupt(Exception):
    pass


@pytest.mark.neo4j
def test_interrupted_rebuild_converges(
    tmp_path: Path, ontology: Ontology, neo4j_db: Driver
) -> None:
    """Ctrl-C at each stage in turn (and mid-extraction), then one full rerun: the outputs
    and the Neo4j graph equal those of a clean rebuild."""
    corpus = small_corpus(tmp_path)
    clean_out, out = tmp_path / "clean", tmp_path / "out"
    rebuild(RebuildOptions(corpus=corpus, out=clean_out), ontology, neo4j_db)
    clean_files, clean_graph = snapshot(clean_out), graph_hash(neo4j_db)
    clean_graph_data = graph_hash(neo4j_db, without_scores=True)
    wipe(neo4j_db)

    def stop_at(stage: str) -> Callable[[str], None]:
        def on_stage(name: str) -> None:
            if name == stage:
                raise KeyboardInterrupt

        return on_stage

    documents = [0]

    def stop_after_first_document() -> None:
        documents[0] += 1
        if documents[0] == 1:
            raise KeyboardInterrupt

    options = RebuildOptions(corpus=corpus, out=out)
    with pytest.raises(KeyboardInterrupt):
        rebuild(options, ontology, neo4j_db, on_document=stop_after_first_document)
    for stage in ("rdf", "export", "neo4j"):
        with pytest.raises(KeyboardInterrupt):
            rebuild(options, ontology, neo4j_db, on_stage=stop_at(stage))
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    rebuild(options, ontology, neo4j_db)
    assert comparable(snapshot(out)) == comparable(clean_files)
    nodes, rels, _ = graph_hash(neo4j_db)
    assert (nodes, rels) == clean_graph[:2]
    assert graph_hash(neo4j_db, without_scores=True) == clean_graph_data


# --------------------------------------------------------------------------- disk full


def two_builds(ontology: Ontology) -> tuple[list[Statement], list[Statement]]:
    """An old and a new statement set; the new one has a statement to reject (--prune)."""
    statements = curated(ontology)
    # Made directly, as an extractor would: the schema check rejects it (domain/range).
    bad = dataclasses.replace(statements[0], object="Nowhere", object_type="Location")
    return statements[:30], [*statements[:70], bad]


@pytest.fixture(scope="module")
def disk_full_case(
    tmp_path_factory: pytest.TempPathFactory, ontology: Ontology
) -> tuple[list[Statement], dict[str, bytes], dict[str, bytes]]:
    """The new statements and the files of a clean old build and a clean new build."""
    old, new = two_builds(ontology)
    root = tmp_path_factory.mktemp("disk")
    build_graph(old, [], RebuildOptions(out=root / "old", prune=True), ontology)
    build_graph(new, [], RebuildOptions(out=root / "new", prune=True), ontology)
    return new, snapshot(root / "old"), snapshot(root / "new")


@pytest.mark.parametrize(
    "target",
    ["statements.jsonl", "graph.trig", "metrics.csv", "graph.graphml", "graph.gexf", "report.html"],
)
def test_disk_full_leaves_no_half_output(
    tmp_path: Path,
    ontology: Ontology,
    target: str,
    disk_full_case: tuple[list[Statement], dict[str, bytes], dict[str, bytes]],
) -> None:
    """ENOSPC halfway through one output: every output is the old file or the new one."""
    new, old_files, new_files = disk_full_case
    out = tmp_path / "out"
    out.mkdir()
    for name, data in old_files.items():
        (out / name).write_bytes(data)
    options = RebuildOptions(out=out, prune=True)
    disk = DiskFull(out, len(new_files[target]) // 2, target)
    with disk.installed(), pytest.raises(OSError) as info:
        build_graph(new, [], options, ontology)
    assert info.value.errno == errno.ENOSPC and disk.failed
    after = snapshot(out)
    for name, data in after.items():
        assert name in old_files or name in new_files, f"unexpected file {name}"
        assert data in (old_files.get(name), new_files.get(name)), f"{name} is half written"
    build_graph(new, [], options, ontology)  # rerun once the disk has room again
    assert snapshot(out) == new_files


def test_disk_full_leaves_no_temp_files(
    tmp_path: Path,
    ontology: Ontology,
    disk_full_case: tuple[list[Statement], dict[str, bytes], dict[str, bytes]],
) -> None:
    new, _, new_files = disk_full_case
    out = tmp_path / "out"
    disk = DiskFull(out, len(new_files["rejected.jsonl"]) // 2, "rejected.jsonl")
    out.mkdir()
    with disk.installed(), pytest.raises(OSError):
        build_graph(new, [], RebuildOptions(out=out, prune=True), ontology)
    assert any("rejected.jsonl" in name and name.endswith(".tmp") for name in disk.failed)
    assert [p.name for p in out.rglob("*.tmp")] == []


def test_disk_full_on_cli_is_one_clear_line(tmp_path: Path) -> None:
    """The CLI reports a failed write as one line naming the file, with no traceback."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.trig").mkdir()  # a directory where a file must go: the write fails
    statements = tmp_path / "s.statements.jsonl"
    statements.write_text(
        (SAMPLE_CORPUS / "curated.statements.jsonl").read_text().splitlines()[0] + "\n"
    )
    code, output, _ = run_cli(
        "import",
        str(statements),
        "--out",
        str(out),
        "--no-neo4j",
        env={**os.environ, "COLUMNS": "300"},
    )
    assert code != 0
    assert "Traceback" not in output, output
    assert "graph.trig" in output, output


# --------------------------------------------------------------------------- reruns


def test_identical_rebuilds_give_identical_analytics(tmp_path: Path, ontology: Ontology) -> None:
    corpus = small_corpus(tmp_path)
    for name in ("a", "b"):
        rebuild(RebuildOptions(corpus=corpus, out=tmp_path / name), ontology)
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert first["graph.trig"] == second["graph.trig"]
    assert first["metrics.csv"] == second["metrics.csv"]


def test_a_killed_extraction_worker_is_one_clear_error(ontology: Ontology) -> None:
    """A worker killed mid-extraction (a signal, the OOM killer) fails the run with an
    error naming the documents it left undone, not a BrokenProcessPool traceback."""
    import multiprocessing

    from graph_builder.documents import read_documents
    from graph_builder.errors import MilgraphError
    from graph_builder.extract import Extractor

    docs, _ = read_documents([SAMPLE_CORPUS])
    assert len(docs) >= 2
    before = set(multiprocessing.active_children())
    extractions = Extractor(ontology).start(docs, jobs=2, batch_size=1)
    workers = set(multiprocessing.active_children()) - before
    assert workers  # spawned by start(), still loading spaCy
    for worker in workers:
        os.kill(worker.pid, signal.SIGKILL)
    with pytest.raises(MilgraphError, match="extraction worker process died") as info:
        list(extractions)
    assert str(docs[0].path) in str(info.value)
