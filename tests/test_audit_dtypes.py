"""Dtypes the audit found wrong against NumPy (each test failed before its fix)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autodiff as ad

_DTYPES = [np.float32, np.float64, np.int8, np.uint8, np.int32, np.int64, np.bool_]


def _values(dtype, shape):
    rng = np.random.default_rng(0)
    if dtype == np.bool_:
        return rng.normal(size=shape) > 0
    return rng.uniform(1, 4, size=shape).astype(dtype)


def _agree(node, reference, plan_inputs=()):
    """node's declared dtype, its value and a plan's value all match NumPy's reference."""
    reference = np.asarray(reference)
    value = node()
    plan = ad.function(node, inputs=list(plan_inputs))(*[x.value for x in plan_inputs])
    assert node.shape == value.shape == plan.shape == reference.shape
    assert node.dtype == value.dtype == plan.dtype == reference.dtype, (
        node.dtype,
        value.dtype,
        plan.dtype,
        reference.dtype,
    )
    np.testing.assert_allclose(value, reference, rtol=1e-6)
    np.testing.assert_allclose(plan, reference, rtol=1e-6)


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
@pytest.mark.parametrize(("a", "b"), list(itertools.product(_DTYPES, repeat=2)))
def test_logaddexp_promotes_as_numpy(name, a, b):
    """float32 with a small integer stays float32 (as np.logaddexp), not float64."""
    x0, y0 = _values(a, (2, 3)), _values(b, (3,))
    x, y = ad.Variable(x0), ad.Variable(y0)
    if np.result_type(a, b).kind in "fc":  # where NumPy's own dtype is a float one
        _agree(getattr(ad, name)(x, y), getattr(np, name)(x0, y0), [x, y])
    else:  # integers and booleans compute in float64 (docs/numpy.md)
        assert getattr(ad, name)(x, y).dtype == np.float64


@pytest.mark.parametrize(("a", "b"), list(itertools.product(_DTYPES, [np.float32, np.float64])))
def test_power_of_a_node_to_a_float_node_promotes_as_numpy(a, b):
    """int8 ** float32 is float32 in NumPy; the base was cast to float64 first."""
    x0, y0 = _values(a, (2, 3)), _values(b, (3,))
    x, y = ad.Variable(x0), ad.Variable(y0)
    _agree(x**y, x0**y0, [x, y])
    _agree(ad.power(x, y), np.power(x0, y0), [x, y])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.float32])
def test_power_to_a_boolean_exponent_keeps_the_dtype(dtype):
    """x ** True is x's dtype in NumPy (a bool exponent is an integer one)."""
    x0 = _values(dtype, (3,))
    x = ad.Variable(x0)
    _agree(x**True, x0**True, [x])
    _agree(x**False, x0**False, [x])


def test_float32_power_gradients_stay_float32():
    x = ad.Variable(np.array([1.5, 2.0], np.float32))
    y = ad.Variable(np.array([0.5, 3.0], np.float32))
    gx, gy = ad.grad(ad.sum(x**y), [x, y])
    assert gx.dtype == gy.dtype == gx().dtype == gy().dtype == np.float32
    base = ad.Variable(np.array([1, 2, 3], np.int8))
    (gy,) = ad.grad(ad.sum(base ** y[:1]), [y])  # d/dy base**y = base**y log(base)
    assert gy.dtype == gy().dtype == np.float32
    np.testing.assert_allclose(gy(), [np.sum(np.array([1, 2, 3]) ** 0.5 * np.log([1, 2, 3])), 0])
    ad.check_grads(lambda a, b: ad.logaddexp(a, b) * ad.power(a, b), [x.value, y.value], order=2)


@pytest.mark.parametrize("name", ["ones_like", "zeros_like"])
@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.float32, np.float64])
def test_like_fills_take_dtype(name, dtype):
    """np.ones_like(x, dtype=np.int32) is int32 (dtype= was read as a cast of x, then the fill
    took x's floating dtype)."""
    x = ad.Variable(np.zeros((2, 3)))
    _agree(getattr(ad, name)(x, dtype=dtype), getattr(np, name)(x.value, dtype=dtype))
    _agree(getattr(np, name)(x, dtype=dtype), getattr(np, name)(x.value, dtype=dtype))


def test_like_fills_keep_their_floating_default():
    """Without dtype=, the fill is x's floating dtype (documented: what a gradient needs)."""
    x = ad.Variable(np.zeros(2, np.int64))
    assert ad.ones_like(x).dtype == ad.zeros_like(x).dtype == np.float64
    assert ad.ones_like(ad.Variable(np.zeros(2, np.float32))).dtype == np.float32


@pytest.mark.parametrize("name", ["prod", "cumprod", "cumsum"])
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.bool_, np.float32])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_scans_compute_in_a_narrow_dtype_given(name, dtype, axis):
    """np.prod(x, dtype=np.int8) wraps in int8; the node said int8 and held int64 values."""
    x = ad.Variable(np.array([[100, 3, 0], [2, 5, 7]]))
    node = getattr(ad, name)(x, axis=axis, dtype=dtype)
    _agree(node, getattr(np, name)(x.value, axis=axis, dtype=dtype))


@pytest.mark.parametrize(
    "build",
    [
        lambda x: x * np.float64(2.0),  # NumPy promotes float32 with a float64 scalar
        lambda x: x / ad.Variable(np.array([1, 2, 3])),  # and with int64
        lambda x: ad.where(x > 0, x, np.full(3, 0.5)),
        lambda x: ad.concatenate([x, np.ones(2)]),
        lambda x: ad.einsum("i,i->", x, np.arange(3.0)),
        lambda x: ad.hypot(x, np.ones(3)),
    ],
)
def test_a_gradient_has_the_dtype_of_its_float32_input(build):
    """With float32 x promoted to float64 by the graph, dy/dx was float64; an explicit
    astype (and a y that does not depend on x) gave float32 already."""
    x = ad.Variable(np.array([1.0, -2.0, 3.0], np.float32))
    y = build(x)
    assert y.dtype == np.float64
    for node in (
        ad.grad(ad.sum(y * y), x),
        ad.jacobian(y, x),
        ad.hessian(ad.sum(y * y), x),
        ad.hvp(ad.sum(y * y), x, np.ones(3, np.float32)),
    ):
        assert node.dtype == node().dtype == np.float32
    ad.check_grads(lambda a: build(a) ** 2, [x.value], order=2)
