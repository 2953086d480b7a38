"""Elementwise ops that replace values or are piecewise constant: isfinite, the logical ops
(logical_and/or/xor/not, behind `&`, `|`, `^`, `~` on masks) and nan_to_num,
floor, ceil, round, rint, trunc, fix (derivative 0), and fmod, remainder and floor_divide
(NumPy's sign conventions; fmod and remainder have derivative 1 in x1 and minus the rounded
quotient in x2). Results have NumPy's dtypes: integers stay integers. `elementwise` exports
them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..node import Node, as_node
from ._basic import (
    Comparison,
    Elementwise,
    _as_float,
    _comparison,
    _pair,
    _unary,
    broadcast_shapes,
    negative,
    where,
)
from .creation import zeros

__all__ = [
    "isfinite",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "nan_to_num",
    "floor",
    "ceil",
    "round",
    "around",
    "rint",
    "trunc",
    "fix",
    "fmod",
    "remainder",
    "mod",
    "floor_divide",
    "divmod",
]


class Predicate(Elementwise):
    """A boolean elementwise test, its `ufunc` (isfinite, isnan, logical_not): no gradient."""

    float_result = False
    differentiable = False
    fresh = True

    @classmethod
    def infer(cls, x):  # type: ignore[override]  # an op names its own inputs
        return x.shape, np.dtype(bool)

    def grad(self, g):
        return (None,)


class IsFinite(Predicate):
    """Whether each element is finite (not inf, -inf or nan), as np.isfinite."""

    ufunc: Any = np.isfinite


isfinite = _unary(
    IsFinite,
    "Whether each element is finite, as np.isfinite (a boolean node).\n\n"
    ">>> import autodiff as ad; ad.isfinite(ad.Variable(float('inf')))()\narray(False)",
)


class NanToNum(Elementwise):
    """x with nan, inf and -inf replaced by numbers, as np.nan_to_num; the derivative is 1
    where x is finite and 0 where it was replaced."""

    nan: float
    posinf: float | None  # None: the largest number of the dtype (NumPy's default)
    neginf: float | None

    float_result = False
    fresh = True

    @classmethod
    def fold(cls, shape, dtype, x, **params):  # type: ignore[override]  # an op names its own inputs
        return x if x.dtype.kind in "biu" else None  # nothing to replace

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def grad(self, g):
        return (where(isfinite(self.inputs[0]), g, zeros((), g.dtype)),)


def nan_to_num(x, copy: bool = True, nan: float = 0.0, posinf=None, neginf=None) -> Node:
    """nan, inf and -inf replaced by `nan`, `posinf` and `neginf`, as np.nan_to_num (posinf
    and neginf default to the largest and smallest numbers of x's dtype). `copy` is accepted
    for NumPy's signature; a node is never changed in place. The derivative is 1 where x is
    finite and 0 elsewhere.

    >>> import numpy as np, autodiff as ad
    >>> ad.nan_to_num(ad.Variable(np.array([np.nan, -np.inf, 1.5])), neginf=-9.0)()
    array([ 0. , -9. ,  1.5])
    """
    x = as_node(x)
    values: dict[str, float | None] = {}
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is None and name != "nan":
            values[name] = None
            continue
        if not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(
                f"NanToNum: {name} must be a real number, got {type(value).__name__} "
                f"(input of shape {x.shape}, {x.dtype})"
            )
        values[name] = float(value)
    return NanToNum(x, **values)


# -- rounding (piecewise constant, derivative 0) and modular arithmetic ----------------
def _numpy_dtype(op: str, numpy_function, *inputs: Node) -> np.dtype:
    """The dtype NumPy's function gives for inputs of these dtypes; a TypeError naming `op`
    where NumPy refuses them."""
    try:
        return np.asarray(numpy_function(*(np.zeros(0, x.dtype) for x in inputs))).dtype
    except TypeError:
        kinds = ", ".join(f"{x.dtype} (shape {x.shape})" for x in inputs)
        raise TypeError(f"{op}: NumPy does not take inputs of dtype {kinds}") from None


def _numpy_inputs(op: str, numpy_function, *inputs: Node) -> tuple[Node, ...]:
    """The inputs, as float64 where NumPy would give float16 for integers or booleans (as
    for np.rint of int8: float64 here, the rule of the float ops)."""
    if _numpy_dtype(op, numpy_function, *inputs) == np.float16 and all(
        x.dtype != np.float16 for x in inputs
    ):
        return tuple(_as_float(x) for x in inputs)
    return inputs


class Rounding(Elementwise):
    """An op with NumPy's result dtype (integers stay integers) that is piecewise constant:
    its derivative is 0 (it sends no gradient), also at the jumps."""

    float_result = False
    differentiable = False
    fresh = True

    @classmethod
    def numpy_function(cls, *arrays, **params):
        return cls.ufunc(*arrays)

    @classmethod
    def infer(cls, *inputs, **params):
        shape = broadcast_shapes(cls.__name__, *inputs)
        return shape, _numpy_dtype(
            cls.__name__, lambda *a: cls.numpy_function(*a, **params), *inputs
        )

    def eval(self, *arrays):
        return self.numpy_function(*arrays, **dict(self.params))

    def grad(self, g):
        return (None,) * len(self.inputs)


class IntegerRounding(Rounding):
    """A rounding op that leaves integers as they are (then it is its input)."""

    @classmethod
    def fold(cls, shape, dtype, x):  # type: ignore[override]  # an op names its own inputs
        return x if x.dtype.kind in "biu" and x.dtype == dtype else None


def _rounding(op: type[Rounding], doc: str):
    def factory(x) -> Node:
        return op(*_numpy_inputs(op.__name__, op.numpy_function, as_node(x)))

    factory.__name__ = factory.__qualname__ = op.__name__.lower()
    factory.__module__ = op.__module__
    factory.__doc__ = doc
    return factory


class Floor(IntegerRounding):
    ufunc = np.floor


floor = _rounding(
    Floor,
    "The largest integer <= x, as np.floor (derivative 0).\n\n"
    ">>> import autodiff as ad; ad.floor(ad.Variable(-1.5))()\narray(-2.)",
)


class Ceil(IntegerRounding):
    ufunc = np.ceil


ceil = _rounding(
    Ceil,
    "The smallest integer >= x, as np.ceil (derivative 0).\n\n"
    ">>> import autodiff as ad; ad.ceil(ad.Variable(-1.5))()\narray(-1.)",
)


class Trunc(IntegerRounding):
    ufunc = np.trunc


trunc = _rounding(
    Trunc,
    "x rounded towards 0, as np.trunc (derivative 0).\n\n"
    ">>> import autodiff as ad; ad.trunc(ad.Variable(-1.5))()\narray(-1.)",
)


class Fix(IntegerRounding):
    @classmethod
    def numpy_function(cls, *arrays, **params):
        return np.fix(*arrays)


fix = _rounding(
    Fix,
    "x rounded towards 0, as np.fix (derivative 0).\n\n"
    ">>> import autodiff as ad; ad.fix(ad.Variable(2.7))()\narray(2.)",
)


class Rint(IntegerRounding):
    ufunc = np.rint


rint = _rounding(
    Rint,
    "x rounded to the nearest integer, halves to even, as np.rint (derivative 0).\n\n"
    ">>> import autodiff as ad; ad.rint(ad.Variable(2.5))()\narray(2.)",
)


class Round(Rounding):
    """x rounded to `decimals` digits, halves to even, as np.round."""

    decimals: int

    @classmethod
    def numpy_function(cls, *arrays, decimals=0):
        return np.round(arrays[0], decimals)

    @classmethod
    def fold(cls, shape, dtype, x, *, decimals):  # type: ignore[override]  # an op names its own inputs
        return x if x.dtype.kind in "iu" and decimals >= 0 and x.dtype == dtype else None


def round(a, decimals: int = 0) -> Node:
    """a rounded to `decimals` digits (negative: to the left of the point), halves to even,
    as np.round and np.around; integers stay integers. The derivative is 0.

    >>> import numpy as np, autodiff as ad
    >>> ad.round(ad.Variable(np.array([2.5, 3.14159])), 2)()
    array([2.5 , 3.14])
    >>> ad.round(ad.Variable(np.array([2.5, 3.5])))()
    array([2., 4.])
    """
    a = as_node(a)
    if isinstance(decimals, (bool, np.bool_)) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(
            f"Round: decimals must be an integer, got {type(decimals).__name__} "
            f"(input of shape {a.shape}, {a.dtype})"
        )
    decimals = int(decimals)
    (a,) = _numpy_inputs("Round", lambda x: np.round(x, decimals), a)
    return Round(a, decimals=decimals)


around = round


class Modular(Elementwise):
    """x1 - q(x1 / x2) * x2 for a rounding q (Fmod: trunc, Remainder: floor), with NumPy's
    result dtype; its derivatives are 1 in x1 and -q(x1 / x2) in x2."""

    float_result = False
    fresh = True

    @classmethod
    def infer(cls, x1, x2):  # type: ignore[override]  # an op names its own inputs
        shape = broadcast_shapes(cls.__name__, x1, x2)
        return shape, _numpy_dtype(cls.__name__, cls.ufunc, x1, x2)

    def quotient(self, x1: Node, x2: Node) -> Node:
        raise NotImplementedError

    def grad(self, g):
        x1, x2 = self.inputs
        g2 = None
        if x2.dtype.kind in "fc":
            g2 = self.to_input(negative(g * self.quotient(x1, x2)), 1)
        return self.to_input(g, 0), g2


class Fmod(Modular):
    """The remainder of x1 / x2 with the sign of x1 (C's fmod), as np.fmod.

    Its derivatives are 1 in x1 and -trunc(x1 / x2) in x2 (as in JAX), since
    fmod(x1, x2) = x1 - trunc(x1 / x2) * x2; at the jumps the same formula is taken.
    """

    ufunc = np.fmod

    def quotient(self, x1: Node, x2: Node) -> Node:
        return trunc(x1 / x2)


def fmod(x1, x2) -> Node:
    """The remainder of x1 / x2 with the sign of x1, as np.fmod; integers stay integers.
    The derivative is 1 in x1 and -trunc(x1 / x2) in x2.

    >>> import autodiff as ad
    >>> ad.fmod(ad.Variable(-7.0), 3.0)()
    array(-1.)
    """
    return Fmod(*_numpy_inputs("Fmod", np.fmod, *_pair(x1, x2)))


class Remainder(Modular):
    """The remainder of x1 / x2 with the sign of x2 (Python's %), as np.remainder.

    Its derivatives are 1 in x1 and -floor(x1 / x2) in x2, since
    remainder(x1, x2) = x1 - floor(x1 / x2) * x2.
    """

    ufunc = np.remainder

    def quotient(self, x1: Node, x2: Node) -> Node:
        return floor(x1 / x2)


def remainder(x1, x2) -> Node:
    """The remainder of x1 / x2 with the sign of x2 (Python's %), as np.remainder and np.mod;
    integers stay integers. The derivative is 1 in x1 and -floor(x1 / x2) in x2.

    >>> import autodiff as ad
    >>> ad.remainder(ad.Variable(-7.0), 3.0)()
    array(2.)
    """
    return Remainder(*_numpy_inputs("Remainder", np.remainder, *_pair(x1, x2)))


mod = remainder


class FloorDivide(Rounding):
    """floor(x1 / x2) (Python's //), as np.floor_divide: piecewise constant, derivative 0."""

    ufunc = np.floor_divide


def floor_divide(x1, x2) -> Node:
    """floor(x1 / x2) (Python's //), as np.floor_divide; integers stay integers. The
    derivative is 0.

    >>> import autodiff as ad
    >>> ad.floor_divide(ad.Variable(-7.0), 2.0)()
    array(-4.)
    """
    return FloorDivide(*_numpy_inputs("FloorDivide", np.floor_divide, *_pair(x1, x2)))


def divmod(x1, x2) -> tuple[Node, Node]:  # NumPy's name, as np.divmod
    """``(floor_divide(x1, x2), remainder(x1, x2))``, as np.divmod and Python's divmod
    (``divmod(x, 3)`` on a node); the quotient's derivative is 0, the remainder's as
    `remainder`.

    >>> import autodiff as ad
    >>> q, r = divmod(ad.Variable([7.0, -7.5]), 2.0)
    >>> q(), r()
    (array([ 3., -4.]), array([1. , 0.5]))
    """
    return floor_divide(x1, x2), remainder(x1, x2)


# -- logical ops: booleans in (any dtype, nonzero is True), booleans out, no gradient ----------
class LogicalAnd(Comparison):
    compare = staticmethod(np.logical_and)


class LogicalOr(Comparison):
    compare = staticmethod(np.logical_or)


class LogicalXor(Comparison):
    compare = staticmethod(np.logical_xor)


logical_and = _comparison(LogicalAnd, "and")
logical_or = _comparison(LogicalOr, "or")
logical_xor = _comparison(LogicalXor, "xor")


class LogicalNot(Predicate):
    """Elementwise not, as np.logical_not."""

    ufunc: Any = np.logical_not


logical_not = _unary(
    LogicalNot,
    "Elementwise not, as np.logical_not (a boolean node; also ``~mask`` for a boolean node).\n\n"
    ">>> import autodiff as ad; ad.logical_not(ad.Variable([0.0, 2.0]))()\n"
    "array([ True, False])",
)
