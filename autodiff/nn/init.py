"""Seeded initialisers: NumPy arrays for the starting values of parameters.

Every initialiser takes a `rng`: a `numpy.random.Generator`, an int seed, or None for this
module's default generator, which `seed(n)` resets (it starts from seed 0, so a program that
builds the same layers in the same order gets the same parameters every run). Weights follow
one layout: input features before output features, ``(in, out)`` for a dense layer and
``(..., in, out)`` with the receptive field in front for a convolution; `fans` reads that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_default = [np.random.default_rng(0)]


def seed(n: int) -> None:
    """Reset the default generator that initialisers use when given no `rng`.

    >>> from autodiff.nn import init
    >>> init.seed(1); a = init.normal((2,))
    >>> init.seed(1); b = init.normal((2,))
    >>> bool((a == b).all())
    True
    """
    _default[0] = np.random.default_rng(n)


def as_rng(rng: np.random.Generator | int | None = None) -> np.random.Generator:
    """`rng` as a Generator: a Generator passes through, an int seeds one, None is the default.

    >>> from autodiff.nn import init
    >>> int(init.as_rng(3).integers(10)) == int(init.as_rng(3).integers(10))
    True
    """
    if rng is None:
        return _default[0]
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)


def fans(shape: int | Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight laid out as ``(..., in, out)``; a vector counts as (n, n).

    >>> from autodiff.nn import init
    >>> init.fans((3, 3, 16, 32))   # a 3x3 convolution from 16 to 32 channels
    (144, 288)
    """
    shape = _shape(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return receptive * shape[-2], receptive * shape[-1]


def zeros(shape: int | Sequence[int], dtype=np.float64) -> np.ndarray:
    """All zeros (biases).

    >>> from autodiff.nn import init
    >>> init.zeros(2)
    array([0., 0.])
    """
    return np.zeros(_shape(shape), dtype)


def uniform(shape, low: float = -1.0, high: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Uniform on [low, high).

    >>> from autodiff.nn import init
    >>> bool((abs(init.uniform((100,), -0.1, 0.1, rng=0)) <= 0.1).all())
    True
    """
    return as_rng(rng).uniform(low, high, size=_shape(shape)).astype(dtype)


def normal(shape, std: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Normal with mean 0 and standard deviation `std`.

    >>> from autodiff.nn import init
    >>> init.normal((2, 3), std=0.01, rng=0).shape
    (2, 3)
    """
    return (std * as_rng(rng).standard_normal(_shape(shape))).astype(dtype)


def glorot_uniform(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """Glorot (Xavier) uniform: limit ``gain * sqrt(6 / (fan_in + fan_out))``; for tanh/sigmoid.

    >>> from autodiff.nn import init
    >>> w = init.glorot_uniform((64, 32), rng=0)
    >>> bool(abs(w).max() <= (6 / 96) ** 0.5)
    True
    """
    fan_in, fan_out = fans(shape)
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -limit, limit, rng, dtype)


def he_normal(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """He (Kaiming) normal: std ``sqrt(2 / fan_in)``; for ReLU layers.

    >>> from autodiff.nn import init
    >>> w = init.he_normal((2000, 50), rng=0)
    >>> round(float(w.std() * (2000 / 2) ** 0.5), 1)
    1.0
    """
    fan_in, _ = fans(shape)
    return normal(shape, math.sqrt(2.0 / fan_in), rng, dtype)


def orthogonal(shape, gain: float = 1.0, rng=None, dtype=np.float64) -> np.ndarray:
    """A (semi-)orthogonal matrix of `shape` times `gain` (Saxe et al.); for recurrent weights.

    >>> import numpy as np
    >>> from autodiff.nn import init
    >>> q = init.orthogonal((4, 4), rng=0)
    >>> bool(np.allclose(q @ q.T, np.eye(4)))
    True
    """
    shape = _shape(shape)
    if len(shape) != 2:
        raise ValueError(f"orthogonal: needs a 2-D shape, got {shape}")
    rows, cols = shape
    a = as_rng(rng).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # a uniform draw over orthogonal matrices
    if rows < cols:
        q = q.T
    return (gain * q).astype(dtype)
