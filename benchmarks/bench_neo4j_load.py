"""Neo4j load throughput: batched UNWIND vs one transaction per statement.

Run: .venv/bin/python benchmarks/bench_neo4j_load.py [N ...] [--uri bolt://...] [--sample-seconds S]
(default N = 10000; e.g. `bench_neo4j_load.py 10000 100000`).

By default it starts a throwaway local Neo4j (Community 5.26, same launcher as
`milgraph neo4j start`) in a temporary folder on a free port, so it never touches your
graph. With --uri it uses that server instead and deletes only its own synthetic items
(ids starting with "bench:") before and after each run.

For each N it generates N synthetic statements (ontology-valid predicates between
synthetic people, groups, events and places, spread over N/50 documents), then measures

- batched: ``neo4j_load.load_graph`` (UNWIND batches of --batch-size, one managed
  transaction per batch), on an empty database, then again (idempotent reload);
- per statement: the same queries with one row and one managed transaction per
  statement, on an empty database, for at most --sample-seconds; the rate of that sample
  is extrapolated to N and labelled as such.

Prints `name value unit` lines; statements/s counts supporting statements (several can
fold into one relationship), and each run includes entities, documents and mentions.
"""

from __future__ import annotations

import argparse
import random
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from graph_builder import neo4j_server
from graph_builder.config import LOCAL_PASSWORD, LOCAL_USER, Neo4jSettings
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support
from graph_builder.neo4j_load import (
    DOCUMENT_QUERY,
    MENTIONS_QUERY,
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


def synthetic(n: int, seed: int = 7) -> GraphData:
    """N statements over N/10 people, N/100 groups, N/20 events, N/100 places, N/50 docs."""
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
    for i in range(n):
        predicate, s_type, o_type = SHAPES[i % len(SHAPES)]
        s, o = rng.choice(pools[s_type]), rng.choice(pools[o_type])
        if s == o:
            o = pools[o_type][(pools[o_type].index(o) + 1) % len(pools[o_type])]
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
    """Delete the synthetic items only, 2000 nodes a transaction (bounded tx memory)."""
    while True:
        records, _, _ = driver.execute_query(
            "MATCH (n) WHERE n.id STARTS WITH $prefix WITH n LIMIT 2000 "
            "DETACH DELETE n RETURN count(n) AS n",
            prefix=PREFIX,
        )
        if records[0]["n"] == 0:
            return


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


def bench(driver: Driver, ontology: Ontology, n: int, batch_size: int, budget: float) -> None:
    data = synthetic(n)
    print(f"n{n}_statements {n} statements")
    print(f"n{n}_relationships {len(data.relations)} relationships")
    print(f"n{n}_entities {len(data.entities)} entities")

    clear(driver)
    load_graph(driver, synthetic(len(SHAPES) * 3, seed=1), ontology)  # warm-up (compilation)
    clear(driver)
    started = time.perf_counter()
    load_graph(driver, data, ontology, batch_size=batch_size)
    batched = time.perf_counter() - started
    print(f"n{n}_batched_seconds {batched:.2f} s")
    print(f"n{n}_batched_rate {n / batched:.0f} statements/s")

    started = time.perf_counter()
    load_graph(driver, data, ontology, batch_size=batch_size)
    reload = time.perf_counter() - started
    print(f"n{n}_batched_reload_rate {n / reload:.0f} statements/s")

    clear(driver)
    done, seconds = per_statement(driver, data, ontology, budget)
    rate = done / seconds
    sampled = "" if done == n else f"_extrapolated_from_{done}_statement_sample"
    print(f"n{n}_per_statement_sample {done} statements")
    print(f"n{n}_per_statement_rate{sampled} {rate:.0f} statements/s")
    print(f"n{n}_per_statement_seconds{sampled} {n / rate:.1f} s")
    print(f"n{n}_batched_vs_per_statement {(n / batched) / rate:.1f} x")
    clear(driver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000], help="N statements")
    parser.add_argument("--uri", help="use this Neo4j (NEO4J_USER/NEO4J_PASSWORD from env)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--sample-seconds", type=float, default=20.0)
    parser.add_argument("--heap", default="1g")
    args = parser.parse_args()
    ontology = load_ontology()

    with tempfile.TemporaryDirectory(prefix="milgraph-bench-") as tmp:
        if args.uri:
            env = Neo4jSettings.from_env()
            uri, auth = args.uri, (env.user, env.password)
        else:
            server = neo4j_server.start(
                Path(tmp), port=free_port(), heap=args.heap, pagecache="512m"
            )
            uri, auth = server.uri, (LOCAL_USER, LOCAL_PASSWORD)
        try:
            with GraphDatabase.driver(uri, auth=auth) as driver:
                driver.verify_connectivity()
                ensure_schema(driver, ontology)
                print(f"server {uri} {'given' if args.uri else 'throwaway'}")
                print(f"batch_size {args.batch_size} rows")
                for n in args.sizes:
                    bench(driver, ontology, n, args.batch_size, args.sample_seconds)
        finally:
            if not args.uri:
                neo4j_server.stop(Path(tmp))


if __name__ == "__main__":
    main()
