"""Index expressions: every NumPy key, checked against NumPy for values and for derivatives.

Indexing is linear, so the Jacobian of ``x[key]`` is a selection tensor that NumPy itself gives
(index an array of flat positions with the same key). Gradients, batched cotangents, `jvp` and
Hessians (which run batched cotangents through the adjoint's own gradient) are compared with
it exactly, and with finite differences through `check_grads`. Random keys mix ints, slices with
negative steps, integer arrays (lists or arrays, broadcast against each other), boolean masks,
`None`, `...` and 0-d booleans, in every position NumPy allows.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad


def selection(shape: tuple[int, ...], key) -> np.ndarray:
    """The Jacobian of x[key] for x of `shape`: ones where an output element reads an input."""
    positions = np.arange(int(np.prod(shape))).reshape(shape)[key]
    jac = np.zeros((positions.size, int(np.prod(shape))))
    np.add.at(jac, (np.arange(positions.size), positions.ravel()), 1.0)
    return jac.reshape(positions.shape + shape)


def check_index(x0: np.ndarray, key, finite_differences: bool = True) -> None:
    """x[key] against NumPy: value, jacobian, batched grad, batched jvp and two Hessians."""
    rng = np.random.default_rng(0)
    x = ad.Variable(x0)
    y = x[key]
    expected = x0[key]
    assert y.shape == expected.shape
    np.testing.assert_array_equal(y(), expected)

    jac = selection(x0.shape, key)
    np.testing.assert_array_equal(ad.jacobian(y, x)(), jac)
    flat = jac.reshape(expected.size, x0.size)

    seed = rng.normal(size=(2, *y.shape))
    vjp = ad.grad(y, x, seed=seed)
    np.testing.assert_allclose(
        vjp(), (seed.reshape(2, -1) @ flat).reshape(2, *x0.shape), atol=1e-12
    )

    direction = rng.normal(size=(2, *x0.shape))
    tangent = ad.jvp(y, x, direction)
    np.testing.assert_allclose(
        tangent(), (direction.reshape(2, -1) @ flat.T).reshape(2, *y.shape), atol=1e-12
    )

    weights = rng.normal(size=y.shape)
    f = ad.sum(ad.sin(y) * weights)  # its Hessian is flat.T @ diag(-sin(y) * weights) @ flat
    curvature = -(np.sin(expected) * weights).ravel()
    np.testing.assert_allclose(
        ad.hessian(f, x)(), (flat.T * curvature @ flat).reshape(x0.shape + x0.shape), atol=1e-12
    )
    # a tensor Hessian: batch axes on both levels (its graph holds nodes of about
    # 3 * y.ndim + x.ndim axes, and NumPy broadcasts at most 32)
    if expected.size * x0.size**2 <= 20_000 and y.ndim + x0.ndim <= 8:
        H = ad.hessian(y**2, x)
        np.testing.assert_allclose(
            H(), 2 * np.einsum("ij,ik->ijk", flat, flat).reshape(y.shape + x0.shape + x0.shape)
        )
    if finite_differences:
        ad.check_grads(lambda v: ad.sin(v[key]) * v[key], [x0], order=2)


# -- the cases of the issue ---------------------------------------------------------------------
X = np.arange(12.0).reshape(2, 3, 2)


@pytest.mark.parametrize(
    "key",
    [
        (0, slice(None), [1, 0, 1]),  # an int and an array apart: NumPy puts their axis first
        (0, slice(None), [1, 0]),
        ([0, 1], slice(None), [1, 0]),
        ([[0], [1]], slice(None), [1, 0, 1]),  # broadcast arrays, apart
        (slice(None), [[0, 2]], [[1], [0]]),  # broadcast arrays, adjacent: they stay in place
        ([1, 0], None, [0, 1]),  # None stands between: to the front
        ([1, 0], ..., [0, 1]),  # so does `...`, even when it stands for no axis
        (slice(None), 1, ..., [1, 0]),
        (np.array([[True, False, True], [False, True, True]]), 0),
        (1, np.array([True, False, True]), slice(None, None, -1)),
        (0, slice(None), True),  # a 0-d bool apart from the int: both are advanced
        (slice(None), np.True_, 0),
        (True, True),
        (np.array(True), [1, 0], slice(None), [0, 1]),
        (slice(None, None, -1), [2, -1, 0], slice(None, None, -2)),
        ([], slice(None), 0),
    ],
    ids=repr,
)
def test_keys_of_the_issue(key):
    check_index(X, key)


def test_issue_reproducers_exactly():
    x = ad.Variable(X)
    J = ad.jacobian(x[0, :, [1, 0, 1]], x)()
    assert J.shape == (3, 3, 2, 3, 2)
    assert J[1, 2, 0, 2, 0] == 1 and J.sum() == 9  # output (1, 2) is x[0, 2, [1, 0, 1][1]]
    assert ad.jacobian(x[0, :, [1, 0]], x)().shape == (2, 3, 2, 3, 2)
    H = ad.hessian(ad.sum(x[0, :, [1, 0]] ** 3), x)()
    np.testing.assert_allclose(
        H.reshape(12, 12), np.diag(np.where(np.arange(12) < 6, 6 * X.ravel(), 0))
    )
    v = np.ones((4, 2, 3, 2))
    np.testing.assert_array_equal(ad.jvp(x[0, :, [1, 0]], x, v)(), np.ones((4, 2, 3)))
    x4 = ad.Variable(np.arange(16.0).reshape(2, 2, 4))
    np.testing.assert_array_equal(x4[[0, 1], :, [2, 3]](), x4()[[0, 1], :, [2, 3]])


@pytest.mark.parametrize(
    "key, shape",
    [
        (True, (1, 2, 3, 2)),
        (False, (0, 2, 3, 2)),
        (np.True_, (1, 2, 3, 2)),
        (np.False_, (0, 2, 3, 2)),
        (np.array(True), (1, 2, 3, 2)),
        (np.array(False), (0, 2, 3, 2)),
        ((..., True), (2, 3, 2, 1)),
        ((0, False), (0, 3, 2)),
        ((slice(None), True, None), (2, 1, 1, 3, 2)),
    ],
    ids=repr,
)
def test_a_0d_bool_adds_an_axis(key, shape):
    assert X[key].shape == shape
    check_index(X, key, finite_differences=False)


def test_bools_are_not_the_integers_they_equal():
    x = ad.Variable(X)
    assert x[1].shape == (3, 2) and x[True].shape == (1, 2, 3, 2)
    assert x[0, 1].shape == (2,) and x[False, True].shape == (0, 2, 3, 2)
    assert x[True] is x[np.True_] is x[np.array(True)]  # hash-consed as one key


def test_integer_like_entries():
    x = ad.Variable(X)
    np.testing.assert_array_equal(x[np.int64(1), np.array(2), np.uint8(0)](), X[1, 2, 0])
    np.testing.assert_array_equal(x[(1, 0),](), X[(1, 0),])
    np.testing.assert_array_equal(x[:, range(2, -1, -1)](), X[:, range(2, -1, -1)])
    np.testing.assert_array_equal(x[:, np.int32(-3) : np.int64(3) : np.int8(2)](), X[:, -3:3:2])


@pytest.mark.parametrize(
    "shape, key",
    [
        ((0, 3), ([], slice(None))),
        ((0, 3), (slice(None), [2, 0])),
        ((2, 0, 3), (0, slice(None), [1, 2])),
        ((2, 0, 3), ([1, 0], ..., True)),
        ((0,), np.array([], bool)),
        ((), None),
        ((), True),
        ((), (False, ...)),
    ],
    ids=repr,
)
def test_empty_and_0d_inputs(shape, key):
    check_index(np.ones(shape), key)


# -- random keys --------------------------------------------------------------------------------
SHAPES = st.lists(st.integers(1, 3), min_size=0, max_size=4).map(tuple)
BOOLS = [True, False, np.True_, np.False_, np.array(True), np.array(False)]


@st.composite
def keys(draw, shape: tuple[int, ...], bad: bool = False):
    """A NumPy key for an array of `shape`. With `bad`, ints and arrays may be out of range
    and array shapes may not broadcast, for keys that NumPy rejects."""
    ndim = len(shape)
    ellipsis = draw(st.booleans())
    before = draw(st.integers(0, ndim))
    after = draw(st.integers(0, ndim - before)) if ellipsis else 0
    common = draw(st.lists(st.integers(1, 3), max_size=2).map(tuple))  # advanced broadcast shape

    def index_array(n: int):
        dims = draw(st.integers(0 if bad or not common else 1, len(common)))
        array_shape = tuple(draw(st.sampled_from([m, 1])) for m in common[len(common) - dims :])
        if bad and draw(st.integers(0, 9)) == 0:
            array_shape = array_shape + (4,)
        low, high = (-n - 1, n) if bad else (-n, n - 1)
        values = np.array(
            draw(
                st.lists(
                    st.integers(low, high),
                    min_size=int(np.prod(array_shape)),
                    max_size=int(np.prod(array_shape)),
                )
            )
        ).reshape(array_shape)
        return values.tolist() if draw(st.booleans()) else values

    def segment(axes: list[int]) -> list:
        entries, i = [], 0
        while i < len(axes):
            if draw(st.integers(0, 5)) == 0:
                entries.append(draw(st.sampled_from([None] * 6 + BOOLS)))
                continue
            n = shape[axes[i]]
            kind = draw(st.sampled_from(["int", "slice", "array", "mask"]))
            if kind == "int":
                entries.append(draw(st.integers(-n - bad, n - 1 + bad)))
            elif kind == "slice":
                bound = st.none() | st.integers(-n - 1, n + 1)
                step = st.sampled_from([None, 1, 2, 3, -1, -2, -3])
                entries.append(slice(draw(bound), draw(bound), draw(step)))
            elif kind == "array":
                entries.append(index_array(n))
            else:
                width = draw(st.integers(1, min(2, len(axes) - i)))
                mask_shape = tuple(shape[a] for a in axes[i : i + width])
                mask = draw(
                    st.lists(
                        st.booleans(),
                        min_size=int(np.prod(mask_shape)),
                        max_size=int(np.prod(mask_shape)),
                    )
                )
                entries.append(np.array(mask, bool).reshape(mask_shape))
                i += width
                continue
            i += 1
        if draw(st.booleans()):
            entries.append(draw(st.sampled_from([None] * 6 + BOOLS)))
        return entries

    key = segment(list(range(before)))
    if ellipsis:
        key += [Ellipsis] + segment(list(range(ndim - after, ndim)))
    return tuple(key) if len(key) != 1 or draw(st.booleans()) else key[0]


@st.composite
def arrays_and_keys(draw, bad: bool = False):
    shape = draw(SHAPES)
    x0 = np.random.default_rng(draw(st.integers(0, 2**16))).normal(size=shape)
    return x0, draw(keys(shape, bad))


def numpy_result(x0: np.ndarray, key):
    try:
        return x0[key]
    except IndexError:
        return None


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays_and_keys(bad=True))
def test_random_keys_give_numpy_values_or_its_errors(case):
    x0, key = case
    expected = numpy_result(x0, key)
    x = ad.Variable(x0)
    if expected is None:
        with pytest.raises(IndexError, match="Index: "):
            x[key]
        return
    y = x[key]
    assert y.shape == expected.shape
    np.testing.assert_array_equal(y(), expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays_and_keys())
def test_random_keys_differentiate_like_numpy(case):
    x0, key = case
    expected = numpy_result(x0, key)
    if expected is None:  # a 0-d False that does not broadcast with the arrays, say
        return
    check_index(x0, key, finite_differences=expected.size * x0.size <= 200)


@st.composite
def arrays_and_several_keys(draw):
    shape = draw(SHAPES)
    x0 = np.random.default_rng(draw(st.integers(0, 2**16))).normal(size=shape)
    return x0, draw(st.lists(keys(shape), min_size=2, max_size=4))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays_and_several_keys())
def test_sums_of_indexed_terms_differentiate_like_numpy(case):
    """Several gathers of one input: their scatters meet in a sum, which simplify may stack."""
    x0, key_list = case
    key_list = [key for key in key_list if numpy_result(x0, key) is not None]
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=x0[key].shape) for key in key_list]
    x = ad.Variable(x0)
    f = ad.sum(x * 0.0)
    for key, w in zip(key_list, weights):
        f = f + ad.sum(ad.sin(x[key]) * w)
    gradient, hessian = np.zeros(x0.size), np.zeros((x0.size, x0.size))
    for key, w in zip(key_list, weights):
        flat = selection(x0.shape, key).reshape(w.size, x0.size)
        gradient += flat.T @ (np.cos(x0[key]) * w).ravel()
        hessian += flat.T * -(np.sin(x0[key]) * w).ravel() @ flat
    np.testing.assert_allclose(ad.grad(f, x)(), gradient.reshape(x0.shape), atol=1e-12)
    np.testing.assert_allclose(ad.hessian(f, x)(), hessian.reshape(x0.shape * 2), atol=1e-12)


# -- ad.grad and ad.jacobian against finite differences ------------------------------------------
def central_jacobian(y: ad.Node, x: ad.Variable, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the plan of y in each element of x."""
    plan = ad.function(y, inputs=[x])
    x0 = x.value.copy()
    jac = np.zeros(y.shape + x0.shape)
    for index in np.ndindex(x0.shape):
        for sign in (1, -1):
            bumped = x0.copy()
            bumped[index] += sign * eps
            jac[(...,) + index] += sign * plan(bumped) / (2 * eps)
    return jac


def check_against_finite_differences(x0: np.ndarray, key) -> None:
    """jacobian of x[key] (planned and as built), a vjp, and the gradient of a smooth
    function of x[key], each against central differences."""
    x = ad.Variable(x0)
    y = x[key]
    numeric = central_jacobian(y, x)
    J = ad.jacobian(y, x)
    np.testing.assert_allclose(J(), numeric, atol=1e-8)
    np.testing.assert_allclose(ad.eval(J), numeric, atol=1e-8)
    rng = np.random.default_rng(0)
    seed = rng.normal(size=y.shape)
    vjp = ad.grad(y, x, seed=seed)
    np.testing.assert_allclose(vjp(), np.tensordot(seed, numeric, y.ndim), atol=1e-8)
    weights = rng.normal(size=y.shape)

    def f(v):
        return ad.sum(ad.sin(v[key]) * weights)

    (numeric_grad,) = ad.numerical_grad(f, [x0])
    np.testing.assert_allclose(ad.grad(f(x), x)(), numeric_grad, atol=1e-8)


@pytest.mark.parametrize(
    "shape, key",
    [
        ((2, 3, 4), ([0, 1], slice(None), [2, 3])),  # the issue's key: arrays apart, axes first
        ((2, 3, 4), (np.array([[1], [0]]), slice(None, None, -2), [3, 0, 1])),
        ((3, 4), (np.array([True, False, True]), slice(None, None, -1))),
        ((2, 3, 4), (1, None, np.array([True, False, True]), ..., np.array(2))),
        ((2, 3, 4), (..., [0, 0, -1], None, slice(3, 0, -1))),
        ((2, 3), (np.array([[0, 1, 1]]), [[2], [0]])),  # repeated positions: np.add.at
        ((3,), (np.array(1), None)),  # a 0-d index array is an int
    ],
    ids=repr,
)
def test_mixed_keys_against_finite_differences(shape, key):
    x0 = np.random.default_rng(3).normal(size=shape)
    check_against_finite_differences(x0, key)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays_and_keys())
def test_random_keys_grad_and_jacobian_match_finite_differences(case):
    x0, key = case
    expected = numpy_result(x0, key)
    if expected is None or expected.size * x0.size > 2000:  # unbroadcastable, or slow
        return
    check_against_finite_differences(x0, key)
