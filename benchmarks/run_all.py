"""Run every benchmark (benchmarks/bench_*.py), one after the other, in fresh processes.

Run: .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...]

Output: one line per figure, ``name value unit`` (or ``name unavailable reason``), with
``# ...`` comment lines for context. --quick sets MILGRAPH_BENCH_QUICK=1, which every
benchmark reads to run small sizes (a few minutes in all). Corpora and build folders
go to MILGRAPH_BENCH_DIR (default build/bench) and are reused between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bench import QUICK_ENV, calibration_seconds, emit, machine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument(
        "--only", nargs="*", default=None, help="benchmark names, e.g. rebuild analytics"
    )
    args = parser.parse_args()
    env = dict(os.environ)
    if args.quick:
        env[QUICK_ENV] = "1"
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    print(f"# milgraph benchmarks {dt.datetime.now():%Y-%m-%d %H:%M} on {machine()}", flush=True)
    load = os.getloadavg()[0]
    emit("machine_calibration_loop", calibration_seconds(), "s")
    emit("machine_load_average", load, "load")
    failed = 0
    for script in scripts:
        print(f"# {script.name}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], env=env)
        if code:
            failed += 1
            print(f"{script.stem} unavailable exited with code {code}", flush=True)
        emit(f"{script.stem}_wall", time.perf_counter() - start, "s")
    emit("machine_calibration_loop_end", calibration_seconds(), "s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
