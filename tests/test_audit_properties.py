"""Random compositions of public ops, written once with NumPy's functions and run on arrays
and on nodes (NumPy dispatches to autodiff): the node's value, a plan's value and NumPy's
agree in value, shape and dtype (float64 and float32), and the derivatives of the composition
check against finite differences to second order.

Shapes include 0-d, size-1 and empty axes, and a length of 70 (over the simplifier's 64-element
constant folding; its outer products pass the 4096 elements from which a plan writes them
as np.einsum).
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad

SHAPES = [(), (1,), (3,), (2, 3), (3, 3), (1, 3), (3, 1), (2, 1, 3), (0,), (2, 0), (70,)]


def _axis(x, k):
    return None if x.ndim == 0 else k % x.ndim - x.ndim  # a negative axis


def _square(x):
    return x.ndim >= 2 and x.shape[-1] == x.shape[-2] and x.shape[-1] > 0


# (name, f(x, k)): k is a drawn integer that picks an axis or a variant
UNARY = [
    ("tanh", lambda x, k: np.tanh(x)),
    ("exp", lambda x, k: np.exp(0.3 * x)),
    ("log1p square", lambda x, k: np.log1p(x * x)),
    ("cube", lambda x, k: x**3),
    ("rational", lambda x, k: x / (1.0 + x * x)),
    ("abs plus", lambda x, k: np.abs(x) + x),
    ("maximum", lambda x, k: np.maximum(x, 0.1)),
    ("clip", lambda x, k: np.clip(x, -0.5, 0.7)),
    ("where", lambda x, k: np.where(x > 0.2, x, x * x)),
    ("sum", lambda x, k: np.sum(x, axis=_axis(x, k), keepdims=bool(k % 2))),
    ("mean", lambda x, k: np.mean(x, axis=_axis(x, k)) if x.size else x),
    ("max", lambda x, k: np.max(x, axis=_axis(x, k)) if x.size else x),
    ("prod", lambda x, k: np.prod(0.5 * x, axis=_axis(x, k))),
    ("cumsum", lambda x, k: np.cumsum(x, axis=_axis(x, k))),
    ("cumprod", lambda x, k: np.cumprod(0.5 * x, axis=_axis(x, k))),
    ("sort", lambda x, k: np.sort(x, axis=-1) if x.ndim else x),
    ("flip", lambda x, k: np.flip(x, axis=_axis(x, k))),
    ("transpose", lambda x, k: np.transpose(x)),
    ("ravel", lambda x, k: np.reshape(x, (-1,))),
    ("new axis", lambda x, k: x[None]),
    ("reverse", lambda x, k: x[..., ::-1] if x.ndim else x),
    ("gather", lambda x, k: x[..., np.array([0, 0, -1])] if x.ndim and x.shape[-1] else x),
    ("step slice", lambda x, k: x[..., 1::2] if x.ndim else x),
    ("concatenate", lambda x, k: np.concatenate([x, 2.0 * x], axis=-1) if x.ndim else x),
    ("stack", lambda x, k: np.stack([x, np.sin(x)], axis=k % (x.ndim + 1))),
    ("einsum ...i", lambda x, k: np.einsum("...i,...i->...", x, x) if x.ndim else x),
    ("einsum ii", lambda x, k: np.einsum("ii->i", x) if _square(x) and x.ndim == 2 else x),
    ("outer", lambda x, k: np.outer(x, x) if x.ndim == 1 else x),
    ("gram", lambda x, k: x @ np.swapaxes(x, -1, -2) if x.ndim >= 2 else x),
    ("norm", lambda x, k: np.linalg.norm(x) + x),
    ("var", lambda x, k: np.var(x, axis=-1) if x.ndim and x.shape[-1] > 1 else x),
    ("diff", lambda x, k: np.diff(x, axis=-1) if x.ndim and x.shape[-1] > 1 else x),
    ("roll", lambda x, k: np.roll(x, k, axis=-1) if x.ndim else x),
    ("tile", lambda x, k: np.tile(x, 2)),
    ("repeat", lambda x, k: np.repeat(x, 2, axis=-1) if x.ndim else x),
    ("pad", lambda x, k: np.pad(x, 1) if x.ndim else x),
    ("broadcast", lambda x, k: np.broadcast_to(x, (2, *x.shape))),
    ("det", lambda x, k: np.linalg.det(x + 3 * np.eye(x.shape[-1])) if _square(x) else x),
    ("solve", lambda x, k: np.linalg.solve(x + 3 * np.eye(x.shape[-1]), x) if _square(x) else x),
    ("cancel", lambda x, k: x - x + 0.5 * x),
    ("exp log", lambda x, k: np.log(np.exp(0.1 * x))),
    ("logaddexp", lambda x, k: np.logaddexp(x, 0.5 * x)),
    ("hypot", lambda x, k: np.hypot(x, 1.0)),
    ("moveaxis", lambda x, k: np.moveaxis(x, 0, -1) if x.ndim else x),
]
BINARY = [
    ("add", lambda x, y: x + y),
    ("multiply", lambda x, y: x * y),
    ("divide", lambda x, y: x / (1.0 + y * y)),
    ("maximum", lambda x, y: np.maximum(x, y)),
    ("where", lambda x, y: np.where(x > y, x, y * y)),
    ("matmul", lambda x, y: np.matmul(x, y)),
    ("dot", lambda x, y: np.dot(x, y)),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=1)),
    ("concatenate", lambda x, y: np.concatenate([x, y], axis=0)),
    ("kron", lambda x, y: np.kron(x, y)),
]


@st.composite
def programs(draw):
    """Arrays, and a list of steps each reading earlier values (by index)."""
    n = draw(st.integers(1, 2))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n)]
    steps = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            steps.append(("u", draw(st.sampled_from(UNARY)), draw(st.integers(0, 99)), 0))
        else:
            picks = draw(st.integers(0, 99)), draw(st.integers(0, 99))
            steps.append(("b", draw(st.sampled_from(BINARY)), *picks))
    seed = draw(st.integers(0, 2**16))
    return shapes, steps, seed


def _run(steps, values):
    values = list(values)
    for kind, (_, f), i, j in steps:
        if kind == "u":
            values.append(f(values[i % len(values)], i))
        else:
            values.append(f(values[i % len(values)], values[j % len(values)]))
    return values[-1]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(programs())
def test_random_compositions_agree_with_numpy_and_finite_differences(program):
    shapes, steps, seed = program
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reference = np.asarray(_run(steps, arrays))
        except (ValueError, IndexError, np.linalg.LinAlgError):
            return  # NumPy refuses the composition: nothing to compare
    if reference.dtype.kind != "f" or reference.size > 5000 or not np.all(np.isfinite(reference)):
        return
    for dtype, rtol in ((np.float64, 1e-9), (np.float32, 2e-3)):
        typed = [a.astype(dtype) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = np.asarray(_run(steps, typed))
        xs = [ad.Variable(a, name=f"x{i}") for i, a in enumerate(typed)]
        node = _run(steps, xs)
        for value in (node(), ad.function(node, inputs=xs)(*typed)):
            assert value.shape == node.shape == expected.shape
            assert value.dtype == node.dtype == expected.dtype
            np.testing.assert_allclose(value, expected, rtol=rtol, atol=rtol)
    if reference.size and all(a.size for a in arrays) and np.max(np.abs(reference)) < 1e4:
        ad.check_grads(lambda *x: _run(steps, x), arrays, order=2, atol=1e-4, rtol=1e-3)
