"""Graph simplification: rewrite rules kept as data, applied until nothing changes.

`simplify(outputs)` returns a graph that evaluates to the same values (to float rounding),
with the same shapes and dtypes, and is usually much smaller and cheaper. `RULES` is the
table of identities, one row each with a one-line comment. Most rows are *local*: a function
that looks at one node, whose inputs are already simplified, and returns a replacement or
None. The rows without a function are carried out together by a term collector: a region of
float sums, differences, products, quotients and integer powers is read as a sum of
monomials over the nodes it is built from (its atoms), like terms are merged, and the sum is
written back factored (Horner's rule, largest arrays multiplied last) when that is no
more work than the region was. Einsums are fused into n-ary einsums whose contraction order
opt_einsum picks when the graph is planned (`autodiff.compile`).

The driver visits the graph in topological order, rebuilding each node from its simplified
inputs, and repeats whole passes until the outputs no longer change. Every pass is
iterative and linear in the size of the graph.

Values are kept exactly, nan and inf included: a simplified graph and the graph it came from
give the same numbers (to float rounding) for every input. A rewrite is made only where its
identity holds for every float, or where the graph shows it does for the values at hand:

- ``x * 0 -> 0``, ``0 / y -> 0`` and einsums with a zero operand fold only with constant,
  finite partners (``nan * 0`` is nan); ``log(exp(x)) -> x`` only where exp cannot overflow.
- The term collector does its full algebra (``x - x -> 0``, expanding products of sums,
  factoring ``x*y + x*z -> x*(y + z)``) only in regions that the graph bounds (built from
  tanh, sin, cos, sigmoid and finite constants), which never hold inf; an atom that cancels
  out there is kept as ``0 * atom`` so that nan stays nan. Elsewhere it only reorders terms and
  factors, gathers powers, merges like terms of one sign and combines constants, and factors
  a sum only by a bounded atom.
- What the graph was *built* with stays as built: the factories fold a structural zero (a
  Fill of zeros: `zeros` and the zero cotangents of `grad`) with anything, so both graphs
  hold that fold; a Constant zero (``x * 0.0``) is an IEEE number everywhere. The one rewrite
  that treats a graph node as structural is the identity: ``einsum(eye, y)`` selects ``y``
  (the jacobian seed), as a jacobian should, where a plan without it gives nan at inf.
- Not yet exact: fused einsums contract in the order opt_einsum picks, and a factor can move
  out of a sum (``sum_k s * c_k -> s * sum_k c_k``); where an operand holds inf, one order
  can give +-inf and the other nan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import math
from collections import defaultdict
from typing import Callable, Sequence

import numpy as np
import opt_einsum

from .node import Constant, Leaf, Node, _counter as _ids, toposort
from .ops.einsum import Einsum, broadcast_to, parse
from .ops.einsum import einsum as _einsum_factory
from .ops.elementwise import (
    Abs, Add, Cos, Divide, Elementwise, Exp, Eye, Fill, Log, Multiply, Negative, Pow, Relu,
    Sigmoid, Sin, Softplus, Sqrt, StopGradient, Subtract, Tanh, add, full, known_value, negative,
    power, subtract, zeros,
)
from .ops.elementwise import divide as _divide_factory
from .ops.elementwise import multiply as _multiply_factory
from .ops.shape import (
    Concatenate, Index, IndexAdjoint, Pad, Reshape, Take, TakeAdjoint, concatenate, reshape,
)

_MAX_TERMS = 64  # a collected region with more monomials than this is left as it is
_MAX_OPERANDS = 8  # einsum fusion stops at this many operands
_MAX_PASSES = 12
_SMALL = 64  # constant results up to this many elements are folded into Constants
_STACK_BYTES = 1 << 20  # stacks up to this size: many small arrays, where calls cost the most
_MAX_FACTORS = 32  # a monomial of more atoms than this ends a collected region
_FINITE = 1e300  # a node whose values the graph bounds by less than this is never inf


@dataclasses.dataclass(frozen=True)
class Rule:
    """One identity: the node classes it looks at, its rewrite, and what it says."""

    name: str
    ops: tuple[type, ...]
    rewrite: Callable[[Node, "_Pass"], Node | None] | None  # None: done by the term collector
    comment: str


def simplify(outputs: Node | Sequence[Node]) -> Node | list[Node]:
    """An equivalent, smaller graph for `outputs` (a node or a list; the same structure back).

    Equivalent for every input, nan and inf included (the rule is in the module's docstring):
    an identity that fails at inf or nan (``x*0 -> 0``, ``x - x -> 0``, ``x*y + x*z ->
    x*(y + z)``) is used only where the graph shows the values cannot be inf, and an atom
    that cancels out stays as ``0 * atom``, so that nan stays nan.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.simplify import simplify
    >>> v = ad.Variable(np.array([np.nan, np.inf, 2.0]))
    >>> with np.errstate(invalid="ignore"):
    ...     simplify(v - v)(), simplify(v * 0.0)()
    (array([nan, nan,  0.]), array([nan, nan,  0.]))
    >>> x = ad.Variable(np.array(0.5), name="x")
    >>> d = ad.tanh(x)
    >>> for _ in range(4):
    ...     d = ad.grad(d, x)
    >>> ad.count_nodes(d), ad.count_nodes(simplify(d))
    (28, 11)
    >>> bool(np.isclose(simplify(d)(), d()))
    True
    """
    single = isinstance(outputs, Node)
    roots, _ = simplify_in_order([outputs] if single else list(outputs))
    return roots[0] if single else roots


def simplify_in_order(outputs: Sequence[Node]) -> tuple[list[Node], list[Node]]:
    """`simplify` for a list, and every node of the result in an order to evaluate them.

    The order keeps each node where the node it replaces was built: a graph's creation order
    is the order eager code would run it in (a backward pass step by step), which keeps few
    arrays alive at once; rewritten nodes are newer and would otherwise all run last.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.simplify import simplify_in_order
    >>> x = ad.Variable(np.array([1.0, 2.0]), name="x")
    >>> (y,), order = simplify_in_order([x * 2.0 + x])   # 3x: one multiply
    >>> [node.name for node in order]
    ['x', 'Constant', 'Multiply']
    """
    roots = list(outputs)
    for i, node in enumerate(roots):
        if not isinstance(node, Node):
            raise TypeError(f"simplify: output {i} is a {type(node).__name__}, not a Node")
    written: dict = {}  # collected regions written in earlier passes: key -> (node, cost)
    place: dict[int, tuple[int, Node]] = {}  # id(node) -> (where its original was built, node)
    with paused_gc():
        for _ in range(_MAX_PASSES):
            new_roots = _Pass(roots, written, place).run()
            if all(a is b for a, b in zip(new_roots, roots)):
                break
            roots = new_roots
        return roots, _schedule(roots, place)


def _schedule(roots: list[Node], place: dict) -> list[Node]:
    """The nodes of `roots` ordered by the place of what they replace, inputs first.

    A node a rewrite made (an add of a running sum, a stack) goes right after the last of
    its inputs, so that what it reads can be dropped. Keys are tuples: (place,) for a node
    that has one, the key of its last input extended by its id for one that has not.
    """
    key: dict[int, tuple] = {}
    nodes = toposort(roots)  # creation order: topological
    for node in nodes:
        ready = max((key[id(x)] for x in node.inputs), default=())
        own = place.get(id(node))
        key[id(node)] = (own[0],) if own is not None and (own[0],) > ready else ready + (node._id,)
    return sorted(nodes, key=lambda node: key[id(node)])


@contextlib.contextmanager
def paused_gc():
    """No cyclic garbage collection inside: building many acyclic objects goes twice as fast."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- helpers ----------------------------------------------------------------------------------
def _size(x: Node) -> int:
    return math.prod(x.shape)


def _is_constant(x: Node) -> bool:
    return isinstance(x, (Constant, Fill, Eye))


def _uniform(x: Node):
    """The one value every element of `x` has, if the graph says so (numbers only)."""
    if x.dtype.kind not in "biuf":
        return None
    return known_value(x)


def _static_bound(x: Node) -> float:
    """A bound on ``|x|`` (where x is not nan) that `x` alone shows; inf where it shows none."""
    if isinstance(x, (Tanh, Sin, Cos, Sigmoid, Eye)):
        return 1.0
    value = _uniform(x)
    if value is not None:
        return abs(value) if math.isfinite(value) else math.inf
    if isinstance(x, Constant) and x.size <= _SMALL and x.dtype.kind in "biuf":
        largest = float(np.max(np.abs(x.value), initial=0.0))
        return largest if math.isfinite(largest) else math.inf
    return math.inf


def _absorbed(x: Node) -> bool:
    """Whether ``0 * x`` is 0: `x` holds integers, or is a constant without inf or nan."""
    return x.dtype.kind in "biu" or (_is_constant(x) and _static_bound(x) < _FINITE)


def _bound(node: Node, bounds: list[float]) -> float:
    """A bound on ``|node|`` from bounds on its inputs (inf where there is none).

    A finite bound means the node and every node of its collected region hold finite values
    or nan, never inf: there the collector's algebra (x - x -> 0, factoring) is exact.
    """
    bound = _static_bound(node)
    if bound < math.inf or not bounds:
        return bound
    if isinstance(node, (Add, Subtract)):
        bound = bounds[0] + bounds[1]
    elif isinstance(node, Multiply):
        bound = bounds[0] * bounds[1]
    elif isinstance(node, Divide):
        value = _uniform(node.inputs[1])
        bound = bounds[0] / abs(value) if value and math.isfinite(value) else math.inf
    elif isinstance(node, (Negative, Reshape, Index, Take, Concatenate, Abs, Relu, StopGradient)):
        bound = max(bounds)
    elif isinstance(node, Pow) and node.p == int(node.p) and node.p >= 0:
        p = max(int(node.p), 1)
        bound = bounds[0] ** int(node.p) if bounds[0] < _FINITE ** (1 / p) else math.inf
    elif isinstance(node, Einsum):
        terms, out = _split(node.equation)
        sizes = {l: n for t, x in zip(terms, node.inputs) for l, n in zip(t, x.shape)}
        bound = math.prod(bounds) * math.prod(sizes[l] for l in set("".join(terms)) - set(out))
    else:
        return math.inf
    return bound if bound < _FINITE else math.inf  # (a nan bound, from inf * 0, is none)


def multiply(x: Node, y: Node) -> Node:
    """x * y through the factory, but a zero absorbs only a finite constant factor.

    (The factory folds a structural zero whatever the other factor holds; a graph being
    simplified keeps its IEEE values: ``zeros * nan`` stays nan if the graph computes it.)
    """
    if (known_value(x) == 0 and not _absorbed(y)) or (known_value(y) == 0 and not _absorbed(x)):
        return Multiply(x, y)
    return _multiply_factory(x, y)


def divide(x: Node, y: Node) -> Node:
    """x / y through the factory, but 0 / y -> 0 only where y is a finite nonzero number."""
    value = _uniform(y)
    if known_value(x) == 0 and not (value and math.isfinite(value)):
        return Divide(x, y)
    return _divide_factory(x, y)


def einsum(equation: str, *operands: Node) -> Node:
    """The einsum factory, but a zero operand absorbs only finite constant operands."""
    zero = [known_value(x) == 0 for x in operands]
    if any(zero) and not all(z or _absorbed(x) for z, x in zip(zero, operands)):
        canonical, _ = parse(equation, tuple(x.shape for x in operands))
        return Einsum(*operands, equation=canonical)
    return _einsum_factory(equation, *operands)


def _constant(value, dtype) -> Node:
    return Constant(np.asarray(value, dtype=dtype))


def _conform(node: Node, like: Node) -> Node | None:
    """`node` with the shape and dtype of `like`, or None where it cannot be had."""
    if node.dtype != like.dtype:
        if np.result_type(node.dtype, like.dtype) != like.dtype:
            return None
        node = multiply(node, _constant(1, like.dtype))
    if node.shape != like.shape:
        node = broadcast_to(node, like.shape)
    return node


def _split(equation: str) -> tuple[list[str], str]:
    lhs, out = equation.split("->")
    return lhs.split(","), out


def _fresh_labels(used: set[str]):
    return (s for s in (opt_einsum.get_symbol(i) for i in itertools.count()) if s not in used)


def _rebuild(old: Node, inputs: list[Node]) -> Node:
    """`old`'s op applied to new inputs, through the factories that fold the obvious cases."""
    if all(a is b for a, b in zip(inputs, old.inputs)):
        return old
    kind = type(old)
    if kind in _FACTORIES:
        return _FACTORIES[kind](*inputs)
    if kind is Einsum:
        return einsum(old.equation, *inputs)
    if kind is Reshape:
        return reshape(inputs[0], old.shape)
    if kind is Pow:
        return power(inputs[0], old.p)
    return old.with_inputs(inputs)


_FACTORIES = {Add: add, Subtract: subtract, Multiply: multiply, Divide: divide, Negative: negative}


# -- local rules ------------------------------------------------------------------------------
def _fold_constants(node: Node, ctx: _Pass) -> Node | None:
    if not node.inputs or not all(_is_constant(x) for x in node.inputs):
        return None
    values = [_uniform(x) for x in node.inputs]
    try:
        with np.errstate(all="raise"):
            if None not in values and isinstance(node, (Elementwise, Einsum, Reshape, Index)):
                return full(node.shape, _uniform_value(node, values), node.dtype)
            if _size(node) <= _SMALL:
                value = node.eval(*[np.asarray(x.eval()) for x in node.inputs])
                return _constant(value, node.dtype)
    except (ArithmeticError, ValueError, TypeError, IndexError):
        return None  # an op's warning or error belongs to evaluation time
    return None


def _uniform_value(node: Node, values: list):
    """The value of `node` when every input holds one value everywhere."""
    if isinstance(node, Elementwise):
        arrays = [np.asarray(v, dtype=x.dtype) for v, x in zip(values, node.inputs)]
        return np.asarray(node.eval(*arrays)).item()
    if isinstance(node, Einsum):
        terms, out = _split(node.equation)
        sizes = {l: n for t, x in zip(terms, node.inputs) for l, n in zip(t, x.shape)}
        count = math.prod(sizes[l] for l in set("".join(terms)) - set(out))
        return np.asarray(math.prod(values) * count, dtype=node.dtype).item()
    return values[0]  # Reshape, Index: the same value, rearranged


def _zero_propagation(node: Node, ctx: _Pass) -> Node | None:
    zero = [_uniform(x) == 0 for x in node.inputs]
    others_finite = all(z or _absorbed(x) for z, x in zip(zero, node.inputs))
    linear_in_all = isinstance(node, (Multiply, Einsum)) and any(zero) and others_finite
    linear_in_first = isinstance(node, _LINEAR_IN_FIRST) and zero[0]
    if linear_in_all or linear_in_first or (isinstance(node, Concatenate) and all(zero)):
        return zeros(node.shape, node.dtype)
    return None


_LINEAR_IN_FIRST = (Negative, Reshape, Index, IndexAdjoint, Take, TakeAdjoint, Pad, StopGradient)


def _through_factory(node: Node, ctx: _Pass) -> Node | None:
    """Rebuild through the factory, which folds x+0, x-0, 0-x, x*1, x/1, x**1 (same shape, dtype)."""
    kind = type(node)
    if kind in _FACTORIES:
        return _FACTORIES[kind](*node.inputs)
    return power(node.inputs[0], node.p)


def _double_negation(node: Node, ctx: _Pass) -> Node | None:
    (x,) = node.inputs
    if isinstance(x, Negative):
        return x.inputs[0]
    return None


def _log_exp(node: Node, ctx: _Pass) -> Node | None:
    (x,) = node.inputs
    if isinstance(x, Exp) and x.inputs[0].dtype == node.dtype and _static_bound(x.inputs[0]) <= 700:
        return x.inputs[0]
    return None


def _exp_log(node: Node, ctx: _Pass) -> Node | None:
    (x,) = node.inputs
    if isinstance(x, Log) and x.inputs[0].dtype == node.dtype and _nonnegative(x.inputs[0]):
        return x.inputs[0]
    return None


def _nonnegative(x: Node, depth: int = 6) -> bool:
    """Whether the graph shows that `x` is never negative (False when it cannot tell)."""
    if isinstance(x, (Exp, Sigmoid, Softplus, Sqrt, Abs, Relu)):
        return True
    if isinstance(x, Pow):
        return x.p == int(x.p) and int(x.p) % 2 == 0
    if _uniform(x) is not None:
        return _uniform(x) >= 0
    if isinstance(x, Constant):
        return bool(np.all(x.value >= 0))
    if isinstance(x, (Add, Multiply, Divide)) and depth > 0:
        return all(_nonnegative(y, depth - 1) for y in x.inputs)
    return False


def _reshape_reshape(node: Node, ctx: _Pass) -> Node | None:
    (x,) = node.inputs
    if x.shape == node.shape:
        return x
    if isinstance(x, Reshape):
        return Reshape(x.inputs[0], new_shape=node.shape)
    return None


def _index_reshape(node: Node, ctx: _Pass) -> Node | None:
    (x,) = node.inputs
    if not isinstance(x, Index) or node.shape != tuple(n for n in x.shape if n != 1):
        return None
    key, axis = [], 0
    full_key = x.index + (slice(None),) * (x.inputs[0].ndim - len(x.index))
    for k, n in zip(full_key, x.inputs[0].shape):
        if isinstance(k, int):
            key.append(k)
        elif isinstance(k, slice):
            if x.shape[axis] == 1:
                k = range(n)[k][0]
            key.append(k)
            axis += 1
        else:
            return None  # None, Ellipsis or an array
    if x.ndim != axis:
        return None
    return Index(x.inputs[0], index=tuple(key))


def _reshape_eye(node: Node, ctx: _Pass) -> Node | None:
    (x,) = node.inputs
    half = node.ndim // 2
    dims = node.shape[:half]
    if not isinstance(x, Eye) or node.ndim % 2 or half < 2 or node.shape != dims + dims:
        return None
    letters = [opt_einsum.get_symbol(i) for i in range(node.ndim)]
    terms = [letters[i] + letters[half + i] for i in range(half)]
    eyes = [Eye(n=n, kind=x.kind) for n in dims]
    return einsum(",".join(terms) + "->" + "".join(letters), *eyes)


def _einsum_fill(node: Node, ctx: _Pass) -> Node | None:
    terms, out = _split(node.equation)
    fills = [i for i, x in enumerate(node.inputs) if _uniform(x) is not None]
    if not fills or node.dtype.kind not in "iuf":
        return None
    if not all(_absorbed(node.inputs[i]) for i in fills):
        return None
    if len(fills) == 1 and _uniform(node.inputs[fills[0]]) == 1:
        others = set("".join(t for i, t in enumerate(terms) if i != fills[0]))
        own = terms[fills[0]]
        if len(set(own)) == len(own) and all(l in out and l not in others for l in own):
            return None  # already just the ones that broadcast to the output
    sizes = {l: n for t, x in zip(terms, node.inputs) for l, n in zip(t, x.shape)}
    kept = [(t, x) for i, (t, x) in enumerate(zip(terms, node.inputs)) if i not in fills]
    provided = set("".join(t for t, _ in kept))
    scale = 1
    for i in fills:
        scale *= _uniform(node.inputs[i])
    private = set("".join(terms[i] for i in fills)) - provided
    scale *= math.prod(sizes[l] for l in private if l not in out)
    broadcast = "".join(l for l in out if l in private)
    if broadcast:
        kept.append((broadcast, full(tuple(sizes[l] for l in broadcast), 1, node.dtype)))
    if not kept or np.result_type(*(x.dtype for _, x in kept)) != node.dtype:
        return None  # constants only (fold_constants), or the sum would change its dtype
    result = einsum(",".join(t for t, _ in kept) + "->" + out, *(x for _, x in kept))
    if scale != 1:
        result = multiply(_constant(scale, node.dtype), result)  # the collector's order
    return result


def _einsum_eye(node: Node, ctx: _Pass) -> Node | None:
    terms, out = _split(node.equation)
    for i, x in enumerate(node.inputs):
        if not isinstance(x, Eye):
            continue
        p, q = terms[i]
        rest = terms[:i] + terms[i + 1:]
        operands = list(node.inputs[:i] + node.inputs[i + 1:])
        if p != q and (q in out) and (p in out):
            continue  # a diagonal output: the identity stays
        if p != q and q in out:
            p, q = q, p
        if p == q or not any(q in t for t in rest):
            rest.append(p)  # sum over q of eye[p, q] is 1 for each p
            operands.append(full(x.shape[0], 1, x.dtype))
        else:
            rest = [t.replace(q, p) for t in rest]
        if np.result_type(*(x.dtype for x in operands)) != node.dtype:
            continue  # without the identity the sum would run in another dtype
        return einsum(",".join(rest) + "->" + out, *operands)
    return None


def _implicit_broadcast(node: Node) -> Node | None:
    """For an einsum that only repeats x along new axes: x reshaped to broadcast the same way."""
    if not isinstance(node, Einsum):
        return None
    terms, out = _split(node.equation)
    own = [(t, x) for t, x in zip(terms, node.inputs) if _uniform(x) != 1]
    if len(own) != 1 or _uniform(own[0][1]) is not None:
        return None
    term, x = own[0]
    positions = [out.find(l) for l in term]
    if len(set(term)) != len(term) or -1 in positions or positions != sorted(positions):
        return None
    return reshape(x, tuple(n if l in term else 1 for l, n in zip(out, node.shape)))


def _is_view_einsum(x: Node) -> bool:
    if not isinstance(x, Einsum) or len(x.inputs) != 1:
        return False
    term, out = x.equation.split("->")
    return sorted(term) == sorted(out)


def _einsum_einsum(node: Node, ctx: _Pass) -> Node | None:
    terms, out = _split(node.equation)
    for i, x in enumerate(node.inputs):
        if not isinstance(x, Einsum) or len(node.inputs) + len(x.inputs) - 1 > _MAX_OPERANDS:
            continue
        if not (ctx.single_use(x) or _is_view_einsum(x)):
            continue
        inner, inner_out = _split(x.equation)
        fresh = _fresh_labels(set(node.equation))
        rename = dict(zip(inner_out, terms[i]))
        for label in dict.fromkeys("".join(inner)):
            if label not in rename:
                rename[label] = next(fresh)
        merged = terms[:i] + ["".join(rename[l] for l in t) for t in inner] + terms[i + 1:]
        operands = node.inputs[:i] + x.inputs + node.inputs[i + 1:]
        return einsum(",".join(merged) + "->" + out, *operands)
    return None


def _einsum_multiply(node: Node, ctx: _Pass) -> Node | None:
    terms, out = _split(node.equation)
    for i, x in enumerate(node.inputs):
        if not isinstance(x, Multiply) or len(node.inputs) + 1 > _MAX_OPERANDS:
            continue
        structural = any(isinstance(y, (Eye, Fill)) for y in x.inputs)
        if not (ctx.single_use(x) or structural):
            continue
        a, b = x.inputs
        merged = terms[:i] + [terms[i][x.ndim - a.ndim:], terms[i][x.ndim - b.ndim:]] + terms[i + 1:]
        operands = node.inputs[:i] + (a, b) + node.inputs[i + 1:]
        return einsum(",".join(merged) + "->" + out, *operands)
    return None


def _einsum_to_multiply(node: Node, ctx: _Pass) -> Node | None:
    terms, out = _split(node.equation)
    if len(terms) < 2 or any(isinstance(x, Einsum) for x in node.inputs):
        return None
    for term in terms:
        if len(set(term)) != len(term) or not out.endswith(term):
            return None
    if len(set(out)) != len(out) or set("".join(terms)) != set(out):
        return None
    result = node.inputs[0]
    for x in node.inputs[1:]:
        result = multiply(result, x)
    return result


def _multiply_into_einsum(node: Node, ctx: _Pass) -> Node | None:
    if any(_uniform(x) is not None for x in node.inputs):
        return None  # a scale factor stays a coefficient of the collector
    for x in node.inputs:
        if isinstance(x, Einsum) and ctx.single_use(x) and len(x.inputs) < _MAX_OPERANDS:
            return einsum("...,...->...", *node.inputs)
    return None


# -- the table ------------------------------------------------------------------------------------
_ALGEBRA = (Add, Subtract, Multiply, Divide, Negative, Pow)

RULES: list[Rule] = [
    Rule("fold_constants", (Node,), _fold_constants,
         "an op on constants only is a constant: a fill where every element is one value"),
    Rule("zero_propagation", (Multiply, Einsum, Concatenate) + _LINEAR_IN_FIRST, _zero_propagation,
         "an op linear in an input that is zero gives zeros: x*0, einsum(0, y), reshape(0), ..."),
    Rule("add_zero_multiply_one", _ALGEBRA[:5] + (Pow,), _through_factory,
         "x+0 -> x, x-0 -> x, 0-x -> -x, x*1 -> x, x/1 -> x, x**1 -> x (shape and dtype kept)"),
    Rule("double_negation", (Negative,), _double_negation, "-(-x) -> x"),
    Rule("log_exp", (Log,), _log_exp, "log(exp(x)) -> x (exact)"),
    Rule("exp_log", (Exp,), _exp_log, "exp(log(x)) -> x where the graph shows x >= 0"),
    Rule("reshape_reshape", (Reshape,), _reshape_reshape,
         "reshape(reshape(x)) -> reshape(x); reshape(x) to x's own shape -> x"),
    Rule("index_reshape", (Reshape,), _index_reshape,
         "x[a:a+1] reshaped without that axis -> x[a]"),
    Rule("reshape_eye", (Reshape,), _reshape_eye,
         "reshape(eye(m*n), (m, n, m, n)) -> eye(m) (x) eye(n), an einsum of identities"),
    Rule("einsum_fill", (Einsum,), _einsum_fill,
         "a fill operand of an einsum is a scale factor; ones along labels others carry drop out"),
    Rule("einsum_eye", (Einsum,), _einsum_eye,
         "an identity operand of an einsum renames one of its labels to the other"),
    Rule("einsum_einsum", (Einsum,), _einsum_einsum,
         "an einsum operand used once (or a transpose) merges into one n-ary einsum"),
    Rule("transpose_transpose", (Einsum,), _einsum_einsum,
         "transpose(transpose(x)) -> x: two relabelling einsums merge; the identity einsum is x"),
    Rule("einsum_multiply", (Einsum,), _einsum_multiply,
         "an einsum operand x*y (used once, or with an identity or fill) becomes operands x and y"),
    Rule("einsum_to_multiply", (Einsum,), _einsum_to_multiply,
         "an einsum that only multiplies with NumPy broadcasting is a Multiply"),
    Rule("multiply_into_einsum", (Multiply,), _multiply_into_einsum,
         "x * y where x is an einsum used once becomes one einsum (then fused)"),
    Rule("commute", _ALGEBRA, None, "a*b and b*a, a+b and b+a are one node (canonical order)"),
    Rule("combine_constants", _ALGEBRA, None, "c1*(c2*x) -> (c1*c2)*x, x/c -> (1/c)*x, -(c*x) -> (-c)*x"),
    Rule("like_terms", _ALGEBRA, None, "x + x -> 2*x, x - x -> 0, 2*x*y - y*x -> x*y"),
    Rule("powers", _ALGEBRA, None, "x*x -> x**2, x**a * x**b -> x**(a+b) for integer powers"),
    Rule("distribute", _ALGEBRA, None, "(x + y)*z -> x*z + y*z while the sum stays small"),
    Rule("factor", _ALGEBRA, None,
         "x*y + x*z -> x*(y + z): sums are written factored (Horner), largest arrays last"),
    Rule("stack_einsums", (Add, Subtract), None,
         "sum of einsums with one equation over same-shaped operands -> one einsum over a stacked axis"),
    Rule("stack_scatters", (Add, Subtract), None,
         "sum of x_k scattered to distinct positions k of zeros -> the x_k stacked (one scatter)"),
    Rule("stack_sum", (Add, Subtract), None,
         "sum of four or more same-shaped terms -> sum over the stacked axis of their stack"),
]

_LOCAL: dict[type, list[Rule]] = {}


def _local_rules(kind: type) -> list[Rule]:
    rules = _LOCAL.get(kind)
    if rules is None:
        rules = [r for r in RULES if r.rewrite is not None and issubclass(kind, r.ops)]
        _LOCAL[kind] = rules
    return rules


# -- the term collector ---------------------------------------------------------------------------
# A monomial is a sorted tuple of ((atom id, inverse), power); a polynomial maps monomials to
# float coefficients. An atom is a node of the new graph; "inverse" atoms stand for 1/atom,
# kept apart from the atom so that x/x is never cancelled (it is not 1 at x = 0).
#
# Where a region may hold inf (`exact`), only what holds for every float is done: terms are
# reordered, products gathered into powers, like terms of one sign merged and constants
# combined; a cancellation (x - x, 2x - x), a product of sums and a product with zero end the
# region there. A polynomial keeps the atoms it was read from, so that an atom that cancels
# out is written back as ``0 * atom``: nan where the atom is nan (atoms are kept by id).
class _Poly:
    __slots__ = ("atoms", "terms")

    def __init__(self, terms: dict, atoms: frozenset = frozenset()):
        self.terms = terms
        self.atoms = atoms

    @staticmethod
    def constant(value: float) -> _Poly:
        return _Poly({(): float(value)} if value != 0 else {})

    def is_nonzero_constant(self) -> bool:
        return len(self.terms) == 1 and () in self.terms

    def add(self, other: _Poly, exact: bool) -> _Poly | None:
        atoms = _join(self.atoms, other.atoms)
        if atoms is None:
            return None
        terms = dict(self.terms)
        for mono, c in other.terms.items():
            before = terms.get(mono)
            if before is None:
                terms[mono] = c
                continue
            if exact and mono and (before > 0) != (c > 0):
                return None  # inf - inf is nan, not 0
            total = before + c
            if total == 0:
                del terms[mono]
            else:
                terms[mono] = total
        return _Poly(terms, atoms)

    def scale(self, factor: float) -> _Poly:
        return _Poly({m: c * factor for m, c in self.terms.items()}, self.atoms)

    def mul(self, other: _Poly, exact: bool) -> _Poly | None:
        if len(self.terms) * len(other.terms) > _MAX_TERMS:
            return None
        if exact and not (self.is_nonzero_constant() or other.is_nonzero_constant()
                          or len(self.terms) == len(other.terms) == 1):
            return None  # (x + y) * z and x * 0 differ from their expansions at inf
        atoms = _join(self.atoms, other.atoms)
        if atoms is None:
            return None
        terms: dict = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                mono = _mono_mul(m1, m2)
                if len(mono) > _MAX_FACTORS:
                    return None
                terms[mono] = terms.get(mono, 0.0) + c1 * c2
        return _Poly({m: c for m, c in terms.items() if c != 0}, atoms)

    def power(self, k: int, exact: bool) -> _Poly | None:
        if k == 0:
            return _Poly(_Poly.constant(1.0).terms, self.atoms)
        if len(self.terms) == 1:
            ((mono, c),) = self.terms.items()
            if k < 0:
                if c == 0:
                    return None
                mono, c = _mono_inverse(mono), 1.0 / c
                k = -k
            return _Poly({tuple((a, p * k) for a, p in mono): c**k}, self.atoms)
        if k < 0:
            return None
        result: _Poly | None = _Poly({(): 1.0}, self.atoms)
        for _ in range(k):
            result = result.mul(self, exact) if result is not None else None
        return result


def _join(a: frozenset, b: frozenset) -> frozenset | None:
    """The atoms of two polynomials together (None: too many to keep a region)."""
    if not b or a is b:
        return a
    if not a:
        return b
    joined = a | b
    return joined if len(joined) <= 4 * _MAX_TERMS else None


def _mono_mul(m1: tuple, m2: tuple) -> tuple:
    powers = dict(m1)
    for atom, p in m2:
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items()))


def _mono_inverse(mono: tuple) -> tuple:
    return tuple(sorted(((atom, not inverse), p) for (atom, inverse), p in mono))


def _integer_power(node: Node) -> int | None:
    if isinstance(node, Pow) and node.p == int(node.p) and abs(node.p) <= 8:
        return int(node.p)
    return None


def _collectable(node: Node) -> bool:
    if node.dtype.kind != "f" or not isinstance(node, _ALGEBRA):
        return False
    return not isinstance(node, Pow) or _integer_power(node) is not None


# -- the pass -------------------------------------------------------------------------------------
class _Pass:
    """One visit of the whole graph: rebuild every node from simplified inputs, apply rules."""

    def __init__(self, roots: list[Node], written: dict, place: dict):
        self.roots = roots
        self.written = written
        self.place = place
        self.order = toposort(roots)
        self.uses: dict[int, int] = defaultdict(int)  # consumers in the graph being read
        for node in self.order:
            for x in node.inputs:
                self.uses[id(x)] += 1
        for node in roots:
            self.uses[id(node)] += 1
        self.bounds: dict[int, float] = {}  # id(old node) -> a bound on its values (or inf)
        for node in self.order:
            self.bounds[id(node)] = _bound(node, [self.bounds[id(x)] for x in node.inputs])
        self.new: dict[int, Node] = {}  # id(old node) -> its simplified node
        self.new_uses: dict[int, int] = defaultdict(int)
        self.polys: dict[int, _Poly] = {}  # id(old node) -> its collected polynomial
        self.region_cost: dict[int, int] = {}
        self.atoms: dict[int, Node] = {}  # atom id -> node
        self.atom_bounds: dict[int, float] = {}  # atom id -> a bound on its values (or inf)
        self.inlined: set[int] = set()  # old nodes read into a consumer's polynomial

    def run(self) -> list[Node]:
        for old in self.order:
            if isinstance(old, Leaf) or not old.inputs:
                self._set(old, old)
            elif _collectable(old):
                poly = self._collect(old)
                if poly is None:
                    node = self._apply_rules(_rebuild(old, [self.get(x) for x in old.inputs]))
                    self._set(old, node)
                    self.region_cost[id(old)] = _size(old)
                else:
                    self.polys[id(old)] = poly
            else:
                self._set(old, self._apply_rules(_rebuild(old, [self.get(x) for x in old.inputs])))
        roots = [self.get(r) for r in self.roots]
        self._place_the_rest(roots)
        return roots

    def _set(self, old: Node, node: Node) -> None:
        if node.shape != old.shape or node.dtype != old.dtype:
            raise RuntimeError(
                f"simplify: rewriting {old!r} gave {node!r}; a rule changed the shape or dtype"
            )
        self.new[id(old)] = node
        self.new_uses[id(node)] += self.uses[id(old)]
        if id(node) not in self.place:  # (the node is kept: its id stays its own)
            self.place[id(node)] = (self.place.get(id(old), (old._id,))[0], node)

    def place_of(self, node: Node) -> int:
        known = self.place.get(id(node))
        return known[0] if known is not None else node._id

    def as_soon_as_ready(self, node: Node) -> Node:
        """Place a node a rewrite made right after the last of its inputs."""
        if id(node) not in self.place and node.inputs:
            self.place[id(node)] = (max(self.place_of(x) for x in node.inputs), node)
        return node

    def _place_the_rest(self, roots: list[Node]) -> None:
        """Every other node a rewrite made goes where its first reader goes."""
        nodes = toposort(roots)
        first_reader: dict[int, int] = {}
        for node in reversed(nodes):
            if id(node) not in self.place:
                self.place[id(node)] = (first_reader.get(id(node), node._id), node)
            for x in node.inputs:
                first_reader[id(x)] = min(first_reader.get(id(x), math.inf), self.place[id(node)][0])

    def single_use(self, node: Node) -> bool:
        """Whether `node` (of the new graph) has one consumer, as far as this pass knows."""
        return self.new_uses.get(id(node)) == 1

    def get(self, old: Node) -> Node:
        """The simplified node standing for `old` (written out now if it was collected)."""
        node = self.new.get(id(old))
        if node is None:
            node = self._write(old)
            self._set(old, node)
        return node

    def _apply_rules(self, node: Node) -> Node:
        seen = {id(node): node}  # (the nodes are kept so that their ids stay theirs)
        while True:
            for rule in _local_rules(type(node)):
                result = rule.rewrite(node, self)
                if result is not None and result is not node:
                    break
            else:
                return node
            if id(result) in seen:  # rules going round in a circle: stop where we are
                return node
            seen[id(result)] = result
            node = result

    # -- collecting ---------------------------------------------------------------------------
    def _atom(self, node: Node, inverse: bool = False, bound: float = math.inf) -> _Poly:
        value = _uniform(node)
        if value is not None and not inverse and math.isfinite(value):
            return _Poly.constant(value)
        broadcast = _implicit_broadcast(node)
        if broadcast is not None:
            node = broadcast
        self.atoms[node._id] = node
        if not inverse:
            self.atom_bounds[node._id] = min(bound, _static_bound(node))
        key = (node._id, inverse)
        return _Poly({((key, 1),): 1.0}, frozenset((node._id,)))

    def _input(self, x: Node, consumer: Node) -> tuple[_Poly, int]:
        """x as a polynomial for `consumer`, and the cost of the region it brings along."""
        poly = self.polys.get(id(x))
        if poly is not None and x.dtype == consumer.dtype and (
            self.uses[id(x)] == 1 or _size(x) == 1 or len(poly.terms) <= 1
        ):
            self.inlined.add(id(x))
            return poly, self.region_cost[id(x)]
        return self._atom(self.get(x), bound=self.bounds[id(x)]), 0

    def _collect(self, old: Node) -> _Poly | None:
        inputs = [self._input(x, old) for x in old.inputs]
        self.region_cost[id(old)] = _size(old) + sum(cost for _, cost in inputs)
        polys = [p for p, _ in inputs]
        exact = not self.bounds[id(old)] < _FINITE  # the region may hold inf
        kind = type(old)
        if kind is Add:
            result = polys[0].add(polys[1], exact)
        elif kind is Subtract:
            result = polys[0].add(polys[1].scale(-1.0), exact)
        elif kind is Negative:
            result = polys[0].scale(-1.0)
        elif kind is Multiply:
            result = polys[0].mul(polys[1], exact)
        elif kind is Divide:
            if not polys[1].terms:
                return None  # x / 0 keeps its inf and nan
            if len(polys[1].terms) == 1:
                inverse = polys[1].power(-1, exact)
            else:
                inverse = self._atom(self.get(old.inputs[1]), inverse=True)
            result = polys[0].mul(inverse, exact) if inverse is not None else None
        else:
            result = polys[0].power(_integer_power(old), exact)
        if result is None or len(result.terms) > _MAX_TERMS:
            return None
        return result

    # -- writing collected regions back --------------------------------------------------------
    def _write(self, old: Node) -> Node:
        """The node for a collected region: the factored sum, unless that costs more."""
        poly = self.polys[id(old)]
        items = sorted(poly.terms.items())
        present = {key[0] for mono, _ in items for key, _ in mono}
        vanished = tuple(sorted(poly.atoms - present))  # cancelled out: kept as 0 * atom
        factored = self.bounds[id(old)] < _FINITE
        key = (tuple(items), vanished, factored, old.shape, old.dtype.str)
        if key not in self.written:
            before = next(_ids)
            written = _Writer(self, old, factored).sum(items)
            if vanished:
                guard = self.atoms[vanished[0]]
                for atom in vanished[1:]:
                    guard = add(guard, self.atoms[atom])
                guard = multiply(_constant(0, old.dtype), guard)
                written = guard if written is None else add(written, guard)
            if written is None:
                written = zeros(old.shape, old.dtype)
            written = _conform(written, old)
            cost = self._cost(written, before) if written is not None else math.inf
            self.written[key] = written, cost
        written, cost = self.written[key]
        if cost <= self.region_cost[id(old)]:
            return self._apply_rules(written)
        return self._apply_rules(_rebuild(old, [self.get(x) for x in old.inputs]))

    def _cost(self, root: Node, before: int) -> int:
        """Elements computed between `root` and its atoms by nodes the graph did not have yet.

        A node made before `before` is free unless it belongs to a region being rewritten.
        """
        total, stack, seen = 0, [root], set()
        while stack:
            node = stack.pop()
            if id(node) in seen or node._id in self.atoms or not node.inputs:
                continue
            if node._id < before and id(node) not in self.inlined:
                continue
            seen.add(id(node))
            if not isinstance(node, (Reshape, Index)):
                total += _size(node)
            stack.extend(node.inputs)
        return total


class _Writer:
    """Writes a polynomial as nodes: factored sums, grouped stacks, ordered products."""

    def __init__(self, ctx: _Pass, like: Node, factored: bool):
        self.ctx = ctx
        self.dtype = like.dtype
        self.factored = factored  # sums may be factored: the region holds no inf

    def node(self, key) -> Node:
        return self.ctx.atoms[key[0]]

    def sum(self, items: list) -> Node | None:
        if not items:
            return None
        items = self.stack(items)
        if len(items) == 1:
            return self.monomial(*items[0])
        common = abs(items[0][1])
        if common != 1 and all(abs(c) == common for _, c in items):  # c*x + c*y -> c*(x + y)
            inner = self.sum([(mono, c / common) for mono, c in items])
            return multiply(inner, _constant(common, self.dtype))
        counts: dict = defaultdict(int)
        for mono, _ in items:
            for key, _ in mono:
                counts[key] += 1
        shared = [k for k, n in counts.items() if n >= 2 and self.may_factor(k)]
        if not shared:  # smaller terms first, then in the order they are computed in
            ordered = sorted(items, key=lambda item: (self.monomial_size(item[0]), self.place(item[0])))
            running = len(ordered) >= 3  # a running sum: each term is added as soon as it exists
            soon = self.ctx.as_soon_as_ready if running else (lambda node: node)
            result = soon(self.monomial(*ordered[0]))
            for mono, c in ordered[1:]:
                result = soon(self.combine(result, mono, c, soon))
            return result
        key = max(shared, key=lambda k: (_size(self.node(k)), counts[k], -k[0]))
        low = min(p for mono, _ in items for k, p in mono if k == key)
        inner, rest = [], []
        for mono, c in items:
            if key in dict(mono):
                reduced = tuple((k, p - low if k == key else p) for k, p in mono)
                inner.append((tuple((k, p) for k, p in reduced if p), c))
            else:
                rest.append((mono, c))
        factor = self.power(self.node(key), low)
        inner_node = self.sum(inner)
        if key[1]:
            product = divide(inner_node, factor)
        else:
            product = multiply(inner_node, factor)
        if not rest:
            return product
        if len(rest) == 1:
            return self.combine(product, *rest[0])
        return add(product, self.sum(rest))

    def may_factor(self, key) -> bool:
        """x*y + x*z -> x*(y + z) is exact unless x is inf (inf*0 + inf*1 is nan, inf*1 is not)."""
        atom, inverse = key
        return self.factored or (not inverse and self.ctx.atom_bounds.get(atom, math.inf) < _FINITE)

    def combine(self, result: Node, mono: tuple, c: float, soon=lambda node: node) -> Node:
        if c < 0:
            return subtract(result, soon(self.monomial(mono, -c)))
        return add(result, soon(self.monomial(mono, c)))

    def monomial_size(self, mono: tuple) -> int:
        return max([_size(self.node(k)) for k, _ in mono], default=1)

    def place(self, mono: tuple) -> int:
        """Where the last atom of `mono` is computed (its place in the original graph)."""
        return max([self.ctx.place_of(self.node(key)) for key, _ in mono], default=-1)

    def power(self, node: Node, p: int) -> Node:
        if p == 1:
            return node
        if node.dtype.kind not in "fc":  # as products, the way the graph had it
            result = node
            for _ in range(p - 1):
                result = multiply(result, node)
            return result
        return power(node, p)

    def monomial(self, mono: tuple, c: float) -> Node:
        factors = [(self.power(self.node(k), p), k[1]) for k, p in mono]
        top = sorted((f for f, inverse in factors if not inverse), key=lambda f: (_size(f), f._id))
        bottom = sorted((f for f, inverse in factors if inverse), key=lambda f: (_size(f), f._id))
        if top:
            first = top[0]
            if c == -1 and first.dtype == self.dtype:
                first = negative(first)
            elif c != 1 or first.dtype != self.dtype:
                first = multiply(_constant(c, self.dtype), first)
            result = first
            for f in top[1:]:
                result = multiply(result, f)
        else:
            result = _constant(c, self.dtype)
        if bottom:
            denominator = bottom[0]
            for f in bottom[1:]:
                denominator = multiply(denominator, f)
            result = divide(result, denominator)
        return result

    # -- horizontal grouping ------------------------------------------------------------------
    def stack(self, items: list) -> list:
        """Merge groups of single-atom terms into one stacked node each (stack_* rules)."""
        groups: dict = defaultdict(list)
        for index, (mono, c) in enumerate(items):
            if len(mono) == 1 and mono[0][1] == 1 and not mono[0][0][1]:
                key = _group_key(self.node(mono[0][0]))
                if key is not None:
                    groups[(key, c)].append(index)
        merged_items, dropped = [], set()
        for (key, c), indices in groups.items():
            if len(indices) < 2:
                continue
            nodes = sorted((self.node(items[i][0][0][0]) for i in indices), key=lambda x: -x._id)
            if key[0] != "scatter" and sum(_stacked_bytes(x) for x in nodes) > _STACK_BYTES:
                continue  # a stack keeps every term alive until the end; fine when small
            merged = _merge(key[0], nodes)
            if merged is None or _uniform(merged) is not None:
                continue
            (mono,) = self.ctx._atom(merged).terms
            merged_items.append((mono, c))
            dropped.update(indices)
        if not dropped:
            return items
        return [item for i, item in enumerate(items) if i not in dropped] + merged_items


def _group_key(node: Node):
    """Terms with equal keys may be stacked together."""
    if isinstance(node, Einsum):
        return ("einsum", node.equation, tuple(x.shape for x in node.inputs),
                tuple(x.dtype for x in node.inputs))
    if isinstance(node, IndexAdjoint):
        place = _single_position(node.index)
        if place is not None:
            axis = place[0]
            g = node.inputs[0]
            keep = g.shape[:axis] + g.shape[axis + (1 if isinstance(place[1], slice) else 0):]
            return ("scatter", node.out_shape, axis, keep, node.dtype)
        return None
    return ("sum", node.shape, node.dtype)


def _single_position(index: tuple, length: int | None = None):
    """(axis, position) when `index` is full slices around one integer or one unit-step
    slice, else None; with `length` (of that axis), the position as a range."""
    picks = [i for i, k in enumerate(index) if not _is_full_slice(k)]
    if len(picks) != 1 or not isinstance(index[picks[0]], (int, slice)):
        return None
    axis, key = picks[0], index[picks[0]]
    if isinstance(key, slice) and key.step not in (None, 1):
        return None
    if length is None:
        return axis, key
    return axis, range(length)[key] if isinstance(key, slice) else range(length)[key:key + 1 or None]


def _is_full_slice(key) -> bool:
    """Whether an index entry is ``:`` (an entry may be an integer array, compared by identity)."""
    return isinstance(key, slice) and key == slice(None)


def _stacked_bytes(node: Node) -> int:
    """Bytes a stack of `node`'s operands (or of `node`) would hold for it."""
    parts = node.inputs if isinstance(node, Einsum) else (node,)
    return sum(_size(x) * x.dtype.itemsize for x in parts)


def _stack(nodes: list[Node], axis: int = 0) -> Node:
    return concatenate([reshape(x, x.shape[:axis] + (1,) + x.shape[axis:]) for x in nodes], axis=axis)


def _merge(kind: str, nodes: list[Node]) -> Node | None:
    """One node for the sum of `nodes` (all with the same group key), or None if not cheaper."""
    if kind == "einsum":
        terms, out = _split(nodes[0].equation)
        label = next(_fresh_labels(set(nodes[0].equation)))
        new_terms, operands, copied = [], [], 0
        for k, term in enumerate(terms):
            column = [x.inputs[k] for x in nodes]
            if all(x is column[0] for x in column):
                new_terms.append(term)
                operands.append(column[0])
            else:
                new_terms.append(label + term)
                operands.append(_stack(column))
                copied += sum(_size(x) for x in column)
        if copied > sum(_size(x) for x in nodes):
            return None
        return einsum(",".join(new_terms) + "->" + out, *operands)
    if kind == "scatter":
        first = nodes[0]
        axis, _ = _single_position(first.index)
        length = first.out_shape[axis]
        ranges = sorted(((_single_position(x.index, length)[1], x) for x in nodes),
                        key=lambda item: item[0].start)
        blocks = []  # each value with the axis it fills
        for r, x in ranges:
            g = x.inputs[0]
            if isinstance(_single_position(x.index)[1], int):
                g = reshape(g, g.shape[:axis] + (1,) + g.shape[axis:])
            blocks.append((r, g))
        if any(a[0].stop > b[0].start for a, b in zip(blocks, blocks[1:])):
            return None  # overlapping positions
        if all(isinstance(_single_position(x.index)[1], int) for x in nodes) and (
            [r.start for r, _ in blocks] != list(range(length))
        ):
            index = first.index[:axis] + (np.array([r.start for r, _ in blocks]),) + first.index[axis + 1:]
            return IndexAdjoint(_stack([x.inputs[0] for _, x in ranges], axis), index=index,
                                out_shape=first.out_shape)
        if any(a[0].stop != b[0].start for a, b in zip(blocks, blocks[1:])):
            return None  # gaps between the blocks
        joined = concatenate([g for _, g in blocks], axis=axis)
        start, stop = blocks[0][0].start, blocks[-1][0].stop
        if (start, stop) == (0, length):
            return joined
        index = first.index[:axis] + (slice(start, stop),) + first.index[axis + 1:]
        return IndexAdjoint(joined, index=index, out_shape=first.out_shape)
    if len(nodes) < 4:
        return None
    first = nodes[0]
    letters = "".join(opt_einsum.get_symbol(i) for i in range(first.ndim + 1))
    return einsum(f"{letters}->{letters[1:]}", _stack(nodes))
