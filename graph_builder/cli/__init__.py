"""The `milgraph` command line: a thin layer over the graph_builder library."""

from __future__ import annotations

import os
import sys

# One BLAS thread per process: the spaCy model's matrix products are small, and a second
# OpenBLAS thread burned half as much CPU again for no speed (extraction benchmark). Set
# before anything imports numpy; an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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
    except OSError as exc:  # disk full, permission denied... on a file we read or write
        if debug:
            raise
        fail(_os_error(exc))
    except Exception as exc:
        # The driver's errors (server gone mid-load, transaction memory...): one line,
        # never the traceback. Checked by module so the CLI need not import the driver.
        if debug or not type(exc).__module__.startswith("neo4j"):
            raise
        fail(
            f"Neo4j failed: {type(exc).__name__}: {exc}. Loads with --replace (and rebuild) "
            "are one transaction, so Neo4j keeps the previous graph; rerun the command"
        )


def _os_error(exc: OSError) -> str:
    """One line for a failed read or write, naming the file(s).

    >>> _os_error(OSError(28, "No space left on device", "build/graph.trig"))
    'No space left on device: build/graph.trig; outputs already in place were written whole'
    """
    files = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    reason = exc.strerror or str(exc)
    return f"{reason}: {files or '(file unknown)'}; outputs already in place were written whole"
