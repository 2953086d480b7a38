"""Crashes and unclear errors on inputs the audit tried (each test failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def test_a_boolean_node_as_an_index_names_the_problem():
    """x[x > 0] has a shape that depends on x's values; the error said 'Take: indices must be
    integers, got bool'."""
    x = ad.Variable(np.array([1.0, -2.0, 3.0]))
    with pytest.raises(TypeError, match=r"Index: a boolean node .* ad\.where"):
        x[x > 0]
    with pytest.raises(TypeError, match=r"Take: indices must be integers, got float64"):
        ad.take(x, x)
    np.testing.assert_array_equal(x[np.asarray(x > 0)](), [1.0, 3.0])  # a NumPy mask works
