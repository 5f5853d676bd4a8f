"""The rebuild's RDF stage one document at a time, cached, so one new article costs one
article's RDF work.

A document's *fragment* is its ``mg:Document`` record and its assertions (provenance
graph) and the facts it supports (its own graph): everything in the dataset that comes
from that document (see :mod:`graph_builder.rdf`). A fragment is built, serialised to
TriG, validated against the SHACL shapes and read back into statements once, then kept
in ``OUT/cache/rdf`` under a key that covers all it is made of: the document record, its
resolved statements with the types of the entities they name, the base IRI and the
ontology and shapes files. Entity and merge records depend on the whole corpus: those
known to conform come from ``records.bin``, the others are validated in chunks, by the
same worker processes as the batches of new fragments.

Validating fragment by fragment finds exactly what validating the whole dataset finds,
because every shape is local to its record (see
:func:`graph_builder.validate.validate_graph`); the fragments of a batch are validated
together with the types of the entities they name. ``graph.trig`` is the header, the
entities, each fragment in document order and the merges: the same quads as
:func:`graph_builder.rdf.build_dataset` gives, written without holding the dataset.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import multiprocessing
import os
import sys
import time
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from functools import partial
from importlib.metadata import version
from itertools import accumulate, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, TypeVar

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from graph_builder import rdf, sidework, validate
from graph_builder.analysis import atomic_write_bytes
from graph_builder.errors import OntologyError
from graph_builder.gcpause import gc_paused
from graph_builder.model import DocumentInfo, Entity, GraphData
from graph_builder.ontology import Ontology, load_ontology
from graph_builder.resolve import MergeDecision, Resolution, entity_iri
from graph_builder.statements import Statement
from graph_builder.validate import Violation

# Bump when what a fragment holds or how it is keyed changes: old cache entries then miss.
FRAGMENT_VERSION = "3"  # 3: keys and record digests of marshalled values; records.bin
# What a fragment also depends on: the code that writes and checks it, the libraries.
_CODE = tuple(
    Path(__file__).with_name(name) for name in ("rdf.py", "validate.py", "rdf_fragments.py")
)
_LIBRARIES = ("rdflib", "pyshacl", "pyoxigraph")
# Fragments validated per pyshacl call: big enough to amortise its set-up, small enough
# that memory stays flat however large the corpus.
VALIDATION_BATCH = 250
# New entity and merge records validated per pyshacl call (about as many triples as a
# batch of fragments).
RECORDS_BATCH = 10_000
T = TypeVar("T")


@dataclass(frozen=True)
class Fragment:
    """One document's share of the dataset, as built, validated and read back."""

    doc_id: str
    key: str
    trig: bytes  # TriG without @prefix lines (the file's header declares them)
    document: DocumentInfo  # read back from the RDF
    statements: tuple[Statement, ...]  # read back from the RDF, in the RDF's order
    violations: tuple[Violation, ...]


@dataclass(frozen=True)
class RdfBuild:
    """The dataset in pieces: what `graph.trig` is written from and GraphData read from."""

    prefixes: dict[str, str]
    entities_trig: bytes
    fragments: tuple[Fragment, ...]  # in document order
    merges_trig: bytes
    entities: dict[str, Entity]  # read back from the RDF
    violations: tuple[Violation, ...]  # sorted by document and statement
    cached: int  # fragments that came from the cache

    def graph_data(self, ontology: Ontology) -> GraphData:
        """Entities, relations, documents and mentions, as :func:`rdf.graph_data` reads
        them from the whole dataset."""
        # ~140k supports and relations beside the millions of objects the build holds:
        # nothing cyclic to collect, and the collector's passes would rescan them all.
        with gc_paused():
            return rdf.assemble_graph_data(
                self.entities,
                {f.doc_id: f.document for f in self.fragments},
                (s for f in self.fragments for s in f.statements),
                ontology,
            )

    def reads_back_as(
        self,
        entities: dict[str, Entity],
        documents: Iterable[DocumentInfo],
        statements: Iterable[Statement],
    ) -> bool:
        """Whether the records read back from the RDF are these, value for value and of
        the same types: then :meth:`graph_data` equals ``rdf.assemble_graph_data`` of
        them, which a process without this build can compute itself."""
        if self.entities != entities:
            return False
        infos = {d.id: d for d in documents}
        by_doc: dict[str, list[Statement]] = defaultdict(list)
        for s in statements:
            by_doc[s.doc_id].append(s)
        if len(self.fragments) != len(infos) or not by_doc.keys() <= infos.keys():
            return False
        for fragment in self.fragments:
            info = infos.get(fragment.doc_id)
            if info is None or not _same_record(fragment.document, info, _document_values):
                return False
            given = sorted(by_doc.get(fragment.doc_id, ()), key=_statement_id)
            if len(given) != len(fragment.statements):
                return False
            # (read back in the order of the RDF, not of statement ids)
            for read, made in zip(
                sorted(fragment.statements, key=_statement_id), given, strict=True
            ):
                # a cached fragment's statements are mostly the given objects themselves;
                # the ids too, as the values' == does not tell a span (3.0, 9.0) from (3, 9)
                if read is not made and (
                    read.statement_id != made.statement_id or not _same_values(read, made)
                ):
                    return False
        return True

    def write_trig(self, path: Path) -> None:
        """Write graph.trig atomically, streaming the fragments (never the whole text)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as out:
                out.write(_header(self.prefixes))
                out.write(self.entities_trig)
                for fragment in self.fragments:
                    out.write(fragment.trig)
                out.write(self.merges_trig)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def build(
    resolution: Resolution,
    documents: Iterable[DocumentInfo],
    ontology: Ontology,
    base_iri: str,
    cache_dir: Path | None,
    on_document: Callable[[], None] = lambda: None,
    jobs: int = 1,
) -> RdfBuild:
    """Build, validate and read back every document's fragment, from the cache when its
    key is there; then the entities and merges.

    Parameters
    ----------
    resolution : Resolution
        Resolved statements, entities and merges.
    documents : iterable of DocumentInfo
        Document records; every document a statement cites must be among them.
    cache_dir : Path or None
        Where fragments are kept (None: no cache).
    jobs : int
        Processes building and validating batches of uncached documents and of new
        entity and merge records.
    """
    # Millions of objects live through the stage (the resolution, the fragments): the
    # collector's full passes would rescan them again and again. Each batch of work frees
    # its own cycles instead (see _swept).
    with gc_paused():
        return _build(resolution, documents, ontology, base_iri, cache_dir, on_document, jobs)


def _build(
    resolution: Resolution,
    documents: Iterable[DocumentInfo],
    ontology: Ontology,
    base_iri: str,
    cache_dir: Path | None,
    on_document: Callable[[], None],
    jobs: int,
) -> RdfBuild:
    prefixes = rdf.dataset_prefixes(base_iri, ontology)
    entities = rdf.dataset_entities(resolution, base_iri)
    types = {iri: e.type for iri, e in entities.items()}
    by_doc: dict[str, list[Statement]] = defaultdict(list)
    for s in resolution.statements:
        by_doc[s.doc_id].append(s)
    for statements in by_doc.values():  # a few dozen each: cheaper than one sort of all
        statements.sort(key=_statement_id)
    infos = {d.id: d for d in documents}
    missing = sorted(set(by_doc) - set(infos))
    if missing:
        raise ValueError(f"statements cite documents without a record: {missing[:5]}")
    salt = _salt(base_iri, ontology)
    checker = _checker(ontology)

    fragments: list[Fragment] = []
    pending: list[Pending] = []
    cached = 0
    for doc_id in sorted(infos):
        statements = by_doc.get(doc_id, [])
        key = fragment_key(salt, infos[doc_id], statements, types, base_iri)
        found = _load(cache_dir, key, infos[doc_id], statements)
        if found is not None:
            fragments.append(found)
            cached += 1
            on_document()
        else:
            pending.append((key, infos[doc_id], statements))
    records = _Records(entities, resolution.merges, salt, cache_dir)

    batches = _chunks(pending, VALIDATION_BATCH)
    chunks = _chunks(records.fresh, RECORDS_BATCH)
    tasks: list[Task] = [
        *(
            (_build_batch, (batch, _named_types(batch, types, base_iri), base_iri, cache_dir))
            for batch in batches
        ),
        *((_check_records, (chunk, base_iri)) for chunk in chunks),
    ]
    weight = len(pending) / VALIDATION_BATCH + len(records.fresh) / RECORDS_BATCH
    # processes only for more than a batch of work: they take seconds to start
    results = _run(tasks, checker, jobs if weight > 1 else 1)
    unplaced: list[Violation] = []
    for _ in batches:  # the batches' results come first, then the chunks'
        built, lost = next(results)
        for fragment in built:
            fragments.append(fragment)
            on_document()
        unplaced += lost
    entities_trig, merges_trig, found_globally = records.finish(list(results), base_iri)

    fragments.sort(key=lambda f: f.doc_id)
    violations = [
        *(v for f in fragments for v in f.violations),
        *unplaced,
        *_blame_statements(found_globally, resolution.statements, base_iri),
    ]
    return RdfBuild(
        prefixes=prefixes,
        entities_trig=entities_trig,
        fragments=tuple(fragments),
        merges_trig=merges_trig,
        entities=rdf.trig_entities(entities_trig, ontology),
        violations=tuple(sorted(set(violations), key=_violation_order)),
        cached=cached,
    )


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# ---------------------------------------------------------------- tasks and processes


@dataclass(frozen=True)
class _Checker:
    """What every task validates with: the ontology, all shapes and those of records."""

    ontology: Ontology
    shapes: Graph  # all: entities and merges are checked against these
    record_shapes: Graph  # batches of fragments are checked against these


def _checker(ontology: Ontology) -> _Checker:
    shapes = validate.load_shapes(ontology)
    _check_local(shapes)
    return _Checker(ontology, shapes, _record_shapes(shapes, ontology))


Task = tuple[Callable[..., Any], tuple[Any, ...]]  # a function of a _Checker and its arguments


def _run(tasks: Sequence[Task], checker: _Checker, jobs: int) -> Iterator[Any]:
    """Each task's result, in order; in `jobs` processes when there is more than one task
    (pyshacl is pure Python: one core per process)."""
    if jobs <= 1 or len(tasks) < 2:
        for task in tasks:
            yield _swept(checker, task)
        return
    # An executor, not a Pool: a worker that dies (out of memory) breaks the run with an
    # error instead of leaving it waiting for a result that never comes.
    with ProcessPoolExecutor(
        min(jobs, len(tasks)),
        mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded process
        initializer=_start_worker,
        initargs=(checker.ontology.path, os.getpid()),
    ) as pool:
        yield from pool.map(_worker_task, tasks)


def _swept(checker: _Checker, task: Task) -> Any:
    """Run a task with the cyclic collector paused, then free the cycles it left (rdflib
    and pyshacl objects) in one pass over the young objects, where they all are."""
    function, args = task
    # Under a paused collector nothing is ever promoted: the young generation would hold
    # every object made since the pause began (the resolution, the fragments: ~1.5 s to
    # rescan at 10k articles). Frozen first, only the task's own objects are swept. Not
    # when something else froze objects: unfreezing would release those too.
    freeze = gc.get_freeze_count() == 0
    with gc_paused():
        if freeze:
            gc.freeze()
        try:
            return function(checker, *args)
        finally:
            gc.collect(0)
            if freeze:
                gc.unfreeze()  # back into the oldest generation


_WORKER: dict[str, _Checker] = {}


def _start_worker(ontology_path: Path, parent: int) -> None:
    sidework.die_with(parent)  # (a side process's pool too: it dies with its parent)
    _WORKER["checker"] = _checker(load_ontology(ontology_path))


def _worker_task(task: Task) -> Any:
    return _swept(_WORKER["checker"], task)


# ---------------------------------------------------------------- one batch


Pending = tuple[str, DocumentInfo, list[Statement]]  # key, document, its statements
BatchResult = tuple[list[Fragment], list[Violation]]


def _named_types(batch: Sequence[Pending], types: dict[str, str], base_iri: str) -> dict[str, str]:
    """The types of the entities a batch names (all a worker needs of the whole map)."""
    return {iri: types[iri] for _, _, statements in batch for iri in _named(statements, base_iri)}


def _named(statements: Iterable[Statement], base_iri: str) -> set[str]:
    """IRIs of the entities some statements name."""
    return {iri for s in statements for iri in _ends(s, base_iri)}


def _ends(s: Statement, base_iri: str) -> tuple[str, str]:
    """The IRIs of a statement's subject and object (as :func:`rdf.document_triples` makes them)."""
    return (
        s.subject_id or entity_iri(base_iri, s.subject_type, s.subject),
        s.object_id or entity_iri(base_iri, s.object_type, s.object),
    )


def _build_batch(
    checker: _Checker,
    batch: Sequence[Pending],
    types: dict[str, str],
    base_iri: str,
    cache_dir: Path | None,
) -> BatchResult:
    """Build the fragments of a batch, validate them together, read each back, keep them
    in the cache.

    Returns the fragments, each with its violations, and the violations that name no
    document of the batch (kept aside; the batch is then not cached).
    """
    ontology = checker.ontology
    provenance = rdf.graph_iri(base_iri, "provenance")
    prefixes = rdf.dataset_prefixes(base_iri, ontology)
    built = []
    data: list[tuple[Node, Node, Node]] = []
    for key, info, statements in batch:
        prov, facts = rdf.document_triples(info, statements, ontology, base_iri)
        typed = _entity_types(statements, types, ontology, base_iri)
        records = rdf.index_triples([*prov, *typed])
        built.append(
            (
                key,
                info.id,
                rdf.trig_chunk(
                    [(provenance, prov), (rdf.doc_iri(base_iri, info.id), facts)], prefixes
                ),
                rdf.index_documents(records)[info.id],
                tuple(rdf.index_statements(records, ontology)),
            )
        )
        data += prov  # not the facts: entity to entity, they are no record's own values
        data += typed
    by_doc: dict[str | None, list[Violation]] = defaultdict(list)
    for v in validate.validate_records(data, ontology, checker.record_shapes):
        if v.focus not in types:  # entities are validated whole, once (their labels are not here)
            by_doc[v.doc_id].append(v)
    data.clear()  # see _check_records
    fragments = [
        Fragment(doc_id, key, trig, document, statements, tuple(by_doc.pop(doc_id, ())))
        for key, doc_id, trig, document, statements in built
    ]
    unplaced = [v for found in by_doc.values() for v in found]
    if cache_dir is not None and not unplaced:  # a batch with unplaced faults: redo
        for (_, info, statements), fragment in zip(batch, fragments, strict=True):
            _store(cache_dir, fragment, info, statements)
    return fragments, unplaced


def _record_shapes(shapes: Graph, ontology: Ontology) -> Graph:
    """The shapes a batch of fragments is checked against: all but those that only target
    entity classes. A batch holds entities without their labels, so those shapes fail
    there for every entity named, and what a batch finds about an entity is dropped
    anyway (entities are validated whole, once): pyshacl is spared finding, reporting
    and tracing thousands of violations per batch.
    """
    entity_classes = set(ontology.types.values())
    if any((None, RDF.type, cls) in ontology.graph for cls in entity_classes):
        return shapes  # the ontology has entities of its own: they are checked in batches
    out = Graph()
    out += shapes
    for shape in set(shapes.subjects(SH.targetClass, None)):
        targets = {(p, o) for p, o in shapes.predicate_objects(shape) if p in _TARGETS}
        only_entities = all(p == SH.targetClass and o in entity_classes for p, o in targets)
        if only_entities and (None, None, shape) not in shapes:  # no shape refers to it
            for triple in shapes.cbd(shape):
                out.remove(triple)
    return out


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def _entity_types(
    statements: Iterable[Statement], types: dict[str, str], ontology: Ontology, base_iri: str
) -> list[tuple[Node, Node, Node]]:
    """rdf:type triples of the entities the statements name (what the shapes check)."""
    return [
        (URIRef(iri), RDF.type, ontology.types[types[iri]])
        for iri in sorted(_named(statements, base_iri))
    ]


# ---------------------------------------------------------------- entities and merges


Record = tuple[bytes, str | None, Entity | MergeDecision]  # digest, entity IRI (None: a merge), it
Checked = tuple[bytes, str, bytes]  # a record's digest, node and N-Triples
Text = bytes | memoryview  # N-Triples: fresh, or a slice of records.bin


class _Records:
    """The entity and merge records, and which of them are not known to conform yet.

    Each record (an entity, a merge decision) is checked on its own properties only, so
    the N-Triples of records known to conform are kept in ``records.bin`` (see
    :class:`_Store`) by a digest of what they are made of; only new or changed records
    (`fresh`) are built and validated, in chunks (see :func:`_check_records`).
    """

    def __init__(
        self,
        entities: dict[str, Entity],
        merges: Iterable[MergeDecision],
        salt: str,
        cache_dir: Path | None,
    ) -> None:
        merges = tuple(merges)
        merge_values = list(map(_merge_values, merges))
        self.file = cache_dir / _STORE_NAME if cache_dir is not None else None
        self.store = _Store.read(self.file)
        self.source = _records_source(salt, entities, merge_values)
        self.fresh: list[Record] = []  # each digest once
        if self.store.source == self.source:
            # the store was written for these very records, all conforming, in this order:
            # nothing to digest, dedupe or sort (126k records at 10k articles: ~1 s)
            digests, split = self.store.ordered(), self.store.entities
            self.entity_digests, self.merge_digests = digests[:split], digests[split:]
            return
        ordered = sorted(entities.items())
        digests = _record_digests(salt, ((iri, _entity_values(e)) for iri, e in ordered))
        entity_records: list[Record] = [
            (digest, iri, entity) for digest, (iri, entity) in zip(digests, ordered, strict=True)
        ]
        # each decision once, in the resolution's order, which is nearly sorted already
        # (a set's order is random: sorting it took ten times as long); by their values,
        # hashed and compared in C (a decision's own hash and rdf.merge_key are Python)
        first = dict(zip(reversed(merge_values), reversed(merges), strict=True))  # -> 1st
        unique = sorted(dict.fromkeys(merge_values), key=_merge_order)
        merge_records: list[Record] = list(
            zip(_record_digests(salt, unique), repeat(None), map(first.__getitem__, unique))
        )
        self.entity_digests = [digest for digest, _, _ in entity_records]
        self.merge_digests = [digest for digest, _, _ in merge_records]
        known = set(self.store.positions)
        for record in (*entity_records, *merge_records):
            if record[0] not in known:
                known.add(record[0])
                self.fresh.append(record)

    def finish(
        self, results: Iterable[tuple[list[Checked], list[Violation]]], base_iri: str
    ) -> tuple[bytes, bytes, list[Violation]]:
        """TriG of the entities graph and of the merges graph, and the fresh records'
        violations (as validating them together finds them); keep those that conform."""
        texts: dict[bytes, bytes] = {}
        nodes, found = {}, set()
        for checked, violations in results:
            for digest, node, ntriples in checked:
                texts[digest], nodes[digest] = ntriples, node
            found.update(violations)
        failed = {v.focus for v in found}
        kept = self.store.positions

        def text(digest: bytes) -> Text:
            position = kept.get(digest)
            return texts[digest] if position is None else self.store.text(position)

        everything = [*self.entity_digests, *self.merge_digests]
        if self.store.source == self.source:
            conforming = everything  # the warm build: all kept, each once, in this order
        else:
            conforming = [
                digest
                for digest in dict.fromkeys(everything)
                if digest in kept or nodes[digest] not in failed
            ]
        # Only a store of every record (all conform, each once) is known by its source.
        source = self.source if conforming == everything else None
        store = self.store
        missing = [digest for digest in conforming if digest not in kept]
        if self.file is not None and (missing or (source and source != store.source)):
            entities = len(self.entity_digests)
            if store.appendable(conforming, missing, texts):
                # a few new records: appended with this build's order, the file's
                # ~100 MB of known records not written again (at 10k articles: ~1 s)
                store.append(self.file, missing, texts, conforming, source, entities)
            else:
                store = _Store.write(self.file, conforming, text, source, entities)

        def block(name: str, digests: list[bytes]) -> bytes:
            if not digests:
                return b""
            head = f"<{rdf.graph_iri(base_iri, name)}> {{\n".encode()
            return b"".join([head, *store.pieces(digests, texts), b"}\n"])

        return (
            block("entities", self.entity_digests),
            block("merges", self.merge_digests),
            sorted(found, key=_violation_order),
        )


def _record_triples(record: Record, ontology: Ontology, base_iri: str) -> rdf.Triples:
    _, iri, item = record
    if isinstance(item, MergeDecision):
        return rdf.merge_triples([item], base_iri)
    assert iri is not None
    return rdf.entity_triples({iri: item}, ontology)


_STORE_NAME = "records.bin"
# Bump when the layout of records.bin changes: a file of another layout is then empty.
_STORE_MAGIC = b"milgraph-records 4 "
_LEGACY_STORE = "records.json"  # the JSON store of earlier versions, never read again
# Records appended at most, as a share of a build's: more, and the file is written whole.
_APPEND_SHARE = 8
# Bytes the file may reach, as a multiple of a whole write's: past that, written whole.
_GROWTH = 1.5


@dataclass(frozen=True)
class _Store:
    """records.bin: the N-Triples of the records known to conform, by digest.

    One or more segments, each a line ``milgraph-records <layout> <count> <checksum>
    <source> <entities> <ordered>``, then its records' 16-byte digests, the sizes of
    their texts (8 bytes each, little-endian), the texts (UTF-8) one after another and
    `ordered` positions (4 bytes each) among the records of all segments so far. Read in
    one go and sliced, nothing decoded: as JSON (every quote of the N-Triples escaped)
    130 MB took a second to read at 10k articles. A segment of another layout, whose
    size does not add up or whose body fails the checksum (a CRC-32 of everything after
    its line: a text damaged in place would otherwise be trusted as conforming) makes
    the store empty (a segment cut short too): every record is checked again and the
    file written whole.

    A build that brings a few new records appends them as a segment (instead of writing
    ~100 MB again). When the last segment has a source, it is :func:`_records_source` of
    a build whose records all conform, each once: the store holds them, in the order of
    its positions (of the segment's own records, in file order, when there are none),
    the entities first, as many as it says (``-`` and 0 otherwise).
    """

    digests: list[bytes]  # in file order
    positions: dict[bytes, int]  # digest -> its place in the file
    starts: list[int]  # where each text starts in data
    ends: list[int]  # and where it ends
    data: memoryview
    source: str | None = None
    entities: int = 0
    order: list[int] | None = None  # the source's records, by position (None: see above)
    size: int = 0  # bytes of the file (0: none, or not sound)
    first: int = 0  # where the last segment's records begin

    def text(self, position: int) -> Text:
        return self.data[self.starts[position] : self.ends[position]]

    def pieces(self, digests: list[bytes], fresh: dict[bytes, bytes]) -> list[Text]:
        """The texts of some records, those kept one after another as one slice each."""
        pieces: list[Text] = []
        start = end = -1
        starts, ends, positions = self.starts, self.ends, self.positions
        for digest in digests:
            position = positions.get(digest)
            if position is None:
                if end >= 0:
                    pieces.append(self.data[start:end])
                    start = end = -1
                pieces.append(fresh[digest])
            elif starts[position] == end:
                end = ends[position]
            else:
                if end >= 0:
                    pieces.append(self.data[start:end])
                start, end = starts[position], ends[position]
        if end >= 0:
            pieces.append(self.data[start:end])
        return pieces

    def ordered(self) -> list[bytes]:
        """The digests of the build the source names, in its order."""
        if self.order is None:
            return self.digests[self.first :]
        return list(map(self.digests.__getitem__, self.order))

    @classmethod
    def read(cls, path: Path | None) -> _Store:
        try:
            data = path.read_bytes() if path is not None else b""
        except OSError:
            data = b""
        view = memoryview(data)
        digests: list[bytes] = []
        starts: list[int] = []
        ends: list[int] = []
        last: tuple[str | None, int, list[int] | None, int] = (None, 0, None, 0)
        at = 0
        while at < len(data):
            segment = _segment(data, view, at, len(digests))
            if segment is None:
                break
            at, seg_digests, seg_starts, seg_ends, source, entities, order = segment
            last = (source, entities, order, len(digests))
            digests += seg_digests
            starts += seg_starts
            ends += seg_ends
        if at != len(data):  # damaged, cut short or grown: nothing in it is trusted
            digests, starts, ends, last, at = [], [], [], (None, 0, None, 0), 0
        source, entities, order, first = last
        positions = {digest: position for position, digest in enumerate(digests)}
        return cls(digests, positions, starts, ends, view, source, entities, order, at, first)

    def appendable(
        self, conforming: list[bytes], missing: list[bytes], fresh: dict[bytes, bytes]
    ) -> bool:
        """Whether some missing records are best appended: the file sound, they few,
        and the file not grown past `_GROWTH` times what a whole write would take."""
        if self.size == 0 or len(missing) * _APPEND_SHARE > len(conforming):
            return False
        kept = [p for p in map(self.positions.get, conforming) if p is not None]
        added = sum(len(fresh[d]) for d in missing)
        kept_texts = sum(map(self.ends.__getitem__, kept)) - sum(map(self.starts.__getitem__, kept))
        whole = kept_texts + added + 24 * len(conforming)
        grown = self.size + added + 24 * len(missing) + 4 * len(conforming)
        return grown <= _GROWTH * whole

    def append(
        self,
        path: Path,
        missing: list[bytes],
        fresh: dict[bytes, bytes],
        conforming: list[bytes],
        source: str | None,
        entities: int,
    ) -> None:
        """Append a segment of the missing records (and, with a source, the positions of
        a build's records). A segment cut short (the process killed) or damaged fails
        its checksum on reading: the file is then written whole."""
        positions = self.positions
        if source is not None:
            new = {digest: len(self.digests) + i for i, digest in enumerate(missing)}
            order = [positions[d] if d in positions else new[d] for d in conforming]
        else:
            order = []
        segment = _segment_bytes(
            missing, list(map(fresh.__getitem__, missing)), source, entities, order
        )
        with path.open("r+b") as out:
            try:
                out.seek(self.size)
                out.write(segment)
                out.truncate()
            except BaseException:
                out.truncate(self.size)
                raise

    @classmethod
    def write(
        cls,
        path: Path,
        digests: list[bytes],
        text: Callable[[bytes], Text],
        source: str | None = None,
        entities: int = 0,
    ) -> _Store:
        """Write records.bin whole, in one segment; the store it holds (as read back)."""
        texts = list(map(text, digests))
        data = _segment_bytes(digests, texts, source, entities, [])
        atomic_write_bytes(path, data)
        path.with_name(_LEGACY_STORE).unlink(missing_ok=True)
        view = memoryview(data)
        segment = _segment(data, view, 0, 0)
        assert segment is not None
        size, _, starts, ends, source, entities, order = segment
        positions = {digest: at for at, digest in enumerate(digests)}
        return cls(digests, positions, starts, ends, view, source, entities, order, size)


def _segment_bytes(
    digests: list[bytes], texts: list[Text], source: str | None, entities: int, order: list[int]
) -> bytes:
    lengths = list(map(len, texts))  # a memoryview of bytes: its length in bytes
    sizes = array("Q", lengths)
    positions = array("I", order)
    if sys.byteorder == "big":
        sizes.byteswap()
        positions.byteswap()
    body = b"".join([*digests, sizes, *texts, positions])
    checksum = _store_checksum(body, 0)
    fields = (
        len(digests),
        checksum.decode(),
        source or "-",
        entities if source else 0,
        len(order),
    )
    return _STORE_MAGIC + " ".join(map(str, fields)).encode() + b"\n" + body


def _segment(
    data: bytes, view: memoryview, at: int, before: int
) -> tuple[int, list[bytes], list[int], list[int], str | None, int, list[int] | None] | None:
    """The segment of records.bin at `at` (`before` records precede it): where it ends,
    its digests, where its texts start and end, its source, entities and order; None
    when it is not sound."""
    line_end = data.find(b"\n", at, at + 160)
    if line_end < 0 or not data.startswith(_STORE_MAGIC, at):
        return None
    head = data[at + len(_STORE_MAGIC) : line_end].split(b" ")
    if len(head) != 5 or not all(head[i].isdigit() for i in (0, 3, 4)):
        return None
    count_text, checksum, source_text, entities_text, ordered_text = head
    count, entities, ordered = int(count_text), int(entities_text), int(ordered_text)
    sizes_at = line_end + 1 + 16 * count
    texts_at = sizes_at + 8 * count
    if texts_at > len(data):
        return None
    sizes = array("Q")
    sizes.frombytes(view[sizes_at:texts_at])
    if sys.byteorder == "big":
        sizes.byteswap()
    offsets = list(accumulate(sizes, initial=texts_at))
    end = offsets[-1] + 4 * ordered
    if end > len(data) or checksum != _store_checksum(view[:end], line_end + 1):
        return None
    source = None if source_text == b"-" else source_text.decode("ascii", "replace")
    # the header's fields are not under the checksum
    if source is None and (ordered or entities):
        return None
    order: list[int] | None = None
    if ordered:
        positions = array("I")
        positions.frombytes(view[offsets[-1] : end])
        if sys.byteorder == "big":
            positions.byteswap()
        if max(positions) >= before + count:
            return None
        order = positions.tolist()
    if source is not None and entities > (ordered or count):
        return None
    digests = [data[i : i + 16] for i in range(line_end + 1, sizes_at, 16)]
    return end, digests, offsets[:-1], offsets[1:], source, entities, order


def _store_checksum(data: bytes | memoryview, start: int) -> bytes:
    """The hex CRC-32 of ``data[start:]`` (records.bin's body): it finds damage, not
    forgery, at a fifth of BLAKE2b's cost over 125 MB."""
    return b"%08x" % zlib.crc32(memoryview(data)[start:])


def _records_source(salt: str, entities: dict[str, Entity], merged: list[tuple[Any, ...]]) -> str:
    """A digest of the entity and merge records (the merges' values) as given (a build of
    the same ones, in the same order, has the same records.bin), in one marshal and one
    hash."""
    values = (list(entities), list(map(_entity_values, entities.values())))
    key = salt.encode("utf-8")
    return hashlib.blake2b(_exact_bytes((*values, merged)), digest_size=16, key=key).hexdigest()


def _check_records(
    checker: _Checker, chunk: Sequence[Record], base_iri: str
) -> tuple[list[Checked], list[Violation]]:
    """Build some records and validate them together: each one's node and N-Triples, and
    the violations found."""
    ontology = checker.ontology
    made = [_record_triples(record, ontology, base_iri) for record in chunk]
    triples = (t for triples in made for t in triples)
    found = validate.validate_records(triples, ontology, checker.shapes)
    checked = [
        (digest, str(triples[0][0]), rdf.ntriples(triples))
        for (digest, _, _), triples in zip(chunk, made, strict=True)
    ]
    # pyshacl leaves the frames of this call in reference cycles (through the exceptions
    # its parser raises): emptied, the triples are freed now, not by the collector
    made.clear()
    return checked, found


# A record's field values (strings, tuples and booleans), read in C.
_entity_values = attrgetter(*(f.name for f in fields(Entity)))
_merge_values = attrgetter(*(f.name for f in fields(MergeDecision)))
# rdf.merge_key's order (str(applied) sorts as the boolean does) on those values
_merge_order = itemgetter(
    *(
        [f.name for f in fields(MergeDecision)].index(name)
        for name in ("entity_id", "rule", "merged", "reason", "applied")
    )
)


def _record_digests(salt: str, values: Iterable[tuple[Any, ...]]) -> list[bytes]:
    """The digests of records' values under the salt: 16 raw bytes each, the form
    records.bin keeps (blake2b keyed with the salt of each one's :func:`_exact_bytes`),
    made in C: a Python call per record cost ~0.3 s for 126k records at 10k articles."""
    key = salt.encode("utf-8")  # a hex digest: well within blake2b's 64-byte keys
    keyed = partial(hashlib.blake2b, digest_size=16, key=key)
    return list(map(_raw_digest, map(keyed, map(marshal.dumps, values, repeat(_EXACT_FORMAT)))))


_raw_digest = hashlib.blake2b.digest


def _blame_statements(
    found: Sequence[Violation], statements: Sequence[Statement], base_iri: str
) -> list[Violation]:
    """An entity's violation blames the first statement (by id) that names it, as
    validating the whole dataset does."""
    if not found:
        return []
    first: dict[str, Statement] = {}
    for s in sorted(statements, key=lambda s: s.statement_id, reverse=True):
        for iri in _ends(s, base_iri):
            first[iri] = s
    out = []
    for v in found:
        blamed = first.get(v.focus) if v.statement_id is None else None
        out.append(
            v
            if blamed is None
            else Violation(
                blamed.statement_id, blamed.doc_id, v.focus, v.message, blamed.evidence, blamed.span
            )
        )
    return out


# SHACL constructs that look beyond a record and the types of the entities it names.
_NON_LOCAL = (SH.sparql, SH.inversePath, SH.qualifiedValueShape)


def _check_local(shapes: Graph) -> None:
    """Refuse shapes that one document's records cannot be checked against on their own
    (the fragments would pass what the whole dataset fails)."""
    for construct in _NON_LOCAL:
        if (None, construct, None) in shapes:
            raise OntologyError(
                f"{validate.DEFAULT_SHAPES}: {construct.n3(shapes.namespace_manager)} looks "
                "beyond one record, which document-by-document validation cannot check; "
                "use property shapes on a record's own values and its entities' types"
            )


def _violation_order(v: Violation) -> tuple[str, str, str, str]:
    return (v.doc_id or "", v.statement_id or "", v.focus, v.message)


# ---------------------------------------------------------------- keys and cache


def _salt(base_iri: str, ontology: Ontology) -> str:
    """What every fragment depends on besides its document: format, base IRI, the
    ontology and shapes files, the code that builds and validates fragments and the
    versions of the RDF and SHACL libraries."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (FRAGMENT_VERSION, base_iri, *(version(p) for p in _LIBRARIES)):
        digest.update(part.encode("utf-8") + b"\x1f")
    for path in (ontology.path, validate.DEFAULT_SHAPES, *_CODE):
        digest.update(Path(path).read_bytes() + b"\x1f")
    return digest.hexdigest()


def fragment_key(
    salt: str,
    info: DocumentInfo,
    statements: Sequence[Statement],
    types: dict[str, str],
    base_iri: str,
) -> str:
    """Hash of everything a document's fragment is made of (statements in id order): the
    document's values, each statement's and the types of the entities it names."""
    subjects, objects = _end_iris(statements, base_iri)
    known = types.get
    values = (
        _document_values(info),
        list(map(_statement_values, statements)),
        list(map(known, subjects)),
        list(map(known, objects)),
    )
    digest = hashlib.blake2b(salt.encode("utf-8"), digest_size=20)
    digest.update(_exact_bytes(values))
    return digest.hexdigest()


def _exact_bytes(values: tuple[Any, ...]) -> bytes:
    """Bytes that tell apart any two different values made of strings, numbers, None,
    booleans, tuples and lists, and are the same for equal ones, in every process.

    marshal writes them in C, twice as fast as JSON (which the warm build spent a second
    on at 10k articles). Format 2 is the last without back-references: later ones refer
    to repeated objects by identity, so equal values could give different bytes.
    """
    return marshal.dumps(values, _EXACT_FORMAT)


_EXACT_FORMAT = 2  # see _exact_bytes


def _end_iris(statements: Sequence[Statement], base_iri: str) -> tuple[list[str], list[str]]:
    """The IRIs of the statements' subjects and of their objects (see :func:`_ends`):
    their ids, read in C, when every statement has them (resolution gives them)."""
    subjects = list(map(_subject_id, statements))
    objects = list(map(_object_id, statements))
    if all(subjects) and all(objects):
        return subjects, objects
    ends = [_ends(s, base_iri) for s in statements]
    return [subject for subject, _ in ends], [obj for _, obj in ends]


_statement_values = attrgetter(*(f.name for f in fields(Statement)))
_statement_id = attrgetter("statement_id")
_subject_id = attrgetter("subject_id")
_object_id = attrgetter("object_id")
_document_values = attrgetter(*(f.name for f in fields(DocumentInfo)))
_violation_values = attrgetter(*(f.name for f in fields(Violation)))
# Where the span is in those values (JSON gives it back as a list).
_STATEMENT_SPAN = [f.name for f in fields(Statement)].index("span")
_VIOLATION_SPAN = [f.name for f in fields(Violation)].index("span")


# A temporary file this much older than its last write is left by a write that was
# killed (a live write touches its file as it goes): it is removed with the unused entries.
STALE_TEMPORARY_SECONDS = 3600


def evict(cache_dir: Path, keep: Iterable[str]) -> None:
    """Remove the cached fragments whose key is not in `keep` (a rebuild's: the fragments
    of changed and removed documents would never be read again, and the cache would grow
    with every edit), and temporary files left by killed writes. Another corpus built
    into the same folder loses its entries (they are built again when it is next
    rebuilt): the cache serves one corpus."""
    kept = set(keep)
    stale_before = time.time() - STALE_TEMPORARY_SECONDS
    for shard in _entries(cache_dir):
        if not shard.is_dir(follow_symlinks=False):
            continue  # (records.bin)
        for entry in _entries(shard.path):
            name = entry.name
            if name.endswith(".frag") and not name.startswith("."):
                if name[: -len(".frag")] not in kept:
                    _unlink(entry.path)
            elif name.startswith(".") and name.endswith(".tmp"):
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < stale_before:
                        _unlink(entry.path)
                except FileNotFoundError:  # its write ended meanwhile
                    pass


def _entries(folder: str | Path) -> list[os.DirEntry[str]]:
    """A folder's entries; none if it is gone (removed meanwhile, or never made)."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except FileNotFoundError:
        return []


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:  # removed meanwhile (another rebuild's eviction)
        pass


def _header(prefixes: dict[str, str]) -> bytes:
    lines = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(prefixes.items()))
    return (lines + "\n").encode("utf-8")


def _entry_path(cache_dir: Path, key: str) -> str:
    # os.path, not pathlib: its joins cost more than the read, 10,000 times per warm build
    return os.path.join(cache_dir, key[:2], key + ".frag")


def _cache_file(cache_dir: Path, key: str) -> Path:
    return Path(_entry_path(cache_dir, key))


def _read_entry(cache_dir: Path, key: str) -> bytes:
    """The bytes of a cache entry, in one read of its size.

    Plain system calls: a file object's set-up and its read to the end (a second read
    to find it) cost twice as much, 10,000 times per warm build. A short read is a
    damaged entry (the size in its first line does not match): a miss.
    """
    entry = os.open(_entry_path(cache_dir, key), os.O_RDONLY)
    try:
        return os.read(entry, os.fstat(entry).st_size)
    finally:
        os.close(entry)


def _store(
    cache_dir: Path, fragment: Fragment, info: DocumentInfo, given: Sequence[Statement]
) -> None:
    """Keep a fragment (written whole or not at all: a temporary file, then rename).

    The entry is one JSON line, then the TriG as it is (no escaping to undo on reading).
    The read-back document and statements are mostly equal to the ones the fragment was
    built from (which the key covers): those are kept as a reference (null, or the index
    of the statement in id order), only the others in full.
    """
    # by JSON text, not by ==: 1 == 1.0 and [3, 9] == (3, 9), and a list is unhashable
    index = {_text_of(s): i for i, s in reversed(list(enumerate(given)))}  # the first one

    def kept(s: Statement) -> int | tuple[Any, ...]:
        i = index.get(_text_of(s))
        return i if i is not None and _same_values(given[i], s) else _statement_values(s)

    head = [
        fragment.doc_id,
        len(fragment.trig),
        None if fragment.document == info else _document_values(fragment.document),
        [kept(s) for s in fragment.statements],
        [_violation_values(v) for v in fragment.violations],
    ]
    line = json.dumps(head, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(_cache_file(cache_dir, fragment.key), line + b"\n" + fragment.trig)


def _text_of(statement: Statement) -> str:
    return json.dumps(_statement_values(statement), ensure_ascii=False)


def _same_values(a: Statement, b: Statement) -> bool:
    """Equal field by field and of the same types: what a cache round trip preserves."""
    return _same_record(a, b, _statement_values)


def _same_record(a: Any, b: Any, values_of: Callable[[Any], tuple[Any, ...]]) -> bool:
    """Equal in the fields ``values_of`` reads, and of the same types."""
    values_a, values_b = values_of(a), values_of(b)
    return values_a == values_b and all(
        type(x) is type(y) for x, y in zip(values_a, values_b, strict=True)
    )


def _load(
    cache_dir: Path | None, key: str, info: DocumentInfo, given: Sequence[Statement]
) -> Fragment | None:
    """A kept fragment, or None when absent or unreadable (it is then rebuilt)."""
    if cache_dir is None:
        return None
    try:
        line, _, trig = _read_entry(cache_dir, key).partition(b"\n")
        doc_id, size, document, statements, violations = json.loads(line)
        if doc_id != info.id or size != len(trig):  # not this document's, or cut short
            return None
        return Fragment(
            doc_id=doc_id,
            key=key,
            trig=trig,
            document=info if document is None else DocumentInfo(*document),
            statements=tuple(
                [
                    given[s] if isinstance(s, int) else Statement(*_spanned(s, _STATEMENT_SPAN))
                    for s in statements
                ]
            ),
            violations=tuple(Violation(*_spanned(v, _VIOLATION_SPAN)) for v in violations),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _spanned(values: list[Any], at: int) -> list[Any]:
    """The values with the span at `at` a tuple again."""
    span = values[at]
    if span is not None:
        values[at] = tuple(span)
    return values
