"""Elementwise fusion (`autodiff.fusion`): fused plans give NumPy's values bit for bit.

Each test builds the same plan with fusion and without and compares the two, with the size
thresholds lowered so that small arrays are fused (and some stay below them). The tests that
need numexpr are skipped where it is not installed; the rest check plain plans then.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import fusion

needs_numexpr = pytest.mark.skipif(fusion.numexpr is None, reason="numexpr is not installed")
THRESHOLD = 40  # elements, in these tests: results of 1 to 144 elements fall on both sides


@pytest.fixture
def small(monkeypatch):
    """Fusion on, from THRESHOLD elements, in float64 and float32 (the same for every example
    hypothesis draws: nothing here changes it)."""
    monkeypatch.setattr(fusion, "enabled", True)
    monkeypatch.setattr(fusion, "jit", False)  # numexpr's groups (numba's: test_fusion_numba.py)
    monkeypatch.setitem(fusion.MIN_SIZE, "float64", THRESHOLD)
    monkeypatch.setitem(fusion.MIN_SIZE, "float32", THRESHOLD)


def plans(outputs, inputs):
    """The plan with fusion (as configured now) and without, of ONE simplified graph (two
    simplifications of a graph may order a product's factors apart: the collector orders
    them by when their nodes were made, and a second run finds nodes the first one made)."""
    simplified = ad.simplify(outputs)
    fused = ad.Function(simplified, inputs, simplify=False)
    saved = fusion.enabled
    fusion.enabled = False
    try:
        plain = ad.Function(simplified, inputs, simplify=False)
    finally:
        fusion.enabled = saved
    return fused, plain


def same(a, b):
    """Equal values, dtypes and shapes, nan where nan, and the same sign of every zero."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert np.array_equal(a, b, equal_nan=True), (a, b)
    if a.dtype.kind == "f":
        numbers = ~np.isnan(a)
        assert np.array_equal(np.signbit(a[numbers]), np.signbit(b[numbers]))


def check(outputs, inputs, arrays, before: int = 0):
    """The fused plan's values (after `before` calls) against the plain plan's, bit for bit."""
    fused, plain = plans(outputs, inputs)
    with np.errstate(all="ignore"):
        for _ in range(before):
            fused(*arrays)
        got, expected = fused(*arrays), plain(*arrays)
    if not isinstance(outputs, list):
        got, expected, outputs = [got], [expected], [outputs]
    for g, e, node in zip(got, expected, outputs, strict=True):
        same(g, e)
        assert np.asarray(g).dtype == node.dtype
    return fused


# -- random expression graphs ---------------------------------------------------------------
UNARY = [ad.negative, ad.abs, ad.sqrt, ad.square, ad.tanh, ad.exp, lambda a: a * 2.5 - 1]
BINARY = [ad.add, ad.subtract, ad.multiply, ad.divide, lambda a, b: ad.where(a < b, a, b)]
SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e300, 1e-310, 3e38, 1e-45]


@st.composite
def graphs(draw):
    # sizes on both sides of THRESHOLD, and past numexpr's block of 4096 elements (80 * 80)
    m, n = draw(st.integers(1, 12) | st.just(80)), draw(st.integers(2, 12) | st.just(80))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    shapes = [(m, n), (m, n), (m, 1), (n,), (), (n, m)]
    leaves = [ad.Variable(np.zeros(s, dtype)) for s in shapes]
    pool = leaves[:5] + [leaves[5].T]  # a transposed operand
    pool.append(ad.einsum("i,ij->ij", leaves[2].reshape(m), leaves[0]))  # a broadcast product

    def operand():  # most often one of the last nodes made: chains, which fuse
        return draw(st.sampled_from(pool[-2:] if draw(st.integers(0, 2)) else pool))

    for _ in range(draw(st.integers(1, 14))):
        if draw(st.integers(0, 2)) == 0:
            pool.append(draw(st.sampled_from(UNARY))(operand()))
        else:
            pool.append(draw(st.sampled_from(BINARY))(operand(), operand()))
    outputs = [pool[-1]]
    if draw(st.booleans()):  # an intermediate as an output too
        outputs.append(draw(st.sampled_from(pool[len(leaves) :])))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    arrays = []
    for s in shapes:
        a = rng.standard_normal(s) * 3
        if a.size and draw(st.booleans()):
            a.flat[rng.integers(0, a.size, max(1, a.size // 4))] = rng.choice(SPECIAL)
        with np.errstate(over="ignore"):  # 1e300 is inf in float32
            arrays.append(a.astype(dtype))
    return outputs, leaves, arrays


@needs_numexpr
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(graphs())
def test_random_graphs_fused_equal_plain(small, graph):
    outputs, leaves, arrays = graph
    check(outputs, leaves, arrays)


@needs_numexpr
def test_some_random_graphs_fuse(small):
    """The property above is not vacuous: graphs of that kind do get fused groups."""
    x, y = ad.Variable(np.zeros((8, 8))), ad.Variable(np.zeros((8, 8)))
    c = ad.Variable(np.zeros((8, 1)))
    plan = check(
        (x * y - c) / ad.abs(y) + ad.sqrt(x * x),
        [x, y, c],
        [np.ones((8, 8))] * 2 + [np.ones((8, 1))],
    )
    assert fusion.fused_calls(plan) == 1


# -- edge values ----------------------------------------------------------------------------
@needs_numexpr
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nan_inf_and_signed_zeros(small, dtype):
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        values = np.array(SPECIAL + [2.0, -3.5, 7.0, 0.5], dtype)
    grid_x, grid_y = (a.astype(dtype) for a in np.meshgrid(values, values))
    x, y = ad.Variable(np.zeros(grid_x.shape, dtype)), ad.Variable(np.zeros(grid_x.shape, dtype))
    expressions = [
        x / y - y / x,  # division by zero, inf / inf
        (x * y + -x) * (x - y),  # 0 * inf, inf - inf
        ad.sqrt(x) * ad.abs(y) + ad.square(-y),  # sqrt of negatives, abs(-0.0)
        ad.where((x * y) < (y - x), x, y),  # a comparison of nans
        -(x * 0.1) / (y + 0.3),  # constants that are not exact in binary
    ]
    for y_node in expressions:
        plan = check(y_node, [x, y], [grid_x, grid_y])
        assert fusion.fused_calls(plan) >= 1


@needs_numexpr
def test_power_two_is_fused_other_powers_are_not(small):
    x = ad.Variable(np.zeros((7, 9)))
    a = np.linspace(-4, 4, 63).reshape(7, 9)
    assert fusion.fused_calls(check(x**2 + x, [x], [a])) == 1
    assert fusion.fused_calls(check(x**3 + x, [x], [a])) == 0  # np.power, not x * x * x
    assert fusion.fused_calls(check(ad.tanh(x * 30.0) + 1, [x], [a])) == 0  # tanh not fused


@needs_numexpr
def test_float32_stays_float32(small):
    x, y = ad.Variable(np.zeros((9, 9), np.float32)), ad.Variable(np.zeros(9, np.float32))
    z = (x * y - 1) / (ad.abs(x) + 0.5)
    assert z.dtype == np.float32
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal((9, 9)).astype(np.float32),
        rng.standard_normal(9).astype(np.float32),
    ]
    plan = check(z, [x, y], arrays)
    assert fusion.fused_calls(plan) == 1


# -- layouts: broadcasting, transposed operands, outputs, in-place writes ---------------------
@needs_numexpr
def test_broadcast_products_like_a_jacobian(small):
    a, b = ad.Variable(np.zeros(12)), ad.Variable(np.zeros(12))
    W, V = ad.Variable(np.zeros((12, 10))), ad.Variable(np.zeros((10, 12)))
    J = ad.einsum("i,ij->ij", a, W) + ad.einsum("ji,i->ij", V, b)  # V transposed
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in [(12,), (12,), (12, 10), (10, 12)]]
    plan = check(J, [a, b, W, V], arrays)
    assert fusion.fused_calls(plan) == 1


@needs_numexpr
def test_the_tanh_jacobian(small):
    n = 30
    x, W, V = ad.Variable(np.zeros(n)), ad.Variable(np.zeros((n, n))), ad.Variable(np.zeros((n, n)))
    J = ad.jacobian(ad.tanh(W @ x) * (V @ x), x)
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(n), rng.standard_normal((n, n)), rng.standard_normal((n, n))]
    plan = check(J, [x, W, V], arrays)
    assert fusion.fused_calls(plan) >= 1


@needs_numexpr
def test_outputs_that_are_intermediates(small):
    x, y = ad.Variable(np.zeros((8, 8))), ad.Variable(np.zeros((8, 8)))
    inner = x * y - x
    outer = inner / (y * y + 1)
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((8, 8)), rng.standard_normal((8, 8))]
    check([outer, inner], [x, y], arrays)
    check([inner, outer, inner * 2], [x, y], arrays)


@needs_numexpr
def test_an_input_read_plain_and_transposed_is_not_written_over(small):
    a = ad.Variable(np.zeros((150, 150)))  # more than one of numexpr's blocks
    x = ad.exp(a)  # made by the plan, dead after the group: the group may write into it
    y = (x + ad.einsum("ji,ij->ij", x, a)) * 2
    check(y, [a], [np.random.default_rng(4).standard_normal((150, 150))])


@needs_numexpr
def test_an_input_and_its_transpose_made_by_another_line(small):
    v = ad.Variable(np.zeros((150, 150)))  # more than one of numexpr's blocks
    a = ad.exp(v)  # dead after the group, which reads it and a view of it made by another line
    plan = check((a + a.T) * 2, [v], [np.random.default_rng(7).standard_normal((150, 150))])
    assert fusion.fused_calls(plan) == 1


@needs_numexpr
def test_plans_with_buffers_and_repeated_calls(small):
    x = ad.Variable(np.zeros((128, 128)))
    y = ad.Variable(np.zeros((128, 128)))
    loss = ad.sum(ad.square(x * y - 1) * 0.5 + ad.abs(x - y))
    grads = ad.grad(loss, [x, y])
    fused, plain = plans([loss, *grads], [x, y])
    rng = np.random.default_rng(5)
    for _ in range(3):  # kept buffers are reused between calls
        arrays = [rng.standard_normal((128, 128)), rng.standard_normal((128, 128))]
        for g, e in zip(fused(*arrays), plain(*arrays), strict=True):
            same(g, e)
    assert fusion.fused_calls(fused) >= 1


# -- switches, defaults, numexpr missing --------------------------------------------------------
def test_default_thresholds_leave_small_and_float32_plans_alone(monkeypatch):
    monkeypatch.setattr(fusion, "jit", False)  # numba's thresholds: test_fusion_numba.py
    x = ad.Variable(np.zeros((64, 64)))
    x32 = ad.Variable(np.zeros((64, 64), np.float32))
    for node, var in [(x * x - x / 3, x), (x32 * x32 - x32 / 3, x32)]:
        fused, plain = plans(node, [var])
        assert fused.source == plain.source
        assert fusion.fused_calls(fused) == 0


def test_without_numexpr_plans_are_plain(small, monkeypatch):
    monkeypatch.setattr(fusion, "numexpr", None)  # (and numba off, by `small`)
    fusion._kernel.cache_clear()
    try:
        assert not fusion.active()
        x, y = ad.Variable(np.zeros((8, 8))), ad.Variable(np.zeros(8))
        a = np.random.default_rng(6).standard_normal((8, 8))
        plan = check(x * y + x / 2, [x, y], [a, a[0]])
        assert fusion.fused_calls(plan) == 0
        node = fusion.Fused(
            x, y, expression="((i0 * i1) + abs(i0))", views=(None, None), kind="<f8"
        )
        same(node.eval(a, a[0]), a * a[0] + np.abs(a))  # NumPy, op by op
    finally:
        fusion._kernel.cache_clear()


def test_switched_off_by_the_environment():
    code = "import autodiff.fusion as f; print(f.enabled, f.active(), f.jit)"
    env = dict(os.environ, AUTODIFF_FUSION="0", AUTODIFF_JIT="off")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False", "False"]


@needs_numexpr
def test_numexpr_threads_are_left_as_they_are(small):
    x = ad.Variable(np.zeros((8, 8)))
    plan = ad.function(x * x + x, inputs=[x])
    before = fusion.numexpr.get_num_threads()
    plan(np.ones((8, 8)))
    assert fusion.numexpr.get_num_threads() == before


@needs_numexpr
def test_export_writes_plain_numpy(small, tmp_path):
    x = ad.Variable(np.zeros((8, 8)), name="x")
    plan = ad.function(x * x - x, inputs=[x])
    assert fusion.fused_calls(plan) == 1
    text = plan.export(str(tmp_path / "plan.py"))
    assert "numexpr" not in text and "fused" not in text


def test_fused_node_errors():
    x = ad.Variable(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="Fused: 1 inputs but 2 views"):
        fusion.Fused(x, expression="i0", views=(None, None), kind="<f8")
    with pytest.raises(
        ValueError, match=r"Fused: cannot broadcast the inputs' shapes \[\(2, 3\), \(3, 2\)\]"
    ):
        fusion.Fused(x, x, expression="(i0 + i1)", views=(None, ((1, 0), (True, True))), kind="<f8")
