"""The notebooks run top to bottom on the bundled corpus, and git holds them without outputs.

Each notebook is executed with nbclient in a kernel of this very interpreter (the venv),
from a temporary working directory, with ``MILGRAPH_NOTEBOOK_OUT`` pointing at a
temporary folder shared by the three (so the extraction cache built by the first serves
the others). The Neo4j notebook gets the test server through ``NEO4J_*`` variables and
fails, never skips, when there is no server.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from graph_builder.config import PROJECT_ROOT, Neo4jSettings
from graph_builder.queries import run_named_query
from neo4j import Driver

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
ARTICLES = "01_articles_to_graph.ipynb"
NEO4J = "02_querying_neo4j.ipynb"
NETWORK = "03_network_analysis.ipynb"
NOTEBOOKS = (ARTICLES, NEO4J, NETWORK)
CELL_TIMEOUT = 300  # seconds; a cell that hangs fails the test instead of the suite


@pytest.fixture(scope="module")
def notebook_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One output folder for the module's notebooks (shared extraction cache)."""
    return tmp_path_factory.mktemp("notebook-out")


def execute(name: str, cwd: Path) -> nbformat.NotebookNode:
    """Run a notebook top to bottom; any cell error raises CellExecutionError.

    A first cell, added in memory only, checks that the kernel is this interpreter, so
    the notebook sees the same installed milgraph as the tests.
    """
    nb = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
    check = f"import sys\nassert sys.prefix == {sys.prefix!r}, (sys.prefix, sys.executable)"
    nb.cells.insert(0, nbformat.v4.new_code_cell(check))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",  # jupyter_client runs "python" specs with sys.executable
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def text_outputs(nb: nbformat.NotebookNode) -> str:
    """Everything the cells printed or displayed as text."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            elif "data" in output:
                parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def test_every_notebook_is_tested() -> None:
    found = sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))
    assert found == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_and_with_prose(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    prose = [c for c in nb.cells if c.cell_type == "markdown"]
    assert code, "a notebook without code"
    stale = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
    assert not stale, f"{name}: clear the outputs of cells {stale} before committing"
    counted = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count]
    assert not counted, f"{name}: cells {counted} have execution counts; clear them"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert len(prose) >= len(code) // 2, f"{name}: explain the code with markdown cells"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_articles_to_graph_runs(
    notebook_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MILGRAPH_NOTEBOOK_OUT", str(notebook_out))
    nb = execute(ARTICLES, tmp_path)
    # The notebook wrote its dataset where it was told to, and nothing beside itself.
    assert (notebook_out / "graph.trig").is_file()
    assert list(tmp_path.iterdir()) == []
    shown = text_outputs(nb)
    assert "0 violations" in shown
    assert "alleged statements" in shown


def test_querying_neo4j_runs(
    neo4j_db: Driver,
    neo4j_settings: Neo4jSettings,
    notebook_out: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MILGRAPH_NOTEBOOK_OUT", str(notebook_out))
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.uri)
    monkeypatch.setenv("NEO4J_USER", neo4j_settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.password)
    monkeypatch.setenv("NEO4J_DATABASE", neo4j_settings.database)
    nb = execute(NEO4J, tmp_path)
    # The notebook loaded the corpus into the server the test handed it.
    rows = run_named_query(neo4j_db, "leaders_of_group", {"group": "LeJ"}, neo4j_settings.database)
    leaders = {row["leader"] for row in rows}
    assert {"Malik Muhammad Ishaq", "Ghulam Rasool Shah"} <= leaders
    assert "Malik Muhammad Ishaq" in text_outputs(nb)


def test_network_analysis_runs(
    notebook_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MILGRAPH_NOTEBOOK_OUT", str(notebook_out))
    nb = execute(NETWORK, tmp_path)
    images = [
        output
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) >= 3, "the analysis notebook should draw its plots"
    assert list(tmp_path.iterdir()) == []
