"""Every row of the op-case table: forward vs NumPy, gradients vs finite differences,
batched cotangents, and second-order Jacobians through the batched rules."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.node import Leaf, Node

from op_cases import CASES

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
    """jacobian(grad) runs batched cotangents through the rules of the derivative graph."""
    xs = _variables(case)
    y = case.fn(*xs)
    w = np.random.default_rng(2).normal(size=y.shape)
    x = xs[0]
    g = ad.grad(ad.sum(y * w), x)
    H = ad.jacobian(g, x)
    assert H.shape == x.shape + x.shape
    x0 = x.value.copy()
    eps = 1e-6
    numeric = np.zeros(x.shape + x.shape)
    for index in np.ndindex(x.shape):
        for sign in (1, -1):
            bumped = x0.copy()
            bumped[index] += sign * eps
            x.value = bumped
            numeric[(...,) + index] += sign * g() / (2 * eps)
    x.value = x0
    np.testing.assert_allclose(H(), numeric, rtol=1e-4, atol=1e-5)


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
