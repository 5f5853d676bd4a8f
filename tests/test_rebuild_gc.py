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

    pausing = SimpleNamespace(isenabled=gc.isenabled, disable=gc.disable, enable=enable)
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
