"""Neo4j load throughput: batched UNWIND vs one transaction per statement.

Run: .venv/bin/python benchmarks/bench_neo4j_load.py [N ...] [--uri bolt://...]
     [--batch-size B] [--sample-seconds S] [--supports-per-relation K] [--heap 1g]
(default N = 10000; e.g. `bench_neo4j_load.py 10000 100000`).

By default it starts a throwaway local Neo4j (Community 5.26, same launcher as
`milgraph neo4j start`) in a temporary folder on a free port, so it never touches your
graph. With --uri it uses that server instead and deletes only its own synthetic items
(ids starting with "bench:") before and after each run (the replace runs, which make the
database equal to the data, need the throwaway server and are skipped with --uri).

For each N it generates N synthetic statements (ontology-valid predicates between
synthetic people, groups, events and places, spread over N/50 documents; with
--supports-per-relation K about N/K distinct relationships), then measures

- warm-up: a load of --warmup statements (and its reload) first, on each path, so JIT
  and query compilation are not in the figures (its time is printed as ``warmup_*``);
- batched: ``neo4j_load.load_graph`` (UNWIND batches of --batch-size, one managed
  transaction per batch), on an empty database, then again (reload: nothing changed);
- batched replace: ``load_graph(replace=True)`` on an empty database (one transaction
  up to ``max_transaction_rows`` changed rows, else chunks of that many), then again
  (reload: the state read and the comparison, nothing written);
- per statement: the same upsert queries with one row and one managed transaction per
  statement, on an empty database, for at most --sample-seconds; the rate of that sample
  is extrapolated to N and labelled as such.

Prints `name value unit` lines; statements/s counts supporting statements (several can
fold into one relationship), and each run includes entities, documents and mentions.
Other processes share the CPU: every figure has a ``*_load1`` line beside it (the 1-minute
load average when it was taken), and with the throwaway server ``*_server_cpu`` /
``*_client_cpu`` give the CPU seconds each side used, which contention does not inflate.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph_builder import neo4j_server
from graph_builder.config import LOCAL_PASSWORD, LOCAL_USER, Neo4jSettings
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support
from graph_builder.neo4j_load import (
    DOCUMENT_QUERY,
    MENTIONS_QUERY,
    LoadSummary,
    _entity_query,
    _relationship_query,
    check_label,
    check_rel_type,
    ensure_schema,
    load_graph,
    relation_properties,
)
from graph_builder.ontology import Ontology, load_ontology
from neo4j import Driver, GraphDatabase

PREFIX = "bench:"
# (predicate, subject type, object type)
SHAPES = (
    ("member_of", "Person", "MilitantGroup"),
    ("leader_of", "Person", "MilitantGroup"),
    ("killed_in", "Person", "Event"),
    ("responsible_for", "MilitantGroup", "Event"),
    ("occurred_in", "Event", "Location"),
    ("associate_of", "Person", "Person"),
    ("linked_to", "MilitantGroup", "MilitantGroup"),
)
MODALITIES = ("asserted", "reported", "claimed", "alleged")


def synthetic(n: int, seed: int = 7, supports_per_relation: float = 1.0) -> GraphData:
    """N statements over N/10 people, N/100 groups, N/20 events, N/100 places, N/50 docs.

    With `supports_per_relation` K > 1 the statements are drawn over about N/K triples,
    so relationships aggregate several supports, as in a real corpus.
    """
    rng = random.Random(seed)
    sizes = {
        "Person": max(n // 10, 10),
        "MilitantGroup": max(n // 100, 5),
        "Event": max(n // 20, 10),
        "Location": max(n // 100, 5),
    }
    pools = {t: [f"{PREFIX}{t}/{i}" for i in range(size)] for t, size in sizes.items()}
    entities = {
        eid: Entity(eid, f"{t} {i}", t, (f"alias {t} {i}",))
        for t, ids in pools.items()
        for i, eid in enumerate(ids)
    }
    n_docs = max(n // 50, 1)
    documents = {
        f"{PREFIX}doc{i}": DocumentInfo(f"{PREFIX}doc{i}", f"Report {i}", "2020-01-01", "bench")
        for i in range(n_docs)
    }
    supports: dict[tuple[str, str, str], list[Support]] = {}
    triples: list[tuple[str, str, str]] = []
    n_triples = max(int(n / supports_per_relation), len(SHAPES))
    for i in range(n):
        if i < n_triples:
            predicate, s_type, o_type = SHAPES[i % len(SHAPES)]
            s, o = rng.choice(pools[s_type]), rng.choice(pools[o_type])
            if s == o:
                o = pools[o_type][(pools[o_type].index(o) + 1) % len(pools[o_type])]
            triples.append((s, predicate, o))
        else:
            s, predicate, o = rng.choice(triples)
        doc = f"{PREFIX}doc{rng.randrange(n_docs)}"
        supports.setdefault((s, predicate, o), []).append(
            Support(
                statement_id=f"{PREFIX}st{i}",
                doc_id=doc,
                evidence=f"Synthetic sentence number {i} linking {s} and {o}.",
                modality=rng.choice(MODALITIES),
                confidence=round(rng.uniform(0.5, 1.0), 3),
                date=f"20{rng.randrange(10, 24)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}",
            )
        )
    relations = tuple(Relation(s, p, o, tuple(sup)) for (s, p, o), sup in supports.items())
    mentions = frozenset(
        (sup.doc_id, e) for r in relations for sup in r.support for e in (r.subject_id, r.object_id)
    )
    return GraphData(entities, relations, documents, mentions)


def clear(driver: Driver) -> None:
    """Delete the synthetic items only, 500 nodes a transaction (bounded transaction memory:
    a document node carries hundreds of MENTIONS)."""
    with driver.session() as session:  # CALL ... IN TRANSACTIONS needs an auto-commit query
        session.run(
            "MATCH (n) WHERE n.id STARTS WITH $prefix "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 500 ROWS",
            prefix=PREFIX,
        ).consume()


def per_statement(
    driver: Driver, data: GraphData, ontology: Ontology, budget: float
) -> tuple[int, float]:
    """One managed transaction per statement: its entities, document, relationship and
    mentions; stops after `budget` seconds. Returns (statements done, seconds)."""
    labels = list(ontology.types)
    entity_queries = {t: _entity_query(check_label(t, ontology), labels) for t in labels}
    statements = [(rel, sup) for rel in data.relations for sup in rel.support]

    def one(tx: Any, rel: Relation, sup: Support) -> None:
        for eid in (rel.subject_id, rel.object_id):
            e = data.entities[eid]
            row = {"id": e.id, "name": e.name, "aliases": list(e.aliases), "type": e.type}
            tx.run(entity_queries[e.type], rows=[row]).consume()
        doc = data.documents[sup.doc_id]
        props = {"title": doc.title, "date": doc.date, "source": doc.source}
        tx.run(DOCUMENT_QUERY, rows=[{"id": doc.id, "props": props}]).consume()
        rel_row = {"s": rel.subject_id, "o": rel.object_id, "props": relation_properties(rel)}
        tx.run(_relationship_query(check_rel_type(rel.predicate, ontology)), rows=[rel_row])
        mentions = [{"d": sup.doc_id, "e": rel.subject_id}, {"d": sup.doc_id, "e": rel.object_id}]
        tx.run(MENTIONS_QUERY, rows=mentions).consume()

    with driver.session() as session:  # warm-up: query compilation is not write speed
        for rel, sup in statements[: len(SHAPES) * 3]:
            session.execute_write(one, rel, sup)
    clear(driver)
    started = time.perf_counter()
    done = 0
    with driver.session() as session:
        for rel, sup in statements:
            session.execute_write(one, rel, sup)
            done += 1
            if time.perf_counter() - started > budget:
                break
    return done, time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Meter:
    """Times a run and prints its figures: wall seconds, rate, load average, CPU per side."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid

    def _server_cpu(self) -> float | None:
        if self.server_pid is None:
            return None
        try:
            fields = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, name: str, statements: int | None, work: Callable[[], object]) -> float:
        load = os.getloadavg()[0]
        server, client = self._server_cpu(), time.process_time()
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        client = time.process_time() - client
        print(f"{name}_seconds {seconds:.2f} s")
        if statements is not None:
            print(f"{name}_rate {statements / seconds:.0f} statements/s")
        print(f"{name}_load1 {max(load, os.getloadavg()[0]):.1f} load")
        print(f"{name}_client_cpu {client:.2f} s")
        after = self._server_cpu()
        if server is not None and after is not None:
            print(f"{name}_server_cpu {after - server:.2f} s")
        return seconds


def heap_used_mib(driver: Driver) -> float | None:
    """Peak heap of the server's JVM (sum of the pools' peaks), when JMX is readable."""
    try:
        records, _, _ = driver.execute_query(
            "CALL dbms.queryJmx('java.lang:type=MemoryPool,*') YIELD attributes "
            "WHERE attributes.Type.value = 'HEAP' "
            "RETURN sum(attributes.PeakUsage.value.properties.used) AS used"
        )
    except Exception:  # noqa: BLE001 - a figure we can do without
        return None
    used = records[0]["used"]
    return None if used is None else used / 2**20


def bench(
    driver: Driver,
    ontology: Ontology,
    n: int,
    args: argparse.Namespace,
    meter: Meter,
    own_server: bool,
) -> None:
    batch_size, budget = args.batch_size, args.sample_seconds
    data = synthetic(n, supports_per_relation=args.supports_per_relation)
    runs = set(args.runs.split(","))
    print(f"n{n}_statements {n} statements")
    print(f"n{n}_relationships {len(data.relations)} relationships")
    print(f"n{n}_entities {len(data.entities)} entities")
    print(f"n{n}_mentions {len(data.mentions)} mentions")

    clear(driver)
    # JIT (a fresh JVM compiles for tens of CPU-seconds) and query compilation: not write
    # speed. Each path once from empty and once more (reload), as measured below.
    size = args.warmup
    warm = synthetic(size, seed=1)
    meter.run(
        f"n{n}_warmup", size, lambda: load_graph(driver, warm, ontology, batch_size=batch_size)
    )
    load_graph(driver, warm, ontology, batch_size=batch_size)
    if own_server:
        clear(driver)
        meter.run(
            f"n{n}_warmup_replace",
            size,
            lambda: load_graph(driver, warm, ontology, batch_size=batch_size, replace=True),
        )
        load_graph(driver, warm, ontology, batch_size=batch_size, replace=True)
    clear(driver)

    batched = None
    if "upsert" in runs:
        batched = meter.run(
            f"n{n}_batched",
            n,
            lambda: load_graph(driver, data, ontology, batch_size=batch_size),
        )
        meter.run(
            f"n{n}_batched_reload",
            n,
            lambda: load_graph(driver, data, ontology, batch_size=batch_size),
        )
        clear(driver)
    if "replace" in runs and own_server:
        summaries: list[LoadSummary] = []
        replaced = meter.run(
            f"n{n}_batched_replace",
            n,
            lambda: summaries.append(
                load_graph(driver, data, ontology, batch_size=batch_size, replace=True)
            ),
        )
        print(f"n{n}_batched_replace_transactions {summaries[0].transactions} transactions")
        print(f"n{n}_batched_replace_atomic {int(summaries[0].atomic)} bool")
        batched = batched or replaced
        heap = heap_used_mib(driver)
        if heap is not None:
            print(f"n{n}_server_heap_peak {heap:.0f} MiB")
        meter.run(
            f"n{n}_batched_replace_reload",
            n,
            lambda: load_graph(driver, data, ontology, batch_size=batch_size, replace=True),
        )
        clear(driver)

    if "per-statement" in runs and budget > 0:
        counted: list[int] = []
        seconds = meter.run(
            f"n{n}_per_statement_sample",
            None,  # rate printed below, from the count
            lambda: counted.append(per_statement(driver, data, ontology, budget)[0]),
        )
        done = counted[0]
        rate = done / seconds
        sampled = "" if done == n else f"_extrapolated_from_{done}_statement_sample"
        print(f"n{n}_per_statement_sample_statements {done} statements")
        print(f"n{n}_per_statement_rate{sampled} {rate:.0f} statements/s")
        print(f"n{n}_per_statement_seconds{sampled} {n / rate:.1f} s")
        if batched is not None:
            print(f"n{n}_batched_vs_per_statement {(n / batched) / rate:.1f} x")
        clear(driver)


def floor(driver: Driver, meter: Meter, rows: int = 50_000) -> None:
    """The machine's ceiling for transactional Cypher writes: bare nodes with one property,
    then bare relationships between them, `UNWIND` batches of 10k in one transaction each.
    A milgraph statement costs more than one such row (a relationship with ~18 provenance
    properties plus its share of entities, documents and MENTIONS)."""
    ids = [f"{PREFIX}floor/{i}" for i in range(rows)]
    pairs = [{"s": ids[i], "o": ids[(i * 7 + 1) % rows]} for i in range(rows)]

    def write(query: str, items: list[Any]) -> None:
        with driver.session() as session:
            for start in range(0, len(items), 10_000):
                batch = items[start : start + 10_000]
                session.execute_write(lambda tx, b=batch: tx.run(query, rows=b).consume())

    node_query = "UNWIND $rows AS id CREATE (:Entity:Floor {id: id})"
    rel_query = (
        "UNWIND $rows AS row MATCH (s:Entity {id: row.s}) MATCH (o:Entity {id: row.o}) "
        "CREATE (s)-[:FLOOR]->(o)"
    )
    clear(driver)  # warm-up: JIT and query compilation
    write(node_query, ids)
    write(rel_query, pairs)
    clear(driver)
    nodes = meter.run("floor_nodes", None, lambda: write(node_query, ids))
    rels = meter.run("floor_relationships", None, lambda: write(rel_query, pairs))
    print(f"floor_nodes_rate {rows / nodes:.0f} rows/s")
    print(f"floor_relationships_rate {rows / rels:.0f} rows/s")
    clear(driver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000], help="N statements")
    parser.add_argument("--uri", help="use this Neo4j (NEO4J_USER/NEO4J_PASSWORD from env)")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--sample-seconds", type=float, default=20.0, help="0: no per-statement")
    parser.add_argument("--supports-per-relation", type=float, default=1.0)
    parser.add_argument("--warmup", type=int, default=10_000, help="statements, not timed")
    parser.add_argument(
        "--runs", default="floor,upsert,replace,per-statement", help="comma-separated subset"
    )
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--pagecache", default="512m")
    args = parser.parse_args()
    ontology = load_ontology()

    with tempfile.TemporaryDirectory(prefix="milgraph-bench-") as tmp:
        server_pid = None
        if args.uri:
            env = Neo4jSettings.from_env()
            uri, auth = args.uri, (env.user, env.password)
        else:
            server = neo4j_server.start(
                Path(tmp), port=free_port(), heap=args.heap, pagecache=args.pagecache
            )
            uri, auth, server_pid = server.uri, (LOCAL_USER, LOCAL_PASSWORD), server.pid
        try:
            with GraphDatabase.driver(uri, auth=auth) as driver:
                driver.verify_connectivity()
                ensure_schema(driver, ontology)
                print(f"server {uri} {'given' if args.uri else 'throwaway'}")
                if not args.uri:
                    print(f"server_heap {args.heap} max")
                print(f"batch_size {args.batch_size} rows")
                print(f"cpus {os.cpu_count()} cores")
                if "floor" in args.runs.split(","):
                    floor(driver, Meter(server_pid))
                for n in args.sizes:
                    bench(driver, ontology, n, args, Meter(server_pid), not args.uri)
        finally:
            if not args.uri:
                neo4j_server.stop(Path(tmp))


if __name__ == "__main__":
    main()
