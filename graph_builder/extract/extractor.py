"""The rule-based extractor: documents in, evidence-backed statements out."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from graph_builder.documents import Document
from graph_builder.errors import MilgraphError
from graph_builder.extract.calibration import DEFAULT_CONFIDENCE, ConfidenceTable
from graph_builder.extract.calibration import load as load_confidence
from graph_builder.extract.context import Slot, new_state, read_sentence
from graph_builder.extract.events import Event
from graph_builder.extract.gazetteer import DEFAULT_GAZETTEER, Gazetteer, load_gazetteer
from graph_builder.extract.mentions import Mention, find_mentions
from graph_builder.extract.modality import attribution, is_negated, modality_of, speaker_spans
from graph_builder.extract.nlp import MODELS
from graph_builder.extract.patterns import Candidate, denials, dependency, surface, surface_places
from graph_builder.ontology import Ontology
from graph_builder.statements import Statement

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

EXTRACTOR_VERSION = "0.5.1"
EXTRACTOR_NAME = f"milgraph-rules/{EXTRACTOR_VERSION}"

MEMBERSHIP = frozenset({"leader_of", "member_of", "founder_of"})


def inputs_digest(
    gazetteer: Path = DEFAULT_GAZETTEER, confidence: Path = DEFAULT_CONFIDENCE
) -> str:
    """12 hex digits naming what decides an extraction beside the rules' code (which
    :data:`EXTRACTOR_VERSION` names): the gazetteer, the confidence table, and the spaCy
    model and library versions. Part of the extraction cache's key, so editing one of
    them re-extracts instead of serving statements made without it."""
    digest = hashlib.sha256()
    for path in (gazetteer, confidence):
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")  # the extractor itself reports it, if it runs
        digest.update(b"\0")
    model = next((f"{name}=={v}" for name in MODELS if (v := _installed(name))), "no model")
    digest.update(f"{model}\0spacy=={_installed('spacy')}".encode())
    return digest.hexdigest()[:12]


def _installed(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@dataclass
class _Pending:
    candidate: Candidate
    sentence: tuple[int, int]
    evidence: str
    modality: str
    attributed_to: str | None


def _slot_name(slot: Slot) -> str:
    if slot.type == "Event" and slot.event is not None:
        return slot.event.display()
    return slot.names[0]


def _inside(cand: Candidate, spans: list[tuple[int, int]]) -> bool:
    """Whether both ends of a candidate lie inside one speaker phrase."""
    ends = [cand.subject, cand.object]
    if any(slot.start < 0 for slot in ends):
        return False
    return any(all(a <= slot.start and slot.end <= b for slot in ends) for a, b in spans)


def _sentence_bounds(sent: Span, text: str) -> tuple[int, int, str]:
    """Character bounds and text of a sentence without its outer whitespace; ``text`` is
    the document's text, which spaCy's tokens cover exactly (slicing it equals
    ``sent.text`` without rebuilding the string token by token)."""
    raw = text[sent.start_char : sent.end_char]
    stripped = raw.strip()
    start = sent.start_char + (len(raw) - len(raw.lstrip()))
    return start, start + len(stripped), stripped


def _place_parents(text: str, mentions: list[Mention]) -> dict[str, list[str]]:
    """ "Zangara, a village in South Waziristan" -> Zangara is in South Waziristan."""
    parents: dict[str, list[str]] = {}
    places = [m for m in mentions if m.type == "Location" and m.kind == "name"]
    for a, b in zip(places, places[1:], strict=False):
        between = text[a.end : b.start]
        if re.fullmatch(
            r",? an? (?:[\w-]+ )?(?:village|town|city|district|province|region|suburb|area|"
            r"neighbourhood|neighborhood) (?:in|of) (?:the )?| district of | province of ",
            between,
        ) or (between == ", " and re.match(r"[,.;]", text[b.end : b.end + 1] or ".")):
            parents.setdefault(a.name, []).append(b.name)
    return parents


# Workers are spawned (fresh interpreters that read the BLAS thread limits below before
# numpy loads), each loading its own model in the initializer.
START_METHOD = "spawn"
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_WORKER: Extractor | None = None
_WORKER_BATCH = 16


def _start_worker(
    ontology: Ontology,
    gazetteer: Gazetteer,
    confidence: ConfidenceTable,
    batch_size: int,
    denials: bool,
) -> None:
    """Pool initializer: one extractor (and one spaCy model) per worker process."""
    global _WORKER, _WORKER_BATCH
    _WORKER = Extractor(ontology, gazetteer=gazetteer, confidence=confidence, denials=denials)
    _WORKER.nlp  # noqa: B018 - loaded now, so that the freeze below covers the model
    _WORKER_BATCH = batch_size
    # The model's objects live as long as the worker: keep them out of the cyclic
    # collector's full passes, which otherwise rescan them while documents stream by.
    gc.freeze()


def _work(chunk: list[Document]) -> list[list[Statement]]:
    """Parse and extract one chunk of documents in a worker."""
    assert _WORKER is not None, "worker not started"
    return [found for _, found in _WORKER.extract_all(chunk, jobs=1, batch_size=_WORKER_BATCH)]


def _ready() -> None:
    """A warm worker's first task: it runs once the worker's initializer has loaded the
    model."""


# Seconds a warm worker's start may take (0.5-2 s under the CLI) before it is given up.
WARM_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class WarmWorker:
    """A worker begun by :meth:`Extractor.warm`, before its documents are known."""

    extractor: Extractor
    pool: ProcessPoolExecutor
    batch_size: int
    starting: threading.Thread
    failures: list[BaseException]  # the start's error, if it failed

    def started(self) -> bool:
        """Wait until the process is started (at most :data:`WARM_START_TIMEOUT`);
        whether it could be.

        A worker killed while it starts (a signal, the OOM killer) can leave its start
        waiting forever: the spawning writes the start-up data to a pipe whose reading
        end this process also holds until the write is done. Such a worker is given up:
        the extraction starts workers of its own."""
        return self._start_ended() and not self.failures

    def stop(self) -> None:
        """Not needed after all: the worker ends once its model is loaded, without this
        process waiting for it, only for its start (calling it again, or after
        :meth:`Extractor.start` took the worker and its work ended, does nothing). A start
        given up is left to its daemon thread: it holds the pool's lock, which shutting
        the pool down would wait for."""
        if self._start_ended():
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _start_ended(self) -> bool:
        """Wait for the start, at most :data:`WARM_START_TIMEOUT` over all calls;
        whether it ended."""
        given_up = any(isinstance(f, TimeoutError) for f in self.failures)
        self.starting.join(0 if given_up else WARM_START_TIMEOUT)
        if not self.starting.is_alive():
            return True
        if not given_up:
            self.failures.append(
                TimeoutError(f"the worker did not start within {WARM_START_TIMEOUT:.0f} s")
            )
        return False


def _collected(
    chunks: list[list[Document]], results: Iterator[list[list[Statement]]]
) -> Iterator[tuple[Document, list[Statement]]]:
    """The chunks' documents with their statements; a worker that died (killed by a
    signal or for memory) is reported naming the chunk it left undone."""
    done = 0
    try:
        for found in results:
            yield from zip(chunks[done], found, strict=True)
            done += 1
    except BrokenProcessPool:
        chunk = chunks[done]
        others = f" and {len(chunk) - 1} document(s) after it" if len(chunk) > 1 else ""
        raise MilgraphError(
            f"an extraction worker process died (killed, or out of memory) before it "
            f"finished {chunk[0].path}{others}. Run again, with --jobs 1 if memory is short "
            "(a rebuild takes the documents extracted before from its cache)."
        ) from None


class Extractions:
    """(document, statements) pairs in input order, as they are done; when worker
    processes make them, closing (or finishing) shuts the workers down, and closing
    early cancels the chunks no worker has started."""

    def __init__(
        self,
        items: Iterator[tuple[Document, list[Statement]]],
        pool: ProcessPoolExecutor | None = None,
    ) -> None:
        self._items, self._pool = items, pool

    def __iter__(self) -> Iterator[tuple[Document, list[Statement]]]:
        try:
            yield from self._items
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class Extractor:
    """Rules over spaCy parses and a gazetteer; load once, call for many documents."""

    def __init__(
        self,
        ontology: Ontology,
        nlp: Language | None = None,
        gazetteer: Gazetteer | None = None,
        confidence: ConfidenceTable | None = None,
        denials: bool = False,
    ) -> None:
        self.ontology = ontology
        self._nlp = nlp
        self.gazetteer = gazetteer or load_gazetteer()
        self.confidence = confidence or load_confidence()
        # Denied relations ("X denied being a member of Y") as modality "denied"
        # statements. Off by default: readers that ignore modality would take them as
        # facts (the shared scorer does).
        self.denials = denials

    @property
    def nlp(self) -> Language:
        """The spaCy pipeline, loaded on first use: a parent process whose workers do
        all the parsing (``extract_all(jobs=N)``) never loads one of its own."""
        if self._nlp is None:
            from graph_builder.extract.nlp import load_spacy

            self._nlp = load_spacy()
        return self._nlp

    def extract(self, doc: Document) -> list[Statement]:
        """Statements one document supports, in text order."""
        return [s for s, _ in self._from_parse(doc, self.nlp(doc.text))]

    def extract_with_families(self, doc: Document) -> list[tuple[Statement, str]]:
        """Like :meth:`extract`, with the pattern family that made each statement (for
        calibrating confidence on gold articles)."""
        return self._from_parse(doc, self.nlp(doc.text))

    def extract_all(
        self, docs: Sequence[Document], jobs: int = 1, batch_size: int = 16
    ) -> Iterator[tuple[Document, list[Statement]]]:
        """Extract many documents, yielding them in input order as they are done.

        ``jobs=1`` parses with ``nlp.pipe`` in this process. ``jobs=N`` starts N worker
        processes, each loading its own spaCy model once, and sends them chunks of
        ``batch_size`` documents to parse *and* extract (the rules cost as much as the
        parse, so both run in the workers); results stream back in input order and are
        identical to ``jobs=1``.
        """
        if jobs <= 1 or len(docs) <= batch_size:
            yield from self._in_process(docs, batch_size)
        else:  # a generator still: nothing starts before the first item is asked for
            yield from self.start(docs, jobs, batch_size)

    def start(
        self,
        docs: Sequence[Document],
        jobs: int,
        batch_size: int = 16,
        warm: WarmWorker | None = None,
    ) -> Extractions:
        """Like :meth:`extract_all`, but with ``jobs >= 2`` the workers start now, however
        few the documents: they load spaCy (~3 s) while the caller does other work, such
        as reading cached extractions. Iterate the result, or close it to stop early.

        ``warm``: a worker started earlier by :meth:`warm` (whose model may be loaded by
        now); it takes the documents when one worker is all they need (one batch),
        else it is stopped and the usual workers start.
        """
        if jobs <= 1:
            return Extractions(self._in_process(docs, batch_size))
        chunks = [list(docs[i : i + batch_size]) for i in range(0, len(docs), batch_size)]
        if warm is not None and (
            len(chunks) > 1 or warm.batch_size != batch_size or not warm.started()
        ):
            warm.stop()
            warm = None
        pool = warm.pool if warm else self._pool(max(1, min(jobs, len(chunks))), batch_size)
        try:
            results = pool.map(_work, chunks)  # every chunk is queued now: workers start
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return Extractions(_collected(chunks, results), pool)

    def warm(self, batch_size: int = 16) -> WarmWorker:
        """One worker process, started before the documents are known: it loads spaCy
        while the caller reads the corpus. Hand it to :meth:`start`, or stop it."""
        pool = self._pool(1, batch_size)
        failures: list[BaseException] = []

        def start() -> None:
            try:
                pool.submit(_ready)  # the first task starts the process (and its initializer)
            except BaseException as exc:  # noqa: BLE001 - start() then starts its own
                failures.append(exc)

        # Spawning writes the worker's start-up data (~100 KB, more than a pipe holds)
        # and blocks until the new interpreter has imported the main module (0.5-2 s
        # under the CLI): a thread waits for that while the caller reads the corpus.
        starting = threading.Thread(target=start, name="warm extraction worker", daemon=True)
        starting.start()
        return WarmWorker(self, pool, batch_size, starting, failures)

    def _pool(self, workers: int, batch_size: int) -> ProcessPoolExecutor:
        context = multiprocessing.get_context(START_METHOD)
        for var in BLAS_THREAD_VARS:  # one BLAS thread per worker: N workers, N cores
            os.environ.setdefault(var, "1")
        # An executor, not a Pool: a worker that dies (killed for memory) breaks the run
        # with BrokenProcessPool instead of leaving it waiting forever for its chunk.
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self.ontology, self.gazetteer, self.confidence, batch_size, self.denials),
        )

    def _in_process(
        self, docs: Sequence[Document], batch_size: int
    ) -> Iterator[tuple[Document, list[Statement]]]:
        parsed = self.nlp.pipe((d.text for d in docs), batch_size=batch_size)
        for document, parse in zip(docs, parsed, strict=True):
            yield document, [s for s, _ in self._from_parse(document, parse)]

    # --------------------------------------------------------------------------------
    def _from_parse(self, document: Document, doc: Doc) -> list[tuple[Statement, str]]:
        text = document.text  # Doc.text is rebuilt on every access: read it once
        mentions = find_mentions(doc, self.gazetteer, text)
        state = new_state(mentions, document.date)
        year = document.date[:4] if document.date else None
        pending: list[_Pending] = []
        officials: set[str] = set()
        place_evidence: list[tuple[Event, str, tuple[int, int], str, str]] = []
        parents = _place_parents(text, mentions)
        for sent in doc.sents:
            start, end, evidence = _sentence_bounds(sent, text)
            if not evidence:
                continue
            before = {id(e): len(e.places) for e in state.events}
            view = read_sentence(sent, mentions, state, self.gazetteer, year, text)
            officials.update(s.names[0] for s in view.slots if s.official)
            modality_text = evidence
            who = None
            speakers = speaker_spans(sent)
            candidates = list(surface(view, state)) + list(dependency(view, state))
            surface_places(view)
            candidates += [
                Candidate(Slot(-1, -1, "Person", (victim,)), "killed_in", slot, "killed", "")
                for slot in view.slots
                for victim in slot.victims
            ]
            if self.denials:
                candidates += list(denials(view))
            for cand in candidates:
                if cand.denied:
                    who = cand.subject.names[0]
                    pending.append(_Pending(cand, (start, end), evidence, "denied", who))
                    continue
                if is_negated(cand.cue):
                    continue
                modality = modality_of(modality_text, cand.claimed, cand.alleged)
                if modality == "reported" and _inside(cand, speakers):
                    modality = "asserted"
                if modality != "asserted" and who is None:
                    who = attribution(sent)
                pending.append(
                    _Pending(
                        cand,
                        (start, end),
                        evidence,
                        modality,
                        who if modality != "asserted" else None,
                    )
                )
                if cand.predicate == "leader_of" and cand.role is None:
                    state.leaders.setdefault(cand.object.names[0], cand.subject.names[0])
            for event in state.events:
                for place in event.places[before.get(id(event), 0) :]:
                    place_evidence.append(
                        (event, place, (start, end), evidence, modality_of(evidence))
                    )
        return self._finalise(document, pending, place_evidence, officials, parents)

    def _finalise(
        self,
        document: Document,
        pending: list[_Pending],
        place_evidence: list[tuple[Event, str, tuple[int, int], str, str]],
        officials: set[str],
        parents: dict[str, list[str]],
    ) -> list[tuple[Statement, str]]:
        out: list[tuple[Statement, str]] = []
        seen: set[tuple[str, str, str, tuple[int, int]]] = set()

        def add(
            subject: str,
            s_type: str,
            predicate: str,
            obj: str,
            o_type: str,
            p: _Pending | None,
            family: str,
            span: tuple[int, int],
            evidence: str,
            modality: str,
            who: str | None = None,
            **extra: str | None,
        ) -> None:
            pred = self.ontology.predicates.get(predicate)
            if pred is None or not subject or not obj or subject == obj:
                return
            fits = s_type in pred.domain and o_type in pred.range
            if pred.symmetric:
                fits = fits or (o_type in pred.domain and s_type in pred.range)
            if not fits:
                return
            if predicate in MEMBERSHIP and subject in officials:
                return  # a quoted official is never made a member of a group
            key = (subject, predicate, obj, span)
            if pred.symmetric:
                a, b = sorted((subject, obj))
                key = (a, predicate, b, span)
            if key in seen:
                return
            seen.add(key)
            confidence = self.confidence.of(family, modality)
            out.append(
                (
                    Statement(
                        doc_id=document.doc_id,
                        subject=subject,
                        subject_type=s_type,
                        predicate=predicate,
                        object=obj,
                        object_type=o_type,
                        evidence=evidence,
                        span=span,
                        modality=modality,
                        confidence=confidence,
                        attributed_to=who,
                        extractor=EXTRACTOR_NAME,
                        **extra,
                    ),
                    family,
                )
            )

        for p in pending:
            c = p.candidate
            event = next((x.event for x in (c.object, c.subject) if x.event is not None), None)
            add(
                _slot_name(c.subject),
                c.subject.type,
                c.predicate,
                _slot_name(c.object),
                c.object.type,
                p,
                c.family,
                p.sentence,
                p.evidence,
                p.modality,
                p.attributed_to,
                role=c.role,
                relation=c.relation,
                link_kind=c.link_kind,
                date=event.date if event is not None else None,
            )
        for happening, place, span, evidence, modality in place_evidence:
            name = happening.display()
            for where in (place, *parents.get(place, [])):
                add(
                    name,
                    "Event",
                    "occurred_in",
                    where,
                    "Location",
                    None,
                    "place",
                    span,
                    evidence,
                    modality,
                    date=happening.date,
                )
        out.sort(key=lambda r: (r[0].span or (0, 0), r[0].predicate, r[0].subject, r[0].object))
        return out
