"""One writer per output folder: a second rebuild stops at once, naming the first; the
lock ends with its holder however it ends; killed writers' temporary files are swept."""

from __future__ import annotations

import errno
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_builder import out_lock
from graph_builder.cli import app, core_cmds
from graph_builder.config import SAMPLE_CORPUS
from graph_builder.ontology import Ontology
from graph_builder.pipeline import OUTPUT_FILES, RebuildOptions, build_graph
from graph_builder.statements import read_statements

pytestmark = pytest.mark.skipif(out_lock.fcntl is None, reason="no fcntl locks on this platform")

HOLDER = """
import sys, time
from pathlib import Path
from graph_builder import out_lock
with out_lock.holding(Path(sys.argv[1])):
    print("held", flush=True)
    while not Path(sys.argv[2]).exists():
        time.sleep(0.02)
"""


@pytest.fixture
def held(tmp_path: Path):  # type: ignore[no-untyped-def]
    """OUT held by another process until the test ends; yields (OUT, its pid)."""
    out, release = tmp_path / "out", tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), str(release)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    try:
        yield out, holder.pid
    finally:
        release.touch()
        holder.wait(timeout=30)


def test_a_folder_held_by_another_process_is_refused_naming_it(
    held: tuple[Path, int], ontology: Ontology
) -> None:
    out, pid = held
    with pytest.raises(out_lock.FolderBusy, match=f"another milgraph process \\(pid {pid}\\)"):
        with out_lock.holding(out):
            pass
    statements = read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ontology)
    with pytest.raises(out_lock.FolderBusy):
        build_graph(statements, [], RebuildOptions(out=out, jobs=1), ontology)
    assert not (out / "statements.jsonl").exists()  # refused before writing anything


def test_the_cli_rebuild_stops_with_a_clear_error(held: tuple[Path, int]) -> None:
    out, pid = held
    result = subprocess.run(
        [sys.executable, "-c", "from graph_builder.cli import main; main()", "rebuild"]
        + ["--no-neo4j", "-c", str(SAMPLE_CORPUS), "-o", str(out), "-j", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    message = " ".join(result.stderr.split())  # (the console wraps long lines)
    assert f"pid {pid}" in message and "--out" in message and "Traceback" not in message
    assert not (out / "cache").exists()


def test_the_cli_rebuild_is_refused_before_any_worker_or_driver_starts(
    held: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = held

    def not_now(*args: object, **kwargs: object) -> None:
        raise AssertionError("started before the folder was found busy")

    monkeypatch.setattr(core_cmds, "warm_extraction", not_now)
    monkeypatch.setattr(core_cmds, "open_driver", not_now)
    result = CliRunner().invoke(app, ["rebuild", "-c", str(SAMPLE_CORPUS), "-o", str(out)])
    assert isinstance(result.exception, out_lock.FolderBusy), result.exception


def test_the_lock_ends_with_its_holder_even_when_it_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), str(tmp_path / "never")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(out_lock.FolderBusy):
        with out_lock.holding(out):
            pass
    holder.kill()
    holder.wait(timeout=30)
    with out_lock.holding(out):  # the lock file is still there: it no longer holds
        with out_lock.holding(out):  # nested in one process: shared
            assert (out / out_lock.LOCK_NAME).read_text().strip() == str(os.getpid())


def test_killed_writers_leftovers_are_swept_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = int(gone.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            f".graph.trig.{dead}.tmp": True,
            f".statements.jsonl.{dead}.early": True,
            f".metrics.csv.{dead}-x1y2z3.tmp": True,
            f".graph.trig.{live.pid}.tmp": False,  # still being written
            "graph.trig": False,
            f".report-network.png.{dead}-ab_12.tmp": True,
            f"notes.{dead}.tmp": False,  # not a name of ours
            f".notes.{dead}.tmp": False,
        }
        for name in names:
            (out / name).write_text("x")
        (out / "cache").mkdir()
        (out / "cache" / f".pack.{dead}.tmp").write_text("x")  # subfolders: their own
        with out_lock.holding(out):
            pass
        assert {p.name for p in out.iterdir()} == {
            *(name for name, swept in names.items() if not swept),
            "cache",
            out_lock.LOCK_NAME,
        }
        assert (out / "cache" / f".pack.{dead}.tmp").exists()
    finally:
        live.kill()
        live.wait()


TAKER = """
import sys
from pathlib import Path
from graph_builder import out_lock
with out_lock.holding(Path(sys.argv[1])):
    print("taken", flush=True)
"""


def test_a_worker_forked_by_the_holder_does_not_keep_the_folder_locked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    context = multiprocessing.get_context("fork")
    with out_lock.holding(out):
        lingering = context.Process(target=time.sleep, args=(60,), daemon=True)
        lingering.start()
    try:
        taker = subprocess.run(
            [sys.executable, "-c", TAKER, str(out)], capture_output=True, text=True, timeout=60
        )
        assert lingering.is_alive()
        assert taker.returncode == 0 and taker.stdout.strip() == "taken", taker.stderr
    finally:
        lingering.kill()
        lingering.join()


def test_the_temporary_files_of_every_output_of_a_rebuild_are_swept() -> None:
    for name in OUTPUT_FILES:
        assert out_lock._LEFTOVER.match(f".{name}.4242.tmp"), name
        assert out_lock._LEFTOVER.match(f".{name}.4242-k3_x9q.tmp"), name


def test_a_rebuild_of_a_missing_corpus_makes_no_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", "from graph_builder.cli import main; main()", "rebuild"]
        + ["--no-neo4j", "-c", str(tmp_path / "nowhere"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "corpus folder not found" in result.stderr
    assert not out.exists()


def test_a_file_system_without_locks_builds_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_locks(handle: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(out_lock.fcntl, "lockf", no_locks)
    with out_lock.holding(tmp_path / "out"):
        assert (tmp_path / "out").is_dir()


@pytest.fixture(scope="module")
def sample_trig(tmp_path_factory: pytest.TempPathFactory, ontology: Ontology) -> Path:
    """graph.trig of the sample corpus's curated statements (built once, then read)."""
    build = tmp_path_factory.mktemp("built")
    statements = read_statements(SAMPLE_CORPUS / "curated.statements.jsonl", ontology)
    build_graph(statements, [], RebuildOptions(out=build, jobs=1), ontology)
    return build / "graph.trig"


# Each command that rewrites one of a rebuild's files: its arguments for folder OUT.
REWRITERS = {
    "analyze": lambda out: ["analyze", "--out", str(out), "--key-players", "0"],
    "graphml": lambda out: ["export", "graphml", "-o", str(out / "graph.graphml")],
    "gexf": lambda out: ["export", "gexf", "-o", str(out / "graph.gexf")],
    "report": lambda out: ["report", "-o", str(out / "report.html")],
}
REWRITTEN = {
    "analyze": "metrics.csv",
    "graphml": "graph.graphml",
    "gexf": "graph.gexf",
    "report": "report.html",
}


@pytest.mark.parametrize("command", sorted(REWRITERS))
def test_a_command_rewriting_a_rebuilds_file_is_refused_while_a_rebuild_runs_there(
    command: str, held: tuple[Path, int], sample_trig: Path
) -> None:
    out, pid = held
    args = ["--trig", str(sample_trig)]
    busy = CliRunner().invoke(app, [*REWRITERS[command](out), *args])
    assert isinstance(busy.exception, out_lock.FolderBusy), busy.output
    assert f"pid {pid}" in str(busy.exception)
    assert not (out / REWRITTEN[command]).exists()
    # A build folder nobody writes (the lock file left by its last rebuild) is rewritten...
    built = sample_trig.parent
    done = CliRunner().invoke(app, [*REWRITERS[command](built), *args])
    assert done.exit_code == 0, done.output
    # ...and a folder no rebuild wrote gets the file and no lock file of ours.
    other = sample_trig.parent.parent / f"plain-{command}"
    other.mkdir()
    done = CliRunner().invoke(app, [*REWRITERS[command](other), *args])
    assert done.exit_code == 0, done.output
    assert (other / REWRITTEN[command]).is_file()
    assert not (other / out_lock.LOCK_NAME).exists()
