"""The fast NER decoder finds exactly spaCy's entities: its hidden layer equals spaCy's
state vectors, its validity table equals ``is_valid`` of every action, the decoded
entities equal the stock component's on real articles, and every input it does not
cover goes through spaCy's own code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import spacy
from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span

from graph_builder.documents import find_articles, read_documents
from graph_builder.extract import fast_ner, load_spacy
from graph_builder.extract.fast_ner import FastEntities, FastEntityRecognizer

HELDOUT = Path(__file__).parent / "data" / "heldout"

# Entities next to sentence starts, whitespace tokens and the end of the document.
EDGES = (
    "Barack Obama met  Angela Merkel in  Berlin on Monday.\n\n  New York Times reporters "
    "flew to Paris. Paris\n  \nAl-Shabaab claimed 12 deaths in Mogadishu, Somalia"
)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_spacy()


@pytest.fixture(scope="module")
def fast(nlp: Language) -> FastEntityRecognizer:
    ner = nlp.get_pipe("ner")
    assert isinstance(ner, FastEntityRecognizer)
    return ner


@pytest.fixture(scope="module")
def stock(fast: FastEntityRecognizer) -> EntityRecognizer:
    """spaCy's own component on the same model and actions."""
    return EntityRecognizer(fast.vocab, fast.model, "ner", fast.moves, scorer=fast.scorer)


@pytest.fixture(scope="module")
def parsed(nlp: Language) -> list[Doc]:
    """Documents annotated up to the NER, of varied lengths (one token, empty)."""
    articles, _ = read_documents(find_articles([HELDOUT]))
    texts = [EDGES, "Obama", "", *(a.text for a in articles[:4])]
    return list(nlp.pipe(texts, disable=["ner"]))


def _entities(doc: Doc) -> list[tuple[object, ...]]:
    return [(t.ent_iob, t.ent_type, t.ent_kb_id) for t in doc] + [
        (e.start, e.end, e.label_) for e in doc.ents
    ]


def _run(component: EntityRecognizer, docs: list[Doc], batch_size: int) -> list[Doc]:
    return list(component.pipe([d.copy() for d in docs], batch_size=batch_size))


@pytest.mark.parametrize("batch_size", [1, 16])
def test_fast_decoder_finds_spacys_entities(
    fast: FastEntityRecognizer, stock: EntityRecognizer, parsed: list[Doc], batch_size: int
) -> None:
    ours, theirs = _run(fast, parsed, batch_size), _run(stock, parsed, batch_size)
    assert [_entities(d) for d in ours] == [_entities(d) for d in theirs]
    assert sum(len(d.ents) for d in theirs) > 50


def test_predict_takes_the_fast_path(fast: FastEntityRecognizer, parsed: list[Doc]) -> None:
    assert isinstance(fast.predict(parsed[:4]), FastEntities)


def test_unseen_classes_score_as_spaCy_scores_them(
    fast: FastEntityRecognizer, stock: EntityRecognizer, parsed: list[Doc]
) -> None:
    """spaCy sets unseen classes to the batch's lowest score; with O among them the
    decoder must still agree with spaCy."""
    attrs = fast.model.attrs
    saved = attrs["unseen_classes"]
    attrs["unseen_classes"] = {fast.moves.n_moves - 1, 0, 3}
    try:
        ours, theirs = _run(fast, parsed, 64), _run(stock, parsed, 64)  # one batch
    finally:
        attrs["unseen_classes"] = saved
    assert [_entities(d) for d in ours] == [_entities(d) for d in theirs]


def _walk(fast: FastEntityRecognizer, doc: Doc) -> Iterator[tuple[Any, int, int, int]]:
    """spaCy's states for ``doc`` along the entities the fast decoder finds: each
    state with its token index, and the start (-1 if none) and label of its open
    entity."""
    (found,) = fast.predict([doc]).entities
    names = ["O"] * len(doc)
    for start, end, label in found:
        tag = fast.vocab.strings[label]
        if end - start == 1:
            names[start] = f"U-{tag}"
        else:
            names[start:end] = [f"B-{tag}", *[f"I-{tag}"] * (end - start - 2), f"L-{tag}"]
    (state,) = fast.moves.init_batch([doc])
    entity_start, label = -1, 0
    for i, name in enumerate(names):
        yield state, i, entity_start, label
        if name[0] == "B":
            entity_start, label = i, fast.vocab.strings[name[2:]]
        elif name[0] != "I":
            entity_start, label = -1, 0
        fast.moves.apply_transition(state, name)


def test_hidden_layer_equals_spacys_state_vectors(
    fast: FastEntityRecognizer, parsed: list[Doc]
) -> None:
    doc = parsed[0]
    step_model = fast.model.predict([doc])
    weights = fast_ner._weights(fast, [doc])
    closed = fast_ner._closed_hidden(weights)
    n_open = 0
    for state, i, entity_start, _ in _walk(fast, doc):
        expected = step_model.state2vec.predict(step_model.get_token_ids([state]))[0]
        if entity_start < 0:
            ours = closed[i + 1]
        else:
            ours = fast_ner._open_hidden(weights, i + 1, entity_start + 1)
            n_open += 1
        assert np.array_equal(ours.view(np.int32), expected.view(np.int32)), i
    assert n_open >= 5


def test_validity_table_equals_spacys_is_valid(
    fast: FastEntityRecognizer, parsed: list[Doc]
) -> None:
    actions = fast._cached_actions()
    names = [fast.moves.get_class_name(c) for c in range(fast.moves.n_moves)]
    for doc in parsed[:2]:
        tokens = fast_ner._tokens([doc])
        for state, i, entity_start, label in _walk(fast, doc):
            if entity_start < 0:
                code = tokens.closed_code[i + 1]
            else:
                code = actions.open_code[label] + tokens.next_blocked[i + 1]
            expected = [bool(fast.moves.is_valid(state, name)) for name in names]
            assert list(np.isfinite(actions.penalty[code])) == expected, (i, names)


def test_preset_entities_go_through_spacy(
    fast: FastEntityRecognizer, stock: EntityRecognizer, parsed: list[Doc]
) -> None:
    docs = [parsed[0].copy(), parsed[3].copy()]
    docs[1].set_ents([Span(docs[1], 0, 2, label="ORG")], default="unmodified")
    assert not isinstance(fast.predict(docs), FastEntities)
    assert [_entities(d) for d in _run(fast, docs, 16)] == [
        _entities(d) for d in _run(stock, docs, 16)
    ]


def test_empty_batches_and_beam_search_go_through_spacy(
    fast: FastEntityRecognizer, parsed: list[Doc]
) -> None:
    assert not isinstance(fast.predict([parsed[2]]), FastEntities)  # the empty text
    cfg = fast.cfg
    fast.cfg = {**cfg, "beam_width": 2}
    try:
        assert not fast_ner.supports(fast)
        assert not isinstance(fast.predict(parsed[:1]), FastEntities)
    finally:
        fast.cfg = cfg


def test_install_leaves_unsupported_recognizers_alone() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("beam_ner")
    fast_ner.install(nlp)
    assert type(nlp.get_pipe("beam_ner")) is EntityRecognizer


def test_scores_that_could_overflow_go_through_spacy(
    fast: FastEntityRecognizer, parsed: list[Doc]
) -> None:
    """With a NaN in the lower layer, spaCy's comparisons decide, not numpy's."""
    lower = fast.model.get_ref("lower")
    bias = lower.get_param("b")
    broken = bias.copy()
    broken[0, 0] = np.nan
    lower.set_param("b", broken)
    try:
        assert not isinstance(fast.predict(parsed[:1]), FastEntities)
    finally:
        lower.set_param("b", bias)
    assert isinstance(fast.predict(parsed[:1]), FastEntities)
