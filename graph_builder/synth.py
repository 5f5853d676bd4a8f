"""Synthetic news corpus with ground truth, for scale runs that also measure recall.

A *world* of invented militant groups, members, places and past incidents is drawn from
syllable tables for a seed; each article then reports on a slice of that world in
news-style English (dateline, hedged attributions, quotes from officials who are not
members of anything, filler), and its ground truth is written beside it as
``NAME.gold.json`` in the format of the shared gold corpus (entities with aliases,
statements with verbatim evidence sentences, ``acceptable`` extras).

Everything is deterministic for a seed: the world depends on ``(seed, world_articles)``
and article ``i`` on ``(seed, i)`` and the world only, so a corpus can be extended one
article at a time (``start=``) without changing the articles already written.
Articles are written one at a time, so memory stays flat however many are asked for.

Example
-------
>>> world = synth_world(seed=7, articles=50)
>>> article = synth_article(world, 0)
>>> all(s["evidence"] in article.text for s in article.gold["statements"])
True
>>> synth_article(synth_world(7, 50), 0).text == article.text
True
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_builder.errors import InputError

SYNTH_VERSION = "1"  # bump when the text or gold for a seed may change
GOLD_SUFFIX = ".gold.json"

# --------------------------------------------------------------------------- name tables
# Invented syllables per region: combinations read as plausible names but are not
# the names of real people, groups or towns.
_REGIONS: dict[str, dict[str, Any]] = {
    "south_asia": {
        "given_a": "Zar Gul Nur Sher Khal Faz Rah Saif Qas Naw Jah Bah Ikr Waz Haq Sal Dil Mir "
        "Taj Hab Zab Mat Ghaz Bash Naz Fer Sam Ism Aq Shuj Imr Tar Wal Kam Raz Yar Bad".split(),
        "given_b": "ullah uddin im ar an eem ood ir at awar ab iq ees ool aman".split(),
        "family_a": "Qas Dur Mehr Khat Bur Saf Yus Tar Kak Mand Ghor Shin Zad Moh Bang Lod Orak "
        "Wazir Kharo Sul Bal Hot Jad Mam".split(),
        "family_b": "zai khel i wal ani oon ari ak ul".split(),
        "honorifics": ["Mullah", "Maulvi", "Mufti", "Hafiz", "Qari", "Maulana"],
        "group_a": ["Jaish", "Lashkar", "Harkat", "Tehreek", "Jamaat", "Sipah", "Hizb", "Ansar"],
        "group_b_a": "Nus Qad Zar Fur Mun Tah Sab Rash Haq Wal Ghal Iqt Sad Kaw Tam Zul".split(),
        "group_b_b": "rat iya qan ooq een aat ar ul at im".split(),
        "group_tail": ["Pakistan", "Khorasan", "Hind", "Islami", "al-Alami"],
        "joiner": "-e-",
        "town_a": "Zar Shah Gul Mir Bagh Kot Dar Nek Sar Ghaz Tor Bar Kal Pir Lak Maz Sher "
        "Dand Mat Khan Ram Sad Jan Wan Chak".split(),
        "town_b": "abad kot pur garh wala khel nagar pura sar zai dara".split(),
        "countries": ["Pakistan", "Afghanistan"],
        "units": ["district", "tribal district", "province"],
        "qualifiers": ["Kalan", "Khurd", "Bala", "Payan"],
    },
    "middle_east": {
        "given_a": "Kha Mu Sa Ra Ha Ja Za Ta Wa Na Fa Ba Ya Dha Sha Ma Ghi Qu".split(),
        "given_b": "lid hir mir sin dim kam rif jib bib zim riq shal ddar fiq hran mun".split(),
        "family_a": "Har Ras Zub Dul Qat Nah Sah Fal Jaz Tam Kub Hadd Sam Bur Zah Mak".split(),
        "family_b": "abi awi ani ashi iri uni ami".split(),
        "honorifics": ["Sheikh", "Abu"],
        "group_a": ["Jabhat", "Jaysh", "Katibat", "Harakat", "Liwa", "Saraya", "Ansar"],
        "group_b_a": "Sum Rad Waf Qah Bar Tam Jal Naj Ghar Ras Haf Zan".split(),
        "group_b_b": "ud an iya ir aq al ah".split(),
        "group_tail": ["al-Islamiya", "al-Jihadiya", "al-Sham"],
        "joiner": " al-",
        "town_a": "Tal Deir Ain Khirbet Jisr Kafr Ras Bir Suq".split(),
        "town_b": "Zahra Mughar Hamra Sabil Nakhl Qasr Ward Rumman Falah Jadid Sawda".split(),
        "countries": ["Syria", "Iraq", "Yemen"],
        "units": ["governorate", "province", "district"],
        "qualifiers": ["al-Jadida", "al-Qadima", "al-Sharqiya", "al-Gharbiya"],
    },
    "africa": {
        "given_a": "Aba Mam Ous Bou Ibr Moct Hass Abd Yer Kal Dau Bak Gar Mus Sal Ali Hamm".split(),
        "given_b": "ubakar adou mane ar ima ou ane an ahim ud ille".split(),
        "family_a": "Kou Dia Tra Shek Nur Bar Gal Mai Wa Deg Tou San Kaf Mok".split(),
        "family_b": "lou ra ore au ow ane gari sara dou bey".split(),
        "honorifics": ["Sheikh", "Mallam", "Imam"],
        "group_a": ["Jama'at", "Ansar", "Harakat", "Katiba"],
        "group_b_a": "Nas Sah Kan Tum Dag Wal Mor Buk Ful Gao".split(),
        "group_b_b": "ara il em ou ani ata".split(),
        "group_tail": ["al-Sahel", "wal-Jihad", "al-Hijra"],
        "joiner": " ",
        "town_a": "Kan Dio Mar Bou Tin Gou Sor Wal Doum Mok Bir Kai".split(),
        "town_b": "gou ra ssa ka dji mbe ri wa lem zou".split(),
        "countries": ["Nigeria", "Mali", "Somalia", "Niger", "Burkina Faso"],
        "units": ["region", "state", "province"],
        "qualifiers": ["Koura", "Sud", "Nord", "Bas"],
    },
}
_DESIGNATORS = (
    "US State Department",
    "UN Security Council",
    "European Union",
    "UK Home Office",
    "US Treasury Department",
)
_MONTHS = (
    "January February March April May June July August September October November December".split()
)
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_TRANSLIT = (
    ("Muhammad", "Mohammad"),
    ("ullah", "ulla"),
    ("uddin", "ud-Din"),
    ("oo", "u"),
    ("ee", "i"),
    ("q", "k"),
    ("Q", "K"),
    ("-e-", "-i-"),
    ("Tehreek", "Tehrik"),
    ("Jaish", "Jaysh"),
    ("Harkat", "Harakat"),
    ("Jama'at", "Jamaat"),
    ("ou", "u"),
    ("ai", "ay"),
)


_PUNCT = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=262_144)  # world names recur in thousands of articles
def _norm(text: str) -> str:
    """Name key as the scorer compares labels: no case, accents or punctuation.

    >>> _norm("Jaish-e-Nusrat") == _norm("jaish e nusrat")
    True
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _PUNCT.sub(" ", text.casefold().replace("'s ", " "))
    text = _SPACES.sub(" ", text).strip()
    return text[4:] if text.startswith("the ") else text


def _variant(name: str, rng: random.Random) -> str | None:
    """A transliteration variant of `name` (one substitution), or None if none applies."""
    options = [(a, b) for a, b in _TRANSLIT if a in name] + [
        (b, a) for a, b in _TRANSLIT if b in name and len(b) > 1
    ]
    if not options:
        return None
    old, new = rng.choice(options)
    out = name.replace(old, new, 1)
    return out if out != name and _norm(out) != _norm(name) else None


# ------------------------------------------------------------------------------ the world
@dataclass(frozen=True)
class Place:
    name: str
    unit: str  # "town" or the admin unit ("district", "province"...)
    region: str
    country: str
    area: str  # the district/province a town lies in ("" for areas)


@dataclass(frozen=True)
class Person:
    key: str
    given: str
    family: str
    honorific: str | None
    region: str
    variants: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def titled(self) -> str:
        return f"{self.honorific} {self.name}" if self.honorific else self.name


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    acronym: str
    variants: tuple[str, ...]
    region: str
    country: str
    home: tuple[Place, ...]  # towns it operates around
    founded: int


@dataclass(frozen=True)
class Event:
    key: str
    kind: str  # "drone strike", "suicide bombing", ...
    target: str
    town: Place
    date: dt.date
    dead: int

    @property
    def name(self) -> str:
        if self.kind == "drone strike":
            return (
                f"{_MONTHS[self.date.month - 1]} {self.date.year} drone strike in {self.town.name}"
            )
        if self.kind == "suicide bombing":
            return f"{self.town.name} {self.target} bombing"
        if self.kind == "gun attack":
            return f"{self.town.name} {self.target} attack"
        return f"{self.town.name} {self.kind}"

    def phrases(self, definite: bool) -> list[str]:
        """How the text names it: first mention (indefinite) or a later reference."""
        t = self.town.name
        if definite:
            return [
                f"the {self.date.year} {self.name}"
                if self.kind != "drone strike"
                else f"the {self.name}"
            ]
        return {
            "drone strike": [f"a drone strike in {t}", f"a US drone strike in {t}"],
            "suicide bombing": [f"a suicide bombing at a {self.target} in {t}"],
            "raid": [f"a raid by security forces in {t}", f"a night raid in {t}"],
            "shootout": [f"a shootout with police near {t}", f"a gunfight with police in {t}"],
            "ambush": [f"an ambush on a military convoy near {t}"],
            "rocket attack": [f"a rocket attack on {t}"],
            "gun attack": [f"a gun attack on a {self.target} in {t}"],
        }[self.kind]


@dataclass(frozen=True)
class Fact:
    """One relation of the world; articles render a selection of them."""

    kind: str  # leader member founder link relative designated associate
    subject: Person | Group
    object: Person | Group | str
    qualifier: str | None = None  # role, relation, link kind, year


@dataclass(frozen=True)
class History:
    """A past incident of the world: who did it and who died."""

    event: Event
    perpetrator: Group
    planner: Person | None
    victims: tuple[Person, ...]


@dataclass
class World:
    """Groups, their people and past incidents, drawn once per (seed, size)."""

    seed: int
    groups: list[Group]
    members: dict[str, list[tuple[Person, str]]]  # group key -> (person, role word)
    facts: dict[str, list[Fact]]  # group key -> facts about it and its people
    history: dict[str, list[History]]
    forms: set[str]  # normalised names of every world person (distractors avoid them)
    places: dict[str, list[Place]]  # region -> towns


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _person(
    rng: random.Random, region: str, key: str, taken: set[str], reserve: bool = True
) -> Person:
    """A new person whose names clash with nothing in `taken` (added to it if `reserve`)."""
    table = _REGIONS[region]
    for _ in range(200):
        if region == "middle_east" and rng.random() < 0.3:
            given = "Abu " + _cap(rng.choice(table["given_a"]) + rng.choice(table["given_b"]))
        elif region == "south_asia" and rng.random() < 0.2:
            given = "Abdul " + _cap(rng.choice(table["given_a"]) + rng.choice(table["given_b"]))
        else:
            given = _cap(rng.choice(table["given_a"]).lower() + rng.choice(table["given_b"]))
        family = _cap(rng.choice(table["family_a"]).lower() + rng.choice(table["family_b"]))
        if region == "middle_east":
            family = "al-" + family
        honorific = rng.choice(table["honorifics"]) if rng.random() < 0.25 else None
        if honorific == "Abu" and given.startswith("Abu"):
            honorific = None
        name = f"{given} {family}"
        variants = tuple(v for v in {_variant(name, rng), _variant(name, rng)} if v)
        keys = {_norm(name), *(_norm(v) for v in variants)}
        if keys & taken or _norm(family) in taken or _norm(given) in taken:
            continue
        if reserve:
            taken |= keys
        return Person(key, given, family, honorific, region, tuple(sorted(variants)))
    raise RuntimeError("name tables exhausted")  # pragma: no cover - tables are large


def _acronym(name: str) -> str:
    """'Jaish-e-Nusrat' -> 'JeN'; 'Jabhat al-Sumud al-Sham' -> 'JSS'."""
    parts = re.split(r"[\s-]+", name)
    letters = []
    for part in parts:
        if part in ("e", "ul", "i"):
            letters.append(part[0])
        elif part.lower() not in ("al", "wal"):
            letters.append(part.replace("al-", "")[0].upper())
    return "".join(letters)


def _group(rng: random.Random, region: str, key: str, taken: set[str], towns: list[Place]) -> Group:
    table = _REGIONS[region]
    for _ in range(500):
        second = _cap(rng.choice(table["group_b_a"]).lower() + rng.choice(table["group_b_b"]))
        name = rng.choice(table["group_a"]) + table["joiner"] + second
        if rng.random() < 0.35:
            name += " " + rng.choice(table["group_tail"])
        acronym = _acronym(name)
        variants = tuple(v for v in {_variant(name, rng)} if v)
        keys = {_norm(name), _norm(acronym), *(_norm(v) for v in variants)}
        if keys & taken:
            continue
        taken |= keys
        return Group(
            key=key,
            name=name,
            acronym=acronym,
            variants=variants,
            region=region,
            country=rng.choice(table["countries"]),
            home=tuple(rng.sample(towns, 3)),
            founded=rng.randint(1985, 2012),
        )
    raise RuntimeError("group name tables exhausted")  # pragma: no cover


def _places(rng: random.Random, region: str, count: int, taken: set[str]) -> list[Place]:
    table = _REGIONS[region]
    areas = []
    for _ in range(max(3, count // 6)):
        for _ in range(100):
            if region == "middle_east":
                area = f"{rng.choice(['Wadi', 'Jabal', 'Sahl'])} {rng.choice(table['town_b'])}"
            else:
                area = _cap(rng.choice(table["town_a"]).lower() + rng.choice(table["town_b"]))
            if _norm(area) not in taken:
                taken.add(_norm(area))
                areas.append(area)
                break
    towns: list[Place] = []
    while len(towns) < count:
        for attempt in range(1000):
            if region == "middle_east":
                joiner = rng.choice([" ", " al-"])
                name = f"{rng.choice(table['town_a'])}{joiner}{rng.choice(table['town_b'])}"
            else:
                middle = rng.choice(["", "", "", "an", "ar", "ol", "i", "ab", "ek"])
                name = _cap(
                    rng.choice(table["town_a"]).lower() + middle + rng.choice(table["town_b"])
                )
            if attempt > 20:  # the short names are used up: qualify like real gazetteers do
                name += " " + rng.choice(table["qualifiers"])
            if attempt > 200:
                name += f" {attempt}"
            if _norm(name) not in taken:
                break
        taken.add(_norm(name))
        unit = rng.choice(table["units"])
        towns.append(
            Place(
                name, "town", region, rng.choice(table["countries"]), f"{rng.choice(areas)} {unit}"
            )
        )
    return towns


# Incidents militants carry out, and those in which security forces kill militants.
_ATTACKS = ("suicide bombing", "ambush", "rocket attack", "gun attack")
_OPERATIONS = ("drone strike", "raid", "shootout")
_TARGETS = ("market", "mosque", "police station", "checkpoint", "bus station", "shrine")


def _event(rng: random.Random, key: str, town: Place, start: int, end: int) -> Event:
    date = dt.date(rng.randint(start, end), rng.randint(1, 12), rng.randint(1, 28))
    return Event(key, rng.choice(_ATTACKS), rng.choice(_TARGETS), town, date, rng.randint(2, 60))


def synth_world(seed: int, articles: int) -> World:
    """Draw the world for a corpus of `articles` articles (more articles, more groups).

    >>> w = synth_world(1, 100)
    >>> len(w.groups), len({g.acronym for g in w.groups}) == len(w.groups)
    (8, True)
    """
    rng = random.Random(f"milgraph-synth:{SYNTH_VERSION}:{seed}:world")
    n_groups = min(max(8, articles // 25), 600)  # the name tables hold ~1000
    taken: set[str] = set()
    places = {r: _places(rng, r, max(20, n_groups * 3 // len(_REGIONS)), taken) for r in _REGIONS}
    regions = list(_REGIONS)
    groups = [
        _group(rng, r, f"G{i}", taken, places[r])
        for i, r in enumerate(rng.choices(regions, weights=(5, 3, 2), k=n_groups))
    ]
    world = World(seed, groups, {}, {}, {}, set(), places)
    people = 0

    def person(region: str) -> Person:
        nonlocal people
        people += 1
        return _person(rng, region, f"P{people}", taken)

    for group in groups:
        r = group.region
        leader, deputy, founder = person(r), person(r), person(r)
        former = person(r) if rng.random() < 0.5 else None
        spokesman = person(r)
        commanders = [person(r) for _ in range(rng.randint(3, 6))]
        fighters = [person(r) for _ in range(rng.randint(2, 5))]
        members: list[tuple[Person, str]] = [
            (leader, "chief"),
            (deputy, "deputy leader"),
            (founder, "founder"),
            (spokesman, "spokesman"),
            *((c, "commander") for c in commanders),
            *((f, "militant") for f in fighters),
        ]
        facts = [
            Fact("leader", leader, group),
            Fact("leader", deputy, group, "deputy"),
            Fact("founder", founder, group, str(group.founded)),
            Fact("member", spokesman, group, "spokesman"),
            *(Fact("member", c, group, "commander") for c in commanders),
            *(Fact("member", f, group, "militant") for f in fighters),
        ]
        if former is not None:
            members.append((former, "former leader"))
            facts.append(Fact("leader", former, group, "former"))
        # Kin inside the group and outside it (a son who fights, a brother who does not).
        son = person(r)
        son = Person(son.key, son.given, leader.family, None, r, ())
        members.append((son, "commander"))
        facts += [Fact("member", son, group, "commander"), Fact("relative", son, leader, "son")]
        if rng.random() < 0.6:
            kin = rng.choice(commanders)
            other = person(r)
            facts.append(Fact("relative", other, kin, rng.choice(["brother", "cousin", "nephew"])))
        facts.append(Fact("associate", rng.choice(commanders), rng.choice(fighters)))
        for org in rng.sample(_DESIGNATORS, rng.randint(0, 2)):
            facts.append(Fact("designated", group, org, str(rng.randint(group.founded + 1, 2022))))
        if rng.random() < 0.3:
            facts.append(Fact("designated", leader, rng.choice(_DESIGNATORS[:3])))
        world.members[group.key] = members
        world.facts[group.key] = facts
        world.history[group.key] = []
        for j in range(rng.randint(2, 4)):
            event = _event(rng, f"{group.key}E{j}", rng.choice(group.home), group.founded, 2024)
            victims = tuple(person(r) for _ in range(rng.randint(0, 1)))
            planner = rng.choice([leader, *commanders]) if rng.random() < 0.5 else None
            world.history[group.key].append(History(event, group, planner, victims))
    # Ties between groups: same region mostly, each link stated on both groups' lists.
    by_region: dict[str, list[Group]] = {}
    for g in groups:
        by_region.setdefault(g.region, []).append(g)
    for group in groups:
        peers = [g for g in by_region[group.region] if g is not group] or groups
        for peer in rng.sample(peers, min(len(peers), rng.randint(1, 2))):
            kind = rng.choice(["ally", "ally", "affiliate", "splinter", "rival", "ties", "merger"])
            fact = Fact("link", group, peer, kind)
            world.facts[group.key].append(fact)
            world.facts[peer.key].append(fact)
        if rng.random() < 0.3:
            commander = rng.choice(
                [p for p, role in world.members[group.key] if role == "commander"]
            )
            world.facts[group.key].append(Fact("plink", commander, rng.choice(peers), "ties"))
    world.forms = taken
    return world


# ------------------------------------------------------------------------ article writing
@dataclass
class _Mention:
    id: str
    type: str
    name: str  # form at first mention
    aliases: list[str] = field(default_factory=list)
    short: str | None = None  # later form, if unambiguous in this article
    mentions: int = 0


@dataclass(frozen=True)
class SynthArticle:
    """One generated article: its file stem, text and gold annotation (a JSON object)."""

    doc_id: str
    text: str
    gold: dict[str, Any]

    @property
    def words(self) -> int:
        return len(self.text.split())


_REF = re.compile(r"\{(\w+)(?::(\w+))?\}")
_SOURCES = (
    "police said",
    "officials said",
    "security officials said",
    "an intelligence official said",
    "local officials said",
    "a police spokesman said",
    "the interior ministry said",
    "military officials said",
)


class _Writer:
    """Builds one article: renders references left to right (first mention in full) and
    records the gold statements each sentence supports."""

    def __init__(self, rng: random.Random, world: World, doc_id: str, date: dt.date) -> None:
        self.rng, self.world, self.doc_id, self.date = rng, world, doc_id, date
        self.paragraphs: list[list[str]] = [[]]
        self.entities: dict[object, _Mention] = {}
        self.owner: dict[str, object] = {}  # normalised form -> entity key
        self.counts: dict[str, int] = {}
        self.statements: list[dict[str, Any]] = []
        self.acceptable: list[dict[str, Any]] = []
        self.seen: set[tuple[str, str, str]] = set()
        self.words = 0

    # entities ---------------------------------------------------------------------------
    def _register(
        self, key: object, type_: str, name: str, aliases: list[str], short: str | None
    ) -> _Mention:
        if key in self.entities:
            return self.entities[key]
        prefix = {
            "Person": "P",
            "MilitantGroup": "G",
            "Organization": "O",
            "Event": "V",
            "Location": "L",
        }[type_]
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        mention = _Mention(f"{prefix}{self.counts[prefix]}", type_, name)
        self.owner.setdefault(_norm(name), key)
        for alias in aliases:
            # An alias two entities of this article share would be ambiguous: first wins.
            if _norm(alias) and self.owner.setdefault(_norm(alias), key) is key:
                if _norm(alias) != _norm(name) and alias not in mention.aliases:
                    mention.aliases.append(alias)
        if short is not None and self.owner.get(_norm(short)) is key:
            mention.short = short
        self.entities[key] = mention
        return mention

    def person(self, p: Person, form: str = "auto") -> str:
        first = p.key not in self.entities
        name = p.titled if p.honorific and self.rng.random() < 0.5 else p.name
        if first and p.variants and self.rng.random() < 0.15:
            name = self.rng.choice(p.variants)  # another outlet's transliteration
        aliases = [p.name, p.titled, *p.variants, p.family]
        if p.honorific:
            aliases.append(f"{p.honorific} {p.given}")
        m = self._register(p.key, "Person", name, aliases, p.family)
        return self._say(m, form)

    def stranger(self, region: str) -> Person:
        """A person outside the world (officials, doctors, analysts, victims)."""
        for _ in range(100):
            p = _person(self.rng, region, f"X{len(self.entities)}", self.world.forms, False)
            if _norm(p.name) not in self.owner and _norm(p.family) not in self.owner:
                return p
        raise RuntimeError("cannot draw an unused name")  # pragma: no cover

    def group(self, g: Group, form: str = "auto") -> str:
        first = g.key not in self.entities
        name = g.name
        if first and g.variants and self.rng.random() < 0.15:
            name = self.rng.choice(g.variants)
        m = self._register(
            g.key, "MilitantGroup", name, [g.name, g.acronym, *g.variants], g.acronym
        )
        if first or form == "full":
            m.mentions += 1
            return f"{m.name} ({g.acronym})" if form != "name" else m.name
        return self._say(m, form)

    def place(self, p: Place | str, type_: str = "Location") -> str:
        name = p.name if isinstance(p, Place) else p
        m = self._register(("place", name), type_, name, [], None)
        m.mentions += 1
        return name

    def org(self, name: str) -> str:
        return self.place(name, "Organization")

    def event(self, e: Event, definite: bool = False) -> str:
        phrase = self.rng.choice(e.phrases(definite))
        bare = re.sub(r"^(a|an|the) ", "", phrase)
        aliases = [bare, f"{e.town.name} {e.kind}", *(p[2:] for p in e.phrases(False))]
        m = self._register(e.key, "Event", e.name, aliases, None)
        if bare not in m.aliases and _norm(bare) != _norm(m.name):
            if self.owner.setdefault(_norm(bare), e.key) == e.key:
                m.aliases.append(bare)
        m.mentions += 1
        self.place(e.town)
        return phrase

    def _say(self, m: _Mention, form: str) -> str:
        m.mentions += 1
        if form == "full" or m.mentions == 1 or m.short is None:
            return m.name
        return m.short if self.rng.random() < 0.6 else m.name

    def ref(self, obj: object, form: str = "auto") -> str:
        if isinstance(obj, Person):
            return self.person(obj, form)
        if isinstance(obj, Group):
            return self.group(obj, form)
        if isinstance(obj, Event):
            return self.event(obj, definite=form == "the")
        if isinstance(obj, Place):
            return self.place(obj)
        return self.org(str(obj))

    # sentences --------------------------------------------------------------------------
    def fmt(self, template: str, **refs: object) -> str:
        """Fill {name} or {name:form} placeholders in reading order."""

        def fill(match: re.Match[str]) -> str:
            value = refs[match.group(1)]
            if isinstance(value, (str, int)) and match.group(1) in ("Y", "N", "D", "R", "S", "T"):
                return str(value)
            return self.ref(value, match.group(2) or "auto")

        out = _REF.sub(fill, template)
        return out[:1].upper() + out[1:]

    def add(
        self,
        sentence: str,
        facts: Sequence[tuple[Any, ...]] = (),
        new_para: bool = False,
        events: tuple[Event, ...] = (),
    ) -> None:
        """Append a sentence and the statements it supports.

        `facts` are (subject, predicate, object, modality, extras) with world objects.
        Every event named in the sentence also occurred in its town.
        """
        if new_para and self.paragraphs[-1]:
            self.paragraphs.append([])
        self.paragraphs[-1].append(sentence)
        self.words += len(sentence.split())
        modality = facts[0][3] if facts else "asserted"
        for e in events:
            facts = [
                *facts,
                (
                    e,
                    "occurred_in",
                    e.town,
                    "reported" if modality == "reported" else "asserted",
                    {},
                ),
            ]
        for subject, predicate, obj, mod, extras in facts:
            s, o = self.entities[_key(subject)].id, self.entities[_key(obj)].id
            triple = (s, predicate, o)
            if triple in self.seen or (predicate in _SYMMETRIC and (o, predicate, s) in self.seen):
                continue
            self.seen.add(triple)
            self.statements.append(
                {
                    "subject": s,
                    "predicate": predicate,
                    "object": o,
                    **extras,
                    "modality": mod,
                    "evidence": sentence,
                }
            )
            if predicate in ("leader_of", "founder_of"):
                self.acceptable.append({"subject": s, "predicate": "member_of", "object": o})

    def text(self, title: str, dateline: str) -> str:
        paras = [" ".join(p) for p in self.paragraphs if p]
        paras[0] = f"{dateline} — {paras[0]}"
        return title + "\n\n" + "\n\n".join(paras) + "\n"

    def gold(self, title: str) -> dict[str, Any]:
        entities = [
            {"id": m.id, "type": m.type, "name": m.name, "aliases": m.aliases}
            for m in self.entities.values()
        ]
        seen = {(s["subject"], s["predicate"], s["object"]) for s in self.statements}
        acceptable = []
        for a in self.acceptable:
            key = (a["subject"], a["predicate"], a["object"])
            if key not in seen:
                seen.add(key)
                acceptable.append(a)
        return {
            "doc_id": self.doc_id,
            "title": title,
            "date": self.date.isoformat(),
            "generator": f"milgraph synth v{SYNTH_VERSION} seed {self.world.seed}",
            "entities": entities,
            "statements": self.statements,
            "acceptable": acceptable,
        }


_SYMMETRIC = frozenset({"linked_to", "relative_of", "associate_of"})


def _key_str(obj: object) -> str:
    return obj.key if isinstance(obj, (Person, Group, Event)) else str(obj)


def _key(obj: object) -> object:
    if isinstance(obj, (Person, Group, Event)):
        return obj.key
    if isinstance(obj, Place):
        return ("place", obj.name)
    return ("place", str(obj))


# Templates per fact kind: (template, modality). Reported variants are made from the
# asserted ones by attributing them ("..., police said.").
_TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "leader": [
        ("{P} is the leader of {G}.", "asserted"),
        ("{G} is led by {P}.", "asserted"),
        ("{P} has headed {G} since {Y}.", "asserted"),
        ("{G} chief {P} has not been seen in public for months.", "asserted"),
        ("{P} took over as chief of {G} in {Y}.", "asserted"),
        ("{P} is believed to lead {G}, according to intelligence assessments.", "reported"),
        ("{P} allegedly leads {G} from a hideout across the border.", "alleged"),
        ("{P} has denied that he leads {G}.", "denied"),
    ],
    "leader:deputy": [
        ("{P}, the deputy leader of {G}, has a bounty on his head.", "asserted"),
        ("{P} serves as deputy chief of {G}.", "asserted"),
        ("{P} is second in command of {G}.", "asserted"),
    ],
    "leader:former": [
        ("{P}, a former leader of {G}, was sidelined after a dispute over funds.", "asserted"),
        ("{P} led {G} until {Y}.", "asserted"),
        ("{P} previously headed {G} before stepping down.", "asserted"),
    ],
    "member": [
        ("{P}, a {R} of {G}, was named in the charge sheet.", "asserted"),
        ("{P} is a senior {R} in {G}.", "asserted"),
        ("{P} joined {G} in {Y}.", "asserted"),
        ("{P} fought with {G} for several years.", "asserted"),
        ("{P} was identified as a {R} of {G}.", "reported"),
        ("{P} allegedly belonged to {G}.", "alleged"),
        ("{P} is accused of being a {R} of {G}.", "alleged"),
        ("{P} denied being a member of {G}.", "denied"),
        ("{G} said {P} was one of its fighters.", "claimed"),
    ],
    "member:spokesman": [
        ("{P}, a spokesman for {G}, said the group would continue its campaign.", "asserted"),
        ("{G} spokesman {P} said in a statement that the group had no regrets.", "asserted"),
        (
            "{P}, who speaks for {G}, told reporters by telephone that more attacks would follow.",
            "asserted",
        ),
    ],
    "founder": [
        ("{P} founded {G} in {Y}.", "asserted"),
        ("{G} was founded by {P} in {Y}.", "asserted"),
        ("{G}, which {P} set up in {Y}, has carried out dozens of attacks.", "asserted"),
        ("{P}, the founder of {G}, has been in hiding for years.", "asserted"),
    ],
    "link:ally": [
        ("{G} is allied with {G2}.", "asserted"),
        ("{G} has fought alongside {G2} in several offensives.", "asserted"),
        ("{G} is alleged to have close ties to {G2}.", "alleged"),
    ],
    "link:affiliate": [
        ("{G} is an affiliate of {G2}.", "asserted"),
        ("{G} operates as a regional affiliate of {G2}.", "asserted"),
    ],
    "link:splinter": [
        ("{G} broke away from {G2} after a leadership dispute.", "asserted"),
        ("{G} is a splinter faction of {G2}.", "asserted"),
    ],
    "link:rival": [
        ("{G} and {G2} are bitter rivals.", "asserted"),
        ("{G} has clashed repeatedly with its rival {G2}.", "asserted"),
    ],
    "link:ties": [
        ("{G} has links to {G2}.", "asserted"),
        ("{G} maintains ties with {G2}.", "asserted"),
        ("{G} allegedly has links with {G2}.", "alleged"),
    ],
    "link:merger": [
        ("{G} merged with {G2} in {Y}.", "asserted"),
        ("{G} announced a merger with {G2}.", "asserted"),
    ],
    "plink": [
        ("{P} has links to {G2}.", "asserted"),
        ("{P} is suspected of having ties to {G2}.", "alleged"),
    ],
    "relative": [
        ("{P} is the {R} of {P2}.", "asserted"),
        ("{P}, a {R} of {P2}, was also wanted by the authorities.", "asserted"),
        ("{P2}'s {R} {P} was arrested last year.", "asserted"),
    ],
    "designated": [
        ("{G} was designated a terrorist organisation by the {O} in {Y}.", "asserted"),
        ("The {O} lists {G} as a terrorist group.", "asserted"),
        ("{G} has been banned by the {O} since {Y}.", "asserted"),
    ],
    "designated:person": [
        ("The {O} designated {P} a global terrorist in {Y}.", "asserted"),
        ("{P} is on the sanctions list of the {O}.", "asserted"),
    ],
    "associate": [
        ("{P}, a close aide of {P2}, was also detained.", "asserted"),
        ("{P} and {P2} were co-accused in the case.", "asserted"),
    ],
}
_PREDICATE = {
    "leader": "leader_of",
    "member": "member_of",
    "founder": "founder_of",
    "link": "linked_to",
    "plink": "linked_to",
    "relative": "relative_of",
    "designated": "designated_by",
    "associate": "associate_of",
}

_FILLER = (
    "Security was tightened across the province after the incident.",
    "The region has seen a surge in militant violence over the past year.",
    "Schools and markets in the area remained closed on {D}.",
    "Rights groups have long criticised the use of extrajudicial killings in the region.",
    "Traffic on the main highway was suspended for several hours.",
    "Mobile phone services were suspended in parts of the district as a precaution.",
    "The government has repeatedly promised to restore order in the border areas.",
    "Residents said they had grown used to the sound of gunfire at night.",
    "Thousands of families have fled the fighting in recent months.",
    "Local traders said business had collapsed since the violence began.",
    "The army has deployed additional troops to the area in recent weeks.",
    "Several roads leading to the town were blocked by security forces.",
    "Hospitals in the area were put on high alert.",
    "The attack came days before a planned visit by senior government officials.",
    "Officials have announced compensation for the families of the victims.",
    "A curfew was imposed in the town until further notice.",
    "The violence has hampered relief work in the area.",
    "Investigators collected evidence from the site on {D}.",
    "Journalists were not allowed to visit the area.",
    "Independent verification of the casualty figures was not possible.",
    "Funeral prayers for the victims were held on {D} amid tight security.",
    "Opposition lawmakers demanded an inquiry into the security lapse.",
    "The provincial assembly passed a resolution condemning the violence.",
    "Police said they had registered a case against unidentified attackers.",
    "Dozens of suspects have been detained in raids across the district since {D}.",
    "The authorities said the situation was now under control.",
    "Aid agencies warned of a worsening humanitarian situation.",
    "The area has been the scene of repeated military operations since {Y}.",
    "Witnesses described scenes of panic as people ran for cover.",
    "Ambulances took the wounded to hospitals in the provincial capital.",
    "The government said it would not bow to pressure from armed groups.",
    "Prices of food and fuel have risen sharply in the district since the fighting began.",
    "Television footage showed damaged vehicles and shattered shop windows.",
    "Several of the wounded were said to be in critical condition.",
    "The bomb disposal squad defused a second device found near the site.",
    "Community elders called for calm and urged young men not to take up arms.",
    "The army said its operations in the area would continue until the militants were defeated.",
    "Local journalists said they had received threats for reporting on the violence.",
    "Travel advisories issued by several foreign governments warn against visiting the area.",
    "The provincial government announced a reward for information about the attackers.",
    "Security forces conducted house-to-house searches in nearby villages.",
    "Shops in the main bazaar pulled down their shutters as news of the incident spread.",
    "The interior minister chaired a meeting to review the security situation on {D}.",
    "Checkpoints on the roads into the town were reinforced overnight.",
    "The incident was the deadliest in the area since {Y}.",
    "Families of the missing gathered outside the hospital waiting for news.",
    "The prime minister condemned the violence and ordered an inquiry.",
    "Teachers said attendance at local schools had fallen by half since the summer.",
    "Much of the area remains off limits to aid workers and reporters.",
    "The district has a long history of tribal disputes and smuggling.",
    "It was not immediately clear how the attackers had evaded the checkpoints.",
    "Talks between the government and militant factions broke down in {Y}.",
    "The authorities have offered amnesty to fighters who surrender their weapons.",
)
_OFFICIAL = (
    "“We have received {N} bodies and several of them are badly burned,” said Dr {S}, "
    "medical superintendent of {O}.",
    "{S}, a spokesman for the {O}, said the area had been cordoned off.",
    "Deputy inspector general of police {S} told reporters that {N} suspects had been detained.",
    "“The situation is under control and the culprits will be brought to justice,” said "
    "{S}, the district coordination officer.",
    "{S}, a senior official of the {O}, said an investigation had been opened.",
)
_ANALYST = (
    "Security analyst {S} said the loss would weaken {G} but not end its campaign.",
    "“{G} has survived worse setbacks before,” said {S}, an analyst who studies militant "
    "groups in the region.",
    "{S}, a researcher at a think tank in the capital, said {G} had been recruiting "
    "heavily in recent months.",
    "Analysts including {S} have warned that {G} is trying to expand beyond its "
    "traditional strongholds.",
)
_RESIDENT = (
    "{S}, a shopkeeper in {L}, said he heard two loud explosions.",
    "“We were terrified and stayed inside all night,” said {S}, a resident of {L}.",
)


class _ArticleBuilder:
    """Composes one article around a main group, a main event and the group's facts."""

    def __init__(self, world: World, index: int) -> None:
        self.world = world
        self.rng = random.Random(f"milgraph-synth:{SYNTH_VERSION}:{world.seed}:article:{index}")
        rng = self.rng
        self.group = world.groups[rng.randrange(len(world.groups))]
        self.date = dt.date(rng.randint(2005, 2024), rng.randint(1, 12), rng.randint(1, 28))
        self.doc_id = f"synth{index:06d}-{self.date.isoformat()}"
        self.w = _Writer(rng, world, self.doc_id, self.date)
        self.target = rng.randint(400, 620)
        self.done: set[tuple[str, str]] = set()  # (subject, object) already told
        self.quoted: set[str] = set()
        self.told: set[tuple[str, str]] = set()  # (town, kind) of incidents named
        self.fillers = list(_FILLER)
        rng.shuffle(self.fillers)

    def weekday(self, back: int = 0) -> str:
        return _WEEKDAYS[(self.date - dt.timedelta(days=back)).weekday()]

    def modality_template(self, kind: str) -> tuple[str, str, str | None]:
        """A template for a fact kind with its modality and, if reported, its source."""
        rng = self.rng
        template, modality = rng.choice(_TEMPLATES[kind])
        source = None
        if modality == "asserted" and rng.random() < 0.3:
            source = rng.choice(_SOURCES)
            template = template[:-1] + f", {source}."
            modality = "reported"
        return template, modality, source

    def render_fact(self, fact: Fact) -> None:
        pair = (_key_str(fact.subject), _key_str(fact.object))
        if pair in self.done or pair[::-1] in self.done:
            return
        self.done.add(pair)
        kind = fact.kind
        if kind == "leader" and fact.qualifier:
            kind = f"leader:{fact.qualifier}"
        elif kind == "member" and fact.qualifier == "spokesman" and self.rng.random() < 0.6:
            kind = "member:spokesman"
        elif kind == "link":
            kind = f"link:{fact.qualifier}"
        elif kind == "designated" and isinstance(fact.subject, Person):
            kind = "designated:person"
        template, modality, source = self.modality_template(kind)
        extras: dict[str, Any] = {}
        if source:
            extras["attributed_to"] = source.rsplit(" said", 1)[0]
        refs: dict[str, object] = {"Y": fact.qualifier or self.date.year - 3}
        predicate = _PREDICATE[fact.kind]
        if fact.kind in ("leader", "member", "founder"):
            refs.update(P=fact.subject, G=fact.object)
            if fact.kind == "member":
                refs["R"] = fact.qualifier or "member"
                refs["Y"] = self.rng.randint(2000, self.date.year)
            elif fact.kind == "leader":
                refs["Y"] = self.rng.randint(2000, self.date.year)
                if fact.qualifier:
                    extras["role"] = fact.qualifier
        elif fact.kind == "link":
            refs.update(G=fact.subject, G2=fact.object, Y=self.rng.randint(2000, self.date.year))
            extras["link_kind"] = fact.qualifier
        elif fact.kind == "plink":
            refs.update(P=fact.subject, G2=fact.object)
            extras["link_kind"] = "ties"
        elif fact.kind == "relative":
            refs.update(P=fact.subject, P2=fact.object, R=fact.qualifier)
            extras["relation"] = fact.qualifier
        elif fact.kind == "designated":
            refs.update(P=fact.subject, G=fact.subject, O=fact.object)
            refs["Y"] = fact.qualifier or self.rng.randint(2001, self.date.year)
        elif fact.kind == "associate":
            refs.update(P=fact.subject, P2=fact.object)
        sentence = self.w.fmt(template, **refs)
        subject, obj = fact.subject, fact.object
        if fact.kind == "link":
            obj = fact.object
        self.w.add(
            sentence,
            [(subject, predicate, obj, modality, extras)],
            new_para=self.rng.random() < 0.5,
        )

    # article parts ----------------------------------------------------------------------
    def lead(self) -> tuple[Event, str]:
        """The news of the day: a militant killed by security forces, or an attack."""
        rng, w, g = self.rng, self.w, self.group
        town = rng.choice(g.home)
        story = rng.choice(["killed", "killed", "claimed", "blamed"])
        kind = rng.choice(_OPERATIONS if story == "killed" else _ATTACKS)
        event = Event(
            f"{self.doc_id}:E",
            kind,
            rng.choice(_TARGETS),
            town,
            self.date - dt.timedelta(days=1),
            rng.randint(2, 40),
        )
        day = self.weekday(1)
        self.told.add((town.name, kind))
        victim: Person | None = None
        if story == "killed":
            victim, role = rng.choice(
                [
                    m
                    for m in self.world.members[g.key]
                    if m[1] in ("commander", "deputy leader", "chief", "militant")
                ]
            )
            predicate = "leader_of" if role in ("chief", "deputy leader") else "member_of"
            extras = {"role": "deputy"} if role == "deputy leader" else {}
            the_role = {
                "chief": "the chief",
                "deputy leader": "the deputy leader",
                "commander": "a senior commander",
                "militant": "a militant",
            }[role]
            form = rng.choice(
                [
                    "{P}, {R} of {G}, was killed in {E} on {D}, {S}.",
                    "{G} " + role + " {P} was killed along with {N} others in {E} on {D}, {S}.",
                ]
            )
            source = rng.choice(_SOURCES)
            sentence = w.fmt(
                form, P=victim, G=g, E=event, R=the_role, D=day, N=event.dead, S=source
            )
            extras["attributed_to"] = source.rsplit(" said", 1)[0]
            w.add(
                sentence,
                [
                    (victim, "killed_in", event, "reported", {}),
                    (victim, predicate, g, "reported", extras),
                ],
                events=(event,),
            )
            self.done.add((victim.key, g.key))
            title = f"{g.acronym} {role} killed in {kind} near {town.name}"
        else:
            sentence = w.fmt(
                "At least {N} people were killed in {E} on {D}, {S}.",
                N=event.dead,
                E=event,
                D=day,
                S=rng.choice(_SOURCES),
            )
            w.add(sentence, [], events=(event,))
            if story == "claimed":
                s2 = w.fmt(
                    rng.choice(
                        [
                            "{G} claimed responsibility for the attack in a statement sent to "
                            "journalists.",
                            "{G} said it had carried out the attack.",
                        ]
                    ),
                    G=g,
                )
                w.add(s2, [(g, "responsible_for", event, "claimed", {})])
            else:
                s2 = w.fmt(
                    rng.choice(
                        [
                            "Police blamed {G} for the attack, but the group denied any "
                            "involvement.",
                            "Officials accused {G} of carrying out the attack.",
                        ]
                    ),
                    G=g,
                )
                w.add(s2, [(g, "responsible_for", event, "alleged", {})])
            title = f"{event.dead} killed in {kind} in {town.name}; {g.acronym} " + (
                "claims responsibility" if story == "claimed" else "blamed"
            )
        self.event_details(event, victim)
        return event, title

    def event_details(self, event: Event, victim: Person | None) -> None:
        """Who else died, what the doctors and police said."""
        rng, w = self.rng, self.w
        region = self.group.region
        w.paragraphs.append([])
        if rng.random() < 0.6:
            dead = w.stranger(region)
            sentence = w.fmt(
                rng.choice(
                    [
                        "Among the dead was {P}, a local councillor who was passing by.",
                        "{P}, a police constable, was among those killed in the {T}.",
                    ]
                ),
                P=dead,
                T=event.kind,
            )
            w.add(sentence, [(dead, "killed_in", event, "asserted", {})])
        members = [p for p, role in self.world.members[self.group.key] if p is not victim]
        if rng.random() < 0.5 and members:
            other = rng.choice(members)
            sentence = w.fmt(
                "{P}, a commander of {G}, was also killed, {S}.",
                P=other,
                G=self.group,
                S=rng.choice(_SOURCES),
            )
            w.add(
                sentence,
                [
                    (other, "killed_in", event, "reported", {}),
                    (other, "member_of", self.group, "reported", {}),
                ],
            )
            self.done.add((other.key, self.group.key))
        self.official()

    def official(self) -> None:
        rng, w = self.rng, self.w
        official = w.stranger(self.group.region)
        town = rng.choice(self.group.home)
        org = rng.choice(
            [
                f"{town.name} District Hospital",
                f"{town.name} police",
                "Counter Terrorism Department",
                f"{town.area} administration",
            ]
        )
        template = rng.choice([t for t in _OFFICIAL if t not in self.quoted])
        self.quoted.add(template)
        if "Dr" in template:
            org = f"{town.name} District Hospital"
        w.add(w.fmt(template, S=official, O=org, N=rng.randint(3, 30)), [], new_para=True)

    def analyst(self) -> None:
        w = self.w
        analyst = w.stranger(self.group.region)
        w.add(w.fmt(self.rng.choice(_ANALYST), S=analyst, G=self.group), [], new_para=True)

    def resident(self) -> None:
        w = self.w
        person = w.stranger(self.group.region)
        w.add(w.fmt(self.rng.choice(_RESIDENT), S=person, L=self.rng.choice(self.group.home)))

    def history(self) -> None:
        """A past incident of the group, told as background."""
        rng, w = self.rng, self.w
        past = rng.choice(self.world.history[self.group.key])
        same = (past.event.town.name, past.event.kind)
        if past.event.date >= self.date or same in self.told:
            return  # not yet happened, or named like an incident already in the article
        self.told.add(same)
        form, mod = rng.choice(
            [
                ("{G} was blamed for {E:the}, which killed {N} people.", "alleged"),
                ("{G} claimed responsibility for {E:the}, which killed {N} people.", "claimed"),
                ("{G} carried out {E:the}, which killed {N} people.", "asserted"),
                ("{G} has denied any role in {E:the}.", "denied"),
            ]
        )
        sentence = w.fmt(form, G=past.perpetrator, E=past.event, N=past.event.dead)
        w.add(
            sentence,
            [(past.perpetrator, "responsible_for", past.event, mod, {})],
            new_para=True,
            events=(past.event,),
        )
        if past.planner is not None and rng.random() < 0.6:
            s = w.fmt(
                rng.choice(
                    [
                        "Investigators said {P} had planned the {T}.",
                        "{P} allegedly masterminded the {T}.",
                    ]
                ),
                P=past.planner,
                T=past.event.kind,
            )
            mod = "reported" if s.startswith("Investigators") else "alleged"
            w.add(s, [(past.planner, "responsible_for", past.event, mod, {})])
        for victim in past.victims:
            s = w.fmt(
                "{P}, a retired judge, was among those killed in the {T}.",
                P=victim,
                T=past.event.kind,
            )
            w.add(s, [(victim, "killed_in", past.event, "asserted", {})])

    def filler(self) -> bool:
        """One sentence of colour, never twice in an article; False when none is left."""
        if not self.fillers:
            return False
        w = self.w
        w.add(
            w.fmt(
                self.fillers.pop(),
                D=self.weekday(self.rng.randint(0, 6)),
                Y=self.date.year - self.rng.randint(2, 10),
            ),
            new_para=len(w.paragraphs[-1]) >= self.rng.randint(2, 4),
        )
        return True

    def background(self, group: Group) -> None:
        """What the group is, with no relation the ontology knows (operates, size)."""
        rng, w = self.rng, self.w
        towns = rng.sample(group.home, 2)
        w.add(
            w.fmt(
                rng.choice(
                    [
                        "{G} operates mainly around {L} and {L2}.",
                        "{G} is thought to have between {N} and {Y} fighters, most of them "
                        "around {L} and {L2}.",
                        "{G} has been active in {L} and {L2} for more than a decade.",
                    ]
                ),
                G=group,
                L=towns[0],
                L2=towns[1],
                N=rng.randint(2, 9) * 100,
                Y=rng.randint(10, 30) * 100,
            ),
            new_para=True,
        )

    def facts_of(self, group: Group, count: int) -> None:
        facts = list(self.world.facts[group.key])
        self.rng.shuffle(facts)
        for fact in facts[:count]:
            self.render_fact(fact)

    def build(self) -> SynthArticle:
        rng, w, g = self.rng, self.w, self.group
        event, title = self.lead()
        parts: list[Callable[[], None]] = [
            lambda: self.facts_of(g, rng.randint(4, 7)),
            lambda: self.background(g),
            lambda: self.facts_of(g, rng.randint(3, 6)),
            self.history,
            self.history,
            self.analyst,
            self.resident,
        ]
        links = [
            f.object if f.subject is g else f.subject
            for f in self.world.facts[g.key]
            if f.kind == "link"
        ]
        if links:
            other = rng.choice(links)
            assert isinstance(other, Group)
            parts.append(lambda: self.facts_of(other, rng.randint(2, 4)))
        if rng.random() < 0.5:
            parts.append(self.official)
        rng.shuffle(parts)
        for part in parts:
            part()
            if rng.random() < 0.3:
                self.filler()
        while w.words < self.target and self.filler():
            pass
        dateline = (
            f"{event.town.name.upper()}, {g.country}, "
            f"{_MONTHS[self.date.month - 1]} {self.date.day}, {self.date.year}"
        )
        w.place(event.town)
        w.place(g.country)
        return SynthArticle(self.doc_id, w.text(title, dateline), w.gold(title))


def synth_article(world: World, index: int) -> SynthArticle:
    """Article number `index` of the corpus of `world` (depends on nothing else)."""
    return _ArticleBuilder(world, index).build()


def iter_articles(world: World, start: int, count: int) -> Iterator[SynthArticle]:
    for index in range(start, start + count):
        yield synth_article(world, index)


@dataclass(frozen=True)
class SynthSummary:
    articles: int
    words: int
    statements: int
    out: Path


def write_corpus(
    out: str | Path,
    articles: int,
    seed: int = 0,
    *,
    start: int = 0,
    world_articles: int | None = None,
    on_article: Callable[[SynthArticle], None] = lambda article: None,
) -> SynthSummary:
    """Write articles ``start .. start+articles-1`` as NAME.txt + NAME.gold.json into `out`.

    The world is sized for `world_articles` (default ``start + articles``): to add one
    article to an existing corpus of 10,000, use ``start=10000, world_articles=10000``.
    Articles are written one by one; memory does not grow with the corpus.
    """
    out = Path(out)
    if articles < 0 or start < 0:
        raise InputError(None, None, f"articles ({articles}) and start ({start}) must be >= 0")
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "output exists and is not a folder; expected a directory")
    out.mkdir(parents=True, exist_ok=True)
    world = synth_world(seed, world_articles or start + articles)
    words = statements = 0
    for article in iter_articles(world, start, articles):
        (out / f"{article.doc_id}.txt").write_text(article.text, encoding="utf-8")
        (out / f"{article.doc_id}{GOLD_SUFFIX}").write_text(
            json.dumps(article.gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        words += article.words
        statements += len(article.gold["statements"])
        on_article(article)
    return SynthSummary(articles, words, statements, out)
