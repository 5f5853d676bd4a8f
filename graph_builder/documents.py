"""Reading articles: .txt, .md, .html and .jsonl files become :class:`Document` records.

A file that cannot be read as an article (bad encoding, empty, broken JSON line) becomes
a :class:`SkippedDocument` with a reason, so one bad file never stops a corpus run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from graph_builder.model import DocumentInfo

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")
# Files that sit beside articles in a corpus folder but are not articles.
NOT_ARTICLES = (".statements.jsonl", ".gold.json")
MAX_FILE_BYTES = 20_000_000  # far above any news article; protects memory

_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january february march april may june july august september october november december"
        ).split(),
        start=1,
    )
}
_MONTH_RE = "|".join(m.capitalize() for m in _MONTHS)
# "DERA ISMAIL KHAN, Pakistan, August 25, 2009 — ..." in the first lines of a report.
_DATELINE_DATE = re.compile(rf"\b({_MONTH_RE})\.? (\d{{1,2}}),? (\d{{4}})\b")
_DATELINE_START = re.compile(r"^[A-Z][A-Z .'-]{2,}(?:,[^\n—–-]{0,40})?\s*[—–-]\s")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


@dataclass(frozen=True)
class Document:
    """One article: its text and what is known about where it came from."""

    doc_id: str
    text: str
    path: str
    title: str | None
    date: str | None
    source: str | None
    url: str | None
    content_hash: str

    def info(self) -> DocumentInfo:
        """The document metadata the graph stores."""
        return DocumentInfo(
            id=self.doc_id,
            title=self.title,
            date=self.date,
            source=self.source,
            url=self.url,
            content_hash=self.content_hash,
        )


@dataclass(frozen=True)
class SkippedDocument:
    """A file (or JSONL line) that was not read, and why."""

    path: str
    reason: str


def content_hash(text: str) -> str:
    """sha256 hex of the text (the extraction cache key).

    >>> content_hash("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_article(path: Path) -> bool:
    """Whether a file name looks like an article milgraph reads.

    >>> is_article(Path("a.txt")), is_article(Path("x.statements.jsonl"))
    (True, False)
    >>> is_article(Path("README.md")), is_article(Path("a.gold.json"))
    (False, False)
    """
    name = path.name.lower()
    if name.startswith("readme") or name.startswith("."):
        return False
    if any(name.endswith(s) for s in NOT_ARTICLES):
        return False
    return path.suffix.lower() in ARTICLE_SUFFIXES


def find_articles(paths: Iterable[Path]) -> list[Path]:
    """Article files named by `paths`, directories walked recursively, sorted, unique.

    A file named explicitly is kept if it has an article suffix; README files, gold
    annotations and curated ``*.statements.jsonl`` files are never articles.
    """
    found: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.is_file() and is_article(p))
        elif path.is_file() and is_article(path):
            found.add(path)
    return sorted(found)


def date_from_text(text: str) -> str | None:
    """The date of a dateline in the first lines of an article, as YYYY-MM-DD.

    >>> date_from_text("Title\\n\\nKABUL, Afghanistan, August 2, 2022 — Text")
    '2022-08-02'
    >>> date_from_text("MUZAFFARGARH - The leader was killed") is None
    True
    """
    head = "\n".join(text.strip().splitlines()[:4])[:400]
    match = _DATELINE_DATE.search(head)
    if match is None:
        return None
    month, day, year = _MONTHS[match.group(1).lower()], int(match.group(2)), match.group(3)
    if not 1 <= day <= 31:
        return None
    return f"{year}-{month:02d}-{day:02d}"


def date_from_name(name: str) -> str | None:
    """A YYYY-MM-DD date embedded in a file name.

    >>> date_from_name("ishaq-2015-07-29")
    '2015-07-29'
    >>> date_from_name("report-2015-13-01") is None
    True
    """
    match = _ISO_DATE.search(name)
    if match is None:
        return None
    month, day = int(match.group(2)), int(match.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return match.group(0)


class _TextOnly(HTMLParser):
    """Collects the visible text of an HTML page; script/style/template content dropped.

    Character references are decoded once by the parser (convert_charrefs); nothing is
    re-parsed, so markup inside text never becomes markup.
    """

    SKIP = frozenset({"script", "style", "template", "noscript", "head", "svg", "iframe"})
    BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "article",
            "section",
            "blockquote",
            "header",
            "footer",
            "title",
            "ul",
            "ol",
            "table",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self.SKIP:
            self._skip += 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text (paragraphs separated by blank lines) and the page title.

    >>> html_to_text("<html><head><title>T</title><script>x=1</script></head>"
    ...              "<body><p>A &amp; B</p><style>p{}</style><p>C</p></body></html>")
    ('A & B\\n\\nC', 'T')
    """
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    paragraphs = [re.sub(r"[ \t\r\f\v]+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    body = "\n\n".join(p for p in paragraphs if p)
    title = " ".join("".join(parser.title).split()) or None
    return body, title


def _first_line_title(text: str) -> str | None:
    """A short first line followed by a blank line is the headline."""
    lines = text.strip().split("\n", 2)
    if len(lines) >= 2 and not lines[1].strip() and 0 < len(lines[0]) <= 200:
        first = lines[0].strip().lstrip("#").strip()
        if not _DATELINE_START.match(first) and not first.endswith("."):
            return first
    return None


def _make(path: Path, doc_id: str, text: str, **meta: str | None) -> Document:
    date = meta.get("date") or date_from_text(text) or date_from_name(doc_id)
    return Document(
        doc_id=doc_id,
        text=text,
        path=str(path),
        title=meta.get("title") or _first_line_title(text),
        date=date,
        source=meta.get("source"),
        url=meta.get("url"),
        content_hash=content_hash(text),
    )


def _read_jsonl(path: Path, raw: str, docs: list[Document], skipped: list[SkippedDocument]) -> None:
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            skipped.append(SkippedDocument(where, f"not a JSON object ({exc})"))
            continue
        if not isinstance(data, dict):
            skipped.append(SkippedDocument(where, "expected a JSON object with id and text"))
            continue
        doc_id, text = data.get("id"), data.get("text")
        if not isinstance(doc_id, str | int) or not str(doc_id).strip():
            skipped.append(SkippedDocument(where, "missing 'id' (a non-empty string)"))
            continue
        if not isinstance(text, str) or not text.strip():
            skipped.append(SkippedDocument(where, "missing or empty 'text'"))
            continue
        meta = {
            key: str(data[key]).strip() or None
            for key in ("title", "date", "source", "url")
            if isinstance(data.get(key), str | int)
        }
        if meta.get("date") and date_from_name(str(meta["date"])) is None:
            meta["date"] = None  # not an ISO date: fall back to the dateline
        docs.append(_make(path, str(doc_id).strip(), text, **meta))


def read_documents(
    paths: Iterable[Path],
) -> tuple[list[Document], list[SkippedDocument]]:
    """Read every article under `paths` (see :func:`find_articles`).

    Returns the documents in path order and the files (or JSONL lines) skipped, each
    with a reason: not UTF-8, empty, too large, unreadable, broken JSON line.
    """
    docs: list[Document] = []
    skipped: list[SkippedDocument] = []
    for path in find_articles(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            skipped.append(SkippedDocument(str(path), f"cannot read file: {exc.strerror}"))
            continue
        if len(data) > MAX_FILE_BYTES:
            skipped.append(
                SkippedDocument(str(path), f"larger than {MAX_FILE_BYTES // 1_000_000} MB")
            )
            continue
        try:
            raw = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            skipped.append(
                SkippedDocument(str(path), f"not UTF-8 text (bad byte at offset {exc.start})")
            )
            continue
        if "\x00" in raw:
            skipped.append(SkippedDocument(str(path), "binary file (contains NUL bytes)"))
            continue
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            _read_jsonl(path, raw, docs, skipped)
            continue
        title = None
        if suffix in (".html", ".htm"):
            raw, title = html_to_text(raw)
        if not raw.strip():
            skipped.append(SkippedDocument(str(path), "empty file (no text)"))
            continue
        docs.append(_make(path, path.stem, raw, title=title))
    return docs, skipped
