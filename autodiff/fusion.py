"""Elementwise fusion in plans: a chain of arithmetic on large arrays as ONE numexpr call.

numexpr is an optional accelerator (``pip install autodiff[fast]``). When it is installed,
a plan (`autodiff.function`) looks, once its order is fixed, for maximal groups of
elementwise nodes whose intermediates nothing else reads, and evaluates each group in one
pass over memory instead of one NumPy call and one temporary array per op. Without numexpr,
or with fusion switched off, plans are plain NumPy, as before.

What is fused: the ops whose NumPy form numexpr computes bit for bit as NumPy does (checked
for every float, nan and inf included, in float32 and float64; each result keeps its node's
dtype): ``+ - * /``, negative, ``abs``, ``sqrt``, ``square`` (``x ** 2``), the comparisons
(as a group's last op), and einsums that only multiply two operands elementwise, with
broadcasting (``a[:, None] * W``; transposed operands are read as strided views). Exp, log,
tanh and the other transcendental functions are NOT fused: numexpr calls the C library's
versions, which differ from NumPy's in the last bit for a few percent of inputs, and are
slower than NumPy's vectorized ones. Each op is found by what it declares (its `ufunc`, its
`symbol`, its `print_form` and parameters); the numexpr syntax of each is kept here.

When: only groups of at least two ops whose result has at least ``MIN_SIZE[dtype]``
elements (None: never), the dtype being that of the group's inputs. Measured with
``python benchmarks/fusion.py`` on the development machine (x86-64 with AVX-512, 2 MiB of L2
per core and a large L3; NumPy 2.4, numexpr 2.14 without VML, one thread), the fused plan's
time over the plain one's: float64 1.1-1.8x below 10^6 elements, 0.7-1.1x at 1-2 million,
0.6-0.8x from 4 million (32 MB arrays) on; float32 1.0-2.4x at every size. NumPy's
vectorized loops writing into the plan's kept buffers, which stay in cache, are faster
than numexpr's block interpreter until the arrays are far larger than the cache; hence the
default: float64 from 2**22 elements, float32 never. numexpr runs with its own thread
setting (``numexpr.set_num_threads``), which plans leave as the user set it: changing it
around a call costs some 25 us.

Switching it off: set the environment variable ``AUTODIFF_FUSION=0`` before importing
autodiff, or ``autodiff.fusion.enabled = False`` (plans built afterwards are plain NumPy).

>>> import numpy as np, autodiff as ad
>>> x = ad.Variable(np.zeros(1 << 22), name="x")
>>> plan = ad.function(2 * x * x - x / 3, inputs=[x])
>>> float(plan(np.full(1 << 22, 3.0))[0])
17.0
>>> ad.fusion.fused_calls(plan) == (1 if ad.fusion.active() else 0)
True
"""

from __future__ import annotations

import collections
import functools
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .node import Node

try:
    import numexpr
except ImportError:  # the optional accelerator is not installed: plans stay plain NumPy
    numexpr = None

__all__ = ["active", "fused_calls", "enabled", "MIN_SIZE"]

enabled = os.environ.get("AUTODIFF_FUSION", "1").strip() not in ("0", "false", "no", "off")
# the fewest elements of a group's result (by its inputs' dtype) for which it is fused
MIN_SIZE: dict[str, int | None] = {"float64": 1 << 22, "float32": None}
_MAX_INPUTS = 24  # numexpr takes at most NumPy's 64 operands; keep well under
_MAX_OPS = 32  # members of one group (numexpr's registers are counted in a byte)

# the numexpr form of each NumPy ufunc it computes exactly as NumPy does
_UFUNCS: dict[Any, str] = {
    np.add: "({0} + {1})",
    np.subtract: "({0} - {1})",
    np.multiply: "({0} * {1})",
    np.divide: "({0} / {1})",
    np.negative: "(-{0})",
    np.absolute: "abs({0})",
    np.sqrt: "sqrt({0})",
}
_COMPARISONS = {s: f"({{0}} {s} {{1}})" for s in ("<", "<=", ">", ">=", "==", "!=")}
_NUMEXPR_TYPES = {np.dtype(np.float32): float, np.dtype(np.float64): np.float64}


def active() -> bool:
    """Whether plans built now fuse elementwise groups (numexpr installed and `enabled`).

    >>> import autodiff as ad
    >>> ad.fusion.active() in (True, False)
    True
    """
    return enabled and numexpr is not None


def fused_calls(plan: Any) -> int:
    """How many numexpr calls a plan (`autodiff.Function`) makes: its fused groups.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3))
    >>> ad.fusion.fused_calls(ad.function(x * x + 1, inputs=[x]))  # too small to pay
    0
    """
    run = getattr(plan, "_buffered", plan._run)
    space = run.__globals__
    names = re.findall(r"\b_u\d+\b", plan.source)
    return sum(isinstance(space.get(name), _Kernel) for name in names)


# -- what a node is, in numexpr's terms ------------------------------------------------------
Arrangement = tuple[tuple[int, ...], tuple[bool, ...]] | None  # (transpose, kept axes) or None


def _form(node: Node) -> tuple[str, list[Arrangement]] | None:
    """The numexpr template of `node` ({0}, {1} for its inputs) and how each input is laid
    out for it (None: as it is, broadcast), or None where the node is not fused."""
    if node.dtype not in _NUMEXPR_TYPES and node.dtype != bool:
        return None
    if not node.inputs or any(x.dtype not in _NUMEXPR_TYPES for x in node.inputs):
        return None
    if any(x.dtype != node.inputs[0].dtype for x in node.inputs):
        return None
    plain: list[Arrangement] = [None] * len(node.inputs)
    if node.dtype == bool:
        if node.ufunc is None and len(node.inputs) == 2 and node.symbol in _COMPARISONS:
            return _COMPARISONS[node.symbol], plain
        return None
    if node.dtype != node.inputs[0].dtype:
        return None
    if node.ufunc is not None:
        template = _UFUNCS.get(node.ufunc)
        return None if template is None else (template, plain)
    if node.print_form == "power" and getattr(node, "p", None) == 2:
        return "({0} * {0})", plain  # np.square is x * x
    if node.print_form == "einsum" and len(node.inputs) == 2:
        return _product(node)
    return None


def _product(node: Node) -> tuple[str, list[Arrangement]] | None:
    """An einsum that only multiplies its two operands elementwise (``ij,i->ij``): each
    operand transposed to the result's order, with new axes where it has none."""
    equation = getattr(node, "equation", "")
    lhs, _, out = equation.partition("->")
    terms = lhs.split(",")
    if not (out.isalpha() and len(set(out)) == len(out)) or len(terms) != 2:
        return None
    arrangements: list[Arrangement] = []
    for term in terms:
        if not term.isalpha() or len(set(term)) != len(term) or not set(term) <= set(out):
            return None
        order = tuple(sorted(range(len(term)), key=lambda k: out.index(term[k])))
        arrangements.append((order, tuple(label in term for label in out)))
    return "({0} * {1})", arrangements


def _arranged_shape(shape: tuple[int, ...], arrangement: Arrangement) -> tuple[int, ...]:
    if arrangement is None:
        return shape
    order, kept = arrangement
    sizes = iter(shape[k] for k in order)
    return tuple(next(sizes) if keep else 1 for keep in kept)


def _arrange(array: Any, arrangement: Arrangement) -> Any:
    """`array` as a view laid out for the group (transposed, with new axes)."""
    if arrangement is None:
        return array
    order, kept = arrangement
    array = np.asarray(array)
    if order != tuple(range(len(order))):
        array = array.transpose(order)
    return array[tuple(slice(None) if keep else None for keep in kept)]


def _identity(arrangement: Arrangement) -> bool:
    return arrangement is None or (
        all(arrangement[1]) and arrangement[0] == tuple(range(len(arrangement[0])))
    )


# -- the fused node and its kernel ----------------------------------------------------------
class Fused(Node):
    """Elementwise ops evaluated as one expression (made by plans; see the module's text).

    `expression` is in numexpr's syntax over the inputs ``i0, i1, ...``, each laid out by its
    entry of `views` (None, or a transpose and the result's axes it has); `kind` is the
    result's dtype. Its value is numexpr's where it is installed, else NumPy's, op by op.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, -2.0]))
    >>> ad.fusion.Fused(x, x, expression="((i0 * i1) + abs(i0))", views=(None, None),
    ...                 kind="<f8")()
    array([2., 6.])
    """

    expression: str
    views: tuple[Arrangement, ...]
    kind: str

    fresh = True
    differentiable = False

    @classmethod
    def infer(cls, *inputs, expression, views, kind):  # type: ignore[override]  # its own parameters
        if len(views) != len(inputs):
            raise ValueError(f"Fused: {len(inputs)} inputs but {len(views)} views")
        shapes = [_arranged_shape(x.shape, v) for x, v in zip(inputs, views, strict=True)]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError(f"Fused: cannot broadcast the inputs' shapes {shapes}") from None
        return shape, np.dtype(kind)

    @property
    def ufunc(self) -> Any:
        dtypes = tuple(x.dtype.str for x in self.inputs)
        return _kernel(self.expression, dtypes, self.views, self.kind)

    def eval(self, *arrays):
        return self.ufunc(*arrays)

    def grad(self, g):
        return (None,) * len(self.inputs)


class _Kernel:
    """One compiled group: called with the inputs' arrays (and the result's array, to write
    into, as a ufunc's ``out``); numexpr's precompiled program, or NumPy op by op."""

    __name__ = "fused"

    def __init__(self, expression: str, dtypes: tuple[str, ...], views, kind: str):
        self.expression = expression
        self.views = views
        self.count = len(dtypes)
        self.kind = np.dtype(kind)
        self.program = None
        if numexpr is not None and all(np.dtype(d) in _NUMEXPR_TYPES for d in dtypes):
            signature = [(f"i{k}", _NUMEXPR_TYPES[np.dtype(d)]) for k, d in enumerate(dtypes)]
            try:
                program = numexpr.NumExpr(
                    expression, signature=signature, optimization="none", truediv=True
                )
            except (ValueError, TypeError, KeyError, NotImplementedError, SyntaxError):
                program = None
            # its result's dtype must be the node's (numexpr would upcast silently)
            if program is not None and _NUMEXPR_RESULT.get(program.fullsig[:1]) == self.kind:
                self.program = program

    def __call__(self, *arrays: Any) -> Any:
        out = arrays[self.count] if len(arrays) > self.count else None
        arrays = tuple(
            _arrange(a, v) for a, v in zip(arrays[: self.count], self.views, strict=True)
        )
        if out is not None and any(_overlap(out, a) for a in arrays):
            out = None  # numexpr writes block by block: no input may be another view of out
        if self.program is None:
            return self.numpy(*arrays)
        return self.program(*arrays, out=out, order="K", casting="safe", ex_uses_vml=False)

    def numpy(self, *arrays: Any) -> Any:
        """The group's value computed by NumPy, op by op (no numexpr)."""
        names = {f"i{k}": np.asarray(a) for k, a in enumerate(arrays)}
        space = {"__builtins__": {}, "abs": np.absolute, "sqrt": np.sqrt}
        return np.array(eval(self.expression, space, names), dtype=self.kind)  # a new array


def _overlap(out: np.ndarray, array: Any) -> bool:
    """Whether `array` is laid out over `out`'s memory otherwise than as `out` itself (a
    transpose of it, a part of it): then writing `out` changes what is still to be read."""
    if not isinstance(array, np.ndarray) or not np.may_share_memory(out, array):
        return False
    same = array.shape == out.shape and array.strides == out.strides
    return not (same and array.ctypes.data == out.ctypes.data)


_NUMEXPR_RESULT = {b"f": np.dtype(np.float32), b"d": np.dtype(np.float64), b"b": np.dtype(bool)}


@functools.lru_cache(maxsize=512)
def _kernel(expression: str, dtypes: tuple[str, ...], views, kind: str) -> _Kernel:
    return _Kernel(expression, dtypes, views, kind)


# -- finding the groups -------------------------------------------------------------------
def fuse(
    nodes: Sequence[Node], outputs: Sequence[Node], inputs: Sequence[Node]
) -> tuple[list[Node], list[Node]]:
    """`nodes` (a plan's order) and `outputs` with each fusable group as one `Fused` node.

    A group is a root node and the nodes it reads, recursively, that are fusable, of the
    root's shape and dtype, read by nothing else and not outputs; its inputs are the values
    it reads from outside. Nodes downstream of a group are rebuilt to read its `Fused` node.
    Returns the lists unchanged when nothing is fused (or fusion is not `active`).
    """
    if not (active() and any(_large(node) for node in nodes)):
        return list(nodes), list(outputs)
    fed = {id(x) for x in inputs}
    known: set[int] = set()  # values the plan computes once, when it is built
    uses: collections.Counter[int] = collections.Counter()
    for node in nodes:
        if node.constant or (node.inputs and all(id(x) in known for x in node.inputs)):
            known.add(id(node))
        for x in node.inputs:
            uses[id(x)] += 1
        for x in node.plan_reads() or ():  # read by a line that is no group's
            uses[id(x)] += 2
    for node in outputs:
        uses[id(node)] += 2

    forms: dict[int, tuple[str, list[Arrangement]] | None] = {}

    def form(node: Node):
        if id(node) not in forms:
            outside = id(node) in fed or id(node) in known or node.identity
            forms[id(node)] = None if outside else _form(node)
        return forms[id(node)]

    absorbed: set[int] = set()
    groups: dict[int, Node] = {}
    for root in reversed(nodes):
        if id(root) in absorbed or not _large(root) or form(root) is None:
            continue
        members = _members(root, form, uses, absorbed)
        if members is None:
            continue
        fused = _fused(root, members, form)
        if fused is not None:
            groups[id(root)] = fused
            absorbed |= members - {id(root)}
    if not groups:
        return list(nodes), list(outputs)
    return _rebuilt(nodes, outputs, groups, absorbed)


def _large(node: Node) -> bool:
    """Whether `node`'s result is large enough to fuse (by `MIN_SIZE` for its inputs' dtype)."""
    if not node.inputs:
        return False
    least = MIN_SIZE.get(node.inputs[0].dtype.name)
    return least is not None and node.size >= least


def _members(root: Node, form, uses, absorbed) -> set[int] | None:
    """The nodes of `root`'s group (itself included), or None for a group of one op."""
    members = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        _, arrangements = form(node)
        for x, arrangement in zip(node.inputs, arrangements, strict=True):
            if (
                len(members) < _MAX_OPS
                and id(x) not in members
                and id(x) not in absorbed
                and uses[id(x)] == 1
                and x.shape == root.shape
                and x.dtype.kind == "f"  # a comparison ends its group
                and _identity(arrangement)
                and form(x) is not None
            ):
                members.add(id(x))
                stack.append(x)
    return members if len(members) > 1 else None


def _fused(root: Node, members: set[int], form) -> Node | None:
    """The `Fused` node computing `root` from its group's inputs (None: too many inputs)."""
    names: dict[tuple[int, Arrangement], str] = {}
    reads: list[tuple[Node, Arrangement]] = []

    def text(node: Node) -> str:
        template, arrangements = form(node)
        parts = []
        for x, arrangement in zip(node.inputs, arrangements, strict=True):
            if id(x) in members:
                parts.append(text(x))
                continue
            key = (id(x), arrangement)
            if key not in names:
                names[key] = f"i{len(names)}"
                reads.append((x, arrangement))
            parts.append(names[key])
        return template.format(*parts)

    expression = text(root)
    if len(reads) > _MAX_INPUTS:
        return None
    fused = Fused(
        *(x for x, _ in reads),
        expression=expression,
        views=tuple(arrangement for _, arrangement in reads),
        kind=root.dtype.str,
    )
    return fused if fused.shape == root.shape else None


def _rebuilt(nodes, outputs, groups, absorbed) -> tuple[list[Node], list[Node]]:
    """The plan's order with the groups replaced, downstream nodes rebuilt on them."""
    mapped: dict[int, Node] = {}
    order: list[Node] = []
    seen: set[int] = set()
    for node in nodes:
        if id(node) in absorbed:
            continue
        new = groups.get(id(node), node)  # a group's root: its Fused node
        if any(id(x) in mapped for x in new.inputs):  # it reads a group: rebuilt on it
            inputs = [mapped.get(id(x), x) for x in new.inputs]
            rebuilt = new.with_inputs(inputs)
            same = type(rebuilt) is type(new) and rebuilt.shape == new.shape
            if not (same and rebuilt.dtype == new.dtype and rebuilt.inputs == tuple(inputs)):
                return list(nodes), list(outputs)  # a fold changed the graph: keep it as it is
            new = rebuilt
        if new is not node:
            mapped[id(node)] = new
        if id(new) in seen:  # two groups computing the same: keep the plan as it is
            return list(nodes), list(outputs)
        seen.add(id(new))
        order.append(new)
    return order, [mapped.get(id(node), node) for node in outputs]
