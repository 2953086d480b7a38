"""Shape ops: reshape, indexing and slicing, gathers by integer nodes, joining and splitting.

Indexing with a fixed key (ints, slices, None, `...`, integer or boolean arrays) is `Index`;
its adjoint `IndexAdjoint` scatters a gradient back into zeros (adding where an integer
array repeats a position). Indexing by an integer *node* whose values change between calls
(token ids, say) is `Take`, with adjoint `TakeAdjoint`. Gradients with batch axes get full
slices in front of the key, so the batch axes stay in front; where NumPy moves the axes of
advanced indices to the front (a slice, None or `...` between them), the batch axes become
advanced indices too, broadcast ahead of the others. A plan writes a reshape and an index as
views (`lower`), and a concatenation of arrays each given a new leading axis as one stack of
those arrays. `Pad` surrounds x with zeros. NumPy's other array-manipulation functions
(flip, roll, tile, pad in all its modes, ...) are built on these in `manipulation`.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from ..node import Constant, Node, as_node
from ._common import like_of, normalize_axes

__all__ = [
    "reshape",
    "ravel",
    "expand_dims",
    "squeeze",
    "concatenate",
    "stack",
    "split",
    "array_split",
    "take",
    "getitem",
]


class Reshape(Node):
    view = True
    linear = (0,)

    @classmethod
    def infer(cls, x, *, new_shape):  # type: ignore[override]  # an op names its own inputs
        return new_shape, x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, new_shape):  # type: ignore[override]  # an op names its own inputs
        if new_shape == x.shape:
            return x
        if isinstance(x, Reshape):  # a reshape of a reshape is one reshape
            return Reshape(x.inputs[0], new_shape=new_shape)
        return None

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.reshape(x, self.shape)

    def print_args(self):
        return (self.shape,), {}

    @property
    def latex(self) -> str | None:  # type: ignore[override]  # a property where Node has a class attribute
        """Math shows a reshape that only adds or removes axes of size 1 as its input."""
        kept = [n for n in self.inputs[0].shape if n != 1] == [n for n in self.shape if n != 1]
        return "{0}" if kept else None

    def uniform_value(self, values):
        return values[0]

    def value_bound(self, bounds):
        return bounds[0]

    def lower(self, w, operands, target):
        w.lines.append(f"{target} = {operands[0]}.reshape({self.shape!r})")
        return True

    def grad(self, g):
        (x,) = self.inputs
        return (reshape(g, g.shape[: g.ndim - self.ndim] + x.shape),)


def _integer(op: str, what: str, value) -> int:
    """`value` as an int: Python and NumPy integers pass, bools and floats do not (as NumPy)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {what} must be an integer, got {type(value).__name__} {value!r}")
    return int(value)


def reshape(x, shape) -> Node:
    """x with a new shape of the same size (one entry may be -1), as np.reshape.

    >>> import numpy as np, autodiff as ad
    >>> ad.reshape(ad.Variable(np.zeros(6)), (2, -1)).shape
    (2, 3)
    """
    x = as_node(x)
    if isinstance(shape, np.ndarray):
        shape = shape.tolist()
    sizes = shape if isinstance(shape, (tuple, list)) else (shape,)
    shape = tuple(_integer("Reshape", "each size in the shape", n) for n in sizes)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    known = int(np.prod([n for n in shape if n != -1]))
    if len(unknown) > 1 or builtins.any(n < -1 for n in shape):
        raise ValueError(f"Reshape: invalid target shape {shape}")
    if unknown and known and x.size % known == 0:
        shape = shape[: unknown[0]] + (x.size // known,) + shape[unknown[0] + 1 :]
    if int(np.prod(shape)) != x.size or -1 in shape:
        raise ValueError(
            f"Reshape: cannot reshape input of shape {x.shape} ({x.size} elements) into {shape}"
        )
    return Reshape(x, new_shape=shape)


def _new_axes(op: str, axis, shape: tuple[int, ...]) -> tuple[int, ...]:
    """`axis` (an int or a tuple) as sorted non-negative places of new axes in a result with
    ``len(shape) + len(axes)`` axes."""
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    ndim = len(shape) + len(axes)
    places = []
    for a in axes:
        a = _integer(op, "axis", a)
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of bounds for a result of {ndim} axes "
                f"(input of shape {shape})"
            )
        places.append(a % ndim)
    if len(set(places)) != len(places):
        raise ValueError(f"{op}: repeated axis in {axis!r} for input of shape {shape}")
    return tuple(sorted(places))


def expand_dims(x, axis: int | Sequence[int]) -> Node:
    """x with new axes of size 1 at `axis` (an int or a tuple), as np.expand_dims.

    >>> import numpy as np, autodiff as ad
    >>> ad.expand_dims(ad.Variable(np.zeros(3)), 0).shape, ad.expand_dims(np.zeros(3), (0, 2)).shape
    ((1, 3), (1, 3, 1))
    """
    x = as_node(x)
    shape = list(x.shape)
    for place in _new_axes("ExpandDims", axis, x.shape):
        shape.insert(place, 1)
    return reshape(x, tuple(shape))


def squeeze(x, axis=None) -> Node:
    """x without axes of size 1 (all of them, or those in `axis`), as np.squeeze.

    >>> import numpy as np, autodiff as ad
    >>> ad.squeeze(ad.Variable(np.zeros((1, 3, 1)))).shape
    (3,)
    """
    x = as_node(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes("Squeeze", axis, x.shape)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(
                    f"Squeeze: axis {a} of input of shape {x.shape} has size {x.shape[a]}, not 1"
                )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def ravel(x) -> Node:
    """x flattened to one axis.

    >>> import numpy as np, autodiff as ad
    >>> ad.ravel(ad.Variable(np.zeros((2, 3)))).shape
    (6,)
    """
    return reshape(x, (-1,))


# -- indexing with a fixed key --------------------------------------------------------------
def _has_array(index: tuple) -> bool:
    return builtins.any(isinstance(k, np.ndarray) for k in index)


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.array(array)
    array.flags.writeable = False
    return array


def _slice_bound(value, key):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Index: slice bounds must be integers or None, got {key!r}")
    return int(value)


def _key_entry(k):
    """One entry of a key as an int, a slice of ints, None, Ellipsis or a read-only array
    (booleans of any shape, or integers as intp with at least one axis)."""
    if k is None or k is Ellipsis:
        return k
    if isinstance(k, slice):
        return slice(*(_slice_bound(v, k) for v in (k.start, k.stop, k.step)))
    if isinstance(k, (bool, np.bool_)):  # a 0-d boolean, never the integer 0 or 1
        return _read_only(np.array(k))
    if isinstance(k, (int, np.integer)):
        return int(k)
    if not isinstance(k, (list, tuple, range, np.ndarray)):
        raise TypeError(f"Index: unsupported index {k!r} of type {type(k).__name__}")
    try:
        array = np.asarray(k)
    except ValueError:
        raise ValueError(f"Index: the sequence {k!r} is ragged, not an array of indices") from None
    if array.size == 0 and not isinstance(k, np.ndarray):
        array = array.astype(np.intp)  # an empty list selects nothing, as in NumPy
    if array.dtype == bool:
        return _read_only(array)
    if array.dtype.kind not in "iu":
        raise TypeError(f"Index: array indices must be integers or booleans, got {array.dtype}")
    if array.ndim == 0:
        return int(array)
    return _read_only(array.astype(np.intp))


def _entry_width(k) -> int:
    """How many axes of the input one key entry uses up."""
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, np.ndarray) and k.dtype == bool:
        return k.ndim  # a 0-d boolean adds an axis instead
    return 1


def _normalize_key(key, shape: tuple[int, ...]) -> tuple[tuple, tuple[int, ...]]:
    """A NumPy index as a tuple of ints, slices, None, Ellipsis and intp arrays, and the
    shape the input must first be reshaped to.

    Boolean masks become their `np.nonzero` arrays. A 0-d boolean (True, np.bool_, a 0-d
    array) adds an axis, as in NumPy: the input gets a size-1 axis there, which the key
    takes whole (True) or not at all (False); when other integers or arrays stand in the
    key, it is an integer array ``[0]`` or ``[]`` there instead, broadcast with them.
    """
    raw = key if isinstance(key, tuple) else (key,)
    entries = [_key_entry(k) for k in raw]
    if builtins.sum(k is Ellipsis for k in entries) > 1:
        raise IndexError(f"Index: an index can only have a single ellipsis ('...'), got {key!r}")
    widths = [_entry_width(k) for k in entries]
    if builtins.sum(widths) > len(shape):
        raise IndexError(
            f"Index: too many indices for input of shape {shape}: {key!r} indexes "
            f"{builtins.sum(widths)} axes"
        )
    starts, axis = [], 0  # the first input axis each entry indexes
    for i, (k, width) in enumerate(zip(entries, widths, strict=True)):
        if k is Ellipsis:
            axis = len(shape) - builtins.sum(widths[i:])
        starts.append(axis)
        axis += width
    scalar_bools = [isinstance(k, np.ndarray) and k.dtype == bool and k.ndim == 0 for k in entries]
    lone_bool = builtins.sum(isinstance(k, (int, np.ndarray)) for k in entries) == 1
    result: list = []
    new_axes: list[int] = []
    for k, start, scalar_bool in zip(entries, starts, scalar_bools, strict=True):
        if scalar_bool:
            new_axes.append(start)
            if lone_bool:
                result.append(slice(None) if k else slice(0, 0))
            else:
                result.append(_read_only(np.zeros(int(k), np.intp)))
        elif isinstance(k, np.ndarray) and k.dtype == bool:
            if k.shape != shape[start : start + k.ndim]:
                raise IndexError(
                    f"Index: boolean index of shape {k.shape} does not match axes {start} to "
                    f"{start + k.ndim - 1} of input of shape {shape}"
                )
            result.extend(_read_only(n) for n in np.nonzero(k))
        else:
            result.append(k)
    new_shape = list(shape)
    for place, start in enumerate(new_axes):  # each earlier new axis shifts the later ones
        new_shape.insert(start + place, 1)
    return tuple(result), tuple(new_shape)


def _indexed_shape(index: tuple, shape: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return np.broadcast_to(np.empty((), np.int8), shape)[index].shape
    except IndexError as error:
        raise IndexError(f"Index: {error} (input of shape {shape})") from None
    except ValueError as error:
        raise ValueError(f"Index: {error} (input of shape {shape})") from None


def _advanced_in_front(index: tuple) -> bool:
    """Whether NumPy puts the axes of the advanced indices (arrays, and ints beside them) of
    `index` first: it does when a slice, None or `...` stands between two of them."""
    if not _has_array(index):
        return False
    places = [i for i, k in enumerate(index) if isinstance(k, (int, np.ndarray))]
    return places != list(range(places[0], places[-1] + 1))


def _batched_key(index: tuple, batch: tuple[int, ...]) -> tuple:
    """The key that applies `index` to an array with leading `batch` axes and keeps those
    axes in front of the result.

    Leading full slices do that unless NumPy moves the advanced-index axes to the front;
    then the batch axes become advanced indices too (aranges broadcast ahead of the others).
    """
    if not batch or not _advanced_in_front(index):
        return (slice(None),) * len(batch) + index
    advanced = np.broadcast_shapes(
        *(np.shape(k) for k in index if isinstance(k, (int, np.ndarray)))
    )
    ndim = len(batch) + len(advanced)
    aranges = tuple(
        _read_only(np.arange(n).reshape((n,) + (1,) * (ndim - 1 - i))) for i, n in enumerate(batch)
    )
    return aranges + index


class Index(Node):
    """x[index] for a fixed index (see `_normalize_key`), with NumPy's placement of the axes
    of advanced indices."""

    print_form = "index"
    index: tuple[Any, ...]  # the normalized key

    view = True
    linear = (0,)

    @classmethod
    def infer(cls, x, *, index):  # type: ignore[override]  # an op names its own inputs
        return _indexed_shape(index, x.shape), x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, index):  # type: ignore[override]  # an op names its own inputs
        plain = (isinstance(k, slice) and k == slice(None) or k is Ellipsis for k in index)
        return x if builtins.all(plain) else None

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return x[self.index]

    def uniform_value(self, values):
        return values[0]

    def value_bound(self, bounds):
        return bounds[0]

    def lower(self, w, operands, target):
        w.lines.append(f"{target} = {operands[0]}[{w.bind(self.index, '_key')}]")
        return True

    def grad(self, g):
        (x,) = self.inputs
        batch = g.shape[: g.ndim - self.ndim]
        return (IndexAdjoint(g, index=_batched_key(self.index, batch), out_shape=batch + x.shape),)


class IndexAdjoint(Node):
    """Zeros of `out_shape` with g added at `index`: the transpose of Index."""

    dispatches = False  # np.add.at with NumPy index arrays

    index: tuple[Any, ...]
    out_shape: tuple[int, ...]

    fresh = True
    adds_into = True
    linear = (0,)

    @classmethod
    def infer(cls, g, *, index, out_shape):  # type: ignore[override]  # an op names its own inputs
        return out_shape, g.dtype

    def eval(self, g):  # type: ignore[override]  # an op names its own inputs
        out = np.zeros(self.shape, g.dtype, like=like_of(g))
        if _has_array(self.index):
            np.add.at(out, self.index, g)
        else:
            out[self.index] = g
        return out

    def add_into(self, w, into, operands):
        key = w.bind(self.index, "_key")
        if _has_array(self.index):  # repeated positions add up
            w.lines.append(f"_np.add.at({into}, {key}, {operands[0]})")
        else:
            w.lines.append(f"{into}[{key}] += {operands[0]}")

    def grad(self, g):
        batch = g.shape[: g.ndim - self.ndim]
        return (Index(g, index=_batched_key(self.index, batch)),)


# -- gathering by an integer node -------------------------------------------------------------
class Take(Node):
    """np.take(x, indices, axis) where `indices` is an integer node."""

    axis: int

    fresh = True
    linear = (0,)

    def value_bound(self, bounds):
        return builtins.max(bounds)

    @classmethod
    def infer(cls, x, indices, *, axis):  # type: ignore[override]  # an op names its own inputs
        if indices.dtype.kind not in "iu":
            raise TypeError(f"Take: indices must be integers, got {indices.dtype} (input 1)")
        return x.shape[:axis] + indices.shape + x.shape[axis + 1 :], x.dtype

    def eval(self, x, indices):  # type: ignore[override]  # an op names its own inputs
        return np.take(x, indices, axis=self.axis)

    def grad(self, g):
        x, indices = self.inputs
        nb = g.ndim - self.ndim
        return TakeAdjoint(g, indices, axis=self.axis + nb, length=x.shape[self.axis]), None


class TakeAdjoint(Node):
    """Zeros with `length` entries along `axis`, g added at `indices`: the transpose of Take."""

    dispatches = False  # np.add.at with NumPy index arrays

    axis: int
    length: int

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, g, indices, *, axis, length):  # type: ignore[override]  # an op names its own inputs
        return g.shape[:axis] + (length,) + g.shape[axis + indices.ndim :], g.dtype

    def eval(self, g, indices):  # type: ignore[override]  # an op names its own inputs
        return _scatter_add(g, indices, self.axis, self.length)

    def grad(self, g):
        nb = g.ndim - self.ndim
        return Take(g, self.inputs[1], axis=self.axis + nb), None


def _scatter_add(g: np.ndarray, indices: np.ndarray, axis: int, length: int) -> np.ndarray:
    """Zeros with `length` entries along `axis` and g added at `indices` (np.add.at's sums).

    In float64 one bincount computes it: the same sums in the same order as np.add.at,
    several times faster. NumPy only (no math), so an exported plan can carry it.
    """
    shape = g.shape[:axis] + (length,) + g.shape[axis + indices.ndim :]
    outside = indices.size and (indices.min() < -length or indices.max() >= length)
    if g.dtype != np.float64 or outside:  # (np.add.at raises for an index out of range)
        out = np.zeros(shape, g.dtype, like=like_of(g))
        at: Any = (slice(None),) * axis + (indices,)
        np.add.at(out, at, g)
        return out
    pre = int(np.prod(g.shape[:axis]))
    post = int(np.prod(g.shape[axis + indices.ndim :]))
    base = (np.arange(pre)[:, None, None] * (length * post) + np.arange(post)).reshape(pre, 1, post)
    at = base + (np.ravel(indices) % length).reshape(1, indices.size, 1) * post
    size = int(np.prod(shape))
    return np.bincount(at.ravel(), weights=np.ravel(g), minlength=size).reshape(shape)


def take(x, indices, axis: int | None = None) -> Node:
    """Elements of x at integer `indices` (a node or array) along `axis`, as np.take
    (`axis` None: of x flattened).

    Indices known when the graph is built (arrays, Constants) are checked then; those of a
    Variable are checked when it is evaluated.

    >>> import numpy as np, autodiff as ad
    >>> E = ad.Variable(np.arange(6.0).reshape(3, 2))
    >>> ids = ad.Variable(np.array([2, 0]))
    >>> ad.take(E, ids, axis=0)()
    array([[4., 5.],
           [0., 1.]])
    >>> ad.take(E, np.array([1, 4]))()
    array([1., 4.])
    """
    x, indices = as_node(x), as_node(indices)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    (axis,) = normalize_axes("Take", axis, x.shape)
    if isinstance(indices, Constant) and indices.dtype.kind in "iu" and indices.size:
        length = x.shape[axis]
        values = indices.value
        low, high = int(values.min()), int(values.max())
        if low < -length or high >= length:
            bad = high if high >= length else low
            raise IndexError(
                f"Take: index {bad} is out of bounds for axis {axis} of size {length} "
                f"(input of shape {x.shape})"
            )
    return Take(x, indices, axis=axis)


def getitem(x: Node, key) -> Node:
    """x[key] with NumPy's rules; a key that holds an integer Node gathers with `take`.

    Every NumPy key works: ints, slices, None, `...`, integer arrays (broadcast together;
    their axes go first when a slice, None or `...` stands between them), boolean masks, and
    0-d booleans (a new axis of size 1 for True, 0 for False).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.arange(6.0).reshape(2, 3))
    >>> ad.getitem(x, (slice(None), 1))(), x[1, ::2]()
    (array([1., 4.]), array([3., 5.]))
    >>> x3 = ad.Variable(np.zeros((2, 3, 4)))
    >>> x3[0, :, [1, 0]].shape, x3[True].shape, x3[..., False].shape
    ((2, 3), (1, 2, 3, 4), (2, 3, 4, 0))
    """
    key_tuple = key if isinstance(key, tuple) else (key,)
    nodes = [i for i, k in enumerate(key_tuple) if isinstance(k, Node)]
    if nodes:
        rest = [k for i, k in enumerate(key_tuple) if i != nodes[0]]
        plain = builtins.all(isinstance(k, slice) and k == slice(None) for k in rest)
        if len(nodes) > 1 or not plain:
            raise TypeError(
                f"Index: a node in an index must come alone or with plain ':' slices, got {key!r}"
            )
        indices = key_tuple[nodes[0]]
        if indices.dtype == bool:
            raise TypeError(
                f"Index: a boolean node of shape {indices.shape} cannot index (the result's shape "
                "would depend on its values); use ad.where(mask, x, 0), or a NumPy mask "
                "(np.asarray(mask): its current values)"
            )
        return take(x, indices, axis=nodes[0])
    index, shape = _normalize_key(key, x.shape)
    return Index(reshape(x, shape), index=index)


# -- joining and padding --------------------------------------------------------------------
class Concatenate(Node):
    print_form = "list"
    axis: int

    fresh = True
    jointly_linear = True

    def value_bound(self, bounds):
        return builtins.max(bounds)

    @classmethod
    def fold(cls, shape, dtype, *xs, axis):  # type: ignore[override]  # an op names its own inputs
        return xs[0] if len(xs) == 1 else None

    @classmethod
    def infer(cls, *xs, axis):  # type: ignore[override]  # an op names its own inputs
        first = xs[0]
        for i, x in enumerate(xs[1:], start=1):
            if (
                x.ndim != first.ndim
                or x.shape[:axis] + x.shape[axis + 1 :]
                != first.shape[:axis] + first.shape[axis + 1 :]
            ):
                raise ValueError(
                    f"Concatenate: input {i} of shape {x.shape} does not fit input 0 of shape "
                    f"{first.shape} along axis {axis}"
                )
        length = builtins.sum(x.shape[axis] for x in xs)
        return first.shape[:axis] + (length,) + first.shape[axis + 1 :], np.result_type(
            *(x.dtype for x in xs)
        )

    def eval(self, *arrays):
        return np.concatenate(arrays, axis=self.axis)

    def plan_reads(self):
        """A stack: along axis 0, inputs that each add a leading axis to an array of this
        dtype; a plan stacks those arrays in one call."""
        if self.axis == 0 and builtins.all(
            isinstance(x, Reshape) and x.shape == (1,) + x.inputs[0].shape and x.dtype == self.dtype
            for x in self.inputs
        ):
            return [x.inputs[0] for x in self.inputs]
        return None

    def lower(self, w, operands, target):
        if self.plan_reads() is None:
            return False
        w.lines.append(f"{target} = _np.array([{', '.join(operands)}])")
        return True

    def grad(self, g):
        nb = g.ndim - self.ndim
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[self.axis]
            grads.append(Index(g, index=(slice(None),) * (nb + self.axis) + (slice(start, stop),)))
            start = stop
        return grads


def concatenate(xs: Sequence, axis: int | None = 0) -> Node:
    """Join nodes along an existing axis, as np.concatenate (`axis` None: flattened first).

    >>> import numpy as np, autodiff as ad
    >>> ad.concatenate([ad.Variable(np.zeros((2, 3))), np.ones((1, 3))]).shape
    (3, 3)
    >>> ad.concatenate([ad.Variable(np.zeros((2, 3))), np.ones(2)], axis=None).shape
    (8,)
    """
    xs = [as_node(x) for x in xs]
    if not xs:
        raise ValueError("Concatenate: needs at least one input")
    if axis is None:
        xs, axis = [reshape(x, (-1,)) for x in xs], 0
    if xs[0].ndim == 0:
        raise ValueError("Concatenate: 0-d inputs cannot be concatenated")
    (axis,) = normalize_axes("Concatenate", axis, xs[0].shape)
    return Concatenate(*xs, axis=axis)


def stack(xs: Sequence, axis: int = 0) -> Node:
    """Join nodes of one shape along a new axis, as np.stack.

    >>> import numpy as np, autodiff as ad
    >>> ad.stack([ad.Variable(np.zeros(3)), np.ones(3)]).shape
    (2, 3)
    """
    xs = [as_node(x) for x in xs]
    if not xs:
        raise ValueError("Stack: needs at least one input")
    for i, x in enumerate(xs):
        if x.shape != xs[0].shape:
            raise ValueError(
                f"Stack: input {i} of shape {x.shape} differs from input 0 of shape {xs[0].shape}"
            )
    (axis,) = _new_axes("Stack", _integer("Stack", "axis", axis), xs[0].shape)
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def _split_bounds(op: str, length: int, indices_or_sections, axis: int, even: bool) -> list:
    """The (start, stop) of each piece: `sections` pieces (unequal ones only where not `even`,
    the first ``length % sections`` one longer) or pieces between the given indices."""
    if isinstance(indices_or_sections, (int, np.integer)) and not isinstance(
        indices_or_sections, (bool, np.bool_)
    ):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"{op}: the number of sections must be positive, got {sections}")
        if even and length % sections:
            raise ValueError(
                f"{op}: axis {axis} of length {length} does not split into {sections} equal parts"
            )
        size, extras = divmod(length, sections)
        sizes = [size + 1] * extras + [size] * (sections - extras)
        bounds = [0, *itertools.accumulate(sizes)]
    else:
        if isinstance(indices_or_sections, Node) or not isinstance(
            indices_or_sections, (list, tuple, range, np.ndarray)
        ):
            raise TypeError(
                f"{op}: indices_or_sections must be an integer or a sequence of integers, "
                f"got {type(indices_or_sections).__name__}"
            )
        bounds = [0, *(_integer(op, "each index", i) for i in indices_or_sections), length]
    return list(pairwise(bounds))


def split(ary, indices_or_sections, axis: int = 0) -> list[Node]:
    """Split x into equal pieces, or at the given indices, along `axis`, as np.split.

    >>> import numpy as np, autodiff as ad
    >>> [p.shape for p in ad.split(ad.Variable(np.zeros((4, 2))), 2)]
    [(2, 2), (2, 2)]
    """
    x = as_node(ary)
    (axis,) = normalize_axes("Split", axis, x.shape)
    lead = (slice(None),) * axis
    bounds = _split_bounds("Split", x.shape[axis], indices_or_sections, axis, even=True)
    return [getitem(x, lead + (slice(a, b),)) for a, b in bounds]


def array_split(ary, indices_or_sections, axis: int = 0) -> list[Node]:
    """Split x into pieces along `axis`, as np.array_split: `sections` pieces need not be
    equal (the first ``length % sections`` have one element more), indices may lie beyond
    the axis (empty pieces).

    >>> import numpy as np, autodiff as ad
    >>> [p.shape for p in ad.array_split(ad.Variable(np.zeros(7)), 3)]
    [(3,), (2,), (2,)]
    """
    x = as_node(ary)
    (axis,) = normalize_axes("ArraySplit", axis, x.shape)
    lead = (slice(None),) * axis
    bounds = _split_bounds("ArraySplit", x.shape[axis], indices_or_sections, axis, even=False)
    return [getitem(x, lead + (slice(a, b),)) for a, b in bounds]


# -- padding with zeros (`manipulation.pad` has NumPy's modes) ----------------------------------
class Pad(Node):
    """x surrounded by zeros: `widths` holds (before, after) per axis."""

    widths: tuple[tuple[int, int], ...]  # (before, after) per axis

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, x, *, widths):  # type: ignore[override]  # an op names its own inputs
        return tuple(n + a + b for n, (a, b) in zip(x.shape, widths, strict=True)), x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, widths):  # type: ignore[override]  # an op names its own inputs
        return x if not builtins.any(a or b for a, b in widths) else None

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.pad(x, self.widths)

    def print_args(self):
        return (self.widths,), {}

    def grad(self, g):
        nb = g.ndim - self.ndim
        inner = tuple(
            slice(a, a + n) for n, (a, _) in zip(self.inputs[0].shape, self.widths, strict=True)
        )
        return (Index(g, index=(slice(None),) * nb + inner),)
