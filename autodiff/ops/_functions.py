"""More elementwise functions of NumPy's: tan, the hyperbolic functions and the inverses of
both, arctan2, hypot, log2, log10, exp2, reciprocal, cbrt, erf and erfc (with NumPy alone, see
`_erf`), logaddexp and logaddexp2, sinc, deg2rad and rad2deg.

Each op is one class with its factory right under it, in the shape of `_basic`'s; derivatives
are built from ops, so every order works. `elementwise` exports them.
"""

from __future__ import annotations

import math

import numpy as np

from ..node import Node, as_node
from . import _erf
from ._basic import (
    Elementwise,
    _as_float,
    _pair,
    _unary,
    absolute,
    astype,
    equal,
    exp,
    greater_equal,
    less,
    negative,
    sin,
    sqrt,
    square,
    where,
)
from .creation import zeros

__all__ = [
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
]


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
array(2.2090497e-05)
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
    return _binary_float(Logaddexp, x1, x2)


def logaddexp2(x1, x2) -> Node:
    """log2(2**x1 + 2**x2) without overflow, as np.logaddexp2.

    >>> import autodiff as ad
    >>> ad.logaddexp2(ad.Variable(3.0), 3.0)()
    array(4.)
    """
    return _binary_float(Logaddexp2, x1, x2)


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
    >>> ad.grad(ad.grad(ad.sum(ad.sinc(x)), x)[0], x)()  # -pi**2 / 3 at 0
    array([-3.28986813,  0.        ])
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
