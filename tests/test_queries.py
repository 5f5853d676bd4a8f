"""The Cypher library and the query CLI against the real server, on the seed-article graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from neo4j.exceptions import ClientError

from graph_builder.config import Neo4jSettings
from graph_builder.errors import InputError
from graph_builder.model import GraphData
from graph_builder.neo4j_load import graph_counts, load_graph, write_scores
from graph_builder.ontology import Ontology
from graph_builder.queries import (
    QUERIES_DIR,
    check_read_only,
    list_queries,
    parse_query_file,
    run_named_query,
    run_read_only,
)
from neo4j import Driver

SEED_DOC = "ishaq-2015-07-29"
LATER_DOC = "lej-2016-02-01"


@pytest.fixture(scope="module")
def loaded(neo4j_reset: Callable[[], Driver], seed_graph: GraphData, ontology: Ontology) -> Driver:
    """The seed graph, loaded once for this module: its tests only read (or add scores)."""
    driver = neo4j_reset()
    load_graph(driver, seed_graph, ontology)
    return driver


def _run(driver: Driver, name: str, **params: object) -> list[dict]:
    return run_named_query(driver, name, params)


# --------------------------------------------------------------------------- library shape


def test_library_has_the_issue_queries_with_headers() -> None:
    available = {q.name: q for q in list_queries()}
    assert len(available) >= 12
    for name in (
        "leaders_of_group",
        "members_of_group",
        "killed_in_events",
        "linked_groups",
        "shortest_path_people",
        "brokers",
        "successors_of_killed_leader",
        "group_responsible_events",
        "document_support",
        "single_source_alleged",
        "top_entities_by_centrality",
        "co_members",
    ):
        query = available[name]
        assert query.answers and query.cypher.startswith("// name: " + name)
        for param in query.params:  # Browser users need a documented default
            assert param.default is not None and param.description
    assert [p.name for p in available["leaders_of_group"].params] == ["group"]


def test_header_must_declare_every_parameter(tmp_path: Path) -> None:
    bad = tmp_path / "undeclared.cypher"
    bad.write_text(
        '// name: undeclared\n// answers: x\n// params: $a (string, default "") a\n'
        "MATCH (n) WHERE n.name = $a OR n.id = $b RETURN n\n"
    )
    with pytest.raises(InputError, match=r"undeclared.cypher:4: \$b is used but not declared"):
        parse_query_file(bad)
    bad.write_text("// name: undeclared\n// answers: x\n// params: $a (text) oops\nRETURN 1\n")
    with pytest.raises(InputError, match="undeclared.cypher:3: expected"):
        parse_query_file(bad)


def test_unknown_or_mistyped_parameters_are_refused_with_the_valid_ones(
    neo4j_driver: Driver,
) -> None:
    with pytest.raises(InputError, match=r"no parameter \$grp; valid: \$group \(string\)"):
        run_named_query(neo4j_driver, "leaders_of_group", {"grp": "LeJ"})
    with pytest.raises(InputError, match=r"\$hops must be int"):
        run_named_query(neo4j_driver, "linked_groups", {"hops": "two"})
    with pytest.raises(InputError, match="no query named 'nope'; valid: brokers"):
        run_named_query(neo4j_driver, "nope", {})


# --------------------------------------------------------------------------- answers


def test_leaders_of_group_names_ishaq_and_the_acting_leader(loaded: Driver) -> None:
    rows = _run(loaded, "leaders_of_group", group="lej")  # alias, lower case
    leaders = {(r["leader"], r["as"], r["role"]) for r in rows}
    assert ("Malik Muhammad Ishaq", "leader", None) in leaders
    assert ("Ghulam Rasool Shah", "leader", "acting") in leaders
    assert ("Malik Muhammad Ishaq", "founder", "founder") in leaders
    ishaq = next(r for r in rows if r["leader"] == "Malik Muhammad Ishaq" and r["as"] == "leader")
    assert ishaq["n_sources"] == 2 and len(ishaq["evidence"]) == 2
    assert ishaq["killed_in"] == ["Shahwala Jungle shootout (2015-07-29)"]
    assert all(r["evidence"] for r in rows)
    assert [r["first_date"] for r in rows] == sorted(r["first_date"] for r in rows)
    assert _run(loaded, "leaders_of_group", group="LASHKAR-E-JHANGVI") == rows


def test_members_and_co_members(loaded: Driver) -> None:
    members = {r["person"] for r in _run(loaded, "members_of_group", group="Lashkar-e-Jhangvi")}
    assert members == {
        "Malik Muhammad Ishaq",
        "Ghulam Rasool Shah",
        "Muhammad Usman",
        "Haq Nawaz",
        "Asif Chotu",
    }
    co = {(r["co_member"], r["group"]) for r in _run(loaded, "co_members", person="Haq Nawaz")}
    assert co == {(m, "Lashkar-e-Jhangvi") for m in members - {"Haq Nawaz"}}


def test_killed_in_events_with_date_and_place(loaded: Driver) -> None:
    rows = _run(loaded, "killed_in_events", event="shootout")
    assert {r["person"] for r in rows} == {
        "Malik Muhammad Ishaq",
        "Ghulam Rasool Shah",
        "Muhammad Usman",
        "Haq Nawaz",
    }
    assert {(r["event"], r["date"], tuple(r["place"])) for r in rows} == {
        ("Shahwala Jungle shootout", "2015-07-29", ("Shahwala Jungle",))
    }
    ishaq = next(r for r in rows if r["person"] == "Malik Muhammad Ishaq")
    assert ishaq["modality"] == "reported" and ishaq["attributed_to"] == ["police"]
    assert _run(loaded, "killed_in_events", event="no such event") == []


def test_linked_groups_within_n_hops_with_link_kinds(loaded: Driver) -> None:
    one = {r["group"]: r for r in _run(loaded, "linked_groups", group="LeJ", hops=1)}
    assert set(one) == {"Taliban", "al-Qaeda"}
    two = {r["group"]: r for r in _run(loaded, "linked_groups", group="LeJ", hops="2")}
    assert set(two) == {"Taliban", "al-Qaeda", "Islamic State"}
    assert two["Islamic State"]["hops"] == 2
    assert two["Islamic State"]["link_kinds"] == ["ties", "rival"]
    assert two["Islamic State"]["chain"] == ["Lashkar-e-Jhangvi", "al-Qaeda", "Islamic State"]


def test_shortest_path_between_people_has_evidence_per_hop(loaded: Driver) -> None:
    rows = _run(loaded, "shortest_path_people", person_a="Haq Nawaz", person_b="Asif Chotu")
    assert [r["hop"] for r in rows] == [1, 2]
    assert rows[0]["from"] == "Haq Nawaz" and rows[-1]["to"] == "Asif Chotu"
    assert rows[0]["to"] == rows[1]["from"] == "Lashkar-e-Jhangvi"
    assert all(r["evidence"] and r["doc_ids"] for r in rows)
    assert _run(loaded, "shortest_path_people", person_a="Haq Nawaz", person_b="Nobody") == []


def test_brokers_and_successors(loaded: Driver) -> None:
    brokers = _run(loaded, "brokers", min_groups=2)
    assert [(r["person"], sorted(r["groups"])) for r in brokers] == [
        ("Asif Chotu", ["Lashkar-e-Jhangvi", "Taliban"])
    ]
    assert len(_run(loaded, "brokers", min_groups=1)) == 5

    rows = _run(loaded, "successors_of_killed_leader", leader="Malik Ishaq")
    assert {(r["successor"], r["succession"]) for r in rows} == {
        ("Ghulam Rasool Shah", "acting"),
        ("Asif Chotu", "later leader"),
    }
    assert {r["killed_in"] for r in rows} == {"Shahwala Jungle shootout"}


def test_group_responsible_events_claimed_vs_alleged(loaded: Driver) -> None:
    rows = _run(loaded, "group_responsible_events", group="Lashkar-e-Jhangvi")
    found = {(r["event"], r["modality"], r["via"]) for r in rows}
    assert found == {
        ("Quetta bombing", "claimed", "Lashkar-e-Jhangvi"),
        ("attack on the Sri Lankan cricket team", "alleged", "Lashkar-e-Jhangvi"),
        ("attack on the Sri Lankan cricket team", "alleged", "Malik Muhammad Ishaq"),
    }
    assert rows[0]["modality"] == "claimed"  # claimed before alleged


def test_document_support_and_single_source_alleged(loaded: Driver, seed_graph: GraphData) -> None:
    rows = _run(loaded, "document_support", doc_id=LATER_DOC)
    expected = {
        (r.subject_id, r.predicate, r.object_id)
        for r in seed_graph.relations
        if any(s.doc_id == LATER_DOC for s in r.support)
    }
    assert len(rows) == len(expected)
    shared = next(r for r in rows if r["subject"] == "Malik Muhammad Ishaq")
    assert shared["only_this_document"] is False
    assert shared["evidence"] == ["LeJ, once led by Malik Ishaq, has regrouped"]

    weak = _run(loaded, "single_source_alleged")
    assert {(r["subject"], r["relationship"], r["object"]) for r in weak} == {
        ("Malik Muhammad Ishaq", "RESPONSIBLE_FOR", "attack on the Sri Lankan cricket team"),
        ("Lashkar-e-Jhangvi", "RESPONSIBLE_FOR", "attack on the Sri Lankan cricket team"),
        ("Asif Chotu", "MEMBER_OF", "Taliban"),
    }
    assert len(_run(loaded, "single_source_alleged", limit=1)) == 1


def test_top_entities_by_centrality_reads_written_scores(
    loaded: Driver, seed_graph: GraphData
) -> None:
    ids = sorted(seed_graph.entities)
    write_scores(loaded, [{"id": e, "betweenness": i / 100} for i, e in enumerate(ids)])
    rows = _run(loaded, "top_entities_by_centrality", metric="betweenness", limit=3)
    assert [r["score"] for r in rows] == [
        (len(ids) - 1) / 100,
        (len(ids) - 2) / 100,
        (len(ids) - 3) / 100,
    ]
    people = _run(loaded, "top_entities_by_centrality", metric="betweenness", type="Person")
    assert people and {r["type"] for r in people} == {"Person"}
    assert _run(loaded, "top_entities_by_centrality", metric="no_such_score") == []


def test_every_named_query_runs_with_its_defaults(loaded: Driver) -> None:
    for query in list_queries():
        run_named_query(loaded, query.name, {})  # declared defaults bind and the Cypher runs


# --------------------------------------------------------------------------- safety


def test_parameters_carrying_cypher_are_data(loaded: Driver) -> None:
    before = graph_counts(loaded)
    for name, param in (("leaders_of_group", "group"), ("co_members", "person")):
        assert _run(loaded, name, **{param: "x'}) DETACH DELETE n //"}) == []
    assert _run(loaded, "top_entities_by_centrality", metric="x` DETACH DELETE n //") == []
    assert graph_counts(loaded) == before


def test_writes_are_refused_by_the_check_and_by_the_server(loaded: Driver) -> None:
    before = graph_counts(loaded)
    for cypher in ("CREATE (n)", "MATCH (n) DETACH DELETE n", "match (n) set n.x = 1"):
        with pytest.raises(InputError, match="only read-only Cypher"):
            run_read_only(loaded, cypher)
    check_read_only("MATCH (n) WHERE n.name = 'CREATE' RETURN n // DELETE")
    # The READ transaction is the real guard: the server refuses even unchecked writes.
    with pytest.raises(ClientError, match="(?i)write|read"):
        run_read_only(loaded, "CREATE (n:Sneaky) RETURN n", check=False)
    assert graph_counts(loaded) == before
    rows = run_read_only(
        loaded, "MATCH (p:Person) WHERE p.name STARTS WITH $x RETURN p.name AS n", {"x": "Haq"}
    )
    assert rows == [{"n": "Haq Nawaz"}]


# --------------------------------------------------------------------------- CLI


def _milgraph(args: list[str], settings: Neo4jSettings, **env: str) -> subprocess.CompletedProcess:
    environ = {
        **os.environ,
        "NEO4J_URI": settings.uri,
        "NEO4J_USER": settings.user,
        "NEO4J_PASSWORD": settings.password,
        "NEO4J_DATABASE": settings.database,
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "milgraph"), *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def test_cli_query_formats_list_and_refusals(loaded: Driver, neo4j_settings: Neo4jSettings) -> None:
    result = _milgraph(
        ["query", "leaders_of_group", "--param", "group=Lashkar-e-Jhangvi", "--format", "json"],
        neo4j_settings,
    )
    assert result.returncode == 0, result.stderr
    assert "Malik Muhammad Ishaq" in {r["leader"] for r in json.loads(result.stdout)}

    result = _milgraph(
        ["query", "killed_in_events", "-p", "event=shootout", "-f", "csv"], neo4j_settings
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("person,event,date,place") and len(lines) == 5

    before = graph_counts(loaded)
    result = _milgraph(["query", "--cypher", "CREATE (n)"], neo4j_settings)
    assert result.returncode != 0 and "read-only" in result.stderr
    result = _milgraph(["query", "leaders_of_group", "--param", "grp=LeJ"], neo4j_settings)
    assert result.returncode != 0 and "valid: $group" in result.stderr
    assert graph_counts(loaded) == before


def test_cli_commands_fail_fast_when_neo4j_is_unreachable(neo4j_settings: Neo4jSettings) -> None:
    for args in (["load"], ["remove-document", SEED_DOC]):
        started = time.monotonic()
        result = _milgraph(args, neo4j_settings, NEO4J_URI="bolt://127.0.0.1:1")
        elapsed = time.monotonic() - started
        assert result.returncode != 0
        assert "bolt://127.0.0.1:1" in result.stderr, result.stderr
        assert elapsed < 30, f"{args} took {elapsed:.0f}s"


def test_queries_dir_is_the_project_folder() -> None:
    assert QUERIES_DIR.name == "queries" and (QUERIES_DIR / "leaders_of_group.cypher").exists()


def test_cli_query_list_needs_no_server() -> None:
    from typer.testing import CliRunner

    from graph_builder.cli import app

    result = CliRunner().invoke(app, ["query", "--list", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {q["name"]: q for q in json.loads(result.output)}
    assert listed.keys() == {q.name for q in list_queries()}
    assert listed["linked_groups"]["params"][1] == {"name": "hops", "type": "int", "default": 2}
