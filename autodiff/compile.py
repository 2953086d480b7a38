"""Evaluation plans: `function(outputs, inputs)` builds a plan once, then each call runs it.

Building a plan simplifies the graph (`autodiff.simplify`), fixes the topological order,
evaluates once whatever depends on constants only, lowers every einsum to the NumPy calls
that carry it out (matmul, broadcast products, sums and transposes, in the order opt_einsum
chooses), and writes the whole schedule as ONE straight-line Python function: each node is a
line, each intermediate is deleted right after its last use, and an elementwise result may
be written over an input array that nothing reads afterwards. Calling the plan runs that
function; Variables that are not inputs are read at each call, so a plan never sees a stale
value. `eval` is the one-off form.
"""

from __future__ import annotations

import builtins
import functools
import itertools
import math
import threading
from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import opt_einsum

from .node import Constant, Node, Variable, kernel_of, toposort
from .ops.einsum import Einsum
from .ops.elementwise import (
    Abs, Add, Cos, Divide, Elementwise, Exp, Expm1, Eye, Fill, Log, Log1p, Multiply, Negative,
    Pow, Sin, Sqrt, StopGradient, Subtract, Tanh,
)
from .ops.reduce import Max
from .ops.shape import Concatenate, Index, IndexAdjoint, Pad, Reshape, Take, TakeAdjoint
from .simplification import paused_gc, simplify_in_order

# Elementwise ops whose eval is one NumPy call: (template, NumPy ufunc used for `out=`).
_INLINE = {
    Add: ("{0} + {1}", np.add),
    Subtract: ("{0} - {1}", np.subtract),
    Multiply: ("{0} * {1}", np.multiply),
    Divide: ("{0} / {1}", np.divide),
    Negative: ("-{0}", np.negative),
    Exp: ("_np.exp({0})", np.exp),
    Log: ("_np.log({0})", np.log),
    Log1p: ("_np.log1p({0})", np.log1p),
    Expm1: ("_np.expm1({0})", np.expm1),
    Sqrt: ("_np.sqrt({0})", np.sqrt),
    Tanh: ("_np.tanh({0})", np.tanh),
    Sin: ("_np.sin({0})", np.sin),
    Cos: ("_np.cos({0})", np.cos),
    Abs: ("_np.abs({0})", np.abs),
}
_BUFFER_BYTES = 1 << 16  # intermediates this large go to buffers kept between calls
# Ops besides elementwise ones and einsums whose value is always a new array.
_NEW_ARRAY_OPS = (Concatenate, IndexAdjoint, Pad, Take, TakeAdjoint, Max)


class Function:
    """A callable plan for `outputs` with `inputs` fed as arrays (see `function`).

    `node_count` is the size of the graph the plan runs (after simplification) and `source`
    the Python code it runs. Large intermediates go to buffers the plan keeps between calls;
    a call made while another is running (from another thread) runs without them. With
    ``inplace=False`` no result is written over an array made earlier, and no buffer is kept
    (slower; for comparisons).

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(2), name="x")
    >>> plan = ad.Function(ad.sum(x * x * 1.0), inputs=[x])
    >>> plan(np.array([1.0, 2.0])), plan.node_count
    (array(5.), 3)
    """

    def __init__(
        self,
        outputs: Node | Sequence[Node],
        inputs: Sequence[Variable] = (),
        simplify: bool = True,
        inplace: bool = True,
    ):
        self.single = isinstance(outputs, Node)
        if not (self.single or _is_collection(outputs)):
            raise TypeError(f"function: outputs must be a Node or a list of Nodes, got {type(outputs).__name__}")
        if isinstance(inputs, Node) or not _is_collection(inputs):
            raise TypeError(f"function: inputs must be a list of Variables, got {type(inputs).__name__}"
                            + (" (put it in a list: inputs=[x])" if isinstance(inputs, Node) else ""))
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
        with paused_gc():
            if simplify:
                planned, self.nodes = simplify_in_order(self.outputs)
            else:
                planned, self.nodes = self.outputs, toposort(self.outputs)
            self._plan = (planned, self.nodes, self.inputs, self.single, inplace)
            self.source, self._run = _generate(*self._plan, buffers=inplace)
        if "_buf" in self.source:  # it keeps buffers between calls: one call at a time uses them
            self._buffered, self._unbuffered = self._run, None
            self._lock = threading.Lock()
            self._run = self._one_at_a_time

    def _one_at_a_time(self, *arrays):
        if self._lock.acquire(blocking=False):
            try:
                return self._buffered(*arrays)
            finally:
                self._lock.release()
        if self._unbuffered is None:  # called again while running (another thread, re-entry)
            self._unbuffered = _generate(*self._plan, buffers=False)[1]
        return self._unbuffered(*arrays)

    @property
    def node_count(self) -> int:
        """The number of nodes of the graph this plan evaluates (after simplification)."""
        return len(self.nodes)

    def __call__(self, *arrays: Any) -> np.ndarray | list[np.ndarray]:
        if len(arrays) != len(self.inputs):
            raise TypeError(f"function: expected {len(self.inputs)} input arrays, got {len(arrays)}")
        return self._run(*arrays)


def function(
    outputs: Node | Sequence[Node], inputs: Sequence[Variable] = (), simplify: bool = True
) -> Function:
    """Plan the evaluation of `outputs` once; call the plan with one array per input.

    Variables not listed in `inputs` are read at each call (their current values). The
    graph is simplified first unless ``simplify=False``; `Function.node_count` says how
    many nodes the plan runs.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.zeros(3), name="x")
    >>> w = ad.Variable(np.ones(3), name="w")
    >>> loss = ad.sum(ad.square(x - w))
    >>> step = ad.function([loss, ad.grad(loss, x)], inputs=[x])
    >>> value, dx = step(np.array([1.0, 2.0, 3.0]))
    >>> float(value), dx
    (5.0, array([0., 2., 4.]))
    >>> step.node_count <= ad.count_nodes([loss, ad.grad(loss, x)])  # the simplified plan
    True
    """
    return Function(outputs, inputs, simplify=simplify)


def eval(nodes: Node | Sequence[Node], feed: Mapping[Variable, Any] | None = None):
    """Evaluate one node or several, sharing their common work; `feed` overrides Variables.

    A one-off evaluation: the graph is run as it is, without simplifying it first.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array(2.0))
    >>> ad.eval([x * 3, x + 1], feed={x: 5.0})
    [array(15.), array(6.)]
    """
    if feed is not None and not isinstance(feed, Mapping):
        raise TypeError(f"eval: feed must be a mapping from Variables to values, got {type(feed).__name__}")
    feed = dict(feed or {})
    for key in feed:
        if not isinstance(key, Variable):
            raise TypeError(f"eval: feed keys must be Variables, got {getattr(key, 'name', type(key).__name__)}")
    return Function(nodes, list(feed), simplify=False)(*feed.values())


def _is_collection(items: Any) -> bool:
    """Whether `items` holds several things (a list, a tuple, a generator; not a string)."""
    return isinstance(items, Iterable) and not isinstance(items, (str, bytes, np.ndarray, Node))


# -- code generation ---------------------------------------------------------------------------
def _is_constant(node: Node) -> bool:
    return isinstance(node, (Constant, Fill, Eye))


def _makes_new_array(node: Node) -> bool:
    """Whether `node`'s value is always a new array that shares no memory with its inputs."""
    if isinstance(node, Einsum):
        return len(node.inputs) > 1
    if isinstance(node, Elementwise):
        return not isinstance(node, StopGradient)
    return isinstance(node, _NEW_ARRAY_OPS)


class _Writer:
    """Collects the lines of the plan function and the objects its names are bound to."""

    def __init__(self):
        self.lines: list[str] = []
        self.globals: dict[str, Any] = {"_np": np, "_asarray": np.asarray, "_contiguous": np.ascontiguousarray}
        self._names = itertools.count()
        self._bound: dict[int, str] = {}  # id(object) -> its name (the objects stay in globals)
        self.constants: set[str] = set()  # names of values known when the plan is built
        self.dtype = None  # while an einsum is written: its dtype, if all its operands share it

    def arranged(self, expression: str, operand: str) -> str:
        """`expression` (a transpose or reshape of `operand`), done now if `operand` is known."""
        if operand not in self.constants or expression == operand:
            return expression
        value = builtins.eval(expression, dict(self.globals))  # this module's `eval` is another
        return self.bind(np.ascontiguousarray(value), "_c")

    def bind(self, value: Any, prefix: str = "_g") -> str:
        name = self._bound.get(id(value))
        if name is None:
            name = f"{prefix}{next(self._names)}"
            self.globals[name] = value
            self._bound[id(value)] = name
        return name

    def temp(self) -> str:
        return f"t{next(self._names)}"


def _constant_values(nodes: list[Node], fed: set[int]) -> dict[int, Any]:
    """The values of nodes that depend on no Variable, computed once (read-only arrays)."""
    known: dict[int, Any] = {}
    for node in nodes:
        if _is_constant(node) or (node.inputs and all(id(x) in known for x in node.inputs)):
            value = kernel_of(node)(*[known[id(x)] for x in node.inputs])
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
            known[id(node)] = value
    return known


def _overwritable(nodes: list[Node], outputs: list[Node], known: dict[int, Any], fed: set[int]):
    """For each step, the inputs whose arrays the step may overwrite with its result.

    An array may be overwritten when the plan made it (a new array, not a Variable's value
    nor a constant), nothing derived from it without copying (a reshape, an index, an op
    that may return a view) is read later, and it is not an output. Also returns, for each
    node, the new arrays its value may share memory with, and for each new array the last
    step that reads it or a view of it.
    """
    last_read: dict[int, float] = {}
    for i, node in enumerate(nodes):
        for x in node.inputs:
            last_read[id(x)] = i
    for node in outputs:
        last_read[id(node)] = float("inf")
    owners: dict[int, frozenset] = {}  # node -> the new arrays its value may share memory with
    for node in nodes:
        if id(node) in known or id(node) in fed or not node.inputs:
            owners[id(node)] = frozenset()
        elif _makes_new_array(node):  # with float inputs its dtype is surely the declared one
            exact = node.dtype.kind in "fc" and all(x.dtype.kind in "fc" for x in node.inputs)
            owners[id(node)] = frozenset([id(node)]) if exact else frozenset()
        else:
            owners[id(node)] = frozenset().union(*(owners[id(x)] for x in node.inputs))
    busy_until: dict[int, float] = {}  # new array -> last step that reads it or any view of it
    for node in nodes:
        for owner in owners[id(node)]:
            busy_until[owner] = max(busy_until.get(owner, -1), last_read.get(id(node), -1))
    free = {
        id(node): [x for x in node.inputs if owners[id(x)] == {id(x)} and busy_until[id(x)] == i]
        for i, node in enumerate(nodes)
    }
    return free, owners, busy_until


def _views_of_variables(nodes: list[Node], fed: set[int]) -> set[int]:
    """The nodes whose value may be (a view of) the value a Variable holds (not a fed one)."""
    shared: set[int] = set()
    for node in nodes:
        held = isinstance(node, Variable) and id(node) not in fed
        if held or (not _makes_new_array(node) and any(id(x) in shared for x in node.inputs)):
            shared.add(id(node))
    return shared


def _shortcuts(nodes: list[Node], outputs: list[Node], known: dict[int, Any]):
    """Nodes that need no line of their own, and what other nodes read instead.

    A stop_gradient is its input's value. A concatenation of arrays each given a new
    leading axis is one `np.array([...])` of those arrays; the reshapes it reads are not
    written when nothing else reads them. Returns (node -> the nodes its line reads,
    node with no line -> the node whose name it shares).
    """
    silent: dict[int, Node] = {}
    for node in nodes:
        if isinstance(node, StopGradient):
            source = node.inputs[0]
            silent[id(node)] = silent.get(id(source), source)
    value = lambda x: silent.get(id(x), x)
    reads = {id(n): [value(x) for x in n.inputs] for n in nodes if any(id(x) in silent for x in n.inputs)}
    readers: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        for x in node.inputs:
            readers[id(x)].append(node)
    for node in nodes:
        if (isinstance(node, Concatenate) and node.axis == 0 and id(node) not in known
                and all(isinstance(x, Reshape) and x.shape == (1,) + x.inputs[0].shape
                        and x.dtype == node.dtype for x in node.inputs)):
            reads[id(node)] = [value(x.inputs[0]) for x in node.inputs]
    stacked = {id(n) for n in nodes if isinstance(n, Concatenate) and id(n) in reads}
    outs = {id(n) for n in outputs}
    for node in nodes:
        if (isinstance(node, Reshape) and id(node) not in outs and id(node) not in known
                and readers[id(node)] and all(id(r) in stacked for r in readers[id(node)])):
            silent[id(node)] = node  # never read: no line, no name
    return reads, silent


def _generate(outputs, nodes, inputs, single, inplace, buffers):
    """Write the plan for `nodes` (a topological order) as Python source and compile it.

    With `buffers`, large intermediates are written into arrays the plan keeps between
    calls (assigned by liveness, as registers are); the source then names them `_buf`.
    """
    w = _Writer()
    name = {id(n): f"v{i}" for i, n in enumerate(nodes)}
    args = [f"a{i}" for i in range(len(inputs))]
    fed = {id(x) for x in inputs}
    for x, a in zip(inputs, args):  # validate every input, used or not
        w.lines.append(f"{name.get(id(x), a)} = {w.bind(x.check_value, '_check')}({a})")

    known = _constant_values(nodes, fed)
    for node_id, value in known.items():  # 0-d values as NumPy scalars: same results, faster
        w.globals[name[node_id]] = value[()] if isinstance(value, np.ndarray) and not value.ndim else value
        w.constants.add(name[node_id])
    free, owners, busy_until = _overwritable(nodes, outputs, known, fed)
    if not inplace:
        free = {}
    escaping = frozenset().union(*(owners[id(n)] for n in outputs))  # memory the caller gets
    pool: dict[tuple, list[np.ndarray]] = defaultdict(list)  # (size, dtype) -> free flat buffers
    holds: dict[int, np.ndarray] = {}  # node -> the buffer its value is in
    # arrays an output may be computed into (then they are better made fresh, not buffered)
    output_room = {id(x) for n in nodes if id(n) in escaping and type(n) in _INLINE
                   for x in free.get(id(n), ()) if x.shape == n.shape and x.dtype == n.dtype}

    def buffer_for(node: Node):
        """A view-maker into a flat buffer for `node`'s value, or None where none fits."""
        size = math.prod(node.shape)
        if not (buffers and node.ndim and owners[id(node)] == {id(node)} and id(node) not in escaping
                and id(node) not in output_room and size * node.dtype.itemsize >= _BUFFER_BYTES):
            return None
        key = (size, node.dtype.str)
        flat = pool[key].pop() if pool[key] else np.empty(size, node.dtype)
        holds[id(node)] = flat
        return lambda shape: w.bind(flat.reshape(shape), "_buf")
    dies_at: dict[int, list[int]] = defaultdict(list)
    for node_id, step in busy_until.items():
        if step != float("inf"):
            dies_at[step].append(node_id)
    reads, silent = _shortcuts(nodes, outputs, known)
    for node_id, source in silent.items():  # a stop_gradient is its input's value
        name[node_id] = name[id(source)]
    last_read = {}
    for i, node in enumerate(nodes):
        for x in reads.get(id(node), node.inputs):
            last_read[id(x)] = i
    kept = {id(silent.get(id(n), n)) for n in outputs} | set(known)

    for i, node in enumerate(nodes):
        if id(node) in fed or id(node) in known or id(node) in silent:
            continue
        v = name[id(node)]
        operands = [name[id(x)] for x in reads.get(id(node), node.inputs)]
        kind = type(node)
        if isinstance(node, Variable):
            w.lines.append(f"{v} = {w.bind(node, '_var')}._value")
        elif kind in _INLINE:
            template, ufunc = _INLINE[kind]
            exact = all(x.dtype.kind in "fc" for x in node.inputs)  # result dtype known for sure
            target = next((x for x in free.get(id(node), ()) if x.shape == node.shape
                           and x.dtype == node.dtype and node.ndim > 0 and exact
                           and not (id(x) in holds and id(node) in escaping)), None)
            if target is not None:  # out= given by position; the result keeps the name
                v = name[id(node)] = name[id(target)]
                w.lines.append(f"{v} = {w.bind(ufunc, '_u')}({', '.join(operands)}, {v})")
                if id(target) in holds:
                    holds[id(node)] = holds.pop(id(target))
            elif exact and (view := buffer_for(node)) is not None:
                w.lines.append(f"{v} = {w.bind(ufunc, '_u')}({', '.join(operands)}, {view(node.shape)})")
            else:
                w.lines.append(f"{v} = {template.format(*operands)}")
        elif kind is TakeAdjoint and node.dtype == np.float64:
            scatter = w.bind(_scatter_add(node), "_scatter")
            w.lines.append(f"{v} = {scatter}({', '.join(operands)})")
        elif kind is Concatenate and id(node) in reads:  # a stack of arrays of one shape
            w.lines.append(f"{v} = _np.array([{', '.join(operands)}])")
        elif kind is Pow and node.p == 2 and node.inputs[0].dtype == node.dtype:
            w.lines.append(f"{v} = _np.square({operands[0]})")
        elif kind is Reshape:
            w.lines.append(f"{v} = {operands[0]}.reshape({node.shape!r})")
        elif kind is Index:
            w.lines.append(f"{v} = {operands[0]}[{w.bind(node.index, '_key')}]")
        elif kind is Einsum and all(x.dtype.kind in "fc" for x in node.inputs):
            w.dtype = node.dtype if all(x.dtype == node.dtype for x in node.inputs) else None
            _write_einsum(w, node, operands, v, buffer_for(node))
            w.dtype = None
        else:
            w.lines.append(f"{v} = {w.bind(kernel_of(node), '_f')}({', '.join(operands)})")
        dead = [name[id(x)] for x in dict.fromkeys(reads.get(id(node), node.inputs))
                if last_read[id(x)] == i and id(x) not in kept and name[id(x)] != v]
        if dead:
            w.lines.append("del " + ", ".join(dead))
        for owner in dies_at.get(i, ()):  # buffers whose values nothing reads any more
            if owner in holds:
                flat = holds.pop(owner)
                pool[(flat.size, flat.dtype.str)].append(flat)

    results = []
    shared = _views_of_variables(nodes, fed)
    for node in outputs:
        v = name[id(node)]
        if id(node) in known or id(node) in shared:
            # a fresh copy: callers may write into results, and that must not change a value
            results.append(f"_np.array({v}, order='C')")
        elif node.ndim == 0:
            results.append(f"_asarray({v})")
        elif node.ndim > 1 and not (id(node) in fed or isinstance(node, Variable)):
            results.append(f"_contiguous({v})")  # a transposed view slows down what reads it
        else:
            results.append(v)
    w.lines.append("return " + (results[0] if single else "[" + ", ".join(results) + "]"))
    source = f"def plan({', '.join(args)}):\n" + "".join(f"    {line}\n" for line in w.lines)
    namespace = dict(w.globals)
    exec(compile(source, "<autodiff plan>", "exec"), namespace)
    return source, namespace["plan"]


def _scatter_add(node: TakeAdjoint):
    """A function computing `node` (zeros with g added at `indices` along its axis) by one
    bincount: the same sums in the same order as np.add.at, several times faster."""
    length, axis = node.length, node.axis
    g_shape = node.inputs[0].shape
    n = math.prod(node.inputs[1].shape)
    pre, post = math.prod(g_shape[:axis]), math.prod(g_shape[axis + node.inputs[1].ndim:])
    base = (np.arange(pre)[:, None, None] * (length * post) + np.arange(post)).reshape(pre, 1, post)
    size = pre * length * post

    def scatter(g: np.ndarray, indices: np.ndarray) -> np.ndarray:
        indices = np.ravel(indices)
        if n and (indices.min() < -length or indices.max() >= length):
            return node.eval(g, indices.reshape(node.inputs[1].shape))  # the op's own error
        at = base + (indices % length).reshape(1, n, 1) * post
        return np.bincount(at.ravel(), weights=np.ravel(g), minlength=size).reshape(node.shape)

    return scatter


# -- einsum lowering ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _path(equation: str, shapes: tuple) -> list[tuple[int, ...]]:
    """opt_einsum's pairwise contraction order for `equation` on `shapes`."""
    path, _ = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize="auto")
    return path


def _write_einsum(w: _Writer, node: Einsum, operands: list[str], target: str, into=None) -> None:
    """Write `node` as NumPy calls: contractions of pairs, in opt_einsum's order.

    `into`, if given, makes views of a buffer the last product may write into.
    """
    lhs, out = node.equation.split("->")
    terms = lhs.split(",")
    sizes = {l: n for t, x in zip(terms, node.inputs) for l, n in zip(t, x.shape)}
    live = list(zip(terms, operands))
    if len(live) > 2:
        for step in _path(node.equation, tuple(x.shape for x in node.inputs)):
            picked = [live[i] for i in step]
            for i in sorted(step, reverse=True):
                del live[i]
            if not live:  # the last contraction writes the result
                live = picked
                break
            needed = set(out).union(*(t for t, _ in live))
            keep = "".join(l for l in dict.fromkeys("".join(t for t, _ in picked)) if l in needed)
            temp = w.temp()
            order = _write_few(w, [t for t, _ in picked], keep, [v for _, v in picked], sizes, temp, out)
            live.append((order, temp))
    _write_few(w, [t for t, _ in live], out, [v for _, v in live], sizes, target, into=into)


def _write_few(w: _Writer, terms, out: str, operands, sizes, target, final: str = "", into=None) -> str:
    """One or two operands: sum away labels private to one operand, then multiply.

    For an intermediate (`final` is the whole einsum's output) the result's axes may come
    in any order: the one that needs no copying. The order written is returned.
    """
    terms, operands = list(terms), list(operands)
    if len(terms) == 2:
        for k in range(2):
            keep = "".join(l for l in dict.fromkeys(terms[k]) if l in out or l in terms[1 - k])
            if keep != terms[k]:  # repeated labels, or labels summed inside this operand only
                temp = w.temp()
                w.lines.append(f"{temp} = {_single(w, terms[k], keep, operands[k], sizes)}")
                terms[k], operands[k] = keep, temp
        if final:
            out = _natural_order(*terms, out, final, sizes)
        w.lines.append(f"{target} = {_pair(w, *terms, out, *operands, sizes, into)}")
    else:
        w.lines.append(f"{target} = {_single(w, terms[0], out, operands[0], sizes)}")
    temps = [x for x in dict.fromkeys(operands) if x.startswith("t")]
    if temps:  # intermediates of this einsum die here
        w.lines.append("del " + ", ".join(temps))
    return out


def _natural_order(ta: str, tb: str, labels: str, final: str, sizes) -> str:
    """An order of `labels` for ``ta,tb`` that needs no copy: for a broadcast product the
    larger operand's, for a matmul the final output's (then no transpose follows)."""
    if any(l in tb for l in ta if l not in labels):  # a contraction
        first = [l for l in final if l in labels]
        return "".join(first + [l for l in labels if l not in first])
    size = lambda term: math.prod(sizes[l] for l in term)
    big, small = (ta, tb) if size(ta) >= size(tb) else (tb, ta)
    return "".join([l for l in big if l in labels] + [l for l in small if l in labels and l not in big])


def _single(w: _Writer, term: str, out: str, x: str, sizes) -> str:
    """An expression for the one-operand einsum ``term->out`` on `x`."""
    if len(set(term)) != len(term):
        return f"_np.einsum({term + '->' + out!r}, {x})"
    summed = tuple(i for i, l in enumerate(term) if l not in out)
    rest = "".join(l for l in term if l in out)
    if summed and all(sizes[term[i]] == 1 for i in summed):
        x = f"{x}.reshape({tuple(sizes[l] for l in rest)!r})"
    elif summed and summed[0] > 0 and summed[-1] < len(term) - 1 and summed == tuple(range(summed[0], summed[-1] + 1)):
        # a block of middle axes: NumPy sums those slowly when few elements follow them;
        # a matrix product with ones is many times faster (same sums, other rounding)
        lead, block, tail = term[: summed[0]], term[summed[0]: summed[-1] + 1], term[summed[-1] + 1:]
        size = lambda labels: math.prod(sizes[l] for l in labels)
        if size(tail) <= 64 and w.dtype is not None:
            ones = w.bind(np.ones(size(block), w.dtype), "_ones")
            x = f"({ones} @ {x}.reshape({(size(lead), size(block), size(tail))!r}))"
            x = f"{x}.reshape({tuple(sizes[l] for l in lead + tail)!r})"
        else:
            x = f"{x}.sum(axis={summed!r})"
    elif summed:
        x = f"{x}.sum(axis={summed!r})"
    return _permute(x, rest, out)


def _permute(x: str, term: str, order: str) -> str:
    if term == order:
        return x
    return f"{x}.transpose({tuple(term.index(l) for l in order)!r})"


def _matmul(w: _Writer, x: str, y: str, shape: tuple, into) -> str:
    """``x @ y`` (of result `shape`), written into a buffer view when `into` is given."""
    if into is None:
        return f"({x} @ {y})"
    return f"{w.bind(np.matmul, '_u')}({x}, {y}, {into(shape)})"


def _stacked_pair(w: _Writer, ta, tb, out, a, b, sizes, contracted, into=None) -> str | None:
    """``y @ x`` with x (L..., K, R) as it is laid out, L broadcast by matmul: no copy of x.

    For an operand x of three or more axes whose contracted labels sit together, with the
    other operand y made (M, K); None where no operand fits.
    """
    size = lambda labels: math.prod(sizes[l] for l in labels)
    for tx, ty, x, y in ((ta, tb, a, b), (tb, ta, b, a)):
        where = [i for i, l in enumerate(tx) if l in contracted]
        if len(tx) < 3 or where != list(range(where[0], where[-1] + 1)) or not where[0]:
            continue
        lead, k, rest = tx[: where[0]], tx[where[0]: where[-1] + 1], tx[where[-1] + 1:]
        free_y = "".join(l for l in ty if l not in contracted)
        x3 = x if len(k) == 1 and len(rest) == 1 else f"{x}.reshape({tuple(sizes[l] for l in lead) + (size(k), size(rest))!r})"
        y2 = _permute(y, ty, free_y + k)
        if len(free_y) != 1 or len(k) != 1:
            y2 = f"{y2}.reshape({(size(free_y), size(k))!r})"
        natural = tuple(sizes[l] for l in lead) + (size(free_y), size(rest))
        expr = _matmul(w, w.arranged(y2, y), x3, natural, into)
        result = lead + free_y + rest
        if len(free_y) != 1 or len(rest) != 1:
            expr = f"{expr}.reshape({tuple(sizes[l] for l in result)!r})"
        return _permute(expr, result, out)
    return None


def _pair(w: _Writer, ta: str, tb: str, out: str, a: str, b: str, sizes, into=None) -> str:
    """An expression for ``ta,tb->out`` where every label of ta and tb is in out or both."""
    size = lambda labels: math.prod(sizes[l] for l in labels)
    contracted = [l for l in ta if l in tb and l not in out]
    if not contracted:  # a broadcast product: lay each operand out in the output's order
        parts = []
        for x, term in ((a, ta), (b, tb)):
            order = "".join(l for l in out if l in term)
            first = next((i for i, l in enumerate(out) if l in term), len(out))
            shape = tuple(sizes[l] if l in term else 1 for l in out[first:])
            arranged = _permute(x, term, order)
            if len(shape) != len(order):
                arranged = f"{arranged}.reshape({shape!r})"
            parts.append(w.arranged(arranged, x))
        if into is not None:
            return f"{w.bind(np.multiply, '_u')}({parts[0]}, {parts[1]}, {into(tuple(sizes[l] for l in out))})"
        return f"{parts[0]} * {parts[1]}"
    batch = "".join(l for l in out if l in ta and l in tb)
    free_a = "".join(l for l in out if l in ta and l not in tb)
    free_b = "".join(l for l in out if l in tb and l not in ta)
    if out != batch + free_a + free_b and out == batch + free_b + free_a:
        ta, tb, a, b, free_a, free_b = tb, ta, b, a, free_b, free_a
    k = "".join(l for l in ta if l in contracted)
    if not batch and (ta != free_a + k and len(ta) > 2 or tb != k + free_b and len(tb) > 2):
        stacked = _stacked_pair(w, ta, tb, out, a, b, sizes, contracted, into)
        if stacked is not None:
            return stacked
    B, M, K, N = size(batch), size(free_a), size(k), size(free_b)
    if batch:
        left, left_shape = batch + free_a + k, (B, M, K)
        right, right_shape = batch + k + free_b, (B, K, N)
        natural = (B, M, N)
    else:
        left, left_shape = free_a + k, (M, K) if free_a else (K,)
        right, right_shape = k + free_b, (K, N) if free_b else (K,)
        natural = left_shape[:-1] + right_shape[1:]
    x = _permute(a, ta, left)
    if tuple(sizes[l] for l in left) != left_shape:
        x = f"{x}.reshape({left_shape!r})"
    y = _permute(b, tb, right)
    if tuple(sizes[l] for l in right) != right_shape:
        y = f"{y}.reshape({right_shape!r})"
    x, y = w.arranged(x, a), w.arranged(y, b)
    expr = _matmul(w, x, y, natural, into)
    result = batch + free_a + free_b
    if tuple(sizes[l] for l in result) != natural:
        expr = f"{expr}.reshape({tuple(sizes[l] for l in result)!r})"
    return _permute(expr, result, out)
