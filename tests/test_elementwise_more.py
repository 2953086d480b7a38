"""The elementwise functions of issue 10 beyond the op-case table: erf and erfc against SciPy
and mpmath, values and derivatives at edge points (0, +-1, inf, nan), NumPy's dtypes, and
build-time errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

import autodiff as ad


def _values(nodes):
    """The values of `nodes` from a simplified plan and from the graph as built, with any
    floating-point warning but underflow an error (no nan or inf on the way)."""
    with np.errstate(all="raise", under="ignore"):
        return ad.function(nodes)(), ad.eval(nodes)


# -- erf and erfc: no SciPy at run time ----------------------------------------------------
GRID = np.concatenate(
    [
        np.linspace(-30, 30, 60001),
        np.geomspace(1e-300, 1.0, 600),
        -np.geomspace(1e-300, 1.0, 600),
        [
            0.0,
            -0.0,
            0.5,
            -0.5,
            np.nextafter(0.5, 0),
            2.0,
            np.nextafter(2.0, 0),
            -2.0,
            26.5,
            4.0,
            np.nextafter(4.0, 0),
            6.0,
            -np.nextafter(6.0, 0),
        ],
    ]
)


def _relative_error(ours, reference):
    normal = np.abs(reference) >= np.finfo(np.float64).tiny  # subnormal results carry fewer bits
    return np.abs(ours - reference)[normal] / np.abs(reference[normal])


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_erf_and_erfc_match_scipy_over_minus_30_to_30(name):
    ours = getattr(ad, name)(ad.Variable(GRID))()
    reference = getattr(special, name)(GRID)
    inner = np.abs(GRID) <= 10
    assert _relative_error(ours[inner], reference[inner]).max() <= 1e-14
    # past 10, SciPy's erfc itself is off by up to 6e-14 (the rounding of x**2 in its
    # exp(-x**2)); against mpmath below ours is within 2e-15 there
    assert _relative_error(ours, reference).max() <= 1e-13


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_erf_and_erfc_match_mpmath_to_a_few_ulps(name):
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([np.linspace(-27, 27, 1501), np.geomspace(1e-12, 0.7, 50)])
    with mpmath.workdps(40):
        function = getattr(mpmath, name)
        reference = np.array([float(function(mpmath.mpf(float(v)))) for v in x])
    ours = getattr(ad, name)(ad.Variable(x))()
    assert _relative_error(ours, reference).max() <= 2e-15


def test_erf_and_erfc_at_infinities_nan_and_tiny_inputs():
    x = np.array([np.inf, -np.inf, np.nan, 1e-310, -0.0, 40.0, -40.0])
    v = ad.Variable(x)
    np.testing.assert_array_equal(ad.erf(v)(), special.erf(x))
    np.testing.assert_array_equal(ad.erfc(v)(), special.erfc(x))
    assert ad.erfc(ad.Variable(10.0))() == pytest.approx(2.088487583762545e-45, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int8, bool])
def test_erf_dtypes(dtype):
    a = np.array([-2, 0, 1]).astype(dtype)
    expected = np.float32 if dtype == np.float32 else np.float64
    for f, reference in ((ad.erf, special.erf), (ad.erfc, special.erfc)):
        y = f(ad.Variable(a))
        assert y.dtype == y().dtype == expected
        np.testing.assert_allclose(y(), reference(a.astype(np.float64)), rtol=1e-6)


def test_erf_derivatives_are_the_gaussian_and_its_derivatives():
    a = np.array([-3.0, -0.4, 0.0, 0.2, 1.5, 6.0])
    x = ad.Variable(a)
    g = ad.grad(ad.sum(ad.erf(x)), x)
    gc = ad.grad(ad.sum(ad.erfc(x)), x)
    h = ad.grad(ad.sum(g), x)
    gauss = 2 / np.sqrt(np.pi) * np.exp(-(a**2))
    for value in _values([g, gc, h]):
        np.testing.assert_allclose(value[0], gauss, rtol=1e-15)
        np.testing.assert_allclose(value[1], -gauss, rtol=1e-15)
        np.testing.assert_allclose(value[2], -2 * a * gauss, rtol=1e-14)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-40, 40), min_size=1, max_size=40))
def test_erf_and_erfc_match_scipy_anywhere(values):
    a = np.array(values)
    x = ad.Variable(a)
    np.testing.assert_allclose(ad.erf(x)(), special.erf(a), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(ad.erfc(x)(), special.erfc(a), rtol=1e-13, atol=1e-300)


# -- logaddexp -----------------------------------------------------------------------------
INF = np.inf
PAIRS = [(INF, 1.0), (1.0, INF), (-INF, -INF), (INF, INF), (-INF, 2.0), (3.0, -INF), (INF, -INF)]


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_at_infinities_matches_numpy_with_finite_derivatives(name):
    a, b = (np.array(v) for v in zip(*PAIRS, strict=True))
    x1, x2 = ad.Variable(a), ad.Variable(b)
    y = getattr(ad, name)(x1, x2)
    f = ad.sum(y * np.ones(len(PAIRS)))
    g1, g2 = ad.grad(f, [x1, x2])
    hessian = ad.hessian(f, x1)
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(a, b)
    np.testing.assert_array_equal(y(), expected)
    for value in _values([g1, g2, hessian]):
        np.testing.assert_array_equal(value[0], [1, 0, 0.5, 0.5, 0, 1, 1])
        np.testing.assert_array_equal(value[1], [0, 1, 0.5, 0.5, 1, 0, 0])
        np.testing.assert_array_equal(value[2], np.zeros((7, 7)))  # 0 at infinite inputs


def test_logaddexp_of_huge_and_equal_inputs():
    x = ad.Variable(np.array([1e308, -1e308, 5.0]))
    np.testing.assert_array_equal(ad.logaddexp(x, x)(), np.logaddexp(x.value, x.value))
    g = ad.grad(ad.sum(ad.logaddexp(x, 0.0)), x)
    np.testing.assert_array_equal(g(), [1.0, 0.0, 1 / (1 + np.exp(-5.0))])
    # the second derivative at x1 == x2 is sigmoid'(0) = 1/4 (not 0, as a kink of |d| gives)
    v = ad.Variable(np.array(0.3))
    assert ad.grad(ad.grad(ad.logaddexp(v, 0.3), v), v)() == pytest.approx(0.25, rel=1e-15)


# -- sinc -----------------------------------------------------------------------------------
def test_sinc_derivatives_of_every_order_at_0():
    """The n-th derivative of sin(pi x) / (pi x) at 0: 0 for odd n, (-1)**k pi**2k / (2k + 1)
    for n = 2k; no nan or inf anywhere on the way."""
    x = ad.Variable(np.array([0.0, -0.0]))
    d = ad.sum(ad.sinc(x))
    derivatives = []
    for _ in range(6):
        d = ad.grad(d, x)
        derivatives.append(d)
        d = ad.sum(d)
    for values in _values([ad.sinc(x), *derivatives]):
        np.testing.assert_array_equal(values[0], [1.0, 1.0])
        for n, value in enumerate(values[1:], start=1):
            expected = 0.0 if n % 2 else (-1) ** (n // 2) * np.pi**n / (n + 1)
            np.testing.assert_allclose(value, [expected] * 2, rtol=1e-13, atol=0)


def test_sinc_matches_numpy_and_is_smooth_across_its_branch_point():
    edge = 1 / np.pi  # |pi x| = 1: polynomial inside, sin(t) / t outside
    a = np.array([np.nextafter(edge, 0), edge, np.nextafter(edge, 1), -edge, 1e-200, 1e200, 7.0])
    np.testing.assert_allclose(ad.sinc(ad.Variable(a))(), np.sinc(a), rtol=1e-15)
    ad.check_grads(ad.sinc, [np.array([edge - 1e-4, edge + 1e-4, -edge + 1e-4])], order=3)
    x = ad.Variable(a[:-2])  # (at 1e200 t**2 overflows in the derivative: its term is 0)
    g = ad.grad(ad.sum(ad.sinc(x)), x)
    h = ad.grad(ad.sum(g), x)
    t = np.pi * a[:4]
    exact = np.pi * (np.cos(t) - np.sin(t) / t) / t
    for value in _values([g, h]):
        np.testing.assert_allclose(value[0][:4], exact, rtol=1e-12)
        assert np.all(np.isfinite(value[1]))


@pytest.mark.parametrize("dtype", [np.float32, np.int64, bool])
def test_sinc_dtype(dtype):
    a = np.array([0, 1, 2]).astype(dtype)
    y = ad.sinc(ad.Variable(a))
    assert y.dtype == y().dtype == np.sinc(a).dtype
    np.testing.assert_allclose(y(), np.sinc(a), rtol=1e-6, atol=1e-7)


# -- inverse functions: NumPy's nan outside the domain ----------------------------------------
@pytest.mark.parametrize(
    "name, points",
    [
        ("arcsin", [-2.0, -1.0, 0.5, 1.0, 1.5, np.nan]),
        ("arccos", [-2.0, -1.0, 0.5, 1.0, 1.5, np.inf]),
        ("arccosh", [0.5, 1.0, 2.0, np.inf, -3.0]),
        ("arctanh", [-2.0, -1.0, 0.5, 1.0, 1.5]),
        ("log2", [-1.0, 0.0, 8.0, np.inf]),
        ("log10", [-1.0, 0.0, 1e5, np.inf]),
        ("tan", [np.pi / 2, -np.inf, 1.0]),
        ("arcsinh", [-1e300, 0.0, np.inf]),
        ("cosh", [800.0, -800.0]),
        ("exp2", [-1100.0, 1100.0, 0.5]),
        ("cbrt", [-27.0, 0.0, np.inf]),
        ("reciprocal", [0.0, -0.0, np.inf, 4.0]),
    ],
)
def test_values_outside_the_domain_and_at_its_edges_are_numpy_s(name, points):
    a = np.array(points)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(getattr(ad, name)(ad.Variable(a))(), getattr(np, name)(a))


@pytest.mark.parametrize(
    "name, derivative",
    [
        ("arcsin", lambda x: 1 / np.sqrt(1 - x * x)),
        ("arccos", lambda x: -1 / np.sqrt(1 - x * x)),
        ("arctanh", lambda x: 1 / (1 - x * x)),
    ],
)
def test_derivatives_near_the_edge_of_the_domain(name, derivative):
    a = np.array([-0.999999, -0.5, 0.0, 0.999, 0.9999999])
    x = ad.Variable(a)
    np.testing.assert_allclose(ad.grad(ad.sum(getattr(ad, name)(x)), x)(), derivative(a), rtol=1e-9)


def test_arccosh_and_arcsinh_derivatives_for_large_inputs():
    x = ad.Variable(np.array([1.5, 1e10, 1e200]))
    np.testing.assert_allclose(
        ad.grad(ad.sum(ad.arccosh(x)), x)(), [1 / np.sqrt(1.25), 1e-10, 1e-200], rtol=1e-14
    )
    np.testing.assert_allclose(
        ad.grad(ad.sum(ad.arcsinh(x)), x)(), [1 / np.sqrt(3.25), 1e-10, 1e-200], rtol=1e-14
    )


def test_hypot_and_arctan2_at_the_origin_and_far_away():
    a = np.array([0.0, 3.0, 1e150, -1e-150])
    b = np.array([0.0, -4.0, 1e150, 0.0])
    x1, x2 = ad.Variable(a), ad.Variable(b)
    np.testing.assert_array_equal(ad.hypot(x1, x2)(), np.hypot(a, b))
    np.testing.assert_array_equal(ad.arctan2(x1, x2)(), np.arctan2(a, b))
    r = np.hypot(a[1:], b[1:])
    for values in _values(
        [
            *ad.grad(ad.sum(ad.hypot(x1, x2)), [x1, x2]),
            *ad.grad(ad.sum(ad.arctan2(x1, x2)), [x1, x2]),
        ]
    ):
        np.testing.assert_array_equal([v[0] for v in values], [0.0] * 4)  # the origin: 0
        np.testing.assert_allclose(values[0][1:], a[1:] / r, rtol=1e-15)
        np.testing.assert_allclose(values[1][1:], b[1:] / r, rtol=1e-15)
        np.testing.assert_allclose(values[2][1:], b[1:] / r / r, rtol=1e-15)
        np.testing.assert_allclose(values[3][1:], -a[1:] / r / r, rtol=1e-15)


# -- nan_to_num ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kwargs", [{}, {"nan": 1.5}, {"posinf": 9.0, "neginf": -9}, {"nan": 2, "posinf": np.float32(3)}]
)
def test_nan_to_num_matches_numpy(dtype, kwargs):
    a = np.array([np.nan, np.inf, -np.inf, 2.5, -0.0], dtype=dtype)
    y = ad.nan_to_num(ad.Variable(a), **kwargs)
    expected = np.nan_to_num(a, **kwargs)
    assert y.dtype == y().dtype == expected.dtype
    np.testing.assert_array_equal(y(), expected)


def test_nan_to_num_derivative_is_1_where_finite_0_elsewhere():
    a = np.array([np.nan, np.inf, -np.inf, 2.5, -1.0])
    x = ad.Variable(a)
    g = ad.grad(ad.sum(ad.nan_to_num(x) * 3.0), x)
    np.testing.assert_array_equal(g(), [0, 0, 0, 3, 3])
    np.testing.assert_array_equal(ad.isfinite(x)(), np.isfinite(a))


def test_nan_to_num_of_integers_is_the_input_and_bad_arguments_raise():
    v = ad.Variable(np.array([1, 2]))
    assert ad.nan_to_num(v) is v
    with pytest.raises(TypeError, match="NanToNum: nan must be a real number"):
        ad.nan_to_num(ad.Variable(1.0), nan="zero")
    with pytest.raises(TypeError, match="posinf"):
        ad.nan_to_num(ad.Variable(1.0), posinf=np.array([1.0, 2.0]))


# -- rounding and modular arithmetic ------------------------------------------------------
ROUNDING = ["floor", "ceil", "rint", "trunc", "fix", "round", "around"]
DTYPES = [np.float64, np.float32, np.int64, np.int8, np.uint8, bool]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_values_and_dtypes_are_numpy_s(name, dtype):
    a = np.array(
        [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, 3.7, 1e300, -np.inf, np.nan]
    )
    with np.errstate(all="ignore"):
        a = (
            a.astype(dtype)
            if dtype in (np.float64, np.float32)
            else np.array([0, 1, 2, 5, 7]).astype(dtype)
        )
    expected = getattr(np, name)(a)
    if expected.dtype == np.float16:  # NumPy's float16 for small integers is float64 here
        expected = getattr(np, name)(a.astype(np.float64))
    y = getattr(ad, name)(ad.Variable(a))
    assert y.dtype == y().dtype == expected.dtype
    np.testing.assert_array_equal(y(), expected)


@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_round_decimals_as_numpy(decimals, dtype):
    a = (
        np.array([1234.5678, -1250.0, 15.0, -25.0, 0.125, 0.375, 2.675])
        * (1 if dtype in (np.float64, np.float32) else 1)
    ).astype(dtype)
    expected = np.round(a, decimals)
    y = ad.round(ad.Variable(a), decimals=decimals)
    assert y.dtype == y().dtype == expected.dtype
    np.testing.assert_array_equal(y(), expected)


def test_round_refuses_a_decimals_that_is_not_an_integer():
    for bad in (1.5, "1", True):
        with pytest.raises(TypeError, match="Round: decimals must be an integer"):
            ad.round(ad.Variable(1.0), bad)


def test_rounding_of_integers_is_the_input_and_complex_raises():
    v = ad.Variable(np.array([1, 2], dtype=np.int32))
    for name in ("floor", "ceil", "trunc", "fix", "round"):
        assert getattr(ad, name)(v) is v
    with pytest.raises(TypeError, match="Floor: NumPy does not take inputs of dtype complex128"):
        ad.floor(ad.Variable(np.array([1 + 1j])))


@pytest.mark.parametrize("name", ROUNDING + ["floor_divide"])
def test_rounding_derivatives_are_0_at_every_order(name):
    x = ad.Variable(np.array([-1.5, 0.0, 0.3, 2.0]))
    f = getattr(ad, name)
    y = ad.sum(f(x, 0.7) if name == "floor_divide" else f(x))
    g = ad.grad(y, x)
    h = ad.hessian(y * x[0], x)
    for value in _values([g, h]):
        assert not value[0].any() and value[1].shape == (4, 4)


SIGNS = [
    (7.5, 2.0),
    (-7.5, 2.0),
    (7.5, -2.0),
    (-7.5, -2.0),
    (6.0, 3.0),
    (-6.0, 3.0),
    (0.0, -1.0),
    (1.0, 0.0),
    (np.inf, 2.0),
    (2.0, np.inf),
    (-2.0, np.inf),
]


@pytest.mark.parametrize("name", ["fmod", "remainder", "mod", "floor_divide"])
def test_modular_values_and_sign_conventions_are_numpy_s(name):
    a, b = (np.array(v) for v in zip(*SIGNS, strict=True))
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(a, b)
        value = getattr(ad, name)(ad.Variable(a), ad.Variable(b))()
    np.testing.assert_array_equal(value, expected)
    for dtype in (np.int64, np.int8, np.uint8, bool, np.float32):
        ia, ib = np.array([7, 0, 5, 3]).astype(dtype), np.array([2, 3, 5, 2]).astype(dtype)
        with np.errstate(all="ignore"):
            expected = getattr(np, name)(ia, ib)
        y = getattr(ad, name)(ad.Variable(ia), ad.Variable(ib))
        assert y.dtype == y().dtype == expected.dtype
        np.testing.assert_array_equal(y(), expected)
    ints = np.array([-7, 7, -7, 7]), np.array([2, 2, -2, -2])
    np.testing.assert_array_equal(
        getattr(ad, name)(ad.Variable(ints[0]), ints[1])(), getattr(np, name)(*ints)
    )


@pytest.mark.parametrize(
    "name, quotient", [("fmod", np.trunc), ("remainder", np.floor), ("mod", np.floor)]
)
def test_modular_derivatives_are_1_and_minus_the_quotient(name, quotient):
    a = np.array([7.5, -7.5, 7.5, -7.5, 0.3])
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.7])
    x1, x2 = ad.Variable(a), ad.Variable(b)
    f = ad.sum(getattr(ad, name)(x1, x2))
    g1, g2 = ad.grad(f, [x1, x2])
    np.testing.assert_array_equal(g1(), np.ones(5))
    np.testing.assert_array_equal(g2(), -quotient(a / b))
    assert not ad.hessian(f, x2)().any()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1e3, 1e3), st.floats(-50, 50).filter(lambda v: abs(v) > 1e-3)),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["fmod", "remainder", "floor_divide"]),
)
def test_modular_matches_numpy_anywhere(pairs, name):
    a, b = (np.array(v) for v in zip(*pairs, strict=True))
    np.testing.assert_array_equal(
        getattr(ad, name)(ad.Variable(a), ad.Variable(b))(), getattr(np, name)(a, b)
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    st.integers(-4, 6),
    st.sampled_from(ROUNDING),
)
def test_rounding_matches_numpy_anywhere(values, decimals, name):
    a = np.array(values)
    y = ad.round(ad.Variable(a), decimals) if name == "round" else getattr(ad, name)(ad.Variable(a))
    expected = np.round(a, decimals) if name == "round" else getattr(np, name)(a)
    np.testing.assert_array_equal(y(), expected)


# -- dtypes and build-time errors --------------------------------------------------------------
UNARY = [
    "tan",
    "sinh",
    "cosh",
    "arcsin",
    "arccos",
    "arcsinh",
    "arccosh",
    "arctanh",
    "log2",
    "log10",
    "exp2",
    "cbrt",
    "erf",
    "erfc",
    "sinc",
    "deg2rad",
    "rad2deg",
    "degrees",
    "radians",
]
BINARY = ["arctan2", "hypot", "logaddexp", "logaddexp2"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes(name):
    """float32 stays float32 (its gradient too), integers and booleans give float64."""
    f = getattr(ad, name)
    x = ad.Variable(np.array([1.5, 1.25] if name == "arccosh" else [0.5, 0.25], dtype=np.float32))
    y = f(x)
    assert y.dtype == y().dtype == np.float32
    g = ad.grad(ad.sum(y), x)
    assert g.dtype == g().dtype == np.float32
    for a in (np.array([1, 2]), np.array([1, 2], dtype=np.int8), np.array([True, False])):
        with np.errstate(all="ignore"):
            assert f(ad.Variable(a)).dtype == f(ad.Variable(a))().dtype == np.float64


def test_reciprocal_of_integers_is_numpy_s():
    a = np.array([1, 2, -1])
    for dtype in (np.int64, np.int8, np.uint8, bool):
        b = a.astype(dtype)
        y = ad.reciprocal(ad.Variable(b))
        with np.errstate(all="ignore"):
            expected = np.reciprocal(b)
        assert y.dtype == y().dtype == expected.dtype
        np.testing.assert_array_equal(y(), expected)


@pytest.mark.parametrize("name", BINARY + ["fmod", "remainder", "floor_divide"])
def test_binary_errors_name_the_op_and_the_shapes(name):
    f = getattr(ad, name)
    op = {"fmod": "Fmod", "remainder": "Remainder", "floor_divide": "FloorDivide"}.get(
        name, name.capitalize()
    )
    with pytest.raises(ValueError, match=rf"{op}: cannot broadcast \(3,\) with \(4,\) \(input 1\)"):
        f(ad.Variable(np.ones(3)), ad.Variable(np.ones(4)))
    with pytest.raises(TypeError, match="expected at least one Node"):
        f(1.0, 2.0)
    with pytest.raises(TypeError):
        f(ad.Variable(1.0), "a")


@pytest.mark.parametrize("name", BINARY)
def test_binary_dtypes_and_broadcasting(name):
    f, reference = getattr(ad, name), getattr(np, name)
    a = np.linspace(0.5, 2, 6).reshape(3, 2, 1)
    b = np.linspace(-1, 1, 4)
    np.testing.assert_allclose(f(ad.Variable(a), ad.Variable(b))(), reference(a, b), rtol=1e-15)
    y = f(ad.Variable(a.astype(np.float32)), 2.0)
    assert y.dtype == y().dtype == np.float32
    y = f(ad.Variable(np.array([1, 2])), ad.Variable(np.array([3, 4])))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y(), reference(np.array([1, 2]), np.array([3, 4])), rtol=1e-15)


def test_degrees_and_radians_are_numpy_s_exactly():
    a = np.linspace(-720, 720, 97)
    np.testing.assert_array_equal(ad.deg2rad(ad.Variable(a))(), np.deg2rad(a))
    np.testing.assert_array_equal(ad.radians(ad.Variable(a))(), np.radians(a))
    np.testing.assert_array_equal(ad.rad2deg(ad.Variable(a))(), np.rad2deg(a))
    g = ad.grad(ad.sum(ad.degrees(ad.Variable(a))), ad.Variable(a))
    assert g().shape == a.shape and math.isclose(
        ad.grad(ad.degrees(v := ad.Variable(1.0)), v)(), 180 / np.pi
    )


FUNCTIONS = {name: getattr(np, name) for name in UNARY if hasattr(np, name)}
FUNCTIONS.update(erf=special.erf, erfc=special.erfc)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(FUNCTIONS)),
    st.lists(st.integers(1, 4), max_size=3),
    st.integers(0, 2**16),
    st.sampled_from([0.5, 1.0, 3.0, 30.0]),
)
def test_unary_functions_match_numpy_anywhere(name, shape, seed, scale):
    """Values (nan where NumPy gives nan, outside a domain too) on random arrays of any shape,
    0-d included."""
    a = scale * np.random.default_rng(seed).normal(size=tuple(shape))
    with np.errstate(all="ignore"):
        expected = np.asarray(FUNCTIONS[name](a))
        y = getattr(ad, name)(ad.Variable(a))
        value = y()
    assert y.shape == value.shape == expected.shape
    np.testing.assert_allclose(value, expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", BINARY)
def test_binary_functions_match_numpy_on_a_grid_of_specials(name):
    values = np.array([-np.inf, -1e300, -2.0, -0.0, 0.0, 1e-300, 0.5, 3.0, 1e300, np.inf, np.nan])
    a, b = np.meshgrid(values, values)
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(a, b)
        value = getattr(ad, name)(ad.Variable(a), ad.Variable(b))()
    np.testing.assert_allclose(value, expected, rtol=1e-15, atol=0)


def test_the_family_exports_what_its_parts_define():
    from autodiff.ops import _basic, _functions, _rounding, elementwise

    assert elementwise.__all__ == [*_basic.__all__, *_functions.__all__, *_rounding.__all__]
    assert all(getattr(ad, name) is getattr(elementwise, name) for name in elementwise.__all__)
    assert ad.ops.elementwise.Negative.__module__ == "autodiff.ops.elementwise"
