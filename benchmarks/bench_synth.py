"""Synthetic corpus generation speed, and the gold files' self-check with the scorer.

Run: .venv/bin/python benchmarks/bench_synth.py [--quick]

Writes 1,000 articles (--quick: 200) to a temporary folder: articles/s, words/s and
peak memory; then scores the gold files' own statements against them (F1 must be 1.0,
or the gold and the scorer disagree).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _bench import emit, is_quick, peak_rss_mib, score, timer
from _bench import unavailable as na


def main() -> None:
    from graph_builder.gold import gold_statements
    from graph_builder.ontology import load_ontology
    from graph_builder.statements import write_statements
    from graph_builder.synth import write_corpus

    n = 200 if is_quick() else 1000
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "corpus"
        with timer() as t:
            summary = write_corpus(out, n, seed=1)
        emit(f"synth_{n}_articles_per_s", n / t[0], "articles/s")
        emit(f"synth_{n}_words_per_s", summary.words / t[0], "words/s")
        emit(f"synth_{n}_words_per_article", summary.words / n, "words")
        emit(f"synth_{n}_gold_statements_per_article", summary.statements / n, "statements")
        emit(f"synth_{n}_peak_rss", peak_rss_mib(), "MiB")
        ontology = load_ontology()
        pred = Path(tmp) / "gold.jsonl"
        write_statements(
            [s for p in sorted(out.glob("*.gold.json")) for s in gold_statements(p, ontology)],
            pred,
        )
        try:
            emit(f"synth_{n}_gold_self_f1", score(out, pred)["f1"], "F1")
        except Exception as exc:
            na(f"synth_{n}_gold_self_f1", f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
