"""RDF store at scale: rdflib's in-memory store against Oxigraph (oxrdflib), same API.

Run: .venv/bin/python benchmarks/bench_rdf_store.py [--quick] [--articles N]
     [--timeout SECONDS] [--stores memory,oxigraph]

The dataset is built from the gold statements of a synthetic corpus (default 1,000
articles, about 17,500 statements; --quick: 100; --articles 10000 for the full scale),
resolved with graph_builder.resolve, so the figure does not depend on the extractor.
For each store, in its own process, the real code path runs with rdflib.Dataset backed
by that store (graph_builder.rdf.Dataset swapped for Dataset(store="Oxigraph") in the
Oxigraph run): build_dataset, serialize_dataset (TriG), read_dataset (TriG), graph_data
and last validate_dataset (SHACL, by far the slowest); for Oxigraph also pyoxigraph's
own TriG reader and writer (native_read, native_serialize: the ceiling outside the
rdflib API). Steps finished before a time-out are still reported. Each step also logs its
CPU seconds and the load average (the machine is shared: wall time alone misleads).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from _bench import data_dir, emit, is_quick, run_isolated, synthetic_corpus
from _bench import unavailable as na

STEPS = ("resolve", "build", "serialize", "read", "graph_data", "validate")


def run_store(store: str, corpus: str, log: str) -> dict[str, Any]:
    """Every step on one store; each timing is appended to `log` as soon as it is known."""
    import functools

    import rdflib

    from graph_builder import rdf, resolve, validate
    from graph_builder.documents import find_articles, read_documents
    from graph_builder.gold import gold_statements
    from graph_builder.ontology import load_ontology

    if store == "oxigraph":
        import oxrdflib  # noqa: F401  (registers the "Oxigraph" store plugin)

        rdf.Dataset = functools.partial(rdflib.Dataset, store="Oxigraph")  # type: ignore[misc,assignment]

    cpu = [time.process_time()]

    def note(step: str, seconds: float, **extra: Any) -> None:
        extra["cpu_s"] = round(time.process_time() - cpu[0], 2)
        extra["load1"] = round(os.getloadavg()[0], 2)
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, "seconds": seconds, **extra}) + "\n")
        cpu[0] = time.process_time()

    ontology = load_ontology()
    paths = sorted(Path(corpus).glob("*.gold.json"))
    statements = [s for p in paths for s in gold_statements(p, ontology)]
    docs, _ = read_documents(find_articles([Path(corpus)]))
    infos = [d.info() for d in docs]
    start = time.perf_counter()
    resolution = resolve.resolve(statements, ontology, aliases=resolve.load_alias_table())
    note("resolve", time.perf_counter() - start, statements=len(statements))
    start = time.perf_counter()
    ds = rdf.build_dataset(resolution, infos, ontology)
    note("build", time.perf_counter() - start, quads=len(ds), store=type(ds.store).__name__)
    start = time.perf_counter()
    data = rdf.serialize_dataset(ds, "trig")
    note("serialize", time.perf_counter() - start, bytes=len(data))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.trig"
        path.write_bytes(data)
        del data
        start = time.perf_counter()
        back = rdf.read_dataset(path)
        note("read", time.perf_counter() - start, quads=len(back))
        del back
        if store == "oxigraph":  # the ceiling: pyoxigraph's own parser and writer
            import pyoxigraph

            start = time.perf_counter()
            native = pyoxigraph.Store()
            native.load(path=str(path), format=pyoxigraph.RdfFormat.TRIG)
            note("native_read", time.perf_counter() - start, quads=len(native))
            start = time.perf_counter()
            dumped = native.dump(format=pyoxigraph.RdfFormat.TRIG)
            note("native_serialize", time.perf_counter() - start, bytes=len(dumped or b""))
            del native, dumped
    start = time.perf_counter()
    graph = rdf.graph_data(ds, ontology)
    note("graph_data", time.perf_counter() - start, relations=len(graph.relations))
    del graph
    start = time.perf_counter()
    violations = validate.validate_dataset(ds, ontology)
    note("validate", time.perf_counter() - start, violations=len(violations))
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100 articles")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=2400, help="per store, seconds")
    parser.add_argument("--stores", default="memory,oxigraph", help="comma-separated")
    args = parser.parse_args()
    n = args.articles or (100 if is_quick() else 1000)
    for package in ("rdflib", "pyoxigraph", "oxrdflib", "pyshacl"):
        try:
            print(f"# {package}=={metadata.version(package)}", flush=True)
        except metadata.PackageNotFoundError:
            print(f"# {package} not installed", flush=True)
    corpus = synthetic_corpus(n)
    results: dict[str, dict[str, float]] = {}
    for store in args.stores.split(","):
        if store == "oxigraph":
            try:
                import oxrdflib  # noqa: F401
            except ImportError as exc:
                na(f"rdf_{n}_oxigraph", f"oxrdflib not installed ({exc})")
                continue
        log = data_dir() / f"rdf-{store}-{n}.jsonl"
        log.unlink(missing_ok=True)
        error = None
        try:
            _, rss, _ = run_isolated(run_store, store, str(corpus), str(log), timeout=args.timeout)
        except Exception as exc:
            error, rss = f"{type(exc).__name__}: {exc}", None
        done = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        results[store] = {}
        for row in done:
            name = f"rdf_{n}_{store}_{row['step']}"
            emit(name, row["seconds"], "s")
            results[store][row["step"]] = row["seconds"]
            extra = {k: v for k, v in row.items() if k not in ("step", "seconds")}
            if extra:
                print(f"# {name}: {extra}", flush=True)
        steps = [row["step"] for row in done]
        for step in STEPS:
            if step not in steps:
                na(f"rdf_{n}_{store}_{step}", error or "not reached")
        if rss is not None:
            emit(f"rdf_{n}_{store}_peak_rss", rss, "MiB")
    memory, oxigraph = results.get("memory", {}), results.get("oxigraph", {})
    for step in STEPS[1:]:
        if step in memory and step in oxigraph and oxigraph[step]:
            emit(f"rdf_{n}_speedup_{step}", memory[step] / oxigraph[step], "x")


if __name__ == "__main__":
    main()
