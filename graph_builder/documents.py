"""Reading articles: .txt, .md, .html and .jsonl files become :class:`Document` records.

A file that cannot be read as an article (bad encoding, empty, broken JSON line) becomes
a :class:`SkippedDocument` with a reason, so one bad file never stops a corpus run.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import html as html_lib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
# Control characters (form feeds and vertical tabs of PDF or OCR text) that no statement
# or XML export can carry; NUL and lone surrogates are refused before this.
_CONTROL_CHARS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same characters one by one: ~30 substring tests (each a memchr-speed scan) tell a
# text without any (nearly every article) several times faster than the regex scan.
_CONTROL_CHAR_LIST = tuple(
    chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)
)
# Where date_from_text looks: the first 400 characters of the first four lines, joined
# by one "\n" each. They come from at most the first 403 characters of the text (three
# line ends, "\r\n" the longest), so splitting only this many gives the same head.
_HEAD_CHARS = 410
# Errors pathlib's is_dir/is_file take as "no" rather than raise (pathlib._IGNORED_ERRNOS).
_NOT_THERE_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


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
    return _is_article_name(path.name)


def _is_article_name(name: str) -> bool:
    lower = name.lower()
    if lower.startswith(("readme", ".")) or lower.endswith(NOT_ARTICLES):
        return False
    return _suffix(name).lower() in ARTICLE_SUFFIXES


def _suffix(name: str) -> str:
    """``PurePath(name).suffix``, without making a path."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _stem(name: str) -> str:
    """``PurePath(name).stem``, without making a path."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def find_articles(paths: Iterable[Path]) -> list[Path]:
    """Article files named by `paths`, directories walked recursively, sorted, unique.

    A file named explicitly is kept if it has an article suffix; README files, gold
    annotations and curated ``*.statements.jsonl`` files are never articles.
    """
    return [Path(name) for name in _article_files(paths)]


def _article_files(paths: Iterable[Path]) -> list[str]:
    """:func:`find_articles` as path strings, in the same order.

    Walked with :func:`os.scandir`, whose entries know their type: ``rglob("*")`` and an
    ``is_file()`` a file cost a stat call and several Path objects each (0.6 s at 10k).
    """
    found: set[str] = set()
    for path in paths:
        path = Path(path)
        kind = _kind(path)
        if kind == "dir":
            found.update(_article_files_under(str(path)))
        elif kind == "file" and is_article(path):
            found.add(str(path))
    # pathlib orders paths by their parts (case-folded on Windows); on POSIX the parts,
    # taken once a path, give that order without a Path comparison per pair.
    if os.name != "posix":
        return [str(p) for p in sorted(map(Path, found))]
    return sorted(found, key=_posix_parts)


def _posix_parts(name: str) -> tuple[str, ...]:
    """``PurePosixPath(name).parts`` for a path as ``str(Path)`` writes it (no empty or
    "." parts), without making a path: the root ("/", or "//" which POSIX keeps), then
    the names.

    >>> _posix_parts("/tmp/a.txt"), _posix_parts("//srv/a"), _posix_parts("a/b")
    (('/', 'tmp', 'a.txt'), ('//', 'srv', 'a'), ('a', 'b'))
    """
    names = name.lstrip("/")
    root = name[: len(name) - len(names)]
    parts = names.split("/") if names else []
    return (root, *parts) if root else tuple(parts)


def _kind(path: Path) -> str | None:
    """What ``is_dir()`` then ``is_file()`` tell ("dir", "file" or None), from one stat
    call."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno in _NOT_THERE_ERRNOS:
            return None
        raise
    except ValueError:  # a path with a NUL character, as pathlib takes it
        return None
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else None


def _article_files_under(folder: str) -> Iterator[str]:
    """The article files under `folder`, as ``Path(folder).rglob("*")`` then ``is_file()``
    find them: links to folders not followed, folders that deny reading skipped."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except PermissionError:
        return
    for entry in entries:
        if _is_folder(entry):
            yield from _article_files_under(_child(folder, entry.name))
        elif _is_article_name(entry.name) and _is_file(entry, _child(folder, entry.name)):
            yield _child(folder, entry.name)


def _child(folder: str, name: str) -> str:
    """``str(Path(folder) / name)`` for a folder as ``str(Path)`` writes it."""
    if folder == ".":
        return name  # Path(".") / name has no leading "./"
    return f"{folder}{name}" if folder.endswith("/") else f"{folder}/{name}"


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError as exc:
        if exc.errno in _NOT_THERE_ERRNOS:
            return False
        raise


def _is_file(entry: os.DirEntry[str], path: str) -> bool:
    try:
        return entry.is_file()  # no stat call unless the entry is a link
    except OSError:  # e.g. a link loop: DirEntry raises where pathlib says "no"
        return Path(path).is_file()


def date_from_text(text: str) -> str | None:
    """The date of a dateline in the first lines of an article, as YYYY-MM-DD.

    >>> date_from_text("Title\\n\\nKABUL, Afghanistan, August 2, 2022 — Text")
    '2022-08-02'
    >>> date_from_text("MUZAFFARGARH - The leader was killed") is None
    True
    """
    head = "\n".join(text.strip()[:_HEAD_CHARS].splitlines()[:4])[:400]
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


# Where markup may start: a comment, a declaration/processing instruction, an end tag
# or a start tag. Any other '<' is text (HTML5).
_MARKUP = re.compile(r"<(?:!--|[!?/]|[a-zA-Z])")
_TAG_OPEN = re.compile(r"</?[a-zA-Z]")
# A whole start or end tag. Possessive quantifiers: no backtracking, so each tag costs
# time linear in its length, and an unterminated tag is found in one pass to the end.
_TAG = re.compile(
    r"<(/?)([a-zA-Z][^\s/>]*+)"
    r"((?:=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s>]*+)|[^>=]++)*+)>"
)


class _TextOnly:
    """Collects the visible text of an HTML page; script/style/template content dropped.

    A small linear tokenizer after the HTML5 rules rather than :mod:`html.parser`, which in
    Python 3.11 is quadratic on unclosed tags (gh-135462) and raises on ``<![x>``. As in
    HTML5, a tag, comment or script left open at the end of the file ends the page.
    Character references are decoded once (:func:`html.unescape`); nothing is re-parsed,
    so markup inside text never becomes markup.
    """

    SKIP = frozenset({"script", "style", "template", "noscript", "head", "svg", "iframe"})
    # Elements whose content is raw text up to their end tag: never parsed, always dropped.
    RAW = frozenset({"script", "style", "noscript", "iframe", "noembed", "noframes", "xmp"})
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
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0

    def feed(self, html: str) -> None:
        """Tokenize the whole page once, left to right."""
        pos, end = 0, len(html)
        while pos < end:
            match = _MARKUP.search(html, pos)
            if match is None:
                self._data(html[pos:])
                return
            self._data(html[pos : match.start()])
            pos = self._markup(html, match.start())
            if pos < 0:
                return  # left open at the end of the file: the rest is not text

    def _markup(self, html: str, start: int) -> int:
        """Handle the markup at `start`; the position after it, or -1 at an open end."""
        if html.startswith("<!--", start):
            if html.startswith(("<!-->", "<!--->"), start):
                return html.index(">", start) + 1  # an empty comment
            close = html.find("-->", start + 4)
            return close + 3 if close >= 0 else -1
        tag = _TAG.match(html, start)
        if tag is None:
            if _TAG_OPEN.match(html, start):
                return -1  # a tag with no '>' up to the end of the file
            # <!DOCTYPE>, <![CDATA[...]>, <?...>, </ > are bogus comments up to '>'.
            close = html.find(">", start + 2)
            return close + 1 if close >= 0 else -1
        name = tag.group(2).lower()
        if tag.group(1):
            self._end(name)
            return tag.end()
        self._start(name)
        if name in self.RAW or name == "title":
            return self._raw_text(html, name, tag.end())
        if tag.group(3).endswith("/"):
            self._end(name)  # <x/> is a start and an end tag, as html.parser reports it
        return tag.end()

    def _raw_text(self, html: str, name: str, start: int) -> int:
        """Skip to after ``</name>``; a title's text is kept (entities decoded)."""
        close = re.compile(rf"</{name}[\s/>]", re.IGNORECASE).search(html, start)
        content_end = close.start() if close else len(html)
        if name == "title":
            self.title.append(html_lib.unescape(html[start:content_end]))
        if close is None:
            return -1
        self._end(name)
        after = html.find(">", close.end() - 1)
        return after + 1 if after >= 0 else -1

    def _start(self, name: str) -> None:
        if name == "body":
            self._skip = 0  # <body> ends an unclosed <head> (HTML5)
        elif name in self.SKIP and name not in self.RAW:
            self._skip += 1
        if name in self.BLOCK:
            self.parts.append("\n\n")

    def _end(self, name: str) -> None:
        if name in self.SKIP and name not in self.RAW and self._skip:
            self._skip -= 1
        if name in self.BLOCK:
            self.parts.append("\n\n")

    def _data(self, data: str) -> None:
        if data and not self._skip:
            self.parts.append(html_lib.unescape(data))


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text (paragraphs separated by blank lines) and the page title.

    Linear in the size of the page, whatever its markup.

    >>> html_to_text("<html><head><title>T</title><script>x=1</script></head>"
    ...              "<body><p>A &amp; B</p><style>p{}</style><p>C</p></body></html>")
    ('A & B\\n\\nC', 'T')
    >>> html_to_text("<p>a < b &lt;i&gt;</p><p>open <a href='x")
    ('a < b <i>\\n\\nopen', None)
    """
    parser = _TextOnly()
    parser.feed(html)
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


def _plain_field(value: str | None) -> str | None:
    """An id or metadata value without control characters or outer blanks; None if
    nothing is left."""
    return _CONTROL_CHARS.sub(" ", value).strip() or None if value else None


def _without_control_chars(text: str) -> str:
    """The text with each control character a space, one for one (offsets stay put)."""
    if any(char in text for char in _CONTROL_CHAR_LIST):
        return _CONTROL_CHARS.sub(" ", text)
    return text


def _make(path: str, doc_id: str, text: str, **meta: str | None) -> Document:
    """A document of a text its caller has already freed of control characters."""
    meta = {k: _plain_field(v) for k, v in meta.items()}
    date = meta.get("date") or date_from_text(text) or date_from_name(doc_id)
    return Document(
        doc_id=doc_id,
        text=text,
        path=path,
        title=meta.get("title") or _first_line_title(text),
        date=date,
        source=meta.get("source"),
        url=meta.get("url"),
        content_hash=content_hash(text),
    )


def _unfit_text(value: str | None) -> str | None:
    """Why a string decoded from JSON cannot be article text or metadata (None if it can).

    JSON escapes can spell what a UTF-8 file cannot hold: a NUL is binary content (as in
    a file); a lone surrogate cannot be encoded, hashed or exported.

    >>> _unfit_text("ok") is None
    True
    >>> _unfit_text("a\\x00b"), _unfit_text("a\\ud800b")
    ('binary content (contains NUL)', 'lone surrogate U+D800 (not valid Unicode text)')
    """
    if not value:
        return None
    if "\x00" in value:
        return "binary content (contains NUL)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"lone surrogate U+{ord(value[exc.start]):04X} (not valid Unicode text)"
    return None


def _read_jsonl(path: str, raw: str, docs: list[Document], skipped: list[SkippedDocument]) -> None:
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            # ValueError also covers integers past Python's 4300-digit conversion limit.
            skipped.append(SkippedDocument(where, f"not a JSON object ({exc})"[:300]))
            continue
        if not isinstance(data, dict):
            skipped.append(SkippedDocument(where, "expected a JSON object with id and text"))
            continue
        raw_id, text = data.get("id"), data.get("text")
        doc_id = _plain_field(str(raw_id)) if isinstance(raw_id, str | int) else None
        if doc_id is None:
            skipped.append(SkippedDocument(where, "missing 'id' (a non-empty string)"))
            continue
        if isinstance(text, str):
            text = _without_control_chars(text)  # as in read_documents
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
        problem = next(
            (p for value in (str(raw_id), text, *meta.values()) if (p := _unfit_text(value))),
            None,
        )
        if problem:
            skipped.append(SkippedDocument(where, problem))
            continue
        docs.append(_make(path, doc_id, text, **meta))


def read_documents(
    paths: Iterable[Path],
) -> tuple[list[Document], list[SkippedDocument]]:
    """Read every article under `paths` (see :func:`find_articles`).

    Returns the documents in path order and the files (or JSONL lines) skipped, each
    with a reason: not UTF-8, empty, too large, unreadable, broken JSON line.
    """
    docs: list[Document] = []
    skipped: list[SkippedDocument] = []
    for path in _article_files(paths):
        try:
            data = _file_bytes(path)
        except OSError as exc:
            skipped.append(SkippedDocument(path, f"cannot read file: {exc.strerror}"))
            continue
        if data is None:
            skipped.append(SkippedDocument(path, f"larger than {MAX_FILE_BYTES // 1_000_000} MB"))
            continue
        try:
            raw = _utf8_text(data)
        except UnicodeDecodeError as exc:
            skipped.append(
                SkippedDocument(path, f"not UTF-8 text (bad byte at offset {exc.start})")
            )
            continue
        if "\x00" in raw:
            skipped.append(SkippedDocument(path, "binary file (contains NUL bytes)"))
            continue
        if "\r" in raw:  # one scan for the usual text without, not two replace() scans
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        name = os.path.basename(path)
        suffix = _suffix(name).lower()
        if suffix == ".jsonl":
            _read_jsonl(path, raw, docs, skipped)
            continue
        title = None
        if suffix in (".html", ".htm"):
            raw, title = html_to_text(raw)
        # As spaces, one for one, so every offset stays where it was; before judging the
        # text empty ("\x01" is no text).
        raw = _without_control_chars(raw)
        if not raw.strip():
            skipped.append(SkippedDocument(path, "empty file (no text)"))
            continue
        doc_id = _plain_field(_stem(name))
        if doc_id is None:
            skipped.append(SkippedDocument(path, "file name gives no document id"))
            continue
        docs.append(_make(path, doc_id, raw, title=title))
    return docs, skipped


def _file_bytes(path: str) -> bytes | None:
    """The file's bytes; None if larger than MAX_FILE_BYTES. OSError if unreadable."""
    # Size first, and never read more than the limit (the file may be growing).
    size = os.stat(path).st_size
    if size > MAX_FILE_BYTES:
        return None
    # os.read, not open(): no buffered file object to make and close (a third of the
    # reading), and read(n) of a file object sets n bytes aside first. One byte past the
    # size tells a file that grew since the stat; reads go on to the end or the limit.
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = os.read(handle, size + 1)
        while len(data) <= MAX_FILE_BYTES:
            more = os.read(handle, MAX_FILE_BYTES + 1 - len(data))
            if not more:
                break
            data += more
    finally:
        os.close(handle)
    return None if len(data) > MAX_FILE_BYTES else data


def _utf8_text(data: bytes) -> str:
    """``data.decode("utf-8-sig")`` without its codec's Python-level wrapper; the same
    text, and the same error offsets (counted after a byte order mark)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    return data.decode("utf-8")
