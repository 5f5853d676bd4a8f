"""Shared helpers of the benchmark scripts (not a benchmark: make bench runs bench_*.py).

Every figure is printed as one line ``name value unit``; a figure that cannot be measured
(its stage is missing, a server is down, it ran out of time) is printed as
``name unavailable reason`` so one missing stage never hides the other figures.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/bench_x.py` from anywhere
    sys.path.insert(0, str(ROOT))
SCORER = ROOT.parent / "shared" / "tools" / "score-extraction"
QUICK_ENV = "MILGRAPH_BENCH_QUICK"
DIR_ENV = "MILGRAPH_BENCH_DIR"


def emit(name: str, value: float | int | str, unit: str = "") -> None:
    if isinstance(value, float):
        value = f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    print(f"{name} {value} {unit}".rstrip(), flush=True)


def unavailable(name: str, reason: str) -> None:
    print(f"{name} unavailable {' '.join(str(reason).split())[:300]}", flush=True)


def is_quick(argv: Sequence[str] | None = None) -> bool:
    """--quick on the command line or MILGRAPH_BENCH_QUICK=1 (set by run_all.py --quick)."""
    argv = sys.argv[1:] if argv is None else argv
    return "--quick" in argv or os.environ.get(QUICK_ENV) == "1"


def data_dir() -> Path:
    """Where corpora and build folders go: MILGRAPH_BENCH_DIR, else build/bench."""
    path = Path(os.environ.get(DIR_ENV) or ROOT / "build" / "bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def peak_rss_mib(children: bool = False) -> float:
    """Peak resident memory of this process (or its largest waited-for child), MiB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def synthetic_corpus(articles: int, seed: int = 1) -> Path:
    """A synthetic corpus of `articles` articles, generated once and reused."""
    from graph_builder.synth import SYNTH_VERSION, write_corpus

    path = data_dir() / f"synth-{articles}-s{seed}-v{SYNTH_VERSION}"
    done = path / ".complete"
    if not done.exists():
        write_corpus(path, articles, seed)
        done.write_text("ok\n")
    return path


def score(gold_dir: Path, pred: Path) -> dict[str, Any]:
    """Micro scores of the shared scorer (p, r, f1, tp, fp, fn, docs)."""
    if not SCORER.exists():
        raise FileNotFoundError(f"scorer not found at {SCORER}")
    run = subprocess.run(
        [sys.executable, str(SCORER), "--gold", str(gold_dir), "--pred", str(pred), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            return dict(json.loads(line)["micro"])
    raise ValueError(f"scorer printed no JSON: {run.stdout[-300:]}")


def calibration_seconds() -> float:
    """Seconds for a fixed pure-Python loop (about 0.2 s on an idle 2-core laptop core):
    divide figures by it to compare runs on busy or different machines."""
    start = time.perf_counter()
    sum(i * i for i in range(3_000_000))
    return time.perf_counter() - start


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.machine()} {cpus} cores, Python {platform.python_version()}"


def _child(conn: Any, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result = func(*args)
        conn.send(("ok", result, peak_rss_mib(), peak_rss_mib(children=True)))
    except BaseException as exc:  # report any failure to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0.0, 0.0))


def run_isolated(func: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """Run func(*args) in a fresh (spawned) process: its own peak memory and a time limit.

    Returns ``(result, peak_rss_mib, peak_rss_of_its_children_mib)``; raises TimeoutError,
    or RuntimeError with the child's error. `func` must be a module-level function.
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, func, args))
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise TimeoutError(f"took longer than {timeout:.0f} s")
        status, result, rss, child_rss = parent.recv()
    except EOFError:
        raise RuntimeError(f"worker died (exit code {proc.join() or proc.exitcode})") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
    if status != "ok":
        raise RuntimeError(result)
    return result, rss, child_rss
