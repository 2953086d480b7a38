"""Wrong answers a user found by trying the library (each failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize(
    "dtype", [np.uint8, np.uint16, np.uint32, np.int8, np.int16, np.int32, np.bool_]
)
def test_narrow_integer_sums_do_not_wrap(dtype):
    values = np.full((4, 4), 1 if dtype == np.bool_ else 100, dtype)
    x = ad.Variable(values)
    for node, reference in [
        (ad.sum(x), np.sum(values)),
        (ad.sum(x, axis=0), np.sum(values, axis=0)),
        (ad.mean(x), np.mean(values)),
        (ad.std(x), np.std(values)),
        (ad.var(x, axis=1), np.var(values, axis=1)),
    ]:
        value = node()
        assert node.dtype == value.dtype == np.asarray(reference).dtype
        np.testing.assert_array_equal(value, reference)


def test_polynomial_features_have_derivatives_at_zero():
    """x ** [0, 1, 2, 3]: the x ** 0 column has derivative 0, not 0 * x ** -1 = nan."""
    x = ad.Variable(np.array([0.0, 0.5]))
    p = (x[:, None] ** np.arange(4.0)) @ np.array([1.0, 2.0, 3.0, 4.0])  # 1 + 2x + 3x^2 + 4x^3
    d1 = ad.grad(ad.sum(p), x)
    np.testing.assert_allclose(d1(), 2 + 6 * x.value + 12 * x.value**2)
    d2 = ad.grad(ad.sum(d1), x)
    np.testing.assert_allclose(d2(), 6 + 24 * x.value)
    d3 = ad.grad(ad.sum(d2), x)
    np.testing.assert_allclose(d3(), [24.0, 24.0])
    np.testing.assert_allclose(ad.grad(ad.sum(d3), x)(), [0.0, 0.0])


def test_power_of_zero_base_has_derivative_in_the_exponent():
    b, e = ad.Variable(np.array(0.0)), ad.Variable(np.array(2.0))
    assert float(ad.grad(b**e, e)()) == 0.0  # d/de 0 ** e = 0 for e > 0 (JAX, autograd agree)
    assert float(ad.grad(b**e, b)()) == 0.0
    x = ad.Variable(np.array([0.0, 1.5]))
    y = x ** ad.Variable(np.array([2.0, 2.0]))
    d3 = ad.grad(ad.grad(ad.grad(ad.sum(y), x), x), x)
    np.testing.assert_array_equal(d3(), [0.0, 0.0])


def test_power_with_node_exponent_matches_finite_differences():
    ad.check_grads(
        lambda x, y: x**y, [np.array([0.7, 1.3, 2.0]), np.array([0.5, 2.0, -1.5])], order=2
    )


def test_take_flattens_by_default_as_numpy():
    values = np.arange(6.0).reshape(2, 3)
    A = ad.Variable(values)
    np.testing.assert_array_equal(ad.take(A, np.array([1, 4]))(), np.take(values, [1, 4]))
    ids = ad.Variable(np.array([[5, 0]]))
    np.testing.assert_array_equal(ad.take(A, ids)(), np.take(values, [[5, 0]]))
    g = ad.grad(ad.sum(ad.take(A, np.array([1, 4, 4]))), A)()
    np.testing.assert_array_equal(g, [[0, 1, 0], [0, 2, 0]])


def test_take_checks_known_indices_when_built():
    A = ad.Variable(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"Take: index 9 is out of bounds for axis 1 of size 3"):
        ad.take(A, np.array([9]), axis=1)
    with pytest.raises(IndexError, match=r"Take: index -7 is out of bounds for axis 0 of size 6"):
        ad.take(A, np.array([-7]))


def test_concatenate_axis_none_flattens():
    a, b = np.arange(6.0).reshape(2, 3), np.ones(2)
    x = ad.Variable(a)
    y = ad.concatenate([x, b], axis=None)
    np.testing.assert_array_equal(y(), np.concatenate([a, b], axis=None))
    np.testing.assert_array_equal(
        ad.grad(ad.sum(y * np.arange(8.0)), x)(), np.arange(6.0).reshape(2, 3)
    )


def test_numpy_directions_take_the_graph_dtype():
    x = ad.Variable(np.ones(3, np.float32))
    y = ad.sum(x**3)
    for node in [
        ad.hvp(y, x, np.ones(3)),
        ad.jvp(x**2, x, np.ones(3)),
        ad.grad(x**2, x, seed=np.ones((2, 3))),
    ]:
        assert node.dtype == np.float32
        assert node().dtype == np.float32
    np.testing.assert_allclose(ad.hvp(y, x, np.arange(3.0))(), 6 * np.arange(3.0))


@pytest.mark.parametrize("equation", ["i$->i", "i1->i", "i,->i", "i;->i"])
def test_einsum_rejects_subscripts_numpy_rejects(equation):
    A = ad.Variable(np.ones((2, 2)))
    operands = [A, A] if "," in equation else [A]
    with pytest.raises(ValueError, match=r"Einsum"):
        ad.einsum(equation, *operands)


@pytest.mark.parametrize("dtype", ["foo", object, "U3"])
def test_astype_names_itself_for_bad_dtypes(dtype):
    with pytest.raises(TypeError, match=r"^Cast \(input of shape \(2,\), float64\): "):
        ad.astype(ad.Variable(np.ones(2)), dtype)


def test_arrays_a_plan_returns_are_the_callers_alone():
    x = ad.Variable(np.arange(6.0).reshape(2, 3))
    z = ad.exp(x)
    whole, row = ad.function([z, z[0]])()
    whole[0, 0] = 100.0
    assert row[0] == 1.0  # not a view of the other output
    first, second = ad.function([z, z])()
    assert first is not second
    A = ad.Variable(np.zeros((2, 3)))
    fed = np.ones((2, 3))
    row, same, flat = ad.function([A[0], A, ad.reshape(A, (6,))], inputs=[A])(fed)
    row[0] = same[1, 1] = flat[5] = 7.0
    np.testing.assert_array_equal(fed, np.ones((2, 3)))  # the array fed in is untouched
    total = ad.function(ad.sum(x, axis=0))()
    total[0] = -1.0
    np.testing.assert_array_equal(x.value, np.arange(6.0).reshape(2, 3))


def test_std_and_norm_of_data_holding_a_nan_are_nan():
    # the root taken through a double `where` (derivative 0 at 0) turned a nan variance into 0
    x = ad.Variable(np.array([np.nan, 1.0]))
    for y, want in [(ad.std(x), np.std(x.value)), (ad.norm(x), np.linalg.norm(x.value)),
                    (ad.norm(x, 3), np.linalg.norm(x.value, 3))]:
        assert np.isnan(want) and np.isnan(y()) and np.isnan(ad.function(y)())
    z = ad.Variable(np.zeros(2))  # and at zero: value 0, derivative 0
    assert ad.norm(z)() == 0 and not ad.grad(ad.norm(z), z)().any()


def _three_ways(node):
    """ad.eval, the simplified plan and the plain plan, which must agree."""
    return [ad.eval(node), ad.function(node)(), ad.function(node, simplify=False)()]


@pytest.mark.parametrize("shape, axis", [((0, 3), 1), ((0, 3), -1), ((2, 0), 0), ((0, 3), (0, 1))])
def test_prod_over_an_axis_of_an_empty_array(shape, axis):
    values = np.zeros(shape)
    x = ad.Variable(values)
    for keepdims in (False, True):
        reference = np.prod(values, axis=axis, keepdims=keepdims)
        for value in _three_ways(ad.prod(x, axis=axis, keepdims=keepdims)):
            np.testing.assert_array_equal(value, reference)
    assert ad.grad(ad.sum(ad.prod(x, axis=axis)), x)().shape == shape


def test_std_and_norms_propagate_nan():
    """The guard that gives the root the derivative 0 at 0 must not turn nan into 0."""
    values = np.array([[1.0, np.nan, 3.0], [np.inf, -1.0, 2.0]])
    x = ad.Variable(values)
    with np.errstate(invalid="ignore"):
        for node, reference in [
            (ad.std(x), np.std(values)),
            (ad.std(x, axis=0), np.std(values, axis=0)),
            (ad.norm(x), np.linalg.norm(values)),
            (ad.norm(x, axis=1), np.linalg.norm(values, axis=1)),
            (ad.norm(x, 3, axis=1), np.linalg.norm(values, 3, axis=1)),
            (ad.norm(x, "fro"), np.linalg.norm(values, "fro")),
        ]:
            for value in _three_ways(node):
                np.testing.assert_array_equal(value, reference)
    zero = ad.Variable(np.zeros(3))
    assert np.array_equal(ad.grad(ad.norm(zero), zero)(), np.zeros(3))  # still 0 at 0


@pytest.mark.parametrize("p", [np.inf, -np.inf, np.nan])
def test_power_with_an_infinite_or_nan_exponent_compiles(p):
    values = np.array([0.5, 2.0, -1.0])
    x = ad.Variable(values)
    for node in (x**p, ad.sqrt(ad.square(x) ** p)):  # the plan asks the power for its facts
        with np.errstate(invalid="ignore", over="ignore"):
            reference = ad.eval(node)
            for value in _three_ways(node):
                np.testing.assert_array_equal(value, reference)
    with np.errstate(invalid="ignore", over="ignore"):
        np.testing.assert_array_equal(ad.eval(x**p), values**p)


def test_prod_initial_node_is_differentiated_not_frozen():
    x = ad.Variable(np.array([1.0, -2.0, 3.0]))
    c = ad.Variable(np.array(0.5))
    y = ad.prod(x, initial=c)
    assert float(y()) == -3.0
    assert float(ad.grad(y, c)()) == -6.0
    assert float(ad.grad(y, x)()[0]) == -3.0
    c.value = np.array(2.0)  # the graph reads the Variable's current value
    assert float(y()) == -12.0
    with pytest.raises(ValueError, match=r"Prod: initial must be a scalar"):
        ad.prod(x, initial=ad.Variable(np.ones(3)))


@pytest.mark.parametrize(
    "build",
    [lambda c: ad.full((3,), c), lambda c: ad.leaky_relu(ad.Variable(np.ones(2)), c)],
    ids=["full value", "leaky_relu alpha"],
)
def test_number_parameters_refuse_nodes_instead_of_freezing_them(build):
    """A parameter that must be a number read a node's current value once, silently."""
    with pytest.raises(TypeError, match=r"must be a number, not a node"):
        build(ad.Variable(np.array(0.5)))


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda x, i, f: ad.roll(x, i), r"Roll: shift must be integers, not a node"),
        (lambda x, i, f: ad.repeat(x, i), r"Repeat: repeats must be integers, not a node"),
        (lambda x, i, f: ad.pad(x, i), r"Pad: pad_width must be integers, not a node"),
        (lambda x, i, f: ad.pad(x, ((i, 1), (0, 0))), r"Pad: pad_width must be integers"),
        (lambda x, i, f: ad.pad(x, 1, constant_values=(f, 1.0)), r"Pad: constant_values must"),
        (lambda x, i, f: ad.linalg.pinv(x, rcond=f), r"Pinv: rcond must be a number"),
        (lambda x, i, f: ad.linalg.pinv(x, rtol=f), r"Pinv: rtol must be a number"),
        (lambda x, i, f: ad.linalg.lstsq(x, np.ones(2), rcond=f), r"Lstsq: rcond must be"),
    ],
)
def test_static_arguments_refuse_nodes_instead_of_freezing_them(build, message):
    """An integer Variable passed as a shift, count or width (or a float one as a cutoff) was
    read once when the graph was built: later values of it were silently ignored."""
    x = ad.Variable(np.eye(2))
    i, f = ad.Variable(np.array(1)), ad.Variable(np.array(0.5))
    with pytest.raises(TypeError, match=message):
        build(x, i, f)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (2, 0, 2)])
def test_norms_and_rank_of_empty_matrices(shape):
    """NumPy takes the max of its norms with initial 0, and an empty matrix has rank 0."""
    values = np.ones(shape)
    x = ad.Variable(values)
    axes = (-2, -1)
    for ord in [None, "fro", 1, np.inf, 2, "nuc"]:
        for value in _three_ways(ad.norm(x, ord, axis=axes)):
            np.testing.assert_array_equal(value, np.linalg.norm(values, ord, axis=axes))
    for value in _three_ways(ad.norm(x, np.inf, axis=0)):
        np.testing.assert_array_equal(value, np.linalg.norm(values, np.inf, axis=0))
    rank = ad.linalg.matrix_rank(x)
    assert rank.dtype == np.int64
    np.testing.assert_array_equal(rank(), np.linalg.matrix_rank(values))


@pytest.mark.parametrize("shape, axis", [((0,), None), ((0, 3), 0), ((2, 0), 1), ((2, 0), -1)])
def test_logsumexp_of_nothing_is_minus_inf(shape, axis):
    """As scipy.special.logsumexp: log(0), not a zero-size Max error from the shift."""
    values = np.zeros(shape)
    x = ad.Variable(values)
    reference = np.full(np.sum(values, axis=axis).shape, -np.inf)
    with np.errstate(divide="ignore"):
        for node in (ad.logsumexp(x, axis=axis), ad.stats.logsumexp(x, axis=axis)):
            for value in _three_ways(node):
                np.testing.assert_array_equal(value, reference)
        assert ad.grad(ad.sum(ad.logsumexp(x, axis=axis)), x)().shape == shape
