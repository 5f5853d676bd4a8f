"""Reliability figures: run each fault case N times against a real Neo4j and tabulate.

Usage::

    .venv/bin/python benchmarks/reliability.py [--runs 3] [--people 400] [--json]

Starts its own Neo4j (``neo4j_server.start``) in a temporary folder on a free port, so no
other server is touched, and stops it at the end. For every case and run it injects the
fault, checks that what was there before is intact ("recovered"), reruns the same work and
compares with a clean run ("graph identical": node and relationship counts plus a content
hash in Neo4j; byte-identical files for build/ outputs, except that after an interrupted
rebuild the analytics files are compared up to float rounding, report.html and the score
properties are left out: they vary between any two rebuilds, see tests/test_faults.py).
Prints one row per case:
case, runs, recovered, graph identical.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_faults import (  # noqa: E402  (helpers shared with the fault tests)
    MILGRAPH,
    DiskFull,
    comparable,
    connect,
    fault_in_write_batch,
    free_port,
    graph_hash,
    kill_server,
    small_corpus,
    snapshot,
    synth_graph,
    two_builds,
    wipe,
)

from graph_builder import neo4j_load, neo4j_server  # noqa: E402
from graph_builder.config import LOCAL_PASSWORD, PROJECT_ROOT  # noqa: E402
from graph_builder.ontology import Ontology, load_ontology  # noqa: E402
from graph_builder.pipeline import RebuildOptions, build_graph, rebuild  # noqa: E402
from neo4j import Driver  # noqa: E402

Outcome = tuple[bool, bool]  # (recovered, graph identical)
STAGES = ("rdf", "analytics", "export", "neo4j")
TARGETS = ("statements.jsonl", "graph.trig", "metrics.csv", "graph.graphml", "report.html")


class Bench:
    """One server, one ontology, and the fault cases as methods returning an Outcome."""

    def __init__(self, root: Path, people: int) -> None:
        self.root, self.people = root, people
        self.build_dir, self.port = root / "server", free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"
        self.ontology: Ontology = load_ontology()
        self.old, self.new = synth_graph(1, people), synth_graph(2, people)
        self.driver: Driver | None = None
        self.clean_new: tuple[int, int, str] | None = None

    # -- server
    def start(self) -> None:
        neo4j_server.start(
            build_dir=self.build_dir, port=self.port, password=LOCAL_PASSWORD, heap="512m",
            pagecache="64m",
        )  # fmt: skip
        self.driver = connect(self.uri)

    def stop(self) -> None:
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        neo4j_server.stop(self.build_dir)

    @property
    def db(self) -> Driver:
        assert self.driver is not None
        return self.driver

    def load(self, data: object, **kw: object) -> None:
        neo4j_load.load_graph(self.db, data, self.ontology, replace=True, **kw)  # type: ignore[arg-type]

    def clean_hash(self) -> tuple[int, int, str]:
        if self.clean_new is None:
            wipe(self.db)
            self.load(self.new)
            self.clean_new = graph_hash(self.db)
        return self.clean_new

    # -- cases
    def unreachable(self, run: int) -> Outcome:
        """`milgraph load` against a closed port: fails within seconds naming the URI;
        then the same load against the server gives the clean graph."""
        trig = self.root / f"unreachable-{run}.trig"
        trig.write_text("", encoding="utf-8")
        uri = f"bolt://127.0.0.1:{free_port()}"
        env = {**os.environ, "NEO4J_URI": uri, "COLUMNS": "300"}
        started = time.monotonic()
        proc = subprocess.run(
            [MILGRAPH, "load", "--trig", str(trig)], env=env, capture_output=True, text=True,
            timeout=120, cwd=PROJECT_ROOT, check=False,
        )  # fmt: skip
        output = proc.stdout + proc.stderr
        recovered = (
            proc.returncode != 0
            and uri in output
            and "Traceback" not in output
            and time.monotonic() - started < 30
        )
        self.load(self.new)
        return recovered, graph_hash(self.db) == self.clean_hash()

    def killed(self, run: int) -> Outcome:
        """SIGKILL the JVM inside a replace load, restart, rerun."""
        self.load(self.old)
        before = graph_hash(self.db)
        with fault_in_write_batch(2 + 2 * run, lambda: kill_server(self.build_dir)):
            try:
                self.load(self.new, batch_size=100)
            except Exception:  # the driver's ServiceUnavailable
                pass
        self.db.close()
        self.start()
        recovered = graph_hash(self.db) == before
        self.load(self.new, batch_size=100)
        return recovered, graph_hash(self.db) == self.clean_hash()

    def restarted(self, run: int) -> Outcome:
        """A clean stop and start between loads: the graph survives, a rerun changes nothing."""
        self.load(self.new)
        before = graph_hash(self.db)
        self.stop()
        self.start()
        recovered = graph_hash(self.db) == before
        self.load(self.new)
        return recovered, graph_hash(self.db) == self.clean_hash()

    def ctrl_c_load(self, run: int) -> Outcome:
        """KeyboardInterrupt inside a replace load."""
        self.load(self.old)
        before = graph_hash(self.db)

        def interrupt() -> None:
            raise KeyboardInterrupt

        with fault_in_write_batch(1 + run, interrupt):
            try:
                self.load(self.new, batch_size=100)
            except KeyboardInterrupt:
                pass
        recovered = graph_hash(self.db) == before
        self.load(self.new, batch_size=100)
        return recovered, graph_hash(self.db) == self.clean_hash()

    def ctrl_c_rebuild(self, run: int) -> Outcome:
        """Ctrl-C at a stage of `rebuild` (with Neo4j), then a full rerun."""
        corpus_root = self.root / f"rebuild-{run}"
        corpus_root.mkdir()
        corpus = small_corpus(corpus_root)
        if not hasattr(self, "_rebuild_clean"):
            wipe(self.db)
            rebuild(
                RebuildOptions(corpus=corpus, out=corpus_root / "clean"), self.ontology, self.db
            )
            self._rebuild_clean = (
                comparable(snapshot(corpus_root / "clean")),
                graph_hash(self.db, without_scores=True),
            )
        stage = STAGES[run % len(STAGES)]

        def on_stage(name: str) -> None:
            if name == stage:
                raise KeyboardInterrupt

        self.load(self.old)
        before = graph_hash(self.db)
        options = RebuildOptions(corpus=corpus, out=corpus_root / "out")
        try:
            rebuild(options, self.ontology, self.db, on_stage=on_stage)
        except KeyboardInterrupt:
            pass
        leftovers = list((corpus_root / "out").rglob("*.tmp"))
        recovered = not leftovers and graph_hash(self.db) == before
        rebuild(options, self.ontology, self.db)
        files, graph = self._rebuild_clean
        identical = (
            comparable(snapshot(corpus_root / "out")) == files
            and graph_hash(self.db, without_scores=True) == graph
        )
        return recovered, identical

    def disk_full(self, run: int) -> Outcome:
        """ENOSPC halfway through one output of build/, then a rerun."""
        old, new = two_builds(self.ontology)
        base = self.root / f"disk-{run}"
        if not hasattr(self, "_disk_files"):
            build_graph(
                old, [], RebuildOptions(out=self.root / "disk-old", prune=True), self.ontology
            )
            build_graph(
                new, [], RebuildOptions(out=self.root / "disk-new", prune=True), self.ontology
            )
            self._disk_files = snapshot(self.root / "disk-old"), snapshot(self.root / "disk-new")
        old_files, new_files = self._disk_files
        base.mkdir()
        for name, data in old_files.items():
            (base / name).write_bytes(data)
        target = TARGETS[run % len(TARGETS)]
        disk = DiskFull(base, len(new_files[target]) // 2, target)
        try:
            with disk.installed():
                build_graph(new, [], RebuildOptions(out=base, prune=True), self.ontology)
        except OSError:
            pass
        after = snapshot(base)
        recovered = bool(disk.failed) and all(
            data in (old_files.get(name), new_files.get(name)) for name, data in after.items()
        )
        build_graph(new, [], RebuildOptions(out=base, prune=True), self.ontology)
        return recovered, snapshot(base) == new_files


CASES: dict[str, Callable[[Bench, int], Outcome]] = {
    "neo4j unreachable": Bench.unreachable,
    "neo4j killed mid-load": Bench.killed,
    "neo4j restarted": Bench.restarted,
    "ctrl-c mid-load": Bench.ctrl_c_load,
    "ctrl-c mid-rebuild": Bench.ctrl_c_rebuild,
    "disk full in build/": Bench.disk_full,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")
    parser.add_argument("--people", type=int, default=400, help="size of the synthetic graph")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument(
        "--case", action="append", choices=list(CASES), help="run only this case (repeatable)"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="milgraph-reliability-") as tmp:
        bench = Bench(Path(tmp), args.people)
        bench.start()
        try:
            for case, method in CASES.items():
                if args.case and case not in args.case:
                    continue
                recovered = identical = 0
                started = time.perf_counter()
                for run in range(args.runs):
                    try:
                        ok, same = method(bench, run)
                    except Exception as exc:  # a case that crashes counts as not recovered
                        print(f"{case} run {run}: {type(exc).__name__}: {exc}", file=sys.stderr)
                        ok = same = False
                        if bench.driver is None or not neo4j_server.status(bench.build_dir).running:
                            bench.start()
                    recovered += ok
                    identical += same
                seconds = round(time.perf_counter() - started, 1)
                rows.append(
                    {"case": case, "runs": args.runs, "recovered": recovered,
                     "graph identical": identical, "seconds": seconds}
                )  # fmt: skip
                print(f"{case}: {recovered}/{args.runs} recovered, {identical}/{args.runs} "
                      f"identical ({seconds}s)", file=sys.stderr, flush=True)  # fmt: skip
        finally:
            bench.stop()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    header = ("case", "runs", "recovered", "graph identical", "seconds")
    widths = [max(len(str(r[h])) for r in [dict(zip(header, header, strict=True)), *rows])
              for h in header]  # fmt: skip
    for row in [dict(zip(header, header, strict=True)), *rows]:
        print("  ".join(str(row[h]).ljust(w) for h, w in zip(header, widths, strict=True)))


if __name__ == "__main__":
    main()
