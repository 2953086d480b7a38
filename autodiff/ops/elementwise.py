"""Elementwise ops: arithmetic, powers, transcendental functions, `where`, casts, comparisons.

Each op is one small class that owns everything about it: `infer` (shape and dtype, with
NumPy broadcasting), `eval` (NumPy in, NumPy out; for most ops the declared `ufunc`), `grad`
(Nodes only, so every order works), `fold` (the identities that simplify it whenever it is
built: x*0, x*1, x+0, so that derivative graphs stay small) and the facts the planner and
simplify read (`ufunc`, `template`, `fresh`, `linear`, `nonnegative`). Its lowercase factory,
right under it, only normalizes arguments. Binary ops send their gradients through
`unbroadcast`. Fills and the identity matrix are in `creation`, activations (sigmoid, relu,
clip, maximum, ...) in `activations`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..node import Node, as_node, numeric_dtype
from . import _erf
from ._common import broadcast_shapes, float_dtype, unbroadcast
from .creation import known_value, ones, structural_zero, zeros

__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "negative",
    "power",
    "square",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "abs",
    "absolute",
    "sign",
    "sin",
    "cos",
    "tanh",
    "arctan",
    "tan",
    "sinh",
    "cosh",
    "arcsin",
    "arccos",
    "arcsinh",
    "arccosh",
    "arctanh",
    "arctan2",
    "hypot",
    "log2",
    "log10",
    "exp2",
    "reciprocal",
    "cbrt",
    "erf",
    "erfc",
    "logaddexp",
    "logaddexp2",
    "sinc",
    "deg2rad",
    "rad2deg",
    "degrees",
    "radians",
    "nan_to_num",
    "isfinite",
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
    "where",
    "stop_gradient",
    "astype",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "equal",
    "not_equal",
]


class Elementwise(Node):
    """An op applied element by element, with NumPy broadcasting over its inputs.

    A subclass that declares `ufunc` needs no `eval`: the ufunc is its eval, and a plan calls
    it directly (into an input's array when nothing reads that array later, if `fresh`).
    """

    float_result = True

    @classmethod
    def infer(cls, *inputs, **params):
        shape = broadcast_shapes(cls.__name__, *inputs)
        dtype = inputs[0].dtype
        if any(x.dtype != dtype for x in inputs):
            dtype = np.result_type(*(x.dtype for x in inputs))
        return shape, float_dtype(dtype) if cls.float_result else dtype

    def eval(self, *arrays):
        if self.ufunc is None:
            raise NotImplementedError(f"{type(self).__name__} declares no ufunc and has no eval")
        return self.ufunc(*arrays)

    def uniform_value(self, values):
        arrays = [np.asarray(v, dtype=x.dtype) for v, x in zip(values, self.inputs, strict=True)]
        return np.asarray(self.eval(*arrays)).item()

    def to_input(self, g: Node, i: int) -> Node:
        """The part of the cotangent `g` that belongs to input i (undoes broadcasting)."""
        return unbroadcast(g, self.ndim, self.inputs[i].shape)


def _pair(x, y) -> tuple[Node, Node]:
    if not isinstance(x, Node) and not isinstance(y, Node):
        raise TypeError(
            f"expected at least one Node, got {type(x).__name__} and {type(y).__name__}"
        )
    x = as_node(x, like=y if isinstance(y, Node) else None)
    y = as_node(y, like=x)
    return x, y


def _same(x: Node, shape: tuple[int, ...], dtype: np.dtype) -> bool:
    """Whether `x` can stand for a result of `shape` and `dtype`."""
    return x.shape == shape and x.dtype == dtype


def _as_float(x: Node) -> Node:
    """x, cast to float64 if it is an integer or boolean node (NumPy would pick float16 for
    np.exp of booleans, or keep integers in np.power)."""
    return x if x.dtype.kind in "fc" else astype(x, np.float64)


def _unary(op: type[Elementwise], doc: str):
    """The factory of a one-input op: its input as a node (as a float, if the op computes in
    floats), nothing else."""

    def factory(x) -> Node:
        x = as_node(x)
        return op(_as_float(x) if op.float_result else x)

    factory.__name__ = factory.__qualname__ = op.__name__.lower()
    factory.__module__ = op.__module__  # where it is listed (and its docstring example found)
    factory.__doc__ = doc
    return factory


# -- arithmetic ------------------------------------------------------------------------
class Add(Elementwise):
    float_result = False
    ufunc = np.add
    template = "{0} + {1}"
    fresh = True
    keeps_nonnegative = True

    def value_bound(self, bounds):
        return bounds[0] + bounds[1]

    @classmethod
    def fold(cls, shape, dtype, x, y):  # type: ignore[override]  # an op names its own inputs
        if known_value(y) == 0 and _same(x, shape, dtype):
            return x
        if known_value(x) == 0 and _same(y, shape, dtype):
            return y
        return None

    def grad(self, g):
        return self.to_input(g, 0), self.to_input(g, 1)


def add(x, y) -> Node:
    """x + y with broadcasting.

    >>> import autodiff as ad
    >>> ad.add(ad.Variable(1.0), 2)()
    array(3.)
    """
    return Add(*_pair(x, y))


class Subtract(Elementwise):
    float_result = False
    ufunc = np.subtract
    template = "{0} - {1}"
    fresh = True

    def value_bound(self, bounds):
        return bounds[0] + bounds[1]

    @classmethod
    def infer(cls, x, y):  # type: ignore[override]  # an op names its own inputs
        if x.dtype == bool and y.dtype == bool:
            raise TypeError("Subtract: boolean minus boolean is not supported (as in NumPy)")
        return super().infer(x, y)

    @classmethod
    def fold(cls, shape, dtype, x, y):  # type: ignore[override]  # an op names its own inputs
        if known_value(y) == 0 and _same(x, shape, dtype):
            return x
        if known_value(x) == 0 and _same(y, shape, dtype):
            return negative(y)
        return None

    def grad(self, g):
        return self.to_input(g, 0), self.to_input(negative(g), 1)


def subtract(x, y) -> Node:
    """x - y with broadcasting.

    >>> import autodiff as ad
    >>> ad.subtract(ad.Variable(1.0), 2)()
    array(-1.)
    """
    return Subtract(*_pair(x, y))


class Multiply(Elementwise):
    float_result = False
    ufunc = np.multiply
    template = "{0} * {1}"
    fresh = True
    linear = (0, 1)
    keeps_nonnegative = True

    def value_bound(self, bounds):
        return bounds[0] * bounds[1]

    @classmethod
    def fold(cls, shape, dtype, x, y):  # type: ignore[override]  # an op names its own inputs
        if structural_zero(x) or structural_zero(y):
            return zeros(shape, dtype)
        if known_value(y) == 1 and _same(x, shape, dtype):
            return x
        if known_value(x) == 1 and _same(y, shape, dtype):
            return y
        return None

    def grad(self, g):
        x, y = self.inputs
        return self.to_input(g * y, 0), self.to_input(g * x, 1)


def multiply(x, y) -> Node:
    """x * y with broadcasting.

    >>> import autodiff as ad
    >>> ad.multiply(ad.Variable(3.0), 2)()
    array(6.)
    """
    return Multiply(*_pair(x, y))


class Divide(Elementwise):
    ufunc = np.divide
    template = "{0} / {1}"
    fresh = True
    keeps_nonnegative = True

    def value_bound(self, bounds):
        y = self.inputs[1]
        value = known_value(y) if y.dtype.kind in "biuf" else None
        return bounds[0] / np.abs(value) if value and np.isfinite(value) else np.inf

    @classmethod
    def fold(cls, shape, dtype, x, y):  # type: ignore[override]  # an op names its own inputs
        if structural_zero(x):
            return zeros(shape, dtype)
        if known_value(y) == 1 and _same(x, shape, dtype):
            return x
        return None

    def grad(self, g):
        x, y = self.inputs
        return self.to_input(g / y, 0), self.to_input(negative(g * self / y), 1)


def divide(x, y) -> Node:
    """x / y with broadcasting (true division).

    >>> import autodiff as ad
    >>> ad.divide(ad.Variable(3.0), 2)()
    array(1.5)
    """
    return Divide(*_pair(x, y))


class Negative(Elementwise):
    float_result = False
    ufunc = np.negative
    template = "-{0}"
    fresh = True
    linear = (0,)

    def value_bound(self, bounds):
        return bounds[0]

    @classmethod
    def infer(cls, x):  # type: ignore[override]  # an op names its own inputs
        if x.dtype == bool:
            raise TypeError(
                "Negative: the negative of a boolean node is not supported (as in NumPy)"
            )
        return super().infer(x)

    @classmethod
    def fold(cls, shape, dtype, x):  # type: ignore[override]  # an op names its own inputs
        if known_value(x) == 0:
            return x
        return None

    def grad(self, g):
        return (negative(g),)


def negative(x) -> Node:
    """-x.

    >>> import autodiff as ad
    >>> ad.negative(ad.Variable(3.0))()
    array(-3.)
    """
    return Negative(as_node(x))


class Power(Elementwise):
    """x ** y with both x and y nodes (see Pow for a fixed exponent); integers stay integers,
    as in NumPy (booleans give int8)."""

    fresh = True

    @classmethod
    def infer(cls, x, y):  # type: ignore[override]  # an op names its own inputs
        shape = broadcast_shapes("Power", x, y)
        dtype = np.result_type(x.dtype, y.dtype)
        if dtype.kind == "b":
            return shape, np.dtype(np.int8)
        return shape, dtype if dtype.kind in "iu" else float_dtype(dtype)

    def eval(self, x, y):  # type: ignore[override]  # an op names its own inputs
        return np.power(x, y)

    def grad(self, g):
        # x ** 0 has derivative 0 in x, and 0 ** y (y > 0) derivative 0 in y: the exponent
        # y - 1 and the log are taken where they are finite there (not 0 * inf = nan)
        x, y = self.inputs
        dx = g * y * power(x, where(equal(y, 0), 1, y - 1))
        dy = g * self * log(where(equal(x, 0), 1, x))
        return self.to_input(dx, 0), self.to_input(dy, 1)


class Pow(Elementwise):
    """x ** p for a fixed number p; an integer x to a non-negative integer p stays integer."""

    p: float  # the exponent, a Python int or float

    fresh = True

    @classmethod
    def infer(cls, x, *, p):  # type: ignore[override]  # an op names its own inputs
        if x.dtype.kind in "iu" and isinstance(p, int):
            return x.shape, x.dtype
        return x.shape, float_dtype(x.dtype)

    @classmethod
    def fold(cls, shape, dtype, x, *, p):  # type: ignore[override]  # an op names its own inputs
        if p == 1 and _same(x, shape, dtype):
            return x
        if p == 0:
            return ones(shape, dtype)
        return None

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        if self.p == 2:
            return np.square(x, dtype=self.dtype)
        return np.power(x, self.p, dtype=self.dtype)

    def lower(self, w, operands, target):
        if self.p != 2 or self.inputs[0].dtype != self.dtype:
            return False
        w.lines.append(f"{target} = _np.square({operands[0]})")
        return True

    @property
    def nonnegative(self) -> bool:  # type: ignore[override]  # a property where Node has a class attribute
        return self.p == int(self.p) and int(self.p) % 2 == 0

    def value_bound(self, bounds):
        if self.p != int(self.p) or self.p < 0:
            return np.inf
        try:
            return bounds[0] ** int(self.p)
        except OverflowError:
            return np.inf

    def grad(self, g):
        (x,) = self.inputs
        return (g * (self.p * power(x, self.p - 1)),)


def power(x, y) -> Node:
    """x ** y. A numeric exponent makes a `Pow` node with the exponent as a parameter.

    >>> import autodiff as ad
    >>> ad.power(ad.Variable(3.0), 2)()
    array(9.)
    """
    if isinstance(x, Node) and not isinstance(y, Node) and np.ndim(y) == 0:
        integer = isinstance(y, (int, np.integer)) and not isinstance(y, (bool, np.bool_))
        if integer and x.dtype.kind in "iub":
            if y < 0:
                raise ValueError(
                    f"Pow: integers to negative integer powers are not allowed "
                    f"(x ** {y}, dtype {x.dtype})"
                )
            if x.dtype == bool:
                x = astype(x, np.result_type(x.dtype, int(y)))
            return Pow(x, p=int(y))
        return Pow(_as_float(x), p=float(y))
    x, y = _pair(x, y)
    if x.dtype.kind in "iub" and y.dtype.kind in "iub":
        return Power(x, y)
    return Power(_as_float(x), y)


def square(x) -> Node:
    """x ** 2.

    >>> import autodiff as ad
    >>> ad.square(ad.Variable(3.0))()
    array(9.)
    """
    x = as_node(x)
    if x.dtype == bool:
        x = astype(x, np.int8)  # as np.square
    return power(x, 2)


# -- unary functions -------------------------------------------------------------------
class Exp(Elementwise):
    ufunc = np.exp
    fresh = True
    nonnegative = True

    def grad(self, g):
        return (g * self,)


exp = _unary(Exp, "e ** x.\n\n>>> import autodiff as ad; ad.exp(ad.Variable(0.0))()\narray(1.)")


class Log(Elementwise):
    ufunc = np.log
    fresh = True

    def grad(self, g):
        return (g / self.inputs[0],)


log = _unary(
    Log, "Natural logarithm.\n\n>>> import autodiff as ad; ad.log(ad.Variable(1.0))()\narray(0.)"
)


class Log1p(Elementwise):
    ufunc = np.log1p
    fresh = True

    def grad(self, g):
        return (g / (1 + self.inputs[0]),)


log1p = _unary(
    Log1p,
    "log(1 + x), accurate for small x.\n\n"
    ">>> import autodiff as ad; ad.log1p(ad.Variable(0.0))()\narray(0.)",
)


class Expm1(Elementwise):
    ufunc = np.expm1
    fresh = True

    def grad(self, g):
        return (g * (self + 1),)


expm1 = _unary(
    Expm1,
    "exp(x) - 1, accurate for small x.\n\n"
    ">>> import autodiff as ad; ad.expm1(ad.Variable(0.0))()\narray(0.)",
)


class Sqrt(Elementwise):
    ufunc = np.sqrt
    fresh = True
    nonnegative = True

    def grad(self, g):
        return (g * (0.5 / self),)


sqrt = _unary(
    Sqrt, "Square root.\n\n>>> import autodiff as ad; ad.sqrt(ad.Variable(4.0))()\narray(2.)"
)


class Abs(Elementwise):
    float_result = False
    ufunc = np.absolute
    template = "_np.abs({0})"
    fresh = True
    nonnegative = True

    def value_bound(self, bounds):
        return bounds[0]

    def grad(self, g):
        return (g * sign(self.inputs[0]),)


absolute = _unary(
    Abs,
    "|x|; the gradient at 0 is 0.\n\n"
    ">>> import autodiff as ad; ad.abs(ad.Variable(-2.0))()\narray(2.)",
)
abs = absolute


class Sign(Elementwise):
    float_result = False
    differentiable = False
    fresh = True

    @classmethod
    def infer(cls, x):  # type: ignore[override]  # an op names its own inputs
        if x.dtype == bool:
            raise TypeError("Sign: boolean input is not supported (as in NumPy)")
        return super().infer(x)

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.sign(x)

    def grad(self, g):
        return (None,)


sign = _unary(
    Sign,
    "-1, 0 or 1 (no gradient).\n\n"
    ">>> import autodiff as ad; ad.sign(ad.Variable(-2.0))()\narray(-1.)",
)


class Sin(Elementwise):
    ufunc = np.sin
    fresh = True
    bound = 1.0

    def grad(self, g):
        return (g * cos(self.inputs[0]),)


sin = _unary(Sin, "Sine.\n\n>>> import autodiff as ad; ad.sin(ad.Variable(0.0))()\narray(0.)")


class Cos(Elementwise):
    ufunc = np.cos
    fresh = True
    bound = 1.0

    def grad(self, g):
        return (negative(g * sin(self.inputs[0])),)


cos = _unary(Cos, "Cosine.\n\n>>> import autodiff as ad; ad.cos(ad.Variable(0.0))()\narray(1.)")


class Tanh(Elementwise):
    ufunc = np.tanh
    fresh = True
    bound = 1.0

    def grad(self, g):
        return (g * (1 - square(self)),)


tanh = _unary(
    Tanh, "Hyperbolic tangent.\n\n>>> import autodiff as ad; ad.tanh(ad.Variable(0.0))()\narray(0.)"
)


class Arctan(Elementwise):
    """The inverse tangent, in (-pi/2, pi/2); its derivative is 1 / (1 + x**2)."""

    ufunc = np.arctan
    fresh = True
    bound = np.pi / 2

    def grad(self, g):
        return (g / (1 + square(self.inputs[0])),)


arctan = _unary(
    Arctan,
    """Inverse tangent, as np.arctan.

>>> import autodiff as ad
>>> ad.arctan(ad.Variable(1.0))()
array(0.78539816)
""",
)


class Where(Elementwise):
    """`x` where `condition` holds, else `y` (the condition gets no gradient)."""

    float_result = False
    fresh = True

    @classmethod
    def infer(cls, condition, x, y):  # type: ignore[override]  # an op names its own inputs
        if condition.dtype != bool:
            raise TypeError(
                f"Where: the condition must be boolean, got {condition.dtype} (input 0)"
            )
        shape = broadcast_shapes("Where", condition, x, y)
        return shape, np.result_type(x.dtype, y.dtype)

    def eval(self, condition, x, y):  # type: ignore[override]  # an op names its own inputs
        return np.where(condition, x, y)

    def grad(self, g):
        condition = self.inputs[0]
        zero = zeros((), g.dtype)
        return (
            None,
            self.to_input(where(condition, g, zero), 1),
            self.to_input(where(condition, zero, g), 2),
        )


def where(condition, x, y) -> Node:
    """Choose x where `condition` is true, else y; like np.where with three arguments.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([-1.0, 2.0]))
    >>> ad.where(x > 0, x, 0.0)()
    array([0., 2.])
    >>> ad.where(x > 0, 1.0, -1.0)()
    array([-1.,  1.])
    """
    if isinstance(x, Node) or isinstance(y, Node):
        x, y = _pair(x, y)
    else:
        x, y = as_node(x), as_node(y)
    return Where(as_node(condition), x, y)


class StopGradient(Elementwise):
    """The value of x, through which no gradient flows."""

    float_result = False
    differentiable = False
    identity = True
    linear = (0,)

    def value_bound(self, bounds):
        return bounds[0]

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return x

    def grad(self, g):
        return (None,)


stop_gradient = _unary(
    StopGradient,
    "x, with no gradient flowing through it.\n\n"
    ">>> import autodiff as ad; ad.stop_gradient(ad.Variable(2.0))()\narray(2.)",
)


class Cast(Node):
    """x converted to another dtype; the gradient is cast back.

    A cast to or from an integer or boolean dtype is piecewise constant (or not a function
    of a real input at all), so no gradient flows through it: its derivative is 0.
    """

    @classmethod
    def infer(cls, x, *, kind):  # type: ignore[override]  # an op names its own inputs
        return x.shape, np.dtype(kind)

    @property
    def differentiable(self) -> bool:  # type: ignore[override]  # a property where Node has a class attribute
        return self.dtype.kind in "fc" and self.inputs[0].dtype.kind in "fc"

    @classmethod
    def fold(cls, shape, dtype, x, *, kind):  # type: ignore[override]  # an op names its own inputs
        return x if x.dtype == dtype else None

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return x.astype(self.dtype)

    def grad(self, g):
        (x,) = self.inputs
        if not self.differentiable:
            return (None,)
        return (astype(g, x.dtype),)


def astype(x, dtype) -> Node:
    """x converted to `dtype`, as ndarray.astype.

    >>> import numpy as np, autodiff as ad
    >>> ad.astype(ad.Variable(np.array([1.7, 2.0])) > 1.8, np.float64)()
    array([0., 1.])
    """
    x = as_node(x)
    dtype = numeric_dtype(f"Cast (input of shape {x.shape}, {x.dtype})", dtype)
    return Cast(x, kind=dtype.str)


# -- comparisons: boolean, not differentiable --------------------------------------------
class Comparison(Elementwise):
    compare: Callable[..., np.ndarray]  # a ufunc of two arrays (np.less, ...), per subclass

    differentiable = False
    fresh = True

    @classmethod
    def infer(cls, x, y):  # type: ignore[override]  # an op names its own inputs
        return broadcast_shapes(cls.__name__, x, y), np.dtype(bool)

    def eval(self, x, y):  # type: ignore[override]  # an op names its own inputs
        return self.compare(x, y)

    def grad(self, g):
        return None, None


def _comparison(op: type[Comparison], symbol: str):
    def factory(x, y) -> Node:
        return op(*_pair(x, y))

    factory.__name__ = factory.__qualname__ = "".join(
        "_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(op.__name__)
    )
    factory.__doc__ = (
        f"Elementwise x {symbol} y as a boolean node (no gradient).\n\n"
        f">>> import autodiff as ad; ad.{factory.__name__}(ad.Variable(1.0), 1.0)().dtype\n"
        "dtype('bool')"
    )
    return factory


class Less(Comparison):
    compare = staticmethod(np.less)


less = _comparison(Less, "<")


class LessEqual(Comparison):
    compare = staticmethod(np.less_equal)


less_equal = _comparison(LessEqual, "<=")


class Greater(Comparison):
    compare = staticmethod(np.greater)


greater = _comparison(Greater, ">")


class GreaterEqual(Comparison):
    compare = staticmethod(np.greater_equal)


greater_equal = _comparison(GreaterEqual, ">=")


class Equal(Comparison):
    compare = staticmethod(np.equal)


equal = _comparison(Equal, "==")


class NotEqual(Comparison):
    compare = staticmethod(np.not_equal)


not_equal = _comparison(NotEqual, "!=")


# -- more functions of NumPy's: trigonometric, hyperbolic, logarithms, erf, ... ------------
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Tan(Elementwise):
    """The tangent; its derivative is 1 + tan(x)**2."""

    ufunc = np.tan
    fresh = True

    def grad(self, g):
        return (g * (1 + square(self)),)


tan = _unary(Tan, "Tangent.\n\n>>> import autodiff as ad; ad.tan(ad.Variable(0.0))()\narray(0.)")


class Sinh(Elementwise):
    ufunc = np.sinh
    fresh = True

    def grad(self, g):
        return (g * cosh(self.inputs[0]),)


sinh = _unary(
    Sinh, "Hyperbolic sine.\n\n>>> import autodiff as ad; ad.sinh(ad.Variable(0.0))()\narray(0.)"
)


class Cosh(Elementwise):
    ufunc = np.cosh
    fresh = True
    nonnegative = True

    def grad(self, g):
        return (g * sinh(self.inputs[0]),)


cosh = _unary(
    Cosh,
    "Hyperbolic cosine.\n\n>>> import autodiff as ad; ad.cosh(ad.Variable(0.0))()\narray(1.)",
)


def _one_minus_square(x: Node) -> Node:
    """1 - x**2 as (1 - x) * (1 + x): accurate near |x| = 1, where it matters."""
    return (1 - x) * (1 + x)


class Arcsin(Elementwise):
    """The inverse sine, in [-pi/2, pi/2]; nan outside [-1, 1] (as NumPy, with its warning).
    Its derivative 1 / sqrt(1 - x**2) is unbounded at -1 and 1."""

    ufunc = np.arcsin
    fresh = True
    bound = np.pi / 2

    def grad(self, g):
        return (g / sqrt(_one_minus_square(self.inputs[0])),)


arcsin = _unary(
    Arcsin,
    "Inverse sine, as np.arcsin.\n\n"
    ">>> import autodiff as ad; ad.arcsin(ad.Variable(1.0))()\narray(1.57079633)",
)


class Arccos(Elementwise):
    """The inverse cosine, in [0, pi]; nan outside [-1, 1]. Its derivative is
    -1 / sqrt(1 - x**2)."""

    ufunc = np.arccos
    fresh = True
    nonnegative = True
    bound = np.pi

    def grad(self, g):
        return (negative(g / sqrt(_one_minus_square(self.inputs[0]))),)


arccos = _unary(
    Arccos,
    "Inverse cosine, as np.arccos.\n\n"
    ">>> import autodiff as ad; ad.arccos(ad.Variable(0.0))()\narray(1.57079633)",
)


class Arcsinh(Elementwise):
    """The inverse hyperbolic sine; its derivative 1 / hypot(x, 1) does not overflow."""

    ufunc = np.arcsinh
    fresh = True

    def grad(self, g):
        return (g / hypot(self.inputs[0], 1.0),)


arcsinh = _unary(
    Arcsinh,
    "Inverse hyperbolic sine.\n\n"
    ">>> import autodiff as ad; ad.arcsinh(ad.Variable(0.0))()\narray(0.)",
)


class Arccosh(Elementwise):
    """The inverse hyperbolic cosine, >= 0; nan below 1. Its derivative is
    1 / (sqrt(x - 1) sqrt(x + 1)), unbounded at 1."""

    ufunc = np.arccosh
    fresh = True
    nonnegative = True

    def grad(self, g):
        (x,) = self.inputs
        return (g / (sqrt(x - 1) * sqrt(x + 1)),)


arccosh = _unary(
    Arccosh,
    "Inverse hyperbolic cosine.\n\n"
    ">>> import autodiff as ad; ad.arccosh(ad.Variable(1.0))()\narray(0.)",
)


class Arctanh(Elementwise):
    """The inverse hyperbolic tangent; nan outside [-1, 1], -inf and inf at -1 and 1. Its
    derivative is 1 / (1 - x**2)."""

    ufunc = np.arctanh
    fresh = True

    def grad(self, g):
        return (g / _one_minus_square(self.inputs[0]),)


arctanh = _unary(
    Arctanh,
    "Inverse hyperbolic tangent.\n\n"
    ">>> import autodiff as ad; ad.arctanh(ad.Variable(0.0))()\narray(0.)",
)


def _binary_float(op: type[Elementwise], x1, x2) -> Node:
    """`op` on x1 and x2 as nodes, integers and booleans as float64 (as the factories of
    one-input ops do)."""
    a, b = _pair(x1, x2)
    if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":
        a, b = _as_float(a), _as_float(b)
    return op(a, b)


def _nonzero(x: Node) -> Node:
    """x, with 1 where it is 0 (a denominator that the caller's numerator makes 0 there)."""
    return where(equal(x, 0), 1.0, x)


class Arctan2(Elementwise):
    """The angle of the point (x2, x1), in [-pi, pi], as np.arctan2(x1, x2).

    Its derivatives are x2 / r**2 in x1 and -x1 / r**2 in x2 with r = hypot(x1, x2) (divided
    by r twice, so large points do not overflow); at the origin, where it has no derivative,
    both are taken as 0.
    """

    ufunc = np.arctan2
    fresh = True
    bound = np.pi

    def grad(self, g):
        x1, x2 = self.inputs
        r = _nonzero(hypot(x1, x2))
        return self.to_input(g * (x2 / r) / r, 0), self.to_input(negative(g * (x1 / r) / r), 1)


def arctan2(x1, x2) -> Node:
    """The elementwise arc tangent of x1 / x2 in the right quadrant, as np.arctan2; the
    gradient at (0, 0) is taken as 0.

    >>> import autodiff as ad
    >>> ad.arctan2(ad.Variable(1.0), -1.0)()
    array(2.35619449)
    """
    return _binary_float(Arctan2, x1, x2)


class Hypot(Elementwise):
    """sqrt(x1**2 + x2**2) without overflow; its derivatives are x1 / r and x2 / r, taken as 0
    at the origin (the minimum-norm subgradient of this kink)."""

    ufunc = np.hypot
    fresh = True
    nonnegative = True

    def value_bound(self, bounds):
        return bounds[0] + bounds[1]

    def grad(self, g):
        x1, x2 = self.inputs
        r = _nonzero(self)
        return self.to_input(g * (x1 / r), 0), self.to_input(g * (x2 / r), 1)


def hypot(x1, x2) -> Node:
    """The hypotenuse sqrt(x1**2 + x2**2), as np.hypot (no overflow for large inputs); the
    gradient at (0, 0) is taken as 0.

    >>> import autodiff as ad
    >>> ad.hypot(ad.Variable(3.0), 4.0)()
    array(5.)
    """
    return _binary_float(Hypot, x1, x2)


class Log2(Elementwise):
    ufunc = np.log2
    fresh = True

    def grad(self, g):
        return (g / (self.inputs[0] * _LN2),)


log2 = _unary(
    Log2, "Base-2 logarithm.\n\n>>> import autodiff as ad; ad.log2(ad.Variable(8.0))()\narray(3.)"
)


class Log10(Elementwise):
    ufunc = np.log10
    fresh = True

    def grad(self, g):
        return (g / (self.inputs[0] * _LN10),)


log10 = _unary(
    Log10,
    "Base-10 logarithm.\n\n>>> import autodiff as ad; ad.log10(ad.Variable(100.0))()\narray(2.)",
)


class Exp2(Elementwise):
    ufunc = np.exp2
    fresh = True
    nonnegative = True

    def grad(self, g):
        return (g * (self * _LN2),)


exp2 = _unary(Exp2, "2 ** x.\n\n>>> import autodiff as ad; ad.exp2(ad.Variable(3.0))()\narray(8.)")


class Reciprocal(Elementwise):
    """1 / x; integers stay integers, as in NumPy (np.reciprocal(2) is 0)."""

    float_result = False
    ufunc = np.reciprocal
    fresh = True
    keeps_nonnegative = True

    def grad(self, g):
        return (negative(g * square(self)),)


def reciprocal(x) -> Node:
    """1 / x, as np.reciprocal (an integer x gives NumPy's integer result, booleans int8).

    >>> import autodiff as ad
    >>> ad.reciprocal(ad.Variable(4.0))()
    array(0.25)
    """
    x = as_node(x)
    return Reciprocal(astype(x, np.int8) if x.dtype == bool else x)


class Cbrt(Elementwise):
    """The real cube root (negative for negative x); its derivative 1 / (3 cbrt(x)**2) is
    inf at 0."""

    ufunc = np.cbrt
    fresh = True
    keeps_nonnegative = True

    def grad(self, g):
        return (g / (3 * square(self)),)


cbrt = _unary(
    Cbrt, "Cube root.\n\n>>> import autodiff as ad; ad.cbrt(ad.Variable(-8.0))()\narray(-2.)"
)

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Elementwise):
    """The error function, computed with NumPy alone to a few ulps (see `autodiff.ops._erf`);
    its derivative 2 / sqrt(pi) exp(-x**2) is built from ops."""

    fresh = True
    bound = 1.0
    keeps_nonnegative = True

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return _erf.erf(x)

    def grad(self, g):
        return (g * (_TWO_OVER_SQRT_PI * exp(negative(square(self.inputs[0])))),)


erf = _unary(
    Erf,
    """The error function 2 / sqrt(pi) * integral of exp(-t**2) from 0 to x (scipy.special.erf,
without SciPy).

>>> import autodiff as ad
>>> ad.erf(ad.Variable(1.0))()
array(0.84270079)
""",
)


class Erfc(Elementwise):
    """1 - erf(x), to full relative precision in the tail (erfc(10) is 2.1e-45, not 0)."""

    fresh = True
    nonnegative = True
    bound = 2.0

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return _erf.erfc(x)

    def grad(self, g):
        return (negative(g * (_TWO_OVER_SQRT_PI * exp(negative(square(self.inputs[0]))))),)


erfc = _unary(
    Erfc,
    """The complementary error function 1 - erf(x) (scipy.special.erfc, without SciPy).

>>> import autodiff as ad
>>> ad.erfc(ad.Variable(3.0))()
array(2.20904970e-05)
""",
)


def _logistic(d: Node) -> Node:
    """1 / (1 + exp(-d)) from ops of this module, finite with all its derivatives for every
    d (0 and 1 at -inf and inf): exp is taken of -|d| only, with |d| as where(d >= 0, d, -d)
    so that at 0 the branch is the analytic 1 / (1 + exp(-d))."""
    nonnegative = greater_equal(d, 0)
    e = exp(negative(where(nonnegative, d, negative(d))))
    return where(nonnegative, 1.0, e) / (1 + e)


class LogAddExp(Elementwise):
    """log(exp(x1) + exp(x2)) (Logaddexp2: log2(2**x1 + 2**x2)), NumPy's stable ufunc.

    Its derivatives are sigmoid(d) and sigmoid(-d) with d = x1 - x2 (times log(2) in base 2).
    Where x1 and x2 are the same infinity d is taken as 0 (each gets 1/2, its higher
    derivatives there are 0), so inf - inf is never computed and no nan or inf enters the
    derivatives of any order.
    """

    fresh = True
    scale = 1.0  # of d

    def grad(self, g):
        x1, x2 = self.inputs
        zero = zeros((), self.dtype)
        same_infinity = equal(x1, x2) * equal(absolute(x1), np.inf)
        d = where(same_infinity, zero, x1) - where(same_infinity, zero, x2)
        if self.scale != 1.0:
            d = d * self.scale
        return self.to_input(g * _logistic(d), 0), self.to_input(g * _logistic(negative(d)), 1)


class Logaddexp(LogAddExp):
    ufunc = np.logaddexp


class Logaddexp2(LogAddExp):
    ufunc = np.logaddexp2
    scale = _LN2


def logaddexp(x1, x2) -> Node:
    """log(exp(x1) + exp(x2)) without overflow, as np.logaddexp (-inf where both are -inf).

    >>> import autodiff as ad
    >>> ad.logaddexp(ad.Variable(1000.0), 1000.0)()
    array(1000.69314718)
    """
    a, b = _pair(x1, x2)
    return Logaddexp(_as_float(a), _as_float(b))


def logaddexp2(x1, x2) -> Node:
    """log2(2**x1 + 2**x2) without overflow, as np.logaddexp2.

    >>> import autodiff as ad
    >>> ad.logaddexp2(ad.Variable(3.0), 3.0)()
    array(4.)
    """
    a, b = _pair(x1, x2)
    return Logaddexp2(_as_float(a), _as_float(b))


# sin(t) / t = sum over k of (-1)**k t**(2k) / (2k + 1)!, to t**22: below |t| = 1 the first
# term left off is under 4e-26, so value and derivatives of order up to 23 are exact there
_SINC_SERIES = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(12))


def sinc(x) -> Node:
    """sin(pi x) / (pi x), 1 at 0, as np.sinc.

    A composition: where |pi x| < 1 a polynomial (the Taylor series of sin(t) / t to t**22,
    exact to rounding there), elsewhere sin(t) / t. Each branch only sees inputs where it is
    finite (the other's inputs are replaced by 0 or 1), so derivatives of every order up to
    23 are exact at 0 and no nan or inf enters the graph there.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([0.0, 0.5]))
    >>> ad.sinc(x)()
    array([1.        , 0.63661977])
    >>> ad.grad(ad.grad(ad.sum(ad.sinc(x)), x)[0], x)()
    array(-3.28986813)
    """
    x = _as_float(as_node(x))
    t = x * np.pi
    small = less(absolute(t), 1.0)
    u = square(where(small, t, 0.0))
    series = u * _SINC_SERIES[-1] + _SINC_SERIES[-2]
    for c in reversed(_SINC_SERIES[:-2]):
        series = series * u + c
    safe = where(small, 1.0, t)
    return where(small, series, sin(safe) / safe)


def deg2rad(x) -> Node:
    """Degrees to radians, x * pi / 180, as np.deg2rad (and np.radians).

    >>> import autodiff as ad
    >>> ad.deg2rad(ad.Variable(180.0))()
    array(3.14159265)
    """
    return _as_float(as_node(x)) * (np.pi / 180.0)


def rad2deg(x) -> Node:
    """Radians to degrees, x * 180 / pi, as np.rad2deg (and np.degrees).

    >>> import numpy as np, autodiff as ad
    >>> ad.rad2deg(ad.Variable(np.pi / 2))()
    array(90.)
    """
    return _as_float(as_node(x)) * (180.0 / np.pi)


radians = deg2rad
degrees = rad2deg


class IsFinite(Elementwise):
    """Whether each element is finite (not inf, -inf or nan), as np.isfinite (no gradient)."""

    float_result = False
    differentiable = False
    ufunc = np.isfinite
    fresh = True

    @classmethod
    def infer(cls, x):  # type: ignore[override]  # an op names its own inputs
        return x.shape, np.dtype(bool)

    def grad(self, g):
        return (None,)


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


# -- rounding and modular arithmetic: piecewise constant, derivative 0 ------------------
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
    for np.floor of int8: float64 here, the rule of the float ops)."""
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

    Its derivatives (away from its jumps, and as JAX takes them at them) are 1 in x1 and
    -trunc(x1 / x2) in x2, since fmod(x1, x2) = x1 - trunc(x1 / x2) * x2.
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
