"""Analytics time per measure on synthetic graphs of 10k and 100k nodes.

Run: .venv/bin/python benchmarks/bench_analytics.py [--quick] [--sizes 10000,100000]
     [--timeout SECONDS]

The graphs are Holme-Kim power-law graphs with clustering (m=2 edges per new node, triad
probability 0.3: a heavy-tailed degree like the entity graph's), with name/type node
attributes and edge weights. Each measure of graph_builder.analysis runs in its own
process with a time limit; one that does not finish prints `unavailable timeout`.
"""

from __future__ import annotations

import argparse
from typing import Any

from _bench import emit, is_quick, run_isolated
from _bench import unavailable as na

MEASURES = (
    "degree",
    "betweenness",
    "closeness",
    "eigenvector",
    "pagerank",
    "communities",
    "articulation_points",
    "metrics_rows",
    # Beyond analysis: the other costly steps of a rebuild's analytics and export.
    "key_players_at_scale",
    "report_layout",
    "predict_links",
    "graphml_bytes",
    "gexf_bytes",
)


def synthetic_graph(n: int, seed: int = 42) -> Any:
    import random

    import networkx as nx

    G = nx.powerlaw_cluster_graph(n, 2, 0.3, seed=seed)
    rng = random.Random(seed)
    types = ("Person", "Person", "Person", "MilitantGroup", "Event", "Location", "Organization")
    for node in G:
        G.nodes[node]["name"] = f"entity {node}"
        G.nodes[node]["type"] = rng.choice(types)
    for u, v in G.edges:
        G.edges[u, v]["weight"] = rng.choice((0.25, 0.5, 0.75, 1.0, 1.75))
    return nx.relabel_nodes(G, {node: f"e{node}" for node in G})


def measure_function(measure: str, G: Any) -> Any:
    """The callable timed for `measure` (inputs it needs are prepared beforehand)."""
    from graph_builder import analysis, export, linkpred, report

    if measure == "key_players_at_scale":
        btw = analysis.betweenness(G).values
        return lambda H: analysis.key_players_at_scale(H, 3, btw)[0]
    if measure == "report_layout":  # the report draws at most MAX_DRAWN_NODES entities
        keep = sorted(G, key=lambda v: (-G.degree(v), v))[: report.MAX_DRAWN_NODES]
        return lambda H: report.layout(H.subgraph(keep))
    if measure == "predict_links":
        return lambda H: linkpred.predict_links(H, 10)
    if measure in ("graphml_bytes", "gexf_bytes"):
        return getattr(export, measure)
    return getattr(analysis, measure)


def time_measure(measure: str, n: int) -> dict[str, Any]:
    """Build the graph, then time one measure (in its own process)."""
    import time

    G = synthetic_graph(n)
    func = measure_function(measure, G)
    start = time.perf_counter()
    value = func(G)
    elapsed = time.perf_counter() - start
    note = value.describe() if hasattr(value, "describe") else ""
    return {"seconds": elapsed, "edges": G.number_of_edges(), "note": note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 and 10,000 nodes")
    parser.add_argument("--sizes", default=None, help="comma-separated node counts")
    parser.add_argument("--timeout", type=float, default=600, help="per measure, seconds")
    args = parser.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([2000, 10000] if is_quick() else [10000, 100000])
    )
    try:
        import graph_builder.analysis  # noqa: F401  (is it importable?)
    except ImportError as exc:
        na("analytics", f"graph_builder.analysis not importable: {exc}")
        return
    for n in sizes:
        edges = None
        label = f"{n // 1000}k" if n % 1000 == 0 else str(n)
        for measure in MEASURES:
            name = f"analytics_{label}_{measure}"
            try:
                result, rss, _ = run_isolated(time_measure, measure, n, timeout=args.timeout)
            except Exception as exc:
                na(name, f"{type(exc).__name__}: {exc}")
                continue
            emit(name, result["seconds"], "s")
            edges = result["edges"]
            if result["note"]:
                print(f"# {name}: {result['note']}", flush=True)
        if edges is not None:
            emit(f"analytics_{label}_edges", edges, "count")


if __name__ == "__main__":
    main()
