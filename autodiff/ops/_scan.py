"""The linear recurrence behind the derivatives of cumprod and prod, and shifts along an axis.

`Scan(b, a)` is ``h[i] = b[i] + a[i] * h[i - 1]`` along one axis (``h[-1] = 0``; with
`reverse`, ``h[i] = b[i] + a[i] * h[i + 1]``). Its gradients are scans again, built only from
products, so derivatives of every order never divide by an input: they stay right where
inputs are zero. It is evaluated by recursive doubling (about log2(n) NumPy passes), not a
Python loop over the axis. `shift` moves an array one step along an axis, filling the gap.
"""

from __future__ import annotations

import numpy as np

from ..node import Node
from ._common import broadcast_shapes, unbroadcast
from .creation import full
from .shape import concatenate


def shift(x: Node, axis: int, later: bool, fill: float) -> Node:
    """x moved one step along `axis` (negative): to later positions (the first becomes `fill`)
    or, with `later` False, to earlier ones (the last becomes `fill`).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.ops._scan import shift
    >>> shift(ad.Variable(np.array([1.0, 2.0, 3.0])), -1, True, 9.0)()
    array([9., 1., 2.])
    """
    n = x.shape[axis]
    gap = full(x.shape[:axis] + (1,) + x.shape[axis:][1:], fill, x.dtype)
    if n == 0:
        return x
    key: tuple = (Ellipsis, slice(0, n - 1) if later else slice(1, n)) + (slice(None),) * (
        -axis - 1
    )
    kept = x[key]
    return concatenate([gap, kept] if later else [kept, gap], axis=axis)


def _recurrence(b: np.ndarray, a: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """h[i] = b[i] + a[i] * h[i - 1] along `axis`, by recursive doubling (Hillis and Steele):
    after the pass with step s, h[i] and a[i] hold the recurrence over the window of s
    elements ending at i (the sum, and the product of the coefficients)."""
    h, coefficient = np.broadcast_arrays(b, a)
    h = np.moveaxis(h, axis, -1)
    coefficient = np.moveaxis(coefficient, axis, -1)
    if reverse:
        h, coefficient = h[..., ::-1], coefficient[..., ::-1]
    h = np.array(h, dtype=np.result_type(b, a))
    coefficient = np.array(coefficient, dtype=h.dtype)
    n = h.shape[-1]
    step = 1
    while step < n:
        h[..., step:] = h[..., step:] + coefficient[..., step:] * h[..., :-step]
        if 2 * step < n:  # the coefficients of windows reaching the start are never read again
            coefficient[..., step:] = coefficient[..., step:] * coefficient[..., :-step]
        step *= 2
    if reverse:
        h = h[..., ::-1]
    return np.ascontiguousarray(np.moveaxis(h, -1, axis))


class Scan(Node):
    """``h[i] = b[i] + a[i] * h[i - 1]`` along `axis` (negative; `reverse`: from the end),
    with b and a broadcast; a[0] (with `reverse`, a[-1]) is never read."""

    axis: int  # negative: counted from the end, so leading batch axes do not move it
    reverse: bool

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, b, a, *, axis, reverse):  # type: ignore[override]  # an op names its own inputs
        shape = broadcast_shapes("Scan", b, a)
        if not -len(shape) <= axis < 0:
            raise ValueError(f"Scan: axis {axis} is out of bounds for shape {shape}")
        return shape, np.result_type(b.dtype, a.dtype)

    def eval(self, b, a):  # type: ignore[override]  # an op names its own inputs
        return _recurrence(b, a, self.axis, self.reverse)

    def grad(self, g):
        b, a = self.inputs
        axis, reverse = self.axis, self.reverse
        # the adjoint recurrence runs the other way, each coefficient one step further on
        adjoint = Scan(g, shift(a, axis, later=reverse, fill=0.0), axis=axis, reverse=not reverse)
        before = shift(self, axis, later=not reverse, fill=0.0)  # h[i - 1] (h[i + 1])
        return (
            unbroadcast(adjoint, self.ndim, b.shape),
            unbroadcast(adjoint * before, self.ndim, a.shape),
        )
