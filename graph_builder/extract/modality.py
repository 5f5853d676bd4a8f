"""How a sentence says a thing: asserted, reported, alleged, claimed, or negated.

>>> modality_of("Police said the attack was planned.")
'reported'
>>> modality_of("He was allegedly involved in the attack.")
'alleged'
>>> modality_of("The group was founded in 1990.")
'asserted'
>>> is_negated("was not a member of")
True
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Span

ALLEGED = re.compile(
    r"\b(?:allegedly|alleged|suspected|accused|accuses|accuse|accusing|blames?|blamed|"
    r"believed|thought to|purportedly|suspicion)\b",
    re.IGNORECASE,
)
REPORTED = re.compile(
    r"\b(?:said|says|say|saying|told|tells|according to|reportedly|reported|reports|quoted|"
    r"cited|announced|described|describe|describes|confirmed|confirm|acknowledged|"
    r"identified|claimed|claims)\b",
    re.IGNORECASE,
)
NEGATION = re.compile(
    r"\b(?:not|never|no|n't|denied|denies|deny|denying|rejected|rejects|cut|severed|"
    r"no one|nobody|neither|nor|without|dismissed|false)\b|n't\b",
    re.IGNORECASE,
)
REPORT_VERBS = frozenset(
    "say tell accuse announce report confirm claim describe blame acknowledge believe "
    "allege quote cite".split()
)


def modality_of(sentence: str, claimed: bool = False, alleged: bool = False) -> str:
    """The modality a sentence gives a statement it supports (negation handled apart)."""
    if claimed:
        return "claimed"
    if alleged or ALLEGED.search(sentence):
        return "alleged"
    if REPORTED.search(sentence):
        return "reported"
    return "asserted"


def is_negated(text: str) -> bool:
    """Whether the words that carry a relation are negated or denied."""
    return NEGATION.search(text) is not None


def attribution(sent: Span) -> str | None:
    """Who the sentence quotes: the subject of its reporting verb, or "according to X"."""
    for token in sent:
        if token.lower_ == "according" and token.nbor(1).lower_ == "to":
            for child in token.nbor(1).children:
                if child.dep_ == "pobj":
                    return _phrase(child)
        if token.lemma_ in REPORT_VERBS and token.pos_ in ("VERB", "AUX"):
            for child in token.children:
                if child.dep_ in ("nsubj", "nsubjpass") and child.pos_ != "PRON":
                    return _phrase(child)
    return None


def speaker_spans(sent: Span) -> list[tuple[int, int]]:
    """Character spans of the phrases naming who speaks ("Mohammad Khurasani, a spokesman
    for the TTP," in "..., said"). A relation inside such a phrase is the writer's own
    description of the speaker, not what the speaker reports."""
    spans = []
    for token in sent:
        if token.lemma_ in REPORT_VERBS and token.pos_ in ("VERB", "AUX"):
            for child in token.children:
                if child.dep_ in ("nsubj", "nsubjpass") and child.pos_ != "PRON":
                    sub = list(child.subtree)
                    spans.append((sub[0].idx, sub[-1].idx + len(sub[-1].text)))
    return spans


def _phrase(token: object) -> str | None:
    tokens = [t for t in token.subtree]  # type: ignore[attr-defined]
    dash = [t.i for t in tokens if t.text in ("—", "–", "--")]
    if dash:  # "ADEN, Yemen, February 24, 2020 — AQAP ...": the dateline is not the source
        tokens = [t for t in tokens if t.i > dash[-1]]
    if len(tokens) > 8:
        # Keep the head and what precedes it ("a senior administration official").
        tokens = [t for t in tokens if t.i <= token.i][-6:]  # type: ignore[attr-defined]
    if not tokens:
        return None
    doc = tokens[0].doc
    text = doc[tokens[0].i : tokens[-1].i + 1].text.strip(" ,")
    text = re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)
    return text or None
