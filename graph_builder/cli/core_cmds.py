"""`milgraph rebuild` and `milgraph import`: the whole pipeline from one command."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_builder import out_lock
from graph_builder.cli.app import app
from graph_builder.cli.common import console, get_ontology, open_driver
from graph_builder.config import load_settings
from graph_builder.pipeline import (
    RebuildOptions,
    RebuildResult,
    build_graph,
    check_corpus,
    rebuild,
    warm_extraction,
)
from graph_builder.statements import read_statements

OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Output folder [default: build, or config].")
]
NoNeo4j = Annotated[
    bool, typer.Option("--no-neo4j", help="Build RDF, analytics and exports without loading Neo4j.")
]
Prune = Annotated[
    bool,
    typer.Option(
        "--prune",
        help="Drop statements that break the ontology or shapes (written to rejected.jsonl "
        "with the reason) instead of refusing to build.",
    ),
]
BaseIri = Annotated[
    str | None, typer.Option("--base-iri", help="Base IRI of entity and document IRIs.")
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


@app.command("rebuild")
def rebuild_command(
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus",
            "-c",
            help="Folder of articles (.txt .md .html .jsonl) and curated *.statements.jsonl "
            "[default: the bundled sample corpus, or config].",
        ),
    ] = None,
    out: OutOption = None,
    no_neo4j: NoNeo4j = False,
    prune: Prune = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Processes: extraction and RDF workers; from 2, output files and "
            "communities are also computed beside the main work [default: 1].",
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Statements per Neo4j batch [default: 1000].")
    ] = None,
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            "--chunk-rows",
            min=1,
            help="Commit the Neo4j change every N rows instead of in one transaction, for a "
            "server too small for the whole change. NOT atomic: a failure midway leaves part "
            "of the change (rerun to complete it).",
        ),
    ] = None,
    base_iri: BaseIri = None,
    as_json: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Rebuild the whole graph from a corpus folder: extract, resolve, RDF, Neo4j, analytics.

    Writes statements.jsonl, rejected.jsonl, graph.trig, metrics.csv, graph.graphml,
    graph.gexf and report.html to the output folder, and makes Neo4j equal to the RDF.
    Unchanged articles are not extracted again (cache in OUT/cache). Running it twice
    gives the same graph.
    """
    ontology = get_ontology()
    settings = load_settings()
    options = RebuildOptions(
        corpus=corpus or settings.corpus,
        out=out or settings.out,
        base_iri=base_iri or settings.base_iri,
        prune=prune,
        jobs=jobs or settings.jobs,
        batch_size=batch_size or settings.batch_size,
        database=settings.neo4j.database,
        chunk_rows=chunk_rows,
    )
    with ExitStack() as stack:
        # before any work: a missing corpus, then a folder another rebuild is writing
        check_corpus(options)
        stack.enter_context(out_lock.holding(options.out))
        warm = stack.enter_context(warm_extraction(options, ontology))  # before the driver
        driver = None if no_neo4j else stack.enter_context(open_driver(settings.neo4j))
        progress = stack.enter_context(_progress(quiet or as_json))
        task = progress.add_task("read", total=None)

        def on_stage(name: str) -> None:
            progress.update(task, description=name)

        def on_document() -> None:
            progress.update(task, advance=1)

        result = rebuild(
            options, ontology, driver, on_stage=on_stage, on_document=on_document, warm=warm
        )
    _print_summary(result, quiet, as_json)


@app.command("import")
def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="Statement files in the JSONL interchange format.")
    ],
    out: OutOption = None,
    no_neo4j: NoNeo4j = False,
    prune: Prune = False,
    base_iri: BaseIri = None,
    as_json: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Build the graph from hand-curated statement files (JSONL, one statement a line).

    Every line is checked first: a bad line (broken JSON, unknown predicate, a type that
    does not fit the predicate) stops the import with FILE:LINE and nothing is loaded.
    To combine curated statements with articles, put them in the corpus folder as
    NAME.statements.jsonl and run `milgraph rebuild`.
    """
    ontology = get_ontology()
    statements = [s for path in files for s in read_statements(path, ontology)]
    settings = load_settings()
    options = RebuildOptions(
        out=out or settings.out,
        base_iri=base_iri or settings.base_iri,
        prune=prune,
        batch_size=settings.batch_size,
        database=settings.neo4j.database,
    )
    with ExitStack() as stack:
        driver = None if no_neo4j else stack.enter_context(open_driver(settings.neo4j))
        result = build_graph(statements, [], options, ontology, driver)
        result.curated = len(statements)
    _print_summary(result, quiet, as_json)


def _progress(disable: bool) -> Progress:
    return Progress(
        TextColumn("[bold blue]{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("documents"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=disable,
    )


def summary_dict(result: RebuildResult) -> dict[str, Any]:
    return {
        "documents": result.documents,
        "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        "documents_from_cache": result.cached_documents,
        "rdf_from_cache": result.cached_fragments,
        "statements_extracted": result.extracted,
        "statements_curated": result.curated,
        "statements": result.statements,
        "rejected": len(result.rejected),
        "rejected_by_reason": _count_reasons(result),
        "entities_by_type": dict(sorted(result.entities_by_type.items())),
        "relations": result.relations,
        "neo4j": (
            {"nodes": result.neo4j_counts[0], "relationships": result.neo4j_counts[1]}
            if result.neo4j_counts
            else None
        ),
        "top_central": [
            {"name": r["name"], "type": r["type"], "betweenness": r["betweenness"]}
            for r in result.top_central
        ],
        "seconds": result.timings,
        "notes": result.notes,
        "outputs": {k: str(v) for k, v in result.outputs.items()},
    }


def _count_reasons(result: RebuildResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rejection in result.rejected:
        counts[rejection.reason] = counts.get(rejection.reason, 0) + 1
    return counts


def _print_summary(result: RebuildResult, quiet: bool, as_json: bool) -> None:
    data = summary_dict(result)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    if quiet:
        return
    table = Table(title="milgraph build", show_header=False, title_justify="left")
    table.add_row(
        "documents",
        f"{data['documents']} ({data['documents_from_cache']} extracted from cache, "
        f"{data['rdf_from_cache']} RDF from cache)",
    )
    for item in data["skipped"]:
        table.add_row("skipped", f"{item['path']}: {item['reason']}")
    table.add_row(
        "statements",
        f"{data['statements']} ({data['statements_extracted']} extracted, "
        f"{data['statements_curated']} curated, {data['rejected']} rejected)",
    )
    for reason, count in data["rejected_by_reason"].items():
        table.add_row("  rejected", f"{count} × {reason}")
    table.add_row(
        "entities", ", ".join(f"{t} {n}" for t, n in data["entities_by_type"].items()) or "none"
    )
    table.add_row("relations", str(data["relations"]))
    if data["neo4j"]:
        table.add_row(
            "neo4j",
            f"{data['neo4j']['nodes']} nodes, {data['neo4j']['relationships']} relationships",
        )
    for row in data["top_central"]:
        table.add_row(
            "central", f"{row['name']} ({row['type']}) betweenness {row['betweenness']:.3f}"
        )
    for note in data["notes"]:
        table.add_row("note", note)
    table.add_row("time", ", ".join(f"{k} {v:.2f}s" for k, v in data["seconds"].items()))
    table.add_row("outputs", str(Path(data["outputs"].get("rdf", ".")).parent))
    console.print(table)


@app.command("config")
def config_command(as_json: JsonOut = False) -> None:
    """Show the effective configuration (defaults, milgraph.toml or the tool.milgraph table in
    pyproject.toml, then NEO4J_* and MILGRAPH_* environment variables), secrets masked."""
    shown = load_settings().masked()
    if as_json:
        print(json.dumps(shown, indent=2))
        return
    table = Table(show_header=False, title="milgraph configuration", title_justify="left")
    for key, value in shown.items():
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                table.add_row(f"{key}.{sub}", str(sub_value))
        else:
            table.add_row(key, str(value))
    console.print(table)
