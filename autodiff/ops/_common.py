"""Helpers every op family uses: dtype rules, broadcasting, axes, and undoing broadcasting.

This module imports no op family, so each family imports it at module level. `unbroadcast`
builds its sum and reshape through the methods `autodiff.ops` installs onto `Node`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..node import Node


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The floating dtype an op on `dtype` computes in (integers and bools become float64).

    >>> import numpy as np
    >>> from autodiff.ops._common import float_dtype
    >>> float_dtype(np.dtype(np.int32)), float_dtype(np.dtype(np.float32))
    (dtype('float64'), dtype('float32'))
    """
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def dims(op: str, shape) -> tuple[int, ...]:
    """`shape` (an int or a sequence of ints) as a tuple of non-negative sizes, as NumPy takes it.

    >>> from autodiff.ops._common import dims
    >>> dims("Full", 3), dims("Full", (2, 0))
    ((3,), (2, 0))
    """
    sizes = tuple(shape) if isinstance(shape, (tuple, list, np.ndarray)) else (shape,)
    for n in sizes:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: shape {shape!r} must hold integers, got {type(n).__name__}")
        if n < 0:
            raise ValueError(f"{op}: negative dimensions are not allowed, got shape {shape!r}")
    return tuple(int(n) for n in sizes)


def broadcast_shapes(op: str, *inputs: Node) -> tuple[int, ...]:
    """The broadcast shape of `inputs`; a ValueError naming `op` and the input that fails.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.ops._common import broadcast_shapes
    >>> broadcast_shapes("Add", ad.Variable(np.zeros((3, 1))), ad.Variable(np.zeros(4)))
    (3, 4)
    """
    shape = inputs[0].shape
    for x in inputs:
        if x.shape != shape:
            break
    else:
        return shape
    try:
        return np.broadcast_shapes(*(x.shape for x in inputs))
    except ValueError:
        shape = inputs[0].shape
        for i, x in enumerate(inputs[1:], start=1):
            try:
                shape = np.broadcast_shapes(shape, x.shape)
            except ValueError:
                others = " with ".join(str(y.shape) for y in inputs[:i])
                raise ValueError(
                    f"{op}: cannot broadcast {others} with {x.shape} (input {i})"
                ) from None
        raise


def normalize_axes(op: str, axis, shape: tuple[int, ...]) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple) as a sorted tuple of non-negative axes of `shape`.

    >>> from autodiff.ops._common import normalize_axes
    >>> normalize_axes("Sum", (-1, 0), (2, 3, 4))
    (0, 2)
    """
    if axis is None:
        return tuple(range(len(shape)))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an integer, got {type(a).__name__}")
        if not -len(shape) <= a < len(shape):
            raise ValueError(f"{op}: axis {a} is out of bounds for input of shape {shape}")
        result.append(int(a) % len(shape))
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis} for input of shape {shape}")
    return tuple(sorted(result))


def unbroadcast(g: Node, out_ndim: int, shape: tuple[int, ...]) -> Node:
    """Sum the cotangent `g` (shape ``(*batch, *out)``) down to ``(*batch, *shape)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.ops._common import unbroadcast
    >>> unbroadcast(ad.Variable(np.ones((5, 2, 3))), 2, (1, 3)).shape
    (5, 1, 3)
    """
    nb = g.ndim - out_ndim
    if g.shape[nb:] == shape:
        return g
    lead = out_ndim - len(shape)
    axes = list(range(nb, nb + lead))
    axes += [nb + lead + i for i, n in enumerate(shape) if n == 1 and g.shape[nb + lead + i] != 1]
    if not axes:
        return g
    return g.sum(axis=tuple(axes)).reshape(g.shape[:nb] + shape)


def like_of(x: Any) -> Any:
    """`x` where it is an array of a library with NumPy's dispatch, else None: the ``like=``
    of an array an op makes for its result (a dask or CuPy array then, as its input is)."""
    return x if hasattr(type(x), "__array_function__") else None
