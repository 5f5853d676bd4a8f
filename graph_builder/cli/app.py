"""The typer application objects; command modules attach their commands to them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="milgraph",
    help=(
        "Build an evidence-backed knowledge graph of militant-group networks from news "
        "reports: extract statements, map them onto the ontology, store them as RDF, load "
        "Neo4j, analyse with networkx and export for Gephi."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
export_app = typer.Typer(
    help="Export the graph: graphml, gexf, csv (Gephi, spreadsheets) or rdf.",
    no_args_is_help=True,
)
neo4j_app = typer.Typer(
    help="Run the bundled local Neo4j server (Community 5.26, Bolt on 127.0.0.1).",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")
app.add_typer(neo4j_app, name="neo4j")
