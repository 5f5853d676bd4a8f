"""The extraction cache's files: trusted back without a re-check only while nothing they
were checked under changed, and never when edited or damaged."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import graph_builder.extract_cache as extract_cache
import graph_builder.statements as statements_module
from graph_builder.config import SAMPLE_CORPUS
from graph_builder.extract_cache import PREVIOUS_SUFFIX, SUFFIX, checked, read_cache, write_cache
from graph_builder.ontology import load_ontology
from graph_builder.statements import (
    Statement,
    check_key,
    read_statements,
    statement_from_dict,
    with_changes,
    write_statements,
)

ONTOLOGY = load_ontology()
KEY = check_key(ONTOLOGY)

CURATED = [
    json.loads(line)
    for line in (SAMPLE_CORPUS / "curated.statements.jsonl").read_text().splitlines()
    if line.strip()
]
GOOD = next(row for row in CURATED if row["predicate"] == "leader_of")
# What an extractor may hand over that the checking reader normalises: padding, an int
# confidence, an empty optional, a line separator inside a text, no span.
ROUGH = {
    **GOOD,
    "subject": "  Malik Ishaq\n",
    "evidence": "Ishaq\u2028led LeJ \u00e9",
    "confidence": 1,
    "role": "",
    "span": None,
    "date": "2015-07",
    "extractor": "test/1",
}


def made(*rows: dict[str, object]) -> list[Statement]:
    """Statements as an extractor hands them on: not normalised by the checks."""
    return [
        Statement(**{**row, "span": tuple(row["span"]) if row["span"] else None})  # type: ignore[arg-type]
        for row in rows
    ]


def legacy_read(statements: list[Statement], tmp_path: Path) -> list[Statement]:
    """What the previous cache (JSONL, checked on every read) returned for them."""
    path = tmp_path / "previous.jsonl"
    write_statements(statements, path)
    return read_statements(path, ONTOLOGY)


def cached(tmp_path: Path, statements: list[Statement]) -> Path:
    path = tmp_path / f"doc{SUFFIX}"
    write_cache(path, checked(statements, ONTOLOGY), KEY)
    return path


def refuse_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> Statement:
        raise AssertionError("a trusted cache file was checked again")

    monkeypatch.setattr(extract_cache, "statement_from_dict", refused)
    monkeypatch.setattr(statements_module, "statement_from_dict", refused)


def same(a: list[Statement], b: list[Statement]) -> bool:
    """Equal value by value and type by type (1 == 1.0 and (1, 2) == [1, 2] are not)."""
    return a == b and [repr(dataclasses.astuple(s)) for s in a] == [
        repr(dataclasses.astuple(s)) for s in b
    ]


def test_the_fast_path_returns_what_the_checking_reader_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = made(*CURATED, ROUGH, {**GOOD, "role": "acting", "span": [0, 0]})
    expected = legacy_read(found, tmp_path)
    rough = expected[len(CURATED)]
    assert rough.subject == "Malik Ishaq" and rough.role is None  # normalised
    path = cached(tmp_path, found)
    refuse_checks(monkeypatch)
    back = read_cache(path, ONTOLOGY, KEY)
    assert back is not None and same(back, expected)
    assert type(back[len(CURATED)].confidence) is float and back[len(CURATED)].span is None
    assert type(back[0].span) is tuple and back[0].span == tuple(CURATED[0]["span"])
    assert pickle.dumps(back) == pickle.dumps(expected)  # the same fields, in order
    assert read_cache(cached(tmp_path, []), ONTOLOGY, KEY) == []


@pytest.mark.parametrize(
    "tamper",
    [
        lambda text: text.replace("Tehrik-e-Taliban", "Tehrik-e-Talibam"),  # valid, same size
        lambda text: text.replace("Tehrik-e-Taliban Pakistan", "TTP"),
        lambda text: text.replace('"sha256": "', '"sha256": "0'),
        lambda text: text.replace('"bytes": ', '"bytes": 1'),
        lambda text: text.replace('"bytes": ', '"bytes": 1000000000000'),  # not set aside
        lambda text: text[:-40],  # cut short
        lambda text: text + '["appended"]\n',
        lambda text: text.split("\n", 1)[1],  # no header
        lambda text: text.replace('"doc_id", ', ""),  # rows of other fields
        lambda text: "",
    ],
)
def test_an_edited_or_damaged_cache_file_is_a_miss(
    tmp_path: Path, tamper: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cached(tmp_path, made(GOOD, ROUGH))
    path.write_text(tamper(path.read_text()))  # type: ignore[operator]
    refuse_checks(monkeypatch)  # a miss, not a file checked and then trusted
    assert read_cache(path, ONTOLOGY, KEY) is None


def test_a_changed_ontology_checks_the_cached_statements_again(tmp_path: Path) -> None:
    path = cached(tmp_path, made(GOOD, ROUGH))
    expected = read_cache(path, ONTOLOGY, KEY)
    leader_of = ONTOLOGY.predicates["leader_of"]
    narrower = dataclasses.replace(
        ONTOLOGY,
        predicates={
            **ONTOLOGY.predicates,
            "leader_of": dataclasses.replace(leader_of, range=frozenset({"Organization"})),
        },
    )
    assert check_key(narrower) != KEY and check_key(load_ontology()) == KEY
    assert read_cache(path, narrower, check_key(narrower)) is None  # refused now: a miss

    wider = dataclasses.replace(ONTOLOGY, link_kinds=ONTOLOGY.link_kinds | {"cousin_of"})
    again = read_cache(path, wider, check_key(wider))
    assert again is not None and same(again, expected)  # type: ignore[arg-type]
    header = json.loads(path.read_text().split("\n", 1)[0])
    assert header["check_key"] == check_key(wider)  # rewritten: trusted from now on


def test_a_previous_format_file_is_checked_then_kept_in_this_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = made(GOOD, ROUGH)
    path = tmp_path / f"doc{SUFFIX}"
    previous = path.with_suffix(PREVIOUS_SUFFIX)
    write_statements(found, previous)  # what the previous code cached
    expected = read_statements(previous, ONTOLOGY)
    back = read_cache(path, ONTOLOGY, KEY)
    assert back is not None and same(back, expected)
    assert path.exists() and not previous.exists()
    refuse_checks(monkeypatch)
    again = read_cache(path, ONTOLOGY, KEY)
    assert again is not None and same(again, expected)


def test_a_refused_previous_format_file_is_a_miss_and_stays(tmp_path: Path) -> None:
    path = tmp_path / f"doc{SUFFIX}"
    previous = path.with_suffix(PREVIOUS_SUFFIX)
    previous.write_text(json.dumps({**GOOD, "predicate": "boss_of"}) + "\n")
    assert read_cache(path, ONTOLOGY, KEY) is None
    assert read_cache(tmp_path / f"absent{SUFFIX}", ONTOLOGY, KEY) is None
    assert not path.exists() and previous.exists()


def test_check_key_follows_what_the_check_reads() -> None:
    modality = dataclasses.replace(ONTOLOGY, modalities={**ONTOLOGY.modalities, "rumoured": 0})
    types = dataclasses.replace(
        ONTOLOGY, types={**ONTOLOGY.types, "Ship": ONTOLOGY.types["Person"]}
    )
    symmetric = dataclasses.replace(
        ONTOLOGY,
        predicates={
            **ONTOLOGY.predicates,
            "leader_of": dataclasses.replace(ONTOLOGY.predicates["leader_of"], symmetric=True),
        },
    )
    keys = {KEY, *(check_key(o) for o in (modality, types, symmetric))}
    assert len(keys) == 4


def test_with_changes_equals_dataclasses_replace() -> None:
    statement = statement_from_dict(ROUGH, ONTOLOGY)
    assert statement.statement_id  # cached on the original
    fast = with_changes(statement, subject="Ishaq", object="LeJ", subject_id="a", object_id="b")
    slow = dataclasses.replace(
        statement, subject="Ishaq", object="LeJ", subject_id="a", object_id="b"
    )
    assert same([fast], [slow]) and pickle.dumps(fast) == pickle.dumps(slow)
    assert fast.statement_id == slow.statement_id != statement.statement_id
    assert statement.subject == "Malik Ishaq"  # the original is left as it was
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.subject = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="colour"):
        with_changes(statement, colour="red")
    assert not hasattr(Statement, "__post_init__")  # with_changes skips __init__


def test_a_rebuild_reads_back_what_the_checking_reader_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The extract stage caches the checked (normalised) statements, so the next rebuild
    gets from the trusted file what the previous code's checked re-read gave."""
    import graph_builder.extract as extract
    from graph_builder.documents import find_articles, read_documents
    from graph_builder.extract.extractor import Extractions
    from graph_builder.pipeline import extract_with_cache

    found = made(GOOD, ROUGH)

    class Extractor:  # hands on rough statements, as a real one might
        def __init__(self, ontology: object) -> None:
            pass

        def start(self, docs: list[Any], jobs: int, warm: object = None) -> object:
            return Extractions(iter([(doc, found) for doc in docs]))

    monkeypatch.setattr(extract, "Extractor", Extractor)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / f"{GOOD['doc_id']}.txt").write_text("Some article text.\n")
    docs, _ = read_documents(find_articles([tmp_path / "corpus"]))
    first = extract_with_cache(docs, ONTOLOGY, tmp_path / "out", jobs=1)
    assert first.cached == 0 and first.statements == found  # as extracted, as before
    expected = legacy_read(found, tmp_path)
    refuse_checks(monkeypatch)
    second = extract_with_cache(docs, ONTOLOGY, tmp_path / "out", jobs=1)
    assert second.cached == 1 and same(second.statements, expected)


def test_previous_format_files_are_upgraded_not_extracted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first rebuild after upgrading reads the previous format's files: no document
    goes to the extractor (the early start must not take them for new ones)."""
    import graph_builder.extract as extract
    from graph_builder.documents import find_articles, read_documents
    from graph_builder.extract.extractor import Extractions
    from graph_builder.pipeline import extract_with_cache

    found = made(GOOD, ROUGH)
    started: list[list[object]] = []

    class Extractor:
        def __init__(self, ontology: object) -> None:
            pass

        def start(self, docs: list[Any], jobs: int, warm: object = None) -> object:
            started.append(list(docs))
            return Extractions(iter([(doc, found) for doc in docs]))

    monkeypatch.setattr(extract, "Extractor", Extractor)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / f"{GOOD['doc_id']}.txt").write_text("Some article text.\n")
    docs, _ = read_documents(find_articles([tmp_path / "corpus"]))
    out = tmp_path / "out"
    extract_with_cache(docs, ONTOLOGY, out, jobs=2)
    assert started == [docs]
    (cache,) = (out / "cache" / "extract").glob(f"*{SUFFIX}")
    previous = cache.with_suffix(PREVIOUS_SUFFIX)
    cached = read_cache(cache, ONTOLOGY, KEY)
    assert cached is not None
    write_statements(cached, previous)  # what the previous code cached
    cache.unlink()
    expected = read_statements(previous, ONTOLOGY)
    second = extract_with_cache(docs, ONTOLOGY, out, jobs=2)
    assert started == [docs]  # no second start
    assert second.cached == 1 and same(second.statements, expected)
    assert cache.exists() and not previous.exists()
