"""Log-densities and log-sum-exp as scipy.stats and scipy.special name them, built from ops.

``ad.stats.norm.logpdf``, ``ad.stats.multivariate_normal.logpdf`` (through a Cholesky factor
and a triangular solve: no inverse, no log of a determinant) and ``ad.stats.logsumexp`` (with
SciPy's ``b=`` weights and ``return_sign``) are compositions, so their Hessians are graphs
like any other. SciPy is not needed.
"""

from __future__ import annotations

import numpy as np

from . import linalg
from .node import Node, as_node
from .ops._common import broadcast_shapes, normalize_axes
from .ops.creation import eye
from .ops.einsum import broadcast_to, diagonal, sum
from .ops.elementwise import absolute, astype, exp, log, sign, square
from .ops.nn import logsumexp as _logsumexp
from .ops.nn import shift_by_max
from .ops.shape import reshape

__all__ = ["norm", "multivariate_normal", "logsumexp"]

_LOG_2PI = float(np.log(2 * np.pi))


def _float(x) -> Node:
    x = as_node(x)
    return x if x.dtype.kind in "fc" else astype(x, np.float64)


class _Norm:
    """The normal distribution, as scipy.stats.norm (only its log-density and density)."""

    @staticmethod
    def logpdf(x, loc=0.0, scale=1.0) -> Node:
        """log N(x; loc, scale**2), elementwise with broadcasting, as scipy.stats.norm.logpdf.

        >>> import numpy as np, autodiff as ad
        >>> ad.stats.norm.logpdf(ad.Variable(np.array([0.0, 1.0])), scale=2.0)()
        array([-1.61208571, -1.73708571])
        """
        x = _float(x)
        z = (x - loc) / scale
        return -0.5 * square(z) - log(as_node(scale, like=x)) - 0.5 * _LOG_2PI

    @staticmethod
    def pdf(x, loc=0.0, scale=1.0) -> Node:
        """The normal density, as scipy.stats.norm.pdf.

        >>> import autodiff as ad
        >>> round(float(ad.stats.norm.pdf(ad.Variable(0.0))()), 6)
        0.398942
        """
        return exp(_Norm.logpdf(x, loc, scale))


class _MultivariateNormal:
    """The multivariate normal distribution, as scipy.stats.multivariate_normal (its
    log-density and density)."""

    @staticmethod
    def logpdf(x, mean=None, cov=1.0) -> Node:
        """log N(x; mean, cov) for x of shape ``(..., d)`` (one value per leading index, as
        SciPy; d is mean's or cov's size, 1 if both are numbers), mean ``(d,)`` (default
        zeros) and cov a ``(d, d)`` positive-definite matrix, a ``(d,)`` diagonal or a number
        times the identity. Computed as
        ``-(d log 2 pi + 2 sum(log diag L) + |L^-1 (x - mean)|**2) / 2`` with L = cholesky(cov).

        >>> import numpy as np, autodiff as ad
        >>> x = ad.Variable(np.zeros((3, 2)))   # three points in 2-d
        >>> ad.stats.multivariate_normal.logpdf(x, cov=np.eye(2))()
        array([-1.83787707, -1.83787707, -1.83787707])
        """
        x, cov = _float(x), _float(cov)
        mean = None if mean is None else _float(mean)
        if mean is not None and mean.ndim > 0:
            d = mean.shape[-1]
        else:
            d = cov.shape[-1] if cov.ndim > 0 else 1
        if x.ndim == 0 or (d == 1 and x.shape[-1:] != (1,)):
            x = reshape(x, x.shape + (1,))  # numbers, one-dimensional points, as SciPy
        if cov.ndim == 0:
            cov = cov * eye(d, dtype=cov.dtype)
        elif cov.shape == (d,):  # the diagonal
            cov = reshape(cov, (d, 1)) * eye(d, dtype=cov.dtype)
        if cov.shape != (d, d) or x.shape[-1] != d:
            raise ValueError(
                f"MultivariateNormal: cov of shape {cov.shape} does not match x of shape "
                f"{x.shape} (dimension {d})"
            )
        diff = x if mean is None else x - mean
        if diff.shape[-1:] != (d,):
            raise ValueError(
                f"MultivariateNormal: mean of shape {mean.shape} does not match x of "
                f"shape {x.shape}"
            )
        factor = linalg.cholesky(cov)
        z = linalg.solve_triangular(factor, reshape(diff, diff.shape + (1,)), lower=True)
        maha = sum(square(z), axis=(-2, -1))
        log_det = 2.0 * sum(log(diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
        return -0.5 * (maha + log_det + d * _LOG_2PI)

    @staticmethod
    def pdf(x, mean=None, cov=1.0) -> Node:
        """The multivariate normal density, as scipy.stats.multivariate_normal.pdf.

        >>> import numpy as np, autodiff as ad
        >>> x = ad.Variable(np.zeros(2))   # one point in 2-d
        >>> ad.stats.multivariate_normal.pdf(x, np.zeros(2), np.eye(2))()
        array(0.15915494)
        """
        return exp(_MultivariateNormal.logpdf(x, mean, cov))


norm = _Norm()
multivariate_normal = _MultivariateNormal()


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """log(sum(b * exp(a))) over `axis`, without overflow, as scipy.special.logsumexp.

    `b` (weights, broadcast with a) may be negative: the sum's sign then comes back with
    ``return_sign=True`` as ``(log|sum|, sign)``; without it a negative sum gives nan, as in
    SciPy. The sign carries no gradient.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1000.0, 1000.0]))
    >>> ad.stats.logsumexp(x, b=np.array([0.5, 0.5]))()
    array(1000.)
    >>> value, sign = ad.stats.logsumexp(x, b=np.array([1.0, -2.0]), return_sign=True)
    >>> value(), sign()
    (array(1000.), array(-1.))
    """
    a = _float(a)
    if b is None and not return_sign:
        return _logsumexp(a, axis, keepdims)
    if b is not None:
        b = as_node(b, like=a)
        shape = broadcast_shapes("Logsumexp", a, b)
        a = broadcast_to(a, shape)  # the weights may have more axes
    axes = normalize_axes("Logsumexp", axis, a.shape)
    shifted, shift = shift_by_max(a, axes, empty=True)  # -inf over an empty axis
    terms = exp(shifted) if b is None else b * exp(shifted)
    total = sum(terms, axes, keepdims=True)
    kept = tuple(n for i, n in enumerate(a.shape) if i not in axes)
    if return_sign:
        value, signs = log(absolute(total)) + shift, sign(total)
        if not keepdims:
            value, signs = reshape(value, kept), reshape(signs, kept)
        return value, signs
    value = log(total) + shift
    return value if keepdims else reshape(value, kept)
