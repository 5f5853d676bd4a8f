"""Gold annotation files (NAME.gold.json, see corpus/) turned into curated statements."""

from __future__ import annotations

import json
from pathlib import Path

from graph_builder.errors import InputError
from graph_builder.ontology import Ontology
from graph_builder.statements import Statement, statement_from_dict


def gold_statements(gold_path: str | Path, ontology: Ontology) -> list[Statement]:
    """The required statements of a gold file as interchange-format statements.

    Evidence spans are located in the article beside the gold file (NAME.txt); a sentence
    that cannot be found there gets a null span rather than an invented one.
    """
    gold_path = Path(gold_path)
    try:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(gold_path, None, f"cannot read gold file: {exc}") from None
    article = gold_path.with_name(gold_path.name.removesuffix(".gold.json") + ".txt")
    text = article.read_text(encoding="utf-8") if article.exists() else ""
    entities = {e["id"]: e for e in gold.get("entities", [])}
    statements = []
    for number, item in enumerate(gold.get("statements", []), start=1):
        subject, obj = entities.get(item.get("subject")), entities.get(item.get("object"))
        if subject is None or obj is None:
            raise InputError(gold_path, None, f"statement {number} names an unknown entity id")
        start = text.find(item["evidence"]) if text else -1
        record = {
            "doc_id": gold["doc_id"],
            "subject": subject["name"],
            "subject_type": subject["type"],
            "predicate": item["predicate"],
            "object": obj["name"],
            "object_type": obj["type"],
            "evidence": item["evidence"],
            "span": [start, start + len(item["evidence"])] if start >= 0 else None,
            "modality": item["modality"],
            "confidence": 1.0,
            "date": gold.get("date"),
            "extractor": "curated",
        }
        statements.append(statement_from_dict(record, ontology, gold_path, number))
    return statements
