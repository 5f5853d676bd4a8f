"""The gazetteer: militant groups and organisations with their aliases, kept as data.

The entries live in ``graph_builder/data/gazetteer.json``; this module compiles them into
one matcher. Acronyms (an alias with two or more capitals and no space, like "LeJ" or
"TTP") match case-sensitively; longer names match regardless of case. Longest match wins,
so "Islamic State Khorasan Province" is never read as "Islamic State".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from graph_builder.errors import InputError

DEFAULT_GAZETTEER = Path(__file__).resolve().parent.parent / "data" / "gazetteer.json"


@dataclass(frozen=True)
class GazetteerEntry:
    """One group or organisation: canonical name, type, aliases and (for branches) parent."""

    name: str
    type: str  # "MilitantGroup" or "Organization"
    aliases: tuple[str, ...]
    parent: str | None = None
    region: tuple[str, ...] = ()


@dataclass(frozen=True)
class GazetteerMatch:
    start: int
    end: int
    entry: GazetteerEntry


@dataclass(frozen=True)
class GroupNameWords:
    """Words that make up the names of armed groups the gazetteer does not list.

    ``militant`` words ("Lashkar", "Jaish", "Katiba") nearly always name an armed
    group; ``ambiguous`` ones ("Tehreek", "Movement", "Army") also name parties and
    states' forces; ``not_militant`` ones ("Police", "Party", "University") make a name
    a state body, party, NGO or outlet. ``state_prefix`` and ``rebel`` words tell a
    state's army ("National Army") from a rebel one ("Liberation Army").
    """

    militant: frozenset[str] = frozenset()
    ambiguous: frozenset[str] = frozenset()
    not_militant: tuple[str, ...] = ()
    state_prefix: frozenset[str] = frozenset()
    rebel: frozenset[str] = frozenset()
    _not_militant_re: re.Pattern[str] | None = field(
        init=False, repr=False, compare=False, default=None
    )
    # militant | ambiguous: the head words, read for every word of every name tried
    heads: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        words = "|".join(re.escape(w) for w in sorted(self.not_militant, key=len, reverse=True))
        # one compiled matcher for every name tried in a document
        object.__setattr__(
            self,
            "_not_militant_re",
            re.compile(rf"(?<![\w-])(?:{words})(?![\w-])") if words else None,
        )
        object.__setattr__(self, "heads", self.militant | self.ambiguous)

    def has_state_prefix(self, name: str) -> bool:
        """Whether a name holds a word or phrase of a state's forces ("National", "People's").

        >>> GroupNameWords(state_prefix=frozenset({"National"})).has_state_prefix("National Army")
        True
        """
        return any(
            re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", name) for w in self.state_prefix
        )

    def names_other_body(self, name: str) -> bool:
        """Whether a name holds a word of a state body, party, NGO or outlet.

        >>> GroupNameWords(not_militant=("Police", "Party")).names_other_body("Sindh Police")
        True
        """
        pattern = self._not_militant_re
        return pattern is not None and pattern.search(name) is not None


# "al-Qaeda-linked group": the name still counts before an attribute suffix.
ATTRIBUTE_SUFFIX = r"(?:linked|backed|allied|affiliated|aligned|inspired|led|based)\b"


def alias_pattern(folded: Sequence[str], exact: Sequence[str]) -> re.Pattern[str]:
    """One alternation of aliases in order, `folded` ones regardless of case."""
    groups = [f"(?i:{'|'.join(map(re.escape, folded))})"] if folded else []
    groups += ["|".join(map(re.escape, exact))] if exact else []
    return re.compile(rf"(?<![\w-])(?:{'|'.join(groups)})(?![\w]|-(?!{ATTRIBUTE_SUFFIX})\w)")


class AliasMatcher:
    """The matches of :func:`alias_pattern` over all aliases, found faster.

    An alternation of a few hundred case-insensitive literals is tried whole at every
    word start. An alias can only match where its first letter does, so each word start
    is tried with the aliases (in the same order) whose first letter could be the one
    there: lower-cased for an ASCII letter, while aliases opening with another character
    join every group; a non-ASCII letter in the text gets the whole alternation.
    """

    def __init__(self, folded: Sequence[str], exact: Sequence[str]) -> None:
        self.pattern = alias_pattern(folded, exact)
        firsts = {a[0] for a in (*folded, *exact) if a}
        # where a match may start: an alias's first letter, in any case, not inside a word
        self._starts = re.compile(
            rf"(?<![\w-])(?i:[{''.join(map(re.escape, sorted(firsts)))}])" if firsts else r"(?!)"
        )

        def key(alias: str) -> str | None:
            return alias[0].lower() if alias and alias[0].isascii() else None

        def subset(k: str | None) -> re.Pattern[str] | None:
            fold = [a for a in folded if key(a) in (k, None)]
            same = [a for a in exact if key(a) in (k, None)]
            return alias_pattern(fold, same) if fold or same else None

        self._by_letter = {k: subset(k) for k in {key(a) for a in (*folded, *exact)} if k}
        self._other = subset(None)  # an ASCII letter no alias starts with (in any case)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """What ``self.pattern.finditer(text)`` yields (non-empty matches only)."""
        pos = 0
        while (start := self._starts.search(text, pos)) is not None:
            at = start.start()
            letter = text[at]
            regex = (
                self._by_letter.get(letter.lower(), self._other)
                if letter.isascii()
                else self.pattern
            )
            found = regex.match(text, at) if regex is not None else None
            if found is not None and found.end() > at:
                yield found
                pos = found.end()
            else:
                pos = at + 1


@dataclass(frozen=True)
class Gazetteer:
    """Compiled gazetteer; build it with :func:`load_gazetteer`."""

    entries: tuple[GazetteerEntry, ...]
    organization_cues: frozenset[str]
    event_nouns: frozenset[str]
    _pattern: AliasMatcher = field(repr=False, compare=False)
    _lookup: dict[str, GazetteerEntry] = field(repr=False, compare=False)
    name_words: GroupNameWords = field(default_factory=lambda: GroupNameWords())

    def find(self, text: str) -> list[GazetteerMatch]:
        """Non-overlapping mentions of gazetteer entries in `text`, leftmost-longest."""
        found = []
        for m in self._pattern.finditer(text):
            surface = m.group(0)
            entry = self._lookup.get(surface) or self._lookup.get(surface.casefold())
            if entry is None:
                continue
            if surface.isupper() and _shouting(text, m.start(), m.end()):
                continue  # "DEATH TOLL IS 100": an all-caps line, not the acronym "IS"
            found.append(GazetteerMatch(m.start(), m.end(), entry))
        return found

    def by_name(self, name: str) -> GazetteerEntry | None:
        for entry in self.entries:
            if entry.name == name:
                return entry
        return None


def _shouting(text: str, start: int, end: int) -> bool:
    """Whether the words around a match are capitals too (a headline or dateline in caps)."""
    before = re.findall(r"[A-Za-z]{2,}", text[max(0, start - 30) : start])[-2:]
    after = re.findall(r"[A-Za-z]{2,}", text[end : end + 30])[:2]
    words = before + after
    return bool(words) and all(w.isupper() for w in words)


def _is_acronym(alias: str) -> bool:
    return " " not in alias and sum(c.isupper() for c in alias) >= 2 and len(alias) <= 6


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _longest_first(alias: str) -> tuple[int, str]:
    # ties by text, not by set order, so every process tries aliases in the same order
    return -len(alias), alias


def load_gazetteer(path: str | Path = DEFAULT_GAZETTEER) -> Gazetteer:
    """Read and compile the gazetteer JSON.

    >>> gaz = load_gazetteer()
    >>> [(m.entry.name, m.entry.type) for m in gaz.find("LeJ chief and the State Department")]
    [('Lashkar-e-Jhangvi', 'MilitantGroup'), ('US State Department', 'Organization')]
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(path, None, f"cannot read gazetteer: {exc}") from None
    entries = []
    for key, type_name in (("groups", "MilitantGroup"), ("organizations", "Organization")):
        for item in data.get(key, []):
            if not isinstance(item, dict) or not _is_name(item.get("name")):
                raise InputError(path, None, f"{key}: every entry needs a 'name', got {item!r}")
            if not all(_is_name(a) for a in item.get("aliases", [])):
                raise InputError(
                    path, None, f"{key}: {item['name']!r} has an empty or non-string alias"
                )
            entries.append(
                GazetteerEntry(
                    name=item["name"],
                    type=type_name,
                    aliases=tuple(item.get("aliases", [])),
                    parent=item.get("parent"),
                    region=tuple(item.get("region", [])),
                )
            )
    lookup: dict[str, GazetteerEntry] = {}
    exact: list[str] = []
    folded: list[str] = []
    for entry in entries:
        for alias in (entry.name, *entry.aliases):
            if _is_acronym(alias):
                lookup.setdefault(alias, entry)
                exact.append(alias)
            else:
                lookup.setdefault(alias.casefold(), entry)
                folded.append(alias)
    # Longest first so alternation prefers the longest alias at a position.
    return Gazetteer(
        entries=tuple(entries),
        organization_cues=frozenset(data.get("organization_cues", [])),
        event_nouns=frozenset(data.get("event_nouns", [])),
        _pattern=AliasMatcher(
            tuple(sorted(set(folded), key=_longest_first)),
            tuple(sorted(set(exact), key=_longest_first)),
        ),
        _lookup=lookup,
        name_words=_name_words(path, data.get("group_name_words", {})),
    )


def _name_words(path: Path, data: object) -> GroupNameWords:
    """The ``group_name_words`` section: lists of words under fixed keys."""
    if not isinstance(data, dict):
        raise InputError(path, None, f"group_name_words: expected an object, got {data!r}")
    lists: dict[str, list[str]] = {}
    for key in ("militant", "ambiguous", "not_militant", "state_prefix", "rebel_words"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            raise InputError(path, None, f"group_name_words.{key}: expected a list of words")
        lists[key] = value
    return GroupNameWords(
        militant=frozenset(lists["militant"]),
        ambiguous=frozenset(lists["ambiguous"]),
        not_militant=tuple(lists["not_militant"]),
        state_prefix=frozenset(lists["state_prefix"]),
        rebel=frozenset(lists["rebel_words"]),
    )
