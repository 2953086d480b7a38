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

With numba installed, float32 and float64 recurrences run as two nodes instead of hundreds:
`LSTMForward` (every step: the product ``h @ weight_hh`` into one buffer, then one numba
kernel for the gates and the cell update) and `LSTMBackward` (every step backward, then the
weight's gradient as one product). Each writes into one array it allocates for the whole
sequence, so no step's result is stacked again. Their values are those of the NumPy-op
recurrence (to the last bits of the transcendentals), and each one's gradient is the
gradient of that NumPy-op form (`forward_composite`, `backward_composite`), so second and
higher derivatives are exactly those of the ops. Without numba neither is used.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType

import numpy as np

from .. import _jit, ops
from ..custom import custom_gradient
from ..differentiation import grad
from ..node import Node, Variable, substitute
from ..ops.shape import Take

__all__ = ["lstm_sequence", "input_projection", "LSTMForward", "LSTMBackward", "RowSums"]


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
        if _kernels() is not None and g.ndim == ids.ndim + 1:
            return RowSums(g, ids, rows=table.shape[0]), None
        return ops.einsum(f"v{letters},{letters}k->vk", onehot, g), None

    return ops.take(table, ids, axis=0), rule


class RowSums(Node):
    """``out[v] = sum of g[p] where ids[p] == v``: the gradient of a lookup of `rows` rows
    by `ids`, as a scatter-add (a numba kernel; NumPy's np.add.at without numba). Its own
    gradient is the lookup of `g`'s rows.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.nn.recurrence import RowSums
    >>> g = ad.Variable(np.arange(6.0).reshape(3, 2))
    >>> RowSums(g, ad.Variable(np.array([1, 0, 1])), rows=3)()
    array([[2., 3.],
           [4., 6.],
           [0., 0.]])
    """

    dispatches = False  # a numba kernel on NumPy arrays

    fresh = True
    rows: int

    @classmethod
    def infer(cls, g, ids, *, rows):  # type: ignore[override]  # an op names its own inputs
        if ids.dtype.kind not in "iu" or g.shape[: ids.ndim] != ids.shape or g.ndim != ids.ndim + 1:
            raise ValueError(
                f"RowSums: g must be ids.shape + (k,) with integer ids; got g of shape "
                f"{g.shape}, ids of shape {ids.shape} and dtype {ids.dtype}"
            )
        return (rows, g.shape[-1]), g.dtype

    def eval(self, g, ids):  # type: ignore[override]
        out = np.zeros(self.shape, g.dtype)
        rows = np.ascontiguousarray(g.reshape(-1, g.shape[-1]))
        flat = np.ascontiguousarray(ids.reshape(-1))
        kernels = _kernels()
        if kernels is None:
            np.add.at(out, flat, rows)
        else:
            kernels.row_sums(flat, rows, out)
        return out

    def grad(self, g: Node) -> list[Node | None]:
        # g may carry leading batch axes: the rows are the axis before the last
        return [ops.take(g, self.inputs[1], axis=g.ndim - 2), None]


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
    dtypes = {x.dtype for x in (zx, weight_hh, h0, c0)}
    if len(dtypes) == 1 and dtypes <= {np.dtype(np.float32), np.dtype(np.float64)}:
        if _kernels() is not None:
            return _fused_recurrence(zx, weight_hh, h0, c0)
    return _recurrence(zx, weight_hh, h0, c0)


@functools.cache
def _kernels() -> ModuleType | None:
    """The numba kernels, or None without numba (imported once, at the first LSTM built)."""
    if not _jit.installed():
        return None
    _jit.import_numba()
    from . import _lstm_kernels

    return _lstm_kernels


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
        previous = ops.stack(hs[:-1], axis=1)
        return _bptt(gy, weight_hh, gates.__getitem__, cs.__getitem__, previous, _times_transposed)

    return out, rule


def _bptt(gy: Node, weight_hh: Node, gates_at, cell_before, previous: Node, times_transposed):
    """The backward pass of the recurrence, as ops: the cotangents of zx, weight_hh, h0, c0
    for the cotangent `gy` of the outputs, from each step t's gates ``gates_at(t)`` (i, f, g,
    o, tanh(c_t)), the cell state before it ``cell_before(t)``, the hidden states h_0 ..
    h_{T-1} as `previous` ``(batch, time, hidden)``, and ``times_transposed(dz, weight_hh)``
    for ``dz @ weight_hh.T``."""
    steps = gy.shape[1] - 1
    dzs: list[Node] = []
    dc = gy[:, steps]
    dz = gy[:, 0]  # replaced at the first step
    for t in reversed(range(steps)):
        i, f, g, o, tc = gates_at(t)
        dh = gy[:, t] if t == steps - 1 else gy[:, t] + times_transposed(dz, weight_hh)
        dc = dc + dh * o * (1 - ops.square(tc))
        dz = ops.concatenate(
            [
                dc * g * i * (1 - i),
                dc * cell_before(t) * f * (1 - f),
                dc * i * (1 - ops.square(g)),
                dh * tc * o * (1 - o),
            ],
            axis=1,
        )
        dzs.append(dz)
        dc = dc * f
    dzx = ops.stack(dzs[::-1], axis=1)
    dw = ops.einsum("bth,btk->hk", previous, dzx)
    return dzx, dw, times_transposed(dz, weight_hh), dc


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


# -- the fused recurrence (numba) ------------------------------------------------------------
def _sizes(batch: int, steps: int, n: int) -> tuple[int, int, int]:
    """The sizes of LSTMForward's pieces: outputs, gates, cells."""
    return batch * (steps + 1) * n, steps * batch * 4 * n, steps * batch * n


def _forward_pieces(p, batch: int, steps: int, n: int):
    """LSTMForward's value `p` (an array or a Node) as its pieces: ``(batch, steps + 1, n)``
    outputs (h_1 .. h_T, c_T), ``(steps, batch, 4n)`` gates i, f, g, o and ``(steps, batch,
    n)`` cell states c_1 .. c_T."""
    a, b, c = _sizes(batch, steps, n)
    return (
        p[:a].reshape((batch, steps + 1, n)),
        p[a : a + b].reshape((steps, batch, 4 * n)),
        p[a + b : a + b + c].reshape((steps, batch, n)),
    )


def _backward_pieces(d, batch: int, steps: int, n: int):
    """LSTMBackward's value `d` as its pieces: the cotangents of zx ``(batch, steps, 4n)``,
    weight_hh ``(n, 4n)``, h0 and c0 ``(batch, n)``."""
    a, b, c = batch * steps * 4 * n, n * 4 * n, batch * n
    return (
        d[:a].reshape((batch, steps, 4 * n)),
        d[a : a + b].reshape((n, 4 * n)),
        d[a + b : a + b + c].reshape((batch, n)),
        d[a + b + c :].reshape((batch, n)),
    )


def _check_recurrence(op: str, zx: Node, weight_hh: Node, h0: Node, c0: Node) -> None:
    if zx.ndim != 3 or zx.shape[2] % 4:
        raise ValueError(f"{op}: zx must be (batch, time, 4 * hidden), got shape {zx.shape}")
    batch, _, width = zx.shape
    n = width // 4
    for what, x, shape in (("weight_hh", weight_hh, (n, width)), ("h0", h0, (batch, n))):
        if x.shape != shape:
            raise ValueError(
                f"{op}: {what} must have shape {shape} for zx of shape {zx.shape}, got {x.shape}"
            )
    if c0.shape != (batch, n):
        raise ValueError(
            f"{op}: c0 must have shape {(batch, n)} for zx of shape {zx.shape}, got {c0.shape}"
        )
    dtypes = {x.dtype for x in (zx, weight_hh, h0, c0)}
    if len(dtypes) != 1 or not dtypes <= {np.dtype(np.float32), np.dtype(np.float64)}:
        raise TypeError(
            f"{op}: zx, weight_hh, h0 and c0 must all be float32 or all float64, got "
            + ", ".join(str(x.dtype) for x in (zx, weight_hh, h0, c0))
        )


class _Fused(Node):
    """A node whose value a kernel computes and whose gradient is that of `composite`, the
    same function written with ops (so every order of derivative is the ops')."""

    fresh = True
    dispatches = False  # numba kernels on NumPy arrays

    def composite(self, *inputs: Node) -> Node:
        raise NotImplementedError

    def grad(self, g: Node) -> list[Node | None]:
        # the composite on stand-ins, so that the gradient of each input is its own slot's
        # (an input that the others depend on, or one that appears twice, is not counted again)
        stand_ins = [Variable(np.zeros(x.shape, x.dtype), name="x") for x in self.inputs]
        grads = grad(self.composite(*stand_ins), stand_ins, seed=g)
        return list(substitute(grads, dict(zip(stand_ins, self.inputs, strict=True))))


class LSTMForward(_Fused):
    """The forward recurrence of `lstm_sequence` with what its backward pass reads: one flat
    array of the outputs ``(batch, time + 1, hidden)`` (h_1 .. h_T, c_T), the gates i, f, g, o
    ``(time, batch, 4 * hidden)`` and the cell states ``(time, batch, hidden)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.nn.recurrence import LSTMForward
    >>> zx, w = ad.Variable(np.zeros((2, 3, 8))), ad.Variable(np.zeros((2, 8)))
    >>> LSTMForward(zx, w, ad.zeros((2, 2)), ad.zeros((2, 2))).shape  # 2*4*2 + 3*2*8 + 3*2*2
    (76,)
    """

    @classmethod
    def infer(cls, zx, weight_hh, h0, c0):  # type: ignore[override]  # an op names its inputs
        _check_recurrence("LSTMForward", zx, weight_hh, h0, c0)
        batch, steps, width = zx.shape
        return (sum(_sizes(batch, steps, width // 4)),), zx.dtype

    def eval(self, zx, weight_hh, h0, c0):  # type: ignore[override]
        batch, steps, width = zx.shape
        n = width // 4
        zx = np.ascontiguousarray(zx)
        out = np.empty(self.shape, zx.dtype)
        ys, gates, cells = _forward_pieces(out, batch, steps, n)
        hw = np.empty((batch, width), zx.dtype)
        kernels = _kernels()
        step = _forward_step_numpy if kernels is None else kernels.forward_step
        for t in range(steps):
            np.matmul(h0 if t == 0 else ys[:, t - 1], weight_hh, out=hw)
            step(zx, t, hw, c0 if t == 0 else cells[t - 1], gates[t], cells[t], ys)
        ys[:, steps] = cells[steps - 1]
        return out

    def composite(self, zx: Node, weight_hh: Node, h0: Node, c0: Node) -> Node:  # type: ignore[override]
        n = zx.shape[2] // 4
        h, c = h0, c0
        hs, cs, gates = [], [], []
        for t in range(zx.shape[1]):
            z = zx[:, t] + h @ weight_hh
            sig = ops.sigmoid(z[:, : 2 * n])
            g = ops.tanh(z[:, 2 * n : 3 * n])
            o = ops.sigmoid(z[:, 3 * n :])
            c = sig[:, n:] * c + sig[:, :n] * g
            h = o * ops.tanh(c)
            hs.append(h)
            cs.append(c)
            gates.append(ops.concatenate([sig, g, o], axis=1))
        pieces = [ops.stack(hs + [c], axis=1), ops.stack(gates), ops.stack(cs)]
        return ops.concatenate([ops.ravel(x) for x in pieces])


class LSTMBackward(_Fused):
    """The backward pass of `lstm_sequence` for the cotangent `gy` of its outputs, from the
    `LSTMForward` value `forward`: one flat array of the gradients of zx, weight_hh, h0, c0.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.nn.recurrence import LSTMForward, LSTMBackward
    >>> zx, w = ad.Variable(np.zeros((2, 3, 8))), ad.Variable(np.zeros((2, 8)))
    >>> h0 = c0 = ad.zeros((2, 2))
    >>> p = LSTMForward(zx, w, h0, c0)
    >>> LSTMBackward(ad.ones((2, 4, 2)), p, w, h0, c0).shape  # 2*3*8 + 2*8 + 2*2 + 2*2
    (72,)
    """

    @classmethod
    def infer(cls, gy, forward, weight_hh, h0, c0):  # type: ignore[override]
        n, width = weight_hh.shape
        batch = h0.shape[0]
        steps = (gy.shape[1] - 1) if gy.ndim == 3 else 0
        if gy.shape != (batch, steps + 1, n) or steps < 1:
            raise ValueError(
                f"LSTMBackward: gy must be (batch, time + 1, hidden) = ({batch}, T + 1, {n}), "
                f"got shape {gy.shape}"
            )
        if forward.shape != (sum(_sizes(batch, steps, n)),):
            raise ValueError(
                f"LSTMBackward: forward must be LSTMForward's value of shape "
                f"({sum(_sizes(batch, steps, n))},), got shape {forward.shape}"
            )
        if len({x.dtype for x in (gy, forward, weight_hh, h0, c0)}) != 1:
            raise TypeError(
                "LSTMBackward: gy, forward, weight_hh, h0 and c0 must have one dtype, got "
                + ", ".join(str(x.dtype) for x in (gy, forward, weight_hh, h0, c0))
            )
        return (batch * steps * width + n * width + 2 * batch * n,), gy.dtype

    def eval(self, gy, forward, weight_hh, h0, c0):  # type: ignore[override]
        batch, n = h0.shape
        steps = gy.shape[1] - 1
        gy = np.ascontiguousarray(gy)
        ys, gates, cells = _forward_pieces(forward, batch, steps, n)
        out = np.empty(self.shape, gy.dtype)
        dzx, dw, dh0, dc = _backward_pieces(out, batch, steps, n)
        dc[...] = gy[:, steps]
        dh = np.empty((batch, n), gy.dtype)
        dhw = np.empty((n, batch), gy.dtype)  # weight @ dz.T: the faster orientation in sgemm
        kernels = _kernels()
        step = _backward_step_numpy if kernels is None else kernels.backward_step
        for t in reversed(range(steps)):
            if t < steps - 1:
                np.matmul(weight_hh, dzx[:, t + 1].T, out=dhw)
            c_prev = c0 if t == 0 else cells[t - 1]
            step(gy, t, t == steps - 1, dhw, c_prev, gates[t], cells[t], dh, dc, dzx)
        previous = np.empty((batch, steps, n), gy.dtype)
        previous[:, 0] = h0
        previous[:, 1:] = ys[:, : steps - 1]
        np.matmul(previous.reshape(-1, n).T, dzx.reshape(-1, 4 * n), out=dw)
        np.matmul(weight_hh, dzx[:, 0].T, out=dhw)
        dh0[...] = dhw.T
        return out

    def composite(  # type: ignore[override]  # an op names its own inputs
        self, gy: Node, forward: Node, weight_hh: Node, h0: Node, c0: Node
    ) -> Node:
        batch, n = h0.shape
        steps = gy.shape[1] - 1
        ys, gates, cells = _forward_pieces(forward, batch, steps, n)

        def gates_at(t: int):
            z = gates[t]
            return (*(z[:, k * n : (k + 1) * n] for k in range(4)), ops.tanh(cells[t]))

        previous = ops.stack([h0] + [ys[:, t] for t in range(steps - 1)], axis=1)
        pieces = _bptt(
            gy,
            weight_hh,
            gates_at,
            lambda t: c0 if t == 0 else cells[t - 1],
            previous,
            lambda dz, w: dz @ ops.transpose(w),
        )
        return ops.concatenate([ops.ravel(x) for x in pieces])


@custom_gradient
def _fused_recurrence(zx: Node, weight_hh: Node, h0: Node, c0: Node):
    batch, steps, width = zx.shape
    forward = LSTMForward(zx, weight_hh, h0, c0)
    out = _forward_pieces(forward, batch, steps, width // 4)[0]

    def rule(gy: Node):
        backward = LSTMBackward(gy, forward, weight_hh, h0, c0)
        return _backward_pieces(backward, batch, steps, width // 4)

    return out, rule


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _forward_step_numpy(zx, t, hw, c_prev, gates, cells, ys) -> None:
    """`_lstm_kernels.forward_step` in NumPy (LSTMForward evaluated without numba)."""
    n = c_prev.shape[1]
    z = zx[:, t] + hw
    gates[:, : 2 * n] = _sigmoid(z[:, : 2 * n])
    gates[:, 2 * n : 3 * n] = np.tanh(z[:, 2 * n : 3 * n])
    gates[:, 3 * n :] = _sigmoid(z[:, 3 * n :])
    i, f, g, o = (gates[:, k * n : (k + 1) * n] for k in range(4))
    cells[...] = f * c_prev + i * g
    ys[:, t] = o * np.tanh(cells)


def _backward_step_numpy(gy, t, last, dhw, c_prev, gates, cells, dh, dc, dzx) -> None:
    """`_lstm_kernels.backward_step` in NumPy (LSTMBackward evaluated without numba)."""
    n = dc.shape[1]
    dh[...] = gy[:, t] if last else gy[:, t] + dhw.T
    i, f, g, o = (gates[:, k * n : (k + 1) * n] for k in range(4))
    tc = np.tanh(cells)
    dc += dh * o * (1 - tc * tc)
    dzx[:, t, 3 * n :] = dh * tc * o * (1 - o)
    dzx[:, t, :n] = dc * g * i * (1 - i)
    dzx[:, t, n : 2 * n] = dc * c_prev * f * (1 - f)
    dzx[:, t, 2 * n : 3 * n] = dc * i * (1 - g * g)
    dc *= f
