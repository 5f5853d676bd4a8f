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
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_builder import neo4j_server
from graph_builder.config import LOCAL_PASSWORD, PROJECT_ROOT, Neo4jSettings
from graph_builder.errors import Neo4jUnavailable
from neo4j import Driver, GraphDatabase

NEO4J_FIXTURES = {"neo4j_driver", "neo4j_db"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that touches Neo4j carries the `neo4j` marker, even if its author forgot."""
    for item in items:
        if NEO4J_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.neo4j)


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


@pytest.fixture
def neo4j_db(neo4j_driver: Driver, neo4j_settings: Neo4jSettings) -> Driver:
    """The session driver, with the database emptied before the test."""
    empty_database(neo4j_driver, neo4j_settings.database)
    return neo4j_driver
