"""Custom gradients: a function of Nodes whose gradient is a rule the user writes.

`@custom_gradient` turns a function returning ``(output, grad_fn)`` into one whose output is
a `CustomGradient` node: its value is the output's (a plan gives it no line of its own), and
`grad` asks `grad_fn` for the gradient of each input instead of differentiating the output.
`grad_fn` builds Nodes, so derivatives of any order go through what it returns. The rule is
called when a gradient graph is built; a node rebuilt on other inputs (checkpointing, the
simplifier) rebuilds what the rule gave on those inputs. `clip_gradient` and `scale_gradient`
are built on it, and so are module backward hooks (`Module.register_backward_hook`).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast, overload

import numpy as np

from .node import Node, Variable, name_scope
from .ops import as_node, clip, concatenate, multiply, ravel, reshape, stack, zeros
from .ops.elementwise import float_dtype

__all__ = ["custom_gradient", "clip_gradient", "scale_gradient"]

GradFn = Callable[..., Any]  # cotangents in, one Node or None per input out


class CustomGradient(Node):
    """The value of a function's output (input 0), whose gradient for the function's inputs
    (inputs 1, 2, ...) is what its rule gives.

    `rule` is the `grad_fn` the function returned, `traced` the nodes it was written against
    (the output, then the inputs), `pieces` the shapes of several outputs packed into input 0
    (None for one output), `batched` whether the rule takes cotangents with leading batch axes,
    and `function` the function's name, for errors and plots.
    """

    identity = True  # its value is input 0's: a plan gives it no line
    keeps_nonnegative = True  # >= 0 where input 0 is

    def value_bound(self, bounds: Sequence[float]) -> float:
        return bounds[0]

    rule: GradFn
    traced: tuple[Node, ...]
    pieces: tuple[tuple[int, ...], ...] | None
    batched: bool
    function: str

    @classmethod
    def infer(  # type: ignore[override]  # an op names its own inputs
        cls,
        output: Node,
        *inputs: Node,
        rule: GradFn,
        traced: tuple[Node, ...],
        pieces: tuple[tuple[int, ...], ...] | None,
        batched: bool,
        function: str,
    ) -> tuple[tuple[int, ...], np.dtype]:
        return output.shape, output.dtype

    @property
    def caption(self) -> str:  # type: ignore[override]  # Node's fact, here from a parameter
        return f"custom_gradient {self.function}"

    def eval(self, output: np.ndarray, *inputs: np.ndarray) -> np.ndarray:  # type: ignore[override]
        return output

    def grad(self, g: Node) -> list[Node | None]:
        batch = g.shape[: g.ndim - self.ndim]
        # the rule was written against `traced`: where this node was rebuilt on other inputs,
        # what it gives is rebuilt on them (the cotangent stands in as a placeholder meanwhile)
        mapping = {
            old: new for old, new in zip(self.traced, self.inputs, strict=True) if old is not new
        }
        seed = g
        if mapping:
            seed = Variable(np.zeros(g.shape, g.dtype), name="g")
            mapping[seed] = g
        with self._scope():
            if self.batched or not batch:
                results = self._call(seed, batch)
            else:
                results = self._call_rows(seed, batch)
            if mapping:
                results = _rebuild(results, mapping)
        return [None, *results]

    @contextlib.contextmanager
    def _scope(self) -> Iterator[None]:
        """The scope the node was built in, so that the rule's nodes join its cluster."""
        with contextlib.ExitStack() as stack:
            for name in self.scope:
                stack.enter_context(name_scope(name))
            yield

    def _call(self, g: Node, batch: tuple[int, ...]) -> list[Node | None]:
        """The rule on `g` (shape ``batch + self.shape``), its results checked."""
        if self.pieces is None:
            cotangents = [g]
        else:
            cotangents, start = [], 0
            for shape in self.pieces:
                stop = start + math.prod(shape)
                cotangents.append(reshape(g[..., start:stop], batch + shape))
                start = stop
        return self._checked(self.rule(*cotangents), batch)

    def _call_rows(self, g: Node, batch: tuple[int, ...]) -> list[Node | None]:
        """The rule once per cotangent of a batch, the results stacked."""
        rows = reshape(g, (math.prod(batch), *self.shape))
        per_row = [self._call(rows[i], ()) for i in range(rows.shape[0])]
        results: list[Node | None] = []
        for i, x in enumerate(self.inputs[1:]):
            found = [row[i] for row in per_row]
            if all(r is None for r in found):
                results.append(None)
                continue
            dtype = float_dtype(x.dtype)
            parts = [zeros(x.shape, dtype) if r is None else r for r in found]
            results.append(reshape(stack(parts), batch + x.shape))
        return results

    def _checked(self, results: Any, batch: tuple[int, ...]) -> list[Node | None]:
        what = f"custom_gradient {self.function!r}: grad_fn"
        inputs = self.inputs[1:]
        if isinstance(results, Node) or results is None:
            results = (results,) if len(inputs) == 1 else results
        if not isinstance(results, (tuple, list)):
            raise TypeError(
                f"{what} returned a {type(results).__name__}; it must return one Node or None "
                f"per input ({len(inputs)}), as a tuple"
            )
        if len(results) != len(inputs):
            raise ValueError(
                f"{what} returned {len(results)} gradients for {len(inputs)} inputs "
                "(one Node or None per input)"
            )
        for i, (x, gx) in enumerate(zip(inputs, results, strict=True)):
            if gx is None:
                continue
            if not isinstance(gx, Node):
                raise TypeError(
                    f"{what} returned a {type(gx).__name__} for input {i}, not a Node or None"
                )
            if gx.shape != batch + x.shape:
                extra = (
                    f" (the cotangent carries the batch axes {batch}: write grad_fn for them, "
                    "or leave batched=False)"
                    if batch
                    else ""
                )
                raise ValueError(
                    f"{what} returned a gradient of shape {gx.shape} for input {i} of shape "
                    f"{x.shape}; expected {batch + x.shape}{extra}"
                )
            if gx.dtype != float_dtype(x.dtype):
                raise TypeError(
                    f"{what} returned a gradient of dtype {gx.dtype} for input {i} of dtype "
                    f"{x.dtype}; expected {float_dtype(x.dtype)} (cast it with ad.astype)"
                )
        return list(results)


def _rebuild(outputs: list[Node | None], mapping: dict[Node, Node]) -> list[Node | None]:
    """`outputs` rebuilt with each key of `mapping` replaced by its value.

    Only nodes built after the earliest key can depend on a key, so the walk stops at older
    ones: it covers the rule's nodes and the function's own, not the graph below its inputs.
    """
    oldest = min(k._id for k in mapping)
    new: dict[int, Node] = {id(k): v for k, v in mapping.items()}
    seen: dict[int, Node] = {}
    stack_ = [y for y in outputs if y is not None]
    while stack_:
        node = stack_.pop()
        if id(node) in seen or node._id < oldest:
            continue
        seen[id(node)] = node
        stack_.extend(node.inputs)
    for node in sorted(seen.values(), key=lambda n: n._id):
        if id(node) not in new and node.inputs:
            new[id(node)] = node.with_inputs([new.get(id(x), x) for x in node.inputs])
    return [None if y is None else new.get(id(y), y) for y in outputs]


def _apply(
    fn: Callable[..., Any],
    name: str,
    batched: bool,
    scoped: bool,
    args: Sequence[Any],
    kwargs: dict[str, Any],
) -> Node | list[Node]:
    """`fn` on `args`, its output carried by a CustomGradient node holding its grad_fn."""
    inputs = [as_node(a) for a in args]
    if not inputs:
        raise TypeError(f"custom_gradient {name!r}: the function needs at least one input")
    with name_scope(name) if scoped else contextlib.nullcontext():
        result = fn(*inputs, **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
            raise TypeError(
                f"custom_gradient {name!r}: the function must return (output, grad_fn), "
                f"got {type(result).__name__}"
            )
        output, rule = result
        single = isinstance(output, Node)
        outputs = [output] if single else output
        if not isinstance(outputs, (list, tuple)) or not all(isinstance(y, Node) for y in outputs):
            raise TypeError(
                f"custom_gradient {name!r}: the output must be a Node or a tuple or list of "
                f"Nodes, got {type(output).__name__}"
            )
        if not outputs:
            raise ValueError(f"custom_gradient {name!r}: the function returned no outputs")
        dtypes = {y.dtype for y in outputs}
        if len(dtypes) > 1:
            raise TypeError(
                f"custom_gradient {name!r}: the outputs must share one dtype, got "
                f"{', '.join(sorted(str(d) for d in dtypes))}"
            )
        packed = output if single else concatenate([ravel(y) for y in outputs])
        pieces = None if single else tuple(y.shape for y in outputs)
        node = CustomGradient(
            packed,
            *inputs,
            rule=rule,
            traced=(packed, *inputs),
            pieces=pieces,
            batched=batched,
            function=name,
        )
        if single:
            return node
        parts, start = [], 0
        for y in outputs:
            parts.append(reshape(node[start : start + y.size], y.shape))
            start += y.size
        return parts


@overload
def custom_gradient(fn: Callable[..., Any]) -> Callable[..., Any]: ...
@overload
def custom_gradient(
    fn: None = None, *, batched: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...
def custom_gradient(fn: Callable[..., Any] | None = None, *, batched: bool = False) -> Any:
    """A function of Nodes whose gradient is the rule it returns, not its output's derivative.

    The decorated function takes Nodes (numbers and arrays become Constants; keyword
    arguments pass through and get no gradient) and returns ``(output, grad_fn)``, where
    `output` is a Node or a tuple or list of Nodes of one dtype. ``grad_fn(g)`` (one
    cotangent per output, each of its output's shape) returns one Node or None (no gradient)
    per input, a bare Node for a single input; its shapes and dtypes are checked, with an
    error naming the function. It is called when a gradient graph is built and builds Nodes,
    so second and higher derivatives go through what it returns: a Hessian is exact when the
    rule is the true derivative. Nodes the function reads from outside its arguments (a
    module's weights) get no gradient through it: pass them as arguments.

    When `jacobian` or `hessian` send several cotangents at once (leading batch axes on `g`),
    grad_fn is called once per cotangent; with ``batched=True`` it is called once and must
    handle the leading axes itself, as an op's grad rule does (broadcasting, ``...`` einsums).
    The function's nodes are built inside ``ad.name_scope(fn.__name__)``: one cluster in plots.

    A straight-through estimator: the forward pass binarizes, the backward pass lets the
    gradient through where ``|x| <= 1``.

    >>> import numpy as np, autodiff as ad
    >>> @ad.custom_gradient
    ... def binarize(x):
    ...     return ad.sign(x), lambda g: ad.where(ad.abs(x) <= 1, g, 0.0)
    >>> x = ad.Variable(np.array([-2.0, -0.5, 0.3, 1.5]))
    >>> binarize(x)()
    array([-1., -1.,  1.,  1.])
    >>> ad.grad(ad.sum(binarize(x) * 3.0), x)()
    array([0., 3., 3., 0.])

    A rule is used as written, even a wrong one (the derivative of x**3 is 3x**2, not 2x),
    and `check_grads` finds it out:

    >>> @ad.custom_gradient
    ... def cube(x):
    ...     return x**3, lambda g: g * 2 * x
    >>> ad.grad(ad.sum(cube(x)), x)()
    array([-4. , -1. ,  0.6,  3. ])
    >>> ad.check_grads(cube, [np.array([1.0, 2.0])])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    autodiff.check.GradientError: ...
    """
    if fn is None:
        return functools.partial(custom_gradient, batched=batched)
    if not callable(fn):
        raise TypeError(f"custom_gradient: expected a function, got {type(fn).__name__}")
    name = getattr(fn, "__name__", type(fn).__name__)

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Node | list[Node]:
        return _apply(fn, name, batched, True, args, kwargs)

    return wrapped


def with_gradient(x: Node, rule: Callable[[Node], Node], name: str, scoped: bool = False) -> Node:
    """`x` itself, with the cotangent arriving at it replaced by ``rule(g)`` (batched).

    The building block of `clip_gradient`, `scale_gradient` and backward hooks.
    """
    return cast(Node, _apply(lambda y: (y, rule), name, True, scoped, [x], {}))


def clip_gradient(x: Node, lo: Any, hi: Any) -> Node:
    """`x` itself, with the cotangent flowing back through it clipped to [lo, hi] elementwise.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]))
    >>> ad.grad(ad.sum(ad.clip_gradient(x, -1.0, 1.0) * 5.0), x)()
    array([1., 1.])
    """
    return with_gradient(x, lambda g: clip(g, lo, hi), "clip_gradient")


def scale_gradient(x: Node, s: Any) -> Node:
    """`x` itself, with the cotangent flowing back through it multiplied by `s` (no gradient
    flows to `s`); ``s = -1`` reverses it (a gradient-reversal layer).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0]))
    >>> ad.grad(ad.sum(ad.scale_gradient(x, 0.5) ** 2), x)()
    array([1., 2.])
    """
    return with_gradient(x, lambda g: multiply(g, as_node(s, like=g)), "scale_gradient")
