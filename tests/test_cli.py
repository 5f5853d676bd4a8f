"""The command line as a user meets it: every command documented, errors one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from graph_builder.cli import app

REQUIRED_COMMANDS = {
    "rebuild",
    "import",
    "extract",
    "validate",
    "load",
    "analyze",
    "export",
    "query",
    "stats",
    "neo4j",
}


def all_commands() -> list[tuple[str, Any]]:
    """Every command and sub-command of the app, as (dotted name, click command)."""
    found = []

    def walk(prefix: str, command: Any) -> None:
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        found.append((prefix, command))

    walk("", typer.main.get_command(app))
    return [(name, command) for name, command in found if name]


def milgraph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from graph_builder.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_console_script_runs() -> None:
    result = milgraph("--help")
    assert result.returncode == 0, result.stderr
    assert "rebuild" in result.stdout


def test_required_commands_exist() -> None:
    top_level = {name for name, _ in all_commands() if " " not in name}
    assert REQUIRED_COMMANDS <= top_level


@pytest.mark.parametrize("name", [name for name, _ in all_commands()])
def test_every_command_has_help_text(name: str) -> None:
    command = dict(all_commands())[name]
    assert (command.help or "").strip(), f"`milgraph {name}` has no help text"
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_import_bad_line_names_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    good = json.loads(Path("corpus/curated.statements.jsonl").read_text().splitlines()[0])
    bad = {**good, "predicate": "commands"}
    source = tmp_path / "hand.statements.jsonl"
    source.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    out = tmp_path / "build"
    result = milgraph("import", str(source), "--out", str(out), "--no-neo4j")
    assert result.returncode == 1
    assert f"{source}:2: unknown predicate 'commands'" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr
    assert not out.exists()
