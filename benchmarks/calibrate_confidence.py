"""Refit the extractor's confidence table on gold articles.

Runs the extractor over every article with a ``NAME.gold.json`` in the given folders,
judges each statement against its gold file (as ``../shared/tools/score-extraction``
does), and writes the add-one smoothed precision of each pattern family (and
family/modality cell) to ``graph_builder/data/confidence.json``.

Run: .venv/bin/python benchmarks/calibrate_confidence.py [--gold DIR ...] [--out FILE]
(default: the bundled dev corpus, ``corpus/``). Prints the table it wrote.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graph_builder.config import SAMPLE_CORPUS
from graph_builder.documents import read_documents
from graph_builder.extract import Extractor
from graph_builder.extract.calibration import (
    DEFAULT_CONFIDENCE,
    Judged,
    fit,
    read_gold,
    save,
    smoothed,
)
from graph_builder.ontology import load_ontology


def judge_folders(extractor: Extractor, folders: list[Path]) -> list[Judged]:
    """Every judgeable statement the extractor finds in the gold articles of `folders`."""
    rows = []
    for folder in folders:
        gold = read_gold(folder)
        docs, _ = read_documents([folder / f"{name}.txt" for name in gold])
        for doc in docs:
            article = gold[doc.doc_id]
            for statement, family in extractor.extract_with_families(doc):
                triple = (statement.subject, statement.predicate, statement.object)
                verdict = article.verdict(triple)
                if verdict is not None:
                    rows.append(Judged(family, statement.modality, verdict))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gold", type=Path, action="append", help="folder of gold articles")
    parser.add_argument("--out", type=Path, default=DEFAULT_CONFIDENCE)
    args = parser.parse_args()
    folders = args.gold or [SAMPLE_CORPUS]
    rows = judge_folders(Extractor(load_ontology()), folders)
    table = fit(rows)
    save(table, args.out, ", ".join(str(f.name or f) for f in folders) + " gold articles")
    print(f"judged {len(rows)} statements; wrote {args.out}")
    for key, (right, total) in sorted(table.counts.items()):
        family, _, modality = key.partition("/")
        value = table.of(family, modality) if key != "*" else smoothed(right, total)
        print(f"  {key:24} {right:4}/{total:<4} confidence {value}")


if __name__ == "__main__":
    main()
