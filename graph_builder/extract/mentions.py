"""Entity mentions in one document, with in-document resolution to canonical names.

Groups and organisations come from the gazetteer; people and places from spaCy's NER.
People are clustered by name: "Ishaq", "Ishaq's" and "Malik Ishaq" resolve to the
fullest name the article uses ("Malik Muhammad Ishaq"). Pronouns and definite
descriptions ("he", "the group", "its") are left as anaphors and resolved in reading
order by :mod:`graph_builder.extract.context`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph_builder.extract.gazetteer import Gazetteer

if TYPE_CHECKING:
    from spacy.tokens import Doc


@dataclass(frozen=True)
class Mention:
    """A span of the document text that names (or points to) an entity.

    `kind` is "name" for a resolved name, or the anaphor kind: "he" (person pronoun),
    "it" (group pronoun), "the-group" (definite group description) or "the-org".
    """

    start: int
    end: int
    type: str
    name: str
    kind: str = "name"


# Titles and offices that precede a name but are not part of it.
TITLES = re.compile(
    r"^(?:(?:the|a|an|former|then|late|US|U\.S\.|British|Pakistani|Afghan|Indian|"
    r"Interior|Foreign|Home|Prime|Chief|Deputy|Senior|General|Gen\.|Dr\.?|Mr\.?|Mrs\.?|"
    r"Ms\.?|President|Minister|Secretary|Superintendent|Sheikh(?= of)|Commander|"
    r"Colonel|Col\.|Major|Captain|Lieutenant|Governor|Senator|Ambassador|Judge|Justice|"
    r"Inspector|Constable|Officer|Police|Medical)\s+)+"
)
# Name parts too common to identify a person on their own.
COMMON_PARTS = frozenset(
    "muhammad mohammad mohammed muhammed mohamed ahmad ahmed abdul abu al bin ibn "
    "hafiz mullah maulvi maulana mufti sheikh malik khan shah syed sayed ali hassan "
    "umar omar abdullah".split()
)
PRONOUNS_HE = re.compile(r"\b(?:he|He|him|his|His)\b")
GROUP_ANAPHOR = re.compile(
    r"\b[Tt]he (?:(?:militant|extremist|hardline|jihadist|terrorist|Islamist|sectarian|"
    r"banned|outlawed|militant|extremist) )*"
    r"(?:group|organisation|organization|movement|network|gang|outfit|affiliate|branch)\b"
)
GROUP_PRONOUN = re.compile(r"\b(?:[Ii]ts|it)\b")
ORG_ANAPHOR = re.compile(
    r"\b[Tt]he (council|department|ministry|agency|committee|command|squad)\b(?!'s? \w+ \w+)"
)
LOCATION_SUFFIX = re.compile(r"^ (?:province|district|region|valley|tribal district)\b")
FACILITY_WORDS = re.compile(
    r"\b(?:hotel|station|airport|park|mosque|school|hospital|market|gate|terminus|"
    r"shrine|church|temple|embassy|compound|bazaar|plaza|square|base|camp)s?$",
    re.IGNORECASE,
)


def name_tokens(name: str) -> list[str]:
    """Comparable tokens of a person name ("al-" articles dropped, case folded).

    >>> name_tokens("Ayman al-Zawahiri")
    ['ayman', 'zawahiri']
    """
    tokens = []
    for tok in re.split(r"[\s]+", name.strip()):
        tok = re.sub(r"^(?:al|el|Al|El)-", "", tok).strip(".,’'").casefold()
        if tok:
            tokens.append(tok)
    return tokens


def clean_person(text: str) -> str | None:
    """A person name without titles, possessives or trailing debris.

    >>> clean_person("Dr Mushtaq Rasul")
    'Mushtaq Rasul'
    >>> clean_person("Muhammad Ali Rahimi - were")
    'Muhammad Ali Rahimi'
    >>> clean_person("Ishaq’s")
    'Ishaq'
    """
    text = re.split(r"\s+[-–—]\s+|\s*\n", text)[0]
    text = re.sub(r"(?:'s|’s|'|’)$", "", text.strip())
    text = TITLES.sub("", text).strip(" ,.")
    if not text or not text[0].isupper():
        return None
    if not re.fullmatch(r"[\w.'’ -]+", text) or any(ch.isdigit() for ch in text):
        return None
    return text


@dataclass
class _Cluster:
    name: str
    tokens: list[str]
    first: int
    count: int = 0


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def find_mentions(doc: Doc, gazetteer: Gazetteer, text: str | None = None) -> list[Mention]:
    """All entity mentions of a parsed document, sorted by position, non-overlapping."""
    text = doc.text if text is None else text
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []

    for match in gazetteer.find(text):
        mentions.append(Mention(match.start, match.end, match.entry.type, match.entry.name))
        taken.append((match.start, match.end))

    # Places: spaCy GPE/LOC/FAC, extended over "province"/"district". A name tagged as a
    # place anywhere in the article is a place where it is tagged a person too.
    place_texts = {e.text for e in doc.ents if e.label_ in ("GPE", "LOC")}
    places = []
    person_spans = []
    for ent in doc.ents:
        if _overlaps(ent.start_char, ent.end_char, taken):
            continue
        if ent.label_ in ("GPE", "LOC", "FAC"):
            start, end = ent.start_char, ent.end_char
            if text[start:end].lower().startswith("the "):
                start += 4
            hyphenated = re.match(
                r"(?:-(?!(?:based|linked|backed|led|allied|affiliated|aligned|born|held|"
                r"controlled|bound|wide)\b)\w+)+(?: (?:park|hotel|station|mosque|market))?",
                text[end : end + 40],
            )
            if hyphenated:
                end += hyphenated.end()
            if re.match(r"-(?:based|linked|backed|led|allied|born)\b", text[end : end + 12]):
                continue  # "Pakistan-based group": an attribute, not a place of the story
            suffix = LOCATION_SUFFIX.match(text[end : end + 20])
            if suffix:
                end += suffix.end()
            name = re.sub(r"(?:'s|’s)$", "", text[start:end])
            places.append(Mention(start, start + len(name), "Location", name))
        elif ent.label_ == "PERSON":
            if ent.text in NOT_NAMES or (
                len(ent) == 1 and ent.root.dep_ == "compound" and ent.root.head.pos_ == "NOUN"
            ):
                continue  # "Easter", "the Islamic State's Sahel branch"
            if _place_object(ent) or ent.text in place_texts or _in_dateline(doc, ent):
                places.append(Mention(ent.start_char, ent.end_char, "Location", ent.text))
                continue
            if len(ent) == 1 and (
                _listed_with_place(doc, ent)
                or (ent.start > 0 and doc[ent.start - 1].lower_ in ("a", "an", "another", "the"))
            ):
                continue
            person_spans.append((_given_name_start(doc, ent), _surname_end(doc, ent)))
        elif ent.label_ == "ORG" and FACILITY_WORDS.search(ent.text):
            start = ent.start_char + (4 if ent.text.lower().startswith("the ") else 0)
            places.append(Mention(start, ent.end_char, "Location", text[start : ent.end_char]))

    # "al-Bayda province", "Kurram district": a named administrative unit is a place
    # even where the tagger missed it.
    for m in ADMIN_UNIT.finditer(text):
        if not _overlaps(m.start(), m.end(), taken):
            places.append(Mention(m.start(), m.end(), "Location", m.group(0)))
    # A place named once is the same place wherever the article names it again.
    known = {p.name for p in places if p.name[:1].isupper() and not p.name.isupper()}
    for name in sorted(known, key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w]|-\w)", text):
            if not _overlaps(m.start(), m.end(), taken) and not any(
                p.start < m.end() and m.start() < p.end for p in places
            ):
                places.append(Mention(m.start(), m.end(), "Location", name))

    # A proper-noun pair coordinated with a person is a person ("Gul Bahadur and Sadiq Noor").
    person_tokens = {t.i for a, b in person_spans for t in doc.char_span(a, b) or []}
    for ent in doc.ents:
        if ent.label_ in ("ORG", "") and 2 <= len(ent) <= 3 and all(t.pos_ == "PROPN" for t in ent):
            root = ent.root
            linked = (
                [root.head, *root.children]
                if root.dep_ in ("conj", "appos")
                else list(root.children)
            )
            if any(
                t.i in person_tokens
                and t.dep_ in ("conj", "appos")
                or (t.i in person_tokens and root.dep_ in ("conj", "appos"))
                for t in linked
            ) and not _overlaps(ent.start_char, ent.end_char, taken):
                person_spans.append((ent.start_char, ent.end_char))

    # People: cluster full names, then find every short form of each cluster.
    clusters: list[_Cluster] = []
    raw_people = []
    place_words = {t.text.casefold() for e in doc.ents if e.label_ in PLACE_LABELS for t in e}
    for start, end in person_spans:
        cleaned = clean_person(text[start:end])
        if cleaned is None:
            continue
        name = cleaned
        if name.casefold() in COMMON_PARTS or name.isupper():
            continue
        if " " not in name and name.casefold() in place_words:
            continue
        offset = text.find(name, start, end + 1)
        raw_people.append((offset, offset + len(name), name))
    for start, _end, name in sorted(raw_people, key=lambda x: (-len(name_tokens(x[2])), x[0])):
        toks = name_tokens(name)
        home = next(
            (c for c in clusters if set(toks) <= set(c.tokens) and _compatible(toks, c.tokens)),
            None,
        )
        if home is None:
            clusters.append(_Cluster(name, toks, start))
        else:
            home.first = min(home.first, start)
    clusters.sort(key=lambda c: c.first)
    token_owner: dict[str, _Cluster] = {}
    for cluster in clusters:
        for tok in cluster.tokens:
            if tok not in COMMON_PARTS:
                token_owner.setdefault(tok, cluster)  # first-introduced person wins

    people: list[Mention] = []
    person_taken = list(taken)
    full_forms = sorted(((c.name, c) for c in clusters), key=lambda x: len(x[0]), reverse=True)
    for name, cluster in full_forms:
        for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            if not _overlaps(m.start(), m.end(), person_taken):
                people.append(Mention(m.start(), m.end(), "Person", cluster.name))
                person_taken.append((m.start(), m.end()))
    # Short forms: capitalised word sequences whose tokens all belong to one cluster.
    for m in re.finditer(
        r"(?<![\w-])(?:(?:al-|bin |ibn |Bin )?[A-Z][\w’'-]*)(?: (?:al-|bin |ibn )?[A-Z][\w-]*)*",
        text,
    ):
        if _overlaps(m.start(), m.end(), person_taken):
            continue
        surface = re.sub(r"(?:'s|’s)$", "", m.group(0))
        if surface.isupper():
            continue
        toks = name_tokens(surface)
        distinctive = [t for t in toks if t not in COMMON_PARTS]
        if not distinctive:
            continue
        owners = {id(token_owner[t]) for t in distinctive if t in token_owner}
        if len(owners) != 1 or not all(t in token_owner for t in distinctive):
            continue
        cluster = token_owner[distinctive[0]]
        if not set(toks) <= set(cluster.tokens):
            continue
        people.append(Mention(m.start(), m.start() + len(surface), "Person", cluster.name))
        person_taken.append((m.start(), m.start() + len(surface)))
    mentions.extend(people)
    taken = person_taken
    for place in places:
        if not _overlaps(place.start, place.end, taken):
            mentions.append(place)
            taken.append((place.start, place.end))

    # Anaphors, resolved later in reading order.
    for regex, kind, type_name in (
        (PRONOUNS_HE, "he", "Person"),
        (GROUP_ANAPHOR, "the-group", "MilitantGroup"),
        (GROUP_PRONOUN, "it", "MilitantGroup"),
        (ORG_ANAPHOR, "the-org", "Organization"),
    ):
        for m in regex.finditer(text):
            if not _overlaps(m.start(), m.end(), taken):
                label = m.group(1) if kind == "the-org" else m.group(0)
                mentions.append(Mention(m.start(), m.end(), type_name, label, kind))
                taken.append((m.start(), m.end()))
    mentions.sort(key=lambda x: x.start)
    return mentions


PLACE_LABELS = ("GPE", "LOC", "FAC", "NORP")
PLACE_PREPS = frozenset({"in", "near", "at", "outside", "inside", "from", "towards", "toward"})
ADMIN_UNIT = re.compile(
    r"(?<![\w-])(?:al-)?[A-Z][a-z][\w-]*(?: [A-Z][a-z][\w-]*)? "
    r"(?:province|district|governorate|county|tribal district)\b"
)


PLACE_NOUNS = frozenset(
    "town village city district province region island port area suburb county state".split()
)
NOT_NAMES = frozenset(
    "Easter Christmas Ramadan Eid Ashura Muharram Diwali Passover Lent God Allah".split()
)


def _place_object(ent: object) -> bool:
    """A one-word "person" governed by a place preposition ("near Lethpora", "the town
    of Kattankudy") is a place."""
    root = ent.root  # type: ignore[attr-defined]
    if len(ent) != 1 or root.dep_ != "pobj":  # type: ignore[arg-type]
        return False
    prep = root.head
    return prep.lower_ in PLACE_PREPS or (prep.lower_ == "of" and prep.head.lower_ in PLACE_NOUNS)


def _in_dateline(doc: Doc, ent: object) -> bool:
    """ "COLOMBO, Sri Lanka, April 24, 2019 —": the names in a dateline are places."""
    sent = ent.root.sent  # type: ignore[attr-defined]
    return (
        len(sent) <= 16
        and sent[0].is_upper
        and len(sent[0]) > 2
        and any(t.text in ("—", "–", "--") for t in sent[-3:])
    )


def _surname_end(doc: Doc, ent: object) -> int:
    """End of a person name, taking in a surname the tagger left out ("Iyad Ag Ghaly")."""
    end = ent.end  # type: ignore[attr-defined]
    if end < len(doc):
        nxt = doc[end]
        after = doc[end + 1] if end + 1 < len(doc) else None
        if (
            nxt.pos_ == "PROPN"
            and nxt.is_title
            and not nxt.ent_type_
            and TITLES.match(nxt.text + " ") is None
            and (after is None or after.is_punct or after.pos_ in ("VERB", "AUX", "ADP", "CCONJ"))
        ):
            return int(nxt.idx + len(nxt.text))
    return int(ent.end_char)  # type: ignore[attr-defined]


def _given_name_start(doc: Doc, ent: object) -> int:
    """Start of a person name, taking in a given name the tagger left out ("Adil")."""
    start = ent.start  # type: ignore[attr-defined]
    if start < 2:
        return int(ent.start_char)  # type: ignore[attr-defined]
    prev, before = doc[start - 1], doc[start - 2]
    if (
        prev.pos_ == "PROPN"
        and prev.is_title
        and not prev.ent_type_
        and not prev.is_sent_start
        and TITLES.match(prev.text + " ") is None
        and (before.is_punct or before.pos_ == "DET")
    ):
        return int(prev.idx)
    return int(ent.start_char)  # type: ignore[attr-defined]


def _listed_with_place(doc: Doc, ent: object) -> bool:
    """A one-word "person" in a list of places ("Khyber, Kurram and Orakzai") is a place."""
    start, end = ent.start, ent.end  # type: ignore[attr-defined]
    window = doc[max(0, start - 2) : min(len(doc), end + 2)]
    return any(t.ent_type_ in PLACE_LABELS for t in window if t.i < start or t.i >= end) and any(
        t.text in (",", "and") for t in window
    )


def _compatible(short: list[str], full: list[str]) -> bool:
    """Short form tokens appear in the full name in the same order."""
    it = iter(full)
    return all(tok in it for tok in short)


def salient_group(mentions: list[Mention]) -> str | None:
    """The group the article is mostly about: most named, first named on ties."""
    names = [m.name for m in mentions if m.type == "MilitantGroup" and m.kind == "name"]
    if not names:
        return None
    counts = Counter(names)
    best = max(counts.values())
    return next(n for n in names if counts[n] == best)
