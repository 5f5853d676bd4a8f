"""The `milgraph` command line: a thin layer over the graph_builder library."""

from __future__ import annotations

import os
import sys

from graph_builder.cli import (  # noqa: F401  (importing registers the commands)
    analysis_cmds,
    core_cmds,
    extract_cmds,
    graph_cmds,
    neo4j_cmds,
    rdf_cmds,
    synth_cmds,
)
from graph_builder.cli.app import app
from graph_builder.cli.common import fail
from graph_builder.errors import MilgraphError


def main() -> None:
    """Entry point: MilgraphError becomes one line on stderr and exit 1.

    Set MILGRAPH_DEBUG=1 (or pass --debug first) for the full traceback.
    """
    debug = os.environ.get("MILGRAPH_DEBUG") == "1"
    if len(sys.argv) > 1 and sys.argv[1] == "--debug":
        debug = True
        del sys.argv[1]
    try:
        app()
    except MilgraphError as exc:
        if debug:
            raise
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; outputs already in place were written whole, rerun to finish", 130)
