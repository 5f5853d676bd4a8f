"""When an event happened, from the words around it and the document's date.

News text dates events relative to the article: "on Sunday", "last month", "on July 24".
:func:`parse_date` turns one such phrase into an ISO date at the precision the text
gives (YYYY, YYYY-MM or YYYY-MM-DD); :func:`event_date` finds the phrase that dates an
event mention in its parse (inside the event phrase, or on the verb that tells it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november "
        "december".split()
    )
}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {
    d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())
}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_FULL = re.compile(
    rf"\b{_MONTH} (?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<year>(?:19|20)\d\d))?\b", re.I
)
_DAY_FIRST = re.compile(rf"\b(?P<day>\d{{1,2}}) {_MONTH}(?: (?P<year>(?:19|20)\d\d))?\b", re.I)
_MONTH_YEAR = re.compile(
    rf"\b(?:(?:early|mid|late|mid-) ?)?{_MONTH}(?: (?:of )?(?P<year>(?:19|20)\d\d))?\b", re.I
)
_YEAR = re.compile(r"\b(?P<year>(?:19|20)\d\d)\b")
_WEEKDAY = re.compile(r"\b(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")
# Verbs that tell an event happening (a date on "said" or "claimed" dates the telling).
EVENT_VERBS = frozenset(
    "kill die strike hit attack explode detonate blow storm ambush raid shoot occur happen "
    "carry stage launch target bomb assassinate ram behead abduct kidnap "
    "seize fire open wound injure destroy".split()
)


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    try:
        if day is not None and month is not None:
            return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
    if month is not None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}"


def _document_day(doc_date: str | None) -> dt.date | None:
    if doc_date is None or not re.fullmatch(r"\d{4}-\d\d-\d\d", doc_date):
        return None
    try:
        return dt.date.fromisoformat(doc_date)
    except ValueError:
        return None


def parse_date(phrase: str, doc_date: str | None = None) -> str | None:
    """The ISO date a phrase names, read against the document's date when it is relative.

    >>> parse_date("on February 14, 2005")
    '2005-02-14'
    >>> parse_date("on July 24", "2015-07-29"), parse_date("in late January", "2020-02-24")
    ('2015-07-24', '2020-01')
    >>> parse_date("on Sunday", "2022-08-08"), parse_date("last month", "2021-06-07")
    ('2022-08-07', '2021-05')
    >>> parse_date("in 2009"), parse_date("three decades") is None
    ('2009', True)
    """
    text = phrase
    today = _document_day(doc_date)
    for regex in (_FULL, _DAY_FIRST):
        m = regex.search(text)
        if m and m.group("month")[0].isupper():
            month, day = MONTHS[_month_key(m.group("month"))], int(m.group("day"))
            if m.group("year"):
                return _iso(int(m.group("year")), month, day)
            if today is not None:
                year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
                return _iso(year, month, day)
            return None
    m = _MONTH_YEAR.search(text)
    if m and m.group("month")[0].isupper() and (m.group("year") or today is not None):
        month = MONTHS[_month_key(m.group("month"))]
        if m.group("year"):
            return _iso(int(m.group("year")), month)
        assert today is not None
        return _iso(today.year if month <= today.month else today.year - 1, month)
    m = _YEAR.search(text)
    if m:
        return m.group("year")
    if today is None:
        return None
    text = text.lower()
    m = _WEEKDAY.search(text)
    if m:
        back = (today.weekday() - WEEKDAYS[m.group("weekday")]) % 7
        return (today - dt.timedelta(days=back)).isoformat()
    if re.search(r"\byesterday\b", text):
        return (today - dt.timedelta(days=1)).isoformat()
    if re.search(r"\btoday\b|\bthis morning\b|\btonight\b", text):
        return today.isoformat()
    if re.search(r"\blast month\b", text):
        first = today.replace(day=1) - dt.timedelta(days=1)
        return _iso(first.year, first.month)
    if re.search(r"\blast year\b", text):
        return _iso(today.year - 1)
    return None


def _month_key(word: str) -> str:
    word = word.rstrip(".").lower()
    return word if word in MONTHS else word[:3]


def _date_phrases(token: Token) -> list[str]:
    """Date phrases attached to a token: "on Sunday", "in March 2016", "last month"."""
    phrases = []
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ in ("on", "in", "during", "since"):
            for obj in child.children:
                if obj.dep_ == "pobj" and obj.ent_type_ == "DATE":
                    phrases.append(" ".join(t.text for t in obj.subtree))
        elif child.dep_ in ("npadvmod", "tmod") and child.ent_type_ == "DATE":
            phrases.append(" ".join(t.text for t in child.subtree))
    return phrases


def event_date(head: Token, doc_date: str | None) -> str | None:
    """The date the text gives for the event headed by `head`, or None.

    Looks inside the event phrase ("the 2005 bombing", "the February 21 attack"), then
    at date phrases on the head, then on the nearest verb above it when that verb tells
    the event ("killed himself last month during a clash").
    """
    inside = [t for t in head.doc[head.left_edge.i : head.i] if t.ent_type_ == "DATE"]
    if inside:
        found = parse_date(" ".join(t.text for t in inside), doc_date)
        if found:
            return found
    for phrase in _date_phrases(head):
        found = parse_date(phrase, doc_date)
        if found:
            return found
    verb = head.head
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    if verb.pos_ in ("VERB", "AUX") and verb.lemma_.lower() in EVENT_VERBS:
        for phrase in _date_phrases(verb):
            found = parse_date(phrase, doc_date)
            if found:
                return found
    return None


def verb_date(verb: Token, doc_date: str | None) -> str | None:
    """The date phrase on a verb that tells an event ("struck a rally on Friday")."""
    for phrase in _date_phrases(verb):
        found = parse_date(phrase, doc_date)
        if found:
            return found
    return None
