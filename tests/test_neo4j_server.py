"""The bundled local Neo4j: start, reuse, loopback-only binding, clean stop."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from graph_builder import neo4j_server
from graph_builder.config import LOCAL_PASSWORD, LOCAL_USER
from graph_builder.errors import Neo4jUnavailable
from neo4j import Driver, GraphDatabase


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _non_loopback_addresses() -> list[str]:
    """This machine's own IPv4 addresses other than 127.x (empty when it has none)."""
    found = set()
    for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
        found.add(str(info[4][0]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:  # no packet is sent: connect() on UDP only picks the outgoing interface
            probe.connect(("192.0.2.1", 9))
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return sorted(a for a in found if not a.startswith("127."))


def test_status_of_a_fresh_build_dir_is_not_running(tmp_path: Path) -> None:
    result = neo4j_server.status(tmp_path)
    assert not result.running and result.pid is None
    assert result.home == tmp_path.resolve() / "neo4j"
    assert neo4j_server.stop(tmp_path) is False


def test_start_refuses_a_port_held_by_another_process(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(Neo4jUnavailable, match=f"port {port}"):
            neo4j_server.start(tmp_path, port=port)
    assert not neo4j_server.status(tmp_path).running


def test_short_password_is_refused_before_starting(tmp_path: Path) -> None:
    with pytest.raises(Neo4jUnavailable, match="8 characters"):
        neo4j_server.start(tmp_path, port=_free_port(), password="short")


@pytest.mark.neo4j
def test_lifecycle_start_twice_loopback_only_and_clean_stop(tmp_path: Path) -> None:
    port = _free_port()
    first = neo4j_server.start(tmp_path, port=port, heap="384m", pagecache="64m")
    try:
        assert first.running and first.started and first.pid
        again = neo4j_server.start(tmp_path, port=port)
        assert (again.started, again.pid) == (False, first.pid)
        assert neo4j_server.status(tmp_path).pid == first.pid

        with GraphDatabase.driver(first.uri, auth=(LOCAL_USER, LOCAL_PASSWORD)) as driver:
            records, _, _ = driver.execute_query("RETURN 41 + 1 AS answer")
            assert records[0]["answer"] == 42
        for address in _non_loopback_addresses():
            with socket.socket() as sock:
                sock.settimeout(2)
                assert sock.connect_ex((address, port)) != 0, f"Bolt reachable on {address}"
    finally:
        stopped = neo4j_server.stop(tmp_path)
    assert stopped
    assert not neo4j_server.status(tmp_path).running
    assert "milgraph-neo4j: stopped" in first.log.read_text()  # shutdown hook ran


def test_fixture_gives_a_working_empty_database(neo4j_db: Driver) -> None:
    records, _, _ = neo4j_db.execute_query("MATCH (n) RETURN count(n) AS n")
    assert records[0]["n"] == 0
