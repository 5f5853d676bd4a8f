"""records.bin known by the records it was written for: reused whole only for those."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from test_rdf_fragments import documents, gold_resolution, same

from graph_builder import rdf_fragments
from graph_builder.config import DEFAULT_BASE_IRI
from graph_builder.ontology import Ontology


def test_the_store_is_reused_whole_only_for_the_records_it_was_written_for(
    ontology: Ontology, tmp_path: Path
) -> None:
    res = gold_resolution(ontology)
    docs = documents(res)
    cache = tmp_path / "cache"
    first = rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache)
    store = rdf_fragments._Store.read(cache / "records.bin")
    assert store.source is not None and store.entities == len(first.entities)
    fewer = dataclasses.replace(res, merges=res.merges[1:])
    again = rdf_fragments.build(fewer, docs, ontology, DEFAULT_BASE_IRI, cache)
    assert same(again, rdf_fragments.build(fewer, docs, ontology, DEFAULT_BASE_IRI, None))
    assert again.merges_trig != first.merges_trig
    assert rdf_fragments._Store.read(cache / "records.bin").source != store.source
    assert same(rdf_fragments.build(res, docs, ontology, DEFAULT_BASE_IRI, cache), first)
