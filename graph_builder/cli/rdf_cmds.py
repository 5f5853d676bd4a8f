"""RDF commands: `validate`, `sparql`, `stats` and `export rdf`, over the TriG dataset."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rdflib import Literal, URIRef
from rdflib.term import Node
from rich.table import Table

from graph_builder.cli.app import app, export_app
from graph_builder.cli.common import console, get_ontology
from graph_builder.config import load_settings
from graph_builder.rdf import (
    FORMATS,
    dataset_stats,
    read_dataset,
    run_sparql,
    write_dataset,
)
from graph_builder.validate import DEFAULT_SHAPES, validate_dataset

TrigOption = Annotated[
    Path | None,
    typer.Option(
        "--trig",
        help="The RDF dataset to read (TriG, N-Quads or JSON-LD by suffix) "
        "[default: graph.trig in the output folder, build/ unless configured].",
    ),
]


def _dataset_path(trig: Path | None) -> Path:
    return trig if trig is not None else load_settings().out / "graph.trig"


def _show(node: Node | None, prefixes: dict[str, str]) -> str:
    """A term as a user reads it: literals as text, IRIs as prefix:name when possible."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        return str(node)
    text = str(node)
    if isinstance(node, URIRef):
        for prefix, ns in prefixes.items():
            if ns and text.startswith(ns) and len(text) > len(ns):
                return f"{prefix}:{text[len(ns) :]}"
    return text


@app.command("validate")
def validate_command(
    trig: TrigOption = None,
    shapes: Annotated[
        Path | None,
        typer.Option("--shapes", help="SHACL shapes file [default: ontology/shapes.ttl]."),
    ] = None,
) -> None:
    """Check the RDF dataset against the SHACL shapes.

    Each violation is printed with the statement and document it comes from, the
    character span of its evidence and the evidence sentence. Exits 1 if any.
    """
    ontology = get_ontology()
    path = _dataset_path(trig)
    ds = read_dataset(path)
    violations = validate_dataset(ds, ontology, shapes or DEFAULT_SHAPES)
    if not violations:
        console.print(f"[green]valid[/]: {path} conforms to the shapes.", highlight=False)
        return
    for v in violations:
        console.print(f"[red]✗[/] {v.describe()}", highlight=False, soft_wrap=True)
        if v.evidence:
            console.print(f"    evidence: {v.evidence!r}", highlight=False, soft_wrap=True)
        if not v.statement_id:
            console.print(f"    node: {v.focus}", highlight=False, soft_wrap=True)
    sources = len({v.doc_id for v in violations if v.doc_id})
    console.print(
        f"[bold red]{len(violations)} violation(s)[/] in {sources} document(s) of {path}",
        highlight=False,
    )
    raise typer.Exit(1)


@app.command("sparql")
def sparql_command(
    query: Annotated[
        str,
        typer.Argument(help="A SPARQL query, or a file holding one (e.g. queries/sparql/*.rq)."),
    ],
    trig: TrigOption = None,
    output: Annotated[
        str, typer.Option("--format", "-f", help="How to print the result: table or csv.")
    ] = "table",
) -> None:
    """Run a SPARQL query over the RDF dataset, without Neo4j.

    The default graph is the union of all graphs; the prefixes mg, prov, skos, dcterms,
    rdf, rdfs and xsd are predeclared. Only queries (SELECT, ASK, CONSTRUCT, DESCRIBE)
    run; the dataset file is never changed.
    """
    if output not in ("table", "csv"):
        raise typer.BadParameter(f"expected table or csv, got {output!r}", param_hint="--format")
    candidate = Path(query)
    text = (
        candidate.read_text(encoding="utf-8")
        if len(query) < 4096 and candidate.is_file()
        else query
    )
    ds = read_dataset(_dataset_path(trig))
    columns, rows = run_sparql(ds, text)
    prefixes = {p: str(ns) for p, ns in ds.namespaces()}
    shown = [[_show(cell, prefixes) for cell in row] for row in rows]
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(shown)
        return
    table = Table(*columns, show_lines=False)
    for row in shown:
        table.add_row(*row)
    console.print(table)
    console.print(f"{len(rows)} row(s)", highlight=False)


@app.command("stats")
def stats_command(
    trig: TrigOption = None,
    merges: Annotated[
        bool, typer.Option("--merges", help="Also list every entity-resolution decision.")
    ] = False,
) -> None:
    """Summarise the RDF dataset: documents, statements, entities by type, relations by
    predicate, and the entities that have aliases (with --merges, how they were merged)."""
    ontology = get_ontology()
    path = _dataset_path(trig)
    stats = dataset_stats(read_dataset(path), ontology)
    modalities = ", ".join(f"{m} {n}" for m, n in stats.assertions_by_modality.items())
    console.print(f"[bold]{path}[/]", highlight=False)
    console.print(f"documents: {stats.documents}", highlight=False)
    console.print(f"statements: {stats.assertions} ({modalities})", highlight=False)

    counts = Table("entity type", "count", title="Entities")
    for type_name, n in stats.entities_by_type.items():
        counts.add_row(type_name, str(n))
    console.print(counts)
    relations = Table("predicate", "relations", title="Relations (denied excluded)")
    for predicate, n in stats.relations_by_predicate.items():
        relations.add_row(predicate, str(n))
    console.print(relations)
    aliases = Table("type", "entity", "aliases", title="Entities with aliases")
    for entity in stats.entities_with_aliases:
        aliases.add_row(entity.type, entity.name, "; ".join(entity.aliases))
    console.print(aliases)
    if merges:
        table = Table("entity", "merged name", "rule", "merged?", "reason", title="Merge decisions")
        for d in stats.merges:
            table.add_row(
                f"{d.canonical} ({d.entity_type})",
                d.merged,
                d.rule,
                "yes" if d.applied else "[yellow]kept apart[/]",
                d.reason,
            )
        console.print(table)
        applied = sum(d.applied for d in stats.merges)
        console.print(
            f"{applied} merge(s), {len(stats.merges) - applied} kept apart", highlight=False
        )


@export_app.command("rdf")
def export_rdf_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="trig, nquads or jsonld.")] = "trig",
    trig: TrigOption = None,
) -> None:
    """Write the RDF dataset (named graphs included) as TriG, N-Quads or JSON-LD."""
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"expected trig, nquads or jsonld, got {fmt!r}", param_hint="--format"
        )
    ds = read_dataset(_dataset_path(trig))
    write_dataset(ds, output, fmt)
    quads = sum(1 for _ in ds.quads((None, None, None, None)))
    console.print(f"wrote {output} ({fmt}, {quads} quads)", highlight=False)
