"""The fused LSTM recurrence (numba kernels, `autodiff.nn.recurrence.LSTMForward` and
`LSTMBackward`): the values and derivatives of the NumPy-op recurrence, in float32 and
float64, at odd sizes; the NumPy form of the kernels where numba is missing."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import recurrence
from autodiff.nn.recurrence import LSTMBackward, LSTMForward, RowSums

needs_numba = pytest.mark.skipif(recurrence._kernels() is None, reason="numba is not installed")
SIZES = [(1, 1, 1), (3, 5, 7), (2, 9, 33), (5, 4, 16)]  # batch, time, hidden


def _inputs(batch, steps, n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [
        rng.standard_normal((batch, steps, 4 * n)) * 2,  # saturating gates too
        rng.standard_normal((n, 4 * n)) / np.sqrt(n),
        rng.standard_normal((batch, n)),
        rng.standard_normal((batch, n)),
    ]
    return [ad.Variable(a.astype(dtype)) for a in arrays]


def _tolerance(dtype):
    """float32: a few ulps of the transcendentals, grown by the steps; float64: rounding."""
    return {"rtol": 2e-5, "atol": 2e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-13}


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_fused_values_and_gradients_are_the_ops(sizes, dtype):
    xs = _inputs(*sizes, dtype)
    fused, ops = recurrence._fused_recurrence(*xs), recurrence._recurrence(*xs)
    assert fused.dtype == ops.dtype == dtype
    np.testing.assert_allclose(fused(), ops(), **_tolerance(dtype))
    seed = ad.Constant(np.random.default_rng(1).standard_normal(fused.shape).astype(dtype))
    for a, b in zip(ad.grad(fused, xs, seed=seed), ad.grad(ops, xs, seed=seed), strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a(), b(), **_tolerance(dtype))


@needs_numba
def test_lstm_sequence_is_fused_with_numba_and_the_ops_without(monkeypatch):
    xs = _inputs(2, 3, 4, np.float32)
    y = recurrence.lstm_sequence(*xs)
    assert any(isinstance(n, LSTMForward) for n in ad.toposort([y]))
    monkeypatch.setattr(recurrence, "_kernels", lambda: None)
    y = recurrence.lstm_sequence(*xs)
    assert not any(isinstance(n, LSTMForward) for n in ad.toposort([y]))
    mixed = [xs[0], ad.astype(xs[1], np.float64), *xs[2:]]  # mixed dtypes: the ops
    assert not any(
        isinstance(n, LSTMForward) for n in ad.toposort([recurrence._recurrence(*mixed)])
    )


@pytest.mark.parametrize("zeros", [False, True])
def test_exact_derivatives_to_order_two_through_the_fused_path(zeros):
    """check_grads to order 2 in float64 (h0 and c0 one zeros node, as a layer builds them)."""
    zx, w, h0, c0 = (x.value for x in _inputs(2, 3, 3, np.float64))
    if zeros:
        z = ad.zeros((2, 3))
        ad.check_grads(
            lambda a, b: ad.sum(ad.tanh(recurrence._fused_recurrence(a, b, z, z))), [zx, w], order=2
        )
    else:
        ad.check_grads(
            lambda *xs: ad.sum(ad.sin(recurrence._fused_recurrence(*xs))), [zx, w, h0, c0], order=2
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_numpy_form_of_the_kernels_is_theirs(dtype, monkeypatch):
    xs = _inputs(3, 6, 5, dtype)
    forward = LSTMForward(*xs)
    gy = ad.Constant(np.random.default_rng(2).standard_normal((3, 7, 5)).astype(dtype))
    backward = LSTMBackward(gy, forward, *xs[1:])
    ids = ad.Constant(np.array([[0, 3, 3], [1, 0, 3]]))
    rows = RowSums(ad.Constant(np.ones((2, 3, 4), dtype)), ids, rows=5)
    values = ad.eval([forward, backward, rows])
    monkeypatch.setattr(recurrence, "_kernels", lambda: None)
    for node, value in zip([forward, backward, rows], values, strict=True):
        np.testing.assert_allclose(
            node.eval(*(x() for x in node.inputs)), value, **_tolerance(dtype)
        )
        np.testing.assert_allclose(
            node.composite(*node.inputs)() if node is not rows else value,
            value,
            **_tolerance(dtype),
        )
    np.testing.assert_array_equal(values[2][:, 0], [2, 1, 0, 3, 0])


def test_bad_inputs_name_the_op_and_the_shapes():
    zx, w, h0, c0 = _inputs(2, 3, 4, np.float64)
    with pytest.raises(ValueError, match=r"LSTMForward: weight_hh must have shape \(4, 16\)"):
        LSTMForward(zx, ad.Variable(np.zeros((4, 12))), h0, c0)
    with pytest.raises(ValueError, match=r"LSTMForward: zx must be \(batch, time, 4 \* hidden\)"):
        LSTMForward(ad.Variable(np.zeros((2, 3, 5))), w, h0, c0)
    with pytest.raises(TypeError, match=r"LSTMForward: .* must all be float32 or all float64"):
        LSTMForward(ad.astype(zx, np.float32), w, h0, c0)
    with pytest.raises(ValueError, match=r"LSTMBackward: gy must be \(batch, time \+ 1, hidden\)"):
        LSTMBackward(ad.zeros((2, 3, 5)), ad.zeros((10,)), w, h0, c0)
    with pytest.raises(ValueError, match=r"RowSums: g must be ids.shape \+ \(k,\)"):
        RowSums(ad.zeros((3, 2)), ad.Constant(np.array([0, 1])), rows=2)
