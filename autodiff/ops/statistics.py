"""NumPy's nan-functions and order statistics: isnan, isinf, fmax, fmin, nansum, nanmean,
nanmax, nanmin, nanvar, nanstd, ptp, quantile, percentile, median.

All but isnan and isinf (boolean ops, no gradient) are compositions of existing ops, so their
derivatives of every order come from those: a nan-function masks the nans out with `where`
(no nan reaches a derivative), an order statistic sorts and interpolates between the two
neighbouring order statistics (`method="linear"`, NumPy's default), and the gradient flows back
through the sort's permutation (at ties, as `sort` shares them). Values and dtypes are NumPy's,
nan results included: a slice of nans only gives nan (NumPy also warns), a quantile of a slice
holding a nan is nan.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..node import Node, as_node
from ._basic import _unary, astype, equal, where
from ._common import float_dtype, normalize_axes
from ._rounding import Predicate
from .activations import maximum, minimum
from .einsum import sum
from .manipulation import moveaxis
from .reduce import all, any, max, min, sort, std, var
from .shape import reshape

__all__ = [
    "isnan",
    "isinf",
    "fmax",
    "fmin",
    "nansum",
    "nanmean",
    "nanmax",
    "nanmin",
    "nanvar",
    "nanstd",
    "ptp",
    "quantile",
    "percentile",
    "median",
]


class IsNan(Predicate):
    """Whether each element is nan, as np.isnan."""

    ufunc: Any = np.isnan


isnan = _unary(
    IsNan,
    "Whether each element is nan, as np.isnan (a boolean node).\n\n"
    ">>> import autodiff as ad; ad.isnan(ad.Variable([1.0, float('nan')]))()\n"
    "array([False,  True])",
)


class IsInf(Predicate):
    """Whether each element is +inf or -inf, as np.isinf."""

    ufunc = np.isinf


isinf = _unary(
    IsInf,
    "Whether each element is +inf or -inf, as np.isinf (a boolean node).\n\n"
    ">>> import autodiff as ad; ad.isinf(ad.Variable([1.0, -float('inf')]))()\n"
    "array([False,  True])",
)


def fmax(x1, x2) -> Node:
    """Elementwise maximum that ignores a nan (nan only where both are), as np.fmax; the
    gradient goes to the larger (split evenly at ties), as `maximum`'s.

    >>> import numpy as np, autodiff as ad
    >>> ad.fmax(ad.Variable([1.0, np.nan, np.nan]), ad.Variable([2.0, 3.0, np.nan]))()
    array([ 2.,  3., nan])
    """
    x1, x2 = as_node(x1), as_node(x2)
    return where(isnan(x2), x1, where(isnan(x1), x2, maximum(x1, x2)))


def fmin(x1, x2) -> Node:
    """Elementwise minimum that ignores a nan (nan only where both are), as np.fmin.

    >>> import numpy as np, autodiff as ad
    >>> ad.fmin(ad.Variable([1.0, np.nan]), ad.Variable([2.0, 3.0]))()
    array([1., 3.])
    """
    x1, x2 = as_node(x1), as_node(x2)
    return where(isnan(x2), x1, where(isnan(x1), x2, minimum(x1, x2)))


def _present(a: Node) -> Node:
    """Where `a` holds a number (not nan): ``a == a`` written as NumPy's ``~isnan(a)``."""
    return equal(isnan(a), False)


def nansum(a, axis=None, keepdims: bool = False) -> Node:
    """Sum treating nans as zero, as np.nansum (no nan reaches the gradient).

    >>> import numpy as np, autodiff as ad
    >>> ad.nansum(ad.Variable([1.0, np.nan, 2.0]))()
    array(3.)
    """
    a = as_node(a)
    if a.dtype.kind not in "fc":
        return sum(a, axis, keepdims)
    return sum(where(isnan(a), 0.0, a), axis, keepdims)


def nanmean(a, axis=None, keepdims: bool = False) -> Node:
    """Mean of the elements that are not nan, as np.nanmean (nan for a slice of nans only).

    >>> import numpy as np, autodiff as ad
    >>> ad.nanmean(ad.Variable([1.0, np.nan, 2.0]))()
    array(1.5)
    """
    a = as_node(a)
    dtype = float_dtype(a.dtype)
    count = sum(astype(_present(a), dtype), axis, keepdims)
    return nansum(astype(a, dtype), axis, keepdims) / count


def _nan_extreme(op, a, axis, keepdims: bool, fill: float) -> Node:
    a = as_node(a)
    if a.dtype.kind not in "fc":
        return op(a, axis, keepdims)
    best = op(where(isnan(a), fill, a), axis, keepdims)
    return where(all(isnan(a), axis=axis, keepdims=keepdims), np.nan, best)


def nanmax(a, axis=None, keepdims: bool = False) -> Node:
    """Maximum ignoring nans, as np.nanmax (nan for a slice of nans only; the gradient goes
    to the maximal elements, as `max`'s).

    >>> import numpy as np, autodiff as ad
    >>> ad.nanmax(ad.Variable([[1.0, np.nan], [np.nan, np.nan]]), axis=1)()
    array([ 1., nan])
    """
    return _nan_extreme(max, a, axis, keepdims, -np.inf)


def nanmin(a, axis=None, keepdims: bool = False) -> Node:
    """Minimum ignoring nans, as np.nanmin (nan for a slice of nans only).

    >>> import numpy as np, autodiff as ad
    >>> ad.nanmin(ad.Variable([3.0, np.nan, 2.0]))()
    array(2.)
    """
    return _nan_extreme(min, a, axis, keepdims, np.inf)


def nanvar(a, axis=None, ddof: int = 0, keepdims: bool = False) -> Node:
    """Variance of the elements that are not nan, as np.nanvar (`var` with ``where=``).

    >>> import numpy as np, autodiff as ad
    >>> ad.nanvar(ad.Variable([1.0, np.nan, 3.0]))()
    array(1.)
    """
    a = as_node(a)
    return var(a, axis, keepdims, ddof, where=_present(a))


def nanstd(a, axis=None, ddof: int = 0, keepdims: bool = False) -> Node:
    """Standard deviation of the elements that are not nan, as np.nanstd.

    >>> import numpy as np, autodiff as ad
    >>> ad.nanstd(ad.Variable([1.0, np.nan, 3.0]))()
    array(1.)
    """
    a = as_node(a)
    return std(a, axis, keepdims, ddof, where=_present(a))


def ptp(a, axis=None, keepdims: bool = False) -> Node:
    """Range of values (maximum minus minimum), as np.ptp.

    >>> import autodiff as ad
    >>> ad.ptp(ad.Variable([[4.0, 9.0, 2.0], [1.0, 1.0, 5.0]]), axis=1)()
    array([7., 4.])
    """
    return max(a, axis, keepdims) - min(a, axis, keepdims)


def quantile(a, q, axis=None, keepdims: bool = False, *, method: str = "linear") -> Node:
    """The q-th quantiles (q in [0, 1], a number or a 1-d list) along `axis`, as np.quantile
    with its default ``method="linear"``: the order statistics at floor(h) and floor(h) + 1,
    h = q (n - 1), interpolated. For a 1-d q the quantiles are the result's first axis. A
    slice holding a nan gives nan. Differentiable in `a` (through the sort); q is a constant.

    >>> import autodiff as ad
    >>> x = ad.Variable([[7.0, 1.0, 4.0, 10.0], [3.0, 2.0, 1.0, 0.0]])
    >>> ad.quantile(x, 0.25, axis=1)()
    array([3.25, 0.75])
    >>> ad.quantile(x, [0.0, 1.0])()
    array([ 0., 10.])
    """
    if method != "linear":
        raise ValueError(f"Quantile: method {method!r} is not supported (only 'linear')")
    a = as_node(a)
    qs = np.asarray(q, dtype=np.float64)
    if qs.ndim > 1:
        raise ValueError(f"Quantile: q must be a number or a 1-d sequence, got shape {qs.shape}")
    if qs.size and not ((qs >= 0) & (qs <= 1)).all():
        raise ValueError("Quantile: q must be in the range [0, 1]")
    axes = normalize_axes("Quantile", axis, a.shape)
    kept = tuple(n for i, n in enumerate(a.shape) if i not in axes)
    n = int(np.prod([a.shape[i] for i in axes], dtype=np.int64))
    if n == 0:
        raise ValueError(f"Quantile: cannot take a quantile of an empty axis (shape {a.shape})")
    dtype = float_dtype(a.dtype)
    x = astype(a, dtype)
    # the reduced axes last, as one axis, sorted (nan last, as NumPy)
    x = moveaxis(x, list(axes), list(range(-len(axes), 0))) if axes else x
    x = sort(reshape(x, kept + (n,)), axis=-1)
    h = qs * (n - 1)
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = (h - lo).astype(dtype)
    below, above = x[..., lo], x[..., hi]  # (kept..., len(q)) or (kept...) for a scalar q
    result = below + (above - below) * frac
    if a.dtype.kind == "f":  # a slice holding a nan: nan, as NumPy
        has_nan = any(isnan(a), axis=axis)
        result = where(has_nan[..., None] if qs.ndim else has_nan, np.nan, result)
    if qs.ndim:
        result = moveaxis(result, -1, 0)
    if keepdims:
        shape = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
        result = reshape(result, qs.shape + shape)
    return result


def percentile(a, q, axis=None, keepdims: bool = False, *, method: str = "linear") -> Node:
    """The q-th percentiles (q in [0, 100]), as np.percentile: `quantile` at q / 100.

    >>> import autodiff as ad
    >>> ad.percentile(ad.Variable([1.0, 2.0, 3.0, 4.0]), 50)()
    array(2.5)
    """
    qs = np.asarray(q, dtype=np.float64)
    if qs.size and not ((qs >= 0) & (qs <= 100)).all():
        raise ValueError("Percentile: q must be in the range [0, 100]")
    return quantile(a, qs / 100, axis, keepdims, method=method)


def median(a, axis=None, keepdims: bool = False) -> Node:
    """The median along `axis`, as np.median (the mean of the two middle values for an even
    count; the gradient is shared between them).

    >>> import autodiff as ad
    >>> ad.median(ad.Variable([[3.0, 1.0, 2.0], [4.0, 6.0, 5.0]]), axis=1)()
    array([2., 5.])
    """
    return quantile(a, 0.5, axis, keepdims)
