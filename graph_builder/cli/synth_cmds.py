"""`milgraph synth`: a synthetic news corpus with ground truth, for scale runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from graph_builder.cli.app import app
from graph_builder.cli.common import console
from graph_builder.synth import SynthArticle, write_corpus


@app.command("synth")
def synth_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write NAME.txt and NAME.gold.json to.")
    ],
    articles: Annotated[
        int, typer.Option("--articles", "-n", min=0, help="How many articles to write.")
    ] = 100,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Same seed, same corpus.")] = 0,
    start: Annotated[
        int,
        typer.Option(
            min=0,
            help="Number of the first article. With --world-size, adds articles to an "
            "existing corpus without changing it (e.g. --start 10000 --articles 1 "
            "--world-size 10000).",
        ),
    ] = 0,
    world_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Corpus size the world of groups and people is drawn for "
            "(default: start + articles).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Write a synthetic news corpus about invented militant groups, with ground truth.

    Each article NAME.txt (about 400-600 words, with a dateline) gets NAME.gold.json beside
    it in the gold format of the shared corpus, so `milgraph rebuild --corpus OUT` and
    `score-extraction --gold OUT` measure speed and recall at scale. The names of
    people, groups and towns are invented. No *.statements.jsonl is written.
    """
    progress = Progress(
        TextColumn("synth"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=True,
    )
    with progress:
        task = progress.add_task("synth", total=articles)

        def advance(article: SynthArticle) -> None:
            progress.advance(task)

        summary = write_corpus(
            out, articles, seed, start=start, world_articles=world_size, on_article=advance
        )
    if not quiet:
        console.print(
            f"wrote {summary.articles} articles ({summary.words:,} words, "
            f"{summary.statements:,} gold statements) to {summary.out}"
        )
