"""The extractor's fast paths give what the plain code they replace gave (no spaCy)."""

from __future__ import annotations

import random
import re
import sys

import pytest

from graph_builder.extract.context import _mentions_within
from graph_builder.extract.mentions import Mention, _is_word_char, standalone_spans

LOOSE = r"(?<![\w-]){}(?![\w]|-\w)"  # a name, also before "-" not followed by a word
STRICT = r"(?<![\w-]){}(?![\w-])"  # a name, never before a hyphen


def _regex_spans(pattern: str, text: str, name: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(pattern.format(re.escape(name)), text)]


def test_word_char_is_what_backslash_w_matches() -> None:
    word = re.compile(r"\w")
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        assert _is_word_char(ch) == (word.match(ch) is not None), hex(code)


@pytest.mark.parametrize("hyphen_after", [True, False])
def test_standalone_spans_match_the_regex(hyphen_after: bool) -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", "A", "-", " ", "_", "1", "é", "’", "\n", "ab", "a-b", "a b"]
    pattern = LOOSE if hyphen_after else STRICT
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3)))
        expected = _regex_spans(pattern, text, name)
        assert standalone_spans(text, name, hyphen_after) == expected, (text, name)


def test_standalone_spans_on_names() -> None:
    text = "Swat-based police in Swat, Swat-e and Swati; al-Swat. Swat"
    assert standalone_spans(text, "Swat") == [(21, 25), (54, 58)]
    assert standalone_spans(text, "Swat", hyphen_after=False) == [(21, 25), (54, 58)]
    assert standalone_spans("Swat- and Swat", "Swat") == [(0, 4), (10, 14)]
    assert standalone_spans("Swat- and Swat", "Swat", hyphen_after=False) == [(10, 14)]
    # after a match the search resumes at its end, as re.finditer does
    assert standalone_spans("aa aa aaa", "aa") == [(0, 2), (3, 5)]


def test_mentions_within_is_the_filtered_list() -> None:
    rng = random.Random(3)
    for _ in range(500):
        starts = sorted(rng.sample(range(200), rng.randint(0, 30)))
        mentions = [Mention(s, s + 1, "Person", str(s)) for s in starts]
        lo = rng.randint(0, 210)
        hi = rng.randint(lo, 220)
        assert _mentions_within(mentions, lo, hi) == [m for m in mentions if lo <= m.start < hi]


def _texts_with_aliases(rng: random.Random, aliases: list[str], count: int) -> list[str]:
    """Texts mixing aliases (re-cased, cut, glued to words and hyphens) with noise."""
    tricky = ["\u212a", "\u0130", "\u0131", "\u017f", "ß", "é", "-", "_", "'", " ", "\n"]
    pieces = ["linked", "based", "-led", "s", "'s", "the ", "1", "(", ")", *tricky]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            alias = rng.choice(aliases)
            roll = rng.random()
            if roll < 0.2:
                alias = alias.upper()
            elif roll < 0.4:
                alias = alias.lower()
            elif roll < 0.5:
                alias = alias[: rng.randint(1, len(alias))]
            elif roll < 0.55:
                alias = alias.replace("k", "\u212a").replace("i", "\u0131")
            parts.append(alias)
            parts.append(rng.choice(pieces))
        texts.append("".join(parts))
    return texts


def test_alias_matcher_finds_what_the_whole_alternation_finds() -> None:
    from pathlib import Path

    from graph_builder.extract.gazetteer import AliasMatcher, load_gazetteer

    gazetteer = load_gazetteer()
    aliases = sorted({a for e in gazetteer.entries for a in (e.name, *e.aliases)})
    rng = random.Random(5)
    texts = _texts_with_aliases(rng, aliases, 3000)
    corpus = Path(__file__).parent / "data"
    texts += [p.read_text(encoding="utf-8") for p in sorted(corpus.rglob("*.txt"))]
    matcher = gazetteer._pattern
    for text in texts:
        expected = [(m.span(), m.group(0)) for m in matcher.pattern.finditer(text) if m.group(0)]
        assert [(m.span(), m.group(0)) for m in matcher.finditer(text)] == expected, text
    # small alias sets: only folded, only exact, aliases opening with non-letters
    for folded, exact in (
        (["Kat", "kata"], []),
        ([], ["IS", "ISK"]),
        (["'Ali", "éz", "1st"], ["K"]),
    ):
        small = AliasMatcher(folded, exact)
        for text in _texts_with_aliases(rng, folded + exact, 300):
            expected = [m.span() for m in small.pattern.finditer(text) if m.group(0)]
            assert [m.span() for m in small.finditer(text)] == expected, (folded, exact, text)
