"""Sliding windows over the last two axes, the building block of convolution and pooling.

`windows(x, kernel, stride)` views ``(..., H, W)`` as ``(..., OH, OW, KH, KW)``: one
``KH x KW`` patch per output position. A convolution is then one einsum of the windows with
the kernel, and pooling is a max or a mean over the last two axes. Its adjoint,
`WindowsAdjoint`, adds each window back onto the positions it was read from; each op is the
other's gradient, so derivatives of every order stay within these two classes.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..node import Node, as_node
from ._common import like_of

__all__ = ["windows"]


def _pair(op: str, name: str, value) -> tuple[int, int]:
    """`value` (an int or a pair of ints) as a pair of positive ints."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(v, (int, np.integer)) for v in pair)
    ):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return int(pair[0]), int(pair[1])


def _output_size(
    size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int]
) -> tuple[int, int]:
    return (size[0] - kernel[0]) // stride[0] + 1, (size[1] - kernel[1]) // stride[1] + 1


class Windows(Node):
    """The ``kernel`` patches of the last two axes at steps of ``stride``: (..., OH, OW, KH, KW)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]

    @classmethod
    def infer(cls, x, *, kernel, stride):  # type: ignore[override]  # an op names its own inputs
        if x.ndim < 2:
            raise ValueError(f"Windows: input of shape {x.shape} needs at least two axes")
        if x.shape[-2] < kernel[0] or x.shape[-1] < kernel[1]:
            raise ValueError(
                f"Windows: kernel {kernel} is larger than the last two axes of input of "
                f"shape {x.shape}"
            )
        return x.shape[:-2] + _output_size(x.shape[-2:], kernel, stride) + kernel, x.dtype

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        view = sliding_window_view(x, self.kernel, axis=(-2, -1))
        return view[..., :: self.stride[0], :: self.stride[1], :, :]

    def grad(self, g):
        hw = self.inputs[0].shape[-2:]
        return (WindowsAdjoint(g, kernel=self.kernel, stride=self.stride, hw=hw),)


class WindowsAdjoint(Node):
    """Windows ``(..., OH, OW, KH, KW)`` summed back onto ``(..., *hw)``: Windows' transpose."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    hw: tuple[int, int]

    @classmethod
    def infer(cls, g, *, kernel, stride, hw):  # type: ignore[override]  # an op names its own inputs
        expected = _output_size(hw, kernel, stride) + kernel
        if g.shape[g.ndim - 4 :] != expected or g.ndim < 4:
            raise ValueError(
                f"WindowsAdjoint: input of shape {g.shape} must end with {expected} for windows "
                f"{kernel} at stride {stride} over {hw}"
            )
        return g.shape[:-4] + hw, g.dtype

    def eval(self, g):  # type: ignore[override]  # an op names its own inputs
        out = np.zeros(self.shape, g.dtype, like=like_of(g))
        oh, ow = g.shape[-4:-2]
        (sh, sw), (kh, kw) = self.stride, self.kernel
        for i in range(kh):
            for j in range(kw):
                rows, cols = (
                    slice(i, i + sh * (oh - 1) + 1, sh),
                    slice(j, j + sw * (ow - 1) + 1, sw),
                )
                out[..., rows, cols] += g[..., i, j]
        return out

    def grad(self, g):
        return (Windows(g, kernel=self.kernel, stride=self.stride),)


def windows(x, kernel_size, stride=1) -> Node:
    """Sliding ``kernel_size`` windows over the last two axes of x, ``stride`` apart.

    A ``(..., H, W)`` input gives ``(..., OH, OW, KH, KW)`` with ``OH = (H - KH) // SH + 1``
    (and likewise OW). Pad first (`ad.pad`) for windows that overhang the border.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.ops.window import windows
    >>> x = ad.Variable(np.arange(16.0).reshape(4, 4))
    >>> w = windows(x, 2, stride=2)
    >>> w.shape
    (2, 2, 2, 2)
    >>> w()[1, 0]
    array([[ 8.,  9.],
           [12., 13.]])
    """
    x = as_node(x)
    kernel = _pair("Windows", "kernel_size", kernel_size)
    stride = _pair("Windows", "stride", stride)
    return Windows(x, kernel=kernel, stride=stride)
