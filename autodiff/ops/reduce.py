"""Reductions and scans beyond sums: max, min, prod, cumsum, cumprod, diff, sort, argsort,
argmax, argmin, any, all, average, var, std and norm.

Ties share the gradient evenly: in max and min, and in sort, where each of a run of equal
elements gets the mean of the cotangents of the positions the run fills (the minimum-norm
subgradient; for two tied elements also what central differences find). prod and cumprod
(in `_scan`, with cumsum and diff) never divide by an input: their derivatives are
products of the other elements, right at any number of zeros and at every order.
argsort, argmax, argmin, any and all give integer or boolean results through which no
gradient flows (their derivative is 0, as for comparisons).

Where std or a norm is 0 it is not differentiable (it grows like |t| along any direction);
its derivative there is defined as 0, the minimum-norm subgradient, at every order: the root
is taken through `where` so that no inf or nan ever enters the derivative graph, and
simplified and unsimplified plans give the same values.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..node import Constant, Node, as_node
from ._common import like_of, normalize_axes
from ._scan import cumprod, cumsum, diff, one_axis, prod
from ._scan import kept_shape as _kept_shape
from .activations import maximum, minimum
from .creation import full
from .einsum import broadcast_to, masked, mean, sum, transpose
from .elementwise import (
    absolute,
    astype,
    equal,
    not_equal,
    power,
    sqrt,
    square,
    where,
)
from .linalg import SingularValues
from .shape import reshape

__all__ = [
    "max",
    "min",
    "prod",
    "cumsum",
    "cumprod",
    "diff",
    "sort",
    "argsort",
    "argmax",
    "argmin",
    "any",
    "all",
    "average",
    "var",
    "std",
    "norm",
]


class Max(Node):
    """The largest (or with `least` the smallest) element over `axes`; the gradient is shared
    evenly between ties."""

    axes: tuple[int, ...]
    keepdims: bool
    least: bool  # Min instead

    fresh = True

    @classmethod
    def infer(cls, x, *, axes, keepdims, least):  # type: ignore[override]  # an op names its own inputs
        if builtins.any(x.shape[a] == 0 for a in axes):
            op = "Min" if least else "Max"
            raise ValueError(
                f"{op}: zero-size reduction over axes {axes} of input of shape {x.shape} "
                "(the maximum or minimum of nothing is not defined)"
            )
        shape = _kept_shape(x.shape, axes)
        if not keepdims:
            shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        return shape, x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, axes, keepdims, least):  # type: ignore[override]  # an op names its own inputs
        return x if not axes else None

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        pick = np.min if self.least else np.max
        return pick(x, axis=self.axes, keepdims=self.keepdims)

    @property
    def print_name(self) -> str:  # type: ignore[override]  # a property where Node has a class attribute
        return "min" if self.least else "max"

    def print_args(self):
        axis = self.axes[0] if len(self.axes) == 1 else self.axes
        return (), {"axis": axis, **({"keepdims": True} if self.keepdims else {})}

    def grad(self, g):
        (x,) = self.inputs
        kept = _kept_shape(x.shape, self.axes)
        winners = astype(equal(x, reshape(self, kept)), g.dtype)
        share = winners / sum(winners, self.axes, keepdims=True)
        nb = g.ndim - self.ndim
        return (reshape(g, g.shape[:nb] + kept) * share,)


def max(x, axis=None, keepdims: bool = False, *, initial=None, where=None) -> Node:
    """Largest element over `axis`, as np.max; ties share the gradient evenly.

    `initial` takes part in every maximum (so an empty slice gives it); `where` (a boolean
    array broadcast against x, with `initial`) leaves out the elements where it is False.

    >>> import numpy as np, autodiff as ad
    >>> ad.max(ad.Variable(np.array([[1.0, 5.0], [7.0, 2.0]])), axis=1)()
    array([5., 7.])
    >>> ad.max(ad.Variable(np.array([1.0, 5.0])), initial=3.0, where=np.array([True, False]))()
    array(3.)
    """
    return _extremum("Max", x, axis, keepdims, initial, where, least=False)


def _extremum(op: str, x, axis, keepdims: bool, initial, where, least: bool) -> Node:
    x = as_node(x)
    axes = normalize_axes(op, axis, x.shape)
    if where is not None:
        if initial is None:
            raise ValueError(
                f"{op}: where= needs initial= (the {op.lower()}imum of nothing is not defined), "
                "as in NumPy"
            )
        x = masked(where, x, initial, op)
    if initial is None:
        return Max(x, axes=axes, keepdims=bool(keepdims), least=least)
    if isinstance(initial, Node) or np.ndim(initial) != 0:
        raise TypeError(f"{op}: initial= must be a number, got {type(initial).__name__}")
    if builtins.any(x.shape[a] == 0 for a in axes):  # nothing but `initial` in each slice
        shape = _kept_shape(x.shape, axes)
        if not keepdims:
            shape = tuple(n for i, n in enumerate(shape) if i not in axes)
        return full(shape, initial, x.dtype)
    extreme = minimum if least else maximum  # `initial` in x's dtype, as NumPy casts it
    return extreme(
        Max(x, axes=axes, keepdims=bool(keepdims), least=least), np.asarray(initial, x.dtype)
    )


def min(x, axis=None, keepdims: bool = False, *, initial=None, where=None) -> Node:
    """Smallest element over `axis`, as np.min; ties share the gradient evenly.

    `initial` and `where` as in `max`.

    >>> import numpy as np, autodiff as ad
    >>> ad.min(ad.Variable(np.array([3.0, 1.0, 2.0])))()
    array(1.)
    """
    return _extremum("Min", x, axis, keepdims, initial, where, least=True)


# -- sorting ---------------------------------------------------------------------------------
def _sort_kind(op: str, kind, stable) -> None:
    """Refuse what np.sort refuses: an unknown `kind`, or `kind` together with `stable`."""
    if kind is not None and stable is not None:
        raise ValueError(f"{op}: `kind` and keyword parameters can't be provided at the same time")
    if kind is not None and not isinstance(kind, str):
        raise TypeError(f"{op}: sort kind must be str, not {type(kind).__name__}")
    if kind is not None and kind[:1].lower() not in ("q", "m", "h", "s"):
        raise ValueError(
            f"{op}: sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r})"
        )


class Argsort(Node):
    """The indices that sort x along `axis` (counted from the end); an integer result with no
    gradient."""

    axis: int
    kind: str | None
    stable: bool | None

    differentiable = False
    fresh = True

    @classmethod
    def infer(cls, x, *, axis, kind, stable):  # type: ignore[override]  # an op names its own inputs
        _sort_kind("Argsort", kind, stable)
        return x.shape, np.dtype(np.intp)

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.argsort(x, axis=self.axis, kind=self.kind, stable=self.stable)  # type: ignore[arg-type]  # NumPy checks the name

    def grad(self, g):
        return (None,)


def argsort(x, axis: int | None = -1, kind: str | None = None, order=None, *, stable=None) -> Node:
    """The indices that sort x along `axis` (None: x flattened), as np.argsort; an integer
    node, with no gradient (its derivative is 0). `stable=True` keeps equal elements in order.

    >>> import numpy as np, autodiff as ad
    >>> ad.argsort(ad.Variable(np.array([3.0, 1.0, 2.0])))()
    array([1, 2, 0])
    """
    x = as_node(x)
    if order is not None:
        raise ValueError("Argsort: order= sorts structured arrays, which autodiff does not have")
    if x.ndim == 0:  # as NumPy: the one index of the flattened element
        axis = None
    x, axis = one_axis("Argsort", x, axis)
    return Argsort(x, axis=axis, kind=kind, stable=stable)


class TieShare(Node):
    """g with each run of equal elements of the sorted `y` (along `axis`) replaced by its
    mean: how sort shares the gradient between tied elements. Linear in g and symmetric, so
    it is its own transpose; no gradient flows to y, on which it depends piecewise-constantly."""

    axis: int

    linear = (0,)

    @classmethod
    def infer(cls, g, y, *, axis):  # type: ignore[override]  # an op names its own inputs
        if g.shape[g.ndim - y.ndim :] != y.shape:
            raise ValueError(f"TieShare: g of shape {g.shape} does not end with {y.shape}")
        return g.shape, g.dtype

    def eval(self, g, y):  # type: ignore[override]  # an op names its own inputs
        y = np.moveaxis(y, self.axis, -1)
        starts = np.ones(y.shape, bool)
        starts[..., 1:] = y[..., 1:] != y[..., :-1]  # nan != nan: each nan alone
        if starts.all():
            return g  # no ties
        groups = np.cumsum(starts.ravel()) - 1  # runs never cross rows: each row starts one
        count = int(groups[-1]) + 1
        rows = np.moveaxis(g, self.axis, -1).reshape(-1, y.size)
        at = (groups + count * np.arange(len(rows))[:, None]).ravel()
        totals = np.bincount(at, weights=rows.ravel(), minlength=count * len(rows))
        means = totals.reshape(len(rows), count) / np.bincount(groups, minlength=count)
        shared = means[:, groups].reshape(g.shape[: g.ndim - y.ndim] + y.shape)
        return np.moveaxis(shared, -1, self.axis).astype(g.dtype)

    def grad(self, g):
        return TieShare(g, self.inputs[1], axis=self.axis), None


class Unpermute(Node):
    """g put back where `permutation` took it from along `axis`: ``out[..., p[k]] = g[..., k]``
    (the transpose of `Permute`)."""

    axis: int

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, g, permutation, *, axis):  # type: ignore[override]  # an op names its own inputs
        return g.shape, g.dtype

    def eval(self, g, permutation):  # type: ignore[override]  # an op names its own inputs
        out = np.empty(g.shape, g.dtype, like=like_of(g))
        indices = permutation.reshape((1,) * (g.ndim - permutation.ndim) + permutation.shape)
        np.put_along_axis(out, np.broadcast_to(indices, g.shape), g, self.axis)
        return out

    def grad(self, g):
        return Permute(g, self.inputs[1], axis=self.axis), None


class Permute(Node):
    """x reordered along `axis` by an integer `permutation`: ``out[..., k] = x[..., p[k]]``,
    as np.take_along_axis."""

    axis: int

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, x, permutation, *, axis):  # type: ignore[override]  # an op names its own inputs
        return x.shape, x.dtype

    def eval(self, x, permutation):  # type: ignore[override]  # an op names its own inputs
        indices = permutation.reshape((1,) * (x.ndim - permutation.ndim) + permutation.shape)
        return np.take_along_axis(x, indices, self.axis)

    def grad(self, g):
        return Unpermute(g, self.inputs[1], axis=self.axis), None


class Sort(Node):
    """x sorted along `axis` (counted from the end). The gradient goes back through the
    sorting permutation; tied elements share the cotangents of their positions evenly."""

    axis: int

    fresh = True

    @classmethod
    def infer(cls, x, *, axis):  # type: ignore[override]  # an op names its own inputs
        return x.shape, x.dtype

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.sort(x, axis=self.axis)

    def uniform_value(self, values):
        return values[0]

    def value_bound(self, bounds):
        return bounds[0]

    def grad(self, g):
        (x,) = self.inputs
        permutation = Argsort(x, axis=self.axis, kind=None, stable=True)
        return (Unpermute(TieShare(g, self, axis=self.axis), permutation, axis=self.axis),)


def sort(x, axis: int | None = -1, kind: str | None = None, order=None, *, stable=None) -> Node:
    """x sorted along `axis` (None: flattened first), as np.sort.

    The gradient goes back through the sorting permutation. At ties (where sort is not
    differentiable) each of a run of equal elements gets the mean of the cotangents of the
    positions the run fills: the minimum-norm subgradient (for two tied elements also what
    central differences find), shared as max and min share. nan sorts last, as in NumPy.
    `kind` and `stable` choose NumPy's algorithm (the values do not depend on it).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([3.0, 1.0, 2.0]))
    >>> ad.sort(x)()
    array([1., 2., 3.])
    >>> ad.grad(ad.sum(ad.sort(x) * np.array([1.0, 10.0, 100.0])), x)()
    array([100.,   1.,  10.])
    >>> t = ad.Variable(np.array([5.0, 5.0]))
    >>> ad.grad(ad.sort(t)[1], t)()   # a tie: the one cotangent shared
    array([0.5, 0.5])
    """
    x = as_node(x)
    if order is not None:
        raise ValueError("Sort: order= sorts structured arrays, which autodiff does not have")
    _sort_kind("Sort", kind, stable)
    if x.ndim == 0 and axis is not None:
        raise ValueError(f"Sort: axis {axis} is out of bounds for input of shape ()")
    x, axis = one_axis("Sort", x, axis)
    return Sort(x, axis=axis)


class Argmax(Node):
    """The index of the largest (`least`: smallest) element along `axis`, the first one at
    ties; an integer result with no gradient."""

    axis: int
    keepdims: bool
    least: bool

    differentiable = False
    fresh = True

    @classmethod
    def infer(cls, x, *, axis, keepdims, least):  # type: ignore[override]  # an op names its own inputs
        if x.shape[axis] == 0:
            op = "Argmin" if least else "Argmax"
            raise ValueError(
                f"{op}: attempt to get {op.lower()} of an empty sequence (axis {axis} of input "
                f"of shape {x.shape})"
            )
        return _reduced_shape(x.shape, (axis,), keepdims), np.dtype(np.intp)

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        pick = np.argmin if self.least else np.argmax
        return np.asarray(pick(x, axis=self.axis, keepdims=self.keepdims))

    def grad(self, g):
        return (None,)


def _arg_extremum(op: str, x, axis, keepdims: bool, least: bool) -> Node:
    x = as_node(x)
    shape = x.shape
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be one integer, got {axis!r}")
    (axis,) = normalize_axes(op, axis, x.shape)
    result: Node = Argmax(x, axis=axis, keepdims=bool(keepdims), least=least)
    if keepdims and result.ndim != len(shape):  # axis None: every axis kept, of size 1
        result = reshape(result, (1,) * len(shape))
    return result


def argmax(x, axis: int | None = None, keepdims: bool = False) -> Node:
    """Index of the largest element along `axis` (None: of x flattened), as np.argmax; the
    first at ties. An integer node, with no gradient.

    >>> import numpy as np, autodiff as ad
    >>> ad.argmax(ad.Variable(np.array([[1.0, 5.0], [7.0, 2.0]])), axis=1)()
    array([1, 0])
    """
    return _arg_extremum("Argmax", x, axis, keepdims, least=False)


def argmin(x, axis: int | None = None, keepdims: bool = False) -> Node:
    """Index of the smallest element along `axis` (None: of x flattened), as np.argmin; the
    first at ties. An integer node, with no gradient.

    >>> import numpy as np, autodiff as ad
    >>> ad.argmin(ad.Variable(np.array([3.0, 1.0, 1.0])))()
    array(1)
    """
    return _arg_extremum("Argmin", x, axis, keepdims, least=True)


# -- truth tests -----------------------------------------------------------------------------
def _reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool):
    if keepdims:
        return _kept_shape(shape, axes)
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class Any(Node):
    """Whether any (`every`: all) element over `axes` is true; boolean, with no gradient."""

    axes: tuple[int, ...]
    keepdims: bool
    every: bool

    differentiable = False
    fresh = True

    @classmethod
    def infer(cls, x, *, axes, keepdims, every):  # type: ignore[override]  # an op names its own inputs
        return _reduced_shape(x.shape, axes, keepdims), np.dtype(bool)

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        test = np.all if self.every else np.any
        return np.asarray(test(x, axis=self.axes, keepdims=self.keepdims))

    def grad(self, g):
        return (None,)


def _truth(op: str, x, axis, keepdims: bool, where, every: bool) -> Node:
    x = as_node(x)
    axes = normalize_axes(op, axis, x.shape)
    if where is not None:
        x = masked(where, not_equal(x, 0) if x.dtype != bool else x, every)
    return Any(x, axes=axes, keepdims=bool(keepdims), every=every)


def any(x, axis=None, keepdims: bool = False, *, where=None) -> Node:
    """Whether any element over `axis` is true (non-zero), as np.any; a boolean node.

    >>> import numpy as np, autodiff as ad
    >>> ad.any(ad.Variable(np.array([[0.0, 0.0], [0.0, 2.0]])), axis=1)()
    array([False,  True])
    """
    return _truth("Any", x, axis, keepdims, where, every=False)


def all(x, axis=None, keepdims: bool = False, *, where=None) -> Node:
    """Whether every element over `axis` is true (non-zero), as np.all; a boolean node.

    >>> import numpy as np, autodiff as ad
    >>> ad.all(ad.Variable(np.array([[1.0, 0.0], [3.0, 2.0]])), axis=1)()
    array([False,  True])
    """
    return _truth("All", x, axis, keepdims, where, every=True)


def average(x, axis=None, weights=None, returned: bool = False, *, keepdims: bool = False):
    """Weighted mean over `axis`, as np.average: ``sum(x * weights) / sum(weights)``.

    `weights` has x's shape, or the shape of the axes named by `axis` (in that order); it
    may be a Node, and the result is differentiable in both. Weights known when the graph is
    built (arrays, Constants) that sum to zero raise ZeroDivisionError, as in NumPy; a
    Variable's give inf or nan. With `returned`, also the sum of the weights (broadcast to
    the result's shape).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> ad.average(x, axis=1, weights=np.array([3.0, 1.0]))()
    array([1.25, 3.25])
    >>> avg, total = ad.average(x, weights=np.ones((2, 2)), returned=True)
    >>> avg(), total()
    (array(2.5), array(4.))
    """
    x = as_node(x)
    keepdims = _flag("Average", keepdims)
    axes = normalize_axes("Average", axis, x.shape)
    if weights is None:
        result = mean(x, axes, keepdims)
        count = int(np.prod([x.shape[a] for a in axes]))
        total = full(result.shape, count, result.dtype)
        return (result, total) if returned else result
    w = as_node(weights, like=x)
    if w.shape != x.shape:
        if axis is None:
            raise TypeError(
                f"Average: axis must be specified when shapes of a {x.shape} and weights "
                f"{w.shape} differ"
            )
        given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        order = [int(a) % x.ndim for a in given]
        if w.shape != tuple(x.shape[a] for a in order):
            raise ValueError(
                f"Average: shape of weights {w.shape} must be consistent with shape of a "
                f"{x.shape} along axis {axis}"
            )
        w = transpose(w, tuple(int(i) for i in np.argsort(order)))
        w = reshape(w, tuple(n if i in order else 1 for i, n in enumerate(x.shape)))
    if x.dtype.kind in "biu":
        dtype = np.result_type(x.dtype, w.dtype, np.float64)
    else:
        dtype = np.result_type(x.dtype, w.dtype)
    x, w = astype(x, dtype), astype(w, dtype)
    total = sum(broadcast_to(w, x.shape), axes, keepdims)
    if (not isinstance(weights, Node) or isinstance(weights, Constant)) and np.any(total() == 0):
        raise ZeroDivisionError("Average: weights sum to zero, can't be normalized")
    result = sum(x * w, axes, keepdims) / total
    return (result, total) if returned else result


def _flag(op: str, keepdims) -> bool:
    """keepdims as a bool; anything else (a dtype passed where NumPy puts one) is refused."""
    if not isinstance(keepdims, (bool, np.bool_, int, np.integer)):
        raise TypeError(f"{op}: keepdims must be a bool, got {keepdims!r} (pass dtype= by keyword)")
    return bool(keepdims)


def _correction(op: str, ddof, correction) -> float:
    """ddof, or NumPy 2's alias `correction` (not both)."""
    if correction is not None:
        if ddof != 0:
            raise ValueError(f"{op}: ddof and correction can't be provided simultaneously")
        ddof = correction
    if isinstance(ddof, (bool, np.bool_)) or not isinstance(ddof, (int, float, np.number)):
        raise TypeError(f"{op}: ddof must be a number, got {type(ddof).__name__}")
    return float(ddof) if isinstance(ddof, (float, np.floating)) else int(ddof)


def var(
    x,
    axis=None,
    keepdims: bool = False,
    ddof: float = 0,
    *,
    dtype=None,
    where=None,
    correction: float | None = None,
) -> Node:
    """Variance over `axis`, as np.var: the mean squared deviation, divided by
    ``N - ddof`` instead of N (`correction` is NumPy 2's name for ddof). `where` (a boolean
    array broadcast against x) keeps only the elements where it is True; a slice left with
    no degrees of freedom then gives inf or nan, as in NumPy.

    >>> import numpy as np, autodiff as ad
    >>> ad.var(ad.Variable(np.array([1.0, 3.0])))()
    array(1.)
    >>> x = ad.Variable(np.array([1.0, 3.0, 8.0]))
    >>> ad.var(x, correction=1, where=np.array([True, True, False]))()
    array(2.)
    """
    x = as_node(x)
    keepdims = _flag("Var", keepdims)
    ddof = _correction("Var", ddof, correction)
    if dtype is not None:
        x = astype(x, dtype)
    axes = normalize_axes("Var", axis, x.shape)
    if where is not None:
        x = masked(where, x, 0)  # what it leaves out (nan, inf) never meets a derivative
        centre = mean(x, axes, keepdims=True, where=where)
        squares = sum(square(masked(where, x - centre, 0)), axes, keepdims)
        counts = sum(astype(broadcast_to(where, x.shape), squares.dtype), axes, keepdims)
        return squares / (counts - ddof)
    count = int(np.prod([x.shape[a] for a in axes]))
    if count - ddof <= 0:
        raise ValueError(f"Var: ddof={ddof} leaves no degrees of freedom for {count} elements")
    squares = sum(square(x - mean(x, axes, keepdims=True)), axes, keepdims)
    return squares * (1.0 / (count - ddof))


def _root(v: Node, p: float) -> Node:
    """v ** (1/p) for v >= 0, with the derivative 0 (not inf) wherever v is 0, at every order
    (nan and inf pass through)."""
    zero = equal(v, 0)
    safe = where(zero, 1.0, v)  # never 0, so no derivative of the root below is inf
    root = sqrt(safe) if p == 2 else power(safe, 1.0 / p)
    return where(zero, 0.0, root)


def std(
    x,
    axis=None,
    keepdims: bool = False,
    ddof: float = 0,
    *,
    dtype=None,
    where=None,
    correction: float | None = None,
) -> Node:
    """Standard deviation over `axis`, as np.std: the root of `var` (same arguments).

    Where it is 0 (all entries equal, or a single one) its derivative is defined as 0, the
    minimum-norm subgradient, at every order.

    >>> import numpy as np, autodiff as ad
    >>> ad.std(ad.Variable(np.array([1.0, 3.0])))()
    array(1.)
    >>> x = ad.Variable(np.ones((2, 1)))
    >>> ad.grad(ad.sum(ad.std(x, axis=1)), x)()
    array([[0.],
           [0.]])
    """
    variance = var(x, axis, keepdims, ddof, dtype=dtype, where=where, correction=correction)
    return _root(variance, 2)


def _largest(x: Node, axis, keepdims: bool = False) -> Node:
    """max over `axis`, 0 where that is empty: NumPy's norms take their max with initial 0."""
    axes = normalize_axes("Norm", axis, x.shape)
    if builtins.any(x.shape[a] == 0 for a in axes):
        shape = np.zeros(x.shape).max(axis=axes, keepdims=keepdims, initial=0).shape
        return full(shape, 0, x.dtype)
    return max(x, axes, keepdims)


def _vector_norm(x: Node, ord, axes: tuple[int, ...], keepdims: bool) -> Node:
    if isinstance(ord, str):  # NumPy raises ValueError for a bad order, not TypeError
        raise ValueError(f"Norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return _root(sum(square(x), axes, keepdims), 2)
    if ord == np.inf:
        return _largest(absolute(x), axes, keepdims)
    if ord == -np.inf:
        return min(absolute(x), axes, keepdims)
    if ord == 0:
        return astype(sum(not_equal(x, 0), axes, keepdims), x.dtype)
    if ord == 1:
        return sum(absolute(x), axes, keepdims)
    return _root(sum(power(absolute(x), ord), axes, keepdims), ord)


def _matrix_norm(x: Node, ord, axes: tuple[int, int], keepdims: bool) -> Node:
    rows, cols = axes
    if ord is None or ord == "fro":
        result = _root(sum(square(x), axes), 2)
    elif ord in (1, -1):
        pick = _largest if ord == 1 else min
        result = pick(sum(absolute(x), rows), cols - (cols > rows))
    elif ord in (np.inf, -np.inf):
        pick = _largest if ord == np.inf else min
        result = pick(sum(absolute(x), cols), rows - (rows > cols))
    elif ord in (2, -2, "nuc"):
        others = [i for i in range(x.ndim) if i not in axes]
        s = SingularValues(transpose(x, (*others, rows, cols)))
        result = sum(s, -1) if ord == "nuc" else (_largest if ord == 2 else min)(s, -1)
    else:
        raise ValueError(f"Norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        result = reshape(result, _kept_shape(x.shape, axes))
    return result


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Node:
    """Vector or matrix norm, as np.linalg.norm.

    With `axis` None a 1-D input gets a vector norm and a 2-D input a matrix norm (any other
    input only the default, the 2-norm of all entries); an int axis gives vector norms along
    it, a pair of axes matrix norms. Vector orders: None or 2, 1, any p, 0 (the count of
    non-zeros), np.inf, -np.inf. Matrix orders: None or 'fro', 1, -1, np.inf, -np.inf, and by
    singular values (`ad.linalg.svd`) 2 (the largest), -2 (the smallest) and 'nuc' (their
    sum), whose gradients need distinct singular values. Where a 2-norm, p-norm or
    Frobenius norm is 0 its derivative is defined as 0, the minimum-norm subgradient, at
    every order. Integer inputs give float64.

    >>> import numpy as np, autodiff as ad
    >>> ad.norm(ad.Variable(np.array([3.0, 4.0])))()
    array(5.)
    >>> ad.norm(ad.Variable(np.array([[1.0, -2.0], [3.0, 4.0]])), 1)()   # the largest column sum
    array(6.)
    >>> ad.norm(ad.Variable(np.array([[3.0, 0.0], [0.0, -4.0]])), "nuc")()
    array(7.)
    """
    x = as_node(x)
    if x.dtype.kind not in "fc":
        x = astype(x, np.float64)
    if axis is None:
        if ord is None:
            result = _root(sum(square(x)), 2)
            return reshape(result, (1,) * x.ndim) if keepdims else result
        if x.ndim not in (1, 2):
            raise ValueError(
                f"Norm: ord={ord!r} needs a 1-d or 2-d input or an axis, got shape {x.shape}"
            )
        axis = tuple(range(x.ndim))
    given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(normalize_axes("Norm", a, x.shape)[0] for a in given)
    if len(set(axes)) != len(axes):
        raise ValueError(f"Norm: repeated axis in {axis} for input of shape {x.shape}")
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"Norm: axis must name 1 or 2 axes, got {axis} for input of shape {x.shape}")
