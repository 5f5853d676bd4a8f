"""The report's faster computations give the floats of the ones they replace."""

from __future__ import annotations

import numpy as np
import pytest

from graph_builder import report


@pytest.mark.parametrize("values_dtype", [np.float64, np.float32])
def test_row_sums_of_products_are_einsums_to_the_last_bit(values_dtype: type) -> None:
    rng = np.random.RandomState(7)
    work: dict = {}
    for rows, cols in ((1, 1), (3, 1), (37, 700), (200, 1300), (5, 9)):  # the buffer shrinks too
        weights = rng.randn(rows, cols) * 10.0 ** rng.randint(-4, 5, size=(rows, 1))
        values = rng.randn(rows, cols, 2).astype(values_dtype)
        values[rng.rand(rows, cols) < 0.2] = 0.0
        values[0] = -0.0  # a row of signed zeros: einsum's sum starts from +0.0
        expected = np.einsum("ij,ijk->ik", weights, values.astype(np.float64))
        for axis in (0, 1):
            got = report._row_sums_of_products(
                weights, np.ascontiguousarray(values[:, :, axis]), work
            )
            assert got.dtype == expected.dtype
            assert got.tobytes() == np.ascontiguousarray(expected[:, axis]).tobytes()
