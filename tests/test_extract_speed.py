"""The speed-ups of extraction change nothing: the fast attribute matcher and setter and
the memoised lemmas give spaCy's own results, the tuned pipeline annotates exactly like
the stock one, and worker processes extract the same statements as one process."""

from __future__ import annotations

import random
from collections.abc import Iterator
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
    FastAttributeSetter,
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


def test_fast_setter_writes_what_spacys_setter_writes(stock: Language, texts: list[str]) -> None:
    ruler = cast(AttributeRuler, stock.get_pipe("attribute_ruler"))
    fast = FastAttributeSetter(ruler)
    with stock.select_pipes(disable=["attribute_ruler", "lemmatizer", "ner"]):
        parsed = list(stock.pipe(texts))
    for doc in parsed:
        matches = ruler.match(doc)
        theirs, ours = doc.copy(), doc.copy()
        ruler.set_annotations(theirs, matches)
        fast(ours, matches)
        assert _ruled(ours) == _ruled(theirs)
        assert _ruled(ours) != _ruled(doc)  # the rules did write something


def test_tuned_pipeline_annotates_like_the_stock_one(stock: Language, texts: list[str]) -> None:
    tuned = load_spacy()
    assert tuned.pipe_names == stock.pipe_names
    for ours, theirs in zip(tuned.pipe(texts), stock.pipe(texts), strict=True):
        assert _annotations(ours) == _annotations(theirs)


# Rules over a tiny vocabulary that exercise what the fast pair must get right: exact, IN,
# NOT_IN and REGEX tests; single-token rules without an exact test; multi-token rules
# with and without one; negative and positive indexes; later rules overriding earlier
# ones on the same token; MORPH, LEMMA, POS, TAG and DEP writes.
TOY_RULES: list[tuple[list[list[dict[str, object]]], dict[str, str], int]] = [
    ([[{"LOWER": "a"}]], {"TAG": "X1", "LEMMA": "first", "MORPH": "Number=Sing"}, 0),
    ([[{"LOWER": {"IN": ["a", "b"]}, "TAG": {"NOT_IN": ["DT", ""]}}]], {"POS": "NOUN"}, 0),
    ([[{"LOWER": {"REGEX": "^n[ou]thin'$"}}]], {"LEMMA": "nothing"}, 0),
    ([[{"TAG": {"NOT_IN": ["DT"]}, "DEP": {"NOT_IN": ["", "det"]}}]], {"POS": "PRON"}, 0),
    ([[{"LOWER": "gon"}, {"LOWER": "na"}]], {"LEMMA": "go"}, 0),
    ([[{"LOWER": "gon"}, {"LOWER": "na"}]], {"LEMMA": "to"}, -1),
    ([[{"DEP": "expl"}, {"LOWER": {"IN": ["is", "a"]}}]], {"POS": "VERB"}, 1),
    ([[{"TAG": {"NOT_IN": ["DT"]}}, {"LOWER": {"REGEX": "^n"}}]], {"MORPH": "Case=Acc"}, 1),
    ([[{"IS_SPACE": True}]], {"TAG": "_SP", "POS": "SPACE", "MORPH": "_"}, 0),
    ([[{"IS_SPACE": True, "DEP": {"NOT_IN": [""]}}]], {"DEP": "dep"}, 0),
    ([[{"TAG": {"IN": ["DT", "IN"]}}], [{"LOWER": "it"}]], {"POS": "DET", "LEMMA": "later"}, 0),
    ([[{"LOWER": "a"}]], {"LEMMA": "last", "MORPH": "Number=Plur"}, 0),
]
TOY_WORDS = ("a", "A", "b", "gon", "na", "nothin'", "nuthin'", "no", "is", "it", "  ", "\n")
TOY_TAGS = ("", "DT", "IN", "VBZ", "_SP")
TOY_DEPS = ("", "nsubj", "det", "expl", "aux")


def _toy_ruler() -> AttributeRuler:
    ruler = cast(AttributeRuler, spacy.blank("en").add_pipe("attribute_ruler"))
    for patterns, attrs, index in TOY_RULES:
        ruler.add(patterns, attrs, index=index)  # type: ignore[arg-type]
    return ruler


def _toy_docs(ruler: AttributeRuler, count: int) -> Iterator[Doc]:
    rng = random.Random(7)
    for _ in range(count):
        n = rng.randint(1, 10)
        yield Doc(
            ruler.vocab,
            words=[rng.choice(TOY_WORDS) for _ in range(n)],
            tags=[rng.choice(TOY_TAGS) for _ in range(n)],
            deps=[rng.choice(TOY_DEPS) for _ in range(n)],
        )


def _ruled(doc: Doc) -> list[tuple[object, ...]]:
    """The token attributes an attribute ruler may write."""
    return [(t.tag_, t.pos_, t.morph.key, t.lemma_, t.dep_) for t in doc]  # type: ignore[attr-defined]


def _refuse(*_: object) -> None:
    raise AssertionError("the fast setter fell back to spaCy's")


def test_fast_ruler_pair_matches_and_writes_like_spacy_on_toy_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ruler = _toy_ruler()
    fast, tiny_cache = FastAttributeMatcher(ruler), FastAttributeMatcher(ruler)
    tiny_cache.CACHE_LIMIT = 3  # evictions must not change the outcome
    setter = FastAttributeSetter(ruler)
    matched: set[int] = set()
    for doc in _toy_docs(ruler, 400):
        expected = ruler.match(doc)
        assert fast(doc) == tiny_cache(doc) == expected
        theirs, ours = doc.copy(), doc.copy()
        ruler.set_annotations(theirs, expected)
        with monkeypatch.context() as patched:
            patched.setattr(AttributeRuler, "set_annotations", _refuse)
            setter(ours, expected)
        assert _ruled(ours) == _ruled(theirs)
        matched.update(rule for rule, _, _, _ in expected)
    assert matched == set(range(len(TOY_RULES))), "a toy rule never matched"


def test_fast_setter_raises_spacys_error_for_an_index_outside_the_match() -> None:
    ruler = _toy_ruler()
    ruler.add([[{"LOWER": "b"}]], {"LEMMA": "beyond"}, index=1)
    doc = Doc(ruler.vocab, words=["a", "b", "c"])
    matches = ruler.match(doc)
    with pytest.raises(ValueError, match="E1001"):
        ruler.set_annotations(doc.copy(), matches)
    with pytest.raises(ValueError, match="E1001"):
        FastAttributeSetter(ruler)(doc.copy(), matches)


def test_rules_writing_other_attributes_keep_spacys_setter() -> None:
    nlp = spacy.blank("en")
    ruler = cast(AttributeRuler, nlp.add_pipe("attribute_ruler"))
    ruler.add([[{"LOWER": "very"}]], {"NORM": "much"})
    speed_up(nlp)
    assert "match" in vars(ruler)
    assert "set_annotations" not in vars(ruler)  # the class's own method
    assert nlp("very good")[0].norm_ == "much"


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
