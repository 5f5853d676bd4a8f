"""Shared fixtures: a real Neo4j for the tests that need one (never mocked, never skipped).

``neo4j_driver`` uses ``NEO4J_URI`` (with NEO4J_USER/NEO4J_PASSWORD/NEO4J_DATABASE) when it is
set; otherwise it starts the bundled local server (``graph_builder.neo4j_server``) once per
session and stops it at the end only if it started it (``make test`` starts it beforehand).
``MILGRAPH_TEST_BUILD_DIR`` and ``MILGRAPH_TEST_NEO4J_PORT`` move that local server elsewhere,
e.g. to keep a second test session off the first one's database.
When no server can be had, every test that asks for it FAILS with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph_builder import neo4j_server
from graph_builder.config import LOCAL_PASSWORD, PROJECT_ROOT, Neo4jSettings
from graph_builder.errors import Neo4jUnavailable
from graph_builder.model import DocumentInfo, Entity, GraphData, Relation, Support
from graph_builder.ontology import Ontology, load_ontology
from neo4j import Driver, GraphDatabase

NEO4J_FIXTURES = {"neo4j_driver", "neo4j_db", "neo4j_reset"}


# The tests carrying the `neo4j` marker, by node id (a report's keywords also hold its
# parameter ids, so a test of the `neo4j` command's help is not one of them).
_NEO4J_TESTS: set[str] = set()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that touches Neo4j carries the `neo4j` marker, even if its author forgot."""
    for item in items:
        if NEO4J_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.neo4j)
        if item.get_closest_marker("neo4j") is not None:
            _NEO4J_TESTS.add(item.nodeid)


def _local_build_dir() -> Path:
    return Path(os.environ.get("MILGRAPH_TEST_BUILD_DIR") or PROJECT_ROOT / "build")


@pytest.fixture(scope="session")
def neo4j_settings() -> Neo4jSettings:
    """Connection settings: from the environment when NEO4J_URI is set, else the local server."""
    if os.environ.get("NEO4J_URI"):
        return Neo4jSettings.from_env()
    port = int(os.environ.get("MILGRAPH_TEST_NEO4J_PORT") or 7687)
    return Neo4jSettings(
        uri=f"bolt://127.0.0.1:{port}",
        password=os.environ.get("NEO4J_PASSWORD") or LOCAL_PASSWORD,
        database=os.environ.get("NEO4J_DATABASE") or "neo4j",
    )


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_settings: Neo4jSettings) -> Iterator[Driver]:
    """One driver for the session, connected to a real Neo4j (or the test fails)."""
    started_here = False
    build_dir = _local_build_dir()
    if not os.environ.get("NEO4J_URI"):
        port = int(neo4j_settings.uri.rsplit(":", 1)[1])
        try:
            server = neo4j_server.start(
                build_dir=build_dir, port=port, password=neo4j_settings.password
            )
        except Neo4jUnavailable as exc:
            pytest.fail(
                f"Neo4j tests need a server: starting the local one in {build_dir} failed: "
                f"{exc}\nSet NEO4J_URI to use an existing Neo4j instead.",
                pytrace=False,
            )
        started_here = server.started
    driver = GraphDatabase.driver(
        neo4j_settings.uri,
        auth=(neo4j_settings.user, neo4j_settings.password),
        connection_timeout=10.0,
    )
    try:
        driver.verify_connectivity()
    except Exception as exc:  # any driver failure means: no usable server
        driver.close()
        if started_here:
            neo4j_server.stop(build_dir)
        pytest.fail(
            f"Neo4j tests need a server: cannot use {neo4j_settings.uri} as user "
            f"{neo4j_settings.user!r}: {type(exc).__name__}: {exc}",
            pytrace=False,
        )
    try:
        yield driver
    finally:
        driver.close()
        if started_here:
            neo4j_server.stop(build_dir)


def _quote(name: str) -> str:
    """Backtick-quote a schema name read back from the server."""
    return "`" + name.replace("`", "``") + "`"


def empty_database(driver: Driver, database: str) -> None:
    """Delete every node and relationship, constraint and (non-lookup) index."""
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)
    records, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name", database_=database)
    for record in records:
        driver.execute_query(
            f"DROP CONSTRAINT {_quote(record['name'])} IF EXISTS", database_=database
        )
    records, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name", database_=database
    )
    for record in records:
        driver.execute_query(f"DROP INDEX {_quote(record['name'])} IF EXISTS", database_=database)


@pytest.fixture(scope="session")
def neo4j_reset(neo4j_driver: Driver, neo4j_settings: Neo4jSettings) -> Callable[[], Driver]:
    """Empty the database on demand, for module-scoped fixtures that load data once."""

    def reset() -> Driver:
        empty_database(neo4j_driver, neo4j_settings.database)
        return neo4j_driver

    return reset


@pytest.fixture
def neo4j_db(neo4j_driver: Driver, neo4j_settings: Neo4jSettings) -> Driver:
    """The session driver, with the database emptied before the test."""
    empty_database(neo4j_driver, neo4j_settings.database)
    return neo4j_driver


# --------------------------------------------------------------------------- sample graph

SEED_DOC = "ishaq-2015-07-29"
LATER_DOC = "lej-2016-02-01"  # hand-made second source, so removals have something to keep


def _iri(type_name: str, name: str) -> str:
    return f"https://milgraph.org/id/{type_name}/{name.lower().replace(' ', '-')}"


def _seed_graph_data() -> GraphData:
    """A small GraphData modelled on the seed article (Ishaq, LeJ, the shootout) plus a
    hand-made later report, as the RDF stage would hand it to Neo4j."""
    people = {
        "ishaq": ("Malik Muhammad Ishaq", ("Malik Ishaq", "Ishaq")),
        "shah": ("Ghulam Rasool Shah", ()),
        "usman": ("Muhammad Usman", ()),
        "nawaz": ("Haq Nawaz", ()),
        "chotu": ("Asif Chotu", ()),
    }
    groups = {
        "lej": ("Lashkar-e-Jhangvi", ("LeJ",)),
        "taliban": ("Taliban", ()),
        "aq": ("al-Qaeda", ("Al Qaeda",)),
        "is": ("Islamic State", ("ISIS",)),
    }
    others = {
        "shootout": ("Event", "Shahwala Jungle shootout"),
        "srilanka": ("Event", "attack on the Sri Lankan cricket team"),
        "quetta_attack": ("Event", "Quetta bombing"),
        "jungle": ("Location", "Shahwala Jungle"),
        "lahore": ("Location", "Lahore"),
        "quetta": ("Location", "Quetta"),
        "state": ("Organization", "US State Department"),
    }
    entities: dict[str, Entity] = {}
    key_to_id: dict[str, str] = {}
    for key, (name, aliases) in people.items():
        key_to_id[key] = _iri("Person", name)
        entities[key_to_id[key]] = Entity(key_to_id[key], name, "Person", aliases)
    for key, (name, aliases) in groups.items():
        key_to_id[key] = _iri("MilitantGroup", name)
        entities[key_to_id[key]] = Entity(key_to_id[key], name, "MilitantGroup", aliases)
    for key, (type_name, name) in others.items():
        key_to_id[key] = _iri(type_name, name)
        entities[key_to_id[key]] = Entity(key_to_id[key], name, type_name)

    # (doc, subject, predicate, object, modality, evidence, extra qualifiers)
    facts: list[tuple[str, str, str, str, str, str, dict[str, str]]] = [
        (SEED_DOC, "ishaq", "leader_of", "lej", "asserted",
         "Police said Lashkar-e-Jhangvi (LeJ) chief Malik Muhammad Ishaq was taken into custody",
         {"attributed_to": "police"}),
        (SEED_DOC, "ishaq", "founder_of", "lej", "asserted",
         "The militant organisation founded by Ishaq has claimed responsibility",
         {"role": "founder"}),
        (SEED_DOC, "shah", "leader_of", "lej", "asserted",
         "Ghulam Rasool Shah, a hardline LeJ leader who acted as the group's leader when "
         "Ishaq was behind bars", {"role": "acting"}),
        (SEED_DOC, "usman", "member_of", "lej", "reported",
         "Police said a convoy taking the Lashkar-e-Jhangvi (LeJ) detainees to Muzaffargarh",
         {"attributed_to": "police"}),
        (SEED_DOC, "nawaz", "member_of", "lej", "reported",
         "Police said a convoy taking the Lashkar-e-Jhangvi (LeJ) detainees to Muzaffargarh",
         {"attributed_to": "police"}),
        (SEED_DOC, "usman", "relative_of", "ishaq", "asserted",
         "including his sons, Muhammad Usman and Haq Nawaz", {"relation": "son"}),
        (SEED_DOC, "nawaz", "relative_of", "ishaq", "asserted",
         "including his sons, Muhammad Usman and Haq Nawaz", {"relation": "son"}),
        (SEED_DOC, "ishaq", "killed_in", "shootout", "reported",
         "killing Ishaq, his two sons, and 11 others", {"attributed_to": "police"}),
        (SEED_DOC, "usman", "killed_in", "shootout", "reported",
         "killing Ishaq, his two sons, and 11 others", {"attributed_to": "police"}),
        (SEED_DOC, "nawaz", "killed_in", "shootout", "reported",
         "killing Ishaq, his two sons, and 11 others", {"attributed_to": "police"}),
        (SEED_DOC, "shah", "killed_in", "shootout", "asserted",
         "The dead militants included Ghulam Rasool Shah", {}),
        (SEED_DOC, "shootout", "occurred_in", "jungle", "asserted",
         "attacked by Ishaq's aides near Shahwala Jungle", {}),
        (SEED_DOC, "lej", "linked_to", "taliban", "reported",
         "The gang was also in league with the Taliban and Al-Qaeda groups operating in the area",
         {"link_kind": "ties", "attributed_to": "police"}),
        (SEED_DOC, "lej", "linked_to", "aq", "reported",
         "was long seen as close to al-Qaeda", {"link_kind": "ties"}),
        (SEED_DOC, "ishaq", "designated_by", "state", "asserted",
         "The LeJ chief - designated a global terrorist by the US State Department last year", {}),
        (SEED_DOC, "ishaq", "responsible_for", "srilanka", "alleged",
         "Ishaq had been in detention for involvement in the attack on the Sri Lankan cricket "
         "team in Lahore", {}),
        (SEED_DOC, "srilanka", "occurred_in", "lahore", "asserted",
         "the attack on the Sri Lankan cricket team in Lahore", {}),
        (LATER_DOC, "ishaq", "leader_of", "lej", "reported",
         "LeJ, once led by Malik Ishaq, has regrouped", {}),
        (LATER_DOC, "chotu", "leader_of", "lej", "asserted",
         "Asif Chotu now leads Lashkar-e-Jhangvi", {}),
        (LATER_DOC, "chotu", "member_of", "taliban", "alleged",
         "Chotu allegedly fought with the Taliban", {}),
        (LATER_DOC, "lej", "responsible_for", "quetta_attack", "claimed",
         "LeJ claimed the Quetta bombing", {}),
        (LATER_DOC, "lej", "responsible_for", "srilanka", "alleged",
         "LeJ was allegedly behind the attack on the Sri Lankan team", {}),
        (LATER_DOC, "quetta_attack", "occurred_in", "quetta", "asserted",
         "the Quetta bombing", {}),
        (LATER_DOC, "taliban", "linked_to", "aq", "reported",
         "the Taliban, allies of al-Qaeda", {"link_kind": "ally"}),
        (LATER_DOC, "aq", "linked_to", "is", "reported",
         "al-Qaeda and its rival Islamic State", {"link_kind": "rival"}),
    ]  # fmt: skip
    dates = {SEED_DOC: "2015-07-29", LATER_DOC: "2016-02-01"}
    supports: dict[tuple[str, str, str], list[Support]] = {}
    for number, (doc, subj, pred, obj, modality, evidence, extra) in enumerate(facts):
        key = (key_to_id[subj], pred, key_to_id[obj])
        supports.setdefault(key, []).append(
            Support(
                statement_id=f"st{number:03d}",
                doc_id=doc,
                evidence=evidence,
                modality=modality,
                confidence=0.9,
                date=dates[doc],
                **extra,  # type: ignore[arg-type]
            )
        )
    relations = tuple(Relation(s, p, o, tuple(sup)) for (s, p, o), sup in supports.items())
    documents = {
        SEED_DOC: DocumentInfo(
            SEED_DOC, "LeJ chief Malik Ishaq killed", "2015-07-29", "Dawn", None, "a" * 64
        ),
        LATER_DOC: DocumentInfo(LATER_DOC, "LeJ regroups", "2016-02-01", "hand-made", None, None),
    }
    mentions = frozenset((sup.doc_id, e) for rel in relations for sup in rel.support
                         for e in (rel.subject_id, rel.object_id))  # fmt: skip
    return GraphData(entities, relations, documents, mentions)


@pytest.fixture(scope="session")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture(scope="session")
def seed_graph() -> GraphData:
    """Hand-built GraphData modelled on the seed article plus one later report."""
    return _seed_graph_data()


@pytest.fixture
def iri() -> Callable[[str, str], str]:
    """The entity id the sample graph uses for (type, name)."""
    return _iri


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran against the real Neo4j, so a green run shows it."""
    neo4j_reports = [
        report
        for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed")
        if report.when == "call" and report.nodeid in _NEO4J_TESTS
    ]
    if neo4j_reports:
        passed = sum(report.passed for report in neo4j_reports)
        uri = os.environ.get("NEO4J_URI") or "the local Neo4j server (bolt://127.0.0.1)"
        terminalreporter.write_line(
            f"{len(neo4j_reports)} tests ran against the real Neo4j at {uri}: "
            f"{passed} passed, {len(neo4j_reports) - passed} failed"
        )
