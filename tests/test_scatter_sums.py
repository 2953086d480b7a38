"""Sums of scatters in plans: each part added into one array, not one array of zeros per part.

The gradient of a vector read through overlapping slices (sliding windows, ``x[1:] - x[:-1]``)
or repeated indices is a sum of scatters. A plan writes the first as usual and adds each
other part into it in place (``out[key] += g``, ``np.add.at`` for index arrays). These tests
pin the values against the graph evaluated op by op, and where the in-place form is used.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad

rng = np.random.default_rng(3)


def _plan_and_eval(outputs, inputs):
    plan = ad.function(outputs, inputs=inputs)
    return plan, ad.eval(outputs)


def test_sliding_windows_add_each_window_in_place():
    n = 40
    x = ad.Variable(rng.standard_normal(n), name="x")
    loss = ad.sum(ad.tanh(x[0:5]) ** 2)
    for i in range(1, n - 5):
        loss = loss + ad.sum(ad.tanh(x[i : i + 5]) ** 2)
    g = ad.grad(loss, x)
    plan, expected = _plan_and_eval(g, [x])
    np.testing.assert_allclose(plan(x.value), expected, rtol=1e-13)
    assert plan.source.count("+=") >= n - 8  # the windows are added in, not scattered apart
    t = np.tanh(x.value)
    reference = np.zeros(n)
    for i in range(n - 5):
        reference[i : i + 5] += 2 * t[i : i + 5] * (1 - t[i : i + 5] ** 2)
    np.testing.assert_allclose(plan(x.value), reference, rtol=1e-12)


def test_repeated_indices_accumulate():
    x = ad.Variable(rng.standard_normal(6), name="x")
    y = ad.sum(x[[1, 1, 4]] ** 3) + ad.sum(ad.sin(x[2:5])) + ad.sum(x[np.array([4, 1, 4])])
    g = ad.grad(y, x)
    plan, expected = _plan_and_eval(g, [x])
    np.testing.assert_allclose(plan(x.value), expected, rtol=1e-13)
    v = x.value
    reference = np.zeros(6)
    reference[1] += 2 * 3 * v[1] ** 2 + 1
    reference[4] += 3 * v[4] ** 2 + 2
    reference[2:5] += np.cos(v[2:5])
    np.testing.assert_allclose(plan(v), reference, rtol=1e-12)


def test_a_variable_is_never_written_into():
    x = ad.Variable(rng.standard_normal(8), name="x")
    g = ad.Variable(rng.standard_normal(3), name="g")
    before = x.value.copy()
    total = x + ad.grad(ad.sum(x[2:5] * g), x)  # x + scatter(g): x's array must stay as it is
    plan = ad.function(total, inputs=[g])
    expected = before.copy()
    expected[2:5] += g.value
    np.testing.assert_array_equal(plan(g.value), expected)
    np.testing.assert_array_equal(x.value, before)
    np.testing.assert_array_equal(plan(g.value), expected)  # and again: nothing accumulated


@pytest.mark.parametrize("n", [16, 20000])  # 20000: past the size kept in buffers
def test_results_and_buffers_stay_apart(n):
    x = ad.Variable(rng.standard_normal(n), name="x")
    parts = [
        ad.sum(ad.sin(x[: n // 2])),
        ad.sum(ad.cos(x[n // 4 :])),
        ad.sum(x[n // 3 : n // 2] ** 2),
    ]
    g = ad.grad(parts[0] + parts[1] + parts[2], x)
    plan, expected = _plan_and_eval([g, g * 2.0], [x])
    first = plan(x.value)
    np.testing.assert_allclose(first[0], expected[0], rtol=1e-13)
    np.testing.assert_allclose(first[1], expected[1], rtol=1e-13)
    kept = first[0].copy()
    second = plan(x.value + 1.0)  # a second call must not write into the first call's results
    np.testing.assert_array_equal(first[0], kept)
    np.testing.assert_allclose(second[0], ad.eval(g, feed={x: x.value + 1.0}), rtol=1e-13)


def test_batched_scatters_of_a_jacobian():
    x = ad.Variable(rng.standard_normal(7), name="x")
    y = ad.concatenate([ad.tanh(x[1:5]) * x[0:4], ad.exp(x[3:6])])
    J = ad.jacobian(y, x)
    plan, expected = _plan_and_eval(J, [x])
    np.testing.assert_allclose(plan(x.value), expected, rtol=1e-13)
    ad.check_grads(lambda x: ad.jacobian(ad.tanh(x[1:5]) * x[0:4], x), [x.value], order=1)


def test_float32_and_nonfinite_parts():
    x = ad.Variable(np.array([1.0, np.inf, -2.0, np.nan, 0.5], np.float32), name="x")
    g = ad.grad(ad.sum(x[0:3] * 2.0) + ad.sum(x[1:4] ** 2) + ad.sum(x[[0, 0]]), x)
    plan, expected = _plan_and_eval(g, [x])
    result = plan(x.value)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, expected)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 30),
    cuts=st.lists(
        st.tuples(st.integers(0, 29), st.integers(1, 30), st.booleans()), min_size=2, max_size=6
    ),
)
def test_random_slices_and_index_arrays(n, cuts):
    x = ad.Variable(rng.standard_normal(n), name="x")
    loss = ad.sum(x * 0.0)
    for start, length, use_array in cuts:
        start = start % n
        stop = min(n, start + length)
        key = np.arange(start, stop) % n if use_array else slice(start, stop)
        loss = loss + ad.sum(ad.sin(x[key]) * (start + 1.0))
    g = ad.grad(loss, x)
    plan, expected = _plan_and_eval(g, [x])
    np.testing.assert_allclose(plan(x.value), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("as_output", [True, False])
def test_a_part_added_into_a_kept_buffer(as_output):
    n = 20000  # cos(x) is large enough to live in a buffer the plan keeps between calls
    x = ad.Variable(rng.standard_normal(n), name="x")
    g = ad.grad(ad.sum(ad.sin(x)) + ad.sum(x[2 : n // 2] ** 2), x)  # cos(x) + scatter
    outputs = [g] if as_output else [ad.tanh(g) * 2.0]
    plan, expected = _plan_and_eval(outputs, [x])
    assert "+=" in plan.source
    assert as_output or "_buf" in plan.source
    first = plan(x.value)
    kept = first[0].copy()
    np.testing.assert_allclose(first[0], expected[0], rtol=1e-13)
    second = plan(x.value * 0.5)
    np.testing.assert_array_equal(first[0], kept)
    np.testing.assert_allclose(second[0], ad.eval(outputs, feed={x: x.value * 0.5})[0], rtol=1e-13)


@pytest.mark.parametrize("n", [3, 200])  # small arrays, and ones in buffers kept between calls
def test_the_scattered_array_is_not_written_over_before_the_sum_reads_it(n):
    # x + scatter(g) reads g at the sum: an op in between must not reuse g's array for its
    # result (here -A was written into A's array, then A[::-1] added: found by
    # tests/test_simplify.py's random graphs)
    from autodiff.ops.shape import IndexAdjoint

    rng = np.random.default_rng(5)
    x0 = ad.Variable(rng.standard_normal(n))
    x1 = ad.Variable(rng.standard_normal((n, n)))
    A = 1 + 2 * (x0 - x1 + x1[::-1])
    out = -A + IndexAdjoint(A, index=(slice(None, None, -1),), out_shape=(n, n))
    a = 1 + 2 * (x0.value - x1.value + x1.value[::-1])
    plan = ad.function(out, inputs=[])
    np.testing.assert_array_equal(plan(), -a + a[::-1])
    np.testing.assert_array_equal(plan(), -a + a[::-1])
    if n == 3:  # (larger, the elementwise ops may be fused into one loop instead)
        assert "+=" in plan.source  # still added in place
