"""Rows for the fused LSTM nodes of `autodiff.nn.recurrence` (numba kernels where numba is
installed, their NumPy form otherwise): values against the NumPy-op composite, gradients (the
composite's) to second order."""

from __future__ import annotations

import numpy as np

import autodiff as ad
from autodiff.nn.recurrence import LSTMBackward, LSTMForward, RowSums

from . import Case

BATCH, STEPS, HIDDEN = 2, 3, 2
SIZE = BATCH * (STEPS + 1) * HIDDEN + STEPS * BATCH * 5 * HIDDEN  # LSTMForward's value
IDS = np.array([[2, 0, 2], [1, 2, 0]])


def _dtype(dtypes) -> type:
    """The nodes take one float dtype: float32 where every input is, float64 otherwise."""
    return np.float32 if all(d == np.float32 for d in dtypes) else np.float64


def _fused(node_type):
    """`node_type` on its inputs cast to one float dtype."""

    def fn(*xs: ad.Node) -> ad.Node:
        dtype = _dtype([x.dtype for x in xs])
        return node_type(*(ad.astype(x, dtype) for x in xs))

    return fn


def _composite(node_type):
    """What `node_type` computes, from its NumPy-op composite."""

    def ref(*arrays: np.ndarray) -> np.ndarray:
        dtype = _dtype([a.dtype for a in arrays])
        nodes = [ad.Constant(a.astype(dtype)) for a in arrays]
        return node_type(*nodes).composite(*nodes)()

    return ref


def _forward_shapes():
    return [(BATCH, STEPS, 4 * HIDDEN), (HIDDEN, 4 * HIDDEN), (BATCH, HIDDEN), (BATCH, HIDDEN)]


CASES = [
    Case("lstm_forward", _fused(LSTMForward), _composite(LSTMForward), _forward_shapes()),
    Case(
        "lstm_backward",
        _fused(LSTMBackward),
        _composite(LSTMBackward),
        [
            (BATCH, STEPS + 1, HIDDEN),
            (SIZE,),
            (HIDDEN, 4 * HIDDEN),
            (BATCH, HIDDEN),
            (BATCH, HIDDEN),
        ],
    ),
    Case(
        "row_sums",
        lambda g: RowSums(g, ad.Constant(IDS), rows=4),
        lambda g: np.einsum("vbt,btk->vk", (np.arange(4)[:, None, None] == IDS), g),
        [(2, 3, 5)],
    ),
]
