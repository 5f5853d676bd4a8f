"""Entity resolution across documents: one entity per real-world thing, every merge recorded.

Statements arrive with names already resolved inside their document ("Malik Muhammad
Ishaq", not "he"). Across documents the same group is written many ways: "Lashkar-e-Jhangvi"
and "Lashkar-i-Jhangvi", "al-Qaeda" and "al-Qaida", "IS" and "Daesh". :func:`resolve` merges
such names into one entity, in this order, each step recorded as a :class:`MergeDecision`:

1. the analyst's alias table (``ontology/aliases.csv``): forced merges and forbidden ones;
2. the extractor's gazetteer (``graph_builder/data/``), when present;
3. normalised names (unidecode, case, hyphens, "-e-"/"-i-" connectors, "al-" prefix);
4. transliterations (same consonant skeleton and a rapidfuzz ratio >= 80) and near-identical
   spellings (ratio >= 94, same initials);
5. acronyms (LeJ, TTP) when exactly one group's initials fit;
6. a person named by a surname only ("Ishaq") when exactly one full name in the corpus fits.

Different types never merge (a type is part of the IRI). People are scoped by document
first: two people with the same name in different documents are merged unless their
affiliations conflict (both belong to groups, and none of one is related to one of the
other: the same group, groups linked by a statement of the corpus, or a group part of the
other in the gazetteer's ``parent`` data), and then they are kept apart with a recorded
reason.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TextIO, TypeVar

import numpy as np
from rapidfuzz import fuzz, process
from unidecode import unidecode

from graph_builder.config import DEFAULT_BASE_IRI, PROJECT_ROOT
from graph_builder.errors import InputError
from graph_builder.gcpause import gc_paused
from graph_builder.model import Entity
from graph_builder.ontology import Ontology, snake_case
from graph_builder.statements import Statement, with_fields

DEFAULT_ALIASES = PROJECT_ROOT / "ontology" / "aliases.csv"
GAZETTEER = Path(__file__).resolve().parent / "data" / "gazetteer.json"
ALIAS_COLUMNS = ("type", "canonical", "alias", "action")
ALIAS_ACTIONS = ("merge", "forbid")
MAX_ALIAS_LINE_CHARS = 10_000  # a row holds a few names; a longer line is not a row
# Control characters (and what XML cannot hold) have no place in a name: they would
# break GraphML/GEXF exports and cannot be typed by an analyst.
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)
_NOT_NAME_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Particles that transliterations write as "-e-", "-i-", "-ul-", "al-" or leave out.
_CONNECTORS = frozenset({"e", "i", "ul", "ur", "ud", "al", "el", "the"})
_VOWELS = frozenset("aeiouwy")  # w/y: "Dawlat"/"Daulat", "Tayyiba"/"Taiba"
_WITHOUT_VOWELS = str.maketrans("", "", "".join(sorted(_VOWELS)))
# Patterns compiled once: the name functions run for every name of a corpus.
_WORD = re.compile("[a-z0-9]+")
_NOT_WORD = re.compile("[^a-z0-9]+")
# The repeats of a letter after its first: removed, a run becomes one letter (as a
# substitution of r"(.)\1+" by r"\1" would, but with no template to expand per match).
_LETTER_REPEATS = re.compile(r"(?<=(.))\1+")
_ALIAS_IN_BRACKETS = re.compile(r"(.+?)\s*\(([^()]+)\)")
_ACRONYM_LETTERS = re.compile("[A-Za-z]{2,6}")
TRANSLITERATION_MIN_RATIO = 80.0
FUZZY_MIN_RATIO = 94.0
FUZZY_MIN_LENGTH = 8
_K = TypeVar("_K")
_T = TypeVar("_T")
# Statement.statement_id must stay a cached_property: _finish computes it with the
# property's function and stores it where the property would (its __dict__ entry).
_statement_id_of = Statement.statement_id.func  # type: ignore[attr-defined]


@dataclass(frozen=True)
class MergeDecision:
    """One resolution decision: `merged` joined (or, if not `applied`, was kept apart from)
    the entity `entity_id` named `canonical`, by `rule`, for `reason`."""

    entity_id: str
    entity_type: str
    canonical: str
    merged: str
    rule: str
    reason: str
    applied: bool = True


@dataclass(frozen=True)
class Resolution:
    """Resolved statements, the entities they name, and every decision taken."""

    statements: tuple[Statement, ...]  # subject/object canonical, subject_id/object_id IRIs
    entities: dict[str, Entity]  # by IRI
    merges: tuple[MergeDecision, ...]


@dataclass(frozen=True)
class AliasRule:
    """One row of the alias table."""

    type: str
    canonical: str
    alias: str
    action: str  # merge | forbid
    path: str
    line: int


@dataclass(frozen=True)
class AliasTable:
    """The analyst's alias table: names to merge into a canonical one, pairs never to merge."""

    rules: tuple[AliasRule, ...] = ()

    def merges(self) -> list[AliasRule]:
        return [r for r in self.rules if r.action == "merge"]

    def forbids(self) -> list[AliasRule]:
        return [r for r in self.rules if r.action == "forbid"]


# ---------------------------------------------------------------- names


def slug(text: str) -> str:
    """URL-safe slug: transliterated to ASCII, lowercase, words joined by hyphens.

    >>> slug("Lashkar-e-Jhangvi (LeJ)")
    'lashkar-e-jhangvi-lej'
    >>> slug("Ḥaqqānī network")
    'haqqani-network'
    """
    text = unidecode(text).lower().replace("'", "")
    return _NOT_WORD.sub("-", text).strip("-")


def entity_iri(base_iri: str, type_name: str, name: str) -> str:
    """Stable IRI of an entity: base + type slug + "/" + slug of the canonical name.

    >>> entity_iri("https://milgraph.org/id/", "MilitantGroup", "al-Qaeda")
    'https://milgraph.org/id/militant-group/al-qaeda'
    >>> entity_iri("https://example.org/kg/", "Person", "Malik Muhammad Ishaq")
    'https://example.org/kg/person/malik-muhammad-ishaq'
    """
    name_slug = slug(name) or "x-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    type_slug = snake_case(type_name).replace("_", "-")
    return f"{base_iri}{type_slug}/{name_slug}"


def split_alias_notation(name: str) -> tuple[str, tuple[str, ...]]:
    """Split "X @ Y" (X alias Y) and "X (Y)" into the name and its aliases.

    >>> split_alias_notation("Abdul Wali @ Omar Khalid Khorasani")
    ('Abdul Wali', ('Omar Khalid Khorasani',))
    >>> split_alias_notation("Lashkar-e-Jhangvi (LeJ)")
    ('Lashkar-e-Jhangvi', ('LeJ',))
    >>> split_alias_notation("al-Qaeda")
    ('al-Qaeda', ())
    """
    parts = [p.strip() for p in name.split("@")]
    parts = [p for p in parts if p]
    if not parts:
        return name.strip(), ()
    head, aliases = parts[0], list(parts[1:])
    match = _ALIAS_IN_BRACKETS.fullmatch(head)
    if match:
        head = match.group(1).strip()
        aliases.insert(0, match.group(2).strip())
    return head, tuple(dict.fromkeys(a for a in aliases if a != head))


@functools.lru_cache(maxsize=1 << 18)  # the words of a name, for each function below
def _tokens(name: str) -> tuple[str, ...]:
    text = unidecode(name).lower().replace("'", "").replace("\u2019", "")
    return tuple(_WORD.findall(text))  # (the non-empty pieces between non-word runs)


@functools.lru_cache(maxsize=1 << 18)
def _spelled(name: str) -> str:
    """Lowercase ASCII words, connectors kept: what spelling similarity is measured on."""
    return " ".join(_tokens(name))


@functools.lru_cache(maxsize=1 << 18)  # called for every name by every rule
def name_key(name: str) -> str:
    """Normalised name: ASCII, lowercase, no punctuation, connectors and "the" dropped,
    a trailing "group" dropped.

    >>> name_key("Lashkar-i-Jhangvi") == name_key("Lashkar e Jhangvi")
    True
    >>> name_key("Al Qaeda") == name_key("al-Qaeda")
    True
    >>> name_key("the Islamic State group")
    'islamic state'
    """
    tokens = [t for t in _tokens(name) if t not in _CONNECTORS]
    if len(tokens) > 1 and tokens[-1] == "group":
        tokens = tokens[:-1]
    return " ".join(tokens)


@functools.lru_cache(maxsize=1 << 18)
def compact_key(name: str) -> str:
    """All tokens run together, connectors kept: "Wali-ur-Rehman" == "Waliur Rehman".

    >>> compact_key("Wali-ur-Rehman") == compact_key("Waliur Rehman")
    True
    """
    return "".join(_tokens(name))


@functools.lru_cache(maxsize=1 << 18)
def skeleton(name: str) -> str:
    """Consonant skeleton of the normalised name, for transliteration variants.

    >>> skeleton("al-Qaida") == skeleton("al-Qaeda")
    True
    >>> skeleton("Tehreek-e-Taliban Pakistan") == skeleton("Tehrik-i-Taliban Pakistan")
    True
    >>> skeleton("Lashkar-e-Taiba") == skeleton("Lashkar-e-Jhangvi")
    False
    """
    out = []
    for token in name_key(name).split():
        kept = token[0] + token[1:].translate(_WITHOUT_VOWELS)
        out.append(_LETTER_REPEATS.sub("", kept))
    return " ".join(out)


@functools.lru_cache(maxsize=1 << 18)
def is_acronym(name: str) -> bool:
    """A short single word with at least two capitals: LeJ, TTP, IS, JuD.

    >>> [is_acronym(n) for n in ("LeJ", "TTP", "Ishaq", "ISIS-K")]
    [True, True, False, False]
    """
    return bool(_ACRONYM_LETTERS.fullmatch(name)) and sum(c.isupper() for c in name) >= 2


def initials(name: str) -> set[str]:
    """Initials a name may be abbreviated to, with and without connectors.

    >>> sorted(initials("Lashkar-e-Jhangvi"))
    ['lej', 'lj']
    >>> sorted(initials("Tehrik-i-Taliban Pakistan"))
    ['titp', 'ttp']
    """
    tokens = _tokens(name)
    if len(tokens) < 2:
        return set()
    full = "".join(t[0] for t in tokens)
    short = "".join(t[0] for t in tokens if t not in _CONNECTORS)
    return {x for x in (full, short) if len(x) >= 2}


# ---------------------------------------------------------------- alias table


def _read_alias_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The CSV rows of an alias table with the line each starts on; comments left out.

    A line is never read beyond :data:`MAX_ALIAS_LINE_CHARS` and a field (quoted over
    lines) never beyond csv's field limit, so a runaway file costs little memory.
    """
    rows: list[tuple[int, list[str]]] = []
    line_no = 0

    def lines(handle: TextIO) -> Iterator[str]:
        nonlocal line_no
        while line := handle.readline(MAX_ALIAS_LINE_CHARS + 1):
            line_no += 1
            if len(line) > MAX_ALIAS_LINE_CHARS:
                raise InputError(
                    path, line_no, f"line longer than {MAX_ALIAS_LINE_CHARS} characters"
                )
            if bad := _UNDECODED.search(line):
                raise InputError(
                    path,
                    line_no,
                    f"alias table is not UTF-8 text (at character {bad.start() + 1} of the line)",
                )
            yield line

    start = 1
    try:
        # Undecodable bytes become lone surrogates (checked per line, so the error names
        # its line); newline="" reads \n, \r\n and \r line ends, as csv expects.
        with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            reader = csv.reader(lines(handle))
            for row in reader:
                if row and not row[0].lstrip().startswith("#"):
                    rows.append((start, row))
                start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(path, start, f"not a CSV row ({exc})") from None
    except OSError as exc:  # a directory, a permission, an I/O error midway
        raise InputError(path, None, f"cannot read alias table: {exc.strerror}") from None
    return rows


def load_alias_table(
    path: str | Path | None = None, ontology: Ontology | None = None
) -> AliasTable:
    """Read the analyst's alias table (CSV: type,canonical,alias,action).

    `action` is ``merge`` (the alias names the canonical entity) or ``forbid`` (never put
    the two names in one entity). A missing default table is an empty table; a bad row
    raises :class:`InputError` naming FILE:LINE and the expected values.
    """
    explicit = path is not None
    path = Path(path) if path is not None else DEFAULT_ALIASES
    if not path.exists():
        if explicit:
            raise InputError(path, None, "alias table not found")
        return AliasTable()
    valid_types = sorted(ontology.types) if ontology is not None else None
    shown = str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)
    rules: list[AliasRule] = []
    rows = _read_alias_rows(path)
    if not rows or [c.strip() for c in rows[0][1]] != list(ALIAS_COLUMNS):
        got = ",".join(rows[0][1])[:200] if rows else "nothing"
        raise InputError(
            path, rows[0][0] if rows else 1, f"header must be {','.join(ALIAS_COLUMNS)}, got {got}"
        )
    for line, row in rows[1:]:
        if len(row) != len(ALIAS_COLUMNS):
            raise InputError(
                path, line, f"expected 4 columns {','.join(ALIAS_COLUMNS)}, got {len(row)}"
            )
        type_name, canonical, alias, action = (c.strip() for c in row)
        for cell in (type_name, canonical, alias):
            if char := _NOT_NAME_TEXT.search(cell):
                raise InputError(
                    path,
                    line,
                    f"{cell[:60]!r} holds control character U+{ord(char.group()):04X}; "
                    "names are printable text on one line",
                )
        if valid_types is not None and type_name not in valid_types:
            raise InputError(
                path, line, f"unknown type {type_name!r}; expected one of {', '.join(valid_types)}"
            )
        if not type_name:
            raise InputError(path, line, "empty type")
        if action not in ALIAS_ACTIONS:
            raise InputError(
                path, line, f"unknown action {action!r}; expected one of {', '.join(ALIAS_ACTIONS)}"
            )
        if not canonical or not alias:
            raise InputError(path, line, "canonical and alias must both be non-empty")
        if name_key(canonical) == name_key(alias) and action == "forbid":
            raise InputError(path, line, f"cannot forbid {alias!r}: it normalises to {canonical!r}")
        rules.append(AliasRule(type_name, canonical, alias, action, shown, line))
    merged = {
        (r.type, name_key(r.canonical), name_key(r.alias)) for r in rules if r.action == "merge"
    }
    for r in rules:
        if r.action == "forbid":
            pair = {
                (r.type, name_key(r.canonical), name_key(r.alias)),
                (r.type, name_key(r.alias), name_key(r.canonical)),
            }
            if pair & merged:
                raise InputError(
                    path, r.line, f"{r.alias!r} and {r.canonical!r} are both merged and forbidden"
                )
    return AliasTable(tuple(rules))


def load_gazetteer(path: Path = GAZETTEER) -> dict[str, dict[str, list[str]]]:
    """Aliases from the extractor's gazetteer, if installed: type -> canonical -> aliases.

    Reads the ``groups`` (MilitantGroup) and ``organizations`` (Organization) lists of
    ``graph_builder/data/gazetteer.json`` (``{"name": ..., "aliases": [...]}`` items). A
    missing or unreadable file gives an empty gazetteer: it is a hint, never required.

    >>> "LeJ" in load_gazetteer().get("MilitantGroup", {}).get("Lashkar-e-Jhangvi", [])
    True
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    if not isinstance(data, dict):
        return out
    for key, type_name in (("groups", "MilitantGroup"), ("organizations", "Organization")):
        for item in data.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                aliases = [str(a) for a in item.get("aliases") or [] if isinstance(a, str)]
                out.setdefault(type_name, {})[item["name"]] = aliases
    return out


def load_group_parents(path: Path = GAZETTEER) -> dict[str, str]:
    """Which group is part of which, from the gazetteer: branch name -> parent group name.

    Reads the ``parent`` of the ``groups`` items of ``graph_builder/data/gazetteer.json``
    (a branch or affiliate: al-Qaeda in Iraq -> al-Qaeda). A missing or unreadable file
    gives no parents.

    >>> load_group_parents()["al-Qaeda in Iraq"]
    'al-Qaeda'
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    items = data.get("groups") if isinstance(data, dict) else None
    return {
        item["name"]: item["parent"]
        for item in items or []
        if isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and isinstance(item.get("parent"), str)
    }


def group_lineages(
    gazetteer: Mapping[str, Mapping[str, Sequence[str]]] | None,
    parents: Mapping[str, str] | None,
) -> dict[str, tuple[str, ...]]:
    """Name key of a group -> canonical keys of the group, its parent, the parent's parent...

    A gazetteer alias stands for its canonical name, so "AQI" is part of al-Qaeda when
    the gazetteer lists "AQI" as an alias of al-Qaeda in Iraq. Parent chains are
    followed to the top (a cycle stops where it repeats).

    >>> lineage = group_lineages({"MilitantGroup": {"al-Qaeda in Iraq": ["AQI"]}},
    ...                          {"al-Qaeda in Iraq": "al-Qaeda"})
    >>> lineage[name_key("AQI")]
    ('qaeda in iraq', 'qaeda')
    """
    canonical: dict[str, str] = {}
    for name, aliases in ((gazetteer or {}).get("MilitantGroup") or {}).items():
        for alias in (name, *aliases):
            canonical.setdefault(name_key(alias), name_key(name))
    parent_of = {
        canonical.get(name_key(child), name_key(child)): canonical.get(
            name_key(parent), name_key(parent)
        )
        for child, parent in (parents or {}).items()
    }
    lineages: dict[str, tuple[str, ...]] = {}
    for key in {*canonical, *parent_of}:
        chain = [canonical.get(key, key)]
        while chain[-1] in parent_of and parent_of[chain[-1]] not in chain:
            chain.append(parent_of[chain[-1]])
        lineages[key] = tuple(chain)
    return lineages


# ---------------------------------------------------------------- resolution


# (slots: a node and a decision per name and merge, a hundred thousand at 10k articles;
# no __dict__ to allocate for each)
@dataclass(slots=True)
class _Node:
    """Mentions sharing one written name (people: within one document)."""

    type: str
    name: str
    scope: str | None  # doc_id for people, None otherwise
    names: set[str] = field(default_factory=set)
    count: int = 0
    docs: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Pending:
    a: int
    b: int
    rule: str
    reason: str
    applied: bool
    name: str | None = None  # the alias, for alias-notation decisions


class _Resolver:
    """Union-find over name nodes with forbid and affiliation checks."""

    def __init__(self, nodes: list[_Node], forbidden: list[tuple[str, str, str]]) -> None:
        self.nodes = nodes
        self.parent = list(range(len(nodes)))
        self.members: dict[int, set[int]] = {i: {i} for i in range(len(nodes))}
        self.forbidden = forbidden  # (type, key a, key b)
        self._forbidding_types = {t for t, _, _ in forbidden}
        # per root, dropped when the root changes: name keys, and (people) group roots
        self._keys: dict[int, set[str]] = {}
        self._groups: dict[int, set[int]] = {}
        # conflict() of two people's roots, valid while merge_count is _conflicts_at (the
        # groups, their lineages and links are settled before people merge)
        self._conflicts: dict[tuple[int, int], str | None] = {}
        self._conflicts_at = 0
        self.merge_count = 0  # merges so far: what is derived from clusters is valid until then
        self.decisions: list[_Pending] = []
        self.affiliation: dict[int, set[int]] = defaultdict(set)  # person node -> group nodes
        self.linked: set[tuple[int, int]] = set()  # group root pairs
        # group name key -> its canonical key, then those of the groups it is part of
        self.lineages: Mapping[str, tuple[str, ...]] = {}
        self._lineage_cache: dict[int, tuple[set[str], set[str]]] = {}
        # canonical names imposed on a cluster: (priority, name), lower wins (table < gazetteer)
        self.forced_names: dict[int, tuple[int, str]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def keys(self, root: int) -> set[str]:
        """Name keys of a cluster (a shared set: do not change it)."""
        if root not in self._keys:
            self._keys[root] = {
                name_key(n) for m in self.members[root] for n in self.nodes[m].names
            }
        return self._keys[root]

    def _forbidden(self, ra: int, rb: int) -> str | None:
        type_name = self.nodes[ra].type
        if type_name not in self._forbidding_types:
            return None
        ka, kb = self.keys(ra), self.keys(rb)
        for t, x, y in self.forbidden:
            if t == type_name and ((x in ka and y in kb) or (y in ka and x in kb)):
                return f"the alias table forbids merging {x!r} and {y!r}"
        return None

    def affiliate(self, person: int, group: int) -> None:
        self.affiliate_all(((person, group),))

    def affiliate_all(self, pairs: Iterable[tuple[int, int]]) -> None:
        """(person node, group node) pairs; what was derived from affiliations dropped once
        (a corpus has tens of thousands of them)."""
        affiliation = self.affiliation
        for person, group in pairs:
            affiliation[person].add(group)
        self._groups.clear()
        self._conflicts.clear()

    def groups_of(self, root: int) -> set[int]:
        """Group roots a cluster's people belong to (a shared set: do not change it)."""
        groups = self._groups.get(root)
        if groups is None:  # (mostly a person alone, asked once: map, no loop per group)
            affiliation = self.affiliation
            members = self.members[root]
            groups = self._groups[root] = (
                set(map(self.find, affiliation.get(root, ())))
                if len(members) == 1
                else {self.find(g) for m in members for g in affiliation.get(m, ())}
            )
        return groups

    def _lineage(self, group: int) -> tuple[set[str], set[str]]:
        """Keys naming a group itself, and those plus every group it is part of."""
        if group not in self._lineage_cache:  # groups are settled before people merge
            chains = [self.lineages.get(k, (k,)) for k in self.keys(group)]
            self._lineage_cache[group] = ({c[0] for c in chains}, {k for c in chains for k in c})
        return self._lineage_cache[group]

    def related(self, x: int, y: int) -> bool:
        """Whether two groups (roots) may have the same member: the same group, linked by
        a statement of the corpus, or one part of the other in the gazetteer."""
        if x == y or (x, y) in self.linked or (y, x) in self.linked:
            return True
        own_x, up_x = self._lineage(x)
        own_y, up_y = self._lineage(y)
        return bool(own_x & up_y or own_y & up_x)

    def conflict(self, ra: int, rb: int) -> str | None:
        """Why two people must stay apart: affiliations of which none is related."""
        if self.nodes[ra].type != "Person":
            return None
        ga = self.groups_of(ra)
        if not ga:
            return None
        gb = self.groups_of(rb)
        if not gb or not ga.isdisjoint(gb):  # (a shared group is related: the usual case)
            return None
        # Homonyms are tried pair by pair (thousands of pairs of the same two clusters):
        # the answer for two clusters holds until clusters or affiliations change.
        if self._conflicts_at != self.merge_count:
            self._conflicts.clear()
            self._conflicts_at = self.merge_count
        pair = (ra, rb)
        if pair not in self._conflicts:
            self._conflicts[pair] = self._affiliations_conflict(ga, gb)
        return self._conflicts[pair]

    def _affiliations_conflict(self, ga: set[int], gb: set[int]) -> str | None:
        if any(self.related(x, y) for x in ga for y in gb):
            return None
        names_a = sorted(self.nodes[g].name for g in ga)
        names_b = sorted(self.nodes[g].name for g in gb)
        return f"affiliations conflict: {', '.join(names_a)} vs {', '.join(names_b)}"

    def union(
        self,
        a: int,
        b: int,
        rule: str,
        reason: str,
        *,
        force: bool = False,
        record_refusal: bool = True,
    ) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        # (the checks' own first tests, made here: a union is tried 100k times at 10k articles)
        type_name = self.nodes[ra].type
        why_not = self._forbidden(ra, rb) if type_name in self._forbidding_types else None
        if why_not is None and not force and type_name == "Person":
            why_not = self.conflict(ra, rb)
        if why_not:
            if record_refusal:
                self.decisions.append(
                    _Pending(
                        a, b, "forbidden" if "forbids" in why_not else "homonym", why_not, False
                    )
                )
            return False
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        if type_name != "Person":
            self._lineage_cache.clear()
            self._groups.clear()  # group roots change
        self._merge_cached(self._keys, keep, gone)
        self._merge_cached(self._groups, keep, gone)
        self.parent[gone] = keep
        self.merge_count += 1
        self._join_members(keep, gone)
        if gone in self.forced_names:
            forced = self.forced_names.pop(gone)
            self.forced_names[keep] = min(forced, self.forced_names.get(keep, forced))
        self.decisions.append(_Pending(a, b, rule, reason, True))
        return True

    def _join_members(self, keep: int, gone: int) -> None:
        """`gone`'s members join `keep`'s, the smaller set copied into the larger: a name
        in thousands of documents makes a cluster of thousands of nodes."""
        kept, joined = self.members[keep], self.members.pop(gone)
        if len(kept) < len(joined):
            joined |= kept
            self.members[keep] = joined
        else:
            kept |= joined

    @staticmethod
    def _merge_cached(cache: dict[int, set], keep: int, gone: int) -> None:
        """A cached per-root set after `gone` joins `keep`: the union of both, if known."""
        if keep in cache and gone in cache:
            cache[keep] = cache[keep] | cache.pop(gone)
        else:
            cache.pop(keep, None)
            cache.pop(gone, None)

    def force_name(self, node: int, priority: int, name: str) -> None:
        root = self.find(node)
        self.forced_names[root] = min(
            (priority, name), self.forced_names.get(root, (priority, name))
        )

    def roots(self, type_name: str | None = None) -> list[int]:
        return sorted(
            r for r in self.members if type_name is None or self.nodes[r].type == type_name
        )


def _canonical(resolver: _Resolver, root: int) -> str:
    if root in resolver.forced_names:
        return resolver.forced_names[root][1]
    counts: dict[str, int] = {}
    for m in resolver.members[root]:
        node = resolver.nodes[m]
        counts[node.name] = counts.get(node.name, 0) + node.count
    if len(counts) == 1:
        return next(iter(counts))

    def rank(name: str) -> tuple[bool, bool, int, int, str]:
        """Best first: not an acronym, several words, most mentioned, longest, then
        alphabetical."""
        return (is_acronym(name), len(name.split()) < 2, -counts[name], -len(name), name)

    return min(counts, key=rank)


def resolve(
    statements: Iterable[Statement],
    ontology: Ontology,
    *,
    base_iri: str = DEFAULT_BASE_IRI,
    aliases: AliasTable | None = None,
    gazetteer: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    group_parents: Mapping[str, str] | None = None,
) -> Resolution:
    """Resolve names across documents into entities with stable IRIs.

    Parameters
    ----------
    statements : iterable of Statement
        Statements from all documents (names resolved within each document).
    ontology : Ontology
        Gives the entity types and which predicates tie a person to a group.
    base_iri : str
        Entity IRIs are ``base_iri + type-slug + "/" + slug(canonical name)``.
    aliases : AliasTable, optional
        Forced and forbidden merges; default: none (pass ``load_alias_table()``).
    gazetteer : mapping, optional
        type -> canonical -> aliases, e.g. from :func:`load_gazetteer`.
    group_parents : mapping, optional
        Group -> the group it is part of, e.g. from :func:`load_group_parents`. People
        of one name whose groups are parts of one another are not homonyms; neither
        are those whose groups a statement of the corpus links (``linked_to``...).

    Returns
    -------
    Resolution
        Statements with canonical names and subject_id/object_id set (exact duplicates,
        same statement id, kept once: the most confident), entities by IRI, decisions.

    Examples
    --------
    >>> from graph_builder.ontology import load_ontology
    >>> onto = load_ontology()
    >>> def st(doc, s, o):
    ...     return Statement(doc, s, "MilitantGroup", "linked_to", o, "MilitantGroup",
    ...                      "evidence", None, "asserted", 0.9)
    >>> res = resolve([st("a", "Lashkar-e-Jhangvi", "al-Qaeda"),
    ...                st("b", "Lashkar-i-Jhangvi", "al-Qaida")], onto)
    >>> sorted(e.name for e in res.entities.values())
    ['Lashkar-e-Jhangvi', 'al-Qaeda']
    """
    # Resolution builds about a million small objects that reference counting frees; the
    # cyclic collector's repeated full passes over them took a fourth of its time.
    with gc_paused():
        return _resolve(
            list(statements),
            ontology,
            base_iri,
            aliases or AliasTable(),
            gazetteer,
            group_parents,
        )


_PERSON_TYPES = frozenset({"Person"})


def _mention_nodes(
    statements: list[Statement],
) -> tuple[list[_Node], list[tuple[int, int]], list[tuple[int, str, str]]]:
    """The name nodes of the statements (numbered in the order they are first named), each
    statement's (subject node, object node), and the aliases written in notation:
    (node, alias, the name as written)."""
    nodes: list[_Node] = []
    index: dict[tuple[str, str, str | None], int] = {}
    notation: list[tuple[int, str, str]] = []
    # a name recurs in thousands of statements: it is split once per (type, written name)
    written: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    # A mention seen before adds nothing to its node but a count and its document (its
    # notation's aliases are there): people's mentions by (type, written name, document),
    # as a person's node is of one document, others' by (type, written name), whatever
    # the document (a group named in thousands of documents is not looked up anew in each).
    node_of: dict[tuple[str, str, str] | tuple[str, str], int] = {}
    docs_of: list[set[str]] = []  # by node: its documents

    def first_mention(mention: tuple[str, str, str] | tuple[str, str], doc_id: str) -> int:
        type_name, raw = mention[0], mention[1]
        split = written.get((type_name, raw))
        if split is None:
            split = written[(type_name, raw)] = _split_written(type_name, raw)
        name, extra = split
        scope = doc_id if type_name in _PERSON_TYPES else None
        i = index.get((type_name, name, scope))
        if i is None:
            i = index[(type_name, name, scope)] = len(nodes)
            nodes.append(_Node(type_name, name, scope, {name}))
            docs_of.append(nodes[i].docs)
        node = nodes[i]
        node.docs.add(doc_id)
        for alias in extra:
            if alias not in node.names:
                node.names.add(alias)
                notation.append((i, alias, raw))
        node_of[mention] = i
        return i

    person_types = _PERSON_TYPES
    ends: list[tuple[int, int]] = []
    for s in statements:
        doc_id, type_name = s.doc_id, s.subject_type
        mention = (
            (type_name, s.subject, doc_id) if type_name in person_types else (type_name, s.subject)
        )
        subject = node_of.get(mention)
        if subject is None:
            subject = first_mention(mention, doc_id)
        else:
            docs_of[subject].add(doc_id)
        type_name = s.object_type
        mention = (
            (type_name, s.object, doc_id) if type_name in person_types else (type_name, s.object)
        )
        object_ = node_of.get(mention)
        if object_ is None:
            object_ = first_mention(mention, doc_id)
        else:
            docs_of[object_].add(doc_id)
        ends.append((subject, object_))
    # (the mentions of each node counted in C, not one by one above)
    for i, count in Counter(chain.from_iterable(ends)).items():
        nodes[i].count = count
    return nodes, ends, notation


def _split_written(type_name: str, raw: str) -> tuple[str, tuple[str, ...]]:
    """A name as written: the name ("the" dropped but from people), and the aliases its
    notation gives ("X (Y)", "X @ Y")."""
    if "@" in raw or "(" in raw:
        name, extra = split_alias_notation(raw)
    else:  # no notation (most names): what split_alias_notation returns for them
        name, extra = raw.strip(), ()
    if type_name not in _PERSON_TYPES and name.lower().startswith("the ") and len(name) > 4:
        name = name[4:]
    return name, extra


def _resolve(
    statements: list[Statement],
    ontology: Ontology,
    base_iri: str,
    aliases: AliasTable,
    gazetteer: Mapping[str, Mapping[str, Sequence[str]]] | None,
    group_parents: Mapping[str, str] | None,
) -> Resolution:
    person_types = _PERSON_TYPES
    nodes, ends, notation = _mention_nodes(statements)

    forbidden = [(r.type, name_key(r.canonical), name_key(r.alias)) for r in aliases.forbids()]
    res = _Resolver(nodes, forbidden)
    res.lineages = group_lineages(gazetteer, group_parents)
    by_type: dict[str, list[int]] = defaultdict(list)
    for i, node in enumerate(nodes):
        by_type[node.type].append(i)
    # a node's names beside its own are those its notation gave (few nodes have any)
    noted: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, alias, raw in notation:
        noted[nodes[i].type].append((i, alias))
        res.decisions.append(
            _Pending(
                i, i, "alias-notation", f"written as {raw!r}: {alias!r} is an alias", True, alias
            )
        )

    # (type, name key) -> nodes, in by_type order: one pass instead of one per rule, over
    # the types the two tables name (not people, most of the nodes: no table names them).
    looked_up = {rule.type for rule in aliases.merges()} | set(gazetteer or {})
    key_index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for type_name, ids in by_type.items():
        if type_name not in looked_up:
            continue
        for i in ids:
            node_names = nodes[i].names
            keys = {name_key(n) for n in node_names} if len(node_names) > 1 else None
            for key in keys if keys is not None else (name_key(*node_names),):
                key_index[(type_name, key)].append(i)

    def nodes_with_key(type_name: str, key: str) -> list[int]:
        return list(key_index.get((type_name, key), ()))

    # 1-2. alias table (forced) and gazetteer
    for rule in aliases.merges():
        hits = nodes_with_key(rule.type, name_key(rule.canonical)) + nodes_with_key(
            rule.type, name_key(rule.alias)
        )
        for i in hits:
            res.force_name(i, 0, rule.canonical)
        for i in hits[1:]:
            res.union(
                hits[0],
                i,
                "alias-table",
                f"{rule.path}:{rule.line} merges {rule.alias!r} into {rule.canonical!r}",
                force=True,
            )
    for type_name, entries in sorted((gazetteer or {}).items()):
        for canonical, names in sorted(entries.items()):
            hits = [i for n in [canonical, *names] for i in nodes_with_key(type_name, name_key(n))]
            for i in hits:
                res.force_name(i, 1, canonical)
            for i in hits[1:]:
                res.union(
                    hits[0],
                    i,
                    "gazetteer",
                    f"the extractor gazetteer lists {nodes[i].name!r} as {canonical!r}",
                )

    # people are resolved after groups so that their affiliations are known
    type_order = sorted(by_type, key=lambda t: (t in person_types, t))
    affiliation_predicates = {
        p.name
        for p in ontology.predicates.values()
        if "Person" in p.domain and p.range == frozenset({"MilitantGroup"}) and not p.symmetric
    }
    for type_name in type_order:
        if type_name in person_types:
            affiliations: list[tuple[int, int]] = []
            for s, ab in zip(statements, ends, strict=True):
                if (
                    s.predicate in affiliation_predicates
                    and s.subject_type == "Person"
                    and s.object_type == "MilitantGroup"
                ):
                    affiliations.append(ab)
                if s.subject_type == "MilitantGroup" and s.object_type == "MilitantGroup":
                    res.linked.add((res.find(ab[0]), res.find(ab[1])))
            res.affiliate_all(affiliations)
        named = _NamedNodes(res, by_type[type_name])
        _merge_by_keys(res, named, noted.get(type_name, []))
        if type_name not in person_types:
            _merge_acronyms(res, by_type[type_name])
        else:
            _merge_surnames(res, by_type[type_name], named)

    # known names of each entity (alias table, gazetteer) become aliases, so the dataset
    # says that "LeJ" is Lashkar-e-Jhangvi even if no statement used that name
    known: list[tuple[str, list[str]]] = [
        (r.type, [r.canonical, r.alias]) for r in aliases.merges()
    ] + [
        (type_name, [canonical, *names])
        for type_name, entries in sorted((gazetteer or {}).items())
        for canonical, names in sorted(entries.items())
    ]
    return _finish(res, statements, ends, base_iri, known)


class _NamedNodes:
    """The nodes of one type by name, and the clusters each name's nodes are in.

    The rules below work once per name, not once per node: a person's name is a node in
    every document. A name's clusters are found from its nodes once, then kept as their
    roots: clusters only merge, so a former root finds the current one.
    """

    def __init__(self, res: _Resolver, members: list[int]) -> None:
        self.find = res.find
        self.nodes: dict[str, list[int]] = defaultdict(list)  # each ascending, as `members`
        for i in members:
            self.nodes[res.nodes[i].name].append(i)
        self._roots: dict[str, set[int]] = {}

    def roots(self, name: str) -> set[int]:
        """The clusters of the nodes named `name`, now (a shared set: do not change it)."""
        find = self.find
        known = self._roots.get(name)
        if known is None:
            known = set(map(find, self.nodes[name]))
        elif len(known) > 1 or find(next(iter(known))) not in known:
            known = set(map(find, known))
        self._roots[name] = known
        return known

    def by_key(self, key_of: Callable[[str], _K | None]) -> dict[_K, list[str]]:
        """The names by a key of theirs (None: left out), in name order."""
        names: dict[_K, list[str]] = defaultdict(list)
        for name in self.nodes:
            key = key_of(name)
            if key is not None:
                names[key].append(name)
        return names

    def unsettled(self, blocks: dict[_K, list[str]]) -> list[tuple[_K, list[str]]]:
        """The blocks of :meth:`by_key` in key order, less those of one name whose nodes
        are in one cluster (no pair to merge there, now or later: clusters only merge).
        Most blocks are such, so few are sorted."""
        return sorted(
            (key, names)
            for key, names in blocks.items()
            if len(names) > 1 or len(self.roots(names[0])) > 1
        )

    def nodes_of(self, names: list[str]) -> list[int]:
        """The nodes of `names`, ascending (one name: its own list, do not change it)."""
        if len(names) == 1:
            return self.nodes[names[0]]
        return sorted(chain.from_iterable(self.nodes[n] for n in names))

    def one_cluster(self, names: list[str]) -> bool:
        """Whether all nodes of `names` are in one cluster already."""
        first = self.roots(names[0])
        if len(first) > 1:
            return False
        return all(self.roots(n) == first for n in names[1:])


def _merge_by_keys(res: _Resolver, named: _NamedNodes, noted: list[tuple[int, str]]) -> None:
    """Normalised names, compact names, transliterations and near-identical spellings
    (`noted`: the nodes' aliases in notation, as (node, alias))."""
    _merge_same_keys(res, named, noted)
    _merge_transliterations(res, named)
    _merge_near_spellings(res, named)


def _merge_same_keys(res: _Resolver, named: _NamedNodes, noted: list[tuple[int, str]]) -> None:
    """The same name, the same normalised name, the same compact name (`noted`: the
    names of the nodes beside their own, from notation, as (node, alias))."""
    names = [name for name in named.nodes if not is_acronym(name)]  # (not for acronyms)
    aliases = [(i, alias) for i, alias in noted if not is_acronym(alias)]
    # A key has something to merge if it has several names (or aliases), or one name whose
    # nodes are in several clusters: "split" names, few, and fewer after each rule (a
    # cluster stays one), so only they are asked for their clusters again.
    split = [name for name in names if len(named.roots(name)) > 1]
    for name in sorted(split):  # (a name is its own key: it matches a node's own name only)
        if name:
            _merge_to_fixpoint(res, named.roots(name), "same-name", f"the same name ({name!r})")
    for reason, key_fn in (
        ("the same name once case, hyphens, connectors and 'al-' are normalised", name_key),
        ("the same letters once spaces and hyphens are removed", compact_key),
    ):
        split = [name for name in split if len(named.roots(name)) > 1]
        split_keys = {key_fn(name) for name in split}
        blocks: dict[str, list[str | int]] = defaultdict(list)  # key -> names, aliased nodes
        for name in names:
            if key := key_fn(name):
                blocks[key].append(name)
        for i, alias in aliases:
            if key := key_fn(alias):
                blocks[key].append(i)
        for key in sorted(k for k, block in blocks.items() if len(block) > 1 or k in split_keys):
            # merging a key's nodes only needs their clusters: a name's come as its roots
            group = chain.from_iterable(
                named.roots(x) if isinstance(x, str) else (x,) for x in blocks[key]
            )
            _merge_to_fixpoint(res, group, "normalised", f"{reason} ({key!r})")


def _merge_transliterations(res: _Resolver, named: _NamedNodes) -> None:
    """Transliterations: the same consonant skeleton and a similar spelling."""
    nodes = res.nodes

    def consonants(name: str) -> str | None:
        return None if is_acronym(name) or not name.split() else skeleton(name)

    for key, names in named.unsettled(named.by_key(consonants)):
        if len(key.replace(" ", "")) < 2 or named.one_cluster(names):
            continue  # (one cluster: no pair to merge)
        group = _block_nodes(named, names, _spelled, TRANSLITERATION_MIN_RATIO)
        spelled = [_spelled(nodes[i].name) for i in group]
        for x, y, ratio in _similar_pairs(
            group, spelled, TRANSLITERATION_MIN_RATIO, cluster=res.find
        ):
            res.union(
                x,
                y,
                "transliteration",
                f"{nodes[x].name!r} and {nodes[y].name!r} share the consonants {key!r} "
                f"(similarity {ratio:.0f})",
            )


def _merge_near_spellings(res: _Resolver, named: _NamedNodes) -> None:
    """Near-identical spellings: the same token count and initials, a very high similarity."""
    nodes = res.nodes

    def block(name: str) -> tuple[str, int] | None:
        key = name_key(name)
        if len(key) < FUZZY_MIN_LENGTH:
            return None
        return "".join(t[0] for t in key.split()), len(key.split())

    for _block, names in named.unsettled(named.by_key(block)):
        if named.one_cluster(names):
            continue  # no pair to merge
        group = _block_nodes(named, names, name_key, FUZZY_MIN_RATIO)
        keys = [name_key(nodes[i].name) for i in group]
        for x, y, ratio in _similar_pairs(group, keys, FUZZY_MIN_RATIO, cluster=res.find):
            res.union(
                x,
                y,
                "fuzzy",
                f"{nodes[x].name!r} and {nodes[y].name!r} differ by a letter or two "
                f"(similarity {ratio:.0f})",
            )


def _similar_pairs(
    group: Sequence[int],
    texts: Sequence[str],
    min_ratio: float,
    rows: int = 512,
    cluster: Callable[[int], int] | None = None,
) -> Iterator[tuple[int, int, float]]:
    """Pairs (x, y), x < y, of `group` whose `texts` have a rapidfuzz ratio of at least
    `min_ratio`, with the ratio, in the order of two nested loops over the group.

    A block can hold thousands of nodes, many with the same name: the ratios are computed
    once per pair of distinct texts met in a chunk of `rows` nodes, in C
    (``process.cdist``, so memory stays small), and the pairs that pass are found with
    numpy, a chunk at a time. Given `cluster` (a node's cluster root, clusters only
    merging while the pairs are consumed), pairs already in one cluster are left out, as
    merging them changes nothing: in bulk when the search starts (most pairs are mentions
    of one name, merged by then; a node whose text is similar to none of another cluster
    has no pair at all), and again when a pair is reached.
    """
    roots: list[int] | None = None
    if cluster is not None:
        roots = [cluster(x) for x in group]
        if len(set(roots)) < 2:
            return  # one cluster already: nothing to merge
        if len(group) > 64:  # (a smaller block's matrix costs less than the search)
            group, texts, roots = _with_pairs_across_clusters(group, texts, roots, min_ratio, rows)
    yield from _pairs_by_chunks(group, texts, min_ratio, rows, roots, cluster)


def _block_nodes(
    named: _NamedNodes, names: list[str], text_of: Callable[[str], str], min_ratio: float
) -> list[int]:
    """The nodes of `names` that :func:`_similar_pairs` is asked about, ascending.

    In a large block (hundreds of names, thousands of nodes) only the names whose text is
    similar to that of a name of another cluster can be in a pair: they are found name by
    name, as :func:`_similar_pairs` would find them node by node, before the nodes are
    listed. (Clusters do not change in between, and a node left out is in no pair.)
    """
    if sum(len(named.nodes[name]) for name in names) > 64:  # (as _similar_pairs filters)
        clusters = [(name, root) for name in names for root in named.roots(name)]
        names, _texts, _roots = _with_pairs_across_clusters(
            [name for name, _ in clusters],
            [text_of(name) for name, _ in clusters],
            [root for _, root in clusters],
            min_ratio,
            rows=512,
        )
        names = list(dict.fromkeys(names))  # (a name is there once per cluster)
    return named.nodes_of(names)


def _with_pairs_across_clusters(
    group: Sequence[_T], texts: Sequence[str], roots: list[int], min_ratio: float, rows: int
) -> tuple[list[_T], list[str], list[int]]:
    """The nodes of `group` (with their texts and roots, in order) whose text is similar
    to that of a node of another cluster: only they can be in a pair. In a large block
    most names are alone in their cluster, so the node pairs left are a hundredth."""
    distinct = sorted(set(texts))
    index = {t: k for k, t in enumerate(distinct)}
    text_ids = [index[t] for t in texts]
    roots_of_text: list[set[int]] = [set() for _ in distinct]
    for k, root in zip(text_ids, roots, strict=True):
        roots_of_text[k].add(root)
    crossing: list[bool] = []  # by text: similar texts (itself too) span 2+ clusters
    for start in range(0, len(distinct), rows):
        near = process.cdist(
            distinct[start : start + rows],
            distinct,
            scorer=fuzz.ratio,
            score_cutoff=min_ratio,
            dtype=np.float64,
        )
        for row in near >= min_ratio:
            reach = set().union(*(roots_of_text[k] for k in np.flatnonzero(row).tolist()))
            crossing.append(len(reach) > 1)
    kept = [p for p, k in enumerate(text_ids) if crossing[k]]
    return [group[p] for p in kept], [texts[p] for p in kept], [roots[p] for p in kept]


def _pairs_by_chunks(
    group: Sequence[int],
    texts: Sequence[str],
    min_ratio: float,
    rows: int,
    roots: list[int] | None,
    cluster: Callable[[int], int] | None,
) -> Iterator[tuple[int, int, float]]:
    """The pairs of :func:`_similar_pairs`, `rows` nodes at a time (`roots`: the nodes'
    clusters when the search starts, if clusters are given)."""
    if not group:
        return
    distinct = sorted(set(texts))
    index = {t: k for k, t in enumerate(distinct)}
    text_ids = np.array([index[t] for t in texts], dtype=np.int64)
    ids = np.array(group, dtype=np.int64)
    root_ids = np.array(roots, dtype=np.int64) if roots is not None else None
    for start in range(0, len(group), rows):
        chunk = slice(start, start + rows)
        chunk_texts: range | np.ndarray
        if start == 0 and len(group) <= rows:  # one chunk: it holds every text, in order
            chunk_texts, inverse = range(len(distinct)), text_ids
        else:
            chunk_texts, inverse = np.unique(text_ids[chunk], return_inverse=True)
        scores = process.cdist(
            [distinct[k] for k in chunk_texts],
            distinct,
            scorer=fuzz.ratio,
            score_cutoff=min_ratio,
            dtype=np.float64,
        )
        passing = (scores >= min_ratio)[inverse][:, text_ids]  # chunk nodes x group nodes
        passing &= ids[chunk, None] < ids[None, :]
        if root_ids is not None:
            passing &= root_ids[chunk, None] != root_ids[None, :]
        firsts, seconds = np.nonzero(passing)  # row-major: the nested loops' order
        pair_ratios = scores[inverse[firsts], text_ids[seconds]].tolist()
        for p, q, ratio in zip(
            (firsts + start).tolist(), seconds.tolist(), pair_ratios, strict=True
        ):
            x, y = group[p], group[q]
            if cluster is None or cluster(x) != cluster(y):
                yield x, y, ratio


def _merge_to_fixpoint(res: _Resolver, group: Iterable[int], rule: str, reason: str) -> None:
    """Merge a group until nothing changes; refusals are recorded once at the end.

    A name can recur in thousands of documents, so members first join the first cluster
    that accepts them (linear in the group), and only the clusters left apart, usually
    one or two, are retried pairwise to the fixpoint.
    """
    clusters: list[int] = []
    roots = sorted(set(map(res.find, group)))  # (map: no Python loop per node)
    if len(roots) < 2:
        return  # one cluster already (most names: all mentions of a name merged)
    for i in roots:
        for c in clusters:
            if res.union(c, i, rule, reason, record_refusal=False):
                break
        else:  # no cluster accepts it
            clusters.append(i)
    changed = True
    while changed:
        changed = False
        roots = sorted({res.find(i) for i in clusters})
        for x in roots:
            for y in roots:
                if (
                    x < y
                    and res.find(x) != res.find(y)
                    and res.union(x, y, rule, reason, record_refusal=False)
                ):
                    changed = True
    roots = sorted({res.find(i) for i in clusters})
    for x in roots:
        for y in roots:
            if x < y and res.find(x) != res.find(y):
                res.union(x, y, rule, reason)  # records why they stay apart


def _merge_acronyms(res: _Resolver, members: list[int]) -> None:
    nodes = res.nodes
    by_initials: dict[str, set[int]] = defaultdict(set)
    for i in members:
        for name in nodes[i].names:
            if not is_acronym(name):
                for x in initials(name):
                    by_initials[x].add(i)
    for i in members:
        acronyms = sorted(n for n in nodes[i].names if is_acronym(n))
        for acro in acronyms:
            roots = {res.find(j) for j in by_initials.get(acro.lower(), ())} - {res.find(i)}
            candidates = sorted(roots)
            if len(candidates) == 1:
                res.union(
                    candidates[0],
                    i,
                    "acronym",
                    f"{acro!r} abbreviates {nodes[candidates[0]].name!r}, "
                    "the only name with those initials",
                )
            elif len(candidates) > 1:
                names = ", ".join(sorted(repr(nodes[c].name) for c in candidates))
                res.decisions.append(
                    _Pending(i, i, "ambiguous-acronym", f"{acro!r} fits {names}; not merged", False)
                )


def _merge_surnames(res: _Resolver, members: list[int], named: _NamedNodes) -> None:
    nodes = res.nodes

    def surname(name: str) -> str | None:
        words = name_key(name).split()
        return words[-1] if len(words) > 1 else None

    def single_word(name: str) -> str | None:
        key = name_key(name)
        return key if len(key.split()) == 1 and not is_acronym(name) else None

    # surname -> people with a full name ending in it (an index: corpora have thousands)
    by_surname = {key: named.nodes_of(names) for key, names in named.by_key(surname).items()}
    surname_of = {
        i: key
        for key, names in named.by_key(single_word).items()
        for name in names
        for i in named.nodes[name]
    }
    # the clusters of a surname's people, until a merge changes clusters
    known_roots: dict[str, tuple[int, set[int]]] = {}
    for i in members:
        if i not in surname_of:
            continue
        key = surname_of[i]
        if key not in known_roots or known_roots[key][0] != res.merge_count:
            known_roots[key] = res.merge_count, {res.find(j) for j in by_surname.get(key, ())}
        roots = sorted(known_roots[key][1] - {res.find(i)})
        fits = [r for r in roots if res.conflict(res.find(i), r) is None]
        if len(fits) == 1:
            res.union(
                fits[0],
                i,
                "surname",
                f"{nodes[i].name!r} is the surname of exactly one person in the corpus, "
                f"{nodes[fits[0]].name!r}",
            )
        elif len(fits) > 1:
            names = ", ".join(sorted({repr(nodes[r].name) for r in fits}))
            res.decisions.append(
                _Pending(
                    i, i, "ambiguous-surname", f"{nodes[i].name!r} fits {names}; not merged", False
                )
            )


def _finish(
    res: _Resolver,
    statements: list[Statement],
    ends: list[tuple[int, int]],
    base_iri: str,
    known: list[tuple[str, list[str]]],
) -> Resolution:
    nodes = res.nodes
    known_names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for type_name, group_names in known:
        for name in group_names:
            known_names[(type_name, name_key(name))].update(group_names)
    canonical = {root: _canonical(res, root) for root in res.roots()}
    # IRIs; homonyms kept apart get -2, -3... (the most mentioned keeps the plain IRI)
    wanted: dict[str, list[int]] = defaultdict(list)
    for root in res.roots():
        wanted[entity_iri(base_iri, nodes[root].type, canonical[root])].append(root)
    iri: dict[int, str] = {}
    for base, roots in wanted.items():
        ranked = (
            roots
            if len(roots) == 1
            else sorted(
                roots,
                key=lambda r: (
                    -sum(nodes[m].count for m in res.members[r]),
                    min(d for m in res.members[r] for d in nodes[m].docs),
                    r,
                ),
            )
        )
        for n, root in enumerate(ranked):
            iri[root] = base if n == 0 else f"{base}-{n + 1}"
    entities: dict[str, Entity] = {}
    # (the types the alias table and gazetteer name: not people, most of the clusters,
    # whose name keys need not be computed then)
    known_types = {type_name for type_name, _ in known_names}
    for root in res.roots():
        names = set().union(*(nodes[m].names for m in res.members[root]))
        if nodes[root].type in known_types:
            for key in res.keys(root):
                names |= known_names.get((nodes[root].type, key), set())
        aliases = tuple(sorted(names - {canonical[root]}))
        entities[iri[root]] = Entity(iri[root], canonical[root], nodes[root].type, aliases)

    root_of = [res.find(i) for i in range(len(nodes))]  # settled: looked up, not sought
    decisions = _merge_decisions(res, root_of, canonical, iri)
    named = [(canonical[root], iri[root]) for root in root_of]  # by node
    resolved: dict[str, Statement] = {}
    for s, (a, b) in zip(statements, ends, strict=True):
        (sname, sid), (oname, oid) = named[a], named[b]
        out = with_fields(
            s, {"subject": sname, "object": oname, "subject_id": sid, "object_id": oid}
        )
        # a hash of the text, computed once and kept where the cached property keeps it
        # (reading the property takes a lock per statement)
        statement_id = out.__dict__["statement_id"] = _statement_id_of(out)
        previous = resolved.get(statement_id)
        if previous is None or out.confidence > previous.confidence:
            resolved[statement_id] = out
    return Resolution(
        statements=tuple(resolved.values()),
        entities=dict(sorted(entities.items())),
        merges=decisions,
    )


def _merge_decisions(
    res: _Resolver, root_of: list[int], canonical: dict[int, str], iri: dict[int, str]
) -> tuple[MergeDecision, ...]:
    """The decisions taken, each once, in the order first taken (nodes named by their
    entity now that clusters are settled)."""
    nodes = res.nodes
    # Unique as tuples of the fields (what MergeDecision's hash and == compare), so a
    # decision taken again costs no object: homonyms are refused once per pair of nodes.
    unique: dict[tuple[str, str, str, str, str, str, bool], None] = {}
    for d in res.decisions:
        a, b = d.a, d.b
        node_a, node_b = nodes[a], nodes[b]
        ra = root_of[a]
        name = canonical[ra]
        merged = node_b.name if node_b.name != name else node_a.name
        if d.name is not None:
            merged = d.name
        reason = d.reason
        if a != b:
            scope_a, scope_b = node_a.scope, node_b.scope
            if scope_a and scope_b and scope_a != scope_b:
                first, second = (scope_a, scope_b) if scope_a < scope_b else (scope_b, scope_a)
                reason += f" in {first} and {second}"
            elif scope_a or scope_b:
                reason += f" in {scope_a or scope_b}"
        if not d.applied:
            rb = root_of[b]
            if ra != rb:
                reason = f"{reason}; kept apart from {canonical[rb]} ({iri[rb]})"
        unique[(iri[ra], nodes[ra].type, name, merged, d.rule, reason, d.applied)] = None
    return tuple(MergeDecision(*fields) for fields in unique)
