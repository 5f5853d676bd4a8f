"""Hostile content stays data, writes are refused, secrets never shown, Neo4j on loopback.

* Names, aliases, evidence and document ids holding Cypher, SPARQL, HTML and XML syntax go
  through the pipeline (``build_graph``, as ``--no-neo4j``) and come out as the same strings:
  escaped in report.html (no element is added to the page), read back unchanged from
  GraphML, GEXF and TriG, and stored by parameters in Neo4j.
* ``run_read_only`` and ``milgraph query --cypher`` refuse writes: by the clause check, and
  (with the check off) by the server itself, since the query runs in a READ transaction.
* The password comes from the environment only and appears in no output, summary, error
  message or file under the build folder.
* The local Neo4j listens on the loopback interface only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph_builder import neo4j_load, neo4j_server, rdf
from graph_builder.config import PROJECT_ROOT, Neo4jSettings
from graph_builder.errors import InputError
from graph_builder.ontology import Ontology, load_ontology
from graph_builder.pipeline import RebuildOptions, build_graph
from graph_builder.queries import run_read_only
from graph_builder.statements import Statement, statement_from_dict
from neo4j import Driver

MILGRAPH = str(Path(sys.executable).with_name("milgraph"))
HOSTILE = (
    "'}) MATCH (n) DETACH DELETE n //",
    '"}) CALL dbms.security.createUser("eve", "pw", false) //',
    "`) SET n.pwned = true RETURN 1 //",
    "{name: $x} $$",  # one dollar sign-pair only: see test_dollar_signs_in_names
    "} ; DROP GRAPH <urn:x> ; INSERT DATA { <a> <b> <c> } #",
    'SELECT ?s WHERE { ?s ?p "x" } # """ \'\'\'',
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "]]></data><data key='d0'>forged</data><![CDATA[",
    "<!DOCTYPE x [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>&xxe;",
    "&amp; &lt;b&gt; &#60;script&#62;",
    "</script><script>alert('x')</script>",
    '> . <urn:x> <urn:y> "z" . <urn:a',  # TriG: close the IRI, add a triple
)


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


def hostile_statements(ontology: Ontology) -> list[Statement]:
    """One statement per hostile string, in every text field that reaches the outputs."""
    out = []
    for number, text in enumerate(HOSTILE):
        out.append(
            statement_from_dict(
                {
                    "doc_id": f"doc {number} {text[:12]}",
                    "subject": f"Person {number} {text}",
                    "subject_type": "Person",
                    "predicate": "member_of",
                    "object": f"Group {number} {text}",
                    "object_type": "MilitantGroup",
                    "evidence": f"Evidence {number}: {text}",
                    "span": None,
                    "modality": "reported",
                    "confidence": 0.8,
                    "attributed_to": f"source {text}",
                },
                ontology,
            )
        )
    return out


def benign_statements(ontology: Ontology) -> list[Statement]:
    return [
        statement_from_dict(
            {**s.to_json(), "subject": f"Person {n}", "object": f"Group {n}", "evidence": "e",
             "attributed_to": "police", "doc_id": f"doc {n}"},
            ontology,
        )
        for n, s in enumerate(hostile_statements(ontology))
    ]  # fmt: skip


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, ontology: Ontology) -> dict[str, Path]:
    """Output folders of a hostile build and of a benign build of the same shape."""
    root = tmp_path_factory.mktemp("security")
    out = {"hostile": root / "hostile", "benign": root / "benign"}
    build_graph(hostile_statements(ontology), [], RebuildOptions(out=out["hostile"]), ontology)
    build_graph(benign_statements(ontology), [], RebuildOptions(out=out["benign"]), ontology)
    return out


class _Elements(HTMLParser):
    """Counts start tags and collects text, as a browser's tokenizer sees the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, int] = {}
        self.text: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(path: Path) -> _Elements:
    parser = _Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_report_escapes_hostile_text(builds: dict[str, Path]) -> None:
    hostile, benign = (
        parse_html(builds["hostile"] / "report.html"),
        parse_html(builds["benign"] / "report.html"),
    )
    # Same elements and attribute names as a page about harmless names: nothing injected.
    assert hostile.tags == benign.tags
    assert sorted(set(hostile.attributes)) == sorted(set(benign.attributes))
    page = (builds["hostile"] / "report.html").read_text(encoding="utf-8")
    for marker in ("<script>alert(", "<img src=x", "</data><data", "<!DOCTYPE x [", "<!ENTITY"):
        assert marker not in page, marker
    # ...and every name is on the page: as table text, or as a string of the JSON payload
    # of the network script (where '<', '>' and '&' are written as \\u003c, ...).
    text = "".join(hostile.text)
    for number, name in enumerate(HOSTILE):
        full = f"Person {number} {name}"
        in_script = (
            json.dumps(full, ensure_ascii=False)[1:-1]
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )
        assert full in text or in_script in text, full


def _names(G: nx.Graph) -> set[str]:
    return {str(attrs.get("label")) for _, attrs in G.nodes(data=True)}


@pytest.mark.parametrize(
    "reader,name", [(nx.read_graphml, "graph.graphml"), (nx.read_gexf, "graph.gexf")]
)
def test_graph_exports_read_back_exact_strings(
    builds: dict[str, Path], reader: Any, name: str
) -> None:
    G = reader(builds["hostile"] / name)
    names = _names(G)
    for number, text in enumerate(HOSTILE):
        assert f"Person {number} {text}" in names
        assert f"Group {number} {text}" in names
    assert G.number_of_nodes() == 2 * len(HOSTILE)  # no node forged by markup in a name
    edge_text = json.dumps([attrs for _, _, attrs in G.edges(data=True)], ensure_ascii=False)
    assert "forged" not in {str(v) for _, _, a in G.edges(data=True) for v in a.values()}
    assert "doc 0 '}) MATCH (n" in edge_text  # document ids kept verbatim


def test_trig_reads_back_exact_strings(builds: dict[str, Path], ontology: Ontology) -> None:
    dataset = rdf.read_dataset(builds["hostile"] / "graph.trig")
    back = {(s.subject, s.object, s.evidence, s.attributed_to, s.doc_id)
            for s in rdf.dataset_statements(dataset, ontology)}  # fmt: skip
    want = {(s.subject, s.object, s.evidence, s.attributed_to, s.doc_id)
            for s in hostile_statements(ontology)}  # fmt: skip
    assert back == want


def test_neo4j_stores_hostile_strings_as_parameters(
    builds: dict[str, Path], ontology: Ontology, neo4j_db: Driver
) -> None:
    data = rdf.graph_data(rdf.read_dataset(builds["hostile"] / "graph.trig"), ontology)
    neo4j_load.load_graph(neo4j_db, data, ontology, replace=True)
    rows = run_read_only(neo4j_db, "MATCH (e:Entity) RETURN e.name AS name", {})
    assert {r["name"] for r in rows} == {e.name for e in data.entities.values()}
    evidence = run_read_only(
        neo4j_db, "MATCH ()-[r:MEMBER_OF]->() RETURN r.evidence AS evidence", {}
    )
    stored = json.dumps([r["evidence"] for r in evidence], ensure_ascii=False)
    for number, text in enumerate(HOSTILE):
        assert json.dumps(f"Evidence {number}: {text}", ensure_ascii=False)[1:-1] in stored
    # Nothing the strings spell out happened: no deletions, no property, no new user.
    counts = neo4j_load.graph_counts(neo4j_db)
    assert counts[0] == len(data.entities) + len(data.documents)
    assert run_read_only(neo4j_db, "MATCH (n) WHERE n.pwned IS NOT NULL RETURN n", {}) == []
    users, _, _ = neo4j_db.execute_query("SHOW USERS YIELD user", database_="system")
    assert "eve" not in {u["user"] for u in users}
    # Parameters in queries are safe too: a hostile value matches itself, nothing else.
    found = run_read_only(
        neo4j_db,
        "MATCH (e:Entity {name: $n}) RETURN e.name AS name",
        {"n": f"Person 0 {HOSTILE[0]}"},
    )
    assert found == [{"name": f"Person 0 {HOSTILE[0]}"}]


WRITES = (
    "CREATE (n:Person {name: 'x'})",
    "MERGE (n:Person {name: 'x'}) RETURN n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n) DELETE n",
    "MATCH (n) SET n.pwned = true",
    "MATCH (n) REMOVE n.name",
    "match (n)\n/* comment */ set n.x = 1",
    "MATCH (n) WITH n CALL { WITH n SET n.x = 1 } RETURN 1",
    "MATCH (n) FOREACH (x IN [1] | SET n.x = x)",
    "CALL dbms.security.createUser('eve', 'password1', false)",
    "CALL db.createLabel('Pwned')",
    "CALL db.createProperty('pwned')",
    "LOAD CSV FROM 'file:///etc/passwd' AS line CREATE (:Line {t: line[0]})",
    "CREATE CONSTRAINT x IF NOT EXISTS FOR (n:X) REQUIRE n.id IS UNIQUE",
    "DROP CONSTRAINT x IF EXISTS",
)


@pytest.mark.parametrize("cypher", WRITES)
def test_run_read_only_refuses_writes(neo4j_db: Driver, cypher: str) -> None:
    """Refused by the clause check, and by the server when the check is off."""
    neo4j_db.execute_query("CREATE (:Person:Entity {id: 'keep', name: 'keep'})")
    before = neo4j_load.graph_counts(neo4j_db)
    refused = 0
    for check in (True, False):
        try:
            run_read_only(neo4j_db, cypher, {}, check=check)
        except InputError as exc:
            assert check and "read-only" in str(exc)
            refused += 1
        except Exception as exc:  # the server's refusal (a Neo4jError of the driver)
            assert type(exc).__module__.startswith("neo4j"), exc
            refused += 1
    # CALL db.createLabel/createProperty pass the clause check; the READ transaction
    # is what stops them, and LOAD CSV ... RETURN is a read but reads server files.
    assert refused == 2 or (refused == 1 and "CALL db." in cypher), cypher
    assert neo4j_load.graph_counts(neo4j_db) == before
    props, _, _ = neo4j_db.execute_query("MATCH (n) RETURN properties(n) AS p")
    assert [r["p"] for r in props] == [{"id": "keep", "name": "keep"}]


def test_server_refuses_load_csv_of_local_files(neo4j_db: Driver) -> None:
    with pytest.raises(InputError):
        run_read_only(neo4j_db, "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", {})
    with pytest.raises(Exception) as info:  # the server's own refusal, check off
        run_read_only(
            neo4j_db, "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l LIMIT 1", {}, check=False
        )
    assert type(info.value).__module__.startswith("neo4j")


def test_read_only_still_reads(neo4j_db: Driver) -> None:
    neo4j_db.execute_query("CREATE (:Person:Entity {id: 'a', name: 'CREATE'})")
    rows = run_read_only(neo4j_db, "MATCH (n {name: 'CREATE'}) RETURN n.id AS id // DELETE", {})
    assert rows == [{"id": "a"}]


def _run(*args: str, env: dict[str, str], cwd: Path = PROJECT_ROOT) -> tuple[int, str]:
    proc = subprocess.run(
        [MILGRAPH, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_dollar_signs_in_names(tmp_path: Path, ontology: Ontology) -> None:
    statement = statement_from_dict(
        {**hostile_statements(ontology)[0].to_json(), "object": "Group $password {name: $x}"},
        ontology,
    )
    build_graph([statement], [], RebuildOptions(out=tmp_path), ontology)
    assert "Group $password {name: $x}" in _names(nx.read_graphml(tmp_path / "graph.graphml"))


def test_cli_query_refuses_writes_before_connecting(tmp_path: Path) -> None:
    env = {**os.environ, "NEO4J_URI": "bolt://127.0.0.1:1", "COLUMNS": "200"}
    for cypher in (
        "CREATE (n)",
        "MATCH (n) DETACH DELETE n",
        "LOAD CSV FROM 'file:///x' AS l RETURN l",
    ):
        code, output = _run("query", "--cypher", cypher, env=env)
        assert code != 0 and "read-only" in output and "Traceback" not in output, output


def _files_containing(root: Path, secret: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and secret in p.read_bytes()]


@pytest.mark.neo4j
def test_password_never_shown(
    tmp_path: Path, neo4j_driver: Driver, neo4j_settings: Neo4jSettings
) -> None:
    """A unique NEO4J_PASSWORD: not in any output, summary, error or file under build/."""
    secret = f"S3cret-{uuid.uuid4().hex}"
    out = tmp_path / "build"
    statements = tmp_path / "c.statements.jsonl"
    statements.write_text(
        (PROJECT_ROOT / "corpus" / "curated.statements.jsonl").read_text().splitlines()[0] + "\n"
    )
    env = {**os.environ, "NEO4J_PASSWORD": secret, "MILGRAPH_OUT": str(out), "COLUMNS": "300"}
    outputs = []
    for args in (
        ("config",),
        ("config", "--json"),
        ("neo4j", "status", "--build-dir", str(out)),
        ("import", str(statements), "--no-neo4j", "--json"),
        ("import", str(statements), "--no-neo4j"),
    ):
        code, output = _run(*args, env=env, cwd=tmp_path)
        assert code == 0, (args, output)
        outputs.append(output)
    # Wrong password against the real server: one failed login (Neo4j locks the user
    # out after three), reported without the password.
    env_auth = {**env, "NEO4J_URI": neo4j_settings.uri}
    code, output = _run("query", "--cypher", "MATCH (n) RETURN count(n)", env=env_auth)
    assert code != 0 and "credentials" in output and "Traceback" not in output, output
    outputs.append(output)
    assert all(secret not in o for o in outputs)
    assert "********" in outputs[0]
    assert _files_containing(out, secret.encode()) == []
    assert _files_containing(tmp_path, secret.encode()) == []
    # The server's own log (under the local build folder) has no password either.
    for log in (
        PROJECT_ROOT / "build" / "neo4j",
        Path(os.environ.get("MILGRAPH_TEST_BUILD_DIR", "/nonexistent")) / "neo4j",
    ):
        if log.is_dir():
            assert not any(secret.encode() in p.read_bytes() for p in log.glob("*.log"))
    assert secret not in repr(Neo4jSettings(password=secret))


def _listeners() -> list[tuple[str, int, str]]:
    """(hex local address, port, socket inode) of every LISTEN socket, from /proc/net."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A":  # LISTEN
                found.append((address, int(hex_port, 16), fields[9]))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _is_loopback(address: str) -> bool:
    """/proc/net hex address (little-endian words) -> loopback?"""
    words = [bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8)]
    raw = b"".join(words)
    if len(raw) == 4:
        return raw[0] == 127
    return raw == bytes(15) + b"\x01" or (raw[:12] == bytes(10) + b"\xff\xff" and raw[12] == 127)


@pytest.mark.neo4j
def test_local_neo4j_listens_on_loopback_only(
    neo4j_driver: Driver, neo4j_settings: Neo4jSettings
) -> None:
    port = int(neo4j_settings.uri.rsplit(":", 1)[1])
    addresses = [address for address, p, _ in _listeners() if p == port]
    assert addresses, f"nothing listens on {port}"
    assert all(_is_loopback(a) for a in addresses), addresses
    # Every socket the local server's JVM listens on (Bolt, and any other) is loopback.
    build_dir = Path(os.environ.get("MILGRAPH_TEST_BUILD_DIR") or PROJECT_ROOT / "build")
    status = neo4j_server.status(build_dir)
    if not os.environ.get("NEO4J_URI"):
        assert status.running and status.pid is not None
        inodes = _socket_inodes(status.pid)
        own = [address for address, _, inode in _listeners() if inode in inodes]
        assert own and all(_is_loopback(a) for a in own), own
        # The password reaches the JVM by environment, not on its command line (`ps`).
        cmdline = Path(f"/proc/{status.pid}/cmdline").read_bytes()
        assert neo4j_settings.password.encode() not in cmdline


def test_loopback_decoder() -> None:
    assert _is_loopback("0100007F") and not _is_loopback("00000000")
    assert _is_loopback("0000000000000000FFFF00000100007F")
    assert not _is_loopback("00000000000000000000000000000000")
    assert _is_loopback("00000000000000000000000001000000")
