"""Reading articles: formats, dates, ids, and files that must be skipped."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

from graph_builder.documents import MAX_FILE_BYTES, find_articles, html_to_text, read_documents


def test_txt_dateline_and_file_name_dates(tmp_path: Path) -> None:
    (tmp_path / "raid-2019-03-04.txt").write_text("QUETTA - Police raided a house.\n")
    (tmp_path / "strike.txt").write_text(
        "Headline here\n\nKABUL, Afghanistan, August 2, 2022 — A strike hit a house.\n"
    )
    docs, skipped = read_documents([tmp_path])
    by_id = {d.doc_id: d for d in docs}
    assert skipped == []
    assert by_id["raid-2019-03-04"].date == "2019-03-04"
    assert by_id["strike"].date == "2022-08-02"
    assert by_id["strike"].title == "Headline here"
    assert len(by_id["strike"].content_hash) == 64


def test_html_drops_script_and_style(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>T &amp; U</title><script>alert('x')</script></head><body>"
        "<p>Militants &lt;b&gt;attacked&lt;/b&gt; a post.</p><style>p{color:red}</style>"
        "<p>Two died.</p></body></html>"
    )
    docs, _ = read_documents([tmp_path / "page.html"])
    (doc,) = docs
    assert "alert" not in doc.text and "color" not in doc.text
    assert "Militants <b>attacked</b> a post." in doc.text  # entities decoded once, not parsed
    assert "Two died." in doc.text
    assert doc.title == "T & U"


def test_jsonl_articles_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "text": "Text one.", "date": "2020-01-02", "source": "AFP"}),
        "{broken",
        json.dumps({"id": "a2", "text": "  "}),
        json.dumps({"id": "a3", "text": "Text three.", "url": "https://x.example/3"}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n")
    docs, skipped = read_documents([tmp_path])
    assert [d.doc_id for d in docs] == ["a1", "a3"]
    assert docs[0].date == "2020-01-02" and docs[0].source == "AFP"
    assert docs[1].url == "https://x.example/3"
    assert [s.path.rsplit(":", 1)[1] for s in skipped] == ["2", "3"]


def test_bad_encoding_and_empty_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes("caf\xe9 attack".encode("latin-1"))
    (tmp_path / "empty.md").write_text("   \n")
    (tmp_path / "ok.md").write_text("# Title\n\nBody.")
    docs, skipped = read_documents([tmp_path])
    assert [d.doc_id for d in docs] == ["ok"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert "UTF-8" in reasons["latin.txt"]
    assert "empty" in reasons["empty.md"]


def test_find_articles_skips_curated_gold_and_readme(tmp_path: Path) -> None:
    for name in ("a.txt", "b.statements.jsonl", "a.gold.json", "README.md", "c.jsonl", "d.csv"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in find_articles([tmp_path])] == ["a.txt", "c.jsonl"]


def test_html_markup_left_open_ends_the_page_in_linear_time() -> None:
    # Python 3.11's html.parser needs ~17 s for this (quadratic); the page text before
    # the unterminated tag is kept, the rest is dropped as HTML5 does.
    started = time.perf_counter()
    body, _ = html_to_text("<p>Kept.</p>" + "<a" * 40_000)
    assert body == "Kept."
    assert time.perf_counter() - started < 5
    for tail in ("<!-- open comment <p>x</p>", "<script>x = '<p>y</p>'", "</p", "<?pi"):
        assert html_to_text("<p>Kept.</p>" + tail)[0] == "Kept."


def test_html_odd_markup_is_text_or_dropped_never_an_error() -> None:
    body, title = html_to_text(
        "<!DOCTYPE html><html><head><title>A &lt;T&gt;</title><![x><?xml v?>"
        "<body><p>a < b &amp; c</p><P CLASS='x>y'>Two<br/>lines</P>"
        "<![CDATA[gone]]><svg><text>no</text></svg></body></html>"
    )
    assert title == "A <T>"
    assert body == "a < b & c\n\nTwo\n\nlines"


def test_html_body_ends_an_unclosed_head(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_text("<html><head><title>T</title><body><p>Text.</p>")
    (doc,), _ = read_documents([tmp_path / "p.html"])
    assert (doc.text, doc.title) == ("Text.", "T")


def test_oversized_file_is_skipped_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    tracemalloc.start()
    try:
        docs, skipped = read_documents([path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert docs == [] and [s.path for s in skipped] == [str(path)]
    assert "larger than" in skipped[0].reason
    assert peak < MAX_FILE_BYTES // 20


def test_jsonl_lines_json_can_spell_but_text_cannot_hold_are_skipped(tmp_path: Path) -> None:
    lines = [
        '{"id": "big", "text": "x", "n": ' + "9" * 5000 + "}",
        json.dumps({"id": "nul", "text": "a \x00 b"}),
        '{"id": "sur", "text": "a \\ud800 b"}',
        '{"id": "\\udfff", "text": "fine"}',
        '{"id": "t", "text": "fine", "title": "x\\u0000"}',
        json.dumps({"id": "ok", "text": "Kept."}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = read_documents([tmp_path])
    assert [d.doc_id for d in docs] == ["ok"]
    reasons = {int(s.path.rsplit(":", 1)[1]): s.reason for s in skipped}
    assert sorted(reasons) == [1, 2, 3, 4, 5]
    assert "JSON" in reasons[1]
    assert "NUL" in reasons[2] and "NUL" in reasons[5]
    assert "surrogate U+D800" in reasons[3] and "surrogate U+DFFF" in reasons[4]


def test_control_characters_become_spaces_and_ids_stay_plain(tmp_path: Path) -> None:
    """Form feeds and other control characters (PDF, OCR) become spaces one for one, so
    offsets hold; ids and metadata are cleaned before they are judged empty."""
    rows = [
        {"id": "\x01", "text": "Gone: an id of nothing but a control character."},
        {"id": "k\x01", "text": "Page one.\x0cPage two.", "title": "\x01", "source": "AP\x0b"},
        {"id": "blank", "text": "\x01\x02"},
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "\xa0.txt").write_text("A file whose name is a no-break space.\n")
    (tmp_path / "controls.txt").write_text("\x01\x07\n")
    (tmp_path / "entities.html").write_text("<p>&#1;&#7;</p>")
    docs, skipped = read_documents([tmp_path])
    assert [(d.doc_id, d.text, d.title, d.source) for d in docs] == [
        ("k", "Page one. Page two.", None, "AP")
    ]
    assert sorted(s.reason for s in skipped) == [
        "empty file (no text)",
        "empty file (no text)",
        "file name gives no document id",
        "missing 'id' (a non-empty string)",
        "missing or empty 'text'",
    ]
