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
from functools import lru_cache
from typing import TYPE_CHECKING

from graph_builder.extract.gazetteer import Gazetteer, GroupNameWords

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
    r"(?:group|organisation|organization|movement|network|gang|outfit|faction|affiliate|"
    r"branch)\b"
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
    for s, e in taken:  # a plain loop: called for every candidate span of a document
        if start < e and s < end:
            return True
    return False


def _is_word_char(ch: str) -> bool:
    """Whether ``\\w`` matches `ch` (str patterns: Unicode letters, digits, underscore)."""
    return ch.isalnum() or ch == "_"


def standalone_spans(text: str, name: str, hyphen_after: bool = True) -> list[tuple[int, int]]:
    """Where `name` stands as a word of its own: the matches of
    ``(?<![\\w-])NAME(?![\\w]|-\\w)`` (``hyphen_after``: "Kabul-" still counts unless a word
    follows the hyphen) or of ``(?<![\\w-])NAME(?![\\w-])``, found with ``str.find``
    instead of a regex compiled for every name (compiling and scanning cost more than
    the rules that use them).

    >>> standalone_spans("Swat, Swat-based, Swati, Swat-", "Swat")
    [(0, 4), (25, 29)]
    >>> standalone_spans("Swat, Swat-", "Swat", hyphen_after=False)
    [(0, 4)]
    """
    assert name, "an empty name matches everywhere"
    spans = []
    size, length = len(name), len(text)
    at = text.find(name)
    while at >= 0:
        end = at + size
        before = text[at - 1] if at else ""
        after = text[end] if end < length else ""
        free = not before or not (before == "-" or _is_word_char(before))
        if free and after:
            if after == "-":
                nxt = text[end + 1] if end + 1 < length else ""
                free = hyphen_after and not (nxt and _is_word_char(nxt))
            else:
                free = not _is_word_char(after)
        if free:
            spans.append((at, end))
            at = text.find(name, end)
        else:
            at = text.find(name, at + 1)
    return spans


def find_mentions(doc: Doc, gazetteer: Gazetteer, text: str | None = None) -> list[Mention]:
    """All entity mentions of a parsed document, sorted by position, non-overlapping."""
    text = doc.text if text is None else text
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []

    for match in gazetteer.find(text):
        mentions.append(Mention(match.start, match.end, match.entry.type, match.entry.name))
        taken.append((match.start, match.end))
    known_groups = {m.start: m.end for m in mentions if m.type == "MilitantGroup"}
    orgs = frozenset(m.start for m in mentions if m.type == "Organization")
    for found in unseen_groups(doc, gazetteer, text, taken, known_groups, orgs):
        mentions.append(found)
        taken.append((found.start, found.end))

    # Places: spaCy GPE/LOC/FAC, extended over "province"/"district". A name tagged as a
    # place anywhere in the article is a place where it is tagged a person too.
    ents = doc.ents  # rebuilt on every access
    place_texts = {e.text for e in ents if e.label_ in ("GPE", "LOC")}
    places = []
    person_spans = []
    for ent in ents:
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
        for start, end in standalone_spans(text, name):
            if not _overlaps(start, end, taken) and not any(
                p.start < end and start < p.end for p in places
            ):
                places.append(Mention(start, end, "Location", name))

    # A proper-noun pair coordinated with a person is a person ("Gul Bahadur and Sadiq Noor").
    person_tokens = {t.i for a, b in person_spans for t in doc.char_span(a, b) or []}
    for ent in ents:
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
    place_words = {t.text.casefold() for e in ents if e.label_ in PLACE_LABELS for t in e}
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
        for start, end in standalone_spans(text, name, hyphen_after=False):
            if not _overlaps(start, end, person_taken):
                people.append(Mention(start, end, "Person", cluster.name))
                person_taken.append((start, end))
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


# --- armed groups the gazetteer does not list ----------------------------------------
#
# A name is taken for an armed group only on the article's own evidence: the words it is
# built from (gazetteer "group_name_words") *and* what the text says of it. The weaker
# the name's own signal, the stronger the context must be:
#   militant head ("Lashkar", "Katiba") -> any cue, even "a commander of X";
#   ambiguous head ("Tehreek", "Movement", also parties and armies) -> a militant,
#       banned or link cue ("claimed responsibility", "the proscribed X", "X, a front
#       for Hezbollah");
#   no head word -> the text must call it a militant group ("X, a jihadist group").

NAME_PART = r"(?:(?:al|el|an|ad|as|ash|at|az|ul|ud|wal|bil)-)?[A-Z][\w'’]*(?:-[\w'’]+)*"
LINK_WORDS = frozenset("al el wal bin ibn ul ud e i fi li of for the".split())
NAME_RUN = re.compile(
    rf"(?<![\w'’-]){NAME_PART}(?: (?:(?:al|el|wal|bin|ibn|ul|ud|e|i|fi|li|of the|of|for the"
    rf"|for) )?{NAME_PART})*"
)
ACRONYM_AFTER = re.compile(r"^ \((?P<acr>[A-Z][A-Za-z]{1,7})\)")
NOT_IN_NAME = frozenset(
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
GROUP_NOUN = r"(?:group|outfit|organi[sz]ation|faction|militia|network|cell|offshoot|wing)"
MILITANT_ADJ = r"(?:militant|jihadist|jihadi|terrorist|terror|extremist|insurgent|armed|rebel)"
# "pro-Iran", "Gulf-backed": youth groups, charities and parties are that too, so these
# count only before a militant noun ("a pro-Iran militia", "an IS-linked armed group").
ALIGNED_ADJ = (
    r"(?:pro-(?:Islamic State|[A-Z][\w'-]*)|[\w'-]+-(?:linked|backed|allied|affiliated|"
    r"aligned|inspired))"
)
MILITANT_NOUN = rf"(?:militia|{MILITANT_ADJ} (?:group|outfit|organi[sz]ation|faction|network))"
DESCRIBED_ARMED = (
    rf"(?:{MILITANT_ADJ} (?:[\w-]+ ){{0,2}}?{GROUP_NOUN}|{ALIGNED_ADJ} (?:[\w-]+ ){{0,2}}?"
    rf"{MILITANT_NOUN})"
)
# What armed groups are said to have done: protests, riots and strikes are staged and
# blamed on parties and movements too.
ATTACK_NOUN = (
    r"(?:attacks?|bombings?|blasts?|ambush(?:es)?|assaults?|raids?|massacres?|abductions?|"
    r"kidnappings?|shootings?|killings?|beheadings?|assassinations?)"
)
LINK_NOUN = r"(?:affiliate|offshoot|franchise|branch|faction|wing|front|proxy|ally|arm)"
# (kind, regex on the text before a name, regex on the text after it). Kinds, weakest
# first: role, ties, banned, accused < link < militant-role < listed < activity < appos.
# A role cue after a name ("X chief") is told apart ("role-after"): it also follows
# people's names.
CUES: tuple[tuple[str, re.Pattern[str] | None, re.Pattern[str] | None], ...] = (
    (
        "appos",
        re.compile(
            rf"\b{DESCRIBED_ARMED},? (?:(?:called|named|known as|"
            rf"calling itself) )?(?:the )?$"
        ),
        re.compile(
            rf"^(?:'s|’s)?,? (?:(?:which|that) (?:is|was) |(?:is|was|remains|became) )?"
            rf"(?:an?|the|one of the) (?:[\w-]+ ){{0,2}}?{DESCRIBED_ARMED}s?\b"
        ),
    ),
    (
        "activity",
        re.compile(
            r"\b(?:militants|fighters|insurgents|jihadists|gunmen|suicide bombers?|bombers|"
            r"operatives)(?: (?:belonging|loyal|linked|affiliated))? (?:of|to|with) "
            rf"(?:the )?$|\b{ATTACK_NOUN}\b[^.;]{{0,50}}? (?:claimed|carried out|staged) by "
            r"(?:the )?$"
        ),
        re.compile(
            r"^(?:'s|’s)? (?:militants?|fighters?|insurgents?|jihadists?|gunmen|suicide "
            r"bombers?|operatives?)\b|^(?:,[^,.;]{0,60},)? (?:\w+ly )?(?:has |had |have )?"
            r"(?:\w+ly )?(?:claimed|claims|claim) (?:responsibility|credit)\b|"
            r"^ (?:\w+ly )?(?:carried out|was behind|were behind|is behind|staged|perpetrated|"
            r"masterminded) (?:the |a |an )?(?:[\w-]+ ){0,4}?(?:attacks?|bombings?|assaults?|"
            r"ambush(?:es)?|massacres?|killings?|beheadings?|kidnappings?|assassinations?)\b"
        ),
    ),
    (
        "militant-role",
        re.compile(
            r"\b(?:commander|emir|amir|militant|fighter|recruiter|operative)s? (?:of|in) (?:the )?$"
        ),
        re.compile(r"^(?:'s|’s)? (?:[\w-]+ )?(?:commander|emir|amir|militants?|fighters?)\b"),
    ),
    (
        "banned",
        re.compile(
            rf"\b(?:banned|proscribed|outlawed|blacklisted)(?: (?:[\w-]+ )?{GROUP_NOUN})?,? "
            rf"(?:the )?$"
        ),
        re.compile(
            r"^(?:,? which| has| had| was| is| were| have)*(?: been)? (?:\w+ly )?(?:banned|"
            r"proscribed|outlawed|blacklisted)\b"
        ),
    ),
    (
        "listed",
        None,
        re.compile(
            r"^(?:,? which| has| had| was| is| were| have)*(?: been)? (?:\w+ly )?designated "
            r"(?:as )?(?:an? )?(?:foreign |global )?terrorist\b|^ as (?:an? )?(?:foreign |global )?"
            r"terrorist (?:group|organi[sz]ation|entity)"
        ),
    ),
    (
        "link",
        None,
        re.compile(
            rf"^(?:'s|’s)?,? (?:(?:which|that) (?:is|was) |(?:is|was|operates as|acts as) )?"
            rf"(?:an?|the|one) (?:[\w-]+ ){{0,2}}?(?:{LINK_NOUN}|splinter(?: group| faction)?) "
            rf"(?:of|for|within|to|from) (?:the )?"
            rf"|^ (?:\w+ly )?(?:broke away from|split from|pledged allegiance to|swore "
            rf"allegiance to|merged with|is allied (?:with|to)|(?:is|was) an? (?:splinter|"
            rf"breakaway) (?:group |faction )?of) (?:the )?"
        ),
    ),
    (
        "ties",
        re.compile(
            r"\b(?:(?:close )?(?:ties|links?|connections?) (?:to|with)|allied (?:with|to)|"
            r"fought alongside|merged with|broke away from|(?:affiliate|offshoot|faction|"
            r"splinter(?: group| faction)?) of|(?:its|a|their) rival) (?:the )?$"
        ),
        re.compile(
            r"^ (?:(?:has|have|is|was|had) )?(?:\w+ly )?(?:(?:alleged|said|believed|thought) to "
            r"have )?(?:fought alongside|(?:close )?(?:ties|links?) (?:to|with)|maintains? "
            r"(?:close )?(?:ties|links) (?:to|with)|allied (?:with|to)|clashed (?:\w+ )?with "
            r"(?:its )?(?:rival )?) ?(?:the )?"
        ),
    ),
    (
        "role",
        re.compile(
            r"\b(?:leader|chief|head|emir|amir|founder|co-founder|commander|spokesman|"
            r"spokesperson|member|deputy|militant|fighter|recruiter|operative|cadre|financier|"
            r"ideologue|sub-leader)s? (?:of|for|in|with) (?:the )?$|\b(?:joined|founded|formed|"
            r"leads|led|heads|headed|fought (?:with|for|alongside)|belonged to|belongs to|"
            r"set up) (?:the )?$"
        ),
        re.compile(
            r"^(?:'s|’s)? (?:[\w-]+ )?(?:leader|chief|head|emir|amir|founder|commander|"
            r"spokesman|spokesperson|deputy)\b|^(?:,[^,.;]{0,60},)? (?:was|is|has been|had been) "
            r"(?:\w+ )?(?:founded|formed|led|headed|set up) (?:in \d{4} )?by\b|"
            r"^, which (?:[\w ]+? )?(?:set up|founded|formed|led|leads|heads)\b"
        ),
    ),
)
# "Police blamed X for the attack": an accusation of violence.
BLAMED_BEFORE = re.compile(r"\b(?:blamed|blames|blame|accused|accuses|accuse) (?:the )?$")
BLAMED_AFTER = re.compile(
    r"^ (?:for|of) (?:(?:carrying out|staging|being behind|planning|masterminding) )?"
    r"(?:the |a |an )?(?:[\w-]+ ){0,4}?(?:attacks?|bombings?|"
    r"assaults?|ambush(?:es)?|massacres?|killings?|kidnappings?|assassinations?)\b"
)
# "X was blamed for the bombing": weak (parties are blamed too), and only for violence.
BLAMED_PASSIVE = re.compile(
    r"^ (?:was|were|is|are|has been|had been) (?:\w+ )?(?:blamed|held responsible) for "
    r"(?:(?:carrying out|staging|being behind|planning|masterminding) )?"
    rf"(?:the |a |an )?(?:[\w-]+ ){{0,4}}?{ATTACK_NOUN}\b"
)
BANNED_BY = re.compile(
    r"^(?: has| had| was| is| were| have)*(?: been)? (?:\w+ly )?(?:banned|proscribed|"
    r"outlawed|blacklisted|listed|sanctioned) by (?:the )?"
)
# Bodies whose bans are terrorism listings (not "banned by Reuters", "by the FBI").
LISTING_BODY = re.compile(
    r"(?:(?:US|U\.S\.|UK|Pakistan's|United States|UN|U\.N\.|United Nations) )?(?:State "
    r"Department|Department of State|Treasury|Security Council|Home Office|Interior Ministry|"
    r"United Nations|UN\b|U\.N\.|European Union|EU\b|Government of)"
)
# "X, an al-Qaeda affiliate": the link cue names the known group first.
AFFILIATE_OF_KNOWN = re.compile(rf"^(?:-[\w]+)? {LINK_NOUN}\b")
APPOS_ARTICLE = re.compile(r"^(?:'s|’s)?,? (?:(?:is|was) )?(?:an?|the|one) ")


# What only armed groups are or do: enough for a name whose build could be a person's
# or a party's.
STRONG_CUES = frozenset({"appos", "activity", "militant-role", "listed", "link"})


@dataclass(frozen=True)
class _Candidate:
    """A name that may be an armed group's, before the article's evidence is weighed."""

    name: str
    acronym: str | None
    head: str  # "militant", "ambiguous" or "none"
    org_like: bool  # tagged ORG by the parser (a no-head name must be)
    # "Ansar Mahmood", "Jihad Saleh": tagged PERSON, or a head word as a given name
    person_like: bool = False


def unseen_groups(
    doc: Doc,
    gazetteer: Gazetteer,
    text: str,
    taken: list[tuple[int, int]],
    known: dict[int, int],
    orgs: frozenset[int] = frozenset(),
) -> list[Mention]:
    """Mentions of armed groups the gazetteer does not list, on the article's evidence.

    ``taken`` holds the spans the gazetteer already claimed; ``known`` maps the start
    of each known group mention to its end, for link cues ("X, a front for Kata'ib
    Hezbollah", "X, an al-Qaeda affiliate"); ``orgs`` holds the starts of organisation
    mentions, for listings ("banned by the UK Home Office").
    """
    words = gazetteer.name_words
    candidates = _group_candidates(doc, text, taken, words)
    # where each candidate occurs, found once (candidates are keyed by name)
    spots_of = {name: _occurrences(text, cand) for name, cand in candidates.items()}
    known_spans = dict(known)
    accepted: dict[str, _Candidate] = {}
    for _ in range(2):  # a group linked to one just recognised counts on the second pass
        for cand in candidates.values():
            if cand.name in accepted:
                continue
            spots = spots_of[cand.name]
            kinds = {k for s, e in spots for k in _cues(text, s, e, known_spans, orgs)}
            if _enough(cand, kinds) and not any(_placed(text, s) for s, _ in spots):
                accepted[cand.name] = cand
        known_spans.update(kv for c in accepted.values() for kv in spots_of[c.name])
    found: list[Mention] = []
    busy = list(taken)
    for cand in sorted(accepted.values(), key=lambda c: len(c.name), reverse=True):
        for start, end in spots_of[cand.name]:
            if not _overlaps(start, end, busy):
                found.append(Mention(start, end, "MilitantGroup", cand.name))
                busy.append((start, end))
    return found


def _group_candidates(
    doc: Doc, text: str, taken: list[tuple[int, int]], words: GroupNameWords
) -> dict[str, _Candidate]:
    """Capitalised name runs that could name a group, keyed by their canonical form."""
    out: dict[str, _Candidate] = {}
    headline: dict[int, bool] = {}  # line start -> whether the line is a headline
    for m in NAME_RUN.finditer(text):
        if _overlaps(m.start(), m.end(), taken):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if line_start not in headline:
            headline[line_start] = _title_line(text, m.start())
        if headline[line_start]:
            continue
        span = _trim_name(doc, text, m.start(), m.end(), words)
        if span is None:
            continue
        start, end = span
        name = text[start:end]
        head = _head_kind(name, words)
        if name in out or not _plausible(name, head, doc, start, end, words):
            continue
        acr = ACRONYM_AFTER.match(text[end : end + 12])
        acronym = acr.group("acr") if acr and _initials_fit(acr.group("acr"), name) else None
        ents = doc.char_span(start, end, alignment_mode="expand")
        org_like = ents is not None and all(t.ent_type_ == "ORG" for t in ents)
        person = ents is not None and all(t.ent_type_ == "PERSON" for t in ents)
        person_like = "-" not in name and (person or _person_shaped(name, words))
        out[name] = _Candidate(name, acronym, head, org_like, person_like)
    return out


def _person_shaped(name: str, words: GroupNameWords) -> bool:
    """Whether a name reads as a given name that is a militant head word plus one more
    plain name ("Ansar Mahmood"), as people are named, rather than a group's build."""
    tokens = name.split()
    if len(tokens) != 2 or "-" in name or any(t in LINK_WORDS for t in tokens):
        return False
    heads = words.heads
    return _word_base(tokens[0]) in heads and _word_base(tokens[1]) not in heads


def _title_line(text: str, pos: int) -> bool:
    """Whether `pos` lies in a headline-style line (most words capitalised)."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    words = re.findall(r"[A-Za-z][\w'-]*", line)
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


@lru_cache(maxsize=16384)
def _word_base(word: str) -> str:
    """ "Tehreek-e-Muzaffar" -> "Tehreek"; "al-Shabaab's" -> "Shabaab"."""
    word = re.sub(r"(?:'s|’s)$", "", word)
    word = re.sub(r"^(?:al|el|Al|El)-", "", word)
    return word.split("-")[0]


def _head_kind(name: str, words: GroupNameWords) -> str:
    bases = [_word_base(w) for w in name.split()]
    if any(b in words.militant for b in bases) or "Islamic State" in name:
        return "militant"
    if any(b in words.ambiguous for b in bases):
        return "ambiguous"
    return "none"


def _trim_name(
    doc: Doc, text: str, start: int, end: int, words: GroupNameWords
) -> tuple[int, int] | None:
    """The name inside a capitalised run: sentence-initial words ("Today", "The"),
    nationality adjectives ("Iraqi") and anything before an "of"/"for" that precedes
    the head word are not part of it."""
    tokens = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    heads = [
        i
        for i, (s, e) in enumerate(tokens)
        if _word_base(text[s:e]) in words.heads or text[s:e] in ("Islamic",)
    ]
    first = heads[0] if heads else 0
    for i in range(first - 1, -1, -1):
        s, e = tokens[i]
        if text[s:e] in ("of", "for"):
            first = i + 1
            break
        if text[s:e] == "the" or text[s:e] in LINK_WORDS:
            continue
        span = doc.char_span(s, e, alignment_mode="expand")
        tok = span[0] if span is not None and len(span) else None
        if tok is None or tok.pos_ != "PROPN" or tok.ent_type_ in ("NORP", "DATE", "TIME"):
            first = i + 1
            break
        first = i
    while first < len(tokens) and text[tokens[first][0] : tokens[first][1]] in LINK_WORDS:
        first += 1
    last = len(tokens)
    for i in range(first, len(tokens)):
        if text[tokens[i][0] : tokens[i][1]] in NOT_IN_NAME:
            last = i
            break
    while last > first and text[tokens[last - 1][0] : tokens[last - 1][1]] in LINK_WORDS:
        last -= 1
    if last <= first:
        return None
    s, e = tokens[first][0], tokens[last - 1][1]
    possessive = re.search(r"(?:'s|’s|')$", text[s:e])
    return s, e - (len(possessive.group(0)) if possessive else 0)


def _plausible(name: str, head: str, doc: Doc, start: int, end: int, words: GroupNameWords) -> bool:
    """Whether a name can be an armed group's at all, whatever the text says of it."""
    tokens = name.split()
    if name.isupper() or not name[:1].isupper():
        return False  # a bare acronym ("CTD") is only ever an alias of a name
    if words.names_other_body(name):
        return False  # "Counter Terrorism Department", "Pakistan Tehreek-e-Insaf"
    heads = words.heads
    distinctive = [
        t
        for t in tokens
        if _word_base(t) not in heads and t not in words.rebel and t not in LINK_WORDS
    ]
    if head != "none" and not distinctive and "-" not in name:
        return False  # "Army", "Liberation Front": a description, not a name
    unit_heads = {"Army", "Force", "Forces", "Brigade", "Brigades", "Battalion", "Battalions"}
    if head == "ambiguous" and {_word_base(t) for t in tokens} & unit_heads:
        # "Philippine Army", "National Guard Brigade": a state's force unless the name
        # says it is a rebel one ("Balochistan Liberation Army").
        rebel = {t for t in tokens if t in words.rebel}
        if not rebel:
            return False
        if words.has_state_prefix(name) and not rebel - {"Islamic", "Islami"}:
            return False  # "National Islamic Army": a state's words beside a religious one
    span = doc.char_span(start, end, alignment_mode="expand")
    labels = {t.ent_type_ for t in span} - {""} if span is not None else set()
    if head == "none" and labels != {"ORG"}:
        return False
    return len(tokens) <= 7


def _initials_fit(acronym: str, name: str) -> bool:
    """Whether "SeF" can abbreviate "Sipah-i-Furar": the acronym's capitals are, in
    order, initials of the name's capitalised words and hyphenated parts (its small
    letters stand for joiners, "e", "ul", spelt differently by each outlet).

    >>> _initials_fit("TMI", "Tehreek-e-Muzaffar-ul-Islam"), _initials_fit("CTD", "Jaish al-Adl")
    (True, False)
    """
    initials = "".join(p[0] for p in re.split(r"[\s-]+", name) if p[:1].isupper())
    capitals = "".join(c for c in acronym if c.isupper())
    it = iter(initials)
    return len(capitals) >= 2 and capitals[0] == initials[:1] and all(c in it for c in capitals)


def _occurrences(text: str, cand: _Candidate) -> list[tuple[int, int]]:
    spots = standalone_spans(text, cand.name)
    if cand.acronym:
        spots += standalone_spans(text, cand.acronym)
    return spots


def _cues(text: str, start: int, end: int, known: dict[int, int], orgs: frozenset[int]) -> set[str]:
    """The kinds of militant context around one occurrence of a name."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 80) : start]
    after_end = text.find("\n", end)
    # "Jamaat-e-Tameen (JeT) is an affiliate of ...": read past the acronym
    paren = ACRONYM_AFTER.match(text[end : end + 12])
    if paren is not None:
        end += paren.end()
    after = text[end : min(end + 140, after_end if after_end >= 0 else len(text))]
    found = set()
    for kind, before_re, after_re in CUES:
        if before_re is not None and before_re.search(before):
            found.add(kind)
        hit = after_re.search(after) if after_re is not None else None
        if hit is not None and (kind not in ("link", "ties") or end + hit.end() in known):
            found.add("role-after" if kind == "role" else kind)
    if BLAMED_BEFORE.search(before) and BLAMED_AFTER.match(after) or BLAMED_PASSIVE.match(after):
        found.add("accused")
    banned_by = BANNED_BY.match(after)
    listing = banned_by is not None and LISTING_BODY.match(after[banned_by.end() :])
    if banned_by is not None and end + banned_by.end() in orgs and listing:
        found.add("listed")  # "banned by the UK Home Office": a terrorism listing
    # "X, an al-Qaeda affiliate": article, then a known group, then a link noun.
    article = APPOS_ARTICLE.match(after[:40])
    if article is not None:
        group_end = known.get(end + article.end())
        if group_end is not None and AFFILIATE_OF_KNOWN.match(text[group_end : group_end + 30]):
            found.add("link")
    return found


# "in Lashkar Gah", "near Jund": a name after a locative preposition is a place's (but
# "a commander in Sipah-e-Furar" is a group's).
LOCATIVE_BEFORE = re.compile(
    r"(?<!commander )(?<!commanders )(?<!member )(?<!members )(?<!militant )(?<!fighter )"
    r"(?<!split )(?<!role )(?<!rift )\b(?:in|near|outside|inside|at|around|towards|into) "
    r"(?:the )?$"
)


def _placed(text: str, start: int) -> bool:
    return LOCATIVE_BEFORE.search(text[max(0, start - 40) : start]) is not None


def _enough(cand: _Candidate, kinds: set[str]) -> bool:
    """Whether the cues found suffice for a name of this build."""
    if cand.person_like:
        return bool(kinds & STRONG_CUES)  # "accused Ansar Mahmood of": people are accused
    if cand.head == "militant":
        # "Ansar Mahmood's deputy": a role after a name also follows a person's name, so
        # it counts only beside another cue; "a member of X" never follows one.
        return bool(kinds - {"role-after"})
    if cand.head == "ambiguous":
        # "the banned Jamaat-e-Islami", "blamed the Jamaat for the attack": parties are
        # banned and blamed too; it takes what only armed groups are or do.
        return bool(kinds & STRONG_CUES)
    return cand.org_like and "appos" in kinds
