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


@pytest.mark.xfail(
    strict=True,
    reason="known, not fixed: the term collector writes a / b / c as a / (b * c) and "
    "x*x*x/x/x as x**3 / x**2, which overflow where the graph as written does not",
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_collected_quotients_keep_the_graphs_overflow(dtype):
    big = np.finfo(dtype).max ** 0.6  # its square overflows, the quotients do not
    a, b, c = (ad.Variable(np.array([v], dtype)) for v in (10 * big, big, big))
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_allclose((a / b / c)(), a.value / b.value / c.value, rtol=1e-5)
        x = b
        assert np.isinf((x * x * x / x / x)()).all()  # NumPy: inf (x*x*x overflows), not nan
