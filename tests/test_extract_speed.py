"""The speed-ups of extraction change nothing: the fast attribute matcher and memoised
lemmas give spaCy's own results, the tuned pipeline annotates exactly like the stock one,
and worker processes extract the same statements as one process."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
import spacy
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc

from graph_builder.documents import Document, find_articles, read_documents
from graph_builder.extract import Extractor, load_spacy
from graph_builder.extract.nlp import (
    MODELS,
    PARAGRAPH_COMPONENT,
    FastAttributeMatcher,
    _register,
    speed_up,
)
from graph_builder.ontology import load_ontology

HELDOUT = Path(__file__).parent / "data" / "heldout"

# Sentences that reach the attribute ruler's rarer rules: multi-token ones ("gonna",
# "y'all", "let's", "ain't", "there is"), regexes ("nothin'"), dependency tests
# (object pronouns, auxiliaries, "do" as a main verb) and whitespace tokens.
RULE_SENTENCES = (
    "Y'all know they ain't gonna stop, and let's be clear: there is nothin' left.\n\n"
    "He did it. She saw me and you, and they had told it to us.  It was gotta happen.\n"
    "C'mon, that is what I'd say if they were not there; which one? Those that do."
)


def _stock() -> Language:
    """The model exactly as spaCy loads it, plus milgraph's paragraph rule."""
    _register()
    for name in MODELS:
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        nlp.add_pipe(PARAGRAPH_COMPONENT, before="parser")
        return nlp
    raise AssertionError(f"no spaCy model installed (tried {MODELS})")


def _annotations(doc: Doc) -> list[tuple[object, ...]]:
    return [
        (
            t.text,
            t.tag_,
            t.pos_,
            str(t.morph),
            t.lemma_,
            t.dep_,
            t.head.i,
            t.ent_iob_,
            t.ent_type_,
            t.is_sent_start,
        )
        for t in doc
    ]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    docs, _ = read_documents(find_articles([HELDOUT]))
    assert len(docs) >= 4, f"held-out articles missing under {HELDOUT}"
    return [RULE_SENTENCES, *(d.text for d in docs[:6])]


@pytest.fixture(scope="module")
def stock() -> Language:
    return _stock()


def test_fast_matcher_finds_what_spacys_matcher_finds(stock: Language, texts: list[str]) -> None:
    ruler = cast(AttributeRuler, stock.get_pipe("attribute_ruler"))
    fast = FastAttributeMatcher(ruler)
    with stock.select_pipes(disable=["attribute_ruler", "lemmatizer", "ner"]):
        parsed = list(stock.pipe(texts))
    multi = 0
    for doc in parsed:
        expected = ruler.match(doc)
        assert fast(doc) == expected
        multi += sum(1 for _, _, start, end in expected if end - start > 1)
    assert multi >= 3, "the sample no longer reaches the multi-token rules"


def test_tuned_pipeline_annotates_like_the_stock_one(stock: Language, texts: list[str]) -> None:
    tuned = load_spacy()
    assert tuned.pipe_names == stock.pipe_names
    for ours, theirs in zip(tuned.pipe(texts), stock.pipe(texts), strict=True):
        assert _annotations(ours) == _annotations(theirs)


def test_rules_the_fast_matcher_cannot_reproduce_keep_spacys_matcher() -> None:
    nlp = spacy.blank("en")
    ruler = cast(AttributeRuler, nlp.add_pipe("attribute_ruler"))
    ruler.add([[{"LOWER": "very", "OP": "+"}, {"TAG": "JJ"}]], {"LEMMA": "much"})
    speed_up(nlp)
    assert "match" not in vars(ruler)  # the class's own Matcher-based method


def test_workers_extract_what_one_process_extracts() -> None:
    docs: list[Document] = read_documents(find_articles([HELDOUT]))[0][:5]
    extractor = Extractor(load_ontology())
    one = [(d.doc_id, found) for d, found in extractor.extract_all(docs, jobs=1)]
    two = [(d.doc_id, found) for d, found in extractor.extract_all(docs, jobs=2, batch_size=2)]
    single = [(d.doc_id, extractor.extract(d)) for d in docs]
    assert sum(len(found) for _, found in one) > 0
    assert one == two == single
