"""Extraction throughput on the bundled corpus repeated to at least 500 articles.

Run: .venv/bin/python benchmarks/bench_extract.py [--articles N] [--jobs 1 2]
Prints `name value unit` lines: articles/s and words/s at each jobs setting, with the
load average beside them (the machine is shared: compare runs by ratio).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from _bench import calibration_seconds, emit, timer

from graph_builder.config import SAMPLE_CORPUS
from graph_builder.documents import read_documents
from graph_builder.extract import Extractor
from graph_builder.ontology import load_ontology


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    base, _ = read_documents([SAMPLE_CORPUS])
    if not base:
        raise SystemExit(f"no articles in {SAMPLE_CORPUS}")
    docs = [
        replace(base[i % len(base)], doc_id=f"{base[i % len(base)].doc_id}-{i}")
        for i in range(max(args.articles, len(base)))
    ]
    words = sum(len(d.text.split()) for d in docs)
    emit("machine_calibration_loop", calibration_seconds(), "s")
    extractor = Extractor(load_ontology())
    extractor.extract(base[0])  # warm up
    for jobs in args.jobs:
        with timer() as t:
            count = sum(len(found) for _, found in extractor.extract_all(docs, jobs=jobs))
        emit(f"extract_articles_per_s_jobs{jobs}", len(docs) / t[0], "articles/s")
        emit(f"extract_words_per_s_jobs{jobs}", words / t[0], "words/s")
        emit(f"extract_load_average_jobs{jobs}", os.getloadavg()[0], "load")
        emit(f"extract_statements_jobs{jobs}", count, "statements")


if __name__ == "__main__":
    main()
