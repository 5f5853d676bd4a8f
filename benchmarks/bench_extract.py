"""Extraction throughput on the bundled corpus repeated to at least 500 articles.

Run: .venv/bin/python benchmarks/bench_extract.py [--articles N]
Prints `name value unit` lines: articles/s and words/s at jobs=1 and jobs=2.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from graph_builder.config import SAMPLE_CORPUS
from graph_builder.documents import read_documents
from graph_builder.extract import Extractor
from graph_builder.ontology import load_ontology


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=500)
    args = parser.parse_args()
    base, _ = read_documents([SAMPLE_CORPUS])
    if not base:
        raise SystemExit(f"no articles in {SAMPLE_CORPUS}")
    docs = [
        replace(base[i % len(base)], doc_id=f"{base[i % len(base)].doc_id}-{i}")
        for i in range(max(args.articles, len(base)))
    ]
    words = sum(len(d.text.split()) for d in docs)
    extractor = Extractor(load_ontology())
    extractor.extract(base[0])  # warm up
    for jobs in (1, 2):
        start = time.perf_counter()
        count = sum(len(found) for _, found in extractor.extract_all(docs, jobs=jobs))
        elapsed = time.perf_counter() - start
        print(f"extract_articles_per_s_jobs{jobs} {len(docs) / elapsed:.1f} articles/s")
        print(f"extract_words_per_s_jobs{jobs} {words / elapsed:.0f} words/s")
        print(f"extract_statements_jobs{jobs} {count} statements")


if __name__ == "__main__":
    main()
