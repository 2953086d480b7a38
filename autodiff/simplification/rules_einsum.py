"""Einsum rules: fills and identities drop out of einsums, einsums fuse into n-ary einsums.

Each rule is a function registered with its identity by ``@rule(identity, *classes)``; it
looks at one node whose inputs are already simplified and returns a replacement or None.
A fused einsum is contracted in the order opt_einsum picks when the graph is planned
(`autodiff.compile`); fusion stops at `_MAX_OPERANDS` operands. A fill operand is a scale
factor only where it is finite (``nan * 0`` is nan), and an identity operand renames a label
(it selects: the jacobian seed). `_implicit_broadcast` tells the collector which einsums
only repeat one operand along new axes.
"""

from __future__ import annotations

import math

import numpy as np

from ..node import Node
from ..ops.creation import Eye, Fill, full
from ..ops.einsum import Einsum
from ..ops.elementwise import Multiply
from ..ops.shape import reshape
from .base import (
    _MAX_OPERANDS,
    _absorbed,
    _constant,
    _equation,
    _fresh_labels,
    _split,
    _uniform,
    einsum,
    multiply,
)
from .registry import Context, RuleTable

__all__ = [
    "TABLE",
    "einsum_einsum",
    "einsum_eye",
    "einsum_fill",
    "einsum_multiply",
    "einsum_to_multiply",
    "multiply_into_einsum",
]

TABLE = RuleTable(__name__)
rule = TABLE.rule


@rule(
    "a fill operand of an einsum is a scale factor; ones along labels others carry drop out",
    Einsum,
)
def einsum_fill(node: Node, ctx: Context) -> Node | None:
    terms, out = _split(_equation(node))
    fills = [i for i, x in enumerate(node.inputs) if _uniform(x) is not None]
    if not fills or node.dtype.kind not in "iuf":
        return None
    if not all(_absorbed(node.inputs[i]) for i in fills):
        return None
    if len(fills) == 1 and _uniform(node.inputs[fills[0]]) == 1:
        others = set("".join(t for i, t in enumerate(terms) if i != fills[0]))
        own = terms[fills[0]]
        if len(set(own)) == len(own) and all(label in out and label not in others for label in own):
            return None  # already just the ones that broadcast to the output
    sizes = {
        label: n
        for t, x in zip(terms, node.inputs, strict=True)
        for label, n in zip(t, x.shape, strict=False)
    }
    kept = [
        (t, x) for i, (t, x) in enumerate(zip(terms, node.inputs, strict=True)) if i not in fills
    ]
    provided = set("".join(t for t, _ in kept))
    scale = 1
    for i in fills:
        scale *= _uniform(node.inputs[i])
    private = set("".join(terms[i] for i in fills)) - provided
    scale *= math.prod(sizes[label] for label in private if label not in out)
    broadcast = "".join(label for label in out if label in private)
    if broadcast:
        kept.append((broadcast, full(tuple(sizes[label] for label in broadcast), 1, node.dtype)))
    if not kept or np.result_type(*(x.dtype for _, x in kept)) != node.dtype:
        return None  # constants only (fold_constants), or the sum would change its dtype
    result = einsum(",".join(t for t, _ in kept) + "->" + out, *(x for _, x in kept))
    if scale != 1:
        result = multiply(_constant(scale, node.dtype), result)  # the collector's order
    return result


@rule("an identity operand of an einsum renames one of its labels to the other", Einsum)
def einsum_eye(node: Node, ctx: Context) -> Node | None:
    terms, out = _split(_equation(node))
    for i, x in enumerate(node.inputs):
        if not isinstance(x, Eye):
            continue
        p, q = tuple(terms[i])
        rest = terms[:i] + terms[i + 1 :]
        operands = list(node.inputs[:i] + node.inputs[i + 1 :])
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
    terms, out = _split(_equation(node))
    own = [(t, x) for t, x in zip(terms, node.inputs, strict=True) if _uniform(x) != 1]
    if len(own) != 1 or _uniform(own[0][1]) is not None:
        return None
    term, x = own[0]
    positions = [out.find(label) for label in term]
    if len(set(term)) != len(term) or -1 in positions or positions != sorted(positions):
        return None
    return reshape(
        x, tuple(n if label in term else 1 for label, n in zip(out, node.shape, strict=True))
    )


def _is_view_einsum(x: Node) -> bool:
    if not isinstance(x, Einsum) or len(x.inputs) != 1:
        return False
    term, out = _equation(x).split("->")
    return sorted(term) == sorted(out)


@rule("an einsum operand used once (or a transpose) merges into one n-ary einsum", Einsum)
def einsum_einsum(node: Node, ctx: Context) -> Node | None:
    terms, out = _split(_equation(node))
    for i, x in enumerate(node.inputs):
        if not isinstance(x, Einsum) or len(node.inputs) + len(x.inputs) - 1 > _MAX_OPERANDS:
            continue
        if not (ctx.single_use(x) or _is_view_einsum(x)):
            continue
        inner, inner_out = _split(_equation(x))
        fresh = _fresh_labels(set(_equation(node)))
        rename = dict(zip(inner_out, terms[i], strict=False))
        for label in dict.fromkeys("".join(inner)):
            if label not in rename:
                rename[label] = next(fresh)
        merged = terms[:i] + ["".join(rename[label] for label in t) for t in inner] + terms[i + 1 :]
        operands = node.inputs[:i] + x.inputs + node.inputs[i + 1 :]
        return einsum(",".join(merged) + "->" + out, *operands)
    return None


TABLE.row(
    "transpose_transpose",
    "transpose(transpose(x)) -> x: two relabelling einsums merge; the identity einsum is x",
    Einsum,
    by="einsum_einsum",
)


@rule(
    "an einsum operand x*y (used once, or with an identity or fill) becomes operands x and y",
    Einsum,
)
def einsum_multiply(node: Node, ctx: Context) -> Node | None:
    terms, out = _split(_equation(node))
    for i, x in enumerate(node.inputs):
        if not isinstance(x, Multiply) or len(node.inputs) + 1 > _MAX_OPERANDS:
            continue
        structural = any(isinstance(y, (Eye, Fill)) for y in x.inputs)
        if not (ctx.single_use(x) or structural):
            continue
        a, b = x.inputs
        merged = (
            terms[:i] + [terms[i][x.ndim - a.ndim :], terms[i][x.ndim - b.ndim :]] + terms[i + 1 :]
        )
        operands = node.inputs[:i] + (a, b) + node.inputs[i + 1 :]
        return einsum(",".join(merged) + "->" + out, *operands)
    return None


@rule("an einsum that only multiplies with NumPy broadcasting is a Multiply", Einsum)
def einsum_to_multiply(node: Node, ctx: Context) -> Node | None:
    terms, out = _split(_equation(node))
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


@rule("x * y where x is an einsum used once becomes one einsum (then fused)", Multiply)
def multiply_into_einsum(node: Node, ctx: Context) -> Node | None:
    if any(_uniform(x) is not None for x in node.inputs):
        return None  # a scale factor stays a coefficient of the collector
    for x in node.inputs:
        if isinstance(x, Einsum) and ctx.single_use(x) and len(x.inputs) < _MAX_OPERANDS:
            return einsum("...,...->...", *node.inputs)
    return None
