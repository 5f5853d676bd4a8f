"""`milgraph analyze`, `milgraph export graphml|gexf|csv` and `milgraph report`.

Thin over graph_builder.views/analysis/linkpred/export/report: each command reads the
RDF dataset once, builds the view and calls one library function.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph_builder import out_lock
from graph_builder.cli.app import app, export_app
from graph_builder.cli.common import console, get_ontology
from graph_builder.errors import InputError
from graph_builder.model import GraphData
from graph_builder.ontology import Ontology

DEFAULT_TRIG = Path("build/graph.trig")

TrigOption = Annotated[
    Path,
    typer.Option("--trig", help="RDF dataset written by `milgraph rebuild` (TriG)."),
]
MinModality = Annotated[
    str,
    typer.Option(
        "--min-modality",
        help="Weakest modality that makes an edge: asserted, reported, claimed or alleged "
        "(e.g. 'reported' drops ties only alleged or claimed).",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Only statements dated on or before this day (YYYY-MM-DD; statement date, "
        "else the article's date): the network as it stood then.",
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed for Louvain, sampling and layout.")]


@contextmanager
def _step(description: str) -> Iterator[None]:
    """A spinner while a step runs (on stderr, so piped output stays clean)."""
    from graph_builder.cli.common import err_console

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        progress.add_task(description, total=None)
        yield


def load_graph_data(trig: Path, ontology: Ontology) -> GraphData:
    """Read the dataset and turn it into GraphData, naming the file if it is missing."""
    if not trig.is_file():
        raise InputError(
            trig, None, "no such RDF dataset; run `milgraph rebuild` first or pass --trig FILE"
        )
    from graph_builder.rdf import graph_data, read_dataset

    with _step(f"reading {trig}"):
        return graph_data(read_dataset(trig), ontology)


def _scored_data(
    trig: Path, min_modality: str, as_of: str | None, seed: int
) -> tuple[Ontology, GraphData, list[dict[str, Any]]]:
    """The dataset and the metrics rows every export writes beside the graph."""
    from graph_builder import analysis, views

    ontology = get_ontology()
    data = load_graph_data(trig, ontology)
    G = views.entity_graph(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
    return ontology, data, analysis.metrics_rows(G, seed)


def _f(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i == 0 else "left")
    for row in rows:
        table.add_row(*(_f(c) for c in row))
    console.print(table)


@app.command("analyze")
def analyze_command(
    trig: TrigOption = DEFAULT_TRIG,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for metrics.csv.")] = Path(
        "build"
    ),
    min_modality: MinModality = "alleged",
    as_of: AsOf = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows per ranked table.")] = 10,
    key_players: Annotated[
        int,
        typer.Option("--key-players", min=0, help="How many key players to search for (0: skip)."),
    ] = 3,
    predict_links: Annotated[
        int,
        typer.Option(
            "--predict-links",
            min=0,
            help="Show this many likely-missing ties between people (Adamic-Adar).",
        ),
    ] = 0,
    evaluate_links: Annotated[
        bool,
        typer.Option(
            "--evaluate-links",
            help="Hide 10% of the person-person ties and report how well each score "
            "recovers them (AUC, precision@k).",
        ),
    ] = False,
    seed: Seed = 42,
) -> None:
    """Rank entities by centrality, find key players and brokers, write metrics.csv.

    Measures are computed on the undirected entity graph (one tie per pair of
    entities, weighted by the number and strength of sources). Prints ranked tables
    and writes OUT/metrics.csv (id,name,type,degree,betweenness,closeness,eigenvector,
    pagerank,community, then brokerage,articulation_point,key_player_rank).
    """
    with out_lock.holding_if_built(out):
        _analyze(
            trig=trig,
            out=out,
            min_modality=min_modality,
            as_of=as_of,
            top=top,
            key_players=key_players,
            predict_links=predict_links,
            evaluate_links=evaluate_links,
            seed=seed,
        )


def _analyze(
    *,
    trig: Path,
    out: Path,
    min_modality: str,
    as_of: str | None,
    top: int,
    key_players: int,
    predict_links: int,
    evaluate_links: bool,
    seed: int,
) -> None:
    from graph_builder import analysis, linkpred, views

    ontology = get_ontology()
    data = load_graph_data(trig, ontology)
    opts: dict[str, Any] = {"min_modality": min_modality, "as_of": as_of, "ontology": ontology}
    G = views.entity_graph(data, **opts)
    with _step("computing measures"):
        metrics = analysis.compute_metrics(G, seed, key_player_k=key_players)
    path = out / "metrics.csv"
    analysis.write_metrics_csv(metrics.rows, path)

    console.print(
        f"[bold]{G.number_of_nodes()}[/] entities, [bold]{G.number_of_edges()}[/] ties "
        f"(modality ≥ {min_modality}{f', as of {as_of}' if as_of else ''})"
    )
    for column in ("pagerank", "betweenness", "eigenvector", "degree"):
        best = analysis.top(metrics.rows, column, top)
        _print_table(
            f"Top {top} by {column}",
            ["#", "name", "type", column, "community"],
            [(i + 1, r["name"], r["type"], r[column], r["community"]) for i, r in enumerate(best)],
        )
    brokers = sorted(metrics.rows, key=lambda r: (-r["brokerage"], str(r["id"])))[:top]
    _print_table(
        "Brokers between communities (open two-paths joining different communities)",
        ["#", "name", "type", "brokerage"],
        [
            (i + 1, r["name"], r["type"], r["brokerage"])
            for i, r in enumerate(brokers)
            if r["brokerage"]
        ],
    )
    names = {n: G.nodes[n].get("name", n) for n in G}
    if metrics.key_players is not None:
        kp = metrics.key_players
        _print_table(
            f"Key players (greedy; fragmentation before removal {kp.baseline:.3f})",
            ["order", "name", "fragmentation after"],
            [
                (i + 1, names[p], f)
                for i, (p, f) in enumerate(zip(kp.players, kp.steps, strict=True))
            ],
        )
    decap = analysis.decapitations(G)[:top]
    if decap:
        _print_table(
            "Removing a group's leaders",
            ["#", "group", "leaders", "fragmentation", "group component"],
            [
                (
                    i + 1,
                    names[d.group],
                    ", ".join(names[x] for x in d.leaders),
                    f"{d.fragmentation_before:.3f} -> {d.fragmentation_after:.3f}",
                    f"{d.component_before} -> {d.component_after}",
                )
                for i, d in enumerate(decap)
            ],
        )
    cut = analysis.articulation_points(G)
    console.print(f"Articulation points: {len(cut)}; bridges: {len(analysis.bridges(G))}")
    if predict_links or evaluate_links:
        persons = views.person_view(data, **opts)
        if predict_links:
            _print_table(
                "Likely missing ties between people",
                ["#", "person", "person", "adamic_adar", "jaccard", "resource_alloc", "shared"],
                [
                    (
                        i + 1,
                        names.get(p.u, p.u),
                        names.get(p.v, p.v),
                        p.adamic_adar,
                        p.jaccard,
                        p.resource_allocation,
                        ", ".join(names.get(s, s) for s in p.shared),
                    )
                    for i, p in enumerate(linkpred.predict_links(persons, predict_links))
                ],
            )
        if evaluate_links:
            evals = [linkpred.evaluate(persons, m, seed=seed, k=top) for m in linkpred.METHODS]
            _print_table(
                f"Link prediction, {evals[0].hidden} hidden ties (seed {seed})",
                ["method", "AUC", f"precision@{top}", "non-ties"],
                [(e.method, e.auc, e.precision_at_k, e.negatives) for e in evals],
            )
    for note in metrics.notes:
        console.print(f"[dim]{note}[/]")
    console.print(f"wrote {path}")


GraphmlPath = Annotated[Path, typer.Option("--output", "-o", help="File to write.")]


@export_app.command("graphml")
def export_graphml(
    trig: TrigOption = DEFAULT_TRIG,
    output: GraphmlPath = Path("build/graph.graphml"),
    min_modality: MinModality = "alleged",
    as_of: AsOf = None,
    seed: Seed = 42,
) -> None:
    """Write GraphML for Gephi: typed attributes, labels, unique edge ids, scores."""
    from graph_builder import export

    with out_lock.holding_if_built(output.parent):
        ontology, data, rows = _scored_data(trig, min_modality, as_of, seed)
        H = export.write_graphml(
            data, rows, output, min_modality=min_modality, as_of=as_of, ontology=ontology
        )
    console.print(f"wrote {output} ({H.number_of_nodes()} nodes, {H.number_of_edges()} edges)")


@export_app.command("gexf")
def export_gexf(
    trig: TrigOption = DEFAULT_TRIG,
    output: GraphmlPath = Path("build/graph.gexf"),
    size_by: Annotated[
        str,
        typer.Option(
            "--size-by",
            help="Node size from: degree, betweenness, closeness, eigenvector, pagerank.",
        ),
    ] = "pagerank",
    color_by: Annotated[
        str, typer.Option("--color-by", help="Node colour by entity 'type' or 'community'.")
    ] = "type",
    min_modality: MinModality = "alleged",
    as_of: AsOf = None,
    seed: Seed = 42,
) -> None:
    """Write GEXF for Gephi with colours, sizes and a timeline from statement dates."""
    from graph_builder import export

    with out_lock.holding_if_built(output.parent):
        ontology, data, rows = _scored_data(trig, min_modality, as_of, seed)
        H = export.write_gexf(
            data,
            rows,
            output,
            size_by=size_by,
            color_by=color_by,
            min_modality=min_modality,
            as_of=as_of,
            ontology=ontology,
        )
    console.print(f"wrote {output} ({H.number_of_nodes()} nodes, {H.number_of_edges()} edges)")


@export_app.command("csv")
def export_csv(
    trig: TrigOption = DEFAULT_TRIG,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for nodes.csv and edges.csv.")
    ] = Path("build/csv"),
    min_modality: MinModality = "alleged",
    as_of: AsOf = None,
    seed: Seed = 42,
) -> None:
    """Write nodes.csv and edges.csv (spreadsheets; headers fit neo4j-admin import)."""
    from graph_builder import export

    ontology, data, rows = _scored_data(trig, min_modality, as_of, seed)
    nodes, edges = export.write_csv(
        data, rows, output, min_modality=min_modality, as_of=as_of, ontology=ontology
    )
    console.print(f"wrote {nodes} and {edges}")


@app.command("report")
def report_command(
    trig: TrigOption = DEFAULT_TRIG,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="HTML file to write (PNG plots go beside it).")
    ] = Path("build/report.html"),
    min_modality: MinModality = "alleged",
    as_of: AsOf = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows per ranked table.")] = 10,
    seed: Seed = 42,
) -> None:
    """Write a self-contained HTML report with an interactive network and PNG plots.

    The page works offline: click a tie to read its evidence sentences and sources; it
    also ranks entities, lists key players, likely missing ties and a timeline of events.
    """
    from graph_builder import analysis, report, views

    with out_lock.holding_if_built(output.parent):
        ontology = get_ontology()
        data = load_graph_data(trig, ontology)
        G = views.entity_graph(data, min_modality=min_modality, as_of=as_of, ontology=ontology)
        with _step("computing measures and drawing"):
            metrics = analysis.compute_metrics(G, seed)
            written = report.write_report(
                data,
                metrics.rows,
                output,
                min_modality=min_modality,
                as_of=as_of,
                ontology=ontology,
                seed=seed,
                top=top,
                notes=metrics.notes,
            )
    for path in written:
        console.print(f"wrote {path}")
