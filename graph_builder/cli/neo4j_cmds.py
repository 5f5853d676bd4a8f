"""`milgraph neo4j start|stop|status`: the bundled local Neo4j server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from graph_builder import neo4j_server
from graph_builder.cli.app import neo4j_app
from graph_builder.cli.common import console
from graph_builder.config import DEFAULT_OUT, LOCAL_PASSWORD

BuildDir = Annotated[
    Path,
    typer.Option(
        "--build-dir",
        help="Output folder; the server keeps its data, log and pid file in BUILD_DIR/neo4j.",
    ),
]


@neo4j_app.command(
    "start",
    help=(
        "Start Neo4j Community in the background and return once it accepts connections. "
        "The first start downloads Neo4j from Maven Central (needs `mvn`); later starts reuse "
        "the jars. Log in as user neo4j with NEO4J_PASSWORD (default: the milgraph local "
        "password, see config.LOCAL_PASSWORD). Starting again while it runs does nothing."
    ),
)
def start_cmd(
    port: Annotated[int, typer.Option(help="Bolt port, bound on 127.0.0.1 only.")] = 7687,
    heap: Annotated[
        str,
        typer.Option(
            help="Maximum JVM heap, e.g. 1g or 4g. About 70% of it is transaction memory, "
            "which bounds the largest graph change one atomic `load --replace` or rebuild "
            "can write (measured: 512m held 40k statements, 2g 100k)."
        ),
    ] = "1g",
    pagecache: Annotated[
        str, typer.Option(help="Neo4j page cache (graph data kept in memory), e.g. 256m.")
    ] = "256m",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180,
    build_dir: BuildDir = DEFAULT_OUT,
) -> None:
    """Start the local server (help text above, where typer shows it unwrapped)."""
    password = os.environ.get("NEO4J_PASSWORD") or LOCAL_PASSWORD
    with console.status("starting Neo4j (the first start downloads it with Maven)..."):
        result = neo4j_server.start(
            build_dir=build_dir,
            port=port,
            password=password,
            heap=heap,
            pagecache=pagecache,
            timeout=timeout,
        )
    prefix = "started" if result.started else "already running"
    console.print(f"Neo4j {prefix}: {result.describe()}", highlight=False)


@neo4j_app.command("stop")
def stop_cmd(build_dir: BuildDir = DEFAULT_OUT) -> None:
    """Shut the local Neo4j down cleanly and wait until it has exited."""
    with console.status("stopping Neo4j..."):
        stopped = neo4j_server.stop(build_dir)
    console.print("Neo4j stopped" if stopped else "Neo4j was not running", highlight=False)


@neo4j_app.command("status")
def status_cmd(build_dir: BuildDir = DEFAULT_OUT) -> None:
    """Say whether the local Neo4j runs, its pid and Bolt URI (exit 0 either way)."""
    console.print(f"Neo4j {neo4j_server.status(build_dir).describe()}", highlight=False)
