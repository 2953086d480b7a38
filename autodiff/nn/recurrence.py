"""The LSTM recurrence over a whole sequence, with its backward pass written out (BPTT).

`lstm_sequence` runs the recurrent half of an LSTM layer: the input projection of every step
(``x @ weight_ih + bias``, one matrix product for all steps) comes in as `zx`, and only
``h @ weight_hh`` is left inside the loop. Its gradient is a `custom_gradient` rule built of
ops: the step-by-step backward pass of the gates, then the gradient of `weight_hh` as ONE
matrix product over all steps (``H_prev^T @ dZ``, a ``(hidden, batch*time) @ (batch*time,
4*hidden)`` product) where the generic derivative would sum `time` small products, and the
gradient of `zx` as one ``(batch, time, 4*hidden)`` node, so that `weight_ih` also gets one
product over all steps. The rule is the exact derivative, written with the forward pass's
gate nodes, so second and higher derivatives go through it.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..custom import custom_gradient
from ..node import Node
from ..ops.shape import Take

__all__ = ["lstm_sequence", "input_projection"]


def input_projection(xs: Node, weight: Node, bias: Node) -> Node:
    """``xs @ weight + bias`` for every step at once.

    Where `xs` looks rows of a table up by integer ids (an `Embedding`) and the table has
    fewer rows than there are ids (a character vocabulary against batch * time), it is a
    lookup in the projected table ``table @ weight + bias``: the same numbers from a product
    of the table's size, and the gradient of that table is one one-hot product, so the
    ``(batch * time, features)`` products of the input and of `weight`'s gradient go away.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> from autodiff.nn.recurrence import input_projection
    >>> embed = nn.Embedding(3, 3)
    >>> embed.weight.value = np.eye(3)
    >>> w, b = ad.Variable(np.arange(6.0).reshape(3, 2)), ad.Variable(np.ones(2))
    >>> xs = embed(ad.Variable(np.array([[2, 0, 2, 1]])))
    >>> input_projection(xs, w, b)()  # the rows of w for ids 2, 0, 2, 1, plus 1
    array([[[5., 6.],
            [1., 2.],
            [5., 6.],
            [3., 4.]]])
    """
    if isinstance(xs, Take) and xs.axis == 0 and xs.inputs[0].ndim == 2:
        table, ids = xs.inputs
        if table.shape[0] < math.prod(ids.shape):
            return _lookup(table @ weight + bias, ids)
    return xs @ weight + bias


@custom_gradient
def _lookup(table: Node, ids: Node):
    """Rows of `table` by `ids`; the table's gradient as one one-hot product (NumPy's float32
    scatter-add, np.add.at, takes about 3x as long for (2048, 1024) rows into 103)."""
    # (rows, *ids.shape): laid out as the left operand of the product, no transposed copy
    rows = np.arange(table.shape[0]).reshape((-1,) + (1,) * ids.ndim)
    onehot = ops.astype(ops.equal(rows, ops.expand_dims(ids, 0)), table.dtype)
    letters = "abcdefgh"[: ids.ndim]

    def rule(g: Node):
        return ops.einsum(f"v{letters},{letters}k->vk", onehot, g), None

    return ops.take(table, ids, axis=0), rule


def lstm_sequence(zx: Node, weight_hh: Node, h0: Node, c0: Node) -> Node:
    """An LSTM's recurrence over all steps: ``(batch, time + 1, hidden)``, the outputs
    ``h_1 .. h_T`` then the last cell state ``c_T``.

    `zx` ``(batch, time, 4 * hidden)`` is each step's ``x @ weight_ih + bias``; the gates are
    input, forget, cell, output in that column order (as `LSTMCell`); step t computes
    ``z = zx[:, t] + h @ weight_hh``, ``c = f * c + i * g``, ``h = o * tanh(c)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.nn.recurrence import lstm_sequence
    >>> zx = ad.Variable(np.zeros((2, 3, 8)))
    >>> y = lstm_sequence(zx, ad.Variable(np.zeros((2, 8))), ad.zeros((2, 2)), ad.zeros((2, 2)))
    >>> y.shape, float(y()[0, 0, 0])  # h_1 = sigmoid(0) * tanh(sigmoid(0) * tanh(0)) = 0
    ((2, 4, 2), 0.0)
    """
    return _recurrence(zx, weight_hh, h0, c0)


@custom_gradient
def _recurrence(zx: Node, weight_hh: Node, h0: Node, c0: Node):
    batch, steps, width = zx.shape
    n = width // 4
    h, c = h0, c0
    hs, cs, gates = [h0], [c0], []
    for t in range(steps):
        z = zx[:, t] + h @ weight_hh
        sig = ops.sigmoid(z[:, : 2 * n])  # input and forget gates: one pass over both
        i, f = sig[:, :n], sig[:, n:]
        g = ops.tanh(z[:, 2 * n : 3 * n])
        o = ops.sigmoid(z[:, 3 * n :])
        c = f * c + i * g
        tc = ops.tanh(c)
        h = o * tc
        hs.append(h)
        cs.append(c)
        gates.append((i, f, g, o, tc))
    out = ops.stack(hs[1:] + [c], axis=1)

    def rule(gy: Node):
        dzs: list[Node] = []
        dc = gy[:, steps]
        dz = gy[:, 0]  # replaced at the first step
        for t in reversed(range(steps)):
            i, f, g, o, tc = gates[t]
            dh = gy[:, t] if t == steps - 1 else gy[:, t] + _times_transposed(dz, weight_hh)
            dc = dc + dh * o * (1 - ops.square(tc))
            dz = ops.concatenate(
                [
                    dc * g * i * (1 - i),
                    dc * cs[t] * f * (1 - f),
                    dc * i * (1 - ops.square(g)),
                    dh * tc * o * (1 - o),
                ],
                axis=1,
            )
            dzs.append(dz)
            dc = dc * f
        dzx = ops.stack(dzs[::-1], axis=1)
        previous = ops.stack(hs[:-1], axis=1)
        dw = ops.einsum("bth,btk->hk", previous, dzx)
        return dzx, dw, _times_transposed(dz, weight_hh), dc

    return out, rule


def _times_transposed(dz: Node, weight: Node) -> Node:
    """``dz @ weight.T``, computed as ``(weight @ dz.T).T``: with the wide weight as the left
    operand OpenBLAS's sgemm takes about 2/3 of the time for (32, 1024) @ (1024, 256). The
    pass-through between the product and its transpose keeps the simplifier from folding the
    two back into ``dz @ weight.T``."""
    return ops.transpose(_keep(weight @ ops.transpose(dz)))


@custom_gradient
def _keep(x: Node):
    """`x` itself, as a node of its own (its gradient is the cotangent)."""
    return x, lambda g: g
