"""The README stays true: its tour runs as written, and every command is documented."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import typer.main

from graph_builder.cli import app
from graph_builder.config import PROJECT_ROOT, Neo4jSettings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def tour_blocks() -> list[str]:
    """The ```bash blocks of the README's tour (between its heading and the next one)."""
    tour = README.split("## A first hour with milgraph", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", tour, flags=re.S)


def test_every_command_is_documented() -> None:
    group = typer.main.get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    missing = [name for name in names if f"`milgraph {name}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_tour_runs_as_written(
    tmp_path: Path, neo4j_db: object, neo4j_settings: Neo4jSettings
) -> None:
    blocks = tour_blocks()
    assert len(blocks) >= 6
    for name in ("corpus", "queries"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NEO4J_URI": neo4j_settings.uri,
        "NEO4J_USER": neo4j_settings.user,
        "NEO4J_PASSWORD": neo4j_settings.password,
        "NEO4J_DATABASE": neo4j_settings.database,
    }
    outputs = []
    for block in blocks:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"README block failed:\n{block}\n{result.stderr[-3000:]}"
        outputs.append(result.stdout)
    build = tmp_path / "my-build"
    for name in ("graph.trig", "report.html", "network.graphml", "network.gexf", "metrics.csv"):
        assert (build / name).stat().st_size > 0, name
    assert (build / "csv" / "nodes.csv").exists()
    assert "Masood Azhar" in (build / "statements.jsonl").read_text()
    assert "Malik Muhammad Ishaq" in "".join(outputs)
    assert (tmp_path / "my-import" / "graph.trig").exists()
