"""Einsum, the only contraction op, and the factories built on it.

`einsum(equation, *operands)` validates the equation against the operands' shapes when the
graph is built, expands `...`, turns size-1 broadcasting into labels of their own, and
renames the labels canonically (so equal contractions are one node). Its gradient with
respect to each operand is another einsum. `sum`, `mean`, `transpose`, `matmul`, `dot`,
`vdot`, `outer`, `inner`, `trace`, `diagonal`, `tensordot` and `broadcast_to` build einsums.
Contraction order comes from opt_einsum, computed once per (equation, shapes); a plan writes
an einsum as matrix and broadcast products (`Einsum.lower`, see `einsum_plan`).
"""

from __future__ import annotations

import builtins
import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np
import opt_einsum

from ..node import Node, as_node
from ._common import dims, float_dtype, normalize_axes
from .creation import eye, full, ones, structural_zero, zeros
from .einsum_plan import _path, write_einsum
from .elementwise import add, astype, divide, multiply, where

__all__ = [
    "einsum",
    "sum",
    "mean",
    "transpose",
    "permute_dims",
    "matmul",
    "dot",
    "vdot",
    "outer",
    "inner",
    "trace",
    "diagonal",
    "tensordot",
    "broadcast_to",
]


@functools.lru_cache(maxsize=4096)
def contraction(equation: str, shapes: tuple[tuple[int, ...], ...]):
    """The opt_einsum expression for `equation` on `shapes`, planned once and reused, in
    the plans' contraction order (`einsum_plan._path`)."""
    return opt_einsum.contract_expression(equation, *shapes, optimize=_path(equation, shapes))


def _symbols(avoid: set[str]):
    return (s for s in (opt_einsum.get_symbol(i) for i in itertools.count()) if s not in avoid)


def _tokens(term: str, equation: str) -> list[str]:
    """Split one subscript term into labels, keeping '...' as one token."""
    if term.count("...") > 1:
        raise ValueError(f"Einsum {equation!r}: '...' appears more than once in {term!r}")
    head, dots, tail = term.partition("...")
    tokens = list(head) + (["..."] if dots else []) + list(tail)
    for t in tokens:
        if t != "..." and t.isascii() and not t.isalpha():  # '$', digits, spaces, ',', '-'...
            raise ValueError(f"Einsum {equation!r}: invalid subscript character {t!r}")
    return tokens


@functools.lru_cache(maxsize=8192)
def parse(equation: str, shapes: tuple[tuple[int, ...], ...]) -> tuple[str, tuple[int, ...]]:
    """Validate `equation` for operands of `shapes`; return (canonical equation, output shape).

    The canonical equation has no '...', no implicit output, a label of its own wherever a
    size-1 axis broadcasts against a larger one, and labels renamed in order of appearance.
    """
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise ValueError(f"Einsum {equation!r}: more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = [_tokens(t, equation) for t in lhs.split(",")]
    if len(terms) != len(shapes):
        raise ValueError(
            f"Einsum {equation!r}: {len(terms)} subscript terms for {len(shapes)} inputs"
        )

    # '...' stands for the trailing-aligned broadcast axes, given labels of their own
    n_dots = 0
    for i, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        named = len([t for t in term if t != "..."])
        if "..." in term and named <= len(shape):
            n_dots = builtins.max(n_dots, len(shape) - named)
        elif named != len(shape):
            raise ValueError(
                f"Einsum {equation!r}: input {i} has {len(shape)} axes but its subscripts "
                f"{''.join(term)!r} name {named}"
            )
    dots = [("...", k) for k in range(n_dots)]

    def expand(term, ndim):
        if "..." not in term:
            return list(term)
        at = term.index("...")
        k = ndim - (len(term) - 1)
        return term[:at] + dots[n_dots - k :] + term[at + 1 :]

    labels = [expand(t, len(s)) for t, s in zip(terms, shapes, strict=True)]

    sizes: dict = {}
    for i, (term, shape) in enumerate(zip(labels, shapes, strict=True)):
        own: dict = {}
        for label, n in zip(term, shape, strict=True):
            if own.setdefault(label, n) != n:
                raise ValueError(
                    f"Einsum {equation!r}: repeated label {_show(label)} has sizes {own[label]} "
                    f"and {n} in input {i} of shape {shape}"
                )
            if n != 1 and sizes.get(label, (1,))[0] not in (1, n):
                raise ValueError(
                    f"Einsum {equation!r}: label {_show(label)} has size {sizes[label][0]} in "
                    f"input {sizes[label][1]} of shape {shapes[sizes[label][1]]} but {n} in "
                    f"input {i} of shape {shape}"
                )
            if n != 1 or label not in sizes:
                sizes[label] = (n, i)

    if arrow:
        out_tokens = _tokens(rhs, equation)
        if n_dots and "..." not in out_tokens:
            raise ValueError(
                f"Einsum {equation!r}: the inputs have '...' axes, so the output needs '...' too"
            )
        out = expand(out_tokens, len(out_tokens) - 1 + n_dots)
        for label in out:
            if label not in sizes:
                raise ValueError(f"Einsum {equation!r}: output label {_show(label)} is in no input")
            if out.count(label) > 1:
                raise ValueError(f"Einsum {equation!r}: output label {_show(label)} is repeated")
    else:
        counts: dict = {}
        for term in labels:
            for label in term:
                counts[label] = counts.get(label, 0) + 1
        out = dots + sorted(k for k, c in counts.items() if c == 1 and k not in dots)

    # a size-1 axis that meets a larger one broadcasts: give it a label of its own
    for i, (term, shape) in enumerate(zip(labels, shapes, strict=True)):
        for j, (label, n) in enumerate(zip(term, shape, strict=True)):
            if n == 1 and sizes[label][0] != 1:
                term[j] = ("broadcast", i, label)

    canonical: dict = {}
    names = (opt_einsum.get_symbol(k) for k in itertools.count())
    for label in itertools.chain(*labels, out):
        if label not in canonical:
            canonical[label] = next(names)
    text = ",".join("".join(canonical[label] for label in term) for term in labels)
    text += "->" + "".join(canonical[label] for label in out)
    return text, tuple(sizes[label][0] for label in out)


def _show(label) -> str:
    return repr(label) if isinstance(label, str) else "'...'"


class Einsum(Node):
    """A contraction of its inputs following `equation` (canonical, see `parse`)."""

    print_form = "einsum"
    equation: str

    @classmethod
    def infer(cls, *operands, equation):  # type: ignore[override]  # an op names its own inputs
        _, shape = parse(equation, tuple(x.shape for x in operands))
        return shape, np.result_type(*(x.dtype for x in operands))

    @classmethod
    def fold(cls, shape, dtype, *operands, equation):  # type: ignore[override]  # an op names its own inputs
        if any(structural_zero(x) for x in operands):
            return zeros(shape, dtype)
        lhs, out = equation.split("->")
        if len(operands) == 1 and lhs == out:
            return operands[0]
        return None

    def eval(self, *arrays):
        return contraction(self.equation, tuple(x.shape for x in self.inputs))(*arrays)

    @property
    def fresh(self) -> bool:  # type: ignore[override]  # a property where Node has a class attribute
        return len(self.inputs) > 1  # one operand: a transpose or a diagonal may be a view

    @property
    def linear(self) -> tuple[int, ...]:  # type: ignore[override]  # a property where Node has a class attribute
        return tuple(range(len(self.inputs)))

    @property
    def dispatches(self) -> bool:  # type: ignore[override]  # a property where Node has a class attribute
        # a label twice in one operand (a trace, a diagonal): dask's einsum needs that
        # operand's axes in equal chunks, and fails when they are not
        return all(len(set(term)) == len(term) for term in self.labels()[0])

    def labels(self) -> tuple[list[str], str, dict[str, int]]:
        """The operands' subscripts, the output's, and the size of every label."""
        lhs, out = self.equation.split("->")
        terms = lhs.split(",")
        sizes = {
            label: n
            for t, x in zip(terms, self.inputs, strict=True)
            for label, n in zip(t, x.shape, strict=True)
        }
        return terms, out, sizes

    @property
    def blas_work(self) -> int:  # type: ignore[override]  # a property where Node has a class attribute
        """Its iteration space: the multiply-adds of a product of two (more for more)."""
        return math.prod(self.labels()[2].values()) if len(self.inputs) > 1 else 0

    def summed(self) -> int:
        """How many products each element of the result adds up."""
        terms, out, sizes = self.labels()
        return math.prod(sizes[label] for label in set("".join(terms)) - set(out))

    def uniform_value(self, values):
        return np.asarray(math.prod(values) * self.summed(), dtype=self.dtype).item()

    def value_bound(self, bounds):
        return math.prod(bounds) * self.summed()

    def lower(self, w, operands, target):
        if self.dtype.kind not in "fc":  # integers, booleans: NumPy's einsum, exact (and exported)
            path = ", optimize=True" if len(operands) > 2 else ""  # pairwise, not one loop nest
            w.lines.append(f"{target} = _np.einsum({self.equation!r}, {', '.join(operands)}{path})")
            return True
        operands = list(operands)
        for i, x in enumerate(self.inputs):
            if x.dtype.kind not in "fc":  # a mask or counts times floats: cast, as NumPy does
                cast = w.temp()
                w.lines.append(f"{cast} = {operands[i]}.astype({w.bind(self.dtype, '_dtype')})")
                operands[i] = cast
        floats = all(x.dtype == self.dtype or x.dtype.kind not in "fc" for x in self.inputs)
        w.dtype = self.dtype if floats else None
        write_einsum(w, self, operands, target, w.buffer())
        w.dtype = None
        return True

    def grad(self, g):
        terms, out, sizes = self.labels()
        fresh = _symbols(set(self.equation))
        grads = []
        for k, term in enumerate(terms):
            parts = ["..." + out] + terms[:k] + terms[k + 1 :]
            operands = [g, *self.inputs[:k], *self.inputs[k + 1 :]]
            present = set("".join(parts))
            target = ""
            for j, label in enumerate(term):
                if label in term[:j]:  # a repeated label: the gradient lives on the diagonal
                    new = next(fresh)
                    parts.append(label + new)
                    operands.append(eye(sizes[label], dtype=g.dtype))
                    target += new
                else:
                    if label not in present and term.count(label) == 1:
                        parts.append(label)  # summed inside this operand only: broadcast back
                        operands.append(ones(sizes[label], g.dtype))
                    target += label
            grads.append(einsum(",".join(parts) + "->..." + target, *operands))
        return grads


_SUBLIST_LABELS = range(52)  # the integer labels of NumPy's sublist form


def _sublist_labels(k: int, sublist) -> str:
    """One operand's axis labels in NumPy's sublist form (ints 0 to 51, Ellipsis) as letters:
    0 to 25 are A to Z and 26 to 51 a to z, as NumPy names them (so implicit outputs keep
    NumPy's order)."""
    labels = []
    for label in sublist if isinstance(sublist, (list, tuple)) else [sublist]:
        if label is Ellipsis:
            labels.append("...")
            continue
        integer = isinstance(label, (int, np.integer)) and not isinstance(label, bool)
        if not integer or label not in _SUBLIST_LABELS:
            raise TypeError(
                f"Einsum: sublist {k} must hold integers 0 to 51 or Ellipsis, got {label!r}"
            )
        labels.append(chr(ord("A") + label) if label < 26 else chr(ord("a") + label - 26))
    return "".join(labels)


def _from_sublists(args) -> tuple[str, list]:
    """(equation, operands) from np.einsum(op0, sublist0, op1, sublist1, ..., [sublistout])."""
    operands = list(args[0 : len(args) - len(args) % 2 : 2])
    terms = [_sublist_labels(k, sub) for k, sub in enumerate(args[1::2])]
    equation = ",".join(terms)
    if len(args) % 2:  # the output's sublist comes last
        equation += "->" + _sublist_labels(len(terms), args[-1])
    return equation, operands


def einsum(equation, *operands) -> Node:
    """Einstein summation, as np.einsum; the single contraction op of autodiff. NumPy's
    sublist form, operands interleaved with lists of integer labels (``einsum(a, [0, 1], b,
    [1], [0])``), works too.

    >>> import numpy as np, autodiff as ad
    >>> A = ad.Variable(np.arange(6.0).reshape(2, 3))
    >>> v = ad.Variable(np.ones(3))
    >>> ad.einsum("ij,j->i", A, v)()
    array([ 3., 12.])
    >>> ad.einsum(A, [0, 1], v, [1], [0])()
    array([ 3., 12.])
    """
    if not isinstance(equation, str):
        if not operands or not isinstance(operands[0], (list, tuple)):
            raise TypeError(
                f"Einsum: the equation must be a string (or NumPy's sublist form), got "
                f"{type(equation).__name__}"
            )
        equation, operands = _from_sublists((equation, *operands))  # type: ignore[assignment]
    nodes = [as_node(x) for x in operands]
    canonical, _ = parse(equation, tuple(x.shape for x in nodes))
    return Einsum(*nodes, equation=canonical)


# -- factories -----------------------------------------------------------------------------
def _letters(n: int, start: int = 0) -> str:
    return "".join(opt_einsum.get_symbol(i) for i in range(start, start + n))


def masked(mask, x: Node, other, op: str = "") -> Node:
    """x where the boolean `mask` holds, else `other` (for the `where=` of reductions)."""
    mask = as_node(mask)
    prefix = f"{op}: " if op else ""
    if mask.dtype != bool:
        raise TypeError(
            f"{prefix}where= must be boolean, got {mask.dtype} (input of shape {x.shape})"
        )
    try:
        fits = np.broadcast_shapes(mask.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{prefix}where= of shape {mask.shape} does not broadcast to input of shape {x.shape}"
        )
    return where(mask, x, np.asarray(other, x.dtype))


def sum(x, axis=None, keepdims: bool = False, *, dtype=None, initial=None, where=None) -> Node:
    """Sum over `axis` (None: all axes), as np.sum.

    `dtype` is the one it sums in (a float one) or gives (an integer one, wrapping around as
    NumPy's does); `initial` is added to every sum; `where` (a boolean array broadcast against
    x) leaves out the elements where it is False.

    >>> import numpy as np, autodiff as ad
    >>> ad.sum(ad.Variable(np.ones((2, 3))), axis=0)()
    array([2., 2., 2.])
    >>> ad.sum(ad.Variable(np.full(4, 200, np.uint8)))()   # no wrap-around, as in NumPy
    array(800, dtype=uint64)
    >>> ad.sum(ad.Variable(np.array([1.0, 2.0, 4.0])), where=np.array([True, False, True]))()
    array(5.)
    """
    x = as_node(x)
    if where is not None:
        x = masked(where, x, 0, "Sum")
    result_dtype = None if dtype is None else np.dtype(dtype)
    if result_dtype is not None and result_dtype.kind in "fc":
        x = astype(x, result_dtype)
    result = _sum(x, axis, keepdims)
    if initial is not None:
        if isinstance(initial, Node) or np.ndim(initial) != 0:
            raise TypeError(f"Sum: initial= must be a number, got {type(initial).__name__}")
        result = add(result, np.asarray(initial, result.dtype))
    if result_dtype is not None and result.dtype != result_dtype:
        result = astype(result, result_dtype)
    return result


def _sum(x: Node, axis, keepdims: bool) -> Node:
    if x.dtype.kind in "biu" and x.dtype.itemsize < 8:
        # as np.sum: booleans are counted (einsum would take a logical or), and narrow
        # integers add up in 64 bits (a uint8 image's sum does not wrap around)
        x = astype(x, np.uint64 if x.dtype.kind == "u" else np.int64)
    axes = normalize_axes("Sum", axis, x.shape)
    letters = _letters(x.ndim)
    out = "".join(label for i, label in enumerate(letters) if i not in axes)
    result = einsum(f"{letters}->{out}", x)
    if keepdims:
        result = result.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return result


def mean(x, axis=None, keepdims: bool = False, *, dtype=None, where=None) -> Node:
    """Mean over `axis` (None: all axes), as np.mean; `dtype` is the one it computes in.

    `where` (a boolean array or node broadcast against x) averages only the elements where
    it is True; a slice with none of them gives nan, as in NumPy.

    >>> import numpy as np, autodiff as ad
    >>> ad.mean(ad.Variable(np.array([1.0, 2.0, 6.0])))()
    array(3.)
    >>> ad.mean(ad.Variable(np.array([1.0, 2.0, 6.0])), where=np.array([True, True, False]))()
    array(1.5)
    >>> ad.mean(ad.Variable(np.zeros((0, 2))), axis=0)()   # the mean of nothing is nan
    array([nan, nan])
    """
    x = as_node(x)
    if not isinstance(keepdims, (bool, np.bool_, int, np.integer)):
        raise TypeError(f"Mean: keepdims must be a bool, got {keepdims!r} (pass dtype= by keyword)")
    result_dtype = None
    if dtype is not None:
        result_dtype = np.dtype(dtype)
        if result_dtype.kind in "fc":
            x = astype(x, result_dtype)
    axes = normalize_axes("Mean", axis, x.shape)
    if where is not None:
        total = sum(masked(where, x, 0, "Mean"), axes, keepdims)
        mask = as_node(where)
        kind = float_dtype(total.dtype)
        counts = sum(astype(broadcast_to(mask, x.shape), kind), axes, keepdims)
        result = divide(total, counts)
    else:
        count = int(np.prod([x.shape[a] for a in axes]))
        total = sum(x, axes, keepdims)
        if count == 0:  # 0 / 0, as NumPy gives it
            result = full(total.shape, np.nan, float_dtype(total.dtype))
        else:
            result = multiply(total, 1.0 / count)
    if result_dtype is not None and result.dtype != result_dtype:
        result = astype(result, result_dtype)
    return result


def transpose(x, axes: Sequence[int] | None = None) -> Node:
    """Permute axes, as np.transpose (default: reverse them).

    >>> import numpy as np, autodiff as ad
    >>> ad.transpose(ad.Variable(np.zeros((2, 3, 4))), (1, 0, 2)).shape
    (3, 2, 4)
    """
    x = as_node(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    given = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
    if len(given) != x.ndim:
        raise ValueError(f"Transpose: axes {given} do not match input of shape {x.shape}")
    axes = tuple(normalize_axes("Transpose", a, x.shape)[0] for a in given)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(
            f"Transpose: axes {given} are not a permutation of the axes of input of shape {x.shape}"
        )
    letters = _letters(x.ndim)
    return einsum(f"{letters}->{''.join(letters[a] for a in axes)}", x)


permute_dims = transpose


def matmul(x, y) -> Node:
    """Matrix product with NumPy's rules: 1-D operands and broadcast batch axes.

    >>> import numpy as np, autodiff as ad
    >>> A = ad.Variable(np.ones((5, 2, 3)))
    >>> (A @ np.ones((3, 4))).shape
    (5, 2, 4)
    """
    x, y = as_node(x), as_node(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"Matmul: inputs must have at least one axis, got shapes {x.shape} and {y.shape}"
        )
    k_x = x.shape[-1]
    k_y = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k_x != k_y:
        raise ValueError(
            f"Matmul: inner dimensions differ: input 0 of shape {x.shape} has {k_x}, "
            f"input 1 of shape {y.shape} has {k_y}"
        )
    left = "...ik" if x.ndim > 1 else "k"
    right = "...kj" if y.ndim > 1 else "k"
    out = "..." + ("i" if x.ndim > 1 else "") + ("j" if y.ndim > 1 else "")
    try:
        return einsum(f"{left},{right}->{out}", x, y)
    except ValueError:
        raise ValueError(
            f"Matmul: cannot broadcast the batch axes of shapes {x.shape} and {y.shape}"
        ) from None


def dot(x, y) -> Node:
    """Dot product as np.dot: sums the last axis of x with the second-to-last of y.

    >>> import numpy as np, autodiff as ad
    >>> ad.dot(ad.Variable(np.array([1.0, 2.0])), np.array([3.0, 4.0]))()
    array(11.)
    """
    x, y = as_node(x), as_node(y)
    if x.ndim == 0 or y.ndim == 0:
        return multiply(x, y)
    if y.ndim <= 2:
        return matmul(x, y)
    return tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2]))


def vdot(x, y) -> Node:
    """Sum of the elementwise product of the flattened inputs, as np.vdot (real arrays).

    >>> import numpy as np, autodiff as ad
    >>> ad.vdot(ad.Variable(np.ones((2, 2))), np.full((2, 2), 2.0))()
    array(8.)
    """
    x, y = as_node(x), as_node(y)
    if x.size != y.size:
        raise ValueError(
            f"Vdot: inputs have {x.size} and {y.size} elements (shapes {x.shape} and {y.shape})"
        )
    return einsum("i,i->", x.reshape(-1), y.reshape(-1))


def outer(x, y) -> Node:
    """Outer product of the flattened inputs, as np.outer.

    >>> import numpy as np, autodiff as ad
    >>> ad.outer(ad.Variable(np.ones(2)), np.ones(3)).shape
    (2, 3)
    """
    return einsum("i,j->ij", as_node(x).reshape(-1), as_node(y).reshape(-1))


def inner(x, y) -> Node:
    """Sum over the last axes of x and y, as np.inner.

    >>> import numpy as np, autodiff as ad
    >>> ad.inner(ad.Variable(np.ones((2, 3))), np.ones((4, 3))).shape
    (2, 4)
    """
    x, y = as_node(x), as_node(y)
    if x.ndim == 0 or y.ndim == 0:
        return multiply(x, y)
    return tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 1]))


def tensordot(x, y, axes=2) -> Node:
    """Sum over the given axes of x and y, as np.tensordot.

    >>> import numpy as np, autodiff as ad
    >>> ad.tensordot(ad.Variable(np.ones((2, 3, 4))), np.ones((3, 4, 5)), axes=2).shape
    (2, 5)
    """
    x, y = as_node(x), as_node(y)
    x_axes: list[int | np.integer]
    y_axes: list[int | np.integer]
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= builtins.min(x.ndim, y.ndim):
            raise ValueError(f"Tensordot: axes={axes} does not fit shapes {x.shape} and {y.shape}")
        x_axes, y_axes = list(range(x.ndim - axes, x.ndim)), list(range(axes))
    else:
        x_axes, y_axes = ([a] if isinstance(a, (int, np.integer)) else list(a) for a in axes)
    if len(x_axes) != len(y_axes):
        raise ValueError(
            f"Tensordot: {len(x_axes)} axes of input 0 paired with {len(y_axes)} of input 1"
        )
    x_axes = [normalize_axes("Tensordot", a, x.shape)[0] for a in x_axes]
    y_axes = [normalize_axes("Tensordot", a, y.shape)[0] for a in y_axes]
    for a, b in zip(x_axes, y_axes, strict=True):
        if x.shape[a] != y.shape[b]:
            raise ValueError(
                f"Tensordot: axis {a} of input 0 (shape {x.shape}) has size {x.shape[a]} but "
                f"axis {b} of input 1 (shape {y.shape}) has size {y.shape[b]}"
            )
    x_letters = list(_letters(x.ndim))
    y_letters = list(_letters(y.ndim, start=x.ndim))
    for a, b in zip(x_axes, y_axes, strict=True):
        y_letters[b] = x_letters[a]
    out = [label for i, label in enumerate(x_letters) if i not in x_axes]
    out += [label for i, label in enumerate(y_letters) if i not in y_axes]
    return einsum(f"{''.join(x_letters)},{''.join(y_letters)}->{''.join(out)}", x, y)


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Node:
    """The diagonal over two axes, moved to the end, as np.diagonal.

    `offset` > 0 takes a diagonal above the main one (entries ``[i, i + offset]``), < 0 one
    below; the axes may differ in length, and a diagonal outside the array is empty.

    >>> import numpy as np, autodiff as ad
    >>> ad.diagonal(ad.Variable(np.arange(4.0).reshape(2, 2)))()
    array([0., 3.])
    >>> ad.diagonal(ad.Variable(np.arange(6.0).reshape(2, 3)), offset=1)()
    array([1., 5.])
    """
    x = as_node(x)
    if isinstance(offset, (bool, np.bool_)) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"Diagonal: offset must be an integer, got {type(offset).__name__}")
    a, b = (normalize_axes("Diagonal", axis, x.shape)[0] for axis in (axis1, axis2))
    if a == b:
        raise ValueError(f"Diagonal: axis1 and axis2 are both {a} for input of shape {x.shape}")
    # the square block whose main diagonal is the wanted one, empty if it lies outside
    start_a = builtins.min(builtins.max(-offset, 0), x.shape[a])
    start_b = builtins.min(builtins.max(offset, 0), x.shape[b])
    length = builtins.min(x.shape[a] - start_a, x.shape[b] - start_b)
    if (start_a, start_b) != (0, 0) or x.shape[a] != x.shape[b]:
        key = [slice(None)] * x.ndim
        key[a] = slice(start_a, start_a + length)
        key[b] = slice(start_b, start_b + length)
        x = x[tuple(key)]
    letters = list(_letters(x.ndim))
    letters[b] = letters[a]
    rest = [label for i, label in enumerate(letters) if i not in (a, b)]
    return einsum(f"{''.join(letters)}->{''.join(rest)}{letters[a]}", x)


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Node:
    """Sum of the diagonal over two axes, as np.trace (see `diagonal` for `offset`).

    >>> import numpy as np, autodiff as ad
    >>> ad.trace(ad.Variable(np.eye(3)))()
    array(3.)
    >>> ad.trace(ad.Variable(np.arange(6.0).reshape(2, 3)), offset=-1)()
    array(3.)
    """
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def broadcast_to(x, shape: Sequence[int]) -> Node:
    """x repeated along broadcast axes to `shape`, as np.broadcast_to.

    >>> import numpy as np, autodiff as ad
    >>> ad.broadcast_to(ad.Variable(np.array([1.0, 2.0])), (3, 2))().sum()
    np.float64(9.0)
    """
    x = as_node(x)
    shape = dims("BroadcastTo", shape)
    try:
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"BroadcastTo: cannot broadcast input of shape {x.shape} to {shape}")
    letters = _letters(len(shape))
    lead = len(shape) - x.ndim
    terms = [letters[lead:]]
    operands = [x]
    for i, n in enumerate(shape):
        if i < lead or (x.shape[i - lead] == 1 and n != 1):
            terms.append(letters[i])
            operands.append(ones(n, x.dtype))
    return einsum(",".join(terms) + "->" + letters, *operands)
