"""The nan-functions and order statistics against NumPy at their edges (autodiff/ops/statistics.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad

NAN = np.nan


def numpy_quietly(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns on a slice of nans
        return f(*args, **kwargs)


@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanmax", "nanmin", "nanvar", "nanstd"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_nan_functions_match_numpy_with_slices_of_nans(name, axis):
    a = np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [-2.0, 5.0, NAN]])
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 for a slice of nans, as NumPy
        got = getattr(ad, name)(ad.Variable(a), axis=axis)()
    np.testing.assert_allclose(got, numpy_quietly(getattr(np, name), a, axis=axis), equal_nan=True)


def test_nan_functions_of_integers_and_float32_keep_numpy_s_dtypes():
    ints = np.array([[3, 1], [2, 7]])
    f32 = np.array([1.5, NAN, 2.5], np.float32)
    for name in ["nansum", "nanmax", "nanmean", "ptp", "median"]:
        for a in (ints, f32):
            got = getattr(ad, name)(ad.Variable(a))()
            want = numpy_quietly(getattr(np, name), a) if name != "median" else np.median(a)
            assert got.dtype == np.asarray(want).dtype, (name, a.dtype)
            np.testing.assert_allclose(got, want, equal_nan=True)


def test_a_quantile_of_a_slice_holding_a_nan_is_nan():
    a = np.array([[1.0, NAN, 3.0], [4.0, 5.0, 6.0]])
    got = ad.quantile(ad.Variable(a), [0.1, 0.5], axis=1)()
    np.testing.assert_array_equal(got, np.quantile(a, [0.1, 0.5], axis=1))


def test_fmax_and_fmin_ignore_one_nan_and_broadcast():
    x = np.array([[1.0, NAN], [NAN, 4.0]])
    y = np.array([NAN, 2.0])
    np.testing.assert_array_equal(ad.fmax(ad.Variable(x), y)(), np.fmax(x, y))
    np.testing.assert_array_equal(ad.fmin(y, ad.Variable(x))(), np.fmin(y, x))


def test_the_median_s_gradient_is_shared_by_the_two_middle_values():
    x = ad.Variable(np.array([4.0, 1.0, 3.0, 2.0]))
    np.testing.assert_array_equal(ad.grad(ad.median(x), x)(), [0.0, 0.0, 0.5, 0.5])


def test_numpy_dispatch_reaches_them():
    a = np.array([[1.0, NAN, 3.0], [4.0, 5.0, 6.0]])
    x = ad.Variable(a)
    for f in (np.nansum, np.nanmean, np.median, np.ptp, np.isnan):
        assert isinstance(f(x), ad.Node)
    np.testing.assert_allclose(np.percentile(x, 30, axis=1)(), np.percentile(a, 30, axis=1), equal_nan=True)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: ad.quantile(x, 1.5), ValueError, r"Quantile: q must be in the range \[0, 1\]"),
        (lambda x: ad.quantile(x, [[0.5]]), ValueError, "Quantile: q must be a number or a 1-d"),
        (lambda x: ad.quantile(x, 0.5, method="nearest"), ValueError, "only 'linear'"),
        (lambda x: ad.percentile(x, 101), ValueError, r"Percentile: q must be in the range \[0, 100\]"),
        (lambda x: ad.median(x, axis=2), ValueError, "Quantile: axis 2"),
        (lambda x: ad.median(x[:, :0], axis=1), ValueError, "empty axis"),
    ],
)
def test_bad_arguments_raise_when_the_graph_is_built(call, error, match):
    with pytest.raises(error, match=match):
        call(ad.Variable(np.ones((2, 3))))


@settings(max_examples=40, deadline=None)
@given(
    a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                 elements=st.floats(-10, 10)),
    data=st.data(),
)
def test_quantile_matches_numpy_and_finite_differences(a, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    q = data.draw(st.one_of(st.floats(0, 1), st.lists(st.floats(0, 1), min_size=1, max_size=3)))
    keepdims = data.draw(st.booleans())
    x = ad.Variable(a)
    y = ad.quantile(x, q, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(y(), np.quantile(a, q, axis=axis, keepdims=keepdims), atol=1e-12)
    distinct = np.unique(a).size == a.size  # away from ties the quantile is differentiable
    if distinct and np.min(np.diff(np.sort(a.ravel()), prepend=-np.inf)) > 1e-3:
        ad.check_grads(lambda v: ad.quantile(v, q, axis=axis, keepdims=keepdims), [a], order=1)
