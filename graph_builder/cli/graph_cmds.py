"""`milgraph load`, `remove-document` and `query`: Neo4j from the RDF, and the Cypher library."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_builder import neo4j_load, queries
from graph_builder.cli.app import app
from graph_builder.cli.common import console, get_ontology, open_driver
from graph_builder.config import DEFAULT_OUT, load_settings
from graph_builder.errors import InputError


@app.command("load")
def load_command(
    trig: Annotated[
        Path,
        typer.Option("--trig", help="The RDF dataset (TriG) written by `milgraph rebuild`."),
    ] = DEFAULT_OUT / "graph.trig",
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Make Neo4j equal to the RDF exactly: delete nodes and relationships it "
            "lacks. Runs as one transaction, so a failure leaves the old graph whole.",
        ),
    ] = False,
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            "--chunk-rows",
            min=1,
            help="With --replace: commit every N changed rows instead of one transaction, "
            "for a server too small for the whole change. NOT atomic: a failure midway "
            "leaves part of the change (rerun the load to complete it).",
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, help="Rows per UNWIND batch (default from config)."),
    ] = None,
) -> None:
    """Load the RDF dataset into Neo4j (idempotent: loading twice changes nothing).

    Creates the uniqueness constraints first, then writes entities, documents and one
    relationship per (subject, predicate, object) with its provenance, in batches.
    Connection: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE.
    """
    settings = load_settings()
    # Connect first: an unreachable Neo4j is reported within seconds, before parsing RDF.
    with open_driver(settings.neo4j) as driver:
        from graph_builder import rdf

        if not trig.exists():
            raise InputError(trig, None, "no RDF dataset here; run `milgraph rebuild` first")

        ontology = get_ontology()
        with console.status(f"reading {trig}..."):
            data = rdf.graph_data(rdf.read_dataset(trig), ontology)
        total = neo4j_load.plan_size(data, ontology)
        with Progress(
            TextColumn("loading Neo4j"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("load", total=total)
            summary = neo4j_load.load_graph(
                driver,
                data,
                ontology,
                database=settings.neo4j.database,
                batch_size=batch_size or settings.batch_size,
                replace=replace,
                max_transaction_rows=chunk_rows,
                on_batch=lambda n: progress.advance(task, n),
            )
        nodes, rels = neo4j_load.graph_counts(driver, settings.neo4j.database)
    console.print(
        f"loaded {summary.entities} entities, {summary.documents} documents, "
        f"{summary.relationships} relationships, {summary.mentions} mentions "
        f"in {summary.seconds:.1f}s"
        + (
            f"; removed {summary.removed_nodes} stale nodes and "
            f"{summary.removed_relationships} stale relationships"
            if replace
            else ""
        )
        + f"\nNeo4j at {settings.neo4j.uri} now holds {nodes} nodes and {rels} relationships",
        highlight=False,
    )


@app.command("remove-document")
def remove_document_command(
    doc_id: Annotated[str, typer.Argument(help="Document id: the article's file stem.")],
) -> None:
    """Remove one document from Neo4j, and exactly what only it supported.

    Relationships keep the support of other documents (their provenance is recomputed),
    relationships left without support are deleted, and so are entities no other document
    mentions. Runs as one transaction.
    """
    settings = load_settings()
    with open_driver(settings.neo4j) as driver:
        summary = neo4j_load.remove_document(driver, doc_id, settings.neo4j.database)
    if not summary.document_found:
        console.print(f"no document {doc_id!r} in Neo4j; nothing removed", highlight=False)
        return
    console.print(
        f"removed document {doc_id!r}: {summary.relationships_deleted} relationships deleted, "
        f"{summary.relationships_updated} kept with other sources, "
        f"{summary.entities_deleted} entities no longer mentioned deleted",
        highlight=False,
    )


def _parse_params(raw: Sequence[str]) -> dict[str, str]:
    params = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(None, None, f"--param expects key=value, got {item!r}")
        params[key.strip()] = value
    return params


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


TABLE_CELL_CHARS = 300  # tables stay readable; --format json/csv give the full text


def _shorten(text: str) -> str:
    return text if len(text) <= TABLE_CELL_CHARS else text[: TABLE_CELL_CHARS - 1] + "…"


def _print_rows(rows: list[dict[str, Any]], fmt: str, title: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    columns = list(rows[0]) if rows else []
    if fmt == "records":  # one block per row: readable in a narrow terminal
        for number, row in enumerate(rows, start=1):
            console.rule(f"{title} #{number}", align="left")
            for column in columns:
                console.print(f"[bold]{column}[/]: {_cell(row.get(column))}", highlight=False)
        if not rows:
            console.print(f"{title}: no rows", highlight=False)
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        typer.echo(buf.getvalue(), nl=False)
        return
    table = Table(title=title, show_lines=True)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_shorten(_cell(row.get(c))) for c in columns))
    console.print(table if rows else f"{title}: no rows", highlight=False)


@app.command("query")
def query_command(
    name: Annotated[
        str | None, typer.Argument(help="Name of a query in queries/ (see --list).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="A query parameter as key=value (repeatable), e.g. group=LeJ."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="Output format: table, records (one block a row), json or csv."
        ),
    ] = "table",
    list_: Annotated[
        bool, typer.Option("--list", help="List the named queries and their parameters.")
    ] = False,
    cypher: Annotated[
        str | None,
        typer.Option("--cypher", help="Ad-hoc Cypher to run instead (read-only; writes refused)."),
    ] = None,
) -> None:
    """Run a named query of the Cypher library, or ad-hoc read-only Cypher, against Neo4j.

    Examples: `milgraph query leaders_of_group --param group=Lashkar-e-Jhangvi`,
    `milgraph query --list`, `milgraph query --cypher "MATCH (n:Person) RETURN n.name"`.
    Everything runs in a read-only transaction.
    """
    if fmt not in ("table", "records", "json", "csv"):
        raise InputError(None, None, f"--format must be table, records, json or csv, got {fmt!r}")
    if list_:
        available = queries.list_queries()
        if fmt == "json":
            typer.echo(
                json.dumps(
                    [
                        {
                            "name": q.name,
                            "answers": q.answers,
                            "params": [
                                {"name": p.name, "type": p.type, "default": p.default}
                                for p in q.params
                            ],
                        }
                        for q in available
                    ],
                    indent=2,
                )
            )
            return
        table = Table(title=f"{len(available)} named queries (queries/*.cypher)", show_lines=True)
        for column in ("name", "answers", "parameters"):
            table.add_column(column, overflow="fold")
        for q in available:
            described = "\n".join(
                f"{p.name} ({p.type}, default {json.dumps(p.default)}) {p.description}"
                for p in q.params
            )
            table.add_row(q.name, q.answers, described)
        console.print(table, highlight=False)
        return
    if (name is None) == (cypher is None):
        raise InputError(None, None, 'give a query NAME, --cypher "..." or --list (one of them)')
    params = _parse_params(param or [])
    if cypher is not None:
        queries.check_read_only(cypher)  # before connecting: refusals need no server
    else:
        assert name is not None
        queries.get_query(name).bind(params)  # unknown names/params fail before connecting
    settings = load_settings()
    with open_driver(settings.neo4j) as driver:
        if cypher is not None:
            rows = queries.run_read_only(driver, cypher, params, settings.neo4j.database)
        else:
            assert name is not None
            rows = queries.run_named_query(driver, name, params, settings.neo4j.database)
    _print_rows(rows, fmt, name or "query")
