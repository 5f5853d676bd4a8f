"""Reading a document sentence by sentence: resolve anaphors, track events, template.

Each sentence becomes a :class:`SentenceView`: its mentions resolved to canonical names
("he" -> the last person named, "the group" -> the group the article is about, "the LeJ
chief" -> the person named as its chief) and a template string in which every mention is
a placeholder like ``⟨P0⟩`` so that relation patterns read as plain regular expressions.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graph_builder.extract.dates import event_date, verb_date
from graph_builder.extract.events import (
    BACK_REFERENCES,
    EVENT_HEADS,
    YEAR,
    Event,
    event_phrase,
    implicit_event,
    is_event_head,
    locative_places,
)
from graph_builder.extract.gazetteer import Gazetteer
from graph_builder.extract.mentions import Mention, salient_group

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

LETTER = {
    "Person": "P",
    "MilitantGroup": "G",
    "Organization": "O",
    "Location": "L",
    "Event": "E",
}
PLACEHOLDER = re.compile(r"⟨([PGOLE])(\d+)⟩")
BRANCH_OF = re.compile(
    r"(?:(?:⟨L\d+⟩|\w+)(?:'s) )?(?:branch|affiliate|wing|franchise|province|arm) of "
    r"(?:the )?⟨G(\d+)⟩"
)
BRANCH_POSS = re.compile(
    r"⟨G(\d+)⟩'s (?:(?:[\w-]+|⟨L\d+⟩) ){0,2}(?:affiliate|branch|franchise|wing)\b"
)
ROLE_ANAPHOR = re.compile(r"\b[Tt]he ⟨G(\d+)⟩ (?:chief|leader|head|emir)\b(?!,? ⟨P)")
OFFICIAL_BEFORE = re.compile(
    r"(?:Minister|President|Secretary|General|Gen\.|Dr\.?|Superintendent|DPO|SP|spokesman|"
    r"spokeswoman|spokesperson|analyst|official|officer|Commissioner|Inspector|Governor|"
    r"Ambassador|Senator|correspondent|reporter|doctor|constable|judge|prosecutor|police\w*|"
    r"Police|diplomat|envoy|mayor|Chief)\s*,?\s*$"
)
PLACE_PARENT = re.compile(
    r"^(?:,? an? (?:\w+ )?(?:village|town|city|district|province|region|suburb|area|"
    r"neighbourhood|neighborhood) (?:in|of) (?:the )?|,? |'s |’s | district of | province of )$"
)


@dataclass
class Slot:
    """A mention inside one sentence after resolution."""

    start: int
    end: int
    type: str
    names: tuple[str, ...]
    kind: str = "name"
    event: Event | None = None
    official: bool = False
    victims: tuple[str, ...] = ()


@dataclass
class SentenceView:
    sent: Span
    slots: list[Slot]
    template: str
    doc_year: str | None

    def slot(self, key: str) -> Slot:
        match = PLACEHOLDER.fullmatch(key)
        assert match is not None
        return self.slots[int(match.group(2))]

    def slots_in(self, text: str, types: str = "PGOLE") -> list[Slot]:
        """Slots whose placeholders occur in a piece of the template, in order."""
        return [
            self.slots[int(m.group(2))] for m in PLACEHOLDER.finditer(text) if m.group(1) in types
        ]

    def nearest_before(self, pos: int, types: str, skip_possessive: bool = True) -> Slot | None:
        """The closest slot of a type before template position `pos`."""
        best = None
        for m in PLACEHOLDER.finditer(self.template, 0, pos):
            if m.group(1) not in types:
                continue
            if skip_possessive and self.template.startswith("'s", m.end()):
                continue
            best = self.slots[int(m.group(2))]
        return best

    def slot_at_token(self, token_i: int) -> Slot | None:
        token = self.sent.doc[token_i]
        for slot in self.slots:
            if slot.start <= token.idx < slot.end:
                return slot
        return None


@dataclass
class DocumentState:
    """What earlier sentences established: who "he" is, the current event, leaders."""

    salient: str | None
    last_person: str | None = None
    sentence_subject: str | None = None
    previous_subject: str | None = None
    main_event: Event | None = None
    previous_first_group: str | None = None
    last_org: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    current_event: Event | None = None
    leaders: dict[str, str] = field(default_factory=dict)
    relatives: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    branches: list[tuple[str, str]] = field(default_factory=list)  # (branch, parent)
    doc_date: str | None = None  # the article's date (ISO), for "on Sunday"


def _event_for(
    state: DocumentState,
    head: str,
    name: str,
    year: str | None,
    doc_year: str | None,
    clause_years: frozenset[str] = frozenset(),
    sentence_years: frozenset[str] = frozenset(),
) -> Event:
    """The document event a mention names: an earlier one of the same kind, year and
    name, or a new one. An undated mention ("the Lahore bombing") joins a named event
    of any year, unless its sentence dates it otherwise ("... in 2015 after its founder
    was killed in a US drone strike" is not the strike of 2020 reported on)."""
    proper = any(w[:1].isupper() or w[:1].isdigit() for w in name.split())
    if year is None and len(clause_years) == 1 and doc_year not in clause_years:
        year = next(iter(clause_years))  # "killed in a drone strike in 2016"
    vetoed = False
    for event in state.events:
        if event.head != head:
            continue
        if year is None and event.year is not None and sentence_years:
            if event.year not in sentence_years:
                vetoed = True
                continue
        elif year is not None and year != (event.year or doc_year):
            continue
        if event.implicit and proper and not event.has_proper:
            # the attack told by its verb gets the name the article now gives it
            event.name, event.has_proper, event.implicit = name, True, False
            event.year = event.year or year
            return event
        if proper and not (
            (event.has_proper and _share_word(name, event.name))
            or _share_word(name, " ".join(event.places))  # "the Lahore bombing"
        ):
            continue
        if year is None and not proper and event.year not in (None, doc_year):
            continue  # a plain "a drone strike" is this year's, not an older named one
        event.year = event.year or year
        return event
    if year is None and len(sentence_years) == 1 and (vetoed or state.events):
        # A new event, not the one the article opens with, in a sentence that dates
        # something else than today: "after a US air strike killed X in September 2014".
        only = next(iter(sentence_years))
        year = only if only != doc_year else None
    event = Event(head=head, name=name, year=year, has_proper=proper)
    state.events.append(event)
    return event


def _share_word(a: str, b: str) -> bool:
    words = {w.lower() for w in re.findall(r"[A-Z0-9][\w-]*", a)}
    return bool(words & {w.lower() for w in re.findall(r"[A-Z0-9][\w-]*", b)})


def read_sentence(
    sent: Span,
    mentions: list[Mention],
    state: DocumentState,
    gazetteer: Gazetteer,
    doc_year: str | None,
    document_text: str,
) -> SentenceView:
    """Resolve the mentions of one sentence and build its template (`mentions` in text
    order, as :func:`find_mentions` returns them)."""
    doc: Doc = sent.doc
    text = document_text
    sentence_mentions = _mentions_within(mentions, sent.start_char, sent.end_char)
    location_at: dict[int, str] = {}
    for m in sentence_mentions:
        if m.type == "Location":
            for tok in doc.char_span(m.start, m.end, alignment_mode="expand") or []:
                location_at[tok.i] = m.name

    # Events first: their phrases may contain other mentions ("attacks on Mumbai").
    event_slots: list[Slot] = []
    for token in sent:
        if not is_event_head(token):
            continue
        phrase = event_phrase(token, text)
        if phrase is None:
            continue
        start, end, name = phrase
        low = name.lower()
        definite = token.i > 0 and any(c.lower_ in ("the", "this", "that") for c in token.lefts)
        back = definite and low in BACK_REFERENCES and state.current_event is not None
        if low.startswith(("second ", "another ")):
            continue
        if _is_generic(token, name):
            continue  # "vowed to continue attacks", "a campaign of bombings": no one event
        superlative = any(c.tag_ == "JJS" for c in token.lefts)  # "the deadliest attack"
        if superlative and state.current_event is None and state.main_event is None:
            continue
        inner_people = [m for m in mentions if m.type == "Person" and start <= m.start < end]
        if definite and low in BACK_REFERENCES and not back:
            continue  # "the attack" with no attack named before: we cannot name it
        if back or superlative:
            event = _referent(state, EVENT_HEADS.get(low, low), doc_year)
        else:
            if inner_people and EVENT_HEADS[token.lower_] == "assassination":
                name = f"assassination of {inner_people[0].name}"
            years = YEAR.findall(text[start:end])
            head_class = EVENT_HEADS[token.lower_]
            if (
                head_class == "shootout"
                and state.current_event is not None
                and state.current_event.head != "shootout"
            ):
                event = state.current_event  # a gunfight during the attack reported on
            else:
                event = _event_for(
                    state,
                    head_class,
                    name,
                    years[0] if years else None,
                    doc_year,
                    _clause_years(token),
                    frozenset(YEAR.findall(sent.text)),
                )
        # "the Peshawar mosque bombing", "Kabul's airport attack"; not "a US drone strike",
        # where the country named is who struck, not where.
        inside = [
            location_at[t.i]
            for t in token.lefts
            if t.i in location_at
            and t.dep_ in ("compound", "nmod", "poss", "amod")
            and not location_at[t.i].isupper()
            and EVENT_HEADS[token.lower_] not in ("strike", "raid")
        ]
        for place in [*inside, *locative_places(token, location_at)]:
            if place not in event.places:
                event.places.append(place)
        when = event_date(token, state.doc_date) or (event.year if not back else None)
        if (
            when is not None
            and event.date is None
            and (event.year is None or when.startswith(event.year))
        ):
            event.date = when
            event.year = event.year or when[:4]
        victims = (
            tuple(p.name for p in inner_people)
            if not back and EVENT_HEADS[token.lower_] == "assassination"
            else ()
        )
        event_slots.append(Slot(start, end, "Event", (), "name", event, victims=victims))
        state.current_event = event
    # "the operation", "the incident": the event being reported on
    for ref in re.finditer(r"\b[Tt]he (operation|incident|killings)\b", sent.text):
        if state.current_event is not None:
            at = sent.start_char + ref.start()
            event = _referent(state, ref.group(1), doc_year)
            event_slots.append(Slot(at, at + len(ref.group(0)), "Event", (), "name", event))

    if not event_slots and state.current_event is None:
        told = implicit_event(sent)
        if told is not None:
            verb, head_class, name = told
            event = Event(head=head_class, name=name, year=None, implicit=True)
            event.places.extend(
                p for p in locative_places(verb, location_at) if p not in event.places
            )
            event.date = verb_date(verb, state.doc_date)
            event.year = event.date[:4] if event.date else None
            state.events.append(event)
            state.current_event = event
    if state.main_event is None and state.events:
        state.main_event = state.events[0]
    # "he" in a new sentence: the subject of the previous one, else its last person named
    state.previous_subject = state.sentence_subject or state.last_person
    state.sentence_subject = None
    slots: list[Slot] = []
    taken = [(s.start, s.end) for s in event_slots]
    first_group: str | None = None
    for m in sentence_mentions:
        if any(m.start < e and s < m.end for s, e in taken):
            continue
        names: tuple[str, ...] = (m.name,)
        if m.kind == "he":
            surface = text[m.start : m.end].lower()
            in_sentence = [x for x in slots if x.type == "Person"]
            if surface == "his" and in_sentence and _describes(doc, text, in_sentence[-1], m.start):
                # "Shekau, his deputy" / "named Batarfi as his successor": someone else's
                own = in_sentence[-1].names[0]
                others = [x for x in in_sentence if x.names[0] != own]
                if others:
                    names = others[-1].names
                elif state.previous_subject not in (None, own):
                    names = (state.previous_subject,)  # type: ignore[assignment]
                else:
                    continue
            elif surface == "his" and in_sentence:
                names = in_sentence[-1].names
            elif in_sentence and state.sentence_subject is not None:
                names = (state.sentence_subject,)
            elif [x for x in in_sentence if not x.official]:
                # "Police named Zahran Hashim ... and said he had died": the person named
                # in this sentence, not the last one of the previous sentence
                names = [x for x in in_sentence if not x.official][0].names
            elif state.previous_subject is not None:
                names = (state.previous_subject,)
            elif state.last_person is not None:
                names = (state.last_person,)
            else:
                continue
        elif m.kind == "the-group":
            if any(g.type == "MilitantGroup" and 0 <= g.start - m.end <= 2 for g in mentions):
                continue  # "the militant group Lashkar-e-Taiba": the name follows
            low = m.name.lower()
            if low.endswith(("affiliate", "branch")) and state.branches:
                names = (state.branches[-1][0],)
            elif state.salient is None:
                continue
            else:
                names = (state.salient,)
        elif m.kind == "it":
            group = first_group or state.previous_first_group
            if group is None:
                continue
            opening = text[sent.start_char : m.start]
            if first_group is None and len(opening.split()) > 2:
                continue  # "... when it was hit": mid-sentence "it" with no group before
            if _org_subject(opening, gazetteer):
                continue  # "Somalia's intelligence agency said it had arrested..."
            names = (group,)
        elif m.kind == "the-org":
            org = next((o for o in reversed(state.last_org) if m.name.lower() in o.lower()), None)
            if org is None:
                continue
            names = (org,)
        if m.type == "Person":
            state.last_person = names[0]
            if _is_subject(doc, m.start, m.end) and state.sentence_subject is None:
                state.sentence_subject = names[0]
        if m.type == "MilitantGroup" and first_group is None:
            first_group = names[0]
        if m.type == "Organization" and m.kind == "name":
            state.last_org.append(m.name)
        before = text[max(0, m.start - 45) : m.start]
        official = (
            m.type == "Person"
            and m.kind == "name"
            and OFFICIAL_BEFORE.search(before) is not None
            and not re.search(r"(?:Taliban|Qaeda|⟨G)\S*\s+\w+\s*$", before)
            and not any(
                g.type == "MilitantGroup" and _role_of_group(text, g.end, m.start) for g in mentions
            )
        )
        slots.append(Slot(m.start, m.end, m.type, names, m.kind, official=official))
    slots.extend(event_slots)
    slots.sort(key=lambda s: s.start)
    if first_group is not None:
        state.previous_first_group = first_group
    elif _names_other_subject(sent, slots):
        # "The Kurdistan Democratic Party condemned the strike. Its spokesman ...": a
        # sentence led by another named body takes "its" away from the last group.
        state.previous_first_group = None

    template = _template(text, sent, slots)
    # "Afghanistan's branch of the Islamic State group" -> the branch the article names.
    for regex in (BRANCH_OF, BRANCH_POSS):
        for hit in list(regex.finditer(template)):
            parent = slots[int(hit.group(1))].names[0]
            branch = _find_branch(parent, mentions, gazetteer)
            if branch is None:
                continue
            state.branches.append((branch, parent))
            # The branch phrase becomes one group placeholder.
            idx = len(slots)
            slots.append(Slot(-1, -1, "MilitantGroup", (branch,), "branch"))
            template = template.replace(hit.group(0), f"⟨G{idx}⟩", 1)
    for hit in list(ROLE_ANAPHOR.finditer(template)):
        leader = state.leaders.get(slots[int(hit.group(1))].names[0])
        if leader is None:
            continue
        idx = len(slots)
        slots.append(Slot(-1, -1, "Person", (leader,), "role"))
        template = template.replace(hit.group(0), f"⟨P{idx}⟩", 1)
    return SentenceView(sent, slots, template, doc_year)


GENERIC_MODS = frozenset(
    "many several more further future new repeated frequent numerous other such "
    "similar deadly sporadic occasional".split()
)


def _mentions_within(mentions: list[Mention], start: int, end: int) -> list[Mention]:
    """The mentions starting in [start, end) of a list in text order, found by bisection
    (each sentence would otherwise scan every mention of the article)."""
    first = bisect_left(mentions, start, key=_start_of)
    last = bisect_left(mentions, end, lo=first, key=_start_of)
    return mentions[first:last]


def _start_of(mention: Mention) -> int:
    return mention.start


def _is_generic(token: Token, name: str) -> bool:
    """A bare plural with no date, place or proper name on its left names no one event."""
    if token.tag_ not in ("NNS", "NNPS"):
        return False
    if any(c.dep_ in ("det", "poss") and c.lower_ not in ("many", "some") for c in token.lefts):
        return False
    left = [t for t in token.doc[token.left_edge.i : token.i]]
    if any(t.ent_type_ in ("DATE", "GPE", "NORP", "LOC", "FAC", "ORG", "EVENT") for t in left):
        return False
    if any(t.is_title and t.lower_ not in GENERIC_MODS for t in left):
        return False
    return not re.search(r"\d", name)


def _referent(state: DocumentState, head: str, doc_year: str | None) -> Event:
    """What "the attack" points back to: the event being reported on, unless the last
    event named is an older one of another kind (a past strike mentioned in passing)."""
    current = state.current_event
    main = state.main_event
    assert current is not None or main is not None
    if current is None:
        assert main is not None
        return main
    if main is None or main is current or current.head == head:
        return current
    historical = current.year is not None and doc_year is not None and current.year != doc_year
    return main if historical or main.head == head else current


def _describes(doc: Doc, text: str, person: Slot, at: int) -> bool:
    """Whether "his" at `at` sits in an apposition ("Shekau, his deputy") or an "as"
    phrase ("named Batarfi as his successor") about `person`, so cannot be `person`'s.
    A list ("killing Ishaq, his two sons and 11 others") is not an apposition."""
    between = text[person.end : at]
    if re.fullmatch(r"\s+as\s+", between):
        return True
    if not re.fullmatch(r"(?:'s|’s)?,\s*", between):
        return False
    span = doc.char_span(at, at + 3)
    return span is not None and span[0].head.dep_ == "appos"


def _clause_verb(token: Token) -> Token:
    while token.pos_ not in ("VERB", "AUX") and token.head.i != token.i:
        token = token.head
    return token


def _clause_years(head: Token) -> frozenset[str]:
    """Years told in the same clause as an event mention ("killed in a strike in 2016"),
    not elsewhere in the sentence ("... since commandos killed bin Laden in 2011")."""
    verb = _clause_verb(head)
    return frozenset(
        t.text
        for t in head.sent
        if YEAR.fullmatch(t.text) and t.i != head.i and _clause_verb(t) == verb
    )


def _names_other_subject(sent: Span, slots: list[Slot]) -> bool:
    """Whether a sentence's subject is a proper name that is no group, person or place
    mention (an organisation the gazetteer does not list)."""
    for token in sent:
        if token.dep_ in ("nsubj", "nsubjpass") and token.head.dep_ == "ROOT":
            if token.pos_ != "PROPN" and not any(c.pos_ == "PROPN" for c in token.children):
                return False
            return not any(s.start <= token.idx < s.end for s in slots) and token.ent_type_ in (
                "ORG",
                "NORP",
            )
    return False


def _org_subject(opening: str, gazetteer: Gazetteer) -> bool:
    """Whether an institution ("the army", "police", "the agency") is named in the
    clause before a pronoun, after the last group: then "it"/"its" is most likely it."""
    words = re.findall(r"[a-z]+", opening.lower().rsplit("⟨", 1)[-1])
    return any(w in gazetteer.organization_cues for w in words)


def _role_of_group(text: str, group_end: int, person_start: int) -> bool:
    """ "LeJ's military spokesman, X" / "a spokesman for the TTP, X": the role the
    person is introduced by belongs to the group, not to a government."""
    between = text[group_end:person_start]
    if len(between) > 50 or re.search(r"\b(?:said|says|told|according)\b", between):
        return False
    return re.fullmatch(r"(?:'s|’s|\))?(?:[ ,]+[\w-]+\.?){0,5}[ ,]*", between) is not None


def _is_subject(doc: Doc, start: int, end: int) -> bool:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return False
    head = span.root
    while head.dep_ in ("appos", "conj", "compound") and head.head is not head:
        head = head.head
    return head.dep_ in ("nsubj", "nsubjpass")


def _find_branch(parent: str, mentions: list[Mention], gazetteer: Gazetteer) -> str | None:
    named = {m.name for m in mentions if m.type == "MilitantGroup"}
    for entry in gazetteer.entries:
        if entry.parent == parent and entry.name in named:
            return entry.name
    return None


def _template(text: str, sent: Span, slots: list[Slot]) -> str:
    parts = []
    pos = sent.start_char
    for i, slot in enumerate(slots):
        if slot.start < pos:
            continue
        parts.append(text[pos : slot.start])
        parts.append(f"⟨{LETTER[slot.type]}{i}⟩")
        if slot.kind in ("he", "it") and text[slot.start : slot.end].lower() in ("his", "its"):
            parts.append("'s")
        pos = slot.end
    parts.append(text[pos : sent.end_char])
    template = "".join(parts).replace("’", "'").replace("“", '"').replace("”", '"')
    # "Lashkar-e-Jhangvi (LeJ)" is one mention.
    template = re.sub(r"(⟨([A-Z])(\d+)⟩) \(⟨[A-Z](\d+)⟩\)", lambda m: same_fix(m, slots), template)
    return re.sub(r"\s+", " ", template)


def same_fix(m: re.Match[str], slots: list[Slot]) -> str:
    a, b = slots[int(m.group(3))], slots[int(m.group(4))]
    return m.group(1) if a.names == b.names else m.group(0)


def new_state(mentions: list[Mention], doc_date: str | None = None) -> DocumentState:
    return DocumentState(salient=salient_group(mentions), doc_date=doc_date)
