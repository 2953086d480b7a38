"""Cases ported from JAX's tests/lax_numpy_test.py gradient tests (class NumpyGradTests).

`GRAD_TEST_RECORDS` (testOpGrad): each op on every shape of `nonempty_shapes` (every pair
with replacement for the binary ones; JAX's numpy scalar, Python scalar and () shapes are
one 0-d shape here), inputs drawn as the record's `rng_factory` draws them (`rand_positive`
is uniform on (1, 3)). `GRAD_SPECIAL_VALUE_TEST_RECORDS` (testOpGradSpecialValue) at their
special points, and testSincAtZero, testSincGradArrayInput, testTakeAlongAxisIssue1521.
Derivative orders are the records' own, raised to 2 for smooth ops checked once (arccosh,
logaddexp); sinc at 0 keeps order 1 by finite differences (its second difference there is
ill-conditioned) and testSincAtZero checks its derivatives at 0 exactly to order 4. The
harness is test_ported_autograd.py's: values against NumPy's, derivatives in reverse and
forward mode, as JAX's `check_grads(..., modes=["fwd", "rev"])`. Complex dtypes and
`ldexp`/`frexp` are skips; the float32 cases are not ported (the checks are in float64).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_ported_autograd import Port, params, run_ports

import autodiff as ad

JAX = "lax_numpy_test.py::"
_RNG = np.random.default_rng(1)
SHAPES = [(), (4,), (3, 4), (3, 1), (1, 4), (2, 1, 4), (2, 3, 4)]  # nonempty_shapes
COMPLEX = "complex numbers (no complex dtypes in autodiff)"


def _positive(shape):
    """jtu.rand_positive: 2 * rand + 1."""
    return 2.0 * _RNG.uniform(size=shape) + 1.0


def _uniform_09(shape):
    """partial(jtu.rand_uniform, low=-0.9, high=0.9)."""
    return _RNG.uniform(-0.9, 0.9, size=shape)


def _lazy(name):
    """ad.<name>, looked up when the row runs (it lands with issue 10's other parts)."""
    return lambda *xs: getattr(ad, name)(*xs)


# name, nargs, order (the record's; at least 2 here), draw, whether the record has complex64
GRAD_TEST_RECORDS = [
    ("arcsinh", 1, 2, _positive, True),
    ("arccosh", 1, 2, _positive, True),  # the record's order is 1
    ("arctanh", 1, 2, _uniform_09, True),
    ("logaddexp", 2, 2, _uniform_09, False),  # the record's order is 1
    ("logaddexp2", 2, 2, _uniform_09, False),
]

OP_GRAD: list[Port] = []
for _name, _nargs, _order, _draw, _complex in GRAD_TEST_RECORDS:
    _source = JAX + f"testOpGrad[{_name}]"
    for _shapes in itertools.combinations_with_replacement(SHAPES, _nargs):
        OP_GRAD.append(
            Port(
                _source,
                _lazy(_name),
                getattr(np, _name),
                [_draw(s) for s in _shapes],
                order=_order,
                needs=(_name,),
            )
        )
    if _complex:
        OP_GRAD.extend(Port(_source, None, None, unsupported=COMPLEX) for _ in SHAPES)

# GradSpecialValuesTestSpec(op, values, order)
SPECIAL: list[Port] = []
for _name, _values, _order in [
    ("arcsinh", [0.0, 1000.0], 2),
    ("arccosh", [1000.0], 2),
    ("arctanh", [0.0], 2),
    ("sinc", [0.0], 1),
]:
    for _value in _values:
        SPECIAL.append(
            Port(
                JAX + f"testOpGradSpecialValue[{_name}]",
                _lazy(_name),
                getattr(np, _name),
                [np.array(_value)],
                order=_order,
                needs=(_name,),
            )
        )


def _sinc_at_zero(k: int, expected: float):
    """The k-th derivative of sinc at 0, by every mix of jvp and grad, is `expected`."""

    def check():
        x = ad.Variable(np.array(0.0), name="x")
        for ops in itertools.combinations_with_replacement(["jvp", "grad"], k):
            y = ad.sinc(x)
            for op in ops:
                y = ad.jvp(y, x, np.array(1.0)) if op == "jvp" else ad.grad(y, x)
            np.testing.assert_allclose(float(y()), expected, rtol=1e-12, atol=1e-12)

    return check


OTHER: list[Port] = [
    Port(JAX + "testSincAtZero", None, None, needs=("sinc",), check=_sinc_at_zero(k, d))
    for k, d in [(1, 0.0), (2, -(np.pi**2) / 3), (3, 0.0), (4, np.pi**4 / 5)]
]


def _sinc_grad_array_check():
    """grad(sum(sinc(x))) at 0, 1, ..., 9 (the source only asks that it does not crash):
    sinc'(0) = 0 and sinc'(n) = cos(pi n) / n."""
    x = ad.Variable(np.arange(10.0), name="x")
    g = ad.grad(ad.sum(ad.sinc(x)), x)()
    n = np.arange(1.0, 10.0)
    np.testing.assert_allclose(g, np.concatenate([[0.0], np.cos(np.pi * n) / n]), atol=1e-12)


OTHER.append(
    Port(JAX + "testSincGradArrayInput", None, None, needs=("sinc",), check=_sinc_grad_array_check)
)

_IDX = np.repeat(np.arange(3), 10).reshape((30, 1))


def _take_along_axis_1521(x, take_along_axis=None):
    y = x * np.arange(3.0).reshape((1, 3))
    return (take_along_axis or ad.take_along_axis)(y, _IDX, -1).sum()


OTHER.append(
    Port(
        JAX + "testTakeAlongAxisIssue1521",
        _take_along_axis_1521,
        lambda x: _take_along_axis_1521(x, np.take_along_axis),
        [np.array(1.0)],
        order=2,  # the source's order is 1; the function is linear
        needs=("take_along_axis",),
    )
)
for _name in ("testGradLogaddexpComplex", "testGradLogaddexp2Complex"):
    OTHER.extend(
        Port(JAX + _name, None, None, unsupported=COMPLEX)
        for _ in itertools.combinations_with_replacement(SHAPES, 2)
    )
for _name, _fn in [("testGradLdexp", "ldexp"), ("testGradFrexp", "frexp")]:
    OTHER.extend(  # n in range(-4, 5), float64 (the float32 half is not ported)
        Port(JAX + _name, None, None, unsupported=f"np.{_fn} (no one adds it)")
        for _ in range(-4, 5)
    )


@pytest.mark.parametrize("port", params(OP_GRAD))
def test_op_grad(port: list[Port]) -> None:
    run_ports(port)


@pytest.mark.parametrize("port", params(SPECIAL))
def test_op_grad_special_value(port: list[Port]) -> None:
    run_ports(port)


@pytest.mark.parametrize("port", params(OTHER))
def test_numpy_grad(port: list[Port]) -> None:
    run_ports(port)
