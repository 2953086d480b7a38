"""The ops, one family a file; this package re-exports each family's `__all__`.

It also installs Python's operators onto `Node` (``x + y``, ``x @ y``, ``x[key]``, ``x.T``,
``x % y``, ...), ndarray's methods (``x.sum()``, ``x.max(axis=0)``, ``x.astype(int)``, ...) and
NumPy's dispatch protocols (``np.sin(x)``, ``np.sum(x)``, ``array * x``: `dispatch`), each a thin
forward to a factory, so that `autodiff.node` knows no op.
"""

from __future__ import annotations

import numbers
import types

import numpy as np

from ..node import Node, as_node  # as_node: also for grad, checkpoint, nn
from . import activations as _activations
from . import creation as _creation
from . import dispatch as _dispatch
from . import einsum as _einsum
from . import elementwise as _elementwise
from . import linalg as _linalg
from . import manipulation as _manipulation
from . import nn as _nn
from . import reduce as _reduce
from . import shape as _shape
from . import statistics as _statistics
from .activations import *  # noqa: F403
from .creation import *  # noqa: F403
from .einsum import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .manipulation import *  # noqa: F403
from .nn import *  # noqa: F403
from .reduce import *  # noqa: F403
from .shape import *  # noqa: F403
from .statistics import *  # noqa: F403

__all__ = [
    *_creation.__all__,
    *_elementwise.__all__,
    *_activations.__all__,
    *_einsum.__all__,
    *_shape.__all__,
    *_manipulation.__all__,
    *_reduce.__all__,
    *_statistics.__all__,
    *_nn.__all__,
]


def _install_operators() -> None:
    """Python's operators on nodes, as forwards to the factories (NumPy's meanings)."""
    e, s = _elementwise, _shape

    def reshape(self, *shape, order="C", copy=None):
        """x with a new shape, as ndarray.reshape (`copy` changes nothing: nodes are immutable)."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        if order == "F":  # NumPy's column-major order: the reversed axes in C order
            shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
            return _einsum.transpose(s.reshape(_einsum.transpose(self), shape[::-1]))
        if order not in ("C", "A"):
            raise ValueError(f"Node.reshape: order must be 'C', 'F' or 'A', got {order!r}")
        return s.reshape(self, shape)

    def eq(self, other):
        if isinstance(other, (numbers.Number, np.generic, np.ndarray)):
            return e.equal(self, other)  # elementwise, as NumPy: ad.where(x == 0, ...) works
        return self is other  # two nodes: identity, so nodes work in sets, dicts and `in`

    def ne(self, other):
        if isinstance(other, (numbers.Number, np.generic, np.ndarray)):
            return e.not_equal(self, other)
        return self is not other

    def logical(factory, symbol):
        """`&`, `|`, `^` of boolean nodes (masks), as NumPy's on bool arrays; bitwise ops on
        integers are not differentiable maths, and are refused rather than misread."""

        def operator(self, other, reflected=False):
            x, y = (as_node(other), self) if reflected else (self, as_node(other))
            if x.dtype != bool or y.dtype != bool:
                raise TypeError(
                    f"{symbol} of nodes is defined for boolean nodes (masks), got {x.dtype} "
                    f"{symbol} {y.dtype}; use ad.{factory.__name__} for a truth-value test"
                )
            return factory(x, y)

        return operator, lambda self, other: operator(self, other, reflected=True)

    def invert(self):
        if self.dtype != bool:
            raise TypeError(f"~ of nodes is defined for boolean nodes (masks), got {self.dtype}")
        return e.logical_not(self)

    and_, rand = logical(e.logical_and, "&")
    or_, ror = logical(e.logical_or, "|")
    xor, rxor = logical(e.logical_xor, "^")

    methods = {
        "__and__": and_,
        "__rand__": rand,
        "__or__": or_,
        "__ror__": ror,
        "__xor__": xor,
        "__rxor__": rxor,
        "__invert__": invert,
        "__eq__": eq,
        "__ne__": ne,
        "__add__": lambda self, other: e.add(self, other),
        "__radd__": lambda self, other: e.add(other, self),
        "__sub__": lambda self, other: e.subtract(self, other),
        "__rsub__": lambda self, other: e.subtract(other, self),
        "__mul__": lambda self, other: e.multiply(self, other),
        "__rmul__": lambda self, other: e.multiply(other, self),
        "__truediv__": lambda self, other: e.divide(self, other),
        "__rtruediv__": lambda self, other: e.divide(other, self),
        "__pow__": lambda self, other: e.power(self, other),
        "__rpow__": lambda self, other: e.power(other, self),
        "__matmul__": lambda self, other: _einsum.matmul(self, other),
        "__rmatmul__": lambda self, other: _einsum.matmul(other, self),
        "__neg__": lambda self: e.negative(self),
        "__abs__": lambda self: e.absolute(self),
        "__lt__": lambda self, other: e.less(self, other),
        "__le__": lambda self, other: e.less_equal(self, other),
        "__gt__": lambda self, other: e.greater(self, other),
        "__ge__": lambda self, other: e.greater_equal(self, other),
        "__mod__": lambda self, other: _dispatch.named("remainder")(self, other),
        "__rmod__": lambda self, other: _dispatch.named("remainder")(other, self),
        "__floordiv__": lambda self, other: _dispatch.named("floor_divide")(self, other),
        "__rfloordiv__": lambda self, other: _dispatch.named("floor_divide")(other, self),
        "__divmod__": lambda self, other: _dispatch.named("divmod")(self, other),
        "__rdivmod__": lambda self, other: _dispatch.named("divmod")(other, self),
        "__getitem__": lambda self, key: s.getitem(self, key),
        "T": property(lambda self: _einsum.transpose(self), doc="The axes reversed."),
        "mT": property(
            lambda self: _linalg.matrix_transpose(self), doc="The last two axes swapped."
        ),
        "reshape": reshape,
        "__array_ufunc__": _dispatch.array_ufunc,
        "__array_function__": _dispatch.array_function,
        **_dispatch.METHODS,
        **_dispatch.CONVERSIONS,
    }
    for name, method in methods.items():
        if isinstance(method, types.FunctionType):  # not the property
            method.__name__ = method.__qualname__ = name
        setattr(Node, name, method)


_install_operators()
