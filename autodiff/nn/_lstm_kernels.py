"""Numba kernels for one LSTM step's gate work, forward and backward (imported only with numba).

`recurrence` imports this module when numba is installed; without numba nothing here is used
and the recurrence is built of NumPy ops. Each kernel does one step's elementwise work in one
pass, writing into arrays that the caller allocated for the whole sequence (so no step's
result is copied again). The arrays are passed whole, with the step `t`, so that numba sees
C-contiguous arrays and vectorizes the loop over a row.

In float32, tanh is the 13/6 rational approximation Eigen uses for floats (clamped to
[-9, 9], a couple of ulps from the true value) and sigmoid is ``0.5 + 0.5 * tanh(x / 2)``:
both plain arithmetic, so the loops vectorize (numba calls libm's scalar tanhf and expf
otherwise). Sigmoid this way is exact to a few ulps of 1 (absolute error below 1e-7), not
in relative terms where it is tiny (below about -17 it is 0 rather than exp(x)). In float64
they are libm's ``tanh`` and ``1 / (1 + exp(-x))``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

# Eigen's generic_fast_tanh_float: tanh(x) = x * p(x^2) / q(x^2) on [-9, 9]
_ALPHA = (
    -2.76076847742355e-16,
    2.00018790482477e-13,
    -8.60467152213735e-11,
    5.12229709037114e-08,
    1.48572235717979e-05,
    6.37261928875436e-04,
    4.89352455891786e-03,
)
_BETA = (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03)
A13, A11, A9, A7, A5, A3, A1 = (np.float32(a) for a in _ALPHA)
B6, B4, B2, B0 = (np.float32(b) for b in _BETA)
NINE, HALF, ONE = np.float32(9.0), np.float32(0.5), np.float32(1.0)


def _tanh(x):  # pragma: no cover  # numba compiles the overload below instead
    return math.tanh(x)


def _sigmoid(x):  # pragma: no cover  # numba compiles the overload below instead
    return 1.0 / (1.0 + math.exp(-x))


@overload(_tanh, inline="always")
def _tanh_impl(x):
    if x == types.float32:

        def tanh32(x):
            x = min(max(x, -NINE), NINE)
            x2 = x * x
            p = x2 * A13 + A11
            p = x2 * p + A9
            p = x2 * p + A7
            p = x2 * p + A5
            p = x2 * p + A3
            p = x2 * p + A1
            q = x2 * B6 + B4
            q = x2 * q + B2
            q = x2 * q + B0
            return x * p / q

        return tanh32
    return lambda x: math.tanh(x)


@overload(_sigmoid, inline="always")
def _sigmoid_impl(x):
    if x == types.float32:
        return lambda x: HALF + HALF * _tanh(HALF * x)
    return lambda x: 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, error_model="numpy")
def forward_step(zx, t, hw, c_prev, gates, cells, ys):  # pragma: no cover  # compiled
    """Step `t`: ``z = zx[:, t] + hw``; gates = (i, f, g, o) ``(batch, 4 * hidden)``, cells
    = c, ``ys[:, t]`` = h. Each loop reads and writes few arrays, so that LLVM's checks that
    they do not overlap stay few enough for it to vectorize."""
    batch, n = c_prev.shape
    for r in range(batch):
        for j in range(2 * n):
            gates[r, j] = _sigmoid(zx[r, t, j] + hw[r, j])
        for j in range(2 * n, 3 * n):
            gates[r, j] = _tanh(zx[r, t, j] + hw[r, j])
        for j in range(3 * n, 4 * n):
            gates[r, j] = _sigmoid(zx[r, t, j] + hw[r, j])
        for j in range(n):
            cells[r, j] = gates[r, n + j] * c_prev[r, j] + gates[r, j] * gates[r, 2 * n + j]
        for j in range(n):
            ys[r, t, j] = gates[r, 3 * n + j] * _tanh(cells[r, j])


@njit(cache=True, error_model="numpy")
def backward_step(gy, t, last, dhw, c_prev, gates, cells, dh, dc, dzx):  # pragma: no cover
    """Step `t` backward: ``dh = gy[:, t] + dhw.T`` (dhw ``(hidden, batch)``, the weight
    times the next step's dz transposed; not read at the `last` step); ``dzx[:, t]`` = dz;
    `dc` (the cell state's cotangent) becomes the previous cell's. `dh` is scratch."""
    batch, n = dc.shape
    one = dc.dtype.type(1)
    if last:
        for r in range(batch):
            for j in range(n):
                dh[r, j] = gy[r, t, j]
    else:
        for j in range(n):
            for r in range(batch):
                dh[r, j] = gy[r, t, j] + dhw[j, r]
    for r in range(batch):
        for j in range(n):  # dc, then the output gate's dz
            tc = _tanh(cells[r, j])
            o = gates[r, 3 * n + j]
            dc[r, j] += dh[r, j] * o * (one - tc * tc)
            dh[r, j] = dh[r, j] * tc * o * (one - o)
        for j in range(n):
            dzx[r, t, 3 * n + j] = dh[r, j]
        for j in range(n):  # input gate
            i = gates[r, j]
            dzx[r, t, j] = dc[r, j] * gates[r, 2 * n + j] * i * (one - i)
        for j in range(n):  # forget gate
            f = gates[r, n + j]
            dzx[r, t, n + j] = dc[r, j] * c_prev[r, j] * f * (one - f)
        for j in range(n):  # cell gate
            g = gates[r, 2 * n + j]
            dzx[r, t, 2 * n + j] = dc[r, j] * gates[r, j] * (one - g * g)
        for j in range(n):
            dc[r, j] *= gates[r, n + j]


@njit(cache=True, error_model="numpy")
def row_sums(ids, g, out):  # pragma: no cover  # compiled
    """``out[ids[p]] += g[p]`` for every row p of `g` (out zeroed by the caller)."""
    for p in range(ids.shape[0]):
        r = ids[p]
        for j in range(g.shape[1]):
            out[r, j] += g[p, j]
