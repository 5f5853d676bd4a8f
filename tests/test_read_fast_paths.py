"""The read stage's cheaper paths give what the plain ones gave: the articles pathlib's
walk finds, in its order; the same text, date and skips."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path, PurePosixPath

import pytest

import graph_builder.documents as documents
from graph_builder.config import SAMPLE_CORPUS
from graph_builder.documents import (
    _CONTROL_CHAR_LIST,
    _CONTROL_CHARS,
    _DATELINE_DATE,
    _posix_parts,
    date_from_text,
    find_articles,
    is_article,
    read_documents,
)
from graph_builder.ontology import load_ontology
from graph_builder.statements import (
    check_key,
    read_statements,
)

ONTOLOGY = load_ontology()
KEY = check_key(ONTOLOGY)
# checked statements, as a cache file holds them
CURATED = read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ONTOLOGY)
ARTICLE = "Headline\n\nKABUL, Afghanistan, August 2, 2022 — A commander was killed.\n"


def rglob_articles(root: Path) -> list[Path]:
    """How find_articles found a folder's articles before it walked with os.scandir."""
    return sorted(p for p in root.rglob("*") if p.is_file() and is_article(p))


def tree(root: Path) -> Path:
    """Names whose string order is not their path order, hidden and non-article files, a
    link to a file (kept), to a folder (not followed), a link loop and a dangling link."""
    for name in ("a-b.txt", "a/b.txt", "a/c/d.md", "a b.txt", "A.TXT", "z.HTM", "x.jsonl"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(ARTICLE)
    for name in ("README.md", ".hidden.txt", "g.gold.json", "s.statements.jsonl", "a."):
        (root / name).write_text(ARTICLE)
    (root / "folder.txt").mkdir()
    (root / ".dot").mkdir()
    (root / ".dot" / "in.txt").write_text(ARTICLE)
    (root / "link.txt").symlink_to("a-b.txt")
    (root / "linked").symlink_to("a")
    (root / "loop1.txt").symlink_to("loop2.txt")
    (root / "loop2.txt").symlink_to("loop1.txt")
    (root / "gone.txt").symlink_to("missing.txt")
    return root


def test_find_articles_finds_what_rglob_found_in_its_order(tmp_path: Path) -> None:
    root = tree(tmp_path / "corpus")
    found = find_articles([root])
    assert found == rglob_articles(root)
    assert root / "a/b.txt" in found and root / "link.txt" in found
    assert not any("linked" in p.parts or "loop" in p.name for p in found)
    # a folder, files in it and elsewhere, a missing path: each article once, sorted
    extra = [root / "a/b.txt", tmp_path / "none.txt", root / "folder.txt", root / "README.md"]
    assert find_articles([*extra, root, root / "x.jsonl"]) == rglob_articles(root)


def test_find_articles_of_a_relative_folder_as_pathlib_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert find_articles([Path(".")]) == rglob_articles(Path("."))
    assert Path("a-b.txt") in find_articles([Path(".")])  # no leading "./"
    docs, _ = read_documents([Path("./a")])
    assert [d.path for d in docs] == ["a/b.txt", "a/c/d.md"]


@pytest.mark.parametrize("name", ["/tmp/a.txt", "//srv/x/y.md", "a/b", "a-b", "/", "//", "é/a b"])
def test_posix_parts_are_pathlibs(name: str) -> None:
    assert _posix_parts(name) == PurePosixPath(name).parts


def test_the_control_character_list_is_what_the_pattern_matches() -> None:
    every_char = "".join(map(chr, range(0x110000)))
    assert set(_CONTROL_CHARS.findall(every_char)) == set(_CONTROL_CHAR_LIST)


def head_date(text: str) -> str | None:
    """date_from_text's dateline, found by splitting the whole text (as it did)."""
    head = "\n".join(text.strip().splitlines()[:4])[:400]
    match = _DATELINE_DATE.search(head)
    return date_from_text(match.group(0)) if match else None


def test_date_from_text_looks_where_it_looked() -> None:
    rng = random.Random(3)
    pieces = ["\n", "\r\n", "\r", "\u2028", " ", "x" * 99, " August 2, 2022", "\n\n", "a"]
    texts = ["".join(rng.choices(pieces, k=rng.randrange(60))) for _ in range(3000)]
    # the date just inside and just past the 400 characters, after "\r\n" line ends
    texts += ["T\r\n\r\n\r\n" + "y" * n + " August 2, 2022" for n in range(380, 400)]
    texts += [" " * 300 + "A\r\n" * 3 + "z" * n + " May 1, 2020" for n in range(90, 110)]
    for text in texts:
        assert date_from_text(text) == head_date(text), repr(text)
    # the head: "T\n\n\n", the fourth line's first 396 characters
    assert date_from_text("T\r\n\r\n\r\n" + "y" * 381 + " August 2, 2022") == "2022-08-02"
    assert date_from_text("T\r\n\r\n\r\n" + "y" * 382 + " August 2, 2022") is None


def test_reading_keeps_its_skips_and_normalisations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "bom.txt": b"\xef\xbb\xbf" + ARTICLE.encode(),
        "bombad.txt": b"\xef\xbb\xbfabc\xff",
        "crlf.txt": ARTICLE.replace("\n", "\r\n").encode(),
        "ctrl.txt": "T\x0cext \ufffe\x01.".encode(),
        "nul.txt": b"text\x00",
        "empty.txt": b"\x01 \n",
        "big.txt": b"x" * 101,
        "limit.txt": b"y" * 100,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 100)
    docs, skipped = read_documents([tmp_path])
    by_id = {d.doc_id: d for d in docs}
    assert by_id["bom"].text == by_id["crlf"].text == ARTICLE
    assert by_id["bom"].date == "2022-08-02"
    assert by_id["ctrl"].text == "T ext   ."
    assert by_id["ctrl"].content_hash == hashlib.sha256(b"T ext   .").hexdigest()
    assert by_id["limit"].text == "y" * 100
    assert {Path(s.path).name: s.reason for s in skipped} == {
        "big.txt": "larger than 0 MB",
        "bombad.txt": "not UTF-8 text (bad byte at offset 3)",
        "empty.txt": "empty file (no text)",
        "nul.txt": "binary file (contains NUL bytes)",
    }


@pytest.mark.parametrize(("grown", "kept"), [(b"", True), (b"z" * 20, True), (b"z" * 90, False)])
def test_a_file_that_grew_since_its_size_was_taken_is_read_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown: bytes, kept: bool
) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"w" * 30 + grown)
    real_stat = os.stat

    def stat_taken_before_it_grew(where: object, **options: bool) -> os.stat_result:
        found = real_stat(where, **options)  # type: ignore[call-overload]
        if str(where) != str(path):
            return found
        return os.stat_result((*found[:6], 30, *found[7:10]))

    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 100)
    monkeypatch.setattr(os, "stat", stat_taken_before_it_grew)
    docs, skipped = read_documents([path])
    if kept:
        assert [d.text for d in docs] == [(b"w" * 30 + grown).decode()]
    else:
        assert [s.reason for s in skipped] == ["larger than 0 MB"]
