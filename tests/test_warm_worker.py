"""The extraction worker started before the corpus is read (--jobs >= 2), and the record
of the corpus's folders that decides when to start it."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_pipeline import small_corpus, statements_of

from graph_builder import corpus_folders
from graph_builder.config import SAMPLE_CORPUS
from graph_builder.documents import read_documents
from graph_builder.extract import Extractor
from graph_builder.ontology import load_ontology
from graph_builder.pipeline import RebuildOptions, rebuild

ONTOLOGY = load_ontology()
OLD = 1_000_000_000  # a folder time long past, so a change now always differs from it


def _aged(*folders: Path) -> None:
    for folder in folders:
        os.utime(folder, ns=(OLD, OLD))


def test_folders_changed_only_when_an_entry_was_added_removed_or_renamed(
    tmp_path: Path,
) -> None:
    corpus, sub = tmp_path / "corpus", tmp_path / "corpus" / "2024"
    sub.mkdir(parents=True)
    (sub / "a.txt").write_text("One.", encoding="utf-8")
    record = tmp_path / "folders.json"
    assert not corpus_folders.changed(record, corpus)  # no record: nothing to compare
    _aged(corpus, sub)
    corpus_folders.record(record, corpus, [str(sub / "a.txt")])
    assert not corpus_folders.changed(record, corpus)
    (sub / "a.txt").write_text("One, edited in place.", encoding="utf-8")
    assert not corpus_folders.changed(record, corpus)  # found by its content instead
    assert not corpus_folders.changed(record, tmp_path / "other")  # another corpus
    (sub / "b.txt").write_text("Two.", encoding="utf-8")
    assert corpus_folders.changed(record, corpus)
    _aged(sub)
    assert not corpus_folders.changed(record, corpus)
    (sub / "b.txt").rename(sub / "c.txt")
    assert corpus_folders.changed(record, corpus)
    _aged(sub)
    (corpus / "2025").mkdir()  # a new folder shows in its parent's time
    assert corpus_folders.changed(record, corpus)
    shape = json.dumps({"corpus": str(corpus), "folders": []})
    for damaged in ("{not json", shape, "[]"):
        record.write_text(damaged, encoding="utf-8")
        assert not corpus_folders.changed(record, corpus)


def test_a_worker_starts_before_the_read_when_an_article_was_added(tmp_path: Path) -> None:
    """After an article is added, --jobs 2 starts a worker before the corpus is read;
    the statements are those one process gives. Without a change, none starts."""
    corpus, out = small_corpus(tmp_path), tmp_path / "out"
    options = RebuildOptions(corpus=corpus, out=out, jobs=2)
    running_at_read: list[int] = []

    def on_stage(name: str) -> None:
        if name == "read":  # the worker is running, or a thread is starting it
            starting = any(t.name == "warm extraction worker" for t in threading.enumerate())
            running_at_read.append(len(multiprocessing.active_children()) or int(starting))

    rebuild(options, ONTOLOGY, on_stage=on_stage)  # no record yet: no early worker
    rebuild(options, ONTOLOGY, on_stage=on_stage)  # nothing changed
    shutil.copy(SAMPLE_CORPUS / "baitullah-2009-08-25.txt", corpus)
    result = rebuild(options, ONTOLOGY, on_stage=on_stage)
    assert running_at_read == [0, 0, 1]
    assert result.cached_documents == 2 and result.documents == 3
    one = rebuild(RebuildOptions(corpus=corpus, out=tmp_path / "one"), ONTOLOGY)
    assert one.statements == result.statements
    assert statements_of(out) == statements_of(tmp_path / "one")


def test_a_worker_that_cannot_start_only_loses_the_head_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The start runs in a thread: its error is kept, and start() uses workers of its own."""
    extractor = Extractor(ONTOLOGY)
    real_pool = Extractor._pool

    def refusing(self: Extractor, workers: int, batch_size: int) -> Any:
        pool = real_pool(self, workers, batch_size)

        def refused(*args: Any, **kwargs: Any) -> Any:
            raise OSError("spawn refused")

        pool.submit = refused  # type: ignore[method-assign]
        return pool

    monkeypatch.setattr(Extractor, "_pool", refusing)
    warm = extractor.warm()
    assert not warm.started() and isinstance(warm.failures[0], OSError)
    monkeypatch.setattr(Extractor, "_pool", real_pool)
    docs, _ = read_documents([SAMPLE_CORPUS / "baitullah-2009-08-25.txt"])
    found = list(extractor.start(docs, 2, warm=warm))
    assert [statements for _, statements in found] == [extractor.extract(docs[0])]
    assert found[0][1]  # the article has statements: the comparison says something


def test_a_worker_whose_start_never_ends_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed while it starts can leave its start waiting forever (see
    WarmWorker.started): the extraction gives it up after the timeout and starts its own
    workers, and stopping it does not wait for the stuck start either."""
    from graph_builder.extract import extractor as extractor_module

    monkeypatch.setattr(extractor_module, "WARM_START_TIMEOUT", 0.2)
    extractor = Extractor(ONTOLOGY)
    real_pool = Extractor._pool
    release = threading.Event()
    shut_down: list[bool] = []

    def stuck(self: Extractor, workers: int, batch_size: int) -> Any:
        pool = real_pool(self, workers, batch_size)
        pool.submit = lambda *args, **kwargs: release.wait()  # type: ignore[method-assign]
        pool.shutdown = lambda *args, **kwargs: shut_down.append(True)  # type: ignore[method-assign]
        return pool

    monkeypatch.setattr(Extractor, "_pool", stuck)
    unstuck = threading.Timer(30, release.set)  # a failure, not a hang, if never given up
    unstuck.start()
    warm = extractor.warm()
    try:
        assert not warm.started() and isinstance(warm.failures[0], TimeoutError)
        monkeypatch.setattr(Extractor, "_pool", real_pool)
        docs, _ = read_documents([SAMPLE_CORPUS / "baitullah-2009-08-25.txt"])
        found = list(extractor.start(docs, 2, warm=warm))
        assert [statements for _, statements in found] == [extractor.extract(docs[0])]
        assert found[0][1] and shut_down == []  # the stuck pool was left alone
        waiting = time.perf_counter()
        warm.stop()  # given up once: not waited for again
        assert time.perf_counter() - waiting < 0.1 and shut_down == []
    finally:
        unstuck.cancel()
        release.set()
        warm.starting.join()


def test_a_worker_started_before_the_driver_is_the_one_the_rebuild_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`milgraph rebuild` starts the worker before importing and connecting the Neo4j
    driver: the rebuild takes that worker (it starts none of its own), and a caller that
    fails before the rebuild (Neo4j unreachable) has it stopped."""
    import graph_builder.pipeline as pipeline
    from graph_builder.extract.extractor import WarmWorker

    corpus, out = small_corpus(tmp_path), tmp_path / "out"
    options = RebuildOptions(corpus=corpus, out=out, jobs=2)
    rebuild(options, ONTOLOGY)  # records the folders
    shutil.copy(SAMPLE_CORPUS / "baitullah-2009-08-25.txt", corpus)
    stopped: list[WarmWorker] = []
    stop = WarmWorker.stop

    def stopping(self: WarmWorker) -> None:
        stopped.append(self)
        stop(self)

    monkeypatch.setattr(WarmWorker, "stop", stopping)
    with pytest.raises(RuntimeError), pipeline.warm_extraction(options, ONTOLOGY) as warm:
        assert warm is not None
        raise RuntimeError("Neo4j unreachable")
    assert stopped == [warm]

    def no_second_worker(*args: Any) -> None:
        raise AssertionError("the rebuild started a worker of its own")

    taken: list[Any] = []
    start = Extractor.start

    def starting(self: Extractor, *args: Any, **kwargs: Any) -> Any:
        taken.append(kwargs.get("warm"))
        return start(self, *args, **kwargs)

    monkeypatch.setattr(Extractor, "start", starting)
    with pipeline.warm_extraction(options, ONTOLOGY) as warm:
        assert warm is not None
        monkeypatch.setattr(pipeline, "_warm_worker", no_second_worker)
        result = rebuild(options, ONTOLOGY, warm=warm)
    assert taken == [warm]  # the new article went to the worker started first
    assert result.cached_documents == 2 and result.documents == 3
    monkeypatch.undo()
    one = rebuild(RebuildOptions(corpus=corpus, out=tmp_path / "one"), ONTOLOGY)
    assert one.statements == result.statements
