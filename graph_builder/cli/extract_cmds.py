"""`milgraph extract`: articles in, statements (interchange JSONL) out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from graph_builder.cli.app import app
from graph_builder.cli.common import console, err_console, fail, get_ontology


@app.command()
def extract(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Article files (.txt .md .html .jsonl) or folders to search for them.",
            exists=True,
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Statements file to write (JSON Lines).")
    ],
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes that parse and extract articles in parallel "
            "(each loads its own spaCy model).",
        ),
    ] = 1,
    denials: Annotated[
        bool,
        typer.Option(
            "--denials",
            help='Also write what the text says someone denies ("X denied being a member '
            "of Y\") as statements with modality 'denied'. Off by default, since tools "
            "that ignore the modality would read them as facts.",
        ),
    ] = False,
) -> None:
    """Extract evidence-backed statements from news articles.

    Reads every article under PATHS, finds who leads or belongs to which group, who was
    killed in which event, which groups are linked, and writes one statement a line in
    the interchange format (see DESIGN.md). Files that cannot be read are skipped and
    listed with the reason.
    """
    from graph_builder.documents import read_documents
    from graph_builder.extract import Extractor
    from graph_builder.statements import write_statements

    docs, skipped = read_documents(paths)
    for item in skipped:
        err_console.print(f"[yellow]skipped[/] {item.path}: {item.reason}", highlight=False)
    if not docs:
        fail(
            f"no readable articles under {', '.join(str(p) for p in paths)} "
            "(expected .txt, .md, .html, .htm or .jsonl files)"
        )
    extractor = Extractor(get_ontology(), denials=denials)
    statements = []
    with Progress(
        TextColumn("extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("extract", total=len(docs))
        for _doc, found in extractor.extract_all(docs, jobs=jobs):
            statements.extend(found)
            progress.advance(task)
    count = write_statements(statements, output)
    by_predicate = Counter(s.predicate for s in statements)
    console.print(
        f"read {len(docs)} article(s), skipped {len(skipped)}; wrote {count} statement(s) "
        f"to {output}",
        highlight=False,
    )
    for reason, n in Counter(s.reason.split(" (")[0] for s in skipped).most_common():
        console.print(f"  skipped {n}: {reason}", highlight=False)
    for predicate, n in sorted(by_predicate.items()):
        console.print(f"  {predicate:16} {n}", highlight=False)
