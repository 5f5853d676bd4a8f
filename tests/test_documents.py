"""Reading articles: formats, dates, ids, and files that must be skipped."""

from __future__ import annotations

import json
from pathlib import Path

from graph_builder.documents import find_articles, read_documents


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
