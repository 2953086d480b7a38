"""Rows for the reductions and scans: prod, cumsum, cumprod, diff, sort, argsort, argmax,
argmin, any, all, average, mean(where=), var and std (correction=, where=)."""

from __future__ import annotations

import numpy as np

import autodiff as ad

from . import Case, _positive

W3 = np.array([0.5, 2.0, 1.5])
MASK34 = np.array([[True, False, True, True], [False, True, True, True], [True, True, False, True]])
SORT_SEED = np.arange(1.0, 13.0).reshape(3, 4)


def _with_zeros(rng, shape):
    """Normal entries with about a third of them exactly zero (one zero, two or more)."""
    a = rng.normal(size=shape)
    return np.where(rng.uniform(size=shape) < 0.35, 0.0, a)


def _sort_grad_reference(x, w):
    """The gradient of sum(sort(x, axis=1) * w) w.r.t. x: each element gets the weight of
    its place in the sorted row, tied elements the mean weight of their places."""
    ranked = np.sort(x, axis=1)
    w = np.broadcast_to(w, x.shape)
    out = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        out[index] = w[index[0]][ranked[index[0]] == x[index]].mean()
    return out


def _sort_grad(x, w):
    return ad.grad(ad.sum(ad.sort(x, axis=1) * w), x)


CASES: list[Case] = [
    # prod: every order, also at zeros (exact products, no division)
    Case("prod", ad.prod, np.prod, [(2, 3)], order=3),
    Case("prod axis", lambda x: ad.prod(x, axis=1), lambda x: np.prod(x, axis=1), [(3, 4)], order=3),
    Case("prod negative axes keepdims", lambda x: ad.prod(x, axis=(-1, 0), keepdims=True), lambda x: np.prod(x, axis=(-1, 0), keepdims=True), [(2, 3, 2)], order=3),
    Case("prod size-1 axis", lambda x: ad.prod(x, axis=0), lambda x: np.prod(x, axis=0), [(1, 3)], order=3),
    Case("prod 0-d", ad.prod, np.prod, [()], order=3),
    Case("prod with zeros", lambda x: ad.prod(x, axis=-1), lambda x: np.prod(x, axis=-1), [(4, 3)], order=3, make=_with_zeros),
    Case("prod initial, where", lambda x: ad.prod(x, axis=1, initial=2.0, where=MASK34), lambda x: np.prod(x, axis=1, initial=2.0, where=MASK34), [(3, 4)], order=3),
    # cumulative sums and products
    Case("cumsum flattened", ad.cumsum, np.cumsum, [(2, 3)]),
    Case("cumsum axis", lambda x: ad.cumsum(x, axis=-2), lambda x: np.cumsum(x, axis=-2), [(3, 2, 2)]),
    Case("cumsum 0-d", ad.cumsum, np.cumsum, [()]),
    Case("cumprod", lambda x: ad.cumprod(x, axis=1), lambda x: np.cumprod(x, axis=1), [(2, 5)], order=3),
    Case("cumprod flattened, with zeros", ad.cumprod, np.cumprod, [(2, 3)], order=3, make=_with_zeros),
    Case("cumprod size-1 axis", lambda x: ad.cumprod(x, axis=0), lambda x: np.cumprod(x, axis=0), [(1, 3)], order=3),
    Case("diff", ad.diff, np.diff, [(3, 4)]),
    Case("diff n=2 axis 0", lambda x: ad.diff(x, n=2, axis=0), lambda x: np.diff(x, n=2, axis=0), [(4, 3)]),
    Case("diff prepend append", lambda x, p: ad.diff(x, axis=-1, prepend=p, append=1.5), lambda x, p: np.diff(x, axis=-1, prepend=p, append=1.5), [(2, 3), (2, 1)]),
    Case("diff n=0", lambda x: ad.diff(x, n=0), lambda x: np.diff(x, n=0), [(3,)]),
    # sorting: the gradient goes back through the permutation
    Case("sort", ad.sort, np.sort, [(3, 4)]),
    Case("sort axis 0", lambda x: ad.sort(x, axis=0), lambda x: np.sort(x, axis=0), [(3, 2, 2)]),
    Case("sort flattened", lambda x: ad.sort(x, axis=None), lambda x: np.sort(x, axis=None), [(2, 3)]),
    Case("sort gradient as a function", lambda x, w: _sort_grad(ad.astype(x, np.float64), w), _sort_grad_reference, [(3, 4), (4,)]),
    Case("argsort", lambda x: x * ad.argsort(x, axis=0), lambda x: x * np.argsort(x, axis=0), [(3, 4)]),
    Case("argsort flattened, stable", lambda x: ad.argsort(x, axis=None, stable=True) * ad.sum(x), lambda x: np.argsort(x, axis=None, stable=True) * np.sum(x), [(2, 3)]),
    Case("argmax", lambda x: x * ad.argmax(x, axis=-1, keepdims=True), lambda x: x * np.argmax(x, axis=-1, keepdims=True), [(3, 4)]),
    Case("argmin flattened", lambda x: x * ad.argmin(x), lambda x: x * np.argmin(x), [(3, 4)]),
    Case("argmax 0-d keepdims", lambda x: x * ad.argmax(x, keepdims=True), lambda x: x * np.argmax(x, keepdims=True), [()]),
    Case("any all", lambda x: ad.where(ad.any(x > 1.0, axis=1, keepdims=True), x, -x) + ad.where(ad.all(x > -1.0, axis=0), x, 2 * x), lambda x: np.where(np.any(x > 1.0, axis=1, keepdims=True), x, -x) + np.where(np.all(x > -1.0, axis=0), x, 2 * x), [(3, 4)]),
    Case("any all where", lambda x: x * ad.any(x, axis=(0, 1), where=MASK34[None]) - x * ad.all(x > 0, where=MASK34), lambda x: x * np.any(x, axis=(0, 1), where=MASK34[None]) - x * np.all(x > 0, where=MASK34), [(2, 3, 4)]),
    # averages, means and spreads
    Case("average", ad.average, np.average, [(3, 4)]),
    Case("average weights 1-d", lambda x, w: ad.average(x, axis=1, weights=w), lambda x, w: np.average(x, axis=1, weights=w), [(2, 3), (3,)], order=3, make=_positive),
    Case("average weights full, keepdims", lambda x, w: ad.average(x, axis=(0, -1), weights=w, keepdims=True), lambda x, w: np.average(x, axis=(0, -1), weights=w, keepdims=True), [(2, 3, 2), (2, 3, 2)], order=3, make=_positive),
    Case("average weights axes out of order", lambda x, w: ad.average(x, axis=(2, 0), weights=w), lambda x, w: np.average(x, axis=(2, 0), weights=w), [(2, 3, 4), (4, 2)], order=3, make=_positive),
    Case("average returned", lambda x, w: ad.stack(ad.average(x, axis=0, weights=w, returned=True)), lambda x, w: np.stack(np.average(x, axis=0, weights=w, returned=True)), [(3, 2), (3, 2)], make=_positive),
    Case("mean where", lambda x: ad.mean(x, axis=1, where=MASK34), lambda x: np.mean(x, axis=1, where=MASK34), [(3, 4)], order=3),
    Case("mean where all, keepdims", lambda x: ad.mean(x, axis=None, keepdims=True, where=MASK34[0]), lambda x: np.mean(x, axis=None, keepdims=True, where=MASK34[0]), [(3, 4)]),
    Case("mean dtype", lambda x: ad.mean(x, axis=0, dtype=np.float64), lambda x: np.mean(x, axis=0, dtype=np.float64), [(3, 4)]),
    Case("var correction", lambda x: ad.var(x, axis=-1, correction=1), lambda x: np.var(x, axis=-1, correction=1), [(3, 4)], order=3),
    Case("var where", lambda x: ad.var(x, axis=1, where=MASK34, ddof=1), lambda x: np.var(x, axis=1, where=MASK34, ddof=1), [(3, 4)], order=3),
    Case("std correction keepdims", lambda x: ad.std(x, axis=(0, 2), keepdims=True, correction=1.5), lambda x: np.std(x, axis=(0, 2), keepdims=True, correction=1.5), [(2, 3, 2)], order=3),
    Case("std where", lambda x: ad.std(x, axis=0, where=MASK34), lambda x: np.std(x, axis=0, where=MASK34), [(3, 4)], order=3),
    # sum's and max/min's dtype=, initial= and where=, as NumPy's
    Case("sum where", lambda x: ad.sum(x, axis=1, where=MASK34), lambda x: np.sum(x, axis=1, where=MASK34), [(3, 4)], order=3),
    Case("sum initial dtype keepdims", lambda x: ad.sum(x, axis=0, keepdims=True, initial=2.5, dtype=np.float64), lambda x: np.sum(x, axis=0, keepdims=True, initial=2.5, dtype=np.float64), [(3, 4)]),
    Case("max initial where", lambda x: ad.max(x, axis=0, initial=-0.25, where=MASK34), lambda x: np.max(x, axis=0, initial=-0.25, where=MASK34), [(3, 4)]),
    Case("min initial", lambda x: ad.min(x, axis=1, initial=0.1), lambda x: np.min(x, axis=1, initial=0.1), [(3, 4)]),
    Case("max initial of an empty axis", lambda x: ad.max(x, axis=0, initial=-1.0) + ad.sum(x), lambda x: np.max(x, axis=0, initial=-1.0) + np.sum(x), [(0, 3)]),
]
