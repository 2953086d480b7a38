"""The first elementwise ops: arithmetic, powers, exp/log/sqrt/sin/cos/tanh/arctan, `where`,
casts, comparisons, and the `Elementwise` base every elementwise op derives from.

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

from collections.abc import Callable

import numpy as np

from ..node import Node, as_node, numeric_dtype
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
    elementwise = True

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
    symbol = "+"
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
    symbol = "-"
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
    symbol = "*"
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
    symbol = "/"
    latex = "\\frac{{{0}}}{{{1}}}"
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
    symbol = "-"
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


def _is_integer(p) -> bool:
    """Whether the exponent p is a whole number (inf and nan are not)."""
    return bool(np.isfinite(p)) and float(p).is_integer()


class Power(Elementwise):
    """x ** y with both x and y nodes (see Pow for a fixed exponent); integers stay integers,
    as in NumPy (booleans give int8)."""

    symbol = "**"
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
        base = x if x.dtype.kind in "fc" else astype(x, self.dtype)  # log(int8) is float64
        dy = g * self * log(where(equal(base, 0), 1, base))
        return self.to_input(dx, 0), self.to_input(dy, 1)


class Pow(Elementwise):
    """x ** p for a fixed number p; an integer x to a non-negative integer p stays integer."""

    print_form = "power"
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
        return _is_integer(self.p) and int(self.p) % 2 == 0

    def value_bound(self, bounds):
        if not _is_integer(self.p) or self.p < 0:
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
        integer = isinstance(y, (int, np.integer, np.bool_))  # a bool is 0 or 1, as in NumPy
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
    return Power(x, y)  # NumPy's promotion: int8 ** float32 is float32, int8 ** int8 int8


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
    latex = "\\sqrt{{{0}}}"
    ufunc = np.sqrt
    fresh = True
    nonnegative = True

    def grad(self, g):
        return (g * (0.5 / self),)


sqrt = _unary(
    Sqrt, "Square root.\n\n>>> import autodiff as ad; ad.sqrt(ad.Variable(4.0))()\narray(2.)"
)


class Abs(Elementwise):
    print_name = "abs"
    latex = "\\left|{0}\\right|"
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

    print_form = "cast"

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
    symbol = "<"
    compare = staticmethod(np.less)


less = _comparison(Less, "<")


class LessEqual(Comparison):
    symbol = "<="
    compare = staticmethod(np.less_equal)


less_equal = _comparison(LessEqual, "<=")


class Greater(Comparison):
    symbol = ">"
    compare = staticmethod(np.greater)


greater = _comparison(Greater, ">")


class GreaterEqual(Comparison):
    symbol = ">="
    compare = staticmethod(np.greater_equal)


greater_equal = _comparison(GreaterEqual, ">=")


class Equal(Comparison):
    symbol = "=="
    compare = staticmethod(np.equal)


equal = _comparison(Equal, "==")


class NotEqual(Comparison):
    symbol = "!="
    compare = staticmethod(np.not_equal)


not_equal = _comparison(NotEqual, "!=")
