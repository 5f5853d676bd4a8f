"""The extraction cache's pack: it serves a cache file's statements only while the file
is as the pack recorded it; a damaged pack, or a deleted article, serves nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from test_extract_cache import GOOD, KEY, ONTOLOGY, made

import graph_builder.extract_cache as extract_cache
from graph_builder.extract_cache import SUFFIX, read_cache, write_cache
from graph_builder.statements import with_changes

HOUR_NS = 3600 * 10**9


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two articles, an extractor that records what it is given, and the reads of
    cache files the extract stage makes."""
    import graph_builder.extract as extract
    import graph_builder.pipeline as pipeline
    from graph_builder.extract.extractor import Extractions

    extracted: list[str] = []
    reads: list[str] = []

    class Extractor:
        def __init__(self, ontology: object) -> None:
            pass

        def start(self, docs: list[Any], jobs: int, warm: object = None) -> object:
            extracted.extend(doc.doc_id for doc in docs)
            return Extractions(iter([(doc, found(doc.doc_id)) for doc in docs]))

    def reading(*args: Any) -> Any:
        reads.append(args[0].name)
        return read_cache(*args)

    monkeypatch.setattr(extract, "Extractor", Extractor)
    monkeypatch.setattr(pipeline, "read_cache", reading)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("alpha", "beta"):
        (folder / f"{name}.txt").write_text(f"The article {name}.\n")
    return {"corpus": folder, "out": tmp_path / "out", "extracted": extracted, "reads": reads}


def found(doc_id: str) -> list[Any]:
    return [with_changes(s, doc_id=doc_id) for s in made(GOOD)]


def extract(setup: dict[str, Any]) -> Any:
    from graph_builder.documents import find_articles, read_documents
    from graph_builder.pipeline import extract_with_cache

    setup["extracted"].clear()
    setup["reads"].clear()
    docs, _ = read_documents(find_articles([setup["corpus"]]))
    return extract_with_cache(docs, ONTOLOGY, setup["out"], jobs=1)


def files(setup: dict[str, Any]) -> list[Path]:
    return sorted((setup["out"] / "cache" / "extract").glob(f"*{SUFFIX}"))


def age(paths: list[Path], by_ns: int = HOUR_NS) -> None:
    """Files written an hour ago (a file as new as the run that reads it is not packed)."""
    for path in paths:
        then = time.time_ns() - by_ns
        os.utime(path, ns=(then, then))


def packed(setup: dict[str, Any]) -> Any:
    """A first extraction, then one that packs the (aged) files; the first's result."""
    first = extract(setup)
    age(files(setup))
    assert extract(setup).statements == first.statements
    assert len(setup["reads"]) == 2  # read from the files, then packed
    assert temporaries(setup) == []  # the clock's file, made in the folder, is gone
    return first


def pack_path(setup: dict[str, Any]) -> Path:
    return setup["out"] / "cache" / "extract.pack"


def temporaries(setup: dict[str, Any]) -> list[Path]:
    """The pack's clock files and atomic_write_bytes's temporaries left in the cache folder."""
    return list(pack_path(setup).parent.glob(".extract.pack.*"))


def test_the_pack_serves_unchanged_files(corpus: dict[str, Any]) -> None:
    first = packed(corpus)
    third = extract(corpus)
    assert corpus["reads"] == [] and corpus["extracted"] == []
    assert third.statements == first.statements and third.cached == 2
    assert temporaries(corpus) == []  # after a run that saved nothing


def test_what_a_run_extracted_is_served_from_the_pack_next_time(corpus: dict[str, Any]) -> None:
    """The rebuild after a full one reads no cache file: the fresh rows were packed."""
    first = extract(corpus)
    assert len(corpus["extracted"]) == 2 and first.cached == 0
    assert pack_path(corpus).exists() and temporaries(corpus) == []  # saved, no clock file
    second = extract(corpus)
    assert corpus["reads"] == [] and corpus["extracted"] == []
    assert second.statements == first.statements and second.cached == 2


def test_a_changed_file_is_read_not_taken_from_the_pack(corpus: dict[str, Any]) -> None:
    first = packed(corpus)
    changed = files(corpus)[0]
    statements = read_cache(changed, ONTOLOGY, KEY)
    assert statements is not None
    write_cache(changed, [with_changes(s, confidence=0.5) for s in statements], KEY)
    third = extract(corpus)
    assert corpus["reads"] == [changed.name]
    assert third.statements != first.statements
    assert sorted(s.confidence for s in third.statements) == [0.5, GOOD["confidence"]]
    assert extract(corpus).statements == third.statements


def test_a_file_newer_than_the_run_is_not_packed(corpus: dict[str, Any]) -> None:
    """Its mtime could stay the same through a change made in the same clock tick."""
    extract(corpus)
    age(files(corpus), by_ns=-HOUR_NS)  # an hour ahead
    extract(corpus)
    extract(corpus)
    assert len(corpus["reads"]) == 2


def test_a_deleted_cache_file_is_extracted_again(corpus: dict[str, Any]) -> None:
    first = packed(corpus)
    files(corpus)[0].unlink()
    third = extract(corpus)
    assert len(corpus["extracted"]) == 1 and third.cached == 1
    assert third.statements == first.statements


def test_a_damaged_pack_is_ignored(corpus: dict[str, Any]) -> None:
    first = packed(corpus)
    data = bytearray(pack_path(corpus).read_bytes())
    data[-10] ^= 0xFF
    pack_path(corpus).write_bytes(bytes(data))
    third = extract(corpus)
    assert len(corpus["reads"]) == 2 and third.statements == first.statements
    assert extract(corpus).statements == first.statements
    assert corpus["reads"] == []  # written again, whole


def test_a_deleted_articles_rows_are_not_served_nor_kept(corpus: dict[str, Any]) -> None:
    packed(corpus)
    (corpus["corpus"] / "beta.txt").unlink()
    third = extract(corpus)
    assert {s.doc_id for s in third.statements} == {"alpha"} and third.cached == 1
    alpha = [p.name for p in files(corpus) if read_cache(p, ONTOLOGY, KEY)[0].doc_id == "alpha"]  # type: ignore[index]
    assert list(extract_cache._read_pack(pack_path(corpus), KEY)) == alpha  # rewritten


def test_a_pack_of_another_check_key_is_empty(corpus: dict[str, Any]) -> None:
    packed(corpus)
    assert len(extract_cache._read_pack(pack_path(corpus), KEY)) == 2
    assert extract_cache._read_pack(pack_path(corpus), "another key") == {}
