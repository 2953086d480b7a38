"""Every row of the op-case table: forward vs NumPy, gradients vs finite differences,
batched cotangents, and second-order Jacobians through the batched rules."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.node import Leaf, Node

from op_cases import CASES, _positive

IDS = [case.name for case in CASES]


def _variables(case, seed=0):
    return [ad.Variable(a, name=f"arg{i}") for i, a in enumerate(case.args(seed))]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_numpy(case):
    args = case.args()
    y = case.fn(*[ad.Variable(a) for a in args])
    expected = np.asarray(case.ref(*args))
    value = y()
    assert y.shape == expected.shape
    assert value.shape == expected.shape
    assert value.dtype == y.dtype == expected.dtype
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_match_finite_differences(case):
    ad.check_grads(case.fn, case.args(), order=case.order)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_batched_cotangent_is_one_vjp_per_row(case):
    xs = _variables(case)
    y = case.fn(*xs)
    seeds = np.random.default_rng(1).normal(size=(3, 2) + y.shape)
    batched = ad.eval(ad.grad(y, xs, seed=seeds))
    for index in np.ndindex(3, 2):
        one = ad.eval(ad.grad(y, xs, seed=seeds[index]))
        for b, o, x in zip(batched, one, xs):
            assert b.shape == (3, 2) + x.shape
            np.testing.assert_allclose(b[index], o, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_order_jacobian_matches_finite_differences(case):
    """Every block of the Hessian of a scalar contraction of the row, w.r.t. every pair of
    inputs: ad.hessian on the diagonal, jacobian(grad) off it, both through batched
    cotangents, against central differences of the gradient."""
    xs = _variables(case)
    y = case.fn(*xs)
    w = np.random.default_rng(2).normal(size=y.shape)
    f = ad.sum(y * w)
    grads = ad.grad(f, xs)
    gradient = ad.function(grads)
    eps = 1e-6
    for j, x in enumerate(xs):
        blocks = [ad.hessian(f, x) if i == j else ad.jacobian(g, x) for i, g in enumerate(grads)]
        x0 = x.value.copy()
        numeric = [np.zeros(g.shape + x.shape) for g in grads]
        for index in np.ndindex(x.shape):
            for sign in (1, -1):
                bumped = x0.copy()
                bumped[index] += sign * eps
                x.value = bumped
                for n, value in zip(numeric, gradient()):
                    n[(...,) + index] += sign * value / (2 * eps)
        x.value = x0
        for i, (block, n) in enumerate(zip(blocks, numeric)):
            assert block.shape == xs[i].shape + x.shape
            np.testing.assert_allclose(block(), n, rtol=1e-4, atol=1e-5, err_msg=f"d2f/dx{i}dx{j}")


def _op_classes() -> set[type]:
    """Concrete op classes: the leaves of the Node class tree, except value leaves."""
    found, stack = set(), [Node]
    while stack:
        cls = stack.pop()
        subclasses = cls.__subclasses__()
        stack.extend(subclasses)
        if not subclasses and cls.__module__.startswith("autodiff.") and not issubclass(cls, Leaf):
            found.add(cls)
    return found


def test_every_op_class_has_a_row():
    covered: set[type] = set()
    for case in CASES:
        xs = _variables(case)
        y = case.fn(*xs)
        graphs = [y, *ad.grad(ad.sum(y * np.ones(y.shape)), xs)]
        covered |= {type(n) for n in ad.toposort(graphs)}
    missing = {cls.__name__ for cls in _op_classes()} - {cls.__name__ for cls in covered}
    assert not missing, f"op classes without a row in tests/op_cases.py: {sorted(missing)}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_stays_float32(case):
    """Where the forward graph keeps float32, its gradients are float32 too."""
    xs = [ad.Variable(a.astype(np.float32)) for a in case.args()]
    y = case.fn(*xs)
    if y.dtype != np.float32:
        pytest.skip(f"the op itself promotes to {y.dtype}")
    for g in ad.grad(y, xs):
        assert g.dtype == np.float32
        assert g().dtype == np.float32


# -- integer and boolean inputs -----------------------------------------------------------
def _integer_args(case, kind):
    """The row's arguments as int64 (small integers, positive where the row needs it) or bool."""
    rng = np.random.default_rng(3)
    args = case.args()
    if kind == "bool":
        return [a > 1.0 if case.make is _positive else a > 0 for a in args]
    low = 1 if case.make is _positive else -3
    return [rng.integers(low, 4, size=a.shape) for a in args]


def _numpy_or_none(case, args):
    try:
        with np.errstate(all="ignore"):
            return np.asarray(case.ref(*args))
    except (TypeError, ValueError, np.exceptions.DTypePromotionError):
        return None


@pytest.mark.parametrize("kind", ["int64", "bool"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_integer_and_bool_inputs_match_numpy(case, kind):
    """Value and dtype as NumPy gives them, where NumPy accepts such inputs; NumPy's float16
    for transcendental functions of booleans is float64 here (as for integers)."""
    args = _integer_args(case, kind)
    expected = _numpy_or_none(case, args)
    if expected is None:
        pytest.skip(f"NumPy rejects {kind} inputs here")
    y = case.fn(*[ad.Variable(a) for a in args])
    with np.errstate(all="ignore"):
        value = y()
    if expected.dtype == np.float16:
        expected = _numpy_or_none(case, [a.astype(np.float64) for a in args])
        assert expected.dtype == np.float64
    dtype = expected.dtype
    assert y.shape == value.shape == expected.shape
    assert value.dtype == y.dtype == dtype, (value.dtype, y.dtype, expected.dtype)
    np.testing.assert_allclose(value.astype(np.float64), expected.astype(np.float64), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if len(c.shapes) > 1], ids=lambda c: c.name)
def test_gradients_w_r_t_a_float_input_beside_integer_inputs(case):
    """With every other input an int64 constant, the float input's derivatives (order 2)
    still match finite differences."""
    args = case.args()
    others = [ad.Constant(a) for a in _integer_args(case, "int64")[1:]]
    ad.check_grads(lambda x: case.fn(x, *others), [args[0]], order=2)
