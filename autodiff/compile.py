"""Evaluation plans: `function(outputs, inputs)` builds a plan once, then each call runs it.

A plan fixes the topological order, binds each op's `eval`, and knows after which step each
intermediate array is last used so it can be dropped at once. Variables that are not inputs
are read when the plan runs, so a plan never sees a stale value. `eval` is the one-off form.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .node import Leaf, Node, Variable, toposort


class Function:
    """A callable plan for `outputs` with `inputs` fed as arrays (see `function`)."""

    def __init__(self, outputs: Node | Sequence[Node], inputs: Sequence[Variable] = ()):
        self.single = isinstance(outputs, Node)
        self.outputs = [outputs] if self.single else list(outputs)
        self.inputs = list(inputs)
        for i, node in enumerate(self.outputs):
            if not isinstance(node, Node):
                raise TypeError(f"function: output {i} is a {type(node).__name__}, not a Node")
        for i, node in enumerate(self.inputs):
            if not isinstance(node, Variable):
                raise TypeError(f"function: input {i} must be a Variable, got {type(node).__name__}")
        if len({id(x) for x in self.inputs}) != len(self.inputs):
            raise ValueError("function: the same Variable is listed twice in inputs")

        self.nodes = toposort(self.outputs)
        slot = {id(node): i for i, node in enumerate(self.nodes)}
        fed = {id(x) for x in self.inputs}
        self.feeds = [slot.get(id(x)) for x in self.inputs]
        self.leaves = [(slot[id(n)], n) for n in self.nodes if isinstance(n, Leaf) or not n.inputs]
        self.leaves = [(i, n) for i, n in self.leaves if id(n) not in fed]
        self.output_slots = [slot[id(n)] for n in self.outputs]

        last_use: dict[int, int] = {}
        steps = []
        for node in self.nodes:
            if node.inputs:
                args = [slot[id(x)] for x in node.inputs]
                for a in args:
                    last_use[a] = len(steps)
                steps.append((node.eval, args, slot[id(node)]))
        keep = set(self.output_slots)
        frees: list[list[int]] = [[] for _ in steps]
        for a, step in last_use.items():
            if a not in keep:
                frees[step].append(a)
        self.steps = [(fn, args, out, frees[i]) for i, (fn, args, out) in enumerate(steps)]

    def __call__(self, *arrays: Any) -> np.ndarray | list[np.ndarray]:
        if len(arrays) != len(self.inputs):
            raise TypeError(f"function: expected {len(self.inputs)} input arrays, got {len(arrays)}")
        values: list[Any] = [None] * len(self.nodes)
        for node, s, array in zip(self.inputs, self.feeds, arrays):
            array = node.check_value(array)
            if s is not None:
                values[s] = array
        for s, leaf in self.leaves:
            values[s] = leaf.eval()
        for fn, args, out, free in self.steps:
            values[out] = fn(*[values[a] for a in args])
            for a in free:
                values[a] = None
        results = [np.asarray(values[s]) for s in self.output_slots]
        return results[0] if self.single else results


def function(outputs: Node | Sequence[Node], inputs: Sequence[Variable] = ()) -> Function:
    """Plan the evaluation of `outputs` once; call the plan with one array per input.

    Variables not listed in `inputs` are read at each call (their current values).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3), name="x")
    >>> w = ad.Variable(np.ones(3), name="w")
    >>> loss = ad.sum(ad.square(x - w))
    >>> step = ad.function([loss, ad.grad(loss, w)], inputs=[x])
    >>> value, dw = step(np.array([1.0, 2.0, 3.0]))
    >>> float(value), dw
    (5.0, array([0., 2., 4.]))
    """
    return Function(outputs, inputs)


def eval(nodes: Node | Sequence[Node], feed: Mapping[Variable, Any] | None = None):
    """Evaluate one node or several, sharing their common work; `feed` overrides Variables.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array(2.0))
    >>> ad.eval([x * 3, x + 1], feed={x: 5.0})
    [array(15.), array(6.)]
    """
    feed = dict(feed or {})
    return Function(nodes, list(feed))(*feed.values())
