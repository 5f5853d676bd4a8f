"""The rebuild's malloc tuning: freed blocks are reused without new page faults."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Allocates an 8 MiB block (a bytearray: glibc's malloc, every byte set to 0), frees it,
# allocates one again and prints the page faults of that second allocation.
PROBE = """
import resource, sys
from graph_builder.heap import keep_freed_memory
if sys.argv[1] == "tuned":
    assert keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = bytearray(8 << 20)
del block
before = faults()
block = bytearray(8 << 20)
print(faults() - before)
"""


def _second_round_faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_freed_block_is_reused_without_page_faults() -> None:
    untuned = _second_round_faults("default")
    tuned = _second_round_faults("tuned")
    # 8 MiB is 2,048 pages: mapped afresh (and zeroed, every page faulted) by default,
    # taken back from the heap once tuned
    assert untuned >= 2000
    assert tuned < 100
