"""Extraction quality beside speed on synthetic articles, at jobs=1 and jobs=2.

Run: .venv/bin/python benchmarks/bench_synth_extract.py [--quick] [--articles N]
     [--corpus DIR] [--jobs 1 2]

Extracts N synthetic articles (default 300, --quick 60; or the first N of an existing
`milgraph synth` folder given with --corpus) with Extractor.extract_all and scores the raw
statements (before cross-document resolution) against the gold files with the shared
scorer, so a faster extractor can never silently cost recall. Also reports whether every
jobs setting produced exactly the statements of the first one. Timings exclude loading
the model in this process, but include starting the workers (and their models) for jobs>1;
`cpu_per_article` is the CPU time of this process and its workers per article.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from _bench import calibration_seconds, emit, is_quick, score, synthetic_corpus, timer
from _bench import unavailable as na


def _cpu_seconds(times: os.times_result) -> float:
    """CPU time of this process and its finished children (the workers, once the pool
    is closed): less sensitive than wall time to other work on a shared machine."""
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--corpus", type=Path, default=None, help="existing synth folder")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    n = args.articles or (60 if is_quick() else 300)
    try:
        from graph_builder.documents import find_articles, read_documents
        from graph_builder.extract import Extractor
    except ImportError as exc:
        na(f"synth_extract_{n}", f"extractor not importable: {exc}")
        return
    from graph_builder.ontology import load_ontology
    from graph_builder.statements import write_statements

    corpus = args.corpus or synthetic_corpus(1000 if n <= 1000 else n)
    docs, _ = read_documents(find_articles([corpus]))
    docs = docs[:n]
    n = len(docs)
    words = sum(len(d.text.split()) for d in docs)
    emit("machine_calibration_loop", calibration_seconds(), "s")
    emit("machine_load_average", os.getloadavg()[0], "load")
    emit(f"synth_extract_{n}_words_per_article", words / max(n, 1), "words")
    extractor = Extractor(load_ontology())
    extractor.extract(docs[0])  # load the model before timing
    first: list[object] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp) / "gold"
        gold.mkdir()
        for d in docs:  # score against exactly these documents
            name = Path(d.path).name.removesuffix(".txt") + ".gold.json"
            (gold / name).write_bytes((corpus / name).read_bytes())
        for jobs in args.jobs:
            before = os.times()
            with timer() as t:
                found = [s for _, st in extractor.extract_all(docs, jobs=jobs) for s in st]
            cpu = _cpu_seconds(os.times()) - _cpu_seconds(before)
            emit(f"synth_extract_{n}_jobs{jobs}_rate", n / t[0], "articles/s")
            emit(f"synth_extract_{n}_jobs{jobs}_cpu_per_article", 1000 * cpu / n, "ms")
            emit(f"synth_extract_{n}_jobs{jobs}_words", words / t[0], "words/s")
            emit(f"synth_extract_{n}_jobs{jobs}_load_average", os.getloadavg()[0], "load")
            emit(f"synth_extract_{n}_jobs{jobs}_statements", len(found), "statements")
            if first is not None:
                same = "yes" if found == first else "no"
                emit(f"synth_extract_{n}_jobs{jobs}_same_as_jobs{args.jobs[0]}", same)
                continue
            first = list(found)
            pred = Path(tmp) / "pred.jsonl"
            write_statements(found, pred)
            try:
                micro = score(gold, pred)
            except Exception as exc:
                na(f"synth_extract_{n}_f1", f"{type(exc).__name__}: {exc}")
                continue
            emit(f"synth_extract_{n}_f1", micro["f1"], "F1")
            emit(f"synth_extract_{n}_precision", micro["p"], "P")
            emit(f"synth_extract_{n}_recall", micro["r"], "R")


if __name__ == "__main__":
    main()
