"""Events named from the text: "a US drone strike in Nangarhar province" -> an Event.

An event mention is a noun phrase headed by an event noun (attack, bombing, strike, raid,
shootout...). Its name is the phrase without determiners or relative time ("last month's
attacks on Mumbai" -> "attacks on Mumbai"); a bare noun ("shootout") takes the name of
the place it happened ("Shahwala Jungle shootout"). Definite short forms ("the strike",
"the attack") refer back to the event being reported on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

EVENT_HEADS = {
    "attack": "attack",
    "attacks": "attack",
    "bombing": "bombing",
    "bombings": "bombing",
    "strike": "strike",
    "strikes": "strike",
    "airstrike": "strike",
    "airstrikes": "strike",
    "raid": "raid",
    "raids": "raid",
    "shootout": "shootout",
    "encounter": "shootout",
    "ambush": "ambush",
    "blast": "bombing",
    "explosion": "bombing",
    "assassination": "assassination",
    "massacre": "massacre",
    "siege": "siege",
    "firefight": "shootout",
    "gunfight": "shootout",
    "hijacking": "hijacking",
    "kidnapping": "kidnapping",
    "bomb": "bombing",
    "clash": "clash",
    "clashes": "clash",
    "gunbattle": "shootout",
    "abduction": "kidnapping",
    "kidnappings": "kidnapping",
    "shelling": "strike",
}
# Definite descriptions that point back to the event being reported on.
BACK_REFERENCES = frozenset(
    "attack attacks strike bombing blast explosion raid shootout encounter ambush "
    "operation incident killings assault clash clashes".split()
)
# A bomb is an event only as "roadside bomb", "car bomb"...
BOMB_KINDS = frozenset("roadside car suicide truck bicycle motorcycle".split())
TEMPORAL_POSS = re.compile(
    r"^(?:last|this|next)\s+\w+(?:'s|’s)\s+|^(?:\w+day|yesterday|today)(?:'s|’s)\s+"
    r"|^(?:\w+day|\w+) (?:evening|morning|night|afternoon)(?:'s|’s)\s+",
    re.IGNORECASE,
)
DATE_PREFIX = re.compile(r"(?<=\bthe )(?:[A-Z][a-z]+ \d{1,2}(?:, \d{4})?,? |(?:1[89]|20)\d\d )$")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
LOCATIVE_PREPS = frozenset({"in", "at", "near", "outside", "inside"})
NAME_PREPS = frozenset({"on", "of", "against"})


@dataclass
class Event:
    """An event of the document; mentions merge into it as the article goes on."""

    head: str  # normalised head noun ("strike")
    name: str
    year: str | None
    places: list[str] = field(default_factory=list)
    has_proper: bool = False
    date: str | None = None  # ISO YYYY[-MM[-DD]] when the text dates it
    implicit: bool = False  # told by a verb ("a suicide bomber struck"), not named yet

    def display(self) -> str:
        """The canonical name: the phrase, or "PLACE phrase" when the phrase is generic."""
        if not self.has_proper and self.places and len(self.name.split()) <= 2:
            return f"{self.places[0]} {self.name}"
        return self.name


@dataclass(frozen=True)
class EventMention:
    start: int  # char offsets of the phrase in the document
    end: int
    head: Token
    event: Event
    back_reference: bool


def _left_edge(head: Token) -> int:
    """First token index of the modifiers that name the event (no determiners)."""
    start = head.i
    for child in head.lefts:
        if child.dep_ in ("det", "predet", "punct") or child.pos_ == "PRON":
            continue
        if child.dep_ in (
            "compound",
            "amod",
            "nmod",
            "nummod",
            "poss",
            "npadvmod",
            "quantmod",
            "appos",
        ) or (child.ent_type_ == "DATE" and child.dep_ != "prep"):
            start = min(start, child.left_edge.i)
    return start


def _name_end(head: Token) -> int:
    """Last token index (exclusive) of the name: head plus an "on/of/against" phrase."""
    end = head.i + 1
    for child in head.rights:
        if child.dep_ == "prep" and child.lower_ in NAME_PREPS:
            if any(c.dep_ == "pobj" and c.ent_type_ in ("DATE", "TIME") for c in child.children):
                break  # "the attacks on Tuesday": a date, not part of the name
            last = child.i
            for tok in child.subtree:
                if tok.dep_ == "prep" and tok.lower_ in LOCATIVE_PREPS | {"near"}:
                    break
                if tok.dep_ in ("punct", "cc") and tok.i > child.i + 1 and tok.text == ",":
                    break
                if tok.dep_ == "relcl" or tok.dep_ == "acl":
                    break
                last = tok.i
            end = max(end, last + 1)
            break
    return end


def event_phrase(head: Token, text: str) -> tuple[int, int, str] | None:
    """(start_char, end_char, name) of the event phrase headed by `head`, or None."""
    doc = head.doc
    start, end = _left_edge(head), _name_end(head)
    span = doc[start:end]
    before = text[max(0, span.start_char - 40) : span.start_char]
    text = span.text
    dated = DATE_PREFIX.search(before)  # "the September 11, 2001, attacks"
    if dated and start == head.i:
        text = dated.group(0) + text
    cut = TEMPORAL_POSS.match(text)
    start_char = span.start_char - (len(dated.group(0)) if dated and start == head.i else 0)
    start_char += cut.end() if cut else 0
    text = text[cut.end() :] if cut else text
    text = re.sub(r"^(?:the|a|an|its|their|his|her)\s+", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+", " ", text).strip(" ,")
    text = re.sub(r"\b(?:earlier|later)\b\s*", "", text).strip()
    if not text:
        return None
    return start_char, span.end_char, text


def is_event_head(token: Token) -> bool:
    low = token.lower_
    if low not in EVENT_HEADS or token.pos_ not in ("NOUN", "PROPN"):
        return False
    if low == "bomb":
        return any(c.lower_ in BOMB_KINDS for c in token.lefts)
    return True


def locative_places(head: Token, location_at: dict[int, str]) -> list[str]:
    """Places in "in/at/near/outside PLACE" phrases attached to `head` (token offsets)."""
    places: list[str] = []
    for child in head.children:
        if child.dep_ == "prep" and child.lower_ in NAME_PREPS:
            for obj in child.children:  # "raid on a compound in Abbottabad", "attacks on Mumbai"
                if obj.dep_ == "pobj":
                    if child.lower_ == "on" and obj.i in location_at:
                        places.append(location_at[obj.i])
                    places.extend(p for p in locative_places(obj, location_at) if p not in places)
        if child.dep_ == "prep" and child.lower_ in LOCATIVE_PREPS:
            for obj in child.children:
                if obj.dep_ != "pobj":
                    continue
                near = [c for c in obj.children if c.dep_ in ("poss", "compound")]
                for tok in [obj, *obj.conjuncts, *near]:
                    name = location_at.get(tok.i)
                    if name and name not in places:
                        places.append(name)
                # "in the Birmal district of Paktika province": the district is the pobj
                for sub in obj.children:
                    if sub.dep_ == "prep" and sub.lower_ == "of":
                        for o2 in sub.children:
                            name = location_at.get(o2.i)
                            if name and name not in places:
                                places.append(name)
                # chained place: "at Gulshan-e-Iqbal park in Lahore"
                places.extend(p for p in locative_places(obj, location_at) if p not in places)
    return places


def sentence_year(sent: Span) -> set[str]:
    return set(YEAR.findall(sent.text))


# "A suicide bomber struck a rally", "Two bombs exploded during Mass": an attack told by
# its verb before (or without) any noun naming it.
ATTACK_VERBS = frozenset(
    "strike attack storm ram detonate explode blow target hit ambush raid fire".split()
)
ATTACKERS = {
    "bomber": "bombing",
    "bombers": "bombing",
    "bomb": "bombing",
    "bombs": "bombing",
    "explosive": "bombing",
    "explosives": "bombing",
    "gunman": "attack",
    "gunmen": "attack",
    "attacker": "attack",
    "attackers": "attack",
    "assailant": "attack",
    "assailants": "attack",
}


def implicit_event(sent: Span) -> tuple[Token, str, str] | None:
    """(verb, head class, name) of an attack a sentence tells by its verb, or None.

    The name comes from the attacker: "suicide bomber" -> "suicide bombing", "gunmen"
    -> "attack", "car bomb" -> "car bombing".
    """
    for token in sent:
        if token.pos_ != "VERB" or token.lemma_.lower() not in ATTACK_VERBS:
            continue
        if token.lemma_.lower() == "blow" and not any(c.lower_ == "up" for c in token.children):
            continue
        subject = next((c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is None or subject.lower_ not in ATTACKERS:
            continue
        head_class = ATTACKERS[subject.lower_]
        kinds = [c.lower_ for c in subject.lefts if c.lower_ in BOMB_KINDS or c.lower_ == "suicide"]
        name = " ".join([*kinds[:1], head_class])
        return token, head_class, name
    return None
