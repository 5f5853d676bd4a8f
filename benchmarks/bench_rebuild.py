"""Full rebuild of synthetic corpora (1k and 10k articles), and the rebuild after one more.

Run: .venv/bin/python benchmarks/bench_rebuild.py [--quick] [--sizes 1000,10000]
     [--jobs 2] [--neo4j] [--timeout SECONDS]

Per size, in a fresh process with an empty build folder (cold extraction cache):
seconds per stage (RebuildResult.timings), total, peak memory (the rebuild process and
its largest extraction worker), extraction F1 of the built statements.jsonl against the
gold files (shared scorer). Then, for the largest size, one article is added and the
rebuild rerun on the warm cache: its time and its ratio to the full rebuild (target < 5%).
One such run varies by several seconds from the next, so --plus1-runs (default 3) adds a
different new article each time, each to the corpus of exactly that size (the build is
brought back to it in between, unreported): every run is printed (the first as
rebuild_N_plus1_*, the others as rebuild_N_plus1_runK_*), then the median ratio.

--reuse-extraction keeps OUT/cache/extract from an earlier run (everything else starts
cold), for measuring the stages after extraction on a large corpus without re-extracting.

Neo4j is left out unless --neo4j is given (NEO4J_* settings): loading replaces the
database, which must not be a database other people's tests are using.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from _bench import data_dir, emit, is_quick, run_isolated, score, synthetic_corpus, timer
from _bench import unavailable as na


def rebuild_once(corpus: str, out: str, jobs: int, neo4j: bool) -> dict[str, Any]:
    """One rebuild (in its own process): timings and counts."""
    import time

    from graph_builder.ontology import load_ontology
    from graph_builder.pipeline import RebuildOptions, rebuild, warm_extraction

    ontology = load_ontology()
    options = RebuildOptions(corpus=Path(corpus), out=Path(out), prune=True, jobs=jobs)
    start = time.perf_counter()
    # as `milgraph rebuild` does: the extraction worker first, then the driver
    with warm_extraction(options, ontology) as warm:
        if neo4j:
            from graph_builder.cli.common import open_driver
            from graph_builder.config import Neo4jSettings

            settings = Neo4jSettings.from_env()
            with open_driver(settings) as driver:
                result = rebuild(options, ontology, driver, warm=warm)
        else:
            result = rebuild(options, ontology, None, warm=warm)
    return {
        "total": time.perf_counter() - start,
        "timings": dict(result.timings),
        "documents": result.documents,
        "cached": result.cached_documents,
        "extracted": result.extracted,
        "statements": result.statements,
        "rejected": len(result.rejected),
        "entities": sum(result.entities_by_type.values()),
        "relations": result.relations,
    }


def report(prefix: str, run: dict[str, Any], rss: float, worker_rss: float) -> None:
    for stage, seconds in run["timings"].items():
        emit(f"{prefix}_{stage}", seconds, "s")
    emit(f"{prefix}_total", run["total"], "s")
    emit(f"{prefix}_peak_rss", rss, "MiB")
    if worker_rss:
        emit(f"{prefix}_peak_rss_worker", worker_rss, "MiB")
    for key in ("documents", "cached", "statements", "rejected", "entities", "relations"):
        emit(f"{prefix}_{key}", run[key], "count")
    extract = run["timings"].get("extract")
    if extract and run["documents"] > run["cached"]:
        emit(f"{prefix}_extract_rate", (run["documents"] - run["cached"]) / extract, "articles/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 articles only")
    parser.add_argument("--sizes", default=None, help="comma-separated corpus sizes")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--neo4j", action="store_true", help="load Neo4j (NEO4J_* settings)")
    parser.add_argument("--timeout", type=float, default=3600, help="per rebuild, seconds")
    parser.add_argument(
        "--plus1-runs",
        type=int,
        default=3,
        help="one-article rebuilds of the largest corpus, each with a new article (0: none)",
    )
    parser.add_argument(
        "--reuse-extraction",
        action="store_true",
        help="keep the extraction cache of an earlier run (every other stage starts cold); "
        "the full rebuild's extract figure is then cache reading, not extraction",
    )
    args = parser.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([200] if is_quick() else [1000, 10000])
    )
    if not args.neo4j:
        na("rebuild_neo4j", "not requested (pass --neo4j); rebuilds run with driver=None")
    full: dict[int, float] = {}
    for n in sizes:
        prefix = f"rebuild_{n}"
        with timer() as t:
            corpus = synthetic_corpus(n)
        emit(f"synth_{n}_generate", t[0], "s")
        out = data_dir() / f"out-{n}"
        _empty(out, keep=out / "cache" / "extract" if args.reuse_extraction else None)
        try:
            run, rss, worker = run_isolated(
                rebuild_once, str(corpus), str(out), args.jobs, args.neo4j, timeout=args.timeout
            )
        except Exception as exc:  # a missing stage or a failure: say so, go on
            na(prefix, f"{type(exc).__name__}: {exc}")
            continue
        full[n] = run["total"]
        report(prefix, run, rss, worker)
        try:
            micro = score(corpus, out / "statements.jsonl")
            emit(f"{prefix}_f1", micro["f1"], "F1")
            emit(f"{prefix}_precision", micro["p"], "P")
            emit(f"{prefix}_recall", micro["r"], "R")
        except Exception as exc:
            na(f"{prefix}_f1", f"{type(exc).__name__}: {exc}")
    if args.plus1_runs < 0:
        parser.error("--plus1-runs must be 0 or more")
    if not full or not args.plus1_runs:
        return
    n = max(full)
    corpus = synthetic_corpus(n)
    out = data_dir() / f"out-{n}"
    ratios = []
    for run_number in range(1, args.plus1_runs + 1):
        prefix = f"rebuild_{n}_plus1" + ("" if run_number == 1 else f"_run{run_number}")
        if run_number > 1:  # back to exactly n articles (the last run's article removed)
            try:
                run_isolated(
                    rebuild_once, str(corpus), str(out), args.jobs, args.neo4j, timeout=args.timeout
                )
            except Exception as exc:
                na(f"{prefix}_restore", f"{type(exc).__name__}: {exc}")
                break
        try:
            run = _plus_one(corpus, out, n + run_number - 1, n, args)
        except Exception as exc:
            na(prefix, f"{type(exc).__name__}: {exc}")
            continue
        report(prefix, *run)
        ratios.append(100 * run[0]["total"] / full[n])
        emit(f"{prefix}_ratio", ratios[-1], "%")
    if len(ratios) > 1:
        emit(f"rebuild_{n}_plus1_ratio_median", statistics.median(ratios), "%")
        emit(f"rebuild_{n}_plus1_ratio_median_runs", len(ratios), "count")


def _plus_one(
    corpus: Path, out: Path, number: int, world: int, args: argparse.Namespace
) -> tuple[dict[str, Any], float, float]:
    """The rebuild of `corpus` with one more article (synthetic article `number`, of the
    world of `world` articles), which is removed again afterwards."""
    from graph_builder.synth import write_corpus

    added = data_dir() / "plus1"
    shutil.rmtree(added, ignore_errors=True)
    write_corpus(added, 1, 1, start=number, world_articles=world)
    new_files: list[Path] = []
    try:
        for path in sorted(added.iterdir()):
            new_files.append(corpus / path.name)
            shutil.copy(path, corpus / path.name)
        run: tuple[dict[str, Any], float, float] = run_isolated(
            rebuild_once, str(corpus), str(out), args.jobs, args.neo4j, timeout=args.timeout
        )
        return run
    finally:
        for name in new_files:  # keep the cached corpus at exactly `world` articles
            name.unlink(missing_ok=True)


def _empty(out: Path, keep: Path | None) -> None:
    """Remove the build folder, or everything in it but `keep`."""
    if keep is None or not keep.is_dir():
        shutil.rmtree(out, ignore_errors=True)
        return
    moved = out.with_name(out.name + ".keep")
    shutil.rmtree(moved, ignore_errors=True)
    keep.rename(moved)
    shutil.rmtree(out, ignore_errors=True)
    keep.parent.mkdir(parents=True)
    moved.rename(keep)
    na(f"rebuild_{out.name}_cold_extraction", "extraction cache reused (--reuse-extraction)")


if __name__ == "__main__":
    sys.exit(main())
