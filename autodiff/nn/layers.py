"""Layers: modules that build the usual pieces of a network out of autodiff ops.

Dense (`Linear`, `Embedding`, `LayerNorm`, `Flatten`), recurrent (`RNN`, `LSTM`, `GRU` and
their one-step cells), convolution and pooling over a sliding-window view (`Conv2d`,
`MaxPool2d`, `AvgPool2d`) and `Dropout`. Each checks its input when the graph is built and
names itself and the shapes when something does not fit. Images are ``(N, C, H, W)``; every
weight puts input features before output features (``x @ weight``). Parameters start from
the seeded initialisers in `autodiff.nn.init`: pass `rng` (a Generator or an int seed), or
leave it None to draw from the default generator that `init.seed` resets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import ops
from ..node import Constant, Node, Variable, composition, toposort
from ..ops.elementwise import as_node
from ..ops.window import _pair, windows
from . import init
from .module import Module
from .recurrence import input_projection, lstm_sequence


# -- checks -----------------------------------------------------------------------------
class CheckRange(Node):
    """`x` unchanged, after checking that its integer values lie in [0, n) (labels, token ids).

    The check runs whenever the graph is evaluated, and at once for a Constant.
    """

    differentiable = False
    n: int
    what: str

    @classmethod
    def infer(cls, x, *, n, what):  # type: ignore[override]  # an op names its own inputs
        if x.dtype.kind not in "iu":
            raise TypeError(f"{what} must be integers, got dtype {x.dtype}")
        if isinstance(x, Constant):
            _check_range(x.eval(), n, what)
        return x.shape, x.dtype

    def eval(self, x):  # type: ignore[override]
        _check_range(x, self.n, self.what)
        return x

    def grad(self, g):
        return (None,)


def _check_range(values: np.ndarray, n: int, what: str) -> None:
    if values.size and (values.min() < 0 or values.max() >= n):
        bad = values[(values < 0) | (values >= n)]
        raise ValueError(f"{what} must lie in [0, {n}), got {bad.ravel()[0]}")


def check_range(x, n: int, what: str) -> Node:
    """`x` guarded: evaluating it raises ValueError(`what` ...) if a value is outside [0, n).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> ids = ad.Variable(np.array([1, 5]))
    >>> nn.check_range(ids, 3, "token ids")()
    Traceback (most recent call last):
    ValueError: token ids must lie in [0, 3), got 5
    """
    return CheckRange(as_node(x), n=int(n), what=str(what))


def _size(layer: str, **sizes: Any) -> None:
    for name, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{layer}: {name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{layer}: {name} must be positive, got {value}")


def _features(layer: str, x: Node, n: int, what: str = "features") -> None:
    if x.ndim == 0 or x.shape[-1] != n:
        raise ValueError(f"{layer}: input of shape {x.shape} must end with {n} {what}")


# -- dense --------------------------------------------------------------------------------
class Linear(Module):
    """``x @ weight + bias`` over the last axis: weight ``(in, out)``, Glorot-uniform; bias zeros.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> layer = nn.Linear(4, 2, rng=0)
    >>> layer(ad.Variable(np.ones((3, 4)))).shape
    (3, 2)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, rng=None, dtype=np.float64
    ):
        _size("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = int(in_features), int(out_features)
        shape = (self.in_features, self.out_features)
        self.weight = Variable(init.glorot_uniform(shape, rng=rng, dtype=dtype), name="weight")
        self.bias = Variable(init.zeros(self.out_features, dtype), name="bias") if bias else None

    def forward(self, x: Node) -> Node:
        x = as_node(x)
        _features("Linear", x, self.in_features)
        y = x @ self.weight
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.out_features}" + (
            "" if self.bias is not None else ", no bias"
        )


class Embedding(Module):
    """Rows of a ``(num_embeddings, dim)`` table looked up by integer ids; weight ~ N(0, 1).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> embed = nn.Embedding(10, 3, rng=0)
    >>> embed(ad.Variable(np.array([[1, 2], [3, 9]]))).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, dim: int, rng=None, dtype=np.float64):
        _size("Embedding", num_embeddings=num_embeddings, dim=dim)
        self.num_embeddings, self.dim = int(num_embeddings), int(dim)
        self.weight = Variable(
            init.normal((self.num_embeddings, self.dim), rng=rng, dtype=dtype), name="weight"
        )

    def forward(self, ids: Node) -> Node:
        ids = check_range(ids, self.num_embeddings, "Embedding: token ids")
        return ops.take(self.weight, ids, axis=0)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.dim}"


class LayerNorm(Module):
    """Normalise over the trailing `shape` axes to mean 0 and variance 1, then scale and shift.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> y = nn.LayerNorm(4)(ad.Variable(np.arange(8.0).reshape(2, 4)))
    >>> np.round(y()[0], 3)
    array([-1.342, -0.447,  0.447,  1.342])
    """

    def __init__(self, shape: int | Sequence[int], eps: float = 1e-5, dtype=np.float64):
        self.shape = (
            (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
        )
        if not self.shape or min(self.shape) < 1:
            raise ValueError(f"LayerNorm: shape must be positive sizes, got {shape!r}")
        self.eps = float(eps)
        self.weight = Variable(np.ones(self.shape, dtype), name="weight")
        self.bias = Variable(np.zeros(self.shape, dtype), name="bias")

    @composition("layer_norm")
    def forward(self, x: Node) -> Node:
        x = as_node(x)
        k = len(self.shape)
        if x.shape[x.ndim - k :] != self.shape or x.ndim < k:
            raise ValueError(f"LayerNorm: input of shape {x.shape} must end with {self.shape}")
        axes = tuple(range(x.ndim - k, x.ndim))
        centred = x - ops.mean(x, axes, keepdims=True)
        variance = ops.mean(ops.square(centred), axes, keepdims=True)
        return centred / ops.sqrt(variance + self.eps) * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"{self.shape}, eps={self.eps}"


class Flatten(Module):
    """Join the axes from `start_axis` on into one: ``(N, C, H, W) -> (N, C*H*W)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> nn.Flatten()(ad.Variable(np.zeros((2, 3, 4, 5)))).shape
    (2, 60)
    """

    def __init__(self, start_axis: int = 1):
        self.start_axis = int(start_axis)

    def forward(self, x: Node) -> Node:
        x = as_node(x)
        if not 0 <= self.start_axis < max(x.ndim, 1):
            raise ValueError(
                f"Flatten: start_axis {self.start_axis} is out of range "
                f"for input of shape {x.shape}"
            )
        return ops.reshape(x, x.shape[: self.start_axis] + (-1,))


# -- dropout ------------------------------------------------------------------------------
class Noise(Variable):
    """A Variable holding random numbers: `resample()` draws new ones with `draw()`.

    A training step (`optim.TrainStep`) resamples every Noise in its graph before each step;
    elsewhere call `resample` yourself.

    >>> import numpy as np
    >>> from autodiff import nn
    >>> rng = np.random.default_rng(0)
    >>> noise = nn.Noise(lambda: rng.random(3))
    >>> before = noise.value.copy(); noise.resample()
    >>> bool((noise.value != before).all())
    True
    """

    _draw: Callable[[], np.ndarray]

    def __init__(self, draw: Callable[[], np.ndarray], name: str = "noise"):
        super().__init__(draw(), name=name)
        object.__setattr__(self, "_draw", draw)

    def resample(self) -> None:
        self.value = self._draw()


def resample(outputs: Node | Sequence[Node]) -> list[Noise]:
    """Draw new values for every Noise that `outputs` depend on; returns them.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> y = nn.Dropout(0.5, rng=0)(ad.Variable(np.ones(4)))
    >>> len(nn.resample(y))
    1
    """
    outputs = [outputs] if isinstance(outputs, Node) else list(outputs)
    noises = [node for node in toposort(outputs) if isinstance(node, Noise)]
    for noise in noises:
        noise.resample()
    return noises


class Dropout(Module):
    """In training mode, zero each element with probability p and scale the rest by 1/(1-p).

    The mask is a `Noise` drawn anew before each training step from the Generator `rng`
    (save and restore ``rng.bit_generator.state`` to repeat the masks of a run); in evaluation
    mode (and for p = 0) the layer is the identity.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> drop = nn.Dropout(0.5, rng=0)
    >>> sorted(set(drop(ad.Variable(np.ones(100)))().tolist()))
    [0.0, 2.0]
    >>> x = ad.Variable(np.ones(3))
    >>> drop.eval()(x) is x
    True
    """

    def __init__(self, p: float = 0.5, rng=None):
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = np.random.default_rng(init.as_rng(rng).integers(2**63))

    def forward(self, x: Node) -> Node:
        x = as_node(x)
        if not self.training or self.p == 0:
            return x
        keep, shape, dtype, rng = 1 - self.p, x.shape, x.dtype, self.rng

        def draw() -> np.ndarray:
            return ((rng.random(shape, dtype=np.float32) < keep) / keep).astype(dtype)

        return x * Noise(draw, name="dropout_mask")

    def extra_repr(self) -> str:
        return f"p={self.p}"


# -- recurrent ------------------------------------------------------------------------------
class _Cell(Module):
    """One step of a recurrent layer: ``cell(x, state) -> new state`` (a tuple; output first)."""

    gates = 1  # blocks of `hidden_size` columns in the weights
    state_size = 1  # nodes in the state tuple

    def __init__(self, input_size: int, hidden_size: int, rng=None, dtype=np.float64):
        _size(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        rng = init.as_rng(rng)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        width = self.gates * self.hidden_size
        self.weight_ih = Variable(
            init.glorot_uniform((self.input_size, width), rng=rng, dtype=dtype), name="weight_ih"
        )
        recurrent = [
            init.orthogonal((self.hidden_size, self.hidden_size), rng=rng, dtype=dtype)
            for _ in range(self.gates)
        ]
        self.weight_hh = Variable(np.concatenate(recurrent, axis=1), name="weight_hh")
        self.bias = Variable(self._initial_bias(dtype), name="bias")

    def _initial_bias(self, dtype) -> np.ndarray:
        return np.zeros(self.gates * self.hidden_size, dtype)

    def _check(self, x: Node, state: Sequence[Node]) -> tuple[Node, tuple[Node, ...]]:
        name = type(self).__name__
        x = as_node(x)
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"{name}: input of shape {x.shape} must be (batch, {self.input_size})")
        if not isinstance(state, (list, tuple)):
            raise TypeError(
                f"{name}: state must be a list or tuple of nodes, got {type(state).__name__}"
            )
        state = tuple(as_node(s) for s in state)
        want = (x.shape[0], self.hidden_size)
        if len(state) != self.state_size or any(s.shape != want for s in state):
            shapes = [s.shape for s in state]
            raise ValueError(
                f"{name}: state must be {self.state_size} node(s) of shape {want}, got {shapes}"
            )
        return x, state

    def _project(self, x: Node, h: Node) -> Node:
        """``x @ weight_ih + h @ weight_hh + bias`` as one matrix product."""
        joined = ops.concatenate([self.weight_ih, self.weight_hh], axis=0)
        return ops.concatenate([x, h], axis=1) @ joined + self.bias

    def _gate(self, z: Node, k: int) -> Node:
        return z[:, k * self.hidden_size : (k + 1) * self.hidden_size]

    def zero_state(self, batch: int) -> tuple[np.ndarray, ...]:
        """A state of zeros for `batch` sequences, as arrays."""
        return tuple(
            np.zeros((batch, self.hidden_size), self.weight_hh.dtype)
            for _ in range(self.state_size)
        )

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_Cell):
    """One step of a vanilla RNN: ``h = tanh(x @ weight_ih + h @ weight_hh + bias)``.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> cell = nn.RNNCell(3, 5, rng=0)
    >>> (h,) = cell(ad.Variable(np.ones((2, 3))), [ad.zeros((2, 5))])
    >>> h.shape
    (2, 5)
    """

    def forward(self, x: Node, state: Sequence[Node]) -> tuple[Node]:
        x, (h,) = self._check(x, state)
        return (ops.tanh(self._project(x, h)),)


class LSTMCell(_Cell):
    """One LSTM step; gates input, forget, cell, output (in that column order); forget bias 1.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> cell = nn.LSTMCell(3, 5, rng=0)
    >>> h, c = cell(ad.Variable(np.ones((2, 3))), [ad.zeros((2, 5)), ad.zeros((2, 5))])
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    gates = 4
    state_size = 2

    def _initial_bias(self, dtype) -> np.ndarray:
        bias = np.zeros(4 * self.hidden_size, dtype)
        # remember by default (Jozefowicz et al.)
        bias[self.hidden_size : 2 * self.hidden_size] = 1.0
        return bias

    def forward(self, x: Node, state: Sequence[Node]) -> tuple[Node, Node]:
        x, (h, c) = self._check(x, state)
        z = self._project(x, h)
        i, f, o = (ops.sigmoid(self._gate(z, k)) for k in (0, 1, 3))
        g = ops.tanh(self._gate(z, 2))
        c = f * c + i * g
        return o * ops.tanh(c), c


class GRUCell(_Cell):
    """One GRU step (gates reset, update, new; the reset gate scales ``h @ weight_hh``).

    ``r, u = sigmoid(...)``, ``n = tanh(x W_in + r * (h W_hn + b_hn) + b_in)``,
    ``h = (1 - u) * n + u * h``; `bias` holds the input biases, `bias_hh` the hidden ones.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> (h,) = nn.GRUCell(3, 5, rng=0)(ad.Variable(np.ones((2, 3))), [ad.zeros((2, 5))])
    >>> h.shape
    (2, 5)
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int, rng=None, dtype=np.float64):
        super().__init__(input_size, hidden_size, rng, dtype)
        self.bias_hh = Variable(np.zeros(3 * self.hidden_size, dtype), name="bias_hh")

    def forward(self, x: Node, state: Sequence[Node]) -> tuple[Node]:
        x, (h,) = self._check(x, state)
        gx = x @ self.weight_ih + self.bias
        gh = h @ self.weight_hh + self.bias_hh
        r = ops.sigmoid(self._gate(gx, 0) + self._gate(gh, 0))
        u = ops.sigmoid(self._gate(gx, 1) + self._gate(gh, 1))
        n = ops.tanh(self._gate(gx, 2) + r * self._gate(gh, 2))
        return ((1 - u) * n + u * h,)


class _Recurrent(Module):
    """`num_layers` cells stacked, run over a sequence: ``layer(xs, state) -> (ys, state)``."""

    cell: type[_Cell] = _Cell
    whole_sequence = False  # whether `_whole_sequence` runs all steps of a layer at once

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, rng=None, dtype=np.float64
    ):
        _size(type(self).__name__, num_layers=num_layers)
        rng = init.as_rng(rng)
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        self.cells = [self.cell(n, hidden_size, rng=rng, dtype=dtype) for n in sizes]

    def zero_state(self, batch: int) -> list[tuple[np.ndarray, ...]]:
        """A state of zeros for `batch` sequences: one tuple of arrays per layer.

        >>> from autodiff import nn
        >>> [[h.shape for h in layer] for layer in nn.LSTM(3, 4, num_layers=2).zero_state(5)]
        [[(5, 4), (5, 4)], [(5, 4), (5, 4)]]
        """
        return [cell.zero_state(batch) for cell in self.cells]

    def _whole_sequence(self, xs, steps: list[Node], state: Sequence[Sequence[Node]]):
        raise NotImplementedError

    def forward(self, xs: Node | Sequence[Node], state: Sequence[Sequence[Node]] | None = None):
        """Run over `xs`: a ``(batch, time, features)`` node, or a list of ``(batch, features)``
        nodes, one per step (faster to differentiate for long sequences, as no slice of a
        big node is taken). Returns the top layer's outputs in the same form, and the final
        state: one tuple per layer. `state` defaults to zeros.
        """
        name = type(self).__name__
        if isinstance(xs, (list, tuple)):
            steps = [as_node(x) for x in xs]
        else:
            xs = as_node(xs)
            if xs.ndim != 3:
                raise ValueError(
                    f"{name}: input of shape {xs.shape} must be (batch, time, features) "
                    "or a list of steps"
                )
            steps = [xs[:, t] for t in range(xs.shape[1])]
        if not steps:
            raise ValueError(f"{name}: the sequence is empty")
        if state is None:
            if steps[0].ndim != 2:
                raise ValueError(
                    f"{name}: each step must be (batch, features), got shape {steps[0].shape}"
                )
            shape = (steps[0].shape[0], self.cells[0].hidden_size)
            state = [
                tuple(ops.zeros(shape, cell.weight_hh.dtype) for _ in range(cell.state_size))
                for cell in self.cells
            ]
        if len(state) != len(self.cells):
            raise ValueError(
                f"{name}: state has {len(state)} layers, the layer has {len(self.cells)}"
            )
        state = [tuple(layer) for layer in state]
        if self.whole_sequence:
            return self._whole_sequence(xs, steps, state)
        outputs = []
        for x in steps:
            for k, cell in enumerate(self.cells):
                state[k] = cell(x, state[k])
                x = state[k][0]
            outputs.append(x)
        ys = outputs if isinstance(xs, (list, tuple)) else ops.stack(outputs, axis=1)
        return ys, state

    def extra_repr(self) -> str:
        first = self.cells[0]
        return f"{first.input_size}, {first.hidden_size}, num_layers={len(self.cells)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class RNN(_Recurrent):
    """A vanilla (tanh) RNN of `num_layers` `RNNCell` layers over a sequence.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> ys, state = nn.RNN(3, 5, rng=0)(ad.Variable(np.ones((2, 7, 3))))
    >>> ys.shape, [h.shape for (h,) in state]
    ((2, 7, 5), [(2, 5)])
    """

    cell = RNNCell


class LSTM(_Recurrent):
    """An LSTM of `num_layers` `LSTMCell` layers over a sequence; the state is (h, c) per layer.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> steps = [ad.Variable(np.ones((2, 3))) for _ in range(4)]
    >>> ys, state = nn.LSTM(3, 5, num_layers=2, rng=0)(steps)
    >>> len(ys), ys[-1].shape, len(state)
    (4, (2, 5), 2)
    """

    cell = LSTMCell
    whole_sequence = True

    def _whole_sequence(self, xs, steps: list[Node], state: Sequence[Sequence[Node]]):
        """Each layer as one input projection for all steps, then `lstm_sequence`: the same
        values as the step-by-step form, in fewer and larger operations."""
        first, _ = self.cells[0]._check(steps[0], state[0])  # the checks of LSTMCell
        for x in steps[1:]:
            if x.shape != first.shape:
                raise ValueError(
                    f"LSTM: every step must have the shape of the first, {first.shape}; "
                    f"got {x.shape}"
                )
        as_list = isinstance(xs, (list, tuple))
        xs = ops.stack(steps, axis=1) if as_list else xs
        final: list[tuple[Node, ...]] = []
        for cell, (h0, c0) in zip(self.cells, state, strict=True):
            _, (h0, c0) = cell._check(steps[0] if not final else final[-1][0], (h0, c0))
            zx = input_projection(xs, cell.weight_ih, cell.bias)
            y = lstm_sequence(zx, cell.weight_hh, h0, c0)
            xs = y[:, :-1]
            final.append((y[:, -2], y[:, -1]))
        if as_list:
            return [xs[:, t] for t in range(xs.shape[1])], final
        return xs, final


class GRU(_Recurrent):
    """A GRU of `num_layers` `GRUCell` layers over a sequence.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> ys, _ = nn.GRU(3, 5, rng=0)(ad.Variable(np.ones((2, 7, 3))))
    >>> ys.shape
    (2, 7, 5)
    """

    cell = GRUCell


# -- convolution and pooling -------------------------------------------------------------------
def _padding(layer: str, padding) -> tuple[int, int]:
    pair = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(p, (int, np.integer)) for p in pair)
    ):
        raise TypeError(f"{layer}: padding must be an int or a pair of ints, got {padding!r}")
    if min(pair) < 0:
        raise ValueError(f"{layer}: padding must not be negative, got {padding!r}")
    return int(pair[0]), int(pair[1])


def _windows(layer: str, x: Node, kernel, stride, padding, fill: float = 0.0) -> Node:
    """Windows ``(N, C, OH, OW, KH, KW)`` of an image batch padded with `fill`."""
    if x.ndim != 4:
        raise ValueError(
            f"{layer}: input of shape {x.shape} must be (batch, channels, height, width)"
        )
    if any(padding):
        widths = ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1]))
        padded = ops.pad(x, widths)
        if fill != 0:
            inside = ops.pad(ops.full(x.shape, True, bool), widths)
            padded = ops.where(inside, padded, fill)
        x = padded
    if x.shape[2] < kernel[0] or x.shape[3] < kernel[1]:
        raise ValueError(
            f"{layer}: kernel {kernel} is larger than the padded input of shape {x.shape}"
        )
    return windows(x, kernel, stride)


class Conv2d(Module):
    """2-D convolution (cross-correlation) of ``(N, C, H, W)`` images, ``(KH, KW, C, out)`` kernel.

    One einsum over a sliding-window view of the (zero-padded) input.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> conv = nn.Conv2d(1, 4, 3, padding=1, rng=0)
    >>> conv(ad.Variable(np.ones((2, 1, 8, 8)))).shape
    (2, 4, 8, 8)
    >>> nn.Conv2d(1, 4, 3, stride=2, rng=0)(ad.Variable(np.ones((2, 1, 8, 8)))).shape
    (2, 4, 3, 3)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
        rng=None,
        dtype=np.float64,
    ):
        _size("Conv2d", in_channels=in_channels, out_channels=out_channels)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair("Conv2d", "kernel_size", kernel_size)
        self.stride = _pair("Conv2d", "stride", stride)
        self.padding = _padding("Conv2d", padding)
        shape = self.kernel_size + (self.in_channels, self.out_channels)
        self.weight = Variable(init.glorot_uniform(shape, rng=rng, dtype=dtype), name="weight")
        self.bias = Variable(init.zeros(self.out_channels, dtype), name="bias") if bias else None

    def forward(self, x: Node) -> Node:
        x = as_node(x)
        if x.ndim == 4 and x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d: input of shape {x.shape} has {x.shape[1]} channels, "
                f"expected {self.in_channels}"
            )
        patches = _windows("Conv2d", x, self.kernel_size, self.stride, self.padding)
        y = ops.einsum("ncyxij,ijco->noyx", patches, self.weight)
        return y if self.bias is None else y + ops.reshape(self.bias, (-1, 1, 1))

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels} -> {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        name = type(self).__name__
        self.kernel_size = _pair(name, "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else _pair(name, "stride", stride)
        self.padding = _padding(name, padding)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(
                f"{name}: padding {self.padding} must be at most half the kernel {self.kernel_size}"
            )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool):
    """The largest value in each window of ``(N, C, H, W)`` images (padding counts as -inf).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> x = ad.Variable(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> nn.MaxPool2d(2)(x)()[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    def forward(self, x: Node) -> Node:
        x = as_node(x)
        patches = _windows(
            "MaxPool2d", x, self.kernel_size, self.stride, self.padding, fill=-np.inf
        )
        return ops.max(patches, axis=(-2, -1))


class AvgPool2d(_Pool):
    """The mean of each window of ``(N, C, H, W)`` images (zero padding counts in the mean).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff import nn
    >>> x = ad.Variable(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> nn.AvgPool2d(2)(x)()[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    def forward(self, x: Node) -> Node:
        x = as_node(x)
        patches = _windows("AvgPool2d", x, self.kernel_size, self.stride, self.padding)
        return ops.mean(patches, axis=(-2, -1))
