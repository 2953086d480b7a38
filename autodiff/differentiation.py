"""Differentiation, graph to graph: grad, jacobian, hessian, hvp and jvp.

Nothing here evaluates. `grad` walks the graph backwards once and asks each op for the
vector-Jacobian product of its inputs, as new Nodes. The cotangent may carry leading batch
axes, so `jacobian` is a single graph seeded with an identity, `hessian` is the jacobian of a
jacobian, and `jvp` is the transpose of a vjp, built graph to graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, overload

import numpy as np
import numpy.typing as npt

from .node import Node, Variable, building_derivative, toposort
from .ops import add, as_node, astype, eye, multiply, ones, reshape, sum, zeros
from .ops.elementwise import float_dtype

# a direction (a seed, `v`): a Node, or a number or an array that becomes one
Direction = Node | npt.ArrayLike
# functions that see, and may replace, the cotangent arriving at a node
Hooks = Mapping[Node, Callable[[Node], Node | None]]


def _check_nodes(op: str, y: object, wrt: object) -> tuple[list[Node], bool]:
    if not isinstance(y, Node):
        raise TypeError(
            f"{op}: the function to differentiate must be a Node, got {type(y).__name__}"
        )
    single = isinstance(wrt, Node)
    given = [wrt] if single else list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    wrt_list: list[Node] = []
    for i, w in enumerate(given):
        if not isinstance(w, Node):
            raise TypeError(
                f"{op}: can only differentiate with respect to Nodes, "
                f"got {type(w).__name__} (wrt {i})"
            )
        if w.dtype.kind != "f":
            raise TypeError(
                f"{op}: cannot differentiate with respect to {w.name!r} of dtype {w.dtype} "
                f"(wrt {i}): gradients are taken with respect to floating-point nodes; make it "
                "one, e.g. ad.Variable(value, dtype=float)"
            )
        wrt_list.append(w)
    return wrt_list, single


def _one_node(op: str, wrt: object) -> None:
    if not isinstance(wrt, Node):
        raise TypeError(
            f"{op}: wrt must be one Node, got {type(wrt).__name__} "
            "(concatenate several into one first)"
        )


def _as_direction(op: str, what: str, value: Direction, like: Node) -> Node:
    """`value` as a Node; a number or array (not a Node) takes the floating dtype of `like`,
    so a float64 direction on a float32 graph gives float32 derivatives."""
    if isinstance(value, Node):
        return value
    try:
        node = as_node(value, like=like)
    except TypeError:
        raise TypeError(
            f"{op}: {what} must be a Node, a number or an array, got {type(value).__name__}"
        ) from None
    if node.dtype.kind in "biuf" and node.dtype != float_dtype(like.dtype):
        node = as_node(np.asarray(value, dtype=float_dtype(like.dtype)))
    return node


@overload
def grad(y: Node, wrt: Node, seed: Direction | None = None, hooks: Hooks | None = None) -> Node: ...
@overload
def grad(
    y: Node, wrt: Sequence[Node], seed: Direction | None = None, hooks: Hooks | None = None
) -> list[Node]: ...
def grad(
    y: Node,
    wrt: Node | Sequence[Node],
    seed: Direction | None = None,
    hooks: Hooks | None = None,
) -> Node | list[Node]:
    """The gradient of `y` with respect to `wrt` (a node or a list), as new Nodes.

    Without a `seed`, a non-scalar `y` is summed first. A `seed` of shape ``y.shape`` gives
    the vector-Jacobian product ``seed . dy/dwrt``; a seed of shape ``(*batch, *y.shape)``
    gives one product per leading index, with shape ``(*batch, *wrt.shape)``. A node that
    `y` does not depend on gets zeros. Each node in `wrt` must have a floating dtype
    (TypeError otherwise); no gradient flows through integer or bool nodes.

    `hooks` maps nodes of y's graph to functions: ``hooks[node](g)`` sees the whole cotangent
    arriving at that node (a Node, with the seed's batch axes) and may return a Node of the
    same shape and dtype to send on instead (and to report, where the node is in `wrt`), or
    None to keep g. A hook on a node y does not depend on is never called.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]))
    >>> h = ad.tanh(x)
    >>> ad.grad(ad.sum(h * 10.0), x, hooks={h: lambda g: ad.clip(g, -1.0, 1.0)})()
    array([0.41997434, 0.07065082])

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array(3.0), name="x")
    >>> y = ad.Variable(np.array(4.0), name="y")
    >>> z = x * y + ad.exp(x + 3)
    >>> dx, dy = ad.grad(z, [x, y])
    >>> float(dx()), float(dy())
    (407.4287934927351, 3.0)
    >>> float(ad.grad(dx, x)())
    403.4287934927351
    """
    wrt_list, single = _check_nodes("grad", y, wrt)
    _check_hooks("grad", hooks)
    with building_derivative():
        return _grad(y, wrt_list, single, seed, hooks or {})


def _check_hooks(op: str, hooks: object) -> None:
    if hooks is None:
        return
    if not isinstance(hooks, Mapping):
        raise TypeError(
            f"{op}: hooks must be a mapping of nodes to functions, got {type(hooks).__name__}"
        )
    for node, hook in hooks.items():
        if not isinstance(node, Node) or not callable(hook):
            raise TypeError(
                f"{op}: hooks must map Nodes to functions, got {type(node).__name__} -> "
                f"{type(hook).__name__}"
            )


def _hooked(hook: Callable[[Node], Node | None], node: Node, g: Node) -> Node:
    """The cotangent `g` of `node` after its hook (checked: a Node of g's shape and dtype)."""
    new = hook(g)
    if new is None:
        return g
    if not isinstance(new, Node) or new.shape != g.shape or new.dtype != g.dtype:
        got = f"shape {new.shape} {new.dtype}" if isinstance(new, Node) else type(new).__name__
        raise (ValueError if isinstance(new, Node) else TypeError)(
            f"grad: the hook on {node.name} {node.shape} returned {got} for a cotangent of "
            f"shape {g.shape} {g.dtype} (a Node of the same shape and dtype, or None)"
        )
    return new


def _grad(
    y: Node,
    wrt_list: list[Node],
    single: bool,
    seed: Direction | None,
    hooks: Hooks,
) -> Node | list[Node]:
    if seed is None:
        seed = ones(y.shape, float_dtype(y.dtype))
    seed = _as_direction("grad", "the seed", seed, like=y)
    if seed.shape[seed.ndim - y.ndim :] != y.shape or seed.ndim < y.ndim:
        raise ValueError(
            f"grad: seed of shape {seed.shape} does not end with the shape {y.shape} of y"
        )
    batch = seed.shape[: seed.ndim - y.ndim]

    targets = {id(w) for w in wrt_list}
    order = toposort([y])
    live: set[int] = set()  # nodes through which y depends on a target (never integer or bool ones)
    for node in order:
        if id(node) in targets or (
            node.differentiable
            and node.dtype.kind in "fc"
            and any(id(x) in live for x in node.inputs)
        ):
            live.add(id(node))

    # cotangents are summed as they arrive, so a plan can drop each part at once
    totals: dict[int, Node | _Scaled] = {id(y): seed} if id(y) in live else {}
    found: dict[int, Node] = {}
    for node in reversed(order):
        part = totals.pop(id(node), None)
        if part is None:
            continue
        if bool(batch) and node.elementwise and node not in hooks and id(node) not in targets:
            if node.inputs:
                _send(totals, live, node, _elementwise_grads(node, part, batch))
            continue
        g = part.whole() if isinstance(part, _Scaled) else part
        if node in hooks:
            g = _hooked(hooks[node], node, g)
        if id(node) in targets:
            found[id(node)] = g
        if node.inputs:
            _send(totals, live, node, _input_grads(node, g, batch))

    result = [
        _in_dtype(found[id(w)], w)
        if id(w) in found
        else zeros(batch + w.shape, float_dtype(w.dtype))
        for w in wrt_list
    ]
    return result[0] if single else result


def _in_dtype(g: Node, w: Node) -> Node:
    """The gradient `g` of `w` in w's dtype: a float32 input promoted to float64 by the graph
    (``x * np.float64(2)``) gets a float32 gradient, as an explicit astype gives."""
    dtype = float_dtype(w.dtype)
    return g if g.dtype == dtype else astype(g, dtype)


class _Scaled(NamedTuple):
    """A batched cotangent kept as ``base * scale`` while it flows back through elementwise ops.

    An elementwise op's Jacobian is diagonal, so each op on the way multiplies the small
    `scale` (the op's shape, no batch axes) by its own derivative, and the product with the
    whole batch `base` is formed once, where the chain ends: one pass over the batch instead of
    one per op (a Hessian's or a Jacobian's cotangents carry a batch as large as the input).
    """

    base: Node
    scale: Node

    def whole(self) -> Node:
        return multiply(self.base, self.scale)


def _summed(total: Node | _Scaled, g: Node | _Scaled) -> Node | _Scaled:
    """Two parts of one cotangent added; parts scaling the same batch add their scales."""
    if isinstance(total, _Scaled) and isinstance(g, _Scaled) and total.base is g.base:
        return _Scaled(total.base, add(total.scale, g.scale))
    whole = [part.whole() if isinstance(part, _Scaled) else part for part in (total, g)]
    return add(*whole)


def _send(
    totals: dict[int, Node | _Scaled],
    live: set[int],
    node: Node,
    grads: Sequence[Node | _Scaled | None],
) -> None:
    """Add the cotangents `grads` of `node`'s inputs to their totals (live inputs only)."""
    for x, gx in zip(node.inputs, grads, strict=True):
        if gx is not None and id(x) in live:
            totals[id(x)] = _summed(totals[id(x)], gx) if id(x) in totals else gx


def _input_grads(node: Node, g: Node, batch: tuple[int, ...]) -> tuple[Node | None, ...]:
    """`node.grad(g)`, checked: one Node of shape ``batch + x.shape`` or None per input x."""
    grads = tuple(node.grad(g))
    if len(grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.name}.grad gave {len(grads)} gradients for {len(node.inputs)} inputs "
            "(one Node or None per input): a bug in that op's grad rule"
        )
    for i, (x, gx) in enumerate(zip(node.inputs, grads, strict=True)):  # lengths checked
        if gx is None:
            continue
        if not isinstance(gx, Node):
            raise TypeError(
                f"{node.name}.grad gave a {type(gx).__name__} for input {i}, "
                "not a Node or None: a bug in that op's grad rule"
            )
        if gx.shape != batch + x.shape:
            raise RuntimeError(
                f"{node.name}.grad gave a gradient of shape {gx.shape} for input {i} of shape "
                f"{x.shape} with batch {batch}: a bug in that op's grad rule"
            )
    return grads


def _elementwise_grads(
    node: Node, g: Node | _Scaled, batch: tuple[int, ...]
) -> list[Node | _Scaled | None]:
    """The cotangents of an elementwise node's inputs for a batched `g`, kept scaled.

    An input of the node's own shape gets ``base * (scale * d)``, with d the op's derivative
    (its grad of ones); an input it broadcasts (a bias, a scalar) sums over elements, so it
    gets the op's grad of the whole cotangent.
    """
    base, scale = (g.base, g.scale) if isinstance(g, _Scaled) else (g, None)
    local = _input_grads(node, ones(node.shape, base.dtype), ())
    whole: tuple[Node | None, ...] | None = None
    grads: list[Node | _Scaled | None] = []
    for i, (x, d) in enumerate(zip(node.inputs, local, strict=True)):
        if x.shape != node.shape:
            if whole is None:
                whole = _input_grads(node, g.whole() if isinstance(g, _Scaled) else g, batch)
            grads.append(whole[i])
        elif d is None:
            grads.append(None)
        else:
            grads.append(_Scaled(base, d if scale is None else multiply(scale, d)))
    return grads


def _identity(shape: tuple[int, ...], dtype: np.dtype) -> Node:
    """The identity tensor of shape ``shape + shape``: the seed of a full Jacobian."""
    size = int(np.prod(shape, dtype=np.int64))
    return reshape(eye(size, dtype=dtype), shape + shape)


@overload
def jacobian(y: Node, wrt: Node, hooks: Hooks | None = None) -> Node: ...
@overload
def jacobian(y: Node, wrt: Sequence[Node], hooks: Hooks | None = None) -> list[Node]: ...
def jacobian(y: Node, wrt: Node | Sequence[Node], hooks: Hooks | None = None) -> Node | list[Node]:
    """The full Jacobian, shape ``y.shape + wrt.shape``, as ONE graph (no loop over outputs).

    `hooks` are `grad`'s; each sees the cotangents of all of y's elements at once (leading
    batch axes of y's shape).

    >>> import numpy as np, autodiff as ad
    >>> A = ad.Variable(np.random.randn(3, 4))
    >>> v = ad.Variable(np.random.randn(4))
    >>> ad.jacobian(ad.tanh(A @ v), v).shape
    (3, 4)
    """
    _check_nodes("jacobian", y, wrt)
    if y.ndim == 0:
        return grad(y, wrt, hooks=hooks)
    return grad(y, wrt, seed=_identity(y.shape, float_dtype(y.dtype)), hooks=hooks)


def hessian(f: Node, wrt: Node) -> Node:
    """Second derivatives, shape ``f.shape + wrt.shape + wrt.shape`` (a graph).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]))
    >>> ad.hessian(ad.sum(x ** 3), x)()
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    _check_nodes("hessian", f, wrt)
    _one_node("hessian", wrt)
    return jacobian(jacobian(f, wrt), wrt)


def hvp(f: Node, wrt: Node, v: Direction) -> Node:
    """Hessian-vector product ``H(f) v`` of a scalar `f`, without forming H.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]))
    >>> ad.hvp(ad.sum(x ** 3), x, np.array([1.0, 1.0]))()
    array([ 6., 12.])
    """
    _check_nodes("hvp", f, wrt)
    _one_node("hvp", wrt)
    if f.ndim != 0:
        raise ValueError(f"hvp: f must be a scalar, got shape {f.shape}")
    v = _as_direction("hvp", "v", v, like=wrt)
    if v.shape != wrt.shape:
        raise ValueError(f"hvp: v of shape {v.shape} does not match wrt of shape {wrt.shape}")
    return grad(sum(multiply(grad(f, wrt), v)), wrt)


def jvp(y: Node, wrt: Node, v: Direction) -> Node:
    """Jacobian-vector product ``dy/dwrt . v`` (forward mode), shape ``y.shape``.

    Built as the transpose of a vector-Jacobian product: the vjp is linear in its seed u,
    and the gradient of ``vjp(u) . v`` with respect to u is ``J v``. `v` may carry leading
    batch axes.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]))
    >>> ad.jvp(x ** 2, x, np.array([1.0, 0.0]))()
    array([2., 0.])
    """
    _check_nodes("jvp", y, wrt)
    _one_node("jvp", wrt)
    v = _as_direction("jvp", "v", v, like=wrt)
    if v.shape[v.ndim - wrt.ndim :] != wrt.shape or v.ndim < wrt.ndim:
        raise ValueError(
            f"jvp: v of shape {v.shape} does not end with the shape {wrt.shape} of wrt"
        )
    u = Variable(np.zeros(y.shape, float_dtype(y.dtype)), name="jvp_seed")
    return grad(grad(y, wrt, seed=u), u, seed=v)
