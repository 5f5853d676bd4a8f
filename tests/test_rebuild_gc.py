"""The cyclic collector is paused for a whole graph build, and restored after it."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from graph_builder import gcpause
from graph_builder.config import SAMPLE_CORPUS
from graph_builder.errors import ValidationError
from graph_builder.ontology import load_ontology
from graph_builder.pipeline import RebuildOptions, build_graph
from graph_builder.statements import Statement, read_statements

ONTOLOGY = load_ontology()


def curated() -> list[Statement]:
    return read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ONTOLOGY)


def test_no_collection_runs_during_a_build_and_the_collector_is_back_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collections: list[int] = []
    resumed: list[bool] = []

    def enable() -> None:  # the build's pause ends: collections due since may run now
        resumed.append(True)
        gc.enable()

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and not resumed:
            collections.append(info["generation"])

    pausing = SimpleNamespace(
        isenabled=gc.isenabled,
        disable=gc.disable,
        enable=enable,
        get_freeze_count=gc.get_freeze_count,
        freeze=gc.freeze,
        unfreeze=gc.unfreeze,
    )
    monkeypatch.setattr(gcpause, "gc", pausing)

    stages_with_collector_on = []
    gc.callbacks.append(count)
    try:
        build_graph(
            curated(),
            [],
            RebuildOptions(out=tmp_path / "out", prune=True),
            ONTOLOGY,
            on_stage=lambda name: stages_with_collector_on.append(name) if gc.isenabled() else None,
        )
    finally:
        gc.callbacks.remove(count)
    # only the RDF stage's own sweeps of the young generation (rdflib's cycles), never
    # the collector's passes over older objects
    assert set(collections) <= {0}
    assert stages_with_collector_on == []
    assert resumed == [True] and gc.isenabled()  # the outermost pause only


def test_the_collector_is_back_after_a_failed_build(tmp_path: Path) -> None:
    bad = curated()
    bad[0] = replace(bad[0], object="Nowhere", object_type="Location")
    with pytest.raises(ValidationError):
        build_graph(bad, [], RebuildOptions(out=tmp_path / "out"), ONTOLOGY)
    assert gc.isenabled()


def in_generation(obj: object, generation: int) -> bool:
    return any(o is obj for o in gc.get_objects(generation=generation))


def test_objects_made_in_a_pause_leave_it_in_the_oldest_generation() -> None:
    """Else the first young collection after a long pause scans all it made."""
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with gcpause.gc_paused():
        with gcpause.gc_paused():
            inner = [[] for _ in range(1000)]
        assert in_generation(inner[0], 0)  # an inner pause leaves them to the outer one
        outer = [[] for _ in range(1000)]
    assert gc.isenabled()
    assert not in_generation(inner[0], 0) and not in_generation(outer[-1], 0)
    assert in_generation(inner[0], 2) and in_generation(outer[-1], 2)


def test_objects_someone_else_froze_stay_frozen() -> None:
    thresholds = gc.get_threshold()
    gc.set_threshold(10**9)  # no collection of its own moves them meanwhile
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gcpause.gc_paused():
            made = [[] for _ in range(1000)]
        assert gc.get_freeze_count() == frozen and in_generation(made[0], 0)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
