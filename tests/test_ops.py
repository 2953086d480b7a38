"""Every row of the op-case table: forward vs NumPy, gradients vs finite differences,
batched cotangents, and second-order Jacobians through the batched rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    if expected is None:  # then ours rejects them when the graph is built, or computes
        try:
            y = case.fn(*[ad.Variable(a) for a in args])
        except TypeError:
            return
        with np.errstate(all="ignore"):
            y()  # never fails when evaluated
        pytest.skip(f"NumPy rejects {kind} inputs here; autodiff takes them as float64")
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


# -- the reproducers --------------------------------------------------------------
def _both_plans(nodes):
    """The values of `nodes` from a simplified plan and from the graph as built."""
    return ad.function(nodes)(), ad.eval(nodes)


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint8, bool])
def test_no_gradient_through_a_cast_to_an_integer(dtype):
    v = ad.Variable(np.array([1.5, -2.5, 0.25]))
    y = ad.sum(ad.astype(v, dtype) * 1.0) + ad.sum(ad.astype(ad.astype(v, dtype), np.float64) * v)
    g = ad.grad(y, v)
    H = ad.hessian(y, v)
    expected = ad.astype(ad.astype(v, dtype), np.float64)()
    for value in _both_plans([g, H]):
        np.testing.assert_array_equal(value[0], expected)
        np.testing.assert_array_equal(value[1], np.zeros((3, 3)))


def test_a_cast_between_floats_passes_the_gradient():
    v = ad.Variable(np.array([1.5, -2.5]))
    g = ad.grad(ad.sum(ad.astype(v, np.float32) ** 2), v)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g(), 2 * v.value)


@pytest.mark.parametrize(
    "build",
    [
        lambda x: ad.std(x, axis=1),
        lambda x: ad.std(x, axis=-1, keepdims=True) * 2.0,
        lambda x: ad.std(x - x),
        lambda x: ad.norm(x - x),
        lambda x: ad.norm(x * 0.0, axis=0),
        lambda x: ad.norm(x - x, 3, axis=1),
        lambda x: ad.norm(x - x, "fro"),
    ],
    ids=["std size-1 axis", "std keepdims", "std of equal entries", "norm 0", "norm axis 0", "p-norm 0", "fro 0"],
)
def test_std_and_norm_have_derivative_zero_where_they_are_zero(build):
    """Defined as 0 (the minimum-norm subgradient) at orders 1, 2 and 3, with or without
    simplification."""
    x = ad.Variable(np.array([[1.5], [-2.0], [0.5]]))
    y = build(x)
    f = ad.sum(y * np.arange(1.0, 1.0 + y.size).reshape(y.shape))
    g = ad.grad(f, x)
    H = ad.hessian(f, x)
    third = ad.grad(ad.sum(H * np.ones(H.shape)), x)
    with np.errstate(all="raise"):  # no inf or nan anywhere on the way
        for values in _both_plans([y, g, H, third]):
            np.testing.assert_array_equal(values[0], np.zeros(y.shape))
            for value in values[1:]:
                assert np.all(value == 0), value


def test_std_derivative_away_from_zero_is_unchanged():
    a = np.random.default_rng(4).normal(size=(3, 4))
    a[1] = 2.0  # one row of equal entries: its std is 0, the others' are not
    ad.check_grads(lambda x: ad.std(x[::2], axis=1), [a], order=3)
    x = ad.Variable(a)
    g = ad.grad(ad.sum(ad.std(x, axis=1)), x)
    for value in _both_plans(g):
        np.testing.assert_array_equal(value[1], np.zeros(4))
        centred = a[0] - a[0].mean()
        np.testing.assert_allclose(value[0], centred / (4 * np.std(a[0])))


def test_logsumexp_of_infinities_matches_scipy():
    from scipy.special import logsumexp

    a = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 1.0, -np.inf], [0.0, -np.inf, 1.0], [np.inf, np.inf, 0.0]])
    x = ad.Variable(a)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) and inf - inf, as in scipy
        for axis in (1, None):
            for keepdims in (False, True):
                expected = logsumexp(a, axis=axis, keepdims=keepdims)
                for value in _both_plans(ad.logsumexp(x, axis=axis, keepdims=keepdims)):
                    np.testing.assert_array_equal(value, expected)
        np.testing.assert_allclose(ad.log_softmax(x)()[2], a[2] - logsumexp(a[2]), rtol=1e-15)


@pytest.mark.parametrize("offset", [1e3, 1e5, 1e7])
def test_softmax_and_cross_entropy_keep_float32_precision_at_large_offsets(offset):
    rng = np.random.default_rng(5)
    logits = (rng.normal(size=(8, 65)) + offset).astype(np.float32)
    labels = rng.integers(0, 65, size=8)
    exact = logits.astype(np.float64)
    exact = exact - exact.max(-1, keepdims=True)
    exact = exact - np.log(np.exp(exact).sum(-1, keepdims=True))  # log_softmax in float64
    x = ad.Variable(logits)
    loss = ad.nn.cross_entropy(x, labels)
    results = [ad.log_softmax(x), ad.softmax(x), loss, ad.grad(loss, x)]
    assert all(r.dtype == np.float32 for r in results)
    log_probs, probs, value, g = ad.function(results)()
    np.testing.assert_allclose(log_probs, exact, rtol=0, atol=2e-6)
    np.testing.assert_allclose(probs, np.exp(exact), rtol=0, atol=1e-7)
    np.testing.assert_allclose(value, -exact[np.arange(8), labels].mean(), rtol=0, atol=1e-6)
    onehot = np.eye(65)[labels]
    np.testing.assert_allclose(g, (np.exp(exact) - onehot) / 8, rtol=0, atol=1e-8)


def test_softmax_of_equal_huge_logits_in_float64():
    x = ad.Variable(np.array([1e16, 1e16]))
    np.testing.assert_array_equal(ad.softmax(x)(), [0.5, 0.5])
    np.testing.assert_array_equal(ad.log_softmax(x)(), [-np.log(2)] * 2)
    np.testing.assert_array_equal(ad.nn.cross_entropy(x[None], np.array([1]))(), np.log(2))


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
def test_empty_batches_reduce_as_numpy_does():
    x = ad.Variable(np.zeros((0, 3)))
    assert ad.max(x, axis=1)().shape == (0,)
    assert ad.min(x, axis=-1, keepdims=True)().shape == (0, 1)
    assert ad.softmax(x)().shape == (0, 3)
    assert ad.log_softmax(x)().shape == (0, 3)
    assert ad.logsumexp(x, axis=1)().shape == (0,)
    labels = np.zeros(0, np.int64)
    assert ad.nn.cross_entropy(x, labels, reduction="none")().shape == (0,)
    assert ad.nn.cross_entropy(x, labels, reduction="sum")() == 0
    with np.errstate(all="ignore"):
        for axis in (None, 0, 1):
            np.testing.assert_array_equal(ad.mean(x, axis=axis)(), np.mean(x.value, axis=axis))
        np.testing.assert_array_equal(ad.nn.cross_entropy(x, labels)(), np.nan)
    assert ad.grad(ad.nn.cross_entropy(x, labels, reduction="sum"), x)().shape == (0, 3)


@pytest.mark.parametrize("bound", [0.5, np.float64(0.5), np.array(0.5), np.float32(0.5), 1, np.int64(1)], ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int8, bool])
def test_clip_by_numbers_has_numpy_s_dtype(bound, dtype):
    a = np.arange(-1, 3).astype(dtype)
    for lo, hi in ((bound, None), (None, bound), (bound, bound)):
        expected = np.clip(a, lo, hi)
        y = ad.clip(ad.Variable(a), lo, hi)
        assert y.dtype == y().dtype == expected.dtype
        np.testing.assert_array_equal(y(), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, bool, np.float32])
def test_min_and_minimum_of_any_dtype(dtype):
    """min is not -max(-x): that wraps unsigned integers and fails on booleans."""
    a = np.array([[0, 2, 1], [3, 0, 255]]).astype(dtype)
    b = np.array([1, 1, 0]).astype(dtype)
    x = ad.Variable(a)
    for y, expected in ((ad.min(x, axis=1), np.min(a, axis=1)), (ad.minimum(x, b), np.minimum(a, b))):
        assert y.dtype == y().dtype == expected.dtype
        np.testing.assert_array_equal(y(), expected)


# -- properties against NumPy -------------------------------------------------------------
_ORDS = [None, "fro", 1, -1, 2, -2, np.inf, -np.inf, 0, 3, 0.5, -1.5, "nuc"]


@st.composite
def _arrays(draw, min_dims=1, max_dims=3):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=min_dims, max_size=max_dims)))
    seed = draw(st.integers(0, 2**16))
    a = np.random.default_rng(seed).normal(size=shape)
    if draw(st.booleans()):
        a = np.round(a)  # zeros and ties
    return a


def _same_or_both_raise(ours, reference):
    """ours() equals reference() in value, shape and dtype, or both raise (ours may raise
    NotImplementedError where NumPy needs singular values)."""
    try:
        with np.errstate(all="ignore"):
            expected = np.asarray(reference())
    except (ValueError, TypeError) as error:
        with pytest.raises((ValueError, TypeError)):
            ours()
        return error
    try:
        node = ours()
    except NotImplementedError:
        return None
    with np.errstate(all="ignore"):
        value = node()
    assert node.shape == value.shape == expected.shape
    assert node.dtype == value.dtype == expected.dtype
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    return None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_arrays(), st.sampled_from(_ORDS), st.data(), st.booleans())
def test_norm_matches_numpy(a, ord, data, keepdims):
    axes = list(range(-a.ndim, a.ndim))
    axis = data.draw(
        st.one_of(st.none(), st.sampled_from(axes), st.tuples(st.sampled_from(axes), st.sampled_from(axes)))
    )
    x = ad.Variable(a)
    _same_or_both_raise(lambda: ad.norm(x, ord, axis, keepdims), lambda: np.linalg.norm(a, ord, axis, keepdims))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_arrays(min_dims=2), st.integers(-6, 6), st.data())
def test_diagonal_and_trace_match_numpy(a, offset, data):
    axes = list(range(-a.ndim, a.ndim))
    axis1, axis2 = data.draw(st.sampled_from(axes)), data.draw(st.sampled_from(axes))
    x = ad.Variable(a)
    _same_or_both_raise(lambda: ad.diagonal(x, offset, axis1, axis2), lambda: np.diagonal(a, offset, axis1, axis2))
    _same_or_both_raise(lambda: ad.trace(x, offset, axis1, axis2), lambda: np.trace(a, offset, axis1, axis2))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_arrays(), st.data())
def test_clip_matches_numpy(a, data):
    def bound():
        kind = data.draw(st.sampled_from(["none", "number", "row", "node"]))
        if kind == "none":
            return None, None
        if kind == "number":
            b = data.draw(st.floats(-2, 2))
            return b, b
        b = np.random.default_rng(data.draw(st.integers(0, 99))).normal(size=a.shape[-1:])
        return (b, b) if kind == "row" else (ad.Constant(b), b)

    (lo, lo_ref), (hi, hi_ref) = bound(), bound()
    if lo_ref is not None and hi_ref is not None and np.ndim(lo_ref) == 0 == np.ndim(hi_ref) and lo_ref > hi_ref:
        lo, hi, lo_ref, hi_ref = hi, lo, hi_ref, lo_ref  # crossed numbers raise here (tested elsewhere)
    x = ad.Variable(a)
    _same_or_both_raise(lambda: ad.clip(x, lo, hi), lambda: np.clip(a, lo_ref, hi_ref))
