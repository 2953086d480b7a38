"""Rows written with NumPy's own functions, called on nodes (autodiff.ops.dispatch): each
row's function is its own reference, on arrays. They add no op class; they run the table's
whole battery (float32, integer and bool inputs, batched cotangents) through NumPy's calls."""

from __future__ import annotations

import numpy as np

from . import Case, _positive

_A = np.random.default_rng(5).normal(size=(3, 4))


def _numpy(name, fn, shapes, order=2, make=None):
    extra = {} if make is None else {"make": make}
    return Case(f"np.{name}", fn, fn, shapes, order=order, **extra)


CASES = [
    _numpy("sin", lambda x: np.sin(x), [(2, 3)], order=3),
    _numpy("array*node", lambda x: _A * x, [(4,)], order=3),
    _numpy("array@node", lambda x: _A @ x, [(4, 2)]),
    _numpy("node@array", lambda x: x @ _A, [(2, 3)]),
    _numpy("add-number", lambda x, y: np.add(x, 2) * y, [(3, 4), (4,)], order=3),
    _numpy("sum-axis", lambda x: np.sum(x, axis=0, keepdims=True), [(3, 4)]),
    _numpy("mean-dtype-none", lambda x: np.mean(x, axis=-1, dtype=None), [(3, 4)]),
    _numpy("einsum", lambda x, y: np.einsum("ij,j->i", x, y), [(3, 4), (4,)], order=3),
    _numpy("concatenate-mixed", lambda x, y: np.concatenate([x, _A[0], y]), [(2,), (3,)]),
    _numpy("where-mixed", lambda x: np.where(_A > 0, x, -x * 0.5), [(3, 4)]),
    _numpy("add.reduce", lambda x: np.add.reduce(x, axis=1), [(3, 4)]),
    _numpy("maximum.reduce", lambda x: np.maximum.reduce(x), [(3, 4)]),
    _numpy("multiply.outer", lambda x, y: np.multiply.outer(x, y), [(3,), (2, 2)], order=3),
    _numpy("max-method", lambda x: x.max(axis=1, keepdims=True), [(3, 4)]),
    _numpy("transpose-method", lambda x: x.transpose(2, 0, 1) * 2, [(2, 3, 4)]),
    _numpy("std-method", lambda x: x.std(axis=0, ddof=1), [(3, 4)], make=_positive),
    _numpy("clip-method", lambda x: x.clip(min=-0.5), [(3, 4)]),
]
