"""Bad-input campaign over every reader of outside files (hypothesis).

Readers: the statements reader, the article readers (txt/md/html/jsonl), the alias table and
the RDF dataset reader (plus ``graph_data`` on what it parsed, as ``milgraph load`` does).
The property is the same for all: a file ends in a :class:`MilgraphError` that names it
(and the line, where there is one) or is handled correctly; never another exception type,
a hang or memory that grows with the file rather than with what is kept.

Each test counts the inputs it tried in ``TRIED``; the module prints the totals per reader
at the end (``pytest -s``), and ``--hypothesis-show-statistics`` gives the details.
Known bugs in modules owned by others are pinned by ``xfail(strict=True)`` tests that name
the owner module, so they turn into failures the day they are fixed.
"""

from __future__ import annotations

import codecs
import json
import re
import signal
import socket
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from graph_builder import rdf
from graph_builder.documents import MAX_FILE_BYTES, html_to_text, read_documents
from graph_builder.errors import InputError, MilgraphError
from graph_builder.model import GraphData
from graph_builder.ontology import Ontology, load_ontology
from graph_builder.resolve import AliasTable, load_alias_table
from graph_builder.statements import (
    MAX_LINE_CHARS,
    OPTIONAL,
    REQUIRED,
    Statement,
    read_statements,
    statement_from_dict,
    write_statements,
)

ONTOLOGY: Ontology = load_ontology()
TRIED: Counter[str] = Counter()
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
BIG = 50 * 1024 * 1024  # the single-line file of the campaign

GOOD: dict[str, Any] = {
    "doc_id": "ishaq-2015-07-29",
    "subject": "Malik Muhammad Ishaq",
    "subject_type": "Person",
    "predicate": "leader_of",
    "object": "Lashkar-e-Jhangvi",
    "object_type": "MilitantGroup",
    "evidence": "Police said LeJ chief Malik Muhammad Ishaq was taken into custody.",
    "span": [10, 75],
    "modality": "reported",
    "confidence": 0.9,
    "attributed_to": "police",
}
# Query and markup languages a hostile or careless source may put in a name.
INJECTIONS = (
    "'}) MATCH (n) DETACH DELETE n //",
    '"}) CALL dbms.security.createUser("x", "y", false) //',
    "`) RETURN 1 UNION MATCH (n) SET n.pwned = true //",
    "$password",
    "} ; DROP GRAPH <urn:x> ; INSERT DATA { <a> <b> <c> } #",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "]]><!ENTITY xxe SYSTEM 'file:///etc/passwd'>&xxe;",
    "</data></node><node id='x'>",
    "&amp;&lt;&#x3C;&lol9;",
    "{{7*7}} ${7*7} %s %n",
    "Robert'); DROP TABLE statements;--",
    "\u202eevil\u202c name",  # right-to-left override: text, not a control character
)


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    """Print how many inputs each reader was given (visible with ``pytest -s``)."""
    yield
    total = ", ".join(f"{reader} {n}" for reader, n in sorted(TRIED.items()))
    print(f"\nfuzz inputs per reader: {total}")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the examples overwrite (hypothesis forbids function-scoped tmp_path)."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def big_line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50 MB file with no newline, generated once."""
    path = tmp_path_factory.mktemp("big") / "one-line.bin"
    chunk = b'{"subject": "' + b"A" * (1024 * 1024 - 13)
    with path.open("wb") as out:
        for _ in range(BIG // len(chunk)):
            out.write(chunk)
    return path


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts a parser stuck on a pathological input."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def peak_memory(call: Callable[[], object]) -> int:
    """Peak bytes Python allocated while `call` ran."""
    tracemalloc.start()
    try:
        try:
            call()
        except MilgraphError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def names_file(exc: InputError, path: Path, line: int | None = None) -> None:
    """The error names the file, and the line when one is expected."""
    assert exc.path == str(path), exc
    assert str(exc).startswith(str(path)), exc
    if line is not None:
        assert exc.line == line, exc


# --------------------------------------------------------------------------- strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(INJECTIONS)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Text a name may hold: anything printable (XML cannot carry controls or U+FFFE/U+FFFF).
printable = st.characters(
    codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff"
)
hostile_text = st.sampled_from(INJECTIONS) | st.text(printable, min_size=1, max_size=40).filter(
    str.strip
)


@st.composite
def statement_lines(draw: st.DrawFn) -> str:
    """A statement line, often broken: a field changed, dropped or added, or cut short."""
    data = dict(GOOD)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(("set", "drop", "add", "name")))
        key = draw(st.sampled_from(REQUIRED + OPTIONAL))
        if kind == "set":
            data[key] = draw(json_values)
        elif kind == "drop":
            data.pop(key, None)
        elif kind == "add":
            data[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        else:
            data[key] = draw(hostile_text)
    line = json.dumps(data, ensure_ascii=draw(st.booleans()), allow_nan=True)
    if draw(st.integers(0, 4)) == 0:
        line = line[: draw(st.integers(0, len(line)))]
    return line


ENCODINGS = ("utf-8", "utf-16", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig")


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


# --------------------------------------------------------------------------- statements


def check_statements_file(path: Path, n_lines: int) -> list[Statement] | None:
    """Read `path`; an InputError must name it and a line in 1..n_lines (when it has lines)."""
    TRIED["statements"] += 1
    try:
        return read_statements(path, ONTOLOGY)
    except InputError as exc:
        names_file(exc, path)
        if n_lines:
            assert exc.line is not None and 1 <= exc.line <= n_lines + 1, exc
        return None


@FAST
@given(good=st.integers(0, 3), bad=statement_lines(), encoding=st.sampled_from(ENCODINGS))
def test_statements_reader_names_file_and_line(
    work: Path, good: int, bad: str, encoding: str
) -> None:
    path = work / "s.statements.jsonl"
    text = "\n".join([json.dumps(GOOD)] * good + [bad]) + "\n"
    path.write_bytes(encode(text, encoding))
    statements = check_statements_file(path, good + 1)
    if statements is None:
        return
    # Correct handling: every line kept, and the file round-trips unchanged.
    assert len(statements) == good + (1 if bad.strip() else 0)  # blank lines are allowed
    copy = work / "copy.jsonl"
    write_statements(statements, copy)
    assert read_statements(copy, ONTOLOGY) == statements


@FAST
@given(data=st.binary(max_size=3000))
def test_statements_reader_on_arbitrary_bytes(work: Path, data: bytes) -> None:
    path = work / "b.statements.jsonl"
    path.write_bytes(data)
    check_statements_file(path, data.count(b"\n") + data.count(b"\r") + 1)


@settings(max_examples=40, deadline=None, database=None)
@given(
    depth=st.integers(1, 200_000),
    opener=st.sampled_from(("[", '{"a":')),
    prefix=st.sampled_from(("", json.dumps(GOOD) + "\n")),
)
def test_statements_reader_deep_json(work: Path, depth: int, opener: str, prefix: str) -> None:
    closer = "]" if opener == "[" else "}"
    path = work / "deep.statements.jsonl"
    path.write_text(prefix + opener * depth + "1" + closer * depth + "\n", encoding="utf-8")
    line = 2 if prefix else 1
    TRIED["statements"] += 1
    with pytest.raises(InputError) as info:
        read_statements(path, ONTOLOGY)
    names_file(info.value, path, line)


@FAST
@given(
    key=st.sampled_from(("span", "confidence")),
    value=st.one_of(
        st.lists(st.integers(-(2**80), 2**80), min_size=0, max_size=4),
        st.integers(-(2**80), 2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(4000, 6000).map(lambda n: "9" * n),
    ),
)
def test_statements_reader_absurd_numbers(work: Path, key: str, value: Any) -> None:
    """Absurd spans and huge numbers: accepted only when in range, else FILE:LINE."""
    path = work / "n.statements.jsonl"
    data = {**GOOD, key: "@@"}
    raw = value if isinstance(value, str) else json.dumps(value)  # "999..." is a raw integer
    path.write_text(json.dumps(data).replace('"@@"', raw) + "\n", encoding="utf-8")
    statements = check_statements_file(path, 1)
    if statements is not None:
        (statement,) = statements
        if key == "span":
            assert statement.span is not None
            assert 0 <= statement.span[0] <= statement.span[1] <= 2**31 - 1
        else:
            assert 0 <= statement.confidence <= 1


@FAST
@given(predicate=st.text(min_size=1, max_size=50) | st.sampled_from(INJECTIONS))
def test_statements_reader_unknown_predicates_list_valid_ones(work: Path, predicate: str) -> None:
    assume(predicate.strip() not in ONTOLOGY.predicates)
    path = work / "p.statements.jsonl"
    path.write_text(json.dumps({**GOOD, "predicate": predicate}) + "\n", encoding="utf-8")
    TRIED["statements"] += 1
    with pytest.raises(InputError) as info:
        read_statements(path, ONTOLOGY)
    names_file(info.value, path, 1)
    if predicate.strip() and not re.search("[\x00-\x1f\ud800-\udfff\ufffe\uffff]", predicate):
        assert "leader_of" in str(info.value)  # the valid choices are listed


@FAST
@given(name=hostile_text, field=st.sampled_from(("subject", "object", "evidence", "attributed_to")))
def test_statements_reader_keeps_injected_text_as_data(work: Path, name: str, field: str) -> None:
    """Cypher, SPARQL and HTML in names are plain text: kept exactly (stripped), not refused."""
    path = work / "h.statements.jsonl"
    path.write_text(json.dumps({**GOOD, field: name}) + "\n", encoding="utf-8")
    statements = check_statements_file(path, 1)
    assert statements is not None, name
    assert getattr(statements[0], field) == name.strip()


@FAST
@given(
    field=st.sampled_from(("subject", "object", "evidence", "doc_id", "role")),
    char=st.sampled_from(["\x00", "\x01", "\x0b", "\x1b", "\ufffe", "\ud800", "\udfff"]),
)
def test_statements_reader_refuses_control_characters(work: Path, field: str, char: str) -> None:
    """NUL and other characters no XML export can carry stop at the reader, with FILE:LINE."""
    path = work / "c.statements.jsonl"
    path.write_text(
        json.dumps(GOOD) + "\n" + json.dumps({**GOOD, field: f"A{char}B"}) + "\n",
        encoding="utf-8",
    )
    TRIED["statements"] += 1
    with pytest.raises(InputError, match="control character") as info:
        read_statements(path, ONTOLOGY)
    names_file(info.value, path, 2)


def test_statements_reader_raw_nul_and_truncated_utf8(tmp_path: Path) -> None:
    path = tmp_path / "raw.statements.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"doc_id": "a\x00b"}\n')
    with pytest.raises(InputError, match="broken JSON") as info:
        read_statements(path, ONTOLOGY)
    names_file(info.value, path, 2)
    path.write_bytes(
        json.dumps(GOOD).encode() + b"\n" + json.dumps(GOOD).encode()[:-3] + b"\xe2\x82"
    )
    with pytest.raises(InputError) as info:
        read_statements(path, ONTOLOGY)
    names_file(info.value, path, 2)
    TRIED["statements"] += 2


def test_statements_reader_50mb_single_line_bounded_memory(big_line: Path) -> None:
    """A 50 MB line is refused at line 1 having read about MAX_LINE_CHARS, not 50 MB."""
    TRIED["statements"] += 1
    with pytest.raises(InputError, match="line longer than") as info:
        read_statements(big_line, ONTOLOGY)
    names_file(info.value, big_line, 1)
    assert peak_memory(lambda: read_statements(big_line, ONTOLOGY)) < 8 * MAX_LINE_CHARS


def test_statements_reader_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "win.statements.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (json.dumps(GOOD) + "\r\n").encode() * 2)
    assert len(read_statements(path, ONTOLOGY)) == 2
    TRIED["statements"] += 1


def test_statement_from_dict_rejects_impossible_dates() -> None:
    for date in ("2015-02-30", "2015-13-01", "0000", "2015-7-1", "20150701"):
        with pytest.raises(InputError, match="ISO date"):
            statement_from_dict({**GOOD, "date": date}, ONTOLOGY, "x.jsonl", 4)
    assert statement_from_dict({**GOOD, "date": "2016-02-29"}, ONTOLOGY).date == "2016-02-29"


# --------------------------------------------------------------------------- documents

SUFFIXES = (".txt", ".md", ".html", ".jsonl")


def check_documents(path: Path) -> tuple[list[Any], list[Any]]:
    """read_documents never raises; each input is a document or a skip naming the file."""
    TRIED[f"documents{path.suffix}"] += 1
    docs, skipped = read_documents([path])
    for skip in skipped:
        assert skip.path == str(path) or skip.path.startswith(f"{path}:"), skip
        assert skip.reason
    for doc in docs:
        assert doc.path == str(path)
        assert doc.text.strip()
        assert "\x00" not in doc.text
        doc.text.encode("utf-8")  # the text can be hashed, cached and exported
    if path.suffix != ".jsonl":
        assert len(docs) + len(skipped) == 1
    return docs, skipped


@FAST
@given(
    data=st.binary(max_size=2000)
    | st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    suffix=st.sampled_from(SUFFIXES),
)
def test_document_readers_on_arbitrary_bytes(work: Path, data: bytes, suffix: str) -> None:
    path = work / f"doc{suffix}"
    path.write_bytes(data)
    with time_limit(20):
        check_documents(path)


@FAST
@given(
    text=st.text(max_size=300),
    encoding=st.sampled_from(ENCODINGS),
    suffix=st.sampled_from(SUFFIXES),
)
def test_document_readers_wrong_encodings(
    work: Path, text: str, encoding: str, suffix: str
) -> None:
    path = work / f"enc{suffix}"
    raw = encode(text, encoding)
    path.write_bytes(raw)
    docs, _ = check_documents(path)
    if suffix in (".txt", ".md") and text.strip() and text.isascii() and "16" in encoding:
        assert docs == []  # UTF-16 of ASCII is full of NUL bytes: never read as text


@st.composite
def hostile_html(draw: st.DrawFn) -> tuple[str, str]:
    """An HTML page with one piece of hostile markup and a marker paragraph that must survive."""
    marker = "Militants attacked the post"
    levels = draw(st.integers(1, 9))
    laughs = "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "lol"}">'
        for i in range(levels + 1)
    )
    attack = draw(
        st.sampled_from(
            (
                f"<!DOCTYPE html [{laughs}]><p>&lol{levels};</p>",
                '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><p>&xxe;</p>',
                '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>',
                "<script>document.write('<p>SECRET-SCRIPT</p>')</script>",
                "<script><!--</script><p>inside</p>--></script>",
                "<style>p::after{content:'SECRET-STYLE'}</style>",
                "<svg><script>alert('SECRET-SVG')</script></svg>",
                "<template><p>SECRET-TEMPLATE</p></template>",
                "<iframe srcdoc='<p>SECRET-IFRAME</p>'></iframe>",
                "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
                "<![CDATA[ <p>cdata</p> ]]>",
                "<?xml-stylesheet href='http://127.0.0.1:9/x.xsl'?>",
                "<p>" + "<b>" * 5000 + "deep" + "</b>" * 5000 + "</p>",
                "<p>unclosed <b><i><u>",
                "&#0;&#x110000;&#xD800;&#99999999999;",
            )
        )
    )
    junk = draw(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=50))
    before = draw(st.booleans())
    body = f"<p>{marker}.</p>"
    # Junk goes last: an unclosed "<!--" in it may rightly swallow what follows.
    page = (attack + body if before else body + attack) + junk
    return f"<html><head><title>T</title></head><body>{page}</body></html>", marker


@FAST
@given(case=hostile_html())
def test_html_reader_never_expands_entities_or_runs_markup(
    work: Path, case: tuple[str, str]
) -> None:
    page, marker = case
    path = work / "hostile.html"
    path.write_text(page, encoding="utf-8")
    with time_limit(20):
        docs, skipped = check_documents(path)
    (doc,) = docs
    assert marker in doc.text
    assert len(doc.text) <= len(page)  # nothing expanded (billion laughs stays small)
    assert "root:x:0:0" not in doc.text  # no external entity was read
    assert not re.search(r"SECRET-(SCRIPT|STYLE|SVG|TEMPLATE)", doc.text)


@FAST
@given(
    fields=st.dictionaries(
        st.sampled_from(("id", "text", "title", "date", "source", "url", "other")),
        json_values.filter(lambda v: not re.search("[\x00\ud800-\udfff]", json.dumps(v))),
        max_size=6,
    ),
)
def test_jsonl_article_reader_on_hostile_fields(work: Path, fields: dict[str, Any]) -> None:
    path = work / "feed.jsonl"
    lines = [json.dumps({"id": "ok", "text": "Fine text."}), json.dumps(fields, allow_nan=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = check_documents(path)
    assert docs[0].doc_id == "ok"
    assert len(docs) + len(skipped) == 2
    assert all(s.path == f"{path}:2" for s in skipped)


def test_document_reader_50mb_single_line(big_line: Path, tmp_path: Path) -> None:
    for suffix in SUFFIXES:
        path = tmp_path / f"huge{suffix}"
        path.symlink_to(big_line)
        docs, skipped = check_documents(path)
        assert docs == [] and f"larger than {MAX_FILE_BYTES // 1_000_000} MB" in skipped[0].reason


def test_document_reader_refuses_oversized_file_without_reading_it(
    big_line: Path, tmp_path: Path
) -> None:
    link = tmp_path / "huge.txt"
    link.symlink_to(big_line)
    assert peak_memory(lambda: read_documents([link])) < MAX_FILE_BYTES // 4


def test_html_reader_is_not_quadratic_on_unclosed_tags() -> None:
    started = time.perf_counter()
    with time_limit(5):
        html_to_text("<a" * 40_000)
    assert time.perf_counter() - started < 5


def test_jsonl_article_reader_huge_integer(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": "x", "n": ' + "9" * 5000 + "}\n", encoding="utf-8")
    docs, skipped = check_documents(path)
    assert docs == [] and skipped[0].path == f"{path}:1"


def test_jsonl_article_reader_escaped_nul(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": "x \\u0000 y"}\n', encoding="utf-8")
    docs, skipped = check_documents(path)
    assert docs == [] and skipped[0].path == f"{path}:1"


def test_jsonl_article_reader_lone_surrogate(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": "x \\ud800 y"}\n', encoding="utf-8")
    docs, skipped = check_documents(path)
    assert docs == [] and skipped[0].path == f"{path}:1"


# --------------------------------------------------------------------------- alias table

ALIAS_HEADER = "type,canonical,alias,action\n"
# Characters that stay inside one CSV field: no quote, no newline, no control character.
field_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters='",'),
    max_size=20,
)


def check_alias_table(path: Path, n_lines: int) -> AliasTable | None:
    TRIED["alias table"] += 1
    try:
        return load_alias_table(path, ONTOLOGY)
    except InputError as exc:
        names_file(exc, path)
        if exc.line is not None:
            assert 1 <= exc.line <= n_lines + 1, exc
        return None


@FAST
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(("Person", "MilitantGroup", "Location", "Nothing", "")),
            field_text,
            field_text,
            st.sampled_from(("merge", "forbid", "MERGE", "drop", "")),
        ).map(lambda r: ",".join(r)),
        max_size=5,
    ),
    extra=st.sampled_from(("", ",x", "#comment", ",,,", "Person,A,B,merge,extra")),
    header=st.sampled_from((ALIAS_HEADER, "", "type;canonical;alias;action\n", "a,b\n")),
    encoding=st.sampled_from(("utf-8", "latin-1", "utf-16")),
)
def test_alias_table_reader_names_file_and_line(
    work: Path, rows: list[str], extra: str, header: str, encoding: str
) -> None:
    path = work / "aliases.csv"
    text = header + "\n".join([*rows, extra]) + "\n"
    path.write_bytes(encode(text, encoding))
    table = check_alias_table(path, text.count("\n"))
    if table is not None:
        assert all(r.action in ("merge", "forbid") and r.canonical and r.alias for r in table.rules)


@FAST
@given(data=st.binary(max_size=1000).filter(lambda b: b'"' not in b and b"\x00" not in b))
def test_alias_table_reader_on_arbitrary_bytes(work: Path, data: bytes) -> None:
    path = work / "aliases-bytes.csv"
    path.write_bytes(data)
    check_alias_table(path, data.count(b"\n") + data.count(b"\r") + 1)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(ALIAS_HEADER + 'Person,"Malik\nIshaq",Ishaq,merge\n', id="quoted-newline"),
        pytest.param(ALIAS_HEADER + 'Person,"' + "A" * 200_000 + '",B,merge\n', id="huge-field"),
        pytest.param(
            ALIAS_HEADER + 'Person,"unterminated,B,merge\nPerson,C,D,merge\n', id="open-quote"
        ),
    ],
)
def test_alias_table_reader_quoted_fields(tmp_path: Path, text: str) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(text, encoding="utf-8")
    check_alias_table(path, text.count("\n"))


def test_alias_table_reader_refuses_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(ALIAS_HEADER + "Person,A\x00B,C,merge\n", encoding="utf-8")
    assert check_alias_table(path, 2) is None


def test_alias_table_reader_on_a_directory(tmp_path: Path) -> None:
    check_alias_table(tmp_path, 0)


def test_alias_table_reader_50mb_single_line(big_line: Path, tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.symlink_to(big_line)
    assert check_alias_table(path, 1) is None


# --------------------------------------------------------------------------- RDF dataset


@pytest.fixture(scope="module")
def valid_trig(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The TriG of a small real dataset, to mutate."""
    from graph_builder import resolve

    statements = [
        statement_from_dict(GOOD, ONTOLOGY),
        statement_from_dict(
            {**GOOD, "predicate": "member_of", "subject": INJECTIONS[0], "span": None}, ONTOLOGY
        ),
    ]
    resolution = resolve.resolve(statements, ONTOLOGY)
    dataset = rdf.build_dataset(resolution, [], ONTOLOGY)
    return rdf.serialize_dataset(dataset)


def check_dataset(path: Path) -> GraphData | None:
    """read_dataset then graph_data (what `milgraph load` does): data or a MilgraphError."""
    TRIED["rdf dataset"] += 1
    try:
        dataset = rdf.read_dataset(path)
    except InputError as exc:
        names_file(exc, path)
        return None
    try:
        return rdf.graph_data(dataset, ONTOLOGY)
    except MilgraphError:
        return None


@FAST
@given(
    cut=st.integers(0, 10**6),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=3)), max_size=3),
)
def test_trig_reader_on_mutated_datasets(
    work: Path, valid_trig: bytes, cut: int, flips: list[tuple[int, bytes]]
) -> None:
    data = bytearray(valid_trig[: cut % (len(valid_trig) + 1)])
    for position, patch in flips:
        if data:
            at = position % len(data)
            data[at : at + len(patch)] = patch
    path = work / "graph.trig"
    path.write_bytes(bytes(data))
    with time_limit(20):
        check_dataset(path)


@FAST
@given(data=st.binary(max_size=2000) | st.text(max_size=400).map(str.encode))
def test_trig_reader_on_garbage(work: Path, data: bytes) -> None:
    path = work / "garbage.trig"
    path.write_bytes(data)
    with time_limit(20):
        check_dataset(path)


def test_trig_reader_round_trip_is_whole(tmp_path: Path, valid_trig: bytes) -> None:
    path = tmp_path / "graph.trig"
    path.write_bytes(valid_trig)
    data = check_dataset(path)
    assert data is not None and len(data.relations) == 2
    assert INJECTIONS[0] in {e.name for e in data.entities.values()}


def test_trig_reader_50mb_single_line(big_line: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.trig"
    path.symlink_to(big_line)
    with time_limit(30):
        assert check_dataset(path) is None


def test_jsonld_reader_makes_no_network_request(tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    port = server.getsockname()[1]
    requests: list[bytes] = []

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            requests.append(conn.recv(1000))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    path = tmp_path / "graph.jsonld"
    path.write_text(
        json.dumps({"@context": f"http://127.0.0.1:{port}/c.jsonld", "@id": "urn:a", "n": "x"}),
        encoding="utf-8",
    )
    try:
        check_dataset(path)
    finally:
        thread.join(timeout=10)
        server.close()
    assert requests == []


def test_decoder_sanity() -> None:
    """The encodings the campaign uses really produce non-UTF-8 bytes (the test can fail)."""
    assert codecs.lookup("utf-16").name == "utf-16"
    with pytest.raises(UnicodeDecodeError):
        encode("é", "latin-1").decode("utf-8")
