"""`milgraph rebuild`: every stage in order, over a corpus folder, into an output folder.

corpus -> documents -> statements (extracted, cached by content hash; curated files) ->
schema check -> resolve -> RDF dataset -> SHACL -> outputs -> analytics -> Neo4j.
Nothing is loaded into Neo4j unless the dataset validated (or was pruned to validity).
With --jobs >= 2 a side process builds and validates the RDF while this one reads the
graph from the records the RDF is made of; the graph is used only once the side process
found that the RDF reads back as those records (else it is built here, as with --jobs 1).
With --jobs >= 2 the output files are written by side processes (graph_builder.sidework)
while analytics and the Neo4j load go on; a failed write is raised after the others end.
With a Neo4j driver and --jobs >= 2 the network measures are computed by a side process
while the graph is loaded, and their scores are written in the load's transaction; the
file writers start beside them, do what needs no score, and are handed the metrics.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_builder import corpus_folders, heap, out_lock, sidework
from graph_builder.config import DEFAULT_BASE_IRI, DEFAULT_OUT, SAMPLE_CORPUS
from graph_builder.errors import InputError, MilgraphError, ValidationError
from graph_builder.extract_cache import SUFFIX as CACHE_SUFFIX
from graph_builder.extract_cache import Pack, read_cache, write_cache
from graph_builder.gcpause import gc_paused
from graph_builder.model import DocumentInfo, Entity, GraphData
from graph_builder.ontology import Ontology
from graph_builder.statements import (
    Statement,
    check_key,
    read_statements,
    statement_from_dict,
    write_statements,
)

if TYPE_CHECKING:
    import networkx as nx

    from graph_builder.analysis import Metrics
    from graph_builder.documents import Document
    from graph_builder.extract.extractor import WarmWorker
    from graph_builder.rdf_fragments import RdfBuild
    from graph_builder.resolve import Resolution
    from neo4j import Driver

CURATED_SUFFIX = ".statements.jsonl"
# Every file a rebuild writes into the output folder (besides cache/).
OUTPUT_FILES = (
    "statements.jsonl",
    "rejected.jsonl",
    "graph.trig",
    "metrics.csv",
    "graph.graphml",
    "graph.gexf",
    "report.html",
)


@dataclass(frozen=True)
class RebuildOptions:
    corpus: Path = SAMPLE_CORPUS
    out: Path = DEFAULT_OUT
    base_iri: str = DEFAULT_BASE_IRI
    prune: bool = False
    jobs: int = 1
    batch_size: int = 1000
    database: str = "neo4j"
    seed: int = 42
    chunk_rows: int | None = None  # None: the Neo4j replace is one (atomic) transaction


@dataclass(frozen=True)
class Rejection:
    statement: Statement
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            **self.statement.to_json(),
            "statement_id": self.statement.statement_id,
            "reason": self.reason,
        }


@dataclass
class RebuildResult:
    documents: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    extracted: int = 0
    curated: int = 0
    cached_documents: int = 0
    cached_fragments: int = 0  # documents whose RDF came from the cache
    statements: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    entities_by_type: Counter[str] = field(default_factory=Counter)
    relations: int = 0
    top_central: list[dict[str, Any]] = field(default_factory=list)
    neo4j_counts: tuple[int, int] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Stages:
    """Times each stage and tells the caller which one is running."""

    def __init__(self, result: RebuildResult, on_stage: Callable[[str], None]) -> None:
        self.result, self.on_stage = result, on_stage

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.on_stage(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.result.timings[name] = round(time.perf_counter() - started, 3)


def find_curated(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob(f"*{CURATED_SUFFIX}") if p.is_file())


def _cache_path(folder: Path, doc: Document, version: str) -> Path:
    # Relative dates ("on Sunday") resolve against the document date, so it is part of
    # the key beside the text and the extractor version.
    return folder / f"{doc.content_hash}-{doc.date or 'undated'}-{version}{CACHE_SUFFIX}"


@dataclass
class Extraction:
    """What the extract stage hands on: statements that passed the schema check, in
    document order; the ones it refused; how many documents came from the cache."""

    statements: list[Statement]
    rejected: list[Rejection]
    cached: int


def extract_with_cache(
    docs: Sequence[Document],
    ontology: Ontology,
    out: Path,
    jobs: int,
    on_document: Callable[[], None] = lambda: None,
    warm: WarmWorker | None = None,
) -> Extraction:
    """Statements of every document; documents whose text and extractor (version, data
    files and spaCy model, see :func:`~graph_builder.extract.inputs_digest`) are
    unchanged are read from build/cache, so adding one article costs one article's work.

    Cached statements were checked against the schema when cached, and are checked again
    only if the ontology (or the checking code) changed since; fresh ones are checked
    here. A document with refused statements is not cached (a cache file must read back
    clean), so it is extracted again, and refused again, on the next rebuild. A cache
    file that does not read back (edited, damaged) is a miss; the files' rows are read
    from their pack (:class:`~graph_builder.extract_cache.Pack`) while their size and
    mtime are those it recorded.

    ``warm``: a worker :func:`_warm_worker` started before the corpus was read; it
    extracts the new documents if they are few (see :meth:`Extractor.start`).
    """
    from graph_builder.extract import EXTRACTOR_VERSION, Extractor, inputs_digest
    from graph_builder.extract.extractor import Extractions

    version = f"{EXTRACTOR_VERSION}-{inputs_digest()}"
    key = check_key(ontology)
    folder = out / "cache" / "extract"  # joined once: pathlib's joins added up at 10k
    # by document object, not id: two files may share a stem (2015/a.txt, 2016/a.txt)
    by_doc: dict[int, list[Statement]] = {}
    refused_by_doc: dict[int, list[Rejection]] = {}
    paths = [_cache_path(folder, doc, version) for doc in docs]

    def take_fresh(doc: Document, found: list[Statement]) -> None:
        """Check a fresh extraction; cache it when nothing was refused."""
        kept, normalised, refused = _checked_split(found, ontology)
        by_doc[id(doc)], refused_by_doc[id(doc)] = kept, refused
        if not refused:
            path = _cache_path(folder, doc, version)
            write_cache(path, normalised, key)
            pack.keep(path, normalised, written=True)
        on_document()

    pack = Pack(out / "cache" / "extract.pack", key)
    # Documents without a cache file are extracted from the start: with --jobs >= 2
    # the workers load spaCy while this process reads the cached ones.
    new = [doc for doc, path in zip(docs, paths, strict=True) if not pack.present(path)]
    extractor = (warm.extractor if warm else Extractor(ontology)) if new else None
    early = extractor.start(new, jobs, warm=warm) if extractor else Extractions(iter(()))
    try:
        fresh = _read_cached(docs, paths, ontology, key, by_doc, refused_by_doc, on_document, pack)
        for doc, found in early:
            if id(doc) not in by_doc:  # unless its cache file appeared meanwhile
                take_fresh(doc, found)
    finally:
        early.close()
    late = [doc for doc in fresh if id(doc) not in by_doc]  # damaged or unreadable files
    if late:
        extractor = extractor or Extractor(ontology)
        for doc, found in extractor.extract_all(late, jobs=jobs):
            take_fresh(doc, found)
    pack.save()  # with the new documents' rows: the next rebuild reads none of their files
    # in document order, whatever came from the cache: the same corpus, the same output
    statements = [s for doc in docs for s in by_doc.get(id(doc), ())]
    rejected = [r for doc in docs for r in refused_by_doc.get(id(doc), ())]
    return Extraction(statements, rejected, len(docs) - len(fresh))


def _folders_record(options: RebuildOptions) -> Path:
    return options.out / "cache" / "corpus-folders.json"


@contextmanager
def warm_extraction(options: RebuildOptions, ontology: Ontology) -> Iterator[WarmWorker | None]:
    """:func:`rebuild`'s extraction worker (see :func:`_warm_worker`), started before the
    caller's own set-up: importing the Neo4j driver alone takes ~0.8 s, which the worker
    spends loading spaCy. Pass it as ``rebuild(..., warm=...)``; stopped on leaving if
    the rebuild did not take it (or never ran: Neo4j unreachable)."""
    warm = _warm_worker(options, ontology, _folders_record(options))
    try:
        yield warm
    finally:
        if warm is not None:
            warm.stop()


def _warm_worker(options: RebuildOptions, ontology: Ontology, folders: Path) -> WarmWorker | None:
    """With --jobs >= 2, an extraction worker that loads spaCy while the corpus is read,
    when the corpus's folders changed since the last build (an article was added): in a
    one-article rebuild the model is then loaded by the time the new article is found."""
    if options.jobs < 2 or not corpus_folders.changed(folders, options.corpus):
        return None
    from graph_builder.extract import Extractor

    try:
        return Extractor(ontology).warm()
    except Exception:  # noqa: BLE001 - a head start only: the extract stage starts its own
        return None


def _read_cached(
    docs: Sequence[Document],
    paths: Sequence[Path],
    ontology: Ontology,
    key: str,
    by_doc: dict[int, list[Statement]],
    refused_by_doc: dict[int, list[Rejection]],
    on_document: Callable[[], None],
    pack: Pack,
) -> list[Document]:
    """Fill ``by_doc`` from the cache files that read back (from ``pack`` if it holds
    them as they are); the documents that missed."""
    missed = []
    with gc_paused():  # ~140k statements at 10k articles: nothing cyclic to collect
        for doc, path in zip(docs, paths, strict=True):
            found = pack.take(path)
            if found is None:
                found = read_cache(path, ontology, key)
                if found is None:
                    missed.append(doc)
                    continue
                pack.keep(path, found)
            if any(s.doc_id != doc.doc_id for s in found):
                # The key is the text, not the name (two files may hold the same text):
                # re-stamped with this document's id, they are checked again.
                found, refused_by_doc[id(doc)] = schema_check(
                    [_with_doc_id(s, doc.doc_id) for s in found], ontology
                )
            by_doc[id(doc)] = found
            on_document()
    return missed


def _with_doc_id(statement: Statement, doc_id: str) -> Statement:
    return statement if statement.doc_id == doc_id else replace(statement, doc_id=doc_id)


def schema_check(
    statements: Sequence[Statement], ontology: Ontology
) -> tuple[list[Statement], list[Rejection]]:
    """Split statements into those the ontology accepts and rejections with reasons."""
    kept, _, rejected = _checked_split(statements, ontology)
    return kept, rejected


def _checked_split(
    statements: Sequence[Statement], ontology: Ontology
) -> tuple[list[Statement], list[Statement], list[Rejection]]:
    """:func:`schema_check`'s split, plus the accepted statements as the checking
    reader returns them (what a trusted cache file must hold)."""
    kept, normalised, rejected = [], [], []
    for statement in statements:
        try:
            normalised.append(statement_from_dict(statement.to_json(), ontology, statement.doc_id))
        except InputError as exc:
            rejected.append(Rejection(statement, exc.message))
        else:
            kept.append(statement)
    return kept, normalised, rejected


def write_jsonl(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Write JSON lines atomically (the old file or the new one, never half of one)."""
    from graph_builder.analysis import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


# A rebuild holds millions of long-lived acyclic objects (statements, names, rows, RDF
# terms): between the stages' own pauses, the collector still rescanned them ~400 times
# in a one-article rebuild at 10k articles (2.7 s of the main process's CPU), freeing
# nothing reference counting did not. Paused for the whole rebuild; peak memory stayed
# about the same (1,115 against 1,102 MiB).
@gc_paused()
def rebuild(
    options: RebuildOptions,
    ontology: Ontology,
    driver: Driver | None = None,
    on_stage: Callable[[str], None] = lambda name: None,
    on_document: Callable[[], None] = lambda: None,
    warm: WarmWorker | None = None,
) -> RebuildResult:
    """Run every stage; load Neo4j only when a driver is given.

    ``warm``: the worker :func:`warm_extraction` started before the caller's own set-up;
    without one, it is started here if a corpus folder changed.

    Raises ValidationError (and writes nothing to Neo4j) when statements or the dataset
    break the ontology or the shapes, unless `options.prune` drops them with a reason;
    FolderBusy when another process is writing ``options.out`` (see :mod:`out_lock`).
    """
    check_corpus(options)
    with out_lock.holding(options.out):
        return _rebuild(options, ontology, driver, on_stage, on_document, warm)


def check_corpus(options: RebuildOptions) -> None:
    """InputError unless the corpus folder exists (checked before OUT is made)."""
    if not options.corpus.is_dir():
        raise InputError(options.corpus, None, "corpus folder not found; expected a directory")


def _rebuild(
    options: RebuildOptions,
    ontology: Ontology,
    driver: Driver | None,
    on_stage: Callable[[str], None],
    on_document: Callable[[], None],
    warm: WarmWorker | None,
) -> RebuildResult:
    from graph_builder.documents import read_documents

    heap.keep_freed_memory()
    result = RebuildResult()
    stage = _Stages(result, on_stage)
    folders = _folders_record(options)
    if warm is None:
        warm = _warm_worker(options, ontology, folders)
    try:
        with stage("read"):
            docs, skipped = read_documents([options.corpus])  # it finds the articles
            result.documents = len(docs)
            result.skipped = [(s.path, s.reason) for s in skipped]
            curated = [
                s for path in find_curated(options.corpus) for s in read_statements(path, ontology)
            ]
            result.curated = len(curated)

        with stage("extract"):
            extraction = extract_with_cache(
                docs, ontology, options.out, options.jobs, on_document, warm=warm
            )
            result.cached_documents = extraction.cached
            result.extracted = len(extraction.statements) + len(extraction.rejected)
    finally:
        if warm is not None:
            warm.stop()  # not taken, or done
    corpus_folders.record(folders, options.corpus, (d.path for d in docs))
    if result.cached_documents:
        result.notes.append(
            f"{result.cached_documents} unchanged document(s) came from the extraction cache"
        )

    return build_graph(
        [*extraction.statements, *curated],
        [d.info() for d in docs],
        options,
        ontology,
        driver,
        result,
        stage,
        checked=extraction.rejected,
    )


def build_graph(
    statements: Sequence[Statement],
    documents: Sequence[DocumentInfo],
    options: RebuildOptions,
    ontology: Ontology,
    driver: Driver | None = None,
    result: RebuildResult | None = None,
    stage: _Stages | None = None,
    on_stage: Callable[[str], None] = lambda name: None,
    checked: Sequence[Rejection] | None = None,
) -> RebuildResult:
    """Statements -> resolve -> RDF (validated) -> outputs -> analytics -> Neo4j.

    Documents named by statements but not given (curated statements) get a bare record.
    ``checked``: the statements already passed the schema check (read from files, or
    checked by the caller), which refused these; None checks them here.

    With ``options.jobs >= 2`` the files are written beside analytics and the Neo4j
    load, so a failed write (disk full) is raised after Neo4j was loaded; Neo4j holds
    the complete new graph then, and the old files stay whole (atomic writes).
    statements.jsonl is written first, while the RDF is built: its failure is raised
    before the load.
    Timings ``statements``, ``rdf_check``, ``write``, ``measures`` (with a driver),
    ``export`` and ``report`` are the side processes' own seconds; ``rdf`` then includes
    reading the graph and its entity graph (else part of ``analytics``) and waiting for
    ``rdf_check`` and ``statements``, ``neo4j`` waiting for the measures, and ``export``
    and ``report`` (started beside the measures) waiting for the metrics.

    Raises FolderBusy when another process is writing ``options.out`` (see
    :mod:`out_lock`).
    """
    with out_lock.holding(options.out):
        return _build_graph(
            statements, documents, options, ontology, driver, result, stage, on_stage, checked
        )


@gc_paused()
def _build_graph(
    statements: Sequence[Statement],
    documents: Sequence[DocumentInfo],
    options: RebuildOptions,
    ontology: Ontology,
    driver: Driver | None,
    result: RebuildResult | None,
    stage: _Stages | None,
    on_stage: Callable[[str], None],
    checked: Sequence[Rejection] | None,
) -> RebuildResult:
    from graph_builder import resolve

    heap.keep_freed_memory()  # (for this process and the side processes it forks)
    result = result or RebuildResult()
    stage = stage or _Stages(result, on_stage)
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    known = {d.id for d in documents}
    infos = [
        *documents,
        *(DocumentInfo(id=i) for i in sorted({s.doc_id for s in statements} - known)),
    ]
    with stage("resolve"):
        if checked is None:
            statements, rejected = schema_check(statements, ontology)
        else:
            rejected = list(checked)
        resolution = resolve.resolve(
            statements,
            ontology,
            base_iri=options.base_iri,
            aliases=resolve.load_alias_table(ontology=ontology),
            gazetteer=resolve.load_gazetteer(),
            group_parents=resolve.load_group_parents(),
        )

    # statements.jsonl is written while the RDF is built (with --jobs >= 2), to a file
    # that takes its place beside the other outputs unless pruning changes the
    # statements; a failed rebuild removes it. So is graph.trig when a side process builds
    # the RDF (see _graph_beside_rdf).
    early = out / f".statements.jsonl.{os.getpid()}.early"
    early_trig = out / f".graph.trig.{os.getpid()}.early"
    # Leaving this block waits for every side process (writers): none outlives a failure.
    with (
        _removed_at_end(early),
        _removed_at_end(early_trig),
        sidework.SideWorks(parallel=options.jobs > 1) as side,
    ):
        with stage("rdf"):
            resolved = resolution
            statements_written = side.start(
                "statements",
                "writing statements.jsonl",
                partial(write_statements, resolved.statements, early),
                # waited for before the load, beside the side process building the RDF
                # (see _graph_beside_rdf): not behind it
                yields=False,
            )
            from_cache: int | None = None
            read: tuple[GraphData, nx.Graph] | None = None
            if side.parallel and sidework.can_fork() and (options.prune or not rejected):
                from_cache, read = _graph_beside_rdf(
                    resolution, infos, options, ontology, side, early_trig
                )
            if read is not None:
                data, graph = read
                trig: RdfBuild | Path = early_trig
            else:  # (or the side process found a fault: the RDF is built here, to name it)
                graph = None
                trig, resolution, rejected, cached = _validated_rdf(
                    resolution, infos, options, ontology, rejected
                )
                if from_cache is None:  # (else the side process's: this pass finds its stores)
                    from_cache = cached
                data = trig.graph_data(ontology)
            assert from_cache is not None
            result.cached_fragments = from_cache
            if from_cache:
                result.notes.append(
                    f"the RDF of {from_cache} unchanged document(s) came from the RDF cache; "
                    "resolution, entities, analytics and exports are recomputed over the whole "
                    "corpus because cross-document merges and network measures depend on every "
                    "document"
                )
            result.rejected = rejected
            result.statements = len(resolution.statements)
            result.outputs["statements"] = out / "statements.jsonl"
            result.outputs["rejected"] = out / "rejected.jsonl"
            result.outputs["rdf"] = out / "graph.trig"
            # With --jobs >= 2 these files are written on the other core while this process
            # goes on; every later stage reads the built graph, never these files.
            written = None
            if resolution is resolved:  # not pruned: the file written beside is the one
                statements_written.wait()  # raises its error (disk full), before any load
                written = early
            side.start(
                "write",
                "writing statements.jsonl, rejected.jsonl and graph.trig",
                partial(_write_dataset, trig, resolution, rejected, result.outputs, written),
            )
            result.entities_by_type = Counter(e.type for e in data.entities.values())
            result.relations = len(data.relations)

        analysed = _analyse(
            data, options, result, stage, side, beside_load=driver is not None, graph=graph
        )
        if driver is not None:
            with stage("neo4j"):
                try:
                    _load_neo4j(driver, data, analysed.rows, ontology, options, result)
                except Exception:
                    analysed.export()  # the files still, though Neo4j did not take the graph
                    raise
            analysed.check_exports()
        # Only this process's copies are left (the side processes have their own): freed
        # while the side processes finish, rather than on return (~0.3 s at 10k articles).
        del statements, resolution, resolved, trig, data, graph, analysed
        if driver is not None:
            try:
                side.wait_all()
            except OSError as exc:  # disk full: the files stay old, Neo4j is already new
                raise MilgraphError(
                    f"Neo4j holds the new graph, but an output file could not be written: "
                    f"{exc.strerror or exc} ({exc.filename}); the old file was kept. Free "
                    "the space and rebuild."
                ) from exc
    for name, work in side.done.items():
        if not (work.inline and name in ("statements", "write")):  # inline: part of "rdf"
            result.timings[name] = round(work.seconds or 0.0, 3)
    return result


def _write_dataset(
    trig: RdfBuild | Path,
    resolution: Resolution,
    rejected: Sequence[Rejection],
    paths: dict[str, Path],
    statements_written: Path | None,
) -> None:
    """The dataset's files; statements.jsonl moved into place when it was written before
    (to ``statements_written``), and graph.trig when ``trig`` is where it was written."""
    if statements_written is None:
        write_statements(resolution.statements, paths["statements"])
    else:
        os.replace(statements_written, paths["statements"])
    write_jsonl([r.to_json() for r in rejected], paths["rejected"])
    if isinstance(trig, Path):
        os.replace(trig, paths["rdf"])
    else:
        trig.write_trig(paths["rdf"])


def _validated_rdf(
    resolution: Resolution,
    infos: Sequence[DocumentInfo],
    options: RebuildOptions,
    ontology: Ontology,
    rejected: list[Rejection],
) -> tuple[RdfBuild, Resolution, list[Rejection], int]:
    """The dataset, built and validated; with --prune, built again without the statements
    that break a shape (the resolution and the rejections then say so). Raises
    ValidationError for any fault (``rejected`` by the schema check too) without --prune.

    Returns the dataset, its resolution, the rejections and how many documents' RDF came
    from the cache in the first pass (the prune pass finds what that pass stored).
    """
    built = _build_rdf(resolution, infos, options, ontology)
    from_cache = built.cached
    used = [f.key for f in built.fragments]  # the pruned pass's too, below
    violations = built.violations
    by_id = {s.statement_id: s for s in resolution.statements}
    bad_ids = {v.statement_id for v in violations if v.statement_id in by_id}
    if (violations or rejected) and not options.prune:
        problems = [f"{r.statement.doc_id}: {r.reason}" for r in rejected] + [
            f"{v.doc_id or '?'}: {v.message} ({v.focus})" for v in violations
        ]
        raise ValidationError(
            f"{len(problems)} statement(s) break the ontology or shapes; nothing was "
            "loaded. Fix them or rerun with --prune. First: " + "; ".join(problems[:5])
        )
    if violations:
        unmapped = [v for v in violations if v.statement_id not in by_id]
        if unmapped:
            raise ValidationError(
                "the dataset breaks the shapes outside any statement; nothing was loaded: "
                + "; ".join(f"{v.focus}: {v.message}" for v in unmapped[:5])
            )
        reasons: dict[str | None, list[str]] = {}
        for v in violations:
            reasons.setdefault(v.statement_id, []).append(v.message)
        rejected = rejected + [Rejection(by_id[i], "; ".join(reasons[i])) for i in sorted(bad_ids)]
        resolution = _without(resolution, bad_ids)
        built = _build_rdf(resolution, infos, options, ontology)  # pruned documents only
        used += [f.key for f in built.fragments]
    _evict_rdf_cache(options, used)
    return built, resolution, rejected, from_cache


def _graph_beside_rdf(
    resolution: Resolution,
    infos: Sequence[DocumentInfo],
    options: RebuildOptions,
    ontology: Ontology,
    side: sidework.SideWorks,
    trig_path: Path,
) -> tuple[int | None, tuple[GraphData, nx.Graph] | None]:
    """The graph read while a side process builds the dataset (with --jobs >= 2).

    The side process builds and validates the RDF and writes graph.trig to
    ``trig_path`` (:func:`_checked_rdf`); meanwhile this process assembles the graph
    from the records the RDF is made of, and its entity graph. The side process checks
    that the RDF reads back as exactly those records, so this graph is the one the RDF
    gives (:meth:`RdfBuild.graph_data`). Nothing is loaded or measured before it says so.

    Returns how many documents' RDF came from the cache, and the graph and its entity
    graph; None for them when the dataset breaks a shape or reads back otherwise (nothing
    written), or the side process could not start (None for both): the caller then
    builds it here (:func:`_validated_rdf`), to prune or name the faults.
    """
    from graph_builder import analysis, rdf, report, views

    # computed once: the side process inherits them to compare the RDF with
    entities = rdf.dataset_entities(resolution, options.base_iri)
    try:
        building = side.start(
            "rdf_check",
            "building, validating and writing the RDF",
            partial(_checked_rdf, resolution, entities, infos, options, ontology, trig_path),
            yields=False,  # this process waits for it
            starts_processes=True,  # a full rebuild validates in a pool
        )
    except OSError:  # no memory to fork: built here, as with --jobs 1
        return None, None
    data = rdf.assemble_graph_data(
        entities, {d.id: d for d in infos}, resolution.statements, ontology
    )
    views.filtered_relations(data)  # kept for the exports (see views)
    graph = views.entity_graph(data)
    # The modules the analytics' side processes load (the measures; the report's layout
    # and plots), ~1 s of CPU: loaded here while the side process is still at work, they
    # are found loaded by those processes, forked after this one, instead of loaded by
    # each at the busiest time of a rebuild.
    for module in (*analysis.LAZY_MODULES, *report.LAZY_MODULES):
        if building.done():
            break
        importlib.import_module(module)
    cached, same = building.wait()
    return cached, (data, graph) if same else None


def _checked_rdf(
    resolution: Resolution,
    entities: dict[str, Entity],
    infos: Sequence[DocumentInfo],
    options: RebuildOptions,
    ontology: Ontology,
    trig_path: Path,
) -> tuple[int, bool]:
    """In the side process of :func:`_graph_beside_rdf`: the dataset built, validated and
    written to ``trig_path`` if nothing breaks a shape and it reads back as the records
    it was built from (``entities``: those of the resolution). Returns how many
    documents' RDF came from the cache, and whether it was written."""
    built = _build_rdf(resolution, infos, options, ontology)
    if built.violations or not built.reads_back_as(entities, infos, resolution.statements):
        return built.cached, False  # (the cache is left to the build in the main process)
    built.write_trig(trig_path)
    _evict_rdf_cache(options, [f.key for f in built.fragments])
    return built.cached, True


@contextmanager
def _removed_at_end(path: Path) -> Iterator[None]:
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _load_neo4j(
    driver: Driver,
    data: GraphData,
    rows: Callable[[], list[dict[str, Any]]],
    ontology: Ontology,
    options: RebuildOptions,
    result: RebuildResult,
) -> None:
    """Replace the graph, its analytics scores in the same transaction (``rows`` is
    called once the graph's own writes are done)."""
    from graph_builder import neo4j_load

    summary = neo4j_load.load_graph(
        driver,
        data,
        ontology,
        database=options.database,
        batch_size=options.batch_size,
        replace=True,
        max_transaction_rows=options.chunk_rows,
        scores=rows,
        state_file=options.out / "cache" / "neo4j-state",
    )
    if summary.state_kept:
        result.notes.append(
            "Neo4j had no write since the last rebuild: the graph was compared with what that "
            "rebuild loaded (OUT/cache/neo4j-state), not read back"
        )
    result.neo4j_counts = neo4j_load.graph_counts(driver, database=options.database)


def _build_rdf(
    resolution: Resolution,
    documents: Sequence[DocumentInfo],
    options: RebuildOptions,
    ontology: Ontology,
) -> RdfBuild:
    """The dataset document by document; unchanged documents' RDF (built, validated and
    read back) comes from OUT/cache/rdf."""
    from graph_builder import rdf_fragments

    return rdf_fragments.build(
        resolution, documents, ontology, options.base_iri, _rdf_cache(options), jobs=options.jobs
    )


def _rdf_cache(options: RebuildOptions) -> Path:
    return options.out / "cache" / "rdf"


def _evict_rdf_cache(options: RebuildOptions, used: Sequence[str]) -> None:
    """Once the dataset is built: the cached fragments this build did not use are
    dropped (those of changed and removed documents), both passes' kept when it pruned.
    Housekeeping only: a cache that cannot be cleaned (read-only) fails nothing."""
    from graph_builder import rdf_fragments

    try:
        rdf_fragments.evict(_rdf_cache(options), used)
    except OSError:
        pass


def _without(resolution: Resolution, statement_ids: set[str]) -> Resolution:
    """The resolution less some statements, and less entities no statement uses any more."""
    kept = tuple(s for s in resolution.statements if s.statement_id not in statement_ids)
    used = {s.subject_id for s in kept} | {s.object_id for s in kept}
    entities = {k: v for k, v in resolution.entities.items() if k in used}
    return replace(resolution, statements=kept, entities=entities)


class _Analysis:
    """The network measures, begun; the exports, started once the measures are in."""

    def __init__(
        self, measures: Callable[[], Metrics], start_exports: Callable[[Metrics], None]
    ) -> None:
        self._measures, self._start_exports = measures, start_exports
        self._exported = False
        self._export_failure: Exception | None = None

    def rows(self) -> list[dict[str, Any]]:
        """metrics.csv's rows (waiting for them); the exports start the first time.

        A file writer that cannot start (no memory to fork) must not fail the Neo4j
        load that asks for the rows: its error waits for :meth:`check_exports`."""
        metrics = self._measures()
        if not self._exported:
            self._exported = True
            try:
                self._start_exports(metrics)
            except Exception as exc:  # noqa: BLE001 - raised by check_exports
                self._export_failure = exc
        return metrics.rows

    def check_exports(self) -> None:
        """Raise the error that kept the exports from starting, if one did."""
        if self._export_failure is not None:
            raise self._export_failure

    def export(self) -> None:
        """Start the exports if the measures are in; a failure of theirs is left to be
        raised by the side works' block (the caller may be handling another)."""
        try:
            self.rows()
        except Exception:  # noqa: BLE001 - raised again where the measures are waited for
            pass


def _analyse(
    data: GraphData,
    options: RebuildOptions,
    result: RebuildResult,
    stage: _Stages,
    side: sidework.SideWorks,
    *,
    beside_load: bool,
    graph: nx.Graph | None = None,
) -> _Analysis:
    """Metrics (metrics.csv), then the exports: with --jobs >= 2 written by side
    processes (``export``: GraphML and GEXF; ``report``).

    With ``beside_load`` and --jobs >= 2 the measures are computed by a side process
    (``measures``) while the caller loads Neo4j, and the exports start when the load
    asks for the rows; otherwise they are computed here and the exports start at once.
    ``graph``: the entity graph of ``data``, if it was built already.
    """
    from graph_builder import analysis, export, report, views

    paths = result.outputs
    for name, file_name in (
        ("metrics", "metrics.csv"),
        ("graphml", "graph.graphml"),
        ("gexf", "graph.gexf"),
        ("report", "report.html"),
    ):
        paths[name] = options.out / file_name

    def measure(parallel: bool) -> Metrics:
        metrics = analysis.compute_metrics(graph, seed=options.seed, parallel=parallel)
        analysis.write_metrics_csv(metrics.rows, paths["metrics"])
        return metrics

    def write_graph_files(metrics: Callable[[], Metrics], ahead: bool) -> None:
        # rendered as far as they need no score before the scores are asked for (`ahead`
        # unused: the rest of the graph files needs every score)
        prepared = export.prepare_graph_files(data)
        prepared.write(metrics().rows, paths["graphml"], paths["gexf"])

    def write_report(metrics: Callable[[], Metrics], ahead: bool) -> None:
        prepared = report.prepare_report(data, graph)
        if ahead:  # the scores are still being computed: the network is drawn meanwhile
            prepared = prepared.with_drawing(seed=options.seed)
        done = metrics()
        # the key players metrics.csv ranks, not a second search
        prepared.write(
            done.rows,
            paths["report"],
            seed=options.seed,
            key_players=done.key_players,
            notes=done.notes,
        )

    writers = {
        "export": ("writing graph.graphml and graph.gexf", write_graph_files),
        "report": ("writing report.html", write_report),
    }

    def start_exports(metrics: Metrics, early: dict[str, sidework.Inbox[Metrics]]) -> None:
        """Start the file writers, or hand the metrics to those started ``early``."""
        result.top_central = sorted(metrics.rows, key=lambda r: -float(r["betweenness"]))[:5]
        # how the scores were obtained (exact or sampled, with the error bound)
        result.notes.extend(metrics.notes)
        # The report shares no work with the graph files: two side processes instead of
        # one (each ~5-8 s of CPU at 10k articles).
        failed: OSError | None = None
        for name, (label, write) in writers.items():
            try:
                if name in early:
                    early[name].give(metrics)
                else:
                    side.start(name, label, partial(write, lambda: metrics, ahead=False))
            except OSError as exc:  # no fork, no temporary space: the other one still goes
                failed = failed or exc
        if failed is not None:
            raise failed

    def start_exports_early(names: Sequence[str]) -> dict[str, sidework.Inbox[Metrics]]:
        """Start these file writers before the metrics, at a lower priority: each does
        what needs no score (the graph files' edges, names and types; the report's
        imports and timeline), then takes the metrics from its inbox. A writer that
        cannot start now (no fork) is started again with the metrics, as without the
        measures beside the load."""
        inboxes: dict[str, sidework.Inbox[Metrics]] = {}
        for name in names:
            label, write = writers[name]
            try:
                inbox: sidework.Inbox[Metrics] = sidework.Inbox()
            except OSError:  # no temporary space: no inbox
                continue
            try:
                side.start(name, label, partial(write, inbox.take, ahead=True), inbox=inbox)
            except OSError:
                inbox.close()
            else:
                inboxes[name] = inbox
        return inboxes

    # (without fork the side works run inline: the exports would run inside the load)
    beside = beside_load and side.parallel and sidework.can_fork()
    with stage("analytics"):
        early: dict[str, sidework.Inbox[Metrics]] = {}
        if beside:
            # The graph files need the filtered relations, not the entity graph: their
            # writer starts on the other core (idle now) while this one builds the graph,
            # and finds the relations filtered (views keeps the last filterings).
            views.filtered_relations(data)
            early = start_exports_early(["export"])
        if graph is None:
            graph = views.entity_graph(data)
        if beside:
            # The measures' side process starts no other (it is daemonic): it finds the
            # communities after the other measures, not beside them. The exports and the
            # load wait for it: it does not yield to the file writers.
            measures = side.start(
                "measures", "computing network measures", lambda: measure(False), yields=False
            )
            early |= start_exports_early(["report"])
            analysed = _Analysis(measures.wait, lambda m: start_exports(m, early))
        else:
            done = measure(side.parallel)
            analysed = _Analysis(lambda: done, lambda m: start_exports(m, {}))
    if not beside:
        stage.on_stage("export")
        analysed.rows()  # the exports begin now, before any load
        analysed.check_exports()
    return analysed
