"""Shape rules: reshapes merge and vanish, a unit slice reshaped is an index, eyes factor.

Each rule is a function registered with its identity by ``@rule(identity, *classes)``; it
looks at one node whose inputs are already simplified and returns a replacement or None.
These rules only rearrange elements, so they hold for every value, nan and inf included.
"""

from __future__ import annotations

import opt_einsum

from ..node import Node
from ..ops.creation import Eye
from ..ops.shape import Index, Reshape
from .base import _eye_kind, _index, einsum
from .registry import Context, RuleTable

__all__ = ["TABLE", "index_reshape", "reshape_eye", "reshape_reshape"]

TABLE = RuleTable(__name__)
rule = TABLE.rule


@rule("reshape(reshape(x)) -> reshape(x); reshape(x) to x's own shape -> x", Reshape)
def reshape_reshape(node: Node, ctx: Context) -> Node | None:
    (x,) = node.inputs
    if x.shape == node.shape:
        return x
    if isinstance(x, Reshape):
        return Reshape(x.inputs[0], new_shape=node.shape)
    return None


@rule("x[a:a+1] reshaped without that axis -> x[a]", Reshape)
def index_reshape(node: Node, ctx: Context) -> Node | None:
    (x,) = node.inputs
    if not isinstance(x, Index) or node.shape != tuple(n for n in x.shape if n != 1):
        return None
    key, axis = [], 0
    full_key = _index(x) + (slice(None),) * (x.inputs[0].ndim - len(_index(x)))
    for k, n in zip(full_key, x.inputs[0].shape, strict=False):
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


@rule("reshape(eye(m*n), (m, n, m, n)) -> eye(m) (x) eye(n), an einsum of identities", Reshape)
def reshape_eye(node: Node, ctx: Context) -> Node | None:
    (x,) = node.inputs
    half = node.ndim // 2
    dims = node.shape[:half]
    if not isinstance(x, Eye) or node.ndim % 2 or half < 2 or node.shape != dims + dims:
        return None
    letters = [opt_einsum.get_symbol(i) for i in range(node.ndim)]
    terms = [letters[i] + letters[half + i] for i in range(half)]
    eyes = [Eye(n=n, kind=_eye_kind(x)) for n in dims]
    return einsum(",".join(terms) + "->" + "".join(letters), *eyes)
