"""Rows of the elementwise functions of issue 10: trigonometric and hyperbolic functions and
their inverses, logarithms and powers, erf, logaddexp, sinc, nan_to_num, rounding and
modular arithmetic. Points are drawn inside each function's domain and away from the
points where a derivative is unbounded (arcsin at +-1, cbrt at 0)."""

from __future__ import annotations

import numpy as np
from scipy import special

import autodiff as ad

from . import Case, _normal, _positive


def _inside(low, high):
    def make(rng, shape):
        return rng.uniform(low, high, size=shape)

    return make


def _away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)


def _wide(rng, shape):
    return 3 * rng.normal(size=shape)


MASK = np.array([True, False, True, False, True, False])
SPECIALS = np.array([0.0, np.inf, 0.0, -np.inf, 0.0, np.nan])

SMOOTH_UNARY = [
    ("tan", ad.tan, np.tan, _inside(-1.2, 1.2)),
    ("sinh", ad.sinh, np.sinh, _normal),
    ("cosh", ad.cosh, np.cosh, _normal),
    ("arcsin", ad.arcsin, np.arcsin, _inside(-0.8, 0.8)),
    ("arccos", ad.arccos, np.arccos, _inside(-0.8, 0.8)),
    ("arcsinh", ad.arcsinh, np.arcsinh, _wide),
    ("arccosh", ad.arccosh, np.arccosh, _inside(1.2, 3.0)),
    ("arctanh", ad.arctanh, np.arctanh, _inside(-0.8, 0.8)),
    ("log2", ad.log2, np.log2, _positive),
    ("log10", ad.log10, np.log10, _positive),
    ("exp2", ad.exp2, np.exp2, _normal),
    ("reciprocal", ad.reciprocal, np.reciprocal, _away_from_zero),
    ("cbrt", ad.cbrt, np.cbrt, _away_from_zero),
    ("erf", ad.erf, special.erf, _normal),
    ("erfc", ad.erfc, special.erfc, _wide),
    ("sinc", ad.sinc, np.sinc, _wide),
    ("deg2rad", ad.deg2rad, np.deg2rad, _wide),
    ("rad2deg", ad.rad2deg, np.rad2deg, _normal),
    ("radians", ad.radians, np.radians, _wide),
    ("degrees", ad.degrees, np.degrees, _normal),
]

SMOOTH_BINARY = [
    ("arctan2", ad.arctan2, np.arctan2),
    ("hypot", ad.hypot, np.hypot),
    ("logaddexp", ad.logaddexp, np.logaddexp),
    ("logaddexp2", ad.logaddexp2, np.logaddexp2),
]

# piecewise constant, times x so that the derivative is not 0 (random points are away from
# the jumps)
ROUNDING = [
    ("floor", ad.floor, np.floor),
    ("ceil", ad.ceil, np.ceil),
    ("rint", ad.rint, np.rint),
    ("trunc", ad.trunc, np.trunc),
    ("fix", ad.fix, np.fix),
    ("round", ad.round, np.round),
    ("around decimals=1", lambda x: ad.around(x, decimals=1), lambda x: np.around(x, decimals=1)),
    ("round decimals=-1", lambda x: ad.round(x * 10, -1), lambda x: np.round(x * 10, -1)),
]

MODULAR = [
    ("fmod", ad.fmod, np.fmod),
    ("remainder", ad.remainder, np.remainder),
    ("mod", ad.mod, np.mod),
    (
        "floor_divide",
        lambda a, b: ad.floor_divide(a, b) * a,
        lambda a, b: np.floor_divide(a, b) * a,
    ),
    (  # Python's divmod on nodes, and np.divmod dispatched to ad.divmod
        "divmod",
        lambda a, b: (lambda q, r: q * a + r * b)(*divmod(a, b)),
        lambda a, b: (lambda q, r: q * a + r * b)(*np.divmod(a, b)),
    ),
    (
        "np.divmod",
        lambda a, b: (lambda q, r: q * b + r)(*np.divmod(a, b)),
        lambda a, b: (lambda q, r: q * b + r)(*np.divmod(a, b)),
    ),
]

CASES: list[Case] = (
    [Case(name, fn, ref, [(2, 3)], order=3, make=make) for name, fn, ref, make in SMOOTH_UNARY]
    + [Case(name, fn, ref, [(3, 1), (4,)], order=3) for name, fn, ref in SMOOTH_BINARY]
    + [
        Case(
            f"{name} times x",
            lambda x, f=fn: f(x) * x,
            lambda x, f=ref: f(x) * x,
            [(3, 4)],
            make=_wide,
        )
        for name, fn, ref in ROUNDING
    ]
    + [Case(name, fn, ref, [(3, 4), (4,)], make=_positive) for name, fn, ref in MODULAR]
    + [
        Case("erf, 0-d", ad.erf, special.erf, [()], order=3),
        Case("arctan2, 0-d with a row", ad.arctan2, np.arctan2, [(), (3,)], order=3),
        Case("logaddexp, size-1 axes", ad.logaddexp, np.logaddexp, [(1, 3), (2, 1)], order=3),
        Case("hypot, 0-d", ad.hypot, np.hypot, [(), ()], order=3),
        Case(
            "fmod, size-1 and 0-d",
            lambda a, b: ad.fmod(a, b) * a,
            lambda a, b: np.fmod(a, b) * a,
            [(1, 3), ()],
            make=_positive,
        ),
        Case(
            "sinc at 0",
            ad.sinc,
            np.sinc,
            [(5,)],
            order=3,
            arrays=lambda rng: [[0.0, 1e-9, -0.3, 0.31, 2.0]],
        ),
        Case(
            "erf, erfc across their branches",
            lambda x: ad.erf(x) * ad.erfc(x),
            lambda x: special.erf(x) * special.erfc(x),
            [(8,)],
            order=3,
            arrays=lambda rng: [[-4.0, -2.1, -0.6, -0.2, 0.3, 0.7, 1.9, 3.0]],
        ),
        Case(
            "hypot, arctan2 scalar on the left",
            lambda x: ad.hypot(2.0, x) + ad.arctan2(-1.0, x),
            lambda x: np.hypot(2.0, x) + np.arctan2(-1.0, x),
            [(3,)],
            order=3,
        ),
        Case(
            "logaddexp of equal inputs",
            lambda x: ad.logaddexp(x, x) + ad.logaddexp2(x, x * 1.0),
            lambda x: np.logaddexp(x, x) + np.logaddexp2(x, x),
            [(3,)],
            order=3,
        ),
        Case(
            "fmod, remainder signs",
            lambda a, b: ad.fmod(-3 * a, b) + ad.remainder(3 * a, -b) * ad.mod(-3 * a, -b),
            lambda a, b: np.fmod(-3 * a, b) + np.remainder(3 * a, -b) * np.mod(-3 * a, -b),
            [(2, 3), (3,)],
            make=_positive,
        ),
        Case(
            "fmod, remainder by a number",
            lambda x: ad.fmod(x, 0.7) + ad.remainder(x, -0.7),
            lambda x: np.fmod(x, 0.7) + np.remainder(x, -0.7),
            [(2, 3)],
            make=_wide,
        ),
        Case(
            "nan_to_num",
            lambda x: ad.nan_to_num(ad.where(MASK, x, SPECIALS), posinf=3.0, neginf=-2.0) * x,
            lambda x: np.nan_to_num(np.where(MASK, x, SPECIALS), posinf=3.0, neginf=-2.0) * x,
            [(6,)],
        ),
    ]
)
