"""Numerically stable log-sum-exp, softmax and log-softmax.

Each is a composition of other ops around a max shift that carries no gradient: the shift
cancels exactly in the value, so the derivative of every order is right, and nothing
overflows at any input.
"""

from __future__ import annotations

from ..node import Node, as_node
from ._common import normalize_axes
from .einsum import sum
from .elementwise import exp, log, stop_gradient
from .reduce import max
from .shape import reshape

__all__ = ["logsumexp", "softmax", "log_softmax"]


def logsumexp(x, axis=None, keepdims: bool = False) -> Node:
    """log(sum(exp(x))) over `axis`, without overflow.

    >>> import numpy as np, autodiff as ad
    >>> ad.logsumexp(ad.Variable(np.array([1000.0, 1000.0])))()
    array(1000.69314718)
    """
    x = as_node(x)
    axes = normalize_axes("Logsumexp", axis, x.shape)
    shift = stop_gradient(max(x, axes, keepdims=True))
    result = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    if keepdims:
        return result
    return reshape(result, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def log_softmax(x, axis: int = -1) -> Node:
    """x - logsumexp(x) along `axis`.

    >>> import numpy as np, autodiff as ad
    >>> ad.log_softmax(ad.Variable(np.zeros(2)))()
    array([-0.69314718, -0.69314718])
    """
    x = as_node(x)
    return x - logsumexp(x, axis, keepdims=True)


def softmax(x, axis: int = -1) -> Node:
    """exp(x) / sum(exp(x)) along `axis`, without overflow.

    >>> import numpy as np, autodiff as ad
    >>> ad.softmax(ad.Variable(np.array([0.0, 0.0])))()
    array([0.5, 0.5])
    """
    return exp(log_softmax(x, axis))
