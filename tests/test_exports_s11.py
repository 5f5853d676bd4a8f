"""The report's shortlisted ranking gives analysis.top's rows, ties and NaN included."""

import math
import random

import pytest

from graph_builder import analysis, report


@pytest.mark.parametrize("n", [0, 1, 3, 10, 50])
def test_top_matches_analysis_top(n):
    rng = random.Random(n)
    rows = [{"id": f"e{rng.randrange(40)}", "x": rng.choice([0.0, -0.0, 1, 2.5, 2.5, 7])}]
    rows += [{"id": f"e{i}", "x": rng.choice([0.0, 1.0, 2.5, 3, math.inf])} for i in range(30)]
    assert report._top(rows, "x", n) == analysis.top(rows, "x", n)
    with_nan = [*rows, {"id": "nan", "x": math.nan}]
    assert [r["id"] for r in report._top(with_nan, "x", n)] == [
        r["id"] for r in analysis.top(with_nan, "x", n)
    ]
    assert report._top([], "x", n) == []
