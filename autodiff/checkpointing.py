"""Checkpointing: recompute a segment's intermediates in the backward pass instead of storing them.

`checkpoint(fn)(*args)` builds fn's graph once, as the body of one `Segment` node. A plan runs
the body as a sub-plan when the segment's value is needed, so the body's intermediates are
dropped as soon as its output exists. The segment's gradient is fn's graph built again on
copies of its inputs that become available only with the incoming cotangent (`After`), so a
plan recomputes them during the backward pass, one segment at a time. Derivatives of any order
go through ordinary nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from .compile import function
from .differentiation import grad
from .node import Node, Variable, substitute, toposort
from .ops import as_node, concatenate, ravel, reshape, split


class After(Node):
    """The value of x, scheduled only once `g` exists (a recomputation in the backward pass)."""

    @classmethod
    def infer(  # type: ignore[override]  # an op names its own inputs
        cls, x: Node, g: Node
    ) -> tuple[tuple[int, ...], np.dtype]:
        return x.shape, x.dtype

    def eval(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:  # type: ignore[override]  # as infer
        return x

    def grad(self, g: Node) -> tuple[Node, None]:
        return g, None


class Segment(Node):
    """The output of a checkpointed body (a graph over the Variables in `slots`)."""

    body: Node
    slots: tuple[Variable, ...]

    @classmethod
    def infer(  # type: ignore[override]  # its parameters are required
        cls, *inputs: Node, body: Node, slots: tuple[Variable, ...]
    ) -> tuple[tuple[int, ...], np.dtype]:
        return body.shape, body.dtype

    @property
    def blas_work(self) -> int:  # type: ignore[override]  # a property where Node has a class attribute
        """The largest of its body's: the body runs as a plan of its own."""
        return max(n.blas_work for n in toposort([self.body]))

    def eval(self, *arrays: np.ndarray) -> np.ndarray:
        plan = self.__dict__.get("_body_plan")
        if plan is None:
            plan = function(self.body, inputs=list(self.slots))
            object.__setattr__(self, "_body_plan", plan)
        return cast(np.ndarray, plan(*arrays))  # the plan of one node gives one array

    def grad(self, g: Node) -> list[Node | None]:
        fresh = [After(x, g) for x in self.inputs]
        (body,) = substitute([self.body], dict(zip(self.slots, fresh, strict=True)))
        # integer inputs (token ids the body reads) get no gradient, as elsewhere
        floats = [i for i, x in enumerate(fresh) if x.dtype.kind in "fc"]
        grads: list[Node | None] = [None] * len(fresh)
        for i, d in zip(floats, grad(body, [fresh[i] for i in floats], seed=g), strict=True):
            grads[i] = d
        return grads


def checkpoint(fn: Callable[..., Node | Sequence[Node]]) -> Callable[..., Node | list[Node]]:
    """`fn` with its intermediates recomputed in the backward pass instead of kept alive.

    `fn` takes nodes and returns a node or a list of nodes; parameters it reads from outside
    (module weights, say) are found in its graph and get gradients as usual.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([0.5, -1.0]))
    >>> block = ad.checkpoint(lambda h: ad.tanh(ad.tanh(h) * 2))
    >>> y = ad.sum(block(x))
    >>> np.allclose(ad.grad(y, x)(), ad.grad(ad.sum(ad.tanh(ad.tanh(x) * 2)), x)())
    True
    """

    def segment(*args: Any) -> Node | list[Node]:
        inputs = [as_node(a) for a in args]
        slots = [
            Variable(np.zeros(a.shape, a.dtype), name=f"slot{i}") for i, a in enumerate(inputs)
        ]
        result = fn(*slots)
        single = isinstance(result, Node)
        outputs = [result] if isinstance(result, Node) else list(result)
        # Variables the body reads from outside become inputs too, so they get gradients
        inside = {id(s) for s in slots}
        captured = [n for n in toposort(outputs) if isinstance(n, Variable) and id(n) not in inside]
        own = [Variable(np.zeros(v.shape, v.dtype), name=v.name) for v in captured]
        outputs = substitute(outputs, dict(zip(captured, own, strict=True)))
        body = outputs[0] if single else concatenate([ravel(y) for y in outputs])
        packed = Segment(*inputs, *captured, body=body, slots=tuple(slots + own))
        if single:
            return packed
        pieces = split(packed, list(np.cumsum([y.size for y in outputs])[:-1]))
        return [reshape(p, y.shape) for p, y in zip(pieces, outputs, strict=True)]

    return segment
