"""Numerically stable log-sum-exp, softmax and log-softmax.

Each is a composition of other ops around a max shift m that carries no gradient: the shift
cancels exactly in the value, so the derivative of every order is right, and nothing
overflows at any input. log-softmax is ``(x - m) - log(sum(exp(x - m)))``, never
``x - logsumexp(x)``: a large offset shared by all of x cancels exactly in ``x - m``, where
``x - logsumexp(x)`` would lose the digits of the offset. An infinite (or nan) max is not
shifted by, so an all ``-inf`` row has logsumexp ``-inf`` and one with ``+inf`` gives ``+inf``.
"""

from __future__ import annotations

import numpy as np

from ..node import Node, as_node, composition
from ._common import normalize_axes
from .creation import zeros
from .einsum import sum
from .elementwise import Elementwise, astype, exp, log
from .reduce import max
from .shape import reshape

__all__ = ["logsumexp", "softmax", "log_softmax"]


class FiniteShift(Elementwise):
    """x where it is finite, else 0: the shift subtracted before exp. No gradient flows
    through it (every function of x built on the shift is independent of it)."""

    float_result = False
    differentiable = False
    fresh = True

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.where(np.isfinite(x), x, np.zeros((), x.dtype))

    def grad(self, g):
        return (None,)


def shift_by_max(x: Node, axes: tuple[int, ...], empty: bool = False) -> tuple[Node, Node]:
    """(x - m, m) for the max m over `axes` (kept as size-1 axes), or 0 where it is not finite.

    m carries no gradient: every function of x built here is independent of it. Integer and
    boolean x are taken as float64. With `empty`, an empty axis gets m = 0 (a log-sum-exp of
    nothing is -inf) instead of Max's error.
    """
    if x.dtype.kind not in "fc":
        x = astype(x, np.float64)
    if empty and any(x.shape[a] == 0 for a in axes):  # a sum of nothing: no shift
        kept = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        shift = zeros(kept, x.dtype)
        return x - shift, shift
    shift = FiniteShift(max(x, axes, keepdims=True))
    return x - shift, shift


def log_sum_exp_shifted(shifted: Node, axes: tuple[int, ...]) -> Node:
    """log(sum(exp(x - m))) over `axes` (kept), for `shifted` = x - m from `shift_by_max`."""
    return log(sum(exp(shifted), axes, keepdims=True))


@composition("logsumexp")
def logsumexp(x, axis=None, keepdims: bool = False) -> Node:
    """log(sum(exp(x))) over `axis`, without overflow (-inf for an all -inf row).

    >>> import numpy as np, autodiff as ad
    >>> ad.logsumexp(ad.Variable(np.array([1000.0, 1000.0])))()
    array(1000.69314718)
    >>> with np.errstate(divide="ignore"):   # log(0), as NumPy would warn
    ...     ad.logsumexp(ad.Variable(np.array([-np.inf, -np.inf])))()
    array(-inf)
    """
    x = as_node(x)
    axes = normalize_axes("Logsumexp", axis, x.shape)
    shifted, shift = shift_by_max(x, axes, empty=True)  # -inf over an empty axis
    result = log_sum_exp_shifted(shifted, axes) + shift
    if keepdims:
        return result
    return reshape(result, tuple(n for i, n in enumerate(x.shape) if i not in axes))


@composition("log_softmax")
def log_softmax(x, axis: int = -1) -> Node:
    """x - logsumexp(x) along `axis`, computed as ``(x - m) - log(sum(exp(x - m)))``.

    >>> import numpy as np, autodiff as ad
    >>> ad.log_softmax(ad.Variable(np.zeros(2)))()
    array([-0.69314718, -0.69314718])
    >>> ad.log_softmax(ad.Variable(np.array([1e16, 1e16])))()   # the offset cancels exactly
    array([-0.69314718, -0.69314718])
    """
    return _log_softmax(x, axis, "LogSoftmax")


def _log_softmax(x, axis: int, op: str) -> Node:
    x = as_node(x)
    axes = normalize_axes(op, axis, x.shape)
    shifted, _ = shift_by_max(x, axes)
    return shifted - log_sum_exp_shifted(shifted, axes)


@composition("softmax")
def softmax(x, axis: int = -1) -> Node:
    """exp(x) / sum(exp(x)) along `axis`, without overflow.

    >>> import numpy as np, autodiff as ad
    >>> ad.softmax(ad.Variable(np.array([0.0, 0.0])))()
    array([0.5, 0.5])
    >>> ad.softmax(ad.Variable(np.array([1e16, 1e16])))()
    array([0.5, 0.5])
    """
    return exp(_log_softmax(x, axis, "Softmax"))
