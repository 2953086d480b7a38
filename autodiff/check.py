"""Numerical gradient checks of any order against central finite differences.

`check_grads` compares each order of derivative along random directions with a central
difference of the order below (the analytic one), argument by argument, and raises
`GradientError` naming the argument, the order and the error. `numerical_grad` gives full
finite-difference gradients for small problems.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from .compile import function
from .differentiation import grad
from .node import Node, Variable
from .ops import add, multiply, sum


class GradientError(AssertionError):
    """An analytic derivative disagrees with finite differences."""


def _variables(args: Sequence) -> list[Variable]:
    variables = []
    for i, a in enumerate(args):
        array = np.array(a, dtype=np.float64)
        variables.append(Variable(array, name=f"arg{i}"))
    return variables


def _directional(h: Node, variables: list[Variable], directions: list[np.ndarray]) -> Node:
    """sum_i <dh/dx_i, v_i>: the derivative of the scalar h along the directions."""
    terms = [sum(multiply(dx, v)) for dx, v in zip(grad(h, variables), directions, strict=True)]
    return functools.reduce(add, terms)


def _central(h: Node, variables: list[Variable], directions: list[np.ndarray], eps: float) -> float:
    plan = function(h)
    start = [x.value for x in variables]
    try:
        for x, x0, v in zip(variables, start, directions, strict=True):
            x.value = x0 + eps * v
        up = float(cast(np.ndarray, plan()))  # a plan of one node returns one array
        for x, x0, v in zip(variables, start, directions, strict=True):
            x.value = x0 - eps * v
        down = float(cast(np.ndarray, plan()))
    finally:
        for x, x0 in zip(variables, start, strict=True):
            x.value = x0
    return (up - down) / (2 * eps)


def check_grads(
    f: Callable[..., Node],
    args: Sequence,
    order: int = 2,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
) -> None:
    """Check derivatives of `f` up to `order` against central differences (float64).

    `f` takes one Node per array in `args` and returns a Node. Its output is contracted
    with a random cotangent; each order k is then checked, one argument at a time, as the
    derivative along a random direction of the analytic order k-1 derivative. Raises
    `GradientError` naming the argument, the order and the max abs/rel error, and where
    either side is nan or inf (nothing can be checked there).

    >>> import numpy as np, autodiff as ad
    >>> rng = np.random.default_rng(0)
    >>> a0, b0 = rng.normal(size=3), rng.normal(size=3)
    >>> ad.check_grads(lambda a, b: ad.sum(a * ad.tanh(b)), [a0, b0], order=3)
    """
    if order < 1:
        raise ValueError(f"check_grads: order must be at least 1, got {order}")
    rng = np.random.default_rng(seed)
    variables = _variables(args)
    y = f(*variables)
    if not isinstance(y, Node):
        raise TypeError(f"check_grads: f must return a Node, got {type(y).__name__}")
    if not variables:
        return  # no argument: nothing to check
    h = sum(multiply(y, rng.normal(size=y.shape)))
    for k in range(1, order + 1):
        directions = [rng.normal(size=x.shape) for x in variables]
        for i, x in enumerate(variables):
            along = [v if j == i else np.zeros_like(v) for j, v in enumerate(directions)]
            analytic = float(_directional(h, variables, along)())
            numeric = _central(h, variables, along, eps)
            error = abs(analytic - numeric)
            if not (error <= atol + rtol * abs(numeric)):  # nan compares false: it fails too
                if not np.isfinite([analytic, numeric]).all():
                    raise GradientError(
                        f"order {k} derivative w.r.t. argument {i} (shape {x.shape}): analytic "
                        f"{analytic:.10g}, numeric {numeric:.10g}: not finite, nothing to "
                        "compare (is f, or a derivative, nan or inf at these arguments?)"
                    )
                raise GradientError(
                    f"order {k} derivative w.r.t. argument {i} (shape {x.shape}): analytic "
                    f"{analytic:.10g}, numeric {numeric:.10g}, abs error {error:.3g}, "
                    f"rel error {error / max(abs(numeric), 1e-300):.3g}"
                )
        h = _directional(h, variables, directions)


def numerical_grad(f: Callable[..., Node], args: Sequence, eps: float = 1e-6) -> list[np.ndarray]:
    """Central-difference gradients of a scalar `f` w.r.t. each array in `args` (small sizes).

    >>> import numpy as np, autodiff as ad
    >>> [g.round(6) for g in ad.numerical_grad(lambda x: ad.sum(x * x), [np.array([1.0, 2.0])])]
    [array([2., 4.])]
    """
    variables = _variables(args)
    y = f(*variables)
    if not isinstance(y, Node) or y.ndim != 0:
        raise ValueError("numerical_grad: f must return a scalar Node")
    plan = function(y)
    grads = []
    for x in variables:
        x0 = x.value.copy()
        g = np.zeros_like(x0)
        for index in np.ndindex(x0.shape):
            for sign in (1, -1):
                bumped = x0.copy()
                bumped[index] += sign * eps
                x.value = bumped
                g[index] += sign * float(cast(np.ndarray, plan())) / (2 * eps)
        x.value = x0
        grads.append(g)
    return grads
